"""The custody graph: lots, containers, transformations and custody changes read from events.

Where :mod:`oresight.custody.lineage` keeps, per identifier, the events that create, move and
consume it, the graph also records what quantitative rules need:

- every sighting of an identifier (where, when, what the event did to it, the quantity it gave);
- which containers held which lots, and from when to when (aggregation and disaggregation);
- transformations as records of input and output quantities, one per EPCIS ``transformationID``
  (several events sharing an id form one transformation: inputs recorded in one, outputs in
  another), else one per event;
- changes of owner and possessor, from the events' source and destination lists.

The graph only reads: it never judges whether the record is plausible. Events may come in any
order; everything is kept in time order (event time, then event id).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from oresight.core.custody import (
    Action,
    CustodyEvent,
    EventType,
    LotMasterData,
    QuantityElement,
    SourceDestination,
)
from oresight.core.parties import PartyRole
from oresight.custody.lineage import is_pattern, moved, originated
from oresight.custody.vocabulary import normalise_biz_step


class SightingRole(StrEnum):
    """What an event did to an identifier it mentions."""

    ORIGIN = "origin"
    MOVEMENT = "movement"
    CONSUMPTION = "consumption"
    AGGREGATION = "aggregation"
    DISAGGREGATION = "disaggregation"
    OBSERVATION = "observation"


@dataclass(frozen=True)
class Flow:
    """An identifier an event lists, with the quantity entry it gave (``None`` for a bare EPC)."""

    identifier: str
    quantity: QuantityElement | None
    event_id: str


@dataclass(frozen=True)
class Sighting:
    """One event that mentions an identifier: when, where, and in which role."""

    event_id: str
    time: datetime
    location: str | None
    role: SightingRole
    biz_step: str | None
    quantity: QuantityElement | None


@dataclass(frozen=True)
class CustodyChange:
    """A change of owning or possessing party that an event records for the identifiers it lists."""

    event_id: str
    time: datetime
    location: str | None
    role: PartyRole
    identifiers: tuple[str, ...]
    before: tuple[str, ...]
    """Parties of this role in the source list (empty when the event names none)."""
    after: tuple[str, ...]
    """Parties of this role in the destination list."""


@dataclass
class Membership:
    """A lot (or object) held in a container from one aggregation event until another."""

    parent: str
    child: str
    quantity: QuantityElement | None
    added_event: str
    added_at: datetime
    removed_event: str | None = None
    removed_at: datetime | None = None

    def held_at(self, when: datetime) -> bool:
        """Whether the child was in the container at ``when``."""
        return self.added_at <= when and (self.removed_at is None or when < self.removed_at)


@dataclass(frozen=True)
class Transformation:
    """One transformation: what went in, what came out, where and when."""

    key: str
    """The EPCIS ``transformationID``, else the id of the one event that records it."""
    events: tuple[CustodyEvent, ...]
    inputs: tuple[Flow, ...]
    outputs: tuple[Flow, ...]

    @property
    def main_event(self) -> CustodyEvent:
        """The event that records the outputs (the first such), else the first event."""
        return next((e for e in self.events if e.produced()), self.events[0])

    @property
    def location(self) -> str | None:
        """Where the transformation happened: the location of its main event."""
        return self.main_event.location()

    @property
    def started_at(self) -> datetime:
        """Time of its first event."""
        return self.events[0].event_time

    @property
    def time(self) -> datetime:
        """Time of its last event, when the outputs exist."""
        return self.events[-1].event_time

    @property
    def output_master(self) -> LotMasterData | None:
        """The ``ore:`` master data of the outputs (EPCIS carries one ``ilmd`` per event)."""
        return next((e.lot_master for e in self.events if e.produced() and e.lot_master), None)


@dataclass
class LotNode:
    """Everything the record says about one identifier (a lot, an object or a container)."""

    identifier: str
    origins: list[CustodyEvent] = field(default_factory=list)
    sightings: list[Sighting] = field(default_factory=list)
    produced_by: list[str] = field(default_factory=list)
    """Keys of the transformations that output it."""
    consumed_by: list[str] = field(default_factory=list)
    """Keys of the transformations that consumed it."""
    held_in: list[Membership] = field(default_factory=list)
    """Containers it was packed into."""
    holds: list[Membership] = field(default_factory=list)
    """What was packed into it, when it is a container."""
    custody: list[CustodyChange] = field(default_factory=list)

    @property
    def origin(self) -> CustodyEvent | None:
        """The earliest event that records the identifier's creation."""
        return self.origins[0] if self.origins else None

    @property
    def master(self) -> LotMasterData | None:
        """The ``ore:`` master data given where the identifier was created."""
        origin = self.origin
        return origin.lot_master if origin is not None else None

    def declared_quantity(self) -> QuantityElement | None:
        """The quantity its origin event gave for it, where it gave one."""
        origin = self.origin
        return origin.quantities().get(self.identifier) if origin is not None else None

    def first_use(self) -> Sighting | None:
        """Its first movement or consumption."""
        uses = (SightingRole.MOVEMENT, SightingRole.CONSUMPTION)
        return next((s for s in self.sightings if s.role in uses), None)

    def party_at(self, role: PartyRole, when: datetime) -> tuple[str, ...]:
        """Parties holding ``role`` (owner or possessor) after the last change up to ``when``."""
        changes = [c for c in self.custody if c.role is role and c.time <= when]
        return changes[-1].after if changes else ()


