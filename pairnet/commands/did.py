"""``pairnet did``: the staggered DID suite of seed 003 (Tables 1–5, Figures 1–2)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def command(
    data: Annotated[Path, typer.Argument(help="Panel data (CSV in UTF-8/GBK, Parquet, Excel, "
                                              "Stata), one row per unit and period.")],
    unit: Annotated[str, typer.Option("--unit", help="Unit (panel member) id column.")],
    time: Annotated[str, typer.Option("--time", help="Period column (integer).")],
    cohort: Annotated[str, typer.Option(
        "--cohort", help="First treated period; 0 or empty = never treated.")],
    y: Annotated[str, typer.Option("--y", help="Outcome column.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    controls: Annotated[str, typer.Option(
        "--controls", help="Comma-separated time-varying control columns (entered as "
                           "baseline-year value × year dummies, see --controls-as).")] = "",
    controls_as: Annotated[str, typer.Option(
        "--controls-as", help="baseline (paper: first-year value × year dummies) or raw.")
    ] = "baseline",
    control_group: Annotated[str, typer.Option(
        "--control-group", help="Callaway–Sant'Anna comparison: never or notyet.")] = "never",
    placebo: Annotated[int, typer.Option("--placebo", help="Placebo draws (0 = skip).")] = 500,
    distance: Annotated[str, typer.Option(
        "--distance", help="Comma-separated distance columns for Table 4; default: those of "
                           "border_km, centroid_km, region_centroid_km, region_border_km "
                           "present; 'none' to skip.")] = "",
    extra_y: Annotated[str, typer.Option(
        "--extra-y", help="Comma-separated further outcomes for Table 5.")] = "",
    cluster2: Annotated[str, typer.Option(
        "--cluster2", help="Two columns for an extra two-way clustered SE (e.g. "
                           "origin,destination); default: origin,destination when present; "
                           "'none' to skip.")] = "",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the placebo draws.")] = 0,
    bstrap: Annotated[bool, typer.Option(
        "--bootstrap", help="Multiplier-bootstrap SEs for Callaway–Sant'Anna.")] = False,
    no_cs: Annotated[bool, typer.Option("--no-cs", help="Skip Callaway–Sant'Anna.")] = False,
    cs_covariates: Annotated[str, typer.Option(
        "--cs-covariates", help="Comma-separated covariates of Callaway–Sant'Anna (R did's "
                                "xformla); each unit's base-period value is used.")] = "",
    cs_est_method: Annotated[str, typer.Option(
        "--cs-method", help="Callaway–Sant'Anna estimator: dr (doubly robust), ipw or reg.")
    ] = "dr",
    cluster: Annotated[str, typer.Option(
        "--cluster", help="Column to cluster every model's SEs by (CRV1, t(G-1) p-values); "
                          "default the unit, e.g. origin (the helper city).")] = "",
    wild_draws: Annotated[int, typer.Option(
        "--wild-draws", help="Wild cluster bootstrap draws when there are fewer than 50 "
                             "clusters (0 = off; Rademacher with 2^G <= draws: all 2^G sign "
                             "vectors).")] = 9999,
    wild_weights: Annotated[str, typer.Option(
        "--wild-weights", help="Wild bootstrap weights: rademacher or webb.")] = "rademacher",
    leads: Annotated[int, typer.Option(
        "--leads", help="Event-study periods before treatment (>= 1; base -1).")] = 5,
    lags: Annotated[int, typer.Option(
        "--lags", help="Event-study periods from treatment on.")] = 10,
    ends: Annotated[str, typer.Option(
        "--ends", help="Event-study periods beyond the window: bin (lump into the end "
                       "points) or trim (drop those treated observations).")] = "bin",
    # modern diagnostics (issue 16)
    diagnostics: Annotated[str, typer.Option(
        "--diagnostics", help="Comma-separated diagnostics to run: bacon, dcdh_weights, "
                              "imputation, stacked, honest, pretrend_power (default all); "
                              "'none' to skip.")] = "",
    no_honest: Annotated[bool, typer.Option(
        "--no-honest", help="Skip HonestDiD (the slowest diagnostic).")] = False,
    fe: Annotated[str, typer.Option(
        "--fe", help="Fixed effects of the imputation first stage and the stacked DID, e.g. "
                     "unit+time or unit+time+origin^time.")] = "unit+time",
    weights: Annotated[str, typer.Option(
        "--weights", help="Observation-weight column (dCDH weights, imputation, stacked "
                          "DID).")] = "",
    honest_mbar: Annotated[str, typer.Option(
        "--honest-mbar", help="HonestDiD relative-magnitude bounds M̄.")] = "0,0.5,1,1.5,2",
    honest_m: Annotated[str, typer.Option(
        "--honest-m", help="HonestDiD smoothness bounds M.")] = "0,0.05,0.1",
    honest_grid: Annotated[int, typer.Option(
        "--honest-grid", help="HonestDiD grid points of the C-LF inversion.")] = 100,
    header_row: Annotated[int | None, typer.Option(
        "--header-row", help="Row of the column names (when a title sits above them).")
    ] = None,
) -> None:
    """Staggered DID suite: TWFE, event study, Callaway–Sant'Anna, placebo, distance."""
    from pairnet.analyses.diagnostics import DIAGNOSTICS
    from pairnet.analyses.did_suite import DIDOptions, did_suite
    from pairnet.core.options import parse_list
    from pairnet.core.outputs import check_out_dir, write_result
    from pairnet.core.tables import read_table

    # parameter names = DIDOptions fields, so messages naming `cs_est_method` show --cs-method
    options = DIDOptions(
        controls=parse_list(controls), controls_as=controls_as,  # type: ignore[arg-type]
        control_group=control_group, placebo=placebo,  # type: ignore[arg-type]
        distance=None if distance.strip().lower() == "none" else parse_list(distance),
        extra_y=parse_list(extra_y),
        cluster2=None if cluster2.strip().lower() == "none" else parse_list(cluster2),
        seed=seed, cs=not no_cs, bstrap=bstrap, cs_covariates=parse_list(cs_covariates),
        cs_est_method=cs_est_method,  # type: ignore[arg-type]
        cluster=cluster or None, wild_draws=wild_draws,
        wild_weights=wild_weights,  # type: ignore[arg-type]
        leads=leads, lags=lags, ends=ends,  # type: ignore[arg-type]
        diagnostics=_diagnostics(diagnostics, no_honest, DIAGNOSTICS), fe=fe,
        weights=weights or None, honest_mbar=_numbers(honest_mbar, "honest_mbar"),
        honest_m=_numbers(honest_m, "honest_m"), honest_grid=honest_grid)
    check_out_dir(out)
    df = read_table(data, what="panel", header_row=header_row)
    res = did_suite(df, unit=unit, time=time, cohort=cohort, y=y, options=options,
                    file=str(data))
    write_result(res, out)
    tw = res.twfe
    pw = ""
    if tw.wild:
        w = next(iter(tw.wild.values()))
        pw = (f", p_wild = {w.p_value:.4g}" if w.p_value > 0 else
              f", p_wild < {1 / w.n_draws:.2g}") + f" ({w.n_draws} bootstrap draws)"
    typer.echo(f"TWFE treat = {tw.estimate:.6g} (SE {tw.se:.6g}, clustered by {tw.cluster}, "
               f"{tw.n_clusters} clusters, p = {float(tw.coef['p_value'].iloc[0]):.4g}{pw}), "
               f"N = {tw.nobs}")
    if res.placebo is not None:
        typer.echo(f"placebo p = {res.placebo.p_value:.4g} ({len(res.placebo.draws)} draws)")
    if res.cs_att_gt is not None:
        simple = res.cs_aggte["simple"]
        typer.echo(f"CS simple ATT = {simple.overall_att:.6g} (SE {simple.overall_se:.6g})")
    dg = res.diagnostics
    if dg is not None and dg.imputation is not None:
        typer.echo(f"BJS imputation ATT = {dg.imputation.att:.6g} (SE {dg.imputation.se:.6g})")
    if dg is not None and dg.honest_twfe is not None:
        bd = ", ".join(f"{k} {v:.3g}" for k, v in dg.honest_twfe.breakdown.items())
        typer.echo(f"HonestDiD breakdown Mbar (TWFE event study): {bd}")
    for n in res.notes:
        typer.echo(f"note: {n}")
    typer.echo(f"wrote {out}")


def _diagnostics(value: str, no_honest: bool, known: tuple[str, ...]) -> tuple[str, ...]:
    """``--diagnostics`` (comma list, empty = all, 'none') minus HonestDiD with --no-honest."""
    from pairnet.core.options import parse_list

    v = value.strip().lower()
    items = () if v == "none" else (tuple(parse_list(value)) if v else known)
    return tuple(d for d in items if not (no_honest and d == "honest"))


def _numbers(value: str, name: str) -> tuple[float, ...]:
    """A comma-separated list of numbers (an input error naming ``name`` otherwise)."""
    from pairnet.core.errors import InputError
    from pairnet.core.options import parse_list

    try:
        return tuple(float(x) for x in parse_list(value))
    except ValueError:
        raise InputError(f"`{name}` must be comma-separated numbers, got {value!r}",
                         file=f"`{name}`", fix="e.g. 0,0.5,1") from None
