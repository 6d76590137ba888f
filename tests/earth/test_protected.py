"""SITE.MINING_IN_PROTECTED_AREA on a made-up park: what is inside, what is new, what is raised.

The park is the square 10.0-10.1° E, 0.0-0.1° N. Every footprint is a lon/lat box, so the ground
inside the park in each period is a set of boxes worked out by hand below, and measured with
PROJ's geodesic directly.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pyproj
import pytest
from shapely.geometry import box, mapping

from oresight.core.findings import EvidenceKind, FindingCode, Severity, SubjectType
from oresight.core.sites import Site, SiteKind
from oresight.earth.detections import Detection, DetectionLayer
from oresight.earth.geodesy import area_ha
from oresight.earth.periods import ObservationPeriod
from oresight.earth.protected import (
    ProtectedAreaParams,
    find_mining_in_protected_areas,
    mining_in_protected_areas,
)

GEOD = pyproj.Geod(ellps="WGS84")
PARK = Site(
    id="urn:test:park",
    name="Test Park",
    kind=SiteKind.PROTECTED_AREA,
    geometry=mapping(box(10.0, 0.0, 10.1, 0.1)),
    properties={"designation": "national_park"},
)
Y2018 = ObservationPeriod.year(2018)
Y2024 = ObservationPeriod.year(2024)

Box = tuple[float, float, float, float]
# index: (period, footprint, stated mined ha)
FOOTPRINTS: dict[int, tuple[ObservationPeriod, Box, float]] = {
    0: (Y2018, (10.02, 0.02, 10.04, 0.04), 100.0),  # A: inside
    1: (Y2018, (10.09, 0.05, 10.11, 0.06), 40.0),  # B: half over the east edge
    2: (Y2018, (10.20, 0.20, 10.21, 0.21), 9.0),  # outside
    3: (Y2024, (10.02, 0.02, 10.04, 0.04), 110.0),  # A again
    4: (Y2024, (10.03, 0.02, 10.05, 0.04), 50.0),  # D: overlaps A by half
    5: (Y2024, (10.05, 0.07, 10.07, 0.08), 30.0),  # E: new, inside
    6: (Y2024, (9.99, 0.00, 10.01, 0.01), 20.0),  # F: half over the west edge
    7: (Y2024, (10.30, 0.00, 10.31, 0.01), 5.0),  # outside
}


def geodesic_ha(*boxes: Box) -> float:
    """The summed area of disjoint lon/lat boxes, each by PROJ's geodesic polygon area."""
    total = 0.0
    for west, south, east, north in boxes:
        lons = [west, east, east, west]
        lats = [south, south, north, north]
        area, _ = GEOD.polygon_area_perimeter(lons, lats)
        total += abs(area)
    return total / 10_000


# What lies inside the park, by hand.
INSIDE_2018 = geodesic_ha((10.02, 0.02, 10.04, 0.04), (10.09, 0.05, 10.10, 0.06))
INSIDE_2024 = geodesic_ha(
    (10.02, 0.02, 10.05, 0.04),  # A ∪ D, the overlap once
    (10.05, 0.07, 10.07, 0.08),
    (10.00, 0.00, 10.01, 0.01),
)
NEW_SINCE_2018 = geodesic_ha(
    (10.04, 0.02, 10.05, 0.04),  # D's half east of A
    (10.05, 0.07, 10.07, 0.08),
    (10.00, 0.00, 10.01, 0.01),
)
# Each footprint's stated area taken in the share of it inside the park (B and F: half).
STATED_2024 = 110.0 + 50.0 + 30.0 + 20.0 / 2


def detection(index: int) -> Detection:
    period, bounds, stated = FOOTPRINTS[index]
    shape = box(*bounds)
    return Detection(
        index=index, geometry=shape, period=period, area_ha=area_ha(shape), stated_area_ha=stated
    )


def layer(*indexes: int, layer_id: str = "scan") -> DetectionLayer:
    chosen = indexes or tuple(FOOTPRINTS)
    return DetectionLayer(
        id=layer_id,
        source="Test Scan",
        file="scan.geojson",
        detections=tuple(detection(i) for i in chosen),
    )


def test_the_hand_figures_are_what_they_seem() -> None:
    # 0.01° is about 1.11 km at the equator, so a 0.01° square is about 123 ha.
    square = 1.1132 * 1.1057 * 100  # km² to ha
    assert 4 * square + square == pytest.approx(INSIDE_2018, rel=0.01)
    assert 6 * square + 2 * square + square == pytest.approx(INSIDE_2024, rel=0.01)
    assert 2 * square + 2 * square + square == pytest.approx(NEW_SINCE_2018, rel=0.01)


