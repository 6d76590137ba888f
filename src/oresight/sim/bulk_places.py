"""The places and parties of a bulk world: thousands of licensed mines and the corridor they share.

A bulk world (:mod:`oresight.sim.bulk`) needs far more sites than the scenario grids hold, placed
so that clean chains raise nothing: every mine is a small licensed concession (a square polygon)
on a grid cell of its region, with room between neighbours, so that a point planted outside its
own square lies inside no other; traders and processing plants stand near the mines; the export
corridor (border posts, the port of Dar es Salaam) is shared; refineries and their customers lie
around a few hubs in Asia, each served by a port.

Regions: the Copperbelt of the DRC (cobalt; Lualaba west of 26.3 E, Haut-Katanga east of it) and
Rwanda (tin and tantalum). Coordinates are real places' rough positions; every site and party is
fictitious.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from random import Random
from typing import Any

from oresight.sim.world import gs1_check_digit
from oresight.sim.world_specs import KM_PER_DEGREE_LAT, KM_PER_DEGREE_LON_AT_EQUATOR, SITE_BASE

BULK_NOTE = "Fictitious site or party of an oresight bulk benchmark world."
LICENCE = ("2015-01-01", "2034-12-31")
"""Validity of every mine licence, unless a problem is planted on it."""
FIRST_PREFIX = 6_300_000
"""GS1 company prefixes of bulk parties count up from here."""


@dataclass(frozen=True)
class Place:
    """A site as the generator uses it: where it is, whose, and its GeoJSON feature."""

    id: str
    country: str
    lon: float
    lat: float
    operator: str
    """FtM id of the operating party."""
    half_km: float = 0.0
    """Half the side of the site's square concession (0 for a point site)."""
    mineral: str | None = None
    """What a mine digs."""


@dataclass(frozen=True)
class Region:
    """Where one commodity is mined, and the route its material takes to market."""

    name: str
    commodities: tuple[str, ...]
    country: str
    south: float
    north: float
    west: float
    east: float
    mine_kind: str
    hub: tuple[float, float]
    """Around which the region's processing plants stand (lon, lat)."""


COPPERBELT = Region(
    "copperbelt", ("cobalt",), "CD", -11.9, -10.3, 25.0, 27.9, "mine", (26.9, -11.3)
)
RWANDA = Region(
    "rwanda", ("tin", "tantalum"), "RW", -2.7, -1.2, 29.3, 30.7, "artisanal_site", (30.06, -1.95)
)

# (key, name, kind, country, lon, lat, subdivision)
CORRIDOR = (
    ("b-kasumbalesa", "Kasumbalesa border post", "border_post", "CD", 27.80, -12.266, "CD-HK"),
    ("b-tunduma", "Tunduma border post", "border_post", "TZ", 32.77, -9.30, None),
    ("b-rusumo-rw", "Rusumo border post (Rwanda)", "border_post", "RW", 30.78, -2.38, None),
    ("b-rusumo-tz", "Rusumo border post (Tanzania)", "border_post", "TZ", 30.79, -2.39, None),
    ("p-dar", "Port of Dar es Salaam", "port", "TZ", 39.29, -6.83, None),
    ("p-shanghai", "Port of Shanghai", "port", "CN", 121.80, 31.35, None),
    ("p-qinzhou", "Port of Qinzhou", "port", "CN", 108.62, 21.70, None),
    ("p-tianjin", "Port of Tianjin", "port", "CN", 117.78, 38.98, None),
    ("p-penang", "Port of Penang", "port", "MY", 100.36, 5.41, None),
)

