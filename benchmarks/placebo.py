"""Placebo test: fast (exact two-way demeaning + Frisch-Waugh) vs refitting pyfixest per draw.

Run: python benchmarks/placebo.py
Prints, per panel size, the time per draw of each way, the extrapolated time of 500 draws, the
speed ratio and the largest difference between the two on the same draws.
"""

from __future__ import annotations

import time

import numpy as np

from pairnet.analyses.did import prepare_panel, simulate_staggered
from pairnet.analyses.placebo import placebo_assignments, placebo_fast, placebo_refit

DRAWS = 500
REFIT_DRAWS = 5


def bench(n_units: int, n_periods: int, controls: bool) -> None:
    s = simulate_staggered(n_units=n_units, n_periods=n_periods, effect=1.5, seed=1)
    p = prepare_panel(s, unit="unit", time="time", cohort="cohort", y="y", controls=["x"])
    assign = placebo_assignments(p, DRAWS, seed=0)
    kw = {"controls": controls, "controls_as": "baseline"}
    placebo_refit(p, assign[:1], **kw)  # warm-up (imports, numba)
    t0 = time.perf_counter()
    fast = placebo_fast(p, assign, **kw)
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    slow = placebo_refit(p, assign[:REFIT_DRAWS], **kw)
    t_slow = (time.perf_counter() - t0) / REFIT_DRAWS * DRAWS
    diff = float(np.max(np.abs(fast[:REFIT_DRAWS] - slow)))
    print(f"{n_units:>5} units x {n_periods:>2} periods, controls={'yes' if controls else 'no ':<3}"
          f"  fast {t_fast:7.3f} s / {DRAWS} draws   refit {t_slow:8.1f} s / {DRAWS} draws "
          f"(extrapolated from {REFIT_DRAWS})   ratio {t_slow / t_fast:8.0f}x   "
          f"max |diff| {diff:.1e}")


if __name__ == "__main__":
    print("placebo test, fast vs pyfixest refit per draw (setup of the fast solver included)")
    bench(88, 19, False)   # seed 003's panel: 88 pairs x 19 years
    bench(88, 19, True)    # with baseline-year x year-dummy controls (18 columns)
    bench(1000, 19, False)
