"""Median composites from synthetic STAC scenes written here (tests/earth/data/stac/synthetic.py):
reflectance harmonised across the Sentinel-2 baseline change, clouds kept out of the median,
clear counts, data gaps, the Dask path, reprojection and Landsat QA_PIXEL masking.

Expected values come from the scenes' specification (the surface each scene shows and where its
clouds are), computed here with numpy, never from the code under test."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from oresight.core.errors import InvalidInput
from oresight.earth.periods import ObservationPeriod, parse_period

pytest.importorskip("odc.stac")
pytest.importorskip("rioxarray")
rasterio = pytest.importorskip("rasterio")
from affine import Affine  # noqa: E402  (rasterio's dependency; only after the skips above)
from pyproj import Transformer  # noqa: E402

from oresight.earth.composites import (  # noqa: E402
    clear_fraction,
    clear_observation_gap,
    composite_periods,
    load_observations,
    median_composite,
)
from oresight.earth.stac import SceneSearch, read_scenes  # noqa: E402
from tests.earth.data.stac import synthetic as syn  # noqa: E402

pytestmark = [
    # odc-geo reprojects footprints with shapely.ops.transform, which shapely 2.1 deprecates.
    pytest.mark.filterwarnings(
        "ignore:The 'shapely.ops.transform\\(\\)' function is deprecated:DeprecationWarning"
    ),
]

PLACE = "Kolwezi pit"
GRID = {"crs": "EPSG:32735", "resolution": 20.0}
SPECS = {spec.scene_id: spec for spec in syn.RECORDED_SCENES}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> SceneSearch:
    """The recorded scenes written to disk and read through the static ItemCollection, keeping
    those with at most 30 % cloud (the 87 % scene drops out)."""
    folder = tmp_path_factory.mktemp("scenes")
    for spec in syn.RECORDED_SCENES:
        syn.write_scene(spec, folder)
    shutil.copy(syn.HERE / "items.json", folder / "items.json")
    return read_scenes(folder / "items.json", max_cloud_cover=30, place=PLACE)


def expected_composite(specs: list[syn.SceneSpec], band: str) -> tuple[np.ndarray, np.ndarray]:
    """Median of each pixel's clear observations and their count, from the specification."""
    stack = np.ma.masked_array(
        [syn.surface(band, spec.shift) for spec in specs],
        mask=[~spec.clear() for spec in specs],
    )
    count = (~np.ma.getmaskarray(stack)).sum(axis=0)
    median = np.ma.median(stack, axis=0).filled(np.nan)
    return np.where(count > 0, median, np.nan), count


def in_period(period: ObservationPeriod, search: SceneSearch) -> list[syn.SceneSpec]:
    return [
        SPECS[item.id]
        for item in search.items
        if period.start <= item.datetime.date() <= period.end
    ]


def test_clouds_stay_out_of_the_median_and_clear_count_counts(recorded: SceneSearch) -> None:
    assert len(recorded.items) == 5
    observations = load_observations(recorded, bands=["red", "swir16"], **GRID)
    periods = [parse_period("2021"), parse_period("2022")]
    composites = composite_periods(observations, periods)
    assert list(composites) == ["2021", "2022"]
    for period in periods:
        composite = composites[period.label]
        specs = in_period(period, recorded)
        assert composite.attrs == {
            "period": period.label,
            "scenes": [spec.scene_id for spec in specs],
            "sensor": "sentinel-2-l2a",
        }
        assert set(composite.data_vars) == {"red", "swir16", "clear_count"}
        assert composite["clear_count"].dtype == np.int16
        assert composite["red"].dims == ("y", "x")
        assert composite["red"].attrs == {"units": "1"}
        assert "units" not in composite["clear_count"].attrs
        for band in ("red", "swir16"):
            median, count = expected_composite(specs, band)
            assert composite[band].dtype == np.float32
            np.testing.assert_allclose(composite[band].values, median, atol=1e-6)
            np.testing.assert_array_equal(composite["clear_count"].values, count)
    # 2021: one scene, its top 16 rows under cloud; 2022: three scenes.
    np.testing.assert_array_equal(composites["2021"]["clear_count"].values[:16], 0)
    assert int(composites["2022"]["clear_count"].max()) == 3
    # A cloud pixel (reflectance 0.8) never reaches the median.
    assert float(composites["2022"]["swir16"].max()) < 0.5


