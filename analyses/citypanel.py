"""City-panel models of seed 000: pooled, RE, FE, F and Hausman tests, mechanisms, robustness.

Two entry points compute and return a frozen :class:`CityPanelResult` (nothing is written or
printed; :func:`pairnet.core.outputs.write_result` writes its step folder):

- :func:`citypanel_suite` runs the battery on a city-year table of indicators, with the options
  of :class:`CityPanelOptions`;
- :func:`yrd_study` is seed 000 end to end: raw statistics -> indicators -> the battery.

Estimators and conventions (checked against R plm 2.6-2 on Grunfeld and on three unbalanced
panels of our own, fixest 0.14.2, sandwich 3.0.2 and fwildclusterboot 0.14.3:
``tests/reference/panel``):

- pooled OLS: numpy least squares; FE (within, entity or two-way): pyfixest ``feols``;
  RE: Swamy–Arora (plm's default ``random.method="swar"``) in :func:`swamy_arora`, on
  unbalanced panels with Baltagi & Chang's between-variance formula, as plm.
- ``se`` is the conventional (iid) standard error, as ``summary(plm(...))``.
- ``se_cluster`` follows plm's ``vcovHC(model, type="HC1", cluster="group")`` (Arellano):
  ``V = n/(n-k) · (X'X)⁻¹ Σ_g X_g'u_g u_g'X_g (X'X)⁻¹`` on the model's transformed data
  (demeaned for FE, quasi-demeaned for RE), with ``k`` the number of estimated coefficients
  (slopes only for FE) and **no** G/(G-1) factor; kept in results.json.
- ``se_crv1`` / ``p_crv1`` (what the clustered tables show): CR1 of Stata ``vce(cluster)`` and
  fixest, ``G/(G−1)·(N−1)/(N−K)`` times the same sandwich (FE: pyfixest's CRV1, ``K`` = slopes
  + effects not nested in the clusters), p-values and intervals on t(G−1).
- ``p_wild`` / ``ci_wild``: restricted wild cluster bootstrap (WCR-11; :func:`wild_fit`) of
  every coefficient of every least-squares model with 5–49 clusters.
- F test of FE against pooled = plm ``pFtest(within, pooling)``:
  ``F = ((SSR_p − SSR_fe)/(df_p − df_fe)) / (SSR_fe/df_fe)``.
- Hausman = plm ``phtest(within, random)``: ``(b_fe − b_re)'(V_fe − V_re)⁻¹(b_fe − b_re)`` with
  the conventional vcovs, df = number of slope coefficients; a negative value is reported as
  negative, flagged not valid (p NaN; plm returns its absolute value) and not used for the
  model choice. It always compares *individual* FE and RE (there is no two-way RE here);
  ``twoways`` changes the FE model reported and the F test (two-way within against pooled,
  as plm's ``pFtest(twoways, pooling)``).
- Mundlak: pooled OLS of y on x and the city means of x, cluster-robust (same HC1 convention)
  Wald test that the mean coefficients are zero, χ²(#means) — valid under heteroskedasticity
  and serial correlation, unlike the classical Hausman.
- Durbin–Wu–Hausman endogeneity test (control function), the reported endogeneity test: first
  stage ``mig`` on its lag (the instrument is pairnet's choice: seed 000 names none) and the
  other regressors with city FE; the first-stage residual is added to the FE model; the
  statistic is the squared t of that residual (χ²(1) conventional; F(1, G−1) with CR1).
  The IV estimate itself is pyfixest ``y ~ controls | city | mig ~ L_mig``.
- Hausman IV vs FE (the form of the statistic seed 000 reports, "统计量为 3.06，在 93.04%的概率下
  接受原假设"; chi2.sf(3.06, 8) = 0.9305, i.e. Stata ``hausman iv fe`` over all 8 slopes, with
  an instrument the paper does not name, so not a replication): the contrast
  ``(b_IV − b_FE)'(V_IV − V_FE)⁺(b_IV − b_FE)`` over the common slope coefficients, with the
  conventional vcovs (each model's own σ², as Stata's default), a generalized (eigenvalue)
  inverse and df = rank(V_IV − V_FE); the FE model is refitted on the IV's rows (each city's
  first year lost to the lag). When ``V_IV − V_FE`` is not positive definite this is said in
  the note, as Stata does.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from pairnet.analyses._pyfixest import feols as pf_feols
from pairnet.analyses.did import stars
from pairnet.core.errors import EstimationError, InputError, format_rows
from pairnet.core.i18n import Lang, Text, render
from pairnet.core.modeltable import ModelColumn, model_table, p_is
from pairnet.core.options import check_literal
from pairnet.core.reproducible import blas_single_threaded
from pairnet.core.results import Figure, ResultBase, Table, tidy_frame
from pairnet.core.tables import id_strings
from pairnet.panels.citypanel import city_split, descriptives, validate_panel

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

__all__ = [
    "PanelFit",
    "TestResult",
    "DWHResult",
    "CityPanelOptions",
    "CityPanelResult",
    "YRD_GLOSSARY",
    "citypanel_suite",
    "yrd_study",
    "prepare",
    "check_design",
    "fit_pooled",
    "fit_fe",
    "fit_re",
    "swamy_arora",
    "WildWeights",
    "WildBootstrap",
    "wild_weights",
    "wild_cluster_bootstrap",
    "wild_fit",
    "pftest",
    "phtest",
    "mundlak_test",
    "choose_model",
    "add_interactions",
    "lag_within",
    "dwh_test",
    "hausman_contrast",
    "heterogeneity",
    "subgroup_plot",
    "regression_table",
]

ModelName = Literal["pooled", "fe", "re"]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class PanelFit:
    """One fitted panel model.

    Attributes
    ----------
    model : str
        ``pooled``, ``fe``, ``fe_twoways``, ``re`` or ``iv``.
    coef, se, se_cluster : Series
        By variable name (``const`` for the intercept of pooled / RE). ``se`` is conventional,
        ``se_cluster`` plm's ``vcovHC(type="HC1", cluster="group")``.
    vcov, vcov_cluster : DataFrame
        Conventional and cluster-robust (plm HC1) covariance matrices.
    nobs, n_entities, df_resid : int
    ssr, r2 : float
        Residual sum of squares (transformed model for FE) and R² (within R² for FE).
    extra : dict
        Model-specific numbers (RE variance components and theta by entity, ...).
    vcov_crv1 : DataFrame, optional
        The clustered covariance of Stata ``vce(cluster)`` / fixest CR1:
        ``G/(G−1)·(N−1)/(N−K)`` times the sandwich (for FE, ``K`` counts the slopes and the
        effects not nested in the clusters, as fixest). Inference on it uses t(G−1).
    n_clusters : int
        ``G``, the number of clusters.
    p_wild, ci_wild : Series / DataFrame, optional
        Wild cluster bootstrap (WCR) p-values by coefficient, and 95% intervals (columns
        ``low, high``) where computed; ``wild`` says how (draws, weights, seed, enumeration).
    design : tuple, optional
        ``(X, y, clusters)`` the bootstrap runs on; its first ``len(coef)`` columns are the
        coefficients in order (not compared, not in ``repr``).
    """

    model: str
    y: str
    coef: pd.Series
    se: pd.Series
    se_cluster: pd.Series
    vcov: pd.DataFrame
    vcov_cluster: pd.DataFrame
    nobs: int
    n_entities: int
    df_resid: int
    ssr: float
    r2: float
    extra: dict = field(default_factory=dict)
    vcov_crv1: pd.DataFrame | None = None
    n_clusters: int = 0
    p_wild: pd.Series | None = None
    ci_wild: pd.DataFrame | None = None
    wild: dict = field(default_factory=dict)
    design: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def se_crv1(self) -> pd.Series:
        """CR1 standard errors (NaN where not computed)."""
        if self.vcov_crv1 is None:
            return pd.Series(np.nan, index=self.coef.index)
        return _se(self.vcov_crv1).reindex(self.coef.index)

    @property
    def df_crv1(self) -> int:
        """Degrees of freedom of CR1 inference: G − 1."""
        return self.n_clusters - 1

    def pvalues(self, cluster: bool = False) -> pd.Series:
        """Two-sided t-test p-values (df = residual df, as plm's coeftest).

        ``cluster`` uses ``se_cluster`` (plm HC1), still with the residual df; the few-cluster
        p-values are :meth:`pvalues_crv1`.
        """
        se = self.se_cluster if cluster else self.se
        return pd.Series(2 * stats.t.sf(np.abs(self.coef / se), self.df_resid), index=se.index)

    def pvalues_crv1(self) -> pd.Series:
        """Two-sided p-values of CR1 t statistics on t(G − 1) (Stata, fixest)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (self.coef / self.se_crv1).to_numpy(float)
            p = 2 * stats.t.sf(np.abs(t), self.df_crv1) if self.df_crv1 > 0 else np.nan * t
        return pd.Series(p, index=self.coef.index)

    def tidy(self, cluster: bool = True, level: float = 0.95) -> pd.DataFrame:
        """The coefficients in broom's columns, then ``model``, ``se_type`` and ``p_wild``.

        Parameters
        ----------
        cluster : bool
            Clustered CR1 standard errors with t(G−1) p-values and intervals (Stata
            ``vce(cluster)``, fixest), the default; or the conventional ones (``se``, as
            ``summary(plm(...))``) with the residual df.
        level : float
            Confidence level of ``conf_low, conf_high``.

        ``p_wild`` is the wild cluster bootstrap p-value (NaN where not run).
        """
        se = (self.se_crv1 if cluster else self.se).reindex(self.coef.index)
        df = self.df_crv1 if cluster else self.df_resid
        coef = self.coef.to_numpy(float)
        s = se.to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = coef / s
            q = stats.t.ppf((1 + level) / 2, df) if df > 0 else np.nan
            p = 2 * stats.t.sf(np.abs(t), df) if df > 0 else np.nan * t
        pw = (self.p_wild.reindex(self.coef.index).to_numpy(float) if self.p_wild is not None
              else np.full(len(coef), np.nan))
        return tidy_frame(list(self.coef.index), coef, s, t, p, coef - q * s, coef + q * s,
                          model=self.model, se_type="CR1" if cluster else "conventional",
                          p_wild=pw)

    def summary(self) -> str:
        """A plain-text coefficient table (CR1 clustered SEs, t(G−1), wild bootstrap p)."""
        head = (f"{self.model}: {self.y}, n={self.nobs}, entities={self.n_entities}, "
                f"clusters={self.n_clusters}, df={self.df_resid}, R2={self.r2:.4f}")
        tab = self.tidy().drop(columns=["model"])
        return head + "\n" + tab.to_string(index=False, float_format=lambda v: f"{v:.6g}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready.

        ``coef, se, p`` (conventional), ``se_cluster, p_cluster`` (plm HC1, residual df),
        ``se_crv1, p_crv1`` (CR1, t(G−1)), ``p_wild`` / ``ci_wild`` when the wild bootstrap
        ran (``wild`` says how), dicts by name, plus counts and ``extra``.
        """
        out: dict[str, Any] = {
            "coef": self.coef.to_dict(), "se": self.se.to_dict(),
            "se_cluster": self.se_cluster.to_dict(), "p": self.pvalues().to_dict(),
            "p_cluster": self.pvalues(True).to_dict(), "se_crv1": self.se_crv1.to_dict(),
            "p_crv1": self.pvalues_crv1().to_dict(), "n_clusters": self.n_clusters,
            "df_crv1": self.df_crv1, "nobs": self.nobs, "n_entities": self.n_entities,
            "df_resid": self.df_resid, "r2": self.r2}
        if self.p_wild is not None:
            out["p_wild"] = self.p_wild.to_dict()
        if self.ci_wild is not None:
            out["ci_wild"] = {k: [float(r["low"]), float(r["high"])]
                              for k, r in self.ci_wild.iterrows()}
        if self.wild:
            out["wild"] = dict(self.wild)
        out |= {k: (v.to_dict() if isinstance(v, pd.Series) else v)
                for k, v in self.extra.items()}
        return out

    def plot(self, terms: Sequence[str] | None = None, cluster: bool = True,
             scale: Mapping[str, float] | None = None,
             xlabel: str | None = None, lang: Lang = "en") -> MplFigure:
        """Coefficient plot with 95% intervals (CR1 and t(G−1) when ``cluster``).

        ``scale`` (term -> one standard deviation of that regressor) plots the effect of a
        one-SD increase instead of a one-unit increase, so regressors measured on very
        different scales share one comparable axis.
        """
        import matplotlib.pyplot as plt

        terms = [t for t in (terms or self.coef.index) if t != "const"]
        se = (self.se_crv1 if cluster else self.se)[terms]
        coef = self.coef[terms]
        if scale is not None:
            sd = pd.Series({t: float(scale.get(t, 1.0)) for t in terms})
            coef, se = coef * sd, se * sd
        q = stats.t.ppf(0.975, self.df_crv1 if cluster else self.df_resid)
        fig, ax = plt.subplots(figsize=(6, 0.4 * len(terms) + 1.5))
        yy = np.arange(len(terms))[::-1]
        ax.errorbar(coef, yy, xerr=q * se, fmt="o", capsize=3)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(yy, terms)
        ax.set_xlabel(xlabel or (f"change in {self.y} per one-SD increase of the regressor"
                                 if scale is not None else
                                 f"change in {self.y} per one-unit increase of the regressor"))
        est = _ESTIMATOR.get(self.model, Text(self.model, self.model))
        ax.set_title(Text(f"{est.en}: {self.y} ("
                          f"{'CR1 clustered, t(G-1)' if cluster else 'conventional'} 95% CI)",
                          f"{est.zh}：{self.y}（"
                          f"{'CR1 聚类，t(G-1)' if cluster else '常规'} 95% 置信区间）")(lang))
        fig.tight_layout()
        return fig


@dataclass(frozen=True)
class TestResult:
    """A test statistic: ``name, stat, df`` (int or (df1, df2)), ``p``."""

    __test__ = False  # a result class, not a pytest test class

    name: str
    stat: float
    df: Any
    p: float
    note: str = ""
    valid: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``stat, df`` (F tests: ``df1, df2``), ``p, note, valid`` and ``extra``."""
        df = ({"df1": self.df[0], "df2": self.df[1]} if isinstance(self.df, tuple)
              else {"df": self.df})
        return {"stat": self.stat, **df, "p": self.p, "note": self.note, "valid": self.valid,
                **dict(self.extra)}

    def summary(self) -> str:
        """One line (with the note when the test is not valid)."""
        line = f"{self.name}: stat={self.stat:.6g}, df={self.df}, p={self.p:.4g}"
        return line + (f" [not valid: {self.note}]" if not self.valid else "")

    def tidy(self) -> pd.DataFrame:
        """One row in broom's columns (``term`` = the test, no estimate), then ``df, note``.

        ``df`` is text: ``"7"``, or ``"(24, 311)"`` for an F test.
        """
        return tidy_frame([self.name], [np.nan], statistic=[self.stat], p_value=[self.p],
                          df=str(self.df), note=self.note)


@dataclass(frozen=True)
class DWHResult:
    """Durbin–Wu–Hausman endogeneity test and the IV fit."""

    test: TestResult
    test_cluster: TestResult
    iv: PanelFit
    first_stage_f: float
    hausman_iv_fe: TestResult
    fe: PanelFit  # the FE model on the IV's rows (the B of the IV-vs-FE contrast)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, the conventional DWH at the top level.

        Keys ``stat, df, p, note`` (DWH), ``cluster``, ``hausman_iv_fe`` (the paper's test),
        ``first_stage_f`` and the ``iv`` fit.
        """
        return {**self.test.to_dict(), "cluster": self.test_cluster.to_dict(),
                "hausman_iv_fe": self.hausman_iv_fe.to_dict(),
                "first_stage_f": self.first_stage_f, "iv": self.iv.to_dict()}

    def summary(self) -> str:
        """Three lines: DWH conventional, DWH clustered, Hausman IV vs FE."""
        return "\n".join(t.summary() for t in (self.test, self.test_cluster,
                                                self.hausman_iv_fe))

    def tests(self) -> list[TestResult]:
        """Both DWH variants, the IV-vs-FE Hausman and the first-stage F (p not given)."""
        first = TestResult(Text("first-stage F (instrument)", "第一阶段 F（工具变量）"),
                           self.first_stage_f, 1, np.nan)
        return [self.test, self.test_cluster, self.hausman_iv_fe, first]

    def tidy(self) -> pd.DataFrame:
        """The tests of :meth:`tests`, one row each, as :meth:`TestResult.tidy`.

        The IV coefficients are ``self.iv.tidy()``.
        """
        return pd.concat([t.tidy() for t in self.tests()], ignore_index=True)

    def table(self) -> pd.DataFrame:
        """The endogeneity table as published: ``test, stat, df, p`` and ``note`` (if any)."""
        tab = pd.DataFrame([{"test": t.name, "stat": t.stat, "df": str(t.df), "p": t.p,
                             "note": t.note} for t in self.tests()], dtype=object)
        tab = tab.astype({"stat": float, "p": float})  # test and note stay Text
        return tab if (tab["note"] != "").any() else tab.drop(columns="note")

    def plot(self) -> MplFigure:
        """IV coefficients with clustered 95% intervals."""
        return self.iv.plot(cluster=True)


# --------------------------------------------------------------------------- helpers


def prepare(df: pd.DataFrame, *, entity: str, time: str, y: str, x: Sequence[str],
            cluster: str | None = None, file: str | None = None) -> pd.DataFrame:
    """Validate and keep complete rows, sorted by (entity, time).

    Raises
    ------
    InputError
        Bad panel (see :func:`pairnet.panels.citypanel.validate_panel`), or ``y`` among ``x``.
    """
    x = list(x)
    if y in x:
        raise InputError(f"the outcome {y!r} is also a regressor", column=y,
                         fix="remove it from `x`")
    bad = [c for c in [entity, time, y, *x, *([cluster] if cluster else [])]
           if not str(c).isidentifier()]
    if bad:  # pyfixest formulas need plain names
        raise InputError(f"column name {bad[0]!r} cannot be used in a model formula",
                         column=bad[0], file=file,
                         fix="rename it to letters, digits and underscores (not starting "
                             "with a digit)")
    extra = [cluster] if cluster and cluster not in (entity, time) else []
    for c in extra:
        if c not in df.columns:
            raise InputError("cluster column not found", column=c, file=file,
                             fix=f"`cluster` must be one of: {_available(df)}")
    out = validate_panel(df, entity=entity, time=time, columns=[y, *x], file=file)
    for c in extra:
        miss = np.flatnonzero(out[c].isna().to_numpy())
        if len(miss):
            raise InputError("missing cluster id", column=c, file=file, rows=miss.tolist(),
                             fix="give every row its cluster")
    for c in [y, *x]:
        inf = np.flatnonzero(np.isinf(out[c].to_numpy(float)))
        if len(inf):
            raise InputError("infinite value", file=file, column=c, rows=inf.tolist(),
                             fix="replace it by a number or leave the cell empty")
    cols = [y, *x]
    complete = out[cols].notna().all(axis=1).to_numpy()
    n_cities = out.loc[complete, entity].nunique()
    if n_cities < 2:
        # name the columns that empty the sample, with their missing rows
        gaps = {c: np.flatnonzero(out[c].isna().to_numpy()) for c in cols}
        worst = sorted((c for c in cols if len(gaps[c])), key=lambda c: -len(gaps[c]))
        what = ("no row has all of " + ", ".join(cols) if n_cities == 0
                else "only one city has rows with all of " + ", ".join(cols))
        if worst:
            detail = "; ".join(f"'{c}' missing in {len(gaps[c])} of {len(out)} rows "
                               f"({format_rows(gaps[c])})" for c in worst[:3])
            raise InputError(f"{what}: {detail}", file=file, column=worst[0],
                             fix="fill these values (or drop a mostly empty regressor); the "
                                 "models need at least 2 cities with complete rows")
        raise InputError(f"{what}; the models need at least 2 cities", file=file,
                         column=entity, fix="add cities")
    out = out[complete].sort_values([entity, time]).reset_index(drop=True)
    return out


def _available(df: pd.DataFrame) -> str:
    """The table's column names, for the fix of an unknown-column message."""
    return ", ".join(map(str, df.columns))


def check_design(d: pd.DataFrame, x: Sequence[str], *, entity: str,
                 file: str | None = None, random_effects: bool = True) -> None:
    """Refuse regressors that pooled OLS and random effects cannot separate.

    A constant regressor is collinear with the intercept; a regressor that is a linear
    combination of earlier ones (``x2 = 2·x1``) is named with the columns it depends on. With
    ``random_effects``, also more cities than coefficients (the Swamy–Arora between regression).

    Raises
    ------
    InputError
        Naming the columns and the fix (drop one).
    """
    x = list(x)
    X = d[x].to_numpy(float)
    scale = np.abs(X).max(axis=0) if len(X) else np.zeros(len(x))
    for j, c in enumerate(x):
        if len(X) and np.ptp(X[:, j]) <= 1e-12 * (1 + scale[j]):
            raise InputError(f"regressor {c!r} is constant ({X[0, j]:g} in every complete row), "
                             "so it is collinear with the intercept", file=file, column=c,
                             fix=f"drop {c} from `x`")
    kept = [np.ones(len(X))]
    names = ["const"]
    for j, c in enumerate(x):
        A = np.column_stack(kept)
        b, *_ = np.linalg.lstsq(A, X[:, j], rcond=None)
        resid = X[:, j] - A @ b
        if np.linalg.norm(resid) <= 1e-9 * (1 + np.linalg.norm(X[:, j])):
            deps = [n for n, v in zip(names, b, strict=True)
                    if n != "const" and abs(v) > 1e-9]
            raise InputError(f"regressors are collinear: {c!r} is a linear combination of "
                             f"{', '.join(repr(n) for n in deps) or 'the intercept'}",
                             file=file, column=c,
                             fix=f"drop one of {', '.join([*deps, c])} from `x`")
        kept.append(X[:, j])
        names.append(c)
    n_cities = int(d[entity].nunique())
    if random_effects and n_cities < len(x) + 2:
        raise InputError(f"random effects need more cities than coefficients: {n_cities} "
                         f"cities with complete rows, {len(x) + 1} coefficients (constant and "
                         f"{len(x)} regressors)", file=file, column=entity,
                         fix=f"use at least {len(x) + 2} cities (or fewer regressors)")


def _sandwich(X: np.ndarray, u: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """``(X'X)⁻¹ Σ_g X_g'u_g u_g'X_g (X'X)⁻¹`` (no small-sample factor)."""
    bread = np.linalg.inv(X.T @ X)
    scores = X * u[:, None]
    codes = pd.factorize(groups)[0]
    g_scores = np.zeros((codes.max() + 1, X.shape[1]))
    np.add.at(g_scores, codes, scores)
    meat = g_scores.T @ g_scores
    return bread @ meat @ bread


def _cluster_vcov(X: np.ndarray, u: np.ndarray, groups: np.ndarray, k: int) -> np.ndarray:
    """Cluster vcov as plm ``vcovHC(type="HC1", cluster="group")``: n/(n-k) · bread·meat·bread."""
    n = X.shape[0]
    return n / (n - k) * _sandwich(X, u, groups)


def _crv1(X: np.ndarray, u: np.ndarray, groups: np.ndarray, k: int) -> np.ndarray:
    """CR1 of Stata ``vce(cluster)`` / fixest: ``G/(G−1)·(N−1)/(N−k)`` · sandwich."""
    n = X.shape[0]
    g = len(np.unique(groups))
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = g / (g - 1) * (n - 1) / (n - k) if g > 1 else np.nan
    return factor * _sandwich(X, u, groups)


def _n_clusters(groups: np.ndarray) -> int:
    return int(len(np.unique(groups)))


def _frame(mat: np.ndarray, names: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(mat, index=list(names), columns=list(names))


def _se(v: pd.DataFrame) -> pd.Series:
    return pd.Series(np.sqrt(np.diag(v.to_numpy())), index=v.index)


def _groups(df: pd.DataFrame, entity: str, cluster: str | None) -> np.ndarray:
    col = df[cluster or entity]
    return (col.to_numpy() if pd.api.types.is_numeric_dtype(col)
            else col.astype(str).to_numpy())


# --------------------------------------------------------------------------- estimators


def fit_pooled(df: pd.DataFrame, *, entity: str, time: str, y: str, x: Sequence[str],
               cluster: str | None = None) -> PanelFit:
    """Pooled OLS with an intercept (plm ``model="pooling"``)."""
    d = prepare(df, entity=entity, time=time, y=y, x=x, cluster=cluster)
    names = ["const", *x]
    X = np.column_stack([np.ones(len(d)), d[list(x)].to_numpy(float)])
    Y = d[y].to_numpy(float)
    n, k = X.shape
    if np.linalg.matrix_rank(X) < k:
        check_design(d, x, entity=entity, random_effects=False)  # names the columns
        raise EstimationError("pooled OLS: regressors are collinear")
    b, *_ = np.linalg.lstsq(X, Y, rcond=None)
    u = Y - X @ b
    ssr = float(u @ u)
    V = ssr / (n - k) * np.linalg.inv(X.T @ X)
    groups = _groups(d, entity, cluster)
    Vc = _cluster_vcov(X, u, groups, k)
    r2 = 1 - ssr / float(((Y - Y.mean()) ** 2).sum())
    vf, vcf = _frame(V, names), _frame(Vc, names)
    return PanelFit("pooled", y, pd.Series(b, index=names), _se(vf), _se(vcf), vf, vcf, n,
                    d[entity].nunique(), n - k, ssr, r2,
                    vcov_crv1=_frame(_crv1(X, u, groups, k), names),
                    n_clusters=_n_clusters(groups), design=(X, Y, groups))


@functools.cache
def _tight_demeaning() -> dict[str, Any]:
    """Demeaning options for pyfixest: 1e-12 (its default 1e-6 leaves ~1e-7 in two-way SEs)."""
    try:
        from pyfixest.demeaners import MapDemeaner
    except ImportError:  # pyfixest before the typed demeaner options
        return {"fixef_tol": 1e-12}
    return {"demeaner": MapDemeaner(fixef_tol=1e-12)}


def _fe_design(d: pd.DataFrame, *, entity: str, time: str, y: str, x: Sequence[str],
               groups: np.ndarray, twoways: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The FE model's design for the wild bootstrap: slopes first, then the effects.

    Equivalent to the regression on dummies that pyfixest's ``wildboottest`` (and
    fwildclusterboot) bootstrap: entity effects nested in the clusters are partialled out
    (Frisch–Waugh–Lovell; with weights constant within a cluster this leaves every bootstrap
    t statistic unchanged), other effects (year dummies of a two-way model, entity effects
    that cross clusters) stay as dummy columns.
    """
    codes = pd.factorize(d[entity].astype(str))[0]
    X = d[list(x)].to_numpy(float)
    Y = d[y].to_numpy(float)
    cols = [X]
    if twoways:
        tcodes = pd.factorize(d[time], sort=True)[0]
        cols.append(np.eye(tcodes.max() + 1)[tcodes][:, 1:])
    nested = bool((pd.Series(groups).groupby(codes).nunique() == 1).all())
    if nested:
        A = np.column_stack([*cols, Y])
        cnt = np.bincount(codes).astype(float)
        sums = np.zeros((len(cnt), A.shape[1]))
        np.add.at(sums, codes, A)
        A = A - (sums / cnt[:, None])[codes]
        return A[:, :-1], A[:, -1], groups
    cols += [np.ones((len(d), 1)), np.eye(codes.max() + 1)[codes][:, 1:]]
    return np.column_stack(cols), Y, groups


def fit_fe(df: pd.DataFrame, *, entity: str, time: str, y: str, x: Sequence[str],
           cluster: str | None = None, twoways: bool = False) -> PanelFit:
    """Within (fixed-effects) estimator via pyfixest; entity or entity + time effects."""
    d = prepare(df, entity=entity, time=time, y=y, x=x, cluster=cluster)
    fe = f"{entity} + {time}" if twoways else entity
    fml = f"{y} ~ {' + '.join(x)} | {fe}"
    try:
        with np.errstate(divide="ignore", invalid="ignore"):  # degenerate SEs -> NaN, no spill
            m = pf_feols(fml, d, "iid", fixef_rm="none",  # keep singletons, as plm
                          **_tight_demeaning())
    except Exception as exc:  # pyfixest raises its own types for collinearity etc.
        raise EstimationError(f"fixed effects ({fml}) failed: {exc}") from None
    if m.nobs != len(d):  # residuals must stay aligned with the cluster ids
        raise EstimationError(f"fixed effects ({fml}): pyfixest dropped "
                              f"{len(d) - m.nobs} rows")
    names = list(m.coefnames)
    if names != list(x):
        gone = sorted(set(x) - set(names))
        raise InputError(f"fixed effects: regressor(s) {', '.join(gone)} do not vary within "
                         "cities (or years) and are collinear with the effects",
                         column=gone[0] if gone else None,
                         fix=f"drop {', '.join(gone)} from `x`")
    Xd, yd, u = m.design()
    n, k = Xd.shape
    G = d[entity].nunique()
    df_resid = n - k - G - (d[time].nunique() - 1 if twoways else 0)
    ssr = float(u @ u)
    V = ssr / df_resid * np.linalg.inv(Xd.T @ Xd)
    groups = _groups(d, entity, cluster)
    Vc = _cluster_vcov(Xd, u, groups, k)
    r2 = 1 - ssr / float(((yd - yd.mean()) ** 2).sum())
    n_cl = _n_clusters(groups)
    if n_cl > 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            # fixest's CR1: G/(G-1)·(N-1)/(N-K), K = slopes + effects not nested in clusters
            crv1 = m.with_vcov({"CRV1": cluster or entity}).vcov
    else:
        crv1 = np.full((k, k), np.nan)
    vf, vcf = _frame(V, names), _frame(Vc, names)
    return PanelFit("fe_twoways" if twoways else "fe", y, pd.Series(m.beta, index=names),
                    _se(vf), _se(vcf), vf, vcf, n, G, df_resid, ssr, r2,
                    vcov_crv1=_frame(crv1, names), n_clusters=n_cl,
                    design=_fe_design(d, entity=entity, time=time, y=y, x=names,
                                      groups=groups, twoways=twoways))


def swamy_arora(d: pd.DataFrame, *, entity: str, y: str, x: Sequence[str]) -> dict[str, Any]:
    """Swamy–Arora variance components, as plm ``ercomp(random.method="swar")``.

    On ``d`` (complete rows, sorted by entity), with ``n`` entities, ``N`` rows, ``T_i`` rows
    of entity i and ``K`` regressors (plus the intercept):

    - ``σ²_ν = SSR_within / (N − n − K_w)``, ``K_w`` the rank of the demeaned regressors;
    - ``σ²_μ = (q_B − (n − K − 1)·σ²_ν) / (N − tr[(Z̄'Z̄)⁻¹ Σ_i T_i² z̄_i z̄_i'])``
      (Baltagi & Chang 1994), with ``Z̄`` the rows replaced by their entity means (intercept
      included) and ``q_B`` the sum of squared residuals of that "Between" regression, i.e. the
      between regression of the means *weighted by* ``T_i``. On a balanced panel this is
      ``Σ ū_i²/(n − K − 1) − σ²_ν/T``, plm's balanced formula; a negative ``σ²_μ`` is set to
      0, as plm does;
    - ``θ_i = 1 − sqrt(σ²_ν / (T_i σ²_μ + σ²_ν))``, one per entity.

    Returns a dict with ``sigma2_idios``, ``sigma2_id``, ``theta`` (array by row) and
    ``theta_entity`` (Series by entity).
    """
    x = list(x)
    codes, uniq = pd.factorize(d[entity].astype(str), sort=False)
    n_ent = len(uniq)
    t_i = np.bincount(codes, minlength=n_ent).astype(float)
    Z = np.column_stack([np.ones(len(d)), d[x].to_numpy(float)])
    Y = d[y].to_numpy(float)
    n, kz = Z.shape

    def means(a: np.ndarray) -> np.ndarray:
        sums = np.zeros((n_ent,) + a.shape[1:])
        np.add.at(sums, codes, a)
        return sums / (t_i if a.ndim == 1 else t_i[:, None])

    Zbar_e, ybar_e = means(Z), means(Y)
    Zw, yw = Z[:, 1:] - Zbar_e[codes, 1:], Y - ybar_e[codes]
    bw, _, k_w, _ = np.linalg.lstsq(Zw, yw, rcond=None)
    uw = yw - Zw @ bw
    df_w = n - n_ent - int(k_w)
    if df_w <= 0 or n_ent - kz <= 0:
        raise EstimationError("random effects: the within or the between regression has no "
                              "residual degrees of freedom")
    s2e = float(uw @ uw) / df_w
    Zb, yb = Zbar_e[codes], ybar_e[codes]
    bb, *_ = np.linalg.lstsq(Zb, yb, rcond=None)
    ub = yb - Zb @ bb
    sums = Zbar_e * t_i[:, None]
    tr = float(np.trace(np.linalg.solve(Zb.T @ Zb, sums.T @ sums)))
    s2u = max((float(ub @ ub) - (n_ent - kz) * s2e) / (n - tr), 0.0)
    theta_e = 1.0 - np.sqrt(s2e / (t_i * s2u + s2e))
    return {"sigma2_idios": s2e, "sigma2_id": s2u, "theta": theta_e[codes],
            "theta_entity": pd.Series(theta_e, index=list(uniq))}


def fit_re(df: pd.DataFrame, *, entity: str, time: str, y: str, x: Sequence[str],
           cluster: str | None = None) -> PanelFit:
    """Random effects, Swamy–Arora (plm ``model="random", random.method="swar"``).

    The variance components are :func:`swamy_arora` (balanced and unbalanced panels alike);
    the coefficients are OLS on the quasi-demeaned data ``z − θ_i z̄_i`` (intercept
    included), ``se`` from ``σ² = u'u/(N − K − 1)`` on those data, as ``summary(plm)``.
    ``extra["theta"]`` is θ by entity (they differ on an unbalanced panel).
    """
    d = prepare(df, entity=entity, time=time, y=y, x=x, cluster=cluster)
    x = list(x)
    comp = swamy_arora(d, entity=entity, y=y, x=x)
    theta = comp["theta"]
    names = ["const", *x]
    Z = np.column_stack([np.ones(len(d)), d[x].to_numpy(float)])
    Y = d[y].to_numpy(float)
    codes = pd.factorize(d[entity].astype(str), sort=False)[0]
    cnt = np.bincount(codes).astype(float)
    zsum = np.zeros((len(cnt), Z.shape[1]))
    np.add.at(zsum, codes, Z)
    ysum = np.bincount(codes, weights=Y)
    Xq = Z - theta[:, None] * (zsum / cnt[:, None])[codes]
    yq = Y - theta * (ysum / cnt)[codes]
    b, *_ = np.linalg.lstsq(Xq, yq, rcond=None)
    u = yq - Xq @ b
    n, k = Xq.shape
    ssr = float(u @ u)
    V = _frame(ssr / (n - k) * np.linalg.inv(Xq.T @ Xq), names)
    groups = _groups(d, entity, cluster)
    Vc = _frame(_cluster_vcov(Xq, u, groups, k), names)
    # plm's summary R²: cor(y, ŷ)² on the transformed data (= 1 − SSR/TSS only if balanced)
    r2 = float(np.corrcoef(yq, Xq @ b)[0, 1] ** 2)
    extra = {"sigma2_idios": comp["sigma2_idios"], "sigma2_id": comp["sigma2_id"],
             "theta": comp["theta_entity"], "method": "swar"}
    return PanelFit("re", y, pd.Series(b, index=names), _se(V), _se(Vc), V, Vc, n,
                    d[entity].nunique(), n - k, ssr, r2, extra,
                    vcov_crv1=_frame(_crv1(Xq, u, groups, k), names),
                    n_clusters=_n_clusters(groups), design=(Xq, yq, groups))


# --------------------------------------------------------------------------- wild bootstrap


WildWeights = Literal["rademacher", "webb"]

#: the wild bootstrap runs when a model has fewer clusters than this
WILD_MAX_CLUSTERS = 50
#: ... and at least this many: with 4 clusters Rademacher weights give 16 sign vectors, two of
#: which always tie with the statistic, too few for a p-value
WILD_MIN_CLUSTERS = 5


@dataclass(frozen=True)
class WildBootstrap:
    """Wild cluster bootstrap (WCR) of every coefficient of one regression.

    Attributes
    ----------
    p : ndarray
        Two-sided bootstrap p-values, one per tested column: the share of bootstrap
        ``|t*|`` strictly above ``|t|`` (ties, equal to 1e-10 relative, do not count, as in
        fwildclusterboot's ``mean(abs(t) < abs(t_boot))`` where ``t`` is the bootstrap
        statistic at weights 1).
    t : ndarray
        The CR1 t statistics (``G/(G−1)·(N−1)/(N−k)``, ``k`` = columns of the design).
    ci : ndarray or None
        ``(columns, 2)`` test-inversion intervals (bounds where the p-value crosses
        ``1 − level``), or None.
    draws : int
        Bootstrap samples used (``2^G`` under full enumeration).
    enumerated : bool
        Rademacher weights fully enumerated (``2^G ≤`` the draws asked for).
    """

    p: np.ndarray
    t: np.ndarray
    ci: np.ndarray | None
    draws: int
    enumerated: bool


def wild_weights(n_clusters: int, draws: int, weights: WildWeights = "rademacher",
                 seed: int = 0) -> tuple[np.ndarray, bool]:
    """The ``(G, B)`` weight matrix of the bootstrap, rows in sorted cluster order.

    Drawn by ``wildboottest.weights.draw_weights`` with ``numpy.random.default_rng(seed)``,
    exactly as ``wildboottest.WildboottestCL`` (and pyfixest's ``Feols.wildboottest``) draw
    them for the same seed; Rademacher weights are fully enumerated (all ``2^G`` sign
    vectors) when ``2^G ≤ draws`` — wildboottest itself enumerates only when ``2^G < draws``.
    """
    from wildboottest.weights import draw_weights

    check_literal(weights, WildWeights, "wild_weights")
    full = weights == "rademacher" and 2.0 ** n_clusters <= draws
    v, _ = draw_weights(t=weights, full_enumeration=full, N_G_bootcluster=n_clusters,
                        boot_iter=int(draws), rng=np.random.default_rng(seed))
    return np.asarray(v, float), full


def wild_cluster_bootstrap(X: np.ndarray, y: np.ndarray, groups: np.ndarray,
                           columns: Sequence[int], *, draws: int = 9999,
                           weights: WildWeights = "rademacher", seed: int = 0,
                           level: float | None = 0.95) -> WildBootstrap:
    """Restricted wild cluster bootstrap (WCR-11) of ``H0: β_j = 0`` for each ``j`` in ``columns``.

    The algorithm of ``wildboottest.WildboottestCL`` (``bootstrap_type="11"``,
    ``impose_null=True``; Roodman et al. 2019): restricted residuals ``ũ``, bootstrap
    samples ``y* = Xβ̃ + v_g ũ_g`` with one weight per cluster, CR1 t statistics; written with
    the statistic's numerator and squared denominator linear and quadratic in the null
    value, as fwildclusterboot does, so one set of products serves the p-value and the
    test-inversion interval. Every coefficient uses the same weights.

    Parameters
    ----------
    X, y, groups
        Design (full column rank), outcome and cluster ids (sorted in their natural order).
    columns
        The columns of ``X`` to test.
    draws, weights, seed
        Bootstrap samples, ``"rademacher"`` (enumerated when ``2^G ≤ draws``) or
        ``"webb"``, and the seed (see :func:`wild_weights`).
    level : float or None
        Confidence level of the test-inversion interval; None skips it.

    Raises
    ------
    EstimationError
        Fewer than 2 clusters.
    """
    from threadpoolctl import threadpool_limits

    # the (G, B) products are small: a multithreaded BLAS only waits for busy cores (it made
    # them ten times slower on the shared 2-core machine)
    with threadpool_limits(limits=1, user_api="blas"):
        return _wild_cluster_bootstrap(X, y, groups, columns, draws=draws, weights=weights,
                                       seed=seed, level=level)


def _wild_cluster_bootstrap(X: np.ndarray, y: np.ndarray, groups: np.ndarray,
                            columns: Sequence[int], *, draws: int,
                            weights: WildWeights, seed: int,
                            level: float | None) -> WildBootstrap:
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    try:  # the clusters' natural order (numbers as numbers), as wildboottest sorts them
        labels, gcode = np.unique(np.asarray(groups), return_inverse=True)
    except TypeError:
        labels, gcode = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    G = len(labels)
    n, k = X.shape
    if G < 2:
        raise EstimationError("wild cluster bootstrap: needs at least 2 clusters")
    v, enumerated = wild_weights(G, draws, weights, seed)
    B = v.shape[1]
    XtXinv = np.linalg.inv(X.T @ X)
    bhat = XtXinv @ (X.T @ y)
    uhat = y - X @ bhat
    ssc = (n - 1) / (n - k) * G / (G - 1)

    def csum(M: np.ndarray) -> np.ndarray:
        out = np.zeros((G, M.shape[1]))
        np.add.at(out, gcode, M)
        return out

    S_hat = csum(X * uhat[:, None])  # G x k scores at the unrestricted residuals
    tol = 1e-10
    p_out, t_out, ci_out = [], [], []
    for j in columns:
        a = XtXinv[:, j]
        w = X @ a
        Aw = csum(X * w[:, None])  # rows X_g'X_g a
        # restricted residuals at null r: û + c·w with c = (b_j − r)/a_j; scores linear in c
        C0, C1 = S_hat @ a, Aw @ a
        H0, H1 = Aw @ XtXinv @ S_hat.T, Aw @ XtXinv @ Aw.T
        # bootstrap cluster scores Z = M v with M = diag(C) − H; squared CR1 denominators
        # Σ_g Z_g² as quadratic forms v'(M'M)v, linear and quadratic in c
        N0, N1 = C0 @ v, C1 @ v
        M0, M1 = np.diag(C0) - H0, np.diag(C1) - H1

        def quad(Q: np.ndarray) -> np.ndarray:
            return np.einsum("gb,gb->b", v, Q @ v)

        D00, D11 = quad(M0.T @ M0), quad(M1.T @ M1)
        D01 = quad((M0.T @ M1 + M1.T @ M0) / 2)
        se = np.sqrt(ssc * float(((C0 - H0.sum(1)) ** 2).sum()))  # CR1 at û (weights 1)

        def pval(c: float, se: float = se, N0: np.ndarray = N0, N1: np.ndarray = N1,
                 D00: np.ndarray = D00, D01: np.ndarray = D01, D11: np.ndarray = D11,
                 aj: float = float(a[j])) -> float:
            with np.errstate(divide="ignore", invalid="ignore"):
                tb = (N0 + c * N1) / np.sqrt(ssc * (D00 + 2 * c * D01 + c * c * D11))
            t0 = abs(c * aj / se)
            ok = np.isfinite(tb)
            return float(np.mean(np.abs(tb[ok]) > t0 * (1 + tol))) if ok.any() else np.nan

        c0 = bhat[j] / a[j]  # r = 0
        p_out.append(pval(c0))
        t_out.append(bhat[j] / se)
        if level is not None:
            ci_out.append(_invert(pval, bhat[j], se, a[j], 1 - level))
    return WildBootstrap(np.array(p_out), np.array(t_out),
                         np.array(ci_out) if level is not None else None, B, enumerated)


def _invert(pval: Any, b: float, se: float, aj: float, alpha: float) -> tuple[float, float]:
    """Bounds where the bootstrap p-value of ``H0: β = r`` crosses ``alpha`` (bisection).

    From the point estimate (p = 1) outwards: the bracket grows by the CR1 SE until
    p < alpha, then bisection locates the step to 1e-9 SE.
    """
    if not np.isfinite(se) or se <= 0:
        return (np.nan, np.nan)

    def p_at(r: float) -> float:
        return float(pval((b - r) / aj))

    bounds = []
    for sign in (-1.0, 1.0):
        inner, outer = b, np.nan
        for m in (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0):
            r = b + sign * m * se
            if p_at(r) < alpha:
                outer = r
                break
            inner = r
        if not np.isfinite(outer):
            bounds.append(np.nan)
            continue
        for _ in range(200):
            mid = (inner + outer) / 2
            if abs(outer - inner) <= 1e-9 * se:
                break
            if p_at(mid) < alpha:
                outer = mid
            else:
                inner = mid
        bounds.append((inner + outer) / 2)
    return (bounds[0], bounds[1])


def wild_fit(fit: PanelFit, *, draws: int = 9999, weights: WildWeights = "rademacher",
             seed: int = 0, level: float = 0.95,
             max_clusters: int = WILD_MAX_CLUSTERS) -> PanelFit:
    """The fit with ``p_wild`` and ``ci_wild`` by coefficient (WCR, see :func:`wild_cluster_bootstrap`).

    Runs on the design the model was estimated on: pooled OLS on its regressors, FE on its
    demeaned regressors (plus the effects not nested in the clusters as dummies, see
    :func:`fit_fe`), RE on its quasi-demeaned data (θ held at its estimate). Returns ``fit``
    without ``p_wild`` when ``draws`` is 0, there are ``max_clusters`` clusters or more, fewer
    than :data:`WILD_MIN_CLUSTERS`, or no design (an IV fit); ``wild["status"]`` says why.
    """
    reason = None
    if draws <= 0:
        reason = "off (draws = 0)"
    elif fit.design is None:
        reason = "not available for this model"
    elif fit.n_clusters >= max_clusters:
        reason = f"not run: {fit.n_clusters} clusters (runs below {max_clusters})"
    elif fit.n_clusters < WILD_MIN_CLUSTERS:
        reason = (f"not run: {fit.n_clusters} clusters, fewer than {WILD_MIN_CLUSTERS} (too few "
                  "distinct bootstrap samples)")
    if reason is not None or fit.design is None:
        if fit.design is None and fit.wild.get("status"):
            return fit
        return dataclasses.replace(fit, wild={"status": reason})
    X, yv, groups = fit.design
    k = len(fit.coef)
    try:
        wb = wild_cluster_bootstrap(X, yv, groups, range(k), draws=draws, weights=weights,
                                    seed=seed, level=level)
    except np.linalg.LinAlgError:
        return dataclasses.replace(fit, wild={"status": "not run: singular design"})
    names = list(fit.coef.index)
    ci = (pd.DataFrame(wb.ci, index=names, columns=["low", "high"]) if wb.ci is not None
          else None)
    info = {"status": "ran", "method": "WCR-11 (null imposed), CR1 t statistics",
            "weights": weights, "draws": wb.draws, "enumerated": wb.enumerated, "seed": seed,
            "level": level, "clusters": fit.n_clusters}
    return dataclasses.replace(fit, p_wild=pd.Series(wb.p, index=names), ci_wild=ci,
                               wild=info)


# --------------------------------------------------------------------------- tests


def pftest(fe: PanelFit, pooled: PanelFit) -> TestResult:
    """F test of plm ``pFtest``: of the (individual or two-way) effects against pooled OLS."""
    df1 = pooled.df_resid - fe.df_resid
    df2 = fe.df_resid
    if df1 <= 0 or df2 <= 0:
        raise EstimationError("F test needs more observations than parameters")
    F = ((pooled.ssr - fe.ssr) / df1) / (fe.ssr / df2)
    return TestResult("F test for effects (plm pFtest)", float(F), (int(df1), int(df2)),
                      float(stats.f.sf(F, df1, df2)))


def phtest(fe: PanelFit, re: PanelFit) -> TestResult:
    """Hausman χ² of plm ``phtest``: ``(b_FE − b_RE)'(V_FE − V_RE)⁻¹(b_FE − b_RE)``.

    Conventional vcovs, df = number of common slopes. When ``V_FE − V_RE`` is not positive
    definite this is said in ``note``; a negative quadratic form is flagged ``valid=False``
    and gets ``p = NaN`` (no χ² p-value exists). plm 2.6-2 returns ``abs()`` of the quadratic form
    without a warning: that value and its p-value are kept in ``extra`` as ``stat_plm`` /
    ``p_plm``. :func:`choose_model` does not decide on an invalid Hausman test.
    """
    names = [c for c in fe.coef.index if c in re.coef.index and c != "const"]
    d = (fe.coef[names] - re.coef[names]).to_numpy()
    V = fe.vcov.loc[names, names].to_numpy() - re.vcov.loc[names, names].to_numpy()
    V = (V + V.T) / 2
    try:
        stat = float(d @ np.linalg.solve(V, d))
    except np.linalg.LinAlgError:
        stat = float(d @ np.linalg.pinv(V) @ d)
    lam = np.linalg.eigvalsh(V)
    k = len(names)
    p_plm = float(stats.chi2.sf(abs(stat), k))
    extra = {"stat_plm": abs(stat), "p_plm": p_plm,
             "min_eigenvalue": float(lam.min())}
    npd = int((lam <= 0).sum())
    if stat < 0:
        note = Text(f"V_FE - V_RE is not positive definite ({npd} of {k} eigenvalues <= 0): "
                    f"the statistic is negative ({stat:.4g}) and the test is not valid on these "
                    f"data; plm's phtest reports |chi2| = {abs(stat):.4g} ({p_is(p_plm)}) "
                    "without a warning",
                    f"V_FE - V_RE 非正定（{k} 个特征值中 {npd} 个 <= 0）：统计量为负（{stat:.4g}），"
                    f"该检验在这些数据上无效；plm 的 phtest 报告 |chi2| = {abs(stat):.4g}"
                    f"（{p_is(p_plm)}）且不给出警告")
        return TestResult("Hausman FE vs RE (plm phtest)", stat, k, float("nan"), note,
                          False, extra)
    note = (Text("", "") if lam.min() > 0 else
            Text(f"V_FE - V_RE is not positive definite ({npd} of {k} eigenvalues <= 0); the "
                 "statistic is positive and its chi2 p-value is reported (as Stata's hausman "
                 "does) with this caveat",
                 f"V_FE - V_RE 非正定（{k} 个特征值中 {npd} 个 <= 0）；统计量为正，按 Stata "
                 "hausman 的做法报告其 chi2 p 值，但需注意这一点"))
    return TestResult("Hausman FE vs RE (plm phtest)", stat, k, float(stats.chi2.sf(stat, k)),
                      note, True, extra)


def hausman_contrast(b: pd.Series, V_b: pd.DataFrame, B: pd.Series, V_B: pd.DataFrame, *,
                     name: str | Text = "Hausman") -> TestResult:
    """Stata-style ``hausman``: ``(b − B)'(V_b − V_B)⁺(b − B)`` over the common coefficients.

    ``b`` is consistent under both hypotheses, ``B`` efficient under H0. The inverse is the
    Moore–Penrose (eigenvalue) generalized inverse of the symmetrized difference, and
    ``df = rank(V_b − V_B)`` (eigenvalues above ``max|λ|·k·eps``), as Stata reports. A
    difference matrix that is not positive definite is stated in ``note``; a negative
    statistic gets ``p = nan`` (Stata: the data fail the asymptotic assumptions).
    """
    names = [c for c in b.index if c in B.index and c != "const"]
    if not names:
        raise EstimationError(f"{name}: the two models share no coefficient")
    d = (b[names] - B[names]).to_numpy(float)
    D = V_b.loc[names, names].to_numpy(float) - V_B.loc[names, names].to_numpy(float)
    D = (D + D.T) / 2
    lam, Q = np.linalg.eigh(D)
    tol = np.abs(lam).max() * len(names) * np.finfo(float).eps
    keep = np.abs(lam) > tol
    rank = int(keep.sum())
    if rank == 0:
        raise EstimationError(f"{name}: V_b - V_B is zero")
    proj = Q[:, keep].T @ d
    stat = float(proj @ (proj / lam[keep]))
    notes = []
    if not (lam > tol).all():
        neg = int((lam < -tol).sum())
        notes.append(Text("V_b - V_B is not positive definite (generalized inverse used; "
                          f"{neg} negative eigenvalue(s))",
                          f"V_b - V_B 非正定（使用广义逆；{neg} 个负特征值）"))
    if rank < len(names):
        notes.append(Text(f"rank {rank} < {len(names)} coefficients",
                          f"秩 {rank} < {len(names)} 个系数"))
    p = float(stats.chi2.sf(stat, rank)) if stat >= 0 else float("nan")
    if stat < 0:
        notes.append(Text("statistic negative: the asymptotic assumptions fail on these data",
                          "统计量为负：这些数据不满足渐近假设"))
    return TestResult(name, stat, rank, p,
                      Text("; ".join(n.en for n in notes), "；".join(n.zh for n in notes)))


def mundlak_test(df: pd.DataFrame, *, entity: str, time: str, y: str, x: Sequence[str],
                 cluster: str | None = None) -> TestResult:
    """Cluster-robust Mundlak test that the city means of x are jointly zero in pooled OLS."""
    d = prepare(df, entity=entity, time=time, y=y, x=x, cluster=cluster)
    varying = [c for c in x if (d.groupby(entity)[c].std() > 1e-12 * (1 + d[c].abs().max())).any()]
    if not varying:
        raise EstimationError("Mundlak test: no regressor varies within cities")
    means = d.groupby(entity)[varying].transform("mean").add_prefix("mean_")
    d2 = pd.concat([d, means], axis=1)
    fit = fit_pooled(d2, entity=entity, time=time, y=y, x=[*x, *means.columns],
                     cluster=cluster)
    names = list(means.columns)
    name = "Mundlak (cluster-robust Wald on city means)"
    q, g = len(names), fit.n_clusters
    if q > g - 1:  # the clustered vcov has rank <= G - 1: no Wald test of q restrictions
        return TestResult(name, float("nan"), q, float("nan"),
                          f"not defined: the clustered covariance has rank at most G - 1 = "
                          f"{g - 1} < {q} restrictions", False)
    b = fit.coef[names].to_numpy()
    V = fit.vcov_cluster.loc[names, names].to_numpy()
    stat = float(b @ np.linalg.solve(V, b))
    return TestResult(name, stat, q, float(stats.chi2.sf(stat, q)))


def choose_model(f: TestResult, h: TestResult, mundlak: TestResult | None = None,
                 alpha: float = 0.05) -> tuple[ModelName, str]:
    """Which model the tests select, and a sentence saying why.

    F does not reject -> pooled. Else Hausman rejects RE -> FE, does not -> RE. A Hausman
    test that is not valid (``h.valid`` False: ``V_FE − V_RE`` not positive definite) decides
    nothing (a negative statistic): the cluster-robust Mundlak test decides instead (rejects -> FE, else RE), and
    without a usable Mundlak p-value FE (consistent under both hypotheses) is kept. The line
    says which test decided and whether Mundlak agrees with a valid Hausman test.
    """
    if f.p >= alpha:
        chosen: ModelName = "pooled"
        line = f"F test does not reject pooled OLS ({p_is(f.p)}) -> pooled"
    elif h.valid and np.isfinite(h.p):
        chosen = "fe" if h.p < alpha else "re"
        line = (f"F test rejects pooled ({p_is(f.p)}); Hausman "
                + (f"rejects RE ({p_is(h.p)}) -> fixed effects" if chosen == "fe" else
                   f"does not reject RE ({p_is(h.p)}) -> random effects"))
    else:
        why = f"Hausman not valid (V_FE - V_RE not positive definite, chi2 = {h.stat:.4g})"
        if mundlak is not None and np.isfinite(mundlak.p):
            chosen = "fe" if mundlak.p < alpha else "re"
            return chosen, (f"F test rejects pooled ({p_is(f.p)}); {why}, so the cluster-robust "
                            f"Mundlak test decides: {p_is(mundlak.p)} -> "
                            + ("fixed effects" if chosen == "fe" else "random effects"))
        return "fe", (f"F test rejects pooled ({p_is(f.p)}); {why} and no Mundlak test -> "
                      "fixed effects (consistent under both hypotheses)")
    if mundlak is not None and not np.isfinite(mundlak.p):
        line += f"; cluster-robust Mundlak {mundlak.note or 'not available'}"
    elif mundlak is not None:
        agree = (mundlak.p < alpha) == (h.p < alpha)
        line += (f"; cluster-robust Mundlak {p_is(mundlak.p)} "
                 f"({'agrees' if agree else 'disagrees'})")
    return chosen, line


# --------------------------------------------------------------------------- extensions


def add_interactions(df: pd.DataFrame, pairs: Sequence[tuple[str, str]], *,
                     centre: bool = False) -> tuple[pd.DataFrame, list[str]]:
    """Add ``A_x_B`` columns; with ``centre`` the factors are centred at their sample means."""
    out = df.copy()
    names = []
    for a, b in pairs:
        for c in (a, b):
            if c not in out.columns:
                raise InputError("interaction column not found", column=c, file="`interact`",
                                 fix=f"write A:B with columns of the table: {_available(df)}")
        va, vb = out[a].astype(float), out[b].astype(float)
        if centre:
            va, vb = va - va.mean(), vb - vb.mean()
        name = f"{a}_x_{b}"
        out[name] = va * vb
        names.append(name)
    return out, names


def lag_within(df: pd.DataFrame, col: str, *, entity: str, time: str) -> pd.Series:
    """One-year lag of ``col`` within each entity; missing when year t-1 is absent.

    The first year of every city is lost (never filled). Aligned with ``df``'s index.
    """
    d = df[[entity, time, col]].copy()
    prev = d.assign(**{time: d[time] + 1}).rename(columns={col: "_lag"})
    merged = d[[entity, time]].merge(prev[[entity, time, "_lag"]], on=[entity, time],
                                     how="left")
    return pd.Series(merged["_lag"].to_numpy(), index=df.index, name=f"L_{col}")


def dwh_test(df: pd.DataFrame, *, entity: str, time: str, y: str, x: Sequence[str],
             endog: str, instrument: str, cluster: str | None = None,
             twoways: bool = False) -> DWHResult:
    """Endogeneity of ``endog`` with one instrument, city FE: DWH and Hausman IV vs FE.

    Rows missing the instrument are dropped first, so every model (first stage, control
    function, IV and the FE of the contrast) uses the same rows. With ``twoways`` all of them
    also carry year effects. ``iv.se`` is conventional (σ² = u'u/(n − k − #effects) on the
    within-transformed data, σ² from the IV's own structural residuals), ``iv.se_cluster`` is
    pyfixest CRV1.
    """
    x = list(x)
    if endog not in x:
        raise InputError(f"{endog!r} is not among the regressors", column=endog)
    exo = [c for c in x if c != endog]
    d = prepare(df, entity=entity, time=time, y=y, x=[*x, instrument], cluster=cluster)
    fes = f"{entity} + {time}" if twoways else entity
    fs = fit_fe(d, entity=entity, time=time, y=endog, x=[instrument, *exo], cluster=cluster,
                twoways=twoways)
    m1 = pf_feols(f"{endog} ~ {' + '.join([instrument, *exo])} | {fes}", d, "iid",
                  fixef_rm="none", **_tight_demeaning())
    d = d.assign(_v1=m1.design()[2])
    cf = fit_fe(d, entity=entity, time=time, y=y, x=[*x, "_v1"], cluster=cluster,
                twoways=twoways)
    t = cf.coef["_v1"] / cf.se["_v1"]
    tc = float(cf.coef["_v1"] / cf.se_crv1["_v1"])
    test = TestResult(Text("Durbin-Wu-Hausman (conventional)", "Durbin-Wu-Hausman 检验（常规）"),
                      float(t**2), 1,
                      float(stats.chi2.sf(t**2, 1)))
    g1 = cf.df_crv1
    # CR1 t statistic of the first-stage residual on t(G-1), i.e. tc² ~ F(1, G-1)
    test_c = TestResult(Text("Durbin-Wu-Hausman (CR1 clustered, F(1, G-1))",
                             "Durbin-Wu-Hausman 检验（CR1 聚类，F(1, G-1)）"), tc**2, (1, g1),
                        float(2 * stats.t.sf(abs(tc), g1)) if g1 > 0 else float("nan"))
    rhs = " + ".join(exo) if exo else "1"
    ivm = pf_feols(f"{y} ~ {rhs} | {fes} | {endog} ~ {instrument}", d,
                   {"CRV1": cluster or entity}, fixef_rm="none", **_tight_demeaning())
    if ivm.nobs != len(d):
        raise EstimationError(f"IV: pyfixest dropped {len(d) - ivm.nobs} rows")
    names = list(ivm.coefnames)
    coef = pd.Series(ivm.beta, index=names)
    se_c = pd.Series(np.sqrt(np.diag(ivm.vcov)), index=names)
    n_fe = d[entity].nunique() + (d[time].nunique() - 1 if twoways else 0)
    df_resid = ivm.nobs - len(coef) - n_fe
    # conventional 2SLS vcov on the within-transformed data: σ²(X'Pz X)⁻¹
    Xd, Yd, _ = ivm.design()
    Zd = ivm.instruments()
    u = Yd - Xd @ coef.to_numpy()
    XZ = Xd.T @ Zd
    V = float(u @ u) / df_resid * np.linalg.inv(XZ @ np.linalg.solve(Zd.T @ Zd, XZ.T))
    vf = _frame(V, names)
    empty = pd.DataFrame(np.nan, index=names, columns=names)
    iv = PanelFit("iv", y, coef, _se(vf), se_c, vf, empty, ivm.nobs, d[entity].nunique(),
                  df_resid, float(u @ u), float("nan"),
                  {"se_note": "se conventional (2SLS, own sigma); se_cluster and se_crv1 are "
                              "pyfixest CRV1"},
                  vcov_crv1=_frame(np.asarray(ivm.vcov, float), names),
                  n_clusters=_n_clusters(_groups(d, entity, cluster)),
                  wild={"status": "not run: IV (the restricted wild bootstrap here is for "
                                  "least squares)"})
    fe = fit_fe(d, entity=entity, time=time, y=y, x=x, cluster=cluster, twoways=twoways)
    h = hausman_contrast(iv.coef, iv.vcov, fe.coef, fe.vcov,
                         name=Text("Hausman IV vs FE (Stata hausman, conventional)",
                                   "Hausman 检验：IV vs 固定效应（Stata hausman，常规）"))
    f1 = float((fs.coef[instrument] / fs.se[instrument]) ** 2)
    return DWHResult(test, test_c, iv, f1, h, fe)


def heterogeneity(df: pd.DataFrame, *, entity: str, time: str, y: str, x: Sequence[str],
                  splits: Mapping[str, float | None], cluster: str | None = None,
                  twoways: bool = False) -> dict[str, dict[str, Any]]:
    """FE regressions in the ``high`` and ``low`` city groups of each splitter.

    ``splits`` maps a column to a threshold (``None`` = median of the city means).
    """
    out: dict[str, dict[str, Any]] = {}
    for col, thr in splits.items():
        if col not in df.columns:
            raise InputError("split column not found", column=col, file="`split`",
                             fix=f"split on a column of the table: {_available(df)}")
        grp = city_split(df, col, entity=entity, threshold=thr)
        means = df.groupby(entity)[col].mean()
        cut = float(means.median()) if thr is None else float(thr)
        res: dict[str, Any] = {"cut": cut, "rule": "median of city means" if thr is None
                               else f">= {thr:g}"}
        for g in ("high", "low"):
            sub = df[grp.to_numpy() == g]
            if sub[entity].nunique() < 2:
                raise EstimationError(f"split on {col!r}: group {g!r} has fewer than 2 cities")
            res[g] = fit_fe(sub, entity=entity, time=time, y=y, x=x, cluster=cluster,
                            twoways=twoways)
        out[col] = res
    return out


def subgroup_plot(het: Mapping[str, Mapping[str, Any]], term: str,
                  xlabel: str | None = None, lang: Lang = "en") -> MplFigure:
    """Coefficient of ``term`` in the high / low group of each splitter (CR1, t(G−1) 95% CI)."""
    import matplotlib.pyplot as plt

    labels, est, half = [], [], []
    for col, res in het.items():
        for g in ("high", "low"):
            f: PanelFit = res[g]
            labels.append(f"{col} " + {"high": Text("high", "高"), "low": Text("low", "低")}[g](lang))
            est.append(f.coef[term])
            half.append(stats.t.ppf(0.975, f.df_crv1) * f.se_crv1[term])
    fig, ax = plt.subplots(figsize=(6, 0.4 * len(labels) + 1.2))
    yy = np.arange(len(labels))[::-1]
    ax.errorbar(est, yy, xerr=half, fmt="o", capsize=3)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(yy, labels)
    ax.set_title(Text(f"{term}: subgroup estimates", f"{term}：分组估计")(lang))
    ax.set_xlabel(xlabel or Text(f"coefficient on {term}", f"{term} 的系数")(lang))
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- tables


def regression_table(fits: Sequence[PanelFit], labels: Sequence[str], *,
                     cluster: bool = False, rows: Sequence[str] | None = None,
                     stats_rows: Mapping[str, Sequence[Any]] | None = None,
                     wild: bool = True) -> pd.DataFrame:
    """Paper layout: one column per model, coefficient with stars, SE in parentheses below.

    ``cluster``: CR1 SEs with stars from t(G−1); and, with ``wild``, a third line per
    coefficient with the wild cluster bootstrap p-value in brackets where it ran. Otherwise
    conventional SEs, stars from t(residual df). Stars: *** p<0.01, ** p<0.05, * p<0.1.
    Footer rows: N, R², clusters (when ``cluster``), then ``stats_rows`` (e.g. F and
    Hausman) — one value per model, "" where not applicable.
    """
    terms: list[str] = list(rows) if rows else []
    for f in fits:
        terms += [t for t in f.coef.index if t not in terms and t != "_v1"]
    if "const" in terms:
        terms = [t for t in terms if t != "const"] + ["const"]
    pvalues = [f.pvalues_crv1() if cluster else f.pvalues() for f in fits]
    show_wild = cluster and wild and any(f.p_wild is not None for f in fits)
    body: list[list[str]] = []
    for t in terms:
        est, sev, wv = [t], [""], [""]
        for f, pv in zip(fits, pvalues, strict=True):
            if t in f.coef.index:
                se = (f.se_crv1 if cluster else f.se)[t]
                est.append(f"{f.coef[t]:.4f}{stars(float(pv[t]))}")
                sev.append(f"({se:.4f})")
                pw = f.p_wild.get(t, np.nan) if f.p_wild is not None else np.nan
                wv.append("" if not np.isfinite(pw) else f"[{pw:.3f}]")
            else:
                est.append("")
                sev.append("")
                wv.append("")
        body += [est, sev, wv] if show_wild else [est, sev]
    body.append(["N", *[str(f.nobs) for f in fits]])
    body.append(["R2", *[("" if np.isnan(f.r2) else f"{f.r2:.4f}") for f in fits]])
    if cluster:
        body.append(["Clusters", *[str(f.n_clusters) for f in fits]])
    for name, vals in (stats_rows or {}).items():
        body.append([name, *[str(v) for v in vals]])
    return pd.DataFrame(body, columns=["variable", *labels])


# --------------------------------------------------------------------------- pipelines


#: Seed 000's variables: code, definition (as the paper defines it), unit; definitions and units
#: are :class:`Text` (the Chinese term of the paper in the Chinese text only).
_RATIO = Text("ratio", "比值")
YRD_GLOSSARY = pd.DataFrame([
    ("gdp_pc", Text("GDP per capita (outcome): real GDP / resident population",
                    "人均GDP（被解释变量）：实际 GDP / 常住人口"),
     Text("10,000 yuan per person (base-year prices)", "万元/人（基期价格）")),
    ("mig", Text("Population mobility: (resident − registered population) / registered",
                 "人口流动：（常住人口 − 户籍人口）/ 户籍人口"), _RATIO),
    ("str", Text("Industrial structure: tertiary / secondary employment",
                 "产业结构：第三产业就业 / 第二产业就业"), _RATIO),
    ("tec", Text("Technological innovation: city innovation index, Kou & Liu 2017",
                 "科技创新：城市创新指数（寇宗来、刘学悦 2017）"), Text("index", "指数")),
    ("cos", Text("Household consumption: urban per-capita consumption / per-capita GDP",
                 "居民消费：城镇居民人均消费支出 / 人均 GDP"), _RATIO),
    ("inc", Text("Per-capita disposable income; control", "人均可支配收入；控制变量"),
     Text("10,000 yuan (base-year prices)", "万元（基期价格）")),
    ("inv", Text("Fixed-asset investment / GDP; control", "固定资产投资 / GDP；控制变量"), _RATIO),
    ("gov", Text("Government expenditure / GDP; control", "政府支出规模：财政支出 / GDP；控制变量"),
     _RATIO),
    ("tra", Text("Openness: trade / GDP; control", "对外开放程度：进出口总额 / GDP；控制变量"),
     _RATIO),
    ("fdi", Text("Foreign direct investment / GDP; control", "外商投资水平：外商直接投资 / GDP；控制变量"),
     _RATIO),
    ("urb", Text("Urbanisation: urban / resident population; control",
                 "城镇化水平：城镇人口 / 常住人口；控制变量"), _RATIO),
    ("hukou", Text("Hukou restriction: resident / registered population (higher = stricter "
                   "household-registration control, as the seed paper's note 9 reads it); "
                   "subgroup split",
                   "户籍管制：常住人口 / 户籍人口（数值越高管制越严，依据种子论文注 9）；分组变量"),
     _RATIO),
    ("density", Text("Population density: resident population / land area; subgroup split",
                     "人口密度：常住人口 / 土地面积；分组变量"),
     Text("persons per km²", "人/平方千米")),
    ("school_years", Text("Average years of schooling of the population aged 6+: (6 × primary + "
                          "9 × junior + 12 × senior + 16 × college) / population 6+ (the seed "
                          "paper's note 10); subgroup split",
                          "6 岁及以上人口平均受教育年限：（6 × 小学 + 9 × 初中 + 12 × 高中 + 16 × "
                          "大专及以上）/ 6 岁及以上人口（种子论文注 10）；分组变量"),
     Text("years", "年")),
    ("pop_resident", Text("Resident population; city size split at 500 (5 million people)",
                          "常住人口；城市规模以 500 万人为界分组"), Text("10,000 persons", "万人")),
    ("L_mig", Text("mig lagged one year (robustness and instrument)",
                   "mig 的一年滞后项（稳健性检验与工具变量）"), _RATIO),
], columns=["code", "definition", "unit"], dtype=object)  # object: the cells stay Text

_MODEL_LABELS = ("Pooled (ME) = pooled OLS, the paper's 'mixed effects' (混合效应) column; "
                 "RE = random effects; FE = city fixed effects")
_ESTIMATOR = {"pooled": Text("pooled OLS", "混合 OLS"), "re": Text("RE (Swamy–Arora)", "随机效应（Swamy–Arora）"),
              "fe": Text("FE (within)", "固定效应（组内）"),
              "fe_twoways": Text("FE (two-way within)", "双向固定效应（组内）"),
              "iv": Text("IV (FE)", "工具变量（固定效应）")}


def _head(model: str) -> str | Text:
    """The column head of a mechanism or lag model (``baseline`` or ``A_x_B``)."""
    return Text("baseline", "基准模型") if model == "baseline" else model


def _parse_split(spec: str) -> tuple[str, float | None]:
    if ">=" in spec:
        col, thr = spec.split(">=", 1)
        try:
            return col.strip(), float(thr)
        except ValueError:
            raise InputError(f"bad threshold in {spec!r}", file="`split`",
                             fix="write COL or COL>=NUMBER") from None
    return spec.strip(), None


def _split_rules(split: Sequence[str]) -> dict[str, float | None]:
    """``{column: threshold or None}`` of the ``split`` specs (``COL`` or ``COL>=NUMBER``)."""
    return dict(_parse_split(s) for s in split)


@dataclass(frozen=True)
class CityPanelOptions:
    """Options of :func:`citypanel_suite`; the defaults live here.

    Attributes
    ----------
    cluster : str, optional
        Cluster column of the robust SEs (default: the entity).
    twoways : bool
        Two-way (entity + time) FE for the FE model and every FE-based extension.
    lag : str, optional
        A regressor to replace by its one-year within-city lag (robustness), also used as the
        instrument of the Durbin–Wu–Hausman test. Must be one of ``x``.
    interact : sequence of (A, B)
        Mechanism models: baseline + B (if not already a regressor) + A×B.
    centre : bool
        Centre interaction factors at their means.
    split : sequence of str
        Heterogeneity splitters: ``COL`` (median of city means) or ``COL>=NUMBER``.
    describe : sequence of str, optional
        Columns for the descriptive table (default y and x).
    names : mapping
        City id -> name for the descriptive table (and the YRD study's display tables).
    glossary : DataFrame, optional
        ``code, definition, unit`` of the variables: published as the first table, and the
        units are listed under the descriptive table.
    y_label : str or Text, optional
        The outcome with its unit, for figure axes (default ``y``); a :class:`Text` gives the
        unit in each report language.
    title : str
        Title of the step folder and report section.
    wild_draws : int
        Wild cluster bootstrap draws for every clustered model with fewer than 50 clusters
        (0 = off). Rademacher weights are fully enumerated when ``2^G ≤ wild_draws``.
    wild_weights : {"rademacher", "webb"}
        Bootstrap weights (Webb's six-point weights for very few clusters).
    seed : int
        Seed of the bootstrap weights (every model uses the same weights).

    Raises
    ------
    InputError
        A ``split`` threshold that is not a number, an ``interact`` item that is not a pair,
        ``wild_draws`` or ``seed`` not a whole number >= 0, unknown ``wild_weights``.
    """

    cluster: str | None = None
    twoways: bool = False
    lag: str | None = None
    interact: Sequence[tuple[str, str]] = ()
    centre: bool = False
    split: Sequence[str] = ()
    describe: Sequence[str] | None = None
    names: Mapping[str, str] = field(default_factory=dict)
    glossary: pd.DataFrame | None = None
    y_label: str | Text | None = None
    title: str = "City-panel models"
    wild_draws: int = 9999
    wild_weights: WildWeights = "rademacher"
    seed: int = 0

    def __post_init__(self) -> None:
        for name, fix in (("wild_draws", "pass a number of draws, 0 to turn the wild "
                                         "bootstrap off"),
                          ("seed", "pass a whole number >= 0")):
            v = getattr(self, name)
            if not (isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0):
                raise InputError(f"`{name}` must be a whole number >= 0, got {v!r}",
                                 file=f"`{name}`", fix=fix)
            object.__setattr__(self, name, int(v))
        check_literal(self.wild_weights, WildWeights, "wild_weights")
        pairs = []
        for item in self.interact:
            if isinstance(item, str) or len(item) != 2:
                raise InputError(f"bad interaction {item!r}", file="`interact`",
                                 fix="give pairs of columns (A, B)")
            pairs.append((str(item[0]), str(item[1])))
        object.__setattr__(self, "interact", tuple(pairs))
        split = (self.split,) if isinstance(self.split, str) else self.split
        object.__setattr__(self, "split", tuple(str(s) for s in split))
        if self.describe is not None:
            object.__setattr__(self, "describe", tuple(self.describe))
        object.__setattr__(self, "names", dict(self.names or {}))
        _split_rules(self.split)  # a bad threshold fails here, before any data is seen

    def split_rules(self) -> dict[str, float | None]:
        """``{column: threshold}`` of :attr:`split` (``None`` = median of the city means)."""
        return _split_rules(self.split)

    def check(self, df: pd.DataFrame, x: Sequence[str]) -> None:
        """Check the options that name columns against the table and the regressors.

        Raises
        ------
        InputError
            ``lag`` not among ``x``; an ``interact`` or ``split`` column not in ``df``.
        """
        x = list(x)
        if self.lag and self.lag not in x:
            raise InputError(f"`lag` {self.lag!r} is not among the regressors", file="`lag`",
                             fix=f"name one of the `x` regressors: {', '.join(x)}")
        for a, b in self.interact:
            for c in (a, b):
                if c not in df.columns:
                    raise InputError("interaction column not found", column=c,
                                     file="`interact`",
                                     fix=f"write A:B with columns of the table: "
                                         f"{_available(df)}")
        for c in self.split_rules():
            if c not in df.columns:
                raise InputError("split column not found", column=c, file="`split`",
                                 fix=f"split on a column of the table: {_available(df)}")


_SE_CONVENTION = (
    "se, p: conventional (summary(plm)), t(df_resid); se_cluster, p_cluster: plm "
    "vcovHC(type='HC1', cluster='group') = n/(n-k) sandwich, no G/(G-1), t(df_resid); "
    "se_crv1, p_crv1: CR1 as Stata vce(cluster) / fixest = G/(G-1)(N-1)/(N-K) sandwich "
    "(FE: K = slopes + effects not nested in the clusters), t(G-1) p-values and intervals "
    "(the tables' clustered columns); p_wild, ci_wild: wild cluster bootstrap (WCR-11, null "
    "imposed), see each model's 'wild'")


def _wild_phrase(o: CityPanelOptions) -> str:
    """How the bracketed wild bootstrap p-values were made, for table notes."""
    if o.wild_draws <= 0:
        return "Wild cluster bootstrap off."
    return (f"[Brackets]: wild cluster bootstrap p-value (restricted WCR, {o.wild_weights} "
            f"weights, {o.wild_draws:,} draws, seed {o.seed}; Rademacher weights fully "
            f"enumerated when 2^G <= draws; run with {WILD_MIN_CLUSTERS} to "
            f"{WILD_MAX_CLUSTERS - 1} clusters).")


_CR1_PHRASE = ("SE in parentheses: CR1 clustered (Stata vce(cluster) / fixest: "
               "G/(G-1)·(N-1)/(N-K)); stars from t(G-1), G = clusters row.")
_CR1_PHRASE_ZH = ("括号内为 CR1 聚类标准误（Stata vce(cluster) / fixest：G/(G-1)·(N-1)/(N-K)）；"
                  "星号依据 t(G-1)，G 为“聚类数”一行。")


def _wild_phrase_zh(o: CityPanelOptions) -> str:
    """:func:`_wild_phrase` in Chinese."""
    if o.wild_draws <= 0:
        return "未做野聚类自助法。"
    return (f"方括号内为野聚类自助法 p 值（受约束 WCR，{o.wild_weights} 权重，{o.wild_draws:,} 次"
            f"抽样，随机种子 {o.seed}；当 2^G <= 抽样次数时 Rademacher 权重完全枚举；聚类数在 "
            f"{WILD_MIN_CLUSTERS} 到 {WILD_MAX_CLUSTERS - 1} 之间时运行）。")


@dataclass(frozen=True)
class CityPanelResult(ResultBase):
    """The city-panel battery: baseline models and tests, and the extensions asked for.

    Attributes
    ----------
    entity, time, y : str
        Column names of the table the models were fitted on.
    x : tuple of str
        The regressors.
    options : CityPanelOptions
        The options used.
    n_obs, n_entities, dropped_incomplete : int
        City-years and cities with complete rows; rows dropped as incomplete.
    pooled, fe, re : PanelFit
        Pooled OLS, fixed effects (two-way with ``twoways``) and random effects.
    fe_individual : PanelFit
        The individual (city) FE model of the Hausman test (``fe`` unless ``twoways``).
    f_test, hausman, mundlak : TestResult
        plm ``pFtest``, ``phtest`` and the cluster-robust Mundlak test.
    chosen : {"pooled", "fe", "re"}
        The model the tests select; ``choice`` says why.
    descriptives : DataFrame
        The descriptive table (:func:`pairnet.panels.citypanel.descriptives`).
    scale : mapping
        Standard deviation of each regressor in the estimation sample (the FE figure).
    mechanisms : mapping
        ``{A_x_B: PanelFit}`` for ``interact``.
    lag_variable, lag_rows_lost, lag_models
        With ``lag``: the lagged regressor's name (``L_<lag>``), the city-years lost and
        ``{"baseline" | A_x_B: PanelFit}``.
    dwh : DWHResult, optional
        With ``lag``: the endogeneity tests.
    heterogeneity : mapping
        ``{column: {"cut", "rule", "high": PanelFit, "low": PanelFit}}`` for ``split``.
    file : str, optional
        The input named in messages and results.
    indicators, audit, gaps : DataFrame, optional
        :func:`yrd_study` only: the city-year indicator frame (``city, year``, indicators,
        splitters, ``size_class``, ``interpolated``), the construction audit and the raw cells
        interpolated or left missing.
    base_year : int, optional
        :func:`yrd_study` only: the deflation base year (None = the index is base 100).
    title : str
        Title of the step folder.
    """

    entity: str
    time: str
    y: str
    x: tuple[str, ...]
    options: CityPanelOptions
    n_obs: int
    n_entities: int
    dropped_incomplete: int
    pooled: PanelFit
    fe: PanelFit
    re: PanelFit
    fe_individual: PanelFit
    f_test: TestResult
    hausman: TestResult
    mundlak: TestResult
    chosen: ModelName
    choice: str
    descriptives: pd.DataFrame
    scale: Mapping[str, float]
    mechanisms: Mapping[str, PanelFit] = field(default_factory=dict)
    lag_variable: str | None = None
    lag_rows_lost: int = 0
    lag_models: Mapping[str, PanelFit] = field(default_factory=dict)
    dwh: DWHResult | None = None
    heterogeneity: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    file: str | None = None
    indicators: pd.DataFrame | None = None
    audit: pd.DataFrame | None = None
    gaps: pd.DataFrame | None = None
    base_year: int | None = None
    title: str = "City-panel models"

    # ----------------------------------------------------------------- protocol

    def fits(self) -> dict[str, PanelFit]:
        """Every fitted model by a label that mirrors ``results.json``.

        ``pooled``, ``re``, ``fe`` (two-way with ``twoways``; then ``fe_individual`` too),
        ``mechanisms:A_x_B``, ``lag:baseline``, ``lag:A_x_B``, ``dwh:iv``, ``dwh:fe`` (FE on
        the IV's rows), ``heterogeneity:COL:high`` / ``...:low``.
        """
        out = {"pooled": self.pooled, "re": self.re, "fe": self.fe}
        if self.options.twoways:
            out["fe_individual"] = self.fe_individual
        out |= {f"mechanisms:{k}": f for k, f in self.mechanisms.items()}
        out |= {f"lag:{k}": f for k, f in self.lag_models.items()}
        if self.dwh is not None:
            out |= {"dwh:iv": self.dwh.iv, "dwh:fe": self.dwh.fe}
        for col, res in self.heterogeneity.items():
            out |= {f"heterogeneity:{col}:{g}": res[g] for g in ("high", "low")}
        return out

    def tidy(self, cluster: bool = True) -> pd.DataFrame:
        """Every model's coefficients: broom's columns, then ``model`` and ``se_type``.

        ``model`` is the label of :meth:`fits`; ``cluster`` chooses city-clustered (default) or conventional standard errors, as
        :meth:`PanelFit.tidy`.
        """
        return pd.concat([f.tidy(cluster).assign(model=label)
                          for label, f in self.fits().items()], ignore_index=True)

    def tests(self) -> dict[str, TestResult]:
        """The test statistics: F, Hausman, Mundlak, and the DWH tests with ``lag``."""
        out = {"f_test": self.f_test, "hausman": self.hausman, "mundlak": self.mundlak}
        if self.dwh is not None:
            out |= {"dwh": self.dwh.test, "dwh_cluster": self.dwh.test_cluster,
                    "hausman_iv_fe": self.dwh.hausman_iv_fe}
        return out

    def summary(self) -> str:
        """The sample, the test line, the chosen model's coefficients and every test."""
        chosen = {"pooled": self.pooled, "fe": self.fe, "re": self.re}[self.chosen]
        lines = [self.title,
                 f"{self.n_obs} city-years, {self.n_entities} cities "
                 f"({self.dropped_incomplete} incomplete rows dropped); outcome {self.y}",
                 self.choice, "", chosen.summary(), ""]
        lines += [t.summary() for t in self.tests().values()]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """What ``results.json`` holds.

        ``n_obs, n_entities, dropped_incomplete``, ``pooled|fe|re`` (coef, se, se_cluster,
        ...), ``f_test``, ``hausman``, ``mundlak``, ``chosen``, ``choice``, ``twoways``,
        ``se_convention``, and when asked ``mechanisms``, ``lag``, ``dwh``, ``endogeneity``,
        ``heterogeneity``; the YRD study adds ``audit``, ``interpolated_cells``,
        ``left_missing_cells`` and ``base_year``.
        """
        out: dict[str, Any] = {
            "n_obs": self.n_obs, "n_entities": self.n_entities,
            "dropped_incomplete": self.dropped_incomplete,
            "pooled": self.pooled.to_dict(), "fe": self.fe.to_dict(), "re": self.re.to_dict(),
            "f_test": self.f_test.to_dict(), "hausman": self.hausman.to_dict(),
            "mundlak": self.mundlak.to_dict(), "chosen": self.chosen, "choice": self.choice,
            "twoways": self.options.twoways, "se_convention": _SE_CONVENTION,
            "wild_bootstrap": {"draws": self.options.wild_draws,
                               "weights": self.options.wild_weights, "seed": self.options.seed,
                               "runs_below_clusters": WILD_MAX_CLUSTERS,
                               "method": "WCR-11: restricted (null imposed) wild cluster "
                                         "bootstrap, CR1 t statistics, two-sided"},
        }
        if self.mechanisms:
            out["mechanisms"] = {k: f.to_dict() for k, f in self.mechanisms.items()}
            out["mechanisms_centred"] = self.options.centre
        if self.lag_variable is not None:
            out["lag"] = {"variable": self.lag_variable, "rows_lost": self.lag_rows_lost,
                          "models": {k: f.to_dict() for k, f in self.lag_models.items()}}
        if self.dwh is not None:
            dwh = self.dwh
            out["dwh"] = dwh.to_dict()
            out["endogeneity"] = {
                "dwh": dwh.test.to_dict(), "dwh_cluster": dwh.test_cluster.to_dict(),
                "hausman_iv_fe": dwh.hausman_iv_fe.to_dict(),
                "first_stage_f": dwh.first_stage_f, "nobs": dwh.iv.nobs,
                "instrument": self.lag_variable,
                "instrument_choice": (
                    f"pairnet's choice: {self.lag_variable}, the one-year within-city lag of "
                    f"{self.options.lag}; seed 000 names no instrument"),
                "reported_test": "dwh",
                "paper_reports": ("a Hausman statistic of 3.06 accepted with 93.04% "
                                  "(chi2(8)); its instrument is not named, so hausman_iv_fe "
                                  "has the paper's form but is not a replication")}
        if self.heterogeneity:
            out["heterogeneity"] = {
                col: {"cut": res["cut"], "rule": res["rule"], "high": res["high"].to_dict(),
                      "low": res["low"].to_dict()} for col, res in self.heterogeneity.items()}
        if self.audit is not None and self.gaps is not None:
            out["audit"] = self.audit.to_dict(orient="records")
            out["interpolated_cells"] = int((self.gaps["action"] == "interpolated").sum())
            out["left_missing_cells"] = int((self.gaps["action"] == "left missing").sum())
            out["base_year"] = self.base_year
        return out

    def _column(self, fit: PanelFit, head: str | Text, cluster: bool) -> ModelColumn:
        """A panel model as a column of a maketables regression table."""
        coef = fit.tidy(cluster=cluster).set_index("term")
        coef = coef.loc[[t for t in coef.index if t != "_v1"]]
        fixef = {"fe": ("city",), "fe_twoways": ("city", "year"), "iv": ("city",)}.get(
            fit.model, ())
        if not cluster:  # the bracketed wild bootstrap p belongs to the clustered table
            coef = coef.drop(columns=["p_wild"], errors="ignore")
        stats: dict[str, Any] = {
            "estimator": _ESTIMATOR.get(fit.model, Text(fit.model, fit.model)),
            "se_type": Text("city (CR1)", "城市（CR1）") if cluster else
            Text("conventional (iid)", "常规（同方差）"),
            "n_clusters": fit.n_clusters if cluster else None, "N": fit.nobs, "r2": fit.r2}
        return ModelColumn(coef, depvar=self.y, fixef=fixef, stats=stats, head=head)

    def _choice_text(self) -> Text:
        """Which model the tests select, in both languages."""
        f, h, mu = self.f_test, self.hausman, self.mundlak
        zh = {"pooled": f"F 检验不拒绝混合 OLS（{p_is(f.p)}）→ 混合 OLS",
              "fe": f"F 检验拒绝混合 OLS（{p_is(f.p)}）；Hausman 检验拒绝随机效应（{p_is(h.p)}）"
                    "→ 固定效应",
              "re": f"F 检验拒绝混合 OLS（{p_is(f.p)}）；Hausman 检验不拒绝随机效应（{p_is(h.p)}）"
                    "→ 随机效应"}.get(self.chosen, "")
        if mu is not None and zh:
            agree = (mu.p < 0.05) == (h.p < 0.05)
            zh += f"；聚类稳健的 Mundlak 检验 {p_is(mu.p)}（{'一致' if agree else '不一致'}）"
        return Text(self.choice, zh or self.choice)

    def _regression(self, fits: Sequence[PanelFit], heads: Sequence[str | Text],
                    title: Text, note: Text, *, cluster: bool = True,
                    rows: Mapping[str, Sequence[str | Text]] | None = None,
                    row_labels: Mapping[str, Text] | None = None,
                    order: Sequence[str] = ()) -> Table:
        return model_table([self._column(f, h, cluster) for f, h in zip(fits, heads, strict=True)],
                           title, note, coef_labels={"const": Text("constant", "常数项")},
                           fixef_labels={"city": Text("city fixed effects", "城市固定效应"),
                                         "year": Text("year fixed effects", "年份固定效应")},
                           rows=rows, row_labels=row_labels, order=order,
                           stats=("estimator", "se_type", "n_clusters", "p_wild", "N", "r2"),
                           digits=4)

    def tables(self) -> dict[str, Table]:
        """The paper's tables, in the order they are published.

        Variables (with a glossary), descriptives, baseline (both SEs), then mechanisms, lag
        robustness, endogeneity and heterogeneity when asked, and the YRD study's audit, gaps
        and indicators. The regression tables are maketables ``ETable``s
        (:func:`pairnet.core.modeltable.model_table`).
        """
        o = self.options
        x = list(self.x)
        tables: dict[str, Table] = {}
        units = Text("", "")
        if o.glossary is not None:
            tables["glossary"] = Table(
                o.glossary, Text("Variables: codes, definitions and units",
                                 "变量：代码、定义与单位"),
                Text("Definitions follow the population-mobility study of the Yangtze River "
                     "Delta; money in base-year prices.",
                     "定义依据长三角人口流动研究；货币量按基期价格计。"))
            unit_of = list(zip(o.glossary["code"], o.glossary["unit"], strict=True))
            units = Text(" Units: " + "; ".join(f"{c} {render(u, 'en')}" for c, u in unit_of)
                         + ".",
                         " 单位：" + "；".join(f"{c} {render(u, 'zh')}" for c, u in unit_of) + "。")
        tables["descriptives"] = Table(
            self.descriptives, Text("Descriptive statistics", "描述性统计"),
            Text("Max and min with the city and year where they occur; statistics to 3 "
                 "decimals." + (" Every city-year value: indicators.csv in this step's folder."
                                if self.indicators is not None else ""),
                 "最大值与最小值附出现的城市与年份；统计量保留 3 位小数。"
                 + ("各城市-年份的全部数值见本步骤文件夹中的 indicators.csv。"
                    if self.indicators is not None else "")) + units,
            decimals=3)
        fe_label = self._fe_label()
        f, h = self.f_test, self.hausman
        fstr = f"{f.stat:.3f} ({p_is(f.p)})"
        hp = p_is(h.p) if np.isfinite(h.p) else ""
        hstr: str | Text = (f"{h.stat:.3f} ({hp})" if h.valid else
                            Text(f"{h.stat:.3f} (not valid" + (f", {hp})" if hp else ")"),
                                 f"{h.stat:.3f}（无效" + (f"，{hp}）" if hp else "）")))
        hnote = Text("" if h.valid else f" Hausman: {h.note}.",
                     "" if h.valid else f" Hausman 检验：{render(h.note, 'zh')}。")
        wild = Text(_wild_phrase(o), _wild_phrase_zh(o))
        cr1 = Text(_CR1_PHRASE, _CR1_PHRASE_ZH)
        choice = self._choice_text()
        for cl in (False, True):
            tables["baseline" + ("_cluster" if cl else "")] = self._regression(
                [self.pooled, self.re, self.fe],
                [Text("Pooled (ME)", "混合 OLS"), Text("RE", "随机效应"), fe_label],
                Text("Baseline regressions" + (" (clustered SE, CR1)" if cl else ""),
                     "基准回归" + ("（CR1 聚类标准误）" if cl else "")),
                Text(f"Outcome {self.y}. {_MODEL_LABELS}. {choice.en}.{hnote.en} "
                     + (f"{cr1.en} RE: on its quasi-demeaned data. {wild.en}" if cl else
                        "SE in parentheses (conventional), stars from t(residual df)."),
                     f"结果变量 {self.y}。混合 OLS 即论文的“混合效应”列；随机效应；固定效应为城市固定"
                     f"效应。{choice.zh}。{hnote.zh}"
                     + (f"{cr1.zh}随机效应：基于其准去均值数据。{wild.zh}" if cl else
                        "括号内为常规标准误，星号依据 t(残差自由度)。")),
                cluster=cl, order=x,
                rows={"f_test": ["", "", fstr], "hausman": ["", hstr, ""]},
                row_labels={"f_test": Text("F test", "F 检验"),
                            "hausman": Text("Hausman", "Hausman 检验")})
        if self.mechanisms:
            tables["mechanisms"] = self._regression(
                list(self.mechanisms.values()), [_head(k) for k in self.mechanisms],
                Text("Mechanisms (interactions)", "机制分析（交互项）"),
                Text(f"{fe_label.en}. {cr1.en} {wild.en} Interaction factors "
                     f"{'centred at their means' if o.centre else 'not centred'}.",
                     f"{fe_label.zh}。{cr1.zh}{wild.zh}交互项因子"
                     f"{'已按均值中心化' if o.centre else '未中心化'}。"), order=x)
        if self.lag_variable is not None:
            lname = self.lag_variable
            tables["robustness_lag"] = self._regression(
                list(self.lag_models.values()), [_head(k) for k in self.lag_models],
                Text(f"Robustness: {o.lag} replaced by its one-year lag",
                     f"稳健性检验：以 {o.lag} 的一年滞后项替代"),
                Text(f"{self.lag_rows_lost} city-years lost (each city's first year). "
                     f"{fe_label.en}. {cr1.en} {wild.en}",
                     f"损失 {self.lag_rows_lost} 个城市-年份（各城市的第一年）。{fe_label.zh}。"
                     f"{cr1.zh}{wild.zh}"),
                order=[lname if c == o.lag else c for c in x])
        if self.dwh is not None:
            hv = self.dwh.hausman_iv_fe
            tables["endogeneity"] = Table(
                self.dwh.table(),
                Text("Endogeneity: Durbin-Wu-Hausman and Hausman IV vs FE",
                     "内生性检验：Durbin-Wu-Hausman 与 Hausman（IV vs 固定效应）"),
                Text(f"H0: {o.lag} exogenous. Instrument: {self.lag_variable}, the one-year lag: "
                     "pairnet's choice (the paper names no instrument). City FE; "
                     f"{self.dwh.iv.nobs} city-years (first year per city lost). DWH: control "
                     "function, t^2 of the first-stage residual: chi2(1) conventional, F(1, G-1) "
                     "with CR1. Hausman IV vs FE with the same instrument: Stata-style contrast "
                     f"over all slopes, conventional vcovs, df = rank(V_IV - V_FE) = {hv.df} (the "
                     "form of the statistic the paper reports, 3.06, whose instrument it does not "
                     "name: not comparable)" + (f"; {hv.note}." if hv.note else "."),
                     f"原假设：{o.lag} 外生。工具变量：{self.lag_variable}（一年滞后项，为 pairnet 的"
                     "选择，论文未说明工具变量）。城市固定效应；"
                     f"{self.dwh.iv.nobs} 个城市-年份（各城市损失第一年）。DWH：控制函数法，第一阶段"
                     "残差的 t^2：常规为 chi2(1)，CR1 为 F(1, G-1)。使用同一工具变量的 Hausman IV vs "
                     "固定效应：Stata 式全部斜率系数对比，常规协方差，自由度 = rank(V_IV - V_FE) = "
                     f"{hv.df}（论文报告的 3.06 为同一形式的统计量，但未说明工具变量，不可比）"
                     + (f"；{render(hv.note, 'zh')}。" if hv.note else "。")),
                decimals={"stat": 3})  # p: the one rule (3 decimals, <0.001)
        if self.heterogeneity:
            fits: list[PanelFit] = []
            heads: list[str | Text] = []
            for col, res in self.heterogeneity.items():
                fits += [res["high"], res["low"]]
                heads += [Text(f"{col} high", f"{col} 高"), Text(f"{col} low", f"{col} 低")]
            tables["heterogeneity"] = self._regression(
                fits, heads, Text("Heterogeneity: subgroup regressions", "异质性：分组回归"),
                Text("Cities grouped by their mean over the years; high = at or above the cut "
                     "(median of city means unless a threshold is given). "
                     f"{fe_label.en}. {cr1.en} {wild.en}",
                     "城市按各年均值分组；高 = 不低于分界值（未给定阈值时为城市均值的中位数）。"
                     f"{fe_label.zh}。{cr1.zh}{wild.zh}"), order=x)
        if self.audit is not None:
            tables["audit"] = Table(self.audit, Text("Indicator construction audit",
                                                     "指标构建审计"),
                                    Text("Every input city-year in exactly one row.",
                                         "每个输入的城市-年份恰好计入一行。"))
        if self.gaps is not None:
            tables["gaps"] = Table(self._with_names(self.gaps),
                                   Text("Raw cells interpolated or left missing",
                                        "插补或保留缺失的原始单元格"),
                                   Text("Interior gaps filled linearly within a city; never "
                                        "extrapolated.", "城市内部的中间缺失按线性插补；从不外推。"))
        return tables

    def data_files(self) -> dict[str, pd.DataFrame]:
        """``indicators.csv``: the city-year indicators with city names (the YRD study).

        Every city-year of every indicator is a data table, not one to read in a report: it is
        written beside ``results.json`` (``interpolated`` lists the raw columns filled in that
        row; codes and units as in the variables table).
        """
        if self.indicators is None:
            return {}
        return {"indicators.csv": self._with_names(self.indicators)}

    def figures(self) -> dict[str, Figure]:
        """The FE coefficients (one-SD scale) and, with ``split``, the subgroup estimates."""
        x = list(self.x)
        y_en, y_zh = (render(self.options.y_label or self.y, lg) for lg in ("en", "zh"))
        y_zh += "" if y_zh.endswith("）") else " "  # no space after a full-width bracket
        fe = self._fe_label()
        figures = {"baseline_fe": Figure(
            lambda lang: self.fe.plot(
                x, scale=self.scale, lang=lang,
                xlabel=Text(f"change in {y_en} per one-SD increase of the regressor",
                            f"解释变量增加一个标准差时 {y_zh}的变化")(lang)),
            Text(f"{fe.en} coefficients, CR1 clustered 95% CI",
                 f"{fe.zh}系数，CR1 聚类 95% 置信区间"),
            Text("Each regressor's coefficient times its standard deviation in the estimation "
                 "sample, so the effects share one scale: the change in the outcome for a one-"
                 "standard-deviation increase. Bars: 95% confidence intervals with CR1 clustered "
                 "SE and t(G-1); the unscaled coefficients are in the baseline table.",
                 "每个解释变量的系数乘以其在估计样本中的标准差，使各效应处于同一尺度：解释变量增加一个"
                 "标准差时结果变量的变化。误差线：CR1 聚类标准误与 t(G-1) 的 95% 置信区间；未缩放的"
                 "系数见基准回归表。"))}
        if self.heterogeneity:
            het, t0 = self.heterogeneity, x[0]
            figures["heterogeneity"] = Figure(
                lambda lang: subgroup_plot(
                    het, t0, lang=lang,
                    xlabel=Text(f"coefficient on {t0} (change in {y_en} per unit of {t0})",
                                f"{t0} 的系数（{t0} 每增加一个单位 {y_zh}的变化）")(lang)),
                Text(f"{t0} by subgroup, CR1 clustered 95% CI",
                     f"{t0} 的分组估计，CR1 聚类 95% 置信区间"),
                Text(f"The coefficient on {t0} estimated separately in the high and low group of "
                     "each splitter (high = at or above the cut; see the heterogeneity table); one "
                     "unit scale throughout. Bars: 95% intervals with CR1 clustered SE and t(G-1).",
                     f"在每个分组变量的高、低两组中分别估计的 {t0} 系数（高 = 不低于分界值，见异质性表）；"
                     "全部使用同一单位尺度。误差线：CR1 聚类标准误与 t(G-1) 的 95% 置信区间。"))
        return figures

    # ----------------------------------------------------------------- helpers

    def _fe_label(self) -> Text:
        return (Text("FE (two-way)", "双向固定效应") if self.options.twoways
                else Text("FE", "固定效应"))

    def _with_names(self, t: pd.DataFrame) -> pd.DataFrame:
        """City names next to the adcodes (a display copy)."""
        if "city" not in t.columns or "name" in t.columns:
            return t
        from pairnet.spatial.cities import city_names

        names = dict(self.options.names)
        out = t.copy()
        codes = out["city"].astype(str)
        if not set(codes) <= set(names):
            names = city_names(sorted(set(codes) - set(names))) | names
        # an object column keeps the names' English rendering (pandas' string columns drop it)
        out.insert(list(out.columns).index("city") + 1, "name",
                   pd.Series([names.get(c, c) for c in codes], index=out.index, dtype=object))
        return out


@blas_single_threaded
def citypanel_suite(df: pd.DataFrame, *, entity: str, time: str, y: str, x: Sequence[str],
                    options: CityPanelOptions | None = None, file: str | None = None,
                    **overrides: Any) -> CityPanelResult:
    """The whole battery on a city-year table: baseline models and tests, and extensions.

    Parameters
    ----------
    df : DataFrame
        City-year indicators.
    entity, time, y, x
        Column names: city id, year, outcome and regressors.
    options : CityPanelOptions, optional
        Cluster column, two-way effects, ``lag``, ``interact``, ``split``, ...; default
        :class:`CityPanelOptions()`.
    file : str, optional
        The input's name in messages.
    **overrides
        Fields of :class:`CityPanelOptions` replacing those of ``options``
        (``citypanel_suite(df, ..., lag="mig", twoways=True)``).

    Returns
    -------
    CityPanelResult

    Raises
    ------
    InputError
        Bad options (checked before any estimation), a bad panel or regressors that the
        models cannot separate.
    EstimationError
        A model that cannot be fitted.
    """
    opts = options if options is not None else CityPanelOptions()
    if overrides:
        unknown = sorted(set(overrides) - {f.name for f in dataclasses.fields(CityPanelOptions)})
        if unknown:
            raise TypeError(f"citypanel_suite() got unknown option(s) {', '.join(unknown)}; "
                            "see CityPanelOptions")
        opts = dataclasses.replace(opts, **overrides)
    x = list(x)
    opts.check(df, x)  # options naming columns are checked before any estimation
    cluster, twoways = opts.cluster, opts.twoways
    d = prepare(df, entity=entity, time=time, y=y, x=x, cluster=cluster, file=file)
    check_design(d, x, entity=entity, file=file)
    counts = d.groupby(entity).size()
    if (counts < 2).any():  # the models re-validate their rows: say it here, with the file
        short = [str(c) for c in counts[counts < 2].index]
        raise InputError(f"city {short[0]!r} has 1 row with all of {', '.join([y, *x])} "
                         f"({len(short)} such cities); a panel model needs each city observed "
                         "at least twice", file=file, column=entity,
                         fix="fill the missing values of these cities or drop them")
    n_cl = int(d[cluster or entity].astype(str).nunique())
    if n_cl < 2:
        raise InputError(f"clustered standard errors need at least 2 clusters; `cluster` "
                         f"{cluster!r} has 1 value in the {len(d)} complete rows",
                         file=file, column=cluster,
                         fix="cluster on a column with several values (default: the city)")

    def boot(fit: PanelFit) -> PanelFit:
        return wild_fit(fit, draws=opts.wild_draws, weights=opts.wild_weights, seed=opts.seed)

    pooled = boot(fit_pooled(d, entity=entity, time=time, y=y, x=x, cluster=cluster))
    fe = boot(fit_fe(d, entity=entity, time=time, y=y, x=x, cluster=cluster, twoways=twoways))
    re = boot(fit_re(d, entity=entity, time=time, y=y, x=x, cluster=cluster))
    fe1 = fe if not twoways else boot(fit_fe(d, entity=entity, time=time, y=y, x=x,
                                             cluster=cluster))
    f = pftest(fe, pooled)
    h = phtest(fe1, re)
    mund = mundlak_test(d, entity=entity, time=time, y=y, x=x, cluster=cluster)
    chosen, line = choose_model(f, h, mund)
    desc_cols = list(opts.describe) if opts.describe else [y, *x]
    desc = descriptives(df, [c for c in desc_cols if c in df.columns], entity=entity, time=time,
                        names=dict(opts.names))
    kw: dict[str, Any] = {"entity": entity, "time": time, "y": y, "cluster": cluster,
                          "twoways": twoways}
    ext: dict[str, Any] = {}
    if opts.interact:
        dm, inames = add_interactions(d, opts.interact, centre=opts.centre)
        mech = {}
        for (a, b), iname in zip(opts.interact, inames, strict=True):
            xs = x + ([b] if b not in x else []) + ([a] if a not in x else []) + [iname]
            mech[iname] = boot(fit_fe(dm, x=xs, **kw))
        ext["mechanisms"] = mech
    if opts.lag:
        lag = opts.lag
        lname = f"L_{lag}"
        dl = d.copy()
        dl[lname] = lag_within(dl, lag, entity=entity, time=time)
        lost = int(dl[lname].isna().sum())
        dl2 = dl.dropna(subset=[lname])
        counts = dl2.groupby(entity).size()
        short = sorted(set(d[entity]) - set(counts[counts >= 2].index))
        if short:
            raise InputError(f"with `lag` {lag!r}, city {short[0]!r} keeps fewer than 2 years "
                             f"that have the previous year's {lag} ({len(short)} such "
                             "cities); the lag models need each city twice",
                             file=file, column=entity,
                             fix="drop these cities, fill their gaps, or run without `lag`")
        xl = [lname if c == lag else c for c in x]
        lfits = {"baseline": boot(fit_fe(dl2, x=xl, **kw))}
        if opts.interact:
            dli, inl = add_interactions(dl2, [(lname if a == lag else a, b)
                                              for a, b in opts.interact], centre=opts.centre)
            for (_a, b), iname in zip(opts.interact, inl, strict=True):
                xs = xl + ([b] if b not in xl else []) + [iname]
                lfits[iname] = boot(fit_fe(dli, x=xs, **kw))
        dwh = dwh_test(dl2, entity=entity, time=time, y=y, x=x, endog=lag, instrument=lname,
                       cluster=cluster, twoways=twoways)
        ext |= {"lag_variable": lname, "lag_rows_lost": lost, "lag_models": lfits,
                "dwh": dataclasses.replace(dwh, fe=boot(dwh.fe), iv=boot(dwh.iv))}
    if opts.split:
        het = heterogeneity(d, x=x, splits=opts.split_rules(), **kw)
        ext["heterogeneity"] = {col: {**res, "high": boot(res["high"]), "low": boot(res["low"])}
                                for col, res in het.items()}
    return CityPanelResult(
        entity=entity, time=time, y=y, x=tuple(x), options=opts, n_obs=len(d),
        n_entities=int(d[entity].nunique()), dropped_incomplete=int(len(df) - len(d)),
        pooled=pooled, fe=fe, re=re, fe_individual=fe1, f_test=f, hausman=h, mundlak=mund,
        chosen=chosen, choice=line, descriptives=desc,
        scale={c: float(d[c].std()) for c in x}, file=file, title=opts.title, **ext)


def yrd_study(raw: pd.DataFrame, *, base_year: int | None = None, twoways: bool = False,
              centre: bool = False, entity: str = "city", time: str = "year",
              price: str = "price_index", file: str | None = None,
              wild_draws: int = CityPanelOptions.wild_draws,
              wild_weights: WildWeights = CityPanelOptions.wild_weights,
              seed: int = CityPanelOptions.seed) -> CityPanelResult:
    """Seed 000 end to end: raw statistics -> indicators -> the full model battery.

    Builds the indicators (:func:`pairnet.panels.citypanel.build_indicators`), then runs
    :func:`citypanel_suite` with y = ``gdp_pc``, x = ``mig`` + controls, the three mechanisms
    (mig×str, mig×tec, mig×cos), the lagged-mig robustness and DWH test, and the splits hukou /
    density / school_years at the median and pop_resident >= 500 (万人, i.e. 5 million).

    Parameters
    ----------
    raw : DataFrame
        One row per city and year with :data:`pairnet.panels.citypanel.RAW_COLUMNS` (and
        optionally ``name``, used for the display tables).
    base_year : int, optional
        Deflate to this year's prices (default: the price index is already base = 100).
    twoways, centre : bool
        As :class:`CityPanelOptions`.
    entity, time, price : str
        Column names of the raw table.
    file : str, optional
        The input's name in messages.
    wild_draws, wild_weights, seed
        The wild cluster bootstrap, as :class:`CityPanelOptions`.

    Returns
    -------
    CityPanelResult
        With ``indicators``, ``audit``, ``gaps`` and ``base_year`` set.
    """
    from pairnet.panels.citypanel import CONTROLS, INDICATORS, build_indicators

    ip = build_indicators(raw, entity=entity, time=time, price=price, base_year=base_year,
                          file=file)
    from pairnet.core.placenames import place_name

    names: dict[str, str] = {}
    if "name" in raw.columns:
        # Chinese place names of the data read in pinyin in an English report (files keep them)
        names = {c: place_name(n)
                 for c, n in zip(id_strings(raw[entity]), raw["name"].astype(str), strict=False)}
    opts = CityPanelOptions(
        twoways=twoways, lag="mig", interact=[("mig", "str"), ("mig", "tec"), ("mig", "cos")],
        centre=centre, split=["hukou", "density", "school_years", "pop_resident>=500"],
        describe=list(INDICATORS), names=names, glossary=YRD_GLOSSARY,
        y_label=Text("gdp_pc (10,000 yuan per person)", "gdp_pc（万元/人）"),
        title="Population mobility and growth (YRD city panel)", wild_draws=wild_draws,
        wild_weights=wild_weights, seed=seed)
    res = citypanel_suite(ip.frame.drop(columns=["size_class", "interpolated"]), entity="city",
                          time="year", y="gdp_pc", x=["mig", *CONTROLS], options=opts,
                          file=file)
    return dataclasses.replace(res, indicators=ip.frame, audit=ip.audit, gaps=ip.gaps,
                               base_year=base_year)
