"""Regression tables across models, built by maketables (style point 14).

A :class:`ModelColumn` is one fitted model as a table needs it: its coefficients (broom's
columns), the outcome, the fixed effects and model statistics. :func:`model_table` turns a list
of them into a :class:`ModelTable` — a :class:`pairnet.core.results.Table` that the writer
renders with maketables' ``ETable`` (HTML, LaTeX, Word and Markdown), in the report's language.
The models reach ``ETable`` through maketables' plug-in interface (``__maketables_coef_table__``
and friends, :class:`_Plugin`), so any result class can be tabulated without maketables knowing
it.

Layout (every format alike): one column per model; coefficient with stars over its SE in
parentheses; a row per fixed effect (Yes/No); then the table's own rows (e.g. the two-way
clustered SE, a break-even distance, an F test); then controls, estimator, how SEs are
clustered, the number of clusters, the wild cluster bootstrap p where present, observations and
R². The note ends with the star legend.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pairnet.core.i18n import Lang, Text, render
from pairnet.core.results import Table

__all__ = ["ModelColumn", "ModelTable", "model_table", "coef_decimals", "format_p", "p_is", "STAR_LEGEND", "STAT_ROWS"]

#: The star legend every regression table's note ends with.
STAR_LEGEND = Text("* p<0.1, ** p<0.05, *** p<0.01; standard errors in parentheses.",
                   "* p<0.1，** p<0.05，*** p<0.01；括号内为标准误。")
_YES = Text("Yes", "是")
_NO = Text("No", "否")

#: The model statistics a table can show, in order, with their labels.
STAT_ROWS: dict[str, Text] = {
    "controls": Text("Controls", "控制变量"),
    "estimator": Text("Estimator", "估计方法"),
    "se_type": Text("SE clustered by", "标准误聚类层级"),
    "n_clusters": Text("Clusters", "聚类数"),
    "p_wild": Text("Wild cluster bootstrap p", "野聚类自助法 p 值"),
    "N": Text("Observations", "观测值"),
    "r2": Text("R²", "R²"),
    "r2_within": Text("Within R²", "组内 R²"),
}


@dataclass(frozen=True)
class ModelColumn:
    """One model of a regression table.

    Attributes
    ----------
    coef : DataFrame
        Index = term; at least ``estimate, std_error, p_value`` (broom's names; ``statistic``,
        ``conf_low, conf_high`` used when present). A ``p_wild`` column (the wild cluster
        bootstrap p per coefficient) is shown in brackets under the SE where it is finite.
    depvar : str or Text
        The outcome, as shown above the column.
    fixef : sequence of str
        Fixed effects of the model (each becomes a Yes/No row), e.g. ``("pair", "year")``.
    stats : mapping
        Keys of :data:`STAT_ROWS`: numbers (``N``, ``r2``, ``n_clusters``, ``p_wild``), bools
        (``controls``) or text (``estimator``, ``se_type``). Missing keys leave the cell empty.
    head : str or Text
        Optional header above the column (e.g. "RE").
    """

    coef: pd.DataFrame
    depvar: str | Text
    fixef: Sequence[str] = ()
    stats: Mapping[str, Any] = field(default_factory=dict)
    head: str | Text = ""


def format_p(p: Any, decimals: int = 3) -> str:
    """A p-value as every table and figure shows it: ``decimals`` decimals, ``<0.001`` below.

    ``""`` for a missing or non-finite p. The one rule for p-values outside the writer's
    p columns (bracketed bootstrap p, model statistics, notes and figure titles).
    """
    if p is None or not math.isfinite(float(p)):
        return ""
    floor = 10.0 ** -decimals
    return f"<{floor:.{decimals}f}" if 0 <= float(p) < floor / 2 else f"{float(p):.{decimals}f}"


def p_is(p: Any, decimals: int = 3) -> str:
    """``p = 0.012`` or ``p < 0.001`` (:func:`format_p`) for notes and figure titles."""
    text = format_p(p, decimals) or "–"
    return f"p < {text[1:]}" if text.startswith("<") else f"p = {text}"


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and not math.isfinite(v))


def _stat_text(key: str, v: Any, lang: Lang) -> str:
    """A model statistic as shown: counts with separators, R² to 3 decimals, p by format_p."""
    if _blank(v) or (isinstance(v, np.floating) and not np.isfinite(v)):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return (_YES if v else _NO)(lang)
    if isinstance(v, Text):
        return v(lang)
    if isinstance(v, str):
        return v
    if key in ("N", "n_clusters"):
        return f"{int(v):,}"
    if key.startswith("p_"):
        return format_p(v)
    return f"{float(v):.3f}"


class _Plugin:
    """A :class:`ModelColumn` in maketables' plug-in format, rendered in one language."""

    def __init__(self, col: ModelColumn, lang: Lang,
                 coef_labels: Mapping[str, str | Text], wild: bool = False) -> None:
        self._col, self._lang = col, lang
        c = col.coef
        names = [render(coef_labels.get(str(t), str(t)), lang) for t in c.index]
        tab = pd.DataFrame({"b": c["estimate"].to_numpy(float),
                            "se": c["std_error"].to_numpy(float),
                            "p": c["p_value"].to_numpy(float)}, index=pd.Index(names))
        if "statistic" in c.columns:
            tab["t"] = c["statistic"].to_numpy(float)
        if {"conf_low", "conf_high"} <= set(c.columns):
            tab["ci95l"] = c["conf_low"].to_numpy(float)
            tab["ci95u"] = c["conf_high"].to_numpy(float)
        if wild:  # every model has the column (maketables reads the tokens off the first);
            # pre-formatted (``[pw:s]``) so that a p below 0.0005 reads <0.001, never 0.000
            pw = (c["p_wild"].to_numpy(float) if "p_wild" in c.columns
                  else np.full(len(c), np.nan))
            tab["pw"] = pd.Series([format_p(v) or np.nan for v in pw], index=tab.index,
                                  dtype=object)
        self._tab = tab

    @property
    def __maketables_coef_table__(self) -> pd.DataFrame:
        return self._tab

    @property
    def __maketables_depvar__(self) -> str:
        return render(self._col.depvar, self._lang)

    @property
    def __maketables_fixef_string__(self) -> str | None:
        return "+".join(self._col.fixef) or None

    def __maketables_stat__(self, key: str) -> str | None:
        text = _stat_text(key, self._col.stats.get(key), self._lang)
        return text or None

    @property
    def __maketables_vcov_info__(self) -> dict[str, Any]:
        se = self._col.stats.get("se_type")
        return {"vcov_type": "CRV1" if se else None,
                "clustervar": render(se, self._lang) if se else None}


