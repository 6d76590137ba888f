"""Ingest standard files into a workspace: sniff, parse and validate all, then write in one go.

Ingest is transactional across the whole call: every file is parsed and validated before anything
is written, and the writes happen in one database transaction, so a bad file — or a conflict found
while writing — leaves the workspace exactly as it was. It is idempotent: records already stored
with the same content are counted as unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from oresight.core.custody import CustodyEvent
from oresight.core.errors import InvalidInput, UnknownFormat
from oresight.core.parties import Party
from oresight.core.sites import Site
from oresight.custody.epcis import looks_like_epcis, read_epcis
from oresight.custody.sites import (
    looks_like_site_collection,
    read_geojson_sites,
    read_geopackage_sites,
)
from oresight.screening.ftm import looks_like_ftm, read_ftm_parties
from oresight.store import repository
from oresight.store.database import Workspace
from oresight.workflows.choices import FileFormat
from oresight.workflows.progress import Progress, no_progress


@dataclass
class ParsedFile:
    """A file read and validated, not yet written."""

    path: Path
    format: FileFormat
    sha256: str
    events: list[CustodyEvent] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)

    @property
    def record_count(self) -> int:
        """How many records the file holds."""
        return len(self.events) + len(self.sites) + len(self.parties)


@dataclass(frozen=True)
class FileResult:
    """What ingesting one file did."""

    path: Path
    format: FileFormat
    records: int
    added: int
    unchanged: int
    updated: int


def sniff_format(path: Path, content: bytes) -> FileFormat:
    """Recognise a file's format from its name and first record."""
    if path.suffix.lower() == ".gpkg" or content.startswith(b"SQLite format 3\x00"):
        return FileFormat.GEOPACKAGE
    text = content.decode("utf-8-sig", errors="replace").lstrip()
    first_line = text.split("\n", 1)[0].strip()
    try:
        first = json.loads(first_line) if first_line.startswith("{") else None
    except json.JSONDecodeError:
        first = None
    if isinstance(first, dict) and looks_like_ftm(first):
        return FileFormat.FTM
    try:
        whole = json.loads(text)
    except json.JSONDecodeError as exc:
        if path.suffix.lower() in {".jsonld", ".geojson"} or text.startswith("{"):
            raise InvalidInput(
                f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                file=str(path),
            ) from None
        raise UnknownFormat(
            "not a recognised format (expected EPCIS 2.0 JSON/JSON-LD, GeoJSON, GeoPackage "
            "or FtM JSON lines)",
            file=str(path),
        ) from None
    if isinstance(whole, dict) and looks_like_epcis(whole):
        return FileFormat.EPCIS
    if isinstance(whole, dict) and looks_like_site_collection(whole):
        return FileFormat.GEOJSON
    if (
        isinstance(whole, list)
        and whole
        and isinstance(whole[0], dict)
        and looks_like_ftm(whole[0])
    ):
        return FileFormat.FTM
    raise UnknownFormat(
        "not a recognised format: JSON that is neither an EPCIS document, a GeoJSON "
        "FeatureCollection nor FtM entities; use --format to force one",
        file=str(path),
    )


def parse_file(path: Path, *, format: FileFormat | None = None) -> ParsedFile:
    """Read and validate one file; nothing is written."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read file: {exc.strerror}", file=str(path)) from None
    chosen = format or sniff_format(path, content)
    parsed = ParsedFile(path=path, format=chosen, sha256=hashlib.sha256(content).hexdigest())
    name = str(path)
    if chosen is FileFormat.EPCIS:
        parsed.events = list(read_epcis(content, file=name).events)
    elif chosen is FileFormat.GEOJSON:
        parsed.sites = read_geojson_sites(content, file=name)
    elif chosen is FileFormat.GEOPACKAGE:
        parsed.sites = read_geopackage_sites(path)
    else:
        parsed.parties = read_ftm_parties(content, file=name)
    return parsed


@dataclass(frozen=True)
class InputFile:
    """A file to ingest, and whether the user named it (rather than a folder holding it)."""

    path: Path
    named: bool


def expand_paths(paths: Sequence[Path]) -> list[InputFile]:
    """Files named directly, plus the data files inside any folder named, in a stable order."""
    files: list[InputFile] = []
    suffixes = {".json", ".jsonld", ".geojson", ".gpkg", ".jsonl", ".ftm"}
    for path in paths:
        if path.is_dir():
            files.extend(
                InputFile(p, named=False)
                for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix.lower() in suffixes
            )
        else:
            files.append(InputFile(path, named=True))
    return files


@dataclass(frozen=True)
class IngestSummary:
    """What an ingest did: per file, and the files of named folders it passed over."""

    files: list[FileResult]
    skipped: list[Path]
    added_event_ids: list[str]
    """Custody events this ingest added to the workspace, in file order."""
    """Files in a named folder whose format oresight does not read (a README, a manifest)."""


def ingest_files(
    workspace: Workspace,
    paths: Sequence[Path],
    *,
    format: FileFormat | None = None,
    progress: Progress = no_progress,
) -> IngestSummary:
    """Parse every file, then write them all in one transaction; return what each added.

    A file named directly must be readable; inside a named folder, a file whose format is not
    recognised is passed over (and listed), but a file that is recognised and broken still
    stops the whole ingest.
    """
    files = expand_paths(paths)
    if not files:
        raise InvalidInput("no input files given (or the folders given hold no data files)")
    parsed: list[ParsedFile] = []
    skipped: list[Path] = []
    for index, entry in enumerate(files):
        progress("reading", index, len(files))
        try:
            parsed.append(parse_file(entry.path, format=format))
        except UnknownFormat:
            if entry.named:
                raise
            skipped.append(entry.path)
    progress("reading", len(files), len(files))
    # Sites and parties first, so that events referring to them land after them.
    order = {
        FileFormat.GEOJSON: 0,
        FileFormat.GEOPACKAGE: 0,
        FileFormat.FTM: 1,
        FileFormat.EPCIS: 2,
    }
    results: list[FileResult] = []
    added_event_ids: list[str] = []
    with workspace.transaction() as session:
        for index, item in enumerate(sorted(parsed, key=lambda p: order[p.format])):
            progress("writing", index, len(parsed))
            ingest = repository.record_ingest(
                session, source=str(item.path), sha256=item.sha256, format=item.format.value
            )
            if item.events:
                counts = repository.add_events(
                    session, item.events, ingest=ingest, source=str(item.path)
                )
                added_event_ids.extend(counts.added_ids)
            elif item.sites:
                counts = repository.upsert_sites(session, item.sites, ingest=ingest)
            else:
                counts = repository.upsert_parties(session, item.parties, ingest=ingest)
            ingest.added, ingest.unchanged, ingest.updated = (
                counts.added,
                counts.unchanged,
                counts.updated,
            )
            results.append(
                FileResult(
                    path=item.path,
                    format=item.format,
                    records=item.record_count,
                    added=counts.added,
                    unchanged=counts.unchanged,
                    updated=counts.updated,
                )
            )
        progress("writing", len(parsed), len(parsed))
    return IngestSummary(files=results, skipped=skipped, added_event_ids=added_event_ids)
