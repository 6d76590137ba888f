"""Amazon Mining Watch's yearly mining footprints (2018, 2024) over the Yanomami and Munduruku
indigenous territories: oresight's measure against an independent one.

The reference is computed here with geopandas in an equal-area projection (EPSG:6933, WGS 84 /
NSIDC EASE-Grid 2.0 Global), footprints merged with a union so that overlaps count once; oresight
measures geodesic areas in longitude/latitude. The two must agree within half a percent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import shapely

from oresight.core.findings import FindingCode, Severity
from oresight.core.sites import Site
from oresight.custody.protected_area import protected_areas_from_geojson
from oresight.earth.detections import DetectionLayer, read_detections
from oresight.earth.geodesy import area_ha
from oresight.earth.protected import (
    AreaMining,
    ProtectedAreaParams,
    find_mining_in_protected_areas,
    mining_in_protected_areas,
)

AMW = Path("earth") / "amw_earthgenome"
FOOTPRINTS = {2018: "mining_201800_simplified.geojson", 2024: "mining_202400_simplified.geojson"}
TERRITORIES = "yanomami_and_munduruku.geojson"
EQUAL_AREA = "EPSG:6933"
STATED = "Mined area (ha)"
TOLERANCE = 0.005
SQUARE_METRES_PER_HECTARE = 10_000


@dataclass(frozen=True)
class Reference:
    """What geopandas measures of one territory."""

    inside_ha: dict[int, float]
    """Footprint ground inside the territory, per year (union, clipped)."""
    new_ha: float
    """Inside in 2024 and not in 2018's footprints."""
    detections: dict[int, int]
    """Footprints intersecting the territory, per year."""
    stated_ha: dict[int, float]
    """The sum of ``Mined area (ha)`` of those footprints, whole."""
    stated_share_ha: dict[int, float]
    """The same, each taken in the share of its footprint inside the territory."""


@pytest.fixture(scope="module")
def amw(shared_data: Path) -> Path:
    folder = shared_data / AMW
    for name in (*FOOTPRINTS.values(), TERRITORIES):
        if not (folder / name).is_file():
            pytest.skip(f"Amazon Mining Watch file {name} not found in {folder}")
    return folder


@pytest.fixture(scope="module")
def frames(amw: Path) -> dict[Any, Any]:
    """The footprints of each year and the territories, as GeoDataFrames in EPSG:6933."""
    gpd = pytest.importorskip("geopandas")
    found: dict[Any, Any] = {
        year: gpd.read_file(amw / name).to_crs(EQUAL_AREA) for year, name in FOOTPRINTS.items()
    }
    found["territories"] = gpd.read_file(amw / TERRITORIES).to_crs(EQUAL_AREA)
    return found


@pytest.fixture(scope="module")
def reference(frames: dict[Any, Any]) -> dict[str, Reference]:
    measured: dict[str, Reference] = {}
    for territory in frames["territories"].itertuples():
        place = territory.geometry
        inside, detections, stated, share = {}, {}, {}, {}
        for year in FOOTPRINTS:
            hits = frames[year][frames[year].intersects(place)]
            inside[year] = shapely.union_all(hits.geometry.values).intersection(place)
            clipped = hits.geometry.intersection(place).area / hits.geometry.area
            detections[year] = len(hits)
            stated[year] = float(hits[STATED].sum())
            share[year] = float((hits[STATED] * clipped).sum())
        new = inside[2024].difference(inside[2018])
        measured[territory.name] = Reference(
            inside_ha={y: g.area / SQUARE_METRES_PER_HECTARE for y, g in inside.items()},
            new_ha=new.area / SQUARE_METRES_PER_HECTARE,
            detections=detections,
            stated_ha=stated,
            stated_share_ha=share,
        )
    return measured


@pytest.fixture(scope="module")
def layers(amw: Path) -> dict[int, DetectionLayer]:
    return {
        year: read_detections(amw / name, layer_id=f"amw-{year}", source="Amazon Mining Watch")
        for year, name in FOOTPRINTS.items()
    }


@pytest.fixture(scope="module")
def both_years(layers: dict[int, DetectionLayer]) -> DetectionLayer:
    """One layer holding both years' footprints (each keeps its index in its own file)."""
    return DetectionLayer(
        id="amw",
        source="Amazon Mining Watch",
        file=layers[2024].file,
        detections=layers[2018].detections + layers[2024].detections,
    )


@pytest.fixture(scope="module")
def territories(amw: Path) -> list[Site]:
    return protected_areas_from_geojson(amw / TERRITORIES, designation="indigenous_territory")


@pytest.fixture(scope="module")
def measured(both_years: DetectionLayer, territories: list[Site]) -> dict[str, AreaMining]:
    return {m.area.name or "": m for m in mining_in_protected_areas([both_years], territories)}


def within(found: float, expected: float) -> bool:
    return abs(found - expected) <= TOLERANCE * expected


