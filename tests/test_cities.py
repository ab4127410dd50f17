"""City resolution: adcodes, names with or without 市/province/prefecture, groups, clear errors."""

from __future__ import annotations

import pandas as pd
import pytest

from pairnet.core.errors import AmbiguousCityError, UnknownCityError
from pairnet.spatial.cities import (
    GROUPS,
    admin_index,
    city_names,
    prefecture_of,
    resolve_cities,
    resolve_one,
)


def test_groups_have_the_documented_sizes_and_names():
    assert (len(GROUPS["PRD"]), len(GROUPS["EWN"]), len(GROUPS["GD"]), len(GROUPS["YRD"])) == (
        9, 12, 21, 26)
    names = city_names(GROUPS["YRD"])
    assert "上海市" in names.values() and "温州市" not in names.values()
    assert set(GROUPS["GD"]) == set(GROUPS["PRD"]) | set(GROUPS["EWN"])


@pytest.mark.parametrize("token", ["440100", "广州", "广州市", "广东省广州市", "广东广州"])
def test_prefecture_spellings(token):
    assert resolve_one(token) == "440100"


@pytest.mark.parametrize("token", ["南京市鼓楼区", "江苏省南京市鼓楼区", "南京鼓楼区", "320106"])
def test_county_spellings(token):
    assert resolve_one(token, level="county") == "320106"


def test_ambiguous_county_lists_candidates():
    with pytest.raises(AmbiguousCityError) as err:
        resolve_one("鼓楼区", level="county", argument="--origins")
    msg = str(err.value)
    for code in ("320106", "320302", "350102", "410204"):
        assert code in msg
    assert "--origins" in msg and "Fix:" in msg


def test_county_where_prefecture_expected_is_an_error_not_a_silent_swap():
    with pytest.raises(UnknownCityError, match="440117 is a county .*从化区.*440100"):
        resolve_one("440117")
    with pytest.raises(UnknownCityError, match="not a prefecture.*440117"):
        resolve_one("从化区")
    assert resolve_one("从化区", level="any") == "440117"


def test_unknown_tokens():
    with pytest.raises(UnknownCityError, match="999999"):
        resolve_one("999999")
    with pytest.raises(UnknownCityError, match="火星"):
        resolve_cities("广州,火星", argument="--destinations")


def test_resolve_cities_expands_groups_keeps_order_and_dedups():
    got = resolve_cities("深圳，PRD,440300")
    assert got[0] == "440300" and len(got) == 9 and got.count("440300") == 1


def test_prefecture_of_maps_counties_and_keeps_unknown_missing():
    out = prefecture_of(pd.Series(["440103", "441900", "440100", "999999"]))
    assert out.tolist()[:3] == ["440100", "441900", "440100"]
    assert pd.isna(out.iloc[3])


def test_admin_index_is_all_of_china():
    idx = admin_index()
    assert idx["adcode"].is_unique
    counts = idx["level"].value_counts()
    assert counts["province"] == 34 and counts["prefecture"] > 330 and counts["county"] > 2800


def test_distances_cli_level_any_mixes_counties_and_prefectures(tmp_path, run_cli):
    out = tmp_path / "d.csv"
    res = run_cli("distances", "--origins", "南京鼓楼区,320100", "--destinations", "320200",
                  "--level", "any", "--out", out)
    assert res.code == 0, res.stderr
    got = pd.read_csv(out, dtype={"origin": str, "destination": str})
    assert got["origin"].tolist() == ["320106", "320100"]
    # a county inside its prefecture cannot be farther from a third city than the prefecture
    assert got["border_km"].iloc[0] >= got["border_km"].iloc[1]


def test_resolve_column_names_every_row_of_a_bad_value():
    from pairnet.spatial.cities import resolve_column

    vals = pd.Series(["广州", "火星", "440300", "火星"])
    with pytest.raises(UnknownCityError) as err:
        resolve_column(vals, file="parks.csv", column="helper")
    msg = str(err.value)
    assert "parks.csv" in msg and "'helper'" in msg and "rows 2, 4" in msg and "火星" in msg
    assert resolve_column(vals.iloc[[0, 2]], file="p", column="c").tolist() == ["440100",
                                                                                 "440300"]


def test_english_names_tell_every_prefecture_apart():
    """No two prefecture-level units share an English name: the pinyin collisions of the
    gazetteer are exactly the HOMOPHONES table (with their provinces); apostrophes and the
    fixed readings hold."""
    from pairnet.core.placenames import HOMOPHONES, english_name, short_name
    from pairnet.spatial.cities import admin_index

    pre = admin_index().query("level == 'prefecture'")
    english = pre["name"].map(english_name)
    assert not english.duplicated().any(), pre[english.duplicated(keep=False)]
    from pypinyin import lazy_pinyin

    plain = pre["name"].map(lambda n: "".join(lazy_pinyin(short_name(n))))
    colliding = set(pre.loc[plain.duplicated(keep=False), "name"].map(short_name))
    assert colliding == set(HOMOPHONES)
    for name, want in [("马鞍山市", "Ma'anshan"), ("西安市", "Xi'an"), ("云安区", "Yun'an"),
                       ("郁南县", "Yunan"), ("佛冈县", "Fogang"), ("佛山市", "Foshan"),
                       ("台州市", "Taizhou (Zhejiang)"), ("广州市", "Guangzhou")]:
        assert english_name(name) == want
