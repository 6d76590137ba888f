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

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property

from oresight.core.collector import paused_gc
from oresight.core.custody import (
    Action,
    CustodyEvent,
    EventType,
    LotMasterData,
    QuantityElement,
    SourceDestination,
)
from oresight.core.parties import PartyRole
from oresight.custody.lineage import (
    PATTERN_PREFIX,
    is_movement_step,
    is_pattern,
    originated,
    read_events,
)
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

    @cached_property  # read by every check of the transformation; its events never change
    def main_event(self) -> CustodyEvent:
        """The event that records the outputs (the first such), else the first event."""
        return next((e for e in self.events if e.produced()), self.events[0])

    @cached_property
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


def _other_role(event: CustodyEvent, identifier: str) -> SightingRole:
    """The role of a listed identifier the event neither creates, consumes nor moves."""
    if event.type is EventType.AGGREGATION and identifier != event.parent_id:
        if event.action is Action.ADD:
            return SightingRole.AGGREGATION
        if event.action is Action.DELETE:
            return SightingRole.DISAGGREGATION
    return SightingRole.OBSERVATION


_is_pattern_id = operator.methodcaller("startswith", PATTERN_PREFIX)


class _Step:
    """A business step as written, read once: its CBV short name, and whether it moves."""

    def __init__(self, written: str | None) -> None:
        self.name = normalise_biz_step(written)
        self.moving = is_movement_step(written)


def _quantities(event: CustodyEvent) -> dict[str, QuantityElement]:
    """The quantity entry of each class the event lists (own, child, output, then input lists:
    a later list's entry wins), read straight from quantityList when the others are empty."""
    if event.child_quantity_list or event.output_quantity_list or event.input_quantity_list:
        return event.quantities() | {q.epc_class: q for q in event.input_quantity_list}
    return {q.epc_class: q for q in event.quantity_list}


_USES = frozenset({SightingRole.MOVEMENT, SightingRole.CONSUMPTION})
"""Roles of a sighting that use a lot (see :meth:`LotNode.first_use`)."""

_PARTY_ROLES = (PartyRole.OWNING_PARTY, PartyRole.POSSESSING_PARTY)
_ROLE_OF_TYPE: dict[str, str] = {}
"""Source/destination type spellings already read, and the role each names."""


def _parties(entries: tuple[SourceDestination, ...]) -> dict[str, tuple[str, ...]]:
    """The party ids of each role, in list order: the same reading of CBV source/destination
    types as CustodyEvent.party_refs."""
    found: dict[str, list[str]] = {}
    for entry in entries:
        role = _ROLE_OF_TYPE.get(entry.type)
        if role is None:
            role = entry.type.rsplit("-", 1)[-1].rsplit(":", 1)[-1]
            if len(_ROLE_OF_TYPE) < 4096:  # bounded: types are open-ended URIs
                _ROLE_OF_TYPE[entry.type] = role
        found.setdefault(role, []).append(entry.id)
    return {role: tuple(ids) for role, ids in found.items()}


class CustodyGraph:
    """Lots, containers and transformations of a custody record, in time order."""

    def __init__(
        self, events: Iterable[CustodyEvent], *, custody: bool = True, sightings: bool = True
    ) -> None:
        self.events: dict[str, CustodyEvent] = {}
        self.lots: dict[str, LotNode] = {}
        self.transformations: dict[str, Transformation] = {}
        self._custody = custody
        self._all_sightings = sightings
        self._steps: dict[str | None, _Step] = {}
        with paused_gc():
            self._read_all(events)

    def _read_all(self, events: Iterable[CustodyEvent]) -> None:
        grouped: dict[str, list[CustodyEvent]] = {}
        reading = read_events(events)
        for event, identifiers in zip(reading.ordered(), reading.touched(), strict=True):
            self.events.setdefault(event.event_id, event)
            self._read(event, identifiers)
            if event.type is EventType.TRANSFORMATION:
                grouped.setdefault(event.transformation_id or event.event_id, []).append(event)
        records = [self._transformation(key, group) for key, group in grouped.items()]
        for record in sorted(records, key=lambda t: (t.time.astimezone(UTC), t.key)):
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

    def _read(self, event: CustodyEvent, listed: tuple[str, ...]) -> None:
        """Record the event; ``listed``: what :func:`touched` says of it."""
        if any(map(_is_pattern_id, listed)):
            listed = tuple(i for i in listed if not is_pattern(i))
        if not listed:  # no sighting, no change of custody (it names no lot)
            if event.type is EventType.AGGREGATION and event.parent_id:
                self._aggregate(event, event.parent_id)
            return
        # The role of each identifier: origin, consumption, movement, in that precedence.
        created = originated(event)
        transformation = event.type is EventType.TRANSFORMATION
        consumed = event.consumed() if transformation else ()
        step = self._steps.get(event.biz_step)
        if step is None:
            step = self._steps[event.biz_step] = _Step(event.biz_step)
        # moved(event) is every identifier the event lists, or none: ask only which.
        moving = not transformation and step.moving
        lots = self.lots
        quantities: dict[str, QuantityElement] | None = None
        for identifier in listed:
            node = lots.get(identifier)
            if node is None:
                node = lots[identifier] = LotNode(identifier)
            if identifier in created:
                role = SightingRole.ORIGIN
                node.origins.append(event)
            elif identifier in consumed:
                role = SightingRole.CONSUMPTION
            elif moving:
                role = SightingRole.MOVEMENT
            else:
                role = _other_role(event, identifier)
            if not self._all_sightings and (node.sightings or role not in _USES):
                continue  # only the first use is kept
            if quantities is None:
                quantities = _quantities(event)
            node.sightings.append(
                Sighting(
                    event.event_id,
                    event.event_time,
                    event.location(),
                    role,
                    step.name,
                    quantities.get(identifier),
                )
            )
        if self._custody and event.destination_list:  # no destination: no change to record
            after = _parties(event.destination_list)
            before = _parties(event.source_list)
            for party_role in _PARTY_ROLES:
                self._record_custody(
                    event, party_role, listed, after.get(party_role, ()), before.get(party_role, ())
                )
        if event.type is EventType.AGGREGATION and event.parent_id:
            self._aggregate(event, event.parent_id)

    def _record_custody(
        self,
        event: CustodyEvent,
        role: PartyRole,
        identifiers: tuple[str, ...],
        after: tuple[str, ...],
        before: tuple[str, ...],
    ) -> None:
        if not after:
            return
        change = CustodyChange(
            event.event_id, event.event_time, event.location(), role, identifiers, before, after
        )
        changed = set(after) != set(before)
        for identifier in identifiers:
            node = self.node(identifier)
            # The first naming of a holder counts as a change: it is where custody starts.
            if changed or not any(c.role is role for c in node.custody):
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


def build_custody_graph(
    events: Iterable[CustodyEvent], *, custody: bool = True, sightings: bool = True
) -> CustodyGraph:
    """Read the custody graph of ``events`` (any order).

    For a reader that needs less, and a record of millions of events: with ``custody`` false,
    changes of owner and possessor are not read (every node's ``custody`` stays empty); with
    ``sightings`` false, a node keeps only its first movement or consumption (what
    :meth:`LotNode.first_use` answers), not every sighting."""
    return CustodyGraph(events, custody=custody, sightings=sightings)
