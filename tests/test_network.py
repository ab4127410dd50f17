"""Yearly networks: canonical form, hand-checkable metrics, backend equality, round trips."""

from __future__ import annotations

import itertools
import json
import math
import warnings

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from pairnet.core.errors import InputError
from pairnet.network.graphs import YearlyNetworks, parse_thresholds
from pairnet.network.metrics import METRIC_COLUMNS, communities, graph_metrics, network_metrics
from pairnet.network.pipeline import NetworkResult, network_analysis


def flows(rows):
    return pd.DataFrame(rows, columns=["origin", "destination", "year", "count"])


def one(net, year, t, backend="igraph"):
    return graph_metrics(net, year, t, backend=backend)


def random_flows(seed, n=30, years=(2000, 2001, 2002), p=0.12, floats=False):
    rng = np.random.default_rng(seed)
    nodes = [f"{i:04d}" for i in range(n)]
    rows = []
    for y in years:
        for i, j in itertools.permutations(range(n), 2):
            if rng.random() < p:
                c = rng.gamma(1.0, 4.0) if floats else int(rng.integers(0, 15))
                rows.append((nodes[i], nodes[j], y, c))
    return flows(rows), nodes


# ------------------------------------------------------------------ hand-checkable graphs
@pytest.mark.parametrize("backend", ["igraph", "networkx"])
def test_complete_digraph_k5(backend):
    nodes = list("abcde")
    net = YearlyNetworks.from_flows(
        flows([(i, j, 2000, 1) for i, j in itertools.permutations(nodes, 2)]), nodes)
    m = one(net, 2000, 1, backend)
    assert (m["nodes"], m["edges"]) == (5, 20)
    assert m["density"] == 1.0
    assert m["reciprocity"] == 1.0
    assert m["mean_out_degree"] == m["mean_in_degree"] == 4.0
    assert m["max_out_degree"] == m["max_in_degree"] == 4
    assert m["weighted_density"] == 1.0
    assert m["out_centralization"] == m["in_centralization"] == 0.0
    assert (m["isolates"], m["weak_components"], m["strong_components"]) == (0, 1, 1)
    assert m["transitivity"] == 1.0
    # equal strengths: node order breaks the tie
    assert m["top_out_hubs"] == "a (4); b (4); c (4)"


@pytest.mark.parametrize("backend", ["igraph", "networkx"])
def test_single_reciprocal_pair_and_an_isolate(backend):
    pair = flows([("a", "b", 2000, 2), ("b", "a", 2000, 7)])
    m2 = one(YearlyNetworks.from_flows(pair, ["a", "b"]), 2000, 1, backend)
    assert m2["density"] == 1.0 and m2["reciprocity"] == 1.0
    m3 = one(YearlyNetworks.from_flows(pair, ["a", "b", "c"]), 2000, 1, backend)
    # the isolate counts in n: 2 / (3 * 2)
    assert m3["density"] == pytest.approx(1 / 3, abs=0, rel=1e-15)
    assert m3["density"] < m2["density"]
    assert m3["weighted_density"] == pytest.approx(9 / 6, rel=1e-15)
    assert (m3["isolates"], m3["weak_components"], m3["strong_components"]) == (1, 2, 2)
    assert m3["top_out_hubs"] == "b (7); a (2)"
    assert m3["top_in_hubs"] == "a (7); b (2)"
    assert math.isnan(m3["transitivity"])  # no connected triples


@pytest.mark.parametrize("backend", ["igraph", "networkx"])
def test_one_way_tie_and_isolate_lowers_density(backend):
    f = flows([("a", "b", 2000, 1)])
    assert one(YearlyNetworks.from_flows(f, ["a", "b"]), 2000, 1, backend)["density"] == 0.5
    m = one(YearlyNetworks.from_flows(f, ["a", "b", "c"]), 2000, 1, backend)
    assert m["density"] == 1 / 6
    assert m["reciprocity"] == 0.0
    assert (m["weak_components"], m["strong_components"]) == (2, 3)


