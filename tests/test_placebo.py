"""Fast placebo test: equals refitting per draw, seeded, p-value uniform under no effect."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pairnet.analyses.did import prepare_panel, simulate_staggered, twfe
from pairnet.analyses.placebo import (
    empirical_p_value,
    placebo_assignments,
    placebo_fast,
    placebo_refit,
    placebo_test,
)


@pytest.fixture(scope="module")
def panel():
    s = simulate_staggered(n_units=50, n_periods=10, effect=1.5, seed=21)
    return prepare_panel(s, unit="unit", time="time", cohort="cohort", y="y", controls=["x"])


@pytest.mark.parametrize("controls, controls_as", [(False, "baseline"), (True, "raw"),
                                                   (True, "baseline")])
def test_fast_equals_refit(panel, controls, controls_as):
    a = placebo_assignments(panel, 4, seed=3)
    fast = placebo_fast(panel, a, controls=controls, controls_as=controls_as)
    slow = placebo_refit(panel, a, controls=controls, controls_as=controls_as)
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)
    it = placebo_fast(panel, a, controls=controls, controls_as=controls_as, method="iterative")
    np.testing.assert_allclose(it, slow, rtol=1e-7, atol=1e-10)


def test_unbalanced_panel_falls_back_and_matches_refit():
    s = simulate_staggered(n_units=40, n_periods=8, effect=1.0, seed=4)
    s = s.drop(index=[2, 17, 90, 151]).reset_index(drop=True)
    p = prepare_panel(s, unit="unit", time="time", cohort="cohort", y="y", controls=["x"])
    assert not p.is_balanced
    a = placebo_assignments(p, 3, seed=0)
    np.testing.assert_allclose(placebo_fast(p, a, controls=True, controls_as="raw"),
                               placebo_refit(p, a, controls=True, controls_as="raw"),
                               rtol=1e-7, atol=1e-10)
    assert "unbalanced" in placebo_test(p, n_draws=5).method


def test_real_assignment_equals_twfe(panel):
    res = placebo_test(panel, n_draws=20, seed=1, log1p=False)
    assert res.estimate == pytest.approx(twfe(panel).estimate, rel=1e-9)
    assert len(res.draws) == 20
    assert res.p_value == pytest.approx(1 / 21)  # a strong effect: no draw reaches it


def test_assignments_keep_size_and_cohorts(panel):
    f = panel.frame
    real = np.sort(f.loc[f["unit"].isin(panel.treated_units)].groupby("unit")["cohort"].first())
    for u, g in placebo_assignments(panel, 10, seed=7):
        assert len(set(u)) == len(panel.treated_units)
        np.testing.assert_array_equal(np.sort(g), real)


def test_seeded(panel):
    a = placebo_test(panel, n_draws=30, seed=5).draws
    b = placebo_test(panel, n_draws=30, seed=5).draws
    c = placebo_test(panel, n_draws=30, seed=6).draws
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_refit_method_equals_fast(panel):
    a = placebo_test(panel, n_draws=3, seed=2, method="refit")
    b = placebo_test(panel, n_draws=3, seed=2)
    np.testing.assert_allclose(a.draws, b.draws, rtol=1e-9)
    assert a.p_value == b.p_value


def test_empirical_p_value_by_hand():
    assert empirical_p_value(np.array([0.1, -0.5, 0.3, 2.0]), 0.4) == pytest.approx(3 / 5)
    assert empirical_p_value(np.array([0.1, 0.2]), -5.0) == pytest.approx(1 / 3)


def test_p_value_uniform_under_no_effect():
    # 40 datasets with no effect, real treatment itself assigned like a placebo draw
    ps = []
    for i in range(40):
        s = simulate_staggered(n_units=30, n_periods=8, effect=0.0, seed=1000 + i)
        p = prepare_panel(s, unit="unit", time="time", cohort="cohort", y="y")
        ps.append(placebo_test(p, n_draws=99, seed=i).p_value)
    ps = np.array(ps)
    assert stats.kstest(ps, "uniform").pvalue > 0.001
    assert 0.0 <= np.mean(ps <= 0.1) <= 0.3


def test_plot_and_summary(panel):
    r = placebo_test(panel, n_draws=25, seed=0)
    fig = r.plot()
    assert len(fig.axes[0].lines) == 2
    assert "p =" in r.summary()
    assert list(r.draws_frame().columns) == ["draw", "coef"]
    from pairnet.core.results import TIDY_COLUMNS

    t = r.tidy()
    assert list(t.columns) == [*TIDY_COLUMNS, "n_draws", "placebo_mean", "placebo_sd",
                               "outcome"]
    row = t.iloc[0]
    assert (row["term"], row["estimate"], row["p_value"], row["n_draws"]) == (
        "treat", r.estimate, r.p_value, 25)
    assert np.isnan(row["std_error"]) and row["placebo_sd"] == pytest.approx(r.draws.std(ddof=1))
    d = r.to_dict()
    assert d["n_draws"] == 25 and d["mean"] == pytest.approx(r.draws.mean())
    assert d["n_treated"] == r.n_treated and d["draws"] is r.draws


def test_unknown_method_is_refused(panel):
    # a typo used to fall through to the iterative solver silently
    from pairnet.core.errors import InputError

    with pytest.raises(InputError, match="exacct"):
        placebo_test(panel, n_draws=2, method="exacct")
    with pytest.raises(InputError, match="refit"):
        placebo_fast(panel, placebo_assignments(panel, 2), method="refit")
