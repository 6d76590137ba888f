"""The demo world's files, parsed, and the custody rules restated in a few lines each.

The rules are restated here independently of the custody pillar, in the simplest form that can
tell the demo's planted problems from its clean material, so that the demo data is checked
against the rules themselves and not only against oresight's implementation of them.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import Point, shape

from oresight.sim import DemoManifest, PlantedProblem, build_demo_world

EXTRACTION_KINDS = {"mine", "artisanal_site", "concession"}
KM_PER_DEGREE = 111.0
EARTH_RADIUS_KM = 6371.0
ROAD_KMH = 130.0
"""Faster than any loaded truck averages over a long leg: motorway speed limits."""
SEA_KMH = 60.0
"""Faster than any cargo ship steams."""


@dataclass(frozen=True)
class World:
    """A built demo world, parsed."""

    manifest: DemoManifest
    sites: dict[str, dict[str, Any]]
    """Site id -> GeoJSON feature."""
    parties: dict[str, dict[str, Any]]
    events: list[dict[str, Any]]
    documents: dict[str, dict[str, Any]]

    def props(self, event: dict[str, Any]) -> dict[str, Any]:
        """The properties of the site where an event happened."""
        properties: dict[str, Any] = self.sites[event["bizLocation"]["id"]]["properties"]
        return properties

    def planted(self, code: str) -> list[PlantedProblem]:
        """The planted problems of one finding code."""
        return [p for p in self.manifest.planted if p.code == code]

    def event(self, event_id: str) -> dict[str, Any]:
        """The event with this id."""
        return next(e for e in self.events if e["eventID"] == event_id)


def load_world(root: Path, seed: int) -> World:
    """Build the demo world under ``root`` and read its files back."""
    manifest = build_demo_world(root, seed=seed)
    sites_doc = json.loads((root / "sites.geojson").read_text(encoding="utf-8"))
    sites = {f["properties"]["id"]: f for f in sites_doc["features"]}
    lines = (root / "parties.ftm.json").read_text(encoding="utf-8").splitlines()
    parties = {e["id"]: e for e in map(json.loads, lines)}
    documents = {
        p.name: json.loads(p.read_text(encoding="utf-8"))
        for p in manifest.files
        if p.suffix == ".jsonld"
    }
    events = [e for d in documents.values() for e in d["epcisBody"]["eventList"]]
    return World(manifest, sites, parties, events, documents)


# -- reading events -----------------------------------------------------------------------------


def event_time(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["eventTime"])


def local_date(event: dict[str, Any]) -> date:
    return event_time(event).date()  # eventTime is written in the site's local offset


def classes(entries: list[dict[str, Any]] | None) -> list[str]:
    return [str(q["epcClass"]) for q in entries or ()]


def origins_of(event: dict[str, Any]) -> list[str]:
    """Lots an event creates: commissioned, or output by a transformation."""
    if event["type"] == "TransformationEvent":
        return classes(event.get("outputQuantityList"))
    if event["type"] == "ObjectEvent" and event["action"] == "ADD":
        return classes(event.get("quantityList"))
    return []


def uses_of(event: dict[str, Any]) -> list[str]:
    """Lots an event moves or consumes."""
    if event["type"] == "TransformationEvent":
        return classes(event.get("inputQuantityList"))
    if event["type"] == "ObjectEvent" and event["action"] != "ADD":
        return classes(event.get("quantityList"))
    return []


def index(events: list[dict[str, Any]]) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """Lot -> events creating it, lot -> events moving or consuming it."""
    origins: dict[str, list[dict[str, Any]]] = defaultdict(list)
    uses: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        for lot in origins_of(event):
            origins[lot].append(event)
        for lot in uses_of(event):
            uses[lot].append(event)
    return origins, uses


def kg(entry: dict[str, Any]) -> float:
    return float(entry["quantity"]) * (1000.0 if entry["uom"] == "TNE" else 1.0)


def grade_of(lot: str, origins: dict[str, list[Any]], fallback: float) -> float:
    found = origins.get(lot)
    return float(found[0]["ilmd"]["ore:gradePercent"]) if found else fallback


# -- licences and areas -------------------------------------------------------------------------


def licence_valid(props: dict[str, Any], day: date) -> bool:
    if not props.get("licence_number"):
        return False
    start, end = props.get("licence_valid_from"), props.get("licence_valid_to")
    return not (start and day < date.fromisoformat(start)) and not (
        end and day > date.fromisoformat(end)
    )


def inside_licensed_area(world: World, point: Point, day: date) -> bool:
    return any(
        shape(f["geometry"]).covers(point)
        for f in world.sites.values()
        if f["properties"]["kind"] in EXTRACTION_KINDS
        and f["geometry"]["type"] in ("Polygon", "MultiPolygon")
        and licence_valid(f["properties"], day)
    )


def protected_areas(world: World) -> list[dict[str, Any]]:
    return [f for f in world.sites.values() if f["properties"]["kind"] == "protected_area"]


# -- the rules, restated ------------------------------------------------------------------------


def broken_chains(world: World) -> set[str]:
    """Lots that move or are consumed with no origin record at or before their first use."""
    origins, uses = index(world.events)
    broken = set()
    for lot, used in uses.items():
        first = min(map(event_time, used))
        if not any(event_time(o) <= first for o in origins.get(lot, ())):
            broken.add(lot)
    return broken


def unlicensed_origins(world: World) -> set[str]:
    """Ids of commissioning events at extraction sites without a licence or a licensed area."""
    flagged = set()
    for event in world.events:
        if event["type"] != "ObjectEvent" or event["action"] != "ADD":
            continue
        site = world.sites[event["bizLocation"]["id"]]
        if site["properties"]["kind"] not in EXTRACTION_KINDS:
            continue
        day = local_date(event)
        point_ok = site["geometry"]["type"] != "Point" or inside_licensed_area(
            world, shape(site["geometry"]), day
        )
        if not licence_valid(site["properties"], day) or not point_ok:
            flagged.add(event["eventID"])
    return flagged


def element_creating_transformations(world: World) -> set[str]:
    """Transformations whose outputs hold more element than their inputs (lots with no origin
    record counted generously, at 100 %)."""
    origins, _ = index(world.events)
    flagged = set()
    for event in world.events:
        if event["type"] != "TransformationEvent":
            continue
        grade_out = float(event["ilmd"]["ore:gradePercent"])
        out = sum(kg(q) * grade_out / 100 for q in event["outputQuantityList"])
        total_in = sum(
            kg(q) * grade_of(q["epcClass"], origins, 100.0) / 100
            for q in event["inputQuantityList"]
        )
        if out > total_in:
            flagged.add(event["eventID"])
    return flagged


def reused_tags(world: World) -> set[str]:
    """Lots commissioned at more than one site."""
    where: dict[str, set[str]] = defaultdict(set)
    for event in world.events:
        if event["type"] == "ObjectEvent" and event["action"] == "ADD":
            for lot in classes(event["quantityList"]):
                where[lot].add(event["bizLocation"]["id"])
    return {lot for lot, sites in where.items() if len(sites) > 1}


def _km(a: dict[str, Any], b: dict[str, Any]) -> float:
    (lon1, lat1), (lon2, lat2) = (shape(f["geometry"]).centroid.coords[0] for f in (a, b))
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def too_fast_lots(world: World) -> dict[str, float]:
    """Lots recorded at two consecutive places faster than their declared mode goes: km/h."""
    by_lot: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in world.events:
        if event["type"] in ("ObjectEvent", "TransformationEvent"):
            for lot in origins_of(event) + uses_of(event):
                by_lot[lot].append(event)
    limits = {"road": ROAD_KMH, "sea": SEA_KMH}
    flagged: dict[str, float] = {}
    for lot, events in by_lot.items():
        events.sort(key=event_time)
        for a, b in itertools.pairwise(events):
            modes = [e["ore:transportMode"] for e in (a, b) if "ore:transportMode" in e]
            hours = (event_time(b) - event_time(a)).total_seconds() / 3600
            km = _km(world.sites[a["bizLocation"]["id"]], world.sites[b["bizLocation"]["id"]])
            limit = max((limits[m] for m in modes), default=160.0)
            if km > limit * (hours + 0.5):
                flagged[lot] = max(flagged.get(lot, 0.0), km / hours)
    return flagged


def quarter(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def overproducing_sites(world: World) -> dict[str, float]:
    """Extraction sites whose lots in a calendar quarter exceed 110 % of their prorated declared
    capacity: site id -> the worst ratio."""
    totals: dict[tuple[str, tuple[int, int]], float] = defaultdict(float)
    for event in world.events:
        if event["type"] == "ObjectEvent" and event["action"] == "ADD":
            site = event["bizLocation"]["id"]
            if world.props(event)["kind"] in EXTRACTION_KINDS:
                day = local_date(event)
                totals[(site, quarter(day))] += sum(kg(q) for q in event["quantityList"]) / 1000
    flagged: dict[str, float] = {}
    for (site, (year, number)), tonnes in totals.items():
        capacity = world.sites[site]["properties"].get("capacity_t_per_year")
        if capacity is None:
            continue
        start = date(year, 3 * number - 2, 1)
        end = date(year + (number == 4), 3 * number % 12 + 1, 1)
        allowed = capacity * (end - start).days / (date(year + 1, 1, 1) - date(year, 1, 1)).days
        if tonnes > 1.1 * allowed:
            flagged[site] = max(flagged.get(site, 0.0), tonnes / allowed)
    return flagged


def origins_in_protected_areas(world: World) -> set[str]:
    """Extraction sites with commissioning events that lie inside a protected area."""
    areas = [shape(f["geometry"]) for f in protected_areas(world)]
    return {
        event["bizLocation"]["id"]
        for event in world.events
        if event["type"] == "ObjectEvent"
        and event["action"] == "ADD"
        and any(area.covers(shape(world.sites[event["bizLocation"]["id"]]["geometry"]))
                for area in areas)
    }  # fmt: skip


def read_production(folder: Path) -> dict[tuple[str, str, int], float]:
    """(commodity code, USGS country name, year) -> tonnes, from MCS world CSV files."""
    figures = {}
    for path in sorted(folder.glob("mcs*_world.csv")):
        code = path.name.split("-", 1)[1].removesuffix("_world.csv")
        rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
        for row in rows:
            for column, value in row.items():
                if column and column.startswith("Prod_t_") and value:
                    figures[(code, row["Country"], int(column[-4:]))] = float(value)
    return figures


USGS_NAMES = {"CD": "Congo (Kinshasa)", "RW": "Rwanda", "BI": "Burundi"}
MINERAL_CODES = {"cobalt": "cobal", "tantalum": "tanta", "tin": "tin"}


def declared_beyond_production(world: World) -> dict[str, float]:
    """Origin countries whose extraction events declare more contained metal in a year than the
    demo's production tables say the country produced, plus 10 %: country -> the worst ratio."""
    declared: dict[tuple[str, str, int], float] = defaultdict(float)
    for event in world.events:
        if event["type"] == "ObjectEvent" and event["action"] == "ADD":
            props = world.props(event)
            if props["kind"] in EXTRACTION_KINDS:
                grade = float(event["ilmd"]["ore:gradePercent"])
                key = (props["country"], event["ilmd"]["ore:mineral"], local_date(event).year)
                declared[key] += sum(kg(q) for q in event["quantityList"]) * grade / 100 / 1000
    produced = read_production(world.manifest.production_dir)
    flagged: dict[str, float] = {}
    for (country, mineral, year), tonnes in declared.items():
        figure = produced[(MINERAL_CODES[mineral], USGS_NAMES[country], year)]
        if tonnes > 1.1 * figure:
            flagged[country] = max(flagged.get(country, 0.0), tonnes / figure)
    return flagged


