"""HonestDiD (Rambachan & Roth 2023): confidence sets robust to violations of parallel trends.

Given event-study coefficients ``β̂ = (β̂_pre, β̂_post)`` with covariance ``Σ`` (base period −1
left out), the parameter is ``θ = l'τ_post`` (``l = e_1``: the first post period; ``l = 1/T``:
the post average). The post-period bias ``δ_post`` is only restricted relative to the pre-period
differences ``δ_pre``:

* relative magnitudes ``Δ^RM(M̄)``: no post-period change of the bias is larger than ``M̄``
  times the largest pre-period change (``M̄ = 0``: parallel trends after treatment; ``M̄ = 1``:
  post-treatment violations as bad as the worst pre-treatment one). Confidence sets by the
  conditional least-favourable hybrid test of Andrews, Roth & Pakes (``C-LF``, HonestDiD's
  default for ``Δ^RM``), inverted over a grid of θ;
* smoothness ``Δ^SD(M)``: the slope of the bias changes by at most ``M`` per period (``M = 0``:
  a linear trend extrapolated from the pre-periods). Fixed-length confidence intervals
  (``FLCI``, HonestDiD's default for ``Δ^SD``).

The **breakdown** ``M̄`` is the largest ``M̄`` at which the robust confidence set still excludes
zero: how large post-treatment violations (relative to the pre-treatment ones) must be before
the conclusion that the effect is non-zero breaks down.

This module re-implements R ``HonestDiD`` 0.2.7 (``computeConditionalCS_DeltaRM`` with
``hybrid_flag = "LF"``, ``findOptimalFLCI``) step by step, including R's random draws (the
least-favourable critical value's 1,000 draws and the folded-normal quantile's 10^6 draws use
R's Mersenne-Twister with ``set.seed(0)`` and inversion, reproduced here), so the bounds agree
with R's (``tests/reference/did/diagnostics_honest.R``). No Python package fits: ``diff-diff``'s
HonestDiD replaces the C-LF test by a naive interval (its own docstring), ``honestdid`` needs
torch and cvxpy.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats
from scipy.special import ndtri

from pairnet.core.errors import EstimationError, InputError
from pairnet.core.i18n import Text
from pairnet.core.results import Figure, ResultBase, Table, tidy_frame

__all__ = ["HonestResult", "honest_did", "MBAR_DEFAULT", "M_DEFAULT", "r_rnorm"]

MBAR_DEFAULT: tuple[float, ...] = (0.0, 0.5, 1.0, 1.5, 2.0)
M_DEFAULT: tuple[float, ...] = (0.0, 0.05, 0.1)


# --------------------------------------------------------------------------------------------
# R's random numbers (set.seed(seed); rnorm(n)), so that simulated critical values agree
# --------------------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def r_rnorm(n: int, seed: int = 0) -> np.ndarray:
    """``set.seed(seed); rnorm(n)`` of R (Mersenne-Twister, inversion), bit for bit."""
    s = seed & 0xFFFFFFFF
    for _ in range(50):
        s = (69069 * s + 1) & 0xFFFFFFFF
    mt = []
    for _ in range(625):
        s = (69069 * s + 1) & 0xFFFFFFFF
        mt.append(s)
    bg = np.random.MT19937()
    bg.state = {"bit_generator": "MT19937",
                "state": {"key": np.array(mt[1:], dtype=np.uint32), "pos": 624}}
    u = bg.random_raw(2 * n).astype(float) * 2.3283064365386963e-10
    u = np.where(u <= 0, 0.5 * 2.328306437080797e-10, u)
    big = 134217728.0
    out = ndtri((np.floor(big * u[0::2]) + u[1::2]) / big)
    out.setflags(write=False)
    return out


def _r_rmvnorm(n: int, sigma: np.ndarray, seed: int = 0) -> np.ndarray:
    """``set.seed(seed); mvtnorm::rmvnorm(n, sigma = sigma)`` (method "eigen")."""
    p = sigma.shape[0]
    lam, vec = np.linalg.eigh((sigma + sigma.T) / 2)
    root = (vec * np.sqrt(np.maximum(lam, 0))) @ vec.T
    return r_rnorm(n * p, seed).reshape(n, p) @ root


def _quantile7(x: np.ndarray, p: float) -> float:
    """R's ``quantile(x, p)`` (type 7)."""
    x = x[np.isfinite(x)]
    h = (len(x) - 1) * p
    lo = int(np.floor(h))
    hi = min(lo + 1, len(x) - 1)
    part = np.partition(x, [lo, hi])
    return float(part[lo] + (h - lo) * (part[hi] - part[lo]))


