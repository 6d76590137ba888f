"""Tamper evidence: edit a stored log behind its back and the audit names where."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oresight.core.ledger import LogEntry
from oresight.ledger import tree
from oresight.ledger.audit import audit_tree
from oresight.ledger.memory import MemoryTreeStorage
from oresight.ledger.merkle import leaf_hash

SIZE = 40
BATCHES = [2, 8, 4096]
"""Audit batch sizes: many chunks with a pass over their tops, a few, and one partial chunk."""


def build(size: int = SIZE) -> MemoryTreeStorage:
    storage = MemoryTreeStorage()
    for start in range(0, size, 16):
        prepared = tree.prepare_append(
            storage,
            [(f"ev-{i}", f"event {i}".encode()) for i in range(start, min(size, start + 16))],
        )
        tree.commit(storage, prepared, b"cp")
    return storage


def change_a_byte(data: bytes, at: int = 2) -> bytes:
    changed = bytearray(data)
    changed[at] ^= 0x20
    return bytes(changed)


@pytest.mark.parametrize("batch", BATCHES)
def test_an_untouched_log_passes(batch: int) -> None:
    storage = build()
    report = audit_tree(storage, batch=batch)
    assert report.ok and report.first is None
    assert report.size == SIZE
    assert report.root == report.stored_root == tree.root(storage)


@pytest.mark.parametrize("batch", BATCHES)
def test_a_changed_byte_of_an_entry_is_named(batch: int) -> None:
    storage = build()
    key, data = storage.entries[17]
    storage.entries[17] = (key, change_a_byte(data))
    report = audit_tree(storage, batch=batch)
    first = report.first
    assert first is not None
    assert (first.kind, first.index, first.key) == ("entry-hash", 17, "ev-17")
    assert first.expected == leaf_hash(data).hex()
    assert first.found == leaf_hash(change_a_byte(data)).hex()
    assert "entry 17 (key 'ev-17')" in first.describe()
    assert len(report.problems) == 2  # the entry, then the root it changes
    assert report.problems[1].kind == "root"


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("index", [0, 9, SIZE - 1])
def test_a_deleted_entry_is_named(batch: int, index: int) -> None:
    storage = build()
    del storage.entries[index]
    report = audit_tree(storage, batch=batch)
    assert [(p.kind, p.index) for p in report.problems] == [("missing-entry", index)]
    assert report.root is None
    assert report.stored_root == tree.root(storage)


@pytest.mark.parametrize("batch", BATCHES)
def test_swapped_entries_are_named(batch: int) -> None:
    storage = build()
    storage.entries[5], storage.entries[30] = storage.entries[30], storage.entries[5]
    report = audit_tree(storage, batch=batch)
    entry_problems = [(p.kind, p.index, p.key) for p in report.problems if p.index is not None]
    assert entry_problems == [
        ("entry-hash", 5, "ev-30"),
        ("entry-hash", 30, "ev-5"),
        ("key-index", 5, None),
        ("key-index", 30, None),
    ]
    assert report.first is not None and report.first.index == 5


@pytest.mark.parametrize("batch", BATCHES)
def test_a_rewritten_leaf_hash_is_named_by_its_entry(batch: int) -> None:
    storage = build()
    storage.nodes[(0, 22)] = leaf_hash(b"forged")
    report = audit_tree(storage, batch=batch)
    first = report.first
    assert first is not None
    assert (first.kind, first.index, first.key) == ("entry-hash", 22, "ev-22")
    assert first.expected == leaf_hash(b"forged").hex()
    # Its parent no longer hashes from it either; the entry comes first.
    assert [p.node for p in report.problems if p.kind == "node-hash"] == [(1, 11)]


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("node", [(1, 3), (3, 2), (5, 0)])
def test_a_rewritten_interior_hash_is_named(batch: int, node: tuple[int, int]) -> None:
    storage = build()
    storage.nodes[node] = bytes(32)
    report = audit_tree(storage, batch=batch)
    first = report.first
    assert first is not None
    assert (first.kind, first.node, first.found) == ("node-hash", node, "00" * 32)
    level, index = node
    assert f"over entries [{index << level}, {(index + 1) << level})" in first.message
    # The root at 40 is built from (5, 0) and (3, 4): only a rewrite of those changes it.
    assert (report.root != report.stored_root) == (node == (5, 0))


@pytest.mark.parametrize("batch", BATCHES)
def test_a_deleted_node_is_named(batch: int) -> None:
    storage = build()
    del storage.nodes[(2, 5)]
    report = audit_tree(storage, batch=batch)
    first = report.first
    assert first is not None
    assert (first.kind, first.node) == ("missing-node", (2, 5))
    assert "cannot be read" in first.message
    assert report.stored_root is not None  # the root at 40 does not use (2, 5)


def test_an_entry_beyond_the_committed_size_is_named() -> None:
    storage = build()
    storage.entries[SIZE + 3] = ("late", b"smuggled")
    report = audit_tree(storage)
    assert [(p.kind, p.index, p.key) for p in report.problems] == [
        ("extra-entry", SIZE + 3, "late")
    ]


def test_a_repeated_key_is_named() -> None:
    storage = build()
    storage.entries[12] = ("ev-3", storage.entries[12][1])
    report = audit_tree(storage)
    assert [(p.kind, p.index) for p in report.problems] == [
        ("duplicate-key", 12),
        ("key-index", 12),
    ]


def test_entry_check_hook() -> None:
    storage = build()

    def signature_check(entry: LogEntry) -> str | None:
        return "signature does not verify" if entry.index in (7, 33) else None

    report = audit_tree(storage, check_entry=signature_check)
    assert [(p.kind, p.index) for p in report.problems] == [("entry-check", 7), ("entry-check", 33)]
    assert report.problems[0].describe() == "entry 7 (key 'ev-7'): signature does not verify"


def test_problems_are_capped() -> None:
    storage = build()
    for index in range(0, SIZE, 2):
        del storage.entries[index]
    report = audit_tree(storage, max_problems=5)
    assert [p.index for p in report.problems] == [0, 2, 4, 6, 8]
    assert report.truncated


def test_batch_must_be_a_power_of_two() -> None:
    with pytest.raises(ValueError, match="power of two"):
        audit_tree(build(), batch=12)


@given(
    st.integers(min_value=1, max_value=150),
    st.integers(min_value=0, max_value=10**6),
    st.sampled_from(BATCHES),
)
def test_any_changed_entry_is_the_first_problem(size: int, pick: int, batch: int) -> None:
    storage = build(size)
    index = pick % size
    key, data = storage.entries[index]
    storage.entries[index] = (key, change_a_byte(data, pick % len(data)))
    report = audit_tree(storage, batch=batch)
    assert report.first is not None
    assert (report.first.kind, report.first.index, report.first.key) == ("entry-hash", index, key)
