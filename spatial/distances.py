"""The four distances of seed 003 §4.4 between cities, in km, geodesic-accurate.

Definitions (design.md):

``border_km``
    shortest distance between the two city polygons; exactly 0 when they touch or overlap.
``centroid_km``
    distance between the two polygons' centroids.
``region_centroid_km``
    from the destination's border to the centroid of the *region*, the union of all origins
    (0 when the centroid lies inside the destination).
``region_border_km``
    from the destination's border to the region's border (0 when they touch).

How it is measured
------------------
Geometry is first put on WGS-84 (Amap boundaries are GCJ-02; the datum shift is undone with
:mod:`spatial.datum`). Nearest points are searched in an azimuthal equidistant (AEQD) projection
centred on the study area — or, for study areas wider than a few degrees, on a tile of origin
cities (about 6° across) so that distortion stays small — and the distance between the two
nearest points is then measured on the WGS-84 ellipsoid with :meth:`pyproj.Geod.inv`. The reported
kilometres are therefore exact geodesic distances between two boundary points; the only error is
in *which* points are chosen, which is second order in the projection's distortion (measured
against brute-force geodesic vertex search in ``benchmarks/distances.py``, well inside 0.05 %).

Centroids are planar centroids in a Lambert azimuthal equal-area projection centred on the study
area (area-true, so the centroid is the centre of mass of the territory), converted back to
longitude/latitude; the distance between two centroids is again measured on the ellipsoid.

Speed: all pairs are handled as arrays. Touching pairs are found with an STRtree and prepared
``intersects``; far pairs are settled by a separating-axis bound on convex hulls (support
functions tabulated at 1° steps), which certifies the answer within tolerance without looking
at the full boundaries; only the remaining near pairs go to GEOS ``shortest_line`` on boundaries
clipped to the neighbourhood where the nearest points must lie.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer

from spatial.errors import CRSError, InputError

__all__ = ["pair_distances", "border_km_pairs", "centroids_lonlat", "as_lonlat_wgs84",
           "DISTANCE_COLUMNS"]

DISTANCE_COLUMNS = ["origin", "destination", "border_km", "centroid_km", "region_centroid_km",
                    "region_border_km"]

GEOD = Geod(ellps="WGS84")
_K = 360  # support-function directions (1° apart)
_TILE_DEG = 6.0  # origin tile size for AEQD centres in wide study areas
_ABS_TOL_M = 50.0  # accuracy promise: 0.05 km ...
_REL_TOL = 0.0005  # ... or 0.05 %


# --------------------------------------------------------------------------- CRS and datum
def as_lonlat_wgs84(gdf, *, what: str = "boundaries", stacklevel: int = 3):
    """Return ``gdf`` in EPSG:4326 on the WGS-84 datum, refusing data without a CRS.

    A projected CRS is converted with a warning (distances are never measured in the projected
    plane of the user's CRS); a GCJ-02 datum (``attrs["datum"]``) is shifted back to WGS-84.

    Raises
    ------
    CRSError
        The GeoDataFrame has no CRS.
    """
    from spatial.datum import to_wgs84

    if gdf.crs is None:
        raise CRSError(f"{what} have no coordinate reference system",
                       fix="set it, e.g. gdf.set_crs('EPSG:4326') for longitude/latitude")
    attrs = dict(gdf.attrs)
    if not gdf.crs.is_geographic:
        warnings.warn(
            f"{what} are in the projected CRS {gdf.crs.name!r}; converting to EPSG:4326 so "
            "distances are measured on the WGS-84 ellipsoid (pass longitude/latitude data to "
            "avoid this conversion)", UserWarning, stacklevel=stacklevel)
        gdf = gdf.to_crs("EPSG:4326")
    elif not gdf.crs.equals(CRS.from_epsg(4326)):
        gdf = gdf.to_crs("EPSG:4326")
    gdf.attrs = attrs
    return to_wgs84(gdf)


def _aeqd(lon0: float, lat0: float) -> tuple[Transformer, Transformer]:
    crs = CRS.from_proj4(f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m")
    return (Transformer.from_crs(4326, crs, always_xy=True),
            Transformer.from_crs(crs, 4326, always_xy=True))


def _laea(lon0: float, lat0: float) -> tuple[Transformer, Transformer]:
    crs = CRS.from_proj4(f"+proj=laea +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m")
    return (Transformer.from_crs(4326, crs, always_xy=True),
            Transformer.from_crs(crs, 4326, always_xy=True))


def _apply(tr: Transformer, geoms):
    def xy(c: np.ndarray) -> np.ndarray:
        x, y = tr.transform(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, xy)


def _centre(geoms) -> tuple[float, float]:
    b = shapely.total_bounds(geoms)
    return (float(b[0] + b[2]) / 2.0, float(b[1] + b[3]) / 2.0)


# --------------------------------------------------------------------------- centroids
def centroids_lonlat(geoms, centre: tuple[float, float] | None = None) -> np.ndarray:
    """Area centroids (lon, lat) of lon/lat polygons, computed in an equal-area projection.

    Parameters
    ----------
    geoms : array of shapely geometries in WGS-84 longitude/latitude
    centre : (lon, lat), optional
        Centre of the Lambert azimuthal equal-area projection; the study area's by default.
    """
    geoms = np.asarray(geoms, dtype=object)
    lon0, lat0 = centre if centre is not None else _centre(geoms)
    fwd, inv = _laea(lon0, lat0)
    c = shapely.get_coordinates(shapely.centroid(_apply(fwd, geoms)))
    lon, lat = inv.transform(c[:, 0], c[:, 1])
    return np.column_stack([lon, lat])


# --------------------------------------------------------------------------- border distances
def _geod_km(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    if len(p) == 0:
        return np.zeros(0)
    _, _, d = GEOD.inv(p[:, 0], p[:, 1], q[:, 0], q[:, 1])
    return np.asarray(d, dtype=float) / 1000.0


def _hull_tables(hulls_xy) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Support function h[i, k] = max over hull vertices of u_k·v, its maximising vertex,
    plus each hull's centre and radius (for the window of directions to search)."""
    coords, which = shapely.get_coordinates(hulls_xy, return_index=True)
    n = len(hulls_xy)
    counts = np.bincount(which, minlength=n)
    theta = np.arange(_K) * (2 * np.pi / _K)
    dirs = np.stack([np.cos(theta), np.sin(theta)])  # (2, K)
    h = np.empty((n, _K))
    sx = np.empty((n, _K))
    sy = np.empty((n, _K))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    hmax = max(int(counts.max()), 1)
    chunk = max(1, 4_000_000 // (hmax * _K))
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        pos = starts[a:b, None] + np.minimum(np.arange(hmax)[None, :], counts[a:b, None] - 1)
        pts = coords[pos]  # (m, hmax, 2), padded by repeating the last vertex
        proj = pts @ dirs  # (m, hmax, K)
        arg = proj.argmax(axis=1)  # (m, K)
        h[a:b] = np.take_along_axis(proj, arg[:, None, :], axis=1)[:, 0, :]
        sx[a:b] = np.take_along_axis(pts[:, :, 0], arg, axis=1)
        sy[a:b] = np.take_along_axis(pts[:, :, 1], arg, axis=1)
    cx = np.bincount(which, weights=coords[:, 0], minlength=n) / np.maximum(counts, 1)
    cy = np.bincount(which, weights=coords[:, 1], minlength=n) / np.maximum(counts, 1)
    r = np.zeros(n)
    np.maximum.at(r, which, np.hypot(coords[:, 0] - cx[which], coords[:, 1] - cy[which]))
    return h, np.stack([sx, sy], axis=-1), np.column_stack([cx, cy]), r, counts


def _support_bound(i, j, tab) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Separating-axis lower bound and support-vertex upper bound for pairs (i, j).

    Returns LB, UB (planar metres), and the two support vertices (planar) realising UB.
    Pairs too close for a direction window get LB = -inf.
    """
    h, s, c, r, _ = tab
    m = len(i)
    lb = np.full(m, -np.inf)
    ub = np.full(m, np.inf)
    pa = np.full((m, 2), np.nan)
    pb = np.full((m, 2), np.nan)
    d = c[j] - c[i]
    dc = np.hypot(d[:, 0], d[:, 1])
    ratio = (r[i] + r[j]) / np.maximum(dc, 1e-9)
    ok = ratio < 0.95
    alpha = np.arcsin(np.minimum(ratio, 0.95))
    step = 2 * np.pi / _K
    need = np.ceil(alpha / step).astype(int) + 1
    k0 = np.round(np.arctan2(d[:, 1], d[:, 0]) / step).astype(int) % _K
    lo = 0
    for w in (2, 4, 8, 16, 32, 64, 128):
        sel = np.flatnonzero(ok & (need > lo) & (need <= w))
        lo = w
        for a in range(0, len(sel), 200_000):
            q = sel[a:a + 200_000]
            ks = (k0[q, None] + np.arange(-w, w + 1)[None, :]) % _K
            kb = (ks + _K // 2) % _K
            gap = -h[j[q, None], kb] - h[i[q, None], ks]
            best = gap.argmax(axis=1)
            kbest = ks[np.arange(len(q)), best]
            lb[q] = gap[np.arange(len(q)), best]
            pa[q] = s[i[q], kbest]
            pb[q] = s[j[q], (kbest + _K // 2) % _K]
            ub[q] = np.hypot(*(pb[q] - pa[q]).T)
    return lb, ub, pa, pb


def _exact_nearest(A, B) -> tuple[np.ndarray, np.ndarray]:
    """Nearest points (planar) between geometry arrays A and B, clipped to where they can lie."""
    # An upper bound on the distance from points known to lie in each geometry.
    ub = shapely.distance(shapely.point_on_surface(A), shapely.point_on_surface(B))
    ba, bb = shapely.bounds(A), shapely.bounds(B)
    pad = ub[:, None] * np.array([-1, -1, 1, 1]) + np.array([-1.0, -1.0, 1.0, 1.0])
    ca = _clip(A, bb + pad)
    cb = _clip(B, ba + pad)
    line = shapely.shortest_line(ca, cb)
    pts = shapely.get_coordinates(line).reshape(-1, 2, 2)
    return pts[:, 0, :], pts[:, 1, :]


def _clip(geoms, rects: np.ndarray):
    """``clip_by_rect`` row by row (GEOS has no vectorised rectangle argument)."""
    # The nearest points lie inside rects, so clipping never changes the answer; it cuts the
    # O(n*m) GEOS distance search down to the facing parts of the two boundaries.
    full = shapely.box(*rects.T)
    inside = shapely.contains_properly(full, geoms)
    out = np.array(geoms, dtype=object, copy=True)
    todo = np.flatnonzero(~inside)
    for t in todo:  # one C call per geometry; no loop over pairs of vertices
        out[t] = shapely.clip_by_rect(geoms[t], *rects[t])
    return out


def border_km_pairs(geoms, i: np.ndarray, j: np.ndarray, *,
                    return_points: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Shortest geodesic distance (km) between polygons ``geoms[i]`` and ``geoms[j]``.

    Parameters
    ----------
    geoms : array of shapely (Multi)Polygons in WGS-84 longitude/latitude
    i, j : int arrays
        Pair indices into ``geoms``.

    Returns
    -------
    km : ndarray
        0.0 exactly for pairs that touch or overlap.
    touch : ndarray of bool
        True where the polygons intersect.
    """
    geoms = np.asarray(geoms, dtype=object)
    i = np.asarray(i, dtype=np.int64)
    j = np.asarray(j, dtype=np.int64)
    km = np.full(len(i), np.nan)
    touch = np.zeros(len(i), dtype=bool)
    if len(i) == 0:
        return km, touch
    # touching / overlapping pairs: STRtree on lon/lat boxes, then an exact predicate
    tree = shapely.STRtree(geoms)
    qi, qj = tree.query(geoms, predicate="intersects")
    hit = pd.MultiIndex.from_arrays([qi, qj])
    touch = hit.get_indexer(pd.MultiIndex.from_arrays([i, j])) >= 0
    km[touch] = 0.0
    rest = np.flatnonzero(~touch)
    if len(rest) == 0:
        return km, touch
    # Tile origins so each AEQD is centred within a few degrees of the origin it measures from.
    ri, rj = i[rest], j[rest]
    bnd = shapely.bounds(geoms)
    cen = (bnd[:, :2] + bnd[:, 2:]) / 2.0
    tile = np.floor(cen[ri] / _TILE_DEG).astype(np.int64)
    tile_key = tile[:, 0] * 100_000 + tile[:, 1]
    if np.ptp(cen[np.unique(np.concatenate([ri, rj]))], axis=0).max() <= _TILE_DEG:
        tile_key[:] = 0  # a compact study area: one projection centred on it
    hulls_ll = shapely.convex_hull(geoms)
    for key in np.unique(tile_key):
        sel = np.flatnonzero(tile_key == key)
        pi, pj = ri[sel], rj[sel]
        lon0, lat0 = _centre(geoms[np.unique(pi)])
        fwd, inv = _aeqd(lon0, lat0)
        tab = _hull_tables(_apply(fwd, hulls_ll))
        lb, ub, pa, pb = _support_bound(pi, pj, tab)
        tol = 0.5 * np.maximum(_ABS_TOL_M, _REL_TOL * np.maximum(lb, 0.0))
        certain = np.isfinite(lb) & (lb > 0) & (ub - lb <= tol)
        hard = np.flatnonzero(~certain)
        if len(hard):
            need = np.unique(np.concatenate([pi[hard], pj[hard]]))
            proj = np.empty(len(geoms), dtype=object)
            proj[need] = _apply(fwd, geoms[need])
            qa, qb = _exact_nearest(proj[pi[hard]], proj[pj[hard]])
            pa[hard], pb[hard] = qa, qb
        lon_a, lat_a = inv.transform(pa[:, 0], pa[:, 1])
        lon_b, lat_b = inv.transform(pb[:, 0], pb[:, 1])
        km[rest[sel]] = _geod_km(np.column_stack([lon_a, lat_a]), np.column_stack([lon_b, lat_b]))
    return km, touch


def _point_border_km(polys, points, centre) -> np.ndarray:
    """Geodesic km from each polygon's border to a point (0 when the point is inside)."""
    fwd, inv = _aeqd(*centre)
    P = _apply(fwd, polys)
    Q = _apply(fwd, points)
    inside = shapely.intersects(polys, points)
    line = shapely.shortest_line(P, Q)
    pts = shapely.get_coordinates(line).reshape(-1, 2, 2)
    a = np.column_stack(inv.transform(pts[:, 0, 0], pts[:, 0, 1]))
    b = np.column_stack(inv.transform(pts[:, 1, 0], pts[:, 1, 1]))
    return np.where(inside, 0.0, _geod_km(a, b))


# --------------------------------------------------------------------------- the table
def _as_cities(x, boundaries, level: str, argument: str):
    import geopandas as gpd

    from spatial.boundaries import load_boundaries

    if isinstance(x, gpd.GeoDataFrame):
        if "city" not in x.columns:
            raise InputError("boundaries have no 'city' column", file=argument,
                             fix="load them with spatial.boundaries.read_boundaries(path, id_col)")
        return x
    if boundaries is None:
        return load_boundaries(x, level=level, argument=argument)
    from spatial.tables import parse_list

    ids = parse_list(x) if isinstance(x, str) else [str(v) for v in x]
    known = boundaries["city"].astype(str)
    missing = [v for v in ids if v not in set(known)]
    if missing:
        from spatial.errors import UnknownCityError

        raise UnknownCityError(
            f"ids {missing[:8]} are not in the boundary file", file=argument,
            fix=f"use ids from the boundary file's id column (e.g. {', '.join(known[:3])})")
    sub = boundaries[known.isin(ids)]
    order = {v: k for k, v in enumerate(dict.fromkeys(ids))}
    return sub.iloc[np.argsort([order[c] for c in sub["city"].astype(str)])]


def pair_distances(origins, destinations, *, boundaries=None, adjacency: bool = True,
                   level: str = "prefecture"):
    """The canonical *distances* table for every ordered pair origin × destination.

    Parameters
    ----------
    origins, destinations : GeoDataFrame or str or sequence of str
        Cities tables (from :func:`spatial.boundaries.load_boundaries` or
        :func:`~spatial.boundaries.read_boundaries`), or id specs (``"PRD"``, ``"广州,440300"``)
        resolved against ``boundaries`` when given, else against the built-in boundaries.
    boundaries : GeoDataFrame, optional
        The user's cities table that id specs refer to.
    adjacency : bool
        Add an ``adjacent`` column: True when the two polygons share a border of positive length.
    level : {"prefecture", "county", "any"}
        Level for built-in ids.

    Returns
    -------
    DataFrame
        ``origin, destination, border_km, centroid_km, region_centroid_km, region_border_km``
        (+ ``adjacent``), one row per ordered pair with origin != destination, ids as strings.
        The region is the union of all origins.

    Raises
    ------
    CRSError
        Boundaries without a CRS.
    UnknownCityError, AmbiguousCityError
        Bad ids.
    """
    o = as_lonlat_wgs84(_as_cities(origins, boundaries, level, "--origins"), what="origins")
    d = as_lonlat_wgs84(_as_cities(destinations, boundaries, level, "--destinations"),
                        what="destinations")
    o_ids = o["city"].astype(str).tolist()
    d_ids = d["city"].astype(str).tolist()
    # one geometry per distinct city
    allc = pd.concat([o[["city", "geometry"]], d[["city", "geometry"]]], ignore_index=True)
    allc["city"] = allc["city"].astype(str)
    allc = allc.drop_duplicates("city").reset_index(drop=True)
    geoms = np.asarray(allc.geometry.values, dtype=object)
    pos = {c: k for k, c in enumerate(allc["city"])}
    oi = np.array([pos[c] for c in o_ids], dtype=np.int64)
    di = np.array([pos[c] for c in d_ids], dtype=np.int64)
    I, J = np.meshgrid(oi, di, indexing="ij")
    I, J = I.ravel(), J.ravel()
    keep = I != J
    I, J = I[keep], J[keep]

    border, touch = border_km_pairs(geoms, I, J)
    centre = _centre(geoms)
    cen = centroids_lonlat(geoms, centre)
    centroid = _geod_km(cen[I], cen[J])

    # the region: union of all origins
    region = shapely.union_all(geoms[oi])
    rcen = centroids_lonlat(np.array([region], dtype=object), centre)[0]
    dgeoms = geoms[di]
    rc = _point_border_km(dgeoms, np.array([shapely.Point(*rcen)] * len(di), dtype=object),
                          centre)
    stack = np.concatenate([dgeoms, np.array([region], dtype=object)])
    rb, _ = border_km_pairs(stack, np.arange(len(di)), np.full(len(di), len(di)))
    per_dest_rc = dict(zip(d_ids, rc))
    per_dest_rb = dict(zip(d_ids, rb))

    ids = allc["city"].to_numpy()
    out = pd.DataFrame({
        "origin": pd.array(ids[I], dtype="string"),
        "destination": pd.array(ids[J], dtype="string"),
        "border_km": border,
        "centroid_km": centroid,
    })
    dest = out["destination"].astype(str)
    out["region_centroid_km"] = dest.map(per_dest_rc).astype(float)
    out["region_border_km"] = dest.map(per_dest_rb).astype(float)
    if adjacency:
        adj = np.zeros(len(out), dtype=bool)
        t = np.flatnonzero(touch)
        if len(t):
            inter = shapely.intersection(shapely.boundary(geoms[I[t]]),
                                         shapely.boundary(geoms[J[t]]))
            adj[t] = (shapely.length(inter) > 0) | (
                shapely.area(shapely.intersection(geoms[I[t]], geoms[J[t]])) > 0)
        out["adjacent"] = adj
    out.attrs["method"] = ("nearest points in AEQD, geodesic (WGS-84 ellipsoid) distance; "
                           "centroids in LAEA")
    return out
