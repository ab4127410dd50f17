"""Benefit sharing and land sales (seed 003 §5): Figure 4 means and the Figure 5 event study.

Model (2) of seed 003::

    y_pct = α + Σ_{s=-3..6} β_s Park_p · L^s_t + λ_pc + η_ct + ε_pct

``y`` is the log industrial area sold by county ``c`` in year ``t`` inside (``p = 1``) or outside
(``p = 0``) co-built parks, ``L^s_t = 1[t = 2014 + s]``, base ``s = -1`` (2013), fixed effects
park × county and county × year, standard errors clustered by county. Estimated with pyfixest as
``log_area ~ i(s, park, ref=-1) | county^park + county^year`` with ``vcov={"CRV1": "county"}``;
confidence intervals are pyfixest's (t with G − 1 degrees of freedom).

Event window. The paper's sample is 2011–2020, exactly s = −3…6. If a longer ``years`` window
is used, the endpoints are binned: years before 2011 join s = −3 and years after 2020 join s = 6
(the usual binned-endpoint event study), so the window of coefficients never changes. The
county × year effects still use the actual year.

:func:`land_study` is the whole study as one computation (read, clean with an audit, estimate)
returning a frozen :class:`LandResult`; :func:`pairnet.core.outputs.write_result` writes its
step folder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from scipy import stats

from pairnet.analyses._pyfixest import feols as pf_feols
from pairnet.core.errors import EstimationError, InputError
from pairnet.core.i18n import Lang, Text
from pairnet.core.options import check_literal
from pairnet.core.reproducible import blas_single_threaded
from pairnet.core.results import Figure, ResultBase, Table, tidy_frame
from pairnet.panels.land import (
    DEFAULT_PARK_PATTERNS,
    EmptyCells,
    LandCleaning,
    clean_land,
    read_land,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

__all__ = [
    "EVENT_YEAR",
    "WINDOW",
    "REGIME",
    "LandEventStudy",
    "LandResult",
    "land_study",
    "yearly_means",
    "event_time",
    "check_identified",
    "estimate_event_study",
    "plot_means",
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


def _regime_axes(regime: tuple[int, int], lang: Lang = "en") -> tuple[MplFigure, Axes]:
    """A new figure whose axes shade the years of the benefit-sharing regime (Figures 4, 5).

    The shading has an edge, so its legend swatch is visible on the white background.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.4))
    a, b = regime
    ax.axvspan(a - 0.5, b + 0.5, facecolor="#d9d9d9", edgecolor="#7a7a7a", lw=0.8,
               hatch="//", zorder=0,
               label=Text(f"benefit sharing abolished {a}–{b} (restored {b + 1})",
                          f"{a}–{b} 年取消利益分成（{b + 1} 年恢复）")(lang))
    return fig, ax


