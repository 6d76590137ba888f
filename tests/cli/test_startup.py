"""Starting the command line costs little: commands import the workflows they run when they run."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "followthemoney",
    "pyogrio",
    "alembic",
    "sqlalchemy",
    "rapidfuzz",
    "reportlab",
    "oresight.store.database",
    "oresight.workflows.ingest",
    "oresight.workflows.assess",
    "oresight.workflows.screening",
    "oresight.workflows.ledger",
)


def test_importing_the_command_line_loads_no_workflow() -> None:
    script = (
        "import json, sys\n"
        "import oresight.cli.app\n"
        f"print(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == []


def test_a_command_still_finds_its_workflow() -> None:
    from typer.testing import CliRunner

    from oresight.cli.app import app

    result = CliRunner().invoke(app, ["profiles"])
    assert result.exit_code == 0, result.output
    assert "oecd-3tg" in result.output
