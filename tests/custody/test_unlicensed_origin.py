"""CUSTODY.UNLICENSED_ORIGIN over small hand-built sites and extraction events."""

from __future__ import annotations

from datetime import date
from random import Random

from shapely.geometry import Point

from oresight.core.findings import FindingCode, SubjectType
from oresight.core.sites import Site, SiteKind
from oresight.custody.geodesy import distance_to_area_km, to_shape
from oresight.custody.unlicensed_origin import find_unlicensed_origins, local_date
from tests.custody.chain_builders import commission, site, square

CONCESSION = site("urn:site:concession:01", SiteKind.CONCESSION, square(25.5, -10.7, 0.05))
MINE = site("urn:site:mine:02", SiteKind.MINE, {"type": "Point", "coordinates": [25.5, -10.7]})
FRONT = site(
    "urn:site:front:03", SiteKind.ARTISANAL_SITE, {"type": "Point", "coordinates": [25.7, -10.7]}
)
EXPIRED = site(
    "urn:site:expired:04",
    SiteKind.ARTISANAL_SITE,
    square(25.52, -10.71, 0.01),
    licence=(date(2019, 1, 1), date(2023, 6, 30)),
)
UNLICENSED = site("urn:site:bare:05", SiteKind.MINE, square(25.49, -10.69, 0.01), licence=None)
TRADER = site(
    "urn:site:trader:06", SiteKind.TRADER, {"type": "Point", "coordinates": [27.4, -11.6]}
)
SITES = {s.id: s for s in (CONCESSION, MINE, FRONT, EXPIRED, UNLICENSED, TRADER)}


def test_licensed_site_inside_a_licensed_area_is_clean() -> None:
    assert find_unlicensed_origins([commission("e1", "lot:1", MINE.id, 0)], sites=SITES) == []


def test_expired_licence_is_flagged_with_the_days_since_expiry() -> None:
    (finding,) = find_unlicensed_origins([commission("e1", "lot:1", EXPIRED.id, 0)], sites=SITES)
    assert finding.code is FindingCode.CUSTODY_UNLICENSED_ORIGIN
    assert finding.subject.type is SubjectType.EVENT and finding.subject.id == "e1"
    assert "expired on 2023-06-30, 245 days before" in finding.explanation
    assert finding.evidence[1].data["days"] == 245


def test_site_without_licence_is_flagged() -> None:
    (finding,) = find_unlicensed_origins([commission("e1", "lot:1", UNLICENSED.id, 0)], sites=SITES)
    assert "no licence on record" in finding.explanation


def test_point_outside_every_licensed_area_is_flagged_with_the_distance() -> None:
    (finding,) = find_unlicensed_origins([commission("e1", "lot:1", FRONT.id, 0)], sites=SITES)
    assert "outside every licensed area" in finding.title
    distance = finding.evidence[2].data["distance_km"]
    assert isinstance(distance, float) and 16 < distance < 18  # 0.15 degree of longitude at 10.7 S
    assert finding.evidence[2].id == CONCESSION.id


def test_geo_read_point_overrides_the_site_point() -> None:
    inside = commission("e1", "lot:1", FRONT.id, 0, read_point="geo:-10.7,25.51")
    assert find_unlicensed_origins([inside], sites=SITES) == []
    outside = commission("e2", "lot:2", MINE.id, 0, read_point="geo:-10.2,25.5")
    (finding,) = find_unlicensed_origins([outside], sites=SITES)
    assert finding.subject.id == "e2"


def test_an_area_whose_licence_lapsed_no_longer_licenses_points_inside_it() -> None:
    lapsed = CONCESSION.model_copy(
        update={"licence": CONCESSION.licence.model_copy(update={"valid_to": date(2023, 1, 1)})}  # type: ignore[union-attr]
    )
    sites = {**SITES, lapsed.id: lapsed}
    (finding,) = find_unlicensed_origins([commission("e1", "lot:1", MINE.id, 0)], sites=sites)
    assert "outside every licensed area" in finding.title


def test_non_extraction_sites_and_unknown_places_without_ore_data_are_ignored() -> None:
    at_trader = commission("e1", "lot:1", TRADER.id, 0)
    pallet = commission("e2", "lot:2", "urn:unknown", 0).model_copy(update={"lot_master": None})
    assert find_unlicensed_origins([at_trader, pallet], sites=SITES) == []
    ore_elsewhere = commission("e3", "lot:3", "urn:unknown", 0)
    (finding,) = find_unlicensed_origins([ore_elsewhere], sites=SITES)
    assert finding.confidence < 0.7 and "not a known site" in finding.explanation


def test_local_date_uses_the_event_offset() -> None:
    late_utc = commission("e1", "lot:1", MINE.id, 0.75)  # 2024-03-01T24:00Z -> 03-02 02:00 local
    assert local_date(late_utc) == date(2024, 3, 2)


def test_nearest_licensed_area_is_the_one_measuring_every_area_finds() -> None:
    # Areas scattered over the globe (both sides of the antimeridian, near the poles, some
    # unlicensed): the indexed search must name the area that measuring all of them names.
    rng = Random(7)
    areas: list[Site] = []
    for index in range(300):
        lon, lat = rng.uniform(-179.5, 179.5), rng.uniform(-85, 85)
        licence = (date(2020, 1, 1), date(2030, 1, 1)) if index % 5 else None
        areas.append(
            site(
                f"urn:site:area:{index}",
                SiteKind.CONCESSION,
                square(lon, lat, 0.2),
                licence=licence,
            )
        )
    places = [(rng.uniform(-180, 180), rng.uniform(-89, 89)) for _ in range(60)]
    places += [(179.9, 0.0), (-179.9, 10.0), (0.0, 89.9), (120.0, -89.9)]
    points = [
        site(f"urn:site:pit:{i}", SiteKind.ARTISANAL_SITE, {"type": "Point", "coordinates": [x, y]})
        for i, (x, y) in enumerate(places)
    ]
    sites = {s.id: s for s in areas + points}
    events = [commission(f"e{i}", f"lot:{i}", p.id, 0) for i, p in enumerate(points)]
    shapes = [(to_shape(a.geometry), a) for a in areas if a.licence is not None]
    by_event = {f.subject.id: f for f in find_unlicensed_origins(events, sites=sites)}
    for event, (lon, lat) in zip(events, places, strict=True):
        here = Point(lon, lat)
        km, nearest = min(
            ((distance_to_area_km(here, shape), a) for shape, a in shapes), key=lambda p: p[0]
        )
        finding = by_event[event.event_id]
        named = finding.evidence[2]
        assert (named.id, named.data["distance_km"]) == (nearest.id, round(km, 2)), event.event_id
