"""Reader of OFAC's Specially Designated Nationals list in its legacy CSV form (``sdn.csv``).

The format's quirks, as OFAC publishes it:

- no header row; twelve columns: ``ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign,
  Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks``;
- latin-1 text with CRLF line ends, ``-0-`` (usually with a trailing space) for an empty field,
  and a DOS end-of-file byte (0x1A) alone on the last line;
- ``Program`` holds one code (``DRCONGO``) or several with their outer brackets cut off
  (``SDGT] [NPWMD] [IFSR``); a code may hold spaces (``CAATSA - RUSSIA``);
- ``SDN_Type`` is ``individual``, ``vessel`` or ``aircraft``, and empty for every other party;
- individuals are named ``LAST, First``;
- neither a listing date nor a publication date is in the file: the list's date comes from the
  caller or from an ISO date in the file name;
- strong aliases and addresses live in the companion files ``alt.csv`` (``ent_num, alt_num,
  alt_type, alt_name, alt_remarks``) and ``add.csv`` (``ent_num, add_num, address,
  city/state/postal, country, add_remarks``), same dialect; weak aliases and everything else sit in
  ``Remarks`` (see :mod:`oresight.screening.lists.ofac_remarks`).

Untyped parties become FtM ``LegalEntity``: OFAC leaves companies, banks, armed groups and
government bodies alike untyped, and ``LegalEntity`` is the FtM schema that claims no more than
that, while still matching both ``Company`` and ``Organization`` candidates.

Errors are :class:`InvalidInput` naming the file, the row (``row 12``, counting records from 1)
and the column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from followthemoney import EntityProxy

from oresight.core.errors import InvalidInput
from oresight.screening.lists.entries import (
    ListEntry,
    ListKind,
    SanctionsList,
    date_from_file_name,
    file_bytes,
    sha256_hex,
    unique,
)
from oresight.screening.lists.ofac_remarks import parse_remarks
from oresight.screening.lists.proxies import collapse, new_entity, put

__all__ = [
    "ADD_COLUMNS",
    "ALT_COLUMNS",
    "SDN_COLUMNS",
    "parse_ofac_sdn",
    "read_ofac_sdn",
    "sdn_programmes",
]

SDN_COLUMNS = (
    "ent_num", "SDN_Name", "SDN_Type", "Program", "Title", "Call_Sign",
    "Vess_type", "Tonnage", "GRT", "Vess_flag", "Vess_owner", "Remarks",
)  # fmt: skip
ALT_COLUMNS = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
ADD_COLUMNS = ("ent_num", "add_num", "address", "city/state/postal", "country", "add_remarks")

TITLE = "Specially Designated Nationals and Blocked Persons List (SDN)"
PUBLISHER = "US Department of the Treasury, Office of Foreign Assets Control (OFAC)"

NULL = "-0-"
_EOF = "\x1a"
_SCHEMAS = {"individual": "Person", "vessel": "Vessel", "aircraft": "Airplane", "": "LegalEntity"}
_ALT_PROPS = {"aka": "alias", "nka": "alias", "fka": "previousName"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

_Row = tuple[str, dict[str, str], str]  # (record name, fields by column, the record as read)


def read_ofac_sdn(
    path: Path,
    *,
    alt: Path | None = None,
    add: Path | None = None,
    published: date | None = None,
) -> SanctionsList:
    """Read ``sdn.csv``, with its ``alt.csv`` aliases and ``add.csv`` addresses where given."""
    return parse_ofac_sdn(
        file_bytes(path),
        file=str(path),
        alt=file_bytes(alt) if alt is not None else None,
        alt_file=str(alt) if alt is not None else None,
        add=file_bytes(add) if add is not None else None,
        add_file=str(add) if add is not None else None,
        published=published,
    )


def parse_ofac_sdn(
    data: bytes,
    *,
    file: str | None = None,
    alt: bytes | None = None,
    alt_file: str | None = None,
    add: bytes | None = None,
    add_file: str | None = None,
    published: date | None = None,
) -> SanctionsList:
    """Read the bytes of ``sdn.csv`` (and of its companion files) into a sanctions list.

    ``published`` defaults to the ISO date in the file name, else ``None``.
    """
    entries: dict[str, ListEntry] = {}
    for record, fields, raw in _rows(data, file, SDN_COLUMNS):
        entry = _entry(record, fields, raw, file)
        if entry.record_id in entries:
            message = f"ent_num {entry.record_id} appears twice"
            raise InvalidInput(message, file=file, record=record, field="ent_num")
        entries[entry.record_id] = entry
    if alt is not None:
        for record, fields, _ in _rows(alt, alt_file, ALT_COLUMNS):
            _add_alias(_owner(entries, fields, alt_file, record), fields, alt_file, record)
    if add is not None:
        for record, fields, _ in _rows(add, add_file, ADD_COLUMNS):
            _add_address(_owner(entries, fields, add_file, record), fields)
    return SanctionsList(
        list_id=ListKind.US_OFAC_SDN.value,
        title=TITLE,
        publisher=PUBLISHER,
        published=published if published is not None else date_from_file_name(file),
        entries=tuple(entries.values()),
        source_file=file,
        sha256=sha256_hex(data),
    )


def sdn_programmes(text: str) -> tuple[str, ...]:
    """The programme codes of a ``Program`` field: ``SDGT] [NPWMD`` gives ``(SDGT, NPWMD)``."""
    value = _value(text)
    if not value:
        return ()
    return unique(re.split(r"\]\s*\[", value.strip().removeprefix("[").removesuffix("]")))


def _entry(record: str, fields: dict[str, str], raw: str, file: str | None) -> ListEntry:
    ent_num = _value(fields["ent_num"])
    if not ent_num.isdigit():
        message = f"expected the entry number, a whole number, found {ent_num!r}"
        raise InvalidInput(message, file=file, record=record, field="ent_num")
    name = collapse(_value(fields["SDN_Name"]))
    if not name:
        raise InvalidInput("the entry has no name", file=file, record=record, field="SDN_Name")
    kind = _value(fields["SDN_Type"]).lower()
    schema = _SCHEMAS.get(kind)
    if schema is None:
        message = f"expected individual, vessel, aircraft or {NULL}, found {kind!r}"
        raise InvalidInput(message, file=file, record=record, field="SDN_Type")
    programmes = sdn_programmes(fields["Program"])
    proxy = new_entity(schema, f"ofac-sdn-{int(ent_num)}")
    put(proxy, "name", name)
    if schema == "Person":
        last, comma, first = name.partition(",")
        if comma and "," not in first and last.strip() and first.strip():
            put(proxy, "lastName", last)
            put(proxy, "firstName", first)
    put(proxy, "position", _value(fields["Title"]))
    put(proxy, "callSign", _value(fields["Call_Sign"]))
    put(proxy, "type", _value(fields["Vess_type"]))
    put(proxy, "tonnage", _value(fields["Tonnage"]).replace(",", ""))
    put(proxy, "grossRegisteredTonnage", _value(fields["GRT"]).replace(",", ""))
    put(proxy, "flag", _value(fields["Vess_flag"]))
    remarks = collapse(_value(fields["Remarks"])) or None
    linked = [_value(fields["Vess_owner"])]
    if remarks is not None:
        parsed = parse_remarks(remarks)
        for prop, value in parsed.values:
            # LegalEntity has no imoNumber: a ship manager's IMO company number is its number.
            if prop == "imoNumber" and proxy.schema.get(prop) is None:
                prop = "registrationNumber"
            put(proxy, prop, value)
        linked.extend(parsed.linked_names)
        put(proxy, "notes", remarks)
    put(proxy, "topics", "sanction", cleaned=True)
    put(proxy, "programId", programmes, cleaned=True)
    return ListEntry(
        entity=proxy,
        list_id=ListKind.US_OFAC_SDN.value,
        record_id=str(int(ent_num)),
        programmes=programmes,
        listed_on=None,
        source_record=raw,
        remarks=remarks,
        linked_names=unique(linked),
    )


def _owner(
    entries: dict[str, ListEntry], fields: dict[str, str], file: str | None, record: str
) -> EntityProxy:
    ent_num = _value(fields["ent_num"])
    key = str(int(ent_num)) if ent_num.isdigit() else ent_num
    entry = entries.get(key)
    if entry is None:
        message = f"no SDN entry has ent_num {ent_num!r}"
        raise InvalidInput(message, file=file, record=record, field="ent_num")
    return entry.entity


def _add_alias(proxy: EntityProxy, fields: dict[str, str], file: str | None, record: str) -> None:
    kind = _value(fields["alt_type"]).lower().replace(".", "")
    prop = _ALT_PROPS.get(kind)
    if prop is None:
        message = f"expected an alias type aka, fka or nka, found {kind!r}"
        raise InvalidInput(message, file=file, record=record, field="alt_type")
    name = _value(fields["alt_name"])
    if not name:
        raise InvalidInput("the alias has no name", file=file, record=record, field="alt_name")
    put(proxy, prop, name)


def _add_address(proxy: EntityProxy, fields: dict[str, str]) -> None:
    parts = [_value(fields[column]) for column in ("address", "city/state/postal", "country")]
    put(proxy, "address", ", ".join(collapse(part) for part in parts if part))
    put(proxy, "country", _value(fields["country"]))


def _rows(data: bytes, file: str | None, columns: tuple[str, ...]) -> Iterator[_Row]:
    """The records of one of OFAC's headerless CSV files, checked for their column count."""
    text = _text(data, file)
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    reader = csv.reader(lines(), strict=True)
    number = 0
    while True:
        try:
            fields = next(reader, None)
        except csv.Error as exc:
            record = f"row {number + 1}"
            raise InvalidInput(f"malformed CSV: {exc}", file=file, record=record) from None
        if fields is None:
            return
        raw = "".join(consumed).rstrip("\r\n")
        consumed.clear()
        if not fields:
            continue
        number += 1
        record = f"row {number}"
        if len(fields) != len(columns):
            message = (
                f"wrong column count: expected {len(columns)} columns "
                f"({', '.join(columns)}), found {len(fields)}"
            )
            raise InvalidInput(message, file=file, record=record)
        yield record, dict(zip(columns, fields, strict=True)), raw


def _text(data: bytes, file: str | None) -> str:
    """The file as text: latin-1 as OFAC writes it (UTF-8 when it starts with a UTF-8 BOM)."""
    if b"\x00" in data:
        message = (
            "the file holds NUL bytes: not the latin-1 text OFAC publishes (UTF-16, or binary?)"
        )
        raise InvalidInput(message, file=file)
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            message = f"starts with a UTF-8 byte-order mark but is not UTF-8 (byte {exc.start})"
            raise InvalidInput(message, file=file) from None
    else:
        text = data.decode("latin-1")
    body = text.removesuffix(_EOF).rstrip("\r\n").removesuffix(_EOF)
    junk = _CONTROL.search(body)
    if junk is not None:
        line = body.count("\n", 0, junk.start()) + 1
        message = f"control character {junk.group()!r} on line {line}: not a text CSV file"
        raise InvalidInput(message, file=file)
    return body


def _value(text: str) -> str:
    """A field's text, with OFAC's ``-0-`` null read as empty."""
    value = text.strip()
    return "" if value == NULL else value
