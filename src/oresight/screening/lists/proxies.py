"""Building FtM entities from list records: ids, cleaned values, and text tidied of layout.

Values go through FtM's own cleaning (countries to ISO codes, dates to ISO prefixes, IMO numbers
to ``IMO1234567``); a value FtM cannot clean is dropped from the property, as FtM does, and stays
visible in the entry's source record and notes. A property the schema lacks (a phone number on a
vessel) is skipped rather than refused: list remarks are free text, the schema is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from followthemoney import EntityProxy, model

__all__ = ["MAX_YEAR_SPAN", "collapse", "new_entity", "put", "year_span"]

MAX_YEAR_SPAN = 30
"""Widest birth-year range spelled out year by year; wider ranges keep their two ends only."""

_SPACE = re.compile(r"\s+")


def collapse(text: str | None) -> str:
    """The text with runs of white space (hard line wraps in XML) made one space, stripped."""
    if text is None:
        return ""
    return _SPACE.sub(" ", text).strip()


def new_entity(schema: str, entity_id: str) -> EntityProxy:
    """An empty FtM entity of a schema with a given, list-namespaced id."""
    proxy = model.make_entity(schema)
    proxy.id = entity_id
    return proxy


def put(
    proxy: EntityProxy,
    prop: str,
    values: str | Iterable[str] | None,
    *,
    cleaned: bool = False,
) -> None:
    """Add values, cleaned by FtM, to a property the schema has; skip it where the schema lacks it.

    Blank values are skipped. White space inside a value is left to the caller (:func:`collapse`,
    or :func:`~oresight.screening.lists.xml_records.text_of`), which knows where layout can hide.
    ``cleaned`` skips FtM's cleaning, for values the reader made itself (topics, programme codes).
    """
    if values is None or proxy.schema.get(prop) is None:
        return
    if isinstance(values, str):
        values = (values,)
    for value in values:
        if value and not value.isspace():
            proxy.add(prop, value, cleaned=cleaned, quiet=True)


def year_span(first: int, last: int) -> list[str]:
    """Birth years of a range, every year in it: FtM dates hold no ranges, a matcher any value.

    A range wider than :data:`MAX_YEAR_SPAN` keeps its two ends, so that a careless range does
    not make an entity match every birth year of a century.
    """
    low, high = min(first, last), max(first, last)
    if high - low > MAX_YEAR_SPAN:
        return [str(low), str(high)]
    return [str(year) for year in range(low, high + 1)]
