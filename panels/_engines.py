"""The two engines that run the ingest SQL: DuckDB (embedded) and Spark (local or a cluster).

Both expose the same five operations to :func:`pairnet.panels.registry.ingest_registry`:
``table`` (materialise a query under a name), ``drop``, ``rows`` (fetch a small result as
tuples), ``register`` (a small pandas lookup table) and the :class:`~._sql.Dialect` of their
SQL. The rules themselves never look at which engine runs them.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import pandas as pd

from pairnet.core.errors import InputError

from ._sql import DUCKDB, SPARK, Dialect

__all__ = ["DuckRunner", "SparkRunner", "spark_session", "SPARK_FIX"]

SPARK_FIX = ("install the Spark extra (pip install 'pairnet[spark]') and a Java runtime "
             "(Debian: apt-get install default-jre-headless), or use `engine` duckdb")


class DuckRunner:
    """Runs the ingest SQL on a DuckDB connection (temp tables)."""

    d: Dialect = DUCKDB

    def __init__(self, con: Any) -> None:
        self.con = con

    def exec(self, sql: str) -> None:
        """Run a statement and drain its result (DuckDB keeps results pending until fetched)."""
        self.con.execute(sql).fetchall()

    def table(self, name: str, sql: str) -> None:
        self.exec(f"create temp table {name} as {sql}")

    def drop(self, name: str) -> None:
        self.exec(f"drop table {name}")

    def rows(self, sql: str) -> list[tuple]:
        return [tuple(r) for r in self.con.execute(sql).fetchall()]

    def register(self, name: str, df: pd.DataFrame) -> None:
        self.con.register(f"{name}_df", df)
        self.table(name, f"select * from {name}_df")
        self.con.unregister(f"{name}_df")


class SparkRunner:
    """Runs the ingest SQL on a Spark session (persisted temporary views)."""

    d: Dialect = SPARK

    def __init__(self, spark: Any) -> None:
        self.spark = spark
        self._kept: dict[str, Any] = {}

    def table(self, name: str, sql: str) -> None:
        from pyspark import StorageLevel

        df = self.spark.sql(sql).persist(StorageLevel.MEMORY_AND_DISK)
        df.createOrReplaceTempView(name)
        self._kept[name] = df

    def drop(self, name: str) -> None:
        df = self._kept.pop(name, None)
        if df is not None:
            df.unpersist()
        self.spark.catalog.dropTempView(name)

    def rows(self, sql: str) -> list[tuple]:
        return [tuple(r) for r in self.spark.sql(sql).collect()]

    def register(self, name: str, df: pd.DataFrame) -> None:
        cols = ", ".join(f"{self.d.ident(c)} string" for c in df.columns)
        data = [tuple(None if pd.isna(v) else str(v) for v in row)
                for row in df.itertuples(index=False, name=None)]
        self.spark.createDataFrame(data, schema=cols).createOrReplaceTempView(name)

    def close(self) -> None:
        """Unpersist what this run cached (the session stays up for the next run)."""
        for name in list(self._kept):
            self.drop(name)


def spark_session(master: str | None = None) -> Any:
    """The active Spark session, or a new one on ``master``.

    ``master`` defaults to the ``SPARK_MASTER`` environment variable, else ``local[2]``.

    Raises
    ------
    InputError
        pyspark is not installed or no Java runtime is found (the fix says how to install).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise InputError("the Spark engine needs pyspark, which is not installed",
                         file="`engine`", fix=SPARK_FIX) from exc
    java_home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (java_home and os.path.exists(
            os.path.join(java_home, "bin", "java"))):
        raise InputError("the Spark engine needs a Java runtime; none was found (no `java` on "
                         "PATH, no JAVA_HOME)", file="`engine`", fix=SPARK_FIX)
    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    master = master or os.environ.get("SPARK_MASTER") or "local[2]"
    try:
        spark = (SparkSession.builder.master(master).appName("pairnet-ingest")
                 .config("spark.ui.enabled", "false")
                 .config("spark.sql.ansi.enabled", "false")
                 .config("spark.sql.session.timeZone", "UTC")
                 .config("spark.sql.shuffle.partitions", "8")
                 .config("spark.driver.extraJavaOptions", "-Dfile.encoding=UTF-8")
                 .getOrCreate())
    except Exception as exc:  # JVM failed to start, master unreachable
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(f"cannot start Spark on {master}: {first}", file="`spark_master`",
                         fix="check the master URL (local[2], spark://HOST:7077, yarn) and "
                             "the Java runtime") from exc
    spark.sparkContext.setLogLevel("ERROR")
    return spark
