"""Figure 2 of seed 003: the placebo (randomisation) test of the TWFE DID, made fast.

Each draw picks as many placebo-treated units as the data has treated units, gives them the
real cohorts in random order (so the timing distribution is the real one), builds
``Treat_it = 1[t >= g_i]`` and re-estimates ``y ~ treat | unit + time``. The two-sided
empirical p-value is ``(1 + #{|b_draw| >= |b|}) / (1 + draws)``.

Why it is fast
--------------
On a balanced panel the two-way within transformation is exact: ÿ_it = y_it − ȳ_i − ȳ_t + ȳ.
By Frisch–Waugh the TWFE coefficient is β = Σ d̈·ÿ / Σ d̈², and because ÿ is already orthogonal
to the fixed effects, Σ d̈·ÿ = Σ_{treated cells} ÿ_it, while

    Σ d̈² = n1 − Σ_i n_i² / T − Σ_t m_t² / N + n1² / (N T)

with n_i (m_t) the treated cells of unit i (period t) and n1 their total. A draw therefore
costs O(treated cells), not a regression on N·T rows. Controls are partialled out once:
ỹ = M_X ÿ and the denominator gets −c'(Ẍ'Ẍ)⁻¹c with c = Σ_{treated cells} Ẍ_it.

Unbalanced panels (or missing outcomes) fall back to a general solver: per draw the treatment
column is demeaned by alternating projections (unit, period means until convergence), still
without refitting the model; :func:`placebo_refit` (pyfixest per draw) is the slow reference
used by the tests and ``benchmarks/placebo.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from pairnet.analyses.did import ControlsAs, DIDPanel, control_columns
from pairnet.core.errors import EstimationError
from pairnet.core.i18n import Lang, Text
from pairnet.core.options import check_literal
from pairnet.core.results import ResultBase, tidy_frame

__all__ = [
    "PlaceboMethod",
    "PlaceboResult",
    "placebo_assignments",
    "placebo_fast",
    "placebo_refit",
    "placebo_test",
    "empirical_p_value",
]

PlaceboMethod = Literal["auto", "exact", "iterative", "refit"]
SolverMethod = Literal["auto", "exact", "iterative"]  # the solvers without refitting
Assignment = tuple[np.ndarray, np.ndarray]  # (unit codes, cohorts)


@dataclass(frozen=True)
class PlaceboResult(ResultBase):
    """Placebo coefficients, the real estimate and the two-sided empirical p-value."""

    draws: np.ndarray
    estimate: float
    p_value: float
    n_treated: int
    method: str
    seed: int
    y: str

    def tidy(self) -> pd.DataFrame:
        """One row, broom's columns: the real ``treat`` estimate and its randomisation p-value.

        There is no standard error or interval (``NaN``); ``n_draws``, ``placebo_mean`` and
        ``placebo_sd`` (of the draws, NaN ignored) and ``outcome`` follow. The draws themselves are
        :meth:`draws_frame`.
        """
        d = self.draws[~np.isnan(self.draws)]
        return tidy_frame(["treat"], [self.estimate], p_value=[self.p_value],
                          n_draws=len(self.draws),
                          placebo_mean=float(d.mean()) if len(d) else np.nan,
                          placebo_sd=float(d.std(ddof=1)) if len(d) > 1 else np.nan,
                          outcome=self.y)

    def draws_frame(self) -> pd.DataFrame:
        """One row per draw: ``draw, coef``."""
        return pd.DataFrame({"draw": np.arange(1, len(self.draws) + 1), "coef": self.draws})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, as ``results.json``'s ``placebo``: draws, p-value, estimate, sizes, seed."""
        return {"draws": self.draws, "p_value": self.p_value, "estimate": self.estimate,
                "n_draws": len(self.draws), "n_treated": self.n_treated, "seed": self.seed,
                "method": self.method, "mean": float(np.nanmean(self.draws)),
                "sd": float(np.nanstd(self.draws, ddof=1))}

    def summary(self) -> str:
        """Text summary (returned, never printed)."""
        d = self.draws
        return (f"placebo test on {self.y}: {len(d)} draws of {self.n_treated} treated units "
                f"(seed {self.seed}, {self.method}); placebo mean {d.mean():.4g}, sd "
                f"{d.std(ddof=1):.4g}; estimate {self.estimate:.4g}; two-sided p = "
                f"{self.p_value:.4g}")

    def plot(self, ax: Any = None, *, lang: Lang = "en") -> Any:
        """Kernel density of the placebo coefficients (a line) with the real estimate marked.

        The legend goes to the side of the axes away from the estimate, above the curve's
        flat tail, so it covers neither.
        """
        import matplotlib.pyplot as plt
        from scipy.stats import gaussian_kde

        fig, ax = plt.subplots(figsize=(6, 4)) if ax is None else (ax.figure, ax)
        d = self.draws[np.isfinite(self.draws)]
        lo = min(d.min(), self.estimate)
        hi = max(d.max(), self.estimate)
        pad = 0.1 * (hi - lo or 1.0)
        grid = np.linspace(lo - pad, hi + pad, 300)
        if len(d) > 1 and d.std() > 0:
            ax.plot(grid, gaussian_kde(d)(grid), "-", lw=1.6, color="C0",
                    label=Text(f"placebo coefficients ({len(d)} draws)",
                               f"安慰剂系数（{len(d)} 次抽样）")(lang))
        ax.axvline(self.estimate, color="black", ls="--",
                   label=Text(f"estimate {self.estimate:.3g} (p = {self.p_value:.3f})",
                              f"估计值 {self.estimate:.3g}（p = {self.p_value:.3f}）")(lang))
        ax.set_xlabel(Text("coefficient", "系数")(lang))
        ax.set_ylabel(Text("density", "密度")(lang))
        ax.set_ylim(bottom=0)
        # below the plot: the legend covers neither the density nor the estimate's line
        ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2,
                  fontsize=9)
        fig.tight_layout()
        return fig


