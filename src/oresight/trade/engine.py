"""Where the trade analyses run: DuckDB on one machine, PySpark beyond it, the same Ibis code.

The analyses are Ibis expressions over the flows table (:data:`~oresight.trade.flows.FLOW_SCHEMA`);
this module opens that table on a backend. DuckDB (the default) reads the workspace's Parquet
files in place. PySpark reads the same files, on a local session or on the cluster of the session
passed in: that is how an analysis outgrows one machine without being written again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from oresight.core.errors import InvalidInput, OresightError


class Engine(StrEnum):
    """The backends the analyses run on."""

    DUCKDB = "duckdb"
    PYSPARK = "pyspark"


class EngineUnavailable(OresightError):
    """A backend whose library is not installed (the message names the extra to install)."""


@dataclass(frozen=True)
class TradeTables:
    """The flows table (and production, when loaded) on one backend."""

    engine: Engine
    backend: Any
    flows: ir.Table
    production: ir.Table | None = None

    def execute(self, expression: ir.Table) -> Any:
        """Run an expression on this backend, as a pandas DataFrame."""
        return self.backend.execute(expression)

    def computed(self, expression: ir.Table) -> ir.Table:
        """A small result computed now, as a table the next expressions can join (so that a
        backend does not hold a large input while it computes it)."""
        return ibis.memtable(self.backend.to_pyarrow(expression))


def open_tables(
    flows: Sequence[Path],
    production: Sequence[Path] = (),
    *,
    engine: Engine = Engine.DUCKDB,
    spark: Any = None,
) -> TradeTables:
    """Open Parquet files of flows (and of production) on ``engine``.

    ``spark``: a SparkSession to use (a local one, one core per CPU, is made otherwise).
    """
    if not flows:
        raise InvalidInput("no trade flows loaded: run `oresight trade load FILE...` first")
    if engine is Engine.DUCKDB:
        backend = ibis.duckdb.connect()
        flows_table = backend.read_parquet([str(path) for path in flows], table_name="flows")
        production_table = None
        if production:
            production_table = backend.read_parquet(
                [str(path) for path in production], table_name="production"
            )
        return TradeTables(engine, backend, flows_table, production_table)
    session = spark if spark is not None else local_spark()
    backend = ibis.pyspark.connect(session)
    flows_table = _spark_view(backend, session, "flows", flows)
    production_table = (
        _spark_view(backend, session, "production", production) if production else None
    )
    return TradeTables(engine, backend, flows_table, production_table)


def local_spark(cores: int | None = None) -> Any:
    """A local SparkSession for running the analyses on this machine's cores."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise EngineUnavailable(
            "the pyspark engine needs PySpark: pip install 'oresight[spark]' (and Java 17)"
        ) from error
    master = f"local[{cores}]" if cores else "local[*]"
    return (
        SparkSession.builder.master(master)
        .appName("oresight-trade")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def _spark_view(backend: Any, session: Any, name: str, paths: Sequence[Path]) -> ir.Table:
    """The Parquet files as a temporary view of the Spark session, as an Ibis table (Ibis's own
    reader takes one path; the manifest lists files)."""
    session.read.parquet(*[str(path) for path in paths]).createOrReplaceTempView(name)
    return backend.table(name)
