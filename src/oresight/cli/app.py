"""The ``oresight`` command: init, ingest, assess, findings, report, demo.

Exit codes: 0 success; 1 ``--fail-on`` tripped; 2 bad input or usage; 3 an internal error (a bug:
the message says how to get the traceback). Results go to standard output; progress and messages
to standard error, so that ``--format json`` output can be piped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from oresight import __version__
from oresight.cli.context import (
    EXIT_FAIL_ON,
    BarSink,
    WorkspaceOption,
    err_console,
    friendly_errors,
    opened,
    out_console,
    progress_bars,
    workspace_path,
)
from oresight.cli.earth import earth_app
from oresight.cli.ledger import (
    KeyOption,
    ReceiptsOption,
    SubmitterOption,
    ledger_app,
    submit_to_ledger,
)
from oresight.cli.lists import lists_app, review_command, screen_command
from oresight.cli.output import (
    FormatOption,
    OutFileOption,
    OutputFormat,
    code_summary_table,
    emit_findings,
    ingest_table,
)
from oresight.cli.trade import trade_app
from oresight.core.errors import InvalidInput, OresightError
from oresight.core.findings import Severity
from oresight.workflows.choices import DEFAULT_PROFILE, ExportKind, FileFormat, ReportFormat

# Each command imports the workflows it runs when it runs: the readers, the store and the
# matching engine take seconds to import, and `oresight --help` needs none of them.


class LedgerStepFailed(OresightError):
    """``ingest --ledger`` stored the files but could not append their events to the ledger."""


app = typer.Typer(
    name="oresight",
    help="Verify critical-mineral supply chains: ingest custody events, sites and parties; "
    "cross-check every claim; report findings with their evidence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(ledger_app, name="ledger")
app.add_typer(lists_app, name="lists")
app.add_typer(trade_app, name="trade")
app.add_typer(earth_app, name="earth")
app.command("screen")(screen_command)
app.command("review")(review_command)


@app.command()
def init(
    directory: Annotated[
        Path | None, typer.Argument(help="Folder to create (default: the --workspace folder).")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Create a workspace: a folder with its database (SQLite unless ORESIGHT_DATABASE_URL)."""
    with friendly_errors():
        path = directory or workspace_path(workspace)
        with opened(path, create=True) as ws:
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
    ledger: Annotated[
        bool, typer.Option("--ledger", help="Append the newly accepted events to the ledger.")
    ] = False,
    submitter: SubmitterOption = None,
    key: KeyOption = None,
    receipts: ReceiptsOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Ingest files into the workspace: all or nothing, and the same records twice add nothing."""
    from oresight.workflows.ingest import ingest_files

    with friendly_errors(), opened(workspace) as ws:
        with progress_bars("ingest") as bar:
            results = ingest_files(ws, files, format=format, progress=BarSink(bar))
        err_console.print(ingest_table(results))
        if ledger:
            try:
                submit_to_ledger(
                    ws,
                    submitter=submitter,
                    key=key,
                    receipts=receipts,
                    event_ids=results.added_event_ids,
                )
            except OresightError as exc:
                raise LedgerStepFailed(
                    f"the files were ingested, but their events are not in the ledger: {exc} "
                    "— fix this, then run `oresight ledger submit`"
                ) from exc


@app.command()
def assess(
    format: FormatOption = OutputFormat.TABLE,
    out: OutFileOption = None,
    fail_on: Annotated[
        Severity | None,
        typer.Option(
            "--fail-on", help="Exit with code 1 when a finding of this severity or higher exists."
        ),
    ] = None,
    profile: Annotated[
        str,
        typer.Option(
            "--profile",
            "-p",
            help="Risk profile: a bundled one's name (see `oresight profiles`) or a YAML file.",
        ),
    ] = DEFAULT_PROFILE,
    cahra: Annotated[
        Path | None,
        typer.Option(
            "--cahra",
            help="Conflict-affected and high-risk areas list (YAML or CSV, docs/cahra.md); "
            "default: the bundled illustrative list.",
        ),
    ] = None,
    production: Annotated[
        Path | None,
        typer.Option(
            "--production",
            help="Folder of USGS Mineral Commodity Summaries production CSV files.",
        ),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Run every analysis over the workspace, score the findings under a risk profile, store
    and print them."""
    from oresight.workflows.assess import ReferenceData, assess_workspace, describe_risk

    with friendly_errors(), opened(workspace) as ws:
        reference = ReferenceData.load(cahra_list=cahra, production=production)
        with progress_bars("assess") as bar:
            result = assess_workspace(
                ws, profile=profile, reference=reference, progress=BarSink(bar)
            )
        names = ", ".join(a.rule for a in result.analyses)
        err_console.print(
            f"Assessed {result.counts['events']} events, {result.counts['sites']} sites, "
            f"{result.counts['parties']} parties with {names}: "
            f"{len(result.findings)} finding(s)."
        )
        err_console.print(describe_risk(result.risk, result.gaps))
        emit_findings(
            result.findings,
            fmt=format,
            out=out,
            workspace=str(ws.path),
            console=out_console,
            title="Findings",
            gaps=result.gaps,
            risk=result.risk.model_dump(mode="json"),
        )
    if fail_on is not None and any(f.severity.at_least(fail_on) for f in result.findings):
        err_console.print(f"Findings at or above '{fail_on.value}' exist: exit code 1.")
        raise typer.Exit(EXIT_FAIL_ON)


