"""The ledger's SQL storage: atomic appends, reads, and the committed size."""

from __future__ import annotations

import hashlib

import pytest

from oresight.core.errors import StoreError
from oresight.core.ledger import LogEntry
from oresight.store.database import Workspace
from oresight.store.ledger_storage import SqlTreeStorage


def _h(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _batch(start: int, count: int) -> list[LogEntry]:
    return [LogEntry(i, f"urn:uuid:{i}", f"leaf {i}".encode()) for i in range(start, start + count)]


def test_append_and_read_back(workspace: Workspace) -> None:
    storage = SqlTreeStorage(workspace.engine)
    assert storage.tree_size() == 0 and storage.latest_checkpoint() is None
    nodes = {(0, 0): _h("a"), (0, 1): _h("b"), (1, 0): _h("ab"), (0, 2): _h("c")}
    storage.append(entries=_batch(0, 3), nodes=nodes, checkpoint=b"cp3")
    assert storage.tree_size() == 3
    assert storage.read_nodes([(1, 0), (0, 2)]) == {(1, 0): _h("ab"), (0, 2): _h("c")}
    assert [e.key for e in storage.read_entries(1, 3)] == ["urn:uuid:1", "urn:uuid:2"]
    assert storage.find_entry("urn:uuid:2") == LogEntry(2, "urn:uuid:2", b"leaf 2")
    assert storage.find_entry("urn:uuid:9") is None
    storage.append(entries=_batch(3, 1), nodes={(0, 3): _h("d")}, checkpoint=b"cp4")
    assert storage.latest_checkpoint() == b"cp4" and storage.checkpoint_at(3) == b"cp3"


def test_a_failed_append_leaves_the_log_unchanged(workspace: Workspace) -> None:
    storage = SqlTreeStorage(workspace.engine)
    storage.append(entries=_batch(0, 2), nodes={(0, 0): _h("a"), (0, 1): _h("b")}, checkpoint=b"1")
    duplicate_key = [LogEntry(2, "urn:uuid:new", b"x"), LogEntry(3, "urn:uuid:0", b"y")]
    with pytest.raises(StoreError, match="already exists"):
        storage.append(entries=duplicate_key, nodes={(0, 2): _h("x")}, checkpoint=b"2")
    assert storage.tree_size() == 2
    assert storage.find_entry("urn:uuid:new") is None
    with pytest.raises(StoreError, match="lacks 1 tree node"):
        storage.read_nodes([(0, 2)])


def test_an_append_at_the_wrong_index_is_refused(workspace: Workspace) -> None:
    storage = SqlTreeStorage(workspace.engine)
    with pytest.raises(StoreError, match="starts at index 5"):
        storage.append(entries=_batch(5, 1), nodes={}, checkpoint=b"x")
    assert storage.tree_size() == 0


def test_reads_many_nodes_across_levels(workspace: Workspace) -> None:
    storage = SqlTreeStorage(workspace.engine)
    nodes = {(level, i): _h(f"{level}/{i}") for level in range(3) for i in range(700 >> level)}
    storage.append(entries=_batch(0, 700), nodes=nodes, checkpoint=b"cp")
    assert storage.read_nodes(list(nodes)) == nodes
