"""did_suite on mpdta: TWFE equals R fixest, the CS numbers equal R did 2.1.2; the result
object follows the protocol (tidy, to_dict, tables, figures) and write_result writes it."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pairnet.analyses._fe import cluster_word
from pairnet.analyses.did import simulate_staggered
from pairnet.analyses.did_suite import DIDOptions, DIDSuiteResult, did_suite
from pairnet.core.errors import InputError
from pairnet.core.i18n import render
from pairnet.core.outputs import write_result
from pairnet.core.results import TIDY_COLUMNS, Result
from pairnet.core.tables import to_jsonable

REF = Path(__file__).parent / "reference" / "did"


@pytest.fixture(scope="module")
def mpdta_run(tmp_path_factory):
    d = pd.read_csv(REF / "mpdta.csv")
    out = tmp_path_factory.mktemp("mpdta")
    result = did_suite(d, diagnostics=(), unit="countyreal", time="year", cohort="first.treat", y="lemp",
                       control_group="notyet", placebo=30, distance=None, seed=1)
    write_result(result, out)
    return result.to_dict(), out, result


def test_twfe_equals_fixest(mpdta_run):
    res, _, result = mpdta_run
    ref = json.loads((REF / "fixest_twfe.json").read_text())
    assert res["twfe"]["coef"] == pytest.approx(ref["coef"], rel=1e-8)
    assert res["twfe"]["se"] == pytest.approx(ref["se"], rel=1e-6)
    assert "se_cluster2" not in res["twfe"]  # no origin/destination columns
    assert result.twfe.estimate == res["twfe"]["coef"]


def test_cs_aggregations_equal_r_did(mpdta_run):
    res, _, result = mpdta_run
    ref = json.loads((REF / "reference_mpdta.json").read_text())
    agg = ref["results"]["notyettreated_nocov_analytic"]["aggte"]
    assert res["cs"]["control_group"] == "notyet"
    for typ in ("simple", "dynamic", "group", "calendar"):
        assert res["cs"][typ]["att"] == pytest.approx(agg[typ]["overall_att"], rel=1e-6)
        assert res["cs"][typ]["se"] == pytest.approx(agg[typ]["overall_se"], rel=1e-4)
        assert result.cs_aggte[typ].overall_att == res["cs"][typ]["att"]


def test_placebo_and_tables_written(mpdta_run):
    res, out, _ = mpdta_run
    assert res["placebo"]["n_draws"] == 30
    assert res["placebo"]["estimate"] == pytest.approx(res["twfe"]["coef"], rel=1e-9)
    assert "distance" not in res
    tab = pd.read_csv(out / "tables" / "table2_twfe.csv")
    assert list(tab.columns[1:]) == ["(1)", "(2)", "(3)"]  # levels, log(1+y), PPML
    assert (out / "figures" / "figure2_placebo.svg").exists()
    assert res["meta"]["n_units"] == 500 and res["meta"]["balanced"] is True


def test_results_json_is_to_dict(mpdta_run):
    res, out, result = mpdta_run
    saved = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert saved == json.loads(json.dumps(to_jsonable(res), allow_nan=True))
    assert list(saved) == list(res)  # the same keys in the same order
    index = json.loads((out / "outputs.json").read_text(encoding="utf-8"))
    assert index["title"] == DIDSuiteResult.title == "Paired assistance: staggered DID"
    tables = result.tables()
    assert [t["name"] for t in index["tables"]] == list(tables)
    assert [t["title"] for t in index["tables"]] == [t.title for t in tables.values()]
    assert [f["name"] for f in index["figures"]] == list(result.figures())


def test_the_result_follows_the_protocol_and_is_frozen(mpdta_run):
    _, _, result = mpdta_run
    assert isinstance(result, Result)
    assert result.data_files() == {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.notes = ()  # type: ignore[misc]
    text = result.summary()
    assert text.startswith("Paired assistance: staggered DID")
    assert "500 units" in text and "cs_simple" in text and "placebo test" in text


def test_tidy_has_broom_columns_then_ids(mpdta_run):
    res, _, result = mpdta_run
    t = result.tidy()
    assert list(t.columns) == [*TIDY_COLUMNS, "model", "outcome", "controls"]
    models = list(dict.fromkeys(t["model"]))
    assert models == ["twfe", "ppml", "cs_simple", "cs_dynamic", "cs_calendar", "cs_group",
                      "sun_abraham", "did2s"]
    tw = t[(t["model"] == "twfe") & (t["outcome"] == "lemp")].iloc[0]
    assert tw["estimate"] == res["twfe"]["coef"] and tw["conf_low"] == res["twfe"]["ci_low"]
    dyn = t[t["model"] == "cs_dynamic"].set_index("term")
    assert list(dyn.index) == ["pre_avg", "post_avg"]
    assert dyn.loc["post_avg", "estimate"] == res["cs"]["dynamic"]["post_avg"]["att"]
    assert dyn.loc["pre_avg", "std_error"] == res["cs"]["dynamic"]["pre_avg"]["se"]
    sa = t[t["model"] == "sun_abraham"].iloc[0]
    assert sa["estimate"] == res["alternatives"]["sun_abraham"]["att"]
    # a z statistic and its p-value, from the estimate and SE
    assert sa["statistic"] == pytest.approx(sa["estimate"] / sa["std_error"])


def test_unbalanced_panel_runs_with_fallbacks(tmp_path):
    s = simulate_staggered(n_units=40, n_periods=8, effect=1.0, seed=2)
    s["y"] = s["y"].abs()
    s = s.drop(index=[5, 77, 140]).reset_index(drop=True)
    result = did_suite(s, diagnostics=(), unit="unit", time="time", cohort="cohort", y="y", wild_draws=0, placebo=20,
                       distance=["dist"], seed=4)
    res = result.to_dict()
    assert res["meta"]["balanced"] is False
    assert "unbalanced" in res["cs"]["error"] and "unbalanced" in result.errors["cs"]
    assert result.cs_att_gt is None and "cs_att_gt" not in result.tables()
    assert any("Callaway" in n for n in res["notes"])
    assert "alternating projections" in res["placebo"]["method"]
    assert res["placebo"]["estimate"] == pytest.approx(res["twfe"]["coef"], rel=1e-7)
    assert res["placebo_log1p"]["n_draws"] == 20
    assert res["distance"]["column"] == "dist"
    write_result(result, tmp_path)
    assert (tmp_path / "figures" / "figure2_placebo_log1p.png").exists()


def test_controls_without_baseline_and_always_treated_are_reported(tmp_path):
    s = simulate_staggered(n_units=40, n_periods=8, effect=1.0, seed=6)
    # two treated units lack the first-year control and have it only from their cohort on
    tr = s.loc[s["cohort"] > 0, "unit"].unique()[:2]
    s.loc[s["unit"].isin(tr) & (s["time"] < s["cohort"]), "x"] = float("nan")
    # two units treated before the panel starts
    add = s[s["unit"] == s.loc[s["cohort"] == 0, "unit"].iloc[0]].copy()
    add2 = pd.concat([add.assign(unit="always1"), add.assign(unit="always2")])
    add2["cohort"] = 1990
    s = pd.concat([s, add2], ignore_index=True)
    result = did_suite(s, diagnostics=(), unit="unit", time="time", cohort="cohort", y="y", wild_draws=0, controls=["x"],
                       placebo=0, distance=None, cs=False)
    res = result.to_dict()
    nb = res["meta"]["controls_no_baseline"]
    assert nb["n_units"] == 2 and sorted(nb["units"]["x"]) == sorted(tr)
    assert nb["rows_dropped"] == 16
    assert res["twfe_models"][1]["nobs"] == res["twfe_models"][0]["nobs"] - 16
    sa = res["alternatives"]["sun_abraham"]
    assert sa["units_dropped_always_treated"] == 2 and sa["units_late_as_never"] == 0
    assert "cs" not in res and "placebo" not in res
    write_result(result, tmp_path)
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert on_disk["meta"]["controls_no_baseline"]["n_units"] == 2
    notes = {t["name"]: t["note"]
             for t in json.loads((tmp_path / "outputs.json").read_text())["tables"]}
    assert "2 unit(s) without a pre-treatment baseline" in notes["table2_twfe"]
    assert "16 rows" in notes["table2_twfe"]
    assert "2 unit(s) treated at or before the first period" in notes["table3_robust_did"]


def test_unexpected_failure_of_an_optional_estimator_is_a_note(monkeypatch):
    import pairnet.analyses.did_suite as suite

    def boom(*a, **k):
        raise RuntimeError("shape mismatch")

    monkeypatch.setattr(suite, "did2s", boom)
    s = simulate_staggered(n_units=20, n_periods=6, effect=1.0, seed=3)
    result = did_suite(s, diagnostics=(), unit="unit", time="time", cohort="cohort", y="y", wild_draws=0, placebo=0,
                       distance=None, cs=False)
    res = result.to_dict()
    assert res["alternatives"]["did2s"] == {"error": "unexpected RuntimeError: shape mismatch"}
    assert list(res["alternatives"]) == ["did2s", "sun_abraham"]  # failures first, as before
    assert "did2s skipped: unexpected RuntimeError: shape mismatch" in res["notes"]
    assert "att" in res["alternatives"]["sun_abraham"]
    assert result.did2s is None and result.errors == {
        "did2s": "unexpected RuntimeError: shape mismatch"}
    assert "did2s" not in set(result.tidy()["model"])
    assert list(result.tables()["table3_robust_did"].frame["estimator"]) == ["Sun-Abraham ATT"]


def test_failure_of_the_main_twfe_is_not_hidden(monkeypatch):
    import pairnet.analyses.did_suite as suite

    def boom(*a, **k):
        raise RuntimeError("twfe broke")

    monkeypatch.setattr(suite, "twfe", boom)
    s = simulate_staggered(n_units=20, n_periods=6, effect=1.0, seed=3)
    with pytest.raises(RuntimeError, match="twfe broke"):
        did_suite(s, diagnostics=(), unit="unit", time="time", cohort="cohort", y="y", wild_draws=0, placebo=0,
                  distance=None, cs=False)


def test_constant_extra_outcome_is_left_out_with_a_note():
    s = simulate_staggered(n_units=12, n_periods=6, seed=3)
    s["branches"] = 0.0
    s["other"] = s["y"] * 2
    result = did_suite(s, diagnostics=(), unit="unit", time="time", cohort="cohort", y="y", wild_draws=0, placebo=0,
                       cs=False, distance=None, extra_y=("branches", "other"))
    res = result.to_dict()
    assert "error" in res["extra_y"]["branches"] and "constant" in res["extra_y"]["branches"]["error"]
    assert isinstance(res["extra_y"]["other"], list)
    assert any("branches" in n for n in res["notes"])
    assert set(result.extra_y) == {"other"} and "constant" in result.extra_y_errors["branches"]
    tab5 = result.tables()["table5_other_outcomes"].frame
    assert list(tab5.iloc[0, 1:]) == ["other"]  # y < 0 somewhere: no log(1 + y) column
    t = result.tidy()
    assert t.loc[t["outcome"] == "other", "estimate"].iloc[0] == res["extra_y"]["other"][0]["coef"]


# --- options: defaults in one place, validated once --------------------------------------
def test_options_defaults_and_normalisation():
    o = DIDOptions()
    assert (o.placebo, o.seed, o.leads, o.lags, o.control_group, o.controls_as,
            o.cs_est_method, o.cs, o.bstrap) == (500, 0, 5, 10, "never", "baseline", "dr",
                                                 True, False)
    assert o.distance == () and o.cluster2 == () and o.controls == ()
    o = DIDOptions(controls=["x", "x", "z"], distance="border_km", cs_covariates=["a", "a"],
                   cluster2=None)
    assert o.controls == ("x", "z") and o.distance == ("border_km",)
    assert o.cs_covariates == ("a",) and o.cluster2 is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.placebo = 3  # type: ignore[misc]


@pytest.mark.parametrize("kwargs, needle", [
    ({"control_group": "later"}, "`control_group`"),
    ({"controls_as": "levels"}, "`controls_as`"),
    ({"cs_est_method": "ols"}, "`cs_est_method`"),
    ({"placebo": -1}, "`placebo` must be a whole number >= 0, got -1"),
    ({"placebo": 2.5}, "`placebo`"),
    ({"leads": -2}, "`leads`"),
    ({"leads": 0}, "`leads` must be a whole number >= 1"),
    ({"lags": -1}, "`lags`"),
    ({"ends": "bins"}, "`ends`"),
    ({"wild_weights": "normal"}, "`wild_weights`"),
    ({"wild_draws": -5}, "`wild_draws`"),
    ({"cluster": " "}, "`cluster` must name a column"),
    ({"cluster2": ["origin"]}, "expecting two columns for `cluster2`"),
])
def test_bad_options_are_input_errors_naming_the_parameter(kwargs, needle):
    with pytest.raises(InputError, match=needle.replace("(", r"\(")) as e:
        DIDOptions(**kwargs)
    assert "--" not in str(e.value)


def test_overrides_replace_fields_of_the_options():
    s = simulate_staggered(n_units=16, n_periods=6, seed=2)
    base = DIDOptions(placebo=0, cs=False, distance=None, leads=2, lags=2)
    a = did_suite(s, diagnostics=(), unit="unit", time="time", cohort="cohort", y="y", wild_draws=0, options=base)
    b = did_suite(s, diagnostics=(), unit="unit", time="time", cohort="cohort", y="y", wild_draws=0, options=base,
                  placebo=7, seed=3)
    assert a.placebo is None and b.placebo is not None and len(b.placebo.draws) == 7
    assert b.options == dataclasses.replace(base, placebo=7, seed=3, wild_draws=0, diagnostics=())
    assert list(b.event_study.table["rel_time"]) == [-2, -1, 0, 1, 2]
    with pytest.raises(TypeError, match="n_draws"):
        did_suite(s, diagnostics=(), unit="unit", time="time", cohort="cohort", y="y", wild_draws=0, n_draws=3)
    with pytest.raises(InputError, match="`cs_est_method`"):
        did_suite(s, diagnostics=(), unit="unit", time="time", cohort="cohort", y="y", wild_draws=0, placebo=0,
                  distance=None, cs_est_method="ols")


# --- distance models: the accessor the optimizer and the effect map use -------------------
@pytest.fixture(scope="module")
def distance_run():
    s = simulate_staggered(n_units=40, n_periods=8, effect=1.0, seed=9)
    s["border_km"] = s["dist"]
    s["gap_km"] = s["dist"] * 2
    treated = s.loc[s["cohort"] > 0, "unit"].iloc[0]
    s.loc[s["unit"] == treated, "gap_km"] = np.nan  # missing for a treated unit: not estimable
    return did_suite(s, unit="unit", time="time", cohort="cohort", y="y", wild_draws=0, controls=["x"],
                     placebo=0, cs=False, distance=["border_km", "gap_km", "dist"], diagnostics=())


def test_distance_model_is_the_results_json_entry(distance_run):
    r = distance_run
    res = r.to_dict()
    for col in ("border_km", "dist"):
        for variant in ("controls", "no_controls"):
            d = r.distance_model(col, variant)
            e = res["distance"]["by_column"][col][variant]
            assert d.to_dict() == e
            assert (d.b1, d.b2) == (e["b0"], e["b1"])
            assert d.model.controls is (variant == "controls")
    assert res["distance"]["column"] == "border_km" and res["distance"]["controls"] is False
    assert list(r.distance_errors) == ["gap_km"]
    assert "error" in res["distance"]["by_column"]["gap_km"]["controls"]
    assert list(r.tables()["table4_distance"].frame.columns[1:]) == ["(1)", "(2)", "(3)",
                                                                     "(4)"]
    assert list(r.figures()) == ["figure1_event_study", "distance_border_km", "distance_dist"]
    t = r.tidy()
    dist = t[t["model"] == "distance:border_km"]
    assert list(dist["term"]) == ["treat", "treat:border_km", "break_even"] * 2
    assert list(dist["controls"]) == [False] * 3 + [True] * 3


def test_zh_notes_name_the_cluster_in_chinese(distance_run, mpdta_run):
    notes = [t.note for t in distance_run.tables().values()]
    notes += [f.note for f in distance_run.figures().values()]
    zh = "".join(render(n, "zh") for n in notes)
    assert "按单位聚类" in zh and "按 unit 聚类" not in zh
    cs_zh = render(mpdta_run[2].tables()["cs_att_gt"].note, "zh")
    assert "（处理后 = 否）" in cs_zh and "False" not in cs_zh
    assert "按 countyreal 聚类" in render(mpdta_run[2].tables()["table2_twfe"].note, "zh")
    assert "SEs clustered by unit" in "".join(render(n, "en") for n in notes)
    # known units and the default two-way clusters are words; other columns keep their name
    assert (cluster_word("pair", "zh"), cluster_word("origin", "zh"), cluster_word("city", "zh")) == (
        "帮扶对", "帮扶方", " city ")
    assert cluster_word("pair", "en") == "pair" and cluster_word("city", "en") == "city"


def test_distance_model_falls_back_and_names_the_columns(distance_run):
    r = distance_run
    only_plain = dataclasses.replace(r, distance={"border_km": {
        "no_controls": r.distance["border_km"]["no_controls"]}})
    assert only_plain.distance_model("border_km") is r.distance["border_km"]["no_controls"]
    with pytest.raises(InputError, match=r"no distance model for 'centroid_km' \(have: "
                                         r"border_km, dist\)") as e:
        r.distance_model("centroid_km")
    assert "`distance`" in str(e.value)
    with pytest.raises(InputError, match="'gap_km' could not be estimated"):
        r.distance_model("gap_km")
    with pytest.raises(InputError, match="`variant`"):
        r.distance_model("border_km", "both")  # type: ignore[arg-type]
    s = simulate_staggered(n_units=12, n_periods=5, seed=1)
    none = did_suite(s, diagnostics=(), unit="unit", time="time", cohort="cohort", y="y", wild_draws=0, placebo=0, cs=False,
                     distance=None)
    with pytest.raises(InputError, match="no distance-interacted models"):
        none.distance_model("border_km")


# --- Callaway–Sant'Anna covariates and estimation method (R did's xformla / est_method) ---
def _mpdta_cs(**kw):
    d = pd.read_csv(REF / "mpdta.csv")
    return did_suite(d, diagnostics=(), unit="countyreal", time="year", cohort="first.treat", y="lemp",
                     placebo=0, distance=None, **kw)


@pytest.mark.parametrize("control_group, est_method, label", [
    ("never", "dr", "nevertreated_lpop_dr_analytic"),
    ("notyet", "ipw", "notyettreated_lpop_ipw_analytic"),
])
def test_cs_with_covariate_equals_r_did(control_group, est_method, label):
    ref = json.loads((REF / "reference_mpdta.json").read_text())["results"][label]
    assert ref["settings"]["xformla"] == "~lpop" and ref["settings"]["bstrap"] is False
    result = _mpdta_cs(control_group=control_group, cs_covariates=["lpop"],
                       cs_est_method=est_method)
    res = result.to_dict()
    for typ in ("simple", "dynamic", "group", "calendar"):
        assert res["cs"][typ]["att"] == pytest.approx(ref["aggte"][typ]["overall_att"],
                                                      abs=1e-6), typ
        assert res["cs"][typ]["se"] == pytest.approx(ref["aggte"][typ]["overall_se"],
                                                     rel=1e-4), typ
    assert res["cs"]["covariates"] == ["lpop"]
    assert res["cs"]["est_method"] == est_method
    notes = {k: t.note for k, t in result.tables().items()}
    how = {"dr": "doubly robust", "ipw": "inverse probability weighting"}[est_method]
    assert f"{how}, covariates lpop at their base-period values" in notes["table3_robust_did"]
    assert "covariates lpop" in notes["cs_att_gt"]
    t = result.tidy()
    assert set(t.loc[t["model"].str.startswith("cs_"), "controls"]) == {True}


def test_cs_default_records_no_covariates_and_dr(mpdta_run):
    res, out, _ = mpdta_run
    assert res["cs"]["covariates"] == [] and res["cs"]["est_method"] == "dr"
    notes = {t["name"]: t["note"]
             for t in json.loads((out / "outputs.json").read_text())["tables"]}
    assert "doubly robust, no covariates" in notes["table3_robust_did"]


def test_time_varying_covariate_reaches_att_gt_aligned():
    """Rows shuffled, odd column name, covariate varying over time: the suite's CS numbers
    equal analyses.cs.att_gt on the raw data (which uses each unit's base-period value)."""
    from pairnet.analyses.cs import aggte, att_gt

    s = simulate_staggered(n_units=30, n_periods=6, effect=1.0, seed=11)
    rng = np.random.default_rng(5)
    s["x 1"] = rng.normal(size=len(s)) + 0.3 * s["time"]
    s["y"] = s["y"] + 0.5 * s["x 1"]
    s = s.sample(frac=1.0, random_state=3).reset_index(drop=True)
    res = did_suite(s, diagnostics=(), unit="unit", time="time", cohort="cohort", y="y", wild_draws=0, placebo=0,
                    distance=None, cs_covariates=["x 1"], cs_est_method="reg").to_dict()
    direct = att_gt(s, yname="y", tname="time", idname="unit", gname="cohort",
                    xformla=["x 1"], est_method="reg")
    for typ in ("simple", "dynamic"):
        a = aggte(direct, typ)
        assert res["cs"][typ]["att"] == pytest.approx(a.overall_att, rel=1e-10)
        assert res["cs"][typ]["se"] == pytest.approx(a.overall_se, rel=1e-10)
    plain = att_gt(s, yname="y", tname="time", idname="unit", gname="cohort")
    assert abs(aggte(plain, "simple").overall_att - res["cs"]["simple"]["att"]) > 1e-6


def test_bad_cs_method_is_an_input_error():
    s = simulate_staggered(n_units=10, n_periods=5, seed=1)
    with pytest.raises(InputError, match="`cs_est_method`"):
        did_suite(s, diagnostics=(), unit="unit", time="time", cohort="cohort", y="y", wild_draws=0, placebo=0,
                  distance=None, cs_est_method="ols")


def test_missing_column_message_names_parameters():
    s = simulate_staggered(n_units=10, n_periods=5, seed=1)
    with pytest.raises(InputError, match="missing column") as e:
        did_suite(s, diagnostics=(), unit="unit", time="time", cohort="first_year", y="y", placebo=0)
    assert "`cohort`" in str(e.value) and "--" not in str(e.value)


def test_every_sub_result_follows_the_protocol(mpdta_run):
    _, _, r = mpdta_run
    subs = [*r.twfe_models, r.ppml, r.event_study, r.cs_att_gt, *r.cs_aggte.values(),
            r.sun_abraham, r.did2s, r.placebo, r.placebo_log1p]
    for sub in subs:
        assert isinstance(sub, Result), type(sub)
        assert list(sub.tidy().columns[:len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS), type(sub)
        assert isinstance(sub.summary(), str) and isinstance(sub.to_dict(), dict)
        json.dumps(to_jsonable(sub.to_dict()))


# --- few clusters: --cluster, CRV1 t(G-1), the wild bootstrap in results.json ------------
FEW = json.loads((REF / "few_clusters.json").read_text(encoding="utf-8"))["designs"]["few9"]


@pytest.fixture(scope="module")
def few9_run():
    d = pd.read_csv(REF / "few9.csv")
    res = did_suite(d, diagnostics=(), unit="unit", time="year", cohort="cohort", y="y", cluster="origin",
                    distance=["dist"], placebo=0, cs=False, leads=FEW["leads"],
                    lags=FEW["lags"])
    return res, json.loads(json.dumps(to_jsonable(res.to_dict())))


def test_twfe_entry_carries_crv1_and_p_wild_equal_to_r(few9_run):
    res, j = few9_run
    tw = j["twfe"]
    assert tw["cluster"] == "origin" and tw["n_clusters"] == 9 and tw["df_t"] == 8
    assert tw["coef"] == pytest.approx(FEW["twfe"]["estimate"][0], rel=1e-8)
    assert tw["p_value"] == pytest.approx(FEW["twfe"]["p_value"][0], rel=1e-6)
    assert tw["ci_low"] == pytest.approx(FEW["twfe"]["conf_low"][0], rel=1e-6)
    assert tw["p_wild"] == pytest.approx(FEW["twfe_wild"]["p_val"], abs=1e-12)
    assert tw["ci_wild"] == pytest.approx(FEW["twfe_wild"]["conf_int"], rel=1e-6)
    assert tw["wild"]["full_enumeration"] and tw["wild"]["n_draws"] == 512
    m = j["meta"]
    assert (m["cluster"], m["n_clusters"], m["df_t"]) == ("origin", 9, 8)
    assert m["wild"]["run"] and m["wild"]["full_enumeration"]
    assert "t(G−1) = t(8)" in m["inference"] and "2^9 = 512" in m["inference"]


def test_event_study_and_distance_carry_p_wild_per_coefficient(few9_run):
    res, j = few9_run
    rows = {r["rel_time"]: r for r in j["event_study"]}
    for k, ref in zip(FEW["es_bin"]["rel_time"], FEW["es_bin_wild"], strict=True):
        assert rows[int(k)]["p_wild"] == pytest.approx(ref["p_val"], abs=1e-12)
    dist = j["distance"]["by_column"]["dist"]["no_controls"]
    assert dist["p_wild"]["treat"] == pytest.approx(FEW["distance_wild"]["treat"]["p_val"],
                                                    abs=1e-12)
    assert dist["p_wild"]["treat:dist"] == pytest.approx(
        FEW["distance_wild"]["treat_x_dist"]["p_val"], abs=1e-12)
    assert dist["df_t"] == 8
    assert dist["break_even_ci"] == pytest.approx(FEW["distance"]["break_even_ci"], rel=1e-6)


def test_tables_report_wild_next_to_crv1_and_say_how(few9_run):
    res, _ = few9_run
    tabs = res.tables()
    t2 = tabs["table2_twfe"]
    rows = list(t2.frame.iloc[:, 0])
    assert rows.index("treat wild p") == rows.index("treat SE") + 1
    assert "Clusters" in rows and "t(G−1) = t(8)" in str(t2.note)
    assert "wild cluster bootstrap" in str(t2.note) and "full enumeration" in str(t2.note)
    assert "treat × dist wild p" in list(tabs["table4_distance"].frame.iloc[:, 0])
    assert "t(8)" in str(tabs["table4_distance"].note)
    assert "p_wild" in tabs["event_study"].frame.columns
    assert "sun_abraham_periods" in tabs


def test_cohorts_outside_the_window_are_stated(few9_run):
    res, j = few9_run
    rules = j["meta"]["cohort_rules"]
    assert rules["late"]["cohorts"] == [2018, 2020] and rules["late"]["n_units"] > 0
    assert rules["early"]["cohorts"] == [2001, 2003]
    assert any("after the last period" in n for n in j["notes"])
    assert j["alternatives"]["sun_abraham"]["units_late_as_never"] == rules["late"]["n_units"]
    assert res.event_study.n_late_as_never == rules["late"]["n_units"]
    assert "never treated within the window" in str(res.tables()["table2_twfe"].note)
    per = j["alternatives"]["sun_abraham"]["periods"]
    assert [r["rel_time"] for r in per] == [int(k) for k in FEW["sunab"]["rel_time"]]


def test_late_cohorts_are_never_treated_in_every_estimator():
    # moving late cohorts to 0 (never treated) changes no estimate of any estimator
    s = simulate_staggered(n_units=60, n_periods=8, seed=4, cohorts=[2003, 2004, 2005])
    units = s["unit"].unique()
    late = s["unit"].isin(units[-8:])
    s.loc[late, "cohort"] = np.where(s.loc[late, "unit"].isin(units[-8:-4]), 2011, 2030)
    s0 = s.assign(cohort=s["cohort"].where(~late, 0))
    kw = dict(unit="unit", time="time", cohort="cohort", y="y", placebo=30, distance=None,
              wild_draws=0, leads=2, lags=3)
    a, b = did_suite(s, diagnostics=(), **kw), did_suite(s0, diagnostics=(), **kw)
    assert a.meta["cohort_rules"]["late"]["n_units"] == 8
    assert b.meta["cohort_rules"]["late"]["n_units"] == 0
    assert a.twfe.estimate == pytest.approx(b.twfe.estimate, rel=1e-12)
    pd.testing.assert_frame_equal(a.event_study.table, b.event_study.table, rtol=1e-10)
    assert a.sun_abraham.estimate == pytest.approx(b.sun_abraham.estimate, rel=1e-10)
    pd.testing.assert_frame_equal(a.sun_abraham.periods, b.sun_abraham.periods, rtol=1e-10)
    assert a.cs_aggte["simple"].overall_att == pytest.approx(
        b.cs_aggte["simple"].overall_att, rel=1e-12)
    assert a.did2s.estimate == pytest.approx(b.did2s.estimate, rel=1e-10)
    np.testing.assert_array_equal(a.placebo.draws, b.placebo.draws)


@pytest.mark.parametrize("ends", ["bin", "trim"])
def test_event_window_options_reach_the_event_study(ends):
    s = simulate_staggered(n_units=30, n_periods=10, seed=6)
    r = did_suite(s, diagnostics=(), unit="unit", time="time", cohort="cohort", y="y", placebo=0, cs=False,
                  distance=None, wild_draws=0, leads=2, lags=3, ends=ends)
    assert list(r.event_study.table["rel_time"]) == [-2, -1, 0, 1, 2, 3]
    assert r.meta["event_window"] == {"leads": 2, "lags": 3, "ends": ends}
    j = r.to_dict()
    assert j["event_study"].shape[0] == 6
    note = str(r.tables()["event_study"].note)
    assert ("binned" in note) == (ends == "bin") and ("trimmed" in note) == (ends == "trim")
    assert (r.event_study.n_trimmed > 0) == (ends == "trim")


def test_table5_runs_on_its_own_panel():
    main = simulate_staggered(n_units=50, n_periods=8, seed=8)
    own = simulate_staggered(n_units=70, n_periods=8, seed=9).rename(columns={"y": "other"})
    own["other2"] = own["other"] * 2 + 1
    r = did_suite(main, diagnostics=(), unit="unit", time="time", cohort="cohort", y="y", placebo=0, cs=False,
                  distance=None, wild_draws=0, extra_y=["other", "other2"], table5_data=own)
    assert r.meta["table5"] == {"own_panel": True, "n_obs": 560, "n_units": 70,
                                "n_periods": 8, "n_clusters": 70}
    assert r.extra_y_columns == ("other", "other2")
    assert r.extra_y["other"][0].nobs == 560 and r.twfe.nobs == 400
    ref = did_suite(own, diagnostics=(), unit="unit", time="time", cohort="cohort", y="other", placebo=0,
                    cs=False, distance=None, wild_draws=0)
    assert r.extra_y["other"][0].estimate == pytest.approx(ref.twfe.estimate, rel=1e-12)
    assert r.extra_y["other2"][0].estimate == pytest.approx(2 * ref.twfe.estimate, rel=1e-10)
    assert "its own panel: N = 560 = 70 units × 8 periods" in str(
        r.tables()["table5_other_outcomes"].note)
    j = r.to_dict()
    assert set(j["extra_y"]) == {"other", "other2"}
    # without its own panel Table 5 runs on the main panel
    m = did_suite(main.assign(other=main["y"] + 1), diagnostics=(), unit="unit", time="time", cohort="cohort",
                  y="y", placebo=0, cs=False, distance=None, wild_draws=0, extra_y=["other"])
    assert m.meta["table5"]["own_panel"] is False and m.extra_y["other"][0].nobs == 400


@pytest.mark.parametrize("column, needle", [
    ("nope", "missing column(s) 'nope'"),
    ("const", "a single cluster"),
    ("holes", "missing cluster id"),
])
def test_bad_cluster_columns_are_input_errors(column, needle):
    s = simulate_staggered(n_units=20, n_periods=6, seed=2)
    s["const"] = "k"
    s["holes"] = s["unit"]
    s.loc[[4, 9], "holes"] = np.nan
    with pytest.raises(InputError, match=re.escape(needle)) as e:
        did_suite(s, diagnostics=(), unit="unit", time="time", cohort="cohort", y="y", placebo=0,
                  cluster=column)
    assert e.value.column == column
