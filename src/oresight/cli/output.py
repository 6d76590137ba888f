"""How the CLI shows results: Rich tables for people, JSON or CSV for machines."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from rich.console import Console
from rich.table import Table

from oresight.core.findings import Finding, Severity
from oresight.reports.findings_io import findings_to_csv, findings_to_json
from oresight.workflows.ingest import FileResult

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


def ingest_table(results: Sequence[FileResult]) -> Table:
    """A table of what each ingested file added."""
    table = Table(title="Ingested")
    for column in ("file", "format", "records", "added", "unchanged", "updated"):
        table.add_column(column, justify="left" if column in ("file", "format") else "right")
    for r in results:
        table.add_row(
            str(r.path),
            r.format.value,
            str(r.records),
            str(r.added),
            str(r.unchanged),
            str(r.updated),
        )
    return table


def emit_findings(
    findings: Sequence[Finding],
    *,
    fmt: OutputFormat,
    out: Path | None,
    workspace: str,
    console: Console,
    title: str,
) -> None:
    """Print findings to the console, or write them to ``out``, in the chosen format."""
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
    text = (
        findings_to_json(findings, workspace=workspace, generated_at=datetime.now(UTC))
        if fmt is OutputFormat.JSON
        else findings_to_csv(findings)
    )
    if out is None:
        console.file.write(text if text.endswith("\n") else text + "\n")
    else:
        out.write_text(text, encoding="utf-8")
