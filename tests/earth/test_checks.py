"""SITE.MINING_OUTSIDE_CONCESSION, SITE.NEW_DISTURBANCE and SITE.NO_ACTIVITY on small worlds
drawn in the test (near 28 E, 12 S), areas checked against an equal-area projection."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, box, mapping
from shapely.geometry.base import BaseGeometry

from oresight.core.custody import Action, CustodyEvent, EventType
from oresight.core.findings import FindingCode, Severity
from oresight.core.sites import Licence, Site, SiteKind
from oresight.earth.activity import ActivityParams, find_new_disturbance, find_no_activity
from oresight.earth.concessions import find_mining_outside_concessions, licensed_in
from oresight.earth.detections import Detection, DetectionLayer, by_source, read_detections
from oresight.earth.periods import ObservationPeriod, parse_period

Y2018 = parse_period("2018")
Y2024 = parse_period("2024")


def equal_area_ha(geometry: BaseGeometry) -> float:
    """Area by another road than the pillar's: EPSG:6933 (EASE-Grid 2.0, equal area)."""
    series = gpd.GeoSeries([geometry], crs="EPSG:4326").to_crs("EPSG:6933")
    return float(series.area.iloc[0]) / 10_000


def layer(
    *shapes: tuple[BaseGeometry, ObservationPeriod],
    coverage: BaseGeometry | None = None,
    source: str = "scan",
) -> DetectionLayer:
    detections = tuple(
        Detection(index=i, geometry=g, period=p, area_ha=equal_area_ha(g), layer="L")
        for i, (g, p) in enumerate(shapes)
    )
    return DetectionLayer(
        id="L", source=source, file="l.geojson", detections=detections, coverage=coverage
    )


def concession(
    site_id: str,
    geometry: BaseGeometry,
    valid: tuple[date, date] | None = (date(2015, 1, 1), date(2030, 1, 1)),
) -> Site:
    licence = (
        None
        if valid is None
        else Licence(number=f"L-{site_id}", valid_from=valid[0], valid_to=valid[1])
    )
    return Site(
        id=site_id,
        name=site_id.title(),
        kind=SiteKind.CONCESSION,
        geometry=mapping(geometry),
        licence=licence,
    )


def mine(site_id: str, geometry: BaseGeometry, licence: Licence | None = None) -> Site:
    return Site(
        id=site_id,
        name=site_id.title(),
        kind=SiteKind.MINE,
        geometry=mapping(geometry),
        licence=licence,
    )


def extraction(event_id: str, site_id: str, when: datetime) -> CustodyEvent:
    return CustodyEvent(
        event_id=event_id,
        type=EventType.OBJECT,
        action=Action.ADD,
        event_time=when,
        event_time_zone_offset="+00:00",
        biz_location=site_id,
    )


TITLE = box(28.00, -12.02, 28.02, -12.00)  # ~2.2 km square


# --- outside concessions ---------------------------------------------------------------------


def test_a_patch_outside_the_titles_is_raised_with_its_area_and_the_nearest_title() -> None:
    inside = box(28.005, -12.015, 28.010, -12.010)
    straddling = box(28.018, -12.010, 28.024, -12.006)  # 0.004 of 0.006 degrees outside
    far_away = box(28.50, -12.50, 28.51, -12.49)  # ~55 km: beyond the 10 km scope
    outcome = find_mining_outside_concessions(
        [layer((inside, Y2024), (straddling, Y2024), (far_away, Y2024))],
        [concession("urn:site:north", TITLE)],
    )
    (finding,) = outcome.findings
    assert finding.code is FindingCode.SITE_MINING_OUTSIDE_CONCESSION
    expected = equal_area_ha(box(28.02, -12.010, 28.024, -12.006))
    assert f"{expected:,.1f} ha" in finding.explanation
    assert "Urn:Site:North (urn:site:north)" in finding.explanation
    # The patch touches the licensed title it was cut from: beside it, not in it.
    assert "is right beside it" in finding.explanation
    assert finding.severity is Severity.HIGH
    assert {e.id for e in finding.evidence} >= {"L#1", "urn:site:north"}


