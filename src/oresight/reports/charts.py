"""Charts of the time series a finding carries: inline SVG for the HTML report, a reportlab
drawing for the PDF, with the same content.

A rule with a history to show (a trade flow and its mirror, year by year) puts it in the data of
one evidence item::

    data["series"] = {"<label>": [[year, value or None], ...], "<label 2>": [...]}
    data["series_unit"] = "US$"

Each series is drawn as one line with its own colour, dash pattern and marker, so the chart reads
in greyscale too; a year without a value breaks the line. Years run along the bottom, a few value
ticks (US$1.2 M, US$3.4 bn) up the side, and a legend names the series. Series come from
third-party data: they are checked here, and a malformed one is left out of the chart (the
evidence table still lists it) rather than stopping the report. Labels and the unit are data and
are escaped. The same series always give the same SVG, byte for byte.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from oresight.core.findings import Finding

SERIES_KEY = "series"
"""The evidence data key holding the series: label → ``[[year, value or None], ...]``."""
UNIT_KEY = "series_unit"
"""The evidence data key holding the series' unit (``US$``); optional."""

MIN_YEAR, MAX_YEAR = 1, 9999
MAX_ABS_VALUE = 1e18
"""Beyond any figure a rule reports; a larger value marks the series as malformed."""
MAX_UNIT_CHARS = 16
GAP_NOTE = "A break in a line: no figure for that year."

Point = tuple[int, float | None]


@dataclass(frozen=True)
class Series:
    """One labelled series: (year, value) points in year order, ``None`` where there is none."""

    label: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Chart:
    """The series of one finding's evidence, checked, with their unit (empty when unstated)."""

    unit: str
    series: tuple[Series, ...]

    @property
    def has_gaps(self) -> bool:
        """Whether some year has no figure (the chart then says what a break in a line means)."""
        return any(value is None for s in self.series for _, value in s.points)


@dataclass(frozen=True)
class _Style:
    colour: str
    dash: tuple[float, ...]
    marker: str
    """``circle``, ``ring`` (an open circle) or a key of ``_POLYGONS``."""


# Okabe-Ito colours (told apart with colour-blindness); dash and marker tell them apart in grey.
_STYLES = (
    _Style("#0072b2", (), "circle"),
    _Style("#d55e00", (6, 3), "square"),
    _Style("#009e73", (2, 2), "triangle"),
    _Style("#cc79a7", (8, 3, 2, 3), "diamond"),
    _Style("#e69f00", (4, 2), "triangle_down"),
    _Style("#56b4e9", (10, 3, 2, 3, 2, 3), "ring"),
)
"""The style of the n-th series; a chart of more series than styles repeats them in order."""

# Marker outlines as vertices around the point, in marker radii, y pointing up.
_POLYGONS: dict[str, tuple[tuple[float, float], ...]] = {
    "square": ((-0.9, -0.9), (0.9, -0.9), (0.9, 0.9), (-0.9, 0.9)),
    "triangle": ((0.0, 1.25), (1.15, -0.8), (-1.15, -0.8)),
    "diamond": ((0.0, 1.3), (1.3, 0.0), (0.0, -1.3), (-1.3, 0.0)),
    "triangle_down": ((0.0, -1.25), (1.15, 0.8), (-1.15, 0.8)),
}
_CURRENCY_SIGNS = ("$", "€", "£", "¥")
_SCALES = ((1e12, "tn"), (1e9, "bn"), (1e6, "M"), (1e3, "k"))
_NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)
_YEAR_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000)
_VALUE_INTERVALS = 4  # about this many steps between value ticks
_MAX_YEAR_TICKS = 10


# -- reading -------------------------------------------------------------------------------------


def finding_chart(finding: Finding) -> Chart | None:
    """The chart of the first evidence item whose data hold well-formed series; None if none."""
    for item in finding.evidence:
        chart = read_series(item.data)
        if chart is not None:
            return chart
    return None


