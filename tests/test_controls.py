"""Baseline-year controls (seed 003 model (1), footnote 3): pre-treatment values only, no 0s."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pairnet.analyses.did import control_columns, controls_no_baseline, prepare_panel, twfe
from pairnet.panels.controls import baseline_values, baseline_year_controls


def _frame() -> pd.DataFrame:
    """Four units, years 2000-2003, one control ``x`` (value = 10·unit + year offset).

    a: never treated, has 2000                       -> 2000 value 10
    b: cohort 2002, misses 2000, has 2001            -> 2001 value 21 (2001 < 2002)
    c: cohort 2002, misses 2000-2001, has 2002, 2003 -> none admissible (NaN)
    d: never treated, misses 2000-2001, has 2003     -> 2003 value 43 (any year allowed)
    """
    rows = []
    for i, u in enumerate("abcd", start=1):
        for k, t in enumerate(range(2000, 2004)):
            rows.append({"unit": u, "year": t, "x": 10.0 * i + k})
    d = pd.DataFrame(rows)
    d["cohort"] = d["unit"].map({"a": 0, "b": 2002, "c": 2002, "d": 0})
    d.loc[(d["unit"] == "b") & (d["year"] == 2000), "x"] = np.nan
    d.loc[(d["unit"] == "c") & (d["year"] <= 2001), "x"] = np.nan
    d.loc[(d["unit"] == "d") & (d["year"] <= 2002), "x"] = np.nan
    return d


def test_values_by_hand():
    d = _frame()
    b = baseline_values(d, ["x"], unit="unit", time="year", cohort="cohort")
    assert b.loc["a", "x"] == 10.0  # the base-year value
    assert b.loc["b", "x"] == 21.0  # 2001, before the 2002 cohort
    assert np.isnan(b.loc["c", "x"])  # 2002 and 2003 are post-treatment: not admissible
    assert b.loc["d", "x"] == 43.0  # never treated: any year, earliest available
    used = b.attrs["year_used"]["x"]
    assert used["a"] == 2000 and used["b"] == 2001 and used["d"] == 2003


def test_base_year_value_used_when_present_even_if_later_values_exist():
    d = _frame()
    d["cohort"] = d["unit"].map({"a": 2001, "b": 2002, "c": 2002, "d": 0})
    b = baseline_values(d, ["x"], unit="unit", time="year", cohort="cohort")
    assert b.loc["a", "x"] == 10.0


def test_without_cohort_the_old_fallback_applies():
    b = baseline_values(_frame(), ["x"], unit="unit", time="year")
    assert b.loc["c", "x"] == 32.0  # earliest non-missing, no cohort restriction


def test_cohort_as_mapping_equals_column():
    d = _frame()
    by_col = baseline_values(d, ["x"], unit="unit", time="year", cohort="cohort")
    by_map = baseline_values(d.drop(columns="cohort"), ["x"], unit="unit", time="year",
                             cohort={"a": 0, "b": 2002, "c": 2002, "d": np.nan})
    pd.testing.assert_frame_equal(by_col, by_map)


def test_fallback_never_uses_a_year_at_or_after_the_cohort():
    rng = np.random.default_rng(0)
    n, years = 60, np.arange(2000, 2010)
    d = pd.DataFrame({"unit": np.repeat(np.arange(n), len(years)),
                      "year": np.tile(years, n)})
    d["x"] = rng.normal(size=len(d))
    d.loc[rng.random(len(d)) < 0.5, "x"] = np.nan
    coh = rng.choice([0, 2001, 2003, 2006, 2009], size=n)
    d["cohort"] = coh[d["unit"]]
    b = baseline_values(d, ["x"], unit="unit", time="year", cohort="cohort")
    used = b.attrs["year_used"]["x"]
    treated = coh[used.index.to_numpy()] > 0
    ok = used.notna().to_numpy() & treated
    # the stand-in year is the base year or strictly before the cohort
    yr = used.to_numpy()[ok]
    assert np.all((yr == 2000) | (yr < coh[used.index.to_numpy()][ok]))
    # and it is the first admissible non-missing year
    for u in used.index:
        cand = d[(d["unit"] == u) & d["x"].notna()
                 & ((d["year"] == 2000) | (coh[u] == 0) | (d["year"] < coh[u]))]
        if cand.empty:
            assert np.isnan(b.loc[u, "x"])
        else:
            assert used[u] == cand["year"].min()
            assert b.loc[u, "x"] == cand.sort_values("year")["x"].iloc[0]


def test_interactions_by_hand_and_nan_not_zero():
    d = _frame()
    x = baseline_year_controls(d, ["x"], unit="unit", time="year", cohort="cohort")
    assert list(x.columns) == ["x_x2001", "x_x2002", "x_x2003"]
    row = lambda u, t: x.loc[((d["unit"] == u) & (d["year"] == t)).to_numpy()].iloc[0]  # noqa: E731
    assert row("b", 2001)["x_x2001"] == 21.0
    assert row("b", 2001)["x_x2002"] == 0.0
    assert row("a", 2003)["x_x2003"] == 10.0
    assert row("d", 2002)["x_x2002"] == 43.0
    c = x.loc[(d["unit"] == "c").to_numpy()]
    assert c.isna().all().all()  # every row of the unit, so it leaves the sample as a whole
    assert not x.loc[(d["unit"] != "c").to_numpy()].isna().any().any()
    assert x.attrs["no_baseline"] == {"x": ["c"]}
    assert x.attrs["rows_no_baseline"] == 4


def test_did_code_passes_the_cohort_and_reports_dropped_units():
    d = _frame()
    d["y"] = np.arange(len(d), dtype=float) % 5 + (d["year"] >= d["cohort"].replace(0, 9999))
    p = prepare_panel(d, unit="unit", time="year", cohort="cohort", y="y", controls=["x"])
    f, cols = control_columns(p, "baseline")
    assert cols == ["x_x2001", "x_x2002", "x_x2003"]
    c_code = list(p.unit_labels).index("c")
    assert f.loc[f["unit"] == c_code, cols].isna().all().all()
    rep = controls_no_baseline(p)
    assert rep["units"] == {"x": ["c"]} and rep["n_units"] == 1 and rep["rows_dropped"] == 4
    r = twfe(p, controls=True)
    assert r.nobs <= len(d) - 4  # unit c is not in the regression


def test_report_empty_without_gaps():
    d = _frame()
    d["x"] = d["x"].fillna(1.0)
    d["y"] = np.arange(len(d), dtype=float)
    p = prepare_panel(d, unit="unit", time="year", cohort="cohort", y="y", controls=["x"])
    rep = controls_no_baseline(p)
    assert rep["n_units"] == 0 and rep["rows_dropped"] == 0 and rep["units"] == {}


def test_missing_column_is_input_error():
    from pairnet.core.errors import InputError

    with pytest.raises(InputError, match="cohort"):
        baseline_values(_frame(), ["x"], unit="unit", time="year", cohort="first_treat")


def _pairs_with_shared_recipient() -> pd.DataFrame:
    """Three pairs into recipient R (controls are R's), one pair into S; years 2004-2009.

    R misses its 2004 (baseline) value; its values are 2005: 105, 2006: 106, ...
    pair A -> R cohort 2008, pair B -> R cohort 2005, pair C -> R never treated;
    R's earliest cohort is 2005, so no stand-in year is admissible for R (2005 is not before
    2005) -- for all three pairs, although A's own cohort (2008) and C (never) would allow 2005.
    S has its 2004 value: 204.
    """
    rows = []
    for pair, o, rec, g in (("A", "h1", "R", 2008), ("B", "h2", "R", 2005),
                            ("C", "h3", "R", 0), ("D", "h1", "S", 2007)):
        for t in range(2004, 2010):
            base = 100.0 if rec == "R" else 200.0
            x = np.nan if (rec == "R" and t == 2004) else base + t - 2000
            rows.append({"pair": pair, "origin": o, "destination": rec, "year": t,
                         "cohort": g, "x": x, "y": float(t % 3 + (t >= g > 0))})
    return pd.DataFrame(rows)


def test_stand_in_baseline_is_bounded_by_the_recipients_earliest_cohort():
    d = _pairs_with_shared_recipient()
    p = prepare_panel(d, unit="pair", time="year", cohort="cohort", y="y", controls=["x"],
                      recipient="destination")
    nb = controls_no_baseline(p)
    assert nb["units"] == {"x": ["A", "B", "C"]}          # every pair of R, not only B
    assert "recipient's earliest cohort" in nb["rule"]
    own = prepare_panel(d, unit="pair", time="year", cohort="cohort", y="y", controls=["x"])
    assert controls_no_baseline(own)["units"] == {"x": ["B"]}  # the unit's own cohort only


def test_stand_in_baseline_equals_the_pair_panels_columns():
    # the DID panel's baseline controls are those build_pair_panel(baseline=True) makes:
    # baseline_year_controls per recipient, bounded by the recipient's earliest cohort
    d = _pairs_with_shared_recipient()
    d.loc[(d["destination"] == "R") & (d["year"] == 2005), "x"] = np.nan  # R: 2006 first
    d["cohort"] = d["pair"].map({"A": 2008, "B": 2007, "C": 0, "D": 2007})
    rec_first = d.loc[d["cohort"] > 0].groupby("destination")["cohort"].min()
    theirs = baseline_year_controls(d, ["x"], unit="destination", time="year",
                                    cohort=rec_first)
    p = prepare_panel(d, unit="pair", time="year", cohort="cohort", y="y", controls=["x"],
                      recipient="destination")
    f, cols = control_columns(p, "baseline")
    assert cols == [f"x_x{t}" for t in range(2005, 2010)]
    order = d.sort_values(["pair", "year"]).index
    np.testing.assert_array_equal(f[cols].to_numpy(), theirs.loc[order, cols].to_numpy())
    # R's stand-in is 2006 (< 2007, R's earliest cohort) for every pair of R
    assert f.loc[f["time"] == 2009, "x_x2009"].tolist()[:3] == [106.0, 106.0, 106.0]
