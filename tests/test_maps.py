"""Maps: escaping, offline rendering, coverage simplification, datum handling."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import shapely

from pairnet.spatial.cities import GROUPS

XSS = "<script>alert(1)</script>`${x}\\u"


@pytest.fixture(scope="module")
def gd():
    from pairnet.maps.geometry import city_polygons

    return city_polygons(GROUPS["GD"])


@pytest.fixture(scope="module")
def small():
    from pairnet.maps.geometry import city_polygons

    return city_polygons(["440100", "440300", "441400", "441500"])


def _parks(names=("Park A", XSS)):
    return pd.DataFrame({"helper": ["440100", "440300"], "recipient": ["441400", "441500"],
                         "park": list(names), "first_year": [2005, 2010]})


def test_esc_escapes_html_and_template_literal_characters():
    from pairnet.maps.layers import esc

    out = esc(XSS)
    assert "<" not in out and ">" not in out
    assert "`" not in out and "$" not in out and "\\" not in out
    assert out.startswith("&lt;script&gt;alert(1)&lt;/script&gt;&#96;&#36;{x}&#92;u")
    assert esc(None) == "" and esc(float("nan")) == ""


def test_js_json_cannot_close_the_script_element():
    from pairnet.maps.layers import js_json

    text = js_json({"a": "</script><b>&\u2028"})
    assert "</" not in text and "<" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><b>&\u2028"}


def test_coverage_simplify_keeps_shared_borders(gd):
    from pairnet.maps.geometry import simplify_coverage

    s = simplify_coverage(gd, 0.005)
    before = int(shapely.get_num_coordinates(gd.geometry.values).sum())
    after = int(shapely.get_num_coordinates(s.geometry.values).sum())
    assert before > 80_000 and after < before / 5
    # a coverage stays a coverage: no gaps or overlaps between neighbours
    assert shapely.coverage_is_valid(np.asarray(gd.geometry.values))
    assert shapely.coverage_is_valid(np.asarray(s.geometry.values))
    # 广州 (440100) and 佛山 (440600) share a border before and after
    a = s.set_index("city").geometry
    inter = a["440100"].intersection(a["440600"])
    assert inter.length > 0.1 and inter.area < 1e-9
    # shifts stay small (degrees; 0.02 deg is about 2 km)
    assert max(shapely.hausdorff_distance(x, y) for x, y in
               zip(gd.geometry.values, s.geometry.values)) < 0.02
    assert s.attrs.get("datum") == gd.attrs.get("datum")


def test_simplify_rejects_empty_geometry(small):
    from pairnet.core.errors import GeometryError
    from pairnet.maps.geometry import simplify_coverage

    bad = small.copy()
    bad.loc[2, "geometry"] = None
    with pytest.raises(GeometryError, match="row 3"):
        simplify_coverage(bad)


def test_basemap_datum_conversion(small):
    from pairnet.maps.geometry import to_basemap_datum
    from pairnet.spatial.datum import gcj02_to_wgs84

    assert small.attrs["datum"] == "GCJ-02"
    same = to_basemap_datum(small, "gaode")
    assert same is small or same.geometry.equals(small.geometry)
    w = to_basemap_datum(small, "osm")
    assert w.attrs["datum"] == "WGS-84"
    x0, y0 = shapely.get_coordinates(small.geometry.values[0])[0]
    x1, y1 = shapely.get_coordinates(w.geometry.values[0])[0]
    ex, ey = gcj02_to_wgs84(np.array([x0]), np.array([y0]))
    assert (x1, y1) == pytest.approx((ex[0], ey[0]), abs=1e-9)
    # GCJ-02 is offset by a few hundred metres in Guangdong
    assert 0.001 < abs(x1 - x0) + abs(y1 - y0) < 0.02


def test_unknown_basemap_is_rejected(small):
    from pairnet.core.errors import InputError
    from pairnet.maps.layers import pairing_map

    with pytest.raises(InputError, match="basemap"):
        pairing_map(small, _parks(), basemap="google")


def test_map_parts_have_no_cdn_and_escape_names(small):
    from pairnet.maps.layers import pairing_map
    from pairnet.maps.report import external_references, map_parts

    m = pairing_map(small, _parks())
    # the notebook map itself still uses folium's CDN assets
    assert external_references(m.get_root().render())
    parts = map_parts(pairing_map(small, _parks()))
    text = parts.html + parts.script
    assert external_references(text) == []
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert f'id="{parts.name}"' in parts.html


def test_pairing_map_tooltips_carry_distances_and_effect(small):
    from pairnet.maps.layers import pairing_map
    from pairnet.maps.report import map_parts

    dist = pd.DataFrame({"origin": ["440100"], "destination": ["441400"], "border_km": [123.4],
                         "centroid_km": [234.5], "region_centroid_km": [99.0],
                         "region_border_km": [88.0]})
    eff = pd.DataFrame({"helper": ["440100"], "recipient": ["441400"],
                        "predicted_effect": [0.4321]})
    text = map_parts(pairing_map(small, _parks(), distances=dist, effects=eff)).script
    for s in ("123.4", "234.5", "99.0", "88.0", "0.432", "Park A", "Guangzhou → Meizhou"):
        assert s in text
    assert "广州市 → 梅州市" not in text  # the English map names places in pinyin
    zh = map_parts(pairing_map(small, _parks(), distances=dist, effects=eff, lang="zh")).script
    assert "广州市 → 梅州市" in zh and "Guangzhou → Meizhou" not in zh


def test_pairing_map_rejects_parks_outside_the_cities(small):
    from pairnet.core.errors import InputError
    from pairnet.maps.layers import pairing_map

    parks = _parks()
    parks.loc[1, "recipient"] = "445200"
    with pytest.raises(InputError, match="row 2"):
        pairing_map(small, parks)


def test_flow_map_embeds_years_thresholds_and_counts(small):
    from pairnet.maps.layers import flow_map
    from pairnet.maps.report import map_parts

    flows = pd.DataFrame({"origin": ["440100", "440100", "440300", "440300"],
                          "destination": ["441400", "441400", "441500", "440300"],
                          "year": [2001, 2002, 2002, 2002], "count": [4, 0, 12, 5]})
    script = map_parts(flow_map(small, flows, thresholds=(1, 3, 5, 10))).script
    data = re.search(r"F=(\[.*?\]\]),Y=", script).group(1)
    rows = json.loads(data)
    # zero counts and self-loops are not drawn
    assert sorted(r[3] for r in rows) == [4.0, 12.0]
    assert "Y=[2001,2002]" in script and "T=[1,3,5,10]" in script


def test_distance_effect_colours_diverge_at_zero(small):
    from pairnet.maps.layers import _hex

    assert _hex("RdBu", 0.5 + 0.5 * 1.0) != _hex("RdBu", 0.5 - 0.5 * 1.0)
    from pairnet.maps.layers import distance_effect_map
    from pairnet.maps.report import map_parts

    eff = pd.DataFrame({"helper": ["440100", "440300"], "recipient": ["441400", "441500"],
                        "predicted_effect": [1.0, -1.0], "distance_km": [50.0, 300.0]})
    script = map_parts(distance_effect_map(small, eff)).script
    assert _hex("RdBu", 1.0) in script and _hex("RdBu", 0.0) in script


def test_choropleth_has_one_layer_and_every_year(small):
    from pairnet.maps.layers import choropleth_map
    from pairnet.maps.report import map_parts

    panel = pd.DataFrame({"city": ["440100", "440300"] * 2, "year": [2010, 2010, 2011, 2011],
                          "mig": [0.1, 0.2, np.nan, 0.4]})
    script = map_parts(choropleth_map(small, panel, "mig", label=XSS)).script
    assert "Y=[2010,2011]" in script
    assert script.count("L.geoJSON(") == 1
    assert "<script>alert" not in script


def test_category_map_colours(small):
    from pairnet.maps.layers import category_map
    from pairnet.maps.report import map_parts

    g = small.assign(kind=["in", "out", "in", "out"])
    script = map_parts(category_map(g, "kind", colours={"in": "#123456"})).script
    assert "#123456" in script


def test_leaflet_assets_come_from_npm_install():
    from pairnet.maps.assets import leaflet_css, leaflet_js, leaflet_version

    assert leaflet_version() == "1.9.4"
    assert "L.version" in leaflet_js() or "Leaflet" in leaflet_js()[:500]
    css = leaflet_css()
    assert "images/layers.png" not in css and "data:image/png;base64," in css


def test_osm_basemap_converts_geometry_and_adds_tiles(small):
    from pairnet.maps.layers import pairing_map
    from pairnet.maps.report import map_parts

    none = map_parts(pairing_map(small, _parks(), basemap="none")).script
    osm = map_parts(pairing_map(small, _parks(), basemap="osm")).script
    gaode = map_parts(pairing_map(small, _parks(), basemap="gaode")).script
    assert "tile.openstreetmap.org" in osm and "tileLayer" not in none
    assert "autonavi.com" in gaode
    # the first polygon coordinate differs between GCJ-02 (none, gaode) and WGS-84 (osm)
    first = re.compile(r'"coordinates":\s*\[+\s*([0-9.]+),\s*([0-9.]+)')
    assert first.search(none).groups() == first.search(gaode).groups()
    assert first.search(none).groups() != first.search(osm).groups()


def test_demo_config_runs_both_studies():
    from pairnet.study import ANALYSES, demo_config

    cfg = demo_config()
    assert cfg.demo is True
    assert [s.kind for s in cfg.studies] == ["pairing", "citypanel"]
    assert cfg.studies[0].analyses == ANALYSES["pairing"]


def test_effect_scale_is_sequential_when_all_effects_are_positive():
    from pairnet.maps.layers import _hex, effect_scale

    colour_of, ramp, lo, hi = effect_scale(pd.Series([0.2, 0.5, 1.0]))
    assert (lo, hi) == (0.0, 1.0)
    # no red half: every colour is at or above the middle of RdBu
    assert _hex("RdBu", 0.0) not in ramp and colour_of(1.0) == _hex("RdBu", 1.0)
    assert colour_of(0.2) != colour_of(1.0)
    colour_of, ramp, lo, hi = effect_scale(pd.Series([-2.0, 1.0]))
    assert (lo, hi) == (-2.0, 1.0)
    assert colour_of(-2.0) == _hex("RdBu", 0.0) and colour_of(1.0) == _hex("RdBu", 1.0)
    assert colour_of(0.0) == _hex("RdBu", 0.5)


def test_distance_effect_map_defaults_to_one_helper_and_names_the_distance(small):
    from pairnet.maps.layers import distance_effect_map
    from pairnet.maps.report import map_parts

    eff = pd.DataFrame({"helper": ["440100", "440300"], "recipient": ["441400", "441500"],
                        "predicted_effect": [0.3, 0.6], "distance_km": [50.0, 300.0]})
    script = map_parts(distance_effect_map(small, eff, distance_label="border_km")).script
    assert "hs.value='0'" in script and '"all helpers"' in script
    assert "border distance (km)" in script and "300.0" in script and "300.0 km" not in script
    # the legend scale starts at 0 although the smallest effect is 0.3; its ticks are round
    # values with one precision (js_json escapes <)
    ticks = re.findall(r"white-space:nowrap'\\u003e([^\\]*)\\u003c/span", script)
    assert ticks == ["0.0", "0.2", "0.4", "0.6"], ticks


def test_share_map_colours_by_share_and_shows_dash_for_no_data(small):
    from pairnet.maps.layers import _hex, share_map
    from pairnet.maps.report import map_parts

    g = small.assign(share=[0.0, 1.0, np.nan, 0.5], ha=[10.0, 2500.0, np.nan, 4.0])
    outl = small.iloc[:2].assign(group=["PRD", "PRD"])
    script = map_parts(share_map(g, "share", label="share inside", tooltip=["ha"],
                                 outlines=outl)).script
    assert _hex("YlOrRd", 1.0) in script and _hex("YlOrRd", 0.0) in script
    # no data: grey fill and "–" (folium writes it as \u2013), never "0.000"
    assert "#dddddd" in script and "\\u2013" in script and "50.0%" in script
    assert "2,500.0" in script and "helper (PRD) prefecture outline" in script
    assert '"fill": false' in script or '"fill":false' in script


def test_flow_map_uses_one_width_scale_across_years(small):
    from pairnet.maps.layers import flow_map
    from pairnet.maps.report import map_parts

    flows = pd.DataFrame({"origin": ["440100", "440300"], "destination": ["441400", "441500"],
                          "year": [2001, 2002], "count": [4, 12]})
    script = map_parts(flow_map(small, flows)).script
    # the maximum is taken over the threshold's flows of every year (A), not the year shown (S)
    assert "CMAX=A.reduce(" in script and "W.flows_n" in script


@pytest.mark.parametrize(("lo", "hi", "want"), [
    (-0.0123, 0.05, ["0.00", "0.02", "0.04"]),  # was "-0.0123" … "0.05", 0 on top of the min
    (-0.432, 2.85, ["0", "1", "2"]),
    (-0.229, 0.534, ["-0.2", "0.0", "0.2", "0.4"]),
    (0.0, 0.6, ["0.0", "0.2", "0.4", "0.6"]),
    (0.0, 0.1, ["0.00", "0.05", "0.10"]),
    (1200.0, 98000.0, ["20,000", "40,000", "60,000", "80,000"]),
])
def test_colour_bar_ticks_are_round_with_one_precision(lo, hi, want):
    from pairnet.maps.layers import _value_ticks

    ticks = _value_ticks(lo, hi)
    assert [t for _, t in ticks] == want
    assert all(0.0 <= p <= 1.0 for p, _ in ticks)
    zero = [p for p, t in ticks if float(t.replace(",", "")) == 0]
    if lo < 0 < hi:  # zero is a tick, at its place along the bar
        assert zero == [pytest.approx(-lo / (hi - lo))]


def test_percent_ticks_and_a_single_value():
    from pairnet.maps.layers import _value_ticks

    assert _value_ticks(0.0, 1.0, percent=True) == [(0.0, "0%"), (0.5, "50%"), (1.0, "100%")]
    assert _value_ticks(2.0, 2.0) == [(0.5, "2")]


def test_legend_swatches_draw_what_the_map_draws(small):
    from pairnet.maps.layers import CITY_OPACITY, GROUP_COLOURS, pairing_map
    from pairnet.maps.optimize_map import (
        ACTUAL_COLOUR,
        ACTUAL_DASH,
        OPTIMAL_COLOUR,
        pairing_comparison_map,
    )
    from pairnet.maps.report import map_parts

    opt = pd.DataFrame({"helper": ["440100"], "recipient": ["441400"], "distance_km": [9.0],
                        "predicted_effect": [0.5], "chosen_share": [1.0]})
    script = map_parts(pairing_comparison_map(small, opt, _parks())).script
    legend = json.loads(re.search(r"d\.innerHTML=(\"[^\n]*?\");return d;\};lg", script)
                        .group(1))
    # the groups' fills at the polygons' opacity; the pairings as lines, the actual one dashed
    fill = f"background:{GROUP_COLOURS['PRD']};opacity:{CITY_OPACITY:g}"
    assert fill in legend and f'"fillOpacity": {CITY_OPACITY}' in script
    assert f"stroke='{OPTIMAL_COLOUR}'" in legend
    assert f"stroke='{ACTUAL_COLOUR}'" in legend and f"stroke-dasharray='{ACTUAL_DASH}'" in legend
    assert fill in map_parts(pairing_map(small, _parks())).script


def test_labels_and_scale_speak_the_report_language(small):
    from pairnet.maps.layers import pairing_map
    from pairnet.maps.report import map_parts

    en = map_parts(pairing_map(small, _parks())).script
    zh = map_parts(pairing_map(small, _parks(), lang="zh")).script
    # label rows [lat, lon, zh, en], largest city first; the first option is the reader's
    rows = json.loads(re.search(r"var LB=(\[.*?\]\]),LO=", en).group(1))
    assert [r[3] for r in rows][:2] == ["Meizhou", "Guangzhou"] and rows[0][2] == "梅州"
    assert re.search(r'LO=\[\["en","English"\]', en) and re.search(r'LO=\[\["zh","中文"\]', zh)
    assert "imperial:false" in en and '" 千米"' in zh and '" km"' in en
