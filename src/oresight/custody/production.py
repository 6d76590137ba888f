"""National mine production from the USGS Mineral Commodity Summaries (MCS) data releases.

Each MCS edition publishes, per commodity, a "world" CSV (``mcsYYYY-<code>_world.csv``: mine
production by country for two years, and reserves) and a "salient" CSV (U.S. statistics over five
years). Both are read here into :class:`ProductionRow` values, in metric tons, keeping the file
and row each figure came from.

The files are hand-made and their quirks are part of the format:

* UTF-8 with a byte-order mark, CRLF line ends, trailing empty columns and empty rows;
* the unit and the year are in the column name (``Prod_t_2022``, ``Prod_kt_est_2023``,
  ``Prod_kg_2022``), and ``est`` marks the whole column as estimated;
* ``W`` means withheld (to avoid disclosing company data), ``NA`` not available, ``XX`` not
  applicable; the salient files also use ``E`` (net exporter), ``>50`` and a Unicode minus;
* thousands separators (``"1,700"``), no-break spaces and stray spaces around values and names;
* footnote digits glued to names (``New Caledonia11``, ``World total (rounded)10``) and an
  ``e`` (estimated) glued to names (``Japane``, ``Russiae``) or values (``4000e``);
* qualifiers after a name (``Russia (recoverable)``, ``Kazakhstan, concentrate``);
* aggregates (``World total (rounded)``, ``Other countries``, ``Other``) beside the countries.

Reserves are not read: the custody rules compare declared origin volumes with production only.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from oresight.core.errors import InvalidInput
from oresight.core.minerals import Mineral


class ValueFlag(StrEnum):
    """What USGS says about a printed production figure."""

    ESTIMATED = "estimated"
    WITHHELD = "withheld"
    NOT_AVAILABLE = "not_available"


UNIT_TONNES = {"t": 1.0, "kt": 1000.0, "kg": 0.001}
"""Units used in MCS column names, with their factor to metric tons."""

FILE_COMMODITIES: dict[str, Mineral] = {
    "cobal": Mineral.COBALT,
    "coppe": Mineral.COPPER,
    "gold": Mineral.GOLD,
    "graph": Mineral.GRAPHITE,
    "lithi": Mineral.LITHIUM,
    "nicke": Mineral.NICKEL,
    "raree": Mineral.RARE_EARTHS,
    "tanta": Mineral.TANTALUM,
    "tin": Mineral.TIN,
    "tungs": Mineral.TUNGSTEN,
}
"""MCS file commodity codes (``mcs2024-cobal_world.csv``) of the minerals oresight follows.

