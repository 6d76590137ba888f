"""SITE.PROTECTED_AREA_ORIGIN: material extracted inside a protected or indigenous area.

Mining is banned or restricted in protected areas and indigenous territories (in Brazil, for
instance, mining in indigenous lands needs an authorisation of Congress that has never been
given), yet gold and cassiterite dug there enter legitimate chains under the name of some nearby
licensed site. The rule takes the place of each extraction — a commissioning event (ObjectEvent,
ADD) at a mine, artisanal site or concession — and tests it against the area polygons:

* the event's ``geo:`` read point, where it has one (where the material was dug, as recorded);
* else the site's geometry: a point is inside or not; a polygon (a concession) is flagged when
  part of it lies inside an area, with the overlap in km² and as a share of the site.

One finding per origin site and area, citing the extraction events. Protected areas are sites of
kind ``protected_area``, read with the site readers or, from third-party boundary files whose
properties are not site properties (WDPA, Amazon Mining Watch, national registries), with
:func:`protected_areas_from_geojson`; their ``designation`` property (``indigenous_territory``,
``national_park``, ...) says what kind of protection applies.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from oresight.core.collector import paused_gc
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
from oresight.core.minerals import MaterialForm
from oresight.core.sites import Site, SiteKind
from oresight.custody.geodesy import AREA_TYPES, EARTH_RADIUS_KM, parse_geo_uri, to_shape
from oresight.custody.lineage import read_events
from oresight.custody.site_features import SITE_FIELDS, SourceRecord, UniqueSites, checked_geometry

RULE = "site.protected_area_origin"
RULE_VERSION = "1"
MAX_LISTED_EVENTS = 20
RAW_FORMS = frozenset({MaterialForm.ORE, MaterialForm.CONCENTRATE})
AREA_ID_PREFIX = "urn:oresight:area:"


def protected_areas_from_geojson(
    path: Path,
    *,
    designation: str,
    name_property: str = "name",
    id_property: str | None = None,
    id_prefix: str = AREA_ID_PREFIX,
    designation_property: str | None = None,
) -> list[Site]:
    """Read protected or indigenous areas from a GeoJSON file of (Multi)Polygon features.

    Each feature becomes a site of kind ``protected_area``. Its id is the ``id_property``
    property, else the feature id, else ``id_prefix`` and its name made lower case with dashes
    (``urn:oresight:area:yanomami``). ``designation`` (such as ``indigenous_territory``) is
    kept as the ``designation`` property, unless ``designation_property`` names a feature property
    that gives it per feature. Other properties are kept; one named like a site field is kept
    with a ``source_`` prefix (AMW's free-text ``country`` becomes ``source_country``).
    Raises :class:`InvalidInput` naming the file, the feature and the field.
    """
    at = SourceRecord(str(path))
    features = _features(path, at)
    areas = UniqueSites()
    for index, feature in enumerate(features):
        at = SourceRecord(str(path), f"feature {index}")
        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            raise at.error("expected a GeoJSON Feature object", "type")
        properties = feature.get("properties") or {}
        if not isinstance(properties, Mapping):
            raise at.error("expected an object or null", "properties")
        name = _text(properties.get(name_property), name_property, at)
        if name is None:
            raise at.error("the area has no name", name_property)
        area_id = _area_id(feature, properties, name, id_property, id_prefix, at)
        at = at.with_id(area_id)
        geometry = feature.get("geometry")
        if not isinstance(geometry, Mapping) or geometry.get("type") not in AREA_TYPES:
            kind = geometry.get("type") if isinstance(geometry, Mapping) else geometry
            raise at.error(f"expected a Polygon or MultiPolygon, found {kind!r}", "geometry")
        try:
            shape = to_shape(dict(geometry))
        except (shapely.errors.ShapelyError, ValueError, TypeError, KeyError, IndexError) as exc:
            raise at.error(f"not a valid geometry: {exc}", "geometry") from None
        kept = {
            (f"source_{key}" if key in SITE_FIELDS else key): value
            for key, value in properties.items()
            if key not in (name_property, id_property)
        }
        if designation_property is not None:
            given = _text(properties.get(designation_property), designation_property, at)
            kept["designation"] = given or designation
        else:
            kept["designation"] = designation
        area = Site(
            id=area_id,
            name=name,
            kind=SiteKind.PROTECTED_AREA,
            geometry=checked_geometry(shape, at),
            properties=kept,
        )
        areas.add(area, at)
    return areas.collected()


def area_km2(geometry: BaseGeometry) -> float:
    """Area of a lon/lat (Multi)Polygon on the sphere, in km².

    Sums, over each ring, (λ_next − λ_previous) · sin φ (Chamberlain & Duquette, "Some algorithms
    for polygons on a sphere", JPL 2007); holes are subtracted. Good to well under 1 % for areas
    up to the size of a country, which is all an overlap share needs.
    """
    if geometry.geom_type == "Polygon":
        polygon: Any = geometry
        holes = sum(_ring_km2(ring.coords) for ring in polygon.interiors)
        return _ring_km2(polygon.exterior.coords) - holes
    parts: Any = getattr(geometry, "geoms", ())
    return sum(area_km2(part) for part in parts)


@paused_gc()  # builds and drops large structures: no collector passes meanwhile
def find_protected_area_origins(
    events: Iterable[CustodyEvent],
    *,
    sites: Mapping[str, Site],
    areas: Sequence[Site] | None = None,
) -> RuleOutcome:
    """Findings for extraction inside protected or indigenous areas, one per origin and area.

    ``areas`` defaults to the ``protected_area`` sites of ``sites``. Data gaps name an origin
    with no position, an area with no polygon, and the lack of any area to test against.
    """
    chosen = (
        list(areas)
        if areas is not None
        else [s for s in sites.values() if s.kind is SiteKind.PROTECTED_AREA]
    )
    gaps: dict[tuple[str, str], DataGap] = {}
    polygons: list[tuple[Site, BaseGeometry]] = []
    for area in chosen:
        if area.geometry is None or area.geometry["type"] not in AREA_TYPES:
            gaps[(area.id, "area polygon")] = _gap(
                area.id,
                area.name,
                "area polygon",
                f"Protected area {area.label()} has no polygon, so no origin was tested against "
                "it; supply its boundary as a Polygon or MultiPolygon.",
            )
            continue
        shape = to_shape(area.geometry)
        shapely.prepare(shape)
        polygons.append((area, shape))
    tree = shapely.STRtree([shape for _, shape in polygons])
    hits: dict[tuple[str, str], _Hit] = {}
    origins = 0
    # Only commissioning events can be origins (see _origin): sort those alone.
    for event in read_events(events).commissioning_in_time_order():
        origin = _origin(event, sites)
        if origin is None:
            continue
        origins += 1
        site, place = origin
        if place is None:
            assert site is not None  # an event with neither a site nor a point is not an origin
            gaps[(site.id, "site position")] = _gap(
                site.id,
                site.name,
                "site position",
                f"Extraction site {site.label()} has no geometry and its events no geo: read "
                "point, so it was not tested against protected areas; add its point or polygon.",
            )
            continue
        for index in tree.query(place):
            area, shape = polygons[int(index)]
            overlap = _overlap(place, shape)
            if overlap is None:
                continue
            subject_id = site.id if site else (event.location() or "")
            hit = hits.setdefault((subject_id, area.id), _Hit(subject_id, site, area))
            hit.add(event, place, overlap)
    if origins and not chosen:
        gaps[("", "protected areas")] = _gap(
            None,
            None,
            "protected areas",
            "No protected or indigenous area polygons were given, so no extraction site was "
            "tested; load them as sites of kind protected_area (WDPA, national registries, "
            "indigenous-territory boundaries).",
        )
    findings = [_finding(hits[key]) for key in sorted(hits)]
    return RuleOutcome(findings=tuple(findings), gaps=tuple(gaps.values()))


@dataclass
class _Overlap:
    km2: float | None = None
    """Area of a polygon origin inside the protected area; ``None`` for a point."""
    share: float | None = None


@dataclass
class _Hit:
    subject_id: str
    site: Site | None
    area: Site
    events: list[CustodyEvent] = field(default_factory=list)
    points: list[tuple[float, float]] = field(default_factory=list)
    overlap: _Overlap | None = None

    def add(self, event: CustodyEvent, place: BaseGeometry, overlap: _Overlap) -> None:
        self.events.append(event)
        if overlap.km2 is None:  # a point: remember where
            for point in getattr(place, "geoms", [place]):
                coordinates = (round(point.y, 6), round(point.x, 6))
                if coordinates not in self.points:
                    self.points.append(coordinates)
        else:
            self.overlap = overlap


def _origin(
    event: CustodyEvent, sites: Mapping[str, Site]
) -> tuple[Site | None, BaseGeometry | None] | None:
    """The origin site of an extraction event and the place to test, or None if no extraction."""
    if event.type is not EventType.OBJECT or event.action is not Action.ADD:
        return None
    location = event.location()
    site = sites.get(location) if location else None
    point = parse_geo_uri(event.read_point or "")
    if site is None:
        # An unknown place is an extraction only when the lot is raw mineral (see
        # unlicensed_origin); it can be tested only where the event records a geo: point.
        master = event.lot_master
        if master is None or master.mineral is None or master.form not in RAW_FORMS:
            return None
        return (None, point) if point is not None else None
    if not site.is_extraction_site:
        return None
    if point is not None:
        return site, point
    return site, to_shape(site.geometry) if site.geometry is not None else None


def _overlap(place: BaseGeometry, area: BaseGeometry) -> _Overlap | None:
    if place.geom_type in AREA_TYPES:
        if not area.intersects(place):
            return None
        inside = area_km2(area.intersection(place))
        if inside <= 0:
            return None  # touching along an edge only
        total = area_km2(place)
        return _Overlap(km2=inside, share=inside / total if total > 0 else None)
    return _Overlap() if area.intersects(place) else None


def _finding(hit: _Hit) -> Finding:
    area, site = hit.area, hit.site
    designation = str(area.properties.get("designation") or area.kind.value)
    designation_text = designation.replace("_", " ")
    where = site.label() if site else f"{hit.subject_id} (not a known site)"
    events = hit.events
    first, last = events[0].event_time, events[-1].event_time
    when = first.date().isoformat()
    if last.date() != first.date():
        when = f"between {when} and {last.date().isoformat()}"
    else:
        when = f"on {when}"
    lots = sorted({lot for event in events for lot in event.produced()})
    area_data: dict[str, object] = {"name": area.name, "designation": designation}
    inside: list[str] = []
    confidence = 0.9
    if hit.overlap is not None and hit.overlap.km2 is not None:
        km2, share = hit.overlap.km2, hit.overlap.share
        share_text = f" ({share:.0%} of the site)" if share is not None else ""
        inside.append(f"{km2:,.1f} km² of the site's area{share_text}")
        area_data.update(overlap="polygon", overlap_km2=round(km2, 3))
        area_data["overlap_share"] = None if share is None else round(share, 4)
        # Part of a concession inside: the digging may be in the part outside.
        confidence = 0.9 if share is not None and share >= 0.5 else 0.7
    if hit.points:
        listed = "; ".join(f"{lat:.5f}, {lon:.5f}" for lat, lon in hit.points[:5])
        inside.append(f"the place of extraction ({listed}, lat, lon)")
        area_data.update(overlap="point", points=[list(p) for p in hit.points])
        confidence = 0.9
    explanation = (
        f"{len(events)} extraction event(s) {when} commissioned {len(lots)} lot(s) at {where}; "
        f"{' and '.join(inside)} lies inside {area.label()} ({designation_text}). Extraction "
        "there is banned or restricted, and material from it needs proof of a lawful exception."
    )
    if len(events) > MAX_LISTED_EVENTS:
        explanation += f" The first {MAX_LISTED_EVENTS} of {len(events)} events are cited."
    evidence = [_event_evidence(event) for event in events[:MAX_LISTED_EVENTS]]
    if site is not None:
        site_data = {"kind": site.kind.value, "country": site.country, "name": site.name}
        evidence.append(
            Evidence(kind=EvidenceKind.SITE, id=site.id, note="origin site", data=site_data)
        )
    note = f"{designation_text} containing the origin"
    origin_name = (site.name or site.id) if site is not None else hit.subject_id
    evidence.append(Evidence(kind=EvidenceKind.SITE, id=area.id, note=note, data=area_data))
    return Finding(
        code=FindingCode.SITE_PROTECTED_AREA_ORIGIN,
        subject=Subject(
            type=SubjectType.SITE, id=hit.subject_id, label=site.name if site else None
        ),
        severity=Severity.HIGH,
        confidence=confidence,
        title=f"Extraction at {origin_name} inside {area.name or area.id}",
        explanation=explanation,
        evidence=tuple(evidence),
        rule=RULE,
        rule_version=RULE_VERSION,
        period=Period(start=first, end=last),
    )


def _event_evidence(event: CustodyEvent) -> Evidence:
    data: dict[str, object] = {
        "event_time": event.event_time.isoformat(),
        "location": event.location(),
        "read_point": event.read_point,
        "lots": list(event.produced()),
    }
    if event.lot_master is not None:
        data.update(event.lot_master.model_dump(mode="json", exclude_none=True))
    return Evidence(kind=EvidenceKind.EVENT, id=event.event_id, note="extraction event", data=data)


def _gap(subject_id: str | None, label: str | None, missing: str, explanation: str) -> DataGap:
    subject = (
        None if subject_id is None else Subject(type=SubjectType.SITE, id=subject_id, label=label)
    )
    return DataGap(rule=RULE, missing=missing, explanation=explanation, subject=subject)


def _ring_km2(coordinates: Any) -> float:
    points = list(coordinates)
    if len(points) > 1 and points[0] == points[-1]:
        points = points[:-1]
    total = 0.0
    count = len(points)
    for i in range(count):
        previous_lon = points[i - 1][0]
        next_lon = points[(i + 1) % count][0]
        total += math.radians(next_lon - previous_lon) * math.sin(math.radians(points[i][1]))
    return abs(total) * EARTH_RADIUS_KM**2 / 2


def _features(path: Path, at: SourceRecord) -> list[Any]:
    try:
        document = json.loads(path.read_bytes().decode("utf-8-sig"))
    except OSError as exc:
        raise at.error(f"cannot read the file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise at.error(f"not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise at.error(
            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(document, Mapping) or document.get("type") != "FeatureCollection":
        raise at.error("expected a GeoJSON FeatureCollection", "type")
    features = document.get("features")
    if not isinstance(features, list):
        raise at.error("a FeatureCollection needs a 'features' list", "features")
    return features


def _area_id(
    feature: Mapping[str, Any],
    properties: Mapping[str, Any],
    name: str,
    id_property: str | None,
    id_prefix: str,
    at: SourceRecord,
) -> str:
    if id_property is not None:
        value = _text(properties.get(id_property), id_property, at)
        if value is None:
            raise at.error("the area has no id", id_property)
        return value
    feature_id = _text(feature.get("id"), "id", at)
    if feature_id is not None:
        return feature_id
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return id_prefix + re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def _text(value: Any, field_name: str, at: SourceRecord) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise at.error(f"expected text, found {type(value).__name__}", field_name)
    return value.strip() or None
