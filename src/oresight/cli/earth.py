"""``oresight earth``: mining detections and protected-area boundaries, and the checks over them."""

from __future__ import annotations

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
from oresight.core.findings import Severity

earth_app = typer.Typer(
    help="Earth observation: load mining detections (published footprints such as Amazon "
    "Mining Watch, or scans) and protected-area boundaries, and check them against the "
    "workspace's concessions, protected areas and declared mines of origin.",
    no_args_is_help=True,
)


@earth_app.command("load-detections")
def load_detections(
    files: Annotated[
        list[Path], typer.Argument(help="GeoJSON files of mining footprints (Polygons).")
    ],
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="Period of features that state none: 2024, 2024-Q2, 2023-12 or "
            "2024-01-01/2024-11-15.",
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option("--source", help="Who made the detections (default: the file's name)."),
    ] = None,
    coverage: Annotated[
        Path | None,
        typer.Option(
            "--coverage",
            help="GeoJSON of the area the source looked at; needed before an absence of "
            "detections can count as no mining (SITE.NO_ACTIVITY).",
        ),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Load mining detections: every file read and checked before any is stored."""
    from oresight.workflows.earth import load_detections as load

    with friendly_errors(), opened(workspace) as ws:
        with progress_bars("earth") as bar:
            stored = load(
                ws, files, source=source, period=period, coverage=coverage, progress=BarSink(bar)
            )
        for layer, new in stored:
            repaired = f", {layer.repaired} invalid polygon(s) repaired" if layer.repaired else ""
            verb = "loaded" if new else "already loaded"
            err_console.print(
                f"{layer.file}: {verb} as {layer.id}: {layer.detections:,} detections in "
                f"{', '.join(layer.periods)}{repaired}.",
                markup=False,
                highlight=False,
            )


@earth_app.command("scan")
def scan(
    period: Annotated[
        list[str],
        typer.Option(
            "--period", help="A period to scan: 2024, 2024-Q2, 2023-12 or days (repeatable)."
        ),
    ],
    aoi: Annotated[
        Path | None,
        typer.Option(
            "--aoi",
            help="GeoJSON of the area (default: the workspace's mines, concessions and "
            "protected areas, 2 km around them).",
        ),
    ] = None,
    items: Annotated[
        Path | None,
        typer.Option("--items", help="A local STAC catalog or ItemCollection instead of a search."),
    ] = None,
    images: Annotated[
        Path | None,
        typer.Option(
            "--images",
            help="A folder of plain Sentinel-2 L2A or Landsat Collection 2 Level-2 band files "
            "(GeoTIFF, JPEG 2000) instead of a search; not with --items.",
        ),
    ] = None,
    stac: Annotated[
        str,
        typer.Option(
            "--stac",
            help="The STAC service searched: earth-search (Sentinel-2 L2A), "
            "earth-search-landsat, planetary-computer, planetary-computer-landsat.",
        ),
    ] = "earth-search",
    max_cloud_cover: Annotated[
        float, typer.Option("--max-cloud-cover", help="Scenes with at most this % of cloud.")
    ] = 30.0,
    source: Annotated[
        str, typer.Option("--source", help="How the detections are named in findings.")
    ] = "oresight scan",
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="A dask.distributed scheduler address to run on."),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Scan imagery for mining, period by period, and store the detections with the ground
    seen clear (needs `pip install 'oresight[earth]'`)."""
    from oresight.workflows.earth_scan import ScanRequest, scan_imagery, scan_summary

    request = ScanRequest(
        periods=tuple(period),
        aoi=aoi,
        items=items,
        images=images,
        service=stac,
        max_cloud_cover=max_cloud_cover,
        source=source,
        scheduler=scheduler,
    )
    with friendly_errors(), opened(workspace) as ws, progress_bars("earth") as bar:
        outcome = scan_imagery(ws, request, progress=BarSink(bar))
    err_console.print(f"Area scanned: {outcome.area_ha:,.0f} ha.", markup=False)
    for line in scan_summary(outcome):
        err_console.print(line, markup=False, highlight=False)


@earth_app.command("load-areas")
def load_areas(
    files: Annotated[
        list[Path], typer.Argument(help="GeoJSON boundaries of protected or indigenous areas.")
    ],
    designation: Annotated[
        str,
        typer.Option(
            "--designation", help="What protects them: indigenous_territory, national_park, ..."
        ),
    ] = "protected_area",
    name_property: Annotated[
        str, typer.Option("--name-property", help="The feature property holding the name.")
    ] = "name",
    workspace: WorkspaceOption = None,
) -> None:
    """Load protected or indigenous area boundaries as sites of the workspace."""
    from oresight.workflows.earth import load_areas as load

    with friendly_errors(), opened(workspace) as ws:
        areas = load(ws, files, designation=designation, name_property=name_property)
    for area in areas:
        err_console.print(f"{area.id}: {area.name}", markup=False, highlight=False)
    err_console.print(f"{len(areas)} area(s) loaded as {designation}.")


@earth_app.command("show")
def show(workspace: WorkspaceOption = None) -> None:
    """The detection layers in the workspace."""
    from oresight.workflows.earth import earth_store

    with friendly_errors(), opened(workspace) as ws:
        stored = earth_store(ws).stored()
    if not stored:
        err_console.print("No detections loaded: `oresight earth load-detections FILE...`.")
        return
    table = Table(title="Detection layers")
    for column in ("layer", "source", "detections", "periods", "coverage", "file"):
        table.add_column(column, justify="right" if column == "detections" else "left")
    for layer in stored:
        table.add_row(
            layer.id,
            layer.source,
            f"{layer.detections:,}",
            ", ".join(layer.periods),
            "given" if layer.coverage else "unknown",
            layer.file,
        )
    out_console.print(table)


@earth_app.command("check")
def check(
    severity: Annotated[
        Severity | None, typer.Option("--severity", "-s", help="Only this severity or higher.")
    ] = None,
    format: FormatOption = OutputFormat.TABLE,
    out: OutFileOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Mining in protected areas, outside concessions, new disturbance and declared mines with
    no activity, as findings."""
    from oresight.workflows.earth import check_earth

    with friendly_errors(), opened(workspace) as ws:
        outcome = check_earth(ws)
        emit_checks(
            outcome.findings,
            outcome.gaps,
            severity=severity,
            fmt=format,
            out=out,
            workspace=str(ws.path),
            title="Earth findings",
            console=out_console,
            gap_console=err_console,
        )
