"""Scenes of plain band files in a folder, as the STAC items a local catalog would hold.

Users who downloaded Sentinel-2 L2A or Landsat Collection 2 Level-2 scenes as band files (GeoTIFF,
JPEG 2000) without a STAC catalog scan them with ``oresight earth scan --images FOLDER``.
:func:`find_scenes` finds the scenes under a folder and makes each a ``pystac.Item`` of the shape
:func:`oresight.earth.stac.read_scenes` gives for a local catalog (collection, datetime, WGS 84
footprint, ``proj:`` grid of every asset, ``eo:cloud_cover``, platform and, for Sentinel-2,
``s2:processing_baseline`` where the product name states it), so that the composites read them
unchanged; :func:`oresight.earth.stac.scene_search` keeps those of a period, area and cloud
cover, as it does a catalog's.

**Which files.** Files ending ``.tif``, ``.tiff`` or ``.jp2`` anywhere under the folder, named:

* Sentinel-2 L2A: ``..._B02.tif``, ``..._B02_10m.jp2`` or ``B02.tif``, up to ``B12``, ``B8A`` and
  ``SCL`` (the SAFE product's ``IMG_DATA/R10m``, ``R20m``, ``R60m`` files, or a service's
  downloads). A band given at several resolutions is read at the finest; bands on different grids
  (20 m SWIR beside 10 m visible) are each described on their own grid, and loading resamples them
  onto one, as for a catalog's items.
* Landsat 8/9 Collection 2 Level-2: ``LC08_L2SP_PPPRRR_YYYYMMDD_yyyymmdd_02_T1_SR_B2.TIF`` up to
  ``_SR_B7``, and ``_QA_PIXEL``.

The files of one scene lie in one folder (or in the ``R10m``/``R20m``/``R60m`` folders of one)
and share the prefix before the band name: scenes are told apart by folder or by prefix. Other
files (``TCI``, ``AOT``, ``ST_B10``, previews) are left alone.

**What the names say.** The product name (``S2A_MSIL2A_20240115T080221_N0510_R035_T35LQC_...``,
Earth Search's ``S2A_35LQC_20240115_0_L2A`` or ``LC08_L2SP_...``), in the prefix or the name of a
folder above the files, gives the scene's id, platform and acquisition date and, for Sentinel-2,
the processing baseline (``N0510`` is 05.10). Without one, the date is the first ``YYYYMMDD``
(with its ``THHMMSS`` if any) in the prefix, then in the folder names up to the folder given;
never the files' ``TIFFTAG_DATETIME``, which is when a file was written, not when the ground was
seen (a scene without a date in its names is refused). A date without a time is placed at 10:30
local solar time, the pass of both missions, so that the scene falls on its own solar day.
Without a baseline the reflectance offset follows the date
(:func:`oresight.earth.stac.item_boa_offset`): files that a service already shifted back need
the service's items (``--items``) instead.

**Clouds.** ``eo:cloud_cover`` is the share of the pixels with data that the quality band (SCL,
``QA_PIXEL``) does not call clear, read on at most 1024 x 1024 of them, so that
``--max-cloud-cover`` works as on a catalog.

Anything that would make a scan wrong or silently empty is refused with :class:`InvalidInput`
naming the file: a folder that does not exist or holds no scene, a scene without a band the scan
needs, an unreadable raster, one without a CRS, with several bands or with non-integer values,
bands of one scene in two CRSs, two files of one band at one resolution, two scenes of one id,
a scene without a date, scenes of two sensors, Level-1 products, and Landsat 4-7 (their band
numbers name other colours than OLI's).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj

from oresight.core.errors import InvalidInput
from oresight.earth import stac
from oresight.earth.bands import SENSOR_BANDS, Band, Sensor, band_named
from oresight.earth.composites import BAND_ALIASES, DEFAULT_BANDS
from oresight.earth.extra import require_extra
from oresight.earth.masks import landsat_c2_qa_clear, sentinel2_scl_clear
from oresight.earth.periods import ObservationPeriod

if TYPE_CHECKING:
    import pystac
    from shapely.geometry.base import BaseGeometry

RASTER_SUFFIXES = frozenset({".tif", ".tiff", ".jp2"})
CLOUD_SAMPLE_PIXELS = 1024
"""Longest side of the quality band as read for ``eo:cloud_cover``."""
PASS_HOUR = 10.5
"""Local solar time (hours) given to a date without a time: both missions pass near 10:30."""

_COLLECTIONS = {Sensor.SENTINEL2_L2A: "sentinel-2-l2a", Sensor.LANDSAT_C2_L2: "landsat-c2-l2"}
_NAMING = {
    Sensor.SENTINEL2_L2A: stac.AssetNaming.PRODUCT_NAME,
    Sensor.LANDSAT_C2_L2: stac.AssetNaming.COMMON_NAME,
}
_BAND_FILES = (
    (Sensor.LANDSAT_C2_L2, re.compile(r"^(?:(?P<prefix>.+?)_)?(?P<band>SR_B\d|QA_PIXEL)$", re.I)),
    (
        Sensor.SENTINEL2_L2A,
        re.compile(r"^(?:(?P<prefix>.+?)_)?(?P<band>B(?:0[1-9]|1[0-2]|8A)|SCL)(?:_\d{2}m)?$", re.I),
    ),
)
_SENTINEL2_PRODUCT = re.compile(
    r"S2(?P<unit>[A-D])_MSI(?P<level>L\w{2})_(?P<sensed>\d{8}T\d{6})_N(?P<baseline>\d{4})_"
    r"R\d{3}_T\w{5}_\d{8}T\d{6}",
    re.I,
)
_SENTINEL2_COG = re.compile(
    r"S2(?P<unit>[A-D])_\d{1,2}[A-Z]{3}_(?P<sensed>\d{8})_\d+_(?P<level>L\w{2})", re.I
)
_LANDSAT_PRODUCT = re.compile(
    r"L(?P<instrument>[COTEM])(?P<mission>\d{2})_(?P<level>L\w{3})_\d{6}_(?P<sensed>\d{8})_"
    r"\d{8}_(?P<collection>\d{2})_[A-Z0-9]{2}",
    re.I,
)
_DATE = re.compile(r"(?<!\d)(?P<day>\d{8})(?:T(?P<time>\d{6}))?(?!\d)")
_RESOLUTION_FOLDER = re.compile(r"^R\d{2}m$", re.I)
_EXTENSIONS = [
    "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
    "https://stac-extensions.github.io/projection/v1.1.0/schema.json",
]


@dataclass(frozen=True, slots=True)
class _BandFile:
    """A file named as one band of one scene."""

    path: Path
    sensor: Sensor
    band: str
    scene_dir: Path
    prefix: str


@dataclass(frozen=True, slots=True)
class _Raster:
    """What a band file's header says."""

    path: Path
    crs: Any
    transform: Any
    shape: tuple[int, int]
    dtype: str
    nodata: float | None

    @property
    def pixel_size(self) -> float:
        """The larger side of a pixel, in the CRS's units."""
        return float(max(abs(self.transform.a), abs(self.transform.e)))


