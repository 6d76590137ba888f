"""Route shifts: partner shares with absent partners filled in, the change point against a trailing
baseline, the thresholds, the entrepôt table, PySpark against DuckDB and the real Comtrade rows."""

from __future__ import annotations

import csv
import random
import shutil
from collections import defaultdict
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pycountry
import pytest

from oresight.core.errors import InvalidInput
from oresight.core.yaml_text import parse_yaml
from oresight.trade.comtrade import read_comtrade
from oresight.trade.engine import Engine, TradeTables, open_tables
from oresight.trade.flows import FLOW_SCHEMA
from oresight.trade.routes import (
    ROUTE_SHIFT_COLUMNS,
    RouteSettings,
    entrepots,
    parse_entrepots,
    partner_shares,
    route_shifts,
)

CODES = {"COD": 180, "CHN": 156, "ARE": 784, "ZMB": 894, "ZAF": 710, "RWA": 646, "WLD": 0}


def flow(
    reporter: str,
    partner: str,
    year: int,
    value: float,
    *,
    flow_code: str = "X",
    hs: str = "261590",
    mode: int = 0,
) -> dict[str, Any]:
    return {
        "source": "comtrade",
        "freq": "A",
        "year": year,
        "period": str(year),
        "reporter_code": CODES.get(reporter, 999),
        "reporter": reporter,
        "partner_code": CODES.get(partner, 999),
        "partner": partner,
        "flow": flow_code,
        "hs": hs,
        "hs_edition": "H5",
        "mode": mode,
        "value_usd": value,
        "cif_usd": None,
        "fob_usd": None,
        "net_kg": None,
        "qty": None,
        "qty_unit": None,
        "source_file": "made.csv",
        "source_row": 0,
    }


def write_flows(path: Path, rows: list[dict[str, Any]]) -> Path:
    """The rows as a Parquet file of flows, each numbered as the line of a CSV (header on 1)."""
    numbered = [{**row, "source_row": line} for line, row in enumerate(rows, start=2)]
    pq.write_table(pa.Table.from_pylist(numbered, schema=FLOW_SCHEMA), path)
    return path


def tables_of(tmp_path: Path, rows: list[dict[str, Any]]) -> TradeTables:
    return open_tables([write_flows(tmp_path / "flows.parquet", rows)])


def shifts(
    tables: TradeTables, settings: RouteSettings | None = None, **options: Any
) -> list[dict[str, Any]]:
    expression = route_shifts(tables.flows, settings or RouteSettings(), **options)
    frame = tables.execute(expression.order_by(["reporter", "flow", "hs", "year"]))
    records: list[dict[str, Any]] = frame.to_dict("records")
    return records


def split(reporter: str, year: int, total: float, shares: dict[str, float]) -> list[dict[str, Any]]:
    return [flow(reporter, partner, year, total * share) for partner, share in shares.items()]


def cobalt_ore_to_the_emirates(scale: float = 1.0) -> list[dict[str, Any]]:
    """COD's exports of HS 261590: about 90 % to China for three years, then 80 % to the UAE."""
    rows: list[dict[str, Any]] = []
    for year, total in [(2019, 40e6), (2020, 55e6), (2021, 50e6)]:
        rows += split("COD", year, total * scale, {"CHN": 0.9, "ZMB": 0.1})
    rows += split("COD", 2022, 60e6 * scale, {"ARE": 0.8, "CHN": 0.15, "ZMB": 0.05})
    return rows


def test_a_flow_that_moves_to_a_hub_is_flagged_in_the_shift_year(tmp_path: Path) -> None:
    rows = cobalt_ore_to_the_emirates()
    rows.append(flow("COD", "WLD", 2022, 60e6))  # the World total is not a partner
    rows.append(flow("COD", "RWA", 2022, 90e6, mode=9))  # nor is a breakdown by transport mode
    tables = tables_of(tmp_path, rows)
    (shift,) = shifts(tables)
    assert list(shift) == list(ROUTE_SHIFT_COLUMNS)
    # Baseline: CHN 0.9, ZMB 0.1, ARE 0 (mean of 2019-2021); 2022: ARE 0.8, CHN 0.15, ZMB 0.05.
    expected_tvd = 0.5 * (abs(0.80 - 0.0) + abs(0.15 - 0.90) + abs(0.05 - 0.10))
    assert expected_tvd == pytest.approx(0.8)
    assert shift["tvd"] == pytest.approx(expected_tvd)
    assert (shift["reporter"], shift["flow"], shift["hs"], shift["year"]) == (
        "COD",
        "X",
        "261590",
        2022,
    )
    assert shift["total_usd"] == pytest.approx(60e6)
    assert shift["baseline_years"] == 3
    assert (shift["gainer"], shift["loser"]) == ("ARE", "CHN")
    assert shift["gainer_share"] == pytest.approx(0.8)
    assert shift["gainer_baseline_share"] == pytest.approx(0.0)
    assert shift["loser_share"] == pytest.approx(0.15)
    assert shift["loser_baseline_share"] == pytest.approx(0.9)
    assert bool(shift["gainer_is_new"]) is True
    assert bool(shift["gainer_hub"]) is True
    # The gainer's own declaration that year: the 7th row written, line 8 of a CSV.
    assert shift["row"] == "made.csv:8"
    # Judging 2022 alone reads its baseline all the same; 2021 is no shift.
    assert [r["year"] for r in shifts(tables, years=(2022,))] == [2022]
    assert shifts(tables, years=(2021,)) == []
    # Without the UAE among the hubs, the same shift is not marked as one.
    assert bool(shifts(tables, hubs=("CHE",))[0]["gainer_hub"]) is False


