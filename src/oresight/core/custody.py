"""Custody events (GS1 EPCIS 2.0) and the lot master data that oresight reads from them.

A :class:`CustodyEvent` holds every standard field of the five EPCIS 2.0 event types, with the
values as the source document gave them (CBV terms are not rewritten here), plus the extension
fields it did not recognise, verbatim, so that a document can be written back without loss.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from oresight.core.minerals import MaterialForm, Mineral
from oresight.core.parties import PartyRef, PartyRole
from oresight.core.units import Quantity

ORE_NAMESPACE = "https://w3id.org/oresight/epcis#"
"""IRI of oresight's EPCIS extension namespace (conventional prefix ``ore``)."""


class EventType(StrEnum):
    """The five EPCIS 2.0 event types."""

    OBJECT = "ObjectEvent"
    AGGREGATION = "AggregationEvent"
    TRANSACTION = "TransactionEvent"
    TRANSFORMATION = "TransformationEvent"
    ASSOCIATION = "AssociationEvent"


class Action(StrEnum):
    """EPCIS action: what the event did to the objects' lifecycle."""

    ADD = "ADD"
    OBSERVE = "OBSERVE"
    DELETE = "DELETE"


class QuantityElement(BaseModel):
    """One entry of an EPCIS quantity list: a class of objects and how much of it."""

    model_config = ConfigDict(frozen=True)

    epc_class: str = Field(min_length=1)
    quantity: float | None = Field(default=None, ge=0)
    uom: str | None = None

    def as_quantity(self, grade_percent: float | None = None) -> Quantity | None:
        """The amount as a :class:`Quantity`, or ``None`` when the entry has no quantity."""
        if self.quantity is None:
            return None
        return Quantity(value=self.quantity, unit=self.uom, grade_percent=grade_percent)


class SourceDestination(BaseModel):
    """An entry of an EPCIS ``sourceList``/``destinationList``: a typed party or location id."""

    model_config = ConfigDict(frozen=True)

    type: str = Field(min_length=1)
    id: str = Field(min_length=1)


class BizTransaction(BaseModel):
    """An entry of an EPCIS ``bizTransactionList``."""

    model_config = ConfigDict(frozen=True)

    type: str | None = None
    id: str = Field(min_length=1)


class LotMasterData(BaseModel):
    """What oresight reads from a lot's ``ilmd``: the ``ore:`` mineral extension."""

    model_config = ConfigDict(frozen=True)

    mineral: Mineral | None = None
    form: MaterialForm | None = None
    grade_percent: float | None = Field(default=None, ge=0, le=100)


class Lot(BaseModel):
    """A lot of mineral material, as the custody record establishes it at its origin.

    A lot is identified by an EPC class (``urn:epc:class:lgtin:...``) or an instance EPC; it comes
    into being at a commissioning event (extraction) or as the output of a transformation.
    """

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1)
    mineral: Mineral | None = None
    form: MaterialForm | None = None
    grade_percent: float | None = Field(default=None, ge=0, le=100)
    quantity: Quantity | None = None
    origin_event_id: str | None = None
    """The event that created the lot; ``None`` when the record holds none."""
    origin_location: str | None = None
    originated_at: datetime | None = None
    made_from: tuple[str, ...] = ()
    """Lots consumed by the transformation that produced this one."""


