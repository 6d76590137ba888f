"""The workspace store: migrations, idempotent and conflict-refusing writes, findings."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from oresight.core.custody import Action, CustodyEvent, EventType, QuantityElement
from oresight.core.errors import InvalidInput, StoreError, WorkspaceError
from oresight.core.findings import (
    Evidence,
    EvidenceKind,
    Finding,
    FindingCode,
    Severity,
    Subject,
    SubjectType,
)
from oresight.core.parties import Party
from oresight.core.sites import Licence, Site, SiteKind
from oresight.store import repository
from oresight.store.database import Workspace, open_workspace, table_names


def _event(event_id: str, quantity: float = 10.0) -> CustodyEvent:
    return CustodyEvent(
        event_id=event_id,
        type=EventType.OBJECT,
        action=Action.ADD,
        biz_step="commissioning",
        event_time=datetime(2024, 5, 1, 8, 0, tzinfo=UTC),
        event_time_zone_offset="+02:00",
        biz_location="urn:epc:id:sgln:0614141.00001.0",
        quantity_list=(QuantityElement(epc_class="urn:lot:1", quantity=quantity, uom="TNE"),),
    )


def _finding(subject: str, severity: Severity) -> Finding:
    return Finding(
        code=FindingCode.CUSTODY_BROKEN_CHAIN,
        subject=Subject(type=SubjectType.LOT, id=subject),
        severity=severity,
        confidence=0.9,
        title="t",
        explanation="e",
        evidence=(Evidence(kind=EvidenceKind.EVENT, id="e1"),),
        rule="custody.broken_chain",
        rule_version="1",
    )


def test_workspace_is_migrated(workspace: Workspace) -> None:
    assert {"events", "event_objects", "sites", "parties", "findings", "alembic_version"} <= (
        table_names(workspace.engine)
    )


def test_events_are_idempotent_and_round_trip(workspace: Workspace) -> None:
    events = [_event("urn:uuid:a"), _event("urn:uuid:b")]
    with workspace.transaction() as session:
        ingest = repository.record_ingest(
            session, source="a.jsonld", sha256="0" * 64, format="epcis"
        )
        first = repository.add_events(session, events, ingest=ingest, source="a.jsonld")
    with workspace.transaction() as session:
        ingest = repository.record_ingest(
            session, source="a.jsonld", sha256="0" * 64, format="epcis"
        )
        second = repository.add_events(session, events, ingest=ingest, source="a.jsonld")
        loaded = repository.load_events(session)
        counts = repository.counts(session)
    assert (first.added, first.unchanged) == (2, 0)
    assert (second.added, second.unchanged) == (0, 2)
    assert loaded == events
    assert counts["events"] == 2 and counts["identifiers"] == 1


def test_conflicting_event_is_refused_and_nothing_is_written(workspace: Workspace) -> None:
    with workspace.transaction() as session:
        ingest = repository.record_ingest(
            session, source="a.jsonld", sha256="0" * 64, format="epcis"
        )
        repository.add_events(session, [_event("urn:uuid:a")], ingest=ingest, source="a.jsonld")
    with pytest.raises(InvalidInput) as caught, workspace.transaction() as session:
        ingest = repository.record_ingest(
            session, source="b.jsonld", sha256="1" * 64, format="epcis"
        )
        repository.add_events(
            session,
            [_event("urn:uuid:new"), _event("urn:uuid:a", quantity=99)],
            ingest=ingest,
            source="b.jsonld",
        )
    message = str(caught.value)
    assert "b.jsonld" in message and "urn:uuid:a" in message and "eventID" in message
    assert "a.jsonld" in message
    with workspace.transaction() as session:
        assert [e.event_id for e in repository.load_events(session)] == ["urn:uuid:a"]
        assert repository.ingested_sources(session) == ["a.jsonld"]


def test_sites_and_parties_update_in_place(workspace: Workspace) -> None:
    site = Site(
        id="urn:site:1",
        name="Mine",
        kind=SiteKind.MINE,
        country="CD",
        licence=Licence(number="PE 1", valid_from=date(2020, 1, 1), valid_to=date(2024, 1, 1)),
        geometry={"type": "Point", "coordinates": [25.4, -10.7]},
    )
    party = Party(id="co-1", schema_name="Company", properties={"name": ("Alpha",)})
    with workspace.transaction() as session:
        ingest = repository.record_ingest(session, source="s", sha256="0" * 64, format="geojson")
        assert repository.upsert_sites(session, [site], ingest=ingest).added == 1
        assert repository.upsert_parties(session, [party], ingest=ingest).added == 1
    renewed = site.model_copy(
        update={"licence": Licence(number="PE 1", valid_from=date(2024, 1, 2))}
    )
    with workspace.transaction() as session:
        ingest = repository.record_ingest(session, source="s2", sha256="1" * 64, format="geojson")
        counts = repository.upsert_sites(
            session, [renewed, site.model_copy(update={"id": "x"})], ingest=ingest
        )
        assert repository.upsert_parties(session, [party], ingest=ingest).unchanged == 1
    assert (counts.added, counts.updated) == (1, 1)
    with workspace.transaction() as session:
        stored = {s.id: s for s in repository.load_sites(session)}
        assert stored["urn:site:1"] == renewed
        assert repository.load_parties(session) == [party]


def test_findings_are_replaced_and_filtered(workspace: Workspace) -> None:
    started = datetime.now(UTC)
    with workspace.transaction() as session:
        repository.replace_findings(
            session,
            [_finding("lot:1", Severity.LOW), _finding("lot:2", Severity.HIGH)],
            analyses=["custody.broken_chain@1"],
            started_at=started,
        )
    with workspace.transaction() as session:
        everything = repository.load_findings(session)
        high = repository.load_findings(session, min_severity=Severity.MEDIUM)
        by_subject = repository.load_findings(session, subject_id="lot:1")
        none = repository.load_findings(session, codes=["PARTY.SANCTIONED"])
    assert [f.subject.id for f in everything] == ["lot:2", "lot:1"]
    assert [f.subject.id for f in high] == ["lot:2"]
    assert [f.severity for f in by_subject] == [Severity.LOW]
    assert none == []
    with workspace.transaction() as session:
        repository.replace_findings(
            session, [_finding("lot:3", Severity.MEDIUM)], analyses=[], started_at=started
        )
        assert [f.subject.id for f in repository.load_findings(session)] == ["lot:3"]


def test_open_refuses_a_folder_that_is_not_a_workspace(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="oresight init"):
        open_workspace(tmp_path)


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "workspace.json").write_text('{"format": "oresight.workspace", "version": 1}')
    with pytest.raises(StoreError, match="cannot migrate"):
        open_workspace(tmp_path, database_url="postgresql+psycopg://nobody:secret@127.0.0.1:9/none")
