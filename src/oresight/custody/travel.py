"""CUSTODY.IMPOSSIBLE_TRAVEL: a lot recorded at two places farther apart than the time allows.

Every event that records where a lot was (its origin, each shipping, receiving or border
crossing, the transformation that consumed it) places it at a point: the event's ``geo:`` read
point where it gives one, else the site of its business location. Between two consecutive places
the lot must have travelled at least the great-circle distance in the time between the events.
The rule flags the lot when that distance exceeds what the fastest plausible transport could
cover: ``max_kmh x (elapsed hours + slack)``.

Noise the rule absorbs rather than reports:

* clock differences between the systems that recorded two events: ``slack_hours`` (30 minutes
  by default) is added to every elapsed time, which makes short hops between nearby sites safe;
* the extent of an area site (a concession polygon): the distance is measured between the sites'
  representative points, less the radius of each area, so a lot anywhere inside it is covered.

The transport mode of a leg comes from oresight's EPCIS extension on either event,
``"ore:transportMode": "road"`` (a mode name of ``data/travel_speeds.yaml`` or its UN/CEFACT
Recommendation 19 code, such as ``"3"``); where both events declare one, the faster counts. EPCIS
itself has no transport-mode field, and business transactions (a bill of lading) do not say how
goods moved. A leg with no declared mode is held to the fastest *surface* mode (rail, 160 km/h),
which can be changed with :attr:`TravelParams.default_mode`: air freight (gold is often flown)
must be declared, or it is reported, with a lower confidence that says only a flight explains it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from shapely.geometry import MultiPoint, Point

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
from oresight.core.sites import Site
from oresight.custody.geodesy import (
    AREA_TYPES,
    great_circle_km,
    haversine_km,
    parse_geo_lonlat,
    to_shape,
)
from oresight.custody.lineage import read_events
from oresight.custody.travel_params import (
    TransportMode,
    TravelParams,
    declared_mode,
    load_transport_modes,
)
from oresight.custody.vocabulary import normalise_biz_step

RULE = "custody.impossible_travel"
RULE_VERSION = "1"

__all__ = [
    "RULE",
    "RULE_VERSION",
    "TransportMode",
    "TravelParams",
    "declared_mode",
    "find_impossible_travel",
    "load_transport_modes",
]


@dataclass(frozen=True)
class _Place:
    lon: float
    lat: float
    radius_km: float
    """How far from (lon, lat) the lot may have been: the extent of an area site."""
    label: str


@dataclass(frozen=True)
class _Leg:
    start: CustodyEvent
    end: CustodyEvent
    start_place: _Place
    end_place: _Place
    distance_km: float
    elapsed_hours: float
    mode: TransportMode
    declared: bool
    slack_hours: float

    @property
    def net_km(self) -> float:
        """The distance the lot must have covered at least, once site extents are allowed for."""
        return max(0.0, self.distance_km - self.start_place.radius_km - self.end_place.radius_km)

    def reachable_km(self, mode: TransportMode) -> float:
        """How far ``mode`` can carry the lot in the elapsed time plus the slack."""
        return mode.max_kmh * (self.elapsed_hours + self.slack_hours)

    @property
    def excess(self) -> float:
        """How many times farther the lot was than the leg's mode can reach (above 1: flagged)."""
        reachable = self.reachable_km(self.mode)
        if reachable <= 0:
            return math.inf if self.net_km > 0 else 0.0
        return self.net_km / reachable

    @property
    def required_kmh(self) -> float | None:
        """Average speed the leg needs; ``None`` when both events carry the same time."""
        return self.net_km / self.elapsed_hours if self.elapsed_hours > 0 else None