def test_a_title_whose_licence_lapsed_does_not_cover_the_mining_in_it() -> None:
    lapsed = concession("urn:site:old", TITLE, valid=(date(2010, 1, 1), date(2019, 12, 31)))
    dug = box(28.005, -12.015, 28.010, -12.010)
    outcome = find_mining_outside_concessions([layer((dug, Y2024))], [lapsed])
    (finding,) = outcome.findings
    assert "not valid in 2024" in finding.explanation and "2019-12-31" in finding.explanation
    assert "holds the patch" in finding.explanation
    assert f"{equal_area_ha(dug):,.1f} ha" in finding.title
    # The same title, licensed in 2024: nothing to report.
    assert not find_mining_outside_concessions(
        [layer((dug, Y2024))], [concession("urn:site:old", TITLE)]
    ).findings


def test_earlier_disturbance_of_the_patch_is_told() -> None:
    patch = box(28.03, -12.01, 28.04, -12.00)
    half = box(28.03, -12.01, 28.035, -12.00)
    outcome = find_mining_outside_concessions(
        [layer((half, Y2018), (patch, Y2024))], [concession("urn:site:a", TITLE)]
    )
    (finding,) = outcome.findings
    assert (
        f"{equal_area_ha(half):,.1f} ha of it was disturbed already in 2018" in finding.explanation
    )


def test_small_patches_and_missing_data() -> None:
    speck = box(28.03, -12.01, 28.0302, -12.0098)  # ~0.05 ha
    assert not find_mining_outside_concessions(
        [layer((speck, Y2024))], [concession("urn:c", TITLE)]
    ).findings
    (gap,) = find_mining_outside_concessions([], [concession("urn:c", TITLE)]).gaps
    assert "detections" in gap.missing
    (gap,) = find_mining_outside_concessions([layer((speck, Y2024))], []).gaps
    assert "concession" in gap.missing


def test_licensed_in_reads_the_licence_dates_against_the_whole_period() -> None:
    site = concession("urn:c", TITLE, valid=(date(2024, 11, 1), date(2026, 1, 1)))
    assert licensed_in(site, Y2024) and not licensed_in(site, Y2018)
    assert not licensed_in(concession("urn:c", TITLE, valid=None), Y2024)


# --- new disturbance --------------------------------------------------------------------------


def test_new_ground_at_a_site_between_two_periods() -> None:
    site = mine(
        "urn:site:pit", Point(28.01, -12.01), Licence(number="ML-1", valid_from=date(2015, 1, 1))
    )
    old = box(28.008, -12.012, 28.012, -12.008)
    grown = box(28.008, -12.012, 28.016, -12.008)
    outcome = find_new_disturbance([layer((old, Y2018), (grown, Y2024))], [site])
    (finding,) = outcome.findings
    new = equal_area_ha(box(28.012, -12.012, 28.016, -12.008))
    assert finding.code is FindingCode.SITE_NEW_DISTURBANCE
    assert f"{new:,.1f} ha of new mining disturbance" in finding.explanation
    assert finding.severity is Severity.MEDIUM  # licensed: growth worth knowing, not a breach
    expired = mine(
        "urn:site:pit", Point(28.01, -12.01), Licence(number="ML-1", valid_to=date(2020, 1, 1))
    )
    (finding,) = find_new_disturbance([layer((old, Y2018), (grown, Y2024))], [expired]).findings
    assert finding.severity is Severity.HIGH and "ML-1 was not valid in 2024" in finding.explanation


def test_no_new_ground_no_finding_and_no_layers_a_gap() -> None:
    site = mine("urn:site:pit", Point(28.01, -12.01))
    same = box(28.008, -12.012, 28.012, -12.008)
    assert not find_new_disturbance([layer((same, Y2018), (same, Y2024))], [site]).findings
    (gap,) = find_new_disturbance([], [site]).gaps
    assert "detections" in gap.missing


# --- no activity ------------------------------------------------------------------------------

AREA_SCANNED = box(27.9, -12.1, 28.1, -11.9)