def test_the_ground_inside_is_measured_per_period_and_overlaps_count_once() -> None:
    (mining,) = mining_in_protected_areas([layer()], [PARK])
    assert mining.area is PARK and mining.layer.id == "scan"
    assert [shot.period for shot, _ in mining.seen] == [Y2018, Y2024]
    (_, first), (_, last) = mining.seen
    assert [d.index for d in first.detections] == [0, 1]
    assert [d.index for d in last.detections] == [3, 4, 5, 6]
    assert first.area_ha == pytest.approx(INSIDE_2018, rel=1e-6)
    assert last.area_ha == pytest.approx(INSIDE_2024, rel=1e-6)
    # Summed footprint by footprint, A and D's shared half would count twice.
    assert last.area_ha < sum(
        area_ha(d.geometry.intersection(box(10, 0, 10.1, 0.1))) for d in last.detections
    )
    assert mining.new_ha == pytest.approx(NEW_SINCE_2018, rel=1e-6)
    assert first.stated_ha == pytest.approx(100.0 + 40.0 / 2, rel=1e-6)
    assert last.stated_ha == pytest.approx(STATED_2024, rel=1e-6)


def test_growth_of_at_least_the_threshold_is_critical() -> None:
    outcome = find_mining_in_protected_areas([layer()], {PARK.id: PARK})
    assert outcome.gaps == ()
    (finding,) = outcome.findings
    assert finding.code is FindingCode.SITE_MINING_IN_PROTECTED_AREA
    assert finding.severity is Severity.CRITICAL
    assert finding.subject.type is SubjectType.SITE and finding.subject.id == PARK.id
    assert finding.rule == "site.mining_in_protected_area"
    assert finding.period.start == datetime(2018, 1, 1, tzinfo=UTC)
    assert finding.period.end is not None and finding.period.end.date().isoformat() == "2024-12-31"
    text = finding.explanation
    assert f"{INSIDE_2024:,.0f} ha of mining footprints inside Test Park" in text
    assert "national park, in 2024: 4 detections" in text
    assert f"the source states {STATED_2024:,.0f} ha of mined ground" in text
    assert f"In 2018 it showed {INSIDE_2018:,.0f} ha" in text
    assert f"{NEW_SINCE_2018:,.0f} ha of the ground disturbed in 2024 was not in 2018" in text
    assert finding.title == f"{INSIDE_2024:,.0f} ha of mining inside Test Park (2024)"


def test_the_evidence_cites_the_area_each_period_and_the_latest_detections() -> None:
    (finding,) = find_mining_in_protected_areas([layer()], [PARK]).findings
    ids = [e.id for e in finding.evidence]
    assert ids[0] == PARK.id and finding.evidence[0].kind is EvidenceKind.SITE
    assert finding.evidence[0].data["area_ha"] == pytest.approx(
        geodesic_ha((10.0, 0.0, 10.1, 0.1)), abs=0.05
    )
    assert "scan@2018" in ids and "scan@2024" in ids
    # The latest period's detections are listed one by one, the earlier only summed up.
    listed = {i for i in ids if "#" in i}
    assert listed == {"scan#3", "scan#4", "scan#5", "scan#6"}
    summary = next(e for e in finding.evidence if e.id == "scan@2024")
    assert summary.data["detections"] == 4
    assert summary.data["area_ha"] == pytest.approx(INSIDE_2024, abs=0.01)


@pytest.mark.parametrize(
    ("margin", "severity"), [(0.999, Severity.CRITICAL), (1.001, Severity.HIGH)]
)
def test_critical_only_when_the_new_ground_reaches_the_threshold(
    margin: float, severity: Severity
) -> None:
    params = ProtectedAreaParams(min_area_ha=NEW_SINCE_2018 * margin)
    assert params.min_area_ha < INSIDE_2024  # the finding itself is raised either way
    (finding,) = find_mining_in_protected_areas([layer()], [PARK], params).findings
    assert finding.severity is severity


def test_mining_that_did_not_grow_is_high() -> None:
    # A in both periods and nothing else: the same ground, nothing new.
    (mining,) = mining_in_protected_areas([layer(0, 3)], [PARK])
    assert mining.new_ha == pytest.approx(0.0, abs=1e-6)
    (finding,) = find_mining_in_protected_areas([layer(0, 3)], [PARK]).findings
    assert finding.severity is Severity.HIGH
    assert "0 ha of the ground disturbed in 2024 was not in 2018" in finding.explanation


