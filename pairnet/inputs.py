"""The canonical input tables (design.md), read and checked once, at the door.

Every reader names the file, the column and the rows of a bad value and says how to fix it: a
count or distance that is not a finite number (``inf``, ``NaN``, text), a negative count, a
fractional or missing year, a repeated key, a place name that names no place (or several). A
value is never dropped or guessed quietly — so no edge, model or year disappears downstream.
The report pipeline and the ``panel`` / ``optimize`` verbs read their user files through these.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from pairnet.core.errors import InputError
from pairnet.core.i18n import Text
from pairnet.core.tables import (
    check_unique,
    id_strings,
    numeric_column,
    read_table,
    require_columns,
)

__all__ = ["read_flows", "read_parks", "read_controls", "read_distances", "check_flows",
           "check_parks", "check_controls", "check_distances"]

FLOWS = ("origin", "destination", "year", "count")
PARKS = ("helper", "recipient", "park", "first_year")
#: ``confidence`` words of a parks table shown in Chinese in a Chinese report.
_CONFIDENCE = {t.en: t for t in (Text("high", "高"), Text("medium", "中"), Text("low", "低"))}
DISTANCES = ("border_km", "centroid_km", "region_centroid_km", "region_border_km")


def _ids(df: pd.DataFrame, col: str, file: str | None) -> pd.Series:
    ids = id_strings(df[col])
    miss = np.flatnonzero(ids.isna().to_numpy() | (ids == "").fillna(False).to_numpy())
    if len(miss):
        raise InputError("missing id", file=file, column=col, rows=miss,
                         fix="fill or drop these records")
    return ids


def _years(df: pd.DataFrame, col: str, file: str | None) -> pd.Series:
    year = numeric_column(df, col, file=file, integer=True, allow_missing=False)
    return year.astype("int64")


def check_flows(df: pd.DataFrame, *, file: str | None = None) -> pd.DataFrame:
    """Check a flows table (``origin, destination, year, count``).

    Ids as strings, integer years and finite non-negative counts, one row per (origin,
    destination, year).

    Raises
    ------
    InputError
        Missing columns or ids; non-numeric, infinite, negative or missing counts; fractional
        or missing years; repeated (origin, destination, year).
    """
    require_columns(df, FLOWS, file=file, what="flows table")
    out = df.reset_index(drop=True).copy()
    for col in ("origin", "destination"):
        out[col] = _ids(out, col, file)
    out["year"] = _years(out, "year", file)
    out["count"] = numeric_column(out, "count", file=file, nonnegative=True, allow_missing=False)
    check_unique(out, ["origin", "destination", "year"], file=file, what="flow row")
    return out


def read_flows(path: str | Path, *, columns: Mapping[str, str] | None = None,
               header_row: int | None = None) -> pd.DataFrame:
    """Read and check a flows table (:func:`check_flows`)."""
    df = read_table(path, required=FLOWS, string_cols=("origin", "destination"),
                    columns=columns, what="flows table", header_row=header_row)
    return check_flows(df, file=str(path))


def check_parks(df: pd.DataFrame, *, file: str | None = None) -> pd.DataFrame:
    """Check a parks table: prefecture adcodes in ``helper, recipient``, whole ``first_year``.

    Names are resolved to the city they name.

    ``helper_adcode`` / ``recipient_adcode`` columns, when present, are the ids (the name
    columns are kept as ``helper_name`` / ``recipient_name``). An optional ``source_zh`` column
    gives ``source`` in Chinese: it is folded into ``source`` as
    :class:`~pairnet.core.i18n.Text` (English in files, Chinese in a Chinese report; a row
    without it keeps its text in both). ``confidence`` ``high`` / ``medium`` / ``low`` read
    高 / 中 / 低 in a Chinese report.

    Raises
    ------
    InputError
        Missing columns; a city that is unknown, ambiguous or not a prefecture; a first year
        that is missing, fractional or not finite.
    """
    from pairnet.spatial.cities import resolve_column

    df = df.reset_index(drop=True).copy()
    if {"helper_adcode", "recipient_adcode"} <= set(df.columns):
        df = df.rename(columns={"helper": "helper_name", "recipient": "recipient_name",
                                "helper_adcode": "helper", "recipient_adcode": "recipient"})
    require_columns(df, PARKS, file=file, what="parks table")
    for col in ("helper", "recipient"):
        df[col] = resolve_column(id_strings(df[col]), file=file or "parks table", column=col)
    df["first_year"] = _years(df, "first_year", file)
    if "confidence" in df:
        # object columns: pandas would turn the texts into plain strings in a string column
        df["confidence"] = pd.Series([_CONFIDENCE.get(v, v) if isinstance(v, str) else v
                                      for v in df["confidence"]], index=df.index, dtype=object)
    if "source_zh" in df:
        if "source" in df:
            df["source"] = pd.Series(
                [Text(en, zh) if isinstance(en, str) and isinstance(zh, str) and zh.strip()
                 else en for en, zh in zip(df["source"], df["source_zh"], strict=True)],
                index=df.index, dtype=object)
        df = df.drop(columns="source_zh")
    return df


def read_parks(path: str | Path, *, columns: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read and check a parks table (:func:`check_parks`)."""
    df = read_table(path, string_cols=("helper", "recipient", "helper_adcode",
                                       "recipient_adcode"),
                    columns=columns, what="parks table")
    return check_parks(df, file=str(path))


