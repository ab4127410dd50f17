"""Benefit sharing and land sales (seed 003 §5): Figure 4 means and the Figure 5 event study.

Model (2) of seed 003::

    y_pct = α + Σ_{s=-3..6} β_s Park_p · L^s_t + λ_pc + η_ct + ε_pct

``y`` is the log industrial area sold by county ``c`` in year ``t`` inside (``p = 1``) or outside
(``p = 0``) co-built parks, ``L^s_t = 1[t = 2014 + s]``, base ``s = -1`` (2013), fixed effects
park × county and county × year, standard errors clustered by county. Estimated with pyfixest as
``log_area ~ i(s, park, ref=-1) | county^park + county^year`` with ``vcov={"CRV1": "county"}``;
confidence intervals are pyfixest's (t with G − 1 degrees of freedom).

Event window. The paper's sample is 2011–2020, exactly s = −3…6. If a longer ``--years`` window
is used, the endpoints are binned: years before 2011 join s = −3 and years after 2020 join s = 6
(the usual binned-endpoint event study), so the window of coefficients never changes. The
county × year effects still use the actual year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pairnet.analyses._pyfixest import feols as pf_feols

from pairnet.core.errors import EstimationError, InputError

__all__ = [
    "EVENT_YEAR",
    "WINDOW",
    "REGIME",
    "LandEventStudy",
    "yearly_means",
    "event_time",
    "check_identified",
    "estimate_event_study",
    "plot_means",
    "run_land",
]

EVENT_YEAR = 2014  # benefit sharing abolished in 2014, restored in 2017
WINDOW = (-3, 6)
BASE = -1
REGIME = (2014, 2016)  # years without benefit sharing, shaded in the figures


def yearly_means(panel: pd.DataFrame) -> pd.DataFrame:
    """Figure 4: mean log area by year inside and outside parks (over the cells that exist).

    Returns
    -------
    DataFrame
        ``year, mean_inside, mean_outside, cells_inside, cells_outside, difference``.
    """
    g = panel.groupby(["year", "park"])["log_area"].agg(["mean", "count"]).unstack("park")
    out = pd.DataFrame({
        "year": g.index.astype("int64"),
        "mean_inside": g[("mean", 1)].to_numpy() if ("mean", 1) in g else np.nan,
        "mean_outside": g[("mean", 0)].to_numpy() if ("mean", 0) in g else np.nan,
        "cells_inside": g[("count", 1)].fillna(0).astype("int64").to_numpy()
        if ("count", 1) in g else 0,
        "cells_outside": g[("count", 0)].fillna(0).astype("int64").to_numpy()
        if ("count", 0) in g else 0,
    })
    out["difference"] = out["mean_inside"] - out["mean_outside"]
    return out.reset_index(drop=True)


def event_time(year: pd.Series, *, event_year: int = EVENT_YEAR,
               window: tuple[int, int] = WINDOW) -> pd.Series:
    """``s = year − event_year`` with endpoints binned into the window (see module docstring)."""
    return (year.astype("int64") - event_year).clip(window[0], window[1])


def _regime_axes(regime: tuple[int, int]):
    """A new figure whose axes shade the years of the benefit-sharing regime (Figures 4, 5)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.axvspan(regime[0] - 0.5, regime[1] + 0.5, color="0.85", zorder=0,
               label="benefit sharing abolished 2014–2016 (restored 2017)")
    return fig, ax


