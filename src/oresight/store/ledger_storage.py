"""The custody ledger's storage in the workspace database.

Implements the ledger pillar's ``TreeStorage`` protocol (structurally: the store does not import
the pillar) on five tables: entry bundles, the key index's runs and blocks, tiles of
complete-subtree hashes, and signed checkpoints. The committed tree size is the size of the newest
checkpoint, written in the same transaction as everything it covers, so a reader never sees a tree
without its checkpoint and a failed append leaves the log at its last checkpoint.

What an append writes is kept to rows that go to the end of their B-trees (see
``benchmarks/README.md`` for the measurements that chose it):

* entries in bundles of 1,024 per row (:mod:`oresight.store.ledger_packing`);
* keys (event ids) in a log-structured index: one sorted run of 8-byte key hashes per append,
  runs merged eight at a time as they pile up, so a lookup reads one block per run, O(log n) blocks;
  a repeated key is found against the hashes this process already knows (read once per process,
  8 bytes per entry) and confirmed by reading the entry, so equal hashes of different keys are
  simply kept side by side;
* the tree's hashes in tiles of 256 nodes and the 7 levels above them (as C2SP tlog-tiles groups
  them), the partial tile at the right edge of each tile level rewritten.

The hot paths speak the database's own SQL through the driver rather than through SQLAlchemy
expressions, whose per-call compilation costs more than the query itself: a proof reads the few
tiles holding its O(log n) nodes in *one* indexed query.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, Table, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from oresight.core.errors import StoreError
from oresight.core.ledger import LogEntry, NodeId
from oresight.store import ledger_packing as packing
from oresight.store.ledger_packing import BUNDLE_SIZE, Int64Array
from oresight.store.ledger_tiles import hash_in_tile, new_tiles, tile_of
from oresight.store.schema import LedgerCheckpointRow

_CHECKPOINTS: Table = LedgerCheckpointRow.__table__  # type: ignore[assignment]
_READ_CHUNK = 200
"""Tile ids per query: 2 bound parameters each, well under every database's limits."""
_PROBE_LIMIT = 64
"""An append of at most this many keys, by a process that has not read the key index yet, looks
each key up instead of reading the whole index."""
_PG_APPEND_LOCK = 0x6F726573
"""PostgreSQL advisory lock held by an append's transaction: appends run one at a time (SQLite
serialises writers itself)."""
_MARKERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
"""Positional placeholder of each DB-API parameter style the ledger's driver SQL is written in."""
_SIZE_QUERY = "SELECT max(size) FROM ledger_checkpoints"
_RUNS_QUERY = "SELECT run, stop FROM ledger_key_runs ORDER BY run"


