"""Reruns are byte-identical, whatever Python's hash seed, the thread count and ``--out``.

Each verb runs twice in fresh subprocesses with different ``PYTHONHASHSEED``,
``OMP_NUM_THREADS`` and output folders; every file must match byte for byte (results, tables,
PNG and SVG figures) and none may contain the absolute output path. Before the fix,
``pairnet did`` gave TWFE estimates 1e-16 apart and PPML standard errors ~2e-9 apart under hash
seeds 1 and 3 (pyfixest put the fixed effects in a ``set``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.slow

RUNS = (("1", "1", "A"), ("3", "2", "B"))


def _panel(path: Path) -> None:
    """A small staggered pair panel with counts (so PPML runs) and a distance column."""
    rng = np.random.default_rng(7)
    rows = []
    for u in range(140):
        cohort = (2004, 2006, 2008, 0)[u % 4]
        km = float(rng.uniform(20, 400))
        for t in range(2000, 2015):
            treat = cohort > 0 and t >= cohort
            lam = np.exp(0.3 + 0.02 * (t - 2000) + (0.6 - 0.001 * km) * treat + 0.1 * (u % 5))
            rows.append((f"p{u:02d}", f"o{u % 3}", f"d{u % 5}", t, cohort,
                         int(rng.poisson(lam)), km, float(rng.normal())))
    pd.DataFrame(rows, columns=["pair", "origin", "destination", "year", "cohort", "count",
                                "border_km", "x1"]).to_csv(path, index=False)


def _run(args: list[str], hashseed: str, threads: str, cwd: Path) -> None:
    env = {**os.environ, "PYTHONHASHSEED": hashseed, "OMP_NUM_THREADS": threads,
           "OPENBLAS_NUM_THREADS": threads, "MKL_NUM_THREADS": threads,
           "NUMBA_NUM_THREADS": threads}
    res = subprocess.run([sys.executable, "-m", "pairnet.cli", *args], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "run-log.json"}


def _same(a: Path, b: Path) -> None:
    fa, fb = _files(a), _files(b)
    assert sorted(fa) == sorted(fb)
    differ = [k for k in fa if fa[k] != fb[k]]
    assert not differ, differ
    for k, v in fa.items():
        assert str(a.resolve()).encode() not in v, k
        assert b".pairnet-tmp-" not in v, k


def test_did_reruns_are_byte_identical(tmp_path):
    _panel(tmp_path / "panel.csv")
    for hashseed, threads, out in RUNS:
        _run(["did", "panel.csv", "--unit", "pair", "--time", "year", "--cohort", "cohort",
              "--y", "count", "--controls", "x1", "--placebo", "20", "--distance", "border_km",
              "--out", str(tmp_path / out)], hashseed, threads, tmp_path)
    _same(tmp_path / "A", tmp_path / "B")
    assert (tmp_path / "A" / "figures" / "distance_border_km.svg").exists()


def test_network_and_optimize_reruns_are_byte_identical(tmp_path):
    rng = np.random.default_rng(3)
    codes = ["440100", "440300", "441400", "441500", "440200"]
    pd.DataFrame([(o, d, y, int(rng.poisson(2))) for o in codes for d in codes if o != d
                  for y in range(2000, 2006)],
                 columns=["origin", "destination", "year", "count"]).to_csv(
        tmp_path / "flows.csv", index=False)
    for hashseed, threads, out in RUNS:
        _run(["network", "flows.csv", "--nodes", "广州,深圳,梅州,汕尾,韶关",
              "--communities", "leiden", "--seed", "1", "--out", f"{out}.csv",
              "--fig-dir", out], hashseed, threads, tmp_path)
        _run(["optimize", "--helpers", "广州,深圳", "--recipients", "梅州,汕尾,韶关",
              "--effect", "1.5,-0.004", "--out", f"{out}/opt/pairs.csv",
              "--fig-dir", f"{out}/opt/step"], hashseed, threads, tmp_path)
    assert (tmp_path / "A.csv").read_bytes() == (tmp_path / "B.csv").read_bytes()
    _same(tmp_path / "A", tmp_path / "B")


def test_report_reruns_are_byte_identical_html_included(tmp_path):
    """The report (maps: folium element ids; footer) and every step folder match."""
    data = Path(__file__).parents[1] / "examples" / "data"
    study = tmp_path / "s.toml"
    study.write_text(f"""
        title = "rerun"
        [[study]]
        key = "g"
        helpers = "PRD"
        recipients = "EWN"
        analyses = ["pairing", "distances", "network"]
        [study.inputs]
        parks = "builtin"
        flows = "{(data / 'gd_flows.csv').as_posix()}"
        """.replace("\n        ", "\n"), encoding="utf-8")
    for hashseed, threads, out in RUNS:
        _run(["report", "s.toml", "--out", out, "--no-progress"], hashseed, threads, tmp_path)
    _same(tmp_path / "A", tmp_path / "B")
    assert (tmp_path / "A" / "report.html").exists()
    log = (tmp_path / "A" / "run-log.json").read_text(encoding="utf-8")
    assert '"seconds"' in log and "seconds" not in (tmp_path / "A" / "results.json").read_text()
