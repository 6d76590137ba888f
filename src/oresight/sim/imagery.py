"""Synthetic scenes written as a user would receive imagery: Sentinel-2 L2A items of a STAC catalog.

A composite of :mod:`oresight.sim.scenes` (surface reflectance per common band name, with
``clear_count``) becomes one Sentinel-2 L2A acquisition: a tiled, compressed GeoTIFF per band in
digital numbers as the product stores them (``reflectance x 10000``, plus 1000 for processing
baseline 04.00 and later: products acquired from 2022-01-25), the scene classification (``SCL``:
vegetation or bare soil where clear, high cloud where the composite never saw the ground) and a
STAC Item in Earth Search's form (common-name assets, ``s2:processing_baseline``,
``eo:cloud_cover``, projection metadata). All the items go into one ``items.json``
FeatureCollection that ``oresight earth scan --items`` reads, with hrefs relative to it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj

from oresight.earth.extra import require_extra
from oresight.earth.stac import ITEM_EXTENSIONS

if TYPE_CHECKING:
    import xarray as xr

BANDS = ("blue", "green", "red", "nir", "swir16", "swir22")
OFFSET_FROM = datetime(2022, 1, 25, tzinfo=UTC)
"""Processing baseline 04.00: DN carry a +1000 offset from this date."""
BOA_OFFSET = 1000
SCL_VEGETATION, SCL_NOT_VEGETATED, SCL_CLOUD_HIGH = 4, 5, 9
ITEMS_FILE = "items.json"


@dataclass(frozen=True)
class Acquisition:
    """One composite to write as one scene, acquired at ``when``."""

    scene_id: str
    when: datetime
    composite: xr.Dataset


def write_items(acquisitions: Sequence[Acquisition], folder: Path) -> Path:
    """Write every acquisition's band files and the ``items.json`` catalog; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    features = [_write_scene(acquisition, folder) for acquisition in acquisitions]
    path = folder / ITEMS_FILE
    path.write_bytes(
        (json.dumps({"type": "FeatureCollection", "features": features}, indent=1) + "\n").encode()
    )
    return path


def _write_scene(acquisition: Acquisition, folder: Path) -> dict[str, Any]:
    rasterio = require_extra("rasterio")
    composite = acquisition.composite
    crs = composite.rio.crs
    transform = composite.rio.transform()
    height, width = composite.sizes["y"], composite.sizes["x"]
    clear = np.asarray(composite["clear_count"].values) > 0
    shift = BOA_OFFSET if acquisition.when >= OFFSET_FROM else 0
    scene_dir = folder / acquisition.scene_id
    scene_dir.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "crs": crs,
        "transform": transform,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "nodata": 0,
    }
    assets: dict[str, Any] = {}
    for band in BANDS:
        reflectance = np.nan_to_num(np.asarray(composite[band].values, dtype=np.float64))
        dn = np.clip(np.round(reflectance * 10_000) + shift, 1, 65_535).astype(np.uint16)
        path = scene_dir / f"{band}.tif"
        with rasterio.open(path, "w", dtype="uint16", **profile) as target:
            target.write(dn, 1)
        assets[band] = _asset(path, folder, "uint16", height, width, transform)
    ndvi = _ndvi(composite)
    scl = np.where(ndvi > 0.4, SCL_VEGETATION, SCL_NOT_VEGETATED).astype(np.uint8)
    scl[~clear] = SCL_CLOUD_HIGH
    path = scene_dir / "scl.tif"
    with rasterio.open(path, "w", dtype="uint8", **profile) as target:
        target.write(scl, 1)
    assets["scl"] = _asset(path, folder, "uint8", height, width, transform)
    outline, bbox = _footprint(crs, transform, height, width)
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "stac_extensions": list(ITEM_EXTENSIONS),
        "id": acquisition.scene_id,
        "collection": "sentinel-2-l2a",
        "bbox": bbox,
        "geometry": outline,
        "properties": {
            "datetime": acquisition.when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "platform": "sentinel-2a",
            "constellation": "sentinel-2",
            "eo:cloud_cover": round(100 * float((~clear).mean()), 2),
            "proj:epsg": crs.to_epsg(),
            "s2:processing_baseline": "05.10" if shift else "03.01",
        },
        "assets": assets,
        "links": [],
    }


def _asset(
    path: Path, folder: Path, dtype: str, height: int, width: int, transform: Any
) -> dict[str, Any]:
    return {
        "href": path.relative_to(folder).as_posix(),
        "type": "image/tiff; application=geotiff",
        "roles": ["data"],
        "proj:shape": [height, width],
        "proj:transform": list(transform)[:6],
        "raster:bands": [{"nodata": 0, "data_type": dtype}],
    }


def _ndvi(composite: xr.Dataset) -> np.ndarray:
    nir = np.asarray(composite["nir"].values, dtype=np.float64)
    red = np.asarray(composite["red"].values, dtype=np.float64)
    total = nir + red
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (nir - red) / np.where(total > 0, total, 1), 0.0)


def _footprint(
    crs: Any, transform: Any, height: int, width: int
) -> tuple[dict[str, Any], list[float]]:
    to_lonlat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    corners = [(0, 0), (width, 0), (width, height), (0, height), (0, 0)]
    a, b, c, d, e, f = list(transform)[:6]
    points = [
        to_lonlat.transform(a * col + b * row + c, d * col + e * row + f) for col, row in corners
    ]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    ring = [[round(lon, 7), round(lat, 7)] for lon, lat in points]
    return {"type": "Polygon", "coordinates": [ring]}, [min(lons), min(lats), max(lons), max(lats)]
