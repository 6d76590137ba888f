"""``oresight lists``: the sanctions lists a workspace screens against, versioned by file."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
from oresight.core.errors import InvalidInput

if TYPE_CHECKING:
    from oresight.workflows.screening import ListLoad

lists_app = typer.Typer(
    help="Sanctions lists (OFAC SDN CSV, UN Security Council XML, EU FSF XML, OpenSanctions FtM "
    "JSON lines): load a file as a new version, show what is loaded and in force.",
    no_args_is_help=True,
)


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        message = f"expected a date YYYY-MM-DD, found {text!r}"
        raise InvalidInput(message, field="--published") from None


@lists_app.command("load")
def load(
    files: Annotated[list[Path], typer.Argument(help="List files; the format is read from each.")],
    published: Annotated[
        str | None,
        typer.Option(
            "--published",
            help="The list's date (YYYY-MM-DD) for files that hold none (OFAC's SDN CSV); "
            "otherwise a date in the file name is used.",
        ),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Load sanctions list files: all or nothing; a file loaded before is not stored again."""
    from oresight.workflows.screening import load_lists

    with friendly_errors(), opened(workspace) as ws:
        day = _date(published)
        with progress_bars("lists") as bar:
            loads = load_lists(ws, files, published=day, progress=BarSink(bar))
        err_console.print(_loads_table(loads))


def _loads_table(loads: list[ListLoad]) -> Table:
    table = Table(title="Lists loaded")
    for column in ("file", "list", "dated", "entries", "related", "result"):
        right = column in {"entries", "related"}
        table.add_column(column, justify="right" if right else "left", no_wrap=column != "file")
    for load in loads:
        v = load.version
        table.add_row(
            load.path.name,
            v.list_id,
            v.published.isoformat() if v.published else "undated",
            f"{v.entries:,}",
            f"{v.related:,}",
            "new version" if load.created else "already loaded",
        )
    return table


@lists_app.command("show")
def show(workspace: WorkspaceOption = None) -> None:
    """Every loaded list version; the one in force of each list is marked."""
    from oresight.workflows.screening import list_versions

    with friendly_errors(), opened(workspace) as ws:
        versions, current = list_versions(ws)
    if not versions:
        err_console.print("No sanctions list loaded: `oresight lists load FILE...`.")
        return
    in_force = {v.id for v in current}
    table = Table(title="Sanctions lists")
    for column in ("list", "dated", "entries", "in force", "loaded", "sha256"):
        table.add_column(column, justify="right" if column == "entries" else "left", no_wrap=True)
    for v in versions:
        table.add_row(
            v.list_id,
            v.published.isoformat() if v.published else "undated",
            f"{v.entries:,}",
            "yes" if v.id in in_force else "",
            v.loaded_at.strftime("%Y-%m-%d"),
            v.sha256[:8],
        )
    out_console.print(table)


def screen_command(
    queries: Annotated[
        list[str],
        typer.Argument(help="Names to screen, or FtM files of parties (JSON lines)."),
    ],
    schema: Annotated[
        str,
        typer.Option(
            "--schema",
            help="FtM schema of a name given: LegalEntity (any), Person, Company, "
            "Organization, Vessel...",
        ),
    ] = "LegalEntity",
    limit: Annotated[int, typer.Option("--limit", "-n", help="Matches shown per query.")] = 5,
    threshold: Annotated[
        float, typer.Option("--threshold", help="Lowest score shown (0-1; 0.70 is a match).")
    ] = 0.5,
    workspace: WorkspaceOption = None,
) -> None:
    """Screen names or FtM files against the sanctions lists in force, with explained matches."""
    from oresight.workflows.screening import DEFAULT_THRESHOLD, screen

    with friendly_errors(), opened(workspace) as ws, progress_bars("screen") as bar:
        given = [Path(q) if Path(q).is_file() else q for q in queries]
        results = screen(
            ws, given, schema=schema, limit=limit, threshold=threshold, progress=BarSink(bar)
        )
    for result in results:
        names = ", ".join(result.query.get("name")) or str(result.query.id)
        out_console.print(f"[bold]{names}[/] ({result.query.schema.name})")
        if not result.matches:
            out_console.print(f"  no list entry scores {threshold:.2f} or more")
        for rank, (match, entry) in enumerate(result.matches, start=1):
            verdict = "match" if match.score >= DEFAULT_THRESHOLD else "below the match threshold"
            programmes = ", ".join(entry.programmes) or "no programme"
            out_console.print(
                f"  {rank}. {match.score:.2f} {verdict}: {entry.entity.caption} "
                f"[{entry.list_id}:{entry.record_id}; {programmes}]",
                markup=False,
                highlight=False,
            )
            for feature in match.features:
                out_console.print(f"       {feature.describe()}", markup=False, highlight=False)


def review_command(
    party: Annotated[str, typer.Argument(help="The party's id in the workspace.")],
    entry: Annotated[str, typer.Argument(help="The list entry, LIST_ID:RECORD (from a finding).")],
    false_positive: Annotated[
        bool,
        typer.Option(
            "--false-positive/--confirmed",
            help="Dismiss the match (not raised again while neither record changes), or "
            "confirm it.",
        ),
    ] = True,
    note: Annotated[str | None, typer.Option("--note", help="Why, for the record.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who decided.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Record an analyst's decision on a sanctions match: a false positive, or confirmed."""
    from oresight.workflows.screening import CONFIRMED, FALSE_POSITIVE, review_match

    with friendly_errors(), opened(workspace) as ws:
        decision = review_match(
            ws,
            party_id=party,
            entry=entry,
            decision=FALSE_POSITIVE if false_positive else CONFIRMED,
            note=note,
            decided_by=by,
        )
    err_console.print(
        f"Recorded: {decision.party_id} ~ {decision.list_id}:{decision.record_id} is "
        f"{decision.decision.replace('_', ' ')}. The next `oresight assess` takes it into account."
    )