@dataclass(frozen=True, slots=True)
class _Product:
    """What the names of a scene's files and folders say about it."""

    id: str
    platform: str | None
    when: datetime | None
    timed: bool
    """Whether ``when`` holds a time of day, not only a date."""
    baseline: str | None


def read_scene_files(
    folder: str | Path,
    *,
    aoi: BaseGeometry | None = None,
    period: ObservationPeriod | None = None,
    max_cloud_cover: float | None = None,
    place: str = "the area of interest",
    bands: Sequence[str] = DEFAULT_BANDS,
) -> stac.SceneSearch:
    """The scenes of the band files under ``folder`` (see :func:`find_scenes`) kept by
    :func:`oresight.earth.stac.scene_search`."""
    return stac.scene_search(
        find_scenes(folder, bands=bands),
        source=str(folder),
        aoi=aoi,
        period=period,
        max_cloud_cover=max_cloud_cover,
        place=place,
    )


def find_scenes(folder: str | Path, *, bands: Sequence[str] = DEFAULT_BANDS) -> list[pystac.Item]:
    """Every scene of the band files under ``folder`` as a STAC item, by acquisition time then
    id. Each scene must have a file of each of ``bands`` (names as the composites take them) and
    of its quality band; see the module docstring for the names recognised and what is
    refused."""
    root = Path(folder)
    if not root.exists():
        raise InvalidInput("no such folder", file=str(root))
    if not root.is_dir():
        raise InvalidInput(
            "not a folder: give the folder that holds the band files", file=str(root)
        )
    rasters = sorted(
        path
        for path in root.rglob("*")
        if path.suffix.lower() in RASTER_SUFFIXES
        and path.is_file()
        # Hidden files: macOS's "._B02.tif" copies of metadata are no rasters.
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )
    scenes: dict[tuple[Sensor, Path, str], list[_BandFile]] = {}
    for path in rasters:
        _refuse_other_products(path, root)
        found = _band_file(path, root)
        if found is not None:
            scenes.setdefault((found.sensor, found.scene_dir, found.prefix), []).append(found)
    if not scenes:
        seen = ", ".join(path.name for path in rasters[:5]) or "no .tif, .tiff or .jp2 file"
        raise InvalidInput(
            f"no scene found ({seen}): scans read Sentinel-2 L2A band files named like "
            "..._B02.tif or B02_10m.jp2 (B02-B12, B8A, SCL) and Landsat 8/9 Collection 2 "
            "Level-2 files named like LC08_L2SP_..._SR_B2.TIF (SR_B2-SR_B7, QA_PIXEL)",
            file=str(root),
        )
    items = [_item(files, root, bands) for files in scenes.values()]
    by_sensor = {stac.sensor_of(item): item.id for item in items}
    if len(by_sensor) > 1:
        examples = ", ".join(f"{sensor} ({scene})" for sensor, scene in sorted(by_sensor.items()))
        raise InvalidInput(
            f"holds scenes of several sensors: {examples}; a scan takes one sensor at a time",
            file=str(root),
        )
    _check_unique_ids(items)
    return sorted(items, key=lambda item: (stac.acquired(item), item.id))


