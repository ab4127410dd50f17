"""City-year indicators of seed 000 (population mobility and growth in the 26 YRD cities).

From a table of raw city statistics (one row per city and year) this module builds the paper's
variables, in this order:

1. validate (ids, numbers, one row per city-year, at least two years per city);
2. fill *interior* gaps of each raw column by linear interpolation in time within a city
   (flagged per row in ``interpolated``; leading and trailing gaps are never extrapolated:
   they stay missing and are counted in the audit);
3. deflate the money columns to a base year with the price-index column;
4. compute the indicators and the heterogeneity splitters.

Raw columns (:data:`RAW_COLUMNS`; units follow the Chinese city yearbooks)
-------------------------------------------------------------------------
``gdp`` (亿元, nominal), ``pop_resident`` and ``pop_registered`` (万人, 常住 / 户籍),
``emp_secondary``, ``emp_tertiary`` (万人, employment by sector), ``cons_pc_urban`` (元, urban
per-capita consumption, nominal), ``innovation`` (city innovation index, 寇宗来-刘学悦),
``income_pc`` (元, per-capita disposable income, nominal), ``fixed_inv``, ``gov_exp``,
``trade``, ``fdi`` (亿元, nominal), ``pop_urban`` (万人), ``area_km2``, schooling counts
``edu_primary``, ``edu_junior``, ``edu_senior``, ``edu_college``, ``pop_6plus`` (any one unit),
and ``price_index`` (a price level, e.g. CPI with the base year = 100).

Indicators
----------
- ``gdp_pc`` = real GDP / resident population (万元 per person) — the outcome;
- ``mig`` = (resident − registered) / registered;
- ``str`` = tertiary / secondary employment;
- ``cos`` = urban per-capita consumption / per-capita GDP (both in 元);
- ``tec`` = the supplied innovation index;
- controls: ``inc`` real per-capita disposable income (万元), ``inv`` fixed investment / GDP,
  ``gov`` government expenditure / GDP, ``tra`` trade / GDP, ``fdi`` FDI / GDP,
  ``urb`` urban / resident population. (Ratios of two money amounts are price-free.)
- splitters: ``hukou`` = resident / registered (the paper's note 9), ``density`` = resident
  population / km², ``school_years`` = (6·primary + 9·junior + 12·senior + 16·college) /
  population aged 6+ (note 10), ``size_class`` by 国发〔2014〕51号 on ``pop_resident``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from pairnet.core.errors import InputError
from pairnet.core.i18n import Text
from pairnet.core.tables import check_unique, id_strings, numeric_column, require_columns

__all__ = [
    "RAW_COLUMNS",
    "MONEY_COLUMNS",
    "DENOMINATORS",
    "INDICATORS",
    "CONTROLS",
    "SPLITTERS",
    "SIZE_CLASSES",
    "IndicatorPanel",
    "validate_panel",
    "interpolate_interior",
    "deflate",
    "size_class",
    "schooling_years",
    "build_indicators",
    "city_split",
    "descriptives",
]

MONEY_COLUMNS: tuple[str, ...] = ("gdp", "cons_pc_urban", "income_pc", "fixed_inv", "gov_exp",
                                  "trade", "fdi")
RAW_COLUMNS: tuple[str, ...] = (
    "gdp", "pop_resident", "pop_registered", "emp_secondary", "emp_tertiary", "cons_pc_urban",
    "innovation", "income_pc", "fixed_inv", "gov_exp", "trade", "fdi", "pop_urban", "area_km2",
    "edu_primary", "edu_junior", "edu_senior", "edu_college", "pop_6plus", "price_index",
)
#: The ``action`` of a raw cell in the gaps table (English in files, Chinese in a zh report).
_INTERPOLATED = Text("interpolated", "已插补")
_LEFT_MISSING = Text("left missing", "保留缺失")

#: Raw columns the indicators divide by: they must be positive where present.
DENOMINATORS: tuple[str, ...] = ("gdp", "pop_resident", "pop_registered", "emp_secondary",
                                 "area_km2", "pop_6plus")
CONTROLS: tuple[str, ...] = ("inc", "inv", "gov", "tra", "fdi", "urb")
INDICATORS: tuple[str, ...] = ("gdp_pc", "mig", "str", "cos", "tec", *CONTROLS)
SPLITTERS: tuple[str, ...] = ("hukou", "density", "school_years", "pop_resident")

#: 国发〔2014〕51号 classes: (code, Chinese name, lower bound in 万人 inclusive), largest first.
SIZE_CLASSES: tuple[tuple[str, str, float], ...] = (
    ("super", "超大城市", 1000.0),
    ("mega", "特大城市", 500.0),
    ("large_I", "I型大城市", 300.0),
    ("large_II", "II型大城市", 100.0),
    ("medium", "中等城市", 50.0),
    ("small", "小城市", 0.0),
)


@dataclass(frozen=True)
class IndicatorPanel:
    """Indicators built from raw statistics.

    Attributes
    ----------
    frame : DataFrame
        ``city, year`` + indicators + splitters + ``size_class`` + ``interpolated`` (the raw
        columns filled in that row, comma-separated; "" when none).
    audit : DataFrame
        ``step, reason, rows``: every input record in exactly one row of the audit.
    gaps : DataFrame
        ``city, year, column, action`` (``interpolated`` or ``left missing``) per raw cell.
    """

    frame: pd.DataFrame
    audit: pd.DataFrame
    gaps: pd.DataFrame

    def summary(self) -> str:
        """Counts from the audit, one line each."""
        lines = [f"{len(self.frame)} city-years, {self.frame['city'].nunique()} cities"]
        lines += [f"  {r.step}: {r.reason}: {r.rows}" for r in self.audit.itertuples()]
        return "\n".join(lines)

    def tidy(self) -> pd.DataFrame:
        """The indicator frame."""
        return self.frame


def validate_panel(df: pd.DataFrame, *, entity: str, time: str, columns: Sequence[str],
                   file: str | None = None, min_years: int = 2) -> pd.DataFrame:
    """Check a city-year table and return a copy with numeric ``columns`` and integer years.

    Raises
    ------
    InputError
        Missing columns, missing ids, non-numeric values, duplicate (entity, time) rows, or an
        entity observed in fewer than ``min_years`` periods (the rows are named).
    """
    require_columns(df, [entity, time, *columns], file=file)
    out = df.copy()
    miss = np.flatnonzero(out[entity].isna().to_numpy())
    if len(miss):
        raise InputError("missing id", file=file, column=entity, rows=miss.tolist(),
                         fix="give every row its city")
    out[time] = numeric_column(out, time, file=file, integer=True, allow_missing=False)
    out[time] = out[time].astype("int64")
    out[entity] = id_strings(out[entity])  # 440100.0 from a spreadsheet is city "440100"
    for c in columns:
        out[c] = numeric_column(out, c, file=file).astype("float64")
    check_unique(out, [entity, time], file=file, what="city-year")
    n = out.groupby(entity)[time].transform("size").to_numpy()
    few = np.flatnonzero(n < min_years)
    if len(few):
        who = out[entity].iloc[few[0]]
        raise InputError(f"city {who!r} has fewer than {min_years} years; a panel model needs "
                         "each city observed at least twice", file=file, column=entity,
                         rows=few.tolist(), fix="drop these cities or add their other years")
    return out


def interpolate_interior(df: pd.DataFrame, columns: Sequence[str], *, entity: str = "city",
                         time: str = "year") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fill interior gaps linearly in time within each entity; never extrapolate.

    A missing value is *interior* when the same entity has an observed value of that column in
    an earlier and in a later year; it is filled by linear interpolation in the year values
    (so uneven spacing is respected). Leading and trailing gaps stay missing.

    Returns
    -------
    (DataFrame, DataFrame)
        The filled copy (sorted by entity, time) with an ``interpolated`` column listing the
        filled columns of each row, and the gap log ``entity, time, column, action``.
    """
    out = df.sort_values([entity, time]).reset_index(drop=True)
    flags: list[list[str]] = [[] for _ in range(len(out))]
    log: list[dict] = []
    t = out[time].to_numpy(dtype=float)
    # read each column once: a fill only touches its own entity's rows, read before it
    values = {c: out[c].to_numpy(dtype=float) for c in columns}
    for idx in out.groupby(entity, sort=False).indices.values():
        idx = np.asarray(idx)
        for c in columns:
            v = values[c][idx]
            obs = ~np.isnan(v)
            if obs.all():
                continue
            tt = t[idx]
            for j in np.flatnonzero(~obs):
                before = obs[:j].any()
                after = obs[j + 1:].any()
                row = idx[j]
                if before and after:
                    val = float(np.interp(tt[j], tt[obs], v[obs]))
                    out.loc[row, c] = val
                    flags[row].append(c)
                    action = _INTERPOLATED
                else:
                    action = _LEFT_MISSING
                log.append({entity: out[entity].iloc[row], time: int(out[time].iloc[row]),
                            "column": c, "action": action})
    out["interpolated"] = [",".join(f) for f in flags]
    gaps = pd.DataFrame(log, columns=[entity, time, "column", "action"])
    gaps["action"] = pd.Series([r["action"] for r in log], dtype=object)  # keep the Text
    return out, gaps


