"""``pairnet did`` end to end: the output folder, results.json keys, bad input -> exit 2."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pairnet.analyses.cs import aggte, att_gt
from pairnet.analyses.did import simulate_staggered


@pytest.fixture(scope="module")
def pair_csv(tmp_path_factory):
    s = simulate_staggered(n_units=40, n_periods=9, effect=2.0, seed=13)
    s["count"] = np.round(np.exp(s["y"] / 3)).astype(int)
    s["branches"] = s["count"] + np.arange(len(s)) % 3
    s["origin"] = "o" + s["unit"].str[-1]
    s["destination"] = "d" + s["unit"].str[-2]
    s["border_km"] = s["dist"]
    s["centroid_km"] = s["dist"] + 30
    s = s.drop(columns="dist")
    path = tmp_path_factory.mktemp("did") / "pairs.csv"
    s.to_csv(path, index=False)
    return path, s


@pytest.fixture(scope="module")
def cli_out(pair_csv, tmp_path_factory):
    from typer.testing import CliRunner

    from pairnet.cli import app

    path, _ = pair_csv
    out = tmp_path_factory.mktemp("didout")
    res = CliRunner().invoke(app, ["did", str(path), "--unit", "unit", "--time", "time",
                                   "--cohort", "cohort", "--y", "count", "--controls", "x",
                                   "--extra-y", "branches", "--placebo", "40", "--seed", "3",
                                   "--wild-draws", "0", "--out", str(out)],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    return out, json.loads((out / "results.json").read_text(encoding="utf-8"))


def test_results_json_has_every_required_key(cli_out):
    out, r = cli_out
    assert {"coef", "se", "se_cluster2"} <= set(r["twfe"])
    assert isinstance(r["event_study"], list)
    assert {"rel_time", "coef", "se"} <= set(r["event_study"][0])
    assert [e["rel_time"] for e in r["event_study"]] == list(range(-5, 11))
    for k in ("simple", "dynamic", "group", "calendar"):
        assert {"att", "se"} <= set(r["cs"][k])
    assert {"att", "se"} <= set(r["cs"]["dynamic"]["pre_avg"])
    assert {"att", "se"} <= set(r["cs"]["dynamic"]["post_avg"])
    assert len(r["cs"]["att_gt"]) > 0
    assert len(r["placebo"]["draws"]) == 40 and 0 < r["placebo"]["p_value"] <= 1
    assert {"coef", "se", "break_even_km"} <= set(r["distance"])
    assert set(r["distance"]["by_column"]) == {"border_km", "centroid_km"}
    assert "branches" in r["extra_y"]
    assert {"sun_abraham", "did2s"} <= set(r["alternatives"])
    assert r["ppml"]["coef"] > 0


def test_output_folder_files(cli_out):
    out, _ = cli_out
    for t in ("table1_descriptives", "table2_twfe", "table3_robust_did", "table4_distance",
              "table5_other_outcomes", "event_study"):
        for ext in ("csv", "html", "md", "tex"):
            assert (out / "tables" / f"{t}.{ext}").stat().st_size > 0
    for f in ("figure1_event_study", "figure2_placebo", "distance_border_km"):
        for ext in ("png", "svg"):
            assert (out / "figures" / f"{f}.{ext}").stat().st_size > 0
    index = json.loads((out / "outputs.json").read_text(encoding="utf-8"))
    assert "table2_twfe" in [t["name"] for t in index["tables"]]


def test_cs_numbers_are_the_cs_module(cli_out, pair_csv):
    _, r = cli_out
    _, s = pair_csv
    res = att_gt(s, yname="count", tname="time", idname="unit", gname="cohort")
    simple = aggte(res, "simple")
    assert r["cs"]["simple"]["att"] == pytest.approx(simple.overall_att, rel=1e-10)
    assert r["cs"]["simple"]["se"] == pytest.approx(simple.overall_se, rel=1e-10)


def test_distance_top_level_is_first_column_without_controls(cli_out):
    _, r = cli_out
    d = r["distance"]
    assert d["column"] == "border_km" and d["controls"] is False
    assert d["break_even_km"] == pytest.approx(-d["treat_coef"] / d["coef"])
    assert d["b0"] == d["treat_coef"] and d["b1"] == d["coef"]


def _write(tmp_path, df):
    p = tmp_path / "bad.csv"
    df.to_csv(p, index=False)
    return p


def _args(p, out):
    return ["did", "--diagnostics", "none", p, "--unit", "unit", "--time", "time", "--cohort", "cohort", "--y", "y",
            "--placebo", "0", "--wild-draws", "0", "--out", out]


def test_cohort_varying_within_unit_exits_2(run_cli, tmp_path):
    s = simulate_staggered(n_units=10, n_periods=5, seed=1)
    s["cohort"] = s["cohort"].astype(object)
    u = s.loc[s["cohort"] > 0, "unit"].iloc[0]
    rows = np.flatnonzero((s["unit"] == u).to_numpy())
    s.loc[rows[:2], "cohort"] = ""  # empty on some rows of a treated unit
    res = run_cli(*_args(_write(tmp_path, s), tmp_path / "o"))
    assert res.code == 2
    assert "cohort" in res.stderr and "varies within unit" in res.stderr
    assert f"rows {rows[0] + 1}, {rows[1] + 1}" in res.stderr


def test_non_numeric_outcome_exits_2(run_cli, tmp_path):
    s = simulate_staggered(n_units=10, n_periods=5, seed=1)
    s["y"] = s["y"].round(3).astype(str)
    s.loc[7, "y"] = "12万"
    res = run_cli(*_args(_write(tmp_path, s), tmp_path / "o"))
    assert res.code == 2
    assert "column 'y'" in res.stderr and "row 8" in res.stderr


def test_duplicate_years_exit_2(run_cli, tmp_path):
    s = simulate_staggered(n_units=10, n_periods=5, seed=1)
    s = pd.concat([s, s.iloc[[12]]], ignore_index=True)
    res = run_cli(*_args(_write(tmp_path, s), tmp_path / "o"))
    assert res.code == 2
    assert "duplicate period" in res.stderr and "rows 13, 51" in res.stderr


def test_missing_column_exits_2(run_cli, tmp_path):
    s = simulate_staggered(n_units=10, n_periods=5, seed=1).drop(columns="cohort")
    res = run_cli(*_args(_write(tmp_path, s), tmp_path / "o"))
    assert res.code == 2
    assert "missing column" in res.stderr and "'cohort'" in res.stderr


def test_bad_control_group_exits_2(run_cli, tmp_path):
    s = simulate_staggered(n_units=10, n_periods=5, seed=1)
    res = run_cli(*_args(_write(tmp_path, s), tmp_path / "o"), "--control-group", "later")
    assert res.code == 2
    assert "--control-group" in res.stderr


def test_cli_writes_what_the_library_computes(cli_out, pair_csv):
    """`pairnet did` = DIDOptions -> did_suite -> write_result: results.json is to_dict()."""
    from pairnet.analyses.did_suite import DIDOptions, did_suite
    from pairnet.core.outputs import table_note
    from pairnet.core.tables import read_table, to_jsonable

    out, r = cli_out
    path, _ = pair_csv
    res = did_suite(read_table(path), unit="unit", time="time", cohort="cohort", y="count",
                    options=DIDOptions(controls=["x"], extra_y=["branches"], placebo=40,
                                       seed=3, wild_draws=0))
    assert r == json.loads(json.dumps(to_jsonable(res.to_dict())))
    index = json.loads((out / "outputs.json").read_text(encoding="utf-8"))
    assert [t["note"] for t in index["tables"]] == [table_note(t, "en")
                                                    for t in res.tables().values()]
    m = res.distance_model("centroid_km", "no_controls")
    e = r["distance"]["by_column"]["centroid_km"]["no_controls"]
    assert (m.b1, m.b2) == pytest.approx((e["b0"], e["b1"]), rel=1e-12)
    np.testing.assert_allclose(m.model.vcov, np.asarray(e["vcov"]), rtol=1e-12)


def test_echo_lines(run_cli, pair_csv, tmp_path):
    path, _ = pair_csv
    out = tmp_path / "o"
    res = run_cli("did", "--diagnostics", "none", path, "--unit", "unit", "--time", "time", "--cohort", "cohort",
                  "--y", "count", "--placebo", "5", "--distance", "none", "--wild-draws", "0",
                  "--out", out)
    assert res.code == 0, res.stderr
    r = json.loads((out / "results.json").read_text(encoding="utf-8"))
    lines = res.stdout.splitlines()
    tw = r["twfe"]
    assert lines[0] == (f"TWFE treat = {tw['coef']:.6g} (SE {tw['se']:.6g}, clustered by "
                        f"unit, 40 clusters, p = {tw['p_value']:.4g}), N = {tw['nobs']}")
    assert lines[1] == f"placebo p = {r['placebo']['p_value']:.4g} (5 draws)"
    assert lines[2].startswith("CS simple ATT = ") and lines[-1] == f"wrote {out}"


def test_out_file_is_refused_before_reading_the_data(run_cli, tmp_path):
    p = _write(tmp_path, _small_panel())
    res = run_cli(*_fz_args(tmp_path / "no-such-panel.csv", p))
    assert res.code == 2
    assert "--out must be a folder" in res.stderr and "no-such-panel" not in res.stderr


def test_bad_cluster2_names_the_flag(run_cli, tmp_path):
    res = run_cli(*_fz_args(_write(tmp_path, _small_panel()), tmp_path / "o"),
                  "--cluster2", "unit")
    assert res.code == 2
    assert "expecting two columns for --cluster2" in res.stderr and "`" not in res.stderr


def test_negative_placebo_names_the_flag(run_cli, tmp_path):
    args = [a if a != "0" else "-3" for a in _fz_args(_write(tmp_path, _small_panel()),
                                                     tmp_path / "o")]
    res = run_cli(*args)
    assert res.code == 2
    assert "--placebo must be a whole number >= 0, got -3" in res.stderr


def test_optimizer_reads_the_distance_model(cli_out):
    from pairnet.analyses.optimize import effect_model_from_results

    out, r = cli_out
    m = effect_model_from_results(out, "centroid_km", "no_controls")
    e = r["distance"]["by_column"]["centroid_km"]["no_controls"]
    assert m.b0 == pytest.approx(e["b0"]) and m.b1 == pytest.approx(e["b1"])
    np.testing.assert_allclose(m.vcov, np.asarray(e["vcov"]))


# --- fuzzer findings: designs the suite cannot (fully) estimate, non-finite / missing input ---
def _small_panel(cohorts=(2004, 2004, 2006, 2006, 0, 0, 0, 0), seed=0):
    """8 units x 2000-2009 with a true effect of 2 (the fuzzer's base panel shape)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, g in enumerate(cohorts):
        for t in range(2000, 2010):
            rows.append({"unit": f"u{i + 1:02d}", "year": t, "cohort": g,
                         "y": float(rng.poisson(3) + 2 * (g > 0 and t >= g)),
                         "x1": rng.normal(), "border_km": 100.0 + 20 * i})
    return pd.DataFrame(rows)


def _fz_args(p, out, *extra):
    return ["did", "--diagnostics", "none", p, "--unit", "unit", "--time", "year", "--cohort", "cohort", "--y", "y",
            "--placebo", "0", "--no-cs", "--wild-draws", "0", "--out", out, *extra]


def test_all_treated_skips_alternatives_with_notes(run_cli, tmp_path):
    s = _small_panel(cohorts=(2004, 2004, 2006, 2006, 2008, 2008, 2008, 2008))
    out = tmp_path / "o"
    res = run_cli(*_fz_args(_write(tmp_path, s), out))
    assert res.code == 0, res.stderr
    r = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert r["twfe"]["nobs"] == 80 and np.isfinite(r["twfe"]["coef"])
    assert "never-treated" in r["alternatives"]["sun_abraham"]["error"]
    assert "2008, 2009 have no untreated unit" in r["alternatives"]["did2s"]["error"]
    assert any(n.startswith("did2s skipped") for n in r["notes"])
    assert any(n.startswith("no never-treated units") for n in r["notes"])
    assert "did2s skipped" in res.stdout


@pytest.mark.parametrize("control_group, cs_ok", [("never", False), ("notyet", True)])
def test_all_treated_with_cs(run_cli, tmp_path, control_group, cs_ok):
    s = _small_panel(cohorts=(2004, 2004, 2006, 2006, 2008, 2008, 2008, 2008))
    out = tmp_path / "o"
    args = [a for a in _fz_args(_write(tmp_path, s), out) if a != "--no-cs"]
    res = run_cli(*args, "--control-group", control_group)
    assert res.code == 0, res.stderr
    r = json.loads((out / "results.json").read_text(encoding="utf-8"))
    if cs_ok:
        assert np.isfinite(r["cs"]["simple"]["att"])
    else:
        assert "never-treated" in r["cs"]["error"]
        assert any(n.startswith("Callaway-Sant'Anna skipped") for n in r["notes"])
    assert "error" in r["alternatives"]["did2s"]


def test_single_unit_exits_2(run_cli, tmp_path):
    s = _small_panel().query("unit == 'u01'")
    res = run_cli(*_fz_args(_write(tmp_path, s), tmp_path / "o"))
    assert res.code == 2
    assert "column 'unit'" in res.stderr and "at least 2 units and 2 periods" in res.stderr
    assert "found 1 unit(s)" in res.stderr


def test_single_cohort_without_comparison_exits_2(run_cli, tmp_path):
    # every unit treated in 2004: treat equals a period dummy, nothing to compare with
    s = _small_panel(cohorts=(2004,) * 8)
    res = run_cli(*_fz_args(_write(tmp_path, s), tmp_path / "o"))
    assert res.code == 2
    assert "no period has both treated and untreated" in res.stderr
    assert "column 'cohort'" in res.stderr and "Fix:" in res.stderr


@pytest.mark.parametrize("column", ["y", "x1", "border_km"])
def test_infinite_value_exits_2(run_cli, tmp_path, column):
    s = _small_panel()
    s.loc[2, column] = np.inf
    extra = {"y": (), "x1": ("--controls", "x1"), "border_km": ()}[column]
    res = run_cli(*_fz_args(_write(tmp_path, s), tmp_path / "o", *extra))
    assert res.code == 2, res.stderr
    assert f"column '{column}', row 3: non-finite value inf" in res.stderr


def test_missing_outcome_exits_2(run_cli, tmp_path):
    s = _small_panel()
    s.loc[[2, 45], "y"] = np.nan
    res = run_cli(*_fz_args(_write(tmp_path, s), tmp_path / "o"))
    assert res.code == 2
    assert "column 'y', rows 3, 46: missing outcome value" in res.stderr
    assert "fill these values or drop these records" in res.stderr


def test_negative_cohort_exits_2(run_cli, tmp_path):
    s = _small_panel(cohorts=(2004, 2004, 2006, 2006, -1, 0, 0, 0))
    res = run_cli(*_fz_args(_write(tmp_path, s), tmp_path / "o"))
    assert res.code == 2
    assert "negative cohort -1" in res.stderr and "rows 41, 42" in res.stderr
    assert "0 or leave it empty" in res.stderr


def test_out_naming_a_file_exits_2(run_cli, tmp_path):
    p = _write(tmp_path, _small_panel())
    res = run_cli(*_fz_args(p, p))
    assert res.code == 2
    assert "--out must be a folder" in res.stderr


def test_constant_outcome_exits_2(run_cli, tmp_path):
    s = simulate_staggered(n_units=10, n_periods=5, seed=1)
    s["y"] = 0.0
    res = run_cli(*_args(_write(tmp_path, s), tmp_path / "o"))
    assert res.code == 2 and "constant" in res.stderr and "'y'" in res.stderr


# --- Callaway–Sant'Anna covariates (--cs-covariates) and estimator (--cs-method) ---
def test_cs_covariates_on_mpdta_equal_r_did(run_cli, reference_dir, tmp_path):
    ref = json.loads((reference_dir / "did" / "reference_mpdta.json").read_text())
    r = ref["results"]["nevertreated_lpop_dr_analytic"]
    assert r["settings"]["xformla"] == "~lpop" and r["settings"]["est_method"] == "dr"
    out = tmp_path / "o"
    res = run_cli("did", "--diagnostics", "none", reference_dir / "did" / "mpdta.csv", "--unit", "countyreal",
                  "--time", "year", "--cohort", "first.treat", "--y", "lemp",
                  "--placebo", "0", "--distance", "none", "--cs-covariates", "lpop",
                  "--cs-method", "dr", "--out", out)
    assert res.code == 0, res.stderr
    got = json.loads((out / "results.json").read_text(encoding="utf-8"))["cs"]
    assert got["covariates"] == ["lpop"] and got["est_method"] == "dr"
    assert got["control_group"] == "never"
    for typ in ("simple", "dynamic", "group", "calendar"):
        assert got[typ]["att"] == pytest.approx(r["aggte"][typ]["overall_att"], abs=1e-6), typ
        assert got[typ]["se"] == pytest.approx(r["aggte"][typ]["overall_se"], rel=1e-4), typ


def _cov_args(p, out, *extra):
    return ["did", "--diagnostics", "none", p, "--unit", "unit", "--time", "year", "--cohort", "cohort", "--y", "y",
            "--placebo", "0", "--distance", "none", "--out", out, *extra]


def test_missing_cs_covariate_column_exits_2(run_cli, tmp_path):
    res = run_cli(*_cov_args(_write(tmp_path, _small_panel()), tmp_path / "o",
                             "--cs-covariates", "x1,lpop"))
    assert res.code == 2
    assert "missing column" in res.stderr and "'lpop'" in res.stderr


def test_non_numeric_cs_covariate_exits_2(run_cli, tmp_path):
    s = _small_panel()
    s["x1"] = s["x1"].round(3).astype(str)
    s.loc[4, "x1"] = "n/a?"
    res = run_cli(*_cov_args(_write(tmp_path, s), tmp_path / "o", "--cs-covariates", "x1"))
    assert res.code == 2
    assert "column 'x1', row 5: non-numeric value 'n/a?'" in res.stderr


def test_missing_cs_covariate_value_exits_2(run_cli, tmp_path):
    s = _small_panel()
    s.loc[[3, 61], "x1"] = np.nan
    out = tmp_path / "o"
    res = run_cli(*_cov_args(_write(tmp_path, s), out, "--cs-covariates", "x1"))
    assert res.code == 2
    assert "column 'x1', rows 4, 62: missing covariate value" in res.stderr
    assert not (out / "results.json").exists()


def test_infinite_cs_covariate_exits_2(run_cli, tmp_path):
    s = _small_panel()
    s.loc[9, "x1"] = -np.inf
    res = run_cli(*_cov_args(_write(tmp_path, s), tmp_path / "o", "--cs-covariates", "x1"))
    assert res.code == 2
    assert "column 'x1', row 10: non-finite value -inf" in res.stderr


def test_bad_cs_method_exits_2(run_cli, tmp_path):
    res = run_cli(*_cov_args(_write(tmp_path, _small_panel()), tmp_path / "o",
                             "--cs-method", "ols"))
    assert res.code == 2
    assert "--cs-method" in res.stderr and "ols" in res.stderr
    assert "cs_est_method" not in res.stderr


# --- issue 13: --cluster, the wild bootstrap, the event-study window ---------------------
@pytest.fixture(scope="module")
def few9_csv():
    from pathlib import Path

    return Path(__file__).parent / "reference" / "did" / "few9.csv"


def test_cluster_origin_with_wild_bootstrap(run_cli, few9_csv, tmp_path):
    ref = json.loads((few9_csv.parent / "few_clusters.json").read_text(encoding="utf-8"))
    ref = ref["designs"]["few9"]
    out = tmp_path / "o"
    res = run_cli("did", "--diagnostics", "none", few9_csv, "--unit", "unit", "--time", "year", "--cohort", "cohort",
                  "--y", "y", "--cluster", "origin", "--placebo", "0", "--no-cs",
                  "--distance", "none", "--leads", "1", "--lags", "0", "--ends", "trim",
                  "--out", out)
    assert res.code == 0, res.stderr
    r = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert r["twfe"]["p_wild"] == pytest.approx(ref["twfe_wild"]["p_val"], abs=1e-12)
    assert r["meta"]["event_window"] == {"leads": 1, "lags": 0, "ends": "trim"}
    assert [e["rel_time"] for e in r["event_study"]] == [-1, 0]
    assert "clustered by origin, 9 clusters" in res.stdout
    assert "(512 bootstrap draws)" in res.stdout.splitlines()[0]


@pytest.mark.parametrize("extra, words", [
    (("--cluster", "nope"), "column 'nope': missing column(s) 'nope'"),
    (("--cluster", "const"), "a single cluster"),
    (("--cluster", "holes"), "rows 3, 8: missing cluster id"),
    (("--leads", "-2"), "--leads must be a whole number >= 1, got -2"),
    (("--leads", "0"), "--leads must be a whole number >= 1, got 0"),
    (("--lags", "-1"), "--lags must be a whole number >= 0"),
    (("--ends", "bins"), "expecting one of ['bin', 'trim'] for --ends, got 'bins'"),
    (("--wild-weights", "mammen"), "for --wild-weights, got 'mammen'"),
    (("--wild-draws", "-9"), "--wild-draws must be a whole number >= 0"),
])
def test_bad_new_options_exit_2_with_one_line(run_cli, tmp_path, extra, words):
    s = simulate_staggered(n_units=10, n_periods=5, seed=1)
    s["const"] = "c"
    s["holes"] = "o" + s["unit"].str[-1]
    s.loc[[2, 7], "holes"] = ""
    res = run_cli(*_args(_write(tmp_path, s), tmp_path / "o"), *extra)
    assert res.code == 2
    assert words in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert "`" not in res.stderr
