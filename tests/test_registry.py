import re

import numpy as np
import pandas as pd
import pytest

from pairnet.core.errors import InputError, UnknownCityError
from pairnet.core.outputs import table_html
from pairnet.panels.registry import (
    AUDIT_ORDER,
    IngestResult,
    audit_display,
    ingest_registry,
    locate_firms,
    parse_column_map,
)
from pairnet.panels.uscc import make_codes

RNG = np.random.default_rng(11)
GZ_USCC = str(make_codes(np.array(["440106"]), RNG)[0])  # valid, 广州 天河区
SZ_BAD = str(make_codes(np.array(["440300"]), RNG, valid=False)[0])  # wrong check character


@pytest.mark.parametrize("city, uscc, name, want, rule", [
    ("440100", None, "某某有限公司", "440100", "city field"),
    ("440106", None, "某某有限公司", "440100", "city field"),  # county code -> prefecture
    ("440106.0", None, "某某有限公司", "440100", "city field"),  # from a spreadsheet
    ("广州市", None, "某某有限公司", "440100", "city field"),
    ("广州", None, "某某有限公司", "440100", "city field"),
    ("广东省广州市", None, "某某有限公司", "440100", "city field"),
    ("广东广州", None, "某某有限公司", "440100", "city field"),
    ("广州市", None, "深圳市某某有限公司", "440100", "city field"),  # rule 1 before rule 3
    (None, GZ_USCC, "深圳市某某有限公司", "440100", "uscc"),  # rule 2 before rule 3
    ("广东省", GZ_USCC, "某某有限公司", "440100", "uscc"),  # province only: not a city
    (None, GZ_USCC.lower(), "某某有限公司", "440100", "uscc"),
    (None, SZ_BAD, "东莞某某有限公司", "441900", "name"),  # bad check digit: ignored
    (None, SZ_BAD, "某某有限公司", None, None),
    (None, None, "广州市某某有限公司", "440100", "name"),
    (None, None, "东莞某某有限公司", "441900", "name"),
    (None, None, "某某科技(深圳)有限公司", "440300", "name"),
    (None, None, "某某科技（深圳）有限公司", "440300", "name"),
    (None, None, "深圳市某某(广州)有限公司", "440300", "name"),  # leftmost wins
    (None, None, "广东省中山市某某有限公司", "442000", "name"),
    (None, None, "吉林省长春市某某有限公司", "220100", "name"),  # not 吉林市
    (None, None, "吉林市某某有限公司", "220200", "name"),
    (None, None, "某某有限公司", None, None),
    ("999999", None, "某某有限公司", None, None),
])
def test_attribution_rules(city, uscc, name, want, rule):
    got = locate_firms(pd.DataFrame({"name": [name], "city": [city], "uscc": [uscc]}))
    assert (None if pd.isna(got["prefecture"].iloc[0]) else got["prefecture"].iloc[0]) == want
    assert (None if pd.isna(got["rule"].iloc[0]) else got["rule"].iloc[0]) == rule


COLS = ["investor_name", "investor_type", "investor_city", "investor_uscc", "investee_name",
        "investee_city", "investee_uscc", "industry_code", "date", "kind"]


def rec(inv="广州市甲有限公司", typ="企业法人", inv_city=None, inv_uscc=None,
        ee="梅州乙有限公司", ee_city=None, ee_uscc=None, ind="C3511", date="2005-03-01",
        kind=None):
    return [inv, typ, inv_city, inv_uscc, ee, ee_city, ee_uscc, ind, date, kind]


