"""City-panel models against R on unbalanced panels of our own (tests/reference/panel).

``plm_unbalanced.json`` comes from ``plm_unbalanced.R`` (plm 2.6-2, fixest 0.14.2, sandwich
3.0.2, fwildclusterboot 0.14.3) on ``unbalanced_{a,b,c}.csv`` (``make_unbalanced.py``, seeded):
pooled / within (one- and two-way) / Swamy-Arora RE, their variance components and theta by
firm, pFtest, phtest, plm's HC1 clustered SEs, CR1 SEs with t(G-1) p-values and intervals, and
the wild cluster bootstrap under full enumeration (12 clusters, 2^12 = 4096 sign vectors).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pairnet.analyses.citypanel import (
    TestResult,
    choose_model,
    fit_fe,
    fit_pooled,
    fit_re,
    pftest,
    phtest,
    wild_fit,
)

HERE = Path(__file__).parent / "reference" / "panel"
R = json.loads((HERE / "plm_unbalanced.json").read_text(encoding="utf-8"))
KW = {"entity": "firm", "time": "year", "y": "y", "x": ["x1", "x2", "x3"]}
RTOL = 1e-6
MODELS = ("pooling", "within", "twoways", "random")


def _load(name: str) -> pd.DataFrame:
    return pd.read_csv(HERE / f"unbalanced_{name}.csv", dtype={"firm": str, "region": str})


def _fit(model: str, d: pd.DataFrame, cluster: str | None = None):
    if model == "pooling":
        return fit_pooled(d, cluster=cluster, **KW)
    if model == "within":
        return fit_fe(d, cluster=cluster, **KW)
    if model == "twoways":
        return fit_fe(d, cluster=cluster, twoways=True, **KW)
    return fit_re(d, cluster=cluster, **KW)


def _r(d: dict) -> pd.Series:
    """An R named list as a Series, '(Intercept)' renamed to pairnet's 'const'."""
    return pd.Series({("const" if k == "(Intercept)" else k): v for k, v in d.items()})


@pytest.fixture(scope="module")
def fits():
    out = {}
    for name in "abc":
        d = _load(name)
        for cl in ["firm", *(["region"] if name == "a" else [])]:
            for m in MODELS:
                out[name, cl, m] = _fit(m, d, None if cl == "firm" else cl)
    return out


def test_reference_panels_are_unbalanced_with_string_ids():
    for name in "abc":
        d = _load(name)
        t = d.groupby("firm").size()
        assert t.min() >= 7 and t.max() <= 13 and t.nunique() > 1  # unbalanced
        gaps = d.groupby("firm")["year"].agg(lambda s: s.max() - s.min() + 1 - len(s))
        assert (gaps > 0).any()  # interior gaps
        assert R[name]["n"] == len(d) and R[name]["firms"] == d["firm"].nunique()
    assert any(f.startswith("0") for f in _load("a")["firm"])  # leading zeros kept as text


@pytest.mark.parametrize("name", list("abc"))
@pytest.mark.parametrize("model", MODELS)
def test_coefficients_ses_df_r2_and_plm_hc1_equal_plm(fits, name, model):
    fit, ref = fits[name, "firm", model], R[name][model]
    coef = _r(ref["coef"])
    np.testing.assert_allclose(fit.coef[coef.index], coef, rtol=RTOL)
    np.testing.assert_allclose(fit.se[coef.index], _r(ref["se"]), rtol=RTOL)
    np.testing.assert_allclose(fit.se_cluster[coef.index], _r(ref["se_hc1_group"]), rtol=RTOL)
    assert fit.df_resid == ref["df_residual"]
    np.testing.assert_allclose(fit.r2, ref["r2"], rtol=RTOL)