# --------------------------------------------------------------------------------------------
# Delta^RM and the ARP conditional / least-favourable hybrid test
# --------------------------------------------------------------------------------------------
def _create_a_rm(npre: int, npost: int, mbar: float, s: int, max_positive: bool) -> np.ndarray:
    """HonestDiD's ``.create_A_RM`` (with t = 0 dropped)."""
    n = npre + npost
    at = np.zeros((n, n + 1))
    for r in range(n):
        at[r, r:r + 2] = (-1, 1)
    v = np.zeros(n + 1)
    v[npre + s - 1:npre + s + 1] = (-1, 1)
    if not max_positive:
        v = -v
    aub = np.vstack([np.tile(v, (npre, 1)), np.tile(mbar * v, (npost, 1))])
    a = np.vstack([at - aub, -at - aub])
    a = a[(a * a).sum(axis=1) > 1e-10]
    return np.delete(a, npre, axis=1)


def _gamma(l_vec: np.ndarray) -> np.ndarray:
    """``.construct_Gamma``: an invertible matrix with ``l'`` as its first row (RREF pivots)."""
    t = len(l_vec)
    b = np.column_stack([l_vec, np.eye(t)])
    cols: list[int] = []
    for j in range(b.shape[1]):
        if np.linalg.matrix_rank(b[:, [*cols, j]]) > len(cols):
            cols.append(j)
        if len(cols) == t:
            break
    return b[:, cols].T


def _eta_lp(y: np.ndarray, x: np.ndarray, sd: np.ndarray
            ) -> tuple[float, np.ndarray, np.ndarray, bool]:
    """``.test_delta_lp_fn``: min η s.t. y − Xδ ≤ η·sd; returns η, δ, duals λ ≥ 0, ok."""
    k = x.shape[1]
    c = np.r_[1.0, np.zeros(k)]
    a = -np.column_stack([sd, x])
    res = optimize.linprog(c, A_ub=a, b_ub=-y, bounds=[(None, None)] * (k + 1),
                           method="highs")
    if res.status != 0:
        return float("nan"), np.full(k, np.nan), np.full(len(y), np.nan), False
    return float(res.fun), res.x[1:], -np.asarray(res.ineqlin.marginals), True