@dataclass(frozen=True)
class LandEventStudy:
    """Event-study result of model (2), with the Figure 4 means.

    Attributes
    ----------
    event : DataFrame
        ``s, year, coef, se, ci_low, ci_high`` for s = −3…6 (base row: zeros, se NaN).
    means : DataFrame
        :func:`yearly_means` of the panel.
    nobs : int
        Observations used (after pyfixest drops singleton fixed-effect groups).
    n_clusters : int
        Counties (clusters).
    formula : str
        The pyfixest formula.
    """

    event: pd.DataFrame
    means: pd.DataFrame
    nobs: int
    n_clusters: int
    formula: str
    extra: Mapping[str, Any] = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """The event-study coefficients (one row per s, base included)."""
        return self.event.copy()

    def summary(self) -> str:
        """A plain-text table of the coefficients."""
        lines = [f"Event study: {self.formula}  (CRV1 by county; N = {self.nobs}, "
                 f"{self.n_clusters} counties; base s = {BASE})",
                 f"{'s':>3} {'year':>5} {'coef':>9} {'se':>8} {'95% CI':>20}"]
        for r in self.event.itertuples():
            lines.append(_summary_row(r.s, r.year, r.coef, r.se, r.ci_low, r.ci_high))
        return "\n".join(lines)

    def plot(self, *, regime: tuple[int, int] = REGIME):
        """Figure 5: coefficients with 95% intervals, the 2014–2016 regime shaded."""
        e = self.event
        fig, ax = _regime_axes(regime)
        ax.axhline(0, color="0.4", lw=0.8)
        base = e["s"] == BASE
        ok = e["se"].notna() & e["ci_low"].notna() & e["ci_high"].notna() & ~base
        no_se = e["coef"].notna() & ~ok & ~base
        ax.plot(e["year"], e["coef"], "-", color="C0", lw=1)
        ax.errorbar(e.loc[ok, "year"], e.loc[ok, "coef"],
                    yerr=[e.loc[ok, "coef"] - e.loc[ok, "ci_low"],
                          e.loc[ok, "ci_high"] - e.loc[ok, "coef"]],
                    fmt="o", color="C0", capsize=3, label="park × year (95% CI)")
        if no_se.any():
            ax.plot(e.loc[no_se, "year"], e.loc[no_se, "coef"], "o", mfc="none", color="C0",
                    label="no standard error")
        ax.plot(e.loc[base, "year"], e.loc[base, "coef"], "s", color="C3",
                label=f"base ({EVENT_YEAR + BASE})")
        ax.set_xticks(e["year"])
        ax.set_xlabel("year")
        ax.set_ylabel("effect on log industrial land area")
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
        return fig

    def to_results(self) -> dict[str, Any]:
        """The JSON-ready part of results.json."""
        return {
            "formula": self.formula,
            "vcov": {"CRV1": "county"},
            "base": {"s": BASE, "year": EVENT_YEAR + BASE},
            "nobs": self.nobs,
            "n_clusters": self.n_clusters,
            "event_study": self.event.to_dict(orient="records"),
            "means": self.means.to_dict(orient="records"),
            **dict(self.extra),
        }


def _missing(x: Any) -> bool:
    return x is None or pd.isna(x)


def _summary_row(s: int, year: int, coef: float, se: float, ci_low: float,
                 ci_high: float) -> str:
    """One line of :meth:`LandEventStudy.summary`.

    Only the base (``s == BASE``) is labelled "(base)"; a coefficient without a standard error
    (e.g. a cluster-robust variance that is not positive) shows "n/a", and a missing coefficient
    (no data for that year, or collinear) "not identified".
    """
    if int(s) == BASE:
        return f"{s:>3} {year:>5} {0.0 if _missing(coef) else coef:9.3f} {'(base)':>8}"
    if _missing(coef):
        return f"{s:>3} {year:>5} {'not identified':>18}"
    if _missing(se):
        return f"{s:>3} {year:>5} {coef:9.3f} {'n/a':>8}"
    ci = ("" if _missing(ci_low) or _missing(ci_high)
          else f"[{ci_low:7.3f}, {ci_high:7.3f}]")
    return f"{s:>3} {year:>5} {coef:9.3f} {se:8.3f} {ci:>20}"


#: Plain-language display labels for audit reasons that mention command-line options.
_AUDIT_LABELS = {"county outside --cities": "county outside the study cities"}


def plot_means(means: pd.DataFrame, *, regime: tuple[int, int] = REGIME):
    """Figure 4: yearly mean log area inside vs outside parks."""
    fig, ax = _regime_axes(regime)
    ax.plot(means["year"], means["mean_inside"], "o-", label="inside parks (treated)")
    ax.plot(means["year"], means["mean_outside"], "s--", label="outside parks (control)")
    ax.set_xticks(means["year"])
    ax.set_xlabel("year")
    ax.set_ylabel("mean log industrial land area (ha)")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def check_identified(d: pd.DataFrame, *, event_year: int = EVENT_YEAR, base: int = BASE,
                     file: str | None = None) -> None:
    """Refuse a panel on which model (2) is not identified, before pyfixest sees it.

    The park × year effects come only from county-years with both a park and a non-park cell
    (a lone cell is absorbed by its county × year effect). Those must include the base year,
    at least one other event time, and at least two counties (the standard errors are
    clustered by county; one cluster has no variance). Degenerate designs otherwise make
    pyfixest abort the process (a Rust panic) or fail with numerical warnings.

    Raises
    ------
    InputError
        Naming what is missing and the options that widen the sample.
    """
    both = d.groupby(["county", "year"])["park"].nunique()
    info = both[both == 2].reset_index()[["county", "year"]]
    info["s"] = event_time(info["year"], event_year=event_year)
    base_year = event_year + base
    yrs = sorted(int(y) for y in info["year"].unique())
    shown = ", ".join(map(str, yrs)) if yrs else "none"
    n_cty = int(info["county"].nunique())
    if info.empty:
        problem = "no county-year has both a park and a non-park cell"
    elif base not in set(info["s"]):
        problem = f"the base year {base_year} has no county with both park and non-park cells"
    elif set(info["s"]) == {base}:
        problem = f"only the base year {base_year} has counties with both park and non-park cells"
    elif n_cty < 2:
        problem = ("only one county has park and non-park cells in the same year; standard "
                   "errors clustered by county need at least 2 counties")
    else:
        return
    raise InputError(
        f"the cleaned panel cannot identify the event study: {problem} "
        f"(years with both: {shown}; counties with both: {n_cty})",
        file=file,
        fix=f"widen --years (it must include {base_year} and at least one other year) or "
            "--cities (at least 2 counties with parcels inside and outside parks), or check "
            "--park-patterns")