def _legend_below(ax: Axes, ncol: int = 2) -> None:
    """The legend under the axes: it covers no data."""
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.15),
              ncol=ncol)


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
    extra : mapping
        Counts written to results.json (cells, singletons dropped, event-window bins).
    df_t : float, optional
        Degrees of freedom of the t distribution of the inference (pyfixest's: G − 1 for
        CRV1, G the clusters of the estimation sample); default ``n_clusters − 1``.
    """

    event: pd.DataFrame
    means: pd.DataFrame
    nobs: int
    n_clusters: int
    formula: str
    extra: Mapping[str, Any] = field(default_factory=dict)
    df_t: float | None = None

    def tidy(self) -> pd.DataFrame:
        """The park × year coefficients in broom's columns, then ``s`` and ``year``.

        One row per event time, the base included (estimate 0, no standard error). ``term``
        is pyfixest's name (``s::0:park``); t statistics and p-values use the t distribution
        with :attr:`df_t` degrees of freedom, as pyfixest's; the intervals are pyfixest's.
        """
        e = self.event
        df_t = self.df_t if self.df_t is not None else self.n_clusters - 1
        coef, se = e["coef"].to_numpy(float), e["se"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = coef / se
        p = 2 * stats.t.sf(np.abs(t), df_t) if df_t > 0 else np.full(len(t), np.nan)
        return tidy_frame([f"s::{int(s)}:park" for s in e["s"]], coef, se, t, p,
                          e["ci_low"].to_numpy(float), e["ci_high"].to_numpy(float),
                          s=e["s"].to_numpy(), year=e["year"].to_numpy())

    def summary(self) -> str:
        """A plain-text table of the coefficients."""
        lines = [f"Event study: {self.formula}  (CRV1 by county; N = {self.nobs}, "
                 f"{self.n_clusters} counties; base s = {BASE})",
                 f"{'s':>3} {'year':>5} {'coef':>9} {'se':>8} {'95% CI':>20}"]
        for r in self.event.itertuples():
            lines.append(_summary_row(r.s, r.year, r.coef, r.se, r.ci_low, r.ci_high))
        return "\n".join(lines)

    def plot(self, *, regime: tuple[int, int] = REGIME, lang: Lang = "en") -> MplFigure:
        """Figure 5: coefficients with 95% intervals, the 2014–2016 regime shaded."""
        e = self.event
        fig, ax = _regime_axes(regime, lang)
        ax.axhline(0, color="0.4", lw=0.8)
        base = e["s"] == BASE
        ok = e["se"].notna() & e["ci_low"].notna() & e["ci_high"].notna() & ~base
        no_se = e["coef"].notna() & ~ok & ~base
        ax.plot(e["year"], e["coef"], "-", color="C0", lw=1)
        ax.errorbar(e.loc[ok, "year"], e.loc[ok, "coef"],
                    yerr=[e.loc[ok, "coef"] - e.loc[ok, "ci_low"],
                          e.loc[ok, "ci_high"] - e.loc[ok, "coef"]],
                    fmt="o", color="C0", capsize=3,
                    label=Text("park × year (95% CI)", "园区 × 年份（95% 置信区间）")(lang))
        if no_se.any():
            ax.plot(e.loc[no_se, "year"], e.loc[no_se, "coef"], "o", mfc="none", color="C0",
                    label=Text("no standard error", "无标准误")(lang))
        ax.plot(e.loc[base, "year"], e.loc[base, "coef"], "s", color="C3",
                label=Text(f"base ({EVENT_YEAR + BASE})", f"基期（{EVENT_YEAR + BASE}）")(lang))
        ax.set_xticks(e["year"])
        ax.set_xlabel(Text("year", "年份")(lang))
        ax.set_ylabel(Text("effect on log industrial land area", "对工业用地面积对数的效应")(lang))
        _legend_below(ax)
        fig.tight_layout()
        return fig

    def to_dict(self) -> dict[str, Any]:
        """The event study's part of results.json."""
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


#: Plain-language display labels for audit reasons that name an option.


def plot_means(means: pd.DataFrame, *, regime: tuple[int, int] = REGIME,
               lang: Lang = "en") -> MplFigure:
    """Figure 4: yearly mean log area inside vs outside parks (legend below the axes)."""
    fig, ax = _regime_axes(regime, lang)
    ax.plot(means["year"], means["mean_inside"], "o-",
            label=Text("inside parks (treated)", "园区内（处理组）")(lang))
    ax.plot(means["year"], means["mean_outside"], "s--",
            label=Text("outside parks (control)", "园区外（控制组）")(lang))
    ax.set_xticks(means["year"])
    ax.set_xlabel(Text("year", "年份")(lang))
    ax.set_ylabel(Text("mean log industrial land area (ha)", "工业用地面积（公顷）对数的均值")(lang))
    _legend_below(ax, ncol=3)
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
        fix=f"widen `years` (it must include {base_year} and at least one other year) or "
            "`cities` (at least 2 counties with parcels inside and outside parks), or check "
            "`park_patterns`")


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
    # A cluster-robust variance that is zero up to rounding (|v| ~ 1e-31 when an effect rests
    # on one county) has no SE: its sign, and so NaN or a tiny SE, would be floating-point
    # noise. Relative to the largest variance, anything below 1e-12 counts as zero.
    diag = np.diag(fit.vcov)
    scale = float(np.nanmax(np.abs(diag))) if np.isfinite(diag).any() else 0.0
    no_var = {name for name, v in zip(fit.coefnames, diag, strict=True)
              if not (np.isfinite(v) and v > 1e-12 * scale)}
    rows = []
    for s in range(window[0], window[1] + 1):
        yr = event_year + s
        if s == base:
            rows.append((s, yr, 0.0, np.nan, np.nan, np.nan))
            continue
        key = f"s::{s}:park"
        if key in tidy.index and key in no_var:
            rows.append((s, yr, float(tidy.loc[key, "Estimate"]), np.nan, np.nan, np.nan))
        elif key in tidy.index:
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
                                 "event_window_bins": _bins(d)},
                          df_t=fit.df_t)


