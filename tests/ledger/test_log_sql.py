"""The custody log on the workspace database: tampering with the tables directly is caught and
named by the audit, and a failed append leaves the log at its last checkpoint."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from oresight.core.errors import StoreError
from oresight.ledger.bundle import verify_bundle
from oresight.ledger.cosignature import NoWitnessRequired
from oresight.store.database import Workspace
from oresight.store.ledger_packing import pack_bundle, unpack_bundle
from oresight.store.ledger_storage import SqlTreeStorage
from tests.ledger.log_builders import LogFixture, make_log


@pytest.fixture
def fx(workspace: Workspace) -> LogFixture:
    fixture = make_log(SqlTreeStorage(workspace.engine))
    for _ in range(3):
        fixture.log.append([fixture.submission() for _ in range(4)])
    assert fixture.log.audit().ok
    return fixture


def _sql(workspace: Workspace, statement: str, **params: object) -> None:
    with workspace.engine.begin() as conn:
        conn.execute(text(statement), params)


def _edit_bundle(
    workspace: Workspace, edit: Callable[[list[bytes], list[bytes]], None], bundle: int = 0
) -> None:
    """Rewrite one entry bundle's row the way an attacker with database access would: unpack
    it, change its entries, pack it again with a count that fits."""
    with workspace.engine.connect() as conn:
        count, blob = conn.execute(
            text("SELECT count, data FROM ledger_bundles WHERE idx = :b"), {"b": bundle}
        ).one()
    keys, datas = unpack_bundle(bytes(blob), count, where="test")
    edit(keys, datas)
    _sql(
        workspace,
        "UPDATE ledger_bundles SET count = :c, data = :d WHERE idx = :b",
        c=len(keys),
        d=pack_bundle(keys, datas),
        b=bundle,
    )


def test_changed_byte_of_an_entry_is_named(fx: LogFixture, workspace: Workspace) -> None:
    def change(_: list[bytes], datas: list[bytes]) -> None:
        datas[6] = datas[6].replace(b"event-7", b"event-X")

    _edit_bundle(workspace, change)
    problem = fx.log.audit().first
    assert problem is not None and problem.kind == "entry-hash" and problem.index == 6


def test_entry_cut_out_of_its_bundle_is_named(fx: LogFixture, workspace: Workspace) -> None:
    def cut(keys: list[bytes], datas: list[bytes]) -> None:
        del keys[4], datas[4]

    _edit_bundle(workspace, cut)
    report = fx.log.audit()
    assert report.first is not None and report.first.index == 4
    assert any(p.kind == "missing-entry" and p.index == 11 for p in report.problems)


def test_deleted_bundle_row_is_named(fx: LogFixture, workspace: Workspace) -> None:
    _sql(workspace, "DELETE FROM ledger_bundles WHERE idx = 0")
    problem = fx.log.audit().first
    assert problem is not None and problem.kind == "missing-entry" and problem.index == 0


def test_swapped_entries_are_named(fx: LogFixture, workspace: Workspace) -> None:
    def swap(keys: list[bytes], datas: list[bytes]) -> None:
        keys[2], keys[9] = keys[9], keys[2]
        datas[2], datas[9] = datas[9], datas[2]

    _edit_bundle(workspace, swap)
    problem = fx.log.audit().first
    assert problem is not None and problem.index == 2


def test_swapped_bundle_rows_are_named(workspace: Workspace) -> None:
    fixture = make_log(SqlTreeStorage(workspace.engine))
    fixture.log.append([fixture.submission() for _ in range(1100)])
    with workspace.engine.connect() as conn:
        rows = {
            idx: (count, data)
            for idx, count, data in conn.execute(
                text("SELECT idx, count, data FROM ledger_bundles WHERE idx IN (0, 1)")
            )
        }
    for index, source in ((0, 1), (1, 0)):
        count, data = rows[source]
        _sql(
            workspace,
            "UPDATE ledger_bundles SET count = :c, data = :d WHERE idx = :i",
            c=count,
            d=data,
            i=index,
        )
    problem = fixture.log.audit().first
    assert problem is not None and problem.kind == "entry-hash" and problem.index == 0


def test_a_bundle_that_no_longer_parses_is_named(fx: LogFixture, workspace: Workspace) -> None:
    _sql(workspace, "UPDATE ledger_bundles SET count = 13 WHERE idx = 0")
    report = fx.log.audit()
    assert report.first is not None and report.first.index == 0
    assert "cannot be read" in report.first.message and "bundle 0" in report.first.message


def test_a_damaged_key_index_is_named(fx: LogFixture, workspace: Workspace) -> None:
    _sql(workspace, "DELETE FROM ledger_key_blocks")
    report = fx.log.audit()
    assert not report.ok
    assert report.problems[0].kind == "key-index" and report.problems[0].index == 0


def test_rewritten_node_hash_is_named(fx: LogFixture, workspace: Workspace) -> None:
    """A hash rewritten inside its tile's blob, where nodes (level 0..7, ...) of 12 leaves live."""
    stored = fx.log.storage.read_nodes([(2, 1)])[(2, 1)]
    with workspace.engine.connect() as conn:
        (blob,) = conn.execute(
            text("SELECT hashes FROM ledger_tiles WHERE level = 0 AND idx = 0")
        ).one()
    at = bytes(blob).index(stored)
    tampered = bytes(blob[:at]) + bytes(32) + bytes(blob[at + 32 :])
    _sql(workspace, "UPDATE ledger_tiles SET hashes = :h WHERE level = 0 AND idx = 0", h=tampered)
    report = fx.log.audit()
    assert not report.ok
    assert any(p.node == (2, 1) and p.found == bytes(32).hex() for p in report.problems)