# --- files and names ------------------------------------------------------------------------------


def _names(path: Path, root: Path) -> list[str]:
    """The names of ``path`` (under ``root``, or ``root`` itself) and of each folder above it up
    to ``root`` (included), nearest first. Links are not followed: a linked file is named by
    where it lies in the folder, not by where it points."""
    return [*reversed(path.relative_to(root).parts), root.resolve().name]


def _refuse_other_products(path: Path, root: Path) -> None:
    """Refuse a file of a product that a Level-2 scan would read wrong."""
    for name in _names(path, root):
        if (landsat := _LANDSAT_PRODUCT.search(name)) is not None:
            level, collection = landsat["level"].upper(), landsat["collection"]
            mission, instrument = int(landsat["mission"]), landsat["instrument"].upper()
            if not level.startswith("L2"):
                why = f"a Landsat {level} (Level-1) product"
            elif collection != "02":
                why = f"a Landsat Collection {int(collection)} product, scaled otherwise"
            elif mission not in (8, 9) or instrument not in ("C", "O"):
                why = (
                    f"a Landsat {mission} product, whose band numbers name other colours than "
                    "the OLI bands of Landsat 8 and 9 that oresight reads"
                )
            else:
                return
            raise InvalidInput(
                f"{why}: scans need Landsat 8/9 Collection 2 Level-2 surface reflectance "
                "(L2SP or L2SR)",
                file=str(path),
                field="product",
            )
        sentinel = _SENTINEL2_PRODUCT.search(name) or _SENTINEL2_COG.search(name)
        if sentinel is not None:
            if sentinel["level"].upper() != "L2A":
                raise InvalidInput(
                    f"a Sentinel-2 {sentinel['level'].upper()} product: scans need Level-2A "
                    "(surface reflectance with its scene classification, SCL)",
                    file=str(path),
                    field="product",
                )
            return


