"""A file's rows as text, checked column by column before anything is converted.

Readers load a file with every column as text (Arrow, so a million rows cost no Python objects),
with each row's place in the file beside it, then convert it to the flows schema in one SQL
statement (DuckDB over the Arrow table, no copy). Before that, the checks here find the first
row that cannot be converted and say where it is: file, record (the line) and field.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from oresight.core.errors import InvalidInput

ROW = "_row"
"""The column holding each record's place in its file (its line, counting the header as 1)."""


def read_utf8(path: Path) -> str:
    """A file's text (UTF-8, a byte-order mark dropped); unreadable or not UTF-8 is an error
    naming the file."""
    file = str(path)
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise InvalidInput(f"cannot read the file ({error.strerror})", file=file) from error
    except UnicodeDecodeError as error:
        raise InvalidInput(f"not UTF-8 text (byte {error.start})", file=file) from error


def read_text_csv(path: Path, *, delimiter: str = ",") -> pa.Table:
    """Every column of a CSV file as text (``0101`` stays ``0101``), plus :data:`ROW`; a
    malformed file names the line."""
    names = _header(path, delimiter)
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names}, strings_can_be_null=True
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        message = f"not a readable CSV file ({_arrow_message(error)})"
        raise InvalidInput(message, file=str(path)) from error
    lines = pa.array(range(2, table.num_rows + 2), type=pa.int64())
    return table.append_column(ROW, lines)


def text_table(records: Sequence[dict[str, object]], columns: Iterable[str]) -> pa.Table:
    """Records (as a JSON array gives them) as a text table with :data:`ROW` from 1."""
    names = list(columns)
    data: dict[str, list[str | None]] = {name: [] for name in names}
    for record in records:
        for name in names:
            value = record.get(name)
            data[name].append(None if value is None else str(value))
    table = pa.table({name: pa.array(values, type=pa.string()) for name, values in data.items()})
    return table.append_column(ROW, pa.array(range(1, len(records) + 1), type=pa.int64()))


def require_columns(table: pa.Table, required: Iterable[str], *, file: str) -> None:
    """Refuse a table that lacks a required column, saying which and what was found."""
    present = set(table.column_names)
    missing = [name for name in required if name not in present]
    if not missing:
        return
    found = [name for name in table.column_names if name != ROW]
    hint = ""
    if len(found) == 1 and any(mark in found[0] for mark in (";", "\t", "|")):
        hint = " (the header is one column: is the file delimited by something other than commas?)"
    raise InvalidInput(
        f"missing column(s) {', '.join(missing)}; found {', '.join(found[:12])}{hint}",
        file=file,
        field=missing[0],
    )


def check_numbers(
    connection: duckdb.DuckDBPyConnection,
    relation: str,
    columns: Iterable[str],
    *,
    file: str,
    integer: bool = False,
    missing: Iterable[str] = ("NA",),
) -> None:
    """Refuse the first value of ``columns`` that is not a number (blank and ``missing``
    markers are absent values, not errors)."""
    kind = "BIGINT" if integer else "DOUBLE"
    markers = ", ".join(f"'{marker}'" for marker in missing)
    for column in columns:
        found = connection.execute(
            f"""
            SELECT {ROW}, "{column}" FROM {relation}
            WHERE "{column}" IS NOT NULL AND trim("{column}") NOT IN ('', {markers})
              AND TRY_CAST(trim("{column}") AS {kind}) IS NULL
            ORDER BY {ROW} LIMIT 1
            """
        ).fetchone()
        if found is not None:
            what = "a whole number" if integer else "a number"
            raise InvalidInput(
                f"expected {what}, found {found[1]!r}", file=file, record=found[0], field=column
            )


def first_duplicate(
    connection: duckdb.DuckDBPyConnection, relation: str, key: Sequence[str]
) -> tuple[int, int] | None:
    """The lines of the first two rows that give the same key, if any."""
    columns = ", ".join(key)
    found = connection.execute(
        f"""
        SELECT min({ROW}), max({ROW}) FROM {relation}
        GROUP BY {columns} HAVING count(*) > 1 ORDER BY min({ROW}) LIMIT 1
        """
    ).fetchone()
    return None if found is None else (int(found[0]), int(found[1]))


def _header(path: Path, delimiter: str) -> list[str]:
    """The column names of a CSV file (its first line)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = next(csv.reader(handle, delimiter=delimiter), None)
    except UnicodeDecodeError as error:
        raise InvalidInput(f"not UTF-8 text (byte {error.start})", file=str(path)) from None
    if not first:
        raise InvalidInput("the file is empty: no header line", file=str(path))
    return first


def _arrow_message(error: Exception) -> str:
    return str(error).strip().splitlines()[0]
