"""How the CLI shows results: Rich tables for people, JSON or CSV for machines."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from oresight.core.findings import DataGap, Finding, Severity

if TYPE_CHECKING:
    from oresight.workflows.ingest import IngestSummary

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
}


class OutputFormat(StrEnum):
    """How findings are printed."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="How to print the findings.")
]
OutFileOption = Annotated[
    Path | None, typer.Option("--out", "-o", help="Write the findings to this file.")
]


def findings_table(findings: Sequence[Finding], *, title: str) -> Table:
    """A table of findings, one row each, most severe first."""
    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("severity")
    table.add_column("code", no_wrap=True)
    table.add_column("subject", overflow="fold")
    table.add_column("conf.", justify="right")
    table.add_column("title", overflow="fold")
    for finding in findings:
        table.add_row(
            f"[{SEVERITY_STYLE[finding.severity]}]{finding.severity.value}[/]",
            finding.code.value,
            f"{finding.subject.type.value}: {finding.subject.id}",
            f"{finding.confidence:.2f}",
            finding.title,
        )
    return table


def code_summary_table(findings: Sequence[Finding], *, title: str) -> Table:
    """One row per finding code: how many findings, and the most severe of them."""
    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("code", no_wrap=True)
    table.add_column("findings", justify="right")
    table.add_column("most severe")
    by_code: dict[str, list[Finding]] = {}
    for finding in findings:
        by_code.setdefault(finding.code.value, []).append(finding)
    for code, group in sorted(by_code.items()):
        worst = max((f.severity for f in group), key=lambda severity: severity.rank)
        table.add_row(code, str(len(group)), f"[{SEVERITY_STYLE[worst]}]{worst.value}[/]")
    return table


def ingest_table(summary: IngestSummary) -> Table:
    """A table of what each ingested file added, and of the files passed over."""
    results = summary.files
    root = _common_folder([r.path for r in results] + summary.skipped)
    caption = (
        f"passed over (not a data format): {', '.join(_short(p, root) for p in summary.skipped)}"
        if summary.skipped
        else None
    )
    table = Table(title=f"Ingested from {root}" if root else "Ingested", caption=caption)
    for column in ("file", "format", "records", "added", "unchanged", "updated"):
        if column == "file":
            table.add_column(column, overflow="fold")
        else:
            table.add_column(column, justify="left" if column == "format" else "right")
    for r in results:
        table.add_row(
            _short(r.path, root),
            r.format.value,
            str(r.records),
            str(r.added),
            str(r.unchanged),
            str(r.updated),
        )
    return table


MAX_GAPS_LISTED = 5


def emit_checks(
    findings: Sequence[Finding],
    gaps: Sequence[DataGap],
    *,
    severity: Severity | None,
    fmt: OutputFormat,
    out: Path | None,
    workspace: str,
    title: str,
    console: Console,
    gap_console: Console,
) -> None:
    """A pillar's findings (those of ``severity`` or higher) and the checks it could not make:
    a few gaps are printed in full on ``gap_console``, many summed up (all are in the JSON)."""
    shown = [f for f in findings if severity is None or f.severity.at_least(severity)]
    emit_findings(
        shown, fmt=fmt, out=out, workspace=workspace, console=console, title=title, gaps=gaps
    )
    if not gaps or fmt is not OutputFormat.TABLE:
        return
    if len(gaps) <= MAX_GAPS_LISTED:
        for gap in gaps:
            gap_console.print(f"data gap: {gap.explanation}", markup=False, highlight=False)
        return
    gap_console.print(
        f"{len(gaps)} check(s) lacked data, e.g. {gaps[0].missing}: "
        "see `data_gaps` with --format json.",
        markup=False,
        highlight=False,
    )


def emit_findings(
    findings: Sequence[Finding],
    *,
    fmt: OutputFormat,
    out: Path | None,
    workspace: str,
    console: Console,
    title: str,
    gaps: Sequence[DataGap] = (),
    risk: Mapping[str, Any] | None = None,
) -> None:
    """Print findings to the console, or write them to ``out``, in the chosen format (the JSON
    document also carries the data gaps and the risk assessment)."""
    if fmt is OutputFormat.TABLE:
        if out is None:
            if findings:
                console.print(findings_table(findings, title=title))
            else:
                console.print(f"{title}: no findings.")
            return
        buffer = io.StringIO()
        Console(file=buffer, width=160, no_color=True).print(findings_table(findings, title=title))
        out.write_text(buffer.getvalue(), encoding="utf-8")
        return
    from oresight.reports.findings_io import findings_to_csv, findings_to_json

    text = (
        findings_to_json(
            findings, workspace=workspace, generated_at=datetime.now(UTC), gaps=gaps, risk=risk
        )
        if fmt is OutputFormat.JSON
        else findings_to_csv(findings)
    )
    if out is None:
        console.file.write(text if text.endswith("\n") else text + "\n")
    else:
        out.write_text(text, encoding="utf-8")


def _common_folder(paths: Sequence[Path]) -> Path | None:
    """The deepest folder holding every path, when there is more than one path."""
    if len(paths) < 2:
        return None
    try:
        common = Path(os.path.commonpath([p.resolve().parent for p in paths]))
    except ValueError:
        return None
    return common if common != Path(common.anchor) else None


def _short(path: Path, root: Path | None) -> str:
    """The path relative to ``root`` when it lies inside it."""
    if root is None:
        return str(path)
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)
