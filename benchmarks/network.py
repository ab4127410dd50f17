"""Benchmark: all network metrics, 19 years x 4 thresholds, county-scale graph, igraph vs networkx.

Run: ``.venv/bin/python benchmarks/network.py [--nx-graphs K]``

Flows are generated (seeded): ~2,850 county nodes with log-normal "economic mass"; each year
draws a growing number of single investments with origin and destination proportional to mass
(gravity-like, heavy-tailed pair counts), aggregated to pair-year counts. The fast path
(``backend="igraph"``) runs on all 76 graphs. networkx is timed on the first K graphs (default
all 76; pass a smaller K on a slow machine) and, if K < 76, extrapolated linearly per graph —
the output says so. The metrics of the graphs both backends ran are compared for exact equality.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# this file is called network.py: keep its folder off the path so `network` is the package
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from pairnet.network.graphs import YearlyNetworks  # noqa: E402
from pairnet.network.metrics import METRIC_COLUMNS, graph_metrics  # noqa: E402

N_NODES = 2850
YEARS = range(2000, 2019)
THRESHOLDS = (1, 3, 5, 10)


def make_flows(seed: int = 2018) -> tuple[pd.DataFrame, list[str]]:
    """Gravity-like pair-year counts for N_NODES county ids (6-digit strings)."""
    rng = np.random.default_rng(seed)
    nodes = [f"{110000 + 3 * i:06d}" for i in range(N_NODES)]
    mass = rng.lognormal(0.0, 1.3, N_NODES)
    p = mass / mass.sum()
    frames = []
    for k, year in enumerate(YEARS):
        draws = int(25_000 * 1.12 ** k)  # investment grows ~12 % a year
        o = rng.choice(N_NODES, draws, p=p)
        d = rng.choice(N_NODES, draws, p=p)
        keep = o != d
        keys, counts = np.unique(o[keep] * N_NODES + d[keep], return_counts=True)
        frames.append(pd.DataFrame({"origin": keys // N_NODES, "destination": keys % N_NODES,
                                    "year": year, "count": counts}))
    f = pd.concat(frames, ignore_index=True)
    ids = np.asarray(nodes, dtype=object)
    f["origin"] = ids[f["origin"].to_numpy()]
    f["destination"] = ids[f["destination"].to_numpy()]
    return f, nodes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nx-graphs", type=int, default=len(YEARS) * len(THRESHOLDS),
                    help="how many of the 76 graphs networkx runs (rest extrapolated)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    flows, nodes = make_flows()
    net = YearlyNetworks.from_flows(flows, nodes, THRESHOLDS)
    t_build = time.perf_counter() - t0
    pairs = [(y, t) for y in net.years for t in net.thresholds]
    total = len(pairs)
    k = max(1, min(args.nx_graphs, total))
    # spread the networkx subset over the years so that it is not just the sparse early ones
    sub = pairs if k == total else [pairs[i] for i in np.linspace(0, total - 1, k).astype(int)]

    # warm up: imports (igraph, scipy, networkx) are not part of either timing
    tiny = YearlyNetworks.from_flows(flows.head(50), nodes, THRESHOLDS)
    for backend in ("igraph", "networkx"):
        graph_metrics(tiny, tiny.years[0], 1, backend=backend)

    t0 = time.perf_counter()
    fast = pd.DataFrame([graph_metrics(net, y, t, backend="igraph") for y, t in pairs],
                        columns=list(METRIC_COLUMNS))
    t_ig = time.perf_counter() - t0

    t0 = time.perf_counter()
    slow = pd.DataFrame([graph_metrics(net, y, t, backend="networkx") for y, t in sub],
                        columns=list(METRIC_COLUMNS))
    t_nx_sub = time.perf_counter() - t0
    t_ig_sub_share = fast.set_index(["year", "threshold"]).loc[sub].reset_index()

    identical = True
    try:
        pd.testing.assert_frame_equal(t_ig_sub_share, slow, check_exact=True)
    except AssertionError as exc:  # pragma: no cover - reported, not hidden
        identical = False
        print("MISMATCH:", exc)

    d1 = fast[fast.threshold == 1]
    print(f"graph: {net.n} nodes, {len(net.years)} years x {len(net.thresholds)} thresholds "
          f"= {total} graphs; {len(net.edges):,} pair-year ties (build {t_build:.1f} s)")
    print(f"density at threshold 1: {d1.density.min():.4f} ({d1.year.min()}) .. "
          f"{d1.density.max():.4f}; edges {d1.edges.min():,} .. {d1.edges.max():,}")
    print(f"igraph backend (fast path), all {total} graphs: {t_ig:.2f} s "
          f"({t_ig / total * 1000:.0f} ms/graph)")
    if k == total:
        t_nx = t_nx_sub
        print(f"networkx backend, all {total} graphs: {t_nx:.2f} s")
    else:
        t_nx = t_nx_sub / k * total
        print(f"networkx backend, {k} of {total} graphs (spread over the years): "
              f"{t_nx_sub:.2f} s -> EXTRAPOLATED to {total} graphs: {t_nx:.1f} s")
    print(f"ratio networkx / igraph: {t_nx / t_ig:.1f}x (goal >= 10x)")
    print(f"numbers identical on the {k} graphs both ran: {identical}")


if __name__ == "__main__":
    main()
