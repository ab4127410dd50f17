"""Staggered difference-in-differences of seed 003 §3–4: TWFE, event study, 2×2, distance.

Model (1) of seed 003 is the staggered two-way fixed-effects DID

    y_ijt = α + β1·Treat_ijt + Σ_k γ_k X^k_j,2000 η_t + λ_ij + η_t + ε_ijt,

estimated here with pyfixest (``feols``). The unit is whatever identifies a panel member (a city
pair in the paper). Controls enter as in the paper, baseline-year value × year dummies
(:func:`pairnet.panels.controls.baseline_year_controls`), unless asked to enter as they are.

Inference follows Stata ``vce(cluster)`` / R fixest: SEs clustered by the panel's cluster column
(default the unit; e.g. the helper city, ``origin``) with CR1 = G/(G−1)·(N−1)/(N−K) (fixed
effects nested in the clusters not counted in K) and p-values and intervals from t(G−1). With
fewer than 50 clusters the estimators also run the wild cluster bootstrap
(:mod:`pairnet.analyses.wild`) when given ``wild`` options.

Cohorts outside the panel window follow one rule everywhere (:func:`cohort_rules`): a unit first
treated after the last period is never treated within the window (TWFE, event study,
Callaway–Sant'Anna, Sun–Abraham, did2s, placebo alike).

Everything starts from :func:`prepare_panel`, which validates the user's table once and returns a
:class:`DIDPanel` with canonical, formula-safe column names (``unit``, ``time``, ``cohort``,
``treat``, ``rel_time`` and safe names for the user's variables). The estimators take that
panel and return result objects with ``tidy()`` / ``summary()`` / ``plot()``; tables across
several models are built by :func:`did_table`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from pairnet.analyses._pyfixest import Fit
from pairnet.analyses._pyfixest import did2s as pf_did2s
from pairnet.analyses._pyfixest import feols as pf_feols
from pairnet.analyses._pyfixest import fepois as pf_fepois
from pairnet.analyses.wild import WILD_MAX_CLUSTERS, WildTest, WildWeights, wild_tests
from pairnet.core.errors import EstimationError, InputError
from pairnet.core.i18n import Lang, Text
from pairnet.core.modeltable import p_is
from pairnet.core.options import check_literal
from pairnet.core.results import ResultBase, coef_table, tidy_frame
from pairnet.core.tables import numeric_column
from pairnet.panels.controls import baseline_year_controls
from pairnet.spatial.distances import DISTANCE_MEASURES

__all__ = [
    "ControlsAs",
    "EventEnds",
    "WildOptions",
    "DISTANCE_COLUMNS",
    "DIDPanel",
    "DIDResult",
    "EventStudyResult",
    "DistanceResult",
    "SunAbrahamResult",
    "prepare_panel",
    "cohort_rules",
    "event_time_frame",
    "check_identified",
    "treat_indicator",
    "control_columns",
    "controls_no_baseline",
    "descriptives",
    "twfe",
    "twfe_dummies",
    "ppml",
    "did_2x2",
    "event_study",
    "distance_interaction",
    "sun_abraham",
    "did2s",
    "did_table",
    "stars",
    "simulate_staggered",
]

ControlsAs = Literal["baseline", "raw"]
#: event-study window ends: ``bin`` lumps the periods beyond into the end points, ``trim``
#: drops treated observations outside the window (never-treated units stay)
EventEnds = Literal["bin", "trim"]
DISTANCE_COLUMNS = DISTANCE_MEASURES  # the four distance columns a panel may carry
_RESERVED = {"unit", "time", "cohort", "treat", "rel_time", "origin", "destination",
             "cluster", "recipient"}


@dataclass(frozen=True)
class WildOptions:
    """How the estimators run the wild cluster bootstrap (see :mod:`pairnet.analyses.wild`).

    It runs only when the panel has fewer than ``max_clusters`` clusters and ``draws > 0``.
    """

    draws: int = 9999
    weights: WildWeights = "rademacher"
    seed: int = 0
    max_clusters: int = WILD_MAX_CLUSTERS

    def runs(self, n_clusters: int) -> bool:
        """Whether the bootstrap runs with ``n_clusters`` clusters."""
        return self.draws > 0 and 2 <= n_clusters < self.max_clusters
_SAFE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_FIXEF_TOL = 1e-10  # fixed-effect convergence of pyfixest (its default 1e-6 is too loose)


# --------------------------------------------------------------------------------------------
# data: validate once, at the door
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DIDPanel:
    """A validated DID panel in canonical form.

    Attributes
    ----------
    frame : DataFrame
        Columns ``unit`` (int codes), ``time`` (int), ``cohort`` (int, 0 = never treated),
        ``treat`` (0/1 float), ``rel_time`` (float, NaN for never-treated units), optional
        ``origin``/``destination`` codes, and the user's variables under safe names.
    names : dict
        Safe name -> the user's column name (for labels in tables).
    y : str
        Safe name of the main outcome.
    controls, distance, extra_y : tuple of str
        Safe names of the controls, the distance columns and the further outcomes.
    unit_labels : ndarray
        The user's unit ids, indexed by the ``unit`` code.
    source : dict
        The user's ``unit``, ``time`` and ``cohort`` column names.
    cluster_name : str
        The column the SEs are clustered by (the user's name; the codes are ``frame["cluster"]``).
    """

    frame: pd.DataFrame
    names: Mapping[str, str]
    y: str
    controls: tuple[str, ...] = ()
    distance: tuple[str, ...] = ()
    extra_y: tuple[str, ...] = ()
    unit_labels: np.ndarray = field(default_factory=lambda: np.array([]))
    source: Mapping[str, str] = field(default_factory=dict)
    cluster_name: str = "unit"

    def label(self, name: str) -> str:
        """The user's name for a safe column name (itself if unknown)."""
        return self.names.get(name, name)

    @property
    def has_pairs(self) -> bool:
        """Whether origin and destination codes are available (two-way clustering)."""
        return {"origin", "destination"} <= set(self.frame.columns)

    @property
    def n_clusters(self) -> int:
        """G, the number of clusters of the SEs."""
        return int(self.frame["cluster"].nunique())

    @property
    def treated_units(self) -> np.ndarray:
        """Codes of the units ever treated inside the panel window."""
        f = self.frame
        return np.unique(f.loc[f["treat"] > 0, "unit"].to_numpy())

    @property
    def is_balanced(self) -> bool:
        """Every unit observed in every period (of the rows with a non-missing outcome)."""
        f = self.frame.dropna(subset=[self.y])
        return len(f) == f["unit"].nunique() * f["time"].nunique()


def _safe_names(cols: Sequence[str], taken: set[str]) -> dict[str, str]:
    """Map user columns to formula-safe names (kept when already safe and not reserved)."""
    out: dict[str, str] = {}
    used = set(taken)
    for i, c in enumerate(cols):
        if c in out:
            continue
        s = str(c)
        if not _SAFE.match(s) or s in _RESERVED or s in used or "_x" in s:
            s = f"v{i}_{re.sub(r'[^A-Za-z0-9]', '', s)[:20]}"
        used.add(s)
        out[c] = s
    return out


def prepare_panel(
    df: pd.DataFrame,
    *,
    unit: str,
    time: str,
    cohort: str,
    y: str,
    controls: Sequence[str] = (),
    distance: Sequence[str] = (),
    extra_y: Sequence[str] = (),
    origin: str | None = None,
    destination: str | None = None,
    file: str | None = None,
    covariates: Sequence[str] = (),
    cluster: str | None = None,
    recipient: str | None = None,
) -> DIDPanel:
    """Validate a user panel and return it in canonical form.

    Parameters
    ----------
    df : DataFrame
        Long panel, one row per unit and period.
    unit, time, cohort, y : str
        Columns: unit id, period (integer), first treated period (0 or empty = never treated),
        outcome.
    controls, distance, extra_y : sequence of str
        Time-varying controls, distance columns (time-invariant per unit), further outcomes.
    origin, destination : str, optional
        City columns of a pair panel (used for two-way clustering).
    file : str, optional
        Shown in error messages.
    covariates : sequence of str
        Callaway–Sant'Anna covariates: validated like the controls but must not be missing;
        carried in ``frame`` under safe names (find them by inverting ``names``).
    cluster : str, optional
        Column the SEs are clustered by (default: the unit); any ids, at least two distinct
        values, none missing. Its codes are ``frame["cluster"]``.
    recipient : str, optional
        The recipient city of a pair (controls are the recipient's): a stand-in baseline value
        of a control must come from before the recipient's earliest cohort over all its pairs,
        as :func:`pairnet.panels.pairs.build_pair_panel` does. Codes in ``frame["recipient"]``.

    Raises
    ------
    InputError
        Missing columns, non-numeric outcome / time / cohort / controls / distances /
        covariates, a missing covariate value, missing unit or time, a unit with duplicate
        periods, a cohort that varies within a unit, a cluster column with missing values or a
        single cluster.
    """
    if cluster == unit:
        cluster = None
    want = [unit, time, cohort, y, *controls, *distance, *extra_y, *covariates]
    want += [c for c in (origin, destination, cluster, recipient) if c]
    missing = [c for c in dict.fromkeys(want) if c not in df.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(map(repr, missing))} "
            f"(found: {', '.join(map(str, df.columns))})",
            file=file, column=missing[0],
            fix="name existing columns in `unit`/`time`/`cohort`/`y`/`controls`/`distance`"
                "/`extra_y`/`cs_covariates`/`cluster`")
    d = df.reset_index(drop=True)
    for c, what in ((unit, "unit id"), (time, "period"), (cluster, "cluster id"),
                    (recipient, "recipient")):
        if c is None:
            continue
        miss = np.flatnonzero(d[c].isna().to_numpy())
        if len(miss):
            raise InputError(f"missing {what}", file=file, column=c, rows=miss.tolist(),
                             fix="fill or drop these records")
    t = numeric_column(d, time, file=file, integer=True, allow_missing=False)
    _check_finite(t, file=file, column=time)
    g = numeric_column(d, cohort, file=file, integer=True)
    _check_finite(g, file=file, column=cohort)
    neg = np.flatnonzero((g < 0).to_numpy())
    if len(neg):
        raise InputError(
            f"negative cohort {int(g.iloc[neg[0]])}", file=file, column=cohort,
            rows=neg.tolist(),
            fix="`cohort` is the first treated period (e.g. 2007); use 0 or leave it empty "
                "for never-treated units")
    g = g.fillna(0)
    # cohort must be one value per unit: 0/empty on some rows and a year on others is the
    # typical mistake (a treatment dummy passed as the cohort)
    nun = g.groupby(d[unit]).transform("nunique")
    bad = np.flatnonzero(nun.to_numpy() > 1)
    if len(bad):
        first = d[unit].iloc[bad[0]]
        vals = sorted(set(g[d[unit] == first].astype(int)))
        raise InputError(
            f"cohort (first treated period) varies within unit {first!r} (values {vals})",
            file=file, column=cohort, rows=bad.tolist(),
            fix="give every row of a unit the same first treated period (0 or empty if never "
                "treated); the treatment dummy is built from it")
    dup = d.assign(_t=t).duplicated([unit, "_t"], keep=False).to_numpy()
    if dup.any():
        rows = np.flatnonzero(dup)
        raise InputError(
            f"unit {d[unit].iloc[rows[0]]!r} has duplicate period {int(t.iloc[rows[0]])}",
            file=file, column=time, rows=rows.tolist(),
            fix="keep one row per unit and period (aggregate or remove the repeats)")
    n_units, n_periods = d[unit].nunique(), t.nunique()
    if n_units < 2 or n_periods < 2:
        raise InputError(
            f"a DID panel needs at least 2 units and 2 periods; found {n_units} unit(s) and "
            f"{n_periods} period(s)", file=file, column=unit if n_units < 2 else time,
            fix="pass the whole panel (treated and comparison units over several periods)")
    user_vars = list(dict.fromkeys([y, *extra_y, *controls, *distance, *covariates]))
    safe = _safe_names(user_vars, set())
    out = pd.DataFrame(index=d.index)
    codes, labels = pd.factorize(d[unit], sort=True)
    out["unit"] = codes.astype(np.int64)
    out["time"] = t.astype(np.int64)
    out["cohort"] = g.astype(np.int64)
    for c in user_vars:
        out[safe[c]] = numeric_column(d, c, file=file, allow_missing=True).astype(float)
        _check_finite(out[safe[c]], file=file, column=c)
        if c == y or c in extra_y:
            # a missing outcome would silently drop the cell from some estimators and not
            # others (and unbalance the panel): refuse it, naming the rows
            miss = np.flatnonzero(out[safe[c]].isna().to_numpy())
            if len(miss):
                raise InputError(
                    "missing outcome value", file=file, column=c, rows=miss.tolist(),
                    fix="fill these values or drop these records before running the DID suite")
        if c in covariates:
            # R did drops such rows and then whole units to rebalance; refuse instead so the
            # comparison sample never shrinks silently
            miss = np.flatnonzero(out[safe[c]].isna().to_numpy())
            if len(miss):
                raise InputError(
                    "missing covariate value", file=file, column=c, rows=miss.tolist(),
                    fix="fill these values or drop these units before running Callaway–"
                        "Sant'Anna with `cs_covariates`")
        if c in distance:
            dv = out[safe[c]].groupby(out["unit"]).nunique()
            if (dv > 1).any():
                u = dv.index[dv > 1][0]
                rows = np.flatnonzero((out["unit"] == u).to_numpy())
                raise InputError(f"distance varies within unit {labels[u]!r}", file=file,
                                 column=c, rows=rows.tolist(),
                                 fix="a distance column must be constant within a unit")
    for role, col in (("origin", origin), ("destination", destination),
                      ("recipient", recipient)):
        if col:
            out[role] = pd.factorize(d[col], sort=True)[0].astype(np.int64)
    if cluster is None:
        out["cluster"] = out["unit"]
    else:
        out["cluster"] = pd.factorize(d[cluster], sort=True)[0].astype(np.int64)
        if out["cluster"].nunique() < 2:
            raise InputError(
                f"a single cluster ({d[cluster].iloc[0]!r} in every row): clustered SEs need "
                "at least two clusters", file=file, column=cluster,
                fix="cluster by a column with several values (e.g. the unit or the helper "
                    "city), or leave `cluster` out to cluster by the unit")
    out["treat"] = treat_indicator(out["time"], out["cohort"])
    out["rel_time"] = np.where(out["cohort"] > 0, out["time"] - out["cohort"], np.nan)
    out = out.sort_values(["unit", "time"], kind="stable").reset_index(drop=True)
    names = {v: k for k, v in safe.items()}
    return DIDPanel(
        frame=out, names=names, y=safe[y],
        controls=tuple(safe[c] for c in controls), distance=tuple(safe[c] for c in distance),
        extra_y=tuple(safe[c] for c in extra_y if c != y), unit_labels=np.asarray(labels),
        source={"unit": unit, "time": time, "cohort": cohort},
        cluster_name=cluster if cluster is not None else unit,
    )