def test_a_damaged_tile_is_named(fx: LogFixture, workspace: Workspace) -> None:
    """A tile cut short no longer holds its nodes: the audit names them as missing."""
    _sql(workspace, "UPDATE ledger_tiles SET width = 11 WHERE level = 0 AND idx = 0")
    report = fx.log.audit()
    assert not report.ok and report.stored_root is None
    assert any(p.kind == "missing-node" and p.node == (0, 0) for p in report.problems)


def test_a_failed_append_leaves_the_log_at_its_last_checkpoint(
    fx: LogFixture, workspace: Workspace
) -> None:
    before = fx.log.latest_checkpoint()
    # Another writer's checkpoint squats the size this append would reach: the commit fails.
    _sql(
        workspace,
        "INSERT INTO ledger_checkpoints (size, note, created_at) VALUES (14, :n, :t)",
        n=b"squatter",
        t=datetime.now(UTC),
    )
    with pytest.raises(StoreError):
        fx.log.append([fx.submission(), fx.submission()])
    _sql(workspace, "DELETE FROM ledger_checkpoints WHERE size = 14")
    assert fx.log.size() == 12 and fx.log.latest_checkpoint() == before
    assert fx.log.storage.read_entries(12, 100) == []
    assert fx.log.audit().ok
    receipts = fx.log.append([fx.submission()])
    assert (
        verify_bundle(
            receipts[0].bundle,
            log_key=fx.log.log_key.verifier_key,
            policy=NoWitnessRequired(),
            leaf_data=receipts[0].leaf.to_leaf_bytes(),
        ).checkpoint.size
        == 13
    )


def test_an_entry_rewritten_as_text_is_named(fx: LogFixture, workspace: Workspace) -> None:
    if workspace.engine.dialect.name != "sqlite":
        pytest.skip("only SQLite lets a column hold text where bytes were written")
    _sql(
        workspace,
        "UPDATE ledger_bundles SET data = replace(data, 'event-', 'EVENT-') WHERE idx = 0",
    )
    problem = fx.log.audit().first
    assert problem is not None and problem.index == 0


def test_a_duplicate_event_is_refused_by_the_database_and_nothing_is_written(
    fx: LogFixture,
) -> None:
    before = fx.log.latest_checkpoint()
    with pytest.raises(StoreError, match="'urn:uuid:event-1' already exists in the log"):
        fx.log.append([fx.submission(), fx.submission("urn:uuid:event-1")])
    assert fx.log.size() == 12 and fx.log.latest_checkpoint() == before
