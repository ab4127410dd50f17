"""The pairing optimizer: exact against hand solutions and brute force, capacity, infeasibility."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from pairnet.analyses.optimize import (
    EffectModel,
    effect_model_from_results,
    optimize_pairing,
    solve_assignment,
)
from pairnet.core.errors import InfeasibleError, InputError


def _grid(dist: np.ndarray, helpers=None, recipients=None) -> pd.DataFrame:
    n_r, n_h = dist.shape
    helpers = helpers or [f"H{j}" for j in range(n_h)]
    recipients = recipients or [f"R{i}" for i in range(n_r)]
    return pd.DataFrame([(h, r, dist[i, j]) for i, r in enumerate(recipients)
                         for j, h in enumerate(helpers)],
                        columns=["helper", "recipient", "distance_km"])


def test_hand_solvable_3x3():
    # effect = 10 - distance; the diagonal is cheapest only jointly: greedy on R0 takes H1.
    dist = np.array([[2.0, 1.0, 9.0],
                     [3.0, 8.0, 9.0],
                     [9.0, 2.0, 4.0]])
    res = optimize_pairing(_grid(dist), EffectModel(10.0, -1.0), capacity=1, draws=0)
    pairs = set(zip(res.chosen()["helper"], res.chosen()["recipient"]))
    # by hand: R0-H1 (1) + R1-H0 (3) + R2-H2 (4) = 8 km beats R0-H0 (2) + R2-H1 (2) + R1-H2 (9)
    assert pairs == {("H1", "R0"), ("H0", "R1"), ("H2", "R2")}
    assert res.chosen()["predicted_effect"].sum() == pytest.approx(30 - 8)


def test_capacity_respected_and_used():
    dist = np.array([[1.0, 50.0], [1.0, 50.0], [1.0, 50.0], [1.0, 50.0]])
    res = optimize_pairing(_grid(dist), EffectModel(5.0, -0.1), capacity=2, draws=0)
    load = res.chosen()["helper"].value_counts()
    assert load.max() <= 2 and load["H0"] == 2 and load["H1"] == 2


def _brute(effect: np.ndarray, cap: int) -> float:
    n_r, n_h = effect.shape
    best = -np.inf
    for combo in itertools.product(range(n_h), repeat=n_r):
        if max(np.bincount(combo, minlength=n_h)) <= cap:
            best = max(best, effect[np.arange(n_r), combo].sum())
    return best


@pytest.mark.parametrize("seed", range(12))
def test_agrees_with_brute_force(seed):
    rng = np.random.default_rng(seed)
    n_h, n_r = rng.integers(2, 4), rng.integers(2, 6)
    cap = int(rng.integers(1, 3))
    if cap * n_h < n_r:
        cap = -(-n_r // n_h)
    effect = rng.normal(size=(n_r, n_h))
    choice = solve_assignment(effect, cap)
    assert np.bincount(choice, minlength=n_h).max() <= cap
    assert effect[np.arange(n_r), choice].sum() == pytest.approx(_brute(effect, cap))


def test_infeasible_capacity_explains():
    dist = np.ones((5, 2))
    with pytest.raises(InfeasibleError, match=r"5 recipients .* 2 helpers × capacity 2"):
        optimize_pairing(_grid(dist), EffectModel(1.0, 0.0), capacity=2, draws=0)


def test_forbidden_and_fixed_pairs():
    dist = np.array([[1.0, 9.0], [1.0, 9.0]])
    res = optimize_pairing(_grid(dist), EffectModel(10.0, -1.0), capacity=2,
                           forbidden=[("H0", "R0")], fixed=[("H1", "R1")], draws=0)
    assert set(zip(res.chosen()["helper"], res.chosen()["recipient"])) == {("H1", "R0"),
                                                                          ("H1", "R1")}
    with pytest.raises(InfeasibleError, match="every helper is forbidden"):
        optimize_pairing(_grid(dist), EffectModel(1.0, 0.0), forbidden=[("H0", "R0"),
                                                                         ("H1", "R0")], draws=0)
    with pytest.raises(InfeasibleError, match="exceed capacity"):
        optimize_pairing(_grid(np.ones((3, 2))), EffectModel(1.0, 0.0), capacity=2,
                         fixed=[("H0", "R0"), ("H0", "R1"), ("H0", "R2")], draws=0)


def test_uncertainty_shares():
    # two helpers at 10 and 20 km: with b1 clearly negative the nearer helper wins nearly always
    dist = np.array([[10.0, 20.0]])
    sure = EffectModel(1.0, -0.05, np.diag([0.01, 1e-6]))
    res = optimize_pairing(_grid(dist), sure, capacity=1, draws=400, seed=1)
    shares = res.table.set_index("helper")["chosen_share"]
    assert shares["H0"] > 0.99 and shares.sum() == pytest.approx(1.0)
    # with b1 ~ N(0, big) the choice is a coin flip
    flip = EffectModel(1.0, 0.0, np.diag([0.01, 1.0]))
    res = optimize_pairing(_grid(dist), flip, capacity=1, draws=2000, seed=2)
    assert abs(res.table.set_index("helper")["chosen_share"]["H0"] - 0.5) < 0.05


def test_compare_with_actual():
    dist = np.array([[1.0, 5.0], [5.0, 1.0]])
    actual = pd.DataFrame({"helper": ["H1", "H1"], "recipient": ["R0", "R1"]})
    res = optimize_pairing(_grid(dist), EffectModel(10.0, -1.0), capacity=2, draws=0,
                           actual=actual)
    c = res.comparison
    assert c["recipients_changed"] == 1 and c["changed"] == ["R0"]
    assert c["actual_total_effect"] == pytest.approx((10 - 5) + (10 - 1))
    assert c["optimal_total_effect"] == pytest.approx(18)
    assert "total predicted effect" in res.summary()


def test_effect_model_from_results(tmp_path):
    def entry(b0, b1):
        return {"b0": b0, "b1": b1, "coef": b1, "se": 0.002, "treat_coef": b0, "treat_se": 0.5,
                "vcov": [[0.25, -0.0005], [-0.0005, 4e-6]]}

    results = {"distance": {"column": "border_km", "by_column": {
        "border_km": {"no_controls": entry(2.0, -0.01), "controls": entry(1.5, -0.008)}}}}
    (tmp_path / "results.json").write_text(json.dumps(results))
    m = effect_model_from_results(tmp_path, "border_km")
    assert (m.b0, m.b1) == (1.5, -0.008)
    m = effect_model_from_results(tmp_path, "border_km", "no_controls")
    assert (m.b0, m.b1) == (2.0, -0.01)
    assert m.vcov[0, 1] == pytest.approx(-0.0005)
    with pytest.raises(ValueError, match="centroid_km"):
        effect_model_from_results(tmp_path, "centroid_km")


def _distances_csv(tmp_path):
    rows = []
    helpers = ["440100", "440300"]
    recipients = ["441400", "441600", "441800"]
    km = {("440100", "441400"): 250.0, ("440100", "441600"): 120.0,
          ("440100", "441800"): 0.0, ("440300", "441400"): 200.0,
          ("440300", "441600"): 60.0, ("440300", "441800"): 90.0}
    for h in helpers:
        for r in recipients:
            rows.append((h, r, km[(h, r)], km[(h, r)] + 50, 1.0, 1.0))
    path = tmp_path / "d.csv"
    pd.DataFrame(rows, columns=["origin", "destination", "border_km", "centroid_km",
                                "region_centroid_km", "region_border_km"]).to_csv(path,
                                                                                  index=False)
    return path


def test_cli_effect(tmp_path, run_cli):
    out = tmp_path / "opt.csv"
    res = run_cli("optimize", "--helpers", "广州,深圳", "--recipients", "梅州,河源,清远",
                  "--distances", _distances_csv(tmp_path), "--effect", "2,-0.01",
                  "--capacity", "2", "--out", out)
    assert res.code == 0, res.stderr
    got = pd.read_csv(out, dtype={"helper": str, "recipient": str})
    # by hand: 清远 (0 km from 广州), 河源 (60 km from 深圳); 梅州 200 km from 深圳 < 250 from 广州
    assert set(zip(got["helper"], got["recipient"])) == {
        ("440100", "441800"), ("440300", "441600"), ("440300", "441400")}
    assert (tmp_path / "opt_candidates.csv").exists() and (tmp_path / "opt.json").exists()


def test_cli_infeasible_exits_2(tmp_path, run_cli):
    res = run_cli("optimize", "--helpers", "广州,深圳", "--recipients", "梅州,河源,清远",
                  "--distances", _distances_csv(tmp_path), "--effect", "2,-0.01",
                  "--capacity", "1", "--out", tmp_path / "o.csv")
    assert res.code == 2
    assert "3 recipients" in res.stderr and "capacity" in res.stderr


def test_cli_bad_effect_and_distance(tmp_path, run_cli):
    d = _distances_csv(tmp_path)
    res = run_cli("optimize", "--helpers", "广州", "--recipients", "梅州", "--distances", d,
                  "--effect", "two", "--out", tmp_path / "o.csv")
    assert res.code == 2 and "--effect" in res.stderr
    res = run_cli("optimize", "--helpers", "广州", "--recipients", "梅州", "--distances", d,
                  "--effect", "1,0", "--distance", "crow_km", "--out", tmp_path / "o.csv")
    assert res.code == 2 and "expecting one of" in res.stderr


def test_cli_actual_parks(tmp_path, run_cli):
    from pathlib import Path

    parks = Path(__file__).parents[1] / "panels" / "data" / "guangdong_parks.csv"
    out = tmp_path / "opt.csv"
    res = run_cli("optimize", "--helpers", "广州,深圳", "--recipients", "梅州,河源,清远",
                  "--distances", _distances_csv(tmp_path), "--effect", "2,-0.01",
                  "--actual", parks, "--out", out)
    assert res.code == 0, res.stderr
    summary = json.loads((tmp_path / "opt.json").read_text())
    # real parks among these cities: 广州-梅州, 深圳-河源, 广州-清远 (佛山-清远 is outside)
    assert summary["comparison"]["actual_pairs"] == 3
    assert summary["comparison"]["recipients_changed"] == 1  # 梅州 moves to 深圳


def test_cli_step_folder(tmp_path, run_cli):
    from pathlib import Path

    parks = Path(__file__).parents[1] / "panels" / "data" / "guangdong_parks.csv"
    out, step = tmp_path / "opt.csv", tmp_path / "step"
    res = run_cli("optimize", "--helpers", "广州,深圳", "--recipients", "梅州,河源,清远",
                  "--distances", _distances_csv(tmp_path), "--effect", "2,-0.01",
                  "--actual", parks, "--out", out, "--fig-dir", step)
    assert res.code == 0, res.stderr
    assert f"outputs in {step}" in res.stdout
    results = json.loads((step / "results.json").read_text(encoding="utf-8"))
    summary = json.loads((tmp_path / "opt.json").read_text(encoding="utf-8"))
    # the plain outputs are unchanged; the step folder has the same numbers, with names
    assert results["comparison"] == summary["comparison"]
    assert [p["helper"] for p in results["pairs"]] == [p["helper"] for p in summary["pairs"]]
    assert {p["recipient_name"] for p in results["pairs"]} == {"梅州市", "河源市", "清远市"}
    for f in ("tables/optimal_pairs.csv", "tables/comparison.csv", "figures/optimal_pairs.png"):
        assert (step / f).is_file(), f
    # a file where the step folder should be: exit 2 before any work
    res = run_cli("optimize", "--helpers", "广州,深圳", "--recipients", "梅州,河源,清远",
                  "--distances", _distances_csv(tmp_path), "--effect", "2,-0.01",
                  "--out", tmp_path / "o2.csv", "--fig-dir", out)
    assert res.code == 2 and "--fig-dir" in res.stderr and not (tmp_path / "o2.csv").exists()


def test_result_protocol_and_step_folder(tmp_path):
    from pairnet.core.outputs import read_outputs, write_result
    from pairnet.core.results import Result

    dist = np.array([[1.0, 5.0], [5.0, 1.0], [3.0, 3.0]])
    actual = pd.DataFrame({"helper": ["H1"], "recipient": ["R0"]})
    res = optimize_pairing(_grid(dist), EffectModel(10.0, -1.0, np.diag([0.1, 0.01])),
                           capacity=2, draws=50, actual=actual, names={"H0": "<b>甲</b>"})
    assert isinstance(res, Result) and res.title == "Pairing optimizer"
    pd.testing.assert_frame_equal(res.tidy(), res.table)
    named = res.named_pairs()
    assert named.columns.tolist() == ["helper", "helper_name", "recipient", "recipient_name",
                                      "distance_km", "predicted_effect", "chosen_share",
                                      "equally_good"]
    # R2 is 3 km from both helpers: the one not chosen is equally good, shown by name
    r2 = named.set_index("recipient").loc["R2"]
    assert r2["equally_good"] == ("<b>甲</b>" if r2["helper"] == "H1" else "H1")
    assert named["helper_name"].tolist() == [{"H0": "<b>甲</b>"}.get(h, h) for h in named["helper"]]
    assert named["recipient_name"].tolist() == named["recipient"].tolist()  # no names given
    d = res.to_dict()
    assert list(d) == ["model", "capacity", "draws", "comparison", "pairs", "candidates"]
    assert d["model"]["vcov"] == [[0.1, 0.0], [0.0, 0.01]] and d["draws"] == 50
    assert len(d["pairs"]) == 3 and len(d["candidates"]) == 6
    assert d["comparison"]["recipients_changed"] == 1
    tabs = res.tables()
    assert list(tabs) == ["optimal_pairs", "comparison"]
    assert tabs["optimal_pairs"].note.startswith("Predicted effect = 10 − 1 × distance (km); "
                                                 "each helper at most 2 recipients. With b1 < 0")
    assert "share of 50 coefficient draws" in tabs["optimal_pairs"].note
    assert tabs["comparison"].frame["pairs"].tolist() == [3, 1]
    step = write_result(res, tmp_path)
    assert step.results == d
    idx = read_outputs(tmp_path)
    assert [t["name"] for t in idx["tables"]] == ["optimal_pairs", "comparison"]
    assert [f["name"] for f in idx["figures"]] == ["optimal_pairs"]
    assert idx["results"]["comparison"]["recipients_changed"] == 1
    html = (tmp_path / "tables" / "optimal_pairs.html").read_text()
    # escaped, and in pinyin for an English reader (the CSV keeps the name as given)
    assert "&lt;b&gt;jia&lt;/b&gt;" in html and "<b>" not in html and "甲" not in html
    assert "<b>甲</b>" in (tmp_path / "tables" / "optimal_pairs.csv").read_text()
    zh = write_result(res, tmp_path / "zh", lang="zh")
    assert zh.html and "&lt;b&gt;甲&lt;/b&gt;" in (tmp_path / "zh" / "tables" /
                                                   "optimal_pairs.html").read_text()
    # no actual pairing: no comparison table; b1 > 0: no least-distance sentence
    up = optimize_pairing(_grid(dist), EffectModel(1.0, 0.5), capacity=2, draws=0)
    assert list(up.tables()) == ["optimal_pairs"] and up.names == {}
    assert "least total distance" not in up.tables()["optimal_pairs"].note
    assert "+ 0.5 × distance (km)" in up.tables()["optimal_pairs"].note


def test_effect_model_from_a_distance_did():
    from pairnet.analyses.did import distance_interaction, prepare_panel, simulate_staggered

    s = simulate_staggered(n_units=120, n_periods=8, effect=0.0, seed=4, noise=0.5)
    tr = (s["cohort"] > 0) & (s["time"] >= s["cohort"])
    s.loc[tr, "y"] += 3.0 - 0.01 * s.loc[tr, "dist"]
    p = prepare_panel(s, unit="unit", time="time", cohort="cohort", y="y", distance=["dist"])
    d = distance_interaction(p, "dist")
    m = EffectModel.from_distance(d, source="did step")
    assert (m.b0, m.b1) == (d.b1, d.b2) and m.distance == d.distance
    np.testing.assert_array_equal(m.vcov, d.model.vcov)
    assert m.to_dict()["source"] == "did step"
    # the same numbers as reading them back from a `pairnet did` results.json
    assert m.predict(np.array([0.0, 100.0])) == pytest.approx([d.b1, d.b1 + 100 * d.b2])
    assert m.draws(3, seed=0).shape == (3, 2)


def test_draws_need_a_covariance():
    with pytest.raises(InputError, match="`draws` 0"):
        EffectModel(1.0, -0.1).draws(10)


def test_ties_are_reported():
    # R0 touches both helpers (0 km): either is optimal; R1 is nearer H1
    dist = np.array([[0.0, 0.0], [9.0, 1.0]])
    res = optimize_pairing(_grid(dist), EffectModel(3.0, -0.1), capacity=2, draws=0)
    ch = res.chosen().set_index("recipient")
    other = "H1" if ch.loc["R0", "helper"] == "H0" else "H0"
    assert ch.loc["R0", "tied_with"] == other
    assert ch.loc["R1", "tied_with"] == ""
    assert "equally good helpers" in res.summary()
    assert "minimum-total-distance" in res.summary()


def test_forbidden_helper_is_not_a_tie():
    dist = np.array([[0.0, 0.0]])
    res = optimize_pairing(_grid(dist), EffectModel(3.0, -0.1), capacity=1,
                           forbidden=[("H1", "R0")], draws=0)
    assert res.chosen()["tied_with"].tolist() == [""]


def test_cli_bad_distances_capacity_and_same_city(tmp_path, run_cli):
    d = tmp_path / "d.csv"
    d.write_text("origin,destination,border_km\n440100,441400,abc\n", encoding="utf-8")
    res = run_cli("optimize", "--helpers", "广州", "--recipients", "梅州", "--effect", "3,-0.01",
                  "--distances", d, "--draws", "0", "--out", tmp_path / "x.csv")
    assert res.code == 2 and "border_km" in res.stderr and "row 1" in res.stderr
    res = run_cli("optimize", "--helpers", "广州", "--recipients", "梅州", "--effect", "3,-0.01",
                  "--distances", _distances_csv(tmp_path), "--capacity", "0",
                  "--out", tmp_path / "x.csv")
    assert res.code == 2 and "--capacity" in res.stderr and "Fix:" in res.stderr
    res = run_cli("optimize", "--helpers", "广州", "--recipients", "广州", "--effect", "3,-0.01",
                  "--draws", "0", "--out", tmp_path / "x.csv")
    assert res.code == 2 and "None" not in res.stderr and "distinct" in res.stderr


def test_distance_option_names_match_the_spatial_layer():
    import typing

    from pairnet.commands.optimize import DistanceName
    from pairnet.spatial.distances import DISTANCE_MEASURES

    assert typing.get_args(DistanceName) == DISTANCE_MEASURES


def test_infeasible_message_has_a_fix(tmp_path, run_cli):
    res = run_cli("optimize", "--helpers", "广州,深圳", "--recipients", "梅州,河源,清远",
                  "--distances", _distances_csv(tmp_path), "--effect", "2,-0.01",
                  "--capacity", "1", "--out", tmp_path / "o.csv")
    assert res.code == 2 and "Fix: raise --capacity to at least 2" in res.stderr
