"""The output folder every step writes: one writer for any result.

:func:`write_result` turns a result (:mod:`pairnet.core.results`) into its step folder::

    DIR/results.json             every number it reports (``result.to_dict()``)
    DIR/tables/NAME.{csv,html,md,tex}
    DIR/figures/NAME.{png,svg}
    DIR/outputs.json             index: titles and notes of the tables and figures, in order

and returns a :class:`StepOutput` that the report renders in memory (it never reads the folder
back).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pairnet.core.errors import InputError
from pairnet.core.i18n import Lang, Text, render
from pairnet.core.results import Figure, Result, Table
from pairnet.core.tables import write_json

__all__ = ["StepOutput", "FigureFile", "write_result", "write_outputs", "read_outputs",
           "table_html", "check_out_dir", "ensure_out_dir", "check_outputs"]


def _is_yearlike(name: str, values: pd.Series) -> bool:
    """Years (and year-coded cohorts, 0 = never) are printed without thousands separators."""
    nz = values[values != 0]
    in_range = len(nz) > 0 and bool(((nz >= 1800) & (nz <= 2200)).all())
    return in_range or "year" in str(name).lower()


def _decimals(values: pd.Series) -> int:
    """Decimals for a float column, one fixed number per column so it lines up.

    About 3 significant digits for the largest value, at least 2 for the median, at most 6.
    """
    a = values.abs()
    a = a[a > 0]
    if a.empty:
        return 0
    import math

    d_max = 2 - math.floor(math.log10(float(a.max())))
    d_med = 1 - math.floor(math.log10(float(a.median())))
    return int(min(6, max(0, d_max, d_med)))


def _column_kind(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s):
        return "text"
    if pd.api.types.is_integer_dtype(s):
        return "int"
    if pd.api.types.is_float_dtype(s):
        return "float"
    return "text"


def _format_column(name: str, s: pd.Series, float_format: str | None) -> pd.Series:
    """Display strings for one column (CSV keeps the raw values)."""
    kind = _column_kind(s)
    if kind == "text":
        return s.map(lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v))
                     else str(v))
    finite = s.dropna().astype(float)
    finite = finite[~finite.isin([float("inf"), float("-inf")])]
    integral = kind == "int" or (len(finite) > 0 and bool((finite == finite.round()).all())
                                 and float(finite.abs().max()) < 1e15)
    if integral:
        fmt = "{:.0f}" if _is_yearlike(name, finite) else "{:,.0f}"
    elif float_format is not None:
        fmt = float_format
    else:
        fmt = "{:,.{}f}".replace("{}", str(_decimals(finite)))
    return s.map(lambda v: "" if pd.isna(v) else fmt.format(float(v)))


_NUMERIC_TEXT = re.compile(r"^[(\[]?[-\u2212]?[\d,]*\.?\d+(e[-+]?\d+)?\*{0,3}[)\]]?$")


def _numeric_text(col: pd.Series) -> bool:
    """A text column that only holds numbers (e.g. "1.23***", "(0.45)") aligns right.

    Columns of bare digit strings are identifiers (adcodes "440100") and stay left-aligned.
    """
    vals = [str(v).strip() for v in col if str(v).strip() != ""]
    return (bool(vals) and all(_NUMERIC_TEXT.match(v) for v in vals)
            and not all(v.isdigit() for v in vals))


def _fmt(df: pd.DataFrame, float_format: str | None) -> tuple[pd.DataFrame, list[str]]:
    """Formatted copy of ``df`` (all strings) and each column's alignment ("l" or "r")."""
    out = pd.DataFrame(index=df.index)
    align = []
    for i, c in enumerate(df.columns):
        col = df.iloc[:, i]
        out[c] = _format_column(str(c), col, float_format).astype(object)
        align.append("r" if _column_kind(col) != "text" or _numeric_text(out[c]) else "l")
    return out, align


