"""The custody ledger's storage in the workspace database.

Implements the ledger pillar's ``TreeStorage`` protocol (structurally: the store does not import
the pillar) on three tables: entries, tiles of complete-subtree hashes, and signed checkpoints.
The committed tree size is the size of the newest checkpoint, written in the same transaction as
the entries and tiles it covers, so a reader never sees a tree without its checkpoint and a failed
append leaves the log at its last checkpoint.

What an append writes is kept to what the B-trees need (see ``benchmarks/README.md``):

* entries are keyed by their index (on SQLite the rowid), so they go to the end of one B-tree;
* keys (event ids) are found through an 8-byte hash of the key with a unique index, which also
  refuses a repeated key as the row goes in. Two *different* keys with equal hashes (a 2**-64
  chance per pair, or a crafted pair) are told apart by the full key: the later one takes the
  next hash of its probe sequence (:func:`key_hashes`), as open addressing does;
* the tree's hashes live in tiles of 256 nodes and the 7 levels above them (as C2SP tlog-tiles
  groups them): an append writes about one row per 256 entries and rewrites the partial tile at
  the right edge of each tile level, instead of a row per node.

The hot paths speak the database's own SQL through the driver rather than through SQLAlchemy
expressions, whose per-call compilation costs more than the query itself: a proof reads the few
tiles holding its O(log n) nodes in *one* indexed query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from oresight.core.errors import StoreError
from oresight.core.ledger import LogEntry, NodeId
from oresight.store.ledger_tiles import hash_in_tile, new_tiles, tile_of
from oresight.store.schema import LedgerCheckpointRow, LedgerEntryRow

_ENTRIES: Table = LedgerEntryRow.__table__  # type: ignore[assignment]
_CHECKPOINTS: Table = LedgerCheckpointRow.__table__  # type: ignore[assignment]
_READ_CHUNK = 200
"""Tile ids per query: 2 bound parameters each, well under every database's limits."""
_MAX_KEY_PROBES = 64
"""Hashes of a key's probe sequence tried before giving up: each further one is a 64-bit
collision with another stored key, so even a crafted log needs few."""
_SQLITE_BULK_CACHE_KIB = 65_536
"""Page cache (KiB) of a SQLite connection while it appends: the key-hash index of a large log
is written at random places, and SQLite's 2 MiB default cache then rereads pages for every batch."""
_MARKERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
"""Positional placeholder of each DB-API parameter style the ledger's driver SQL is written in."""
_SIZE_QUERY = "SELECT max(size) FROM ledger_checkpoints"
_ENTRY_FIELDS = attrgetter("index", "key", "data")
_sha256 = hashlib.sha256
_from_bytes = int.from_bytes


def key_hashes(key: str) -> Iterator[int]:
    """The probe sequence of ``key`` in the key-hash index: signed 64-bit integers, the first 8
    bytes of SHA-256 of the key's UTF-8, then of the key followed by a NUL and the attempt."""
    material = key.encode("utf-8", "surrogatepass")
    yield _from_bytes(_sha256(material).digest()[:8], "big", signed=True)
    for attempt in range(1, _MAX_KEY_PROBES):
        salted = material + b"\x00" + attempt.to_bytes(4, "big")
        yield _from_bytes(_sha256(salted).digest()[:8], "big", signed=True)