# commodity -> ((port key, refinery kind, hub lon, hub lat, hub country), ...)
MARKETS: dict[str, tuple[tuple[str, str, float, float, str], ...]] = {
    "cobalt": (
        ("p-shanghai", "refiner", 118.9, 29.0, "CN"),
        ("p-qinzhou", "refiner", 108.3, 22.8, "CN"),
    ),
    "tin": (
        ("p-penang", "smelter", 100.4, 5.3, "MY"),
        ("p-qinzhou", "smelter", 103.2, 23.4, "CN"),
    ),
    "tantalum": (
        ("p-tianjin", "refiner", 106.3, 38.5, "CN"),
        ("p-shanghai", "refiner", 114.9, 25.8, "CN"),
    ),
}
OFFSETS = {"CD": 2, "ZM": 2, "RW": 2, "TZ": 3, "CN": 8, "MY": 8}
"""Standard UTC offsets (hours) of the countries the bulk world touches."""


def site_uri(key: str) -> str:
    """The URI of a bulk site."""
    return f"{SITE_BASE}bulk-{key}"


def party_uri(key: str) -> str:
    """The FtM id of a bulk party."""
    return f"bulk-{key}"


def lonlat_at(lon: float, lat: float, east_km: float, north_km: float) -> tuple[float, float]:
    """The point ``east_km``/``north_km`` away from (lon, lat), to 6 decimals."""
    dlon = east_km / (KM_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(lat)))
    return round(lon + dlon, 6), round(lat + north_km / KM_PER_DEGREE_LAT, 6)


def square(lon: float, lat: float, half_km: float) -> dict[str, Any]:
    """A GeoJSON Polygon: the square of side ``2 * half_km`` centred on (lon, lat)."""
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)]
    ring = [list(lonlat_at(lon, lat, e * half_km, n * half_km)) for e, n in corners]
    return {"type": "Polygon", "coordinates": [ring]}


