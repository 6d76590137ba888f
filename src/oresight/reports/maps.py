"""Before/after maps of the places a finding is about: inline SVG for HTML, reportlab for PDF.

An earth finding's evidence carries, for each period a layer looked at, a small map of the place
(see ``oresight.earth.overlay.map_data``)::

    data["map"] = {"label": "2018", "frame": [west, south, east, north],
                   "place": <GeoJSON geometry or null>, "footprints": <GeoJSON geometry or null>}

The panels of one finding are drawn side by side on one frame (the union of their frames), in the
order of the evidence, so that before and after compare at a glance: the place's outline dashed,
the footprints of mining filled, a scale bar in kilometres. Longitudes are scaled by the cosine
of the frame's middle latitude (an equirectangular view, true enough for a place's extent).
Malformed map data is left out (the evidence table still lists its figures); the same data always
give the same SVG.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any
from xml.sax.saxutils import escape

from PIL import Image as PILImage
from reportlab.graphics.shapes import Drawing, Image, Line, Path, Rect, String
from reportlab.lib import colors

from oresight.core.findings import Finding

MAP_KEY = "map"
PANEL = 240.0
"""The side of a panel, in pixels (SVG) or points (PDF)."""
GAP = 16.0
CAPTION = 18.0
MAX_PANELS = 4
MAX_PICTURE_BYTES = 4_000_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KM_PER_DEGREE = 111.32
PLACE_COLOUR = "#333333"
FOOTPRINT_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7")
"""Okabe-Ito: one colour per panel, told apart with colour-blindness."""

Ring = list[tuple[float, float]]


@dataclass(frozen=True)
class Panel:
    """One period's view of the place: outline rings and footprint polygons (lists of rings)."""

    label: str
    place: tuple[tuple[Ring, ...], ...]
    footprints: tuple[tuple[Ring, ...], ...]
    picture: Picture | None = None


@dataclass(frozen=True)
class Picture:
    """A scan's quick-look (PNG) and the lon/lat box it spans."""

    png: bytes
    bounds: tuple[float, float, float, float]


@dataclass(frozen=True)
class Map:
    """The panels of one finding on one frame."""

    frame: tuple[float, float, float, float]
    panels: tuple[Panel, ...]


def finding_map(finding: Finding) -> Map | None:
    """The map panels in a finding's evidence, checked; None when it holds none."""
    panels: list[Panel] = []
    frames: list[tuple[float, float, float, float]] = []
    for item in finding.evidence:
        read = _panel(item.data.get(MAP_KEY))
        if read is not None:
            panels.append(read[0])
            frames.append(read[1])
    if not panels:
        return None
    frame = (
        min(f[0] for f in frames),
        min(f[1] for f in frames),
        max(f[2] for f in frames),
        max(f[3] for f in frames),
    )
    return Map(frame=frame, panels=tuple(panels[:MAX_PANELS]))


