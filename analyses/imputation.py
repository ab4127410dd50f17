"""Borusyak, Jaravel & Spiess (2024) imputation estimator, as R ``didimputation`` computes it.

1. Fit the untreated potential outcome on the untreated cells only, ``y ~ 0 | unit + time``
   (or another fixed-effect structure ``fe``), with observation weights if given.
2. Impute ``Y(0)`` for every treated cell and take ``τ̂_it = y_it − Ŷ_it(0)``.
3. Average: the static ATT weights every treated cell equally (or by the observation weights);
   each event-study horizon ``e ≥ 0`` averages the cells ``e`` periods after treatment.

Standard errors are BJS's conservative clustered variance (their Theorem 3, clustered by unit):
``Σ_clusters (Σ_i v_i ε̃_i)²`` with the implicit weights ``v`` of each observation in the
estimator and ``ε̃`` the residuals, treated cells' effects replaced by their cohort × horizon
averages, exactly as ``didimputation::did_imputation``'s ``se_inner``. (With observation
weights, didimputation scales the fixed-effect design by the weights, not their square roots,
when it builds ``v``; this module follows it so that the two agree.)

The pre-trend test (BJS Test 1): on the untreated cells only, regress ``y`` on the fixed effects
and dummies for ``k`` periods before treatment (``pretrends``, e.g. −3, −2, −1; never-treated
cells and earlier leads are the reference); under parallel trends they are 0. Reported with
SEs clustered by unit and the joint Wald test.

Cells whose imputation is not identified (a unit never observed untreated, a period in which
every unit is treated) are left out and counted in ``n_dropped``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse, stats
from scipy.sparse.linalg import lsmr

from pairnet.analyses._fe import DEFAULT_FE, ATTTerms, cluster_word, fe_codes
from pairnet.analyses._pyfixest import feols as pf_feols
from pairnet.analyses.did import DIDPanel, event_time_axis
from pairnet.core.errors import EstimationError, InputError
from pairnet.core.i18n import Lang, Text
from pairnet.core.modeltable import coef_decimals, p_is
from pairnet.core.results import Figure, ResultBase, Table, coef_table

__all__ = ["ImputationResult", "imputation_did"]

_DENSE_MAX = 3000  # solve the normal equations densely up to this many fixed-effect levels


def _design(codes: list[np.ndarray], rows: np.ndarray | None = None) -> sparse.csr_matrix:
    """Sparse dummy matrix of every level of every fixed effect (collinear; min-norm solves)."""
    mats = []
    for c in codes:
        n_lev = int(c.max()) + 1
        cc = c if rows is None else c[rows]
        mats.append(sparse.csr_matrix((np.ones(len(cc)), (np.arange(len(cc)), cc)),
                                      shape=(len(cc), n_lev)))
    return sparse.hstack(mats, format="csr")


def _solve(ata: sparse.spmatrix, rhs: np.ndarray) -> np.ndarray:
    """A minimum-norm solution of the (singular, consistent) normal equations."""
    if ata.shape[0] <= _DENSE_MAX:
        a = ata.toarray()
        return np.linalg.lstsq(a, rhs, rcond=1e-12)[0]
    out = [lsmr(ata, rhs[:, j] if rhs.ndim > 1 else rhs, atol=1e-15, btol=1e-15,
                maxiter=100 * ata.shape[0])[0] for j in range(rhs.shape[1] if rhs.ndim > 1 else 1)]
    return np.column_stack(out) if rhs.ndim > 1 else out[0]


@dataclass(frozen=True)
class ImputationResult(ATTTerms, ResultBase):
    """The BJS imputation estimates.

    Attributes
    ----------
    coef : DataFrame
        Broom columns indexed by term: ``ATT`` (static), ``tau::e`` (horizons e ≥ 0) and
        ``pre::k`` (pre-trend coefficients, k < 0).
    pretrend_wald : dict
        ``stat, df, p_value, f_stat, f_p_value`` of H0: every pre-trend coefficient is 0.
    nobs : int
        Cells used; ``n_dropped`` were left out (imputation not identified).
    fe : tuple of str
        The first-stage fixed effects.
    """

    coef: pd.DataFrame
    pretrend_wald: dict[str, float]
    y: str
    nobs: int
    n_dropped: int
    n_treated: int
    fe: tuple[str, ...] = DEFAULT_FE
    weighted: bool = False
    cluster: str = "unit"
    notes: tuple[str, ...] = field(default=())
    title = "Borusyak–Jaravel–Spiess imputation"


    def event_table(self) -> pd.DataFrame:
        """``rel_time, estimate, std_error, conf_low, conf_high, kind`` (pre then horizons)."""
        c = self._event_rows()
        c["kind"] = np.where(c["term"].str.startswith("pre"), "pre-trend", "horizon")
        return c[["rel_time", "kind", "estimate", "std_error", "conf_low", "conf_high",
                  "p_value"]].sort_values("rel_time").reset_index(drop=True)

    def tidy(self) -> pd.DataFrame:
        """Broom columns, one row per term (``ATT``, ``tau::e``, ``pre::k``)."""
        return self.coef.reset_index(names="term")

    def to_dict(self) -> dict[str, Any]:
        """Static ATT, horizons, pre-trend coefficients and test, sizes, settings."""
        return {"att": self.att, "se": self.se, "terms": self.tidy(),
                "pretrend_test": dict(self.pretrend_wald), "nobs": self.nobs,
                "n_dropped": self.n_dropped, "n_treated": self.n_treated, "y": self.y,
                "fe": "+".join(self.fe), "weighted": self.weighted, "cluster": self.cluster,
                "variance": "BJS conservative, clustered (didimputation)",
                "notes": list(self.notes)}

    def summary(self) -> str:
        """Static ATT, horizons and the pre-trend test (returned, never printed)."""
        w = self.pretrend_wald
        lines = [f"BJS imputation on {self.y}: ATT = {self.att:.6g} (SE {self.se:.6g}), "
                 f"{self.n_treated} treated cells, first stage ~ 0 | {' + '.join(self.fe)}"]
        for r in self.event_table().itertuples():
            lines.append(f"  {r.kind:<9} {r.rel_time:>4}  {r.estimate: .5g}  ({r.std_error:.4g})")
        if w.get("df"):
            lines.append(f"pre-trend test: chi2({w['df']}) = {w['stat']:.4g}, "
                         f"p = {w['p_value']:.4g}")
        return "\n".join(lines)

    def tables(self) -> dict[str, Table]:
        """The estimates (static, horizons, pre-trends) with the pre-trend test in the note."""
        w = self.pretrend_wald
        test = (f"joint pre-trend test chi2({w['df']}) = {w['stat']:.3f}, "
                f"{p_is(w['p_value'])}" if w.get("df") else "no pre-trend coefficients")
        test_zh = (f"处理前趋势联合检验 chi2({w['df']}) = {w['stat']:.3f}，"
                   f"{p_is(w['p_value'])}" if w.get("df") else "无处理前系数")
        return {"imputation": Table(
            self.tidy(), Text("Borusyak–Jaravel–Spiess imputation estimator",
                              "Borusyak–Jaravel–Spiess 插补估计量"),
            Text("ATT = average over treated cells of y minus its imputed untreated value "
                 f"(fixed effects {' + '.join(self.fe)} fitted on untreated cells only); "
                 "tau::e = the same average e periods after treatment; pre::k = coefficients of "
                 "k periods before treatment in a regression on untreated cells, which should "
                 f"be near zero under parallel trends ({test}). SEs: BJS conservative "
                 f"variance, clustered by {cluster_word(self.cluster, 'en')}. Unlike TWFE, no treated cell is used "
                 "as a control, so dynamic or heterogeneous effects do not bias it.",
                 "ATT = 处理单元 y 与插补的未处理值之差的平均（固定效应仅用未处理单元估计）；tau::e 为处理后第 e 期的平均；"
                 f"pre::k 为未处理单元回归中处理前 k 期的系数，平行趋势下应接近零（{test_zh}）。"
                 f"标准误为 BJS 保守方差，按{cluster_word(self.cluster, 'zh')}聚类。与 TWFE 不同，不以任何已处理单元作对照，"
                 "因此动态或异质效应不会使其产生偏误。"), decimals=coef_decimals(self.coef))}

    def plot(self, lang: Lang = "en") -> Any:
        """Pre-trend coefficients and horizon effects with 95 % CIs."""
        import matplotlib.pyplot as plt

        t = self.event_table()
        fig, ax = plt.subplots(figsize=(7, 4))
        for kind, color in (("pre-trend", "C7"), ("horizon", "C0")):
            s = t[t["kind"] == kind]
            ax.errorbar(s["rel_time"], s["estimate"],
                        yerr=[s["estimate"] - s["conf_low"], s["conf_high"] - s["estimate"]],
                        fmt="o", color=color, capsize=3, label=kind if lang != "zh" else
                        {"pre-trend": "处理前", "horizon": "处理后"}[kind])
        ax.axhline(0, color="black", lw=0.8)
        ax.axhline(self.att, color="C0", lw=0.8, ls="--",
                   label=f"ATT = {self.att:.3g}")
        event_time_axis(ax, lang)
        ax.set_ylabel(f"effect on {self.y}" if lang != "zh" else f"对 {self.y} 的效应")
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
        return fig

    def figures(self) -> dict[str, Figure]:
        """The imputation event study."""
        return {"imputation_event_study": Figure(
            lambda lang: self.plot(lang), Text("Imputation event study (BJS)",
                                               "插补法事件研究（BJS）"),
            Text("Grey: pre-trend coefficients (should be near 0); blue: average effect e "
                 "periods after treatment, 95% CIs; dashed: the static ATT.",
                 "灰色：处理前系数（应接近 0）；蓝色：处理后第 e 期的平均效应及 95% 置信区间；虚线：静态 ATT。"))}


def imputation_did(panel: DIDPanel, *, y: str | None = None,
                   fe: Sequence[str] = DEFAULT_FE, fe_names: dict[str, str] | None = None,
                   weights: str | None = None, horizons: bool = True,
                   pretrends: Sequence[int] | None = None) -> ImputationResult:
    """The BJS imputation estimator (static ATT, horizons, pre-trend test).

    Parameters
    ----------
    panel : DIDPanel
    y : str, optional
        Safe outcome name (default the main outcome).
    fe : sequence of str
        First-stage fixed effects (see :mod:`pairnet.analyses._fe`); default unit + time.
    fe_names : dict, optional
        User column -> frame column for the terms of ``fe``.
    weights : str, optional
        Safe name of an observation-weight column.
    horizons : bool
        Estimate every horizon e ≥ 0 present.
    pretrends : sequence of int, optional
        Leads (negative) of the pre-trend test; default every lead −1, −2, … up to 5 that is
        present; ``()`` = no test.

    Raises
    ------
    InputError
        Bad weights or fixed-effect terms, a pre-trend lead not present in the data.
    EstimationError
        No treated cell can be imputed.
    """
    y = panel.y if y is None else y
    f = panel.frame
    n_all = len(f)
    d = f["treat"].to_numpy(float)
    g = f["cohort"].to_numpy()
    t = f["time"].to_numpy()
    ev = np.where(g > 0, (t - g).astype(float), -np.inf)
    w = np.ones(n_all) if weights is None else f[weights].to_numpy(float)
    if weights is not None and (~np.isfinite(w) | (w <= 0)).any():
        raise InputError("observation weights must be positive and not missing",
                         column=panel.label(weights), fix="fix these weights or drop `weights`")
    yy = f[y].to_numpy(float)
    codes = fe_codes(f, fe, fe_names)
    untr = d == 0
    # identified: every level of every fixed effect appears among the untreated cells
    ok = np.ones(n_all, bool)
    for c in codes:
        seen = np.zeros(int(c.max()) + 1, bool)
        seen[c[untr]] = True
        ok &= seen[c]
    if not (ok & ~untr).any():
        raise EstimationError("no treated cell can be imputed (every treated unit is treated in "
                              "all its periods, or no period has untreated units)")
    n_drop = int((~ok).sum())
    keep = np.flatnonzero(ok)
    d, g, t, ev, w, yy = d[keep], g[keep], t[keep], ev[keep], w[keep], yy[keep]
    unit = f["unit"].to_numpy()[keep]
    codes = [pd.factorize(c[keep])[0] for c in codes]
    untr = d == 0
    tr = ~untr
    z = _design(codes)
    z0 = z[np.flatnonzero(untr)]
    # first stage: weighted least squares of y on the fixed effects, untreated cells only
    w0 = w[untr]
    ata = (z0.T @ sparse.diags(w0) @ z0).tocsr()
    b = _solve(ata, z0.T @ (w0 * yy[untr]))
    adj = yy - z @ b
    # estimands: static and horizons, weights normalised to sum 1
    names = ["ATT"]
    cols = [(tr * w)]
    if horizons:
        for e in sorted(int(x) for x in np.unique(ev[tr])):
            names.append(f"tau::{e}")
            cols.append((ev == e) * w * tr)
    wtr = np.column_stack(cols).astype(float)
    wtr /= wtr.sum(axis=0)
    est = wtr[tr].T @ adj[tr]
    # implicit weights of the untreated cells (didimputation scales the design by w)
    zw = sparse.diags(w) @ z
    zw0, zw1 = zw[np.flatnonzero(untr)], zw[np.flatnonzero(tr)]
    c1 = (zw1.T @ wtr[tr])
    beta_v = _solve((zw0.T @ zw0).tocsr(), np.asarray(c1))
    v = np.zeros_like(wtr)
    v[untr] = -(zw0 @ beta_v)
    v[tr] = wtr[tr]
    ses = _se_inner(adj, v, tr, g, ev, unit)
    terms = names
    b_est, se = list(est), list(ses)
    # pre-trend test on the untreated cells
    pre_terms, wald, pre_b, pre_se = _pretrend(f, keep, untr, ev, yy, w, weights, codes,
                                               unit, pretrends)
    allb = np.array(b_est + pre_b)
    allse = np.array(se + pre_se)
    coef = coef_table(terms + pre_terms, allb, np.diag(allse ** 2), None)
    notes: tuple[str, ...] = ()
    if n_drop:
        notes = (f"{n_drop} cell(s) left out: their untreated outcome cannot be imputed "
                 "(a unit never observed untreated, or a period with no untreated unit)",)
    return ImputationResult(coef=coef, pretrend_wald=wald, y=panel.label(y), nobs=len(keep),
                            n_dropped=n_drop, n_treated=int(tr.sum()), fe=tuple(fe),
                            weighted=weights is not None, notes=notes)


def _se_inner(adj: np.ndarray, v: np.ndarray, tr: np.ndarray, g: np.ndarray, ev: np.ndarray,
              cluster: np.ndarray) -> np.ndarray:
    """Didimputation's conservative clustered SE of each estimand (column of ``v``)."""
    out = []
    key = pd.MultiIndex.from_arrays([g, ev])
    for j in range(v.shape[1]):
        vj = v[:, j]
        v2 = vj ** 2
        s = pd.DataFrame({"num": v2 * adj, "den": v2})
        grp = s.groupby(key)
        with np.errstate(invalid="ignore", divide="ignore"):
            tau = (grp["num"].transform("sum") / grp["den"].transform("sum")).to_numpy()
        tau = np.where(tr, tau, 0.0)
        tau[np.isnan(tau)] = 0.0
        resid = adj - tau
        per = pd.Series(vj * resid).groupby(cluster).sum().to_numpy()
        out.append(float(np.sqrt(np.sum(per ** 2))))
    return np.array(out)


