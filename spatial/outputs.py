"""The output folder every step writes, and the report reads.

A step (``pairnet did``, ``pairnet network``, ...) writes into its folder::

    DIR/results.json             every number it reports
    DIR/tables/NAME.{csv,html,md,tex}
    DIR/figures/NAME.{png,svg}
    DIR/outputs.json             index: titles and notes of the tables and figures, in order

It lives in the leftmost layer because every layer that writes results (network, panels,
analyses) uses it, and layers only import leftwards.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from spatial.tables import write_json

__all__ = ["Table", "Figure", "write_outputs", "read_outputs"]


@dataclass(frozen=True)
class Table:
    """A table to publish: the frame, a title, and an optional note under it."""

    frame: pd.DataFrame
    title: str
    note: str = ""
    index: bool = False
    float_format: str = "{:.4g}"


@dataclass(frozen=True)
class Figure:
    """A matplotlib figure to publish as PNG and SVG."""

    figure: Any
    title: str
    note: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


def _fmt(df: pd.DataFrame, float_format: str) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else float_format.format(v))
    return out


def write_outputs(
    out_dir: str | Path,
    *,
    results: Mapping[str, Any] | None = None,
    tables: Mapping[str, Table] | None = None,
    figures: Mapping[str, Figure] | None = None,
    title: str = "",
) -> Path:
    """Write results.json, tables (CSV, HTML, Markdown, LaTeX) and figures (PNG, SVG).

    HTML tables are escaped (pandas ``escape=True``), so user strings in them are safe to inline.

    Returns
    -------
    Path
        ``out_dir``.
    """
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    index: dict[str, Any] = {"title": title, "tables": [], "figures": []}
    if results is not None:
        write_json(results, out / "results.json")
    for name, tab in (tables or {}).items():
        tdir = out / "tables"
        tdir.mkdir(exist_ok=True)
        df = tab.frame
        df.to_csv(tdir / f"{name}.csv", index=tab.index)
        shown = _fmt(df, tab.float_format)
        (tdir / f"{name}.html").write_text(
            shown.to_html(index=tab.index, escape=True, border=0, classes="pn-table",
                          na_rep=""), encoding="utf-8")
        (tdir / f"{name}.md").write_text(shown.to_markdown(index=tab.index), encoding="utf-8")
        (tdir / f"{name}.tex").write_text(
            shown.to_latex(index=tab.index, escape=True), encoding="utf-8")
        index["tables"].append({"name": name, "title": tab.title, "note": tab.note})
    for name, fig in (figures or {}).items():
        fdir = out / "figures"
        fdir.mkdir(exist_ok=True)
        fig.figure.savefig(fdir / f"{name}.png", dpi=130, bbox_inches="tight")
        fig.figure.savefig(fdir / f"{name}.svg", bbox_inches="tight")
        plt.close(fig.figure)
        index["figures"].append({"name": name, "title": fig.title, "note": fig.note,
                                 **dict(fig.extra)})
    (out / "outputs.json").write_text(json.dumps(index, ensure_ascii=False, indent=2),
                                      encoding="utf-8")
    return out


def read_outputs(out_dir: str | Path) -> dict[str, Any]:
    """Read ``outputs.json`` and ``results.json`` of a step folder (for the report)."""
    out = Path(out_dir)
    index = json.loads((out / "outputs.json").read_text(encoding="utf-8"))
    res = out / "results.json"
    index["results"] = json.loads(res.read_text(encoding="utf-8")) if res.exists() else {}
    index["dir"] = str(out)
    return index