def _check_finite(values: pd.Series, *, file: str | None, column: str) -> None:
    """Raise naming the rows where a numeric column holds inf or -inf."""
    v = values.to_numpy(dtype=float)
    bad = np.flatnonzero(np.isinf(v))
    if len(bad):
        raise InputError(f"non-finite value {v[bad[0]]:g}", file=file, column=column,
                         rows=bad.tolist(),
                         fix="replace infinite values (e.g. from a division by zero or log(0)) "
                             "with finite numbers, or drop these records")


def check_identified(panel: DIDPanel, *, file: str | None = None) -> None:
    """Raise unless the treatment effect of model (1) is identified on ``panel``.

    Needs at least one unit treated inside the window, one unit that changes treatment status
    (else the effect is absorbed by the unit effects) and one period with both treated and
    untreated units (else it is absorbed by the period effects: e.g. a single unit, or every
    unit treated in the same period with no never-treated units).

    Raises
    ------
    EstimationError
        No unit is treated inside the panel window.
    InputError
        A constant outcome, no unit switches, or no period holds both a treated and an
        untreated cell.
    """
    f = panel.frame
    cohort = panel.source.get("cohort")
    if f[panel.y].nunique() < 2:
        raise InputError(
            f"the outcome is constant ({f[panel.y].iloc[0]:g} in every cell): there is no effect "
            "to estimate", file=file, column=panel.names.get(panel.y, panel.y),
            fix="check `y` names the outcome column (and that the data were not filtered to "
                "nothing)")
    if not (f["treat"] > 0).any():
        raise EstimationError("no unit is treated inside the panel window: every cohort is 0, "
                              "empty or after the last period")
    switch = f.groupby("unit")["treat"].agg(lambda s: s.min() < s.max())
    if not switch.any():
        raise InputError(
            "no unit changes treatment status inside the panel (every treated unit is treated "
            "from its first period), so the effect is absorbed by the unit fixed effects",
            file=file, column=cohort,
            fix="`cohort` must be the first treated period (e.g. 2007), not a 0/1 group dummy")
    mixed = f.groupby("time")["treat"].agg(lambda s: s.min() < s.max())
    if not mixed.any():
        raise InputError(
            "no period has both treated and untreated (never- or not-yet-treated) units, so the "
            "effect is absorbed by the period fixed effects "
            f"({f['unit'].nunique()} unit(s), cohorts "
            f"{sorted(int(c) for c in f['cohort'].unique())})",
            file=file, column=cohort,
            fix="include comparison units that are never treated (cohort 0 or empty) or "
                "treated later than others")


def treat_indicator(time: pd.Series | np.ndarray, cohort: pd.Series | np.ndarray) -> np.ndarray:
    """``Treat_it = 1[cohort_i > 0 and t >= cohort_i]`` as float (footnote 2 of seed 003 §3)."""
    t = np.asarray(time)
    g = np.asarray(cohort)
    return ((g > 0) & (t >= g)).astype(float)


