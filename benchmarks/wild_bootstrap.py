"""Monte Carlo under the null: CRV1 t(G−1) vs the wild cluster bootstrap with few clusters.

Run: .venv/bin/python benchmarks/wild_bootstrap.py [--reps 400] [--seed 13]
(seeded: the same arguments print the same numbers; not a test).

Each replication draws a pair-like panel with G = 9 or 12 clusters (helper cities) of 6 units
(pairs) over 12 years, with unit effects, year effects and a cluster × year shock (AR(1), so
clustering matters) and **no treatment effect**; the treatment is staggered and assigned to
the units of 3 clusters only (few treated clusters: the case where CRV1 over-rejects most).
The TWFE ``y ~ treat | unit + year`` is estimated with :func:`pairnet.analyses.did.twfe`,
clustered by helper; a 5 % test rejects when its p-value is below 0.05. Printed side by side,
per G: the rejection rate of CRV1 with t(G−1), of the wild cluster bootstrap (WCR11,
Rademacher, all 2^G sign vectors: what ``pairnet did`` runs), their Monte Carlo standard
errors, and the seconds per replication.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from pairnet.analyses.did import WildOptions, prepare_panel, twfe

UNITS_PER_CLUSTER = 6
YEARS = np.arange(2005, 2017)
TREATED_CLUSTERS = 3


def draw(n_clusters: int, rng: np.random.Generator) -> pd.DataFrame:
    """One panel under H0 (no effect): ``unit, origin, year, cohort, y``."""
    T = len(YEARS)
    treated = rng.choice(n_clusters, size=TREATED_CLUSTERS, replace=False)
    rows = []
    for c in range(n_clusters):
        shock = np.zeros(T)
        e = rng.normal(0, 1, T)
        for k in range(T):
            shock[k] = (0.6 * shock[k - 1] if k else 0.0) + e[k]
        cohort = int(rng.choice(YEARS[3:-3])) if c in treated else 0
        for u in range(UNITS_PER_CLUSTER):
            a = rng.normal(0, 1)
            eps = rng.normal(0, 1, T)
            for k, t in enumerate(YEARS):
                rows.append((f"c{c:02d}|u{u}", f"c{c:02d}", int(t), cohort,
                             a + 0.1 * k + shock[k] + eps[k]))
    return pd.DataFrame(rows, columns=["unit", "origin", "year", "cohort", "y"])


def run(n_clusters: int, reps: int, seed: int) -> dict[str, float]:
    """Rejection rates at 5 % of CRV1 t(G−1) and of the wild bootstrap."""
    rng = np.random.default_rng(seed)
    wild = WildOptions(draws=9999, weights="rademacher", seed=seed)
    rej_crv1 = rej_wild = 0
    t0 = time.perf_counter()
    for _ in range(reps):
        p = prepare_panel(draw(n_clusters, rng), unit="unit", time="year", cohort="cohort",
                          y="y", cluster="origin")
        res = twfe(p, wild=wild)
        rej_crv1 += float(res.coef["p_value"].iloc[0]) < 0.05
        rej_wild += res.p_wild < 0.05
    secs = (time.perf_counter() - t0) / reps
    return {"crv1": rej_crv1 / reps, "wild": rej_wild / reps, "seconds": secs}


def main() -> None:
    """Print the side-by-side rejection rates for G = 9 and 12."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=400)
    ap.add_argument("--seed", type=int, default=13)
    a = ap.parse_args()
    print(f"H0 true (no effect), {TREATED_CLUSTERS} treated clusters, {UNITS_PER_CLUSTER} units "
          f"per cluster, {len(YEARS)} years, {a.reps} replications, seed {a.seed}; "
          "nominal level 5 %")
    print(f"{'G':>3}  {'CRV1 t(G-1)':>12}  {'wild (WCR11)':>12}  {'MC s.e.':>8}  "
          f"{'ratio CRV1/wild':>15}  {'s/rep':>6}")
    for g in (9, 12):
        r = run(g, a.reps, a.seed + g)
        se = np.sqrt(0.05 * 0.95 / a.reps)
        ratio = r["crv1"] / r["wild"] if r["wild"] else float("inf")
        print(f"{g:>3}  {100 * r['crv1']:>11.1f}%  {100 * r['wild']:>11.1f}%  "
              f"{100 * se:>7.1f}%  {ratio:>15.2f}  {r['seconds']:>6.2f}")


if __name__ == "__main__":
    main()
