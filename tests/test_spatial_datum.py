"""GCJ-02 ⇄ WGS-84: round trip, offset size, outside-China rule, GeoDataFrame attrs."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod

from pairnet.spatial.datum import gcj02_to_wgs84, in_china_box, to_gcj02, to_wgs84, wgs84_to_gcj02

GEOD = Geod(ellps="WGS84")


def test_round_trip_below_1e_6_degree():
    rng = np.random.default_rng(7)
    lon = rng.uniform(74, 134, 2000)
    lat = rng.uniform(18, 53, 2000)
    glon, glat = wgs84_to_gcj02(lon, lat)
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    assert np.abs(wlon - lon).max() < 1e-6
    assert np.abs(wlat - lat).max() < 1e-6
    # and the other way round
    lon2, lat2 = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    assert np.abs(lon2 - lon).max() < 1e-6 and np.abs(lat2 - lat).max() < 1e-6


def test_offset_in_guangdong_is_a_few_hundred_metres():
    # 广州, 深圳, 汕头, 湛江, 韶关 (WGS-84)
    lon = np.array([113.26, 114.06, 116.68, 110.36, 113.60])
    lat = np.array([23.13, 22.54, 23.35, 21.27, 24.81])
    glon, glat = wgs84_to_gcj02(lon, lat)
    _, _, m = GEOD.inv(lon, lat, glon, glat)
    assert np.all((m > 300) & (m < 700)), m
    # GCJ-02 lies east (and south) of WGS-84 in Guangdong
    assert np.all(glon > lon)


def test_no_offset_outside_china():
    lon = np.array([2.35, -74.0, 0.0, 139.9])  # Paris, New York, null island, Tokyo (east of box)
    lat = np.array([48.85, 40.7, 0.0, 35.7])
    assert not in_china_box(lon, lat).any()
    glon, glat = wgs84_to_gcj02(lon, lat)
    np.testing.assert_array_equal(glon, lon)
    np.testing.assert_array_equal(glat, lat)
    np.testing.assert_array_equal(gcj02_to_wgs84(lon, lat)[0], lon)


def test_geodataframe_datum_round_trip():
    import geopandas as gpd

    sq = shapely.box(113.0, 23.0, 113.1, 23.1)
    gdf = gpd.GeoDataFrame({"city": ["A"]}, geometry=[sq], crs="EPSG:4326")
    gdf.attrs["datum"] = "GCJ-02"
    w = to_wgs84(gdf)
    assert w.attrs["datum"] == "WGS-84" and gdf.attrs["datum"] == "GCJ-02"
    shift = shapely.get_coordinates(w.geometry).mean(axis=0) - shapely.get_coordinates(
        gdf.geometry).mean(axis=0)
    assert 0.001 < np.hypot(*shift) < 0.01  # a few hundred metres in degrees
    back = to_gcj02(w)
    assert back.attrs["datum"] == "GCJ-02"
    np.testing.assert_allclose(shapely.get_coordinates(back.geometry),
                               shapely.get_coordinates(gdf.geometry), atol=1e-6)
    # already WGS-84: unchanged coordinates
    np.testing.assert_array_equal(shapely.get_coordinates(to_wgs84(w).geometry),
                                  shapely.get_coordinates(w.geometry))


def test_datum_shift_refuses_projected_coordinates():
    import geopandas as gpd

    from pairnet.core.errors import CRSError

    gdf = gpd.GeoDataFrame({"city": ["A"]}, geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:3857")
    gdf.attrs["datum"] = "GCJ-02"
    with pytest.raises(CRSError, match="to_crs"):
        to_wgs84(gdf)