def records():
    """Hand-made records; the comment says where each must end."""
    rows = [
        (rec(), "kept"),  # 广州->梅州 2005
        (rec(date="20050612"), "kept"),
        (rec(date="2005/6/1", ind="3511"), "kept"),
        (rec(date="2006-01-01 08:00:00", ind="C35"), "kept"),  # 2006
        (rec(inv="甲公司", inv_city="440300", date="2010.5.1", ind="35"), "kept"),  # 深圳->梅州
        (rec(ind="C"), "kept"),  # section letter alone
        (rec(ind="c13"), "kept"),  # lower case, first manufacturing division
        (rec(ind="C43"), "kept"),  # last manufacturing division
        (rec(date="2018-12-31"), "kept"),
        (rec(date="2010年5月1日"), "kept"),  # the date rule of panels/dates.py, as land
        (rec(date="38412"), "kept"),  # Excel serial day number: 2005-03-01
        (rec(date="38412.75"), "kept"),  # with a time of day
        (rec(date="1109635200"), "kept"),  # Unix seconds: 2005-03-01 UTC
        (rec(date="1230767999000"), "kept"),  # Unix milliseconds: 2008-12-31 23:59:59 UTC
        (rec(date="2005-03-01T08:00:00+08:00"), "kept"),
        (rec(date="2005-03-01 08:00:00.5"), "kept"),
        (rec(kind="shareholding"), "kept"),
        (rec(kind="股权", date="2007-01-01"), "kept"),
        (rec(kind="branch"), ("kind", "other kind")),
        (rec(kind="分支机构"), ("kind", "other kind")),
        (rec(kind="merger"), ("kind", "other kind")),
        (rec(inv="张三", typ="自然人"), ("investor", "natural person")),
        (rec(inv="李四", typ="Natural Person"), ("investor", "natural person")),
        (rec(typ="自然人股东", kind="branch"), ("kind", "other kind")),  # kind comes first
        (rec(date="未知"), ("date", "unparseable date")),
        (rec(date=None), ("date", "unparseable date")),
        (rec(date="2005-13-45"), ("date", "unparseable date")),
        (rec(date="2005-02-29"), ("date", "unparseable date")),  # not a leap year
        (rec(date="12345"), ("date", "unparseable date")),  # 5 digits below 1990 as a serial
        (rec(date="2010年13月1日"), ("date", "unparseable date")),
        (rec(date="2005-03-01 garbage"), ("date", "unparseable date")),
        (rec(date="1996-02-29"), ("date", "year out of range")),  # a real leap day
        (rec(date="1999-12-31"), ("date", "year out of range")),
        (rec(date="2019-01-01"), ("date", "year out of range")),
        (rec(ind=None), ("industry", "missing industry")),
        (rec(ind="-"), ("industry", "missing industry")),
        (rec(ind="F5191"), ("industry", "non-manufacturing")),
        (rec(ind="12"), ("industry", "non-manufacturing")),
        (rec(ind="44"), ("industry", "non-manufacturing")),
        (rec(inv="甲有限公司"), ("city", "unresolved investor city")),
        (rec(ee="乙有限公司"), ("city", "unresolved investee city")),
        (rec(inv="甲有限公司", ee="乙有限公司"), ("city", "unresolved investor city")),
        (rec(ee="乙有限公司", ee_uscc=GZ_USCC), ("pair", "outside destination set")),
        (rec(inv="长沙甲有限公司"), ("pair", "outside origin set")),
        (rec(inv="梅州甲有限公司"), ("pair", "outside origin set")),
        (rec(ee="深圳乙有限公司"), ("pair", "outside destination set")),
    ]
    dup = [(rec(), "duplicate"), (rec(ind="F5191"), "duplicate"), (rec(), "duplicate")]
    return rows + dup


def frame(rows):
    return pd.DataFrame([r for r, _ in rows], columns=COLS)


def expected_audit(rows):
    out = {}
    for _, where in rows:
        key = {"kept": ("kept", "kept"), "duplicate": ("dedupe", "duplicate")}.get(where, where)
        out[key] = out.get(key, 0) + 1
    return out


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory):
    p = tmp_path_factory.mktemp("reg") / "small.csv"
    frame(records()).to_csv(p, index=False)
    return p


def run(path, **kw):
    kw.setdefault("origins", "广州,深圳")
    kw.setdefault("destinations", "梅州,汕头")
    return ingest_registry(path, **kw)


def test_every_record_in_exactly_one_audit_row(small_csv):
    rows = records()
    res = run(small_csv)
    assert res.n_records == len(rows)
    assert res.audit["rows"].sum() == len(rows)
    got = {(s, r): n for s, r, n in res.audit.itertuples(index=False) if n}
    assert got == expected_audit(rows)
    kept = res.audit.loc[res.audit["step"] == "kept", "rows"].sum()
    assert kept == res.panel["count"].sum() == 18
    assert [tuple(x) for x in res.audit[["step", "reason"]].head(len(AUDIT_ORDER)).to_numpy()] \
        == list(AUDIT_ORDER)


