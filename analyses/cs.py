"""Callaway & Sant'Anna (2021) group-time ATTs and their aggregations, as R ``did`` 2.1.2.

:func:`att_gt` estimates every ATT(g,t) of a balanced panel with staggered adoption (cohort
``g`` = first treated period, 0 = never treated) by the two-period estimators of ``DRDID``
1.0.6 (doubly robust by default), keeping the unit-level influence functions. :func:`aggte`
averages them (``simple``, ``dynamic`` event study, ``group``, ``calendar``) with analytic
standard errors from the averaged influence functions -- including the term for estimating the
group shares (``wif`` in R's ``compute.aggte``) -- or with R's multiplier bootstrap.

Reproduces R ``did`` 2.1.2 exactly on ``did::mpdta`` (see ``tests/test_cs.py``): ATTs to 1e-6,
analytic SEs to 1e-4 relative, for both comparison groups, with and without covariates. Two
details of R are kept on purpose because they define the reference numbers:

* the group aggregation's weight-estimation term is built from ``group[1:nG]`` of the
  ATT(g,t) cell vector (R's ``wif(keepers = 1:length(glist), pg = pgg, group = group)``);
* the multiplier bootstrap uses Rademacher weights (``BMisc::multiplier_bootstrap``) and the
  robust scale ``(q75 - q25) / (qnorm(.75) - qnorm(.25))`` of the draws (R quantile type 1).

Everything is vectorised over units: one loop over the (g,t) cells, numpy inside. What keeps
it linear in the rows (``benchmarks/cs.py``): units and periods are coded by hashing and sorting
only the distinct values; one comparison's units are found once per comparison group, not per
cell; the n x k influence functions are written in place, column by column; without covariates
the estimators run on scalars (:mod:`._drdid`); the aggregations add a few columns instead of
gathering n x k blocks, and R's group-share term ``wif`` is applied in O(n) without its n x k
matrix (:func:`_wif_times`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, NoReturn

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import ThreadpoolController

from pairnet.analyses._drdid import ESTIMATORS
from pairnet.core.errors import EstimationError, InputError
from pairnet.core.i18n import Lang, Text
from pairnet.core.options import check_literal
from pairnet.core.results import ResultBase, tidy_frame
from pairnet.core.tables import numeric_column, require_columns

__all__ = [
    "ControlGroup",
    "BasePeriod",
    "EstMethod",
    "AggType",
    "ATTgtResult",
    "AggteResult",
    "att_gt",
    "aggte",
    "aggte_all",
    "mboot",
]

ControlGroup = Literal["never", "notyet"]
BasePeriod = Literal["varying", "universal"]
EstMethod = Literal["dr", "ipw", "reg"]
AggType = Literal["simple", "dynamic", "group", "calendar"]

_TINY = math.sqrt(np.finfo(float).eps) * 10  # R: sqrt(.Machine$double.eps) * 10
_IQR_NORMAL = stats.norm.ppf(0.75) - stats.norm.ppf(0.25)
_CONTROL_ALIASES = {"never": "never", "nevertreated": "never",
                    "notyet": "notyet", "notyettreated": "notyet"}


# --------------------------------------------------------------------------------------------
# result objects
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ATTgtResult(ResultBase):
    """Group-time average treatment effects ATT(g,t) with their influence functions.

    Attributes
    ----------
    groups, times : ndarray
        Cohort ``g`` and period ``t`` of each of the ``k`` cells (R's ``group``, ``t``).
    att, se : ndarray
        Estimates and standard errors (NaN where R reports NA, e.g. the normalised base cells
        of ``base_period="universal"``).
    inffunc : ndarray
        n x k influence-function matrix (units in the order of ``ids``).
    n : int
        Number of units used (after dropping units treated in the first period).
    glist, tlist : ndarray
        Cohorts estimated and periods of the panel.
    unit_cohort : ndarray
        Cohort of each unit (0 = never treated), aligned with ``ids``.
    ids : ndarray
        Unit identifiers.
    crit_val : float
        Critical value of the (uniform if ``cband``) confidence band.
    pretest_W, pretest_pval : float
        Wald pre-test that all pre-treatment ATT(g,t) are zero (NaN when unavailable).
    """

    groups: np.ndarray
    times: np.ndarray
    att: np.ndarray
    se: np.ndarray
    inffunc: np.ndarray
    n: int
    glist: np.ndarray
    tlist: np.ndarray
    unit_cohort: np.ndarray
    ids: np.ndarray
    control_group: str
    est_method: str
    base_period: str
    anticipation: int
    covariates: tuple[str, ...]
    alp: float
    bstrap: bool
    biters: int
    cband: bool
    crit_val: float
    pretest_W: float
    pretest_pval: float
    clusters: np.ndarray | None = field(default=None, repr=False)
    seed: int | None = None
    yname: str = "y"

    @property
    def post(self) -> np.ndarray:
        """True for post-treatment cells (``g <= t``)."""
        return self.groups <= self.times

    def cells(self) -> pd.DataFrame:
        """One row per cell, named as R ``did`` does (``results.json``'s ``cs.att_gt``).

        Columns ``group, time, event_time, post, att, se, ci_low, ci_high``; the published
        table.
        """
        half = self.crit_val * self.se
        return pd.DataFrame({
            "group": self.groups.astype(int), "time": self.times.astype(int),
            "event_time": (self.times - self.groups).astype(int), "post": self.post,
            "att": self.att, "se": self.se,
            "ci_low": self.att - half, "ci_high": self.att + half,
        })

    def tidy(self) -> pd.DataFrame:
        """Broom columns, one row per cell, then ``group, time, event_time, post``.

        The term of cell ATT(g, t) is ``ATT(2004,2006)``; ``statistic`` = att / se with a normal ``p_value``; the interval uses ``crit_val``
        (uniform if ``cband``), as :meth:`cells`.
        """
        c = self.cells()
        with np.errstate(divide="ignore", invalid="ignore"):
            z = self.att / self.se
        return tidy_frame([f"ATT({g},{t})" for g, t in zip(c["group"], c["time"], strict=True)],
                          self.att, self.se, z, 2 * stats.norm.sf(np.abs(z)), c["ci_low"],
                          c["ci_high"], group=c["group"].to_numpy(),
                          time=c["time"].to_numpy(), event_time=c["event_time"].to_numpy(),
                          post=c["post"].to_numpy())

    def summary(self) -> str:
        """Plain-text table of the ATT(g,t) as R's ``summary(att_gt)``."""
        band = "simultaneous" if self.cband else "pointwise"
        lines = [
            "Group-time average treatment effects (Callaway & Sant'Anna 2021)",
            f"outcome: {self.yname}   units: {self.n}   control group: "
            f"{'never treated' if self.control_group == 'never' else 'not yet treated'}   "
            f"estimator: {self.est_method}   base period: {self.base_period}   "
            f"anticipation: {self.anticipation}",
            f"covariates: {', '.join(self.covariates) if self.covariates else 'none'}   "
            f"SE: {f'multiplier bootstrap ({self.biters} draws)' if self.bstrap else 'analytic'}"
            f"   {100 * (1 - self.alp):.0f}% {band} CI",
            "",
            f"{'group':>6} {'time':>6} {'ATT(g,t)':>11} {'SE':>10} {'CI low':>10} {'CI high':>10}",
        ]
        for r in self.cells().itertuples():
            sig = " *" if np.isfinite(r.se) and (r.ci_low > 0 or r.ci_high < 0) else ""
            lines.append(f"{r.group:>6} {r.time:>6} {r.att:>11.5f} {r.se:>10.5f} "
                         f"{r.ci_low:>10.5f} {r.ci_high:>10.5f}{sig}")
        if np.isfinite(self.pretest_W):
            lines += ["", f"pre-test of parallel trends: W = {self.pretest_W:.4f}, "
                          f"p = {self.pretest_pval:.5f}"]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready numbers: settings, pre-test and the :meth:`cells`."""
        return {"n": self.n, "control_group": self.control_group,
                "est_method": self.est_method, "base_period": self.base_period,
                "crit_val": self.crit_val, "pretest_W": self.pretest_W,
                "pretest_pval": self.pretest_pval,
                "cells": self.cells().to_dict(orient="records")}

    def plot(self) -> Any:
        """One panel per cohort: ATT(g,t) by period with CIs, pre-periods grey."""
        import matplotlib.pyplot as plt

        k = len(self.glist)
        ncol = min(3, k) or 1
        nrow = math.ceil(k / ncol) or 1
        fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.0 * nrow), squeeze=False,
                                 sharey=True)
        tab = self.cells()
        for ax, g in zip(axes.ravel(), self.glist, strict=False):
            sub = tab[tab["group"] == g]
            for post, colour in ((False, "#7f7f7f"), (True, "#1f5fa8")):
                s = sub[sub["post"] == post]
                ax.errorbar(s["time"], s["att"], yerr=self.crit_val * s["se"], fmt="o",
                            color=colour, capsize=3, label="post" if post else "pre")
            ax.axhline(0, color="black", lw=0.8)
            ax.set_title(f"cohort {int(g)}")
            ax.set_xlabel("period")
        for ax in axes.ravel()[k:]:
            ax.set_visible(False)
        axes[0, 0].set_ylabel("ATT(g,t)")
        axes[0, 0].legend(frameon=False, fontsize=8)
        fig.tight_layout()
        return fig


@dataclass(frozen=True)
class AggteResult(ResultBase):
    """An aggregation of ATT(g,t) (R's ``AGGTEobj``).

    Attributes
    ----------
    type : str
        ``simple``, ``dynamic``, ``group`` or ``calendar``.
    overall_att, overall_se : float
        The summary parameter and its standard error.
    egt, att_egt, se_egt : ndarray
        Event times / cohorts / periods and their estimates (empty for ``simple``).
    crit_val_egt : float
        Critical value for the ``egt`` confidence intervals (uniform if ``cband``).
    inf_overall : ndarray
        Influence function of the overall parameter (n,).
    inf_egt : ndarray
        n x len(egt) influence functions.
    pre_avg, pre_avg_se, post_avg, post_avg_se : float
        ``dynamic`` only: averages of the e < 0 and e >= 0 event-time estimates (as Stata
        ``csdid``'s ``pre_avg``/``post_avg``); SEs from the averaged influence functions.
    """

    type: str
    overall_att: float
    overall_se: float
    egt: np.ndarray
    att_egt: np.ndarray
    se_egt: np.ndarray
    crit_val_egt: float
    inf_overall: np.ndarray = field(repr=False)
    inf_egt: np.ndarray = field(repr=False)
    alp: float = 0.05
    bstrap: bool = False
    pre_avg: float = float("nan")
    pre_avg_se: float = float("nan")
    post_avg: float = float("nan")
    post_avg_se: float = float("nan")
    min_e: float = -np.inf
    max_e: float = np.inf
    balance_e: int | None = None

    @property
    def key(self) -> str:
        """Name of the ``egt`` column: ``event_time``, ``group`` or ``time``."""
        return {"dynamic": "event_time", "group": "group", "calendar": "time"}.get(
            self.type, "term")

    def table(self) -> pd.DataFrame:
        """Per-key table ``KEY, att, se, ci_low, ci_high`` (``results.json``'s ``table``).

        The intervals use ``crit_val_egt``.
        """
        half = self.crit_val_egt * self.se_egt
        return pd.DataFrame({self.key: self.egt.astype(int), "att": self.att_egt,
                             "se": self.se_egt, "ci_low": self.att_egt - half,
                             "ci_high": self.att_egt + half})

    def tidy(self) -> pd.DataFrame:
        """Broom columns, the overall rows then one row per key; then ``type`` and ``KEY``.

        First the :meth:`overall` rows (``overall``; ``pre_avg``, ``post_avg`` for
        ``dynamic``; pointwise CIs), then one row per key (term ``event_time::-2``,
        ``group::2004`` or ``time::2006``; CIs with ``crit_val_egt``). The ``KEY`` column
        (``event_time``, ``group`` or ``time``; none for ``simple``) is missing on the
        overall rows. ``statistic`` = att / se with a normal ``p_value``.
        """
        o = self.overall()
        t = self.table()
        att = np.concatenate([o["att"].to_numpy(float), t["att"].to_numpy(float)])
        se = np.concatenate([o["se"].to_numpy(float), t["se"].to_numpy(float)])
        with np.errstate(divide="ignore", invalid="ignore"):
            z = att / se
        terms = [*o["term"], *[f"{self.key}::{k}" for k in t[self.key]]]
        key = pd.array([pd.NA] * len(o) + [int(k) for k in t[self.key]], dtype="Int64")
        out = tidy_frame(terms, att, se, z, 2 * stats.norm.sf(np.abs(z)),
                         np.concatenate([o["ci_low"], t["ci_low"]]),
                         np.concatenate([o["ci_high"], t["ci_high"]]), type=self.type)
        if self.type != "simple":
            out[self.key] = key
        return out

    def overall(self) -> pd.DataFrame:
        """Overall parameter (and pre/post averages for ``dynamic``) with pointwise CIs."""
        z = stats.norm.ppf(1 - self.alp / 2)
        rows = [("overall", self.overall_att, self.overall_se)]
        if self.type == "dynamic":
            rows += [("pre_avg", self.pre_avg, self.pre_avg_se),
                     ("post_avg", self.post_avg, self.post_avg_se)]
        df = pd.DataFrame(rows, columns=["term", "att", "se"])
        df["ci_low"] = df["att"] - z * df["se"]
        df["ci_high"] = df["att"] + z * df["se"]
        return df

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready numbers, e.g. ``results.json``'s ``cs.dynamic``."""
        out: dict[str, Any] = {"att": self.overall_att, "se": self.overall_se,
                               "crit_val": self.crit_val_egt}
        if self.type != "simple":
            out["table"] = self.table().to_dict(orient="records")
        if self.type == "dynamic":
            out["pre_avg"] = {"att": self.pre_avg, "se": self.pre_avg_se}
            out["post_avg"] = {"att": self.post_avg, "se": self.post_avg_se}
        return out

    def summary(self) -> str:
        """Plain-text summary as R's ``summary(aggte(...))``."""
        title = {"simple": "Overall ATT (simple weighted average of post-treatment ATT(g,t))",
                 "dynamic": "Event-study (dynamic) aggregation",
                 "group": "Aggregation by cohort (group)",
                 "calendar": "Aggregation by calendar period"}[self.type]
        lines = [title, f"{'':>10} {'ATT':>11} {'SE':>10} {'CI low':>10} {'CI high':>10}"]
        for r in self.overall().itertuples():
            lines.append(f"{r.term:>10} {r.att:>11.5f} {r.se:>10.5f} {r.ci_low:>10.5f} "
                         f"{r.ci_high:>10.5f}")
        if self.type != "simple":
            band = "simultaneous" if self.crit_val_egt != stats.norm.ppf(1 - self.alp / 2) \
                else "pointwise"
            lines += ["", f"{self.key:>10} {'ATT':>11} {'SE':>10} {'CI low':>10} "
                          f"{'CI high':>10}   ({band} {100 * (1 - self.alp):.0f}% CI)"]
            for r in self.table().itertuples(index=False):
                sig = " *" if np.isfinite(r.se) and (r.ci_low > 0 or r.ci_high < 0) else ""
                lines.append(f"{int(r[0]):>10} {r.att:>11.5f} {r.se:>10.5f} {r.ci_low:>10.5f} "
                             f"{r.ci_high:>10.5f}{sig}")
        return "\n".join(lines)

    def plot(self, lang: Lang = "en") -> Any:
        """Estimates by key with CIs (event study: pre grey, post blue); overall as a line.

        The legend sits outside the axes (it covers no estimate); labels in ``lang``.
        """
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.4, 3.8))
        if self.type == "simple":
            ax.errorbar([0], [self.overall_att], yerr=[self.crit_val_egt * self.overall_se],
                        fmt="o", capsize=4, color="#1f5fa8")
            ax.set_xticks([0], [Text("overall ATT", "总体 ATT")(lang)])
        else:
            tab = self.table()
            x = tab[self.key].to_numpy()
            pre = (x < 0) if self.type == "dynamic" else np.zeros(len(x), bool)
            for mask, colour, lab in ((pre, "#7f7f7f", Text("before treatment", "处理前")(lang)),
                                      (~pre, "#1f5fa8", Text("after treatment", "处理后")(lang))):
                if mask.any():
                    ax.errorbar(x[mask], tab["att"].to_numpy()[mask],
                                yerr=(self.crit_val_egt * tab["se"]).to_numpy()[mask], fmt="o",
                                capsize=3, color=colour, label=lab if self.type == "dynamic"
                                else None)
            ax.axhline(self.overall_att, color="#1f5fa8", ls="--", lw=0.8,
                       label=Text("overall ATT", "总体 ATT")(lang) + f" {self.overall_att:.3f}")
            if self.type == "dynamic":
                ax.axvline(-0.5, color="grey", ls=":", lw=0.8)
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole periods, cohorts, years
            ax.set_xlabel({"dynamic": Text("event time (t − g)", "事件时间（t − g）"),
                           "group": Text("cohort g", "处理组别 g"),
                           "calendar": Text("period t", "时期 t")}[self.type](lang))
            ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.axhline(0, color="black", lw=0.8)
        ax.set_ylabel("ATT")
        fig.tight_layout()
        return fig


# --------------------------------------------------------------------------------------------
# data preparation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Panel:
    ids: np.ndarray
    tlist: np.ndarray
    y: np.ndarray            # n x T
    x: np.ndarray | None     # n x T x p (covariates)
    cohort: np.ndarray       # n, 0 = never treated
    clusters: np.ndarray | None


def _prepare(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str,
             covariates: list[str], clustervars: list[str]) -> _Panel:
    """Validate a long panel and reshape it to unit x period arrays (balanced, sorted)."""
    what = "panel"
    require_columns(data, [yname, tname, idname, gname, *covariates, *clustervars],
                    file=what, what="panel")
    df = data.reset_index(drop=True)
    y = numeric_column(df, yname, file=what, allow_missing=False).to_numpy(float)
    t = numeric_column(df, tname, file=what, integer=True, allow_missing=False).to_numpy(float)
    g = numeric_column(df, gname, file=what, nonnegative=True).to_numpy(float)
    g = np.where(np.isnan(g), 0.0, g)  # empty cohort = never treated
    if np.any(g != np.round(g)):
        bad = np.flatnonzero(g != np.round(g))
        raise InputError("cohort (first treated period) must be a whole period", file=what,
                         column=gname, rows=bad.tolist(), fix="use the first treated year, "
                         "0 or empty for never treated")
    xs = [numeric_column(df, c, file=what, allow_missing=False).to_numpy(float)
          for c in covariates]
    ids = df[idname]
    if ids.isna().any():
        raise InputError("missing unit identifier", file=what, column=idname,
                         rows=np.flatnonzero(ids.isna().to_numpy()).tolist())
    uid, unit = _codes_sorted(ids, as_text=True)
    tlist, period = _codes_sorted(pd.Series(t), as_text=False)
    n, T = len(uid), len(tlist)
    if T < 2:
        raise EstimationError(f"the panel has {T} period(s); ATT(g,t) needs at least two")
    key = unit * T + period
    # Fast path: one row per (unit, period) and every cell filled is one bincount; anything
    # else goes through the checks below, which name the offending rows.
    clean = len(key) == n * T and bool(np.all(np.bincount(key, minlength=n * T) == 1))
    if not clean:
        _check_cells(key, unit, period, g, n, T, tlist, idname, tname, gname, what)
    G = np.empty((n, T))
    G[unit, period] = g
    gmin, gmax = G.min(axis=1), G.max(axis=1)
    _check_one_cohort(gmin != gmax, unit, what, gname)
    Y = np.empty((n, T), order="F")  # columns (periods) contiguous: the cells read them
    Y[unit, period] = y
    X = None
    if covariates:
        X = np.empty((n, T, len(covariates)))
        for j, v in enumerate(xs):
            X[unit, period, j] = v
    clusters = None
    if clustervars:
        codes = pd.factorize(df[clustervars[0]].astype(str))[0]
        cmin = np.full(n, np.iinfo(np.int64).max)
        cmax = np.full(n, -1)
        np.minimum.at(cmin, unit, codes)
        np.maximum.at(cmax, unit, codes)
        if np.any(cmin != cmax):
            rows = np.flatnonzero((cmin != cmax)[unit])
            raise InputError("the cluster variable varies within a unit", file=what,
                             column=clustervars[0], rows=rows.tolist(),
                             fix="cluster on a variable constant within each unit")
        clusters = cmin
    return _Panel(ids=uid, tlist=tlist, y=Y, x=X, cohort=gmin, clusters=clusters)


@lru_cache(maxsize=1)
def _blas_controller() -> ThreadpoolController:
    """One inspection of the loaded BLAS libraries per process (it walks the shared objects)."""
    return ThreadpoolController()


def _codes_sorted(values: pd.Series, *, as_text: bool) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and each row's position among them (``np.unique`` semantics).

    Hashes first (``pd.factorize``) and sorts only the distinct values; ``as_text`` compares
    them as strings (as ``np.unique(values.astype(str))`` does, so 1 and "1" are one unit).
    """
    if not as_text:
        v = values.to_numpy(float)
        lo, hi = v.min(), v.max()
        if hi - lo < 1e6 and np.all(v == np.round(v)):  # whole periods: count, don't hash
            off = (v - lo).astype(np.intp)
            present = np.bincount(off) > 0
            rank = np.cumsum(present) - 1
            return np.flatnonzero(present) + lo, rank[off]
    codes, uniq = pd.factorize(values, sort=False)
    if not as_text:
        u = np.asarray(uniq)
        order = np.argsort(u, kind="stable")
        rank = np.empty(len(u), np.intp)
        rank[order] = np.arange(len(u))
        return u[order], rank[codes]
    text_order = _text_order_of_ints(np.asarray(uniq)) if uniq.dtype.kind in "iu" else None
    if text_order is None:
        u = np.asarray(uniq.astype(str), dtype=str)
        sorted_u, inv = np.unique(u, return_inverse=True)
        return sorted_u, inv[codes]
    rank = np.empty(len(text_order), np.intp)
    rank[text_order] = np.arange(len(text_order))
    return np.asarray(uniq)[text_order].astype(str), rank[codes]


def _text_order_of_ints(u: np.ndarray) -> np.ndarray | None:
    """The order that sorting ``u.astype(str)`` gives, for distinct non-negative integers.

    Decimal strings compare as the digits padded to a common width, shorter first on a tie
    ("1" < "10" < "2"); ``None`` (sort the strings) for negatives or 19-digit values.
    """
    u = u.astype(np.int64)
    if len(u) == 0 or u.min() < 0 or u.max() >= 10 ** 18:
        return None
    width = np.ones(len(u), np.int64)
    for k in range(1, 18):
        width += u >= 10 ** k
    pad = np.int64(10) ** (width.max() - width)
    return np.lexsort((width, u * pad))


def _check_one_cohort(varying: np.ndarray, unit: np.ndarray, what: str | None,
                      gname: str) -> None:
    """Raise naming the rows of the units (``varying``, per unit) with more than one cohort."""
    if varying.any():
        rows = np.flatnonzero(varying[unit])
        raise InputError("the cohort (first treated period) differs between rows of the same "
                         "unit", file=what, column=gname, rows=rows.tolist(),
                         fix="give each unit a single first treated period (0 = never)")


def _check_cells(key: np.ndarray, unit: np.ndarray, period: np.ndarray, g: np.ndarray, n: int,
                 T: int, tlist: np.ndarray, idname: str, tname: str, gname: str, what: str
                 ) -> NoReturn:
    """Raise the first fault of a panel that is not one row per unit and period."""
    order = np.argsort(key, kind="stable")
    dup = np.zeros(len(key), bool)
    dup[order[1:]] = key[order[1:]] == key[order[:-1]]
    if dup.any():
        rows = np.flatnonzero(np.isin(key, key[dup]))
        raise InputError("a unit has more than one row for the same period", file=what,
                         column=tname, rows=rows.tolist(),
                         fix=f"keep one row per ({idname}, {tname})")
    gmin = np.full(n, np.inf)
    gmax = np.full(n, -np.inf)
    np.minimum.at(gmin, unit, g)
    np.maximum.at(gmax, unit, g)
    _check_one_cohort(gmin != gmax, unit, what, gname)
    count = np.bincount(unit, minlength=n)
    short = np.flatnonzero(count != T)
    rows = np.flatnonzero(np.isin(unit, short))
    raise InputError(f"unbalanced panel: {len(short)} unit(s) are not observed in all "
                     f"{T} periods ({int(tlist[0])}-{int(tlist[-1])})", file=what,
                     column=idname, rows=rows.tolist(),
                     fix="balance the panel (drop those units or fill the missing years)")


# --------------------------------------------------------------------------------------------
# inference
# --------------------------------------------------------------------------------------------


def mboot(inf: np.ndarray, *, biters: int = 1000, alp: float = 0.05,
          rng: np.random.Generator | None = None, clusters: np.ndarray | None = None) -> dict:
    """Multiplier bootstrap of influence functions, as R ``did::mboot``.

    Rademacher weights per unit (or per cluster, on cluster means of the influence function);
    SE = ``(q75 - q25) / (qnorm(.75) - qnorm(.25)) / sqrt(n)`` of the draws (R quantile type 1);
    critical value = ``1 - alp`` quantile of the max-|t| over columns (uniform band).

    Returns
    -------
    dict
        ``se`` (k,), ``crit_val`` (float), ``bres`` (biters x k draws of sqrt(n)(theta* - theta)).
    """
    rng = np.random.default_rng() if rng is None else rng
    inf = np.asarray(inf, float)
    if inf.ndim == 1:
        inf = inf[:, None]
    if clusters is not None:
        codes = np.unique(clusters, return_inverse=True)[1]
        csize = np.bincount(codes)
        sums = np.zeros((len(csize), inf.shape[1]))
        np.add.at(sums, codes, inf)
        base = sums / csize[:, None]
    else:
        base = inf
    n_cl = base.shape[0]
    u = rng.integers(0, 2, size=(biters, n_cl)).astype(float) * 2.0 - 1.0
    bres = math.sqrt(n_cl) * (u @ base) / n_cl
    ndg = np.isfinite(bres.sum(axis=0)) & ((bres ** 2).sum(axis=0) > _TINY)
    se = np.full(inf.shape[1], np.nan)
    crit = np.nan
    if ndg.any():
        b = bres[:, ndg]
        q75 = np.quantile(b, 0.75, axis=0, method="inverted_cdf")
        q25 = np.quantile(b, 0.25, axis=0, method="inverted_cdf")
        sigma = (q75 - q25) / _IQR_NORMAL
        sigma[sigma <= _TINY] = np.nan
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            bt = np.nanmax(np.abs(b / sigma), axis=1)
        bt = bt[np.isfinite(bt)]
        if len(bt):
            crit = float(np.quantile(bt, 1 - alp, method="inverted_cdf"))
        se[ndg] = sigma / math.sqrt(n_cl)
    return {"se": se, "crit_val": crit, "bres": bres}


def _analytic_se(inf: np.ndarray) -> np.ndarray:
    """sqrt(mean(IF^2) / n) per column; NA (NaN) when numerically zero, as R."""
    inf = np.asarray(inf, float)
    one = inf.ndim == 1
    inf2 = inf[:, None] if one else inf
    n = inf2.shape[0]
    se = np.sqrt(np.einsum("ij,ij->j", inf2, inf2) / n / n)
    se[se <= _TINY] = np.nan
    return se[0] if one else se


def _band(inf: np.ndarray, *, bstrap: bool, cband: bool, alp: float, biters: int,
          rng: np.random.Generator, clusters: np.ndarray | None) -> tuple[np.ndarray, float]:
    """SEs and critical value for the columns of ``inf`` (R's getSE/mboot logic)."""
    z = float(stats.norm.ppf(1 - alp / 2))
    if not bstrap:
        return _analytic_se(inf), z
    out = mboot(inf, biters=biters, alp=alp, rng=rng, clusters=clusters)
    crit = z
    if cband:
        crit = out["crit_val"]
        if not np.isfinite(crit) or crit < z:
            warnings.warn("simultaneous critical value unusable or below the pointwise one; "
                          "using the pointwise critical value", RuntimeWarning, stacklevel=3)
            crit = z
    return out["se"], crit


# --------------------------------------------------------------------------------------------
# ATT(g,t)
# --------------------------------------------------------------------------------------------


def att_gt(
    data: pd.DataFrame,
    *,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    xformla: list[str] | tuple[str, ...] | None = None,
    control_group: str = "never",
    anticipation: int = 0,
    base_period: str = "varying",
    est_method: str = "dr",
    bstrap: bool = False,
    biters: int = 1000,
    alp: float = 0.05,
    cband: bool = False,
    clustervars: list[str] | str | None = None,
    seed: int | None = None,
) -> ATTgtResult:
    """Group-time average treatment effects of Callaway & Sant'Anna (2021), as R ``did::att_gt``.

    Parameters
    ----------
    data : DataFrame
        Balanced long panel, one row per unit and period.
    yname, tname, idname, gname : str
        Outcome, period (integer), unit id and cohort (first treated period; 0 or missing =
        never treated) columns. Cohorts after the last period are treated as never treated
        and units treated in or before the first period are dropped, as R does.
    xformla : list of str, optional
        Covariates (their values in the earlier period of each comparison are used, as R's
        ``panel2cs2``); ``None`` = unconditional parallel trends.
    control_group : {"never", "notyet"}
        Never-treated units only, or never- plus not-yet-treated units (R: ``nevertreated``,
        ``notyettreated`` are accepted too).
    anticipation : int
        Periods of anticipation.
    base_period : {"varying", "universal"}
    est_method : {"dr", "ipw", "reg"}
        ``DRDID::drdid_panel``, ``std_ipw_did_panel`` or ``reg_did_panel``.
    bstrap, biters, alp, cband : optional
        Multiplier bootstrap (Rademacher, ``biters`` draws) instead of analytic SEs; uniform
        confidence band if ``cband`` (requires ``bstrap``).
    clustervars : str or list of str, optional
        One variable (constant within unit) to cluster the bootstrap on; the unit id is
        implied. Clustering needs ``bstrap=True``.
    seed : int, optional
        Seed of the bootstrap draws (reproducible runs).

    Returns
    -------
    ATTgtResult

    Raises
    ------
    InputError
        Missing/non-numeric columns, duplicate (unit, period) rows, unbalanced panel, a
        cohort varying within a unit, bad options -- naming the offending rows.
    EstimationError
        No never-treated units with ``control_group="never"``, no usable cohorts, or an
        estimator that cannot be computed.
    """
    control_group = _CONTROL_ALIASES.get(control_group, control_group)
    check_literal(control_group, ControlGroup, "control_group")
    check_literal(base_period, BasePeriod, "base_period")
    check_literal(est_method, EstMethod, "est_method")
    covariates = [xformla] if isinstance(xformla, str) else list(xformla or [])
    clv = [clustervars] if isinstance(clustervars, str) else list(clustervars or [])
    clv = [c for c in clv if c != idname]
    if len(clv) > 1:
        raise InputError("at most one cluster variable besides the unit id is supported",
                         file="clustervars", fix="pass a single cluster variable")
    if clv and not bstrap:
        raise InputError("clustered standard errors need the multiplier bootstrap",
                         file="clustervars", fix="set bstrap=True (or drop clustervars)")
    if cband and not bstrap:
        raise InputError("a uniform confidence band needs the multiplier bootstrap",
                         file="cband", fix="set bstrap=True or cband=False")
    if int(anticipation) != anticipation or anticipation < 0:
        raise InputError(f"anticipation must be a non-negative integer, got {anticipation!r}",
                         file="anticipation")
    if not 0 < alp < 1:
        raise InputError(f"alp must be in (0, 1), got {alp!r}", file="alp")

    panel = _prepare(data, yname, tname, idname, gname, covariates, clv)
    tlist, Y, X, cohort = panel.tlist, panel.y, panel.x, panel.cohort.copy()
    ids, clusters = panel.ids, panel.clusters

    # R pre_process_did: cohorts after the last period behave as never treated.
    cohort[cohort > tlist[-1]] = 0.0
    if not np.any(cohort == 0):
        if control_group == "never":
            raise EstimationError(
                "there are no never-treated units (cohort 0) to compare with; use "
                "control_group='notyet' or add never-treated units")
        # R: keep periods before the last cohort; that cohort becomes the comparison group.
        gmax = cohort.max()
        keep_t = tlist < gmax - anticipation
        tlist, Y = tlist[keep_t], Y[:, keep_t]
        X = None if X is None else X[:, keep_t]
        cohort[cohort == gmax] = 0.0
        if len(tlist) < 2:
            raise EstimationError("not enough periods before the last cohort is treated")
    glist = np.unique(cohort[cohort > 0])
    glist = glist[glist > tlist[0] + anticipation]
    keep_u = (cohort == 0) | np.isin(cohort, glist)
    if not keep_u.all():
        warnings.warn(f"dropped {int((~keep_u).sum())} unit(s) already treated in the first "
                      "period", RuntimeWarning, stacklevel=2)
        ids, Y, cohort = ids[keep_u], Y[keep_u], cohort[keep_u]
        X = None if X is None else X[keep_u]
        clusters = None if clusters is None else clusters[keep_u]
    if len(glist) == 0:
        raise EstimationError("no treated cohort is first treated after the first period; "
                              "nothing to estimate")
    n, T = Y.shape
    estimator = ESTIMATORS[est_method]
    Y = np.asfortranarray(Y)

    tfac = 0 if base_period == "universal" else 1
    k = len(glist) * (T - tfac)
    groups, times, att = np.empty(k), np.empty(k), np.empty(k)
    # n x k, one column per cell written in place (column-major: each column is contiguous)
    inffunc = np.zeros((n, k), order="F")
    col = -1
    for g in glist:
        treated = cohort == g
        pre_idx = np.flatnonzero(tlist + anticipation < g)
        if len(pre_idx) == 0:
            raise EstimationError(f"cohort {int(g)} has no pre-treatment period")
        last_pre = int(pre_idx[-1])
        # the units of a comparison (treated cohort + its comparison group) and their
        # treatment indicator, shared by every cell with the same comparison group
        supports: dict[float, tuple[np.ndarray, np.ndarray] | None] = {}
        for j in range(T - tfac):
            ti = j + tfac
            col += 1
            base = last_pre if (base_period == "universal" or g <= tlist[ti]) else j
            groups[col], times[col] = g, tlist[ti]
            if base == ti:  # universal base period: normalised to zero
                att[col] = 0.0
                continue
            later = -np.inf if control_group == "never" else float(tlist[max(ti, base)])
            if later not in supports:
                control = cohort == 0
                if control_group != "never":
                    control = control | ((cohort > later + anticipation) & ~treated)
                if not control.any():
                    supports[later] = None
                else:
                    idx = np.flatnonzero(treated | control)
                    supports[later] = (idx, treated[idx].astype(float))
            sup = supports[later]
            if sup is None:
                att[col] = np.nan
                inffunc[:, col] = np.nan
                continue
            idx, d = sup
            n1 = len(idx)
            dy = Y[idx, ti] - Y[idx, base]
            xm = None if X is None else np.column_stack([np.ones(n1), X[idx, min(ti, base), :]])
            try:
                att_c, inf1 = estimator(dy, d, xm)
            except EstimationError as exc:
                raise EstimationError(f"ATT(g={int(g)}, t={int(tlist[ti])}): {exc}") from exc
            att[col] = att_c
            inffunc[idx, col] = (n / n1) * inf1

    rng = np.random.default_rng(seed)
    se = _analytic_se(inffunc)
    zero = np.isnan(se)
    crit = float(stats.norm.ppf(1 - alp / 2))
    if bstrap:
        se_b, crit = _band(inffunc, bstrap=True, cband=cband, alp=alp, biters=biters, rng=rng,
                           clusters=clusters)
        se = np.where(zero, np.nan, se_b)
    se = np.where(np.isnan(att), np.nan, se)

    # Wald pre-test (R: n * att' V^-1 att over the pre-treatment cells, V = IF'IF/n);
    # universal-base cells normalised to zero are left out (they carry no information).
    W, Wp = np.nan, np.nan
    pre = (groups > times) & ~zero & np.isfinite(att)
    if pre.any():
        ip = inffunc[:, pre]
        # a tall, thin product: BLAS threads only contend here (10x slower on a busy machine)
        with _blas_controller().limit(limits=1, user_api="blas"):
            V = ip.T @ ip / n
        if 1.0 / np.linalg.cond(V, 1) > np.finfo(float).eps:
            a = att[pre]
            W = float(n * a @ np.linalg.solve(V, a))
            Wp = float(round(1 - stats.chi2.cdf(W, pre.sum()), 5))

    return ATTgtResult(
        groups=groups, times=times, att=att, se=se, inffunc=inffunc, n=n, glist=glist,
        tlist=tlist, unit_cohort=cohort, ids=ids, control_group=control_group,
        est_method=est_method, base_period=base_period, anticipation=int(anticipation),
        covariates=tuple(covariates), alp=alp, bstrap=bool(bstrap), biters=int(biters),
        cband=bool(cband), crit_val=crit, pretest_W=W, pretest_pval=Wp, clusters=clusters,
        seed=seed, yname=yname)


# --------------------------------------------------------------------------------------------
# aggregation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shares:
    """Cohort shares and codes for R's group-share term ``wif`` (see :func:`_wif_times`)."""

    pg: np.ndarray      # share of each cell's cohort (k,)
    gcode: np.ndarray   # position of each cell's cohort in glist (k,)
    ucode: np.ndarray   # position of each unit's cohort in glist, len(glist) if none (n,)
    size: int           # len(glist) + 1


def _wif_times(keepers: np.ndarray, sh: _Shares, a: np.ndarray,
               pg: np.ndarray | None = None) -> np.ndarray:
    """R ``did:::wif(keepers, pg, ...)`` times ``a``: the group-share term, in O(n).

    R builds the n x len(keepers) matrix ``(1[c_i = g_j] - p_j) / s - rowsum_i p_j / s^2``
    (``s = sum p_j``, ``rowsum_i = #{j: g_j = c_i} - s``). Its product with ``a`` simplifies to
    ``(A(c_i) - C(c_i) (p.a) / s) / s`` with ``A``, ``C`` the sum of ``a`` and the count of
    keepers per cohort, so the matrix is never formed. ``pg`` overrides the shares of the
    keepers (R's group aggregation passes ``pgg`` with ``group[1:nG]``).
    """
    pk = sh.pg[keepers] if pg is None else pg[keepers]
    s = pk.sum()
    pa = float(pk @ a)
    code = sh.gcode[keepers]
    a_sum = np.bincount(code, weights=a, minlength=sh.size)
    count = np.bincount(code, minlength=sh.size)
    v = (a_sum - count * (pa / s)) / s
    v[-1] = 0.0  # units in no kept cohort (never treated)
    return v[sh.ucode]


def _agg_inf(att: np.ndarray, inf: np.ndarray, which: np.ndarray, w: np.ndarray,
             sh: _Shares | None) -> np.ndarray:
    """Influence function of ``w @ att[which]``, plus R's group-share term when ``sh`` is given.

    A sum of a few columns (each cell enters few aggregates): no n x k gather, no BLAS call.
    """
    out = np.zeros(inf.shape[0]) if len(which) == 0 else inf[:, which[0]] * w[0]
    for j, wj in zip(which[1:], w[1:], strict=True):
        out += inf[:, j] * wj
    if sh is not None:
        out += _wif_times(which, sh, att[which])
    return out


def aggte(
    res: ATTgtResult,
    type: str = "group",
    *,
    min_e: float = -np.inf,
    max_e: float = np.inf,
    balance_e: int | None = None,
    na_rm: bool = False,
    bstrap: bool | None = None,
    biters: int | None = None,
    cband: bool | None = None,
    alp: float | None = None,
    seed: int | None = None,
) -> AggteResult:
    """Aggregate ATT(g,t) as R ``did::aggte`` (``compute.aggte`` of did 2.1.2).

    Parameters
    ----------
    res : ATTgtResult
    type : {"simple", "dynamic", "group", "calendar"}
        Post-treatment average weighted by cohort size; event-study by ``e = t - g``
        (includes e < 0 pseudo-effects; overall = mean of the e >= 0 effects); by cohort
        (overall weighted by cohort size, with the weight-estimation term); by period.
    min_e, max_e : float
        Event-time window (``dynamic``; ``max_e`` also caps ``simple`` and ``group``).
    balance_e : int, optional
        ``dynamic`` only: keep cohorts observed for ``balance_e`` periods after treatment.
    na_rm : bool
        Drop ATT(g,t) that could not be estimated instead of raising.
    bstrap, biters, cband, alp : optional
        Override the settings of ``res`` (``None`` = inherit).
    seed : int, optional
        Seed of the bootstrap (defaults to ``res.seed``).

    Returns
    -------
    AggteResult
    """
    check_literal(type, AggType, "type")
    bstrap = res.bstrap if bstrap is None else bool(bstrap)
    biters = res.biters if biters is None else int(biters)
    cband = res.cband if cband is None else bool(cband)
    alp = res.alp if alp is None else float(alp)
    if cband and not bstrap:
        cband = False
    rng = np.random.default_rng(res.seed if seed is None else seed)
    z = float(stats.norm.ppf(1 - alp / 2))

    def se_of(inf: np.ndarray) -> float:
        if bstrap:
            return float(mboot(inf, biters=biters, alp=alp, rng=rng,
                               clusters=res.clusters)["se"][0])
        return float(_analytic_se(inf))

    group, t, att, inffunc = res.groups, res.times, res.att, res.inffunc
    if np.isnan(att).any():
        if not na_rm:
            raise EstimationError("some ATT(g,t) could not be estimated (no comparison units); "
                                  "pass na_rm=True to aggregate the others")
        ok = ~np.isnan(att)
        group, t, att, inffunc = group[ok], t[ok], att[ok], inffunc[:, ok]
    glist = np.unique(group)
    cohort = res.unit_cohort
    pgg = np.array([np.count_nonzero(cohort == g) / len(cohort) for g in glist])
    gcode = np.searchsorted(glist, group)
    pg = pgg[gcode]
    upos = np.minimum(np.searchsorted(glist, cohort), len(glist) - 1)
    ucode = np.where(glist[upos] == cohort, upos, len(glist))
    sh = _Shares(pg=pg, gcode=gcode, ucode=ucode, size=len(glist) + 1)
    empty = np.empty(0)

    def band(inf_e: np.ndarray) -> tuple[np.ndarray, float]:
        if bstrap:
            return _band(inf_e, bstrap=True, cband=cband, alp=alp, biters=biters, rng=rng,
                         clusters=res.clusters)
        return _analytic_se(inf_e), z

    if type == "simple":
        keep = np.flatnonzero((group <= t) & (t <= group + max_e))
        w = pg[keep] / pg[keep].sum()
        a = float(att[keep] @ w)
        inf = _agg_inf(att, inffunc, keep, w, sh)
        return AggteResult("simple", a, se_of(inf), empty, empty, empty, z, inf,
                           np.empty((res.n, 0)), alp=alp, bstrap=bstrap, max_e=max_e)

    if type == "group":
        atts_g, infs_g = [], []
        for g in glist:
            which = np.flatnonzero((group == g) & (g <= t) & (t <= group + max_e))
            if len(which) == 0:
                atts_g.append(np.nan)
                infs_g.append(np.full(res.n, np.nan))
                continue
            w = pg[which] / pg[which].sum()
            atts_g.append(float(att[which].mean()))
            infs_g.append(_agg_inf(att, inffunc, which, w, None))
        att_g = np.asarray(atts_g)
        inf_g = np.column_stack(infs_g)
        se_g, crit = band(inf_g)
        a = float((att_g * pgg).sum() / pgg.sum())
        # R: wif(keepers = 1:length(glist), pg = pgg, G = G, group = group) -- note `group`
        # is the ATT(g,t) cell vector, so its first nG entries are used.
        kk = np.arange(len(glist))
        inf = _agg_inf(att_g, inf_g, kk, pgg / pgg.sum(), None) + _wif_times(
            kk, sh, att_g, pg=pgg)
        return AggteResult("group", a, se_of(inf), glist, att_g, se_g, crit, inf, inf_g,
                           alp=alp, bstrap=bstrap, max_e=max_e)

    if type == "dynamic":
        e_all = t - group
        include = np.ones(len(group), bool)
        eseq = np.unique(e_all)
        if balance_e is not None:
            # R's t2orig(maxT), t2orig(1): last and first periods of the ATT(g,t) cells
            tmax, tmin = t.max(), t.min()
            include = (tmax - group) >= balance_e
            eseq = np.unique(e_all[include])
            eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - tmax + tmin)]
        eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
        if len(eseq) == 0:
            raise EstimationError("no event times left in [min_e, max_e]")
        atts_e, infs_e = [], []
        for e in eseq:
            which = np.flatnonzero((e_all == e) & include)
            w = pg[which] / pg[which].sum()
            atts_e.append(float(att[which] @ w))
            infs_e.append(_agg_inf(att, inffunc, which, w, sh))
        att_e = np.asarray(atts_e)
        inf_e = np.column_stack(infs_e)
        se_e, crit = band(inf_e)
        post = eseq >= 0
        if not post.any():
            overall, overall_se, inf = np.nan, np.nan, np.full(res.n, np.nan)
        else:
            overall = float(att_e[post].mean())
            inf = inf_e[:, post].mean(axis=1)
            overall_se = se_of(inf)
        # csdid pre_avg/post_avg: plain averages of the event-time estimates; event times
        # normalised to zero (universal base period: IF identically 0) are left out.
        informative = np.any(inf_e != 0, axis=0)
        pre = (eseq < 0) & informative
        pre_avg = pre_se = np.nan
        if pre.any():
            pre_avg = float(att_e[pre].mean())
            pre_se = se_of(inf_e[:, pre].mean(axis=1))
        return AggteResult("dynamic", overall, overall_se, eseq, att_e, se_e, crit, inf,
                           inf_e, alp=alp, bstrap=bstrap, pre_avg=pre_avg, pre_avg_se=pre_se,
                           post_avg=overall, post_avg_se=overall_se, min_e=min_e, max_e=max_e,
                           balance_e=balance_e)

    # calendar
    ctimes = np.unique(t)
    ctimes = ctimes[ctimes >= group.min()]
    atts_t, infs_t, kept = [], [], []
    for t1 in ctimes:
        which = np.flatnonzero((t == t1) & (group <= t))
        if len(which) == 0:
            continue
        w = pg[which] / pg[which].sum()
        kept.append(t1)
        atts_t.append(float(att[which] @ w))
        infs_t.append(_agg_inf(att, inffunc, which, w, sh))
    att_t = np.asarray(atts_t)
    inf_t = np.column_stack(infs_t)
    se_t, crit = band(inf_t)
    a = float(att_t.mean())
    inf = inf_t.mean(axis=1)
    return AggteResult("calendar", a, se_of(inf), np.asarray(kept), att_t, se_t, crit, inf,
                       inf_t, alp=alp, bstrap=bstrap)



def aggte_all(res: ATTgtResult, **kwargs: Any) -> dict[str, AggteResult]:
    """All four aggregations of ``res`` (``simple, dynamic, group, calendar``) in one dict.

    ``kwargs`` go to :func:`aggte` (e.g. ``min_e``, ``max_e``, ``bstrap``, ``seed``).
    """
    return {tp: aggte(res, tp, **kwargs) for tp in ("simple", "dynamic", "group", "calendar")}
