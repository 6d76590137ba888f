"""SITE.PROTECTED_AREA_ORIGIN on the real Yanomami and Munduruku territories and small shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shapely.geometry import box, shape

from oresight.core.errors import InvalidInput
from oresight.core.findings import EvidenceKind, FindingCode, Severity, SubjectType
from oresight.core.sites import Site, SiteKind
from oresight.custody.protected_area import (
    area_km2,
    find_protected_area_origins,
    protected_areas_from_geojson,
)
from tests.custody.chain_builders import commission, move, site, square

SURUCUCU = (-63.63, 2.83)
"""Surucucu, in the Yanomami territory, a known front of illegal gold mining (lon, lat)."""
BOA_VISTA = (-60.6733, 2.8235)
"""Boa Vista, capital of Roraima, outside the territory."""
CURURU = (-57.5, -7.5)
"""On the Cururu river, inside the Munduruku territory."""


@pytest.fixture(scope="module")
def territories(shared_data: Path) -> list[Site]:
    path = shared_data / "earth" / "amw_earthgenome" / "yanomami_and_munduruku.geojson"
    return protected_areas_from_geojson(path, designation="indigenous_territory")


def _point(lon_lat: tuple[float, float]) -> dict[str, object]:
    return {"type": "Point", "coordinates": list(lon_lat)}


def test_amw_territories_read_as_protected_areas(territories: list[Site]) -> None:
    assert [area.id for area in territories] == [
        "urn:oresight:area:munduruku",
        "urn:oresight:area:yanomami",
    ]
    yanomami = territories[1]
    assert yanomami.kind is SiteKind.PROTECTED_AREA and yanomami.name == "Yanomami"
    assert yanomami.properties["designation"] == "indigenous_territory"
    # AMW's free-text country is kept beside, not in, the ISO country field.
    assert yanomami.country is None
    assert yanomami.properties["source_country"] == "Brazil and Venezuela"


def test_munduruku_area_is_close_to_its_official_size(territories: list[Site]) -> None:
    # FUNAI gives the Munduruku indigenous land as 2,381,795 ha (23,818 km²).
    munduruku = territories[0]
    assert munduruku.geometry is not None
    assert area_km2(shape(munduruku.geometry)) == pytest.approx(23_818, rel=0.02)


def test_spherical_area_of_a_one_degree_cell_at_the_equator() -> None:
    # R² · Δλ · (sin φ2 − sin φ1) with R = 6371.0088 km: 12,363.7 km².
    assert area_km2(box(10.0, 0.0, 11.0, 1.0)) == pytest.approx(12_363.7, rel=1e-4)
    holed = box(0, 0, 1, 1).difference(box(0.25, 0.25, 0.75, 0.75))
    assert area_km2(holed) == pytest.approx(12_363.7 * 0.75, rel=1e-3)


def test_origin_inside_yanomami_is_flagged_and_outside_is_not(territories: list[Site]) -> None:
    inside = site("urn:site:garimpo:01", SiteKind.ARTISANAL_SITE, _point(SURUCUCU))
    outside = site("urn:site:mine:02", SiteKind.MINE, _point(BOA_VISTA))
    sites = {s.id: s for s in (inside, outside)}
    events = [
        commission("e1", "lot:1", inside.id, 0),
        commission("e2", "lot:2", inside.id, 3),
        commission("e3", "lot:3", outside.id, 0),
    ]
    outcome = find_protected_area_origins(events, sites=sites, areas=territories)
    (finding,) = outcome.findings
    assert outcome.gaps == ()
    assert finding.code is FindingCode.SITE_PROTECTED_AREA_ORIGIN
    assert finding.subject.type is SubjectType.SITE and finding.subject.id == inside.id
    assert finding.severity is Severity.HIGH and finding.confidence == 0.9
    assert "2 extraction event(s) between 2024-03-01 and 2024-03-04" in finding.explanation
    assert "(2.83000, -63.63000, lat, lon) lies inside Yanomami" in finding.explanation
    assert "(indigenous territory)" in finding.explanation
    area = finding.evidence[-1]
    assert area.id == "urn:oresight:area:yanomami" and area.kind is EvidenceKind.SITE
    assert area.data["designation"] == "indigenous_territory"
    assert area.data["overlap"] == "point" and area.data["points"] == [[2.83, -63.63]]
    assert [e.id for e in finding.evidence if e.kind is EvidenceKind.EVENT] == ["e1", "e2"]


def test_munduruku_origin_and_protected_areas_taken_from_the_sites(
    territories: list[Site],
) -> None:
    mine = site("urn:site:mine:03", SiteKind.ARTISANAL_SITE, _point(CURURU))
    sites = {s.id: s for s in (mine, *territories)}
    (finding,) = find_protected_area_origins(
        [commission("e1", "lot:1", mine.id, 0)], sites=sites
    ).findings
    assert finding.evidence[-1].id == "urn:oresight:area:munduruku"


def test_a_geo_read_point_is_the_place_of_extraction(territories: list[Site]) -> None:
    front = site("urn:site:mine:04", SiteKind.MINE, _point(BOA_VISTA))
    lon, lat = SURUCUCU
    dug_inside = commission("e1", "lot:1", front.id, 0, read_point=f"geo:{lat},{lon}")
    (finding,) = find_protected_area_origins(
        [dug_inside], sites={front.id: front}, areas=territories
    ).findings
    assert finding.subject.id == front.id


def test_a_concession_partly_inside_gives_the_overlap_in_km2_and_share() -> None:
    park = Site(
        id="urn:area:park",
        name="Park",
        kind=SiteKind.PROTECTED_AREA,
        geometry=square(25.6, -10.7, 0.1),
        properties={"designation": "national_park"},
    )
    # A 0.1° square whose eastern half lies inside the park.
    concession = site("urn:site:concession:05", SiteKind.CONCESSION, square(25.5, -10.7, 0.05))
    sites = {s.id: s for s in (park, concession)}
    (finding,) = find_protected_area_origins(
        [commission("e1", "lot:1", concession.id, 0)], sites=sites
    ).findings
    data = finding.evidence[-1].data
    assert data["overlap"] == "polygon" and data["overlap_share"] == pytest.approx(0.5, abs=1e-3)
    assert data["overlap_km2"] == pytest.approx(60.7, rel=0.01)  # 0.05° x 0.1° at 10.7° S
    assert "(50% of the site) lies inside Park" in finding.explanation
    assert finding.confidence == 0.9


def test_edges_that_only_touch_are_not_overlaps() -> None:
    park = Site(
        id="urn:area:park", kind=SiteKind.PROTECTED_AREA, geometry=square(25.6, -10.7, 0.05)
    )
    neighbour = site("urn:site:concession:06", SiteKind.CONCESSION, square(25.5, -10.7, 0.05))
    outcome = find_protected_area_origins(
        [commission("e1", "lot:1", neighbour.id, 0)], sites={s.id: s for s in (park, neighbour)}
    )
    assert outcome.findings == () and outcome.gaps == ()


def test_raw_ore_at_an_unknown_place_with_a_geo_point_is_tested(territories: list[Site]) -> None:
    lon, lat = SURUCUCU
    event = commission("e1", "lot:1", "urn:unknown:camp", 0, read_point=f"geo:{lat},{lon}")
    (finding,) = find_protected_area_origins([event], sites={}, areas=territories).findings
    assert finding.subject.id == "urn:unknown:camp"
    assert "not a known site" in finding.explanation


def test_what_the_rule_cannot_test_is_reported_as_gaps() -> None:
    no_position = Site(id="urn:site:mine:07", kind=SiteKind.MINE, country="BR")
    sites = {no_position.id: no_position}
    events = [commission("e1", "lot:1", no_position.id, 0)]
    no_areas = find_protected_area_origins(events, sites=sites)
    assert sorted(gap.missing for gap in no_areas.gaps) == ["protected areas", "site position"]
    bare_area = Site(id="urn:area:bare", name="Bare", kind=SiteKind.PROTECTED_AREA)
    outcome = find_protected_area_origins(events, sites=sites, areas=[bare_area])
    assert sorted(gap.missing for gap in outcome.gaps) == ["area polygon", "site position"]
    moves_only = find_protected_area_origins([move("e2", "lot:1", no_position.id, 1)], sites=sites)
    assert moves_only.gaps == ()  # nothing was extracted, so nothing went untested


def _boundaries(tmp_path: Path, features: list[object]) -> Path:
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _feature(properties: dict[str, object], geometry: dict[str, object] | None = None) -> object:
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": geometry or square(25.6, -10.7, 0.1),
    }


def test_the_boundary_reader_takes_ids_and_designations_from_named_properties(
    tmp_path: Path,
) -> None:
    path = _boundaries(
        tmp_path,
        [_feature({"WDPAID": 555, "NAME": "Upemba", "DESIG_ENG": "National Park", "kind": "x"})],
    )
    (area,) = protected_areas_from_geojson(
        path,
        designation="protected_area",
        name_property="NAME",
        id_property="WDPAID",
        designation_property="DESIG_ENG",
    )
    assert (area.id, area.name) == ("555", "Upemba")
    assert area.properties["designation"] == "National Park"
    assert area.properties["source_kind"] == "x"  # a site field's name is kept aside


def test_boundary_files_that_cannot_be_read_say_where(tmp_path: Path) -> None:
    nameless = _boundaries(tmp_path, [_feature({"title": "x"})])
    with pytest.raises(InvalidInput, match="no name") as caught:
        protected_areas_from_geojson(nameless, designation="indigenous_territory")
    assert (caught.value.record, caught.value.field) == ("feature 0", "name")
    point = _boundaries(
        tmp_path, [_feature({"name": "A"}, {"type": "Point", "coordinates": [1, 2]})]
    )
    with pytest.raises(InvalidInput, match="expected a Polygon or MultiPolygon, found 'Point'"):
        protected_areas_from_geojson(point, designation="indigenous_territory")
    twice = _boundaries(
        tmp_path, [_feature({"name": "A"}), _feature({"name": "A"}, square(1, 1, 0.1))]
    )
    with pytest.raises(InvalidInput, match="duplicate id 'urn:oresight:area:a'"):
        protected_areas_from_geojson(twice, designation="indigenous_territory")
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [')
    with pytest.raises(InvalidInput, match="malformed JSON at line 1") as caught:
        protected_areas_from_geojson(broken, designation="indigenous_territory")
    assert caught.value.file == str(broken)