def test_panel_counts_zero_filled_and_never_connected_dropped(small_csv):
    res = run(small_csv, years=(2004, 2010))
    p = res.panel.set_index(["origin", "destination", "year"])["count"]
    assert p[("440100", "441400", 2005)] == 12  # 7 + serials, Unix, ISO times
    assert p[("440100", "441400", 2006)] == 1
    assert p[("440100", "441400", 2007)] == 1
    assert p[("440100", "441400", 2004)] == 0
    assert p[("440300", "441400", 2010)] == 1
    assert p[("440100", "441400", 2010)] == 1  # 2010年5月1日
    assert p[("440100", "441400", 2008)] == 1  # Unix milliseconds, 2008-12-31 UTC
    assert len(res.panel) == 2 * 7  # two connected pairs x 7 years, balanced
    # 2018 is outside 2004-2010 now
    assert res.audit.set_index("reason").loc["year out of range", "rows"] == 4
    dropped = set(zip(res.dropped_pairs["origin"], res.dropped_pairs["destination"]))
    assert dropped == {("440100", "440500"), ("440300", "440500")}
    panel_rows = res.audit[res.audit["step"] == "panel"]
    assert set(panel_rows["reason"]) == {"never connected: 440100-440500",
                                         "never connected: 440300-440500"}
    assert (panel_rows["rows"] == 0).all()


def test_ingest_result_protocol_and_display_tables(small_csv, tmp_path):
    import json

    from pairnet.core.outputs import write_result
    from pairnet.core.results import Result

    res = run(small_csv, years=(2004, 2010))
    assert isinstance(res, IngestResult) and isinstance(res, Result)
    assert res.title == "Registry ingest"
    pd.testing.assert_frame_equal(res.tidy(), res.panel)
    with pytest.raises(AttributeError):
        res.n_records = 0  # frozen
    d = res.to_dict()
    assert list(d) == ["n_records", "audit", "never_connected", "pairs", "pair_years"]
    assert d["n_records"] == len(records()) and d["pairs"] == 2 and d["pair_years"] == 14
    assert d["audit"] == json.loads(res.audit.to_json(orient="records"))
    assert d["never_connected"] == [
        {"origin": "440100", "origin_name": "广州市", "destination": "440500",
         "destination_name": "汕头市"},
        {"origin": "440300", "origin_name": "深圳市", "destination": "440500",
         "destination_name": "汕头市"}]
    tabs = res.tables()
    assert list(tabs) == ["audit", "never_connected", "attribution"]
    shown = tabs["audit"].frame
    # the rule rows, ONE row for the two never-connected pairs, and a total row
    assert shown["step"].tolist()[-2:] == ["panel", "total"]
    assert shown["reason"].tolist()[-2] == "never connected (2 pairs, listed below)"
    assert shown.iloc[-1].tolist() == ["total", "all input records", len(records())]
    assert int(shown["rows"].iloc[:-1].sum()) == len(records())
    assert "2 origin–destination pairs never had a kept record" in tabs["audit"].note
    assert "WARNING" not in tabs["audit"].note
    assert tabs["never_connected"].frame["destination_name"].tolist() == ["汕头市", "汕头市"]
    assert tabs["attribution"].frame["rows"].sum() == 2 * res.panel["count"].sum()
    step = write_result(res, tmp_path / "ingest")
    assert step.results == d and (tmp_path / "ingest" / "tables" / "audit.csv").is_file()
    # the CSV keeps the English words; the Chinese report shows no English step, reason or rule
    csv = pd.read_csv(tmp_path / "ingest" / "tables" / "audit.csv")
    assert csv["reason"].tolist() == shown["reason"].tolist()
    for name in ("audit", "attribution"):
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", table_html(tabs[name], "zh"))
        assert cells and not [c for c in cells if re.search("[A-Za-z]{3,}", c)], cells
    assert "natural person" in table_html(tabs["audit"], "en")
    # everything connected: no never-connected table, no summary row
    full = run(small_csv, destinations="梅州")
    assert list(full.tables()) == ["audit", "attribution"]
    assert "panel" not in set(full.tables()["audit"].frame["step"])


