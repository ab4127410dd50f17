"""Land-transaction cleaning (seed 003 §5 steps 1–8): each rule, the audit, the classification."""

from __future__ import annotations

import itertools
import json
import math
import re

import numpy as np
import pandas as pd
import pytest

from pairnet.core.errors import InputError
from pairnet.core.outputs import table_html
from pairnet.core.results import Table
from pairnet.panels.demo_land import TRUE_PATH, demo_land_frame, generate_land_demo
from pairnet.panels.land import (
    GBT21010_CLASSES,
    SECOND_LEVEL,
    aggregate_panel,
    classify_land_use,
    clean_land,
    county_codes,
    is_park,
    parse_dates,
)

PARK = "韶关市武江区产业转移工业园内"
OUT = "韶关市武江区某镇"


_SERIAL = itertools.count(1)


def rec(sup=None, county="440203", location=OUT, land_use="工业用地",
        supply="挂牌出让", area=1.0, date="2015-06-01"):
    # a fresh supervision number per record unless given: one number is one transaction
    sup = f"4402032015B{next(_SERIAL):05d}" if sup is None else sup
    return {"supervision_no": sup, "county": county, "location": location, "land_use": land_use,
            "supply_method": supply, "area_ha": area, "date": date}


@pytest.mark.parametrize("text, cls", [
    ("工业用地", "工矿仓储用地"),
    ("  工业用地 ", "工矿仓储用地"),
    ("工 业 用 地", "工矿仓储用地"),
    ("工业用地（工业）", "工矿仓储用地"),
    ("工业用地(工业)", "工矿仓储用地"),
    ("采矿用地", "工矿仓储用地"),
    ("盐田", "工矿仓储用地"),
    ("仓储用地", "工矿仓储用地"),
    ("工矿仓储用地", "工矿仓储用地"),
    ("0601", "工矿仓储用地"),
    ("0601工业用地", "工矿仓储用地"),
    ("工业", "工矿仓储用地"),
    ("其他用地(工业)", "工矿仓储用地"),
    ("城镇住宅用地", "住宅用地"),
    ("普通商品住房用地", "住宅用地"),
    ("其他普通商品住房用地", "住宅用地"),
    ("批发零售用地", "商服用地"),
    ("住宿餐饮用地", "商服用地"),
    ("商务金融用地", "商服用地"),
    ("科教用地", "公共管理与公共服务用地"),
    ("公园与绿地", "公共管理与公共服务用地"),
    ("风景名胜设施用地", "特殊用地"),
    ("殡葬用地", "特殊用地"),
    ("街巷用地", "交通运输用地"),
    ("公路用地", "交通运输用地"),
    ("水工建筑用地", "水域及水利设施用地"),
    ("设施农用地", "其他土地"),
    ("水田", "耕地"),
    ("果园", "园地"),
    ("乔木林地", "林地"),
    ("天然牧草地", "草地"),
])
def test_classification_table(text, cls):
    assert classify_land_use(pd.Series([text])).iloc[0] == cls


@pytest.mark.parametrize("text", ["商住用地", "待定", "其它", "", None, "xyz"])
def test_unclassifiable_strings_are_na(text):
    assert pd.isna(classify_land_use(pd.Series([text], dtype="object")).iloc[0])


def test_every_first_level_class_maps_to_itself_and_second_level_names_cover_12():
    got = classify_land_use(pd.Series(list(GBT21010_CLASSES)))
    assert got.tolist() == list(GBT21010_CLASSES)
    assert set(SECOND_LEVEL.values()) == set(GBT21010_CLASSES)


def test_parse_dates_formats():
    s = pd.Series(["2015-03-04", "20150304", "2015/3/4", "2015.3.4", "2015年3月4日",
                   "2015-03-04 10:22:01", "1425427200", "1425427200000",
                   "2015-02-30", "不详", None, "20150304.0"], dtype="object")
    got = parse_dates(s)
    ok = pd.Timestamp("2015-03-04")
    assert [d.normalize() == ok for d in got[:8]] == [True] * 8
    assert got[8:11].isna().all()
    assert got.iloc[11] == ok
    # numbers read from a CSV column of YYYYMMDD
    assert parse_dates(pd.Series([20110101, 20201231])).dt.year.tolist() == [2011, 2020]
    # real datetimes pass through
    dt = pd.Series(pd.to_datetime(["2012-01-05"]))
    assert parse_dates(dt).iloc[0] == pd.Timestamp("2012-01-05")


