"""Map of the actual versus the optimal pairing (``pairnet optimize``).

Optimal pairs are solid arcs (width ∝ share of coefficient draws choosing the pair), actual pairs
dashed grey arcs; a recipient whose helper changes is outlined. Built on the drawing helpers of
:mod:`pairnet.maps.layers`, so it is escaped and offline-ready in the same way.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd
from folium.map import Layer

from pairnet.core.errors import InputError
from pairnet.core.i18n import Lang
from pairnet.core.tables import require_columns
from pairnet.maps.geometry import DEFAULT_TOLERANCE, Basemap
from pairnet.maps.layers import (
    WORDS,
    _add_labels,
    _arc,
    _bounds,
    _city_layer,
    _fit_clear,
    _fmt,
    _group_items,
    _layer_switch,
    _legend_js,
    _place,
    _prepare,
    _Script,
    _tip,
    _w,
    base_map,
    blank,
    line_swatch,
)

__all__ = ["pairing_comparison_map"]

#: how the two pairings are drawn (the legend's swatches draw the same lines)
OPTIMAL_COLOUR, OPTIMAL_OPACITY = "#d62728", 0.9
ACTUAL_COLOUR, ACTUAL_WEIGHT, ACTUAL_OPACITY, ACTUAL_DASH = "#555555", 2, 0.8, "6 5"


def _optimal_weight(share: float | None) -> float:
    """Line width of an optimal pair: 2 px plus 4 px × the share of draws choosing it."""
    return 2 + 4 * (0.5 if share is None else share)


def pairing_comparison_map(
    cities: gpd.GeoDataFrame,
    optimal: pd.DataFrame,
    actual: pd.DataFrame | None = None,
    *,
    basemap: Basemap = "none",
    tolerance: float = DEFAULT_TOLERANCE,
    lang: Lang = "en",
) -> folium.Map:
    """Actual (dashed) and optimal (solid) helper → recipient pairs on the city polygons.

    Parameters
    ----------
    cities : GeoDataFrame
        ``city, name, group, geometry`` for every helper and recipient.
    optimal : DataFrame
        ``helper, recipient, distance_km, predicted_effect`` and optionally ``chosen_share``.
    actual : DataFrame, optional
        ``helper, recipient`` of the actual pairing (e.g. the parks table).
    basemap, tolerance
        See :func:`pairnet.maps.layers.base_map` and :func:`pairnet.maps.geometry.simplify_coverage`.
    lang : {"en", "zh"}
        Language of the legend, layers and tooltips; cities are labelled by name.

    Raises
    ------
    InputError
        A pair names a city that is not among ``cities``.
    """
    require_columns(optimal, ["helper", "recipient", "distance_km", "predicted_effect"],
                    file="optimal pairing")
    shown, anchors, names = _prepare(cities, basemap, tolerance)
    m = base_map(basemap, _bounds(shown), lang)
    switchable: list[Layer] = [_city_layer(m, shown, lang=lang)]

    def ends(h: str, r: str, what: str, i: int):
        if h not in anchors.index or r not in anchors.index:
            raise InputError("helper or recipient not among the cities drawn", file=what,
                             rows=[i], fix="include every helper and recipient in the cities")
        return ((anchors.at[h, "lon"], anchors.at[h, "lat"]),
                (anchors.at[r, "lon"], anchors.at[r, "lat"]))

    act_pairs: set[tuple[str, str]] = set()
    if actual is not None and len(actual):
        layer = folium.FeatureGroup(name=WORDS["actual_layer"](lang))
        act = actual[["helper", "recipient"]].astype(str).drop_duplicates()
        for i, (h, r) in enumerate(zip(act["helper"], act["recipient"])):
            act_pairs.add((h, r))
            a, b = ends(h, r, "actual pairing", i)
            folium.PolyLine(_arc(a, b, 0.25), color=ACTUAL_COLOUR, weight=ACTUAL_WEIGHT,
                            opacity=ACTUAL_OPACITY, dash_array=ACTUAL_DASH,
                            tooltip=_tip(f"{_place(names.get(h, h), lang)} → "
                                         f"{_place(names.get(r, r), lang)}",
                                         [(_w("pairing", lang), _w("actual", lang))])
                            ).add_to(layer)
        layer.add_to(m)
        switchable.append(layer)
    layer = folium.FeatureGroup(name=WORDS["optimal_layer"](lang))
    for i, row in enumerate(optimal.to_dict("records")):
        h, r = str(row["helper"]), str(row["recipient"])
        a, b = ends(h, r, "optimal pairing", i)
        share = row.get("chosen_share")
        share_ok = not blank(share)
        rows = [(_w("pairing", lang), _w("optimal", lang)
                 + (_w("also_actual", lang) if (h, r) in act_pairs else "")),
                (_w("distance_km", lang), _fmt(row["distance_km"])),
                (_w("predicted_effect", lang), _fmt(row["predicted_effect"], 3))]
        if share_ok:
            rows.append((_w("chosen", lang), f"{100 * float(share):.0f}%"))
        tied = row.get("tied_with") or ""
        if isinstance(tied, str) and tied:
            rows.append((_w("tied", lang), "; ".join(_place(names.get(t, t), lang)
                                                     for t in tied.split("; "))))
        folium.PolyLine(_arc(a, b, 0.12), color=OPTIMAL_COLOUR,
                        weight=_optimal_weight(float(share) if share_ok else None),
                        opacity=OPTIMAL_OPACITY,
                        tooltip=_tip(f"{_place(names.get(h, h), lang)} → "
                                     f"{_place(names.get(r, r), lang)}", rows)).add_to(layer)
    layer.add_to(m)
    switchable.append(layer)
    _layer_switch(m, switchable)
    _add_labels(m, anchors, names, lang)
    _Script(_legend_js(WORDS["pairing"](lang), [
        (line_swatch(OPTIMAL_COLOUR, _optimal_weight(None), OPTIMAL_OPACITY),
         WORDS["optimal_legend"](lang)),
        (line_swatch(ACTUAL_COLOUR, ACTUAL_WEIGHT, ACTUAL_OPACITY, ACTUAL_DASH),
         WORDS["actual_legend"](lang)),
        *_group_items(shown, lang)])).add_to(m)
    _fit_clear(m, _bounds(shown))
    return m
