"""The name, parameters and calendar periods of CUSTODY.MASS_BALANCE.

:class:`MassBalanceParams` says how strict the balance is (measurement tolerances, whether typical
grades may stand in for missing ones) and over which periods it is drawn; :func:`calendar_period`
finds the period an event falls in. The rule itself is :mod:`oresight.custody.mass_balance`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from oresight.core.errors import InvalidInput
from oresight.core.findings import Severity
from oresight.custody.recovery_table import RecoveryTable, default_recovery_table

RULE = "custody.mass_balance"
RULE_VERSION = "1"
MAX_LISTED = 20
"""The most lots or events one finding lists as evidence."""
SEVERITY_STEPS = ((5.0, Severity.LOW), (20.0, Severity.MEDIUM), (50.0, Severity.HIGH))
"""Excess over the allowed element (per cent) below which each severity applies; above: critical."""

PeriodSpec = Literal["month", "quarter", "year"] | int
"""A calendar month, quarter or year (UTC), or consecutive windows of that many days."""


def severity_for(excess_percent: float) -> Severity:
    """The severity of an excess of ``excess_percent`` over the element allowed."""
    for bound, severity in SEVERITY_STEPS:
        if excess_percent < bound:
            return severity
    return Severity.CRITICAL


@dataclass(frozen=True, kw_only=True)
class MassBalanceParams:
    """How strict the mass balance is, and over which periods it is drawn."""

    period: PeriodSpec = "quarter"
    """Period of the per-facility balance."""
    audit_period: PeriodSpec = "year"
    """Period of the UNTP mass-balance reconciliation."""
    relative_tolerance: float = 0.02
    """Measurement error of one weighing or assay, as a fraction. A balance sets weighings of
    inputs (which may read low by this much) against weighings of outputs (which may read high
    by as much), so outputs may exceed what the inputs allow by ``(1 + r) / (1 - r) - 1``
    (4.1 % at 2 %) before they are flagged."""
    absolute_tolerance_kg: float = 0.1
    """Measurement error allowed per record, in kg of element (for small lots)."""
    assume_typical_grades: bool = True
    """Whether a missing grade may be taken from the typical grades (in the lot's favour)."""
    recovery_table: RecoveryTable | None = None
    """Overrides the packaged ``data/recovery.yaml``."""
    claimed_lots: frozenset[str] | None = None
    """Lots the facilities claim as of verified origin; ``None``: every lot that leaves them."""

    def __post_init__(self) -> None:
        for name in ("period", "audit_period"):
            value = getattr(self, name)
            if isinstance(value, bool) or not (
                value in ("month", "quarter", "year") or (isinstance(value, int) and value >= 1)
            ):
                raise InvalidInput(
                    f"expected 'month', 'quarter', 'year' or a number of days >= 1, got {value!r}",
                    field=name,
                )
        if not 0 <= self.relative_tolerance < 1:
            raise InvalidInput(
                f"expected a fraction from 0 to below 1, got {self.relative_tolerance!r}",
                field="relative_tolerance",
            )
        if not self.absolute_tolerance_kg >= 0:
            raise InvalidInput(
                f"expected kg >= 0, got {self.absolute_tolerance_kg!r}",
                field="absolute_tolerance_kg",
            )

    def table(self) -> RecoveryTable:
        """The recovery table in force."""
        return self.recovery_table or default_recovery_table()

    def limit(self, allowed_kg: float, records: int = 1) -> float:
        """The most element an output may hold, measurement tolerance included."""
        spread = (1 + self.relative_tolerance) / (1 - self.relative_tolerance)
        return allowed_kg * spread + self.absolute_tolerance_kg * max(records, 1)

    def tolerance_text(self) -> str:
        """The tolerance in words."""
        spread = ((1 + self.relative_tolerance) / (1 - self.relative_tolerance) - 1) * 100
        return (
            f"{self.relative_tolerance * 100:g} % per weighing on either side ({spread:.1f} % "
            f"over in all) + {self.absolute_tolerance_kg:g} kg per record"
        )


@dataclass(frozen=True, order=True)
class Window:
    """One period of a balance: ``start`` inclusive, ``end`` exclusive, in UTC."""

    start: datetime
    end: datetime
    label: str


def calendar_period(when: datetime, spec: PeriodSpec) -> Window:
    """The period of ``spec`` that contains ``when`` (calendar periods in UTC)."""
    moment = when.astimezone(UTC)
    if isinstance(spec, int):
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        width = timedelta(days=spec)
        start = epoch + width * ((moment - epoch) // width)
        last = start + width - timedelta(days=1)
        return Window(start, start + width, f"{start:%Y-%m-%d} to {last:%Y-%m-%d}")
    if spec == "year":
        start = datetime(moment.year, 1, 1, tzinfo=UTC)
        return Window(start, start.replace(year=moment.year + 1), f"{moment.year}")
    months = 3 if spec == "quarter" else 1
    first = (moment.month - 1) // months * months + 1
    start = datetime(moment.year, first, 1, tzinfo=UTC)
    nxt = first + months
    end = datetime(moment.year + (nxt > 12), (nxt - 1) % 12 + 1, 1, tzinfo=UTC)
    label = f"{moment.year}-Q{(first - 1) // 3 + 1}" if spec == "quarter" else f"{start:%Y-%m}"
    return Window(start, end, label)
