"""run_did on mpdta: TWFE equals R fixest, the CS numbers equal R did 2.1.2, folder written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pairnet.analyses.did_suite import run_did

from pairnet.core.errors import InputError

REF = Path(__file__).parent / "reference" / "did"


@pytest.fixture(scope="module")
def mpdta_run(tmp_path_factory):
    d = pd.read_csv(REF / "mpdta.csv")
    out = tmp_path_factory.mktemp("mpdta")
    res = run_did(d, unit="countyreal", time="year", cohort="first.treat", y="lemp",
                  control_group="notyet", placebo=30, distance=None, seed=1, out_dir=out)
    return res, out


def test_twfe_equals_fixest(mpdta_run):
    res, _ = mpdta_run
    ref = json.loads((REF / "fixest_twfe.json").read_text())
    assert res["twfe"]["coef"] == pytest.approx(ref["coef"], rel=1e-8)
    assert res["twfe"]["se"] == pytest.approx(ref["se"], rel=1e-6)
    assert "se_cluster2" not in res["twfe"]  # no origin/destination columns


def test_cs_aggregations_equal_r_did(mpdta_run):
    res, _ = mpdta_run
    ref = json.loads((REF / "reference_mpdta.json").read_text())
    agg = ref["results"]["notyettreated_nocov_analytic"]["aggte"]
    assert res["cs"]["control_group"] == "notyet"
    for typ in ("simple", "dynamic", "group", "calendar"):
        assert res["cs"][typ]["att"] == pytest.approx(agg[typ]["overall_att"], rel=1e-6)
        assert res["cs"][typ]["se"] == pytest.approx(agg[typ]["overall_se"], rel=1e-4)


def test_placebo_and_tables_written(mpdta_run):
    res, out = mpdta_run
    assert res["placebo"]["n_draws"] == 30
    assert res["placebo"]["estimate"] == pytest.approx(res["twfe"]["coef"], rel=1e-9)
    assert "distance" not in res
    tab = pd.read_csv(out / "tables" / "table2_twfe.csv")
    assert list(tab.columns[1:]) == ["(1)", "(2)", "(3)"]  # levels, log(1+y), PPML
    assert (out / "figures" / "figure2_placebo.svg").exists()
    assert res["meta"]["n_units"] == 500 and res["meta"]["balanced"] is True


def test_unbalanced_panel_runs_with_fallbacks(tmp_path):
    from pairnet.analyses.did import simulate_staggered

    s = simulate_staggered(n_units=40, n_periods=8, effect=1.0, seed=2)
    s["y"] = s["y"].abs()
    s = s.drop(index=[5, 77, 140]).reset_index(drop=True)
    res = run_did(s, unit="unit", time="time", cohort="cohort", y="y", placebo=20,
                  distance=["dist"], out_dir=tmp_path, seed=4)
    assert res["meta"]["balanced"] is False
    assert "unbalanced" in res["cs"]["error"]
    assert any("Callaway" in n for n in res["notes"])
    assert "alternating projections" in res["placebo"]["method"]
    assert res["placebo"]["estimate"] == pytest.approx(res["twfe"]["coef"], rel=1e-7)
    assert res["placebo_log1p"]["n_draws"] == 20
    assert res["distance"]["column"] == "dist"
    assert (tmp_path / "figures" / "figure2_placebo_log1p.png").exists()


def test_controls_without_baseline_and_always_treated_are_reported(tmp_path):
    from pairnet.analyses.did import simulate_staggered

    s = simulate_staggered(n_units=40, n_periods=8, effect=1.0, seed=6)
    # two treated units lack the first-year control and have it only from their cohort on
    tr = s.loc[s["cohort"] > 0, "unit"].unique()[:2]
    s.loc[s["unit"].isin(tr) & (s["time"] < s["cohort"]), "x"] = float("nan")
    # two units treated before the panel starts
    add = s[s["unit"] == s.loc[s["cohort"] == 0, "unit"].iloc[0]].copy()
    add2 = pd.concat([add.assign(unit="always1"), add.assign(unit="always2")])
    add2["cohort"] = 1990
    s = pd.concat([s, add2], ignore_index=True)
    res = run_did(s, unit="unit", time="time", cohort="cohort", y="y", controls=["x"],
                  placebo=0, distance=None, cs=False, out_dir=tmp_path)
    nb = res["meta"]["controls_no_baseline"]
    assert nb["n_units"] == 2 and sorted(nb["units"]["x"]) == sorted(tr)
    assert nb["rows_dropped"] == 16
    assert res["twfe_models"][1]["nobs"] == res["twfe_models"][0]["nobs"] - 16
    sa = res["alternatives"]["sun_abraham"]
    assert sa["units_dropped_always_treated"] == 2 and sa["units_late_as_never"] == 0
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert on_disk["meta"]["controls_no_baseline"]["n_units"] == 2
    notes = {t["name"]: t["note"]
             for t in json.loads((tmp_path / "outputs.json").read_text())["tables"]}
    assert "2 unit(s) without a pre-treatment baseline" in notes["table2_twfe"]
    assert "16 rows" in notes["table2_twfe"]
    assert "2 unit(s) treated at or before the first period" in notes["table3_robust_did"]


def test_unexpected_failure_of_an_optional_estimator_is_a_note(tmp_path, monkeypatch):
    import pairnet.analyses.did_suite as suite
    from pairnet.analyses.did import simulate_staggered

    def boom(*a, **k):
        raise RuntimeError("shape mismatch")

    monkeypatch.setattr(suite, "did2s", boom)
    s = simulate_staggered(n_units=20, n_periods=6, effect=1.0, seed=3)
    res = run_did(s, unit="unit", time="time", cohort="cohort", y="y", placebo=0,
                  distance=None, cs=False, out_dir=tmp_path)
    assert res["alternatives"]["did2s"] == {"error": "unexpected RuntimeError: shape mismatch"}
    assert "did2s skipped: unexpected RuntimeError: shape mismatch" in res["notes"]
    assert "att" in res["alternatives"]["sun_abraham"]
    saved = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert saved["notes"] == res["notes"]


def test_failure_of_the_main_twfe_is_not_hidden(tmp_path, monkeypatch):
    import pairnet.analyses.did_suite as suite
    from pairnet.analyses.did import simulate_staggered

    def boom(*a, **k):
        raise RuntimeError("twfe broke")

    monkeypatch.setattr(suite, "twfe", boom)
    s = simulate_staggered(n_units=20, n_periods=6, effect=1.0, seed=3)
    with pytest.raises(RuntimeError, match="twfe broke"):
        run_did(s, unit="unit", time="time", cohort="cohort", y="y", placebo=0,
                distance=None, cs=False, out_dir=tmp_path)
    assert not (tmp_path / "results.json").exists()


def test_constant_extra_outcome_is_left_out_with_a_note(tmp_path):
    from pairnet.analyses.did import simulate_staggered
    from pairnet.analyses.did_suite import run_did

    s = simulate_staggered(n_units=12, n_periods=6, seed=3)
    s["branches"] = 0.0
    s["other"] = s["y"] * 2
    res = run_did(s, unit="unit", time="time", cohort="cohort", y="y", placebo=0, cs=False,
                  distance=None, extra_y=("branches", "other"), out_dir=tmp_path)
    assert "error" in res["extra_y"]["branches"] and "constant" in res["extra_y"]["branches"]["error"]
    assert isinstance(res["extra_y"]["other"], list)
    assert any("branches" in n for n in res["notes"])


# --- Callaway–Sant'Anna covariates and estimation method (R did's xformla / est_method) ---
def _mpdta_cs(tmp_path, **kw):
    d = pd.read_csv(REF / "mpdta.csv")
    return run_did(d, unit="countyreal", time="year", cohort="first.treat", y="lemp",
                   placebo=0, distance=None, out_dir=tmp_path, **kw)


@pytest.mark.parametrize("control_group, est_method, label", [
    ("never", "dr", "nevertreated_lpop_dr_analytic"),
    ("notyet", "ipw", "notyettreated_lpop_ipw_analytic"),
])
def test_cs_with_covariate_equals_r_did(tmp_path, control_group, est_method, label):
    ref = json.loads((REF / "reference_mpdta.json").read_text())["results"][label]
    assert ref["settings"]["xformla"] == "~lpop" and ref["settings"]["bstrap"] is False
    res = _mpdta_cs(tmp_path, control_group=control_group, cs_covariates=["lpop"],
                    cs_est_method=est_method)
    for typ in ("simple", "dynamic", "group", "calendar"):
        assert res["cs"][typ]["att"] == pytest.approx(ref["aggte"][typ]["overall_att"],
                                                      abs=1e-6), typ
        assert res["cs"][typ]["se"] == pytest.approx(ref["aggte"][typ]["overall_se"],
                                                     rel=1e-4), typ
    saved = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert saved["cs"]["covariates"] == ["lpop"]
    assert saved["cs"]["est_method"] == est_method
    notes = {t["name"]: t["note"]
             for t in json.loads((tmp_path / "outputs.json").read_text())["tables"]}
    how = {"dr": "doubly robust", "ipw": "inverse probability weighting"}[est_method]
    assert f"{how}, covariates lpop at their base-period values" in notes["table3_robust_did"]
    assert "covariates lpop" in notes["cs_att_gt"]


def test_cs_default_records_no_covariates_and_dr(mpdta_run):
    res, out = mpdta_run
    assert res["cs"]["covariates"] == [] and res["cs"]["est_method"] == "dr"
    notes = {t["name"]: t["note"]
             for t in json.loads((out / "outputs.json").read_text())["tables"]}
    assert "doubly robust, no covariates" in notes["table3_robust_did"]


def test_time_varying_covariate_reaches_att_gt_aligned(tmp_path):
    """Rows shuffled, odd column name, covariate varying over time: the suite's CS numbers
    equal analyses.cs.att_gt on the raw data (which uses each unit's base-period value)."""
    from pairnet.analyses.cs import aggte, att_gt
    from pairnet.analyses.did import simulate_staggered

    s = simulate_staggered(n_units=30, n_periods=6, effect=1.0, seed=11)
    rng = np.random.default_rng(5)
    s["x 1"] = rng.normal(size=len(s)) + 0.3 * s["time"]
    s["y"] = s["y"] + 0.5 * s["x 1"]
    s = s.sample(frac=1.0, random_state=3).reset_index(drop=True)
    res = run_did(s, unit="unit", time="time", cohort="cohort", y="y", placebo=0,
                  distance=None, cs_covariates=["x 1"], cs_est_method="reg", out_dir=tmp_path)
    direct = att_gt(s, yname="y", tname="time", idname="unit", gname="cohort",
                    xformla=["x 1"], est_method="reg")
    for typ in ("simple", "dynamic"):
        a = aggte(direct, typ)
        assert res["cs"][typ]["att"] == pytest.approx(a.overall_att, rel=1e-10)
        assert res["cs"][typ]["se"] == pytest.approx(a.overall_se, rel=1e-10)
    plain = att_gt(s, yname="y", tname="time", idname="unit", gname="cohort")
    assert abs(aggte(plain, "simple").overall_att - res["cs"]["simple"]["att"]) > 1e-6


def test_bad_cs_method_is_an_input_error(tmp_path):
    from pairnet.analyses.did import simulate_staggered

    s = simulate_staggered(n_units=10, n_periods=5, seed=1)
    with pytest.raises(InputError, match="--cs-method"):
        run_did(s, unit="unit", time="time", cohort="cohort", y="y", placebo=0,
                distance=None, cs_est_method="ols", out_dir=tmp_path)