def deflate(df: pd.DataFrame, columns: Sequence[str], *, price: str, entity: str = "city",
            time: str = "year", base_year: int | None = None,
            file: str | None = None) -> pd.DataFrame:
    """Express money columns in base-year prices.

    ``real = nominal × P(base) / P(t)`` with ``P`` the entity's own price index. With
    ``base_year=None`` the index is taken to be already normalised so that the base year is
    100 (how yearbooks publish "2004 = 100" series), i.e. ``real = nominal × 100 / P(t)``; this
    allows a base year outside the sample (the paper deflates 2005-2017 data to 2004).

    Raises
    ------
    InputError
        Non-positive price index, or ``base_year`` given but missing for an entity.
    """
    out = df.copy()
    p = out[price].to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isnan(p) & (p <= 0))
    if len(bad):
        raise InputError("price index must be positive", column=price, rows=bad.tolist(),
                         fix="use a price level such as CPI (base year = 100)")
    if base_year is None:
        base = np.full(len(out), 100.0)
    else:
        at_base = out.loc[out[time] == base_year].set_index(entity)[price]
        base = out[entity].map(at_base).to_numpy(dtype=float)
        lacking = np.flatnonzero(np.isnan(base))
        if len(lacking):
            raise InputError(f"no price index in base year {base_year} for city "
                             f"{out[entity].iloc[lacking[0]]!r}", file=file, column=price,
                             rows=lacking.tolist(),
                             fix="choose a base year inside the data for every city, or omit "
                                 "`base_year` when the index is already normalised to base = "
                                 "100 (e.g. 2004 = 100)")
    factor = base / p
    for c in columns:
        out[c] = out[c].to_numpy(dtype=float) * factor
    return out


