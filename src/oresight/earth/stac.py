"""Scenes of Sentinel-2 L2A and Landsat Collection 2 Level-2 from STAC: API searches, static files.

A search asks a STAC API (with pystac-client) for one collection's items over an area of interest
(a shapely geometry in WGS 84 longitude/latitude) in an :class:`ObservationPeriod`, with at most a
given cloud cover (``eo:cloud_cover``, in %). A static STAC file (an ItemCollection or
FeatureCollection as an API returns it, a single Item, or a Catalog/Collection tree) is read the
same way and filtered by the same criteria. Both give a :class:`SceneSearch`.

**Empty results are explicit, never an error and never silent**: a search that finds nothing
returns a :class:`SceneSearch` with no items, whose :meth:`SceneSearch.data_gap` says so in words
("no Sentinel-2 L2A scenes of Kolwezi in 2024-Q2 with at most 30 % cloud cover (Earth Search)"),
for the caller to report as a data gap. Loading refuses an empty list (there is no grid to build
from nothing), so a caller cannot turn a gap into an all-clear by accident.

Services name the same bands differently: Earth Search uses common names (``red``, ``scl``), the
Planetary Computer Sentinel-2 product names (``B04``, ``SCL``); :data:`ASSET_KEYS` is the table,
and :func:`asset_keys` finds which naming an item uses. Landsat Collection 2 items use common
names (``red``, ``qa_pixel``) on both services.

Network and server failures become :class:`StacSearchError` naming the URL; a malformed file
becomes :class:`InvalidInput` naming the file and the item.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from oresight.core.errors import InvalidInput, OresightError
from oresight.earth.bands import SENSOR_BANDS, Sensor, band_named, sentinel2_boa_offset
from oresight.earth.extra import require_extra
from oresight.earth.periods import ObservationPeriod

if TYPE_CHECKING:
    import pystac
    from pystac_client.stac_api_io import StacApiIO

EARTH_SEARCH_URL = "https://earth-search.aws.element84.com/v1"
PLANETARY_COMPUTER_URL = "https://planetarycomputer.microsoft.com/api/stac/v1"

DEFAULT_MAX_CLOUD_COVER = 30.0
"""Scene-wide cloud cover (%) above which a scene is not worth loading for a median composite."""


class StacSearchError(OresightError):
    """A STAC API could not be reached or answered with an error or with something not STAC."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"STAC search at {url} failed: {reason}")


@dataclass(frozen=True, slots=True)
class StacSource:
    """One collection of one STAC API."""

    name: str
    """How reports name the service: ``Earth Search``, ``Planetary Computer``."""
    url: str
    """The API's landing page."""
    collection: str
    sensor: Sensor


EARTH_SEARCH_SENTINEL2 = StacSource(
    "Earth Search", EARTH_SEARCH_URL, "sentinel-2-l2a", Sensor.SENTINEL2_L2A
)
# Earth Search's Landsat assets lie in USGS's requester-pays bucket: reading them needs AWS
# credentials and AWS_REQUEST_PAYER=requester in the environment.
EARTH_SEARCH_LANDSAT = StacSource(
    "Earth Search", EARTH_SEARCH_URL, "landsat-c2-l2", Sensor.LANDSAT_C2_L2
)
PLANETARY_COMPUTER_SENTINEL2 = StacSource(
    "Planetary Computer", PLANETARY_COMPUTER_URL, "sentinel-2-l2a", Sensor.SENTINEL2_L2A
)
# Planetary Computer's assets need a short-lived signature: load them with patch_url set to the
# `planetary_computer.sign` function (a separate package, not a dependency of oresight).
PLANETARY_COMPUTER_LANDSAT = StacSource(
    "Planetary Computer", PLANETARY_COMPUTER_URL, "landsat-c2-l2", Sensor.LANDSAT_C2_L2
)


class AssetNaming(StrEnum):
    """How a service names the assets of a scene's bands."""

    COMMON_NAME = "common-name"
    """``blue``, ``red``, ``nir08``, ``scl``, ``qa_pixel`` (Earth Search; Landsat everywhere)."""
    PRODUCT_NAME = "product-name"
    """The product's own band names: ``B02``, ``B04``, ``B8A``, ``SCL`` (Planetary Computer's
    Sentinel-2)."""


