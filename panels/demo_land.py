"""Seeded synthetic land transactions on the real county codes of the 12 EWN cities.

The records look like China Land Market downloads (messy land-use strings, supply methods,
empty county codes whose supervision number carries the code, tiny parcels, years outside the
window, other regions, unparseable dates, counties that never have a park) and carry a known
event-study path: the log area sold inside parks relative to outside drops in 2014–2016 (benefit
sharing abolished) and recovers from 2017.

Design. For each county ``c``, year ``t`` and park status ``p`` the total industrial area of the
cell is ``exp(a_pc + b_ct + beta_{t-2014} * p + e_pct)``, split over a Poisson number of parcels
of at least 0.02 ha each, so the aggregate the cleaning produces has exactly that log (up to
rounding of areas to 1e-4 ha). Junk records (other land uses, allocations, tiny parcels, outside
years or regions) are added beside and must all be removed by the cleaning.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["TRUE_PATH", "generate_land_demo", "demo_land_frame"]

#: True event-study path beta_s, s = year - 2014 (base s = -1, 2013).
TRUE_PATH: dict[int, float] = {-3: 0.0, -2: 0.0, -1: 0.0, 0: -0.6, 1: -0.8, 2: -0.7,
                               3: 0.2, 4: 0.3, 5: 0.3, 6: 0.3}

_INDUSTRIAL = ["工业用地", "工业用地", "工业用地", " 工业用地 ", "工业用地（工业）", "工业用地(工业)",
               "工矿仓储用地", "采矿用地", "仓储用地", "仓储用地（物流）", "盐田", "0601"]
_OTHER = ["城镇住宅用地", "普通商品住房用地", "其他普通商品住房用地", "批发零售用地", "住宿餐饮用地",
          "商务金融用地", "其他商服用地", "公共设施用地", "科教用地", "医卫慈善用地", "公路用地",
          "街巷用地", "水工建筑用地", "风景名胜设施用地", "殡葬用地", "设施农用地", "果园", "城镇住宅用地（商品房）"]
_UNCLASSIFIABLE = ["商住用地", "其它", "待定", "综合用地"]
_SALES = ["挂牌出让", "挂牌出让", "挂牌出让", "拍卖出让", "协议出让", "招标出让"]
_ALLOC = ["划拨", "划拨土地"]


def _dates(rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
    """Date strings in several formats for the given years."""
    n = len(years)
    month = rng.integers(1, 13, n)
    day = rng.integers(1, 29, n)
    fmt = rng.integers(0, 5, n)
    iso = pd.Series([f"{y}-{m:02d}-{d:02d}" for y, m, d in zip(years, month, day)])
    compact = iso.str.replace("-", "", regex=False)
    slash = pd.Series([f"{y}/{m}/{d}" for y, m, d in zip(years, month, day)])
    cn = pd.Series([f"{y}年{m}月{d}日" for y, m, d in zip(years, month, day)])
    stamp = iso + " 10:30:00"
    out = np.select([fmt == 0, fmt == 1, fmt == 2, fmt == 3],
                    [iso, compact, slash, cn], default=stamp)
    return out.astype(object)


def demo_land_frame(*, seed: int = 2024, n_records: int = 60_000,
                    never_park_share: float = 0.2, noise_sd: float = 0.5,
                    dup_share: float = 0.005) -> tuple[pd.DataFrame, dict]:
    """The synthetic transactions and the truth (see :func:`generate_land_demo`)."""
    from pairnet.spatial.cities import GROUPS, admin_index, city_names

    rng = np.random.default_rng(seed)
    idx = admin_index()
    ewn = idx[(idx["level"] == "county") & idx["prefecture"].isin(GROUPS["EWN"])]
    counties = np.array(sorted(ewn["adcode"].astype(str)))
    prd = idx[(idx["level"] == "county") & idx["prefecture"].isin(GROUPS["PRD"])]
    prd_counties = np.array(sorted(prd["adcode"].astype(str)))
    names = city_names()
    nc = len(counties)
    has_park = rng.random(nc) >= never_park_share
    years = np.arange(2011, 2021)

    # cells: county x year x park (park cells only in park counties), some cells empty
    cc, yy, pp = (g.ravel() for g in np.meshgrid(np.arange(nc), years, [0, 1], indexing="ij"))
    present = np.where(pp == 1, has_park[cc] & (rng.random(len(cc)) < 0.85),
                       rng.random(len(cc)) < 0.95)
    a_pc = rng.normal(2.5, 0.5, (nc, 2))
    b_ct = rng.normal(0.0, 0.4, (nc, len(years)))
    beta = np.array([TRUE_PATH[int(y) - 2014] for y in years])
    log_total = (a_pc[cc, pp] + b_ct[cc, yy - 2011] + beta[yy - 2011] * pp
                 + rng.normal(0.0, noise_sd, len(cc)))
    cc, yy, pp, log_total = cc[present], yy[present], pp[present], log_total[present]
    total = np.exp(log_total)

    n_kept_target = int(0.3 * n_records)
    lam = max(n_kept_target / max(len(cc), 1), 1.0)
    k = np.clip(rng.poisson(lam, len(cc)), 1, None)
    k = np.minimum(k, np.maximum(np.floor(total / 0.05), 1)).astype(int)
    cell = np.repeat(np.arange(len(cc)), k)
    w = rng.gamma(2.0, 1.0, len(cell))
    wsum = np.bincount(cell, weights=w)
    floor = 0.02
    area = floor + (total[cell] - floor * k[cell]) * w / wsum[cell]
    area = np.round(area, 4)
    n_good = len(cell)
    good = pd.DataFrame({
        "county": counties[cc[cell]], "year": yy[cell], "park": pp[cell], "area_ha": area,
        "land_use": rng.choice(_INDUSTRIAL, n_good), "supply_method": rng.choice(_SALES, n_good),
    })

    # junk beside the good records
    n_junk = max(n_records - n_good, 0)
    kind = rng.choice(["other_use", "alloc", "tiny", "year", "region", "date", "unclass"],
                      n_junk, p=[0.62, 0.08, 0.06, 0.12, 0.08, 0.01, 0.03])
    junk = pd.DataFrame({
        "county": rng.choice(counties, n_junk),
        "year": rng.choice(years, n_junk),
        "park": (rng.random(n_junk) < 0.3).astype(int),
        "area_ha": np.round(rng.lognormal(0.5, 1.0, n_junk) + 0.02, 4),
        "land_use": rng.choice(_INDUSTRIAL, n_junk),
        "supply_method": rng.choice(_SALES, n_junk),
    })
    junk["park"] = np.where(has_park[np.searchsorted(counties, junk["county"])],
                            junk["park"], 0)
    junk.loc[kind == "other_use", "land_use"] = rng.choice(_OTHER, (kind == "other_use").sum())
    junk.loc[kind == "unclass", "land_use"] = rng.choice(_UNCLASSIFIABLE,
                                                         (kind == "unclass").sum())
    junk.loc[kind == "alloc", "supply_method"] = rng.choice(_ALLOC, (kind == "alloc").sum())
    junk.loc[kind == "tiny", "area_ha"] = np.round(rng.uniform(0.0001, 0.0099,
                                                               (kind == "tiny").sum()), 4)
    out_years = np.concatenate([np.arange(2005, 2011), np.arange(2021, 2024)])
    junk.loc[kind == "year", "year"] = rng.choice(out_years, (kind == "year").sum())
    junk.loc[kind == "region", "county"] = rng.choice(prd_counties, (kind == "region").sum())

    recs = pd.concat([good.assign(kind="kept"), junk.assign(kind=kind)], ignore_index=True)
    m = len(recs)
    # serials unique within county-year (a supervision number identifies one transaction);
    # the draw is kept so the rest of the random stream does not change
    rng.integers(0, 99999, m)
    serial = recs.groupby(["county", "year"]).cumcount().to_numpy() + 1
    recs["supervision_no"] = [f"{c}{y}B{i:05d}" for c, y, i in
                              zip(recs["county"], recs["year"], serial)]
    recs["date"] = _dates(rng, recs["year"].to_numpy())
    recs.loc[recs["kind"] == "date", "date"] = rng.choice(["不详", "2015-13-45", "", "--"],
                                                          (recs["kind"] == "date").sum())
    # a quarter of county codes missing (the supervision number carries them)
    county_out = recs["county"].astype(object).copy()
    county_out[rng.random(m) < 0.25] = ""
    park_words = np.array(["产业转移工业园", "产业转移工业园区", "（产业转移工业园）"])
    plain = np.array(["工业区", "工业集聚区", "镇", "村", "开发区"])
    cname = recs["county"].map(names).fillna("").to_numpy()
    loc_park = [f"{n}{w}内{i}号地块" for n, w, i in
                zip(cname, rng.choice(park_words, m), rng.integers(1, 300, m))]
    loc_out = [f"{n}{w}{i}号" for n, w, i in zip(cname, rng.choice(plain, m),
                                                  rng.integers(1, 300, m))]
    recs["location"] = np.where(recs["park"] == 1, loc_park, loc_out)
    frame = pd.DataFrame({
        "supervision_no": recs["supervision_no"], "county": county_out,
        "location": recs["location"], "land_use": recs["land_use"],
        "supply_method": recs["supply_method"], "area_ha": recs["area_ha"],
        "date": recs["date"],
    })
    perm = rng.permutation(m)
    frame = frame.iloc[perm].reset_index(drop=True)
    # exact re-listings of a share (default 0.5%) of the records, placed after their originals (cleaning step 0)
    n_dup = int(round(dup_share * m))
    if n_dup:
        src = np.sort(rng.choice(m, n_dup, replace=False))
        pos = src + 1 + rng.integers(0, np.maximum(m - src, 1))
        order = np.argsort(np.concatenate([np.arange(m), pos - 0.5]), kind="stable")
        frame = pd.concat([frame, frame.iloc[src]], ignore_index=True).iloc[order]
        frame = frame.reset_index(drop=True)
    truth = {
        "seed": seed,
        "event_study": {str(s): b for s, b in TRUE_PATH.items()},
        "base_year": 2013,
        "noise_sd": noise_sd,
        "n_records": int(m + n_dup),
        "n_duplicates": int(n_dup),
        "n_kept": int(n_good),
        "park_counties": sorted(counties[has_park].tolist()),
        "never_park_counties": sorted(counties[~has_park].tolist()),
        "junk": {k: int(v) for k, v in pd.Series(kind).value_counts().items()},
    }
    return frame, truth


def generate_land_demo(out_path: str | Path, *, seed: int = 2024, n_records: int = 60_000,
                       never_park_share: float = 0.2) -> tuple[Path, dict]:
    """Write synthetic land transactions and ``<stem>.truth.json`` beside them.

    Parameters
    ----------
    out_path : path
        ``.csv`` (UTF-8) or ``.parquet``.
    seed : int
        Random seed; same seed, same file.
    n_records : int
        Approximate number of records.
    never_park_share : float
        Share of counties that never have a park parcel (dropped at cleaning step 7).

    Returns
    -------
    (Path, dict)
        The records file and the truth: ``event_study`` {s: beta_s}, counts of each junk kind,
        ``n_duplicates`` (exact copies, dropped at cleaning step 0), the counties with and
        without parks.
    """
    from pairnet.core.tables import write_json, write_table

    frame, truth = demo_land_frame(seed=seed, n_records=n_records,
                                   never_park_share=never_park_share)
    out_path = Path(out_path)
    write_table(frame, out_path)
    write_json(truth, out_path.with_name(out_path.stem + ".truth.json"))
    return out_path, truth


if __name__ == "__main__":  # pragma: no cover
    import sys

    p, t = generate_land_demo(sys.argv[1] if len(sys.argv) > 1 else "land_demo.csv")
    print(p, json.dumps(t["junk"], ensure_ascii=False))
