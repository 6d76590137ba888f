"""CEPII BACI files (``BACI_HS<edition>_Y<year>_V<version>.csv``) into the flows schema.

BACI reconciles the declarations of exporters and importers into one flow per exporter ``i``,
importer ``j``, HS6 product ``k`` and year ``t``: ``v`` in thousands of US dollars (FOB) and
``q`` in metric tons (``NA`` where unknown). It is read as the exporter's declaration (flow X),
values multiplied out to dollars and kilograms; the HS edition comes from the file name when it
follows BACI's pattern. A file of ten million rows is read by Arrow and converted by DuckDB, in
columns, never row by row in Python.

A negative value or quantity is left out and counted; a value that is not a number, a missing
column or the same flow twice is an error naming the file, line and field.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from oresight.core.errors import InvalidInput
from oresight.trade.flows import FLOW_SCHEMA, LoadSummary, register_country_codes
from oresight.trade.text_table import ROW, check_numbers, first_duplicate, require_columns

SOURCE = "baci"
COLUMNS = ("t", "i", "j", "k", "v", "q")

_EDITION = re.compile(r"BACI_HS(\d{2})_", re.IGNORECASE)


def hs_edition(path: Path) -> str | None:
    """The HS edition of a BACI file from its name (``BACI_HS17_...`` → ``H5``), if it says."""
    found = _EDITION.search(path.name)
    if found is None:
        return None
    return {"92": "H0", "96": "H1", "02": "H2", "07": "H3", "12": "H4", "17": "H5", "22": "H6"}.get(
        found.group(1)
    )


def read_baci(path: Path) -> tuple[pa.Table, LoadSummary]:
    """Read one BACI CSV file into the flows schema, with a summary of what was left out."""
    file = str(path)
    raw = _read_text(path)
    require_columns(raw, COLUMNS, file=file)
    summary = LoadSummary(file=path.name, source=SOURCE, rows_read=raw.num_rows)
    connection = duckdb.connect()
    try:
        connection.register("raw", raw)
        check_numbers(connection, "raw", ("t", "i", "j", "k"), file=file, integer=True)
        check_numbers(connection, "raw", ("v", "q"), file=file)
        connection.execute(
            """
            CREATE TEMP TABLE typed AS SELECT
              CAST(trim(t) AS INTEGER) AS t, CAST(trim(i) AS INTEGER) AS i,
              CAST(trim(j) AS INTEGER) AS j, lpad(trim(k), 6, '0') AS k,
              TRY_CAST(trim(v) AS DOUBLE) AS v, TRY_CAST(trim(q) AS DOUBLE) AS q, _row
            FROM raw
            """
        )
        negative = connection.execute(
            "SELECT count(*) FILTER (v < 0), count(*) FILTER (v >= 0 AND q < 0),"
            " count(*) FILTER (v IS NULL) FROM typed"
        ).fetchone()
        assert negative is not None
        summary.exclude("a negative value", int(negative[0]))
        summary.exclude("a negative quantity", int(negative[1]))
        summary.exclude("no value (v empty)", int(negative[2]))
        connection.execute(
            "CREATE TEMP TABLE kept AS SELECT * FROM typed WHERE v >= 0 AND (q IS NULL OR q >= 0)"
        )
        duplicate = first_duplicate(connection, "kept", ("t", "i", "j", "k"))
        if duplicate is not None:
            raise InvalidInput(
                f"the same flow (t, i, j, k) as line {duplicate[0]}", file=file, record=duplicate[1]
            )
        register_country_codes(connection, "kept", ("i", "j"), summary)
        table = connection.sql(
            f"""
            SELECT ? AS source, 'A' AS freq, t AS year, CAST(t AS VARCHAR) AS period,
              i AS reporter_code, exporters.iso AS reporter,
              j AS partner_code, importers.iso AS partner,
              'X' AS flow, k AS hs, ? AS hs_edition, 0 AS mode,
              v * 1000 AS value_usd, NULL::DOUBLE AS cif_usd, v * 1000 AS fob_usd,
              q * 1000 AS net_kg, q * 1000 AS qty, 8 AS qty_unit,
              ? AS source_file, {ROW} AS source_row
            FROM kept
            JOIN country_codes AS exporters ON exporters.code = kept.i
            JOIN country_codes AS importers ON importers.code = kept.j
            ORDER BY {ROW}
            """,
            params=[SOURCE, hs_edition(path), path.name],
        ).to_arrow_table()
    finally:
        connection.close()
    assert table is not None, "DuckDB returns a table for a SELECT"
    table = table.cast(FLOW_SCHEMA)
    summary.rows_kept = table.num_rows
    return table, summary


def _read_text(path: Path) -> pa.Table:
    """The file's columns as text (BACI pads ``NA`` with spaces), with each row's line."""
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in COLUMNS}, strings_can_be_null=True
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        message = str(error).strip().splitlines()[0]
        raise InvalidInput(f"not a readable CSV file ({message})", file=str(path)) from error
    lines = pa.array(np.arange(2, table.num_rows + 2, dtype=np.int64))
    return table.append_column(ROW, lines)
