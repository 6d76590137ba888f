"""Masks to polygons: a square of known size and place, scores, coverage without the never-clear
pixels, Dask blocks stitched back together, a scan as a detection layer, and the GeoJSON round
trip through the pillar's own reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import Point

from oresight.core.errors import InvalidInput
from oresight.earth.detections import read_area, read_detections
from oresight.earth.disturbance import DisturbanceScan, scan
from oresight.earth.vectorise import (
    RasterGrid,
    coverage,
    coverage_geojson,
    detection_layer,
    detections_geojson,
    footprints,
    write_geojson,
)
from oresight.sim.scenes import SceneSpec, synthetic_scene

xr = pytest.importorskip("xarray")
pytest.importorskip("rioxarray")
pytest.importorskip("scipy.ndimage")
pytestmark = pytest.mark.filterwarnings(
    "ignore:Use `@` matmul instead of `\\*` mul operator:PendingDeprecationWarning"
)

WEST, NORTH, PIXEL = 300_000.0, 8_820_000.0, 10.0
EPSG = 32735
TO_LONLAT = pyproj.Transformer.from_crs(f"EPSG:{EPSG}", "EPSG:4326", always_xy=True)


def raster(values: Any, *, crs: bool = True) -> Any:
    """A (y, x) DataArray on a 10 m UTM 35S grid whose top-left corner is (WEST, NORTH)."""
    rows, columns = np.shape(values)
    array = xr.DataArray(
        np.asarray(values),
        dims=("y", "x"),
        coords={
            "y": NORTH - (np.arange(rows) + 0.5) * PIXEL,
            "x": WEST + (np.arange(columns) + 0.5) * PIXEL,
        },
    )
    return array.rio.write_crs(f"EPSG:{EPSG}") if crs else array


def corner(row: int, column: int) -> tuple[float, float]:
    """The lon/lat of a pixel corner, by PROJ, independently of the code under test."""
    lon, lat = TO_LONLAT.transform(WEST + column * PIXEL, NORTH - row * PIXEL)
    return lon, lat


def test_a_square_comes_back_with_its_area_and_corners() -> None:
    mask = np.zeros((60, 80), dtype=bool)
    mask[10:30, 20:40] = True  # 20 x 20 pixels of 10 m: 4 ha
    found = footprints(raster(mask))
    assert len(found) == 1
    square = found[0]
    assert square.pixels == 400
    # Within one pixel's width all round: between 19 x 19 and 21 x 21 pixels.
    assert 19 * 19 * PIXEL**2 / 1e4 <= square.area_ha <= 21 * 21 * PIXEL**2 / 1e4
    assert square.area_ha == pytest.approx(4.0, rel=0.002)  # UTM's scale factor is ~1.0001
    assert square.native.equals(shapely.box(WEST + 200, NORTH - 300, WEST + 400, NORTH - 100))
    ring = shapely.get_coordinates(square.geometry)
    for row, column in ((10, 20), (10, 40), (30, 40), (30, 20)):
        lon, lat = corner(row, column)
        assert np.min(np.hypot(ring[:, 0] - lon, ring[:, 1] - lat)) < 1e-9
    assert square.score is None


def test_polygons_carry_the_mean_score_of_their_pixels() -> None:
    mask = np.zeros((20, 20), dtype=bool)
    mask[2:5, 2:6] = True  # 12 pixels
    mask[10:18, 10:12] = True  # 16 pixels
    score = np.linspace(0, 1, 400, dtype=np.float32).reshape(20, 20)
    found = footprints(raster(mask), score=raster(score))
    assert [f.pixels for f in found] == [16, 12]  # largest first
    assert found[0].score == pytest.approx(float(score[10:18, 10:12].mean()), rel=1e-6)
    assert found[1].score == pytest.approx(float(score[2:5, 2:6].mean()), rel=1e-6)


def test_dask_blocks_are_stitched_into_the_same_polygons() -> None:
    mask = np.zeros((40, 40), dtype=bool)
    mask[5:25, 7:30] = True  # crosses chunk edges at 16 and 32
    mask[14:18, 30:34] = True  # a lobe in the next block
    mask[32, 31] = mask[31, 32] = True  # two pixels touching at a corner across blocks
    eager = footprints(raster(mask), score=raster(mask * 0.75))
    lazy = footprints(raster(mask).chunk({"y": 16, "x": 16}), score=raster(mask * 0.75))
    assert [f.pixels for f in lazy] == [f.pixels for f in eager] == [476, 1, 1]
    for a, b in zip(eager, lazy, strict=True):
        assert a.native.equals(b.native)
        assert a.score == pytest.approx(b.score)
        assert a.geometry.is_valid


def test_coverage_leaves_out_the_never_clear_pixels() -> None:
    observed = np.ones((50, 50), dtype=bool)
    observed[20:35, 10:25] = False  # 15 x 15 never clear
    covered = coverage(raster(observed))
    assert covered.is_valid
    centre_of_hole = Point(*TO_LONLAT.transform(WEST + 175, NORTH - 275))
    seen_point = Point(*TO_LONLAT.transform(WEST + 400, NORTH - 100))
    assert not covered.intersects(centre_of_hole.buffer(1e-5))
    assert covered.contains(seen_point)
    hole_lonlat = shapely.box(
        *TO_LONLAT.transform(WEST + 100, NORTH - 350), *TO_LONLAT.transform(WEST + 250, NORTH - 200)
    )
    assert covered.intersection(hole_lonlat).area < 0.02 * hole_lonlat.area
    lazy = coverage(raster(observed).chunk({"y": 16, "x": 16}))
    assert lazy.equals(covered)
    assert coverage(raster(np.zeros((4, 4), dtype=bool))).is_empty


@pytest.fixture(scope="module")
def scanned() -> DisturbanceScan:
    scene = synthetic_scene(
        SceneSpec(seed=31, height=300, width=300, scars=4, negatives_per_kind=1)
    )
    return scan(scene.composite)


def test_a_scan_becomes_a_detection_layer(scanned: DisturbanceScan) -> None:
    layer = detection_layer(scanned, layer_id="scan-2023", source="oresight scan", min_area_ha=0.2)
    assert layer.detections and all(d.area_ha >= 0.2 for d in layer.detections)
    assert all(d.period.label == "2023" and d.layer == "scan-2023" for d in layer.detections)
    assert all(d.score is not None and 0.5 <= d.score <= 1 for d in layer.detections)
    assert layer.coverage is not None
    for detection in layer.detections:
        assert layer.covers(detection.geometry.representative_point())
    # The footprint's cloud is outside the coverage.
    clear_count = scanned.observed.values
    row, column = np.argwhere(~clear_count)[0]
    cloud = Point(*TO_LONLAT.transform(WEST + (column + 0.5) * PIXEL, NORTH - (row + 0.5) * PIXEL))
    assert not layer.covers(cloud.buffer(1e-6))


def test_geojson_round_trip_through_read_detections(
    scanned: DisturbanceScan, tmp_path: Path
) -> None:
    layer = detection_layer(scanned, layer_id="scan-2023", source="oresight scan")
    path = tmp_path / "detections.geojson"
    write_geojson(detections_geojson(layer), path)
    coverage_path = tmp_path / "coverage.geojson"
    write_geojson(coverage_geojson(layer), coverage_path)
    back = read_detections(
        path, layer_id="again", source="oresight scan", coverage=read_area(coverage_path)
    )
    assert len(back.detections) == len(layer.detections)
    for original, read in zip(layer.detections, back.detections, strict=True):
        assert read.period == original.period
        assert read.geometry.equals_exact(original.geometry, 1e-12)
        assert read.area_ha == pytest.approx(original.area_ha)
        assert read.score == pytest.approx(original.score, abs=1e-4)
        # A scan's area_ha is the footprint's own area, not a statement of mined ground.
        assert read.stated_area_ha is None
    assert back.coverage is not None and back.coverage.equals(layer.coverage)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert set(document["features"][0]["properties"]) >= {"area_ha", "period", "score"}


def test_unusable_rasters_are_refused(scanned: DisturbanceScan) -> None:
    with pytest.raises(InvalidInput) as no_crs:
        RasterGrid.of(raster(np.zeros((3, 3), dtype=bool), crs=False))
    assert no_crs.value.field == "crs"
    undated = DisturbanceScan(
        score=scanned.score,
        disturbed=scanned.disturbed,
        observed=scanned.observed,
        period="sometime",
        threshold=0.5,
        min_pixels=10,
    )
    with pytest.raises(InvalidInput) as period:
        detection_layer(undated, layer_id="x", source="y")
    assert period.value.field == "period"


def test_scan_and_layer_run_on_a_distributed_cluster(scanned: DisturbanceScan) -> None:
    distributed = pytest.importorskip("dask.distributed")
    scene = synthetic_scene(
        SceneSpec(seed=31, height=300, width=300, scars=4, negatives_per_kind=1)
    )
    eager = detection_layer(scanned, layer_id="a", source="s")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        lazy_scan = scan(scene.composite.chunk({"y": 128, "x": 128}))
        lazy = detection_layer(lazy_scan, layer_id="a", source="s")
        assert np.array_equal(lazy_scan.score.values, scanned.score.values, equal_nan=True)
    assert [d.geometry.wkb for d in lazy.detections] == [d.geometry.wkb for d in eager.detections]
    assert lazy.coverage is not None and lazy.coverage.equals(eager.coverage)
