"""Firm-registry shareholder records -> pair-year investment panel, with an audit (seed 003 §4.1).

The engine is DuckDB (embedded, spills to disk, no pandas row loops): the records are read into
DuckDB, each one gets exactly one ``(step, reason)`` — the first rule it fails, or ``kept`` — and
the kept records are counted by origin prefecture, destination prefecture and year, zero-filled
into a balanced panel, and pairs that never connect are dropped (seed 003: 108 → 88 pairs).

Rules, in the order they are applied (the audit names them):

1. ``dedupe/duplicate`` — a record equal to another one in every column counts once.
2. ``kind/other kind`` — ``kind`` is ``shareholding`` (also 股权/股东, or absent) or ``branch``
   (分支机构/分公司); records of the other kind (or an unknown kind) are left out.
3. ``investor/natural person`` — ``investor_type`` contains 自然人 or "natural" (any case).
4. ``date/unparseable date``, ``date/year out of range`` — ISO date, YYYYMMDD, YYYY/M/D,
   YYYY.M.D or a timestamp; the year is the panel year.
5. ``industry/missing industry``, ``industry/non-manufacturing`` (only with
   ``industry="manufacturing"``) — GB/T 4754 code with or without the section letter (C3511,
   3511, C35, 35, or the bare section letter C); manufacturing = divisions 13–43.
6. ``city/unresolved investor city``, ``city/unresolved investee city`` — a firm's prefecture is
   the first of: (1) its ``*_city`` field (6-digit adcode, county codes mapped to their
   prefecture, or a prefecture name with or without 市, optionally after the province);
   (2) characters 3–8 of its ``*_uscc`` when the GB 32100-2015 check character is valid;
   (3) the leftmost prefecture name in the firm name (province names such as 广东省 are removed
   first so that 吉林省长春市… is 长春, not 吉林).
7. ``pair/outside origin set``, ``pair/outside destination set``, ``pair/same city``.
8. ``kept/kept``.

Every input record lands in exactly one audit row, so the audit's ``rows`` add up to the number
of input records and the ``kept`` row equals the panel total. Never-connected pairs are listed as
audit rows ``step="panel"``, ``reason="never connected: ORIGIN-DESTINATION"`` with ``rows=0`` (they
hold no records, so the identity is unchanged) and in :attr:`IngestResult.dropped_pairs`.
"""

from __future__ import annotations

import csv
import re
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from pairnet.core.errors import InputError
from pairnet.core.i18n import Text
from pairnet.core.options import check_literal, parse_list
from pairnet.core.results import ResultBase, Table
from pairnet.core.tables import (
    decode_chunks,
    detect_encoding,
    file_suffix,
    require_columns,
    to_jsonable,
)

from ._engines import DuckRunner, SparkRunner, spark_session
from ._sql import Dialect, contains, full_match, norm
from .dates import year_sql
from .uscc import valid_sql

__all__ = [
    "CANONICAL",
    "REQUIRED",
    "AUDIT_ORDER",
    "Industry",
    "Engine",
    "Kind",
    "IngestResult",
    "ingest_registry",
    "audit_display",
    "never_connected_pairs",
    "parse_column_map",
    "city_keys",
    "locate_firms",
    "name_keys",
]

Industry = Literal["manufacturing", "all"]
Engine = Literal["duckdb", "spark"]
Kind = Literal["shareholding", "branch"]

CANONICAL = ("investor_name", "investor_type", "investor_city", "investor_uscc",
             "investee_name", "investee_city", "investee_uscc", "industry_code", "date", "kind")
#: Columns a registry must have (``industry_code`` too when keeping manufacturing only).
REQUIRED = ("investor_name", "investor_type", "investee_name", "date")

#: Every audit row, in order (step, reason).
AUDIT_ORDER: tuple[tuple[str, str], ...] = (
    ("dedupe", "duplicate"),
    ("kind", "other kind"),
    ("investor", "natural person"),
    ("date", "unparseable date"),
    ("date", "year out of range"),
    ("industry", "missing industry"),
    ("industry", "non-manufacturing"),
    ("city", "unresolved investor city"),
    ("city", "unresolved investee city"),
    ("pair", "outside origin set"),
    ("pair", "outside destination set"),
    ("pair", "same city"),
    ("kept", "kept"),
)

#: The display words of the audit and attribution tables (steps, reasons, sides, rules), in both
#: languages; the frames and files keep the English.
_AUDIT_WORDS: dict[str, Text] = {t.en: t for t in (
    Text("dedupe", "去重"), Text("duplicate", "重复记录"),
    Text("kind", "记录类型"), Text("other kind", "其他类型"),
    Text("investor", "投资方"), Text("natural person", "自然人"),
    Text("date", "日期"), Text("unparseable date", "日期无法解析"),
    Text("year out of range", "年份超出范围"),
    Text("industry", "行业"), Text("missing industry", "缺少行业代码"),
    Text("non-manufacturing", "非制造业"),
    Text("city", "城市"), Text("unresolved investor city", "无法确定投资方城市"),
    Text("unresolved investee city", "无法确定被投资方城市"),
    Text("pair", "组合"), Text("outside origin set", "不在投资方城市范围内"),
    Text("outside destination set", "不在被投资方城市范围内"), Text("same city", "同城投资"),
    Text("kept", "保留"), Text("panel", "面板"), Text("total", "合计"),
    Text("all input records", "全部输入记录"),
    Text("investee", "被投资方"), Text("city field", "城市字段"),
    Text("uscc", "统一社会信用代码"), Text("name", "企业名称"),
)}


def _bilingual(words: pd.Series) -> pd.Series:
    """``words`` as :data:`_AUDIT_WORDS` texts where one is known (others unchanged).

    An object column: pandas would turn the texts into plain strings in a string column.
    """
    return pd.Series([_AUDIT_WORDS.get(w, w) if isinstance(w, str) else w for w in words],
                     index=words.index, dtype=object)

def _short(name: str) -> str:
    # prefecture-level suffixes only: 定安县 stays 定安县 (a bare 定安 is too loose in firm names)
    from pairnet.spatial.cities import PREFECTURE_SUFFIXES, short_name

    return short_name(name, PREFECTURE_SUFFIXES)