@paused_gc()  # builds and drops large structures: no collector passes meanwhile
def find_impossible_travel(
    events: Iterable[CustodyEvent],
    *,
    sites: Mapping[str, Site],
    params: TravelParams | None = None,
) -> RuleOutcome:
    """One finding per lot recorded at two places farther apart than any plausible transport.

    Places that cannot be located (a location that is no known site, a site without geometry, an
    event with no location) are reported as data gaps, so that a lot is never cleared silently.
    Raises :class:`InvalidInput` naming the event of an ``ore:transportMode`` that names no mode.
    """
    settings = params or TravelParams()
    reading = read_events(events)
    lineage = reading.lineage()
    locator = _Locator(sites)
    modes = _DeclaredModes(settings)
    findings: list[Finding] = []
    for identifier in sorted(lineage.trails):
        trail = lineage.trails[identifier]
        sightings = reading.in_time_order((*trail.origins, *trail.movements, *trail.consumptions))
        if len(sightings) < 2:
            continue
        placed: list[tuple[CustodyEvent, _Place]] = []
        for event in sightings:
            place = locator.place(event, identifier)
            if place is not None:
                placed.append((event, place))
        if len(placed) < 2:
            continue
        declared = [modes.of(event) for event, _ in placed]  # in leg order: the same first error
        impossible = [
            leg
            for (a, b), pair in zip(pairwise(placed), pairwise(declared), strict=True)
            if (leg := _impossible_leg(a, b, pair, settings, modes.fallback))
        ]
        if impossible:
            findings.append(_finding(identifier, impossible, settings, sites))
    return RuleOutcome(findings=tuple(findings), gaps=locator.gaps())


class _DeclaredModes:
    """The transport mode each event declares, read once per event (``None``: none declared)."""

    def __init__(self, params: TravelParams) -> None:
        self._params = params
        self._read: dict[int, TransportMode | None] = {}
        self._named: dict[str, TransportMode] = {}
        self.fallback = params.fallback()

    def of(self, event: CustodyEvent) -> TransportMode | None:
        key = id(event)  # the events outlive this reading
        if key not in self._read:
            # No extension fields: nothing declared (declared_mode looks only among them).
            raw = declared_mode(event) if event.extensions else None
            self._read[key] = None if raw is None else self._named_mode(raw, event)
        return self._read[key]

    def _named_mode(self, raw: object, event: CustodyEvent) -> TransportMode:
        if not isinstance(raw, str):
            return self._params.mode_named(raw, event)
        if raw not in self._named:
            self._named[raw] = self._params.mode_named(raw, event)  # raises, naming the event
        return self._named[raw]


def _impossible_leg(
    start: tuple[CustodyEvent, _Place],
    end: tuple[CustodyEvent, _Place],
    modes: tuple[TransportMode | None, TransportMode | None],
    params: TravelParams,
    fallback: TransportMode,
) -> _Leg | None:
    """The leg from ``start`` to ``end`` when no plausible transport explains it (see _Leg's
    ``net_km`` and ``excess``), else ``None``; measured before any leg object is made.

    ``modes``: what each event declares; the faster counts (the first of equals)."""
    (first, first_place), (second, second_place) = start, end
    if first_place is second_place:
        return None  # the same site: no distance (the great circle from a place to itself is 0)
    distance = great_circle_km(first_place.lon, first_place.lat, second_place.lon, second_place.lat)
    net = max(0.0, distance - first_place.radius_km - second_place.radius_km)
    if net <= 0:
        return None
    declared = [mode for mode in modes if mode is not None]
    mode = max(declared, key=lambda m: m.max_kmh) if declared else fallback
    elapsed = abs((second.event_time - first.event_time).total_seconds()) / 3600
    reachable = mode.max_kmh * (elapsed + params.slack_hours)
    if reachable > 0 and net / reachable <= 1:
        return None
    return _Leg(
        start=first,
        end=second,
        start_place=first_place,
        end_place=second_place,
        distance_km=distance,
        elapsed_hours=elapsed,
        mode=mode,
        declared=bool(declared),
        slack_hours=params.slack_hours,
    )


