"""Small synthetic Sentinel-2 L2A and Landsat C2 L2 scenes, and the STAC items describing them.

Every scene is a 64 x 64 chip on one grid near Kolwezi (UTM zone 35 south, 20 m pixels), written
with rasterio as tiled GeoTIFFs. Its reflectance is a known surface plus a per-scene shift
(:func:`surface`); its digital numbers are that reflectance x 10,000, plus 1,000 where the real
product carries the radiometric offset of processing baseline 04.00 (``SceneSpec.dn_shift``,
stated per scene, not derived from the rule under test). Clouds are bright DN under SCL cloud
classes, so a median that let them in would show it.

The JSON files beside this module are what a STAC API (Earth Search style) would have answered:
``landing.json`` (the landing page), ``search-page-1.json`` and ``search-page-2.json`` (one search,
paged with a ``next`` link), ``search-empty.json`` (a search that found nothing) and
``items.json`` (the same scenes as a static ItemCollection with relative hrefs). Rewrite them
with ``python tests/earth/data/stac/synthetic.py``; the tests write the rasters to a temporary
folder with :func:`write_scene`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pystac
import rasterio
from affine import Affine
from pyproj import Transformer
from pystac.extensions.projection import ProjectionExtension

HERE = Path(__file__).resolve().parent
API_URL = "https://stac.example.test/v1"
ASSET_URL = "https://data.example.test/sentinel-2-l2a"

UTM_35S = 32735
PIXEL_M = 20.0
SHAPE = (64, 64)
ORIGIN = (332_000.0, 8_816_000.0)
"""Upper-left corner of the grid (UTM 35S), about 25.47 E, 10.71 S."""
TRANSFORM = Affine(PIXEL_M, 0.0, ORIGIN[0], 0.0, -PIXEL_M, ORIGIN[1])

S2_BANDS = ("blue", "green", "red", "nir", "swir16", "swir22")
PRODUCT_NAMES = {
    "blue": "B02",
    "green": "B03",
    "red": "B04",
    "nir": "B08",
    "swir16": "B11",
    "swir22": "B12",
    "scl": "SCL",
}
"""The Planetary Computer's asset keys (the product's band names)."""
CLOUD_DN = 8_000
"""DN of a cloudy pixel (reflectance 0.8 before any offset): far above every surface value."""
SCL_VEGETATION = 4
SCL_NOT_VEGETATED = 5


def surface(band: str, shift: float = 0.0) -> np.ndarray:
    """The reflectance of the ground in ``band``, plus ``shift``: a pattern of distinct values
    in steps of 0.0001, so that DN are whole numbers."""
    rows, cols = np.indices(SHAPE)
    base = 0.04 * (S2_BANDS.index(band) + 1) if band in S2_BANDS else 0.1
    return np.round(base + 0.0001 * ((rows + 2 * cols) % 97) + shift, 4)


@dataclass(frozen=True)
class SceneSpec:
    """One synthetic Sentinel-2 L2A scene."""

    scene_id: str
    when: datetime
    baseline: str | None
    """``s2:processing_baseline``; None leaves the property out."""
    dn_shift: int
    """What the product adds to DN: 1000 with the baseline-04.00 offset in the file, else 0."""
    shift: float = 0.0
    """Added to :func:`surface`, so that the scenes of a period differ."""
    cloud_rows: tuple[int, int] = (0, 0)
    """Rows [first, last) under cloud."""
    cloud_class: int = 9
    nodata_cols: tuple[int, int] = (0, 0)
    """Columns [first, last) without data (DN 0, SCL 0), as at a swath edge."""
    cloud_cover: float = 10.0
    offset_applied: bool | None = None
    """``earthsearch:boa_offset_applied``; None leaves the property out."""

    def cloudy(self) -> np.ndarray:
        mask = np.zeros(SHAPE, bool)
        mask[self.cloud_rows[0] : self.cloud_rows[1], :] = True
        return mask

    def no_data(self) -> np.ndarray:
        mask = np.zeros(SHAPE, bool)
        mask[:, self.nodata_cols[0] : self.nodata_cols[1]] = True
        return mask

    def clear(self) -> np.ndarray:
        """Where the scene sees the ground."""
        return ~self.cloudy() & ~self.no_data()


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


RECORDED_SCENES: tuple[SceneSpec, ...] = (
    SceneSpec(
        "S2A_35LLC_20210705_0_L2A",
        _when("2021-07-05T08:32:11"),
        "03.01",
        0,
        shift=0.0,
        cloud_rows=(0, 16),
        cloud_cover=18.2,
    ),
    SceneSpec(
        "S2B_35LLC_20220710_0_L2A",
        _when("2022-07-10T08:32:09"),
        "04.00",
        1000,
        shift=0.01,
        cloud_rows=(16, 32),
        cloud_class=3,  # cloud shadow
        cloud_cover=9.4,
    ),
    SceneSpec(
        "S2A_35LLC_20220804_0_L2A",
        _when("2022-08-04T08:32:14"),
        None,  # no baseline stated: the date decides
        1000,
        shift=0.03,
        cloud_rows=(0, 8),
        cloud_class=8,
        cloud_cover=4.0,
    ),
    SceneSpec(
        "S2B_35LLC_20220829_0_L2A",
        _when("2022-08-29T08:32:06"),
        "04.00",
        0,  # Earth Search shifted these DN back already
        shift=0.02,
        nodata_cols=(56, 64),
        cloud_cover=1.5,
        offset_applied=True,
    ),
    SceneSpec(
        "S2A_35LLC_20220913_0_L2A",
        _when("2022-09-13T08:32:12"),
        "04.00",
        1000,
        shift=0.2,
        cloud_cover=87.0,  # over the search's limit: a server that ignores the query sends it
    ),
    SceneSpec(
        "S2B_35LLC_20230210_0_L2A",
        _when("2023-02-10T08:32:01"),
        "05.09",
        1000,
        cloud_rows=(0, 64),  # the chip is under cloud; the tile as a whole much less
        cloud_cover=24.0,
    ),
)
PAGE_SIZE = 3


def write_tif(
    path: Path,
    data: np.ndarray,
    *,
    crs: Any = UTM_35S,
    transform: Affine = TRANSFORM,
    nodata: float | None = None,
) -> Path:
    """Write a one-band tiled GeoTIFF."""
    path.parent.mkdir(parents=True, exist_ok=True)
    profile: dict[str, Any] = {
        "driver": "GTiff",
        "width": data.shape[1],
        "height": data.shape[0],
        "count": 1,
        "dtype": data.dtype.name,
        "crs": rasterio.crs.CRS.from_user_input(crs),
        "transform": transform,
        "tiled": True,
        "blockxsize": 32,
        "blockysize": 32,
    }
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as target:
        target.write(data, 1)
    return path


def write_scene(
    spec: SceneSpec, folder: Path, *, naming: str = "common", bands: Sequence[str] = S2_BANDS
) -> dict[str, Path]:
    """Write a scene's band files as ``folder/<scene id>/<asset key>.tif``; returns them by
    asset key. ``naming`` is ``"common"`` (Earth Search) or ``"product"`` (Planetary
    Computer)."""
    cloudy, no_data = spec.cloudy(), spec.no_data()
    files: dict[str, Path] = {}
    for band in bands:
        dn = np.round(surface(band, spec.shift) * 10_000).astype(np.int64) + spec.dn_shift
        dn[cloudy] = CLOUD_DN + spec.dn_shift
        dn[no_data] = 0
        key = band if naming == "common" else PRODUCT_NAMES[band]
        files[key] = write_tif(folder / spec.scene_id / f"{key}.tif", dn.astype(np.uint16))
    scl = np.where((np.indices(SHAPE)[1] % 2) == 0, SCL_VEGETATION, SCL_NOT_VEGETATED)
    scl[cloudy] = spec.cloud_class
    scl[no_data] = 0
    key = "scl" if naming == "common" else "SCL"
    files[key] = write_tif(folder / spec.scene_id / f"{key}.tif", scl.astype(np.uint8))
    return files


def footprint(
    crs: Any = UTM_35S, transform: Affine = TRANSFORM, shape: tuple[int, int] = SHAPE
) -> tuple[dict[str, Any], list[float]]:
    """The grid's outline in lon/lat (GeoJSON) and its bounding box."""
    to_lonlat = Transformer.from_crs(crs, 4326, always_xy=True)
    rows, cols = shape
    corners = [(0, 0), (cols, 0), (cols, rows), (0, rows), (0, 0)]
    points = [
        tuple(round(v, 7) for v in to_lonlat.transform(*(transform @ corner))) for corner in corners
    ]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    outline = {"type": "Polygon", "coordinates": [[[lon, lat] for lon, lat in points]]}
    return outline, [min(lons), min(lats), max(lons), max(lats)]


