"""``pairnet network``: yearly directed investment networks at thresholds, and their metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def _node_tokens(spec: str, argument: str) -> tuple[list[str], bool, str]:
    """Split ``--nodes`` into tokens; say whether they came from a file (taken literally)."""
    from pairnet.core.errors import InputError
    from pairnet.core.options import parse_list

    if spec.startswith("@"):
        path = Path(spec[1:])
        if not path.is_file():
            raise InputError(f"node file {str(path)!r} does not exist", file=argument,
                             fix="give @PATH of a text file with one node id per line")
    else:
        path = Path(spec)
        if not (len(spec) < 4096 and path.suffix and path.is_file()):
            return parse_list(spec), False, argument
    tokens = [t.strip() for t in path.read_text(encoding="utf-8-sig").splitlines()
              if t.strip() and not t.strip().startswith("#")]
    return tokens, True, f"{argument} {path}"


def resolve_nodes(spec: str, flow_ids: set[str], *, argument: str = "--nodes",
                  strict: bool = False) -> tuple[list[str], list[str]]:
    """Turn ``--nodes`` into the ordered node list.

    ``spec`` is a comma-separated list, or a text file with one id per line (``@PATH``, or a
    path with a suffix that exists). Ids from a file are taken literally. Each token of a list,
    in order: an id that occurs in the flows is kept as it is (county codes and arbitrary ids
    work); a group name (PRD, EWN, GD, YRD) expands to its prefecture adcodes; a city name or
    adcode (prefecture or county) is resolved with :func:`pairnet.spatial.cities.resolve_one`
    (``广州`` -> ``440100``); any other token is kept literally as a node id, i.e. an isolate.
    Repeats are dropped (first occurrence wins).

    Parameters
    ----------
    spec : str
        The ``--nodes`` value.
    flow_ids : set of str
        Ids occurring as origin or destination in the flows.
    argument : str
        Where the spec came from, for messages.
    strict : bool
        If True, a list token that is neither a flow id, a group nor a city is an error (the
        behaviour of ``--strict-nodes``).

    Returns
    -------
    nodes : list of str
        The ordered node list.
    literal : list of str
        List tokens kept literally although they match neither the flows nor a city (the
        caller warns about them, so a misspelt city name is visible). Empty if ``strict``.

    Raises
    ------
    UnknownCityError
        No nodes given, or (``strict``) a token that is neither a flow id nor a city.
    AmbiguousCityError
        A city name that matches several cities (add the province or give the adcode).
    """
    from pairnet.core.errors import UnknownCityError
    from pairnet.spatial.cities import GROUPS, resolve_one

    tokens, from_file, argument = _node_tokens(spec, argument)
    if not tokens:
        raise UnknownCityError("no nodes given", file=argument,
                               fix="give ids, city names or a group (PRD, EWN, GD, YRD)")
    out: list[str] = []
    literal: list[str] = []
    for tok in tokens:
        if from_file or tok in flow_ids:
            codes: tuple[str, ...] = (tok,)
        elif tok.upper() in GROUPS:
            codes = GROUPS[tok.upper()]
        else:
            try:
                codes = (resolve_one(tok, level="any", argument=argument),)
            except UnknownCityError:
                # Not a city: an isolate with an arbitrary id. Ambiguous city names still
                # raise above, since they clearly mean a city.
                codes = (tok,)
                if tok not in literal:
                    literal.append(tok)
        out.extend(c for c in codes if c not in out)
    if strict and literal:
        raise UnknownCityError(
            f"{_quote(literal)} {'is' if len(literal) == 1 else 'are'} neither an id in the "
            "flows nor a city", file=argument,
            fix="check the spelling (Chinese name, e.g. 广州, or a 6-digit adcode), or drop "
                "--strict-nodes to keep such ids as isolates")
    return out, literal


def _quote(tokens: list[str]) -> str:
    shown = ", ".join(repr(t) for t in tokens[:10])
    return shown + (f" and {len(tokens) - 10} more" if len(tokens) > 10 else "")


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
) -> None:
    """Yearly directed investment networks at thresholds, and their metrics."""
    import warnings
    from typing import cast

    import pandas as pd

    from pairnet.core.options import check_literal, parse_list, parse_years
    from pairnet.core.outputs import write_result
    from pairnet.core.tables import read_table, write_table
    from pairnet.network.graphs import parse_thresholds
    from pairnet.network.metrics import Backend, CommunityMethod
    from pairnet.network.pipeline import network_analysis

    backend_ = cast(Backend, check_literal(backend, Backend, "backend"))
    method = cast(CommunityMethod, check_literal(communities, CommunityMethod, "communities"))
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
        node_list, literal = resolve_nodes(nodes, flow_ids, strict=strict_nodes)
        if literal:
            typer.echo(
                f"pairnet network: warning: --nodes: {_quote(literal)} "
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
        typer.echo(f"pairnet network: warning: {w.message}", err=True)
    metrics = res.metrics
    write_table(metrics, out)
    typer.echo(f"{len(metrics)} network(s): {metrics['year'].nunique()} year(s) x "
               f"{len(ts)} threshold(s), {int(metrics['nodes'].iloc[0])} nodes -> {out}"
               + (f"; outputs in {fig_dir}" if fig_dir is not None else ""))
