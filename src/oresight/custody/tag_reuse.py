"""CUSTODY.TAG_REUSE: a lot or tag identifier that comes into being twice, or outlives its lot.

Bag-tag schemes trust that one tag is one lot. They are weak where a tag can be used again
("tag laundering"): a tag bought or kept back is put on untraced material, which then travels as
the lot the tag was issued for. In the custody record that shows as:

1. the same identifier commissioned twice (an ObjectEvent ``ADD``, or a transformation output),
   at two different sites — the strongest sign — or twice at one site;
2. the identifier recorded again (shipped, received, consumed once more, or commissioned anew)
   after a transformation consumed the whole lot.

A transformation may use only part of a lot class and the rest travel on, so "the whole lot" is
judged from quantities: the lot is spent when the transformations have used all that its
commissioning recorded, less a residue (5 % by default) that absorbs weighing error. Instance
identifiers (one EPC, one bag) are always used whole. Where quantities are missing, the lot is
taken as spent, and the finding says that it could not tell a partial use, with a lower
confidence. Events within ``grace_hours`` of the consumption (clock differences) are not counted,
nor the other events of the same transformation (same ``transformationID``). Containers packed
again (an AggregationEvent ``ADD`` to an existing parent) are ordinary and not counted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from oresight.core.collector import paused_gc
from oresight.core.custody import CustodyEvent, EventType, QuantityElement
from oresight.core.errors import InvalidInput
from oresight.core.findings import (
    DataGap,
    Evidence,
    EvidenceKind,
    Finding,
    FindingCode,
    Period,
    RuleOutcome,
    Severity,
    Subject,
    SubjectType,
)
from oresight.core.sites import Site
from oresight.core.units import Dimension, lookup_unit
from oresight.custody.lineage import LotTrail, read_events
from oresight.custody.vocabulary import normalise_biz_step

RULE = "custody.tag_reuse"
RULE_VERSION = "1"
MAX_LISTED = 5
"""How many events an explanation names before it says "and N more"."""


@dataclass(frozen=True, kw_only=True)
class TagReuseParams:
    """How much noise the check absorbs.

    ``grace_hours``: events this close after the consuming transformation are not counted as
    later uses (clock differences between systems). ``residue_fraction``: the share of a lot's
    recorded quantity that may be left unused when a transformation has consumed "all" of it
    (weighing error of a few per cent on either side).
    """

    grace_hours: float = 1.0
    residue_fraction: float = 0.05

    def __post_init__(self) -> None:
        if not math.isfinite(self.grace_hours) or self.grace_hours < 0:
            raise InvalidInput(
                f"expected hours of 0 or more, found {self.grace_hours!r}", field="grace_hours"
            )
        if not 0 <= self.residue_fraction < 1:
            raise InvalidInput(
                f"expected a fraction from 0 up to 1, found {self.residue_fraction!r}",
                field="residue_fraction",
            )


@dataclass
class _Balance:
    """How much of a lot its creations recorded and its transformations used, in one unit."""

    unit: str | None = None
    created: float = 0.0
    used: float = 0.0
    known: bool = True

    def add(self, amount: tuple[str, float] | None, *, created: bool) -> None:
        if amount is None or (self.unit is not None and amount[0] != self.unit):
            self.known = False
            return
        self.unit = amount[0]
        if created:
            self.created += amount[1]
        else:
            self.used += amount[1]

    def spent(self, residue: float) -> bool | None:
        """Whether the lot is used up; ``None`` when the quantities cannot tell."""
        if not self.known or self.created <= 0:
            return None
        return self.used >= self.created * (1 - residue)


@dataclass
class _Reuse:
    identifier: str
    creations: list[CustodyEvent]
    consumer: CustodyEvent | None = None
    consumed_certainly: bool = True
    balance: _Balance = field(default_factory=_Balance)
    later: list[CustodyEvent] = field(default_factory=list)

    def sites(self) -> list[str]:
        """The distinct locations where the identifier was created, in time order."""
        locations = [event.location() for event in self.creations]
        return list(dict.fromkeys(loc for loc in locations if loc is not None))


@paused_gc()  # builds and drops large structures: no collector passes meanwhile
def find_tag_reuse(
    events: Iterable[CustodyEvent],
    *,
    sites: Mapping[str, Site],
    params: TagReuseParams | None = None,
) -> RuleOutcome:
    """One finding per identifier created more than once, or recorded after it was consumed."""
    settings = params or TagReuseParams()
    recorded = list(events)
    reading = read_events(recorded)
    lineage = reading.lineage()
    findings: list[Finding] = []
    any_creation = False
    for identifier in sorted(lineage.trails):
        trail = lineage.trails[identifier]
        reuse = _read_trail(trail, settings, reading.in_time_order)
        any_creation = any_creation or bool(reuse.creations)
        if len(reuse.creations) > 1 or reuse.later:
            findings.append(_finding(reuse, sites))
    gaps: tuple[DataGap, ...] = ()
    if not any_creation:
        gaps = (
            DataGap(
                rule=RULE,
                missing="commissioning events or transformation outputs",
                explanation=(
                    f"The {len(recorded)} custody event(s) given record no lot or tag being "
                    "created (no ObjectEvent ADD, no transformation output), so no identifier "
                    "could be checked for a second commissioning or for use after it was "
                    "consumed. Supply the events that commission lots at their sites."
                ),
            ),
        )
    return RuleOutcome(findings=tuple(findings), gaps=gaps)


_InOrder = Callable[[Iterable[CustodyEvent]], list[CustodyEvent]]
"""Events once per event id, in time order (:meth:`EventReading.in_time_order`)."""


def _creations(trail: LotTrail, in_order: _InOrder) -> list[CustodyEvent]:
    """Events that create the identifier, once per transformation (transformationID)."""
    kept: dict[str, CustodyEvent] = {}
    for event in in_order(trail.origins):
        if event.type not in (EventType.OBJECT, EventType.TRANSFORMATION):
            continue  # an aggregation ADD packs (again) into a container; nothing is created
        key = (
            f"transformation:{event.transformation_id}"
            if event.transformation_id
            else event.event_id
        )
        kept.setdefault(key, event)
    return list(kept.values())


def _read_trail(trail: LotTrail, params: TagReuseParams, in_order: _InOrder) -> _Reuse:
    reuse = _Reuse(trail.identifier, _creations(trail, in_order))
    created = {event.event_id for event in reuse.creations}
    consuming = {event.event_id for event in trail.consumptions}
    grace = timedelta(hours=params.grace_hours)
    for event in in_order(reuse.creations + trail.movements + trail.consumptions):
        consumer = reuse.consumer
        if consumer is not None:
            same_step = (
                event.transformation_id is not None
                and event.transformation_id == consumer.transformation_id
            )
            if not same_step and event.event_time - consumer.event_time > grace:
                reuse.later.append(event)
            continue
        if event.event_id in created:
            reuse.balance.add(_amount(event.quantities().get(trail.identifier)), created=True)
        if event.event_id in consuming:
            _consume(reuse, event, params)
    return reuse


def _consume(reuse: _Reuse, event: CustodyEvent, params: TagReuseParams) -> None:
    if reuse.identifier in event.input_epc_list:
        reuse.consumer = event  # one object: used whole
        return
    entry = next(q for q in event.input_quantity_list if q.epc_class == reuse.identifier)
    reuse.balance.add(_amount(entry), created=False)
    spent = reuse.balance.spent(params.residue_fraction)
    if spent is None:
        reuse.consumer, reuse.consumed_certainly = event, False
    elif spent:
        reuse.consumer = event


def _amount(entry: QuantityElement | None) -> tuple[str, float] | None:
    """A quantity in a comparable unit: kilograms for masses, else the unit code as given."""
    if entry is None or entry.quantity is None:
        return None
    if entry.uom is None:
        return ("count", entry.quantity)
    try:
        unit = lookup_unit(entry.uom)
    except ValueError:
        return None  # a unit oresight does not know cannot be compared
    if unit.dimension is Dimension.MASS:
        return ("kg", entry.quantity * unit.factor)
    return (unit.code, entry.quantity)


def _finding(reuse: _Reuse, sites: Mapping[str, Site]) -> Finding:
    identifier = reuse.identifier
    sentences: list[str] = []
    verdicts: list[tuple[Severity, float, str]] = []
    evidence: dict[str, Evidence] = {}
    if len(reuse.creations) > 1:
        places = reuse.sites()
        sentences.append(_creations_sentence(reuse, places, sites))
        if len(places) > 1:
            verdicts.append(
                (
                    Severity.HIGH,
                    0.9,
                    f"Lot identifier commissioned at {len(places)} different sites",
                )
            )
        else:
            verdicts.append(
                (Severity.MEDIUM, 0.7, f"Lot identifier commissioned {len(reuse.creations)} times")
            )
        for index, event in enumerate(reuse.creations, start=1):
            note = f"creation {index} of {len(reuse.creations)}"
            evidence[event.event_id] = _evidence(event, identifier, note, sites)
    if reuse.consumer is not None and reuse.later:
        sentences.append(_later_sentence(reuse, sites))
        recreated = any(e.event_id in {c.event_id for c in reuse.creations} for e in reuse.later)
        if recreated:
            verdicts.append(
                (Severity.HIGH, 0.95, "Tag commissioned again after its lot was consumed")
            )
        elif reuse.consumed_certainly:
            verdicts.append((Severity.HIGH, 0.85, "Lot recorded again after it was consumed"))
        else:
            verdicts.append(
                (Severity.MEDIUM, 0.5, "Lot recorded again after a transformation used it")
            )
        evidence.setdefault(
            reuse.consumer.event_id,
            _evidence(reuse.consumer, identifier, "transformation that consumed the lot", sites),
        )
        for event in reuse.later:
            evidence.setdefault(
                event.event_id,
                _evidence(event, identifier, "recorded after the lot was consumed", sites),
            )
    severity, confidence, title = max(verdicts, key=lambda v: (v[0].rank, v[1]))
    times = [event.event_time for event in (*reuse.creations, *reuse.later)]
    return Finding(
        code=FindingCode.CUSTODY_TAG_REUSE,
        subject=Subject(type=SubjectType.LOT, id=identifier),
        severity=severity,
        confidence=confidence,
        title=title,
        explanation=" ".join(sentences),
        evidence=tuple(evidence.values()),
        rule=RULE,
        rule_version=RULE_VERSION,
        period=Period(start=min(times), end=max(times)),
    )


def _creations_sentence(reuse: _Reuse, places: list[str], sites: Mapping[str, Site]) -> str:
    creations = reuse.creations
    listed = "; ".join(_describe(event, sites) for event in creations[:MAX_LISTED])
    if len(creations) > MAX_LISTED:
        listed += f"; and {len(creations) - MAX_LISTED} more"
    span = _duration(creations[-1].event_time - creations[0].event_time)
    where = (
        f"at {len(places)} different sites"
        if len(places) > 1
        else "at the same site"
        if places
        else "with no recorded location"
    )
    return (
        f"Lot {reuse.identifier} was created {len(creations)} times, {where}, over {span}: "
        f"{listed}. A lot or tag identifier is issued once; a second creation means the tag was "
        "used again for other material."
    )


def _later_sentence(reuse: _Reuse, sites: Mapping[str, Site]) -> str:
    consumer = reuse.consumer
    assert consumer is not None
    balance = reuse.balance
    if reuse.identifier in consumer.input_epc_list:
        how = "consumed it"
    elif reuse.consumed_certainly:
        how = (
            f"used up what its creation recorded ({_figure(balance.used)} of "
            f"{_figure(balance.created)} {balance.unit} used)"
        )
    else:
        how = "used it, with no quantities to tell whether it used all of it"
    later = reuse.later
    listed = "; ".join(_describe(event, sites) for event in later[:MAX_LISTED])
    if len(later) > MAX_LISTED:
        listed += f"; and {len(later) - MAX_LISTED} more"
    first_gap = _duration(later[0].event_time - consumer.event_time)
    return (
        f"Transformation {consumer.event_id} at {_place(consumer, sites)} {how} on "
        f"{consumer.event_time.isoformat()}, yet the lot was recorded {len(later)} more time(s) "
        f"afterwards, the first {first_gap} later: {listed}."
    )


def _figure(value: float) -> str:
    return f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"


def _duration(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.1f} hours"
    return f"{hours / 24:.1f} days"


def _place(event: CustodyEvent, sites: Mapping[str, Site]) -> str:
    location = event.location()
    known = sites.get(location) if location else None
    return known.label() if known else (location or "an unrecorded location")


def _describe(event: CustodyEvent, sites: Mapping[str, Site]) -> str:
    step = normalise_biz_step(event.biz_step) or event.type.value
    return (
        f"{step} at {_place(event, sites)} on {event.event_time.isoformat()} "
        f"(event {event.event_id})"
    )


def _evidence(
    event: CustodyEvent, identifier: str, note: str, sites: Mapping[str, Site]
) -> Evidence:
    location = event.location()
    data: dict[str, Any] = {
        "event_time": event.event_time.isoformat(),
        "type": event.type.value,
        "action": event.action.value if event.action else None,
        "biz_step": normalise_biz_step(event.biz_step),
        "location": location,
    }
    known = sites.get(location) if location else None
    if known is not None:
        data["location_name"] = known.name
    if event.transformation_id:
        data["transformation_id"] = event.transformation_id
    entries = [
        q
        for q in (*event.quantity_list, *event.input_quantity_list, *event.output_quantity_list)
        if q.epc_class == identifier and q.quantity is not None
    ]
    if entries:
        data["quantity"] = entries[0].quantity
        data["uom"] = entries[0].uom
    return Evidence(kind=EvidenceKind.EVENT, id=event.event_id, note=note, data=data)
