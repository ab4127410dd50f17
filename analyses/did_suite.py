"""The DID suite of seed 003 §4 as one computation: Tables 1–5 and Figures 1–2 in one result.

:func:`did_suite` validates the panel once (:func:`pairnet.analyses.did.prepare_panel`), runs
every estimator and returns a frozen :class:`DIDSuiteResult`; it writes no files and prints
nothing. Its options live in one frozen :class:`DIDOptions` (the defaults are there, checked
once). :func:`pairnet.core.outputs.write_result` turns the result into the step folder
(``results.json`` = :meth:`DIDSuiteResult.to_dict`, tables in CSV/HTML/Markdown/LaTeX, figures
in PNG/SVG); ``pairnet did`` and the report pipeline do that.

Optional estimators (PPML, Callaway–Sant'Anna, Sun–Abraham, did2s, each distance model) never
stop the suite: a failure is kept as one line in the result's ``*_errors`` fields and ``notes``.

Example
-------
>>> from pairnet.analyses.did import simulate_staggered
>>> panel = simulate_staggered(n_units=30, n_periods=8, seed=1)
>>> res = did_suite(panel, unit="unit", time="time", cohort="cohort", y="y",
...                 placebo=50, distance=["dist"])          # doctest: +SKIP
>>> res.twfe.estimate, res.distance_model("dist").break_even  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

# --- issue 16: modern DID diagnostics (kept in their own block for easy merges) -------------
from pairnet.analyses._fe import UNIT_WORD, cluster_word, parse_fe
from pairnet.analyses.cs import AggteResult, ATTgtResult, ControlGroup, EstMethod, aggte, att_gt
from pairnet.analyses.diagnostics import (
    DIAGNOSTICS,
    DIDDiagnostics,
    cs_dynamic_vcov,
    did_diagnostics,
)
from pairnet.analyses.did import (
    DISTANCE_COLUMNS,
    ControlsAs,
    DIDPanel,
    DIDResult,
    DistanceResult,
    EventEnds,
    EventStudyResult,
    SunAbrahamResult,
    WildOptions,
    check_identified,
    cohort_rules,
    controls_no_baseline,
    descriptives,
    did2s,
    distance_interaction,
    event_study,
    ppml,
    prepare_panel,
    sun_abraham,
    twfe,
)
from pairnet.analyses.honest import M_DEFAULT, MBAR_DEFAULT
from pairnet.analyses.placebo import PlaceboResult, placebo_test
from pairnet.analyses.wild import WILD_MAX_CLUSTERS, WildWeights, enumerates
from pairnet.core.errors import InputError, PairnetError
from pairnet.core.i18n import Text
from pairnet.core.modeltable import ModelColumn, model_table, p_is
from pairnet.core.options import check_literal
from pairnet.core.reproducible import blas_single_threaded
from pairnet.core.results import TIDY_COLUMNS, Figure, ResultBase, Table

__all__ = ["DIDOptions", "DIDSuiteResult", "DistanceVariant", "did_suite"]

DistanceVariant = Literal["controls", "no_controls"]

_EST_NAMES = {"dr": "doubly robust", "ipw": "inverse probability weighting",
              "reg": "outcome regression"}
_AGG_TYPES = ("simple", "dynamic", "group", "calendar")
_ALTERNATIVES = ("sun_abraham", "did2s")
_ALT_EXTRA = ("units_dropped", "units_dropped_always_treated", "units_late_as_never")
_CG_ZH = {"never": "从未处理", "notyet": "尚未处理"}
_DIST_WORD = {"border_km": Text("border", "边界距离"), "centroid_km": Text("centroid", "质心距离"),
              "region_centroid_km": Text("region centroid", "至帮扶区质心"),
              "region_border_km": Text("region border", "至帮扶区边界")}


# --------------------------------------------------------------------------------------------
# options: the one place the defaults live
# --------------------------------------------------------------------------------------------
def _columns(value: str | Sequence[str]) -> tuple[str, ...]:
    """A tuple of column names without repeats (a single string is one column)."""
    items = [value] if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys(str(v) for v in items))


def _count(value: Any, name: str, fix: str) -> int:
    """A whole number >= 0, or an input error naming the parameter."""
    ok = (isinstance(value, (int, np.integer)) and not isinstance(value, bool)
          and int(value) >= 0)
    if not ok:
        raise InputError(f"`{name}` must be a whole number >= 0, got {value!r}",
                         file=f"`{name}`", fix=fix)
    return int(value)


@dataclass(frozen=True)
class DIDOptions:
    """Every option of the DID suite, with its default, validated once on construction.

    Sequences become tuples of column names (a single string is one column; repeats are
    dropped).

    Attributes
    ----------
    controls : sequence of str
        Time-varying control columns; they enter as baseline-year value × year dummies (the
        paper's model (1)) or as they are with ``controls_as="raw"``.
    control_group : {"never", "notyet"}
        Comparison group of Callaway–Sant'Anna.
    placebo : int
        Placebo draws (0 = skip).
    distance : sequence of str or None
        Distance columns for Table 4; ``()`` = those of ``border_km, centroid_km,
        region_centroid_km, region_border_km`` present in the panel; ``None`` = skip.
    seed : int
        Seed of the placebo draws (and of the CS bootstrap if ``bstrap``).
    extra_y : sequence of str
        Further outcomes for Table 5 (e.g. all-industry counts, branch counts).
    controls_as : {"baseline", "raw"}
        How the controls enter (see ``controls``).
    cluster2 : sequence of two str, or None
        Columns for the additional two-way clustered SE (e.g. ``("origin", "destination")``);
        ``()`` = ``origin`` and ``destination`` when both are columns of the panel (and neither
        is the unit); ``None`` = off.
    cs : bool
        Run Callaway–Sant'Anna (needs a balanced panel).
    bstrap : bool
        Multiplier-bootstrap SEs for CS instead of analytic ones.
    leads, lags : int
        Event-study window ``-leads..+lags`` (``leads`` >= 1: the base period −1 is a lead).
    ends : {"bin", "trim"}
        Relative periods beyond the window: ``bin`` lumps them into the end points (the
        paper's −5 and +10), ``trim`` drops those treated observations (never-treated units
        stay whole).
    cluster : str or None
        Column the SEs of every model are clustered by (CRV1, t(G−1)); None = the unit. E.g.
        ``origin`` (the helper city: 9 clusters in seed 003).
    wild_draws : int
        Wild cluster bootstrap draws when there are fewer than 50 clusters (0 = off);
        Rademacher weights are enumerated in full when 2^G ≤ draws.
    wild_weights : {"rademacher", "webb"}
        Wild bootstrap weights (Webb's six-point weights for very few clusters).
    recipient : str or None
        Recipient-city column of a pair panel: a stand-in baseline value of a control comes
        from before the recipient's earliest cohort (as the pair panel builds it); ``""`` =
        ``destination`` when it is a column and not the unit; None = the unit's own cohort.
    cs_covariates : sequence of str
        Covariates of Callaway–Sant'Anna (R ``did``'s ``xformla = ~ x1 + x2``); numeric,
        finite, never missing. As R ``did`` does with panel data, each unit's value in the
        base period of a comparison (the earlier of its two periods) is used, so a
        time-varying covariate enters at its pre-treatment level for post-treatment cells.
    cs_est_method : {"dr", "ipw", "reg"}
        Callaway–Sant'Anna estimator: doubly robust, inverse probability weighting or outcome
        regression (R ``est_method``; without covariates all three coincide).
    diagnostics : sequence of str
        Which modern diagnostics run (:data:`pairnet.analyses.diagnostics.DIAGNOSTICS`:
        ``bacon, dcdh_weights, imputation, stacked, honest, pretrend_power``); ``()`` = none.
    fe : str or sequence of str
        Fixed effects of the imputation first stage and (beyond unit and time, interacted with
        the stack) of the stacked DID: ``"unit+time"`` or e.g. ``"unit+time+origin^time"``;
        other terms name columns of the data.
    weights : str, optional
        Observation-weight column for the dCDH weights, imputation and stacked DID.
    honest_mbar, honest_m : sequence of float
        HonestDiD's M̄ (relative magnitudes) and M (smoothness) values.
    honest_grid : int
        θ grid points of the C-LF inversion (HonestDiD's ``gridPoints``).

    Raises
    ------
    InputError
        An unknown option string, ``cluster2`` not naming two columns, a negative or
        fractional ``placebo``, ``lags``, ``seed`` or ``wild_draws``, ``leads`` below 1, an
        empty ``cluster``.
    """

    controls: Sequence[str] = ()
    control_group: ControlGroup = "never"
    placebo: int = 500
    distance: Sequence[str] | None = ()
    seed: int = 0
    extra_y: Sequence[str] = ()
    controls_as: ControlsAs = "baseline"
    cluster2: Sequence[str] | None = ()
    cs: bool = True
    bstrap: bool = False
    leads: int = 5
    lags: int = 10
    cs_covariates: Sequence[str] = ()
    cs_est_method: EstMethod = "dr"
    ends: EventEnds = "bin"
    cluster: str | None = None
    wild_draws: int = 9999
    wild_weights: WildWeights = "rademacher"
    recipient: str | None = ""
    # issue 16 diagnostics
    diagnostics: Sequence[str] = DIAGNOSTICS
    fe: str | Sequence[str] = ("unit", "time")
    weights: str | None = None
    honest_mbar: Sequence[float] = MBAR_DEFAULT
    honest_m: Sequence[float] = M_DEFAULT
    honest_grid: int = 100

    def __post_init__(self) -> None:
        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        for name in ("controls", "extra_y", "cs_covariates"):
            put(name, _columns(getattr(self, name)))
        for name in ("distance", "cluster2"):
            v = getattr(self, name)
            put(name, None if v is None else _columns(v))
        check_literal(self.control_group, ControlGroup, "control_group")
        check_literal(self.controls_as, ControlsAs, "controls_as")
        check_literal(self.cs_est_method, EstMethod, "cs_est_method")
        check_literal(self.ends, EventEnds, "ends")
        check_literal(self.wild_weights, WildWeights, "wild_weights")
        if self.cluster is not None:
            if not isinstance(self.cluster, str) or not self.cluster.strip():
                raise InputError(f"`cluster` must name a column, got {self.cluster!r}",
                                 file="`cluster`",
                                 fix="name the column to cluster by (e.g. origin), or leave "
                                     "it out to cluster by the unit")
            put("cluster", self.cluster.strip())
        if self.cluster2 is not None and len(self.cluster2) not in (0, 2):
            raise InputError(f"expecting two columns for `cluster2`, got {list(self.cluster2)}",
                             file="`cluster2`",
                             fix="name two columns, e.g. `cluster2` origin,destination")
        put("placebo", _count(self.placebo, "placebo", "pass a number of draws, 0 to skip"))
        put("seed", _count(self.seed, "seed", "pass a whole number >= 0"))
        fix_leads = "the base period -1 is a lead: pass `leads` 1 or more"
        lv = self.leads
        if isinstance(lv, bool) or not isinstance(lv, (int, np.integer)) or lv < 1:
            raise InputError(f"`leads` must be a whole number >= 1, got {lv!r}",
                             file="`leads`", fix=fix_leads)
        put("leads", int(lv))
        put("lags", _count(self.lags, "lags",
                           "pass the number of event-study periods from treatment on"))
        put("wild_draws", _count(self.wild_draws, "wild_draws",
                                 "pass a number of bootstrap draws, 0 to skip"))
        put("cs", bool(self.cs))
        put("bstrap", bool(self.bstrap))
        self._check_diagnostics(put)

    def _check_diagnostics(self, put: Any) -> None:
        """Issue 16 options: diagnostics, fixed effects, weights, HonestDiD."""
        diag = _columns(self.diagnostics)
        bad = [d for d in diag if d not in DIAGNOSTICS]
        if bad:
            raise InputError(f"unknown diagnostic(s) {', '.join(bad)}", file="`diagnostics`",
                             fix=f"choose from {', '.join(DIAGNOSTICS)}, or none")
        put("diagnostics", diag)
        put("fe", parse_fe(self.fe))
        if "unit" not in self.fe or "time" not in self.fe:
            raise InputError("`fe` must contain unit and time", file="`fe`",
                             fix="e.g. `fe` unit+time+origin^time")
        for name in ("honest_mbar", "honest_m"):
            vals = tuple(float(v) for v in getattr(self, name))
            if any(not np.isfinite(v) or v < 0 for v in vals):
                raise InputError(f"`{name}` must be numbers >= 0, got {list(vals)}",
                                 file=f"`{name}`", fix="e.g. 0,0.5,1,1.5,2")
            put(name, vals)
        g = _count(self.honest_grid, "honest_grid", "pass a number of grid points >= 10")
        if g < 10:
            raise InputError(f"`honest_grid` must be >= 10, got {g}", file="`honest_grid`",
                             fix="pass a number of grid points >= 10 (HonestDiD: 100-1000)")
        put("honest_grid", g)


def _options(options: DIDOptions | None, overrides: Mapping[str, Any]) -> DIDOptions:
    known = {f.name for f in dataclasses.fields(DIDOptions)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TypeError(f"did_suite() got unexpected option(s) {', '.join(unknown)}; the "
                        f"options are the fields of DIDOptions: {', '.join(sorted(known))}")
    if options is None:
        return DIDOptions(**overrides)
    return dataclasses.replace(options, **overrides) if overrides else options


# --------------------------------------------------------------------------------------------
# the result
# --------------------------------------------------------------------------------------------
def _model_dict(r: DIDResult) -> dict[str, Any]:
    """A TWFE-type model as ``results.json`` holds it (its first term).

    ``p_value`` and ``ci_low``/``ci_high`` are CRV1 with t(G−1) (``df_t``); ``p_wild``,
    ``ci_wild`` and ``wild`` (how it was drawn) when the wild bootstrap ran.
    """
    c = r.coef.iloc[0]
    out = {"y": r.y, "controls": r.controls, "coef": float(c.estimate), "se": float(c.std_error),
           "p_value": float(c.p_value), "ci_low": float(c.conf_low),
           "ci_high": float(c.conf_high), "nobs": r.nobs, "r2": r.r2, "cluster": r.cluster,
           "n_clusters": r.n_clusters,
           "df_t": (r.n_clusters - 1) if r.n_clusters and r.name != "ppml" else None}
    if "se_cluster2" in r.extra:
        out["se_cluster2"] = r.extra["se_cluster2"]
    w = r.wild.get(str(r.coef.index[0]))
    if w is not None:
        d = w.to_dict()
        out["p_wild"], out["ci_wild"] = d.pop("p_wild"), d.pop("ci_wild")
        out["wild"] = d
    return out


def _distance_named(d: DistanceResult) -> dict[str, Any]:
    """The distance model keyed by term names (the form ``analyses.optimize`` reads)."""
    t = d.model.coef
    return {"coef": {k: float(v) for k, v in t["estimate"].items()},
            "se": {k: float(v) for k, v in t["std_error"].items()},
            "vcov": d.model.vcov.tolist(), "break_even_km": d.break_even}


def _with_ids(t: pd.DataFrame, model: str, outcome: str, controls: bool) -> pd.DataFrame:
    return t.assign(model=model, outcome=outcome, controls=controls)


@dataclass(frozen=True)
class DIDSuiteResult(ResultBase):
    """Everything the DID suite estimated on one panel (Tables 1–5, Figures 1–2).

    Attributes
    ----------
    panel : DIDPanel
        The validated panel the models ran on.
    options : DIDOptions
        The options used.
    meta : dict
        Sizes, periods, cohorts, clustering, seed and ``controls_no_baseline``
        (``results.json``'s ``meta``).
    descriptives : DataFrame
        Table 1.
    twfe_models : tuple of DIDResult
        Table 2's TWFE models on the main outcome: levels then log(1 + y), each without and
        (with controls) with them; ``twfe_models[0]`` is the headline (:attr:`twfe`).
    event_study : EventStudyResult
        Figure 1.
    ppml : DIDResult or None
        Poisson PPML (non-negative outcomes only; ``None`` if skipped or failed).
    cs_att_gt : ATTgtResult or None
        Callaway–Sant'Anna ATT(g,t) (``None`` if not run or failed).
    cs_aggte : dict
        ``{"simple", "dynamic", "group", "calendar"}`` -> :class:`AggteResult`.
    sun_abraham, did2s : DIDResult or None
        Table 3's other heterogeneity-robust estimators.
    placebo, placebo_log1p : PlaceboResult or None
        Figure 2 for the levels and (non-negative outcomes) the log(1 + y) model.
    distance : dict
        ``{column: {"no_controls" | "controls": DistanceResult}}`` (Table 4), successes only;
        see :meth:`distance_model`.
    extra_y : dict
        ``{outcome: (DIDResult, ...)}``: Table 5's models by further outcome.
    errors : dict
        Why an optional estimator failed: keys ``ppml``, ``cs``, ``sun_abraham``, ``did2s``.
    distance_errors : dict
        ``{column: {variant: message}}`` for distance models that could not be estimated.
    extra_y_errors : dict
        ``{outcome: message}`` for further outcomes left out (e.g. constant).
    notes : tuple of str
        Notes for the reader (skipped estimators, no never-treated units, ...).
    table5_panel : DIDPanel or None
        Table 5's own panel (``did_suite(..., table5_data=...)``; e.g. seed 003's pairs
        connected in the all-industry registry); None = Table 5 runs on :attr:`panel`.
    extra_y_columns : tuple of str
        Table 5's outcomes (the user's names), in order.
    """

    title = "Paired assistance: staggered DID"  # a class attribute, not a field

    panel: DIDPanel = field(repr=False)
    options: DIDOptions
    meta: Mapping[str, Any]
    descriptives: pd.DataFrame = field(repr=False)
    twfe_models: tuple[DIDResult, ...] = field(repr=False)
    event_study: EventStudyResult = field(repr=False)
    ppml: DIDResult | None = field(default=None, repr=False)
    cs_att_gt: ATTgtResult | None = field(default=None, repr=False)
    cs_aggte: Mapping[str, AggteResult] = field(default_factory=dict, repr=False)
    sun_abraham: DIDResult | None = field(default=None, repr=False)
    did2s: DIDResult | None = field(default=None, repr=False)
    placebo: PlaceboResult | None = field(default=None, repr=False)
    placebo_log1p: PlaceboResult | None = field(default=None, repr=False)
    distance: Mapping[str, Mapping[str, DistanceResult]] = field(default_factory=dict,
                                                                 repr=False)
    extra_y: Mapping[str, tuple[DIDResult, ...]] = field(default_factory=dict, repr=False)
    errors: Mapping[str, str] = field(default_factory=dict)
    distance_errors: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    extra_y_errors: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    table5_panel: DIDPanel | None = field(default=None, repr=False)
    extra_y_columns: tuple[str, ...] = ()
    #: issue 16: Goodman-Bacon, dCDH weights, imputation, stacked, HonestDiD, pre-trend power
    diagnostics: DIDDiagnostics | None = field(default=None, repr=False)

    # --- accessors ---------------------------------------------------------------------------
    @property
    def twfe(self) -> DIDResult:
        """The headline model: TWFE on the outcome in levels, without controls."""
        return self.twfe_models[0]

    @property
    def alternatives(self) -> dict[str, DIDResult]:
        """Sun–Abraham and did2s, those that were estimated, in that order."""
        alts = {"sun_abraham": self.sun_abraham, "did2s": self.did2s}
        return {k: v for k, v in alts.items() if v is not None}

    @property
    def distance_columns(self) -> tuple[str, ...]:
        """The distance columns of Table 4 (the user's names), estimated or not."""
        return tuple(self.panel.label(c) for c in self.panel.distance)

    def _variants(self) -> tuple[str, ...]:
        return ("no_controls", "controls") if self.options.controls else ("no_controls",)

    def _distance_results(self) -> list[DistanceResult]:
        """Every estimated distance model in Table 4's column order."""
        return [self.distance[c][v] for c in self.distance_columns for v in self._variants()
                if v in self.distance.get(c, {})]

    def distance_model(self, column: str, variant: DistanceVariant = "controls"
                       ) -> DistanceResult:
        """The distance-interacted model (Table 4) of ``column``.

        Parameters
        ----------
        column : str
            A distance column of the suite (``border_km``...).
        variant : {"controls", "no_controls"}
            With or without the baseline controls; falls back to the other when absent.

        Raises
        ------
        InputError
            The suite has no (estimated) model for ``column``; the message names the columns
            that have one.
        """
        check_literal(variant, DistanceVariant, "variant")
        have = [c for c in self.distance_columns if self.distance.get(c)]
        if column not in have:
            if column in self.distance_errors:
                why = "; ".join(dict.fromkeys(self.distance_errors[column].values()))
                problem = f"the distance model for {column!r} could not be estimated ({why})"
            elif not have:
                problem = "the DID suite has no distance-interacted models"
            else:
                problem = f"no distance model for {column!r} (have: {', '.join(have)})"
            raise InputError(problem, file="`distance`",
                             fix=(f"choose one of {', '.join(have)}" if have else
                                  "run the DID suite with distance columns in `distance`"))
        models = self.distance[column]
        other = "no_controls" if variant == "controls" else "controls"
        return models[variant] if variant in models else models[other]

    # --- results.json ------------------------------------------------------------------------
    def _cs_dict(self) -> dict[str, Any]:
        o = self.options
        head = {"control_group": o.control_group, "covariates": list(o.cs_covariates),
                "est_method": o.cs_est_method}
        if self.cs_att_gt is None:
            return {"error": self.errors.get("cs", ""), **head}
        return {**head, "att_gt": self.cs_att_gt.cells(),
                **{t: self.cs_aggte[t].to_dict() for t in _AGG_TYPES}}

    def _alternatives_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: {"error": self.errors[k]} for k in _ALTERNATIVES
                               if k in self.errors}
        for k, r in self.alternatives.items():
            out[k] = {"att": r.estimate, "se": r.se, "p_value": float(r.coef["p_value"].iloc[0]),
                      "nobs": r.nobs, "cluster": r.cluster, "n_clusters": r.n_clusters,
                      **{kk: vv for kk, vv in r.extra.items() if kk in _ALT_EXTRA}}
            if isinstance(r, SunAbrahamResult):
                out[k]["periods"] = r.periods.copy()
        return out

    def _distance_dict(self) -> dict[str, Any]:
        by_col: dict[str, Any] = {}
        named: dict[str, Any] = {}
        for col in self.distance_columns:
            by_col[col] = {}
            for v in self._variants():
                if v in self.distance.get(col, {}):
                    d = self.distance[col][v]
                    by_col[col][v] = d.to_dict()
                    named.setdefault(col, {})[v] = _distance_named(d)
                else:
                    by_col[col][v] = {"error": self.distance_errors.get(col, {}).get(v, "")}
        dres = self._distance_results()
        if not dres:
            return {"by_column": by_col}
        first = dres[0].to_dict()
        # flat numbers of the first column (the paper's column 1), every column and both
        # specifications under by_column, and per column the term-named form that
        # `pairnet optimize --from-results` reads
        return {**first, "by_column": by_col,
                **{k: v for k, v in named.items() if k not in first}}

    def _extra_y_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for lab in self.extra_y_columns:
            if lab in self.extra_y_errors:
                out[lab] = {"error": self.extra_y_errors[lab]}
            else:
                out[lab] = [_model_dict(r) for r in self.extra_y[lab]]
        return out

    def to_dict(self) -> dict[str, Any]:
        """What ``results.json`` holds (see the README section ``did``)."""
        res: dict[str, Any] = {"meta": dict(self.meta), "descriptives": self.descriptives.copy(),
                               "twfe": _model_dict(self.twfe),
                               "twfe_models": [_model_dict(r) for r in self.twfe_models]}
        if self.ppml is not None:
            res["ppml"] = {**_model_dict(self.ppml), "irr": self.ppml.extra["irr"],
                           "nobs_dropped": self.ppml.extra["nobs_dropped"]}
        elif "ppml" in self.errors:
            res["ppml"] = {"error": self.errors["ppml"]}
        es = self.event_study.to_dict()
        res["event_study"] = es["event_study"]
        res["event_study_wald"] = es["wald"]
        if self.options.cs:
            res["cs"] = self._cs_dict()
        res["alternatives"] = self._alternatives_dict()
        if self.placebo is not None:
            res["placebo"] = self.placebo.to_dict()
        if self.placebo_log1p is not None:
            pl = self.placebo_log1p.to_dict()
            res["placebo_log1p"] = {k: pl[k] for k in ("draws", "p_value", "estimate",
                                                       "n_draws", "seed", "method")}
        if self.panel.distance:
            res["distance"] = self._distance_dict()
        if self.extra_y_columns:
            res["extra_y"] = self._extra_y_dict()
        if self.diagnostics is not None:
            res["diagnostics"] = self.diagnostics.to_dict()
        res["notes"] = list(self.notes)
        return res

    # --- tables and figures -----------------------------------------------------------------
    def _cs_how(self) -> Text:
        o = self.options
        zh = {"dr": "双重稳健", "ipw": "逆概率加权", "reg": "结果回归"}[o.cs_est_method]
        cov = ", ".join(o.cs_covariates)
        return Text(f"{_EST_NAMES[o.cs_est_method]}, "
                    + (f"covariates {cov} at their base-period values" if o.cs_covariates
                       else "no covariates"),
                    zh + "，" + (f"协变量 {cov} 取基期值" if o.cs_covariates else "无协变量"))

    def _table3(self) -> pd.DataFrame:
        rows: list[dict[str, Any]] = []

        def add(name: Text, att: float, se: float) -> None:
            rows.append({"estimator": name, "att": att, "se": se})

        if self.cs_att_gt is not None:
            a = self.cs_aggte
            add(Text("CS simple ATT", "CS 简单加权 ATT"), a["simple"].overall_att,
                a["simple"].overall_se)
            add(Text("CS dynamic: pre_avg", "CS 动态：处理前平均"), a["dynamic"].pre_avg,
                a["dynamic"].pre_avg_se)
            add(Text("CS dynamic: post_avg", "CS 动态：处理后平均"), a["dynamic"].post_avg,
                a["dynamic"].post_avg_se)
            add(Text("CS calendar (CAverage)", "CS 日历时间（CAverage）"),
                a["calendar"].overall_att, a["calendar"].overall_se)
            add(Text("CS group (GAverage)", "CS 组别（GAverage）"), a["group"].overall_att,
                a["group"].overall_se)
        alt = {"sun_abraham": Text("Sun-Abraham ATT", "Sun-Abraham ATT"),
               "did2s": Text("did2s / imputation ATT", "did2s / 插补法 ATT")}
        for name, r in self.alternatives.items():
            add(alt[name], r.estimate, r.se)
        out = pd.DataFrame(rows)
        if len(out):  # an object column keeps the Text names (pandas would make them str)
            out["estimator"] = pd.Series([r["estimator"] for r in rows], dtype=object)
        return out

    # --- tables and figures: shown in the report's language ----------------------------------
    def _y_column(self, label: str) -> tuple[str, bool] | None:
        """The panel column (and whether logged) behind a model's outcome label."""
        p = self.panel
        for y in (p.y, *p.extra_y):
            if label == p.label(y):
                return y, False
            if label == f"log(1+{p.label(y)})":
                return y, True
        return None

    def _n_clusters(self, r: DIDResult) -> int | None:
        """Clusters of a unit-clustered model.

        The units with the outcome, less those the model drops (no baseline control; an
        all-zero outcome under PPML).
        """
        if "n_clusters" in r.extra:
            return int(r.extra["n_clusters"])
        col = self._y_column(r.y)
        if r.cluster != "unit" or col is None:
            return None
        f = self.panel.frame
        have = f.dropna(subset=[col[0]])
        n = int(have["unit"].nunique())
        if r.controls:
            n -= int(self.meta["controls_no_baseline"]["n_units"])
        if r.name == "ppml":
            n -= int((have.groupby("unit")[col[0]].sum() == 0).sum())
        return n

    def _column(self, r: DIDResult, head: str | Text = "") -> ModelColumn:
        """A DID model as a column of a maketables regression table."""
        ppml_model = r.name == "ppml"
        est = (Text("PPML (Poisson)", "PPML（泊松伪极大似然）") if ppml_model
               else Text("OLS (TWFE)", "OLS（双向固定效应）"))
        cluster = UNIT_WORD.get(
            self.meta["cluster"] if r.cluster == "unit" else r.cluster,
            Text(self.meta["cluster"] if r.cluster == "unit" else r.cluster))
        n_cl = r.n_clusters if r.n_clusters is not None else self._n_clusters(r)
        stats: dict[str, Any] = {
            "controls": r.controls, "estimator": est, "se_type": cluster,
            "n_clusters": n_cl, "N": r.nobs, "r2": None if ppml_model else r.r2}
        coef = r.coef
        if r.wild:  # the wild cluster bootstrap p of each coefficient, in brackets
            coef = coef.assign(p_wild=[r.wild[t].p_value if t in r.wild else np.nan
                                       for t in coef.index])
        return ModelColumn(coef, depvar=r.y, fixef=("unit", "time"), stats=stats, head=head)

    def _fe_labels(self) -> dict[str, Text]:
        unit = self.meta["unit"]
        return {"unit": Text(f"{UNIT_WORD.get(unit, Text(unit)).en} fixed effects",
                             f"{UNIT_WORD.get(unit, Text(unit))('zh')}固定效应"),
                "time": Text("year fixed effects", "年份固定效应")}

    def tables(self) -> dict[str, Table]:
        """Tables 1–5, the event-study coefficients and the ATT(g,t), as ``pairnet did`` writes.

        The regression tables (2, 4, 5) are maketables ``ETable``s over the models
        (:func:`pairnet.core.modeltable.model_table`); titles and notes in both languages.
        """
        o, m = self.options, self.meta
        c2 = m["cluster2"] or ()
        nb = m["controls_no_baseline"]
        unit, cl = m["unit"], m["cluster"]
        uw = UNIT_WORD.get(unit, Text(unit))
        wopts = WildOptions(draws=o.wild_draws, weights=o.wild_weights, seed=o.seed)
        inference = _inference_note(self.panel, wopts)
        rules = m["cohort_rules"]
        n_late = rules["late"]["n_units"]
        late = Text(f" {n_late} unit(s) first treated after the last period are never treated "
                    "within the window in every model." if n_late else "",
                    f" {n_late} 个在末期之后才首次处理的单位在所有模型中视为窗口内从未处理。"
                    if n_late else "")
        tables: dict[str, Table] = {}
        stat = {c: 3 for c in ("control_mean", "control_sd", "treated_mean", "treated_sd")}
        tables["table1_descriptives"] = Table(
            self.descriptives.copy(),
            Text("Table 1. Descriptive statistics by control / treated observations",
                 "表 1 控制组与处理组观测值的描述性统计"),
            Text("Observations with Treat = 0 (control) and Treat = 1 (treated); obs counts "
                 "non-missing values; means and standard deviations to 3 decimals; log = "
                 "log(1 + y). Controls are in the units of the input data (the Guangdong demo: "
                 "freight in 10,000 t, budget revenue and spending per capita in yuan, phones per "
                 "registered resident, hospital beds per 10,000 people).",
                 "Treat = 0（控制组）与 Treat = 1（处理组）的观测值；观测值为非缺失值个数；均值与标准差"
                 "保留 3 位小数；对数 = log(1 + y)。控制变量的单位与输入数据一致（广东演示数据：货运量"
                 "为万吨，人均一般预算收入与支出为元，电话用户数/户籍人口，医院床位数/万人）。"),
            decimals=stat)
        nb_en = (f"; {nb['n_units']} unit(s) without a pre-treatment baseline value of a "
                 f"control are dropped from the models with controls ({nb['rows_dropped']} rows)"
                 if nb["n_units"] else "")
        nb_zh = (f"；{nb['n_units']} 个单位缺少处理前的控制变量基期值，在含控制变量的模型中被删除"
                 f"（{nb['rows_dropped']} 行）" if nb["n_units"] else "")
        models = [*self.twfe_models, *([self.ppml] if self.ppml is not None else [])]
        cols = [self._column(r, "PPML" if r.name == "ppml" else Text("OLS", "OLS"))
                for r in models]
        rows: dict[str, list[str | Text]] = {}
        if any("se_cluster2" in r.extra for r in models):
            rows["se_cluster2"] = [f"({r.extra['se_cluster2']:.3f})"
                                   if np.isfinite(r.extra.get("se_cluster2", np.nan)) else ""
                                   for r in models]
        base_en = ("; controls = baseline-year value × year dummies (a missing first-year value "
                   "is replaced only by a value from before the unit's treatment)"
                   if o.controls and o.controls_as == "baseline" else "")
        base_zh = ("；控制变量 = 基期值 × 年份虚拟变量（第一年缺失时只用该单位处理前的值替代）"
                   if o.controls and o.controls_as == "baseline" else "")
        two_en = (f"; the row 'SE two-way clustered' clusters by {c2[0]} and {c2[1]}" if c2
                  else "")
        two_zh = (f"；“双向聚类标准误”一行按{cluster_word(c2[0], 'zh')}与{cluster_word(c2[1], 'zh')}双向聚类"
                  if c2 else "")
        ppml_en = ("; the PPML column is a Poisson pseudo-maximum-likelihood model (fepois, z "
                   "inference, no wild bootstrap) of the count in levels"
                   if self.ppml is not None else "")
        ppml_zh = ("；PPML 列为投资数目水平值的泊松伪极大似然模型（fepois，z 检验，无野聚类自助法）"
                   if self.ppml is not None else "")
        tables["table2_twfe"] = model_table(
            cols, Text("Table 2. Effect of pairing (TWFE staggered DID)",
                       "表 2 对口帮扶的效应（双向固定效应渐进双重差分）"),
            Text(f"y ~ treat | {unit} + year (pyfixest feols); {inference.en}{two_en}{base_en}"
                 f"{nb_en}{ppml_en}. Stars from the CRV1 p-values.{late.en}",
                 f"y ~ treat | {uw('zh')} + 年份（pyfixest feols）；{inference.zh}{two_zh}{base_zh}"
                 f"{nb_zh}{ppml_zh}。星号依据 CRV1 p 值。{late.zh}"),
            coef_labels={"treat": "treat"}, fixef_labels=self._fe_labels(), rows=rows,
            row_labels={"se_cluster2": Text("SE two-way clustered", "双向聚类标准误")})
        es = self.event_study
        w = es.wald
        tables["event_study"] = Table(
            es.table.copy(), Text("Event study coefficients (Figure 1)",
                                  "事件研究系数（图 1）"),
            Text(f"Relative-time dummies, {es.window_note()}; never-treated units as reference; "
                 f"{inference.en}"
                 + ("; p_wild, ci_low_wild, ci_high_wild: wild bootstrap per coefficient"
                    if es.has_wild else "")
                 + f". Joint test of leads chi2({w['df']}) = {w['stat']:.3f}, "
                 f"{p_is(w['p_value'])}.",
                 f"相对时期虚拟变量，{es.window_note('zh')}；以从未处理单位为参照；{inference.zh}"
                 + ("；p_wild、ci_low_wild、ci_high_wild：各系数的野聚类自助法结果"
                    if es.has_wild else "")
                 + f"。处理前各期系数的联合检验 chi2({w['df']}) = {w['stat']:.3f}，"
                 f"{p_is(w['p_value'])}。"),
            decimals=dict.fromkeys(("coef", "se", "ci_low", "ci_high", "p_value", "p_wild",
                                    "ci_low_wild", "ci_high_wild"), 3))
        se_kind = Text("bootstrap", "自助法") if o.bstrap else Text("analytic", "解析")
        how = self._cs_how()
        if self.cs_att_gt is not None:
            tables["cs_att_gt"] = Table(
                self.cs_att_gt.cells(), Text("Callaway–Sant'Anna ATT(g,t)",
                                             "Callaway–Sant'Anna 组别-时期平均处理效应 ATT(g,t)"),
                Text("One row per cohort g (first treated period) and period t: event_time = "
                     "t − g, post = t ≥ g, att = ATT(g,t) against "
                     f"{o.control_group}-treated units ({how.en}), se = "
                     f"{'bootstrap' if o.bstrap else 'analytic influence-function'} standard "
                     "error, 95% CI pointwise; ATT, SE and CI to 3 decimals. Pre-treatment rows "
                     "(post = False) are placebo checks of parallel trends.",
                     "每行对应一个处理组别 g（首次处理时期）与时期 t：事件时间 = t − g，处理后 = t ≥ g，"
                     f"ATT = 相对于{_CG_ZH.get(o.control_group, o.control_group)}单位的 ATT(g,t)"
                     f"（{how('zh')}），标准误为{'自助法' if o.bstrap else '解析影响函数'}标准误，"
                     "95% 置信区间为逐点区间；ATT、标准误与置信区间均保留 3 位小数。处理前各行"
                     "（处理后 = 否）是平行趋势的安慰剂检验。"),
                decimals=dict.fromkeys(("att", "se", "ci_low", "ci_high"), 3),
                labels={"group": Text("cohort g", "处理组别 g"), "time": Text("period t", "时期 t"),
                        "post": Text("post", "处理后")})
        sa = self.sun_abraham
        sa_en = sa_zh = ""
        if sa is not None and (sa.extra.get("units_dropped_always_treated")
                               or sa.extra.get("units_late_as_never")):
            a, b = sa.extra["units_dropped_always_treated"], sa.extra["units_late_as_never"]
            sa_en = (f" Sun–Abraham: {a} unit(s) treated at or before the first period left out "
                     f"(no pre-period); {b} unit(s) first treated after the last period counted "
                     "as never-treated.")
            sa_zh = (f" Sun–Abraham：{a} 个在首期或之前即已处理的单位被剔除（无处理前时期）；{b} 个在"
                     "末期之后才首次处理的单位视为从未处理。")
        tab3 = self._table3()
        cs_cl = self.cs_att_gt is not None and self.cs_att_gt.clusters is not None
        if len(tab3):
            tables["table3_robust_did"] = Table(
                tab3, Text("Table 3. Heterogeneity-robust DID estimators",
                           "表 3 异质性稳健的双重差分估计量"),
                Text(f"Callaway–Sant'Anna (comparison: {o.control_group}-treated, {how.en}, "
                     f"{se_kind.en} SE by unit"
                     + (f", bootstrap clustered by {cl}" if cs_cl else "")
                     + "); Sun–Abraham interaction-weighted ATT (never-treated controls, "
                     "cell-count weights; per-period coefficients in sun_abraham_periods), "
                     f"CRV1 by {cl} with t({m['df_t']}); Gardner did2s (pyfixest), SE by {cl}, "
                     "normal inference. No wild bootstrap for these; ATT and SE to 3 decimals."
                     + sa_en + late.en,
                     f"Callaway–Sant'Anna（对照：{_CG_ZH.get(o.control_group, o.control_group)}单位，"
                     f"{how('zh')}，{se_kind('zh')}标准误按单位"
                     + (f"，自助法按{cluster_word(cl, 'zh')}聚类" if cs_cl else "")
                     + "）；Sun–Abraham 交互加权 ATT（以从未处理单位为对照，按单元格数加权；各相对时期"
                     f"系数见 sun_abraham_periods），CRV1 按{cluster_word(cl, 'zh')}聚类，t({m['df_t']})；"
                     f"Gardner did2s（pyfixest），标准误按{cluster_word(cl, 'zh')}聚类，正态推断。以上均未做野"
                     "聚类自助法；ATT 与标准误保留 3 位小数。" + sa_zh + late.zh),
                decimals={"att": 3, "se": 3})
        if isinstance(sa, SunAbrahamResult) and len(sa.periods):
            tables["sun_abraham_periods"] = Table(
                sa.periods.copy(), Text("Sun–Abraham coefficients by relative period",
                                        "Sun–Abraham 各相对时期系数"),
                Text("R fixest sunab aggregation: for each period relative to treatment, the "
                     "cohort × period coefficients averaged with cohort-share weights (their cell "
                     "counts; cohorts = the cohorts observed at that period); reference period −1, "
                     f"never-treated comparisons, no binning; CRV1 by {cl} with t({m['df_t']}).",
                     "与 R fixest sunab 的加总相同：对每个相对处理时期，将组别 × 时期系数按组别份额"
                     "（单元格数）加权平均（组别数 = 该时期观测到的组别数）；参照期为 −1，以从未处理"
                     f"单位为对照，两端不合并；CRV1 按{cluster_word(cl, 'zh')}聚类，t({m['df_t']})。"),
                decimals=3)
        dres = self._distance_results()
        if dres:
            be = [f"{d.break_even:,.1f}" if np.isfinite(d.break_even) else "" for d in dres]
            ci = [f"[{d.break_even_ci[0]:,.1f}, {d.break_even_ci[1]:,.1f}]"
                  if np.all(np.isfinite(d.break_even_ci)) else "" for d in dres]
            dcols = [self._column(d.model, Text(_DIST_WORD.get(d.distance, Text(d.distance)).en,
                                                _DIST_WORD.get(d.distance,
                                                               Text(d.distance))("zh")))
                     for d in dres]
            tables["table4_distance"] = model_table(
                dcols, Text("Table 4. Distance and the effect of pairing",
                            "表 4 地理距离与对口帮扶的效应"),
                Text(f"y ~ treat + treat × distance | unit + year, distance in km; {inference.en}; "
                     "break-even distance = −β(treat)/β(treat × distance), its 95% CI by the "
                     f"delta method with the clustered covariance and t({m['df_t']}), as the "
                     "coefficients.",
                     f"y ~ treat + treat × 距离 | 单位 + 年份，距离单位为千米；{inference.zh}；盈亏平衡"
                     "距离 = −β(treat)/β(treat × 距离)，其 95% 置信区间由聚类协方差的 delta 方法和 "
                     f"t({m['df_t']}) 得到，与系数相同。"),
                coef_labels={f"treat:{c}": Text(f"treat × {c}", f"treat × {c}")
                             for c in self.distance_columns},
                fixef_labels=self._fe_labels(),
                rows={"break_even": be, "break_even_ci": ci},
                row_labels={"break_even": Text("break-even distance (km)", "盈亏平衡距离（千米）"),
                            "break_even_ci": Text("  95% CI (delta method)",
                                                  "  95% 置信区间（delta 方法）")},
                order=["treat"])
        ext = [r for lab in self.extra_y_columns for r in self.extra_y.get(lab, ())]
        if ext:
            t5 = m.get("table5", {})
            if t5.get("own_panel"):
                own = Text(f"its own panel: N = {t5['n_obs']:,} = {t5['n_units']:,} units × "
                           f"{t5['n_periods']} periods",
                           f"其自身的面板：N = {t5['n_obs']:,} = {t5['n_units']:,} 个单位 × "
                           f"{t5['n_periods']} 期")
            else:
                n5 = t5.get("n_obs")
                n5s = f"{n5:,}" if isinstance(n5, (int, np.integer)) else str(n5)
                own = Text(f"the main panel (N = {n5s})", f"主面板（N = {n5s}）")
            p5 = self.table5_panel or self.panel
            inf5 = _inference_note(p5, wopts)
            tables["table5_other_outcomes"] = model_table(
                [self._column(r) for r in ext],
                Text("Table 5. Other outcomes", "表 5 其他结果变量"),
                Text("Model (1) on further outcomes, levels and log(1 + y), without and with "
                     f"controls, on {own.en}; {inf5.en}.",
                     f"模型 (1) 用于其他结果变量：水平值与 log(1 + y)，不含与含控制变量，基于{own.zh}；"
                     f"{inf5.zh}。"),
                fixef_labels=self._fe_labels())
        if self.diagnostics is not None:
            tables.update(self.diagnostics.tables())
        return tables

    def figures(self) -> dict[str, Figure]:
        """Figure 1, the CS event study, Figure 2 (and 2b) and the effect by each distance.

        Each is drawn in the report's language (``Figure(figure=lambda lang: ...)``).
        """
        o = self.options
        figures: dict[str, Figure] = {}
        y = self.panel.label(self.panel.y)
        ctrl = o.controls and self.event_study.controls
        figures["figure1_event_study"] = Figure(
            lambda lang: self.event_study.plot(lang=lang),
            Text("Figure 1. Event study", "图 1 事件研究"),
            Text(f"Relative-time coefficients for {y} (levels"
                 + (", with the controls" if ctrl else "")
                 + ", unit and period fixed effects): line = estimates, dashed lines = 95% CI, "
                 f"CRV1 by {self.meta['cluster']} with t({self.meta['df_t']}); "
                 f"{self.event_study.window_note()}.",
                 f"{y} 的相对时期系数（水平值" + ("，含控制变量" if ctrl else "")
                 + "，单位与时期固定效应）：实线为估计值，虚线为 95% 置信区间，CRV1 按"
                 f"{cluster_word(self.meta['cluster'], 'zh')}聚类，t({self.meta['df_t']})；"
                 f"{self.event_study.window_note('zh')}。"))
        if self.cs_att_gt is not None:
            cg = _CG_ZH.get(o.control_group, o.control_group)
            figures["cs_dynamic"] = Figure(
                lambda lang: self.cs_aggte["dynamic"].plot(lang=lang),
                Text("Callaway–Sant'Anna event-study aggregation",
                     "Callaway–Sant'Anna 事件研究加总"),
                Text(f"ATT by event time with 95% CIs (grey: before treatment, blue: after; "
                     f"dashed line: overall ATT), {o.control_group}-treated comparison units, "
                     f"{'bootstrap' if o.bstrap else 'analytic'} SEs.",
                     f"各事件时间的 ATT 及 95% 置信区间（灰色：处理前，蓝色：处理后；虚线：总体 ATT），"
                     f"对照为{cg}单位，{'自助法' if o.bstrap else '解析'}标准误。"))
        pl = self.placebo
        if pl is not None:
            figures["figure2_placebo"] = Figure(
                lambda lang: pl.plot(lang=lang), Text("Figure 2. Placebo test", "图 2 安慰剂检验"),
                Text(f"Kernel density (line) of {len(pl.draws)} placebo TWFE coefficients (random "
                     f"treated units, real cohorts shuffled; seed {o.seed}); dashed vertical line "
                     f"= the estimate; two-sided empirical {p_is(pl.p_value)}.",
                     f"{len(pl.draws)} 个安慰剂双向固定效应系数的核密度（实线）（随机选择处理单位，"
                     f"打乱真实处理年份；随机种子 {o.seed}）；竖虚线 = 实际估计值；双侧经验 "
                     f"{p_is(pl.p_value)}。"))
        pl2 = self.placebo_log1p
        if pl2 is not None:
            # seed 003's Figure 2 marks the log(1 + y) estimate (29.5 %): same draws, log model
            figures["figure2_placebo_log1p"] = Figure(
                lambda lang: pl2.plot(lang=lang), Text("Figure 2b. Placebo test, log(1 + y)",
                               "图 2b 安慰剂检验，log(1 + y)"),
                Text(f"As Figure 2 for log(1 + y) (the same {len(pl2.draws)} draws); two-sided "
                     f"empirical {p_is(pl2.p_value)}.",
                     f"同图 2，结果变量为 log(1 + y)（同样的 {len(pl2.draws)} 次抽样）；双侧经验 "
                     f"{p_is(pl2.p_value)}。"))
        for col in self.distance_columns:
            d = self.distance.get(col, {}).get("no_controls")
            if d is not None:
                lo, hi = d.d_range
                drawn = bool(np.isfinite(d.break_even) and min(0.0, lo) <= d.break_even <= hi)
                if drawn:
                    be_en = (f"; dashed red line = break-even distance −β1/β2 = "
                             f"{d.break_even:,.0f} km")
                    be_zh = f"；红色虚线 = 盈亏平衡距离 −β1/β2 = {d.break_even:,.0f} 千米"
                elif np.isfinite(d.break_even):
                    be_en = (f"; the break-even distance −β1/β2 = {d.break_even:,.0f} km lies "
                             f"outside the distances of the treated pairs ({lo:,.0f}–{hi:,.0f} km)"
                             ", so no line marks it")
                    be_zh = (f"；盈亏平衡距离 −β1/β2 = {d.break_even:,.0f} 千米，超出处理组合的距离"
                             f"范围（{lo:,.0f}–{hi:,.0f} 千米），图中未标出")
                else:
                    be_en = "; no break-even distance (β2 = 0)"
                    be_zh = "；不存在盈亏平衡距离（β2 = 0）"
                figures[f"distance_{col}"] = Figure(
                    lambda lang, d=d: d.plot(lang=lang),
                    Text(f"Effect by distance ({col})", f"效应随距离的变化（{col}）"),
                    Text(f"β1 + β2·{col} (line) with its 95% CI band (CRV1 by "
                         f"{self.meta['cluster']}, t({self.meta['df_t']})), over the distances of "
                         f"the treated pairs{be_en}.",
                         f"β1 + β2·{col}（实线）及其 95% 置信带（CRV1 按"
                         f"{cluster_word(self.meta['cluster'], 'zh')}聚类，t({self.meta['df_t']})），"
                         f"横轴为处理组合的距离范围{be_zh}。"))
        if self.diagnostics is not None:
            figures.update(self.diagnostics.figures())
        return figures

    # --- tidy and summary --------------------------------------------------------------------
    def tidy(self) -> pd.DataFrame:
        """The headline estimates, broom's columns then ``model``, ``outcome``, ``controls``.

        Rows: the TWFE models (``model`` ``twfe``, main and Table 5 outcomes, levels and
        log(1 + y)), ``ppml``, the Callaway–Sant'Anna aggregations (``cs_simple``,
        ``cs_dynamic`` pre/post averages, ``cs_calendar``, ``cs_group``), ``sun_abraham``,
        ``did2s`` and each distance model (``distance:COL``: ``treat``, ``treat:COL`` and the
        ``break_even`` distance). Sun–Abraham's ATT row is followed by its per-period rows
        (``rel_time::k``). With the wild bootstrap the TWFE and distance rows carry ``p_wild``
        and its interval (NaN elsewhere). ``controls`` says whether controls (for CS: covariates)
        entered.
        """
        parts: list[pd.DataFrame] = []
        ext = [r for lab in self.extra_y_columns for r in self.extra_y.get(lab, ())]
        for r in [*self.twfe_models, *([self.ppml] if self.ppml is not None else []), *ext]:
            parts.append(_with_ids(r.tidy(), r.name, r.y, r.controls))
        if self.cs_att_gt is not None:
            y = self.panel.label(self.panel.y)
            cov = bool(self.options.cs_covariates)
            for typ, terms in (("simple", ["overall"]), ("dynamic", ["pre_avg", "post_avg"]),
                               ("calendar", ["overall"]), ("group", ["overall"])):
                t = self.cs_aggte[typ].tidy()
                t = t.loc[t["term"].isin(terms), list(TIDY_COLUMNS)]
                parts.append(_with_ids(t.reset_index(drop=True), f"cs_{typ}", y, cov))
        for r in self.alternatives.values():
            parts.append(_with_ids(r.tidy(), r.name, r.y, r.controls))
        for d in self._distance_results():
            parts.append(_with_ids(d.tidy(), d.model.name, d.model.y, d.model.controls))
        return pd.concat(parts, ignore_index=True)

    def summary(self) -> str:
        """Text summary: the panel, the headline estimates, the placebo test and the notes."""
        m = self.meta
        lines = [self.title,
                 f"panel: {m['n_obs']} observations of {m['n_units']} units over "
                 f"{m['n_periods']} periods ({m['periods'][0]}–{m['periods'][1]}), "
                 f"{m['n_treated_units']} treated units, cohorts "
                 f"{', '.join(map(str, m['cohorts']))}"
                 f"{'' if m['balanced'] else ' (unbalanced)'}; SE clustered by {m['cluster']} "
                 f"({m['n_clusters']} clusters)",
                 ""]
        t = self.tidy()
        cols = ["model", "outcome", "controls", "term", "estimate", "std_error", "p_value"]
        lines.append(t[cols].to_string(index=False, float_format=lambda v: f"{v:.6g}"))
        w = self.event_study.wald
        lines.append(f"\nevent study: joint test of leads chi2({w['df']}) = {w['stat']:.4g}, "
                     f"p = {w['p_value']:.4g}")
        for pl in (self.placebo, self.placebo_log1p):
            if pl is not None:
                lines.append(pl.summary())
        if self.diagnostics is not None:
            lines += ["", self.diagnostics.summary()]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# compute
# --------------------------------------------------------------------------------------------
def _why(exc: BaseException) -> str:
    """One line for a failed optional estimator: our own message, or type + message."""
    if isinstance(exc, PairnetError):
        return str(exc)
    return f"unexpected {type(exc).__name__}: {exc}"


def _baseline_models(panel: DIDPanel, y: str, controls_as: ControlsAs,
                     cluster2: bool, wild: WildOptions | None = None) -> tuple[DIDResult, ...]:
    """Levels and log(1+y), without and (if any) with controls: Table 2's four columns."""
    ctl = [False, True] if panel.controls else [False]
    logs = [False, True] if (panel.frame[y].dropna() >= 0).all() else [False]
    return tuple(twfe(panel, y=y, log1p=lg, controls=c, controls_as=controls_as,
                      cluster2=cluster2, wild=wild) for lg in logs for c in ctl)


def _cs(panel: DIDPanel, o: DIDOptions) -> tuple[ATTgtResult, dict[str, AggteResult]]:
    f = panel.frame
    safe = {user: s for s, user in panel.names.items()}
    xs = list(dict.fromkeys(safe[c] for c in o.cs_covariates))
    data = f[list(dict.fromkeys(["unit", "time", "cohort", panel.y, *xs]))].dropna()
    # att_gt takes each unit's covariates in the base period of every comparison (the
    # earlier of its two periods), as R did's panel2cs2 does with panel data
    clv = None
    if o.bstrap and panel.cluster_name != panel.source.get("unit") and _cluster_nests_units(panel):
        # R did clusters only in its multiplier bootstrap (by a variable constant in the unit)
        data = data.join(f["cluster"])
        clv = "cluster"
    res = att_gt(data, yname=panel.y, tname="time", idname="unit", gname="cohort",
                 xformla=xs or None, control_group=o.control_group,
                 est_method=o.cs_est_method, bstrap=o.bstrap, seed=o.seed, clustervars=clv)
    return res, {typ: aggte(res, typ) for typ in _AGG_TYPES}


def _cluster_nests_units(panel: DIDPanel) -> bool:
    """Whether every unit lies in one cluster (the cluster is constant within units)."""
    return bool((panel.frame.groupby("unit")["cluster"].nunique() <= 1).all())


def _recipient(data: pd.DataFrame, unit: str, o: DIDOptions) -> str | None:
    """The recipient column for stand-in baselines: ``""`` = ``destination`` when present."""
    if o.recipient is None:
        return None
    if o.recipient == "":
        return "destination" if "destination" in data.columns and unit != "destination" \
            else None
    return o.recipient


def _inference_note(p: DIDPanel, wild: WildOptions) -> Text:
    """How every clustered model's SEs, p-values and intervals are computed, in both languages."""
    g = p.n_clusters
    en = (f"SEs clustered by {p.cluster_name} ({g} clusters), CR1 = G/(G−1)·(N−1)/(N−K) "
          "as Stata vce(cluster) and R fixest (fixed effects nested in the clusters not in K); "
          f"p-values and 95% intervals from t(G−1) = t({g - 1})")
    zh = (f"标准误按{cluster_word(p.cluster_name, 'zh')}聚类（{g} 个聚类），CR1 = G/(G−1)·(N−1)/(N−K)，与 Stata "
          "vce(cluster) 和 R fixest 相同（嵌套于聚类内的固定效应不计入 K）；p 值与 95% 区间依据 "
          f"t(G−1) = t({g - 1})")
    if wild.runs(g):
        full = enumerates(g, wild.draws, wild.weights)
        how = (f"all 2^{g} = {2 ** g} Rademacher sign vectors (full enumeration)" if full
               else f"{wild.draws} {wild.weights} draws (seed {wild.seed})")
        how_zh = (f"全部 2^{g} = {2 ** g} 个 Rademacher 符号向量（完全枚举）" if full
                  else f"{wild.draws} 次 {wild.weights} 抽样（随机种子 {wild.seed}）")
        en += (f"; [brackets]: wild cluster bootstrap p-value (WCR11, null imposed, "
               f"{how}; pyfixest wildboottest), run because G < {wild.max_clusters}")
        zh += (f"；方括号内：野聚类自助法 p 值（WCR11，施加原假设，{how_zh}；pyfixest "
               f"wildboottest），因 G < {wild.max_clusters} 而运行")
    return Text(en, zh)


def _resolve_columns(data: pd.DataFrame, unit: str, o: DIDOptions
                     ) -> tuple[list[str], tuple[str, ...]]:
    """The distance columns of Table 4 and the two-way cluster columns, defaults applied."""
    if o.distance is None:
        dist: list[str] = []
    elif len(o.distance) == 0:
        dist = [c for c in DISTANCE_COLUMNS if c in data.columns]
    else:
        dist = list(o.distance)
    if o.cluster2 is None:
        c2: tuple[str, ...] = ()
    elif len(o.cluster2) == 0:
        c2 = (("origin", "destination")
              if {"origin", "destination"} <= set(data.columns)
              and unit not in ("origin", "destination") else ())
    else:
        c2 = tuple(o.cluster2)
    return dist, c2


@blas_single_threaded
def did_suite(
    data: pd.DataFrame,
    *,
    unit: str,
    time: str,
    cohort: str,
    y: str,
    options: DIDOptions | None = None,
    file: str | None = None,
    table5_data: pd.DataFrame | None = None,
    **overrides: Any,
) -> DIDSuiteResult:
    """Run the seed-003 DID suite on a long panel; compute only (no files, no printing).

    Parameters
    ----------
    data : DataFrame
        One row per unit and period.
    unit, time, cohort, y : str
        Unit id, period, first treated period (0 or empty = never treated), outcome columns.
    options : DIDOptions, optional
        Every other option (default ``DIDOptions()``).
    file : str, optional
        Where ``data`` came from, shown in error messages.
    table5_data : DataFrame, optional
        Table 5's own panel (same ``unit``/``time``/``cohort`` columns, the ``extra_y``
        outcomes and the controls), e.g. seed 003's pairs connected in the all-industry
        registry; default: Table 5 runs on ``data``.
    **overrides
        Fields of :class:`DIDOptions` given directly, e.g.
        ``did_suite(df, unit=..., time=..., cohort=..., y=..., placebo=100)``; they replace
        the same fields of ``options``.

    Returns
    -------
    DIDSuiteResult
        Every estimate; ``write_result(result, folder)`` writes the step folder.

    Raises
    ------
    InputError
        Bad input (missing columns, non-numeric outcome, cohort varying within a unit,
        duplicate unit-periods, bad options).
    EstimationError
        No unit is treated inside the panel window.
    TypeError
        An override that is not a field of :class:`DIDOptions`.
    """
    o = _options(options, overrides)
    dist_cols, c2 = _resolve_columns(data, unit, o)
    own5 = table5_data is not None and bool(o.extra_y)
    data, diag_cols, fe_user = _diagnostic_columns(data, o, file)
    p = prepare_panel(data, unit=unit, time=time, cohort=cohort, y=y, controls=o.controls,
                      distance=dist_cols, extra_y=() if own5 else o.extra_y,
                      origin=c2[0] if c2 else None, destination=c2[1] if c2 else None,
                      covariates=[*o.cs_covariates, *diag_cols], file=file, cluster=o.cluster,
                      recipient=_recipient(data, unit, o))
    check_identified(p, file=file)
    p5: DIDPanel | None = None
    if own5:
        assert table5_data is not None
        p5 = prepare_panel(table5_data, unit=unit, time=time, cohort=cohort, y=o.extra_y[0],
                           controls=o.controls, extra_y=o.extra_y[1:],
                           origin=c2[0] if c2 else None, destination=c2[1] if c2 else None,
                           file="`table5_data`" if file is None else f"{file} (Table 5)",
                           cluster=o.cluster, recipient=_recipient(table5_data, unit, o))
    wild = WildOptions(draws=o.wild_draws, weights=o.wild_weights, seed=o.seed)
    has2 = bool(c2)
    notes: list[str] = []
    errors: dict[str, str] = {}
    f = p.frame
    never = (f["cohort"] == 0) | (f["cohort"] > f["time"].max())
    if not never.any():
        notes.append("no never-treated units: TWFE and the event study compare treated cells "
                     "with not-yet-treated ones only (the event study is identified through "
                     "its binned endpoints)")
    # units whose controls have no admissible pre-treatment baseline leave the models with
    # controls (NaN, not 0); say which and how many rows
    nb = (controls_no_baseline(p) if o.controls and o.controls_as == "baseline" else
          {"units": {}, "n_units": 0, "rows_dropped": 0})
    meta: dict[str, Any] = {
        "unit": unit, "time": time, "cohort": cohort, "y": y, "controls": list(o.controls),
        "controls_as": o.controls_as, "n_obs": int(len(f)), "n_units": int(f["unit"].nunique()),
        "n_periods": int(f["time"].nunique()),
        "periods": [int(f["time"].min()), int(f["time"].max())],
        "n_treated_units": int(len(p.treated_units)),
        "cohorts": sorted(int(g) for g in f.loc[f["cohort"] > 0, "cohort"].unique()),
        "balanced": p.is_balanced, "cluster": p.cluster_name, "n_clusters": p.n_clusters,
        "df_t": p.n_clusters - 1, "inference": _inference_note(p, wild).en,
        "wild": {"run": wild.runs(p.n_clusters), "draws": o.wild_draws,
                 "weights": o.wild_weights, "seed": o.seed,
                 "full_enumeration": wild.runs(p.n_clusters)
                 and enumerates(p.n_clusters, o.wild_draws, o.wild_weights),
                 "max_clusters": WILD_MAX_CLUSTERS,
                 "covers": ["twfe", "event_study", "distance", "extra_y"]},
        "cluster2": list(c2) if has2 else None, "seed": o.seed,
        "controls_no_baseline": nb, "cohort_rules": cohort_rules(p),
        "event_window": {"leads": o.leads, "lags": o.lags, "ends": o.ends},
    }
    if p5 is not None:
        f5 = p5.frame
        meta["table5"] = {"own_panel": True, "n_obs": int(len(f5)),
                          "n_units": int(f5["unit"].nunique()),
                          "n_periods": int(f5["time"].nunique()),
                          "n_clusters": p5.n_clusters}
    elif o.extra_y:
        meta["table5"] = {"own_panel": False, "n_obs": int(len(f)),
                          "n_units": int(f["unit"].nunique()),
                          "n_periods": int(f["time"].nunique()), "n_clusters": p.n_clusters}
    rules = meta["cohort_rules"]
    if rules["late"]["n_units"]:
        notes.append(f"{rules['late']['n_units']} unit(s) first treated after the last period "
                     f"(cohorts {', '.join(map(str, rules['late']['cohorts']))}): "
                     + rules["late"]["rule"])
    if rules["early"]["n_units"]:
        notes.append(f"{rules['early']['n_units']} unit(s) treated in or before the first "
                     f"period (cohorts {', '.join(map(str, rules['early']['cohorts']))}): "
                     + rules["early"]["rule"])
    if p.n_clusters < WILD_MAX_CLUSTERS and not o.wild_draws:
        notes.append(f"only {p.n_clusters} clusters and the wild bootstrap is off (0 "
                     "draws): CRV1 t(G−1) inference may over-reject")

    # Tables 1 and 2, Figure 1 ------------------------------------------------------------
    desc = descriptives(p, y=[p.y])
    base = _baseline_models(p, p.y, o.controls_as, has2, wild)
    nonneg = bool((f[p.y].dropna() >= 0).all())
    pp: DIDResult | None = None
    if nonneg:
        try:
            pp = ppml(p)
        except Exception as exc:  # optional: a failure is recorded, never a crash
            errors["ppml"] = _why(exc)
            notes.append(f"PPML skipped: {_why(exc)}")
    es = event_study(p, leads=o.leads, lags=o.lags, controls=bool(o.controls),
                     controls_as=o.controls_as, ends=o.ends, wild=wild)

    # Table 3 -----------------------------------------------------------------------------
    cs_res: ATTgtResult | None = None
    cs_agg: dict[str, AggteResult] = {}
    if o.cs:
        try:
            cs_res, cs_agg = _cs(p, o)
        except Exception as exc:  # optional: a failure is recorded, never a crash
            errors["cs"] = _why(exc)
            notes.append(f"Callaway-Sant'Anna skipped: {_why(exc)}")
    alts: dict[str, DIDResult] = {}
    for name, fn in (("sun_abraham", sun_abraham), ("did2s", did2s)):
        try:
            alts[name] = fn(p)
        except Exception as exc:  # optional: a failure is recorded, never a crash
            errors[name] = _why(exc)
            notes.append(f"{name} skipped: {_why(exc)}")

    # Figure 2 ----------------------------------------------------------------------------
    pl = pl2 = None
    if o.placebo:
        pl = placebo_test(p, n_draws=o.placebo, seed=o.seed)
        if nonneg:
            pl2 = placebo_test(p, n_draws=o.placebo, seed=o.seed, log1p=True)

    # Table 4 -----------------------------------------------------------------------------
    dmodels: dict[str, dict[str, DistanceResult]] = {}
    derrors: dict[str, dict[str, str]] = {}
    for dcol, safe in zip(dist_cols, p.distance, strict=True):
        for ctl in ([False, True] if o.controls else [False]):
            variant = "controls" if ctl else "no_controls"
            try:
                d = distance_interaction(p, safe, controls=ctl, controls_as=o.controls_as,
                                         wild=wild)
            except PairnetError as exc:
                derrors.setdefault(dcol, {})[variant] = str(exc)
                notes.append(f"distance {dcol}: {exc}")
                continue
            dmodels.setdefault(dcol, {})[variant] = d

    # Table 5 -----------------------------------------------------------------------------
    ext: dict[str, tuple[DIDResult, ...]] = {}
    ext_errors: dict[str, str] = {}
    q5 = p5 if p5 is not None else p
    for ey in ([q5.y, *q5.extra_y] if p5 is not None else q5.extra_y):
        if q5.frame[ey].nunique() < 2:
            # a constant outcome (e.g. a registry with no branch records) has nothing to
            # estimate: a coefficient of 0 with SE 0 would only mislead
            why = (f"{q5.label(ey)} is constant ({q5.frame[ey].iloc[0]:g} in every cell); "
                   "Table 5 leaves it out")
            ext_errors[q5.label(ey)] = why
            notes.append(why)
            continue
        try:
            check_identified(replace(q5, y=ey))
        except PairnetError as exc:
            ext_errors[q5.label(ey)] = f"{q5.label(ey)}: {exc}"
            notes.append(f"Table 5 leaves out {q5.label(ey)}: {exc}")
            continue
        ext[q5.label(ey)] = _baseline_models(q5, ey, o.controls_as, has2, wild)
    ext_cols = tuple(q5.label(ey) for ey in
                     ([q5.y, *q5.extra_y] if p5 is not None else q5.extra_y))

    diag = _diagnostics(p, o, fe_user, es) if o.diagnostics else None
    if diag is not None:
        notes += [f"{k} skipped: {v}" for k, v in diag.errors.items()]

    return DIDSuiteResult(
        panel=p, options=o, meta=meta, descriptives=desc, twfe_models=base, event_study=es,
        ppml=pp, cs_att_gt=cs_res, cs_aggte=cs_agg, sun_abraham=alts.get("sun_abraham"),
        did2s=alts.get("did2s"), placebo=pl, placebo_log1p=pl2, distance=dmodels,
        extra_y=ext, errors=errors, distance_errors=derrors, extra_y_errors=ext_errors,
        notes=tuple(dict.fromkeys(notes)), table5_panel=p5, extra_y_columns=ext_cols,
        diagnostics=diag)


# --------------------------------------------------------------------------------------------
# issue 16: event window ends and the modern diagnostics (their own block for easy merges)
# --------------------------------------------------------------------------------------------
def _diagnostic_columns(data: pd.DataFrame, o: DIDOptions, file: str | None
                        ) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    """Fixed-effect columns (as integer codes) and the weights column, carried in the panel."""
    parts = [q for t in o.fe for q in t.split("^") if q not in ("unit", "time")]
    parts = list(dict.fromkeys(parts))
    missing = [c for c in parts if c not in data.columns]
    if o.weights is not None and o.weights not in data.columns:
        missing.append(o.weights)
    if missing:
        raise InputError(f"missing column(s) {', '.join(map(repr, missing))} named in `fe` / "
                         "`weights`", file=file, column=missing[0],
                         fix="name columns of the data in `fe` (e.g. unit+time+origin^time) "
                             "and `weights`")
    if not parts and o.weights is None:
        return data, [], {}
    data = data.copy()
    cols: list[str] = []
    fe_user: dict[str, str] = {}
    for c in parts:
        miss = np.flatnonzero(data[c].isna().to_numpy())
        if len(miss):
            raise InputError("missing fixed-effect value", file=file, column=c,
                             rows=miss.tolist(), fix="fill these values or drop `fe` terms")
        code = f"fe_code_{c}"
        data[code] = pd.factorize(data[c], sort=True)[0].astype(float)
        cols.append(code)
        fe_user[c] = code
    if o.weights is not None:
        cols.append(o.weights)
    return data, cols, fe_user


def _diagnostics(p: DIDPanel, o: DIDOptions, fe_user: Mapping[str, str],
                 es: EventStudyResult) -> DIDDiagnostics:
    safe = {user: s for s, user in p.names.items()}
    fe_names = {c: safe[code] for c, code in fe_user.items()}
    weights = safe[o.weights] if o.weights is not None else None

    def es_vcov() -> tuple[np.ndarray, np.ndarray, list[int]]:
        # the suite's own event study (Figure 1): the same window, ends, cluster and controls
        return es.beta, es.vcov, list(es.rel_times)

    def cs_vcov() -> tuple[np.ndarray, np.ndarray, list[int]]:
        f = p.frame
        res = att_gt(f[["unit", "time", "cohort", p.y]], yname=p.y, tname="time",
                     idname="unit", gname="cohort", control_group=o.control_group,
                     base_period="universal")
        return cs_dynamic_vcov(aggte(res, "dynamic", min_e=-o.leads, max_e=o.lags))

    return did_diagnostics(p, event_study=es_vcov, cs_dynamic=cs_vcov if o.cs else None,
                           run=o.diagnostics, fe=o.fe, fe_names=fe_names, weights=weights,
                           leads=o.leads, lags=o.lags, honest_mbar=o.honest_mbar,
                           honest_m=o.honest_m, honest_grid=o.honest_grid)


