"""The Harmonized System codes under which critical minerals are traded, and lookups on them.

The table is data, ``data/critical_minerals_hs.yaml``: per HS heading (4 digits) or subheading
(6 digits), the mineral, the form along the chain (ore to metal and scrap), what the code holds,
the element share of compounds of definite formula, the HS editions in which the code exists, and
its sources. It is checked when first read; a bad entry is an :class:`InvalidInput` naming the file,
the entry and the field. Lookups take the longest listed prefix, so a national tariff line or a
subheading finds the heading that holds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from oresight.core.errors import InvalidInput
from oresight.core.minerals import Mineral
from oresight.trade.reference_tables import packaged_file_name, read_packaged_table, validated

HS_FILE = packaged_file_name("critical_minerals_hs.yaml")
"""The packaged table, named as errors name it."""

FORMS = ("ore", "concentrate", "intermediate", "metal", "compound", "scrap")
"""The forms an HS code can hold, from mine to refinery and back as scrap."""
EDITIONS = ("HS2012", "HS2017", "HS2022")
"""The HS editions the table covers, oldest first."""
CODE_LENGTHS = (6, 4)
"""Subheading and heading lengths, longest first: the order in which prefixes are tried."""

_HS = re.compile(r"\d{4}(\d{2})?")
_MINERAL_NAME = re.compile(r"[a-z][a-z_]*")
_QUERY = re.compile(r"\d{4,12}")

Form = Literal["ore", "concentrate", "intermediate", "metal", "compound", "scrap"]
Edition = Literal["HS2012", "HS2017", "HS2022"]


@dataclass(frozen=True, slots=True)
class HsCode:
    """One HS heading or subheading under which a critical mineral is traded."""

    hs: str
    """4 or 6 digits, without dots."""
    mineral: str
    """Lower case; the ten minerals of :class:`oresight.core.minerals.Mineral` by their value."""
    form: str
    """One of :data:`FORMS`."""
    description: str
    element_share: float | None
    """Mass fraction of the element in a compound of definite formula; None where it varies."""
    editions: tuple[str, ...]
    """The HS editions (of :data:`EDITIONS`) in which the code exists with this meaning."""
    edition_note: str | None = None
    """How the code's scope changed between editions, where it did."""
    sources: tuple[str, ...] = ()


def critical_minerals_hs() -> tuple[HsCode, ...]:
    """Every listed code, in the order of the file (checked on first use, then cached)."""
    return _table()[0]


def hs_codes_of(mineral: str) -> tuple[HsCode, ...]:
    """The codes of ``mineral`` (its lower-case name, e.g. ``"rare_earths"``); empty if none."""
    return tuple(code for code in critical_minerals_hs() if code.mineral == mineral)


def mineral_of(hs: str) -> HsCode | None:
    """The listed code that ``hs`` falls under, by longest prefix: ``"810520"`` finds ``8105``
    unless ``810520`` is listed itself. Dots and spaces are ignored (``"8105.20"``); None when
    no listed code matches. :class:`InvalidInput` when ``hs`` is not 4 to 12 digits."""
    digits = hs.replace(".", "").replace(" ", "")
    if not _QUERY.fullmatch(digits):
        raise InvalidInput(f"an HS code is 4 to 12 digits; found {hs!r}", field="hs")
    by_code = _table()[1]
    for length in CODE_LENGTHS:
        found = by_code.get(digits[:length]) if len(digits) >= length else None
        if found is not None:
            return found
    return None


class _Source(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    citation: str = Field(min_length=1)


class _CodeRow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    hs: str
    mineral: str
    form: Form
    description: str = Field(min_length=1)
    element_share: float | None = Field(default=None, gt=0, le=1)
    editions: tuple[Edition, ...] = Field(min_length=1)
    edition_note: str | None = Field(default=None, min_length=1)
    sources: tuple[str, ...] = Field(min_length=1)

    @field_validator("hs")
    @classmethod
    def _digits(cls, value: str) -> str:
        if not _HS.fullmatch(value):
            raise ValueError(f"expected 4 or 6 digits as a string, found {value!r}")
        return value

    @field_validator("mineral")
    @classmethod
    def _lower_case(cls, value: str) -> str:
        if not _MINERAL_NAME.fullmatch(value):
            raise ValueError(f"expected a lower-case name (letters and _), found {value!r}")
        return value


class _HsFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1]
    sources: tuple[_Source, ...] = Field(min_length=1)
    other_minerals: tuple[str, ...] = ()
    """Minerals beyond :class:`Mineral` that the table may name (declared, so typos are caught)."""
    codes: tuple[dict[str, Any], ...] = Field(min_length=1)


@cache
def _table() -> tuple[tuple[HsCode, ...], dict[str, HsCode]]:
    codes = parse_hs_table(read_packaged_table("critical_minerals_hs.yaml"), file=HS_FILE)
    return codes, {code.hs: code for code in codes}


def parse_hs_table(document: Any, *, file: str) -> tuple[HsCode, ...]:
    """Check a table in the layout of ``critical_minerals_hs.yaml`` and return its codes.

    :class:`InvalidInput` naming ``file``, the entry and the field on a bad entry: a malformed
    code, a code listed twice, an undeclared mineral or source, an unknown form or edition.
    """
    table = validated(_HsFile, document, file=file)
    minerals = {mineral.value for mineral in Mineral} | set(table.other_minerals)
    source_names = {source.name for source in table.sources}
    seen: set[str] = set()
    codes: list[HsCode] = []
    for index, raw in enumerate(table.codes):
        record = f"codes[{index}]" + (f" (hs {raw['hs']})" if "hs" in raw else "")
        row = validated(_CodeRow, raw, file=file, record=record)
        if row.mineral not in minerals:
            raise InvalidInput(
                f"{row.mineral!r} is neither a mineral of oresight.core.minerals.Mineral nor "
                "declared under other_minerals",
                file=file,
                record=record,
                field="mineral",
            )
        undeclared = [name for name in row.sources if name not in source_names]
        if undeclared:
            raise InvalidInput(
                f"source {undeclared[0]!r} is not declared under sources",
                file=file,
                record=record,
                field="sources",
            )
        if row.hs in seen:
            raise InvalidInput(f"{row.hs} is listed twice", file=file, record=record, field="hs")
        seen.add(row.hs)
        codes.append(
            HsCode(
                hs=row.hs,
                mineral=row.mineral,
                form=row.form,
                description=row.description.strip(),
                element_share=row.element_share,
                # Oldest first whatever the file's order, so editions compare as tuples.
                editions=tuple(edition for edition in EDITIONS if edition in row.editions),
                edition_note=row.edition_note.strip() if row.edition_note else None,
                sources=row.sources,
            )
        )
    return tuple(codes)
