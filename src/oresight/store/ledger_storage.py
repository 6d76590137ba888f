"""The custody ledger's storage in the workspace database.

Implements the ledger pillar's ``TreeStorage`` protocol (structurally: the store does not import
the pillar) on three tables: entries, complete-subtree hashes, and signed checkpoints. The
committed tree size is the size of the newest checkpoint, written in the same transaction as the
entries and nodes it covers, so a reader never sees a tree without its checkpoint and a failed
append leaves the log at its last checkpoint.

The two hot paths speak the database's own SQL through the driver rather than through SQLAlchemy
expressions, whose per-call compilation costs more than the query itself: a proof reads its
O(log n) nodes in *one* indexed query, and an append writes its ~2k nodes as a few set-based
``INSERT ... SELECT`` statements on SQLite (one per run of consecutive nodes of one level, the
hashes passed as one blob) instead of one bound row each.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from oresight.core.errors import StoreError
from oresight.core.ledger import LogEntry, NodeId
from oresight.store.schema import LedgerCheckpointRow, LedgerEntryRow, LedgerNodeRow

_ENTRIES: Table = LedgerEntryRow.__table__  # type: ignore[assignment]
_NODES: Table = LedgerNodeRow.__table__  # type: ignore[assignment]
_CHECKPOINTS: Table = LedgerCheckpointRow.__table__  # type: ignore[assignment]
_READ_CHUNK = 200
"""Node ids per query: 2 bound parameters each, well under every database's limits."""
_HASH_SIZE = 32
_SQLITE_BULK_CACHE_KIB = 65_536
"""Page cache (KiB) of a SQLite connection while it appends: the key index of a large log is
written at random places, and SQLite's 2 MiB default cache then rereads pages for every batch."""
_MARKERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
"""Positional placeholder of each DB-API parameter style the ledger's driver SQL is written in."""
_SQLITE_NODE_RUN = (
    "WITH RECURSIVE run(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM run WHERE i + 1 < ?) "
    "INSERT INTO ledger_nodes (level, idx, hash) "
    f"SELECT ?, ? + i, substr(?, i * {_HASH_SIZE} + 1, {_HASH_SIZE}) FROM run"
)
"""Inserts ``count`` nodes of one level with consecutive indexes from one blob of hashes."""
_SIZE_QUERY = "SELECT max(size) FROM ledger_checkpoints"