@dataclass
class BulkPlaces:
    """Every site and party of a bulk world, as GeoJSON features and FtM entities."""

    rng: Random
    features: list[dict[str, Any]] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    corridor: dict[str, Place] = field(default_factory=dict)
    _count: dict[str, int] = field(default_factory=dict)
    _prefixes: dict[str, str] = field(default_factory=dict)

    def party(self, kind: str, country: str, name: str) -> str:
        """Add a Company (with a GS1 company prefix of its own) and return its id."""
        number = self._count[f"party-{kind}"] = self._count.get(f"party-{kind}", 0) + 1
        party_id = party_uri(f"{kind}-{number:05d}")
        self._prefixes[party_id] = f"{FIRST_PREFIX + len(self._prefixes):07d}"
        props = {"name": [f"{name} {number}"], "country": [country], "notes": [BULK_NOTE]}
        props["jurisdiction"] = [country]
        self.entities.append({"id": party_id, "schema": "Company", "properties": props})
        return party_id

    def prefix(self, party_id: str) -> str:
        """The party's 7-digit GS1 company prefix."""
        return self._prefixes[party_id]

    def gln(self, party_id: str) -> str:
        """The 13-digit GLN of the party's head office (location reference 00000)."""
        base = self._prefixes[party_id] + "00000"
        return base + gs1_check_digit(base)

    def site(
        self,
        kind: str,
        name: str,
        country: str,
        lon: float,
        lat: float,
        *,
        half_km: float = 0.0,
        operator: str | None = None,
        subdivision: str | None = None,
        mineral: str | None = None,
        **extra: Any,
    ) -> Place:
        """Add a site (a square concession when ``half_km`` > 0, else a point) and return it."""
        number = self._count[kind] = self._count.get(kind, 0) + 1
        key = f"{kind.replace('_', '-')}-{number:05d}"
        owner = operator or self.party(kind, country, f"{name} operator")
        place = Place(site_uri(key), country, lon, lat, owner, half_km, mineral)
        geometry = (
            square(lon, lat, half_km)
            if half_km > 0
            else {"type": "Point", "coordinates": [lon, lat]}
        )
        props: dict[str, Any] = {
            "id": place.id,
            "name": f"{name} {number}",
            "kind": kind,
            "country": country,
            "operator": owner,
        }
        if subdivision is not None:
            props["subdivision"] = subdivision
        if mineral is not None:
            props["minerals"] = [mineral]
        props.update(extra)
        props["notes"] = BULK_NOTE
        self.features.append(
            {"type": "Feature", "id": place.id, "geometry": geometry, "properties": props}
        )
        return place

    def add_corridor(self) -> None:
        """The border posts and ports every chain of a region shares."""
        for key, name, kind, country, lon, lat, subdivision in CORRIDOR:
            operator = self.party("corridor", country, f"{name} authority")
            props: dict[str, Any] = {
                "id": site_uri(key),
                "name": name,
                "kind": kind,
                "country": country,
                "operator": operator,
                "notes": BULK_NOTE,
            }
            if subdivision is not None:
                props["subdivision"] = subdivision
            self.features.append(
                {
                    "type": "Feature",
                    "id": site_uri(key),
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    "properties": props,
                }
            )
            self.corridor[key] = Place(site_uri(key), country, lon, lat, operator)

    def mines(
        self, region: Region, count: int, *, minerals: list[str], capacity_t: float
    ) -> list[Place]:
        """``count`` licensed concessions on a grid over the region, in seeded order.

        The grid is as fine as the count needs (cells of 2 to 6 km); each square spans 30 % of
        its cell, so neighbours are at least 70 % of a cell apart."""
        width_km = (region.east - region.west) * KM_PER_DEGREE_LON_AT_EQUATOR
        width_km *= math.cos(math.radians((region.south + region.north) / 2))
        height_km = (region.north - region.south) * KM_PER_DEGREE_LAT
        cell = max(2.0, min(6.0, math.sqrt(width_km * height_km / (count * 1.1))))
        columns, rows = int(width_km // cell), int(height_km // cell)
        if columns * rows < count:
            raise ValueError(f"region {region.name} holds {columns * rows} mines, not {count}")
        cells = self.rng.sample(range(columns * rows), count)
        places = []
        for index, number in enumerate(cells):
            column, row = divmod(number, rows)
            lon, lat = lonlat_at(
                region.west, region.south, (column + 0.5) * cell, (row + 0.5) * cell
            )
            mineral = minerals[index % len(minerals)]
            places.append(self.mine(region, lon, lat, cell * 0.15, mineral, capacity_t))
        return places

    def mine(
        self,
        region: Region,
        lon: float,
        lat: float,
        half_km: float,
        mineral: str,
        capacity_t: float,
        *,
        licence: tuple[str, str] = LICENCE,
        country: str | None = None,
        subdivision: str | None = None,
    ) -> Place:
        """One licensed square concession of the region's mine kind."""
        number = self._count.get(region.mine_kind, 0) + 1
        country = country or region.country
        return self.site(
            region.mine_kind,
            f"{region.name.capitalize()} {mineral} mine",
            country,
            lon,
            lat,
            half_km=half_km,
            subdivision=subdivision or subdivision_of(country, lon),
            mineral=mineral,
            licence_number=f"PE-{region.country}-{number:06d}",
            licence_valid_from=licence[0],
            licence_valid_to=licence[1],
            capacity_t_per_year=capacity_t,
            capacity_basis="ore",
        )

    def around(
        self,
        kind: str,
        name: str,
        count: int,
        hub: tuple[float, float],
        radius_km: float,
        **kw: Any,
    ) -> list[Place]:
        """``count`` point sites scattered within ``radius_km`` of ``hub``."""
        country = kw.pop("country")
        places = []
        for _ in range(count):
            angle, distance = self.rng.uniform(0, 2 * math.pi), radius_km * self.rng.random()
            lon, lat = lonlat_at(*hub, distance * math.cos(angle), distance * math.sin(angle))
            places.append(self.site(kind, name, country, lon, lat, **kw))
        return places


def subdivision_of(country: str, lon: float) -> str | None:
    """The ISO 3166-2 subdivision of a Copperbelt site (Lualaba or Haut-Katanga), else None."""
    if country != "CD":
        return None
    return "CD-LU" if lon < 26.3 else "CD-HK"
