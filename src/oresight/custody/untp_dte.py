"""Custody events as a UNTP Digital Traceability Event (DTE) credential, version 0.6.0.

The UN Transparency Protocol's DTE is a W3C Verifiable Credential 2.0 whose ``credentialSubject``
is a list of events that mirror the five EPCIS 2.0 event types. :func:`dte_credential` maps
:class:`CustodyEvent` objects onto the DTE 0.6.0 JSON schema (tests-untp,
``digitalTraceabilityEvent/v0.6.0/schema.json``):

* ``id`` is the event id (a URI); ``eventTime`` is written in the event's own time zone offset;
  ``action`` in lower case; ``bizStep``, ``disposition`` and the transaction's ``bizTransaction``
  (a business transaction *type*) as CBV 2.0 URIs, as the UNTP samples write them;
* ``bizLocation`` is the business location, else the read point (DTE has no read point);
* EPC lists become ``Item`` objects and quantity lists ``QuantityElement`` objects, each with a
  name: the caller's, else one made from the ``ore:`` lot master data of the event that produced
  the lot (``Cobalt concentrate, 12.5 % Co``), else the identifier itself;
* a TransactionEvent's ``sourceParty``/``destinationParty`` come from its source and destination
  lists, the owning party first;
* sensor reports with a numeric ``value`` become DTE ``SensorData``.

DTE 0.6.0 has no place for, and so the credential leaves out: the read point where a business
location is given, the source and destination lists of events other than transactions, business
transaction ids (only the first type is kept), a transaction's ``parentID``, ``ilmd`` (beyond the
product names), ``persistentDisposition``, ``certificationInfo``, ``errorDeclaration``,
``recordTime``, sensor reports without a numeric value, and vendor extensions.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from oresight.core.custody import Action, CustodyEvent, EventType, QuantityElement
from oresight.core.errors import InvalidInput
from oresight.core.minerals import MINERALS
from oresight.custody.epcis_fields import parse_time
from oresight.custody.vc_jose import VC_V2_CONTEXT
from oresight.custody.vocabulary import (
    BIZ_STEPS,
    BIZ_TRANSACTION_TYPES,
    DISPOSITIONS,
    SOURCE_DEST_TYPES,
    STANDARD_PREFIXES,
    Vocabulary,
)

UNTP_DTE_VERSION = "0.6.0"
"""The UNTP DTE version whose schema the credentials follow."""

UNTP_DTE_CONTEXT = f"https://test.uncefact.org/vocabulary/untp/dte/{UNTP_DTE_VERSION}/"
"""The DTE JSON-LD context; the schema fixes it as the second ``@context`` entry."""

CREDENTIAL_TYPES = ("DigitalTraceabilityEvent", "VerifiableCredential")

# Fixed namespace of the credential ids, so that the same issuer and events always give the same
# urn:uuid (RFC 9562 section 5.5, name-based UUID with SHA-1).
_CREDENTIAL_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://w3id.org/oresight/untp-dte")

# An absolute URI (RFC 3986 section 4.3): a scheme, a colon, then no whitespace or characters that
# RFC 3986 never allows. The DTE schema gives identifiers "format": "uri".
_ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+")
_ISSUER_URI = re.compile(r"(did:[a-z0-9]+:\S+|https?://\S+)")
_MAX_OFFSET = timedelta(hours=14)  # RFC 3339 offsets, as the DTE validFrom pattern allows them
_GS1_VOCABULARY = STANDARD_PREFIXES["gs1"]
_PARTY_ROLES = ("owning_party", "possessing_party")


def dte_credential(
    events: Sequence[CustodyEvent],
    *,
    issuer_id: str,
    issuer_name: str,
    valid_from: datetime,
    product_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A UNTP DTE credential (not yet secured) holding ``events`` as its subject, in order.

    ``issuer_id`` is a DID or an http(s) URL; ``valid_from`` must carry a UTC offset.
    ``product_names`` maps an EPC or class identifier to the name its ``Item`` or
    ``QuantityElement`` gets. The credential ``id`` is a ``urn:uuid`` derived from the issuer and
    the set of event ids, so exporting the same events again gives the same id. Raises
    :class:`InvalidInput` for an event that DTE cannot express (an identifier that is not a URI, a
    quantity without an amount, a transaction without a source or destination party).
    """
    if not events:
        raise InvalidInput("a traceability event credential needs at least one event")
    if not isinstance(issuer_id, str) or not _ISSUER_URI.fullmatch(issuer_id):
        raise InvalidInput(
            f"expected a DID (did:web:...) or an http(s) URL, found {issuer_id!r}",
            field="issuer_id",
        )
    if not issuer_name.strip():
        raise InvalidInput("expected the issuer's name, found an empty string", field="issuer_name")
    if valid_from.utcoffset() is None:
        raise InvalidInput("valid_from must carry a UTC offset", field="valid_from")
    ids = [event.event_id for event in events]
    repeated = sorted(ident for ident, count in Counter(ids).items() if count > 1)
    if repeated:
        raise InvalidInput(f"events repeat the same event id: {repeated}", field="events")
    names = _product_names(events)
    names.update(product_names or {})
    subject = [_event(event, names) for event in events]
    return {
        "@context": [VC_V2_CONTEXT, UNTP_DTE_CONTEXT],
        "type": list(CREDENTIAL_TYPES),
        "id": credential_id(issuer_id, ids),
        "issuer": {"type": ["CredentialIssuer"], "id": issuer_id, "name": issuer_name},
        "validFrom": rfc3339(valid_from),
        "credentialSubject": subject,
    }