def cohort_rules(panel: DIDPanel) -> dict[str, Any]:
    """How units first treated outside the panel window enter every estimator (one rule).

    Returns
    -------
    dict
        ``late`` (first treated after the last period) and ``early`` (treated in or before the
        first period): ``n_units``, ``cohorts`` and the ``rule`` in words.
    """
    f = panel.frame
    t0, t1 = int(f["time"].min()), int(f["time"].max())
    g = f.groupby("unit")["cohort"].first()
    late, early = g[g > t1], g[(g > 0) & (g <= t0)]
    return {
        "late": {"n_units": int(len(late)), "cohorts": sorted(int(c) for c in set(late)),
                 "rule": "first treated after the last period = never treated within the "
                         "window, in every estimator: Treat = 0 throughout (TWFE, distance, "
                         "did2s), no relative-time dummies (event study), never-treated "
                         "comparisons (Callaway–Sant'Anna, Sun–Abraham), not a treated unit "
                         "(placebo)"},
        "early": {"n_units": int(len(early)), "cohorts": sorted(int(c) for c in set(early)),
                  "rule": "treated in or before the first period (no pre-period): kept by "
                          "TWFE and the event study (their Treat is constant, absorbed by the "
                          "unit effects), left out by Callaway–Sant'Anna and Sun–Abraham; "
                          "did2s has no untreated period to impute them from"},
    }


def _stand_in_cohort(panel: DIDPanel) -> str | pd.Series:
    """The cohort that bounds a unit's stand-in baseline year.

    The unit's own cohort, or with a recipient column the recipient's earliest cohort over all
    its pairs (controls are the recipient's: its first park may already move them).
    """
    f = panel.frame
    if "recipient" not in f.columns:
        return "cohort"
    rec = f.groupby("unit")["recipient"].first()
    first = f.loc[f["cohort"] > 0].groupby("recipient")["cohort"].min()
    return rec.map(first).fillna(0).astype(float)


def _baseline_controls(panel: DIDPanel) -> pd.DataFrame:
    """Baseline-year × year-dummy columns, the stand-in year restricted to before the cohort.

    The bounding cohort is the unit's, or the recipient's earliest (:func:`_stand_in_cohort`).
    Columns that are zero (or NaN) for everyone carry nothing and are left out, so a control
    missing for every unit drops no rows; ``attrs["no_baseline"]`` keeps only the controls
    whose columns remain.
    """
    f = panel.frame
    x = baseline_year_controls(f, list(panel.controls), unit="unit", time="time",
                               cohort=_stand_in_cohort(panel))
    nb = x.attrs.get("no_baseline", {})
    keep = (x.fillna(0) != 0).any()
    x = x.loc[:, keep]
    kept = {c for c in panel.controls if any(k.startswith(f"{c}_x") for k in x.columns)}
    x.attrs["no_baseline"] = {c: u for c, u in nb.items() if c in kept}
    return x


def control_columns(panel: DIDPanel, controls_as: ControlsAs) -> tuple[pd.DataFrame, list[str]]:
    """The frame with the control regressors added, and their names.

    With ``controls_as="baseline"`` a unit without an admissible (pre-treatment) baseline value
    has NaN controls and drops out of the regression; see :func:`controls_no_baseline`.
    """
    f = panel.frame
    if not panel.controls:
        return f, []
    if controls_as == "raw":
        return f, list(panel.controls)
    x = _baseline_controls(panel)
    return pd.concat([f, x], axis=1), list(x.columns)


def controls_no_baseline(panel: DIDPanel, y: str | None = None) -> dict[str, Any]:
    """Units without an admissible baseline value (they drop out of the models with controls).

    Returns
    -------
    dict
        ``units`` {control (user's name): [unit ids]}, ``n_units`` (distinct units over all
        controls), ``rows_dropped`` (their rows with a non-missing outcome ``y``, default the
        main outcome) and ``rule`` (one line saying which values are admissible).
    """
    whose = ("the recipient's earliest cohort over all its pairs (never-treated recipients: "
             "any year)" if "recipient" in panel.frame.columns else
             "the unit's cohort (never-treated units: any year)")
    rule = ("baseline = first-year value; else the nearest later value from a year strictly "
            f"before {whose}; units with none get NaN controls and are dropped")
    if not panel.controls:
        return {"units": {}, "n_units": 0, "rows_dropped": 0, "rule": rule}
    x = _baseline_controls(panel)
    nb = x.attrs["no_baseline"]
    lab = panel.unit_labels
    units = {panel.label(c): [str(lab[u]) if len(lab) else str(u) for u in us]
             for c, us in nb.items()}
    bad = x.isna().any(axis=1).to_numpy() if x.shape[1] else np.zeros(len(x), bool)
    yv = panel.frame[y or panel.y].notna().to_numpy()
    n_units = len({u for us in nb.values() for u in us})
    return {"units": units, "n_units": n_units, "rows_dropped": int((bad & yv).sum()),
            "rule": rule}


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------
def _num(x: float, digits: int) -> str:
    """Fixed decimals, or significant digits for small non-zero numbers (distance slopes)."""
    if x != 0 and abs(x) < 10 ** (1 - digits):
        return f"{x:.{digits}g}"
    return f"{x:.{digits}f}"


def stars(p: float) -> str:
    """Significance stars: *** p<0.01, ** p<0.05, * p<0.1; "" when p is missing."""
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