def test_ordinary_drift_is_not_a_shift(tmp_path: Path) -> None:
    rows: list[dict[str, Any]] = []
    for year, china in [(2018, 0.90), (2019, 0.85), (2020, 0.95), (2021, 0.88), (2022, 0.93)]:
        rows += split("COD", year, 50e6, {"CHN": china, "ZMB": 1 - china})
    tables = tables_of(tmp_path, rows)
    assert shifts(tables) == []
    # The years are judged: a threshold of a few points raises them.
    assert [r["year"] for r in shifts(tables, RouteSettings(min_shift=0.03))] == [2020, 2022]


def test_a_year_with_too_little_baseline_is_not_judged(tmp_path: Path) -> None:
    rows = split("COD", 2021, 50e6, {"CHN": 1.0})
    rows += split("COD", 2022, 50e6, {"ARE": 1.0})  # one year of baseline only
    rows += split("RWA", 2015, 50e6, {"CHN": 1.0})
    rows += split("RWA", 2016, 50e6, {"CHN": 1.0})
    rows += split("RWA", 2017, 50e6, {"CHN": 1.0})
    rows += split("RWA", 2022, 50e6, {"ARE": 1.0})  # no data in 2019-2021, its baseline window
    tables = tables_of(tmp_path, rows)
    assert shifts(tables) == []
    one_year = shifts(tables, RouteSettings(min_baseline_years=1))
    assert [(r["reporter"], r["year"], r["tvd"]) for r in one_year] == [("COD", 2022, 1.0)]
    long_window = shifts(tables, RouteSettings(baseline_years=6))
    assert [(r["reporter"], r["year"], r["baseline_years"]) for r in long_window] == [
        ("RWA", 2022, 2)  # 2016 and 2017 lie in 2016-2021
    ]


def test_a_partner_that_vanishes_counts(tmp_path: Path) -> None:
    rows: list[dict[str, Any]] = []
    for year in (2019, 2020, 2021):
        rows += split("COD", year, 30e6, {"CHN": 0.5, "ZMB": 0.5})
    rows += split("COD", 2022, 40e6, {"CHN": 1.0})  # Zambia is gone
    tables = tables_of(tmp_path, rows)
    shares = tables.execute(partner_shares(tables.flows, years=(2022,)))
    zambia = shares[shares.partner == "ZMB"].iloc[0]
    assert (zambia["value_usd"], zambia["share"], zambia["row"]) == (0.0, 0.0, None)
    assert shares.share.sum() == pytest.approx(1.0)
    (shift,) = shifts(tables)
    assert shift["tvd"] == pytest.approx(0.5 * (abs(1.0 - 0.5) + abs(0.0 - 0.5)))
    assert (shift["loser"], shift["loser_share"], shift["loser_baseline_share"]) == (
        "ZMB",
        0.0,
        pytest.approx(0.5),
    )
    assert (shift["gainer"], shift["gainer_share"]) == ("CHN", pytest.approx(1.0))
    assert not shift["gainer_is_new"]
    assert not shift["gainer_hub"]


def test_small_flows_are_not_flagged(tmp_path: Path) -> None:
    tables = tables_of(tmp_path, cobalt_ore_to_the_emirates(scale=0.01))  # US$600,000 in 2022
    assert shifts(tables) == []
    (shift,) = shifts(tables, RouteSettings(min_value_usd=500_000.0))
    assert shift["total_usd"] == pytest.approx(600_000.0)