Other MCS commodities (antimony, gallium, germanium, manganese, niobium, platinum-group metals)
are read too, with no :class:`Mineral`.
"""

_MEASURE_WORDS: tuple[tuple[str, Mineral], ...] = (
    ("cobalt", Mineral.COBALT),
    ("copper", Mineral.COPPER),
    ("gold", Mineral.GOLD),
    ("graphite", Mineral.GRAPHITE),
    ("lithium", Mineral.LITHIUM),
    ("nickel", Mineral.NICKEL),
    ("rare earth", Mineral.RARE_EARTHS),
    ("tantalum", Mineral.TANTALUM),
    ("tin content", Mineral.TIN),
    ("tungsten", Mineral.TUNGSTEN),
)
"""Words of the ``Type`` column that name a mineral, for files not named the MCS way."""

# USGS country names (as MCS prints them, apostrophes straightened) -> ISO 3166-1 alpha-2.
USGS_COUNTRY_CODES: dict[str, str] = {
    "afghanistan": "AF", "algeria": "DZ", "argentina": "AR", "armenia": "AM",
    "australia": "AU", "austria": "AT", "belgium": "BE", "bolivia": "BO",
    "botswana": "BW", "brazil": "BR", "bulgaria": "BG", "burkina faso": "BF",
    "burma": "MM", "burundi": "BI", "cambodia": "KH", "cameroon": "CM", "canada": "CA",
    "central african republic": "CF", "chile": "CL", "china": "CN", "colombia": "CO",
    "congo (brazzaville)": "CG", "congo (kinshasa)": "CD", "cuba": "CU", "côte d'ivoire": "CI",
    "dominican republic": "DO", "ecuador": "EC", "egypt": "EG", "eritrea": "ER",
    "ethiopia": "ET", "finland": "FI", "france": "FR", "gabon": "GA", "georgia": "GE",
    "germany": "DE", "ghana": "GH", "greece": "GR", "greenland": "GL", "guatemala": "GT",
    "guinea": "GN", "guyana": "GY", "honduras": "HN", "india": "IN", "indonesia": "ID",
    "iran": "IR", "ireland": "IE", "italy": "IT", "japan": "JP", "kazakhstan": "KZ",
    "kenya": "KE", "korea, north": "KP", "korea, republic of": "KR", "kyrgyzstan": "KG",
    "laos": "LA", "madagascar": "MG", "malaysia": "MY", "mali": "ML", "mauritania": "MR",
    "mexico": "MX", "mongolia": "MN", "morocco": "MA", "mozambique": "MZ", "namibia": "NA",
    "new caledonia": "NC", "nicaragua": "NI", "niger": "NE", "nigeria": "NG",
    "norway": "NO", "oman": "OM", "pakistan": "PK", "panama": "PA",
    "papua new guinea": "PG", "peru": "PE", "philippines": "PH", "poland": "PL",
    "portugal": "PT", "russia": "RU", "rwanda": "RW", "saudi arabia": "SA",
    "senegal": "SN", "serbia": "RS", "sierra leone": "SL", "slovakia": "SK",
    "south africa": "ZA", "spain": "ES", "sri lanka": "LK", "sudan": "SD",
    "suriname": "SR", "sweden": "SE", "tajikistan": "TJ", "tanzania": "TZ",
    "thailand": "TH", "turkey": "TR", "türkiye": "TR", "uganda": "UG", "ukraine": "UA",
    "united kingdom": "GB", "united states": "US", "uzbekistan": "UZ", "venezuela": "VE",
    "vietnam": "VN", "zambia": "ZM", "zimbabwe": "ZW",
}  # fmt: skip

_PROD_COLUMN = re.compile(r"Prod_(?P<unit>[A-Za-z]+)_(?P<est>est_)?(?P<year>\d{4})")
_SALIENT_COLUMN = re.compile(r"USprod_(?:(?P<what>Mine|Concentrate)_)?(?P<unit>t|kt|kg)")
_FILE_NAME = re.compile(r"mcs(?P<year>\d{4})-(?P<code>[a-z_]+?)_(?:world|salient)", re.I)
_NUMBER = re.compile(r"(?P<number>\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?P<estimated>e)?")
_FOOTNOTE = re.compile(r"(?P<name>.*?\D)(?P<digits>\d+)")


@dataclass(frozen=True, slots=True)
class ProductionRow:
    """One production figure of one country (or aggregate), commodity and year, as printed."""

    edition: str
    """The MCS edition (``MCS2024``)."""
    country: str
    """The name as USGS prints it, cleaned of footnotes, flags and qualifiers."""
    country_code: str | None
    """ISO 3166-1 alpha-2; ``None`` for aggregates and for names this reader does not know."""
    aggregate: bool
    """A world total or an "other countries" line, not one country."""
    commodity: str
    """The MCS commodity code of the file (``cobal``), or ``""`` when the file name has none."""
    mineral: Mineral | None
    measure: str
    """What the figure measures (the ``Type`` column): ``Mine production, tin content``."""
    year: int
    value: float | None
    """The figure in ``unit``; ``None`` when withheld, not available or blank."""
    unit: str
    flags: frozenset[ValueFlag]
    qualifier: str | None
    """A qualifier printed with the name (``recoverable``, ``concentrate``)."""
    footnote: str | None
    """Footnote digits glued to the name in the file."""
    source_file: str
    source_row: int
    """Line of the file (the header is line 1)."""

    @property
    def tonnes(self) -> float | None:
        """The figure in metric tons."""
        return None if self.value is None else self.value * UNIT_TONNES[self.unit]

    @property
    def is_mine_production(self) -> bool:
        """Whether the figure is mine production (not refinery or primary metal production)."""
        return "mine production" in self.measure.lower()

    @property
    def is_other_countries(self) -> bool:
        """Whether the row groups the countries the table does not list one by one."""
        return self.aggregate and self.country.lower().startswith("other")

    @property
    def reference(self) -> str:
        """Where the figure is printed: ``file#row``."""
        return f"{self.source_file}#row{self.source_row}"