@dataclass(frozen=True)
class DIDResult(ResultBase):
    """A fitted DID regression (TWFE, PPML, 2×2, distance, Sun–Abraham, did2s).

    Attributes
    ----------
    name : str
        Short model name (``"twfe"``, ``"ppml"``, ...).
    y : str
        Outcome label.
    coef : DataFrame
        Index = term; broom's columns ``estimate, std_error, statistic, p_value, conf_low,
        conf_high`` (:func:`pairnet.core.results.coef_table`, 95 % intervals).
    vcov : ndarray
        Covariance of the reported terms (same order as ``coef``).
    nobs : int
    r2 : float
        R² (NaN where not defined, e.g. PPML).
    fe : str
        Fixed effects, e.g. ``"unit + time"``.
    cluster : str
        How SEs are clustered.
    controls : bool
        Whether controls were included.
    extra : dict
        Anything else (e.g. the two-way clustered SE, pseudo R²).
    n_clusters : int or None
        G of the clustered SEs (p-values and intervals from t(G−1)); None = not clustered.
    wild : dict
        ``{term: WildTest}``: wild cluster bootstrap p-values and intervals (fewer than 50
        clusters and the bootstrap asked for; empty otherwise).
    """

    name: str
    y: str
    coef: pd.DataFrame
    vcov: np.ndarray
    nobs: int
    r2: float = float("nan")
    fe: str = "unit + time"
    cluster: str = "unit"
    controls: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)
    n_clusters: int | None = None
    wild: Mapping[str, WildTest] = field(default_factory=dict)

    @property
    def estimate(self) -> float:
        """The first reported coefficient (``treat`` for TWFE)."""
        return float(self.coef["estimate"].iloc[0])

    @property
    def se(self) -> float:
        """Standard error of the first reported coefficient."""
        return float(self.coef["std_error"].iloc[0])

    @property
    def p_wild(self) -> float:
        """Wild bootstrap p-value of the first term (NaN when not run)."""
        w = self.wild.get(str(self.coef.index[0]))
        return w.p_value if w is not None else float("nan")

    def tidy(self) -> pd.DataFrame:
        """One row per term, broom's columns: ``term, estimate, std_error, ..., conf_high``.

        With the wild bootstrap, ``p_wild``, ``conf_low_wild`` and ``conf_high_wild`` follow.
        """
        t = self.coef.reset_index(names="term")
        if self.wild:
            t["p_wild"] = [self.wild[k].p_value if k in self.wild else np.nan for k in t["term"]]
            for i, col in enumerate(("conf_low_wild", "conf_high_wild")):
                t[col] = [self.wild[k].conf_int[i]  # type: ignore[index]
                          if k in self.wild and self.wild[k].conf_int is not None else np.nan
                          for k in t["term"]]
        return t

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON-ready numbers: its terms (broom columns), vcov, N, R² and extras."""
        return {"name": self.name, "y": self.y, "terms": self.tidy().to_dict(orient="records"),
                "vcov": np.asarray(self.vcov).tolist(), "nobs": self.nobs, "r2": self.r2,
                "fe": self.fe, "cluster": self.cluster, "n_clusters": self.n_clusters,
                "controls": self.controls, "extra": dict(self.extra),
                "wild": {k: w.to_dict() for k, w in self.wild.items()}}

    def summary(self) -> str:
        """A short text summary (returned, never printed)."""
        g = f" ({self.n_clusters} clusters, t({self.n_clusters - 1}))" if self.n_clusters else ""
        lines = [f"{self.name}: {self.y} ~ {' + '.join(self.coef.index)} | {self.fe}",
                 f"N = {self.nobs}, R2 = {self.r2:.4f}, SE clustered by {self.cluster}{g}"
                 f"{', controls' if self.controls else ''}"]
        for term, r in self.coef.iterrows():
            w = self.wild.get(str(term))
            pw = f"  p_wild={w.p_value:.4g}" if w is not None else ""
            lines.append(f"  {term:<28} {r.estimate: .6g}{stars(r.p_value):<3} "
                         f"({r.std_error:.6g})  p={r.p_value:.4g}{pw}")
        for k, v in self.extra.items():
            if isinstance(v, (int, float, np.floating)):
                lines.append(f"  {k}: {float(v):.6g}")
        return "\n".join(lines)

    def plot(self, ax: Any = None) -> Any:
        """Coefficient plot with 95 % CIs; returns the Figure."""
        import matplotlib.pyplot as plt

        fig, ax = (plt.subplots(figsize=(5, 0.6 + 0.5 * len(self.coef))) if ax is None
                   else (ax.figure, ax))
        yy = np.arange(len(self.coef))[::-1]
        c = self.coef
        ax.errorbar(c["estimate"], yy, xerr=[c["estimate"] - c["conf_low"],
                                             c["conf_high"] - c["estimate"]],
                    fmt="o", color="C0", capsize=3)
        ax.axvline(0, color="grey", lw=0.8, ls="--")
        ax.set_yticks(yy, list(c.index))
        ax.set_xlabel(f"effect on {self.y} (95% CI)")
        fig.tight_layout()
        return fig


def _from_pyfixest(m: Fit, *, name: str, y: str, keep: Sequence[str] | None = None,
                   rename: Mapping[str, str] | None = None, fe: str = "unit + time",
                   cluster: str = "unit", controls: bool = False,
                   extra: Mapping[str, Any] | None = None,
                   n_clusters: int | None = None,
                   wild: Mapping[str, WildTest] | None = None) -> DIDResult:
    """Turn a pyfixest model into a :class:`DIDResult` (keeping the ``keep`` terms).

    ``wild`` is keyed by pyfixest's names; it is renamed with the terms.
    """
    names = list(m.coefnames)
    idx = [names.index(k) for k in keep if k in names] if keep is not None else list(
        range(len(names)))
    if not idx:
        raise EstimationError(f"{name}: the treatment term was dropped (collinear with the "
                              "fixed effects; is any unit treated inside the panel window?)")
    beta = m.beta[idx]
    vc = m.vcov[np.ix_(idx, idx)]
    terms = [(rename or {}).get(names[i], names[i]) for i in idx]
    r2 = m.r2 if name != "ppml" else float("nan")
    ren = dict(rename or {})
    w = {ren.get(k, k): replace(v, term=ren.get(k, k)) for k, v in (wild or {}).items()}
    return DIDResult(name=name, y=y, coef=coef_table(terms, beta, vc, m.df_t), vcov=vc,
                     nobs=m.nobs, r2=r2, fe=fe, cluster=cluster, controls=controls,
                     extra=dict(extra or {}), n_clusters=n_clusters, wild=w)


def _wild(m: Fit, terms: Sequence[str], panel: DIDPanel,
          wild: WildOptions | None) -> dict[str, WildTest]:
    """Wild bootstrap tests of ``terms`` when asked for and the panel has few clusters."""
    if wild is None or not wild.runs(panel.n_clusters):
        return {}
    return wild_tests(m, terms, cluster="cluster", draws=wild.draws, weights=wild.weights,
                      seed=wild.seed)


def _feols(fml: str, data: pd.DataFrame, cluster: str = "cluster") -> Fit:
    with warnings.catch_warnings():
        # pyfixest warns on dropped singletons / collinear dummies; the result records N
        warnings.simplefilter("ignore", UserWarning)
        try:
            # pyfixest's default fixed-effect tolerance (1e-6) leaves CRV1 SEs of unbalanced
            # panels up to ~1e-6 (relative) off R fixest; 1e-10 agrees to ~1e-10
            return pf_feols(fml, data, {"CRV1": cluster}, fixef_tol=_FIXEF_TOL)
        except ValueError as exc:  # pyfixest: all variables collinear, etc.
            raise EstimationError(f"cannot estimate {fml.split('~')[0].strip()}: "
                                  f"{' '.join(str(exc).split())}") from exc


def _cluster_arg(panel: DIDPanel, cluster2: bool) -> tuple[str, str]:
    if cluster2:
        if not panel.has_pairs:
            raise InputError("two-way clustering needs origin and destination columns",
                             file="`cluster2`", fix="name them in `cluster2` or drop it")
        return "origin+destination", "origin & destination"
    return "unit", "unit"


# --------------------------------------------------------------------------------------------
# estimators
# --------------------------------------------------------------------------------------------
def descriptives(panel: DIDPanel, *, y: Sequence[str] | None = None) -> pd.DataFrame:
    """Table 1: obs, mean and sd of the outcome(s), log(1+y) and the controls, by Treat = 0 / 1.

    Like seed 003 Table 1 the groups are the observations (unit-periods) with ``Treat = 0``
    (control) and ``Treat = 1`` (treated); obs count non-missing values.
    """
    f = panel.frame
    ys = list(y) if y is not None else [panel.y, *panel.extra_y]
    rows = []
    for c in ys:
        rows.append((panel.label(c), f[c]))
        if (f[c].dropna() >= 0).all():
            rows.append((f"log(1+{panel.label(c)})", np.log1p(f[c])))
    for c in panel.controls:
        rows.append((panel.label(c), f[c]))
    out = []
    treated = f["treat"].to_numpy() > 0
    for label, s in rows:
        r: dict[str, Any] = {"variable": label}
        for grp, mask in (("control", ~treated), ("treated", treated)):
            v = s[mask].dropna()
            r[f"{grp}_obs"] = int(len(v))
            r[f"{grp}_mean"] = float(v.mean()) if len(v) else np.nan
            r[f"{grp}_sd"] = float(v.std(ddof=1)) if len(v) > 1 else np.nan
        out.append(r)
    return pd.DataFrame(out)


def _outcome(panel: DIDPanel, y: str | None, log1p: bool) -> tuple[pd.DataFrame, str, str]:
    """Frame with the (possibly log(1+y)) outcome column, its formula name and label."""
    y = panel.y if y is None else y
    f = panel.frame
    if not log1p:
        return f, y, panel.label(y)
    if (f[y].dropna() < 0).any():
        raise EstimationError(f"log(1+{panel.label(y)}) needs a non-negative outcome")
    name = f"log1p_{y}"
    return f.assign(**{name: np.log1p(f[y])}), name, f"log(1+{panel.label(y)})"


def twfe(panel: DIDPanel, *, y: str | None = None, log1p: bool = False, controls: bool = False,
         controls_as: ControlsAs = "baseline", cluster2: bool | None = None,
         wild: WildOptions | None = None) -> DIDResult:
    """Table 2: ``y ~ treat [+ controls] | unit + time``, CRV1 SE by the panel's cluster.

    Parameters
    ----------
    panel : DIDPanel
    y : str, optional
        Safe outcome name (default the main outcome).
    log1p : bool
        Use ``log(1 + y)``.
    controls : bool
        Add the controls (baseline-year × year dummies, or as they are with ``controls_as="raw"``).
    cluster2 : bool, optional
        Also report SEs clustered two-way by origin and destination (``extra["se_cluster2"]``).
        Default: when the panel has origin and destination columns.
    wild : WildOptions, optional
        Run the wild cluster bootstrap of ``treat`` (with fewer than ``wild.max_clusters``).

    Returns
    -------
    DIDResult
        ``coef`` holds ``treat`` only (controls are nuisance).
    """
    f, yname, ylab = _outcome(panel, y, log1p)
    x: list[str] = []
    if controls:
        f2, x = control_columns(panel, controls_as)
        f = pd.concat([f, f2.drop(columns=f2.columns.intersection(f.columns))], axis=1)
    rhs = " + ".join(["treat", *x])
    fml = f"{yname} ~ {rhs} | unit + time"
    m = _feols(fml, f)
    extra: dict[str, Any] = {}
    if cluster2 is None:
        cluster2 = panel.has_pairs
    if cluster2:
        with warnings.catch_warnings():
            # pyfixest takes sqrt of every diagonal of the multiway vcov; a negative one (few
            # clusters) is reported as missing below, so its warning is noise here only
            warnings.filterwarnings("ignore", message="invalid value encountered in sqrt",
                                    category=RuntimeWarning)
            m2 = _feols(fml, f, _cluster_arg(panel, True)[0])
        i = m2.index("treat")
        v2 = float(m2.vcov[i, i])
        # the multiway (Cameron-Gelbach-Miller) variance can be negative with few clusters
        extra["se_cluster2"] = float(np.sqrt(v2)) if v2 > 0 else float("nan")
    extra["r2_within"] = m.r2_within
    return _from_pyfixest(m, name="twfe", y=ylab, keep=["treat"], controls=bool(x),
                          extra=extra, cluster=panel.cluster_name,
                          n_clusters=panel.n_clusters, wild=_wild(m, ["treat"], panel, wild))


def twfe_dummies(panel: DIDPanel, *, y: str | None = None) -> DIDResult:
    """TWFE with explicit unit and time dummies (no absorbed FE); an equivalence check."""
    f, yname, ylab = _outcome(panel, y, False)
    m = _feols(f"{yname} ~ treat + C(unit) + C(time)", f)
    return _from_pyfixest(m, name="twfe_dummies", y=ylab, keep=["treat"], fe="dummies",
                          cluster=panel.cluster_name, n_clusters=panel.n_clusters)


def ppml(panel: DIDPanel, *, y: str | None = None, controls: bool = False,
         controls_as: ControlsAs = "baseline") -> DIDResult:
    """Poisson pseudo-maximum likelihood ``fepois(y ~ treat | unit + time)``, CRV1 by cluster.

    Units whose outcome is zero in every period carry no information under PPML and are
    dropped by pyfixest (``extra["nobs_dropped"]``).
    """
    f, yname, ylab = _outcome(panel, y, False)
    if (f[yname].dropna() < 0).any():
        raise EstimationError(f"PPML needs a non-negative outcome; {ylab} has negative values")
    x: list[str] = []
    if controls:
        f2, x = control_columns(panel, controls_as)
        f = pd.concat([f, f2.drop(columns=f2.columns.intersection(f.columns))], axis=1)
    m = pf_fepois(f"{yname} ~ {' + '.join(['treat', *x])} | unit + time", f,
                  {"CRV1": "cluster"}, fixef_tol=_FIXEF_TOL)
    n_all = int(f[yname].notna().sum())
    res = _from_pyfixest(m, name="ppml", y=ylab, keep=["treat"], controls=bool(x),
                         extra={"nobs_dropped": n_all - m.nobs,
                                "irr": float(np.exp(m.beta[0]))},
                         cluster=panel.cluster_name, n_clusters=panel.n_clusters)
    # z-based inference (fixest reports z for GLMs)
    return replace(res, coef=coef_table(["treat"], [res.estimate], res.vcov, None))


def did_2x2(df: pd.DataFrame, *, y: str, treated: str, post: str,
            cluster: str | None = None) -> DIDResult:
    """Canonical 2×2 DID: ``y ~ treated + post + treated:post`` (saturated), term ``treated:post``.

    The coefficient equals (ȳ_T,post − ȳ_T,pre) − (ȳ_C,post − ȳ_C,pre) exactly.
    """
    d = pd.DataFrame({"y": pd.to_numeric(df[y]), "g": df[treated].astype(float),
                      "p": df[post].astype(float)})
    d["gp"] = d["g"] * d["p"]
    if cluster is not None:
        d["cl"] = pd.factorize(df[cluster])[0]
        m = pf_feols("y ~ g + p + gp", d, {"CRV1": "cl"})
    else:
        m = pf_feols("y ~ g + p + gp", d, "hetero")
    return _from_pyfixest(m, name="did_2x2", y=y, keep=["gp"], rename={"gp": "treated:post"},
                          fe="none", cluster=cluster or "HC1")


@dataclass(frozen=True)
class EventStudyResult(ResultBase):
    """Figure 1: relative-time coefficients with the base period, and the joint test of leads.

    Attributes
    ----------
    table : DataFrame
        ``rel_time, coef, se, ci_low, ci_high, p_value`` (the base period with coef 0, se NaN),
        then ``p_wild, ci_low_wild, ci_high_wild`` when the wild bootstrap ran: the published
        table and the rows of ``results.json``'s ``event_study``. CRV1 p-values and intervals
        use t(G−1).
    wald : dict
        ``{stat, df, p_value, f_stat, f_p_value}`` for H0: all leads (rel_time < base) are 0.
    ends : {"bin", "trim"}
        How relative periods beyond ``-leads`` / ``+lags`` were handled.
    n_trimmed : int
        Treated observations dropped by ``ends="trim"`` (0 with ``bin``).
    n_late_as_never : int
        Units first treated after the last period, taken as never treated (no dummies).
    """

    table: pd.DataFrame
    wald: Mapping[str, float]
    y: str
    nobs: int
    leads: int
    lags: int
    base: int = -1
    controls: bool = False
    ends: str = "bin"
    n_trimmed: int = 0
    n_late_as_never: int = 0
    cluster: str = "unit"
    n_clusters: int | None = None
    #: the estimated window coefficients (base period left out) and their clustered covariance
    beta: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    vcov: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)
    rel_times: tuple[int, ...] = ()

    @property
    def has_wild(self) -> bool:
        """Whether the coefficients carry wild bootstrap p-values."""
        return "p_wild" in self.table.columns

    def tidy(self) -> pd.DataFrame:
        """Broom columns, one row per relative period (term ``rel_time::-5``), then ``rel_time``.

        The base period has estimate 0 and missing SE; with ``ends="bin"`` the endpoint terms
        are the bins. ``p_wild`` (and its interval) follow when the wild bootstrap ran.
        """
        t = self.table
        rel = t["rel_time"].astype(int).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = t["coef"].to_numpy(float) / t["se"].to_numpy(float)
        extra: dict[str, Any] = {"rel_time": rel}
        if self.has_wild:
            extra.update(p_wild=t["p_wild"].to_numpy(), conf_low_wild=t["ci_low_wild"].to_numpy(),
                         conf_high_wild=t["ci_high_wild"].to_numpy())
        return tidy_frame([f"rel_time::{k}" for k in rel], t["coef"], t["se"], stat,
                          t["p_value"], t["ci_low"], t["ci_high"], **extra)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the coefficients, the test and the window.

        Coefficient columns ``rel_time, coef, se, ci_low, ci_high, p_value`` and, when run,
        ``p_wild, ci_low_wild, ci_high_wild``.
        """
        cols = ["rel_time", "coef", "se", "ci_low", "ci_high", "p_value"]
        if self.has_wild:
            cols += ["p_wild", "ci_low_wild", "ci_high_wild"]
        return {"event_study": self.table[cols], "wald": dict(self.wald), "y": self.y,
                "nobs": self.nobs, "leads": self.leads, "lags": self.lags, "base": self.base,
                "ends": self.ends, "n_trimmed": self.n_trimmed,
                "n_late_as_never": self.n_late_as_never, "controls": self.controls,
                "cluster": self.cluster, "n_clusters": self.n_clusters}

    def window_note(self, lang: str = "en") -> str:
        """One line on the window and its ends (for table and figure notes), in ``lang``."""
        if lang == "zh":
            how = ("端点合并（首、末虚拟变量分别吸收更早、更晚的相对时期）" if self.ends == "bin" else
                   f"端点截断（删除窗口外的 {self.n_trimmed} 个处理组观测；保留从未处理单位）")
            late = (f"；{self.n_late_as_never} 个在最后一期之后才首次处理的单位视为从未处理"
                    if self.n_late_as_never else "")
            return f"相对时期 -{self.leads}..+{self.lags}，{how}，基期 {self.base}{late}"
        how = ("endpoints binned (the first / last dummy collects every earlier / later "
               "relative period)" if self.ends == "bin" else
               f"ends trimmed ({self.n_trimmed} treated observations outside the window "
               "dropped; never-treated units kept)")
        late = (f"; {self.n_late_as_never} unit(s) first treated after the last period taken "
                "as never treated" if self.n_late_as_never else "")
        return f"relative time -{self.leads}..+{self.lags}, {how}, base {self.base}{late}"

    def summary(self) -> str:
        """Text summary (returned, never printed)."""
        t = self.table
        lines = [f"event study on {self.y}: {self.window_note()}, N = {self.nobs}"]
        for r in t.itertuples():
            pw = (f"  p_wild={r.p_wild:.4g}" if self.has_wild and np.isfinite(r.p_wild)
                  else "")
            lines.append(f"  {int(r.rel_time):>4}  {r.coef: .5g}  ({r.se:.4g}){pw}")
        w = self.wald
        lines.append(f"joint test of leads: chi2({w['df']}) = {w['stat']:.4g}, "
                     f"p = {w['p_value']:.4g}")
        return "\n".join(lines)

    def plot(self, ax: Any = None, *, lang: Lang = "en") -> Any:
        """Coefficients with 95 % CIs (dashed), zero line, treatment onset marked.

        Labels in ``lang``; the legend sits below the axes, clear of the estimates.
        """
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4.3)) if ax is None else (ax.figure, ax)
        t = self.table
        ax.plot(t["rel_time"], t["coef"], "o-", color="C0",
                label=Text("estimate", "估计值")(lang))
        ax.plot(t["rel_time"], t["ci_low"].fillna(0), "--", color="C0", lw=0.9,
                label=Text("95% CI", "95% 置信区间")(lang))
        ax.plot(t["rel_time"], t["ci_high"].fillna(0), "--", color="C0", lw=0.9)
        ax.axhline(0, color="black", lw=0.8)
        ax.axvline(self.base + 0.5, color="grey", lw=0.8, ls=":")
        event_time_axis(ax, lang)
        ax.set_xticks(t["rel_time"])  # every period, the binned ends marked
        lab = [str(int(k)) for k in t["rel_time"]]
        if self.ends == "bin":
            lab[0], lab[-1] = f"≤{lab[0]}", f"≥{lab[-1]}"
        ax.set_xticklabels(lab)
        ax.set_ylabel(Text(f"effect on {self.y}", f"对 {self.y} 的效应")(lang))
        p = p_is(self.wald["p_value"])
        ax.set_title(Text(f"Event study (leads {p})", f"事件研究（处理前各期联合检验 {p}）")(lang))
        ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
        fig.tight_layout()
        return fig


