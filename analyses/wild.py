"""Wild cluster bootstrap (WCR: null imposed, CRV1 studentised) for few-cluster DID inference.

With few clusters (the paper's pairs clustered by helper city: 9) CRV1 standard errors with
t(G−1) critical values still over-reject. The restricted wild cluster bootstrap of Cameron,
Gelbach & Miller (2008) / Roodman et al. (2019) ("WCR11") does not. Here:

* the p-value comes from pyfixest's ``Feols.wildboottest`` (the ``wildboottest`` package), run on
  the very model the table reports (``Fit.model``), bootstrap type ``11``, null imposed;
* Rademacher weights by default, enumerated in full (all 2^G sign vectors, deterministic) when
  2^G ≤ the number of draws, as R ``fwildclusterboot::boottest`` does (the package itself only
  enumerates when 2^G < draws; pairnet asks it for one more draw so the two rules agree);
  Webb's six-point weights as the option for very few clusters; seeded;
* the two-sided p-value is the share of bootstrap |t*| strictly above |t|. The draws v = ±1
  reproduce the original t; in floating point they come out a few 1e-12 above or below it, so
  they are counted as ties (never above), as in exact arithmetic and as R does;
* the confidence interval inverts the same test: testing β_j = r is testing 0 after y − r·x_j,
  so numerator and denominator of every bootstrap t are linear / quadratic in r (Roodman et
  al. 2019, §3.5) and the interval ends are found by bisection on the same weights.

The interval code is a vectorised re-statement of the package's WCR11 algorithm on the same
design (fixed effects as dummy columns, as the package bootstraps them: partialling out a fixed
effect that is not nested in the clusters would change the bootstrap residuals); the tests check
its bootstrap t's equal the package's on the same weights.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any, Literal

import numpy as np

from pairnet.analyses._pyfixest import Fit
from pairnet.core.errors import EstimationError

__all__ = ["WildWeights", "WILD_MAX_CLUSTERS", "WildTest", "enumerates", "wild_p_value",
           "wild_weights", "wild_test", "wild_tests", "wild_tstats"]

WildWeights = Literal["rademacher", "webb"]
#: the wild bootstrap is run when there are fewer clusters than this
WILD_MAX_CLUSTERS = 50
_TIE = 1e-9  # relative: |t*| within this of |t| is the v = ±1 tie, not a larger statistic
_WEBB = np.concatenate([-np.sqrt(np.array([3, 2, 1]) / 2), np.sqrt(np.array([1, 2, 3]) / 2)])


@dataclass(frozen=True)
class WildTest:
    """One wild cluster bootstrap test of ``term = 0`` (and its inverted interval).

    Attributes
    ----------
    term : str
        The coefficient tested.
    p_value : float
        Two-sided bootstrap p-value, share of |t*| > |t|.
    n_draws : int
        Bootstrap t-statistics used (2^G when enumerated in full).
    full_enumeration : bool
        Whether every Rademacher sign vector was used (deterministic).
    weights : str
        ``rademacher`` or ``webb``.
    seed : int
        Seed of the draws (irrelevant under full enumeration).
    n_clusters : int
        G.
    conf_int : tuple or None
        ``(low, high)``: the values r where the test of ``term = r`` has p ≥ 1 − level.
    level : float
        Confidence level of ``conf_int``.
    """

    term: str
    p_value: float
    n_draws: int
    full_enumeration: bool
    weights: str
    seed: int
    n_clusters: int
    conf_int: tuple[float, float] | None = None
    level: float = 0.95

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``p_wild``, ``ci_wild`` and how they were drawn."""
        return {"p_wild": self.p_value,
                "ci_wild": list(self.conf_int) if self.conf_int is not None else None,
                "n_draws": self.n_draws, "full_enumeration": self.full_enumeration,
                "weights": self.weights, "seed": self.seed, "n_clusters": self.n_clusters}


def enumerates(n_clusters: int, draws: int, weights: str) -> bool:
    """Whether Rademacher weights are enumerated in full: 2^G ≤ draws (R ``boottest``'s rule)."""
    return weights == "rademacher" and n_clusters < 63 and 2 ** n_clusters <= draws