def empirical_p_value(draws: np.ndarray, estimate: float) -> float:
    """Two-sided randomisation p-value ``(1 + #{|b_r| >= |b|}) / (1 + R)`` (NaN draws ignored)."""
    d = np.asarray(draws, float)
    d = d[np.isfinite(d)]
    # a relative tolerance so that a draw equal to the estimate counts as "at least as large"
    hits = np.sum(np.abs(d) >= abs(estimate) * (1 - 1e-12))
    return float((1 + hits) / (1 + len(d)))


def _real_assignment(panel: DIDPanel) -> Assignment:
    f = panel.frame
    treated = panel.treated_units
    g = f.groupby("unit")["cohort"].first()
    return treated, g.loc[treated].to_numpy()


def placebo_assignments(panel: DIDPanel, n_draws: int, *, seed: int = 0) -> list[Assignment]:
    """Random placebo assignments: as many units as are really treated, real cohorts shuffled.

    Units count as treated when they have at least one treated period inside the panel.
    """
    units, cohorts = _real_assignment(panel)
    if len(units) == 0:
        raise EstimationError("placebo test: no unit is treated inside the panel window")
    n_units = int(panel.frame["unit"].max()) + 1
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(int(n_draws)):
        u = rng.choice(n_units, size=len(units), replace=False)
        out.append((u, rng.permutation(cohorts)))
    return out


