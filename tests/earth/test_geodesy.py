"""Areas, buffers and distances on the WGS 84 ellipsoid, against references worked out here."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest
from shapely.geometry import (
    GeometryCollection,
    LineString,
    MultiPolygon,
    Point,
    Polygon,
    box,
)
from shapely.geometry.base import BaseGeometry

from oresight.earth.geodesy import area_ha, buffered, distance_m

# WGS 84 defining constants (NIMA TR8350.2).
SEMI_MAJOR_M = 6_378_137.0
FLATTENING = 1 / 298.257223563
E2 = FLATTENING * (2 - FLATTENING)
ECCENTRICITY = math.sqrt(E2)
SEMI_MINOR_M = SEMI_MAJOR_M * (1 - FLATTENING)
REFERENCE = pyproj.Geod(ellps="WGS84")


def area_from_equator_m2(latitude: float) -> float:
    """The area of the WGS 84 ellipsoid between the equator and ``latitude`` (degrees), signed:
    the closed form for a zone of an ellipsoid of revolution."""
    s = math.sin(math.radians(latitude))
    e = ECCENTRICITY
    return (
        2
        * math.pi
        * SEMI_MINOR_M**2
        * (s / (2 * (1 - E2 * s * s)) + math.log((1 + e * s) / (1 - e * s)) / (4 * e))
    )


def cell_ha(west: float, south: float, east: float, north: float) -> float:
    """The area of the cell between two meridians and two parallels, in hectares."""
    band = area_from_equator_m2(north) - area_from_equator_m2(south)
    return band * (east - west) / 360 / 10_000


def cell(west: float, south: float, east: float, north: float, steps: int = 200) -> Polygon:
    """The cell as a polygon whose edges along parallels are densified: a geodesic between two
    points of a parallel bows poleward, so the parallels are followed in short steps."""
    lons = np.linspace(west, east, steps + 1)
    ring = [(lon, south) for lon in lons] + [(lon, north) for lon in lons[::-1]]
    return Polygon(ring)


def meridian_arc_m(south: float, north: float, intervals: int = 2000) -> float:
    """The length of the meridian between two latitudes: Simpson's rule over the meridional
    radius of curvature M(φ) = a(1 − e²) / (1 − e² sin²φ)^(3/2)."""
    phi = np.linspace(math.radians(south), math.radians(north), intervals + 1)
    radius = SEMI_MAJOR_M * (1 - E2) / (1 - E2 * np.sin(phi) ** 2) ** 1.5
    weights = np.ones(intervals + 1)
    weights[1:-1:2] = 4
    weights[2:-1:2] = 2
    step = (phi[-1] - phi[0]) / intervals
    return float(step / 3 * np.dot(weights, radius))


def test_the_band_formula_gives_the_ellipsoid_its_known_area() -> None:
    # The check of the check: WGS 84's surface is 510,065,621.7 km².
    assert 2 * area_from_equator_m2(90) / 1e6 == pytest.approx(510_065_621.7, abs=0.1)


@pytest.mark.parametrize(
    ("west", "south"),
    [(0.0, 0.0), (-1.0, -1.0), (30.0, 45.0), (-70.0, -60.0), (179.0, 89.0)],
)
def test_a_one_degree_cell_has_its_ellipsoidal_area(west: float, south: float) -> None:
    expected = cell_ha(west, south, west + 1, south + 1)
    assert area_ha(cell(west, south, west + 1, south + 1)) == pytest.approx(expected, rel=1e-6)


def test_a_cell_at_the_equator_is_about_twelve_thousand_square_kilometres() -> None:
    # 1° of longitude at the equator is a·π/180 = 111.32 km; 1° of latitude there ~110.57 km.
    found = area_ha(cell(0, 0, 1, 1))
    assert found == pytest.approx(111.3195 * 110.5743 * 100, rel=1e-3)


def test_a_small_cell_needs_no_densifying() -> None:
    # Over 0.01° the bow of a geodesic off its parallel is negligible.
    expected = cell_ha(10.0, 5.0, 10.01, 5.01)
    assert area_ha(box(10.0, 5.0, 10.01, 5.01)) == pytest.approx(expected, rel=1e-7)


@pytest.mark.parametrize("reverse_hole", [False, True])
def test_a_hole_is_subtracted_whichever_way_it_turns(reverse_hole: bool) -> None:
    outer = cell(0, 0, 1, 1)
    hole = cell(0.25, 0.25, 0.75, 0.75)
    hole_ring = list(hole.exterior.coords)
    holed = Polygon(outer.exterior.coords, [hole_ring[::-1] if reverse_hole else hole_ring])
    expected = cell_ha(0, 0, 1, 1) - cell_ha(0.25, 0.25, 0.75, 0.75)
    assert area_ha(holed) == pytest.approx(expected, rel=1e-6)


def test_two_holes_are_both_subtracted() -> None:
    holes = [cell(0.1, 0.1, 0.3, 0.3).exterior.coords, cell(0.5, 0.5, 0.9, 0.6).exterior.coords]
    holed = Polygon(cell(0, 0, 1, 1).exterior.coords, holes)
    expected = cell_ha(0, 0, 1, 1) - cell_ha(0.1, 0.1, 0.3, 0.3) - cell_ha(0.5, 0.5, 0.9, 0.6)
    assert area_ha(holed) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(("west", "south"), [(0.0, 0.0), (20.0, -35.0)])
def test_clockwise_and_counter_clockwise_rings_give_the_same_positive_area(
    west: float, south: float
) -> None:
    counter_clockwise = cell(west, south, west + 1, south + 1)
    clockwise = Polygon(list(counter_clockwise.exterior.coords)[::-1])
    assert not clockwise.exterior.is_ccw and counter_clockwise.exterior.is_ccw
    expected = cell_ha(west, south, west + 1, south + 1)
    assert area_ha(clockwise) == pytest.approx(expected, rel=1e-6)
    assert area_ha(counter_clockwise) == pytest.approx(expected, rel=1e-6)


def test_a_multipolygon_is_the_sum_of_its_parts() -> None:
    parts = [cell(0, 0, 1, 1), cell(10, 40, 12, 41), Polygon(cell(-5, -50, -4, -49).exterior)]
    expected = cell_ha(0, 0, 1, 1) + cell_ha(10, 40, 12, 41) + cell_ha(-5, -50, -4, -49)
    assert area_ha(MultiPolygon(parts)) == pytest.approx(expected, rel=1e-6)


def test_a_collection_counts_its_polygons_only() -> None:
    polygons = MultiPolygon([box(0, 0, 0.01, 0.01), box(1, 1, 1.01, 1.01)])
    mixed = GeometryCollection([polygons, Point(5, 5), LineString([(0, 0), (3, 3)])])
    expected = cell_ha(0, 0, 0.01, 0.01) + cell_ha(1, 1, 1.01, 1.01)
    assert area_ha(mixed) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    "geometry", [Point(1, 2), LineString([(0, 0), (1, 1)]), Polygon(), MultiPolygon()]
)
def test_points_lines_and_empty_shapes_have_no_area(geometry: BaseGeometry) -> None:
    assert area_ha(geometry) == 0.0


@pytest.mark.parametrize(
    ("lon", "lat"), [(10.12345, 0.0), (-70.98765, 45.0), (150.55555, -60.0), (-1.6, 6.7)]
)
def test_a_point_buffered_by_a_kilometre_is_a_disc_of_pi_square_kilometres(
    lon: float, lat: float
) -> None:
    disc = buffered(Point(lon, lat), 1000)
    assert disc.geom_type == "Polygon" and disc.contains(Point(lon, lat))
    assert area_ha(disc) == pytest.approx(math.pi * 100, rel=0.005)
    # Every vertex is a kilometre from the point along the ellipsoid.
    ring = np.asarray(disc.exterior.coords)
    _, _, metres = REFERENCE.inv(
        np.full(len(ring), lon), np.full(len(ring), lat), ring[:, 0], ring[:, 1]
    )
    assert np.allclose(metres, 1000, rtol=1e-4)


def test_a_square_buffered_keeps_its_distance() -> None:
    square = box(20.0, -10.0, 20.01, -9.99)
    grown = buffered(square, 500)
    assert grown.contains(square)
    for x, y in list(grown.exterior.coords)[:-1]:
        assert distance_m(Point(x, y), square) == pytest.approx(500, rel=0.005)


@pytest.mark.parametrize("metres", [0, -50])
def test_no_or_a_negative_buffer_leaves_the_geometry_as_it_is(metres: float) -> None:
    square = box(0, 0, 1, 1)
    assert buffered(square, metres) is square


def test_a_degree_along_the_equator_is_a_times_pi_over_180() -> None:
    # The equator is a geodesic for short arcs: its length is the semi-major axis times the angle.
    expected = SEMI_MAJOR_M * math.pi / 180
    assert distance_m(Point(0, 0), Point(1, 0)) == pytest.approx(expected, abs=1e-6)
    assert distance_m(Point(1, 0), Point(0, 0)) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(("south", "north"), [(0.0, 1.0), (44.5, 45.5), (-60.0, -59.0)])
def test_a_degree_along_a_meridian_is_its_arc_length(south: float, north: float) -> None:
    found = distance_m(Point(12.0, south), Point(12.0, north))
    assert found == pytest.approx(meridian_arc_m(south, north), abs=1e-3)


def test_a_diagonal_distance_matches_the_inverse_geodesic_problem() -> None:
    _, _, expected = REFERENCE.inv(-1.62, 6.69, -1.55, 6.81)
    assert distance_m(Point(-1.62, 6.69), Point(-1.55, 6.81)) == pytest.approx(expected, abs=1e-6)


def test_the_distance_to_a_polygon_is_to_its_nearest_edge() -> None:
    _, _, expected = REFERENCE.inv(1.0, 0.5, 2.0, 0.5)
    assert distance_m(box(0, 0, 1, 1), Point(2, 0.5)) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "other", [Point(0.5, 0.5), Point(1, 0.5), box(1, 0, 2, 1), LineString([(-1, -1), (2, 2)])]
)
def test_touching_or_overlapping_geometries_are_no_distance_apart(other: BaseGeometry) -> None:
    assert distance_m(box(0, 0, 1, 1), other) == 0.0
