"""The modern DID diagnostics of the suite (issue 16) as one frozen result.

:func:`did_diagnostics` runs, on a validated panel and the suite's event study:
Goodman-Bacon (:mod:`~pairnet.analyses.bacon`), the dCDH weights
(:mod:`~pairnet.analyses.twfe_weights`), BJS imputation (:mod:`~pairnet.analyses.imputation`),
stacked DID (:mod:`~pairnet.analyses.stacked`), HonestDiD (:mod:`~pairnet.analyses.honest`) on
the TWFE event study and on Callaway–Sant'Anna dynamic effects (universal base period), and the
pre-trend power of both (:mod:`~pairnet.analyses.pretrends`). Each can be switched off; a
failure is one line in ``errors`` and never stops the suite.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pairnet.analyses.bacon import BaconResult, bacon_decomposition
from pairnet.analyses.did import DIDPanel
from pairnet.analyses.honest import HonestResult, honest_did
from pairnet.analyses.imputation import ImputationResult, imputation_did
from pairnet.analyses.pretrends import PretrendPowerResult, pretrend_power
from pairnet.analyses.stacked import StackedResult, stacked_did
from pairnet.analyses.twfe_weights import TWFEWeightsResult, twfe_weights
from pairnet.core.errors import PairnetError
from pairnet.core.results import Figure, ResultBase, Table

__all__ = ["DIDDiagnostics", "did_diagnostics", "DIAGNOSTICS", "event_study_vcov",
           "cs_dynamic_vcov"]

#: the switches, in the order they run
DIAGNOSTICS: tuple[str, ...] = ("bacon", "dcdh_weights", "imputation", "stacked", "honest",
                                "pretrend_power")


def _why(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, PairnetError) else f"unexpected {type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class DIDDiagnostics(ResultBase):
    """Every diagnostic that ran (``None`` = off or failed, see ``errors``)."""

    bacon: BaconResult | None = None
    dcdh_weights: TWFEWeightsResult | None = None
    imputation: ImputationResult | None = None
    stacked: StackedResult | None = None
    honest_twfe: HonestResult | None = None
    honest_cs: HonestResult | None = None
    pretrend_power_twfe: PretrendPowerResult | None = None
    pretrend_power_cs: PretrendPowerResult | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    title = "DID diagnostics"

    def _parts(self) -> dict[str, ResultBase]:
        names = ("bacon", "dcdh_weights", "imputation", "stacked", "honest_twfe", "honest_cs",
                 "pretrend_power_twfe", "pretrend_power_cs")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}

    def tidy(self) -> pd.DataFrame:
        """The broom rows of every diagnostic, with a ``diagnostic`` column."""
        parts = [p.tidy().assign(diagnostic=n) for n, p in self._parts().items()]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def to_dict(self) -> dict[str, Any]:
        """results.json's ``diagnostics`` block: one key per diagnostic, settings, errors."""
        out: dict[str, Any] = {n: p.to_dict() for n, p in self._parts().items()}
        out["settings"] = dict(self.settings)
        out["errors"] = dict(self.errors)
        return out

    def summary(self) -> str:
        """Each diagnostic's summary (returned, never printed)."""
        lines = [p.summary() for p in self._parts().values()]
        lines += [f"{k} skipped: {v}" for k, v in self.errors.items()]
        return "\n\n".join(lines)

    def tables(self) -> dict[str, Table]:
        """Every diagnostic's tables."""
        out: dict[str, Table] = {}
        for p in self._parts().values():
            out.update(p.tables())  # titles and notes keep both languages (Text)
        return out

    def figures(self) -> dict[str, Figure]:
        """Every diagnostic's figures."""
        out: dict[str, Figure] = {}
        for p in self._parts().values():
            out.update(p.figures())
        return out


def event_study_vcov(panel: DIDPanel, *, leads: int, lags: int, controls: bool = False,
                     controls_as: str = "baseline", ends: str = "bin"
                     ) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """``(beta, vcov, rel_times)`` of the suite's event study (base period −1 left out).

    The event study of :func:`pairnet.analyses.did.event_study` itself, so HonestDiD and the
    pre-trend power use exactly Figure 1's specification (window, ends, cluster, controls).
    """
    from pairnet.analyses.did import event_study

    es = event_study(panel, leads=leads, lags=lags, controls=controls,
                     controls_as=controls_as, ends=ends)  # type: ignore[arg-type]
    return es.beta, es.vcov, list(es.rel_times)


