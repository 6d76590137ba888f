"""PARTY.SANCTIONED and PARTY.SANCTIONED_OWNER from parties and list entries built here."""

from __future__ import annotations

from datetime import date

from followthemoney import model

from oresight.core.findings import FindingCode, Severity
from oresight.core.parties import Party
from oresight.screening.findings import (
    find_red_flag_interests,
    find_sanctioned_owners,
    find_sanctioned_parties,
    party_entity,
    party_fingerprint,
)
from oresight.screening.lists.entries import ListEntry


def _party(party_id: str, schema: str, **properties: tuple[str, ...]) -> Party:
    return Party(id=party_id, schema_name=schema, properties=properties)


def _entry(record: str, schema: str, name: str) -> ListEntry:
    entity = model.make_entity(schema)
    entity.id = f"un-sc-{record}"
    entity.add("name", name)
    return ListEntry(
        entity=entity,
        list_id="un_sc_consolidated",
        record_id=record,
        programmes=("DRC",),
        listed_on=date(2007, 3, 29),
        source_record=f"ENTITY DATAID={record}",
    )


TRADER = _party("p-1", "Company", name=("Congomet Trading House",))
OWNERSHIP = _party("own-1", "Ownership", owner=("p-1",), asset=("p-2",), percentage=("49.9",))
FRONT = _party("p-2", "Company", name=("Lake Kivu Minerals",))
ENTRIES = [_entry("6908025", "LegalEntity", "CONGOMET TRADING HOUSE")]


def test_named_parties_are_screened_and_relationships_are_not() -> None:
    assert party_entity(OWNERSHIP) is None
    entity = party_entity(TRADER)
    assert entity is not None and entity.get("name") == ["Congomet Trading House"]
    outcome, matches = find_sanctioned_parties([TRADER, OWNERSHIP, FRONT], ENTRIES)
    (finding,) = outcome.findings
    assert finding.code is FindingCode.PARTY_SANCTIONED and finding.subject.id == "p-1"
    assert finding.severity is Severity.CRITICAL and finding.confidence == 1.0
    assert finding.evidence[1].id == "un_sc_consolidated:6908025"
    assert "programme DRC, listed 2007-03-29" in finding.explanation
    assert [m.party.id for m in matches] == ["p-1"]


def test_a_dismissed_match_is_left_out_and_no_list_is_a_data_gap() -> None:
    outcome, matches = find_sanctioned_parties(
        [TRADER], ENTRIES, dismissed=lambda party, entry: party.id == "p-1"
    )
    assert outcome.findings == () and matches == []
    empty, _ = find_sanctioned_parties([TRADER], [])
    (gap,) = empty.gaps
    assert gap.missing == "sanctions lists" and "oresight lists load" in gap.explanation


def test_ownership_below_half_is_not_blocking_and_at_half_is() -> None:
    _, matches = find_sanctioned_parties([TRADER], ENTRIES)
    below = find_sanctioned_owners([TRADER, OWNERSHIP, FRONT], matches, as_of=date(2024, 6, 1))
    assert below.findings == ()
    half = _party("own-1", "Ownership", owner=("p-1",), asset=("p-2",), percentage=("50",))
    (finding,) = find_sanctioned_owners(
        [TRADER, half, FRONT], matches, as_of=date(2024, 6, 1)
    ).findings
    assert finding.code is FindingCode.PARTY_SANCTIONED_OWNER and finding.subject.id == "p-2"
    assert finding.severity is Severity.CRITICAL
    assert finding.evidence[0].data["aggregate_low_percent"] == 50.0
    assert "own-1" in {e.id for e in finding.evidence}


def test_a_partys_fingerprint_changes_with_its_record() -> None:
    moved = _party("p-1", "Company", name=("Congomet Trading House",), country=("rw",))
    assert party_fingerprint(TRADER) == party_fingerprint(TRADER.model_copy())
    assert party_fingerprint(TRADER) != party_fingerprint(moved)


def test_a_stake_in_an_operator_in_a_red_flag_location_is_raised_on_the_holder() -> None:
    holder = _party("p-exp", "Company", name=("Kigali Exporter Ltd",))
    comptoir = _party("p-comptoir", "Company", name=("Comptoir du Kivu",))
    stake = _party(
        "own-2", "Ownership", owner=("p-exp",), asset=("p-comptoir",), percentage=("40",)
    )
    ended = _party(
        "own-3", "Ownership", owner=("p-1",), asset=("p-comptoir",), percentage=("60",),
        endDate=("2020-01-01",),
    )  # fmt: skip
    operated = {"p-comptoir": [("Bukavu depot", "CD-SK (by subdivision)")]}
    parties = [holder, comptoir, stake, TRADER, ended]
    (finding,) = find_red_flag_interests(parties, operated, as_of=date(2024, 6, 1)).findings
    assert finding.code is FindingCode.PARTY_RED_FLAG_LOCATION_INTEREST
    assert finding.subject.id == "p-exp" and finding.severity is Severity.MEDIUM
    assert "40 %" in finding.explanation and "Bukavu depot" in finding.explanation
    assert finding.evidence[1].id == "p-comptoir" and finding.evidence[1].data["records"] == [
        "own-2"
    ]
    assert find_red_flag_interests(parties, {}, as_of=date(2024, 6, 1)).findings == ()
