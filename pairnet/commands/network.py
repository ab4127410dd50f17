"""``pairnet network``: yearly directed investment networks at thresholds, and their metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def resolve_nodes(spec: str, flow_ids: set[str], *, argument: str = "--nodes") -> list[str]:
    """Turn ``--nodes`` into the ordered node list.

    ``spec`` is a comma-separated list, or the path of a text file with one token per line.
    Each token, in order: an id that occurs in the flows is kept as it is (county codes and
    arbitrary ids work); a group name (PRD, EWN, GD, YRD) expands to its prefecture adcodes;
    anything else is resolved as a city name or adcode (prefecture or county) with
    :func:`spatial.cities.resolve_one`. Repeats are dropped (first occurrence wins).

    Raises
    ------
    UnknownCityError, AmbiguousCityError
        A token that is neither a flow id nor a city.
    """
    from spatial.cities import GROUPS, resolve_one
    from spatial.errors import UnknownCityError
    from spatial.tables import parse_list

    path = Path(spec)
    if len(spec) < 4096 and path.suffix and path.is_file():
        tokens = [t.strip() for t in path.read_text(encoding="utf-8-sig").splitlines()
                  if t.strip() and not t.strip().startswith("#")]
        argument = f"{argument} {path}"
    else:
        tokens = parse_list(spec)
    if not tokens:
        raise UnknownCityError("no nodes given", file=argument,
                               fix="give ids, city names or a group (PRD, EWN, GD, YRD)")
    out: list[str] = []
    for tok in tokens:
        if tok in flow_ids:
            codes: tuple[str, ...] = (tok,)
        elif tok.upper() in GROUPS:
            codes = GROUPS[tok.upper()]
        else:
            codes = (resolve_one(tok, level="any", argument=argument),)
        out.extend(c for c in codes if c not in out)
    return out


def command(
    flows: Annotated[Path, typer.Argument(help="Flows table: origin, destination, year, count.")],
    nodes: Annotated[str | None, typer.Option(
        "--nodes", help="Node list: ids, city names, groups (PRD, EWN, GD, YRD), or a file "
                        "with one per line. Default: the ids in the flows.")] = None,
    thresholds: Annotated[str, typer.Option(
        "--thresholds", help="Connection thresholds (tie iff count >= t).")] = "1,3,5,10",
    out: Annotated[Path, typer.Option("--out", help="Metrics table (.csv or .parquet).")
                   ] = Path("network.csv"),
    fig_dir: Annotated[Path | None, typer.Option(
        "--fig-dir", help="Step folder: results.json, tables/, figures/density.{png,svg}.")
    ] = None,
    years: Annotated[str | None, typer.Option(
        "--years", help="Years to cover, e.g. 2000-2018 (default: first to last in the flows).")
    ] = None,
    communities: Annotated[str, typer.Option(
        "--communities", help="Community detection per year: leiden, infomap or none.")
    ] = "none",
    backend: Annotated[str, typer.Option("--backend", help="igraph (fast) or networkx.")
                       ] = "igraph",
    seed: Annotated[int, typer.Option("--seed", help="Seed for community detection.")] = 0,
) -> None:
    """Yearly directed investment networks at thresholds, and their metrics."""
    import warnings

    import pandas as pd

    from network.graphs import parse_thresholds
    from network.metrics import Backend, CommunityMethod
    from network.pipeline import run_network
    from spatial.tables import check_literal, parse_list, parse_years, read_table, write_table

    check_literal(backend, Backend, "--backend")
    check_literal(communities, CommunityMethod, "--communities")
    ts = parse_thresholds(parse_list(thresholds))
    year_list = None
    if years is not None:
        first, last = parse_years(years)
        year_list = range(first, last + 1)
    df = read_table(flows, required=("origin", "destination", "year", "count"),
                    string_cols=("origin", "destination"), what="flows table")
    node_list = None
    if nodes is not None:
        flow_ids = set(pd.concat([df["origin"], df["destination"]]).dropna().astype(str))
        node_list = resolve_nodes(nodes, flow_ids)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        metrics = run_network(df, node_list, ts, fig_dir, years=year_list, backend=backend,
                              communities_method=communities, seed=seed, file=str(flows))
    for w in caught:
        typer.echo(f"pairnet network: warning: {w.message}", err=True)
    write_table(metrics, out)
    typer.echo(f"{len(metrics)} network(s): {metrics['year'].nunique()} year(s) x "
               f"{len(ts)} threshold(s), {int(metrics['nodes'].iloc[0])} nodes -> {out}"
               + (f"; outputs in {fig_dir}" if fig_dir is not None else ""))
