"""The one shape every trade source is read into: a table of flows, and what a load left out.

UN Comtrade and CEPII BACI rows become rows of one Arrow/Parquet schema, :data:`FLOW_SCHEMA`: one
row per reporter, partner, flow, HS code, period and transport mode. Values are US dollars
(BACI's thousands multiplied out), weights kilograms (BACI's tonnes likewise). Countries carry
both the source's numeric code and its ISO 3166-1 alpha-3 code; a code without one keeps a
visible stand-in (``#899``) and is counted in the load's :class:`LoadSummary`, never dropped.

The analyses read only this schema, so a new source needs only a reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import duckdb
import ibis.expr.types as ir
import pyarrow as pa

from oresight.trade.countries import area


class FlowCode(StrEnum):
    """The direction of a flow as the reporter declares it (Comtrade's ``flowCode``)."""

    EXPORT = "X"
    IMPORT = "M"
    RE_EXPORT = "RX"
    RE_IMPORT = "RM"


FLOW_CODES = frozenset(code.value for code in FlowCode)

WORLD = "WLD"
"""The partner code of a reporter's total with all partners (Comtrade partner 0)."""

ALL_MODES = 0
"""The transport-mode code of a total over every mode (Comtrade ``motCode`` 0)."""

FLOW_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("freq", pa.string(), nullable=False),
        pa.field("year", pa.int32(), nullable=False),
        pa.field("period", pa.string(), nullable=False),
        pa.field("reporter_code", pa.int32(), nullable=False),
        pa.field("reporter", pa.string(), nullable=False),
        pa.field("partner_code", pa.int32(), nullable=False),
        pa.field("partner", pa.string(), nullable=False),
        pa.field("flow", pa.string(), nullable=False),
        pa.field("hs", pa.string(), nullable=False),
        pa.field("hs_edition", pa.string()),
        pa.field("mode", pa.int32(), nullable=False),
        pa.field("value_usd", pa.float64(), nullable=False),
        pa.field("cif_usd", pa.float64()),
        pa.field("fob_usd", pa.float64()),
        pa.field("net_kg", pa.float64()),
        pa.field("qty", pa.float64()),
        pa.field("qty_unit", pa.int32()),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_row", pa.int64(), nullable=False),
    ]
)
"""The columns of a flows table. ``reporter``/``partner`` are ISO alpha-3 (``WLD`` for World,
``#<code>`` for a code without one); ``mode`` 0 is the total over every transport mode;
``source_row`` is the record's place in its file (the line for CSV, from 1 with the header)."""

FLOW_KEY = ("source", "freq", "period", "reporter_code", "partner_code", "flow", "hs", "mode")
"""The columns that identify a flow: two rows with the same key are the same figure twice."""


def in_scope(flows: ir.Table, *, years: Sequence[int] = (), hs: Sequence[str] = ()) -> ir.Table:
    """The flows of ``years`` and HS codes ``hs`` (each: all when empty)."""
    if years:
        flows = flows.filter(flows.year.isin(list(years)))
    if hs:
        flows = flows.filter(flows.hs.isin(list(hs)))
    return flows


def unmapped(code: int) -> str:
    """The stand-in for a country code that maps to no ISO code: visible, never dropped."""
    return f"#{code}"


@dataclass(slots=True)
class LoadSummary:
    """What one file gave: the rows kept, and the rows left out with why and how many.

    ``excluded`` counts rows by reason (a breakdown that would double-count a total, a negative
    value, ...); ``unknown_codes`` counts the country codes kept under a stand-in.
    """

    file: str
    source: str
    rows_read: int = 0
    rows_kept: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    unknown_codes: dict[int, int] = field(default_factory=dict)

    def exclude(self, reason: str, count: int) -> None:
        """Count ``count`` rows left out for ``reason`` (nothing is counted for zero)."""
        if count:
            self.excluded[reason] = self.excluded.get(reason, 0) + count

    def describe(self) -> str:
        """One paragraph: kept, left out by reason, unknown codes."""
        parts = [f"{self.file}: {self.rows_kept:,} of {self.rows_read:,} rows kept ({self.source})"]
        for reason, count in sorted(self.excluded.items()):
            parts.append(f"{count:,} left out: {reason}")
        if self.unknown_codes:
            codes = ", ".join(
                f"{code} ({n:,} rows)" for code, n in sorted(self.unknown_codes.items())
            )
            parts.append(f"unknown country codes, kept as #code: {codes}")
        return "; ".join(parts)


def register_country_codes(
    connection: duckdb.DuckDBPyConnection,
    relation: str,
    columns: Sequence[str],
    summary: LoadSummary,
) -> None:
    """Register table ``country_codes`` (code → ISO alpha-3, or a stand-in for an area without
    one) for every code of ``columns`` in ``relation``; the rows of codes that name no known
    country or area are counted in ``summary``."""
    counts: dict[int, int] = {}
    for column in columns:
        code_of = f'CAST(trim(CAST("{column}" AS VARCHAR)) AS BIGINT)'
        for code, rows in connection.execute(
            f"SELECT {code_of}, count(*) FROM {relation} GROUP BY 1"
        ).fetchall():
            counts[int(code)] = counts.get(int(code), 0) + int(rows)
    codes: list[int] = []
    names: list[str] = []
    for code, rows in sorted(counts.items()):
        found = area(code)
        iso = found.iso3 if found is not None else None
        if found is None:
            summary.unknown_codes[code] = summary.unknown_codes.get(code, 0) + rows
        codes.append(code)
        names.append(iso if iso is not None else unmapped(code))
    table = pa.table({"code": pa.array(codes, pa.int64()), "iso": pa.array(names, pa.string())})
    connection.register("country_codes", table)