def test_composite_is_on_the_requested_grid(recorded: SceneSearch) -> None:
    composite = median_composite(load_observations(recorded, **GRID), parse_period("2022"))
    # The contract's variables, by default.
    assert set(composite.data_vars) == {*syn.S2_BANDS, "clear_count"}
    assert composite.rio.crs.to_epsg() == 32735
    assert composite.rio.transform() == syn.TRANSFORM
    assert composite["red"].shape == syn.SHAPE


def test_an_area_of_interest_limits_the_grid(recorded: SceneSearch) -> None:
    from shapely.geometry import box

    to_lonlat = Transformer.from_crs(32735, 4326, always_xy=True)
    # 10 x 5 pixels inside the chip, in lon/lat.
    west, north = syn.ORIGIN[0] + 200, syn.ORIGIN[1] - 400
    lon0, lat0 = to_lonlat.transform(west, north)
    lon1, lat1 = to_lonlat.transform(west + 200, north - 100)
    aoi = box(min(lon0, lon1), min(lat0, lat1), max(lon0, lon1), max(lat0, lat1))
    observations = load_observations(recorded, bands=["red"], aoi=aoi, **GRID)
    ys, xs = observations["red"].shape[1:]
    # The lon/lat box is a little larger than the UTM box it came from: a pixel more at most.
    assert 5 <= ys <= 7 and 10 <= xs <= 12
    composite = median_composite(observations, parse_period("2022"))
    # The grid stays on the scenes' 20 m lattice, so its pixels are the chip's pixels.
    transform = composite.rio.transform()
    row = round((syn.ORIGIN[1] - transform.f) / 20)
    col = round((transform.c - syn.ORIGIN[0]) / 20)
    median, _ = expected_composite(in_period(parse_period("2022"), recorded), "red")
    np.testing.assert_allclose(
        composite["red"].values, median[row : row + ys, col : col + xs], atol=1e-6
    )


def test_sentinel2_is_harmonised_across_the_baseline_change(tmp_path: Path) -> None:
    # One surface seen five times, each product storing it its own way.
    def when(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)

    specs = [
        syn.SceneSpec("S2A_old_0301", when("2021-06-01T08:30:00"), "03.01", 0),
        syn.SceneSpec("S2A_new_0400", when("2022-06-01T08:30:00"), "04.00", 1000),
        syn.SceneSpec("S2A_new_undated", when("2022-03-01T08:30:00"), None, 1000),
        syn.SceneSpec("S2A_old_reprocessed", when("2020-06-01T08:30:00"), "05.00", 1000),
        syn.SceneSpec(
            "S2A_new_shifted_back", when("2022-05-01T08:30:00"), "04.00", 0, offset_applied=True
        ),
    ]
    items = [syn.sentinel2_item(spec, syn.write_scene(spec, tmp_path)) for spec in specs]
    observations = load_observations(items, bands=["red", "nir"], **GRID)
    assert observations.sizes["time"] == 5
    by_scene = {ids[0]: i for i, ids in enumerate(observations["scenes"].values)}
    for spec in specs:
        index = by_scene[spec.scene_id]
        for band in ("red", "nir"):
            np.testing.assert_allclose(
                observations[band].isel(time=index).values, syn.surface(band), atol=1e-6
            )
    # The offset each observation got: -1000 exactly where the file holds DN + 1000, except
    # where Earth Search says it took the 1000 back out (then the file holds plain DN).
    offsets = {spec.scene_id: -spec.dn_shift for spec in specs}
    for scene, index in by_scene.items():
        assert int(observations["boa_add_offset"].values[index]) == offsets[scene]


