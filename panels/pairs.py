"""The pair-year panel of seed 003: flows + treatment timing from a parks table + recipient controls.

A pair ``origin → destination`` is treated from the first year any co-built park links the
helper (origin) to the recipient (destination); several parks per pair → the earliest year.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pairnet.core.tables import check_unique, numeric_column, require_columns

from .controls import baseline_year_controls

__all__ = ["CONTROLS", "pair_id", "park_cohorts", "build_pair_panel"]

#: The recipient-city controls of seed 003 Table 1 (canonical column names).
CONTROLS = ("freight", "revenue_pc", "spending_pc", "phones_pc", "beds_per_10k")


def pair_id(origin: pd.Series, destination: pd.Series) -> pd.Series:
    """``"440100-441400"`` labels."""
    return origin.astype("string") + "-" + destination.astype("string")


def _as_adcodes(s: pd.Series, column: str) -> pd.Series:
    from pairnet.spatial.cities import resolve_one

    s = s.astype("string").str.strip()
    out = {}
    for v in s.dropna().unique():
        out[v] = resolve_one(v, level="prefecture", argument=f"parks table column '{column}'")
    return s.map(out).astype("string")


def park_cohorts(parks: pd.DataFrame) -> pd.DataFrame:
    """Earliest ``first_year`` per (helper, recipient) pair.

    Helpers and recipients may be adcodes or Chinese names (广州, 广州市); they are resolved to
    prefecture adcodes.

    Returns
    -------
    DataFrame
        ``origin, destination, cohort, parks`` (number of parks of the pair).
    """
    require_columns(parks, ["helper", "recipient", "first_year"], what="parks table")
    p = parks[["helper", "recipient", "first_year"]].copy()
    p["origin"] = _as_adcodes(p["helper"], "helper")
    p["destination"] = _as_adcodes(p["recipient"], "recipient")
    # a fractional year (2005.5) is an error, not silently truncated to 2005
    fy = numeric_column(p, "first_year", file="parks table", integer=True, allow_missing=False)
    p["first_year"] = fy.astype("int64")
    return (p.groupby(["origin", "destination"], as_index=False)
            .agg(cohort=("first_year", "min"), parks=("first_year", "size")))


def build_pair_panel(flows: pd.DataFrame, parks: pd.DataFrame | None,
                     controls: pd.DataFrame | None = None, *,
                     control_cols: Sequence[str] | None = None,
                     baseline: bool = False) -> pd.DataFrame:
    """Add treatment timing and recipient controls to a pair-year flows panel.

    Parameters
    ----------
    flows : DataFrame
        ``origin, destination, year, count`` (e.g. :attr:`IngestResult.panel`).
    parks : DataFrame or None
        ``helper, recipient, first_year`` (+ ``park``). None = no pair is treated.
    controls : DataFrame, optional
        Recipient city-year table ``city, year, ...``; joined on ``destination = city``.
    control_cols : sequence of str, optional
        Which control columns to join (default: those of :data:`CONTROLS` present).
    baseline : bool
        Also add the paper's ``{control}_x{year}`` columns (baseline-year value × year dummy,
        see :func:`pairnet.panels.controls.baseline_year_controls`), computed per recipient city.

    Returns
    -------
    DataFrame
        ``flows`` plus ``pair`` ("440100-441400"), ``log_count`` (ln(1+count)), ``cohort``
        (earliest park year, 0 = never treated), ``treat`` (1 if year >= cohort > 0),
        ``rel_time`` (year - cohort; <NA> for never treated), and the controls.
    """
    require_columns(flows, ["origin", "destination", "year", "count"], what="flows table")
    out = flows.copy()
    out["origin"] = out["origin"].astype("string")
    out["destination"] = out["destination"].astype("string")
    out["year"] = pd.to_numeric(out["year"]).astype("int64")
    out["pair"] = pair_id(out["origin"], out["destination"])
    out["log_count"] = np.log1p(pd.to_numeric(out["count"]).astype(float))
    if parks is not None and len(parks):
        coh = park_cohorts(parks)[["origin", "destination", "cohort"]]
        out = out.merge(coh, on=["origin", "destination"], how="left")
    else:
        out["cohort"] = np.nan
    out["cohort"] = out["cohort"].fillna(0).astype("int64")
    out["treat"] = ((out["cohort"] > 0) & (out["year"] >= out["cohort"])).astype("int64")
    rel = (out["year"] - out["cohort"]).astype("Int64")
    out["rel_time"] = rel.where(out["cohort"] > 0, pd.NA)
    if controls is not None:
        require_columns(controls, ["city", "year"], what="controls table")
        cols = list(control_cols) if control_cols is not None else \
            [c for c in CONTROLS if c in controls.columns]
        require_columns(controls, cols, what="controls table")
        c = controls[["city", "year", *cols]].copy()
        c["city"] = c["city"].astype("string")
        c["year"] = pd.to_numeric(c["year"]).astype("int64")
        check_unique(c, ["city", "year"], file="controls table", what="controls row")
        for k in cols:
            c[k] = pd.to_numeric(c[k], errors="coerce")
        c = c.rename(columns={"city": "destination"})
        out = out.merge(c, on=["destination", "year"], how="left")
        if baseline:
            # a recipient's controls may respond to its first park, so the fallback baseline
            # must come from before the earliest cohort among its pairs
            first = out.loc[out["cohort"] > 0].groupby("destination")["cohort"].min()
            base = baseline_year_controls(out, cols, unit="destination", time="year",
                                          cohort=first)
            out = pd.concat([out, base], axis=1)
            out.attrs["no_baseline"] = base.attrs.get("no_baseline", {})
    return out.sort_values(["origin", "destination", "year"]).reset_index(drop=True)
