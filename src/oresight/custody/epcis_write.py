"""Writer of GS1 EPCIS 2.0 JSON-LD documents from :class:`CustodyEvent` objects.

The output validates against the EPCIS 2.0 JSON schema. Extension fields (of the event and of its
``readPoint`` and ``bizLocation``) and ``ilmd`` go back verbatim, and every prefix the events came
with is declared again in ``@context``. CBV terms keep the spelling they were read in, except the
CBV 1.x URNs and pre-release URIs that EPCIS 2.0 JSON refuses, which become short names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from oresight.core.custody import (
    ORE_NAMESPACE,
    CustodyEvent,
    EventType,
    LotMasterData,
    QuantityElement,
)
from oresight.core.errors import InvalidInput
from oresight.custody.vocabulary import (
    BIZ_STEPS,
    BIZ_TRANSACTION_TYPES,
    COMMON_FIELDS,
    DISPOSITIONS,
    EPCIS_CONTEXT_URL,
    ERROR_REASONS,
    ORE_TERMS,
    SOURCE_DEST_TYPES,
    STANDARD_FIELDS,
    TYPE_FIELDS,
    parse_lot_master,
)

_ORE_KEYS = {"mineral": "mineral", "form": "form", "grade_percent": "gradePercent"}


def format_time(value: datetime) -> str:
    """An aware datetime as RFC 3339: milliseconds unless finer, ``Z`` for UTC."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("time must carry a UTC offset")
    if offset.total_seconds() % 60:
        # RFC 3339 offsets have no seconds; the instant is kept by writing it in UTC.
        value = value.astimezone(UTC)
    spec = "milliseconds" if value.microsecond % 1000 == 0 else "microseconds"
    text = value.isoformat(timespec=spec)
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _quantities(elements: tuple[QuantityElement, ...]) -> list[dict[str, Any]]:
    out = []
    for element in elements:
        entry: dict[str, Any] = {"epcClass": element.epc_class}
        if element.quantity is not None:
            amount = element.quantity
            entry["quantity"] = int(amount) if amount.is_integer() else amount
        if element.uom is not None:
            entry["uom"] = element.uom
        out.append(entry)
    return out


def _ore_prefix(namespaces: Mapping[str, str]) -> str:
    for prefix, iri in namespaces.items():
        if iri == ORE_NAMESPACE:
            return prefix
    return "ore"


def _ilmd(event: CustodyEvent, record: str) -> dict[str, Any] | None:
    """The ``ilmd`` verbatim, with ``lot_master`` terms that it lacks filled in."""
    if event.ilmd is None and event.lot_master is None:
        return None
    ilmd = dict(event.ilmd or {})
    namespaces = dict(event.namespaces)
    if event.lot_master is not None:
        prefix = _ore_prefix(namespaces)
        namespaces.setdefault(prefix, ORE_NAMESPACE)
        present = parse_lot_master(ilmd, namespaces) or LotMasterData()
        for name, term in _ORE_KEYS.items():
            value = getattr(event.lot_master, name)
            if value is not None and getattr(present, name) is None:
                ilmd[f"{prefix}:{term}"] = value.value if name != "grade_percent" else value
    try:
        written = parse_lot_master(ilmd, namespaces)
    except InvalidInput as exc:
        raise exc.located(record=record) from None
    if event.lot_master is not None and written != event.lot_master:
        raise InvalidInput(
            f"lot_master {event.lot_master!r} disagrees with the ore: terms of ilmd {written!r}",
            record=record,
            field="ilmd",
        )
    return ilmd