class SqlTreeStorage:
    """A custody ledger kept in a workspace database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        paramstyle = engine.dialect.paramstyle
        if paramstyle not in _MARKERS:
            raise StoreError(
                f"the ledger cannot use database driver {engine.dialect.driver!r}: its "
                f"parameter style {paramstyle!r} is not one of {sorted(_MARKERS)}"
            )
        mark = _MARKERS[paramstyle]
        self._mark = mark
        self._insert_entries = (
            f'INSERT INTO ledger_entries (idx, "key", data) VALUES ({mark}, {mark}, {mark})'
        )
        self._insert_nodes = (
            f"INSERT INTO ledger_nodes (level, idx, hash) VALUES ({mark}, {mark}, {mark})"
        )

    def tree_size(self) -> int:
        """How many entries are committed: the size of the newest checkpoint."""
        (row,) = self._read([(_SIZE_QUERY, ())])
        return int(row[0][0] or 0)

    def read_nodes(self, ids: Collection[NodeId]) -> dict[NodeId, bytes]:
        """Hashes of the given complete subtrees; a missing one is a store error."""
        wanted = list(dict.fromkeys(ids))
        queries = [
            self._nodes_query(wanted[start : start + _READ_CHUNK])
            for start in range(0, len(wanted), _READ_CHUNK)
        ]
        found: dict[NodeId, bytes] = {
            (level, index): _as_bytes(digest)
            for rows in self._read(queries)
            for level, index, digest in rows
        }
        if len(found) != len(wanted):
            missing = [node for node in wanted if node not in found]
            raise StoreError(
                f"ledger storage lacks {len(missing)} tree node(s), first (level, index) "
                f"{missing[0]}: the ledger tables are damaged; run `oresight ledger audit`"
            )
        return found

    def _read(self, queries: Sequence[tuple[str, Sequence[Any]]]) -> list[Sequence[Any]]:
        """Rows of each query, run on a pooled driver connection.

        Proofs are a couple of tiny indexed reads each, so SQLAlchemy's per-statement work
        would outweigh them; the driver's errors are translated here as SQLAlchemy would.
        """
        try:
            conn = self.engine.raw_connection()
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot read the ledger: {exc}") from exc
        try:
            cursor = conn.cursor()
            try:
                results: list[Sequence[Any]] = []
                for query, params in queries:
                    cursor.execute(query, params)
                    results.append(cursor.fetchall())
                return results
            finally:
                cursor.close()
        except self.engine.dialect.loaded_dbapi.Error as exc:
            raise StoreError(f"cannot read the ledger: {exc}") from exc
        finally:
            conn.close()

    def _nodes_query(self, ids: Sequence[NodeId]) -> tuple[str, tuple[int, ...]]:
        """One query for these nodes, an OR of primary-key equalities that both databases
        answer with one index probe per node. Its text depends only on how many nodes are
        asked for, so the driver's prepared-statement cache serves every proof of a size."""
        return _nodes_sql(len(ids), self._mark), tuple(x for node in ids for x in node)

    def read_entries(self, start: int, stop: int) -> list[LogEntry]:
        """Entries with ``start <= index < stop``, in index order."""
        query = (
            select(_ENTRIES.c.idx, _ENTRIES.c.key, _ENTRIES.c.data)
            .where(_ENTRIES.c.idx >= start, _ENTRIES.c.idx < stop)
            .order_by(_ENTRIES.c.idx)
        )
        with self.engine.connect() as conn:
            return [LogEntry(int(i), k, _as_bytes(d)) for i, k, d in conn.execute(query)]

    def find_entry(self, key: str) -> LogEntry | None:
        """The entry whose key (event id) is ``key``."""
        query = select(_ENTRIES.c.idx, _ENTRIES.c.key, _ENTRIES.c.data).where(_ENTRIES.c.key == key)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else LogEntry(int(row[0]), row[1], _as_bytes(row[2]))

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
                if self._sqlite:
                    conn.exec_driver_sql(f"PRAGMA cache_size = -{_SQLITE_BULK_CACHE_KIB}")
                size = _committed_size(conn)
                if entries and entries[0].index != size:
                    raise StoreError(
                        f"ledger append starts at index {entries[0].index} but the log holds "
                        f"{size} entries (another writer appended first?)"
                    )
                if entries:
                    rows = [(e.index, e.key, e.data) for e in entries]
                    # Keys (event ids) are random: in key order, the inserts walk the unique
                    # key index once from left to right instead of seeking it for every row.
                    rows.sort(key=itemgetter(1))
                    conn.exec_driver_sql(self._insert_entries, rows)
                if nodes:
                    self._write_nodes(conn, nodes)
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

    def _write_nodes(self, conn: Connection, nodes: Mapping[NodeId, bytes]) -> None:
        """Insert the nodes: on SQLite as one set-based statement per run of consecutive
        indexes of one level (an append's nodes are such runs, one per level), else row by row."""
        runs = _node_runs(nodes) if self._sqlite else None
        if runs is None:
            conn.exec_driver_sql(
                self._insert_nodes, [(lv, ix, digest) for (lv, ix), digest in nodes.items()]
            )
        else:
            conn.exec_driver_sql(_SQLITE_NODE_RUN, runs)

    def latest_checkpoint(self) -> bytes | None:
        """The checkpoint of the committed size."""
        query = select(_CHECKPOINTS.c.note).order_by(_CHECKPOINTS.c.size.desc()).limit(1)
        with self.engine.connect() as conn:
            note = conn.scalar(query)
        return None if note is None else _as_bytes(note)

    def checkpoint_at(self, size: int) -> bytes | None:
        """The checkpoint the log issued at ``size``."""
        with self.engine.connect() as conn:
            note = conn.scalar(select(_CHECKPOINTS.c.note).where(_CHECKPOINTS.c.size == size))
        return None if note is None else _as_bytes(note)

    def replace_checkpoint(self, size: int, note: bytes) -> None:
        """Store a cosigned copy of the checkpoint of ``size``."""
        with self.engine.begin() as conn:
            updated = conn.execute(
                update(_CHECKPOINTS).where(_CHECKPOINTS.c.size == size).values(note=note)
            ).rowcount
        if updated != 1:
            raise StoreError(f"the ledger issued no checkpoint at size {size}")


@lru_cache(maxsize=2 * _READ_CHUNK)
def _nodes_sql(count: int, mark: str) -> str:
    term = f"(level = {mark} AND idx = {mark})"
    return "SELECT level, idx, hash FROM ledger_nodes WHERE " + " OR ".join([term] * count)


def _committed_size(conn: Connection) -> int:
    return int(conn.exec_driver_sql(_SIZE_QUERY).scalar() or 0)


def _node_runs(nodes: Mapping[NodeId, bytes]) -> list[tuple[int, int, int, bytes]] | None:
    """``(count, level, first index, hashes joined)`` for each run of nodes of one level with
    consecutive indexes, in the mapping's order; ``None`` if the nodes do not form such runs of
    32-byte hashes (then they are written row by row, which stores them just the same)."""
    digests = list(nodes.values())
    if set(map(len, digests)) != {_HASH_SIZE}:
        return None
    runs: list[tuple[int, int, int, bytes]] = []
    offset = 0
    for level, group in groupby(nodes, key=itemgetter(0)):
        indexes = [index for _, index in group]
        first, count = indexes[0], len(indexes)
        if indexes != list(range(first, first + count)):
            return None
        runs.append((count, level, first, b"".join(digests[offset : offset + count])))
        offset += count
    return runs


def _as_bytes(value: object) -> bytes:
    """A stored blob as bytes. A value rewritten behind the log's back may come back as text
    (SQLite keeps whatever type was written); it is returned as its UTF-8 bytes so that the audit
    can name it as a mismatch instead of failing."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise StoreError(f"ledger storage holds a {type(value).__name__} where bytes belong")
