"""DID estimators: R fixest on mpdta, hand-checkable 2x2, dummies = absorbed FE, known effects."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pairnet.analyses.did import (
    descriptives,
    did2s,
    did_2x2,
    did_table,
    distance_interaction,
    event_study,
    ppml,
    prepare_panel,
    simulate_staggered,
    sun_abraham,
    twfe,
    twfe_dummies,
)
from pairnet.core.errors import EstimationError, InputError
from pairnet.core.results import TIDY_COLUMNS


@pytest.fixture(scope="module")
def mpdta(request):
    from pathlib import Path

    ref = Path(__file__).parent / "reference" / "did"
    d = pd.read_csv(ref / "mpdta.csv")
    return d, json.loads((ref / "fixest_twfe.json").read_text())


@pytest.fixture(scope="module")
def mp_panel(mpdta):
    d, _ = mpdta
    return prepare_panel(d, unit="countyreal", time="year", cohort="first.treat", y="lemp",
                         controls=["lpop"])


def test_mpdta_twfe_matches_r_fixest(mp_panel, mpdta):
    _, ref = mpdta
    r = twfe(mp_panel)
    np.testing.assert_allclose(r.estimate, ref["coef"], rtol=1e-8)
    np.testing.assert_allclose(r.se, ref["se"], rtol=1e-6)
    assert r.nobs == 2500
    assert list(r.tidy()["term"]) == ["treat"]
    assert list(r.tidy().columns) == list(TIDY_COLUMNS)
    row = r.tidy().iloc[0]
    assert row["conf_low"] == pytest.approx(row["estimate"] - stats.t.ppf(0.975, 499) * r.se)
    assert r.to_dict()["terms"][0]["conf_high"] == row["conf_high"]


def test_treat_is_post_of_mpdta(mp_panel, mpdta):
    d, _ = mpdta
    post = ((d["year"] >= d["first.treat"]) & (d["first.treat"] > 0)).astype(float)
    f = mp_panel.frame
    # frame is sorted by unit, time; compare after aligning on (unit label, year)
    lab = mp_panel.unit_labels[f["unit"]]
    key = pd.MultiIndex.from_arrays([lab, f["time"]])
    ref = pd.Series(post.to_numpy(), index=pd.MultiIndex.from_arrays([d["countyreal"],
                                                                       d["year"]]))
    np.testing.assert_array_equal(f["treat"].to_numpy(), ref.loc[key].to_numpy())


def test_2x2_equals_difference_of_means():
    df = pd.DataFrame({
        "y": [1.0, 2.0, 3.0, 5.0, 2.0, 4.0, 7.0, 11.0],
        "g": [0, 0, 0, 0, 1, 1, 1, 1],
        "p": [0, 0, 1, 1, 0, 0, 1, 1],
    })
    # by hand: treated (9 - 3) - control (4 - 1.5) = 6 - 2.5 = 3.5
    r = did_2x2(df, y="y", treated="g", post="p")
    assert r.estimate == pytest.approx(3.5, abs=1e-12)
    assert r.tidy()["term"].iloc[0] == "treated:post"


def test_2x2_panel_twfe_equals_difference_of_means():
    s = simulate_staggered(n_units=30, n_periods=2, cohorts=[2001], share_treated=0.5, seed=4)
    p = prepare_panel(s, unit="unit", time="time", cohort="cohort", y="y")
    m = s.groupby([s["cohort"] > 0, "time"])["y"].mean()
    by_hand = (m[(True, 2001)] - m[(True, 2000)]) - (m[(False, 2001)] - m[(False, 2000)])
    assert twfe(p).estimate == pytest.approx(by_hand, abs=1e-10)


def test_dummies_equal_absorbed_fixed_effects():
    s = simulate_staggered(n_units=60, n_periods=8, effect=1.0, seed=12)
    p = prepare_panel(s, unit="unit", time="time", cohort="cohort", y="y")
    a = twfe(p)
    b = twfe_dummies(p)
    assert b.estimate == pytest.approx(a.estimate, rel=1e-9)
    # the SEs differ only by the parameter count K in (n - 1) / (n - K): with absorbed FE,
    # fixest's "nested" rule counts the unit FE (nested in the unit cluster) as 1, so
    # K = treat + 7 period + 1; with dummies K = intercept + 59 unit + 7 period + treat
    n = len(s)
    ratio = np.sqrt((n - 9) / (n - 68))
    assert b.se == pytest.approx(a.se * ratio, rel=1e-9)


def test_recovers_known_effect():
    s = simulate_staggered(n_units=120, n_periods=12, effect=2.0, seed=11)
    p = prepare_panel(s, unit="unit", time="time", cohort="cohort", y="y", controls=["x"])
    r = twfe(p)
    assert abs(r.estimate - 2.0) < 3 * r.se
    rc = twfe(p, controls=True, controls_as="raw")
    assert abs(rc.estimate - 2.0) < 3 * rc.se
    assert rc.se < r.se  # the control explains outcome variance
    es = event_study(p, leads=3, lags=5)
    t = es.tidy()
    assert list(t.columns) == [*TIDY_COLUMNS, "rel_time"]
    assert list(t["term"]) == [f"rel_time::{k}" for k in range(-3, 6)]
    np.testing.assert_array_equal(t["estimate"], es.table["coef"])
    np.testing.assert_array_equal(t["conf_high"], es.table["ci_high"])
    np.testing.assert_array_equal(t["p_value"], es.table["p_value"])
    assert list(es.to_dict()["event_study"].columns) == ["rel_time", "coef", "se", "ci_low",
                                                         "ci_high", "p_value"]
    post = es.table[es.table["rel_time"] >= 0]
    assert np.all(np.abs(post["coef"] - 2.0) < 4 * post["se"])
    assert es.wald["df"] == 2
    assert es.wald["p_value"] > 0.001
    base = es.table.set_index("rel_time").loc[-1]
    assert base["coef"] == 0 and np.isnan(base["se"])
    for alt in (sun_abraham(p), did2s(p)):
        assert abs(alt.estimate - 2.0) < 4 * alt.se


def test_event_study_detects_pretrend():
    s = simulate_staggered(n_units=120, n_periods=12, effect=0.0, seed=5, noise=0.3)
    # an anticipation effect two periods before treatment violates parallel trends
    lead = (s["cohort"] > 0) & (s["time"] - s["cohort"]).isin([-3, -2])
    s.loc[lead, "y"] += 1.0
    p = prepare_panel(s, unit="unit", time="time", cohort="cohort", y="y")
    es = event_study(p, leads=4, lags=4)
    assert es.wald["p_value"] < 1e-6


def test_event_study_bins_endpoints():
    s = simulate_staggered(n_units=60, n_periods=14, effect=1.0, seed=2)
    p = prepare_panel(s, unit="unit", time="time", cohort="cohort", y="y")
    es = event_study(p, leads=2, lags=2)
    assert list(es.table["rel_time"]) == [-2, -1, 0, 1, 2]
    assert "joint test of leads: chi2(1)" in es.summary()
    fig = es.plot()
    assert fig.axes[0].get_xticklabels()[0].get_text().startswith("≤")


def test_distance_break_even_recovered():
    s = simulate_staggered(n_units=200, n_periods=10, effect=0.0, seed=8, noise=0.5)
    tr = (s["cohort"] > 0) & (s["time"] >= s["cohort"])
    s.loc[tr, "y"] += 3.0 - 0.01 * s.loc[tr, "dist"]  # zero effect at 300 km
    p = prepare_panel(s, unit="unit", time="time", cohort="cohort", y="y", distance=["dist"])
    d = distance_interaction(p, "dist")
    assert d.b1 == pytest.approx(3.0, abs=4 * d.model.coef["std_error"].iloc[0])
    assert d.b2 == pytest.approx(-0.01, abs=4 * d.model.coef["std_error"].iloc[1])
    assert d.break_even == pytest.approx(-d.b1 / d.b2)
    lo, hi = d.break_even_ci
    assert lo < 300 < hi
    # delta method by hand
    v = d.model.vcov
    g = np.array([-1 / d.b2, d.b1 / d.b2 ** 2])
    assert d.break_even_se == pytest.approx(float(np.sqrt(g @ v @ g)))
    eff = d.effect_at([0.0, d.break_even])
    assert eff["effect"].iloc[0] == pytest.approx(d.b1)
    assert eff["effect"].iloc[1] == pytest.approx(0.0, abs=1e-9)
    t = d.tidy()
    assert list(t.columns) == list(TIDY_COLUMNS)
    assert list(t["term"]) == ["treat", "treat:dist", "break_even"]
    be = t.iloc[2]
    assert (be["estimate"], be["std_error"], be["conf_low"], be["conf_high"]) == (
        d.break_even, d.break_even_se, *d.break_even_ci)
    assert np.isnan(be["p_value"])
    # the effect band and the break-even CI use the coefficients' t(G-1), not the normal
    assert eff["conf_low"].iloc[0] == pytest.approx(t["conf_low"].iloc[0], rel=1e-12)
    q = stats.t.ppf(0.975, d.df_t)
    assert d.break_even_ci == pytest.approx((d.break_even - q * d.break_even_se,
                                             d.break_even + q * d.break_even_se), rel=1e-12)
    j = d.to_dict()
    assert (j["b0"], j["b1"], j["treat_coef"], j["coef"]) == (d.b1, d.b2, d.b1, d.b2)
    assert j["break_even_km"] == d.break_even and j["vcov"] == d.model.vcov.tolist()


def test_ppml_recovers_multiplicative_effect():
    rng = np.random.default_rng(3)
    s = simulate_staggered(n_units=150, n_periods=10, effect=0.0, seed=3)
    tr = ((s["cohort"] > 0) & (s["time"] >= s["cohort"])).to_numpy()
    mu = np.exp(0.5 + 0.4 * tr + 0.1 * (s["time"] - 2000).to_numpy())
    s["count"] = rng.poisson(mu)
    p = prepare_panel(s, unit="unit", time="time", cohort="cohort", y="count")
    r = ppml(p)
    assert abs(r.estimate - 0.4) < 4 * r.se
    assert r.extra["irr"] == pytest.approx(np.exp(r.estimate))


def test_descriptives_by_treat_cells():
    s = simulate_staggered(n_units=20, n_periods=6, seed=1)
    s["y"] = s["y"].abs()
    p = prepare_panel(s, unit="unit", time="time", cohort="cohort", y="y", controls=["x"])
    t = descriptives(p).set_index("variable")
    tr = (s["cohort"] > 0) & (s["time"] >= s["cohort"])
    assert t.loc["y", "treated_obs"] == tr.sum()
    assert t.loc["y", "control_obs"] == (~tr).sum()
    assert t.loc["y", "treated_mean"] == pytest.approx(s.loc[tr, "y"].mean())
    assert t.loc["log(1+y)", "control_sd"] == pytest.approx(np.log1p(s.loc[~tr, "y"]).std())
    assert t.loc["x", "treated_mean"] == pytest.approx(s.loc[tr, "x"].mean())


def test_two_way_cluster_se_reported():
    s = simulate_staggered(n_units=90, n_periods=8, seed=6)
    s["origin"] = s["unit"].str[-1]
    s["destination"] = s["unit"].str[-2]
    p = prepare_panel(s, unit="unit", time="time", cohort="cohort", y="y",
                      origin="origin", destination="destination")
    r = twfe(p)
    assert "se_cluster2" in r.extra and r.extra["se_cluster2"] > 0
    assert r.estimate == pytest.approx(twfe(p, cluster2=False).estimate)
    tab = did_table([r, twfe(p, log1p=False, cluster2=False)])
    assert "SE origin & destination" in set(tab.iloc[:, 0])


def test_baseline_controls_differ_from_raw(mp_panel):
    a = twfe(mp_panel, controls=True)  # lpop baseline x year dummies
    b = twfe(mp_panel, controls=True, controls_as="raw")  # lpop is time-invariant: absorbed
    assert b.estimate == pytest.approx(twfe(mp_panel).estimate, rel=1e-9)
    assert a.estimate != pytest.approx(b.estimate, rel=1e-3)
    assert a.controls


@pytest.mark.parametrize("mutate, needle", [
    (lambda d: d.drop(columns=["y"]), "missing column"),
    (lambda d: d.assign(y=d["y"].astype(object).where(d.index != 4, "n/a")), "non-numeric"),
    (lambda d: pd.concat([d, d.iloc[[0]]], ignore_index=True), "duplicate period"),
    (lambda d: d.assign(cohort=np.where(d.index == 3, 2004, d["cohort"])), "varies within"),
    (lambda d: d.assign(y=np.where(d.index == 2, np.inf, d["y"])), "non-finite value inf"),
    (lambda d: d.assign(y=np.where(d.index == 2, np.nan, d["y"])), "missing outcome"),
    (lambda d: d.assign(cohort=np.where(d["unit"] == d["unit"].iloc[0], -1, d["cohort"])),
     "negative cohort"),
    (lambda d: d.assign(time=np.where(d.index == 1, -np.inf, d["time"])), "non-finite"),
    (lambda d: d.loc[d["unit"] == d["unit"].iloc[0]], "at least 2 units"),
    (lambda d: d.loc[d["time"] == d["time"].iloc[0]], "2 periods"),
])
def test_prepare_panel_rejects_bad_input(mutate, needle):
    s = simulate_staggered(n_units=6, n_periods=5, share_treated=0.0, seed=0)
    with pytest.raises(InputError, match=needle) as e:
        prepare_panel(mutate(s), unit="unit", time="time", cohort="cohort", y="y")
    if needle not in ("missing column", "at least 2 units", "2 periods"):
        assert "row" in str(e.value)


def test_unsafe_column_names_are_labelled():
    s = simulate_staggered(n_units=30, n_periods=6, seed=9).rename(
        columns={"y": "投资 数目", "cohort": "first.treat"})
    p = prepare_panel(s, unit="unit", time="time", cohort="first.treat", y="投资 数目")
    r = twfe(p)
    assert r.y == "投资 数目"
    assert twfe(p, log1p=False).nobs == len(s)


def test_no_switching_unit_is_an_estimation_error():
    s = simulate_staggered(n_units=10, n_periods=4, share_treated=0.0, seed=0)
    p = prepare_panel(s, unit="unit", time="time", cohort="cohort", y="y")
    with pytest.raises(EstimationError):
        twfe(p)


def _with_always_treated(s: pd.DataFrame, n: int = 4, seed: int = 9) -> pd.DataFrame:
    """Add ``n`` units treated before the panel starts, with their own level and trend."""
    rng = np.random.default_rng(seed)
    years = np.sort(s["time"].unique())
    rows = [{"unit": f"always{i}", "time": t, "cohort": int(years[0]) - 2 + (i % 3),
             "y": 7.0 + 0.8 * (t - years[0]) + rng.normal(), "x": 0.0, "dist": 50.0}
            for i in range(n) for t in years]
    return pd.concat([s, pd.DataFrame(rows)], ignore_index=True)


def test_sun_abraham_ignores_always_treated_units():
    # the reviewer's case: true effect 2; units treated at or before the first period have
    # no pre-period and must not enter the ATT (before the fix they moved it 2.09 -> 1.76)
    s = simulate_staggered(n_units=80, n_periods=10, effect=2.0, seed=3)
    a = sun_abraham(prepare_panel(s, unit="unit", time="time", cohort="cohort", y="y"))
    b = sun_abraham(prepare_panel(_with_always_treated(s), unit="unit", time="time",
                                  cohort="cohort", y="y"))
    assert abs(a.estimate - 2.0) < 3 * a.se
    assert b.estimate == pytest.approx(a.estimate, abs=1e-8)
    assert b.se == pytest.approx(a.se, rel=1e-8)
    assert b.extra["units_dropped_always_treated"] == 4
    assert a.extra["units_dropped_always_treated"] == 0


def test_sun_abraham_cohorts_after_the_panel_are_never_treated():
    s = simulate_staggered(n_units=80, n_periods=10, effect=2.0, seed=4)
    never = s.loc[s["cohort"] == 0, "unit"].unique()[:10]
    late = s.copy()
    late.loc[late["unit"].isin(never), "cohort"] = 2030  # after the last period (2009)
    a = sun_abraham(prepare_panel(s, unit="unit", time="time", cohort="cohort", y="y"))
    b = sun_abraham(prepare_panel(late, unit="unit", time="time", cohort="cohort", y="y"))
    assert b.estimate == pytest.approx(a.estimate, abs=1e-8)
    assert b.extra["n_terms"] == a.extra["n_terms"]  # no lead dummies of their own
    assert b.extra["units_late_as_never"] == 10
    only_late = s.copy()
    only_late.loc[only_late["cohort"] == 0, "cohort"] = 2030
    c = sun_abraham(prepare_panel(only_late, unit="unit", time="time", cohort="cohort", y="y"))
    assert c.estimate == pytest.approx(a.estimate, abs=1e-8)  # they are the controls


def test_sun_abraham_needs_never_treated_after_recoding():
    s = simulate_staggered(n_units=40, n_periods=8, effect=2.0, share_treated=1.0, seed=1)
    with pytest.raises(EstimationError, match="never-treated"):
        sun_abraham(prepare_panel(s, unit="unit", time="time", cohort="cohort", y="y"))
