"""The PDF due-diligence report: sections and outline, content, internal links, hostile text.

Each PDF is read back with pypdf: its outline, its text (with where each line is drawn) and its
link annotations, so the tests check what a reader of the file would see and click.
"""

from __future__ import annotations

import io
import re
import shutil
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import reportlab
from pypdf import PdfReader
from pypdf.generic import Destination
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth

from oresight.core.errors import InvalidInput
from oresight.core.findings import (
    DataGap,
    Evidence,
    EvidenceKind,
    Finding,
    FindingCode,
    Period,
    Severity,
    Subject,
    SubjectType,
)
from oresight.core.sites import Licence, Site, SiteKind
from oresight.reports.html import ReportScope, supply_chain_tiers
from oresight.reports.pdf import FONT, MARGIN, NO_FINDINGS, render_pdf_report
from oresight.reports.pdf_layout import load_font
from oresight.risk.catalogue import load_catalogue
from oresight.risk.profiles import load_profile
from oresight.risk.scoring import score_findings

GENERATED_AT = datetime(2024, 6, 1, 12, 30, tzinfo=UTC)


def _finding(
    code: FindingCode, severity: Severity, subject_id: str, title: str, **extra: Any
) -> Finding:
    fields: dict[str, Any] = {
        "code": code,
        "subject": Subject(type=SubjectType.LOT, id=subject_id, label=f"Lot {subject_id}"),
        "severity": severity,
        "confidence": 0.8,
        "title": title,
        "explanation": f"Why {subject_id} is flagged: 42.0 t shipped where 10.0 t was possible.",
        "evidence": (
            Evidence(
                kind=EvidenceKind.EVENT,
                id=f"urn:uuid:ev-{subject_id}",
                note="Shipping event",
                data={"shipped_t": 42.0, "capacity_t": 10.0},
            ),
            Evidence(kind=EvidenceKind.SITE, id=f"site:for-{subject_id}"),
        ),
        "rule": f"rule.{code.value.lower()}",
        "rule_version": "2.1",
        "period": Period(
            start=datetime(2024, 1, 1, tzinfo=UTC), end=datetime(2024, 3, 1, tzinfo=UTC)
        ),
    }
    return Finding(**{**fields, **extra})


FINDINGS = (
    _finding(FindingCode.TRADE_ROUTE_SHIFT, Severity.LOW, "low-1", "Route moved to a new hub"),
    _finding(FindingCode.CUSTODY_MASS_BALANCE, Severity.CRITICAL, "crit-1", "More tin out than in"),
    _finding(FindingCode.ORIGIN_CAHRA, Severity.MEDIUM, "med-1", "Mined in a conflict area"),
    _finding(FindingCode.PARTY_SANCTIONED, Severity.HIGH, "high-1", "Buyer on a sanctions list"),
    _finding(FindingCode.CUSTODY_BROKEN_CHAIN, Severity.HIGH, "high-2", "Lot with no origin"),
)
"""One finding of each severity (two high), each with its own code and title."""

LICENCE = Licence(number="PE 4711", valid_from=date(2019, 1, 1), valid_to=date(2029, 12, 31))
SITES = (
    Site(id="site:mine-b", kind=SiteKind.MINE, name="Mine B", country="CD", operator="ftm:op-1",
         licence=LICENCE),
    Site(id="site:trader-1", kind=SiteKind.TRADER, name="Trader", country="CD"),
    Site(id="site:smelter-1", kind=SiteKind.SMELTER, name="Smelter One", country="CN"),
    Site(id="site:pa-1", kind=SiteKind.PROTECTED_AREA, name="Kahuzi-Biega"),
)  # fmt: skip

GAPS = (
    DataGap(
        rule="origin.transit_country",
        missing="USGS production tables",
        explanation="Exports could not be compared with production: run assess --production.",
    ),
)


def _scope(sites: tuple[Site, ...] = SITES, **extra: Any) -> ReportScope:
    scope = ReportScope(
        title="Cobalt due diligence, Q1 2024",
        workspace="ws-cobalt",
        generated_at=GENERATED_AT,
        period_start=datetime(2024, 1, 1, tzinfo=UTC),
        period_end=datetime(2024, 3, 31, tzinfo=UTC),
        counts={"events": 120, "lots": 14, "sites": len(sites), "parties": 7},
        minerals=("cobalt", "copper"),
        tiers=supply_chain_tiers(sites),
        sources=("events-q1.jsonld", "sites.geojson"),
    )
    return replace(scope, **extra)


