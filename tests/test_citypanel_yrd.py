"""YRD demo: the generator's coefficients are recovered; the battery's result and its folder."""

from __future__ import annotations

import json
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from pairnet.analyses.citypanel import CityPanelResult, fit_fe, yrd_study
from pairnet.core.i18n import render
from pairnet.core.outputs import write_result
from pairnet.core.tables import to_jsonable
from pairnet.panels.citypanel import CONTROLS, INDICATORS, build_indicators
from pairnet.panels.demo_yrd import TRUE_COEFS, generate_yrd, write_demo_yrd
from pairnet.spatial.cities import GROUPS


@pytest.fixture(scope="module")
def demo():
    return generate_yrd(0)


@pytest.fixture(scope="module")
def result(demo):
    return yrd_study(demo[0], wild_draws=199)  # small B: the suite stays fast


@pytest.fixture(scope="module")
def study(result, tmp_path_factory):
    out = tmp_path_factory.mktemp("yrd")
    write_result(result, out)
    return result.to_dict(), out


def test_generator_shape_and_ids(demo):
    raw, params = demo
    assert set(raw["city"]) == set(GROUPS["YRD"]) and len(raw) == 26 * 13
    assert raw["year"].min() == 2005 and raw["year"].max() == 2017
    assert params["coefs"] == TRUE_COEFS
    blank = params["blanked"]
    assert len(blank) >= 3
    for b in blank:  # interior: never the first or last year
        assert 2005 < b["year"] < 2017
        assert np.isnan(raw.loc[(raw.city == b["city"]) & (raw.year == b["year"]),
                                b["column"]].iloc[0])
    assert generate_yrd(0)[0].equals(raw)  # seeded


def test_write_demo_round_trip(tmp_path):
    raw_path, params_path = write_demo_yrd(tmp_path, seed=0)
    back = pd.read_csv(raw_path, dtype={"city": str})
    assert len(back) == 338
    params = json.loads(params_path.read_text(encoding="utf-8"))
    assert params["coefs"]["mig"] == TRUE_COEFS["mig"]


def test_fe_recovers_true_coefficients(demo):
    raw, params = demo
    ip = build_indicators(raw)
    fit = fit_fe(ip.frame, entity="city", time="year", y="gdp_pc", x=["mig", *CONTROLS])
    for k, true in params["coefs"].items():
        assert abs(fit.coef[k] - true) < 3 * fit.se[k], (k, fit.coef[k], true, fit.se[k])
    # mig is identified tightly enough to be informative
    assert fit.se["mig"] < 1.0
    # FE residual variance matches the generator's sigma
    assert np.sqrt(fit.ssr / fit.df_resid) == pytest.approx(params["sigma"], rel=0.15)


def test_study_choices_and_tests(study):
    res, out = study
    assert res["chosen"] == "fe"  # city effects correlated with mobility by construction
    assert res["f_test"]["p"] < 0.01 and res["hausman"]["p"] < 0.01
    assert res["dwh"]["p"] > 0.05  # mig is exogenous in the generator
    endo = res["endogeneity"]
    assert endo["dwh"]["p"] == res["dwh"]["p"] and endo["dwh"]["df"] == 1
    # the instrument is pairnet's choice: never labelled as the paper's
    assert "matches_paper" not in endo and endo["reported_test"] == "dwh"
    assert endo["instrument"] == "L_mig" and "pairnet's choice" in endo["instrument_choice"]
    assert (endo["dwh_cluster"]["df1"], endo["dwh_cluster"]["df2"]) == (1, 25)  # F(1, G-1)
    h = endo["hausman_iv_fe"]  # the paper's test: all slopes (mig + 6 controls)
    assert h["df"] == 1 + len(CONTROLS) and h["p"] > 0.05 and h["stat"] >= 0
    assert endo["nobs"] == 26 * 12  # IV and FE on the rows with a lagged mig
    assert res["lag"]["rows_lost"] == 26  # exactly the first year of each city
    lag_base = res["lag"]["models"]["baseline"]
    assert lag_base["nobs"] == 26 * 12
    for name in ("mig_x_str", "mig_x_tec", "mig_x_cos"):
        m = res["mechanisms"][name]
        # true interaction is zero: the clustered 99.9% interval covers it
        assert abs(m["coef"][name]) < 3.3 * m["se_cluster"][name]
    het = res["heterogeneity"]
    assert set(het) == {"hukou", "density", "school_years", "pop_resident"}
    assert het["pop_resident"]["cut"] == 500.0
    n_high = het["pop_resident"]["high"]["n_entities"] + het["pop_resident"]["low"]["n_entities"]
    assert n_high == 26
    audit = {r["reason"].split(" ")[0]: r["rows"] for r in res["audit"]}
    assert audit["interior"] == 6 and sum(audit.values()) == 338


