"""Where a generated scenario's chains happen, and who runs them: sites and parties per chain.

Every chain gets its own licensed area, extraction sites, buyer, processor and refiner, so that a
problem planted in one chain shows on that chain's subjects only (a site's output or a facility's
balance is never the sum of several chains). Only the transport corridor is shared: the border
posts, the port of Dar es Salaam, the hauliers and the shipping line of the demo world.

Licensed areas sit on a grid per region, one cell per chain, spaced so that a site planted
outside its own area falls inside no other. Places are real regions (the DRC Copperbelt, Rwanda,
the Kivus, Tanzania); every company, cooperative and person is FICTITIOUS.

The demo world's event and file builders look places and parties up by key in its tables
(:data:`oresight.sim.world.SITE_BY_KEY`, ``PARTY_BY_KEY``); :func:`registered` adds a
scenario's own to those tables while it is built, and takes them out again afterwards.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from random import Random
from typing import Any

from shapely.geometry import Point

from oresight.core.errors import InvalidInput
from oresight.custody.geodesy import haversine_km
from oresight.sim.world import (
    KM_PER_DEGREE_LAT,
    KM_PER_DEGREE_LON_AT_EQUATOR,
    PARTY_BY_KEY,
    SITE_BY_KEY,
    PartySpec,
    SiteSpec,
)

ROAD_WINDING = 1.3
"""Road distance over great-circle distance on the region's roads."""
ROAD_KMH = (25.0, 45.0)
"""Average speed of a loaded truck, door to door."""
OUTLINE_VERTICES = 8


class Commodity(StrEnum):
    """The minerals a scenario chain can carry."""

    COBALT = "cobalt"
    TIN = "tin"
    TANTALUM = "tantalum"


@dataclass(frozen=True)
class Region:
    """A box of a country where licensed areas are laid out on a grid, one per chain."""

    key: str
    country: str
    lon: tuple[float, float]
    lat: tuple[float, float]
    cell_km: float
    subdivisions: tuple[tuple[float, str, str], ...] = ()
    """(eastern bound in degrees of longitude, ISO 3166-2 code, name), west to east."""

    def cells(self) -> list[tuple[float, float]]:
        """The centres (lon, lat) of the grid cells."""
        mid = math.radians((self.lat[0] + self.lat[1]) / 2)
        dlat = self.cell_km / KM_PER_DEGREE_LAT
        dlon = self.cell_km / (KM_PER_DEGREE_LON_AT_EQUATOR * math.cos(mid))
        columns = int((self.lon[1] - self.lon[0]) / dlon)
        rows = int((self.lat[1] - self.lat[0]) / dlat)
        return [
            (round(self.lon[0] + (c + 0.5) * dlon, 6), round(self.lat[0] + (r + 0.5) * dlat, 6))
            for r in range(rows)
            for c in range(columns)
        ]

    def subdivision(self, lon: float) -> dict[str, str]:
        """The ``subdivision`` and ``subdivision_name`` properties of a place in the region."""
        for bound, code, name in self.subdivisions:
            if lon < bound:
                return {"subdivision": code, "subdivision_name": name}
        return {}


# fmt: off
COPPERBELT = Region("copperbelt", "CD", (23.9, 28.0), (-11.9, -10.1), 10.0,
                    ((26.5, "CD-LU", "Lualaba"), (180.0, "CD-HK", "Haut-Katanga")))
RWANDA = Region("rwanda", "RW", (29.3, 30.6), (-2.6, -1.3), 6.0)
SOUTH_KIVU = Region("south-kivu", "CD", (28.4, 29.0), (-3.3, -2.4), 6.0,
                    ((180.0, "CD-SK", "Sud-Kivu"),))
NORTH_KIVU = Region("north-kivu", "CD", (28.7, 29.3), (-1.45, -0.6), 6.0,
                    ((180.0, "CD-NK", "Nord-Kivu"),))
TANZANIA = Region("tanzania", "TZ", (34.0, 36.5), (-8.5, -6.8), 8.0)
# fmt: on

LOCAL_HAULIER = "lualaba-express"
CORRIDOR_HAULIER = "copperbelt-freight"
KIVU_HAULIER = "kivu-haulage"
EAST_AFRICA_HAULIER = "gishushu-freight"
PORT = "p-dar"
SHARED_SITES = ("b-kasumbalesa", "b-rusizi", "b-gisenyi", PORT)
SHARED_PARTIES = (
    LOCAL_HAULIER,
    CORRIDOR_HAULIER,
    KIVU_HAULIER,
    EAST_AFRICA_HAULIER,
    "indigo-lines",
    "msasani-terminal",
)
"""Keys of the demo world's places and parties that every scenario uses."""

_SYLLABLES = (
    "ba", "ka", "ki", "lu", "ma", "mu", "na", "nge", "ra", "sa",
    "ta", "to", "wa", "ya", "zi", "bo", "du", "fu", "ko", "li",
)  # fmt: skip
"""Syllables of the made-up names of a scenario's parties and places."""
_LOCK = threading.Lock()


