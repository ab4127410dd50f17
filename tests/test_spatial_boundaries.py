"""Built-in boundaries by adcode / name / group, and the user's own boundary files."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from pairnet.core.errors import (
    AmbiguousCityError,
    CRSError,
    GeometryError,
    InputError,
    UnknownCityError,
)
from pairnet.spatial.boundaries import load_boundaries, read_boundaries
from pairnet.spatial.cities import GROUPS


def test_group_prd_is_the_nine_cities():
    gdf = load_boundaries("PRD")
    assert list(gdf["city"]) == list(GROUPS["PRD"])
    assert list(gdf.columns) == ["city", "name", "group", "geometry"]
    assert gdf.crs.to_epsg() == 4326
    assert gdf.attrs["datum"] == "GCJ-02"
    assert set(gdf["group"]) == {"PRD"}
    assert gdf["city"].str.len().eq(6).all()
    assert shapely.is_valid(np.asarray(gdf.geometry.values)).all()
    # Guangzhou is about 7,400 km² (area in an equal-area projection)
    area = gdf.to_crs("+proj=laea +lat_0=23 +lon_0=113").area.iloc[0] / 1e6
    assert 6_500 < area < 8_500


@pytest.mark.parametrize("token", ["440100", "广州", "广州市", "广东省广州市", "广东广州"])
def test_name_forms_resolve_to_the_same_city(token):
    assert list(load_boundaries(token)["city"]) == ["440100"]


def test_mixed_spec_keeps_order_and_drops_repeats():
    gdf = load_boundaries(["清远", "440100", "广州市"])
    assert list(gdf["city"]) == ["441800", "440100"]
    assert list(gdf["group"]) == ["EWN", "PRD"]
    assert list(gdf["name"]) == ["清远市", "广州市"]


def test_county_codes():
    # a county adcode where prefectures are asked for is an error that names the prefecture
    with pytest.raises(UnknownCityError, match="440100"):
        load_boundaries("440106")
    cty = load_boundaries("440106", level="county")
    assert list(cty["city"]) == ["440106"] and cty["name"].iloc[0] == "天河区"
    assert cty["group"].iloc[0] == "PRD"  # the group of its prefecture


def test_unknown_and_ambiguous_names():
    with pytest.raises(UnknownCityError, match="999999"):
        load_boundaries("999999", argument="--origins")
    with pytest.raises(UnknownCityError, match="Fix"):
        load_boundaries("不存在的城市")
    with pytest.raises(AmbiguousCityError) as err:
        load_boundaries("朝阳区", level="county")
    assert "110105" in str(err.value) and "220104" in str(err.value)


# ---------------------------------------------------------------- user files
def _squares(crs="EPSG:4326"):
    g = gpd.GeoDataFrame(
        {"code": [11, 12, 13], "name": ["a", "b", "c"]},
        geometry=[shapely.box(113.0, 23.0, 113.1, 23.1), shapely.box(113.1, 23.0, 113.2, 23.1),
                  shapely.box(113.5, 23.0, 113.6, 23.1)],
        crs="EPSG:4326",
    )
    return g.to_crs(crs)


def test_read_geojson_with_numeric_ids(tmp_path):
    path = tmp_path / "b.geojson"
    _squares().to_file(path)
    gdf = read_boundaries(path, "code")
    assert list(gdf["city"]) == ["11", "12", "13"]
    assert list(gdf["name"]) == ["a", "b", "c"]
    assert gdf.attrs["datum"] == "WGS-84" and gdf.crs.to_epsg() == 4326


def test_read_projected_geopackage_is_reprojected(tmp_path):
    path = tmp_path / "b.gpkg"
    _squares("EPSG:32649").to_file(path)
    with pytest.warns(UserWarning, match=r"projected CRS \(EPSG:32649"):
        gdf = read_boundaries(path, "code", datum="GCJ-02")
    assert gdf.crs.to_epsg() == 4326 and gdf.attrs["datum"] == "GCJ-02"
    np.testing.assert_allclose(gdf.total_bounds, [113.0, 23.0, 113.6, 23.1], atol=1e-6)


def test_read_geoparquet(tmp_path):
    path = tmp_path / "b.parquet"
    _squares().to_parquet(path)
    assert list(read_boundaries(path, "code")["city"]) == ["11", "12", "13"]


def test_missing_id_column_lists_columns(tmp_path):
    path = tmp_path / "b.geojson"
    _squares().to_file(path)
    with pytest.raises(InputError, match=r"no id column 'adcode' \(columns: code, name\)"):
        read_boundaries(path, "adcode")


def test_missing_file():
    with pytest.raises(InputError, match="file not found"):
        read_boundaries("/nonexistent/b.geojson", "code")


@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")
def test_missing_crs(tmp_path):
    path = tmp_path / "b.shp"
    _squares().set_crs(None, allow_override=True).to_file(path)
    with pytest.raises(CRSError, match="set_crs"):
        read_boundaries(path, "code")


def test_bow_tie_is_invalid_geometry(tmp_path):
    g = _squares()
    g.loc[1, "geometry"] = Polygon([(113.1, 23.0), (113.2, 23.1), (113.2, 23.0), (113.1, 23.1)])
    path = tmp_path / "b.geojson"
    g.to_file(path)
    with pytest.raises(GeometryError) as err:
        read_boundaries(path, "code")
    msg = str(err.value)
    assert "'12'" in msg and "row 2" in msg and "make_valid" in msg


def test_empty_geometry_and_duplicate_ids(tmp_path):
    g = _squares()
    g.loc[2, "geometry"] = Polygon()
    path = tmp_path / "e.gpkg"
    g.to_file(path)
    with pytest.raises(GeometryError, match="empty"):
        read_boundaries(path, "code")
    g = _squares()
    g.loc[2, "code"] = 11
    path = tmp_path / "d.geojson"
    g.to_file(path)
    with pytest.raises(InputError, match="duplicate ids"):
        read_boundaries(path, "code")
