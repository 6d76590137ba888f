"""Mining at the declared places of origin: new disturbance, and none at all.

``SITE.NEW_DISTURBANCE``: ground disturbed in a layer's later period that was not in its earlier
one, at or within ``buffer_m`` of an extraction site (mine, artisanal site, concession). New
mining where a site's licence was not valid in the later period is high; elsewhere medium (a
licensed mine that grows is expected, and worth knowing).

``SITE.NO_ACTIVITY``: a site declared as the origin of extracted material (commissioning
events, EPCIS ObjectEvent ADD, at the site) that shows no disturbance within ``buffer_m`` in any
period overlapping the claimed extraction, in layers that say they covered the site. A front mine
that launders minerals dug elsewhere shows exactly this. Where no layer covered the site in
those dates the check is reported as a data gap ("no clear observation of site X in 2024"),
never as "no activity".
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from oresight.core.custody import Action, CustodyEvent, EventType
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
from oresight.core.sites import EXTRACTION_KINDS, Site
from oresight.earth.concessions import licensed_in
from oresight.earth.detections import DetectionLayer, no_detections
from oresight.earth.geodesy import area_ha
from oresight.earth.overlay import Overlap, Snapshot, finding_period, footprint, site_evidence

NEW_RULE = "site.new_disturbance"
NO_ACTIVITY_RULE = "site.no_activity"
RULE_VERSION = "1"
MAX_LISTED_EVENTS = 20


@dataclass(frozen=True)
class ActivityParams:
    """How near a site disturbance counts, and how much."""

    buffer_m: float = 1000.0
    """Around a site's geometry (a point becomes a disc of this radius)."""
    min_area_ha: float = 1.0
    """The smallest new disturbance reported."""


def find_new_disturbance(
    layers: Sequence[DetectionLayer],
    sites: Mapping[str, Site] | Iterable[Site],
    params: ActivityParams | None = None,
) -> RuleOutcome:
    """New disturbance between consecutive periods of each layer, at extraction sites."""
    chosen = params or ActivityParams()
    if not layers:
        gap = no_detections(NEW_RULE, "no site was checked for new disturbance")
        return RuleOutcome(gaps=(gap,))
    watched = [(s, footprint(s, chosen.buffer_m)) for s in _extraction_sites(sites)]
    findings: list[Finding] = []
    for layer in layers:
        periods = layer.periods
        shots = [Snapshot(layer, period) for period in periods]
        for before, after in itertools.pairwise(shots):
            for site, place in watched:
                if place is None:
                    continue
                then, now = before.over(place), after.over(place)
                if now.empty:
                    continue
                new = now.geometry.difference(then.geometry)
                new_ha = area_ha(new)
                if new_ha < chosen.min_area_ha:
                    continue
                unlicensed = site.licence is not None and not licensed_in(site, after.period)
                explanation = (
                    f"{layer.source} shows {new_ha:,.1f} ha of new mining disturbance within "
                    f"{chosen.buffer_m:,.0f} m of {site.label()} between {before.period.label} "
                    f"({then.area_ha:,.1f} ha) and {after.period.label} ({now.area_ha:,.1f} ha)."
                )
                if unlicensed:
                    explanation += (
                        f" The site's licence {site.licence.number if site.licence else ''} was "
                        f"not valid in {after.period.label}."
                    )
                findings.append(
                    Finding(
                        code=FindingCode.SITE_NEW_DISTURBANCE,
                        subject=_subject(site),
                        severity=Severity.HIGH if unlicensed else Severity.MEDIUM,
                        confidence=0.8,
                        title=(
                            f"{new_ha:,.1f} ha of new disturbance at {site.name or site.id} "
                            f"({before.period.label} to {after.period.label})"
                        ),
                        explanation=explanation,
                        evidence=(
                            site_evidence(site, "the site watched", buffer_m=chosen.buffer_m),
                            *before.evidence(then, note=f"{then.area_ha:,.1f} ha before")[:1],
                            *after.evidence(now, note=f"{now.area_ha:,.1f} ha after"),
                        ),
                        rule=NEW_RULE,
                        rule_version=RULE_VERSION,
                        period=finding_period([before.period, after.period]),
                    )
                )
    return RuleOutcome(findings=tuple(findings))


