"""Charts of a finding's time series: the SVG of the HTML report and the drawing of the PDF.

The SVG is read back as XML (it must be well formed to be inlined), the PDF with pypdf, so the
tests check what a reader would see: one line per series broken where a year has no figure, the
year and value ticks, the legend, and labels shown as text, never as markup.
"""

from __future__ import annotations

import copy
import io
import itertools
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from oresight.core.findings import (
    Evidence,
    EvidenceKind,
    Finding,
    FindingCode,
    Period,
    Severity,
    Subject,
    SubjectType,
)
from oresight.reports.charts import (
    GAP_NOTE,
    Chart,
    Series,
    chart_drawing,
    chart_svg,
    finding_chart,
    format_amount,
    read_series,
)
from oresight.reports.html import ReportScope, render_html_report
from oresight.reports.pdf import FRAME_WIDTH, render_pdf_report

SVG = "{http://www.w3.org/2000/svg}"
EXPORTS = "exports declared by the exporter (FOB)"
IMPORTS = "imports declared by the importer (taken to FOB)"
MIRROR: dict[str, Any] = {
    "series_unit": "US$",
    "series": {
        EXPORTS: [[2016, 1.2e6], [2017, 2.5e6], [2018, None], [2019, 3.1e6], [2020, 2.9e6]],
        IMPORTS: [[2016, 9.0e6], [2017, 1.12e7], [2018, 1.5e7], [2019, 2.2e7], [2020, None]],
    },
}
"""A mirror gap's history as the trade rules write it: the exporter declared nothing in 2018,
the importer nothing in 2020."""


def _finding(*data: dict[str, Any], subject: str = "CD>CN/2605") -> Finding:
    return Finding(
        code=FindingCode.TRADE_MIRROR_GAP,
        subject=Subject(type=SubjectType.TRADE_FLOW, id=subject, label="DR Congo to China, 2605"),
        severity=Severity.HIGH,
        confidence=0.7,
        title="Imports declared far above exports",
        explanation="China declared US$22.0 M of imports where DR Congo declared US$3.1 M.",
        evidence=tuple(
            Evidence(kind=EvidenceKind.TRADE_ROW, id=f"comtrade.csv:{n}", data=d)
            for n, d in enumerate(data, start=1)
        ),
        rule="trade.mirror_gap",
        rule_version="1",
        period=Period(
            start=datetime(2016, 1, 1, tzinfo=UTC), end=datetime(2020, 12, 31, tzinfo=UTC)
        ),
    )


def _scope() -> ReportScope:
    return ReportScope(
        title="Cobalt trade review",
        workspace="ws-trade",
        generated_at=datetime(2024, 6, 1, 12, 30, tzinfo=UTC),
        period_start=None,
        period_end=None,
        counts={},
        minerals=("cobalt",),
        tiers=(),
        sources=("comtrade.csv",),
    )


def _chart(data: dict[str, Any] = MIRROR) -> Chart:
    chart = read_series(data)
    assert chart is not None
    return chart


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def _lines(root: ET.Element) -> list[tuple[str, list[list[tuple[float, float]]], int]]:
    """Per series group: its title, the runs of its line (points per subpath), its markers."""
    found = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "series":
            continue
        title = group.findtext(f"{SVG}title") or ""
        paths = group.findall(f"{SVG}path")
        assert len(paths) <= 1, "one line per series"
        runs = []
        for subpath in re.findall(r"M[^M]*", paths[0].get("d", "")) if paths else []:
            pairs = re.findall(r"(-?[\d.]+) (-?[\d.]+)", subpath)
            runs.append([(float(x), float(y)) for x, y in pairs])
        markers = [e for e in group if e.get("class") == "marker"]
        found.append((title, runs, len(markers)))
    return found


def _texts(root: ET.Element, group_class: str) -> list[str]:
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == group_class]
    assert len(groups) == 1
    return [t.text or "" for t in groups[0].iter(f"{SVG}text")]


# -- reading the series ------------------------------------------------------------------------