ITEM_EXTENSIONS = (
    "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
    "https://stac-extensions.github.io/projection/v1.1.0/schema.json",
)
"""The STAC extensions of the items oresight writes (``eo:cloud_cover``, ``proj:`` grids)."""

ASSET_KEYS: dict[tuple[Sensor, AssetNaming], dict[str, str]] = {
    (Sensor.SENTINEL2_L2A, AssetNaming.COMMON_NAME): {
        b.common_name: b.common_name for b in SENSOR_BANDS[Sensor.SENTINEL2_L2A]
    },
    (Sensor.SENTINEL2_L2A, AssetNaming.PRODUCT_NAME): {
        b.common_name: b.name for b in SENSOR_BANDS[Sensor.SENTINEL2_L2A]
    },
    (Sensor.LANDSAT_C2_L2, AssetNaming.COMMON_NAME): {
        b.common_name: b.common_name for b in SENSOR_BANDS[Sensor.LANDSAT_C2_L2]
    },
}
"""Asset key of each band (by oresight's common name) per sensor and naming."""

QUALITY_BAND: dict[Sensor, str] = {
    Sensor.SENTINEL2_L2A: "scl",
    Sensor.LANDSAT_C2_L2: "qa_pixel",
}
"""The band each sensor's clear mask is read from (:mod:`oresight.earth.masks`)."""

_COLLECTION_SENSORS: dict[str, Sensor] = {
    "sentinel-2-l2a": Sensor.SENTINEL2_L2A,  # Earth Search, Planetary Computer
    "sentinel-2-c1-l2a": Sensor.SENTINEL2_L2A,  # Earth Search, ESA's Collection 1 reprocessing
    "landsat-c2-l2": Sensor.LANDSAT_C2_L2,  # Earth Search, Planetary Computer
}
"""Collection ids of the services oresight knows, by sensor."""

_OFFSET_APPLIED = ("earthsearch:boa_offset_applied", "sentinel:boa_offset_applied")
"""Earth Search properties saying that the COGs' DN were already shifted back by the offset."""


@dataclass(frozen=True)
class SceneSearch:
    """The scenes found for a place and period; possibly none, which is a data gap to report."""

    items: tuple[pystac.Item, ...]
    """Sorted by acquisition time, then id."""
    period: ObservationPeriod | None
    place: str
    """The area of interest as reports name it (a site's name, ``"AOI"``)."""
    source: str
    """Where the items come from: ``"Earth Search"``, a file's path."""
    sensor: Sensor | None
    """None only for a static file that holds no item at all."""
    max_cloud_cover: float | None = None

    @property
    def is_empty(self) -> bool:
        """Whether no scene was found."""
        return not self.items

    @property
    def ids(self) -> list[str]:
        """The scenes' ids."""
        return [item.id for item in self.items]

    def data_gap(self) -> str | None:
        """A sentence saying that no scene was found (for a data-gap report), or None if some
        were."""
        if self.items:
            return None
        what = _SENSOR_WORDS.get(self.sensor, "imagery") if self.sensor else "imagery"
        when = f" in {self.period.label}" if self.period else ""
        clouds = (
            f" with at most {self.max_cloud_cover:g} % cloud cover"
            if self.max_cloud_cover is not None
            else ""
        )
        return f"no {what} scenes of {self.place}{when}{clouds} ({self.source})"


_SENSOR_WORDS: dict[Sensor | None, str] = {
    Sensor.SENTINEL2_L2A: "Sentinel-2 L2A",
    Sensor.LANDSAT_C2_L2: "Landsat Collection 2 Level-2",
    Sensor.LANDSAT8_L1: "Landsat 8 Level-1",
}


