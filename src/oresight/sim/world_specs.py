"""What a party, a relationship and a site of the demo world are, and how places are laid out.

The tables themselves are in :mod:`oresight.sim.world_parties` and :mod:`oresight.sim.world_sites`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

FICTITIOUS_NOTE = "Fictitious party of the oresight demo world; not a real company or person."
SITE_BASE = "https://id.oresight.example/site/"

KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_AT_EQUATOR = 111.320


@dataclass(frozen=True)
class PartySpec:
    """An FtM entity of the demo world (Company, Organization or Person)."""

    key: str
    schema: str
    name: str
    country: str
    gs1_prefix: str | None = None
    """GS1 company prefix (7 digits) under which the party labels its lots and sites."""
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def id(self) -> str:
        """The FtM entity id (FtM ids allow letters, digits, dots and hyphens only)."""
        return f"demo-{self.key}"


@dataclass(frozen=True)
class RelationSpec:
    """An FtM relationship entity (Ownership or Directorship) between two parties."""

    key: str
    schema: str
    source: str
    target: str
    properties: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SiteSpec:
    """A place of the demo world; a Point unless it has an outline (a licensed area)."""

    key: str
    name: str
    kind: str
    country: str
    lon: float
    lat: float
    tier: str
    """Which event document the site's own events go to (``extraction``, ``trading``...)."""
    operator: str | None = None
    minerals: tuple[str, ...] = ()
    licence: tuple[str, str, str] | None = None
    """(number, valid_from, valid_to) as ISO dates."""
    capacity: tuple[float, str] | None = None
    rmi_smelter_id: str | None = None
    gln_location: str | None = None
    """5-digit GS1 location reference: the site id is then an SGLN under the operator's prefix."""
    outline_km: tuple[tuple[float, float], ...] = ()
    """Polygon vertices as (east, north) km offsets from (lon, lat), counter-clockwise."""
    subdivision: str | None = None
    """ISO 3166-2 code of the first-level area the site lies in (``CD-NK``, North Kivu)."""
    extra: dict[str, Any] = field(default_factory=dict)


# An irregular outline, scaled per area, so that licensed areas do not all look like squares.
_SHAPE = (
    (1.0, 0.0), (0.7, 0.8), (-0.1, 1.0), (-0.9, 0.6), (-1.0, -0.3), (-0.4, -0.9), (0.6, -0.8),
)  # fmt: skip


def outline(radius_km: float) -> tuple[tuple[float, float], ...]:
    """The demo's irregular outline, about ``radius_km`` from its centre (east, north km)."""
    return tuple((x * radius_km, y * radius_km) for x, y in _SHAPE)


def offset_lonlat(lon: float, lat: float, east_km: float, north_km: float) -> tuple[float, float]:
    """The point ``east_km``/``north_km`` away from (lon, lat), rounded to 6 decimals (~0.1 m)."""
    dlat = north_km / KM_PER_DEGREE_LAT
    dlon = east_km / (KM_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(lat)))
    return round(lon + dlon, 6), round(lat + dlat, 6)


EARTH_MEAN_RADIUS_KM = 6371.0088
"""IUGG mean radius of the Earth."""


def great_circle_km(a: SiteSpec, b: SiteSpec) -> float:
    """Haversine distance between two sites' points (their centres, for areas)."""
    phi_a, phi_b = math.radians(a.lat), math.radians(b.lat)
    half_dphi = (phi_b - phi_a) / 2
    half_dlambda = math.radians(b.lon - a.lon) / 2
    h = math.sin(half_dphi) ** 2 + math.cos(phi_a) * math.cos(phi_b) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_MEAN_RADIUS_KM * math.asin(math.sqrt(h))
