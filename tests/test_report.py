"""The HTML report, study files and the step pipeline (small inputs; the full demo is not run)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pairnet.core.outputs import write_outputs
from pairnet.core.results import Table

XSS = "<script>alert(1)</script>"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "guangdong_study.toml"


# ----------------------------------------------------------------------------- report
def _study_with_xss(tmp_path):
    from pairnet.maps.report import Section, Study, not_run, section_from_output

    step = write_outputs(tmp_path / "s1", results={"beta": 1.25},
                         tables={"t": Table(pd.DataFrame({"park": [XSS], "x": [1.5]}),
                                            f"Title {XSS}", note=f"note {XSS}")},
                         title="Step one")
    return Study("gd", f"Study {XSS}", [
        section_from_output(step, "s1", method=f"method {XSS}"),
        not_run("did", "DID", f"module {XSS} missing"),
        Section(key="x", title="Broken", status="failed", note="boom"),
    ], description=f"desc {XSS}")


def test_report_escapes_every_user_string_and_marks_steps(tmp_path):
    from pairnet.maps.report import external_references, write_study_report

    path = write_study_report([_study_with_xss(tmp_path)], tmp_path, title=f"T {XSS}", demo=True)
    html = path.read_text(encoding="utf-8")
    assert XSS not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 6
    assert "Not run: module &lt;script&gt;" in html
    assert 'data-status="failed"' in html and "Failed: boom" in html
    assert "seeded synthetic generators on real geography" in html
    assert external_references(html) == []


def test_results_json_merges_step_results_with_status(tmp_path):
    from pairnet.maps.report import write_study_report

    write_study_report([_study_with_xss(tmp_path)], tmp_path, extra_results={"demo": False})
    res = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert res["demo"] is False
    assert res["gd"]["s1"]["results"] == {"beta": 1.25}
    assert res["gd"]["did"]["status"] == "not run"
    assert res["gd"]["x"]["status"] == "failed"


def test_no_demo_banner_for_user_studies(tmp_path):
    from pairnet.maps.report import write_study_report

    html = write_study_report([_study_with_xss(tmp_path)], tmp_path, demo=False).read_text("utf-8")
    assert "pn-demo-banner" not in html


def test_leaflet_is_inlined_once_for_many_maps(tmp_path):
    from pairnet.maps.geometry import city_polygons
    from pairnet.maps.layers import pairing_map
    from pairnet.maps.report import MapFigure, Section, Study, write_study_report

    cities = city_polygons(["440100", "441400"])
    parks = pd.DataFrame({"helper": ["440100"], "recipient": ["441400"], "park": ["P"],
                          "first_year": [2006]})
    maps = [MapFigure(f"m{i}", pairing_map(cities, parks)) for i in range(3)]
    html = write_study_report([Study("s", "S", [Section("a", "A", maps=maps)])], tmp_path
                        ).read_text("utf-8")
    from pairnet.maps.assets import leaflet_css, leaflet_js

    assert html.count(leaflet_js()[:300]) == 1
    assert html.count(leaflet_css()[:300]) == 1
    assert html.count('class="pn-map-wrap"') == 3


# ----------------------------------------------------------------------------- study files
def _write(tmp_path, text):
    p = tmp_path / "study.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_example_study_file_parses():
    from pairnet.study import load_study

    cfg = load_study(EXAMPLE)
    gd, yrd = cfg.studies
    assert gd.kind == "pairing" and yrd.kind == "citypanel"
    assert gd.analyses == ("pairing", "distances", "network", "did", "optimize")
    assert gd.years == (2000, 2018)
    assert gd.network.thresholds == (1, 3, 5, 10)
    assert gd.did.placebo == 200 and gd.optimize.draws == 500 and gd.optimize.capacity == 2
    assert all(p.is_file() for p in gd.inputs.values())


@pytest.mark.parametrize(("text", "match"), [
    ('[[study]]\nkind = "pairing"\nanalyses = ["nope"]\n', "unknown analyses"),
    ('[[study]]\nkind = "pairing"\ncolour = 1\n', "unknown key"),
    ('[[study]]\nkind = "pairing"\nanalyses = ["pairing"]\n', "needs input parks"),
    ('[[study]]\nkind = "pairing"\nanalyses = ["pairing"]\n[study.inputs]\nparks = "x.csv"\n',
     "not found"),
    ('[[study]]\nkind = "maps"\n', "kind"),
    ('title = 1\n', "no \\[\\[study\\]\\]"),
    ('[[study\n', "not valid TOML"),
])
def test_bad_study_files_are_explained(tmp_path, text, match):
    from pairnet.core.errors import InputError
    from pairnet.study import load_study

    with pytest.raises(InputError, match=match):
        load_study(_write(tmp_path, text))


def test_report_cli_exits_2_on_a_bad_study(tmp_path, run_cli):
    p = _write(tmp_path, '[[study]]\nkind = "pairing"\nanalyses = ["nope"]\n')
    res = run_cli("report", p, "--out", tmp_path / "o", "--no-progress")
    assert res.code == 2
    assert "unknown analyses" in res.stderr and "study.toml" in res.stderr


# ----------------------------------------------------------------------------- pipeline
def test_pipeline_runs_steps_and_reports_missing_inputs(tmp_path, run_cli):
    codes = ["440100", "440300", "441400", "441500"]
    parks = pd.DataFrame({"helper": ["广州", "深圳"], "recipient": ["梅州", "汕尾"],
                          "park": [XSS, "深汕"], "first_year": [2006, 2011]})
    parks.to_csv(tmp_path / "parks.csv", index=False)
    flows = pd.DataFrame([(o, d, y, (y + i) % 6) for i, o in enumerate(codes) for d in codes
                          if o != d for y in range(2004, 2009)],
                         columns=["origin", "destination", "year", "count"])
    flows.to_csv(tmp_path / "flows.csv", index=False)
    p = _write(tmp_path, """
