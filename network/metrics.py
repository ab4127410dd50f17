"""Whole-network metrics per (year, threshold), with two backends that must agree exactly.

Definitions (``n`` nodes including isolates, ``m`` directed ties with ``count >= threshold``,
no self-loops; ``k_i^out``, ``k_i^in`` out/in-degrees):

``density``
    ``m / (n (n - 1))`` (seed 003 §4.6); NaN when ``n < 2``.
``reciprocity``
    share of ties whose reverse tie also exists: ``#{(i,j): j->i exists} / m``; NaN when ``m = 0``.
``mean_out_degree``, ``mean_in_degree``
    ``m / n`` (equal by construction; both given so the table reads plainly).
``max_out_degree``, ``max_in_degree``
    largest out/in-degree.
``weighted_density``
    ``sum of count over the qualifying ties / (n (n - 1))``: the mean count per ordered pair of
    distinct nodes, counting pairs below the threshold as 0. Sums use ``math.fsum`` (exact, order
    free), so both backends agree bit for bit.
``out_centralization``, ``in_centralization``
    Freeman degree centralisation ``sum_i (max_j k_j - k_i) / (n - 1)^2``. The denominator is the
    largest value the numerator can take in a directed graph without self-loops (an out-star for
    out-degree, an in-star for in-degree), so the index runs from 0 (all degrees equal) to 1 (a
    star). NaN when ``n < 2``.
``isolates``
    nodes with neither in- nor out-ties at this threshold.
``weak_components``, ``strong_components``
    number of weakly / strongly connected components; every isolate is one component.
``transitivity``
    global transitivity of the undirected simple graph (a tie in either direction is one
    undirected edge): ``3 x triangles / connected triples``, with connected triples
    ``sum_i d_i (d_i - 1) / 2`` over undirected degrees ``d_i``; NaN when there are no
    connected triples (the same value as ``networkx.transitivity`` otherwise).
``top_out_hubs``, ``top_in_hubs``
    the ``hubs`` nodes with the largest out-/in-strength (sum of count over qualifying ties),
    as ``"id (strength); id (strength)"``; ties in strength keep node order; nodes with zero
    strength are never hubs.

Both backends count the integer ingredients (degrees, reciprocated ties, components, triangles,
triples) with their own library and then share one arithmetic step, so for integer counts every
column agrees exactly. The ``igraph`` backend is the fast path: it works on the numpy edge arrays
directly (degrees, strengths, reciprocity, undirected degrees), counts components with
``scipy.sparse.csgraph`` on a CSR matrix built from those arrays (no graph object needed), and
counts triangles with igraph's C transitivity routine. The ``networkx`` backend builds a
``DiGraph`` (:meth:`YearlyNetworks.to_networkx`) and uses networkx for everything.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from pairnet.core.options import check_literal
from pairnet.network.graphs import YearlyNetworks

__all__ = ["Backend", "CommunityMethod", "METRIC_COLUMNS", "network_metrics", "graph_metrics",
           "communities"]

Backend = Literal["igraph", "networkx"]
CommunityMethod = Literal["leiden", "infomap", "none"]

METRIC_COLUMNS = (
    "year", "threshold", "nodes", "edges", "density", "reciprocity", "mean_out_degree",
    "mean_in_degree", "max_out_degree", "max_in_degree", "weighted_density",
    "out_centralization", "in_centralization", "isolates", "weak_components",
    "strong_components", "transitivity", "top_out_hubs", "top_in_hubs",
)


# ---------------------------------------------------------------------- shared arithmetic
def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else math.nan


def _hubs(nodes: tuple[str, ...], strength: np.ndarray, k: int) -> str:
    if k <= 0 or strength.size == 0:
        return ""
    order = np.argsort(-strength, kind="stable")[:k]
    parts = []
    for i in order.tolist():
        s = float(strength[i])
        if s <= 0:
            break
        parts.append(f"{nodes[i]} ({int(s) if s.is_integer() else f'{s:g}'})")
    return "; ".join(parts)


def _finish(raw: Mapping[str, Any], nodes: tuple[str, ...], hubs: int) -> dict[str, Any]:
    """Turn backend-counted ingredients into the metric row (one formula for both backends)."""
    n = len(nodes)
    m = int(raw["m"])
    kout = np.asarray(raw["out_degree"], dtype=np.int64)
    kin = np.asarray(raw["in_degree"], dtype=np.int64)
    pairs = n * (n - 1)
    denom_c = (n - 1) ** 2
    max_out = int(kout.max()) if n else 0
    max_in = int(kin.max()) if n else 0
    return {
        "nodes": n,
        "edges": m,
        "density": _ratio(m, pairs),
        "reciprocity": _ratio(raw["reciprocated"], m),
        "mean_out_degree": _ratio(m, n),
        "mean_in_degree": _ratio(m, n),
        "max_out_degree": max_out,
        "max_in_degree": max_in,
        "weighted_density": _ratio(raw["count_sum"], pairs),
        "out_centralization": _ratio(int(n * max_out - m), denom_c) if n > 1 else math.nan,
        "in_centralization": _ratio(int(n * max_in - m), denom_c) if n > 1 else math.nan,
        "isolates": int(((kout + kin) == 0).sum()),
        "weak_components": int(raw["weak"]),
        "strong_components": int(raw["strong"]),
        "transitivity": _ratio(raw["triangles3"], raw["triples"]),
        "top_out_hubs": _hubs(nodes, np.asarray(raw["out_strength"], dtype=float), hubs),
        "top_in_hubs": _hubs(nodes, np.asarray(raw["in_strength"], dtype=float), hubs),
    }


def _triples(undirected_degree: np.ndarray) -> int:
    d = np.asarray(undirected_degree, dtype=np.int64)
    return int((d * (d - 1) // 2).sum())


# ---------------------------------------------------------------------- backends
def _raw_igraph(n: int, o: np.ndarray, d: np.ndarray, c: np.ndarray) -> dict[str, Any]:
    import igraph as ig
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    m = len(o)
    # canonical order sorts ties by (origin, destination), so the keys are sorted already
    keys = o * n + d
    rev = d * n + o
    at = np.searchsorted(keys, rev)
    at[at >= m] = 0
    has_reverse = keys[at] == rev if m else np.zeros(0, dtype=bool)
    reciprocated = int(has_reverse.sum())
    if m:
        a = sp.csr_matrix((np.ones(m, dtype=np.int8), (o, d)), shape=(n, n))
        weak = int(connected_components(a, directed=True, connection="weak")[0])
        strong = int(connected_components(a, directed=True, connection="strong")[0])
    else:
        weak = strong = n
    # undirected simple version: each unordered pair once
    # (a reciprocated pair is kept once, as its origin < destination tie): no sort needed
    one_way = (o < d) | ~has_reverse
    ulo, uhi = o[one_way], d[one_way]
    triples = _triples(np.bincount(np.concatenate([ulo, uhi]), minlength=n))
    triangles3 = 0
    if triples:
        u = ig.Graph(n=n, edges=list(zip(ulo.tolist(), uhi.tolist(), strict=True)))
        # igraph counts triangles in C and returns 3T / triples as a double; with fewer than
        # 1e14 triples the rounding error is far below 0.5, so 3T comes back exactly
        triangles3 = round(u.transitivity_undirected(mode="zero") * triples)
    cw = c.astype(float)
    return {
        "m": m,
        "out_degree": np.bincount(o, minlength=n),
        "in_degree": np.bincount(d, minlength=n),
        "reciprocated": reciprocated,
        "count_sum": math.fsum(c.tolist()),
        "weak": weak,
        "strong": strong,
        "triangles3": triangles3,
        "triples": triples,
        "out_strength": np.bincount(o, weights=cw, minlength=n),
        "in_strength": np.bincount(d, weights=cw, minlength=n),
    }


def _raw_networkx(g: Any, nodes: tuple[str, ...]) -> dict[str, Any]:
    import networkx as nx

    m = g.number_of_edges()
    u = g.to_undirected()
    return {
        "m": m,
        "out_degree": [g.out_degree(v) for v in nodes],
        "in_degree": [g.in_degree(v) for v in nodes],
        # as networkx.reciprocity: each reciprocated pair collapses two ties into one edge
        "reciprocated": 2 * (m - u.number_of_edges()),
        "count_sum": math.fsum(w for _, _, w in g.edges(data="count")),
        "weak": nx.number_weakly_connected_components(g),
        "strong": nx.number_strongly_connected_components(g),
        "triangles3": sum(nx.triangles(u).values()),
        "triples": _triples(np.array([u.degree(v) for v in nodes])),
        "out_strength": [g.out_degree(v, weight="count") for v in nodes],
        "in_strength": [g.in_degree(v, weight="count") for v in nodes],
    }


def graph_metrics(networks: YearlyNetworks, year: int, threshold: float, *,
                  backend: Backend = "igraph", hubs: int = 3) -> dict[str, Any]:
    """Metrics of one (year, threshold) graph as a dict (columns of :data:`METRIC_COLUMNS`)."""
    check_literal(backend, Backend, "backend")
    if backend == "igraph":
        o, d, c = networks.edge_arrays(year, threshold)
        raw = _raw_igraph(networks.n, o, d, c)
    else:
        raw = _raw_networkx(networks.to_networkx(year, threshold), networks.nodes)
    return {"year": int(year), "threshold": threshold, **_finish(raw, networks.nodes, hubs)}


def network_metrics(networks: YearlyNetworks, backend: Backend = "igraph", *,
                    hubs: int = 3, communities_method: CommunityMethod = "none",
                    seed: int = 0) -> pd.DataFrame:
    """Tidy metrics table, one row per (year, threshold), columns :data:`METRIC_COLUMNS`.

    Parameters
    ----------
    networks : YearlyNetworks
        The canonical networks.
    backend : {"igraph", "networkx"}
        Who counts; the numbers are identical (see the module docstring).
    hubs : int
        How many hubs to list in ``top_out_hubs`` / ``top_in_hubs``.
    communities_method : {"leiden", "infomap", "none"}
        When not "none", adds ``communities`` and ``modularity`` (see :func:`communities`;
        always computed with igraph).
    seed : int
        Seed for community detection.
    """
    check_literal(backend, Backend, "backend")
    check_literal(communities_method, CommunityMethod, "communities_method")
    rows = [graph_metrics(networks, y, t, backend=backend, hubs=hubs)
            for y in networks.years for t in networks.thresholds]
    out = pd.DataFrame(rows, columns=list(METRIC_COLUMNS))
    if communities_method != "none":
        _, summary = communities(networks, communities_method, seed=seed)
        out = out.merge(summary, on=["year", "threshold"], how="left")
    return out


# ---------------------------------------------------------------------- communities
def communities(networks: YearlyNetworks, method: CommunityMethod = "leiden", *,
                seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Community detection per (year, threshold) with igraph, seeded.

    ``leiden``: Leiden with the modularity objective on the undirected weighted version (a pair's
    weight is the sum of its counts in both directions), iterated until stable.
    ``infomap``: Infomap on the directed graph weighted by count (10 trials).
    Community labels are renumbered 0, 1, ... in order of first appearance in the node list.

    Returns
    -------
    membership : DataFrame
        ``year, threshold, node, community``.
    summary : DataFrame
        ``year, threshold, communities, modularity``: ``communities`` counts communities with at
        least two nodes (isolates and other singletons are not communities); ``modularity`` is the
        weighted modularity of the partition on the undirected weighted graph (comparable across
        methods); NaN when the graph has no ties.
    """
    import igraph as ig

    check_literal(method, CommunityMethod, "method")
    if method == "none":
        raise ValueError("communities(method='none') computes nothing")
    rng = random.Random(seed)
    members, summary = [], []
    ig.set_random_number_generator(rng)
    try:
        for y in networks.years:
            for t in networks.thresholds:
                rng.seed(seed)
                o, d, c = networks.edge_arrays(y, t)
                n = networks.n
                lo, hi = np.minimum(o, d), np.maximum(o, d)
                ukeys, inv = np.unique(lo * n + hi, return_inverse=True)
                uw = np.bincount(inv, weights=c.astype(float), minlength=len(ukeys))
                u = ig.Graph(n=n, edges=np.column_stack([ukeys // n, ukeys % n]),
                             directed=False)
                if len(o) == 0:
                    memb = list(range(n))
                elif method == "leiden":
                    memb = u.community_leiden(objective_function="modularity",
                                              weights=uw.tolist(), n_iterations=-1).membership
                else:
                    g = ig.Graph(n=n, edges=np.column_stack([o, d]), directed=True)
                    memb = g.community_infomap(edge_weights=c.astype(float).tolist(),
                                               trials=10).membership
                relabel: dict[int, int] = {}
                memb = [relabel.setdefault(v, len(relabel)) for v in memb]
                sizes = np.bincount(memb)
                q = u.modularity(memb, weights=uw.tolist()) if len(o) else math.nan
                summary.append({"year": y, "threshold": t,
                                "communities": int((sizes >= 2).sum()), "modularity": q})
                members.append(pd.DataFrame({"year": y, "threshold": t,
                                             "node": list(networks.nodes), "community": memb}))
    finally:
        ig.set_random_number_generator(random)
    return (pd.concat(members, ignore_index=True) if members else
            pd.DataFrame(columns=["year", "threshold", "node", "community"]),
            pd.DataFrame(summary, columns=["year", "threshold", "communities", "modularity"]))
