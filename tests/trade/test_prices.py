"""The price filter: fences on unit values, the medcouple, the money a price implies moved."""

from __future__ import annotations

import math
import shutil
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from oresight.core.errors import InvalidInput
from oresight.trade.comtrade import read_comtrade
from oresight.trade.engine import Engine, TradeTables, open_tables
from oresight.trade.flows import FLOW_SCHEMA
from oresight.trade.prices import (
    ANOMALY_COLUMNS,
    BOUNDS_COLUMNS,
    UNIT_VALUE_COLUMNS,
    PriceMethod,
    PriceSettings,
    price_anomalies,
    price_bounds,
    unit_values,
)

TUKEY = PriceSettings(method=PriceMethod.IQR)


def flow(
    unit_value: float,
    kg: float | None = 1000.0,
    *,
    flow_code: str = "X",
    reporter: str = "COD",
    partner: str = "CHN",
    year: int = 2022,
    hs: str = "810520",
    row: int = 1,
    mode: int = 0,
    freq: str = "A",
) -> dict[str, Any]:
    """One flow of ``kg`` kilograms at ``unit_value`` US$/kg (a value of 1 when kg is empty)."""
    value = unit_value * kg if kg else 1.0
    return {
        "source": "comtrade",
        "freq": freq,
        "year": year,
        "period": str(year),
        "reporter_code": 1,
        "reporter": reporter,
        "partner_code": 0 if partner == "WLD" else 2,
        "partner": partner,
        "flow": flow_code,
        "hs": hs,
        "hs_edition": "H6",
        "mode": mode,
        "value_usd": value,
        "cif_usd": None,
        "fob_usd": None,
        "net_kg": kg,
        "qty": None,
        "qty_unit": None,
        "source_file": "made.csv",
        "source_row": row,
    }


def group_of(
    values: Sequence[float], *, kg: float = 1000.0, hs: str = "810520", year: int = 2022
) -> list[dict[str, Any]]:
    """A price group: one export per value, numbered from row 1."""
    return [
        flow(value, kg, hs=hs, year=year, row=number, partner=f"P{number:03d}")
        for number, value in enumerate(values, start=1)
    ]


def tables_of(
    tmp_path: Path, rows: list[dict[str, Any]], engine: Engine = Engine.DUCKDB
) -> TradeTables:
    path = tmp_path / "flows.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=FLOW_SCHEMA), path)
    return open_tables([path], engine=engine)


def records(tables: TradeTables, expression: Any) -> list[dict[str, Any]]:
    """The rows of ``expression``, with null floats as None (pandas gives NaN, never equal)."""
    found: list[dict[str, Any]] = tables.execute(expression).to_dict("records")
    return [
        {
            key: None if isinstance(value, float) and math.isnan(value) else value
            for key, value in row.items()
        }
        for row in found
    ]


def brute_medcouple(values: Sequence[float], median: float | None = None) -> float:
    """The medcouple by its definition (Brys, Hubert & Struyf 2004), over every pair, written
    independently of the Ibis version: h(xi, xj) = ((xi − m) − (m − xj)) / (xi − xj) for
    xi ≥ m ≥ xj, and for values tied with m the sign of a + b − 1 − k."""
    m = statistics.median(values) if median is None else median
    ties = sum(1 for x in values if x == m)
    upper = sorted((x for x in values if x >= m), reverse=True)
    lower = sorted(x for x in values if x <= m)
    kernels: list[float] = []
    for xi in upper:
        for xj in lower:
            if xi != xj:
                kernels.append(((xi - m) - (m - xj)) / (xi - xj))
    # Every pair of tied values, numbered 1 ... k on each side.
    for a in range(1, ties + 1):
        for b in range(1, ties + 1):
            kernels.append(float(np.sign(a + b - 1 - ties)))
    return float(statistics.median(kernels))


