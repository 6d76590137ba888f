"""The trade pillar's own storage: Parquet files in a folder, listed by one manifest.

A workspace keeps its trade data under ``trade/``: each loaded file becomes one Parquet file
(``flows/<batch>.parquet``, ``production/<batch>.parquet``) and one entry of ``manifest.json``
(the source file's name and SHA-256, its rows, years and what was left out). The manifest is the
truth: a Parquet file it does not list is not data. It is replaced in one rename, after the new
Parquet files are complete, so a load that fails half-way leaves the store as it was.

The same file loaded again is recognised by its digest and skipped. A file that gives flows the
store already holds from another file (same source, reporter, partner, flow, HS code, period and
mode) is refused, naming the earlier file, unless it is loaded to replace them: then the
earlier files are rewritten without those flows, in the same all-or-nothing step.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from dataclasses import replace as replace_fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from oresight.core.errors import InvalidInput
from oresight.trade.flows import FLOW_KEY, LoadSummary

MANIFEST = "manifest.json"
FLOWS = "flows"
PRODUCTION = "production"


@dataclass(frozen=True, slots=True)
class Batch:
    """One loaded file: where its rows are, and where they came from."""

    batch: str
    kind: str
    file: str
    sha256: str
    rows: int
    years: tuple[int, ...]
    loaded_at: str
    summary: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Added:
    """What a load did: the batch written (None when the file was loaded before), and the rows
    it took over from earlier files."""

    batch: Batch | None
    already_loaded: Batch | None = None
    replaced_rows: int = 0


class TradeStore:
    """Parquet files of flows and production in ``folder`` (created on first write)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def batches(self, kind: str | None = None) -> list[Batch]:
        """The loaded files, oldest first (only those of ``kind``, ``flows`` or ``production``)."""
        path = self.folder / MANIFEST
        if not path.is_file():
            return []
        entries = json.loads(path.read_text(encoding="utf-8"))["batches"]
        found = [Batch(**{**entry, "years": tuple(entry["years"])}) for entry in entries]
        return [batch for batch in found if kind is None or batch.kind == kind]

    def files(self, kind: str) -> list[Path]:
        """The Parquet files of one kind, as the manifest lists them."""
        return [self._path(batch) for batch in self.batches(kind)]

    def add_flows(
        self, table: pa.Table, summary: LoadSummary, *, sha256: str, replace: bool = False
    ) -> Added:
        """Keep a file's flows (see the module docstring for repeated and overlapping files)."""
        return self._add(FLOWS, table, summary.file, sha256, _summary_dict(summary), replace)

    def add_production(
        self, table: pa.Table, *, file: str, sha256: str, summary: dict[str, Any]
    ) -> Added:
        """Keep a file's production rows (a file loaded before is skipped)."""
        return self._add(PRODUCTION, table, file, sha256, summary, replace=False)

    def _add(
        self,
        kind: str,
        table: pa.Table,
        file: str,
        sha256: str,
        summary: dict[str, Any],
        replace: bool,
    ) -> Added:
        batches = self.batches()
        for batch in batches:
            if batch.sha256 == sha256 and batch.kind == kind:
                return Added(batch=None, already_loaded=batch)
        rewrites: dict[str, pa.Table] = {}
        replaced = 0
        if kind == FLOWS:
            rewrites, replaced = self._overlaps(table, file, replace)
        years = tuple(sorted({int(y) for y in table.column("year").unique().to_pylist()}))
        batch = Batch(
            batch=uuid.uuid4().hex[:16],
            kind=kind,
            file=file,
            sha256=sha256,
            rows=table.num_rows,
            years=years,
            loaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
            summary=summary,
        )
        with self._transaction() as pending:
            pending.write(batch, table)
            kept: list[Batch] = []
            for old in batches:
                if old.batch in rewrites:
                    rewritten = rewrites[old.batch]
                    if rewritten.num_rows:
                        fresh = replace_fields(
                            old, batch=uuid.uuid4().hex[:16], rows=rewritten.num_rows
                        )
                        pending.write(fresh, rewritten)
                        kept.append(fresh)
                    pending.drop(old)
                else:
                    kept.append(old)
            pending.manifest([*kept, batch])
        return Added(batch=batch, replaced_rows=replaced)

    def _overlaps(
        self, table: pa.Table, file: str, replace: bool
    ) -> tuple[dict[str, pa.Table], int]:
        """The earlier batches that hold flows of ``table``, rewritten without them."""
        rewrites: dict[str, pa.Table] = {}
        replaced = 0
        connection = duckdb.connect()
        try:
            connection.register("incoming", table.select(list(FLOW_KEY)))
            key = ", ".join(FLOW_KEY)
            for batch in self.batches(FLOWS):
                path = self._path(batch)
                count = connection.execute(
                    f"SELECT count(*) FROM read_parquet(?) SEMI JOIN incoming USING ({key})",
                    [str(path)],
                ).fetchone()
                overlapping = int(count[0]) if count else 0
                if not overlapping:
                    continue
                if not replace:
                    raise InvalidInput(
                        f"{overlapping:,} of its flows are already loaded from {batch.file} "
                        "(same reporter, partner, flow, HS code, period and mode); load it "
                        "with --replace to supersede them",
                        file=file,
                    )
                rewrites[batch.batch] = connection.sql(
                    f"SELECT * FROM read_parquet(?) ANTI JOIN incoming USING ({key})",
                    params=[str(path)],
                ).to_arrow_table()
                replaced += overlapping
        finally:
            connection.close()
        return rewrites, replaced

    def _path(self, batch: Batch) -> Path:
        return self.folder / batch.kind / f"{batch.batch}.parquet"

    @contextmanager
    def _transaction(self) -> Iterator[_Pending]:
        pending = _Pending(self)
        try:
            yield pending
            pending.commit()
        except BaseException:
            pending.abandon()
            raise


