"""de Chaisemartin & D'Haultfœuille (2020) weights behind the TWFE coefficient.

Under parallel trends the TWFE coefficient of ``y ~ treat | unit + time`` is a weighted sum of
the treatment effects of the treated (unit, period) cells, ``β = Σ w_gt Δ_gt`` with weights
summing to one (their Theorem 1, the "feTR" case of Stata/R ``twowayfeweights``):

    w_gt = ε_gt / Σ_{treated} (N_gt/N_1) ε_gt · (N_gt/N_1)

where ``ε_gt`` is the residual of the treatment on the unit and period fixed effects. Some
weights can be negative (typically long-treated units in late periods): β may then be negative
although every Δ_gt is positive. Two sensitivity measures say how much effect heterogeneity that
takes:

* ``sigma_fe`` (their σ̲_fe): the smallest standard deviation of the Δ_gt across treated cells
  compatible with β while the average effect on the treated is 0 (|β| / sd of the weights);
* ``sigma_fe_sign`` (their σ̲̲_fe, only when some weights are negative): the smallest standard
  deviation compatible with β while every Δ_gt has the sign opposite to β.

Small values mean a modest amount of heterogeneity could produce the TWFE estimate under a
zero or opposite-signed true effect. R reference: ``TwoWayFEWeights::twowayfeweights(type =
"feTR")`` (``tests/reference/did``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pairnet.analyses.did import DIDPanel
from pairnet.core.errors import EstimationError, InputError
from pairnet.core.i18n import Text, label
from pairnet.core.results import Figure, ResultBase, Table, tidy_frame

__all__ = ["TWFEWeightsResult", "twfe_weights", "fe_residual"]

_LIMIT = 1e-10  # |weight| below this is 0, as twowayfeweights does


def fe_residual(x: np.ndarray, groups: list[np.ndarray], weights: np.ndarray | None = None,
                *, tol: float = 1e-14, maxiter: int = 10_000) -> np.ndarray:
    """Residual of ``x`` on the fixed effects ``groups`` (weighted alternating projections).

    Each element of ``groups`` is an integer code per observation; converges to machine
    precision (``tol`` on the largest change) or raises.
    """
    w = np.ones(len(x)) if weights is None else np.asarray(weights, float)
    r = np.asarray(x, float).copy()
    codes = [pd.factorize(g)[0] for g in groups]
    sums = [np.bincount(c, weights=w) for c in codes]
    for _ in range(maxiter):
        change = 0.0
        for c, sw in zip(codes, sums, strict=True):
            m = np.bincount(c, weights=w * r) / sw
            r -= m[c]
            change = max(change, float(np.abs(m).max()))
        if change < tol * max(1.0, float(np.abs(x).max())):
            return r
    raise EstimationError("the fixed-effect residuals did not converge")


@dataclass(frozen=True)
class TWFEWeightsResult(ResultBase):
    """The dCDH weights of the treated cells and the sensitivity measures.

    Attributes
    ----------
    cells : DataFrame
        One row per treated (unit, period) cell: ``unit`` (the user's id), ``time``,
        ``cohort``, ``weight`` (sums to one).
    beta : float
        The TWFE coefficient.
    sigma_fe : float
        |β| / (standard deviation of the weights): the smallest heterogeneity (sd of the cell
        effects) under which β is compatible with a zero average effect on the treated.
    sigma_fe_sign : float
        The smallest heterogeneity under which β is compatible with every cell effect having
        the opposite sign (NaN when no weight is negative).
    weighted : bool
        Whether observation weights entered.
    """

    cells: pd.DataFrame
    beta: float
    sigma_fe: float
    sigma_fe_sign: float
    y: str
    weighted: bool = False
    title = "de Chaisemartin–D'Haultfœuille weights"

    @property
    def n_positive(self) -> int:
        """Number of treated cells with a positive weight."""
        return int((self.cells["weight"] > 0).sum())

    @property
    def n_negative(self) -> int:
        """Number of treated cells with a negative weight."""
        return int((self.cells["weight"] < 0).sum())

    @property
    def sum_positive(self) -> float:
        """Sum of the positive weights."""
        w = self.cells["weight"]
        return float(w[w > 0].sum())

    @property
    def sum_negative(self) -> float:
        """Sum of the negative weights (≤ 0)."""
        w = self.cells["weight"]
        return float(w[w < 0].sum())

    def by_cohort(self) -> pd.DataFrame:
        """Weights summed by cohort and event time (``time − cohort``)."""
        c = self.cells.assign(event_time=self.cells["time"] - self.cells["cohort"])
        g = c.groupby(["cohort", "event_time"])["weight"]
        return pd.DataFrame({"weight": g.sum(), "cells": g.size(),
                             "negative": g.agg(lambda s: int((s < 0).sum()))}).reset_index()

    def tidy(self) -> pd.DataFrame:
        """Broom columns: the TWFE coefficient, the two sensitivity measures, the weight sums."""
        terms = ["beta", "sigma_fe", "sigma_fe_sign", "sum_positive", "sum_negative",
                 "n_positive", "n_negative"]
        vals = [self.beta, self.sigma_fe, self.sigma_fe_sign, self.sum_positive,
                self.sum_negative, self.n_positive, self.n_negative]
        return tidy_frame(terms, vals)

    def to_dict(self) -> dict[str, Any]:
        """Counts and sums of positive/negative weights, the measures, every cell's weight."""
        return {"beta": self.beta, "n_positive": self.n_positive,
                "n_negative": self.n_negative, "sum_positive": self.sum_positive,
                "sum_negative": self.sum_negative, "sigma_fe": self.sigma_fe,
                "sigma_fe_sign": self.sigma_fe_sign, "n_cells": int(len(self.cells)),
                "weighted": self.weighted, "y": self.y, "by_cohort": self.by_cohort(),
                "cells": self.cells}

    def summary(self) -> str:
        """Counts, sums and the sensitivity measures (returned, never printed)."""
        s = (f"TWFE β = {self.beta:.6g} on {self.y} is a weighted sum of {len(self.cells)} "
             f"treated-cell effects: {self.n_positive} positive weights (sum "
             f"{self.sum_positive:.4g}), {self.n_negative} negative (sum "
             f"{self.sum_negative:.4g}).\n  heterogeneity (sd of effects) that reconciles β "
             f"with a zero average effect: {self.sigma_fe:.4g}")
        if np.isfinite(self.sigma_fe_sign):
            s += (f"\n  ... with effects all of the opposite sign: {self.sigma_fe_sign:.4g}")
        return s

    def tables(self) -> dict[str, Table]:
        """The summary measures and the weights by cohort and event time."""
        def num(v: float) -> str | Text:
            return Text("n/a", "不适用") if not np.isfinite(v) else f"{v:,.4f}"

        rows = [
            (Text("TWFE coefficient", "TWFE 系数"), num(self.beta)),
            (Text("treated cells", "处理单元-期数"), f"{len(self.cells):,}"),
            (Text("positive weights", "正权重个数"), f"{self.n_positive:,}"),
            (Text("sum of positive weights", "正权重之和"), num(self.sum_positive)),
            (Text("negative weights", "负权重个数"), f"{self.n_negative:,}"),
            (Text("sum of negative weights", "负权重之和"), num(self.sum_negative)),
            (Text("sigma_fe: sd of effects compatible with ATT = 0",
                  "sigma_fe：与 ATT = 0 相容的效应标准差"), num(self.sigma_fe)),
            (Text("sigma_fe_sign: sd compatible with effects of opposite sign",
                  "sigma_fe_sign：与效应符号相反相容的标准差"), num(self.sigma_fe_sign)),
        ]
        summ = pd.DataFrame({"measure": pd.Series([r[0] for r in rows], dtype=object),
                             "value": pd.Series([r[1] for r in rows], dtype=object)})
        note = Text(
            "TWFE is a weighted sum of the effects in the treated unit-period cells. Negative "
            "weights mean TWFE subtracts some cells' effects: with heterogeneous effects it can "
            "then have the wrong sign. sigma_fe is how much the effects would have to vary "
            "across cells (their standard deviation, in units of y) for the true average effect "
            "to be zero; sigma_fe_sign, for every effect to have the opposite sign. Compare them "
            "with plausible effect sizes: values well above the estimate itself mean TWFE is "
            "robust to heterogeneity. n/a: not defined for this design (sigma_fe_sign needs "
            "negative weights, as in TwoWayFEWeights).",
            "TWFE 是各处理单元-期效应的加权和。负权重意味着 TWFE 减去了部分单元的效应，效应异质时可能符号错误。"
            "sigma_fe 为真实平均效应为零所需的效应离散程度（标准差，y 的单位）；sigma_fe_sign 为所有效应符号相反所需的程度。"
            "远大于估计值本身说明 TWFE 对异质性稳健。不适用：该设计下无定义（sigma_fe_sign 需要存在负权重，"
            "与 TwoWayFEWeights 相同）。")
        return {
            "twfe_weights_summary": Table(summ, Text("de Chaisemartin–D'Haultfœuille weights of "
                                                     "the TWFE estimate",
                                                     "TWFE 估计的 de Chaisemartin–D'Haultfœuille 权重"),
                                          note),
            "twfe_weights_by_cohort": Table(self.by_cohort(),
                                            Text("dCDH weights by cohort and event time",
                                                 "按队列和事件时间汇总的 dCDH 权重"),
                                            Text("Sum of the cell weights of each cohort at each "
                                                 "period since treatment; 'negative' counts the "
                                                 "cells with a negative weight.",
                                                 "各队列在处理后各期的权重之和；“"
                                                 f"{label('negative', 'zh')}”列为权重为负的单元数。")),
        }

    def plot(self, lang: str = "en") -> Any:
        """Weights summed by event time, one line per cohort."""
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.5, 4))
        bc = self.by_cohort()
        for g, s in bc.groupby("cohort"):
            ax.plot(s["event_time"], s["weight"], "o-", label=str(g), lw=1)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xlabel("periods since treatment" if lang != "zh" else "处理后期数")
        ax.set_ylabel("sum of TWFE weights" if lang != "zh" else "TWFE 权重之和")
        # beside the axes, where it covers no point
        ax.legend(title="cohort" if lang != "zh" else "队列", frameon=False, fontsize=8,
                  loc="upper left", bbox_to_anchor=(1.01, 1.0))
        fig.tight_layout()
        return fig

    def figures(self) -> dict[str, Figure]:
        """The weights by cohort and event time."""
        return {"twfe_weights": Figure(
            lambda lang: self.plot(lang), Text("TWFE weights by cohort and event time",
                                               "按队列与事件时间的 TWFE 权重"),
            Text("Sum of the dCDH weights per cohort and period since treatment; points below "
                 "zero are cells TWFE counts negatively.",
                 "各队列处理后各期的 dCDH 权重之和；低于零的点为被 TWFE 负向计入的单元。"))}


