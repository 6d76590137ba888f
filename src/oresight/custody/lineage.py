"""Lot lineage over custody events: where each identifier was created, moved and consumed.

The custody rules share one reading of the event stream: for every object or class identifier,
the events that originate it (commissioning, transformation output, aggregation into a new
container), the events that move it (shipping, receiving, border crossings...), and the
transformations that consume it.

Every rule of an assessment reads the same events, and a million of them take seconds to go
through, so what the rules share is read once (:class:`EventReading`: the events in time order,
the commissioning events, the lineage) and the last reading is kept: :func:`read_events` (and
:func:`build_lineage`) given the very same event objects in the same order return it again. It
is only read, never changed, by the rules; it holds its events until the next reading replaces
it. While the lineage is built, the cyclic garbage collector is paused
(:func:`~oresight.core.collector.paused_gc`).
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from oresight.core.collector import paused_gc
from oresight.core.custody import Action, CustodyEvent, EventType, Lot
from oresight.custody.vocabulary import normalise_biz_step

MOVEMENT_STEPS = frozenset(
    {
        "shipping",
        "receiving",
        "accepting",
        "departing",
        "arriving",
        "loading",
        "unloading",
        "transporting",
        "stocking",
        "storing",
    }
)
"""CBV business steps by which material changes place or hands."""


PATTERN_PREFIX = "urn:epc:idpat:"


def is_pattern(identifier: str) -> bool:
    """Whether an identifier is an EPC pattern (``urn:epc:idpat:...``), not an object or lot."""
    return identifier.startswith(PATTERN_PREFIX)


@dataclass
class LotTrail:
    """What the event stream says about one identifier."""

    identifier: str
    origins: list[CustodyEvent] = field(default_factory=list)
    movements: list[CustodyEvent] = field(default_factory=list)
    consumptions: list[CustodyEvent] = field(default_factory=list)

    def uses(self) -> list[CustodyEvent]:
        """Movements and consumptions, in time order."""
        return sorted(self.movements + self.consumptions, key=event_order)


@dataclass
class Lineage:
    """Trails of every identifier, and which identifiers each one became."""

    trails: dict[str, LotTrail]
    derived: dict[str, set[str]]
    """identifier -> identifiers produced by transformations that consumed it."""

    def descendants(self, identifier: str) -> list[str]:
        """Every identifier made, directly or through further steps, from ``identifier``."""
        seen: dict[str, None] = {}
        stack = sorted(self.derived.get(identifier, ()))
        while stack:
            current = stack.pop(0)
            if current in seen or current == identifier:
                continue
            seen[current] = None
            stack.extend(sorted(self.derived.get(current, ())))
        return list(seen)


def event_order(event: CustodyEvent) -> tuple[datetime, str]:
    """The sort key of time order: the event's instant, then its id.

    The same order as ``(event_time, event_id)``, faster to sort by: times in the offsets their
    events were written in are compared by converting both at every comparison, times in UTC
    field by field."""
    return (event.event_time.astimezone(UTC), event.event_id)


def _not_after(first: CustodyEvent, second: CustodyEvent) -> bool:
    """Whether ``first`` comes no later than ``second`` in time order (:func:`event_order`)."""
    if first.event_time != second.event_time:  # aware times compare as instants
        return first.event_time < second.event_time
    return first.event_id <= second.event_id


def originated(event: CustodyEvent) -> tuple[str, ...]:
    """Identifiers this event records the origin of."""
    if event.type is EventType.AGGREGATION and event.action is Action.ADD and event.parent_id:
        return (event.parent_id,)
    return event.produced()


def touched(event: CustodyEvent) -> tuple[str, ...]:
    """``event.touched()``: every identifier the event lists, each once, in order.

    Read straight from the two lists an ordinary observation or commissioning fills (epcList,
    quantityList) when the others are empty; the same answer, for a third of the time."""
    if (
        event.parent_id is None
        and not event.child_epcs
        and not event.child_quantity_list
        and not event.input_epc_list
        and not event.input_quantity_list
        and not event.output_epc_list
        and not event.output_quantity_list
    ):
        entries = event.quantity_list
        if not event.epc_list and len(entries) == 1:
            return (entries[0].epc_class,)
        ids = event.epc_list + tuple([q.epc_class for q in entries])
        return ids if len(ids) < 2 else tuple(dict.fromkeys(ids))
    return event.touched()


def moved(event: CustodyEvent) -> tuple[str, ...]:
    """Identifiers this event moves, when its business step is a movement."""
    if event.type is EventType.TRANSFORMATION:
        return ()
    if not is_movement_step(event.biz_step):
        return ()
    return touched(event)


def build_lineage(events: Iterable[CustodyEvent]) -> Lineage:
    """Read the trails of every identifier from ``events`` (any order).

    The same events again (the same objects, in the same order) give the same lineage object."""
    return read_events(events).lineage()


class EventReading:
    """What the rules read from one sequence of events, each part read once, when first asked."""

    def __init__(self, events: tuple[CustodyEvent, ...]) -> None:
        self.events = events
        self._ordered: list[CustodyEvent] | None = None
        self._commissioning: list[CustodyEvent] | None = None
        self._lineage: Lineage | None = None
        self._touched: list[tuple[str, ...]] | None = None
        self._ranks: dict[int, int] | None = None

    def ordered(self) -> list[CustodyEvent]:
        """The events in time order (:func:`event_order`)."""
        if self._ordered is None:
            events = self.events
            # A workspace gives its events in time order already: checking that costs a
            # comparison per event, sorting a key (a conversion to UTC) per event and more.
            if all(map(_not_after, events, events[1:])):
                self._ordered = list(events)
            else:
                self._ordered = sorted(events, key=event_order)
        return self._ordered

    def _rank_of(self) -> Callable[[CustodyEvent], int]:
        """Each event's place in :meth:`ordered`, by identity: a sort key that is read, not
        computed (the reading holds its events, so their identities stay theirs)."""
        if self._ranks is None:
            self._ranks = {id(event): rank for rank, event in enumerate(self.ordered())}
        ranks = self._ranks
        return lambda event: ranks[id(event)]

    def commissioning(self) -> list[CustodyEvent]:
        """The ObjectEvents ``ADD`` (commissioning: where lots come into being), in the order
        given: every event a rule about extraction has to look at."""
        if self._commissioning is None:
            kind, action = EventType.OBJECT, Action.ADD
            self._commissioning = [e for e in self.events if e.type is kind and e.action is action]
        return self._commissioning

    def in_time_order(self, events: Iterable[CustodyEvent]) -> list[CustodyEvent]:
        """Events of this reading once per event id (the last given of each), in time order."""
        by_id = {event.event_id: event for event in events}
        return sorted(by_id.values(), key=self._rank_of())

    def commissioning_in_time_order(self) -> list[CustodyEvent]:
        """:meth:`commissioning`, in time order."""
        return sorted(self.commissioning(), key=self._rank_of())

    def touched(self) -> list[tuple[str, ...]]:
        """What :func:`touched` says of each event, in time order (beside :meth:`ordered`)."""
        if self._touched is None:
            self._touched = [touched(event) for event in self.ordered()]
        return self._touched

    def lineage(self) -> Lineage:
        """The trails of every identifier."""
        if self._lineage is None:
            with paused_gc():
                # Every event's identifiers are read on the way: the custody graph wants them.
                self._lineage, self._touched = _read_lineage(self.ordered())
        return self._lineage


def read_events(events: Iterable[CustodyEvent]) -> EventReading:
    """The reading of ``events``: the same as last time when given the very same event objects
    in the same order (the rules of one assessment all read the same events)."""
    global _last
    recorded = tuple(events)
    if _last is not None and _same_objects(_last.events, recorded):
        return _last
    _last = EventReading(recorded)
    return _last


_last: EventReading | None = None
"""The reading made last."""


def forget_reading() -> None:
    """Let the last reading (and the events it holds) go: for the end of an assessment."""
    global _last
    _last = None


def _same_objects(kept: Sequence[CustodyEvent], given: Sequence[CustodyEvent]) -> bool:
    return len(kept) == len(given) and all(map(operator.is_, kept, given))


def _read_lineage(ordered: Sequence[CustodyEvent]) -> tuple[Lineage, list[tuple[str, ...]]]:
    """The lineage of time-ordered events, and what :func:`touched` says of each."""
    listed: list[tuple[str, ...]] = []
    trails: dict[str, LotTrail] = {}
    derived: dict[str, set[str]] = defaultdict(set)
    transformation, object_event, add = EventType.TRANSFORMATION, EventType.OBJECT, Action.ADD
    moving: dict[str | None, bool] = {}  # business step -> is_movement_step, read once each

    def trail(identifier: str) -> LotTrail:
        found = trails.get(identifier)
        if found is None:
            found = trails[identifier] = LotTrail(identifier)
        return found

    # The loop reads what originated(), moved() and consumption say, in the same order
    # (origins, then movements, then consumptions), without calling them per event.
    for event in ordered:
        identifiers = touched(event)
        listed.append(identifiers)
        kind = event.type
        if kind is transformation:
            produced = event.produced()
            for identifier in produced:
                trail(identifier).origins.append(event)
            for identifier in event.consumed():
                trail(identifier).consumptions.append(event)
                derived[identifier].update(produced)
            continue
        if kind is not object_event or event.action is add:  # else: originates nothing
            for identifier in originated(event):
                trail(identifier).origins.append(event)
        step = event.biz_step
        if step not in moving:
            moving[step] = is_movement_step(step)
        if moving[step]:
            for identifier in identifiers:
                trail(identifier).movements.append(event)
    lineage = Lineage(
        trails={k: v for k, v in trails.items() if not is_pattern(k)}, derived=dict(derived)
    )
    return lineage, listed


def is_movement_step(biz_step: str | None) -> bool:
    """Whether a business step (in any spelling) moves material: one of :data:`MOVEMENT_STEPS`."""
    return normalise_biz_step(biz_step) in MOVEMENT_STEPS


def lots_of(lineage: Lineage) -> list[Lot]:
    """Every identifier the record shows being created, as a :class:`Lot`, by id."""
    lots: list[Lot] = []
    for identifier in sorted(lineage.trails):
        trail = lineage.trails[identifier]
        if not trail.origins:
            continue
        origin = trail.origins[0]
        master = origin.lot_master
        entry = origin.quantities().get(identifier)
        lots.append(
            Lot(
                id=identifier,
                mineral=master.mineral if master else None,
                form=master.form if master else None,
                grade_percent=master.grade_percent if master else None,
                quantity=entry.as_quantity(master.grade_percent if master else None)
                if entry
                else None,
                origin_event_id=origin.event_id,
                origin_location=origin.location(),
                originated_at=origin.event_time,
                made_from=origin.consumed() if origin.type is EventType.TRANSFORMATION else (),
            )
        )
    return lots
