"""CUSTODY.ORIGIN_OVERPRODUCTION: an extraction site that ships more than it can produce.

Laundered material needs a clean origin, and the cheapest is a real, licensed site that declares
more than it digs: a front mine. The custody record betrays it by volume. For each extraction site
(mine, artisanal site, concession) the rule sums, per calendar period (month, quarter or year, by
the event's local date), the lots commissioned there (EPCIS ObjectEvent ``ADD``), and compares:

1. the gross tonnage with the site's declared capacity (``capacity_t_per_year`` in its
   ``capacity_basis``, prorated to the period), counting the lots whose form matches the basis
   (all lots where the basis is ``ore``, since nothing a site ships weighs more than the ore it
   came from, or where the basis is not a material form);
2. the contained element (lot mass x ``ore:gradePercent``) with a plausibility ceiling for the
   site's kind and mineral (``data/site_output.yaml``, with its sources): above it, an artisanal
   site ships like an industrial mine, or a mine more than any mine does.

A ``tolerance`` (10 % by default) on top of each limit absorbs weighing error (about 2 % per lot)
and uneven output within the year. A site that can be checked against neither a capacity nor a
ceiling, and periods whose lots carry no mass or grade to sum, are reported as data gaps.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from oresight.core.collector import paused_gc
from oresight.core.custody import CustodyEvent
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
from oresight.core.minerals import MaterialForm
from oresight.core.sites import Site, SiteKind
from oresight.custody.lineage import read_events
from oresight.custody.overproduction_checks import (
    Extraction,
    OutputCheck,
    SiteGaps,
    basis_form,
    extractions_of,
    output_checks,
)
from oresight.custody.overproduction_params import (
    OutputCeiling,
    OverproductionParams,
    PeriodLength,
    PeriodWindow,
    load_output_ceilings,
    period_window,
)
from oresight.custody.unlicensed_origin import local_date

RULE = "custody.origin_overproduction"
RULE_VERSION = "1"
MAX_LISTED_EVENTS = 25
RAW_FORMS = frozenset({MaterialForm.ORE, MaterialForm.CONCENTRATE})

__all__ = [
    "RULE",
    "RULE_VERSION",
    "OutputCeiling",
    "OverproductionParams",
    "PeriodLength",
    "find_origin_overproduction",
    "load_output_ceilings",
]


@paused_gc()  # builds and drops large structures: no collector passes meanwhile
def find_origin_overproduction(
    events: Iterable[CustodyEvent],
    *,
    sites: Mapping[str, Site],
    params: OverproductionParams | None = None,
) -> RuleOutcome:
    """One finding per extraction site and period whose recorded output exceeds what it can make."""
    settings = params or OverproductionParams()
    buckets: dict[tuple[str, str], list[Extraction]] = defaultdict(list)
    windows: dict[str, PeriodWindow] = {}
    unknown: dict[str, int] = defaultdict(int)
    seen: set[str] = set()
    periods: dict[date, tuple[str, PeriodWindow]] = {}  # days repeat: find each period once
    for event in read_events(events).commissioning():  # the extraction claims, in order
        if event.event_id in seen:
            continue
        seen.add(event.event_id)
        location = event.location()
        site = sites.get(location) if location else None
        if site is None:
            if _raw_mineral(event):
                unknown[location or ""] += 1
            continue
        if not site.is_extraction_site:
            continue
        day = local_date(event)
        if day not in periods:
            periods[day] = period_window(day, settings.period)
        window_key, window = periods[day]
        windows[window_key] = window
        buckets[(site.id, window_key)].extend(extractions_of(event, site))

    findings: list[Finding] = []
    gaps: dict[str, SiteGaps] = defaultdict(SiteGaps)
    for (site_id, window_key), lots in sorted(buckets.items()):
        site, window = sites[site_id], windows[window_key]
        checks = output_checks(site, lots, window, settings, gaps[site_id])
        flagged = [check for check in checks if check.exceeded]
        if flagged:
            findings.append(_finding(site, window, lots, flagged, settings))
        else:
            _note_gaps(gaps[site_id], lots, window, checks)
    return RuleOutcome(findings=tuple(findings), gaps=_gaps(gaps, unknown, sites))


def _raw_mineral(event: CustodyEvent) -> bool:
    master = event.lot_master
    return master is not None and master.mineral is not None and master.form in RAW_FORMS


def _note_gaps(
    gaps: SiteGaps, lots: list[Extraction], window: PeriodWindow, checks: list[OutputCheck]
) -> None:
    massless = sum(1 for lot in lots if lot.kg is None)
    gradeless = 0
    if not any(check.what == "capacity" for check in checks):
        gradeless = sum(1 for lot in lots if lot.kg is not None and lot.grade is None)
    if massless or gradeless:
        gaps.massless += massless
        gaps.gradeless += gradeless
        gaps.periods.add(window.label)


def _gaps(
    per_site: Mapping[str, SiteGaps], unknown: Mapping[str, int], sites: Mapping[str, Site]
) -> tuple[DataGap, ...]:
    gaps: list[DataGap] = []
    for site_id in sorted(per_site):
        site, found = sites[site_id], per_site[site_id]
        subject = Subject(type=SubjectType.SITE, id=site_id, label=site.name)
        kind = site.kind.value.replace("_", " ")
        if found.unchecked:
            minerals = sorted(m.value if m else "unnamed minerals" for m in found.unchecked)
            if site.capacity_t_per_year is None:
                missing = f"capacity_t_per_year of site {site_id}"
                why = (
                    f"declares no capacity_t_per_year, and oresight holds no plausibility ceiling "
                    f"for {_article(kind)} {kind} producing {', '.join(minerals)}"
                )
                fix = "Declare the site's capacity (capacity_t_per_year with capacity_basis)."
            else:
                missing = f"capacity_basis of site {site_id} matching the lots it ships"
                why = (
                    f"declares its capacity in {site.capacity_basis}, a form none of its lots is in"
                )
                fix = "Declare the capacity in the form the site ships."
            gaps.append(
                DataGap(
                    rule=RULE,
                    missing=missing,
                    explanation=(
                        f"{site.label()}, {_article(kind)} {kind}, recorded extractions but {why}, "
                        "so its output "
                        f"could not be checked. {fix}"
                    ),
                    subject=subject,
                )
            )
        if found.massless or found.gradeless:
            parts = []
            if found.massless:
                parts.append(f"{found.massless} lot(s) with no mass (quantity in kg or t)")
            if found.gradeless:
                parts.append(f"{found.gradeless} lot(s) with no ore:gradePercent")
            gaps.append(
                DataGap(
                    rule=RULE,
                    missing=f"quantity and grade of lots commissioned at {site_id}",
                    explanation=(
                        f"{site.label()} commissioned {' and '.join(parts)} in "
                        f"{', '.join(sorted(found.periods))}; they could not be added to its "
                        "output, which was checked without them."
                    ),
                    subject=subject,
                )
            )
    for location in sorted(unknown):
        place = location or "no location"
        gaps.append(
            DataGap(
                rule=RULE,
                missing=f"site record for location {place}",
                explanation=(
                    f"{unknown[location]} extraction event(s) of raw mineral took place at "
                    f"{place}, which is not a site of the workspace, so their output could not "
                    "be compared with any capacity. Add the site with its kind and capacity."
                ),
                subject=Subject(type=SubjectType.SITE, id=location) if location else None,
            )
        )
    return tuple(gaps)


def _finding(
    site: Site,
    window: PeriodWindow,
    lots: list[Extraction],
    flagged: list[OutputCheck],
    params: OverproductionParams,
) -> Finding:
    worst = max(check.ratio for check in flagged)
    severity = Severity.HIGH if worst >= 2 else Severity.MEDIUM
    confidence = max(check.confidence for check in flagged)
    kind = site.kind.value.replace("_", " ")
    sentences = [_explain(site, window, check, params) for check in flagged]
    if any(check.what == "capacity" for check in flagged):
        title = f"{_cap(kind)} recorded more output than its declared capacity"
    elif site.kind is SiteKind.ARTISANAL_SITE:
        title = "Artisanal site ships like an industrial mine"
    else:
        title = f"{_cap(kind)} recorded more than any {kind} plausibly produces"
    site_data: dict[str, Any] = {
        "kind": site.kind.value,
        "period": window.label,
        "period_share_of_year": round(window.fraction, 4),
        "tolerance": params.tolerance,
        "lots": len(lots),
    }
    for check in flagged:
        site_data.update(_check_data(site, check))
    by_event: dict[str, list[Extraction]] = defaultdict(list)
    for lot in dict.fromkeys(lot for check in flagged for lot in check.lots):
        by_event[lot.event.event_id].append(lot)
    counted = sorted(by_event.values(), key=lambda g: (g[0].event.event_time, g[0].event.event_id))
    evidence = [
        Evidence(
            kind=EvidenceKind.SITE,
            id=site.id,
            note=f"site whose recorded output in {window.label} exceeds what it can produce",
            data=site_data,
        )
    ]
    evidence.extend(_lot_evidence(group) for group in counted[:MAX_LISTED_EVENTS])
    if len(counted) > MAX_LISTED_EVENTS:
        sentences.append(
            f"The first {MAX_LISTED_EVENTS} of its {len(counted)} extraction events are listed."
        )
    times = [lot.event.event_time for lot in lots]
    return Finding(
        code=FindingCode.CUSTODY_ORIGIN_OVERPRODUCTION,
        subject=Subject(type=SubjectType.SITE, id=site.id, label=site.name),
        severity=severity,
        confidence=confidence,
        title=title,
        explanation=" ".join(sentences),
        evidence=tuple(evidence),
        rule=RULE,
        rule_version=RULE_VERSION,
        period=Period(start=min(times), end=max(times)),
    )


def _explain(
    site: Site, window: PeriodWindow, check: OutputCheck, params: OverproductionParams
) -> str:
    share = f"{window.label} ({window.fraction * 100:.0f} % of the year)"
    margin = f"{params.tolerance * 100:.0f} %"
    if check.ceiling is None:
        capacity = site.capacity_t_per_year or 0.0
        basis = site.capacity_basis or "an undeclared basis"
        form = basis_form(site)
        material = f" of {form.value}" if form is not None and form is not MaterialForm.ORE else ""
        return (
            f"{site.label()} recorded the extraction of {check.recorded_t:,.1f} t{material} in "
            f"{share}, "
            f"in {len(check.lots)} lot(s). Its declared capacity of {capacity:,.0f} t a year "
            f"({basis}) allows {check.allowed_t:,.1f} t in that period: the record is "
            f"{_times(check)} that, beyond the {margin} allowed for weighing error and uneven "
            "output."
        )
    ceiling = check.ceiling
    kind = site.kind.value.replace("_", " ")
    return (
        f"The lots recorded at {site.label()} in {share} hold {check.recorded_t:,.1f} t of "
        f"contained {ceiling.mineral.value}. No {kind} plausibly produces more than "
        f"{ceiling.max_t_per_year:,.0f} t of it a year, {check.allowed_t:,.1f} t in that period; "
        f"the record is {_times(check)} that, beyond the {margin} tolerance. "
        f"Basis of the ceiling: {ceiling.reasoning}"
    )


def _times(check: OutputCheck) -> str:
    if math.isinf(check.ratio):
        return "infinitely more than"
    return f"{check.ratio:.2f} times"


def _article(noun: str) -> str:
    return "an" if noun[:1] in "aeiou" else "a"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _check_data(site: Site, check: OutputCheck) -> dict[str, Any]:
    ratio = None if math.isinf(check.ratio) else round(check.ratio, 3)
    if check.ceiling is None:
        return {
            "capacity_t_per_year": site.capacity_t_per_year,
            "capacity_basis": site.capacity_basis,
            "capacity_for_period_t": round(check.allowed_t, 3),
            "recorded_t": round(check.recorded_t, 3),
            "capacity_ratio": ratio,
        }
    mineral = check.ceiling.mineral.value
    return {
        f"{mineral}_ceiling_t_per_year": check.ceiling.max_t_per_year,
        f"{mineral}_ceiling_for_period_t": round(check.allowed_t, 3),
        f"{mineral}_contained_t": round(check.recorded_t, 3),
        f"{mineral}_ceiling_ratio": ratio,
        f"{mineral}_ceiling_sources": list(check.ceiling.sources),
    }


def _lot_evidence(lots: list[Extraction]) -> Evidence:
    first = lots[0]
    data: dict[str, Any] = {
        "event_time": first.event.event_time.isoformat(),
        "local_date": local_date(first.event).isoformat(),
        "lots": [lot.lot for lot in lots],
        "kg": round(sum(lot.kg or 0.0 for lot in lots), 3),
    }
    if first.mineral is not None:
        data["mineral"] = first.mineral.value
    if first.form is not None:
        data["form"] = first.form.value
    if first.grade is not None:
        data["grade_percent"] = first.grade
    return Evidence(
        kind=EvidenceKind.EVENT, id=first.event.event_id, note="extraction at the site", data=data
    )
