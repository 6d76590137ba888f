"""Before/after maps of an earth finding: the SVG of the HTML report and the drawing of the PDF.

The SVG is read back as XML, the map data come from the pillar's own overlay (so the test covers
what an earth finding really carries), and positions are checked against the frame.
"""

from __future__ import annotations

import base64
import io
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.shapes import Path as DrawnPath
from shapely.geometry import box

from oresight.core.findings import Finding
from oresight.core.sites import Site, SiteKind
from oresight.earth.detections import Detection, DetectionLayer
from oresight.earth.geodesy import area_ha
from oresight.earth.periods import ObservationPeriod
from oresight.earth.protected import find_mining_in_protected_areas
from oresight.reports.formatting import evidence_figures
from oresight.reports.maps import PANEL, finding_map, map_drawing, map_svg

SVG = "{http://www.w3.org/2000/svg}"
PARK = box(10.0, 0.0, 10.2, 0.2)


def period(year: int) -> ObservationPeriod:
    return ObservationPeriod(date(year, 1, 1), date(year, 12, 31), str(year))


def finding(label: str = "2024") -> Finding:
    shapes = [
        (box(10.01, 0.01, 10.03, 0.03), period(2018)),
        (
            box(10.01, 0.01, 10.03, 0.03),
            ObservationPeriod(date(2024, 1, 1), date(2024, 12, 31), label),
        ),
        (
            box(10.10, 0.10, 10.15, 0.15),
            ObservationPeriod(date(2024, 1, 1), date(2024, 12, 31), label),
        ),
    ]
    detections = tuple(
        Detection(index=i, geometry=g, period=p, area_ha=area_ha(g), layer="L")
        for i, (g, p) in enumerate(shapes)
    )
    layer = DetectionLayer(id="L", source="scan", file="l.geojson", detections=detections)
    site = Site(
        id="urn:area:park",
        name="Park",
        kind=SiteKind.PROTECTED_AREA,
        geometry={"type": "Polygon", "coordinates": [list(PARK.exterior.coords)]},
    )
    (found,) = find_mining_in_protected_areas([layer], [site]).findings
    return found


def test_one_panel_per_period_in_order_with_the_footprints_of_each() -> None:
    drawn = finding_map(finding())
    assert drawn is not None
    assert [p.label for p in drawn.panels] == ["2018", "2024"]
    assert [len(p.footprints) for p in drawn.panels] == [1, 2]
    assert drawn.frame == pytest.approx((10.0, 0.0, 10.2, 0.2))
    svg = ET.fromstring(map_svg(drawn))
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts[:2] == ["2018", "2024"] and texts[-1].endswith("km")
    paths = list(svg.iter(f"{SVG}path"))
    filled = [p for p in paths if p.get("fill") != "none"]
    outlines = [p for p in paths if p.get("fill") == "none"]
    assert len(filled) == 3 and len(outlines) == 2
    # The 2024 square at 10.10-10.15 E, 0.10-0.15 N sits in the middle of the second panel.
    xs = [
        float(v.split()[0])
        for v in filled[2].get("d", "").replace("M", "").replace("Z", "").split("L")
    ]
    left = PANEL + 16
    assert all(left + PANEL * 0.45 < x < left + PANEL * 0.8 for x in xs)


def test_labels_are_escaped_and_the_figures_say_the_map_is_drawn() -> None:
    hostile = finding("<script>x</script>")
    svg = map_svg(finding_map(hostile) or pytest.fail("no map"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    summary = next(e for e in hostile.evidence if "map" in e.data)
    assert ("map", "drawn above") in evidence_figures(summary.data)


@pytest.mark.parametrize(
    "bad",
    [
        {"label": "2024", "frame": [0, 0, 1]},
        {"label": "2024", "frame": [0, 0, 1, float("nan")]},
        {"label": 2024, "frame": [0, 0, 1, 1]},
        {
            "label": "2024",
            "frame": [0, 0, 1, 1],
            "place": {"type": "Polygon", "coordinates": [[[0, 0]]]},
        },
        {
            "label": "2024",
            "frame": [0, 0, 1, 1],
            "footprints": {"type": "Point", "coordinates": [0, 0]},
        },
        {"label": "2024", "frame": [5, 0, 1, 1]},
    ],
)
def test_malformed_map_data_draws_nothing(bad: dict[str, Any]) -> None:
    original = finding()
    evidence = tuple(
        e.model_copy(update={"data": {**e.data, "map": bad}}) if "map" in e.data else e
        for e in original.evidence
    )
    assert finding_map(original.model_copy(update={"evidence": evidence})) is None


def test_the_pdf_drawing_has_the_same_panels() -> None:
    drawn = finding_map(finding())
    assert drawn is not None
    drawing = map_drawing(drawn, width=300)
    assert isinstance(drawing, Drawing) and drawing.width <= 300
    strings = [s.text for s in drawing.contents if isinstance(s, String)]
    assert strings[:2] == ["2018", "2024"]
    assert sum(isinstance(s, DrawnPath) for s in drawing.contents) == 5


def with_picture(original: Finding, image: dict[str, Any]) -> Finding:
    """``original`` with ``image`` as the quick-look of every map in its evidence."""
    evidence = tuple(
        e.model_copy(update={"data": {**e.data, "map": {**e.data["map"], "image": image}}})
        if "map" in e.data
        else e
        for e in original.evidence
    )
    return original.model_copy(update={"evidence": evidence})


def test_a_quicklook_is_drawn_under_the_footprints_cropped_to_the_frame(tmp_path: Path) -> None:
    picture = tmp_path / "look.png"
    Image.new("RGB", (200, 100), (10, 120, 10)).save(picture)
    original = finding()
    # The picture spans twice the frame's width: only its western half is drawn.
    image = {"href": str(picture), "bounds": [10.0, 0.0, 10.4, 0.2]}
    drawn = finding_map(with_picture(original, image))
    assert drawn is not None and all(p.picture is not None for p in drawn.panels)
    svg = ET.fromstring(map_svg(drawn))
    images = list(svg.iter(f"{SVG}image"))
    assert len(images) == 2
    href = images[0].get("href", "")
    assert href.startswith("data:image/png;base64,")
    cropped = Image.open(io.BytesIO(base64.b64decode(href.split(",", 1)[1])))
    assert cropped.size[0] == pytest.approx(cropped.size[1], abs=2)  # 100 x 100 of 200 x 100
    assert float(images[0].get("width", 0)) == pytest.approx(PANEL * 0.92, rel=0.02)
    drawing = map_drawing(drawn, width=600)
    assert sum(type(s).__name__ == "Image" for s in drawing.contents) == 2


@pytest.mark.parametrize("kind", ["missing", "not a png"])
def test_a_picture_that_cannot_be_read_is_left_out(tmp_path: Path, kind: str) -> None:
    picture = tmp_path / "look.png"
    if kind == "not a png":
        picture.write_text("hello")
    original = finding()
    image = {"href": str(picture), "bounds": [10.0, 0.0, 10.2, 0.2]}
    drawn = finding_map(with_picture(original, image))
    assert drawn is not None and all(p.picture is None for p in drawn.panels)