@pytest.mark.parametrize("backend", ["igraph", "networkx"])
def test_out_star_centralization_and_triangle(backend):
    hub = [("h", x, 2000, 1) for x in "abcd"]
    cyc = [("a", "b", 2001, 1), ("b", "c", 2001, 1), ("c", "a", 2001, 1)]
    net = YearlyNetworks.from_flows(flows(hub + cyc), ["h", "a", "b", "c", "d"])
    star = one(net, 2000, 1, backend)
    assert star["out_centralization"] == 1.0  # sum(4 - k) = 16 = (n-1)^2
    assert star["in_centralization"] == 1 / 16  # max in 1: 5*1 - 4 = 1
    assert star["transitivity"] == 0.0  # 6 triples at h, no triangle
    tri = one(net, 2001, 1, backend)
    assert tri["transitivity"] == 1.0
    assert (tri["strong_components"], tri["weak_components"], tri["isolates"]) == (3, 3, 2)


def test_thresholds_are_inclusive_and_missing_rows_are_zero():
    f = flows([("a", "b", 2000, 3), ("b", "a", 2000, 2), ("a", "c", 2002, 10)])
    net = YearlyNetworks.from_flows(f, ["a", "b", "c"], [1, 3, 5, 10])
    assert net.years == (2000, 2001, 2002)  # 2001 has no rows: no ties, still a year
    tab = network_metrics(net).set_index(["year", "threshold"])
    assert tab.loc[(2000, 1), "edges"] == 2
    assert tab.loc[(2000, 3), "edges"] == 1  # count 3 meets threshold 3
    assert tab.loc[(2000, 5), "edges"] == 0
    assert tab.loc[(2002, 10), "edges"] == 1  # count 10 meets threshold 10
    assert (tab.loc[2001, "edges"] == 0).all() and (tab.loc[2001, "density"] == 0).all()
    assert (tab.loc[2001, "isolates"] == 3).all()
    assert list(network_metrics(net).columns) == list(METRIC_COLUMNS)
    # zero-count rows are the same as absent rows
    with_zero = pd.concat([f, flows([("c", "b", 2001, 0)])], ignore_index=True)
    assert YearlyNetworks.from_flows(with_zero, ["a", "b", "c"], [1, 3, 5, 10]) == net


def test_ids_stay_strings_with_leading_zeros():
    f = flows([("0755", "007", 2000, 2), ("007", "0755", 2000, 1)])
    net = YearlyNetworks.from_flows(f, ["007", "0755", "00"])
    assert net.nodes == ("007", "0755", "00")
    assert set(net.to_networkx(2000, 1).nodes) == {"007", "0755", "00"}
    assert net.to_igraph(2000, 1).vs["name"] == ["007", "0755", "00"]
    assert one(net, 2000, 1)["top_out_hubs"] == "0755 (2); 007 (1)"


def test_large_integer_ids_keep_every_digit():
    # 17-digit ids are not exact as floats (12345678901234567 -> ...568); they must not pass
    # through float on their way to strings
    big = 12345678901234567
    f = pd.DataFrame({"origin": [big, 7], "destination": [7, big], "year": [2000, 2000],
                      "count": [1, 2]})
    net = YearlyNetworks.from_flows(f, None)
    assert net.nodes == ("12345678901234567", "7")


def test_self_loops_warned_counted_and_ignored():
    f = flows([("a", "a", 2000, 4), ("a", "b", 2000, 1)])
    with pytest.warns(UserWarning, match="1 self-loop row.*total count 4"):
        net = YearlyNetworks.from_flows(f, ["a", "b"])
    assert len(net.self_loops) == 1 and len(net.edges) == 1
    assert one(net, 2000, 1)["edges"] == 1
    assert not any(u == v for u, v in net.to_networkx(2000).edges)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("rows, nodes, needle", [
    ([("a", "b", 2000, 1), ("a", "c", 2000, -2)], None, "column 'count', row 2: negative"),
    ([("a", "b", 2000, 1), ("a", "c", 2000.5, 2)], None, "column 'year', row 2: non-integer"),
    ([("a", "b", 2000, 1), ("a", "b", 2000, 2)], None, "rows 1, 2: duplicate"),
    ([("a", "b", 2000, 1), ("a", "z", 2000, 2)], ["a", "b"], "column 'destination', row 2"),
    ([("a", "b", 2000, 1), ("a", "b", 2001, None)], None, "row 2: missing"),
])
def test_bad_input_names_rows(rows, nodes, needle):
    with pytest.raises(InputError, match=needle):
        YearlyNetworks.from_flows(flows(rows), nodes, file="f.csv")


