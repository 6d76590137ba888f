"""The storage the log needs, as a protocol: entries, complete-subtree hashes, checkpoints.

The tree is stored as the hashes of its *complete* subtrees: node ``(level, index)`` is the
RFC 9162 hash of leaves ``[index * 2**level, (index + 1) * 2**level)``. Every complete subtree of
the tree at its committed size is stored, so the root at any size, and any inclusion or
consistency proof, is assembled from O(log n) stored nodes without rehashing leaves.

An implementation must make :meth:`TreeStorage.append` atomic: readers see the tree at the last
committed size, never a torn tree, and a failure mid-append leaves the log as it was.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from oresight.core.ledger import LogEntry, NodeId

__all__ = ["LogEntry", "NodeId", "TreeStorage"]


class TreeStorage(Protocol):
    """Persistence of one log: entries, complete-subtree hashes and signed checkpoints."""

    def tree_size(self) -> int:
        """How many entries are committed."""

    def read_nodes(self, ids: Collection[NodeId]) -> dict[NodeId, bytes]:
        """Hashes of the given complete subtrees; every id asked for must exist."""

    def read_entries(self, start: int, stop: int) -> list[LogEntry]:
        """Committed entries with ``start <= index < stop``, in index order."""

    def find_entry(self, key: str) -> LogEntry | None:
        """The committed entry with this key, if any."""

    def index_problems(self, limit: int) -> list[tuple[int | None, str]]:
        """Where the index of keys no longer finds committed entries as it should (at most
        ``limit``): ``(entry index or None, what is wrong)``, for the audit."""

    def append(
        self,
        *,
        old_size: int,
        keys: Sequence[str],
        datas: Sequence[bytes],
        levels: Sequence[Sequence[bytes]],
        checkpoint: bytes,
    ) -> None:
        """Atomically commit entries ``old_size ..`` (``keys[i]``, ``datas[i]`` is entry
        ``old_size + i``), every complete subtree they create (``levels[L][j]`` is node
        ``(L, (old_size >> L) + j)``), and the signed checkpoint of the new size. All or
        nothing; refused when the log no longer holds ``old_size`` entries or a key is in it."""

    def latest_checkpoint(self) -> bytes | None:
        """The signed checkpoint of the committed size, or ``None`` for an empty log."""

    def checkpoint_at(self, size: int) -> bytes | None:
        """The signed checkpoint the log issued at ``size``, if it issued one."""

    def replace_checkpoint(self, size: int, note: bytes) -> None:
        """Store ``note`` as the checkpoint of ``size`` — the same checkpoint with more
        signatures (witness cosignatures); the caller checks the text is unchanged."""