@pytest.mark.parametrize(
    ("low_flow", "high_flow", "money"),
    [("X", "M", "out"), ("M", "X", "in")],
)
def test_tukey_fences_on_a_group_worked_by_hand(
    tmp_path: Path, low_flow: str, high_flow: str, money: str
) -> None:
    # Sorted unit values 5, 93, 100, 101 ... 106, 300 (n = 10). Type-7 quartiles: Q1 at rank
    # 2.25 = 100.25, median at 4.5 = 102.5, Q3 at 6.75 = 104.75; IQR 4.5; fences
    # 100.25 − 6.75 = 93.5 and 104.75 + 6.75 = 111.5.
    rows = group_of([93, 100, 101, 102, 103, 104, 105, 106])
    rows.append(flow(5.0, 100_000.0, flow_code=low_flow, row=9, partner="LOW"))
    rows.append(flow(300.0, 2000.0, flow_code=high_flow, row=10, partner="HIG"))
    tables = tables_of(tmp_path, rows)
    (bounds,) = records(tables, price_bounds(unit_values(tables.flows), TUKEY))
    assert {k: bounds[k] for k in ("n", "q1", "median", "q3", "iqr", "lower", "upper")} == {
        "n": 10,
        "q1": 100.25,
        "median": 102.5,
        "q3": 104.75,
        "iqr": 4.5,
        "lower": 93.5,
        "upper": 111.5,
    }
    assert bounds["medcouple"] is None
    flagged = {
        r["partner"]: r
        for r in records(tables, price_anomalies(tables.flows, TUKEY).order_by("row"))
    }
    # 93 is below the fence too, but moved only (100.25 − 93) × 1000 = US$7,250.
    assert set(flagged) == {"LOW", "HIG"}
    low, high = flagged["LOW"], flagged["HIG"]
    assert (low["direction"], high["direction"]) == ("under", "over")
    assert low["moved_usd"] == (100.25 - 5.0) * 100_000.0 == 9_525_000.0
    assert high["moved_usd"] == (300.0 - 104.75) * 2000.0 == 390_500.0
    # An under-priced export and an over-priced import take money out; the reverse brings it in.
    assert low["money"] == high["money"] == money
    assert low["row"] == "made.csv:9"
    every = records(tables, price_anomalies(tables.flows, replace(TUKEY, min_moved_usd=0.0)))
    assert sorted(r["unit_value"] for r in every) == [5.0, 93.0, 300.0]


def test_the_adjusted_boxplot_spares_the_ordinary_right_tail(tmp_path: Path) -> None:
    # Unit values are log-normal: a long right tail of ordinary prices. Tukey's fences assume
    # symmetry, so Q3 + 1.5·IQR cuts into that tail (about 5 % of a log-normal with σ = 0.6
    # lies beyond it); the medcouple measures the skew and the adjusted boxplot pushes the
    # upper fence out by e^(3·MC), so only the genuinely extreme prices stay flagged. (It also
    # pulls the lower fence in, by e^(−4·MC), which Tukey's negative lower fence never reaches.)
    generator = np.random.default_rng(20240601)
    rows = group_of(list(np.exp(generator.normal(0.0, 0.6, 300)) * 50.0), kg=1e6)
    tables = tables_of(tmp_path, rows)
    every = PriceSettings(min_moved_usd=0.0)
    tukey = records(tables, price_anomalies(tables.flows, replace(every, method=PriceMethod.IQR)))
    adjusted = records(tables, price_anomalies(tables.flows, every))
    assert len(tukey) >= 10
    assert len(adjusted) < len(tukey)
    assert {r["direction"] for r in tukey} == {"over"}
    over = {r["row"] for r in adjusted if r["direction"] == "over"}
    assert over < {r["row"] for r in tukey}
    (bounds,) = records(tables, price_bounds(unit_values(tables.flows)))
    assert bounds["medcouple"] > 0.15
    (plain,) = records(tables, price_bounds(unit_values(tables.flows), TUKEY))
    assert bounds["upper"] == pytest.approx(
        plain["q3"] + 1.5 * math.exp(3 * bounds["medcouple"]) * plain["iqr"]
    )
    assert bounds["lower"] == pytest.approx(
        plain["q1"] - 1.5 * math.exp(-4 * bounds["medcouple"]) * plain["iqr"]
    )


def test_the_medcouple_measures_skew_both_ways(tmp_path: Path) -> None:
    generator = np.random.default_rng(7)
    tail = np.exp(generator.normal(0.0, 0.8, 150))
    normal = generator.normal(0.0, 1.0, 100)
    rows = [
        *group_of(list(10.0 + tail), hs="right"),
        *group_of(list(30.0 - tail), hs="left"),
        # A sample symmetric about 50: its medcouple is 0 exactly.
        *group_of([*(50.0 + normal), *(50.0 - normal)], hs="symmetric"),
    ]
    tables = tables_of(tmp_path, rows)
    found = {r["hs"]: r for r in records(tables, price_bounds(unit_values(tables.flows)))}
    assert found["right"]["medcouple"] > 0.15
    assert found["left"]["medcouple"] < -0.15
    assert found["left"]["medcouple"] == pytest.approx(-found["right"]["medcouple"], abs=1e-9)
    assert found["symmetric"]["medcouple"] == pytest.approx(0.0, abs=1e-9)
    # For MC < 0 the lower fence is the one pushed out, by e^(−3·MC).
    left = found["left"]
    assert left["lower"] == pytest.approx(
        left["q1"] - 1.5 * math.exp(-3 * left["medcouple"]) * left["iqr"]
    )
    assert left["upper"] == pytest.approx(
        left["q3"] + 1.5 * math.exp(4 * left["medcouple"]) * left["iqr"]
    )


