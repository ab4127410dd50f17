"""Network analysis: flows -> yearly networks -> metrics, returned as a :class:`NetworkResult`.

:func:`network_analysis` only computes; :func:`pairnet.core.outputs.write_result` turns its
result into the step folder (``results.json``, ``tables/metrics.*``, ``figures/density.*`` and,
with communities, ``communities.csv``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pairnet.core.i18n import Native, Text
from pairnet.core.options import check_literal
from pairnet.core.results import Figure, ResultBase, Table
from pairnet.core.tables import to_jsonable
from pairnet.network.figures import density_figure, density_series, panel_letter
from pairnet.network.graphs import YearlyNetworks
from pairnet.network.metrics import Backend, CommunityMethod, communities, network_metrics

__all__ = ["NetworkOptions", "NetworkResult", "network_analysis", "named_hubs"]

_NOTE = Text("Edge i\u2192j iff count \u2265 threshold; n counts every listed node (isolates "
             "included); density = m / (n(n\u22121)); self-loops ignored.",
             "当投资数目 \u2265 阈值时存在连边 i\u2192j；n 为全部列出的节点数（含孤立节点）；密度 = "
             "m / (n(n\u22121))；忽略自环。")


_HUB = re.compile(r"(\S+) \(([^)]*)\)")


def named_hubs(metrics: pd.DataFrame, hubs: int = 3) -> pd.DataFrame:
    """Display copy of the metrics: hub cells as short city names, e.g. "深圳 120; 广州 95".

    Node ids that are 6-digit adcodes get their name (without the 市/地区 suffix; pinyin in an
    English report, a :class:`~pairnet.core.i18n.Native` cell); other ids are kept. At most
    ``hubs`` hubs per cell.
    """
    cols = [c for c in ("top_out_hubs", "top_in_hubs") if c in metrics.columns]
    if not cols:
        return metrics
    from pairnet.spatial.cities import city_names, english_name, short_name

    codes = sorted({m.group(1) for c in cols for v in metrics[c].dropna().astype(str)
                    for m in _HUB.finditer(v)})
    adcodes = [c for c in codes if len(c) == 6 and c.isdigit()]
    names = {k: short_name(v, ("市", "地区")) for k, v in city_names(adcodes).items()}

    def short(v: object) -> str:
        if not isinstance(v, str):
            return ""
        found = list(_HUB.finditer(v))[:hubs]
        return Native("; ".join(f"{names.get(m.group(1), m.group(1))} {m.group(2)}"
                                for m in found),
                      "; ".join(f"{english_name(names[m.group(1)]) if m.group(1) in names else m.group(1)}"
                                f" {m.group(2)}" for m in found))

    out = metrics.copy()
    for c in cols:  # an object column: pandas' str dtype would drop the Native (English) form
        out[c] = pd.Series([short(v) for v in out[c]], index=out.index, dtype=object)
    return out


@dataclass(frozen=True)
class NetworkOptions:
    """How the networks were measured (the defaults of :func:`network_analysis`)."""

    #: who counts: ``igraph`` (fast) or ``networkx``; the numbers are identical
    backend: Backend = "igraph"
    #: community detection per year and threshold: ``leiden``, ``infomap`` or ``none``
    communities_method: CommunityMethod = "none"
    #: seed of the community detection
    seed: int = 0
    #: hubs listed in ``top_out_hubs`` / ``top_in_hubs``
    hubs: int = 3


@dataclass(frozen=True, eq=False)
class NetworkResult(ResultBase):
    """Yearly investment networks and their metrics.

    Attributes
    ----------
    networks : YearlyNetworks
        The canonical networks (node list, years, thresholds, edge table, ignored self-loops).
    metrics : DataFrame
        One row per year and threshold, columns
        :data:`pairnet.network.metrics.METRIC_COLUMNS` (plus ``communities, modularity`` when
        communities were detected).
    membership : DataFrame or None
        ``year, threshold, node, community`` when communities were detected.
    options : NetworkOptions
        The options used.
    """

    networks: YearlyNetworks
    metrics: pd.DataFrame
    membership: pd.DataFrame | None = None
    options: NetworkOptions = field(default_factory=NetworkOptions)

    title = "Yearly investment networks"

    def tidy(self) -> pd.DataFrame:
        """The metrics table (one row per year and threshold)."""
        return self.metrics.copy()

    def summary(self) -> str:
        """Sizes of the networks and the density range per threshold (returned, not printed)."""
        m = self.metrics
        lines = [f"{self.title}: {self.networks.n} nodes, {len(self.networks.years)} year(s) x "
                 f"{len(self.networks.thresholds)} threshold(s), backend {self.options.backend}"]
        for t, part in m.groupby("threshold", sort=True):
            d = part["density"].astype(float)
            lines.append(f"  threshold {t:g}: density {d.min():.3f} .. {d.max():.3f}, "
                         f"ties {int(part['edges'].min())} .. {int(part['edges'].max())}")
        loops = self.networks.self_loops
        if len(loops):
            lines.append(f"  {len(loops)} self-loop row(s) ignored")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """``results.json``: nodes, years, thresholds, ignored self-loops, metrics, density.

        ``density`` is the per-threshold series ``{"1": {"threshold", "years", "density"}}``;
        ``backend``, ``communities`` and ``seed`` are the options, and ``communities_file``
        names the membership file when communities were detected.
        """
        loops = self.networks.self_loops
        out: dict[str, Any] = {
            "nodes": list(self.networks.nodes),
            "n_nodes": self.networks.n,
            "years": list(self.networks.years),
            "thresholds": list(self.networks.thresholds),
            "self_loops_ignored": {"rows": len(loops),
                                   "count": float(pd.to_numeric(loops["count"]).sum())
                                   if len(loops) else 0.0},
            "metrics": self.metrics,
            "density": density_series(self.metrics),
            "backend": self.options.backend,
            "communities": self.options.communities_method,
            "seed": self.options.seed,
        }
        if self.membership is not None:
            out["communities_file"] = "communities.csv"
        return to_jsonable(out)

    def tables(self) -> dict[str, Table]:
        """``metrics``: the metrics with hubs shown as city names."""
        return {"metrics": Table(
            named_hubs(self.metrics), Text("Network metrics per year and threshold",
                                           "各年份与阈值的网络指标"),
            _NOTE + Text(" Top hubs: the three cities with the largest out- (in-) strength, "
                         "i.e. the sum of counts over qualifying ties, shown as 'name strength'; "
                         "results.json keeps the adcodes. Shares and coefficients to 3 decimals.",
                         " 主要枢纽：出（入）强度最大的三个城市，强度为满足阈值的连边上的投资数目之和，"
                         "显示为“名称 强度”；results.json 保留行政区划代码。比例与系数保留 3 位小数。"),
            decimals=_metric_decimals(self.metrics))}

    def figures(self) -> dict[str, Figure]:
        """``density``: Figure 3, density over the years, one panel per threshold."""
        metrics = self.metrics
        thresholds = sorted(metrics["threshold"].unique())
        letters = ", ".join(f"{panel_letter(i)}: threshold {t:g}"
                            for i, t in enumerate(thresholds))
        letters_zh = "，".join(f"{panel_letter(i)}：阈值 {t:g}" for i, t in enumerate(thresholds))
        k = len(thresholds)
        panels = "A" if k <= 1 else f"A\u2013{panel_letter(k - 1)}"
        return {"density": Figure(lambda lang: density_figure(metrics, lang=lang),
                                  Text(f"Figure 3. Network density by threshold ({panels})",
                                       f"图 3 不同阈值下的网络密度（{panels}）"),
                                  Text(f"Panels {letters}. ", f"{letters_zh}。") + _NOTE)}

    def data_files(self) -> dict[str, pd.DataFrame]:
        """``communities.csv`` (one row per node, year and threshold) when detected."""
        # too long for the HTML/LaTeX table formats, so a plain data file
        return {} if self.membership is None else {"communities.csv": self.membership}


def network_analysis(
    flows: pd.DataFrame,
    nodes: Sequence[str] | None,
    thresholds: Iterable[Any] = (1, 3, 5, 10),
    *,
    years: Iterable[int] | None = None,
    backend: Backend = "igraph",
    communities_method: CommunityMethod = "none",
    seed: int = 0,
    hubs: int = 3,
    file: str | None = None,
) -> NetworkResult:
    """Build the yearly networks from a flows table and measure them.

    Parameters
    ----------
    flows : DataFrame
        ``origin, destination, year, count`` (validated by :meth:`YearlyNetworks.from_flows`).
    nodes : sequence of str or None
        The full node list (isolates included); None = ids seen in the flows.
    thresholds : iterable of number
        Connection thresholds (tie iff ``count >= t``).
    years : iterable of int, optional
        Years to cover; default every year from the first to the last in ``flows``.
    backend : {"igraph", "networkx"}
        Who counts (identical numbers; see :mod:`pairnet.network.metrics`).
    communities_method : {"none", "leiden", "infomap"}
        Community detection per year and threshold (adds ``communities, modularity`` to the
        metrics and the membership table).
    seed : int
        Seed of the community detection.
    hubs : int
        Hubs listed per metrics row.
    file : str, optional
        Name of the flows' source, for messages.

    Returns
    -------
    NetworkResult

    Raises
    ------
    InputError
        Bad flows, nodes, thresholds, years or options.

    Warns
    -----
    UserWarning
        Self-loop rows (origin == destination) are ignored.
    """
    check_literal(backend, Backend, "backend")
    check_literal(communities_method, CommunityMethod, "communities_method")
    networks = YearlyNetworks.from_flows(flows, nodes, thresholds, years=years, file=file)
    metrics = network_metrics(networks, backend, hubs=hubs)
    membership = None
    if communities_method != "none":
        membership, summary = communities(networks, communities_method, seed=seed)
        metrics = metrics.merge(summary, on=["year", "threshold"], how="left")
    return NetworkResult(networks, metrics, membership,
                         NetworkOptions(backend, communities_method, seed, hubs))


def _metric_decimals(metrics: pd.DataFrame) -> dict[str, int]:
    """Decimals per metric: shares, densities and coefficients to 3; others automatic."""
    return {c: 3 for c in metrics.columns
            if pd.api.types.is_float_dtype(metrics[c])
            and c not in ("year", "threshold") and not c.endswith(("strength", "count"))}
