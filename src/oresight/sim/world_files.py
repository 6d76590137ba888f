"""The demo world's places and parties as the files a user would bring: GeoJSON and FtM lines.

Written as plain JSON on purpose: the demo must look exactly like a user's own files, not like
something oresight's own writers produced.
"""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

from oresight.sim.world import (
    FICTITIOUS_NOTE,
    KM_PER_DEGREE_LAT,
    KM_PER_DEGREE_LON_AT_EQUATOR,
    PARTIES,
    PARTY_BY_KEY,
    RELATIONS,
    SITES,
    SiteSpec,
    offset_lonlat,
    site_id,
)


def site_geometry(site: SiteSpec) -> dict[str, Any]:
    """The GeoJSON geometry of a site: its outline as a Polygon, else its Point."""
    if not site.outline_km:
        return {"type": "Point", "coordinates": [site.lon, site.lat]}
    ring = [list(offset_lonlat(site.lon, site.lat, e, n)) for e, n in site.outline_km]
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def site_properties(site: SiteSpec) -> dict[str, Any]:
    """The DESIGN.md site properties of a site, in a stable order."""
    props: dict[str, Any] = {
        "id": site_id(site),
        "name": site.name,
        "kind": site.kind,
        "country": site.country,
    }
    if site.operator is not None:
        props["operator"] = PARTY_BY_KEY[site.operator].id
    if site.minerals:
        props["minerals"] = list(site.minerals)
    if site.licence is not None:
        number, valid_from, valid_to = site.licence
        props["licence_number"] = number
        props["licence_valid_from"] = valid_from
        props["licence_valid_to"] = valid_to
    if site.capacity is not None:
        props["capacity_t_per_year"] = site.capacity[0]
        props["capacity_basis"] = site.capacity[1]
    if site.rmi_smelter_id is not None:
        props["rmi_smelter_id"] = site.rmi_smelter_id
    if site.subdivision is not None:
        props["subdivision"] = site.subdivision
    props.update(site.extra)
    return props


def sites_geojson() -> dict[str, Any]:
    """Every site of the world as a GeoJSON FeatureCollection (WGS 84)."""
    features = [
        {
            "type": "Feature",
            "id": site_id(site),
            "geometry": site_geometry(site),
            "properties": site_properties(site),
        }
        for site in SITES
    ]
    return {"type": "FeatureCollection", "name": "oresight demo world sites", "features": features}


def party_entities() -> list[dict[str, Any]]:
    """Every party and relationship of the world as FtM entity objects."""
    entities: list[dict[str, Any]] = []
    for party in PARTIES:
        props: dict[str, list[str]] = {
            "name": [party.name],
            "country": [party.country],
            "notes": [FICTITIOUS_NOTE],
        }
        if party.schema == "Person":
            props["nationality"] = [party.country]
        else:
            props["jurisdiction"] = [party.country]
        for key, value in party.extra:
            props[key] = [value]
        entities.append({"id": party.id, "schema": party.schema, "properties": props})
    for relation in RELATIONS:
        if relation.schema == "Ownership":
            ends = ("owner", "asset")
        else:
            ends = ("director", "organization")
        rel_props: dict[str, list[str]] = {
            ends[0]: [PARTY_BY_KEY[relation.source].id],
            ends[1]: [PARTY_BY_KEY[relation.target].id],
        }
        for key, value in relation.properties:
            rel_props[key] = [value]
        entities.append(
            {"id": f"demo-{relation.key}", "schema": relation.schema, "properties": rel_props}
        )
    return entities


def ftm_lines() -> str:
    """The parties as FtM JSON lines (one entity per line)."""
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in party_entities())


def km_outside(site: SiteSpec, area: SiteSpec) -> float:
    """Approximate distance in km from a point site to the outline of an area site.

    An equirectangular projection around the area is accurate to well under 1 % at these
    distances (tens of km), which is all a planted problem's description needs.
    """
    scale_lon = KM_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(area.lat))
    px = (site.lon - area.lon) * scale_lon
    py = (site.lat - area.lat) * KM_PER_DEGREE_LAT
    vertices = [*area.outline_km, area.outline_km[0]]
    best = math.inf
    for (ax, ay), (bx, by) in itertools.pairwise(vertices):
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
        best = min(best, math.hypot(px - (ax + t * dx), py - (ay + t * dy)))
    return best
