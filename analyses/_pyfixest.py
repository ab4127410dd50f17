"""The one place that reads pyfixest's private attributes.

pyfixest's public API gives coefficients, SEs and tidy tables, but the estimators here also
need the full covariance, the residual degrees of freedom, the within-transformed design and
the number of observations used. Those are private attributes (``_beta_hat``, ``_vcov``,
``_df_t``, ``_N``, ``_X``, ``_Y``, ``_Z``, ``_u_hat``, ``_r2``, ``_r2_within``, ``_data``,
``_model_matrix_one_hot``), read here only,
into a frozen :class:`Fit`; a pyfixest release that renames one breaks this module alone.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Fit", "adapt", "feols", "fepois", "did2s", "ordered_fixed_effects"]


def _pyfixest() -> Any:
    """``import pyfixest`` with :func:`ordered_fixed_effects` in place."""
    import pyfixest as pf

    ordered_fixed_effects()
    return pf


def ordered_fixed_effects() -> None:
    """Make pyfixest absorb the fixed effects in the order the formula lists them.

    pyfixest 0.60 splits ``| pair + year`` into a ``set`` (``formula.utils.
    _encode_fixed_effects``), so the order of the demeaning sweeps — and so the last bits of
    every estimate, and the PPML standard errors up to ~1e-8 — depended on Python's string hash
    seed: reruns of one command differed under different ``PYTHONHASHSEED``. The wrapper keeps
    pyfixest's encoding of interacted effects and only rebuilds the formula in the written
    order. Idempotent; a pyfixest without that function is left as it is.
    """
    import re

    from pyfixest.estimation.formula import model_matrix

    original = getattr(model_matrix, "_encode_fixed_effects", None)
    if original is None or getattr(original, "_pairnet_ordered", False):
        return

    def encode(fixed_effects: str, data: pd.DataFrame) -> str:
        original(fixed_effects, data)  # adds the interacted columns (a^b) to data
        fes = dict.fromkeys(re.split(r"\s*\+\s*", fixed_effects))
        return " + ".join(f"__fixed_effect__({fe.replace('^', '_')})" for fe in fes) + " - 1"

    encode._pairnet_ordered = True  # type: ignore[attr-defined]
    model_matrix._encode_fixed_effects = encode


@dataclass(frozen=True)
class Fit:
    """What pairnet reads off a fitted pyfixest model.

    Attributes
    ----------
    coefnames : tuple of str
        Coefficient names, in pyfixest's order.
    beta : ndarray
        Estimates.
    vcov : ndarray
        Their covariance (the vcov type the model was fitted with).
    nobs : int
        Observations used (after pyfixest dropped singletons or missing rows).
    df_t : float or None
        Degrees of freedom of the t distribution for inference (None: normal).
    r2, r2_within : float
        R² and within R² (NaN where pyfixest has none, e.g. Poisson).
    model : object
        The pyfixest model itself (for its public methods: ``wildboottest``, ``vcov``,
        ``resid``, ``tidy``).
    """

    coefnames: tuple[str, ...]
    beta: np.ndarray
    vcov: np.ndarray
    nobs: int
    df_t: float | None
    r2: float
    r2_within: float
    model: Any

    def index(self, name: str) -> int:
        """Position of a coefficient (ValueError if pyfixest dropped it)."""
        return self.coefnames.index(name)

    def has(self, name: str) -> bool:
        """Whether the coefficient was estimated (not dropped as collinear)."""
        return name in self.coefnames

    def design(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The within-transformed regressors X, outcome y and residuals u (dense arrays)."""
        m = self.model
        return (np.asarray(m._X, float), np.asarray(m._Y, float).ravel(),
                np.asarray(m._u_hat, float).ravel())

    def dummy_design(self) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
        """Outcome y, regressors X with fixed effects as dummy columns, and X's names.

        The design pyfixest's ``wildboottest`` bootstraps (rows aligned with
        :meth:`data_column`).
        """
        y, X, names = self.model._model_matrix_one_hot()
        return (np.asarray(y, float).ravel(), np.asarray(X, float),
                tuple(str(n) for n in names))

    def data_column(self, name: str) -> np.ndarray:
        """A column of the estimation data, one value per observation used.

        Rows are aligned with :meth:`design` (pyfixest's rows after dropping missing values and
        singletons).
        """
        return self.model._data[name].to_numpy()

    def instruments(self) -> np.ndarray:
        """The within-transformed instrument matrix Z of an IV fit."""
        return np.asarray(self.model._Z, float)

    def with_vcov(self, vcov: str | Mapping[str, str]) -> Fit:
        """The same fit with another covariance (pyfixest recomputes only the vcov)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return adapt(self.model.vcov(dict(vcov) if isinstance(vcov, Mapping) else vcov))


def _float(v: Any) -> float:
    try:
        return float(v) if v is not None else float("nan")
    except (TypeError, ValueError):
        return float("nan")


def adapt(m: Any) -> Fit:
    """Read a fitted pyfixest model into a :class:`Fit`."""
    df_t = getattr(m, "_df_t", None)
    return Fit(coefnames=tuple(str(c) for c in m._coefnames),
               beta=np.array(m._beta_hat, float).ravel(),
               vcov=np.array(m._vcov, float),
               nobs=int(m._N),
               df_t=None if df_t is None else float(df_t),
               r2=_float(getattr(m, "_r2", None)),
               r2_within=_float(getattr(m, "_r2_within", None)),
               model=m)


def _demeaner(fixef_tol: float | None, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``demeaner=MapDemeaner(fixef_tol=...)`` when a tolerance is asked for."""
    if fixef_tol is None:
        return kwargs
    import pyfixest as pf

    return {**kwargs, "demeaner": pf.MapDemeaner(fixef_tol=fixef_tol)}


def feols(fml: str, data: pd.DataFrame, vcov: str | Mapping[str, str] = "iid", *,
          fixef_tol: float | None = None, **kwargs: Any) -> Fit:
    """``pyfixest.feols`` (its own warnings about dropped singletons are left to the caller).

    ``fixef_tol``: convergence of the fixed-effect demeaning (pyfixest's default 1e-6).
    """
    pf = _pyfixest()
    v = dict(vcov) if isinstance(vcov, Mapping) else vcov
    return adapt(pf.feols(fml, data=data, vcov=v, **_demeaner(fixef_tol, kwargs)))


def fepois(fml: str, data: pd.DataFrame, vcov: str | Mapping[str, str] = "iid", *,
           fixef_tol: float | None = None, **kwargs: Any) -> Fit:
    """``pyfixest.fepois``, with pyfixest's UserWarnings (separation, dropped rows) silenced."""
    pf = _pyfixest()
    v = dict(vcov) if isinstance(vcov, Mapping) else vcov
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return adapt(pf.fepois(fml, data=data, vcov=v, **_demeaner(fixef_tol, kwargs)))


def did2s(data: pd.DataFrame, **kwargs: Any) -> Fit:
    """``pyfixest.did2s`` (Gardner's two-stage DID)."""
    pf = _pyfixest()
    return adapt(pf.did2s(data, **kwargs))