def read_series(data: Mapping[str, Any]) -> Chart | None:
    """The series in one evidence item's data, checked; None when absent or malformed.

    Well formed: ``series`` maps non-blank string labels to lists of ``[year, value]`` pairs,
    each year an int from 1 to 9999 given once per series, each value a finite number (at most
    1e18 either way) or None (NaN counts as None); ``series_unit``, when there, a short string;
    and at least one value somewhere."""
    raw, unit = data.get(SERIES_KEY), data.get(UNIT_KEY, "")
    if not isinstance(raw, Mapping) or not raw:
        return None
    if not isinstance(unit, str) or len(unit) > MAX_UNIT_CHARS:
        return None
    found: list[Series] = []
    for label, pairs in raw.items():
        points = _points(pairs)
        if not isinstance(label, str) or not label.strip() or points is None:
            return None
        found.append(Series(label=label, points=points))
    if all(value is None for s in found for _, value in s.points):
        return None
    return Chart(unit=unit.strip(), series=tuple(found))


def _points(pairs: object) -> tuple[Point, ...] | None:
    if not isinstance(pairs, list | tuple):
        return None
    points: dict[int, float | None] = {}
    for pair in pairs:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            return None
        year, value = pair
        if not _is_number(year) or not isinstance(year, int) or year in points:
            return None
        if not MIN_YEAR <= year <= MAX_YEAR:
            return None
        if value is None:
            points[year] = None
            continue
        if not _is_number(value):
            return None
        try:
            figure = float(value)
        except OverflowError:
            return None
        if math.isnan(figure):
            points[year] = None
        elif math.isinf(figure) or abs(figure) > MAX_ABS_VALUE:
            return None
        else:
            points[year] = figure
    return tuple(sorted(points.items()))


def _is_number(value: object) -> bool:
    # True and False are ints to Python, never years or figures here.
    return isinstance(value, int | float) and not isinstance(value, bool)


# -- numbers ---------------------------------------------------------------------------------------


def format_amount(
    value: float, unit: str = "", *, decimals: int = 1, scale: float | None = None
) -> str:
    """``value`` for a reader: US$1.2 M, US$3.4 bn, 12.5 k t.

    A currency unit (ending in $, €, £ or ¥) leads, any other follows. ``scale`` (1, 1e3, 1e6,
    1e9 or 1e12) fixes the multiple, else the value's size picks it; zero is written 0."""
    if value == 0:
        number = "0"
    else:
        size = abs(value) if scale is None else scale
        factor, suffix = next(((f, s) for f, s in _SCALES if size >= f), (1.0, ""))
        number = f"{abs(value) / factor:.{decimals}f}" + (f" {suffix}" if suffix else "")
    sign = "-" if value < 0 else ""
    if not unit:
        return sign + number
    if unit.endswith(_CURRENCY_SIGNS):
        return f"{sign}{unit}{number}"
    return f"{sign}{number} {unit}"


@dataclass(frozen=True)
class _Axes:
    """Where years and values fall, as fractions of the plot (0 at left/bottom, 1 at right/top),
    and the ticks with their labels."""

    first_year: float
    last_year: float
    low: float
    high: float
    year_ticks: tuple[int, ...]
    value_ticks: tuple[tuple[float, str], ...]

    def x(self, year: float) -> float:
        return (year - self.first_year) / (self.last_year - self.first_year)

    def y(self, value: float) -> float:
        return (value - self.low) / (self.high - self.low)


