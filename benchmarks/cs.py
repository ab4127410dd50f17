"""Callaway-Sant'Anna, att_gt + the aggregations: pairnet vs diff-diff 3.13 vs csdid 0.4.3.

    .venv/bin/python benchmarks/cs.py [--sizes 100000,400000,2000000] [--repeat 5]

The peers are not project dependencies: they live in their own environment,
``.venv-peers`` at the repository root (created here on first use: ``python -m venv`` and ``pip install
diff-diff==3.13.0 csdid==0.4.3 pyarrow``). Each tool runs in its own process on the same seeded panel
(written to ``benchmarks/_data/``): a balanced panel of 10 years, cohorts 2004/2006/2008/2010
and 40 % never treated, one row per unit-year; never-treated comparison, doubly robust,
analytic standard errors, no covariates. Time = best of ``--repeat`` runs of fit + aggregations
(the data already in memory); pairnet and csdid run simple, dynamic, group and calendar,
diff-diff the aggregations it has (simple, event_study, group; it has no calendar). The ATT(g,t)
of the peers are compared cell by cell with pairnet's in the same run. csdid is skipped above
``--csdid-max`` rows (it needs minutes and several GB there).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS = HERE.parent / ".venv-peers"  # outside benchmarks/: its packages are not ours to lint
DATA = HERE / "_data"
PEER_PACKAGES = ("diff-diff==3.13.0", "csdid==0.4.3", "pyarrow")


def make_panel(n_rows: int, seed: int = 0, periods: int = 10):
    """Seeded staggered-adoption panel with dynamic effects (0.5 + 0.1 e after treatment)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = n_rows // periods
    years = np.arange(2001, 2001 + periods)
    cohort = rng.choice([0, 2004, 2006, 2008, 2010], size=n, p=[.4, .15, .15, .15, .15])
    unit = np.repeat(np.arange(n), periods)
    year = np.tile(years, n)
    g = np.repeat(cohort, periods)
    effect = np.where((g > 0) & (year >= g), 0.5 + 0.1 * (year - g), 0.0)
    y = (np.repeat(rng.normal(size=n), periods) + 0.1 * (year - 2000) + effect
         + rng.normal(size=n * periods))
    return pd.DataFrame({"unit": unit, "year": year, "y": y, "g": g})


def ensure_peers() -> Path:
    """The peers' interpreter, creating ``.venv-peers`` when it is missing."""
    python = PEERS / "bin" / "python"
    if not python.exists():
        print(f"creating {PEERS} with {', '.join(PEER_PACKAGES)} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *PEER_PACKAGES],
                       check=True)
    return python


# ------------------------------------------------------------------------------------------
# workers: one process per tool and size; print one JSON line
# ------------------------------------------------------------------------------------------


def _run_pairnet(df):
    from pairnet.analyses.cs import aggte_all, att_gt

    res = att_gt(df, yname="y", tname="year", idname="unit", gname="g")
    aggs = aggte_all(res)
    cells = {f"{int(g)},{int(t)}": float(a) for g, t, a in zip(res.groups, res.times, res.att,
                                                                 strict=True)}
    return cells, {k: a.overall_att for k, a in aggs.items()}


def _run_diffdiff(df):
    from diff_diff import CallawaySantAnna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = CallawaySantAnna(control_group="never_treated", estimation_method="dr",
                               n_bootstrap=0).fit(df, outcome="y", unit="unit", time="year",
                                                  first_treat="g")
        aggs = {k: fit.aggregate(k) for k in ("simple", "event_study", "group")}
    cells = {f"{int(g)},{int(t)}": float(v["effect"])
             for (g, t), v in fit.group_time_effects.items()}
    return cells, {"simple": float(aggs["simple"].att[0])}


def _run_csdid(df):
    from csdid.att_gt import ATTgt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ATTgt(yname="y", tname="year", idname="unit", gname="g", data=df,
                    control_group="nevertreated").fit(est_method="dr", bstrap=False)
        cells = {f"{int(g)},{int(t)}": float(a) for g, t, a in
                 zip(fit.MP["group"], fit.MP["t"], fit.MP["att"], strict=True)}
        simple = None
        for typ in ("simple", "dynamic", "group", "calendar"):
            fit.aggte(typ, bstrap=False)
            if typ == "simple":
                simple = float(fit.atte["overall_att"])
    return cells, {"simple": simple}


def worker(tool: str, data: Path, repeat: int) -> None:
    import pandas as pd

    df = pd.read_parquet(data)
    run = {"pairnet": _run_pairnet, "diff-diff": _run_diffdiff, "csdid": _run_csdid}[tool]
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = run(df)
        best = min(best, time.perf_counter() - t0)
    assert out is not None
    print(json.dumps({"seconds": best, "cells": out[0], "overall": out[1]}))


def _call(python: Path, tool: str, data: Path, repeat: int) -> dict:
    proc = subprocess.run([str(python), __file__, "--worker", tool, "--data", str(data),
                           "--repeat", str(repeat)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{tool} failed on {data.name}:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _max_diff(a: dict, b: dict) -> float:
    common = set(a) & set(b)
    if common != set(a) or common != set(b):
        return float("nan")
    return max(abs(a[k] - b[k]) for k in common)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,400000,2000000")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--csdid-max", type=int, default=400_000)
    ap.add_argument("--worker")
    ap.add_argument("--data", type=Path)
    a = ap.parse_args()
    if a.worker:
        worker(a.worker, a.data, a.repeat)
        return
    peers = ensure_peers()
    DATA.mkdir(exist_ok=True)
    rows = []
    print(f"{'rows':>9} | {'pairnet s':>9} | {'diff-diff s':>11} | {'ratio':>6} | "
          f"{'csdid s':>8} | {'ratio':>6} | max|dATT(g,t)| vs diff-diff, csdid")
    for n in (int(s) for s in a.sizes.split(",")):
        path = DATA / f"cs_{n}.parquet"
        if not path.exists():
            make_panel(n).to_parquet(path, index=False)
        ours = _call(Path(sys.executable), "pairnet", path, a.repeat)
        dd = _call(peers, "diff-diff", path, a.repeat)
        cs = _call(peers, "csdid", path, a.repeat) if n <= a.csdid_max else None
        d_dd = _max_diff(ours["cells"], dd["cells"])
        d_cs = _max_diff(ours["cells"], cs["cells"]) if cs else float("nan")
        cs_s = f"{cs['seconds']:8.2f}" if cs else f"{'-':>8}"
        cs_r = f"{cs['seconds'] / ours['seconds']:6.2f}" if cs else f"{'-':>6}"
        print(f"{n:>9,} | {ours['seconds']:9.2f} | {dd['seconds']:11.2f} | "
              f"{dd['seconds'] / ours['seconds']:6.2f} | {cs_s} | {cs_r} | "
              f"{d_dd:.1e}, {d_cs:.1e}", flush=True)
        rows.append({"rows": n, "pairnet": ours["seconds"], "diff-diff": dd["seconds"],
                     "csdid": cs["seconds"] if cs else None, "max_diff_dd": d_dd,
                     "max_diff_csdid": d_cs})
    print("ratio = peer time / pairnet time (> 1: pairnet is faster)")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