@dataclass(frozen=True)
class ProductionTable:
    """Production rows from one or more MCS files, with look-ups that prefer newer editions."""

    rows: tuple[ProductionRow, ...] = ()
    unmapped_countries: tuple[str, ...] = field(default=())
    """Country names found in the files that have no ISO code here (their rows are kept)."""

    @classmethod
    def combine(cls, tables: Iterable[ProductionTable]) -> ProductionTable:
        """One table holding the rows of all ``tables``."""
        tables = list(tables)
        rows = tuple(row for table in tables for row in table.rows)
        unmapped = sorted({name for table in tables for name in table.unmapped_countries})
        return cls(rows=rows, unmapped_countries=tuple(unmapped))

    def mine_rows(self, mineral: Mineral, year: int) -> list[ProductionRow]:
        """Mine production rows of ``mineral`` in ``year``: per country (and qualifier), the row
        of the newest edition (a later edition revises an earlier one's estimates)."""
        best: dict[tuple[str, str | None], ProductionRow] = {}
        for row in self.rows:
            if row.mineral is not mineral or row.year != year or not row.is_mine_production:
                continue
            # MCS rewords the measure between editions ("contained tungsten", "tungsten
            # content"), so a country's rows are matched by name and qualifier only.
            key = (row.country.lower(), row.qualifier)
            if key not in best or _edition_rank(row) > _edition_rank(best[key]):
                best[key] = row
        return list(best.values())

    def mine_production(
        self, country_code: str, mineral: Mineral, year: int
    ) -> ProductionRow | None:
        """The mine production row of one country, mineral and year, if USGS lists one."""
        rows = [r for r in self.mine_rows(mineral, year) if r.country_code == country_code]
        return min(rows, key=lambda r: (r.qualifier is not None, r.source_row), default=None)

    def other_countries(self, mineral: Mineral, year: int) -> ProductionRow | None:
        """The "other countries" row of a mineral and year, where the table has one."""
        rows = [r for r in self.mine_rows(mineral, year) if r.is_other_countries]
        return rows[0] if rows else None

    def years(self, mineral: Mineral) -> list[int]:
        """Years with mine production rows of ``mineral``."""
        return sorted({r.year for r in self.rows if r.mineral is mineral and r.is_mine_production})


def read_usgs_world_production(path: Path) -> ProductionTable:
    """Read an MCS world production CSV (``mcsYYYY-<code>_world.csv``).

    Raises :class:`InvalidInput` naming the file, the row and the column of anything that is not
    in the format (an unknown unit, a value that is not a number, ``W``, ``NA`` or blank, ...).
    """
    at = str(path)
    lines = _csv_rows(path)
    header = [_clean(name) for name in lines[0][1]]
    if header and header[0] == "DataSource":
        raise InvalidInput(
            "this is an MCS salient-statistics file (U.S. only), not a world production table; "
            "read it with read_usgs_salient_production",
            file=at,
            record="row 1",
        )
    for required in ("Country", "Type"):
        if required not in header:
            raise InvalidInput(f"the header has no {required!r} column", file=at, field=required)
    prod_columns = _production_columns(header, at)
    commodity, file_year = _file_commodity(path)
    rows: list[ProductionRow] = []
    unmapped: set[str] = set()
    for line_number, cells in lines[1:]:
        record = dict(zip(header, cells, strict=False))
        if not any(_clean(cell) for name, cell in record.items() if name):
            continue
        where = f"row {line_number}"
        country_text = _clean(record.get("Country", ""))
        measure = _clean(record.get("Type", ""))
        if not country_text:
            message = "the row has figures but no country"
            raise InvalidInput(message, file=at, record=where, field="Country")
        if not measure:
            message = "the row has no Type (what is measured)"
            raise InvalidInput(message, file=at, record=where, field="Type")
        name = _read_name(country_text)
        if name.code is None and not name.aggregate:
            unmapped.add(name.name)
        edition = _clean(record.get("Source", "")) or (f"MCS{file_year}" if file_year else "")
        mineral = FILE_COMMODITIES.get(commodity) if commodity else _measure_mineral(measure)
        for column, unit, estimated_column, year in prod_columns:
            value, flags = _read_value(record.get(column, ""), at, where, column)
            if estimated_column:
                flags |= {ValueFlag.ESTIMATED}
            rows.append(
                ProductionRow(
                    edition=edition,
                    country=name.name,
                    country_code=name.code,
                    aggregate=name.aggregate,
                    commodity=commodity,
                    mineral=mineral,
                    measure=measure,
                    year=year,
                    value=value,
                    unit=unit,
                    flags=flags | name.flags,
                    qualifier=name.qualifier,
                    footnote=name.footnote,
                    source_file=path.name,
                    source_row=line_number,
                )
            )
    return ProductionTable(rows=tuple(rows), unmapped_countries=tuple(sorted(unmapped)))


