"""The one protocol every analysis result follows, and the objects results render into.

An analysis function only computes: it takes validated data and options and returns a frozen
result. What a result can do is the same everywhere (style point 14):

``tidy()``
    A DataFrame. Estimation results carry broom's columns :data:`TIDY_COLUMNS` first
    (``term, estimate, std_error, statistic, p_value, conf_low, conf_high``; a statistic that
    does not apply is missing), identifying columns such as ``model`` or ``outcome`` after them.
    Results that are data rather than estimates (distances, an ingest, network metrics) return
    their canonical table.
``summary()``
    Text, returned, never printed.
``to_dict()``
    What ``results.json`` holds: every number the result reports, JSON-ready through
    :func:`pairnet.core.tables.to_jsonable`.
``tables()`` / ``figures()``
    ``{name: Table}`` and ``{name: Figure}`` to publish (empty where there are none). Figures are
    drawn only when this is called.
``data_files()``
    ``{file name: DataFrame}`` written as they are beside ``results.json`` (e.g. the cleaned
    ``panel.csv`` of the land study; tables too long to publish); usually empty.

One writer, :func:`pairnet.core.outputs.write_result`, turns any result into its step folder,
and the report takes the same objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from scipy import stats

from pairnet.core.i18n import Text

__all__ = [
    "TIDY_COLUMNS",
    "Result",
    "ResultBase",
    "Table",
    "Figure",
    "tidy_frame",
    "coef_table",
    "empty_tidy",
]

#: broom's ``tidy()`` columns (with ``.`` spelled ``_``), in broom's order.
TIDY_COLUMNS: tuple[str, ...] = ("term", "estimate", "std_error", "statistic", "p_value",
                                 "conf_low", "conf_high")


@dataclass(frozen=True)
class Table:
    """A table to publish: the frame, a title, and an optional note under it.

    ``title`` and ``note`` are plain strings or :class:`pairnet.core.i18n.Text` (English and
    Chinese), rendered in the report's language when written.
    """

    frame: pd.DataFrame
    title: str | Text
    note: str | Text = ""
    index: bool = False
    #: ``None`` = per column: fixed decimals chosen from the column's magnitude.
    float_format: str | None = None
    #: decimals per statistic: one number for every float column, or ``{column: decimals}``
    #: (columns not named keep the automatic choice); the CSV keeps every digit
    decimals: int | Mapping[str, int] | None = None
    #: display labels of columns (``{column: "label" or Text}``), in addition to the common
    #: ones of :data:`pairnet.core.i18n.LABELS`; the CSV keeps the column names
    labels: Mapping[str, str | Text] = field(default_factory=dict)


@dataclass(frozen=True)
class Figure:
    """A matplotlib figure to publish as PNG and SVG.

    ``figure`` is a drawn matplotlib figure, or a function ``lang -> figure`` that draws it in
    the report's language (axis labels, legends); ``title`` / ``note`` as for :class:`Table`.
    """

    figure: Any
    title: str | Text
    note: str | Text = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class Result(Protocol):
    """What every analysis returns (see the module docstring)."""

    def tidy(self) -> pd.DataFrame:
        """Estimates (broom columns) or the result's canonical table."""
        ...

    def summary(self) -> str:
        """Text summary, returned, never printed."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """Everything ``results.json`` holds."""
        ...

    def tables(self) -> dict[str, Table]:
        """Tables to publish."""
        ...

    def figures(self) -> dict[str, Figure]:
        """Figures to publish (drawn on call)."""
        ...

    def data_files(self) -> dict[str, pd.DataFrame]:
        """Data written as files beside results.json (``{"panel.csv": frame}``)."""
        ...


class ResultBase:
    """Defaults for the protocol: no tables, no figures, a summary from ``tidy()``.

    Subclasses are frozen dataclasses that define at least ``tidy`` and ``to_dict``.
    """

    #: the title of the result's step folder and report section
    title: str = ""

    def tidy(self) -> pd.DataFrame:  # pragma: no cover - every subclass defines it
        """Estimates (broom columns) or the result's canonical table."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - every subclass defines it
        """Everything ``results.json`` holds."""
        raise NotImplementedError

    def summary(self) -> str:
        """The tidy table as text (subclasses say more)."""
        head = f"{self.title or type(self).__name__}\n"
        return head + self.tidy().to_string(index=False)

    def tables(self) -> dict[str, Table]:
        """No tables unless a subclass has them."""
        return {}

    def figures(self) -> dict[str, Figure]:
        """No figures unless a subclass has them."""
        return {}

    def data_files(self) -> dict[str, pd.DataFrame]:
        """No data files unless a subclass has them."""
        return {}


def empty_tidy(**extra: Sequence[Any]) -> pd.DataFrame:
    """An empty frame with the broom columns (and any identifying columns named in ``extra``)."""
    return pd.DataFrame({c: pd.Series(dtype=object if c == "term" else float)
                         for c in (*TIDY_COLUMNS, *extra)})


def tidy_frame(
    term: Sequence[str],
    estimate: Sequence[float] | np.ndarray,
    std_error: Sequence[float] | np.ndarray | None = None,
    statistic: Sequence[float] | np.ndarray | None = None,
    p_value: Sequence[float] | np.ndarray | None = None,
    conf_low: Sequence[float] | np.ndarray | None = None,
    conf_high: Sequence[float] | np.ndarray | None = None,
    **extra: Sequence[Any] | np.ndarray | Any,
) -> pd.DataFrame:
    """A broom-style frame: the seven :data:`TIDY_COLUMNS` (missing ones NaN), then ``extra``.

    ``extra`` columns (``model=...``, ``outcome=...``) come after the broom columns; a scalar is
    repeated on every row.
    """
    n = len(term)

    def col(v: Sequence[float] | np.ndarray | None) -> np.ndarray:
        return np.full(n, np.nan) if v is None else np.asarray(v, dtype=float).reshape(n)

    out = pd.DataFrame({"term": [str(t) for t in term], "estimate": col(estimate),
                        "std_error": col(std_error), "statistic": col(statistic),
                        "p_value": col(p_value), "conf_low": col(conf_low),
                        "conf_high": col(conf_high)})
    for k, v in extra.items():
        out[k] = list(v) if isinstance(v, (list, tuple, np.ndarray, pd.Series)) else [v] * n
    return out


def coef_table(terms: Sequence[str], estimate: Sequence[float] | np.ndarray,
               vcov: np.ndarray, df_t: float | None = None, *,
               level: float = 0.95) -> pd.DataFrame:
    """Estimates with SEs from ``vcov``, t (``df_t`` dof) or z statistics, p-values and CIs.

    Returns the broom columns with ``term`` as the index (``coef.loc["treat"]``), so a result
    keeps it as its coefficient table and ``tidy()`` is ``coef.reset_index()``.
    """
    est = np.asarray(estimate, float)
    se = np.sqrt(np.clip(np.diag(np.atleast_2d(vcov)), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        tstat = est / se
    a = (1 + level) / 2
    if df_t is not None and np.isfinite(df_t) and df_t > 0:
        p = 2 * stats.t.sf(np.abs(tstat), df_t)
        q = stats.t.ppf(a, df_t)
    else:
        p = 2 * stats.norm.sf(np.abs(tstat))
        q = stats.norm.ppf(a)
    out = tidy_frame(list(terms), est, se, tstat, p, est - q * se, est + q * se)
    return out.set_index("term")