def _bins(d: pd.DataFrame) -> dict[str, list[int]]:
    """The calendar years pooled into each event time (more than one only at binned ends)."""
    g = d.groupby("s")["year"].unique()
    return {str(int(s)): sorted(int(y) for y in ys) for s, ys in g.items()}


#: Words of a cleaning reason -> the input column behind it (to point the user at it).
_REASON_COLUMN = (("date", "date"), ("year", "date"), ("area", "area_ha"),
                  ("land use", "land_use"), ("land_use", "land_use"), ("classif", "land_use"),
                  ("allocation", "supply_method"), ("划拨", "supply_method"),
                  ("park", "location"), ("county", "county"), ("supervision", "supervision_no"))


_REGIME_NOTE = Text("Shaded (hatched): benefit sharing abolished 2014–2016, restored 2017. log "
                    "area = log of the industrial land area sold (ha) in a county-year cell, "
                    "inside or outside co-built parks.",
                    "阴影（斜线）：2014–2016 年取消利益分成，2017 年恢复。面积对数 = 区县 × 年份单元中"
                    "园区内或园区外出让的工业用地面积（公顷）的对数。")

_FIG5_NOTE = Text("Coefficients of park × year relative to 2013 (the base year, marked in red) on "
                  "log industrial land area, with 95% confidence intervals clustered by county; "
                  "shaded (hatched): benefit sharing abolished 2014–2016, restored 2017.",
                  "园区 × 年份相对于 2013 年（基期，红色标记）对工业用地面积对数的系数及按区县聚类的 95% "
                  "置信区间；阴影（斜线）：2014–2016 年取消利益分成，2017 年恢复。")


