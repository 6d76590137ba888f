"""Whether a relationship or a sanction is in force on a given day.

FtM dates have the precision their source gave: ``2024``, ``2024-03``, ``2024-03-22`` or a full
timestamp. An interval is in force on ``as_of`` unless it surely had not begun (its earliest start
is after ``as_of`` at the start's precision) or surely had ended (its latest end is before
``as_of`` at the end's precision). An end date is inclusive, and ``endDate: 2024`` keeps a
relationship in force through the whole of 2024: a guess the other way could hide a sanctioned
owner.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from oresight.core.errors import InvalidInput

_DATE = re.compile(r"(\d{4})(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?(?=$|T|\s)")


def in_force(
    starts: Sequence[str],
    ends: Sequence[str],
    *,
    as_of: date,
    record: str,
    start_field: str = "properties.startDate",
    end_field: str = "properties.endDate",
) -> bool:
    """Whether the interval given by FtM start and end dates covers ``as_of``.

    ``record`` and the field names locate a malformed date in the error.
    """
    day = as_of.isoformat()
    if starts:
        # The start is padded low and the end high, so that a coarse date covers its whole period.
        earliest = min(_padded(value, "-00", record, start_field) for value in starts)
        if earliest > day:
            return False
    if ends:
        latest = max(_padded(value, "-99", record, end_field) for value in ends)
        if latest < day:
            return False
    return True


def _padded(value: str, pad: str, record: str, field: str) -> str:
    """The date part of an FtM date, padded to ``YYYY-MM-DD`` with ``pad`` where it is coarser."""
    match = _DATE.match(value.strip())
    if match is None:
        message = f"expected a date such as 2024, 2024-03 or 2024-03-22, found {value!r}"
        raise InvalidInput(message, record=record, field=field)
    text = match.group(0)
    while len(text) < len("YYYY-MM-DD"):
        text += pad
    return text
