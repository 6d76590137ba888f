"""The ``oresight`` command: init, ingest, assess, findings, report, demo.

Exit codes: 0 success; 1 ``--fail-on`` tripped; 2 bad input or usage; 3 an internal error (a bug:
the message says how to get the traceback). Results go to standard output; progress and messages
to standard error, so that ``--format json`` output can be piped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from oresight import __version__
from oresight.cli.output import OutputFormat, emit_findings, ingest_table
from oresight.core.errors import OresightError
from oresight.core.findings import Severity
from oresight.settings import load_settings
from oresight.store import repository
from oresight.store.database import Workspace, init_workspace, open_workspace
from oresight.workflows.assess import assess_workspace
from oresight.workflows.demo import run_demo
from oresight.workflows.export import ExportKind, export_records
from oresight.workflows.ingest import FileFormat, ingest_files
from oresight.workflows.report import write_html_report

EXIT_FAIL_ON = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3

app = typer.Typer(
    name="oresight",
    help="Verify critical-mineral supply chains: ingest custody events, sites and parties; "
    "cross-check every claim; report findings with their evidence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out_console = Console()
err_console = Console(stderr=True)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder (default: $ORESIGHT_WORKSPACE or ./oresight-workspace).",
        show_default=False,
    ),
]


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn oresight's errors into a message and exit code 2, and anything else into code 3."""
    try:
        yield
    except OresightError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as exc:
        if os.environ.get("ORESIGHT_DEBUG"):
            raise
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
            "This is a bug in oresight. Run again with ORESIGHT_DEBUG=1 to see the traceback, "
            "and please report it.",
            highlight=False,
        )
        raise typer.Exit(EXIT_INTERNAL) from None


def _workspace_path(option: Path | None) -> Path:
    return option if option is not None else load_settings().workspace


@contextmanager
def _opened(option: Path | None, *, create: bool = False) -> Iterator[Workspace]:
    """The workspace of ``--workspace`` (created first when ``create``), closed afterwards."""
    path = _workspace_path(option)
    url = load_settings().database_url
    ws = (
        init_workspace(path, database_url=url) if create else open_workspace(path, database_url=url)
    )
    try:
        yield ws
    finally:
        ws.close()


@contextmanager
def _progress(description: str) -> Iterator[Progress]:
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        yield bar


class _BarSink:
    """Adapts workflow progress (label, done, total) to Rich progress bars, one per label."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.tasks: dict[str, object] = {}

    def __call__(self, label: str, done: int, total: int) -> None:
        if label not in self.tasks:
            self.tasks[label] = self.bar.add_task(label, total=total)
        self.bar.update(self.tasks[label], completed=done, total=total)  # type: ignore[arg-type]


@app.command()
def init(
    directory: Annotated[
        Path | None, typer.Argument(help="Folder to create (default: the --workspace folder).")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Create a workspace: a folder with its database (SQLite unless ORESIGHT_DATABASE_URL)."""
    with friendly_errors():
        path = directory or _workspace_path(workspace)
        with _opened(path, create=True) as ws:
            err_console.print(f"Workspace ready at [bold]{path}[/] (database: {ws.database_label})")


