"""Two-period panel DID estimators of Sant'Anna & Zhao (2020), as R ``DRDID`` 1.0.6.

Private helpers of :mod:`pairnet.analyses.cs`. Each estimator takes the outcome change ``dy``
(post minus pre), the treatment indicator ``d`` (1 treated group, 0 comparison group) and a
covariate matrix ``x`` whose first column is the intercept, all restricted to the units of one
ATT(g,t) comparison, and returns ``(att, influence_function)`` with the influence function on
the same units (scaled as DRDID scales it: ``mean(if**2) / n`` is the variance).

``x=None`` means the intercept alone (no covariates, the common case): the same formulas with
the n x 1 matrix algebra done on scalars (the logit of an intercept is the sample share, the
outcome regression is the comparison mean), a few passes over the units instead of BLAS calls
on n x 1 matrices. ``tests/test_cs.py`` checks both paths agree to 1e-12.

The formulas follow ``DRDID::drdid_panel``, ``DRDID::reg_did_panel`` and
``DRDID::std_ipw_did_panel`` line by line (unit sampling weights equal to one).
"""

from __future__ import annotations

import numpy as np

from pairnet.core.errors import EstimationError

__all__ = ["logit_fit", "drdid_panel", "reg_did_panel", "std_ipw_did_panel"]


