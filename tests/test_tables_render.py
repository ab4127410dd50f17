"""Tables by maketables: regression tables through its plug-in interface, every format, both
languages (hand-checkable numbers; no browser)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pairnet.core.i18n import Text, render
from pairnet.core.modeltable import STAR_LEGEND, ModelColumn, model_table
from pairnet.core.outputs import write_outputs
from pairnet.core.results import Table


def _col(b, se, p, terms=("treat",), **kw):
    return ModelColumn(pd.DataFrame({"estimate": b, "std_error": se, "p_value": p},
                                    index=list(terms)), **kw)


@pytest.fixture
def table2():
    ols = _col([1.7912], [0.2741], [0.0004], depvar="count", fixef=("unit", "time"),
               stats={"controls": False, "estimator": Text("OLS", "普通最小二乘"),
                      "se_type": "pair", "n_clusters": 88, "N": 1672, "r2": 0.3131},
               head=Text("OLS", "OLS"))
    pois = _col([1.135], [0.280], [0.06], depvar="count", fixef=("unit", "time"),
                stats={"controls": False, "estimator": Text("PPML (Poisson)", "PPML（泊松）"),
                       "se_type": "pair", "n_clusters": 86, "N": 1634, "p_wild": 0.0123},
                head="PPML")
    return model_table(
        [ols, pois], Text("Table 2. Effect", "表 2 效应"), Text("A note & 50%_x.", "注。"),
        fixef_labels={"unit": Text("pair fixed effects", "组合固定效应"),
                      "time": Text("year fixed effects", "年份固定效应")},
        rows={"se2": ["(0.3330)", ""]},
        row_labels={"se2": Text("SE two-way clustered", "双向聚类标准误")})


def test_model_table_rows_decimals_and_csv_layout(table2):
    f = table2.frame.set_index("variable")
    # columns numbered (the heads repeat no model name twice? here OLS and PPML differ)
    assert list(table2.frame.columns) == ["variable", "OLS", "PPML"]
    assert f.loc["treat", "OLS"] == "1.791***" and f.loc["treat SE", "OLS"] == "(0.274)"
    assert f.loc["treat", "PPML"] == "1.135*"  # p = 0.06
    assert f.loc["pair fixed effects", "OLS"] == "Yes"
    assert f.loc["Estimator", "PPML"] == "PPML (Poisson)"
    assert f.loc["Clusters", "OLS"] == "88" and f.loc["Observations", "OLS"] == "1,672"
    assert f.loc["Wild cluster bootstrap p", "PPML"] == "0.012"
    assert f.loc["Wild cluster bootstrap p", "OLS"] == ""  # where present only
    assert f.loc["R²", "OLS"] == "0.313" and f.loc["SE two-way clustered", "OLS"] == "(0.3330)"


def test_more_decimals_only_where_an_se_would_show_as_zero():
    t = model_table([_col([2.691, -0.0113], [0.778, 0.00031], [0.001, 0.001],
                          terms=("treat", "treat:border_km"), depvar="y")], "T")
    f = t.frame.set_index("variable")
    assert f.loc["treat × border_km SE", "(1)"] == "(0.0003)"
    assert f.loc["treat", "(1)"] == "2.6910***"
    paper = model_table([_col([2.691, -0.011], [0.778, 0.003], [0.001, 0.001],
                              terms=("treat", "treat:border_km"), depvar="y")], "T")
    assert paper.frame.set_index("variable").loc["treat × border_km", "(1)"] == "-0.011***"


def test_every_format_has_the_note_and_star_legend_in_both_languages(tmp_path, table2):
    for lang in ("en", "zh"):
        out = write_outputs(tmp_path / lang, tables={"t2": table2}, lang=lang)
        d = out.folder / "tables"
        legend = STAR_LEGEND(lang)
        tex = (d / "t2.tex").read_text("utf-8")
        md = (d / "t2.md").read_text("utf-8")
        html = (d / "t2.html").read_text("utf-8")
        from docx import Document

        doc = Document(str(d / "t2.docx"))
        words = " ".join(c.text for r in doc.tables[0].rows for c in r.cells)
        for text in (tex, md, html, words):
            assert legend.split(";")[0].split("；")[0] in text.replace("&lt;", "<")
        if lang == "en":
            # LaTeX escaping of the note; booktabs and the threeparttable note
            assert r"A note \& 50\%\_x." in tex and r"\toprule" in tex
            assert "Observations" in md and "1,672" in md and "PPML (Poisson)" in words
        else:
            assert "观测值" in md and "组合固定效应" in html and "是" in words
            assert "PPML（泊松）" in md
        assert render(table2.title, lang) in tex


def test_docx_is_reproducible(tmp_path, table2):
    a = write_outputs(tmp_path / "a", tables={"t": table2}).folder / "tables" / "t.docx"
    b = write_outputs(tmp_path / "b", tables={"t": table2}).folder / "tables" / "t.docx"
    assert a.read_bytes() == b.read_bytes()


def test_plain_table_decimals_per_statistic_labels_and_text_cells(tmp_path):
    df = pd.DataFrame({"variable": ["count", "freight"], "control_obs": [1505, 1362],
                       "control_mean": [0.5402, 7145.21],
                       # Text cells need an object column (pandas makes str cells plain str)
                       "kind": pd.Series([Text("a", "甲"), "b"], dtype=object)})
    tab = Table(df, Text("Table 1", "表 1"), decimals={"control_mean": 3})
    zh = write_outputs(tmp_path / "zh", tables={"t1": tab}, lang="zh")
    html = zh.html["t1"]
    assert ">0.540<" in html and ">7,145.210<" in html and ">1,505<" in html
    assert "控制组：均值" in html and ">甲<" in html  # column label and a Text cell
    en = (write_outputs(tmp_path / "en", tables={"t1": tab}).folder / "tables" / "t1.csv")
    raw = pd.read_csv(en)
    assert raw["control_mean"].tolist() == [0.5402, 7145.21] and raw["kind"][0] == "a"


def test_text_is_its_english_string():
    t = Text("Table 1", "表 1")
    assert t == "Table 1" and "Table" in t and t.startswith("Tab") and f"{t}" == "Table 1"
    assert render(t, "zh") == "表 1" and (t + ".")("zh") == "表 1." and ("x " + t).zh == "x 表 1"


def test_p_values_read_below_the_last_decimal_never_zero():
    from pairnet.core.modeltable import format_p

    assert [format_p(v) for v in (0.0, 0.0004, 0.0005, 0.01234, 1.0, float("nan"), None)] == \
        ["<0.001", "<0.001", "0.001", "0.012", "1.000", "", ""]
    coef = pd.DataFrame({"estimate": [1.0, 2.0], "std_error": [0.1, 0.2], "p_value": [0.0, 0.5],
                         "p_wild": [0.0001, float("nan")]}, index=["treat", "post"])
    t = model_table([ModelColumn(coef, "y", stats={"p_wild": 0.0002}), _col([1.0], [0.1], [0.2],
                                                                         depvar="y")], "T")
    f = t.frame.set_index("variable")
    assert f.loc["treat wild p", "(1)"] == "[<0.001]" and f.loc["treat wild p", "(2)"] == ""
    assert f.loc["post", "(1)"] == "2.000" and "post wild p" not in f.index  # no [-]
    assert f.loc["Wild cluster bootstrap p", "(1)"] == "<0.001"


def test_html_cells_break_between_words_only():
    from pairnet.core.outputs import table_html

    df = pd.DataFrame({"year": [2000], "top_out_hubs": ["Guangzhou 746; Zhongshan 715; Shenzhen 506"],
                       "n_clusters": [3], "city": ["东莞市"]})
    html = table_html(Table(df, "T"), "en")
    assert ">n_<wbr>clusters<" in html  # a header may break after "_" only
    assert "Guangzhou\u00a0746; Zhongshan\u00a0715;" in html  # a name and its number stay together
    assert "min-width: min(var(--pn-text-min, 14em), 14ch)" in html  # 42 ch in about 3 lines
    short = re.search(r'<td style="([^"]*)"[^>]*>东莞市<', html)
    assert short and short.group(1) == "white-space: nowrap !important"  # never 东莞 / 市
