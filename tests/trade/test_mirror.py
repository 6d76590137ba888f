"""Mirror gaps: pairing the two declarations, the CIF/FOB margin, and what is significant."""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from oresight.trade.comtrade import read_comtrade
from oresight.trade.engine import Engine, TradeTables, open_tables
from oresight.trade.flows import FLOW_SCHEMA
from oresight.trade.mirror import MirrorSettings, judge, mirror_pairs
from oresight.trade.storage import TradeStore


def flow(
    reporter: str, partner: str, flow_code: str, year: int, value: float, hs: str = "261590"
) -> dict[str, Any]:
    codes = {"COD": 180, "RWA": 646, "CHN": 156, "ARE": 784, "UGA": 800, "WLD": 0}
    return {
        "source": "comtrade",
        "freq": "A",
        "year": year,
        "period": str(year),
        "reporter_code": codes[reporter],
        "reporter": reporter,
        "partner_code": codes[partner],
        "partner": partner,
        "flow": flow_code,
        "hs": hs,
        "hs_edition": "H5",
        "mode": 0,
        "value_usd": value,
        "cif_usd": None,
        "fob_usd": None,
        "net_kg": None,
        "qty": None,
        "qty_unit": None,
        "source_file": "made.csv",
        "source_row": year,
    }


def tables_of(tmp_path: Path, rows: list[dict[str, Any]]) -> TradeTables:
    path = tmp_path / "flows.parquet"
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows, schema=FLOW_SCHEMA), path)
    return open_tables([path])


def judged(tables: TradeTables, settings: MirrorSettings | None = None) -> list[dict[str, Any]]:
    settings = settings or MirrorSettings()
    frame = tables.execute(
        judge(mirror_pairs(tables.flows, settings), settings).order_by(
            ["exporter", "importer", "hs", "year"]
        )
    )
    records: list[dict[str, Any]] = frame.to_dict("records")
    return records


def test_the_import_is_taken_to_fob_before_the_gap(tmp_path: Path) -> None:
    tables = tables_of(
        tmp_path, [flow("RWA", "ARE", "X", 2022, 10e6), flow("ARE", "RWA", "M", 2022, 31.8e6)]
    )
    (row,) = judged(tables)
    assert row["status"] == "both"
    assert row["m_fob_usd"] == pytest.approx(30e6)
    assert row["gap_usd"] == pytest.approx(20e6)
    assert row["log_ratio"] == pytest.approx(math.log(3.0))
    assert row["verdict"] == "short_history"  # one year: judged on its ratio alone
    flat = judged(tables, MirrorSettings(cif_fob=1.0))[0]
    assert flat["gap_usd"] == pytest.approx(21.8e6)


def test_one_sided_flows_say_whether_the_other_side_reports_at_all(tmp_path: Path) -> None:
    rows = [
        flow("COD", "CHN", "X", 2022, 5e6),  # China reports imports of the code, not from COD
        flow("CHN", "RWA", "M", 2022, 8e6),
        flow("RWA", "CHN", "X", 2022, 7.5e6),
        flow("UGA", "ARE", "X", 2022, 3e6),  # the UAE reports nothing of the code
        flow("ARE", "COD", "M", 2021, 2e6),  # an import COD never declared exporting...
        flow("COD", "RWA", "X", 2021, 1e5),  # ...though COD reports exports of the code
        flow("UGA", "RWA", "X", 2022, 4e6),  # Rwanda reports only its total with the World
        flow("RWA", "WLD", "M", 2022, 9e6),
        flow("RWA", "ARE", "X", 2023, 6e6),  # the UAE's partners make up its World total...
        flow("ARE", "COD", "M", 2023, 9.5e6),
        flow("ARE", "WLD", "M", 2023, 10e6),
        flow("UGA", "CHN", "X", 2021, 3e6),  # ...China's do not (a download of one partner)
        flow("CHN", "RWA", "M", 2021, 1e6),
        flow("CHN", "WLD", "M", 2021, 50e6),
    ]
    by_pair = {
        (r["exporter"], r["importer"], r["year"]): r for r in judged(tables_of(tmp_path, rows))
    }
    assert by_pair[("COD", "CHN", 2022)]["status"] == "lost"
    assert by_pair[("COD", "CHN", 2022)]["verdict"] == "one_sided"
    assert by_pair[("UGA", "ARE", 2022)]["status"] == "importer_silent"
    assert by_pair[("UGA", "ARE", 2022)]["verdict"] is None
    assert by_pair[("COD", "ARE", 2021)]["status"] == "orphan"
    assert by_pair[("COD", "RWA", 2021)]["status"] == "importer_silent"
    assert by_pair[("RWA", "CHN", 2022)]["status"] == "both"
    # Rwanda's partners are not in the data at all: a missing one says nothing.
    assert by_pair[("UGA", "RWA", 2022)]["status"] == "importer_partial"
    assert by_pair[("UGA", "RWA", 2022)]["verdict"] is None
    assert by_pair[("RWA", "ARE", 2023)]["status"] == "lost"  # 9.5 of 10 M accounted for
    assert by_pair[("UGA", "CHN", 2021)]["status"] == "importer_partial"  # 1 of 50 M
    assert ("RWA", "WLD", 2022) not in by_pair


