"""`oresight earth scan`: synthetic Sentinel-2 scenes of two years, as a local STAC catalog,
scanned into detection layers the checks then use; no network."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import shapely
from shapely.geometry import mapping

from oresight.earth.detections import read_area
from oresight.earth.geodesy import area_ha
from oresight.sim.imagery import Acquisition, write_items
from oresight.sim.scenes import SceneSpec, later_scene, synthetic_scene
from oresight.store.database import open_workspace
from oresight.workflows.earth import workspace_layers
from oresight.workflows.earth_scan import ScanRequest, area_places, scan_places
from tests.cli.test_cli import invoke

SPEC = SceneSpec(seed=11, height=300, width=300, scars=4, negatives_per_kind=1)


@pytest.fixture(scope="module")
def scenes() -> tuple[object, object]:
    first = synthetic_scene(SPEC, period="2023")
    return first, later_scene(first, seed=5, period="2024", new_scars=2)


@pytest.fixture
def catalog(tmp_path: Path, scenes: tuple[object, object]) -> Path:
    first, second = scenes
    return write_items(
        [
            Acquisition("S2A_SYN_20230615", datetime(2023, 6, 15, tzinfo=UTC), first.composite),  # type: ignore[attr-defined]
            Acquisition("S2A_SYN_20240615", datetime(2024, 6, 15, tzinfo=UTC), second.composite),  # type: ignore[attr-defined]
        ],
        tmp_path / "imagery",
    )


def aoi_file(tmp_path: Path, scene: object) -> Path:
    west, south, east, north = SPEC.bounds
    outline = shapely.geometry.box(west + 50, south + 50, east - 50, north - 50)
    to_lonlat = __import__("pyproj").Transformer.from_crs(SPEC.epsg, 4326, always_xy=True)
    lonlat = shapely.ops.transform(to_lonlat.transform, outline)
    path = tmp_path / "aoi.geojson"
    path.write_text(json.dumps({"type": "Feature", "geometry": mapping(lonlat), "properties": {}}))
    return path


def test_scan_two_years_then_the_checks_see_the_new_ground(
    tmp_path: Path, catalog: Path, scenes: tuple[object, object]
) -> None:
    workspace = tmp_path / "ws"
    assert invoke("init", str(workspace)).exit_code == 0
    aoi = aoi_file(tmp_path, scenes[0])
    result = invoke(
        "earth", "scan", "-w", str(workspace), "--items", str(catalog), "--aoi", str(aoi),
        "--period", "2023", "--period", "2024", "--period", "2022", "--source", "test scan",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    said = " ".join(result.stderr.split())
    assert "2023: 1 scene(s)" in said and "2024: 1 scene(s)" in said
    # No scene of 2022: a gap, nothing stored.
    assert "2022: nothing stored" in said and "no Sentinel-2 L2A scenes" in said
    ws = open_workspace(workspace)
    try:
        (layer,) = workspace_layers(ws)
    finally:
        ws.close()
    assert [p.label for p in layer.periods] == ["2023", "2024"]
    assert layer.covers(shapely.geometry.shape(json.loads(aoi.read_text())["geometry"]).centroid)
    # Every scar bare in 2024 inside the area is found in 2024's detections, none revegetated.
    second = scenes[1]
    found_2024 = shapely.union_all(
        [d.geometry for d in layer.detections if d.period.label == "2024"]
    )
    area = shapely.geometry.shape(json.loads(aoi.read_text())["geometry"])
    for scar in second.scars:  # type: ignore[attr-defined]
        inside = scar.lonlat.intersection(area)
        if area_ha(inside) < 1:
            continue
        seen = area_ha(found_2024.intersection(inside))
        if scar.change == "revegetated":
            assert seen < 0.1 * area_ha(inside), scar.id
        else:
            assert seen > 0.5 * area_ha(inside), scar.id


def test_a_scan_without_periods_or_area_is_refused(tmp_path: Path, catalog: Path) -> None:
    workspace = tmp_path / "ws"
    assert invoke("init", str(workspace)).exit_code == 0
    result = invoke(
        "earth", "scan", "-w", str(workspace), "--items", str(catalog), "--period", "2024"
    )
    assert result.exit_code == 2 and "--aoi" in result.stderr
    bad = invoke("earth", "scan", "-w", str(workspace), "--items", str(catalog), "--period", "soon")
    assert bad.exit_code == 2 and "'soon' is not a period" in " ".join(bad.stderr.split())


def test_the_same_scan_runs_on_a_dask_cluster(tmp_path: Path, catalog: Path) -> None:
    distributed = pytest.importorskip("distributed")
    aoi = aoi_file(tmp_path, None)
    request = ScanRequest(periods=("2024",), items=catalog, source="test scan")
    places = area_places("aoi", read_area(aoi))
    ((here, here_layer, _),) = scan_places(request, places)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        remote = dataclasses.replace(request, scheduler=cluster.scheduler_address)
        ((there, there_layer, _),) = scan_places(remote, places)
    assert here_layer is not None and there_layer is not None
    assert there.detections == here.detections > 0
    for a, b in zip(here_layer.detections, there_layer.detections, strict=True):
        assert a.geometry.equals(b.geometry) and a.area_ha == pytest.approx(b.area_ha)


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path: Path, catalog: Path) -> None:
    workspace = tmp_path / "ws"
    assert invoke("init", str(workspace)).exit_code == 0
    aoi = aoi_file(tmp_path, None)
    result = invoke(
        "earth", "scan", "-w", str(workspace), "--items", str(catalog), "--aoi", str(aoi),
        "--period", "2024", "--scheduler", "tcp://127.0.0.1:9",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
