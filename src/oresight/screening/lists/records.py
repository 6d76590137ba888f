"""List entries as JSON objects, for keeping them: the FtM entity and the listing, round trip.

A stored entry must come back equal to the one read, so the entity is kept as FtM's own
``to_dict`` (id, schema, properties) and every listing field beside it; dates as ISO text.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from followthemoney import EntityProxy, model
from followthemoney.exc import InvalidData

from oresight.core.errors import InvalidInput
from oresight.screening.lists.entries import ListEntry

__all__ = ["entity_from_json", "entry_from_json", "entry_to_json"]


def entry_to_json(entry: ListEntry) -> dict[str, Any]:
    """The entry as a JSON object (what :func:`entry_from_json` reads back)."""
    return {
        "entity": entry.entity.to_dict(),
        "list_id": entry.list_id,
        "record_id": entry.record_id,
        "programmes": list(entry.programmes),
        "listed_on": _iso(entry.listed_on),
        "delisted_on": _iso(entry.delisted_on),
        "reference": entry.reference,
        "remarks": entry.remarks,
        "linked_names": list(entry.linked_names),
        "source_record": entry.source_record,
    }


def entry_from_json(data: dict[str, Any], *, where: str | None = None) -> ListEntry:
    """The entry a JSON object of :func:`entry_to_json` holds; ``where`` names it in errors."""
    try:
        return ListEntry(
            entity=entity_from_json(data["entity"], where=where),
            list_id=str(data["list_id"]),
            record_id=str(data["record_id"]),
            programmes=tuple(data["programmes"]),
            listed_on=_date(data.get("listed_on")),
            source_record=str(data["source_record"]),
            remarks=data.get("remarks"),
            reference=data.get("reference"),
            delisted_on=_date(data.get("delisted_on")),
            linked_names=tuple(data.get("linked_names") or ()),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"not a stored list entry ({exc})", record=where) from None


def entity_from_json(data: dict[str, Any], *, where: str | None = None) -> EntityProxy:
    """An FtM entity from its ``to_dict`` form."""
    try:
        return model.get_proxy(data, cleaned=True)
    except (InvalidData, KeyError, TypeError) as exc:
        raise InvalidInput(f"not an FtM entity ({exc})", record=where) from None


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
