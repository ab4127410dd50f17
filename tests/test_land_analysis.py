"""Seed 003 §5 estimation and ``pairnet land``: recovery of the generator's path, outputs, errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pairnet.analyses.land import (
    LandEventStudy,
    estimate_event_study,
    event_time,
    land_study,
    yearly_means,
)
from pairnet.core.errors import InputError
from pairnet.panels.demo_land import TRUE_PATH, demo_land_frame
from pairnet.panels.land import clean_land


@pytest.fixture(scope="module")
def demo():
    return demo_land_frame(seed=11, n_records=40_000)


def test_event_study_recovers_the_true_path(demo):
    frame, _ = demo
    res = estimate_event_study(clean_land(frame).panel)
    e = res.tidy().set_index("s")
    assert list(e.index) == list(range(-3, 7))
    assert e.loc[-1, "estimate"] == 0.0 and np.isnan(e.loc[-1, "std_error"])
    est = e.drop(index=-1)
    z = (est["estimate"] - pd.Series(TRUE_PATH).loc[est.index]) / est["std_error"]
    assert (z.abs() < 3.5).all(), z.to_dict()
    # the dip is clearly there and the recovery too
    assert (est.loc[[0, 1, 2], "conf_high"] < 0).all()
    assert est.loc[[3, 4, 5, 6], "estimate"].mean() > est.loc[[0, 1, 2], "estimate"].max()
    assert res.n_clusters == clean_land(frame).panel["county"].nunique()
    assert "base" in res.summary()


def test_pyfixest_matches_dummy_ols_by_hand():
    rng = np.random.default_rng(5)
    rows = [(f"c{c}", y, p) for c in range(12) for y in range(2011, 2021) for p in (0, 1)]
    d = pd.DataFrame(rows, columns=["county", "year", "park"])
    d["log_area"] = rng.normal(size=len(d)) + 0.7 * d["park"] * (d["year"] == 2015)
    res = estimate_event_study(d)
    # OLS with dummies for county×park, county×year and park×1[year=y], y != 2013
    X = [pd.get_dummies(d["county"] + "_" + d["park"].astype(str), dtype=float),
         pd.get_dummies(d["county"] + "_" + d["year"].astype(str), dtype=float)]
    years = [y for y in range(2011, 2021) if y != 2013]
    ev = pd.DataFrame({y: (d["park"] * (d["year"] == y)).astype(float) for y in years})
    M = pd.concat([ev, *X], axis=1).to_numpy()
    beta = np.linalg.lstsq(M, d["log_area"].to_numpy(), rcond=None)[0][:len(years)]
    got = res.event.set_index("year").loc[years, "coef"].to_numpy()
    np.testing.assert_allclose(got, beta, rtol=1e-7, atol=1e-9)


def test_yearly_means_by_hand():
    p = pd.DataFrame({"county": ["a", "a", "b", "b"], "year": [2011, 2011, 2011, 2012],
                      "park": [1, 0, 1, 0], "log_area": [1.0, 2.0, 3.0, 4.0]})
    m = yearly_means(p).set_index("year")
    assert m.loc[2011, "mean_inside"] == 2.0 and m.loc[2011, "mean_outside"] == 2.0
    assert m.loc[2011, "cells_inside"] == 2 and np.isnan(m.loc[2012, "mean_inside"])
    assert m.loc[2012, "cells_inside"] == 0


def test_event_window_binning_of_outside_years():
    y = pd.Series([2008, 2011, 2013, 2020, 2023])
    assert event_time(y).tolist() == [-3, -3, -1, 6, 6]
    rng = np.random.default_rng(1)
    rows = [(f"c{c}", y, p) for c in range(8) for y in range(2009, 2023) for p in (0, 1)]
    d = pd.DataFrame(rows, columns=["county", "year", "park"])
    d["log_area"] = rng.normal(size=len(d))
    res = estimate_event_study(d)
    assert res.event["s"].tolist() == list(range(-3, 7))
    assert res.event["coef"].notna().all()
    bins = res.to_dict()["event_window_bins"]
    assert bins["-3"] == [2009, 2010, 2011] and bins["6"] == [2020, 2021, 2022]
    assert bins["0"] == [2014]


def test_no_common_county_year_is_an_input_error():
    p = pd.DataFrame({"county": ["a", "b"], "year": [2012, 2012], "park": [1, 0],
                      "log_area": [1.0, 2.0]})
    with pytest.raises(InputError, match="no county-year has both"):
        estimate_event_study(p, file="x.csv")


def _grid(counties, years):
    rows = [(c, y, p) for c in counties for y in years for p in (0, 1)]
    d = pd.DataFrame(rows, columns=["county", "year", "park"])
    d["log_area"] = np.random.default_rng(0).normal(size=len(d))
    return d


@pytest.mark.parametrize("counties, years, needle", [
    (["a", "b", "c"], [2015], "base year 2013 has no county"),
    (["a", "b", "c"], [2014, 2015, 2016], "base year 2013 has no county"),
    (["a", "b", "c"], [2013], "only the base year 2013"),
    (["a"], range(2011, 2021), "at least 2 counties"),
])
def test_unidentified_panels_are_refused_before_pyfixest(counties, years, needle):
    # these designs made pyfixest abort (Rust panic) or fail with "SVD did not converge"
    with pytest.raises(InputError, match=needle) as exc:
        estimate_event_study(_grid(counties, years), file="land.csv")
    assert str(exc.value).startswith("land.csv") and "Fix: widen `years`" in str(exc.value)


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory, demo):
    frame, _ = demo
    d = tmp_path_factory.mktemp("land")
    sub = frame.iloc[:8000]
    utf = d / "utf8.csv"
    gbk = d / "gbk.csv"
    sub.to_csv(utf, index=False, encoding="utf-8")
    sub.to_csv(gbk, index=False, encoding="gbk")
    return utf, gbk, sub


def test_cli_writes_the_step_folder_and_gbk_equals_utf8(run_cli, small_csv, tmp_path):
    utf, gbk, sub = small_csv
    r1 = run_cli("land", utf, "--out", tmp_path / "u")
    assert r1.code == 0, r1.stderr
    r2 = run_cli("land", gbk, "--out", tmp_path / "g")
    assert r2.code == 0, r2.stderr
    for name in ("panel.csv", "audit.csv"):
        a = (tmp_path / "u" / name).read_text(encoding="utf-8")
        b = (tmp_path / "g" / name).read_text(encoding="utf-8")
        assert a == b
    out = tmp_path / "u"
    panel = pd.read_csv(out / "panel.csv", dtype={"county": str})
    assert list(panel.columns) == ["county", "county_name", "year", "park", "area_ha", "parcels",
                                   "log_area"]
    audit = pd.read_csv(out / "audit.csv")
    assert audit["rows"].sum() == len(sub)
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [r["s"] for r in res["event_study"]] == list(range(-3, 7))
    assert set(res["event_study"][0]) == {"s", "year", "coef", "se", "ci_low", "ci_high"}
    assert res["nobs"] > 0 and len(res["means"]) == 10 and res["audit"]
    for f in ("fig4_means.png", "fig5_event_study.svg"):
        assert (out / "figures" / f).exists()
    assert (out / "tables" / "event_study.md").exists()
    idx = json.loads((out / "outputs.json").read_text(encoding="utf-8"))
    assert [f["name"] for f in idx["figures"]] == ["fig4_means", "fig5_event_study"]


def test_cli_column_mapping_and_parquet(run_cli, small_csv, tmp_path):
    _, _, sub = small_csv
    cn = sub.rename(columns={"supervision_no": "电子监管号", "land_use": "土地用途",
                             "supply_method": "供地方式"})
    path = tmp_path / "cn.parquet"
    cn.to_parquet(path)
    bad = run_cli("land", path, "--out", tmp_path / "x")
    assert bad.code == 2 and "supervision_no" in bad.stderr
    ok = run_cli("land", path, "--columns", "电子监管号=supervision_no,土地用途=land_use,"
                 "供地方式=supply_method", "--out", tmp_path / "y")
    assert ok.code == 0, ok.stderr
    ref = land_study(sub)
    got = pd.read_csv(tmp_path / "y" / "panel.csv", dtype={"county": str})
    assert len(got) == ref.study.means[["cells_inside", "cells_outside"]].to_numpy().sum()
    assert len(got) == len(ref.panel)


@pytest.mark.parametrize("args, needle", [
    (["--years", "2020-2011"], "--years"),
    (["--empty", "zero"], "--empty"),
    (["--cities", "Atlantis"], "Atlantis"),
    (["--columns", "nonsense"], "--columns"),
])
def test_cli_bad_options_exit_2(run_cli, small_csv, tmp_path, args, needle):
    utf, _, _ = small_csv
    r = run_cli("land", utf, *args, "--out", tmp_path / "o")
    assert r.code == 2 and needle in r.stderr


def test_cli_bad_files_exit_2(run_cli, small_csv, tmp_path):
    _, _, sub = small_csv
    p = tmp_path / "nocol.csv"
    sub.drop(columns=["land_use"]).to_csv(p, index=False)
    r = run_cli("land", p, "--out", tmp_path / "o")
    assert r.code == 2 and "land_use" in r.stderr
    q = tmp_path / "text_area.csv"
    s2 = sub.copy()
    s2["area_ha"] = s2["area_ha"].astype(str)
    s2.loc[s2.index[4], "area_ha"] = "1,2公顷"
    s2.to_csv(q, index=False)
    r = run_cli("land", q, "--out", tmp_path / "o2")
    assert r.code == 2 and "area_ha" in r.stderr and "row" in r.stderr
    r = run_cli("land", tmp_path / "missing.csv", "--out", tmp_path / "o3")
    assert r.code == 2 and "not found" in r.stderr


def test_land_study_nothing_survives_is_an_error(small_csv):
    _, _, sub = small_csv
    with pytest.raises(InputError, match=r"no records survive the cleaning \(\d+ county "
                                         r"never has a park parcel.*Fix:.*widen `years`, "
                                         r"`cities` or `park_patterns`"):
        land_study(sub, park_patterns=["不存在的园区"])
    with pytest.raises(InputError, match="date"):
        land_study(sub.drop(columns=["date"]))


def _study(event_rows):
    event = pd.DataFrame(event_rows, columns=["s", "year", "coef", "se", "ci_low", "ci_high"])
    return LandEventStudy(event=event, means=pd.DataFrame(), nobs=10, n_clusters=3,
                          formula="log_area ~ i(s, park, ref=-1) | county^park + county^year")


def test_summary_labels_base_missing_se_and_not_identified():
    nan = np.nan
    res = _study([(-2, 2012, 0.25, 0.1, 0.05, 0.45),
                  (-1, 2013, 0.0, nan, nan, nan),
                  (0, 2014, -0.5, nan, nan, nan),
                  (1, 2015, nan, nan, nan, nan)])
    lines = res.summary().splitlines()[2:]
    by_s = {int(line.split()[0]): line for line in lines}
    assert "(base)" in by_s[-1] and "n/a" not in by_s[-1]
    assert "-0.500" in by_s[0] and by_s[0].rstrip().endswith("n/a")
    assert "(base)" not in by_s[0]
    assert by_s[1].rstrip().endswith("not identified") and "(base)" not in by_s[1]
    assert "0.100" in by_s[-2] and "[  0.050,   0.450]" in by_s[-2]
    assert sum("(base)" in line for line in lines) == 1


def test_sparse_fit_no_sqrt_warning_and_honest_labels(recwarn):
    # 3 counties, 40% of cells missing: some park × year effects rest on one county, so
    # pyfixest's CRV1 variance is ≤ 0 (sqrt warning, SE NaN) and some years are not identified
    rng = np.random.default_rng(1)
    rows = [(f"c{c}", y, p) for c in range(3) for y in range(2011, 2021) for p in (0, 1)]
    d = pd.DataFrame(rows, columns=["county", "year", "park"])
    d = d[rng.random(len(d)) < 0.6].copy()
    d["log_area"] = rng.normal(size=len(d))
    res = estimate_event_study(d)
    assert not [w for w in recwarn.list if "invalid value encountered in sqrt" in str(w.message)]
    e = res.event.set_index("s")
    no_se = e.index[e["coef"].notna() & e["se"].isna() & (e.index != -1)]
    unident = e.index[e["coef"].isna()]
    assert len(no_se) > 0 and len(unident) > 0  # the design does produce both cases
    by_s = {int(line.split()[0]): line for line in res.summary().splitlines()[2:]}
    assert [s for s, line in by_s.items() if "(base)" in line] == [-1]
    assert all(by_s[s].rstrip().endswith("n/a") for s in no_se)
    assert all(by_s[s].rstrip().endswith("not identified") for s in unident)


def _write(tmp_path, name, frame):
    p = tmp_path / name
    frame.to_csv(p, index=False)
    return p


def test_cli_one_year_or_one_county_exit_2_with_file_and_fix(run_cli, small_csv, tmp_path):
    _, _, sub = small_csv
    one_year = _write(tmp_path, "oneyear.csv", sub.assign(date="2015-06-01"))
    r = run_cli("land", one_year, "--out", tmp_path / "o1")
    assert r.code == 2, r.stderr
    assert "oneyear.csv" in r.stderr and "2013" in r.stderr and "Fix:" in r.stderr
    assert "Traceback" not in r.stderr and "Warning" not in r.stderr
    kept = clean_land(sub).records
    county = kept.loc[kept["park"] == 1, "county"].iloc[0]
    mine = kept.loc[kept["county"] == county, "supervision_no"]
    one = _write(tmp_path, "onecounty.csv", sub[sub["supervision_no"].isin(set(mine))])
    r = run_cli("land", one, "--out", tmp_path / "o2")
    assert r.code == 2, r.stderr
    assert "onecounty.csv" in r.stderr and "2 counties" in r.stderr and "Fix:" in r.stderr
    assert "Warning" not in r.stderr and "SVD" not in r.stderr


def test_cli_infinite_area_exits_2_naming_column_and_row(run_cli, small_csv, tmp_path):
    """inf where a number is required is refused at the door (issue 17), not dropped."""
    _, _, sub = small_csv
    s2 = sub.copy()
    s2["area_ha"] = s2["area_ha"].astype(float)
    s2.loc[s2.index[3], "area_ha"] = np.inf
    p = _write(tmp_path, "inf.csv", s2)
    r = run_cli("land", p, "--out", tmp_path / "o")
    assert r.code == 2, r.stderr
    assert "column 'area_ha', row 4" in r.stderr and "Fix:" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o" / "results.json").exists()


@pytest.mark.parametrize("mapping, needle", [
    ("foo=bar", "'bar', which is not a land column"),
    ("foo=supervision_no", "'foo', which the file does not have"),
    ("county=supervision_no", "already has that column"),
    ("a=land_use,b=land_use", "two file columns onto 'land_use'"),
])
def test_cli_bad_column_mappings_exit_2(run_cli, small_csv, tmp_path, mapping, needle):
    utf, _, _ = small_csv
    r = run_cli("land", utf, "--columns", mapping, "--out", tmp_path / "o")
    assert r.code == 2 and needle in r.stderr and "Fix:" in r.stderr, r.stderr


def test_cli_empty_park_patterns_and_file_out_exit_2(run_cli, small_csv, tmp_path):
    utf, _, _ = small_csv
    r = run_cli("land", utf, "--years", "1990-1995", "--out", tmp_path / "o0")
    assert r.code == 2 and r.stderr.count("\n") == 1, r.stderr  # one line, not the audit
    assert "utf8.csv" in r.stderr and "year outside 1990-1995" in r.stderr, r.stderr
    assert "widen --years, --cities or --park-patterns" in r.stderr and "`" not in r.stderr
    r = run_cli("land", utf, "--park-patterns", ",", "--out", tmp_path / "o")
    assert r.code == 2 and "--park-patterns" in r.stderr and "Fix:" in r.stderr
    assert not (tmp_path / "o").exists()
    f = tmp_path / "taken.csv"
    f.write_text("x\n", encoding="utf-8")
    r = run_cli("land", utf, "--out", f)
    assert r.code == 2 and "--out" in r.stderr and "folder" in r.stderr, r.stderr
    assert f.read_text(encoding="utf-8") == "x\n"


def test_land_study_result_protocol(small_csv, tmp_path):
    import dataclasses

    from pairnet.analyses.land import LandResult
    from pairnet.core.outputs import write_result
    from pairnet.core.results import TIDY_COLUMNS, Result
    from pairnet.core.tables import to_jsonable

    utf, _, sub = small_csv
    res = land_study(utf)
    assert isinstance(res, LandResult) and isinstance(res, Result)
    assert res.title == "Benefit sharing and land sales" and res.file == str(utf)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.file = "x"  # type: ignore[misc]
    assert res.panel is res.cleaning.panel
    assert set(res.data_files()) == {"panel.csv", "audit.csv", "unclassified.csv"}
    assert res.cleaning.audit["rows"].sum() == len(sub)
    d = res.to_dict()
    assert d["input"] == str(utf) and d["audit"] == res.cleaning.audit.to_dict(orient="records")
    assert list(res.tables()) == ["means", "event_study", "audit", "unclassified"]
    t = res.tidy()
    assert tuple(t.columns) == (*TIDY_COLUMNS, "s", "year") and t["s"].tolist() == list(range(-3, 7))
    out = write_result(res, tmp_path / "o")
    assert json.loads((out.folder / "results.json").read_text(encoding="utf-8")) == json.loads(
        json.dumps(to_jsonable(d)))
    back = pd.read_csv(out.folder / "panel.csv", dtype={"county": str})
    assert len(back) == len(res.panel) and back["log_area"].equals(res.panel["log_area"])
    # the summary states the study and the audit
    assert "Event study" in res.summary() and "kept" in res.summary()


def test_event_study_tidy_equals_pyfixest(demo):
    import warnings

    import pyfixest as pf

    frame, _ = demo
    panel = clean_land(frame).panel
    res = estimate_event_study(panel)
    d = panel.assign(county=panel["county"].astype(str), s=event_time(panel["year"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.feols("log_area ~ i(s, park, ref=-1) | county^park + county^year", data=d,
                       vcov={"CRV1": "county"}).tidy()
    got = res.tidy().set_index("term").loc[ref.index]
    np.testing.assert_allclose(got["estimate"], ref["Estimate"], rtol=1e-12)
    np.testing.assert_allclose(got["std_error"], ref["Std. Error"], rtol=1e-12)
    np.testing.assert_allclose(got["statistic"], ref["t value"], rtol=1e-10)
    np.testing.assert_allclose(got["p_value"], ref["Pr(>|t|)"], rtol=1e-8, atol=1e-15)
    np.testing.assert_allclose(got["conf_low"], ref["2.5%"], rtol=1e-12)
    np.testing.assert_allclose(got["conf_high"], ref["97.5%"], rtol=1e-12)
    base = res.tidy().set_index("s").loc[-1]
    assert base["estimate"] == 0.0 and np.isnan(base["std_error"]) and base["year"] == 2013