def test_audit_display_takes_the_pairs_from_dropped_pairs_not_the_text():
    # the reason text of a panel row is never read back: only dropped_pairs names the pairs
    audit = pd.DataFrame({"step": ["kind", "kept", "panel", "panel"],
                          "reason": ["other kind", "kept", "never connected: garbled",
                                     "never connected: 440400-440800"],
                          "rows": [3, 7, 0, 0]})
    dropped = pd.DataFrame({"origin": pd.array(["440100", "440400"], dtype="string"),
                            "destination": pd.array(["440500", "440800"], dtype="string"),
                            "reason": "never connected"})
    shown, never = audit_display(audit, 10, dropped)
    assert len(shown) == 4
    assert shown["reason"].tolist()[2] == "never connected (2 pairs, listed below)"
    assert shown.iloc[-1].tolist() == ["total", "all input records", 10]
    assert never.columns.tolist() == ["origin", "origin_name", "destination", "destination_name"]
    assert never["origin"].tolist() == ["440100", "440400"]
    assert never["destination_name"].tolist() == ["汕头市", "湛江市"]
    shown, never = audit_display(audit.iloc[:2], 11, dropped.iloc[:0])
    assert shown["step"].tolist() == ["kind", "kept", "total"] and never.empty


def test_industry_all_and_branch_kind(small_csv):
    res = run(small_csv, industry="all")
    assert "industry" not in set(res.audit["step"])
    # + F5191, 12, 44 (non-manufacturing) + the two missing codes
    assert res.panel["count"].sum() == 18 + 3 + 2
    assert res.audit["rows"].sum() == len(records())
    br = run(small_csv, kind="branch")
    assert br.panel["count"].sum() == 2  # branch and 分支机构
    a = br.audit.set_index("reason")["rows"]
    assert a["natural person"] == 1  # the natural-person branch record
    assert a["other kind"] == len(records()) - 3 - 3  # all but the 3 duplicates and 3 branches


def test_column_mapping_with_chinese_headers(tmp_path, small_csv):
    df = pd.read_csv(small_csv, dtype=str)
    cn = {"investor_name": "股东名称", "investor_type": "股东类型", "investee_name": "企业名称",
          "date": "投资日期", "industry_code": "行业代码"}
    p = tmp_path / "cn.csv"
    df.rename(columns=cn).to_csv(p, index=False)
    mapping = ",".join(f"{v}={k}" for k, v in cn.items())
    a = run(small_csv)
    b = run(p, columns=mapping)
    pd.testing.assert_frame_equal(a.panel, b.panel)
    pd.testing.assert_frame_equal(a.audit, b.audit)
    with pytest.raises(InputError, match="not in the file"):
        run(p, columns="不存在=investor_name")
    with pytest.raises(InputError, match="not a registry column"):
        parse_column_map("股东名称=owner")
    with pytest.raises(InputError, match="cannot read"):
        parse_column_map("股东名称")


def test_optional_columns_may_be_absent(tmp_path):
    rows = [rec(), rec(date="2006-01-01")]
    df = pd.DataFrame(rows, columns=COLS).drop(columns=["kind", "investor_uscc", "investee_uscc",
                                                         "investor_city", "investee_city"])
    p = tmp_path / "min.csv"
    df.to_csv(p, index=False)
    res = run(p)
    assert res.panel["count"].sum() == 2


def test_gbk_and_utf8_give_identical_results(tmp_path, small_csv):
    df = pd.read_csv(small_csv, dtype=str)
    u = tmp_path / "u.csv"
    g = tmp_path / "g.csv"
    df.to_csv(u, index=False, encoding="utf-8-sig")  # with a BOM
    df.to_csv(g, index=False, encoding="gbk")
    assert g.read_bytes() != u.read_bytes()
    a, b, c = run(small_csv), run(u), run(g)
    for x in (b, c):
        pd.testing.assert_frame_equal(a.panel, x.panel)
        pd.testing.assert_frame_equal(a.audit, x.audit)