def map_svg(chart: Map) -> str:
    """The map as an SVG element; every label escaped."""
    width, height = _size(chart)
    project = _projection(chart.frame)
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        'class="map">',
        "<title>Footprints of mining in the place, period by period</title>",
    ]
    for index, panel in enumerate(chart.panels):
        left = index * (PANEL + GAP)
        colour = FOOTPRINT_COLOURS[index % len(FOOTPRINT_COLOURS)]
        parts.append(
            f'<rect x="{left:.1f}" y="0" width="{PANEL:.0f}" height="{PANEL:.0f}" '
            'fill="#fbfbf8" stroke="#bbbbbb"/>'
        )
        shown = _cropped(panel.picture, chart.frame) if panel.picture else None
        if shown is not None:
            png, (west, south, east, north) = shown
            x0, y0 = project(west, north, left)
            x1, y1 = project(east, south, left)
            encoded = base64.b64encode(png).decode("ascii")
            parts.append(
                f'<image x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" '
                f'preserveAspectRatio="none" href="data:image/png;base64,{encoded}"/>'
            )
        for polygon in panel.footprints:
            parts.append(
                f'<path d="{_svg_path(polygon, project, left)}" fill="{colour}" '
                f'fill-opacity="0.85" stroke="{colour}" stroke-width="1.2" fill-rule="evenodd"/>'
            )
        for polygon in panel.place:
            parts.append(
                f'<path d="{_svg_path(polygon, project, left)}" fill="none" '
                f'stroke="{PLACE_COLOUR}" stroke-width="1" stroke-dasharray="4 2"/>'
            )
        parts.append(
            f'<text x="{left + PANEL / 2:.1f}" y="{PANEL + 13:.1f}" text-anchor="middle" '
            f'font-size="12" font-family="sans-serif">{escape(panel.label)}</text>'
        )
    km, bar = _scale_bar(chart.frame)
    parts.append(
        f'<line x1="6" y1="{PANEL - 8:.1f}" x2="{6 + bar:.1f}" y2="{PANEL - 8:.1f}" '
        'stroke="#000000" stroke-width="2"/>'
        f'<text x="6" y="{PANEL - 12:.1f}" font-size="10" font-family="sans-serif">'
        f"{_km_label(km)}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def map_drawing(chart: Map, *, width: float, font: str = "Helvetica") -> Drawing:
    """The same map as a reportlab drawing, scaled to ``width`` points at most."""
    full_width, height = _size(chart)
    scale = min(1.0, width / full_width)
    drawing = Drawing(full_width * scale, height * scale)
    project = _projection(chart.frame)

    def flipped(x: float, y: float) -> tuple[float, float]:
        return x * scale, (height - y) * scale

    for index, panel in enumerate(chart.panels):
        left = index * (PANEL + GAP)
        colour = colors.HexColor(FOOTPRINT_COLOURS[index % len(FOOTPRINT_COLOURS)])
        x0, y0 = flipped(left, PANEL)
        frame = Rect(x0, y0, PANEL * scale, PANEL * scale)
        frame.fillColor = colors.HexColor("#fbfbf8")
        frame.strokeColor = colors.HexColor("#bbbbbb")
        drawing.add(frame)
        shown = _cropped(panel.picture, chart.frame) if panel.picture else None
        if shown is not None:
            png, (west, south, east, north) = shown
            x0, y0 = flipped(*project(west, south, left))
            x1, y1 = flipped(*project(east, north, left))
            drawing.add(Image(x0, y0, x1 - x0, y1 - y0, PILImage.open(io.BytesIO(png))))
        for polygon, fill in [(p, True) for p in panel.footprints] + [
            (p, False) for p in panel.place
        ]:
            path = Path(fillMode=0)  # even-odd: holes stay holes
            path.fillColor = colour if fill else None
            path.strokeColor = colour if fill else colors.HexColor(PLACE_COLOUR)
            path.strokeWidth = 1.0 if fill else 0.8
            if not fill:
                path.strokeDashArray = [3, 2]
            for ring in polygon:
                points = [flipped(*project(lon, lat, left)) for lon, lat in ring]
                path.moveTo(*points[0])
                for point in points[1:]:
                    path.lineTo(*point)
                path.closePath()
            drawing.add(path)
        x, y = flipped(left + PANEL / 2, PANEL + 13)
        drawing.add(String(x, y, panel.label, fontName=font, fontSize=9, textAnchor="middle"))
    km, bar = _scale_bar(chart.frame)
    x1, y1 = flipped(6, PANEL - 8)
    drawing.add(Line(x1, y1, x1 + bar * scale, y1, strokeWidth=1.5))
    drawing.add(String(x1, y1 + 3, _km_label(km), fontName=font, fontSize=7))
    return drawing


# -- reading -------------------------------------------------------------------------------------


def _panel(raw: object) -> tuple[Panel, tuple[float, float, float, float]] | None:
    if not isinstance(raw, Mapping):
        return None
    label, frame = raw.get("label"), raw.get("frame")
    if not isinstance(label, str) or not isinstance(frame, list | tuple) or len(frame) != 4:
        return None
    if not all(_finite(v) for v in frame):
        return None
    west, south, east, north = (float(v) for v in frame)
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        return None
    place = _polygons(raw.get("place"))
    footprints = _polygons(raw.get("footprints"))
    if place is None or footprints is None:
        return None
    panel = Panel(label=label, place=place, footprints=footprints, picture=_picture(raw))
    return panel, (west, south, east, north)


def _picture(raw: Mapping[str, Any]) -> Picture | None:
    """The quick-look a map names (``image``: ``href`` of a PNG file, ``bounds``); None when
    absent, unreadable or not a PNG: the map is drawn without it."""
    image = raw.get("image")
    if not isinstance(image, Mapping):
        return None
    href, bounds = image.get("href"), image.get("bounds")
    if not isinstance(href, str) or not isinstance(bounds, list | tuple) or len(bounds) != 4:
        return None
    if not all(_finite(v) for v in bounds):
        return None
    try:
        path = FilePath(href)
        if not path.is_file() or path.stat().st_size > MAX_PICTURE_BYTES:
            return None
        png = path.read_bytes()
    except OSError:
        return None
    if not png.startswith(PNG_SIGNATURE):
        return None
    west, south, east, north = (float(v) for v in bounds)
    return Picture(png, (west, south, east, north)) if west < east and south < north else None


def _polygons(geometry: object) -> tuple[tuple[Ring, ...], ...] | None:
    """The polygons of a GeoJSON (Multi)Polygon as rings of points; () for null; None when
    malformed."""
    if geometry is None:
        return ()
    if not isinstance(geometry, Mapping):
        return None
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    polygons = (
        [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else None
    )
    if not isinstance(polygons, list):
        return None
    found: list[tuple[Ring, ...]] = []
    for polygon in polygons:
        rings = _rings(polygon)
        if rings is None:
            return None
        found.append(rings)
    return tuple(found)


def _rings(polygon: object) -> tuple[Ring, ...] | None:
    if not isinstance(polygon, list) or not polygon:
        return None
    rings: list[Ring] = []
    for ring in polygon:
        if not isinstance(ring, list) or len(ring) < 3:
            return None
        points: Ring = []
        for point in ring:
            if not isinstance(point, list | tuple) or len(point) < 2:
                return None
            if not (_finite(point[0]) and _finite(point[1])):
                return None
            points.append((float(point[0]), float(point[1])))
        rings.append(points)
    return tuple(rings)


def _cropped(
    picture: Picture, frame: tuple[float, float, float, float]
) -> tuple[bytes, tuple[float, float, float, float]] | None:
    """The part of a quick-look inside the map's frame, as a PNG and its lon/lat box (None when
    they do not meet): a scene is often larger than the place drawn."""
    west, south, east, north = (
        max(picture.bounds[0], frame[0]),
        max(picture.bounds[1], frame[1]),
        min(picture.bounds[2], frame[2]),
        min(picture.bounds[3], frame[3]),
    )
    if west >= east or south >= north:
        return None
    image = PILImage.open(io.BytesIO(picture.png))
    width, height = image.size
    b_west, b_south, b_east, b_north = picture.bounds
    box_pixels = (
        math.floor((west - b_west) / (b_east - b_west) * width),
        math.floor((b_north - north) / (b_north - b_south) * height),
        math.ceil((east - b_west) / (b_east - b_west) * width),
        math.ceil((b_north - south) / (b_north - b_south) * height),
    )
    if box_pixels[2] <= box_pixels[0] or box_pixels[3] <= box_pixels[1]:
        return None
    crop = image.crop(box_pixels)
    # No more pixels than the panel shows: the report stays light.
    crop.thumbnail((int(PANEL), int(PANEL)))
    out = io.BytesIO()
    crop.save(out, format="PNG", optimize=True)
    return out.getvalue(), (west, south, east, north)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# -- drawing -------------------------------------------------------------------------------------


def _size(chart: Map) -> tuple[float, float]:
    count = len(chart.panels)
    return count * PANEL + (count - 1) * GAP, PANEL + CAPTION


def _projection(frame: tuple[float, float, float, float]) -> Any:
    """lon/lat to panel pixels (y down), the frame fitted in a square panel with a margin."""
    west, south, east, north = frame
    squeeze = math.cos(math.radians((south + north) / 2))
    span = max((east - west) * squeeze, north - south, 1e-9)
    inner = PANEL * 0.92
    pad_x = (PANEL - (east - west) * squeeze / span * inner) / 2
    pad_y = (PANEL - (north - south) / span * inner) / 2

    def project(lon: float, lat: float, left: float) -> tuple[float, float]:
        x = left + pad_x + (lon - west) * squeeze / span * inner
        y = pad_y + (north - lat) / span * inner
        return x, y

    return project


def _svg_path(polygon: Iterable[Ring], project: Any, left: float) -> str:
    commands: list[str] = []
    for ring in polygon:
        points = [project(lon, lat, left) for lon, lat in ring]
        commands.append("M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in points) + " Z")
    return " ".join(commands)


def _scale_bar(frame: Sequence[float]) -> tuple[float, float]:
    """A round length in km about a quarter of the panel wide, and its length in pixels."""
    west, south, east, north = frame
    squeeze = math.cos(math.radians((south + north) / 2))
    span_km = max((east - west) * squeeze, north - south, 1e-9) * KM_PER_DEGREE
    pixels_per_km = PANEL * 0.92 / span_km
    target = span_km / 4
    step = 10 ** math.floor(math.log10(target))
    km = max(m * step for m in (1, 2, 5) if m * step <= target) if target >= step else step
    return km, km * pixels_per_km


def _km_label(km: float) -> str:
    return f"{km:g} km" if km >= 1 else f"{km * 1000:g} m"