KIVU = {"CD-NK", "CD-SK"}
"""North and South Kivu: on oresight's bundled CAHRA list (checked in the tests)."""


def lots_through_the_kivus(world: World) -> set[str]:
    """Lots commissioned, moved, or made or used by a transformation at a site in the Kivus."""
    return {
        lot
        for event in world.events
        if event["type"] != "AggregationEvent" and world.props(event).get("subdivision") in KIVU
        for lot in origins_of(event) + uses_of(event)
    }


def restated_findings(world: World) -> set[tuple[str, str]]:
    """(code, subject id) of every problem the restated rules find in the world."""
    found = {("CUSTODY.BROKEN_CHAIN", lot) for lot in broken_chains(world)}
    found |= {("CUSTODY.UNLICENSED_ORIGIN", e) for e in unlicensed_origins(world)}
    found |= {("CUSTODY.MASS_BALANCE", e) for e in element_creating_transformations(world)}
    found |= {("CUSTODY.TAG_REUSE", lot) for lot in reused_tags(world)}
    found |= {("CUSTODY.IMPOSSIBLE_TRAVEL", lot) for lot in too_fast_lots(world)}
    found |= {("CUSTODY.ORIGIN_OVERPRODUCTION", s) for s in overproducing_sites(world)}
    found |= {("SITE.PROTECTED_AREA_ORIGIN", s) for s in origins_in_protected_areas(world)}
    found |= {("ORIGIN.TRANSIT_COUNTRY", c) for c in declared_beyond_production(world)}
    found |= {("TRADE.EXPORTS_EXCEED_PRODUCTION", c) for c in exports_beyond_production(world)}
    found |= earth_problems(world)
    return found