def _axes(chart: Chart) -> _Axes:
    years = [year for s in chart.series for year, _ in s.points]
    values = [v for s in chart.series for _, v in s.points if v is not None]
    first, last = min(years), max(years)
    if first == last:
        first, last = first - 1, last + 1
    span = last - first
    year_step = next((s for s in _YEAR_STEPS if span // s + 1 <= _MAX_YEAR_TICKS), 10000)
    year_ticks = tuple(y for y in range(first, last + 1) if y % year_step == 0)
    # Amounts are read against zero: the axis starts there unless values go below it.
    low, high = min(0.0, *values), max(0.0, *values)
    if low == high:
        high = low + 1.0
    # A floor on the step keeps log10 defined for the tiniest (subnormal) ranges.
    raw = max((high - low) / _VALUE_INTERVALS, 1e-6)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in _NICE_STEPS if m * magnitude >= raw * (1 - 1e-12))
    bottom, top = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    top = max(top, bottom + 1)  # values far smaller than the step still get an axis of one step
    ticks = [i * step for i in range(bottom, top + 1)]
    size = max(abs(ticks[0]), abs(ticks[-1]))
    scale = next((f for f, _ in _SCALES if size >= f), 1.0)
    decimals = next(
        (d for d in range(8) if abs(round(step / scale, d) - step / scale) <= 1e-9 * step / scale),
        8,
    )
    labelled = tuple(
        (t, format_amount(t, chart.unit, decimals=decimals, scale=scale)) for t in ticks
    )
    return _Axes(first, last, ticks[0], ticks[-1], year_ticks, labelled)


def _runs(series: Series) -> list[list[tuple[int, float]]]:
    """The unbroken stretches of a series: a year without a value ends one."""
    runs: list[list[tuple[int, float]]] = [[]]
    for year, value in series.points:
        if value is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((year, value))
    return [run for run in runs if run]


def _style(index: int) -> _Style:
    return _STYLES[index % len(_STYLES)]


def _title(chart: Chart) -> str:
    unit = f", in {chart.unit}" if chart.unit else ""
    return f"Chart by year{unit}: " + "; ".join(s.label for s in chart.series)


# -- SVG -------------------------------------------------------------------------------------------

_SVG_WIDTH = 640
_SVG_LEFT, _SVG_RIGHT, _SVG_TOP, _SVG_PLOT_HEIGHT = 84, 16, 10, 190
_SVG_INSET = 12  # keeps the first and last markers off the axis lines
_SVG_ROW = 18
_SVG_MARKER = 3.5
_SVG_MAX_LABEL = 90  # the legend does not wrap; the full label is the series' title
_INK, _MUTED, _RULE = "#1d2327", "#5c666d", "#d5dadd"


def chart_svg(chart: Chart) -> str:
    """The chart as one self-contained inline SVG element (no scripts, no external resources)."""
    axes = _axes(chart)
    plot_bottom = _SVG_TOP + _SVG_PLOT_HEIGHT
    left, right = _SVG_LEFT + _SVG_INSET, _SVG_WIDTH - _SVG_RIGHT - _SVG_INSET
    rows = len(chart.series) + (1 if chart.has_gaps else 0)
    height = plot_bottom + 26 + rows * _SVG_ROW + 4

    def px(year: float) -> float:
        return left + axes.x(year) * (right - left)

    def py(value: float) -> float:
        return plot_bottom - axes.y(value) * _SVG_PLOT_HEIGHT

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="series-chart" role="img" '
        f'viewBox="0 0 {_SVG_WIDTH} {height}" width="{_SVG_WIDTH}" height="{height}" '
        f'style="max-width:100%;height:auto" font-family="system-ui, sans-serif" font-size="11">',
        f"<title>{_xml(_title(chart))}</title>",
        f'<g class="value-axis" stroke="{_RULE}" stroke-width="1">',
    ]
    for value, _ in axes.value_ticks:
        out.append(
            f'<line x1="{_SVG_LEFT}" y1="{_n(py(value))}" x2="{_SVG_WIDTH - _SVG_RIGHT}" '
            f'y2="{_n(py(value))}"/>'
        )
    out.append(f'</g><g class="value-ticks" fill="{_MUTED}" text-anchor="end">')
    for value, label in axes.value_ticks:
        out.append(f'<text x="{_SVG_LEFT - 6}" y="{_n(py(value) + 4)}">{_xml(label)}</text>')
    out.append(
        f'</g><g class="axes" stroke="{_MUTED}" stroke-width="1">'
        f'<line x1="{_SVG_LEFT}" y1="{_SVG_TOP}" x2="{_SVG_LEFT}" y2="{plot_bottom}"/>'
        f'<line x1="{_SVG_LEFT}" y1="{plot_bottom}" x2="{_SVG_WIDTH - _SVG_RIGHT}" '
        f'y2="{plot_bottom}"/>'
    )
    for year in axes.year_ticks:
        x = _n(px(year))
        out.append(f'<line x1="{x}" y1="{plot_bottom}" x2="{x}" y2="{plot_bottom + 4}"/>')
    out.append(f'</g><g class="year-ticks" fill="{_MUTED}" text-anchor="middle">')
    for year in axes.year_ticks:
        out.append(f'<text x="{_n(px(year))}" y="{plot_bottom + 16}">{year}</text>')
    out.append("</g>")
    for index, series in enumerate(chart.series):
        style = _style(index)
        runs = _runs(series)
        d = " ".join(
            "M " + " L ".join(f"{_n(px(year))} {_n(py(value))}" for year, value in run)
            for run in runs
        )
        out.append(f'<g class="series"><title>{_xml(series.label)}</title>')
        if runs:
            out.append(f'<path class="line" d="{d}" {_svg_stroke(style)}/>')
        for year, value in (point for run in runs for point in run):
            tip = f"{year}: {format_amount(value, chart.unit)}"
            out.append(_svg_marker(style, px(year), py(value), _SVG_MARKER, tip))
        out.append("</g>")
    out.append(f'<g class="legend" fill="{_INK}" font-size="12">')
    for index, series in enumerate(chart.series):
        style = _style(index)
        y = plot_bottom + 26 + index * _SVG_ROW + _SVG_ROW / 2
        label = series.label if len(series.label) <= _SVG_MAX_LABEL else series.label[:89] + "…"
        out += [
            f'<line x1="{_SVG_LEFT}" y1="{_n(y)}" x2="{_SVG_LEFT + 32}" y2="{_n(y)}" '
            f"{_svg_stroke(style)}/>",
            _svg_marker(style, _SVG_LEFT + 16, y, _SVG_MARKER, None),
            f'<text x="{_SVG_LEFT + 40}" y="{_n(y + 4)}">{_xml(label)}</text>',
        ]
    if chart.has_gaps:
        y = plot_bottom + 26 + len(chart.series) * _SVG_ROW + _SVG_ROW / 2
        out.append(f'<text x="{_SVG_LEFT}" y="{_n(y + 4)}" fill="{_MUTED}">{GAP_NOTE}</text>')
    out.append("</g></svg>")
    return "\n".join(out)


