"""The ledger's SQL storage: atomic appends, reads, the committed size, keys and tiles."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from oresight.core.errors import StoreError
from oresight.core.ledger import LogEntry, NodeId
from oresight.ledger import merkle
from oresight.ledger.tree import new_nodes_for_append
from oresight.store import ledger_storage
from oresight.store.database import Workspace
from oresight.store.ledger_storage import SqlTreeStorage


def _batch(start: int, count: int) -> list[LogEntry]:
    return [LogEntry(i, f"urn:uuid:{i}", f"leaf {i}".encode()) for i in range(start, start + count)]


def _append(storage: SqlTreeStorage, entries: list[LogEntry], checkpoint: bytes) -> None:
    """Append with the nodes the entries create, as the tree computes them."""
    leaves = [merkle.leaf_hash(e.data) for e in entries]
    nodes = new_nodes_for_append(storage, storage.tree_size(), leaves)
    storage.append(entries=entries, nodes=nodes, checkpoint=checkpoint)


def _all_nodes(size: int) -> dict[NodeId, bytes]:
    leaves = [merkle.leaf_hash(f"leaf {i}".encode()) for i in range(size)]
    return new_nodes_for_append(lambda ids: {}, 0, leaves)


def test_append_and_read_back(workspace: Workspace) -> None:
    storage = SqlTreeStorage(workspace.engine)
    assert storage.tree_size() == 0 and storage.latest_checkpoint() is None
    _append(storage, _batch(0, 3), b"cp3")
    assert storage.tree_size() == 3
    nodes = _all_nodes(3)
    assert storage.read_nodes([(1, 0), (0, 2)]) == {(1, 0): nodes[(1, 0)], (0, 2): nodes[(0, 2)]}
    assert [e.key for e in storage.read_entries(1, 3)] == ["urn:uuid:1", "urn:uuid:2"]
    assert storage.find_entry("urn:uuid:2") == LogEntry(2, "urn:uuid:2", b"leaf 2")
    assert storage.find_entry("urn:uuid:9") is None
    _append(storage, _batch(3, 1), b"cp4")
    assert storage.latest_checkpoint() == b"cp4" and storage.checkpoint_at(3) == b"cp3"
    assert storage.read_nodes([(2, 0)]) == {(2, 0): _all_nodes(4)[(2, 0)]}


def test_a_failed_append_leaves_the_log_unchanged(workspace: Workspace) -> None:
    storage = SqlTreeStorage(workspace.engine)
    _append(storage, _batch(0, 2), b"1")
    duplicate_key = [LogEntry(2, "urn:uuid:new", b"x"), LogEntry(3, "urn:uuid:0", b"y")]
    with pytest.raises(StoreError, match=r"'urn:uuid:0' already exists in the log \(entry 0\)"):
        _append(storage, duplicate_key, b"2")
    twice = [LogEntry(2, "urn:uuid:new", b"x"), LogEntry(3, "urn:uuid:new", b"y")]
    with pytest.raises(StoreError, match="appears twice"):
        _append(storage, twice, b"2")
    assert storage.tree_size() == 2
    assert storage.find_entry("urn:uuid:new") is None
    with pytest.raises(StoreError, match="lacks 1 tree node"):
        storage.read_nodes([(0, 2)])


def test_an_append_at_the_wrong_index_is_refused(workspace: Workspace) -> None:
    storage = SqlTreeStorage(workspace.engine)
    with pytest.raises(StoreError, match="starts at index 5"):
        storage.append(entries=_batch(5, 1), nodes={}, checkpoint=b"x")
    assert storage.tree_size() == 0


def test_an_append_must_bring_exactly_its_new_subtrees(workspace: Workspace) -> None:
    storage = SqlTreeStorage(workspace.engine)
    nodes = _all_nodes(2)
    with pytest.raises(StoreError, match="must bring its 3 new complete subtrees"):
        storage.append(entries=_batch(0, 2), nodes={(0, 0): nodes[(0, 0)]}, checkpoint=b"x")
    with pytest.raises(StoreError, match="must be 32 bytes"):
        storage.append(entries=_batch(0, 2), nodes={**nodes, (1, 0): b"short"}, checkpoint=b"x")
    # The same nodes in another order are the same append.
    storage.append(entries=_batch(0, 2), nodes=dict(reversed(nodes.items())), checkpoint=b"x")
    assert storage.read_nodes(nodes) == nodes


@pytest.mark.parametrize("sizes", [[700], [1, 255, 1, 300, 2000, 5], [256, 256, 65_536 - 512, 3]])
def test_tiles_hold_every_complete_subtree(workspace: Workspace, sizes: list[int]) -> None:
    """Appends that fill, cross and straddle tile boundaries at several tile levels."""
    storage = SqlTreeStorage(workspace.engine)
    start = 0
    for count in sizes:
        _append(storage, _batch(start, count), b"cp")
        start += count
        nodes = _all_nodes(start)
        assert storage.read_nodes(list(nodes)) == nodes
    assert merkle.root_at(start, storage.read_nodes) == merkle.root_from_leaf_hashes(
        [merkle.leaf_hash(f"leaf {i}".encode()) for i in range(start)]
    )
    assert ledger_storage.tile_of((9, 1)) == (1, 0, 1)


def test_keys_with_equal_hashes_are_told_apart(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two different keys whose first hashes collide: the later takes its next hash, both are
    found, and a repeat of either is still refused."""
    real = ledger_storage.key_hashes
    clashing = {"urn:uuid:a", "urn:uuid:b", "urn:uuid:c"}

    def probes(key: str) -> Iterator[int]:
        sequence = real(key)
        if key in clashing:
            next(sequence)
            yield 42
        yield from sequence

    monkeypatch.setattr(ledger_storage, "key_hashes", probes)
    monkeypatch.setattr(
        ledger_storage, "first_key_hashes", lambda keys: [next(probes(k)) for k in keys]
    )
    storage = SqlTreeStorage(workspace.engine)
    _append(storage, [LogEntry(0, "urn:uuid:a", b"a")], b"1")
    _append(storage, [LogEntry(1, "urn:uuid:b", b"b"), LogEntry(2, "urn:uuid:c", b"c")], b"3")
    assert [storage.find_entry(k) for k in ("urn:uuid:a", "urn:uuid:b", "urn:uuid:c")] == [
        LogEntry(0, "urn:uuid:a", b"a"),
        LogEntry(1, "urn:uuid:b", b"b"),
        LogEntry(2, "urn:uuid:c", b"c"),
    ]
    with pytest.raises(StoreError, match="'urn:uuid:b' already exists"):
        _append(storage, [LogEntry(3, "urn:uuid:b", b"again")], b"4")
    assert storage.find_entry("urn:uuid:d") is None and storage.tree_size() == 3


def test_key_hashes_are_sha256_prefixes() -> None:
    first = next(ledger_storage.key_hashes("urn:uuid:x"))
    digest = hashlib.sha256(b"urn:uuid:x").digest()
    assert first == int.from_bytes(digest[:8], "big", signed=True)