BARE_NDVI = 0.25
"""Below this NDVI a pixel of the demo's scenes is bare: pit, pond or laterite (forest and
grassland lie well above it)."""
PIXEL_HA = 0.01
EXTRACTION = ("mine", "artisanal_site")


def bare_ground(world: World) -> dict[str, list[tuple[float, float]]]:
    """Per year, the lon/lat of every bare pixel of the demo's scenes, read straight from the
    catalog's band files (NDVI from the red and near-infrared digital numbers)."""
    rasterio = pytest.importorskip("rasterio")
    assert world.manifest.imagery is not None
    catalog = json.loads(world.manifest.imagery.read_text(encoding="utf-8"))
    found: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for item in catalog["features"]:
        year = item["properties"]["datetime"][:4]
        offset = 1000 if item["properties"]["s2:processing_baseline"] >= "04.00" else 0
        bands = {}
        for band in ("red", "nir"):
            with rasterio.open(world.manifest.imagery.parent / item["assets"][band]["href"]) as src:
                bands[band] = src.read(1).astype(float) - offset
                transform, crs = src.transform, src.crs
        ndvi = (bands["nir"] - bands["red"]) / (bands["nir"] + bands["red"])
        rows, cols = np.nonzero(ndvi < BARE_NDVI)
        xs = transform.c + (cols + 0.5) * transform.a
        ys = transform.f + (rows + 0.5) * transform.e
        lon, lat = pyproj.Transformer.from_crs(crs, 4326, always_xy=True).transform(xs, ys)
        found[year].extend(zip(lon, lat, strict=True))
    return found


