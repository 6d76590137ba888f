"""Quantities with UN/CEFACT Recommendation 20 units, as EPCIS ``quantityList`` carries them.

Only units of the dimensions that custody quantities use are known (mass, count, volume, length,
area); a quantity in any other code is refused rather than guessed. Mass converts exactly to
kilograms so that mass balance can compare lots declared in different units.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Dimension(StrEnum):
    """What a unit measures."""

    MASS = "mass"
    COUNT = "count"
    VOLUME = "volume"
    LENGTH = "length"
    AREA = "area"


@dataclass(frozen=True, slots=True)
class Unit:
    """A UN/CEFACT Rec 20 common code and its factor to the SI base of its dimension."""

    code: str
    name: str
    dimension: Dimension
    factor: float
    """Multiply a value in this unit by ``factor`` to get kg, m, m2, m3 or a plain count."""


_UNITS = (
    Unit("KGM", "kilogram", Dimension.MASS, 1.0),
    Unit("GRM", "gram", Dimension.MASS, 1e-3),
    Unit("MGM", "milligram", Dimension.MASS, 1e-6),
    Unit("TNE", "tonne (metric ton)", Dimension.MASS, 1000.0),
    Unit("KTN", "kilotonne", Dimension.MASS, 1e6),
    Unit("DTN", "decitonne", Dimension.MASS, 100.0),
    Unit("LBR", "pound", Dimension.MASS, 0.45359237),
    Unit("ONZ", "ounce (avoirdupois)", Dimension.MASS, 0.028349523125),
    Unit("APZ", "troy ounce", Dimension.MASS, 0.0311034768),
    Unit("STN", "ton (US) or short ton", Dimension.MASS, 907.18474),
    Unit("LTN", "ton (UK) or long ton", Dimension.MASS, 1016.0469088),
    Unit("H87", "piece", Dimension.COUNT, 1.0),
    Unit("EA", "each", Dimension.COUNT, 1.0),
    Unit("C62", "one", Dimension.COUNT, 1.0),
    Unit("XBG", "bag", Dimension.COUNT, 1.0),
    Unit("XDR", "drum", Dimension.COUNT, 1.0),
    Unit("XPX", "pallet", Dimension.COUNT, 1.0),
    Unit("LTR", "litre", Dimension.VOLUME, 1e-3),
    Unit("MLT", "millilitre", Dimension.VOLUME, 1e-6),
    Unit("MTQ", "cubic metre", Dimension.VOLUME, 1.0),
    Unit("MTR", "metre", Dimension.LENGTH, 1.0),
    Unit("CMT", "centimetre", Dimension.LENGTH, 1e-2),
    Unit("MMT", "millimetre", Dimension.LENGTH, 1e-3),
    Unit("KMT", "kilometre", Dimension.LENGTH, 1e3),
    Unit("MTK", "square metre", Dimension.AREA, 1.0),
    Unit("HAR", "hectare", Dimension.AREA, 1e4),
    Unit("KMK", "square kilometre", Dimension.AREA, 1e6),
)

UNITS: dict[str, Unit] = {unit.code: unit for unit in _UNITS}


def lookup_unit(code: str) -> Unit:
    """Return the unit of a UN/CEFACT code; ValueError naming the known mass units otherwise."""
    try:
        return UNITS[code]
    except KeyError:
        raise ValueError(
            f"unknown unit {code!r}; expected a UN/CEFACT Rec 20 code such as "
            "KGM, TNE, GRM, LBR or H87"
        ) from None


class Quantity(BaseModel):
    """An amount of material, with an optional element grade (mass % of the mineral's element)."""

    model_config = ConfigDict(frozen=True)

    value: float = Field(ge=0)
    unit: str | None = None
    """UN/CEFACT code; ``None`` means a plain count of instances, as in EPCIS."""
    grade_percent: float | None = Field(default=None, ge=0, le=100)

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, code: str | None) -> str | None:
        if code is not None:
            lookup_unit(code)
        return code

    @property
    def dimension(self) -> Dimension:
        """What the quantity measures."""
        return Dimension.COUNT if self.unit is None else lookup_unit(self.unit).dimension

    def in_kg(self) -> float | None:
        """The mass in kilograms, or ``None`` when the quantity is not a mass."""
        if self.unit is None:
            return None
        unit = lookup_unit(self.unit)
        return self.value * unit.factor if unit.dimension is Dimension.MASS else None

    def element_kg(self) -> float | None:
        """Mass of contained element in kilograms, when both mass and grade are known."""
        kg = self.in_kg()
        if kg is None or self.grade_percent is None:
            return None
        return kg * self.grade_percent / 100.0
