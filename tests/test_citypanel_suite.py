"""The city-panel suite as a computation: options validated once, a frozen result, its protocol."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pairnet.analyses.citypanel import (
    CityPanelOptions,
    CityPanelResult,
    DWHResult,
    TestResult,
    citypanel_suite,
    fit_pooled,
)
from pairnet.core.errors import InputError
from pairnet.core.outputs import write_result
from pairnet.core.results import TIDY_COLUMNS, Result
from pairnet.core.tables import to_jsonable


def _panel(seed: int = 4, n: int = 14, t: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"city": np.repeat([f"c{i:02d}" for i in range(n)], t),
                      "year": np.tile(np.arange(2010, 2010 + t), n)})
    a = np.repeat(rng.normal(size=n), t)
    d["x1"] = rng.normal(size=len(d)) + 0.5 * a
    d["x2"] = rng.normal(size=len(d))
    d["w"] = rng.uniform(0, 2, len(d))
    d["y"] = a + 1.5 * d["x1"] - d["x2"] + rng.normal(0, 0.3, len(d))
    return d


KW = {"entity": "city", "time": "year", "y": "y", "x": ["x1", "x2"]}


@pytest.fixture(scope="module")
def full():
    return citypanel_suite(_panel(), **KW, lag="x1", interact=[("x1", "w")],
                           split=["w", "x2>=0"])


def test_options_defaults_live_in_one_place_and_are_normalised():
    o = CityPanelOptions()
    assert (o.cluster, o.twoways, o.lag, o.interact, o.split, o.describe) == (
        None, False, None, (), (), None)
    assert o.title == "City-panel models" and o.names == {}
    o = CityPanelOptions(interact=[["a", "b"]], split="w>=2.5", describe=["y"])
    assert o.interact == (("a", "b"),) and o.split == ("w>=2.5",) and o.describe == ("y",)
    assert o.split_rules() == {"w": 2.5}
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.lag = "x1"  # type: ignore[misc]


@pytest.mark.parametrize("kw, needle", [
    ({"split": ["w>=many"]}, "`split`: bad threshold in 'w>=many'"),
    ({"interact": ["ab"]}, "`interact`: bad interaction 'ab'"),
])
def test_options_refuse_malformed_values(kw, needle):
    with pytest.raises(InputError) as exc:
        CityPanelOptions(**kw)
    assert str(exc.value).startswith(needle), str(exc.value)


@pytest.mark.parametrize("kw, needles", [
    ({"lag": "w"}, ["`lag`: `lag` 'w' is not among the regressors",
                    "Fix: name one of the `x` regressors: x1, x2"]),
    ({"interact": [("x1", "nope")]}, ["`interact`, column 'nope'", "city, year, x1"]),
    ({"split": ["nope"]}, ["`split`, column 'nope'", "city, year, x1"]),
])
def test_column_options_are_checked_before_any_estimation(kw, needles):
    # "y" is missing: any estimation would fail on it first, so these errors come before
    bad = _panel().drop(columns=["y"])
    with pytest.raises(InputError) as exc:
        citypanel_suite(bad, **KW, **kw)
    for n in needles:
        assert n in str(exc.value), str(exc.value)
    assert "--" not in str(exc.value)


def test_overrides_replace_fields_of_options():
    base = CityPanelOptions(twoways=True, title="mine")
    res = citypanel_suite(_panel(), **KW, options=base, cluster="city")
    assert res.options == dataclasses.replace(base, cluster="city")
    assert res.title == "mine" and res.fe.model == "fe_twoways"
    assert res.fe_individual.model == "fe" and "fe_individual" in res.fits()
    with pytest.raises(TypeError, match="lags"):
        citypanel_suite(_panel(), **KW, lags="x1")


def test_result_is_frozen_and_follows_the_protocol(full):
    assert isinstance(full, CityPanelResult) and isinstance(full, Result)
    with pytest.raises(dataclasses.FrozenInstanceError):
        full.chosen = "re"  # type: ignore[misc]
    t = full.tidy()
    assert tuple(t.columns[:7]) == TIDY_COLUMNS and list(t.columns[7:]) == [
        "model", "se_type", "p_wild"]
    assert set(t["model"]) == set(full.fits()) == {
        "pooled", "re", "fe", "mechanisms:x1_x_w", "lag:baseline", "lag:L_x1_x_w", "dwh:iv",
        "dwh:fe", "heterogeneity:w:high", "heterogeneity:w:low", "heterogeneity:x2:high",
        "heterogeneity:x2:low"}
    assert (t["se_type"] == "CR1").all()
    assert (full.tidy(cluster=False)["se_type"] == "conventional").all()
    assert isinstance(full.summary(), str) and full.choice in full.summary()


def test_panel_fit_tidy_by_hand(full):
    f = full.pooled
    n, g = f.nobs, f.n_clusters
    assert g == 14 and f.df_crv1 == 13
    # CR1 = G/(G-1)(N-1)/(N-K) x sandwich = plm's HC1 x G/(G-1)(N-1)/N
    np.testing.assert_allclose(f.se_crv1, f.se_cluster * np.sqrt(g / (g - 1) * (n - 1) / n),
                               rtol=1e-12)
    for cluster, se, df, p in ((True, f.se_crv1, g - 1, f.pvalues_crv1()),
                               (False, f.se, f.df_resid, f.pvalues())):
        t = f.tidy(cluster).set_index("term")
        q = stats.t.ppf(0.975, df)
        np.testing.assert_allclose(t["estimate"], f.coef, rtol=0, atol=0)
        np.testing.assert_allclose(t["std_error"], se, rtol=0, atol=0)
        np.testing.assert_allclose(t["statistic"], f.coef / se, rtol=1e-14)
        np.testing.assert_allclose(t["p_value"], p, rtol=1e-12)
        np.testing.assert_allclose(t["p_value"], 2 * stats.t.sf(np.abs(f.coef / se), df),
                                   rtol=1e-12)
        np.testing.assert_allclose(t["conf_low"], f.coef - q * se, rtol=1e-14)
        np.testing.assert_allclose(t["conf_high"], f.coef + q * se, rtol=1e-14)
        np.testing.assert_allclose(t["p_wild"], f.p_wild, rtol=0, atol=0)
        assert (t["model"] == "pooled").all()


def test_pooled_and_fe_equal_least_squares_by_hand():
    d = _panel()
    res = citypanel_suite(d, **KW)
    X = np.column_stack([np.ones(len(d)), d[["x1", "x2"]]])
    b = np.linalg.lstsq(X, d["y"], rcond=None)[0]
    np.testing.assert_allclose(res.pooled.coef.to_numpy(), b, rtol=1e-10)
    D = pd.get_dummies(d["city"], dtype=float).to_numpy()  # city dummies = absorbed effects
    bfe = np.linalg.lstsq(np.column_stack([d[["x1", "x2"]], D]), d["y"], rcond=None)[0][:2]
    np.testing.assert_allclose(res.fe.coef.to_numpy(), bfe, rtol=1e-10)
    assert res.n_obs == len(d) and res.dropped_incomplete == 0
    assert res.pooled.coef.equals(fit_pooled(d, entity="city", time="year", y="y",
                                             x=["x1", "x2"]).coef)


def test_incomplete_rows_are_counted_and_descriptives_use_the_table():
    d = _panel()
    d.loc[[3, 10], "x2"] = np.nan
    res = citypanel_suite(d, **KW, describe=["y", "x2", "w"])
    assert res.dropped_incomplete == 2 and res.n_obs == len(d) - 2
    desc = res.descriptives.set_index("variable")
    assert list(desc.index) == ["y", "x2", "w"] and desc.loc["x2", "N"] == len(d) - 2
    assert res.to_dict()["dropped_incomplete"] == 2


def test_to_dict_is_what_the_writer_puts_in_results_json(full, tmp_path):
    out = write_result(full, tmp_path / "o")
    on_disk = json.loads((tmp_path / "o" / "results.json").read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(to_jsonable(full.to_dict())))
    assert on_disk["lag"]["variable"] == "L_x1" and on_disk["mechanisms_centred"] is False
    assert set(on_disk["heterogeneity"]) == {"w", "x2"}
    assert on_disk["heterogeneity"]["x2"]["cut"] == 0.0
    assert "audit" not in on_disk  # only the YRD study has an indicator audit
    assert list(out.tables) == ["descriptives", "baseline", "baseline_cluster", "mechanisms",
                                "robustness_lag", "endogeneity", "heterogeneity"]
    assert list(out.figures) == ["baseline_fe", "heterogeneity"]


def test_figures_are_drawn_on_call(full):
    import matplotlib.pyplot as plt

    figs = full.figures()
    # drawn only when the writer asks, in its language
    assert all(callable(f.figure) for f in figs.values())
    drawn = [figs["baseline_fe"].figure(lang) for lang in ("en", "zh")]
    try:
        assert drawn[0] is not drawn[1]
        ax = drawn[0].axes[0]
        assert [t.get_text() for t in ax.get_yticklabels()] == ["x1", "x2"]
        assert "标准差" in drawn[1].axes[0].get_xlabel()
    finally:
        for f in drawn:
            plt.close(f)


def test_test_results_tidy_in_broom_columns(full):
    t = TestResult("F", 2.5, (3, 40), 0.07, "a note").tidy()
    assert tuple(t.columns) == (*TIDY_COLUMNS, "df", "note")
    row = t.iloc[0]
    assert row["term"] == "F" and row["statistic"] == 2.5 and row["p_value"] == 0.07
    assert np.isnan(row["estimate"]) and row["df"] == "(3, 40)" and row["note"] == "a note"
    dwh = full.dwh
    assert isinstance(dwh, DWHResult)
    tt = dwh.tidy()
    assert tuple(tt.columns[:7]) == TIDY_COLUMNS and len(tt) == 4
    assert tt["statistic"].tolist() == [dwh.test.stat, dwh.test_cluster.stat,
                                        dwh.hausman_iv_fe.stat, dwh.first_stage_f]
    # the published table keeps its columns; the note column only when a test has a note
    noted = any(t.note for t in dwh.tests())
    assert list(dwh.table().columns) == ["test", "stat", "df", "p"] + ["note"] * noted
    assert full.tables()["endogeneity"].frame.equals(dwh.table())
