"""A :class:`~oresight.ledger.storage.TreeStorage` held in memory, for tests and tools.

Its three tables are plain dictionaries, exposed as attributes so that tests can tamper with them
the way an attacker would edit a database (change a byte, delete or swap rows, rewrite a hash);
:func:`oresight.ledger.audit.audit_tree` must then name what changed. The committed size is kept
apart from the entry rows, as a database keeps it with its checkpoints, so a deleted row shows
as a gap rather than a shorter log.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from oresight.core.ledger import LogEntry, NodeId
from oresight.ledger.errors import AppendRefused, MissingNode
from oresight.ledger.merkle import HASH_SIZE


class MemoryTreeStorage:
    """One log's entries, complete-subtree hashes and checkpoints, in dictionaries."""

    def __init__(self) -> None:
        self.entries: dict[int, tuple[str, bytes]] = {}
        """Entry rows: index -> (key, leaf data)."""
        self.nodes: dict[NodeId, bytes] = {}
        """Complete-subtree hashes by ``(level, index)``."""
        self.checkpoints: dict[int, bytes] = {}
        """Signed checkpoints (opaque bytes) by tree size."""
        self._size = 0
        self._index_of_key: dict[str, int] = {}

    def tree_size(self) -> int:
        """How many entries are committed."""
        return self._size

    def read_nodes(self, ids: Collection[NodeId]) -> dict[NodeId, bytes]:
        """Hashes of the given complete subtrees; a missing one raises :class:`MissingNode`."""
        nodes = self.nodes
        try:
            return {node: nodes[node] for node in ids}
        except KeyError as exc:
            raise MissingNode(exc.args[0]) from None

    def read_entries(self, start: int, stop: int) -> list[LogEntry]:
        """Entries with ``start <= index < stop``, in index order."""
        rows = self.entries
        if stop - start <= len(rows):
            indexes: Sequence[int] = [i for i in range(start, stop) if i in rows]
        else:
            # A wide range (an audit looking past the committed size): scan the rows instead.
            indexes = sorted(i for i in rows if start <= i < stop)
        return [LogEntry(i, *rows[i]) for i in indexes]

    def find_entry(self, key: str) -> LogEntry | None:
        """The entry whose key is ``key``."""
        index = self._index_of_key.get(key, -1)
        row = self.entries.get(index)
        if row is not None and row[0] == key:
            return LogEntry(index, *row)
        # The rows were edited behind the storage's back: look the slow way.
        for i, (row_key, data) in self.entries.items():
            if row_key == key:
                return LogEntry(i, row_key, data)
        return None

    def append(
        self,
        *,
        entries: Sequence[LogEntry],
        nodes: Mapping[NodeId, bytes],
        checkpoint: bytes,
    ) -> None:
        """Commit entries, their new complete subtrees and the checkpoint of the new size, or
        refuse all of it with :class:`AppendRefused` (nothing is changed before every check)."""
        size = self._size
        new_size = size + len(entries)
        keys = [entry.key for entry in entries]
        # Whole-batch checks run at C speed; the loops below only name the offender.
        if [entry.index for entry in entries] != list(range(size, new_size)):
            offset = next(o for o, e in enumerate(entries) if e.index != size + o)
            raise AppendRefused(
                f"append entry {offset} has index {entries[offset].index}, expected {size + offset}"
            )
        if len(set(keys)) != len(keys) or not self._index_of_key.keys().isdisjoint(keys):
            seen: set[str] = set()
            for key in keys:
                if key in seen or key in self._index_of_key:
                    raise AppendRefused(f"entry key {key!r} is already in the log")
                seen.add(key)
        expected = _new_complete_subtrees(size, new_size)
        if nodes.keys() != expected:
            if len(nodes) != len(expected):
                raise AppendRefused(
                    f"append from size {size} to {new_size} creates {len(expected)} complete "
                    f"subtrees, but {len(nodes)} were given"
                )
            level, index = next(node for node in nodes if node not in expected)
            raise AppendRefused(
                f"node (level {level}, index {index}) is not a new complete subtree of an "
                f"append from size {size} to {new_size}"
            )
        if set(map(len, nodes.values())) - {HASH_SIZE}:
            raise AppendRefused(f"every node hash of an append must be {HASH_SIZE} bytes")
        if new_size in self.checkpoints:
            raise AppendRefused(f"the log already issued a checkpoint at size {new_size}")
        self.entries.update((entry.index, (entry.key, entry.data)) for entry in entries)
        self._index_of_key.update(zip(keys, range(size, new_size), strict=True))
        self.nodes.update(nodes)
        self.checkpoints[new_size] = checkpoint
        self._size = new_size

    def latest_checkpoint(self) -> bytes | None:
        """The checkpoint of the committed size, if one was issued."""
        return self.checkpoints.get(self._size)

    def checkpoint_at(self, size: int) -> bytes | None:
        """The checkpoint the log issued at ``size``."""
        return self.checkpoints.get(size)

    def replace_checkpoint(self, size: int, note: bytes) -> None:
        """Store a cosigned copy of the checkpoint of ``size``."""
        if size not in self.checkpoints:
            raise AppendRefused(f"the log issued no checkpoint at size {size}")
        self.checkpoints[size] = note


def _new_complete_subtrees(size: int, new_size: int) -> set[NodeId]:
    """The complete subtrees a tree gains when it grows from ``size`` to ``new_size`` leaves."""
    return {
        (level, index)
        for level in range(new_size.bit_length())
        for index in range(size >> level, new_size >> level)
    }