def test_the_medcouple_matches_its_definition_on_small_groups(tmp_path: Path) -> None:
    generator = np.random.default_rng(11)
    groups = {
        "ties_odd": [float(v) for v in generator.integers(1, 8, 31)],  # many ties at the median
        "ties_even": [float(v) for v in generator.integers(1, 5, 20)],
        "skewed": list(np.exp(generator.normal(0.0, 1.0, 64))),
        "pair": [3.0, 9.0],
        # m = 2, tied three times. Kernels: (11, 1) 0.8; (10, 1) 7/9; (11 or 10, 2) 1 six
        # times; (2, 1) −1 three times; the nine pairs of tied values −1, 0 and +1 three times
        # each. The median of the 20 is (7/9 + 0.8)/2; leaving the tied pairs out would give 1.
        "hand": [1.0, 2.0, 2.0, 2.0, 10.0, 11.0],
    }
    rows = [row for hs, values in groups.items() for row in group_of(values, hs=hs)]
    tables = tables_of(tmp_path, rows)
    found = {r["hs"]: r for r in records(tables, price_bounds(unit_values(tables.flows)))}
    for hs, values in groups.items():
        unit = [row["value_usd"] / row["net_kg"] for row in group_of(values)]
        assert found[hs]["n"] == len(values)
        assert found[hs]["median"] == pytest.approx(statistics.median(unit), abs=1e-12)
        assert found[hs]["medcouple"] == pytest.approx(brute_medcouple(unit), abs=1e-12), hs
        assert found[hs]["q1"] == pytest.approx(float(np.quantile(unit, 0.25)), abs=1e-9)
        assert found[hs]["q3"] == pytest.approx(float(np.quantile(unit, 0.75)), abs=1e-9)
    assert found["hand"]["medcouple"] == pytest.approx((7 / 9 + 0.8) / 2, abs=1e-15)


def test_a_large_group_takes_the_medcouple_on_evenly_spaced_order_statistics(
    tmp_path: Path,
) -> None:
    generator = np.random.default_rng(3)
    values = sorted(float(v) for v in np.exp(generator.normal(0.0, 1.0, 30)) * 10.0)
    tables = tables_of(tmp_path, group_of(values, kg=1.0))
    points = 8
    (bounds,) = records(
        tables, price_bounds(unit_values(tables.flows), PriceSettings(medcouple_points=points))
    )
    # Ranks round(i·29/7), i = 0 ... 7, halves rounded up; the median is the whole group's.
    ranks = [math.floor(Fraction(i * 29, 7) + Fraction(1, 2)) for i in range(points)]
    assert ranks == [0, 4, 8, 12, 17, 21, 25, 29]
    picked = [values[rank] for rank in ranks]
    expected = brute_medcouple(picked, median=statistics.median(values))
    assert bounds["medcouple"] == pytest.approx(expected, abs=1e-12)
    assert bounds["medcouple"] != pytest.approx(brute_medcouple(values), abs=1e-6)


def test_groups_under_min_observations_are_not_judged(tmp_path: Path) -> None:
    seven = group_of([100, 101, 102, 103, 104, 105, 5000], kg=10_000.0)
    tables = tables_of(tmp_path, seven)
    assert records(tables, price_anomalies(tables.flows, TUKEY)) == []
    (bounds,) = records(tables, price_bounds(unit_values(tables.flows), TUKEY))
    assert bounds["n"] == 7 and bounds["upper"] < 5000  # outside, but too few to judge
    eight = [*seven, flow(106.0, 10_000.0, row=8, partner="P008")]
    tables = tables_of(tmp_path, eight)
    (flagged,) = records(tables, price_anomalies(tables.flows, TUKEY))
    assert flagged["unit_value"] == 5000.0 and flagged["n"] == 8
    fewer = PriceSettings(method=PriceMethod.IQR, min_observations=9)
    assert records(tables, price_anomalies(tables.flows, fewer)) == []


