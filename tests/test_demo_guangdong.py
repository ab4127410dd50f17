import json

import numpy as np
import pandas as pd
import pytest

from pairnet.panels.demo_guangdong import (
    CONTROL_COLS,
    centroid_km,
    demo_pair_panel,
    generate_guangdong_demo,
)
from pairnet.panels.registry import ingest_registry
from pairnet.spatial.cities import GROUPS

PRD, EWN, GD = list(GROUPS["PRD"]), list(GROUPS["EWN"]), list(GROUPS["GD"])


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    paths = generate_guangdong_demo(out)
    params = json.loads(paths["true_params"].read_text(encoding="utf-8"))
    truth = pd.read_parquet(paths["truth"])
    return paths, params, truth


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("small")
    paths = generate_guangdong_demo(out, seed=5, n_records=60_000, fmt="csv")
    return paths, pd.read_parquet(paths["truth"])


def truth_panel(truth, orig, dest, col="count"):
    t = truth[truth["origin"].isin(orig) & truth["destination"].isin(dest)]
    tot = t.groupby(["origin", "destination"])[col].transform("sum")
    t = t[tot > 0]
    return (t[["origin", "destination", "year", col]].rename(columns={col: "count"})
            .sort_values(["origin", "destination", "year"]).reset_index(drop=True))


def same(panel, expected):
    got = panel.sort_values(["origin", "destination", "year"]).reset_index(drop=True)
    got = got.astype({"origin": str, "destination": str, "year": "int64", "count": "int64"})
    exp = expected.astype({"origin": str, "destination": str, "year": "int64", "count": "int64"})
    pd.testing.assert_frame_equal(got, exp)


def test_files_and_size(demo):
    paths, params, truth = demo
    for k in ("registry", "controls", "parks", "truth", "true_params"):
        assert paths[k].exists()
    assert params["records"]["total"] >= 500_000
    assert len(truth) == 21 * 20 * 19
    # all 420 directed pairs carry ties
    per_pair = truth.groupby(["origin", "destination"])["count"].sum()
    assert (per_pair[~per_pair.index.isin([tuple(p.split("-"))
                                           for p in params["never_connected_pairs"]])] > 0).all()
    assert len(params["never_connected_pairs"]) == 20


def test_prd_ewn_panel_recovers_the_true_counts_and_table1_shape(demo):
    paths, params, truth = demo
    res, panel = demo_pair_panel(paths, baseline=True)
    same(res.panel, truth_panel(truth, PRD, EWN))
    assert res.audit["rows"].sum() == params["records"]["total"] == res.n_records
    a = res.audit.set_index("reason")["rows"]
    rec = params["records"]
    for reason, cls in (("duplicate", "duplicate"), ("other kind", "branch"),
                        ("natural person", "natural"), ("unparseable date", "bad_date"),
                        ("year out of range", "out_of_range"),
                        ("missing industry", "missing_industry"),
                        ("non-manufacturing", "nonmanuf"),
                        ("unresolved investor city", "unres_investor"),
                        ("unresolved investee city", "unres_investee")):
        assert a[reason] == rec[cls], reason
    assert a["kept"] == res.panel["count"].sum()
    # the paper's structure: 108 pairs, 20 never connect, 88 x 19 pair-years
    assert len(res.dropped_pairs) == 20
    assert sorted(f"{o}-{d}" for o, d in zip(res.dropped_pairs["origin"],
                                             res.dropped_pairs["destination"])) \
        == sorted(params["never_connected_pairs"])
    assert len(res.panel) == 88 * 19
    assert "revenue_pc_x2018" in panel.columns and "revenue_pc_x2000" not in panel.columns
    ctrl_mean = panel.loc[panel["treat"] == 0, "count"].mean()
    treat_mean = panel.loc[panel["treat"] == 1, "count"].mean()
    assert 0.4 < ctrl_mean < 0.7
    assert 2.0 < treat_mean < 3.0
    assert ctrl_mean == pytest.approx(params["realised"]["prd_ewn_control_mean"])
    assert (panel["treat"] == 1).sum() == params["realised"]["prd_ewn_treated_cells"]
    # recipient controls present, some missing as in the yearbooks
    for c in CONTROL_COLS:
        assert c in panel.columns
    assert panel["phones_pc"].isna().any() and panel["revenue_pc"].notna().all()