def test_parquet_excel_stata_identical(tmp_path, small_csv):
    df = pd.read_csv(small_csv, dtype=str)
    a = run(small_csv)
    pq = tmp_path / "r.parquet"
    df.to_parquet(pq)
    xl = tmp_path / "r.xlsx"
    df.to_excel(xl, index=False)
    dta = tmp_path / "r.dta"
    df.fillna("").to_stata(dta, write_index=False, version=118)
    for p in (pq, xl, dta):
        x = run(p)
        pd.testing.assert_frame_equal(a.panel, x.panel, obj=str(p))
        pd.testing.assert_frame_equal(a.audit, x.audit, obj=str(p))


def test_bad_input(tmp_path, small_csv):
    with pytest.raises(InputError, match="lacks required column"):
        df = pd.read_csv(small_csv, dtype=str).drop(columns="date")
        p = tmp_path / "nodate.csv"
        df.to_csv(p, index=False)
        run(p)
    empty = tmp_path / "empty.csv"
    empty.write_text(",".join(COLS) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="no records"):
        run(empty)
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"this is not parquet at all")
    with pytest.raises(InputError, match="cannot read the registry"):
        run(junk)
    with pytest.raises(InputError, match="not found"):
        run(tmp_path / "missing.csv")
    with pytest.raises(UnknownCityError):
        run(small_csv, origins="不存在市")
    with pytest.raises(InputError, match="`industry`"):
        run(small_csv, industry="mining")
    with pytest.raises(InputError, match="`years`"):
        run(small_csv, years=(2018, 2000))
    with pytest.raises(UnknownCityError, match="`destinations`"):
        run(small_csv, destinations="火星市")


def test_cli_writes_panel_and_audit(run_cli, tmp_path, small_csv):
    out, audit = tmp_path / "p.csv", tmp_path / "a.parquet"
    r = run_cli("ingest", small_csv, "--origins", "广州,深圳", "--destinations", "梅州,汕头",
                "--years", "2000-2018", "--out", out, "--audit", audit)
    assert r.code == 0, r.stderr
    panel = pd.read_csv(out, dtype={"origin": str, "destination": str})
    a = pd.read_parquet(audit)
    assert panel["count"].sum() == 18 == a.loc[a["step"] == "kept", "rows"].sum()
    assert a["rows"].sum() == len(records())
    assert list(panel.columns) == ["origin", "destination", "year", "count"]


@pytest.mark.parametrize("args, message", [
    (["--origins", "PRD", "--destinations", "火星市"], "火星市"),
    (["--origins", "PRD", "--destinations", "EWN", "--years", "2018-2000"], "years"),
    (["--origins", "PRD", "--destinations", "EWN", "--kind", "merger"], "--kind"),
    (["--origins", "PRD", "--destinations", "EWN", "--columns", "a=b"], "--columns"),
])
def test_cli_bad_options_exit_2(run_cli, tmp_path, small_csv, args, message):
    r = run_cli("ingest", small_csv, *args, "--out", tmp_path / "p.csv",
                "--audit", tmp_path / "a.csv")
    assert r.code == 2
    assert message in r.stderr


def test_cli_bad_files_exit_2(run_cli, tmp_path, small_csv):
    nodate = tmp_path / "nodate.csv"
    pd.read_csv(small_csv, dtype=str).drop(columns="date").to_csv(nodate, index=False)
    empty = tmp_path / "empty.csv"
    empty.write_text(",".join(COLS) + "\n", encoding="utf-8")
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"PAR1 garbage")
    for f, msg in ((nodate, "date"), (empty, "no records"), (junk, "cannot read")):
        r = run_cli("ingest", f, "--origins", "PRD", "--destinations", "EWN",
                    "--out", tmp_path / "p.csv", "--audit", tmp_path / "a.csv")
        assert r.code == 2, f
        assert msg in r.stderr and str(f) in r.stderr
    # no record survives: still exit 2, audit written
    r = run_cli("ingest", small_csv, "--origins", "珠海", "--destinations", "EWN",
                "--out", tmp_path / "p2.csv", "--audit", tmp_path / "a2.csv")
    assert r.code == 2 and "no record survived" in r.stderr
    assert (tmp_path / "a2.csv").exists()