def _with_traditional(rows: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """``rows`` plus each key spelt in traditional characters (廣州 -> the same prefecture)."""
    from pairnet.spatial.cities import traditional_forms

    return rows + [(t, p) for k, p in rows for t in traditional_forms(k)]


def _unique_keys(rows: list[tuple[str, str | None, int]]) -> pd.DataFrame:
    """``key, prefecture`` from ``(key, prefecture, rank)`` rows.

    Per key the best (lowest) rank wins, and a key whose best rows name several prefectures
    maps to none (<NA>).
    """
    df = pd.DataFrame(rows, columns=["key", "prefecture", "rank"]).drop_duplicates()
    df = df[df["rank"] == df.groupby("key")["rank"].transform("min")]
    n = df.groupby("key")["prefecture"].transform("nunique")
    df.loc[n != 1, "prefecture"] = None
    out = df.drop_duplicates("key").sort_values("key", kind="stable")[["key", "prefecture"]]
    return out.astype({"key": "string", "prefecture": "string"}).reset_index(drop=True)


@lru_cache(maxsize=1)
def city_keys() -> pd.DataFrame:
    """Exact strings accepted in a ``*_city`` field -> prefecture adcode.

    Adcodes of every prefecture and county (counties map to their prefecture); prefecture
    names: full (广州市), short (广州), after the province (广东省广州市, 广东广州); county names
    (番禺区, 广州市番禺区, 广东省广州市番禺区) -> their own prefecture; each also in traditional
    characters (廣州). A name is never shortened to reach a prefecture it does not name: 朝阳区
    is a district of 北京 and of 长春, never 朝阳市. Keys naming more than one prefecture
    (朝阳区) are left out, so such a field stays unresolved (and audited) rather than guessed.
    """
    from pairnet.spatial.cities import (
        PREFECTURE_SUFFIXES,
        admin_index,
        name_forms,
        province_names,
        with_province,
    )

    idx = admin_index()
    sub = idx[idx["level"].isin(["prefecture", "county"]) & idx["prefecture"].notna()]
    codes = list(zip(sub["adcode"].astype(str), sub["prefecture"].astype(str), strict=True))
    named: list[tuple[str, str | None]] = []
    pref = idx[idx["level"] == "prefecture"]
    for code, name, prov in zip(pref["adcode"], pref["name"], pref["province"], strict=True):
        named += [(k, str(code)) for k in with_province(name_forms(name, PREFECTURE_SUFFIXES),
                                                        prov)]
    ranked = [(k, p, 0) for k, p in _with_traditional(named)]
    cty = idx[(idx["level"] == "county") & idx["prefecture"].notna()]
    county: list[tuple[str, str | None]] = []
    for name, prov, p, pname in zip(cty["name"], cty["province"], cty["prefecture"],
                                    cty["prefecture_name"], strict=True):
        keys = {name}
        if isinstance(pname, str) and pname != name:
            for q in name_forms(pname, PREFECTURE_SUFFIXES):
                keys.add(q + name)
                keys |= {v + q + name for v in province_names(prov) if v != q}
        county += [(k, str(p)) for k in with_province(keys, prov)]
    ranked += [(k, p, 1) for k, p in _with_traditional(county)]
    df = _unique_keys([(k, p, 0) for k, p in codes] + ranked)
    return df[df["prefecture"].notna()].reset_index(drop=True)


@lru_cache(maxsize=1)
def name_keys() -> tuple[pd.DataFrame, list[str]]:
    """Place names searched in firm names -> prefecture, and the province names removed first.

    Returns
    -------
    (DataFrame, list of str)
        ``key, prefecture``: full and short prefecture names (unique), county names that one
        county carries -> its prefecture (番禺区 -> 广州), each also in traditional characters;
        and, mapped to <NA> so the firm stays unresolved, county names several counties carry
        that contain a prefecture name (朝阳区 holds 朝阳: the longest match wins, so the firm
        is not put in 朝阳市). Then the full province names ending in 省 or 自治区.
    """
    from pairnet.spatial.cities import PREFECTURE_SUFFIXES, admin_index, name_forms

    idx = admin_index()
    pref = idx[idx["level"] == "prefecture"]
    rows: list[tuple[str, str | None]] = []
    for code, name in zip(pref["adcode"], pref["name"], strict=True):
        rows += [(k, str(code)) for k in name_forms(name, PREFECTURE_SUFFIXES) if len(k) >= 2]
    ranked = [(k, p, 0) for k, p in _with_traditional(rows)]
    cty = idx[(idx["level"] == "county") & idx["prefecture"].notna()]
    county: list[tuple[str, str | None]] = [
        (str(n), str(p)) for n, p in zip(cty["name"], cty["prefecture"], strict=True)
        if len(str(n)) >= 3]
    ranked += [(k, p, 1) for k, p in _with_traditional(county)]
    df = _unique_keys(ranked)
    pref_keys = df.loc[df["prefecture"].notna(), "key"].tolist()
    # an ambiguous county name is kept (as <NA>) only where it would otherwise be misread as
    # a prefecture name it contains
    na = df["prefecture"].isna()
    holds_pref = [any(p in k and p != k for p in pref_keys) for k in df.loc[na, "key"]]
    drop = df.index[na][[not h for h in holds_pref]]
    df = df.drop(index=drop).reset_index(drop=True)
    provs = [p for p in idx.loc[idx["level"] == "province", "name"]
             if p.endswith("省") or p.endswith("自治区")]
    return df, provs


def parse_column_map(text: str | Mapping[str, str] | None) -> dict[str, str]:
    """Parse ``"原列名=canonical,投资日期=date"`` into ``{file column: canonical column}``.

    Raises
    ------
    InputError
        An item without ``=`` or a target that is not a canonical registry column.
    """
    if text is None:
        return {}
    if isinstance(text, Mapping):
        items = list(text.items())
    else:
        items = []
        for part in parse_list(text):
            if "=" not in part:
                raise InputError(f"cannot read column mapping item {part!r}", file="`columns`",
                                 fix="write SOURCE=canonical pairs, e.g. 股东名称=investor_name")
            src, dst = (s.strip() for s in part.split("=", 1))
            items.append((src, dst))
    out = {}
    for src, dst in items:
        if dst not in CANONICAL:
            raise InputError(f"{dst!r} is not a registry column", file="`columns`",
                             fix=f"map to one of {', '.join(CANONICAL)}")
        out[str(src)] = dst
    return out


def never_connected_pairs(dropped_pairs: pd.DataFrame) -> pd.DataFrame:
    """The never-connected pairs with the cities' names, for display.

    Parameters
    ----------
    dropped_pairs : DataFrame
        ``origin, destination`` (:attr:`IngestResult.dropped_pairs`).

    Returns
    -------
    DataFrame
        ``origin, origin_name, destination, destination_name`` (ids that are not adcodes are
        their own names).
    """
    from pairnet.spatial.cities import city_names

    never = pd.DataFrame({"origin": dropped_pairs["origin"].astype(str).to_numpy(),
                          "destination": dropped_pairs["destination"].astype(str).to_numpy()})
    names = city_names(sorted(set(never["origin"]) | set(never["destination"])))
    # object columns keep the names' English rendering (pandas' string columns drop it)
    never.insert(1, "origin_name", pd.Series([names.get(c, c) for c in never["origin"]],
                                             dtype=object))
    never["destination_name"] = pd.Series([names.get(c, c) for c in never["destination"]],
                                          dtype=object)
    return never


def audit_display(audit: pd.DataFrame, n_records: int, dropped_pairs: pd.DataFrame
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ingest audit for display: never-connected pairs as ONE summary row, a total row.

    Parameters
    ----------
    audit : DataFrame
        ``step, reason, rows`` (:attr:`IngestResult.audit`): the rule rows, then one
        ``step="panel"`` row per never-connected pair.
    n_records : int
        Input records read (the total row).
    dropped_pairs : DataFrame
        ``origin, destination`` of the never-connected pairs (:attr:`IngestResult.dropped_pairs`).

    Returns
    -------
    (DataFrame, DataFrame)
        The display audit (``step, reason, rows``: the rule rows, one ``panel`` row summarising
        the never-connected pairs when there are any, a ``total`` row; steps and reasons are
        :class:`~pairnet.core.i18n.Text` whose English is the audit's) and the never-connected
        pairs of :func:`never_connected_pairs`.
    """
    never = never_connected_pairs(dropped_pairs)
    is_panel = (audit["step"].astype(str) == "panel").to_numpy()
    shown = audit[~is_panel].copy()
    extra = []
    if len(never):
        extra.append({"step": "panel",
                      "reason": Text(f"never connected ({len(never)} pairs, listed below)",
                                     f"从未关联（{len(never)} 个组合，见下表）"),
                      "rows": int(audit.loc[is_panel, "rows"].sum())})
    extra.append({"step": "total", "reason": "all input records", "rows": int(n_records)})
    shown = pd.concat([shown, pd.DataFrame(extra, dtype=object)], ignore_index=True)
    shown["rows"] = shown["rows"].astype("int64")
    shown["step"], shown["reason"] = _bilingual(shown["step"]), _bilingual(shown["reason"])
    return shown, never


@dataclass(frozen=True, eq=False)
class IngestResult(ResultBase):
    """What :func:`ingest_registry` returns.

    Attributes
    ----------
    panel : DataFrame
        ``origin, destination, year, count`` — every connected pair × every year, zeros filled.
    audit : DataFrame
        ``step, reason, rows`` — rows sum to ``n_records``; the ``kept`` row equals the panel
        total. Never-connected pairs follow as ``step="panel"`` rows with ``rows=0``.
    dropped_pairs : DataFrame
        ``origin, destination`` of the pairs with no kept record in any year.
    n_records : int
        Input records read.
    attribution : DataFrame
        ``side, rule, rows``: which rule located the firms of the kept records.
    """

    panel: pd.DataFrame
    audit: pd.DataFrame
    dropped_pairs: pd.DataFrame
    n_records: int
    attribution: pd.DataFrame = field(default_factory=pd.DataFrame)

    title = "Registry ingest"

    def tidy(self) -> pd.DataFrame:
        """The pair-year panel ``origin, destination, year, count``."""
        return self.panel.copy()

    def summary(self) -> str:
        """A short text summary (never prints)."""
        pairs = self.panel[["origin", "destination"]].drop_duplicates()
        kept = int(self.audit.loc[self.audit["step"] == "kept", "rows"].sum())
        lines = [f"{self.n_records} records read, {kept} kept; {len(pairs)} connected pairs, "
                 f"{len(self.dropped_pairs)} never-connected pairs dropped; "
                 f"{len(self.panel)} pair-years."]
        for r in self.audit[self.audit["step"] != "panel"].itertuples():
            lines.append(f"  {r.step:<9} {r.reason:<26} {r.rows:>10}")
        return "\n".join(lines)

    def never_connected(self) -> pd.DataFrame:
        """The never-connected pairs with names (see :func:`never_connected_pairs`)."""
        return never_connected_pairs(self.dropped_pairs)

    def to_dict(self) -> dict[str, Any]:
        """The ingest block of ``results.json``.

        ``n_records``; ``audit`` (records of the full audit); ``never_connected`` (records
        ``origin, origin_name, destination, destination_name``); ``pairs`` (connected pairs) and
        ``pair_years`` (panel rows).
        """
        return to_jsonable({
            "n_records": self.n_records,
            "audit": self.audit.to_dict(orient="records"),
            "never_connected": self.never_connected().to_dict(orient="records"),
            "pairs": int(len(self.panel[["origin", "destination"]].drop_duplicates())),
            "pair_years": int(len(self.panel)),
        })

    def tables(self) -> dict[str, Table]:
        """``audit`` (for display), ``never_connected`` and ``attribution`` (when non-empty)."""
        shown, never = audit_display(self.audit, self.n_records, self.dropped_pairs)
        total_ok = int(self.audit["rows"].sum()) == self.n_records
        tables = {"audit": Table(
            shown, Text("Registry ingest audit", "企业登记数据导入审计"),
            Text("Every input record ends in exactly one row; the total row equals the "
                 f"{self.n_records:,} input records"
                 + ("" if total_ok else " (WARNING: the rows do not add up to it)") + ". "
                 f"{len(never)} origin–destination pairs never had a kept record in any year "
                 "(0 records each); they are summarised in one row and listed in the next table "
                 "and in results.json (ingest.never_connected).",
                 f"每条输入记录恰好计入一行；合计行等于 {self.n_records:,} 条输入记录"
                 + ("" if total_ok else "（警告：各行之和与之不符）") + "。"
                 f"{len(never)} 个投资方–被投资方组合在任何年份都没有保留下来的记录（各为 0 条）；"
                 "它们汇总为一行，并在下表和 results.json（ingest.never_connected）中列出。"))}
        if len(never):
            tables["never_connected"] = Table(
                never, Text("Pairs never connected", "从未有投资关联的组合"),
                Text("Origin → destination pairs without any kept record in the study years; "
                     "they are left out of the pair-year panel.",
                     "研究年份内没有任何保留记录的投资方 → 被投资方组合；它们不进入组合 × 年份面板。"))
        if len(self.attribution):
            shown_rules = self.attribution.assign(side=_bilingual(self.attribution["side"]),
                                                  rule=_bilingual(self.attribution["rule"]))
            tables["attribution"] = Table(
                shown_rules, Text("How firms were located", "企业所在城市的识别方式"),
                Text("For the kept records: which rule gave each firm's prefecture, per side "
                     "(investor / investee). Rules in order: 'city field' = the registry's city "
                     "column; 'uscc' = characters 3–8 (the registering area code) of a valid "
                     "unified social credit code; 'name' = the leftmost prefecture name in the "
                     "firm name. rows = records located by that rule.",
                     "对保留的记录：按投资方/被投资方分别列出确定企业所在地级市的规则。规则依次为："
                     "“城市字段” = 登记数据中的城市列；“统一社会信用代码” = 有效统一社会信用代码的第 "
                     "3–8 位（登记机关行政区划代码）；“企业名称” = 企业名称中最靠左的地级市名称。"
                     "行数 = 按该规则定位的记录数。"))
        return tables


def _transcode_to_utf8(path: Path, encoding: str, out_dir: str) -> Path:
    """Stream a GBK/GB18030 file into a UTF-8 copy (1 MiB chunks, bounded memory)."""
    out = Path(out_dir) / (path.stem + ".utf8.csv")
    with out.open("w", encoding="utf-8", newline="") as dst:
        for text in decode_chunks(path, encoding):
            dst.write(text)
    return out


def _text_expr(d: Dialect, col: str, dtype: str) -> str:
    """SQL turning a typed source column into text: ``440100.0`` -> ``'440100'``, NaN -> NULL.

    Parquet, Stata and spreadsheets store ids, codes and dates as numbers; the rules compare
    text, so every column is text from the door on (integral floats without their ``.0``).
    ``dtype`` is the engine's type name (DuckDB ``VARCHAR``/``DOUBLE``, Spark ``string``/
    ``double``...).
    """
    c = d.ident(col)
    t = dtype.upper()
    if t in ("VARCHAR", "STRING"):
        return c
    if t in ("DOUBLE", "FLOAT", "REAL") or t.startswith("DECIMAL"):
        x = f"cast({c} as double)"
        return (f"case when isnan({x}) then NULL when {x} = floor({x}) and abs({x}) < 1e15 "
                f"then cast(cast({x} as bigint) as string) else cast({c} as string) end")
    return f"cast({c} as string)"


def _csv_structure(path: Path, sep: str) -> tuple[str, int] | None:
    """Find the first structural CSV fault in one streaming pass: ``(problem, data row)``.

    Used only after DuckDB refused the file, whose message often lacks a line number
    ("Error when sniffing file"). ``data row`` is 0-based (row 0 = the first record).
    """
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=sep, quotechar='"', doublequote=True, strict=True)
        start = 1  # line on which the current record starts
        width = None  # fields in the header
        n = 0  # data records read so far = 0-based position of the current one
        try:
            for rec in reader:
                if width is None:
                    width = len(rec)
                elif rec:  # DuckDB skips blank lines too
                    if len(rec) != width:
                        return (f"line {start} has {len(rec)} field(s) but the header has "
                                f"{width}", n)
                    n += 1
                start = reader.line_num + 1
        except csv.Error as exc:
            where = f"line {start}" if width is not None else "the header (line 1)"
            problem = ("a quoted field is never closed (unbalanced \")"
                       if "end of data" in str(exc) or "EOF" in str(exc) else str(exc))
            return f"{where}: {problem}", n
    return None


def _csv_error(exc: Exception, csv_file: Path, path: Path, sep: str) -> InputError:
    """An :class:`InputError` naming the file, the line/row and the fix for a CSV DuckDB refused."""
    text = str(exc)
    fix = ("make every line have as many fields as the header and close every quote (\"); "
           "re-export the file as CSV")
    try:
        found = _csv_structure(csv_file, sep)
    except (OSError, UnicodeDecodeError):
        found = None
    if found is not None:
        problem, row = found
        return InputError(f"malformed CSV, {problem}", file=str(path), rows=[row], fix=fix)
    m = re.search(r"Line: (\d+)", text)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    if m:
        line = int(m.group(1))
        orig = re.search(r"Original Line: (.*)", text)
        detail = f" ({orig.group(1)[:80]!r})" if orig else ""
        return InputError(f"malformed CSV at line {line}{detail}: {first}", file=str(path),
                          rows=[max(line - 2, 0)], fix=fix)
    return InputError(f"cannot read the registry: {first}", file=str(path),
                      fix="check that the file is a valid CSV file (UTF-8 or GBK)")


def _is_empty(path: Path) -> bool:
    """True for a 0-byte file or one holding only whitespace and a byte-order mark."""
    size = path.stat().st_size
    if size == 0:
        return True
    if size > 4096:
        return False
    return not path.read_bytes().lstrip(b"\xef\xbb\xbf").strip()


_BOM = b"\xef\xbb\xbf"


def _csv_file(path: Path, tmp: str, *, spark: bool) -> tuple[Path, str]:
    """The UTF-8 CSV an engine reads (GBK/GB18030 transcoded; for Spark a BOM removed too)."""
    ext = file_suffix(path)
    sep = "\t" if ext == ".tsv" else ","
    if ext == ".csv.gz":
        return path, sep
    enc = detect_encoding(path)
    if enc != "utf-8-sig" or (spark and path.open("rb").read(3) == _BOM):
        return _transcode_to_utf8(path, enc, tmp), sep
    return path, sep


def _pandas_source(path: Path, ext: str) -> pd.DataFrame:
    if ext == ".dta":
        df = pd.read_stata(path, convert_categoricals=False)
    else:
        df = pd.read_excel(path, dtype=str)
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _load_source(eng: DuckRunner | SparkRunner, path: Path, tmp: str
                 ) -> tuple[list[str], tuple[Path, str] | None]:
    """Create the view ``src`` over the file, every column as text.

    Returns the columns and, for CSV input, ``(the UTF-8 file the engine reads, delimiter)`` so
    that later read errors can be located (see :func:`_csv_error`).
    """
    ext = file_suffix(path)
    if _is_empty(path):
        raise InputError("the file is empty (0 bytes, no header)", file=str(path),
                         fix="supply a file with a header row and at least one record")
    csv_src = None
    try:
        if ext in (".csv", ".txt", ".tsv", ".csv.gz"):
            csv_file, sep = _csv_file(path, tmp, spark=isinstance(eng, SparkRunner))
            csv_src = (csv_file, sep) if ext != ".csv.gz" else None
            typed = (_spark_csv(eng, csv_file, sep) if isinstance(eng, SparkRunner)
                     else _duck_csv(eng, csv_file, sep))
        elif ext in (".parquet", ".pq"):
            if isinstance(eng, SparkRunner):
                raw = eng.spark.read.parquet(str(path))
                raw.createOrReplaceTempView("src_raw")
                typed = [(c, t) for c, t in raw.dtypes]
            else:
                eng.exec("create view src_raw as select * from "
                         f"read_parquet({eng.d.lit(str(path))})")
                typed = _duck_types(eng)
        elif ext in (".xlsx", ".xls", ".dta"):
            df = _pandas_source(path, ext)
            if isinstance(eng, SparkRunner):
                typed = _spark_pandas(eng, df)
            else:
                eng.con.register("src_df", df)
                eng.exec("create view src_raw as select * from src_df")
                typed = _duck_types(eng)
        else:
            raise InputError(f"unknown file type '{ext}' for the registry", file=str(path),
                             fix="use .csv, .parquet, .xlsx or .dta")
        cols = [c for c, _ in typed]
        sql = ("select " + ", ".join(f"{_text_expr(eng.d, c, t)} as {eng.d.ident(c)}"
                                     for c, t in typed) + " from src_raw")
        if isinstance(eng, SparkRunner):
            eng.spark.sql(sql).createOrReplaceTempView("src")
        else:
            eng.exec(f"create view src as {sql}")
    except InputError:
        raise
    except Exception as exc:  # parser errors from DuckDB / Spark / pandas
        if csv_src is not None:
            raise _csv_error(exc, csv_src[0], path, csv_src[1]) from exc
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read the registry: {msg}", file=str(path),
                         fix="check that the file is a valid CSV/Parquet/Excel/Stata file") \
            from exc
    return cols, csv_src


def _duck_types(eng: DuckRunner) -> list[tuple[str, str]]:
    return [(r[0], str(r[1])) for r in eng.con.execute("describe src_raw").fetchall()]


def _duck_csv(eng: DuckRunner, csv_file: Path, sep: str) -> list[tuple[str, str]]:
    eng.exec(f"create view src_raw as select * from read_csv({eng.d.lit(str(csv_file))}, "
             f"header=true, all_varchar=true, delim=E'{sep.encode('unicode_escape').decode()}'"
             ", quote='\"', escape='\"')")
    return _duck_types(eng)


def _spark_csv(eng: SparkRunner, csv_file: Path, sep: str) -> list[tuple[str, str]]:
    # every field text, quotes as DuckDB reads them, a malformed line an error (not a NULL row)
    raw = (eng.spark.read.option("header", "true").option("sep", sep).option("quote", '"')
           .option("escape", '"').option("multiLine", "true").option("mode", "FAILFAST")
           .option("encoding", "UTF-8").option("inferSchema", "false").csv(str(csv_file)))
    raw.createOrReplaceTempView("src_raw")
    return [(c, "string") for c in raw.columns]


def _spark_pandas(eng: SparkRunner, df: pd.DataFrame) -> list[tuple[str, str]]:
    """A pandas table (Excel, Stata) as the Spark view ``src_raw``, typed as DuckDB sees it."""
    fields: list[str] = []
    cols: list[list[Any]] = []
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_bool_dtype(s):
            fields.append(f"{eng.d.ident(c)} boolean")
            cols.append([None if pd.isna(v) else bool(v) for v in s])
        elif pd.api.types.is_integer_dtype(s):
            fields.append(f"{eng.d.ident(c)} bigint")
            cols.append([None if pd.isna(v) else int(v) for v in s])
        elif pd.api.types.is_float_dtype(s):
            fields.append(f"{eng.d.ident(c)} double")
            cols.append([None if v is None else float(v) for v in s])  # NaN stays NaN
        elif pd.api.types.is_datetime64_any_dtype(s):
            fields.append(f"{eng.d.ident(c)} string")  # as DuckDB casts a timestamp to text
            cols.append([None if pd.isna(v) else v.strftime("%Y-%m-%d %H:%M:%S") for v in s])
        else:
            fields.append(f"{eng.d.ident(c)} string")
            cols.append([None if pd.isna(v) else str(v) for v in s])
    rows = list(zip(*cols, strict=True)) if cols else []
    with warnings.catch_warnings():  # pyspark warns about pandas 3; it gets plain tuples
        warnings.filterwarnings("ignore", category=FutureWarning, module="pyspark")
        raw = eng.spark.createDataFrame(rows, schema=", ".join(fields))
    raw.createOrReplaceTempView("src_raw")
    return [(c, t) for c, t in raw.dtypes]


def _city_from_field(d: Dialect, col: str) -> str:
    # '440100', '440100.0' (from spreadsheets) or a name; spaces removed
    c = f"replace(replace(trim({col}), ' ', ''), '　', '')"
    return f"(case when {full_match(d, c, '[0-9]{6}([.]0*)?')} then left({c}, 6) else {c} end)"


def _key_tables(eng: DuckRunner | SparkRunner) -> None:
    """Load the three small lookup tables into the engine."""
    ck = city_keys()
    nk, _ = name_keys()
    eng.register("city_keys", ck)
    eng.register("name_keys", nk)
    eng.register("adcode_keys", ck[ck["key"].str.fullmatch(r"\d{6}")])


@lru_cache(maxsize=1)
def _name_patterns() -> tuple[str, str]:
    nk, provinces = name_keys()
    keys_sorted = sorted(nk["key"], key=lambda k: (-len(k), k))  # longest first at a position
    name_re = "(" + "|".join(re.escape(k) for k in keys_sorted) + ")"
    prov_re = "(" + "|".join(re.escape(p) for p in provinces) + ")"
    return name_re, prov_re


def _firm_dimension(eng: DuckRunner | SparkRunner, source: str,
                    triples: Sequence[tuple[str, str, str]]) -> None:
    """Create table ``firms`` (city_raw, uscc_raw, name_raw -> pref, rule) by the three rules.

    ``triples`` are SQL expressions (city, uscc, name) over ``source``, one per side. The rules
    run once per *distinct* firm (firms repeat across records), in SQL: (1) the normalised city
    field against :func:`city_keys`; (2) a code with a valid check character, characters 3–8
    against the adcodes; (3) for firms still unresolved, the leftmost prefecture name (regular
    expression, longest names first, after removing province names).
    """
    d = eng.d
    name_re, prov_re = _name_patterns()
    # cast: one side's city may be numeric (adcodes) and the other text; union must not guess
    u = " union ".join(f"select distinct cast({c} as string) as city_raw, "
                       f"cast({u_} as string) as uscc_raw, cast({n} as string) as name_raw "
                       f"from {source}" for c, u_, n in triples)
    eng.table("fd", reused=True, sql="select city_raw, uscc_raw, name_raw, "
                    f"{_city_from_field(d, norm('city_raw'))} as cityv, "
                    f"upper(replace({norm('uscc_raw')}, ' ', '')) as usccv, "
                    f"{norm('name_raw')} as namev from ({u}) z")
    eng.table("fd_u", "select distinct usccv as v from fd where usccv is not null")
    eng.table("d_uscc", "select v, k.prefecture from fd_u x "
                        f"join adcode_keys k on k.key = substr(x.v, 3, 6) where {valid_sql('x.v')}")
    eng.table("fd12", "select f.*, c.prefecture as p1, u.prefecture as p2 "
                      "from fd f left join city_keys c on c.key = f.cityv "
                      "left join d_uscc u on u.v = f.usccv")
    unprov = d.replace_all("v", prov_re, "")
    eng.table("d_name", "select v, nk.prefecture from ("
                        f"select v, nullif(regexp_extract({unprov}, {d.lit(name_re)}, 1), '') "
                        "as key from (select distinct namev as v from fd12 "
                        "where p1 is null and p2 is null and namev is not null) w) y "
                        "join name_keys nk on nk.key = y.key")
    eng.table("firms", "select city_raw, uscc_raw, name_raw, "
                       "coalesce(p1, p2, n.prefecture) as pref, case when p1 is not null then "
                       "'city field' when p2 is not null then 'uscc' when n.prefecture is not "
                       "null then 'name' end as rule from fd12 f left join d_name n on "
                       "f.p1 is null and f.p2 is null and n.v = f.namev", reused=True)
    for t in ("fd", "fd_u", "d_uscc", "fd12", "d_name"):
        eng.drop(t)


def _firm_join(alias: str, city: str, uscc: str, name: str) -> str:
    """Join the firm dimension on the raw triple (NULL-safe)."""
    return (f"left join firms {alias} on {alias}.city_raw is not distinct from "
            f"cast({city} as string) "
            f"and {alias}.uscc_raw is not distinct from cast({uscc} as string) "
            f"and {alias}.name_raw is not distinct from cast({name} as string)")


def locate_firms(firms: pd.DataFrame) -> pd.DataFrame:
    """Apply the three city rules to a table of firms (same SQL as :func:`ingest_registry`).

    Parameters
    ----------
    firms : DataFrame
        ``name`` and optional ``city`` and ``uscc`` columns.

    Returns
    -------
    DataFrame
        ``prefecture`` (adcode or <NA>) and ``rule`` (``city field``, ``uscc``, ``name`` or <NA>),
        aligned with ``firms``.
    """
    import duckdb

    require_columns(firms, ["name"], what="firms table")
    df = pd.DataFrame({
        "n": np.arange(len(firms)),
        "name": firms["name"].astype("string").to_numpy(),
        "city": (firms["city"].astype("string").to_numpy() if "city" in firms
                 else pd.array([pd.NA] * len(firms), dtype="string")),
        "uscc": (firms["uscc"].astype("string").to_numpy() if "uscc" in firms
                 else pd.array([pd.NA] * len(firms), dtype="string")),
    })
    con = duckdb.connect()
    try:
        eng = DuckRunner(con)
        _key_tables(eng)
        con.register("firms_df", df)
        _firm_dimension(eng, "firms_df", [("city", "uscc", "name")])
        res = con.execute("select n, f.pref as x_pref, f.rule as x_rule from firms_df t "
                          f"{_firm_join('f', 't.city', 't.uscc', 't.name')} order by n").df()
    finally:
        con.close()
    return pd.DataFrame({"prefecture": res["x_pref"].astype("string").to_numpy(),
                         "rule": res["x_rule"].astype("string").to_numpy()}, index=firms.index)


def ingest_registry(
    path: str | Path,
    *,
    origins: str | Sequence[str],
    destinations: str | Sequence[str],
    years: tuple[int, int] = (2000, 2018),
    industry: Industry = "manufacturing",
    kind: Kind = "shareholding",
    columns: str | Mapping[str, str] | None = None,
    engine: Engine = "duckdb",
    spark_master: str | None = None,
    memory_limit: str = "1500MB",
    threads: int | None = None,
) -> IngestResult:
    """Read registry records and build the pair-year panel with its audit.

    Parameters
    ----------
    path : str or Path
        Registry records: CSV (UTF-8 or GBK/GB18030, detected), Parquet, Excel or Stata.
    origins, destinations : str or sequence of str
        Investor and investee cities: adcodes, names or groups (``"PRD"``, ``"EWN"``...).
    years : (int, int)
        Inclusive panel years.
    industry : {"manufacturing", "all"}
        Keep manufacturing (GB/T 4754 divisions 13–43) or every industry.
    kind : {"shareholding", "branch"}
        Which record kind to count (seed 003 Table 5 uses branches).
    columns : str or mapping, optional
        ``{file column: canonical}`` or ``"原列名=canonical,..."``.
    engine : {"duckdb", "spark"}
        Where the rules run: embedded DuckDB, or Spark (``pip install 'pairnet[spark]'`` and a
        Java runtime). Both run the same SQL and give identical results.
    spark_master : str, optional
        Spark master URL (``local[4]``, ``spark://host:7077``, ``yarn``); default the
        ``SPARK_MASTER`` environment variable, else ``local[2]``. An active session is reused.
    memory_limit : str
        DuckDB memory limit (larger inputs spill to a temporary folder).
    threads : int, optional
        DuckDB threads (default: DuckDB's choice).

    Returns
    -------
    IngestResult

    Raises
    ------
    InputError
        Missing file, unreadable file, a required column missing, no records, unknown city,
        Spark requested but pyspark or Java missing.
    """
    from pairnet.spatial.cities import resolve_cities

    check_literal(industry, Industry, "industry")
    check_literal(kind, Kind, "kind")
    check_literal(engine, Engine, "engine")
    y0, y1 = int(years[0]), int(years[1])
    if y0 > y1:
        raise InputError(f"first year {y0} after last year {y1}", file="`years`",
                         fix="write the range as FIRST-LAST, e.g. 2000-2018")
    orig = resolve_cities(origins, argument="`origins`")
    dest = resolve_cities(destinations, argument="`destinations`")
    mapping = parse_column_map(columns)
    path = Path(path)
    if not path.exists():
        raise InputError("registry file not found", file=str(path), fix="check the path")
    rules = (orig, dest, y0, y1, industry, kind, mapping)
    if engine == "spark":
        return _ingest_spark(path, spark_master, rules)

    import duckdb

    with tempfile.TemporaryDirectory(prefix="pairnet-ingest-") as tmp:
        con = duckdb.connect()
        eng = DuckRunner(con)
        try:
            eng.exec(f"set memory_limit = {eng.d.lit(memory_limit)}")
            eng.exec(f"set temp_directory = {eng.d.lit(tmp)}")
            eng.exec("set preserve_insertion_order = false")
            if threads:
                eng.exec(f"set threads = {int(threads)}")
            return _run(eng, path, tmp, *rules)
        except (duckdb.ConversionException, duckdb.InvalidInputException,
                duckdb.OutOfMemoryException) as exc:
            msg = str(exc).strip().splitlines()[0]
            raise InputError(f"cannot process the registry: {msg}", file=str(path),
                             fix="check the column types (text columns) or raise "
                                 "memory_limit") from exc
        finally:
            con.close()


def _ingest_spark(path: Path, master: str | None, rules: tuple) -> IngestResult:
    spark = spark_session(master)
    eng = SparkRunner(spark)
    with tempfile.TemporaryDirectory(prefix="pairnet-ingest-") as tmp:
        try:
            return _run(eng, path, tmp, *rules)
        except InputError:
            raise
        except Exception as exc:  # Spark analysis/runtime errors on the user's data
            if type(exc).__module__.split(".")[0] not in ("pyspark", "py4j"):
                raise
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise InputError(f"cannot process the registry on Spark: {first[:300]}",
                             file=str(path), fix="check the file and the column types") from exc
        finally:
            eng.close()
            for v in ("src", "src_raw", "city_keys", "name_keys", "adcode_keys"):
                spark.catalog.dropTempView(v)


def _run(eng: DuckRunner | SparkRunner, path: Path, tmp: str, orig: list[str],
         dest: list[str], y0: int, y1: int, industry: str, kind: str,
         mapping: dict[str, str]) -> IngestResult:
    d = eng.d
    cols, csv_src = _load_source(eng, path, tmp)
    stripped = {c.strip(): c for c in cols}
    unknown = [s for s in mapping if s not in stripped]
    if unknown:
        raise InputError(f"`columns` names column(s) not in the file: {', '.join(unknown)} "
                         f"(found: {', '.join(stripped)})", file=str(path), column=unknown[0],
                         fix="use the file's own header names on the left of '='")
    canon: dict[str, str] = {}  # canonical -> source column
    for c in cols:
        target = mapping.get(c.strip(), c.strip())
        if target in CANONICAL and target not in canon:
            canon[target] = c
    required = list(REQUIRED) + (["industry_code"] if industry == "manufacturing" else [])
    missing = [c for c in required if c not in canon]
    if missing:
        raise InputError(
            f"the registry lacks required column(s) {', '.join(missing)} "
            f"(found: {', '.join(map(str, cols))})", file=str(path), column=missing[0],
            fix="rename the column(s) in the file or map them (e.g. `columns` 原列名=canonical)")
    try:  # reads the whole file: rows past the engine's sniffing sample are checked here
        n_records = int(eng.rows("select count(*) from src")[0][0])
    except Exception as exc:
        if csv_src is None:
            raise
        raise _csv_error(exc, csv_src[0], path, csv_src[1]) from exc
    if n_records == 0:
        raise InputError("the registry has no records", file=str(path),
                         fix="supply a file with a header and at least one record")

    _key_tables(eng)

    def raw(c: str) -> str:
        return d.ident(canon[c]) if c in canon else "NULL"

    # 1. exact duplicates: one row per distinct record, n_copies = how often it occurs
    all_cols = ", ".join(d.ident(c) for c in cols)
    eng.table("rec", f"select {all_cols}, count(*) as n_copies from src group by {all_cols}",
              reused=True)
    sides = ("investor", "investee")

    # 2. small dimensions, each rule evaluated once per distinct value
    eng.table("d_date", f"select v, {year_sql('x', d)} as yr from ("
                        f"select v, {norm('v')} as x from (select distinct {raw('date')} as v "
                        "from rec) a) b where v is not null")
    two = f"regexp_extract(x, {d.lit('^[A-Z]?([0-9]{2})')}, 1)"
    div = f"(case when {two} <> '' then cast({two} as integer) end)"
    sect = f"regexp_extract(x, {d.lit('^([A-Z])$')}, 1)"
    eng.table("d_ind", "select v, "
                       f"case when {div} is not null then {div} between 13 and 43 "
                       f"when {sect} <> '' then {sect} = 'C' else NULL end as is_manuf from ("
                       f"select v, upper(replace({norm('v')}, ' ', '')) as x from ("
                       f"select distinct {raw('industry_code')} as v from rec) a) b "
                       "where v is not null")
    share = ", ".join(d.lit(k) for k in ("shareholding", "shareholder", "equity", "股权", "股东",
                                         "股东出资", "投资"))
    branch = ", ".join(d.lit(k) for k in ("branch", "branch office", "分支机构", "分公司"))
    kind_sql = (f"case when x in ({share}) then 'shareholding' "
                f"when x in ({branch}) then 'branch' else 'other' end")
    eng.table("d_kind", f"select v, {kind_sql} as kind_n from ("
                        f"select v, lower(coalesce({norm('v')}, 'shareholding')) as x from ("
                        f"select distinct {raw('kind')} as v from rec) a) b")
    eng.table("d_type", "select v, "
                        f"coalesce({contains(d, 'lower(v)', '自然人|natural')}, false) as "
                        "is_natural from ("
                        f"select distinct cast({raw('investor_type')} as string) as v from rec) a")
    triples = [(raw(f"{s}_city"), raw(f"{s}_uscc"), raw(f"{s}_name")) for s in sides]
    _firm_dimension(eng, "rec", triples)

    o_list = ", ".join(d.lit(c) for c in orig)
    d_list = ", ".join(d.lit(c) for c in dest)
    ind_cond = ""
    if industry == "manufacturing":
        ind_cond = ("when i.is_manuf is null then 'industry|missing industry' "
                    "when not i.is_manuf then 'industry|non-manufacturing' ")

    def rr(c: str) -> str:
        return f"r.{d.ident(canon[c])}" if c in canon else "NULL"

    fj = " ".join(_firm_join(f"f_{s}", rr(f"{s}_city"), rr(f"{s}_uscc"), rr(f"{s}_name"))
                  for s in sides)
    eng.table(
        "classified",
        "select r.n_copies, f_investor.pref as o, f_investee.pref as d, dd.yr as year, "
        "f_investor.rule as o_rule, f_investee.rule as d_rule, case "
        f"when k.kind_n <> {d.lit(kind)} then 'kind|other kind' "
        "when coalesce(ty.is_natural, false) then 'investor|natural person' "
        "when dd.yr is null then 'date|unparseable date' "
        f"when dd.yr < {y0} or dd.yr > {y1} then 'date|year out of range' "
        f"{ind_cond}"
        "when f_investor.pref is null then 'city|unresolved investor city' "
        "when f_investee.pref is null then 'city|unresolved investee city' "
        f"when f_investor.pref not in ({o_list}) then 'pair|outside origin set' "
        f"when f_investee.pref not in ({d_list}) then 'pair|outside destination set' "
        "when f_investor.pref = f_investee.pref then 'pair|same city' "
        "else 'kept|kept' end as outcome from rec r "
        f"left join d_date dd on dd.v is not distinct from {rr('date')} "
        f"left join d_ind i on i.v is not distinct from {rr('industry_code')} "
        f"left join d_kind k on k.v is not distinct from {rr('kind')} "
        f"left join d_type ty on ty.v is not distinct from cast({rr('investor_type')} as string) "
        f"{fj}", reused=True)
    eng.drop("rec")

    counts = eng.rows("select outcome, count(*), sum(n_copies - 1) from classified "
                      "group by outcome")
    by = {k: int(v) for k, v, _ in counts}
    by["dedupe|duplicate"] = int(sum(int(x) for _, _, x in counts))
    audit_rows = [(st, rs, int(by.get(f"{st}|{rs}", 0))) for st, rs in AUDIT_ORDER
                  if not (industry == "all" and st == "industry")]
    kept = pd.DataFrame(eng.rows(
        "select o, d, year, count(*) from classified where outcome = 'kept|kept' "
        "group by o, d, year order by o, d, year"),
        columns=["origin", "destination", "year", "n"])
    attribution = pd.DataFrame(eng.rows(
        "select side, rule, n from (select 'investor' as side, o_rule as rule, count(*) as n "
        "from classified where outcome = 'kept|kept' group by o_rule union all "
        "select 'investee' as side, d_rule as rule, count(*) as n from classified "
        "where outcome = 'kept|kept' group by d_rule) a order by side, rule"),
        columns=["side", "rule", "rows"])

    panel, dropped = _balance(kept, orig, dest, y0, y1)
    audit_rows += [("panel", f"never connected: {o}-{x}", 0)
                   for o, x in zip(dropped["origin"], dropped["destination"], strict=True)]
    audit = pd.DataFrame(audit_rows, columns=["step", "reason", "rows"])
    audit["rows"] = audit["rows"].astype("int64")
    attribution["rows"] = attribution["rows"].astype("int64")
    return IngestResult(panel=panel, audit=audit, dropped_pairs=dropped, n_records=n_records,
                        attribution=attribution)


def _balance(kept: pd.DataFrame, orig: list[str], dest: list[str], y0: int,
             y1: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Zero-fill every origin≠destination pair × year; drop (and list) never-connected pairs."""
    pairs = pd.DataFrame([(o, d) for o in orig for d in dest if o != d],
                         columns=["origin", "destination"])
    years = pd.DataFrame({"year": range(y0, y1 + 1)})
    full = pairs.merge(years, how="cross")
    kept = kept.astype({"origin": "string", "destination": "string", "year": "int64"})
    full = full.astype({"origin": "string", "destination": "string", "year": "int64"})
    panel = full.merge(kept, on=["origin", "destination", "year"], how="left")
    panel["count"] = panel["n"].fillna(0).astype("int64")
    panel = panel.drop(columns="n")
    total = panel.groupby(["origin", "destination"], sort=False)["count"].transform("sum")
    dropped = (panel.loc[total == 0, ["origin", "destination"]].drop_duplicates()
               .reset_index(drop=True))
    dropped["reason"] = "never connected"
    panel = panel[total > 0].reset_index(drop=True)
    return panel, dropped
