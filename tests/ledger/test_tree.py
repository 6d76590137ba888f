"""Appending to a log in storage, and roots and proofs at every size it ever had."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oresight.core.ledger import LogEntry, NodeId
from oresight.ledger import tree
from oresight.ledger.errors import AppendRefused, TreeRangeError
from oresight.ledger.memory import MemoryTreeStorage
from oresight.ledger.merkle import (
    EMPTY_ROOT,
    leaf_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)


def items(start: int, stop: int) -> list[tuple[str, bytes]]:
    return [(f"ev-{i}", f"event {i}".encode()) for i in range(start, stop)]


def append(storage: MemoryTreeStorage, batch: list[tuple[str, bytes]]) -> tree.PreparedAppend:
    prepared = tree.prepare_append(storage, batch)
    tree.commit(storage, prepared, f"size {prepared.size}".encode())
    return prepared


def log_in_batches(sizes: list[int]) -> MemoryTreeStorage:
    storage = MemoryTreeStorage()
    done = 0
    for size in sizes:
        append(storage, items(done, done + size))
        done += size
    return storage


@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=12))
def test_batch_sizes_do_not_change_the_tree(batches: list[int]) -> None:
    total = sum(batches)
    in_batches = log_in_batches(batches)
    at_once = log_in_batches([total])
    assert in_batches.nodes == at_once.nodes
    assert in_batches.tree_size() == total
    # Every complete subtree is stored, and is the MTH of its leaves.
    leaves = [leaf_hash(data) for _, data in items(0, total)]
    expected = {
        (level, i): root_from_leaf_hashes(leaves[i << level : (i + 1) << level])
        for level in range(total.bit_length())
        for i in range(total >> level)
    }
    assert at_once.nodes == expected
    done = 0
    for size in batches:
        done += size
        assert tree.root(in_batches, done) == root_from_leaf_hashes(leaves[:done])
        assert in_batches.checkpoint_at(done) == f"size {done}".encode()


def test_prepared_append_names_the_root_the_checkpoint_signs() -> None:
    storage = log_in_batches([5])
    prepared = tree.prepare_append(storage, items(5, 12))
    assert (prepared.old_size, prepared.size) == (5, 12)
    assert [e.index for e in prepared.entries] == list(range(5, 12))
    assert prepared.root == root_from_leaf_hashes([leaf_hash(d) for _, d in items(0, 12)])
    tree.commit(storage, prepared, b"cp")
    assert tree.root(storage) == prepared.root
    assert storage.latest_checkpoint() == b"cp"


def test_proofs_at_every_historical_size() -> None:
    storage = log_in_batches([1, 2, 3, 5, 8, 13, 1])
    total = storage.tree_size()
    roots = {size: tree.root(storage, size) for size in range(total + 1)}
    assert roots[0] == EMPTY_ROOT
    for size in range(1, total + 1):
        for index in range(size):
            verify_inclusion(
                leaf_hash=leaf_hash(f"event {index}".encode()),
                index=index,
                size=size,
                proof=tree.prove_inclusion(storage, index, size),
                root=roots[size],
            )
        for old in range(1, size + 1):
            verify_consistency(
                old_size=old,
                new_size=size,
                old_root=roots[old],
                new_root=roots[size],
                proof=tree.prove_consistency(storage, old, size),
            )
    # The defaults are the committed size.
    assert tree.prove_inclusion(storage, 3) == tree.prove_inclusion(storage, 3, total)
    assert tree.prove_consistency(storage, 7) == tree.prove_consistency(storage, 7, total)


class CountingReader:
    def __init__(self, storage: MemoryTreeStorage) -> None:
        self.storage = storage
        self.calls: list[int] = []

    def __call__(self, ids: Collection[NodeId]) -> Mapping[NodeId, bytes]:
        self.calls.append(len(ids))
        return self.storage.read_nodes(ids)


@pytest.mark.parametrize("size", [0, 1, 2, 3, 7, 8, 1000, 1023, 1024])
def test_an_append_reads_only_the_right_edge(size: int) -> None:
    storage = log_in_batches([size] if size else [])
    reader = CountingReader(storage)
    new_leaves = [leaf_hash(d) for _, d in items(size, size + 5)]
    nodes = tree.new_nodes_for_append(reader, size, new_leaves)
    assert len(reader.calls) <= 1
    assert sum(reader.calls) <= size.bit_count()
    assert tree.new_nodes_for_append(storage, size, new_leaves) == nodes
    assert {(0, size + i) for i in range(5)} <= nodes.keys()


def test_empty_log() -> None:
    storage = MemoryTreeStorage()
    assert tree.root(storage) == EMPTY_ROOT
    assert storage.latest_checkpoint() is None
    with pytest.raises(TreeRangeError):
        tree.prove_inclusion(storage, 0)


def test_sizes_beyond_the_log_are_refused() -> None:
    storage = log_in_batches([10])
    with pytest.raises(TreeRangeError, match="tree size 11 is outside the log, which holds 10"):
        tree.root(storage, 11)
    with pytest.raises(TreeRangeError, match="outside the log"):
        tree.prove_inclusion(storage, 3, 11)
    with pytest.raises(TreeRangeError, match="outside a tree of size 10"):
        tree.prove_inclusion(storage, 10)
    with pytest.raises(TreeRangeError, match="smaller size"):
        tree.prove_consistency(storage, 8, 4)
    with pytest.raises(TreeRangeError, match="proves nothing"):
        tree.prove_consistency(storage, 0)
    with pytest.raises(TreeRangeError):
        tree.root(storage, -1)


def test_duplicate_key_in_one_batch_is_refused() -> None:
    storage = MemoryTreeStorage()
    with pytest.raises(AppendRefused, match="'ev-1' appears twice"):
        tree.prepare_append(storage, [("ev-1", b"a"), ("ev-2", b"b"), ("ev-1", b"c")])


def test_storage_refuses_a_key_already_logged_and_stays_unchanged() -> None:
    storage = log_in_batches([4])
    before = (dict(storage.entries), dict(storage.nodes), dict(storage.checkpoints))
    prepared = tree.prepare_append(storage, [("ev-9", b"x"), ("ev-2", b"again")])
    with pytest.raises(AppendRefused, match="'ev-2' is already in the log"):
        tree.commit(storage, prepared, b"cp")
    assert (storage.entries, storage.nodes, storage.checkpoints) == before
    assert storage.tree_size() == 4


def test_stale_prepared_append_is_refused() -> None:
    """Another writer appended between prepare and commit: the indexes no longer fit."""
    storage = log_in_batches([4])
    stale = tree.prepare_append(storage, items(4, 6))
    append(storage, [("other", b"other")])
    with pytest.raises(AppendRefused, match="starts at index 4 but the log holds 5"):
        tree.commit(storage, stale, b"cp")
    assert storage.tree_size() == 5


def test_storage_refuses_missing_or_malformed_nodes() -> None:
    storage = log_in_batches([3])
    prepared = tree.prepare_append(storage, items(3, 5))
    assert [len(row) for row in prepared.levels] == [2, 1, 1]
    missing = replace(prepared, levels=prepared.levels[:2])
    with pytest.raises(AppendRefused, match=r"per level \[2, 1, 1\], not \[2, 1\]"):
        tree.commit(storage, missing, b"cp")
    extra = replace(prepared, levels=[*prepared.levels[:1], [bytes(32), bytes(32)], []])
    with pytest.raises(AppendRefused, match=r"not \[2, 2, 0\]"):
        tree.commit(storage, extra, b"cp")
    short = replace(prepared, levels=[prepared.levels[0], [b"short"], prepared.levels[2]])
    with pytest.raises(AppendRefused, match="must be 32 bytes"):
        tree.commit(storage, short, b"cp")
    assert storage.tree_size() == 3
    assert prepared.nodes.keys() == {(0, 3), (0, 4), (1, 1), (2, 0)}


def test_find_entry() -> None:
    storage = log_in_batches([6])
    assert storage.find_entry("ev-4") == LogEntry(4, "ev-4", b"event 4")
    assert storage.find_entry("nope") is None
    assert storage.read_entries(2, 4) == [
        LogEntry(2, "ev-2", b"event 2"),
        LogEntry(3, "ev-3", b"event 3"),
    ]


def test_leaf_hashes_must_be_32_bytes() -> None:
    with pytest.raises(AppendRefused, match="leaf hash 1 of the append is 3 bytes"):
        tree.new_nodes_for_append(MemoryTreeStorage(), 0, [bytes(32), b"abc"])