def test_flows_that_cannot_be_priced_are_left_out(tmp_path: Path) -> None:
    rows = group_of([100, 101, 102, 103, 104, 105, 106, 107], kg=10_000.0)
    unpriced = [
        flow(9000.0, 10_000.0, partner="WLD", row=20),  # the World total
        flow(9000.0, None, row=21, partner="NUL"),  # no weight
        flow(9000.0, 0.0, row=22, partner="ZER"),  # weight zero: value 1, no unit value
        flow(9000.0, 10_000.0, flow_code="RX", row=23, partner="REX"),
        flow(9000.0, 10_000.0, mode=1, row=24, partner="SEA"),  # one transport mode
        flow(9000.0, 10_000.0, freq="M", row=25, partner="MON"),
        flow(0.0, 10_000.0, row=26, partner="NIL"),  # no value
    ]
    tables = tables_of(tmp_path, [*rows, *unpriced])
    priced = records(tables, unit_values(tables.flows))
    assert sorted(r["row"] for r in priced) == sorted(f"made.csv:{n}" for n in range(1, 9))
    assert list(tables.execute(unit_values(tables.flows)).columns) == list(UNIT_VALUE_COLUMNS)
    assert records(tables, price_anomalies(tables.flows, TUKEY)) == []
    # The same flow with a weight and a partner is priced, and flagged.
    tables = tables_of(tmp_path, [*rows, flow(9000.0, 10_000.0, row=30, partner="USA")])
    (flagged,) = records(tables, price_anomalies(tables.flows, TUKEY))
    assert flagged["row"] == "made.csv:30"


def test_years_and_codes_narrow_the_flows_priced(tmp_path: Path) -> None:
    values = [100, 101, 102, 103, 104, 105, 106, 5000]
    rows = [
        *group_of(values, kg=10_000.0, year=2021),
        *group_of(values, kg=10_000.0, year=2022),
        *group_of(values, kg=10_000.0, hs="282200"),
    ]
    tables = tables_of(tmp_path, rows)
    every = records(tables, price_anomalies(tables.flows, TUKEY))
    assert sorted((r["hs"], r["year"]) for r in every) == [
        ("282200", 2022),
        ("810520", 2021),
        ("810520", 2022),
    ]
    narrowed = records(tables, price_anomalies(tables.flows, TUKEY, years=(2022,), hs=("810520",)))
    assert [(r["hs"], r["year"]) for r in narrowed] == [("810520", 2022)]


def test_settings_that_make_no_sense_are_refused() -> None:
    with pytest.raises(InvalidInput, match="medcouple_points"):
        PriceSettings(medcouple_points=1)
    with pytest.raises(InvalidInput, match="iqr_k"):
        PriceSettings(iqr_k=0.0)
    with pytest.raises(InvalidInput, match="min_observations"):
        PriceSettings(min_observations=0)


def generated_flows() -> list[dict[str, Any]]:
    """Groups of every kind: skewed both ways, larger than the medcouple's points, ties, small."""
    generator = np.random.default_rng(99)
    rows: list[dict[str, Any]] = []
    row = 0
    for year in (2021, 2022):
        for hs, values in {
            "lognormal": np.exp(generator.normal(3.0, 1.0, 150)),
            "left": 200.0 - np.exp(generator.normal(2.0, 0.7, 90)),
            "ties": generator.integers(20, 26, 40).astype(float),
            "small": np.exp(generator.normal(3.0, 1.0, 6)),
            "single": np.array([42.0]),
        }.items():
            for value in values:
                row += 1
                kg = float(generator.integers(1_000, 200_000))
                rows.append(
                    flow(
                        float(value),
                        kg,
                        flow_code="X" if row % 3 else "M",
                        partner=f"P{row:04d}",
                        year=year,
                        hs=hs,
                        row=row,
                    )
                )
    return rows


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_pyspark_gives_the_same_anomalies_as_duckdb(tmp_path: Path) -> None:
    pytest.importorskip("pyspark", reason="the pyspark engine needs the spark extra")
    if shutil.which("java") is None:
        pytest.skip("PySpark needs a Java runtime (17)")
    rows = generated_flows()
    settings = PriceSettings(min_moved_usd=10_000.0)
    found: dict[str, list[list[dict[str, Any]]]] = {"bounds": [], "adjusted": [], "iqr": []}
    for engine in (Engine.DUCKDB, Engine.PYSPARK):
        tables = tables_of(tmp_path, rows, engine)
        found["bounds"].append(
            records(
                tables, price_bounds(unit_values(tables.flows), settings).order_by(["hs", "year"])
            )
        )
        found["adjusted"].append(
            records(tables, price_anomalies(tables.flows, settings).order_by("row"))
        )
        found["iqr"].append(
            records(
                tables,
                price_anomalies(
                    tables.flows, PriceSettings(method=PriceMethod.IQR, min_moved_usd=10_000.0)
                ).order_by("row"),
            )
        )
    duck_bounds, spark_bounds = found["bounds"]
    assert len(duck_bounds) == 10
    # The same quantiles and medcouples to the bit; the fences to the last bit of exp(), which
    # the two engines compute with different libraries.
    exact = ["hs", "year", "n", "q1", "median", "q3", "iqr", "medcouple"]
    assert [[b[c] for c in exact] for b in duck_bounds] == [
        [b[c] for c in exact] for b in spark_bounds
    ]
    for column in ("lower", "upper"):
        assert [b[column] for b in duck_bounds] == pytest.approx(
            [b[column] for b in spark_bounds], rel=1e-14
        )
    for method in ("adjusted", "iqr"):
        duck, spark = found[method]
        assert len(duck) >= 5, method
        assert [r["row"] for r in duck] == [r["row"] for r in spark], method
        for ours, theirs in zip(duck, spark, strict=True):
            numbers = [k for k, v in ours.items() if isinstance(v, float)]
            assert {k: v for k, v in ours.items() if k not in numbers} == {
                k: v for k, v in theirs.items() if k not in numbers
            }
            assert [ours[k] for k in numbers] == pytest.approx(
                [theirs[k] for k in numbers], rel=1e-14
            )
    assert len(found["adjusted"][0]) < len(found["iqr"][0])