def test_a_chronic_gap_is_judged_against_the_pairs_own_history(tmp_path: Path) -> None:
    # Every year the importer sees about four times what the exporter declares, then one year
    # forty times: only that year departs from the pair's usual.
    rows: list[dict[str, Any]] = []
    for year, factor in [(2019, 4.0), (2020, 4.4), (2021, 3.8), (2022, 4.2), (2023, 40.0)]:
        rows.append(flow("COD", "CHN", "X", year, 10e6))
        rows.append(flow("CHN", "COD", "M", year, 10e6 * factor * 1.06))
    records = judged(tables_of(tmp_path, rows))
    verdicts = {r["year"]: r["verdict"] for r in records}
    assert verdicts[2023] == "departure"
    assert {verdicts[year] for year in (2019, 2020, 2021, 2022)} == {"chronic"}
    assert records[0]["years_both"] == 5
    assert records[0]["usual_ratio"] == pytest.approx(math.log(4.2))


def test_small_and_ordinary_gaps_are_not_significant(tmp_path: Path) -> None:
    rows: list[dict[str, Any]] = []
    for year, factor in [(2019, 1.1), (2020, 0.9), (2021, 1.05), (2022, 1.2)]:
        rows.append(flow("COD", "CHN", "X", year, 10e6))
        rows.append(flow("CHN", "COD", "M", year, 10e6 * factor * 1.06))
    rows.append(flow("RWA", "ARE", "X", 2022, 1e5))  # large ratio, small money
    rows.append(flow("ARE", "RWA", "M", 2022, 9e5))
    assert {r["verdict"] for r in judged(tables_of(tmp_path, rows))} == {None}


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[TradeStore]:
    folder = tmp_path_factory.mktemp("real-trade")
    store = TradeStore(folder / "trade")
    for path in sorted((shared_data / "trade/comtrade_cmm_data").glob("*.csv")):
        if path.name.startswith("heavy_ree"):
            continue  # the same rows as light_ree: the store would refuse them as a double count
        table, summary = read_comtrade(path)
        store.add_flows(table, summary, sha256=path.name)
    yield store
    shutil.rmtree(folder, ignore_errors=True)


def test_the_us_china_gap_on_hs_253090_in_2020_shows(real_store: TradeStore) -> None:
    tables = open_tables(real_store.files("flows"))
    rows = tables.execute(judge(mirror_pairs(tables.flows, hs=("253090",))))
    pair = rows[(rows.exporter == "USA") & (rows.importer == "CHN")].set_index("year")
    assert pair.loc[2020, "x_usd"] == pytest.approx(4_000_757)
    assert pair.loc[2020, "m_usd"] == pytest.approx(121_611_174)
    assert pair.loc[2020, "gap_usd"] == pytest.approx(121_611_174 / 1.06 - 4_000_757)
    # China has declared 25 to 142 times the US exports every year from 2020 to 2024: a chronic
    # gap, raised for the pair, not a departure in any one year.
    assert set(pair["verdict"]) == {"chronic"}
    assert int(pair.loc[2020, "years_both"]) == 5


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_pyspark_gives_the_same_answer_as_duckdb(real_store: TradeStore) -> None:
    pytest.importorskip("pyspark", reason="the pyspark engine needs the spark extra")
    if shutil.which("java") is None:
        pytest.skip("PySpark needs a Java runtime (17)")
    files = real_store.files("flows")
    columns = ["year", "hs", "exporter", "importer", "status", "verdict"]
    keys = ["exporter", "importer", "hs", "year"]
    results = []
    for engine in (Engine.DUCKDB, Engine.PYSPARK):
        tables = open_tables(files, engine=engine)
        frame = tables.execute(judge(mirror_pairs(tables.flows)))
        frame = frame.sort_values(keys).reset_index(drop=True)
        results.append(frame)
    duck, spark = results
    assert len(duck) == len(spark) > 150
    assert duck[columns].fillna("-").values.tolist() == spark[columns].fillna("-").values.tolist()
    for column in ("x_usd", "m_usd", "gap_usd", "log_ratio", "usual_ratio"):
        assert duck[column].fillna(-1).tolist() == pytest.approx(spark[column].fillna(-1).tolist())


def test_imports_declared_by_transport_mode_are_taken_to_fob_mode_by_mode(
    tmp_path: Path,
) -> None:
    def by_mode(row: dict[str, Any], mode: int, line: int) -> dict[str, Any]:
        return {**row, "mode": mode, "source_row": line}

    rows = [
        flow("COD", "CHN", "X", 2022, 80e6),
        flow("CHN", "COD", "M", 2022, 100e6),
        by_mode(flow("CHN", "COD", "M", 2022, 60e6), 2100, 101),  # sea
        by_mode(flow("CHN", "COD", "M", 2022, 40e6), 1000, 102),  # air
        flow("RWA", "ARE", "X", 2022, 10e6),
        flow("ARE", "RWA", "M", 2022, 30e6),
        by_mode(flow("ARE", "RWA", "M", 2022, 30e6), 3200, 103),  # road: the land group's factor
        flow("UGA", "ARE", "X", 2022, 10e6),
        flow("ARE", "UGA", "M", 2022, 20e6),  # no breakdown by mode: the flat factor
    ]
    settings = MirrorSettings(cif_fob_by_mode=((2100, 1.05), (1000, 1.2), (3000, 1.04)))
    by_pair = {
        (r["exporter"], r["importer"]): r for r in judged(tables_of(tmp_path, rows), settings)
    }
    assert by_pair[("COD", "CHN")]["m_fob_usd"] == pytest.approx(60e6 / 1.05 + 40e6 / 1.2)
    assert by_pair[("RWA", "ARE")]["m_fob_usd"] == pytest.approx(30e6 / 1.04)
    assert by_pair[("UGA", "ARE")]["m_fob_usd"] == pytest.approx(20e6 / 1.06)
    # Without per-mode factors every import uses the flat one.
    flat = {(r["exporter"], r["importer"]): r for r in judged(tables_of(tmp_path, rows))}
    assert flat[("COD", "CHN")]["m_fob_usd"] == pytest.approx(100e6 / 1.06)