def twfe_weights(panel: DIDPanel, *, y: str | None = None,
                 weights: str | None = None) -> TWFEWeightsResult:
    """The dCDH (2020) weights and sensitivity measures of ``y ~ treat | unit + time``.

    Parameters
    ----------
    panel : DIDPanel
    y : str, optional
        Safe outcome name (default the main outcome).
    weights : str, optional
        Safe name of an observation-weight column (as ``twowayfeweights(weights=)``).

    Raises
    ------
    InputError
        Non-positive or missing weights.
    EstimationError
        No treated cell.
    """
    f = panel.frame
    y = panel.y if y is None else y
    w = np.ones(len(f)) if weights is None else f[weights].to_numpy(float)
    if weights is not None and (~np.isfinite(w) | (w <= 0)).any():
        raise InputError("observation weights must be positive and not missing",
                         column=panel.label(weights),
                         rows=np.flatnonzero(~np.isfinite(w) | (w <= 0)).tolist(),
                         fix="fix these weights or drop `weights`")
    d = f["treat"].to_numpy(float)
    if not (d > 0).any():
        raise EstimationError("no treated cell")
    unit, time = f["unit"].to_numpy(), f["time"].to_numpy()
    p_gt = w / w.sum()  # one observation per cell
    mean_d = float(np.average(d, weights=w))
    eps = fe_residual(d, [unit, time], w)
    denom = float(np.average(eps * d, weights=w))
    big_w = eps * mean_d / denom
    nat = p_gt * d / mean_d
    wt = big_w * nat
    wt[np.abs(wt) < _LIMIT] = 0.0
    yy = f[y].to_numpy(float)
    beta = float(np.sum(w * eps * yy) / np.sum(w * eps * d))
    on = nat != 0
    wm = float(np.sum(nat * big_w) / np.sum(nat))
    m = int(on.sum())
    w_sd = float(np.sqrt(np.sum(nat * (big_w - wm) ** 2)) * np.sqrt(m / (m - 1)))
    sigma_fe = abs(beta) / w_sd if w_sd > 0 else float("inf")
    sigma2 = float("nan")
    if (wt < 0).any():
        sigma2 = _sigma_sign(big_w, nat, wt, unit, time, beta)
    lab = panel.unit_labels
    cells = pd.DataFrame({"unit": [str(lab[u]) if len(lab) else str(u) for u in unit[on]],
                          "time": time[on].astype(int), "cohort": f["cohort"].to_numpy()[on],
                          "weight": wt[on]})
    return TWFEWeightsResult(cells=cells.reset_index(drop=True), beta=beta, sigma_fe=sigma_fe,
                             sigma_fe_sign=sigma2, y=panel.label(y),
                             weighted=weights is not None)