def test_typed_parquet_and_stata_match_csv(tmp_path, small_csv):
    """Numeric city columns (int64, float64, Int64 with missing) read as the same text ids."""
    text = pd.read_csv(small_csv, dtype=str)
    text.loc[text["investor_name"] == "甲公司", "investor_city"] = "440300"
    text.loc[text["date"] == "20050612", "investor_city"] = "广州市"  # a name: text only
    text["investee_city"] = text["investee_city"].fillna("0")  # "0": no city, next rule
    csv = tmp_path / "t.csv"
    text.to_csv(csv, index=False)
    a = run(csv)
    assert a.attribution.set_index(["side", "rule"]).loc[("investor", "city field"), "rows"] == 2
    typed = text.copy()  # investee_city int64, investor_city text (the union that failed)
    typed["investee_city"] = typed["investee_city"].astype("int64")
    floaty = text.copy()  # investor_city float64 (440300.0), investee_city Int64 with missing
    floaty.loc[floaty["investor_city"] == "广州市", "investor_city"] = "440100"
    floaty["investor_city"] = pd.to_numeric(floaty["investor_city"]).astype("float64")
    floaty["investee_city"] = pd.to_numeric(text["investee_city"].replace("0", None)).astype(
        "Int64")
    b_csv = tmp_path / "floaty.csv"
    floaty.astype("string").to_csv(b_csv, index=False)
    b = run(b_csv)
    for df, want, name in ((typed, a, "typed"), (floaty, b, "floaty")):
        pq = tmp_path / f"{name}.parquet"
        df.to_parquet(pq)
        x = run(pq)
        pd.testing.assert_frame_equal(want.panel, x.panel, obj=name)
        pd.testing.assert_frame_equal(want.audit, x.audit, obj=name)
        pd.testing.assert_frame_equal(want.attribution, x.attribution, obj=name)
    assert str(pd.read_parquet(tmp_path / "floaty.parquet")["investor_city"].dtype) == "float64"
    dta = tmp_path / "typed.dta"
    strings = {c: "" for c in floaty.columns if c not in ("investor_city", "investee_city")}
    floaty.fillna(strings).to_stata(dta, write_index=False, version=118)  # NaN, 440300.0
    x = run(dta)
    pd.testing.assert_frame_equal(b.panel, x.panel)
    pd.testing.assert_frame_equal(b.audit, x.audit)


def test_cli_numeric_city_parquet_exit_0(run_cli, tmp_path, small_csv):
    """The reviewer's repro: investee_city as Int64 adcodes, investor_city as text."""
    d = pd.read_csv(small_csv, dtype=str)
    d["investee_city"] = pd.to_numeric(d["investee_city"], errors="coerce").astype("Int64")
    d.loc[d["investee_name"] == "梅州乙有限公司", "investee_city"] = 441400
    d.loc[d["date"] == "20050612", "investor_city"] = "广州市"  # text beside the numbers
    pq = tmp_path / "r.parquet"
    d.to_parquet(pq)
    r = run_cli("ingest", pq, "--origins", "PRD", "--destinations", "EWN",
                "--out", tmp_path / "p.csv", "--audit", tmp_path / "a.csv")
    assert r.code == 0, r.stderr
    a = pd.read_csv(tmp_path / "a.csv")
    assert a["rows"].sum() == len(records())


def _lines(n_ok=3):
    head = ",".join(COLS)
    ok = ",".join(x or "" for x in rec())
    return [head] + [ok] * n_ok


@pytest.mark.parametrize("name, body, want", [
    ("zero.csv", b"", ["empty"]),
    ("blank.csv", b"\xef\xbb\xbf\n  \n", ["empty"]),
    ("uneven.csv", "\n".join(_lines() + ["a,b,c"] + _lines(1)[1:]) + "\n",
     ["line 5", "row 4", "3 field(s)", "header has 10"]),
    ("quote.csv", "\n".join(_lines(2) + ['"广州市甲有限公司,企业法人,,,梅州乙有限公司,,,C35,2005-01-01,']
                            + _lines(2)[1:]) + "\n",
     ["line 4", "row 3", "never closed"]),
])
def test_cli_malformed_files_name_file_and_line(run_cli, tmp_path, name, body, want):
    f = tmp_path / name
    if isinstance(body, bytes):
        f.write_bytes(body)
    else:
        f.write_text(body, encoding="utf-8")
    r = run_cli("ingest", f, "--origins", "PRD", "--destinations", "EWN",
                "--out", tmp_path / "p.csv", "--audit", tmp_path / "a.csv")
    assert r.code == 2
    assert str(f) in r.stderr
    for w in want:
        assert w in r.stderr, r.stderr
    assert "column0" not in r.stderr and "sniffing" not in r.stderr


