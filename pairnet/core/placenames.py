"""Chinese place-name forms: the administrative suffixes, the short name, the pinyin.

Naming rules shared by the gazetteer (:mod:`pairnet.spatial.cities`, which matches names) and
the report writer (which shows place names in pinyin to English readers).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from pairnet.core.i18n import Native

__all__ = ["PREFECTURE_SUFFIXES", "HOMOPHONES", "short_name", "english_name", "has_han", "place_name",
           "place_in"]

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


#: Prefecture-level cities whose pinyin another prefecture shares, told apart by province
#: (tests/test_cities.py recomputes the collisions from the gazetteer and checks this table).
HOMOPHONES = {
    "福州": "Fuzhou (Fujian)", "抚州": "Fuzhou (Jiangxi)",
    "苏州": "Suzhou (Jiangsu)", "宿州": "Suzhou (Anhui)",
    "泰州": "Taizhou (Jiangsu)", "台州": "Taizhou (Zhejiang)",
    "伊春": "Yichun (Heilongjiang)", "宜春": "Yichun (Jiangxi)",
    "玉林": "Yulin (Guangxi)", "榆林": "Yulin (Shaanxi)",
}
#: Readings pypinyin gets wrong in place names (佛 is fó in 佛冈, 佛山).
_READINGS = {"佛": "fo"}


@cache
def english_name(name: str) -> str:
    """A Chinese place name in pinyin without its administrative suffix (广州市 -> Guangzhou).

    Syllables are joined with the pinyin apostrophe before a syllable that starts with a, o
    or e (马鞍山 -> Ma'anshan, 云安 -> Yun'an, so 云安 and 郁南 differ); the prefectures of
    :data:`HOMOPHONES` carry their province.
    """
    from pypinyin import lazy_pinyin

    short = short_name(str(name)) or str(name)
    if short in HOMOPHONES:
        return HOMOPHONES[short]
    syllables = lazy_pinyin(short)
    if len(syllables) == len(short):  # one syllable per character: an all-Chinese name
        syllables = [_READINGS.get(ch, syl) for ch, syl in zip(short, syllables, strict=True)]
    text = ""
    for syl in syllables:
        if text and text[-1].isalpha() and syl[:1] in ("a", "o", "e"):
            text += "'"
        text += syl
    text = text.strip()
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


def place_in(name: str, lang: str) -> str:
    """A place name for a ``lang`` reader: pinyin in English (if it is Chinese), else as given."""
    return english_name(name) if lang == "en" and has_han(name) else name
