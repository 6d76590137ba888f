"""The BACI reader: units multiplied out, padded NA quantities, exclusions and hostile files."""

from __future__ import annotations

from pathlib import Path

import pytest

from oresight.core.errors import InvalidInput
from oresight.trade.baci import hs_edition, read_baci
from oresight.trade.flows import FLOW_SCHEMA


def baci_file(tmp_path: Path, *rows: str, header: str = "t,i,j,k,v,q") -> Path:
    path = tmp_path / "BACI_HS17_Y2021_V202401b.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_values_and_quantities_are_dollars_and_kilograms(tmp_path: Path) -> None:
    path = baci_file(
        tmp_path,
        "2021,180,156,260500,2500.5,1200.25",
        "2021,842,757,710812,10.0,         NA",
        "2021,699,251,81052,3.0,0.5",  # k written without its leading zero
    )
    table, summary = read_baci(path)
    assert table.schema.equals(FLOW_SCHEMA)
    rows = table.to_pylist()
    assert [(r["reporter"], r["partner"]) for r in rows] == [
        ("COD", "CHN"),
        ("USA", "CHE"),
        ("IND", "FRA"),
    ]
    assert rows[0]["value_usd"] == pytest.approx(2_500_500)
    assert rows[0]["net_kg"] == pytest.approx(1_200_250)
    assert rows[1]["net_kg"] is None  # NA quantity
    assert rows[2]["hs"] == "081052"
    assert {r["flow"] for r in rows} == {"X"} and {r["hs_edition"] for r in rows} == {"H5"}
    assert summary.rows_kept == 3 and set(table.column("year").to_pylist()) == {2021}


def test_negative_values_are_left_out_and_counted(tmp_path: Path) -> None:
    path = baci_file(
        tmp_path,
        "2021,180,156,260500,-1,1",
        "2021,180,156,260400,5,-2",
        "2021,180,156,260300,5,2",
    )
    table, summary = read_baci(path)
    assert table.column("hs").to_pylist() == ["260300"]
    assert summary.excluded == {"a negative value": 1, "a negative quantity": 1}


@pytest.mark.parametrize(
    ("rows", "header", "message", "record", "field"),
    [
        (["2021,180,156,260500,12,heavy"], "t,i,j,k,v,q", "expected a number", 2, "q"),
        (["2021,180,156,260500,1e3x,1"], "t,i,j,k,v,q", "expected a number", 2, "v"),
        (["2021,COD,156,260500,1,1"], "t,i,j,k,v,q", "whole number", 2, "i"),
        (["2021;180;156;260500;1;1"], "t;i;j;k;v;q", "delimited", None, "t"),
        (["2021,180,156,1,1"], "t,i,j,v,q", "missing column", None, "k"),
        (
            ["2021,180,156,260500,1,1", "2021,180,156,260500,2,2"],
            "t,i,j,k,v,q",
            "same flow",
            3,
            None,
        ),
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
    path = baci_file(tmp_path, *rows, header=header)
    with pytest.raises(InvalidInput, match=message) as raised:
        read_baci(path)
    assert (raised.value.file, raised.value.record, raised.value.field) == (
        str(path),
        record,
        field,
    )


def test_the_hs_edition_comes_from_the_file_name() -> None:
    assert hs_edition(Path("BACI_HS22_Y2023_V202501.csv")) == "H6"
    assert hs_edition(Path("BACI_HS92_Y1995_V202501.csv")) == "H0"
    assert hs_edition(Path("trade.csv")) is None