def test_fully_clouded_and_empty_periods_are_data_gaps(recorded: SceneSearch) -> None:
    observations = load_observations(recorded, bands=["red"], **GRID)
    cloudy = median_composite(observations, parse_period("2023-Q1"))
    assert cloudy.attrs["scenes"] == ["S2B_35LLC_20230210_0_L2A"]
    assert int(cloudy["clear_count"].max()) == 0
    assert bool(np.isnan(cloudy["red"].values).all())
    assert clear_fraction(cloudy) == 0.0
    gap = clear_observation_gap(cloudy, place=PLACE)
    assert gap is not None and gap.startswith("no clear observation of Kolwezi pit in 2023-Q1")
    assert "1 scene(s)" in gap

    nothing = median_composite(observations, parse_period("2024"))
    assert nothing.attrs["scenes"] == []
    assert nothing["clear_count"].dtype == np.int16 and int(nothing["clear_count"].max()) == 0
    assert nothing["red"].shape == syn.SHAPE and nothing.rio.crs.to_epsg() == 32735
    assert "units" not in nothing["clear_count"].attrs
    assert clear_observation_gap(nothing, place=PLACE) == (
        "no clear observation of Kolwezi pit in 2024: no scene in the period"
    )

    seen = median_composite(observations, parse_period("2021"))
    # 2021's only scene is clouded over rows 0-15 of 64: a quarter of the chip unseen.
    assert clear_fraction(seen) == pytest.approx(48 / 64)
    assert clear_observation_gap(seen, place=PLACE) is None
    partial = clear_observation_gap(seen, place=PLACE, min_clear_fraction=0.9)
    assert partial is not None and partial.startswith("only 75.0% of Kolwezi pit observed clear")


def test_dask_composite_is_lazy_and_equals_the_in_memory_one(recorded: SceneSearch) -> None:
    dask_array = pytest.importorskip("dask.array")
    period = parse_period("2022")
    eager = median_composite(load_observations(recorded, bands=["red", "nir"], **GRID), period)
    lazy_observations = load_observations(recorded, bands=["red", "nir"], chunks=32, **GRID)
    assert isinstance(lazy_observations["red"].data, dask_array.Array)
    lazy = median_composite(lazy_observations, period)
    for name in ("red", "nir", "clear_count"):
        assert isinstance(lazy[name].data, dask_array.Array), name
        assert lazy[name].chunks == ((32, 32), (32, 32))
    computed = lazy.compute()
    for name in ("red", "nir", "clear_count"):
        np.testing.assert_array_equal(computed[name].values, eager[name].values)
        assert computed[name].dtype == eager[name].dtype
    assert computed.attrs == eager.attrs
    assert clear_observation_gap(lazy, place=PLACE) is None


def test_scenes_in_another_crs_are_reprojected(tmp_path: Path) -> None:
    # A scene stored in lon/lat (EPSG:4326), inside the UTM chip, whose value steps by column.
    step, size = 0.00005, 150  # degrees (about 5.5 m), pixels
    west, north = 25.4650, -10.7080
    dn = np.tile((1000 + 10 * np.arange(size)).astype(np.uint16), (size, 1))
    lonlat = Affine(step, 0.0, west, 0.0, -step, north)
    scl = np.full((size, size), 4, np.uint8)
    files = {
        "red": syn.write_tif(tmp_path / "geo" / "red.tif", dn, crs=4326, transform=lonlat),
        "scl": syn.write_tif(tmp_path / "geo" / "scl.tif", scl, crs=4326, transform=lonlat),
    }
    geographic = syn.raster_item(
        "S2A_lonlat",
        datetime(2022, 7, 20, 8, 30, tzinfo=UTC),
        files,
        collection="sentinel-2-l2a",
        crs=4326,
        transform=lonlat,
        shape=(size, size),
        properties={"s2:processing_baseline": "03.01"},
    )
    spec = syn.SceneSpec("S2B_utm", datetime(2022, 7, 10, 8, 30, tzinfo=UTC), "04.00", 1000)
    utm = syn.sentinel2_item(spec, syn.write_scene(spec, tmp_path, bands=["red"]))
    observations = load_observations([utm, geographic], bands=["red"], **GRID)
    assert observations.rio.crs.to_epsg() == 32735
    assert observations.rio.transform() == syn.TRANSFORM  # the union of both is the UTM chip
    assert observations["red"].shape[1:] == syn.SHAPE
    np.testing.assert_allclose(observations["red"].isel(time=0).values, syn.surface("red"), 1e-6)
    # Expected: the lon/lat pixel under each UTM pixel centre; NaN outside the scene.
    xs, ys = np.meshgrid(observations.x.values, observations.y.values)
    lons, lats = Transformer.from_crs(32735, 4326, always_xy=True).transform(xs, ys)
    columns, rows = np.floor((lons - west) / step), np.floor((north - lats) / step)
    inside = (columns >= 0) & (columns < size) & (rows >= 0) & (rows < size)
    expected = np.where(inside, (1000 + 10 * columns) / 10_000, np.nan)
    reprojected = observations["red"].isel(time=1).values
    # Pixel centres on a source pixel's edge may go either way: compare where both have data.
    assert (np.isfinite(reprojected) == inside).mean() > 0.98
    assert 1600 < inside.sum() < 1800  # about (150 x 5.5 m / 20 m) squared
    both = np.isfinite(reprojected) & inside
    close = np.isclose(reprojected[both], expected[both], atol=1e-6)
    assert close.mean() > 0.95
    assert np.abs(reprojected[both] - expected[both]).max() <= 10 / 10_000 + 1e-6