def logit_fit(d: np.ndarray, x: np.ndarray, *, tol: float = 1e-12, max_iter: int = 100
              ) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood logit of ``d`` on ``x`` (Newton–Raphson).

    Returns
    -------
    p : ndarray
        Fitted probabilities.
    hessian_inv : ndarray
        ``(X' diag(p(1-p)) X)^{-1}``, i.e. R's ``vcov(glm)`` for a binomial model.
    """
    n, k = x.shape
    if k == 1:
        # Intercept only: the MLE is the sample share, no iteration needed.
        p = np.full(n, d.mean())
        if not 0.0 < p[0] < 1.0:
            raise EstimationError("propensity score: the treated share is 0 or 1")
        return p, np.array([[1.0 / (n * p[0] * (1.0 - p[0]))]])
    beta = np.zeros(k)
    for _ in range(max_iter):
        eta = x @ beta
        p = 1.0 / (1.0 + np.exp(-eta))
        w = p * (1.0 - p)
        hess = (x * w[:, None]).T @ x
        grad = x.T @ (d - p)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError as exc:
            raise EstimationError("propensity score: singular covariate matrix "
                                  "(collinear or constant covariates)") from exc
        beta = beta + step
        if np.max(np.abs(step)) < tol * (1.0 + np.max(np.abs(beta))):
            break
    else:
        raise EstimationError("propensity score logit did not converge (perfect separation?); "
                              "drop or coarsen covariates")
    if not np.all(np.isfinite(beta)):
        raise EstimationError("propensity score logit diverged (perfect separation?)")
    eta = x @ beta
    p = 1.0 / (1.0 + np.exp(-eta))
    w = p * (1.0 - p)
    return p, np.linalg.inv((x * w[:, None]).T @ x)


def _ols_control(dy: np.ndarray, d: np.ndarray, x: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """OLS of ``dy`` on ``x`` among the comparison units.

    Returns the fitted values for all units and the asymptotic linear representation of the
    coefficients (n x k).
    """
    n = len(d)
    c = d == 0
    coef, *_ = np.linalg.lstsq(x[c], dy[c], rcond=None)
    if np.linalg.matrix_rank(x[c]) < x.shape[1]:
        raise EstimationError("outcome regression: covariates are collinear among the "
                              "comparison units")
    fitted = x @ coef
    wols = (1.0 - d)
    xpx_inv = np.linalg.inv((x * wols[:, None]).T @ x / n)
    alr = (wols * (dy - fitted))[:, None] * x @ xpx_inv
    return fitted, alr


def _share(d: np.ndarray) -> tuple[float, float, float]:
    """``n``, the treated share (intercept-only propensity score) and the comparison share."""
    n = len(d)
    p = float(d.sum()) / n
    if not 0.0 < p < 1.0:
        raise EstimationError("propensity score: the treated share is 0 or 1")
    return n, p, 1.0 - p


def _ols_control_intercept(dy: np.ndarray, d: np.ndarray, q: float
                           ) -> tuple[float, np.ndarray]:
    """:func:`_ols_control` with ``x`` = intercept: comparison mean and its linear representation."""
    wols = 1.0 - d
    coef = float((wols * dy).sum() / wols.sum())
    return coef, wols * (dy - coef) / q


def drdid_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray | None
                ) -> tuple[float, np.ndarray]:
    """Locally efficient doubly robust DID (``DRDID::drdid_panel``)."""
    if x is None:
        n, p, q = _share(d)
        p_s = min(p, 1.0 - 1e-16)
        m0, alr_ols = _ols_control_intercept(dy, d, q)
        w_cont = (p_s / (1.0 - p_s)) * (1.0 - d)
        resid = dy - m0
        dr_treat = d * resid
        dr_cont = w_cont * resid
        eta_treat = dr_treat.sum() / d.sum()
        mw = w_cont.mean()
        eta_cont = dr_cont.mean() / mw
        att = eta_treat - eta_cont
        alr_ps = (d - p_s) / (p * q)   # (d - p_s) * n * hinv, hinv = 1 / (n p (1 - p))
        inf_treat = (d * (resid - eta_treat) - alr_ols * p) / p
        inf_cont_1 = w_cont * (resid - eta_cont)
        m2 = inf_cont_1.mean()
        inf_control = (inf_cont_1 + alr_ps * m2 - alr_ols * mw) / mw
        return float(att), inf_treat - inf_control
    n = len(d)
    ps, hinv = logit_fit(d, x)
    ps = np.minimum(ps, 1.0 - 1e-16)
    out_delta, alr_ols = _ols_control(dy, d, x)
    w_treat = d
    w_cont = ps * (1.0 - d) / (1.0 - ps)
    resid = dy - out_delta
    dr_treat = w_treat * resid
    dr_cont = w_cont * resid
    eta_treat = dr_treat.mean() / w_treat.mean()
    eta_cont = dr_cont.mean() / w_cont.mean()
    att = eta_treat - eta_cont
    alr_ps = ((d - ps)[:, None] * x) @ (hinv * n)
    inf_treat_1 = dr_treat - w_treat * eta_treat
    m1 = (w_treat[:, None] * x).mean(axis=0)
    inf_treat = (inf_treat_1 - alr_ols @ m1) / w_treat.mean()
    inf_cont_1 = dr_cont - w_cont * eta_cont
    m2 = ((w_cont * (resid - eta_cont))[:, None] * x).mean(axis=0)
    m3 = (w_cont[:, None] * x).mean(axis=0)
    inf_control = (inf_cont_1 + alr_ps @ m2 - alr_ols @ m3) / w_cont.mean()
    return float(att), inf_treat - inf_control


def reg_did_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray | None
                  ) -> tuple[float, np.ndarray]:
    """Outcome-regression DID (``DRDID::reg_did_panel``)."""
    if x is None:
        n, p, q = _share(d)
        m0, alr_ols = _ols_control_intercept(dy, d, q)
        n_t = d.sum()
        eta_treat = (d * dy).sum() / n_t
        eta_cont = m0  # mean of the fitted comparison outcome over the treated
        att = eta_treat - eta_cont
        inf_treat = d * (dy - eta_treat) / p
        inf_control = alr_ols  # (w_cont * (m0 - eta_cont) + alr_ols * p) / p, first term 0
        return float(att), inf_treat - inf_control
    out_delta, alr_ols = _ols_control(dy, d, x)
    w_treat = d
    w_cont = d
    reg_treat = w_treat * dy
    reg_cont = w_cont * out_delta
    eta_treat = reg_treat.mean() / w_treat.mean()
    eta_cont = reg_cont.mean() / w_cont.mean()
    att = eta_treat - eta_cont
    inf_treat = (reg_treat - w_treat * eta_treat) / w_treat.mean()
    inf_cont_1 = reg_cont - w_cont * eta_cont
    m1 = (w_cont[:, None] * x).mean(axis=0)
    inf_control = (inf_cont_1 + alr_ols @ m1) / w_cont.mean()
    return float(att), inf_treat - inf_control


def std_ipw_did_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray | None
                      ) -> tuple[float, np.ndarray]:
    """Standardised (Hajek) inverse-probability-weighted DID (``DRDID::std_ipw_did_panel``)."""
    if x is None:
        n, p, q = _share(d)
        p_s = min(p, 1.0 - 1e-16)
        w_cont = (p_s / (1.0 - p_s)) * (1.0 - d)
        eta_treat = (d * dy).sum() / d.sum()
        mw = w_cont.mean()
        att_cont = w_cont * dy
        eta_cont = att_cont.mean() / mw
        att = eta_treat - eta_cont
        alr_ps = (d - p_s) / (p * q)
        inf_treat = d * (dy - eta_treat) / p
        inf_cont_1 = w_cont * (dy - eta_cont)
        m2 = inf_cont_1.mean()
        inf_control = (inf_cont_1 + alr_ps * m2) / mw
        return float(att), inf_treat - inf_control
    n = len(d)
    ps, hinv = logit_fit(d, x)
    ps = np.minimum(ps, 1.0 - 1e-16)
    w_treat = d
    w_cont = ps * (1.0 - d) / (1.0 - ps)
    att_treat = w_treat * dy
    att_cont = w_cont * dy
    eta_treat = att_treat.mean() / w_treat.mean()
    eta_cont = att_cont.mean() / w_cont.mean()
    att = eta_treat - eta_cont
    alr_ps = ((d - ps)[:, None] * x) @ (hinv * n)
    inf_treat = (att_treat - w_treat * eta_treat) / w_treat.mean()
    inf_cont_1 = att_cont - w_cont * eta_cont
    m2 = ((w_cont * (dy - eta_cont))[:, None] * x).mean(axis=0)
    inf_control = (inf_cont_1 + alr_ps @ m2) / w_cont.mean()
    return float(att), inf_treat - inf_control


ESTIMATORS = {"dr": drdid_panel, "reg": reg_did_panel, "ipw": std_ipw_did_panel}