def _risk(findings: tuple[Finding, ...] = FINDINGS) -> dict[str, Any]:
    assessment = score_findings(findings, load_profile("oecd-3tg"), catalogue=load_catalogue())
    return assessment.model_dump(mode="json")


@dataclass(frozen=True)
class Run:
    """One piece of text as drawn: page index, baseline position, font and size."""

    page: int
    x: float
    y: float
    font: str
    size: float
    text: str


@dataclass(frozen=True)
class Link:
    page: int
    rect: tuple[float, float, float, float]
    target_page: int
    target_y: float


class Read:
    """A rendered PDF read back."""

    def __init__(self, pdf: bytes) -> None:
        assert pdf.startswith(b"%PDF-")
        self.reader = PdfReader(io.BytesIO(pdf))
        self.pages = [page.extract_text() for page in self.reader.pages]

    @property
    def text(self) -> str:
        """All text, lines joined with spaces (sentences that wrap read whole)."""
        return re.sub(r"\s+", " ", " ".join(self.pages))

    @property
    def unbroken(self) -> str:
        """All text with line breaks removed (identifiers that wrap read whole)."""
        return "".join("".join(self.pages).split("\n"))

    def outline(self) -> list[tuple[int, str, int]]:
        """(level, title, page index) of every outline entry, in order."""
        found: list[tuple[int, str, int]] = []

        def walk(entries: list[Any], level: int) -> None:
            for entry in entries:
                if isinstance(entry, list):
                    walk(entry, level + 1)
                else:
                    assert isinstance(entry, Destination)
                    page = self.reader.get_destination_page_number(entry)
                    assert page is not None, f"outline entry {entry.title!r} points at no page"
                    found.append((level, str(entry.title), page))

        walk(self.reader.outline, 0)
        return found

    def runs(self) -> list[Run]:
        found: list[Run] = []
        for index, page in enumerate(self.reader.pages):

            def visit(text: str, cm: Any, tm: Any, font: Any, size: float, i: int = index) -> None:
                if not text.strip():
                    return
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                name = str(font.get("/BaseFont", "")) if font else ""
                found.append(Run(i, x, y, name, size, text.strip("\n")))

            page.extract_text(visitor_text=visit)
        return found

    def links(self) -> list[Link]:
        page_numbers = {page.indirect_reference: i for i, page in enumerate(self.reader.pages)}
        found: list[Link] = []
        for index, page in enumerate(self.reader.pages):
            for ref in page.get("/Annots") or []:
                annotation = ref.get_object()
                assert annotation["/Subtype"] == "/Link"
                assert "/URI" not in str(annotation.get("/A", "")), "links stay in the document"
                target, fit, _, top = annotation["/Dest"][:4]
                assert fit == "/XYZ"
                x1, y1, x2, y2 = (float(v) for v in annotation["/Rect"])
                found.append(Link(index, (x1, y1, x2, y2), page_numbers[target], float(top)))
        return found


@pytest.fixture(scope="module")
def full() -> Read:
    return Read(render_pdf_report(FINDINGS, _scope(), risk=_risk(), gaps=GAPS))


def test_sections_are_outline_entries_in_the_html_reports_order(full: Read) -> None:
    outline = full.outline()
    sections = [(title, page) for level, title, page in outline if level == 0]
    assert [title for title, _ in sections] == [
        "Scope",
        "Summary",
        "Risk assessment",
        "Checks not made (data gaps)",
        "Supply chain",
        "Findings",
    ]
    pages = [page for _, _, page in outline]
    assert pages == sorted(pages), "outline entries follow the document"
    subsections = [title for level, title, _ in outline if level == 1]
    assert subsections == [
        "By code",
        "At a glance",
        "Scores by subject",
        "Escalations",
        "Recommended measures",
        "Extraction",
        "Trading",
        "Smelting & refining",
        "Protected areas",
        "Critical: 1 finding",
        "High: 2 findings",
        "Medium: 1 finding",
        "Low: 1 finding",
    ]
    per_finding = [title for level, title, _ in outline if level == 2]
    assert per_finding == [
        "CUSTODY.MASS_BALANCE — More tin out than in",
        "CUSTODY.BROKEN_CHAIN — Lot with no origin",
        "PARTY.SANCTIONED — Buyer on a sanctions list",
        "ORIGIN.CAHRA — Mined in a conflict area",
        "TRADE.ROUTE_SHIFT — Route moved to a new hub",
    ]


