"""The trade store: one Parquet file per load, a manifest swapped in one step, no double counts."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from oresight.core.errors import InvalidInput
from oresight.trade.baci import read_baci
from oresight.trade.storage import TradeStore


def baci(tmp_path: Path, name: str, *rows: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(["t,i,j,k,v,q", *rows]) + "\n", encoding="utf-8")
    return path


def load(store: TradeStore, path: Path, *, replace: bool = False) -> int:
    table, summary = read_baci(path)
    added = store.add_flows(table, summary, sha256=path.name + path.read_text(), replace=replace)
    return 0 if added.batch is None else added.replaced_rows


def test_loads_are_kept_and_a_file_loaded_twice_is_skipped(tmp_path: Path) -> None:
    store = TradeStore(tmp_path / "trade")
    first = baci(tmp_path, "a.csv", "2021,180,156,260500,1,1", "2021,180,156,260400,2,2")
    second = baci(tmp_path, "b.csv", "2022,180,156,260500,3,3")
    load(store, first)
    load(store, second)
    table, summary = read_baci(first)
    again = store.add_flows(table, summary, sha256="a.csv" + first.read_text())
    assert again.batch is None and again.already_loaded is not None
    batches = store.batches("flows")
    assert [(b.file, b.rows, b.years) for b in batches] == [
        ("a.csv", 2, (2021,)),
        ("b.csv", 1, (2022,)),
    ]
    assert sum(pq.read_table(path).num_rows for path in store.files("flows")) == 3


def test_overlapping_flows_are_refused_unless_replaced(tmp_path: Path) -> None:
    store = TradeStore(tmp_path / "trade")
    load(store, baci(tmp_path, "old.csv", "2021,180,156,260500,1,1", "2021,180,156,260400,2,2"))
    revised = baci(tmp_path, "new.csv", "2021,180,156,260500,9,9")
    with pytest.raises(InvalidInput, match=r"1 of its flows are already loaded from old\.csv"):
        load(store, revised)
    assert [b.file for b in store.batches()] == ["old.csv"]
    assert load(store, revised, replace=True) == 1
    rows = sorted(
        (row["hs"], row["value_usd"], row["source_file"])
        for path in store.files("flows")
        for row in pq.read_table(path).to_pylist()
    )
    assert rows == [("260400", 2000.0, "old.csv"), ("260500", 9000.0, "new.csv")]
    assert len(list((tmp_path / "trade/flows").glob("*.parquet"))) == 2  # the old file is gone


def test_a_failed_write_leaves_the_store_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = TradeStore(tmp_path / "trade")
    load(store, baci(tmp_path, "a.csv", "2021,180,156,260500,1,1"))
    before = (tmp_path / "trade/manifest.json").read_text()

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("oresight.trade.storage.os.replace", broken)
    with pytest.raises(OSError, match="disk full"):
        load(store, baci(tmp_path, "b.csv", "2022,180,156,260500,1,1"))
    assert (tmp_path / "trade/manifest.json").read_text() == before
    assert len(list((tmp_path / "trade/flows").glob("*.parquet"))) == 1
