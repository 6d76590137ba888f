"""The EPCIS 2.0 JSON reader and writer, and the CBV vocabulary, on small documents built here."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oresight.core.custody import (
    ORE_NAMESPACE,
    Action,
    CustodyEvent,
    EventType,
    LotMasterData,
    QuantityElement,
    SourceDestination,
)
from oresight.core.errors import InvalidInput
from oresight.core.minerals import MaterialForm, Mineral
from oresight.core.units import UNITS
from oresight.custody.epcis import (
    event_to_json,
    format_time,
    looks_like_epcis,
    read_epcis,
    read_epcis_file,
    write_epcis,
)
from oresight.custody.event_hash import event_hash
from oresight.custody.vocabulary import (
    BIZ_STEPS,
    DISPOSITIONS,
    normalise_biz_step,
    normalise_biz_transaction_type,
    normalise_disposition,
    normalise_error_reason,
    normalise_source_dest_type,
)

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
FILE = "bad.jsonld"


def document(*events: dict[str, Any], prefixes: dict[str, str] | None = None) -> dict[str, Any]:
    """An EPCISDocument around ``events``, declaring ``ore`` and ``example`` by default."""
    declared = {"ore": ORE_NAMESPACE, "example": "https://example.org/ns/"}
    return {
        "@context": [CONTEXT, prefixes if prefixes is not None else declared],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-05-01T08:00:00Z",
        "epcisBody": {"eventList": list(events)},
    }


def commissioning(**changes: Any) -> dict[str, Any]:
    """A commissioning ObjectEvent of a cobalt ore lot, with the ``ore:`` extension."""
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventID": "urn:uuid:11111111-1111-4111-8111-111111111111",
        "eventTime": "2024-05-01T06:30:00.000+02:00",
        "eventTimeZoneOffset": "+02:00",
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "readPoint": {"id": "https://sites.example.org/kolwezi-pit-3"},
        "bizLocation": {"id": "https://sites.example.org/kolwezi"},
        "quantityList": [
            {"epcClass": "urn:epc:class:lgtin:4012345.012345.LOT1", "quantity": 12.5, "uom": "TNE"}
        ],
        "sourceList": [{"type": "owning_party", "source": "ftm:company-a"}],
        "ilmd": {"ore:mineral": "cobalt", "ore:form": "ore", "ore:gradePercent": 2.1},
        "example:sealNumber": "S-991",
    }
    event.update(changes)
    return {k: v for k, v in event.items() if v is not None}


def transformation(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "TransformationEvent",
        "eventID": "urn:uuid:22222222-2222-4222-8222-222222222222",
        "eventTime": "2024-05-03T10:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "recordTime": "2024-05-03T10:05:00Z",
        "bizStep": "https://ref.gs1.org/cbv/BizStep-commissioning",
        "inputQuantityList": [
            {"epcClass": "urn:epc:class:lgtin:4012345.012345.LOT1", "quantity": 12.5, "uom": "TNE"}
        ],
        "outputQuantityList": [
            {"epcClass": "urn:epc:class:lgtin:4012345.012345.CONC1", "quantity": 2, "uom": "TNE"}
        ],
        "transformationID": "urn:example:transformation:7",
        "bizTransactionList": [{"type": "po", "bizTransaction": "urn:example:po:1"}],
        "destinationList": [{"type": "possessing_party", "destination": "ftm:trader-b"}],
        "sensorElementList": [
            {"sensorReport": [{"type": "Temperature", "value": 30, "uom": "CEL"}]}
        ],
        "certificationInfo": ["https://cert.example.org/1", "https://cert.example.org/2"],
        "persistentDisposition": {"set": ["completeness_verified"]},
        "ilmd": {"ore:mineral": "cobalt", "ore:form": "concentrate", "ore:gradePercent": "11.5"},
    }
    event.update(changes)
    return {k: v for k, v in event.items() if v is not None}


def aggregation(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "AggregationEvent",
        "eventID": "urn:uuid:33333333-3333-4333-8333-333333333333",
        "eventTime": "2024-05-04T10:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "action": "ADD",
        "parentID": "urn:epc:id:sscc:4012345.0000000001",
        "childEPCs": ["urn:epc:id:sgtin:4012345.011111.1"],
        "childQuantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.CONC1"}],
    }
    event.update(changes)
    return {k: v for k, v in event.items() if v is not None}


def error_of(data: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        read_epcis(data, file=FILE)
    return caught.value


# --- reading -------------------------------------------------------------------------------


def test_reads_every_standard_field_of_a_commissioning_event() -> None:
    doc = read_epcis(json.dumps(document(commissioning())), file="lots.jsonld")
    (event,) = doc.events
    assert event.event_id == "urn:uuid:11111111-1111-4111-8111-111111111111"
    assert event.event_id_declared
    assert event.type is EventType.OBJECT
    assert event.action is Action.ADD
    assert event.event_time == datetime(2024, 5, 1, 4, 30, tzinfo=UTC)
    assert event.event_time.utcoffset() == timedelta(hours=2)
    assert event.read_point == "https://sites.example.org/kolwezi-pit-3"
    assert event.location() == "https://sites.example.org/kolwezi"
    assert event.read_point_extensions == event.biz_location_extensions == {}
    assert event.quantity_list == (
        QuantityElement(
            epc_class="urn:epc:class:lgtin:4012345.012345.LOT1", quantity=12.5, uom="TNE"
        ),
    )
    assert event.source_list == (SourceDestination(type="owning_party", id="ftm:company-a"),)
    assert event.lot_master == LotMasterData(
        mineral=Mineral.COBALT, form=MaterialForm.ORE, grade_percent=2.1
    )
    assert event.ilmd == {"ore:mineral": "cobalt", "ore:form": "ore", "ore:gradePercent": 2.1}
    assert event.extensions == {"example:sealNumber": "S-991"}
    assert event.namespaces == {"ore": ORE_NAMESPACE, "example": "https://example.org/ns/"}
    assert doc.namespaces == event.namespaces
    assert doc.creation_date == datetime(2024, 5, 1, 8, tzinfo=UTC)


def test_reads_transformation_aggregation_and_their_lists() -> None:
    doc = read_epcis(document(transformation(), aggregation()))
    trans, agg = doc.events
    assert trans.record_time == datetime(2024, 5, 3, 10, 5, tzinfo=UTC)
    assert trans.action is None
    assert trans.consumed() == ("urn:epc:class:lgtin:4012345.012345.LOT1",)
    assert trans.output_quantity_list[0].quantity == 2
    assert trans.transformation_id == "urn:example:transformation:7"
    assert trans.biz_transaction_list[0].type == "po"
    assert trans.biz_transaction_list[0].id == "urn:example:po:1"
    assert trans.destination_list[0].id == "ftm:trader-b"
    assert trans.certification_info == ("https://cert.example.org/1", "https://cert.example.org/2")
    assert trans.persistent_disposition == {"set": ["completeness_verified"]}
    assert trans.sensor_element_list[0]["sensorReport"][0]["uom"] == "CEL"
    assert trans.lot_master == LotMasterData(
        mineral=Mineral.COBALT, form=MaterialForm.CONCENTRATE, grade_percent=11.5
    )
    # CBV terms keep the spelling the document used; callers normalise when they compare.
    assert trans.biz_step == "https://ref.gs1.org/cbv/BizStep-commissioning"
    assert normalise_biz_step(trans.biz_step) == "commissioning"
    assert agg.parent_id == "urn:epc:id:sscc:4012345.0000000001"
    assert agg.child_epcs == ("urn:epc:id:sgtin:4012345.011111.1",)
    assert agg.child_quantity_list[0].quantity is None


def test_reads_a_query_document_and_keeps_its_header() -> None:
    raw = document(commissioning())
    events = raw["epcisBody"].pop("eventList")
    raw["type"] = "EPCISQueryDocument"
    raw["sender"] = "urn:epc:id:pgln:4012345.00000"
    raw["epcisBody"] = {
        "queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": events}}
    }
    doc = read_epcis(raw)
    assert doc.kind == "EPCISQueryDocument"
    assert len(doc.events) == 1
    assert doc.header == {
        "sender": "urn:epc:id:pgln:4012345.00000",
        "queryName": "SimpleEventQuery",
    }
    assert looks_like_epcis(raw)
    assert not looks_like_epcis({"type": "FeatureCollection", "features": []})


def test_ore_prefix_is_found_by_its_iri_whatever_it_is_called() -> None:
    event = commissioning(ilmd={"mx:mineral": "tin", "mx:form": "metal"})
    doc = read_epcis(document(event, prefixes={"mx": ORE_NAMESPACE}))
    assert doc.events[0].lot_master == LotMasterData(mineral=Mineral.TIN, form=MaterialForm.METAL)


def test_ore_prefix_bound_elsewhere_is_not_oresights() -> None:
    event = commissioning(ilmd={"ore:mineral": "not-a-mineral"})
    doc = read_epcis(document(event, prefixes={"ore": "https://other.example.org/"}))
    assert doc.events[0].lot_master is None
    assert doc.events[0].ilmd == {"ore:mineral": "not-a-mineral"}


def test_an_event_without_eventid_is_named_by_its_cbv_hash() -> None:
    raw = commissioning(eventID=None)
    doc = read_epcis(document(raw))
    event = doc.events[0]
    assert not event.event_id_declared
    assert event.event_id == event_hash(
        raw, {"ore": ORE_NAMESPACE, "example": "https://example.org/ns/"}
    )
    assert event.event_id.startswith("ni:///sha-256;")
    assert "eventID" not in event_to_json(event)


GATE = {"example:gate": "north", "example:lane": {"number": 2, "covered": True}}


def test_location_extensions_are_read_beside_the_id() -> None:
    raw = commissioning(
        readPoint={"id": "https://sites.example.org/kolwezi-pit-3", **GATE},
        bizLocation={"example:zone": ["A", "B"], "id": "https://sites.example.org/kolwezi"},
    )
    (event,) = read_epcis(document(raw)).events
    assert event.read_point == "https://sites.example.org/kolwezi-pit-3"
    assert event.read_point_extensions == GATE
    assert event.biz_location == "https://sites.example.org/kolwezi"
    assert event.biz_location_extensions == {"example:zone": ["A", "B"]}
    assert event.extensions == {"example:sealNumber": "S-991"}


def test_location_extensions_round_trip_verbatim() -> None:
    raw = commissioning(
        eventID=None,
        readPoint={"id": "https://sites.example.org/kolwezi-pit-3", **GATE},
        bizLocation={"id": "https://sites.example.org/kolwezi", "example:zone": "A"},
    )
    doc = read_epcis(document(raw))
    written = write_epcis(doc.events)
    out = written["epcisBody"]["eventList"][0]
    assert out["readPoint"] == raw["readPoint"]
    assert out["bizLocation"] == raw["bizLocation"]
    again = read_epcis(json.dumps(written))
    assert again.events == doc.events
    # The extensions are part of what happened: they change the event hash, and writing them
    # back keeps it.
    plain = read_epcis(document(commissioning(eventID=None))).events[0]
    assert again.events[0].event_id == doc.events[0].event_id != plain.event_id


def test_writer_refuses_location_extensions_it_cannot_place() -> None:
    with pytest.raises(InvalidInput) as caught:
        event_to_json(event(read_point_extensions={"example:gate": "north"}))
    assert caught.value.field == "read_point_extensions"
    with pytest.raises(InvalidInput) as caught:
        event_to_json(event(biz_location="urn:example:site", biz_location_extensions={"id": "x"}))
    assert caught.value.field == "biz_location_extensions.id"


def test_the_same_event_twice_is_kept_once() -> None:
    doc = read_epcis(document(commissioning(), commissioning()))
    assert len(doc.events) == 1


def test_a_mapping_is_copied_so_later_changes_do_not_reach_the_events() -> None:
    raw = document(commissioning())
    doc = read_epcis(raw)
    raw["epcisBody"]["eventList"][0]["ilmd"]["ore:mineral"] = "gold"
    assert doc.events[0].ilmd is not None
    assert doc.events[0].ilmd["ore:mineral"] == "cobalt"


def test_reads_a_file_and_names_it(tmp_path: Path) -> None:
    path = tmp_path / "lots.jsonld"
    path.write_text(json.dumps(document(commissioning())), encoding="utf-8")
    assert len(read_epcis_file(path).events) == 1
    with pytest.raises(InvalidInput) as caught:
        read_epcis_file(tmp_path / "missing.jsonld")
    assert caught.value.file == str(tmp_path / "missing.jsonld")


def test_sensor_report_units_are_not_checked() -> None:
    doc = read_epcis(document(transformation()))
    assert doc.events[0].sensor_element_list[0]["sensorReport"][0]["uom"] == "CEL"


# --- hostile input -------------------------------------------------------------------------

RECORD = "event 1 (eventID urn:uuid:11111111-1111-4111-8111-111111111111)"


def test_malformed_json_names_line_and_column() -> None:
    error = error_of('{\n  "type": "EPCISDocument",\n  "epcisBody": {,}\n}')
    assert error.file == FILE
    assert "line 3, column 17" in str(error)
    assert str(error).startswith(f"{FILE}: malformed JSON")


def test_text_that_is_not_utf8_is_refused() -> None:
    error = error_of(b'{"type": "EPCISDocument", "x": "\xff"}')
    assert "not UTF-8" in error.message and error.file == FILE


def test_nan_is_not_a_json_number() -> None:
    error = error_of('{"type": "EPCISDocument", "x": NaN}')
    assert "NaN" in error.message


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ("[1, 2]", None),
        ('{"type": "FeatureCollection"}', "type"),
        ('{"type": "EPCISDocument"}', "epcisBody"),
        ('{"type": "EPCISQueryDocument", "epcisBody": {}}', "epcisBody.queryResults"),
        ('{"type": "EPCISDocument", "epcisBody": {"eventList": {}}}', "epcisBody.eventList"),
    ],
)
def test_not_an_epcis_document(data: str, field: str | None) -> None:
    error = error_of(data)
    assert error.file == FILE
    assert error.field == field
    assert "EPCIS document" in error.message or "list of events" in error.message


def test_unknown_event_type_is_named() -> None:
    error = error_of(document(commissioning(type="ShippingEvent")))
    assert (error.record, error.field) == (RECORD, "type")
    assert "unknown event type 'ShippingEvent'" in str(error)
    assert str(error).startswith(f"{FILE}: {RECORD}: field 'type'")


def test_an_event_that_is_not_an_object() -> None:
    error = error_of(document(commissioning(), "urn:uuid:x"))  # type: ignore[arg-type]
    assert error.record == "event 2"


@pytest.mark.parametrize("field", ["type", "eventTime", "eventTimeZoneOffset", "action"])
def test_missing_required_field(field: str) -> None:
    event = commissioning()
    del event[field]
    error = error_of(document(event))
    assert (error.file, error.record, error.field) == (FILE, RECORD, field)
    assert "missing" in error.message


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (aggregation, "action"),
        (lambda **kw: transformation(**kw) | {"action": "ADD"}, "action"),
        (lambda **kw: aggregation(**kw) | {"ilmd": {}}, "ilmd"),
        (lambda **kw: commissioning(action="OBSERVE"), "ilmd"),
        (lambda **kw: aggregation(childEPCs=None, childQuantityList=None), "childEPCs"),
        (
            lambda **kw: transformation(outputQuantityList=None, transformationID=None),
            "inputEPCList",
        ),
        (lambda **kw: commissioning(action="CREATE"), "action"),
        (lambda **kw: commissioning(eventTimeZoneOffset="+2:00"), "eventTimeZoneOffset"),
        (lambda **kw: commissioning(readPoint={"example:gate": 4}), "readPoint.id"),
        (lambda **kw: commissioning(bizLocation={"id": 4, "example:gate": 4}), "bizLocation.id"),
        (lambda **kw: commissioning(readPoint="https://sites.example.org/x"), "readPoint"),
        (lambda **kw: commissioning(epcList="urn:epc:id:sgtin:1.2.3"), "epcList"),
        (lambda **kw: commissioning(sourceList=[{"type": "owning_party"}]), "sourceList[0]"),
        (
            lambda **kw: commissioning(bizTransactionList=[{"type": "po"}]),
            "bizTransactionList[0].bizTransaction",
        ),
    ],
)
def test_structural_errors_name_the_field(build: Any, field: str) -> None:
    event = build(action=None) if build is aggregation else build()
    error = error_of(document(event))
    assert error.file == FILE
    assert error.field == field
    assert str(error.record).startswith("event 1 (eventID ")


@pytest.mark.parametrize(
    ("key", "field"),
    [
        ("quantityList", "quantityList[0].epcClass"),
        ("childQuantityList", "childQuantityList[0].epcClass"),
        ("inputQuantityList", "inputQuantityList[0].epcClass"),
        ("outputQuantityList", "outputQuantityList[0].epcClass"),
    ],
)
def test_a_quantity_needs_an_epc_class(key: str, field: str) -> None:
    build = {"quantityList": commissioning, "childQuantityList": aggregation}.get(
        key, transformation
    )
    error = error_of(document(build(**{key: [{"quantity": 1, "uom": "KGM"}]})))
    assert error.field == field
    assert error.file == FILE


@pytest.mark.parametrize(
    ("key", "build"),
    [
        ("quantityList", commissioning),
        ("childQuantityList", aggregation),
        ("inputQuantityList", transformation),
        ("outputQuantityList", transformation),
    ],
)
def test_a_quantity_unit_must_be_known(key: str, build: Any) -> None:
    entry = {"epcClass": "urn:epc:class:lgtin:4012345.012345.X", "quantity": 1, "uom": "KGX"}
    error = error_of(document(build(**{key: [entry]})))
    assert error.field == f"{key}[0].uom"
    assert "unknown unit 'KGX'" in error.message
    assert error.record is not None and "eventID" in str(error.record)


@pytest.mark.parametrize("amount", [-1, "12", True, None])
def test_a_quantity_must_be_a_non_negative_number(amount: Any) -> None:
    entry = {"epcClass": "urn:epc:class:lgtin:4012345.012345.X", "quantity": amount}
    if amount is None:
        entry["extra"] = 1
        field = "quantityList[0]"
    else:
        field = "quantityList[0].quantity"
    assert error_of(document(commissioning(quantityList=[entry]))).field == field


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-13-01T00:00:00Z", "not a valid date-time"),
        ("2024-05-01T10:00:00", "no UTC offset"),
        ("yesterday", "not an RFC 3339 date-time"),
        (1714557600, "expected a date-time string"),
        ("2024-05-01T24:00:00Z", "not a valid date-time"),
    ],
)
def test_bad_event_time(value: Any, expected: str) -> None:
    error = error_of(document(commissioning(eventTime=value)))
    assert (error.record, error.field) == (RECORD, "eventTime")
    assert expected in error.message


def test_bad_record_time_creation_date_and_declaration_time() -> None:
    assert error_of(document(commissioning(recordTime="soon"))).field == "recordTime"
    raw = document(commissioning())
    raw["creationDate"] = "2024-05-01"
    error = error_of(raw)
    assert (error.record, error.field) == ("document header", "creationDate")
    bad = {"declarationTime": "2024-05-01T10:00"}
    error = error_of(document(commissioning(errorDeclaration=bad)))
    assert error.field == "errorDeclaration.declarationTime"


@pytest.mark.parametrize(
    ("ilmd", "field", "expected"),
    [
        ({"ore:mineral": "unobtainium"}, "ilmd.ore:mineral", "unknown mineral"),
        ({"ore:mineral": 7}, "ilmd.ore:mineral", "expected a mineral name"),
        ({"ore:form": "powder"}, "ilmd.ore:form", "unknown material form 'powder'"),
        ({"ore:gradePercent": 150}, "ilmd.ore:gradePercent", "between 0 and 100"),
        ({"ore:gradePercent": "high"}, "ilmd.ore:gradePercent", "between 0 and 100"),
        (
            {"ore:mineral": "tin", ORE_NAMESPACE + "mineral": "gold"},
            f"ilmd.{ORE_NAMESPACE}mineral",
            "conflicting values",
        ),
    ],
)
def test_invalid_ore_extension(ilmd: dict[str, Any], field: str, expected: str) -> None:
    error = error_of(document(commissioning(ilmd=ilmd)))
    assert (error.file, error.record, error.field) == (FILE, RECORD, field)
    assert expected in error.message


def test_a_repeated_eventid_with_different_content_is_refused() -> None:
    error = error_of(document(commissioning(), commissioning(bizStep="shipping")))
    assert error.file == FILE
    assert error.record == "event 2 (eventID urn:uuid:11111111-1111-4111-8111-111111111111)"
    assert error.field == "eventID"
    assert "repeats event 1 with different content" in error.message


def test_no_validation_error_leaks() -> None:
    # Every leaf replaced by a wrong type must end in InvalidInput, never in another error.
    base = document(commissioning(), transformation(), aggregation())
    for index, event in enumerate(base["epcisBody"]["eventList"]):
        for key in event:
            for wrong in (None, 5, "", [], {}, [5], [{}], True):
                raw = copy.deepcopy(base)
                raw["epcisBody"]["eventList"][index][key] = wrong
                try:
                    read_epcis(raw, file=FILE)
                except InvalidInput as error:
                    assert error.file == FILE


# --- writing -------------------------------------------------------------------------------


def test_write_read_round_trip_keeps_events_equal() -> None:
    doc = read_epcis(document(commissioning(), transformation(), aggregation()))
    written = write_epcis(doc.events, document_id="urn:uuid:doc-1")
    assert written["@context"] == [
        CONTEXT,
        {"example": "https://example.org/ns/", "ore": ORE_NAMESPACE},
    ]
    assert written["id"] == "urn:uuid:doc-1"
    again = read_epcis(json.dumps(written))
    assert again.events == doc.events
    first = written["epcisBody"]["eventList"][0]
    assert first["example:sealNumber"] == "S-991"
    assert first["readPoint"] == {"id": "https://sites.example.org/kolwezi-pit-3"}
    assert first["sourceList"] == [{"type": "owning_party", "source": "ftm:company-a"}]
    assert first["quantityList"][0] == {
        "epcClass": "urn:epc:class:lgtin:4012345.012345.LOT1",
        "quantity": 12.5,
        "uom": "TNE",
    }


def event(**changes: Any) -> CustodyEvent:
    fields: dict[str, Any] = {
        "event_id": "urn:uuid:44444444-4444-4444-8444-444444444444",
        "type": EventType.OBJECT,
        "action": Action.ADD,
        "event_time": datetime(2024, 5, 1, 6, 0, tzinfo=timezone(timedelta(hours=2))),
        "event_time_zone_offset": "+02:00",
        "biz_step": "commissioning",
        "quantity_list": (QuantityElement(epc_class="urn:example:lot:9", quantity=3, uom="TNE"),),
    }
    fields.update(changes)
    return CustodyEvent(**fields)


def test_lot_master_without_ilmd_is_written_as_ore_terms_and_declared() -> None:
    lot = LotMasterData(mineral=Mineral.TANTALUM, form=MaterialForm.CONCENTRATE, grade_percent=30)
    written = write_epcis([event(lot_master=lot)], creation_date=datetime(2024, 5, 2, tzinfo=UTC))
    assert written["epcisBody"]["eventList"][0]["ilmd"] == {
        "ore:mineral": "tantalum",
        "ore:form": "concentrate",
        "ore:gradePercent": 30.0,
    }
    assert written["@context"][1] == {"ore": ORE_NAMESPACE}
    assert written["creationDate"] == "2024-05-02T00:00:00.000Z"
    assert read_epcis(written).events[0].lot_master == lot


def test_lot_master_that_contradicts_ilmd_is_refused() -> None:
    lot = LotMasterData(mineral=Mineral.TIN)
    bad = event(lot_master=lot, ilmd={"ore:mineral": "gold"}, namespaces={"ore": ORE_NAMESPACE})
    with pytest.raises(InvalidInput, match="disagrees") as caught:
        write_epcis([bad])
    assert caught.value.field == "ilmd"


def test_conflicting_prefixes_are_refused() -> None:
    one = event(namespaces={"ex": "https://one.example.org/"})
    with pytest.raises(InvalidInput, match="prefix 'ex'"):
        write_epcis([one], namespaces={"ex": "https://two.example.org/"})


def test_extra_namespaces_are_declared() -> None:
    written = write_epcis([event()], namespaces={"ex": "https://one.example.org/"})
    assert written["@context"] == [CONTEXT, {"ex": "https://one.example.org/"}]


def test_cbv_urns_are_written_as_short_names_other_spellings_are_kept() -> None:
    urn = event(
        biz_step="urn:epcglobal:cbv:bizstep:shipping",
        disposition="urn:epcglobal:cbv:disp:in_transit",
        source_list=(SourceDestination(type="urn:epcglobal:cbv:sdt:owning_party", id="ftm:a"),),
        error_declaration={
            "declarationTime": "2024-05-02T00:00:00Z",
            "reason": "urn:epcglobal:cbv:er:incorrect_data",
        },
    )
    out = event_to_json(urn)
    assert (out["bizStep"], out["disposition"]) == ("shipping", "in_transit")
    assert out["sourceList"][0]["type"] == "owning_party"
    assert out["errorDeclaration"]["reason"] == "incorrect_data"
    kept = event_to_json(event(biz_step="https://ref.gs1.org/cbv/BizStep-shipping"))
    assert kept["bizStep"] == "https://ref.gs1.org/cbv/BizStep-shipping"
    own = event_to_json(event(biz_step="https://example.org/steps/smelting"))
    assert own["bizStep"] == "https://example.org/steps/smelting"


def test_writer_refuses_what_epcis_cannot_express() -> None:
    with pytest.raises(InvalidInput) as caught:
        event_to_json(event(extensions={"bizStep": "shipping"}))
    assert caught.value.field == "extensions.bizStep"
    with pytest.raises(InvalidInput) as caught:
        event_to_json(
            event(type=EventType.AGGREGATION, quantity_list=(), ilmd={"ore:mineral": "tin"})
        )
    assert caught.value.field == "ilmd"


def test_times_are_written_in_rfc3339() -> None:
    assert format_time(datetime(2024, 5, 1, 6, tzinfo=UTC)) == "2024-05-01T06:00:00.000Z"
    plus2 = timezone(timedelta(hours=2))
    assert (
        format_time(datetime(2024, 5, 1, 6, 0, 0, 5, plus2)) == "2024-05-01T06:00:00.000005+02:00"
    )
    odd = timezone(timedelta(hours=1, seconds=30))
    assert format_time(datetime(2024, 5, 1, 6, tzinfo=odd)) == "2024-05-01T04:59:30.000Z"


# --- vocabulary ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "shipping",
        "https://ref.gs1.org/cbv/BizStep-shipping",
        "http://ref.gs1.org/cbv/BizStep-shipping",
        "https://ns.gs1.org/cbv/BizStep-shipping",
        "urn:epcglobal:cbv:bizstep:shipping",
    ],
)
def test_every_spelling_of_a_biz_step_normalises(spelling: str) -> None:
    assert normalise_biz_step(spelling) == "shipping"


def test_normalisers_answer_none_for_what_is_not_a_cbv_term() -> None:
    assert normalise_biz_step("https://example.org/steps/smelting") is None
    assert normalise_biz_step("urn:epcglobal:cbv:bizstep:smelting") is None
    assert normalise_biz_step(None) is None
    assert normalise_biz_step("urn:epcglobal:cbv:disp:in_transit") is None
    assert normalise_disposition("urn:epcglobal:cbv:disp:in_transit") == "in_transit"
    assert normalise_source_dest_type("https://ref.gs1.org/cbv/SDT-owning_party") == "owning_party"
    assert normalise_biz_transaction_type("urn:epcglobal:cbv:btt:desadv") == "desadv"
    assert normalise_error_reason("did_not_occur") == "did_not_occur"


def test_vocabulary_spells_terms_as_uri_and_urn() -> None:
    assert BIZ_STEPS.uri("receiving") == "https://ref.gs1.org/cbv/BizStep-receiving"
    assert (
        DISPOSITIONS.urn("https://ref.gs1.org/cbv/Disp-active") == "urn:epcglobal:cbv:disp:active"
    )
    with pytest.raises(ValueError, match="not a CBV business step"):
        BIZ_STEPS.uri("smelting")


# --- property: any event the writer writes reads back equal --------------------------------

_IDS = st.from_regex(r"urn:example:[a-z0-9]{1,8}", fullmatch=True)
_QUANTITIES = st.builds(
    QuantityElement,
    epc_class=_IDS,
    quantity=st.one_of(st.none(), st.floats(0, 1e9, allow_nan=False)),
    uom=st.one_of(st.none(), st.sampled_from(sorted(UNITS))),
)
_TIMES = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9))]),
)


def _offset(time: datetime) -> str:
    minutes = int((time.utcoffset() or timedelta()).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@settings(max_examples=60, deadline=None)
@given(
    time=_TIMES,
    epcs=st.lists(_IDS, max_size=3, unique=True),
    quantities=st.lists(_QUANTITIES, max_size=3),
    step=st.sampled_from(sorted(BIZ_STEPS.terms)),
    lot=st.builds(
        LotMasterData,
        mineral=st.one_of(st.none(), st.sampled_from(Mineral)),
        form=st.one_of(st.none(), st.sampled_from(MaterialForm)),
        grade_percent=st.one_of(st.none(), st.floats(0, 100, allow_nan=False)),
    ),
    extension=st.dictionaries(st.sampled_from(["ex:a", "ex:b"]), st.text(max_size=5)),
    location_extension=st.dictionaries(st.sampled_from(["ex:c", "ex:d"]), st.integers()),
)
def test_written_events_read_back_equal(
    time: datetime,
    epcs: list[str],
    quantities: list[QuantityElement],
    step: str,
    lot: LotMasterData,
    extension: dict[str, str],
    location_extension: dict[str, int],
) -> None:
    original = event(
        event_time=time,
        event_time_zone_offset=_offset(time),
        epc_list=tuple(epcs),
        quantity_list=tuple(quantities),
        biz_step=step,
        lot_master=lot if lot != LotMasterData() else None,
        extensions=extension,
        read_point="urn:example:read-point",
        read_point_extensions=location_extension,
        biz_location="urn:example:site",
        biz_location_extensions=location_extension,
        namespaces={"ex": "https://example.org/ex/", "ore": ORE_NAMESPACE},
    )
    again = read_epcis(json.dumps(write_epcis([original]))).events[0]
    expected_ilmd = again.ilmd if original.lot_master is not None else None
    assert again == original.model_copy(update={"ilmd": expected_ilmd})
