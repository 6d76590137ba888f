"""Sanctions lists in the workspace: versions by file, entries, decisions; and the migrated
schema matches the tables the code declares."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from oresight.store import lists
from oresight.store.database import Workspace
from oresight.store.schema import Base


def _entry(record: str, name: str) -> tuple[str, dict[str, Any]]:
    entity = {"id": f"ofac-{record}", "schema": "Company", "properties": {"name": [name]}}
    return record, {"entity": entity, "programmes": ["DRCONGO"], "listed_on": None}


def _add(workspace: Workspace, sha: str, published: date | None, names: list[str]) -> bool:
    with workspace.transaction() as session:
        _, created = lists.add_list_version(
            session,
            list_id="us_ofac_sdn",
            title="SDN",
            publisher="OFAC",
            published=published,
            source=f"sdn-{sha}.csv",
            sha256=sha * 64,
            entries=[_entry(str(i), name) for i, name in enumerate(names)],
            related=[{"id": "own-1", "schema": "Ownership", "properties": {}}],
        )
    return created


def test_a_file_is_loaded_once_and_the_newest_version_is_in_force(workspace: Workspace) -> None:
    assert _add(workspace, "a", date(2024, 5, 3), ["CONGOCOM TRADING HOUSE"])
    assert not _add(workspace, "a", date(2024, 5, 3), ["CONGOCOM TRADING HOUSE"])
    assert _add(workspace, "b", date(2024, 6, 1), ["CONGOCOM TRADING HOUSE", "MACHANGA LTD."])
    assert _add(workspace, "c", date(2023, 1, 1), ["OLD"])  # an older file loaded later
    with workspace.transaction() as session:
        versions = lists.list_versions(session)
        current = lists.current_versions(session)
        entries = lists.load_entries(session, current)
        related = lists.load_related(session, current)
    assert [v.published for v in versions] == [date(2024, 6, 1), date(2024, 5, 3), date(2023, 1, 1)]
    assert [(v.list_id, v.published, v.entries) for v in current] == [
        ("us_ofac_sdn", date(2024, 6, 1), 2)
    ]
    assert [e.body["entity"]["properties"]["name"] for e in entries] == [
        ["CONGOCOM TRADING HOUSE"],
        ["MACHANGA LTD."],
    ]
    assert entries[0].sha256 == lists.digest(entries[0].body)
    assert related == [{"id": "own-1", "schema": "Ownership", "properties": {}}]


def test_a_decision_replaces_the_earlier_one_on_the_same_pair(workspace: Workspace) -> None:
    def decide(decision: str) -> None:
        with workspace.transaction() as session:
            lists.record_decision(
                session,
                lists.Decision(
                    "party-1", "us_ofac_sdn", "12345", decision, "p" * 64, "e" * 64,
                    "same name, other company", "analyst", datetime(2024, 6, 2, tzinfo=UTC),
                ),
            )  # fmt: skip

    decide("false_positive")
    decide("confirmed")
    with workspace.transaction() as session:
        decisions = lists.load_decisions(session)
    assert [(d.party_id, d.record_id, d.decision) for d in decisions] == [
        ("party-1", "12345", "confirmed")
    ]


def test_the_migrated_schema_is_the_declared_one(workspace: Workspace) -> None:
    with workspace.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
