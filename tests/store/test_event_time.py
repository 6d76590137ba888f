"""Event times are stored as UTC instants, so the database orders events as time does
(migration 0005 rewrites the times of workspaces made before)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from oresight.core.custody import Action, CustodyEvent, EventType
from oresight.store import repository
from oresight.store.database import Workspace, migrate

KINSHASA = timezone(timedelta(hours=1))
SHANGHAI = timezone(timedelta(hours=8))


def _event(event_id: str, when: datetime) -> CustodyEvent:
    offset = when.strftime("%z")
    return CustodyEvent(
        event_id=event_id,
        type=EventType.OBJECT,
        action=Action.OBSERVE,
        biz_step="shipping",
        event_time=when,
        event_time_zone_offset=f"{offset[:3]}:{offset[3:]}",
        epc_list=("urn:epc:id:sgtin:0614141.107346.2017",),
    )


# Shanghai's 09:00 is 01:00 UTC, before Kinshasa's 08:00 (07:00 UTC), though later by the clock.
EVENTS = [
    _event("urn:uuid:kinshasa", datetime(2024, 5, 1, 8, 0, tzinfo=KINSHASA)),
    _event("urn:uuid:shanghai", datetime(2024, 5, 1, 9, 0, tzinfo=SHANGHAI)),
]


def _store(workspace: Workspace) -> None:
    with workspace.transaction() as session:
        ingest = repository.record_ingest(
            session, source="e.jsonld", sha256="0" * 64, format="epcis"
        )
        repository.add_events(session, EVENTS, ingest=ingest, source="e.jsonld")


def test_events_load_in_instant_order_across_offsets(workspace: Workspace) -> None:
    _store(workspace)
    with workspace.transaction() as session:
        loaded = repository.load_events(session)
    assert [e.event_id for e in loaded] == ["urn:uuid:shanghai", "urn:uuid:kinshasa"]
    assert loaded[1].event_time == EVENTS[0].event_time
    assert loaded[1].event_time.utcoffset() == timedelta(hours=1)  # the body keeps the offset


def test_migration_0005_rewrites_local_times_as_utc(workspace: Workspace) -> None:
    if workspace.engine.dialect.name != "sqlite":
        pytest.skip("timestamptz holds instants: only SQLite's stored text shows the offset lost")
    _store(workspace)
    engine = workspace.engine

    def stored() -> list[tuple[str, str]]:
        with engine.connect() as conn:
            query = text("SELECT event_id, event_time FROM events ORDER BY event_time")
            return [(row[0], str(row[1])) for row in conn.execute(query)]

    assert stored() == [
        ("urn:uuid:shanghai", "2024-05-01 01:00:00.000000"),
        ("urn:uuid:kinshasa", "2024-05-01 07:00:00.000000"),
    ]
    migrate(engine, "0004")  # the clock times as written, as workspaces before 0005 held them
    assert stored() == [
        ("urn:uuid:kinshasa", "2024-05-01 08:00:00.000000"),
        ("urn:uuid:shanghai", "2024-05-01 09:00:00.000000"),
    ]
    migrate(engine)
    assert stored()[0] == ("urn:uuid:shanghai", "2024-05-01 01:00:00.000000")
