"""`oresight earth load-detections|load-areas|show|check`, and the earth rules in an assessment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oresight.store.database import open_workspace
from oresight.workflows.earth import earth_store
from tests.cli.test_cli import invoke


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    assert invoke("init", str(path)).exit_code == 0
    return path


def square(west: float, south: float, side: float) -> dict[str, Any]:
    ring = [
        [west, south],
        [west + side, south],
        [west + side, south + side],
        [west, south + side],
        [west, south],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def write(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def said(text: str) -> str:
    """Console output with its line wrapping undone."""
    return " ".join(text.split())


def stored_layers(workspace: Path) -> list[str]:
    ws = open_workspace(workspace)
    try:
        return [layer.id for layer in earth_store(ws).stored()]
    finally:
        ws.close()


def test_load_check_and_assess(workspace: Path, tmp_path: Path) -> None:
    park = write(
        tmp_path / "park.geojson", [feature(square(28.0, -12.0, 0.1), name="Kafue Test Park")]
    )
    early = write(tmp_path / "early.geojson", [feature(square(28.01, -11.99, 0.01), year=2018)])
    late = write(
        tmp_path / "late.geojson",
        [feature(square(28.01, -11.99, 0.01)), feature(square(28.05, -11.95, 0.02))],
    )
    areas = invoke(
        "earth", "load-areas", "-w", str(workspace), str(park), "--designation", "national_park"
    )
    assert areas.exit_code == 0, areas.stderr
    assert "urn:oresight:area:kafue-test-park" in said(areas.stderr)
    loaded = invoke(
        "earth", "load-detections", "-w", str(workspace), str(early), str(late),
        "--period", "2024", "--source", "test scans",
    )  # fmt: skip
    assert loaded.exit_code == 0, loaded.stderr
    assert "1 detections in 2018" in said(loaded.stderr)
    assert "2 detections in 2024" in said(loaded.stderr)
    again = invoke(
        "earth", "load-detections", "-w", str(workspace), str(early), "--source", "test scans"
    )
    assert "already loaded" in said(again.stderr) and len(stored_layers(workspace)) == 2
    shown = invoke("earth", "show", "-w", str(workspace))
    assert "test scans" in shown.stdout and "2024" in shown.stdout
    checked = invoke("earth", "check", "-w", str(workspace), "--format", "json")
    assert checked.exit_code == 0, checked.stderr
    document = json.loads(checked.stdout)
    (finding,) = [f for f in document["findings"] if f["code"] == "SITE.MINING_IN_PROTECTED_AREA"]
    # The two 2024 squares: the first was there in 2018, the second (0.02 degrees) is new.
    assert (
        finding["severity"] == "critical" and "in 2018 it showed" in finding["explanation"].lower()
    )
    assessed = invoke("assess", "-w", str(workspace), "--format", "json")
    assert assessed.exit_code == 0, assessed.stderr
    codes = {f["code"] for f in json.loads(assessed.stdout)["findings"]}
    assert "SITE.MINING_IN_PROTECTED_AREA" in codes


def test_a_bad_file_stores_nothing(workspace: Path, tmp_path: Path) -> None:
    good = write(tmp_path / "good.geojson", [feature(square(28.0, -12.0, 0.01), year=2024)])
    points = write(
        tmp_path / "points.geojson",
        [feature({"type": "Point", "coordinates": [28.0, -12.0]}, year=2024)],
    )
    result = invoke("earth", "load-detections", "-w", str(workspace), str(good), str(points))
    assert result.exit_code == 2
    assert "points.geojson: record 0: field 'geometry'" in said(result.stderr)
    assert "Traceback" not in result.stderr
    assert stored_layers(workspace) == []


def test_a_period_that_is_not_one_is_refused(workspace: Path, tmp_path: Path) -> None:
    good = write(tmp_path / "good.geojson", [feature(square(28.0, -12.0, 0.01))])
    result = invoke(
        "earth", "load-detections", "-w", str(workspace), str(good), "--period", "spring"
    )
    assert result.exit_code == 2 and "'spring' is not a period" in said(result.stderr)
    missing = invoke("earth", "load-detections", "-w", str(workspace), str(good))
    assert missing.exit_code == 2 and "--period" in said(missing.stderr)


def test_check_without_data_reports_gaps(workspace: Path) -> None:
    result = invoke("earth", "check", "-w", str(workspace), "--format", "json")
    assert result.exit_code == 0
    gaps = json.loads(result.stdout)["data_gaps"]
    assert {g["rule"] for g in gaps} >= {"site.mining_in_protected_area", "site.new_disturbance"}