def test_partner_shares_fill_every_partner_into_every_year(tmp_path: Path) -> None:
    tables = tables_of(tmp_path, cobalt_ore_to_the_emirates())
    frame = tables.execute(partner_shares(tables.flows))
    assert len(frame) == 4 * 3  # four years, three partners
    by_year = frame.groupby("year")
    assert by_year.share.sum().tolist() == pytest.approx([1.0] * 4)
    emirates = frame[frame.partner == "ARE"].set_index("year")
    assert emirates.loc[[2019, 2020, 2021], "share"].tolist() == [0.0, 0.0, 0.0]
    assert emirates.loc[2022, "value_usd"] == pytest.approx(48e6)


# --- PySpark -------------------------------------------------------------------------------------


def generated_flows(seed: int = 7) -> list[dict[str, Any]]:
    """Ten years of flows of several reporters, codes and flows: drifting mixes, with one in
    three series jumping to another partner once."""
    chance = random.Random(seed)
    partners = ["CHN", "ARE", "ZMB", "ZAF", "BEL", "IND", "CHE", "HKG"]
    rows: list[dict[str, Any]] = []
    for reporter in ("COD", "RWA", "ZMB", "ZAF"):
        for hs in ("261590", "710812", "8105"):
            for flow_code in ("X", "M", "RX"):
                weights = {p: chance.random() for p in chance.sample(partners, 3) if p != reporter}
                jump = chance.choice([None, None, 2019, 2021, 2023])
                for year in range(2015, 2025):
                    if chance.random() < 0.1:
                        continue  # a year without report
                    if jump is not None and year >= jump:
                        weights = {"ARE": 5.0, **{p: w * 0.2 for p, w in weights.items()}}
                        jump = None
                    total = sum(weights.values())
                    value = chance.uniform(0.2e6, 30e6)
                    for partner, weight in weights.items():
                        noisy = weight * chance.uniform(0.9, 1.1)
                        row = flow(reporter, partner, year, value * noisy / total, hs=hs)
                        rows.append({**row, "flow": flow_code})
    return rows


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_pyspark_gives_the_same_rows_as_duckdb(tmp_path: Path) -> None:
    pytest.importorskip("pyspark", reason="the pyspark engine needs the spark extra")
    if shutil.which("java") is None:
        pytest.skip("PySpark needs a Java runtime (17)")
    path = write_flows(tmp_path / "generated.parquet", generated_flows())
    keys = ["reporter", "flow", "hs", "year"]
    exact = ["source", *keys, "baseline_years", "gainer", "loser", "gainer_is_new", "gainer_hub"]
    numbers = ["total_usd", "tvd", "gainer_share", "gainer_baseline_share", "loser_share"]
    results = []
    for engine in (Engine.DUCKDB, Engine.PYSPARK):
        tables = open_tables([path], engine=engine)
        frame = tables.execute(route_shifts(tables.flows))
        results.append(frame.sort_values(keys).reset_index(drop=True))
    duck, spark = results
    assert len(duck) == len(spark) >= 5
    assert duck[exact].astype(str).values.tolist() == spark[exact].astype(str).values.tolist()
    assert duck["row"].fillna("-").tolist() == spark["row"].fillna("-").tolist()
    for column in numbers:
        assert duck[column].tolist() == pytest.approx(spark[column].tolist())


# --- the entrepôt table --------------------------------------------------------------------------

REQUIRED_HUBS = {"HKG", "SGP", "NLD", "BEL", "ARE", "PAN", "CHE", "LUX", "MAC", "RWA", "UGA"}


def test_the_packaged_entrepots_load_with_real_iso_codes() -> None:
    table = entrepots()
    assert set(table) >= REQUIRED_HUBS | {"BDI", "TUR", "IND"}
    for iso3, hub in table.items():
        assert hub.iso3 == iso3
        assert pycountry.countries.get(alpha_3=iso3) is not None, iso3
        assert hub.roles and hub.note and "\n" not in hub.note
        assert hub.sources and all(s.url.startswith("https://") for s in hub.sources)
    assert "conflict_minerals_transit" in table["RWA"].roles
    assert "gold" in table["CHE"].roles
    assert entrepots() is entrepots()  # cached


def packaged_text() -> str:
    return resources.files("oresight.trade").joinpath("data", "entrepots.yaml").read_text("utf-8")


def test_a_hostile_copy_with_a_key_given_twice_is_refused() -> None:
    text = packaged_text()
    hostile = text.replace("  - iso3: HKG\n", "  - iso3: HKG\n    iso3: CHN\n", 1)
    assert hostile != text
    with pytest.raises(InvalidInput, match="given twice") as caught:
        parse_yaml(hostile, file="hostile.yaml")
    assert caught.value.file == "hostile.yaml"


