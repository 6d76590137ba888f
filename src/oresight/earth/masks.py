"""Clear-pixel masks from the quality bands of Sentinel-2 and Landsat.

Every function takes a numpy array or an xarray DataArray (in memory or Dask-backed) and returns
the same kind, because it uses only comparisons, ``&``, ``|`` and ``>>``, which both implement;
nothing is computed early on a Dask-backed array. Masks are boolean and ``True`` means **clear**:
a pixel worth measuring (not fill, not cloud, not cloud shadow, ...).

Sources of the layouts:

* Sentinel-2 L2A Scene Classification (SCL), Sen2Cor: ESA, *Sentinel-2 MSI Level-2A Algorithm
  Theoretical Basis Document* and the Level-2A product format specification (the classes are the
  same in every processing baseline since 02.xx).
* Landsat Collection 2 ``QA_PIXEL``: USGS, *Landsat 8-9 OLI/TIRS Collection 2 Level 2 Data Format
  Control Book* (LSDS-1328) and *Landsat 8-9 Collection 2 Level 2 Science Product Guide*
  (LSDS-1619), "Pixel Quality Assessment (QA_PIXEL) Bit Index"; the same bits in Level-1 and
  Level-2 products.
* Landsat 8 pre-Collection ``BQA``: USGS, *Landsat 8 Data Users Handbook* (2015/2016 editions,
  section "Quality Assessment Band") and the USGS page "Landsat 8 Pre-Collection Quality
  Assessment Band" (landsat.usgs.gov/qualityband, since moved), which the bit tests below follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import reduce
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from oresight.core.errors import InvalidInput

if TYPE_CHECKING:
    import xarray as xr

RasterT = TypeVar("RasterT", "NDArray[Any]", "xr.DataArray")
"""A numpy array or an xarray DataArray; functions return the kind they were given."""

# --- Sentinel-2 L2A scene classification ----------------------------------------------------------

SCL_CLASSES: dict[int, str] = {
    0: "no data",
    1: "saturated or defective",
    2: "dark area pixels",
    3: "cloud shadows",
    4: "vegetation",
    5: "not vegetated",
    6: "water",
    7: "unclassified",
    8: "cloud medium probability",
    9: "cloud high probability",
    10: "thin cirrus",
    11: "snow or ice",
}
"""Sen2Cor SCL values and their meaning."""

SCL_NOT_CLEAR: frozenset[int] = frozenset({0, 1, 3, 8, 9, 10})
"""SCL classes that are not clear: no data, saturated/defective, cloud shadow, medium- and
high-probability cloud, thin cirrus."""


def sentinel2_scl_clear(scl: RasterT, *, not_clear: frozenset[int] = SCL_NOT_CLEAR) -> RasterT:
    """``True`` where the Sentinel-2 L2A SCL class is clear.

    Not clear by default (:data:`SCL_NOT_CLEAR`): 0 no data, 1 saturated or defective,
    3 cloud shadows, 8 cloud medium probability, 9 cloud high probability, 10 thin cirrus.

    Clear by default: 2 dark area pixels (terrain shadow and dark surfaces; kept because dark
    tailings and wet pits fall in it), 4 vegetation, 5 not vegetated (bare soil, rock and the
    open ground of mine scars), 6 water (pit lakes, tailings ponds), 7 unclassified (low cloud
    probability in older baselines) and 11 snow or ice. Pass ``not_clear`` to be stricter, e.g.
    ``SCL_NOT_CLEAR | {2, 7, 11}``.
    """
    _require_integer(scl, "SCL")
    # An AND of inequalities rather than isin: both numpy and xarray (Dask too) implement it.
    return reduce(lambda clear, value: clear & (scl != value), sorted(not_clear), scl == scl)


# --- Landsat Collection 2 QA_PIXEL ----------------------------------------------------------------


class QaPixelBit(IntEnum):
    """Single-bit flags of Landsat Collection 2 ``QA_PIXEL`` (bit index)."""

    FILL = 0
    DILATED_CLOUD = 1
    CIRRUS = 2
    """High-confidence cirrus (OLI only)."""
    CLOUD = 3
    CLOUD_SHADOW = 4
    SNOW = 5
    CLEAR = 6
    """Set by CFMask when none of cloud and dilated cloud is set."""
    WATER = 7


LANDSAT_C2_NOT_CLEAR_BITS: tuple[QaPixelBit, ...] = (
    QaPixelBit.FILL,
    QaPixelBit.DILATED_CLOUD,
    QaPixelBit.CIRRUS,
    QaPixelBit.CLOUD,
    QaPixelBit.CLOUD_SHADOW,
    QaPixelBit.SNOW,
)
"""Bits 0-5: any of them set makes a pixel not clear. (Bits 8-15 hold two-bit confidences of
cloud, cloud shadow, snow/ice and cirrus, which the single bits above already summarise.)"""


def landsat_c2_qa_clear(
    qa_pixel: RasterT, *, not_clear_bits: tuple[QaPixelBit, ...] = LANDSAT_C2_NOT_CLEAR_BITS
) -> RasterT:
    """``True`` where none of ``not_clear_bits`` is set in a Landsat Collection 2 ``QA_PIXEL``.

    By default: bit 0 fill, 1 dilated cloud, 2 cirrus, 3 cloud, 4 cloud shadow, 5 snow.
    """
    _require_integer(qa_pixel, "QA_PIXEL")
    flags = sum(1 << int(bit) for bit in not_clear_bits)
    clear: RasterT = (qa_pixel & flags) == 0
    return clear


# --- Landsat 8 pre-Collection BQA -----------------------------------------------------------------


class Confidence(IntEnum):
    """A two-bit confidence of a Landsat QA band: how sure the algorithm is that a condition
    exists."""

    NOT_DETERMINED = 0
    """The algorithm did not run (fill pixels) or, for some fields, "no"."""
    LOW = 1
    """0-33 %."""
    MEDIUM = 2
    """34-66 %."""
    HIGH = 3
    """67-100 %."""


BQA_FILL_BIT = 0
"""Bit 0: designated fill."""
BQA_CIRRUS_SHIFT = 12
"""Bits 12-13: cirrus confidence."""
BQA_CLOUD_SHIFT = 14
"""Bits 14-15: cloud confidence."""
_TWO_BITS = 0b11


def landsat8_bqa_cloud_confidence(bqa: RasterT) -> RasterT:
    """The cloud confidence (bits 14-15, a :class:`Confidence` value 0-3) of a pre-Collection
    Landsat 8 ``BQA``."""
    _require_integer(bqa, "BQA")
    return (bqa >> BQA_CLOUD_SHIFT) & _TWO_BITS


def landsat8_bqa_cirrus_confidence(bqa: RasterT) -> RasterT:
    """The cirrus confidence (bits 12-13, a :class:`Confidence` value 0-3) of a pre-Collection
    Landsat 8 ``BQA``."""
    _require_integer(bqa, "BQA")
    return (bqa >> BQA_CIRRUS_SHIFT) & _TWO_BITS


def landsat8_bqa_clear(
    bqa: RasterT,
    *,
    cloud_from: Confidence | None = Confidence.MEDIUM,
    cirrus_from: Confidence | None = Confidence.MEDIUM,
) -> RasterT:
    """``True`` where a pre-Collection Landsat 8 ``BQA`` pixel is clear.

    Not clear: designated fill (bit 0), cloud confidence (bits 14-15) at or above ``cloud_from``,
    cirrus confidence (bits 12-13) at or above ``cirrus_from``. ``None`` ignores that field.
    "Not determined" (0) counts as clear: the algorithm leaves it on fill, which bit 0 catches.
    """
    _require_integer(bqa, "BQA")
    clear: RasterT = (bqa & (1 << BQA_FILL_BIT)) == 0
    if cloud_from is not None:
        clear = clear & (landsat8_bqa_cloud_confidence(bqa) < int(cloud_from))
    if cirrus_from is not None:
        clear = clear & (landsat8_bqa_cirrus_confidence(bqa) < int(cirrus_from))
    return clear


# --- applying and summarising masks ---------------------------------------------------------------


def masked_to_nan(values: RasterT, keep: RasterT) -> RasterT:
    """``values`` as float32 with NaN wherever ``keep`` is ``False`` (nodata, cloud, ...)."""
    floats = values.astype(np.float32)
    if isinstance(floats, np.ndarray):
        return np.where(keep, floats, np.float32(np.nan)).astype(np.float32, copy=False)
    return floats.where(keep)


@dataclass(frozen=True, slots=True)
class MaskSummary:
    """How many pixels of a mask are clear, among those that count."""

    pixels: int
    """Pixels counted (all of them, or those marked valid)."""
    clear: int

    @property
    def clear_fraction(self) -> float:
        """Clear pixels over counted pixels; 0 when nothing was counted."""
        return self.clear / self.pixels if self.pixels else 0.0

    @property
    def not_clear_fraction(self) -> float:
        """Pixels that are not clear over counted pixels; 0 when nothing was counted."""
        return (self.pixels - self.clear) / self.pixels if self.pixels else 0.0


def summarise_mask(clear: RasterT, *, valid: RasterT | None = None) -> MaskSummary:
    """Count the clear pixels of a boolean mask, only among ``valid`` pixels when given.

    A Dask-backed mask is computed here (two sums).
    """
    if valid is None:
        return MaskSummary(pixels=int(clear.size), clear=int(clear.sum()))
    return MaskSummary(pixels=int(valid.sum()), clear=int((clear & valid).sum()))


def _require_integer(qa: NDArray[Any] | xr.DataArray, band: str) -> None:
    """Refuse a quality band that is not integer: its bits were lost (e.g. read with masking,
    which turns integers into floats)."""
    if not np.issubdtype(qa.dtype, np.integer):
        raise InvalidInput(
            f"a {band} band must hold integers to read its classes or bits, found {qa.dtype}; "
            "read quality bands without masking or scaling",
            field=band,
        )