def _band_file(path: Path, root: Path) -> _BandFile | None:
    """``path`` as a band of a scene, or None for a file named as no band oresight reads."""
    folder = path.parent
    if _RESOLUTION_FOLDER.match(folder.name) and folder != root:
        folder = folder.parent  # R10m, R20m, R60m of one SAFE granule hold one scene
    stem = path.name[: -len(path.suffix)]
    landsat = _LANDSAT_PRODUCT.search(stem) is not None
    for sensor, pattern in _BAND_FILES:
        if landsat and sensor is not Sensor.LANDSAT_C2_L2:
            continue  # a Landsat file's ST_B10 is no Sentinel-2 B10
        match = pattern.match(stem)
        if match is not None:
            return _BandFile(path, sensor, match["band"].upper(), folder, match["prefix"] or "")
    return None


def _product(first: _BandFile, root: Path) -> _Product:
    """The scene's id, platform, date and baseline, from its product name or else its names."""
    names = [first.prefix, *_names(first.scene_dir, root)]
    names = [name.removesuffix(".SAFE").removesuffix(".safe") for name in names if name]
    for name in names:
        if first.sensor is Sensor.SENTINEL2_L2A:
            if (found := _SENTINEL2_PRODUCT.search(name)) is not None:
                baseline = found["baseline"]
                return _Product(
                    found[0],
                    f"sentinel-2{found['unit'].lower()}",
                    datetime.strptime(found["sensed"], "%Y%m%dT%H%M%S").replace(tzinfo=UTC),
                    True,
                    f"{baseline[:2]}.{baseline[2:]}",
                )
            if (found := _SENTINEL2_COG.search(name)) is not None:
                when = _day(found["sensed"], None)
                return _Product(found[0], f"sentinel-2{found['unit'].lower()}", when, False, None)
        elif (found := _LANDSAT_PRODUCT.search(name)) is not None:
            when = _day(found["sensed"], None)
            return _Product(found[0], f"landsat-{int(found['mission'])}", when, False, None)
    for name in names:
        for found in _DATE.finditer(name):
            when = _day(found["day"], found["time"])
            if when is not None:
                return _Product(names[0], None, when, found["time"] is not None, None)
    return _Product(names[0], None, None, False, None)


def _day(day: str, time: str | None) -> datetime | None:
    """``YYYYMMDD`` (and ``HHMMSS``) as a UTC time, or None where the digits are not a date."""
    try:
        when = datetime.strptime(day + (time or "000000"), "%Y%m%d%H%M%S")
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if 1972 <= when.year <= 2100 else None


def _at_pass_time(day: datetime, longitude: float) -> datetime:
    """The UTC time of ``day`` at which it is :data:`PASS_HOUR` local solar time at
    ``longitude``: a date alone would otherwise put scenes west of Greenwich on the solar day
    before."""
    hours = (PASS_HOUR - longitude / 15) % 24
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return midnight + timedelta(seconds=round(hours * 3600))


# --- rasters --------------------------------------------------------------------------------------


def _header(file: _BandFile, band: Band) -> _Raster:
    """The header of a band file, refused when it is no single-band, located, integer raster."""
    rasterio = require_extra("rasterio")
    where = str(file.path)
    try:
        with rasterio.open(file.path) as raster:
            count, crs, transform, dtype = raster.count, raster.crs, raster.transform, raster.dtypes
            shape, nodata = (raster.height, raster.width), raster.nodata
    except (rasterio.errors.RasterioError, OSError) as exc:
        raise InvalidInput(f"cannot be read as a raster: {exc}", file=where) from exc
    if count != 1:
        raise InvalidInput(
            f"holds {count} bands where a band file holds one", file=where, field=band.name
        )
    if crs is None:
        raise InvalidInput("has no coordinate reference system", file=where, field="crs")
    if np.dtype(dtype[0]).kind not in "ui":
        raise InvalidInput(
            f"holds {dtype[0]} values; band files hold the product's integer digital numbers",
            file=where,
            field=band.name,
        )
    return _Raster(file.path, crs, transform, shape, dtype[0], nodata)