def event_time_axis(ax: Any, lang: Lang = "en") -> None:
    """Event time on the x axis: whole periods only (never ±2.5), labelled in ``lang``."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(Text("periods relative to treatment", "相对处理的时期")(lang))


def _rel_name(k: int) -> str:
    return f"rel_m{-k}" if k < 0 else f"rel_p{k}"


def _check_window(leads: int, lags: int, ends: str, base: int) -> None:
    for name, v, low in (("leads", leads, 1), ("lags", lags, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
            raise InputError(f"`{name}` must be a whole number >= {low}, got {v!r}",
                             file=f"`{name}`",
                             fix="pass the number of periods before (`leads`, at least 1: the "
                                 "base period -1 is a lead) / after (`lags`) treatment")
    check_literal(ends, EventEnds, "ends")
    if not -leads <= base < 0:
        raise InputError(f"the base period {base} is outside the window -{leads}..+{lags}",
                         file="`leads`", fix="widen `leads` to include the base period")


def event_time_frame(panel: DIDPanel, *, leads: int = 5, lags: int = 10,
                     ends: EventEnds = "bin", base: int = -1
                     ) -> tuple[pd.DataFrame, list[str], dict[str, int]]:
    """The event-study sample and its relative-time dummies (the design of :func:`event_study`).

    Units first treated after the last period are never treated (no dummies), as in every
    estimator (:func:`cohort_rules`). ``ends="bin"`` lumps relative periods below ``-leads``
    into ``-leads`` and above ``lags`` into ``lags``; ``ends="trim"`` drops the treated
    observations outside ``-leads..lags`` and keeps never-treated units whole.

    Returns
    -------
    frame : DataFrame
        ``panel.frame`` (trimmed rows dropped) with ``rel_window`` (the binned / kept relative
        period, NaN for never-treated units) and one 0/1 column per window period but ``base``,
        named ``rel_m5`` ... ``rel_p10``.
    dummies : list of str
        The dummy columns with at least one 1, in window order.
    info : dict
        ``n_trimmed`` (rows dropped) and ``n_late_as_never`` (units).

    Raises
    ------
    InputError
        ``leads`` < 1, ``lags`` < 0, an unknown ``ends``, a base period outside the window.
    """
    _check_window(leads, lags, ends, base)
    f = panel.frame
    t1 = int(f["time"].max())
    late = (f["cohort"] > t1).to_numpy()
    rel = f["rel_time"].where(~late)
    n_trimmed = 0
    if ends == "bin":
        rel = rel.clip(-leads, lags)
    else:
        keep = rel.isna() | rel.between(-leads, lags)
        n_trimmed = int((~keep).sum())
        f, rel = f.loc[keep], rel.loc[keep]
    ks = [k for k in range(-leads, lags + 1) if k != base]
    dummies = {_rel_name(k): (rel == k).astype(float).to_numpy() for k in ks}
    out = pd.concat([f.assign(rel_window=rel), pd.DataFrame(dummies, index=f.index)], axis=1)
    present = [n for n in dummies if out[n].any()]
    return out, present, {"n_trimmed": n_trimmed,
                          "n_late_as_never": int(panel.frame.loc[late, "unit"].nunique())}


def event_study(panel: DIDPanel, *, y: str | None = None, log1p: bool = False,
                leads: int = 5, lags: int = 10, base: int = -1, controls: bool = False,
                controls_as: ControlsAs = "baseline", ends: EventEnds = "bin",
                wild: WildOptions | None = None) -> EventStudyResult:
    """Model (3): relative-time dummies ``-leads..+lags``, base ``base``.

    Never-treated units (and units first treated after the last period) have every dummy 0:
    the reference group. ``ends`` says what happens beyond the window (see
    :func:`event_time_frame`). CRV1 SEs by the panel's cluster, t(G−1) intervals; the joint
    Wald test of the leads uses the clustered covariance (chi² and F(q, G−1)). With ``wild``
    and few clusters every coefficient also gets a wild bootstrap p-value and interval.
    """
    ff, present, info = event_time_frame(panel, leads=leads, lags=lags, ends=ends, base=base)
    f, yname, ylab = _outcome(replace(panel, frame=ff), y, log1p)
    x: list[str] = []
    if controls:
        f2, x = control_columns(panel, controls_as)
        f2 = f2.loc[f.index]
        f = pd.concat([f, f2.drop(columns=f2.columns.intersection(f.columns))], axis=1)
    m = _feols(f"{yname} ~ {' + '.join(present + x)} | unit + time", f)
    names = list(m.coefnames)
    beta = m.beta
    vc = m.vcov
    df_t = m.df_t
    q = stats.t.ppf(0.975, df_t) if df_t else stats.norm.ppf(0.975)
    wt = _wild(m, [n for n in present if n in names], panel, wild)
    rows = []
    for k in range(-leads, lags + 1):
        n = _rel_name(k)
        w = wt.get(n)
        ww = ((w.p_value, *(w.conf_int or (np.nan, np.nan))) if w is not None
              else (np.nan, np.nan, np.nan))
        if k == base:
            rows.append((k, 0.0, np.nan, np.nan, np.nan, np.nan))
        elif n in names:
            i = names.index(n)
            rows.append((k, beta[i], np.sqrt(vc[i, i]), *ww))
        else:
            rows.append((k, np.nan, np.nan, np.nan, np.nan, np.nan))
    t = pd.DataFrame(rows, columns=["rel_time", "coef", "se", "p_wild", "ci_low_wild",
                                    "ci_high_wild"])
    t["ci_low"] = t["coef"] - q * t["se"]
    t["ci_high"] = t["coef"] + q * t["se"]
    with np.errstate(divide="ignore", invalid="ignore"):
        t["p_value"] = 2 * stats.t.sf(np.abs(t["coef"] / t["se"]), df_t or 1e9)
    cols = ["rel_time", "coef", "se", "ci_low", "ci_high", "p_value"]
    t = t[cols + (["p_wild", "ci_low_wild", "ci_high_wild"] if wt else [])]
    lead_idx = [names.index(_rel_name(k)) for k in range(-leads, base)
                if _rel_name(k) in names]
    wald = _wald(beta[lead_idx], vc[np.ix_(lead_idx, lead_idx)], df_t)
    rts = tuple(k for k in range(-leads, lags + 1) if k != base and _rel_name(k) in names)
    idx = [names.index(_rel_name(k)) for k in rts]
    return EventStudyResult(table=t, wald=wald, y=ylab, nobs=m.nobs, leads=leads,
                            lags=lags, base=base, controls=bool(x), ends=ends,
                            n_trimmed=info["n_trimmed"],
                            n_late_as_never=info["n_late_as_never"],
                            cluster=panel.cluster_name, n_clusters=panel.n_clusters,
                            beta=beta[idx], vcov=vc[np.ix_(idx, idx)], rel_times=rts)


def _wald(b: np.ndarray, v: np.ndarray, df_t: float | None) -> dict[str, float]:
    """Joint test that ``b = 0``: chi² and F(q, df_t)."""
    q = len(b)
    if q == 0:
        return {"stat": np.nan, "df": 0, "p_value": np.nan, "f_stat": np.nan,
                "f_p_value": np.nan}
    w = float(b @ np.linalg.pinv(v) @ b)
    fs = w / q
    fp = float(stats.f.sf(fs, q, df_t)) if df_t else float("nan")
    return {"stat": w, "df": q, "p_value": float(stats.chi2.sf(w, q)), "f_stat": fs,
            "f_p_value": fp}


@dataclass(frozen=True)
class DistanceResult(ResultBase):
    """Table 4 for one distance: ``y ~ treat + treat:distance | unit + time``.

    Attributes
    ----------
    model : DIDResult
        Terms ``treat`` (β1) and ``treat:DIST`` (β2).
    distance : str
        Label of the distance column.
    break_even : float
        −β1/β2: the distance at which the effect is zero.
    break_even_se : float
        Delta-method SE from the clustered covariance.
    break_even_ci : tuple
        95 % CI, ± t(G−1) quantile × SE: the same t distribution as the coefficients'.
    d_range : tuple
        Min and max of the distance among treated units (for the plot).
    df_t : float or None
        Degrees of freedom of the coefficients' t distribution (G − 1; None = normal).
    """

    model: DIDResult
    distance: str
    break_even: float
    break_even_se: float
    break_even_ci: tuple[float, float]
    d_range: tuple[float, float]
    df_t: float | None = None

    def _q(self) -> float:
        return float(stats.t.ppf(0.975, self.df_t) if self.df_t else stats.norm.ppf(0.975))

    @property
    def b1(self) -> float:
        """Effect at distance 0 (``results.json``'s ``b0``)."""
        return float(self.model.coef["estimate"].iloc[0])

    @property
    def b2(self) -> float:
        """Change of the effect per unit of distance (``results.json``'s ``b1``)."""
        return float(self.model.coef["estimate"].iloc[1])

    def effect_at(self, d: np.ndarray | Sequence[float] | float) -> pd.DataFrame:
        """Effect β1 + β2·d: ``distance, effect, se, conf_low, conf_high`` (95 % CI, t(G−1))."""
        d = np.atleast_1d(np.asarray(d, float))
        v = self.model.vcov
        eff = self.b1 + self.b2 * d
        se = np.sqrt(v[0, 0] + d * d * v[1, 1] + 2 * d * v[0, 1])
        z = self._q()
        return pd.DataFrame({"distance": d, "effect": eff, "se": se, "conf_low": eff - z * se,
                             "conf_high": eff + z * se})

    def tidy(self) -> pd.DataFrame:
        """Broom columns: the two terms, then the break-even distance (delta-method SE, CI)."""
        lo, hi = self.break_even_ci
        be = tidy_frame(["break_even"], [self.break_even], [self.break_even_se],
                        conf_low=[lo], conf_high=[hi])
        return pd.concat([self.model.tidy(), be], ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        """The model as ``results.json``'s ``distance.by_column[COL][variant]`` holds it.

        ``b0``/``treat_coef`` = β1 (treat), ``b1``/``coef`` = β2 (treat × distance).
        """
        m = self.model.coef
        out = {"column": self.distance, "controls": self.model.controls,
               "coef": float(m["estimate"].iloc[1]), "se": float(m["std_error"].iloc[1]),
               "p_value": float(m["p_value"].iloc[1]),
               "treat_coef": float(m["estimate"].iloc[0]),
               "treat_se": float(m["std_error"].iloc[0]),
               "treat_p_value": float(m["p_value"].iloc[0]),
               "b0": self.b1, "b1": self.b2, "vcov": self.model.vcov.tolist(),
               "break_even_km": self.break_even, "break_even_se": self.break_even_se,
               "break_even_ci": list(self.break_even_ci), "df_t": self.df_t,
               "nobs": self.model.nobs, "r2": self.model.r2,
               "cluster": self.model.cluster, "n_clusters": self.model.n_clusters}
        if self.model.wild:
            w = self.model.wild
            out["p_wild"] = {k: v.p_value for k, v in w.items()}
            out["ci_wild"] = {k: list(v.conf_int) if v.conf_int is not None else None
                              for k, v in w.items()}
        return out

    def summary(self) -> str:
        """Text summary (returned, never printed)."""
        lo, hi = self.break_even_ci
        return (self.model.summary() + f"\n  break-even {self.distance}: {self.break_even:.4g}"
                f" (SE {self.break_even_se:.4g}, 95% CI {lo:.4g} .. {hi:.4g})")

    def plot(self, ax: Any = None, *, lang: Lang = "en") -> Any:
        """Effect of treatment by distance with a 95 % CI band.

        The break-even distance is marked when it lies in the plotted range. Labels in
        ``lang``; the legend sits below the axes.
        """
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4.3)) if ax is None else (ax.figure, ax)
        lo, hi = self.d_range
        grid = self.effect_at(np.linspace(min(0.0, lo), hi, 100))
        ax.plot(grid["distance"], grid["effect"], color="C0",
                label=Text("effect", "效应")(lang))
        ax.fill_between(grid["distance"], grid["conf_low"], grid["conf_high"], color="C0",
                        alpha=0.2, label=Text("95% CI", "95% 置信区间")(lang))
        ax.axhline(0, color="black", lw=0.8)
        if np.isfinite(self.break_even) and min(0.0, lo) <= self.break_even <= hi:
            ax.axvline(self.break_even, color="C3", ls="--",
                       label=Text(f"break-even {self.break_even:.0f} km",
                                  f"盈亏平衡 {self.break_even:.0f} 千米")(lang))
        ax.set_xlabel(self.distance if self.distance.endswith("km") else f"{self.distance} (km)")
        ax.set_ylabel(Text(f"effect on {self.model.y}", f"对 {self.model.y} 的效应")(lang))
        ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3)
        fig.tight_layout()
        return fig


