"""The Merkle log over a :class:`~oresight.ledger.storage.TreeStorage`: appends, roots, proofs.

An append of ``k`` leaves to a tree of ``size`` leaves creates every complete subtree that ends
inside the new leaves. Only the old tree's right edge (its complete subtrees, at most one per
level) can be a left child of a new node, so an append reads at most log2(size) + 1 stored nodes
in one call and hashes about ``k`` new nodes. Roots and proofs at any committed size are
assembled from O(log n) stored nodes by :mod:`oresight.ledger.merkle`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from oresight.core.ledger import LogEntry, NodeId
from oresight.ledger import merkle
from oresight.ledger.errors import AppendRefused, TreeRangeError
from oresight.ledger.merkle import HASH_SIZE, NodeReader
from oresight.ledger.storage import TreeStorage

_LEAF = bytes((merkle.LEAF_HASH_PREFIX,))
_NODE = bytes((merkle.NODE_HASH_PREFIX,))
_sha256 = hashlib.sha256


@dataclass(frozen=True, slots=True)
class PreparedAppend:
    """What one append commits: entries, their new complete subtrees, and the root the
    checkpoint must sign.

    Entries are kept as columns (``keys[i]``, ``datas[i]`` is entry ``old_size + i``) and new
    subtree hashes as rows per level (``levels[L][j]`` is node ``(L, (old_size >> L) + j)``,
    every complete subtree the append creates): per-entry objects would cost more than hashing.
    Pass them with a checkpoint of ``size`` and ``root`` to :meth:`TreeStorage.append`; it
    refuses them if another writer appended meanwhile.
    """

    old_size: int
    size: int
    root: bytes
    keys: Sequence[str]
    datas: Sequence[bytes]
    levels: Sequence[Sequence[bytes]]

    @property
    def entries(self) -> list[LogEntry]:
        """The appended entries as :class:`LogEntry` values, in index order."""
        return [
            LogEntry(self.old_size + offset, key, data)
            for offset, (key, data) in enumerate(zip(self.keys, self.datas, strict=True))
        ]

    @property
    def nodes(self) -> dict[NodeId, bytes]:
        """The new complete subtrees by node id."""
        return levels_to_nodes(self.old_size, self.levels)


def levels_to_nodes(size: int, levels: Sequence[Sequence[bytes]]) -> dict[NodeId, bytes]:
    """Node ids and hashes of an append's per-level rows (see :class:`PreparedAppend`)."""
    return {
        (level, (size >> level) + offset): digest
        for level, row in enumerate(levels)
        for offset, digest in enumerate(row)
    }


def new_nodes_for_append(
    storage_or_reader: TreeStorage | NodeReader, size: int, leaf_hashes: Sequence[bytes]
) -> dict[NodeId, bytes]:
    """The complete subtrees that appending leaves with ``leaf_hashes`` to a tree of ``size``
    leaves creates, level 0 (the leaf hashes themselves) included."""
    read = storage_or_reader if callable(storage_or_reader) else storage_or_reader.read_nodes
    levels, _ = _grow(read, size, leaf_hashes, with_root=False)
    return levels_to_nodes(size, levels)


def prepare_append(storage: TreeStorage, items: Iterable[tuple[str, bytes]]) -> PreparedAppend:
    """Entries, nodes and new root for appending ``(key, leaf data)`` items to the committed log.

    Keys repeated within the batch are refused here; a key already in the log is the storage's
    to refuse at commit (it holds the index of keys).
    """
    size = storage.tree_size()
    columns = list(zip(*items, strict=True))
    keys: list[str] = list(columns[0]) if columns else []
    datas: list[bytes] = list(columns[1]) if columns else []
    if len(set(keys)) != len(keys):
        seen: dict[str, int] = {}
        for offset, key in enumerate(keys):
            if key in seen:
                raise AppendRefused(
                    f"entry key {key!r} appears twice in one append "
                    f"(items {seen[key]} and {offset})"
                )
            seen[key] = offset
    leaf_hashes = [_sha256(_LEAF + data).digest() for data in datas]
    levels, new_root = _grow(storage.read_nodes, size, leaf_hashes, with_root=True)
    return PreparedAppend(
        old_size=size, size=size + len(keys), root=new_root, keys=keys, datas=datas, levels=levels
    )


