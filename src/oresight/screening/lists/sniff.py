"""Reading any supported sanctions list, its format recognised from the content.

File names say little (``consolidated.xml``, ``export.xml``, ``sdn.csv`` renamed by a download
script), so the format is told from the first bytes: the root element of XML (``CONSOLIDATED_LIST``
for the UN, ``export`` in the EU FSF namespace), an FtM entity on the first line of JSON lines, or
twelve CSV columns led by a whole number for OFAC's SDN file.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from pathlib import Path

from oresight.core.errors import InvalidInput, UnknownFormat
from oresight.screening.ftm import looks_like_ftm
from oresight.screening.lists.entries import ListKind, SanctionsList, file_bytes
from oresight.screening.lists.eu import EU_FSF_NAMESPACE, parse_eu_fsf
from oresight.screening.lists.ofac import SDN_COLUMNS, parse_ofac_sdn
from oresight.screening.lists.opensanctions import parse_opensanctions
from oresight.screening.lists.un import parse_un_sc

__all__ = ["detect_list_kind", "read_list"]

_HEAD = 8192
_UN_ROOT = re.compile(r"<CONSOLIDATED_LIST[\s>/]")
_EU_ROOT = re.compile(r"<(?:[\w.-]+:)?export[\s>/][^>]*" + re.escape(EU_FSF_NAMESPACE))
_EXPECTED = "OFAC SDN CSV, UN Security Council XML, EU FSF XML or OpenSanctions FtM JSON lines"


def read_list(path: Path, *, kind: ListKind | str | None = None) -> SanctionsList:
    """Read a sanctions list file; its format is detected from the content unless ``kind`` says.

    An unrecognised file raises :class:`UnknownFormat` (an :class:`InvalidInput`) naming it.
    """
    data = file_bytes(path)
    file = str(path)
    if kind is None:
        detected = detect_list_kind(data)
        if detected is None:
            message = f"not a sanctions list oresight reads (expected {_EXPECTED})"
            raise UnknownFormat(f"{message}; it starts with {_opening(data)!r}", file=file)
        kind = detected
    try:
        kind = ListKind(kind)
    except ValueError:
        known = ", ".join(member.value for member in ListKind)
        raise InvalidInput(f"unknown list kind {kind!r}; expected one of {known}") from None
    if kind is ListKind.US_OFAC_SDN:
        return parse_ofac_sdn(data, file=file)
    if kind is ListKind.UN_SC_CONSOLIDATED:
        return parse_un_sc(data, file=file)
    if kind is ListKind.EU_FSF:
        return parse_eu_fsf(data, file=file)
    return parse_opensanctions(data, file=file)


def detect_list_kind(data: bytes) -> ListKind | None:
    """The list format that the first bytes show, or ``None`` when they show none we read."""
    head = _head_text(data)
    if head.startswith("<"):
        if _UN_ROOT.search(head):
            return ListKind.UN_SC_CONSOLIDATED
        if _EU_ROOT.search(head):
            return ListKind.EU_FSF
        return None
    if head.startswith("{"):
        first_line = _first_line(data)
        try:
            entity = json.loads(first_line)
        except ValueError:
            return None
        if isinstance(entity, dict) and looks_like_ftm(entity):
            return ListKind.OPENSANCTIONS
        return None
    try:
        rows = list(csv.reader([head.partition("\n")[0]]))
    except csv.Error:  # a NUL byte: no CSV
        return None
    if rows and len(rows[0]) == len(SDN_COLUMNS) and rows[0][0].strip().isdigit():
        return ListKind.US_OFAC_SDN
    return None


def _head_text(data: bytes) -> str:
    """The opening of the file as text, without byte-order mark or leading white space."""
    head = data[:_HEAD]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head.decode("utf-16", errors="replace")
    else:
        text = head.decode("utf-8", errors="replace")
    return text.lstrip("\ufeff \t\r\n")


def _first_line(data: bytes) -> str:
    body = data.removeprefix(codecs.BOM_UTF8).lstrip()
    return body.partition(b"\n")[0].decode("utf-8", errors="replace")


def _opening(data: bytes) -> str:
    return data[:40].decode("utf-8", errors="replace")
