"""Local band files (GeoTIFF, JPEG 2000) read into one xarray Dataset keyed by common band name.

Bands are read with ``rioxarray.open_rasterio``; given ``chunks`` they stay Dask-backed (read
block by block when computed, so the same code runs on a ``dask.distributed`` cluster), without
them they are read into memory at once. Digital numbers are kept as they are in the file (integer
quality bands must keep their bits); each variable keeps its file's nodata (``.rio.nodata``) and
its path (``attrs["source"]``). :func:`to_reflectance` turns DN into float32 reflectance with
NaN wherever the sensor's fill value or the file's nodata is.

Bands are only stacked when they share one pixel grid: same CRS, same resolution, same transform
and shape. Anything else is refused, naming both files, unless the caller asks to resample onto
the first band's grid (``rio.reproject_match``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oresight.core.errors import InvalidInput
from oresight.earth.bands import (
    LANDSAT8_L1_BANDS,
    AffineRule,
    LandsatMtl,
    Sensor,
    band_named,
    landsat_c2_rule,
    landsat_l1_rule,
    read_landsat_mtl,
    sentinel2_l2a_rule,
)
from oresight.earth.extra import require_extra
from oresight.earth.masks import landsat8_bqa_clear, masked_to_nan

if TYPE_CHECKING:
    import xarray as xr

Chunks = int | str | Mapping[str, int] | None
"""Dask chunking as rioxarray takes it (``512``, ``"auto"``, ``{"x": 1024, "y": 1024}``);
None reads into memory."""


@dataclass(frozen=True, slots=True)
class BandFile:
    """One band of a raster file: ``band`` counts from 1, as GDAL does."""

    path: Path
    band: int = 1


def open_bands(
    files: Mapping[str, str | Path | BandFile],
    *,
    chunks: Chunks = None,
    resample: bool = False,
    resampling: str = "nearest",
) -> xr.Dataset:
    """Open band files as one Dataset whose variables are named by the keys of ``files``.

    Every band must be on the first band's grid (CRS, resolution, transform, shape); otherwise
    :class:`InvalidInput` names both files and both values. With ``resample=True`` such a band
    is reprojected onto the first band's grid instead, with ``resampling`` (a
    ``rasterio.enums.Resampling`` name: ``nearest``, ``bilinear``, ``average``, ...).
    """
    if not files:
        raise InvalidInput("no band files given", field="files")
    resampler = _resampling(resampling) if resample else None
    arrays: dict[str, Any] = {}
    first: Any = None
    for name, source in files.items():
        band_file = source if isinstance(source, BandFile) else BandFile(Path(source))
        array = _open_band(band_file, chunks)
        if first is None:
            first = array
        elif resampler is not None and not _same_grid(first, array):
            array = array.rio.reproject_match(first, resampling=resampler)
            array.attrs["source"] = str(band_file.path)
        else:
            _check_same_grid(first, array)
        # Equal grids can still differ in the last bit of their coordinates; one set of x/y
        # keeps the Dataset from aligning (and NaN-padding) on them.
        arrays[name] = array.assign_coords(x=first.x, y=first.y)
    dataset: xr.Dataset = require_extra("xarray").Dataset(arrays).rio.write_crs(first.rio.crs)
    return dataset


def open_band(path: str | Path, *, band: int = 1, chunks: Chunks = None) -> xr.DataArray:
    """Open one band of one raster file as a 2-D (y, x) DataArray of its DN."""
    array: xr.DataArray = _open_band(BandFile(Path(path), band), chunks)
    return array


def mask_nodata(array: xr.DataArray) -> xr.DataArray:
    """The band as float32 with NaN where it equals its file's nodata (if it declares one)."""
    nodata = array.rio.nodata
    if nodata is None or (isinstance(nodata, float) and math.isnan(nodata)):
        floats: xr.DataArray = array.astype("float32")
        return floats
    masked: xr.DataArray = masked_to_nan(array, array != nodata)
    return masked


