"""Land transactions → county-year panel of industrial land sold inside/outside co-built parks.

Seed 003 §5 (data processing, steps 1–8) turns China Land Market (中国土地市场网) transactions into
a panel of county ``c`` × year ``t`` × park ``p`` (parcel inside a co-built park or not) with the
log of industrial and warehouse land (工矿仓储用地) sold. Every input record ends in exactly one
row of the audit (``step, reason, rows``): a record dropped by several rules is counted once, at
the first step that drops it, and the records that survive end in one ``kept`` row.

Order of the steps. The paper's step 1 keeps the prefectures of the study region, which needs the
county of each record, and the county is only completed at its step 5 (missing county codes are
filled from the first six digits of the electronic supervision number, 电子监管号). The county rule
is therefore computed first and used by step 1; records whose county cannot be determined at all
are dropped at step 1 ("county code missing or unknown"). Step 5 itself then drops nothing; how
many codes it filled is reported in ``info["county_from_supervision_no"]``.

Duplicates (step 0, before the paper's steps). A record repeated identically (equal in every
column, missing cells counting as equal) is one transaction listed twice: the first copy is kept
and the others are audited as ``duplicate record (identical in every column)``. The electronic
supervision number (电子监管号) identifies a transaction, so among the remaining records a
non-empty ``supervision_no`` (compared without whitespace) seen before is also a repeat, re-listed
with some field changed (a corrected area or date): the first record in input order is kept and
the rest are audited as ``duplicate supervision_no (first kept)``. Records whose
``supervision_no`` is empty are never matched on it.

Empty cells. The outcome is the log of a sum of parcel areas, defined only where parcels were sold.
The paper aggregates the parcels (step 8) and takes logs, so a county-year-park cell without any
parcel is simply not an observation (Figure 4's means are over the cells that exist). That is the
default ``empty="drop"``. ``empty="log1p"`` instead completes the county × year × park grid with
zero area and uses ``log(1 + area_ha)`` for every cell, a sensitivity check, not the paper.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from pairnet.core.errors import InputError
from pairnet.core.i18n import Text
from pairnet.core.options import check_literal
from pairnet.core.tables import numeric_column, read_table, require_columns

from .dates import parse_dates  # the one date rule, shared with the registry ingest

__all__ = [
    "LAND_COLUMNS",
    "GBT21010_CLASSES",
    "SECOND_LEVEL",
    "INDUSTRIAL",
    "CLASS_ENGLISH",
    "DEFAULT_PARK_PATTERNS",
    "MIN_AREA_HA",
    "EmptyCells",
    "LandCleaning",
    "normalize_land_use",
    "classify_land_use",
    "parse_dates",
    "county_codes",
    "is_park",
    "read_land",
    "clean_land",
    "aggregate_panel",
]

LAND_COLUMNS = ("supervision_no", "county", "location", "land_use", "supply_method", "area_ha",
                "date")
EmptyCells = Literal["drop", "log1p"]
MIN_AREA_HA = 0.01
DEFAULT_PARK_PATTERNS: tuple[str, ...] = ("产业转移工业园",)

#: The 12 first-level classes of GB/T 21010-2017 《土地利用现状分类》, in code order 01–12.
GBT21010_CLASSES: tuple[str, ...] = (
    "耕地", "园地", "林地", "草地", "商服用地", "工矿仓储用地", "住宅用地",
    "公共管理与公共服务用地", "特殊用地", "交通运输用地", "水域及水利设施用地", "其他土地",
)
INDUSTRIAL = "工矿仓储用地"
#: The classes' English names (the audit's English text).
CLASS_ENGLISH: dict[str, str] = dict(zip(GBT21010_CLASSES, (
    "cultivated land", "garden land", "forest land", "grassland", "commercial and service land",
    "industrial, mining and storage land", "residential land",
    "public administration and service land", "special-use land", "transport land",
    "water and water-conservancy land", "other land"), strict=True))

_SECOND = {
    "耕地": "水田 水浇地 旱地",
    "园地": "果园 茶园 橡胶园 其他园地",
    "林地": "乔木林地 竹林地 红树林地 森林沼泽 灌木林地 灌丛沼泽 其他林地 有林地",
    "草地": "天然牧草地 沼泽草地 人工牧草地 其他草地",
    # 2017 names, then the 2007 names still used by 中国土地市场网 (批发零售, 住宿餐饮)
    "商服用地": "零售商业用地 批发市场用地 餐饮用地 旅馆用地 商务金融用地 娱乐用地 其他商服用地 "
                "批发零售用地 住宿餐饮用地 商业用地 商业服务业设施用地 商服",
    "工矿仓储用地": "工业用地 采矿用地 盐田 仓储用地 物流仓储用地 工矿用地",
    # 2017 names, then the housing types the land-market site records under 城镇住宅用地
    "住宅用地": "城镇住宅用地 农村宅基地 普通商品住房用地 其他普通商品住房用地 "
                "中小套型普通商品住房用地 经济适用住房用地 廉租住房用地 公共租赁住房用地 "
                "限价商品住房用地 限价普通商品住房用地 高档住宅用地 商品住房用地 "
                "城镇混合住宅用地 棚户区改造用地 住宅",
    "公共管理与公共服务用地": "机关团体用地 新闻出版用地 教育用地 科研用地 医疗卫生用地 社会福利用地 "
                              "文化设施用地 体育用地 公用设施用地 公园与绿地 科教用地 医卫慈善用地 "
                              "文体娱乐用地 公共设施用地",
    "特殊用地": "军事设施用地 使领馆用地 监教场所用地 宗教用地 殡葬用地 风景名胜设施用地",
    "交通运输用地": "铁路用地 轨道交通用地 公路用地 城镇村道路用地 交通服务场站用地 农村道路 "
                    "机场用地 港口码头用地 管道运输用地 街巷用地",
    "水域及水利设施用地": "河流水面 湖泊水面 水库水面 坑塘水面 沿海滩涂 内陆滩涂 沟渠 沼泽地 "
                          "水工建筑用地 冰川及永久积雪",
    "其他土地": "空闲地 设施农用地 田坎 盐碱地 沙地 裸土地 裸岩石砾地",
}
#: Second-level (and common land-market) names → first-level class of GB/T 21010-2017.
SECOND_LEVEL: dict[str, str] = {
    name: cls for cls, names in _SECOND.items() for name in names.split()
} | {cls: cls for cls in GBT21010_CLASSES}

# Keyword fallback for names not in the table (e.g. "工业", "标准厂房用地"). A string that hits
# keywords of two classes (e.g. "商住用地") is ambiguous and left unclassified.
_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("工矿仓储用地", r"工业|工矿|仓储|采矿|厂房|矿山"),
    ("住宅用地", r"住宅|住房|宅基地"),
    ("商服用地", r"商服|商业|商务|批发|零售|餐饮|旅馆|住宿|娱乐|金融"),
    ("公共管理与公共服务用地", r"机关|教育|科研|医疗|医卫|卫生|福利|文化|体育|公用设施|公共设施|绿地"),
    ("特殊用地", r"军事|宗教|殡葬|监教|风景名胜"),
    ("交通运输用地", r"铁路|公路|道路|机场|港口|码头|交通|街巷"),
    ("水域及水利设施用地", r"水利|水工|水面|滩涂|沟渠"),
    ("耕地", r"耕地|水田|旱地"),
    ("林地", r"林地"),
    ("园地", r"园地|果园|茶园"),
    ("草地", r"草地"),
)
_CODES = {f"{i + 1:02d}": cls for i, cls in enumerate(GBT21010_CLASSES)}
_BRACKETS = re.compile(r"[(\[【〔{<].*?[)\]】〕}>]")
_INSIDE = re.compile(r"[(\[【〔{<](.*?)[)\]】〕}>]")


def normalize_land_use(values: pd.Series) -> pd.Series:
    """NFKC (full-width brackets, digits and spaces → ASCII) and remove all whitespace."""
    s = values.astype("string")
    uniq = s.dropna().unique()
    m = {v: re.sub(r"\s+", "", unicodedata.normalize("NFKC", v)) for v in uniq}
    return s.map(m).astype("string")


def _classify_one(text: str) -> str | None:
    if not text:
        return None
    # a bare GB/T code: "06", "0601"
    if re.fullmatch(r"\d{2}|\d{4}", text):
        return _CODES.get(text[:2])
    text = re.sub(r"^\d{2,4}[.、:\-]?", "", text)  # "0601工业用地", "06.工矿仓储用地"
    outer = _BRACKETS.sub("", text)
    inner = [t for t in _INSIDE.findall(text) if t]
    for cand in (text, outer, *inner):
        if cand in SECOND_LEVEL:
            return SECOND_LEVEL[cand]
    for cand in (outer, *inner):
        hits = {cls for cls, pat in _KEYWORDS if re.search(pat, cand)}
        if len(hits) == 1:
            return hits.pop()
        if len(hits) > 1:
            return None
    return None


def classify_land_use(values: pd.Series) -> pd.Series:
    """Map land-use strings to the 12 first-level classes of GB/T 21010-2017 (else ``<NA>``).

    Rules, in order, on the whitespace-free NFKC form: a bare code ("06", "0601"); the whole
    string, the string without bracketed parts ("工业用地(工业)" → "工业用地") and each bracketed part
    looked up among the first- and second-level names (2017 and the 2007 names the land-market
    site still uses: 批发零售用地, 住宿餐饮用地, 科教用地, 普通商品住房用地 ...); then keywords of a
    single class (two classes' keywords, as in "商住用地", leave it unclassified).
    """
    norm = normalize_land_use(values)
    uniq = norm.dropna().unique()
    m = {v: _classify_one(v) for v in uniq}
    return norm.map(m).astype("string")


def _digits6(values: pd.Series) -> pd.Series:
    s = values.astype("string").str.strip().str.replace(r"\.0+$", "", regex=True)
    return s.where(s.str.fullmatch(r"\d{6}").fillna(False))


def _supervision_key(values: pd.Series) -> pd.Series:
    """``supervision_no`` without whitespace (NFKC); empty → ``<NA>`` (never matched)."""
    s = normalize_land_use(values)
    return s.where(s.str.len() > 0)


def county_codes(county: pd.Series, supervision_no: pd.Series,
                 known: Sequence[str] | set[str]) -> tuple[pd.Series, pd.Series]:
    """County code of each record (seed 003 §5 step 5) and where it came from.

    ``county`` when it is a known 6-digit adcode, else the first six digits of the electronic
    supervision number (电子监管号, whose first six digits are the county code) when those are a
    known adcode, else ``<NA>``.

    Returns
    -------
    (codes, source)
        ``source`` is ``"county"``, ``"supervision_no"`` or ``<NA>``.
    """
    known = set(known)
    c = _digits6(county)
    c = c.where(c.isin(known))
    sup = supervision_no.astype("string").str.strip().str.replace(r"\s+", "", regex=True)
    sup6 = sup.str.extract(r"^(\d{6})", expand=False).astype("string")
    sup6 = sup6.where(sup6.isin(known))
    codes = c.fillna(sup6).astype("string")
    source = pd.Series(pd.NA, index=county.index, dtype="string")
    source = source.mask(c.notna(), "county").mask(c.isna() & sup6.notna(), "supervision_no")
    return codes, source


def is_park(location: pd.Series, patterns: Sequence[str]) -> pd.Series:
    """1 if the project location (项目位置) contains any pattern (whitespace ignored), else 0."""
    loc = normalize_land_use(location).fillna("")
    hit = pd.Series(False, index=location.index)
    for p in patterns:
        p = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(p)))
        if p:
            hit |= loc.str.contains(p, regex=False)
    return hit.astype("int64")


def read_land(path: str | Path, *, columns: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read land transactions (CSV UTF-8/GBK, Parquet, Excel) and check the canonical columns.

    Raises
    ------
    InputError
        Missing file/column, or a non-numeric ``area_ha``.
    """
    columns = dict(columns or {})
    unknown = [dst for dst in columns.values() if dst not in LAND_COLUMNS]
    if unknown:
        raise InputError(f"`columns` maps to {unknown[0]!r}, which is not a land column",
                         file="`columns`",
                         fix=f"map file columns onto {', '.join(LAND_COLUMNS)}")
    twice = sorted({d for d in columns.values() if list(columns.values()).count(d) > 1})
    if twice:
        raise InputError(f"`columns` maps two file columns onto {twice[0]!r}",
                         file="`columns`", fix="map exactly one file column onto each")
    text_cols = ("supervision_no", "county", "location", "land_use", "supply_method", "date")
    sources = [src for src, dst in columns.items() if dst in text_cols]
    # read without renaming, so a mapping naming no column of the file is caught
    df = read_table(path, what="land transactions", string_cols=(*text_cols, *sources))
    absent = [src for src in columns if src not in df.columns]
    if absent:
        raise InputError(f"`columns` names column {absent[0]!r}, which the file does not have",
                         file=str(path), column=absent[0],
                         fix=f"use the file's column names: {', '.join(map(str, df.columns))}")
    clash = [dst for src, dst in columns.items()
             if dst in df.columns and dst != src and dst not in columns]
    if clash:
        raise InputError(f"`columns` renames a column to {clash[0]!r}, but the file already "
                         "has that column", file=str(path), column=clash[0],
                         fix="drop that mapping, or rename the file's own column")
    df = df.rename(columns=columns)
    require_columns(df, LAND_COLUMNS, file=str(path), what="land transactions")
    df["area_ha"] = numeric_column(df, "area_ha", file=str(path))
    return df


@dataclass(frozen=True)
class LandCleaning:
    """The result of :func:`clean_land`.

    Attributes
    ----------
    records : DataFrame
        Kept parcels with ``county, prefecture, year, park, area_ha`` and the original columns.
    panel : DataFrame
        ``county, year, park, area_ha, parcels, log_area``.
    audit : DataFrame
        ``step, reason, rows``; ``rows`` sums to the number of input records. ``reason`` is a
        :class:`~pairnet.core.i18n.Text` (English in files, Chinese in a Chinese report).
    unclassified : DataFrame
        ``land_use, count``: strings no class could be given (in the window and region).
    info : dict
        Settings and counts (years, cities, patterns, empty-cell rule, fills, class counts).
    """

    records: pd.DataFrame
    panel: pd.DataFrame
    audit: pd.DataFrame
    unclassified: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """The audit as text."""
        lines = [f"{'step':>4}  {'rows':>8}  reason"]
        lines += [f"{r.step:>4}  {r.rows:>8}  {r.reason}" for r in self.audit.itertuples()]
        lines.append(f"panel: {len(self.panel)} county-year-park cells, "
                     f"{self.panel['county'].nunique()} counties")
        return "\n".join(lines)


def aggregate_panel(records: pd.DataFrame, *, empty: EmptyCells = "drop",
                    years: tuple[int, int] | None = None) -> pd.DataFrame:
    """Step 8: sum parcels by ``county, year, park`` → ``area_ha, parcels, log_area``.

    ``empty="drop"`` (the paper): only cells with parcels, ``log_area = log(area_ha)``.
    ``empty="log1p"``: the full county × year × park grid (``years`` or the observed span), empty
    cells with zero area, ``log_area = log(1 + area_ha)`` for all cells.
    """
    check_literal(empty, EmptyCells, "empty")
    g = (records.groupby(["county", "year", "park"], observed=True)
         .agg(area_ha=("area_ha", "sum"), parcels=("area_ha", "size")).reset_index())
    if empty == "drop":
        g["log_area"] = np.log(g["area_ha"].astype(float))
    else:
        first, last = years if years is not None else (int(g["year"].min()), int(g["year"].max()))
        grid = pd.MultiIndex.from_product(
            [sorted(g["county"].unique()), range(first, last + 1), [0, 1]],
            names=["county", "year", "park"]).to_frame(index=False)
        grid["county"] = grid["county"].astype("string")
        g = grid.merge(g, on=["county", "year", "park"], how="left")
        g["area_ha"] = g["area_ha"].fillna(0.0)
        g["parcels"] = g["parcels"].fillna(0).astype("int64")
        g["log_area"] = np.log1p(g["area_ha"].astype(float))
    g["county"] = g["county"].astype("string")
    g["year"] = g["year"].astype("int64")
    g["park"] = g["park"].astype("int64")
    g["parcels"] = g["parcels"].astype("int64")
    return g.sort_values(["county", "year", "park"]).reset_index(drop=True)[
        ["county", "year", "park", "area_ha", "parcels", "log_area"]]


def clean_land(
    df: pd.DataFrame,
    *,
    cities: str | Sequence[str] = "EWN",
    years: tuple[int, int] = (2011, 2020),
    park_patterns: Sequence[str] = DEFAULT_PARK_PATTERNS,
    empty: EmptyCells = "drop",
    min_area: float = MIN_AREA_HA,
    file: str | None = None,
) -> LandCleaning:
    """Seed 003 §5 steps 1–8, after removing duplicates (step 0), with an audit of every record.

    Parameters
    ----------
    df : DataFrame
        Canonical columns :data:`LAND_COLUMNS` (see :func:`read_land`).
    cities : str or sequence
        Prefectures whose counties are kept (ids, names or groups; default the 12 EWN cities).
    years : (int, int)
        Inclusive year window of the transaction date (default 2011–2020).
    park_patterns : sequence of str
        A parcel is in a co-built park when ``location`` contains any of them.
    empty : {"drop", "log1p"}
        Treatment of county-year-park cells without parcels (see the module docstring).
    min_area : float
        Step 2 threshold in hectares (parcels strictly below are dropped).

    Returns
    -------
    LandCleaning
    """
    from pairnet.spatial.cities import admin_index, prefecture_of, resolve_cities

    check_literal(empty, EmptyCells, "empty")
    missing = [c for c in LAND_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"land transactions lack column(s) {', '.join(missing)}", file=file,
                         column=missing[0], fix="rename or map them with `columns`")
    patterns = [p for p in park_patterns if str(p).strip()]
    if not patterns:
        raise InputError("no park pattern given", file="`park_patterns`",
                         fix="pass at least one pattern, e.g. 产业转移工业园")
    prefectures = resolve_cities(cities, level="prefecture", argument="`cities`")
    idx = admin_index()
    known = idx.loc[idx["level"].isin(["county", "prefecture"]), "adcode"]

    n = len(df)
    d = df.reset_index(drop=True)
    area = numeric_column(d, "area_ha", file=file)
    date = parse_dates(d["date"])
    year = date.dt.year
    county, source = county_codes(d["county"], d["supervision_no"], set(known))
    pref = prefecture_of(county)
    land_class = classify_land_use(d["land_use"])
    supply = normalize_land_use(d["supply_method"]).fillna("")
    park = is_park(d["location"], patterns)

    alive = np.ones(n, dtype=bool)
    audit: list[tuple[int, Text, int]] = []

    def drop(step: int, reason: Text, mask: Any) -> None:
        m = np.asarray(mask, dtype=bool) & alive
        audit.append((step, reason, int(m.sum())))
        alive[m] = False

    # step 0: repeats of one transaction (see the module docstring); the first copy is kept
    exact = d.duplicated(keep="first").to_numpy() if n else np.zeros(0, dtype=bool)
    drop(0, Text("duplicate record (identical in every column)", "重复记录（各列完全相同）"), exact)
    sup_key = _supervision_key(d["supervision_no"])
    sup_dup = np.zeros(n, dtype=bool)
    has_key = (sup_key.notna() & pd.Series(alive)).to_numpy()
    if has_key.any():
        sup_dup[has_key] = sup_key[has_key].duplicated(keep="first").to_numpy()
    drop(0, Text("duplicate supervision_no (first kept)", "电子监管号重复（保留第一条）"), sup_dup)
    n_exact, n_sup = audit[0][2], audit[1][2]

    first, last = years
    drop(1, Text("date unparseable", "日期无法解析"), date.isna().to_numpy())
    drop(1, Text(f"year outside {first}-{last}", f"年份不在 {first}–{last} 年内"),
         ((year < first) | (year > last)).fillna(False).to_numpy())
    drop(1, Text("county code missing or unknown (county and supervision_no)",
                 "区县代码缺失或无法识别（区县与电子监管号均无法确定）"),
         county.isna().to_numpy())
    drop(1, Text("county outside the study cities", "区县不在研究城市内"),
         ~pref.isin(prefectures).fillna(False).to_numpy())
    drop(2, Text("area missing", "面积缺失"), area.isna().to_numpy())
    # "inf" parses as a number but is no area; audited here so no record vanishes unnamed
    drop(2, Text("area not a finite number (inf)", "面积不是有限数值（无穷大）"),
         (area.notna() & ~np.isfinite(area.astype(float))).to_numpy())
    drop(2, Text(f"area under {min_area:g} ha", f"面积小于 {min_area:g} 公顷"),
         (area < min_area).fillna(False).to_numpy())
    unclassified_mask = land_class.isna().to_numpy() & alive
    unclassified = (d.loc[unclassified_mask, "land_use"].astype("string").fillna("<missing>")
                    .value_counts().rename_axis("land_use").reset_index(name="count"))
    unclassified["land_use"] = unclassified["land_use"].astype(object).replace(
        {"<missing>": Text("<missing>", "<缺失>")})
    class_counts = land_class[alive].value_counts(dropna=True).to_dict()
    drop(3, Text("land use unclassifiable", "土地用途无法分类"), land_class.isna().to_numpy())
    for cls in GBT21010_CLASSES:
        if cls != INDUSTRIAL:
            drop(3, Text(f"land use: {CLASS_ENGLISH[cls]} ({cls})", f"土地用途 {cls}"),
                 (land_class == cls).fillna(False).to_numpy())
    drop(4, Text("allocation (划拨)", "划拨供地"),
         supply.str.contains("划拨", regex=False).to_numpy())
    # always 0 rows: the county rule already ran for step 1 (see the module docstring)
    drop(5, Text("county not determined (dropped at step 1)", "区县无法确定（已在第 1 步剔除）"),
         county.isna().to_numpy())
    park_counties = set(county[alive & (park.to_numpy() == 1)].dropna())
    before7 = set(county[alive].dropna())
    drop(7, Text(f"county never has a park parcel in {first}-{last}",
                 f"区县在 {first}–{last} 年从无园区内地块"),
         ~county.isin(park_counties).fillna(False).to_numpy())
    audit.append((8, Text("kept (aggregated into the panel)", "保留（汇总进面板）"),
                  int(alive.sum())))
    audit_df = pd.DataFrame({"step": [s for s, _, _ in audit],
                             "reason": pd.Series([r for _, r, _ in audit], dtype=object),
                             "rows": [k for _, _, k in audit]})

    records = d.loc[alive].copy()
    records["county"] = county[alive]
    records["prefecture"] = pref[alive]
    records["year"] = year[alive].astype("int64")
    records["park"] = park[alive]
    records["area_ha"] = area[alive].astype(float)
    records["land_class"] = land_class[alive]
    panel = aggregate_panel(records, empty=empty, years=years)

    info = {
        "input_rows": n,
        "duplicates_identical": n_exact,
        "duplicates_supervision_no": n_sup,
        "years": [first, last],
        "cities": list(prefectures),
        "park_patterns": list(patterns),
        "empty_cells": empty,
        "min_area_ha": min_area,
        "county_from_supervision_no": int(((source == "supervision_no") & pd.Series(alive))
                                          .sum()),
        "land_classes_in_window": {str(k): int(v) for k, v in class_counts.items()},
        "park_parcels": int(records["park"].sum()),
        "counties": int(panel["county"].nunique()),
        "counties_dropped_never_park": len(before7 - park_counties),
    }
    return LandCleaning(records.reset_index(drop=True), panel, audit_df, unclassified, info)