@dataclass(frozen=True)
class ModelTable(Table):
    """A regression table: :class:`Table` whose layout maketables' ``ETable`` builds.

    ``frame`` is the table in English as the CSV holds it (:func:`_csv_frame`); the writer
    calls :meth:`etable` in the report's language for HTML, LaTeX, Word and Markdown.
    """

    models: tuple[ModelColumn, ...] = ()
    coef_labels: Mapping[str, str | Text] = field(default_factory=dict)
    fixef_labels: Mapping[str, str | Text] = field(default_factory=dict)
    rows: Mapping[str, Sequence[str | Text]] = field(default_factory=dict)
    row_labels: Mapping[str, str | Text] = field(default_factory=dict)
    stat_keys: tuple[str, ...] = ()
    digits: int = 3
    order: tuple[str, ...] = ()

    def etable(self, lang: Lang = "en") -> Any:
        """The maketables ``ETable`` in ``lang`` (caption and note included)."""
        return _etable(self, lang)


def _etable(t: ModelTable, lang: Lang) -> Any:
    from maketables import ETable

    d = t.digits
    wild = _has_coef_wild(t.models)
    models = [_Plugin(m, lang, t.coef_labels, wild) for m in t.models]
    heads = [render(m.head, lang) for m in t.models]
    present = [k for k in t.stat_keys
               if any(not _blank(m.stats.get(k)) for m in t.models)]
    custom = {render(t.row_labels.get(k, k), lang): [render(v, lang) for v in vals]
              for k, vals in t.rows.items()}
    note = render(t.note, lang)
    if STAR_LEGEND(lang) not in note:
        note = (note + " " if note else "") + STAR_LEGEND(lang)
    order = [render(t.coef_labels.get(o, o), lang) for o in t.order]
    fmt = f"b:.{d}f*\n(se:.{d}f)" + ("\n[pw:s]" if wild else "")
    et = ETable(models, coef_fmt=fmt, model_stats=present,
                model_stats_labels={k: STAT_ROWS[k](lang) for k in present},
                custom_model_stats=custom or None,
                felabels={k: render(v, lang) for k, v in t.fixef_labels.items()},
                feorder=list(dict.fromkeys(f for m in t.models for f in m.fixef)),
                labels={}, model_heads=heads if any(heads) else None, head_order="hd",
                order=order or None, exact_match=True,
                caption=render(t.title, lang), notes=note)
    df = et.df
    block = df.index.get_level_values(0)
    if wild:  # no bracket where the bootstrap did not run for that coefficient
        coef = block == "coef"
        df.loc[coef] = df.loc[coef].map(lambda v: str(v).replace("\n[-]", ""))
    # Yes/No in the fixed-effects rows instead of maketables' x/-
    fe = block == "fe"
    if fe.any():
        yes, no = _YES(lang), _NO(lang)
        df.loc[fe] = df.loc[fe].replace({"x": yes, "-": no})
    return et


def _has_coef_wild(models: Sequence[ModelColumn]) -> bool:
    """Whether any model carries a wild cluster bootstrap p per coefficient (``p_wild``)."""
    return any("p_wild" in m.coef.columns and bool(np.isfinite(m.coef["p_wild"].to_numpy(float))
                                                   .any()) for m in models)


