"""SITE.MINING_IN_PROTECTED_AREA: mining disturbance inside a protected or indigenous area.

Whatever the custody records say, mining seen inside a national park or an indigenous territory
is a red flag for every buyer sourcing nearby: that gold or cassiterite enters chains under the
name of some licensed site. For each protected area of the workspace (sites of kind
``protected_area`` with a polygon) and each detection layer, the rule measures the disturbed
ground inside the area in every period the layer covers, overlapping footprints counted once, and
the ground disturbed in the latest period that was not in the earliest (new since then).

One finding per area and layer, when the latest period shows at least ``min_area_ha``. Severity
high; critical when the mining inside grew by at least ``min_area_ha`` since the earliest period.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from oresight.core.findings import (
    DataGap,
    Evidence,
    Finding,
    FindingCode,
    RuleOutcome,
    Severity,
    Subject,
    SubjectType,
)
from oresight.core.sites import Site, SiteKind
from oresight.earth.detections import DetectionLayer, no_detections
from oresight.earth.geodesy import area_ha
from oresight.earth.overlay import Overlap, Snapshot, finding_period, site_area, site_evidence

RULE = "site.mining_in_protected_area"
RULE_VERSION = "1"
CONFIDENCE = 0.85
"""Detections are patch footprints of a classifier, not surveyed scars: strong, not certain."""


@dataclass(frozen=True)
class ProtectedAreaParams:
    """What the rule counts as mining inside an area."""

    min_area_ha: float = 1.0
    """The smallest disturbed area inside an area that is reported."""


@dataclass(frozen=True)
class AreaMining:
    """What one layer saw inside one protected area: per period, and new since the first."""

    area: Site
    layer: DetectionLayer
    seen: tuple[tuple[Snapshot, Overlap], ...]
    new_ha: float
    """Disturbed in the latest period, not in the earliest (0 with one period)."""

    @property
    def latest(self) -> tuple[Snapshot, Overlap]:
        """The latest period and what it showed."""
        return self.seen[-1]


def mining_in_protected_areas(
    layers: Sequence[DetectionLayer], sites: Mapping[str, Site] | Iterable[Site]
) -> list[AreaMining]:
    """For each protected area and layer: what the layer saw inside the area, period by period."""
    areas = [s for s in _values(sites) if s.kind is SiteKind.PROTECTED_AREA]
    found: list[AreaMining] = []
    for layer in layers:
        snapshots = [Snapshot(layer, period) for period in layer.periods]
        for area in areas:
            shape = site_area(area)
            if shape is None or not snapshots:
                continue
            seen = tuple((snapshot, snapshot.over(shape)) for snapshot in snapshots)
            first, last = seen[0][1], seen[-1][1]
            new_ha = area_ha(last.geometry.difference(first.geometry)) if len(seen) > 1 else 0.0
            found.append(AreaMining(area=area, layer=layer, seen=seen, new_ha=new_ha))
    return found


def find_mining_in_protected_areas(
    layers: Sequence[DetectionLayer],
    sites: Mapping[str, Site] | Iterable[Site],
    params: ProtectedAreaParams | None = None,
) -> RuleOutcome:
    """The rule's findings, and what it could not check (see the module docstring)."""
    chosen = params or ProtectedAreaParams()
    areas = [s for s in _values(sites) if s.kind is SiteKind.PROTECTED_AREA]
    gaps: list[DataGap] = []
    if not layers:
        gaps.append(no_detections(RULE, "no place was checked for mining"))
    if not areas:
        gaps.append(_gap(None, "protected or indigenous areas", NO_AREAS))
    gaps.extend(
        _gap(
            Subject(type=SubjectType.SITE, id=area.id, label=area.label()),
            "the area's boundary",
            f"{area.label()} has no polygon: mining inside it cannot be measured.",
        )
        for area in areas
        if site_area(area) is None
    )
    findings = [
        _finding(mining, chosen)
        for mining in mining_in_protected_areas(layers, areas)
        if mining.latest[1].area_ha >= chosen.min_area_ha
    ]
    return RuleOutcome(findings=tuple(findings), gaps=tuple(gaps))


NO_AREAS = (
    "The workspace holds no protected or indigenous areas. Ingest them as sites of kind "
    "`protected_area`, or load boundary files with `oresight earth load-areas FILE`."
)


def _finding(mining: AreaMining, params: ProtectedAreaParams) -> Finding:
    area, layer = mining.area, mining.layer
    snapshot, latest = mining.latest
    designation = str(area.properties.get("designation", "protected area")).replace("_", " ")
    stated = (
        f" (the source states {latest.stated_ha:,.0f} ha of mined ground within them)"
        if latest.stated_ha
        else ""
    )
    text = [
        f"{layer.source} shows {latest.area_ha:,.0f} ha of mining footprints inside "
        f"{area.label()}, {designation}, in {snapshot.period.label}: "
        f"{len(latest.detections):,} detections{stated}."
    ]
    grew = len(mining.seen) > 1 and mining.new_ha >= params.min_area_ha
    if len(mining.seen) > 1:
        first_snapshot, first = mining.seen[0]
        text.append(
            f"In {first_snapshot.period.label} it showed {first.area_ha:,.0f} ha; "
            f"{mining.new_ha:,.0f} ha of the ground disturbed in {snapshot.period.label} was not "
            f"in {first_snapshot.period.label}'s footprints: new since then."
        )
    text.append("Mining is banned or restricted there; material from it must not enter chains.")
    evidence: list[Evidence] = [
        site_evidence(
            area, f"the {designation}", designation=designation, area_ha=round(area_ha_of(area), 1)
        )
    ]
    for shot, overlap in mining.seen:
        note = f"{overlap.area_ha:,.1f} ha inside the area in {shot.period.label}"
        cited = shot.evidence(overlap, note=note)
        # The latest period's detections are listed; earlier periods are summed up.
        evidence.extend(cited if shot is snapshot else cited[:1])
    return Finding(
        code=FindingCode.SITE_MINING_IN_PROTECTED_AREA,
        subject=Subject(type=SubjectType.SITE, id=area.id, label=area.label()),
        severity=Severity.CRITICAL if grew else Severity.HIGH,
        confidence=CONFIDENCE,
        title=(
            f"{latest.area_ha:,.0f} ha of mining inside {area.name or area.id} "
            f"({snapshot.period.label})"
        ),
        explanation=" ".join(text),
        evidence=tuple(evidence),
        rule=RULE,
        rule_version=RULE_VERSION,
        period=finding_period([shot.period for shot, _ in mining.seen]),
    )


def area_ha_of(site: Site) -> float:
    """A site's own area in hectares (0 without a polygon)."""
    shape = site_area(site)
    return 0.0 if shape is None else area_ha(shape)


def _gap(subject: Subject | None, missing: str, explanation: str) -> DataGap:
    return DataGap(rule=RULE, missing=missing, explanation=explanation, subject=subject)


def _values(sites: Mapping[str, Site] | Iterable[Site]) -> list[Site]:
    return list(sites.values()) if isinstance(sites, Mapping) else list(sites)
