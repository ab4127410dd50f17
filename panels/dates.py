"""The date rule of every pairnet input (registry ingest, land transactions): one SQL definition.

:func:`date_sql` is the rule. The ingest runs it in DuckDB or Spark (:mod:`._sql`), and
:func:`parse_dates` (``pairnet land``) runs the same text in DuckDB over the distinct values of a
column, so the verbs cannot drift apart. Accepted, after trimming:

* ``2010-05-01``, ``2010/5/1``, ``2010.5.1``, ``2010年5月1日`` (any of ``- / . 年 月`` between the
  parts, ``日`` optional), optionally followed by a time ``08:00``, ``08:00:00``, ``08:00:00.5``
  after ``T`` or spaces, and a zone ``Z`` / ``+08:00`` (the date as written is kept);
* ``20100501`` (8 digits, text or a number read back as ``20100501.0``);
* Unix timestamps: 10 digits (seconds) or 13 digits (milliseconds) since 1970-01-01 UTC;
* Excel serial day numbers: 5 digits, optionally with a fraction of a day (``40299.5``), from
  :data:`EXCEL_SERIAL_DAYS` = 32874 (1990-01-01) to 73415 (2100-12-31), counted from 1899-12-30
  as Excel does for every date after 1900-02-28. A 5-digit number outside that range is not a
  date (no registry or land record predates 1990; a smaller number is more likely a code).

Impossible dates (2010-02-30, month 13) and anything else are NULL (unparseable).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._sql import DUCKDB, Dialect, full_match

__all__ = ["EXCEL_SERIAL_DAYS", "date_sql", "year_sql", "parse_dates"]

#: Excel serial day numbers read as dates: 1990-01-01 .. 2100-12-31.
EXCEL_SERIAL_DAYS = (32874, 73415)

_TIME = "(?:(?:T|[ ]+)[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:[.][0-9]+)?)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
_YMD = "([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?" + _TIME
_EIGHT = "([0-9]{4})([0-9]{2})([0-9]{2})"
_SERIAL = "([0-9]{5})(?:[.][0-9]+)?"


def _part(d: Dialect, x: str, pattern: str, group: int) -> str:
    return f"cast(regexp_extract({x}, {d.lit('^(?:' + pattern + ')$')}, {group}) as integer)"


def _checked(d: Dialect, x: str, pattern: str) -> str:
    """``make_date`` of the three groups of ``pattern`` when they form a real date, else NULL."""
    y, m, day = (_part(d, x, pattern, i) for i in (1, 2, 3))
    leap = f"(({y} % 4 = 0 and {y} % 100 <> 0) or {y} % 400 = 0)"
    dim = (f"(case when {m} in (4, 6, 9, 11) then 30 when {m} = 2 then "
           f"(case when {leap} then 29 else 28 end) else 31 end)")
    return (f"(case when {m} between 1 and 12 and {day} between 1 and {dim} "
            f"then make_date({y}, {m}, {day}) end)")


def date_sql(expr: str, d: Dialect = DUCKDB) -> str:
    """SQL: the date (type DATE) that the text ``expr`` holds, or NULL; see the module doc.

    ``expr`` should be trimmed text, NULL when empty (:func:`pairnet.panels._sql.norm`).
    """
    # numbers read back as floats: "20100501.0" -> "20100501"
    whole = f"regexp_extract({expr}, {d.lit('^([0-9]+)[.]0+$')}, 1)"
    x = f"(case when {whole} <> '' then {whole} else {expr} end)"
    serial = _part(d, x, _SERIAL, 1)
    lo, hi = EXCEL_SERIAL_DAYS
    return (
        "(case "
        f"when {full_match(d, x, _YMD)} then {_checked(d, x, _YMD)} "
        f"when {full_match(d, x, _EIGHT)} then {_checked(d, x, _EIGHT)} "
        f"when {full_match(d, x, '[0-9]{10}')} then "
        f"date '1970-01-01' + cast(floor(cast({x} as bigint) / 86400) as integer) "
        f"when {full_match(d, x, '[0-9]{13}')} then "
        f"date '1970-01-01' + cast(floor(cast({x} as bigint) / 86400000) as integer) "
        f"when {full_match(d, x, _SERIAL)} and {serial} between {lo} and {hi} then "
        f"date '1899-12-30' + {serial} "
        "end)"
    )


def year_sql(expr: str, d: Dialect = DUCKDB) -> str:
    """SQL: the year (integer) of :func:`date_sql`, or NULL."""
    return f"cast(year({date_sql(expr, d)}) as integer)"


def parse_dates(values: pd.Series, *, years: tuple[int, int] = (1990, 2100)) -> pd.Series:
    """Parse dates by :func:`date_sql` (run in DuckDB on the distinct values); else ``NaT``.

    Datetime columns (Excel/Parquet date cells) are kept as they are. Dates whose year is
    outside ``years`` (the plausible window of the land-market data) are ``NaT`` too.

    Returns
    -------
    Series
        ``datetime64[ns]`` aligned with ``values``.
    """
    import duckdb

    if pd.api.types.is_datetime64_any_dtype(values):
        out = pd.to_datetime(values, errors="coerce")
        out = out.dt.tz_localize(None) if out.dt.tz is not None else out
    else:
        s = values.astype("string").str.strip()
        uniq = pd.DataFrame({"v": s.dropna().unique().astype(object)})
        out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
        if len(uniq):
            con = duckdb.connect()
            try:
                con.register("u", uniq)
                got = con.execute(
                    f"select v, cast({date_sql('nullif(v, ' + chr(39) * 2 + ')')} as timestamp)"
                    " as t from u").df()
            finally:
                con.close()
            lookup = pd.Series(pd.to_datetime(got["t"]).to_numpy("datetime64[ns]"),
                               index=got["v"].astype(object))
            mapped = s.astype(object).map(lookup)
            out = pd.Series(pd.to_datetime(mapped).to_numpy("datetime64[ns]"),
                            index=values.index)
    ok = (out.dt.year >= years[0]) & (out.dt.year <= years[1])
    return out.where(ok.to_numpy(np.bool_))