def to_reflectance(
    bands: xr.Dataset,
    sensor: Sensor,
    *,
    boa_add_offset: int | None = None,
    mtl: LandsatMtl | None = None,
) -> xr.Dataset:
    """Reflectance (float32) of the spectral bands of ``bands``, keyed by common name.

    Quality bands are left out (use :mod:`oresight.earth.masks` on them). Sentinel-2 L2A needs
    ``boa_add_offset`` (:func:`oresight.earth.bands.sentinel2_boa_offset`), Landsat Level-1 the
    ``mtl``. NaN wherever the sensor's fill value (DN 0) or the file's own nodata is.
    """
    rules = reflectance_rules(bands, sensor, boa_add_offset=boa_add_offset, mtl=mtl)
    converted: dict[str, Any] = {}
    for name, rule in rules.items():
        dn = bands[name]
        reflectance = rule.apply(dn)
        reflectance.attrs = {"source": dn.attrs.get("source"), "units": "1"}
        converted[name] = reflectance
    dataset: xr.Dataset = require_extra("xarray").Dataset(converted)
    return dataset


def reflectance_rules(
    bands: xr.Dataset,
    sensor: Sensor,
    *,
    boa_add_offset: int | None = None,
    mtl: LandsatMtl | None = None,
) -> dict[str, AffineRule]:
    """The rule turning each spectral band of ``bands`` to reflectance (see
    :func:`to_reflectance`, which applies them), the file's own nodata among its fills: for a
    scan that converts DN as it reads them (:func:`oresight.earth.disturbance.scan`)."""
    rules: dict[str, AffineRule] = {}
    for name in bands.data_vars:
        band = band_named(sensor, str(name))
        if band.is_quality:
            continue
        nodata = bands[name].rio.nodata
        if sensor is Sensor.SENTINEL2_L2A:
            if boa_add_offset is None:
                raise InvalidInput(
                    "Sentinel-2 L2A needs its BOA_ADD_OFFSET", field="boa_add_offset"
                )
            rule = sentinel2_l2a_rule(boa_add_offset, nodata=nodata)
        elif sensor is Sensor.LANDSAT_C2_L2:
            rule = landsat_c2_rule(nodata=nodata)
        else:
            if mtl is None or band.number is None:
                raise InvalidInput("Landsat Level-1 reflectance needs the MTL file", field="mtl")
            rule = landsat_l1_rule(mtl, band.number, nodata=nodata)
        rules[str(name)] = rule
    return rules


@dataclass(frozen=True)
class LandsatChip:
    """A Landsat 8 Level-1 scene (or chip of one) as reflectance, quality and clear mask."""

    reflectance: xr.Dataset
    """Top-of-atmosphere reflectance, keyed by common name (blue ... swir22)."""
    bqa: xr.DataArray
    """The pre-Collection quality band, as integers."""
    clear: xr.DataArray
    """:func:`oresight.earth.masks.landsat8_bqa_clear` of ``bqa`` with its default thresholds."""
    mtl: LandsatMtl


def read_landsat8_l1_chip(folder: str | Path, *, chunks: Chunks = None) -> LandsatChip:
    """Read a folder holding a Landsat 8 Level-1 product's ``*_B2`` ... ``*_B7``, ``*_BQA``
    GeoTIFFs and ``*_MTL.txt`` into TOA reflectance and a clear mask."""
    root = Path(folder)
    if not root.is_dir():
        raise InvalidInput("not a folder", file=str(root))
    files = {band.common_name: _one_file(root, f"_{band.name}.tif") for band in LANDSAT8_L1_BANDS}
    mtl = read_landsat_mtl(_one_file(root, "_MTL.txt"))
    dn = open_bands(files, chunks=chunks)
    bqa = dn["bqa"]
    return LandsatChip(
        reflectance=to_reflectance(dn.drop_vars("bqa"), Sensor.LANDSAT8_L1, mtl=mtl),
        bqa=bqa,
        clear=landsat8_bqa_clear(bqa),
        mtl=mtl,
    )


