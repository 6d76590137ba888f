"""A :class:`~oresight.ledger.storage.TreeStorage` held in memory, for tests and tools.

Its three tables are plain dictionaries, exposed as attributes so that tests can tamper with them
the way an attacker would edit a database (change a byte, delete or swap rows, rewrite a hash);
:func:`oresight.ledger.audit.audit_tree` must then name what changed. The committed size is kept
apart from the entry rows, as a database keeps it with its checkpoints, so a deleted row shows
as a gap rather than a shorter log.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

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

    def index_problems(self, limit: int) -> list[tuple[int | None, str]]:
        """Keys whose index entry no longer points at their committed entry."""
        problems: list[tuple[int | None, str]] = []
        for index in range(self._size):
            row = self.entries.get(index)
            if row is not None and self._index_of_key.get(row[0]) != index:
                problems.append((index, f"the key index does not find entry {index} by its key"))
                if len(problems) >= limit:
                    break
        return problems

    def append(
        self,
        *,
        old_size: int,
        keys: Sequence[str],
        datas: Sequence[bytes],
        levels: Sequence[Sequence[bytes]],
        checkpoint: bytes,
    ) -> None:
        """Commit entries, their new complete subtrees and the checkpoint of the new size, or
        refuse all of it with :class:`AppendRefused` (nothing is changed before every check)."""
        size = self._size
        new_size = size + len(keys)
        if old_size != size:
            raise AppendRefused(
                f"append starts at index {old_size} but the log holds {size} entries"
            )
        if len(datas) != len(keys):
            raise AppendRefused(f"append brings {len(keys)} keys but {len(datas)} entries")
        # Whole-batch checks run at C speed; the loop below only names the offender.
        if len(set(keys)) != len(keys) or not self._index_of_key.keys().isdisjoint(keys):
            seen: set[str] = set()
            for key in keys:
                if key in seen or key in self._index_of_key:
                    raise AppendRefused(f"entry key {key!r} is already in the log")
                seen.add(key)
        widths = [len(row) for row in levels]
        expected = [(new_size >> level) - (size >> level) for level in range(len(widths))]
        if widths != expected or (new_size >> len(widths)) > (size >> len(widths)):
            raise AppendRefused(
                f"append from size {size} to {new_size} must bring every new complete subtree: "
                f"per level {_new_widths(size, new_size)}, not {widths}"
            )
        if any(set(map(len, row)) - {HASH_SIZE} for row in levels):
            raise AppendRefused(f"every node hash of an append must be {HASH_SIZE} bytes")
        if new_size in self.checkpoints:
            raise AppendRefused(f"the log already issued a checkpoint at size {new_size}")
        self.entries.update(zip(range(size, new_size), zip(keys, datas, strict=True), strict=True))
        self._index_of_key.update(zip(keys, range(size, new_size), strict=True))
        for level, row in enumerate(levels):
            first = size >> level
            self.nodes.update(
                ((level, first + offset), digest) for offset, digest in enumerate(row)
            )
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


def _new_widths(size: int, new_size: int) -> list[int]:
    """How many complete subtrees per level a tree gains growing from ``size`` to ``new_size``."""
    return [
        (new_size >> level) - (size >> level)
        for level in range(new_size.bit_length())
        if (new_size >> level) > (size >> level)
    ]
