"""City-panel models against R plm 2.6-2 on Grunfeld (values parsed from plm_reference.txt).

Conventions matched: ``se`` = plm conventional; ``se_cluster`` = plm
``vcovHC(type="HC1", cluster="group")`` (n/(n-k), no G/(G-1)); pFtest; phtest.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from pairnet.analyses.citypanel import fit_fe, fit_pooled, fit_re, mundlak_test, pftest, phtest

KW = {"entity": "firm", "time": "year", "y": "inv", "x": ["value", "capital"]}
RTOL_COEF, RTOL_SE = 1e-8, 1e-6


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^=====\s*(.+?)\s*=====\s*$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def _nums(section: str, key: str) -> list[float]:
    """The numbers right after ``key`` (e.g. 'coef:', 'df1,df2:') on the first line having it.

    Stops at the first token that is not a number (the next label on the same line).
    """
    for line in section.splitlines():
        stripped = line.strip()
        if stripped.startswith(key) or f"  {key}" in line:
            rest = stripped[stripped.index(key) + len(key):].split()
            out = []
            for tok in rest:
                try:
                    out.append(float(tok))
                except ValueError:
                    break
            if out:
                return out
    raise KeyError(key)


@pytest.fixture(scope="module")
def ref(reference_dir_module):
    text = (reference_dir_module / "panel" / "plm_reference.txt").read_text(encoding="utf-8")
    return _sections(text)


@pytest.fixture(scope="module")
def reference_dir_module():
    from pathlib import Path

    return Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def grunfeld(reference_dir_module):
    return pd.read_csv(reference_dir_module / "panel" / "grunfeld.csv")


@pytest.fixture(scope="module")
def fits(grunfeld):
    return {"pooled": fit_pooled(grunfeld, **KW), "fe": fit_fe(grunfeld, **KW),
            "tw": fit_fe(grunfeld, twoways=True, **KW), "re": fit_re(grunfeld, **KW)}


def test_reference_parsed(ref):
    assert "pooling (OLS)" in ref and "phtest(within individual, random swar)" in ref
    assert len(_nums(ref["pooling (OLS)"], "coef:")) == 3


@pytest.mark.parametrize("name,section", [
    ("pooled", "pooling (OLS)"),
    ("fe", "within individual (firm FE)"),
    ("tw", "within twoways (firm + year FE)"),
    ("re", "random individual, swar"),
])
def test_coefficients_and_conventional_se(fits, ref, name, section):
    fit = fits[name]
    np.testing.assert_allclose(fit.coef.to_numpy(), _nums(ref[section], "coef:"),
                               rtol=RTOL_COEF)
    np.testing.assert_allclose(fit.se.to_numpy(), _nums(ref[section], "se:"), rtol=RTOL_SE)
    assert fit.df_resid == int(re.search(r"df.residual:\s*(\d+)", ref[section]).group(1))


def test_re_variance_components(fits, ref):
    sec = ref["random individual, swar"]
    line = re.search(r"^sigma2 idios:.*$", sec, flags=re.M).group(0)
    vals = dict(re.findall(r"(sigma2 idios|sigma2 id|theta):\s*([-\d.e+]+)", line))
    np.testing.assert_allclose(fits["re"].extra["sigma2_idios"], float(vals["sigma2 idios"]),
                               rtol=1e-8)
    np.testing.assert_allclose(fits["re"].extra["sigma2_id"], float(vals["sigma2 id"]),
                               rtol=1e-8)
    theta = float(vals["theta"])  # balanced: one theta, the same for every firm
    np.testing.assert_allclose(fits["re"].extra["theta"].to_numpy(), theta, rtol=1e-8)
    assert len(fits["re"].extra["theta"]) == 10


@pytest.mark.parametrize("name,section", [
    ("fe", "coeftest(within, vcovHC(within, type='HC1', cluster='group'))"),
    ("tw", "coeftest(twoways, vcovHC(twoways, type='HC1', cluster='group'))"),
    ("pooled", "coeftest(pooling, vcovHC(pooling, type='HC1', cluster='group'))"),
])
def test_clustered_se_plm_hc1(fits, ref, name, section):
    np.testing.assert_allclose(fits[name].se_cluster.to_numpy(), _nums(ref[section], "se:"),
                               rtol=RTOL_SE)


def test_crv1_differs_from_plm_convention(fits):
    # pyfixest CRV1 carries G/(G-1) and (n-1)/(n-k): a few percent larger here, kept separately
    ratio = fits["fe"].se_crv1 / fits["fe"].se_cluster
    assert (ratio > 1.01).all()


@pytest.mark.parametrize("fe_key,section", [
    ("fe", "pFtest(within individual, pooling)"),
    ("tw", "pFtest(within twoways, pooling)"),
])
def test_pftest(fits, ref, fe_key, section):
    f = pftest(fits[fe_key], fits["pooled"])
    stat, df1, df2, p = (_nums(ref[section], "F:")[0], *_nums(ref[section], "df1,df2:")[:2],
                         _nums(ref[section], "p:")[0])
    np.testing.assert_allclose(f.stat, stat, rtol=1e-8)
    assert f.df == (int(df1), int(df2))
    np.testing.assert_allclose(f.p, p, rtol=1e-6)


def test_phtest(fits, ref):
    sec = ref["phtest(within individual, random swar)"]
    h = phtest(fits["fe"], fits["re"])
    np.testing.assert_allclose(h.stat, _nums(sec, "chisq:")[0], rtol=1e-6)
    assert h.df == int(_nums(sec, "df:")[0])
    np.testing.assert_allclose(h.p, _nums(sec, "p:")[0], rtol=1e-6)


def test_mundlak_equals_within_slopes(grunfeld):
    # balanced panel: slopes on x in the Mundlak regression equal the within estimates
    from pairnet.analyses.citypanel import fit_pooled as fp

    d = grunfeld.copy()
    for c in KW["x"]:
        d["m_" + c] = d.groupby("firm")[c].transform("mean")
    f = fp(d, entity="firm", time="year", y="inv", x=[*KW["x"], "m_value", "m_capital"])
    w = fit_fe(grunfeld, **KW)
    np.testing.assert_allclose(f.coef[KW["x"]].to_numpy(), w.coef.to_numpy(), rtol=1e-8)
    m = mundlak_test(grunfeld, **KW)
    assert m.df == 2 and 0 < m.p < 1


def test_cli_results_json_matches_plm(run_cli, reference_dir_module, ref, tmp_path):
    res = run_cli("citypanel", reference_dir_module / "panel" / "grunfeld.csv", "--entity",
                  "firm", "--time", "year", "--y", "inv", "--x", "value,capital",
                  "--out", tmp_path)
    assert res.code == 0, res.stderr
    d = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    within = ref["within individual (firm FE)"]
    np.testing.assert_allclose([d["fe"]["coef"]["value"], d["fe"]["coef"]["capital"]],
                               _nums(within, "coef:"), rtol=RTOL_COEF)
    np.testing.assert_allclose([d["re"]["se"]["const"], d["re"]["se"]["value"],
                                d["re"]["se"]["capital"]],
                               _nums(ref["random individual, swar"], "se:"), rtol=RTOL_SE)
    cl = ref["coeftest(within, vcovHC(within, type='HC1', cluster='group'))"]
    np.testing.assert_allclose([d["fe"]["se_cluster"]["value"], d["fe"]["se_cluster"]["capital"]],
                               _nums(cl, "se:"), rtol=RTOL_SE)
    fsec = ref["pFtest(within individual, pooling)"]
    np.testing.assert_allclose(d["f_test"]["stat"], _nums(fsec, "F:")[0], rtol=1e-8)
    assert [d["f_test"]["df1"], d["f_test"]["df2"]] == _nums(fsec, "df1,df2:")[:2]
    np.testing.assert_allclose(d["hausman"]["stat"],
                               _nums(ref["phtest(within individual, random swar)"],
                                     "chisq:")[0], rtol=1e-6)
    # F rejects pooled, Hausman does not reject RE at 5% -> RE
    assert d["chosen"] == "re"
    for ext in ("csv", "html", "md", "tex"):
        assert (tmp_path / "tables" / f"baseline.{ext}").exists()