def credential_id(issuer_id: str, event_ids: Iterable[str]) -> str:
    """The ``urn:uuid`` of the credential that ``issuer_id`` issues for these events (any order)."""
    name = "\n".join([issuer_id, *sorted(event_ids)])
    return uuid.uuid5(_CREDENTIAL_ID_NAMESPACE, name).urn


def rfc3339(value: datetime) -> str:
    """An aware datetime as RFC 3339 with its offset (``Z`` for UTC), seconds or finer.

    An offset that RFC 3339 cannot write (seconds in it, or beyond +-14:00) is written in UTC,
    which keeps the instant.
    """
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("time must carry a UTC offset")
    if offset.total_seconds() % 60 or abs(offset) > _MAX_OFFSET:
        value = value.astimezone(UTC)
    text = value.isoformat(timespec="seconds" if value.microsecond == 0 else "microseconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _product_names(events: Sequence[CustodyEvent]) -> dict[str, str]:
    """Names of the lots that events in the set produced with ``ore:`` lot master data."""
    names: dict[str, str] = {}
    for event in events:
        master = event.lot_master
        if master is None or master.mineral is None:
            continue
        info = MINERALS[master.mineral]
        name = info.label + (f" {master.form.value}" if master.form is not None else "")
        if master.grade_percent is not None:
            name += f", {master.grade_percent:g} % {info.element}"
        for ident in event.produced():
            names.setdefault(ident, name)
    return names


class _EventMapper:
    """Maps one event, raising errors located at the event and the DTE field."""

    def __init__(self, event: CustodyEvent, names: Mapping[str, str]) -> None:
        self.event = event
        self.names = names
        self.record = f"event {event.event_id}"

    def error(self, message: str, field: str) -> InvalidInput:
        return InvalidInput(message, record=self.record, field=field)

    def uri(self, value: str, field: str) -> str:
        if not _ABSOLUTE_URI.fullmatch(value):
            raise self.error(f"UNTP DTE needs an absolute URI here, found {value!r}", field)
        return value

    def term(self, vocabulary: Vocabulary, value: str, field: str) -> str:
        """A CBV term as its CBV 2.0 URI; a company's own URI as it is."""
        if vocabulary.short_name(value) is not None:
            return vocabulary.uri(value)
        return self.uri(value, field)

    def item(self, ident: str, field: str) -> dict[str, Any]:
        return {
            "type": ["Item"],
            "id": self.uri(ident, f"{field}.id"),
            "name": self.names.get(ident, ident),
        }

    def items(self, idents: tuple[str, ...], field: str) -> list[dict[str, Any]]:
        return [self.item(ident, f"{field}[{i}]") for i, ident in enumerate(idents)]

    def quantities(self, elements: tuple[QuantityElement, ...], field: str) -> list[dict[str, Any]]:
        out = []
        for i, element in enumerate(elements):
            where = f"{field}[{i}]"
            if element.quantity is None:
                raise self.error(
                    f"UNTP DTE needs a quantity for {element.epc_class}; the event gives none",
                    f"{where}.quantity",
                )
            entry: dict[str, Any] = {
                "type": ["QuantityElement"],
                "productId": self.uri(element.epc_class, f"{where}.productId"),
                "productName": self.names.get(element.epc_class, element.epc_class),
                "quantity": element.quantity,
            }
            if element.uom is not None:
                entry["uom"] = element.uom
            out.append(entry)
        return out

    def party(self, entries: Iterable[tuple[str, str]], field: str) -> str:
        """The owning party of a source or destination list, else its possessing party."""
        by_role: dict[str, str] = {}
        for kind, ident in entries:
            role = SOURCE_DEST_TYPES.short_name(kind)
            if role is not None:
                by_role.setdefault(role, ident)
        for role in _PARTY_ROLES:
            if role in by_role:
                return by_role[role]
        raise self.error(
            "a UNTP TransactionEvent needs an owning or possessing party here; the event's "
            "list names none",
            field,
        )


def _event(event: CustodyEvent, names: Mapping[str, str]) -> dict[str, Any]:
    """One event as a DTE event object."""
    mapper = _EventMapper(event, names)
    out: dict[str, Any] = {
        "type": [event.type.value, "Event"],
        "id": mapper.uri(event.event_id, "id"),
        "eventTime": rfc3339(_local_time(event)),
    }
    if event.action is not None and event.type is not EventType.TRANSFORMATION:
        out["action"] = _ACTIONS[event.action]
    if event.disposition is not None:
        out["disposition"] = mapper.term(DISPOSITIONS, event.disposition, "disposition")
    if event.biz_step is not None:
        out["bizStep"] = mapper.term(BIZ_STEPS, event.biz_step, "bizStep")
    location = event.location()
    if location is not None:
        out["bizLocation"] = mapper.uri(location, "bizLocation")
    out.update(_TYPE_FIELDS[event.type](mapper))
    sensors = [_sensor_element(mapper, raw, i) for i, raw in enumerate(event.sensor_element_list)]
    if any(sensors):
        out["sensorElementList"] = [sensor for sensor in sensors if sensor]
    return {key: value for key, value in out.items() if value != []}


_ACTIONS = {Action.ADD: "add", Action.OBSERVE: "observe", Action.DELETE: "delete"}


def _local_time(event: CustodyEvent) -> datetime:
    """The event time in the event's own offset (``eventTimeZoneOffset``), as EPCIS means it."""
    sign = -1 if event.event_time_zone_offset.startswith("-") else 1
    hours, minutes = event.event_time_zone_offset[1:].split(":")
    offset = sign * timedelta(hours=int(hours), minutes=int(minutes))
    if abs(offset) > _MAX_OFFSET:
        return event.event_time
    return event.event_time.astimezone(timezone(offset))


def _object_fields(m: _EventMapper) -> dict[str, Any]:
    return {
        "epcList": m.items(m.event.epc_list, "epcList"),
        "quantityList": m.quantities(m.event.quantity_list, "quantityList"),
    }


def _transaction_fields(m: _EventMapper) -> dict[str, Any]:
    out = _object_fields(m)
    out["sourceParty"] = m.party(((s.type, s.id) for s in m.event.source_list), "sourceParty")
    out["destinationParty"] = m.party(
        ((d.type, d.id) for d in m.event.destination_list), "destinationParty"
    )
    typed = [t.type for t in m.event.biz_transaction_list if t.type is not None]
    if typed:
        out["bizTransaction"] = m.term(BIZ_TRANSACTION_TYPES, typed[0], "bizTransaction")
    return out


def _parent_child_fields(m: _EventMapper) -> dict[str, Any]:
    out: dict[str, Any] = {
        "childEPCList": m.items(m.event.child_epcs, "childEPCList"),
        "childQuantityList": m.quantities(m.event.child_quantity_list, "childQuantityList"),
    }
    if m.event.parent_id is not None:
        out["parentEPC"] = m.item(m.event.parent_id, "parentEPC")
    return out


def _transformation_fields(m: _EventMapper) -> dict[str, Any]:
    e = m.event
    return {
        "inputEPCList": m.items(e.input_epc_list, "inputEPCList"),
        "inputQuantityList": m.quantities(e.input_quantity_list, "inputQuantityList"),
        "outputEPCList": m.items(e.output_epc_list, "outputEPCList"),
        "outputQuantityList": m.quantities(e.output_quantity_list, "outputQuantityList"),
    }


_TYPE_FIELDS: dict[EventType, Callable[[_EventMapper], dict[str, Any]]] = {
    EventType.OBJECT: _object_fields,
    EventType.TRANSACTION: _transaction_fields,
    EventType.AGGREGATION: _parent_child_fields,
    EventType.ASSOCIATION: _parent_child_fields,
    EventType.TRANSFORMATION: _transformation_fields,
}


def _sensor_element(m: _EventMapper, raw: Mapping[str, Any], index: int) -> dict[str, Any]:
    """An EPCIS sensor element as a DTE ``SensorElement``; empty when nothing maps."""
    where = f"sensorElementList[{index}]"
    metadata = raw.get("sensorMetadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    out: dict[str, Any] = {}
    sensor: dict[str, Any] = {}
    if isinstance(metadata.get("deviceID"), str):
        sensor["device"] = m.item(metadata["deviceID"], f"{where}.sensorMetadata.device")
    if isinstance(metadata.get("dataProcessingMethod"), str):
        sensor["dataProcessingMethod"] = m.uri(
            metadata["dataProcessingMethod"], f"{where}.sensorMetadata.dataProcessingMethod"
        )
    if sensor:
        out["sensorMetadata"] = {"type": ["Sensor"], **sensor}
    reports = raw.get("sensorReport")
    readings = []
    for i, report in enumerate(reports if isinstance(reports, list) else []):
        if isinstance(report, Mapping):
            reading = _sensor_data(m, report, metadata, f"{where}.sensorReport[{i}]")
            if reading:
                readings.append(reading)
    if readings:
        out["sensorReport"] = readings
    return {"type": ["SensorElement"], **out} if out else {}


def _sensor_data(
    m: _EventMapper, report: Mapping[str, Any], metadata: Mapping[str, Any], where: str
) -> dict[str, Any]:
    """One sensor report as DTE ``SensorData``; empty when it holds no numeric value."""
    value = report.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return {}
    out: dict[str, Any] = {"type": ["SensorData"]}
    # A report without its own time was taken at the time its sensor metadata gives.
    raw_time = report.get("time", metadata.get("time"))
    if raw_time is not None:
        try:
            out["time"] = rfc3339(parse_time(raw_time))
        except ValueError as exc:
            raise m.error(str(exc), f"{where}.time") from None
    kind = report.get("type")
    if isinstance(kind, str):
        out["sensorType"] = m.uri(_expand_gs1(kind), f"{where}.sensorType")
    out["value"] = value
    if isinstance(report.get("uom"), str):
        out["uom"] = report["uom"]
    return out


def _expand_gs1(term: str) -> str:
    """A sensor type as a full URI: ``gs1:Temperature`` and bare ``Temperature`` are GS1 terms."""
    if term.startswith("gs1:"):
        return _GS1_VOCABULARY + term[len("gs1:") :]
    if ":" not in term:
        return _GS1_VOCABULARY + term
    return term
