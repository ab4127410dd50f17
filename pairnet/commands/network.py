"""``pairnet network``: yearly directed investment networks at thresholds, and their metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def command(
    flows: Annotated[Path, typer.Argument(help="Flows table: origin, destination, year, count.")],
    nodes: Annotated[str | None, typer.Option(
        "--nodes", help="Node list: ids, city names, groups (PRD, EWN, GD, YRD), or @FILE "
                        "with one id per line (taken literally). Other ids are kept as "
                        "isolates, with a warning. Default: the ids in the flows.")] = None,
    strict_nodes: Annotated[bool, typer.Option(
        "--strict-nodes", help="Exit 2 if a --nodes token is neither a flow id nor a city.")
    ] = False,
    thresholds: Annotated[str, typer.Option(
        "--thresholds", help="Connection thresholds (tie iff count >= t).")] = "1,3,5,10",
    out: Annotated[Path, typer.Option("--out", help="Metrics table (.csv or .parquet).")
                   ] = Path("pairnet.network.csv"),
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
    columns: Annotated[str | None, typer.Option(
        "--columns", help="Rename file columns: 原列名=canonical,... (origin, destination, "
                          "year, count).")] = None,
    header_row: Annotated[int | None, typer.Option(
        "--header-row", help="Row of the column names (when a title sits above them).")
    ] = None,
) -> None:
    """Yearly directed investment networks at thresholds, and their metrics."""
    import warnings
    from typing import cast

    import pandas as pd

    from pairnet.core.options import check_literal, parse_list, parse_mapping, parse_years
    from pairnet.core.outputs import check_out_dir, check_out_file, write_result
    from pairnet.core.tables import read_table, write_table
    from pairnet.network.graphs import parse_thresholds
    from pairnet.network.metrics import Backend, CommunityMethod
    from pairnet.network.nodes import quote_tokens, resolve_nodes
    from pairnet.network.pipeline import network_analysis

    check_out_file(out)
    if fig_dir is not None:
        check_out_dir(fig_dir, option="`fig_dir`")

    backend_ = cast(Backend, check_literal(backend, Backend, "backend"))
    method = cast(CommunityMethod, check_literal(communities, CommunityMethod, "communities"))
    ts = parse_thresholds(parse_list(thresholds))
    year_list = None
    if years is not None:
        first, last = parse_years(years)
        year_list = range(first, last + 1)
    df = read_table(flows, required=("origin", "destination", "year", "count"),
                    string_cols=("origin", "destination"), what="flows table",
                    columns=parse_mapping(columns), header_row=header_row)
    node_list = None
    if nodes is not None:
        flow_ids = set(pd.concat([df["origin"], df["destination"]]).dropna().astype(str))
        node_list, literal = resolve_nodes(nodes, flow_ids, strict=strict_nodes)
        if literal:
            typer.echo(
                f"pairnet network: warning: --nodes: {quote_tokens(literal)} "
                f"{'matches' if len(literal) == 1 else 'match'} neither an id in the flows nor "
                "a city; kept literally as isolated node(s). If one is a misspelt city name, "
                "fix it (--strict-nodes makes this an error).", err=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        res = network_analysis(df, node_list, ts, years=year_list, backend=backend_,
                               communities_method=method, seed=seed, file=str(flows))
        if fig_dir is not None:
            write_result(res, fig_dir)
    for w in caught:
        if "missing from font" in str(w.message):  # the CLI's font note counts these
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        else:
            typer.echo(f"pairnet network: warning: {w.message}", err=True)
    metrics = res.metrics
    write_table(metrics, out)
    typer.echo(f"{len(metrics)} network(s): {metrics['year'].nunique()} year(s) x "
               f"{len(ts)} threshold(s), {int(metrics['nodes'].iloc[0])} nodes -> {out}"
               + (f"; outputs in {fig_dir}" if fig_dir is not None else ""))