def read_usgs_salient_production(path: Path) -> ProductionTable:
    """Read the U.S. mine production column of an MCS salient-statistics CSV.

    The column is ``USprod_Mine_<unit>``, else ``USprod_Concentrate_<unit>`` (rare earths),
    else a bare ``USprod_<unit>`` (lithium, graphite); a file with none of them (tin: scrap
    only) gives an empty table. Rows are by ``Year``.
    """
    at = str(path)
    lines = _csv_rows(path)
    header = [_clean(name) for name in lines[0][1]]
    if "Year" not in header:
        message = "a salient-statistics file needs a 'Year' column"
        raise InvalidInput(message, file=at, record="row 1", field="Year")
    candidates: dict[str | None, tuple[str, str]] = {}
    for name in header:
        match = _SALIENT_COLUMN.fullmatch(name)
        if match is not None:
            candidates[match.group("what")] = (name, match.group("unit"))
    chosen = candidates.get("Mine") or candidates.get("Concentrate") or candidates.get(None)
    commodity, file_year = _file_commodity(path)
    if chosen is None:
        return ProductionTable()
    column, unit = chosen
    rows: list[ProductionRow] = []
    for line_number, cells in lines[1:]:
        record = dict(zip(header, cells, strict=False))
        if not any(_clean(cell) for name, cell in record.items() if name):
            continue
        where = f"row {line_number}"
        year_text = _clean(record.get("Year", ""))
        if not re.fullmatch(r"\d{4}", year_text):
            message = f"expected a four-digit year, found {year_text!r}"
            raise InvalidInput(message, file=at, record=where, field="Year")
        value, flags = _read_value(record.get(column, ""), at, where, column)
        commodity_name = _clean(record.get("Commodity", ""))
        rows.append(
            ProductionRow(
                edition=_clean(record.get("DataSource", "")) or f"MCS{file_year}",
                country="United States",
                country_code="US",
                aggregate=False,
                commodity=commodity,
                mineral=FILE_COMMODITIES.get(commodity)
                if commodity
                else _measure_mineral(commodity_name),
                measure=f"Mine production, United States ({column})",
                year=int(year_text),
                value=value,
                unit=unit,
                flags=flags,
                qualifier=None,
                footnote=None,
                source_file=path.name,
                source_row=line_number,
            )
        )
    return ProductionTable(rows=tuple(rows))


def read_usgs_production_folder(folder: Path) -> ProductionTable:
    """Read every ``*_world.csv`` and ``*_salient.csv`` of a folder into one table."""
    tables = [
        read_usgs_salient_production(path)
        if path.name.lower().endswith("_salient.csv")
        else read_usgs_world_production(path)
        for path in sorted(folder.glob("*.csv"))
        if path.name.lower().endswith(("_world.csv", "_salient.csv"))
    ]
    return ProductionTable.combine(tables)


@dataclass(frozen=True)
class _Name:
    name: str
    code: str | None
    aggregate: bool
    flags: frozenset[ValueFlag]
    qualifier: str | None
    footnote: str | None