@dataclass(frozen=True)
class LandResult(ResultBase):
    """The land study: the audited cleaning and the event study estimated on its panel.

    Attributes
    ----------
    cleaning : LandCleaning
        Records kept, the county-year-park panel, the audit, unclassified land uses, settings.
    study : LandEventStudy
        Model (2) with the Figure 4 means.
    file : str, optional
        The records file (``None`` for a DataFrame), named in messages and results.
    """

    cleaning: LandCleaning
    study: LandEventStudy
    file: str | None = None
    #: issue 16: the stacked DID of the same design (``None`` if it could not be estimated)
    stacked: Any = None
    title: str = "Benefit sharing and land sales"

    @property
    def panel(self) -> pd.DataFrame:
        """The cleaned ``county, year, park, area_ha, parcels, log_area`` panel."""
        return self.cleaning.panel

    def tidy(self) -> pd.DataFrame:
        """The event-study coefficients (:meth:`LandEventStudy.tidy`)."""
        return self.study.tidy()

    def summary(self) -> str:
        """The event-study table, then the cleaning audit."""
        return self.study.summary() + "\n\n" + self.cleaning.summary()

    def to_dict(self) -> dict[str, Any]:
        """What ``results.json`` holds: the event study, the audit, the settings and input."""
        clean = self.cleaning
        return {
            **self.study.to_dict(),
            "audit": clean.audit.to_dict(orient="records"),
            "unclassified_land_use": clean.unclassified.to_dict(orient="records"),
            "cleaning": clean.info,
            "input": self.file,
            **({"stacked": self.stacked.to_dict()} if self.stacked is not None else {}),
        }

    def tables(self) -> dict[str, Table]:
        """Figure 4 means, Figure 5 coefficients, the cleaning audit, unclassified land uses."""
        res, clean = self.study, self.cleaning
        regime = Text("Benefit sharing was abolished 2014–2016 and restored 2017.",
                      "2014–2016 年取消利益分成，2017 年恢复。")
        return {
            "means": Table(res.means, Text("Figure 4. Mean log industrial land area by year",
                                           "图 4 各年工业用地面积对数的均值"),
                           Text("Means of log area (ha) over the county-year cells with parcels, "
                                "inside and outside co-built parks, to 3 decimals. ",
                                "有出让地块的区县 × 年份单元中，园区内与园区外面积（公顷）对数的均值，"
                                "保留 3 位小数。") + regime,
                           decimals={"mean_inside": 3, "mean_outside": 3, "difference": 3}),
            "event_study": Table(res.event, Text("Figure 5 coefficients: park × year (base 2013)",
                                                 "图 5 系数：园区 × 年份（基期 2013）"),
                                 Text("Coefficients of park × year relative to 2013 on log area "
                                      "(ha); fixed effects park × county and county × year; SE "
                                      "clustered by county; coefficients, SE and CIs to 3 "
                                      "decimals. ",
                                      "园区 × 年份相对于 2013 年对面积（公顷）对数的系数；固定效应为园区 × "
                                      "区县与区县 × 年份；标准误聚类到区县；系数、标准误与置信区间保留 3 "
                                      "位小数。") + regime,
                                 decimals=dict.fromkeys(("coef", "se", "ci_low", "ci_high"), 3)),
            "audit": Table(clean.audit,
                           Text("Cleaning audit: duplicates, then the cleaning rules of the land "
                                "study (Tang & Zhang)",
                                "清洗审计：先去重，再按土地研究（Tang 与 Zhang）的清洗规则"),
                           Text("Every input record ends in exactly one row; rows add up to the "
                                "input records.",
                                "每条输入记录恰好计入一行；各行之和等于输入记录数。")),
            "unclassified": Table(clean.unclassified,
                                  Text("Land-use strings not classified", "未能分类的土地用途"),
                                  Text("GB/T 21010-2017 first-level classes.",
                                       "依据 GB/T 21010-2017 一级类。")),
        }

    def figures(self) -> dict[str, Figure]:
        """Figure 4 (means inside vs outside parks) and Figure 5 (the event study)."""
        means = self.study.means
        return {
            "fig4_means": Figure(lambda lang: plot_means(means, lang=lang),
                                 Text("Figure 4. Land sold inside vs outside co-built parks",
                                      "图 4 共建园区内外的工业用地出让"), _REGIME_NOTE),
            "fig5_event_study": Figure(lambda lang: self.study.plot(lang=lang),
                                       Text("Figure 5. Event study of land sold in parks",
                                            "图 5 园区内土地出让的事件研究"), _FIG5_NOTE),
        }

    def data_files(self) -> dict[str, pd.DataFrame]:
        """``panel.csv`` (with ``county_name``), ``audit.csv`` and ``unclassified.csv``."""
        from pairnet.spatial.cities import city_names

        clean = self.cleaning
        panel = clean.panel
        if "county" in panel.columns and "county_name" not in panel.columns:
            codes = panel["county"].astype(str)
            names = city_names(sorted(codes.unique()))
            panel = panel.copy()
            panel.insert(panel.columns.get_loc("county") + 1, "county_name", codes.map(names))
        return {"panel.csv": panel, "audit.csv": clean.audit,
                "unclassified.csv": clean.unclassified}