def test_county_codes_fill_from_supervision_number():
    known = {"440203", "441521"}
    county = pd.Series(["440203", "", None, "44152", "999999", "440203.0"], dtype="object")
    sup = pd.Series(["4415212015B1", "4415212015B1", "4402032012", "4415212013", "12",
                     "4415212015"], dtype="object")
    codes, source = county_codes(county, sup, known)
    assert codes.tolist()[:4] == ["440203", "441521", "440203", "441521"]
    assert pd.isna(codes.iloc[4])
    assert codes.iloc[5] == "440203"
    assert source.tolist()[:4] == ["county", "supervision_no", "supervision_no",
                                   "supervision_no"]


def test_is_park_patterns_configurable():
    loc = pd.Series(["某某产业转移工业园内", "某某 产业转移 工业园", "某某工业区", None],
                    dtype="object")
    assert is_park(loc, ["产业转移工业园"]).tolist() == [1, 1, 0, 0]
    assert is_park(loc, ["工业区", "产业转移工业园"]).tolist() == [1, 1, 1, 0]


def _small() -> pd.DataFrame:
    rows = [
        rec(location=PARK),                                    # kept, park
        rec(),                                                 # kept, outside
        rec(county="", location=PARK, area=2.0),               # kept, county from sup
        rec(date="2009-05-01"),                                # 1 year outside
        rec(date="不详"),                                       # 1 date unparseable
        rec(sup="4401032015B1", county="440103"),              # 1 PRD county
        rec(sup="9999992015", county=""),                      # 1 county unknown
        rec(area=0.005),                                       # 2 tiny
        rec(area=np.nan),                                      # 2 missing area
        rec(land_use="城镇住宅用地"),                             # 3 residential
        rec(land_use="商住用地"),                                # 3 unclassifiable
        rec(supply="划拨"),                                     # 4 allocation
        rec(supply="划拨土地", location=PARK),                   # 4 allocation
        rec(sup="4415212015B1", county="441521"),              # 7 no park in county
        # several failures: counted once at the first step (year)
        rec(date="2022-01-01", area=0.001, land_use="城镇住宅用地", supply="划拨"),
    ]
    return pd.DataFrame(rows)


def test_each_cleaning_rule_and_audit_identity():
    df = _small()
    c = clean_land(df)
    a = c.audit.set_index("reason")["rows"]
    assert int(c.audit["rows"].sum()) == len(df)
    assert a["year outside 2011-2020"] == 2
    assert a["date unparseable"] == 1
    assert a["county outside the study cities"] == 1
    assert a["county code missing or unknown (county and supervision_no)"] == 1
    assert a["area under 0.01 ha"] == 1
    assert a["area missing"] == 1
    assert a["land use: residential land (住宅用地)"] == 1
    assert a["land use unclassifiable"] == 1
    assert a["allocation (划拨)"] == 2
    assert a["county never has a park parcel in 2011-2020"] == 1
    assert a["kept (aggregated into the panel)"] == 3
    assert c.audit.iloc[-1]["reason"].startswith("kept")
    # the Chinese report shows every reason in Chinese (GB/T class names and numbers aside)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", table_html(Table(c.audit, "audit"), "zh"))
    assert len(cells) == 2 * len(c.audit)  # reason and rows (the step is the row stub)
    assert not [x for x in cells if re.search("[A-Za-z]{2,}", x)], cells
    assert c.unclassified.to_dict(orient="records") == [{"land_use": "商住用地", "count": 1}]
    assert c.info["county_from_supervision_no"] == 1
    p = c.panel
    assert list(p.columns) == ["county", "year", "park", "area_ha", "parcels", "log_area"]
    inside = p[p["park"] == 1].iloc[0]
    assert inside["county"] == "440203" and inside["year"] == 2015
    assert inside["parcels"] == 2 and inside["area_ha"] == pytest.approx(3.0)
    assert inside["log_area"] == pytest.approx(math.log(3.0))
    outside = p[p["park"] == 0].iloc[0]
    assert outside["parcels"] == 1 and outside["log_area"] == pytest.approx(0.0)