@app.command()
def profiles() -> None:
    """List the bundled risk profiles (for `oresight assess --profile`)."""
    from oresight.workflows.assess import bundled_profile_titles

    with friendly_errors():
        table = Table(title="Risk profiles")
        table.add_column("Name", no_wrap=True)
        table.add_column("Title")
        for name, title in bundled_profile_titles():
            table.add_row(name, title)
        out_console.print(table)


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
    format: FormatOption = OutputFormat.TABLE,
    out: OutFileOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """List the findings stored by the last assessment, optionally filtered."""
    from oresight.workflows.assess import latest_risk, stored_findings

    with friendly_errors(), opened(workspace) as ws:
        stored = stored_findings(ws, min_severity=severity, codes=code or (), subject_id=subject)
        # Scores and gaps belong to the whole assessment: given only with unfiltered findings.
        risk, gaps = (None, []) if severity or code or subject else latest_risk(ws)
        emit_findings(
            stored,
            fmt=format,
            out=out,
            workspace=str(ws.path),
            console=out_console,
            title="Stored findings",
            gaps=gaps,
            risk=None if risk is None else risk.model_dump(mode="json"),
        )


@app.command()
def report(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Report file (default: <workspace>/reports/report.<format>)."
        ),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="Title of the report.")] = None,
    format: Annotated[
        ReportFormat,
        typer.Option("--format", "-f", help="html (one self-contained file) or pdf (A4)."),
    ] = ReportFormat.HTML,
    font: Annotated[
        Path | None,
        typer.Option(
            "--font",
            help="PDF only: a TrueType font file to set the report in, for scripts the bundled "
            "Bitstream Vera lacks (e.g. DejaVuSans.ttf; its bold and italic files are found "
            "beside it).",
        ),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Write the due-diligence report of the stored findings, as HTML or PDF."""
    from oresight.workflows.report import write_report

    with friendly_errors(), opened(workspace) as ws:
        path = write_report(ws, format=format, out=out, title=title, font=font)
        err_console.print(f"Report written to [bold]{path}[/]")


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Seed of the demo world (same seed, same world).")] = 7,
    workspace: WorkspaceOption = None,
) -> None:
    """Build the demo supply chains, ingest them, assess them, and write the report."""
    from oresight.workflows.assess import describe_risk
    from oresight.workflows.demo import run_demo

    with friendly_errors():
        path = workspace_path(workspace)
        with opened(path, create=True) as ws:
            with progress_bars("demo") as bar:
                result = run_demo(ws, seed=seed, progress=BarSink(bar))
            err_console.print(ingest_table(result.ingested))
            out_console.print(
                code_summary_table(result.assessment.findings, title="Findings on the demo world")
            )
            err_console.print(describe_risk(result.assessment.risk, result.assessment.gaps))
            planted = len(result.manifest.planted)
            err_console.print(
                f"\nDemo data:  {result.manifest.root}\n"
                f"Workspace:  {path} (database: {ws.database_label})\n"
                f"Report:     {result.report}\n"
                f"Ledger:     {result.ledger_size} events in a signed Merkle log, each signed by "
                f"its owner; log key {result.log_public_key}\n"
                + (
                    f"Proof:      {result.sample_proof}\n"
                    f"Verify it offline: oresight ledger verify-proof {result.sample_proof} "
                    f"--log-key {result.log_public_key}\n"
                    if result.sample_proof
                    else ""
                )
                + f"The demo world has {planted} planted problem(s) and "
                f"{len(result.manifest.clean_lots)} clean lot(s); "
                f"see {result.manifest.root / 'manifest.json'}.\n"
                f"Next: `oresight findings -w {path}` lists every finding; open the report.",
                soft_wrap=True,
                highlight=False,
            )


@app.command()
def export(
    kind: Annotated[
        ExportKind, typer.Argument(help="What to export: epcis, sites, parties or untp-dte.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")],
    issuer_id: Annotated[
        str | None, typer.Option(help="untp-dte: the issuer's DID or http(s) URL.")
    ] = None,
    issuer_name: Annotated[str | None, typer.Option(help="untp-dte: the issuer's name.")] = None,
    issuer_key: Annotated[
        Path | None,
        typer.Option(help="untp-dte: the issuer's Ed25519 private key (PEM); made if absent."),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Export events (EPCIS 2.0), sites (GeoJSON), parties (FtM JSON lines), or events as a
    signed UNTP Digital Traceability Event credential."""
    from oresight.workflows.export import Issuer, export_records, export_untp_dte
    from oresight.workflows.export import issuer_key as load_issuer_key

    with friendly_errors(), opened(workspace) as ws:
        if kind is not ExportKind.UNTP_DTE:
            count = export_records(ws, kind, out)
            err_console.print(f"Wrote {count} {kind.value} record(s) to [bold]{out}[/]")
            return
        if issuer_id is None or issuer_name is None:
            raise InvalidInput("untp-dte needs --issuer-id and --issuer-name")
        key_path = issuer_key or ws.path / "untp" / "issuer.pem"
        pem, made = load_issuer_key(key_path)
        if made:
            err_console.print(f"Made a new issuer key: {key_path}")
        issuer = Issuer(id=issuer_id, name=issuer_name, private_key_pem=pem)
        done = export_untp_dte(ws, out, issuer=issuer)
        err_console.print(
            f"Wrote a UNTP DTE credential of {done.events} event(s) to [bold]{out}[/] "
            f"(VC-JOSE compact JWS, EdDSA); issuer public key: {done.public_key}"
        )


@app.command()
def version() -> None:
    """Print the version of oresight."""
    out_console.print(__version__)


def main() -> None:
    """Entry point of the ``oresight`` console script."""
    app(prog_name="oresight")


if __name__ == "__main__":  # pragma: no cover
    main()
