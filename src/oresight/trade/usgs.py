"""Readers of the USGS Mineral Commodity Summaries (MCS) data release CSV files.

Two kinds of file:

* **world** tables (``mcs2024-tin_world.csv``): mine or refinery production by country for two years
  (``Prod_<unit>[_est]_<year>``), with reserves beside them. Each data row becomes one
  :class:`ProductionRow` per year column, converted to metric tons (``kt`` x 1000, ``kg`` / 1000).
* **salient** statistics (``mcs2023-tin_salient.csv``): US production, trade, consumption and
  prices by year, one column per statistic. Each cell becomes one :class:`SalientRow`, kept in its
  own unit.

USGS's symbols (MCS "Explanation of symbols"): ``W`` withheld to avoid disclosing company data,
``NA`` not available, ``XX`` not applicable, ``E`` net exporter, ``—`` zero, ``e`` estimated. A
figure is *estimated* when its column says ``_est``, when an ``e`` footnote follows the country, or
when the production note says that year was estimated too ("Production in 2021 is also estimated.").

A country missing from a table has no row at all: its production is **unknown**, not zero,
because USGS folds small producers into "Other countries" (gold lists 16 producers; Uganda and
Rwanda are not among them). Only a row that says 0 (or ``—``) states zero production.

Each edition repeats the previous year, revised: MCS2024's 2022 column replaces MCS2023's 2022
estimate; :attr:`ProductionRow.edition` tells them apart.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from oresight.core.errors import InvalidInput, UnknownFormat
from oresight.trade.text_table import read_utf8
from oresight.trade.usgs_names import (
    USGS_COMMODITY_CODES,
    clean_text,
    commodity_mineral,
    resolve_country,
)

UNIT_TO_TONNES: dict[str, float] = {"t": 1.0, "kt": 1000.0, "kg": 0.001}
"""Units of the world tables' production columns, as tonnes."""

WITHHELD = "W"
NOT_AVAILABLE = ("NA", "XX")
ZERO_DASH = "\u2014"
"""USGS prints an em dash for zero."""
NOT_A_FIGURE_PREFIXES = ("included in",)
"""Text that stands in for a figure: "Included in World total." (counted, not broken out)."""

_PRODUCTION_COLUMN = re.compile(r"^Prod_(?P<unit>[A-Za-z]+)(?P<est>_est)?_(?P<year>\d{4})$")
_YEAR_SUFFIX = re.compile(r"_\d{4}$")
_PLAIN_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_SIGNED_NUMBER = re.compile(r"^(?P<bound>[<>])?\s*(?P<sign>[-\u2212])?(?P<digits>\d+(?:\.\d+)?)$")
_FILE_NAME = re.compile(r"^mcs(?P<edition>\d{4})-(?P<code>[a-z]+)_(?:world|salient)", re.IGNORECASE)
_EDITION = re.compile(r"MCS(?P<edition>\d{4})", re.IGNORECASE)
_LESS_THAN_HALF = "less than 1/2 unit."

NOTE_COLUMNS = ("Prod_notes", "Prod_note")
SALIENT_KEY_COLUMNS = ("DataSource", "Commodity", "Year")


@dataclass(frozen=True, slots=True)
class ProductionRow:
    """One country's (or group's) production of one commodity in one year, from a world table."""

    commodity: str
    """oresight's name of the USGS commodity (``cobalt``, ``rare_earths``, ...)."""
    mineral: str
    """The :class:`oresight.core.minerals.Mineral` value where it is one, else the commodity."""
    country_name: str
    """As USGS writes it, footnote marks removed."""
    iso3: str | None
    """ISO 3166-1 alpha-3; None for the world total and "Other countries"."""
    kind: str
    """``country``, ``world`` or ``other``."""
    measure: str
    """The Type cell, e.g. "Mine production, tin content"."""
    year: int
    tonnes: float | None
    """Metric tons; None when withheld or not available."""
    estimated: bool
    withheld: bool
    note: str
    """The production note, kept as written."""
    source_file: str
    source_row: int
    """1-based data row number (the header is not counted)."""
    edition: int | None = None
    """The MCS edition year (2024 for MCS2024), from the Source column or the file name."""


@dataclass(frozen=True, slots=True)
class SalientRow:
    """One US salient statistic of one commodity in one year, in the unit of its column."""

    commodity: str
    year: int
    field: str
    """The column name, e.g. ``Imports_t`` or ``Price_LME_dlb``."""
    value: float | None
    """The figure (a bound when :attr:`qualifier` is ``<`` or ``>``); None for W, NA, XX and E."""
    unit: str
    """The column's unit suffix as USGS writes it: t, kt, kg, dlb ($/lb), ctslb, dt, dtoz, pct..."""
    qualifier: str
    """"" for a plain figure, ``>``/``<`` for a bound, else the USGS symbol (W, NA, XX, E)."""
    raw: str
    """The cell as written."""
    source_file: str
    source_row: int


@dataclass(frozen=True, slots=True)
class UsgsTables:
    """Everything read from a set of MCS files."""

    production: list[ProductionRow]
    salient: list[SalientRow]


