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
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from pairnet.analyses.cs import AggteResult, ATTgtResult, ControlGroup, EstMethod, aggte, att_gt
from pairnet.analyses.did import (
    DISTANCE_COLUMNS,
    ControlsAs,
    DIDPanel,
    DIDResult,
    DistanceResult,
    EventStudyResult,
    check_identified,
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
from pairnet.analyses.placebo import PlaceboResult, placebo_test
from pairnet.core.errors import InputError, PairnetError
from pairnet.core.i18n import Text
from pairnet.core.modeltable import ModelColumn, model_table
from pairnet.core.options import check_literal
from pairnet.core.results import TIDY_COLUMNS, Figure, ResultBase, Table

__all__ = ["DIDOptions", "DIDSuiteResult", "DistanceVariant", "did_suite"]

DistanceVariant = Literal["controls", "no_controls"]

_EST_NAMES = {"dr": "doubly robust", "ipw": "inverse probability weighting",
              "reg": "outcome regression"}
_AGG_TYPES = ("simple", "dynamic", "group", "calendar")
_ALTERNATIVES = ("sun_abraham", "did2s")
_ALT_EXTRA = ("units_dropped", "units_dropped_always_treated", "units_late_as_never")
#: words of the tables and figures (the unit of a pair panel is the pair)
_UNIT_WORD = {"pair": Text("pair", "组合"), "unit": Text("unit", "单位")}
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
        Event-study window (endpoints binned).
    cs_covariates : sequence of str
        Covariates of Callaway–Sant'Anna (R ``did``'s ``xformla = ~ x1 + x2``); numeric,
        finite, never missing. As R ``did`` does with panel data, each unit's value in the
        base period of a comparison (the earlier of its two periods) is used, so a
        time-varying covariate enters at its pre-treatment level for post-treatment cells.
    cs_est_method : {"dr", "ipw", "reg"}
        Callaway–Sant'Anna estimator: doubly robust, inverse probability weighting or outcome
        regression (R ``est_method``; without covariates all three coincide).

    Raises
    ------
    InputError
        An unknown option string, ``cluster2`` not naming two columns, a negative or
        fractional ``placebo``, ``leads``, ``lags`` or ``seed``.
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
        if self.cluster2 is not None and len(self.cluster2) not in (0, 2):
            raise InputError(f"expecting two columns for `cluster2`, got {list(self.cluster2)}",
                             file="`cluster2`",
                             fix="name two columns, e.g. `cluster2` origin,destination")
        put("placebo", _count(self.placebo, "placebo", "pass a number of draws, 0 to skip"))
        put("seed", _count(self.seed, "seed", "pass a whole number >= 0"))
        for name in ("leads", "lags"):
            put(name, _count(getattr(self, name), name,
                             "pass the number of periods of the event-study window"))
        put("cs", bool(self.cs))
        put("bstrap", bool(self.bstrap))


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
    """A TWFE-type model as ``results.json`` holds it (its first term)."""
    c = r.coef.iloc[0]
    out = {"y": r.y, "controls": r.controls, "coef": float(c.estimate), "se": float(c.std_error),
           "p_value": float(c.p_value), "ci_low": float(c.conf_low),
           "ci_high": float(c.conf_high), "nobs": r.nobs, "r2": r.r2}
    if "se_cluster2" in r.extra:
        out["se_cluster2"] = r.extra["se_cluster2"]
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
            out[k] = {"att": r.estimate, "se": r.se, "nobs": r.nobs,
                      **{kk: vv for kk, vv in r.extra.items() if kk in _ALT_EXTRA}}
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
        for ey in self.panel.extra_y:
            lab = self.panel.label(ey)
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
        if self.panel.extra_y:
            res["extra_y"] = self._extra_y_dict()
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
        cluster = {"unit": _UNIT_WORD.get(self.meta["unit"], Text(self.meta["unit"]))}.get(
            r.cluster, Text(r.cluster, r.cluster))
        stats: dict[str, Any] = {
            "controls": r.controls, "estimator": est, "se_type": cluster,
            "n_clusters": self._n_clusters(r), "N": r.nobs,
            "r2": None if ppml_model else r.r2}
        for key in ("p_wild", "p_wild_treat"):
            if key in r.extra:
                stats["p_wild"] = r.extra[key]
        return ModelColumn(r.coef, depvar=r.y, fixef=("unit", "time"), stats=stats, head=head)

    def _fe_labels(self) -> dict[str, Text]:
        unit = self.meta["unit"]
        return {"unit": Text(f"{_UNIT_WORD.get(unit, Text(unit)).en} fixed effects",
                             f"{_UNIT_WORD.get(unit, Text(unit))('zh')}固定效应"),
                "time": Text("year fixed effects", "年份固定效应")}

    def tables(self) -> dict[str, Table]:
        """Tables 1–5, the event-study coefficients and the ATT(g,t), as ``pairnet did`` writes.

        The regression tables (2, 4, 5) are maketables ``ETable``s over the models
        (:func:`pairnet.core.modeltable.model_table`); titles and notes in both languages.
        """
        o, m = self.options, self.meta
        unit, c2 = m["unit"], m["cluster2"] or ()
        nb = m["controls_no_baseline"]
        uw = _UNIT_WORD.get(unit, Text(unit))
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
        two_zh = (f"；“双向聚类标准误”一行按 {c2[0]} 与 {c2[1]} 双向聚类" if c2 else "")
        ppml_en = ("; the PPML column is a Poisson pseudo-maximum-likelihood model (fepois, z "
                   "inference) of the count in levels" if self.ppml is not None else "")
        ppml_zh = ("；PPML 列为投资数目水平值的泊松伪极大似然模型（fepois，z 检验）"
                   if self.ppml is not None else "")
        tables["table2_twfe"] = model_table(
            cols, Text("Table 2. Effect of pairing (TWFE staggered DID)",
                       "表 2 对口帮扶的效应（双向固定效应渐进双重差分）"),
            Text(f"y ~ treat | {unit} + year (pyfixest; fixest small-sample corrections); SE "
                 f"clustered by {unit}{two_en}{base_en}{nb_en}{ppml_en}.",
                 f"y ~ treat | {uw('zh')} + 年份（pyfixest；fixest 小样本校正）；标准误聚类到"
                 f"{uw('zh')}{two_zh}{base_zh}{nb_zh}{ppml_zh}。"),
            coef_labels={"treat": "treat"}, fixef_labels=self._fe_labels(), rows=rows,
            row_labels={"se_cluster2": Text("SE two-way clustered", "双向聚类标准误")})
        es = self.event_study
        w = es.wald
        tables["event_study"] = Table(
            es.table.copy(), Text("Event study coefficients (Figure 1)",
                                  "事件研究系数（图 1）"),
            Text(f"Relative-time dummies -{o.leads}..+{o.lags}, endpoints binned, base -1, "
                 "never-treated units as reference; joint test of leads "
                 f"chi2({w['df']}) = {w['stat']:.3f}, p = {w['p_value']:.3f}.",
                 f"相对时期虚拟变量 -{o.leads}..+{o.lags}，两端合并，基期为 -1，以从未处理单位为参照；"
                 f"处理前各期系数的联合检验 chi2({w['df']}) = {w['stat']:.3f}，p = "
                 f"{w['p_value']:.3f}。"),
            decimals=dict.fromkeys(("coef", "se", "ci_low", "ci_high", "p_value"), 3))
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
                     "（处理后 = False）是平行趋势的安慰剂检验。"),
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
        if len(tab3):
            tables["table3_robust_did"] = Table(
                tab3, Text("Table 3. Heterogeneity-robust DID estimators",
                           "表 3 异质性稳健的双重差分估计量"),
                Text(f"Callaway–Sant'Anna (comparison: {o.control_group}-treated, {how.en}, "
                     f"{se_kind.en} SE); Sun–Abraham interaction-weighted ATT (never-treated "
                     "controls, cell-count weights); Gardner did2s (pyfixest). SEs clustered by "
                     "unit; ATT and SE to 3 decimals." + sa_en,
                     f"Callaway–Sant'Anna（对照：{_CG_ZH.get(o.control_group, o.control_group)}单位，"
                     f"{how('zh')}，{se_kind('zh')}标准误）；Sun–Abraham 交互加权 ATT（以从未处理单位"
                     "为对照，按单元格数加权）；Gardner did2s（pyfixest）。标准误聚类到单位；ATT 与"
                     "标准误保留 3 位小数。" + sa_zh),
                decimals={"att": 3, "se": 3})
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
                Text("y ~ treat + treat × distance | unit + year, distance in km, SE clustered "
                     "by unit; break-even distance = −β(treat)/β(treat × distance), its 95% CI "
                     "by the delta method with the clustered covariance.",
                     "y ~ treat + treat × 距离 | 单位 + 年份，距离单位为千米，标准误聚类到单位；盈亏平衡"
                     "距离 = −β(treat)/β(treat × 距离)，其 95% 置信区间由聚类协方差的 delta 方法得到。"),
                coef_labels={f"treat:{c}": Text(f"treat × {c}", f"treat × {c}")
                             for c in self.distance_columns},
                fixef_labels=self._fe_labels(),
                rows={"break_even": be, "break_even_ci": ci},
                row_labels={"break_even": Text("break-even distance (km)", "盈亏平衡距离（千米）"),
                            "break_even_ci": Text("  95% CI (delta method)",
                                                  "  95% 置信区间（delta 方法）")},
                order=["treat"])
        ext = [r for ey in self.panel.extra_y for r in self.extra_y.get(self.panel.label(ey), ())]
        if ext:
            tables["table5_other_outcomes"] = model_table(
                [self._column(r) for r in ext],
                Text("Table 5. Other outcomes", "表 5 其他结果变量"),
                Text("Model (1) on further outcomes, levels and log(1 + y), without and with "
                     "controls; SE clustered by unit.",
                     "模型 (1) 用于其他结果变量：水平值与 log(1 + y)，不含与含控制变量；标准误聚类到"
                     "单位。"),
                fixef_labels=self._fe_labels())
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
            lambda lang: self.event_study.plot(lang=lang), Text("Figure 1. Event study", "图 1 事件研究"),
            Text(f"Relative-time coefficients for {y} (levels"
                 + (", with the controls" if ctrl else "")
                 + ", unit and period fixed effects): line = estimates, dashed lines = 95% CI, "
                 "SE clustered by unit; base period -1 (coefficient 0).",
                 f"{y} 的相对时期系数（水平值" + ("，含控制变量" if ctrl else "")
                 + "，单位与时期固定效应）：实线为估计值，虚线为 95% 置信区间，标准误聚类到单位；"
                 "基期为 -1（系数为 0）。"))
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
                     f"= the estimate; two-sided empirical p = {pl.p_value:.3f}.",
                     f"{len(pl.draws)} 个安慰剂双向固定效应系数的核密度（实线）（随机选择处理单位，"
                     f"打乱真实处理年份；随机种子 {o.seed}）；竖虚线 = 实际估计值；双侧经验 p = "
                     f"{pl.p_value:.3f}。"))
        pl2 = self.placebo_log1p
        if pl2 is not None:
            # seed 003's Figure 2 marks the log(1 + y) estimate (29.5 %): same draws, log model
            figures["figure2_placebo_log1p"] = Figure(
                lambda lang: pl2.plot(lang=lang), Text("Figure 2b. Placebo test, log(1 + y)",
                               "图 2b 安慰剂检验，log(1 + y)"),
                Text(f"As Figure 2 for log(1 + y) (the same {len(pl2.draws)} draws); two-sided "
                     f"empirical p = {pl2.p_value:.3f}.",
                     f"同图 2，结果变量为 log(1 + y)（同样的 {len(pl2.draws)} 次抽样）；双侧经验 p = "
                     f"{pl2.p_value:.3f}。"))
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
                    lambda lang, d=d: d.plot(lang=lang), Text(f"Effect by distance ({col})", f"效应随距离的变化（{col}）"),
                    Text(f"β1 + β2·{col} (line) with its 95% CI band (clustered SE), over the "
                         f"distances of the treated pairs{be_en}.",
                         f"β1 + β2·{col}（实线）及其 95% 置信带（聚类标准误），横轴为处理组合的距离范围"
                         f"{be_zh}。"))
        return figures

    # --- tidy and summary --------------------------------------------------------------------
    def tidy(self) -> pd.DataFrame:
        """The headline estimates, broom's columns then ``model``, ``outcome``, ``controls``.

        Rows: the TWFE models (``model`` ``twfe``, main and Table 5 outcomes, levels and
        log(1 + y)), ``ppml``, the Callaway–Sant'Anna aggregations (``cs_simple``,
        ``cs_dynamic`` pre/post averages, ``cs_calendar``, ``cs_group``), ``sun_abraham``,
        ``did2s`` and each distance model (``distance:COL``: ``treat``, ``treat:COL`` and the
        ``break_even`` distance). ``controls`` says whether controls (for CS: covariates)
        entered.
        """
        parts: list[pd.DataFrame] = []
        ext = [r for ey in self.panel.extra_y for r in self.extra_y.get(self.panel.label(ey), ())]
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
                 f"{'' if m['balanced'] else ' (unbalanced)'}; SE clustered by {m['unit']}",
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
                     cluster2: bool) -> tuple[DIDResult, ...]:
    """Levels and log(1+y), without and (if any) with controls: Table 2's four columns."""
    ctl = [False, True] if panel.controls else [False]
    logs = [False, True] if (panel.frame[y].dropna() >= 0).all() else [False]
    return tuple(twfe(panel, y=y, log1p=lg, controls=c, controls_as=controls_as,
                      cluster2=cluster2) for lg in logs for c in ctl)