def _pretrend(f: pd.DataFrame, keep: np.ndarray, untr: np.ndarray, ev: np.ndarray,
              yy: np.ndarray, w: np.ndarray, weights: str | None, codes: list[np.ndarray],
              unit: np.ndarray, pretrends: Sequence[int] | None
              ) -> tuple[list[str], dict[str, float], list[float], list[float]]:
    """BJS Test 1 on the untreated cells: lead dummies next to the fixed effects."""
    leads_there = sorted({int(e) for e in ev[untr] if np.isfinite(e) and e < 0})
    if pretrends is None:
        ks = [k for k in range(-5, 0) if k in leads_there]
    else:
        ks = sorted({int(k) for k in pretrends})
        bad = [k for k in ks if k >= 0 or k not in leads_there]
        if bad:
            raise InputError(f"pre-trend lead(s) {bad} not among the untreated cells' periods "
                             f"before treatment ({leads_there})", file="`pretrends`",
                             fix="choose negative leads present in the data")
    empty = {"stat": float("nan"), "df": 0, "p_value": float("nan"),
             "f_stat": float("nan"), "f_p_value": float("nan")}
    if not ks:
        return [], empty, [], []
    rows = np.flatnonzero(untr)
    dat = pd.DataFrame({"yy": yy[rows], "ww": w[rows], "cl": unit[rows]})
    for i, c in enumerate(codes):
        dat[f"fe{i}"] = c[rows]
    names = []
    for k in ks:
        nm = f"pre_m{-k}"
        dat[nm] = (ev[rows] == k).astype(float)
        names.append(nm)
    fml = f"yy ~ {' + '.join(names)} | {' + '.join(f'fe{i}' for i in range(len(codes)))}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = pf_feols(fml, dat, {"CRV1": "cl"}, weights="ww" if weights is not None else None)
    idx = [m.index(n) for n in names if m.has(n)]
    b = m.beta[idx]
    vc = m.vcov[np.ix_(idx, idx)]
    q = len(idx)
    stat = float(b @ np.linalg.pinv(vc) @ b)
    df_t = m.df_t
    wald = {"stat": stat, "df": q, "p_value": float(stats.chi2.sf(stat, q)),
            "f_stat": stat / q,
            "f_p_value": float(stats.f.sf(stat / q, q, df_t)) if df_t else float("nan")}
    kept = [k for k, n in zip(ks, names, strict=True) if m.has(n)]
    return ([f"pre::{k}" for k in kept], wald, list(map(float, b)),
            list(map(float, np.sqrt(np.diag(vc)))))
