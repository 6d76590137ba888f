"""Migration 0003 moves a ledger kept a row per entry (0002) into bundles and a key index."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from oresight.core.errors import StoreError
from oresight.core.ledger import LogEntry
from oresight.store.database import make_engine, migrate
from oresight.store.ledger_storage import SqlTreeStorage

SIZE = 2_100  # more than two bundles


def _old_key_hash(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def test_entries_of_a_0002_workspace_are_moved_and_found(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(engine, "0002")
    rows = [
        {"i": i, "h": _old_key_hash(f"urn:uuid:{i}"), "k": f"urn:uuid:{i}", "d": b"leaf %d" % i}
        for i in range(SIZE)
    ]
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO ledger_entries (idx, key_hash, key, data) VALUES (:i, :h, :k, :d)"),
            rows,
        )
        conn.execute(
            text("INSERT INTO ledger_checkpoints (size, note, created_at) VALUES (:s, :n, :t)"),
            {"s": SIZE, "n": b"cp", "t": datetime.now(UTC)},
        )
    migrate(engine)
    storage = SqlTreeStorage(engine)
    assert storage.tree_size() == SIZE
    assert [e.index for e in storage.read_entries(0, SIZE)] == list(range(SIZE))
    assert storage.find_entry("urn:uuid:2049") == LogEntry(2049, "urn:uuid:2049", b"leaf 2049")
    assert storage.index_problems(10) == []
    with engine.connect() as conn:
        tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}
    assert "ledger_entries" not in tables and "ledger_bundles" in tables

    migrate(engine, "0002")
    with engine.connect() as conn:
        back = conn.execute(text("SELECT idx, key, data FROM ledger_entries ORDER BY idx")).all()
    assert [(i, k, bytes(d)) for i, k, d in back] == [(r["i"], r["k"], r["d"]) for r in rows]
    engine.dispose()


def test_a_0002_ledger_with_a_gap_is_refused(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(engine, "0002")
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO ledger_entries (idx, key_hash, key, data) VALUES (:i, :h, :k, :d)"),
            [{"i": i, "h": i, "k": f"k{i}", "d": b"x"} for i in (0, 1, 3)],
        )
    with pytest.raises(StoreError, match="ledger_entries lacks entry 2"):
        migrate(engine)
    engine.dispose()
