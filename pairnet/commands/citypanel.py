"""``pairnet citypanel``: pooled / RE / FE city-panel models with F and Hausman tests (seed 000).

Two modes:

- indicators given: ``pairnet citypanel DATA --y Y --x X1,X2 [...] --out DIR``;
- raw statistics (``--raw``): build seed 000's indicators first (interpolate, deflate, compute)
  and run the whole YRD battery (baseline, mechanisms, lag, DWH, heterogeneity) —
  :func:`pairnet.analyses.citypanel.yrd_study`.

Either way: parse the options, compute the result, write its folder
(:func:`pairnet.core.outputs.write_result`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

if TYPE_CHECKING:
    from pairnet.analyses.citypanel import WildWeights


def command(
    data: Annotated[Path, typer.Argument(help="City-year table (CSV, Parquet, Excel, Stata).")],
    entity: Annotated[str, typer.Option("--entity", help="City id column.")] = "city",
    time: Annotated[str, typer.Option("--time", help="Year column.")] = "year",
    y: Annotated[str | None, typer.Option("--y", help="Outcome column.")] = None,
    x: Annotated[str | None, typer.Option("--x", help="Regressors, comma-separated.")] = None,
    cluster: Annotated[str | None, typer.Option(
        "--cluster", help="Cluster column for robust SEs (default: the entity).")] = None,
    twoways: Annotated[bool, typer.Option("--twoways", help="City and year effects.")] = False,
    lag: Annotated[str | None, typer.Option(
        "--lag", help="Regressor replaced by its one-year lag (robustness + DWH test).")] = None,
    interact: Annotated[str | None, typer.Option(
        "--interact", help="Mechanism interactions A:B,C:D (adds B and A×B).")] = None,
    centre: Annotated[bool, typer.Option("--centre", help="Centre interaction factors.")] = False,
    split: Annotated[str | None, typer.Option(
        "--split", help="Heterogeneity splitters COL (median) or COL>=NUMBER, comma-separated."
    )] = None,
    raw: Annotated[bool, typer.Option(
        "--raw", help="DATA holds raw statistics: build seed 000's indicators and run the "
                      "full YRD battery (other model options ignored except --twoways, "
                      "--centre).")] = False,
    base_year: Annotated[int | None, typer.Option(
        "--base-year", help="With --raw: deflate to this year's prices (default: the price "
                            "index is already base = 100).")] = None,
    wild_draws: Annotated[int, typer.Option(
        "--wild-draws", help="Wild cluster bootstrap draws for models with fewer than 50 "
                             "clusters (0 = off; Rademacher weights are enumerated when "
                             "2^G <= draws).")] = 9999,
    wild_weights: Annotated[str, typer.Option(
        "--wild-weights", help="Wild bootstrap weights: rademacher or webb.")] = "rademacher",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the wild bootstrap.")] = 0,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out/citypanel"),
) -> None:
    """City-panel models: pooled, RE, FE, F and Hausman tests, mechanisms."""
    from pairnet.analyses.citypanel import CityPanelOptions, citypanel_suite, yrd_study
    from pairnet.core.errors import InputError
    from pairnet.core.options import parse_list
    from pairnet.core.outputs import check_out_dir, write_result
    from pairnet.core.tables import read_table

    # checked before the data is read (check_literal names the parameter, the CLI its flag)
    wild = CityPanelOptions(wild_draws=wild_draws, seed=seed,
                            wild_weights=cast("WildWeights", wild_weights))
    df = read_table(data, string_cols=[entity], what="city-year table")
    if raw:
        check_out_dir(out)  # before any estimation
        res = yrd_study(df, base_year=base_year, twoways=twoways, centre=centre, entity=entity,
                        time=time, file=str(data), wild_draws=wild.wild_draws,
                        wild_weights=wild.wild_weights, seed=wild.seed)
    else:
        if not y or not x:
            raise InputError("--y and --x are required (or --raw for raw statistics)",
                             file=str(data), fix="e.g. --y gdp_pc --x mig,inc,inv")
        pairs = []
        for item in parse_list(interact):
            a, sep, b = item.partition(":")
            if not sep or not a or not b:
                raise InputError(f"bad interaction {item!r}", file="--interact",
                                 fix="write A:B, e.g. mig:str")
            pairs.append((a.strip(), b.strip()))
        check_out_dir(out)  # before any estimation
        options = CityPanelOptions(cluster=cluster, twoways=twoways, lag=lag, interact=pairs,
                                   centre=centre, split=parse_list(split),
                                   wild_draws=wild.wild_draws, wild_weights=wild.wild_weights,
                                   seed=wild.seed)
        res = citypanel_suite(df, entity=entity, time=time, y=y, x=parse_list(x),
                              options=options, file=str(data))
    write_result(res, out)
    typer.echo(f"{res.choice}\nwrote {out}/results.json")