class _Pending:
    """New Parquet files and a new manifest, made current by one rename of the manifest."""

    def __init__(self, store: TradeStore) -> None:
        self.store = store
        self.written: list[Path] = []
        self.dropped: list[Path] = []
        self.batches: list[Batch] | None = None

    def write(self, batch: Batch, table: pa.Table) -> None:
        path = self.store._path(batch)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.written.append(path)
        pq.write_table(table, path, compression="zstd")

    def drop(self, batch: Batch) -> None:
        self.dropped.append(self.store._path(batch))

    def manifest(self, batches: list[Batch]) -> None:
        self.batches = batches

    def commit(self) -> None:
        assert self.batches is not None
        document = {
            "format": "oresight-trade-store/1",
            "batches": [{**asdict(batch), "years": list(batch.years)} for batch in self.batches],
        }
        folder = self.store.folder
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".manifest-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(document, out, indent=1)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, folder / MANIFEST)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        for path in self.dropped:
            path.unlink(missing_ok=True)

    def abandon(self) -> None:
        for path in self.written:
            path.unlink(missing_ok=True)


def first_shared(tables: Sequence[tuple[str, pa.Table]]) -> tuple[str, str, int] | None:
    """The first two of ``(file, flows)`` that hold the same flows (same :data:`FLOW_KEY`), and
    how many: files loaded together must not count a flow twice. One semi-join per pair of
    files, in DuckDB over the Arrow tables (no row reaches Python)."""
    connection = duckdb.connect()
    key = ", ".join(FLOW_KEY)
    try:
        for index, (_, table) in enumerate(tables):
            connection.register(f"t{index}", table.select(list(FLOW_KEY)))
        for later in range(1, len(tables)):
            for earlier in range(later):
                found = connection.execute(
                    f"SELECT count(*) FROM t{later} SEMI JOIN t{earlier} USING ({key})"
                ).fetchone()
                shared = int(found[0]) if found else 0
                if shared:
                    return tables[earlier][0], tables[later][0], shared
    finally:
        connection.close()
    return None


def _summary_dict(summary: LoadSummary) -> dict[str, Any]:
    return {
        "source": summary.source,
        "rows_read": summary.rows_read,
        "rows_kept": summary.rows_kept,
        "excluded": dict(summary.excluded),
        "unknown_codes": {str(code): n for code, n in summary.unknown_codes.items()},
    }
