"""``pairnet network``: options, node resolution, outputs, and exit 2 naming rows."""

from __future__ import annotations

import json

import pandas as pd
import pytest

FLOWS = """origin,destination,year,count
440100,440300,2000,3
440300,440100,2000,5
440100,441400,2001,1
0755,440100,2001,3
440100,440100,2001,4
"""


@pytest.fixture
def flows_csv(tmp_path):
    p = tmp_path / "flows.csv"
    p.write_text(FLOWS, encoding="utf-8")
    return p


def test_cli_metrics_figure_and_nodes(run_cli, flows_csv, tmp_path):
    out = tmp_path / "m.csv"
    res = run_cli("network", flows_csv, "--nodes", "广州,440300,梅州,0755,PRD",
                  "--thresholds", "1,3,5,10", "--out", out, "--fig-dir", tmp_path / "fig",
                  "--communities", "leiden")
    assert res.code == 0, res.stderr
    assert "self-loop" in res.stderr  # warned, not fatal
    m = pd.read_csv(out, dtype={"top_out_hubs": str})
    # 广州, 深圳, 梅州, the raw id 0755, plus the 7 other PRD prefectures: 11 nodes
    assert (m["nodes"] == 11).all()
    assert len(m) == 8 and sorted(m["threshold"].unique()) == [1, 3, 5, 10]
    row = m[(m.year == 2000) & (m.threshold == 3)].iloc[0]
    assert row["edges"] == 2 and row["density"] == pytest.approx(2 / 110, rel=1e-12)
    assert m[(m.year == 2000) & (m.threshold == 5)].iloc[0]["edges"] == 1
    res_json = json.loads((tmp_path / "fig" / "results.json").read_text(encoding="utf-8"))
    assert "0755" in res_json["nodes"]
    assert (tmp_path / "fig" / "figures" / "density.svg").is_file()
    assert "0755 (3)" in m[(m.year == 2001) & (m.threshold == 1)].iloc[0]["top_out_hubs"]


