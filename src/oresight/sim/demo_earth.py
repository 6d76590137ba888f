"""The demo world's imagery: two years of synthetic Sentinel-2 scenes over its declared mines.

Every mine and artisanal site that the demo's custody events name as a place of extraction gets
a scene of July 2023 and of July 2024 (sites a few kilometres apart share one), with the pit of
its workings drawn at it, except for what is planted:

* **a front mine**: the Kabarore coltan mine in Burundi, declared the origin of six convoys in
  late 2023 (the laundering of ``ORIGIN.TRANSIT_COUNTRY``), shows no disturbance at all;
* **mining outside a concession**: in 2024 a new pit opens just outside the Kabarore permit;
* **mining in a protected area**: the Lufupa-Nord artisanal pit, inside the (fictitious) Lufupa
  Hills National Park, is there in 2023 and larger in 2024.

The scenes are written as Sentinel-2 L2A items of a local STAC catalog (``imagery/items.json``,
see :mod:`oresight.sim.imagery`) with ``imagery/areas.geojson``, the ground they cover, which
``oresight earth scan --items ... --aoi ...`` scans. Clouds are left out so that every declared
origin is observed: the front mine's absence of mining is then a finding, not a data gap.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyproj
import shapely
from shapely import affinity
from shapely.geometry import Point, box, mapping
from shapely.geometry.base import BaseGeometry

from oresight.core.findings import FindingCode, SubjectType
from oresight.earth.concessions import disturbance_subject
from oresight.earth.geodesy import distance_m
from oresight.earth.periods import parse_period
from oresight.sim.imagery import Acquisition, write_items
from oresight.sim.manifest import ExpectedKind, PlantedProblem
from oresight.sim.scenes import SceneSpec, planned_scene
from oresight.sim.world import SITE_BY_KEY, site_id
from oresight.sim.world_specs import SiteSpec, offset_lonlat

IMAGERY_DIR = "imagery"
AREAS_FILE = "areas.geojson"
SOURCE = "demo scan"
PERIODS = (
    ("2023", datetime(2023, 7, 15, 8, 30, tzinfo=UTC)),
    ("2024", datetime(2024, 7, 14, 8, 30, tzinfo=UTC)),
)
UTM_35S = 32735
PIXEL_M = 10.0
MARGIN_KM = 1.6
"""Beyond the farthest site of a scene: more than the checks' 1 km around a site."""
GROUP_KM = 5.0
"""Sites closer than this share a scene."""

FRONT_MINE = "m-kabarore"
PERMIT = "c-kabarore"
PARK_SITE = "a-lufupa"
PARK = "pa-lufupa"
PARK_ZONE = "zea-lufupa"
ORIGINS = (
    "m-kanyama", "m-lupoto", "m-mwilu", "a-kasanza", "a-mukoma", "a-lwilu", "a-kanzenze",
    "a-lufupa", "a-kalehe-sn", "a-kalehe-ta", "a-ngungu", "a-kalungu", "m-kabarore",
)  # fmt: skip
"""The sites the demo's events declare as places of extraction."""
NEW_PIT_KM = (2.45, -0.25)
"""Where the 2024 pit opens, east and north of the Kabarore permit's centre: outside its
outline, less than 1 km from it, more than 1 km from the mine."""


@dataclass(frozen=True)
class DemoImagery:
    """What was written, and the findings it must raise."""

    items: Path
    areas: Path
    planted: tuple[PlantedProblem, ...]
    consequences: tuple[PlantedProblem, ...]


def write_demo_imagery(folder: Path) -> DemoImagery:
    """Write the scenes, the catalog and the areas file under ``folder``."""
    to_utm = pyproj.Transformer.from_crs("EPSG:4326", f"EPSG:{UTM_35S}", always_xy=True)
    to_lonlat = pyproj.Transformer.from_crs(f"EPSG:{UTM_35S}", "EPSG:4326", always_xy=True)
    permit = SITE_BY_KEY[PERMIT]
    new_pit_at = _cell_centre(*offset_lonlat(permit.lon, permit.lat, *NEW_PIT_KM))
    acquisitions: list[Acquisition] = []
    footprints: list[BaseGeometry] = []
    for number, group in enumerate(_groups()):
        centre, half_km = _frame(group, to_utm)
        if PERMIT in {s.key for s in group} or FRONT_MINE in {s.key for s in group}:
            centre = to_utm.transform(permit.lon, permit.lat)
            half_km = 3.4
        spec = _spec(number, centre, half_km)
        for period, when in PERIODS:
            scars = [
                (site.key, _pit(site, to_utm, to_lonlat, grown=period == "2024"))
                for site in group
                if site.key != FRONT_MINE
            ]
            if period == "2024" and any(s.key == FRONT_MINE for s in group):
                scars.append(("new-pit", _blob(new_pit_at, 4.0, to_utm, to_lonlat)))
            scene = planned_scene(
                spec, scars, period=period, noise_seed=1 + PERIODS.index((period, when))
            )
            acquisitions.append(
                Acquisition(f"S2A_DEMO_{number:02d}_{when:%Y%m%d}", when, scene.composite)
            )
        footprints.append(_footprint(spec, to_lonlat))
    root = folder / IMAGERY_DIR
    items = write_items(acquisitions, root)
    areas = root / AREAS_FILE
    # A bare geometry, not features: a folder ingest passes it over rather than reading sites.
    covered = mapping(shapely.MultiPolygon(footprints))
    areas.write_bytes((json.dumps(covered, indent=1) + "\n").encode())
    return DemoImagery(items, areas, *_expected(new_pit_at))