def test_a_country_listed_twice_is_refused() -> None:
    document = parse_yaml(packaged_text(), file="copy.yaml")
    assert set(parse_entrepots(document, file="copy.yaml")) == set(entrepots())
    document["entrepots"].append(dict(document["entrepots"][0]))
    last = len(document["entrepots"]) - 1
    with pytest.raises(InvalidInput, match="listed twice") as caught:
        parse_entrepots(document, file="copy.yaml")
    assert (caught.value.record, caught.value.field) == (f"entrepots[{last}] (HKG)", "iso3")


def _one_entry(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "iso3": "SGP",
        "name": "Singapore",
        "roles": ["re_export"],
        "note": "Re-exports.",
        "sources": [{"name": "SingStat", "url": "https://www.singstat.gov.sg/"}],
    }
    entry.update(changes)
    return {"version": 1, "entrepots": [entry]}


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"iso3": "XXX"}, "iso3", "ISO 3166-1 alpha-3"),
        ({"iso3": "sgp"}, "iso3", "ISO 3166-1 alpha-3"),
        ({"iso3": "SG"}, "iso3", "ISO 3166-1 alpha-3"),
        ({"roles": ["tax_haven"]}, "roles.0", "Input should be"),
        ({"roles": []}, "roles", "at least 1 item"),
        ({"sources": []}, "sources", "at least 1 item"),
        ({"sources": [{"name": "SingStat", "url": "singstat"}]}, "sources.0.url", "URL"),
        ({"note": ""}, "note", "at least 1 character"),
        ({"hub": True}, "hub", "Extra inputs"),
    ],
)
def test_bad_entries_name_file_entry_and_field(
    changes: dict[str, Any], field: str, says: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_entrepots(_one_entry(**changes), file="t.yaml")
    assert caught.value.file == "t.yaml"
    assert str(caught.value.record).startswith("entrepots[0]")
    assert caught.value.field == field
    assert says in caught.value.message


def test_the_entrepots_of_the_misinvoicing_reference_are_listed(shared_data: Path) -> None:
    path = shared_data / "trade" / "reference_misinvoicing" / "entrepot_reporters.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        listed = {row["iso3"] for row in csv.DictReader(handle)}
    assert len(listed) == 9
    assert listed <= set(entrepots())


# --- the real Comtrade rows ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_flows(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("real-routes")
    tables = []
    for path in sorted((shared_data / "trade/comtrade_cmm_data").glob("*.csv")):
        if path.name.startswith("heavy_ree"):
            continue  # byte for byte the rows of light_ree: they would be counted twice
        tables.append(read_comtrade(path)[0])
    parquet = folder / "comtrade.parquet"
    pq.write_table(pa.concat_tables(tables), parquet)
    yield parquet
    shutil.rmtree(folder, ignore_errors=True)


def judged_series_years(parquet: Path, settings: RouteSettings) -> set[tuple[str, str, str, int]]:
    """The reporter-flow-code years that have enough baseline, counted here in plain Python."""
    years: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    for row in pq.read_table(parquet).to_pylist():
        if (
            row["freq"] == "A"
            and row["mode"] == 0
            and row["flow"] in ("X", "M", "RX")
            and row["partner"] not in ("WLD", row["reporter"])
            and row["value_usd"] > 0
        ):
            years[(row["reporter"], row["flow"], row["hs"])].add(row["year"])
    judged = set()
    for series, present in years.items():
        for year in present:
            window = range(year - settings.baseline_years, year)
            if sum(1 for past in window if past in present) >= settings.min_baseline_years:
                judged.add((*series, year))
    return judged


def test_the_real_comtrade_rows(real_flows: Path) -> None:
    tables = open_tables([real_flows])
    settings = RouteSettings()
    frame = tables.execute(route_shifts(tables.flows, settings))
    assert list(frame.columns) == list(ROUTE_SHIFT_COLUMNS)
    assert ((frame.tvd >= settings.min_shift) & (frame.total_usd >= settings.min_value_usd)).all()
    # Each reporter in these files declares one partner per flow and code (the mirror partner),
    # so its mix never changes: nothing is raised, and every share is 1.
    assert frame.empty
    shares = tables.execute(partner_shares(tables.flows))
    assert len(shares) > 300
    assert shares.share.tolist() == pytest.approx([1.0] * len(shares))
    # With the thresholds at zero, every year with enough baseline comes out, at distance 0.
    everything = RouteSettings(min_shift=0.0, min_value_usd=0.0)
    every = tables.execute(route_shifts(tables.flows, everything))
    found = set(zip(every.reporter, every.flow, every.hs, every.year, strict=True))
    assert found == judged_series_years(real_flows, everything)
    assert len(found) > 100
    assert every.tvd.abs().max() == pytest.approx(0.0)
    assert (every.baseline_years >= everything.min_baseline_years).all()
