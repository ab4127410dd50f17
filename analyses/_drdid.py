"""Two-period panel DID estimators of Sant'Anna & Zhao (2020), as R ``DRDID`` 1.0.6.

Private helpers of :mod:`pairnet.analyses.cs`. Each estimator takes the outcome change ``dy``
(post minus pre), the treatment indicator ``d`` (1 treated group, 0 comparison group) and a
covariate matrix ``x`` whose first column is the intercept, all restricted to the units of one
ATT(g,t) comparison, and returns ``(att, influence_function)`` with the influence function on
the same units (scaled as DRDID scales it: ``mean(if**2) / n`` is the variance).

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


def drdid_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Locally efficient doubly robust DID (``DRDID::drdid_panel``)."""
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


def reg_did_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Outcome-regression DID (``DRDID::reg_did_panel``)."""
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


def std_ipw_did_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Standardised (Hajek) inverse-probability-weighted DID (``DRDID::std_ipw_did_panel``)."""
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