def test_pages_are_a4_numbered_and_titled(full: Read) -> None:
    total = len(full.reader.pages)
    assert total >= 3
    for number, (page, text) in enumerate(zip(full.reader.pages, full.pages, strict=True), 1):
        assert float(page.mediabox.width) == pytest.approx(A4[0], abs=0.01)
        assert float(page.mediabox.height) == pytest.approx(A4[1], abs=0.01)
        assert f"Page {number} of {total}" in text
    metadata = full.reader.metadata
    assert metadata is not None and metadata.title == "Cobalt due diligence, Q1 2024"


def test_scope_summary_and_supply_chain_are_shown(full: Read) -> None:
    text = full.text
    for shown in (
        "ws-cobalt",
        "2024-06-01 12:30 UTC",
        "2024-01-01 00:00 UTC to 2024-03-31 00:00 UTC",
        "120 events · 14 lots · 4 sites · 7 parties",
        "cobalt, copper",
        "events-q1.jsonld · sites.geojson",
        "Mine B site:mine-b CD mine",
        "PE 4711 2019-01-01 to 2029-12-31 ftm:op-1",
        "Kahuzi-Biega",
    ):
        assert shown in text
    assert re.search(r"5 findings 1 CRITICAL 2 HIGH 1 MEDIUM 1 LOW", text)
    assert "CUSTODY.BROKEN_CHAIN 1 CUSTODY.MASS_BALANCE 1" in text
    assert "No findings" not in text


def test_every_finding_is_shown_with_its_explanation_and_evidence(full: Read) -> None:
    text, unbroken = full.text, full.unbroken
    findings_part = text[text.index("Severity says how serious") :]
    for finding in FINDINGS:
        assert finding.id in unbroken
        assert finding.title in findings_part
        assert finding.explanation in findings_part
        assert f"{finding.rule} version 2.1" in findings_part
        for item in finding.evidence:
            assert item.id in findings_part
    assert findings_part.count("capacity t: 10.0 shipped t: 42.0") == len(FINDINGS)
    assert "2024-01-01 00:00 UTC to 2024-03-01 00:00 UTC" in findings_part
    # Most severe first: critical, then the two high ones by code, medium, low.
    positions = [findings_part.index(f"Why {s} is flagged") for s in ("crit-1", "high-2", "high-1")]
    assert positions == sorted(positions)


def test_scores_escalations_and_measures_are_shown(full: Read) -> None:
    risk = _risk()
    text = full.text
    chain = risk["supply_chain"]
    assert f"{chain['score']:g} supply-chain score" in text
    assert f"{chain['band'].upper()} band" in text
    assert risk["strongest_response"].replace("_", " ") in text
    assert risk["profile_title"] in text
    for subject in risk["subjects"]:
        for part in subject["contributions"]:
            assert (
                f"{part['code']}: {part['points']:g} = {part['weight']:g} × "
                f"{part['severity_factor']:g} ({part['severity']}) × {part['confidence']:.2f}"
            ) in text
    assert risk["escalations"], "the profile escalates a sanctioned party"
    for escalation in risk["escalations"]:
        assert escalation["description"] in text
    for rec in risk["recommendations"]:
        assert f"OECD step {rec['oecd_step']}" in text
        for measure in rec["mitigation"]:
            assert measure in text
    gaps = text[text.index("Checks not made") :]
    assert "origin.transit_country USGS production tables" in gaps
    assert "They are not passes" in gaps


def _width(run: Run, text: str) -> float:
    return stringWidth(text, "VeraBd" if "Bold" in run.font else FONT, run.size)


