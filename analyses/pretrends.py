"""Power of the pre-trend test (Roth 2022), as R ``pretrends::slope_for_power``.

An event study "passes" its pre-test when no pre-period coefficient is individually significant
(|t| < 1.96). Roth (2022) asks how large a violation of parallel trends that test would catch:
for a linear trend ``δ_t = slope × (t − base)`` in the pre-periods, the pre-test rejects with
probability ``1 − P(|β̂_j| < 1.96 σ_j for every pre-period j)`` under ``β̂_pre ~ N(δ_pre, Σ_pre)``.
The slopes at which that probability is 50 % and 80 % are the trends the pre-test detects half
the time and most of the time; any smaller trend would often go unnoticed, and it would bias
the post-period coefficients by ``slope × (t − base)``.

The rectangle probability is computed with scipy's Genz algorithm at tight tolerance and the
root found to 1e-12 (``slope_for_power`` stops ``uniroot`` at ~1.2e-4; the tests compare with
R at the package's precision and, at 1e-6, with the same root solved tightly in R).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from pairnet.core.errors import EstimationError
from pairnet.core.i18n import Text
from pairnet.core.results import ResultBase, Table, tidy_frame

__all__ = ["PretrendPowerResult", "pretrend_power", "pretest_power"]


def _rect_prob(mean: np.ndarray, cov: np.ndarray, ub: np.ndarray) -> float:
    """P(−ub < X < ub) for X ~ N(mean, cov)."""
    if len(mean) == 1:
        s = float(np.sqrt(cov[0, 0]))
        return float(stats.norm.cdf((ub[0] - mean[0]) / s) - stats.norm.cdf((-ub[0] - mean[0]) / s))
    return float(stats.multivariate_normal.cdf(
        ub, mean=mean, cov=cov, allow_singular=True, maxpts=100_000 * len(mean),
        abseps=1e-6, releps=1e-6, lower_limit=-ub, rng=np.random.default_rng(0)))


def pretest_power(slope: float, sigma_pre: np.ndarray, rel_pre: np.ndarray,
                  threshold: float = 1.96) -> float:
    """Probability that some pre-period |t| exceeds ``threshold`` under the trend ``slope``."""
    ub = np.sqrt(np.diag(sigma_pre)) * threshold
    return 1.0 - _rect_prob(rel_pre * slope, sigma_pre, ub)


@dataclass(frozen=True)
class PretrendPowerResult(ResultBase):
    """Slopes of the linear pre-trend that the pre-test detects with the target powers.

    Attributes
    ----------
    slopes : dict
        ``{power: slope}`` (e.g. ``{0.5: ..., 0.8: ...}``), in units of y per period.
    rel_times : tuple of int
        Event times of the coefficients (without the base period).
    base : int
        The reference period (−1).
    observed_max_t : float
        The largest |t| among the estimated pre-period coefficients.
    source : str
        Which event study (``twfe`` or ``cs``).
    """

    slopes: dict[float, float]
    rel_times: tuple[int, ...]
    base: int
    observed_max_t: float
    source: str
    y: str = ""
    title = "Pre-trend power (Roth 2022)"

    @property
    def passes(self) -> bool:
        """Whether the observed event study passes its pre-test (no pre |t| ≥ 1.96)."""
        return bool(self.observed_max_t < 1.96)

    def trend_table(self) -> pd.DataFrame:
        """The bias each detectable trend implies at every event time (``slope × (t − base)``)."""
        rt = np.array([*self.rel_times])
        out = pd.DataFrame({"rel_time": rt})
        for p, s in self.slopes.items():
            out[f"trend_power_{int(round(p * 100))}"] = s * (rt - self.base)
        return out

    def tidy(self) -> pd.DataFrame:
        """Broom columns: one row per target power (``slope_power_50``...)."""
        terms = [f"slope_power_{int(round(p * 100))}" for p in self.slopes]
        return tidy_frame(terms, list(self.slopes.values()), source=self.source)

    def to_dict(self) -> dict[str, Any]:
        """The slopes, the observed pre-test and the implied trends."""
        return {"source": self.source, "base": self.base,
                **{f"slope_power_{int(round(p * 100))}": s for p, s in self.slopes.items()},
                "observed_max_abs_t_pre": self.observed_max_t, "passes_pretest": self.passes,
                "trend": self.trend_table()}

    def summary(self) -> str:
        """The slopes (returned, never printed)."""
        s = ", ".join(f"{int(round(p * 100))}% power: {v:.4g}" for p, v in self.slopes.items())
        return (f"pre-trend power ({self.source}): linear trend per period detected with {s}; "
                f"observed max |t| pre = {self.observed_max_t:.3g}")

    def tables(self) -> dict[str, Table]:
        """The implied trends at each event time."""
        s = "; ".join(f"{int(round(p * 100))}% power: slope {v:.4g} per period"
                      for p, v in self.slopes.items())
        s_zh = "；".join(f"功效 {int(round(p * 100))}%：每期斜率 {v:.4g}"
                         for p, v in self.slopes.items())
        return {f"pretrend_power_{self.source}": Table(
            self.trend_table(), Text(f"Pre-trend power ({self.source} event study)",
                                     f"处理前趋势检验的功效（{self.source} 事件研究）"),
            Text(f"The linear violation of parallel trends that the pre-test (no pre-period "
                 f"coefficient significant at 5%) detects with the given power ({s}). Each "
                 "column is that trend's value at every event time: a trend this large would "
                 "bias the post-period coefficients by these amounts, yet the pre-test would "
                 "miss it with probability 1 − power. If such biases are large relative to the "
                 "estimated effects, passing the pre-test is weak reassurance.",
                 f"处理前检验（无显著的处理前系数）以给定功效能发现的线性平行趋势偏离（{s_zh}）。"
                 "各列为该趋势在各事件期的值：如此大的趋势会使处理后系数产生这些偏差，而检验以 1−功效 的概率漏检。"))}


def pretrend_power(beta: Sequence[float] | np.ndarray, sigma: np.ndarray,
                   rel_times: Sequence[int], *, base: int = -1,
                   powers: Sequence[float] = (0.5, 0.8), threshold: float = 1.96,
                   source: str = "twfe", y: str = "") -> PretrendPowerResult:
    """Roth (2022) slopes for power of an event study's pre-test.

    Parameters
    ----------
    beta, sigma : array
        Event-study coefficients (without the base period) and their covariance.
    rel_times : sequence of int
        Their event times; those below ``base`` are the pre-periods.
    powers : sequence of float
        Target powers in (0, 1).

    Raises
    ------
    EstimationError
        No pre-period coefficient, or a target power not reached.
    """
    rt = np.asarray(rel_times, int)
    pre = np.flatnonzero(rt < base)
    if not len(pre):
        raise EstimationError("pre-trend power needs pre-period coefficients (event times "
                              f"before {base})")
    sp = np.asarray(sigma, float)[np.ix_(pre, pre)]
    rel = (rt[pre] - base).astype(float)
    hi = 8 * float(np.sqrt(np.diag(sp)).max())
    out: dict[float, float] = {}
    for p in powers:
        def gap(s: float, p: float = p) -> float:
            return pretest_power(s, sp, rel, threshold) - p
        if gap(hi) < 0:
            raise EstimationError(f"a {p:.0%} power is not reached for trends up to {hi:.3g}")
        out[float(p)] = float(optimize.brentq(gap, 0.0, hi, xtol=1e-12, rtol=1e-12))
    b = np.asarray(beta, float)[pre]
    tmax = float(np.max(np.abs(b / np.sqrt(np.diag(sp)))))
    return PretrendPowerResult(slopes=out, rel_times=tuple(int(k) for k in rt), base=base,
                               observed_max_t=tmax, source=source, y=y)
