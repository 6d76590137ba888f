"""CUSTODY.IMPOSSIBLE_TRAVEL over small hand-built trips, with clock noise, and the demo world."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from oresight.core.custody import ORE_NAMESPACE, CustodyEvent
from oresight.core.errors import InvalidInput
from oresight.core.findings import FindingCode, Severity, SubjectType
from oresight.core.sites import Site, SiteKind
from oresight.custody.epcis import read_epcis, read_epcis_file
from oresight.custody.sites import read_sites
from oresight.custody.travel import (
    RULE,
    TravelParams,
    declared_mode,
    find_impossible_travel,
    load_transport_modes,
)
from oresight.sim import build_demo_world
from tests.custody.chain_builders import T0, commission, move, site, square

LOT = "urn:epc:class:lgtin:6170401.028220.HYD2400101"


def point(site_id: str, lon: float, lat: float, kind: SiteKind = SiteKind.TRADER) -> Site:
    return site(site_id, kind, {"type": "Point", "coordinates": [lon, lat]})


KOLWEZI = point("urn:site:kolwezi", 25.43, -10.70, SiteKind.PROCESSING_FACILITY)
LUBUMBASHI = point("urn:site:lubumbashi", 27.48, -11.66)  # 248 km from Kolwezi
DAR = point("urn:site:dar", 39.29, -6.83, SiteKind.PORT)  # 1,582 km from Kolwezi
QUZHOU = point("urn:site:quzhou", 118.87, 28.95, SiteKind.REFINER)  # 10,912 km from Kolwezi
GOMA = point("urn:site:goma", 29.225, -1.675)
GISENYI = point("urn:site:gisenyi", 29.2466, -1.6866, SiteKind.BORDER_POST)  # 2.7 km from Goma
CONCESSION = site("urn:site:concession", SiteKind.CONCESSION, square(25.5, -10.7, 0.1))
NEAR_EDGE = point("urn:site:near-edge", 25.62, -10.70)  # 13 km from the concession's centre
FAR_OUT = point("urn:site:far-out", 25.9, -10.70)  # 44 km from it
BARE = Site(id="urn:site:bare", kind=SiteKind.WAREHOUSE)
SITES = {
    s.id: s
    for s in (
        KOLWEZI, LUBUMBASHI, DAR, QUZHOU, GOMA, GISENYI, CONCESSION, NEAR_EDGE, FAR_OUT, BARE
    )
}  # fmt: skip


def seen(
    event_id: str,
    where: Site | str | None,
    hours: float,
    *,
    step: str = "shipping",
    mode: Any = None,
    lot: str = LOT,
) -> CustodyEvent:
    """The lot observed at a place ``hours`` after the start of the timeline."""
    location = where.id if isinstance(where, Site) else where
    event = move(event_id, lot, location or "unused", 0, step)
    update: dict[str, Any] = {"event_time": T0 + timedelta(hours=hours), "biz_location": location}
    if mode is not None:
        update["extensions"] = {"ore:transportMode": mode}
    return event.model_copy(update=update)


def test_a_trip_in_plausible_time_raises_nothing() -> None:
    events = [seen("e1", KOLWEZI, 0), seen("e2", DAR, 9 * 24, step="receiving")]
    outcome = find_impossible_travel(events, sites=SITES)
    assert outcome.findings == () and outcome.gaps == ()


def test_a_surface_trip_too_fast_for_any_surface_mode_is_flagged_with_its_numbers() -> None:
    events = [seen("e1", KOLWEZI, 0), seen("e2", DAR, 5, step="receiving")]
    (finding,) = find_impossible_travel(events, sites=SITES).findings
    assert finding.code is FindingCode.CUSTODY_IMPOSSIBLE_TRAVEL and finding.rule == RULE
    assert finding.subject.type is SubjectType.LOT and finding.subject.id == LOT
    # No mode declared: held to rail, the fastest surface mode; a flight could explain it.
    assert finding.severity is Severity.MEDIUM and finding.confidence == 0.6
    assert [e.id for e in finding.evidence] == ["e1", "e2"]
    leg = finding.evidence[1].data
    assert 1580 < leg["distance_km"] < 1585 and leg["elapsed_hours"] == 5.0
    assert 316 < leg["required_kmh"] < 317
    assert leg["allowed_kmh"] == 160 and leg["transport_mode"] == "rail"
    assert leg["transport_mode_declared"] is False and leg["previous_event"] == "e1"
    assert "1,582 km apart at least" in finding.explanation
    assert "an average of 316 km/h" in finding.explanation
    assert "Only a flight" in finding.explanation


def test_a_trip_beyond_any_mode_is_flagged_with_high_confidence() -> None:
    events = [seen("e1", KOLWEZI, 0), seen("e2", QUZHOU, 3, step="receiving", mode="air")]
    (finding,) = find_impossible_travel(events, sites=SITES).findings
    assert finding.severity is Severity.HIGH and finding.confidence == 0.95
    assert "Even air transport (1,100 km/h) could not do it" in finding.explanation
    assert finding.evidence[1].data["declared_transport_mode"] == "air"


def test_a_declared_mode_sets_the_speed_limit() -> None:
    trip = [seen("e1", KOLWEZI, 0), seen("e2", LUBUMBASHI, 1.2, step="receiving")]
    assert find_impossible_travel(trip, sites=SITES).findings == ()  # rail could do 248 km
    by_road = [trip[0].model_copy(update={"extensions": {"ore:transportMode": "road"}}), trip[1]]
    (finding,) = find_impossible_travel(by_road, sites=SITES).findings
    assert finding.severity is Severity.HIGH and finding.confidence == 0.85
    assert "road transport, as declared, averages at most 130 km/h" in finding.explanation
    flown = [seen("e1", KOLWEZI, 0, mode="air"), seen("e2", DAR, 5, step="receiving")]
    assert find_impossible_travel(flown, sites=SITES).findings == ()


def test_the_mode_can_be_a_rec19_code_under_any_prefix_of_the_ore_namespace() -> None:
    trip = [seen("e1", KOLWEZI, 0), seen("e2", LUBUMBASHI, 1.2, step="receiving")]
    coded = trip[0].model_copy(
        update={"extensions": {"x:transportMode": 3}, "namespaces": {"x": ORE_NAMESPACE}}
    )
    assert declared_mode(coded) == 3
    (finding,) = find_impossible_travel([coded, trip[1]], sites=SITES).findings
    assert finding.evidence[1].data["transport_mode"] == "road"
    foreign = trip[0].model_copy(
        update={"extensions": {"ore:transportMode": "road"}, "namespaces": {"ore": "urn:other"}}
    )
    assert declared_mode(foreign) is None


def test_a_configured_default_mode_replaces_the_fastest_surface_mode() -> None:
    trip = [seen("e1", KOLWEZI, 0), seen("e2", LUBUMBASHI, 1.2, step="receiving")]
    (finding,) = find_impossible_travel(
        trip, sites=SITES, params=TravelParams(default_mode="road")
    ).findings
    assert "the default mode set for this check, road, averages at most 130" in finding.explanation
    assert finding.evidence[1].data["allowed_kmh"] == 130


@pytest.mark.parametrize("skew_minutes", [-8, 0, 3])
def test_clock_skew_between_two_nearby_sites_is_not_travel(skew_minutes: int) -> None:
    # Goma trader ships at 10:00; the border post, 2.7 km away, logs the truck minutes later
    # by its own clock, which may run behind (the crossing then seems to come first).
    events = [seen("e1", GOMA, 10), seen("e2", GISENYI, 10 + skew_minutes / 60, step="departing")]
    assert find_impossible_travel(events, sites=SITES).findings == ()


def test_without_slack_even_a_short_hop_in_no_time_is_flagged() -> None:
    events = [seen("e1", GOMA, 10), seen("e2", GISENYI, 10, step="departing")]
    strict = TravelParams(slack_hours=0)
    (finding,) = find_impossible_travel(events, sites=SITES, params=strict).findings
    assert finding.evidence[1].data["required_kmh"] is None
    assert "being in both places at once" in finding.explanation


def test_an_area_site_covers_every_point_inside_it() -> None:
    strict = TravelParams(slack_hours=0)
    inside = [seen("e1", CONCESSION, 0), seen("e2", NEAR_EDGE, 1 / 60)]
    assert find_impossible_travel(inside, sites=SITES, params=strict).findings == ()
    beyond = [seen("e1", CONCESSION, 0), seen("e2", FAR_OUT, 1 / 60)]
    (finding,) = find_impossible_travel(beyond, sites=SITES, params=strict).findings
    assert finding.evidence[1].data["site_extent_km"] > 15


def test_a_geo_read_point_places_the_event_more_precisely_than_its_site() -> None:
    at_mine = commission("e1", LOT, KOLWEZI.id, 0, read_point="geo:-6.83,39.29")
    later = seen("e2", KOLWEZI, 1, step="shipping")
    (finding,) = find_impossible_travel([at_mine, later], sites=SITES).findings
    assert finding.evidence[0].data["read_point"] == "geo:-6.83,39.29"
    assert "-6.83000, 39.29000 (lat, lon)" in finding.explanation


def test_every_impossible_leg_of_a_lot_is_evidence_of_one_finding() -> None:
    events = [
        seen("e1", KOLWEZI, 0),
        seen("e2", DAR, 4, step="receiving"),
        seen("e3", DAR, 30),
        seen("e4", KOLWEZI, 34, step="receiving"),
    ]
    (finding,) = find_impossible_travel(events, sites=SITES).findings
    assert {e.id for e in finding.evidence} == {"e1", "e2", "e3", "e4"}
    assert "1 other leg(s) of the lot are impossible too" in finding.explanation


def test_places_that_cannot_be_located_are_data_gaps_not_passes() -> None:
    events = [
        seen("e1", KOLWEZI, 0),
        seen("e2", "urn:site:unknown", 2, step="receiving"),
        seen("e3", BARE, 3),
        seen("e4", None, 4, step="receiving"),
    ]
    outcome = find_impossible_travel(events, sites=SITES)
    assert outcome.findings == ()
    missing = [(g.missing, g.subject.id if g.subject else None) for g in outcome.gaps]
    assert missing == [
        ("geometry of site urn:site:bare", "urn:site:bare"),
        ("site record for location urn:site:unknown", "urn:site:unknown"),
        ("readPoint or bizLocation of custody events", None),
    ]
    assert all(g.rule == RULE for g in outcome.gaps)
    assert "1 custody event(s) of 1 lot(s)" in outcome.gaps[1].explanation


def test_a_lot_seen_once_needs_no_location() -> None:
    assert find_impossible_travel([seen("e1", "urn:site:unknown", 0)], sites=SITES).gaps == ()


def test_an_unknown_transport_mode_is_refused_naming_the_event_and_field() -> None:
    events = [seen("e1", KOLWEZI, 0, mode="teleport"), seen("e2", DAR, 5, step="receiving")]
    with pytest.raises(InvalidInput) as raised:
        find_impossible_travel(events, sites=SITES)
    assert raised.value.field == "ore:transportMode"
    assert raised.value.record == "eventID e1"
    assert "'teleport'" in raised.value.message and "road" in raised.value.message


def test_the_mode_is_read_from_an_epcis_document() -> None:
    def event(event_id: str, time: str, where: str, extra: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "ObjectEvent",
            "eventID": event_id,
            "eventTime": time,
            "eventTimeZoneOffset": "+02:00",
            "action": "OBSERVE",
            "bizStep": "shipping",
            "bizLocation": {"id": where},
            "quantityList": [{"epcClass": LOT, "quantity": 12.0, "uom": "TNE"}],
            **extra,
        }

    document = {
        "@context": [
            "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
            {"ore": ORE_NAMESPACE},
        ],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-03-02T00:00:00Z",
        "epcisBody": {
            "eventList": [
                event("urn:uuid:e1", "2024-03-01T08:00:00+02:00", KOLWEZI.id, {
                    "ore:transportMode": "air"
                }),
                event("urn:uuid:e2", "2024-03-01T13:00:00+02:00", DAR.id, {}),
            ]
        },
    }  # fmt: skip
    events = read_epcis(document).events
    assert declared_mode(events[0]) == "air"
    assert find_impossible_travel(events, sites=SITES).findings == ()
    grounded = [events[0].model_copy(update={"extensions": {}}), events[1]]
    assert len(find_impossible_travel(grounded, sites=SITES).findings) == 1


def test_the_speed_table_explains_every_figure() -> None:
    modes = load_transport_modes()
    assert set(modes) == {"road", "rail", "sea", "river", "air", "on_foot"}
    assert all(m.reasoning.strip() and m.sources for m in modes.values())
    assert not modes["air"].surface and all(m.surface for n, m in modes.items() if n != "air")
    assert TravelParams().fallback().name == "rail"
    assert TravelParams().fastest().name == "air"
    codes = [m.rec19 for m in modes.values() if m.rec19]
    assert len(codes) == len(set(codes))


def test_a_speed_file_can_be_supplied_and_a_broken_one_is_named(tmp_path: Path) -> None:
    good = tmp_path / "speeds.yaml"
    good.write_text(
        "modes:\n  truck:\n    max_kmh: 60\n    surface: true\n"
        "    reasoning: slow roads\n    sources: [survey]\n",
        encoding="utf-8",
    )
    params = TravelParams(modes=load_transport_modes(good))
    trip = [seen("e1", KOLWEZI, 0), seen("e2", LUBUMBASHI, 3, step="receiving")]
    (finding,) = find_impossible_travel(trip, sites=SITES, params=params).findings
    assert finding.evidence[1].data["transport_mode"] == "truck"
    bad = tmp_path / "bad.yaml"
    bad.write_text("modes:\n  road:\n    max_kmh: -5\n    surface: true\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as raised:
        load_transport_modes(bad)
    assert raised.value.file == str(bad) and raised.value.record == "road"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"default_mode": "hovercraft"}, "default_mode"), ({"slack_hours": -1.0}, "slack_hours")],
)
def test_params_refuse_values_that_make_no_sense(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        TravelParams(**kwargs)
    assert raised.value.field == field


@pytest.mark.parametrize("seed", [7, 2024])
def test_the_demo_world_travels_plausibly_but_for_its_planted_lot(
    tmp_path: Path, seed: int
) -> None:
    manifest = build_demo_world(tmp_path, seed=seed)
    sites = {s.id: s for s in read_sites(tmp_path / "sites.geojson")}
    events = [e for p in manifest.files if p.suffix == ".jsonld" for e in read_epcis_file(p).events]
    planted = {
        p.subject_id for p in manifest.planted if p.code == FindingCode.CUSTODY_IMPOSSIBLE_TRAVEL
    }
    assert len(planted) == 1
    for params in (TravelParams(), TravelParams(default_mode="road")):
        outcome = find_impossible_travel(events, sites=sites, params=params)
        assert {f.subject.id for f in outcome.findings} == planted and outcome.gaps == ()
