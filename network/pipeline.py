"""``run_network``: flows -> yearly networks -> metrics table, density figure, results.json."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from pairnet.network.figures import density_figure, density_series, panel_letter
from pairnet.network.graphs import YearlyNetworks
from pairnet.network.metrics import Backend, CommunityMethod, communities, network_metrics

from pairnet.core.outputs import write_outputs
from pairnet.core.results import Figure, Table
from pairnet.core.tables import write_table

__all__ = ["run_network", "write_network_outputs"]

_NOTE = ("Edge i\u2192j iff count \u2265 threshold; n counts every listed node (isolates "
         "included); density = m / (n(n\u22121)); self-loops ignored.")


_HUB = re.compile(r"(\S+) \(([^)]*)\)")


def named_hubs(metrics: pd.DataFrame, hubs: int = 3) -> pd.DataFrame:
    """Display copy of the metrics: hub cells as short city names, e.g. "深圳 120; 广州 95".

    Node ids that are 6-digit adcodes get their name (without the 市/地区 suffix); other ids are
    kept. At most ``hubs`` hubs per cell.
    """
    cols = [c for c in ("top_out_hubs", "top_in_hubs") if c in metrics.columns]
    if not cols:
        return metrics
    from pairnet.spatial.cities import city_names, short_name

    codes = sorted({m.group(1) for c in cols for v in metrics[c].dropna().astype(str)
                    for m in _HUB.finditer(v)})
    adcodes = [c for c in codes if len(c) == 6 and c.isdigit()]
    names = {k: short_name(v, ("市", "地区")) for k, v in city_names(adcodes).items()}

    def short(v: object) -> str:
        if not isinstance(v, str):
            return ""
        parts = [f"{names.get(m.group(1), m.group(1))} {m.group(2)}"
                 for m in _HUB.finditer(v)][:hubs]
        return "; ".join(parts)

    out = metrics.copy()
    for c in cols:
        out[c] = out[c].map(short)
    return out


def write_network_outputs(networks: YearlyNetworks, metrics: pd.DataFrame,
                          out_dir: str | Path, *, membership: pd.DataFrame | None = None,
                          extra: dict[str, Any] | None = None) -> Path:
    """Write results.json, tables/metrics.*, figures/density.* (and communities.csv).

    ``results.json`` holds ``metrics`` (list of records), ``density`` (per-threshold series
    ``{"1": {"threshold", "years", "density"}}``), ``nodes``, ``years``, ``thresholds``,
    ``self_loops_ignored`` (rows, total count) and anything in ``extra``.
    """
    loops = networks.self_loops
    results: dict[str, Any] = {
        "nodes": list(networks.nodes),
        "n_nodes": networks.n,
        "years": list(networks.years),
        "thresholds": list(networks.thresholds),
        "self_loops_ignored": {"rows": len(loops),
                               "count": float(pd.to_numeric(loops["count"]).sum())
                               if len(loops) else 0.0},
        "metrics": metrics,
        "density": density_series(metrics),
        **(extra or {}),
    }
    tables = {"metrics": Table(named_hubs(metrics), "Network metrics per year and threshold",
                               _NOTE + " Top hubs: the three cities with the largest out- "
                               "(in-) strength, i.e. the sum of counts over qualifying ties, "
                               "shown as 'name strength'; results.json keeps the adcodes.")}
    if membership is not None:
        # one row per node x year x threshold: too long for the HTML/LaTeX table formats
        write_table(membership, Path(out_dir) / "communities.csv")
        results["communities_file"] = "communities.csv"
    fig = density_figure(metrics)
    letters = ", ".join(f"{panel_letter(i)}: threshold {t:g}"
                        for i, t in enumerate(sorted(metrics["threshold"].unique())))
    k = int(metrics["threshold"].nunique())
    panels = "A" if k <= 1 else f"A\u2013{panel_letter(k - 1)}"
    return write_outputs(
        out_dir, results=results, tables=tables,
        figures={"density": Figure(
            fig, f"Figure 3. Network density by threshold ({panels})", f"Panels {letters}. "
            + _NOTE)},
        title="Yearly investment networks")


def run_network(flows: pd.DataFrame, nodes: Sequence[str] | None,
                thresholds: Iterable[Any] = (1, 3, 5, 10), out_dir: str | Path | None = None,
                *, years: Iterable[int] | None = None, backend: Backend = "igraph",
                communities_method: CommunityMethod = "none", seed: int = 0, hubs: int = 3,
                file: str | None = None) -> pd.DataFrame:
    """Build the yearly networks from a flows table, compute metrics, and write the outputs.

    Parameters
    ----------
    flows : DataFrame
        ``origin, destination, year, count`` (validated by :meth:`YearlyNetworks.from_flows`).
    nodes : sequence of str or None
        The full node list (isolates included); None = ids seen in the flows.
    thresholds : iterable of number
        Connection thresholds (tie iff ``count >= t``).
    out_dir : path, optional
        When given, the step folder (see :func:`write_network_outputs`).
    years, backend, communities_method, seed, hubs, file
        See :meth:`YearlyNetworks.from_flows` and :func:`pairnet.network.metrics.network_metrics`.

    Returns
    -------
    DataFrame
        The metrics table (one row per year and threshold).
    """
    networks = YearlyNetworks.from_flows(flows, nodes, thresholds, years=years, file=file)
    metrics = network_metrics(networks, backend, hubs=hubs)
    membership = None
    if communities_method != "none":
        membership, summary = communities(networks, communities_method, seed=seed)
        metrics = metrics.merge(summary, on=["year", "threshold"], how="left")
    if out_dir is not None:
        write_network_outputs(networks, metrics, out_dir, membership=membership,
                              extra={"backend": backend, "communities": communities_method,
                                     "seed": seed})
    return metrics