def test_one_period_is_high_and_says_nothing_of_growth() -> None:
    (mining,) = mining_in_protected_areas([layer(3, 4, 5, 6, 7)], [PARK])
    assert len(mining.seen) == 1 and mining.new_ha == 0.0
    (finding,) = find_mining_in_protected_areas([layer(3, 4, 5, 6, 7)], [PARK]).findings
    assert finding.severity is Severity.HIGH
    assert "new since" not in finding.explanation and "In 2018" not in finding.explanation


def test_below_the_threshold_no_finding_is_raised() -> None:
    params = ProtectedAreaParams(min_area_ha=INSIDE_2024 * 1.001)
    outcome = find_mining_in_protected_areas([layer()], [PARK], params)
    assert outcome.findings == () and outcome.gaps == ()
    # Measured all the same.
    (mining,) = mining_in_protected_areas([layer()], [PARK])
    assert mining.latest[1].area_ha == pytest.approx(INSIDE_2024, rel=1e-6)


def test_an_area_where_nothing_was_seen_has_no_finding() -> None:
    outcome = find_mining_in_protected_areas([layer(2, 7)], [PARK])
    assert outcome.findings == ()
    (mining,) = mining_in_protected_areas([layer(2, 7)], [PARK])
    assert all(overlap.empty and overlap.area_ha == 0 for _, overlap in mining.seen)


def test_each_area_and_layer_is_measured_on_its_own_and_other_sites_are_ignored() -> None:
    east_park = PARK.model_copy(
        update={
            "id": "urn:test:east",
            "name": "East Park",
            "geometry": mapping(box(10.1, 0, 10.15, 0.1)),
        }
    )
    mine = Site(id="urn:test:mine", kind=SiteKind.MINE, geometry=mapping(box(9, -1, 11, 1)))
    layers = [layer(), layer(1, 3, layer_id="other")]
    measured = mining_in_protected_areas(layers, [PARK, east_park, mine])
    assert sorted((m.area.id, m.layer.id) for m in measured) == [
        ("urn:test:east", "other"),
        ("urn:test:east", "scan"),
        ("urn:test:park", "other"),
        ("urn:test:park", "scan"),
    ]
    east = next(m for m in measured if m.area.id == "urn:test:east" and m.layer.id == "scan")
    # Only B's eastern half lies in East Park: seen in 2018, nothing there in 2024.
    assert east.seen[0][1].area_ha == pytest.approx(
        geodesic_ha((10.10, 0.05, 10.11, 0.06)), rel=1e-6
    )
    assert east.latest[1].empty
    other = next(m for m in measured if m.area.id == PARK.id and m.layer.id == "other")
    # B's western half in 2018, A in 2024: all of A is new.
    assert other.new_ha == pytest.approx(geodesic_ha((10.02, 0.02, 10.04, 0.04)), rel=1e-6)
    outcome = find_mining_in_protected_areas(layers, [PARK, east_park, mine])
    raised = sorted((f.subject.id, f.evidence[1].id) for f in outcome.findings)
    assert raised == [(PARK.id, "other@2018"), (PARK.id, "scan@2018")]
    assert outcome.gaps == ()


def test_no_layers_is_a_gap() -> None:
    outcome = find_mining_in_protected_areas([], [PARK])
    assert outcome.findings == ()
    (gap,) = outcome.gaps
    assert gap.subject is None and "mining detections" in gap.missing
    assert "load-detections" in gap.explanation


def test_no_protected_areas_is_a_gap() -> None:
    mine = Site(id="urn:test:mine", kind=SiteKind.MINE, geometry=mapping(box(9, -1, 11, 1)))
    outcome = find_mining_in_protected_areas([layer()], [mine])
    assert outcome.findings == ()
    (gap,) = outcome.gaps
    assert gap.subject is None and gap.missing == "protected or indigenous areas"


@pytest.mark.parametrize("geometry", [None, {"type": "Point", "coordinates": [10.05, 0.05]}])
def test_an_area_without_a_polygon_is_a_gap(geometry: dict[str, object] | None) -> None:
    pointless = Site(id="urn:test:nopoly", name="No Polygon", kind=SiteKind.PROTECTED_AREA)
    pointless = pointless.model_copy(update={"geometry": geometry})
    outcome = find_mining_in_protected_areas([layer()], [PARK, pointless])
    assert [f.subject.id for f in outcome.findings] == [PARK.id]
    (gap,) = outcome.gaps
    assert gap.subject is not None and gap.subject.id == "urn:test:nopoly"
    assert gap.missing == "the area's boundary"
    assert re.search(r"No Polygon \(urn:test:nopoly\) has no polygon", gap.explanation)