title = "Small"
[[study]]
key = "small"
kind = "pairing"
helpers = "广州,深圳"
recipients = "梅州,汕尾"
years = "2004-2008"
analyses = ["pairing", "network"]
[study.inputs]
parks = "parks.csv"
flows = "flows.csv"
[study.network]
thresholds = [1, 3]
""")
    res = run_cli("report", p, "--out", tmp_path / "out", "--no-progress", "--strict")
    assert res.code == 0, res.stderr
    html = (tmp_path / "out" / "report.html").read_text("utf-8")
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count('class="pn-map-wrap"') == 2  # pairing + flows
    merged = json.loads((tmp_path / "out" / "results.json").read_text("utf-8"))
    assert merged["small"]["pairing"]["status"] == "ok"
    assert merged["small"]["network"]["status"] == "ok"
    assert merged["small"]["network"]["results"]["thresholds"] == [1, 3]
    assert merged["small"]["data"]["results"]["n_parks"] == 2


def test_a_step_without_its_upstream_data_is_not_run(tmp_path):
    from pairnet.pipeline import STEPS, StepContext, _run_step
    from pairnet.study import StudyConfig

    st = StudyConfig(key="s", kind="pairing", title="S", analyses=("network",))
    ctx = StepContext(st, tmp_path, demo=False)
    step = next(s for s in STEPS if s.key == "network")
    sec = _run_step(step, ctx, strict=False, log=lambda m: None)
    assert sec.status == "not run" and "flows" in str(sec.note)


def test_a_step_with_missing_modules_is_not_run(tmp_path):
    from pairnet.pipeline import Step, StepContext, _run_step
    from pairnet.study import StudyConfig

    step = Step("x", "X", "pairing", ("pairnet_no_such_module",), lambda ctx: None)
    ctx = StepContext(StudyConfig(key="s", kind="pairing", title="S"), tmp_path, demo=False)
    sec = _run_step(step, ctx, strict=False, log=lambda m: None)
    assert sec.status == "not run" and "pairnet_no_such_module" in str(sec.note)


def test_every_registered_step_module_is_importable():
    from pairnet.pipeline import available_steps

    avail = available_steps()
    assert set(avail) == {"data", "distances", "network", "did", "pairing", "land", "optimize",
                          "citypanel"}
    assert all(avail.values()), avail


def test_citypanel_study_on_an_indicator_table(tmp_path, run_cli):
    import numpy as np

    from pairnet.spatial.cities import GROUPS

    rng = np.random.default_rng(1)
    cities = list(GROUPS["YRD"])[:12]
    rows = []
    for i, c in enumerate(cities):
        for yr in range(2010, 2016):
            x1, x2 = rng.normal(), rng.normal()
            rows.append((c, yr, x1, x2, 1.0 + 0.1 * i + 2.0 * x1 - x2 + rng.normal(0, 0.1)))
    pd.DataFrame(rows, columns=["city", "year", "mig", "inv", "gdp_pc"]).to_csv(
        tmp_path / "panel.csv", index=False)
    p = _write(tmp_path, """