def test_bad_thresholds_and_repeated_nodes():
    with pytest.raises(InputError, match="must be > 0"):
        parse_thresholds(["1", "0"])
    assert parse_thresholds(["10", "1", "3.0", "3"]) == (1, 3, 10)
    with pytest.raises(InputError, match="listed twice"):
        YearlyNetworks.from_flows(flows([("a", "b", 2000, 1)]), ["a", "b", "a"])


# ------------------------------------------------------------------ backends and round trips
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_backends_agree_exactly_on_random_graphs(seed):
    f, nodes = random_flows(seed)
    net = YearlyNetworks.from_flows(f[f.origin != f.destination], nodes + ["iso"], [1, 3, 5, 10])
    a = network_metrics(net, "igraph")
    b = network_metrics(net, "networkx")
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert (a["isolates"] >= 1).all()
    # the same numbers networkx's own functions give
    for (y, t), row in a.set_index(["year", "threshold"]).iterrows():
        g = net.to_networkx(y, t)
        assert row["density"] == pytest.approx(nx.density(g), rel=1e-12)
        if g.number_of_edges():
            assert row["reciprocity"] == pytest.approx(nx.reciprocity(g), rel=1e-12)
        if not math.isnan(row["transitivity"]):
            assert row["transitivity"] == pytest.approx(nx.transitivity(g.to_undirected()),
                                                        rel=1e-12)


def test_backends_agree_with_fractional_counts():
    f, nodes = random_flows(7, floats=True)
    net = YearlyNetworks.from_flows(f, nodes, [0.5, 2.5])
    a = network_metrics(net, "igraph").drop(columns=["top_out_hubs", "top_in_hubs"])
    b = network_metrics(net, "networkx").drop(columns=["top_out_hubs", "top_in_hubs"])
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_round_trips_networkx_and_igraph_are_lossless():
    f, nodes = random_flows(4, n=15)
    net = YearlyNetworks.from_flows(f[f.origin != f.destination], ["x"] + nodes, [1, 5])
    back_nx = YearlyNetworks.from_networkx({y: net.to_networkx(y) for y in net.years},
                                           net.thresholds)
    back_ig = YearlyNetworks.from_igraph({y: net.to_igraph(y) for y in net.years},
                                         net.thresholds)
    assert back_nx == net and back_ig == net
    assert back_nx.nodes[0] == "x"  # node order and isolates survive
    # a thresholded export holds exactly the ties with count >= t
    g = net.to_igraph(2001, 5)
    tab = net.tie_table(2001)
    assert g.ecount() == int((tab["count"] >= 5).sum())
    assert g.vcount() == net.n


def test_communities_seeded_and_reproducible():
    f, nodes = random_flows(5, n=25)
    net = YearlyNetworks.from_flows(f[f.origin != f.destination], nodes, [1, 5])
    for method in ("leiden", "infomap"):
        m1, s1 = communities(net, method, seed=3)
        m2, s2 = communities(net, method, seed=3)
        pd.testing.assert_frame_equal(m1, m2)
        pd.testing.assert_frame_equal(s1, s2)
        assert len(m1) == net.n * len(net.years) * len(net.thresholds)
        assert (s1["modularity"].dropna() <= 1).all()
    # two disjoint complete triads are two communities
    tri = [(i, j, 2000, 1) for grp in ("abc", "def") for i, j in itertools.permutations(grp, 2)]
    memb, summ = communities(YearlyNetworks.from_flows(flows(tri), list("abcdef")), "leiden")
    assert memb["community"].tolist() == [0, 0, 0, 1, 1, 1]
    assert summ["communities"].tolist() == [2]


