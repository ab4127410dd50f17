"""Model extensions on seeded synthetic panels: DWH test, IV, mechanisms, two-way options."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pairnet.analyses.citypanel import (
    TestResult,
    add_interactions,
    choose_model,
    dwh_test,
    fit_fe,
    lag_within,
    regression_table,
)
from pairnet.core.errors import InputError


def _panel(endogenous: bool, seed: int = 3, n: int = 60, t: int = 12) -> pd.DataFrame:
    """mig is AR(1); with ``endogenous`` its innovation enters the outcome error."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        a = rng.normal()
        m = rng.normal()
        for year in range(2000, 2000 + t):
            v = rng.normal()
            m = 0.7 * m + v
            z = rng.normal()
            e = (0.8 * v if endogenous else 0.0) + rng.normal(0, 0.5)
            rows.append({"city": f"c{i:02d}", "year": year, "mig": m, "z": z,
                         "y": a + 2.0 * m + 1.0 * z + e})
    df = pd.DataFrame(rows)
    df["L_mig"] = lag_within(df, "mig", entity="city", time="year")
    return df.dropna(subset=["L_mig"]).reset_index(drop=True)


KW = {"entity": "city", "time": "year", "y": "y", "x": ["mig", "z"], "endog": "mig",
      "instrument": "L_mig"}


def test_dwh_rejects_when_endogenous_and_iv_recovers():
    df = _panel(True)
    res = dwh_test(df, **KW)
    assert res.test.p < 1e-6 and res.test_cluster.p < 1e-6
    assert res.first_stage_f > 100
    assert abs(res.iv.coef["mig"] - 2.0) < 3 * res.iv.se_cluster["mig"]
    ols = fit_fe(df, entity="city", time="year", y="y", x=["mig", "z"])
    assert ols.coef["mig"] - 2.0 > 5 * ols.se["mig"]  # FE is biased here, IV is not


def test_dwh_does_not_reject_when_exogenous():
    res = dwh_test(_panel(False), **KW)
    assert res.test.p > 0.01


def test_iv_equals_2sls_on_demeaned_data():
    df = _panel(True, seed=5, n=20, t=8)
    res = dwh_test(df, **KW)
    dm = df[["y", "mig", "z", "L_mig"]] - df.groupby("city")[["y", "mig", "z", "L_mig"]] \
        .transform("mean")
    X = dm[["z", "mig"]].to_numpy()
    Z = dm[["z", "L_mig"]].to_numpy()
    Pz = Z @ np.linalg.solve(Z.T @ Z, Z.T)
    b = np.linalg.solve(X.T @ Pz @ X, X.T @ Pz @ dm["y"].to_numpy())
    np.testing.assert_allclose(res.iv.coef[["z", "mig"]].to_numpy(), b, rtol=1e-8)


def test_dwh_twoways_and_bad_endog():
    df = _panel(True, n=20, t=8)
    res = dwh_test(df, twoways=True, **KW)
    assert res.iv.df_resid == len(df) - 2 - 20 - (7 - 1)  # 7 years left after the lag
    with pytest.raises(InputError, match="not among the regressors"):
        dwh_test(df, **{**KW, "endog": "q"})


def test_interactions_centred_and_raw():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [2.0, 4.0, 6.0]})
    raw, names = add_interactions(df, [("a", "b")])
    assert names == ["a_x_b"] and list(raw["a_x_b"]) == [2.0, 8.0, 18.0]
    cen, _ = add_interactions(df, [("a", "b")], centre=True)
    assert list(cen["a_x_b"]) == [2.0, 0.0, 2.0]
    with pytest.raises(InputError, match="not found"):
        add_interactions(df, [("a", "c")])


def test_choose_model_lines():
    f_yes = TestResult("F", 10.0, (9, 100), 1e-5)
    f_no = TestResult("F", 1.0, (9, 100), 0.4)
    h_yes = TestResult("H", 20.0, 2, 1e-4)
    h_no = TestResult("H", 1.0, 2, 0.6)
    assert choose_model(f_no, h_yes)[0] == "pooled"
    assert choose_model(f_yes, h_yes)[0] == "fe"
    chosen, line = choose_model(f_yes, h_no, TestResult("M", 9.0, 2, 0.01))
    assert chosen == "re" and "disagrees" in line