@dataclass
class ScenarioPlaces:
    """Every site and party a scenario adds to the demo world, and its grid cells in use."""

    rng: Random
    parties: list[PartySpec] = field(default_factory=list)
    sites: list[SiteSpec] = field(default_factory=list)
    _cells: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    _prefix: int = 7_100_000

    def cell(self, region: Region) -> tuple[float, float]:
        """A free grid cell of ``region`` (cells are handed out in a seeded order)."""
        if region.key not in self._cells:
            cells = region.cells()
            self.rng.shuffle(cells)
            self._cells[region.key] = cells
        free = self._cells[region.key]
        if not free:
            raise InvalidInput(
                f"too many chains for region {region.key}: its grid holds "
                f"{len(region.cells())} licensed areas; generate fewer chains",
                field="chains",
            )
        return free.pop()

    def party(
        self, key: str, schema: str, pattern: str, country: str, *, gs1: bool = True
    ) -> PartySpec:
        """A new fictitious party named ``pattern`` around a made-up name (``"{} Mining Ltd"``),
        with a GS1 company prefix of its own unless ``gs1`` is false."""
        prefix = None
        if gs1:
            prefix = str(self._prefix)
            self._prefix += 1
        spec = PartySpec(key, schema, pattern.format(self.name()), country.lower(), prefix)
        self.parties.append(spec)
        return spec

    def name(self) -> str:
        """A made-up proper name of two or three syllables."""
        count = self.rng.choice((2, 3, 3))
        return "".join(self.rng.choice(_SYLLABLES) for _ in range(count)).capitalize()

    def site(self, spec: SiteSpec) -> SiteSpec:
        """Add a site."""
        self.sites.append(spec)
        return spec

    def outline(self, radius_km: float) -> tuple[tuple[float, float], ...]:
        """An irregular, counter-clockwise outline whose vertices lie 0.85-1.1 radii out."""
        points = []
        for index in range(OUTLINE_VERTICES):
            angle = 2 * math.pi * index / OUTLINE_VERTICES
            reach = radius_km * self.rng.uniform(0.85, 1.1)
            points.append((round(reach * math.cos(angle), 3), round(reach * math.sin(angle), 3)))
        return tuple(points)

    def scatter(self, lon: float, lat: float, spread: tuple[float, float]) -> tuple[float, float]:
        """A point (lon, lat) somewhere around another, within ``spread`` degrees each way."""
        return (
            round(lon + self.rng.uniform(-spread[0], spread[0]), 6),
            round(lat + self.rng.uniform(-spread[1], spread[1]), 6),
        )


def shared_sites() -> list[SiteSpec]:
    """The demo world's sites every scenario passes through."""
    return [SITE_BY_KEY[key] for key in SHARED_SITES]


def shared_parties() -> list[PartySpec]:
    """The demo world's parties every scenario uses."""
    return [PARTY_BY_KEY[key] for key in SHARED_PARTIES]


def point(site: SiteSpec) -> Point:
    """The site's reference point."""
    return Point(site.lon, site.lat)


def road_hours(a: SiteSpec, b: SiteSpec) -> tuple[float, float]:
    """The shortest and longest plausible truck journey between two sites, in hours."""
    km = haversine_km(point(a), point(b)) * ROAD_WINDING
    return (km / ROAD_KMH[1] + 1.0, km / ROAD_KMH[0] + 4.0)


def road_days(a: SiteSpec, b: SiteSpec) -> tuple[float, float]:
    """:func:`road_hours` in days, as :func:`oresight.sim.flows.move` takes them."""
    low, high = road_hours(a, b)
    return (low / 24, high / 24)


def capacity_figure(value: float) -> float:
    """A declared capacity as sites declare them: two significant figures."""
    if value <= 0:
        return 0.0
    digits = 1 - math.floor(math.log10(value))
    return round(value, digits)


def site_extra(region: Region, lon: float, **extra: Any) -> dict[str, Any]:
    """A site's extra properties: its subdivision (where the region has them), then ``extra``."""
    return {**region.subdivision(lon), **extra}


@contextmanager
def registered(parties: Iterable[PartySpec], sites: Iterable[SiteSpec]) -> Iterator[None]:
    """Make a scenario's parties and sites known to the demo world's builders, for a while.

    Refuses keys the world already has; one scenario is registered at a time.
    """
    party_list, site_list = list(parties), list(sites)
    with _LOCK:
        clashes = [p.key for p in party_list if p.key in PARTY_BY_KEY]
        clashes += [s.key for s in site_list if s.key in SITE_BY_KEY]
        if clashes:
            raise ValueError(f"keys already in the demo world: {', '.join(sorted(clashes)[:5])}")
        PARTY_BY_KEY.update({p.key: p for p in party_list})
        SITE_BY_KEY.update({s.key: s for s in site_list})
        try:
            yield
        finally:
            for party in party_list:
                PARTY_BY_KEY.pop(party.key, None)
            for site in site_list:
                SITE_BY_KEY.pop(site.key, None)
