"""``oresight trade``: trade statistics and production tables, and the analyses over them."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from oresight.cli.context import (
    BarSink,
    WorkspaceOption,
    err_console,
    friendly_errors,
    opened,
    out_console,
    progress_bars,
)
from oresight.cli.output import FormatOption, OutFileOption, OutputFormat, emit_checks
from oresight.core.errors import InvalidInput
from oresight.core.findings import Severity

trade_app = typer.Typer(
    help="Trade statistics (UN Comtrade CSV/JSON, CEPII BACI) and production tables (USGS "
    "Mineral Commodity Summaries, national figures): load them, and look for mirror gaps, "
    "price anomalies, exports beyond production and route shifts.",
    no_args_is_help=True,
)


class EngineChoice(StrEnum):
    DUCKDB = "duckdb"
    PYSPARK = "pyspark"


@trade_app.command("load")
def load(
    files: Annotated[
        list[Path], typer.Argument(help="Comtrade, BACI, USGS MCS or production CSV files.")
    ],
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Let these files supersede flows loaded before from other files."
        ),
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Load trade and production files: every file read and checked before any is stored."""
    from oresight.workflows.trade import describe_loads, load_trade

    with friendly_errors(), opened(workspace) as ws:
        with progress_bars("trade") as bar:
            loads = load_trade(ws, files, replace=replace, progress=BarSink(bar))
        for line in describe_loads(loads):
            err_console.print(line, markup=False, highlight=False)


@trade_app.command("show")
def show(workspace: WorkspaceOption = None) -> None:
    """The files in the workspace's trade store."""
    from oresight.workflows.trade import loaded_files

    with friendly_errors(), opened(workspace) as ws:
        batches = loaded_files(ws)
    if not batches:
        err_console.print("No trade data loaded: `oresight trade load FILE...`.")
        return
    table = Table(title="Trade data")
    for column in ("file", "kind", "rows", "years", "loaded", "sha256"):
        right = column == "rows"
        table.add_column(column, justify="right" if right else "left", no_wrap=column != "file")
    for batch in batches:
        years = f"{batch.years[0]}–{batch.years[-1]}" if batch.years else ""
        table.add_row(
            batch.file, batch.kind, f"{batch.rows:,}", years, batch.loaded_at[:10], batch.sha256[:8]
        )
    out_console.print(table)


def _years(values: list[str]) -> tuple[int, ...]:
    years: list[int] = []
    for value in values:
        for part in value.split(","):
            text = part.strip()
            first, _, last = text.partition("-")
            try:
                start, end = int(first), int(last or first)
            except ValueError:
                raise InvalidInput(
                    f"expected a year or a range such as 2020-2024, found {text!r}",
                    field="--years",
                ) from None
            if end < start:
                raise InvalidInput(f"the range {text!r} ends before it starts", field="--years")
            years += range(start, end + 1)
    return tuple(sorted(set(years)))


@trade_app.command("analyze")
def analyze(
    hs: Annotated[
        list[str] | None,
        typer.Option("--hs", help="HS codes or prefixes (repeatable; 7108 takes in 710812)."),
    ] = None,
    years: Annotated[
        list[str] | None,
        typer.Option("--years", help="Years reported: 2023, 2020-2024 or 2021,2023 (repeatable)."),
    ] = None,
    country: Annotated[
        list[str] | None,
        typer.Option("--country", help="Only flows of these ISO alpha-3 countries (repeatable)."),
    ] = None,
    mineral: Annotated[
        list[str] | None,
        typer.Option("--mineral", help="Only the HS codes of these minerals (repeatable)."),
    ] = None,
    cif_fob: Annotated[
        float | None,
        typer.Option("--cif-fob", help="CIF/FOB factor taken off imports (default: IMF 1.06)."),
    ] = None,
    cif_fob_mode: Annotated[
        list[str] | None,
        typer.Option(
            "--cif-fob-mode",
            help="A transport mode's factor, MODE=FACTOR with Comtrade motCodes (2100=1.05 sea, "
            "1000=1.2 air, 3000=1.04 land); imports declared by mode use them (repeatable).",
        ),
    ] = None,
    severity: Annotated[
        Severity | None, typer.Option("--severity", "-s", help="Only this severity or higher.")
    ] = None,
    engine: Annotated[
        EngineChoice,
        typer.Option("--engine", help="duckdb (this machine) or pyspark (local or a cluster)."),
    ] = EngineChoice.DUCKDB,
    format: FormatOption = OutputFormat.TABLE,
    out: OutFileOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Mirror gaps, price anomalies, exports beyond production and route shifts, as findings."""
    from oresight.workflows.trade import Engine, TradeScope, analyse_trade, trade_settings

    with friendly_errors(), opened(workspace) as ws:
        scope = TradeScope(
            years=_years(years or []),
            hs=tuple(code.replace(".", "").strip() for code in hs or ()),
            countries=tuple(code.strip().upper() for code in country or ()),
            minerals=tuple(name.strip().lower() for name in mineral or ()),
        )
        settings = trade_settings(cif_fob, cif_fob_mode or ())
        with progress_bars("trade") as bar:
            outcome = analyse_trade(
                ws, scope, engine=Engine(engine.value), settings=settings, progress=BarSink(bar)
            )
        emit_checks(
            outcome.findings,
            outcome.gaps,
            severity=severity,
            fmt=format,
            out=out,
            workspace=str(ws.path),
            title="Trade findings",
            console=out_console,
            gap_console=err_console,
        )
