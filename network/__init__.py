"""pairnet layer: network — yearly directed investment networks and their metrics."""

from pairnet.network.graphs import YearlyNetworks, parse_thresholds
from pairnet.network.metrics import METRIC_COLUMNS, communities, graph_metrics, network_metrics
from pairnet.network.pipeline import NetworkOptions, NetworkResult, network_analysis

__all__ = ["YearlyNetworks", "parse_thresholds", "METRIC_COLUMNS", "communities",
           "graph_metrics", "network_metrics", "NetworkOptions", "NetworkResult",
           "network_analysis"]