def test_series_are_read_in_year_order_with_their_gaps() -> None:
    shuffled = copy.deepcopy(MIRROR)
    shuffled["series"][EXPORTS].reverse()
    chart = _chart(shuffled)
    assert chart.unit == "US$"
    assert [s.label for s in chart.series] == [EXPORTS, IMPORTS]
    assert chart.series[0].points == (
        (2016, 1.2e6),
        (2017, 2.5e6),
        (2018, None),
        (2019, 3.1e6),
        (2020, 2.9e6),
    )
    assert chart.has_gaps
    nan = read_series({"series": {"a": [[2019, float("nan")], [2020, 5]]}})
    assert nan == Chart(unit="", series=(Series("a", ((2019, None), (2020, 5.0))),))


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"series": None},
        {"series": []},
        {"series": {}},
        {"series": "2019: 5"},
        {"series": {"a": "not a list"}},
        {"series": {"a": [[2019]]}},
        {"series": {"a": [[2019, 1.0, 2.0]]}},
        {"series": {"a": [["2019", 1.0]]}},
        {"series": {"a": [[2019.0, 1.0]]}},
        {"series": {"a": [[True, 1.0]]}},
        {"series": {"a": [[0, 1.0]]}},
        {"series": {"a": [[10**6, 1.0]]}},
        {"series": {"a": [[2019, "1.0"]]}},
        {"series": {"a": [[2019, True]]}},
        {"series": {"a": [[2019, float("inf")]]}},
        {"series": {"a": [[2019, 10**400]]}},
        {"series": {"a": [[2019, 1e19]]}},
        {"series": {"a": [[2019, 1.0], [2019, 2.0]]}},
        {"series": {"a": [[2019, None], [2020, None]]}},
        {"series": {"": [[2019, 1.0]]}},
        {"series": {1: [[2019, 1.0]]}},
        {"series": {"a": [[2019, 1.0]], "b": [[2019, {"v": 1}]]}},
        {"series": {"a": [[2019, 1.0]]}, "series_unit": 5},
        {"series": {"a": [[2019, 1.0]]}, "series_unit": "U" * 17},
    ],
)
def test_malformed_series_are_left_out_not_raised(data: dict[Any, Any]) -> None:
    assert read_series(data) is None


def test_the_first_well_formed_series_of_a_finding_is_charted() -> None:
    broken = {"series": {"a": [[2019, "lots"]]}, "series_unit": "US$"}
    other = {"series": {"other": [[2000, 1.0]]}}
    assert finding_chart(_finding({"year": 2019}, broken, MIRROR, other)) == _chart()
    assert finding_chart(_finding({"year": 2019}, broken)) is None
    assert finding_chart(_finding({})) is None


# -- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (1.2e6, "US$", "US$1.2 M"),
        (3.4e9, "US$", "US$3.4 bn"),
        (2.5e12, "US$", "US$2.5 tn"),
        (12_500.0, "US$", "US$12.5 k"),
        (640.0, "US$", "US$640.0"),
        (0.0, "US$", "US$0"),
        (-2_500.0, "US$", "-US$2.5 k"),
        (12_500.0, "t", "12.5 k t"),
        (1.2e6, "", "1.2 M"),
    ],
)
def test_amounts_read_like_money(value: float, unit: str, text: str) -> None:
    assert format_amount(value, unit) == text


# -- SVG -------------------------------------------------------------------------------------------


def test_svg_has_one_line_per_series_broken_where_a_year_has_no_figure() -> None:
    root = _parse(chart_svg(_chart()))
    lines = _lines(root)
    assert [title for title, _, _ in lines] == [EXPORTS, IMPORTS]
    exports, imports = lines[0][1], lines[1][1]
    # 2016-2017, gap in 2018, 2019-2020; and 2016-2019 then nothing in 2020.
    assert [len(run) for run in exports] == [2, 2]
    assert [len(run) for run in imports] == [4]
    assert [markers for _, _, markers in lines] == [4, 4]
    # Years left to right, and higher figures higher up (smaller y).
    xs = [x for run in exports for x, _ in run]
    assert xs == sorted(xs)
    (export_x, export_y), (import_x, import_y) = exports[0][0], imports[0][0]
    assert export_x == import_x  # both start in 2016
    assert import_y < export_y
    assert GAP_NOTE in _texts(root, "legend")


def test_svg_has_year_and_value_ticks_and_a_legend() -> None:
    root = _parse(chart_svg(_chart()))
    assert _texts(root, "year-ticks") == ["2016", "2017", "2018", "2019", "2020"]
    assert _texts(root, "value-ticks") == ["US$0", "US$10 M", "US$20 M", "US$30 M"]
    assert _texts(root, "legend") == [EXPORTS, IMPORTS, GAP_NOTE]
    title = root.findtext(f"{SVG}title") or ""
    assert title.startswith("Chart by year, in US$:") and EXPORTS in title