@app.command()
def ingest(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="EPCIS 2.0 JSON(-LD), GeoJSON, GeoPackage or FtM files, or folders of them."
        ),
    ],
    format: Annotated[
        FileFormat | None,
        typer.Option("--format", "-f", help="Force the format instead of sniffing it."),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Ingest files into the workspace: all or nothing, and the same records twice add nothing."""
    with friendly_errors(), _opened(workspace) as ws:
        with _progress("ingest") as bar:
            results = ingest_files(ws, files, format=format, progress=_BarSink(bar))
        err_console.print(ingest_table(results))


@app.command()
def assess(
    format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="How to print the findings.")
    ] = OutputFormat.TABLE,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the findings to this file.")
    ] = None,
    fail_on: Annotated[
        Severity | None,
        typer.Option(
            "--fail-on", help="Exit with code 1 when a finding of this severity or higher exists."
        ),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Run every available analysis over the workspace, store the findings and print them."""
    with friendly_errors(), _opened(workspace) as ws:
        with _progress("assess") as bar:
            result = assess_workspace(ws, progress=_BarSink(bar))
        names = ", ".join(a.rule for a in result.analyses)
        err_console.print(
            f"Assessed {result.counts['events']} events, {result.counts['sites']} sites, "
            f"{result.counts['parties']} parties with {names}: "
            f"{len(result.findings)} finding(s)."
        )
        emit_findings(
            result.findings,
            fmt=format,
            out=out,
            workspace=str(ws.path),
            console=out_console,
            title="Findings",
        )
    if fail_on is not None and any(f.severity.at_least(fail_on) for f in result.findings):
        err_console.print(f"Findings at or above '{fail_on.value}' exist: exit code 1.")
        raise typer.Exit(EXIT_FAIL_ON)


@app.command()
def findings(
    severity: Annotated[
        Severity | None, typer.Option("--severity", "-s", help="Only this severity or higher.")
    ] = None,
    code: Annotated[
        list[str] | None, typer.Option("--code", "-c", help="Only these codes (repeatable).")
    ] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help="Only findings about this subject id.")
    ] = None,
    format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="How to print the findings.")
    ] = OutputFormat.TABLE,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the findings to this file.")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """List the findings stored by the last assessment, optionally filtered."""
    with friendly_errors(), _opened(workspace) as ws:
        with ws.transaction() as session:
            stored = repository.load_findings(
                session, min_severity=severity, codes=code or (), subject_id=subject
            )
        emit_findings(
            stored,
            fmt=format,
            out=out,
            workspace=str(ws.path),
            console=out_console,
            title="Stored findings",
        )


@app.command()
def report(
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Report file (default: <workspace>/reports/report.html)."),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="Title of the report.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Write the HTML due-diligence report of the stored findings."""
    with friendly_errors(), _opened(workspace) as ws:
        path = write_html_report(ws, out=out, title=title)
        err_console.print(f"Report written to [bold]{path}[/]")


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Seed of the demo world (same seed, same world).")] = 7,
    workspace: WorkspaceOption = None,
) -> None:
    """Build the demo supply chains, ingest them, assess them, and write the report."""
    with friendly_errors():
        path = _workspace_path(workspace)
        with _opened(path, create=True) as ws:
            with _progress("demo") as bar:
                result = run_demo(ws, seed=seed, progress=_BarSink(bar))
            err_console.print(ingest_table(result.ingested))
            emit_findings(
                result.assessment.findings,
                fmt=OutputFormat.TABLE,
                out=None,
                workspace=str(path),
                console=out_console,
                title="Findings on the demo world",
            )
            planted = len(result.manifest.planted)
            err_console.print(
                f"\nDemo data:  {result.manifest.root}\n"
                f"Workspace:  {path} (database: {ws.database_label})\n"
                f"Report:     {result.report}\n"
                f"The demo world has {planted} planted problem(s) and "
                f"{len(result.manifest.clean_lots)} clean lot(s); "
                f"see {result.manifest.root / 'manifest.json'}.\n"
                f"Next: `oresight findings -w {path} --format json`, or open the report."
            )


@app.command()
def export(
    kind: Annotated[ExportKind, typer.Argument(help="What to export: epcis, sites or parties.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Export the workspace's events (EPCIS 2.0), sites (GeoJSON) or parties (FtM JSON lines)."""
    with friendly_errors(), _opened(workspace) as ws:
        count = export_records(ws, kind, out)
        err_console.print(f"Wrote {count} {kind.value} record(s) to [bold]{out}[/]")


@app.command()
def version() -> None:
    """Print the version of oresight."""
    out_console.print(__version__)


def main() -> None:
    """Entry point of the ``oresight`` console script."""
    app(prog_name="oresight")


if __name__ == "__main__":  # pragma: no cover
    main()