def test_the_files_are_read_whole(
    layers: dict[int, DetectionLayer], frames: dict[Any, Any], territories: list[Site]
) -> None:
    for year, layer in layers.items():
        assert len(layer.detections) == len(frames[year])
        assert [p.label for p in layer.periods] == [str(year)]
        assert layer.repaired == 0
    assert sorted(t.name or "" for t in territories) == sorted(frames["territories"]["name"])
    assert {t.properties["designation"] for t in territories} == {"indigenous_territory"}


def test_the_ground_inside_each_territory_matches_geopandas(
    measured: dict[str, AreaMining], reference: dict[str, Reference]
) -> None:
    assert sorted(measured) == sorted(reference) == ["Munduruku", "Yanomami"]
    for name, expected in reference.items():
        mining = measured[name]
        assert [shot.period.label for shot, _ in mining.seen] == ["2018", "2024"]
        for (_, overlap), year in zip(mining.seen, FOOTPRINTS, strict=True):
            assert within(overlap.area_ha, expected.inside_ha[year]), (name, year)
            assert len(overlap.detections) == expected.detections[year], (name, year)
            assert overlap.stated_ha is not None
            assert within(overlap.stated_ha, expected.stated_share_ha[year]), (name, year)
        assert within(mining.new_ha, expected.new_ha), name


def test_each_year_read_as_its_own_layer_gives_the_same_ground(
    layers: dict[int, DetectionLayer], territories: list[Site], reference: dict[str, Reference]
) -> None:
    for mining in mining_in_protected_areas(list(layers.values()), territories):
        year = int(mining.layer.id.removeprefix("amw-"))
        assert len(mining.seen) == 1 and mining.new_ha == 0.0
        assert within(mining.latest[1].area_ha, reference[mining.area.name or ""].inside_ha[year])


def figures(explanation: str) -> dict[str, float]:
    """The numbers a finding's explanation states, by what they are."""
    patterns = {
        "latest": r"shows ([\d,]+) ha of mining footprints",
        "detections": r"in 2024: ([\d,]+) detections",
        "stated": r"the source states ([\d,]+) ha of mined ground",
        "first": r"In 2018 it showed ([\d,]+) ha",
        "new": r"; ([\d,]+) ha of the ground disturbed in 2024 was not in 2018",
    }
    found: dict[str, float] = {}
    for key, pattern in patterns.items():
        match = re.search(pattern, explanation)
        assert match is not None, (key, explanation)
        found[key] = float(match[1].replace(",", ""))
    return found


def close(stated: float, expected: float) -> bool:
    """A figure rounded to whole hectares agrees with the reference."""
    return abs(stated - expected) <= 0.5 + TOLERANCE * expected


def test_both_territories_are_raised_with_the_figures(
    both_years: DetectionLayer, territories: list[Site], reference: dict[str, Reference]
) -> None:
    params = ProtectedAreaParams()
    outcome = find_mining_in_protected_areas([both_years], territories, params)
    assert outcome.gaps == ()
    by_name = {f.subject.label or "": f for f in outcome.findings}
    assert sorted(by_name) == sorted(t.label() for t in territories)
    for territory in territories:
        finding = by_name[territory.label()]
        expected = reference[territory.name or ""]
        assert finding.code is FindingCode.SITE_MINING_IN_PROTECTED_AREA
        assert finding.subject.id == territory.id
        grew = expected.new_ha >= params.min_area_ha
        assert finding.severity is (Severity.CRITICAL if grew else Severity.HIGH)
        assert "indigenous territory" in finding.explanation
        stated = figures(finding.explanation)
        assert close(stated["latest"], expected.inside_ha[2024])
        assert stated["detections"] == expected.detections[2024]
        assert close(stated["stated"], expected.stated_share_ha[2024])
        assert close(stated["first"], expected.inside_ha[2018])
        assert close(stated["new"], expected.new_ha)


@pytest.fixture(scope="module")
def basin(frames: dict[Any, Any]) -> dict[str, float]:
    """Over the whole basin: each year's footprint ground and the ground the two years share."""
    unions = {year: shapely.union_all(frames[year].geometry.values) for year in FOOTPRINTS}
    return {
        "2018": unions[2018].area / SQUARE_METRES_PER_HECTARE,
        "2024": unions[2024].area / SQUARE_METRES_PER_HECTARE,
        "common": unions[2018].intersection(unions[2024]).area / SQUARE_METRES_PER_HECTARE,
    }


def test_the_two_years_barely_overlap_across_the_basin(
    layers: dict[int, DetectionLayer], basin: dict[str, float]
) -> None:
    unions = {
        year: shapely.union_all([d.geometry for d in layer.detections])
        for year, layer in layers.items()
    }
    for year, union in unions.items():
        assert within(area_ha(union), basin[str(year)]), year
    assert within(area_ha(unions[2018].intersection(unions[2024])), basin["common"])
    # Less than a thousandth of either year's ground: the products' footprints rarely coincide.
    assert basin["common"] < 0.001 * min(basin["2018"], basin["2024"])
