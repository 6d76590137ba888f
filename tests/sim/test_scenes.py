"""Synthetic scenes: the composite contract, determinism, the answer key against the pixels, the
spectra against the indices' textbook signs, clouds, and the later period's changes."""

from __future__ import annotations

import time

import numpy as np
import pyproj
import pytest

from oresight.earth.geodesy import area_ha
from oresight.sim.scenes import (
    BANDS,
    MINING_COVERS,
    NEGATIVE_KINDS,
    SPECTRA,
    Cover,
    SceneSpec,
    SyntheticScene,
    later_scene,
    size_class,
    synthetic_scene,
)

pytest.importorskip("rioxarray")
pytestmark = pytest.mark.filterwarnings(
    "ignore:Use `@` matmul instead of `\\*` mul operator:PendingDeprecationWarning"
)

SPEC = SceneSpec(seed=21, height=500, width=600, scars=8, negatives_per_kind=3)


@pytest.fixture(scope="module")
def scene() -> SyntheticScene:
    return synthetic_scene(SPEC, period="2023")


@pytest.fixture(scope="module")
def later(scene: SyntheticScene) -> SyntheticScene:
    return later_scene(scene, seed=5, period="2024", grow=0.4, revegetate=0.2)


def test_composite_follows_the_contract(scene: SyntheticScene) -> None:
    composite = scene.composite
    assert set(composite.data_vars) == {*BANDS, "clear_count"}
    for band in BANDS:
        assert composite[band].dims == ("y", "x")
        assert composite[band].dtype == np.float32
    assert np.issubdtype(composite["clear_count"].dtype, np.integer)
    assert composite.attrs["period"] == "2023"
    assert composite.rio.crs.to_epsg() == 32735
    assert tuple(composite.rio.transform())[:6] == (10.0, 0.0, 300_000.0, 0.0, -10.0, 8_820_000.0)
    assert composite.sizes == {"y": 500, "x": 600}
    # Coordinates are pixel centres.
    assert composite.x.values[0] == 300_005.0
    assert composite.y.values[-1] == 8_820_000.0 - 500 * 10 + 5


def test_same_seed_same_scene_other_seed_other_scene(scene: SyntheticScene) -> None:
    again = synthetic_scene(SPEC, period="2023")
    for band in BANDS:
        assert np.array_equal(again.composite[band].values, scene.composite[band].values)
    assert [s.geometry.wkb for s in again.scars] == [s.geometry.wkb for s in scene.scars]
    other = synthetic_scene(SceneSpec(seed=22, height=500, width=600, scars=8))
    assert not np.array_equal(other.composite["red"].values, scene.composite["red"].values)


def test_planted_scars_match_their_pixels_and_lonlat(scene: SyntheticScene) -> None:
    assert len(scene.scars) == 8
    to_lonlat = pyproj.Transformer.from_crs(32735, 4326, always_xy=True)
    for index, scar in enumerate(scene.scars):
        assert 0.5 <= scar.area_ha <= 40.5
        assert scar.size_class == size_class(scar.area_ha)
        # Pixels whose centre is inside: the polygon's area within a ring of one pixel.
        planar_ha = scar.geometry.area / 10_000
        ring_ha = scar.geometry.length * 10 / 10_000
        assert abs(scar.pixels / 100 - planar_ha) <= ring_ha
        assert scar.pixels == int((scene.scar_labels == index + 1).sum())
        # The lon/lat outline is the native one moved by PROJ (checked here at its centroid).
        lon, lat = to_lonlat.transform(scar.geometry.centroid.x, scar.geometry.centroid.y)
        assert scar.lonlat.centroid.x == pytest.approx(lon, abs=1e-6)
        assert scar.lonlat.centroid.y == pytest.approx(lat, abs=1e-6)
        assert scar.area_ha == pytest.approx(area_ha(scar.lonlat))
        assert scar.area_ha == pytest.approx(planar_ha, rel=0.002)  # UTM scale factor
    # Sizes cycle through the four classes.
    assert {s.size_class for s in scene.scars} == {"0.5-1 ha", "1-5 ha", "5-20 ha", "20-40 ha"}


def test_truth_is_the_scars_and_their_covers_are_mining(scene: SyntheticScene) -> None:
    assert np.array_equal(scene.truth, scene.scar_labels > 0)
    assert np.isin(scene.cover[scene.truth], list(MINING_COVERS)).all()
    assert not np.isin(scene.cover[~scene.truth], list(MINING_COVERS)).any()
    # Every scar holds some turbid pond and some bare ground.
    for index, scar in enumerate(scene.scars):
        inside = scene.cover[scene.scar_labels == index + 1]
        if scar.pixels >= 100:
            assert (inside == Cover.MINING_POND).any()
            assert (inside != Cover.MINING_POND).any()


