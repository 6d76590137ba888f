"""What every ``oresight`` command shares: consoles, the workspace option, error handling,
progress bars. Exit codes: 0 success; 1 a check tripped (``--fail-on``, a failed audit); 2 bad
input or usage; 3 an internal error (a bug: the message says how to get the traceback).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from oresight.core.errors import OresightError
from oresight.settings import load_settings

if TYPE_CHECKING:
    from oresight.store.database import Workspace

EXIT_FAIL_ON = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3

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


def workspace_path(option: Path | None) -> Path:
    """The ``--workspace`` folder, or the one settings name."""
    return option if option is not None else load_settings().workspace


@contextmanager
def opened(option: Path | None, *, create: bool = False) -> Iterator[Workspace]:
    """The workspace of ``--workspace`` (created first when ``create``), closed afterwards."""
    path = workspace_path(option)
    from oresight.store.database import init_workspace, open_workspace

    url = load_settings().database_url
    ws = (
        init_workspace(path, database_url=url) if create else open_workspace(path, database_url=url)
    )
    try:
        yield ws
    finally:
        ws.close()


@contextmanager
def progress_bars(description: str) -> Iterator[Progress]:
    """Transient progress bars on standard error."""
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        yield bar


class BarSink:
    """Adapts workflow progress (label, done, total) to Rich progress bars, one per label."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.tasks: dict[str, object] = {}

    def __call__(self, label: str, done: int, total: int) -> None:
        if label not in self.tasks:
            self.tasks[label] = self.bar.add_task(label, total=total)
        self.bar.update(self.tasks[label], completed=done, total=total)  # type: ignore[arg-type]


class LazyModule:
    """A module imported when one of its names is first used: commands import the workflows
    they run when they run, so that starting ``oresight`` costs little."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)
