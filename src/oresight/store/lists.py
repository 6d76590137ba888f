"""Sanctions lists in the workspace: versions by file, their entries, and decisions on matches.

The store keeps what the screening pillar reads as plain JSON (it never imports the pillar): a
list version is one file's list (``list_id``, title, publisher, publication date, the file and
its SHA-256), its entries are the FtM entities with their listing (``body``: JSON with ``entity``
and the listing fields), and the entities that came with it unlisted (``related``). Loading the
same file again changes nothing; a new file of the same list adds a version, and the newest
version of each list (by publication date, then loading time) is the one in force.

A decision records what an analyst concluded about a party and a list entry, with the digests of
both as they were: it holds only while neither changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from oresight.store.schema import ListEntryRow, ListRelatedRow, MatchDecisionRow, SanctionsListRow

JSONObject = dict[str, Any]


@dataclass(frozen=True)
class ListVersion:
    """One loaded file of a sanctions list."""

    id: int
    list_id: str
    title: str
    publisher: str
    published: date | None
    source: str
    sha256: str
    loaded_at: datetime
    entries: int
    related: int


@dataclass(frozen=True)
class StoredEntry:
    """A list entry as stored: its list version, record id, body (JSON object) and digest."""

    list_version: int
    list_id: str
    record_id: str
    body: JSONObject
    sha256: str


@dataclass(frozen=True)
class Decision:
    """An analyst's decision on a (party, list entry) match."""

    party_id: str
    list_id: str
    record_id: str
    decision: str
    party_sha256: str
    entry_sha256: str
    note: str | None
    decided_by: str | None
    decided_at: datetime


def canonical(body: Mapping[str, Any]) -> str:
    """The JSON text a body is stored and digested as (sorted keys, no spaces)."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(body: Mapping[str, Any]) -> str:
    """SHA-256 of a body's canonical JSON."""
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def add_list_version(
    session: Session,
    *,
    list_id: str,
    title: str,
    publisher: str,
    published: date | None,
    source: str,
    sha256: str,
    entries: Sequence[tuple[str, JSONObject]],
    related: Sequence[JSONObject] = (),
) -> tuple[ListVersion, bool]:
    """Store a list version (``entries``: record id and body each); the version and whether it is
    new. A file already loaded for the same list (same SHA-256) is not stored again."""
    existing = session.scalars(
        select(SanctionsListRow).where(
            SanctionsListRow.list_id == list_id, SanctionsListRow.sha256 == sha256
        )
    ).first()
    if existing is not None:
        return _version(existing), False
    row = SanctionsListRow(
        list_id=list_id,
        title=title,
        publisher=publisher,
        published=published,
        source=source,
        sha256=sha256,
        loaded_at=datetime.now(UTC),
        entries=len(entries),
        related=len(related),
    )
    session.add(row)
    session.flush()
    session.add_all(
        ListEntryRow(
            list_version=row.id,
            record_id=record_id,
            entity_id=str(body["entity"]["id"]),
            schema_name=str(body["entity"]["schema"]),
            body=canonical(body),
            content_sha256=digest(body),
        )
        for record_id, body in entries
    )
    session.add_all(ListRelatedRow(list_version=row.id, body=canonical(b)) for b in related)
    session.flush()
    return _version(row), True


def list_versions(session: Session) -> list[ListVersion]:
    """Every loaded version, by list, newest first within each."""
    rows = session.scalars(select(SanctionsListRow)).all()
    versions = [_version(row) for row in rows]
    return sorted(versions, key=lambda v: (v.list_id, _recency(v)))


def current_versions(session: Session) -> list[ListVersion]:
    """The version in force of each list: the newest by publication date, then loading time."""
    newest: dict[str, ListVersion] = {}
    for version in list_versions(session):
        kept = newest.get(version.list_id)
        if kept is None or _recency(version) < _recency(kept):
            newest[version.list_id] = version
    return sorted(newest.values(), key=lambda v: v.list_id)


def _recency(version: ListVersion) -> tuple[int, float]:
    """Sort key putting the newest version first."""
    published = version.published.toordinal() if version.published else 0
    return (-published, -version.loaded_at.timestamp())


def load_entries(
    session: Session, versions: Iterable[ListVersion], *, record_id: str | None = None
) -> list[StoredEntry]:
    """The entries of the given versions (only those of ``record_id`` when given), in list
    order."""
    by_id = {v.id: v for v in versions}
    if not by_id:
        return []
    query = select(
        ListEntryRow.list_version,
        ListEntryRow.record_id,
        ListEntryRow.body,
        ListEntryRow.content_sha256,
    ).where(ListEntryRow.list_version.in_(by_id))
    if record_id is not None:
        query = query.where(ListEntryRow.record_id == record_id)
    rows = session.execute(query.order_by(ListEntryRow.list_version, ListEntryRow.id))
    return [
        StoredEntry(version, by_id[version].list_id, record_id, json.loads(body), sha)
        for version, record_id, body, sha in rows
    ]


def load_related(session: Session, versions: Iterable[ListVersion]) -> list[JSONObject]:
    """The unlisted entities that came with the given versions."""
    ids = [v.id for v in versions]
    if not ids:
        return []
    rows = session.scalars(
        select(ListRelatedRow.body)
        .where(ListRelatedRow.list_version.in_(ids))
        .order_by(ListRelatedRow.id)
    )
    return [json.loads(body) for body in rows]


def record_decision(session: Session, decision: Decision) -> None:
    """Keep an analyst's decision, replacing any earlier one on the same party and entry."""
    session.execute(
        delete(MatchDecisionRow).where(
            MatchDecisionRow.party_id == decision.party_id,
            MatchDecisionRow.list_id == decision.list_id,
            MatchDecisionRow.record_id == decision.record_id,
        )
    )
    session.add(
        MatchDecisionRow(
            party_id=decision.party_id,
            list_id=decision.list_id,
            record_id=decision.record_id,
            decision=decision.decision,
            party_sha256=decision.party_sha256,
            entry_sha256=decision.entry_sha256,
            note=decision.note,
            decided_by=decision.decided_by,
            decided_at=decision.decided_at,
        )
    )
    session.flush()


def load_decisions(session: Session) -> list[Decision]:
    """Every decision on record."""
    rows = session.scalars(select(MatchDecisionRow).order_by(MatchDecisionRow.id)).all()
    return [
        Decision(
            r.party_id,
            r.list_id,
            r.record_id,
            r.decision,
            r.party_sha256,
            r.entry_sha256,
            r.note,
            r.decided_by,
            r.decided_at,
        )
        for r in rows
    ]


def _version(row: SanctionsListRow) -> ListVersion:
    loaded = row.loaded_at if row.loaded_at.tzinfo else row.loaded_at.replace(tzinfo=UTC)
    return ListVersion(
        row.id,
        row.list_id,
        row.title,
        row.publisher,
        row.published,
        row.source,
        row.sha256,
        loaded,
        row.entries,
        row.related,
    )