def wild_weights(n_clusters: int, draws: int, weights: str, seed: int) -> np.ndarray:
    """The G × B weight matrix the ``wildboottest`` package draws for these settings.

    Rows follow the sorted cluster ids. Full enumeration: ``itertools.product([-1, 1])`` in the
    package's order; otherwise ``numpy.random.default_rng(seed)`` draws as the package does.
    """
    if enumerates(n_clusters, draws, weights):
        return np.array(list(product([-1, 1], repeat=n_clusters)), dtype=float).T
    rng = np.random.default_rng(seed=seed)
    a = np.array([-1.0, 1.0]) if weights == "rademacher" else _WEBB
    return rng.choice(a, size=n_clusters * draws, replace=True).reshape(n_clusters, draws)


def wild_p_value(t_stat: float, t_boot: np.ndarray) -> float:
    """Two-sided p-value ``mean(|t*| > |t|)``, draws within 1e-9 (relative) of |t| as ties."""
    tb = np.abs(np.asarray(t_boot, float).ravel())
    tb = tb[np.isfinite(tb)]
    if not len(tb):
        return float("nan")
    t = abs(float(t_stat))
    return float(np.mean(tb > t * (1 + _TIE) + 1e-300))


@dataclass(frozen=True)
class _Parts:
    """Bootstrap t*(r) = (n0 − r·n1) / sqrt(a − 2r·b + r²·c) and t(r) = (beta − r) / se."""

    beta: float
    se: float
    n0: np.ndarray
    n1: np.ndarray
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray

    def t_boot(self, r: float) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return (self.n0 - r * self.n1) / np.sqrt(
                np.maximum(self.a - 2 * r * self.b + r * r * self.c, 0.0))

    def p(self, r: float) -> float:
        return wild_p_value((self.beta - r) / self.se, self.t_boot(r))


def _inv(a: np.ndarray) -> np.ndarray:
    """(X'X)^-1 as the package computes it, a pseudo-inverse if singular."""
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(a)


@dataclass(frozen=True)
class _Design:
    """The bootstrapped design, shared by the tests of several terms of one model."""

    X: np.ndarray
    y: np.ndarray
    names: tuple[str, ...]
    ind: np.ndarray        # G x N cluster indicator, rows in sorted cluster order
    XtX_inv: np.ndarray
    u: np.ndarray          # unrestricted residuals

    @classmethod
    def of(cls, fit: Fit, cluster: np.ndarray) -> _Design:
        y, X, names = fit.dummy_design()
        codes = np.unique(cluster, return_inverse=True)[1]
        ind = np.zeros((int(codes.max()) + 1, len(y)))
        ind[codes, np.arange(len(y))] = 1.0
        XtX_inv = _inv(X.T @ X)
        return cls(X=X, y=y, names=names, ind=ind, XtX_inv=XtX_inv,
                   u=y - X @ (XtX_inv @ (X.T @ y)))

    def parts(self, term: str, v: np.ndarray) -> _Parts:
        """WCR11 pieces for ``term``, linear in the tested value r."""
        X, y, ind, XtX_inv = self.X, self.y, self.ind, self.XtX_inv
        j = self.names.index(term)
        a_row = XtX_inv[j]                                # R (X'X)^-1
        beta = float(a_row @ (X.T @ y))
        # CRV1 SE of beta_j without small-sample factors (they cancel in the p-value)
        se = float(np.sqrt(np.sum((ind @ (X * self.u[:, None]) @ a_row) ** 2)))
        # restricted residuals of y − r·x_j on the other columns: u0 − r·u1
        keep = np.arange(X.shape[1]) != j
        X1 = X[:, keep]
        P1 = _inv(X1.T @ X1)
        xj = X[:, j]
        u0 = y - X1 @ (P1 @ (X1.T @ y))
        u1 = xj - X1 @ (P1 @ (X1.T @ xj))
        Q = ind @ ((X @ a_row)[:, None] * X)               # a' X_g'X_g, one row per cluster
        out = []
        for uu in (u0, u1):
            S = ind @ (X * uu[:, None])                    # scores X_g' u_g
            C = S @ a_row                                  # C_g = R (X'X)^-1 X_g' u_g
            H = Q @ (XtX_inv @ S.T)                        # H_gh
            out.append((C @ v, C[:, None] * v - H @ v))
        (n0, Z0), (n1, Z1) = out
        return _Parts(beta=beta, se=se, n0=n0, n1=n1, a=np.sum(Z0 * Z0, axis=0),
                      b=np.sum(Z0 * Z1, axis=0), c=np.sum(Z1 * Z1, axis=0))


