"""The paper's pre-treatment controls: baseline-year values interacted with year dummies.

Seed 003, model (1) and its footnote 3: to keep the policy from contaminating the controls, each
control enters as its value in the first panel year (2000) times a full set of year dummies,
``Σ_k γ_k X^k_j0 η_t``. With unit fixed effects the interaction with the first year is collinear
and is left out.

City yearbooks have gaps, so a unit without a value in the baseline year may take a value from
another year (the paper does not say what it did). That stand-in must still be pre-treatment:
given the unit's cohort (first treated period) only years strictly before it are admissible;
never-treated units may use any year. A unit with no admissible value gets NaN interactions, so
estimators drop its rows rather than impute ``X0 = 0``; the units are listed in
``attrs["no_baseline"]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pairnet.core.errors import InputError

__all__ = ["baseline_values", "baseline_year_controls"]


def _unit_cohort(df: pd.DataFrame, unit: str,
                 cohort: str | Mapping | pd.Series | None) -> pd.Series | None:
    """Cohort per row of ``df`` (NaN / 0 = never treated), or None when not given."""
    if cohort is None:
        return None
    if isinstance(cohort, str):
        if cohort not in df.columns:
            raise InputError(f"missing cohort column {cohort!r} for baseline controls",
                             column=cohort, fix="name the first-treated-period column")
        g = pd.to_numeric(df[cohort], errors="coerce")
    else:
        g = pd.to_numeric(df[unit].map(pd.Series(cohort) if isinstance(cohort, Mapping)
                                       else cohort), errors="coerce")
    g = g.astype(float)
    return g.where(g > 0)  # 0 / negative / missing = never treated


def baseline_values(df: pd.DataFrame, controls: Sequence[str], *, unit: str, time: str,
                    base_year: int | None = None,
                    cohort: str | Mapping | pd.Series | None = None) -> pd.DataFrame:
    """Each unit's control values in the baseline year (or an admissible stand-in year).

    Parameters
    ----------
    df : DataFrame
        Long panel with ``unit``, ``time`` and the ``controls``.
    controls : sequence of str
        Time-varying control columns.
    unit, time : str
        Panel identifiers.
    base_year : int, optional
        The baseline year; default the first year of the panel. Its value is used whenever
        present (the paper's rule). A unit with no value in that year takes its value from the
        nearest later year (then earlier years), but only from a year strictly before its
        cohort, so the stand-in is pre-treatment.
    cohort : str, mapping or Series, optional
        The unit's first treated period: a column of ``df`` or a mapping / Series indexed by
        unit. 0, negative or missing = never treated (any year admissible). None = no cohort
        restriction (any year admissible for every unit).

    Returns
    -------
    DataFrame
        Indexed by unit (every unit of ``df``), one column per control; NaN where no admissible
        value exists. ``attrs["year_used"]`` holds the year each value came from (same shape).
    """
    missing = [c for c in (unit, time, *controls) if c not in df.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)} for baseline controls",
                         column=missing[0], fix="name existing columns in `controls`")
    base = int(df[time].min()) if base_year is None else int(base_year)
    d = df[[unit, time]].copy()
    g = _unit_cohort(df, unit, cohort)
    t = pd.to_numeric(d[time]).astype(float)
    # the base year always counts (the paper's rule); any other year only if before the cohort
    d["_ok"] = True if g is None else ((t == base) | g.isna() | (t < g))
    for c in controls:
        d[f"_v_{c}"] = pd.to_numeric(df[c], errors="coerce")
    d["_after"] = t < base  # years before the base go last: the nearest later year first
    d["_t"] = t
    d = d.sort_values(["_after", "_t"], kind="stable")
    units = pd.Index(pd.unique(df[unit]), name=unit)
    out, used = {}, {}
    for c in controls:
        ok = d.rename(columns={f"_v_{c}": "_v"})
        ok = ok.loc[ok["_ok"] & ok["_v"].notna()]
        first = ok.groupby(unit, sort=False)[["_v", "_t"]].first()
        out[c] = first["_v"].reindex(units)
        used[c] = first["_t"].reindex(units)
    res = pd.DataFrame(out, index=units)
    res.attrs["year_used"] = pd.DataFrame(used, index=units)
    return res


def baseline_year_controls(df: pd.DataFrame, controls: Sequence[str], *, unit: str, time: str,
                           base_year: int | None = None,
                           cohort: str | Mapping | pd.Series | None = None) -> pd.DataFrame:
    """Columns ``{control}_x{year}`` = baseline value × 1[time = year], for every year but the first.

    ``cohort`` restricts stand-in years as in :func:`baseline_values`. A unit without an
    admissible value for a control gets NaN in all of that control's columns on all its rows,
    so regressions drop the unit instead of imputing a baseline of 0. Returns a frame aligned
    with ``df``'s index; ``attrs["no_baseline"]`` = {control: sorted units without a value}
    (controls with none left out) and ``attrs["rows_no_baseline"]`` = the number of rows of
    ``df`` with any NaN interaction.
    """
    base = baseline_values(df, controls, unit=unit, time=time, base_year=base_year,
                           cohort=cohort)
    years = np.sort(df[time].unique())
    cols: dict[str, np.ndarray] = {}
    no_base: dict[str, list] = {}
    t = df[time].to_numpy()
    bad = np.zeros(len(df), dtype=bool)
    for c in controls:
        b = df[unit].map(base[c]).astype(float).to_numpy()
        miss = np.isnan(b)
        bad |= miss
        no_base[c] = sorted(set(df.loc[miss, unit].tolist()))
        for y in years[1:]:
            # NaN on every row of the unit (not only the year-y row): the unit leaves the
            # estimation sample as a whole
            cols[f"{c}_x{int(y)}"] = np.where(miss, np.nan, np.where(t == y, b, 0.0))
    out = pd.DataFrame(cols, index=df.index)
    out.attrs["no_baseline"] = {k: v for k, v in no_base.items() if v}
    out.attrs["rows_no_baseline"] = int(bad.sum())
    return out
