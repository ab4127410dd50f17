"""``[study.did]`` keys of issue 13 (cluster, wild bootstrap, event-study window) and the
pipeline's DID step passing them to the suite, with Table 5 on its own panel."""

from __future__ import annotations

import pytest

from pairnet.analyses.did_suite import DIDOptions
from pairnet.core.errors import InputError
from pairnet.study import DIDSection, parse_study

BASE = {"key": "s", "kind": "pairing", "analyses": ["pairing"], "inputs": {"parks": "builtin"}}


def _did(tmp_path, **did):
    return parse_study({"study": [{**BASE, "did": did}]}, base=tmp_path).studies[0].did


def test_defaults_are_the_suites(tmp_path):
    d = _did(tmp_path)
    o = DIDOptions()
    assert d == DIDSection()
    assert (d.cluster, d.wild_draws, d.wild_weights, d.leads, d.lags, d.ends) == (
        "", o.wild_draws, o.wild_weights, o.leads, o.lags, o.ends)


def test_keys_are_read(tmp_path):
    d = _did(tmp_path, cluster="origin", wild_draws=0, wild_weights="webb", leads=3, lags=6,
             ends="trim")
    assert (d.cluster, d.wild_draws, d.wild_weights, d.leads, d.lags, d.ends) == (
        "origin", 0, "webb", 3, 6, "trim")


def test_diagnostics_keys_are_read(tmp_path):
    d = _did(tmp_path, diagnostics=["bacon", "honest"], honest_mbar=[0, 1], honest_m=[0.02])
    assert (d.diagnostics, d.honest_mbar, d.honest_m) == (("bacon", "honest"), (0.0, 1.0), (0.02,))
    assert _did(tmp_path, diagnostics=[]).diagnostics == ()
    assert _did(tmp_path).diagnostics == tuple(DIDOptions().diagnostics)


def test_citypanel_wild_keys_reach_the_suite(monkeypatch, tmp_path):
    import pandas as pd

    from pairnet import pipeline
    from pairnet.analyses import citypanel as cp
    from pairnet.study import CityPanelSection, StudyConfig

    seen = {}

    def fake(raw, **kw):
        seen.update(kw)
        raise pipeline.NotRun("stop here")

    monkeypatch.setattr(cp, "citypanel_suite", fake)
    path = tmp_path / "ind.csv"
    pd.DataFrame({"city": ["310000"] * 3, "year": [2001, 2002, 2003], "y": [1.0, 2, 3],
                  "x": [0.5, 0.1, 0.2]}).to_csv(path, index=False)
    st = StudyConfig(key="y", kind="citypanel", title="t", seed=7, inputs={"panel": path},
                     citypanel=CityPanelSection(y="y", x=("x",), wild_draws=199,
                                                wild_weights="webb"))
    with pytest.raises(pipeline.NotRun):
        pipeline._step_citypanel(pipeline.StepContext(st, tmp_path, demo=False))
    assert (seen["wild_draws"], seen["wild_weights"], seen["seed"]) == (199, "webb", 7)
    with pytest.raises(InputError, match="at least 0"):
        parse_study({"study": [{"key": "y", "kind": "citypanel", "inputs": {"panel": str(path)},
                                "citypanel": {"wild_draws": -1}}]}, base=tmp_path)


@pytest.mark.parametrize("did, words", [
    ({"ends": "bins"}, "bin"),
    ({"wild_weights": "normal"}, "rademacher"),
    ({"leads": 0}, "at least 1"),
    ({"leads": -3}, "at least 1"),
    ({"lags": -1}, "at least 0"),
    ({"wild_draws": -1}, "at least 0"),
    ({"cluster": 3}, "str"),
    ({"honest_mbar": "big"}, "honest_mbar"),
])
def test_bad_values_are_input_errors_naming_the_section(tmp_path, did, words):
    with pytest.raises(InputError, match=words) as e:
        _did(tmp_path, **did)
    assert "[study.did]" in str(e.value)


def test_the_did_step_passes_the_keys_and_table5_panel(monkeypatch, tmp_path):
    # the step hands the study's keys to did_suite and Table 5 its own panel
    import pandas as pd

    from pairnet import pipeline
    from pairnet.analyses import did_suite as suite_mod
    from pairnet.study import StudyConfig

    seen = {}

    def fake(panel, **kw):
        seen.update(kw, panel=panel)
        raise pipeline.NotRun("stop here")

    monkeypatch.setattr(suite_mod, "did_suite", fake)
    st = StudyConfig(key="g", kind="pairing", title="t",
                     did=DIDSection(cluster="origin", wild_draws=99, leads=2, lags=3,
                                    ends="trim"))
    ctx = pipeline.StepContext(st, tmp_path, demo=False)
    years = range(2004, 2008)
    ctx.art.flows = pd.DataFrame({"origin": "440100", "destination": "441400", "year": years,
                                  "count": [0, 1, 2, 3]})
    ctx.art.parks = pd.DataFrame({"helper": ["440100"], "recipient": ["441400"],
                                  "park": ["A"], "first_year": [2006]})
    ctx.art.helpers, ctx.art.recipients = ["440100", "440300"], ["441400"]
    ctx.art.outcomes = pd.DataFrame({
        "origin": ["440100"] * 4 + ["440300"] * 4, "destination": "441400",
        "year": list(years) * 2, "count_all_industries": [1, 0, 2, 3, 0, 1, 0, 0],
        "count_branches": [0, 0, 1, 0, 0, 0, 0, 1]})
    with pytest.raises(pipeline.NotRun):
        pipeline._step_did(ctx)
    assert (seen["cluster"], seen["wild_draws"], seen["leads"], seen["lags"], seen["ends"]) == (
        "origin", 99, 2, 3, "trim")
    assert seen["extra_y"][:2] == ("count_all_industries", "count_branches")
    t5 = seen["table5_data"]
    assert t5["pair"].nunique() == 2 and len(t5) == 8       # its own sample, not the flows'
    assert seen["panel"]["pair"].nunique() == 1
    assert (t5["count"] == t5["count_all_industries"]).all()