def wild_tstats(fit: Fit, term: str, cluster: np.ndarray, v: np.ndarray,
                r: float = 0.0) -> tuple[float, np.ndarray]:
    """Original and bootstrap t-statistics of ``term = r`` (no small-sample factor)."""
    p = _Design.of(fit, cluster).parts(term, v)
    return (p.beta - r) / p.se, p.t_boot(r)


def _bound(p: _Parts, alpha: float, side: int) -> float:
    """Where p(r) falls below ``alpha`` moving away from the estimate on ``side`` (±1)."""
    inside = p.beta
    step = max(p.se, 1e-12 * max(1.0, abs(p.beta)))
    outside = None
    for k in range(1, 200):
        cand = p.beta + side * step * (1.5 ** k)
        if p.p(cand) < alpha:
            outside = cand
            break
        inside = cand
    if outside is None:
        return float(side * np.inf)
    for _ in range(200):
        mid = 0.5 * (inside + outside)
        if mid in (inside, outside):
            break
        if p.p(mid) >= alpha:
            inside = mid
        else:
            outside = mid
    return 0.5 * (inside + outside)


def wild_tests(fit: Fit, terms: Sequence[str], *, cluster: str = "cluster",
               draws: int = 9999, weights: WildWeights = "rademacher", seed: int = 0,
               ci: bool = True, level: float = 0.95) -> dict[str, WildTest]:
    """WCR11 wild cluster bootstrap tests of ``term = 0``, one per term, on a fitted OLS model.

    Parameters
    ----------
    fit : Fit
        A ``feols`` fit whose data hold the (numeric) ``cluster`` column.
    terms : sequence of str
        The coefficients to test (each tested alone, with the same weights).
    cluster : str
        Cluster column of the model's data.
    draws : int
        Bootstrap draws (Rademacher with 2^G ≤ draws: full enumeration instead).
    weights : {"rademacher", "webb"}
    seed : int
    ci : bool
        Also invert each test into a ``level`` interval.

    Returns
    -------
    dict
        ``{term: WildTest}`` for the terms the model estimated.

    Raises
    ------
    EstimationError
        Fewer than two clusters, or pyfixest cannot bootstrap the model.
    """
    cl = fit.data_column(cluster)
    G = int(len(np.unique(cl)))
    if G < 2:
        raise EstimationError("wild bootstrap: needs at least two clusters")
    full = enumerates(G, draws, weights)
    reps = max(int(draws), 2 ** G + 1) if full else int(draws)
    design = _Design.of(fit, cl) if ci else None
    v = wild_weights(G, draws, weights, seed) if ci else None
    out: dict[str, WildTest] = {}
    for term in terms:
        if not fit.has(term):
            continue
        with warnings.catch_warnings():
            # "2^G < the number of boot iterations, setting full_enumeration to True": intended
            warnings.simplefilter("ignore", UserWarning)
            try:
                res, t_boot = fit.model.wildboottest(
                    reps=reps, cluster=cluster, param=term, weights_type=weights,
                    impose_null=True, bootstrap_type="11", seed=int(seed),
                    return_bootstrapped_t_stats=True)
            except (ValueError, NotImplementedError, np.linalg.LinAlgError) as exc:
                raise EstimationError(f"wild bootstrap of {term}: {exc}") from exc
        t_boot = np.asarray(t_boot, float).ravel()
        interval = None
        if design is not None and v is not None:
            parts = design.parts(term, v)
            alpha = 1 - level
            interval = (_bound(parts, alpha, -1), _bound(parts, alpha, +1))
        out[term] = WildTest(term=term,
                             p_value=wild_p_value(float(np.asarray(res["t value"])), t_boot),
                             n_draws=int(len(t_boot)), full_enumeration=full, weights=weights,
                             seed=int(seed), n_clusters=G, conf_int=interval, level=level)
    return out


def wild_test(fit: Fit, term: str, **kwargs: Any) -> WildTest:
    """One term of :func:`wild_tests` (same keywords).

    Raises
    ------
    EstimationError
        ``term`` was not estimated (and as :func:`wild_tests`).
    """
    res = wild_tests(fit, [term], **kwargs)
    if term not in res:
        raise EstimationError(f"wild bootstrap: {term} was not estimated")
    return res[term]