def test_landsat_qa_pixel_masks_cloud_shadow_and_fill(tmp_path: Path) -> None:
    clear_land, clear_water, cloud, shadow, fill = 21824, 21952, 22280, 21840, 1
    # Landsat's lattice: corners 15 m off the multiples of 30 m.
    transform = Affine(30.0, 0.0, 331_995.0, 0.0, -30.0, 8_816_025.0)
    rows, cols = np.indices(syn.SHAPE)
    truths: list[dict[str, np.ndarray]] = []
    clears: list[np.ndarray] = []
    items = []
    for number, day in enumerate((14, 30)):
        qa = np.full(syn.SHAPE, clear_land, np.uint16)
        qa[rows % 7 == 0] = clear_water  # water is clear too
        if number == 0:
            qa[:10] = cloud
            qa[:, 60:] = fill
        else:
            qa[:, :8] = shadow
        folder = tmp_path / f"ls{number}"
        files = {"qa_pixel": syn.write_tif(folder / "qa_pixel.tif", qa, transform=transform)}
        truth = {}
        for band, base in (("red", 9000), ("nir08", 15000)):
            dn = (base + 3 * rows + 5 * cols + 400 * number).astype(np.uint16)
            dn[qa == cloud] = 40000
            dn[qa == fill] = 0
            files[band] = syn.write_tif(folder / f"{band}.tif", dn, transform=transform)
            # USGS Collection 2 Level-2 surface reflectance scaling.
            truth[band] = dn * 0.0000275 - 0.2
        truths.append(truth)
        clears.append((qa == clear_land) | (qa == clear_water))
        items.append(
            syn.raster_item(
                f"LC09_L2SP_173068_202206{day}_02_T1",
                datetime(2022, 6, day, 8, 15, tzinfo=UTC),
                files,
                collection="landsat-c2-l2",
                transform=transform,
                properties={"eo:cloud_cover": 12.0},
            )
        )
    # Landsat's nir08 asked for as "nir", the name a Sentinel-2 composite has.
    observations = load_observations(items, bands=["red", "nir"], crs="EPSG:32735")
    assert set(observations.data_vars) == {"red", "nir", "clear"}
    assert "boa_add_offset" not in observations.coords
    composite = median_composite(observations, parse_period("2022-06"))
    assert composite.attrs["sensor"] == "landsat-c2-l2"
    assert composite.rio.transform() == transform  # 30 m on the scenes' lattice
    count = clears[0].astype(int) + clears[1].astype(int)
    np.testing.assert_array_equal(composite["clear_count"].values, count)
    for name, band in (("red", "red"), ("nir", "nir08")):
        stack = np.ma.masked_array([t[band] for t in truths], mask=[~c for c in clears])
        expected = np.where(count > 0, np.ma.median(stack, axis=0).filled(np.nan), np.nan)
        np.testing.assert_allclose(composite[name].values, expected, atol=1e-6)
    # Cloud in the first scene, shadow in the second: top-left corner never clear.
    assert int(composite["clear_count"].values[0, 0]) == 0