class _Locator:
    """Where events happened, with a record of the places it could not locate."""

    def __init__(self, sites: Mapping[str, Site]) -> None:
        self._sites = sites
        self._cache: dict[str, _Place | None] = {}
        self._unlocated: dict[str, set[str]] = defaultdict(set)
        self._unlocated_events: dict[str, set[str]] = defaultdict(set)
        self._no_location: set[str] = set()

    def place(self, event: CustodyEvent, identifier: str) -> _Place | None:
        position = parse_geo_lonlat(event.read_point or "")
        if position is not None:
            lon, lat = position
            return _Place(lon, lat, 0.0, f"{lat:.5f}, {lon:.5f} (lat, lon)")
        location = event.location()
        if location is None:
            self._no_location.add(event.event_id)
            return None
        if location not in self._cache:
            self._cache[location] = self._site_place(location)
        place = self._cache[location]
        if place is None:
            self._unlocated[location].add(identifier)
            self._unlocated_events[location].add(event.event_id)
        return place

    def _site_place(self, location: str) -> _Place | None:
        position = parse_geo_lonlat(location)
        if position is not None:
            return _Place(*position, 0.0, location)
        site = self._sites.get(location)
        if site is None or site.geometry is None:
            return None
        centre, radius = _centre_and_radius(site.geometry)
        return _Place(centre.x, centre.y, radius, site.label())

    def gaps(self) -> tuple[DataGap, ...]:
        gaps: list[DataGap] = []
        for location in sorted(self._unlocated):
            lots = len(self._unlocated[location])
            count = len(self._unlocated_events[location])
            site = self._sites.get(location)
            if site is None:
                missing = f"site record for location {location}"
                why = "is not a site of the workspace"
                fix = "Add the site, with its geometry"
            else:
                missing = f"geometry of site {location}"
                why = "is a site with no geometry"
                fix = "Give the site a Point or Polygon geometry"
            gaps.append(
                DataGap(
                    rule=RULE,
                    missing=missing,
                    explanation=(
                        f"{count} custody event(s) of {lots} lot(s) took place at {location}, "
                        f"which {why}, so the travel of those lots to and from it could not be "
                        f"checked. {fix} to check it."
                    ),
                    subject=Subject(type=SubjectType.SITE, id=location),
                )
            )
        if self._no_location:
            gaps.append(
                DataGap(
                    rule=RULE,
                    missing="readPoint or bizLocation of custody events",
                    explanation=(
                        f"{len(self._no_location)} custody event(s) of lots seen more than once "
                        "record no location, so the lots' travel through them could not be "
                        "checked. Give each event a readPoint or bizLocation."
                    ),
                )
            )
        return tuple(gaps)


def _centre_and_radius(geometry: Mapping[str, Any]) -> tuple[Point, float]:
    shape = to_shape(dict(geometry))
    if isinstance(shape, Point):
        return shape, 0.0
    if geometry["type"] in AREA_TYPES:
        centre = shape.representative_point()
        corners = [
            Point(x, y)
            for polygon in getattr(shape, "geoms", [shape])
            for x, y in polygon.exterior.coords
        ]
    else:
        assert isinstance(shape, MultiPoint)
        centre = shape.centroid
        corners = list(shape.geoms)
    return centre, max(haversine_km(centre, corner) for corner in corners)


def _finding(
    identifier: str, legs: list[_Leg], params: TravelParams, sites: Mapping[str, Site]
) -> Finding:
    worst = max(legs, key=lambda leg: leg.excess)
    fastest = params.fastest()
    beyond_any = worst.net_km > worst.reachable_km(fastest)
    if beyond_any:
        severity, confidence = Severity.HIGH, 0.95
    elif worst.declared:
        severity, confidence = Severity.HIGH, 0.85
    else:
        severity, confidence = Severity.MEDIUM, 0.6
    explanation = _explain(identifier, worst, params, beyond_any, fastest)
    if len(legs) > 1:
        explanation += f" {len(legs) - 1} other leg(s) of the lot are impossible too."
    evidence: dict[str, Evidence] = {}
    for leg in sorted(legs, key=lambda leg: leg.excess, reverse=True):
        evidence.setdefault(
            leg.start.event_id, _event_evidence(leg.start, identifier, "seen here first", sites)
        )
        evidence.setdefault(leg.end.event_id, _leg_evidence(leg, identifier, sites))
    return Finding(
        code=FindingCode.CUSTODY_IMPOSSIBLE_TRAVEL,
        subject=Subject(type=SubjectType.LOT, id=identifier),
        severity=severity,
        confidence=confidence,
        title=(
            "Lot seen at two places no transport could link in time"
            if beyond_any
            else f"Lot seen at two places farther apart than {worst.mode.name} transport allows"
        ),
        explanation=explanation,
        evidence=tuple(evidence.values()),
        rule=RULE,
        rule_version=RULE_VERSION,
        period=Period(
            start=min(leg.start.event_time for leg in legs),
            end=max(leg.end.event_time for leg in legs),
        ),
    )