def _svg_stroke(style: _Style) -> str:
    dash = f' stroke-dasharray="{" ".join(_n(d) for d in style.dash)}"' if style.dash else ""
    return f'fill="none" stroke="{style.colour}" stroke-width="2"{dash}'


def _svg_marker(style: _Style, x: float, y: float, r: float, tip: str | None) -> str:
    inner = f"<title>{_xml(tip)}</title>" if tip else ""
    if style.marker in ("circle", "ring"):
        fill = "#ffffff" if style.marker == "ring" else style.colour
        shape = f'<circle class="marker" cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" fill="{fill}"'
        close = "</circle>"
    else:
        vertices = " ".join(
            f"{_n(x + dx * r)},{_n(y - dy * r)}" for dx, dy in _POLYGONS[style.marker]
        )
        shape = f'<polygon class="marker" points="{vertices}" fill="{style.colour}"'
        close = "</polygon>"
    shape += f' stroke="{style.colour}" stroke-width="1.5"'
    return f"{shape}>{inner}{close}" if inner else f"{shape}/>"


def _n(number: float) -> str:
    """A coordinate with one decimal, the same on every platform; never ``-0.0``."""
    text = f"{number:.1f}"
    return "0.0" if text == "-0.0" else text


def _xml(text: str) -> str:
    """Data as SVG text: markup escaped; characters XML cannot hold shown as U+FFFD."""
    clean = "".join(
        " "
        if ch in "\t\n\r"
        else "\ufffd"
        if unicodedata.category(ch) in ("Cc", "Cs") or ch in "\ufffe\uffff"
        else ch
        for ch in text
    )
    return escape(clean, {'"': "&quot;"})


# -- PDF -------------------------------------------------------------------------------------------

_PDF_LEFT, _PDF_RIGHT, _PDF_TOP, _PDF_PLOT_HEIGHT = 64.0, 8.0, 6.0, 120.0
_PDF_INSET = 9.0
_PDF_ROW = 11.0
_PDF_TICK_SIZE, _PDF_LEGEND_SIZE = 6.5, 7.5
_PDF_MARKER = 2.6
_Anchor = Literal["start", "middle", "end"]