def _sigma_sign(big_w: np.ndarray, nat: np.ndarray, wt: np.ndarray, unit: np.ndarray,
                time: np.ndarray, beta: float) -> float:
    """σ̲̲_fe of dCDH (2020) Corollary 1, computed as ``twowayfeweights`` does."""
    keep = wt != 0
    s = pd.DataFrame({"W": big_w[keep], "nat": nat[keep], "res": wt[keep],
                      "G": unit[keep], "T": time[keep]})
    # cumulative sums in ascending W (ties: G, T descending), read in descending W
    s = s.sort_values(["W", "G", "T"], ascending=[True, False, False], kind="mergesort")
    s["P"] = s["nat"].cumsum()
    s["S"] = s["res"].cumsum()
    s["Tk"] = (s["nat"] * s["W"] ** 2).cumsum()
    s = s.sort_values(["W", "G", "T"], ascending=[False, True, True], kind="mergesort")
    with np.errstate(divide="ignore", invalid="ignore"):
        meas = abs(beta) / np.sqrt(s["Tk"] + s["S"] ** 2 / (1 - s["P"]))
        ind = (s["W"] < -s["S"] / (1 - s["P"])).to_numpy(dtype=float, copy=True)
    ind[0] = 0
    lag = np.concatenate([[-1.0], ind[:-1]])
    ind = np.maximum(ind, lag)
    n = len(s)
    k = n - int(ind.sum())  # 0-based index of R's N - total + 1
    return float(meas.to_numpy()[k])
