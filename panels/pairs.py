"""The pair-year panel of seed 003: flows + treatment timing from a parks table + recipient controls.

A pair ``origin → destination`` is treated from the first year any co-built park links the
helper (origin) to the recipient (destination); several parks per pair → the earliest year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pairnet.core.errors import InputError
from pairnet.core.tables import check_unique, numeric_column, require_columns

from .controls import baseline_year_controls

__all__ = ["CONTROLS", "TABLE5_OUTCOMES", "TABLE5_SAMPLE", "pair_id", "park_cohorts",
           "build_pair_panel", "pair_panel", "ingest_outcomes", "table5_panel"]

#: Table 5 outcomes of seed 003: the registry ingest options that count them. Both run over
#: every industry ("基于 2000—2018 年全行业股东数据 / 全行业分公司设立数据").
TABLE5_OUTCOMES: dict[str, dict[str, str]] = {
    "count_all_industries": {"industry": "all", "kind": "shareholding"},
    "count_branches": {"industry": "all", "kind": "branch"},
}
#: The outcome whose connected pairs are Table 5's sample (the paper's N = 2,033 = 107 pairs ×
#: 19 years: the PRD -> EWN pairs with at least one all-industry shareholding tie).
TABLE5_SAMPLE = "count_all_industries"
_KEYS = ["origin", "destination", "year"]

#: The recipient-city controls of seed 003 Table 1 (canonical column names).
CONTROLS = ("freight", "revenue_pc", "spending_pc", "phones_pc", "beds_per_10k")


def pair_id(origin: pd.Series, destination: pd.Series) -> pd.Series:
    """``"440100-441400"`` labels."""
    return origin.astype("string") + "-" + destination.astype("string")


def _as_adcodes(s: pd.Series, column: str) -> pd.Series:
    from pairnet.spatial.cities import resolve_one

    s = s.astype("string").str.strip()
    out = {}
    for v in s.dropna().unique():
        out[v] = resolve_one(v, level="prefecture", argument=f"parks table column '{column}'")
    return s.map(out).astype("string")


def park_cohorts(parks: pd.DataFrame) -> pd.DataFrame:
    """Earliest ``first_year`` per (helper, recipient) pair.

    Helpers and recipients may be adcodes or Chinese names (广州, 广州市); they are resolved to
    prefecture adcodes.

    Returns
    -------
    DataFrame
        ``origin, destination, cohort, parks`` (number of parks of the pair).
    """
    require_columns(parks, ["helper", "recipient", "first_year"], what="parks table")
    p = parks[["helper", "recipient", "first_year"]].copy()
    p["origin"] = _as_adcodes(p["helper"], "helper")
    p["destination"] = _as_adcodes(p["recipient"], "recipient")
    # a fractional year (2005.5) is an error, not silently truncated to 2005
    fy = numeric_column(p, "first_year", file="parks table", integer=True, allow_missing=False)
    p["first_year"] = fy.astype("int64")
    return (p.groupby(["origin", "destination"], as_index=False)
            .agg(cohort=("first_year", "min"), parks=("first_year", "size")))


def build_pair_panel(flows: pd.DataFrame, parks: pd.DataFrame | None,
                     controls: pd.DataFrame | None = None, *,
                     control_cols: Sequence[str] | None = None,
                     baseline: bool = False) -> pd.DataFrame:
    """Add treatment timing and recipient controls to a pair-year flows panel.

    Parameters
    ----------
    flows : DataFrame
        ``origin, destination, year, count`` (e.g. :attr:`IngestResult.panel`).
    parks : DataFrame or None
        ``helper, recipient, first_year`` (+ ``park``). None = no pair is treated.
    controls : DataFrame, optional
        Recipient city-year table ``city, year, ...``; joined on ``destination = city``.
    control_cols : sequence of str, optional
        Which control columns to join (default: those of :data:`CONTROLS` present).
    baseline : bool
        Also add the paper's ``{control}_x{year}`` columns (baseline-year value × year dummy,
        see :func:`pairnet.panels.controls.baseline_year_controls`), computed per recipient city.

    Returns
    -------
    DataFrame
        ``flows`` plus ``pair`` ("440100-441400"), ``log_count`` (ln(1+count)), ``cohort``
        (earliest park year, 0 = never treated), ``treat`` (1 if year >= cohort > 0),
        ``rel_time`` (year - cohort; <NA> for never treated), and the controls.
    """
    require_columns(flows, ["origin", "destination", "year", "count"], what="flows table")
    out = flows.copy()
    out["origin"] = out["origin"].astype("string")
    out["destination"] = out["destination"].astype("string")
    out["year"] = pd.to_numeric(out["year"]).astype("int64")
    out["pair"] = pair_id(out["origin"], out["destination"])
    out["log_count"] = np.log1p(pd.to_numeric(out["count"]).astype(float))
    if parks is not None and len(parks):
        coh = park_cohorts(parks)[["origin", "destination", "cohort"]]
        out = out.merge(coh, on=["origin", "destination"], how="left")
    else:
        out["cohort"] = np.nan
    out["cohort"] = out["cohort"].fillna(0).astype("int64")
    out["treat"] = ((out["cohort"] > 0) & (out["year"] >= out["cohort"])).astype("int64")
    rel = (out["year"] - out["cohort"]).astype("Int64")
    out["rel_time"] = rel.where(out["cohort"] > 0, pd.NA)
    if controls is not None:
        require_columns(controls, ["city", "year"], what="controls table")
        cols = list(control_cols) if control_cols is not None else \
            [c for c in CONTROLS if c in controls.columns]
        require_columns(controls, cols, what="controls table")
        c = controls[["city", "year", *cols]].copy()
        c["city"] = c["city"].astype("string")
        c["year"] = pd.to_numeric(c["year"]).astype("int64")
        check_unique(c, ["city", "year"], file="controls table", what="controls row")
        for k in cols:
            c[k] = pd.to_numeric(c[k], errors="coerce")
        c = c.rename(columns={"city": "destination"})
        out = out.merge(c, on=["destination", "year"], how="left")
        if baseline:
            # a recipient's controls may respond to its first park, so the fallback baseline
            # must come from before the earliest cohort among its pairs
            first = out.loc[out["cohort"] > 0].groupby("destination")["cohort"].min()
            base = baseline_year_controls(out, cols, unit="destination", time="year",
                                          cohort=first)
            out = pd.concat([out, base], axis=1)
            out.attrs["no_baseline"] = base.attrs.get("no_baseline", {})
    return out.sort_values(["origin", "destination", "year"]).reset_index(drop=True)


def ingest_outcomes(registry: str | Path, *, origins: str | Sequence[str],
                    destinations: str | Sequence[str], years: tuple[int, int],
                    outcomes: Mapping[str, Mapping[str, str]] = TABLE5_OUTCOMES,
                    columns: Mapping[str, str] | None = None,
                    sample: str | None = TABLE5_SAMPLE) -> pd.DataFrame:
    """Pair-year counts of further outcomes, one registry ingest each (Table 5).

    Parameters
    ----------
    registry : path
        The firm registry, as for :func:`pairnet.panels.registry.ingest_registry`.
    origins, destinations, years, columns
        As for :func:`~pairnet.panels.registry.ingest_registry`.
    outcomes : mapping
        ``{column: ingest options}``, default :data:`TABLE5_OUTCOMES` (all-industry
        shareholding and all-industry branch counts).
    sample : str or None
        The outcome whose connected pairs make the sample (default :data:`TABLE5_SAMPLE`, the
        paper's): every one of its pairs × every year, the other outcomes counted on those
        pair-years (0 where none). None = the union of every outcome's connected pairs.

    Returns
    -------
    DataFrame
        ``origin, destination, year`` and one count column per outcome (0 where a pair-year had
        no such record); ``attrs["sample"]`` = the sample outcome, ``attrs["n_pairs"]``.

    Raises
    ------
    InputError
        No outcomes, or ``sample`` not among them.
    """
    from .registry import ingest_registry

    if not outcomes:
        raise InputError("no outcomes to ingest", fix="name at least one outcome")
    if sample is not None and sample not in outcomes:
        raise InputError(f"the Table 5 sample {sample!r} is not one of the outcomes "
                         f"({', '.join(outcomes)})", file="`sample`",
                         fix="name one of the outcomes, or None for the union of their pairs")
    parts: dict[str, pd.DataFrame] = {}
    for col, kw in outcomes.items():
        res = ingest_registry(registry, origins=origins, destinations=destinations, years=years,
                              columns=columns, **kw)  # type: ignore[arg-type]
        parts[col] = res.panel.rename(columns={"count": col})
    order = [sample] if sample is not None else []
    order += [c for c in outcomes if c not in order]
    out = parts[order[0]]
    for col in order[1:]:
        out = out.merge(parts[col], on=_KEYS, how="left" if sample is not None else "outer")
    out = out.fillna({c: 0 for c in outcomes})
    out = out.astype({c: "int64" for c in outcomes})[[*_KEYS, *outcomes]]
    out = out.sort_values(_KEYS).reset_index(drop=True)
    out.attrs["sample"] = sample
    out.attrs["n_pairs"] = int(len(out[["origin", "destination"]].drop_duplicates()))
    return out


def table5_panel(outcomes: pd.DataFrame, parks: pd.DataFrame | None,
                 controls: pd.DataFrame | None = None, *,
                 helpers: Sequence[str] | None = None,
                 recipients: Sequence[str] | None = None,
                 sample: str = TABLE5_SAMPLE) -> pd.DataFrame:
    """Seed 003 Table 5's own pair-year panel, from :func:`ingest_outcomes`.

    Table 5 does not run on the manufacturing sample (88 pairs) but on the pairs connected in
    the all-industry registry (the paper's N = 2,033 = 107 pairs × 19 years), with the
    branch counts of those pair-years. ``count`` is the ``sample`` outcome; treatment timing,
    controls and ``pair`` ids are built as for :func:`pair_panel`.
    """
    require_columns(outcomes, [*_KEYS, sample], what="Table 5 outcomes")
    flows = outcomes.assign(count=outcomes[sample])
    return pair_panel(flows, parks, controls, helpers=helpers, recipients=recipients)


def pair_panel(flows: pd.DataFrame, parks: pd.DataFrame | None,
               controls: pd.DataFrame | None = None, *,
               distances: pd.DataFrame | None = None,
               helpers: Sequence[str] | None = None,
               recipients: Sequence[str] | None = None,
               outcomes: pd.DataFrame | None = None,
               control_cols: Sequence[str] | None = None,
               baseline: bool = False, file: str | None = None) -> pd.DataFrame:
    """The DID-ready pair-year panel: helper -> recipient flows, timing, controls, distances.

    The panel ``pairnet did`` and :func:`pairnet.analyses.did_suite.did_suite` take (``unit =
    "pair"``, ``time = "year"``, ``cohort = "cohort"``).

    Parameters
    ----------
    flows : DataFrame
        ``origin, destination, year, count`` (e.g. ``IngestResult.panel``), prefecture adcodes.
    parks : DataFrame or None
        ``helper, recipient, first_year`` (names or adcodes); a pair's cohort is its earliest
        park year, 0 = never treated.
    controls : DataFrame, optional
        Recipient city-year table ``city, year, ...`` (joined on ``destination = city``).
    distances : DataFrame, optional
        ``origin, destination`` and any of the four distance columns (``pairnet distances``);
        one row per pair.
    helpers, recipients : sequence of str, optional
        Keep only flows from a helper to a recipient (seed 003 compares PRD -> EWN pairs; other
        flows feed the network only).
    outcomes : DataFrame, optional
        Further pair-year outcome columns (:func:`ingest_outcomes`); a pair-year absent from it
        had no such record: 0.
    control_cols, baseline
        As for :func:`build_pair_panel`.
    file : str, optional
        Named in messages.

    Raises
    ------
    InputError
        No helper -> recipient flow, missing columns, duplicate distance pairs.
    """
    require_columns(flows, ["origin", "destination", "year", "count"], file=file,
                    what="flows table")
    f = flows
    if helpers is not None:
        f = f[f["origin"].astype(str).isin([str(h) for h in helpers])]
    if recipients is not None:
        f = f[f["destination"].astype(str).isin([str(r) for r in recipients])]
    if f.empty:
        raise InputError("no flow goes from a helper to a recipient", file=file,
                         column="origin",
                         fix="check that the flows' origin/destination codes are the helpers' "
                             "and recipients' prefecture adcodes")
    if outcomes is not None:
        extra = [c for c in outcomes.columns if c not in _KEYS]
        o = outcomes.astype({"origin": "string", "destination": "string"})
        f = f.astype({"origin": "string", "destination": "string"}).merge(
            o.assign(year=pd.to_numeric(o["year"]).astype("int64")), on=_KEYS, how="left")
        f = f.fillna({c: 0 for c in extra})
    panel = build_pair_panel(f, parks, controls, control_cols=control_cols, baseline=baseline)
    if distances is not None:
        require_columns(distances, ["origin", "destination"], file=file, what="distances table")
        from pairnet.spatial.distances import DISTANCE_MEASURES

        cols = [c for c in DISTANCE_MEASURES if c in distances.columns]
        if not cols:
            raise InputError("the distances table has none of the distance columns "
                             f"{', '.join(DISTANCE_MEASURES)}", file=file,
                             fix="pass the output of `pairnet distances`")
        d = distances[["origin", "destination", *cols]].astype(
            {"origin": "string", "destination": "string"})
        check_unique(d, ["origin", "destination"], file=file, what="distance pair")
        panel = panel.merge(d, on=["origin", "destination"], how="left")
    return panel
