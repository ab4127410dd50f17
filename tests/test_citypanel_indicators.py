"""Seed-000 indicators: interpolation, deflation, size classes, lag, descriptives, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pairnet.analyses.citypanel import lag_within
from pairnet.core.errors import InputError
from pairnet.panels.citypanel import (
    RAW_COLUMNS,
    build_indicators,
    city_split,
    deflate,
    descriptives,
    interpolate_interior,
    schooling_years,
    size_class,
    validate_panel,
)


def _toy():
    return pd.DataFrame({
        "city": ["A"] * 5 + ["B"] * 4,
        "year": [2005, 2006, 2007, 2008, 2010, 2005, 2006, 2007, 2008],
        "v": [np.nan, 2.0, np.nan, 4.0, np.nan, 1.0, np.nan, np.nan, 7.0],
    })


def test_interpolation_interior_only():
    out, gaps = interpolate_interior(_toy(), ["v"], entity="city", time="year")
    a = out[out.city == "A"].set_index("year")["v"]
    b = out[out.city == "B"].set_index("year")["v"]
    assert np.isnan(a[2005]) and np.isnan(a[2010])  # leading / trailing: never extrapolated
    assert a[2007] == pytest.approx(3.0)
    assert b[2006] == pytest.approx(3.0) and b[2007] == pytest.approx(5.0)
    flags = out.set_index(["city", "year"])["interpolated"]
    assert flags[("A", 2007)] == "v" and flags[("A", 2005)] == "" and flags[("A", 2006)] == ""
    acts = gaps.set_index(["city", "year"])["action"]
    assert acts[("A", 2005)] == "left missing" and acts[("A", 2010)] == "left missing"
    assert (gaps["action"] == "interpolated").sum() == 3


def test_interpolation_respects_uneven_years():
    df = pd.DataFrame({"city": ["A"] * 3, "year": [2000, 2001, 2004], "v": [0.0, np.nan, 8.0]})
    out, _ = interpolate_interior(df, ["v"], entity="city", time="year")
    assert out["v"].iloc[1] == pytest.approx(2.0)  # 8 per 4 years -> 2 at t+1


def test_audit_counts_every_record_once():
    from pairnet.panels.demo_yrd import generate_yrd

    raw, _ = generate_yrd(1)
    # a trailing gap in one city (left missing) on top of the generator's interior gaps
    raw.loc[(raw.city == raw.city.iloc[0]) & (raw.year == 2017), "gdp"] = np.nan
    ip = build_indicators(raw)
    assert ip.audit["rows"].sum() == len(raw)
    counts = dict(zip(ip.audit["reason"].str.split(" ").str[0], ip.audit["rows"], strict=True))
    assert counts["leading/trailing"] == 1
    assert counts["interior"] == 6
    assert ip.frame["gdp_pc"].isna().sum() == 1
    assert "left missing" in set(ip.gaps["action"])


def test_deflation_by_hand():
    df = pd.DataFrame({"city": ["A", "A", "B", "B"], "year": [2004, 2005, 2004, 2005],
                       "gdp": [100.0, 110.0, 50.0, 60.0], "cpi": [100.0, 110.0, 120.0, 150.0]})
    base100 = deflate(df, ["gdp"], price="cpi")
    np.testing.assert_allclose(base100["gdp"], [100.0, 100.0, 50 / 1.2, 40.0])
    rebased = deflate(df, ["gdp"], price="cpi", base_year=2004)
    # each city in its own 2004 prices: B 2005 = 60 * 120 / 150 = 48
    np.testing.assert_allclose(rebased["gdp"], [100.0, 100.0, 50.0, 48.0])
    with pytest.raises(InputError, match="base year 2003"):
        deflate(df, ["gdp"], price="cpi", base_year=2003)
    bad = df.assign(cpi=[100.0, 0.0, 1.0, 1.0])
    with pytest.raises(InputError, match="positive"):
        deflate(bad, ["gdp"], price="cpi")


def test_size_class_boundaries():
    pops = [1000, 999.99, 500, 499.99, 300, 299.99, 100, 99.99, 50, 49.99, 0]
    want = ["super", "mega", "mega", "large_I", "large_I", "large_II", "large_II", "medium",
            "medium", "small", "small"]
    assert list(size_class(np.array(pops))) == want
    assert size_class(np.array([np.nan])).isna().all()


def test_schooling_years_by_hand():
    # 10 people aged 6+: 2 primary, 3 junior, 3 senior, 2 college
    assert schooling_years(2, 3, 3, 2, 10) == pytest.approx((12 + 27 + 36 + 32) / 10)


def test_indicator_formulas_by_hand():
    row = {c: 1.0 for c in RAW_COLUMNS}
    row.update(gdp=200.0, pop_resident=120.0, pop_registered=100.0, emp_secondary=40.0,
               emp_tertiary=50.0, cons_pc_urban=10000.0, income_pc=22000.0, fixed_inv=100.0,
               gov_exp=20.0, trade=50.0, fdi=4.0, pop_urban=90.0, area_km2=6000.0,
               price_index=110.0, innovation=7.0)
    raw = pd.DataFrame([{**row, "city": "X", "year": 2005}, {**row, "city": "X", "year": 2006}])
    f = build_indicators(raw).frame.iloc[0]
    gdp_pc = 200 / 1.1 / 120
    assert f["gdp_pc"] == pytest.approx(gdp_pc)
    assert f["mig"] == pytest.approx(0.2)
    assert f["str"] == pytest.approx(1.25)
    assert f["cos"] == pytest.approx(10000 / 1.1 / (gdp_pc * 1e4))
    assert f["inc"] == pytest.approx(2.0)
    assert f["inv"] == pytest.approx(0.5) and f["tra"] == pytest.approx(0.25)
    assert f["urb"] == pytest.approx(0.75) and f["hukou"] == pytest.approx(1.2)
    assert f["density"] == pytest.approx(200.0) and f["tec"] == 7.0


def test_lag_loses_exactly_first_year_and_gaps():
    df = pd.DataFrame({"city": ["A"] * 4 + ["B"] * 3, "year": [2005, 2006, 2007, 2008,
                                                               2005, 2007, 2008],
                       "mig": [1.0, 2.0, 3.0, 4.0, 10.0, 30.0, 40.0]})
    lag = lag_within(df, "mig", entity="city", time="year")
    assert list(lag.iloc[:4].isna()) == [True, False, False, False]
    assert list(lag.iloc[1:4]) == [1.0, 2.0, 3.0]
    # B: first year lost, 2007 has no 2006 -> missing (not filled with 2005), 2008 <- 2007
    assert lag.iloc[4:6].isna().all() and lag.iloc[6] == 30.0
    # never crosses cities
    assert lag.name == "L_mig"


def test_city_split_keeps_city_in_one_group():
    df = pd.DataFrame({"city": list("AABBCCDD"), "year": [1, 2] * 4,
                       "z": [1, 3, 2, 2, 10, 10, 0, 0]})
    g = city_split(df, "z")
    assert g.groupby(df["city"]).nunique().max() == 1
    assert list(g[::2]) == ["high", "high", "high", "low"]  # means 2, 2, 10, 0; median 2
    assert list(city_split(df, "z", threshold=5)[::2]) == ["low", "low", "high", "low"]


def test_descriptives_city_and_year_of_extremes():
    df = pd.DataFrame({"city": ["A", "A", "B", "B"], "year": [2005, 2006, 2005, 2006],
                       "y": [1.0, 5.0, 0.5, 3.0]})
    d = descriptives(df, ["y"], names={"A": "甲", "B": "乙"}).iloc[0]
    assert d["max_city"] == "甲" and d["max_year"] == 2006
    assert d["min_city"] == "乙" and d["min_year"] == 2005
    assert d["mean"] == pytest.approx(2.375) and d["sd"] == pytest.approx(df.y.std())


def test_validate_errors_name_rows():
    df = pd.DataFrame({"city": ["A", "A", "B", "B"], "year": [1, 2, 1, 1], "v": [1, 2, 3, 4]})
    with pytest.raises(InputError, match="rows 3, 4"):
        validate_panel(df, entity="city", time="year", columns=["v"])
    df = pd.DataFrame({"city": ["A", "A", "B"], "year": [1, 2, 1], "v": [1, 2, 3]})
    with pytest.raises(InputError, match="row 3"):
        validate_panel(df, entity="city", time="year", columns=["v"])


def test_validate_keeps_adcodes_read_as_floats_whole():
    # a spreadsheet or Parquet float column must give city "440100", not "440100.0"
    df = pd.DataFrame({"city": [440100.0, 440100.0, 441900.0, 441900.0],
                       "year": [2000, 2001, 2000, 2001], "v": [1, 2, 3, 4]})
    out = validate_panel(df, entity="city", time="year", columns=["v"])
    assert out["city"].tolist() == ["440100", "440100", "441900", "441900"]


def _write(tmp_path, rows):
    p = tmp_path / "d.csv"
    pd.DataFrame(rows).to_csv(p, index=False)
    return p


@pytest.mark.parametrize("case,expect", [
    ("duplicate", r"rows 2, 3"),
    ("nonnumeric", r"column 'y', row 4.*non-numeric"),
    ("single", r"row 5.*fewer than 2 years"),
])
def test_cli_bad_input_exit_2(run_cli, tmp_path, case, expect):
    rows = {"city": ["A", "A", "A", "B", "B", "C"], "year": [1, 2, 3, 1, 2, 1],
            "y": ["1", "2", "3", "4", "5", "6"], "x": [1.0, 2.5, 2.0, 4.0, 4.5, 7.0]}
    if case == "duplicate":
        rows["year"][2] = 2
        rows["city"][5] = "B"
        rows["year"][5] = 3
    elif case == "nonnumeric":
        rows["y"][3] = "n/a4"
        rows["city"][5] = "B"
        rows["year"][5] = 3
    else:
        rows["city"] = ["A", "A", "A", "B", "C", "B"]
        rows["year"] = [1, 2, 3, 1, 1, 2]
    p = _write(tmp_path, rows)
    res = run_cli("citypanel", p, "--y", "y", "--x", "x", "--out", tmp_path / "o")
    assert res.code == 2
    import re

    assert re.search(expect, res.stderr), res.stderr
    assert res.stderr.count("\n") == 1
    assert not (tmp_path / "o" / "results.json").exists()


def test_city_split_city_without_values_in_no_group():
    df = pd.DataFrame({"city": list("AABBCC"), "year": [1, 2] * 3,
                       "z": [1.0, 1.0, 3.0, 3.0, np.nan, np.nan]})
    g = city_split(df, "z")
    assert list(g[::2].isna()) == [False, False, True]
    assert list(g[:4:2]) == ["low", "high"]


def test_missing_base_year_names_the_file_and_the_fix(run_cli, tmp_path):
    import pandas as pd

    from pairnet.core.errors import InputError
    from pairnet.panels.citypanel import deflate
    from pairnet.panels.demo_yrd import write_demo_yrd

    df = pd.DataFrame({"city": ["a", "a"], "year": [2005, 2006], "price_index": [101.0, 103.0],
                       "gdp": [1.0, 2.0]})
    # the library names the parameter, the command line its flag
    with pytest.raises(InputError, match=r"raw\.csv.*base year 2030.*omit `base_year`"):
        deflate(df, ["gdp"], price="price_index", base_year=2030, file="raw.csv")
    raw_path, _ = write_demo_yrd(tmp_path / "d", seed=0)
    res = run_cli("citypanel", raw_path, "--raw", "--base-year", "2030", "--out", tmp_path / "o")
    assert res.code == 2 and "base year 2030" in res.stderr, res.stderr
    assert "omit --base-year when" in res.stderr and "`" not in res.stderr, res.stderr


def _panel_csv(tmp_path, name="p.csv", *, n=12, t=6, seed=0, edit=None):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"city": np.repeat([f"c{i:02d}" for i in range(n)], t),
                      "year": np.tile(np.arange(2010, 2010 + t), n)})
    d["x1"] = rng.normal(size=len(d))
    d["x2"] = rng.normal(size=len(d))
    d["y"] = 1 + d["x1"] - d["x2"] + rng.normal(size=len(d))
    if edit is not None:
        d = edit(d)
    p = tmp_path / name
    d.to_csv(p, index=False)
    return p


def _run(run_cli, p, tmp_path, *extra):
    return run_cli("citypanel", p, "--y", "y", "--x", "x1,x2", *extra,
                   "--out", tmp_path / "o")


@pytest.mark.parametrize("name, edit, needles", [
    ("collinear.csv", lambda d: d.assign(x2=2 * d["x1"]),
     ["column 'x2'", "'x2' is a linear combination of 'x1'", "Fix: drop one of x1, x2"]),
    ("constx.csv", lambda d: d.assign(x1=1.0),
     ["column 'x1'", "constant", "Fix: drop x1"]),
    ("oneunit.csv", lambda d: d[d["city"] == "c00"],
     ["column 'city'", "only one city", "Fix:"]),
    ("mostnan.csv", lambda d: d.assign(y=d["y"].where(d["city"] == "c03")),
     ["column 'y'", "only one city", "missing in 66 of 72 rows", "Fix:"]),
    ("inf.csv", lambda d: d.assign(x1=d["x1"].where(d.index != 4, np.inf)),
     ["column 'x1', row 5", "non-finite value inf", "Fix:"]),
])
def test_cli_degenerate_data_exit_2_naming_file_column_fix(run_cli, tmp_path, name, edit,
                                                           needles):
    res = _run(run_cli, _panel_csv(tmp_path, name, edit=edit), tmp_path)
    assert res.code == 2, res.stderr
    assert res.stderr.count("\n") == 1, res.stderr  # one message, no warnings before it
    for n in [name, *needles]:
        assert n in res.stderr, res.stderr
    assert not (tmp_path / "o" / "results.json").exists()


@pytest.mark.parametrize("extra, needles", [
    (["--lag", "nope"], ["--lag", "Fix: name one of the --x regressors: x1, x2"]),
    (["--interact", "x1:nope"], ["column 'nope'", "Fix:", "city, year, x1, x2, y"]),
    (["--split", "nope"], ["column 'nope'", "Fix:", "city, year, x1, x2, y"]),
    (["--cluster", "nope"], ["column 'nope'", "Fix: --cluster must be one of", "x2"]),
])
def test_cli_unknown_option_columns_list_the_available_ones(run_cli, tmp_path, extra, needles):
    res = _run(run_cli, _panel_csv(tmp_path), tmp_path, *extra)
    assert res.code == 2, res.stderr
    for n in needles:
        assert n in res.stderr, res.stderr


def test_cli_out_naming_a_file_exits_2(run_cli, tmp_path):
    p = _panel_csv(tmp_path)
    f = tmp_path / "taken.csv"
    f.write_text("keep\n", encoding="utf-8")
    res = run_cli("citypanel", p, "--y", "y", "--x", "x1,x2", "--out", f)
    assert res.code == 2 and "--out" in res.stderr and "folder" in res.stderr, res.stderr
    assert f.read_text(encoding="utf-8") == "keep\n"
