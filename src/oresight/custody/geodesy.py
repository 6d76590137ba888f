"""Small geodesy for the custody rules: shapes from GeoJSON, points, distances on the sphere."""

from __future__ import annotations

import math
from typing import Any

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), adequate for distances of a few to a few hundred kilometres."""

AREA_TYPES = frozenset({"Polygon", "MultiPolygon"})


def to_shape(geometry: dict[str, Any]) -> BaseGeometry:
    """A shapely geometry from a GeoJSON geometry mapping."""
    return shape(geometry)


def parse_geo_uri(uri: str) -> Point | None:
    """The point of an RFC 5870 ``geo:lat,lon`` URI, or ``None`` if ``uri`` is not one."""
    position = parse_geo_lonlat(uri)
    return None if position is None else Point(*position)


def parse_geo_lonlat(uri: str) -> tuple[float, float] | None:
    """The (lon, lat) of an RFC 5870 ``geo:lat,lon`` URI, or ``None`` if ``uri`` is not one."""
    if not uri.startswith("geo:"):
        return None
    try:
        lat_text, lon_text = uri[4:].split(";", 1)[0].split(",")[:2]
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lon, lat


def haversine_km(a: Point, b: Point) -> float:
    """Great-circle distance in km between two lon/lat points."""
    return great_circle_km(a.x, a.y, b.x, b.y)


def great_circle_km(lon_a: float, lat_a: float, lon_b: float, lat_b: float) -> float:
    """Great-circle distance in km between two lon/lat positions (haversine formula)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (lon_a, lat_a, lon_b, lat_b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def distance_to_area_km(point: Point, area: BaseGeometry) -> float:
    """Distance in km from a point to the nearest edge of an area (0 when inside)."""
    if area.covers(point):
        return 0.0
    nearest = nearest_points(point, area)[1]
    return haversine_km(point, nearest)
