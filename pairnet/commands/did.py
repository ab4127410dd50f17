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
    header_row: Annotated[int | None, typer.Option(
        "--header-row", help="Row of the column names (when a title sits above them).")
    ] = None,
) -> None:
    """Staggered DID suite: TWFE, event study, Callaway–Sant'Anna, placebo, distance."""
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
        cs_est_method=cs_est_method)  # type: ignore[arg-type]
    check_out_dir(out)
    df = read_table(data, what="panel", header_row=header_row)
    res = did_suite(df, unit=unit, time=time, cohort=cohort, y=y, options=options,
                    file=str(data))
    write_result(res, out)
    tw = res.twfe
    typer.echo(f"TWFE treat = {tw.estimate:.6g} (SE {tw.se:.6g}), N = {tw.nobs}")
    if res.placebo is not None:
        typer.echo(f"placebo p = {res.placebo.p_value:.4g} ({len(res.placebo.draws)} draws)")
    if res.cs_att_gt is not None:
        simple = res.cs_aggte["simple"]
        typer.echo(f"CS simple ATT = {simple.overall_att:.6g} (SE {simple.overall_se:.6g})")
    for n in res.notes:
        typer.echo(f"note: {n}")
    typer.echo(f"wrote {out}")