def _read_records(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The cleaned header and the non-blank data records, each with its 1-based data row number."""
    file = str(path)
    text = read_utf8(path)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise InvalidInput(f"not a readable CSV file ({error})", file=file) from error
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InvalidInput("empty file: expected a header row", file=file)
    header = [clean_text(name) for name in rows[0]]
    # USGS pads files with rows of bare commas; they are not data, but keep their numbers counted.
    records = [
        (number, row)
        for number, row in enumerate(rows[1:], start=1)
        if any(clean_text(cell) for cell in row)
    ]
    return header, records


def _column(header: list[str], name: str, *, file: str) -> int:
    if name in header:
        return header.index(name)
    found = ", ".join(repr(column) for column in header if column)
    raise InvalidInput(
        f"missing column {name!r} (found {found}; is the file comma-separated?)",
        file=file,
        field=name,
    )


def _cell(row: list[str], index: int, column: str, *, file: str, number: int) -> str:
    if index >= len(row):
        raise InvalidInput(
            f"row has {len(row)} fields, too few to reach column {column!r}",
            file=file,
            record=number,
            field=column,
        )
    return row[index]


def _commodity_of(path: Path, commodity: str | None) -> str:
    if commodity is not None:
        return commodity
    match = _FILE_NAME.match(path.name)
    if match is not None and match.group("code").lower() in USGS_COMMODITY_CODES:
        return USGS_COMMODITY_CODES[match.group("code").lower()]
    raise InvalidInput(
        "cannot tell the commodity from the file name (expected mcsYYYY-<code>_world.csv with a "
        f"known code: {', '.join(sorted(USGS_COMMODITY_CODES))}); pass commodity=",
        file=str(path),
    )


def _edition_of(source: str, path: Path) -> int | None:
    match = _EDITION.search(source) or _FILE_NAME.match(path.name)
    return int(match.group("edition")) if match is not None else None


def _production_value(cell: str) -> tuple[float | None, bool] | None:
    """(amount in the column's unit, withheld) for a figure or a symbol; None when unreadable."""
    text = clean_text(cell)
    if text == WITHHELD:
        return None, True
    if text in NOT_AVAILABLE or text.lower().startswith(NOT_A_FIGURE_PREFIXES):
        return None, False
    if text == ZERO_DASH:
        return 0.0, False
    digits = text.replace(",", "")
    if _PLAIN_NUMBER.match(digits):
        return float(digits), False
    return None


def _note_says_estimated(note: str, year: int) -> bool:
    lowered = note.lower()
    return "estimated" in lowered and str(year) in lowered


@dataclass(frozen=True, slots=True)
class _YearColumn:
    index: int
    name: str
    to_tonnes: float
    estimated: bool
    year: int


def _year_columns(header: list[str], *, file: str) -> list[_YearColumn]:
    columns: list[_YearColumn] = []
    for index, name in enumerate(header):
        if not name.startswith("Prod_") or not _YEAR_SUFFIX.search(name):
            continue
        match = _PRODUCTION_COLUMN.match(name)
        unit = match.group("unit") if match is not None else ""
        if match is None or unit not in UNIT_TO_TONNES:
            raise InvalidInput(
                f"production column with an unknown unit (expected Prod_<unit>[_est]_<year> with "
                f"unit one of {', '.join(UNIT_TO_TONNES)})",
                file=file,
                field=name,
            )
        columns.append(
            _YearColumn(
                index,
                name,
                UNIT_TO_TONNES[unit],
                match.group("est") is not None,
                int(match.group("year")),
            )
        )
    if not columns:
        raise InvalidInput(
            "no production column (expected Prod_<unit>[_est]_<year>)", file=file, field="Prod_*"
        )
    years = [column.year for column in columns]
    if len(set(years)) != len(years):
        raise InvalidInput(
            "two production columns for the same year", file=file, field=columns[-1].name
        )
    return columns


def read_mcs_world(path: Path, *, commodity: str | None = None) -> list[ProductionRow]:
    """Read an MCS world production table; every data row gives one row per production year.

    ``commodity`` overrides the name taken from the file name (``mcs2024-tin_world.csv`` -> tin).
    Raises :class:`InvalidInput` naming file, row and field for anything it cannot read, including a
    country name it cannot map to ISO 3166; nothing is returned partially.
    """
    file = str(path)
    header, records = _read_records(path)
    country_at = _column(header, "Country", file=file)
    type_at = _column(header, "Type", file=file)
    name = _commodity_of(path, commodity)
    year_columns = _year_columns(header, file=file)
    note_at = next((header.index(column) for column in NOTE_COLUMNS if column in header), None)
    source_at = header.index("Source") if "Source" in header else None
    rows: list[ProductionRow] = []
    for number, record in records:
        country_cell = _cell(record, country_at, "Country", file=file, number=number)
        country = resolve_country(country_cell)
        if country is None:
            raise InvalidInput(
                f"unknown country name {clean_text(country_cell)!r} (not in ISO 3166 nor in the "
                "USGS spellings of oresight.trade.usgs_names)",
                file=file,
                record=number,
                field="Country",
            )
        measure = clean_text(_cell(record, type_at, "Type", file=file, number=number))
        if not measure:
            raise InvalidInput("empty Type", file=file, record=number, field="Type")
        note = clean_text(record[note_at]) if note_at is not None and note_at < len(record) else ""
        source = record[source_at] if source_at is not None and source_at < len(record) else ""
        edition = _edition_of(source, path)
        for column in year_columns:
            cell = _cell(record, column.index, column.name, file=file, number=number)
            value = _production_value(cell)
            if value is None:
                raise InvalidInput(
                    f"not a production figure: {cell!r} (expected a number or one of W, NA, XX, "
                    "\u2014, 'Included in World total.')",
                    file=file,
                    record=number,
                    field=column.name,
                )
            amount, withheld = value
            rows.append(
                ProductionRow(
                    commodity=name,
                    mineral=commodity_mineral(name),
                    country_name=country.name,
                    iso3=country.iso3,
                    kind=country.kind,
                    measure=measure,
                    year=column.year,
                    tonnes=None if amount is None else amount * column.to_tonnes,
                    estimated=column.estimated
                    or country.estimated
                    or _note_says_estimated(note, column.year),
                    withheld=withheld,
                    note=note,
                    source_file=path.name,
                    source_row=number,
                    edition=edition,
                )
            )
    return rows


def _salient_value(cell: str) -> tuple[float | None, str] | None:
    """(value, qualifier) for a salient cell; None when unreadable."""
    text = clean_text(cell)
    if text in (WITHHELD, *NOT_AVAILABLE, "E"):
        return None, text
    if text == ZERO_DASH:
        return 0.0, ""
    if text.lower() == _LESS_THAN_HALF:
        return 0.5, "<"
    match = _SIGNED_NUMBER.match(text.replace(",", ""))
    if match is None:
        return None
    value = float(match.group("digits"))
    return (-value if match.group("sign") else value), match.group("bound") or ""


def read_mcs_salient(path: Path, *, commodity: str | None = None) -> list[SalientRow]:
    """Read an MCS salient-statistics table: one row per statistic per year, in the column's unit.

    Raises :class:`InvalidInput` naming file, row and field for a cell that is neither a number
    nor a USGS symbol; nothing is returned partially.
    """
    file = str(path)
    header, records = _read_records(path)
    year_at = _column(header, "Year", file=file)
    _column(header, "Commodity", file=file)
    name = _commodity_of(path, commodity)
    fields = [
        (index, column)
        for index, column in enumerate(header)
        if column and column not in SALIENT_KEY_COLUMNS
    ]
    rows: list[SalientRow] = []
    for number, record in records:
        year_cell = clean_text(_cell(record, year_at, "Year", file=file, number=number))
        if not re.fullmatch(r"\d{4}", year_cell):
            raise InvalidInput(f"not a year: {year_cell!r}", file=file, record=number, field="Year")
        for index, column in fields:
            cell = _cell(record, index, column, file=file, number=number)
            parsed = _salient_value(cell)
            if parsed is None:
                raise InvalidInput(
                    f"not a figure: {cell!r} (expected a number, a bound like '>50' or one of "
                    "W, NA, XX, E, \u2014)",
                    file=file,
                    record=number,
                    field=column,
                )
            value, qualifier = parsed
            rows.append(
                SalientRow(
                    commodity=name,
                    year=int(year_cell),
                    field=column,
                    value=value,
                    unit=column.rsplit("_", 1)[1] if "_" in column else "",
                    qualifier=qualifier,
                    raw=cell,
                    source_file=path.name,
                    source_row=number,
                )
            )
    return rows


def read_usgs_tables(paths: Iterable[Path]) -> UsgsTables:
    """Read world and salient MCS files, telling them apart by their header; all or nothing."""
    production: list[ProductionRow] = []
    salient: list[SalientRow] = []
    for path in paths:
        header, _ = _read_records(path)
        # Any one telltale column decides, so that a file missing another column of its kind is
        # reported by its own reader, naming that column.
        if {"Country", "Type"} & set(header) or any(name.startswith("Prod_") for name in header):
            production.extend(read_mcs_world(path))
        elif {"Year", "Commodity", "DataSource"} & set(header):
            salient.extend(read_mcs_salient(path))
        else:
            found = ", ".join(repr(column) for column in header if column)
            raise UnknownFormat(
                "neither an MCS world table (Country, Type) nor a salient table "
                f"(Commodity, Year); found {found} (is the file comma-separated?)",
                file=str(path),
            )
    return UsgsTables(production, salient)


def read_usgs(paths: Iterable[Path]) -> list[ProductionRow]:
    """The production rows of a set of MCS files (salient files are checked too, then left out).

    Use :func:`read_usgs_tables` to keep the salient rows as well. All or nothing: one bad file
    raises and returns none.
    """
    return read_usgs_tables(paths).production
