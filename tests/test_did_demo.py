"""Recovery of the Guangdong demo generator's true effect (panels.demo_guangdong)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pairnet.analyses.cs import aggte, att_gt
from pairnet.analyses.did import prepare_panel, twfe
from pairnet.analyses.placebo import placebo_test
from pairnet.spatial.cities import GROUPS


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from pairnet.panels.demo_guangdong import generate_guangdong_demo

    paths = generate_guangdong_demo(tmp_path_factory.mktemp("gd"), seed=20240101,
                                    n_records=20000, fmt="csv")
    truth = pd.read_parquet(paths["truth"])
    params = json.loads(paths["true_params"].read_text(encoding="utf-8"))
    # the paper's panel: PRD -> EWN pairs with at least one tie (88 pairs x 19 years)
    t = truth[truth["origin"].isin(GROUPS["PRD"]) & truth["destination"].isin(GROUPS["EWN"])
              & ~truth["never_connected"]].copy()
    t["pair"] = t["origin"] + "-" + t["destination"]
    return t, params


def test_panel_is_the_papers(demo):
    t, params = demo
    assert t["pair"].nunique() == params["realised"]["prd_ewn_connected_pairs"]
    cohorts = t.groupby("pair")["cohort"].first()
    assert cohorts[cohorts > 0].to_dict() == params["treated_pairs"]


def test_twfe_and_cs_recover_true_att(demo):
    t, _ = demo
    true_att = t.loc[t["treat"] == 1, "tau"].mean()
    p = prepare_panel(t, unit="pair", time="year", cohort="cohort", y="count",
                      origin="origin", destination="destination")
    r = twfe(p)
    assert abs(r.estimate - true_att) < 3 * r.se
    assert r.estimate > 0
    cs = aggte(att_gt(t, yname="count", tname="year", idname="pair", gname="cohort"), "simple")
    assert abs(cs.overall_att - true_att) < 3 * cs.overall_se
    pl = placebo_test(p, n_draws=200, seed=0)
    assert pl.estimate == pytest.approx(r.estimate, rel=1e-9)
    assert pl.p_value < 0.05
