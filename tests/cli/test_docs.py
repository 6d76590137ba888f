"""The CLI documentation keeps step with the CLI: every command and option is documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer.main

from oresight.cli.app import app

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _sections() -> dict[str, str]:
    text = DOCS.read_text(encoding="utf-8")
    parts = re.split(
        r"^## `oresight ((?:ledger |lists |trade |earth )?[\w-]+)", text, flags=re.MULTILINE
    )
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def _commands() -> dict[str, Any]:
    found: dict[str, Any] = {}
    group = typer.main.get_group(app)
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a group of subcommands (oresight ledger)
            for sub, subcommand in command.commands.items():
                found[f"{name} {sub}"] = subcommand
        else:
            found[name] = command
    return found


def test_every_command_and_option_is_documented() -> None:
    sections = _sections()
    commands = _commands()
    assert set(commands) == set(sections), "commands and docs/cli.md sections differ"
    for name, command in commands.items():
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and opt != "--help":
                    assert f"`{opt}" in sections[name], f"{name} {opt} missing from docs/cli.md"