def cs_dynamic_vcov(agg: Any) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """``(beta, vcov, event_times)`` of a CS dynamic aggregation (V = IF'IF / n², e ≠ −1)."""
    inf = np.asarray(agg.inf_egt)
    v = inf.T @ inf / inf.shape[0] ** 2
    e = np.asarray(agg.egt).astype(int)
    keep = np.flatnonzero(e != -1)
    return (np.asarray(agg.att_egt)[keep], v[np.ix_(keep, keep)], [int(k) for k in e[keep]])


def did_diagnostics(
    panel: DIDPanel,
    *,
    event_study: Callable[[], tuple[np.ndarray, np.ndarray, list[int]]] | None = None,
    cs_dynamic: Callable[[], tuple[np.ndarray, np.ndarray, list[int]]] | None = None,
    run: Sequence[str] = DIAGNOSTICS,
    fe: Sequence[str] = ("unit", "time"),
    fe_names: dict[str, str] | None = None,
    weights: str | None = None,
    leads: int = 5,
    lags: int = 10,
    honest_mbar: Sequence[float] = (0.0, 0.5, 1.0, 1.5, 2.0),
    honest_m: Sequence[float] = (0.0, 0.05, 0.1),
    honest_grid: int = 1000,
    honest_pre: int = 3,
    honest_post: int = 3,
) -> DIDDiagnostics:
    """Run the diagnostics (compute only).

    Parameters
    ----------
    panel : DIDPanel
    event_study, cs_dynamic : callable, optional
        Return ``(beta, sigma, rel_times)`` of the TWFE event study / CS dynamic effects
        (without the base period); the HonestDiD and pre-trend power inputs.
    run : sequence of str
        Which of :data:`DIAGNOSTICS` to run.
    fe, fe_names, weights
        Fixed effects (imputation first stage; stacked: the terms beyond unit and time) and
        observation weights (dCDH weights, imputation, stacked).
    leads, lags : int
        The stacked DID window.
    honest_mbar, honest_m, honest_grid
        M̄ (relative magnitudes), M (smoothness) and the θ grid of HonestDiD.
    honest_pre, honest_post : int
        HonestDiD uses the event-time coefficients −honest_pre−1 … −2 and 0 … honest_post−1
        (the vertex enumeration of the C-LF test grows fast with the window).
    """
    res: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def attempt(name: str, fn: Callable[[], Any]) -> None:
        try:
            res[name] = fn()
        except Exception as exc:  # optional: a failure is recorded, never a crash
            errors[name] = _why(exc)

    if "bacon" in run:
        attempt("bacon", lambda: bacon_decomposition(panel))
    if "dcdh_weights" in run:
        attempt("dcdh_weights", lambda: twfe_weights(panel, weights=weights))
    if "imputation" in run:
        attempt("imputation", lambda: imputation_did(panel, fe=fe, fe_names=fe_names,
                                                     weights=weights))
    if "stacked" in run:
        attempt("stacked", lambda: stacked_did(panel, leads=leads, lags=lags, fe=fe,
                                               fe_names=fe_names, weights=weights))
    y = panel.label(panel.y)
    for src, getter in (("twfe", event_study), ("cs", cs_dynamic)):
        if getter is None or not ({"honest", "pretrend_power"} & set(run)):
            continue
        try:
            beta, sigma, rt = getter()
        except Exception as exc:  # optional: a failure is recorded, never a crash
            errors[f"honest_{src}"] = _why(exc)
            continue
        if "pretrend_power" in run:
            def power(b: Any = beta, s: Any = sigma, r: Any = rt, src: str = src) -> Any:
                return pretrend_power(b, s, r, source=src, y=y)
            attempt(f"pretrend_power_{src}", power)
        if "honest" in run:
            keep = [i for i, k in enumerate(rt) if -honest_pre - 1 <= k < honest_post]
            b = np.asarray(beta)[keep]
            s = np.asarray(sigma)[np.ix_(keep, keep)]
            r = [rt[i] for i in keep]
            def honest(b: Any = b, s: Any = s, r: Any = r, src: str = src) -> Any:
                return honest_did(b, s, r, mbar=honest_mbar, m=honest_m,
                                  grid_points=honest_grid, source=src, y=y)
            attempt(f"honest_{src}", honest)
    settings = {"run": list(run), "fe": "+".join(fe), "weights": weights,
                "stacked_window": [leads, lags], "honest_mbar": list(honest_mbar),
                "honest_m": list(honest_m), "honest_grid": honest_grid,
                "honest_window": [-honest_pre - 1, honest_post - 1]}
    return DIDDiagnostics(**res, settings=settings, errors=errors)