def test_regression_table_layout():
    df = _panel(False, n=10, t=5)
    a = fit_fe(df, entity="city", time="year", y="y", x=["mig"])
    b = fit_fe(df, entity="city", time="year", y="y", x=["mig", "z"])
    tab = regression_table([a, b], ["(1)", "(2)"], stats_rows={"F": ["x", "y"]})
    assert list(tab["variable"]) == ["mig", "", "z", "", "N", "R2", "F"]
    assert tab.loc[2, "(1)"] == "" and tab.loc[3, "(2)"].startswith("(")
    assert tab.loc[0, "(2)"].endswith("***")


def test_fe_keeps_singleton_city_like_plm():
    df = _panel(False, n=12, t=6)
    first = df["city"] == "c00"
    df.loc[first & (df["year"] > df.loc[first, "year"].min()), "z"] = np.nan  # c00: 1 row left
    fit = fit_fe(df, entity="city", time="year", y="y", x=["mig", "z"])
    rest = fit_fe(df[~first], entity="city", time="year", y="y", x=["mig", "z"])
    np.testing.assert_allclose(fit.coef.to_numpy(), rest.coef.to_numpy(), rtol=1e-10)
    assert fit.nobs == rest.nobs + 1 and fit.df_resid == rest.df_resid  # +1 row, +1 effect
    np.testing.assert_allclose(fit.se_cluster.to_numpy(),
                               rest.se_cluster.to_numpy() * np.sqrt(
                                   fit.nobs / (fit.nobs - 2) / (rest.nobs / (rest.nobs - 2))),
                               rtol=1e-8)


def test_re_equals_linearmodels_small_sample_on_unbalanced_panel(reference_dir):
    # linearmodels' default RE variance of the effects is not plm's swar on unbalanced panels;
    # fit(small_sample=True) is (Baltagi-Chang); plm itself: test_citypanel_unbalanced.py
    import statsmodels.api as sm
    from linearmodels.panel import RandomEffects

    from pairnet.analyses.citypanel import fit_re

    df = pd.read_csv(reference_dir / "panel" / "grunfeld.csv")
    df = df[~((df.firm == 3) & (df.year > 1945))]  # unbalanced: firm 3 has 11 years
    p = df.set_index(["firm", "year"])
    lm = RandomEffects(p.inv, sm.add_constant(p[["value", "capital"]])).fit(
        small_sample=True, cov_type="clustered", cluster_entity=True)
    ours = fit_re(df, entity="firm", time="year", y="inv", x=["value", "capital"])
    np.testing.assert_allclose(ours.coef.to_numpy(), lm.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.se_cluster.to_numpy(), lm.std_errors.to_numpy(), rtol=1e-8)


def test_formula_unsafe_column_name_is_input_error():
    df = _panel(False, n=5, t=4).rename(columns={"z": "z 2"})
    with pytest.raises(InputError, match="cannot be used in a model formula"):
        fit_fe(df, entity="city", time="year", y="y", x=["mig", "z 2"])


# ------------------------------------------------------------------ Hausman IV vs FE (paper)


def _series(v, names):
    return pd.Series(v, index=names)


def test_hausman_contrast_by_hand_full_rank():
    from pairnet.analyses.citypanel import hausman_contrast

    names = ["a", "b", "c"]
    b = _series([1.0, 2.0, -0.5], names)
    B = _series([0.7, 2.4, -0.1], names)
    Vb = pd.DataFrame([[0.5, 0.1, 0.0], [0.1, 0.4, 0.05], [0.0, 0.05, 0.3]], names, names)
    VB = pd.DataFrame([[0.2, 0.05, 0.0], [0.05, 0.1, 0.0], [0.0, 0.0, 0.1]], names, names)
    d = np.array([0.3, -0.4, -0.4])
    want = d @ np.linalg.inv(Vb.to_numpy() - VB.to_numpy()) @ d  # independent: plain inverse
    res = hausman_contrast(b, Vb, B, VB)
    assert res.stat == pytest.approx(want, rel=1e-12)
    assert res.df == 3 and res.note == ""
    assert res.p == pytest.approx(float(stats.chi2.sf(want, 3)), rel=1e-12)
    # the paper's figures: 3.06 on chi2(8) is "93.04% acceptance"
    assert float(stats.chi2.sf(3.06, 8)) == pytest.approx(0.9305, abs=1e-4)


