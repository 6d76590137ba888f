"""CUSTODY.UNLICENSED_ORIGIN: extraction where nobody was licensed to extract.

Material is "extracted" when a commissioning event (EPCIS ObjectEvent, action ADD) creates it at a
mine, artisanal site or concession. The rule checks two independent things:

1. the site's own licence was valid on the day of the event (in the event's local time);
2. the place of extraction — the event's ``geo:`` read point, else the site's point — lies inside
   a licensed area: a polygon of an extraction site whose licence was valid that day.

The second check catches the front-mine pattern: a declared site with paperwork in order, whose
coordinates are nowhere near any licensed concession. It runs only where the workspace maps at
least one extraction area (a polygon); without a concession map there is nothing to check against.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta, timezone

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from oresight.core.custody import Action, CustodyEvent, EventType
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
from oresight.core.minerals import MaterialForm
from oresight.core.sites import Site
from oresight.custody.geodesy import AREA_TYPES, distance_to_area_km, parse_geo_uri, to_shape

RULE = "custody.unlicensed_origin"
RULE_VERSION = "1"
RAW_FORMS = frozenset({MaterialForm.ORE, MaterialForm.CONCENTRATE})


@dataclass(frozen=True)
class _Area:
    site: Site
    shape: BaseGeometry


def find_unlicensed_origins(
    events: Iterable[CustodyEvent], *, sites: Mapping[str, Site]
) -> list[Finding]:
    """One finding per extraction event at an unlicensed site or outside every licensed area."""
    areas = [
        _Area(site, to_shape(site.geometry))
        for site in sites.values()
        if site.is_extraction_site
        and site.geometry is not None
        and site.geometry["type"] in AREA_TYPES
    ]
    findings: list[Finding] = []
    for event in events:
        if event.type is not EventType.OBJECT or event.action is not Action.ADD:
            continue
        location = event.location()
        site = sites.get(location) if location else None
        if site is None:
            finding = _unknown_site(event)
        elif not site.is_extraction_site:
            continue
        else:
            finding = _licence_problem(event, site) or _outside_areas(event, site, areas)
        if finding is not None:
            findings.append(finding)
    return findings


def local_date(event: CustodyEvent) -> date:
    """The calendar day of the event where it happened (its eventTimeZoneOffset)."""
    sign = -1 if event.event_time_zone_offset.startswith("-") else 1
    hours, minutes = event.event_time_zone_offset[1:].split(":")
    offset = timedelta(hours=int(hours), minutes=int(minutes)) * sign
    return event.event_time.astimezone(timezone(offset)).date()


def _lots(event: CustodyEvent) -> str:
    lots = event.produced()
    if len(lots) == 1:
        return f"lot {lots[0]}"
    listed = ", ".join(lots[:3]) + (f" and {len(lots) - 3} more" if len(lots) > 3 else "")
    return f"lots {listed}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _finding(
    event: CustodyEvent,
    *,
    title: str,
    explanation: str,
    evidence: Sequence[Evidence],
    confidence: float,
    site: Site | None,
) -> Finding:
    label = f"extraction of {_lots(event)}" + (f" at {site.label()}" if site else "")
    return Finding(
        code=FindingCode.CUSTODY_UNLICENSED_ORIGIN,
        subject=Subject(type=SubjectType.EVENT, id=event.event_id, label=label),
        severity=Severity.HIGH,
        confidence=confidence,
        title=title,
        explanation=explanation,
        evidence=(_event_evidence(event), *evidence),
        rule=RULE,
        rule_version=RULE_VERSION,
        period=Period(start=event.event_time, end=event.event_time),
    )


def _event_evidence(event: CustodyEvent) -> Evidence:
    data: dict[str, object] = {
        "event_time": event.event_time.isoformat(),
        "local_date": local_date(event).isoformat(),
        "location": event.location(),
        "lots": list(event.produced()),
    }
    if event.lot_master is not None:
        data.update(event.lot_master.model_dump(mode="json", exclude_none=True))
    return Evidence(kind=EvidenceKind.EVENT, id=event.event_id, note="extraction event", data=data)


def _site_evidence(site: Site, note: str, **extra: object) -> Evidence:
    data: dict[str, object] = {"kind": site.kind.value, "country": site.country}
    if site.licence is not None:
        data["licence_number"] = site.licence.number
        data["licence_valid_from"] = _iso(site.licence.valid_from)
        data["licence_valid_to"] = _iso(site.licence.valid_to)
    data.update(extra)
    return Evidence(kind=EvidenceKind.SITE, id=site.id, note=note, data=data)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _unknown_site(event: CustodyEvent) -> Finding | None:
    # An ADD event at a place the workspace does not know is only an extraction claim when the
    # lot master data says the lot is raw mineral; otherwise it is any commissioning (a pallet).
    master = event.lot_master
    if master is None or master.mineral is None or master.form not in RAW_FORMS:
        return None
    location = event.location() or "no location"
    return _finding(
        event,
        title="Extraction at a site with no licence on record",
        explanation=(
            f"{master.mineral.value.capitalize()} {master.form.value} ({_lots(event)}) was "
            f"commissioned on {local_date(event).isoformat()} at {location}, which is not a "
            "known site of the workspace, so no licence covers it."
        ),
        evidence=(),
        confidence=0.6,
        site=None,
    )


def _licence_problem(event: CustodyEvent, site: Site) -> Finding | None:
    day = local_date(event)
    licence = site.licence
    if licence is None:
        return _finding(
            event,
            title=f"Extraction at {site.name or site.id}, which holds no licence",
            explanation=(
                f"{_cap(_lots(event))} was commissioned on {day.isoformat()} at {site.label()}, "
                f"a {site.kind.value.replace('_', ' ')} with no licence on record."
            ),
            evidence=(_site_evidence(site, "extraction site without licence"),),
            confidence=0.85,
            site=site,
        )
    if licence.valid_on(day):
        return None
    if licence.valid_to is not None and day > licence.valid_to:
        gap = (day - licence.valid_to).days
        expiry = licence.valid_to.isoformat()
        why = f"licence {licence.number} expired on {expiry}, {gap} days before"
    else:
        start = licence.valid_from or day
        gap = (start - day).days
        why = f"licence {licence.number} only took effect on {start.isoformat()}, {gap} days after"
    return _finding(
        event,
        title=f"Extraction at {site.name or site.id} outside its licence period",
        explanation=(
            f"{_cap(_lots(event))} was commissioned on {day.isoformat()} at {site.label()}; "
            f"its {why} "
            "the extraction."
        ),
        evidence=(_site_evidence(site, "licence not valid on the event date", days=gap),),
        confidence=0.9,
        site=site,
    )


def _outside_areas(event: CustodyEvent, site: Site, areas: Sequence[_Area]) -> Finding | None:
    if not areas:
        return None  # no concession map in the workspace: nothing to check the point against
    point = parse_geo_uri(event.read_point or "")
    if point is None:
        if site.geometry is None or site.geometry["type"] in AREA_TYPES:
            return None  # a polygon site's own licence, checked above, covers its area
        point = to_shape(site.geometry).representative_point()
    assert isinstance(point, Point)
    day = local_date(event)
    licensed = [a for a in areas if a.site.licence is not None and a.site.licence.valid_on(day)]
    distances = sorted(
        ((distance_to_area_km(point, a.shape), a) for a in licensed), key=lambda pair: pair[0]
    )
    if distances and distances[0][0] == 0.0:
        return None
    where = (
        f"{_cap(_lots(event))} was commissioned on {day.isoformat()} at {site.label()}, at "
        f"{point.y:.5f}, {point.x:.5f} (lat, lon)."
    )
    evidence = [_site_evidence(site, "declared extraction site", lat=point.y, lon=point.x)]
    if distances:
        km, nearest = distances[0]
        explanation = (
            f"{where} That point is inside none of the {len(licensed)} licensed area(s) valid "
            f"that day; the nearest, {nearest.site.label()}, is {km:.1f} km away."
        )
        evidence.append(
            _site_evidence(nearest.site, "nearest licensed area", distance_km=round(km, 2))
        )
    else:
        explanation = (
            f"{where} None of the {len(areas)} mapped extraction area(s) held a licence valid "
            "that day."
        )
    return _finding(
        event,
        title=f"Extraction at {site.name or site.id} lies outside every licensed area",
        explanation=explanation,
        evidence=evidence,
        confidence=0.85,
        site=site,
    )