def _expected(
    new_pit_at: tuple[float, float],
) -> tuple[tuple[PlantedProblem, ...], tuple[PlantedProblem, ...]]:
    mine, permit = SITE_BY_KEY[FRONT_MINE], SITE_BY_KEY[PERMIT]
    park, pit, zone = SITE_BY_KEY[PARK], SITE_BY_KEY[PARK_SITE], SITE_BY_KEY[PARK_ZONE]
    outside = disturbance_subject(parse_period("2024"), *new_pit_at)
    planted = (
        PlantedProblem(
            code=FindingCode.SITE_NO_ACTIVITY.value,
            subject_type=SubjectType.SITE.value,
            subject_id=site_id(mine),
            description=(
                f"{mine.name} is declared the origin of the Burundian coltan convoys of late "
                "2023, yet the 2023 imagery shows no mining within 1 km of it: a front mine."
            ),
        ),
        PlantedProblem(
            code=FindingCode.SITE_MINING_OUTSIDE_CONCESSION.value,
            subject_type=SubjectType.SITE.value,
            subject_id=outside,
            description=(
                f"A pit of about 4 ha opens in 2024 just outside {permit.name}, in no licensed "
                "concession."
            ),
        ),
        PlantedProblem(
            code=FindingCode.SITE_MINING_IN_PROTECTED_AREA.value,
            subject_type=SubjectType.SITE.value,
            subject_id=site_id(park),
            description=(
                f"The pit of {pit.name} lies inside {park.name} in 2023 and has grown by 2024."
            ),
        ),
    )
    consequences = (
        PlantedProblem(
            code=FindingCode.SITE_NEW_DISTURBANCE.value,
            subject_type=SubjectType.SITE.value,
            subject_id=site_id(site),
            description=f"New ground disturbed between 2023 and 2024 at or near {site.name}.",
            kind=ExpectedKind.CONSEQUENCE,
            follows_from=(cause,),
        )
        for site, cause in ((permit, outside), (pit, site_id(park)), (zone, site_id(park)))
    )
    return planted, tuple(consequences)


def _groups() -> list[list[SiteSpec]]:
    """The declared origins, those within :data:`GROUP_KM` of each other together."""
    groups: list[list[SiteSpec]] = []
    for key in ORIGINS:
        site = SITE_BY_KEY[key]
        near = next((g for g in groups if any(_km(site, other) < GROUP_KM for other in g)), None)
        if near is None:
            groups.append([site])
        else:
            near.append(site)
    return groups


def _frame(
    group: Sequence[SiteSpec], to_utm: pyproj.Transformer
) -> tuple[tuple[float, float], float]:
    points = [to_utm.transform(site.lon, site.lat) for site in group]
    x = sum(p[0] for p in points) / len(points)
    y = sum(p[1] for p in points) / len(points)
    reach = max(math.hypot(px - x, py - y) for px, py in points) / 1000
    return (x, y), reach + MARGIN_KM


def _spec(number: int, centre: tuple[float, float], half_km: float) -> SceneSpec:
    pixels = round(2 * half_km * 1000 / PIXEL_M)
    west = round((centre[0] - half_km * 1000) / PIXEL_M) * PIXEL_M
    north = round((centre[1] + half_km * 1000) / PIXEL_M) * PIXEL_M
    return SceneSpec(
        seed=700 + number, height=pixels, width=pixels, pixel_m=PIXEL_M, epsg=UTM_35S,
        west=west, north=north, scars=0, negatives_per_kind=0, cloud_fraction=0.0,
    )  # fmt: skip


def _pit(
    site: SiteSpec, to_utm: pyproj.Transformer, to_lonlat: pyproj.Transformer, *, grown: bool
) -> BaseGeometry:
    """The workings at a site: about 5 ha; the park's pit about twice that in 2024."""
    hectares = 10.0 if grown and site.key == PARK_SITE else 5.0
    return _blob((site.lon, site.lat), hectares, to_utm, to_lonlat)


def _blob(
    at: tuple[float, float],
    hectares: float,
    to_utm: pyproj.Transformer,
    to_lonlat: pyproj.Transformer,
) -> BaseGeometry:
    """An irregular pit of about ``hectares`` centred on ``at`` (lon, lat), in lon/lat."""
    x, y = to_utm.transform(*at)
    side = math.sqrt(hectares * 10_000)
    outline = box(x - side / 2, y - side * 0.4, x + side / 2, y + side * 0.6)
    outline = outline.union(Point(x + side * 0.45, y).buffer(side * 0.3))
    outline = affinity.rotate(outline, 25, origin=(x, y))
    return shapely.ops.transform(to_lonlat.transform, outline)


def _footprint(spec: SceneSpec, to_lonlat: pyproj.Transformer) -> BaseGeometry:
    return shapely.ops.transform(to_lonlat.transform, box(*spec.bounds))


def _cell_centre(lon: float, lat: float) -> tuple[float, float]:
    """The centre of the 0.01-degree cell holding (lon, lat): a pit there stays in its cell."""
    return (math.floor(lon * 100) + 0.5) / 100, (math.floor(lat * 100) + 0.5) / 100


def _km(a: SiteSpec, b: SiteSpec) -> float:
    return distance_m(Point(a.lon, a.lat), Point(b.lon, b.lat)) / 1000
