"""Stacked difference-in-differences (Cengiz, Dube, Lindner & Zipperer 2019).

For every treatment cohort ``g`` a sub-experiment ("stack") keeps the periods
``g − leads … g + lags`` of the cohort's units and of its *clean controls*: units never treated
inside the panel, or first treated after ``g + lags`` (so not yet treated anywhere in the
stack's window). The stacks are appended and estimated with stack-specific fixed effects
(``unit^stack + time^stack``; further terms such as ``origin^time`` are interacted with the
stack too), SEs clustered by the original unit (a unit can appear in several stacks):

* static: ``y ~ treat | unit^stack + time^stack`` with ``treat = treated × post``;
* event study: ``y ~ i(rel_time, treated, ref = −1) | unit^stack + time^stack``.

No already-treated unit ever serves as a control, so TWFE's "forbidden comparisons" are gone;
the estimate is a variance-weighted average of the cohort-specific effects. Validated against
fixest on the same stack built in R (``tests/reference/did/diagnostics_core.R``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from pairnet.analyses._fe import ATTTerms, fe_codes
from pairnet.analyses._pyfixest import feols as pf_feols
from pairnet.analyses.did import DIDPanel, event_time_axis
from pairnet.core.errors import EstimationError, InputError
from pairnet.core.i18n import Lang, Text
from pairnet.core.modeltable import coef_decimals
from pairnet.core.results import Figure, ResultBase, Table, coef_table

__all__ = ["StackedResult", "stacked_did", "stacked_did_frame"]


@dataclass(frozen=True)
class StackedResult(ATTTerms, ResultBase):
    """The stacked DID: static ATT, event-time coefficients, the stacks.

    Attributes
    ----------
    coef : DataFrame
        Broom columns indexed by term: ``ATT`` then ``rel_time::k`` (k ≠ −1).
    stacks : DataFrame
        One row per stack: ``cohort, treated_units, control_units, first_period,
        last_period, rows``.
    """

    coef: pd.DataFrame
    stacks: pd.DataFrame
    y: str
    nobs: int
    leads: int
    lags: int
    fe: str = "unit^stack + time^stack"
    weighted: bool = False
    df_t: float | None = None
    title = "Stacked DID"


    def event_table(self) -> pd.DataFrame:
        """``rel_time, estimate, std_error, conf_low, conf_high`` with the base period (0)."""
        c = self._event_rows()
        base = pd.DataFrame({"rel_time": [-1], "estimate": [0.0]})
        out = pd.concat([c[["rel_time", "estimate", "std_error", "conf_low", "conf_high",
                            "p_value"]], base], ignore_index=True)
        return out.sort_values("rel_time").reset_index(drop=True)

    def tidy(self) -> pd.DataFrame:
        """Broom columns, ``ATT`` then one row per event time."""
        return self.coef.reset_index(names="term")

    def to_dict(self) -> dict[str, Any]:
        """Static ATT, event-time coefficients, the stacks and the settings."""
        return {"att": self.att, "se": self.se, "terms": self.tidy(), "stacks": self.stacks,
                "nobs": self.nobs, "leads": self.leads, "lags": self.lags, "fe": self.fe,
                "weighted": self.weighted, "y": self.y, "cluster": "unit",
                "controls": "never treated, or first treated after the stack's window"}

    def summary(self) -> str:
        """The static ATT and the stacks (returned, never printed)."""
        lines = [f"stacked DID on {self.y}: ATT = {self.att:.6g} (SE {self.se:.6g}), "
                 f"{len(self.stacks)} stacks, window -{self.leads}..+{self.lags}, "
                 f"N = {self.nobs}, FE {self.fe}"]
        for r in self.event_table().itertuples():
            lines.append(f"  {r.rel_time:>4}  {r.estimate: .5g}  ({r.std_error:.4g})")
        return "\n".join(lines)

    def tables(self) -> dict[str, Table]:
        """The estimates and the stacks."""
        return {
            "stacked_did": Table(
                self.tidy(), Text("Stacked DID", "堆叠 DID"),
                Text(f"One sub-experiment per cohort over its periods -{self.leads}..+"
                     f"{self.lags}, with only clean controls (never treated, or first treated "
                     "after the window); fixed effects unit × stack and period × stack; SE "
                     "clustered by unit. ATT = the static effect; rel_time::k = the effect k "
                     "periods after treatment relative to the period before (k < 0: "
                     "pre-trends, should be near zero).",
                     f"每个队列一个子实验（相对期 -{self.leads}..+{self.lags}），只用干净对照（从未处理或窗口后才处理）；"
                     "固定效应为 单位×堆 与 期×堆；按单位聚类。ATT 为静态效应；rel_time::k 为处理后 k 期相对处理前一期的效应。"),
                decimals=coef_decimals(self.coef)),
            "stacked_stacks": Table(self.stacks.copy(), Text("Stacks of the stacked DID",
                                                             "堆叠 DID 的各子实验"),
                                    Text("Treated and clean-control units and the periods of "
                                         "each cohort's stack.",
                                         "各队列子实验的处理单位、干净对照单位与期间。")),
        }

    def plot(self, lang: Lang = "en") -> Any:
        """Event-time coefficients with 95 % CIs."""
        import matplotlib.pyplot as plt

        t = self.event_table()
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.errorbar(t["rel_time"], t["estimate"],
                    yerr=[(t["estimate"] - t["conf_low"]).fillna(0),
                          (t["conf_high"] - t["estimate"]).fillna(0)],
                    fmt="o-", color="C2", capsize=3)
        ax.axhline(0, color="black", lw=0.8)
        ax.axvline(-0.5, color="grey", lw=0.8, ls=":")
        event_time_axis(ax, lang)
        ax.set_ylabel(f"effect on {self.y}" if lang != "zh" else f"对 {self.y} 的效应")
        ax.set_title(f"Stacked DID: ATT = {self.att:.3g} (SE {self.se:.2g})" if lang != "zh" else
                     f"堆叠 DID：ATT = {self.att:.3g}（标准误 {self.se:.2g}）")
        fig.tight_layout()
        return fig

    def figures(self) -> dict[str, Figure]:
        """The stacked event study."""
        return {"stacked_event_study": Figure(
            lambda lang: self.plot(lang), Text("Stacked DID event study", "堆叠 DID 事件研究"),
            Text("Coefficients by period relative to treatment (base −1) from the stacked "
                 "regression, 95% CIs clustered by unit.",
                 "堆叠回归中相对处理期的系数（基期 −1），按单位聚类的 95% 置信区间。"))}


def stacked_did_frame(frame: pd.DataFrame, *, y: str, leads: int, lags: int,
                      fe: Sequence[str] = (), fe_names: dict[str, str] | None = None,
                      weights: str | None = None, label: str | None = None,
                      cluster: str = "unit") -> StackedResult:
    """Stacked DID on a frame with ``unit, time, cohort`` (0 = never) and ``y``.

    ``fe`` = further fixed-effect terms (beyond unit and time), each interacted with the stack.

    Raises
    ------
    EstimationError
        No cohort has a clean control or a pre-period inside the panel.
    """
    need = list(dict.fromkeys(["unit", "time", "cohort", y, cluster]
                              + ([weights] if weights else [])))
    f = frame[need].copy()
    extra = fe_codes(frame, list(fe), fe_names) if fe else []
    for i, codes in enumerate(extra):
        f[f"xfe{i}"] = codes
    t0, t1 = int(f["time"].min()), int(f["time"].max())
    g = f["cohort"].to_numpy()
    parts, rows = [], []
    for c in sorted(int(v) for v in np.unique(g[(g > t0) & (g <= t1)])):
        win = (f["time"] >= c - leads) & (f["time"] <= c + lags)
        clean = (f["cohort"] == 0) | (f["cohort"] > c + lags)
        s = f[win & ((f["cohort"] == c) | clean)].copy()
        if not (s["cohort"] != c).any():
            continue
        s["stack"] = c
        s["tr"] = (s["cohort"] == c).astype(float)
        s["rel_s"] = (s["time"] - c).astype(int)
        parts.append(s)
        rows.append({"cohort": c, "treated_units": int(s.loc[s["tr"] > 0, "unit"].nunique()),
                     "control_units": int(s.loc[s["tr"] == 0, "unit"].nunique()),
                     "first_period": int(s["time"].min()), "last_period": int(s["time"].max()),
                     "rows": int(len(s))})
    if not parts:
        raise EstimationError("stacked DID: no cohort has a pre-period and a clean control "
                              "(never treated, or treated after the window) inside the panel")
    st = pd.concat(parts, ignore_index=True)
    st["post"] = (st["rel_s"] >= 0).astype(float)
    st["d_st"] = st["tr"] * st["post"]
    rels = sorted(int(k) for k in st["rel_s"].unique() if k != -1)
    names = {k: f"rel_{'m' if k < 0 else 'p'}{abs(k)}" for k in rels}
    for k, nm in names.items():
        st[nm] = ((st["rel_s"] == k) & (st["tr"] > 0)).astype(float)
    fes = " + ".join(["unit^stack", "time^stack", *[f"xfe{i}^stack" for i in range(len(extra))]])
    kw: dict[str, Any] = {"weights": weights} if weights else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ms = pf_feols(f"{y} ~ d_st | {fes}", st, {"CRV1": cluster}, **kw)
            me = pf_feols(f"{y} ~ {' + '.join(names.values())} | {fes}", st,
                          {"CRV1": cluster}, **kw)
        except ValueError as exc:
            raise EstimationError(f"stacked DID failed: {' '.join(str(exc).split())}") from exc
    terms = ["ATT"]
    beta = [ms.beta[ms.index("d_st")]]
    var = [ms.vcov[ms.index("d_st"), ms.index("d_st")]]
    kept = [(k, nm) for k, nm in names.items() if me.has(nm)]
    idx = [me.index(nm) for _, nm in kept]
    terms += [f"rel_time::{k}" for k, _ in kept]
    beta += list(me.beta[idx])
    var += list(np.diag(me.vcov)[idx])
    coef = coef_table(terms, beta, np.diag(var), ms.df_t)
    # the event-study rows keep their own t dof (the same clusters)
    if me.df_t:
        q = stats.t.ppf(0.975, me.df_t)
        ev = coef.index != "ATT"
        coef.loc[ev, "conf_low"] = coef.loc[ev, "estimate"] - q * coef.loc[ev, "std_error"]
        coef.loc[ev, "conf_high"] = coef.loc[ev, "estimate"] + q * coef.loc[ev, "std_error"]
    return StackedResult(coef=coef, stacks=pd.DataFrame(rows), y=label or y, nobs=ms.nobs,
                         leads=leads, lags=lags, fe=_fe_label(fes, fe),
                         weighted=weights is not None, df_t=ms.df_t)


def stacked_did(panel: DIDPanel, *, y: str | None = None, leads: int = 5, lags: int = 10,
                fe: Sequence[str] = (), fe_names: dict[str, str] | None = None,
                weights: str | None = None) -> StackedResult:
    """Stacked DID on a validated panel (see the module docstring).

    Parameters
    ----------
    panel : DIDPanel
    y : str, optional
        Safe outcome name (default the main outcome).
    leads, lags : int
        The stack window: ``leads`` periods before and ``lags`` after treatment.
    fe : sequence of str
        Further fixed-effect terms beyond unit and time (each × stack), e.g. ``origin^time``.
    weights : str, optional
        Safe name of an observation-weight column.

    Raises
    ------
    InputError
        A window of no period before treatment (``leads`` < 1).
    EstimationError
        No cohort has a clean control.
    """
    if leads < 1:
        raise InputError("the stacked DID needs at least one period before treatment",
                         file="`leads`", fix="pass `leads` >= 1")
    y = panel.y if y is None else y
    extra = [t for t in fe if t not in ("unit", "time")]
    return stacked_did_frame(panel.frame, y=y, leads=leads, lags=lags, fe=extra,
                             fe_names=fe_names, weights=weights, label=panel.label(y))



def _fe_label(fes: str, terms: Sequence[str]) -> str:
    """The fixed effects as the user named them (``county^time^stack``)."""
    for i, t in enumerate(terms):
        fes = fes.replace(f"xfe{i}^", f"{t}^")
    return fes