def test_hausman_contrast_not_pd_and_rank_deficient():
    from pairnet.analyses.citypanel import hausman_contrast

    names = ["a", "b"]
    b, B = _series([1.0, 1.0], names), _series([0.0, 0.5], names)
    zero = pd.DataFrame(np.zeros((2, 2)), names, names)
    indef = pd.DataFrame([[2.0, 0.0], [0.0, -0.5]], names, names)  # not positive definite
    res = hausman_contrast(b, indef, B, zero)
    assert res.stat == pytest.approx(1.0 / 2.0 + 0.25 / -0.5)  # = 0: pinv of a diagonal
    assert res.df == 2 and "not positive definite" in res.note
    single = pd.DataFrame([[1.0, 1.0], [1.0, 1.0]], names, names)  # rank 1
    res1 = hausman_contrast(b, single, B, zero)
    dd = np.array([1.0, 0.5])
    assert res1.stat == pytest.approx(dd @ np.linalg.pinv(single.to_numpy()) @ dd)
    assert res1.df == 1 and "rank 1 < 2" in res1.note
    neg = hausman_contrast(b, pd.DataFrame(-np.eye(2), names, names), B, zero)
    assert neg.stat < 0 and np.isnan(neg.p) and "negative" in neg.note
    # intercepts are not compared; extra coefficients of one model are ignored
    b3 = _series([1.0, 1.0, 9.0], ["a", "b", "const"])
    V3 = pd.DataFrame(np.eye(3), b3.index, b3.index)
    assert hausman_contrast(b3, V3, B, zero).df == 2


@pytest.mark.parametrize("endogenous", [False, True])
def test_hausman_iv_fe_agrees_with_dwh_on_simulation(endogenous):
    df = _panel(endogenous, seed=3)
    res = dwh_test(df, **KW)
    h = res.hausman_iv_fe
    assert h.df == 2  # full rank: every slope coefficient (mig, z)
    if endogenous:
        assert h.p < 1e-6 and res.test.p < 1e-6
    else:
        assert h.p > 0.05 and res.test.p > 0.05
    # by hand from the two fits: FE on exactly the IV's rows, conventional vcovs
    fe = fit_fe(df, entity="city", time="year", y="y", x=["mig", "z"])
    assert res.fe.nobs == res.iv.nobs == len(df)
    d = (res.iv.coef[["mig", "z"]] - fe.coef[["mig", "z"]]).to_numpy()
    D = (res.iv.vcov.loc[["mig", "z"], ["mig", "z"]] - fe.vcov.loc[["mig", "z"], ["mig", "z"]])
    assert h.stat == pytest.approx(d @ np.linalg.solve(D.to_numpy(), d), rel=1e-9)


def test_hausman_iv_fe_uses_instrument_rows_only():
    df = _panel(False, seed=4, n=15, t=6)
    full = df.copy()
    full.loc[full.groupby("city").head(1).index, "L_mig"] = np.nan  # rows without instrument
    res = dwh_test(full, **KW)
    assert res.fe.nobs == res.iv.nobs == int(full["L_mig"].notna().sum())
    ref = fit_fe(full.dropna(subset=["L_mig"]), entity="city", time="year", y="y",
                 x=["mig", "z"])
    np.testing.assert_allclose(res.fe.coef.to_numpy(), ref.coef.to_numpy(), rtol=1e-10)


def test_iv_conventional_se_equals_pyfixest_iid():
    import pyfixest as pf

    df = _panel(True, seed=5, n=20, t=8)
    res = dwh_test(df, **KW)
    m = pf.feols("y ~ z | city | mig ~ L_mig", data=df, vcov="iid", fixef_rm="none")
    np.testing.assert_allclose(res.iv.se[["z", "mig"]].to_numpy(), m.se().to_numpy(),
                               rtol=1e-8)


def test_collinear_regressors_are_named():
    from pairnet.analyses.citypanel import check_design, fit_pooled

    df = _panel(False, n=12, t=5)
    df["twice"] = 2 * df["mig"] - df["z"]
    with pytest.raises(InputError, match=r"'twice' is a linear combination of 'mig', 'z'"):
        fit_pooled(df, entity="city", time="year", y="y", x=["mig", "z", "twice"])
    with pytest.raises(InputError, match="need more cities than coefficients"):
        check_design(df[df["city"].isin(df["city"].unique()[:3])], ["mig", "z"],
                     entity="city", file="f.csv")
    check_design(df, ["mig", "z"], entity="city")  # a sound design passes
