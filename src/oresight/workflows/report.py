"""Write a workspace's due-diligence report, HTML or PDF, from its stored assessment.

Both formats are rendered from the same gathered data (:func:`gather_report`), so they always show
the same findings, scope, scores and data gaps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oresight.core.errors import InvalidInput
from oresight.core.findings import DataGap, Finding
from oresight.custody.lineage import build_lineage, lots_of
from oresight.reports.html import ReportScope, render_html_report, supply_chain_tiers
from oresight.reports.pdf import render_pdf_report
from oresight.reports.pdf_layout import load_font
from oresight.store import repository
from oresight.store.database import Workspace
from oresight.workflows.assess import latest_risk
from oresight.workflows.choices import ReportFormat

DEFAULT_TITLE = "Supply-chain due-diligence assessment"


REPORT_FILE = ReportFormat.HTML.default_file


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows, read from a workspace once."""

    findings: tuple[Finding, ...]
    scope: ReportScope
    risk: Mapping[str, Any] | None
    """The last assessment's scores as JSON-ready data; none if it was never scored."""
    gaps: tuple[DataGap, ...]


def gather_report(workspace: Workspace, *, title: str | None = None) -> ReportData:
    """Read the workspace's findings, scope, last risk assessment and data gaps for a report."""
    with workspace.transaction() as session:
        findings = repository.load_findings(session)
        events = repository.load_events(session)
        sites = repository.load_sites(session)
        counts = repository.counts(session)
        sources = repository.ingested_sources(session)
    lots = lots_of(build_lineage(events))
    minerals = sorted({lot.mineral.value for lot in lots if lot.mineral is not None})
    scope = ReportScope(
        title=title or DEFAULT_TITLE,
        workspace=str(workspace.path.resolve()),
        generated_at=datetime.now(UTC),
        period_start=events[0].event_time if events else None,
        period_end=max((e.event_time for e in events), default=None),
        counts={
            "events": counts["events"],
            "lots": len(lots),
            "sites": counts["sites"],
            "parties": counts["parties"],
            "findings": len(findings),
        },
        minerals=tuple(minerals),
        tiers=supply_chain_tiers(sites),
        sources=tuple(Path(s).name for s in sources),
    )
    risk, gaps = latest_risk(workspace)
    return ReportData(
        findings=tuple(findings),
        scope=scope,
        risk=None if risk is None else risk.model_dump(mode="json"),
        gaps=tuple(gaps),
    )


def write_report(
    workspace: Workspace,
    *,
    format: ReportFormat = ReportFormat.HTML,
    out: Path | None = None,
    title: str | None = None,
    font: Path | None = None,
) -> Path:
    """Render the report of the workspace's current findings in ``format`` to ``out`` (default
    ``<workspace>/reports/report.<format>``) and return its path. ``font``: a TrueType file to
    set the PDF in (its bold and italic faces found beside it), for scripts the bundled font
    lacks."""
    if font is not None and format is not ReportFormat.PDF:
        raise InvalidInput("a font applies to the PDF report only (--format pdf)", field="font")
    family = load_font(font) if font is not None else None
    data = gather_report(workspace, title=title)
    target = out or workspace.reports_dir / format.default_file
    target.parent.mkdir(parents=True, exist_ok=True)
    if format is ReportFormat.PDF:
        pdf = render_pdf_report(
            data.findings, data.scope, risk=data.risk, gaps=data.gaps, font=family
        )
        target.write_bytes(pdf)
    else:
        html = render_html_report(data.findings, data.scope, risk=data.risk, gaps=data.gaps)
        target.write_text(html, encoding="utf-8")
    return target


def write_html_report(
    workspace: Workspace, *, out: Path | None = None, title: str | None = None
) -> Path:
    """Write the HTML report to ``out`` (default ``<workspace>/reports/report.html``)."""
    return write_report(workspace, format=ReportFormat.HTML, out=out, title=title)


def write_pdf_report(
    workspace: Workspace, *, out: Path | None = None, title: str | None = None
) -> Path:
    """Write the PDF report to ``out`` (default ``<workspace>/reports/report.pdf``)."""
    return write_report(workspace, format=ReportFormat.PDF, out=out, title=title)
