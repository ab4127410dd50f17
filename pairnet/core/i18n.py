"""Report languages: a text in English and Chinese, rendered at write time.

Results build their tables and figures once; titles, notes and captions are :class:`Text`
(``Text(en, zh)``) or plain strings (the same in both languages), and a figure may be drawn per
language (``Figure(figure=lambda lang: ...)``). The writer and the report render them in the
language asked for (``lang="zh"``: 中文; ``"en"``: English). Variable names stay as they are.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["Lang", "LANGS", "Text", "Native", "render", "LABELS", "label"]

Lang = Literal["en", "zh"]
LANGS: tuple[str, ...] = get_args(Lang)


class Text(str):
    """One text in both languages; as a ``str`` it is the English.

    ``Text(en, zh)`` compares, formats and serialises as its English text (so code and files
    that expect a string keep working); :func:`render` or calling it picks a language.
    """

    zh: str

    def __new__(cls, en: str, zh: str = "") -> Text:
        """``Text(en, zh)``: the English text, carrying its Chinese as ``zh``."""
        obj = super().__new__(cls, en)
        obj.zh = zh
        return obj

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        return (self.en, self.zh)

    @property
    def en(self) -> str:
        """The English text."""
        return str.__str__(self)

    def __call__(self, lang: Lang = "en") -> str:
        """The text in ``lang`` (English where no Chinese is given)."""
        return self.zh if lang == "zh" and self.zh else self.en

    def __str__(self) -> str:
        return self.en

    def __repr__(self) -> str:
        return f"Text({self.en!r}, {self.zh!r})"

    def __add__(self, other: str) -> Text:
        o = other if isinstance(other, Text) else Text(other, other)
        return Text(self.en + o.en, (self.zh or self.en) + (o.zh or o.en))

    def __radd__(self, other: str) -> Text:
        return Text(other + self.en, other + (self.zh or self.en))


class Native(str):
    """Data text in its own (Chinese) form with an English rendering.

    Its ``str`` value is the text as the data has it (what CSV and JSON files keep); the
    English report shows ``en``: ``Native("广州 746", "Guangzhou 746")``. Place names of the
    built-in gazetteer come as ``Native`` (their pinyin in English).
    """

    _en: str

    def __new__(cls, native: str, en: str = "") -> Native:
        """``Native(native, en)``: ``native`` as the data has it, ``en`` for English readers."""
        obj = super().__new__(cls, native)
        obj._en = en
        return obj

    @property
    def en(self) -> str:
        """The English rendering (the native text where none is given)."""
        return self._en or str.__str__(self)

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        return (str.__str__(self), self.en)

    def __call__(self, lang: Lang = "en") -> str:
        """The text for a ``lang`` reader: ``en`` in English, the native text otherwise."""
        return self.en if lang == "en" else str.__str__(self)

    def __repr__(self) -> str:
        return f"Native({str.__str__(self)!r}, {self.en!r})"


def render(value: str | Text, lang: Lang = "en") -> str:
    """A title, note, label or cell in ``lang``.

    A :class:`Text` or :class:`Native` picks its language; a plain str is kept.
    """
    return value(lang) if isinstance(value, (Text, Native)) else str(value)


#: Display labels of common column names and table rows (CSV files keep the names). Variable
#: codes of a study (``gdp_pc``, ``mig``) are not listed: they stay as they are.
LABELS: dict[str, Text] = {
    # the DID diagnostics' columns (Goodman-Bacon, dCDH, HonestDiD, stacked, pre-trend power)
    "M": Text("M", "M"),
    "cells": Text("cells", "单元数"),
    "cohort": Text("cohort", "队列"),
    "control": Text("control", "对照组"),
    "control_units": Text("control units", "对照单位数"),
    "first_period": Text("first period", "起始期"),
    "last_period": Text("last period", "结束期"),
    "label": Text("label", "标签"),
    "lb": Text("lower bound", "下界"),
    "ub": Text("upper bound", "上界"),
    "measure": Text("measure", "指标"),
    "method": Text("method", "方法"),
    "n": Text("n", "个数"),
    "negative": Text("negative", "负权重数"),
    "periods": Text("periods", "期数"),
    "restriction": Text("restriction", "约束"),
    "target": Text("target", "目标"),
    "treated": Text("treated", "处理组"),
    "treated_units": Text("treated units", "处理单位数"),
    "trend_power_50": Text("trend at 50% power", "50% 功效下的趋势"),
    "trend_power_80": Text("trend at 80% power", "80% 功效下的趋势"),
    "type": Text("type", "类型"),
    "value": Text("value", "数值"),
    "weight": Text("weight", "权重"),
    "variable": Text("variable", "变量"),
    "term": Text("term", "变量"),
    "estimate": Text("estimate", "估计值"),
    "coef": Text("coef", "系数"),
    "se": Text("se", "标准误"),
    "std_error": Text("std. error", "标准误"),
    "statistic": Text("statistic", "统计量"),
    "stat": Text("statistic", "统计量"),
    "p_value": Text("p", "p 值"),
    "p": Text("p", "p 值"),
    "conf_low": Text("95% CI low", "95% 置信区间下限"),
    "conf_high": Text("95% CI high", "95% 置信区间上限"),
    "ci_low": Text("95% CI low", "95% 置信区间下限"),
    "ci_high": Text("95% CI high", "95% 置信区间上限"),
    "att": Text("ATT", "ATT"),
    "rel_time": Text("relative period", "相对时期"),
    "event_time": Text("event time", "事件时间"),
    "year": Text("year", "年份"),
    "years": Text("years", "年份"),
    "city": Text("adcode", "行政区划代码"),
    "name": Text("name", "名称"),
    "city_name": Text("city", "城市"),
    "county": Text("county", "区县"),
    "county_name": Text("county name", "区县名称"),
    "origin": Text("origin adcode", "投资方代码"),
    "origin_name": Text("origin", "投资方城市"),
    "destination": Text("destination adcode", "被投资方代码"),
    "destination_name": Text("destination", "被投资方城市"),
    "helper": Text("helper adcode", "帮扶方代码"),
    "helper_name": Text("helper", "帮扶方城市"),
    "recipient": Text("recipient adcode", "被帮扶方代码"),
    "recipient_name": Text("recipient", "被帮扶方城市"),
    "park": Text("park", "园区"),
    "first_year": Text("first year", "设立年份"),
    "confidence": Text("confidence", "可信度"),
    "source": Text("source", "来源"),
    "count": Text("count", "数目"),
    "rows": Text("rows", "行数"),
    "records": Text("records", "记录数"),
    "reason": Text("reason", "原因"),
    "step": Text("step", "步骤"),
    "action": Text("action", "处理"),
    "column": Text("column", "列"),
    "test": Text("test", "检验"),
    "df": Text("df", "自由度"),
    "note": Text("note", "说明"),
    "definition": Text("definition", "定义"),
    "unit": Text("unit", "单位"),
    "estimator": Text("estimator", "估计量"),
    "threshold": Text("threshold", "阈值"),
    "density": Text("density", "密度"),
    "border_km": Text("border distance (km)", "边界距离（千米）"),
    "centroid_km": Text("centroid distance (km)", "质心距离（千米）"),
    "region_centroid_km": Text("distance to the helper region's centroid (km)", "至帮扶区质心距离（千米）"),
    "region_border_km": Text("distance to the helper region's border (km)", "至帮扶区边界距离（千米）"),
    "distance_km": Text("distance (km)", "距离（千米）"),
    "predicted_effect": Text("predicted effect", "预测效应"),
    "chosen_share": Text("share of draws choosing the pair", "抽样中选中该组合的比例"),
    "tied_with": Text("equally good", "同样好的备选"),
    "control_obs": Text("control: obs", "控制组：观测值"),
    "control_mean": Text("control: mean", "控制组：均值"),
    "control_sd": Text("control: sd", "控制组：标准差"),
    "treated_obs": Text("treated: obs", "处理组：观测值"),
    "treated_mean": Text("treated: mean", "处理组：均值"),
    "treated_sd": Text("treated: sd", "处理组：标准差"),
    "mean": Text("mean", "均值"),
    "sd": Text("sd", "标准差"),
    "min": Text("min", "最小值"),
    "max": Text("max", "最大值"),
    "mean_inside": Text("mean inside parks", "园区内均值"),
    "mean_outside": Text("mean outside parks", "园区外均值"),
    "cells_inside": Text("cells inside", "园区内单元数"),
    "cells_outside": Text("cells outside", "园区外单元数"),
    "difference": Text("difference", "差值"),
    "land_use": Text("land use", "土地用途"),
    "nodes": Text("nodes", "节点数"),
    "edges": Text("edges", "边数"),
    "reciprocity": Text("reciprocity", "互惠性"),
    "mean_out_degree": Text("mean out-degree", "平均出度"),
    "mean_in_degree": Text("mean in-degree", "平均入度"),
    "max_out_degree": Text("max out-degree", "最大出度"),
    "max_in_degree": Text("max in-degree", "最大入度"),
    "weighted_density": Text("weighted density", "加权密度"),
    "out_centralization": Text("out-centralization", "出度中心势"),
    "in_centralization": Text("in-centralization", "入度中心势"),
    "isolates": Text("isolates", "孤立节点"),
    "weak_components": Text("weak components", "弱连通分量"),
    "strong_components": Text("strong components", "强连通分量"),
    "transitivity": Text("transitivity", "传递性"),
    "top_out_hubs": Text("top out-hubs", "主要投资枢纽"),
    "top_in_hubs": Text("top in-hubs", "主要被投资枢纽"),
    "N": Text("N", "观测值"),
    "max_city": Text("max: city", "最大值：城市"),
    "max_year": Text("max: year", "最大值：年份"),
    "min_city": Text("min: city", "最小值：城市"),
    "min_year": Text("min: year", "最小值：年份"),
    "side": Text("side", "方向"),
    "rule": Text("rule", "规则"),
    "equally_good": Text("equally good", "同样好的备选"),
    "n_cohorts": Text("cohorts", "组别数"),
    "code": Text("code", "代码"),
}


def label(name: str, lang: Lang = "en", labels: dict[str, Text | str] | None = None) -> str:
    """The display label of a column or row ``name`` in ``lang`` (``name`` itself if unknown).

    ``labels`` (a table's own) take precedence over :data:`LABELS`.
    """
    if labels and name in labels:
        return render(labels[name], lang)
    if name in LABELS:
        return LABELS[name](lang)
    return str(name)
