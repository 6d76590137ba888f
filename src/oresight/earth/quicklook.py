"""Quick-looks: a composite as a small true-colour picture, for people to see what a scan saw.

Red, green and blue reflectance are stretched between their 2nd and 98th percentiles over the
ground seen clear (a composite is dark and hazy as stored), gamma-brightened, and written as a PNG
of at most :data:`MAX_SIDE` pixels a side; ground never seen clear is grey. The picture's
longitude/latitude bounds come with it, so that a report can lay a finding's footprints over it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyproj
from PIL import Image

if TYPE_CHECKING:
    import xarray as xr

MAX_SIDE = 512
STRETCH_PERCENTILES = (2.0, 98.0)
GAMMA = 0.8
UNSEEN_GREY = 128


@dataclass(frozen=True)
class QuickLook:
    """A PNG and the lon/lat box it spans (west, south, east, north)."""

    png: bytes
    bounds: tuple[float, float, float, float]


def quicklook(composite: xr.Dataset) -> QuickLook:
    """The true-colour quick-look of a composite (computes a Dask-backed one's RGB bands)."""
    step = max(1, -(-max(composite.sizes["y"], composite.sizes["x"]) // MAX_SIDE))
    small = composite[["red", "green", "blue", "clear_count"]].isel(
        y=slice(None, None, step), x=slice(None, None, step)
    )
    rgb = np.stack(
        [np.asarray(small[band].values, dtype=np.float64) for band in ("red", "green", "blue")],
        axis=-1,
    )
    seen = (np.asarray(small["clear_count"].values) > 0) & np.isfinite(rgb).all(axis=-1)
    picture = np.full(rgb.shape, UNSEEN_GREY, dtype=np.uint8)
    if seen.any():
        low, high = np.percentile(rgb[seen], STRETCH_PERCENTILES)
        scaled = np.clip((rgb - low) / max(high - low, 1e-6), 0, 1) ** GAMMA
        picture[seen] = np.round(scaled[seen] * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG", optimize=True)
    return QuickLook(png=buffer.getvalue(), bounds=_lonlat_bounds(composite))


def _lonlat_bounds(composite: xr.Dataset) -> tuple[float, float, float, float]:
    west, south, east, north = composite.rio.bounds()
    to_lonlat = pyproj.Transformer.from_crs(composite.rio.crs, "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform([west, east, east, west], [south, south, north, north])
    return (
        round(float(min(lon)), 6),
        round(float(min(lat)), 6),
        round(float(max(lon)), 6),
        round(float(max(lat)), 6),
    )