def first_key_hashes(keys: Sequence[str]) -> list[int]:
    """The first hash of each key's probe sequence (:func:`key_hashes`), at C speed."""
    return [
        _from_bytes(_sha256(key.encode("utf-8", "surrogatepass")).digest()[:8], "big", signed=True)
        for key in keys
    ]


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
            'INSERT INTO ledger_entries (idx, key_hash, "key", data) '
            f"VALUES ({mark}, {mark}, {mark}, {mark})"
        )
        self._write_tiles = (
            f"INSERT INTO ledger_tiles (level, idx, width, hashes) VALUES ({mark}, {mark}, "
            f"{mark}, {mark}) ON CONFLICT (level, idx) DO UPDATE "
            "SET width = excluded.width, hashes = excluded.hashes"
        )
        self._find_key = f'SELECT idx, "key", data FROM ledger_entries WHERE key_hash = {mark}'

    def tree_size(self) -> int:
        """How many entries are committed: the size of the newest checkpoint."""
        (row,) = self._read([(_SIZE_QUERY, ())])
        return int(row[0][0] or 0)

    def read_nodes(self, ids: Collection[NodeId]) -> dict[NodeId, bytes]:
        """Hashes of the given complete subtrees; a missing one is a store error."""
        wanted = list(dict.fromkeys(ids))
        tiles = list(dict.fromkeys(tile_of(node)[:2] for node in wanted))
        queries = [
            self._tiles_query(tiles[start : start + _READ_CHUNK])
            for start in range(0, len(tiles), _READ_CHUNK)
        ]
        stored = {
            (level, index): (width, _as_bytes(hashes))
            for rows in self._read(queries)
            for level, index, width, hashes in rows
        }
        found: dict[NodeId, bytes] = {}
        for node in wanted:
            digest = hash_in_tile(stored, node)
            if digest is not None:
                found[node] = digest
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

    def _tiles_query(self, tiles: Sequence[tuple[int, int]]) -> tuple[str, tuple[int, ...]]:
        """One query for these tiles, an OR of primary-key equalities that both databases
        answer with one index probe per tile. Its text depends only on how many tiles are
        asked for, so the driver's prepared-statement cache serves every proof of a shape."""
        return _tiles_sql(len(tiles), self._mark), tuple(x for tile in tiles for x in tile)

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
        """The entry whose key (event id) is ``key``: the first hash of its probe sequence that
        holds this key; a hash no entry holds ends the search."""
        for key_hash in key_hashes(key):
            (rows,) = self._read([(self._find_key, (key_hash,))])
            if not rows:
                return None
            index, found, data = rows[0]
            if found == key:
                return LogEntry(int(index), found, _as_bytes(data))
        return None

    def append(
        self,
        *,
        entries: Sequence[LogEntry],
        nodes: Mapping[NodeId, bytes],
        checkpoint: bytes,
    ) -> None:
        """Commit entries, their new nodes and the checkpoint of the new size in one transaction.

        A key already in the log is refused by the unique key-hash index as the rows go in;
        only then is the append redone key by key, to name that key or, for two different keys
        with equal hashes, to give the later one the next hash of its probe sequence.
        """
        try:
            try:
                self._append(entries, nodes, checkpoint, probe_keys=False)
            except IntegrityError as exc:
                if "key_hash" not in str(exc.orig):
                    raise
                self._append(entries, nodes, checkpoint, probe_keys=True)
        except IntegrityError as exc:
            raise StoreError(
                "ledger append refused by the database (an entry or a checkpoint of that size "
                f"already exists): {exc.orig}"
            ) from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"ledger append failed; the log is unchanged: {exc}") from exc

    def _append(
        self,
        entries: Sequence[LogEntry],
        nodes: Mapping[NodeId, bytes],
        checkpoint: bytes,
        *,
        probe_keys: bool,
    ) -> None:
        with self.engine.begin() as conn:
            if self._sqlite:
                conn.exec_driver_sql(f"PRAGMA cache_size = -{_SQLITE_BULK_CACHE_KIB}")
            size = _committed_size(conn)
            new_size = size + len(entries)
            if entries:
                indexes, keys, datas = zip(*map(_ENTRY_FIELDS, entries), strict=True)
                if indexes != tuple(range(size, new_size)):
                    offset = next(o for o, i in enumerate(indexes) if i != size + o)
                    raise StoreError(
                        f"ledger append starts at index {indexes[0]} but the log holds {size} "
                        "entries (another writer appended first?)"
                        if offset == 0
                        else f"ledger append entry {offset} has index {indexes[offset]}, "
                        f"not {size + offset}: an append's indexes must run on without gaps"
                    )
                hashes = self._probe_keys(conn, keys) if probe_keys else first_key_hashes(keys)
                conn.exec_driver_sql(
                    self._insert_entries, list(zip(indexes, hashes, keys, datas, strict=True))
                )
            tiles = new_tiles(size, new_size, nodes, lambda ids: self._old_tiles(conn, ids))
            if tiles:
                conn.exec_driver_sql(self._write_tiles, tiles)
            conn.execute(
                insert(_CHECKPOINTS),
                {"size": new_size, "note": checkpoint, "created_at": datetime.now(UTC)},
            )

    def _probe_keys(self, conn: Connection, keys: Sequence[str]) -> list[int]:
        """The hash each key is stored under: the first of its probe sequence held neither by a
        stored entry nor by an earlier key of the batch; a key already present is refused."""
        taken: dict[int, str] = {}
        hashes: list[int] = []
        for key in keys:
            for key_hash in key_hashes(key):
                holder = taken.get(key_hash)
                if holder is None:
                    row = conn.exec_driver_sql(self._find_key, (key_hash,)).first()
                    if row is None:
                        break
                    holder = row[1]
                    if holder == key:
                        raise StoreError(
                            f"ledger append refused: entry key {key!r} already exists in the "
                            f"log (entry {row[0]})"
                        )
                elif holder == key:
                    raise StoreError(
                        f"ledger append refused: entry key {key!r} appears twice in the append"
                    )
            else:
                raise StoreError(
                    f"entry key {key!r} collides with {_MAX_KEY_PROBES} stored key hashes: "
                    "the ledger tables are damaged; run `oresight ledger audit`"
                )
            taken[key_hash] = key
            hashes.append(key_hash)
        return hashes

    def _old_tiles(
        self, conn: Connection, tiles: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], tuple[int, bytes]]:
        """The stored partial tiles an append extends, read in its transaction."""
        if not tiles:
            return {}
        query, params = self._tiles_query(tiles)
        return {
            (level, index): (width, _as_bytes(hashes))
            for level, index, width, hashes in conn.exec_driver_sql(query, params)
        }

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
def _tiles_sql(count: int, mark: str) -> str:
    term = f"(level = {mark} AND idx = {mark})"
    return "SELECT level, idx, width, hashes FROM ledger_tiles WHERE " + " OR ".join([term] * count)


def _committed_size(conn: Connection) -> int:
    return int(conn.exec_driver_sql(_SIZE_QUERY).scalar() or 0)


def _as_bytes(value: object) -> bytes:
    """A stored blob as bytes. A value rewritten behind the log's back may come back as text
    (SQLite keeps whatever type was written); it is returned as its UTF-8 bytes so that the audit
    can name it as a mismatch instead of failing."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise StoreError(f"ledger storage holds a {type(value).__name__} where bytes belong")
