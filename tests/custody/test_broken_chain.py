"""CUSTODY.BROKEN_CHAIN over small hand-built chains."""

from __future__ import annotations

from oresight.core.findings import EvidenceKind, FindingCode, Severity, SubjectType
from oresight.core.minerals import Mineral
from oresight.custody.broken_chain import find_broken_chains
from oresight.custody.lineage import build_lineage, lots_of
from tests.custody.chain_builders import commission, move, transform

MINE = "urn:epc:id:sgln:0614141.00001.0"
TRADER = "urn:epc:id:sgln:0614141.00002.0"
SMELTER = "urn:epc:id:sgln:0614141.00003.0"


def test_a_fully_traced_chain_raises_nothing() -> None:
    events = [
        commission("e1", "lot:a", MINE, 0),
        move("e2", "lot:a", MINE, 1),
        move("e3", "lot:a", TRADER, 3, "receiving"),
        transform("e4", ["lot:a"], "lot:metal", SMELTER, 10),
        move("e5", "lot:metal", SMELTER, 11),
    ]
    assert find_broken_chains(events) == []


def test_a_lot_with_no_origin_is_flagged_with_its_downstream_lots() -> None:
    events = [
        commission("e1", "lot:a", MINE, 0),
        move("e2", "lot:ghost", TRADER, 2, "receiving"),
        move("e3", "lot:ghost", TRADER, 4),
        transform("e4", ["lot:a", "lot:ghost"], "lot:metal", SMELTER, 10),
        transform("e5", ["lot:metal"], "lot:cathode", SMELTER, 12),
    ]
    findings = find_broken_chains(events)
    assert [f.subject.id for f in findings] == ["lot:ghost"]
    finding = findings[0]
    assert finding.code is FindingCode.CUSTODY_BROKEN_CHAIN
    assert finding.subject.type is SubjectType.LOT
    assert finding.severity is Severity.HIGH
    assert finding.evidence[0].id == "e2"
    lots = [e.id for e in finding.evidence if e.kind is EvidenceKind.LOT]
    assert lots == ["lot:metal", "lot:cathode"]
    assert "3 custody event(s)" in finding.explanation
    assert "2 downstream lot(s)" in finding.explanation
    assert finding.period.start is not None and finding.period.start.day == 3


def test_an_origin_recorded_after_the_lot_moved_is_flagged_with_the_gap() -> None:
    events = [move("e1", "lot:b", TRADER, 0), commission("e2", "lot:b", MINE, 5.5)]
    (finding,) = find_broken_chains(events)
    assert finding.subject.id == "lot:b"
    assert "5.5 days later" in finding.explanation
    assert [e.id for e in finding.evidence] == ["e1", "e2"]


def test_non_movement_observations_and_patterns_are_not_uses() -> None:
    inspection = move("e1", "lot:c", TRADER, 0, "inspecting")
    pattern = move("e2", "urn:epc:idpat:sgtin:4012345.066666.*", TRADER, 1)
    assert find_broken_chains([inspection, pattern]) == []


def test_lots_are_read_from_their_origin_events() -> None:
    events = [
        commission("e1", "lot:a", MINE, 0),
        move("e2", "lot:a", MINE, 1),
        transform("e3", ["lot:a"], "lot:metal", SMELTER, 10),
    ]
    lots = {lot.id: lot for lot in lots_of(build_lineage(events))}
    assert set(lots) == {"lot:a", "lot:metal"}
    ore = lots["lot:a"]
    assert ore.mineral is Mineral.COBALT and ore.origin_event_id == "e1"
    assert ore.quantity is not None and ore.quantity.element_kg() == 12.5 * 1000 * 2.1 / 100
    assert lots["lot:metal"].made_from == ("lot:a",)
