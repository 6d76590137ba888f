"""Quick-looks of composites, stored beside their scan's detections and drawn under the maps."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyproj
import pytest
from PIL import Image
from shapely.geometry import box

from oresight.earth.periods import parse_period
from oresight.earth.quicklook import MAX_SIDE, UNSEEN_GREY, quicklook
from oresight.earth.storage import DetectionStore
from oresight.sim.scenes import SceneSpec, planned_scene

SPEC = SceneSpec(seed=4, height=600, width=700, cloud_fraction=0.0)


@pytest.fixture(scope="module")
def scene() -> object:
    return planned_scene(SPEC, [], period="2024", noise_seed=1)


def test_a_small_true_colour_png_with_the_scene_bounds(scene: object) -> None:
    look = quicklook(scene.composite)  # type: ignore[attr-defined]
    picture = Image.open(io.BytesIO(look.png))
    assert picture.format == "PNG" and picture.mode == "RGB"
    assert max(picture.size) <= MAX_SIDE and picture.size[0] > picture.size[1]
    west, south, east, north = SPEC.bounds
    to_lonlat = pyproj.Transformer.from_crs(SPEC.epsg, 4326, always_xy=True)
    lons, lats = to_lonlat.transform([west, east, east, west], [south, south, north, north])
    assert look.bounds == pytest.approx((min(lons), min(lats), max(lons), max(lats)), abs=1e-5)
    # Forest is green: the green channel leads on average.
    pixels = np.asarray(picture, dtype=float)
    assert pixels[..., 1].mean() > pixels[..., 0].mean()


def test_ground_never_seen_clear_is_grey(scene: object) -> None:
    composite = scene.composite.copy()  # type: ignore[attr-defined]
    composite["clear_count"] = composite["clear_count"].where(composite.x > composite.x[350], 0)
    pixels = np.asarray(Image.open(io.BytesIO(quicklook(composite).png)))
    left = pixels[:, : pixels.shape[1] // 2 - 2]
    assert (left == UNSEEN_GREY).all()
    assert not (pixels[:, pixels.shape[1] // 2 + 2 :] == UNSEEN_GREY).all()


def test_the_store_keeps_the_quicklook_with_the_layer(scene: object, tmp_path: Path) -> None:
    look = quicklook(scene.composite)  # type: ignore[attr-defined]
    detections = tmp_path / "scan.geojson"
    detections.write_text('{"type": "FeatureCollection", "features": []}')
    store = DetectionStore(tmp_path / "earth")
    entry, new = store.add(
        detections,
        source="scan",
        period=parse_period("2024"),
        coverage=box(*look.bounds),
        scenes=("S2A_X",),
        quicklook=(look.png, look.bounds),
    )
    assert new and entry.scenes == ["S2A_X"]
    (layer,) = store.layers()
    assert layer.scenes == ("S2A_X",) and layer.quicklook is not None
    path, bounds = layer.quicklook
    assert Path(path).read_bytes() == look.png and bounds == pytest.approx(look.bounds)