class SqlTreeStorage:
    """A custody ledger kept in a workspace database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = engine.dialect.name
        paramstyle = engine.dialect.paramstyle
        if paramstyle not in _MARKERS:
            raise StoreError(
                f"the ledger cannot use database driver {engine.dialect.driver!r}: its "
                f"parameter style {paramstyle!r} is not one of {sorted(_MARKERS)}"
            )
        mark = _MARKERS[paramstyle]
        self._mark = mark
        self._write_bundles = (
            f"INSERT INTO ledger_bundles (idx, count, data) VALUES ({mark}, {mark}, {mark}) "
            "ON CONFLICT (idx) DO UPDATE SET count = excluded.count, data = excluded.data"
        )
        # On SQLite a row rewritten as text behind the log's back must still read as bytes, so
        # that the audit names it instead of the driver failing to decode it.
        data = "CAST(data AS BLOB)" if self._dialect == "sqlite" else "data"
        self._read_bundles = (
            f"SELECT idx, count, {data} FROM ledger_bundles "
            f"WHERE idx >= {mark} AND idx <= {mark} ORDER BY idx"
        )
        self._write_tiles = (
            f"INSERT INTO ledger_tiles (level, idx, width, hashes) VALUES ({mark}, {mark}, "
            f"{mark}, {mark}) ON CONFLICT (level, idx) DO UPDATE "
            "SET width = excluded.width, hashes = excluded.hashes"
        )
        self._write_blocks = (
            "INSERT INTO ledger_key_blocks (run, first_hash, pairs) "
            f"VALUES ({mark}, {mark}, {mark})"
        )
        self._write_run = f"INSERT INTO ledger_key_runs (run, stop) VALUES ({mark}, {mark})"
        self._read_run_blocks = (
            f"SELECT pairs FROM ledger_key_blocks WHERE run = {mark} ORDER BY first_hash"
        )
        self._drop_blocks = f"DELETE FROM ledger_key_blocks WHERE run >= {mark}"
        self._drop_runs = f"DELETE FROM ledger_key_runs WHERE run >= {mark}"
        # One block per run: the last block of the run whose first hash is not above the key's.
        self._lookup = (
            "SELECT b.run, b.pairs FROM ledger_key_runs r JOIN ledger_key_blocks b "
            "ON b.run = r.run WHERE b.first_hash = (SELECT max(x.first_hash) FROM "
            f"ledger_key_blocks x WHERE x.run = r.run AND x.first_hash <= {mark})"
        )
        self._known = _KnownHashes()

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
        if stop <= start:
            return []
        last = (stop - 1) // BUNDLE_SIZE
        (rows,) = self._read([(self._read_bundles, (start // BUNDLE_SIZE, last))])
        return [
            entry
            for bundle, count, blob in rows
            for entry in _bundle_entries(int(bundle), int(count), _as_bytes(blob))
            if start <= entry.index < stop
        ]

    def find_entry(self, key: str) -> LogEntry | None:
        """The entry whose key (event id) is ``key``: the entries its key hash is listed under
        in the key index's runs, read and compared with ``key``."""
        encoded = packing.encode_key(key)
        (key_hash,) = packing.key_hashes([encoded]).tolist()
        try:
            with self.engine.connect() as conn:
                for index in self._indexes_with_hash(conn, key_hash):
                    entry = self._entry_at(conn, index)
                    if entry is not None and entry.key == key:
                        return entry
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot read the ledger: {exc}") from exc
        return None

    def index_problems(self, limit: int) -> list[tuple[int | None, str]]:
        """Where the key index fails the committed entries: runs that do not cover the log
        without gaps, an entry listed twice or not at all, or listed under another key's hash."""
        size = self.tree_size()
        problems: list[tuple[int | None, str]] = []
        try:
            with self.engine.connect() as conn:
                runs = [(int(a), int(b)) for a, b in conn.exec_driver_sql(_RUNS_QUERY)]
                ends = [0, *(stop for _, stop in runs)]
                if [run for run, _ in runs] != ends[:-1] or ends[-1] != size:
                    problems.append(
                        (None, f"the key index's runs {runs} do not cover entries 0 to {size}")
                    )
                hashes = np.full(size, -1, dtype=np.int64)
                listed = np.zeros(size, dtype=np.int64)
                for run, blob in conn.exec_driver_sql("SELECT run, pairs FROM ledger_key_blocks"):
                    try:
                        run_hashes, indexes = packing.unpack_block(
                            _as_bytes(blob), where=f"key-index run {run}"
                        )
                    except StoreError as exc:
                        problems.append((None, str(exc)))
                        continue
                    inside = (indexes >= 0) & (indexes < size)
                    np.add.at(listed, indexes[inside], 1)
                    hashes[indexes[inside]] = run_hashes[inside]
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot read the ledger: {exc}") from exc
        for index in np.flatnonzero(listed != 1)[:limit].tolist():
            times = int(listed[index])
            problems.append((index, f"the key index lists entry {index} {times} times, not once"))
        for start in range(0, size, 4 * BUNDLE_SIZE):
            try:
                entries = self.read_entries(start, min(size, start + 4 * BUNDLE_SIZE))
            except StoreError:
                continue  # unreadable entries are the audit's to name, entry by entry
            expected = packing.key_hashes([packing.encode_key(e.key) for e in entries])
            at = np.array([e.index for e in entries], dtype=np.int64)
            wrong = at[(hashes[at] != expected) & (listed[at] == 1)] if len(at) else at
            problems.extend(
                (index, f"the key index lists entry {index} under another key's hash")
                for index in wrong.tolist()
            )
            if len(problems) >= limit:
                break
        return sorted(problems, key=lambda p: -1 if p[0] is None else p[0])[:limit]

    def append(
        self,
        *,
        old_size: int,
        keys: Sequence[str],
        datas: Sequence[bytes],
        levels: Sequence[Sequence[bytes]],
        checkpoint: bytes,
    ) -> None:
        """Commit entries, their new nodes and the checkpoint of the new size in one transaction.

        Refused, with nothing written, when another writer appended since ``old_size`` was read
        or a key is already in the log.
        """
        if len(datas) != len(keys):
            raise StoreError(f"ledger append brings {len(keys)} keys but {len(datas)} entries")
        encoded = [key.encode("utf-8", "surrogatepass") for key in keys]  # packing.encode_key
        hashes = packing.key_hashes(encoded)
        order = np.argsort(hashes, kind="stable")
        run = (hashes[order], np.arange(old_size, old_size + len(keys), dtype=np.int64)[order])
        try:
            with self.engine.begin() as conn:
                if self._dialect == "postgresql":
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_APPEND_LOCK})")
                size = _committed_size(conn)
                if size != old_size:
                    raise StoreError(
                        f"ledger append starts at index {old_size} but the log holds {size} "
                        "entries (another writer appended first?)"
                    )
                new_size = size + len(keys)
                if keys:
                    self._refuse_known_keys(conn, size, keys, run)
                    self._write_entries(conn, size, encoded, datas)
                    self._write_key_run(conn, size, run)
                tiles = new_tiles(size, new_size, levels, lambda ids: self._old_tiles(conn, ids))
                if tiles:
                    conn.exec_driver_sql(self._write_tiles, tiles)
                conn.execute(
                    insert(_CHECKPOINTS),
                    {"size": new_size, "note": checkpoint, "created_at": datetime.now(UTC)},
                )
        except IntegrityError as exc:
            self._known.forget()
            raise StoreError(
                "ledger append refused by the database (a checkpoint of that size already "
                f"exists): {exc.orig}"
            ) from exc
        except SQLAlchemyError as exc:
            self._known.forget()
            raise StoreError(f"ledger append failed; the log is unchanged: {exc}") from exc
        except BaseException:
            self._known.forget()
            raise
        self._known.committed(size, new_size, run[0])

    def _refuse_known_keys(
        self, conn: Connection, size: int, keys: Sequence[str], run: tuple[Int64Array, Int64Array]
    ) -> None:
        """Refuse the append if one of its keys is in the log: keys whose hash the log holds
        are read back and compared (equal hashes of different keys pass). ``run`` is the
        append's ``(hash, index)`` pairs in hash order."""
        hashes, indexes = run
        if not self._known.covers(size) and len(keys) > _PROBE_LIMIT:
            self._known.load(size, self._all_hashes(conn))
        if self._known.covers(size):
            known = self._known.contains(hashes)
            suspects, suspect_hashes = indexes[known].tolist(), hashes[known].tolist()
        else:
            suspects, suspect_hashes = indexes.tolist(), hashes.tolist()
        for index, key_hash in zip(suspects, suspect_hashes, strict=True):
            key = keys[index - size]
            for held in self._indexes_with_hash(conn, key_hash):
                entry = self._entry_at(conn, held)
                if entry is not None and entry.key == key:
                    raise StoreError(
                        f"ledger append refused: entry key {key!r} already exists in the log "
                        f"(entry {held})"
                    )

    def _write_entries(
        self, conn: Connection, size: int, keys: Sequence[bytes], datas: Sequence[bytes]
    ) -> None:
        """Pack entries ``size ..`` into bundles, completing the stored partial one."""
        rows: list[tuple[int, int, bytes]] = []
        for bundle, count, start, stop in packing.bundles(size, keys, datas):
            held = count - (stop - start)
            if held:
                old_keys, old_datas = self._stored_bundle(conn, bundle, held)
                blob = packing.pack_bundle(
                    [*old_keys, *keys[start:stop]], [*old_datas, *datas[start:stop]]
                )
            else:
                blob = packing.pack_bundle(keys[start:stop], datas[start:stop])
            rows.append((bundle, count, blob))
        conn.exec_driver_sql(self._write_bundles, rows)

    def _stored_bundle(
        self, conn: Connection, bundle: int, count: int
    ) -> tuple[list[bytes], list[bytes]]:
        where = f"entry bundle {bundle}"
        row = conn.exec_driver_sql(self._read_bundles, (bundle, bundle)).first()
        if row is None or int(row[1]) != count:
            raise StoreError(
                f"ledger {where} should hold {count} entries but is missing or damaged; "
                "run `oresight ledger audit`"
            )
        return packing.unpack_bundle(_as_bytes(row[2]), count, where=where)

    def _write_key_run(
        self, conn: Connection, size: int, run: tuple[Int64Array, Int64Array]
    ) -> None:
        """Write the append's run of the key index, merged with the newest runs that pile up."""
        new_size = size + len(run[0])
        runs = [(int(first), int(stop)) for first, stop in conn.exec_driver_sql(_RUNS_QUERY)]
        covered = runs[-1][1] if runs else 0
        if covered != size:
            raise StoreError(
                f"the ledger's key index covers {covered} entries, not the {size} the log "
                "holds: the ledger tables are damaged; run `oresight ledger audit`"
            )
        take = packing.runs_to_merge([stop - first for first, stop in runs] + [len(run[0])])
        first = size
        if take:
            merged = runs[len(runs) - (take - 1) :]
            first = merged[0][0]
            parts = [self._run_pairs(conn, start) for start, _ in merged]
            run = packing.merge_runs([*parts, run])
            conn.exec_driver_sql(self._drop_blocks, (first,))
            conn.exec_driver_sql(self._drop_runs, (first,))
        conn.exec_driver_sql(
            self._write_blocks,
            [(first, head, blob) for head, blob in packing.run_blocks(*run)],
        )
        conn.exec_driver_sql(self._write_run, (first, new_size))

    def _run_pairs(self, conn: Connection, run: int) -> tuple[Int64Array, Int64Array]:
        blocks = [
            packing.unpack_block(_as_bytes(blob), where=f"key-index run {run}")
            for (blob,) in conn.exec_driver_sql(self._read_run_blocks, (run,))
        ]
        if not blocks:
            return _EMPTY, _EMPTY
        return np.concatenate([h for h, _ in blocks]), np.concatenate([i for _, i in blocks])

    def _all_hashes(self, conn: Connection) -> Int64Array:
        """Every key hash the index holds."""
        blocks = [
            packing.unpack_block(_as_bytes(blob), where="key-index block")[0]
            for (blob,) in conn.exec_driver_sql("SELECT pairs FROM ledger_key_blocks")
        ]
        return np.sort(np.concatenate(blocks)) if blocks else _EMPTY

    def _indexes_with_hash(self, conn: Connection, key_hash: int) -> list[int]:
        """Entry indexes listed under ``key_hash``, one block read per run."""
        return sorted(
            index
            for run, blob in conn.exec_driver_sql(self._lookup, (key_hash,))
            for index in packing.indexes_with_hash(
                _as_bytes(blob), key_hash, where=f"key-index run {run}"
            )
        )

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

    def _entry_at(self, conn: Connection, index: int) -> LogEntry | None:
        bundle, offset = divmod(index, BUNDLE_SIZE)
        row = conn.exec_driver_sql(self._read_bundles, (bundle, bundle)).first()
        if row is None or offset >= int(row[1]):
            return None
        where = f"entry bundle {bundle}"
        key, data = packing.one_of_bundle(_as_bytes(row[2]), int(row[1]), offset, where=where)
        return LogEntry(index, packing.decode_key(key, where=where), data)

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