def _csv_frame(t: ModelTable, df: pd.DataFrame) -> pd.DataFrame:
    """The English table as the CSV holds it: a ``variable`` column, one column per model.

    Columns are the model heads when each model has its own, else ``(1), (2), ...`` with a
    first row ``dependent variable``; a coefficient takes two rows (estimate with stars, then
    its SE in parentheses on the row ``TERM SE``).
    """
    heads = [render(m.head) for m in t.models]
    named = all(heads) and len(set(heads)) == len(heads)
    cols = heads if named else [f"({i + 1})" for i in range(len(t.models))]
    rows: list[list[str]] = []
    if not named:
        rows.append(["dependent variable", *[render(m.depvar) for m in t.models]])
    for idx, vals in zip(df.index, df.itertuples(index=False), strict=True):
        block, lab = (idx[0], idx[-1]) if isinstance(idx, tuple) else ("", idx)
        cells = [str(v) for v in vals]
        if block == "coef":
            parts = [c.split("\n") for c in cells]
            rows.append([str(lab), *[q[0] for q in parts]])
            rows.append([f"{lab} SE", *[q[1] if len(q) > 1 else "" for q in parts]])
            if any(len(q) > 2 for q in parts):
                rows.append([f"{lab} wild p", *[q[2] if len(q) > 2 else "" for q in parts]])
        else:
            rows.append([str(lab), *["" if c == "-" else c for c in cells]])
    return pd.DataFrame(rows, columns=["variable", *cols])


def model_table(models: Sequence[ModelColumn], title: str | Text, note: str | Text = "", *,
                coef_labels: Mapping[str, str | Text] | None = None,
                fixef_labels: Mapping[str, str | Text] | None = None,
                rows: Mapping[str, Sequence[str | Text]] | None = None,
                row_labels: Mapping[str, str | Text] | None = None,
                stats: Sequence[str] = ("controls", "estimator", "se_type", "n_clusters",
                                        "p_wild", "N", "r2"),
                digits: int | None = None, order: Sequence[str] = ()) -> ModelTable:
    """A regression table over ``models`` (one column each), rendered by maketables.

    Parameters
    ----------
    models : sequence of ModelColumn
    title, note : str or Text
        Caption and note (the star legend is appended in every format).
    coef_labels, fixef_labels : mapping, optional
        Display names of terms and fixed effects.
    rows : mapping, optional
        Extra rows ``{key: [cell per model]}`` (already formatted), shown after the fixed
        effects; ``row_labels`` gives their display names.
    stats : sequence of str
        Keys of :data:`STAT_ROWS`, shown where at least one model has them.
    digits : int, optional
        Decimals of every coefficient and SE; default 3, more when an SE would show as 0.000.
    order : sequence of str
        Terms shown first, in this order.

    Raises
    ------
    ValueError
        No models, or a row with the wrong number of cells.
    """
    if not models:
        raise ValueError("model_table needs at least one model")
    for k, v in (rows or {}).items():
        if len(v) != len(models):
            raise ValueError(f"row {k!r} has {len(v)} cells for {len(models)} models")
    if digits is None:
        digits = _digits(models)
    t = ModelTable(frame=pd.DataFrame(), title=title, note=note, models=tuple(models),
                   coef_labels=dict(coef_labels or {}), fixef_labels=dict(fixef_labels or {}),
                   rows={k: list(v) for k, v in (rows or {}).items()},
                   row_labels=dict(row_labels or {}), stat_keys=tuple(stats), digits=digits,
                   order=tuple(order))
    object.__setattr__(t, "frame", _csv_frame(t, t.etable("en").df))
    return t


def coef_decimals(coef: pd.DataFrame) -> dict[str, int]:
    """Decimals of a table of broom columns, the regression tables' rule.

    Estimate, SE and confidence bounds share one number (3, more where an SE would show as
    0.000), the statistic takes 2 and the p-value 3 (``<0.001`` below): pass it as a
    :class:`~pairnet.core.results.Table`'s ``decimals``.
    """
    d = _se_digits(coef["std_error"].to_numpy(float))
    return {"estimate": d, "std_error": d, "conf_low": d, "conf_high": d, "statistic": 2,
            "p_value": 3}


def _digits(models: Sequence[ModelColumn]) -> int:
    """3 decimals, or as many (up to 6) as the smallest SE needs not to show as 0.000."""
    return _se_digits(np.concatenate([m.coef["std_error"].to_numpy(float) for m in models]))


def _se_digits(se: np.ndarray) -> int:
    """3, or as many decimals (up to 6) as the smallest of ``se`` needs not to show as 0.000."""
    se = np.abs(se[np.isfinite(se) & (se != 0)])
    if not len(se):
        return 3
    need = -math.floor(math.log10(float(se.min())))
    return int(min(6, max(3, need)))