def test_network_analysis_result_and_its_step_folder(tmp_path):
    from pairnet.core.outputs import write_result
    from pairnet.core.results import Result

    f, nodes = random_flows(6, n=12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        res = network_analysis(f, nodes, [1, 3, 5, 10], communities_method="leiden")
    assert isinstance(res, NetworkResult) and isinstance(res, Result)
    metrics = res.tidy()
    assert "communities" in metrics and "modularity" in metrics
    assert res.membership is not None and set(res.data_files()) == {"communities.csv"}
    with pytest.raises(AttributeError):
        res.metrics = metrics  # frozen
    out = tmp_path / "net"
    step = write_result(res, out)
    assert step.title == "Yearly investment networks"
    for p in ("results.json", "outputs.json", "tables/metrics.csv", "tables/metrics.html",
              "figures/density.png", "figures/density.svg", "communities.csv"):
        assert (out / p).is_file(), p
    res_json = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert res_json == res.to_dict()
    assert len(res_json["metrics"]) == len(metrics) == 12
    assert set(res_json["density"]) == {"1", "3", "5", "10"}
    s = res_json["density"]["3"]
    want = metrics[metrics.threshold == 3].sort_values("year")
    assert s["years"] == [2000, 2001, 2002] and s["density"] == want["density"].tolist()
    assert res_json["self_loops_ignored"]["rows"] == int((f.origin == f.destination).sum())
    assert res_json["communities"] == "leiden" and res_json["communities_file"] == "communities.csv"
    memb = pd.read_csv(out / "communities.csv", dtype={"node": str})
    assert len(memb) == 12 * 3 * 4  # nodes x years x thresholds
    assert "threshold 3" in res.summary()
    # without communities: no data file, no communities_file key
    plain = network_analysis(f[f.origin != f.destination], nodes, [1, 3])
    assert plain.data_files() == {} and "communities_file" not in plain.to_dict()
    assert list(plain.figures()) == ["density"]
    assert plain.figures()["density"].title == "Figure 3. Network density by threshold (A\u2013B)"


def test_network_analysis_checks_options_by_parameter_name():
    f, nodes = random_flows(1, n=5)
    with pytest.raises(InputError, match="`backend`"):
        network_analysis(f, nodes, backend="gephi")
    with pytest.raises(InputError, match="`communities_method`"):
        network_analysis(f, nodes, communities_method="louvain")


def test_canonical_form_numeric_ids_and_order():
    f = pd.DataFrame({"origin": [2, 1, 1], "destination": [1, 2, 3], "year": [2001.0, 2000, 2001],
                      "count": [1, 0, 2]})
    net = YearlyNetworks.from_flows(f, ["3", "2", "1"], years=range(1999, 2003))
    assert net.years == (1999, 2000, 2001, 2002)
    # zero-count row dropped; sorted by (year, origin position, destination position)
    assert net.edges[["origin", "destination"]].values.tolist() == [["2", "1"], ["1", "3"]]
    assert net.edges["year"].tolist() == [2001, 2001]
    assert net.edges["count"].dtype == np.int64
    assert one(net, 1999, 1)["edges"] == 0
    with pytest.raises(InputError, match="outside the years"):
        YearlyNetworks.from_flows(f, ["1", "2", "3"], years=[2001])


def test_nodes_given_as_a_string_is_a_clear_error():
    from pairnet.core.errors import InputError
    from pairnet.network.graphs import YearlyNetworks

    flows = pd.DataFrame({"origin": ["1"], "destination": ["2"], "year": [2000], "count": [1]})
    with pytest.raises(InputError, match="list of ids.*resolve_cities"):
        YearlyNetworks.from_flows(flows, "GD")