@pytest.mark.parametrize("name", list("abc"))
def test_swamy_arora_components_and_theta_by_firm_equal_plm(fits, name):
    re, ref = fits[name, "firm", "random"], R[name]["ercomp"]
    np.testing.assert_allclose(re.extra["sigma2_idios"], ref["sigma2_idios"], rtol=RTOL)
    np.testing.assert_allclose(re.extra["sigma2_id"], ref["sigma2_id"], rtol=RTOL, atol=1e-12)
    theta = re.extra["theta"]
    assert set(theta.index) == set(ref["theta"])
    np.testing.assert_allclose(theta[list(ref["theta"])], list(ref["theta"].values()),
                               rtol=RTOL, atol=1e-12)
    if name != "c":
        assert theta.nunique() > 1  # unbalanced: one theta per number of years
    else:
        assert ref["sigma2_id"] == 0 and (theta == 0).all()  # plm truncates at 0: RE = pooled


@pytest.mark.parametrize("name", list("abc"))
def test_pftest_one_and_two_way_equal_plm(fits, name):
    for fe_key, ref_key in (("within", "pftest"), ("twoways", "pftest_twoways")):
        f = pftest(fits[name, "firm", fe_key], fits[name, "firm", "pooling"])
        ref = R[name][ref_key]
        np.testing.assert_allclose(f.stat, ref["stat"], rtol=RTOL)
        assert f.df == (ref["df1"], ref["df2"])
        np.testing.assert_allclose(f.p, ref["p"], rtol=RTOL)


@pytest.mark.parametrize("name", ["a", "b"])
def test_phtest_equals_plm(fits, name):
    h = phtest(fits[name, "firm", "within"], fits[name, "firm", "random"])
    ref = R[name]["phtest"]
    np.testing.assert_allclose(h.stat, ref["stat"], rtol=RTOL)
    np.testing.assert_allclose(h.p, ref["p"], rtol=RTOL)
    assert h.df == ref["df"] and h.valid
    # panel A: positive statistic although V_FE - V_RE has a negative eigenvalue: said so
    assert (h.extra["min_eigenvalue"] <= 0) == ("not positive definite" in h.note)


def test_panel_a_hausman_rejects_and_the_suite_picks_fe(fits):
    # the firm effect is correlated with x1 by construction: plm's phtest rejects RE
    from pairnet.analyses.citypanel import citypanel_suite

    res = citypanel_suite(_load("a"), **KW, wild_draws=0)
    assert R["a"]["phtest"]["p"] < 0.01 and res.hausman.p < 0.01 and res.chosen == "fe"


def test_negative_hausman_is_flagged_not_p_one(fits):
    # panel C: V_FE - V_RE is not positive definite; plm returns abs() of the quadratic form
    h = phtest(fits["c", "firm", "within"], fits["c", "firm", "random"])
    ref = R["c"]["phtest"]
    assert h.stat < 0 and not h.valid and np.isnan(h.p)
    np.testing.assert_allclose(-h.stat, ref["stat"], rtol=RTOL)
    np.testing.assert_allclose(h.extra["stat_plm"], ref["stat"], rtol=RTOL)
    np.testing.assert_allclose(h.extra["p_plm"], ref["p"], rtol=RTOL)
    assert "not positive definite" in h.note and "not valid" in h.note
    d = h.to_dict()
    assert d["valid"] is False and d["p"] != d["p"] and d["stat"] < 0


def test_model_choice_never_rests_on_an_invalid_hausman():
    f = TestResult("F", 9.0, (10, 100), 1e-6)
    bad = TestResult("H", -3.6, 3, float("nan"), "not positive definite", False)
    for mp, want in ((0.01, "fe"), (0.4, "re")):
        chosen, line = choose_model(f, bad, TestResult("M", 1.0, 3, mp))
        assert chosen == want and "Hausman not valid" in line and "Mundlak test decides" in line
    chosen, line = choose_model(f, bad, None)
    assert chosen == "fe" and "consistent under both" in line
    # not positive definite but positive: p reported with the caveat, as Stata, and used
    odd = TestResult("H", 20.0, 3, 1.7e-4, "not positive definite", True)
    assert choose_model(f, odd, TestResult("M", 1.0, 3, 0.4))[0] == "fe"