def size_class(pop_10k: pd.Series | np.ndarray | float) -> pd.Series:
    """City-size class (国发〔2014〕51号) from population in 万人; lower bounds inclusive.

    超大 ≥1000万; 特大 500–<1000万; I型大 300–<500万; II型大 100–<300万; 中等 50–<100万;
    小 <50万. Returns the codes of :data:`SIZE_CLASSES` (missing population -> missing).
    """
    s = pd.Series(np.atleast_1d(np.asarray(pop_10k, dtype=float)))
    out = pd.Series([None] * len(s), dtype=object, index=s.index)
    for code, _name, lower in reversed(SIZE_CLASSES):  # smallest first; larger overwrite
        out[s >= lower] = code
    out[s.isna()] = None
    return out


def schooling_years(primary: ArrayLike, junior: ArrayLike, senior: ArrayLike,
                    college: ArrayLike, pop6: ArrayLike) -> np.ndarray:
    """Average years of schooling = (6·primary + 9·junior + 12·senior + 16·college) / pop 6+."""
    return (6 * np.asarray(primary, float) + 9 * np.asarray(junior, float)
            + 12 * np.asarray(senior, float) + 16 * np.asarray(college, float)) / np.asarray(
        pop6, float)


def build_indicators(raw: pd.DataFrame, *, entity: str = "city", time: str = "year",
                     price: str = "price_index", base_year: int | None = None,
                     file: str | None = None) -> IndicatorPanel:
    """Raw city statistics -> the paper's indicators (validate, interpolate, deflate, compute).

    Parameters
    ----------
    raw : DataFrame
        One row per city and year with :data:`RAW_COLUMNS` (``price`` may be renamed).
    entity, time : str
        Id columns; the output always calls them ``city`` and ``year``.
    price : str
        Price-index column used to deflate :data:`MONEY_COLUMNS`.
    base_year : int, optional
        See :func:`deflate`.
    file : str, optional
        Name used in error messages.

    Returns
    -------
    IndicatorPanel
    """
    cols = [c if c != "price_index" else price for c in RAW_COLUMNS]
    df = validate_panel(raw, entity=entity, time=time, columns=cols, file=file)
    df = df.rename(columns={entity: "city", time: "year"})
    df["_row"] = np.arange(len(df))  # input position, for messages after any reordering
    n_in = len(df)
    df, gaps = interpolate_interior(df, cols, entity="city", time="year")
    df = deflate(df, MONEY_COLUMNS, price=price, entity="city", time="year", base_year=base_year,
                 file=file)
    # a zero or negative denominator makes an indicator infinite or meaningless; it would be
    # dropped later as if it were missing, so it is refused here, naming the raw cells
    for c in DENOMINATORS:
        bad = np.flatnonzero((df[c] <= 0).fillna(False).to_numpy())
        if len(bad):
            raise InputError(f"{c} is {df[c].iloc[bad[0]]:g}, but the indicators divide by it",
                             file=file, column=c, rows=df["_row"].iloc[bad].to_numpy(),
                             fix=f"{c} must be positive: correct these cells or leave them "
                                 "empty (missing)")
    df = df.drop(columns="_row")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame({"city": df["city"], "year": df["year"]})
        out["gdp_pc"] = df["gdp"] / df["pop_resident"]  # 亿元 / 万人 = 万元 per person
        out["mig"] = (df["pop_resident"] - df["pop_registered"]) / df["pop_registered"]
        out["str"] = df["emp_tertiary"] / df["emp_secondary"]
        out["cos"] = df["cons_pc_urban"] / (out["gdp_pc"] * 1e4)
        out["tec"] = df["innovation"]
        out["inc"] = df["income_pc"] / 1e4
        out["inv"] = df["fixed_inv"] / df["gdp"]
        out["gov"] = df["gov_exp"] / df["gdp"]
        out["tra"] = df["trade"] / df["gdp"]
        out["fdi"] = df["fdi"] / df["gdp"]
        out["urb"] = df["pop_urban"] / df["pop_resident"]
        out["hukou"] = df["pop_resident"] / df["pop_registered"]
        out["density"] = df["pop_resident"] * 1e4 / df["area_km2"]  # persons / km²
        out["school_years"] = schooling_years(df["edu_primary"], df["edu_junior"],
                                              df["edu_senior"], df["edu_college"],
                                              df["pop_6plus"])
        out["pop_resident"] = df["pop_resident"]
    out["size_class"] = size_class(df["pop_resident"]).to_numpy()
    out = out.replace([np.inf, -np.inf], np.nan)
    out["interpolated"] = df["interpolated"]
    # every input record in exactly one audit row (worst outcome wins)
    still_missing = out[list(INDICATORS)].isna().any(axis=1)
    filled = out["interpolated"] != ""
    n_missing = int(still_missing.sum())
    n_filled = int((filled & ~still_missing).sum())
    audit = pd.DataFrame({
        "step": pd.Series([Text("citypanel.indicators", "指标构建")] * 3, dtype=object),
        "reason": pd.Series([Text("complete as given", "原始数据完整"),
                   Text("interior gap interpolated (flagged in 'interpolated')",
                        "中间缺失已线性插补（在 interpolated 列中标记）"),
                   Text("leading/trailing gap left missing (not extrapolated); dropped by models",
                        "首尾缺失保留为缺失（不外推）；模型中剔除")], dtype=object),
        "rows": [n_in - n_filled - n_missing, n_filled, n_missing],
    })
    return IndicatorPanel(out, audit, gaps)