def test_all_guangdong_pairs_recovered(demo):
    paths, params, truth = demo
    res = ingest_registry(paths["registry"], origins="GD", destinations="GD")
    same(res.panel, truth_panel(truth, GD, GD))
    a = res.audit.set_index("reason")["rows"]
    rec = params["records"]
    assert a["same city"] == rec["same_city"]
    assert a["outside origin set"] + a["outside destination set"] == rec["outside_gd"]
    assert a["kept"] == rec["kept"]
    # every rule located some firms
    att = res.attribution.set_index(["side", "rule"])["rows"]
    for side in ("investor", "investee"):
        for rule in ("city field", "uscc", "name"):
            assert att[(side, rule)] > 0


def test_all_industries_and_branches_recovered_from_csv(small):
    paths, truth = small
    assert paths["registry"].suffix == ".csv"
    res = ingest_registry(paths["registry"], origins="GD", destinations="GD", industry="all")
    same(res.panel, truth_panel(truth, GD, GD, "count_all_industries"))
    br = ingest_registry(paths["registry"], origins="PRD", destinations="EWN", kind="branch")
    same(br.panel, truth_panel(truth, PRD, EWN, "count_branch"))


def test_seed_reproducible(small, tmp_path):
    paths, truth = small
    again = generate_guangdong_demo(tmp_path, seed=5, n_records=60_000, fmt="csv")
    assert again["registry"].read_bytes() == paths["registry"].read_bytes()
    other = generate_guangdong_demo(tmp_path / "o", seed=6, n_records=60_000, fmt="csv")
    assert other["registry"].read_bytes() != paths["registry"].read_bytes()


def test_controls_table_complete_grid(small):
    paths, _ = small
    c = pd.read_csv(paths["controls"], dtype={"city": str})
    assert len(c) == 21 * 19 and set(c["city"]) == set(GD)
    assert c[["city", "year"]].duplicated().sum() == 0
    assert list(c.columns) == ["city", "year", *CONTROL_COLS]
    ewn = c[c["city"].isin(EWN)]
    # Table 1 scale for the recipients: revenue ≈ 1000 yuan pc, beds ≈ 20 per 10k
    assert 500 < ewn["revenue_pc"].mean() < 2000
    assert 12 < ewn["beds_per_10k"].mean() < 30


def test_true_params_document_the_dgp(demo):
    _, params, truth = demo
    p = params["parameters"]
    for key in ("tau0", "decay_km", "ramp_years", "sigma_pair", "gamma_shape_k"):
        assert key in p
    assert len(params["pair_effects"]) == 420 and len(params["year_effects"]) == 19
    # distance decay: the treatment effect falls with distance, for the same ramp stage
    full = truth[(truth["treat"] == 1) & (truth["year"] - truth["cohort"] >= 2)]
    km = full["origin"] + "-" + full["destination"]
    d = km.map(params["distances_km"])
    assert np.allclose(full["tau"], p["tau0"] * np.exp(-d / p["decay_km"]))
    # ramp-up: first year a third of the full effect
    first = truth[(truth["treat"] == 1) & (truth["year"] == truth["cohort"])]
    d1 = (first["origin"] + "-" + first["destination"]).map(params["distances_km"])
    assert np.allclose(first["tau"], p["tau0"] * np.exp(-d1 / p["decay_km"]) / 3)


def test_centroid_distances_plausible():
    d = centroid_km(("440100", "440300", "441400"))
    km = d.set_index(["origin", "destination"])["centroid_km"]
    assert 90 < km[("440100", "440300")] < 130  # 广州-深圳 ≈ 110 km
    assert km[("440100", "440300")] == pytest.approx(km[("440300", "440100")])
    assert 250 < km[("440100", "441400")] < 400  # 广州-梅州
