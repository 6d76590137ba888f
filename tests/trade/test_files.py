"""Trade and production files told apart by their content."""

from __future__ import annotations

from pathlib import Path

import pytest

from oresight.core.errors import UnknownFormat
from oresight.trade.files import FileKind, file_kind, read_trade_file


def test_each_kind_is_told_from_its_content(tmp_path: Path, shared_data: Path) -> None:
    baci = tmp_path / "BACI_HS17_Y2022_V202401.csv"
    baci.write_text("t,i,j,k,v,q\n2022,180,156,261590,1234.5,40.1\n", encoding="utf-8")
    national = tmp_path / "production.csv"
    national.write_text("country,mineral,year,value_usd\nUG,gold,2023,5e7\n", encoding="utf-8")
    api = tmp_path / "comtrade.json"
    api.write_text(
        '{"data": [{"reporterCode": 180, "partnerCode": 156, "flowCode": "X", '
        '"cmdCode": "261590", "refYear": 2022, "primaryValue": 5}]}',
        encoding="utf-8",
    )
    comtrade = shared_data / "trade/comtrade_cmm_data/cobalt_trade_data.csv"
    usgs = shared_data / "trade/usgs_mcs2023_world/mcs2023-gold_world.csv"
    kinds = {path.name: file_kind(path) for path in (baci, national, api, comtrade, usgs)}
    assert kinds == {
        baci.name: FileKind.BACI,
        national.name: FileKind.NATIONAL_PRODUCTION,
        api.name: FileKind.COMTRADE,
        comtrade.name: FileKind.COMTRADE,
        usgs.name: FileKind.USGS_WORLD,
    }
    read = {path.name: read_trade_file(path) for path in (baci, national, api)}
    assert read[baci.name].is_flows and read[baci.name].table.num_rows == 1
    assert read[baci.name].table.column("value_usd").to_pylist() == [1_234_500.0]
    assert not read[national.name].is_flows
    assert read[national.name].table.column("country").to_pylist() == ["UGA"]
    assert read[api.name].summary is not None and read[api.name].summary.rows_kept == 1
    assert len(read[api.name].sha256) == 64


def test_an_unknown_table_names_the_kinds_expected(tmp_path: Path) -> None:
    tabbed = tmp_path / "flows.tsv"
    tabbed.write_text("t\ti\tj\tk\tv\tq\n", encoding="utf-8")
    with pytest.raises(UnknownFormat) as raised:
        file_kind(tabbed)
    assert "Comtrade" in raised.value.message and "'\\t'-separated" in raised.value.message
    assert raised.value.file == str(tabbed)
