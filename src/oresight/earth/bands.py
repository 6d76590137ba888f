"""Sensors, their bands, and the conversion of their digital numbers (DN) to reflectance.

Bands are data (:data:`SENSOR_BANDS`): the file/asset name each product uses, and the name
oresight uses for it in a Dataset (the STAC ``eo:common_name`` for spectral bands, a lower-case
name for quality bands). Indices and masks work on those names, whatever the sensor.

Conversions, each masking the sensor's fill DN 0 to NaN (float32 out):

* Sentinel-2 L2A: ``(DN + BOA_ADD_OFFSET) / 10000``. From processing baseline 04.00 (products
  from 2022-01-25 on) ESA adds 1000 to every DN so that dark surfaces keep negative values, and
  states ``BOA_ADD_OFFSET = -1000`` in the metadata; before, the offset is 0. Applying the right
  offset per product is what makes scenes before and after that date comparable.
* Landsat Collection 2 Level-2 surface reflectance: ``DN * 0.0000275 - 0.2`` (USGS LSDS-1619).
* Landsat 8 Level-1 top-of-atmosphere reflectance from the MTL file:
  ``(REFLECTANCE_MULT_BAND_n * DN + REFLECTANCE_ADD_BAND_n) / sin(SUN_ELEVATION)``
  (USGS, *Using the USGS Landsat Level-1 Data Product*).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from oresight.core.errors import InvalidInput
from oresight.earth.extra import require_extra
from oresight.earth.masks import RasterT


class Sensor(StrEnum):
    """A product family whose bands and DN scaling oresight knows."""

    SENTINEL2_L2A = "sentinel-2-l2a"
    LANDSAT_C2_L2 = "landsat-c2-l2"
    LANDSAT8_L1 = "landsat-8-l1"


@dataclass(frozen=True, slots=True)
class Band:
    """One band of a product."""

    name: str
    """As the product names the file or STAC asset: ``B04``, ``SR_B4``, ``B4``, ``SCL``."""
    common_name: str
    """oresight's name: STAC ``eo:common_name`` (``red``, ``nir08``, ``swir16``) for spectral
    bands, a lower-case name (``scl``, ``qa_pixel``, ``bqa``) for quality bands."""
    resolution_m: float
    centre_um: float | None = None
    """Centre wavelength in micrometres; None for quality bands."""
    number: int | None = None
    """Landsat band number, the ``n`` of the MTL's ``..._BAND_n`` keys."""

    @property
    def is_quality(self) -> bool:
        """True for a quality (class or bit-flag) band rather than a spectral one."""
        return self.centre_um is None


SENTINEL2_L2A_BANDS: tuple[Band, ...] = (
    Band("B02", "blue", 10, 0.490),
    Band("B03", "green", 10, 0.560),
    Band("B04", "red", 10, 0.665),
    Band("B08", "nir", 10, 0.842),
    Band("B8A", "nir08", 20, 0.865),
    Band("B11", "swir16", 20, 1.610),
    Band("B12", "swir22", 20, 2.190),
    Band("SCL", "scl", 20),
)
LANDSAT_C2_L2_BANDS: tuple[Band, ...] = (
    Band("SR_B2", "blue", 30, 0.482, 2),
    Band("SR_B3", "green", 30, 0.561, 3),
    Band("SR_B4", "red", 30, 0.655, 4),
    # OLI's NIR (851-879 nm) is narrow like Sentinel-2's B8A, hence nir08 in STAC.
    Band("SR_B5", "nir08", 30, 0.865, 5),
    Band("SR_B6", "swir16", 30, 1.609, 6),
    Band("SR_B7", "swir22", 30, 2.201, 7),
    Band("QA_PIXEL", "qa_pixel", 30),
)
LANDSAT8_L1_BANDS: tuple[Band, ...] = (
    Band("B2", "blue", 30, 0.482, 2),
    Band("B3", "green", 30, 0.561, 3),
    Band("B4", "red", 30, 0.655, 4),
    Band("B5", "nir08", 30, 0.865, 5),
    Band("B6", "swir16", 30, 1.609, 6),
    Band("B7", "swir22", 30, 2.201, 7),
    Band("BQA", "bqa", 30),
)
SENSOR_BANDS: dict[Sensor, tuple[Band, ...]] = {
    Sensor.SENTINEL2_L2A: SENTINEL2_L2A_BANDS,
    Sensor.LANDSAT_C2_L2: LANDSAT_C2_L2_BANDS,
    Sensor.LANDSAT8_L1: LANDSAT8_L1_BANDS,
}