def test_years_and_cities_options():
    df = _small()
    c = clean_land(df, years=(2009, 2020), cities="440200")
    a = c.audit.set_index("reason")["rows"]
    assert a["year outside 2009-2020"] == 1  # 2009 now kept at step 1
    assert int(c.audit["rows"].sum()) == len(df)
    # cities=汕尾 (441500): the Shaoguan records go at step 1, 海丰 has no park -> step 7
    c2 = clean_land(df, cities="441500")
    assert c2.panel.empty
    assert int(c2.audit["rows"].sum()) == len(df)


def test_park_patterns_change_the_park_flag():
    df = _small()
    c = clean_land(df, park_patterns=["某镇"])
    # the 'outside' record is now the park record; the old park records are outside (and the
    # 海丰 record, whose location also has 某镇, now keeps its county at step 7)
    assert set(c.panel["county"]) == {"440203", "441521"}
    p = c.panel[c.panel["county"] == "440203"].set_index("park")
    assert p.loc[1, "parcels"] == 1 and p.loc[0, "parcels"] == 2
    with pytest.raises(InputError):
        clean_land(df, park_patterns=[" "])


def test_non_numeric_area_raises():
    df = _small()
    df["area_ha"] = df["area_ha"].astype(object)
    df.loc[3, "area_ha"] = "1.2公顷"
    with pytest.raises(InputError, match="area_ha"):
        clean_land(df)


def test_aggregate_empty_cells_log1p_grid():
    recs = pd.DataFrame({"county": ["440203", "440203"], "year": [2012, 2013], "park": [1, 0],
                         "area_ha": [2.0, 3.0]})
    drop = aggregate_panel(recs)
    assert len(drop) == 2 and drop["log_area"].tolist() == pytest.approx([math.log(2),
                                                                          math.log(3)])
    full = aggregate_panel(recs, empty="log1p", years=(2011, 2013))
    assert len(full) == 6
    z = full[(full["year"] == 2011)]
    assert z["area_ha"].tolist() == [0.0, 0.0] and z["log_area"].tolist() == [0.0, 0.0]
    assert full.loc[(full["year"] == 2012) & (full["park"] == 1), "log_area"].item() == \
        pytest.approx(math.log(3.0))
    with pytest.raises(InputError):
        aggregate_panel(recs, empty="zero")


@pytest.fixture(scope="module")
def demo():
    return demo_land_frame(seed=7, n_records=20_000)


def test_demo_audit_matches_the_generator(demo):
    frame, truth = demo
    c = clean_land(frame)
    a = c.audit.set_index("reason")["rows"]
    assert int(c.audit["rows"].sum()) == len(frame) == truth["n_records"]
    assert a["year outside 2011-2020"] == truth["junk"]["year"]
    assert a["date unparseable"] == truth["junk"]["date"]
    assert a["county outside the study cities"] == truth["junk"]["region"]
    assert a["area under 0.01 ha"] == truth["junk"]["tiny"]
    assert a["allocation (划拨)"] == truth["junk"]["alloc"]
    assert a["land use unclassifiable"] == truth["junk"]["unclass"]
    assert set(c.panel["county"]) <= set(truth["park_counties"])
    assert not set(c.panel["county"]) & set(truth["never_park_counties"])
    assert c.info["county_from_supervision_no"] > 0
    assert (c.panel["area_ha"] >= 0.01).all()


def test_demo_generator_is_seeded_and_writes_truth(tmp_path):
    a, ta = demo_land_frame(seed=3, n_records=3000)
    b, _ = demo_land_frame(seed=3, n_records=3000)
    pd.testing.assert_frame_equal(a, b)
    path, truth = generate_land_demo(tmp_path / "land.csv", seed=3, n_records=3000)
    assert path.exists()
    saved = json.loads((tmp_path / "land.truth.json").read_text(encoding="utf-8"))
    assert saved["event_study"] == {str(k): v for k, v in TRUE_PATH.items()}
    assert truth["n_records"] == len(a)
    # messy strings as in real data
    assert (a["county"] == "").any()
    assert a["land_use"].str.contains("（").any()
    assert a["supply_method"].isin(["划拨", "划拨土地"]).any()


