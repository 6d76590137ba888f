"""Spectral indices that show bare ground, water and sediment: the signs of mining disturbance.

Each index takes reflectance (not DN: the offsets of :mod:`oresight.earth.bands` must be applied
first, or normalised differences are biased) as numpy arrays or xarray DataArrays, in memory or
Dask-backed, and returns float32 of the same kind. The result is NaN where an input is NaN
(nodata, cloud) or the denominator is 0; no division by zero is ever computed, so no warning is
raised, not even later inside Dask workers.

Open mining strips vegetation (NDVI falls), exposes soil and rock (BSI rises, the SWIR bands
brighten), digs pits that fill with water (MNDWI) and muddies rivers downstream (NDTI).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from oresight.core.errors import InvalidInput
from oresight.earth.extra import require_extra
from oresight.earth.masks import RasterT, masked_to_nan

if TYPE_CHECKING:
    import xarray as xr

NIR_NAMES = ("nir", "nir08")
"""Names that serve as near infrared, in order of preference: Sentinel-2's broad B08, then the
narrow NIR of Sentinel-2 B8A and Landsat OLI B5."""


def normalised_difference(a: RasterT, b: RasterT) -> RasterT:
    """``(a - b) / (a + b)`` as float32; NaN where ``a + b`` is 0 or an input is NaN."""
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    total = a32 + b32
    difference: RasterT = (a32 - b32) / masked_to_nan(total, total != 0)
    return difference


def ratio(numerator: RasterT, denominator: RasterT) -> RasterT:
    """``numerator / denominator`` as float32; NaN where the denominator is 0 or an input NaN."""
    below = denominator.astype(np.float32)
    quotient: RasterT = numerator.astype(np.float32) / masked_to_nan(below, below != 0)
    return quotient


def ndvi(nir: RasterT, red: RasterT) -> RasterT:
    """Normalized Difference Vegetation Index ``(nir - red) / (nir + red)``.

    Rouse, Haas, Schell & Deering (1974), "Monitoring vegetation systems in the Great Plains with
    ERTS", Third ERTS Symposium, NASA SP-351. Cleared mine ground drops towards 0 or below.
    """
    return normalised_difference(nir, red)


def bare_soil_index(swir16: RasterT, red: RasterT, nir: RasterT, blue: RasterT) -> RasterT:
    """Bare Soil Index ``((swir16 + red) - (nir + blue)) / ((swir16 + red) + (nir + blue))``.

    Rikimaru, Roy & Miyatake (2002), "Tropical forest cover density mapping", Tropical Ecology
    43(1): 39-47. High over exposed soil and spoil heaps, low over vegetation.
    """
    soil = swir16.astype(np.float32) + red.astype(np.float32)
    cover = nir.astype(np.float32) + blue.astype(np.float32)
    return normalised_difference(soil, cover)


def mndwi(green: RasterT, swir16: RasterT) -> RasterT:
    """Modified Normalized Difference Water Index ``(green - swir16) / (green + swir16)``.

    Xu (2006), "Modification of normalised difference water index (NDWI) to enhance open water
    features in remotely sensed imagery", International Journal of Remote Sensing 27(14):
    3025-3033. Positive over open water: pit lakes, tailings ponds, dredged channels.
    """
    return normalised_difference(green, swir16)


def ndti(red: RasterT, green: RasterT) -> RasterT:
    """Normalized Difference Turbidity Index ``(red - green) / (red + green)``.

    Lacaux, Tourre, Vignolles, Ndione & Lafaye (2007), "Classification of ponds from
    high-spatial resolution remote sensing: Application to Rift Valley Fever epidemics in
    Senegal", Remote Sensing of Environment 106(1): 66-74. Rises in sediment-laden water below
    alluvial mining.
    """
    return normalised_difference(red, green)


def swir_ratio(swir16: RasterT, swir22: RasterT) -> RasterT:
    """SWIR ratio ``swir16 / swir22`` (the Landsat TM 5/7 "clay" ratio).

    Hydroxyl-bearing minerals (clays, micas of altered rock and tailings) absorb near 2.2 um, so
    the ratio is high over them. Sabins (1999), "Remote sensing for mineral exploration", Ore
    Geology Reviews 14(3-4): 157-183.
    """
    return ratio(swir16, swir22)


def swir_normalised_difference(swir16: RasterT, swir22: RasterT) -> RasterT:
    """Normalised difference of the SWIR bands ``(swir16 - swir22) / (swir16 + swir22)``.

    The bounded (-1 to 1) form of :func:`swir_ratio`, published by the USGS as NBR2 in its
    Landsat surface-reflectance-derived spectral indices (USGS, Landsat Spectral Indices Product
    Guide, 2017).
    """
    return normalised_difference(swir16, swir22)


@dataclass(frozen=True, slots=True)
class SpectralIndex:
    """An index that :func:`spectral_indices` can compute, and the bands it needs."""

    name: str
    bands: tuple[str, ...]
    """Common band names, in the order ``compute`` takes them (``nir`` accepts ``nir08``)."""
    compute: Callable[..., Any]


SPECTRAL_INDICES: dict[str, SpectralIndex] = {
    index.name: index
    for index in (
        SpectralIndex("ndvi", ("nir", "red"), ndvi),
        SpectralIndex("bsi", ("swir16", "red", "nir", "blue"), bare_soil_index),
        SpectralIndex("mndwi", ("green", "swir16"), mndwi),
        SpectralIndex("ndti", ("red", "green"), ndti),
        SpectralIndex("swir_ratio", ("swir16", "swir22"), swir_ratio),
        SpectralIndex("swir_nd", ("swir16", "swir22"), swir_normalised_difference),
    )
}
"""The indices by the name they take in the output Dataset."""


def spectral_indices(bands: xr.Dataset, names: Sequence[str] | None = None) -> xr.Dataset:
    """Compute indices from a Dataset of reflectance keyed by common band name.

    ``names`` picks indices of :data:`SPECTRAL_INDICES` (default: all of them). A band that an
    asked-for index needs and the Dataset lacks is an error naming the index and the band, so a
    missing band never silently drops an index. Dask-backed bands give Dask-backed indices.
    """
    xarray = require_extra("xarray")
    wanted = list(SPECTRAL_INDICES) if names is None else list(names)
    computed: dict[str, Any] = {}
    for name in wanted:
        if name not in SPECTRAL_INDICES:
            raise InvalidInput(
                f"unknown index '{name}'; known: {', '.join(SPECTRAL_INDICES)}", field="index"
            )
        index = SPECTRAL_INDICES[name]
        inputs = [_band(bands, band, index.name) for band in index.bands]
        result = index.compute(*inputs)
        result.name = name
        computed[name] = result
    dataset: xr.Dataset = xarray.Dataset(computed)
    return dataset


def _band(bands: xr.Dataset, name: str, index: str) -> Any:
    """The variable of ``bands`` for common name ``name``, or an error naming what is missing."""
    candidates = NIR_NAMES if name == "nir" else (name,)
    for candidate in candidates:
        if candidate in bands.data_vars:
            return bands[candidate]
    present = ", ".join(str(variable) for variable in bands.data_vars) or "none"
    raise InvalidInput(
        f"index '{index}' needs band {' or '.join(candidates)}; the bands are: {present}",
        field=name,
    )
