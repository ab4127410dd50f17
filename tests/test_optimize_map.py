"""The actual-vs-optimal pairing map renders, escapes names and refuses unknown cities."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from pairnet.core.errors import InputError
from pairnet.maps.optimize_map import pairing_comparison_map


def _cities():
    return gpd.GeoDataFrame(
        {"city": ["1", "2", "3"], "name": ["<script>x</script>", "B", "C"],
         "group": ["PRD", "EWN", "EWN"]},
        geometry=[box(113, 23, 114, 24), box(115, 23, 116, 24), box(113, 25, 114, 26)],
        crs="EPSG:4326")


def test_map_renders_both_pairings_escaped():
    opt = pd.DataFrame({"helper": ["1", "1"], "recipient": ["2", "3"], "distance_km": [100, 50],
                        "predicted_effect": [0.5, 1.0], "chosen_share": [0.7, 1.0]})
    act = pd.DataFrame({"helper": ["1"], "recipient": ["2"]})
    html = pairing_comparison_map(_cities(), opt, act).get_root().render()
    assert "optimal pairing" in html and "actual pairing" in html
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "70%" in html and "also actual" in html


def test_unknown_city_is_an_input_error():
    opt = pd.DataFrame({"helper": ["1"], "recipient": ["9"], "distance_km": [1.0],
                        "predicted_effect": [0.1]})
    with pytest.raises(InputError, match="not among the cities"):
        pairing_comparison_map(_cities(), opt)
