"""The four distances: hand-checkable squares, symmetry, touching cities, equivalences, CLI."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import Polygon

from pairnet.spatial.distances import (
    DISTANCE_COLUMNS,
    DISTANCE_MEASURES,
    DistancesResult,
    border_km_pairs,
    measure_distances,
    pair_distances,
)

GEOD = Geod(ellps="WGS84")


def _km(lon1, lat1, lon2, lat2):
    return GEOD.inv(lon1, lat1, lon2, lat2)[2] / 1000.0


def _within(value, truth):
    return abs(value - truth) <= max(0.05, 0.0005 * truth)


def _squares(lat0: float, lon0: float = 0.0):
    """A and B 0.2° apart in longitude, C touching A, all 0.1° squares (WGS-84)."""
    g = gpd.GeoDataFrame(
        {"city": ["A", "B", "C"]},
        geometry=[shapely.box(lon0, lat0, lon0 + 0.1, lat0 + 0.1),
                  shapely.box(lon0 + 0.3, lat0, lon0 + 0.4, lat0 + 0.1),
                  shapely.box(lon0, lat0 + 0.1, lon0 + 0.1, lat0 + 0.2)],
        crs="EPSG:4326",
    )
    g.attrs["datum"] = "WGS-84"
    return g


@pytest.mark.parametrize("lat0, lon0", [(0.0, 0.0), (23.0, 113.0)])
def test_two_squares_a_known_geodesic_distance_apart(lat0, lon0):
    g = _squares(lat0, lon0)
    df = pair_distances(g.iloc[[0]], g.iloc[[1]])
    assert list(df.columns) == DISTANCE_COLUMNS + ["adjacent"]
    row = df.iloc[0]
    # the nearest points are the facing corners nearer the pole (parallels converge)
    truth = _km(lon0 + 0.1, lat0 + 0.1, lon0 + 0.3, lat0 + 0.1)
    assert row["border_km"] == pytest.approx(truth, rel=1e-6)
    # centroids of 0.1° squares: the centres (to 1e-4 relative at this size)
    assert row["centroid_km"] == pytest.approx(
        _km(lon0 + 0.05, lat0 + 0.05, lon0 + 0.35, lat0 + 0.05), rel=1e-4)
    # region = A alone: its centroid to B's border, and the border distance again
    assert row["region_centroid_km"] == pytest.approx(
        _km(lon0 + 0.05, lat0 + 0.05, lon0 + 0.3, lat0 + 0.05), rel=1e-4)
    assert row["region_border_km"] == pytest.approx(truth, rel=1e-6)
    assert not row["adjacent"]


def test_touching_squares_are_exactly_zero_and_adjacent():
    g = _squares(23.0, 113.0)
    df = pair_distances(g.iloc[[0]], g.iloc[[1, 2]])
    ac = df[df["destination"] == "C"].iloc[0]
    assert ac["border_km"] == 0.0 and ac["adjacent"]
    # corner contact only: touching, distance 0, but no shared border
    h = gpd.GeoDataFrame({"city": ["P", "Q"]}, geometry=[shapely.box(0, 0, 1, 1),
                                                         shapely.box(1, 1, 2, 2)], crs=4326)
    d = pair_distances(h.iloc[[0]], h.iloc[[1]]).iloc[0]
    assert d["border_km"] == 0.0 and not d["adjacent"]


def test_guangzhou_qingyuan_touch():
    df = pair_distances("广州", "清远,深圳")
    gz_qy = df[df["destination"] == "441800"].iloc[0]
    assert gz_qy["border_km"] == 0.0 and bool(gz_qy["adjacent"])
    gz_sz = df[df["destination"] == "440300"].iloc[0]
    assert gz_sz["border_km"] > 0 and not gz_sz["adjacent"]
    assert df["origin"].tolist() == ["440100", "440100"]


@pytest.fixture(scope="module")
def prd_prd():
    return pair_distances("PRD", "PRD")


def test_all_ordered_pairs_without_self_pairs(prd_prd):
    assert len(prd_prd) == 9 * 8
    assert not (prd_prd["origin"] == prd_prd["destination"]).any()
    assert prd_prd["origin"].str.len().eq(6).all()


def test_border_and_centroid_distances_are_symmetric(prd_prd):
    fwd = prd_prd.set_index(["origin", "destination"])
    back = prd_prd.set_index(["destination", "origin"])
    back.index.names = ["origin", "destination"]
    back = back.loc[fwd.index]
    np.testing.assert_allclose(fwd["centroid_km"], back["centroid_km"], rtol=1e-12)
    # border: the same nearest pair is found from either side, within the accuracy promise
    np.testing.assert_allclose(fwd["border_km"], back["border_km"], rtol=5e-4, atol=0.05)
    assert (fwd["adjacent"] == back["adjacent"]).all()
    # inside the region (all of PRD), region distances are 0
    assert (prd_prd["region_border_km"] == 0).all()


def test_centroid_triangle_inequality(prd_prd):
    c = prd_prd.set_index(["origin", "destination"])["centroid_km"]
    cities = sorted(set(prd_prd["origin"]))
    for a, b, d in itertools.permutations(cities, 3):
        assert c[(a, d)] <= c[(a, b)] + c[(b, d)] + 1e-9
    # border distance never exceeds centroid distance
    assert (prd_prd["border_km"] <= prd_prd["centroid_km"]).all()


def test_region_border_is_min_over_origins_border():
    df = pair_distances("PRD", "EWN")
    per_dest = df.groupby("destination").agg(mn=("border_km", "min"),
                                             rb=("region_border_km", "first"))
    for _, r in per_dest.iterrows():
        assert _within(r["rb"], r["mn"])
    # region centroid is inside the delta, at least as far as the region's border
    assert (df["region_centroid_km"] >= df["region_border_km"]).all()
    assert df["region_centroid_km"].nunique() == 12


def test_measure_distances_result_matches_the_table_and_names_the_cities(tmp_path):
    from pairnet.core.outputs import write_result
    from pairnet.core.results import Result

    res = measure_distances("广州,深圳", "清远,440300,梅州")
    assert isinstance(res, DistancesResult) and isinstance(res, Result)
    assert res.origins == ("440100", "440300") and res.destinations == ("441800", "440300",
                                                                         "441400")
    table = pair_distances("广州,深圳", "清远,440300,梅州")
    pd.testing.assert_frame_equal(res.tidy(), table)
    assert len(table) == 5  # 深圳 -> 深圳 is no pair
    d = res.to_dict()
    assert d["n_pairs"] == 5 and list(d) == ["n_pairs", "mean_km", "helper_recipient"]
    for c in DISTANCE_MEASURES:
        assert d["mean_km"][c] == pytest.approx(table[c].mean())
    assert d["helper_recipient"][0] == {k: (str(v) if k in ("origin", "destination")
                                            else float(v))
                                        for k, v in table.iloc[0].items() if k != "adjacent"}
    shown = res.tables()["distances"]
    assert shown.title == "Helper → recipient distances (km)"
    assert list(shown.frame.columns) == ["origin", "origin_name", "destination",
                                         "destination_name", *DISTANCE_MEASURES]
    first = shown.frame.iloc[0]
    assert (first["origin_name"], first["destination_name"]) == ("广州市", "清远市")
    assert "5 pairs" in res.summary()
    step = write_result(res, tmp_path / "d")
    assert step.title == "Distances" and (tmp_path / "d" / "tables" / "distances.csv").is_file()


def test_measure_distances_keeps_origins_that_have_no_pair():
    g = _squares(23.0, 113.0)
    # A is an origin and the only destination: only B -> A is a pair, but A stays an origin
    res = measure_distances(g.iloc[[0, 1]], g.iloc[[0]])
    assert res.origins == ("A", "B") and res.destinations == ("A",)
    assert res.tidy()[["origin", "destination"]].values.tolist() == [["B", "A"]]
    # ids that are not adcodes keep themselves as names
    assert res.tables()["distances"].frame["origin_name"].tolist() == ["B"]


def test_fast_engine_matches_pairwise_geos_reference():
    """Certificates and strips vs GEOS on full boundaries in a per-pair AEQD, on GD counties."""
    from pairnet.spatial.boundaries import load_boundaries
    from pairnet.spatial.cities import admin_index
    from pairnet.spatial.distances import _aeqd, _apply, as_lonlat_wgs84

    idx = admin_index()
    codes = idx[(idx["level"] == "county") & idx["prefecture"].isin(["440100", "441800",
                                                                     "440200", "440500"])]
    g = as_lonlat_wgs84(load_boundaries(list(codes["adcode"]), level="county"))
    geoms = np.asarray(g.geometry.values, dtype=object)
    i, j = np.triu_indices(len(geoms), k=1)
    km, touch = border_km_pairs(geoms, i, j)
    # all 630 pairs: 67 touch, ~130 need the strip solver, one the clipped solver, the rest are
    # certified by the hull bound, so every path of the engine is compared with the reference
    assert len(i) == 630
    for p in range(len(i)):
        a, b = geoms[i[p]], geoms[j[p]]
        c = shapely.centroid(shapely.union_all([a, b]))
        fwd, inv = _aeqd(c.x, c.y)
        line = shapely.shortest_line(_apply(fwd, a), _apply(fwd, b))
        xy = shapely.get_coordinates(line)
        lon, lat = inv.transform(xy[:, 0], xy[:, 1])
        ref = 0.0 if shapely.intersects(a, b) else _km(lon[0], lat[0], lon[1], lat[1])
        assert _within(km[p], ref), (g["city"].iloc[i[p]], g["city"].iloc[j[p]], km[p], ref)
        assert touch[p] == shapely.intersects(a, b)


def test_projected_input_is_converted_with_a_warning():
    g = _squares(23.0, 113.0)
    ref = pair_distances(g.iloc[[0]], g.iloc[[1]])
    proj = g.to_crs("EPSG:32649")
    proj.attrs["datum"] = "WGS-84"
    with pytest.warns(UserWarning, match="projected CRS"):
        got = pair_distances(proj.iloc[[0]], proj.iloc[[1]])
    np.testing.assert_allclose(got["border_km"], ref["border_km"], rtol=1e-6)


def test_missing_crs_is_refused():
    from pairnet.core.errors import CRSError

    g = _squares(23.0).set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="set_crs"):
        pair_distances(g.iloc[[0]], g.iloc[[1]])


def test_gcj02_is_shifted_before_measuring():
    g = _squares(23.0, 113.0)
    gcj = g.copy()
    gcj.attrs["datum"] = "GCJ-02"
    a = pair_distances(g.iloc[[0]], g.iloc[[1]])["border_km"].iloc[0]
    b = pair_distances(gcj.iloc[[0]], gcj.iloc[[1]])["border_km"].iloc[0]
    # the datum shift is nearly a translation: distances barely move, but they do move
    assert a != b and abs(a - b) < 0.05


# ---------------------------------------------------------------- command line
def _write_squares(tmp_path, name="b.geojson", crs=True):
    g = _squares(23.0, 113.0).rename(columns={"city": "code"})
    g["name"] = ["甲", "乙", "丙"]
    if not crs:
        g = g.set_crs(None, allow_override=True)
    path = tmp_path / name
    g.to_file(path)
    return path


def test_cli_builtin_groups(run_cli, tmp_path):
    out = tmp_path / "d.csv"
    res = run_cli("distances", "--origins", "PRD", "--destinations", "清远,韶关", "--out", out)
    assert res.code == 0, res.stderr
    assert str(out) in res.stdout
    df = pd.read_csv(out, dtype={"origin": str, "destination": str})
    assert list(df.columns) == DISTANCE_COLUMNS + ["adjacent"]
    assert len(df) == 18 and df["origin"].str.fullmatch(r"\d{6}").all()
    assert df.loc[(df["origin"] == "440100") & (df["destination"] == "441800"),
                  "border_km"].iloc[0] == 0.0


def test_cli_user_boundaries(run_cli, tmp_path):
    path = _write_squares(tmp_path)
    out = tmp_path / "d.csv"
    res = run_cli("distances", "--boundaries", path, "--id-col", "code",
                  "--origins", "A", "--destinations", "B,C", "--out", out)
    assert res.code == 0, res.stderr
    df = pd.read_csv(out, dtype={"origin": str, "destination": str})
    assert df["destination"].tolist() == ["B", "C"]
    assert df["border_km"].iloc[0] == pytest.approx(_km(113.1, 23.1, 113.3, 23.1), rel=1e-6)
    assert df["border_km"].iloc[1] == 0.0


@pytest.mark.parametrize("args, words", [
    (("--origins", "999999", "--destinations", "清远"), ["999999", "--origins", "Fix"]),
    (("--origins", "广州", "--destinations", "不存在市"), ["不存在市", "--destinations", "Fix"]),
    (("--origins", "朝阳区", "--destinations", "110101", "--level", "county"),
     ["ambiguous", "110105", "province"]),
])
def test_cli_bad_ids_exit_2(run_cli, tmp_path, args, words):
    res = run_cli("distances", *args, "--out", tmp_path / "d.csv")
    assert res.code == 2
    for w in words:
        assert w in res.stderr, res.stderr
    assert not (tmp_path / "d.csv").exists()


@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")
def test_cli_bad_files_exit_2(run_cli, tmp_path):
    out = tmp_path / "d.csv"
    path = _write_squares(tmp_path)
    res = run_cli("distances", "--boundaries", path, "--id-col", "adcode",
                  "--origins", "A", "--destinations", "B", "--out", out)
    assert res.code == 2 and "adcode" in res.stderr and "code" in res.stderr
    assert "--id-col" in res.stderr

    res = run_cli("distances", "--boundaries", path, "--id-col", "code",
                  "--origins", "A", "--destinations", "Z", "--out", out)
    assert res.code == 2 and "'Z'" in res.stderr

    shp = _write_squares(tmp_path, "n.shp", crs=False)
    res = run_cli("distances", "--boundaries", shp, "--id-col", "code",
                  "--origins", "A", "--destinations", "B", "--out", out)
    assert res.code == 2 and "coordinate reference system" in res.stderr
    assert "set_crs" in res.stderr

    g = gpd.read_file(path)
    g.loc[1, "geometry"] = Polygon([(113.3, 23.0), (113.4, 23.1), (113.4, 23.0), (113.3, 23.1)])
    bad = tmp_path / "bow.geojson"
    g.to_file(bad)
    res = run_cli("distances", "--boundaries", bad, "--id-col", "code",
                  "--origins", "A", "--destinations", "B", "--out", out)
    assert res.code == 2 and "invalid geometry" in res.stderr and "'B'" in res.stderr
    assert "make_valid" in res.stderr
    assert not out.exists()
