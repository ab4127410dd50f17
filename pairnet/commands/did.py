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
    bootstrap: Annotated[bool, typer.Option(
        "--bootstrap", help="Multiplier-bootstrap SEs for Callaway–Sant'Anna.")] = False,
    no_cs: Annotated[bool, typer.Option("--no-cs", help="Skip Callaway–Sant'Anna.")] = False,
    cs_covariates: Annotated[str, typer.Option(
        "--cs-covariates", help="Comma-separated covariates of Callaway–Sant'Anna (R did's "
                                "xformla); each unit's base-period value is used.")] = "",
    cs_method: Annotated[str, typer.Option(
        "--cs-method", help="Callaway–Sant'Anna estimator: dr (doubly robust), ipw or reg.")
    ] = "dr",
) -> None:
    """Staggered DID suite: TWFE, event study, Callaway–Sant'Anna, placebo, distance."""
    from pairnet.analyses.did_suite import run_did
    from pairnet.core.options import parse_list
    from pairnet.core.tables import read_table

    df = read_table(data, what="panel")
    dist = None if distance.strip().lower() == "none" else parse_list(distance)
    c2 = None if cluster2.strip().lower() == "none" else parse_list(cluster2)
    res = run_did(df, unit=unit, time=time, cohort=cohort, y=y, controls=parse_list(controls),
                  controls_as=controls_as, control_group=control_group, placebo=placebo,
                  distance=dist, extra_y=parse_list(extra_y), cluster2=c2, seed=seed,
                  cs=not no_cs, bstrap=bootstrap, cs_covariates=parse_list(cs_covariates),
                  cs_est_method=cs_method, out_dir=out, file=str(data))
    tw = res["twfe"]
    typer.echo(f"TWFE treat = {tw['coef']:.6g} (SE {tw['se']:.6g}), N = {tw['nobs']}")
    if "placebo" in res:
        typer.echo(f"placebo p = {res['placebo']['p_value']:.4g} "
                   f"({res['placebo']['n_draws']} draws)")
    if "simple" in res.get("cs", {}):
        typer.echo(f"CS simple ATT = {res['cs']['simple']['att']:.6g} "
                   f"(SE {res['cs']['simple']['se']:.6g})")
    for n in res.get("notes", []):
        typer.echo(f"note: {n}")
    typer.echo(f"wrote {out}")