def distance_interaction(panel: DIDPanel, distance: str, *, y: str | None = None,
                         log1p: bool = False, controls: bool = False,
                         controls_as: ControlsAs = "baseline",
                         wild: WildOptions | None = None) -> DistanceResult:
    """Model (4): ``y ~ treat + treat:distance [+ controls] | unit + time``, CRV1 by cluster.

    The break-even distance −β1/β2 gets a delta-method SE with gradient (−1/β2, β1/β2²) and
    the clustered covariance of (β1, β2), and a CI from the coefficients' t(G−1). With
    ``wild`` and few clusters both terms get wild bootstrap p-values and intervals.
    """
    f, yname, ylab = _outcome(panel, y, log1p)
    if f[distance].isna().any() and (f.loc[f["treat"] > 0, distance].isna()).any():
        raise EstimationError(f"{panel.label(distance)} is missing for some treated units")
    inter = f"treat_x_{distance}"
    f = f.assign(**{inter: f["treat"] * f[distance].fillna(0)})
    x: list[str] = []
    if controls:
        f2, x = control_columns(panel, controls_as)
        f = pd.concat([f, f2.drop(columns=f2.columns.intersection(f.columns))], axis=1)
    m = _feols(f"{yname} ~ {' + '.join(['treat', inter, *x])} | unit + time", f)
    res = _from_pyfixest(m, name=f"distance:{panel.label(distance)}", y=ylab,
                         keep=["treat", inter],
                         rename={inter: f"treat:{panel.label(distance)}"}, controls=bool(x),
                         cluster=panel.cluster_name, n_clusters=panel.n_clusters,
                         wild=_wild(m, ["treat", inter], panel, wild))
    if len(res.coef) < 2:
        raise EstimationError(f"treat:{panel.label(distance)} was dropped (no variation)")
    b1, b2 = res.coef["estimate"].to_numpy()
    v = res.vcov
    be = -b1 / b2 if b2 != 0 else np.nan
    grad = np.array([-1.0 / b2, b1 / b2 ** 2]) if b2 != 0 else np.array([np.nan, np.nan])
    be_se = float(np.sqrt(grad @ v @ grad))
    q = float(stats.t.ppf(0.975, m.df_t) if m.df_t else stats.norm.ppf(0.975))
    dv = f.loc[f["treat"] > 0, distance]
    return DistanceResult(model=res, distance=panel.label(distance), break_even=float(be),
                          break_even_se=be_se, break_even_ci=(be - q * be_se, be + q * be_se),
                          d_range=(float(dv.min()), float(dv.max())), df_t=m.df_t)