def test_a_declared_mine_with_no_disturbance_in_a_covered_period_is_raised() -> None:
    front = mine("urn:site:front", Point(28.05, -12.05))
    busy = mine("urn:site:busy", Point(28.01, -12.01))
    dug = box(28.008, -12.012, 28.012, -12.008)
    events = [
        extraction("e1", "urn:site:front", datetime(2024, 3, 1, tzinfo=UTC)),
        extraction("e2", "urn:site:front", datetime(2024, 9, 1, tzinfo=UTC)),
        extraction("e3", "urn:site:busy", datetime(2024, 5, 1, tzinfo=UTC)),
    ]
    outcome = find_no_activity([layer((dug, Y2024), coverage=AREA_SCANNED)], [front, busy], events)
    (finding,) = outcome.findings
    assert finding.code is FindingCode.SITE_NO_ACTIVITY and finding.subject.id == "urn:site:front"
    assert "2 commissioning event(s) from 2024-03-01 to 2024-09-01" in finding.explanation
    assert {e.id for e in finding.evidence} >= {"e1", "e2", "urn:site:front"}
    assert not outcome.gaps


def test_a_period_scanned_with_nothing_found_still_counts_as_observed(tmp_path: Path) -> None:
    empty = tmp_path / "scan-2024.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    scanned = read_detections(empty, layer_id="s", period=Y2024, coverage=AREA_SCANNED)
    assert scanned.periods == [Y2024] and not scanned.detections
    site = mine("urn:site:front", Point(28.05, -12.05))
    events = [extraction("e1", "urn:site:front", datetime(2024, 3, 1, tzinfo=UTC))]
    (finding,) = find_no_activity([scanned], [site], events).findings
    assert finding.subject.id == "urn:site:front"
    # Merged with another file of the source, the empty period is kept.
    other = layer((box(27.0, -11.0, 27.01, -10.99), Y2018), coverage=AREA_SCANNED)
    (merged,) = by_source([scanned, dataclasses.replace(other, source=scanned.source)])
    assert merged.periods == [Y2018, Y2024]


def test_disturbance_within_the_buffer_counts_as_activity() -> None:
    near = box(28.0555, -12.0505, 28.0565, -12.0495)  # ~0.6 km east of the point
    site = mine("urn:site:m", Point(28.05, -12.05))
    events = [extraction("e1", "urn:site:m", datetime(2024, 3, 1, tzinfo=UTC))]
    shown = layer((near, Y2024), coverage=AREA_SCANNED)
    assert not find_no_activity([shown], [site], events).findings
    (finding,) = find_no_activity([shown], [site], events, ActivityParams(buffer_m=300)).findings
    assert "300 m" in finding.explanation


def test_without_coverage_or_in_other_dates_it_is_a_gap_never_no_activity() -> None:
    site = mine("urn:site:m", Point(28.05, -12.05))
    events = [extraction("e1", "urn:site:m", datetime(2024, 3, 1, tzinfo=UTC))]
    unknown = layer((box(27.0, -11.0, 27.01, -10.99), Y2024))  # says nothing of what it looked at
    elsewhere = layer(
        (box(27.0, -11.0, 27.01, -10.99), Y2024), coverage=box(26.9, -11.1, 27.1, -10.9)
    )
    other_year = layer((box(27.0, -11.0, 27.01, -10.99), Y2018), coverage=AREA_SCANNED)
    for given in (unknown, elsewhere, other_year):
        outcome = find_no_activity([given], [site], events)
        assert not outcome.findings
        (gap,) = outcome.gaps
        assert "No clear observation of Urn:Site:M (urn:site:m) in 2024-03-01" in gap.explanation


@pytest.mark.parametrize("kind", [SiteKind.TRADER, SiteKind.SMELTER])
def test_only_extraction_sites_are_declared_origins(kind: SiteKind) -> None:
    trader = Site(id="urn:site:t", kind=kind, geometry=mapping(Point(28.05, -12.05)))
    events = [extraction("e1", "urn:site:t", datetime(2024, 3, 1, tzinfo=UTC))]
    outcome = find_no_activity([layer((TITLE, Y2024), coverage=AREA_SCANNED)], [trader], events)
    assert not outcome.findings and not outcome.gaps