def band_named(sensor: Sensor, name: str) -> Band:
    """The band of ``sensor`` whose product name or common name is ``name`` (case-insensitive)."""
    wanted = name.casefold()
    for band in SENSOR_BANDS[sensor]:
        if wanted in (band.name.casefold(), band.common_name.casefold()):
            return band
    known = ", ".join(f"{b.name} ({b.common_name})" for b in SENSOR_BANDS[sensor])
    raise InvalidInput(f"{sensor} has no band '{name}'; it has {known}", field="band")


# --- Sentinel-2 L2A -------------------------------------------------------------------------------

SENTINEL2_QUANTIFICATION = 10_000
"""``BOA_QUANTIFICATION_VALUE``: DN per unit of reflectance."""
SENTINEL2_OFFSET_BASELINE = (4, 0)
"""Processing baseline 04.00, the first with the radiometric offset."""
SENTINEL2_OFFSET_FROM = date(2022, 1, 25)
"""First day of products processed with baseline 04.00."""
SENTINEL2_BOA_ADD_OFFSET = -1000
"""``BOA_ADD_OFFSET`` of every band from baseline 04.00."""
_BASELINE = re.compile(r"^N?(?P<major>\d{1,2})\.?(?P<minor>\d{2})$")


def sentinel2_boa_offset(
    *, processing_baseline: str | None = None, acquired: date | None = None
) -> int:
    """The ``BOA_ADD_OFFSET`` of a Sentinel-2 L2A product: -1000 from baseline 04.00, else 0.

    ``processing_baseline`` is the product's baseline (``"04.00"``, ``"03.01"``, or the
    ``N0400`` of product names). When it is unknown, ``acquired`` (a date or datetime in UTC)
    stands in: products from 2022-01-25 on have the offset. The baseline wins when both are
    given, because ESA's reprocessing (baseline 05.xx) gave the offset to older acquisitions too.
    """
    if processing_baseline is not None:
        match = _BASELINE.match(processing_baseline.strip())
        if match is None:
            raise InvalidInput(
                f"a Sentinel-2 processing baseline looks like '04.00' or 'N0400', "
                f"found '{processing_baseline}'",
                field="processing_baseline",
            )
        baseline = (int(match["major"]), int(match["minor"]))
        return SENTINEL2_BOA_ADD_OFFSET if baseline >= SENTINEL2_OFFSET_BASELINE else 0
    if acquired is None:
        raise InvalidInput(
            "the Sentinel-2 reflectance offset needs the processing baseline or the acquisition "
            "date",
            field="processing_baseline",
        )
    day = acquired.date() if isinstance(acquired, datetime) else acquired
    return SENTINEL2_BOA_ADD_OFFSET if day >= SENTINEL2_OFFSET_FROM else 0


def sentinel2_l2a_reflectance(
    dn: RasterT, *, boa_add_offset: int, nodata: float | None = None
) -> RasterT:
    """Surface reflectance of Sentinel-2 L2A DN (float32; NaN where DN is 0, the fill value, or
    ``nodata``): ``(DN + BOA_ADD_OFFSET) / 10000``.

    Get ``boa_add_offset`` from :func:`sentinel2_boa_offset` for each product.
    """
    return sentinel2_l2a_rule(boa_add_offset, nodata=nodata).apply(dn)


def sentinel2_l2a_rule(boa_add_offset: int, *, nodata: float | None = None) -> AffineRule:
    """The rule of :func:`sentinel2_l2a_reflectance`."""
    return AffineRule(add=boa_add_offset, divide=SENTINEL2_QUANTIFICATION, nodata=nodata)