def test_result_carries_the_indicators_audit_and_gaps(demo, result):
    ip = build_indicators(demo[0])
    assert isinstance(result, CityPanelResult)
    pd.testing.assert_frame_equal(result.indicators, ip.frame)
    pd.testing.assert_frame_equal(result.audit, ip.audit)
    pd.testing.assert_frame_equal(result.gaps, ip.gaps)
    assert {"city", "year", *INDICATORS} <= set(result.indicators.columns)
    assert result.base_year is None and result.x == ("mig", *CONTROLS)
    assert result.title == "Population mobility and growth (YRD city panel)"
    # the display copy names the cities; the attribute stays the canonical frame
    # too long to read in a report: written beside results.json
    assert "indicators" not in result.tables()
    shown = result.data_files()["indicators.csv"]
    assert list(shown.columns[:3]) == ["city", "name", "year"]
    assert shown["name"].str.endswith("市").all() and "name" not in result.indicators


def test_result_numbers_and_results_json_agree(result, study):
    d, out = study
    written = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert written == json.loads(json.dumps(to_jsonable(result.to_dict())))
    assert result.chosen == d["chosen"] == "fe" and result.fe.coef["mig"] == d["fe"]["coef"]["mig"]
    assert result.dwh is not None and result.dwh.iv.nobs == d["endogeneity"]["nobs"]
    idx = json.loads((out / "outputs.json").read_text(encoding="utf-8"))
    assert [t["name"] for t in idx["tables"]] == list(result.tables())
    assert [f["name"] for f in idx["figures"]] == list(result.figures())
    assert idx["title"] == result.title
    text = result.summary()
    assert "fixed effects" in text and "Durbin-Wu-Hausman" in text


def test_tidy_has_every_model(result):
    t = result.tidy()
    labels = set(t["model"])
    assert {"pooled", "re", "fe", "dwh:iv", "dwh:fe", "lag:baseline",
            "mechanisms:mig_x_str", "heterogeneity:pop_resident:high"} <= labels
    assert labels == set(result.fits())
    row = t[(t["model"] == "fe") & (t["term"] == "mig")].iloc[0]
    assert row["estimate"] == result.fe.coef["mig"]
    assert row["std_error"] == result.fe.se_crv1["mig"]  # CR1, t(G - 1) with G = 26
    assert row["p_value"] == result.fe.pvalues_crv1()["mig"]
    assert row["p_wild"] == result.fe.p_wild["mig"]


