"""Few clusters, unbalanced panels, string ids, cohorts outside the window: DID against R.

References: ``tests/reference/did/few_clusters.json`` from ``few_clusters.R`` (R fixest 0.14.2
feols / i() / sunab, fwildclusterboot 0.14.3 boottest with full Rademacher enumeration) on the
seeded designs of ``make_few_clusters.py`` (CSV committed beside them) and on mpdta.
Estimates to 1e-8, SEs to 1e-6 (relative); the wild bootstrap p-values are deterministic
(full enumeration) and must be equal.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pairnet.analyses.did import (
    WildOptions,
    distance_interaction,
    event_study,
    prepare_panel,
    sun_abraham,
    twfe,
)
from pairnet.analyses.wild import wild_p_value, wild_tests, wild_tstats, wild_weights

REF = Path(__file__).parent / "reference" / "did"
R = json.loads((REF / "few_clusters.json").read_text(encoding="utf-8"))
DESIGNS = sorted(R["designs"])
EST, SE = 1e-8, 1e-6


def _panel(name: str, cluster: str | None = "origin"):
    df = pd.read_csv(REF / f"{name}.csv")
    return prepare_panel(df, unit="unit", time="year", cohort="cohort", y="y", controls=["x"],
                         distance=["dist"], cluster=cluster)


@pytest.fixture(scope="module", params=DESIGNS)
def design(request):
    return request.param, _panel(request.param), R["designs"][request.param]


def _check_coefs(coef: pd.DataFrame, ref: dict, rename=lambda t: t) -> None:
    terms = [rename(t) for t in ref["term"]]
    got = coef.loc[terms]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=EST, atol=EST)
    np.testing.assert_allclose(got["std_error"], ref["std_error"], rtol=SE)
    np.testing.assert_allclose(got["p_value"], ref["p_value"], rtol=SE, atol=1e-12)
    np.testing.assert_allclose(got["conf_low"], ref["conf_low"], rtol=SE, atol=EST)
    np.testing.assert_allclose(got["conf_high"], ref["conf_high"], rtol=SE, atol=EST)


def test_the_designs_are_what_they_claim(design):
    name, p, r = design
    f = p.frame
    assert p.n_clusters == r["G"] in (9, 12) and p.cluster_name == "origin"
    assert len(f) == r["n_obs"] and not p.is_balanced
    assert isinstance(p.unit_labels[0], str) and "|" in p.unit_labels[0]
    g = f.groupby("unit")["cohort"].first()
    assert (g == 0).any()                                  # never treated
    if name != "never_only":
        assert (g > f["time"].max()).any() or (g < f["time"].min()).any()
    else:
        assert set(g[g > 0]) == {2014}


def test_twfe_crv1_equals_fixest_with_t_g_minus_1(design):
    _, p, r = design
    res = twfe(p)
    _check_coefs(res.coef, r["twfe"])
    assert res.nobs == r["twfe"]["nobs"] and res.n_clusters == r["G"]
    # the p-value is the two-sided t(G-1) tail of the CR1 t statistic, the CI its quantile
    c = res.coef.loc["treat"]
    assert r["twfe"]["df_t"] == r["G"] - 1
    assert c.p_value == pytest.approx(2 * stats.t.sf(abs(c.estimate / c.std_error),
                                                     r["G"] - 1), rel=1e-12)
    q = stats.t.ppf(0.975, r["G"] - 1)
    assert c.conf_high == pytest.approx(c.estimate + q * c.std_error, rel=1e-12)
    raw = twfe(p, controls=True, controls_as="raw")
    _check_coefs(raw.coef, r["twfe_x"])


def test_twfe_clustered_by_unit_equals_fixest(design):
    name, _, r = design
    res = twfe(_panel(name, cluster=None))
    _check_coefs(res.coef, r["twfe_unit"])
    assert res.cluster == "unit" and res.n_clusters == r["n_units"]


def test_distance_interaction_and_break_even_equal_fixest(design):
    _, p, r = design
    d = distance_interaction(p, p.distance[0])
    _check_coefs(d.model.coef, r["distance"],
                 rename=lambda t: "treat:dist" if t == "treat_x_dist" else t)
    np.testing.assert_allclose(d.model.vcov, r["distance"]["vcov"], rtol=2 * SE)
    assert d.break_even == pytest.approx(r["distance"]["break_even"], rel=EST)
    assert d.break_even_se == pytest.approx(r["distance"]["break_even_se"], rel=SE)
    # the break-even CI uses the coefficients' t(G-1), as the R script computes it
    np.testing.assert_allclose(d.break_even_ci, r["distance"]["break_even_ci"], rtol=SE)
    assert d.df_t == r["G"] - 1


@pytest.mark.parametrize("ends", ["bin", "trim"])
def test_event_study_equals_fixest_i(design, ends):
    _, p, r = design
    ref = r[f"es_{ends}"]
    es = event_study(p, leads=r["leads"], lags=r["lags"], ends=ends)
    t = es.table.set_index("rel_time")
    ks = [int(k) for k in ref["rel_time"]]
    np.testing.assert_allclose(t.loc[ks, "coef"], ref["estimate"], rtol=EST, atol=EST)
    np.testing.assert_allclose(t.loc[ks, "se"], ref["std_error"], rtol=SE)
    np.testing.assert_allclose(t.loc[ks, "p_value"], ref["p_value"], rtol=SE, atol=1e-12)
    np.testing.assert_allclose(t.loc[ks, "ci_low"], ref["conf_low"], rtol=SE, atol=EST)
    # every other window period is the base or has no observation
    others = [k for k in t.index if k not in ks]
    assert t.loc[others, "se"].isna().all()
    assert es.nobs == ref["nobs"] and es.ends == ends
    if ends == "trim":
        assert es.n_trimmed == ref["n_dropped"] > 0
    late = p.frame.loc[p.frame["cohort"] > p.frame["time"].max(), "unit"].nunique()
    assert es.n_late_as_never == late


def test_sun_abraham_periods_and_att_equal_fixest_sunab(design):
    _, p, r = design
    sa = sun_abraham(p)
    per = sa.periods
    assert [int(k) for k in per["rel_time"]] == [int(k) for k in r["sunab"]["rel_time"]]
    np.testing.assert_allclose(per["estimate"], r["sunab"]["estimate"], rtol=EST, atol=EST)
    np.testing.assert_allclose(per["std_error"], r["sunab"]["std_error"], rtol=SE)
    np.testing.assert_allclose(per["p_value"], r["sunab"]["p_value"], rtol=SE, atol=1e-12)
    assert sa.estimate == pytest.approx(r["sunab_att"]["estimate"], rel=EST)
    assert sa.se == pytest.approx(r["sunab_att"]["std_error"], rel=SE)
    assert float(sa.coef["p_value"].iloc[0]) == pytest.approx(r["sunab_att"]["p_value"],
                                                              rel=SE)
    t = sa.tidy()
    assert t["term"].iloc[0] == "ATT" and t["term"].iloc[1].startswith("rel_time::")


def test_sun_abraham_per_period_on_mpdta_equals_fixest():
    ref = R["sunab_mpdta"]
    df = pd.read_csv(REF / "mpdta.csv")
    p = prepare_panel(df, unit="countyreal", time="year", cohort="first.treat", y="lemp")
    sa = sun_abraham(p)
    assert [int(k) for k in sa.periods["rel_time"]] == [int(k) for k in ref["rel_time"]]
    np.testing.assert_allclose(sa.periods["estimate"], ref["estimate"], rtol=EST, atol=EST)
    np.testing.assert_allclose(sa.periods["std_error"], ref["std_error"], rtol=SE)
    assert sa.estimate == pytest.approx(ref["att"]["estimate"], rel=EST)
    assert sa.se == pytest.approx(ref["att"]["std_error"], rel=SE)


# ---------------------------------------------------------------------------- wild bootstrap
WILD = WildOptions(draws=9999, weights="rademacher", seed=0)


def _check_wild(w, ref) -> None:
    assert w.full_enumeration and w.n_draws == ref["B"] == 2 ** w.n_clusters
    assert w.p_value == pytest.approx(ref["p_val"], abs=1e-12)
    np.testing.assert_allclose(w.conf_int, ref["conf_int"], rtol=1e-6)


def test_twfe_p_wild_equals_fwildclusterboot(design):
    _, p, r = design
    res = twfe(p, wild=WILD)
    _check_wild(res.wild["treat"], r["twfe_wild"])
    assert res.p_wild == res.wild["treat"].p_value
    raw = twfe(p, controls=True, controls_as="raw", wild=WILD)
    _check_wild(raw.wild["treat"], r["twfe_x_wild"])
    t = res.tidy()
    assert list(t.columns[-3:]) == ["p_wild", "conf_low_wild", "conf_high_wild"]


def test_distance_p_wild_per_coefficient_equals_fwildclusterboot(design):
    _, p, r = design
    d = distance_interaction(p, p.distance[0], wild=WILD)
    _check_wild(d.model.wild["treat"], r["distance_wild"]["treat"])
    _check_wild(d.model.wild["treat:dist"], r["distance_wild"]["treat_x_dist"])
    j = d.to_dict()
    assert set(j["p_wild"]) == {"treat", "treat:dist"}


def test_event_study_p_wild_per_coefficient_equals_fwildclusterboot():
    # one design is enough for the event study (each coefficient is one bootstrap)
    r = R["designs"]["few9"]
    p = _panel("few9")
    es = event_study(p, leads=r["leads"], lags=r["lags"], wild=WILD)
    t = es.table.set_index("rel_time")
    for k, ref in zip(r["es_bin"]["rel_time"], r["es_bin_wild"], strict=True):
        assert ref["param"] == f"rel_b::{int(k)}"
        assert t.loc[int(k), "p_wild"] == pytest.approx(ref["p_val"], abs=1e-12)
        np.testing.assert_allclose(t.loc[int(k), ["ci_low_wild", "ci_high_wild"]].to_numpy(float),
                                   ref["conf_int"], rtol=1e-6)
    assert np.isnan(t.loc[-1, "p_wild"])
    assert {"p_wild", "ci_low_wild"} <= set(es.to_dict()["event_study"].columns)


def test_no_wild_bootstrap_with_fifty_clusters_or_more():
    p = _panel("few9", cluster=None)                      # 54 units = 54 clusters
    assert p.n_clusters >= 50
    assert twfe(p, wild=WILD).wild == {}
    assert twfe(_panel("few9"), wild=WildOptions(draws=0)).wild == {}


def _pyfixest_model(p):
    """The TWFE model fitted directly with pyfixest, as a user would."""
    import pyfixest as pf

    return pf.feols("y ~ treat | unit + time", data=p.frame, vcov={"CRV1": "cluster"})


@pytest.mark.parametrize("weights", ["rademacher", "webb"])
def test_p_wild_is_pyfixest_wildboottest_on_the_same_model(weights):
    p = _panel("few12")
    draws = 9999 if weights == "rademacher" else 999          # rademacher: 2^12 <= draws
    res = twfe(p, wild=WildOptions(draws=draws, weights=weights, seed=11))
    m = _pyfixest_model(p)
    reps = 2 ** 12 + 1 if weights == "rademacher" else 999    # rademacher: enumerate
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out, t_boot = m.wildboottest(reps=reps, param="treat", weights_type=weights, seed=11,
                                     return_bootstrapped_t_stats=True)
    w = res.wild["treat"]
    assert w.p_value == wild_p_value(float(out["t value"]), t_boot)
    assert w.n_draws == len(t_boot) == (2 ** 12 if weights == "rademacher" else 999)
    if weights == "webb":
        # random draws: no tie at |t|, the package's own p-value is the same number
        assert w.p_value == pytest.approx(float(out["Pr(>|t|)"]), abs=1e-15)
        assert not w.full_enumeration


def test_the_interval_inverts_the_same_bootstrap():
    # our vectorised bootstrap t's (used for the interval) are the package's on the same
    # weights, at r = 0 and after shifting y by r * treat
    from pairnet.analyses._pyfixest import adapt

    p = _panel("few9")
    m = _pyfixest_model(p)
    fit = adapt(m)
    G = p.n_clusters
    for weights, draws in (("rademacher", 9999), ("webb", 300)):
        v = wild_weights(G, draws, weights, 5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out, t_boot = m.wildboottest(reps=draws if weights == "webb" else 2 ** G + 1,
                                         param="treat", weights_type=weights, seed=5,
                                         return_bootstrapped_t_stats=True)
        t0, tb = wild_tstats(fit, "treat", fit.data_column("cluster"), v)
        s = np.sqrt(float(out["ssc"]))
        np.testing.assert_allclose(tb / s, t_boot, rtol=1e-9, atol=1e-12)
        assert t0 / s == pytest.approx(float(out["t value"]), rel=1e-9)
    w = wild_tests(fit, ["treat"], cluster="cluster", draws=9999, seed=5)["treat"]
    lo, hi = w.conf_int
    # at the interval's ends the test of treat = r sits at the 5 % level
    import pyfixest as pf

    eps = 1e-6 * (hi - lo)

    def p_at(r: float) -> float:
        shifted = p.frame.assign(y_r=p.frame[p.y] - r * p.frame["treat"])
        mr = pf.feols("y_r ~ treat | unit + time", data=shifted, vcov={"CRV1": "cluster"})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            o, tb = mr.wildboottest(reps=2 ** G + 1, param="treat", seed=5,
                                    return_bootstrapped_t_stats=True)
        return wild_p_value(float(o["t value"]), tb)

    assert p_at(lo + eps) >= 0.05 > p_at(lo - eps)
    assert p_at(hi - eps) >= 0.05 > p_at(hi + eps)