def _text_in(runs: list[Run], page: int, rect: tuple[float, float, float, float]) -> str:
    """The text drawn inside ``rect``: a link's label, cut out of its line by glyph widths."""
    x1, y1, x2, y2 = rect
    pieces = []
    for run in runs:
        if run.page != page or not y1 - 1 <= run.y <= y2 + 1:
            continue
        start = next(
            (i for i in range(len(run.text)) if run.x + _width(run, run.text[:i]) >= x1 - 0.5),
            len(run.text),
        )
        end = max(
            (j for j in range(len(run.text) + 1) if run.x + _width(run, run.text[:j]) <= x2 + 0.5),
            default=0,
        )
        pieces.append(run.text[start:end].strip())
    return " ".join(p for p in pieces if p)


def _finding_below(runs: list[Run], page: int, top: float) -> str:
    """The first finding id drawn after the point ``top`` on ``page``, reading on."""
    after = sorted(
        (r for r in runs if r.page > page or (r.page == page and r.y < top)),
        key=lambda r: (r.page, -r.y),
    )
    return next(m.group(0) for r in after if (m := re.fullmatch(r"f-[0-9a-f]{20}", r.text)))


def test_every_link_lands_on_its_finding(full: Read) -> None:
    runs = full.runs()
    links = full.links()
    by_name = {}
    for finding in FINDINGS:
        by_name[finding.title] = finding.id
        by_name[finding.code.value] = finding.id
        by_name[finding.id] = finding.id
    risk = _risk()
    contributions = sum(len(s["contributions"]) for s in risk["subjects"])
    escalated = sum(len(e["finding_ids"]) for e in risk["escalations"])
    expected = len(FINDINGS) + contributions + escalated + len(risk["recommendations"])
    assert len(links) == expected
    targets: dict[str, set[tuple[int, float]]] = {}
    for link in links:
        label = _text_in(runs, link.page, link.rect)
        assert label in by_name, f"link text {label!r} names no finding"
        assert _finding_below(runs, link.target_page, link.target_y) == by_name[label]
        targets.setdefault(by_name[label], set()).add((link.target_page, link.target_y))
    # Every finding is linked to, and every link to one finding lands at the same place.
    assert set(targets) == {f.id for f in FINDINGS}
    assert all(len(places) == 1 for places in targets.values())


def test_empty_report_says_no_findings_and_not_proof_of_clean() -> None:
    read = Read(render_pdf_report([], _scope(())))
    text = read.text
    assert "No findings." in text
    assert NO_FINDINGS in text
    assert "not proof that the material is clean" in text
    assert "No sites are recorded in this workspace." in text
    assert "Every rule had the data it needed." in text
    assert [title for _, title, _ in read.outline()] == [
        "Scope",
        "Summary",
        "Checks not made (data gaps)",
        "Supply chain",
        "Findings",
    ]
    assert read.links() == []


def test_accents_and_signs_render_and_missing_glyphs_are_replaced_openly() -> None:
    site = Site(id="site:séc", kind=SiteKind.MINE, name="Société Minière de Bakwanga")
    plain = Read(render_pdf_report(FINDINGS[:1], _scope((site,)), risk=_risk(FINDINGS[:1])))
    assert "Société Minière de Bakwanga" in plain.text
    assert " × " in plain.text and "—" in plain.text
    assert "outside the report's font" not in plain.text
    unusual = _finding(
        FindingCode.PARTY_SANCTIONED,
        Severity.HIGH,
        "p-1",
        "Owner Łódź Zbąszyń ≥ 25 % of 中国 mining",
    )
    read = Read(render_pdf_report([unusual], _scope((site,))))
    # Vera draws Ł and ≥; ą and ź have base letters; a CJK character is named by code point.
    assert "Owner Łódz Zbaszyn ≥ 25 % of [U+4E2D][U+56FD] mining" in read.text
    assert "outside the report's font" in read.text
    assert "The findings document (JSON) holds the exact text." in read.text


def _assert_within_page(read: Read) -> None:
    right = A4[0] - MARGIN + 1
    for run in read.runs():
        font = "VeraBd" if "Bold" in run.font else FONT
        end = run.x + stringWidth(run.text.rstrip(), font, run.size)
        assert end <= right, f"page {run.page + 1}: {run.text[:40]!r} runs to x={end:.0f}"


def test_full_report_stays_within_the_page(full: Read) -> None:
    _assert_within_page(full)