def estimate_event_study(panel: pd.DataFrame, *, event_year: int = EVENT_YEAR,
                         window: tuple[int, int] = WINDOW, base: int = BASE,
                         file: str | None = None) -> LandEventStudy:
    """Estimate model (2) on a ``county, year, park, log_area`` panel.

    Raises
    ------
    InputError
        Missing columns, or a panel on which the model is not identified
        (:func:`check_identified`; ``file`` is named in the message).
    EstimationError
        The fit fails.
    """
    need = ["county", "year", "park", "log_area"]
    missing = [c for c in need if c not in panel.columns]
    if missing:
        raise InputError(f"panel lacks column(s) {', '.join(missing)}", column=missing[0],
                         fix="build it with panels.land.clean_land")
    d = panel[need].dropna().copy()
    d["county"] = d["county"].astype(str)
    d["year"] = d["year"].astype("int64")
    d["park"] = d["park"].astype("int64")
    d["log_area"] = d["log_area"].astype(float)
    d["s"] = event_time(d["year"], event_year=event_year, window=window)
    check_identified(d, event_year=event_year, base=base, file=file)
    formula = f"log_area ~ i(s, park, ref={base}) | county^park + county^year"
    import warnings

    try:
        with warnings.catch_warnings():
            # singleton county-years (one cell) carry no information; counted in `extra`
            warnings.filterwarnings("ignore", message=".*singleton fixed effect.*")
            # pyfixest 0.60 still uses inplace= that pandas 3.1 deprecates; not ours to fix
            warnings.filterwarnings("ignore", message=".*inplace keyword.*")
            # a non-positive cluster-robust variance: that SE is NaN and shown as "n/a"
            warnings.filterwarnings("ignore", message="invalid value encountered in sqrt",
                                    category=RuntimeWarning)
            fit = pf_feols(formula, d, {"CRV1": "county"})
            tidy = fit.model.tidy()  # recomputes the SEs, so it warns again
    except Exception as exc:  # pyfixest raises plain exceptions on degenerate designs
        raise EstimationError(f"event study failed: {exc}") from exc
    rows = []
    for s in range(window[0], window[1] + 1):
        yr = event_year + s
        if s == base:
            rows.append((s, yr, 0.0, np.nan, np.nan, np.nan))
            continue
        key = f"s::{s}:park"
        if key in tidy.index:
            r = tidy.loc[key]
            rows.append((s, yr, float(r["Estimate"]), float(r["Std. Error"]),
                         float(r["2.5%"]), float(r["97.5%"])))
        else:  # not identified (no such year, or collinear)
            rows.append((s, yr, np.nan, np.nan, np.nan, np.nan))
    event = pd.DataFrame(rows, columns=["s", "year", "coef", "se", "ci_low", "ci_high"])
    nobs = fit.nobs
    n_cl = int(d["county"].nunique())
    return LandEventStudy(event=event, means=yearly_means(panel), nobs=nobs, n_clusters=n_cl,
                          formula=formula,
                          extra={"cells_input": int(len(d)),
                                 "singletons_dropped": int(len(d) - nobs),
                                 "event_window_bins": _bins(d)})


def _bins(d: pd.DataFrame) -> dict[str, list[int]]:
    """The calendar years pooled into each event time (more than one only at binned ends)."""
    g = d.groupby("s")["year"].unique()
    return {str(int(s)): sorted(int(y) for y in ys) for s, ys in g.items()}


#: Words of a cleaning reason -> the input column behind it (to point the user at it).
_REASON_COLUMN = (("date", "date"), ("year", "date"), ("area", "area_ha"),
                  ("land use", "land_use"), ("land_use", "land_use"), ("classif", "land_use"),
                  ("allocation", "supply_method"), ("划拨", "supply_method"),
                  ("park", "location"), ("county", "county"), ("supervision", "supervision_no"))


