"""The DID suite of seed 003 §4 as one step: Tables 1–5 and Figures 1–2 into an output folder.

:func:`run_did` validates the panel once (:func:`pairnet.analyses.did.prepare_panel`), runs every
estimator and writes the standard step folder with :func:`pairnet.core.outputs.write_outputs`
(``results.json``, tables in CSV/HTML/Markdown/LaTeX, figures in PNG/SVG). ``pairnet did`` and
the demo/report pipeline call it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pairnet.analyses.cs import ControlGroup, EstMethod, aggte, att_gt
from pairnet.analyses.did import (
    DISTANCE_COLUMNS,
    ControlsAs,
    DIDPanel,
    DIDResult,
    DistanceResult,
    check_identified,
    controls_no_baseline,
    descriptives,
    did2s,
    did_table,
    distance_interaction,
    event_study,
    ppml,
    prepare_panel,
    sun_abraham,
    twfe,
)
from pairnet.analyses.placebo import placebo_test

from pairnet.core.errors import InputError, PairnetError
from pairnet.core.options import check_literal
from pairnet.core.outputs import check_out_dir, write_outputs
from pairnet.core.results import Figure, Table

__all__ = ["run_did"]

_EST_NAMES = {"dr": "doubly robust", "ipw": "inverse probability weighting",
              "reg": "outcome regression"}


def _model_dict(r: DIDResult) -> dict[str, Any]:
    c = r.coef.iloc[0]
    out = {"y": r.y, "controls": r.controls, "coef": float(c.estimate), "se": float(c.std_error),
           "p_value": float(c.p_value), "ci_low": float(c.ci_low), "ci_high": float(c.ci_high),
           "nobs": r.nobs, "r2": r.r2}
    if "se_cluster2" in r.extra:
        out["se_cluster2"] = r.extra["se_cluster2"]
    return out


def _distance_dict(d: DistanceResult) -> dict[str, Any]:
    m = d.model.coef
    return {"column": d.distance, "controls": d.model.controls,
            "coef": float(m["estimate"].iloc[1]), "se": float(m["std_error"].iloc[1]),
            "treat_coef": float(m["estimate"].iloc[0]), "treat_se": float(m["std_error"].iloc[0]),
            "b0": d.b1, "b1": d.b2, "vcov": d.model.vcov.tolist(),
            "break_even_km": d.break_even, "break_even_se": d.break_even_se,
            "break_even_ci": list(d.break_even_ci), "nobs": d.model.nobs, "r2": d.model.r2}


def _distance_named(d: DistanceResult) -> dict[str, Any]:
    """The same model keyed by term names (the form ``analyses.optimize`` reads)."""
    t = d.model.coef
    return {"coef": {k: float(v) for k, v in t["estimate"].items()},
            "se": {k: float(v) for k, v in t["std_error"].items()},
            "vcov": d.model.vcov.tolist(), "break_even_km": d.break_even}


def _baseline_models(panel: DIDPanel, y: str, controls_as: ControlsAs,
                     cluster2: bool) -> list[DIDResult]:
    """Levels and log(1+y), without and (if any) with controls: Table 2's four columns."""
    ctl = [False, True] if panel.controls else [False]
    logs = [False, True] if (panel.frame[y].dropna() >= 0).all() else [False]
    return [twfe(panel, y=y, log1p=lg, controls=c, controls_as=controls_as, cluster2=cluster2)
            for lg in logs for c in ctl]


def _cs_safe(panel: DIDPanel, covariates: Sequence[str]) -> list[str]:
    """The frame's (safe) names of the user's covariate columns."""
    safe = {user: s for s, user in panel.names.items()}
    return [safe[c] for c in covariates]


def _cs(panel: DIDPanel, control_group: ControlGroup, seed: int, bstrap: bool,
        covariates: Sequence[str] = (), est_method: EstMethod = "dr") -> dict[str, Any]:
    f = panel.frame
    xs = list(dict.fromkeys(_cs_safe(panel, covariates)))
    data = f[list(dict.fromkeys(["unit", "time", "cohort", panel.y, *xs]))].dropna()
    # att_gt takes each unit's covariates in the base period of every comparison (the
    # earlier of its two periods), as R did's panel2cs2 does with panel data
    res = att_gt(data, yname=panel.y, tname="time", idname="unit", gname="cohort",
                 xformla=xs or None, control_group=control_group, est_method=est_method,
                 bstrap=bstrap, seed=seed)
    out: dict[str, Any] = {"control_group": control_group, "covariates": list(covariates),
                           "est_method": est_method, "att_gt": res.tidy(),
                           "_objects": {"att_gt": res}}
    for typ in ("simple", "dynamic", "group", "calendar"):
        agg = aggte(res, typ)
        out[typ] = agg.to_dict()
        out["_objects"][typ] = agg
    return out


