"""How workflows report progress without knowing who is watching."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Receives progress: a step's label, how much of it is done, and its total."""

    def __call__(self, label: str, done: int, total: int) -> None:
        """Report that ``done`` of ``total`` units of ``label`` are finished."""


def no_progress(label: str, done: int, total: int) -> None:
    """A progress sink that ignores everything (for library callers and tests)."""
