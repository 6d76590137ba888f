"""CUSTODY.UNLICENSED_ORIGIN: extraction where nobody was licensed to extract.

Material is "extracted" when a commissioning event (EPCIS ObjectEvent, action ADD) creates it at a
mine, artisanal site or concession. The rule checks two independent things:

1. the site's own licence was valid on the day of the event (in the event's local time);
2. the place of extraction — the event's ``geo:`` read point, else the site's point — lies inside
   a licensed area: a polygon of an extraction site whose licence was valid that day.

The second check catches the front-mine pattern: a declared site with paperwork in order, whose
coordinates are nowhere near any licensed concession. It runs only where the workspace maps at
least one extraction area (a polygon); without a concession map there is nothing to check against.

The areas are indexed once per call (an R-tree of their bounding boxes), so a point inside a
licensed area is found among the few areas around it; for a point outside every one, the nearest
licensed area is searched within a box that provably holds every area nearer (great-circle
distance) than the best found so far, so the answer is the same as measuring every area.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta, timezone

import shapely
from shapely.geometry import Point, box
from shapely.geometry.base import BaseGeometry

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
from oresight.core.minerals import MaterialForm
from oresight.core.sites import Site
from oresight.custody.geodesy import (
    AREA_TYPES,
    EARTH_RADIUS_KM,
    distance_to_area_km,
    parse_geo_lonlat,
    to_shape,
)
from oresight.custody.lineage import read_events

RULE = "custody.unlicensed_origin"
RULE_VERSION = "1"
RAW_FORMS = frozenset({MaterialForm.ORE, MaterialForm.CONCENTRATE})


@dataclass(frozen=True)
class _Area:
    site: Site
    shape: BaseGeometry


@paused_gc()  # builds and drops large structures: no collector passes meanwhile
def find_unlicensed_origins(
    events: Iterable[CustodyEvent], *, sites: Mapping[str, Site]
) -> list[Finding]:
    """One finding per extraction event at an unlicensed site or outside every licensed area."""
    areas = _LicensedAreas(
        [
            _Area(site, to_shape(site.geometry))
            for site in sites.values()
            if site.is_extraction_site
            and site.geometry is not None
            and site.geometry["type"] in AREA_TYPES
        ]
    )
    # Each extraction's finding, in order; the places still to test against the areas are
    # tested together, then judged in their turn.
    outcomes: list[Finding | _Extraction | None] = []
    for event in read_events(events).commissioning():
        location = event.location()
        site = sites.get(location) if location else None
        if site is None:
            outcomes.append(_unknown_site(event))
        elif site.is_extraction_site:
            finding = _licence_problem(event, site)
            outcomes.append(finding if finding or not areas.all else _extraction(event, site))
    areas.test_covered([o for o in outcomes if isinstance(o, _Extraction)])
    findings: list[Finding] = []
    for outcome in outcomes:
        if isinstance(outcome, _Extraction):
            outcome = None if outcome.covered else _outside_areas(outcome, areas)
        if outcome is not None:
            findings.append(outcome)
    return findings


@dataclass
class _Extraction:
    """Where and on which day (local) an extraction at a licensed site took place."""

    event: CustodyEvent
    site: Site
    lon: float
    lat: float
    day: date
    covered: bool = False
    """Whether an area licensed that day covers the place."""


def _extraction(event: CustodyEvent, site: Site) -> _Extraction | None:
    """The place to test: the event's ``geo:`` read point, else the site's point; ``None`` for
    a polygon site (its own licence, checked already, covers its area) or one with no geometry."""
    position = parse_geo_lonlat(event.read_point or "")
    if position is None:
        if site.geometry is None or site.geometry["type"] in AREA_TYPES:
            return None
        point = to_shape(site.geometry).representative_point()
        position = (point.x, point.y)
    return _Extraction(event, site, *position, local_date(event))


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


def _outside_areas(extraction: _Extraction, areas: _LicensedAreas) -> Finding | None:
    """The finding on an extraction that no area licensed that day covers."""
    event, site, day = extraction.event, extraction.site, extraction.day
    point = Point(extraction.lon, extraction.lat)
    nearest = areas.nearest(point, day)
    if nearest is not None and nearest[0] == 0.0:
        return None
    where = (
        f"{_cap(_lots(event))} was commissioned on {day.isoformat()} at {site.label()}, at "
        f"{point.y:.5f}, {point.x:.5f} (lat, lon)."
    )
    evidence = [_site_evidence(site, "declared extraction site", lat=point.y, lon=point.x)]
    if nearest is not None:
        km, area = nearest
        explanation = (
            f"{where} That point is inside none of the {areas.licensed_count(day)} licensed "
            f"area(s) valid that day; the nearest, {area.site.label()}, is {km:.1f} km away."
        )
        evidence.append(
            _site_evidence(area.site, "nearest licensed area", distance_km=round(km, 2))
        )
    else:
        explanation = (
            f"{where} None of the {len(areas.all)} mapped extraction area(s) held a licence valid "
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


_SEARCH_DEGREES = (0.1, 1.0, 10.0, 360.0)
"""Half-widths of the boxes searched, in turn, for a first licensed area near a point."""
_MARGIN_DEGREES = 1e-6
"""Widening of a search box against rounding (about 0.1 m): extra candidates cost nothing."""


class _LicensedAreas:
    """The mapped extraction areas, indexed by bounding box, with their licences by day."""

    def __init__(self, areas: Sequence[_Area]) -> None:
        self.all = areas
        self._tree = shapely.STRtree([area.shape for area in areas])
        self._counts: dict[date, int] = {}
        # The longitude bound of _reach holds for longitudes within one turn of each other.
        self._in_range = False
        if areas:
            west, _, east, _ = shapely.total_bounds([area.shape for area in areas])
            self._in_range = bool(west >= -180 and east <= 180)

    def licensed(self, index: int, day: date) -> bool:
        """Whether area ``index`` held a licence valid on ``day``."""
        licence = self.all[index].site.licence
        return licence is not None and licence.valid_on(day)

    def licensed_count(self, day: date) -> int:
        """How many areas held a licence valid on ``day``."""
        if day not in self._counts:
            self._counts[day] = sum(1 for i in range(len(self.all)) if self.licensed(i, day))
        return self._counts[day]

    def test_covered(self, extractions: Sequence[_Extraction]) -> None:
        """Mark each extraction that an area licensed on its day covers (all tested at once)."""
        if not extractions or not self.all:
            return
        points = shapely.points([e.lon for e in extractions], [e.lat for e in extractions])
        which, areas = self._tree.query(points)
        inside = shapely.covers(self._tree.geometries[areas], points[which])
        for index, area, covers in zip(
            which.tolist(), areas.tolist(), inside.tolist(), strict=True
        ):
            extraction = extractions[index]
            if covers and not extraction.covered and self.licensed(area, extraction.day):
                extraction.covered = True

    def nearest(self, point: Point, day: date) -> tuple[float, _Area] | None:
        """The licensed area nearest to ``point`` (great circle, to its nearest edge) and how
        far; the first in map order among equally near ones; ``None`` when none is licensed.

        Any area no farther than ``bound`` km has a point within ``bound`` of ``point``, and such
        points lie in :func:`_reach`'s boxes: a first licensed area found nearby gives the bound,
        and every licensed area in the boxes is measured."""
        for half in _SEARCH_DEGREES:
            found = self._measured(point, day, self._query([_box(point.x, point.y, half, half)]))
            if found:
                bound = min(km for km, _, _ in found)
                km, _, area = min(self._measured(point, day, self._query(_reach(point, bound))))
                return km, area
        return None

    def _query(self, boxes: list[BaseGeometry] | None) -> list[int]:
        if boxes is None or not self._in_range:
            return list(range(len(self.all)))
        return sorted({int(i) for bounds in boxes for i in self._tree.query(bounds)})

    def _measured(
        self, point: Point, day: date, indices: list[int]
    ) -> list[tuple[float, int, _Area]]:
        return [
            (distance_to_area_km(point, self.all[i].shape), i, self.all[i])
            for i in indices
            if self.licensed(i, day)
        ]


def _box(lon: float, lat: float, half_lon: float, half_lat: float) -> BaseGeometry:
    return box(lon - half_lon, lat - half_lat, lon + half_lon, lat + half_lat)


def _reach(point: Point, km: float) -> list[BaseGeometry] | None:
    """Boxes (lon/lat degrees) that hold every point within ``km`` of ``point`` on the sphere.

    From the haversine formula: a point that near is within ``km / R`` radians of latitude, and
    its longitude differs by at most ``2 asin(sin(km / 2R) / sqrt(cos lat1 cos lat2))`` modulo a
    full turn, ``lat2`` being the band's latitude farthest from the equator; the box is repeated
    a turn east and west. ``None`` when everything is within reach (a pole, half the globe)."""
    angle = km / EARTH_RADIUS_KM
    half_lat = math.degrees(angle) + _MARGIN_DEGREES
    farthest = min(90.0, abs(point.y) + half_lat)
    cosines = math.cos(math.radians(point.y)) * math.cos(math.radians(farthest))
    reach = math.sin(angle / 2) / math.sqrt(cosines) if cosines > 0 else math.inf
    if angle >= math.pi or reach >= 1:
        return None
    half_lon = math.degrees(2 * math.asin(reach)) * (1 + 1e-9) + _MARGIN_DEGREES
    return [_box(point.x + turn, point.y, half_lon, half_lat) for turn in (-360.0, 0.0, 360.0)]