@pytest.mark.parametrize("fmt", ["gbk", "xlsx", "parquet"])
def test_read_land_formats_equal_utf8(tmp_path, fmt):
    from pairnet.panels.land import read_land

    df = _small()
    utf = tmp_path / "utf.csv"
    df.to_csv(utf, index=False, encoding="utf-8")
    if fmt == "gbk":
        other = tmp_path / "gbk.csv"
        df.to_csv(other, index=False, encoding="gbk")
    elif fmt == "xlsx":
        other = tmp_path / "x.xlsx"
        df.to_excel(other, index=False)
    else:
        other = tmp_path / "x.parquet"
        df.to_parquet(other)
    a = clean_land(read_land(utf))
    b = clean_land(read_land(other))
    pd.testing.assert_frame_equal(a.audit, b.audit)
    pd.testing.assert_frame_equal(a.panel, b.panel)


def test_duplicates_dropped_at_step_0_with_hand_computed_area():
    a = rec(sup="4402032015B00001", location=PARK, area=2.5)
    b = rec(sup="4402032015B00002", location=PARK, area=1.25)
    c = rec(sup="4402032015B00003", area=4.0)
    # same supervision number, area corrected: a repeat of b, the first (b) is kept
    b_fix = rec(sup=" 4402032015B00002 ", location=PARK, area=9.0)
    # no supervision number: never matched on it, both kept
    e1 = rec(sup="", area=0.5)
    e2 = rec(sup="", area=0.75, date="2015-07-01")
    rows = [a, b, a, c, b_fix, a, c, e1, e2, e1]
    df = pd.DataFrame(rows)
    cl = clean_land(df, cities="韶关")
    audit = cl.audit.set_index("reason")
    assert audit.loc["duplicate record (identical in every column)", "step"] == 0
    assert audit.loc["duplicate record (identical in every column)", "rows"] == 4  # a, a, c, e1
    assert audit.loc["duplicate supervision_no (first kept)", "rows"] == 1  # b_fix
    assert list(cl.audit["step"][:2]) == [0, 0]
    assert int(cl.audit["rows"].sum()) == len(df)
    assert audit.loc["kept (aggregated into the panel)", "rows"] == 5
    p = cl.panel.set_index("park")
    # inside: a 2.5 + b 1.25 (not b_fix 9.0); outside: c 4.0 + e1 0.5 + e2 0.75
    assert p.loc[1, "area_ha"] == pytest.approx(3.75)
    assert p.loc[1, "parcels"] == 2
    assert p.loc[0, "area_ha"] == pytest.approx(5.25)
    assert p.loc[0, "parcels"] == 3
    assert p.loc[1, "log_area"] == pytest.approx(math.log(3.75))
    assert cl.info["duplicates_identical"] == 4 and cl.info["duplicates_supervision_no"] == 1


def test_no_duplicates_gives_zero_step_0_rows():
    df = pd.DataFrame([rec(sup="4402032015B00001", location=PARK),
                       rec(sup="4402032015B00002")])
    cl = clean_land(df, cities="韶关")
    assert cl.audit.loc[cl.audit["step"] == 0, "rows"].tolist() == [0, 0]
    assert int(cl.panel["parcels"].sum()) == 2


def test_demo_duplicates_match_the_generator(demo):
    frame, truth = demo
    c = clean_land(frame)
    a = c.audit.set_index("reason")["rows"]
    assert truth["n_duplicates"] > 0
    assert a["duplicate record (identical in every column)"] == truth["n_duplicates"]
    assert a["duplicate supervision_no (first kept)"] == 0
    # removing the copies by hand gives the same panel
    by_hand = clean_land(frame.drop_duplicates())
    pd.testing.assert_frame_equal(c.panel, by_hand.panel)
    assert by_hand.audit.loc[by_hand.audit["step"] == 0, "rows"].sum() == 0
