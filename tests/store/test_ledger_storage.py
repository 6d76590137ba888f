"""The ledger's SQL storage: atomic appends, reads, the committed size, keys and tiles."""

from __future__ import annotations

import hashlib
from itertools import pairwise

import numpy as np
import pytest

from oresight.core.errors import StoreError
from oresight.core.ledger import LogEntry, NodeId
from oresight.ledger import merkle, tree
from oresight.ledger.tree import new_nodes_for_append
from oresight.store import ledger_packing, ledger_storage
from oresight.store.database import Workspace
from oresight.store.ledger_packing import Int64Array
from oresight.store.ledger_storage import SqlTreeStorage


def _batch(start: int, count: int) -> list[tuple[str, bytes]]:
    return [(f"urn:uuid:{i}", f"leaf {i}".encode()) for i in range(start, start + count)]


def _append(storage: SqlTreeStorage, items: list[tuple[str, bytes]], checkpoint: bytes) -> None:
    """Append with the nodes the entries create, as the tree computes them."""
    tree.commit(storage, tree.prepare_append(storage, items), checkpoint)


def _all_nodes(size: int) -> dict[NodeId, bytes]:
    leaves = [merkle.leaf_hash(f"leaf {i}".encode()) for i in range(size)]
    return new_nodes_for_append(lambda ids: {}, 0, leaves)


def _runs(workspace: Workspace) -> list[tuple[int, int]]:
    with workspace.engine.connect() as conn:
        return [(int(a), int(b)) for a, b in conn.exec_driver_sql(ledger_storage._RUNS_QUERY)]


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


def test_entries_and_keys_across_bundles_and_merged_runs(workspace: Workspace) -> None:
    """Appends of every size fill and cross entry bundles; the key index merges its runs, and
    a new process (a fresh storage) finds every key and refuses every repeat."""
    storage = SqlTreeStorage(workspace.engine)
    start = 0
    for count in (1, 255, 1, 300, 7, 7, 7, 7, 7, 600, 3):
        _append(storage, _batch(start, count), b"cp")
        start += count
    runs = _runs(workspace)
    assert runs[0][0] == 0 and runs[-1][1] == start
    assert all(a[1] == b[0] for a, b in pairwise(runs))
    assert len(runs) < 6  # eleven appends, merged as they piled up
    fresh = SqlTreeStorage(workspace.engine)
    assert [e.index for e in fresh.read_entries(250, 520)] == list(range(250, 520))
    for index in (0, 255, 256, 511, 512, start - 1):
        assert fresh.find_entry(f"urn:uuid:{index}") == LogEntry(
            index, f"urn:uuid:{index}", f"leaf {index}".encode()
        )
    with pytest.raises(StoreError, match=r"'urn:uuid:300' already exists in the log \(entry 300\)"):
        _append(fresh, [("urn:uuid:new", b"x"), ("urn:uuid:300", b"y")], b"x")
    many = [*_batch(start, 100), ("urn:uuid:17", b"again")]
    with pytest.raises(StoreError, match=r"'urn:uuid:17' already exists in the log \(entry 17\)"):
        _append(SqlTreeStorage(workspace.engine), many, b"x")
    assert fresh.tree_size() == start


def test_a_failed_append_leaves_the_log_unchanged(workspace: Workspace) -> None:
    storage = SqlTreeStorage(workspace.engine)
    _append(storage, _batch(0, 2), b"1")
    with pytest.raises(StoreError, match=r"'urn:uuid:0' already exists in the log \(entry 0\)"):
        _append(storage, [("urn:uuid:new", b"x"), ("urn:uuid:0", b"y")], b"2")
    assert storage.tree_size() == 2
    assert storage.find_entry("urn:uuid:new") is None
    assert storage.read_entries(0, 10) == [
        LogEntry(0, "urn:uuid:0", b"leaf 0"),
        LogEntry(1, "urn:uuid:1", b"leaf 1"),
    ]
    assert _runs(workspace) == [(0, 2)]
    with pytest.raises(StoreError, match="lacks 1 tree node"):
        storage.read_nodes([(0, 2)])


def test_an_append_at_the_wrong_index_is_refused(workspace: Workspace) -> None:
    storage = SqlTreeStorage(workspace.engine)
    with pytest.raises(StoreError, match="starts at index 5 but the log holds 0"):
        storage.append(old_size=5, keys=["k"], datas=[b"d"], levels=[], checkpoint=b"x")
    assert storage.tree_size() == 0