def test_hard_negatives_of_every_kind_apart_from_scars(scene: SyntheticScene) -> None:
    assert {n.kind for n in scene.negatives} == set(NEGATIVE_KINDS)
    assert not ((scene.negative_labels > 0) & (scene.scar_labels > 0)).any()
    for negative in scene.negatives:
        assert negative.pixels > 0
        assert all(not negative.geometry.intersects(scar.geometry) for scar in scene.scars)
        if negative.kind == "sandbar":  # on the bank
            assert negative.geometry.distance(scene.river) < 1.0
        else:
            assert not negative.geometry.intersects(scene.river)


def _median(scene: SyntheticScene, cover: Cover) -> dict[str, float]:
    where = (scene.cover == cover) & scene.observed
    return {band: float(np.median(scene.composite[band].values[where])) for band in BANDS}


def _nd(a: float, b: float) -> float:
    return (a - b) / (a + b)


def test_spectra_have_the_textbook_signs() -> None:
    # The table itself: vegetation bright in NIR, water darkest in SWIR, turbid water redder than
    # green and clear water not, laterite's clay absorption (swir16 > swir22).
    blue, green, red, nir, swir16, swir22 = range(6)
    forest, pond, river = SPECTRA[Cover.FOREST], SPECTRA[Cover.MINING_POND], SPECTRA[Cover.RIVER]
    assert _nd(forest[nir], forest[red]) > 0.8
    assert _nd(pond[green], pond[swir16]) > 0.5 and _nd(river[green], river[swir16]) > 0.5
    assert _nd(pond[red], pond[green]) > 0.05 > 0 > _nd(river[red], river[green])
    laterite = SPECTRA[Cover.LATERITE]
    assert laterite[swir16] > laterite[swir22] and laterite[red] > laterite[green] > laterite[blue]


def test_scene_pixels_reproduce_the_spectra(scene: SyntheticScene) -> None:
    forest = _median(scene, Cover.FOREST)
    for index, band in enumerate(BANDS):
        assert forest[band] == pytest.approx(SPECTRA[Cover.FOREST][index], rel=0.08)
    river = _median(scene, Cover.RIVER)
    assert river["green"] > river["red"]  # clear water
    pond = _median(scene, Cover.MINING_POND)
    assert pond["red"] > pond["green"]  # sediment


def test_clouds_are_the_pixels_never_seen_clear(scene: SyntheticScene) -> None:
    clear_count = scene.composite["clear_count"].values
    unobserved = clear_count == 0
    assert unobserved.mean() == pytest.approx(SPEC.cloud_fraction, abs=0.002)
    assert np.array_equal(scene.observed, ~unobserved)
    # Bright and white where never clear, as cloud is.
    assert scene.composite["blue"].values[unobserved].min() > 0.3
    assert clear_count[~unobserved].min() >= 1


def test_later_scene_keeps_the_land_and_changes_the_scars(
    scene: SyntheticScene, later: SyntheticScene
) -> None:
    changes = {scar.id: scar.change for scar in later.scars}
    assert set(changes.values()) <= {"unchanged", "grown", "revegetated", "new"}
    assert "new" in changes.values() and "grown" in changes.values()
    earlier = {scar.id: scar for scar in scene.scars}
    for index, scar in enumerate(later.scars):
        inside = later.scar_labels == index + 1
        if scar.change == "grown":
            assert scar.geometry.contains(earlier[scar.id].geometry.buffer(-0.01))
            assert scar.area_ha > earlier[scar.id].area_ha
        elif scar.change == "unchanged":
            assert scar.geometry.equals(earlier[scar.id].geometry)
        elif scar.change == "revegetated":
            assert not later.truth[inside].any()
            assert (later.cover[inside] == Cover.REGROWTH).all()
        else:
            assert all(not scar.geometry.intersects(old.geometry) for old in scene.scars)
    # Outside every scar of either period, the land is the same; the sky is not.
    outside = (scene.scar_labels == 0) & (later.scar_labels == 0)
    assert np.array_equal(scene.cover[outside], later.cover[outside])
    assert later.composite.attrs["period"] == "2024"
    assert not np.array_equal(scene.observed, later.observed)
    assert [n.geometry.wkb for n in later.negatives] == [n.geometry.wkb for n in scene.negatives]


def test_a_full_size_scene_is_fast() -> None:
    synthetic_scene(SceneSpec(seed=1, height=50, width=50))  # imports and caches warm
    started = time.perf_counter()
    full = synthetic_scene(SceneSpec(seed=2))
    seconds = time.perf_counter() - started
    assert full.composite.sizes == {"y": 1000, "x": 1000}
    # About 0.45 s on the 2-core development machine; generous for slower CI runners.
    assert seconds < 3.0