def check_controls(df: pd.DataFrame, *, file: str | None = None) -> pd.DataFrame:
    """Check city-year controls.

    ``city`` as prefecture adcodes (names resolved), whole-number ``year``, every other column
    numeric and finite (empty cells are missing values).

    Raises
    ------
    InputError
        Missing ``city`` / ``year``; a city name that names no prefecture (or several); a
        fractional or missing year; text, ``NaN`` written out or ``inf`` in a control;
        repeated (city, year).
    """
    from pairnet.spatial.cities import resolve_column

    require_columns(df, ["city", "year"], file=file, what="controls table")
    out = df.reset_index(drop=True).copy()
    out["city"] = resolve_column(_ids(out, "city", file), file=file or "controls table",
                                 column="city")
    out["year"] = _years(out, "year", file)
    for col in out.columns:
        if col not in ("city", "year", "name"):
            out[col] = numeric_column(out, col, file=file)
    check_unique(out, ["city", "year"], file=file, what="controls row")
    return out


def read_controls(path: str | Path, *, columns: Mapping[str, str] | None = None
                  ) -> pd.DataFrame:
    """Read and check a controls table (:func:`check_controls`)."""
    df = read_table(path, string_cols=("city",), columns=columns, what="controls table")
    return check_controls(df, file=str(path))


def check_distances(df: pd.DataFrame, *, file: str | None = None,
                    required: tuple[str, ...] = ()) -> pd.DataFrame:
    """Check a distances table.

    String ids, one row per (origin, destination), every distance column present a finite
    number >= 0.

    Raises
    ------
    InputError
        Missing columns or ids; a repeated pair; a distance that is missing, negative, text or
        not finite.
    """
    require_columns(df, ["origin", "destination", *required], file=file, what="distances table")
    cols = [c for c in DISTANCES if c in df.columns]
    if not cols:
        raise InputError(f"the distances table has none of the distance columns "
                         f"{', '.join(DISTANCES)}", file=file,
                         fix="pass the output of `pairnet distances`")
    out = df.reset_index(drop=True).copy()
    for col in ("origin", "destination"):
        out[col] = _ids(out, col, file)
    for col in cols:
        out[col] = numeric_column(out, col, file=file, nonnegative=True, allow_missing=False)
    check_unique(out, ["origin", "destination"], file=file, what="distance pair")
    return out


def read_distances(path: str | Path, *, required: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read and check a distances table (:func:`check_distances`)."""
    df = read_table(path, required=("origin", "destination", *required),
                    string_cols=("origin", "destination"), what="distances table")
    return check_distances(df, file=str(path), required=required)
