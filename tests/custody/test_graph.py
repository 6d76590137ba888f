"""The custody graph over small hand-built event streams."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oresight.core.custody import (
    Action,
    CustodyEvent,
    EventType,
    LotMasterData,
    QuantityElement,
    SourceDestination,
)
from oresight.core.minerals import MaterialForm, Mineral
from oresight.core.parties import PartyRole
from oresight.custody.graph import SightingRole, build_custody_graph
from oresight.custody.lineage import build_lineage, forget_reading

T0 = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)
MINE = "urn:epc:id:sgln:0614141.00001.0"
DEPOT = "urn:epc:id:sgln:0614141.00002.0"
PLANT = "urn:epc:id:sgln:0614141.00003.0"
ORE = LotMasterData(mineral=Mineral.COBALT, form=MaterialForm.ORE, grade_percent=2.0)
HYDROXIDE = LotMasterData(mineral=Mineral.COBALT, form=MaterialForm.HYDROXIDE, grade_percent=33.0)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def tonnes(lot: str, amount: float) -> QuantityElement:
    return QuantityElement(epc_class=lot, quantity=amount, uom="TNE")


def party(kind: str, party_id: str) -> SourceDestination:
    return SourceDestination(type=kind, id=party_id)


def commission(event_id: str, lot: str, day: float) -> CustodyEvent:
    return CustodyEvent(
        event_id=event_id,
        type=EventType.OBJECT,
        action=Action.ADD,
        biz_step="commissioning",
        event_time=at(day),
        event_time_zone_offset="+02:00",
        biz_location=MINE,
        quantity_list=(tonnes(lot, 20),),
        source_list=(party("owning_party", "miner"), party("possessing_party", "miner")),
        destination_list=(party("owning_party", "miner"), party("possessing_party", "miner")),
        lot_master=ORE,
    )


def ship(event_id: str, lot: str, day: float, *, to_owner: str, carrier: str) -> CustodyEvent:
    return CustodyEvent(
        event_id=event_id,
        type=EventType.OBJECT,
        action=Action.OBSERVE,
        biz_step="shipping",
        event_time=at(day),
        event_time_zone_offset="+02:00",
        biz_location=MINE,
        quantity_list=(tonnes(lot, 20),),
        source_list=(party("owning_party", "miner"), party("possessing_party", "miner")),
        destination_list=(
            party("urn:epcglobal:cbv:sdt:owning_party", to_owner),
            party("possessing_party", carrier),
        ),
    )


def transformation(
    event_id: str,
    day: float,
    *,
    inputs: tuple[QuantityElement, ...] = (),
    outputs: tuple[QuantityElement, ...] = (),
    input_epcs: tuple[str, ...] = (),
    transformation_id: str | None = None,
) -> CustodyEvent:
    return CustodyEvent(
        event_id=event_id,
        type=EventType.TRANSFORMATION,
        event_time=at(day),
        event_time_zone_offset="+02:00",
        biz_location=PLANT,
        input_quantity_list=inputs,
        input_epc_list=input_epcs,
        output_quantity_list=outputs,
        transformation_id=transformation_id,
        lot_master=HYDROXIDE if outputs else None,
    )


def aggregation(
    event_id: str, parent: str, children: tuple[str, ...], day: float, action: Action
) -> CustodyEvent:
    return CustodyEvent(
        event_id=event_id,
        type=EventType.AGGREGATION,
        action=action,
        biz_step="packing" if action is Action.ADD else "unpacking",
        event_time=at(day),
        event_time_zone_offset="+02:00",
        biz_location=DEPOT,
        parent_id=parent,
        child_quantity_list=tuple(tonnes(c, 20) for c in children),
    )


def test_a_lot_is_read_from_creation_through_movement_to_consumption() -> None:
    events = [
        transformation("e4", 9, inputs=(tonnes("lot:a", 20),), outputs=(tonnes("lot:h", 1),)),
        commission("e1", "lot:a", 0),
        ship("e2", "lot:a", 1, to_owner="plant-co", carrier="haulier"),
    ]
    graph = build_custody_graph(events)
    node = graph.lot("lot:a")
    assert node is not None
    assert node.origin is not None and node.origin.event_id == "e1"
    assert node.master == ORE
    assert node.declared_quantity() == tonnes("lot:a", 20)
    assert [(s.event_id, s.role) for s in node.sightings] == [
        ("e1", SightingRole.ORIGIN),
        ("e2", SightingRole.MOVEMENT),
        ("e4", SightingRole.CONSUMPTION),
    ]
    first_use = node.first_use()
    assert first_use is not None and first_use.event_id == "e2" and first_use.location == MINE
    assert node.consumed_by == ["e4"] and node.produced_by == []
    output = graph.lot("lot:h")
    assert output is not None and output.produced_by == ["e4"]
    assert graph.master_data("lot:h") == HYDROXIDE
    assert graph.made_from("lot:h") == ("lot:a",)


def test_owner_and_possessor_changes_are_kept_in_time_order() -> None:
    events = [
        commission("e1", "lot:a", 0),
        ship("e2", "lot:a", 1, to_owner="plant-co", carrier="haulier"),
    ]
    node = build_custody_graph(events).node("lot:a")
    assert node.party_at(PartyRole.OWNING_PARTY, at(0.5)) == ("miner",)
    assert node.party_at(PartyRole.OWNING_PARTY, at(2)) == ("plant-co",)
    assert node.party_at(PartyRole.POSSESSING_PARTY, at(2)) == ("haulier",)
    assert node.party_at(PartyRole.OWNING_PARTY, at(-1)) == ()
    change = node.custody[-1]
    assert (change.event_id, change.before, change.after) == ("e2", ("miner",), ("haulier",))


def test_containers_hold_their_contents_between_packing_and_unpacking() -> None:
    events = [
        commission("e1", "lot:a", 0),
        commission("e2", "lot:b", 0),
        aggregation("p1", "sscc:1", ("lot:a", "lot:b"), 2, Action.ADD),
        aggregation("u1", "sscc:1", ("lot:a",), 5, Action.DELETE),
        # A DELETE that names no children empties the container.
        CustodyEvent(
            event_id="u2",
            type=EventType.AGGREGATION,
            action=Action.DELETE,
            event_time=at(7),
            event_time_zone_offset="+02:00",
            parent_id="sscc:1",
        ),
    ]
    graph = build_custody_graph(events)
    assert graph.contents("sscc:1", at(1)) == ()
    assert [m.child for m in graph.contents("sscc:1", at(3))] == ["lot:a", "lot:b"]
    assert [m.child for m in graph.contents("sscc:1", at(6))] == ["lot:b"]
    assert graph.contents("sscc:1", at(8)) == ()
    assert graph.contents("sscc:unknown", at(3)) == ()
    held = graph.node("lot:b").held_in
    assert [(m.parent, m.added_event, m.removed_event) for m in held] == [("sscc:1", "p1", "u2")]
    roles = [s.role for s in graph.node("lot:a").sightings]
    assert roles == [SightingRole.ORIGIN, SightingRole.AGGREGATION, SightingRole.DISAGGREGATION]
    container = graph.node("sscc:1")
    assert container.origin is not None and container.origin.event_id == "p1"


def test_events_sharing_a_transformation_id_form_one_transformation() -> None:
    events = [
        transformation("out", 12, outputs=(tonnes("lot:h", 1),), transformation_id="urn:t:1"),
        transformation("in", 10, inputs=(tonnes("lot:a", 20),), transformation_id="urn:t:1"),
        transformation("alone", 11, inputs=(tonnes("lot:b", 5),)),
    ]
    graph = build_custody_graph(events)
    assert list(graph.transformations) == ["alone", "urn:t:1"]
    record = graph.transformations["urn:t:1"]
    assert [e.event_id for e in record.events] == ["in", "out"]
    assert [f.identifier for f in record.inputs] == ["lot:a"]
    assert [f.identifier for f in record.outputs] == ["lot:h"]
    assert record.main_event.event_id == "out"
    assert record.location == PLANT
    assert (record.started_at, record.time) == (at(10), at(12))
    assert record.output_master == HYDROXIDE
    assert graph.made_from("lot:h") == ("lot:a",)


def test_bare_epcs_are_flows_without_quantity() -> None:
    event = transformation(
        "e1", 3, input_epcs=("urn:epc:id:sgtin:1.2.3",), outputs=(tonnes("lot:h", 1),)
    )
    (record,) = build_custody_graph([event]).transformations.values()
    (flow,) = record.inputs
    assert flow.identifier == "urn:epc:id:sgtin:1.2.3"
    assert flow.quantity is None and flow.event_id == "e1"


def test_ancestors_and_descendants_follow_transformations_both_ways() -> None:
    events = [
        commission("e1", "lot:a", 0),
        commission("e2", "lot:b", 0),
        transformation(
            "t1", 5, inputs=(tonnes("lot:a", 20), tonnes("lot:b", 20)), outputs=(tonnes("h", 1),)
        ),
        transformation("t2", 9, inputs=(tonnes("h", 1),), outputs=(tonnes("s", 3),)),
    ]
    graph = build_custody_graph(events)
    assert graph.ancestors("s") == ["h", "lot:a", "lot:b"]
    assert graph.descendants("lot:a") == ["h", "s"]
    assert graph.descendants("s") == [] and graph.ancestors("lot:a") == []
    assert graph.made_from("unknown") == () and graph.lot("unknown") is None


def test_patterns_are_not_lots() -> None:
    pattern = "urn:epc:idpat:sgtin:4012345.066666.*"
    event = ship("e1", pattern, 1, to_owner="x", carrier="y")
    graph = build_custody_graph([event])
    assert graph.lot(pattern) is None
    assert graph.events["e1"] is event


def test_a_light_graph_keeps_origins_and_first_uses_only() -> None:
    events = [
        commission("e1", "lot:a", 0),
        ship("e2", "lot:a", 1, to_owner="trader-co", carrier="haulier"),
        ship("e3", "lot:a", 2, to_owner="plant-co", carrier="haulier"),
        transformation("e4", 9, inputs=(tonnes("lot:a", 20),), outputs=(tonnes("lot:h", 1),)),
    ]
    full = build_custody_graph(events)
    light = build_custody_graph(events, custody=False, sightings=False)
    for lot in ("lot:a", "lot:h"):
        whole, part = full.lot(lot), light.lot(lot)
        assert whole is not None and part is not None
        assert part.first_use() == whole.first_use()
        assert part.origins == whole.origins and part.consumed_by == whole.consumed_by
        assert part.custody == []
    node = light.lot("lot:a")
    assert node is not None and [s.event_id for s in node.sightings] == ["e2"]
    whole_a = full.lot("lot:a")
    assert whole_a is not None and {c.event_id for c in whole_a.custody} == {"e1", "e2", "e3"}


def test_the_same_events_are_read_once() -> None:
    events = [commission("e1", "lot:a", 0), ship("e2", "lot:a", 1, to_owner="x", carrier="y")]
    first = build_lineage(events)
    assert build_lineage(list(events)) is first  # the very same event objects, in order
    assert build_lineage(events[::-1]) is not first
    copies = [event.model_copy() for event in events]
    again = build_lineage(copies)
    assert again is not first and again.trails.keys() == first.trails.keys()
    forget_reading()
    assert build_lineage(copies) is not again