@dataclass(frozen=True, slots=True)
class AffineRule:
    """``((DN + add) * multiply + shift) / divide`` as float32 (each step in float32), NaN where
    DN is 0 (every sensor's fill value) or ``nodata``: the form of every reflectance rule here.

    :meth:`apply` converts DN; :func:`oresight.earth.disturbance.scan` takes the rules of DN
    bands and converts them as it reads them, without writing the reflectance out.
    """

    add: float = 0.0
    multiply: float = 1.0
    shift: float = 0.0
    divide: float = 1.0
    nodata: float | None = None

    @property
    def terms(self) -> tuple[float, float, float, float]:
        """``(add, multiply, shift, divide)``."""
        return (self.add, self.multiply, self.shift, self.divide)

    def fills(self, dtype: Any) -> NDArray[Any]:
        """The two DN values read as "no data" (the second may repeat the first), of ``dtype``
        where the DN are integers and the fills are among them (compared as integers of the
        DN's own type), else float64."""
        fills = [0.0] if self.nodata is None else [0.0, float(self.nodata)]
        kind = np.dtype(dtype)
        if kind.kind in "ui" and all(value.is_integer() for value in fills):
            limits = np.iinfo(kind)
            fills = [value for value in fills if limits.min <= value <= limits.max] or [0.0]
            return np.array([fills[0], fills[-1]], dtype=kind)
        return np.array([fills[0], fills[-1]], dtype=np.float64)

    def apply(self, dn: RasterT) -> RasterT:
        """Reflectance of ``dn``: one compiled pass per block
        (:func:`oresight.earth.kernels.affine_reflectance`) instead of a numpy pass per step;
        numpy arrays give numpy, DataArrays (in memory or on Dask) give a DataArray of the same
        kind and coordinates, without the DN's attributes."""
        kernels = require_extra("oresight.earth.kernels")

        def convert(block: Any) -> Any:
            values = np.ascontiguousarray(block)
            out = np.empty(values.shape, dtype=np.float32)
            kernels.affine_reflectance(values, *self.terms, self.fills(values.dtype), out)
            return out

        if isinstance(dn, np.ndarray):
            converted: RasterT = convert(dn)
            return converted
        data = dn.data
        if hasattr(data, "map_blocks"):
            result = data.map_blocks(convert, dtype=np.float32, meta=np.array((), dtype=np.float32))
        else:
            result = convert(np.asarray(data))
        reflectance: RasterT = dn.copy(data=result)
        reflectance.attrs = {}
        return reflectance


# --- Landsat Collection 2 Level-2 -----------------------------------------------------------------

LANDSAT_C2_SR_SCALE = 0.0000275
LANDSAT_C2_SR_OFFSET = -0.2


def landsat_c2_surface_reflectance(dn: RasterT, *, nodata: float | None = None) -> RasterT:
    """Surface reflectance of Landsat Collection 2 Level-2 ``SR_B*`` DN (float32; NaN at fill 0
    or ``nodata``): ``DN * 0.0000275 - 0.2``."""
    return landsat_c2_rule(nodata=nodata).apply(dn)


def landsat_c2_rule(*, nodata: float | None = None) -> AffineRule:
    """The rule of :func:`landsat_c2_surface_reflectance`."""
    return AffineRule(multiply=LANDSAT_C2_SR_SCALE, shift=LANDSAT_C2_SR_OFFSET, nodata=nodata)


# --- Landsat Level-1 MTL and TOA reflectance ------------------------------------------------------

MTL_RESCALING_GROUPS = ("RADIOMETRIC_RESCALING", "LEVEL1_RADIOMETRIC_RESCALING")
"""Groups holding the TOA rescaling: pre-Collection and Collection 1, then Collection 2 (whose
Level-2 MTL also has surface-reflectance keys of the same names in another group)."""
_MTL_LINE = re.compile(r"^\s*(?P<key>[A-Z0-9_]+)\s*=\s*(?P<value>.*?)\s*$")
_REFLECTANCE_MULT = re.compile(r"^REFLECTANCE_MULT_BAND_(?P<band>\d+)$")


@dataclass(frozen=True, slots=True)
class LandsatMtl:
    """What a Landsat Level-1 MTL file says that reflectance needs."""

    source: str
    """The MTL file (or the name given for the text)."""
    scene_id: str | None
    acquired: date | None
    sun_elevation_deg: float
    reflectance_mult: Mapping[int, float]
    """``REFLECTANCE_MULT_BAND_n`` by band number."""
    reflectance_add: Mapping[int, float]
    """``REFLECTANCE_ADD_BAND_n`` by band number."""


def parse_mtl_groups(text: str, *, source: str) -> dict[str, dict[str, str]]:
    """Parse MTL text (``GROUP = X`` ... ``END_GROUP = X``, ``KEY = VALUE``, final ``END``) into
    ``{innermost group: {key: value}}``, values unquoted."""
    groups: dict[str, dict[str, str]] = {}
    open_groups: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.strip() == "END":
            continue
        match = _MTL_LINE.match(line)
        if match is None:
            raise InvalidInput(
                f"not a KEY = VALUE line: {line.strip()!r}", file=source, record=number
            )
        key, value = match["key"], match["value"].strip('"')
        if key == "GROUP":
            open_groups.append(value)
            groups.setdefault(value, {})
        elif key == "END_GROUP":
            if not open_groups or open_groups[-1] != value:
                expected = open_groups[-1] if open_groups else "no open group"
                raise InvalidInput(
                    f"END_GROUP = {value} closes {expected}", file=source, record=number
                )
            open_groups.pop()
        elif not open_groups:
            raise InvalidInput(f"{key} is outside every GROUP", file=source, record=number)
        else:
            groups[open_groups[-1]][key] = value
    if open_groups:
        raise InvalidInput(f"GROUP {open_groups[-1]} is never closed", file=source)
    return groups


