"""Reader of GS1 EPCIS 2.0 JSON / JSON-LD documents into :mod:`oresight.core.custody` types.

Reads EPCIS documents and EPCIS query documents with events of all five types. Standard fields
become typed fields of :class:`CustodyEvent`; every other key of an event is kept verbatim in
``extensions`` (and of a ``readPoint`` or ``bizLocation`` in ``read_point_extensions`` or
``biz_location_extensions``) and the document's own ``@context`` prefixes in ``namespaces``, so
that the writer can give the document back without loss. The ``ore:`` mineral extension in
``ilmd`` is read into ``lot_master``. Each field is read and checked by
:mod:`oresight.custody.epcis_fields`.

Errors are :class:`InvalidInput` naming the file, the event (``event 3 (eventID ...)``, counting
from 1 in document order) and the field (``quantityList[0].uom``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError

from oresight.core.custody import Action, CustodyEvent, EPCISDocument, EventType
from oresight.core.errors import InvalidInput
from oresight.custody.epcis_fields import EventFields, parse_time
from oresight.custody.event_hash import context_namespaces, event_hash
from oresight.custody.vocabulary import (
    COMMON_FIELDS,
    DOCUMENT_TYPES,
    STANDARD_FIELDS,
    STANDARD_PREFIXES,
    TYPE_FIELDS,
    parse_lot_master,
)

__all__ = [
    "context_prefixes",
    "looks_like_epcis",
    "parse_time",
    "read_epcis",
    "read_epcis_file",
    "read_event",
]

# Core field names whose EPCIS JSON spelling differs, to name the field in a translated
# pydantic error the way the user wrote it.
_JSON_NAMES = {
    "event_id": "eventID",
    "event_time": "eventTime",
    "event_time_zone_offset": "eventTimeZoneOffset",
    "record_time": "recordTime",
    "biz_step": "bizStep",
    "parent_id": "parentID",
    "child_epcs": "childEPCs",
    "input_epc_list": "inputEPCList",
    "output_epc_list": "outputEPCList",
    "transformation_id": "transformationID",
    "lot_master": "ilmd",
}


def context_prefixes(context: object) -> dict[str, str]:
    """Prefix -> IRI of the prefixes an ``@context`` declares beyond the standard EPCIS context.

    Term definitions that are not prefixes (``"rail:count": {"@type": "xsd:integer"}``) and
    standard prefixes declared again with their standard IRI are left out.
    """
    return {
        prefix: iri
        for prefix, iri in context_namespaces(context).items()
        if ":" not in prefix and STANDARD_PREFIXES.get(prefix) != iri
    }


def read_event(
    raw: object,
    *,
    index: int,
    namespaces: Mapping[str, str],
    context: object = None,
    file: str | None = None,
) -> CustodyEvent:
    """Read one event object (``index`` counts from 0) of a document with this ``@context``."""
    record = f"event {index + 1}"
    if not isinstance(raw, Mapping):
        raise InvalidInput(
            f"expected an event object, found {type(raw).__name__}", file=file, record=record
        )
    declared_id = raw.get("eventID")
    if isinstance(declared_id, str) and declared_id:
        record += f" (eventID {declared_id})"
    reader = EventFields(raw, file=file, record=record)
    kind = reader.string("type", required=True)
    try:
        event_type = EventType(str(kind))
    except ValueError:
        accepted = ", ".join(EventType)
        raise reader.error(
            f"unknown event type {kind!r}; expected one of {accepted}", "type"
        ) from None
    allowed = COMMON_FIELDS | TYPE_FIELDS[event_type]
    for key in raw:
        if key in STANDARD_FIELDS and key not in allowed:
            raise reader.error(f"{key!r} is not a field of {event_type.value}", key)
    event_namespaces = {**namespaces, **context_prefixes(raw.get("@context"))}

    offset = reader.time_zone_offset()
    action_text = reader.string("action", required=event_type is not EventType.TRANSFORMATION)
    if action_text is not None and action_text not in set(Action):
        raise reader.error(f"expected ADD, OBSERVE or DELETE, found {action_text!r}", "action")
    action = None if action_text is None else Action(action_text)

    ilmd = reader.mapping("ilmd")
    lot_master = None
    if ilmd is not None:
        if event_type is EventType.OBJECT and action is not Action.ADD:
            raise reader.error("ilmd is allowed only on ADD object events", "ilmd")
        try:
            lot_master = parse_lot_master(ilmd, event_namespaces)
        except InvalidInput as exc:
            raise exc.located(file=file, record=record) from None

    read_point, read_point_extensions = reader.location("readPoint")
    biz_location, biz_location_extensions = reader.location("bizLocation")
    fields: dict[str, Any] = {
        "event_id_declared": declared_id is not None,
        "type": event_type,
        "event_time": reader.time("eventTime", required=True),
        "event_time_zone_offset": offset,
        "record_time": reader.time("recordTime"),
        "action": action,
        "biz_step": reader.string("bizStep"),
        "disposition": reader.string("disposition"),
        "persistent_disposition": reader.mapping("persistentDisposition"),
        "read_point": read_point,
        "read_point_extensions": read_point_extensions,
        "biz_location": biz_location,
        "biz_location_extensions": biz_location_extensions,
        "epc_list": reader.strings("epcList"),
        "quantity_list": reader.quantities("quantityList"),
        "parent_id": reader.string("parentID"),
        "child_epcs": reader.strings("childEPCs"),
        "child_quantity_list": reader.quantities("childQuantityList"),
        "input_epc_list": reader.strings("inputEPCList"),
        "input_quantity_list": reader.quantities("inputQuantityList"),
        "output_epc_list": reader.strings("outputEPCList"),
        "output_quantity_list": reader.quantities("outputQuantityList"),
        "transformation_id": reader.string("transformationID"),
        "source_list": reader.parties("sourceList", "source"),
        "destination_list": reader.parties("destinationList", "destination"),
        "biz_transaction_list": reader.transactions(),
        "ilmd": ilmd,
        "lot_master": lot_master,
        "sensor_element_list": tuple(reader.objects("sensorElementList")),
        "certification_info": reader.certification(),
        "error_declaration": reader.error_declaration(),
        "extensions": {k: v for k, v in raw.items() if k not in STANDARD_FIELDS},
        "namespaces": event_namespaces,
    }
    # The hash is computed last, so that it is only ever computed over an event that is valid.
    if declared_id is not None:
        fields["event_id"] = reader.string("eventID")
    else:
        fields["event_id"] = _computed_event_id(raw, context, reader)
    try:
        event = CustodyEvent(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else None
        raise reader.error(first["msg"], _JSON_NAMES.get(name or "", name)) from None
    _check_structure(event, reader)
    return event


def _check_structure(event: CustodyEvent, reader: EventFields) -> None:
    """Refuse events the EPCIS 2.0 schema refuses for want of what their type must carry."""
    if event.type is EventType.ASSOCIATION and event.parent_id is None:
        raise reader.error("an association event needs a parentID", "parentID")
    if event.type is EventType.TRANSACTION and not event.biz_transaction_list:
        raise reader.error(
            "a transaction event needs at least one business transaction", "bizTransactionList"
        )
    if (
        event.type in (EventType.AGGREGATION, EventType.ASSOCIATION)
        and event.action is not Action.DELETE
        and not (event.child_epcs or event.child_quantity_list)
    ):
        raise reader.error(
            "an ADD or OBSERVE event needs childEPCs or childQuantityList", "childEPCs"
        )
    if event.type is EventType.TRANSFORMATION:
        inputs = event.input_epc_list or event.input_quantity_list
        outputs = event.output_epc_list or event.output_quantity_list
        if not (inputs and outputs) and not (event.transformation_id and (inputs or outputs)):
            raise reader.error(
                "a transformation event needs inputs and outputs, "
                "or a transformationID with either",
                "inputEPCList",
            )


def _computed_event_id(raw: Mapping[str, Any], context: object, reader: EventFields) -> str:
    """The CBV 2.0 event hash of an event that declares no eventID."""
    namespaces = {**context_namespaces(context), **context_namespaces(raw.get("@context"))}
    try:
        return event_hash(raw, namespaces)
    except InvalidInput as exc:
        raise exc.located(file=reader.file, record=reader.record) from None


def _load(data: bytes | str | Mapping[str, Any], file: str | None) -> Mapping[str, Any]:
    if isinstance(data, Mapping):
        # A private plain copy, so that verbatim parts of the events do not change when the
        # caller later changes its own objects.
        return cast(dict[str, Any], _plain(data))
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"not UTF-8 text (byte {exc.start})", file=file) from None
    if not isinstance(data, str):
        raise InvalidInput(f"expected JSON text or bytes, found {type(data).__name__}", file=file)
    try:
        # A key repeated in one object keeps its last value, as JavaScript's JSON.parse does; the
        # GS1 examples themselves hold such an event (AssociationEvent-h), so refusing it would
        # refuse conformant input.
        loaded = json.loads(data, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", file=file
        ) from None
    except ValueError as exc:
        raise InvalidInput(f"malformed JSON: {exc}", file=file) from None
    if not isinstance(loaded, dict):
        raise InvalidInput(
            "not an EPCIS document: the top level is a JSON "
            f"{type(loaded).__name__}, not an object",
            file=file,
        )
    return loaded


def _plain(value: object) -> object:
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def looks_like_epcis(data: Mapping[str, Any]) -> bool:
    """Whether parsed JSON looks like an EPCIS 2.0 document or query document (for sniffing)."""
    return data.get("type") in DOCUMENT_TYPES and isinstance(data.get("epcisBody"), Mapping)


def read_epcis(data: bytes | str | Mapping[str, Any], *, file: str | None = None) -> EPCISDocument:
    """Read an EPCIS 2.0 JSON / JSON-LD document or query document.

    ``data`` is the text, its UTF-8 bytes, or the parsed JSON; ``file`` names the source in
    errors. Events that repeat an eventID with the same content are kept once; a repeated eventID
    with different content is refused, as is anything else :class:`InvalidInput` describes.
    """
    raw = _load(data, file)
    kind = raw.get("type")
    if kind not in DOCUMENT_TYPES:
        raise InvalidInput(
            "not an EPCIS document: expected type EPCISDocument or EPCISQueryDocument, "
            f"found {kind!r}",
            file=file,
            field="type",
        )
    events_raw = _event_list(raw, file)
    context = raw.get("@context")
    namespaces = context_prefixes(context)
    events: dict[str, tuple[int, CustodyEvent]] = {}
    for index, item in enumerate(events_raw):
        event = read_event(item, index=index, namespaces=namespaces, context=context, file=file)
        seen = events.get(event.event_id)
        if seen is None:
            events[event.event_id] = (index, event)
        elif seen[1] != event:
            name = "eventID" if event.event_id_declared else "event hash"
            raise InvalidInput(
                f"{name} {event.event_id} repeats event {seen[0] + 1} with different content",
                file=file,
                record=f"event {index + 1} (eventID {event.event_id})",
                field="eventID",
            )
    fields: dict[str, Any] = {"kind": kind, "namespaces": namespaces}
    fields["events"] = tuple(event for _, event in events.values())
    fields["header"] = {
        key: value
        for key, value in raw.items()
        if key not in ("@context", "type", "id", "schemaVersion", "creationDate", "epcisBody")
    }
    if kind == "EPCISQueryDocument":
        results = raw["epcisBody"]["queryResults"]
        fields["header"].update({k: v for k, v in results.items() if k != "resultsBody"})
    header = EventFields(raw, file=file, record="document header")
    fields["id"] = header.string("id")
    fields["schema_version"] = header.string("schemaVersion") or "2.0"
    fields["creation_date"] = header.time("creationDate")
    return EPCISDocument(**fields)


def _event_list(raw: Mapping[str, Any], file: str | None) -> list[Any]:
    path = ["epcisBody"]
    if raw.get("type") == "EPCISQueryDocument":
        path += ["queryResults", "resultsBody"]
    node: Any = raw
    for depth, key in enumerate(path):
        node = node.get(key)
        if not isinstance(node, Mapping):
            raise InvalidInput(
                "not an EPCIS document: expected an object here",
                file=file,
                field=".".join(path[: depth + 1]),
            )
    events = node.get("eventList", [])
    if not isinstance(events, list):
        raise InvalidInput(
            "expected a list of events", file=file, field=".".join([*path, "eventList"])
        )
    return events


def read_epcis_file(path: Path) -> EPCISDocument:
    """Read an EPCIS 2.0 JSON / JSON-LD file; errors name the file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read the file: {exc.strerror}", file=str(path)) from None
    return read_epcis(data, file=str(path))