def find_no_activity(
    layers: Sequence[DetectionLayer],
    sites: Mapping[str, Site] | Iterable[Site],
    events: Iterable[CustodyEvent],
    params: ActivityParams | None = None,
) -> RuleOutcome:
    """Declared mines of origin without disturbance in the periods of their extraction."""
    chosen = params or ActivityParams()
    if not layers:
        gap = no_detections(NO_ACTIVITY_RULE, "no declared mine of origin was checked for activity")
        return RuleOutcome(gaps=(gap,))
    by_id = {s.id: s for s in (sites.values() if isinstance(sites, Mapping) else sites)}
    claims = _extractions(events, by_id)
    findings: list[Finding] = []
    gaps: list[DataGap] = []
    shots = [Snapshot(layer, period) for layer in layers for period in layer.periods]
    for site_id, extracted in sorted(claims.items()):
        site = by_id[site_id]
        place = footprint(site, chosen.buffer_m)
        first = min(e.event_time.date() for e in extracted)
        last = max(e.event_time.date() for e in extracted)
        span = first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
        if place is None:
            gaps.append(
                _gap(
                    site,
                    "the site's location",
                    f"{site.label()} has no geometry: whether it shows mining cannot be checked.",
                )
            )
            continue
        observed = [
            shot
            for shot in shots
            if shot.period.overlaps(first, last) and shot.layer.covers(place, shot.period)
        ]
        if not observed:
            gaps.append(
                _gap(
                    site,
                    "imagery or detections covering the site",
                    (
                        f"No clear observation of {site.label()} in {span} (when its extraction "
                        "is declared): no loaded layer says it covered the site in those dates, so "
                        "its activity was not checked."
                    ),
                )
            )
            continue
        views = [(shot, shot.over(place)) for shot in observed]
        if any(not view.empty for _, view in views):
            continue
        findings.append(_no_activity(site, extracted, views, span, chosen))
    return RuleOutcome(findings=tuple(findings), gaps=tuple(gaps))


def _no_activity(
    site: Site,
    extracted: Sequence[CustodyEvent],
    views: Sequence[tuple[Snapshot, Overlap]],
    span: str,
    params: ActivityParams,
) -> Finding:
    periods = ", ".join(f"{shot.period.label} ({shot.layer.source})" for shot, _ in views)
    lots = sorted(extracted, key=lambda e: (e.event_time, e.event_id))
    explanation = (
        f"{site.label()} is declared the place of extraction of {len(lots)} commissioning "
        f"event(s) from {span}, yet no mining disturbance shows within {params.buffer_m:,.0f} m "
        f"of it in {periods}, each covering the site. A mine that ships material shows "
        "disturbed ground; one that shows none may be a front for material dug elsewhere."
    )
    evidence: list[Evidence] = [
        site_evidence(site, "the declared mine of origin", buffer_m=params.buffer_m)
    ]
    for shot, view in views:
        evidence.extend(
            shot.evidence(view, note=f"no disturbance near the site in {shot.period.label}")[:1]
        )
    evidence.extend(
        Evidence(
            kind=EvidenceKind.EVENT,
            id=event.event_id,
            note="extraction declared at the site",
            data={"event_time": event.event_time.isoformat()},
        )
        for event in lots[:MAX_LISTED_EVENTS]
    )
    return Finding(
        code=FindingCode.SITE_NO_ACTIVITY,
        subject=_subject(site),
        severity=Severity.HIGH,
        confidence=0.7,
        title=f"No mining visible at declared origin {site.name or site.id} ({span})",
        explanation=explanation,
        evidence=tuple(evidence),
        rule=NO_ACTIVITY_RULE,
        rule_version=RULE_VERSION,
        period=Period(start=lots[0].event_time, end=lots[-1].event_time),
    )


def _extractions(
    events: Iterable[CustodyEvent], sites: Mapping[str, Site]
) -> dict[str, list[CustodyEvent]]:
    """Commissioning events at extraction sites, by site id."""
    found: dict[str, list[CustodyEvent]] = {}
    for event in events:
        if event.type is not EventType.OBJECT or event.action is not Action.ADD:
            continue
        for place in (event.biz_location, event.read_point):
            site = sites.get(place) if place else None
            if site is not None and site.kind in EXTRACTION_KINDS:
                found.setdefault(site.id, []).append(event)
                break
    return found


def _extraction_sites(sites: Mapping[str, Site] | Iterable[Site]) -> list[Site]:
    values = sites.values() if isinstance(sites, Mapping) else sites
    return sorted((s for s in values if s.kind in EXTRACTION_KINDS), key=lambda s: s.id)


def _subject(site: Site) -> Subject:
    return Subject(type=SubjectType.SITE, id=site.id, label=site.label())


def _gap(site: Site, missing: str, explanation: str) -> DataGap:
    return DataGap(
        rule=NO_ACTIVITY_RULE, missing=missing, explanation=explanation, subject=_subject(site)
    )