def test_an_append_must_bring_exactly_its_new_subtrees(workspace: Workspace) -> None:
    storage = SqlTreeStorage(workspace.engine)
    prepared = tree.prepare_append(storage, _batch(0, 2))
    keys, datas = prepared.keys, prepared.datas
    with pytest.raises(StoreError, match=r"per level \[2, 1\], not \[2\]"):
        storage.append(
            old_size=0, keys=keys, datas=datas, levels=prepared.levels[:1], checkpoint=b"x"
        )
    short = [prepared.levels[0], [b"short"]]
    with pytest.raises(StoreError, match="must be 32 bytes"):
        storage.append(old_size=0, keys=keys, datas=datas, levels=short, checkpoint=b"x")
    with pytest.raises(StoreError, match="brings 2 keys but 1 entries"):
        storage.append(
            old_size=0, keys=keys, datas=datas[:1], levels=prepared.levels, checkpoint=b"x"
        )
    assert storage.tree_size() == 0 and _runs(workspace) == []
    tree.commit(storage, prepared, b"x")
    assert storage.read_nodes(_all_nodes(2)) == _all_nodes(2)


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
    """Different keys whose hashes collide are kept side by side and each found by reading the
    entries; a repeat of either is still refused."""
    real = ledger_packing.key_hashes
    clashing = {b"urn:uuid:a", b"urn:uuid:b", b"urn:uuid:c"}

    def colliding(keys: list[bytes]) -> Int64Array:
        hashes = real(keys).copy()
        hashes[[key in clashing for key in keys]] = 42
        return hashes

    monkeypatch.setattr(ledger_packing, "key_hashes", colliding)
    storage = SqlTreeStorage(workspace.engine)
    _append(storage, [("urn:uuid:a", b"a")], b"1")
    _append(storage, [("urn:uuid:b", b"b"), ("urn:uuid:c", b"c")], b"3")
    assert [storage.find_entry(k) for k in ("urn:uuid:a", "urn:uuid:b", "urn:uuid:c")] == [
        LogEntry(0, "urn:uuid:a", b"a"),
        LogEntry(1, "urn:uuid:b", b"b"),
        LogEntry(2, "urn:uuid:c", b"c"),
    ]
    with pytest.raises(StoreError, match="'urn:uuid:b' already exists"):
        _append(storage, [("urn:uuid:b", b"again")], b"4")
    assert storage.find_entry("urn:uuid:d") is None and storage.tree_size() == 3


def test_key_hashes_are_sha256_prefixes() -> None:
    (first,) = ledger_packing.key_hashes([b"urn:uuid:x"]).tolist()
    digest = hashlib.sha256(b"urn:uuid:x").digest()
    assert first == int.from_bytes(digest[:8], "little", signed=True)


def test_bundles_round_trip_and_refuse_damage() -> None:
    keys = [b"urn:uuid:1", "urn:é".encode(), b""]
    datas = [b"one", b"", b"three" * 100]
    blob = ledger_packing.pack_bundle(keys, datas)
    assert ledger_packing.unpack_bundle(blob, 3, where="bundle 0") == (keys, datas)
    assert [ledger_packing.one_of_bundle(blob, 3, i, where="b") for i in range(3)] == list(
        zip(keys, datas, strict=True)
    )
    with pytest.raises(StoreError, match="cannot hold entry 3 of 3"):
        ledger_packing.one_of_bundle(blob, 3, 3, where="bundle 0")
    with pytest.raises(StoreError, match="bundle 0 is damaged"):
        ledger_packing.unpack_bundle(blob[:-1], 3, where="bundle 0")
    with pytest.raises(StoreError, match="bundle 0 is damaged"):
        ledger_packing.unpack_bundle(blob, 4, where="bundle 0")


def test_runs_merge_eight_at_a_time_and_stay_few() -> None:
    width = ledger_packing.MERGE_WIDTH
    assert width == 8
    assert ledger_packing.runs_to_merge([10] * 7) == 0
    assert ledger_packing.runs_to_merge([10] * 8) == 8
    assert ledger_packing.runs_to_merge([1000] + [10] * 7) == 0
    # A small run does not strand behind a large one.
    assert ledger_packing.runs_to_merge([5] + [10] * 6 + [1000]) == 8
    # Merges cascade: eight runs of 80 after the eighth batch of ten.
    assert ledger_packing.runs_to_merge([80] * 7 + [10] * 7 + [10]) == 15
    sizes: list[int] = []
    for _ in range(5000):
        sizes.append(100)
        take = ledger_packing.runs_to_merge(sizes)
        if take:
            sizes[-take:] = [sum(sizes[-take:])]
        assert len(sizes) <= (width - 1) * 5 + 1
    assert sum(sizes) == 500_000


def test_blocks_keep_equal_hashes_together() -> None:
    hashes = np.array([1] * 10 + [2] * 600 + [3] * 5, dtype=np.int64)
    indexes = np.arange(len(hashes), dtype=np.int64)
    blocks = list(ledger_packing.run_blocks(hashes, indexes))
    assert [head for head, _ in blocks] == [1, 3]
    assert ledger_packing.indexes_with_hash(blocks[0][1], 2, where="b") == list(range(10, 610))