def test_hostile_text_is_shown_as_text_and_long_ids_wrap() -> None:
    long_id = "urn:epc:class:lgtin:" + "4012345" * 60
    script = "<script>alert(1)</script> & </para><a href='https://evil.example'>x</a>"
    hostile = _finding(
        FindingCode.PARTY_SANCTIONED,
        Severity.HIGH,
        long_id,
        script,
        explanation=f"{script} " + "E" * 3000,
        evidence=(
            Evidence(kind=EvidenceKind.EVENT, id=long_id, note="N" * 5000, data={"<k>": "<v>"}),
        ),
    )
    site = Site(id="site:<img src=x>" + "s" * 400, kind=SiteKind.MINE, name='"><b>bold</b>')
    scope = _scope((site,), title="<b>" + "Title " * 2000, workspace="w/" * 500)
    risk = _risk((hostile,))
    risk["escalations"] = [
        {"name": "<x>", "description": "d", "rule": "r", "finding_ids": ["f-unknown", hostile.id]}
    ]
    read = Read(render_pdf_report([hostile], scope, risk=risk, gaps=GAPS))
    text, unbroken = read.text, read.unbroken
    assert script in text
    assert long_id in unbroken
    assert hostile.id in unbroken
    assert "site:<img src=x>" in unbroken
    assert '"><b>bold</b>' in unbroken
    assert "<k>: <v>" in text
    assert "f-unknown" in text
    _assert_within_page(read)
    # A link is made only to a finding the report holds: never to the unknown id.
    runs = read.runs()
    for link in read.links():
        assert "f-unknown" not in _text_in(runs, link.page, link.rect)
        assert _finding_below(runs, link.target_page, link.target_y) == hostile.id


VERA_DIR = Path(reportlab.__file__).parent / "fonts"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _fonts_drawn(pdf: bytes) -> set[str]:
    """The fonts text is drawn in (PostScript names, without the subset tag)."""
    return {run.font.split("+")[-1] for run in Read(pdf).runs() if run.text.strip()}


def test_a_named_font_family_is_found_by_its_file_names(tmp_path: Path) -> None:
    # A family laid out as most are (Name-Regular, Name-Bold, Name-Oblique): the faces beside
    # the regular file are found, registered and embedded. Its "bold" is Vera Bold Oblique here,
    # so that the headings show which file was used.
    for face, file in (("Regular", "Vera.ttf"), ("Bold", "VeraBI.ttf"), ("Oblique", "VeraIt.ttf")):
        shutil.copy(VERA_DIR / file, tmp_path / f"Family-{face}.ttf")
    font = load_font(tmp_path / "Family-Regular.ttf")
    assert len({font.regular, font.bold, font.italic}) == 3
    pdf = render_pdf_report(FINDINGS[:1], _scope(()), font=font)
    assert _fonts_drawn(pdf) == {"BitstreamVeraSans-Roman", "BitstreamVeraSans-BoldOblique"}
    bundled = render_pdf_report(FINDINGS[:1], _scope(()))
    assert _fonts_drawn(bundled) == {"BitstreamVeraSans-Roman", "BitstreamVeraSans-Bold"}
    alone = load_font(tmp_path / "Family-Regular.ttf", bold=tmp_path / "Family-Regular.ttf")
    assert alone.bold == alone.regular


def test_a_font_that_is_missing_or_no_truetype_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read the font file") as missing:
        load_font(tmp_path / "none.ttf")
    assert missing.value.file == str(tmp_path / "none.ttf")
    bogus = tmp_path / "bogus.ttf"
    bogus.write_bytes(b"OTTO" + bytes(200))
    with pytest.raises(InvalidInput, match="not a TrueType font") as refused:
        load_font(bogus)
    assert refused.value.file == str(bogus.resolve())


@pytest.mark.skipif(not DEJAVU.is_file(), reason=f"no DejaVu Sans on this machine ({DEJAVU})")
def test_a_wider_font_draws_what_the_bundled_one_replaced() -> None:
    unusual = _finding(
        FindingCode.PARTY_SANCTIONED, Severity.HIGH, "p-1", "Owner Łódź Zbąszyń Дмитрий"
    )
    read = Read(render_pdf_report([unusual], _scope(()), font=load_font(DEJAVU)))
    assert "Owner Łódź Zbąszyń Дмитрий" in read.text
    assert "outside the report's font" not in read.text
