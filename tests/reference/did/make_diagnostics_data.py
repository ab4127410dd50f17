"""Seeded staggered panel for the DID diagnostics references (``staggered_diag.csv``).

Unlike the demo: string unit ids, 10 years, three cohorts with heterogeneous *and* dynamic
effects (so TWFE is biased), a cohort first treated after the last year (never treated inside
the window) and never-treated units; balanced (the Goodman-Bacon decomposition needs it).
Run ``python tests/reference/did/make_diagnostics_data.py`` to rewrite the CSV; R and Python
read the same file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: cohort -> (effect at onset, change per period since onset)
EFFECTS = {2004: (1.0, 0.5), 2006: (2.0, 0.25), 2008: (3.0, 0.0)}


def make(seed: int = 16) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    years = np.arange(2001, 2011)
    cohorts = [2004] * 7 + [2006] * 8 + [2008] * 6 + [2013] * 4 + [0] * 11
    rows = []
    for i, g in enumerate(cohorts):
        a = rng.normal(0, 1) + 0.3 * (g > 0)
        for t in years:
            b = 0.2 * (t - 2001) + 0.1 * np.sin(t)
            tau = 0.0
            if g in EFFECTS and t >= g:
                tau = EFFECTS[g][0] + EFFECTS[g][1] * (t - g)
            rows.append({"id": f"county-{i:02d}", "region": f"r{i % 3}", "year": int(t),
                         "first_treat": int(g),
                         "y": a + b + tau + rng.normal(0, 0.5),
                         "w": float(rng.uniform(0.5, 2.0))})
    df = pd.DataFrame(rows)
    df["treat"] = ((df["first_treat"] > 0) & (df["year"] >= df["first_treat"])).astype(int)
    # unit-level weight (constant within unit, as a population weight)
    df["w"] = df.groupby("id")["w"].transform("first")
    return df


if __name__ == "__main__":
    out = Path(__file__).with_name("staggered_diag.csv")
    make().to_csv(out, index=False, float_format="%.17g")
    print(f"wrote {out}")
