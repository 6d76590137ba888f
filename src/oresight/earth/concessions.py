"""SITE.MINING_OUTSIDE_CONCESSION: mining disturbance outside every licensed concession.

A cadastre says where mining may happen; the imagery says where it does. Ground disturbed near
the workspace's concessions but outside every one whose licence was valid in the period is mining
without a title — or under an expired one. The check is made only within ``scope_km`` of the
workspace's concessions (the region the cadastre describes): beyond it, the workspace does not
know which licences exist, and silence is not evidence.

For each layer, the latest period is judged: its footprints inside the scope, less the licensed
concessions, split into separate patches; each patch of at least ``min_area_ha`` is a finding,
naming the nearest concession, its licence and whether that licence was valid then, and how much
of the patch was disturbed already in the layer's earlier periods.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry

from oresight.core.findings import (
    DataGap,
    Finding,
    FindingCode,
    RuleOutcome,
    Severity,
    Subject,
    SubjectType,
)
from oresight.core.sites import Site, SiteKind
from oresight.earth.detections import DetectionLayer, no_detections
from oresight.earth.geodesy import area_ha, buffered, distance_m
from oresight.earth.overlay import Overlap, Snapshot, finding_period, site_area, site_evidence
from oresight.earth.periods import ObservationPeriod

RULE = "site.mining_outside_concession"
RULE_VERSION = "1"
CONFIDENCE = 0.8
CELLS_PER_DEGREE = 100


@dataclass(frozen=True)
class ConcessionParams:
    """Where and how much disturbance the rule reports."""

    scope_km: float = 10.0
    """How far from the workspace's concessions disturbance is judged."""
    min_area_ha: float = 1.0
    """The smallest patch outside the concessions that is reported."""


def disturbance_subject(period: ObservationPeriod, lon: float, lat: float) -> str:
    """The subject id of mining found outside the titles: the period and the 0.01-degree cell
    (about 1 km) holding it, named by its south-west corner, so that the same ground seen by two
    sources, or scanned again, is the same subject."""
    south = math.floor(round(lat * CELLS_PER_DEGREE, 9)) / CELLS_PER_DEGREE
    west = math.floor(round(lon * CELLS_PER_DEGREE, 9)) / CELLS_PER_DEGREE
    return f"urn:oresight:disturbance:{period.label}:{south:.2f},{west:.2f}"


def licensed_in(site: Site, period: ObservationPeriod) -> bool:
    """Whether the site's licence was valid on some day of ``period``."""
    licence = site.licence
    if licence is None:
        return False
    starts = licence.valid_from or period.start
    ends = licence.valid_to or period.end
    return period.overlaps(starts, ends)


def concessions_of(sites: Iterable[Site]) -> list[Site]:
    """The sites whose polygon is a mining title: concessions, and licensed mines and artisanal
    sites drawn as areas."""
    return [
        site
        for site in sites
        if site_area(site) is not None
        and (
            site.kind is SiteKind.CONCESSION
            or (site.licence is not None and site.kind in (SiteKind.MINE, SiteKind.ARTISANAL_SITE))
        )
    ]


def find_mining_outside_concessions(
    layers: Sequence[DetectionLayer],
    sites: Mapping[str, Site] | Iterable[Site],
    params: ConcessionParams | None = None,
) -> RuleOutcome:
    """The rule's findings, and what it could not check (see the module docstring)."""
    chosen = params or ConcessionParams()
    concessions = concessions_of(sites.values() if isinstance(sites, Mapping) else sites)
    if not layers:
        unchecked = "no mining outside concessions could be found"
        return RuleOutcome(gaps=(no_detections(RULE, unchecked),))
    if not concessions:
        return RuleOutcome(gaps=(_gap("concession boundaries with their licences", NO_TITLES),))
    shapes = {site.id: site_area(site) for site in concessions}
    scope = shapely.union_all(
        [buffered(shape, chosen.scope_km * 1000) for shape in shapes.values() if shape is not None]
    )
    findings: list[Finding] = []
    for layer in layers:
        periods = layer.periods
        if not periods:
            continue
        latest = Snapshot(layer, periods[-1])
        seen = latest.over(scope)
        if seen.empty:
            continue
        licensed = [s for s in concessions if licensed_in(s, latest.period)]
        titled = shapely.union_all([shapes[s.id] for s in licensed]) if licensed else None
        outside = seen.geometry if titled is None else seen.geometry.difference(titled)
        earlier = [Snapshot(layer, period).over(scope) for period in periods[:-1]]
        for patch in shapely.get_parts(outside):
            if area_ha(patch) >= chosen.min_area_ha:
                findings.append(
                    _finding(latest, seen, patch, concessions, shapes, earlier, periods)
                )
    findings.sort(key=lambda f: f.subject.id)
    return RuleOutcome(findings=tuple(findings))


