"""The interactive maps (folium): pairing, flows, distance-effect, choropleths.

Every function returns a :class:`folium.Map`, usable as it is in a notebook. The HTML report
(:mod:`pairnet.maps.report`) renders the same maps without any CDN asset: it inlines Leaflet once and
keeps each map's ``<div>`` and script.

Safety: every user string (city, park, firm names) is HTML-escaped by :func:`esc` before it
reaches a tooltip, legend or label, and data handed to the maps' own JavaScript is serialised by
:func:`js_json`, which cannot close the surrounding ``<script>`` element. Leaflet puts tooltip
strings into ``innerHTML``, so an unescaped ``<img onerror=...>`` in a park name would run.

The maps draw; they never estimate. Predicted effects arrive as a column computed upstream.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.map import Layer
from jinja2 import Template

from pairnet.core.errors import InputError
from pairnet.core.i18n import Lang, Native, Text
from pairnet.core.options import check_literal
from pairnet.core.placenames import english_name
from pairnet.core.tables import require_columns
from pairnet.maps.geometry import (
    DEFAULT_TOLERANCE,
    Basemap,
    anchor_points,
    display_polygons,
)
from pairnet.spatial.distances import DISTANCE_MEASURES

__all__ = [
    "esc",
    "js_json",
    "base_map",
    "pairing_map",
    "flow_map",
    "distance_effect_map",
    "choropleth_map",
    "category_map",
    "share_map",
    "GROUP_COLOURS",
    "english_name",
    "WORDS",
]

DISTANCE_COLUMNS = DISTANCE_MEASURES
GROUP_COLOURS = {"PRD": "#4c78a8", "EWN": "#f58518", "YRD": "#54a24b", None: "#bab0ac"}
_TILES = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "&copy; OpenStreetMap contributors"),
    "gaode": ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
              "&x={x}&y={y}&z={z}", "&copy; 高德地图 (Amap)"),
}


# ----------------------------------------------------------------------------------- safety
def blank(value: Any) -> bool:
    """True for a missing cell value (None or a float NaN, as pandas gives for empty cells)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _text(value: Any) -> str | None:
    """The value as a string, or None when it is :func:`blank`."""
    return None if blank(value) else str(value)


def esc(value: Any) -> str:
    """HTML-escape a value for a tooltip/label that Leaflet or folium puts into ``innerHTML``.

    Besides ``& < > " '`` it escapes the backtick, ``$`` and backslash, because folium places
    tooltip text inside a JavaScript template literal.
    """
    text = _text(value) or ""
    return (html.escape(text, quote=True).replace("`", "&#96;").replace("$", "&#36;")
            .replace("\\", "&#92;"))


def js_json(obj: Any) -> str:
    """JSON that is safe inside an inline ``<script>``: no ``<``, ``>``, ``&`` or line separators."""
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    try:
        return f"{float(v):,.{digits}f}"
    except (TypeError, ValueError):
        return esc(v)


def _tip(title: str, rows: Sequence[tuple[str, str]]) -> str:
    """Tooltip HTML from already-escaped pieces."""
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<b>{title}</b><table class='pn-tip'>{body}</table>"


def _place(name: Any, lang: Lang) -> str:
    """A place name for a ``lang`` reader, HTML-escaped.

    Pinyin in English (广州市 -> Guangzhou), as the data has it in Chinese; a :class:`Text` or
    :class:`Native` renders itself.
    """
    if isinstance(name, (Text, Native)):
        return esc(name(lang))
    return esc(english_name(name) if lang == "en" and not blank(name) else name)