def _open_band(band_file: BandFile, chunks: Chunks) -> Any:
    """One band of one file as a (y, x) DataArray, or an error naming the file."""
    rioxarray = require_extra("rioxarray")
    raster_error = require_extra("rasterio.errors").RasterioError
    path = str(band_file.path)
    try:
        # Lazily read blocks without rioxarray's default lock, which lets one read at a time
        # run in the whole process: Dask's threads then decompress side by side (each read
        # opens the file anew: 1.4 ms for the benchmark's COGs).
        lock = None if chunks is None else False
        opened = rioxarray.open_rasterio(path, chunks=chunks, masked=False, lock=lock)
    except (raster_error, OSError) as exc:
        raise InvalidInput(f"not a readable raster: {exc}", file=path) from exc
    if not isinstance(opened, require_extra("xarray").DataArray):
        raise InvalidInput("holds several datasets, not one raster", file=path)
    count = opened.sizes["band"]
    if not 1 <= band_file.band <= count:
        opened.close()
        raise InvalidInput(f"has {count} band(s), asked for band {band_file.band}", file=path)
    if opened.rio.crs is None:
        opened.close()
        raise InvalidInput("has no coordinate reference system", file=path)
    array = opened.isel(band=band_file.band - 1, drop=True)
    if chunks is None:
        array = array.load()
        opened.close()
    array.attrs["source"] = path
    return array


def _check_same_grid(first: Any, other: Any) -> None:
    """Refuse ``other`` unless it shares ``first``'s CRS, resolution, transform and shape."""
    first_file, other_file = first.attrs["source"], other.attrs["source"]
    checks = (
        ("CRS", first.rio.crs == other.rio.crs, first.rio.crs, other.rio.crs),
        (
            "resolution",
            _close(first.rio.resolution(), other.rio.resolution()),
            first.rio.resolution(),
            other.rio.resolution(),
        ),
        ("shape (rows, columns)", first.shape == other.shape, first.shape, other.shape),
        (
            "grid transform",
            _close(tuple(first.rio.transform())[:6], tuple(other.rio.transform())[:6]),
            tuple(first.rio.transform())[:6],
            tuple(other.rio.transform())[:6],
        ),
    )
    for what, same, first_value, other_value in checks:
        if not same:
            raise InvalidInput(
                f"{what} {other_value} differs from {first_value} of {first_file}; the bands "
                "must share one grid (or open them with resample=True)",
                file=other_file,
            )


def _same_grid(first: Any, other: Any) -> bool:
    """Whether two bands share one pixel grid."""
    return bool(
        first.rio.crs == other.rio.crs
        and first.shape == other.shape
        and _close(tuple(first.rio.transform())[:6], tuple(other.rio.transform())[:6])
    )


def _close(left: tuple[float, ...], right: tuple[float, ...]) -> bool:
    """Element-wise equality up to float noise (1e-9 relative, 1e-6 map units absolute)."""
    return len(left) == len(right) and all(
        math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6) for a, b in zip(left, right, strict=True)
    )


def _resampling(name: str) -> Any:
    """The ``rasterio.enums.Resampling`` member called ``name``."""
    members = require_extra("rasterio.enums").Resampling.__members__
    if name not in members:
        raise InvalidInput(
            f"unknown resampling '{name}'; known: {', '.join(members)}", field="resampling"
        )
    return members[name]


def _one_file(folder: Path, suffix: str) -> Path:
    """The one file of ``folder`` whose name ends with ``suffix`` (case-insensitive)."""
    matches = sorted(p for p in folder.iterdir() if p.name.lower().endswith(suffix.lower()))
    if len(matches) != 1:
        found = ", ".join(p.name for p in matches) or "none"
        raise InvalidInput(
            f"expected exactly one file ending '{suffix}', found {found}",
            file=str(folder),
            field=suffix.strip("_").split(".")[0],
        )
    return matches[0]
