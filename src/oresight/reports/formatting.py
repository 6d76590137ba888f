"""How both reports (HTML and PDF) write times, periods, licence dates and evidence figures."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from oresight.core.sites import Site

# Long evidence values (a whole geometry, a list of rows) would swamp the table.
_MAX_VALUE_CHARS = 200


def format_time(value: datetime | date | None) -> str:
    """A time for people: to the minute, "UTC" for UTC, an em dash when there is none."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        text = value.isoformat(sep=" ", timespec="minutes")
        return text[:-6] + " UTC" if text.endswith("+00:00") else text
    return value.isoformat()


def format_period(start: datetime | None, end: datetime | None) -> str:
    """A finding's period, "start to end", "open" for an open end."""
    if start is None and end is None:
        return "not stated"
    first = format_time(start) if start else "open"
    last = format_time(end) if end else "open"
    return f"{first} to {last}"


def format_licence_validity(site: Site) -> str:
    """When a site's licence is valid, from and to; empty without a licence."""
    licence = site.licence
    if licence is None:
        return ""
    if licence.valid_from is None and licence.valid_to is None:
        return "no dates stated"
    first = licence.valid_from.isoformat() if licence.valid_from else "open"
    last = licence.valid_to.isoformat() if licence.valid_to else "open"
    return f"{first} to {last}"


def format_value(value: Any) -> str:
    """An evidence figure as text (JSON for structures), cut to a readable length."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, datetime | date):
        text = format_time(value)
    elif isinstance(value, bool | int | float) or value is None:
        text = json.dumps(value)
    else:
        text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 1] + "…"
    return text


DRAWN_KEYS = frozenset({"map"})
"""Evidence data drawn as a figure (a map) rather than printed."""


def evidence_figures(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """An evidence item's figures as (name, text), in name order; data drawn as a figure is
    named, not printed."""
    return [
        (key, "drawn above" if key in DRAWN_KEYS else format_value(value))
        for key, value in sorted(data.items(), key=lambda kv: kv[0].lower())
    ]


def display_name(name: str) -> str:
    """Turn ``processing_facility`` into ``processing facility`` for display."""
    return name.replace("_", " ")
