"""Reporter and partner codes of UN Comtrade and CEPII BACI, and the countries they stand for.

Both sources number countries with ISO 3166-1 numeric codes, with known exceptions: trade
territories that differ from the ISO country (842 USA with Puerto Rico), the world total, groups
and customs unions, "nes" areas that are no country, and historical entities. Ordinary codes are
mapped through pycountry; the exceptions are data, in ``data/reporter_areas.yaml``, each with a
note and a source. A code that is neither is unknown: :func:`area` returns None and
:func:`unknown_codes` counts it, so that callers report it instead of dropping its rows.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any, Literal

import pycountry
from pydantic import BaseModel, ConfigDict, Field, field_validator

from oresight.core.errors import InvalidInput
from oresight.trade.reference_tables import packaged_file_name, read_packaged_table, validated

AREAS_FILE = packaged_file_name("reporter_areas.yaml")
"""The packaged table of exceptions, named as errors name it."""

WORLD_ISO3 = "WLD"
"""The stand-in alpha-3 of the world total (not an ISO code; the World Bank's usage)."""

_ALPHA3 = re.compile(r"[A-Z]{3}")


class AreaKind(StrEnum):
    """What a reporter or partner code stands for."""

    COUNTRY = "country"
    WORLD = "world"
    GROUP = "group"
    """Several countries reported as one (the EU, a customs union)."""
    AREA_NES = "area_nes"
    """An area "not elsewhere specified", or a special category (bunkers, free zones)."""
    HISTORICAL = "historical"
    """A state or territory that no longer exists under that code."""


@dataclass(frozen=True, slots=True)
class Area:
    """The country or area behind one Comtrade/BACI code."""

    code: int
    iso3: str | None
    """ISO 3166-1 alpha-3 of a country, or of a historical entity where ISO 3166-3 keeps one;
    ``WLD`` for the world; None for an area without one."""
    name: str
    kind: AreaKind


def area(code: int) -> Area | None:
    """The country or area that ``code`` stands for; None for a code that names nothing known."""
    exception = _exceptions().get(code)
    if exception is not None:
        return exception
    if not 0 < code < 1000:
        return None
    country = pycountry.countries.get(numeric=f"{code:03d}")
    if country is None:
        return None
    return Area(code=code, iso3=str(country.alpha_3), name=str(country.name), kind=AreaKind.COUNTRY)


def iso3(code: int) -> str | None:
    """The alpha-3 of ``code`` (see :attr:`Area.iso3`); None for unknown codes and areas without
    one — use :func:`area` to tell those apart."""
    found = area(code)
    return found.iso3 if found is not None else None


def unknown_codes(codes: Iterable[int]) -> dict[int, int]:
    """How many times each code that names no known country or area occurs in ``codes``."""
    counts = Counter(code for code in codes if area(code) is None)
    return dict(sorted(counts.items()))


def exception_areas() -> Mapping[int, Area]:
    """The codes that are not plain ISO 3166-1 numeric codes, as the packaged table gives them."""
    return _exceptions()


class _AreaRow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: int = Field(ge=0, le=999)
    name: str = Field(min_length=1)
    kind: AreaKind
    iso3: str | None
    note: str = Field(min_length=1)
    source: str = Field(min_length=1)

    @field_validator("iso3")
    @classmethod
    def _three_letters(cls, value: str | None) -> str | None:
        if value is not None and not _ALPHA3.fullmatch(value):
            raise ValueError(f"expected three capital letters, found {value!r}")
        return value


class _AreasFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1]
    sources: dict[str, str]
    areas: tuple[dict[str, Any], ...] = Field(min_length=1)


@cache
def _exceptions() -> dict[int, Area]:
    return parse_areas(read_packaged_table("reporter_areas.yaml"), file=AREAS_FILE)


def parse_areas(document: Any, *, file: str) -> dict[int, Area]:
    """Check a table of exception codes (the layout of ``reporter_areas.yaml``) and return it by
    code. :class:`InvalidInput` naming ``file``, the entry and the field on a bad entry."""
    table = validated(_AreasFile, document, file=file)
    found: dict[int, Area] = {}
    for index, raw in enumerate(table.areas):
        record = f"areas[{index}]" + (f" (code {raw['code']})" if "code" in raw else "")
        row = validated(_AreaRow, raw, file=file, record=record)
        problem = _iso3_problem(row)
        if problem is not None:
            raise InvalidInput(problem, file=file, record=record, field="iso3")
        if row.code in found:
            raise InvalidInput(f"code {row.code} is listed twice", file=file, record=record)
        found[row.code] = Area(code=row.code, iso3=row.iso3, name=row.name, kind=row.kind)
    return found


def _iso3_problem(row: _AreaRow) -> str | None:
    """Why ``row``'s alpha-3 does not fit its kind, or None when it does."""
    # The alpha-3 must be one that ISO actually assigns (or assigned), so that a typo cannot join
    # a flow to the wrong country.
    if row.kind is AreaKind.WORLD:
        return None if row.iso3 == WORLD_ISO3 else f"the world's alpha-3 must be {WORLD_ISO3}"
    if row.kind in (AreaKind.GROUP, AreaKind.AREA_NES):
        return None if row.iso3 is None else f"a {row.kind} has no ISO alpha-3; found {row.iso3}"
    if row.iso3 is None:
        return None
    if row.kind is AreaKind.COUNTRY and pycountry.countries.get(alpha_3=row.iso3) is None:
        return f"{row.iso3} is not an ISO 3166-1 alpha-3 code"
    historic = pycountry.historic_countries.get(alpha_3=row.iso3)
    if row.kind is AreaKind.HISTORICAL and historic is None:
        return f"{row.iso3} is not an ISO 3166-3 alpha-3 code"
    return None
