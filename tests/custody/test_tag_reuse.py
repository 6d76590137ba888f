"""CUSTODY.TAG_REUSE over small hand-built chains, with weighing and clock noise, and the demo."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from oresight.core.custody import Action, CustodyEvent, EventType, QuantityElement
from oresight.core.errors import InvalidInput
from oresight.core.findings import EvidenceKind, FindingCode, Severity, SubjectType
from oresight.core.sites import SiteKind
from oresight.custody.epcis import read_epcis_file
from oresight.custody.sites import read_sites
from oresight.custody.tag_reuse import RULE, TagReuseParams, find_tag_reuse
from oresight.sim import build_demo_world
from tests.custody.chain_builders import at, commission, move, site

MINE = "urn:epc:id:sgln:0614141.00001.0"
OTHER_MINE = "urn:epc:id:sgln:0614141.00004.0"
TRADER = "urn:epc:id:sgln:0614141.00002.0"
SMELTER = "urn:epc:id:sgln:0614141.00003.0"
LOT = "urn:epc:class:lgtin:0614141.026050.KSZ24001"


def consume(
    event_id: str,
    inputs: dict[str, float | None],
    output: str,
    day: float,
    *,
    transformation_id: str | None = None,
) -> CustodyEvent:
    """A transformation at the smelter using the given tonnes of each input (None: unstated)."""
    return CustodyEvent(
        event_id=event_id,
        type=EventType.TRANSFORMATION,
        biz_step="commissioning",
        event_time=at(day),
        event_time_zone_offset="+02:00",
        biz_location=SMELTER,
        transformation_id=transformation_id,
        input_quantity_list=tuple(
            QuantityElement(epc_class=lot, quantity=tonnes, uom="TNE" if tonnes else None)
            for lot, tonnes in inputs.items()
        ),
        output_quantity_list=(QuantityElement(epc_class=output, quantity=1.0, uom="TNE"),),
    )


def after_minutes(event: CustodyEvent, minutes: float) -> CustodyEvent:
    return event.model_copy(update={"event_time": event.event_time + timedelta(minutes=minutes)})


def traced_chain() -> list[CustodyEvent]:
    return [
        commission("e1", LOT, MINE, 0),  # 12.5 t
        move("e2", LOT, MINE, 1),
        move("e3", LOT, TRADER, 2, "receiving"),
    ]


def test_a_lot_created_once_and_consumed_whole_raises_nothing() -> None:
    events = [
        *traced_chain(),
        consume("e4", {LOT: 12.5}, "lot:metal", 5),
        move("e5", "lot:metal", SMELTER, 6),
    ]
    outcome = find_tag_reuse(events, sites={})
    assert outcome.findings == () and outcome.gaps == ()


def test_a_tag_commissioned_at_two_sites_is_flagged_with_both_events() -> None:
    events = [*traced_chain(), commission("e9", LOT, OTHER_MINE, 3.5)]
    (finding,) = find_tag_reuse(events, sites={}).findings
    assert finding.code is FindingCode.CUSTODY_TAG_REUSE
    assert finding.subject.type is SubjectType.LOT and finding.subject.id == LOT
    assert finding.severity is Severity.HIGH and finding.confidence == 0.9
    assert [e.id for e in finding.evidence] == ["e1", "e9"]
    assert [e.data["location"] for e in finding.evidence] == [MINE, OTHER_MINE]
    assert "created 2 times, at 2 different sites, over 3.5 days" in finding.explanation
    assert finding.rule == RULE


def test_a_tag_commissioned_twice_at_one_site_is_a_lesser_flag() -> None:
    events = [commission("e1", LOT, MINE, 0), commission("e2", LOT, MINE, 10)]
    (finding,) = find_tag_reuse(events, sites={}).findings
    assert finding.severity is Severity.MEDIUM and finding.confidence == 0.7
    assert "at the same site" in finding.explanation


def test_outputs_of_one_transformation_reported_in_two_events_are_one_creation() -> None:
    first = consume("t1", {"lot:a": 5.0}, "lot:blend", 1, transformation_id="urn:tx:1")
    second = consume("t2", {"lot:b": 5.0}, "lot:blend", 1.1, transformation_id="urn:tx:1")
    events = [commission("e1", "lot:a", MINE, 0), commission("e2", "lot:b", MINE, 0), first, second]
    assert find_tag_reuse(events, sites={}).findings == ()


def test_a_lot_shipped_after_it_was_consumed_is_flagged_despite_weighing_noise() -> None:
    # The smelter weighed 12.3 t of the 12.5 t lot (-1.6 %): that is all of it.
    consumed = consume("e4", {LOT: 12.3}, "lot:metal", 5)
    shipped = move("e6", LOT, TRADER, 8.25)
    (finding,) = find_tag_reuse([*traced_chain(), consumed, shipped], sites={}).findings
    assert finding.severity is Severity.HIGH and finding.confidence == 0.85
    assert finding.title == "Lot recorded again after it was consumed"
    assert all(e.kind is EvidenceKind.EVENT for e in finding.evidence)
    assert [(e.id, e.note) for e in finding.evidence] == [
        ("e4", "transformation that consumed the lot"),
        ("e6", "recorded after the lot was consumed"),
    ]
    assert "(12,300 of 12,500 kg used)" in finding.explanation
    assert "recorded 1 more time(s) afterwards, the first 3.2 days later" in finding.explanation
    assert finding.evidence[1].data["quantity"] == 12.5


def test_a_partly_used_lot_may_travel_on_until_it_is_used_up() -> None:
    events = [
        *traced_chain(),
        consume("e4", {LOT: 5.0}, "lot:metal-1", 5),
        move("e5", LOT, TRADER, 6),
        consume("e6", {LOT: 7.5}, "lot:metal-2", 9),
    ]
    assert find_tag_reuse(events, sites={}).findings == ()
    (finding,) = find_tag_reuse([*events, move("e7", LOT, TRADER, 12)], sites={}).findings
    assert finding.evidence[0].id == "e6"


def test_events_minutes_after_the_consumption_are_clock_skew_not_reuse() -> None:
    consumed = consume("e4", {LOT: 12.5}, "lot:metal", 5)
    late_receipt = after_minutes(move("e5", LOT, SMELTER, 5, "receiving"), 12)
    assert find_tag_reuse([*traced_chain(), consumed, late_receipt], sites={}).findings == ()
    strict = TagReuseParams(grace_hours=0)
    (finding,) = find_tag_reuse(
        [*traced_chain(), consumed, late_receipt], sites={}, params=strict
    ).findings
    assert finding.evidence[-1].id == "e5"


def test_a_tag_commissioned_anew_after_its_lot_was_consumed_is_laundering() -> None:
    events = [*traced_chain(), consume("e4", {LOT: 12.5}, "lot:metal", 5)]
    reborn = commission("e8", LOT, OTHER_MINE, 20)
    (finding,) = find_tag_reuse([*events, reborn], sites={}).findings
    assert finding.title == "Tag commissioned again after its lot was consumed"
    assert finding.severity is Severity.HIGH and finding.confidence == 0.95
    assert {"e1", "e4", "e8"} <= {e.id for e in finding.evidence}
    assert finding.period.start == at(0) and finding.period.end == at(20)


def test_an_instance_identifier_is_always_consumed_whole() -> None:
    bag = "urn:epc:id:sgtin:0614141.026050.1001"
    created = CustodyEvent(
        event_id="e1",
        type=EventType.OBJECT,
        action=Action.ADD,
        biz_step="commissioning",
        event_time=at(0),
        event_time_zone_offset="+02:00",
        biz_location=MINE,
        epc_list=(bag,),
    )
    smelted = consume("e2", {}, "lot:metal", 3).model_copy(update={"input_epc_list": (bag,)})
    seen = move("e3", "lot:x", TRADER, 4).model_copy(
        update={"epc_list": (bag,), "quantity_list": ()}
    )
    (finding,) = find_tag_reuse([created, smelted, seen], sites={}).findings
    assert finding.subject.id == bag and finding.confidence == 0.85
    assert "consumed it on" in finding.explanation


def test_a_consumption_without_quantities_gives_a_hedged_flag() -> None:
    events = [
        *traced_chain(),
        consume("e4", {LOT: None}, "lot:metal", 5),
        move("e5", LOT, TRADER, 7),
    ]
    (finding,) = find_tag_reuse(events, sites={}).findings
    assert finding.severity is Severity.MEDIUM and finding.confidence == 0.5
    assert "no quantities to tell whether it used all of it" in finding.explanation


def test_a_second_event_of_the_same_transformation_is_not_a_later_use() -> None:
    first = consume("t1", {LOT: 12.5}, "lot:metal", 5, transformation_id="urn:tx:9")
    second = consume("t2", {LOT: 0.0}, "lot:slag", 6, transformation_id="urn:tx:9")
    assert find_tag_reuse([*traced_chain(), first, second], sites={}).findings == ()


def test_a_container_packed_again_is_not_a_second_creation() -> None:
    def pack(event_id: str, day: float) -> CustodyEvent:
        return CustodyEvent(
            event_id=event_id,
            type=EventType.AGGREGATION,
            action=Action.ADD,
            biz_step="packing",
            event_time=at(day),
            event_time_zone_offset="+02:00",
            biz_location=TRADER,
            parent_id="urn:epc:id:sscc:0614141.0000000001",
            child_quantity_list=(QuantityElement(epc_class=LOT, quantity=12.5, uom="TNE"),),
        )

    events = [*traced_chain(), pack("p1", 3), pack("p2", 30)]
    assert find_tag_reuse(events, sites={}).findings == ()


def test_a_record_that_creates_nothing_is_reported_as_a_data_gap() -> None:
    outcome = find_tag_reuse([move("e1", LOT, TRADER, 0)], sites={})
    assert outcome.findings == ()
    (gap,) = outcome.gaps
    assert gap.rule == RULE and gap.missing == "commissioning events or transformation outputs"
    assert "The 1 custody event(s)" in gap.explanation
    assert find_tag_reuse([], sites={}).gaps[0].missing == gap.missing


def test_site_names_label_the_places_in_the_explanation() -> None:
    named = site(OTHER_MINE, SiteKind.MINE, {"type": "Point", "coordinates": [25.0, -10.0]})
    events = [*traced_chain(), commission("e9", LOT, OTHER_MINE, 3.5)]
    (finding,) = find_tag_reuse(events, sites={OTHER_MINE: named}).findings
    assert f"at {named.label()} on" in finding.explanation
    assert finding.evidence[1].data["location_name"] == named.name


@pytest.mark.parametrize(
    ("field", "value"),
    [("grace_hours", -1.0), ("residue_fraction", 1.0), ("grace_hours", float("nan"))],
)
def test_params_refuse_values_that_make_no_sense(field: str, value: float) -> None:
    with pytest.raises(InvalidInput) as raised:
        TagReuseParams(**{field: value})
    assert raised.value.field == field


def test_the_demo_world_raises_only_its_planted_tag_reuse(tmp_path: Path) -> None:
    manifest = build_demo_world(tmp_path)
    sites = {s.id: s for s in read_sites(tmp_path / "sites.geojson")}
    events = [e for p in manifest.files if p.suffix == ".jsonld" for e in read_epcis_file(p).events]
    outcome = find_tag_reuse(events, sites=sites)
    planted = {p.subject_id for p in manifest.planted if p.code == FindingCode.CUSTODY_TAG_REUSE}
    assert len(planted) == 1 and outcome.gaps == ()
    # The laundered coltan lot has no origin at all: that is a broken chain, not a reused tag.
    assert {f.subject.id for f in outcome.findings} == planted