@blas_single_threaded
def land_study(
    records: str | Path | pd.DataFrame,
    *,
    cities: str | Sequence[str] = "EWN",
    years: tuple[int, int] = (2011, 2020),
    columns: Mapping[str, str] | None = None,
    park_patterns: Sequence[str] | None = None,
    empty: str = "drop",
) -> LandResult:
    """The land study: read, clean (audited), estimate; nothing is written.

    Parameters
    ----------
    records : path or DataFrame
        Land transactions (see :func:`pairnet.panels.land.read_land`), or a frame of them.
    cities : str or sequence
        Prefectures whose counties are kept (ids, names or groups; default the 12 EWN cities).
    years : (int, int)
        Inclusive year window of the transaction dates.
    columns : mapping, optional
        ``{file column: canonical column}`` renames.
    park_patterns : sequence of str, optional
        A parcel is in a co-built park when its location contains one of them (default
        :data:`pairnet.panels.land.DEFAULT_PARK_PATTERNS`; an empty list is refused).
    empty : {"drop", "log1p"}
        County-year-park cells without parcels (see :mod:`pairnet.panels.land`).

    Returns
    -------
    LandResult

    Raises
    ------
    InputError
        Bad file, columns or options; no record survives the cleaning; a panel on which the
        event study is not identified.
    EstimationError
        The fit fails.
    """
    file = None
    if isinstance(records, pd.DataFrame):
        df = records.rename(columns=dict(columns or {}))
    else:
        file = str(records)
        df = read_land(records, columns=columns)
    # an explicitly empty list is refused by clean_land, never replaced by the default
    patterns = list(DEFAULT_PARK_PATTERNS) if park_patterns is None else list(park_patterns)
    rule = cast(EmptyCells, check_literal(empty, EmptyCells, "empty"))
    clean = clean_land(df, cities=cities, years=years, park_patterns=patterns, empty=rule,
                       file=file)
    if clean.panel.empty:
        a = clean.audit[(clean.audit["rows"] > 0) & (clean.audit["step"] < 8)]
        top = a.sort_values("rows", ascending=False, kind="stable").head(3)
        why = "; ".join(f"{r.rows} {r.reason}" for r in top.itertuples()) or "no records"
        first = str(top["reason"].iloc[0]) if len(top) else ""
        column = next((c for k, c in _REASON_COLUMN if k in first), None)
        raise InputError(f"no records survive the cleaning ({why})", file=file, column=column,
                         fix=("check the dates (2015-03-01, 20150301, 2015/3/1 or a timestamp)"
                              if column == "date" else "check that column's values")
                         + " against the audit, or widen `years`, `cities` or `park_patterns`")
    return LandResult(cleaning=clean, study=estimate_event_study(clean.panel, file=file),
                      stacked=land_stacked(clean.panel),
                      file=file)


def land_stacked(panel: pd.DataFrame, *, event_year: int = EVENT_YEAR,
                 window: tuple[int, int] = WINDOW) -> Any:
    """Stacked DID of model (2) (issue 16): cells inside parks treated from ``event_year``.

    Units are the county × park cells, controls the cells outside parks; one stack (a single
    event date), window ``window``, fixed effects cell × stack and county × year × stack (the
    paper's county × year effects), SE clustered by county as model (2). ``None`` when not estimable.
    """
    from pairnet.analyses.stacked import stacked_did_frame

    d = panel[["county", "year", "park", "log_area"]].dropna()
    frame = pd.DataFrame({
        "unit": pd.factorize(d["county"].astype(str) + "|" + d["park"].astype(str))[0],
        "time": d["year"].astype("int64").to_numpy(),
        "cohort": np.where(d["park"].to_numpy() == 1, event_year, 0),
        "log_area": d["log_area"].astype(float).to_numpy(),
        "county": pd.factorize(d["county"].astype(str))[0]})
    try:
        return stacked_did_frame(frame, y="log_area", leads=-window[0], lags=window[1],
                                 fe=["county^time"], label="log area", cluster="county")
    except (EstimationError, InputError, ValueError):
        return None