def _order(event: CustodyEvent) -> tuple[datetime, str]:
    return (event.event_time, event.event_id)


def _flows(
    event: CustodyEvent, epcs: tuple[str, ...], entries: tuple[QuantityElement, ...]
) -> tuple[Flow, ...]:
    bare = tuple(Flow(epc, None, event.event_id) for epc in epcs)
    return bare + tuple(Flow(q.epc_class, q, event.event_id) for q in entries)


def input_flows(event: CustodyEvent) -> tuple[Flow, ...]:
    """The inputs a transformation event lists."""
    return _flows(event, event.input_epc_list, event.input_quantity_list)


def output_flows(event: CustodyEvent) -> tuple[Flow, ...]:
    """The outputs a transformation event lists."""
    return _flows(event, event.output_epc_list, event.output_quantity_list)


def _role(event: CustodyEvent, identifier: str) -> SightingRole:
    if identifier in originated(event):
        return SightingRole.ORIGIN
    if event.type is EventType.TRANSFORMATION and identifier in event.consumed():
        return SightingRole.CONSUMPTION
    if identifier in moved(event):
        return SightingRole.MOVEMENT
    if event.type is EventType.AGGREGATION and identifier != event.parent_id:
        if event.action is Action.ADD:
            return SightingRole.AGGREGATION
        if event.action is Action.DELETE:
            return SightingRole.DISAGGREGATION
    return SightingRole.OBSERVATION


def _parties(entries: tuple[SourceDestination, ...], role: PartyRole) -> tuple[str, ...]:
    # The same reading of CBV source/destination types as CustodyEvent.party_refs.
    return tuple(
        e.id for e in entries if e.type.rsplit("-", 1)[-1].rsplit(":", 1)[-1] == role.value
    )