def _why(exc: BaseException) -> str:
    """One line for a failed optional estimator: our own message, or type + message."""
    if isinstance(exc, PairnetError):
        return str(exc)
    return f"unexpected {type(exc).__name__}: {exc}"


def _cs_table(cs: dict[str, Any], alts: dict[str, DIDResult]) -> pd.DataFrame:
    rows = []

    def add(name: str, att: float, se: float) -> None:
        rows.append({"estimator": name, "att": att, "se": se})

    if "simple" in cs:
        add("CS simple ATT", cs["simple"]["att"], cs["simple"]["se"])
        add("CS dynamic: pre_avg", cs["dynamic"]["pre_avg"]["att"], cs["dynamic"]["pre_avg"]["se"])
        add("CS dynamic: post_avg", cs["dynamic"]["post_avg"]["att"],
            cs["dynamic"]["post_avg"]["se"])
        add("CS calendar (CAverage)", cs["calendar"]["att"], cs["calendar"]["se"])
        add("CS group (GAverage)", cs["group"]["att"], cs["group"]["se"])
    for name, r in alts.items():
        add({"sun_abraham": "Sun-Abraham ATT", "did2s": "did2s / imputation ATT"}[name],
            r.estimate, r.se)
    return pd.DataFrame(rows)


def run_did(
    panel: pd.DataFrame,
    *,
    unit: str,
    time: str,
    cohort: str,
    y: str,
    controls: Sequence[str] = (),
    control_group: ControlGroup = "never",
    placebo: int = 500,
    distance: Sequence[str] | None = (),
    seed: int = 0,
    out_dir: str | Path,
    extra_y: Sequence[str] = (),
    controls_as: ControlsAs = "baseline",
    cluster2: Sequence[str] | None = (),
    cs: bool = True,
    bstrap: bool = False,
    leads: int = 5,
    lags: int = 10,
    cs_covariates: Sequence[str] = (),
    cs_est_method: EstMethod = "dr",
    file: str | None = None,
    title: str = "Paired assistance: staggered DID",
) -> dict[str, Any]:
    """Run the seed-003 DID suite on a long panel and write the step folder.

    Parameters
    ----------
    panel : DataFrame
        One row per unit and period.
    unit, time, cohort, y : str
        Unit id, period, first treated period (0 or empty = never treated), outcome.
    controls : sequence of str
        Time-varying control columns; they enter as baseline-year value × year dummies (the
        paper's model (1)) or as they are with ``controls_as="raw"``.
    control_group : {"never", "notyet"}
        Comparison group of Callaway–Sant'Anna.
    placebo : int
        Placebo draws (0 = skip).
    distance : sequence of str or None
        Distance columns for Table 4; ``()`` = those of ``border_km, centroid_km,
        region_centroid_km, region_border_km`` present in ``panel``; ``None`` = skip.
    seed : int
        Seed of the placebo draws (and of the CS bootstrap if ``bstrap``).
    out_dir : path
        Output folder.
    extra_y : sequence of str
        Further outcomes for Table 5 (e.g. all-industry counts, branch counts).
    cluster2 : sequence of two str, or None
        Columns for the additional two-way clustered SE (e.g. ``("origin", "destination")``);
        ``()`` = ``origin`` and ``destination`` when both are columns of ``panel``; ``None`` =
        off.
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

    Returns
    -------
    dict
        What ``results.json`` holds (see the README section ``did``).

    Raises
    ------
    InputError
        Bad input (missing columns, non-numeric outcome, cohort varying within a unit, duplicate
        unit-periods, bad options).
    """
    check_literal(control_group, ControlGroup, "--control-group")
    check_literal(controls_as, ControlsAs, "--controls-as")
    check_literal(cs_est_method, EstMethod, "--cs-method")
    cs_covariates = list(dict.fromkeys(cs_covariates))
    if distance is None:
        dist_cols: list[str] = []
    elif len(distance) == 0:
        dist_cols = [c for c in DISTANCE_COLUMNS if c in panel.columns]
    else:
        dist_cols = list(distance)
    if cluster2 is None:
        c2: tuple[str, ...] = ()
    elif len(cluster2) == 0:
        c2 = (("origin", "destination")
              if {"origin", "destination"} <= set(panel.columns)
              and unit not in ("origin", "destination") else ())
    else:
        c2 = tuple(cluster2)
        if len(c2) != 2:
            raise InputError(f"expecting two columns for --cluster2, got {list(c2)}",
                             file="--cluster2", fix="e.g. --cluster2 origin,destination")
    check_out_dir(out_dir, option="--out")
    if placebo < 0:
        raise InputError(f"--placebo must be >= 0, got {placebo}", file="--placebo",
                         fix="pass a number of draws, 0 to skip")
    p = prepare_panel(panel, unit=unit, time=time, cohort=cohort, y=y, controls=controls,
                      distance=dist_cols, extra_y=extra_y,
                      origin=c2[0] if c2 else None, destination=c2[1] if c2 else None,
                      covariates=cs_covariates, file=file)
    check_identified(p, file=file)
    has2 = bool(c2)
    tables: dict[str, Table] = {}
    figures: dict[str, Figure] = {}
    notes: list[str] = []
    f = p.frame
    never = (f["cohort"] == 0) | (f["cohort"] > f["time"].max())
    if not never.any():
        notes.append("no never-treated units: TWFE and the event study compare treated cells "
                     "with not-yet-treated ones only (the event study is identified through "
                     "its binned endpoints)")
    results: dict[str, Any] = {
        "meta": {
            "unit": unit, "time": time, "cohort": cohort, "y": y, "controls": list(controls),
            "controls_as": controls_as, "n_obs": int(len(f)), "n_units": int(f["unit"].nunique()),
            "n_periods": int(f["time"].nunique()), "periods": [int(f["time"].min()),
                                                               int(f["time"].max())],
            "n_treated_units": int(len(p.treated_units)),
            "cohorts": sorted(int(g) for g in f.loc[f["cohort"] > 0, "cohort"].unique()),
            "balanced": p.is_balanced, "cluster": unit,
            "cluster2": list(c2) if has2 else None, "seed": seed,
        },
    }
    # units whose controls have no admissible pre-treatment baseline leave the models with
    # controls (NaN, not 0); say which and how many rows
    nb = (controls_no_baseline(p) if controls and controls_as == "baseline" else
          {"units": {}, "n_units": 0, "rows_dropped": 0})
    results["meta"]["controls_no_baseline"] = nb
    nb_note = (f"; {nb['n_units']} unit(s) without a pre-treatment baseline value of a control "
               f"are dropped from the models with controls ({nb['rows_dropped']} rows)"
               if nb["n_units"] else "")

    # Table 1 ---------------------------------------------------------------------------
    desc = descriptives(p, y=[p.y])
    results["descriptives"] = desc
    tables["table1_descriptives"] = Table(
        desc, "Table 1. Descriptive statistics by control / treated observations",
        "Observations with Treat = 0 (control) and Treat = 1 (treated); obs count non-missing "
        "values; log = log(1 + y). Controls are in the units of the input data (the Guangdong "
        "demo: freight in 10,000 t, budget revenue and spending per capita in yuan, phones per "
        "registered resident, hospital beds per 10,000 people).")

    # Table 2 ---------------------------------------------------------------------------
    base = _baseline_models(p, p.y, controls_as, has2)
    results["twfe"] = _model_dict(base[0])
    results["twfe_models"] = [_model_dict(r) for r in base]
    nonneg = bool((f[p.y].dropna() >= 0).all())
    models = list(base)
    if nonneg:
        try:
            pp = ppml(p)
            results["ppml"] = {**_model_dict(pp), "irr": pp.extra["irr"],
                               "nobs_dropped": pp.extra["nobs_dropped"]}
            models.append(pp)
        except Exception as exc:  # optional: a failure is recorded, never a crash
            results["ppml"] = {"error": _why(exc)}
            notes.append(f"PPML skipped: {_why(exc)}")
    tab2 = did_table(models)
    note2 = ("y ~ treat | unit + time (pyfixest feols; fixest small-sample corrections); SE "
             f"clustered by {unit}" + (f"; second SE row clustered two-way by {c2[0]} and "
                                       f"{c2[1]}" if has2 else "")
             + ("; controls = baseline-year value × year dummies (a missing first-year value "
                "is replaced only by a value from before the unit's treatment)" if controls
                and controls_as == "baseline" else "") + nb_note
             + ("; last column Poisson PPML (fepois), z inference" if "ppml" in results
                and "error" not in results["ppml"] else "") + ". * p<0.1, ** p<0.05, *** p<0.01")
    tables["table2_twfe"] = Table(tab2, "Table 2. Effect of pairing (TWFE staggered DID)", note2)

    # Figure 1 --------------------------------------------------------------------------
    es = event_study(p, leads=leads, lags=lags, controls=bool(controls), controls_as=controls_as)
    results["event_study"] = es.table[["rel_time", "coef", "se", "ci_low", "ci_high"]]
    results["event_study_wald"] = dict(es.wald)
    tables["event_study"] = Table(
        es.table, "Event study coefficients (Figure 1)",
        f"Relative-time dummies -{leads}..+{lags}, endpoints binned, base -1, never-treated "
        f"units as reference; joint test of leads chi2({es.wald['df']}) = "
        f"{es.wald['stat']:.3f}, p = {es.wald['p_value']:.3f}.")
    figures["figure1_event_study"] = Figure(
        es.plot(), "Figure 1. Event study",
        f"Relative-time coefficients for {p.y} (levels"
        + (", with the controls" if controls else "")
        + ", unit and period fixed effects) with 95% CIs (dashed), SE clustered by unit; "
        "base period -1.")

    # Table 3 ---------------------------------------------------------------------------
    alts: dict[str, DIDResult] = {}
    cs_how = (f"{_EST_NAMES[cs_est_method]}, "
              + (f"covariates {', '.join(cs_covariates)} at their base-period values"
                 if cs_covariates else "no covariates"))
    if cs:
        try:
            c = _cs(p, control_group, seed, bstrap, cs_covariates, cs_est_method)
            objs = c.pop("_objects")
            results["cs"] = c
            figures["cs_dynamic"] = Figure(
                objs["dynamic"].plot(), "Callaway–Sant'Anna event-study aggregation",
                f"ATT by event time, {control_group}-treated comparison units, "
                f"{'bootstrap' if bstrap else 'analytic'} SEs.")
            tables["cs_att_gt"] = Table(
                c["att_gt"], "Callaway–Sant'Anna ATT(g,t)",
                "One row per cohort g (first treated period) and period t: event_time = t − g, "
                "post = t ≥ g, att = ATT(g,t) against "
                f"{control_group}-treated units ({cs_how}), se = "
                f"{'bootstrap' if bstrap else 'analytic influence-function'} standard error, "
                "ci_low/ci_high = pointwise 95% interval. Pre-treatment rows (post = False) "
                "are placebo checks of parallel trends.")
        except Exception as exc:  # optional: a failure is recorded, never a crash
            results["cs"] = {"error": _why(exc), "control_group": control_group,
                             "covariates": list(cs_covariates), "est_method": cs_est_method}
            notes.append(f"Callaway-Sant'Anna skipped: {_why(exc)}")
    for name, fn in (("sun_abraham", sun_abraham), ("did2s", did2s)):
        try:
            alts[name] = fn(p)
        except Exception as exc:  # optional: a failure is recorded, never a crash
            results.setdefault("alternatives", {})[name] = {"error": _why(exc)}
            notes.append(f"{name} skipped: {_why(exc)}")
    results.setdefault("alternatives", {}).update(
        {k: {"att": r.estimate, "se": r.se, "nobs": r.nobs, **{
            kk: vv for kk, vv in r.extra.items()
            if kk in ("units_dropped", "units_dropped_always_treated", "units_late_as_never")}}
         for k, r in alts.items()})
    sa = alts.get("sun_abraham")
    sa_note = ""
    if sa is not None and (sa.extra.get("units_dropped_always_treated")
                           or sa.extra.get("units_late_as_never")):
        sa_note = (f" Sun–Abraham: {sa.extra['units_dropped_always_treated']} unit(s) treated "
                   "at or before the first period left out (no pre-period); "
                   f"{sa.extra['units_late_as_never']} unit(s) first treated after the last "
                   "period counted as never-treated.")
    tab3 = _cs_table(results.get("cs", {}), alts)
    if len(tab3):
        tables["table3_robust_did"] = Table(
            tab3, "Table 3. Heterogeneity-robust DID estimators",
            f"Callaway–Sant'Anna (comparison: {control_group}-treated, {cs_how}, "
            f"{'bootstrap' if bstrap else 'analytic'} SE); Sun–Abraham interaction-weighted ATT "
            "(never-treated controls, cell-count weights); Gardner did2s (pyfixest). SEs "
            "clustered by unit." + sa_note)

    # Figure 2 --------------------------------------------------------------------------
    if placebo:
        pl = placebo_test(p, n_draws=placebo, seed=seed)
        results["placebo"] = {"draws": pl.draws, "p_value": pl.p_value,
                              "estimate": pl.estimate, "n_draws": len(pl.draws),
                              "n_treated": pl.n_treated, "seed": seed, "method": pl.method,
                              "mean": float(np.nanmean(pl.draws)),
                              "sd": float(np.nanstd(pl.draws, ddof=1))}
        figures["figure2_placebo"] = Figure(
            pl.plot(), "Figure 2. Placebo test",
            f"Kernel density of {len(pl.draws)} placebo TWFE coefficients (random treated "
            f"units, real cohorts shuffled; seed {seed}); dashed line = estimate; two-sided "
            f"empirical p = {pl.p_value:.3f}.")
        if nonneg:
            # seed 003's Figure 2 marks the log(1 + y) estimate (29.5 %): same draws, log model
            pl2 = placebo_test(p, n_draws=placebo, seed=seed, log1p=True)
            results["placebo_log1p"] = {
                "draws": pl2.draws, "p_value": pl2.p_value, "estimate": pl2.estimate,
                "n_draws": len(pl2.draws), "seed": seed, "method": pl2.method}
            figures["figure2_placebo_log1p"] = Figure(
                pl2.plot(), "Figure 2b. Placebo test, log(1 + y)",
                f"As Figure 2 for log(1 + y) (the same {len(pl2.draws)} draws); two-sided "
                f"empirical p = {pl2.p_value:.3f}.")

    # Table 4 ---------------------------------------------------------------------------
    if dist_cols:
        dres: list[DistanceResult] = []
        by_col: dict[str, Any] = {}
        named: dict[str, Any] = {}
        for dcol, safe in zip(dist_cols, p.distance, strict=True):
            by_col[dcol] = {}
            for ctl in ([False, True] if controls else [False]):
                try:
                    d = distance_interaction(p, safe, controls=ctl, controls_as=controls_as)
                except PairnetError as exc:
                    by_col[dcol]["controls" if ctl else "no_controls"] = {"error": str(exc)}
                    notes.append(f"distance {dcol}: {exc}")
                    continue
                dres.append(d)
                by_col[dcol]["controls" if ctl else "no_controls"] = _distance_dict(d)
                named.setdefault(dcol, {})["controls" if ctl else "no_controls"] = \
                    _distance_named(d)
                if not ctl:
                    figures[f"distance_{dcol}"] = Figure(
                        d.plot(), f"Effect by distance ({dcol})",
                        "β1 + β2·distance with 95% CI band (clustered SE); dashed line = "
                        "break-even distance −β1/β2.")
        if dres:
            first = _distance_dict(dres[0])
            # flat numbers of the first column (the paper's column 1), every column and both
            # specifications under by_column, and per column the term-named form that
            # `pairnet optimize --from-results` reads
            results["distance"] = {**first, "by_column": by_col,
                                   **{k: v for k, v in named.items() if k not in first}}
            tab4 = did_table([d.model for d in dres])
            be = ["break-even distance (−β1/β2)", *[f"{d.break_even:.1f}" for d in dres]]
            ci = ["  95% CI (delta method)",
                  *[f"[{d.break_even_ci[0]:.1f}, {d.break_even_ci[1]:.1f}]" for d in dres]]
            tab4 = pd.concat([tab4, pd.DataFrame([be, ci], columns=tab4.columns)],
                             ignore_index=True)
            tables["table4_distance"] = Table(
                tab4, "Table 4. Distance and the effect of pairing",
                "y ~ treat + treat:distance | unit + time, SE clustered by unit; break-even "
                "CI by the delta method with the clustered covariance.")
        else:
            results["distance"] = {"by_column": by_col}

    # Table 5 ---------------------------------------------------------------------------
    if p.extra_y:
        ext: list[DIDResult] = []
        results["extra_y"] = {}
        for ey in p.extra_y:
            if p.frame[ey].nunique() < 2:
                # a constant outcome (e.g. a registry with no branch records) has nothing to
                # estimate: a coefficient of 0 with SE 0 would only mislead
                why = (f"{p.label(ey)} is constant ({p.frame[ey].iloc[0]:g} in every cell); "
                       "Table 5 leaves it out")
                results["extra_y"][p.label(ey)] = {"error": why}
                notes.append(why)
                continue
            ms = _baseline_models(p, ey, controls_as, has2)
            ext += ms
            results["extra_y"][p.label(ey)] = [_model_dict(r) for r in ms]
        if ext:
            tables["table5_other_outcomes"] = Table(
                did_table(ext), "Table 5. Other outcomes",
                "Model (1) on further outcomes, levels and log(1 + y), without and with "
                "controls; SE clustered by unit.")

    results["notes"] = list(dict.fromkeys(notes))
    write_outputs(out_dir, results=results, tables=tables, figures=figures, title=title)
    return results
