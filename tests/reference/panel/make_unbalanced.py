"""Seeded generator of the unbalanced reference panels (run once; its CSVs are committed).

``python tests/reference/panel/make_unbalanced.py`` writes, next to this file:

- ``unbalanced_a.csv``: 40 firms with string ids (letters, dashes, leading zeros), 7-13 years
  each inside 1991-2012, interior gaps, 12 ``region`` clusters with the firms nested in them;
  the firm effect is correlated with ``x1`` (so FE and RE differ: Hausman rejects).
- ``unbalanced_b.csv``: 12 firms (12 entity clusters, the few-cluster reference), 7-13 years
  each with gaps, effect uncorrelated with the regressors.
- ``unbalanced_c.csv``: 15 firms, 7-13 years, where the Swamy-Arora RE variance exceeds the
  within one enough that V_FE - V_RE is not positive definite (plm's phtest is negative).

``plm_unbalanced.R`` reads the same files and writes ``plm_unbalanced.json``; the tests compare
pairnet with that JSON and never call R.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def _ids(rng: np.random.Generator, n: int) -> list[str]:
    """Distinct string ids of mixed shapes: ``AB-017``, ``0042``, ``k_9``."""
    out: list[str] = []
    while len(out) < n:
        kind = rng.integers(3)
        if kind == 0:
            s = "".join(rng.choice(list("ABCDEFGHJK"), 2)) + f"-{rng.integers(1000):03d}"
        elif kind == 1:
            s = f"{rng.integers(10000):04d}"  # leading zeros must survive as text
        else:
            s = f"{rng.choice(list('kmnpq'))}_{rng.integers(100)}"
        if s not in out:
            out.append(s)
    return out


def _years(rng: np.random.Generator, lo: int, hi: int) -> np.ndarray:
    """7-13 observed years of one firm inside [lo, hi], with up to 2 interior gaps."""
    t = int(rng.integers(7, 14))
    n_gaps = int(rng.integers(0, 3))
    span = t + n_gaps
    start = int(rng.integers(lo, hi - span + 2))
    years = np.arange(start, start + span)
    if n_gaps:
        drop = rng.choice(np.arange(1, span - 1), n_gaps, replace=False)
        years = np.delete(years, drop)
    return years


def panel(seed: int, n: int, *, corr: float, sigma_a: float, sigma_e: float,
          regions: int | None = None, lo: int = 1991, hi: int = 2012) -> pd.DataFrame:
    """One unbalanced firm-year panel: ``firm, year, [region], y, x1, x2, x3``."""
    rng = np.random.default_rng(seed)
    ids = _ids(rng, n)
    rows = []
    region_of = (rng.permutation(np.arange(n) % regions) if regions else None)
    for i, firm in enumerate(ids):
        a = rng.normal(0, sigma_a)
        years = _years(rng, lo, hi)
        level = rng.normal(0, 1)
        for yr in years:
            x1 = corr * a + level + rng.normal(0, 1)
            x2 = rng.normal(0, 1) + 0.3 * x1
            x3 = rng.uniform(0, 5)
            e = rng.normal(0, sigma_e)
            row = {"firm": firm, "year": int(yr), "x1": x1, "x2": x2, "x3": x3,
                   "y": 1.0 + a + 0.8 * x1 - 0.5 * x2 + 0.2 * x3 + e}
            if region_of is not None:
                row["region"] = f"R{int(region_of[i]) + 1:02d}"
            rows.append(row)
    cols = ["firm", "year", *(["region"] if regions else []), "y", "x1", "x2", "x3"]
    return pd.DataFrame(rows)[cols]


def main() -> None:
    specs = {
        "unbalanced_a.csv": {"seed": 20240513, "n": 40, "corr": 0.9, "sigma_a": 1.0,
                             "sigma_e": 1.0, "regions": 12},
        "unbalanced_b.csv": {"seed": 777, "n": 12, "corr": 0.0, "sigma_a": 0.7,
                             "sigma_e": 1.0},
        "unbalanced_c.csv": {"seed": C_SEED, "n": 15, "corr": 0.0, "sigma_a": 0.15,
                             "sigma_e": 1.0},
    }
    for name, kw in specs.items():
        d = panel(**kw)
        d.to_csv(HERE / name, index=False, float_format="%.17g")
        print(name, len(d), "rows,", d["firm"].nunique(), "firms,",
              d.groupby("firm").size().agg(["min", "max"]).tolist(), "years per firm")


#: the seed of panel C (found by :func:`find_negative_hausman`, then frozen here)
C_SEED = 98


def find_negative_hausman(start: int = 0, stop: int = 500) -> int:
    """The first seed whose panel C gives a negative Hausman statistic (pairnet's phtest)."""
    from pairnet.analyses.citypanel import fit_fe, fit_re, phtest

    kw = {"entity": "firm", "time": "year", "y": "y", "x": ["x1", "x2", "x3"]}
    for seed in range(start, stop):
        d = panel(seed, 15, corr=0.0, sigma_a=0.15, sigma_e=1.0)
        if phtest(fit_fe(d, **kw), fit_re(d, **kw)).stat < 0:
            return seed
    raise RuntimeError("no seed found")


if __name__ == "__main__":
    main()
