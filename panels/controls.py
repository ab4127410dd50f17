"""The paper's pre-treatment controls: baseline-year values interacted with year dummies.

Seed 003, model (1): to keep the policy from contaminating the controls, each control enters as
its value in the first panel year (2000) times a full set of year dummies, ``Σ_k γ_k X^k_j0 η_t``.
With unit fixed effects the interaction with the first year is collinear and is left out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from spatial.errors import InputError

__all__ = ["baseline_values", "baseline_year_controls"]


def baseline_values(df: pd.DataFrame, controls: Sequence[str], *, unit: str, time: str,
                    base_year: int | None = None) -> pd.DataFrame:
    """Each unit's control values in the baseline year.

    Parameters
    ----------
    df : DataFrame
        Long panel with ``unit``, ``time`` and the ``controls``.
    controls : sequence of str
        Time-varying control columns.
    unit, time : str
        Panel identifiers.
    base_year : int, optional
        The baseline year; default the first year of the panel. A unit with no value in that
        year takes its earliest non-missing value (city yearbooks have gaps), documented here
        because the paper does not say.

    Returns
    -------
    DataFrame
        Indexed by unit, one column per control.
    """
    missing = [c for c in (unit, time, *controls) if c not in df.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)} for baseline controls",
                         column=missing[0], fix="name existing columns in --controls")
    base = int(df[time].min()) if base_year is None else int(base_year)
    d = df[[unit, time, *controls]].copy()
    d["_after"] = d[time] < base  # years before the base go last
    d = d.sort_values(["_after", time])
    out = {}
    for c in controls:
        v = pd.to_numeric(d[c], errors="coerce")
        first = d.assign(_v=v).dropna(subset=["_v"]).groupby(unit, sort=False)["_v"].first()
        out[c] = first
    res = pd.DataFrame(out)
    res.index.name = unit
    return res


def baseline_year_controls(df: pd.DataFrame, controls: Sequence[str], *, unit: str, time: str,
                           base_year: int | None = None) -> pd.DataFrame:
    """Columns ``{control}_x{year}`` = baseline value × 1[time = year], for every year but the first.

    Returns a frame aligned with ``df``'s index. Units without any value for a control get 0 in
    its columns and are listed in ``result.attrs["no_baseline"]`` (so nothing is dropped silently).
    """
    base = baseline_values(df, controls, unit=unit, time=time, base_year=base_year)
    years = np.sort(df[time].unique())
    cols: dict[str, np.ndarray] = {}
    no_base: dict[str, list] = {}
    t = df[time].to_numpy()
    for c in controls:
        b = df[unit].map(base[c]).astype(float)
        no_base[c] = sorted(set(df.loc[b.isna(), unit].tolist()))
        bv = b.fillna(0.0).to_numpy()
        for y in years[1:]:
            cols[f"{c}_x{int(y)}"] = np.where(t == y, bv, 0.0)
    out = pd.DataFrame(cols, index=df.index)
    out.attrs["no_baseline"] = {k: v for k, v in no_base.items() if v}
    return out
