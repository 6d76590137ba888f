"""The custody ledger's storage in the workspace database.

Implements the ledger pillar's ``TreeStorage`` protocol (structurally: the store does not import
the pillar) on three tables: entries, complete-subtree hashes, and signed checkpoints. The
committed tree size is the size of the newest checkpoint, written in the same transaction as the
entries and nodes it covers, so a reader never sees a tree without its checkpoint and a failed
append leaves the log at its last checkpoint.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, Table, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from oresight.core.errors import StoreError
from oresight.core.ledger import LogEntry, NodeId
from oresight.store.schema import LedgerCheckpointRow, LedgerEntryRow, LedgerNodeRow

_ENTRIES: Table = LedgerEntryRow.__table__  # type: ignore[assignment]
_NODES: Table = LedgerNodeRow.__table__  # type: ignore[assignment]
_CHECKPOINTS: Table = LedgerCheckpointRow.__table__  # type: ignore[assignment]
_READ_CHUNK = 400
"""Node ids per query: well under SQLite's bound-parameter limit."""


class SqlTreeStorage:
    """A custody ledger kept in a workspace database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def tree_size(self) -> int:
        """How many entries are committed: the size of the newest checkpoint."""
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.max(_CHECKPOINTS.c.size))) or 0)

    def read_nodes(self, ids: Collection[NodeId]) -> dict[NodeId, bytes]:
        """Hashes of the given complete subtrees; a missing one is a store error."""
        wanted = list(dict.fromkeys(ids))
        found: dict[NodeId, bytes] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), _READ_CHUNK):
                by_level: dict[int, list[int]] = defaultdict(list)
                for level, index in wanted[start : start + _READ_CHUNK]:
                    by_level[level].append(index)
                condition = or_(
                    *(
                        and_(_NODES.c.level == level, _NODES.c.idx.in_(indexes))
                        for level, indexes in by_level.items()
                    )
                )
                for level, index, digest in conn.execute(
                    select(_NODES.c.level, _NODES.c.idx, _NODES.c.hash).where(condition)
                ):
                    found[(level, index)] = bytes(digest)
        missing = [node for node in wanted if node not in found]
        if missing:
            raise StoreError(
                f"ledger storage lacks {len(missing)} tree node(s), first (level, index) "
                f"{missing[0]}: the ledger tables are damaged; run `oresight ledger audit`"
            )
        return found

    def read_entries(self, start: int, stop: int) -> list[LogEntry]:
        """Entries with ``start <= index < stop``, in index order."""
        query = (
            select(_ENTRIES.c.idx, _ENTRIES.c.key, _ENTRIES.c.data)
            .where(_ENTRIES.c.idx >= start, _ENTRIES.c.idx < stop)
            .order_by(_ENTRIES.c.idx)
        )
        with self.engine.connect() as conn:
            return [LogEntry(int(i), k, bytes(d)) for i, k, d in conn.execute(query)]

    def find_entry(self, key: str) -> LogEntry | None:
        """The entry whose key (event id) is ``key``."""
        query = select(_ENTRIES.c.idx, _ENTRIES.c.key, _ENTRIES.c.data).where(_ENTRIES.c.key == key)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else LogEntry(int(row[0]), row[1], bytes(row[2]))

    def append(
        self,
        *,
        entries: Sequence[LogEntry],
        nodes: Mapping[NodeId, bytes],
        checkpoint: bytes,
    ) -> None:
        """Commit entries, their new nodes and the checkpoint of the new size in one transaction."""
        try:
            with self.engine.begin() as conn:
                size = int(conn.scalar(select(func.max(_CHECKPOINTS.c.size))) or 0)
                if entries and entries[0].index != size:
                    raise StoreError(
                        f"ledger append starts at index {entries[0].index} but the log holds "
                        f"{size} entries (another writer appended first?)"
                    )
                if entries:
                    conn.execute(
                        insert(_ENTRIES),
                        [{"idx": e.index, "key": e.key, "data": e.data} for e in entries],
                    )
                if nodes:
                    conn.execute(
                        insert(_NODES),
                        [{"level": lv, "idx": ix, "hash": h} for (lv, ix), h in nodes.items()],
                    )
                conn.execute(
                    insert(_CHECKPOINTS),
                    {
                        "size": size + len(entries),
                        "note": checkpoint,
                        "created_at": datetime.now(UTC),
                    },
                )
        except IntegrityError as exc:
            raise StoreError(
                "ledger append refused by the database (an entry key or tree node already "
                f"exists): {exc.orig}"
            ) from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"ledger append failed; the log is unchanged: {exc}") from exc

    def latest_checkpoint(self) -> bytes | None:
        """The checkpoint of the committed size."""
        query = select(_CHECKPOINTS.c.note).order_by(_CHECKPOINTS.c.size.desc()).limit(1)
        with self.engine.connect() as conn:
            note = conn.scalar(query)
        return None if note is None else bytes(note)

    def checkpoint_at(self, size: int) -> bytes | None:
        """The checkpoint the log issued at ``size``."""
        with self.engine.connect() as conn:
            note = conn.scalar(select(_CHECKPOINTS.c.note).where(_CHECKPOINTS.c.size == size))
        return None if note is None else bytes(note)

    def replace_checkpoint(self, size: int, note: bytes) -> None:
        """Store a cosigned copy of the checkpoint of ``size``."""
        with self.engine.begin() as conn:
            updated = conn.execute(
                update(_CHECKPOINTS).where(_CHECKPOINTS.c.size == size).values(note=note)
            ).rowcount
        if updated != 1:
            raise StoreError(f"the ledger issued no checkpoint at size {size}")