def item_dict(spec: SceneSpec, hrefs: Mapping[str, str]) -> dict[str, Any]:
    """The scene as an Earth Search API returns it (STAC 1.0 JSON, proj/eo/raster 1.x)."""
    outline, bbox = footprint()
    properties: dict[str, Any] = {
        "datetime": spec.when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "platform": "sentinel-2a" if spec.scene_id.startswith("S2A") else "sentinel-2b",
        "constellation": "sentinel-2",
        "eo:cloud_cover": spec.cloud_cover,
        "proj:epsg": UTM_35S,
        "mgrs:utm_zone": 35,
        "mgrs:latitude_band": "L",
        "mgrs:grid_square": "LC",
    }
    if spec.baseline is not None:
        properties["s2:processing_baseline"] = spec.baseline
    if spec.offset_applied is not None:
        properties["earthsearch:boa_offset_applied"] = spec.offset_applied
    assets = {
        key: {
            "href": href,
            "type": "image/tiff; application=geotiff; profile=cloud-optimized",
            "roles": ["data"],
            "proj:shape": list(SHAPE),
            "proj:transform": list(TRANSFORM)[:6],
            "raster:bands": [
                {
                    "nodata": 0,
                    "data_type": "uint8" if key == "scl" else "uint16",
                    "spatial_resolution": PIXEL_M,
                }
            ],
        }
        for key, href in hrefs.items()
    }
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "stac_extensions": [
            "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
            "https://stac-extensions.github.io/projection/v1.1.0/schema.json",
            "https://stac-extensions.github.io/raster/v1.1.0/schema.json",
        ],
        "id": spec.scene_id,
        "collection": "sentinel-2-l2a",
        "bbox": bbox,
        "geometry": outline,
        "properties": properties,
        "assets": assets,
        "links": [],
    }


