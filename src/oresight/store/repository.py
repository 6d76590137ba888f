"""Reading and writing core types in the workspace database.

Writes are idempotent: a record already stored with the same content is counted as unchanged. A
custody event whose id is stored with different content is refused (events are an append-only
record: a correction is a new event, never an overwrite), while sites and parties, which are
reference data, are updated in place.
"""

from __future__ import annotations

import gc
import hashlib
import json
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import String, delete, func, select, type_coerce
from sqlalchemy.orm import Session

from oresight.core.collector import paused_gc
from oresight.core.custody import CustodyEvent
from oresight.core.errors import InvalidInput
from oresight.core.findings import DataGap, Finding, Severity
from oresight.core.parties import Party
from oresight.core.sites import Site
from oresight.store.schema import (
    AssessmentRow,
    EventObjectRow,
    EventRow,
    FindingRow,
    IngestRow,
    PartyRow,
    SiteRow,
)


@dataclass
class WriteCounts:
    """How many records a write added, left unchanged, or updated."""

    added: int = 0
    unchanged: int = 0
    updated: int = 0
    added_ids: list[str] = field(default_factory=list)
    """Ids of the records added, in input order."""


def canonical_json(model: BaseModel) -> str:
    """The canonical JSON of a core object: sorted keys, no whitespace, so equal means equal."""
    return json.dumps(model.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_ingest(session: Session, *, source: str, sha256: str, format: str) -> IngestRow:
    """Record that a file is being ingested; counts are filled in by the caller."""
    row = IngestRow(
        source=source,
        sha256=sha256,
        format=format,
        ingested_at=datetime.now(UTC),
        added=0,
        unchanged=0,
        updated=0,
    )
    session.add(row)
    session.flush()
    return row


def add_events(
    session: Session, events: Sequence[CustodyEvent], *, ingest: IngestRow, source: str
) -> WriteCounts:
    """Store custody events; the same event twice is a no-op, a conflicting one is refused."""
    counts = WriteCounts()
    ids = [e.event_id for e in events]
    stored: dict[str, tuple[str, int]] = {}
    for chunk in _chunks(ids, 500):
        for event_id, digest, ingest_id in session.execute(
            select(EventRow.event_id, EventRow.content_sha256, EventRow.ingest_id).where(
                EventRow.event_id.in_(chunk)
            )
        ):
            stored[event_id] = (digest, ingest_id)
    new_rows: list[EventRow] = []
    object_rows: list[EventObjectRow] = []
    for index, event in enumerate(events):
        body = canonical_json(event)
        digest = _sha256(body)
        previous = stored.get(event.event_id)
        if previous is not None:
            if previous[0] == digest:
                counts.unchanged += 1
                continue
            first_source = session.get(IngestRow, previous[1])
            origin = first_source.source if first_source is not None else "an earlier ingest"
            raise InvalidInput(
                "an event with this eventID is already in the workspace (from "
                f"{origin}) with different content; a correction must be a new event",
                file=source,
                record=f"event {index + 1} (eventID {event.event_id})",
                field="eventID",
            )
        new_rows.append(
            EventRow(
                event_id=event.event_id,
                type=event.type.value,
                event_time=event.event_time.astimezone(UTC),  # SQLite keeps no offset
                biz_step=event.biz_step,
                location=event.location(),
                content_sha256=digest,
                body=body,
                ingest_id=ingest.id,
            )
        )
        object_rows.extend(
            EventObjectRow(event_id=event.event_id, identifier=identifier)
            for identifier in event.touched()
        )
        stored[event.event_id] = (digest, ingest.id)
        counts.added += 1
        counts.added_ids.append(event.event_id)
    # Events before the rows that refer to them: there is no ORM relationship to order them.
    session.add_all(new_rows)
    session.flush()
    session.add_all(object_rows)
    session.flush()
    return counts


def upsert_sites(session: Session, sites: Iterable[Site], *, ingest: IngestRow) -> WriteCounts:
    """Store sites, updating any whose content changed."""
    return _upsert(
        session,
        SiteRow,
        sites,
        ingest=ingest,
        columns=lambda site: {"kind": site.kind.value, "country": site.country, "name": site.name},
    )


def upsert_parties(session: Session, parties: Iterable[Party], *, ingest: IngestRow) -> WriteCounts:
    """Store FtM parties, updating any whose content changed."""
    return _upsert(
        session,
        PartyRow,
        parties,
        ingest=ingest,
        columns=lambda party: {"schema_name": party.schema_name, "caption": party.caption},
    )


_Ref = TypeVar("_Ref", Site, Party)
_Row = TypeVar("_Row", SiteRow, PartyRow)


def _upsert(
    session: Session,
    row_type: type[_Row],
    objects: Iterable[_Ref],
    *,
    ingest: IngestRow,
    columns: Callable[[_Ref], dict[str, Any]],
) -> WriteCounts:
    """Insert reference records, or update them in place when their content changed."""
    counts = WriteCounts()
    for obj in objects:
        body = canonical_json(obj)
        values = {
            **columns(obj),
            "content_sha256": _sha256(body),
            "body": body,
            "ingest_id": ingest.id,
        }
        row = session.get(row_type, obj.id)
        if row is None:
            session.add(row_type(id=obj.id, **values))
            counts.added += 1
        elif row.content_sha256 == values["content_sha256"]:
            counts.unchanged += 1
        else:
            for name, value in values.items():
                setattr(row, name, value)
            counts.updated += 1
    session.flush()
    return counts


def load_events(session: Session) -> list[CustodyEvent]:
    """Every custody event, in event-time order (as the database orders ``event_time``, then
    ``event_id``).

    Built for millions of events:

    * parts that many events hold equal (parties, business transactions, lot master data, the
      record of which fields were given) are kept once (:class:`_SharedParts`), which halves
      their memory;
    * on SQLite the rows are read in storage order and sorted here, by the same key: its
      ``ORDER BY`` reaches each row through the time index, one page read per row;
    * the cyclic garbage collector is paused while they are read, and what is loaded is then
      moved to its permanent generation (``gc.freeze``): each of its passes over a million
      events takes seconds, and events form no reference cycles. Frozen objects are freed by
      reference counting as usual; any cycle among them (the session's, say) is collectable
      again from the next call, which unfreezes first.
    """
    _unfreeze_last_load()
    shared = _SharedParts()
    with paused_gc():
        if session.get_bind().dialect.name != "sqlite":
            ordered = select(EventRow.body).order_by(EventRow.event_time, EventRow.event_id)
            rows = session.connection().execute(ordered).scalars()
            events = [shared.event(CustodyEvent.model_validate_json(body)) for body in rows]
        else:
            # SQLite stores times as text and compares text and ids byte by byte, as Python
            # compares them (UTF-8 keeps code point order): sorting by the raw text is ORDER BY.
            raw_time = type_coerce(EventRow.event_time, String)
            query = select(raw_time, EventRow.event_id, EventRow.body)
            keyed = [
                (time, event_id, shared.event(CustodyEvent.model_validate_json(body)))
                for time, event_id, body in session.connection().execute(query)
            ]
            keyed.sort(key=_by_time_and_id)
            events = [event for _, _, event in keyed]
            del keyed
        _freeze_load()
    return events


_by_time_and_id = operator.itemgetter(0, 1)
"""Sort key of loaded rows: the stored time's text, then the event id (unique)."""

_froze = False
"""Whether :func:`load_events` froze the collector's objects and has not unfrozen them yet."""


def _freeze_load() -> None:
    global _froze
    gc.freeze()
    _froze = True


def _unfreeze_last_load() -> None:
    global _froze
    if _froze:
        gc.unfreeze()
        _froze = False


_Model = TypeVar("_Model", bound=BaseModel)


class _SharedParts:
    """Keeps one copy of what many loaded events hold equal: every part is frozen, so sharing
    it cannot be seen except by identity and in memory (a million events shrink by about half).

    * the set of fields a model was given, which pydantic keeps per object (copies are taken
      before any change, by ``model_copy``), when it is every field, as stored rows give;
    * quantity entries (a lot keeps its weight from one weighing to the next), parties,
      business transactions and lot master data: small frozen models.

    (Repeated short strings are shared already: pydantic's JSON reader caches them.)
    """

    def __init__(self) -> None:
        self._all_fields: dict[type[BaseModel], set[str]] = {}
        self._models: dict[tuple[object, ...], BaseModel] = {}

    def event(self, event: CustodyEvent) -> CustodyEvent:
        """``event``, holding shared parts where it held equal ones."""
        self._share_fields_set(event)
        values = event.__dict__
        for name in _SHARED_MODEL_LISTS:
            if values[name]:
                values[name] = tuple(map(self._model, values[name]))
        if values["lot_master"] is not None:
            values["lot_master"] = self._model(values["lot_master"])
        return event

    def _every_field(self, kind: type[BaseModel]) -> set[str]:
        every = self._all_fields.get(kind)
        if every is None:
            every = self._all_fields[kind] = set(kind.model_fields)
        return every

    def _share_fields_set(self, model: BaseModel) -> None:
        """Share the model's set of given fields when it is every field."""
        every = self._every_field(type(model))
        given = model.__pydantic_fields_set__
        if given is not every and given == every:
            object.__setattr__(model, "__pydantic_fields_set__", every)

    def _model(self, model: _Model) -> _Model:
        """The first model kept with the same values as ``model``, else ``model`` itself."""
        kind = type(model)
        every = self._every_field(kind)
        if model.__pydantic_fields_set__ != every:
            return model  # given in part: equal values would not make it the same object
        key = (kind, *model.__dict__.values())
        kept = self._models.get(key)
        if isinstance(kept, kind):
            return kept
        object.__setattr__(model, "__pydantic_fields_set__", every)
        self._models[key] = model
        return model


_SHARED_MODEL_LISTS = (
    "quantity_list",
    "child_quantity_list",
    "input_quantity_list",
    "output_quantity_list",
    "source_list",
    "destination_list",
    "biz_transaction_list",
)


def load_sites(session: Session) -> list[Site]:
    """Every site, by id."""
    rows = session.scalars(select(SiteRow.body).order_by(SiteRow.id))
    return [Site.model_validate_json(body) for body in rows]


def load_parties(session: Session) -> list[Party]:
    """Every party, by id."""
    rows = session.scalars(select(PartyRow.body).order_by(PartyRow.id))
    return [Party.model_validate_json(body) for body in rows]


def load_party(session: Session, party_id: str) -> Party | None:
    """One party by id, or ``None``."""
    body = session.scalars(select(PartyRow.body).where(PartyRow.id == party_id)).first()
    return None if body is None else Party.model_validate_json(body)


def ingested_sources(session: Session) -> list[str]:
    """Names of the files ingested, oldest first, each once."""
    rows = session.scalars(select(IngestRow.source).order_by(IngestRow.id))
    return list(dict.fromkeys(rows))


def counts(session: Session) -> dict[str, int]:
    """How many events, lot identifiers, sites, parties and findings the workspace holds."""
    return {
        "events": session.scalar(select(func.count()).select_from(EventRow)) or 0,
        "identifiers": session.scalar(select(func.count(func.distinct(EventObjectRow.identifier))))
        or 0,
        "sites": session.scalar(select(func.count()).select_from(SiteRow)) or 0,
        "parties": session.scalar(select(func.count()).select_from(PartyRow)) or 0,
        "findings": session.scalar(select(func.count()).select_from(FindingRow)) or 0,
    }


def replace_findings(
    session: Session,
    findings: Sequence[Finding],
    *,
    analyses: Sequence[str],
    started_at: datetime,
    gaps: Sequence[DataGap] = (),
    profile: str | None = None,
    risk_json: str | None = None,
) -> AssessmentRow:
    """Record an assessment and make its findings the workspace's current findings.

    ``risk_json`` is the scored assessment as the risk engine serialises it; the store keeps it
    as it is."""
    assessment = AssessmentRow(
        started_at=started_at,
        finished_at=datetime.now(UTC),
        analyses=json.dumps(list(analyses)),
        finding_count=len(findings),
        profile=profile,
        gaps=json.dumps([gap.model_dump(mode="json") for gap in gaps]),
        risk=risk_json,
    )
    session.add(assessment)
    session.flush()
    session.execute(delete(FindingRow))
    unique = {f.id: f for f in findings}
    session.add_all(
        FindingRow(
            id=f.id,
            code=f.code.value,
            severity=f.severity.value,
            severity_rank=f.severity.rank,
            subject_type=f.subject.type.value,
            subject_id=f.subject.id,
            rule=f.rule,
            body=canonical_json(f),
            assessment_id=assessment.id,
        )
        for f in unique.values()
    )
    session.flush()
    return assessment


@dataclass(frozen=True)
class StoredAssessment:
    """The latest assessment's record: when, under which profile, its gaps and its scores."""

    started_at: datetime
    finished_at: datetime
    analyses: list[str]
    profile: str | None
    gaps: list[DataGap]
    risk_json: str | None


def latest_assessment(session: Session) -> StoredAssessment | None:
    """The newest assessment of the workspace, if it was ever assessed."""
    row = session.scalars(select(AssessmentRow).order_by(AssessmentRow.id.desc()).limit(1)).first()
    if row is None:
        return None
    return StoredAssessment(
        started_at=row.started_at,
        finished_at=row.finished_at,
        analyses=list(json.loads(row.analyses)),
        profile=row.profile,
        gaps=[DataGap.model_validate(gap) for gap in json.loads(row.gaps or "[]")],
        risk_json=row.risk,
    )


def load_findings(
    session: Session,
    *,
    min_severity: Severity | None = None,
    codes: Sequence[str] = (),
    subject_id: str | None = None,
) -> list[Finding]:
    """Stored findings, most severe first, optionally filtered."""
    query = select(FindingRow.body).order_by(
        FindingRow.severity_rank.desc(), FindingRow.code, FindingRow.subject_id, FindingRow.id
    )
    if min_severity is not None:
        query = query.where(FindingRow.severity_rank >= min_severity.rank)
    if codes:
        query = query.where(FindingRow.code.in_(list(codes)))
    if subject_id is not None:
        query = query.where(FindingRow.subject_id == subject_id)
    return [Finding.model_validate_json(body) for body in session.scalars(query)]


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