def commit(storage: TreeStorage, prepared: PreparedAppend, checkpoint: bytes) -> None:
    """Commit a prepared append with the signed checkpoint of its new size (all or nothing)."""
    storage.append(
        old_size=prepared.old_size,
        keys=prepared.keys,
        datas=prepared.datas,
        levels=prepared.levels,
        checkpoint=checkpoint,
    )


def root(storage: TreeStorage, size: int | None = None) -> bytes:
    """Root of the log at ``size`` (default: the committed size)."""
    return merkle.root_at(_size(storage, size), storage.read_nodes)


def prove_inclusion(storage: TreeStorage, index: int, size: int | None = None) -> list[bytes]:
    """Inclusion proof of entry ``index`` in the log at ``size`` (default: committed size)."""
    return merkle.inclusion_proof(index, _size(storage, size), storage.read_nodes)


def prove_consistency(storage: TreeStorage, old: int, new: int | None = None) -> list[bytes]:
    """Consistency proof from the log at size ``old`` to size ``new`` (default: committed)."""
    return merkle.consistency_proof(old, _size(storage, new), storage.read_nodes)


def _size(storage: TreeStorage, size: int | None) -> int:
    committed = storage.tree_size()
    if size is None:
        return committed
    if not 0 <= size <= committed:
        raise TreeRangeError(
            f"tree size {size} is outside the log, which holds {committed} entries"
        )
    return size


def _grow(
    read: NodeReader, size: int, leaf_hashes: Sequence[bytes], *, with_root: bool
) -> tuple[list[list[bytes]], bytes]:
    """New complete subtrees of the append, as rows per level, and, if asked, the new root,
    reading old nodes in one call."""
    if size < 0:
        raise TreeRangeError(f"tree size {size} is negative")
    if set(map(len, leaf_hashes)) - {HASH_SIZE}:
        position = next(i for i, digest in enumerate(leaf_hashes) if len(digest) != HASH_SIZE)
        raise AppendRefused(
            f"leaf hash {position} of the append is {len(leaf_hashes[position])} bytes, "
            f"not {HASH_SIZE}"
        )
    new_size = size + len(leaf_hashes)
    # A new node at level L+1 whose left child is old: that child is the old tree's complete
    # subtree at level L, which exists exactly where the first new index at level L is odd.
    wanted: list[NodeId] = []
    level, first, end = 0, size, new_size
    while first < end:
        if first & 1:
            wanted.append((level, first - 1))
        level, first, end = level + 1, first >> 1, end >> 1
    root_ids = merkle.subtree_nodes(0, new_size) if with_root else []
    # Root parts that end inside the old tree are stored already; the rest are being created.
    wanted.extend(node for node in root_ids if (node[1] + 1) << node[0] <= size)
    old = merkle.fetch_nodes(read, list(dict.fromkeys(wanted)))

    # Rows of hashes per level, hashed by comprehensions: per-node Python frames or node-id
    # objects would dominate appends otherwise.
    levels: list[list[bytes]] = [list(leaf_hashes)]
    first, row = size, levels[0]
    while row:
        if first & 1:
            row = [old[(len(levels) - 1, first - 1)], *row]
            first -= 1
        pairs = len(row) >> 1
        if not pairs:
            break
        pairing = iter(row)  # zipped with itself: consecutive pairs, a last odd one left over
        row = [
            _sha256(_NODE + left + right).digest()
            for left, right in zip(pairing, pairing)  # noqa: B905
        ]
        first >>= 1
        levels.append(row)
    if not with_root:
        return levels, b""
    parts = [
        levels[lvl][index - (size >> lvl)] if (index + 1) << lvl > size else old[(lvl, index)]
        for lvl, index in root_ids
    ]
    return levels, merkle.root_from_subtrees(parts)
