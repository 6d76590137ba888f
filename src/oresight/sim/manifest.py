"""What a demo world contains: its files, the problems planted in it, and the lots that are clean.

The manifest is the answer key: oresight's analyses must raise a finding for every planted problem
and none for the clean lots.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class PlantedProblem:
    """A problem deliberately put into the demo data, which an analysis must catch.

    ``code`` is the finding code that must be raised; ``subject_type`` and ``subject_id`` name
    the finding's subject (``lot`` with an EPC class, or ``event`` with an event id).
    """

    code: str
    subject_type: str
    subject_id: str
    description: str


@dataclass(frozen=True)
class DemoManifest:
    """The files of a built demo world, its planted problems and its clean lots.

    ``clean_lots`` lists every lot whose whole chain, upstream and downstream, is free of planted
    problems: origin lots with a valid licence and location, and the intermediate and final
    products made only from them.
    """

    root: Path
    files: tuple[Path, ...]
    planted: tuple[PlantedProblem, ...]
    clean_lots: tuple[str, ...]
    seed: int


@dataclass
class ChainOutcome:
    """What building one chain planted and which of its lots are clean (internal)."""

    planted: list[PlantedProblem] = field(default_factory=list)
    clean_lots: list[str] = field(default_factory=list)
