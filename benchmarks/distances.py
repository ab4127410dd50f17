"""All-pairs border distances between every county-level unit of China (~2,874 polygons).

Fast: :func:`pairnet.spatial.distances.border_km_pairs` on all unordered pairs at once (STRtree for
touching pairs, convex-hull separating-axis certificates for far pairs, clipped GEOS
``shortest_line`` for the rest, geodesic km on the WGS-84 ellipsoid).
Naive: a geopandas row loop ``gs.iloc[a].distance(gs.iloc[b])`` in one AEQD projection, timed on
a random sample of pairs and extrapolated to all pairs.

Also checks accuracy on a random sample against brute-force geodesic search over all vertex
pairs (``Geod.inv`` on every vertex of A against every vertex of B).

Run: ``python benchmarks/distances.py [--sample 200]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import shapely
from pyproj import CRS, Geod


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=int, default=200, help="pairs timed in the naive loop")
    ap.add_argument("--check", type=int, default=20, help="pairs checked by brute force")
    args = ap.parse_args()

    import geopandas as gpd

    from pairnet.spatial.boundaries import load_all_counties
    from pairnet.spatial.distances import as_lonlat_wgs84, border_km_pairs

    t = time.perf_counter()
    cities = as_lonlat_wgs84(load_all_counties())
    geoms = np.asarray(cities.geometry.values, dtype=object)
    n = len(geoms)
    t_load = time.perf_counter() - t
    nverts = int(shapely.get_num_coordinates(geoms).sum())
    i, j = np.triu_indices(n, k=1)
    print(f"{n} county polygons, {nverts:,} vertices, {len(i):,} unordered pairs "
          f"(load + GCJ-02->WGS-84: {t_load:.1f} s, not timed below)")

    t = time.perf_counter()
    km, touch = border_km_pairs(geoms, i, j)
    t_fast = time.perf_counter() - t
    print(f"vectorised: {t_fast:.1f} s for all pairs ({touch.sum():,} touching pairs, "
          f"median {np.median(km):.0f} km, max {km.max():.0f} km)")

    # naive: geopandas row loop in one AEQD projection centred on China
    aeqd = CRS.from_proj4("+proj=aeqd +lat_0=35 +lon_0=105 +datum=WGS84 +units=m")
    gs = gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(aeqd)
    rng = np.random.default_rng(2024)
    pick = rng.choice(len(i), size=args.sample, replace=False)
    t = time.perf_counter()
    naive = [gs.iloc[a].distance(gs.iloc[b]) / 1000.0 for a, b in zip(i[pick], j[pick])]
    t_sample = time.perf_counter() - t
    t_naive = t_sample / args.sample * len(i)
    print(f"naive loop: {t_sample:.1f} s for {args.sample} pairs -> {t_naive:,.0f} s "
          f"({t_naive / 3600:.1f} h) extrapolated to all pairs")
    print(f"speed-up: {t_naive / t_fast:,.0f}x")
    rel = np.abs(np.asarray(naive) - km[pick]) / np.maximum(km[pick], 1e-9)
    print(f"naive single-AEQD planar distances differ from geodesic ones by median "
          f"{np.median(rel[km[pick] > 0]) * 100:.2f} %, max {rel[km[pick] > 0].max() * 100:.2f} %")

    # accuracy against brute-force geodesic vertex search
    geod = Geod(ellps="WGS84")
    chk = rng.choice(np.flatnonzero(~touch), size=args.check, replace=False)
    worst = 0.0
    for p in chk:
        A = shapely.get_coordinates(shapely.boundary(geoms[i[p]]))
        B = shapely.get_coordinates(shapely.boundary(geoms[j[p]]))
        best = np.inf
        for s in range(0, len(A), 256):
            a = A[s:s + 256]
            _, _, d = geod.inv(np.repeat(a[:, 0], len(B)), np.repeat(a[:, 1], len(B)),
                               np.tile(B[:, 0], len(a)), np.tile(B[:, 1], len(a)))
            best = min(best, float(d.min()) / 1000.0)
        err = km[p] - best
        tol = max(0.05, 0.0005 * best)
        worst = max(worst, err / tol)
    print(f"accuracy: {args.check} random non-touching pairs vs brute-force geodesic vertex "
          f"search: worst error = {worst:.3f} of the tolerance max(0.05 km, 0.05 %)")


if __name__ == "__main__":
    main()
