"""Areas, buffers and distances of lon/lat geometries on the WGS 84 ellipsoid.

Detections and areas arrive in WGS 84 longitude/latitude (GeoJSON, RFC 7946). Areas are computed
on the ellipsoid (geodesic polygons, Karney's algorithm in PROJ's ``geod``), not in degrees and
not in one projection for a whole continent, so a hectare near the equator and one in Ghana or
Patagonia count the same. Buffers are drawn in a local azimuthal equidistant projection centred on
the geometry, where metres are metres around that place.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pyproj
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry, BaseMultipartGeometry
from shapely.geometry.polygon import orient
from shapely.ops import nearest_points

WGS84_GEOD = pyproj.Geod(ellps="WGS84")
SQUARE_METRES_PER_HECTARE = 10_000.0


def area_ha(geometry: BaseGeometry) -> float:
    """The area of a lon/lat (Multi)Polygon on the WGS 84 ellipsoid, in hectares (0 for points
    and lines)."""
    if geometry.is_empty:
        return 0.0
    total = 0.0
    for part in shapely.get_parts(geometry):
        if isinstance(part, Polygon):
            # PROJ sums the rings with their signs: exterior counter-clockwise, holes clockwise.
            area, _ = WGS84_GEOD.geometry_area_perimeter(orient(part, sign=1.0))
            total += area
        elif isinstance(part, BaseMultipartGeometry):
            total += area_ha(part) * SQUARE_METRES_PER_HECTARE
    return total / SQUARE_METRES_PER_HECTARE


def buffered(geometry: BaseGeometry, metres: float) -> BaseGeometry:
    """``geometry`` grown by ``metres`` all round (a point becomes a disc of that radius)."""
    if metres <= 0:
        return geometry
    centre = geometry.centroid
    forward, back = _local_transformers(round(centre.x, 3), round(centre.y, 3))
    local = shapely.transform(geometry, _apply(forward))
    return shapely.transform(local.buffer(metres, quad_segs=16), _apply(back))


def distance_m(a: BaseGeometry, b: BaseGeometry) -> float:
    """The geodesic distance in metres between the nearest points of two geometries (0 when
    they touch)."""
    if a.intersects(b):
        return 0.0
    near_a, near_b = nearest_points(a, b)
    _, _, metres = WGS84_GEOD.inv(near_a.x, near_a.y, near_b.x, near_b.y)
    return float(metres)


@lru_cache(maxsize=256)
def _local_transformers(lon: float, lat: float) -> tuple[Any, Any]:
    local = pyproj.CRS.from_proj4(
        f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m +no_defs"
    )
    forward = pyproj.Transformer.from_crs("EPSG:4326", local, always_xy=True)
    back = pyproj.Transformer.from_crs(local, "EPSG:4326", always_xy=True)
    return forward, back


def _apply(transformer: Any) -> Any:
    def move(coordinates: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coordinates[:, 0], coordinates[:, 1])
        return np.column_stack([x, y])

    return move
