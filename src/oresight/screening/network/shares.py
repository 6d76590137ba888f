"""Ownership shares: percentages as written in the wild, read into exact bounds.

FtM's ``Ownership.percentage`` is free text. Sources write ``50``, ``50%``, ``50.0``, ``50,5``
(decimal comma), ranges (``25-50%``, UK PSC's ``ownership-of-shares-25-to-50-percent``) and bounds
(``>50``, ``more than 25 %``, ``less than 5``). A share is therefore an interval ``[low, high]`` in
percent, exact when both ends agree. What cannot be read is *unknown*, ``[0, 100]``: never silently
0 or 100, so the 50 % rule can tell "blocked" from "possibly blocked".

A bare number is always a percentage: ``0.5`` is half a percent. A fraction (0.5 meaning 50 %)
cannot be told apart from a small holding, and reading small holdings as a hundred times larger
would block entities that are not owned by anyone sanctioned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from oresight.core.errors import InvalidInput

ZERO = Decimal(0)
HUNDRED = Decimal(100)

_NUMBER = r"(\d+(?:[.,]\d*)?|[.,]\d+)"
_RANGE = re.compile(rf"{_NUMBER}\s*(?:-|–|—|to)\s*{_NUMBER}")
_AT_LEAST = re.compile(
    rf"(?:>=|=>|≥|>|\b(?:more than|over|above|at least|min(?:imum)?))\s*{_NUMBER}"
)
_AT_MOST = re.compile(
    rf"(?:<=|=<|≤|<|\b(?:less than|under|below|up to|at most|max(?:imum)?))\s*{_NUMBER}"
)
_SINGLE = re.compile(_NUMBER)
_DIGIT = re.compile(r"\d")
# Hyphens that join words ("ownership-of-shares-25-to-50-percent") are spaces; a hyphen between
# two numbers stays, as it marks a range.
_WORD_HYPHEN = re.compile(r"(?<=[^\W\d])-|-(?=[^\W\d])")
_PERCENT_WORDS = re.compile(r"%|％|\bpercent\b|\bper cent\b|\bpct\b")


@dataclass(frozen=True, slots=True)
class Share:
    """A share of an asset in percent: exactly known (``low == high``) or known within bounds."""

    low: Decimal
    high: Decimal

    def __post_init__(self) -> None:
        if not ZERO <= self.low <= self.high <= HUNDRED:
            message = f"a share needs 0 <= low <= high <= 100, found [{self.low}, {self.high}]"
            raise InvalidInput(message, field="share")

    @classmethod
    def exact(cls, percent: Decimal | int | str) -> Share:
        """A share known exactly, in percent."""
        value = Decimal(percent)
        return cls(value, value)

    @classmethod
    def unknown(cls) -> Share:
        """A share nothing is known about: anywhere from 0 to 100 %."""
        return cls(ZERO, HUNDRED)

    @property
    def is_exact(self) -> bool:
        """Whether the share is known exactly."""
        return self.low == self.high

    @property
    def is_unknown(self) -> bool:
        """Whether nothing at all is known about the share."""
        return self.low == ZERO and self.high == HUNDRED

    def times(self, other: Share) -> Share:
        """The share of a share (multiplied along a chain; an analytic view, not OFAC's rule)."""
        return Share(self.low * other.low / HUNDRED, self.high * other.high / HUNDRED)

    def __str__(self) -> str:
        if self.is_exact:
            return f"{format_percent(self.low)} %"
        if self.is_unknown:
            return "unknown share"
        return f"{format_percent(self.low)}–{format_percent(self.high)} %"


def format_percent(value: Decimal) -> str:
    """A percentage for people: at most two decimals, no trailing zeros, no exponent."""
    rounded = value.quantize(Decimal("0.01")).normalize()
    text = format(rounded, "f")
    return "0" if text in {"-0", ""} else text


def parse_percentage(text: str) -> Share | None:
    """Read one written percentage into a share, or ``None`` when it cannot be read.

    Accepted: a number (``50``, ``50.0``, ``50,5``, with or without ``%``), a range (``25-50``,
    ``25 to 50 %``), a lower bound (``>50``, ``more than 25%``) and an upper bound (``<5``,
    ``less than 5 %``), also inside a phrase that holds no other number. Values outside 0–100 and
    reversed ranges are not readable.
    """
    normal = text.strip().lower().replace("\u00a0", " ").replace("\u2212", "-")
    normal = _WORD_HYPHEN.sub(" ", normal)
    normal = " ".join(_PERCENT_WORDS.sub(" ", normal).split())
    for pattern, build in (
        (_RANGE, _range),
        (_AT_LEAST, _at_least),
        (_AT_MOST, _at_most),
        (_SINGLE, _single),
    ):
        match = pattern.search(normal)
        if match is None:
            continue
        before, after = normal[: match.start()], normal[match.end() :]
        if _DIGIT.search(before + after):
            return None  # another number beside the one read: ambiguous
        if before.endswith("-"):
            return None  # a negative number
        return build(*(_number(group) for group in match.groups()))
    return None


@lru_cache(maxsize=4096)
def read_shares(texts: tuple[str, ...]) -> Share:
    """The share one record states: the span of its readable values, else unknown.

    Cached: a network states the same few percentages over and over.
    """
    shares = [share for share in map(parse_percentage, texts) if share is not None]
    if not shares:
        return Share.unknown()
    return Share(min(share.low for share in shares), max(share.high for share in shares))


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None


def _bounded(low: Decimal | None, high: Decimal | None) -> Share | None:
    if low is None or high is None or not ZERO <= low <= high <= HUNDRED:
        return None
    return Share(low, high)


def _range(low: Decimal | None, high: Decimal | None) -> Share | None:
    return _bounded(low, high)


def _at_least(low: Decimal | None) -> Share | None:
    return _bounded(low, HUNDRED)


def _at_most(high: Decimal | None) -> Share | None:
    return _bounded(ZERO, high)


def _single(value: Decimal | None) -> Share | None:
    return _bounded(value, value)
