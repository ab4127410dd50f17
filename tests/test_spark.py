"""The Spark engine of the registry ingest gives what DuckDB gives, byte for byte.

One Spark session (local[2]) for the module: starting the JVM is the slow part. The registries
are the messy hand-made records of ``test_registry.py`` (every rule, every date form, exact
duplicates) as UTF-8 CSV, GBK CSV (through the CLI: identical output files) and typed Parquet
(numbers, NaN, timestamps).
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from test_registry import frame, records

from pairnet.panels.registry import ingest_registry

pytest.importorskip("pyspark", reason="the Spark extra is not installed (pip install "
                                      "'pairnet[spark]'); make test installs it")
pytestmark = [
    pytest.mark.skipif(shutil.which("java") is None, reason="no Java runtime (make test "
                                                            "installs default-jre-headless)"),
    pytest.mark.xdist_group("spark"),  # one JVM, one worker
]

KW = dict(origins="广州,深圳", destinations="梅州,汕头", years=(2004, 2010))


@pytest.fixture(scope="module")
def spark():
    from pairnet.panels._engines import spark_session

    return spark_session("local[2]")


def _same(a, b):
    assert a.n_records == b.n_records
    for name in ("panel", "audit", "dropped_pairs", "attribution"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.to_dict() == b.to_dict()


def test_utf8_csv_same_result_as_duckdb(spark, tmp_path):
    df = frame(records())
    # quotes, commas and a newline inside fields; a BOM; a quote in a firm name
    df.loc[0, "investee_name"] = '梅州"乙",有限\n公司'
    df.loc[1, "investor_name"] = "广州市甲'有限公司"
    p = tmp_path / "messy.csv"
    p.write_bytes(b"\xef\xbb\xbf" + df.to_csv(index=False).encode("utf-8"))
    duck = ingest_registry(p, **KW)
    sp = ingest_registry(p, engine="spark", **KW)
    _same(duck, sp)
    assert int(duck.panel["count"].sum()) > 0 and duck.audit["rows"].sum() == len(df)


def test_gbk_cli_outputs_byte_identical(spark, run_cli, tmp_path):
    p = tmp_path / "gbk.csv"
    frame(records()).to_csv(p, index=False, encoding="gbk")
    outs = {}
    for engine in ("duckdb", "spark"):
        (tmp_path / engine).mkdir()
        panel, audit = tmp_path / engine / "panel.csv", tmp_path / engine / "audit.csv"
        r = run_cli("ingest", p, "--origins", "广州,深圳", "--destinations", "梅州,汕头",
                    "--years", "2004-2010", "--engine", engine, "--out", panel, "--audit", audit)
        assert r.code == 0, r.stderr
        outs[engine] = (panel.read_bytes(), audit.read_bytes(),
                        r.stdout.replace(str(tmp_path / engine), "DIR"))
    assert outs["spark"] == outs["duckdb"]  # the panel and audit files, the summary


def test_typed_parquet_same_result_as_duckdb(spark, tmp_path):
    df = frame(records())
    n = len(df)
    # numbers where text is expected: adcodes as floats (NaN = missing), dates as serials
    df["investor_city"] = np.where(np.arange(n) % 3 == 0, 440100.0, np.nan)
    df.loc[df.index[:4], "date"] = ["38412", "1109635200", "2005-03-01T08:00:00+08:00", None]
    df["stamp"] = pd.to_datetime(["2005-03-01"] * n)  # a timestamp column, read as text
    p = tmp_path / "typed.parquet"
    df.to_parquet(p, index=False)
    _same(ingest_registry(p, **KW), ingest_registry(p, engine="spark", **KW))
