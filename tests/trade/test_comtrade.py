"""The Comtrade reader: real API rows, what is kept and left out, and hostile files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oresight.core.errors import InvalidInput
from oresight.trade.comtrade import read_comtrade
from oresight.trade.flows import FLOW_SCHEMA

HEADER = (
    "typeCode,freqCode,refYear,period,reporterCode,flowCode,partnerCode,partner2Code,"
    "classificationCode,cmdCode,customsCode,motCode,qtyUnitCode,qty,netWgt,cifvalue,fobvalue,"
    "primaryValue"
)


def comtrade_csv(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "comtrade.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


ROW_X = "C,A,2020,2020,842,X,156,0,H5,253090,C00,0,8,3601201,3601201,0,4000757,4000757"
ROW_M = "C,A,2020,2020,156,M,842,0,H5,253090,C00,0,8,75328080,75328080,121611174,0,121611174"


def test_the_real_lithium_rows_give_the_us_china_mirror(shared_data: Path) -> None:
    path = shared_data / "trade/comtrade_cmm_data/lithium_trade_data.csv"
    table, summary = read_comtrade(path)
    with path.open(encoding="utf-8") as handle:
        records = sum(1 for _ in handle) - 1
    assert summary.rows_read == records
    assert summary.rows_kept == table.num_rows == records  # every row is a kept total
    assert summary.excluded == {} and summary.unknown_codes == {}
    assert table.schema.equals(FLOW_SCHEMA)
    rows = {
        (r["reporter"], r["partner"], r["flow"]): r
        for r in table.to_pylist()
        if r["hs"] == "253090" and r["year"] == 2020 and r["mode"] == 0
    }
    assert rows[("USA", "CHN", "X")]["value_usd"] == 4_000_757
    assert rows[("CHN", "USA", "M")]["value_usd"] == 121_611_174
    assert rows[("CHN", "USA", "M")]["cif_usd"] == 121_611_174
    assert rows[("USA", "CHN", "X")]["net_kg"] == 3_601_201
    assert rows[("USA", "WLD", "X")]["partner_code"] == 0


def test_every_real_comtrade_file_reads_with_every_country_mapped(shared_data: Path) -> None:
    files = sorted((shared_data / "trade/comtrade_cmm_data").glob("*.csv"))
    assert len(files) == 8
    for path in files:
        table, summary = read_comtrade(path)
        assert summary.unknown_codes == {}, path.name
        assert not any(code.startswith("#") for code in table.column("reporter").to_pylist())
        assert summary.rows_kept + sum(summary.excluded.values()) == summary.rows_read


def test_breakdowns_and_other_flows_are_counted_not_loaded(tmp_path: Path) -> None:
    path = comtrade_csv(
        tmp_path,
        ROW_X,
        ROW_M,
        "C,A,2020,2020,842,X,156,0,H5,253090,C01,0,8,1,1,0,50,50",  # customs breakdown
        "C,A,2020,2020,842,X,156,410,H5,253090,C00,0,8,1,1,0,50,50",  # second partner
        "C,A,2020,2020,842,DX,156,0,H5,253090,C00,0,8,1,1,0,50,50",  # domestic exports
        "C,A,2020,2020,842,X,156,0,H5,253090,C00,2100,8,1,1,0,70,70",  # by mode: kept
        "C,A,2020,2020,842,M,156,0,H5,253090,C00,0,8,1,1,0,0,-5",  # negative
    )
    table, summary = read_comtrade(path)
    assert summary.rows_read == 7 and summary.rows_kept == 3
    assert table.column("mode").to_pylist() == [0, 0, 2100]
    assert table.column("source_row").to_pylist() == [2, 3, 7]
    assert sorted(summary.excluded.values()) == [1, 1, 1, 1]
    assert any("customs procedure" in reason for reason in summary.excluded)
    assert any("second partner" in reason for reason in summary.excluded)
    assert "a negative value" in summary.excluded
    assert "4 left out" not in summary.describe() and "3 of 7 rows kept" in summary.describe()


def test_json_from_the_api_reads_like_csv(tmp_path: Path) -> None:
    names = HEADER.split(",")
    records = [dict(zip(names, row.split(","), strict=True)) for row in (ROW_X, ROW_M)]
    for record in records:  # the API gives numbers as numbers
        for key in ("refYear", "reporterCode", "partnerCode", "primaryValue", "motCode"):
            record[key] = float(record[key]) if key == "primaryValue" else int(record[key])
    path = tmp_path / "comtrade.json"
    path.write_text(json.dumps({"count": 2, "data": records}), encoding="utf-8")
    table, summary = read_comtrade(path)
    from_csv, _ = read_comtrade(comtrade_csv(tmp_path, ROW_X, ROW_M))
    assert summary.rows_kept == 2
    keep = ["reporter", "partner", "flow", "hs", "year", "value_usd", "net_kg"]
    assert table.select(keep).to_pylist() == from_csv.select(keep).to_pylist()
    assert table.column("source_row").to_pylist() == [1, 2]


def test_codes_keep_their_leading_zeros(tmp_path: Path) -> None:
    path = comtrade_csv(tmp_path, ROW_X.replace(",253090,", ",010121,"))
    table, _summary = read_comtrade(path)
    assert table.column("hs").to_pylist() == ["010121"]


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(InvalidInput, match="empty") as raised:
        read_comtrade(path)
    assert raised.value.file == str(path)


def test_unknown_country_codes_are_kept_and_reported(tmp_path: Path) -> None:
    path = comtrade_csv(tmp_path, ROW_X.replace(",156,", ",998,"))
    table, summary = read_comtrade(path)
    assert table.column("partner").to_pylist() == ["#998"]
    assert summary.unknown_codes == {998: 1}
    assert "998 (1 rows)" in summary.describe()


@pytest.mark.parametrize(
    ("rows", "header", "message", "record", "field"),
    [
        (
            [ROW_X.replace("4000757,4000757", "4000757,lots")],
            HEADER,
            "expected a number",
            2,
            "primaryValue",
        ),
        ([ROW_X.replace(",8,3601201,", ",8,3.6t,")], HEADER, "expected a number", 2, "qty"),
        ([ROW_X.replace(",842,", ",USA,")], HEADER, "whole number", 2, "reporterCode"),
        ([ROW_X, ROW_M, ROW_X], HEADER, "same flow", 4, None),
        ([ROW_X.replace(",", ";")], HEADER.replace(",", ";"), "delimited", None, "reporterCode"),
        ([ROW_X], HEADER.replace("primaryValue", "value"), "missing column", None, "primaryValue"),
        ([ROW_X.replace("C,A,2020,2020", "C,A,,")], HEADER, "no year", 2, "refYear"),
    ],
)
def test_bad_files_are_refused_naming_the_line_and_field(
    tmp_path: Path,
    rows: list[str],
    header: str,
    message: str,
    record: int | None,
    field: str | None,
) -> None:
    path = comtrade_csv(tmp_path, *rows, header=header)
    with pytest.raises(InvalidInput, match=message) as raised:
        read_comtrade(path)
    assert raised.value.file == str(path)
    assert raised.value.record == record
    assert raised.value.field == field


def test_a_csv_with_a_wrong_column_count_names_the_file(tmp_path: Path) -> None:
    path = comtrade_csv(tmp_path, ROW_X + ",extra,extra")
    with pytest.raises(InvalidInput, match="not a readable CSV") as raised:
        read_comtrade(path)
    assert raised.value.file == str(path)


def test_json_that_is_not_the_api_shape_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"data": {"a": 1}}', encoding="utf-8")
    with pytest.raises(InvalidInput, match="'data' array"):
        read_comtrade(path)
    path.write_text('{"data": [', encoding="utf-8")
    with pytest.raises(InvalidInput, match="not readable JSON"):
        read_comtrade(path)