def test_bad_row_past_the_sniffing_sample_is_located(tmp_path):
    """DuckDB sniffs a sample first; a bad row far down fails later and must still be named."""
    lines = _lines(30000)
    lines[25001] = "x,y"  # line 25002 of the file = data row 25001
    f = tmp_path / "late.csv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 25001: malformed CSV, line 25002 has 2 field"):
        run(f)


def test_typed_columns_read_as_text(tmp_path):
    import duckdb

    from pairnet.panels._engines import DuckRunner
    from pairnet.panels.registry import _load_source

    pq = tmp_path / "t.parquet"
    pd.DataFrame({"f": [440100.0, np.nan, 3.5, -2.0], "i": [440100, 1, 2, 3],
                  "n": pd.array([440300, None, 5, 6], dtype="Int64"),
                  "d": pd.to_datetime(["2005-03-01", None, "2006-01-01", "2007-01-01"])}
                 ).to_parquet(pq)
    con = duckdb.connect()
    try:
        cols, _ = _load_source(DuckRunner(con), pq, str(tmp_path))
        types = {r[0]: r[1] for r in con.execute("describe src").fetchall()}
        rows = con.execute("select f, i, n, d from src").fetchall()
    finally:
        con.close()
    assert cols == ["f", "i", "n", "d"] and set(types.values()) == {"VARCHAR"}
    assert rows[0][:3] == ("440100", "440100", "440300") and rows[0][3].startswith("2005-03-01")
    assert rows[1][0] is None and rows[1][2] is None and rows[1][3] is None
    assert rows[2][0] == "3.5" and rows[3][0] == "-2"


# ------------------------------------------------------------------------------------------
# the engine option: hostile values, a missing extra or Java (no Spark session needed)
# ------------------------------------------------------------------------------------------


def _one_line(r):
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()
             and not ln.startswith("pairnet: note:")]
    assert r.code == 2 and len(lines) == 1, r.stderr
    return lines[0]


def test_cli_engine_must_be_duckdb_or_spark(run_cli, tmp_path, small_csv):
    line = _one_line(run_cli("ingest", small_csv, "--origins", "广州", "--destinations", "梅州",
                             "--engine", "flink", "--out", tmp_path / "p.csv",
                             "--audit", tmp_path / "a.csv"))
    assert "--engine" in line and "duckdb" in line and "spark" in line


def test_cli_spark_without_java_exit_2(run_cli, tmp_path, small_csv, monkeypatch):
    pytest.importorskip("pyspark")
    from pairnet.panels import _engines

    monkeypatch.setattr(_engines.shutil, "which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    line = _one_line(run_cli("ingest", small_csv, "--origins", "广州", "--destinations", "梅州",
                             "--engine", "spark", "--out", tmp_path / "p.csv",
                             "--audit", tmp_path / "a.csv"))
    assert "Java" in line and "default-jre-headless" in line and "pairnet[spark]" in line
    assert not (tmp_path / "p.csv").exists()


def test_cli_spark_without_pyspark_exit_2(run_cli, tmp_path, small_csv, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # import fails as if not installed
    line = _one_line(run_cli("ingest", small_csv, "--origins", "广州", "--destinations", "梅州",
                             "--engine", "spark", "--out", tmp_path / "p.csv",
                             "--audit", tmp_path / "a.csv"))
    assert "pyspark" in line and "pip install 'pairnet[spark]'" in line


def test_study_ingest_engine_key():
    from pairnet.core.options import from_table
    from pairnet.study import IngestSection

    assert IngestSection().engine == "duckdb" and IngestSection().spark_master is None
    sec = from_table(IngestSection, {"engine": "spark", "spark_master": "local[4]"},
                     where="s.toml [study.ingest]")
    assert sec.engine == "spark" and sec.spark_master == "local[4]"
    with pytest.raises(InputError, match="engine"):
        from_table(IngestSection, {"engine": "flink"}, where="s.toml [study.ingest]")
    with pytest.raises(InputError, match="engine"):
        ingest_registry("x.csv", origins="广州", destinations="梅州", engine="flink")
