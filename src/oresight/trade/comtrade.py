"""UN Comtrade API v1 data (``/data/v1/get/C/{freq}/HS``), as CSV or JSON, into the flows schema.

What is kept, so that nothing is counted twice: rows of the four flows X, M, RX and RM; the
totals over customs procedures (``customsCode`` C00) and over second partners
(``partner2Code`` 0). Rows by transport mode (``motCode`` other than 0) are kept beside the
all-modes total (the analyses read ``mode`` 0 unless they ask for modes), and partner 0 (World)
beside the partners. Everything else is counted in the load's summary with its reason; a row
without a value or with a negative one likewise. A value that is not a number, a missing
column or the same flow twice in one file is an error naming file, line and field.

``primaryValue`` is the value the reporter declares: CIF for imports and FOB for exports in
most countries' practice; ``cifvalue`` and ``fobvalue`` are kept where given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from oresight.core.errors import InvalidInput
from oresight.trade.flows import FLOW_CODES, FLOW_SCHEMA, LoadSummary, register_country_codes
from oresight.trade.text_table import (
    ROW,
    check_numbers,
    first_duplicate,
    read_text_csv,
    require_columns,
    text_table,
)

SOURCE = "comtrade"

REQUIRED = ("reporterCode", "partnerCode", "flowCode", "cmdCode", "primaryValue")
"""Columns without which a row says nothing; ``refYear`` or ``period`` is needed as well."""

OPTIONAL = (
    "refYear",
    "period",
    "freqCode",
    "partner2Code",
    "customsCode",
    "motCode",
    "classificationCode",
    "cifvalue",
    "fobvalue",
    "netWgt",
    "qty",
    "qtyUnitCode",
)

_INTEGERS = ("reporterCode", "partnerCode", "partner2Code", "motCode", "qtyUnitCode", "refYear")
_NUMBERS = ("primaryValue", "cifvalue", "fobvalue", "netWgt", "qty")


def read_comtrade(path: Path) -> tuple[pa.Table, LoadSummary]:
    """Read one Comtrade file (CSV, or the API's JSON ``{"data": [...]}``) into the flows schema,
    with a summary of what was kept and left out. All or nothing: an error leaves no table."""
    file = str(path)
    raw = _read_raw(path)
    require_columns(raw, REQUIRED, file=file)
    if "refYear" not in raw.column_names and "period" not in raw.column_names:
        raise InvalidInput("missing column refYear (or period)", file=file, field="refYear")
    raw = _with_defaults(raw)
    summary = LoadSummary(file=path.name, source=SOURCE, rows_read=raw.num_rows)
    connection = duckdb.connect()
    try:
        connection.register("raw", raw)
        check_numbers(connection, "raw", _INTEGERS, file=file, integer=True)
        check_numbers(connection, "raw", _NUMBERS, file=file)
        _check_periods(connection, file)
        _keep_rows(connection, summary)
        duplicate = first_duplicate(
            connection,
            "kept",
            ("freqCode", "period", "reporterCode", "partnerCode", "flowCode", "cmdCode", "motCode"),
        )
        if duplicate is not None:
            first, second = duplicate
            raise InvalidInput(
                f"the same flow (reporter, partner, flow, commodity, period, mode) as line {first}",
                file=file,
                record=second,
            )
        register_country_codes(connection, "kept", ("reporterCode", "partnerCode"), summary)
        table = connection.sql(_FLOWS_SQL, params=[SOURCE, path.name]).to_arrow_table()
    finally:
        connection.close()
    assert table is not None, "DuckDB returns a table for a SELECT"
    table = table.cast(FLOW_SCHEMA)
    summary.rows_kept = table.num_rows
    return table, summary


def _read_raw(path: Path) -> pa.Table:
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf").lstrip()
    if head[:1] in (b"{", b"["):
        return _read_json(path)
    return read_text_csv(path)


def _read_json(path: Path) -> pa.Table:
    file = str(path)
    try:
        document: Any = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(f"not readable JSON ({error})", file=file) from error
    records = document.get("data") if isinstance(document, dict) else document
    if not isinstance(records, list):
        raise InvalidInput("expected the API's object with a 'data' array", file=file, field="data")
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise InvalidInput("a record is not an object", file=file, record=number)
    columns: dict[str, None] = {}
    for record in records:
        columns.update(dict.fromkeys(record))
    return text_table(records, columns)


def _with_defaults(raw: pa.Table) -> pa.Table:
    """Add the optional columns a file leaves out, as what their absence means."""
    defaults = {"freqCode": "A", "partner2Code": "0", "customsCode": "C00", "motCode": "0"}
    for name in OPTIONAL:
        if name not in raw.column_names:
            value = defaults.get(name)
            raw = raw.append_column(name, pa.array([value] * raw.num_rows, type=pa.string()))
    return raw


def _check_periods(connection: duckdb.DuckDBPyConnection, file: str) -> None:
    found = connection.execute(
        f"""
        SELECT {ROW}, period, refYear FROM raw
        WHERE coalesce(TRY_CAST(trim(refYear) AS INTEGER),
                       TRY_CAST(left(trim(period), 4) AS INTEGER)) IS NULL
        ORDER BY {ROW} LIMIT 1
        """
    ).fetchone()
    if found is not None:
        raise InvalidInput(
            f"no year: period {found[1]!r}, refYear {found[2]!r}",
            file=file,
            record=found[0],
            field="refYear",
        )


_VALUE = "TRY_CAST(trim(primaryValue) AS DOUBLE)"

_LEFT_OUT = f"""
CASE
  WHEN trim(flowCode) NOT IN ({", ".join(f"'{code}'" for code in sorted(FLOW_CODES))})
    THEN 'a flow other than X, M, RX or RM'
  WHEN coalesce(trim(customsCode), 'C00') NOT IN ('C00', '')
    THEN 'a breakdown by customs procedure (its total, customsCode C00, is kept)'
  WHEN coalesce(TRY_CAST(trim(partner2Code) AS BIGINT), 0) <> 0
    THEN 'a breakdown by second partner (its total, partner2Code 0, is kept)'
  WHEN {_VALUE} IS NULL THEN 'no value (primaryValue empty)'
  WHEN {_VALUE} < 0 THEN 'a negative value'
END
"""
"""Why a row is left out (the first reason that applies), or NULL for a row that is kept."""


def _keep_rows(connection: duckdb.DuckDBPyConnection, summary: LoadSummary) -> None:
    """Make table ``kept`` of the rows to load, counting the others by reason in ``summary``."""
    connection.execute(f"CREATE TEMP TABLE sorted AS SELECT *, {_LEFT_OUT} AS _left_out FROM raw")
    counts = connection.execute(
        "SELECT _left_out, count(*) FROM sorted WHERE _left_out IS NOT NULL GROUP BY 1"
    ).fetchall()
    for reason, count in counts:
        summary.exclude(str(reason), int(count))
    connection.execute("CREATE TEMP TABLE kept AS SELECT * FROM sorted WHERE _left_out IS NULL")


_FLOWS_SQL = f"""
SELECT
  ? AS source,
  coalesce(nullif(trim(freqCode), ''), 'A') AS freq,
  coalesce(TRY_CAST(trim(refYear) AS INTEGER), CAST(left(trim(period), 4) AS INTEGER)) AS year,
  coalesce(nullif(trim(period), ''), trim(refYear)) AS period,
  CAST(trim(reporterCode) AS INTEGER) AS reporter_code,
  reporters.iso AS reporter,
  CAST(trim(partnerCode) AS INTEGER) AS partner_code,
  partners.iso AS partner,
  trim(flowCode) AS flow,
  trim(cmdCode) AS hs,
  nullif(trim(classificationCode), '') AS hs_edition,
  coalesce(TRY_CAST(trim(motCode) AS INTEGER), 0) AS mode,
  {_VALUE} AS value_usd,
  nullif(TRY_CAST(trim(cifvalue) AS DOUBLE), 0) AS cif_usd,
  nullif(TRY_CAST(trim(fobvalue) AS DOUBLE), 0) AS fob_usd,
  nullif(TRY_CAST(trim(netWgt) AS DOUBLE), 0) AS net_kg,
  nullif(TRY_CAST(trim(qty) AS DOUBLE), 0) AS qty,
  TRY_CAST(trim(qtyUnitCode) AS INTEGER) AS qty_unit,
  ? AS source_file,
  {ROW} AS source_row
FROM kept
JOIN country_codes AS reporters ON reporters.code = CAST(trim(kept.reporterCode) AS BIGINT)
JOIN country_codes AS partners ON partners.code = CAST(trim(kept.partnerCode) AS BIGINT)
ORDER BY {ROW}
"""