def test_study_writes_paper_tables(study):
    _, out = study
    for name in ("descriptives", "baseline", "baseline_cluster", "mechanisms",
                 "robustness_lag", "endogeneity", "heterogeneity", "audit"):
        for ext in ("csv", "html", "md", "tex"):
            assert (out / "tables" / f"{name}.{ext}").exists(), (name, ext)
    base = pd.read_csv(out / "tables" / "baseline.csv", keep_default_na=False)
    assert list(base.columns) == ["variable", "Pooled (ME)", "RE", "FE"]
    assert base["variable"].iloc[0] == "mig" and base["FE"].iloc[1].startswith("(")
    assert base["FE"].iloc[0].endswith("***")
    desc = pd.read_csv(out / "tables" / "descriptives.csv")
    row = desc.set_index("variable").loc["gdp_pc"]
    assert row["max_city"].endswith("市") and 2005 <= row["max_year"] <= 2017
    for fig in ("baseline_fe", "heterogeneity"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 1000
    idx = json.loads((out / "outputs.json").read_text(encoding="utf-8"))
    assert any(t["name"] == "heterogeneity" for t in idx["tables"])


@pytest.mark.filterwarnings("ignore:Glyph")  # no CJK font outside the writer
def test_p_values_follow_the_one_rule_and_zh_figures_are_chinese(result, study):
    _, out = study
    tabs = result.tables()
    sci = re.compile(r"\d[eE][-+]?\d")  # 1.83e-115: never in a cell or note we write
    for name in ("baseline", "baseline_cluster"):
        t = tabs[name]
        cells = " ".join(render(v, lg) for v in t.frame.to_numpy().ravel() for lg in ("en", "zh"))
        assert not sci.search(cells) and not sci.search(render(t.note, "en") + render(t.note, "zh"))
        assert "(p < 0.001)" in cells and "Mundlak p < 0.001" in render(t.note, "en")
    md = (out / "tables" / "endogeneity.md").read_text(encoding="utf-8").splitlines()
    head, *rows = [line.split("|")[-2].strip() for line in md if line.startswith("| ")]
    assert head == "p" and all(re.fullmatch(r"<?\d\.\d{3}", p) for p in rows[:3])  # not 4
    fig = result.figures()
    ax = fig["baseline_fe"].figure("zh").axes[0]
    assert "gdp_pc（万元/人）的变化" in ax.get_xlabel() and "yuan" not in ax.get_xlabel()
    assert ax.get_title().startswith("固定效应（组内）：gdp_pc")
    en = fig["heterogeneity"].figure("en").axes[0]
    assert "(10,000 yuan per person)" in en.get_xlabel()
    plt.close("all")


def test_cli_raw_mode(run_cli, tmp_path):
    raw_path, _ = write_demo_yrd(tmp_path / "d", seed=2)
    res = run_cli("citypanel", raw_path, "--raw", "--wild-draws", "99", "--out", tmp_path / "o")
    assert res.code == 0, res.stderr
    d = json.loads((tmp_path / "o" / "results.json").read_text(encoding="utf-8"))
    assert d["chosen"] in {"fe", "re", "pooled"} and "mig" in d["fe"]["coef"]
    assert {"coef", "se", "se_cluster", "se_crv1", "p_crv1", "p_wild"} <= set(d["pooled"])
    assert d["fe"]["wild"]["draws"] == 99 and d["fe"]["n_clusters"] == 26


def test_cli_raw_bad_input_names_rows(run_cli, tmp_path):
    raw, _ = generate_yrd(0)
    raw = pd.concat([raw, raw.iloc[[5]]], ignore_index=True)  # duplicate city-year
    raw["gdp"] = raw["gdp"].astype(object)
    raw.loc[10, "gdp"] = "十亿"
    p = tmp_path / "raw.csv"
    raw.to_csv(p, index=False)
    res = run_cli("citypanel", p, "--raw", "--out", tmp_path / "o")
    assert res.code == 2
    assert "column 'gdp', row 11" in res.stderr and "non-numeric" in res.stderr
    raw.loc[10, "gdp"] = 1.0
    raw.to_csv(p, index=False)
    res = run_cli("citypanel", p, "--raw", "--out", tmp_path / "o")
    assert res.code == 2 and "rows 6, 339" in res.stderr, res.stderr


def test_cli_raw_zero_denominator_names_column_and_rows(run_cli, tmp_path):
    raw, _ = generate_yrd(0)
    raw["pop_resident"] = raw["pop_resident"].astype(float)
    raw.loc[[3, 7], "pop_resident"] = 0.0
    p = tmp_path / "raw_zero.csv"
    raw.to_csv(p, index=False)
    res = run_cli("citypanel", p, "--raw", "--out", tmp_path / "o")
    assert res.code == 2, res.stderr
    assert "raw_zero.csv, column 'pop_resident', rows 4, 8" in res.stderr, res.stderr
    assert "Fix:" in res.stderr and res.stderr.count("\n") == 1


def test_cli_raw_too_few_cities_for_random_effects(run_cli, tmp_path):
    raw, _ = generate_yrd(0)
    keep = sorted(raw["city"].astype(str).unique())[:6]
    p = tmp_path / "six.csv"
    raw[raw["city"].astype(str).isin(keep)].to_csv(p, index=False)
    res = run_cli("citypanel", p, "--raw", "--out", tmp_path / "o")
    assert res.code == 2, res.stderr
    assert "six.csv" in res.stderr and "6 cities" in res.stderr and "Fix:" in res.stderr
    assert res.stderr.count("\n") == 1 and "Warning" not in res.stderr
