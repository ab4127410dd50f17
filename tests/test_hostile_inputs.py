"""Hostile inputs, every class of issue 17: places, non-numbers, paths, outputs, messages.

Each bad input must give exit status 2 and ONE stderr line naming the file / column / rows and a
fix, never a traceback; nothing is silently substituted or dropped.
"""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pandas as pd
import pytest

from pairnet.core.errors import AmbiguousCityError, InputError, UnknownCityError
from pairnet.spatial.cities import resolve_cities, resolve_one, suggest


def one_line_error(res, *words):
    """Exit 2, exactly one stderr line, no traceback, and every word in it."""
    assert res.code == 2, (res.code, res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


# ----------------------------------------------------------------------------- 1. places
@pytest.mark.parametrize("token, level, words", [
    # a district never becomes the prefecture whose name it contains
    ("朝阳区", "prefecture", ["110105", "220104", "not a prefecture"]),
    ("朝阳区", "any", ["110105", "220104", "ambiguous"]),
    ("西安区", "prefecture", ["220403", "231005", "not a prefecture"]),
    ("西安区", "county", ["220403", "231005", "ambiguous"]),
    # a place that does not exist is unknown, with the nearest real names
    ("广州县", "prefecture", ["no prefecture named '广州县'", "440100"]),
    ("广州县", "any", ["440100"]),
    ("深川", "prefecture", ["440300"]),
    ("梅洲市", "prefecture", ["441400"]),
    ("火星市", "prefecture", ["no prefecture"]),
    # a county name where a prefecture is needed names the county and its prefecture
    ("番禺区", "prefecture", ["440113", "440100"]),
    ("乾县", "prefecture", ["610424", "610400"]),
])
def test_names_resolve_to_the_unit_they_name_or_fail(token, level, words):
    with pytest.raises(InputError) as err:
        resolve_one(token, level=level, argument="--origins")
    msg = str(err.value)
    for w in words:
        assert w in msg, (w, msg)
    assert "--origins" in msg and "Fix:" in msg


@pytest.mark.parametrize("token, level, code", [
    ("廣州", "prefecture", "440100"),          # traditional characters
    ("廣東省廣州市", "prefecture", "440100"),
    ("朝陽市", "prefecture", "211300"),
    ("４４０１００", "prefecture", "440100"),    # full-width digits
    (" 广 州 ", "prefecture", "440100"),        # stray spaces
    ("广州　", "prefecture", "440100"),         # ideographic space
    ("甘孜州", "prefecture", "513300"),         # autonomous prefecture, usual short form
    ("甘孜", "prefecture", "513300"),
    ("延边州", "prefecture", "222400"),
    ("乾县", "county", "610424"),               # 乾 is also a traditional 干: as typed first
    ("北京市朝阳区", "county", "110105"),
    ("长春朝阳区", "county", "220104"),
    ("辽源市西安区", "any", "220403"),
    ("朝阳县", "county", "211321"),
    ("朝阳", "any", "211300"),                  # a bare short name: the prefecture's
])
def test_spellings_that_name_one_unit(token, level, code):
    assert resolve_one(token, level=level) == code


def test_ambiguous_lists_every_candidate_with_province_and_adcode():
    with pytest.raises(AmbiguousCityError) as err:
        resolve_one("鼓楼区", level="county")
    msg = str(err.value)
    for cand in ("江苏省南京市鼓楼区 (320106", "江苏省徐州市鼓楼区 (320302",
                 "福建省福州市鼓楼区 (350102", "河南省开封市鼓楼区 (410204"):
        assert cand in msg


def test_suggestions_are_real_units_and_the_intended_one_is_among_them():
    assert any("440100" in s for s in suggest("广洲", level="prefecture"))
    assert any("440100" in s for s in suggest("廣洲"))
    assert suggest("xyz") == []


def test_resolve_cities_refuses_a_district_in_a_prefecture_list():
    with pytest.raises(UnknownCityError, match="朝阳区"):
        resolve_cities("广州,朝阳区", argument="helpers")


def test_registry_key_tables_never_substitute():
    from pairnet.panels.registry import city_keys, locate_firms

    keys = dict(zip(city_keys()["key"], city_keys()["prefecture"], strict=True))
    assert "朝阳区" not in keys and "西安区" not in keys and "广州县" not in keys
    assert keys["北京市朝阳区"] == "110100" and keys["番禺区"] == "440100"
    assert keys["廣州市"] == "440100" and keys["朝阳"] == "211300"
    firms = pd.DataFrame({
        "name": ["朝阳区某科技有限公司", "北京市朝阳区某公司", "番禺区某公司", "廣州某某有限公司",
                 "某某(深圳)有限公司", "西安区某公司", "朝阳某公司"],
        "city": [None, None, None, None, None, "广州县", None]})
    got = locate_firms(firms)["prefecture"].tolist()
    assert pd.isna(got[0])              # an ambiguous district stays unresolved, never 朝阳市
    assert got[1:5] == ["110100", "440100", "440100", "440300"]
    assert pd.isna(got[5])              # 广州县 in the city field: unresolved; name ambiguous
    assert got[6] == "211300"


def test_distances_cli_district_is_an_error_not_a_prefecture(run_cli, tmp_path):
    res = run_cli("distances", "--origins", "朝阳区", "--destinations", "广州",
                  "--out", tmp_path / "d.csv")
    one_line_error(res, "--origins", "110105", "220104")
    assert not (tmp_path / "d.csv").exists()


def test_network_nodes_ambiguous_district(run_cli, tmp_path):
    f = tmp_path / "f.csv"
    f.write_text("origin,destination,year,count\n440100,440300,2000,1\n", encoding="utf-8")
    res = run_cli("network", f, "--nodes", "广州,深圳,西安区", "--out", tmp_path / "o.csv")
    one_line_error(res, "--nodes", "220403", "231005")


def test_parks_table_with_a_district_names_file_column_row(run_cli, tmp_path):
    parks = tmp_path / "parks.csv"
    parks.write_text("helper,recipient,park,first_year\n广州,梅州,a,2006\n深圳,朝阳区,b,2008\n",
                     encoding="utf-8")
    flows = tmp_path / "flows.csv"
    flows.write_text("origin,destination,year,count\n440100,441400,2006,1\n", encoding="utf-8")
    res = run_cli("panel", flows, "--parks", parks, "--distances", "none",
                  "--out", tmp_path / "p.csv")
    one_line_error(res, "parks.csv", "column 'recipient'", "row 2", "110105")


def test_optimize_nonexistent_helper_suggests(run_cli, tmp_path):
    res = run_cli("optimize", "--helpers", "广州县", "--recipients", "EWN", "--effect", "1,-0.01",
                  "--out", tmp_path / "o.csv")
    one_line_error(res, "--helpers", "广州县", "440100")


def test_traditional_names_in_a_study_file(tmp_path):
    from pairnet.study import parse_study

    cfg = parse_study({"study": [{"key": "g", "helpers": "廣州,深圳", "recipients": "梅州",
                                  "analyses": ["distances"]}]}, base=tmp_path)
    assert resolve_cities(cfg.studies[0].helpers) == ["440100", "440300"]


def test_study_file_with_a_district_exits_2(run_cli, tmp_path):
    study = tmp_path / "s.toml"
    study.write_text(textwrap.dedent("""
        [[study]]
        key = "g"
        helpers = "朝阳区"
        recipients = "EWN"
        analyses = ["distances"]
        """), encoding="utf-8")
    res = run_cli("report", study, "--out", tmp_path / "out", "--no-progress", "--strict")
    one_line_error(res, "朝阳区", "110105")


# ----------------------------------------------------------------------------- 2. not numbers
FLOWS_HEAD = "origin,destination,year,count\n"


@pytest.mark.parametrize("rows, words", [
    ("01,02,2000,inf\n01,03,2000,1\n", ["count", "row 1", "non-finite"]),
    ("01,02,2000,1\n01,03,2000,-inf\n", ["count", "row 2", "non-finite"]),
    ("01,02,2000,NaN\n", ["count", "row 1", "'NaN'"]),
    ("01,02,2000,-2\n", ["count", "row 1", "negative"]),
    ("01,02,2000.5,1\n", ["year", "row 1", "non-integer"]),
    ("01,02,inf,1\n", ["year", "row 1", "non-finite"]),
    ("01,02,,1\n", ["year", "row 1", "missing"]),
    ("01,02,2000,1e999\n", ["count", "non-finite"]),
    ("01,02,2000,1\n01,02,2000,2\n", ["duplicate", "rows 1, 2"]),
])
def test_network_flows_that_are_not_numbers(run_cli, tmp_path, rows, words):
    f = tmp_path / "flows.csv"
    f.write_text(FLOWS_HEAD + rows, encoding="utf-8")
    res = run_cli("network", f, "--out", tmp_path / "o.csv")
    one_line_error(res, "flows.csv", *words)
    assert not (tmp_path / "o.csv").exists()


def test_parquet_infinity_and_nan_in_a_required_number(run_cli, tmp_path):
    f = tmp_path / "flows.parquet"
    pd.DataFrame({"origin": ["01", "01"], "destination": ["02", "03"], "year": [2000, 2000],
                  "count": [1.0, np.inf]}).to_parquet(f)
    one_line_error(run_cli("network", f, "--out", tmp_path / "o.csv"), "count", "row 2")
    pd.DataFrame({"origin": ["01"], "destination": ["02"], "year": [2000],
                  "count": [np.nan]}).to_parquet(f)
    one_line_error(run_cli("network", f, "--out", tmp_path / "o.csv"), "count", "missing")


@pytest.fixture
def panel_files(tmp_path):
    flows = tmp_path / "flows.csv"
    flows.write_text(FLOWS_HEAD + "".join(
        f"{o},{d},{y},{(y - 2000) % 3}\n" for o in ("440100", "440300")
        for d in ("441400", "441500") for y in range(2000, 2010)), encoding="utf-8")
    parks = tmp_path / "parks.csv"
    parks.write_text("helper,recipient,park,first_year\n广州,梅州,a,2005\n", encoding="utf-8")
    controls = tmp_path / "controls.csv"
    controls.write_text("city,year,freight\n" + "".join(
        f"{c},{y},{y - 1990}\n" for c in ("441400", "441500") for y in range(2000, 2010)),
        encoding="utf-8")
    return tmp_path, flows, parks, controls


@pytest.mark.parametrize("which, text, words", [
    ("parks", "helper,recipient,park,first_year\n广州,梅州,a,2005.5\n",
     ["parks.csv", "first_year", "row 1", "non-integer"]),
    ("parks", "helper,recipient,park,first_year\n广州,梅州,a,inf\n",
     ["parks.csv", "first_year", "non-finite"]),
    ("parks", "helper,recipient,park,first_year\n广州,梅州,a,\n",
     ["parks.csv", "first_year", "missing"]),
    ("controls", "city,year,freight\n441400,2000,abc\n441500,2000,1\n",
     ["controls.csv", "freight", "row 1", "non-numeric"]),
    ("controls", "city,year,freight\n441400,2000,inf\n",
     ["controls.csv", "freight", "non-finite"]),
    ("controls", "city,year,freight\n441400,2000.5,1\n",
     ["controls.csv", "year", "non-integer"]),
    ("controls", "city,year,freight\n梅洲,2000,1\n",
     ["controls.csv", "city", "441400"]),
    ("flows", FLOWS_HEAD + "440100,441400,2000,-1\n", ["flows.csv", "count", "negative"]),
    ("flows", FLOWS_HEAD + "440100,441400,2000,inf\n", ["flows.csv", "count", "non-finite"]),
])
def test_panel_inputs_that_are_not_numbers(run_cli, panel_files, which, text, words):
    tmp, flows, parks, controls = panel_files
    {"parks": parks, "controls": controls, "flows": flows}[which].write_text(text,
                                                                             encoding="utf-8")
    res = run_cli("panel", flows, "--parks", parks, "--controls", controls,
                  "--distances", "none", "--out", tmp / "p.csv")
    one_line_error(res, *words)
    assert not (tmp / "p.csv").exists()


@pytest.mark.parametrize("cell, words", [("inf", ["non-finite"]), ("-3", ["negative"]),
                                         ("", ["missing"]), ("far", ["non-numeric"])])
def test_distances_file_that_is_not_numbers(run_cli, panel_files, cell, words):
    tmp, flows, parks, _ = panel_files
    dist = tmp / "dist.csv"
    dist.write_text("origin,destination,border_km\n440100,441400,10\n440100,441500,"
                    f"{cell}\n440300,441400,5\n440300,441500,7\n", encoding="utf-8")
    res = run_cli("panel", flows, "--parks", parks, "--distances", dist, "--out", tmp / "p.csv")
    one_line_error(res, "dist.csv", "border_km", "row 2", *words)
    res = run_cli("optimize", "--helpers", "广州,深圳", "--recipients", "梅州,汕尾",
                  "--distances", dist, "--effect", "1,-0.01", "--capacity", "1",
                  "--out", tmp / "o.csv")
    one_line_error(res, "dist.csv", "border_km", *words)


@pytest.mark.parametrize("effect", ["inf,0", "1,nan", "-inf,-0.1", "nan,nan", "1e999,0"])
def test_optimizer_effect_must_be_finite(run_cli, tmp_path, effect):
    res = run_cli("optimize", "--helpers", "PRD", "--recipients", "EWN", "--effect", effect,
                  "--out", tmp_path / "o.csv")
    one_line_error(res, "not a finite number", "Fix:")
    assert not (tmp_path / "o.csv").exists()


def test_optimizer_from_results_with_null_coefficients(run_cli, tmp_path):
    run = tmp_path / "did"
    run.mkdir()
    (run / "results.json").write_text(json.dumps({"distance": {"by_column": {"border_km": {
        "controls": {"b0": None, "b1": -0.01, "vcov": None}}}}}), encoding="utf-8")
    res = run_cli("optimize", "--helpers", "PRD", "--recipients", "EWN", "--from-results", run,
                  "--out", tmp_path / "o.csv")
    one_line_error(res, "results.json", "b0", "not a number")


def test_optimizer_duplicated_distance_pairs(run_cli, tmp_path):
    dist = tmp_path / "dist.csv"
    dist.write_text("origin,destination,border_km\n440100,441400,10\n440100,441400,11\n"
                    "440300,441400,5\n", encoding="utf-8")
    res = run_cli("optimize", "--helpers", "广州,深圳", "--recipients", "梅州", "--distances", dist,
                  "--effect", "1,-0.01", "--out", tmp_path / "o.csv")
    one_line_error(res, "dist.csv", "duplicate distance pair", "rows 1, 2")


def test_optimize_pairing_api_refuses_bad_tables():
    from pairnet.analyses.optimize import EffectModel, optimize_pairing

    model = EffectModel(1.0, -0.01)
    dup = pd.DataFrame({"helper": ["a", "a"], "recipient": ["x", "x"], "distance_km": [1, 2]})
    with pytest.raises(InputError, match="duplicate"):
        optimize_pairing(dup, model, capacity=1, draws=0)
    inf = pd.DataFrame({"helper": ["a"], "recipient": ["x"], "distance_km": [np.inf]})
    with pytest.raises(InputError, match="non-finite"):
        optimize_pairing(inf, model, capacity=1, draws=0)
    with pytest.raises(InputError, match="finite"):
        EffectModel(1.0, -0.01, np.array([[1.0, 0.0], [0.0, np.nan]]))


@pytest.mark.parametrize("verb", ["did", "citypanel"])
def test_estimation_inputs_with_infinity(run_cli, tmp_path, verb):
    f = tmp_path / "panel.csv"
    rows = [f"u{u},{y},{2005 if u < 3 else 0},{u + y % 4}" for u in range(6)
            for y in range(2000, 2010)]
    rows[7] = rows[7].rsplit(",", 1)[0] + ",inf"
    f.write_text("unit,year,cohort,y\n" + "\n".join(rows) + "\n", encoding="utf-8")
    args = (["did", f, "--unit", "unit", "--time", "year", "--cohort", "cohort", "--y", "y",
             "--placebo", "0"] if verb == "did" else
            ["citypanel", f, "--entity", "unit", "--time", "year", "--y", "y", "--x", "cohort"])
    one_line_error(run_cli(*args, "--out", tmp_path / "out"), "panel.csv", "column 'y'",
                   "row 8", "non-finite")
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- 3. paths
@pytest.mark.parametrize("key", ["../escape", "/abs/path", "a/b", "..", ".hidden", "x y",
                                 "a\\b", ""])
def test_study_key_cannot_leave_out(run_cli, tmp_path, key):
    study = tmp_path / "s.toml"
    study.write_text(f'[[study]]\nkey = {json.dumps(key)}\nanalyses = ["distances"]\n',
                     encoding="utf-8")
    res = run_cli("report", study, "--out", tmp_path / "out", "--no-progress")
    one_line_error(res, "s.toml", "key", "Fix:")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


@pytest.mark.parametrize("name", ["../evil", "/tmp/evil", "a/b", "..", "", "x\\y"])
def test_output_names_cannot_leave_the_folder(tmp_path, name):
    from pairnet.core.outputs import write_outputs
    from pairnet.core.results import Table

    with pytest.raises(InputError, match="not a plain file name"):
        write_outputs(tmp_path / "step", tables={name: Table(pd.DataFrame({"x": [1]}), "T")})
    with pytest.raises(InputError, match="not a plain file name"):
        write_outputs(tmp_path / "step", files={name: pd.DataFrame({"x": [1]})})
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- 4. outputs
def _step(tmp_path, **kw):
    from pairnet.core.outputs import write_outputs
    from pairnet.core.results import Table

    return write_outputs(tmp_path, **{"results": {"v": 1}, "tables": {
        "t": Table(pd.DataFrame({"x": [1]}), "T")}, **kw})


def test_a_failed_write_leaves_the_old_folder_as_it_was(tmp_path):
    from pairnet.core.results import Figure

    out = tmp_path / "step"
    _step(out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (out / "mine.txt").write_text("a user's file")

    def broken(lang):
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        _step(out, results={"v": 2}, figures={"f": Figure(broken, "F")})
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after.pop(next(p for p in after if p.name == "mine.txt")) == b"a user's file"
    assert after == before
    assert [p.name for p in tmp_path.iterdir()] == ["step"]  # no temporary folder left


def test_ctrl_c_during_a_write_says_what_was_kept(tmp_path):
    from pairnet.core.outputs import Interrupted
    from pairnet.core.results import Figure

    def interrupted(lang):
        raise KeyboardInterrupt

    out = tmp_path / "step"
    with pytest.raises(Interrupted, match="was not created"):
        _step(out, figures={"f": Figure(interrupted, "F")})
    assert not out.exists() and list(tmp_path.iterdir()) == []
    _step(out)
    with pytest.raises(Interrupted, match="left as it was"):
        _step(out, figures={"f": Figure(interrupted, "F")})
    assert json.loads((out / "results.json").read_text()) == {"v": 1}


def test_a_rewrite_replaces_stale_tables_but_keeps_other_files(tmp_path):
    from pairnet.core.results import Table

    out = tmp_path / "step"
    _step(out)
    (out / "notes.txt").write_text("mine")
    _step(out, tables={"u": Table(pd.DataFrame({"x": [2]}), "U")})
    assert sorted(p.name for p in (out / "tables").iterdir()) == ["u.csv", "u.docx", "u.html",
                                                                  "u.md", "u.tex"]
    assert (out / "notes.txt").read_text() == "mine"


def test_cli_ctrl_c_exits_130_with_one_line(run_cli, tmp_path, monkeypatch):
    import pairnet.network.pipeline as pipe

    def interrupt(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipe, "network_analysis", interrupt)
    f = tmp_path / "f.csv"
    f.write_text(FLOWS_HEAD + "01,02,2000,1\n", encoding="utf-8")
    (tmp_path / "o.csv").write_text("old")
    res = run_cli("network", f, "--out", tmp_path / "o.csv")
    assert res.code == 130
    assert res.stderr.strip().splitlines() == [
        "pairnet network: interrupted: no output was written (existing files were left as "
        "they were)"]
    assert (tmp_path / "o.csv").read_text() == "old"


def test_cli_unexpected_error_is_one_line_with_the_log(run_cli, tmp_path, monkeypatch):
    import pairnet.network.pipeline as pipe

    def bug(*a, **k):
        raise TypeError("unsupported operand\ntype(s)")

    monkeypatch.setattr(pipe, "network_analysis", bug)
    f = tmp_path / "f.csv"
    f.write_text(FLOWS_HEAD + "01,02,2000,1\n", encoding="utf-8")
    res = run_cli("network", f, "--out", tmp_path / "o.csv")
    assert res.code == 1 and "Traceback" not in res.stderr
    (line,) = res.stderr.strip().splitlines()
    assert "internal error: TypeError: unsupported operand type(s)" in line
    log = line.rsplit("traceback is in ", 1)[1].rstrip(")")
    assert "Traceback" in open(log, encoding="utf-8").read()


def _verbs(tmp_path, out):
    f = tmp_path / "f.csv"
    f.write_text(FLOWS_HEAD + "01,02,2000,1\n", encoding="utf-8")
    study = tmp_path / "s.toml"
    study.write_text('[[study]]\nkey = "g"\nanalyses = ["distances"]\n', encoding="utf-8")
    return {
        "demo": ["demo", "--out", out, "--no-progress"],
        "report": ["report", study, "--out", out, "--no-progress"],
        "distances": ["distances", "--origins", "广州", "--destinations", "深圳", "--out", out],
        "ingest": ["ingest", f, "--origins", "PRD", "--destinations", "EWN", "--out", out,
                   "--audit", tmp_path / "a.csv"],
        "ingest-audit": ["ingest", f, "--origins", "PRD", "--destinations", "EWN",
                         "--out", tmp_path / "p.csv", "--audit", out],
        "network": ["network", f, "--out", out],
        "network-fig": ["network", f, "--out", tmp_path / "n.csv", "--fig-dir", out],
        "panel": ["panel", f, "--parks", "builtin", "--out", out],
        "did": ["did", f, "--unit", "origin", "--time", "year", "--cohort", "year", "--y",
                "count", "--out", out],
        "citypanel": ["citypanel", f, "--y", "count", "--x", "year", "--out", out],
        "land": ["land", f, "--out", out],
        "optimize": ["optimize", "--helpers", "PRD", "--recipients", "EWN", "--effect", "1,0",
                     "--out", out],
        "optimize-fig": ["optimize", "--helpers", "PRD", "--recipients", "EWN", "--effect",
                         "1,0", "--out", tmp_path / "o.csv", "--fig-dir", out],
    }


@pytest.mark.parametrize("case", ["demo", "report", "distances", "ingest", "ingest-audit",
                                  "network", "network-fig", "panel", "did", "citypanel", "land",
                                  "optimize", "optimize-fig"])
@pytest.mark.parametrize("where", ["under_a_file", "a_file_or_folder"])
def test_every_verb_refuses_a_bad_out_before_any_work(run_cli, tmp_path, case, where):
    blocker = tmp_path / "blocker.txt"
    blocker.write_text("x")
    folder_out = case in ("demo", "report", "did", "citypanel", "land", "network-fig",
                          "optimize-fig")
    if where == "under_a_file":
        out = blocker / "out.csv"
    elif folder_out:
        out = blocker
    else:
        out = tmp_path / "adir"
        out.mkdir()
    res = run_cli(*_verbs(tmp_path, out)[case])
    one_line_error(res, "Fix:")
    assert blocker.read_text() == "x"


def test_report_interrupted_by_sigint_keeps_the_old_report(tmp_path):
    """A real Ctrl-C in a subprocess: exit 130, one line, the old report untouched.

    The run is held inside its staged block (the report writer waits for the signal after it
    has announced itself), so the interrupt always lands mid-write: the test cannot pass by
    the run finishing first.
    """
    import os
    import signal
    import subprocess
    import sys
    import time

    study = tmp_path / "s.toml"
    study.write_text('[[study]]\nkey = "g"\nhelpers = "PRD"\nrecipients = "EWN"\n'
                     'analyses = ["distances"]\n', encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("OLD REPORT")
    (out / "results.json").write_text("{}")
    started = tmp_path / "writing"
    hold = ("import sys, time, pathlib\n"
            "import pairnet.maps.report as report\n"
            "from pairnet.cli import main\n"
            "def held(*args, **kwargs):\n"
            f"    pathlib.Path({str(started)!r}).write_text('x')\n"
            "    time.sleep(300)\n"
            "report.write_study_report = held\n"
            "main(sys.argv[1:])\n")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-c", hold, "report", str(study),
                             "--out", str(out), "--no-progress"], stderr=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=env, text=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not started.exists() and proc.poll() is None:
        time.sleep(0.05)
    assert started.exists(), proc.communicate(timeout=60)[1]
    assert list(tmp_path.glob(".out.pairnet-tmp-*"))  # the staged folder is being written
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == (f"pairnet report: interrupted: nothing was "
                                            f"written; {out} was left as it was")
    assert "Traceback" not in err
    assert (out / "report.html").read_text() == "OLD REPORT"
    assert (out / "results.json").read_text() == "{}"
    assert not list(tmp_path.glob(".out.pairnet-tmp-*"))


# ----------------------------------------------------------------------------- 5. no tracebacks
@pytest.mark.parametrize("verb", ["network", "did", "citypanel", "panel", "land", "ingest"])
def test_a_folder_given_as_the_input_file(run_cli, tmp_path, verb):
    folder = tmp_path / "data.csv"
    folder.mkdir()
    (folder / "x.txt").write_text("not a table")
    args = {"network": ["network", folder, "--out", tmp_path / "o.csv"],
            "did": ["did", folder, "--unit", "u", "--time", "t", "--cohort", "c", "--y", "y",
                    "--out", tmp_path / "o"],
            "citypanel": ["citypanel", folder, "--y", "y", "--x", "x", "--out", tmp_path / "o"],
            "panel": ["panel", folder, "--parks", "builtin", "--out", tmp_path / "o.csv"],
            "land": ["land", folder, "--out", tmp_path / "o"],
            "ingest": ["ingest", folder, "--origins", "PRD", "--destinations", "EWN",
                       "--out", tmp_path / "o.csv", "--audit", tmp_path / "a.csv"]}[verb]
    one_line_error(run_cli(*args), "data.csv", "Fix:")


def test_a_partitioned_parquet_folder_is_read(run_cli, tmp_path):
    folder = tmp_path / "flows.parquet"
    folder.mkdir()
    for y in (2000, 2001):
        pd.DataFrame({"origin": ["01"], "destination": ["02"], "year": [y],
                      "count": [1]}).to_parquet(folder / f"part-{y}.parquet")
    res = run_cli("network", folder, "--out", tmp_path / "o.csv")
    assert res.code == 0, res.stderr
    got = pd.read_csv(tmp_path / "o.csv")
    assert sorted(got["year"].unique().tolist()) == [2000, 2001]  # both partitions were read
    assert len(got) == 2 * 4  # 2 years x 4 thresholds


def test_fig_dir_naming_a_file(run_cli, tmp_path):
    f = tmp_path / "f.csv"
    f.write_text(FLOWS_HEAD + "01,02,2000,1\n", encoding="utf-8")
    res = run_cli("network", f, "--out", tmp_path / "o.csv", "--fig-dir", f)
    one_line_error(res, "--fig-dir", "is a file")
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("section, body, words", [
    ("did", 'placebo = "many"', ["placebo", "whole number"]),
    ("did", "placebo = 10.7", ["placebo", "whole number"]),
    ("did", "placebo = -3", ["placebo", "at least 0"]),
    ("optimize", "draws = -1", ["draws", "at least 0"]),
    ("optimize", 'capacity = "two"', ["capacity", "whole number"]),
    ("network", "thresholds = [1, \"x\"]", ["thresholds", "number"]),
    ("network", "thresholds = 3", ["thresholds", "list"]),
    ("did", "cs = 1", ["cs", "true or false"]),
    ("did", 'control_group = "sometimes"', ["control_group", "never"]),
    (None, 'seed = "abc"', ["seed", "whole number"]),
    (None, "seed = -1", ["seed", "at least 0"]),
    (None, "tolerance = nan", ["tolerance", "finite"]),
    (None, "years = [2018, 2000]", ["years", "backwards"]),
    (None, "helpers = 5", ["helpers", "string"]),
])
def test_wrong_toml_types_through_pairnet_report(run_cli, tmp_path, section, body, words):
    study = tmp_path / "s.toml"
    text = '[[study]]\nkey = "g"\nanalyses = ["distances"]\n'
    text += (f"{body}\n" if section is None else f"[study.{section}]\n{body}\n")
    study.write_text(text, encoding="utf-8")
    res = run_cli("report", study, "--out", tmp_path / "out", "--no-progress")
    one_line_error(res, "s.toml", *words)
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- 7. messages
def _flags_of(verb):
    from pairnet.cli import _flags

    return set(_flags(verb).values())


@pytest.mark.parametrize("verb", ["network", "did", "citypanel", "optimize"])
def test_hints_name_only_options_the_verb_has(run_cli, tmp_path, verb):
    import re

    f = tmp_path / "t.csv"
    f.write_text("a,b\n1,2\n", encoding="utf-8")
    args = {"network": ["network", f, "--out", tmp_path / "o.csv"],
            "did": ["did", f, "--unit", "u", "--time", "t", "--cohort", "c", "--y", "y",
                    "--out", tmp_path / "o"],
            "citypanel": ["citypanel", f, "--y", "y", "--x", "x", "--out", tmp_path / "o"],
            "optimize": ["optimize", "--helpers", "PRD", "--recipients", "EWN", "--effect",
                         "1,0", "--distances", f, "--out", tmp_path / "o.csv"]}[verb]
    line = one_line_error(run_cli(*args))
    named = set(re.findall(r"(--[a-z][a-z0-9-]*)", line))
    assert named <= _flags_of(verb), (named - _flags_of(verb), line)
    assert "`" not in line.split("Fix:")[-1], line


def test_columns_option_of_network_and_citypanel_renames(run_cli, tmp_path):
    f = tmp_path / "f.csv"
    f.write_text("从,到,年,数\n01,02,2000,1\n", encoding="utf-8")
    res = run_cli("network", f, "--columns", "从=origin,到=destination,年=year,数=count",
                  "--out", tmp_path / "o.csv")
    assert res.code == 0, res.stderr
    bad = run_cli("network", f, "--columns", "从origin", "--out", tmp_path / "o.csv")
    one_line_error(bad, "--columns", "Fix:")


def test_mixed_gbk_utf8_file_names_the_first_bad_line(run_cli, tmp_path):
    f = tmp_path / "flows.csv"
    f.write_bytes(("origin,destination,year,count,note\n"
                   "01,02,2000,1,广州\n01,03,2000,1,深圳\n").encode()
                  + "01,04,2000,1,梅州\n".encode("gbk"))
    line = one_line_error(run_cli("network", f, "--out", tmp_path / "o.csv"), "flows.csv",
                          "line 4", "line 2 is UTF-8")
    assert "offset" not in line


@pytest.mark.parametrize("ext", ["xlsx", "csv"])
def test_a_title_row_above_the_header_gets_header_row(run_cli, tmp_path, ext):
    f = tmp_path / f"flows.{ext}"
    rows = [["2000年投资统计", None, None, None], ["origin", "destination", "year", "count"],
            ["01", "02", 2000, 1]]
    if ext == "xlsx":
        pd.DataFrame(rows).to_excel(f, header=False, index=False)
    else:
        f.write_text("2000年投资统计\norigin,destination,year,count\n01,02,2000,1\n",
                     encoding="utf-8")
    one_line_error(run_cli("network", f, "--out", tmp_path / "o.csv"), "--header-row 2")
    ok = run_cli("network", f, "--header-row", "2", "--out", tmp_path / "o.csv")
    assert ok.code == 0, ok.stderr
    # a verb without --header-row is not told to use it
    line = one_line_error(run_cli("land", f, "--out", tmp_path / "land"))
    assert "--header-row" not in line and "`" not in line


def test_projected_boundaries_print_the_promised_warning(run_cli, tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    f = tmp_path / "b.gpkg"
    gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=[box(0, 0, 1000, 1000),
                                                   box(5000, 0, 6000, 1000)],
                     crs="EPSG:32650").to_file(f)
    res = run_cli("distances", "--origins", "a", "--destinations", "b", "--boundaries", f,
                  "--id-col", "id", "--out", tmp_path / "d.csv")
    assert res.code == 0, res.stderr
    assert "pairnet distances: warning:" in res.stderr and "projected CRS" in res.stderr
    assert "EPSG:32650" in res.stderr


def test_a_city_both_helper_and_recipient_is_said(run_cli, tmp_path):
    res = run_cli("optimize", "--helpers", "广州,深圳", "--recipients", "广州,梅州",
                  "--effect", "1,-0.001", "--out", tmp_path / "o.csv")
    assert res.code == 0, res.stderr
    assert "note: 440100 (广州市) is both helper and recipient" in res.stderr
    d = run_cli("distances", "--origins", "广州,深圳", "--destinations", "广州",
                "--out", tmp_path / "d.csv")
    assert d.code == 0 and "440100 is both origin and destination" in d.stderr


def test_study_step_errors_name_the_file(run_cli, tmp_path):
    flows = tmp_path / "flows.csv"
    flows.write_text(FLOWS_HEAD + "440100,441400,2005,-1\n", encoding="utf-8")
    study = tmp_path / "s.toml"
    study.write_text('[[study]]\nkey = "g"\nanalyses = ["network"]\n'
                     '[study.inputs]\nflows = "flows.csv"\n', encoding="utf-8")
    res = run_cli("report", study, "--out", tmp_path / "out", "--no-progress", "--strict")
    one_line_error(res, "flows.csv", "count", "negative")


# ----------------------------------------------------------------------------- 8. fonts
def test_exit_2_is_one_line_without_a_cjk_font(run_cli, tmp_path, monkeypatch):
    import pairnet.cli as cli

    monkeypatch.setattr(cli, "configure_matplotlib", lambda: None)
    res = run_cli("distances", "--origins", "广州县", "--destinations", "深圳",
                  "--out", tmp_path / "d.csv")
    one_line_error(res, "广州县")


def test_font_note_only_when_a_drawn_figure_missed_glyphs(run_cli, tmp_path, monkeypatch):
    import warnings

    import pairnet.cli as cli
    import pairnet.network.pipeline as pipe

    monkeypatch.setattr(cli, "configure_matplotlib", lambda: None)
    f = tmp_path / "f.csv"
    f.write_text(FLOWS_HEAD + "01,02,2000,1\n", encoding="utf-8")
    quiet = run_cli("network", f, "--out", tmp_path / "o.csv")
    assert quiet.code == 0 and "note:" not in quiet.stderr
    real = pipe.network_analysis

    def drawing(*a, **k):
        warnings.warn("Glyph 24191 (\\N{CJK UNIFIED IDEOGRAPH-5E7F}) missing from font(s) "
                      "DejaVu Sans.", UserWarning, stacklevel=1)
        return real(*a, **k)

    monkeypatch.setattr(pipe, "network_analysis", drawing)
    noted = run_cli("network", f, "--out", tmp_path / "o.csv")
    assert noted.code == 0
    assert noted.stderr.strip().splitlines() == [
        "pairnet network: note: no CJK font found, Chinese labels in the figures show as "
        "boxes (install fonts-noto-cjk)"]


def test_cjk_font_installed_after_the_cache_is_picked_up(monkeypatch):
    """A font file on disk that the cache lacks is added (and the cache saved)."""
    from matplotlib import font_manager

    import pairnet.cli as cli

    files = [f for f in font_manager.findSystemFonts()
             if any(k in f for k in cli._CJK_FILES)]
    if not files:
        pytest.skip("no CJK font file on this machine")
    fm = font_manager.fontManager
    kept = [f for f in fm.ttflist if not any(k in f.fname for k in cli._CJK_FILES)]
    monkeypatch.setattr(fm, "ttflist", kept)
    saved = []
    monkeypatch.setattr(font_manager, "json_dump", lambda m, p: saved.append(p))
    assert cli._cjk_font(font_manager) is None
    assert cli.configure_matplotlib() is not None
    assert saved
