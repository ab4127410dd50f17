"""Display geometry: city polygons, simplified as a coverage, on the basemap's datum.

Polygons are simplified together with :func:`shapely.coverage_simplify`, which keeps one shared
border between neighbours (simplifying each polygon on its own opens slivers and gaps). With the
default tolerance of 0.005° the 21 Guangdong prefectures go from about 91k to 9k vertices and no
border moves by more than about 1.4 km — invisible at the zoom a province map is read at.

Amap boundaries are on the GCJ-02 datum. A map drawn without tiles (``basemap="none"``) or on
Gaode tiles (GCJ-02 themselves) uses them as they are; on OpenStreetMap tiles (WGS-84) every
coordinate is converted first, so the polygons and the tiles never mix datums.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pairnet.core.errors import GeometryError, NotAvailableError
from pairnet.core.options import check_literal

__all__ = [
    "Basemap",
    "BASEMAP_DATUM",
    "DEFAULT_TOLERANCE",
    "city_polygons",
    "simplify_coverage",
    "to_basemap_datum",
    "display_polygons",
    "anchor_points",
    "convert_points",
]

Basemap = Literal["none", "osm", "gaode"]
#: The datum each basemap's tiles are drawn on (``none`` keeps the data's own datum).
BASEMAP_DATUM = {"none": None, "osm": "WGS-84", "gaode": "GCJ-02"}
DEFAULT_TOLERANCE = 0.005


def city_polygons(codes: Sequence[str]) -> gpd.GeoDataFrame:
    """Boundaries of prefecture or county adcodes: ``city, name, group, geometry`` (GCJ-02).

    The spatial layer's :func:`pairnet.spatial.boundaries.load_boundaries`, at any level.
    """
    from pairnet.spatial.boundaries import load_boundaries

    return load_boundaries([str(c) for c in codes], level="any")


def simplify_coverage(gdf: gpd.GeoDataFrame, tolerance: float = DEFAULT_TOLERANCE
                      ) -> gpd.GeoDataFrame:
    """Simplify polygons as one coverage so neighbours keep a single shared border.

    Parameters
    ----------
    gdf : GeoDataFrame
        Polygons in geographic coordinates (degrees).
    tolerance : float
        Douglas-Peucker-like tolerance in degrees (0.005° ≈ 0.5 km); 0 leaves them as they are.

    Raises
    ------
    GeometryError
        Empty or missing geometry.
    """
    out = gdf.copy()
    out.attrs = dict(gdf.attrs)
    geoms = np.asarray(out.geometry.values, dtype=object)
    bad = [i for i, g in enumerate(geoms) if g is None or shapely.is_empty(g)]
    if bad:
        raise GeometryError("empty or missing geometry", column="geometry", rows=bad,
                            fix="drop the rows or supply boundaries for these cities")
    if tolerance <= 0 or len(out) == 0:
        return out
    valid = shapely.make_valid(geoms)
    # make_valid may return collections holding stray lines; keep the polygonal part
    valid = np.array([_polygonal(g) for g in valid], dtype=object)
    simple = shapely.coverage_simplify(valid, tolerance)
    out = out.set_geometry(gpd.GeoSeries(simple, index=out.index, crs=out.crs))
    out.attrs = dict(gdf.attrs)
    return out


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else geom


def _converter(source: str, target: str):
    """A vectorised ``(lon, lat) -> (lon, lat)`` function from one datum to another."""
    from pairnet.spatial import datum

    if source == target:
        return None
    if (source, target) == ("GCJ-02", "WGS-84"):
        return datum.gcj02_to_wgs84
    if (source, target) == ("WGS-84", "GCJ-02"):
        return datum.wgs84_to_gcj02
    raise NotAvailableError(f"no conversion from {source} to {target}")


def convert_points(lon: np.ndarray, lat: np.ndarray, source: str, basemap: Basemap
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes on ``source`` datum -> the basemap's datum."""
    check_literal(basemap, Basemap, "basemap")
    target = BASEMAP_DATUM[basemap]
    fn = None if target is None else _converter(source, target)
    if fn is None:
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x, y = fn(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def to_basemap_datum(gdf: gpd.GeoDataFrame, basemap: Basemap) -> gpd.GeoDataFrame:
    """Convert geometry to the datum of ``basemap`` tiles (no-op for ``none``)."""
    from pairnet.spatial.datum import datum_of, to_gcj02, to_wgs84

    check_literal(basemap, Basemap, "basemap")
    target = BASEMAP_DATUM[basemap]
    if target is None or target == datum_of(gdf):
        return gdf
    return to_wgs84(gdf) if target == "WGS-84" else to_gcj02(gdf)


def display_polygons(gdf: gpd.GeoDataFrame, basemap: Basemap = "none",
                     tolerance: float = DEFAULT_TOLERANCE) -> gpd.GeoDataFrame:
    """Simplify as a coverage, then put on the basemap's datum."""
    return to_basemap_datum(simplify_coverage(gdf, tolerance), basemap)


def anchor_points(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """One label/arc anchor per polygon: ``city, lon, lat, area`` (a point inside the polygon).

    ``representative_point`` always falls inside the polygon, unlike the centroid of a
    crescent-shaped city. ``area`` (square degrees) ranks the labels: where two collide, the
    larger unit keeps its name.
    """
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    pts = shapely.point_on_surface(geoms)
    return pd.DataFrame({"city": gdf["city"].astype(str).to_numpy(),
                         "lon": shapely.get_x(pts), "lat": shapely.get_y(pts),
                         "area": shapely.area(geoms)})
