"""What CUSTODY.ORIGIN_OVERPRODUCTION compares: the lots a site commissioned, and its limits.

Each lot commissioned at an extraction site becomes an :class:`Extraction` (its mass, mineral,
form and grade, where the event gives them); :func:`output_checks` sums a site's extractions over
one period and sets each total against a limit: the site's declared capacity, and the plausibility
ceiling for its kind and mineral. A site that could be checked against neither is noted in its
:class:`SiteGaps`. The rule itself is :mod:`oresight.custody.overproduction`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from oresight.core.custody import CustodyEvent, QuantityElement
from oresight.core.minerals import MaterialForm, Mineral
from oresight.core.sites import Site
from oresight.core.units import Dimension, lookup_unit
from oresight.custody.overproduction_params import (
    OutputCeiling,
    OverproductionParams,
    PeriodWindow,
)


@dataclass(frozen=True, eq=False)
class Extraction:
    """One lot commissioned at an extraction site (compared by identity)."""

    event: CustodyEvent
    lot: str
    kg: float | None
    mineral: Mineral | None
    form: MaterialForm | None
    grade: float | None

    @property
    def element_kg(self) -> float | None:
        """Contained element in kilograms; ``None`` without a mass and a grade."""
        if self.kg is None or self.grade is None:
            return None
        return self.kg * self.grade / 100


@dataclass(frozen=True)
class OutputCheck:
    """One comparison of recorded output with a limit, over one period."""

    what: str
    recorded_t: float
    allowed_t: float
    tolerance: float
    confidence: float
    lots: tuple[Extraction, ...]
    ceiling: OutputCeiling | None = None

    @property
    def exceeded(self) -> bool:
        """Whether the recorded output is above the limit, tolerance included."""
        return self.recorded_t > self.allowed_t * (1 + self.tolerance)

    @property
    def ratio(self) -> float:
        """Recorded output over the limit; infinite where the limit is zero."""
        return self.recorded_t / self.allowed_t if self.allowed_t > 0 else math.inf


@dataclass
class SiteGaps:
    """What kept one site's output from being checked in full, over all its periods."""

    unchecked: set[Mineral | None] = field(default_factory=set)
    """Minerals with no limit to check them against (``None``: a capacity in no lot's form)."""
    massless: int = 0
    gradeless: int = 0
    periods: set[str] = field(default_factory=set)
    """Periods with lots that could not be counted."""


def extractions_of(event: CustodyEvent, site: Site) -> list[Extraction]:
    """The lots ``event`` commissioned at ``site``, with what the event says of each."""
    master = event.lot_master
    mineral = master.mineral if master else None
    if mineral is None and len(site.minerals) == 1:
        mineral = site.minerals[0]  # the site digs one mineral only
    quantities = event.quantities()
    return [
        Extraction(
            event=event,
            lot=lot,
            kg=_kg(quantities.get(lot)),
            mineral=mineral,
            form=master.form if master else None,
            grade=master.grade_percent if master else None,
        )
        for lot in event.produced()
    ]


def _kg(entry: QuantityElement | None) -> float | None:
    if entry is None or entry.quantity is None or entry.uom is None:
        return None
    try:
        unit = lookup_unit(entry.uom)
    except ValueError:
        return None
    return entry.quantity * unit.factor if unit.dimension is Dimension.MASS else None


def basis_form(site: Site) -> MaterialForm | None:
    """The material form the site's capacity is declared in, where it is one."""
    basis = (site.capacity_basis or "").strip().lower()
    return MaterialForm(basis) if basis in set(MaterialForm) else None


def output_checks(
    site: Site,
    lots: list[Extraction],
    window: PeriodWindow,
    params: OverproductionParams,
    gaps: SiteGaps,
) -> list[OutputCheck]:
    """The site's output over one period set against each limit it has; notes what has none."""
    checks: list[OutputCheck] = []
    if site.capacity_t_per_year is not None:
        basis = basis_form(site)
        counted = tuple(
            lot
            for lot in lots
            if lot.kg is not None
            and (basis in (None, MaterialForm.ORE) or lot.form in (None, basis))
        )
        checks.append(
            OutputCheck(
                what="capacity",
                recorded_t=sum(lot.kg or 0.0 for lot in counted) / 1000,
                allowed_t=site.capacity_t_per_year * window.fraction,
                tolerance=params.tolerance,
                confidence=0.8 if basis is not None else 0.65,
                lots=counted,
            )
        )
        if not counted and any(lot.kg is not None for lot in lots):
            gaps.unchecked.add(None)  # a capacity in a form none of the lots is in
    for mineral in sorted({lot.mineral for lot in lots if lot.mineral is not None}):
        ceiling = params.ceilings.get((site.kind, mineral))
        if ceiling is None:
            continue
        graded = tuple(lot for lot in lots if lot.mineral is mineral and lot.element_kg is not None)
        checks.append(
            OutputCheck(
                what="ceiling",
                recorded_t=sum(lot.element_kg or 0.0 for lot in graded) / 1000,
                allowed_t=ceiling.max_t_per_year * window.fraction,
                tolerance=params.tolerance,
                confidence=0.7,
                lots=graded,
                ceiling=ceiling,
            )
        )
    if site.capacity_t_per_year is None:
        ceilinged = {c.ceiling.mineral for c in checks if c.ceiling is not None}
        gaps.unchecked |= {lot.mineral for lot in lots if lot.mineral not in ceilinged}
    return checks