class _Exact:
    """Balanced panel: exact two-way demeaning, O(treated cells) per draw."""

    def __init__(self, y: np.ndarray, x: np.ndarray | None, times: np.ndarray) -> None:
        # y: (N, T); x: (N, T, k) or None
        self.N, self.T = y.shape
        self.times = times
        yd = _demean2(y)
        self.A = None
        self.xd = None
        if x is not None and x.shape[2]:
            xd = np.stack([_demean2(x[:, :, j]) for j in range(x.shape[2])], axis=2)
            xm = xd.reshape(-1, xd.shape[2])
            self.A = np.linalg.pinv(xm.T @ xm)
            gamma = self.A @ (xm.T @ yd.ravel())
            yd = yd - (xm @ gamma).reshape(self.N, self.T)
            self.xd = xd
        self.yd = yd

    def coef(self, units: np.ndarray, cohorts: np.ndarray) -> float:
        start = np.searchsorted(self.times, cohorts, side="left")
        n_i = self.T - start
        keep = n_i > 0
        units, start, n_i = units[keep], start[keep], n_i[keep]
        n1 = int(n_i.sum())
        if n1 == 0:
            return float("nan")
        # the treated cells: unit u, periods start..T-1
        rows = np.repeat(units, n_i)
        offs = np.arange(n1) - np.repeat(np.cumsum(n_i) - n_i, n_i)
        cols = np.repeat(start, n_i) + offs
        num = self.yd[rows, cols].sum()
        m_t = np.bincount(cols, minlength=self.T)
        den = (n1 - np.sum(n_i.astype(float) ** 2) / self.T - np.sum(m_t.astype(float) ** 2)
               / self.N + n1 * n1 / (self.N * self.T))
        if self.xd is not None:
            c = self.xd[rows, cols].sum(axis=0)
            den -= c @ self.A @ c
        return float(num / den) if den > 1e-12 else float("nan")


def _demean2(a: np.ndarray) -> np.ndarray:
    return a - a.mean(axis=1, keepdims=True) - a.mean(axis=0, keepdims=True) + a.mean()


class _Iterative:
    """Unbalanced panel: alternating projections (unit and period means) per draw."""

    def __init__(self, y: np.ndarray, x: np.ndarray | None, unit: np.ndarray,
                 tcode: np.ndarray, times: np.ndarray, tol: float = 1e-10) -> None:
        self.unit, self.tcode, self.times, self.tol = unit, tcode, times, tol
        self.nu = np.maximum(np.bincount(unit), 1).astype(float)
        self.nt = np.maximum(np.bincount(tcode), 1).astype(float)
        yd = self._demean(y)
        self.xd = None
        if x is not None and x.shape[1]:
            xd = np.column_stack([self._demean(x[:, j]) for j in range(x.shape[1])])
            self.A = np.linalg.pinv(xd.T @ xd)
            yd = yd - xd @ (self.A @ (xd.T @ yd))
            self.xd = xd
        self.yd = yd

    def _demean(self, v: np.ndarray) -> np.ndarray:
        r = v.astype(float).copy()
        for _ in range(10_000):
            r -= (np.bincount(self.unit, r) / self.nu)[self.unit]
            mt = (np.bincount(self.tcode, r) / self.nt)
            r -= mt[self.tcode]
            if np.max(np.abs(mt)) < self.tol:
                break
        return r

    def coef(self, units: np.ndarray, cohorts: np.ndarray) -> float:
        g = np.zeros(max(len(self.nu), int(np.max(units)) + 1))
        g[units] = cohorts
        gg = g[self.unit]
        d = ((gg > 0) & (self.times[self.tcode] >= gg)).astype(float)
        if not d.any():
            return float("nan")
        dd = self._demean(d)
        num = dd @ self.yd
        den = dd @ dd
        if self.xd is not None:
            c = self.xd.T @ dd
            den -= c @ self.A @ c
        return float(num / den) if den > 1e-12 else float("nan")


def _design(panel: DIDPanel, y: str | None, log1p: bool, controls: bool,
            controls_as: ControlsAs) -> tuple[pd.DataFrame, str, list[str]]:
    f = panel.frame
    yname = panel.y if y is None else y
    x: list[str] = []
    if controls:
        f, x = control_columns(panel, controls_as)
    f = f.assign(_y=np.log1p(f[yname]) if log1p else f[yname])
    f = f.dropna(subset=["_y", *x])
    return f, "_y", x