class _Script(MacroElement):
    """A piece of our own JavaScript run against the parent map (``map`` inside ``js``)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function(map){ {{ this.js }} })({{ this._parent.get_name() }});"
        "{% endmacro %}")

    def __init__(self, js: str) -> None:
        super().__init__()
        self._name = "PairnetScript"
        self.js = js


#: The maps' own words (legends, selectors, tooltips) in both languages.
WORDS: dict[str, Text] = {
    "labels": Text("labels", "标注"), "off": Text("off", "关闭"), "cities": Text("cities", "城市"),
    "label_zh": Text("中文", "中文"), "label_en": Text("English", "English"),
    "adcode": Text("adcode", "行政区划代码"), "group": Text("group", "组别"),
    "helper": Text("helper", "帮扶方"), "recipient": Text("recipient", "被帮扶方"),
    "park": Text("park", "园区"), "first_year": Text("first year", "设立年份"),
    "first_year_park": Text("first year of the park", "园区设立年份"),
    "predicted_effect": Text("predicted effect", "预测效应"),
    "year": Text("year", "年份"), "count_ge": Text("count ≥", "数目 ≥"),
    "flow_tip": Text("year {year}: {count}", "{year} 年：{count}"),
    "value_in_year": Text("{label} ({year}): {value}", "{label}（{year} 年）：{value}"),
    "pairs_focus": Text("helpers → recipients", "帮扶方 → 被帮扶方"),
    "pairs_all": Text("all pairs", "全部组合"),
    "flows": Text("flow width = count (same scale in every year)",
                  "线宽 = 投资数目（各年份同一比例）"),
    "flow": Text("flow", "条投资流"), "flows_n": Text("flows", "条投资流"),
    "count": Text("count", "数目"),
    "all_helpers": Text("all helpers", "全部帮扶城市"),
    "effect_legend": Text("predicted effect (b0 + b1·distance)", "预测效应（b0 + b1·距离）"),
    "actual_pairing": Text("actual pairing", "实际组合"), "yes": Text("yes", "是"),
    "no": Text("no", "否"), "distance": Text("distance (km)", "距离（千米）"),
    "unit_m": Text(" m", " 米"), "unit_km": Text(" km", " 千米"),
    "no_data": Text("no data", "无数据"),
    "outline": Text("{group} prefecture outline", "{group}地级市轮廓"),
    "pairing": Text("pairing", "组合"), "optimal": Text("optimal", "最优"),
    "also_actual": Text(" (also actual)", "（同时为实际组合）"), "actual": Text("actual", "实际"),
    "distance_km": Text("distance km", "距离（千米）"),
    "chosen": Text("chosen in draws", "抽样中被选中"),
    "tied": Text("equally good", "同样好的备选"),
    "optimal_legend": Text("optimal (width ∝ share of draws)", "最优（线宽 ∝ 抽样中被选中的比例）"),
    "actual_legend": Text("actual (dashed)", "实际（虚线）"),
    "optimal_layer": Text("optimal pairing", "最优组合"),
    "actual_layer": Text("actual pairing", "实际组合"),
    "parks_layer": Text("co-built parks", "共建园区"),
}
_GROUP_NAMES = {"PRD": Text("helper (PRD)", "帮扶方（珠三角）"),
                "EWN": Text("recipient (EWN)", "被帮扶方（粤东西北）"), "YRD": Text("YRD", "长三角")}


def _w(key: str, lang: Lang) -> str:
    """A map word in ``lang``, HTML-escaped."""
    return esc(WORDS[key](lang))


def _ticks_html(ticks: Sequence[tuple[float, str]], width: int) -> str:
    """Tick marks and labels under a colour bar, each at its position (0..1) along the bar.

    A label is centred on its mark (the end ones flush with the bar's ends); one that would
    touch its neighbour (widths estimated at 7.7 px a character, a digit of 12 px DejaVu Sans)
    goes on the next line down, with its mark drawn down to it.
    """
    spans: list[str] = []
    ends: list[float] = []  # the right edge of the last label on each line
    for pos, text in sorted(ticks):
        pos = float(np.clip(pos, 0.0, 1.0))
        x, w = width * pos, 7.7 * len(text)
        left = max(0.0, min(x - w / 2, width - w))
        row = next((i for i, e in enumerate(ends) if left >= e + 4), len(ends))
        if row == len(ends):
            ends.append(0.0)
        ends[row] = left + w
        top = 4 + 14 * row
        spans.append(f"<span style='position:absolute;left:{x:.1f}px;top:0;height:{top}px;"
                     "border-left:1px solid #555'></span><span class='pn-tick' style='position:"
                     f"absolute;left:{left:.1f}px;top:{top}px;width:{w:.0f}px;text-align:center;"
                     f"white-space:nowrap'>{esc(text)}</span>")
    return (f"<div style='position:relative;width:{width}px;height:{4 + 14 * len(ends)}px;"
            "margin-bottom:2px'>" + "".join(spans) + "</div>")


def _nice_ticks(lo: float, hi: float, most: int = 4) -> list[tuple[float, float]]:
    """Round values inside ``lo..hi`` for a colour bar: ``(position 0..1, value)``.

    The step is the smallest 1, 2, 2.5 or 5 × 10^k giving at most ``most`` ticks, so 0 is a
    tick whenever it lies inside the range. A range of one value gives that value, centred.
    """
    if not hi > lo:
        return [(0.5, float(lo))]
    k = math.floor(math.log10((hi - lo) / most))
    for step in (m * 10.0 ** e for e in (k, k + 1) for m in (1, 2, 2.5, 5)):
        first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
        if last - first + 1 <= most:
            break
    return [(min(max((i * step - lo) / (hi - lo), 0.0), 1.0), i * step)
            for i in range(first, last + 1)]


def _tick_labels(values: Sequence[float]) -> list[str]:
    """Tick values with one number of decimals, enough for the finest of them."""
    decimals = max((len(f"{abs(v):.12f}".rstrip("0").partition(".")[2]) for v in values),
                   default=0)
    return [f"{round(v, decimals) + 0.0:,.{decimals}f}" for v in values]  # + 0.0: no "-0"


def _value_ticks(lo: float, hi: float, percent: bool = False) -> list[tuple[float, str]]:
    """Ticks of a linear colour bar from ``lo`` to ``hi`` at round values (:func:`_nice_ticks`).

    ``percent``: the values are shares, labelled in % (0.25 -> "25%").
    """
    ticks = _nice_ticks(100 * lo, 100 * hi) if percent else _nice_ticks(lo, hi)
    labels = _tick_labels([v for _, v in ticks])
    return [(p, t + "%" if percent else t) for (p, _), t in zip(ticks, labels, strict=True)]


#: The map's background (the report's ``.leaflet-container``): fill swatches are drawn on it.
MAP_BACKGROUND = "#f2f4f5"
_SWATCH = "display:inline-block;width:24px;height:12px;vertical-align:-2px;margin-right:4px"


def fill_swatch(colour: str, opacity: float) -> str:
    """Legend swatch of a polygon fill: ``colour`` at the map's ``opacity`` and border."""
    return (f"<span style='{_SWATCH};box-sizing:border-box;border:1px solid #555;"
            f"background:{MAP_BACKGROUND}'><span style='display:block;height:100%;"
            f"background:{colour};opacity:{opacity:g}'></span></span>")


def line_swatch(colour: str, weight: float, opacity: float, dash: str = "",
                halo: tuple[str, float, float] | None = None) -> str:
    """Legend swatch of a line as the map draws it (``dash``: Leaflet's ``dashArray``).

    ``halo``: ``(colour, weight, opacity)`` of a wider line the map draws under it.
    """
    lines = [*([halo] if halo else []), (colour, weight, opacity)]
    body = "".join(f"<line x1='3' y1='6' x2='21' y2='6' stroke='{c}' stroke-width='{w:g}' "
                   f"stroke-opacity='{o:g}' stroke-linecap='round'"
                   + (f" stroke-dasharray='{dash}'" if dash and i == len(lines) - 1 else "")
                   + "/>" for i, (c, w, o) in enumerate(lines))
    return f"<svg width='24' height='12' style='{_SWATCH}'>{body}</svg>"


def outline_swatch(colour: str, weight: float, opacity: float) -> str:
    """Legend swatch of an unfilled polygon outline of ``weight`` px."""
    return (f"<span style='{_SWATCH};box-sizing:border-box;background:{MAP_BACKGROUND};"
            f"border:{weight:g}px solid {_rgba(colour, opacity)}'></span>")


def _rgba(colour: str, opacity: float) -> str:
    """A hex colour with an alpha (CSS ``rgba``)."""
    from matplotlib.colors import to_rgb

    r, g, b = (round(255 * x) for x in to_rgb(colour))
    return f"rgba({r},{g},{b},{opacity:g})"


def _legend_js(title: str, items: Sequence[tuple[str, str]], position: str = "bottomright",
               gradient: Sequence[str] | None = None,
               ticks: Sequence[tuple[float, str]] = (), extra_html: str = "") -> str:
    """A legend control. ``title`` and labels are escaped here.

    ``items`` are ``(swatch, label)``: the swatch is pairnet's own markup
    (:func:`fill_swatch`, :func:`line_swatch`), drawn as the map draws that feature. A colour
    bar (``gradient``: colours at evenly spaced positions) has its tick labels at their
    positions along the bar (``ticks``: ``(0..1, label)``), so the numbers line up with the
    colours they name. ``extra_html`` is pairnet's own markup.
    """
    width = 160
    parts = [f"<div class='pn-legend-title'>{esc(title)}</div>"]
    if gradient:
        n = len(gradient)
        stops = ",".join(f"{c} {100 * i / max(n - 1, 1):.1f}%" for i, c in enumerate(gradient))
        parts.append(f"<div style='width:{width}px;height:10px;background:linear-gradient(to "
                     f"right,{stops})'></div>" + _ticks_html(ticks, width))
    for swatch, label in items:
        parts.append(f"<div class='pn-legend-item'>{swatch}{esc(label)}</div>")
    content = "".join(parts) + extra_html
    return (
        "var lg=L.control({position:" + js_json(position) + "});"
        "lg.onAdd=function(){var d=L.DomUtil.create('div','pn-legend pn-box');"
        "d.style.cssText='background:rgba(255,255,255,.92);padding:6px 8px;font:12px "
        "sans-serif;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3)';"
        "d.innerHTML=" + js_json(content) + ";return d;};lg.addTo(map);")


#: JavaScript styling the box ``d`` of a map control (the year / helper selectors).
_CONTROL_BOX_JS = ("d.style.cssText='background:#fff;padding:6px;font:12px sans-serif;"
                   "border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3)';")
#: Label placement (JavaScript run against ``map``; ``LB`` rows ``[lat, lon, zh, en]`` sorted
#: by polygon area, largest first; ``MARKS``: the map draws a mark at every anchor). A label
#: goes beside its point (the first of ``SPOTS`` that is free), never on it, so the dots and
#: arc ends stay visible; where no spot is free (another label, a point, a map control or the
#: map's edge) the label of the smaller city is hidden until the reader zooms in. A label's box
#: is its text's exact (fractional) size rounded up plus ``PAD`` px, so two labels never touch.
#: Placement is recomputed after every zoom, pan and resize (and so after the print refit).
_PLACE_JS = """
var PAD=2,GAP=MARKS?6:0,SPOTS=MARKS?[[-.5,-1,0,-1],[0,-.5,1,0],[-.5,0,0,1],[-1,-.5,-1,0],
  [-.15,-1,0,-1],[-.85,-1,0,-1],[-.15,0,0,1],[-.85,0,0,1],
  [0,-1,.7,-.7],[-1,-1,-.7,-.7],[0,0,.7,.7],[-1,0,-.7,.7]]:[[-.5,-.5,0,0],[-.5,-1,0,-1],
  [-.5,0,0,1],[0,-.5,1,0],[-1,-.5,-1,0]];
function free(r,taken){return !taken.some(function(t){
  return r[0]<t[2]&&t[0]<r[2]&&r[1]<t[3]&&t[1]<r[3];});}
function place(){
  var c=map.getContainer(),cb=c.getBoundingClientRect(),sz=map.getSize(),taken=[];
  c.querySelectorAll('.leaflet-control').forEach(function(e){var r=e.getBoundingClientRect();
    if(r.width&&r.height)taken.push([r.left-cb.left-2,r.top-cb.top-2,r.right-cb.left+2,
                                     r.bottom-cb.top+2]);});
  if(MARKS)LB.forEach(function(p){var q=map.latLngToContainerPoint([p[0],p[1]]);
    taken.push([q.x-GAP+1,q.y-GAP+1,q.x+GAP-1,q.y+GAP-1]);});
  lab.eachLayer(function(mk){
    var s=mk.getElement().firstChild,q=map.latLngToContainerPoint(mk.getLatLng()),
        b=s.getBoundingClientRect(),w=Math.ceil(b.width)+PAD,h=Math.ceil(b.height)+PAD,ok=null;
    SPOTS.some(function(o){var x=q.x+o[0]*w+o[2]*GAP,y=q.y+o[1]*h+o[3]*GAP,
      r=[x,y,x+w,y+h];
      if(r[0]>=0&&r[1]>=0&&r[2]<=sz.x&&r[3]<=sz.y&&free(r,taken))ok=r;return ok;});
    s.style.visibility=ok?'visible':'hidden';
    if(ok){s.style.transform='translate('+(ok[0]-q.x)+'px,'+(ok[1]-q.y)+'px)';taken.push(ok);}
  });}
function setl(k){lab.clearLayers();if(k!=='off')LB.forEach(function(p){
  L.marker([p[0],p[1]],{interactive:false,keyboard:false,icon:L.divIcon({className:'pn-label',
    iconSize:[0,0],html:'<span>'+(k==='en'?p[3]:p[2])+'</span>'})}).addTo(lab);});place();}
map.on('zoomend moveend resize',place);
"""


def _label_js(anchors: pd.DataFrame, names: Mapping[str, str], lang: Lang,
              marks: bool) -> str:
    """City names as labels beside each polygon's anchor, with a switch: 中文 / English / off.

    The names start in the report's language (pinyin in English); the switch sits in its own
    control so it never covers another. ``marks``: the map draws a dot or an arc end at every
    anchor, so labels keep clear of the anchors (else a label is centred on its anchor when
    it fits). See :data:`_PLACE_JS` for how collisions are avoided.
    """
    from pairnet.spatial.cities import short_name

    order = anchors.sort_values("area", ascending=False, kind="stable").index
    rows = [[round(float(anchors.at[c, "lat"]), 4), round(float(anchors.at[c, "lon"]), 4),
             esc(short_name(names.get(c, c)) or names.get(c, c)),
             esc(english_name(names.get(c, c)))] for c in order]
    modes = ["en", "zh"] if lang == "en" else ["zh", "en"]
    opts = [[k, WORDS[f"label_{k}"](lang)] for k in modes] + [["off", WORDS["off"](lang)]]
    return (
        "var LB=" + js_json(rows) + ",LO=" + js_json(opts) + ",MARKS=" + js_json(marks) + ";"
        "var lab=L.layerGroup().addTo(map);" + _PLACE_JS +
        "var lc=L.control({position:'topright'});lc.onAdd=function(){"
        "var d=L.DomUtil.create('div','pn-label-control pn-box');" + _CONTROL_BOX_JS +
        "d.appendChild(document.createTextNode(" + js_json(WORDS["labels"](lang) + " ") + "));"
        "var s=L.DomUtil.create('select','pn-labels',d);LO.forEach(function(q){"
        "var o=document.createElement('option');o.value=q[0];o.textContent=q[1];"
        "s.appendChild(o);});s.onchange=function(){setl(s.value);};"
        "L.DomEvent.disableClickPropagation(d);return d;};lc.addTo(map);setl(LO[0][0]);"
    )


_LABEL_CSS = (
    "<style>.pn-label{width:0!important;height:0!important;background:none;border:0}"
    ".pn-label span{position:absolute;left:0;top:0;visibility:hidden;white-space:nowrap;"
    "font:600 11px/1.2 system-ui,'Noto Sans CJK SC',sans-serif;color:#1b1b1b;"
    "text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff;pointer-events:none}"
    "@media (max-width:640px){.pn-label span{font-size:10px;letter-spacing:-.2px}}"
    ".pn-box{max-width:calc(100vw - 110px)}</style>")


def _year_select_js(lang: Lang) -> str:
    """JavaScript adding the year selector ``ys`` (options ``Y``, the last year selected)."""
    return ("d.appendChild(document.createTextNode(" + js_json(WORDS["year"](lang) + " ")
            + "));ys=L.DomUtil.create('select','pn-year',d);"
            "Y.forEach(function(y){var o=document.createElement('option');o.value=y;"
            "o.textContent=y;ys.appendChild(o);});if(Y.length)ys.value=Y[Y.length-1];")


def _add_labels(m: folium.Map, anchors: pd.DataFrame, names: Mapping[str, str],
                lang: Lang, marks: bool = True) -> None:
    """City-name labels and their switch (see :func:`_label_js`)."""
    root: Any = m.get_root()  # a branca Figure (typed as Element)
    root.header.add_child(folium.Element(_LABEL_CSS), name="pn_label_css")
    _Script(_label_js(anchors, names, lang, marks)).add_to(m)


#: Fit ``B`` into the part of the map that no control covers: each corner's controls are
#: cleared either above/below the data or beside it, whichever combination zooms closest.
_FIT_JS = """
var sz=map.getSize();if(!sz.x||!sz.y)return;
var K=[['top','left'],['top','right'],['bottom','left'],['bottom','right']],best=null;
var R=K.map(function(k){var e=map.getContainer().querySelector('.leaflet-'+k[0]+'.leaflet-'+k[1]),
  r=e?e.getBoundingClientRect():{width:0,height:0};return [r.width,r.height];});
for(var c=0;c<16;c++){var tl=[0,0],br=[0,0];
  K.forEach(function(k,i){var w=R[i][0],h=R[i][1];if(!w||!h)return;
    if(c>>i&1){var p=k[0]==='top'?tl:br;p[1]=Math.max(p[1],h);}
    else{var q=k[1]==='left'?tl:br;q[0]=Math.max(q[0],w);}});
  var z=map.getBoundsZoom(B,false,L.point(tl[0]+br[0],tl[1]+br[1]));
  if(!best||z>best[0])best=[z,tl,br];}
map.fitBounds(B,{paddingTopLeft:best[1],paddingBottomRight:best[2],animate:false});
"""


def _layer_switch(m: folium.Map, layers: Sequence[Layer]) -> None:
    """A switch turning each of ``layers`` (folium layers, by their names) on and off.

    Leaflet's layer control, open on a wide map and folded into its button on a narrow one
    (under 600 px), where its list would push the data into a corner.
    """
    items = ",".join(js_json(esc(layer.layer_name)) + ":" + layer.get_name() for layer in layers)
    _Script("L.control.layers(null,{" + items + "},{collapsed:map.getSize().x<600})"
            ".addTo(map);").add_to(m)


def _fit_clear(m: folium.Map, bounds: Sequence[float]) -> None:
    """Fit the view to lon/lat ``bounds`` clear of the map's controls (add it last).

    The fit is kept as ``map.pnFit()``, so the report fits the data again when the map's size
    changes (printing).
    """
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    _Script("var B=L.latLngBounds(" + js_json([[miny, minx], [maxy, maxx]]) + ");"
            "map.pnFit=function(){" + _FIT_JS + "};map.pnFit();").add_to(m)


# ----------------------------------------------------------------------------------- basics
def base_map(basemap: Basemap = "none", bounds: Sequence[float] | None = None,
             lang: Lang = "en") -> folium.Map:
    """An empty map: no tiles (``none``, works offline), OpenStreetMap or Gaode tiles.

    The scale bar is metric only, its units in ``lang`` (km / 千米).

    Parameters
    ----------
    basemap : {"none", "osm", "gaode"}
        Tiles. Geometry must be on the tiles' datum (see :func:`pairnet.maps.geometry.to_basemap_datum`).
    bounds : (minx, miny, maxx, maxy), optional
        Fit the view to these lon/lat bounds.
    lang : {"en", "zh"}
        Language of the scale bar's units.
    """
    check_literal(basemap, Basemap, "basemap")
    m = folium.Map(tiles=None, control_scale=False, zoom_start=6, location=[30, 115],
                   zoom_snap=0.25, zoom_delta=0.5)
    # Leaflet writes "m"/"km" itself: its metric label is rebuilt with our words
    _Script("var sc=L.control.scale({imperial:false}),U=" + js_json(
        {"m": WORDS["unit_m"](lang), "km": WORDS["unit_km"](lang)}) + ";"
        "sc._updateMetric=function(max){var n=this._getRoundNum(max);this._updateScale("
        "this._mScale,n<1000?n+U.m:n/1000+U.km,n/max);};sc.addTo(map);").add_to(m)
    if basemap != "none":
        url, attr = _TILES[basemap]
        folium.TileLayer(url, attr=attr, name=basemap,
                         subdomains="1234" if basemap == "gaode" else "abc").add_to(m)
    if bounds is not None:
        # without animation: an animated zoom would end after (and undo) a later refit
        minx, miny, maxx, maxy = (float(b) for b in bounds)
        _Script("map.fitBounds(" + js_json([[miny, minx], [maxy, maxx]])
                + ",{animate:false});").add_to(m)
    return m


def _round_geoms(geoms: np.ndarray, decimals: int = 5) -> np.ndarray:
    return shapely.transform(geoms, lambda c: np.round(c, decimals))


def _polygons(gdf: gpd.GeoDataFrame, fills: Sequence[str], tips: Sequence[str], *,
              name: str, opacity: float = 0.55, weight: float = 0.8,
              show: bool = True, overlay: bool = True) -> folium.GeoJson:
    """A GeoJson layer with per-feature fill and an escaped tooltip."""
    geoms = _round_geoms(np.asarray(gdf.geometry.values, dtype=object))
    features = []
    for g, fill, tip in zip(geoms, fills, tips):
        features.append({"type": "Feature", "geometry": json.loads(shapely.to_geojson(g)),
                         "properties": {"tip": tip, "fill": fill}})
    data = {"type": "FeatureCollection", "features": features}
    return folium.GeoJson(
        data, name=name, show=show, overlay=overlay,
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#555",
                                  "weight": weight, "fillOpacity": opacity},
        highlight_function=lambda f: {"weight": 2.5, "color": "#222"},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
    )