def city_split(df: pd.DataFrame, col: str, *, entity: str = "city",
               threshold: float | None = None) -> pd.Series:
    """Split entities into ``high`` / ``low`` by their mean of ``col`` over the years.

    A city stays in one group for all years (the paper groups regions). Split at ``threshold``
    when given (e.g. 500 for ≥ 5 million people, in 万人), else at the median of the city means;
    ``high`` is ``>=`` the cut. Returns a Series aligned with ``df`` (values "high"/"low";
    missing for a city with no value of ``col``).
    """
    means = df.groupby(entity)[col].mean()
    cut = float(means.median()) if threshold is None else float(threshold)
    group = pd.Series(np.where(means >= cut, "high", "low"), index=means.index, dtype=object)
    group[means.isna()] = None  # a city with no value of the splitter is in neither group
    return df[entity].map(group).rename(f"{col}_group")


def descriptives(df: pd.DataFrame, columns: Sequence[str], *, entity: str = "city",
                 time: str = "year", names: dict[str, str] | None = None) -> pd.DataFrame:
    """Mean, sd, and the max / min with the city and year where they occur (paper's text).

    Returns
    -------
    DataFrame
        ``variable, N, mean, sd, max, max_city, max_year, min, min_city, min_year``.
    """
    rows = []
    for c in columns:
        v = pd.to_numeric(df[c], errors="coerce")
        ok = v.notna()
        if not ok.any():
            continue
        imax, imin = v[ok].idxmax(), v[ok].idxmin()
        ent = df[entity]
        rows.append({
            "variable": c, "N": int(ok.sum()), "mean": float(v.mean()), "sd": float(v.std()),
            "max": float(v[imax]),
            "max_city": (names or {}).get(str(ent[imax]), str(ent[imax])),
            "max_year": int(df.loc[imax, time]), "min": float(v[imin]),
            "min_city": (names or {}).get(str(ent[imin]), str(ent[imin])),
            "min_year": int(df.loc[imin, time]),
        })
    out = pd.DataFrame(rows)
    for c in ("max_city", "min_city") if rows else ():
        # an object column keeps a name's English rendering (pandas' string columns drop it)
        out[c] = pd.Series([r[c] for r in rows], dtype=object)
    return out
