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
:mod:`pairnet.spatial.datum`). Nearest points are searched in an azimuthal equidistant (AEQD) projection
centred on the study area — or, for study areas wider than a few degrees, on a tile of origin
cities (about 8° across) so that distortion stays small — and the distance between the two
nearest points is then measured on the WGS-84 ellipsoid with :meth:`pyproj.Geod.inv`. The reported
kilometres are therefore exact geodesic distances between two boundary points; the only error is
in *which* points are chosen: far pairs are accepted when a separating-axis lower bound certifies
the chosen pair within half the tolerance (0.05 km or 0.05 %) in the projected plane, and the
remaining error is second order in the projection's distortion (checked against brute-force
geodesic vertex search in ``benchmarks/distances.py`` and against GEOS in a per-pair projection in
``tests/test_spatial_distances.py``).

Centroids are planar centroids in a Lambert azimuthal equal-area projection centred on the study
area (area-true, so the centroid is the centre of mass of the territory), converted back to
longitude/latitude; the distance between two centroids is again measured on the ellipsoid.

Speed: all pairs are handled as arrays. Touching pairs are found with an STRtree query with the
``intersects`` predicate; far pairs are settled by a separating-axis bound on convex hulls
(support functions tabulated at 1° steps), which certifies the answer within tolerance without
looking at the full boundaries; uncertified pairs with a positive gap are solved exactly by GEOS
``shortest_line`` on the thin facing strips of the two boundaries where the nearest points must
lie; pairs whose hulls overlap use GEOS on boundaries clipped to that neighbourhood. The AEQD
used for the search is spherical and evaluated in numpy (fast, exact inverse); only the search
uses it, every reported distance is ellipsoidal.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer

from pairnet.core.errors import CRSError, InputError, UnknownCityError
from pairnet.core.i18n import Text
from pairnet.core.options import parse_list
from pairnet.core.results import ResultBase, Table
from pairnet.core.tables import to_jsonable

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from pairnet.spatial.cities import Level

__all__ = ["pair_distances", "measure_distances", "DistancesResult", "border_km_pairs",
           "centroids_lonlat", "as_lonlat_wgs84", "DISTANCE_COLUMNS", "DISTANCE_MEASURES"]

#: The four distances of seed 003 §4.4 (km), in the canonical order.
DISTANCE_MEASURES = ("border_km", "centroid_km", "region_centroid_km", "region_border_km")
#: Columns of the canonical distances table.
DISTANCE_COLUMNS = ["origin", "destination", *DISTANCE_MEASURES]

GEOD = Geod(ellps="WGS84")
_K = 360  # support-function directions (1° apart)
_TILE_DEG = 8.0  # origin tile size for AEQD centres in wide study areas
_ABS_TOL_M = 50.0  # accuracy promise: 0.05 km ...
_REL_TOL = 0.0005  # ... or 0.05 %


# --------------------------------------------------------------------------- CRS and datum
def as_lonlat_wgs84(gdf: gpd.GeoDataFrame, *, what: str = "boundaries",
                    stacklevel: int = 3) -> gpd.GeoDataFrame:
    """Return ``gdf`` in EPSG:4326 on the WGS-84 datum, refusing data without a CRS.

    A projected CRS is converted with a warning (distances are never measured in the projected
    plane of the user's CRS); a GCJ-02 datum (``attrs["datum"]``) is shifted back to WGS-84.

    Raises
    ------
    CRSError
        The GeoDataFrame has no CRS.
    """
    from pairnet.spatial.datum import to_wgs84

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