def parse_landsat_mtl(text: str, *, source: str) -> LandsatMtl:
    """Read the reflectance rescaling and sun elevation of a Landsat Level-1 MTL text."""
    groups = parse_mtl_groups(text, source=source)
    rescaling = next((groups[g] for g in MTL_RESCALING_GROUPS if g in groups), None)
    if rescaling is None:
        raise InvalidInput(
            f"no rescaling group ({' or '.join(MTL_RESCALING_GROUPS)})",
            file=source,
            field="REFLECTANCE_MULT_BAND_n",
        )
    mult: dict[int, float] = {}
    add: dict[int, float] = {}
    for key in rescaling:
        match = _REFLECTANCE_MULT.match(key)
        if match is not None:
            band = int(match["band"])
            mult[band] = _mtl_float(rescaling, key, source)
            add[band] = _mtl_float(rescaling, f"REFLECTANCE_ADD_BAND_{band}", source)
    if not mult:
        raise InvalidInput(
            "no REFLECTANCE_MULT_BAND_n key", file=source, field="REFLECTANCE_MULT_BAND_n"
        )
    attributes = groups.get("IMAGE_ATTRIBUTES", {})
    sun_elevation = _mtl_float(attributes, "SUN_ELEVATION", source)
    if not 0 < sun_elevation <= 90:
        raise InvalidInput(
            f"SUN_ELEVATION must be above 0 and at most 90 degrees for reflectance, "
            f"found {sun_elevation}",
            file=source,
            field="SUN_ELEVATION",
        )
    every_key = {key: value for group in groups.values() for key, value in group.items()}
    acquired_text = every_key.get("DATE_ACQUIRED")
    try:
        acquired = date.fromisoformat(acquired_text) if acquired_text else None
    except ValueError as exc:
        raise InvalidInput(
            f"not a date: '{acquired_text}'", file=source, field="DATE_ACQUIRED"
        ) from exc
    return LandsatMtl(
        source=source,
        scene_id=every_key.get("LANDSAT_SCENE_ID"),
        acquired=acquired,
        sun_elevation_deg=sun_elevation,
        reflectance_mult=mult,
        reflectance_add=add,
    )


def read_landsat_mtl(path: str | Path) -> LandsatMtl:
    """Read a Landsat Level-1 ``*_MTL.txt`` file (see :func:`parse_landsat_mtl`)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read the MTL file: {exc}", file=str(path)) from exc
    return parse_landsat_mtl(text, source=str(path))


def landsat_l1_toa_reflectance(
    dn: RasterT, mtl: LandsatMtl, band: int, *, nodata: float | None = None
) -> RasterT:
    """Top-of-atmosphere reflectance of Landsat Level-1 DN of band number ``band``, corrected for
    the sun elevation (float32; NaN where DN is 0, the fill value, or ``nodata``):
    ``(DN * REFLECTANCE_MULT + REFLECTANCE_ADD) / sin(sun elevation)``."""
    return landsat_l1_rule(mtl, band, nodata=nodata).apply(dn)


def landsat_l1_rule(mtl: LandsatMtl, band: int, *, nodata: float | None = None) -> AffineRule:
    """The rule of :func:`landsat_l1_toa_reflectance`; an error naming the MTL file where it has
    no rescaling for ``band``."""
    if band not in mtl.reflectance_mult:
        raise InvalidInput(
            f"no reflectance rescaling for band {band}; the file has bands "
            f"{sorted(mtl.reflectance_mult)}",
            file=mtl.source,
            field=f"REFLECTANCE_MULT_BAND_{band}",
        )
    sine = math.sin(math.radians(mtl.sun_elevation_deg))
    mult, add = mtl.reflectance_mult[band], mtl.reflectance_add[band]
    return AffineRule(multiply=mult, shift=add, divide=sine, nodata=nodata)


def _mtl_float(group: Mapping[str, str], key: str, source: str) -> float:
    """The number under ``key``, or an error naming the file and the key."""
    if key not in group:
        raise InvalidInput(f"missing key {key}", file=source, field=key)
    try:
        return float(group[key])
    except ValueError as exc:
        raise InvalidInput(f"not a number: '{group[key]}'", file=source, field=key) from exc