def _crv1_cases():
    return [(n, cl, m) for n in "abc" for cl in ["firm", *(["region"] if n == "a" else [])]
            for m in MODELS]


@pytest.mark.parametrize("name,cl,model", _crv1_cases())
def test_crv1_se_p_and_ci_equal_fixest_and_sandwich(fits, name, cl, model):
    fit = fits[name, cl, model]
    ref = R[name][f"crv1_{cl}"]
    blk = ref[model]
    assert fit.n_clusters == ref["G"] and fit.df_crv1 == blk["t_df"] == ref["G"] - 1
    se = _r(blk["se"])
    np.testing.assert_allclose(fit.se_crv1[se.index], se, rtol=RTOL)
    np.testing.assert_allclose(fit.pvalues_crv1()[se.index], _r(blk["p"]), rtol=RTOL)
    t = fit.tidy().set_index("term")
    np.testing.assert_allclose(t.loc[se.index, "conf_low"], _r(blk["ci_low"]), rtol=RTOL)
    np.testing.assert_allclose(t.loc[se.index, "conf_high"], _r(blk["ci_high"]), rtol=RTOL)
    np.testing.assert_allclose(t.loc[se.index, "p_value"], _r(blk["p"]), rtol=RTOL)


def test_twelve_cluster_p_values_are_the_t_g_minus_1_tail_of_cr1(fits):
    from scipy import stats

    fit = fits["b", "firm", "within"]
    assert fit.n_clusters == 12
    t = fit.coef / fit.se_crv1
    np.testing.assert_allclose(fit.pvalues_crv1(), 2 * stats.t.sf(np.abs(t), 11), rtol=1e-12)
    # fewer stars than the residual-df convention with the same SE
    assert (fit.pvalues_crv1() > 2 * stats.t.sf(np.abs(t), fit.df_resid)).all()


@pytest.fixture(scope="module")
def wild(fits):
    # 12 clusters, B = 9999 >= 2^12: every sign vector once, deterministic
    return {(n, cl, m): wild_fit(fits[n, cl, m], draws=9999)
            for n, cl in (("a", "region"), ("b", "firm")) for m in MODELS}


@pytest.mark.parametrize("name,cl", [("a", "region"), ("b", "firm")])
@pytest.mark.parametrize("model", MODELS)
def test_wild_bootstrap_equals_fwildclusterboot_under_enumeration(wild, name, cl, model):
    fit = wild[name, cl, model]
    ref = {("const" if k == "(Intercept)" else k): v
           for k, v in R[name][f"crv1_{cl}"]["wild"][model].items()}
    assert fit.wild["enumerated"] and fit.wild["draws"] == 4096
    for term, r in ref.items():
        assert r["B"] == 4096
        # enumeration: the p-value is a count over the same 4096 sign vectors
        assert fit.p_wild[term] == pytest.approx(r["p"], abs=1e-12), term
        # fwildclusterboot inverts with uniroot (tol 1e-6, at most 10 iterations): its
        # bounds sit within 2e-3 SE of the exact steps found here by bisection
        se = fit.se_crv1[term]
        np.testing.assert_allclose(fit.ci_wild.loc[term].to_numpy(), r["ci"], rtol=0,
                                   atol=2e-3 * se)


def test_wild_interval_bounds_are_where_the_p_value_crosses_5_percent(wild):
    from pairnet.analyses.citypanel import wild_cluster_bootstrap

    fit = wild["b", "firm", "within"]
    X, y, g = fit.design
    for j, term in enumerate(fit.coef.index):
        lo, hi = fit.ci_wild.loc[term]
        se = fit.se_crv1[term]
        for r, inside in ((lo + 1e-6 * se, True), (lo - 1e-6 * se, False),
                          (hi - 1e-6 * se, True), (hi + 1e-6 * se, False)):
            p = wild_cluster_bootstrap(X, y - r * X[:, j], g, [j], draws=9999, level=None).p[0]
            assert (p >= 0.05) == inside, (term, r, p)