def event_to_json(event: CustodyEvent) -> dict[str, Any]:
    """One event as EPCIS 2.0 JSON (without ``@context``; :func:`write_epcis` declares it).

    A computed event hash is not written as ``eventID``, so that reading the output back gives
    the same event. Raises :class:`InvalidInput` for an event that EPCIS cannot express: a field
    its type does not have, an extension that reuses a standard field's name, or location
    extensions without their location.
    """
    record = f"event {event.event_id}"
    out: dict[str, Any] = {"type": event.type.value}
    if event.event_id_declared:
        out["eventID"] = event.event_id
    out["eventTime"] = format_time(event.event_time)
    out["eventTimeZoneOffset"] = event.event_time_zone_offset
    if event.record_time is not None:
        out["recordTime"] = format_time(event.record_time)
    if event.certification_info is not None:
        info = event.certification_info
        out["certificationInfo"] = info if isinstance(info, str) else list(info)
    if event.error_declaration is not None:
        declaration = dict(event.error_declaration)
        if isinstance(declaration.get("reason"), str):
            declaration["reason"] = ERROR_REASONS.json_value(declaration["reason"])
        out["errorDeclaration"] = declaration
    if event.action is not None:
        out["action"] = event.action.value
    if event.parent_id is not None:
        out["parentID"] = event.parent_id
    needs_epc_list = event.type is EventType.TRANSACTION or (
        event.type is EventType.OBJECT
        and not (event.sensor_element_list and event.read_point is not None)
    )
    if event.epc_list or (needs_epc_list and not event.quantity_list):
        # The schema wants an epcList, even empty, where nothing else names what was seen.
        out["epcList"] = list(event.epc_list)
    lists = {
        "quantityList": _quantities(event.quantity_list),
        "childEPCs": list(event.child_epcs),
        "childQuantityList": _quantities(event.child_quantity_list),
        "inputEPCList": list(event.input_epc_list),
        "inputQuantityList": _quantities(event.input_quantity_list),
        "outputEPCList": list(event.output_epc_list),
        "outputQuantityList": _quantities(event.output_quantity_list),
    }
    out.update({key: value for key, value in lists.items() if value})
    optional: dict[str, Any] = {
        "transformationID": event.transformation_id,
        "bizStep": event.biz_step and BIZ_STEPS.json_value(event.biz_step),
        "disposition": event.disposition and DISPOSITIONS.json_value(event.disposition),
        "persistentDisposition": _persistent(event.persistent_disposition),
        "readPoint": _location(event.read_point, event.read_point_extensions, "read_point", record),
        "bizLocation": _location(
            event.biz_location, event.biz_location_extensions, "biz_location", record
        ),
        "bizTransactionList": [
            {"type": BIZ_TRANSACTION_TYPES.json_value(t.type), "bizTransaction": t.id}
            if t.type is not None
            else {"bizTransaction": t.id}
            for t in event.biz_transaction_list
        ],
        "sourceList": [
            {"type": SOURCE_DEST_TYPES.json_value(s.type), "source": s.id}
            for s in event.source_list
        ],
        "destinationList": [
            {"type": SOURCE_DEST_TYPES.json_value(d.type), "destination": d.id}
            for d in event.destination_list
        ],
        "sensorElementList": list(event.sensor_element_list),
        "ilmd": _ilmd(event, record),
    }
    out.update({key: value for key, value in optional.items() if value not in (None, [])})
    allowed = COMMON_FIELDS | TYPE_FIELDS[event.type]
    for key in out:
        if key not in allowed:
            raise InvalidInput(f"{event.type.value} has no field {key!r}", record=record, field=key)
    for key, value in event.extensions.items():
        if key in STANDARD_FIELDS:
            raise InvalidInput(
                "an extension may not reuse the name of a standard EPCIS field",
                record=record,
                field=f"extensions.{key}",
            )
        out[key] = value
    return out


def _location(
    ident: str | None, extensions: Mapping[str, Any], name: str, record: str
) -> dict[str, Any] | None:
    """A ``readPoint`` or ``bizLocation`` object: the ``id``, then its extensions verbatim."""
    if ident is None:
        if extensions:
            raise InvalidInput(
                f"{name}_extensions are given without a {name}",
                record=record,
                field=f"{name}_extensions",
            )
        return None
    if "id" in extensions:
        raise InvalidInput(
            f"a location extension may not be called 'id'; that is the {name} itself",
            record=record,
            field=f"{name}_extensions.id",
        )
    return {"id": ident, **extensions}


def _persistent(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    out = dict(value)
    for key in ("set", "unset"):
        if isinstance(out.get(key), list):
            out[key] = [DISPOSITIONS.json_value(v) if isinstance(v, str) else v for v in out[key]]
    return out


def _declared_namespaces(
    events: tuple[CustodyEvent, ...], extra: Mapping[str, str] | None
) -> dict[str, str]:
    """The union of the events' prefixes and ``extra``; a prefix bound to two IRIs is refused."""
    declared: dict[str, str] = {}
    sources = [(f"event {e.event_id}", e.namespaces) for e in events]
    sources.append(("the namespaces argument", dict(extra or {})))
    for origin, namespaces in sources:
        for prefix, iri in namespaces.items():
            if declared.setdefault(prefix, iri) != iri:
                raise InvalidInput(
                    f"prefix {prefix!r} is bound to {declared[prefix]!r} and, in {origin}, "
                    f"to {iri!r}; one document can declare only one",
                    field="@context",
                )
    return declared


def write_epcis(
    events: Iterable[CustodyEvent],
    *,
    document_id: str | None = None,
    creation_date: datetime | None = None,
    namespaces: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A full EPCIS 2.0 JSON-LD ``EPCISDocument`` holding ``events``, ready for ``json.dumps``.

    ``@context`` declares the standard EPCIS context plus every extension prefix the events
    came with and those in ``namespaces``; ``ore`` is added where the ``ore:`` mineral terms are
    written without a declaration. ``creation_date`` defaults to now.
    """
    chosen = tuple(events)
    declared = _declared_namespaces(chosen, namespaces)
    event_list = [event_to_json(event) for event in chosen]
    uses_ore = any(
        key.split(":", 1)[0] == "ore" and key.split(":", 1)[1] in ORE_TERMS
        for item in event_list
        for key in item.get("ilmd", {})
        if ":" in key
    )
    if uses_ore and "ore" not in declared:
        declared["ore"] = ORE_NAMESPACE
    created = creation_date or datetime.now(UTC)
    if created.utcoffset() is None:
        raise InvalidInput("the creation date must carry a UTC offset", field="creationDate")
    context: list[Any] = [EPCIS_CONTEXT_URL]
    if declared:
        context.append(dict(sorted(declared.items())))
    document: dict[str, Any] = {"@context": context}
    if document_id is not None:
        document["id"] = document_id
    document.update(
        {
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": format_time(created),
            "epcisBody": {"eventList": event_list},
        }
    )
    return document
