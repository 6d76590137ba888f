"""`oresight earth scan --images FOLDER`: the synthetic Sentinel-2 scenes of two years laid out as
downloaded SAFE products (no catalog) store the same detections as the scan of their catalog;
bad folders are refused naming the file; no network."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import shapely

from oresight.earth.bands import SENSOR_BANDS, Sensor
from oresight.earth.detections import DetectionLayer
from oresight.sim.imagery import Acquisition, write_items
from oresight.sim.scenes import later_scene, synthetic_scene
from oresight.store.database import open_workspace
from oresight.workflows.earth import workspace_layers
from tests.cli.test_cli import invoke
from tests.cli.test_earth_scan import SPEC, aoi_file

pytest.importorskip("odc.stac")
pytest.importorskip("rasterio")

CODES = {
    band.common_name: band.name
    for band in SENSOR_BANDS[Sensor.SENTINEL2_L2A]
    if band.common_name in ("blue", "green", "red", "nir", "swir16", "swir22", "scl")
}
"""The simulator's file of each band (``blue.tif``) and the product's name of it (B02 ...)."""
SCENES = {
    # catalog id: (acquired, product name with the baseline the simulator's DN were written for)
    "S2A_SYN_20230615": (
        datetime(2023, 6, 15, 8, 30, tzinfo=UTC),
        "S2A_MSIL2A_20230615T083000_N0509_R064_T35LQC_20230615T120000",
    ),
    "S2B_SYN_20240615": (
        datetime(2024, 6, 15, 8, 30, tzinfo=UTC),
        "S2B_MSIL2A_20240615T083000_N0510_R064_T35LQC_20240615T120000",
    ),
}


@pytest.fixture(scope="module")
def imagery(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The catalog of two years, and a folder of the same band files as SAFE products."""
    first = synthetic_scene(SPEC, period="2023")
    second = later_scene(first, seed=5, period="2024", new_scars=2)
    root = tmp_path_factory.mktemp("imagery")
    catalog = write_items(
        [
            Acquisition(scene_id, when, scene.composite)
            for (scene_id, (when, _)), scene in zip(SCENES.items(), (first, second), strict=True)
        ],
        root / "catalog",
    )
    downloads = root / "downloads"
    for scene_id, (_, product) in SCENES.items():
        tile, sensed = product.split("_")[5], product.split("_")[2]
        granule = downloads / f"{product}.SAFE" / "GRANULE" / f"L2A_{tile}_A000001_{sensed}"
        (granule / "IMG_DATA" / "R10m").mkdir(parents=True)
        for common, code in CODES.items():
            shutil.copy(
                catalog.parent / scene_id / f"{common}.tif",
                granule / "IMG_DATA" / "R10m" / f"{tile}_{sensed}_{code}_10m.tif",
            )
    return catalog, downloads


def scan(tmp_path: Path, name: str, *source: str) -> tuple[str, list[DetectionLayer]]:
    workspace = tmp_path / name
    assert invoke("init", str(workspace)).exit_code == 0
    result = invoke(
        "earth", "scan", "-w", str(workspace), *source, "--aoi", str(aoi_file(tmp_path, None)),
        "--period", "2023", "--period", "2024", "--period", "2022", "--source", "test scan",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    ws = open_workspace(workspace)
    try:
        return " ".join(result.stderr.split()), workspace_layers(ws)
    finally:
        ws.close()


def test_images_store_what_the_catalog_of_the_same_files_stores(
    tmp_path: Path, imagery: tuple[Path, Path]
) -> None:
    catalog, downloads = imagery
    said_items, (from_items,) = scan(tmp_path, "items", "--items", str(catalog))
    said_images, (from_images,) = scan(tmp_path, "images", "--images", str(downloads))
    for period in ("2023", "2024"):
        assert f"{period}: 1 scene(s)" in said_images
    assert "2022: nothing stored" in said_images and str(downloads) in said_images
    # The same summary, patch for patch, hectare for hectare, share of ground seen clear.
    assert (
        said_images.split("Area scanned")[1].replace(str(downloads), str(catalog))
        == (said_items.split("Area scanned")[1])
    )
    assert [p.label for p in from_images.periods] == ["2023", "2024"]
    assert len(from_images.detections) == len(from_items.detections) > 0
    for period in ("2023", "2024"):
        ours = [d for d in from_images.detections if d.period.label == period]
        theirs = [d for d in from_items.detections if d.period.label == period]
        assert ours, period
        assert shapely.union_all([d.geometry for d in ours]).equals(
            shapely.union_all([d.geometry for d in theirs])
        )
        assert sorted(d.area_ha for d in ours) == pytest.approx(sorted(d.area_ha for d in theirs))


def test_items_and_images_together_are_refused(tmp_path: Path, imagery: tuple[Path, Path]) -> None:
    catalog, downloads = imagery
    workspace = tmp_path / "ws"
    assert invoke("init", str(workspace)).exit_code == 0
    result = invoke(
        "earth", "scan", "-w", str(workspace), "--items", str(catalog), "--images",
        str(downloads), "--aoi", str(aoi_file(tmp_path, None)), "--period", "2024",
    )  # fmt: skip
    said = " ".join(result.stderr.split())
    assert result.exit_code == 2 and "--items" in said and "--images" in said and "not both" in said


def test_a_bad_images_folder_is_refused_naming_the_file(
    tmp_path: Path, imagery: tuple[Path, Path]
) -> None:
    _, downloads = imagery
    workspace = tmp_path / "ws"
    assert invoke("init", str(workspace)).exit_code == 0
    aoi = aoi_file(tmp_path, None)

    def scan_of(folder: Path) -> str:
        result = invoke(
            "earth", "scan", "-w", str(workspace), "--images", str(folder), "--aoi", str(aoi),
            "--period", "2024",
        )  # fmt: skip
        assert result.exit_code == 2 and "Traceback" not in result.stderr
        return " ".join(result.stderr.split())

    assert "no such folder" in scan_of(tmp_path / "nowhere")
    broken = tmp_path / "broken"
    shutil.copytree(downloads, broken)
    (swir,) = broken.rglob("*20240615T083000_B11_10m.tif")
    swir.write_bytes(b"not a raster")
    said = scan_of(broken)
    assert "cannot be read as a raster" in said and swir.name in said
    swir.unlink()
    said = scan_of(broken)
    assert "no file of B11 (swir16)" in said and "S2B_MSIL2A_20240615T083000" in said
    ws = open_workspace(workspace)
    try:
        assert workspace_layers(ws) == []  # nothing stored by a refused scan
    finally:
        ws.close()