class _SphereAEQD:
    """Spherical azimuthal equidistant projection in numpy (fast; exact inverse).

    Only used to *find* nearest points; the reported distance between them is measured on the
    WGS-84 ellipsoid, so the sphere's slight shape error only affects which points are chosen.
    """

    R = 6371008.8

    def __init__(self, lon0: float, lat0: float, inverse: bool = False) -> None:
        self.l0, self.p0 = np.radians(lon0), np.radians(lat0)
        self.inverse = inverse

    def transform(self, x, y):
        return self._inv(x, y) if self.inverse else self._fwd(x, y)

    def _fwd(self, lon, lat):
        lam = np.radians(np.asarray(lon, dtype=float)) - self.l0
        phi = np.radians(np.asarray(lat, dtype=float))
        cp, sp = np.cos(phi), np.sin(phi)
        c0, s0 = np.cos(self.p0), np.sin(self.p0)
        a = np.sin((phi - self.p0) / 2) ** 2 + c0 * cp * np.sin(lam / 2) ** 2
        c = 2 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
        sc = np.sin(c)
        k = np.where(sc > 1e-15, c / np.where(sc > 1e-15, sc, 1.0), 1.0)
        x = self.R * k * cp * np.sin(lam)
        y = self.R * k * (c0 * sp - s0 * cp * np.cos(lam))
        return x, y

    def _inv(self, x, y):
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        rho = np.hypot(x, y)
        c = rho / self.R
        sc, cc = np.sin(c), np.cos(c)
        c0, s0 = np.cos(self.p0), np.sin(self.p0)
        safe = np.where(rho > 0, rho, 1.0)
        phi = np.where(rho > 0, np.arcsin(np.clip(cc * s0 + y * sc * c0 / safe, -1, 1)), self.p0)
        lam = self.l0 + np.arctan2(x * sc, rho * c0 * cc - y * s0 * sc)
        return np.degrees(lam), np.degrees(phi)


def _aeqd(lon0: float, lat0: float) -> tuple[_SphereAEQD, _SphereAEQD]:
    return _SphereAEQD(lon0, lat0), _SphereAEQD(lon0, lat0, inverse=True)


def _laea(lon0: float, lat0: float) -> tuple[Transformer, Transformer]:
    crs = CRS.from_proj4(f"+proj=laea +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m")
    return (Transformer.from_crs(4326, crs, always_xy=True),
            Transformer.from_crs(crs, 4326, always_xy=True))


def _apply(tr, geoms):
    def xy(c: np.ndarray) -> np.ndarray:
        x, y = tr.transform(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, xy)


def _centre(geoms) -> tuple[float, float]:
    b = shapely.total_bounds(geoms)
    return (float(b[0] + b[2]) / 2.0, float(b[1] + b[3]) / 2.0)


# --------------------------------------------------------------------------- centroids
def centroids_lonlat(geoms: Sequence[Any] | np.ndarray,
                     centre: tuple[float, float] | None = None) -> np.ndarray:
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