def _cs(panel: DIDPanel, o: DIDOptions) -> tuple[ATTgtResult, dict[str, AggteResult]]:
    f = panel.frame
    safe = {user: s for s, user in panel.names.items()}
    xs = list(dict.fromkeys(safe[c] for c in o.cs_covariates))
    data = f[list(dict.fromkeys(["unit", "time", "cohort", panel.y, *xs]))].dropna()
    # att_gt takes each unit's covariates in the base period of every comparison (the
    # earlier of its two periods), as R did's panel2cs2 does with panel data
    res = att_gt(data, yname=panel.y, tname="time", idname="unit", gname="cohort",
                 xformla=xs or None, control_group=o.control_group,
                 est_method=o.cs_est_method, bstrap=o.bstrap, seed=o.seed)
    return res, {typ: aggte(res, typ) for typ in _AGG_TYPES}


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


def did_suite(
    data: pd.DataFrame,
    *,
    unit: str,
    time: str,
    cohort: str,
    y: str,
    options: DIDOptions | None = None,
    file: str | None = None,
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
    p = prepare_panel(data, unit=unit, time=time, cohort=cohort, y=y, controls=o.controls,
                      distance=dist_cols, extra_y=o.extra_y,
                      origin=c2[0] if c2 else None, destination=c2[1] if c2 else None,
                      covariates=o.cs_covariates, file=file)
    check_identified(p, file=file)
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
        "balanced": p.is_balanced, "cluster": unit,
        "cluster2": list(c2) if has2 else None, "seed": o.seed,
        "controls_no_baseline": nb,
    }

    # Tables 1 and 2, Figure 1 ------------------------------------------------------------
    desc = descriptives(p, y=[p.y])
    base = _baseline_models(p, p.y, o.controls_as, has2)
    nonneg = bool((f[p.y].dropna() >= 0).all())
    pp: DIDResult | None = None
    if nonneg:
        try:
            pp = ppml(p)
        except Exception as exc:  # optional: a failure is recorded, never a crash
            errors["ppml"] = _why(exc)
            notes.append(f"PPML skipped: {_why(exc)}")
    es = event_study(p, leads=o.leads, lags=o.lags, controls=bool(o.controls),
                     controls_as=o.controls_as)

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
                d = distance_interaction(p, safe, controls=ctl, controls_as=o.controls_as)
            except PairnetError as exc:
                derrors.setdefault(dcol, {})[variant] = str(exc)
                notes.append(f"distance {dcol}: {exc}")
                continue
            dmodels.setdefault(dcol, {})[variant] = d

    # Table 5 -----------------------------------------------------------------------------
    ext: dict[str, tuple[DIDResult, ...]] = {}
    ext_errors: dict[str, str] = {}
    for ey in p.extra_y:
        if p.frame[ey].nunique() < 2:
            # a constant outcome (e.g. a registry with no branch records) has nothing to
            # estimate: a coefficient of 0 with SE 0 would only mislead
            why = (f"{p.label(ey)} is constant ({p.frame[ey].iloc[0]:g} in every cell); "
                   "Table 5 leaves it out")
            ext_errors[p.label(ey)] = why
            notes.append(why)
            continue
        ext[p.label(ey)] = _baseline_models(p, ey, o.controls_as, has2)

    return DIDSuiteResult(
        panel=p, options=o, meta=meta, descriptives=desc, twfe_models=base, event_study=es,
        ppml=pp, cs_att_gt=cs_res, cs_aggte=cs_agg, sun_abraham=alts.get("sun_abraham"),
        did2s=alts.get("did2s"), placebo=pl, placebo_log1p=pl2, distance=dmodels,
        extra_y=ext, errors=errors, distance_errors=derrors, extra_y_errors=ext_errors,
        notes=tuple(dict.fromkeys(notes)))