def chart_drawing(
    chart: Chart,
    *,
    width: float,
    font: str = "Helvetica",
    text: Callable[[str], str] = str,
) -> Drawing:
    """The chart as a reportlab drawing ``width`` points wide, a flowable for a PDF story.

    ``font`` is a registered font name; ``text`` turns data into text that font can draw (the PDF
    report's replacement of missing glyphs)."""
    axes = _axes(chart)
    rows = len(chart.series) + (1 if chart.has_gaps else 0)
    legend_height = rows * _PDF_ROW + 4
    plot_bottom = legend_height + 16
    height = plot_bottom + _PDF_PLOT_HEIGHT + _PDF_TOP
    left, right = _PDF_LEFT + _PDF_INSET, width - _PDF_RIGHT - _PDF_INSET
    ink, muted, rule = (colors.HexColor(c) for c in (_INK, _MUTED, _RULE))

    def px(year: float) -> float:
        return left + axes.x(year) * (right - left)

    def py(value: float) -> float:
        return plot_bottom + axes.y(value) * _PDF_PLOT_HEIGHT

    def label(x: float, y: float, words: str, size: float, colour: Any, anchor: _Anchor) -> String:
        return String(
            x, y, words, fontName=font, fontSize=size, fillColor=colour, textAnchor=anchor
        )

    drawing = Drawing(width, height)
    end = width - _PDF_RIGHT
    for value, tick in axes.value_ticks:
        y = py(value)
        drawing.add(Line(_PDF_LEFT, y, end, y, strokeColor=rule, strokeWidth=0.5))
        drawing.add(label(_PDF_LEFT - 4, y - 2.2, text(tick), _PDF_TICK_SIZE, muted, "end"))
    top = plot_bottom + _PDF_PLOT_HEIGHT
    drawing.add(Line(_PDF_LEFT, plot_bottom, _PDF_LEFT, top, strokeColor=muted, strokeWidth=0.6))
    drawing.add(Line(_PDF_LEFT, plot_bottom, end, plot_bottom, strokeColor=muted, strokeWidth=0.6))
    for year in axes.year_ticks:
        x = px(year)
        drawing.add(Line(x, plot_bottom, x, plot_bottom - 3, strokeColor=muted, strokeWidth=0.6))
        drawing.add(label(x, plot_bottom - 11, str(year), _PDF_TICK_SIZE, muted, "middle"))
    for index, series in enumerate(chart.series):
        style = _style(index)
        for run in _runs(series):
            points = [(px(year), py(value)) for year, value in run]
            if len(points) > 1:
                drawing.add(_pdf_line([c for p in points for c in p], style))
            for x, y in points:
                drawing.add(_pdf_marker(style, x, y))
    room = width - _PDF_LEFT - 30
    for index, series in enumerate(chart.series):
        style = _style(index)
        y = legend_height - (index + 1) * _PDF_ROW + 3
        drawing.add(_pdf_line([_PDF_LEFT, y + 2.5, _PDF_LEFT + 24, y + 2.5], style))
        drawing.add(_pdf_marker(style, _PDF_LEFT + 12, y + 2.5))
        name = _fit(text(series.label), font, _PDF_LEGEND_SIZE, room)
        drawing.add(label(_PDF_LEFT + 30, y, name, _PDF_LEGEND_SIZE, ink, "start"))
    if chart.has_gaps:
        y = legend_height - rows * _PDF_ROW + 3
        drawing.add(label(_PDF_LEFT, y, text(GAP_NOTE), _PDF_TICK_SIZE, muted, "start"))
    return drawing


def _pdf_line(points: list[float], style: _Style) -> PolyLine:
    line = PolyLine(points, strokeColor=colors.HexColor(style.colour), strokeWidth=1.4)
    if style.dash:
        line.strokeDashArray = list(style.dash)
    return line


def _pdf_marker(style: _Style, x: float, y: float) -> Circle | Polygon:
    colour = colors.HexColor(style.colour)
    r = _PDF_MARKER
    if style.marker in ("circle", "ring"):
        fill = colors.white if style.marker == "ring" else colour
        return Circle(x, y, r, fillColor=fill, strokeColor=colour, strokeWidth=1)
    vertices = [c for dx, dy in _POLYGONS[style.marker] for c in (x + dx * r, y + dy * r)]
    return Polygon(vertices, fillColor=colour, strokeColor=colour, strokeWidth=1)


def _fit(label: str, font: str, size: float, room: float) -> str:
    """``label`` cut, with an ellipsis, to fit ``room`` points."""
    if stringWidth(label, font, size) <= room:
        return label
    label = label[:300]  # no legend line holds more; spares measuring a huge label char by char
    while label and stringWidth(label + "…", font, size) > room:
        label = label[:-1]
    return label + "…"


__all__ = [
    "GAP_NOTE",
    "SERIES_KEY",
    "UNIT_KEY",
    "Chart",
    "Series",
    "chart_drawing",
    "chart_svg",
    "finding_chart",
    "format_amount",
    "read_series",
]