def earth_problems(world: World) -> set[tuple[str, str]]:
    """The earth checks restated on bare pixels: a declared origin of 2023 with none within
    1 km; a protected area with a hectare of them in 2024; and, by 0.01-degree cell, a hectare
    of them in 2024 outside every concession licensed then but within 10 km of one."""
    bare = bare_ground(world)
    geod = pyproj.Geod(ellps="WGS84")
    found: set[tuple[str, str]] = set()
    origins = {
        event["bizLocation"]["id"]
        for event in world.events
        if event["type"] == "ObjectEvent" and event["action"] == "ADD"
        and event["eventTime"].startswith("2023")
        and world.sites[event["bizLocation"]["id"]]["properties"]["kind"] in EXTRACTION
    }  # fmt: skip
    points_2023 = np.array(bare["2023"])
    for site_id in origins:
        lon, lat = world.sites[site_id]["geometry"]["coordinates"]
        _, _, metres = geod.inv(
            np.full(len(points_2023), lon), np.full(len(points_2023), lat),
            points_2023[:, 0], points_2023[:, 1],
        )  # fmt: skip
        if not (metres <= 1000).any():
            found.add(("SITE.NO_ACTIVITY", site_id))
    points_2024 = [Point(p) for p in bare["2024"]]
    for area in protected_areas(world):
        outline = shape(area["geometry"])
        if sum(outline.covers(p) for p in points_2024) * PIXEL_HA >= 1:
            found.add(("SITE.MINING_IN_PROTECTED_AREA", area["id"]))
    titles = [f for f in world.sites.values() if f["properties"]["kind"] == "concession"]
    licensed = [
        shape(f["geometry"]) for f in titles
        if f["properties"]["licence_valid_from"] <= "2024-12-31"
        and f["properties"]["licence_valid_to"] >= "2024-01-01"
    ]  # fmt: skip
    near = shapely.union_all([shape(f["geometry"]) for f in titles]).buffer(0.1)  # ~10 km
    cells: dict[str, int] = defaultdict(int)
    for point in points_2024:
        if near.covers(point) and not any(t.covers(point) for t in licensed):
            cells[
                f"{math.floor(point.y * 100) / 100:.2f},{math.floor(point.x * 100) / 100:.2f}"
            ] += 1
    found |= {
        ("SITE.MINING_OUTSIDE_CONCESSION", f"urn:oresight:disturbance:2024:{cell}")
        for cell, count in cells.items()
        if count * PIXEL_HA >= 1
    }
    return found


COMTRADE_ISO3 = {"108": "BDI", "156": "CHN"}


def exports_beyond_production(world: World) -> dict[str, float]:
    """Countries whose declared exports (to the World) in the demo's Comtrade rows are worth more
    than 1.25 times their production value plus imports in its production table: ISO3 -> the
    worst ratio."""
    trade = {path.name: path for path in world.manifest.trade}
    flows: dict[tuple[str, str, int], float] = defaultdict(float)
    with trade["comtrade-demo.csv"].open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["partnerCode"] == "0":
                key = (COMTRADE_ISO3[row["reporterCode"]], row["flowCode"], int(row["refYear"]))
                flows[key] += float(row["primaryValue"])
    produced: dict[tuple[str, int], float] = {}
    with trade["burundi-production.csv"].open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            produced[({"BI": "BDI"}[row["country"]], int(row["year"]))] = float(row["value_usd"])
    flagged: dict[str, float] = {}
    for (country, flow, year), exported in flows.items():
        if flow == "X" and (country, year) in produced:
            available = produced[(country, year)] + flows.get((country, "M", year), 0.0)
            if exported > 1.25 * available:
                flagged[country] = max(flagged.get(country, 0.0), exported / available)
    return flagged
