"""Figure 3 of seed 003: whole-network density over the years, one panel per threshold."""

from __future__ import annotations

import string
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.figure

__all__ = ["density_figure", "density_series", "panel_letter"]


def panel_letter(i: int) -> str:
    """The label of the ``i``-th panel (0-based): A, B, ..., Z, then 27, 28, ..."""
    return string.ascii_uppercase[i] if i < 26 else str(i + 1)


def density_series(metrics: pd.DataFrame, column: str = "density") -> dict[str, dict[str, Any]]:
    """Per-threshold series ``{"1": {"years": [...], "density": [...]}, ...}`` (for the report).

    Keys are the thresholds as strings (JSON keys), in ascending order.
    """
    out: dict[str, dict[str, Any]] = {}
    for t, part in metrics.sort_values(["threshold", "year"]).groupby("threshold", sort=True):
        out[f"{t:g}"] = {"threshold": t, "years": part["year"].astype(int).tolist(),
                         column: part[column].astype(float).tolist()}
    return out


def density_figure(metrics: pd.DataFrame, *, column: str = "density", title: str | None = None,
                   lang: str = "en") -> matplotlib.figure.Figure:
    """Draw ``column`` against year, one panel per threshold, labelled A, B, C, ... (Figure 3).

    Parameters
    ----------
    metrics : DataFrame
        Output of :func:`pairnet.network.metrics.network_metrics` (``year, threshold, COLUMN``).
    column : str
        The metric to draw (default ``density``).
    title : str, optional
        Figure title.
    lang : {"en", "zh"}
        Language of the panel titles and axis labels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    thresholds = sorted(metrics["threshold"].unique())
    k = max(len(thresholds), 1)
    ncols = 2 if k > 1 else 1
    nrows = (k + ncols - 1) // ncols
    fig = Figure(figsize=(5.2 * ncols, 3.4 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for i, t in enumerate(thresholds):
        ax = axes[i]
        part = metrics[metrics["threshold"] == t].sort_values("year")
        ax.plot(part["year"], part[column], marker="o", markersize=3.5, color="#1f5f8b")
        ax.set_title(f"{panel_letter(i)}   " + (f"阈值 {t:g}（投资数目 \u2265 {t:g}）"
                                                if lang == "zh" else
                                                f"threshold {t:g} (count \u2265 {t:g})"),
                     loc="left", fontsize=10)
        ax.set_xlabel("年份" if lang == "zh" else "year")
        ax.set_ylabel(("整体网络密度" if lang == "zh" else "whole-network density")
                      if column == "density" else column)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        years = part["year"].astype(int)
        if len(years) and years.max() - years.min() <= 30:
            step = max(1, (int(years.max()) - int(years.min())) // 6 or 1)
            ax.set_xticks(range(int(years.min()), int(years.max()) + 1, step))
    for ax in axes[len(thresholds):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig
