"""Callaway-Sant'Anna ATT(g,t) and aggregations against R did 2.1.2 and by hand."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from pairnet.analyses.cs import aggte, aggte_all, att_gt
from pairnet.core.errors import EstimationError, InputError

REF = Path(__file__).parent / "reference" / "did"

AGGS = ("simple", "dynamic", "group", "calendar")


@pytest.fixture(scope="module")
def mpdta():
    return pd.read_csv(REF / "mpdta.csv")


@pytest.fixture(scope="module")
def ref():
    with open(REF / "reference_mpdta.json", encoding="utf-8") as fh:
        return json.load(fh)["results"]


def _arr(values):
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _fit(mpdta, settings, **kw):
    cg = "never" if settings["control_group"] == "nevertreated" else "notyet"
    x = None if settings["xformla"] == "none" else ["lpop"]
    return att_gt(mpdta, yname="lemp", tname="year", idname="countyreal", gname="first.treat",
                  xformla=x, control_group=cg, est_method=settings["est_method"],
                  base_period=settings["base_period"], **kw)


def _assert_se(ours, theirs, rtol=1e-4):
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    ok = ~np.isnan(theirs)
    np.testing.assert_allclose(ours[ok], theirs[ok], rtol=rtol, atol=0)


ANALYTIC = [
    "nevertreated_nocov_analytic",
    "notyettreated_nocov_analytic",
    "nevertreated_lpop_dr_analytic",
    "notyettreated_lpop_dr_analytic",
    "nevertreated_lpop_reg_analytic",
    "notyettreated_lpop_reg_analytic",
    "nevertreated_lpop_ipw_analytic",
    "notyettreated_lpop_ipw_analytic",
    "nevertreated_nocov_universal_analytic",
    "notyettreated_nocov_universal_analytic",
]


@pytest.mark.parametrize("label", ANALYTIC)
def test_matches_r_did_analytic(mpdta, ref, label):
    r = ref[label]
    res = _fit(mpdta, r["settings"])
    assert res.n == r["n_units"]
    np.testing.assert_array_equal(res.groups, r["attgt"]["group"])
    np.testing.assert_array_equal(res.times, r["attgt"]["t"])
    np.testing.assert_allclose(res.att, r["attgt"]["att"], rtol=0, atol=1e-6)
    _assert_se(res.se, _arr(r["attgt"]["se"]))
    assert res.pretest_W == pytest.approx(r["pretest_W"], rel=1e-4)
    assert res.pretest_pval == pytest.approx(r["pretest_Wpval"], abs=2e-5)
    for tp in AGGS:
        a, ra = aggte(res, tp), r["aggte"][tp]
        assert a.overall_att == pytest.approx(ra["overall_att"], abs=1e-6), tp
        assert a.overall_se == pytest.approx(ra["overall_se"], rel=1e-4), tp
        if tp != "simple":
            np.testing.assert_array_equal(a.egt, ra["egt"])
            np.testing.assert_allclose(a.att_egt, ra["att_egt"], rtol=0, atol=1e-6)
            _assert_se(a.se_egt, _arr(ra["se_egt"]))
            assert a.crit_val_egt == pytest.approx(ra["crit_val_egt"], rel=1e-9)


def test_group_se_includes_weight_estimation_term(mpdta, ref):
    """The group aggregation's overall SE differs from the one without R's wif term."""
    r = ref["nevertreated_nocov_analytic"]
    res = _fit(mpdta, r["settings"])
    a = aggte(res, "group")
    pgg = np.array([(res.unit_cohort == g).mean() for g in res.glist])
    naive = a.inf_egt @ (pgg / pgg.sum())
    naive_se = np.sqrt(np.mean(naive ** 2) / res.n)
    assert a.overall_se == pytest.approx(r["aggte"]["group"]["overall_se"], rel=1e-4)
    assert abs(naive_se / a.overall_se - 1) > 1e-3


@pytest.mark.parametrize("label", ["nevertreated_nocov_bootstrap",
                                   "notyettreated_lpop_dr_bootstrap"])
def test_bootstrap_close_to_r(mpdta, ref, label):
    r = ref[label]
    res = _fit(mpdta, r["settings"], bstrap=True, cband=True, biters=1000, seed=1)
    rse = _arr(r["attgt"]["se"])
    rel = res.se / rse - 1
    # Different RNG than R: each SE is itself noisy (~4% sd with 1000 draws).
    assert np.max(np.abs(rel)) < 0.2
    assert np.mean(np.abs(rel)) < 0.06
    assert res.crit_val == pytest.approx(r["crit_val_attgt"], rel=0.1)
    np.testing.assert_allclose(res.att, r["attgt"]["att"], atol=1e-6, rtol=0)
    for tp in AGGS:
        a, ra = aggte(res, tp, seed=1), r["aggte"][tp]
        assert a.overall_se == pytest.approx(ra["overall_se"], rel=0.15), tp
        if tp != "simple":
            assert np.mean(np.abs(a.se_egt / _arr(ra["se_egt"]) - 1)) < 0.1, tp
            assert a.crit_val_egt == pytest.approx(ra["crit_val_egt"], rel=0.12), tp


def test_bootstrap_seeded_reproducible(mpdta):
    kw = dict(yname="lemp", tname="year", idname="countyreal", gname="first.treat",
              bstrap=True, biters=200)
    a = att_gt(mpdta, seed=7, **kw)
    b = att_gt(mpdta, seed=7, **kw)
    c = att_gt(mpdta, seed=8, **kw)
    np.testing.assert_array_equal(a.se, b.se)
    assert not np.array_equal(a.se, c.se)
    assert aggte(a, "dynamic", seed=3).overall_se == aggte(b, "dynamic", seed=3).overall_se


def test_bootstrap_clustered_runs_and_needs_bstrap(mpdta):
    df = mpdta.assign(state=mpdta["countyreal"] // 1000)
    kw = dict(yname="lemp", tname="year", idname="countyreal", gname="first.treat")
    res = att_gt(df, bstrap=True, biters=300, clustervars="state", seed=2, **kw)
    assert np.all(np.isfinite(res.se)) and np.all(res.se > 0)
    with pytest.raises(InputError, match="bootstrap"):
        att_gt(df, clustervars="state", **kw)


def test_pre_and_post_averages(mpdta, ref):
    r = ref["nevertreated_nocov_analytic"]
    res = _fit(mpdta, r["settings"])
    a = aggte(res, "dynamic")
    pre = a.egt < 0
    assert a.pre_avg == pytest.approx(a.att_egt[pre].mean(), abs=1e-12)
    assert a.post_avg == pytest.approx(r["aggte"]["dynamic"]["overall_att"], abs=1e-6)
    assert a.post_avg_se == pytest.approx(r["aggte"]["dynamic"]["overall_se"], rel=1e-4)
    # SE of an average = sqrt(w' V w / n) with V the covariance of the event-time IFs
    w = pre / pre.sum()
    V = a.inf_egt.T @ a.inf_egt / res.n
    assert a.pre_avg_se == pytest.approx(np.sqrt(w @ V @ w / res.n), rel=1e-10)
    # universal base period: the normalised e = -1 is not averaged in
    res_u = att_gt(mpdta, yname="lemp", tname="year", idname="countyreal",
                   gname="first.treat", base_period="universal")
    au = aggte(res_u, "dynamic")
    keep = (au.egt < 0) & (au.egt != -1)
    assert au.pre_avg == pytest.approx(au.att_egt[keep].mean(), abs=1e-12)


def test_two_by_two_equals_difference_of_mean_changes():
    rng = np.random.default_rng(0)
    n1, n0 = 40, 60
    y0 = rng.normal(size=n1 + n0)
    y1 = y0 + rng.normal(size=n1 + n0) + np.r_[np.full(n1, 0.7), np.zeros(n0)]
    ids = np.arange(n1 + n0)
    df = pd.DataFrame({"id": np.r_[ids, ids], "t": np.r_[np.ones(n1 + n0), np.full(n1 + n0, 2)],
                       "y": np.r_[y0, y1], "g": np.tile(np.r_[np.full(n1, 2), np.zeros(n0)], 2)})
    res = att_gt(df, yname="y", tname="t", idname="id", gname="g")
    dy = y1 - y0
    by_hand = dy[:n1].mean() - dy[n1:].mean()
    assert res.att.shape == (1,)
    assert res.att[0] == pytest.approx(by_hand, abs=1e-12)
    # analytic SE of a difference of two means (variances with 1/n)
    se = np.sqrt(dy[:n1].var() / n1 + dy[n1:].var() / n0)
    assert res.se[0] == pytest.approx(se, rel=1e-10)
    for tp in AGGS:
        assert aggte(res, tp).overall_att == pytest.approx(by_hand, abs=1e-12)
    # reg and ipw coincide with dr without covariates
    for m in ("reg", "ipw"):
        assert att_gt(df, yname="y", tname="t", idname="id", gname="g",
                      est_method=m).att[0] == pytest.approx(by_hand, abs=1e-12)


def _synthetic(seed=11, n=900, periods=range(1, 11)):
    """Staggered adoption, cohort-specific trends by a covariate, known dynamic effects."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    # treatment timing depends on x, and x shifts the trend: needs conditioning on x
    u = rng.uniform(size=n) + 0.15 * x
    cohort = np.select([u < 0.3, u < 0.55, u < 0.8], [4, 6, 8], 0)
    alpha = rng.normal(size=n)
    T = np.array(list(periods))
    tau = {e: 0.5 + 0.25 * e for e in range(0, 10)}  # true ATT at event time e >= 0
    rows = []
    for t in T:
        e = t - cohort
        effect = np.where((cohort > 0) & (e >= 0), 0.5 + 0.25 * np.maximum(e, 0), 0.0)
        y = alpha + 0.2 * t + 0.3 * x * t + effect + rng.normal(scale=0.5, size=n)
        rows.append(pd.DataFrame({"unit": np.arange(n), "year": t, "y": y, "g": cohort,
                                  "x": x}))
    return pd.concat(rows, ignore_index=True), tau


@pytest.mark.parametrize("control_group", ["never", "notyet"])
def test_recovers_known_dynamic_effects(control_group):
    df, tau = _synthetic()
    res = att_gt(df, yname="y", tname="year", idname="unit", gname="g", xformla=["x"],
                 control_group=control_group)
    dyn = aggte(res, "dynamic")
    z = (dyn.att_egt - np.array([tau.get(e, 0.0) for e in dyn.egt])) / dyn.se_egt
    assert np.max(np.abs(z)) < 4
    assert abs(dyn.pre_avg) < 4 * dyn.pre_avg_se
    true_post = np.mean([tau[e] for e in dyn.egt if e >= 0])
    assert abs(dyn.overall_att - true_post) < 4 * dyn.overall_se
    # ignoring the covariate is biased here (x drives both timing and trends)
    naive = aggte(att_gt(df, yname="y", tname="year", idname="unit", gname="g",
                         control_group=control_group), "dynamic")
    assert abs(naive.overall_att - true_post) > 4 * naive.overall_se


def test_notyet_without_never_treated_uses_last_cohort_as_control(mpdta):
    df = mpdta[mpdta["first.treat"] > 0]
    res = att_gt(df, yname="lemp", tname="year", idname="countyreal", gname="first.treat",
                 control_group="notyet")
    assert list(res.glist) == [2004, 2006]
    assert res.tlist.max() == 2006
    with pytest.raises(EstimationError, match="never-treated"):
        att_gt(df, yname="lemp", tname="year", idname="countyreal", gname="first.treat")


def test_unbalanced_panel_names_rows(mpdta):
    df = mpdta.drop(index=[7]).reset_index(drop=True)
    with pytest.raises(InputError, match="unbalanced") as exc:
        att_gt(df, yname="lemp", tname="year", idname="countyreal", gname="first.treat")
    assert "rows 6, 7, 8, 9" in str(exc.value)


def test_cohort_varying_within_unit_names_rows(mpdta):
    df = mpdta.copy()
    df.loc[3, "first.treat"] = 2006
    with pytest.raises(InputError, match="differs between rows") as exc:
        att_gt(df, yname="lemp", tname="year", idname="countyreal", gname="first.treat")
    assert "rows 1, 2, 3, 4, 5" in str(exc.value)


def test_duplicate_years_and_bad_outcome_name_rows(mpdta):
    dup = pd.concat([mpdta, mpdta.iloc[[10]]], ignore_index=True)
    with pytest.raises(InputError, match="more than one row") as exc:
        att_gt(dup, yname="lemp", tname="year", idname="countyreal", gname="first.treat")
    assert "11" in str(exc.value) and str(len(dup)) in str(exc.value)
    bad = mpdta.astype({"lemp": object})
    bad.loc[4, "lemp"] = "n/a"
    with pytest.raises(InputError, match="lemp") as exc:
        att_gt(bad, yname="lemp", tname="year", idname="countyreal", gname="first.treat")
    assert "row 5" in str(exc.value)
    with pytest.raises(InputError, match="control_group"):
        att_gt(mpdta, yname="lemp", tname="year", idname="countyreal", gname="first.treat",
               control_group="sometimes")


def test_outputs_tidy_summary_plot(mpdta):
    res = att_gt(mpdta, yname="lemp", tname="year", idname="countyreal", gname="first.treat")
    tab = res.cells()
    assert list(tab.columns) == ["group", "time", "event_time", "post", "att", "se",
                                 "ci_low", "ci_high"]
    assert len(tab) == 12
    np.testing.assert_allclose(tab["ci_high"] - tab["att"], 1.959963984540054 * tab["se"])
    assert res.to_dict()["cells"] == tab.to_dict(orient="records")
    text = res.summary()
    assert "2004" in text and "never treated" in text
    aggs = aggte_all(res)
    assert set(aggs) == set(AGGS)
    d = aggs["dynamic"].to_dict()
    assert {"att", "se", "table", "pre_avg", "post_avg"} <= set(d)
    assert d["table"][0]["event_time"] == -3
    assert list(aggs["group"].table().columns) == ["group", "att", "se", "ci_low", "ci_high"]
    assert d["table"] == aggs["dynamic"].table().to_dict(orient="records")
    assert "pre_avg" in aggs["dynamic"].summary()
    import matplotlib.pyplot as plt

    for fig in (res.plot(), aggs["dynamic"].plot(), aggs["simple"].plot()):
        assert fig.axes
        plt.close(fig)


def test_event_window_balance_and_anticipation(mpdta):
    kw = dict(yname="lemp", tname="year", idname="countyreal", gname="first.treat")
    res = att_gt(mpdta, **kw)
    full = aggte(res, "dynamic")
    win = aggte(res, "dynamic", min_e=-2, max_e=1)
    np.testing.assert_array_equal(win.egt, [-2, -1, 0, 1])
    np.testing.assert_allclose(win.att_egt, full.att_egt[np.isin(full.egt, win.egt)])
    assert win.overall_att == pytest.approx(full.att_egt[np.isin(full.egt, [0, 1])].mean())
    # balance_e=1: only cohorts seen at least one period after treatment (2004, 2006)
    bal = aggte(res, "dynamic", balance_e=1)
    np.testing.assert_array_equal(bal.egt, [-2, -1, 0, 1])
    tab = res.cells()
    sizes = {g: (res.unit_cohort == g).mean() for g in res.glist}
    for e, a in zip(bal.egt, bal.att_egt, strict=True):
        cells = tab[(tab.event_time == e) & tab.group.isin([2004, 2006])]
        w = cells.group.map(sizes)
        assert a == pytest.approx((cells.att * w).sum() / w.sum(), abs=1e-12)
    # anticipation = 1: the 2004 cohort has no clean pre-period and is dropped, as in R
    with pytest.warns(RuntimeWarning, match="dropped"):
        ant = att_gt(mpdta, anticipation=1, **kw)
    assert list(ant.glist) == [2006, 2007]
    assert ant.n == 500 - int((mpdta["first.treat"] == 2004).sum() / 5)


def test_tidy_is_broom(mpdta):
    from scipy import stats

    from pairnet.core.results import TIDY_COLUMNS

    res = att_gt(mpdta, yname="lemp", tname="year", idname="countyreal", gname="first.treat")
    t = res.tidy()
    assert list(t.columns) == [*TIDY_COLUMNS, "group", "time", "event_time", "post"]
    cells = res.cells()
    assert t["term"].iloc[0] == f"ATT({cells['group'].iloc[0]},{cells['time'].iloc[0]})"
    np.testing.assert_array_equal(t["estimate"], cells["att"])
    np.testing.assert_array_equal(t["std_error"], cells["se"])
    np.testing.assert_array_equal(t["conf_low"], cells["ci_low"])
    np.testing.assert_array_equal(t["event_time"], cells["event_time"])
    z = cells["att"] / cells["se"]
    np.testing.assert_allclose(t["statistic"], z)
    np.testing.assert_allclose(t["p_value"], 2 * stats.norm.sf(np.abs(z)))
    aggs = aggte_all(res)
    dyn = aggs["dynamic"].tidy()
    assert list(dyn.columns) == [*TIDY_COLUMNS, "type", "event_time"]
    assert list(dyn["term"][:3]) == ["overall", "pre_avg", "post_avg"]
    assert dyn["event_time"][:3].isna().all()
    assert list(dyn["term"][3:]) == [f"event_time::{e}" for e in aggs["dynamic"].egt.astype(int)]
    over = aggs["dynamic"].overall().set_index("term")
    assert dyn.set_index("term").loc["pre_avg", "conf_high"] == over.loc["pre_avg", "ci_high"]
    np.testing.assert_array_equal(dyn["estimate"][3:], aggs["dynamic"].att_egt)
    simple = aggs["simple"].tidy()
    assert list(simple.columns) == [*TIDY_COLUMNS, "type"] and len(simple) == 1
    assert simple["estimate"].iloc[0] == aggs["simple"].overall_att
    grp = aggs["group"].tidy()
    assert list(grp["term"][1:]) == ["group::2004", "group::2006", "group::2007"]


# --------------------------------------------------------------------------------------------
# the fast paths against the formulas they replace
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["dr", "reg", "ipw"])
def test_intercept_only_path_equals_matrix_path(method):
    """x=None (scalar algebra) gives the n x 1 matrix algebra's ATT and influence function."""
    from pairnet.analyses._drdid import ESTIMATORS

    rng = np.random.default_rng(3)
    for n, share in ((50, 0.3), (2000, 0.08), (7, 0.5)):
        d = (rng.uniform(size=n) < share).astype(float)
        d[:2] = [1.0, 0.0]
        dy = rng.normal(size=n) + 0.4 * d
        att_m, inf_m = ESTIMATORS[method](dy, d, np.ones((n, 1)))
        att_s, inf_s = ESTIMATORS[method](dy, d, None)
        assert att_s == pytest.approx(att_m, abs=1e-12)
        np.testing.assert_allclose(inf_s, inf_m, rtol=0, atol=1e-12)


def test_wif_times_equals_r_wif_matrix():
    """The O(n) group-share term equals R's n x k matrix ``wif`` times the estimates."""
    from pairnet.analyses.cs import _Shares, _wif_times

    rng = np.random.default_rng(4)
    glist = np.array([2004.0, 2006.0, 2007.0])
    cohort = rng.choice([0.0, *glist], size=300)
    group = np.repeat(glist, 4)  # the cells' cohorts
    pgg = np.array([(cohort == g).mean() for g in glist])
    gcode = np.searchsorted(glist, group)
    pos = np.minimum(np.searchsorted(glist, cohort), 2)
    sh = _Shares(pg=pgg[gcode], gcode=gcode,
                 ucode=np.where(glist[pos] == cohort, pos, 3), size=4)

    def r_wif(keepers, pg):  # did:::wif, written as R does
        pk = pg[keepers]
        dev = (cohort[:, None] == group[keepers][None, :]) - pk[None, :]
        return dev / pk.sum() - dev.sum(axis=1)[:, None] * (pk / pk.sum() ** 2)[None, :]

    for keepers in (np.array([0, 5, 9]), np.arange(12), np.array([4, 5])):
        a = rng.normal(size=len(keepers))
        np.testing.assert_allclose(_wif_times(keepers, sh, a), r_wif(keepers, sh.pg) @ a,
                                   rtol=0, atol=1e-13)
    kk = np.arange(3)  # the group aggregation: pgg with the first nG cells' cohorts
    a = rng.normal(size=3)
    np.testing.assert_allclose(_wif_times(kk, sh, a, pg=pgg), r_wif(kk, pgg) @ a, atol=1e-13)


def test_unit_order_is_the_text_order_of_ids():
    """Units are ordered as np.unique(ids.astype(str)), whatever the id type."""
    from pairnet.analyses.cs import _codes_sorted

    rng = np.random.default_rng(5)
    cases = [rng.integers(0, 10 ** 6, 400), rng.integers(0, 10 ** 17, 400),
             np.array([0, 1, 10, 2, 100, 9, 99, 10 ** 9]), rng.integers(-50, 50, 300),
             np.array(["b", "a", "广州", "10", "9"]), np.array([1.0, 2.5, 10.0]),
             pd.array([1, 2, 10], dtype="Int64")]
    for v in cases:
        x = pd.Series(v).iloc[np.r_[np.arange(len(v)), np.arange(0, len(v), 3)]]
        u, code = _codes_sorted(x.reset_index(drop=True), as_text=True)
        ru, rcode = np.unique(x.astype(str).to_numpy(), return_inverse=True)
        np.testing.assert_array_equal(u, ru)
        np.testing.assert_array_equal(code, rcode)
    t = pd.Series([2004.0, 2001.0, 2010.0, 2001.0])
    u, code = _codes_sorted(t, as_text=False)
    np.testing.assert_array_equal(u, [2001.0, 2004.0, 2010.0])
    np.testing.assert_array_equal(code, [1, 0, 2, 0])


def test_row_order_and_id_type_do_not_change_estimates(mpdta):
    kw = dict(yname="lemp", tname="year", idname="countyreal", gname="first.treat")
    a = att_gt(mpdta, **kw)
    shuffled = mpdta.sample(frac=1.0, random_state=1)
    b = att_gt(shuffled.assign(countyreal="c" + shuffled["countyreal"].astype(str)), **kw)
    np.testing.assert_allclose(b.att, a.att, rtol=0, atol=1e-12)
    np.testing.assert_allclose(b.se, a.se, rtol=1e-12)
    for tp in AGGS:
        assert aggte(b, tp).overall_se == pytest.approx(aggte(a, tp).overall_se, rel=1e-12)