def test_series_differ_in_colour_dash_and_marker_so_they_read_in_grey() -> None:
    data = {"series": {f"s{i}": [[2019, float(i)], [2020, float(i + 1)]] for i in range(6)}}
    root = _parse(chart_svg(_chart(data)))
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "series"]
    styles = []
    for group in groups:
        path = group.find(f"{SVG}path")
        assert path is not None
        marker = next(e for e in group if e.get("class") == "marker")
        shape = (marker.tag, marker.get("fill") == "#ffffff", _marker_outline(marker))
        styles.append((path.get("stroke"), path.get("stroke-dasharray"), shape))
    assert len({colour for colour, _, _ in styles}) == 6
    assert len({dash for _, dash, _ in styles}) == 6
    assert len({shape for _, _, shape in styles}) == 6


def _marker_outline(marker: ET.Element) -> tuple[tuple[float, float], ...]:
    """A polygon marker's vertices relative to its first one (its shape, wherever it sits)."""
    pairs = [tuple(map(float, p.split(","))) for p in (marker.get("points") or "").split()]
    return tuple((round(x - pairs[0][0], 1), round(y - pairs[0][1], 1)) for x, y in pairs)


def test_labels_and_unit_are_escaped() -> None:
    hostile = '<script>alert(1)</script> & "quoted" \x00\x1b'
    data = {"series_unit": "<b>$", "series": {hostile: [[2019, 1.0], [2020, 2.0]]}}
    svg = chart_svg(_chart(data))
    assert "<script" not in svg and "<b>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in svg
    root = _parse(svg)  # well formed: the control characters were replaced
    legend = _texts(root, "legend")
    assert legend == ['<script>alert(1)</script> & "quoted" \ufffd\ufffd']
    assert all(
        label.startswith("<b>$") or label == "<b>$0" for label in _texts(root, "value-ticks")
    )


def test_a_long_label_is_cut_in_the_legend_and_whole_in_the_title() -> None:
    label = "flow " * 40
    root = _parse(chart_svg(_chart({"series": {label: [[2019, 1.0]]}})))
    (legend,) = _texts(root, "legend")
    assert legend.endswith("…") and len(legend) == 90
    assert _lines(root)[0][0] == label


def test_the_same_series_give_the_same_svg_bytes() -> None:
    first = chart_svg(_chart())
    again = chart_svg(_chart(json.loads(json.dumps(MIRROR))))
    as_tuples = copy.deepcopy(MIRROR)
    as_tuples["series"] = {k: tuple(map(tuple, v)) for k, v in MIRROR["series"].items()}
    assert first == again == chart_svg(_chart(as_tuples))
    assert first != chart_svg(_chart({**MIRROR, "series_unit": "€"}))


@pytest.mark.parametrize(
    ("data", "ticks"),
    [
        ({"a": [[2020, 0.0]]}, ["0", "0.25", "0.50", "0.75", "1.00"]),
        ({"a": [[2020, 5.0]]}, ["0", "2", "4", "6"]),
        ({"a": [[2019, -3e9], [2020, 1e9]]}, ["-3 bn", "-2 bn", "-1 bn", "0", "1 bn"]),
    ],
)
def test_flat_single_year_and_negative_series_still_draw(
    data: dict[str, Any], ticks: list[str]
) -> None:
    root = _parse(chart_svg(_chart({"series": data})))
    assert _texts(root, "value-ticks") == ticks
    assert sum(markers for _, _, markers in _lines(root)) == len(data["a"])


def test_year_ticks_thin_out_over_long_spans() -> None:
    root = _parse(chart_svg(_chart({"series": {"a": [[1950, 1.0], [2023, 2.0]]}})))
    assert _texts(root, "year-ticks") == [str(y) for y in range(1950, 2021, 10)]


_VALUES = st.one_of(
    st.none(), st.floats(-1e15, 1e15, allow_nan=False), st.integers(-(10**9), 10**9)
)


