"""The due-diligence report as PDF: the HTML report's content and order, on A4 pages.

The sections follow the HTML report (``oresight.reports.html``), shaped for OECD step 5: the scope,
a summary, the risk assessment (scores with each finding's contribution, escalations, recommended
responses and mitigation measures), the checks not made for lack of data, the supply chain by tier,
and every finding with its explanation and evidence, most severe first. Every summary row, score
contribution, escalation and recommendation is an internal link to its finding; every section,
tier, severity group and finding is an entry in the PDF outline; each page is numbered.

Text is set in Bitstream Vera, which ships inside reportlab, so the PDF looks the same wherever it
is made and needs no system fonts. Vera draws Latin-1 and the usual typographic signs (× ≥ — …);
a character outside it is written as its base letter where it has one (ő as o) and otherwise as
its code point ("[U+4E2D]"), never dropped silently, and the report then says so. The findings
document (JSON) holds the exact text. Everything drawn from data is escaped before reportlab reads
it as paragraph markup.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from oresight.core.findings import DataGap, Finding, Severity
from oresight.reports.charts import chart_drawing, finding_chart
from oresight.reports.findings_io import sort_findings
from oresight.reports.formatting import (
    display_name,
    evidence_figures,
    format_licence_validity,
    format_period,
    format_time,
)
from oresight.reports.html import ReportScope
from oresight.reports.maps import finding_map, map_drawing
from oresight.reports.pdf_layout import (
    FONT,
    FRAME_WIDTH,
    LEVEL_COLOURS,
    LINK,
    MARGIN,
    MUTED,
    PANEL,
    ROOM_BELOW,
    RULE,
    Cell,
    Document,
    Heading,
    ReportFont,
    Styles,
    Text,
    bundled_font,
    shorten,
)

NO_FINDINGS = (
    "None of the rules that were run raised a red flag on the data in scope. This is not proof "
    "that the material is clean: it covers only the records, sources and period stated above."
)


def render_pdf_report(
    findings: Sequence[Finding],
    scope: ReportScope,
    *,
    risk: Mapping[str, Any] | None = None,
    gaps: Sequence[DataGap] = (),
    font: ReportFont | None = None,
) -> bytes:
    """Render the due-diligence report as an A4 PDF document and return its bytes.

    Takes what :func:`oresight.reports.html.render_html_report` takes and shows the same content in
    the same order. ``risk`` is the risk engine's assessment as JSON-ready data. ``font``: the
    family to set it in (:func:`~oresight.reports.pdf_layout.load_font`), by default the bundled
    Bitstream Vera."""
    ordered = sort_findings(findings)
    font = font or bundled_font()
    # The first pass counts the pages so that the second can number them "page n of m".
    _, pages = _build(ordered, scope, risk, list(gaps), font=font, total_pages=None)
    pdf, _ = _build(ordered, scope, risk, list(gaps), font=font, total_pages=pages)
    return pdf


def _build(
    findings: list[Finding],
    scope: ReportScope,
    risk: Mapping[str, Any] | None,
    gaps: list[DataGap],
    *,
    font: ReportFont,
    total_pages: int | None,
) -> tuple[bytes, int]:
    writer = _Writer(findings, font)
    story = [
        *writer.scope(scope),
        *writer.summary(findings),
        *(writer.risk(risk) if risk else []),
        *writer.gaps(gaps),
        *writer.supply_chain(scope),
        *writer.findings(findings),
        *writer.closing(scope),
    ]
    buffer = io.BytesIO()
    footer = writer.text.printable(f"{scope.title} — {format_time(scope.generated_at)}")
    document = Document(
        buffer, title=scope.title, footer=footer, total_pages=total_pages, font=font
    )
    document.build(story)
    return buffer.getvalue(), document.page


class _Writer:
    """Builds the report's flowables, section by section, in the HTML report's order."""

    def __init__(self, findings: Sequence[Finding], font: ReportFont) -> None:
        self.text = Text(font)
        self.styles = Styles(font)
        self.anchors: dict[str, str] = {}
        for number, finding in enumerate(findings, start=1):
            self.anchors.setdefault(finding.id, f"finding-{number}")
        self._headings = 0

    # -- building blocks -------------------------------------------------------------------------

    def heading(
        self,
        markup: str,
        style: ParagraphStyle,
        level: int,
        *,
        title: str,
        key: str | None = None,
        room: float | None = None,
    ) -> list[Flowable]:
        """A heading, moved to the next page unless there is room below it to start what follows
        (a heading never ends a page, and a long table after it still starts on this one)."""
        self._headings += 1
        heading = Heading(markup, style, key or f"section-{self._headings}", title, level)
        return [CondPageBreak(room or ROOM_BELOW[level]), heading]

    def link(self, finding_id: str, markup: str) -> str:
        """``markup`` as a link to the finding; plain where the report does not hold it."""
        key = self.anchors.get(finding_id)
        return f'<a href="#{key}" color="{LINK}">{markup}</a>' if key else markup

    def para(self, markup: str, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(markup, style or self.styles.cell)

    def table(
        self,
        header: Sequence[str] | None,
        rows: Sequence[Sequence[Cell]],
        widths: Sequence[float],
        *,
        numeric: Sequence[int] = (),
    ) -> Table:
        """A table spanning the frame; ``widths`` are fractions of it; cells wrap."""
        data: list[list[Flowable | list[Flowable]]] = []
        if header is not None:
            data.append([self.para(self.text(h), self.styles.head_cell) for h in header])
        for row in rows:
            data.append(
                [
                    self.para(cell, self.styles.cell_num if i in numeric else self.styles.cell)
                    if isinstance(cell, str)
                    else cell
                    for i, cell in enumerate(row)
                ]
            )
        commands: list[Any] = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ]
        if header is not None:
            commands.append(("BACKGROUND", (0, 0), (-1, 0), PANEL))
        table = Table(
            data,
            colWidths=[w * FRAME_WIDTH for w in widths],
            repeatRows=1 if header is not None else 0,
            splitInRow=1,
            hAlign="LEFT",
        )
        table.setStyle(TableStyle(commands))
        return table

    def badge(self, level: str) -> str:
        colour = LEVEL_COLOURS.get(level, "#5c666d")
        return (
            f'<font backColor="{colour}" color="#ffffff"><b> {self.text(level.upper())} </b></font>'
        )

    def boxes(self, cells: Sequence[tuple[str, str]]) -> Table:
        """Figures in boxes side by side: (big markup, caption markup)."""
        data = [[[self.para(big, self.styles.big), self.para(caption)] for big, caption in cells]]
        table = Table(
            data, colWidths=[FRAME_WIDTH / max(len(cells), 4)] * len(cells), hAlign="LEFT"
        )
        table.setStyle(
            TableStyle([("GRID", (0, 0), (-1, -1), 0.5, RULE), ("VALIGN", (0, 0), (-1, -1), "TOP")])
        )
        return table

    def ids(self, text: str) -> str:
        """An identifier, greyed; too long for its cell, it breaks anywhere, as in the HTML."""
        return f'<font color="#5c666d">{self.text(text)}</font>'

    # -- sections --------------------------------------------------------------------------------

    def scope(self, scope: ReportScope) -> list[Flowable]:
        t = self.text
        counts = " · ".join(f"{n} {t(display_name(name))}" for name, n in scope.counts.items())
        sources = " · ".join(self.ids(s) for s in scope.sources)
        rows: list[Sequence[Cell]] = [
            ["<b>Workspace</b>", self.ids(scope.workspace)],
            ["<b>Generated</b>", t(format_time(scope.generated_at))],
            ["<b>Period assessed</b>", t(format_period(scope.period_start, scope.period_end))],
            ["<b>Records assessed</b>", counts or "none stated"],
            ["<b>Minerals</b>", t(", ".join(scope.minerals)) or "none stated"],
            ["<b>Sources</b>", sources or "none stated"],
        ]
        return [
            *self.heading(t(shorten(scope.title)), self.styles.h1, 0, title="Scope"),
            self.para(
                "Supply-chain due-diligence report generated by oresight.", self.styles.muted_body
            ),
            self.table(None, rows, (0.2, 0.8)),
        ]

    def summary(self, findings: Sequence[Finding]) -> list[Flowable]:
        t = self.text
        counted = [(s, sum(f.severity is s for f in findings)) for s in reversed(Severity)]
        plural = "" if len(findings) == 1 else "s"
        out: list[Flowable] = [
            *self.heading("Summary", self.styles.h2, 0, title="Summary"),
            self.boxes(
                [(str(len(findings)), f"finding{plural}")]
                + [(str(n), self.badge(s.value)) for s, n in counted]
            ),
        ]
        if not findings:
            box = self.table(None, [[f"<b>No findings.</b> {NO_FINDINGS}"]], (1.0,))
            box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.5, MUTED, None, (2, 2))]))
            return [*out, Spacer(1, 6), box]
        by_code: dict[str, int] = {}
        for finding in findings:
            by_code[finding.code.value] = by_code.get(finding.code.value, 0) + 1
        glance: list[Sequence[Cell]] = [
            [
                self.badge(f.severity.value),
                t(f.code.value),
                t(f.subject.label or f.subject.id),
                self.link(f.id, t(f.title)),
                f"{f.confidence:.2f}",
            ]
            for f in findings
        ]
        return [
            *out,
            *self.heading("By code", self.styles.h3, 1, title="By code"),
            self.table(
                ("Code", "Findings"),
                [[t(c), str(n)] for c, n in sorted(by_code.items())],
                (0.5, 0.15),
                numeric=(1,),
            ),
            *self.heading("At a glance", self.styles.h3, 1, title="At a glance"),
            self.table(
                ("Severity", "Code", "Subject", "Title", "Confidence"),
                glance,
                (0.1, 0.32, 0.18, 0.28, 0.12),
                numeric=(4,),
            ),
        ]

    def risk(self, risk: Mapping[str, Any]) -> list[Flowable]:
        t = self.text
        chain = risk["supply_chain"]
        raised = (
            f" (raised by {t(', '.join(chain['escalated_by']))})" if chain["escalated_by"] else ""
        )
        strongest = (risk["strongest_response"] or "none").replace("_", " ")
        out: list[Flowable] = [
            *self.heading("Risk assessment", self.styles.h2, 0, title="Risk assessment"),
            self.para(
                f"Scored under the risk profile <b>{t(risk['profile_title'])}</b> "
                f"({t(risk['profile'])}). {t(str(risk['formula']).capitalize())}.",
                self.styles.body,
            ),
            self.boxes(
                [
                    (f"{chain['score']:g}", "supply-chain score"),
                    (self.badge(chain["band"]), f"band{raised}"),
                    (t(strongest), "strongest recommended response"),
                ]
            ),
        ]
        if risk["subjects"]:
            rows: list[Sequence[Cell]] = []
            for item in risk["subjects"]:
                subject = item["subject"]
                band = self.badge(item["band"])
                if item["escalated_by"]:
                    band += f" (raised by {t(', '.join(item['escalated_by']))})"
                parts: list[Flowable] = [
                    self.para(
                        f"{self.link(p['finding_id'], t(p['code']))}: {p['points']:g} = "
                        f"{p['weight']:g} × {p['severity_factor']:g} ({t(p['severity'])}) × "
                        f"{p['confidence']:.2f}"
                    )
                    for p in item["contributions"]
                ]
                label = f"{t(display_name(subject['type']))}: {t(subject.get('label') or '')} "
                rows.append([label + self.ids(subject["id"]), f"{item['score']:g}", band, parts])
            out += [
                *self.heading("Scores by subject", self.styles.h3, 1, title="Scores by subject"),
                self.table(
                    (
                        "Subject",
                        "Score",
                        "Band",
                        "Contributions (points = weight × severity factor × confidence)",
                    ),
                    rows,
                    (0.32, 0.08, 0.13, 0.47),
                    numeric=(1,),
                ),
            ]
        if risk["escalations"]:
            out += self.heading("Escalations", self.styles.h3, 1, title="Escalations")
            for escalation in risk["escalations"]:
                linked = ", ".join(self.link(i, t(i)) for i in escalation["finding_ids"])
                out.append(
                    self.para(
                        f"• <b>{t(escalation['name'])}</b>: {t(escalation['description'])} "
                        f"(rule: {t(escalation['rule'])}; findings: {linked})",
                        self.styles.body,
                    )
                )
        if risk["recommendations"]:
            out += [
                *self.heading(
                    "Recommended measures (OECD step 3)",
                    self.styles.h3,
                    1,
                    title="Recommended measures",
                ),
                self.table(
                    ("Finding", "Response", "Mitigation"),
                    [self._recommendation(r) for r in risk["recommendations"]],
                    (0.3, 0.28, 0.42),
                ),
            ]
        if risk["excluded"]:
            out += self.heading("Left out by the profile", self.styles.h3, 1, title="Left out")
            out += [
                self.para(
                    f"• {self.link(item['finding_id'], t(item['code']))} on "
                    f"{self.ids(item['subject']['id'])}: {t(item['reason'])}",
                    self.styles.body,
                )
                for item in risk["excluded"]
            ]
        return out

    def _recommendation(self, rec: Mapping[str, Any]) -> list[Cell]:
        t = self.text
        finding = f"{self.link(rec['finding_id'], t(rec['code']))} {t(rec['title'])}<br/>"
        response = f"<b>{t(rec['response'].replace('_', ' '))}</b>"
        if rec["escalated_by"]:
            response += (
                f" (raised from {t(rec['catalogue_response'].replace('_', ' '))} by "
                f"{t(', '.join(rec['escalated_by']))})"
            )
        annex = ", ".join(rec["oecd_annex_ii_risk"]).replace("_", " ")
        response += f"<br/>OECD step {t(rec['oecd_step'])}; Annex II: {t(annex)}"
        measures: list[Flowable] = [self.para(f"• {t(m)}") for m in rec["mitigation"]]
        return [finding + self.ids(rec["subject"]["id"]), response, measures]

    def gaps(self, gaps: Sequence[DataGap]) -> list[Flowable]:
        t = self.text
        out: list[Flowable] = [
            *self.heading(
                "Checks not made (data gaps)",
                self.styles.h2,
                0,
                title="Checks not made (data gaps)",
            )
        ]
        if not gaps:
            return [*out, self.para("Every rule had the data it needed.", self.styles.body)]
        rows: list[Sequence[Cell]] = [
            [
                t(g.rule),
                t(g.missing),
                self.ids(g.subject.id) if g.subject else "—",
                t(g.explanation),
            ]
            for g in gaps
        ]
        return [
            *out,
            self.para(
                "These checks could not be made for lack of data. They are not passes: supply the "
                "data named to have them made.",
                self.styles.body,
            ),
            self.table(
                ("Rule", "Missing", "Subject", "What could not be checked"),
                rows,
                (0.2, 0.2, 0.2, 0.4),
            ),
        ]

    def supply_chain(self, scope: ReportScope) -> list[Flowable]:
        t = self.text
        out = self.heading("Supply chain", self.styles.h2, 0, title="Supply chain")
        if not scope.tiers:
            return [*out, self.para("No sites are recorded in this workspace.", self.styles.body)]
        for tier in scope.tiers:
            rows: list[Sequence[Cell]] = [
                [
                    t(site.name or "—"),
                    self.ids(site.id),
                    t(site.country or "—"),
                    t(display_name(site.kind.value)),
                    t(", ".join(display_name(m.value) for m in site.minerals) or "—"),
                    t(site.licence.number if site.licence else "none recorded"),
                    t(format_licence_validity(site) or "—"),
                    self.ids(site.operator) if site.operator else "—",
                ]
                for site in tier.sites
            ]
            out += [
                *self.heading(
                    t(tier.name), self.styles.h3, 1, title=self.text.printable(tier.name)
                ),
                self.table(
                    (
                        "Name",
                        "Id",
                        "Country",
                        "Kind",
                        "Minerals",
                        "Licence",
                        "Licence valid",
                        "Operator",
                    ),
                    rows,
                    (0.14, 0.16, 0.09, 0.1, 0.11, 0.11, 0.13, 0.16),
                ),
            ]
        return out

    def findings(self, findings: Sequence[Finding]) -> list[Flowable]:
        out: list[Flowable] = [
            *self.heading("Findings", self.styles.h2, 0, title="Findings", room=260),
            self.para(
                "Severity says how serious the red flag would be if it holds; confidence (0 to 1) "
                "says how sure the rule is that it holds on this evidence. Each finding names the "
                "rule and rule version that raised it, so it can be checked by running the same "
                "rule on the same records.",
                self.styles.muted_body,
            ),
        ]
        if not findings:
            return [*out, self.para("No findings.", self.styles.body)]
        for position, finding in enumerate(findings, start=1):
            if position == 1 or finding.severity is not findings[position - 2].severity:
                count = sum(f.severity is finding.severity for f in findings)
                text = f"{count} finding{'' if count == 1 else 's'}"
                title = f"{finding.severity.value.capitalize()}: {text}"
                badge = self.badge(finding.severity.value)
                out += self.heading(f"{badge} {text}", self.styles.h3, 1, title=title, room=180)
            out += self._finding(finding, key=f"finding-{position}")
        return out

    def _finding(self, finding: Finding, *, key: str) -> list[Flowable]:
        t = self.text
        heading = f"{finding.code.value} — {shorten(finding.title)}"
        subject = finding.subject
        label = f"{t(subject.label)} " if subject.label else ""
        rows: list[Sequence[Cell]] = [
            ["Subject", f"{t(display_name(subject.type.value))}: {label}{self.ids(subject.id)}"],
            ["Severity", t(finding.severity.value)],
            ["Confidence", f"{finding.confidence:.2f}"],
            ["Rule", f"{t(finding.rule)} version {t(finding.rule_version)}"],
            ["Period", t(format_period(finding.period.start, finding.period.end))],
            ["Finding id", self.ids(finding.id)],
        ]
        evidence: list[Sequence[Cell]] = []
        for item in finding.evidence:
            figures: Cell = "—"
            if item.data:
                figures = [
                    self.para(f"{t(display_name(key))}: {t(text)}")
                    for key, text in evidence_figures(item.data)
                ]
            evidence.append(
                [t(display_name(item.kind.value)), self.ids(item.id), t(item.note or "—"), figures]
            )
        return [
            *self.heading(
                f"{self.badge(finding.severity.value)} {t(heading)}",
                self.styles.h4,
                2,
                title=t.printable(heading),
                key=key,
            ),
            self.table(None, rows, (0.16, 0.84)),
            Spacer(1, 3),
            self.para(t(finding.explanation), self.styles.body),
            *self.chart(finding),
            *self.map(finding),
            self.table(("Evidence", "Id", "Note", "Figures"), evidence, (0.12, 0.3, 0.24, 0.34)),
        ]

    def chart(self, finding: Finding) -> list[Flowable]:
        """The finding's time series as a chart; nothing when its evidence holds none."""
        chart = finding_chart(finding)
        if chart is None:
            return []
        font = self.styles.cell.fontName
        return [chart_drawing(chart, width=FRAME_WIDTH, font=font, text=self.text.printable)]

    def map(self, finding: Finding) -> list[Flowable]:
        """The finding's before/after maps; nothing when its evidence holds none."""
        drawn = finding_map(finding)
        if drawn is None:
            return []
        return [map_drawing(drawn, width=FRAME_WIDTH, font=self.styles.cell.fontName)]

    def closing(self, scope: ReportScope) -> list[Flowable]:
        t = self.text
        out: list[Flowable] = [
            Spacer(1, 12),
            self.para(
                f"Generated {t(format_time(scope.generated_at))} by oresight from workspace "
                f"{self.ids(scope.workspace)}. Every finding carries the ids of the records it "
                "rests on; the machine-readable findings document (JSON) of the same workspace "
                "holds the same findings with the same ids.",
                self.styles.muted_body,
            ),
        ]
        if t.replaced:
            out.append(
                self.para(
                    "Some characters in the data lie outside the report's font; they are shown as "
                    "their base letter or as their code point ([U+XXXX]). The findings document "
                    "(JSON) holds the exact text. Set the report in a font that draws them with "
                    "oresight report --format pdf --font FILE.TTF.",
                    self.styles.muted_body,
                )
            )
        return out


__all__ = ["FONT", "FRAME_WIDTH", "MARGIN", "NO_FINDINGS", "render_pdf_report"]
