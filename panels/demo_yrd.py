"""Seeded demo data for seed 000: raw statistics of the 26 YRD cities, 2005-2017.

The cities and their ids are the real ones (``spatial.cities.GROUPS["YRD"]``); the population
levels are rough magnitudes for realism only; everything else is synthetic. The data-generating
process is written at the level of the *indicators*, then turned into raw yearbook-style
columns (nominal money, populations, employment, schooling counts, a price index with
2004 = 100), so :func:`pairnet.panels.citypanel.build_indicators` must undo the construction exactly:

    gdp_pc_it = a_i + β_mig·mig_it + Σ β_k·control_k,it + e_it,    e ~ N(0, σ²)

with city effects ``a_i`` correlated with the city's mean ``mig`` (so RE is inconsistent and the
Hausman test should pick FE, as in the paper). ``str``, ``tec`` and ``cos`` do not enter the
outcome: their true main effects and interactions with ``mig`` are zero. A few *interior* raw
cells are blanked so the interpolation step has work to do (their true values are kept in
``true_params.json`` under ``blanked``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pairnet.core.tables import write_json, write_table
from pairnet.spatial.cities import GROUPS, city_names

__all__ = ["TRUE_COEFS", "generate_yrd", "write_demo_yrd"]

#: True slopes of the FE baseline model (outcome ``gdp_pc``, 万元 per person).
TRUE_COEFS: dict[str, float] = {
    "mig": 8.7, "inc": 1.2, "inv": 0.8, "gov": 6.0, "tra": -1.0, "fdi": 12.0, "urb": 2.0,
}
SIGMA = 0.3
YEARS = tuple(range(2005, 2018))

# registered population around 2005 (万人) and mean mig, in GROUPS["YRD"] order; magnitudes only
_POP = (1360, 600, 460, 360, 610, 770, 800, 460, 270, 500, 660, 560, 340, 260, 435, 460, 97,
        560, 460, 230, 130, 73, 610, 440, 160, 275)
_MIG = (0.50, 0.30, 0.35, 0.20, 0.50, -0.05, -0.12, -0.03, 0.15, -0.08, 0.25, 0.30, 0.30, 0.10,
        0.10, 0.15, 0.15, 0.00, 0.15, 0.00, 0.00, 0.00, -0.15, -0.13, -0.10, -0.10)
#: (column, city position, year) of the interior cells that are blanked
_BLANK = (("fixed_inv", 3, 2009), ("emp_tertiary", 7, 2012), ("innovation", 11, 2008),
          ("edu_college", 15, 2014), ("gdp", 20, 2011), ("pop_registered", 24, 2013))


def generate_yrd(seed: int = 0) -> tuple[pd.DataFrame, dict]:
    """Raw city-year statistics and the truth behind them.

    Returns
    -------
    (DataFrame, dict)
        Raw table (``city, name, year`` + :data:`pairnet.panels.citypanel.RAW_COLUMNS`, 338 rows) and
        the parameters: ``coefs`` (true FE slopes), ``sigma``, ``seed``, ``zero`` (terms whose
        true effect is 0), ``blanked`` (cells set missing, with their true values).
    """
    rng = np.random.default_rng(seed)
    cities = list(GROUPS["YRD"])
    names = city_names(cities)
    n, T = len(cities), len(YEARS)
    t = np.arange(T, dtype=float)
    rows = []
    for i, c in enumerate(cities):
        m_i = _MIG[i]
        mig = m_i + rng.uniform(-0.01, 0.01) * (t - 6) + rng.normal(0, 0.025, T)
        inc = rng.uniform(1.4, 2.2) * 1.07 ** t * np.exp(rng.normal(0, 0.03, T))
        inv = np.clip(rng.uniform(0.35, 0.7) + rng.normal(0, 0.05, T), 0.1, None)
        gov = np.clip(rng.uniform(0.08, 0.18) + rng.normal(0, 0.01, T), 0.02, None)
        tra = np.clip(rng.uniform(0.1, 1.2) + rng.normal(0, 0.08, T), 0.01, None)
        fdi = np.clip(rng.uniform(0.01, 0.06) + rng.normal(0, 0.006, T), 0.001, None)
        urb = np.clip(rng.uniform(0.45, 0.7) + 0.012 * t + rng.normal(0, 0.01, T), 0.2, 0.95)
        strv = rng.uniform(0.6, 1.2) + 0.02 * t + rng.normal(0, 0.05, T)
        tec = np.clip(rng.uniform(1, 40) * 1.1 ** t * np.exp(rng.normal(0, 0.05, T)), 0.1, None)
        cos = np.clip(rng.uniform(0.2, 0.4) + rng.normal(0, 0.02, T), 0.05, None)
        a_i = 1.5 + 5.0 * m_i + rng.normal(0, 0.8)  # correlated with mean mobility
        y = (a_i + TRUE_COEFS["mig"] * mig + TRUE_COEFS["inc"] * inc + TRUE_COEFS["inv"] * inv
             + TRUE_COEFS["gov"] * gov + TRUE_COEFS["tra"] * tra + TRUE_COEFS["fdi"] * fdi
             + TRUE_COEFS["urb"] * urb + rng.normal(0, SIGMA, T))
        infl = rng.uniform(0.015, 0.03)
        price = 100 * (1 + infl + rng.normal(0, 0.004, T)).cumprod()  # 2004 = 100
        defl = price / 100
        reg = _POP[i] * 1.004 ** t
        res = reg * (1 + mig)
        gdp_real = y * res  # 万元/人 × 万人 = 亿元
        sec = res * rng.uniform(0.25, 0.35) * np.exp(rng.normal(0, 0.02, T))
        s_prim, s_jun, s_sen = rng.uniform(0.25, 0.35), rng.uniform(0.3, 0.4), 0.15
        s_col = np.clip(rng.uniform(0.06, 0.18) + 0.004 * t, 0, 0.3)
        pop6 = 0.93 * res
        for k, year in enumerate(YEARS):
            rows.append({
                "city": c, "name": names.get(c, c), "year": year,
                "gdp": gdp_real[k] * defl[k],
                "pop_resident": res[k], "pop_registered": reg[k],
                "emp_secondary": sec[k], "emp_tertiary": strv[k] * sec[k],
                "cons_pc_urban": cos[k] * y[k] * 1e4 * defl[k],
                "innovation": tec[k],
                "income_pc": inc[k] * 1e4 * defl[k],
                "fixed_inv": inv[k] * gdp_real[k] * defl[k],
                "gov_exp": gov[k] * gdp_real[k] * defl[k],
                "trade": tra[k] * gdp_real[k] * defl[k],
                "fdi": fdi[k] * gdp_real[k] * defl[k],
                "pop_urban": urb[k] * res[k],
                "area_km2": float(rng.uniform(1500, 16000)) if k == 0 else np.nan,
                "edu_primary": s_prim * pop6[k], "edu_junior": s_jun * pop6[k],
                "edu_senior": s_sen * pop6[k], "edu_college": s_col[k] * pop6[k],
                "pop_6plus": pop6[k], "price_index": price[k],
            })
    raw = pd.DataFrame(rows)
    raw["area_km2"] = raw.groupby("city")["area_km2"].transform("first")
    blanked = []
    for col, pos, year in _BLANK:
        sel = (raw["city"] == cities[pos]) & (raw["year"] == year)
        blanked.append({"column": col, "city": cities[pos], "year": year,
                        "true": float(raw.loc[sel, col].iloc[0])})
        raw.loc[sel, col] = np.nan
    params = {"seed": seed, "coefs": dict(TRUE_COEFS), "sigma": SIGMA,
              "outcome": "gdp_pc", "model": "one-way city fixed effects",
              "zero": ["str", "tec", "cos", "mig_x_str", "mig_x_tec", "mig_x_cos"],
              "blanked": blanked, "years": [YEARS[0], YEARS[-1]], "n_cities": n}
    return raw, params


def write_demo_yrd(out_dir: str | Path, seed: int = 0) -> tuple[Path, Path]:
    """Write ``yrd_raw.csv`` and ``true_params.json`` into ``out_dir``; return both paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    raw, params = generate_yrd(seed)
    p1 = write_table(raw, out / "yrd_raw.csv")
    p2 = write_json(params, out / "true_params.json")
    return p1, p2
