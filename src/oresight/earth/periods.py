"""Observation periods: the span of time an image composite or a detection layer shows.

Written as people and products write them: a year (``2024``), a quarter (``2024-Q2``), a month
(``2023-12``), a day, or a range of days (``2024-01-01/2024-11-15``). Amazon Mining Watch writes
its yearly products as ``201800`` (year and month, month 00 for the whole year), which is read too.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR_MONTH = re.compile(r"^(\d{4})(\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*/\s*(\d{4}-\d{2}-\d{2})$")
_NAMED_RANGE = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})(?!\d)")

PERIOD_FORMS = (
    "a year (2024), a quarter (2024-Q2), a month (2023-12) or days (2024-01-01/2024-11-15)"
)


@dataclass(frozen=True, order=True)
class ObservationPeriod:
    """A span of days, both ends included, with the label it was given."""

    start: date
    end: date
    label: str

    def overlaps(self, start: date, end: date) -> bool:
        """Whether any day from ``start`` to ``end`` (inclusive) falls in the period."""
        return start <= self.end and end >= self.start

    @classmethod
    def year(cls, year: int) -> ObservationPeriod:
        """The whole of ``year``."""
        return cls(date(year, 1, 1), date(year, 12, 31), str(year))


def parse_period(text: str) -> ObservationPeriod:
    """The period written as ``text`` (see the module docstring); ValueError naming the forms
    understood otherwise."""
    given = text.strip()
    try:
        if match := _YEAR.match(given):
            return ObservationPeriod.year(int(match[1]))
        if match := _QUARTER.match(given):
            year, quarter = int(match[1]), int(match[2])
            first = 3 * quarter - 2
            last = 3 * quarter
            end = date(year, last, calendar.monthrange(year, last)[1])
            return ObservationPeriod(date(year, first, 1), end, f"{year}-Q{quarter}")
        if (match := _MONTH.match(given)) or (match := _YEAR_MONTH.match(given)):
            year, month = int(match[1]), int(match[2])
            if month == 0 and "-" not in given:  # AMW's 201800: the whole year
                return ObservationPeriod.year(year)
            end = date(year, month, calendar.monthrange(year, month)[1])
            return ObservationPeriod(date(year, month, 1), end, f"{year}-{month:02d}")
        if _DAY.match(given):
            day = date.fromisoformat(given)
            return ObservationPeriod(day, day, given)
        if match := _RANGE.match(given):
            start, end = date.fromisoformat(match[1]), date.fromisoformat(match[2])
            if end < start:
                raise ValueError(f"the period {given!r} ends before it starts")
            return ObservationPeriod(start, end, f"{match[1]}/{match[2]}")
    except ValueError as exc:
        if "ends before" in str(exc):
            raise
        raise ValueError(f"{given!r} is not a valid period: {exc}") from None
    raise ValueError(f"{given!r} is not a period: write {PERIOD_FORMS}")


def period_of_value(value: object) -> ObservationPeriod:
    """The period of a feature property such as ``year``: a number (``2024``, AMW's ``202400``)
    or text (a period as :func:`parse_period` reads it, or an ISO date-time, taken as its year:
    AMW's first-detection years are written ``2017-01-01T00:00:00``)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a period")
    if isinstance(value, int):
        return parse_period(str(value))
    if isinstance(value, float) and value.is_integer():
        return parse_period(str(int(value)))
    if isinstance(value, str):
        text = value.strip()
        if "T" in text:
            try:
                return ObservationPeriod.year(datetime.fromisoformat(text).year)
            except ValueError:
                pass
        return parse_period(text)
    raise ValueError(f"{value!r} is not a period: write {PERIOD_FORMS}")


def period_in_name(name: str) -> ObservationPeriod | None:
    """The period a file's name states as two dates (``..._2024-01-01_2024-11-15...``), if any."""
    match = _NAMED_RANGE.search(name)
    if match is None:
        return None
    try:
        return parse_period(f"{match[1]}/{match[2]}")
    except ValueError:
        return None