def test_cli_backends_give_identical_tables(run_cli, flows_csv, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert run_cli("network", flows_csv, "--out", a, "--backend", "igraph").code == 0
    assert run_cli("network", flows_csv, "--out", b, "--backend", "networkx").code == 0
    assert a.read_text() == b.read_text()


def test_cli_nodes_from_file_keep_raw_ids(run_cli, tmp_path):
    f = tmp_path / "f.csv"
    f.write_text("origin,destination,year,count\nA01,B02,2010,2\n", encoding="utf-8")
    ids = tmp_path / "ids.txt"
    ids.write_text("A01\nB02\n", encoding="utf-8")
    res = run_cli("network", f, "--nodes", ids, "--out", tmp_path / "o.csv")
    assert res.code == 0, res.stderr
    assert pd.read_csv(tmp_path / "o.csv")["nodes"].tolist() == [2, 2, 2, 2]


@pytest.mark.parametrize("body, args, needle", [
    ("a,b,2000,1\na,c,2000,-1\n", (), "row 2: negative"),
    ("a,b,2000,1\na,c,2000.5,1\n", (), "row 2: non-integer year"),
    ("a,b,2000,1\nb,a,2000,1\na,b,2000,4\n", (), "rows 1, 3: duplicate"),
    ("440100,440300,2000,1\n440100,999,2000,1\n", ("--nodes", "440100,440300"),
     "column 'destination', row 2: id '999' is not in the node list"),
    ("a,b,2000,1\n", ("--nodes", "a,b,nowhere", "--strict-nodes"),
     "'nowhere' is neither an id in the flows nor a city"),
    ("a,b,2000,1\n", ("--nodes", "@missing.txt"), "does not exist"),
    ("a,b,2000,1\n", ("--thresholds", "1,-3"), "must be > 0"),
    ("a,b,2000,1\n", ("--backend", "snap"), "--backend"),
])
def test_cli_bad_input_exits_2(run_cli, tmp_path, body, args, needle):
    f = tmp_path / "bad.csv"
    f.write_text("origin,destination,year,count\n" + body, encoding="utf-8")
    res = run_cli("network", f, "--out", tmp_path / "o.csv", *args)
    assert res.code == 2
    assert needle in res.stderr
    assert not (tmp_path / "o.csv").exists()


def test_cli_years_option_adds_empty_years(run_cli, flows_csv, tmp_path):
    out = tmp_path / "y.csv"
    res = run_cli("network", flows_csv, "--years", "1999-2002", "--thresholds", "1",
                  "--out", out, "--communities", "infomap", "--fig-dir", tmp_path / "d")
    assert res.code == 0, res.stderr
    m = pd.read_csv(out)
    assert m["year"].tolist() == [1999, 2000, 2001, 2002]
    assert m["edges"].tolist() == [0, 2, 2, 0]
    memb = pd.read_csv(tmp_path / "d" / "communities.csv", dtype={"node": str})
    assert len(memb) == 4 * m["nodes"].iloc[0] and "0755" in set(memb["node"])
    bad = run_cli("network", flows_csv, "--years", "2001-2002", "--out", tmp_path / "z.csv")
    assert bad.code == 2 and "rows 1, 2: year 2000 is outside" in bad.stderr


ONE_TIE = "origin,destination,year,count\n01,02,2000,1\n"


def test_cli_literal_isolate_lowers_density_and_warns(run_cli, tmp_path):
    f = tmp_path / "f.csv"
    f.write_text(ONE_TIE, encoding="utf-8")
    base, iso = tmp_path / "base.csv", tmp_path / "iso.csv"
    assert run_cli("network", f, "--thresholds", "1", "--out", base).code == 0
    res = run_cli("network", f, "--nodes", "01,02,03", "--thresholds", "1", "--out", iso,
                  "--fig-dir", tmp_path / "d")
    assert res.code == 0, res.stderr
    b, m = pd.read_csv(base).iloc[0], pd.read_csv(iso).iloc[0]
    # one edge: n = 2 gives 1 / (2*1); the isolate '03' makes n = 3, so 1 / (3*2)
    assert b["density"] == pytest.approx(1 / 2, rel=1e-12)
    assert m["nodes"] == 3 and m["edges"] == 1 and m["isolates"] == 1
    assert m["density"] == pytest.approx(1 / 6, rel=1e-12)
    nodes = json.loads((tmp_path / "d" / "results.json").read_text(encoding="utf-8"))["nodes"]
    assert list(nodes) == ["01", "02", "03"]
    assert ("pairnet network: warning: --nodes: '03' matches neither an id in the flows nor "
            "a city; kept literally as isolated node(s)") in res.stderr
    assert "--strict-nodes" in res.stderr


def test_cli_warning_lists_only_unmatched_tokens(run_cli, tmp_path):
    f = tmp_path / "f.csv"
    f.write_text(ONE_TIE, encoding="utf-8")
    # X9 and 03 are ids of no flow and no city: kept literally, and the warning names them
    # (not 广州 or 01)
    res = run_cli("network", f, "--nodes", "01,02,广州,X9,03", "--thresholds", "1",
                  "--out", tmp_path / "o.csv")
    assert res.code == 0, res.stderr
    assert "--nodes: 'X9', '03' match neither an id in the flows nor a city" in res.stderr
    assert pd.read_csv(tmp_path / "o.csv")["nodes"].iloc[0] == 5


def test_cli_misspelt_chinese_name_is_an_error_with_the_nearest_names(run_cli, tmp_path):
    # 广洲 is a typo of 广州: a Chinese name that names no place is never an isolate
    f = tmp_path / "f.csv"
    f.write_text(ONE_TIE, encoding="utf-8")
    res = run_cli("network", f, "--nodes", "01,02,广洲", "--out", tmp_path / "o.csv")
    assert res.code == 2
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert "no prefecture or county named '广洲'" in res.stderr and "440100" in res.stderr
    assert not (tmp_path / "o.csv").exists()


def test_cli_strict_nodes_exits_2(run_cli, tmp_path):
    f = tmp_path / "f.csv"
    f.write_text(ONE_TIE, encoding="utf-8")
    res = run_cli("network", f, "--nodes", "01,02,03", "--strict-nodes",
                  "--out", tmp_path / "o.csv")
    assert res.code == 2
    assert "'03' is neither an id in the flows nor a city" in res.stderr
    assert not (tmp_path / "o.csv").exists()
    # flow ids and real cities pass --strict-nodes
    ok = run_cli("network", f, "--nodes", "01,02,广州,440300", "--strict-nodes",
                 "--out", tmp_path / "ok.csv")
    assert ok.code == 0, ok.stderr
    assert "warning: --nodes" not in ok.stderr


def test_cli_names_groups_resolve_and_files_are_literal(run_cli, tmp_path):
    f = tmp_path / "f.csv"
    f.write_text("origin,destination,year,count\n440100,440300,2000,2\n", encoding="utf-8")
    res = run_cli("network", f, "--nodes", "广州,深圳市,梅州,EWN", "--thresholds", "1",
                  "--out", tmp_path / "o.csv", "--fig-dir", tmp_path / "d")
    assert res.code == 0, res.stderr
    assert "warning: --nodes" not in res.stderr
    nodes = list(json.loads((tmp_path / "d" / "results.json").read_text("utf-8"))["nodes"])
    assert nodes[:3] == ["440100", "440300", "441400"]  # 广州, 深圳, 梅州 (also in EWN)
    assert "445100" in nodes and len(nodes) == len(set(nodes))  # 潮州 from EWN, no repeats
    # ids from a file are literal: '广州' stays a name (an isolate); '440100' is the flow id
    ids = tmp_path / "ids.txt"
    ids.write_text("440100\n440300\n广州\n", encoding="utf-8")
    res2 = run_cli("network", f, "--nodes", f"@{ids}", "--thresholds", "1",
                   "--out", tmp_path / "o2.csv", "--fig-dir", tmp_path / "d2")
    assert res2.code == 0, res2.stderr
    nodes2 = list(json.loads((tmp_path / "d2" / "results.json").read_text("utf-8"))["nodes"])
    assert nodes2 == ["440100", "440300", "广州"]
    m = pd.read_csv(tmp_path / "o2.csv").iloc[0]
    assert m["density"] == pytest.approx(1 / 6, rel=1e-12)