def _solver(panel: DIDPanel, y: str | None, log1p: bool, controls: bool,
            controls_as: ControlsAs, method: str) -> tuple[Any, str]:
    check_literal(method, SolverMethod, "method")
    f, yc, x = _design(panel, y, log1p, controls, controls_as)
    times = np.sort(f["time"].unique())
    units = np.sort(f["unit"].unique())
    balanced = len(f) == len(times) * len(units) and len(units) == f["unit"].max() + 1
    if method == "auto":
        method = "exact" if balanced else "iterative"
    if method == "exact":
        if not balanced:
            raise EstimationError("the exact placebo solver needs a balanced panel without "
                                  "missing values; use method='iterative'")
        f = f.sort_values(["unit", "time"])
        n, t = len(units), len(times)
        ym = f[yc].to_numpy(float).reshape(n, t)
        xm = f[x].to_numpy(float).reshape(n, t, len(x)) if x else None
        return _Exact(ym, xm, times), "exact two-way demeaning (balanced panel)"
    tcode = np.searchsorted(times, f["time"].to_numpy())
    xm = f[x].to_numpy(float) if x else None
    return (_Iterative(f[yc].to_numpy(float), xm, f["unit"].to_numpy(), tcode, times),
            "alternating projections (unbalanced panel)")


def placebo_fast(panel: DIDPanel, assignments: Sequence[Assignment], *, y: str | None = None,
                 log1p: bool = False, controls: bool = False,
                 controls_as: ControlsAs = "baseline", method: str = "auto") -> np.ndarray:
    """TWFE coefficients for the given assignments without refitting (see module docstring)."""
    solver, _ = _solver(panel, y, log1p, controls, controls_as, method)
    return np.array([solver.coef(np.asarray(u), np.asarray(g)) for u, g in assignments])


def placebo_refit(panel: DIDPanel, assignments: Sequence[Assignment], *, y: str | None = None,
                  log1p: bool = False, controls: bool = False,
                  controls_as: ControlsAs = "baseline") -> np.ndarray:
    """The slow reference: refit ``feols(y ~ treat [+ X] | unit + time)`` for every draw."""
    import warnings

    from pairnet.analyses._pyfixest import feols as pf_feols

    f, yc, x = _design(panel, y, log1p, controls, controls_as)
    out = []
    n_units = int(panel.frame["unit"].max()) + 1
    for u, g in assignments:
        gu = np.zeros(n_units)
        gu[np.asarray(u)] = g
        gg = gu[f["unit"].to_numpy()]
        d = f.assign(treat=((gg > 0) & (f["time"].to_numpy() >= gg)).astype(float))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = pf_feols(f"{yc} ~ {' + '.join(['treat', *x])} | unit + time", d, "iid")
        out.append(float(m.beta[m.index("treat")]) if m.has("treat") else np.nan)
    return np.array(out)


def placebo_test(panel: DIDPanel, *, n_draws: int = 500, seed: int = 0, y: str | None = None,
                 log1p: bool = False, controls: bool = False,
                 controls_as: ControlsAs = "baseline",
                 method: PlaceboMethod = "auto") -> PlaceboResult:
    """Figure 2: placebo distribution of the TWFE coefficient and its empirical p-value.

    Parameters
    ----------
    panel : DIDPanel
    n_draws : int
        Number of placebo draws (500 in seed 003).
    seed : int
        Seed of the draws (same seed, same draws).
    y, log1p, controls, controls_as
        The model, as in :func:`pairnet.analyses.did.twfe`.
    method : {"auto", "exact", "iterative", "refit"}
        ``auto`` = exact on balanced panels, alternating projections otherwise; ``refit`` =
        pyfixest per draw (slow, for checking).
    """
    check_literal(method, PlaceboMethod, "method")
    if n_draws < 1:
        raise EstimationError("the placebo test needs at least one draw")
    assign = placebo_assignments(panel, n_draws, seed=seed)
    real = _real_assignment(panel)
    if method == "refit":
        draws = placebo_refit(panel, assign, y=y, log1p=log1p, controls=controls,
                              controls_as=controls_as)
        est = float(placebo_refit(panel, [real], y=y, log1p=log1p, controls=controls,
                                  controls_as=controls_as)[0])
        how = "pyfixest refit per draw"
    else:
        solver, how = _solver(panel, y, log1p, controls, controls_as, method)
        draws = np.array([solver.coef(u, g) for u, g in assign])
        est = solver.coef(*real)
    ylab = panel.label(panel.y if y is None else y)
    return PlaceboResult(draws=draws, estimate=est, p_value=empirical_p_value(draws, est),
                         n_treated=len(real[0]), method=how, seed=seed,
                         y=f"log(1+{ylab})" if log1p else ylab)