@settings(max_examples=60, deadline=None)
@example({"tiny": {1900: 1.7e-95}, "flat": {2000: 0, 2001: None, 2002: 0}})
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=20).filter(str.strip),
        st.dictionaries(st.integers(1900, 2100), _VALUES, max_size=12),
        min_size=1,
        max_size=7,
    )
)
def test_any_well_formed_series_gives_well_formed_svg(series: dict[str, dict[int, Any]]) -> None:
    data = {
        "series": {label: [[y, v] for y, v in points.items()] for label, points in series.items()}
    }
    chart = read_series(data)
    if chart is None:
        assert all(v is None for points in series.values() for v in points.values())
        return
    lines = _lines(_parse(chart_svg(chart)))
    assert len(lines) == len(series)
    assert chart_drawing(chart, width=FRAME_WIDTH).width == FRAME_WIDTH
    for (_, runs, markers), points in zip(lines, series.values(), strict=True):
        values = [v for _, v in sorted(points.items())]
        assert sum(len(run) for run in runs) == markers == sum(v is not None for v in values)
        breaks = sum(1 for a, b in itertools.pairwise(values) if a is not None and b is None)
        assert len(runs) == breaks + (values[-1] is not None if values else 0)


# -- the reports -----------------------------------------------------------------------------------


def test_the_html_report_shows_the_chart_of_a_finding_with_a_series() -> None:
    charted = _finding({"year": 2019}, MIRROR)
    plain = _finding({"year": 2019, "x_usd": 3.1e6}, subject="CD>ZA/2605")
    malformed = _finding({"series": {"a": "x"}}, subject="CD>IN/2605")
    html = render_html_report([charted, plain, malformed], _scope())
    assert html.count("<svg") == 1
    article = re.search(rf'<article[^>]*id="{charted.id}".*?</article>', html, re.S)
    assert article is not None
    body = article.group(0)
    explanation, chart, evidence = (
        body.index(charted.explanation),
        body.index('<div class="chart"><svg'),
        body.index('<table class="evidence">'),
    )
    assert explanation < chart < evidence
    svg = chart_svg(_chart())
    assert svg in body
    # Self-contained: nothing to run or fetch.
    assert not re.search(r"<script|<image|<use|<foreignObject|href=|src=|url\(|@import", svg)
    for other in (plain, malformed):
        found = re.search(rf'<article[^>]*id="{other.id}".*?</article>', html, re.S)
        assert found is not None and "<svg" not in found.group(0)
    assert "<svg" not in render_html_report([plain, malformed], _scope())


def test_the_html_report_escapes_a_hostile_label_in_the_chart() -> None:
    hostile = {"series": {"<script>alert(1)</script>": [[2019, 1.0], [2020, 2.0]]}}
    html = render_html_report([_finding(hostile)], _scope())
    assert "<svg" in html
    assert "<script>" not in html


def _pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_the_pdf_report_draws_the_chart_in_the_finding() -> None:
    charted = _finding({"year": 2019}, MIRROR)
    text = _pdf_text(render_pdf_report([charted], _scope()))
    finding = text[text.index(charted.explanation) :]
    for shown in ("US$10 M", "US$20 M", "2016", "2020", EXPORTS, IMPORTS, GAP_NOTE):
        assert shown in finding
    # The chart sits between the explanation and the evidence table.
    assert finding.index(GAP_NOTE) < finding.index("Evidence Id Note Figures")
    plain = _pdf_text(render_pdf_report([_finding({"year": 2019})], _scope()))
    assert "US$10 M" not in plain and GAP_NOTE not in plain


def test_the_pdf_chart_shows_labels_as_text_and_replaces_missing_glyphs() -> None:
    data = {"series": {"<b>bold</b> & 中国": [[2019, 1.0], [2020, 2.0]]}}
    text = _pdf_text(render_pdf_report([_finding(data)], _scope()))
    # Once in the legend, once in the evidence figures (the series as JSON).
    assert text.count("<b>bold</b> & [U+4E2D][U+56FD]") == 2
    assert "outside the report's font" in text
    plain = _pdf_text(render_pdf_report([_finding(MIRROR)], _scope()))
    assert "outside the report's font" not in plain


def test_the_drawing_fits_the_frame_and_grows_with_the_legend() -> None:
    two = chart_drawing(_chart(), width=FRAME_WIDTH)
    three = chart_drawing(
        _chart({"series": {**MIRROR["series"], "third": [[2019, 1.0]]}}), width=FRAME_WIDTH
    )
    assert two.width == three.width == FRAME_WIDTH
    assert three.height > two.height
    strings = [s.text for s in two.getContents() if hasattr(s, "text")]
    assert EXPORTS in strings and IMPORTS in strings and "US$20 M" in strings
