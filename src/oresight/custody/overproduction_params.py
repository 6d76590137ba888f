"""The parameters, periods and output ceilings of CUSTODY.ORIGIN_OVERPRODUCTION.

An :class:`OutputCeiling` is the most contained element one extraction site of some kinds can
plausibly produce in a year; the packaged ceilings, with their reasoning and sources, are in
``data/site_output.yaml``. :class:`OverproductionParams` sets the calendar period output is summed
over (:class:`PeriodLength`, see :func:`period_window`), the tolerance on limits and the ceilings
used. The rule itself is :mod:`oresight.custody.overproduction`.
"""

from __future__ import annotations

import calendar
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from oresight.core.errors import InvalidInput
from oresight.core.minerals import Mineral
from oresight.core.sites import SiteKind
from oresight.core.yaml_text import first_error, parse_yaml
from oresight.custody.data_files import packaged_file_name, read_packaged_text, read_text_file

CEILINGS_FILE = "site_output.yaml"


class PeriodLength(StrEnum):
    """The calendar periods over which a site's output is summed."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class OutputCeiling(BaseModel):
    """The most contained element one site of some kinds can plausibly produce in a year."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kinds: tuple[SiteKind, ...] = Field(min_length=1)
    mineral: Mineral
    max_t_per_year: float = Field(gt=0)
    """Tonnes of contained element per site per year."""
    reasoning: str = Field(min_length=1)
    sources: tuple[str, ...] = Field(min_length=1)


CeilingTable = Mapping[tuple[SiteKind, Mineral], OutputCeiling]


def load_output_ceilings(path: Path | None = None) -> dict[tuple[SiteKind, Mineral], OutputCeiling]:
    """Read plausibility ceilings (packaged ``site_output.yaml`` by default) by kind and mineral.

    Raises :class:`InvalidInput` naming the file and entry of a ceiling that is not valid, or that
    repeats a kind and mineral.
    """
    if path is None:
        return dict(_packaged_ceilings())
    return _read_ceilings(read_text_file(path), str(path))


@functools.cache
def _packaged_ceilings() -> CeilingTable:
    return _read_ceilings(read_packaged_text(CEILINGS_FILE), packaged_file_name(CEILINGS_FILE))


def _read_ceilings(text: str, file: str) -> dict[tuple[SiteKind, Mineral], OutputCeiling]:
    data = parse_yaml(text, file=file)
    entries = data.get("ceilings") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise InvalidInput("expected a list of ceilings", file=file, field="ceilings")
    table: dict[tuple[SiteKind, Mineral], OutputCeiling] = {}
    for index, entry in enumerate(entries):
        record = f"ceiling {index + 1}"
        if not isinstance(entry, dict):
            raise InvalidInput("expected a mapping", file=file, record=record)
        try:
            ceiling = OutputCeiling(**entry)
        except (ValidationError, TypeError) as exc:
            raise InvalidInput(first_error(exc), file=file, record=record) from None
        for kind in ceiling.kinds:
            if kind not in (SiteKind.MINE, SiteKind.ARTISANAL_SITE, SiteKind.CONCESSION):
                raise InvalidInput(
                    f"{kind.value} is not a kind of extraction site", file=file, record=record
                )
            if (kind, ceiling.mineral) in table:
                raise InvalidInput(
                    f"a second ceiling for {kind.value} and {ceiling.mineral.value}",
                    file=file,
                    record=record,
                )
            table[(kind, ceiling.mineral)] = ceiling
    return table


@dataclass(frozen=True, kw_only=True)
class OverproductionParams:
    """The period output is summed over, the tolerance on limits, and the ceilings used."""

    period: PeriodLength = PeriodLength.QUARTER
    tolerance: float = 0.10
    """Share above a limit that is still not flagged (weighing error, uneven output)."""
    ceilings: CeilingTable = field(default_factory=load_output_ceilings)

    def __post_init__(self) -> None:
        if not math.isfinite(self.tolerance) or self.tolerance < 0:
            raise InvalidInput(
                f"expected a fraction of 0 or more, found {self.tolerance!r}", field="tolerance"
            )


@dataclass(frozen=True)
class PeriodWindow:
    """A calendar period: its label and its share of its year."""

    label: str
    fraction: float
    """Days in the period over days in its year."""


def period_window(day: date, length: PeriodLength) -> tuple[str, PeriodWindow]:
    """The key of the period of ``length`` that contains ``day``, and that period."""
    year_days = 366 if calendar.isleap(day.year) else 365
    if length is PeriodLength.MONTH:
        key = f"{day.year}-{day.month:02d}"
        days = calendar.monthrange(day.year, day.month)[1]
    elif length is PeriodLength.QUARTER:
        quarter = (day.month - 1) // 3 + 1
        key = f"{day.year}-Q{quarter}"
        days = sum(
            calendar.monthrange(day.year, m)[1] for m in range(quarter * 3 - 2, quarter * 3 + 1)
        )
    else:
        key, days = str(day.year), year_days
    return key, PeriodWindow(key, days / year_days)
