"""Exports beyond production: a country selling abroad more than it mines and imports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from oresight.core.errors import InvalidInput
from oresight.core.findings import FindingCode, SubjectType
from oresight.trade.engine import TradeTables, open_tables
from oresight.trade.findings import production_findings
from oresight.trade.flows import FLOW_SCHEMA
from oresight.trade.production import (
    PRODUCTION_SCHEMA,
    ProductionSettings,
    exports_beyond_production,
    read_production_csv,
    usgs_production_table,
)
from oresight.trade.usgs import read_mcs_world

CODES = {"UGA": 800, "ARE": 784, "COD": 180, "RWA": 646, "CHN": 156, "MYS": 458, "WLD": 0}


def flow(
    reporter: str,
    partner: str,
    flow_code: str,
    year: int,
    usd: float,
    kg: float | None,
    hs: str = "7108",
    row: int = 2,
) -> dict[str, Any]:
    return {
        "source": "comtrade",
        "freq": "A",
        "year": year,
        "period": str(year),
        "reporter_code": CODES[reporter],
        "reporter": reporter,
        "partner_code": CODES[partner],
        "partner": partner,
        "flow": flow_code,
        "hs": hs,
        "hs_edition": "H6",
        "mode": 0,
        "value_usd": usd,
        "cif_usd": None,
        "fob_usd": None,
        "net_kg": kg,
        "qty": None,
        "qty_unit": None,
        "source_file": "made.csv",
        "source_row": row,
    }


def production(
    country: str | None, mineral: str, year: int, tonnes: float | None, **extra: Any
) -> dict[str, Any]:
    return {
        "source": extra.get("source", "usgs-mcs"),
        "edition": extra.get("edition", 2024),
        "country": country,
        "country_name": country or "Other countries",
        "kind": extra.get("kind", "country"),
        "mineral": mineral,
        "year": year,
        "measure": "Mine production",
        "tonnes": tonnes,
        "value_usd": extra.get("value_usd"),
        "estimated": False,
        "withheld": False,
        "source_file": extra.get("source_file", "mcs.csv"),
        "source_row": extra.get("source_row", 1),
    }


def tables_of(
    tmp_path: Path, flows: list[dict[str, Any]], produced: list[dict[str, Any]] | None = None
) -> TradeTables:
    pq.write_table(pa.Table.from_pylist(flows, schema=FLOW_SCHEMA), tmp_path / "flows.parquet")
    paths = []
    if produced:
        table = pa.Table.from_pylist(produced, schema=PRODUCTION_SCHEMA)
        pq.write_table(table, tmp_path / "production.parquet")
        paths.append(tmp_path / "production.parquet")
    return open_tables([tmp_path / "flows.parquet"], paths)


def judged(tables: TradeTables, **settings: Any) -> dict[tuple[str, str, int], dict[str, Any]]:
    expression = exports_beyond_production(
        tables.flows, tables.production, ProductionSettings(**settings)
    )
    records = tables.execute(expression).to_dict("records")
    return {(r["country"], r["mineral"], int(r["year"])): r for r in records}


def test_ugandas_gold_exports_are_flagged_against_its_declared_output(tmp_path: Path) -> None:
    # The documented case: Uganda exported about US$2.3 bn of gold in 2023 (about 37 t at the
    # year's prices), while its mines' output was worth under US$50 M. No gold imports are
    # declared in this table.
    (tmp_path / "uganda.csv").write_text(
        "country,mineral,year,value_usd,source\nUG,gold,2023,50000000,national statistics\n",
        encoding="utf-8",
    )
    national = read_production_csv(tmp_path / "uganda.csv")
    rows = [
        flow("UGA", "WLD", "X", 2023, 2.3e9, 37_000, row=2),
        flow("UGA", "ARE", "X", 2023, 2.0e9, 32_000, row=3),  # a partner of the World total
    ]
    tables = tables_of(tmp_path, rows, national.to_pylist())
    row = judged(tables)[("UGA", "gold", 2023)]
    assert row["exports_usd"] == pytest.approx(2.3e9)  # the World total, not World + partner
    assert row["basis"] == "value"
    assert row["available"] == pytest.approx(50e6)
    assert row["ratio"] == pytest.approx(46.0)
    assert row["verdict"] == "exceeds"
    (finding,), gaps = production_findings([row])
    assert not gaps
    assert finding.code is FindingCode.TRADE_EXPORTS_EXCEED_PRODUCTION
    assert finding.subject.type is SubjectType.COUNTRY and finding.subject.id == "UGA"
    assert "US$2.30 bn" in finding.explanation and "US$50.0 M" in finding.explanation
    assert "46×" in finding.title
    assert [e.id for e in finding.evidence] == ["made.csv:2", "uganda.csv:2"]
    assert finding.evidence[1].note == "production figure (national statistics)"


def test_element_content_is_compared_with_production_in_tonnes(tmp_path: Path) -> None:
    rows = [
        flow("RWA", "WLD", "X", 2023, 60e6, 2_400_000, hs="8001"),  # unwrought tin: all tin
        flow("RWA", "WLD", "M", 2023, 5e6, 200_000, hs="8001"),
        flow("MYS", "WLD", "X", 2023, 60e6, 2_400_000, hs="8001"),
    ]
    produced = [production("RWA", "tin", 2023, 3_800), production("MYS", "tin", 2023, 2_000)]
    found = judged(tables_of(tmp_path, rows, produced))
    rwanda, malaysia = found[("RWA", "tin", 2023)], found[("MYS", "tin", 2023)]
    assert rwanda["basis"] == "content"
    assert rwanda["available"] == pytest.approx(3_800_000 + 200_000)
    assert rwanda["verdict"] is None  # 2,400 t of tin against 3,800 t mined
    assert malaysia["ratio"] == pytest.approx(1.2)
    assert malaysia["verdict"] is None  # 20 % over: within the tolerance for stocks and timing
    assert judged(tables_of(tmp_path, rows, produced), tolerance=0.1)[("MYS", "tin", 2023)][
        "verdict"
    ] == ("exceeds")
    # The excess in dollars: 400 t at the exports' US$25/kg.
    strict = judged(tables_of(tmp_path, rows, produced), tolerance=0.1)[("MYS", "tin", 2023)]
    assert strict["excess_usd"] == pytest.approx(10e6)


def test_a_country_without_a_usgs_row_is_bounded_by_other_countries(tmp_path: Path) -> None:
    rows = [
        flow("UGA", "WLD", "X", 2023, 2.3e9, 37_000),
        flow("RWA", "WLD", "X", 2023, 0.9e9, 15_000),
    ]
    produced = [
        production(None, "gold", 2023, 20.0, kind="other", source_row=17),
        production("COD", "gold", 2023, 30.0),
    ]
    found = judged(tables_of(tmp_path, rows, produced))
    uganda = found[("UGA", "gold", 2023)]
    assert uganda["basis"] == "other_countries"
    assert uganda["verdict"] == "exceeds_other_countries"  # 37 t against at most 20 t
    assert uganda["ratio"] == pytest.approx(37 / 20)
    assert found[("RWA", "gold", 2023)]["verdict"] is None  # 15 t: within the bound
    (finding,), _ = production_findings([uganda])
    assert "Other countries" in finding.explanation and finding.confidence == 0.6


def test_unknown_production_and_unknown_grade_are_data_gaps(tmp_path: Path) -> None:
    rows = [
        flow("COD", "WLD", "X", 2023, 80e6, 3e6, hs="261590"),  # coltan: grade varies
        flow("COD", "WLD", "X", 2023, 30e6, 1e6, hs="8001"),
    ]
    produced = [production("COD", "tantalum", 2023, 980)]
    found = judged(tables_of(tmp_path, rows, produced))
    assert found[("COD", "tantalum", 2023)]["verdict"] == "content_unknown"
    assert found[("COD", "tin", 2023)]["verdict"] == "production_unknown"
    findings, gaps = production_findings(found.values())
    assert not findings
    assert sorted(g.missing for g in gaps) == [
        "production of tin in DR Congo, 2023",
        "tantalum content of DR Congo's exports, 2023",
    ]


def test_a_heading_total_is_not_added_to_its_subheadings(tmp_path: Path) -> None:
    rows = [
        flow("UGA", "WLD", "X", 2023, 2.3e9, 37_000, hs="7108", row=2),
        flow("UGA", "WLD", "X", 2023, 2.2e9, 35_000, hs="710812", row=3),
        flow("RWA", "WLD", "X", 2023, 0.5e9, 8_000, hs="710812", row=4),
        flow("RWA", "WLD", "X", 2023, 0.1e9, 1_000, hs="710813", row=5),
    ]
    found = judged(tables_of(tmp_path, rows))
    assert found[("UGA", "gold", 2023)]["exports_usd"] == pytest.approx(2.3e9)
    assert found[("UGA", "gold", 2023)]["export_rows"] == "made.csv:2"
    assert found[("RWA", "gold", 2023)]["exports_usd"] == pytest.approx(0.6e9)
    assert found[("RWA", "gold", 2023)]["verdict"] == "production_unknown"


def test_the_largest_figure_of_the_latest_editions_counts(tmp_path: Path) -> None:
    rows = [flow("RWA", "WLD", "X", 2022, 50e6, 2_000_000, hs="8001")]
    produced = [
        production("RWA", "tin", 2022, 1_000, edition=2023),  # superseded by the 2024 edition
        production("RWA", "tin", 2022, 1_500, edition=2024),
        production("RWA", "tin", 2022, 1_200, source="national", edition=None),
    ]
    row = judged(tables_of(tmp_path, rows, produced))[("RWA", "tin", 2022)]
    assert row["production_t"] == 1_500
    assert row["ratio"] == pytest.approx(2_000 / 1_500)


def test_small_exports_are_not_judged(tmp_path: Path) -> None:
    rows = [flow("UGA", "WLD", "X", 2023, 0.5e6, 8)]
    assert judged(tables_of(tmp_path, rows)) == {}


def test_usgs_tables_become_production_rows(shared_data: Path) -> None:
    rows = read_mcs_world(shared_data / "trade/usgs_mcs2024_world/mcs2024-tanta_world.csv")
    table = usgs_production_table(rows)
    assert table.schema == PRODUCTION_SCHEMA
    burundi = [r for r in table.to_pylist() if r["country"] == "BDI"]
    assert {r["year"]: r["tonnes"] for r in burundi} == {2022: 59.0, 2023: 36.0}
    assert {r["kind"] for r in table.to_pylist()} >= {"country", "world"}


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("country,mineral,year\nUG,gold,2023\n", "tonnes", "tonnes or value_usd"),
        ("country,year,tonnes\nUG,2023,5\n", "mineral", "mineral"),
        ("country,mineral,year,tonnes\nXX,gold,2023,5\n", "country", "not an ISO 3166"),
        ("country,mineral,year,tonnes\nUG,silver,2023,5\n", "mineral", "unknown mineral"),
        ("country,mineral,year,tonnes\nUG,gold,2023,-5\n", "tonnes", "at least 0"),
        ("country,mineral,year,tonnes\nUG,gold,2023,many\n", "tonnes", "not a number"),
        ("country,mineral,year,tonnes,value_usd\nUG,gold,2023,,\n", "tonnes", "neither"),
        ("country,mineral,year,tonnes\nUG,gold,23,5\n", "year", "plausible"),
    ],
)
def test_bad_production_tables_are_refused_naming_the_field(
    tmp_path: Path, text: str, field: str, message: str
) -> None:
    path = tmp_path / "production.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as raised:
        read_production_csv(path)
    assert raised.value.field == field
    assert message in raised.value.message
    assert raised.value.file == str(path)