def _html_table(shown: pd.DataFrame, align: list[str], index: bool) -> str:
    """An escaped HTML table; text columns left-aligned, numbers right-aligned."""
    from html import escape

    def cell(tag: str, v: Any, a: str) -> str:
        side = "left" if a == "l" else "right"
        text = str(v)
        # short cells never wrap (a wrapped "广州 746; 中山 715" is hard to read); long prose may
        wrap = "" if len(text) > 40 else ";white-space:nowrap"
        return f'<{tag} class="pn-{a}" style="text-align:{side}{wrap}">{escape(text)}</{tag}>'

    cols = ([cell("th", shown.index.name or "", "l")] if index else []) + [
        cell("th", c, a) for c, a in zip(shown.columns, align, strict=True)]
    rows = []
    for idx, rec in zip(shown.index, shown.itertuples(index=False), strict=True):
        cells = ([cell("th", idx, "l")] if index else []) + [
            cell("td", v, a) for v, a in zip(rec, align, strict=True)]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return ('<table class="pn-table">\n<thead><tr>' + "".join(cols) + "</tr></thead>\n<tbody>\n"
            + "\n".join(rows) + "\n</tbody>\n</table>\n")


@dataclass(frozen=True)
class FigureFile:
    """A figure as written: its title and note, and the PNG and SVG files."""

    name: str
    title: str
    note: str
    png: Path
    svg: Path
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepOutput:
    """What :func:`write_result` wrote, for the report: nothing is read back from disk.

    Attributes
    ----------
    folder : Path
        The step folder.
    title : str
        Its title.
    results : dict
        The JSON-ready content of ``results.json``.
    tables : dict
        ``{name: Table}`` as published (their HTML via :func:`table_html`).
    figures : dict
        ``{name: FigureFile}``.
    """

    folder: Path
    title: str
    results: Mapping[str, Any]
    tables: Mapping[str, Table] = field(default_factory=dict)
    figures: Mapping[str, FigureFile] = field(default_factory=dict)


def table_html(tab: Table) -> str:
    """An escaped HTML fragment of a table (text left-aligned, numbers right-aligned)."""
    shown, align = _fmt(tab.frame, tab.float_format)
    return _html_table(shown, align, tab.index)


def write_result(result: Result, out_dir: str | Path, *, title: str | None = None,
                 lang: Lang = "en") -> StepOutput:
    """Write any result's step folder: ``results.json``, its tables and its figures.

    Parameters
    ----------
    result : Result
        Anything following the protocol of :mod:`pairnet.core.results`.
    out_dir : path
        The step folder (created).
    title : str, optional
        Its title; default ``result.title``.
    lang : {"en", "zh"}
        Language of the titles, notes and figure labels.

    Returns
    -------
    StepOutput
        What was written, for the report.
    """
    from pairnet.core.tables import write_table

    out = write_outputs(out_dir, results=result.to_dict(), tables=result.tables(),
                        figures=result.figures(),
                        title=title if title is not None else getattr(result, "title", ""),
                        lang=lang)
    files = getattr(result, "data_files", None)
    for name, frame in (files() if files is not None else {}).items():
        write_table(frame, out.folder / name)
    return out