class _EtaSolver:
    """η(y) = min_δ max_i (y_i − X_iδ)/sd_i for many y, by enumerating the LP's vertices.

    η is convex piecewise linear in δ; its minimum sits where k + 1 of the pieces are equal,
    so it is the smallest value of the max over those candidate points (the LP optimum
    exactly). At a non-degenerate optimum the duals solve ``[sd_B, X_B]' λ_B = e_1``.
    """

    def __init__(self, x: np.ndarray, sd: np.ndarray) -> None:
        m, k = x.shape
        self.x, self.sd, self.k = x, sd, k
        w = np.column_stack([sd, x])
        subs, invs = [], []
        for rows in itertools.combinations(range(m), k + 1):
            sub = w[list(rows)]
            if abs(np.linalg.det(sub)) > 1e-12:
                subs.append(rows)
                invs.append(np.linalg.inv(sub))
        self.rows = np.array(subs, dtype=int)
        self.inv = np.array(invs)
        self.w = w

    def values(self, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """η and the minimising δ for each row of ``ys``."""
        yr = ys[:, self.rows]                         # (n, nsub, k+1)
        sol = np.einsum("sij,nsj->nsi", self.inv, yr)  # (n, nsub, k+1)
        delta = sol[:, :, 1:]
        val = ((ys[:, None, :] - delta @ self.x.T) / self.sd).max(axis=2)
        best = val.argmin(axis=1)
        idx = np.arange(len(ys))
        return val[idx, best], delta[idx, best]

    def solve(self, y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, bool]:
        """η, δ, the duals λ and whether they are unique (a non-degenerate vertex)."""
        eta_a, delta_a = self.values(y[None, :])
        eta, delta = float(eta_a[0]), delta_a[0]
        slack = eta - (y - self.x @ delta) / self.sd
        act = np.flatnonzero(np.abs(slack) <= 1e-9 * max(1.0, abs(eta)))
        if len(act) != self.k + 1:
            return eta, delta, np.array([]), False
        lam_b = np.linalg.solve(self.w[act].T, np.r_[1.0, np.zeros(self.k)])
        lam = np.zeros(len(y))
        lam[act] = lam_b
        return eta, delta, lam, bool((lam_b > -1e-9).all())


def _lf_cv(x: np.ndarray, sigma: np.ndarray, kappa: float, seed: int = 0,
           sims: int = 1000) -> float:
    """``.compute_least_favorable_cv`` (nuisance case) with R's draws."""
    sd = np.sqrt(np.diag(sigma))
    xi = _r_rmvnorm(sims, sigma, seed)
    eta, _ = _EtaSolver(x, sd).values(xi)
    return _quantile7(eta, 1 - kappa)


def _norminvp(p: float, lo: float, hi: float) -> float:
    """Quantile ``p`` of the standard normal truncated to [lo, hi]."""
    return float(stats.truncnorm.ppf(p, lo, hi))


def _max_program(s_t: np.ndarray, gamma: np.ndarray, sigma: np.ndarray, w_t: np.ndarray,
                 c: float) -> tuple[float, np.ndarray]:
    f = s_t + (sigma @ gamma) * c / float(gamma @ sigma @ gamma)
    aeq = w_t.T
    beq = np.r_[1.0, np.zeros(aeq.shape[0] - 1)]
    res = optimize.linprog(-f, A_eq=aeq, b_eq=beq, bounds=[(0, None)] * len(f),
                           method="highs")
    if res.status != 0:
        return float("nan"), np.full(len(f), np.nan)
    return float(-res.fun), res.x


def _vlo_vup_dual(eta: float, s_t: np.ndarray, gamma: np.ndarray, sigma: np.ndarray,
                  w_t: np.ndarray) -> tuple[float, float]:
    """``.vlo_vup_dual_fn``: the truncation points by R's shortcut and bisection."""
    tol_c, tol_eq = 1e-6, 1e-6
    sig_b = float(np.sqrt(gamma @ sigma @ gamma))
    low0 = min(-100.0, eta - 20 * sig_b)
    high0 = max(100.0, eta + 20 * sig_b)
    maxiters, switchiters = 10000, 10

    def check(c: float) -> tuple[bool, np.ndarray]:
        val, sol = _max_program(s_t, gamma, sigma, w_t, c)
        return bool(np.isfinite(val) and abs(c - val) <= tol_eq), sol

    ok, _ = check(eta)
    if not ok:
        return eta, float("inf")
    b = (sigma @ gamma) / float(gamma @ sigma @ gamma)

    def roundeps(v: float) -> float:
        return 0.0 if abs(v) < np.finfo(float).eps ** 0.75 else v

    def side(start: float, upper: bool) -> float:
        ok, sol = check(start)
        if ok:
            return float("inf") if upper else float("-inf")
        dif, iters = 0.0, 1
        mid = roundeps(float(sol @ s_t)) / (1 - float(sol @ b))
        while True:
            ok, sol = check(mid)
            if ok or iters >= maxiters:
                break
            iters += 1
            if iters >= switchiters:
                dif = tol_c + 1
                break
            mid = roundeps(float(sol @ s_t)) / (1 - float(sol @ b))
        lo, hi = (eta, mid) if upper else (mid, eta)
        while dif > tol_c and iters < maxiters:
            iters += 1
            mid = (hi + lo) / 2
            if check(mid)[0]:
                if upper:
                    lo = mid
                else:
                    hi = mid
            else:
                if upper:
                    hi = mid
                else:
                    lo = mid
            dif = hi - lo
        return mid

    return side(low0, False), side(high0, True)


def _lf_test(y_t: np.ndarray, x_t: np.ndarray, sigma: np.ndarray, alpha: float, kappa: float,
             lf_cv: float, solver: _EtaSolver | None = None) -> bool:
    """``.lp_conditional_test_fn`` with the LF hybrid: True = reject."""
    m, k = x_t.shape
    sd = np.sqrt(np.diag(sigma))
    if solver is not None:
        eta, _, lam, unique = solver.solve(y_t)
        if eta > lf_cv:
            return True
        if not unique:  # a degenerate vertex: take the LP solver's dual vertex
            eta, _, lam, ok = _eta_lp(y_t, x_t, sd)
            if not ok:
                return False
    else:
        eta, _, lam, ok = _eta_lp(y_t, x_t, sd)
        if not ok:
            return False
        if eta > lf_cv:
            return True
    mod_size = (alpha - kappa) / (1 - kappa)
    b_idx = lam > 1e-6
    degenerate = int(b_idx.sum()) != k + 1
    x_tb = x_t[b_idx]
    full_rank = (x_tb.size > 0 and min(x_tb.shape) > 0
                 and np.linalg.matrix_rank(x_tb) == min(x_tb.shape))
    if not full_rank or degenerate:
        w_t = np.column_stack([sd, x_t])
        g = lam
        gsg = float(g @ sigma @ g)
        s_t = (np.eye(m) - np.outer(sigma @ g, g) / gsg) @ y_t
        vlo, vup = _vlo_vup_dual(eta, s_t, g, sigma, w_t)
        if abs(gsg) < np.finfo(float).eps:
            return eta > 0
        sb = np.sqrt(gsg)
        maxstat = eta / sb
        zlo, zup = vlo / sb, min(vup, lf_cv) / sb
    else:
        bc = ~b_idx
        wb = np.column_stack([sd[b_idx], x_tb])
        wbi = np.linalg.inv(wb)
        sel_b = np.eye(m)[b_idx]
        sel_bc = np.eye(m)[bc]
        gam = np.column_stack([sd[bc], x_t[bc]]) @ wbi @ sel_b - sel_bc
        v_b = (wbi[0] @ sel_b)
        s2 = float(v_b @ sigma @ v_b)
        sb = np.sqrt(s2)
        rho = gam @ sigma @ v_b / s2
        with np.errstate(divide="ignore", invalid="ignore"):
            mm = (-gam @ y_t) / rho + float(v_b @ y_t)
        vlo = float(mm[rho > 0].max()) if (rho > 0).any() else float("-inf")
        vup = float(mm[rho < 0].min()) if (rho < 0).any() else float("inf")
        zlo, zup = vlo / sb, min(vup, lf_cv) / sb
        maxstat = eta / sb
    if not (zlo <= maxstat <= zup):
        return False
    cval = max(0.0, _norminvp(1 - mod_size, zlo, zup))
    return bool(maxstat > cval)


def _rm_accept(beta: np.ndarray, sigma: np.ndarray, npre: int, npost: int, l_vec: np.ndarray,
               mbar: float, grid: np.ndarray, alpha: float, seed: int) -> np.ndarray:
    """``computeConditionalCS_DeltaRM`` (LF hybrid, post-period moments): accept per θ."""
    kappa = alpha / 10
    gam_inv = np.linalg.inv(_gamma(l_vec))
    accept = np.zeros(len(grid), bool)
    for s in range(-(npre - 1), 1):
        for pos in (True, False):
            a = _create_a_rm(npre, npost, mbar, s, pos)
            rows = np.flatnonzero((a[:, npre:] != 0).any(axis=1))
            agi = a[:, npre:] @ gam_inv
            a_one, x_all = agi[:, 0], agi[:, 1:]
            yv = a @ beta
            sig_y = a @ sigma @ a.T
            x_r, sig_r = x_all[rows], sig_y[np.ix_(rows, rows)]
            lf = _lf_cv(x_r, sig_r, kappa, seed)
            solver = _EtaSolver(x_r, np.sqrt(np.diag(sig_r)))
            for i, th in enumerate(grid):
                if accept[i]:
                    continue
                y_t = (yv - a_one * th)[rows]
                if not _lf_test(y_t, x_r, sig_r, alpha, kappa, lf, solver):
                    accept[i] = True
    return accept


def _r_seq(lo: float, hi: float, n: int) -> np.ndarray:
    """R's ``seq(lo, hi, length.out = n)``."""
    if n == 1:
        return np.array([lo])
    by = (hi - lo) / (n - 1)
    out = lo + np.arange(n) * by
    out[-1] = hi
    return out


def rm_interval(beta: np.ndarray, sigma: np.ndarray, npre: int, npost: int,
                l_vec: np.ndarray, mbar: float, *, alpha: float = 0.05,
                grid_points: int = 1000, seed: int = 0) -> tuple[float, float]:
    """The C-LF robust confidence set under ``Δ^RM(M̄)`` as [min, max] of accepted θ."""
    if npost < 2:
        raise EstimationError("relative-magnitudes bounds here need at least 2 post periods")
    sd_theta = float(np.sqrt(l_vec @ sigma[npre:, npre:] @ l_vec))
    grid = _r_seq(-20 * sd_theta, 20 * sd_theta, grid_points)
    acc = _rm_accept(beta, sigma, npre, npost, l_vec, mbar, grid, alpha, seed)
    if not acc.any():
        return float("nan"), float("nan")
    return float(grid[acc].min()), float(grid[acc].max())


# --------------------------------------------------------------------------------------------
# Delta^SD and the optimal FLCI
# --------------------------------------------------------------------------------------------
def _w_to_l(k: int) -> np.ndarray:
    m = np.eye(k)
    for c in range(k - 1):
        m[c + 1, c] = -1
    return m


def _var_mats(sigma: np.ndarray, npre: int, l_vec: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, float]:
    """Quadratic, linear and constant parts of the variance as a function of w."""
    spre = sigma[:npre, :npre]
    sprepost = sigma[:npre, npre:]
    spost = float(l_vec @ sigma[npre:, npre:] @ l_vec)
    wl = _w_to_l(npre)
    return wl.T @ spre @ wl, 2 * wl.T @ sprepost @ l_vec, spost


def _abs_rows(k: int) -> np.ndarray:
    lt = np.tril(np.ones((k, k)))
    return np.vstack([np.hstack([-np.eye(k), lt]), np.hstack([-np.eye(k), -lt])])


def _bias_constant(l_vec: np.ndarray) -> float:
    t = len(l_vec)
    s = sum(abs(float(np.arange(1, s_ + 1) @ l_vec[t - s_:])) for s_ in range(1, t + 1))
    return s - float(np.arange(1, t + 1) @ l_vec)


def _minvar_w(sigma: np.ndarray, npre: int, l_vec: np.ndarray) -> np.ndarray:
    """The pre-period weights of least variance with ``sum(w) = Σ_s s·l_s`` (``.findLowestH``).

    The |·| constraints of HonestDiD only tie the slack U to w, so this is a linear KKT system.
    """
    q, a, _ = _var_mats(sigma, npre, l_vec)
    k = npre
    target = float(np.arange(1, len(l_vec) + 1) @ l_vec)
    kkt = np.block([[2 * q, np.ones((k, 1))], [np.ones((1, k)), np.zeros((1, 1))]])
    return np.linalg.lstsq(kkt, np.r_[-a, target], rcond=None)[0][:k]


def _worst_bias(h: float, sigma: np.ndarray, npre: int, l_vec: np.ndarray
                ) -> tuple[float, np.ndarray]:
    """``.findWorstCaseBiasGivenH`` (before × M): min bias s.t. sd ≤ h; (bias, l_pre)."""
    q, a, c = _var_mats(sigma, npre, l_vec)
    k = npre
    target = float(np.arange(1, len(l_vec) + 1) @ l_vec)
    absm = _abs_rows(k)
    const = _bias_constant(l_vec)
    wv = _minvar_w(sigma, npre, l_vec)
    var_min = float(wv @ q @ wv + a @ wv + c)
    if h * h <= var_min * (1 + 1e-10):  # the feasible set is the least-variance point
        if h * h < var_min * (1 - 1e-8):
            return float("inf"), np.full(k, np.nan)
        return float(const + np.abs(np.cumsum(wv)).sum()), _w_to_l(k) @ wv
    cons = [{"type": "ineq", "fun": lambda z: -(absm @ z), "jac": lambda z: -absm},
            {"type": "eq", "fun": lambda z: np.array([z[k:].sum() - target]),
             "jac": lambda z: np.r_[np.zeros(k), np.ones(k)][None, :]},
            {"type": "ineq",
             "fun": lambda z: np.array([h * h - (z[k:] @ q @ z[k:] + a @ z[k:] + c)]),
             "jac": lambda z: np.r_[np.zeros(k), -(2 * q @ z[k:] + a)][None, :]}]
    obj = np.r_[np.ones(k), np.zeros(k)]
    w_end = np.r_[np.zeros(k - 1), target]
    best = None
    # strictly feasible starts between the least-variance and the least-bias weights
    for lam in (0.5, 0.9, 0.1):
        w0 = lam * wv + (1 - lam) * w_end
        if float(w0 @ q @ w0 + a @ w0 + c) > h * h:
            w0 = wv
        start = np.r_[np.abs(np.cumsum(w0)) + 1e-6, w0]
        res = optimize.minimize(lambda z: obj @ z, start, jac=lambda z: obj, constraints=cons,
                                method="SLSQP", options={"ftol": 1e-15, "maxiter": 2000})
        feas = (res.x[k:] @ q @ res.x[k:] + a @ res.x[k:] + c <= h * h * (1 + 1e-9)
                and abs(res.x[k:].sum() - target) < 1e-9)
        if feas and (best is None or res.fun < best.fun):
            best = res
    if best is None:
        return float("inf"), np.full(k, np.nan)
    w = best.x[k:]
    return float(const + np.abs(np.cumsum(w)).sum()), _w_to_l(k) @ w


def _lowest_h(sigma: np.ndarray, npre: int, l_vec: np.ndarray) -> float:
    """``.findLowestH``: the smallest sd of an affine estimator with these constraints."""
    q, a, c = _var_mats(sigma, npre, l_vec)
    w = _minvar_w(sigma, npre, l_vec)
    return float(np.sqrt(w @ q @ w + a @ w + c))


def _h_min_bias(sigma: np.ndarray, npre: int, l_vec: np.ndarray) -> float:
    q, a, c = _var_mats(sigma, npre, l_vec)
    w = np.r_[np.zeros(npre - 1), float(np.arange(1, len(l_vec) + 1) @ l_vec)]
    return float(np.sqrt(w @ q @ w + a @ w + c))


def _qfolded(p: float, mu: float, seed: int = 0) -> float:
    """``.qfoldednormal``: R's simulated quantile of |N(mu, 1)| (10^6 draws)."""
    return _quantile7(np.abs(r_rnorm(10 ** 6, seed) + mu), p)


def flci(beta: np.ndarray, sigma: np.ndarray, npre: int, npost: int, l_vec: np.ndarray,
         m: float, *, alpha: float = 0.05, num_points: int = 100, seed: int = 0
         ) -> tuple[float, float]:
    """``findOptimalFLCI``: the optimal fixed-length CI under ``Δ^SD(M)``."""
    h0 = _h_min_bias(sigma, npre, l_vec)
    hmin = _lowest_h(sigma, npre, l_vec)

    def half(h: float) -> float:
        b, _ = _worst_bias(h, sigma, npre, l_vec)
        return _qfolded(1 - alpha, m * b / h, seed) * h if np.isfinite(b) else float("nan")

    a, b = hmin, h0
    dif = min((b - a) / num_points, abs(b) * np.finfo(float).eps ** (1 / 3))
    fa, fb = half(a), half(b)
    fpa = (half(a + dif) - fa) / dif
    fpb = (half(b - dif) - fb) / -dif
    maxiter = 10 * int(np.ceil(np.log(abs(b - a) / dif) / np.log(2)))
    failtol = np.finfo(float).eps ** 0.5
    hstar = float("nan")
    failed = False
    if fpa > fpb or not np.isfinite(fa) or not np.isfinite(fb):
        failed = True
    elif fpb < 0:
        hstar = b
    elif fpa > 0:
        hstar = a
    else:
        it = 1
        while not failed and abs(b - a) > dif:
            it += 1
            x = (a + b) / 2
            fpx = (half(x + dif) - half(x - dif)) / (2 * dif)
            failed = bool(fpx > fpb + failtol or fpx + failtol < fpa or it > maxiter)
            if fpx > 0:
                b = x
            else:
                a = x
        hstar = (a + b) / 2
    if failed:
        grid = _r_seq(hmin, h0, num_points)
        vals = [half(h) for h in grid]
        hstar = float(grid[int(np.nanargmin(vals))])
    bias, lpre = _worst_bias(hstar, sigma, npre, l_vec)
    halflen = _qfolded(1 - alpha, m * bias / hstar, seed) * hstar
    centre = float(np.r_[lpre, l_vec] @ beta)
    return centre - halflen, centre + halflen


# --------------------------------------------------------------------------------------------
# the result
# --------------------------------------------------------------------------------------------
#: The display words of the bounds table (targets, the original CI and the methods).
_WORDS: dict[str, Text] = {t.en: t for t in (
    Text("first", "处理后第一期"), Text("average", "处理后平均"), Text("original", "原始"),
    Text("Original", "原始置信区间"), Text("C-LF", "C-LF（条件最不利混合）"),
    Text("FLCI", "FLCI（最优固定长度区间）"),
)}


@dataclass(frozen=True)
class HonestResult(ResultBase):
    """Robust confidence sets for one event study (TWFE or Callaway–Sant'Anna).

    Attributes
    ----------
    bounds : DataFrame
        ``target`` (``first`` | ``average``), ``restriction`` (``original`` | ``RM`` | ``SD``),
        ``M`` (M̄ or M), ``lb``, ``ub``, ``method`` (``Original``, ``C-LF``, ``FLCI``).
    breakdown : dict
        ``{target: M̄}``: the largest M̄ at which the C-LF set excludes 0 (NaN when even
        M̄ = 0 includes 0; ``inf`` when no M̄ up to ``breakdown_max`` includes it).
    source : str
        ``twfe`` or ``cs``.
    """

    bounds: pd.DataFrame
    breakdown: dict[str, float]
    source: str
    npre: int
    npost: int
    rel_times: tuple[int, ...]
    y: str = ""
    grid_points: int = 1000
    notes: tuple[str, ...] = field(default=())
    title = "HonestDiD sensitivity"

    def tidy(self) -> pd.DataFrame:
        """Broom columns (``conf_low``/``conf_high`` = the bounds) per target, restriction, M."""
        b = self.bounds
        terms = [f"{t}:{r}:{m:g}" for t, r, m in zip(b["target"], b["restriction"], b["M"],
                                                     strict=True)]
        return tidy_frame(terms, np.full(len(b), np.nan), conf_low=b["lb"], conf_high=b["ub"],
                          source=self.source, target=list(b["target"]),
                          restriction=list(b["restriction"]), M=list(b["M"]))

    def to_dict(self) -> dict[str, Any]:
        """Every bound, the breakdown M̄ and the settings."""
        return {"source": self.source, "bounds": self.bounds,
                "breakdown_mbar": dict(self.breakdown), "n_pre": self.npre,
                "n_post": self.npost, "rel_times": list(self.rel_times),
                "grid_points": self.grid_points, "alpha": 0.05,
                "methods": {"RM": "C-LF (conditional least-favourable hybrid)",
                            "SD": "FLCI (optimal fixed-length CI)"},
                "notes": list(self.notes)}

    def summary(self) -> str:
        """The bounds and the breakdown M̄ (returned, never printed)."""
        lines = [f"HonestDiD ({self.source} event study, {self.npre} pre / {self.npost} post):"]
        for r in self.bounds.itertuples():
            lines.append(f"  {r.target:<8} {r.restriction:<8} M={r.M:<5g} [{r.lb:.4g}, "
                         f"{r.ub:.4g}]")
        lines.append("  breakdown Mbar: " + ", ".join(f"{k} {v:.3g}"
                                                      for k, v in self.breakdown.items()))
        return "\n".join(lines)

    def tables(self) -> dict[str, Table]:
        """The robust bounds, with the breakdown M̄ in the note."""
        bd = "; ".join(f"{k}: {v:.3g}" for k, v in self.breakdown.items())
        bdz = "；".join(f"{_WORDS[k]('zh') if k in _WORDS else k}：{v:.3g}"
                        for k, v in self.breakdown.items())
        shown = self.bounds.copy()
        for col in ("target", "restriction", "method"):
            # an object column: pandas would turn the texts into plain strings
            shown[col] = pd.Series([_WORDS.get(w, w) for w in shown[col]], index=shown.index,
                                   dtype=object)
        return {f"honest_{self.source}": Table(
            shown,
            Text(f"HonestDiD robust confidence sets ({self.source} event study)",
                 f"HonestDiD 稳健置信区间（{self.source} 事件研究）"),
            Text("95% confidence sets for the effect in the first post period ('first') and "
                 "the average over the post periods ('average') when parallel trends may fail. "
                 "RM: post-treatment violations at most M̄ times the largest pre-treatment "
                 "change (M̄ = 1: as bad as the worst pre-period); SD: the trend's slope may "
                 "change by at most M per period (M = 0: a linear trend). 'original' = the "
                 "usual CI. A set that excludes 0 at M̄ = 1 is robust to violations as large as "
                 f"those seen before treatment. Breakdown M̄ (largest M̄ still excluding 0): {bd}.",
                 "平行趋势可能不成立时，处理后第一期与处理后平均效应的 95% 置信区间。"
                 "RM：处理后偏离至多为处理前最大变化的 M̄ 倍；SD：趋势斜率每期至多变化 M（M=0 为线性趋势）。"
                 f"“原始”为通常置信区间。断点 M̄（仍排除 0 的最大 M̄）：{bdz}。"))}

    def plot(self, lang: str = "en") -> Any:
        """Robust CI against M̄ (and against M), per target, with the original CI."""
        import matplotlib.pyplot as plt

        b = self.bounds
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
        for ax, restr, lab in ((axes[0], "RM", "M̄"), (axes[1], "SD", "M")):
            for j, (target, color) in enumerate((("first", "C0"), ("average", "C1"))):
                o = b[(b["target"] == target) & (b["restriction"] == "original")]
                s = b[(b["target"] == target) & (b["restriction"] == restr)]
                if not len(s):
                    continue
                off = (j - 0.5) * 0.08 * (s["M"].max() or 1)
                ax.vlines(s["M"] + off, s["lb"], s["ub"], color=color, lw=2,
                          label=_WORDS[target]("zh" if lang == "zh" else "en"))
                if len(o):
                    ax.vlines([-0.15 * (s["M"].max() or 1) + off], o["lb"], o["ub"],
                              color=color, lw=2, ls=":")
            ax.axhline(0, color="black", lw=0.8)
            ax.set_xlabel(lab + (" (dotted: original CI)" if lang != "zh" else "（点线：原始区间）"))
            ax.set_title(("relative magnitudes" if restr == "RM" else "smoothness")
                         if lang != "zh" else ("相对幅度" if restr == "RM" else "平滑性"))
        axes[0].set_ylabel(f"effect on {self.y}" if lang != "zh" else f"对 {self.y} 的效应")
        # below the panels, where it covers no bar
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=len(labels) or 1, frameon=False,
                   fontsize=8, bbox_to_anchor=(0.5, 0.0))
        fig.tight_layout(rect=(0, 0.07, 1, 1))
        return fig

    def figures(self) -> dict[str, Figure]:
        """The CI-versus-M̄ (and M) figure."""
        return {f"honest_{self.source}": Figure(
            lambda lang: self.plot(lang),
            Text(f"HonestDiD: robust CI versus M̄ ({self.source})",
                 f"HonestDiD：稳健置信区间随 M̄ 变化（{self.source}）"),
            Text("Each bar is a 95% robust confidence set; left: allowing post-treatment "
                 "violations up to M̄ times the largest pre-treatment one; right: trends whose "
                 "slope changes by up to M per period. Where bars cross zero, the data no longer "
                 "rule out a zero effect under that much violation.",
                 "每根竖条为 95% 稳健置信区间；左：允许处理后偏离至多为处理前最大偏离的 M̄ 倍；右：趋势斜率每期变化至多 M。"
                 "竖条跨过零处，在该程度的偏离下数据无法排除零效应。"))}


