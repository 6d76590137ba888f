"""Every trade analysis over one world, as findings: on DuckDB and, unchanged, on PySpark."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from oresight.core.findings import FindingCode
from oresight.trade.analysis import TradeScope, analyse
from oresight.trade.comtrade import read_comtrade
from oresight.trade.engine import Engine, TradeTables, open_tables
from oresight.trade.flows import FLOW_SCHEMA
from oresight.trade.production import PRODUCTION_SCHEMA

CODES = {
    "AUS": 36, "BDI": 108, "BRA": 76, "CHN": 156, "COD": 180, "ETH": 231, "MOZ": 508,
    "MYS": 458, "NGA": 566, "RWA": 646, "UGA": 800, "ARE": 784, "WLD": 0, "ZMB": 894,
    "ZWE": 716, "TZA": 834, "KEN": 404, "GHA": 288, "CIV": 384, "SLE": 694, "GIN": 324,
    "MLI": 466, "BFA": 854, "NAM": 516, "ZAF": 710,
}  # fmt: skip
EXPORTERS = (
    "AUS", "BFA", "BRA", "CIV", "COD", "ETH", "GHA", "GIN", "KEN", "MLI",
    "MOZ", "NAM", "NGA", "RWA", "SLE", "TZA", "UGA", "ZAF", "ZMB", "ZWE",
)  # fmt: skip


def flow(reporter: str, partner: str, code: str, year: int, usd: float, kg: float,
         hs: str = "261590") -> dict[str, Any]:  # fmt: skip
    return {
        "source": "comtrade", "freq": "A", "year": year, "period": str(year),
        "reporter_code": CODES[reporter], "reporter": reporter,
        "partner_code": CODES[partner], "partner": partner, "flow": code, "hs": hs,
        "hs_edition": "H6", "mode": 0, "value_usd": usd, "cif_usd": None, "fob_usd": None,
        "net_kg": kg, "qty": None, "qty_unit": None, "source_file": "world.csv",
        "source_row": 0,
    }  # fmt: skip


def world() -> list[dict[str, Any]]:
    """Coltan to China from twenty producers at US$30-58/kg, 2019-2023, declared by both
    sides; one under-priced export, one year's import ten times the export, Burundi's exports
    moving to the UAE, and Malaysia exporting more tin than it mines."""
    rows: list[dict[str, Any]] = []
    for year in range(2019, 2024):
        for index, exporter in enumerate(EXPORTERS):
            kg = 100_000.0 * (index + 1)
            price = 30.0 + 1.5 * index
            if (exporter, year) == ("RWA", 2022):
                price = 5.0  # declared at an eighth of the market: money kept abroad
            usd = kg * price
            imported = usd * 1.06 * (10.0 if (exporter, year) == ("COD", 2023) else 1.0)
            rows.append(flow(exporter, "CHN", "X", year, usd, kg))
            rows.append(flow("CHN", exporter, "M", year, imported, kg))
        to_uae = 0.85 if year >= 2022 else 0.0
        for partner, share in (("CHN", 1 - to_uae), ("ARE", to_uae)):
            if share:
                usd = 12e6 * share
                rows.append(flow("BDI", partner, "X", year, usd, usd / 44))
                rows.append(flow(partner, "BDI", "M", year, usd * 1.06, usd / 44))
        rows.append(flow("MYS", "WLD", "X", year, 75e6, 3_000_000, hs="8001"))
    for number, row in enumerate(rows, start=2):
        row["source_row"] = number
    return rows


def production() -> list[dict[str, Any]]:
    return [
        {
            "source": "usgs-mcs",
            "edition": 2024,
            "country": "MYS",
            "country_name": "Malaysia",
            "kind": "country",
            "mineral": "tin",
            "year": year,
            "measure": "Mine production",
            "tonnes": 1_000.0,
            "value_usd": None,
            "estimated": False,
            "withheld": False,
            "source_file": "mcs2024-tin_world.csv",
            "source_row": 9,
        }
        for year in range(2019, 2024)
    ]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("analysis")
    pq.write_table(pa.Table.from_pylist(world(), schema=FLOW_SCHEMA), folder / "flows.parquet")
    pq.write_table(
        pa.Table.from_pylist(production(), schema=PRODUCTION_SCHEMA), folder / "prod.parquet"
    )
    return folder / "flows.parquet", folder / "prod.parquet"


def tables(files: tuple[Path, Path], engine: Engine = Engine.DUCKDB) -> TradeTables:
    return open_tables([files[0]], [files[1]], engine=engine)


def test_every_planted_problem_becomes_its_finding(files: tuple[Path, Path]) -> None:
    outcome = analyse(tables(files))
    found = {
        (f.code, f.subject.id, f.period.start.year if f.period.start else 0)
        for f in outcome.findings
    }
    assert (FindingCode.TRADE_PRICE_ANOMALY, "RWA>CHN/261590", 2022) in found
    assert (FindingCode.TRADE_MIRROR_GAP, "COD>CHN/261590", 2023) in found
    assert (FindingCode.TRADE_ROUTE_SHIFT, "BDI/261590/X", 2022) in found
    assert (FindingCode.TRADE_EXPORTS_EXCEED_PRODUCTION, "MYS", 2019) in found
    # A lasting route shift is raised once, at its change point.
    assert [k for k in found if k[0] is FindingCode.TRADE_ROUTE_SHIFT] == [
        (FindingCode.TRADE_ROUTE_SHIFT, "BDI/261590/X", 2022)
    ]
    price = next(
        f
        for f in outcome.findings
        if f.title.startswith("Unit value under the plausible range: Rwanda's")
    )
    assert "US$5.00/kg" in price.explanation and "out of Rwanda" in price.explanation
    shift = next(f for f in outcome.findings if f.code is FindingCode.TRADE_ROUTE_SHIFT)
    assert "United Arab Emirates" in shift.explanation and "transit hub" in shift.explanation
    beyond = next(f for f in outcome.findings if f.subject.id == "MYS")
    assert "3,000 t" in beyond.explanation and "1,000.0 t" in beyond.explanation
    chart = beyond.evidence[0].data["series"]
    assert chart["exports declared"][0] == [2019, 3_000.0]
    # Rwanda's under-priced export shows on both sides, and so does the over-priced import.
    assert outcome.flagged["trade.price_anomaly"] == 3
    assert outcome.flagged["trade.mirror_gap"] == 1
    assert outcome.flagged["trade.exports_exceed_production"] == 5  # every year


def test_the_scope_narrows_what_is_reported_not_what_is_read(files: tuple[Path, Path]) -> None:
    scoped = analyse(tables(files), TradeScope(years=(2023,), countries=("COD",)))
    assert {(f.code, f.subject.id) for f in scoped.findings} == {
        (FindingCode.TRADE_MIRROR_GAP, "COD>CHN/261590"),
        (FindingCode.TRADE_PRICE_ANOMALY, "COD>CHN/261590"),  # China's import at 10x the price
    }
    # 2023 is judged against 2019-2022 although only 2023 is reported, and they stay in its chart.
    (gap,) = [f for f in scoped.findings if f.code is FindingCode.TRADE_MIRROR_GAP]
    assert "median of 5 years" in gap.explanation
    chart = gap.evidence[0].data["series"]["exports declared by the exporter (FOB)"]
    assert [year for year, _ in chart] == [2019, 2020, 2021, 2022, 2023]
    tin = analyse(tables(files), TradeScope(minerals=("tin",)))
    assert {f.code for f in tin.findings} == {FindingCode.TRADE_EXPORTS_EXCEED_PRODUCTION}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_pyspark_raises_the_same_findings_as_duckdb(files: tuple[Path, Path]) -> None:
    pytest.importorskip("pyspark", reason="the pyspark engine needs the spark extra")
    if shutil.which("java") is None:
        pytest.skip("PySpark needs a Java runtime (17)")
    duck = analyse(tables(files))
    spark = analyse(tables(files, Engine.PYSPARK))
    assert len(duck.findings) >= 4
    assert [f.id for f in spark.findings] == [f.id for f in duck.findings]
    assert [f.title for f in spark.findings] == [f.title for f in duck.findings]
    assert [g.missing for g in spark.gaps] == [g.missing for g in duck.gaps]


def test_the_real_comtrade_rows_give_the_us_china_lithium_gap(
    shared_data: Path, tmp_path: Path
) -> None:
    paths = []
    for path in sorted((shared_data / "trade/comtrade_cmm_data").glob("*.csv")):
        if path.name.startswith("heavy_ree"):
            continue  # the same rows as light_ree
        table, _ = read_comtrade(path)
        pq.write_table(table, tmp_path / f"{path.stem}.parquet")
        paths.append(tmp_path / f"{path.stem}.parquet")
    outcome = analyse(open_tables(paths), TradeScope(hs=("253090",)))
    (gap,) = [f for f in outcome.findings if f.subject.id == "USA>CHN/253090"]
    assert gap.code is FindingCode.TRADE_MIRROR_GAP
    assert "2020–2024" in gap.title and "64×" in gap.title
    series = gap.evidence[0].data["series"]
    exported = dict(map(tuple, series["exports declared by the exporter (FOB)"]))
    imported = dict(map(tuple, series["imports declared by the importer (taken to FOB)"]))
    assert exported[2020] == pytest.approx(4_000_757)
    assert imported[2020] * 1.06 == pytest.approx(121_611_174)
    assert {e.id for e in gap.evidence} >= {"lithium_trade_data.csv:21"}
