"""The CLI documentation keeps step with the CLI: every command and option is documented."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from oresight.cli.app import app

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _sections() -> dict[str, str]:
    text = DOCS.read_text(encoding="utf-8")
    parts = re.split(r"^## `oresight (\w+)", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_every_command_and_option_is_documented() -> None:
    sections = _sections()
    group = typer.main.get_group(app)
    assert set(group.commands) == set(sections), "commands and docs/cli.md sections differ"
    for name, command in group.commands.items():
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and opt != "--help":
                    assert f"`{opt}" in sections[name], f"{name} {opt} missing from docs/cli.md"