def run_land(
    records: str | Path | pd.DataFrame,
    out: str | Path,
    *,
    cities: str | Sequence[str] = "EWN",
    years: tuple[int, int] = (2011, 2020),
    columns: Mapping[str, str] | None = None,
    park_patterns: Sequence[str] | None = None,
    empty: str = "drop",
) -> LandEventStudy:
    """The ``pairnet land`` pipeline: read, clean (audited), estimate, write the step folder.

    Writes ``out/panel.csv``, ``out/audit.csv``, ``out/unclassified.csv`` and, through
    :func:`pairnet.core.outputs.write_outputs`, ``results.json``, ``tables/{event_study,means,audit,
    unclassified}.*``, ``figures/{fig4_means,fig5_event_study}.{png,svg}`` and ``outputs.json``.

    Returns
    -------
    LandEventStudy
    """
    from pairnet.panels.land import DEFAULT_PARK_PATTERNS, clean_land, read_land

    from pairnet.core.outputs import check_out_dir, ensure_out_dir, write_outputs
    from pairnet.core.results import Figure, Table
    from pairnet.core.tables import write_table

    file = None
    check_out_dir(out, option="--out")  # before any work is done
    if isinstance(records, pd.DataFrame):
        df = records.rename(columns=dict(columns or {}))
    else:
        file = str(records)
        df = read_land(records, columns=columns)
    # an explicitly empty list is refused by clean_land, never replaced by the default
    patterns = list(DEFAULT_PARK_PATTERNS) if park_patterns is None else list(park_patterns)
    clean = clean_land(df, cities=cities, years=years, park_patterns=patterns,
                       empty=empty, file=file)  # type: ignore[arg-type]
    if clean.panel.empty:
        a = clean.audit[(clean.audit["rows"] > 0) & (clean.audit["step"] < 8)]
        top = a.sort_values("rows", ascending=False, kind="stable").head(3)
        why = "; ".join(f"{r.rows} {r.reason}" for r in top.itertuples()) or "no records"
        first = str(top["reason"].iloc[0]) if len(top) else ""
        column = next((c for k, c in _REASON_COLUMN if k in first), None)
        raise InputError(f"no records survive the cleaning ({why})", file=file, column=column,
                         fix=("check the dates (2015-03-01, 20150301, 2015/3/1 or a timestamp)"
                              if column == "date" else "check that column's values")
                         + " against the audit, or widen --years, --cities or --park-patterns")
    res = estimate_event_study(clean.panel, file=file)
    out = ensure_out_dir(out, option="--out")
    write_table(clean.panel, out / "panel.csv")
    write_table(clean.audit, out / "audit.csv")
    write_table(clean.unclassified, out / "unclassified.csv")
    results = {
        **res.to_results(),
        "audit": clean.audit.to_dict(orient="records"),
        "unclassified_land_use": clean.unclassified.to_dict(orient="records"),
        "cleaning": clean.info,
        "input": file,
    }
    regime = ("Shaded: benefit sharing abolished 2014–2016, restored 2017. log area = "
              "log of the industrial land area sold (ha) in a county-year cell, inside or "
              "outside co-built parks.")
    write_output_tables = {
        "means": Table(res.means, "Figure 4: mean log industrial land area by year",
                       "Means of log area (ha) over the county-year cells with parcels, inside "
                       "and outside co-built parks. " + regime.split(". ")[0] + "."),
        "event_study": Table(res.event, "Figure 5 coefficients: park × year (base 2013)",
                             "Coefficients of park × year relative to 2013 on log area (ha); "
                             "fixed effects park × county and county × year; SE clustered by "
                             "county. " + regime.split(". ")[0] + "."),
        "audit": Table(clean.audit.assign(reason=clean.audit["reason"].replace(
                           _AUDIT_LABELS)),
                       "Cleaning audit: duplicates, then the cleaning rules of the land study "
                       "(Tang & Zhang)",
                       "Every input record ends in exactly one row; rows add up to the input "
                       "records."),
        "unclassified": Table(clean.unclassified, "Land-use strings not classified",
                              "GB/T 21010-2017 first-level classes."),
    }
    figures = {
        "fig4_means": Figure(plot_means(res.means), "Figure 4: land sold inside vs outside "
                             "co-built parks", regime),
        "fig5_event_study": Figure(res.plot(), "Figure 5: event study of land sold in parks",
                                   regime),
    }
    write_outputs(out, results=results, tables=write_output_tables, figures=figures,
                  title="Benefit sharing and land sales")
    return res