def _hull_tables(coords: np.ndarray, which: np.ndarray, n: int):
    """Support function of each convex hull at 1° steps, its maximising vertex, centre, radius.

    h[g, k] = max over hull vertices v of g of u_k·v; centre and radius bound the window of
    directions to search.

    ``coords`` are planar hull vertices, ``which`` the geometry each belongs to (sorted).
    """
    counts = np.bincount(which, minlength=n)
    theta = np.arange(_K) * (2 * np.pi / _K)
    dirs = np.stack([np.cos(theta), np.sin(theta)])  # (2, K)
    h = np.empty((n, _K))
    sx = np.empty((n, _K))
    sy = np.empty((n, _K))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    order = np.argsort(counts)  # similar sizes together: little padding
    a = 0
    while a < n:
        hmax = max(int(counts[order[min(n - 1, a + 255)]]), 1)
        b = min(n, a + max(1, 4_000_000 // (hmax * _K)), a + 256)
        g = order[a:b]
        pos = starts[g, None] + np.minimum(np.arange(hmax)[None, :], counts[g, None] - 1)
        pts = coords[pos]  # (m, hmax, 2), padded by repeating the last vertex
        proj = pts @ dirs  # (m, hmax, K)
        arg = proj.argmax(axis=1)  # (m, K)
        h[g] = np.take_along_axis(proj, arg[:, None, :], axis=1)[:, 0, :]
        sx[g] = np.take_along_axis(pts[:, :, 0], arg, axis=1)
        sy[g] = np.take_along_axis(pts[:, :, 1], arg, axis=1)
        a = b
    cx = np.bincount(which, weights=coords[:, 0], minlength=n) / np.maximum(counts, 1)
    cy = np.bincount(which, weights=coords[:, 1], minlength=n) / np.maximum(counts, 1)
    r = np.zeros(n)
    np.maximum.at(r, which, np.hypot(coords[:, 0] - cx[which], coords[:, 1] - cy[which]))
    return h, np.stack([sx, sy], axis=-1), np.column_stack([cx, cy]), r


def _support_bound(i, j, tab):
    """Separating-axis lower bound and support-vertex upper bound for pairs (i, j).

    For a unit direction u, ``min_B u·b - max_A u·a`` is a lower bound of the distance between
    A and B (separating axis theorem); the two support vertices realising it are real boundary
    vertices, so their distance is an upper bound. Directions are searched in the window that can
    contain the optimal separating direction (hull discs seen from each other), or all around
    for pairs too close for a window.

    Returns
    -------
    lb, ub : planar metres
    pa, pb : the support vertices (planar) realising ub
    kbest : index of the best direction
    """
    h, s, c, r = tab
    m = len(i)
    lb = np.full(m, -np.inf)
    kbest = np.zeros(m, dtype=np.int64)
    d = c[j] - c[i]
    dc = np.hypot(d[:, 0], d[:, 1])
    ratio = (r[i] + r[j]) / np.maximum(dc, 1e-9)
    step = 2 * np.pi / _K
    need = np.where(ratio < 0.95, np.ceil(np.arcsin(np.minimum(ratio, 0.95)) / step) + 1, _K)
    k0 = np.round(np.arctan2(d[:, 1], d[:, 0]) / step).astype(np.int64) % _K
    lo = 0
    for w in (2, 4, 8, 16, 32, 64, 128, _K // 2):
        sel = np.flatnonzero((need > lo) & (need <= w)) if w < _K // 2 else \
            np.flatnonzero(need > lo)
        lo = w
        size = max(1, 4_000_000 // (2 * w + 1))
        for a in range(0, len(sel), size):
            q = sel[a:a + size]
            ks = (k0[q, None] + np.arange(-w, w + 1)[None, :]) % _K
            gap = -h[j[q, None], (ks + _K // 2) % _K] - h[i[q, None], ks]
            best = gap.argmax(axis=1)
            rows = np.arange(len(q))
            kbest[q] = ks[rows, best]
            lb[q] = gap[rows, best]
    pa = s[i, kbest]
    pb = s[j, (kbest + _K // 2) % _K]
    ub = np.hypot(*(pb - pa).T)
    return lb, ub, pa, pb, kbest


def _refine_ub(i, j, kbest, tab, w: int = 6):
    """A tighter upper bound: the closest pair among support vertices near the best direction."""
    s = tab[1]
    off = np.arange(-w, w + 1)
    best_a = np.zeros((len(i), 2))
    best_b = np.zeros((len(i), 2))
    ub = np.full(len(i), np.inf)
    for a in range(0, len(i), 20_000):
        q = np.arange(a, min(len(i), a + 20_000))
        va = s[i[q, None], (kbest[q, None] + off) % _K]  # (m, 2w+1, 2)
        vb = s[j[q, None], (kbest[q, None] + _K // 2 + off) % _K]
        dd = np.hypot(va[:, :, None, 0] - vb[:, None, :, 0], va[:, :, None, 1] - vb[:, None, :, 1])
        flat = dd.reshape(len(q), -1).argmin(axis=1)
        ka, kb = np.divmod(flat, len(off))
        rows = np.arange(len(q))
        ub[q] = dd[rows, ka, kb]
        best_a[q] = va[rows, ka]
        best_b[q] = vb[rows, kb]
    return ub, best_a, best_b


def _ring_table(geoms):
    """All boundary vertices (lon/lat) with their geometry and whether v -> v+1 is a segment."""
    parts, gidx = shapely.get_parts(geoms, return_index=True)
    rings, pidx = shapely.get_rings(parts, return_index=True)
    coords, ridx = shapely.get_coordinates(rings, return_index=True)
    owner = gidx[pidx[ridx]]
    seg = np.zeros(len(coords), dtype=bool)
    seg[:-1] = ridx[:-1] == ridx[1:]
    starts = np.searchsorted(owner, np.arange(len(geoms) + 1))
    return coords, seg, starts


def _strip_segments(xy, seg, starts, poly, u, thresh):
    """Boundary segments of ``poly[p]`` having a vertex v with u[p]·v >= thresh[p].

    The nearest point of a polygon to the other one lies in this strip (see ``_strip_nearest``),
    so these few segments replace the full boundary. Loops over polygons, vectorised over the
    pairs each polygon takes part in.
    """
    out_pair, out_a, out_b = [], [], []
    order = np.argsort(poly, kind="stable")
    bounds = np.searchsorted(poly[order], np.arange(starts.size))
    for g in np.unique(poly):
        pairs = order[bounds[g]:bounds[g + 1]]
        v = xy[starts[g]:starts[g + 1]]
        ok = seg[starts[g]:starts[g + 1]]
        for c in range(0, len(pairs), 256):
            pp = pairs[c:c + 256]
            hit = (v @ u[pp].T) >= thresh[pp][None, :]  # (n_vertices, n_pairs)
            take = (hit | np.roll(hit, -1, axis=0)) & ok[:, None]
            vi, pj = np.nonzero(take)
            out_pair.append(pp[pj])
            out_a.append(v[vi])
            out_b.append(v[vi + 1])
    pair = np.concatenate(out_pair)
    return pair, np.concatenate(out_a), np.concatenate(out_b)


def _segments_geom(pair, a, b):
    order = np.argsort(pair, kind="stable")
    pair, a, b = pair[order], a[order], b[order]
    coords = np.stack([a, b], axis=1).reshape(-1, 2)
    lines = shapely.linestrings(coords, indices=np.repeat(np.arange(len(pair)), 2))
    return shapely.multilinestrings(lines, indices=pair, out=None) if len(pair) else \
        np.empty(0, dtype=object)


def _strip_nearest(xy, seg, starts, pi, pj, kbest, lb, ub):
    """Exact nearest points for pairs with a positive separating gap ``lb`` along u_kbest.

    With d* = |a* - b*| <= ub and min_B u·b >= max_A u·a + lb, the nearest points satisfy
    u·a* >= max_A u·a - (ub - lb) and u·b* <= min_B u·b + (ub - lb): thin strips facing each
    other. The distance between the strip segments equals the polygon distance.
    """
    theta = kbest * (2 * np.pi / _K)
    u = np.column_stack([np.cos(theta), np.sin(theta)])
    slack = (ub - lb) + 1.0  # + 1 m against rounding
    m = len(pi)
    # support values recomputed from the same vertices the strips are cut from
    ha = np.full(m, -np.inf)
    hb = np.full(m, -np.inf)
    for poly, uu, hh in ((pi, u, ha), (pj, -u, hb)):
        order = np.argsort(poly, kind="stable")
        bnds = np.searchsorted(poly[order], np.arange(starts.size))
        for g in np.unique(poly):
            pp = order[bnds[g]:bnds[g + 1]]
            v = xy[starts[g]:starts[g + 1]]
            hh[pp] = (v @ uu[pp].T).max(axis=0)
    pa_, a0, a1 = _strip_segments(xy, seg, starts, pi, u, ha - slack)
    pb_, b0, b1 = _strip_segments(xy, seg, starts, pj, -u, hb - slack)
    ga = _segments_geom(pa_, a0, a1)
    gb = _segments_geom(pb_, b0, b1)
    line = shapely.shortest_line(ga, gb)
    pts = shapely.get_coordinates(line).reshape(-1, 2, 2)
    return pts[:, 0, :], pts[:, 1, :]


def _exact_nearest(A, B, ub: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest points (planar) between geometry arrays A and B, clipped to where they can lie.

    ``ub`` is any upper bound of the distance (e.g. between two known vertices).
    """
    ub = np.fmin(ub, shapely.distance(shapely.point_on_surface(A), shapely.point_on_surface(B)))
    pad = ub[:, None] * np.array([-1, -1, 1, 1]) + np.array([-1.0, -1.0, 1.0, 1.0])
    # a* lies within ub of B, and b* within ub of a* (so within ub of the clipped A)
    ca = _clip(A, shapely.bounds(B) + pad)
    cb = _clip(B, shapely.bounds(ca) + pad)
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


def border_km_pairs(geoms: Sequence[Any] | np.ndarray, i: np.ndarray, j: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
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
    hull_ll, hull_of = shapely.get_coordinates(shapely.convex_hull(geoms), return_index=True)
    ring_ll, seg, starts = _ring_table(geoms)
    n = len(geoms)
    for key in np.unique(tile_key):
        sel = np.flatnonzero(tile_key == key)
        pi, pj = ri[sel], rj[sel]
        fwd, inv = _aeqd(*_centre(geoms[np.unique(pi)]))
        tab = _hull_tables(np.column_stack(fwd.transform(hull_ll[:, 0], hull_ll[:, 1])),
                           hull_of, n)
        lb, ub, pa, pb, kbest = _support_bound(pi, pj, tab)
        tol = 0.5 * np.maximum(_ABS_TOL_M, _REL_TOL * np.maximum(lb, 0.0))
        certain = (lb > 0) & (ub - lb <= tol)
        redo = np.flatnonzero(~certain)
        if len(redo):
            ub2, a2, b2 = _refine_ub(pi[redo], pj[redo], kbest[redo], tab)
            better = ub2 < ub[redo]
            r2 = redo[better]
            ub[r2], pa[r2], pb[r2] = ub2[better], a2[better], b2[better]
            certain = (lb > 0) & (ub - lb <= tol)
        strip = np.flatnonzero(~certain & (lb > 0))
        near = np.flatnonzero(~certain & ~(lb > 0))
        if len(strip) or len(near):
            need = np.unique(np.concatenate([pi[strip], pj[strip], pi[near], pj[near]]))
            xy = np.full_like(ring_ll, np.nan)
            for g in need:  # project only the boundaries these pairs need
                sl = slice(starts[g], starts[g + 1])
                xy[sl] = np.column_stack(fwd.transform(ring_ll[sl, 0], ring_ll[sl, 1]))
        if len(strip):
            pa[strip], pb[strip] = _strip_nearest(xy, seg, starts, pi[strip], pj[strip],
                                                  kbest[strip], lb[strip], ub[strip])
        if len(near):
            need = np.unique(np.concatenate([pi[near], pj[near]]))
            proj = np.empty(n, dtype=object)
            proj[need] = _apply(fwd, geoms[need])
            pa[near], pb[near] = _exact_nearest(proj[pi[near]], proj[pj[near]], ub[near])
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
def _as_cities(x: gpd.GeoDataFrame | str | Sequence[str], boundaries: gpd.GeoDataFrame | None,
               level: Level, argument: str) -> gpd.GeoDataFrame:
    import geopandas as gpd

    from pairnet.spatial.boundaries import load_boundaries

    if isinstance(x, gpd.GeoDataFrame):
        if "city" not in x.columns:
            raise InputError("boundaries have no 'city' column", file=argument,
                             fix="load them with spatial.boundaries.read_boundaries(path, id_col)")
        return x
    if boundaries is None:
        return load_boundaries(x, level=level, argument=argument)
    ids = parse_list(x) if isinstance(x, str) else [str(v) for v in x]
    known = boundaries["city"].astype(str)
    known_set = set(known)
    missing = [v for v in ids if v not in known_set]
    if missing:
        raise UnknownCityError(
            f"ids {missing[:8]} are not in the boundary file", file=argument,
            fix=f"use ids from the boundary file's id column (e.g. {', '.join(known[:3])})")
    sub = boundaries[known.isin(ids)]
    order = {v: k for k, v in enumerate(dict.fromkeys(ids))}
    return sub.iloc[np.argsort([order[c] for c in sub["city"].astype(str)])]


def _measure(origins: gpd.GeoDataFrame | str | Sequence[str],
             destinations: gpd.GeoDataFrame | str | Sequence[str], *,
             boundaries: gpd.GeoDataFrame | None, adjacency: bool, level: Level
             ) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The distances table and the origin and destination ids, in order."""
    o = as_lonlat_wgs84(_as_cities(origins, boundaries, level, "`origins`"), what="origins")
    d = as_lonlat_wgs84(_as_cities(destinations, boundaries, level, "`destinations`"),
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
    grid_o, grid_d = np.meshgrid(oi, di, indexing="ij")
    oi_, di_ = grid_o.ravel(), grid_d.ravel()
    keep = oi_ != di_
    oi_, di_ = oi_[keep], di_[keep]
    if len(oi_) == 0:
        raise InputError("no pair of distinct cities: every origin is also the only destination",
                         file="`origins`/`destinations`",
                         fix="give at least one destination different from the origins")

    border, touch = border_km_pairs(geoms, oi_, di_)
    centre = _centre(geoms)
    cen = centroids_lonlat(geoms, centre)
    centroid = _geod_km(cen[oi_], cen[di_])

    # the region: union of all origins
    region = shapely.union_all(geoms[oi])
    rcen = centroids_lonlat(np.array([region], dtype=object), centre)[0]
    dgeoms = geoms[di]
    rc = _point_border_km(dgeoms, np.array([shapely.Point(*rcen)] * len(di), dtype=object),
                          centre)
    stack = np.concatenate([dgeoms, np.array([region], dtype=object)])
    rb, _ = border_km_pairs(stack, np.arange(len(di)), np.full(len(di), len(di)))
    per_dest_rc = dict(zip(d_ids, rc, strict=True))
    per_dest_rb = dict(zip(d_ids, rb, strict=True))

    ids = allc["city"].to_numpy()
    out = pd.DataFrame({
        "origin": pd.array(ids[oi_], dtype="string"),
        "destination": pd.array(ids[di_], dtype="string"),
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
            inter = shapely.intersection(shapely.boundary(geoms[oi_[t]]),
                                         shapely.boundary(geoms[di_[t]]))
            adj[t] = (shapely.length(inter) > 0) | (
                shapely.area(shapely.intersection(geoms[oi_[t]], geoms[di_[t]])) > 0)
        out["adjacent"] = adj
    out.attrs["method"] = ("nearest points in AEQD, geodesic (WGS-84 ellipsoid) distance; "
                           "centroids in LAEA")
    return out, o_ids, d_ids


def pair_distances(
    origins: gpd.GeoDataFrame | str | Sequence[str],
    destinations: gpd.GeoDataFrame | str | Sequence[str],
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    adjacency: bool = True,
    level: Level = "prefecture",
) -> pd.DataFrame:
    """The canonical *distances* table for every ordered pair origin × destination.

    Parameters
    ----------
    origins, destinations : GeoDataFrame or str or sequence of str
        Cities tables (from :func:`pairnet.spatial.boundaries.load_boundaries` or
        :func:`~pairnet.spatial.boundaries.read_boundaries`), or id specs (``"PRD"``,
        ``"广州,440300"``) resolved against ``boundaries`` when given, else against the built-in
        boundaries.
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

    See Also
    --------
    measure_distances : the same table as a result object (step folder, report section).
    """
    return _measure(origins, destinations, boundaries=boundaries, adjacency=adjacency,
                    level=level)[0]


@dataclass(frozen=True, eq=False)
class DistancesResult(ResultBase):
    """The four distances between origins (helpers) and destinations (recipients).

    Attributes
    ----------
    frame : DataFrame
        The canonical distances table of :func:`pair_distances`.
    origins, destinations : tuple of str
        The origin (helper) and destination (recipient) ids, in the order given.
    """

    frame: pd.DataFrame
    origins: tuple[str, ...]
    destinations: tuple[str, ...]

    title = "Distances"

    def tidy(self) -> pd.DataFrame:
        """The distances table."""
        return self.frame.copy()

    def summary(self) -> str:
        """Number of pairs and the mean of each distance (returned, not printed)."""
        means = ", ".join(f"{c} {self.frame[c].mean():.1f}" for c in DISTANCE_MEASURES)
        return (f"{self.title}: {len(self.frame)} pairs from {len(self.origins)} origin(s) to "
                f"{len(self.destinations)} destination(s); mean km: {means}")

    def to_dict(self) -> dict[str, Any]:
        """``results.json``: ``n_pairs``, ``mean_km`` per distance, ``helper_recipient``.

        ``helper_recipient`` holds one record per pair: ``origin, destination`` and the four
        distances.
        """
        d = self.frame
        return to_jsonable({
            "n_pairs": int(len(d)),
            "mean_km": {c: float(d[c].mean()) for c in DISTANCE_MEASURES},
            "helper_recipient": d[["origin", "destination", *DISTANCE_MEASURES]],
        })

    def tables(self) -> dict[str, Table]:
        """``distances``: every pair with the two cities' names."""
        from pairnet.spatial.cities import city_names

        d = self.frame
        names = city_names(sorted(set(self.origins) | set(self.destinations)
                                  | set(d["origin"].astype(str))
                                  | set(d["destination"].astype(str))))
        shown = d.assign(origin_name=d["origin"].astype(str).map(names),
                         destination_name=d["destination"].astype(str).map(names))
        cols = ["origin", "origin_name", "destination", "destination_name", *DISTANCE_MEASURES]
        return {"distances": Table(
            shown[cols], Text("Helper → recipient distances (km)", "帮扶方 → 被帮扶方距离（千米）"),
            Text("Geodesic on WGS-84, km to 1 decimal; border = nearest boundary points (0 for "
                 "neighbours); region = union of helpers.",
                 "WGS-84 椭球测地线距离，单位千米，保留 1 位小数；边界距离 = 边界最近点之间的距离"
                 "（相邻为 0）；区域 = 帮扶城市的并集。"),
            decimals=dict.fromkeys(DISTANCE_MEASURES, 1))}


def measure_distances(
    origins: gpd.GeoDataFrame | str | Sequence[str],
    destinations: gpd.GeoDataFrame | str | Sequence[str],
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    adjacency: bool = True,
    level: Level = "prefecture",
) -> DistancesResult:
    """The distances of :func:`pair_distances` as a result (``tidy()`` is the table).

    The region of the two region distances is the union of the origins, so measure helpers
    (origins) against recipients (destinations): all cities against all would make the region
    everything and every ``region_border_km`` zero. Parameters and errors as for
    :func:`pair_distances`.
    """
    frame, o_ids, d_ids = _measure(origins, destinations, boundaries=boundaries,
                                   adjacency=adjacency, level=level)
    return DistancesResult(frame, tuple(o_ids), tuple(d_ids))