def write_outputs(
    out_dir: str | Path,
    *,
    results: Mapping[str, Any] | None = None,
    tables: Mapping[str, Table] | None = None,
    figures: Mapping[str, Figure] | None = None,
    title: str | Text = "",
    lang: Lang = "en",
) -> StepOutput:
    """Write results.json, tables (CSV, HTML, Markdown, LaTeX) and figures (PNG, SVG).

    HTML tables are escaped, so user strings in them are safe to inline. Prefer
    :func:`write_result`, which takes a result object.

    Returns
    -------
    StepOutput
        What was written.
    """
    import matplotlib.pyplot as plt

    from pairnet.core.tables import to_jsonable

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    title = render(title, lang)
    # titles and notes in the report's language; what is written is what the report shows
    tables = {k: dataclasses.replace(t, title=render(t.title, lang), note=render(t.note, lang))
              for k, t in (tables or {}).items()}
    index: dict[str, Any] = {"title": title, "lang": lang, "tables": [], "figures": []}
    jres = to_jsonable(results) if results is not None else {}
    if results is not None:
        write_json(jres, out / "results.json")
    for name, tab in tables.items():
        tdir = out / "tables"
        tdir.mkdir(exist_ok=True)
        df = tab.frame
        df.to_csv(tdir / f"{name}.csv", index=tab.index)
        shown, align = _fmt(df, tab.float_format)
        (tdir / f"{name}.html").write_text(_html_table(shown, align, tab.index),
                                           encoding="utf-8")
        (tdir / f"{name}.md").write_text(
            shown.to_markdown(index=tab.index, disable_numparse=True,
                              colalign=(["left"] if tab.index else [])
                              + ["left" if a == "l" else "right" for a in align]),
            encoding="utf-8")
        (tdir / f"{name}.tex").write_text(
            shown.to_latex(index=tab.index, escape=True,
                           column_format=("l" if tab.index else "") + "".join(align)),
            encoding="utf-8")
        index["tables"].append({"name": name, "title": tab.title, "note": tab.note})
    written: dict[str, FigureFile] = {}
    for name, fig in (figures or {}).items():
        fdir = out / "figures"
        fdir.mkdir(exist_ok=True)
        png, svg = fdir / f"{name}.png", fdir / f"{name}.svg"
        drawn = fig.figure(lang) if callable(fig.figure) else fig.figure
        drawn.savefig(png, dpi=130, bbox_inches="tight")
        drawn.savefig(svg, bbox_inches="tight")
        plt.close(drawn)
        ftitle, fnote = render(fig.title, lang), render(fig.note, lang)
        index["figures"].append({"name": name, "title": ftitle, "note": fnote,
                                 **dict(fig.extra)})
        written[name] = FigureFile(name, ftitle, fnote, png, svg, dict(fig.extra))
    write_json(index, out / "outputs.json")  # figure extras may hold numpy scalars
    return StepOutput(folder=out, title=title, results=jres, tables=tables, figures=written)


def read_outputs(out_dir: str | Path) -> dict[str, Any]:
    """Read ``outputs.json`` and ``results.json`` of a step folder (for the report)."""
    out = Path(out_dir)
    index = json.loads((out / "outputs.json").read_text(encoding="utf-8"))
    res = out / "results.json"
    index["results"] = json.loads(res.read_text(encoding="utf-8")) if res.exists() else {}
    index["dir"] = str(out)
    return index


def check_out_dir(path: str | Path, *, option: str = "`out`") -> Path:
    """Refuse an output folder path that names an existing *file* (creates nothing).

    Call it before any work, so a bad ``--out`` fails at once; :func:`ensure_out_dir` repeats
    it when the folder is made.

    Raises
    ------
    InputError
        ``path`` exists and is not a folder.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{path} is a file, but {option} must be a folder", file=option,
                         fix="give a folder name (it is created if missing)")
    return path

def ensure_out_dir(path: str | Path, *, option: str = "`out`") -> Path:
    """Create the output folder ``path``; an existing *file* there is an input error.

    Raises
    ------
    InputError
        ``path`` exists and is not a folder.
    """
    path = check_out_dir(path, option=option)
    path.mkdir(parents=True, exist_ok=True)
    return path

def check_outputs(inputs: Mapping[str, str | Path], outputs: Mapping[str, str | Path]) -> None:
    """Refuse outputs that would overwrite an input or each other.

    Parameters
    ----------
    inputs, outputs : mapping
        ``{option or role: path}``, e.g. ``{"REGISTRY": path}`` and ``{"`out`": p, "`audit`": a}``.

    Raises
    ------
    InputError
        Two outputs share a path, or an output is one of the inputs.
    """
    seen: dict[Path, str] = {Path(p).resolve(): k for k, p in inputs.items()}
    for opt, p in outputs.items():
        r = Path(p).resolve()
        if r in seen:
            raise InputError(f"{opt} {p} is the same file as {seen[r]}", file=opt,
                             fix="give each output its own path, different from the inputs")
        seen[r] = opt

