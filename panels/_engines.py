"""The two engines that run the ingest SQL: DuckDB (embedded) and Spark (local or a cluster).

Both expose the same five operations to :func:`pairnet.panels.registry.ingest_registry`:
``table`` (materialise a query under a name), ``drop``, ``rows`` (fetch a small result as
tuples), ``register`` (a small pandas lookup table) and the :class:`~._sql.Dialect` of their
SQL. The rules themselves never look at which engine runs them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import warnings
from collections.abc import Iterator
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

    def table(self, name: str, sql: str, *, reused: bool = False) -> None:
        """Materialise ``sql`` as temp table ``name`` (DuckDB materialises every step)."""
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

    def table(self, name: str, sql: str, *, reused: bool = False) -> None:
        """Name ``sql`` as a view; cache it (memory, then disk) when later steps ``reused`` it.

        Spark plans the steps into few jobs; caching the tables read by several later queries
        (records, firms, the classified records) keeps them from being recomputed.
        """
        from pyspark import StorageLevel

        df = self.spark.sql(sql)
        if reused:
            df = df.persist(StorageLevel.MEMORY_AND_DISK)
            self._kept[name] = df
        df.createOrReplaceTempView(name)

    def drop(self, name: str) -> None:
        # only the name: Spark is lazy, later steps that read it are not computed yet, so the
        # cache lives until close()
        self.spark.catalog.dropTempView(name)

    def rows(self, sql: str) -> list[tuple]:
        return [tuple(r) for r in self.spark.sql(sql).collect()]

    def register(self, name: str, df: pd.DataFrame) -> None:
        cols = ", ".join(f"{self.d.ident(c)} string" for c in df.columns)
        data = [tuple(None if pd.isna(v) else str(v) for v in row)
                for row in df.itertuples(index=False, name=None)]
        with warnings.catch_warnings():  # pyspark warns about pandas 3; this is no pandas
            warnings.filterwarnings("ignore", category=FutureWarning, module="pyspark")
            frame = self.spark.createDataFrame(data, schema=cols)
        frame.createOrReplaceTempView(name)

    def close(self) -> None:
        """Unpersist what this run cached (the session stays up for the next run)."""
        for name, df in self._kept.items():
            df.unpersist()
            self.spark.catalog.dropTempView(name)
        self._kept.clear()


@contextlib.contextmanager
def _jvm_stderr_silenced() -> Iterator[None]:
    """Start the JVM with its standard error on the null device.

    The JVM prints its log lines (log4j banners, warnings) on the standard error it inherits;
    errors reach Python as exceptions and become pairnet's one-line messages, so the JVM's own
    console output is dropped. Python's standard error is restored at once.
    """
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def spark_session(master: str | None = None) -> Any:
    """The active Spark session, or a new one on ``master``.

    ``master`` defaults to the ``SPARK_MASTER`` environment variable, else ``local[2]``.

    Raises
    ------
    InputError
        pyspark is not installed or no Java runtime is found (the fix says how to install).
    """
    try:
        with warnings.catch_warnings():  # pyspark warns about pandas 3; we hand it no pandas
            warnings.filterwarnings("ignore", category=FutureWarning, module="pyspark")
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
    builder = SparkSession.builder.master(master).appName("pairnet-ingest")
    if master.startswith("local"):
        # local mode listens on loopback only (not on the machine's network address)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = (builder.config("spark.driver.bindAddress", "127.0.0.1")
                   .config("spark.driver.host", "127.0.0.1"))
    try:
        builder = (builder
                 .config("spark.ui.enabled", "false")
                 .config("spark.sql.ansi.enabled", "false")
                 .config("spark.sql.session.timeZone", "UTC")
                 # local mode: a few partitions per core, not Spark's 200 (tiny tasks)
                 .config("spark.sql.shuffle.partitions",
                         "8" if master.startswith("local") else "200")
                 .config("spark.ui.showConsoleProgress", "false")
                 .config("spark.driver.extraJavaOptions", "-Dfile.encoding=UTF-8"))
        with _jvm_stderr_silenced(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning, module="pyspark")
            spark = builder.getOrCreate()
    except Exception as exc:  # JVM failed to start, master unreachable
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(f"cannot start Spark on {master}: {first}", file="`spark_master`",
                         fix="check the master URL (local[2], spark://HOST:7077, yarn) and "
                             "the Java runtime") from exc
    spark.sparkContext.setLogLevel("ERROR")
    return spark