def _read_name(text: str) -> _Name:
    name, footnote = text, None
    glued = _FOOTNOTE.fullmatch(name)
    if glued:
        name, footnote = glued.group("name").rstrip(), glued.group("digits")
    lowered = name.lower()
    if lowered.startswith("world total") or lowered in ("other countries", "other"):
        return _Name(name, None, True, frozenset(), None, footnote)
    flags: frozenset[ValueFlag] = frozenset()
    qualifier: str | None = None
    if _code(name) is None and name.endswith("e") and _code(name[:-1]) is not None:
        name, flags = name[:-1], frozenset({ValueFlag.ESTIMATED})
    elif _code(name) is None:
        # "Russia (recoverable)", "Kazakhstan, concentrate": a known name, then a qualifier.
        qualified = re.fullmatch(r"(?P<name>.+?)(?: \((?P<p>[^)]*)\)|, (?P<c>[^,]+))", name)
        if qualified and _code(qualified.group("name")) is not None:
            name = qualified.group("name")
            qualifier = qualified.group("p") or qualified.group("c")
    return _Name(name, _code(name), False, flags, qualifier, footnote)


def _code(name: str) -> str | None:
    return USGS_COUNTRY_CODES.get(name.lower().replace("’", "'"))


def _read_value(
    raw: str, file: str, record: str, column: str
) -> tuple[float | None, frozenset[ValueFlag]]:
    text = _clean(raw)
    if text == "":
        return None, frozenset()
    if text.upper() == "W":
        return None, frozenset({ValueFlag.WITHHELD})
    if text.upper() in ("NA", "XX"):
        return None, frozenset({ValueFlag.NOT_AVAILABLE})
    number = _NUMBER.fullmatch(text)
    if number is None:
        raise InvalidInput(
            f"expected a production figure (a number, W or NA), found {text!r}",
            file=file,
            record=record,
            field=column,
        )
    value = float(number.group(0).removesuffix("e").replace(",", ""))
    flags = frozenset({ValueFlag.ESTIMATED}) if number.group("estimated") else frozenset()
    return value, flags


def _production_columns(header: Sequence[str], file: str) -> list[tuple[str, str, bool, int]]:
    columns: list[tuple[str, str, bool, int]] = []
    years: set[int] = set()
    for name in header:
        match = _PROD_COLUMN.fullmatch(name)
        if match is None:
            continue
        unit = match.group("unit").lower()
        if unit not in UNIT_TONNES:
            raise InvalidInput(
                f"unknown unit {match.group('unit')!r} in a production column; expected "
                f"one of {', '.join(UNIT_TONNES)}",
                file=file,
                record="row 1",
                field=name,
            )
        year = int(match.group("year"))
        if year in years:
            message = f"a second production column for {year}"
            raise InvalidInput(message, file=file, record="row 1", field=name)
        years.add(year)
        columns.append((name, unit, match.group("est") is not None, year))
    if not columns:
        raise InvalidInput(
            "the header has no production column (Prod_<unit>_<year>, such as Prod_t_2022)",
            file=file,
            record="row 1",
        )
    return columns


def _file_commodity(path: Path) -> tuple[str, str | None]:
    match = _FILE_NAME.match(path.name)
    if match is None:
        return "", None
    return match.group("code").lower(), match.group("year")


def _measure_mineral(measure: str) -> Mineral | None:
    lowered = measure.lower()
    return next((mineral for word, mineral in _MEASURE_WORDS if word in lowered), None)


def _edition_rank(row: ProductionRow) -> tuple[int, bool]:
    digits = re.sub(r"\D", "", row.edition)
    return (int(digits) if digits else 0, ValueFlag.ESTIMATED not in row.flags)


def _clean(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


def _csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read the file: {exc.strerror or exc}", file=str(path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"not UTF-8 text (byte {exc.start})", file=str(path)) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = [(reader.line_num, cells) for cells in reader]
    except csv.Error as exc:
        message = f"malformed CSV: {exc}"
        raise InvalidInput(message, file=str(path), record=f"row {reader.line_num}") from None
    if not rows:
        raise InvalidInput("the file is empty; expected a header row", file=str(path))
    return rows
