"""CUSTODY.BROKEN_CHAIN: material that moves with no upstream record of where it came from.

A lot enters a legitimate chain without an origin when it is received, shipped or transformed but
no event records its creation (commissioning at a site, or output of a transformation) — the
classic way to launder untraced material. An origin recorded only *after* the lot was already
moving is treated the same way: a backdated record cannot account for where the lot was before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from oresight.core.collector import paused_gc
from oresight.core.custody import CustodyEvent
from oresight.core.findings import (
    Evidence,
    EvidenceKind,
    Finding,
    FindingCode,
    Period,
    Severity,
    Subject,
    SubjectType,
)
from oresight.core.sites import Site
from oresight.custody.lineage import LotTrail, build_lineage
from oresight.custody.vocabulary import normalise_biz_step

RULE = "custody.broken_chain"
RULE_VERSION = "1"
MAX_LISTED_DESCENDANTS = 20


@paused_gc()  # builds and drops large structures: no collector passes meanwhile
def find_broken_chains(
    events: Iterable[CustodyEvent], *, sites: Mapping[str, Site] | None = None
) -> list[Finding]:
    """One finding per lot that moves or is consumed before any record of its origin."""
    known_sites = sites or {}
    lineage = build_lineage(events)
    findings: list[Finding] = []
    for identifier in sorted(lineage.trails):
        trail = lineage.trails[identifier]
        uses = trail.uses()
        if not uses:
            continue
        first_use = uses[0]
        earlier_origins = [o for o in trail.origins if o.event_time <= first_use.event_time]
        if earlier_origins:
            continue
        findings.append(_finding(trail, first_use, lineage.descendants(identifier), known_sites))
    return findings


def _describe_use(event: CustodyEvent, sites: Mapping[str, Site]) -> str:
    step = normalise_biz_step(event.biz_step) or event.type.value
    where = event.location()
    known = sites.get(where) if where else None
    place = known.label() if known else (where or "an unrecorded location")
    return f"{step} at {place} on {event.event_time.isoformat()}"


def _finding(
    trail: LotTrail,
    first_use: CustodyEvent,
    descendants: list[str],
    sites: Mapping[str, Site],
) -> Finding:
    uses = trail.uses()
    late_origin = trail.origins[0] if trail.origins else None
    evidence = [_event_evidence(first_use, trail.identifier, "first movement or use", sites)]
    if late_origin is not None:
        gap = late_origin.event_time - first_use.event_time
        days = gap.total_seconds() / 86400
        title = "Origin recorded only after the lot was already moving"
        explanation = (
            f"Lot {trail.identifier} was first recorded in {_describe_use(first_use, sites)}, "
            f"but the event that records its origin ({late_origin.event_id}) is dated "
            f"{late_origin.event_time.isoformat()}, {days:.1f} days later. A backdated origin "
            "cannot account for where the material was before it entered the chain."
        )
        evidence.append(
            _event_evidence(late_origin, trail.identifier, "origin recorded after first use", sites)
        )
        confidence = 0.8
    else:
        title = "Lot moves with no upstream record of its origin"
        explanation = (
            f"Lot {trail.identifier} appears in {len(uses)} custody event(s), first in "
            f"{_describe_use(first_use, sites)}, yet no event records where it came from: it was "
            "never commissioned at a site nor produced by a transformation in the workspace."
        )
        confidence = 0.9
    if descendants:
        listed = descendants[:MAX_LISTED_DESCENDANTS]
        explanation += (
            f" {len(descendants)} downstream lot(s) were made from it and inherit the gap."
        )
        evidence.extend(
            Evidence(kind=EvidenceKind.LOT, id=lot, note="made from the untraced lot")
            for lot in listed
        )
    for event in uses[1:4]:
        evidence.append(_event_evidence(event, trail.identifier, "later movement or use", sites))
    return Finding(
        code=FindingCode.CUSTODY_BROKEN_CHAIN,
        subject=Subject(type=SubjectType.LOT, id=trail.identifier),
        severity=Severity.HIGH,
        confidence=confidence,
        title=title,
        explanation=explanation,
        evidence=tuple(evidence),
        rule=RULE,
        rule_version=RULE_VERSION,
        period=Period(start=first_use.event_time, end=uses[-1].event_time),
    )


def _event_evidence(
    event: CustodyEvent, identifier: str, note: str, sites: Mapping[str, Site]
) -> Evidence:
    data: dict[str, object] = {
        "event_time": event.event_time.isoformat(),
        "type": event.type.value,
        "biz_step": normalise_biz_step(event.biz_step),
        "location": event.location(),
    }
    location = event.location()
    known = sites.get(location) if location else None
    if known is not None:
        data["location_name"] = known.name
    quantity = event.quantities().get(identifier)
    if quantity is not None and quantity.quantity is not None:
        data["quantity"] = quantity.quantity
        data["uom"] = quantity.uom
    parties = [f"{ref.role.value}:{ref.party_id}" for ref in event.party_refs()]
    if parties:
        data["parties"] = parties
    return Evidence(kind=EvidenceKind.EVENT, id=event.event_id, note=note, data=data)