def _explain(
    identifier: str, leg: _Leg, params: TravelParams, beyond_any: bool, fastest: TransportMode
) -> str:
    elapsed = _hours(leg.elapsed_hours)
    needed = (
        f"an average of {leg.required_kmh:,.0f} km/h"
        if leg.required_kmh is not None
        else "being in both places at once"
    )
    text = (
        f"Lot {identifier} was recorded at {leg.start_place.label} ({_step(leg.start)}, event "
        f"{leg.start.event_id}, {leg.start.event_time.isoformat()}) and at "
        f"{leg.end_place.label} ({_step(leg.end)}, event {leg.end.event_id}, "
        f"{leg.end.event_time.isoformat()}), {elapsed} apart. The places are {leg.net_km:,.0f} km "
        f"apart at least (great circle), which needs {needed}; "
    )
    allowance = f"allowing {_hours(params.slack_hours)} for clock differences"
    if leg.declared:
        text += (
            f"{leg.mode.name} transport, as declared, averages at most {leg.mode.max_kmh:,.0f} "
            f"km/h, so it covers at most {leg.reachable_km(leg.mode):,.0f} km ({allowance})."
        )
    else:
        assumed = (
            "the default mode set for this check"
            if params.default_mode is not None
            else "the fastest surface mode"
        )
        text += (
            f"no transport mode was declared, and {assumed}, {leg.mode.name}, averages at most "
            f"{leg.mode.max_kmh:,.0f} km/h: {leg.reachable_km(leg.mode):,.0f} km ({allowance})."
        )
    if beyond_any:
        text += f" Even {fastest.name} transport ({fastest.max_kmh:,.0f} km/h) could not do it."
    elif not leg.declared:
        text += " Only a flight, which the record does not declare, could explain it."
    return text


def _hours(hours: float) -> str:
    if hours < 1:
        return f"{hours * 60:.0f} minutes"
    if hours < 72:
        return f"{hours:.1f} hours"
    return f"{hours / 24:.1f} days"


def _step(event: CustodyEvent) -> str:
    return normalise_biz_step(event.biz_step) or event.biz_step or event.type.value


def _event_evidence(
    event: CustodyEvent, identifier: str, note: str, sites: Mapping[str, Site]
) -> Evidence:
    location = event.location()
    data: dict[str, Any] = {
        "event_time": event.event_time.isoformat(),
        "type": event.type.value,
        "biz_step": normalise_biz_step(event.biz_step),
        "location": location,
    }
    known = sites.get(location) if location else None
    if known is not None:
        data["location_name"] = known.name
    if event.read_point and event.read_point != location:
        data["read_point"] = event.read_point
    mode = declared_mode(event)
    if mode is not None:
        data["declared_transport_mode"] = mode
    quantity = event.quantities().get(identifier)
    if quantity is not None and quantity.quantity is not None:
        data["quantity"] = quantity.quantity
        data["uom"] = quantity.uom
    return Evidence(kind=EvidenceKind.EVENT, id=event.event_id, note=note, data=data)


def _leg_evidence(leg: _Leg, identifier: str, sites: Mapping[str, Site]) -> Evidence:
    evidence = _event_evidence(leg.end, identifier, "seen here too soon after", sites)
    required = leg.required_kmh
    leg_data = {
        "previous_event": leg.start.event_id,
        "distance_km": round(leg.distance_km, 1),
        "site_extent_km": round(leg.start_place.radius_km + leg.end_place.radius_km, 1),
        "elapsed_hours": round(leg.elapsed_hours, 2),
        "required_kmh": round(required, 1) if required is not None else None,
        "allowed_kmh": leg.mode.max_kmh,
        "transport_mode": leg.mode.name,
        "transport_mode_declared": leg.declared,
        "slack_hours": leg.slack_hours,
    }
    return evidence.model_copy(update={"data": {**evidence.data, **leg_data}})