def _wildboottest_cl(X, y, groups, j, B, weights, seed):
    from wildboottest.wildboottest import WildboottestCL

    codes = pd.factorize(pd.Series(groups).astype(str), sort=True)[0]
    R_ = np.zeros(X.shape[1])
    R_[j] = 1.0
    b = WildboottestCL(X=X, Y=y, cluster=codes, R=R_, B=B, seed=seed, parallel=False)
    b.get_scores(bootstrap_type="11", impose_null=True)
    b.get_weights(weights_type=weights)
    b.get_numer()
    b.get_denom()
    b.get_tboot()
    b.get_vcov()
    b.get_tstat()
    b.get_pvalue(pval_type="two-tailed")
    return float(b.pvalue), np.asarray(b.t_boot), float(np.asarray(b.t_stat).ravel()[0])


def _tied(t_boot, t_stat):
    """Bootstrap statistics equal to the original one up to rounding (the ±1 weight vectors)."""
    return int(np.isclose(np.abs(t_boot), abs(t_stat), rtol=1e-9, atol=0).sum())


@pytest.mark.parametrize("weights", ["rademacher", "webb"])
@pytest.mark.parametrize("model", ["pooling", "random"])
def test_wild_p_equals_wildboottest_on_the_same_design(fits, model, weights):
    # B = 299 < 2^12: random weights, drawn from the same seed by both
    fit = fits["b", "firm", model]
    mine = wild_fit(fit, draws=299, weights=weights, seed=7)
    X, y, g = fit.design
    for j, term in enumerate(fit.coef.index):
        p, tb, ts = _wildboottest_cl(X, y, g, j, 299, weights, 7)
        assert abs(mine.p_wild[term] - p) <= _tied(tb, ts) / 299 + 1e-12, term
        np.testing.assert_allclose(ts, fit.coef[term] / fit.se_crv1[term], rtol=1e-8)


@pytest.mark.parametrize("twoways", [False, True])
def test_wild_p_of_fe_equals_pyfixest_wildboottest_on_dummies(twoways):
    # pyfixest bootstraps the regression with the effects as dummy columns; pairnet partials
    # out the effects nested in the clusters: the bootstrap t statistics are the same
    import pyfixest as pf

    d = _load("b")
    d["cl"] = pd.factorize(d["firm"], sort=True)[0]  # wildboottest needs numeric ids
    fit = fit_fe(d, cluster="cl", twoways=twoways, **KW)
    mine = wild_fit(fit, draws=299, seed=11)
    fes = "firm + year" if twoways else "firm"
    m = pf.feols(f"y ~ x1 + x2 + x3 | {fes}", data=d, vcov={"CRV1": "cl"}, fixef_rm="none")
    for term in (KW["x"] if not twoways else ["x1"]):  # each call compiles numba code: slow
        res, tb = m.wildboottest(reps=299, param=term, cluster="cl", seed=11,
                                 return_bootstrapped_t_stats=True)
        ts = float(res["t value"])
        ref_p = float(res["Pr(>|t|)"])
        assert abs(mine.p_wild[term] - ref_p) <= _tied(np.asarray(tb), ts) / 299 + 1e-12
        # same statistic up to the small-sample factor (pyfixest counts the dummies in k)
        assert np.sign(ts) == np.sign(fit.coef[term])


def test_wild_not_run_from_50_clusters_and_off_at_zero(fits):
    fit = fits["a", "firm", "within"]  # 40 firms
    assert wild_fit(fit, draws=99, max_clusters=40).p_wild is None
    assert "40 clusters" in wild_fit(fit, draws=99, max_clusters=40).wild["status"]
    assert wild_fit(fit, draws=0).wild["status"].startswith("off")
    assert wild_fit(fit, draws=99).wild["status"] == "ran"
