"""Any trade or production file, told apart by its content and read with its own reader.

``oresight trade load`` takes files of several kinds at once; :func:`read_trade_file` looks at a
file's first bytes (its header, or a JSON object) and hands it to the reader of its kind:

* UN Comtrade API v1, CSV or JSON (``reporterCode``, ``cmdCode``, ...) → flows;
* CEPII BACI (``t,i,j,k,v,q``) → flows;
* USGS Mineral Commodity Summaries world tables (``Country``, ``Type``, ``Prod_...``) → production;
* a national production table (``country``, ``mineral``, ``year``, ``tonnes``/``value_usd``)
  → production.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pyarrow as pa

from oresight.core.errors import InvalidInput, UnknownFormat
from oresight.trade.baci import COLUMNS as BACI_COLUMNS
from oresight.trade.baci import read_baci
from oresight.trade.comtrade import read_comtrade
from oresight.trade.flows import LoadSummary
from oresight.trade.production import (
    NATIONAL_COLUMNS,
    read_production_csv,
    usgs_production_table,
)
from oresight.trade.usgs import read_mcs_world


class FileKind(StrEnum):
    COMTRADE = "comtrade"
    BACI = "baci"
    USGS_WORLD = "usgs-mcs-world"
    NATIONAL_PRODUCTION = "production"


@dataclass(frozen=True)
class TradeFile:
    """One file read: its kind, its rows (flows or production), what was left out, its digest."""

    path: Path
    kind: FileKind
    table: pa.Table
    sha256: str
    summary: LoadSummary | None = None
    """For flows: what was kept and left out (production files keep every row)."""

    @property
    def is_flows(self) -> bool:
        return self.kind in (FileKind.COMTRADE, FileKind.BACI)

    def describe(self) -> str:
        if self.summary is not None:
            return self.summary.describe()
        return f"{self.path.name}: {self.table.num_rows:,} production rows ({self.kind})"


def file_kind(path: Path) -> FileKind:
    """What ``path`` holds, from its first line (or its first JSON character)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(65536)
    except OSError as error:
        raise InvalidInput(f"cannot read the file ({error.strerror})", file=str(path)) from error
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    if text.startswith(("{", "[")):
        return FileKind.COMTRADE
    first = text.splitlines()[0] if text else ""
    names = next(csv.reader(io.StringIO(first)), [])
    header = {name.strip() for name in names}
    if {"reporterCode", "cmdCode"} <= header:
        return FileKind.COMTRADE
    if set(BACI_COLUMNS) <= header:
        return FileKind.BACI
    if {"Country", "Type"} <= header or any(name.startswith("Prod_") for name in header):
        return FileKind.USGS_WORLD
    if set(NATIONAL_COLUMNS) <= header:
        return FileKind.NATIONAL_PRODUCTION
    delimiter = max((",", ";", "\t", "|"), key=first.count)
    hint = "" if delimiter == "," else f" (it looks {delimiter!r}-separated; files must use commas)"
    raise UnknownFormat(
        "not a trade or production file oresight reads: expected UN Comtrade (reporterCode, "
        "cmdCode, ...), CEPII BACI (t,i,j,k,v,q), a USGS MCS world table (Country, Type, "
        "Prod_...) or a production table (country, mineral, year, tonnes or value_usd); "
        f"found the columns {', '.join(sorted(header)) or 'none'}{hint}",
        file=str(path),
    )


def read_trade_file(path: Path) -> TradeFile:
    """Read one file with the reader of its kind (all or nothing)."""
    kind = file_kind(path)
    digest = _sha256(path)
    if kind is FileKind.COMTRADE:
        table, summary = read_comtrade(path)
        return TradeFile(path, kind, table, digest, summary)
    if kind is FileKind.BACI:
        table, summary = read_baci(path)
        return TradeFile(path, kind, table, digest, summary)
    if kind is FileKind.USGS_WORLD:
        return TradeFile(path, kind, usgs_production_table(read_mcs_world(path)), digest)
    return TradeFile(path, kind, read_production_csv(path), digest)


def _sha256(path: Path) -> str:
    """The file's SHA-256, read a megabyte at a time (a BACI year is hundreds of megabytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