def test_planetary_computer_asset_names_load_the_same(tmp_path: Path) -> None:
    spec = syn.RECORDED_SCENES[1]
    common = syn.sentinel2_item(spec, syn.write_scene(spec, tmp_path / "es", bands=["red"]))
    product = syn.sentinel2_item(
        spec, syn.write_scene(spec, tmp_path / "pc", naming="product", bands=["red"])
    )
    assert set(product.assets) == {"B04", "SCL"}
    from_es = load_observations([common], bands=["red"], **GRID)
    from_pc = load_observations([product], bands=["red"], **GRID)
    np.testing.assert_array_equal(from_pc["red"].values, from_es["red"].values)
    np.testing.assert_array_equal(from_pc["clear"].values, from_es["clear"].values)
    with pytest.raises(InvalidInput, match="one service at a time"):
        load_observations([common, product], bands=["red"], **GRID)


def test_scenes_of_one_pass_fuse_into_one_observation(tmp_path: Path) -> None:
    when = datetime(2022, 7, 10, 8, 30, tzinfo=UTC)
    west = syn.SceneSpec("S2B_tile_west", when, "04.00", 1000, nodata_cols=(32, 64))
    east = syn.SceneSpec(
        "S2B_tile_east", when.replace(second=5), "04.00", 1000, nodata_cols=(0, 32)
    )
    # The same day's product as an older processing, with another offset: kept apart.
    older = syn.SceneSpec("S2B_tile_west_0301", when, "03.01", 0, nodata_cols=(32, 64))
    items: list[Any] = [
        syn.sentinel2_item(spec, syn.write_scene(spec, tmp_path, bands=["red"]))
        for spec in (west, east, older)
    ]
    observations = load_observations(items, bands=["red"], **GRID)
    assert observations.sizes["time"] == 2
    scenes = [tuple(ids) for ids in observations["scenes"].values]
    assert sorted(scenes) == [("S2B_tile_west", "S2B_tile_east"), ("S2B_tile_west_0301",)]
    fused = observations.isel(time=scenes.index(("S2B_tile_west", "S2B_tile_east")))
    assert bool(fused["clear"].all())
    np.testing.assert_allclose(fused["red"].values, syn.surface("red"), atol=1e-6)
    composite = median_composite(observations, parse_period("2022-07"))
    expected_count = np.where(np.indices(syn.SHAPE)[1] < 32, 2, 1)
    np.testing.assert_array_equal(composite["clear_count"].values, expected_count)


def test_bad_requests_are_refused(recorded: SceneSearch, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="quality band"):
        load_observations(recorded, bands=["red", "scl"], **GRID)
    with pytest.raises(InvalidInput, match="has no band 'thermal'"):
        load_observations(recorded, bands=["thermal"], **GRID)
    with pytest.raises(InvalidInput, match="no scenes to load"):
        load_observations([], **GRID)
    landsat = syn.raster_item(
        "LC09_x",
        datetime(2022, 6, 1, tzinfo=UTC),
        {"red": tmp_path / "red.tif", "qa_pixel": tmp_path / "qa.tif"},
        collection="landsat-c2-l2",
    )
    with pytest.raises(InvalidInput, match="several sensors"):
        load_observations([*recorded.items, landsat], bands=["red"], **GRID)
    observations = load_observations(recorded, bands=["red"], **GRID)
    with pytest.raises(InvalidInput, match="given twice"):
        composite_periods(observations, [parse_period("2022"), parse_period("2022")])
    with pytest.raises(InvalidInput, match="not observations"):
        median_composite(observations.drop_vars("clear"), parse_period("2022"))
    composite = median_composite(observations, parse_period("2022"))
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        clear_observation_gap(composite, place=PLACE, min_clear_fraction=2)
