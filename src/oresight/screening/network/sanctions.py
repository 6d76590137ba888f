"""The sanctioned set, derived from FtM ``Sanction`` entities in force on a day.

A ``Sanction`` points at the sanctioned entity through ``entity`` and names its ``authority`` and
``program``. It is in force on ``as_of`` unless it starts later (``startDate``, else its earliest
``listingDate``) or ended before (``endDate``); one without dates is taken as in force, since a
list in use is a list of current designations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import TypeAlias

from oresight.core.errors import InvalidInput
from oresight.screening.network.dates import in_force
from oresight.screening.network.graph import Entity, entity_view

SanctionFilter: TypeAlias = Callable[[Mapping[str, Sequence[str]]], bool]
"""Chooses Sanction entities by their properties, e.g. only those of one authority."""

REASONS_SHOWN = 3
"""How many designations a reason names before it only counts the rest."""

PROGRAM_CHARACTERS = 60
"""Programme names longer than this are cut (some lists quote a whole ordinance)."""


def sanctions_in_force(
    entities: Iterable[Entity], *, as_of: date, include: SanctionFilter | None = None
) -> dict[str, str]:
    """Map each sanctioned entity id to a short reason naming its designations in force.

    ``include`` keeps only the Sanction entities it accepts (by default, all). The 50 % rule is
    OFAC's, so a strict US reading passes a filter for OFAC designations; the default takes every
    authority, which is what a due-diligence screen usually wants.
    """
    designations: dict[str, set[str]] = {}
    for entity in entities:
        entity_id, schema_name, properties, _ = entity_view(entity)
        if schema_name != "Sanction":
            continue
        targets = properties.get("entity", ())
        if not targets:
            message = "a Sanction needs the 'entity' it designates; this one has none"
            raise InvalidInput(message, record=entity_id, field="properties.entity")
        if include is not None and not include(properties):
            continue
        starts = properties.get("startDate", ())
        start_field = "properties.startDate"
        if not starts:
            starts = properties.get("listingDate", ())
            start_field = "properties.listingDate"
        ends = properties.get("endDate", ())
        if not in_force(starts, ends, as_of=as_of, record=entity_id, start_field=start_field):
            continue
        for target in targets:
            designations.setdefault(target, set()).add(_designation(properties))
    return {target: _reason(found) for target, found in designations.items()}


def _designation(properties: Mapping[str, Sequence[str]]) -> str:
    authority = _first(properties, "authority") or _first(properties, "country")
    program = _first(properties, "program") or _first(properties, "programId")
    authority = authority or "unnamed authority"
    if program is not None and len(program) > PROGRAM_CHARACTERS:
        program = program[: PROGRAM_CHARACTERS - 1].rstrip() + "…"
    return f"{authority} ({program})" if program else authority


def _reason(designations: set[str]) -> str:
    ordered = sorted(designations)
    text = "; ".join(ordered[:REASONS_SHOWN])
    if len(ordered) > REASONS_SHOWN:
        text += f"; and {len(ordered) - REASONS_SHOWN} more"
    return text


def _first(properties: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = properties.get(name, ())
    return values[0] if values else None