_EMPTY: Int64Array = np.zeros(0, dtype=np.int64)


class _KnownHashes:
    """The key hashes of the first ``size`` entries, as this process last read them: what an
    append checks its keys against before reading any entry back.

    Kept sorted in a few arrays (the newest appends' small ones are folded into the big one now
    and then), behind a filter of one flag per slot of the hashes' top bits, sized to about 8
    slots per hash: most new keys are cleared by the filter alone.
    """

    _FOLD_AT = 4
    _SLOTS_PER_HASH = 8

    def __init__(self) -> None:
        self.size: int | None = None
        self._parts: list[Int64Array] = []
        self._bits = 0
        self._filter: Any = np.zeros(0, dtype=bool)

    def covers(self, size: int) -> bool:
        """Whether these are the hashes of exactly the log's ``size`` entries."""
        return self.size == size

    def load(self, size: int, hashes: Int64Array) -> None:
        self.size, self._parts = size, [hashes]
        self._refilter(size)

    def forget(self) -> None:
        self.size, self._parts = None, []
        self._bits, self._filter = 0, np.zeros(0, dtype=bool)

    def contains(self, hashes: Int64Array) -> Any:
        """A boolean mask: which of ``hashes`` are known."""
        found = self._filter[self._slots(hashes)] if self._bits else np.ones(len(hashes), bool)
        candidates = np.flatnonzero(found)
        if not len(candidates):
            return found
        wanted = hashes[candidates]
        held = np.zeros(len(candidates), dtype=bool)
        for part in self._parts:
            if len(part):
                at = np.searchsorted(part, wanted).clip(max=len(part) - 1)
                held |= part[at] == wanted
        found[candidates] = held
        return found

    def committed(self, size: int, new_size: int, hashes: Int64Array) -> None:
        """Record an append from ``size`` to ``new_size`` (its key hashes, sorted), if these
        hashes cover ``size``."""
        if self.size != size:
            return
        self._parts.append(hashes)
        if len(self._parts) > self._FOLD_AT:
            self._parts = [np.sort(np.concatenate(self._parts), kind="stable")]
        self.size = new_size
        if new_size * self._SLOTS_PER_HASH > 2 * (1 << self._bits):
            self._refilter(new_size)
        else:
            self._filter[self._slots(hashes)] = True

    def _slots(self, hashes: Int64Array) -> Any:
        return (hashes.view(np.uint64) >> np.uint64(64 - self._bits)).astype(np.intp)

    def _refilter(self, size: int) -> None:
        self._bits = max(16, (size * self._SLOTS_PER_HASH).bit_length())
        self._filter = np.zeros(1 << self._bits, dtype=bool)
        for part in self._parts:
            self._filter[self._slots(part)] = True


def _bundle_entries(bundle: int, count: int, blob: bytes) -> list[LogEntry]:
    where = f"entry bundle {bundle}"
    keys, datas = packing.unpack_bundle(blob, count, where=where)
    first = bundle * BUNDLE_SIZE
    return [
        LogEntry(first + offset, packing.decode_key(key, where=where), data)
        for offset, (key, data) in enumerate(zip(keys, datas, strict=True))
    ]


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