NO_TITLES = (
    "The workspace holds no concessions drawn as polygons (sites of kind `concession`, or "
    "licensed mines with an area): disturbance cannot be told inside or outside a title."
)


def _finding(
    latest: Snapshot,
    seen: Overlap,
    patch: BaseGeometry,
    concessions: Sequence[Site],
    shapes: Mapping[str, BaseGeometry | None],
    earlier: Sequence[Overlap],
    periods: Sequence[ObservationPeriod],
) -> Finding:
    hectares = area_ha(patch)
    centre = patch.representative_point()
    nearest = min(concessions, key=lambda s: (distance_m(patch, shapes[s.id] or patch), s.id))
    metres = distance_m(patch, shapes[nearest.id] or patch)
    period = latest.period
    licence = nearest.licence
    if licence is None:
        title = "has no licence on record"
    elif licensed_in(nearest, period):
        title = f"holds licence {licence.number}"
    else:
        title = (
            f"held licence {licence.number}, not valid in {period.label} "
            f"(valid {licence.valid_from or '…'} to {licence.valid_to or '…'})"
        )
    title_shape = shapes[nearest.id]
    if title_shape is not None and area_ha(title_shape.intersection(patch)) > 0:
        where = "holds the patch"  # a title whose licence was not valid then
    elif metres < 1:
        where = "is right beside it"  # touching a licensed title: outside it all the same
    else:
        where = f"is {metres / 1000:,.1f} km away"
    before = [
        (p.label, area_ha(patch.intersection(o.geometry)))
        for p, o in zip(periods, earlier, strict=False)
    ]
    already = [f"{ha:,.1f} ha of it was disturbed already in {label}" for label, ha in before if ha]
    if already:
        history = " " + "; ".join(already) + "."
    elif before:
        history = " None of it was disturbed in the layer's earlier periods."
    else:
        history = ""
    detections = tuple(d for d in seen.detections if d.geometry.intersects(patch))
    patch_view = Overlap(detections, patch, hectares, None)
    explanation = (
        f"{latest.layer.source} shows {hectares:,.1f} ha of mining disturbance in {period.label} "
        f"around {centre.y:.5f}, {centre.x:.5f} (lat, lon), outside every concession licensed "
        f"then. The nearest concession, {nearest.label()}, {where} and {title}.{history}"
    )
    subject_id = disturbance_subject(period, centre.x, centre.y)
    return Finding(
        code=FindingCode.SITE_MINING_OUTSIDE_CONCESSION,
        subject=Subject(
            type=SubjectType.SITE,
            id=subject_id,
            label=f"mining disturbance at {centre.y:.4f}, {centre.x:.4f}",
        ),
        severity=Severity.HIGH,
        confidence=CONFIDENCE,
        title=f"{hectares:,.1f} ha of mining outside any licensed concession ({period.label})",
        explanation=explanation,
        evidence=(
            *latest.evidence(
                patch_view, note=f"{hectares:,.1f} ha outside every licensed concession"
            ),
            site_evidence(
                nearest,
                f"the nearest concession ({where.removeprefix('is ')})",
                distance_km=round(metres / 1000, 2),
                licence=licence.number if licence else None,
            ),
        ),
        rule=RULE,
        rule_version=RULE_VERSION,
        period=finding_period([period]),
    )


def _gap(missing: str, explanation: str) -> DataGap:
    return DataGap(rule=RULE, missing=missing, explanation=explanation)
