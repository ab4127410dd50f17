"""Chinese place-name forms: the administrative suffixes, the short name, the pinyin.

Naming rules shared by the gazetteer (:mod:`pairnet.spatial.cities`, which matches names) and
the report writer (which shows place names in pinyin to English readers).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from pairnet.core.i18n import Native

__all__ = ["PREFECTURE_SUFFIXES", "short_name", "english_name", "has_han", "place_name"]

#: Administrative suffixes of prefecture-level names (广州市, 甘孜藏族自治州, 大兴安岭地区).
PREFECTURE_SUFFIXES = ("特别行政区", "自治州", "地区", "盟", "市")
_SUFFIXES = ("特别行政区", "自治州", "自治县", "自治旗", "地区", "新区", "林区", "盟", "市", "县",
             "区", "旗")

#: The 55 minority peoples named in autonomous units (longest first, so 土家 beats 土).
_PEOPLES = sorted((
    "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家",
    "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇",
    "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌",
    "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔",
    "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺", "各"), key=len, reverse=True)
_AUTONOMOUS = re.compile(r"^(.{2,}?)(?:(?:" + "|".join(_PEOPLES) + r")族)+自治(州|县|旗)$")


def short_name(name: str, suffixes: Sequence[str] = _SUFFIXES) -> str:
    """Strip the administrative suffix so 广州市/广州, 甘孜藏族自治州/甘孜 compare equal.

    ``suffixes`` are tried in order; a name keeps at least two characters. An autonomous unit
    loses its peoples too (甘孜藏族自治州 -> 甘孜, 长阳土家族自治县 -> 长阳) when ``自治州`` /
    ``自治县`` is among ``suffixes``.
    """
    m = _AUTONOMOUS.match(name)
    if m and f"自治{m.group(2)}" in suffixes:
        return m.group(1)
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@cache
def english_name(name: str) -> str:
    """A Chinese place name in pinyin without its administrative suffix (广州市 -> Guangzhou)."""
    from pypinyin import lazy_pinyin

    short = short_name(str(name)) or str(name)
    text = "".join(lazy_pinyin(short)).strip()
    return text[:1].upper() + text[1:] if text else str(name)


_HAN = re.compile(r"[\u3400-\u9fff]")


def has_han(text: str) -> bool:
    """Whether ``text`` holds a Chinese character."""
    return bool(_HAN.search(text))


def place_name(name: str) -> Native | str:
    """A Chinese place name as :class:`~pairnet.core.i18n.Native` text, pinyin in English.

    The Native text is the name itself in files and in Chinese; a name without Chinese
    characters is returned as it is.

    Keep such cells in an ``object`` column: pandas' string columns drop the English form.
    """
    return Native(name, english_name(name)) if has_han(name) else name