def search_scenes(
    source: StacSource,
    aoi: BaseGeometry,
    period: ObservationPeriod,
    *,
    place: str = "the area of interest",
    max_cloud_cover: float = DEFAULT_MAX_CLOUD_COVER,
    max_items: int | None = None,
    timeout: float = 60.0,
    stac_io: StacApiIO | None = None,
) -> SceneSearch:
    """Search ``source`` for the scenes intersecting ``aoi`` (lon/lat) acquired in ``period``
    (both ends included, UTC days) with ``eo:cloud_cover`` at most ``max_cloud_cover`` %.

    Follows the API's ``next`` links to the end (or to ``max_items``). The cloud filter is sent
    with the Query extension and checked again here, since a server may ignore it. No scene
    found gives an empty :class:`SceneSearch` (see :meth:`SceneSearch.data_gap`). ``stac_io``
    replaces pystac-client's HTTP layer (a proxy, custom headers, recorded answers).
    """
    _check_cloud_cover(max_cloud_cover)
    if aoi.is_empty:
        raise InvalidInput("the area of interest is empty", field="aoi")
    client_module = require_extra("pystac_client")
    errors = require_extra("pystac").errors
    failures = (
        require_extra("pystac_client.exceptions").APIError,
        errors.STACError,
        errors.STACTypeError,
        require_extra("pystac_client.warnings").DoesNotConformTo,  # no item search offered
        NotImplementedError,
        OSError,
        ValueError,  # an answer that is not JSON
        KeyError,
        TypeError,
    )
    try:
        client = client_module.Client.open(source.url, stac_io=stac_io, timeout=timeout)
        search = client.search(
            collections=[source.collection],
            intersects=mapping(aoi),
            datetime=f"{period.start.isoformat()}/{period.end.isoformat()}",
            query={"eo:cloud_cover": {"lte": max_cloud_cover}},
            max_items=max_items,
        )
        found = list(search.items())
    except failures as exc:
        raise StacSearchError(source.url, _reason(exc)) from exc
    kept = _filter(found, aoi=None, period=period, max_cloud_cover=max_cloud_cover)
    return SceneSearch(
        items=_sorted(kept),
        period=period,
        place=place,
        source=source.name,
        sensor=source.sensor,
        max_cloud_cover=max_cloud_cover,
    )


def read_scenes(
    path: str | Path,
    *,
    aoi: BaseGeometry | None = None,
    period: ObservationPeriod | None = None,
    max_cloud_cover: float | None = None,
    place: str = "the area of interest",
) -> SceneSearch:
    """Read the items of a static STAC file, keeping those that intersect ``aoi`` (lon/lat),
    fall in ``period`` and have at most ``max_cloud_cover`` % cloud (each when given).

    The file holds an ItemCollection (a GeoJSON FeatureCollection of items, as a search
    returns), one Item, or a Catalog or Collection whose items are read through its links.
    Relative asset hrefs are resolved against the item's own file (or this file).
    """
    source = Path(path)
    items = [_absolute_assets(item, source) for item in _read_items(source)]
    for index, item in enumerate(items):
        _check_item(item, str(source), index)
    sensors = {sensor_of(item) for item in items}
    if len(sensors) > 1:
        raise InvalidInput(
            f"holds scenes of several sensors ({', '.join(sorted(sensors))}); composites take "
            "one sensor at a time",
            file=str(source),
        )
    return scene_search(
        items,
        source=str(source),
        aoi=aoi,
        period=period,
        max_cloud_cover=max_cloud_cover,
        place=place,
    )


def scene_search(
    items: Iterable[pystac.Item],
    *,
    source: str,
    aoi: BaseGeometry | None = None,
    period: ObservationPeriod | None = None,
    max_cloud_cover: float | None = None,
    place: str = "the area of interest",
) -> SceneSearch:
    """The ``items`` (of one sensor) over ``aoi`` (lon/lat), in ``period`` (UTC days) and with at
    most ``max_cloud_cover`` % cloud (each when given), in acquisition order; ``source`` names
    where they come from in a data gap. What :func:`read_scenes` keeps of a catalog, and
    :mod:`oresight.earth.scene_files` of a folder of band files."""
    if max_cloud_cover is not None:
        _check_cloud_cover(max_cloud_cover)
    found = list(items)
    sensors = {sensor_of(item) for item in found}
    kept = _filter(found, aoi=aoi, period=period, max_cloud_cover=max_cloud_cover)
    return SceneSearch(
        items=_sorted(kept),
        period=period,
        place=place,
        source=source,
        sensor=next(iter(sensors)) if len(sensors) == 1 else None,
        max_cloud_cover=max_cloud_cover,
    )


