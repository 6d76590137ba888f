"""Scenes of plain band files in a folder, as the STAC items a local catalog would hold.

Users who downloaded Sentinel-2 L2A or Landsat Collection 2 Level-2 scenes as band files (GeoTIFF,
JPEG 2000) without a STAC catalog scan them with ``oresight earth scan --images FOLDER``.
:func:`find_scenes` finds the scenes under a folder and makes each a ``pystac.Item`` of the shape
:func:`oresight.earth.stac.read_scenes` gives for a local catalog (collection, datetime, WGS 84
footprint, ``proj:`` grid of every asset, ``eo:cloud_cover``, platform and, for Sentinel-2,
``s2:processing_baseline`` where the product name states it), so that the composites read them
unchanged; :func:`oresight.earth.stac.scene_search` keeps those of a period, area and cloud
cover, as it does a catalog's.

**Which files, and what their names say**: see :mod:`oresight.earth.scene_names`.

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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj

from oresight.core.errors import InvalidInput
from oresight.earth import scene_names, stac
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
    scenes: dict[tuple[Sensor, Path, str], list[scene_names.BandFile]] = {}
    for path in rasters:
        scene_names.refuse_other_products(path, root)
        found = scene_names.band_file(path, root)
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


def _at_pass_time(day: datetime, longitude: float) -> datetime:
    """The UTC time of ``day`` at which it is :data:`PASS_HOUR` local solar time at
    ``longitude``: a date alone would otherwise put scenes west of Greenwich on the solar day
    before."""
    hours = (PASS_HOUR - longitude / 15) % 24
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return midnight + timedelta(seconds=round(hours * 3600))


# --- rasters --------------------------------------------------------------------------------------


def _header(file: scene_names.BandFile, band: Band) -> _Raster:
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


def _item(files: list[scene_names.BandFile], root: Path, bands: Sequence[str]) -> pystac.Item:
    """One scene's files as a STAC item in the form of the catalogs oresight reads."""
    sensor = files[0].sensor
    product = scene_names.product(files[0], root)
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
    product: scene_names.Product,
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
        "stac_extensions": list(stac.ITEM_EXTENSIONS),
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
