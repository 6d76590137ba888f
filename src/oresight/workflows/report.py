"""Write a workspace's due-diligence report (HTML) from its stored findings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from oresight.custody.lineage import build_lineage, lots_of
from oresight.reports.html import ReportScope, render_html_report, supply_chain_tiers
from oresight.store import repository
from oresight.store.database import Workspace
from oresight.workflows.assess import latest_risk

REPORT_FILE = "report.html"


def write_html_report(
    workspace: Workspace, *, out: Path | None = None, title: str | None = None
) -> Path:
    """Render the report of the workspace's current findings to ``out`` and return its path."""
    with workspace.transaction() as session:
        findings = repository.load_findings(session)
        events = repository.load_events(session)
        sites = repository.load_sites(session)
        counts = repository.counts(session)
        sources = repository.ingested_sources(session)
    lots = lots_of(build_lineage(events))
    minerals = sorted({lot.mineral.value for lot in lots if lot.mineral is not None})
    scope = ReportScope(
        title=title or "Supply-chain due-diligence assessment",
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
    target = out or workspace.reports_dir / REPORT_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    risk, gaps = latest_risk(workspace)
    html = render_html_report(
        findings,
        scope,
        risk=None if risk is None else risk.model_dump(mode="json"),
        gaps=gaps,
    )
    target.write_text(html, encoding="utf-8")
    return target
