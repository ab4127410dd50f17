"""``pairnet citypanel``: CR1 / wild bootstrap in results.json and tables; hostile inputs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pairnet.analyses.citypanel import CityPanelOptions, citypanel_suite
from pairnet.core.errors import InputError

KW = {"entity": "firm", "time": "year", "y": "y", "x": ["x1", "x2", "x3"]}
ARGS = ["--entity", "firm", "--y", "y", "--x", "x1,x2,x3"]


@pytest.fixture(scope="module")
def panel_b(reference_dir_b):
    return pd.read_csv(reference_dir_b, dtype={"firm": str})


@pytest.fixture(scope="module")
def reference_dir_b():
    from pathlib import Path

    return Path(__file__).parent / "reference" / "panel" / "unbalanced_b.csv"


def test_every_model_block_has_crv1_and_wild(run_cli, reference_dir_b, tmp_path):
    res = run_cli("citypanel", reference_dir_b, *ARGS, "--lag", "x1", "--interact", "x1:x3",
                  "--split", "x2", "--wild-draws", "199", "--wild-weights", "webb", "--seed",
                  "3", "--out", tmp_path)
    assert res.code == 0, res.stderr
    d = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    blocks = [d["pooled"], d["fe"], d["re"], *d["mechanisms"].values(),
              *d["lag"]["models"].values(), d["dwh"]["iv"],
              *[d["heterogeneity"]["x2"][g] for g in ("high", "low")]]
    for b in blocks:
        assert set(b["se_crv1"]) == set(b["coef"]) == set(b["p_crv1"])
        assert set(b["se_cluster"]) == set(b["coef"])  # the plm convention stays
    for b in blocks[:-3] + blocks[-2:]:  # all but the IV are bootstrapped (12 / 6 clusters)
        assert set(b["p_wild"]) == set(b["coef"]) and set(b["ci_wild"]) == set(b["coef"])
        assert b["wild"]["weights"] == "webb" and b["wild"]["seed"] == 3
        assert b["wild"]["draws"] == 199 and not b["wild"]["enumerated"]
    assert "p_wild" not in d["dwh"]["iv"] and "IV" in d["dwh"]["iv"]["wild"]["status"]
    assert d["wild_bootstrap"] == {**d["wild_bootstrap"], "draws": 199, "weights": "webb",
                                   "seed": 3}
    base = pd.read_csv(tmp_path / "tables" / "baseline_cluster.csv", keep_default_na=False)
    assert base["FE"].iloc[2].startswith("[")  # the wild p below the CR1 SE
    assert base.set_index("variable").loc["Clusters", "FE"] == "12"
    idx = json.loads((tmp_path / "outputs.json").read_text(encoding="utf-8"))
    note = next(t for t in idx["tables"] if t["name"] == "baseline_cluster")["note"]
    assert "CR1" in note and "t(G-1)" in note and "wild cluster bootstrap" in note
    endo = next(t for t in idx["tables"] if t["name"] == "endogeneity")["note"]
    assert "pairnet's choice" in endo and "the paper names no instrument" in endo


def test_wild_is_seeded_and_off_at_zero(panel_b):
    a = citypanel_suite(panel_b, **KW, wild_draws=99, seed=5)
    b = citypanel_suite(panel_b, **KW, wild_draws=99, seed=5)
    c = citypanel_suite(panel_b, **KW, wild_draws=99, seed=6, wild_weights="webb")
    pd.testing.assert_series_equal(a.fe.p_wild, b.fe.p_wild)
    assert not a.fe.p_wild.equals(c.fe.p_wild)
    off = citypanel_suite(panel_b, **KW, wild_draws=0)
    assert off.fe.p_wild is None and off.to_dict()["fe"]["wild"]["status"].startswith("off")
    assert "Wild cluster bootstrap off" in off.tables()["baseline_cluster"].note


def test_negative_hausman_in_results_and_table(run_cli, tmp_path):
    from pathlib import Path

    c = Path(__file__).parent / "reference" / "panel" / "unbalanced_c.csv"
    res = run_cli("citypanel", c, *ARGS, "--wild-draws", "0", "--out", tmp_path)
    assert res.code == 0, res.stderr
    d = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    h = d["hausman"]
    assert h["stat"] < 0 and h["p"] is None and h["valid"] is False
    assert h["stat_plm"] == pytest.approx(-h["stat"]) and 0 < h["p_plm"] < 1
    base = pd.read_csv(tmp_path / "tables" / "baseline.csv", keep_default_na=False)
    assert "not valid" in base.set_index("variable").loc["Hausman", "RE"]
    idx = json.loads((tmp_path / "outputs.json").read_text(encoding="utf-8"))
    note = next(t for t in idx["tables"] if t["name"] == "baseline")["note"]
    assert "not positive definite" in note and "p = 1" not in note


@pytest.mark.parametrize("extra, needles", [
    (["--wild-weights", "mammen"], ["--wild-weights", "rademacher, webb"]),
    (["--wild-draws", "-1"], ["--wild-draws must be a whole number >= 0"]),
    (["--seed", "-2"], ["--seed must be a whole number >= 0"]),
    (["--cluster", "one"], ["column 'one'", "at least 2 clusters", "Fix:"]),
])
def test_bad_wild_options_and_one_cluster_exit_2_one_line(run_cli, panel_b, tmp_path, extra,
                                                          needles):
    d = panel_b.assign(one="all")
    p = tmp_path / "b.csv"
    d.to_csv(p, index=False)
    res = run_cli("citypanel", p, *ARGS, *extra, "--out", tmp_path / "o")
    assert res.code == 2, res.stderr
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    for n in needles:
        assert n in res.stderr, res.stderr


def test_two_clusters_give_t1_and_no_wild_p(panel_b):
    d = panel_b.assign(two=np.where(panel_b["firm"].isin(sorted(panel_b["firm"].unique())[:6]),
                                    "A", "B"))
    res = citypanel_suite(d, **KW, cluster="two", wild_draws=999)
    for f in (res.pooled, res.fe, res.re):
        assert f.n_clusters == 2 and f.df_crv1 == 1 and f.p_wild is None
        assert "fewer than 5" in f.wild["status"]
    assert np.isnan(res.mundlak.p) and "rank at most G - 1 = 1" in res.mundlak.note
    assert "Mundlak not defined" in res.choice


def test_hostile_panels_exit_2(run_cli, panel_b, tmp_path):
    solo = pd.concat([panel_b, pd.DataFrame([{"firm": "solo", "year": 2000, "y": 1.0,
                                               "x1": 0.1, "x2": 0.2, "x3": 0.3}])])
    const = panel_b.assign(x3=2.0)
    for name, frame, needle in (("solo", solo, "fewer than 2 years"),
                                ("const", const, "'x3' is constant")):
        p = tmp_path / f"{name}.csv"
        frame.to_csv(p, index=False)
        res = run_cli("citypanel", p, *ARGS, "--out", tmp_path / name)
        assert res.code == 2 and needle in res.stderr and res.stderr.count("\n") == 1


def test_options_validate_wild_fields():
    assert (CityPanelOptions().wild_draws, CityPanelOptions().wild_weights,
            CityPanelOptions().seed) == (9999, "rademacher", 0)
    for kw in ({"wild_draws": 2.5}, {"wild_draws": True}, {"seed": -1},
               {"wild_weights": "normal"}):
        with pytest.raises(InputError):
            CityPanelOptions(**kw)


def test_city_left_with_one_complete_or_lagged_row_exits_2(run_cli, panel_b, tmp_path):
    first = panel_b["firm"] == panel_b["firm"].iloc[0]
    rows = panel_b.index[first]
    one = panel_b.copy()
    one.loc[rows[1:], "x2"] = np.nan  # one complete row left
    gap = one.copy()
    gap.loc[rows[3], "x2"] = 0.5  # two complete rows, neither with the previous year
    for name, frame, extra, needle in (
            ("one", one, [], "has 1 row with all of y, x1, x2, x3"),
            ("gap", gap, ["--lag", "x1"], "with --lag 'x1', city")):
        p = tmp_path / f"{name}.csv"
        frame.to_csv(p, index=False)
        res = run_cli("citypanel", p, *ARGS, *extra, "--wild-draws", "0", "--out",
                      tmp_path / name)
        assert res.code == 2 and needle in res.stderr, res.stderr
        assert f"{name}.csv, column 'firm'" in res.stderr and res.stderr.count("\n") == 1