def _breakdown(beta: np.ndarray, sigma: np.ndarray, npre: int, npost: int, l_vec: np.ndarray,
               known: dict[float, tuple[float, float]], *, grid_points: int, seed: int,
               upper: float, tol: float = 0.01) -> float:
    """Largest M̄ whose C-LF set excludes 0, by bisection on [0, ``upper``]."""
    def excludes(mb: float) -> bool:
        lo, hi = known[mb] if mb in known else rm_interval(
            beta, sigma, npre, npost, l_vec, mb, grid_points=grid_points, seed=seed)
        return bool(np.isfinite(lo) and (lo > 0 or hi < 0))

    if not excludes(0.0):
        return float("nan")
    ok = [m for m in sorted(known) if excludes(m)]
    lo = max(ok) if ok else 0.0
    bad = [m for m in sorted(known) if m > lo and not excludes(m)]
    hi = min(bad) if bad else upper
    if not bad and excludes(upper):
        return float("inf")
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if excludes(mid):
            lo = mid
        else:
            hi = mid
    return lo


def honest_did(beta: Sequence[float] | np.ndarray, sigma: np.ndarray,
               rel_times: Sequence[int], *, base: int = -1,
               mbar: Sequence[float] = MBAR_DEFAULT, m: Sequence[float] = M_DEFAULT,
               targets: Sequence[str] = ("first", "average"), alpha: float = 0.05,
               grid_points: int = 1000, breakdown: bool = True, breakdown_max: float = 5.0,
               seed: int = 0, source: str = "twfe", y: str = "") -> HonestResult:
    """HonestDiD bounds for an event study (coefficients without the base period).

    Parameters
    ----------
    beta, sigma : array
        Event-study coefficients and covariance, ordered by event time, base period left out.
    rel_times : sequence of int
        Their event times: consecutive, with ``base`` (−1) missing.
    mbar, m : sequence of float
        Values of M̄ (relative magnitudes, C-LF) and M (smoothness, FLCI).
    targets : sequence of {"first", "average"}
        The first post period and/or the post average.
    grid_points : int
        θ grid of the C-LF inversion (R's ``gridPoints``; its range is ±20 SE around 0).
    breakdown : bool
        Also find the breakdown M̄ (bisection to 0.01, up to ``breakdown_max``).

    Raises
    ------
    InputError
        Event times not consecutive around ``base``, a negative M or M̄, an unknown target.
    EstimationError
        Fewer than 2 pre or 1 post periods.
    """
    rt = np.asarray(rel_times, int)
    b = np.asarray(beta, float)
    s = np.asarray(sigma, float)
    order = np.argsort(rt)
    rt, b, s = rt[order], b[order], s[np.ix_(order, order)]
    pre, post = rt[rt < base], rt[rt > base]
    want = np.r_[np.arange(pre.min() if len(pre) else base, base),
                 np.arange(base + 1, (post.max() if len(post) else base) + 1)]
    if len(rt) != len(want) or (rt != want).any():
        raise InputError(f"HonestDiD needs consecutive event times around {base} (got "
                         f"{list(rt)})", file="`diagnostics`",
                         fix="use an event study with every period of its window")
    if len(pre) < 2 or len(post) < 1:
        raise EstimationError("HonestDiD needs at least 2 pre-period and 1 post-period "
                              "coefficients")
    if any(v < 0 for v in (*mbar, *m)):
        raise InputError("M and Mbar must be >= 0", file="`honest_mbar`",
                         fix="pass non-negative values")
    npre, npost = len(pre), len(post)
    # the coefficient at base + 1 = 0 is the first post period (rel_time 0)
    rows: list[dict[str, Any]] = []
    bd: dict[str, float] = {}
    notes: list[str] = []
    z = stats.norm.ppf(1 - alpha / 2)
    for target in targets:
        if target not in ("first", "average"):
            raise InputError(f"unknown HonestDiD target {target!r}", file="`diagnostics`",
                             fix="use first and/or average")
        lv = (np.r_[1.0, np.zeros(npost - 1)] if target == "first"
              else np.full(npost, 1.0 / npost))
        est = float(lv @ b[npre:])
        se = float(np.sqrt(lv @ s[npre:, npre:] @ lv))
        rows.append({"target": target, "restriction": "original", "M": 0.0,
                     "lb": est - z * se, "ub": est + z * se, "method": "Original"})
        known: dict[float, tuple[float, float]] = {}
        for mb in mbar:
            if npost < 2:
                break
            lo, hi = rm_interval(b, s, npre, npost, lv, float(mb), alpha=alpha,
                                 grid_points=grid_points, seed=seed)
            known[float(mb)] = (lo, hi)
            rows.append({"target": target, "restriction": "RM", "M": float(mb), "lb": lo,
                         "ub": hi, "method": "C-LF"})
        if npost < 2:
            notes.append("relative-magnitudes bounds need at least 2 post periods here")
        for mm in m:
            lo, hi = flci(b, s, npre, npost, lv, float(mm), alpha=alpha, seed=seed)
            rows.append({"target": target, "restriction": "SD", "M": float(mm), "lb": lo,
                         "ub": hi, "method": "FLCI"})
        if breakdown and npost >= 2:
            bd[target] = _breakdown(b, s, npre, npost, lv, known, grid_points=grid_points,
                                    seed=seed, upper=breakdown_max)
    return HonestResult(bounds=pd.DataFrame(rows), breakdown=bd, source=source, npre=npre,
                        npost=npost, rel_times=tuple(int(k) for k in rt), y=y,
                        grid_points=grid_points, notes=tuple(notes))