[[study]]
key = "cp"
kind = "citypanel"
[study.inputs]
panel = "panel.csv"
[study.citypanel]
y = "gdp_pc"
x = ["mig", "inv"]
maps = ["gdp_pc"]
""")
    res = run_cli("report", p, "--out", tmp_path / "out", "--no-progress", "--strict")
    assert res.code == 0, res.stderr
    merged = json.loads((tmp_path / "out" / "results.json").read_text("utf-8"))
    fe = merged["cp"]["citypanel"]["results"]["fe"]["coef"]
    assert fe["mig"] == pytest.approx(2.0, abs=0.1)
    assert fe["inv"] == pytest.approx(-1.0, abs=0.1)
    html = (tmp_path / "out" / "report.html").read_text("utf-8")
    assert html.count('class="pn-map-wrap"') == 1


def test_figures_are_inlined_as_svg_or_png(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pairnet.core.results import Figure
    from pairnet.maps import report


    def folder(name):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        return write_outputs(tmp_path / name, figures={"f": Figure(fig, "A line")}, title=name)

    sec = report.section_from_output(folder("a"), "a")
    html = report.render_report([report.Study("s", "S", [sec])])
    assert "data:image/svg+xml;base64," in html and 'alt="A line"' in html
    monkeypatch.setattr(report, "MAX_SVG_BYTES", 10)
    html = report.render_report([report.Study("s", "S", [report.section_from_output(
        folder("b"), "b")])])
    assert "data:image/png;base64," in html and "data:image/svg+xml" not in html


def test_report_with_bad_input_exits_2_and_still_writes(tmp_path, run_cli):
    pd.DataFrame({"origin": ["440100"], "destination": ["441400"], "year": [2005],
                  "n": [3]}).to_csv(tmp_path / "flows.csv", index=False)
    pd.DataFrame({"helper": ["广州"], "recipient": ["梅州"], "park": ["P"],
                  "first_year": [2005]}).to_csv(tmp_path / "parks.csv", index=False)
    p = _write(tmp_path, """
