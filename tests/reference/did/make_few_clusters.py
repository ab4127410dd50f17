"""Seeded few-cluster DID designs unlike the demo, read by ``few_clusters.R`` and the tests.

Run from the repository root: ``.venv/bin/python tests/reference/did/make_few_clusters.py``;
writes ``few9.csv``, ``few12.csv`` and ``never_only.csv`` next to this file (committed, so R
and Python read the same rows). Then ``TZ=UTC Rscript tests/reference/did/few_clusters.R``.

What makes them unlike the demo:

* string ids (``unit`` = ``"o_c|d_07"``, ``origin`` = ``"o_c"``), units clustered by origin
  (9 or 12 clusters), a shock shared by each origin's units (so clustering matters);
* unbalanced: units enter late or leave early and single cells are missing;
* cohorts outside the window: after the last year (never treated within the window), before
  and at the first year (always treated), and never treated (empty cohort);
* ``never_only``: a single treated cohort compared with never-treated units only;
* a heterogeneous, dynamic effect (so TWFE, event study and Sun–Abraham differ) that shrinks
  with distance (Table 4).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def design(*, n_origins: int, n_dest: int, years: tuple[int, int], cohorts: list[int | None],
           seed: int, drop_share: float = 0.06) -> pd.DataFrame:
    """One panel: ``unit, origin, destination, year, cohort, y, x, dist``."""
    rng = np.random.default_rng(seed)
    y0, y1 = years
    yrs = np.arange(y0, y1 + 1)
    rows = []
    for o in range(n_origins):
        shock_o = rng.normal(0, 0.8, len(yrs))        # origin-year shock: within-cluster corr.
        level_o = rng.normal(0, 1)
        for d in range(n_dest):
            unit = f"o_{chr(97 + o)}|d_{d:02d}"
            g = cohorts[rng.integers(len(cohorts))]
            dist = float(rng.uniform(20, 400))
            a = level_o + rng.normal(0, 1) + (0.7 if g else 0.0)
            # unbalanced: some units enter late or leave early
            first = y0 + (int(rng.integers(0, 3)) if rng.random() < 0.3 else 0)
            last = y1 - (int(rng.integers(0, 3)) if rng.random() < 0.3 else 0)
            for k, t in enumerate(yrs):
                if t < first or t > last or rng.random() < drop_share:
                    continue
                treated = g is not None and t >= g
                eff = (1.5 + 0.15 * (t - g) - 0.004 * dist) if treated else 0.0
                x = rng.normal(0, 1)
                y = (a + 0.08 * (t - y0) + shock_o[k] + eff + 0.3 * x + rng.normal(0, 1))
                rows.append({"unit": unit, "origin": f"o_{chr(97 + o)}",
                             "destination": f"d_{d:02d}", "year": int(t),
                             "cohort": "" if g is None else int(g), "y": y, "x": x,
                             "dist": dist})
    return pd.DataFrame(rows)


def main() -> None:
    """Write the three designs."""
    few9 = design(n_origins=9, n_dest=6, years=(2003, 2016), seed=20249,
                  cohorts=[None, None, 2006, 2008, 2009, 2011, 2013, 2018, 2020, 2001, 2003])
    few12 = design(n_origins=12, n_dest=4, years=(1998, 2009), seed=202412,
                   cohorts=[None, None, None, 2001, 2003, 2004, 2006, 2011, 1995])
    never = design(n_origins=12, n_dest=5, years=(2010, 2019), seed=20240,
                   cohorts=[None, None, 2014], drop_share=0.0)
    for name, df in (("few9", few9), ("few12", few12), ("never_only", never)):
        # 17 significant digits: R and Python read the same doubles
        df.to_csv(HERE / f"{name}.csv", index=False, float_format="%.17g")


if __name__ == "__main__":
    main()