def _cloud_cover(raster: _Raster, sensor: Sensor) -> float:
    """The % of the pixels with data that the quality band does not call clear."""
    rasterio = require_extra("rasterio")
    height, width = raster.shape
    step = max(1, math.ceil(max(height, width) / CLOUD_SAMPLE_PIXELS))
    try:
        with rasterio.open(raster.path) as source:
            quality = source.read(1, out_shape=(math.ceil(height / step), math.ceil(width / step)))
    except (rasterio.errors.RasterioError, OSError) as exc:
        raise InvalidInput(f"cannot be read as a raster: {exc}", file=str(raster.path)) from exc
    if sensor is Sensor.SENTINEL2_L2A:
        has_data, clear = quality != 0, sentinel2_scl_clear(quality)
    else:
        has_data, clear = (quality & 1) == 0, landsat_c2_qa_clear(quality)
    pixels = int(has_data.sum())
    return round(100 * int((has_data & ~clear).sum()) / pixels, 2) if pixels else 100.0


def _footprint(raster: _Raster) -> tuple[dict[str, Any], list[float]]:
    """The raster's outline in WGS 84 (each edge in 8 steps, since a UTM edge bends in lon/lat)
    and its bounding box."""
    crs = pyproj.CRS.from_user_input(raster.crs.to_wkt())
    to_lonlat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    height, width = raster.shape
    corners = [(0, 0), (width, 0), (width, height), (0, height)]
    points: list[tuple[float, float]] = []
    for (col, row), (next_col, next_row) in zip(corners, [*corners[1:], corners[0]], strict=True):
        for step in range(8):
            c, r = col + (next_col - col) * step / 8, row + (next_row - row) * step / 8
            x, y = raster.transform * (c, r)
            points.append(to_lonlat.transform(x, y))
    ring = [[round(lon, 7), round(lat, 7)] for lon, lat in [*points, points[0]]]
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    return {"type": "Polygon", "coordinates": [ring]}, [min(lons), min(lats), max(lons), max(lats)]


# --- scenes ---------------------------------------------------------------------------------------


def _item(files: list[_BandFile], root: Path, bands: Sequence[str]) -> pystac.Item:
    """One scene's files as a STAC item in the form of the catalogs oresight reads."""
    sensor = files[0].sensor
    product = _product(files[0], root)
    where = str(files[0].scene_dir)
    chosen: dict[str, _Raster] = {}
    for file in files:
        try:
            band = band_named(sensor, file.band)
        except InvalidInput:
            continue  # a band no composite reads (B01, B05, ...)
        raster = _header(file, band)
        kept = chosen.get(band.common_name)
        if kept is not None and math.isclose(raster.pixel_size, kept.pixel_size):
            raise InvalidInput(
                f"two files of band {band.name} with pixels of {raster.pixel_size:g}: "
                f"{kept.path.name} and {file.path.name}; keep one",
                file=str(file.path),
                record=product.id,
                field=band.name,
            )
        if kept is None or raster.pixel_size < kept.pixel_size:
            chosen[band.common_name] = raster
    needed = _needed(sensor, bands)
    missing = [band for band in needed if band.common_name not in chosen]
    if missing:
        lacking = ", ".join(f"{band.name} ({band.common_name})" for band in missing)
        raise InvalidInput(
            f"scene {product.id} has no file of {lacking}, which a scan needs; its band files: "
            f"{', '.join(sorted(f.path.name for f in files))}",
            file=where,
            record=product.id,
            field=missing[0].name,
        )
    first = min(chosen.values(), key=lambda raster: raster.pixel_size)
    for raster in chosen.values():
        if raster.crs != first.crs:
            raise InvalidInput(
                f"is in {raster.crs} where {first.path.name} of the same scene is in {first.crs}",
                file=str(raster.path),
                record=product.id,
                field="crs",
            )
    geometry, bbox = _footprint(first)
    when = product.when
    if when is None:
        raise InvalidInput(
            f"scene {product.id} has no acquisition date: no product name, no YYYYMMDD in its "
            "file or folder names (name a folder of each scene by its date, e.g. 20240115)",
            file=str(first.path),
            record=product.id,
            field="datetime",
        )
    if not product.timed and product.when is not None:
        longitude = (bbox[0] + bbox[2]) / 2
        when = _at_pass_time(when, longitude)
    quality = chosen[stac.QUALITY_BAND[sensor]]
    return _stac_item(product, sensor, when, geometry, bbox, chosen, _cloud_cover(quality, sensor))