def sensor_of(item: pystac.Item) -> Sensor:
    """The sensor of a Sentinel-2 L2A or Landsat Collection 2 Level-2 item, from its collection
    id, or from its ``constellation``/``platform`` when it names no collection.

    Another collection is refused even from a known platform: Level-1 products of the same
    satellites store other numbers, which the Level-2 scaling would turn into wrong reflectance.
    """
    collection = (item.collection_id or "").casefold()
    if collection in _COLLECTION_SENSORS:
        return _COLLECTION_SENSORS[collection]
    platform = str(
        item.properties.get("constellation") or item.properties.get("platform") or ""
    ).casefold()
    if not collection and platform.startswith("sentinel-2"):
        return Sensor.SENTINEL2_L2A
    if not collection and platform.startswith("landsat"):
        return Sensor.LANDSAT_C2_L2
    raise InvalidInput(
        f"not a Sentinel-2 L2A or Landsat Collection 2 Level-2 scene (collection "
        f"'{item.collection_id}', platform '{platform or 'unknown'}'); known collections: "
        f"{', '.join(_COLLECTION_SENSORS)}",
        record=item.id,
        field="collection",
    )


def asset_keys(item: pystac.Item, sensor: Sensor, bands: Iterable[str]) -> dict[str, str]:
    """The asset key of each of ``bands`` (common names) in ``item``: the first naming of
    :data:`ASSET_KEYS` under which the item has every one of them."""
    wanted = [band_named(sensor, name).common_name for name in bands]
    for (table_sensor, _naming), keys in ASSET_KEYS.items():
        if table_sensor is sensor and all(keys[name] in item.assets for name in wanted):
            return {name: keys[name] for name in wanted}
    raise InvalidInput(
        f"has no assets for bands {', '.join(wanted)} under any naming oresight knows; its "
        f"assets are {', '.join(sorted(item.assets)) or 'none'}",
        record=item.id,
        field="assets",
    )


def item_boa_offset(item: pystac.Item) -> int:
    """The ``BOA_ADD_OFFSET`` to add to a Sentinel-2 L2A item's DN before scaling: -1000 from
    processing baseline 04.00 (``s2:processing_baseline``; by acquisition date from 2022-01-25
    when the baseline is not stated), else 0.

    0 as well where Earth Search says it already shifted the COGs' DN back
    (``earthsearch:boa_offset_applied``, formerly ``sentinel:boa_offset_applied``, true): adding
    the offset again would darken those scenes by 0.1.
    """
    properties = item.properties
    if any(properties.get(flag) is True for flag in _OFFSET_APPLIED):
        return 0
    baseline = properties.get("s2:processing_baseline")
    if baseline is not None and not isinstance(baseline, str):
        baseline = f"{float(baseline):05.2f}"
    try:
        return sentinel2_boa_offset(processing_baseline=baseline, acquired=acquired(item))
    except InvalidInput as exc:
        raise InvalidInput(exc.message, record=item.id, field="s2:processing_baseline") from exc


def acquired(item: pystac.Item) -> datetime:
    """When the item was acquired (its ``datetime``, else ``start_datetime``), in UTC."""
    when = item.datetime
    if when is None:
        start = item.properties.get("start_datetime")
        if not isinstance(start, str):
            raise InvalidInput("has no datetime", record=item.id, field="datetime")
        when = datetime.fromisoformat(start.replace("Z", "+00:00"))
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def solar_day(item: pystac.Item) -> date:
    """The local solar day of an acquisition: the UTC time shifted by one hour per 15 degrees
    of the footprint's central longitude (whole hours). A satellite passing at 10:30 local time
    east of 150 E is on the previous day in UTC; grouping by solar day keeps one pass together."""
    if item.geometry is not None:
        longitude = shape(item.geometry).centroid.x
    elif item.bbox is not None:
        longitude = (item.bbox[0] + item.bbox[2]) / 2
    else:
        raise InvalidInput("has neither geometry nor bbox", record=item.id, field="geometry")
    return (acquired(item) + timedelta(hours=int(longitude / 15))).date()


# --- internals ------------------------------------------------------------------------------------