def sentinel2_item(
    spec: SceneSpec, files: Mapping[str, Path], *, collection: str = "sentinel-2-l2a"
) -> pystac.Item:
    """A pystac Item of a written scene (absolute local hrefs)."""
    document = item_dict(spec, {key: str(path) for key, path in files.items()})
    document["collection"] = collection
    return pystac.Item.from_dict(document)


def raster_item(
    item_id: str,
    when: datetime,
    files: Mapping[str, Path],
    *,
    collection: str,
    crs: int = UTM_35S,
    transform: Affine = TRANSFORM,
    shape: tuple[int, int] = SHAPE,
    properties: Mapping[str, Any] | None = None,
) -> pystac.Item:
    """An item of any grid (Landsat, other CRSs), with the projection extension."""
    outline, bbox = footprint(crs, transform, shape)
    item = pystac.Item(
        id=item_id,
        geometry=outline,
        bbox=bbox,
        datetime=when,
        properties=dict(properties or {}),
        collection=collection,
    )
    ProjectionExtension.add_to(item)
    ProjectionExtension.ext(item).epsg = crs
    for key, path in files.items():
        asset = pystac.Asset(href=str(path), media_type=pystac.MediaType.GEOTIFF, roles=["data"])
        item.add_asset(key, asset)
        ProjectionExtension.ext(asset).shape = list(shape)
        ProjectionExtension.ext(asset).transform = list(transform)[:6]
    return item


def _pages() -> dict[str, Any]:
    """The recorded answers of a search, keyed by file name."""
    features = [
        item_dict(
            spec,
            {key: f"{ASSET_URL}/{spec.scene_id}/{key}.tif" for key in (*S2_BANDS, "scl")},
        )
        for spec in RECORDED_SCENES
    ]
    first, second = features[:PAGE_SIZE], features[PAGE_SIZE:]
    search = f"{API_URL}/search"
    page_one = {
        "type": "FeatureCollection",
        "features": first,
        "numberReturned": len(first),
        "links": [
            {
                "rel": "next",
                "href": search,
                "method": "POST",
                "merge": True,
                "body": {"next": "page-2-token"},
                "type": "application/geo+json",
            }
        ],
    }
    page_two = {
        "type": "FeatureCollection",
        "features": second,
        "numberReturned": len(second),
        "links": [],
    }
    landing = {
        "type": "Catalog",
        "id": "synthetic-earth-search",
        "stac_version": "1.0.0",
        "description": "A recorded landing page of an Earth Search-like STAC API (test data).",
        "conformsTo": [
            "https://api.stacspec.org/v1.0.0/core",
            "https://api.stacspec.org/v1.0.0/item-search",
            "https://api.stacspec.org/v1.0.0/item-search#query",
            "https://api.stacspec.org/v1.0.0/ogcapi-features",
        ],
        "links": [
            {"rel": "self", "href": API_URL, "type": "application/json"},
            {"rel": "root", "href": API_URL, "type": "application/json"},
            {"rel": "search", "href": search, "type": "application/geo+json", "method": "GET"},
            {"rel": "search", "href": search, "type": "application/geo+json", "method": "POST"},
        ],
    }
    empty = {"type": "FeatureCollection", "features": [], "numberReturned": 0, "links": []}
    local = {
        "type": "FeatureCollection",
        "features": [
            item_dict(spec, {key: f"{spec.scene_id}/{key}.tif" for key in (*S2_BANDS, "scl")})
            for spec in RECORDED_SCENES
        ],
    }
    return {
        "landing.json": landing,
        "search-page-1.json": page_one,
        "search-page-2.json": page_two,
        "search-empty.json": empty,
        "items.json": local,
    }


def main() -> None:
    """Rewrite the recorded JSON files beside this module."""
    for name, document in _pages().items():
        (HERE / name).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
