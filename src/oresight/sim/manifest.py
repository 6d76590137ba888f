"""What a demo world contains: its files, the findings it must raise and why, and its clean lots.

The manifest is the answer key. Every finding an assessment of the demo world must raise is listed
once, with its kind:

* ``planted``: a problem put into the data on purpose (a laundered lot, a lapsed licence...);
* ``consequence``: a finding that follows from a planted problem elsewhere in the chain (a
  facility whose mass balance fails because a laundered lot passed through it);
* ``context``: a finding that is right about clean material too: a lot extracted or handled in
  an area on the CAHRA list is a red flag that calls for enhanced due diligence, not wrongdoing.

Nothing else may be raised, and a clean lot may be the subject of ``context`` findings only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class ExpectedKind(StrEnum):
    """Why a finding is expected on the demo world."""

    PLANTED = "planted"
    CONSEQUENCE = "consequence"
    CONTEXT = "context"


@dataclass(frozen=True)
class PlantedProblem:
    """A finding that an assessment of the demo world must raise, and why.

    ``code`` is the finding code; ``subject_type`` and ``subject_id`` name the finding's subject
    (``lot`` with an EPC class, ``event`` with an event id, ``site`` or ``facility`` with a site
    id, ``country`` with an ISO code). ``description`` says what is wrong, with the numbers.
    """

    code: str
    subject_type: str
    subject_id: str
    description: str
    kind: ExpectedKind = ExpectedKind.PLANTED
    follows_from: tuple[str, ...] = ()
    """For a consequence: the subjects of the planted problems it follows from."""


@dataclass(frozen=True)
class DemoManifest:
    """The files of a built demo world, the findings it must raise, and its clean lots.

    ``planted`` holds the deliberate problems only; :attr:`expected` adds their consequences and
    the context findings. ``clean_lots`` lists every lot whose whole chain, upstream and
    downstream, is free of planted problems: origin lots with a valid licence and location, and
    the intermediate and final products made only from them.
    """

    root: Path
    files: tuple[Path, ...]
    """The data files to ingest: sites, parties, event documents."""
    production: tuple[Path, ...]
    """The national production tables (USGS MCS format) to assess declared origins against."""
    planted: tuple[PlantedProblem, ...]
    consequences: tuple[PlantedProblem, ...]
    context: tuple[PlantedProblem, ...]
    clean_lots: tuple[str, ...]
    cahra_list: str
    """Name of the CAHRA list the context findings were worked out with."""
    seed: int
    sanctions: tuple[Path, ...] = ()
    """Sanctions list files to load (``oresight lists load``) before assessing."""
    trade: tuple[Path, ...] = ()
    """Trade statistics and production tables to load (``oresight trade load``) before assessing."""
    imagery: Path | None = None
    """The local STAC catalog of the demo's scenes (``oresight earth scan --items``)."""
    imagery_areas: Path | None = None
    """The ground those scenes cover (``oresight earth scan --aoi``)."""

    @property
    def production_dir(self) -> Path:
        """The folder holding the production tables."""
        return self.production[0].parent

    @property
    def expected(self) -> tuple[PlantedProblem, ...]:
        """Every finding an assessment must raise: planted, consequences, context."""
        return self.planted + self.consequences + self.context


@dataclass
class ChainOutcome:
    """What building one chain planted and which of its lots are clean (internal)."""

    planted: list[PlantedProblem] = field(default_factory=list)
    consequences: list[PlantedProblem] = field(default_factory=list)
    clean_lots: list[str] = field(default_factory=list)

    def add(self, other: ChainOutcome) -> None:
        """Take in what a batch of the chain planted."""
        self.planted += other.planted
        self.consequences += other.consequences
        self.clean_lots += other.clean_lots
