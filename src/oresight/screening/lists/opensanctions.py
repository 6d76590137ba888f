"""Reader of OpenSanctions exports: FollowTheMoney entities as JSON lines.

The format (``entities.ftm.json``, ``targets.nested.json`` flattened to one entity a line): each
line is ``{"id", "schema", "properties": {name: [values]}}``, with OpenSanctions' own keys beside
them: ``datasets``, ``target`` (whether the entity is itself a listed party), ``first_seen``,
``last_seen``, ``last_change``, ``referents``, ``caption``. The listing is not a property of the
party but a separate FtM ``Sanction`` entity whose ``entity`` points at it, with the
``program``/``programId``, ``authority`` and ``listingDate``/``startDate``.

A party is a list entry when it is a ``target`` or when a ``Sanction`` points at it. Its
programmes are its sanctions' ``programId`` (their ``program`` where a sanction has no id) and
its own ``programId``; its listing date is the earliest full ``listingDate`` of its sanctions (a
sanction's ``startDate`` where it has no full listing date); its remarks say which authority
listed it under which programme. Every other entity (the ``Sanction`` records themselves,
``Ownership``, ``Directorship``, ``Family``, ``Address``, ``Passport``, companies that are not
targets) is returned as ``related``: the ownership graph needs them. The export has no date of
its own; the list's date is the newest ``last_seen``, the day the data was last confirmed.

An unknown schema or property, or a malformed line, is :class:`InvalidInput` naming the line and
the field; values that FtM's type cleaning rejects are dropped, as FtM does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from followthemoney import EntityProxy

from oresight.core.errors import InvalidInput
from oresight.screening.ftm import entity_proxy
from oresight.screening.lists.entries import (
    ListEntry,
    ListKind,
    SanctionsList,
    file_bytes,
    sha256_hex,
    unique,
)

__all__ = ["parse_opensanctions", "read_opensanctions"]

TITLE = "OpenSanctions entities"
PUBLISHER = "OpenSanctions"


@dataclass(frozen=True, slots=True)
class _Line:
    """One entity as read, with its line and what OpenSanctions says beside the properties."""

    record: str
    raw: str
    proxy: EntityProxy
    target: bool
    last_seen: date | None


def read_opensanctions(path: Path, *, title: str = TITLE) -> SanctionsList:
    """Read an OpenSanctions FtM JSON lines export."""
    return parse_opensanctions(file_bytes(path), file=str(path), title=title)


def parse_opensanctions(
    data: bytes, *, file: str | None = None, title: str = TITLE
) -> SanctionsList:
    """Read the bytes of an OpenSanctions FtM JSON lines export into a sanctions list."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"not UTF-8 text (byte {exc.start})", file=file) from None
    lines: dict[str, _Line] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        line = _read_line(raw.strip(), file, f"line {number}")
        entity_id = str(line.proxy.id)
        if entity_id in lines:
            message = f"entity {entity_id!r} appears twice (first on {lines[entity_id].record})"
            raise InvalidInput(message, file=file, record=line.record, field="id")
        lines[entity_id] = line
    sanctions: dict[str, list[EntityProxy]] = {}
    for line in lines.values():
        if line.proxy.schema.name == "Sanction":
            for entity_id in line.proxy.get("entity"):
                sanctions.setdefault(entity_id, []).append(line.proxy)
    entries: list[ListEntry] = []
    related: list[EntityProxy] = []
    for entity_id, line in lines.items():
        listed = line.proxy.schema.name != "Sanction" and (line.target or entity_id in sanctions)
        if not listed:
            related.append(line.proxy)
            continue
        entries.append(_entry(line, sanctions.get(entity_id, [])))
    seen = [line.last_seen for line in lines.values() if line.last_seen is not None]
    return SanctionsList(
        list_id=ListKind.OPENSANCTIONS.value,
        title=title,
        publisher=PUBLISHER,
        published=max(seen, default=None),
        entries=tuple(entries),
        source_file=file,
        sha256=sha256_hex(data),
        related=tuple(related),
    )


def _entry(line: _Line, sanctions: list[EntityProxy]) -> ListEntry:
    programmes: list[str] = []
    listed: list[date] = []
    remarks: list[str] = []
    for sanction in sanctions:
        programmes.extend(sanction.get("programId") or sanction.get("program"))
        remarks.append(_summary(sanction))
        for prop in ("listingDate", "startDate"):
            days = [day for day in map(_full_date, sanction.get(prop)) if day is not None]
            if days:
                listed.extend(days)
                break
    programmes.extend(line.proxy.get("programId"))
    return ListEntry(
        entity=line.proxy,
        list_id=ListKind.OPENSANCTIONS.value,
        record_id=str(line.proxy.id),
        programmes=unique(programmes),
        listed_on=min(listed, default=None),
        source_record=line.raw,
        remarks="\n".join(unique(remarks)) or None,
    )


def _summary(sanction: EntityProxy) -> str:
    """One line on a sanction: who listed the party, under which programme, since when."""
    authority = "; ".join(sanction.get("authority")) or "unnamed authority"
    programme = "; ".join(sanction.get("program") + sanction.get("programId")) or "no programme"
    since = sanction.get("listingDate") or sanction.get("startDate")
    return f"{authority}: {programme}" + (f", listed {since[0]}" if since else "")


def _read_line(raw: str, file: str | None, record: str) -> _Line:
    def error(message: str, field: str | None = None) -> InvalidInput:
        return InvalidInput(message, file=file, record=record, field=field)

    try:
        entity = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise error(f"malformed JSON at column {exc.colno}: {exc.msg}") from None
    proxy = entity_proxy(entity, file, record)
    target = entity.get("target", False)
    if not isinstance(target, bool):
        raise error(f"expected true or false, found {target!r}", "target")
    return _Line(record, raw, proxy, target, _seen(entity, error))


def _seen(
    entity: Mapping[str, Any], error: Callable[[str, str | None], InvalidInput]
) -> date | None:
    value = entity.get("last_seen")
    if value is None:
        return None
    day = _full_date(value) if isinstance(value, str) else None
    if day is None:
        raise error(f"expected an ISO date-time, found {value!r}", "last_seen")
    return day


def _full_date(value: str) -> date | None:
    """The date of a full ISO date or date-time; ``None`` for a partial one (``2022-03``)."""
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