[[study]]
key = "bad"
kind = "pairing"
helpers = "广州"
recipients = "梅州"
years = "2004-2006"
analyses = ["pairing", "network"]
[study.inputs]
parks = "parks.csv"
flows = "flows.csv"
""")
    res = run_cli("report", p, "--out", tmp_path / "out", "--no-progress")
    assert res.code == 2
    assert "bad/data" in res.stderr and "count" in res.stderr and "flows.csv" in res.stderr
    assert (tmp_path / "out" / "report.html").exists()


def test_builtin_parks_and_synthetic_banner(tmp_path):
    from pairnet.study import parse_study

    cfg = parse_study({"synthetic": True, "study": [{"key": "g", "kind": "pairing",
                                                     "analyses": ["pairing"],
                                                     "inputs": {"parks": "builtin"}}]},
                      base=tmp_path)
    assert cfg.banner and not cfg.demo
    assert cfg.studies[0].inputs["parks"].name == "guangdong_parks.csv"
    assert cfg.studies[0].inputs["parks"].exists()


# ----------------------------------------------------------------------------- table display
def test_tables_align_text_left_separate_thousands_and_fix_decimals(tmp_path):
    df = pd.DataFrame({"reason": ["non-manufacturing", "kept"], "rows": [132025, 5],
                       "year": [2014, 2016], "coef": [-0.0100, -0.00979],
                       "p": [0.5, float("nan")]})
    write_outputs(tmp_path, tables={"t": Table(df, "T")})
    html = (tmp_path / "tables" / "t.html").read_text("utf-8")
    # maketables / great_tables: the first column is the (left-aligned) row stub
    assert 'class="gt_row gt_left gt_stub">non-manufacturing</th>' in html
    assert 'class="gt_row gt_right">132,025</td>' in html
    assert ">2014<" in html and "2,014" not in html  # years keep no separator
    # one number of decimals per column: -0.0100 and -0.0098, not -0.01 next to -0.00979
    assert ">-0.0100<" in html and ">-0.0098<" in html and "0.00979" not in html
    md = (tmp_path / "tables" / "t.md").read_text("utf-8")
    assert "|:--" in md and "132,025" in md
    tex = (tmp_path / "tables" / "t.tex").read_text("utf-8")
    assert "\\begin{tabular}{@{}lrrrr}" in tex and "\\toprule\nreason & rows" in tex
    assert (tmp_path / "tables" / "t.docx").stat().st_size > 0
    # a text column holding only numbers (regression cells) is right-aligned
    from pairnet.core.outputs import _fmt


    frame = pd.DataFrame({"v": ["mig", ""], "FE": ["8.5009***", "(0.5375)"],
                          "city": ["440100", "012345"]})
    assert _fmt(frame, None)[1] == ["l", "r", "l"]  # adcodes are ids: left
    raw = pd.read_csv(tmp_path / "tables" / "t.csv")
    assert raw["rows"].tolist() == [132025, 5] and raw["coef"].tolist() == [-0.01, -0.00979]


def test_steps_declare_needs_and_gives_that_exist_and_come_from_earlier_steps():
    from pairnet.pipeline import ARTEFACTS, STEPS

    given: set[str] = set()
    for step in STEPS:
        for name in (*step.needs, *step.gives, *step.offers, *step.uses):
            assert name in ARTEFACTS, (step.key, name)
        if step.kind == "pairing":
            missing = set(step.needs) - given
            assert not missing, (step.key, missing)
            assert not step.needs or step.why, step.key
        given |= set(step.gives) | set(step.offers)


def test_study_sections_are_typed_and_validated_once(tmp_path):
    from pairnet.core.errors import InputError
    from pairnet.study import DIDSection, parse_study

    base = {"study": [{"key": "s", "kind": "pairing", "analyses": ["pairing"],
                       "inputs": {"parks": "builtin"}}]}
    cfg = parse_study(base, base=tmp_path)
    assert cfg.studies[0].did == DIDSection() and cfg.studies[0].network.thresholds == (
        1, 3, 5, 10)
    for section, value, words in [("did", {"placebo": "many"}, "whole number"),
                                  ("did", {"placebo": 10.7}, "whole number"),
                                  ("did", {"placebo": -1}, "at least 0"),
                                  ("did", {"control_group": "sometimes"}, "never"),
                                  ("network", {"thresholds": "a,b"}, "number"),
                                  ("optimize", {"draws": -1}, "at least 0"),
                                  ("citypanel", {"twoways": "yes"}, "true or false"),
                                  ("land", {"years": [2011]}, "2 values")]:
        bad = {"study": [{**base["study"][0], section: value}]}
        with pytest.raises(InputError, match=words) as e:
            parse_study(bad, base=tmp_path)
        assert f"[study.{section}]" in str(e.value)
    for key, value in [("seed", "abc"), ("tolerance", "fine"), ("basemap", "google")]:
        with pytest.raises(InputError):
            parse_study({"study": [{**base["study"][0], key: value}]}, base=tmp_path)


def test_network_hubs_shown_as_short_names():
    from pairnet.network.pipeline import named_hubs

    m = pd.DataFrame({"top_out_hubs": ["440300 (120); 440100 (95); 441900 (3); 440600 (1)",
                                       ""],
                      "top_in_hubs": ["a (4)", None]})
    out = named_hubs(m)
    assert out["top_out_hubs"].tolist() == ["深圳 120; 广州 95; 东莞 3", ""]
    assert out["top_in_hubs"].tolist() == ["a 4", ""]


def test_citypanel_glossary_first_and_coefficient_plot_labelled(tmp_path):
    import numpy as np

    from pairnet.analyses.citypanel import YRD_GLOSSARY, citypanel_suite
    from pairnet.core.outputs import write_result

    rng = np.random.default_rng(0)
    n, t = 12, 6
    df = pd.DataFrame({"city": np.repeat([f"{i:02d}" for i in range(n)], t),
                       "year": np.tile(np.arange(2005, 2005 + t), n)})
    df["mig"] = rng.normal(size=len(df))
    df["inc"] = rng.normal(scale=100.0, size=len(df))
    df["gdp_pc"] = 2.0 * df["mig"] + 0.01 * df["inc"] + rng.normal(size=len(df))
    write_result(citypanel_suite(df, entity="city", time="year", y="gdp_pc", x=["mig", "inc"],
                                 glossary=YRD_GLOSSARY, y_label="gdp_pc (10k yuan)"), tmp_path)
    idx = json.loads((tmp_path / "outputs.json").read_text("utf-8"))
    assert idx["tables"][0]["name"] == "glossary"
    assert "inc 10,000 yuan" in idx["tables"][1]["note"]  # descriptives note carries the units
    assert "Pooled (ME) = pooled OLS" in idx["tables"][2]["note"]
    fig = next(f for f in idx["figures"] if f["name"] == "baseline_fe")
    assert "one-standard-deviation" in fig["note"]
    assert set(YRD_GLOSSARY["code"]) >= {"str", "cos", "tec", "inc", "inv", "gov", "tra",
                                         "fdi", "urb", "hukou", "mig", "gdp_pc"}


def test_unknown_key_in_a_study_section_is_an_error(tmp_path):
    from pairnet.core.errors import InputError
    from pairnet.study import parse_study

    with pytest.raises(InputError, match=r"\[study.did\].*placebos.*use only.*placebo"):
        parse_study({"study": [{"key": "g", "kind": "pairing", "analyses": ["pairing"],
                                "inputs": {"parks": "builtin"}, "did": {"placebos": 10}}]},
                    base=tmp_path)