def _needed(sensor: Sensor, bands: Sequence[str]) -> list[Band]:
    """The bands a composite of ``bands`` reads, its quality band last."""
    aliases = BAND_ALIASES.get(sensor, {})
    needed = {band_named(sensor, aliases.get(name, name)).common_name for name in bands}
    needed.add(stac.QUALITY_BAND[sensor])
    return [band for band in SENSOR_BANDS[sensor] if band.common_name in needed]


def _stac_item(
    product: _Product,
    sensor: Sensor,
    when: datetime,
    geometry: dict[str, Any],
    bbox: list[float],
    rasters: dict[str, _Raster],
    cloud_cover: float,
) -> pystac.Item:
    """The item, as the simulator's catalogs and Earth Search write them: the CRS on the item,
    each asset's own grid (``proj:shape``, ``proj:transform``) on the asset."""
    first = next(iter(rasters.values()))
    properties: dict[str, Any] = {
        "datetime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "constellation": "sentinel-2" if sensor is Sensor.SENTINEL2_L2A else "landsat",
        "eo:cloud_cover": cloud_cover,
    }
    if product.platform is not None:
        properties["platform"] = product.platform
    epsg = first.crs.to_epsg()
    if epsg is not None:
        properties["proj:epsg"] = epsg
    else:
        properties["proj:wkt2"] = pyproj.CRS.from_user_input(first.crs.to_wkt()).to_wkt()
    if product.baseline is not None:
        properties["s2:processing_baseline"] = product.baseline
    keys = stac.ASSET_KEYS[(sensor, _NAMING[sensor])]
    assets: dict[str, Any] = {}
    for name, raster in rasters.items():
        raster_band: dict[str, Any] = {"data_type": raster.dtype}
        if raster.nodata is not None and not math.isnan(raster.nodata):
            raster_band["nodata"] = raster.nodata
        assets[keys[name]] = {
            "href": str(raster.path.resolve()),
            "type": "image/jp2"
            if raster.path.suffix.lower() == ".jp2"
            else "image/tiff; application=geotiff",
            "roles": ["data"],
            "proj:shape": list(raster.shape),
            "proj:transform": list(raster.transform)[:6],
            "raster:bands": [raster_band],
        }
    feature = {
        "type": "Feature",
        "stac_version": "1.0.0",
        "stac_extensions": _EXTENSIONS,
        "id": product.id,
        "collection": _COLLECTIONS[sensor],
        "bbox": bbox,
        "geometry": geometry,
        "properties": properties,
        "assets": assets,
        "links": [],
    }
    item: pystac.Item = require_extra("pystac").Item.from_dict(feature, preserve_dict=True)
    return item


def _check_unique_ids(items: list[pystac.Item]) -> None:
    """Refuse two scenes of one id (a product copied twice): both would count as observations."""
    seen: dict[str, pystac.Item] = {}
    for item in items:
        other = seen.setdefault(item.id, item)
        if other is not item:
            here, there = (Path(next(iter(i.assets.values())).href) for i in (item, other))
            raise InvalidInput(
                f"two scenes have this id, in {there.parent} and {here.parent}: keep one copy",
                file=str(here),
                record=item.id,
            )


__all__: Sequence[str] = ("find_scenes", "read_scene_files")
