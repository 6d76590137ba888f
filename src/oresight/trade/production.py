"""Exports beyond production: a country that exports more of a mineral than it mines and imports.

A country cannot sell abroad more gold, tin or cobalt than it produced plus what it brought in,
give or take stocks and timing. When it does, the difference came from somewhere its statistics do
not show: smuggled in from a neighbour and exported as domestic (Uganda's and Rwanda's gold and
3T exports, documented by the UN Group of Experts on the DRC), or declared under the wrong code.

:func:`exports_beyond_production` compares, per country, mineral and year,

* **exports** (the country's own declarations, flow X): its total to World where it reports one,
  else the sum over its partners; a 4-digit heading's total where the file has it, else the sum of
  its 6-digit subheadings (so that neither is counted twice);
* **imports** (flow M), taken the same way;
* **production**, from the production table (:data:`PRODUCTION_SCHEMA`): USGS Mineral Commodity
  Summaries rows, or national figures (tonnes and/or value) read with
  :func:`read_production_csv`. Where several sources or editions give a figure, the largest
  counts: the check claims production was too small, so it gives production the benefit of the
  doubt.

It compares **element content** where it can: each row's net weight times the element share of
its HS code (``trade/data/critical_minerals_hs.yaml``; a code of unwrought or refined metal whose
share is not given counts at 1, the weight of the metal). Where the content of the exports is not
known (ores of varying grade) or production is given only in dollars, it compares **values**:
exports against production value plus imports. A country that has no row in a USGS table that
covers the year is not called a non-producer (USGS folds small producers into "Other countries"):
its production is at most the "Other countries" total, and it is flagged only when its exports
exceed even that. Otherwise its production is unknown and the row says so (``production_unknown``)
for the caller to report as a data gap; so does a row whose production is known in tonnes only
while its exports are ores of unknown grade (``content_unknown``).

A row is flagged when exports exceed what production and imports allow by more than
``tolerance`` (stocks, timing, grade) and the excess is worth at least ``min_excess_usd``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pycountry

from oresight.core.errors import InvalidInput
from oresight.trade.flows import ALL_MODES, WORLD
from oresight.trade.hs import critical_minerals_hs
from oresight.trade.text_table import read_utf8
from oresight.trade.usgs import ProductionRow

PRODUCTION_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("edition", pa.int32()),
        pa.field("country", pa.string()),
        pa.field("country_name", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("mineral", pa.string(), nullable=False),
        pa.field("year", pa.int32(), nullable=False),
        pa.field("measure", pa.string(), nullable=False),
        pa.field("tonnes", pa.float64()),
        pa.field("value_usd", pa.float64()),
        pa.field("estimated", pa.bool_(), nullable=False),
        pa.field("withheld", pa.bool_(), nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_row", pa.int64(), nullable=False),
    ]
)
"""The columns of a production table. ``country`` is ISO 3166-1 alpha-3 (null for the world total
and "Other countries"); ``kind`` is ``country``, ``world`` or ``other``; ``tonnes`` is element
content in metric tons where the measure is (USGS mine production is), ``value_usd`` the value of
output where a source gives it."""

NATIONAL_COLUMNS = ("country", "mineral", "year")
"""The columns a national production CSV must have, besides ``tonnes`` and/or ``value_usd``."""

ROW_SEPARATOR = "\n"
"""Between the source rows (``file:line``) of an aggregate: a file name may hold spaces."""

USGS = "usgs-mcs"
"""The ``source`` of rows read from USGS Mineral Commodity Summaries."""


@dataclass(frozen=True, slots=True)
class ProductionSettings:
    """How exports are judged against production and imports (see the module docstring)."""

    tolerance: float = 0.25
    """How far exports may exceed production plus imports (stocks, timing, grade) unflagged."""
    min_excess_usd: float = 1_000_000.0
    """The least excess, in dollars of exports, worth a finding."""
    min_exports_usd: float = 1_000_000.0
    """Exports below this are not judged (nor reported as lacking production data)."""


def usgs_production_table(rows: Sequence[ProductionRow]) -> pa.Table:
    """USGS world-table rows as a production table (every row kept, withheld ones too)."""
    return pa.Table.from_pylist(
        [
            {
                "source": USGS,
                "edition": row.edition,
                "country": row.iso3,
                "country_name": row.country_name,
                "kind": row.kind,
                "mineral": row.mineral,
                "year": row.year,
                "measure": row.measure,
                "tonnes": row.tonnes,
                "value_usd": None,
                "estimated": row.estimated,
                "withheld": row.withheld,
                "source_file": row.source_file,
                "source_row": row.source_row,
            }
            for row in rows
        ],
        schema=PRODUCTION_SCHEMA,
    )


def read_production_csv(path: Path) -> pa.Table:
    """A national production table: columns ``country`` (ISO 3166 alpha-2 or alpha-3),
    ``mineral`` (oresight's name: ``gold``, ``tin``, ...), ``year``, and ``tonnes`` (element
    content) and/or ``value_usd``; optional ``source`` (who published the figure) and
    ``estimated`` (yes/no). All or nothing: the first bad cell is an error naming its line."""
    file = str(path)
    text = read_utf8(path)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or ()]
    missing = [name for name in NATIONAL_COLUMNS if name not in header]
    if missing or not {"tonnes", "value_usd"} & set(header):
        wanted = ", ".join(missing) if missing else "tonnes or value_usd"
        found = ", ".join(repr(name) for name in header)
        raise InvalidInput(
            f"a production table needs the column(s) {wanted} (found {found}; "
            "is the file comma-separated?)",
            file=file,
            field=missing[0] if missing else "tonnes",
        )
    minerals = {code.mineral for code in critical_minerals_hs()}
    rows: list[dict[str, object]] = []
    for line, raw in enumerate(reader, start=2):
        record = {key.strip(): (value or "").strip() for key, value in raw.items() if key}
        iso3 = _iso3(record["country"], file=file, line=line)
        mineral = record["mineral"].lower()
        if mineral not in minerals:
            raise InvalidInput(
                f"unknown mineral {record['mineral']!r} (one of {', '.join(sorted(minerals))})",
                file=file,
                record=line,
                field="mineral",
            )
        tonnes = _amount(record.get("tonnes", ""), file=file, line=line, field="tonnes")
        value = _amount(record.get("value_usd", ""), file=file, line=line, field="value_usd")
        if tonnes is None and value is None:
            raise InvalidInput(
                "neither tonnes nor value_usd given", file=file, record=line, field="tonnes"
            )
        rows.append(
            {
                "source": record.get("source") or path.name,
                "edition": None,
                "country": iso3,
                "country_name": _country_name(iso3),
                "kind": "country",
                "mineral": mineral,
                "year": _year(record["year"], file=file, line=line),
                "measure": "production (national figure)",
                "tonnes": tonnes,
                "value_usd": value,
                "estimated": record.get("estimated", "").lower() in {"yes", "true", "1", "e"},
                "withheld": False,
                "source_file": path.name,
                "source_row": line,
            }
        )
    if not rows:
        raise InvalidInput("no production rows", file=file)
    return pa.Table.from_pylist(rows, schema=PRODUCTION_SCHEMA)


def mineral_codes() -> ir.Table:
    """The critical-mineral HS codes as a table: ``code``, ``mineral``, ``content_share`` (the
    element share; 1 for a metal whose share is not given; null where it varies)."""
    codes = critical_minerals_hs()
    return ibis.memtable(
        {
            "code": [c.hs for c in codes],
            "code_mineral": [c.mineral for c in codes],
            "content_share": [
                c.element_share
                if c.element_share is not None
                else (1.0 if c.form == "metal" else None)
                for c in codes
            ],
        },
        schema={"code": "string", "code_mineral": "string", "content_share": "float64"},
    )


def mineral_flows(
    flows: ir.Table,
    *,
    years: tuple[int, ...] = (),
    countries: tuple[str, ...] = (),
    minerals: tuple[str, ...] = (),
) -> ir.Table:
    """Each country's declared exports (X) and imports (M) of each mineral per year: dollars,
    net kilograms, element content where known, and the source rows (see the module docstring
    for how World totals and 4-digit headings keep anything from being counted twice)."""
    base = flows.filter(
        (flows.freq == "A") & (flows["mode"] == ALL_MODES) & flows.flow.isin(["X", "M"])
    )
    if years:
        base = base.filter(base.year.isin(list(years)))
    if countries:
        base = base.filter(base.reporter.isin(list(countries)))
    base = base.filter(base.reporter != base.partner)
    codes = mineral_codes()
    exact = codes.rename(
        exact_code="code", exact_mineral="code_mineral", exact_share="content_share"
    )
    heading = codes.rename(
        head_code="code", head_mineral="code_mineral", head_share="content_share"
    )
    tagged = base.mutate(hs4=base.hs.substr(0, 4))
    tagged = tagged.left_join(exact, tagged.hs == exact.exact_code)
    tagged = tagged.left_join(heading, tagged.hs4 == heading.head_code)
    tagged = tagged.select(
        "reporter",
        "partner",
        "year",
        "flow",
        "hs",
        "hs4",
        "value_usd",
        "net_kg",
        row=tagged.source_file.concat(":", tagged.source_row.cast("string")),
        mineral=ibis.coalesce(tagged.exact_mineral, tagged.head_mineral),
        share=ibis.ifelse(tagged.exact_code.notnull(), tagged.exact_share, tagged.head_share),
    )
    tagged = tagged.filter(tagged.mineral.notnull())
    if minerals:
        tagged = tagged.filter(tagged.mineral.isin(list(minerals)))
    # A World total where the reporter gives one, else the partners; a heading's total where
    # the file has it, else its subheadings.
    per_code = ibis.window(group_by=[tagged.reporter, tagged.year, tagged.flow, tagged.hs])
    tagged = tagged.mutate(has_world=(tagged.partner == WORLD).any().over(per_code))
    tagged = tagged.filter((tagged.partner == WORLD) | ~tagged.has_world)
    per_heading = ibis.window(group_by=[tagged.reporter, tagged.year, tagged.flow, tagged.hs4])
    tagged = tagged.mutate(has_heading=(tagged.hs.length() == 4).any().over(per_heading))
    tagged = tagged.filter((tagged.hs.length() == 4) | ~tagged.has_heading)
    content = tagged.net_kg * tagged.share
    return tagged.group_by(["reporter", "year", "mineral", "flow"]).aggregate(
        usd=tagged.value_usd.sum(),
        kg=tagged.net_kg.sum(),
        content_kg=content.sum(),
        unknown_content=content.isnull().sum(),
        rows=tagged.row.group_concat(ROW_SEPARATOR),
    )


def production_figures(production: ir.Table) -> ir.Table:
    """Per country, mineral and year: the largest production figure any source gives (latest
    edition of each source), in tonnes and in dollars, the sources, and whether estimated."""
    rows = production.filter(production.kind == "country")
    latest = ibis.window(group_by=[rows.source, rows.country, rows.mineral, rows.year])
    rows = rows.mutate(newest=rows.edition.max().over(latest))
    rows = rows.filter(rows.edition.isnull() | (rows.edition == rows.newest))
    return rows.group_by([rows.country, rows.mineral, rows.year]).aggregate(
        production_t=rows.tonnes.max(),
        production_usd=rows.value_usd.max(),
        production_withheld=rows.withheld.any(),
        production_estimated=rows.estimated.any(),
        production_sources=rows.source_file.concat(
            ":", rows.source_row.cast("string")
        ).group_concat(ROW_SEPARATOR),
        production_source_names=rows.source.group_concat("; "),
    )


def other_countries(production: ir.Table) -> ir.Table:
    """Per mineral and year, the "Other countries" total of the USGS tables (latest edition):
    the most any country without a row of its own can have produced."""
    rows = production.filter(production.kind == "other")
    latest = ibis.window(group_by=[rows.mineral, rows.year])
    rows = rows.mutate(newest=rows.edition.max().over(latest))
    rows = rows.filter(rows.edition == rows.newest)
    return rows.group_by([rows.mineral, rows.year]).aggregate(
        other_t=rows.tonnes.max(),
        other_source=rows.source_file.concat(":", rows.source_row.cast("string")).min(),
    )


def exports_beyond_production(
    flows: ir.Table,
    production: ir.Table | None,
    settings: ProductionSettings = ProductionSettings(),
    *,
    years: tuple[int, ...] = (),
    countries: tuple[str, ...] = (),
    minerals: tuple[str, ...] = (),
) -> ir.Table:
    """One row per country, mineral and year with exports of at least ``min_exports_usd``:
    exports, imports, production, the basis of comparison, the excess, and the verdict
    (``exceeds``, ``exceeds_other_countries``, ``production_unknown``, ``content_unknown``: a
    production figure in tonnes, exports of unknown grade, or null)."""
    totals = mineral_flows(flows, years=years, countries=countries, minerals=minerals)
    exports = totals.filter(totals.flow == "X").select(
        country=totals.reporter,
        mineral=totals.mineral,
        year=totals.year,
        exports_usd=totals.usd,
        exports_kg=totals.kg,
        exports_content_kg=ibis.ifelse(
            totals.unknown_content == 0, totals.content_kg, ibis.null("float64")
        ),
        export_rows=totals.rows,
    )
    exports = exports.filter(exports.exports_usd >= settings.min_exports_usd)
    imports = totals.filter(totals.flow == "M").select(
        i_country=totals.reporter,
        i_mineral=totals.mineral,
        i_year=totals.year,
        imports_usd=totals.usd,
        imports_kg=totals.kg,
        # An import whose content is not known counts at its gross weight: more than its content.
        imports_content_kg=ibis.ifelse(totals.unknown_content == 0, totals.content_kg, totals.kg),
        import_rows=totals.rows,
    )
    joined = exports.left_join(
        imports,
        [
            exports.country == imports.i_country,
            exports.mineral == imports.i_mineral,
            exports.year == imports.i_year,
        ],
    ).drop("i_country", "i_mineral", "i_year")
    if production is None:
        figures = _no_production()
        others = _no_other_countries()
    else:
        figures = production_figures(production)
        others = other_countries(production)
    figures = figures.rename(p_country="country", p_mineral="mineral", p_year="year")
    joined = joined.left_join(
        figures,
        [
            joined.country == figures.p_country,
            joined.mineral == figures.p_mineral,
            joined.year == figures.p_year,
        ],
    ).drop("p_country", "p_mineral", "p_year")
    others = others.rename(o_mineral="mineral", o_year="year")
    joined = joined.left_join(
        others, [joined.mineral == others.o_mineral, joined.year == others.o_year]
    ).drop("o_mineral", "o_year")
    return _judged(joined, settings)


def _judged(rows: ir.Table, settings: ProductionSettings) -> ir.Table:
    imports_usd = ibis.coalesce(rows.imports_usd, 0.0)
    imports_content = ibis.coalesce(rows.imports_content_kg, 0.0)
    content_known = rows.exports_content_kg.notnull()
    has_row = rows.production_sources.notnull()
    basis = ibis.cases(
        (content_known & rows.production_t.notnull(), "content"),
        (rows.production_usd.notnull(), "value"),
        (content_known & ~has_row & rows.other_t.notnull(), "other_countries"),
        else_=ibis.null("string"),
    )
    rows = rows.mutate(basis=basis)
    available = ibis.cases(
        (rows.basis == "content", rows.production_t * 1000.0 + imports_content),
        (rows.basis == "value", rows.production_usd + imports_usd),
        (rows.basis == "other_countries", rows.other_t * 1000.0 + imports_content),
        else_=ibis.null("float64"),
    )
    exported = ibis.ifelse(rows.basis == "value", rows.exports_usd, rows.exports_content_kg)
    rows = rows.mutate(available=available, exported=exported)
    excess = rows.exported - rows.available
    # The excess in dollars: at the exports' own unit value where it is in kilograms.
    excess_usd = ibis.ifelse(
        rows.basis == "value", excess, excess * rows.exports_usd / rows.exports_content_kg
    )
    exceeds = (rows.exported > rows.available * (1.0 + settings.tolerance)) & (
        excess_usd >= settings.min_excess_usd
    )
    verdict = ibis.cases(
        (rows.basis.isin(["content", "value"]) & exceeds, "exceeds"),
        ((rows.basis == "other_countries") & exceeds, "exceeds_other_countries"),
        (rows.basis.isnull() & (has_row | rows.other_t.notnull()), "content_unknown"),
        (rows.basis.isnull(), "production_unknown"),
        else_=ibis.null("string"),
    )
    return rows.mutate(
        excess=excess,
        excess_usd=excess_usd,
        ratio=ibis.ifelse(rows.available > 0, rows.exported / rows.available, ibis.null("float64")),
        verdict=verdict,
    )


def _no_production() -> ir.Table:
    return ibis.memtable(
        {
            "country": [],
            "mineral": [],
            "year": [],
            "production_t": [],
            "production_usd": [],
            "production_withheld": [],
            "production_estimated": [],
            "production_sources": [],
            "production_source_names": [],
        },
        schema={
            "country": "string",
            "mineral": "string",
            "year": "int32",
            "production_t": "float64",
            "production_usd": "float64",
            "production_withheld": "boolean",
            "production_estimated": "boolean",
            "production_sources": "string",
            "production_source_names": "string",
        },
    )


def _no_other_countries() -> ir.Table:
    return ibis.memtable(
        {"mineral": [], "year": [], "other_t": [], "other_source": []},
        schema={
            "mineral": "string",
            "year": "int32",
            "other_t": "float64",
            "other_source": "string",
        },
    )


def _iso3(cell: str, *, file: str, line: int) -> str:
    code = cell.strip().upper()
    found = None
    if len(code) == 2:
        found = pycountry.countries.get(alpha_2=code)
    elif len(code) == 3:
        found = pycountry.countries.get(alpha_3=code)
    if found is None:
        raise InvalidInput(
            f"not an ISO 3166-1 alpha-2 or alpha-3 country code: {cell!r}",
            file=file,
            record=line,
            field="country",
        )
    return str(found.alpha_3)


def _country_name(iso3: str) -> str:
    found = pycountry.countries.get(alpha_3=iso3)
    return str(found.name) if found is not None else iso3


def _amount(cell: str, *, file: str, line: int, field: str) -> float | None:
    text = cell.replace(",", "").strip()
    if not text:
        return None
    try:
        amount = float(text)
    except ValueError:
        raise InvalidInput(f"not a number: {cell!r}", file=file, record=line, field=field) from None
    if amount < 0 or amount != amount or amount in (float("inf"), float("-inf")):
        raise InvalidInput(
            f"must be a finite number of at least 0, not {cell!r}",
            file=file,
            record=line,
            field=field,
        )
    return amount


def _year(cell: str, *, file: str, line: int) -> int:
    try:
        year = int(cell)
    except ValueError:
        raise InvalidInput(f"not a year: {cell!r}", file=file, record=line, field="year") from None
    if not 1900 <= year <= 2100:
        raise InvalidInput(f"not a plausible year: {year}", file=file, record=line, field="year")
    return year
