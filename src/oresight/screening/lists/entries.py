"""What a sanctions list reader returns: the list, and one entry per listed party.

Every reader turns one published list into FollowTheMoney (FtM) entities and keeps, beside each
entity, what the list says about the listing itself (programmes, listing date) and where the entry
came from (the list's own record number and the record as read), so that a match found later can
be traced back to the exact line or element of the exact file, identified by its SHA-256.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path, PurePath
from typing import TypeVar

from followthemoney import EntityProxy

from oresight.core.errors import InvalidInput

_R = TypeVar("_R")

__all__ = [
    "ListEntry",
    "ListKind",
    "SanctionsList",
    "date_from_file_name",
    "file_bytes",
    "iso_date",
    "keyed_entries",
    "sha256_hex",
    "unique",
]


class ListKind(StrEnum):
    """The list formats oresight reads; the value is the ``list_id`` of the lists read."""

    US_OFAC_SDN = "us_ofac_sdn"
    UN_SC_CONSOLIDATED = "un_sc_consolidated"
    EU_FSF = "eu_fsf"
    OPENSANCTIONS = "opensanctions"


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One listed party: its FtM entity and what the list says about the listing.

    ``record_id`` is the list's own number for the record (OFAC ``ent_num``, UN ``DATAID``, EU
    ``logicalId``, the FtM id) and ``reference`` its public reference for the listing where it
    has another (UN ``CDe.009``, EU ``EU.27.28``); ``source_record`` is the record as read (the
    CSV row, the XML element's identifying fields, the JSON line). ``linked_names`` are names of
    other parties the list ties this one to in free text (OFAC "Linked To:", a vessel's owner).
    The entity is shared, not copied: treat it as read-only.
    """

    entity: EntityProxy
    list_id: str
    record_id: str
    programmes: tuple[str, ...]
    listed_on: date | None
    source_record: str
    remarks: str | None = None
    reference: str | None = None
    delisted_on: date | None = None
    linked_names: tuple[str, ...] = ()

    @property
    def entity_id(self) -> str:
        """The id of the entry's FtM entity."""
        return str(self.entity.id)


@dataclass(frozen=True, slots=True)
class SanctionsList:
    """A sanctions list as read from one file, all or nothing.

    ``published`` is the date the publisher generated the file (UN ``dateGenerated``, EU
    ``generationDate``), given by the caller or taken from the file name where the format holds
    none (OFAC SDN CSV). ``related`` holds the entities that are not listed parties but came with
    them (FtM Ownership, Directorship, Address, Sanction...), for the ownership graph.
    """

    list_id: str
    title: str
    publisher: str
    published: date | None
    entries: tuple[ListEntry, ...]
    source_file: str | None
    sha256: str
    related: tuple[EntityProxy, ...] = ()

    def programmes(self) -> tuple[str, ...]:
        """Every programme named by an entry, sorted."""
        return tuple(sorted({name for entry in self.entries for name in entry.programmes}))

    def by_programme(self, programme: str) -> tuple[ListEntry, ...]:
        """The entries listed under one programme, in list order."""
        return tuple(entry for entry in self.entries if programme in entry.programmes)


def file_bytes(path: Path) -> bytes:
    """The bytes of a list file; an unreadable file is :class:`InvalidInput` naming it."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read the file: {exc.strerror or exc}", file=str(path)) from None


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of the file bytes, as lower-case hex."""
    return hashlib.sha256(data).hexdigest()


_NAME_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def date_from_file_name(file: str | None) -> date | None:
    """The ISO date in a file's name (``ofac_sdn_2024-05-03.csv``), or ``None``."""
    if file is None:
        return None
    match = _NAME_DATE.search(PurePath(file).name)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def iso_date(text: str | None, *, file: str | None, record: str | None, field: str) -> date | None:
    """A full ISO date (``2007-03-29``, or the date part of a date-time), or ``None`` if blank.

    Anything else raises :class:`InvalidInput` naming the field.
    """
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        message = f"expected an ISO date (YYYY-MM-DD), found {value!r}"
        raise InvalidInput(message, file=file, record=record, field=field) from None


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """The non-blank values, stripped, first occurrence kept, in order."""
    seen: dict[str, None] = {}
    for value in values:
        text = value.strip()
        if text:
            seen.setdefault(text, None)
    return tuple(seen)


def keyed_entries(
    records: Iterable[_R],
    entry_of: Callable[[_R], ListEntry],
    *,
    where: Callable[[_R], str],
    file: str | None,
    field: str,
) -> tuple[ListEntry, ...]:
    """The entry of each record, in order; a record id given twice is refused, naming the record
    and the ``field`` that holds the id."""
    entries: dict[str, ListEntry] = {}
    for record in records:
        entry = entry_of(record)
        if entry.record_id in entries:
            message = f"{field} {entry.record_id} appears twice"
            raise InvalidInput(message, file=file, record=where(record), field=field)
        entries[entry.record_id] = entry
    return tuple(entries.values())