def _prepare(cities: gpd.GeoDataFrame, basemap: Basemap, tolerance: float
             ) -> tuple[gpd.GeoDataFrame, pd.DataFrame, dict[str, str]]:
    require_columns(cities, ["city", "name", "geometry"], file="cities")
    shown = display_polygons(cities.reset_index(drop=True), basemap, tolerance)
    anchors = anchor_points(shown).set_index("city")
    names = dict(zip(shown["city"].astype(str), shown["name"].astype(str)))
    return shown, anchors, names


def _bounds(gdf: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = gdf.total_bounds
    return float(minx), float(miny), float(maxx), float(maxy)


def _arc(a: tuple[float, float], b: tuple[float, float], bend: float = 0.18, n: int = 20
         ) -> list[list[float]]:
    """Points ``[lat, lon]`` of a quadratic curve from ``a`` to ``b`` (lon, lat), bent right.

    Bending to the right of the direction of travel keeps A→B and B→A apart.
    """
    (x0, y0), (x1, y1) = a, b
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    dx, dy = x1 - x0, y1 - y0
    cx, cy = mx + bend * dy, my - bend * dx  # perpendicular offset, right-hand side
    t = np.linspace(0.0, 1.0, n)
    xs = (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t ** 2 * x1
    ys = (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t ** 2 * y1
    return [[round(float(y), 5), round(float(x), 5)] for x, y in zip(xs, ys)]


def _hex(cmap: str, x: float) -> str:
    import matplotlib
    from matplotlib.colors import to_hex

    return to_hex(matplotlib.colormaps[cmap](float(np.clip(x, 0.0, 1.0))))


def _ramp(cmap: str, n: int = 7, opacity: float = 1.0) -> list[str]:
    """``n`` evenly spaced colours of ``cmap``.

    With ``opacity`` < 1 each is blended over the map's background, so a colour bar shows the
    colours that the semi-transparent fills show.
    """
    from matplotlib.colors import to_hex, to_rgb

    bg = to_rgb(MAP_BACKGROUND)

    def blend(c: str) -> str:
        r, g, b = (opacity * x + (1 - opacity) * y for x, y in zip(to_rgb(c), bg, strict=True))
        return to_hex((r, g, b))

    return [blend(_hex(cmap, i / (n - 1))) for i in range(n)]


#: fill opacity of the city polygons under arcs, of the choropleths' and of the categories'
#: polygons (the legends' swatches and colour bars use them too)
CITY_OPACITY = 0.35
FILL_OPACITY = 0.75
CATEGORY_OPACITY = 0.65


def _city_layer(m: folium.Map, shown: gpd.GeoDataFrame, *, name: str | None = None,
                lang: Lang = "en") -> folium.GeoJson:
    """The city polygons, filled by group (helper / recipient), with a tooltip each."""
    fills, tips = [], []
    for r in shown.itertuples():
        grp = _text(getattr(r, "group", None))
        fills.append(GROUP_COLOURS.get(grp, GROUP_COLOURS[None]))
        gname = _GROUP_NAMES[grp](lang) if grp in _GROUP_NAMES else (grp or "–")
        tips.append(_tip(_place(r.name, lang), [(_w("adcode", lang), esc(r.city)),
                                                (_w("group", lang), esc(gname))]))
    layer = _polygons(shown, fills, tips, name=name or WORDS["cities"](lang),
                      opacity=CITY_OPACITY)
    layer.add_to(m)
    return layer


def _group_items(shown: gpd.GeoDataFrame, lang: Lang) -> list[tuple[str, str]]:
    """Legend swatches of the city groups on the map (helper / recipient)."""
    col = shown["group"] if "group" in shown.columns else pd.Series(dtype=object)
    groups = [g for g in dict.fromkeys(col) if isinstance(g, str) and g in GROUP_COLOURS]
    return [(fill_swatch(GROUP_COLOURS[g], CITY_OPACITY),
             _GROUP_NAMES[g](lang) if g in _GROUP_NAMES else g) for g in groups]


# ----------------------------------------------------------------------------------- maps
def pairing_map(cities: gpd.GeoDataFrame, parks: pd.DataFrame, *,
                distances: pd.DataFrame | None = None, effects: pd.DataFrame | None = None,
                basemap: Basemap = "none", tolerance: float = DEFAULT_TOLERANCE,
                lang: Lang = "en") -> folium.Map:
    """Helper and recipient cities with one arc per co-built park, coloured by first year.

    Every city is labelled with its name (Chinese first; a switch shows English or hides them).

    Parameters
    ----------
    cities : GeoDataFrame
        ``city, name, group, geometry`` (group PRD = helper, EWN = recipient).
    parks : DataFrame
        ``helper, recipient, park, first_year``.
    distances : DataFrame, optional
        ``origin, destination`` + any of the four distance columns (km), shown in tooltips.
    effects : DataFrame, optional
        ``helper, recipient, predicted_effect`` (from the distance-interacted DID).
    basemap, tolerance
        See :func:`base_map` and :func:`pairnet.maps.geometry.simplify_coverage`.
    lang : {"en", "zh"}
        Language of the legend, tooltips and switches.
    """
    require_columns(parks, ["helper", "recipient", "park", "first_year"], file="parks")
    shown, anchors, names = _prepare(cities, basemap, tolerance)
    m = base_map(basemap, _bounds(shown), lang)
    _city_layer(m, shown, lang=lang)
    dist = {}
    if distances is not None and len(distances):
        for r in distances.to_dict("records"):
            dist[(str(r["origin"]), str(r["destination"]))] = r
    eff = {}
    if effects is not None and len(effects):
        for r in effects.to_dict("records"):
            eff[(str(r["helper"]), str(r["recipient"]))] = r.get("predicted_effect")
    years = pd.to_numeric(parks["first_year"], errors="coerce")
    y0, y1 = (float(years.min()), float(years.max())) if years.notna().any() else (0.0, 1.0)
    arcs = folium.FeatureGroup(name=WORDS["parks_layer"](lang))
    seen: dict[tuple[str, str], int] = {}
    missing = []
    for i, r in enumerate(parks.to_dict("records")):
        h, rc = str(r["helper"]), str(r["recipient"])
        if h not in anchors.index or rc not in anchors.index:
            missing.append(i)
            continue
        k = seen.get((h, rc), 0)
        seen[(h, rc)] = k + 1
        a = (anchors.at[h, "lon"], anchors.at[h, "lat"])
        b = (anchors.at[rc, "lon"], anchors.at[rc, "lat"])
        yr = years.iloc[i]
        colour = _hex("viridis", 0.5 if y1 == y0 or pd.isna(yr) else (yr - y0) / (y1 - y0))
        d = dist.get((h, rc), {})
        rows = [(_w("park", lang), esc(r["park"])),
                (_w("first_year", lang), esc("–" if pd.isna(yr) else int(yr)))]
        rows += [(esc(_dist_label(c, lang)), _fmt(d.get(c))) for c in DISTANCE_COLUMNS
                 if c in d]
        if (h, rc) in eff:
            rows.append((_w("predicted_effect", lang), _fmt(eff[(h, rc)], 3)))
        tip = _tip(f"{_place(names.get(h, h), lang)} → {_place(names.get(rc, rc), lang)}", rows)
        folium.PolyLine(_arc(a, b, 0.15 + 0.08 * k), color=colour, weight=3, opacity=0.9,
                        tooltip=tip).add_to(arcs)
        # a dot at the recipient end shows the direction of the pairing
        folium.CircleMarker([b[1], b[0]], radius=4, color=colour, weight=1, fill=True,
                            fill_opacity=1.0, tooltip=tip).add_to(arcs)
    if missing:
        raise InputError("helper or recipient not among the cities drawn", file="parks",
                         rows=missing, fix="include every helper and recipient in the cities")
    arcs.add_to(m)
    _add_labels(m, anchors, names, lang)
    _Script(_legend_js(WORDS["first_year_park"](lang), _group_items(shown, lang),
                       gradient=_ramp("viridis", 11), ticks=_year_ticks(y0, y1))).add_to(m)
    _fit_clear(m, _bounds(shown))
    return m


def _year_ticks(y0: float, y1: float) -> list[tuple[float, str]]:
    """Ticks of a year colour bar: the first, the last and one in between."""
    if y1 <= y0:
        return [(0.5, str(int(y0)))]
    mid = int(round((y0 + y1) / 2))
    ticks = [(0.0, str(int(y0))), (1.0, str(int(y1)))]
    if y0 < mid < y1:
        ticks.insert(1, ((mid - y0) / (y1 - y0), str(mid)))
    return ticks


def _dist_label(col: str, lang: Lang) -> str:
    from pairnet.core.i18n import label

    return label(col, lang)


def flow_map(cities: gpd.GeoDataFrame, flows: pd.DataFrame, *,
             thresholds: Sequence[float] = (1, 3, 5, 10),
             focus: tuple[Sequence[str], Sequence[str]] | None = None,
             basemap: Basemap = "none", tolerance: float = DEFAULT_TOLERANCE,
             lang: Lang = "en") -> folium.Map:
    """Directed flows by year, line width ∝ count, with a year and a threshold selector.

    Widths are proportional to the count relative to the largest flow of the selected
    threshold and pairs in ANY year, so one scale holds across years and they compare.

    Parameters
    ----------
    cities : GeoDataFrame
        ``city, name, group, geometry``.
    flows : DataFrame
        ``origin, destination, year, count``; rows with zero count are not drawn.
    thresholds : sequence of int
        Choices of the minimum count shown (the network thresholds).
    focus : (helpers, recipients), optional
        Adds a selector "helpers → recipients only" (the default view) / "all pairs".
    lang : {"en", "zh"}
        Language of the selectors, legend and tooltips.

    The legend draws three line widths with the counts they stand for (it follows the
    selection, whose largest flow sets the full width).
    """
    require_columns(flows, ["origin", "destination", "year", "count"], file="flows")
    shown, anchors, names = _prepare(cities, basemap, tolerance)
    m = base_map(basemap, _bounds(shown), lang)
    _city_layer(m, shown, lang=lang)
    f = flows[["origin", "destination", "year", "count"]].copy()
    f["origin"] = f["origin"].astype(str)
    f["destination"] = f["destination"].astype(str)
    f["count"] = pd.to_numeric(f["count"], errors="coerce").fillna(0)
    f = f[(f["count"] > 0) & f["origin"].isin(anchors.index) & f["destination"].isin(anchors.index)
          & (f["origin"] != f["destination"])]
    codes = list(anchors.index)
    pos = {c: i for i, c in enumerate(codes)}
    nodes = [[round(float(anchors.at[c, "lat"]), 4), round(float(anchors.at[c, "lon"]), 4),
              _place(names.get(c, c), lang)] for c in codes]
    fo = ({str(c) for c in focus[0]}, {str(c) for c in focus[1]}) if focus else None
    rows = [[pos[o], pos[d], int(y), float(c),
             int(fo is not None and o in fo[0] and d in fo[1])] for o, d, y, c in
            zip(f["origin"], f["destination"], f["year"], f["count"])]
    years = sorted({r[2] for r in rows})
    ths = sorted({int(t) for t in thresholds} | {1})
    words = {k: WORDS[k](lang) for k in ("count_ge", "pairs_focus", "pairs_all", "flow",
                                          "flows_n", "year", "flows", "flow_tip")}
    js = (
        "var N=" + js_json(nodes) + ",F=" + js_json(rows) + ",Y=" + js_json(years)
        + ",T=" + js_json(ths) + ",FOCUS=" + js_json(fo is not None)
        + ",W=" + js_json(words) + ";"
        "var g=L.featureGroup().addTo(map);"
        "function arc(a,b){var x0=a[1],y0=a[0],x1=b[1],y1=b[0],mx=(x0+x1)/2,my=(y0+y1)/2,"
        "cx=mx+0.18*(y1-y0),cy=my-0.18*(x1-x0),p=[];for(var i=0;i<=16;i++){var t=i/16,u=1-t;"
        "p.push([u*u*y0+2*u*t*cy+t*t*y1,u*u*x0+2*u*t*cx+t*t*x1]);}return p;}"
        "function fmt(v){return (Math.round(v*10)/10).toLocaleString('en');}"
        "function wd(v,cmax){return 1.2+10*v/cmax;}"
        "function nice(v){if(v<=0)return 0;var e=Math.pow(10,Math.floor(Math.log10(v))),"
        "m=v/e;return (m>=5?5:m>=2?2:1)*e;}"
        "function key(cmax){var vs=[cmax],a=nice(cmax/2),b=nice(cmax/5);"
        "if(a<cmax&&a>0)vs.push(a);if(b<a&&b>0)vs.push(b);var h='';"
        "vs.forEach(function(v){h+='<div style=\\'display:flex;align-items:center;gap:6px\\'>'"
        "+'<svg width=\\'44\\' height=\\'14\\'><line x1=\\'2\\' y1=\\'7\\' x2=\\'42\\' "
        "y2=\\'7\\' stroke=\\'#c0392b\\' stroke-opacity=\\'0.75\\' stroke-width=\\''+wd(v,cmax)"
        "+'\\'/></svg><span>'+fmt(v)+'</span></div>';});return h;}"
        "function draw(){g.clearLayers();var y=+ys.value,th=+ts.value,n=0,only=ps&&ps.value==='f';"
        "var A=F.filter(function(r){return r[3]>=th&&(!only||r[4]);}),"
        "S=A.filter(function(r){return r[2]===y;}),"
        "CMAX=A.reduce(function(m,r){return Math.max(m,r[3]);},1);"
        "S.forEach(function(r){n++;var a=N[r[0]],b=N[r[1]];"
        "var l=L.polyline(arc(a,b),{color:'#c0392b',opacity:0.75,weight:wd(r[3],CMAX)});"
        "l.bindTooltip('<b>'+a[2]+' → '+b[2]+'</b><br>'+W.flow_tip.replace('{year}',r[2])"
        ".replace('{count}',fmt(r[3])));"
        "g.addLayer(l);L.circleMarker([b[0],b[1]],{radius:2,color:'#c0392b',weight:1}).addTo(g);"
        "});info.textContent=n+' '+(n===1?W.flow:W.flows_n);"
        "if(wk)wk.innerHTML=key(CMAX);}"
        "var ctl=L.control({position:'topright'}),ys,ts,ps=null,info,wk=null;"
        "ctl.onAdd=function(){var d=L.DomUtil.create('div','pn-flow-control pn-box');"
        + _CONTROL_BOX_JS + _year_select_js(lang) +
        "d.appendChild(document.createTextNode(' '+W.count_ge+' '));"
        "ts=L.DomUtil.create('select','pn-threshold',d);T.forEach(function(t){"
        "var o=document.createElement('option');o.value=t;o.textContent=t;ts.appendChild(o);});"
        "if(FOCUS){d.appendChild(document.createElement('br'));"
        "ps=L.DomUtil.create('select','pn-pairs',d);[['f',W.pairs_focus],['a',W.pairs_all]]"
        ".forEach(function(q){var o=document.createElement('option');o.value=q[0];"
        "o.textContent=q[1];ps.appendChild(o);});ps.value='f';ps.onchange=draw;}"
        "info=L.DomUtil.create('div','pn-flow-info',d);"
        "L.DomEvent.disableClickPropagation(d);ys.onchange=draw;ts.onchange=draw;return d;};"
        "ctl.addTo(map);"
        "var lg=L.control({position:'bottomright'});lg.onAdd=function(){"
        "var d=L.DomUtil.create('div','pn-legend pn-flow-legend pn-box');"
        "d.style.cssText='background:rgba(255,255,255,.92);padding:6px 8px;font:12px "
        "sans-serif;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3)';"
        "d.innerHTML='<div class=\\'pn-legend-title\\'>'+W.flows+'</div>';"
        "wk=L.DomUtil.create('div','pn-width-key',d);return d;};lg.addTo(map);draw();"
    )
    _Script(js).add_to(m)
    _add_labels(m, anchors, names, lang)
    _fit_clear(m, _bounds(shown))
    return m


def distance_effect_map(cities: gpd.GeoDataFrame, effects: pd.DataFrame, *,
                        actual: pd.DataFrame | None = None, basemap: Basemap = "none",
                        tolerance: float = DEFAULT_TOLERANCE,
                        distance_col: str = "distance_km",
                        distance_label: str | None = None, lang: Lang = "en") -> folium.Map:
    """Predicted effect of every helper–recipient pair.

    A selector shows the pairs of one helper (the default: the first helper, the planner's
    question "which recipient would this helper's park help most?") or all pairs. The colour
    scale runs from min(0, smallest effect) to the largest; it diverges at zero (red
    negative, blue positive) only when both signs occur, else it is sequential.

    Parameters
    ----------
    effects : DataFrame
        ``helper, recipient, predicted_effect`` and optionally ``distance_col`` (km).
    actual : DataFrame, optional
        ``helper, recipient`` of actual pairings, drawn with a dark halo.
    distance_label : str, optional
        Which distance ``distance_col`` holds (e.g. ``"border_km"``), shown in the tooltip.
    lang : {"en", "zh"}
        Language of the selector, legend and tooltips.

    The colour bar is drawn from the same colour function as the arcs, with ticks at round
    values (0 among them where it lies inside the range), so a colour in the legend is the
    colour of that value on the map.
    """
    require_columns(effects, ["helper", "recipient", "predicted_effect"], file="effects")
    shown, anchors, names = _prepare(cities, basemap, tolerance)
    m = base_map(basemap, _bounds(shown), lang)
    _city_layer(m, shown, lang=lang)
    e = effects.copy()
    e["helper"] = e["helper"].astype(str)
    e["recipient"] = e["recipient"].astype(str)
    e = e[e["helper"].isin(anchors.index) & e["recipient"].isin(anchors.index)]
    vals = pd.to_numeric(e["predicted_effect"], errors="coerce")
    colour_of, ramp, lo, hi = effect_scale(vals)
    act = set()
    if actual is not None:
        act = set(zip(actual["helper"].astype(str), actual["recipient"].astype(str)))
    helpers = list(dict.fromkeys(e["helper"]))
    rows = []
    for r, v in zip(e.to_dict("records"), vals):
        h, rc = r["helper"], r["recipient"]
        a = (anchors.at[h, "lon"], anchors.at[h, "lat"])
        b = (anchors.at[rc, "lon"], anchors.at[rc, "lat"])
        colour = "#999999" if pd.isna(v) else colour_of(float(v))
        tips = [(_w("predicted_effect", lang), _fmt(v, 3))]
        if distance_col in r:
            dl = _dist_label(distance_label, lang) if distance_label else WORDS["distance"](lang)
            tips.append((esc(dl), _fmt(r[distance_col])))  # the label names the unit
        is_act = (h, rc) in act
        tips.append((_w("actual_pairing", lang), _w("yes" if is_act else "no", lang)))
        tip = _tip(f"{_place(names.get(h, h), lang)} → {_place(names.get(rc, rc), lang)}", tips)
        rows.append([helpers.index(h), _arc(a, b, 0.12, 12), colour, int(is_act), tip])
    js = (
        "var H=" + js_json([_place(names.get(h, h), lang) for h in helpers]) + ",P="
        + js_json(rows)
        + ";var g=L.featureGroup().addTo(map),hs;"
        "function draw(){g.clearLayers();var k=hs?hs.value:(H.length?'0':'all');"
        "P.forEach(function(p){"
        "if(k!=='all'&&+k!==p[0])return;"
        "if(p[3])L.polyline(p[1],{color:'#111',weight:7,opacity:0.3}).addTo(g);"
        "L.polyline(p[1],{color:p[2],weight:k==='all'?2.5:4,opacity:0.85})"
        ".bindTooltip(p[4],{sticky:true}).addTo(g);});}"
        "var ctl=L.control({position:'topright'});ctl.onAdd=function(){"
        "var d=L.DomUtil.create('div','pn-helper-control pn-box');" + _CONTROL_BOX_JS +
        "d.appendChild(document.createTextNode(" + js_json(WORDS["helper"](lang) + " ") + "));"
        "hs=L.DomUtil.create('select','pn-helper',d);"
        "var o=document.createElement('option');o.value='all';o.textContent="
        + js_json(WORDS["all_helpers"](lang)) + ";"
        "hs.appendChild(o);H.forEach(function(n,i){var o=document.createElement('option');"
        "o.value=i;o.innerHTML=n;hs.appendChild(o);});if(H.length)hs.value='0';"
        "L.DomEvent.disableClickPropagation(d);hs.onchange=draw;return d;};ctl.addTo(map);draw();"
    )
    _Script(js).add_to(m)
    _add_labels(m, anchors, names, lang)
    halo = line_swatch(ramp[-1], 4, 0.85, halo=("#111", 7, 0.3))
    _Script(_legend_js(WORDS["effect_legend"](lang), [(halo, WORDS["actual_pairing"](lang))],
                       gradient=ramp, ticks=_value_ticks(lo, hi))).add_to(m)
    _fit_clear(m, _bounds(shown))
    return m


def effect_scale(values: pd.Series) -> tuple[Any, list[str], float, float]:
    """Colour scale for effects: ``(colour_of(v), legend ramp, lo, hi)``.

    The range is min(0, min) .. max (max(0, max) when all are negative), so zero is always
    on the scale. Both signs: diverging RdBu centred at zero (red negative, blue positive);
    one sign: the blue (or red) half only, so every colour carries information.
    """
    v = pd.to_numeric(values, errors="coerce")
    v = v[np.isfinite(v)]
    lo = min(0.0, float(v.min())) if len(v) else 0.0
    hi = max(0.0, float(v.max())) if len(v) else 1.0
    if lo == hi:
        hi = lo + 1.0
    if lo < 0 < hi:
        def colour_of(x: float) -> str:
            return _hex("RdBu", 0.5 + 0.5 * (x / hi if x >= 0 else -x / lo))
    elif lo >= 0:
        def colour_of(x: float) -> str:
            return _hex("RdBu", 0.55 + 0.45 * (x - lo) / (hi - lo))
    else:
        def colour_of(x: float) -> str:
            return _hex("RdBu", 0.45 * (x - lo) / (hi - lo))
    # the legend's bar: the colour of each value at its place between lo and hi (the diverging
    # scale is not linear in the value when |lo| != hi, so evenly spaced RdBu stops would put
    # white at the middle of the bar instead of at 0)
    ramp = [colour_of(float(v)) for v in np.linspace(lo, hi, 21)]
    return colour_of, ramp, lo, hi


def choropleth_map(cities: gpd.GeoDataFrame, panel: pd.DataFrame, value: str, *,
                   label: str | None = None, year_col: str = "year", cmap: str = "YlGnBu",
                   basemap: Basemap = "none", tolerance: float = DEFAULT_TOLERANCE,
                   lang: Lang = "en") -> folium.Map:
    """Cities coloured by ``value`` in a chosen year (a year selector restyles one layer).

    Parameters
    ----------
    cities : GeoDataFrame
        ``city, name, geometry``.
    panel : DataFrame
        ``city``, ``year_col``, ``value``; one colour scale over all years.
    """
    require_columns(panel, ["city", year_col, value], file="panel")
    shown, anchors, names = _prepare(cities, basemap, tolerance)
    m = base_map(basemap, _bounds(shown), lang)
    p = panel[["city", year_col, value]].copy()
    p["city"] = p["city"].astype(str)
    p[value] = pd.to_numeric(p[value], errors="coerce")
    years = sorted(int(y) for y in p[year_col].dropna().unique())
    finite = p[value][np.isfinite(p[value])]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    span = (hi - lo) or 1.0
    by_city: dict[str, dict[str, list]] = {}
    for c, y, v in zip(p["city"], p[year_col], p[value]):
        if pd.isna(y):
            continue
        ok = v is not None and np.isfinite(v)
        by_city.setdefault(c, {})[str(int(y))] = [
            _hex(cmap, (v - lo) / span) if ok else "#dddddd", _fmt(v, 3) if ok else "–"]
    geoms = _round_geoms(np.asarray(shown.geometry.values, dtype=object))
    feats = [{"type": "Feature", "geometry": json.loads(shapely.to_geojson(g)),
              "properties": {"n": _place(names.get(str(c), c), lang),
                             "v": by_city.get(str(c), {})}}
             for c, g in zip(shown["city"].astype(str), geoms)]
    # the tooltip's line "label (year): value", {year} and {value} filled in by the script
    tip = WORDS["value_in_year"](lang).replace("{label}", esc(label or value))
    js = (
        "var D=" + js_json({"type": "FeatureCollection", "features": feats}) + ",Y="
        + js_json(years) + ",TIP=" + js_json(tip) + ";var ys;"
        "function cur(f){var v=f.properties.v[ys?ys.value:Y[Y.length-1]];return v||['#eeeeee','–'];}"
        "var lay=L.geoJSON(D,{style:function(f){return {fillColor:cur(f)[0],color:'#555',"
        "weight:0.8,fillOpacity:" + js_json(FILL_OPACITY) + "};},onEachFeature:function(f,l){l.bindTooltip(function(){"
        "return '<b>'+f.properties.n+'</b><br>'+TIP.replace('{year}',ys.value)"
        ".replace('{value}',cur(f)[1]);},"
        "{sticky:true});}}).addTo(map);"
        "var ctl=L.control({position:'topright'});ctl.onAdd=function(){"
        "var d=L.DomUtil.create('div','pn-year-control pn-box');" + _CONTROL_BOX_JS
        + _year_select_js(lang) +
        "L.DomEvent.disableClickPropagation(d);"
        "ys.onchange=function(){lay.setStyle(function(f){return {fillColor:cur(f)[0]};});};"
        "return d;};ctl.addTo(map);"
    )
    _Script(js).add_to(m)
    _add_labels(m, anchors, names, lang, marks=False)
    _Script(_legend_js(label or value, [(fill_swatch("#dddddd", FILL_OPACITY),
                                         WORDS["no_data"](lang))],
                       gradient=_ramp(cmap, 11, FILL_OPACITY), ticks=_value_ticks(lo, hi))
            ).add_to(m)
    _fit_clear(m, _bounds(shown))
    return m


def category_map(polygons: gpd.GeoDataFrame, category: str, *,
                 colours: Mapping[str, str] | None = None, tooltip: Sequence[str] = (),
                 title: str | None = None, basemap: Basemap = "none",
                 tolerance: float = DEFAULT_TOLERANCE, lang: Lang = "en") -> folium.Map:
    """Polygons coloured by a category (e.g. land-sale counties in / out of parks).

    Parameters
    ----------
    polygons : GeoDataFrame
        ``city, name, geometry`` + ``category`` + any ``tooltip`` columns.
    colours : mapping, optional
        ``{category value: colour}``; others get a Tableau palette.
    """
    require_columns(polygons, ["city", "name", category, *tooltip], file="polygons")
    shown = display_polygons(polygons.reset_index(drop=True), basemap, tolerance)
    m = base_map(basemap, _bounds(shown), lang)
    palette = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#9d755d"]
    cats = [str(c) for c in pd.unique(shown[category].astype(str))]
    col = {c: (colours or {}).get(c, palette[i % len(palette)]) for i, c in enumerate(cats)}
    fills, tips = [], []
    for r in shown.to_dict("records"):
        cat = str(r[category])
        fills.append(col[cat])
        rows = [(esc(category), esc(cat))] + [(esc(t), _fmt(r[t], 3) if isinstance(
            r[t], (float, np.floating)) else esc(r[t])) for t in tooltip]
        tips.append(_tip(_place(r["name"], lang), rows))
    _polygons(shown, fills, tips, name=category, opacity=CATEGORY_OPACITY).add_to(m)
    _add_labels(m, anchor_points(shown).set_index("city"),
                dict(zip(shown["city"].astype(str), shown["name"].astype(str))), lang,
                marks=False)
    _Script(_legend_js(title or category, [(fill_swatch(col[c], CATEGORY_OPACITY), c)
                                           for c in cats])).add_to(m)
    _fit_clear(m, _bounds(shown))
    return m


def _outline_layer(m: folium.Map, outlines: gpd.GeoDataFrame, basemap: Basemap,
                   tolerance: float, colours: Mapping[str, str], lang: Lang = "en"
                   ) -> list[tuple[str, str]]:
    """Unfilled context outlines (e.g. prefectures), coloured by ``group``; legend items."""
    shown = display_polygons(outlines.reset_index(drop=True), basemap, tolerance)
    geoms = _round_geoms(np.asarray(shown.geometry.values, dtype=object))
    groups = [_text(g) for g in
              (shown["group"] if "group" in shown.columns else [None] * len(shown))]
    def group(g: str) -> str:
        return _GROUP_NAMES[g](lang) if g in _GROUP_NAMES else g

    feats = [{"type": "Feature", "geometry": json.loads(shapely.to_geojson(g)),
              "properties": {"tip": _tip(_place(n, lang), [(_w("group", lang), esc(group(gr)))]
                                         if gr else []),
                             "stroke": colours.get(gr or "", "#333333")}}
             for g, n, gr in zip(geoms, shown["name"].astype(str), groups)]
    weight, opacity = 2.2, 0.9
    folium.GeoJson(
        {"type": "FeatureCollection", "features": feats}, name="outlines",
        style_function=lambda f: {"color": f["properties"]["stroke"], "weight": weight,
                                  "fill": False, "opacity": opacity},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False)).add_to(m)
    seen = dict.fromkeys(g for g in groups if g)
    _add_labels(m, anchor_points(shown).set_index("city"),
                dict(zip(shown["city"].astype(str), shown["name"].astype(str))), lang,
                marks=False)
    return [(outline_swatch(colours.get(g, "#333333"), weight, opacity),
             WORDS["outline"](lang).format(group=group(g))) for g in seen]


def share_map(polygons: gpd.GeoDataFrame, value: str, *, label: str | None = None,
              tooltip: Sequence[str] = (), outlines: gpd.GeoDataFrame | None = None,
              outline_colours: Mapping[str, str] | None = None, cmap: str = "YlOrRd",
              lo: float | None = 0.0, hi: float | None = 1.0, percent: bool = True,
              no_data: str = "no data", basemap: Basemap = "none",
              tolerance: float = DEFAULT_TOLERANCE, lang: Lang = "en") -> folium.Map:
    """Polygons coloured by a continuous ``value`` on a sequential scale with a legend.

    Polygons whose value is missing are grey (``no_data`` in the legend) and their tooltip
    values show "–". ``outlines`` (``city, name, group, geometry``, e.g. prefectures) are drawn
    unfilled on top for context.

    Parameters
    ----------
    polygons : GeoDataFrame
        ``city, name, geometry``, ``value`` and the ``tooltip`` columns.
    lo, hi : float, optional
        The ends of the scale (None = the data's min / max); ``percent`` labels 0..1 as %.
    """
    require_columns(polygons, ["city", "name", value, *tooltip], file="polygons")
    shown = display_polygons(polygons.reset_index(drop=True), basemap, tolerance)
    bounds = _bounds(shown if outlines is None else
                     pd.concat([shown[["geometry"]], outlines[["geometry"]]]))
    m = base_map(basemap, bounds, lang)
    vals = pd.to_numeric(shown[value], errors="coerce")
    finite = vals[np.isfinite(vals)]
    a = float(finite.min()) if lo is None and len(finite) else (lo or 0.0)
    b = float(finite.max()) if hi is None and len(finite) else (1.0 if hi is None else hi)
    span = (b - a) or 1.0

    def show(v: Any, pct: bool = False) -> str:
        if v is None or (isinstance(v, (float, np.floating)) and not np.isfinite(v)):
            return "–"
        if isinstance(v, (float, np.floating, int, np.integer)) and not isinstance(v, bool):
            return f"{100 * float(v):.1f}%" if pct else _fmt(v, 1 if abs(float(v)) >= 10 else 3)
        return esc(v)

    fills, tips = [], []
    for r, v in zip(shown.to_dict("records"), vals):
        ok = bool(np.isfinite(v))
        fills.append(_hex(cmap, (v - a) / span) if ok else "#dddddd")
        rows = [(esc(label or value), show(v, percent))]
        rows += [(esc(t), show(r[t])) for t in tooltip]
        tips.append(_tip(_place(r["name"], lang), rows))
    _polygons(shown, fills, tips, name=value, opacity=FILL_OPACITY).add_to(m)
    items = [(fill_swatch("#dddddd", FILL_OPACITY), no_data)]
    if outlines is not None and len(outlines):
        items += _outline_layer(m, outlines, basemap, tolerance,
                                outline_colours or {"EWN": "#08306b", "PRD": "#6a51a3"}, lang)
    else:
        _add_labels(m, anchor_points(shown).set_index("city"),
                    dict(zip(shown["city"].astype(str), shown["name"].astype(str))), lang,
                    marks=False)
    _Script(_legend_js(label or value, items, gradient=_ramp(cmap, 11, FILL_OPACITY),
                       ticks=_value_ticks(a, a + span, percent))).add_to(m)
    _fit_clear(m, bounds)
    return m