class CustodyEvent(BaseModel):
    """One EPCIS 2.0 event of any of the five types."""

    model_config = ConfigDict(frozen=True)

    event_id: str = Field(min_length=1)
    """The ``eventID``, or the CBV 2.0 canonical event hash where the document gave none."""
    event_id_declared: bool = True
    """False when ``event_id`` was computed as the canonical event hash."""
    type: EventType
    event_time: datetime
    event_time_zone_offset: str = Field(pattern=r"^[+-]\d{2}:\d{2}$")
    record_time: datetime | None = None
    action: Action | None = None
    biz_step: str | None = None
    disposition: str | None = None
    persistent_disposition: dict[str, Any] | None = None
    read_point: str | None = None
    """The ``id`` of the ``readPoint`` object."""
    read_point_extensions: dict[str, Any] = Field(default_factory=dict)
    """Keys of the ``readPoint`` object besides ``id`` (EPCIS 2.0 extensions), verbatim."""
    biz_location: str | None = None
    """The ``id`` of the ``bizLocation`` object."""
    biz_location_extensions: dict[str, Any] = Field(default_factory=dict)
    """Keys of the ``bizLocation`` object besides ``id`` (EPCIS 2.0 extensions), verbatim."""
    epc_list: tuple[str, ...] = ()
    quantity_list: tuple[QuantityElement, ...] = ()
    parent_id: str | None = None
    child_epcs: tuple[str, ...] = ()
    child_quantity_list: tuple[QuantityElement, ...] = ()
    input_epc_list: tuple[str, ...] = ()
    input_quantity_list: tuple[QuantityElement, ...] = ()
    output_epc_list: tuple[str, ...] = ()
    output_quantity_list: tuple[QuantityElement, ...] = ()
    transformation_id: str | None = None
    source_list: tuple[SourceDestination, ...] = ()
    destination_list: tuple[SourceDestination, ...] = ()
    biz_transaction_list: tuple[BizTransaction, ...] = ()
    ilmd: dict[str, Any] | None = None
    """Instance/lot master data, verbatim (including ``ore:`` keys)."""
    lot_master: LotMasterData | None = None
    """The ``ore:`` extension read from ``ilmd``, where present."""
    sensor_element_list: tuple[dict[str, Any], ...] = ()
    certification_info: str | tuple[str, ...] | None = None
    error_declaration: dict[str, Any] | None = None
    extensions: dict[str, Any] = Field(default_factory=dict)
    """Fields of the event that are not EPCIS standard fields (vendor extensions), verbatim."""
    namespaces: dict[str, str] = Field(default_factory=dict)
    """Prefix -> IRI of the non-standard prefixes the source document declared in ``@context``."""

    @field_validator("event_time", "record_time")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("time must carry a UTC offset or 'Z'")
        return value

    def consumed(self) -> tuple[str, ...]:
        """Identifiers (EPCs and EPC classes) this event consumes: transformation inputs."""
        return self.input_epc_list + tuple(q.epc_class for q in self.input_quantity_list)

    def produced(self) -> tuple[str, ...]:
        """Identifiers this event brings into being: transformation outputs, or ADD objects."""
        if self.type is EventType.TRANSFORMATION:
            return self.output_epc_list + tuple(q.epc_class for q in self.output_quantity_list)
        if self.type is EventType.OBJECT and self.action is Action.ADD:
            return self.epc_list + tuple(q.epc_class for q in self.quantity_list)
        return ()

    def touched(self) -> tuple[str, ...]:
        """Every object or class identifier the event mentions."""
        ids = (
            self.epc_list
            + tuple(q.epc_class for q in self.quantity_list)
            + self.child_epcs
            + tuple(q.epc_class for q in self.child_quantity_list)
            + self.consumed()
            + self.output_epc_list
            + tuple(q.epc_class for q in self.output_quantity_list)
        )
        if self.parent_id is not None:
            ids = (self.parent_id, *ids)
        return tuple(dict.fromkeys(ids))

    def quantities(self) -> dict[str, QuantityElement]:
        """Quantity entries of the event's own, child and output lists, by class identifier."""
        entries = self.quantity_list + self.child_quantity_list + self.output_quantity_list
        return {q.epc_class: q for q in entries}

    def party_refs(self) -> tuple[PartyRef, ...]:
        """Owning and possessing parties named in the source and destination lists."""
        refs: list[PartyRef] = []
        for entry in self.source_list + self.destination_list:
            role = entry.type.rsplit("-", 1)[-1].rsplit(":", 1)[-1]
            if role in (PartyRole.OWNING_PARTY, PartyRole.POSSESSING_PARTY):
                refs.append(PartyRef(role=PartyRole(role), party_id=entry.id))
        return tuple(refs)

    def location(self) -> str | None:
        """Where the event happened: the business location, else the read point."""
        return self.biz_location or self.read_point


class EPCISDocument(BaseModel):
    """An EPCIS document or query document, as read: its header and its events."""

    model_config = ConfigDict(frozen=True)

    kind: str = "EPCISDocument"
    """``EPCISDocument`` or ``EPCISQueryDocument``."""
    id: str | None = None
    schema_version: str = "2.0"
    creation_date: datetime | None = None
    namespaces: dict[str, str] = Field(default_factory=dict)
    events: tuple[CustodyEvent, ...] = ()
    header: dict[str, Any] = Field(default_factory=dict)
    """Other top-level fields (``epcisHeader``, ``sender``, query name, ...), verbatim."""
