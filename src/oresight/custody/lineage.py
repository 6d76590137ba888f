"""Lot lineage over custody events: where each identifier was created, moved and consumed.

The custody rules share one reading of the event stream: for every object or class identifier,
the events that originate it (commissioning, transformation output, aggregation into a new
container), the events that move it (shipping, receiving, border crossings...), and the
transformations that consume it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

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


def is_pattern(identifier: str) -> bool:
    """Whether an identifier is an EPC pattern (``urn:epc:idpat:...``), not an object or lot."""
    return identifier.startswith("urn:epc:idpat:")


@dataclass
class LotTrail:
    """What the event stream says about one identifier."""

    identifier: str
    origins: list[CustodyEvent] = field(default_factory=list)
    movements: list[CustodyEvent] = field(default_factory=list)
    consumptions: list[CustodyEvent] = field(default_factory=list)

    def uses(self) -> list[CustodyEvent]:
        """Movements and consumptions, in time order."""
        return sorted(self.movements + self.consumptions, key=_event_order)


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


def _event_order(event: CustodyEvent) -> tuple[object, str]:
    return (event.event_time, event.event_id)


def originated(event: CustodyEvent) -> tuple[str, ...]:
    """Identifiers this event records the origin of."""
    if event.type is EventType.AGGREGATION and event.action is Action.ADD and event.parent_id:
        return (event.parent_id,)
    return event.produced()


def moved(event: CustodyEvent) -> tuple[str, ...]:
    """Identifiers this event moves, when its business step is a movement."""
    if event.type is EventType.TRANSFORMATION:
        return ()
    if normalise_biz_step(event.biz_step) not in MOVEMENT_STEPS:
        return ()
    return event.touched()


def build_lineage(events: Iterable[CustodyEvent]) -> Lineage:
    """Read the trails of every identifier from ``events`` (any order)."""
    trails: dict[str, LotTrail] = {}
    derived: dict[str, set[str]] = defaultdict(set)

    def trail(identifier: str) -> LotTrail:
        if identifier not in trails:
            trails[identifier] = LotTrail(identifier)
        return trails[identifier]

    for event in sorted(events, key=_event_order):
        for identifier in originated(event):
            trail(identifier).origins.append(event)
        for identifier in moved(event):
            trail(identifier).movements.append(event)
        consumed = event.consumed() if event.type is EventType.TRANSFORMATION else ()
        for identifier in consumed:
            trail(identifier).consumptions.append(event)
            derived[identifier].update(event.produced())
    return Lineage(
        trails={k: v for k, v in trails.items() if not is_pattern(k)}, derived=dict(derived)
    )


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