@pytest.fixture(scope="module")
def real_tables(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[tuple[TradeTables, pa.Table]]:
    folder = tmp_path_factory.mktemp("real-prices")
    paths: list[Path] = []
    tables: list[pa.Table] = []
    for path in sorted((shared_data / "trade/comtrade_cmm_data").glob("*.csv")):
        if path.name.startswith("heavy_ree"):
            continue  # the same rows as light_ree: every price would be counted twice
        table, _ = read_comtrade(path)
        target = folder / f"{path.stem}.parquet"
        pq.write_table(table, target)
        paths.append(target)
        tables.append(table)
    yield open_tables(paths), pa.concat_tables(tables)
    shutil.rmtree(folder, ignore_errors=True)


def test_the_price_filter_runs_over_the_real_comtrade_rows(
    real_tables: tuple[TradeTables, pa.Table],
) -> None:
    tables, flows = real_tables
    # Priced, counted independently of Ibis.
    mask = pc.and_(
        pc.and_(
            pc.and_(pc.equal(flows["freq"], "A"), pc.equal(flows["mode"], 0)),
            pc.and_(
                pc.not_equal(flows["partner"], "WLD"), pc.is_in(flows["flow"], pa.array(["X", "M"]))
            ),
        ),
        pc.and_(
            pc.greater(flows["value_usd"], 0), pc.fill_null(pc.greater(flows["net_kg"], 0), False)
        ),
    )
    priced = tables.execute(unit_values(tables.flows))
    assert len(priced) == pc.sum(mask).as_py() > 100
    assert (priced.unit_value == priced.value_usd / priced.net_kg).all()

    bounds = tables.execute(price_bounds(unit_values(tables.flows)))
    assert list(bounds.columns) == list(BOUNDS_COLUMNS)
    assert bounds.n.sum() == len(priced)
    assert (bounds.lower <= bounds.q1).all() and (bounds.q1 <= bounds["median"]).all()
    assert (bounds["median"] <= bounds.q3).all() and (bounds.q3 <= bounds.upper).all()
    assert bounds.medcouple.between(-1.0, 1.0).all()

    # The groups of these rows are small (three reporters a year, at most six priced flows):
    # under the default of eight, none is judged.
    assert bounds.n.max() < PriceSettings().min_observations
    assert len(tables.execute(price_anomalies(tables.flows))) == 0
    loose = PriceSettings(min_observations=4, min_moved_usd=0.0, method=PriceMethod.IQR)
    flagged = tables.execute(price_anomalies(tables.flows, loose))
    assert list(flagged.columns) == list(ANOMALY_COLUMNS)
    assert len(flagged) > 0
    assert (flagged.n >= 4).all()
    under = flagged.direction == "under"
    assert (flagged[under].unit_value < flagged[under].lower).all()
    assert (flagged[~under].unit_value > flagged[~under].upper).all()
    assert (flagged.moved_usd >= 0).all()
    out = ((flagged.flow == "X") & under) | ((flagged.flow == "M") & ~under)
    assert ((flagged.money == "out") == out).all()
    assert flagged.row.str.match(r"^\w+\.csv:\d+$").all()