@dataclass(frozen=True)
class SunAbrahamResult(DIDResult):
    """Sun & Abraham (2021): the ATT (``coef``) and the per-period coefficients.

    Attributes
    ----------
    periods : DataFrame
        One row per relative period (the reference −1 left out): ``rel_time`` and broom's
        ``estimate, std_error, statistic, p_value, conf_low, conf_high`` (t(G−1)), then
        ``n_cohorts``: the cohort × period coefficients averaged with cohort-share weights
        (their cell counts), as R fixest ``sunab`` aggregates by period.
    """

    periods: pd.DataFrame = field(default_factory=pd.DataFrame)

    def tidy(self) -> pd.DataFrame:
        """The ``ATT`` row, then one row per relative period (term ``rel_time::k``)."""
        p = self.periods
        per = tidy_frame([f"rel_time::{int(k)}" for k in p["rel_time"]], p["estimate"],
                         p["std_error"], p["statistic"], p["p_value"], p["conf_low"],
                         p["conf_high"]) if len(p) else None
        att = super().tidy()
        return att if per is None else pd.concat([att, per], ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        """As :meth:`DIDResult.to_dict` plus ``periods`` (records)."""
        return {**super().to_dict(), "periods": self.periods.to_dict(orient="records")}


def sun_abraham(panel: DIDPanel, *, y: str | None = None, log1p: bool = False
                ) -> SunAbrahamResult:
    """Sun & Abraham (2021) interaction-weighted estimator with never-treated units as controls.

    Fits ``y ~ Σ_{g,l≠−1} 1[G=g]·1[t−g=l] | unit + time`` (every cohort × relative period,
    reference l = −1, no binning: fixest ``sunab(cohort, time)``), then aggregates as fixest
    does: per relative period l the coefficients of the cohorts observed at l averaged with
    weights equal to their cell counts (``periods``, fixest's default ``sunab`` output), and
    the ATT as the cell-count weighted average of every l ≥ 0 coefficient (fixest
    ``aggregate(sunab, "ATT")``). SEs by the delta method with the clustered covariance,
    t(G−1) inference. Needs never-treated units.

    Cohorts outside the panel follow :func:`cohort_rules`: units first treated after the last
    period are never-treated within the window (cohort 0, ``extra["units_late_as_never"]``);
    units treated at or before the first period have no pre-period and are left out
    (``extra["units_dropped_always_treated"]``; fixest would drop a cohort equal to the first
    period as always treated, but count a cohort before it as a never-treated reference).
    """
    f, yname, ylab = _outcome(panel, y, log1p)
    t0, t1 = int(f["time"].min()), int(f["time"].max())
    g = f["cohort"].to_numpy().copy()
    late = g > t1
    always = (g > 0) & (g <= t0)
    n_late = int(f.loc[late, "unit"].nunique())
    n_always = int(f.loc[always, "unit"].nunique())
    g[late] = 0
    f = f.loc[~always].copy()
    g = g[~always]
    f["cohort"] = g
    if not (g == 0).any():
        raise EstimationError("Sun-Abraham needs never-treated units")
    rel = np.where(g > 0, f["time"].to_numpy() - g, np.nan)
    f["rel_time"] = rel
    tr = g > 0
    cells = f.loc[tr].groupby(["cohort", "rel_time"]).size()
    cols: dict[str, np.ndarray] = {}
    cell_of: dict[str, tuple[int, int]] = {}
    for (gg, ll), _n in cells.items():
        ll = int(ll)
        if ll == -1:
            continue
        name = f"sa_{int(gg)}_{'m' if ll < 0 else 'p'}{abs(ll)}"
        cols[name] = ((g == gg) & (rel == ll)).astype(float)
        cell_of[name] = (int(gg), ll)
    if not any(ll >= 0 for _g, ll in cell_of.values()):
        raise EstimationError("Sun-Abraham: no post-treatment cells")
    f = pd.concat([f, pd.DataFrame(cols, index=f.index)], axis=1)
    m = _feols(f"{yname} ~ {' + '.join(cols)} | unit + time", f)
    names = list(m.coefnames)
    # cell counts in the estimation sample (fixest: colSums(sign(model.matrix)))
    n_cell = np.array([float(np.sum(m.data_column(n) != 0)) for n in names])
    rel_of = np.array([cell_of[n][1] for n in names])

    def average(mask: np.ndarray) -> tuple[float, float]:
        w = np.where(mask, n_cell, 0.0)
        w = w / w.sum()
        return float(w @ m.beta), float(w @ m.vcov @ w)

    if not (rel_of >= 0).any():
        raise EstimationError("Sun-Abraham: no post-treatment cells")
    att, var = average(rel_of >= 0)
    vatt = np.array([[var]])
    per = sorted(set(int(r) for r in rel_of))
    est, ses, ncoh = [], [], []
    for ll in per:
        b, v = average(rel_of == ll)
        est.append(b)
        ses.append(np.sqrt(v))
        ncoh.append(int(np.sum(rel_of == ll)))
    pt = coef_table([str(k) for k in per], est, np.diag(np.square(ses)), m.df_t)
    periods = pt.reset_index(drop=True).assign(n_cohorts=ncoh)
    periods.insert(0, "rel_time", per)
    return SunAbrahamResult(
        name="sun_abraham", y=ylab, coef=coef_table(["ATT"], [att], vatt, m.df_t), vcov=vatt,
        nobs=m.nobs, r2=m.r2, cluster=panel.cluster_name, n_clusters=panel.n_clusters,
        extra={"n_terms": len(names), "units_dropped_always_treated": n_always,
               "units_late_as_never": n_late}, periods=periods)


def did2s(panel: DIDPanel, *, y: str | None = None, log1p: bool = False) -> DIDResult:
    """Gardner (2022) two-stage / imputation DID via pyfixest ``did2s``, SE by the cluster.

    Stage 1 fits ``y ~ 0 | unit + time`` on untreated cells; stage 2 regresses the residualised
    outcome on ``treat``; the SE accounts for the first stage.
    """
    f, yname, ylab = _outcome(panel, y, log1p)
    d = f[[yname, "unit", "time", "treat", "cluster"]].dropna().copy()
    # the first stage estimates the period effects from untreated cells only: a period in
    # which every unit is treated has no period effect to impute with (pyfixest then fails
    # with a shape error)
    untreated_t = set(d.loc[d["treat"] == 0, "time"].unique())
    no_ctrl = sorted(int(t) for t in d["time"].unique() if t not in untreated_t)
    if no_ctrl:
        raise EstimationError(
            f"period(s) {', '.join(map(str, no_ctrl))} have no untreated unit, so their "
            "period effects cannot be imputed (needs never-treated units or later cohorts)")
    # pyfixest's first stage drops singleton fixed effects, leaving units with a single
    # untreated period without a unit effect (its did2s then fails); they are left out here
    # and counted in extra["units_dropped"]
    n_untr = (d["treat"] == 0).groupby(d["unit"]).transform("sum")
    dropped = int(d.loc[n_untr < 2, "unit"].nunique())
    d = d.loc[n_untr >= 2].reset_index(drop=True)
    d["treat"] = d["treat"].astype(bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = pf_did2s(d, yname=yname, first_stage="~ 0 | unit + time",
                     second_stage="~ 0 + treat", treatment="treat", cluster="cluster")
    i = [k for k, n in enumerate(m.coefnames) if n.startswith("treat")][0]
    beta = np.array([m.beta[i]])
    v = np.array([[m.vcov[i, i]]])
    return DIDResult(name="did2s", y=ylab, coef=coef_table(["ATT"], beta, v, None), vcov=v,
                     nobs=m.nobs, fe="unit + time (stage 1)", cluster=panel.cluster_name,
                     n_clusters=panel.n_clusters, extra={"units_dropped": dropped})


# --------------------------------------------------------------------------------------------
# multi-model table
# --------------------------------------------------------------------------------------------
def did_table(results: Sequence[DIDResult], *, digits: int = 3,
              names: Sequence[str] | None = None) -> pd.DataFrame:
    """An ``etable``-like table: one column per model, coefficient (stars) over (SE).

    Rows: each term's estimate (stars from the CRV1 t(G−1) p-value) and SE, its wild cluster
    bootstrap p-value when computed (``p wild bootstrap``), then the two-way clustered SE when
    computed, N, R², fixed effects, controls, clustering and the number of clusters.
    """
    terms = list(dict.fromkeys(t for r in results for t in r.coef.index))
    cols = list(names) if names is not None else [f"({i + 1})" for i in range(len(results))]
    rows: dict[str, list[str]] = {"dependent variable": [r.y for r in results]}
    for t in terms:
        est, se = [], []
        for r in results:
            if t in r.coef.index:
                c = r.coef.loc[t]
                est.append(f"{_num(c.estimate, digits)}{stars(c.p_value)}")
                se.append(f"({_num(c.std_error, digits)})")
            else:
                est.append("")
                se.append("")
        rows[t] = est
        rows[f"{t} SE"] = se
        if any(t in r.wild for r in results):
            rows[f"{t} p wild bootstrap"] = [
                f"[{r.wild[t].p_value:.{digits}f}]" if t in r.wild else "" for r in results]
    if any("se_cluster2" in r.extra for r in results):
        rows["SE origin & destination"] = [
            f"({r.extra['se_cluster2']:.{digits}f})" if "se_cluster2" in r.extra else ""
            for r in results]
    rows["observations"] = [str(r.nobs) for r in results]
    rows["R2"] = ["" if not np.isfinite(r.r2) else f"{r.r2:.3f}" for r in results]
    rows["fixed effects"] = [r.fe for r in results]
    rows["controls"] = ["Yes" if r.controls else "No" for r in results]
    rows["SE clustered by"] = [r.cluster for r in results]
    rows["clusters"] = ["" if r.n_clusters is None else str(r.n_clusters) for r in results]
    out = pd.DataFrame(rows, index=cols).T
    out.index.name = ""
    return out.reset_index()


# --------------------------------------------------------------------------------------------
# seeded synthetic data (tests, benchmarks)
# --------------------------------------------------------------------------------------------
def simulate_staggered(n_units: int = 60, n_periods: int = 12, *, effect: float = 2.0,
                       share_treated: float = 0.4, first_period: int = 2000,
                       cohorts: Sequence[int] | None = None, dynamic: float = 0.0,
                       noise: float = 1.0, seed: int = 0) -> pd.DataFrame:
    """A balanced staggered-adoption panel with a known effect.

    ``y_it = a_i + b_t + (effect + dynamic·(t − g_i))·Treat_it + ε_it`` with unit and period
    effects correlated with treatment (so pooled OLS is biased but TWFE is not when
    ``dynamic == 0``). Columns: unit, time, cohort (0 = never), y, x (a control), dist (a
    per-unit distance).
    """
    rng = np.random.default_rng(seed)
    years = np.arange(first_period, first_period + n_periods)
    if cohorts is None:
        cohorts = list(years[2:-2])
    n_tr = int(round(share_treated * n_units))
    g = np.zeros(n_units, dtype=int)
    g[:n_tr] = rng.choice(np.asarray(cohorts), size=n_tr)
    a = rng.normal(0, 1, n_units) + 1.0 * (g > 0)
    b = np.linspace(0, 1, n_periods) + rng.normal(0, 0.2, n_periods)
    dist = rng.uniform(20, 400, n_units)
    u = np.repeat(np.arange(n_units), n_periods)
    t = np.tile(years, n_units)
    gg = g[u]
    tr = ((gg > 0) & (t >= gg)).astype(float)
    eff = (effect + dynamic * (t - gg)) * tr
    x = rng.normal(0, 1, len(u))
    y = a[u] + b[t - first_period] + eff + 0.5 * x + rng.normal(0, noise, len(u))
    return pd.DataFrame({"unit": [f"u{i:03d}" for i in u], "time": t, "cohort": gg, "y": y,
                         "x": x, "dist": dist[u]})