def _read_items(path: Path) -> list[Any]:
    """The items of a static STAC file, or an error naming the file."""
    pystac = require_extra("pystac")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"not a readable STAC JSON file: {exc}", file=str(path)) from exc
    if not isinstance(document, dict):
        raise InvalidInput("a STAC file holds a JSON object", file=str(path))
    kind = document.get("type")
    try:
        if kind == "FeatureCollection":
            features = document.get("features")
            if not isinstance(features, list):
                raise InvalidInput("'features' must be a list", file=str(path), field="features")
            return [_item_from(pystac, feature, path, i) for i, feature in enumerate(features)]
        if kind == "Feature":
            return [_item_from(pystac, document, path, 0)]
        if kind in ("Catalog", "Collection"):
            catalog = pystac.read_file(str(path.resolve()))
            return list(catalog.get_items(recursive=True))
    except (pystac.errors.STACError, pystac.errors.STACTypeError, OSError, ValueError) as exc:
        raise InvalidInput(f"not valid STAC: {exc}", file=str(path)) from exc
    raise InvalidInput(
        f"expected a STAC ItemCollection, Item, Catalog or Collection, found type '{kind}'",
        file=str(path),
        field="type",
    )


def _item_from(pystac: Any, feature: Any, path: Path, index: int) -> Any:
    """One feature of a file as a pystac Item, or an error naming the file and the feature."""
    record = feature.get("id", index) if isinstance(feature, dict) else index
    try:
        return pystac.Item.from_dict(feature, preserve_dict=True)
    except (
        pystac.errors.STACError,
        pystac.errors.STACTypeError,
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
    ) as exc:
        raise InvalidInput(f"not a STAC item: {exc!r}", file=str(path), record=record) from exc


def _absolute_assets(item: Any, file: Path) -> Any:
    """``item`` with every relative asset href resolved against its own file (or ``file``)."""
    self_href = item.get_self_href()
    base = Path(self_href).parent if self_href and not _is_url(self_href) else file.parent
    for asset in item.assets.values():
        href = asset.href
        if not _is_url(href) and not Path(href).is_absolute():
            asset.href = str((base / href).resolve())
    return item


def _check_item(item: Any, file: str, index: int) -> None:
    """Refuse an item that a composite cannot place in time or space."""
    record: str | int = item.id or index
    if item.geometry is None and item.bbox is None:
        raise InvalidInput("has neither geometry nor bbox", file=file, record=record)
    try:
        acquired(item)
        sensor_of(item)
    except InvalidInput as exc:
        raise exc.located(file=file) from exc


def _filter(
    items: list[Any],
    *,
    aoi: BaseGeometry | None,
    period: ObservationPeriod | None,
    max_cloud_cover: float | None,
) -> list[Any]:
    """The items in ``period`` (UTC days), over ``aoi`` and under ``max_cloud_cover``."""
    kept = []
    for item in items:
        day = acquired(item).date()
        if period is not None and not period.start <= day <= period.end:
            continue
        if (
            aoi is not None
            and item.geometry is not None
            and not shape(item.geometry).intersects(aoi)
        ):
            continue
        cloud = item.properties.get("eo:cloud_cover")
        if (
            max_cloud_cover is not None
            and isinstance(cloud, int | float)
            and cloud > max_cloud_cover
        ):
            continue
        kept.append(item)
    return kept


def _sorted(items: Iterable[Any]) -> tuple[Any, ...]:
    """Items by acquisition time, then id: the order every later step reports them in."""
    return tuple(sorted(items, key=lambda item: (acquired(item), item.id)))


def _check_cloud_cover(value: float) -> None:
    if not 0 <= value <= 100:
        raise InvalidInput(
            f"cloud cover is a percentage from 0 to 100, found {value}", field="max_cloud_cover"
        )


def _reason(exc: BaseException) -> str:
    """A one-line reason from a library's exception: its status code and first line of text."""
    status = getattr(exc, "status_code", None)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if len(text) > 300:
        text = text[:300] + "..."
    return f"HTTP {status}: {text}" if status else text


def _is_url(href: str) -> bool:
    """Whether ``href`` names a resource by URL (``https:``, ``s3:``, ``file:``) rather than by
    a path; a one-letter scheme is a Windows drive."""
    return len(urlparse(href).scheme) > 1