class CustodyGraph:
    """Lots, containers and transformations of a custody record, in time order."""

    def __init__(self, events: Iterable[CustodyEvent]) -> None:
        self.events: dict[str, CustodyEvent] = {}
        self.lots: dict[str, LotNode] = {}
        self.transformations: dict[str, Transformation] = {}
        grouped: dict[str, list[CustodyEvent]] = {}
        for event in sorted(events, key=_order):
            self.events.setdefault(event.event_id, event)
            self._read(event)
            if event.type is EventType.TRANSFORMATION:
                grouped.setdefault(event.transformation_id or event.event_id, []).append(event)
        records = [self._transformation(key, group) for key, group in grouped.items()]
        for record in sorted(records, key=lambda t: (t.time, t.key)):
            self.transformations[record.key] = record
            for flow in record.inputs:
                self.node(flow.identifier).consumed_by.append(record.key)
            for flow in record.outputs:
                self.node(flow.identifier).produced_by.append(record.key)

    def node(self, identifier: str) -> LotNode:
        """The node of ``identifier``, created empty when the record never mentioned it."""
        if identifier not in self.lots:
            self.lots[identifier] = LotNode(identifier)
        return self.lots[identifier]

    def _read(self, event: CustodyEvent) -> None:
        quantities = event.quantities() | {q.epc_class: q for q in event.input_quantity_list}
        listed = tuple(i for i in event.touched() if not is_pattern(i))
        for identifier in listed:
            node = self.node(identifier)
            role = _role(event, identifier)
            if role is SightingRole.ORIGIN:
                node.origins.append(event)
            node.sightings.append(
                Sighting(
                    event.event_id,
                    event.event_time,
                    event.location(),
                    role,
                    normalise_biz_step(event.biz_step),
                    quantities.get(identifier),
                )
            )
        for party_role in (PartyRole.OWNING_PARTY, PartyRole.POSSESSING_PARTY):
            self._record_custody(event, party_role, listed)
        if event.type is EventType.AGGREGATION and event.parent_id:
            self._aggregate(event, event.parent_id)

    def _record_custody(
        self, event: CustodyEvent, role: PartyRole, identifiers: tuple[str, ...]
    ) -> None:
        after = _parties(event.destination_list, role)
        before = _parties(event.source_list, role)
        if not after:
            return
        change = CustodyChange(
            event.event_id, event.event_time, event.location(), role, identifiers, before, after
        )
        for identifier in identifiers:
            node = self.node(identifier)
            # The first naming of a holder counts as a change: it is where custody starts.
            known = any(c.role is role for c in node.custody)
            if set(after) != set(before) or not known:
                node.custody.append(change)

    def _aggregate(self, event: CustodyEvent, parent: str) -> None:
        children = _flows(event, event.child_epcs, event.child_quantity_list)
        container = self.node(parent)
        if event.action is Action.ADD:
            for child in children:
                membership = Membership(
                    parent, child.identifier, child.quantity, event.event_id, event.event_time
                )
                container.holds.append(membership)
                self.node(child.identifier).held_in.append(membership)
        elif event.action is Action.DELETE:
            # A DELETE that lists no children empties the container (EPCIS 2.0, 7.4.3).
            named = {c.identifier for c in children}
            for membership in container.holds:
                if membership.removed_at is None and (not named or membership.child in named):
                    membership.removed_event = event.event_id
                    membership.removed_at = event.event_time

    @staticmethod
    def _transformation(key: str, events: list[CustodyEvent]) -> Transformation:
        inputs = tuple(f for e in events for f in input_flows(e))
        outputs = tuple(f for e in events for f in output_flows(e))
        return Transformation(key, tuple(events), inputs, outputs)

    def lot(self, identifier: str) -> LotNode | None:
        """The node of ``identifier``, or ``None`` when the record never mentions it."""
        return self.lots.get(identifier)

    def master_data(self, identifier: str) -> LotMasterData | None:
        """The ``ore:`` master data of a lot, from the event that created it."""
        node = self.lots.get(identifier)
        return node.master if node is not None else None

    def contents(self, container: str, when: datetime) -> tuple[Membership, ...]:
        """What ``container`` held at ``when``."""
        node = self.lots.get(container)
        if node is None:
            return ()
        return tuple(m for m in node.holds if m.held_at(when))

    def made_from(self, identifier: str) -> tuple[str, ...]:
        """The inputs of the transformations that produced ``identifier``."""
        node = self.lots.get(identifier)
        if node is None:
            return ()
        inputs = (
            flow.identifier for key in node.produced_by for flow in self.transformations[key].inputs
        )
        return tuple(dict.fromkeys(inputs))

    def ancestors(self, identifier: str) -> list[str]:
        """Every identifier that ``identifier`` was made from, directly or through further steps."""
        return self._walk(identifier, self.made_from)

    def descendants(self, identifier: str) -> list[str]:
        """Every identifier made from ``identifier``, directly or through further steps."""

        def made_into(current: str) -> tuple[str, ...]:
            node = self.lots.get(current)
            if node is None:
                return ()
            outputs = (
                flow.identifier
                for key in node.consumed_by
                for flow in self.transformations[key].outputs
            )
            return tuple(dict.fromkeys(outputs))

        return self._walk(identifier, made_into)

    @staticmethod
    def _walk(start: str, step: Callable[[str], tuple[str, ...]]) -> list[str]:
        seen: dict[str, None] = {}
        queue = list(step(start))
        while queue:
            current = queue.pop(0)
            if current in seen or current == start:
                continue
            seen[current] = None
            queue.extend(step(current))
        return list(seen)


def build_custody_graph(events: Iterable[CustodyEvent]) -> CustodyGraph:
    """Read the custody graph of ``events`` (any order)."""
    return CustodyGraph(events)
