"""The output folder every step writes: one writer for any result.

:func:`write_result` turns a result (:mod:`pairnet.core.results`) into its step folder::

    DIR/results.json             every number it reports (``result.to_dict()``)
    DIR/tables/NAME.{csv,html,md,tex,docx}
    DIR/figures/NAME.{png,svg}
    DIR/outputs.json             index: titles and notes of the tables and figures, in order

and returns a :class:`StepOutput` that the report renders in memory (it never reads the folder
back).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import json
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pairnet.core.errors import InputError
from pairnet.core.i18n import Lang, Text, label, render
from pairnet.core.placenames import has_han, place_in
from pairnet.core.results import Figure, Result, Table
from pairnet.core.tables import write_json

__all__ = ["StepOutput", "FigureFile", "write_result", "write_outputs", "read_outputs",
           "table_html", "table_note", "check_out_dir", "check_out_file", "ensure_out_dir",
           "check_outputs", "staged_folder", "safe_name", "Interrupted", "RUN_LOG",
           "FINISHED_MARKERS"]


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


def _format_column(name: str, s: pd.Series, float_format: str | None,
                   decimals: int | None = None, lang: Lang = "en") -> pd.Series:
    """Display strings for one column (CSV keeps the raw values).

    ``decimals`` fixes the decimals of a float column (its statistic's), with thousands
    separators; without it they follow the column's magnitude. Text cells
    (:class:`pairnet.core.i18n.Text`) are shown in ``lang``.
    """
    kind = _column_kind(s)
    if pd.api.types.is_bool_dtype(s):
        yes, no = ("是", "否") if lang == "zh" else ("yes", "no")
        return s.map(lambda v: yes if v else no)
    if kind == "text":
        place = lang == "en" and _is_place_column(name)
        return s.map(lambda v: "" if v is None or (not isinstance(v, (str, Text)) and pd.isna(v))
                     else _english_places(v) if place and isinstance(v, str) and has_han(v)
                     else render(v, lang))
    finite = s.dropna().astype(float)
    finite = finite[~finite.isin([float("inf"), float("-inf")])]
    integral = kind == "int" or (len(finite) > 0 and bool((finite == finite.round()).all())
                                 and float(finite.abs().max()) < 1e15)
    if decimals is None and kind == "float" and _is_p_value(name):
        decimals = 3  # one rule for p everywhere: 3 decimals, <0.001
    if decimals is not None and kind == "float":
        fmt = "{:,." + str(decimals) + "f}"
    elif integral:
        fmt = "{:.0f}" if _is_yearlike(name, finite) else "{:,.0f}"
    elif float_format is not None:
        fmt = float_format
    else:
        fmt = "{:,.{}f}".replace("{}", str(_decimals(finite)))
    if _is_p_value(name) and not integral:
        # a p-value that rounds to zero is shown as below the last decimal, never as 0
        floor = 10.0 ** -(decimals if decimals is not None else 3)
        return s.map(lambda v: "" if pd.isna(v) else
                     (f"<{floor:.{decimals if decimals is not None else 3}f}"
                      if 0 <= float(v) < floor / 2 else fmt.format(float(v))))
    return s.map(lambda v: "" if pd.isna(v) else fmt.format(float(v)))


def _is_place_column(name: str) -> bool:
    """Whether a column holds place names (``origin_name``, ``city_name``, ``max_city``).

    An English report shows their Chinese names in pinyin; the files keep the Chinese.
    """
    return str(name).endswith(("_name", "_city"))


def _english_places(value: str) -> str:
    """A place name, or a ``"; "``-separated list of them, in pinyin (广州市 -> Guangzhou)."""
    return "; ".join(place_in(part, "en") for part in str(value).split("; "))


def _is_p_value(name: str) -> bool:
    """``p``, ``p_value``, ``p_wild``, ``p_crv1``, ``Pr(>F)``-like column names."""
    n = str(name).lower()
    return n in ("p", "pr(>f)", "pr(>chisq)") or n.startswith(("p_", "p-", "pvalue"))


_NOT_A_NUMBER = {"", "n/a", "-", "\u2013", "\u2014"}
_NUMERIC_TEXT = re.compile(r"^[(\[]?[<>]?[-\u2212]?[\d,]*\.?\d+(e[-+]?\d+)?\*{0,3}[)\]]?$")


def _numeric_text(col: pd.Series) -> bool:
    """A text column that only holds numbers (e.g. "1.23***", "(0.45)") aligns right.

    Columns of bare digit strings are identifiers (adcodes "440100") and stay left-aligned;
    a missing value ("n/a", "–") counts as a blank.
    """
    vals = [str(v).strip() for v in col if str(v).strip() not in _NOT_A_NUMBER]
    return (bool(vals) and all(_NUMERIC_TEXT.match(v) for v in vals)
            and not all(v.isdigit() for v in vals))


def _fmt(df: pd.DataFrame, float_format: str | None,
         decimals: int | Mapping[str, int] | None = None, lang: Lang = "en"
         ) -> tuple[pd.DataFrame, list[str]]:
    """Formatted copy of ``df`` (all strings) and each column's alignment ("l" or "r")."""
    out = pd.DataFrame(index=df.index)
    align = []
    for i, c in enumerate(df.columns):
        col = df.iloc[:, i]
        d = decimals.get(str(c)) if isinstance(decimals, Mapping) else decimals
        out[c] = _format_column(str(c), col, float_format, d, lang).astype(object)
        align.append("r" if _column_kind(col) != "text" or _numeric_text(out[c]) else "l")
    return out, align


#: great_tables options of every HTML table (via maketables' ``gt_style``)
_GT_STYLE: dict[str, object] = {
    "table_font_size_all": "13px", "source_notes_font_size": "12px",
    "data_row_padding": "3px", "column_labels_padding": "4px",
    "table_background_color": "transparent", "column_labels_background_color": "transparent",
    "stub_background_color": "transparent", "table_body_hlines_style": "solid",
    "table_body_hlines_color": "#e3e3e3", "table_body_hlines_width": "1px",
}
_TEX_ESCAPE = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
               "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
               "^": r"\textasciicircum{}"}
_TEX_RE = re.compile("|".join(re.escape(k) for k in _TEX_ESCAPE))


def _tex(text: Any) -> Any:
    """LaTeX-escape a cell, label, caption or note (maketables writes them as they are)."""
    if not isinstance(text, str):
        return text
    return _TEX_RE.sub(lambda m: _TEX_ESCAPE[m.group(0)], text)


@dataclass(frozen=True)
class _Layout:
    """A table laid out for maketables: the MTable, each data column's alignment, the stub."""

    table: Any
    align: list[str]
    stub: str


def table_note(tab: Table, lang: Lang) -> str:
    """A table's note in ``lang``; a regression table's ends with the star legend."""
    from pairnet.core.modeltable import STAR_LEGEND, ModelTable

    note = render(tab.note, lang)
    if isinstance(tab, ModelTable) and STAR_LEGEND(lang) not in note:
        note = (note + " " if note else "") + STAR_LEGEND(lang)
    return note


def _layout(tab: Table, lang: Lang) -> _Layout:
    """The maketables table of ``tab`` in ``lang``.

    Regression tables are maketables' ETable (:class:`pairnet.core.modeltable.ModelTable`),
    every other table an MTable of the formatted cells whose first column (or index) is the
    row stub.
    """
    from maketables import MTable

    from pairnet.core.modeltable import ModelTable

    title, note = render(tab.title, lang), render(tab.note, lang)
    if isinstance(tab, ModelTable):
        et = tab.etable(lang)
        return _Layout(et, ["c"] * et.df.shape[1], "")
    shown, align = _fmt(tab.frame, tab.float_format, tab.decimals, lang)
    labels = [label(str(c), lang, dict(tab.labels)) for c in shown.columns]
    if len(set(labels)) == len(labels):
        shown.columns = labels
    if tab.index:
        stub = label(str(tab.frame.index.name or ""), lang, dict(tab.labels))
        shown.index = [render(v, lang) if isinstance(v, str) else str(v) for v in tab.frame.index]
    elif shown.shape[1] > 1:
        stub = str(shown.columns[0])
        shown = shown.set_index(shown.columns[0])
        align = align[1:]
    else:
        stub = ""
        shown.index = [""] * len(shown)
    shown.index.name = None
    return _Layout(MTable(shown, caption=title or None, notes=note), align, stub)


def _html_fragment(lay: _Layout, name: str, *, caption: bool = False,
                   notes: bool = False) -> str:
    """The table as an escaped HTML fragment (great_tables via maketables)."""
    from maketables.symbols import translate_symbols

    t = lay.table
    cap, nts = t.caption, t.notes
    try:
        if not caption:
            t.caption = None
        if not notes:
            t.notes = ""
        gt = t.make("gt", gt_style=_GT_STYLE)
    finally:
        t.caption, t.notes = cap, nts
    cols = [str(c) for c in gt._tbl_data.columns]
    stubcol, data = cols[0], cols[1:]
    gt = gt.with_id("pn-t-" + re.sub(r"[^A-Za-z0-9_-]", "-", name))
    gt = gt.cols_align("left", columns=[stubcol])
    for side, key in (("left", "l"), ("right", "r"), ("center", "c")):
        picked = [c for c, a in zip(data, lay.align, strict=False) if a == key]
        if picked:
            gt = gt.cols_align(side, columns=picked)
    if lay.stub:
        gt = gt.tab_stubhead(label=lay.stub)
    from great_tables import GT, loc, style

    for c, a in [(stubcol, "l"), *zip(data, lay.align, strict=False)]:
        if a != "l":
            continue
        where = loc.stub() if c == stubcol else loc.body(columns=[c])
        width = max((_text_width(str(v)) for v in gt._tbl_data[c]), default=0)
        if width <= _SHORT_TEXT:  # a short name (东莞市, medium) never breaks, in print neither
            gt = gt.tab_style(style.css("white-space: nowrap !important"), where)
        elif width > _LONG_TEXT:
            # a long text column is never squeezed to a word per line beside numbers that do
            # not wrap: room for its longest cell in about three lines (at most --pn-text-min)
            gt = gt.tab_style(style.css(f"min-width: min(var(--pn-text-min, 14em), "
                                        f"{math.ceil(width / 3)}ch)"), where)
    # maketables replaces the instance's as_raw_html by its first render; render anew
    html = translate_symbols(GT.as_raw_html(gt), "html")
    return f'<div class="pn-table">{_CELL.sub(_cell_breaks, html)}</div>\n'


#: a text column whose longest cell is wider (in ``ch``) gets a minimum width; one whose
#: longest cell is at most ``_SHORT_TEXT`` wide never wraps
_LONG_TEXT = 30
_SHORT_TEXT = 8


def _text_width(text: str) -> int:
    """Width of ``text`` in ``ch`` (digit widths): a CJK or full-width character counts 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
_CELL = re.compile(r"(<t[hd]\b[^>]*>)(.*?)(</t[hd]>)", re.S)
_TAG = re.compile(r"(<[^>]+>)")
#: the space between a word and the number it counts ("Guangzhou 746; ..."): never a break
_WORD_NUMBER = re.compile(r"(?<=[^\s;,]) (?=[-\u2212]?\d[\d,.]*(?:;|$))")


def _cell_breaks(m: re.Match[str]) -> str:
    """A header or cell that breaks at spaces and after ``_`` / ``::`` (``<wbr>``) only.

    Never inside a word, nor between a name and the number it counts (a no-break space).
    """
    text = "".join(p if p.startswith("<") else
                   _WORD_NUMBER.sub("\u00a0", p).replace("_", "_<wbr>").replace("::", "::<wbr>")
                   for p in _TAG.split(m.group(2)))
    return m.group(1) + text + m.group(3)


def _tex_table(lay: _Layout) -> str:
    """The table as LaTeX (booktabs, threeparttable, makecell, tabularx), note included."""
    t = lay.table
    saved = (t.df, t.caption, t.notes)
    df = t.df.copy()
    df = df.map(_tex)
    df.index = (pd.MultiIndex.from_tuples([tuple(_tex(x) for x in i) for i in df.index])
                if isinstance(df.index, pd.MultiIndex) else df.index.map(_tex))
    df.columns = (pd.MultiIndex.from_tuples([tuple(_tex(x) for x in c) for c in df.columns])
                  if isinstance(df.columns, pd.MultiIndex) else df.columns.map(_tex))
    try:
        t.df, t.caption, t.notes = df, _tex(t.caption), _tex(t.notes or "")
        spec = {"l": "l", "r": "r", "c": "c"}
        if set(lay.align) <= {"c"}:
            tex = t.make("tex")
        else:
            tex = t.make("tex", tex_style={"tab_width": None})
            plain = "@{}l" + "c" * df.shape[1]
            tex = tex.replace("{" + plain + "}",
                              "{@{}l" + "".join(spec[a] for a in lay.align) + "}", 1)
    finally:
        t.df, t.caption, t.notes = saved
    if lay.stub:
        tex = tex.replace("\\toprule\n & ", "\\toprule\n" + _tex(lay.stub) + " & ", 1)
    return tex


def _docx_table(lay: _Layout, path: Path) -> None:
    """The table as a Word document (python-docx via maketables), written reproducibly."""
    import io
    import zipfile

    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc = lay.table.make("docx")
    side = {"l": WD_ALIGN_PARAGRAPH.LEFT, "r": WD_ALIGN_PARAGRAPH.RIGHT,
            "c": WD_ALIGN_PARAGRAPH.CENTER}
    if doc.tables:
        table = doc.tables[-1]
        n_head = lay.table.df.columns.nlevels
        for i, row in enumerate(table.rows):
            cells = row.cells
            if i == 0 and lay.stub:
                cells[0].text = lay.stub
            if len(cells) != len(lay.align) + 1:
                continue  # the merged notes row
            for j, a in enumerate(lay.align):
                for par in cells[j + 1].paragraphs:
                    par.alignment = side[a] if i >= n_head or a != "c" else side["c"]
    stamp = _dt.datetime(2000, 1, 1, tzinfo=_dt.UTC)
    doc.core_properties.created = doc.core_properties.modified = stamp
    doc.core_properties.last_printed = stamp
    buf = io.BytesIO()
    doc.save(buf)
    # the same table gives the same bytes: fixed zip timestamps and member order
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            z = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            z.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(z, src.read(info.filename))
    path.write_bytes(out.getvalue())


def _markdown_table(lay: _Layout, title: str, note: str) -> str:
    """The table as Markdown (tabulate) with its caption above and its note below."""
    df = lay.table.df
    cols = [" ".join(str(x) for x in c if str(x)) if isinstance(c, tuple) else str(c)
            for c in df.columns]
    rows = [[str(i[-1] if isinstance(i, tuple) else i),
             *[str(v).replace("\n", " ") for v in r]]
            for i, r in zip(df.index, df.itertuples(index=False), strict=True)]
    body = pd.DataFrame(rows, columns=[lay.stub or " ", *cols])
    side = {"l": "left", "r": "right", "c": "center"}
    md = body.to_markdown(index=False, disable_numparse=True,
                          colalign=["left", *[side[a] for a in lay.align]])
    return (f"**{title}**\n\n" if title else "") + md + (f"\n\n{note}\n" if note else "\n")


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
    #: ``{name: HTML fragment}`` of each table as written (rendered once, in ``lang``)
    html: Mapping[str, str] = field(default_factory=dict)
    lang: Lang = "en"


def _standalone_html(title: str, note: str, fragment: str, lang: Lang) -> str:
    """``tables/NAME.html``: the table with its caption and note, a page of its own."""
    from html import escape

    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>'
            f'<meta charset="utf-8"><title>{escape(title)}</title></head>\n<body>\n'
            f"<h3>{escape(title)}</h3>\n{fragment}"
            + (f'<p class="pn-note">{escape(note)}</p>\n' if note else "")
            + "</body>\n</html>\n")


def table_html(tab: Table, lang: Lang = "en", *, name: str = "table") -> str:
    """An escaped HTML fragment of a table (maketables / great_tables).

    Without its caption and note: the report shows them around it.
    """
    return _html_fragment(_layout(tab, lang), name)


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
    files = getattr(result, "data_files", None)
    return write_outputs(out_dir, results=result.to_dict(), tables=result.tables(),
                         figures=result.figures(),
                         title=title if title is not None else getattr(result, "title", ""),
                         lang=lang, files=files() if files is not None else None)


def write_outputs(
    out_dir: str | Path,
    *,
    results: Mapping[str, Any] | None = None,
    tables: Mapping[str, Table] | None = None,
    figures: Mapping[str, Figure] | None = None,
    title: str | Text = "",
    lang: Lang = "en",
    files: Mapping[str, pd.DataFrame] | None = None,
) -> StepOutput:
    """Write results.json, tables (CSV, HTML, Markdown, LaTeX, Word) and figures (PNG, SVG).

    Tables are laid out by maketables (regression tables as its ``ETable``, the others as
    ``MTable``) in ``lang``; the CSV keeps the raw values and column names.

    HTML tables are escaped, so user strings in them are safe to inline. Prefer
    :func:`write_result`, which takes a result object. Everything is written into a temporary
    folder beside ``out_dir`` that replaces the old contents only when all is written
    (:func:`staged_folder`): an error or Ctrl-C half-way leaves the previous folder as it was.
    Figures are byte-identical from run to run (no dates, fixed SVG ids).

    Returns
    -------
    StepOutput
        What was written (paths in ``out_dir``).

    Raises
    ------
    InputError
        ``out_dir`` names a file, lies under a file or cannot be written; a table, figure or
        data-file name that is not a plain file name (``../x``, ``a/b``, absolute).
    """
    import matplotlib.pyplot as plt

    from pairnet.core.tables import to_jsonable, write_table

    final = Path(out_dir)
    title = render(title, lang)
    for kind, names in (("table", tables or {}), ("figure", figures or {}),
                        ("data file", files or {})):
        for name in names:
            safe_name(name, what=kind)
    # titles and notes in the report's language; what is written is what the report shows
    tables = {k: dataclasses.replace(t, title=render(t.title, lang), note=table_note(t, lang))
              for k, t in (tables or {}).items()}
    index: dict[str, Any] = {"title": title, "lang": lang, "tables": [], "figures": []}
    jres = to_jsonable(results) if results is not None else {}
    written: dict[str, FigureFile] = {}
    fragments: dict[str, str] = {}
    with staged_folder(final) as out:
        for name, tab in tables.items():
            tdir = out / "tables"
            tdir.mkdir(exist_ok=True)
            tab.frame.to_csv(tdir / f"{name}.csv", index=tab.index)
            lay = _layout(tab, lang)
            fragments[name] = _html_fragment(lay, name)
            tt, tn = render(tab.title, lang), render(tab.note, lang)
            (tdir / f"{name}.html").write_text(_standalone_html(tt, tn, fragments[name], lang),
                                               encoding="utf-8")
            (tdir / f"{name}.md").write_text(_markdown_table(lay, tt, tn), encoding="utf-8")
            (tdir / f"{name}.tex").write_text(_tex_table(lay), encoding="utf-8")
            _docx_table(lay, tdir / f"{name}.docx")
            index["tables"].append({"name": name, "title": tab.title, "note": tab.note})
        with plt.rc_context(_cjk_rc()):  # type: ignore[arg-type]  # CJK font for Chinese labels
            written = _write_figures(out, final, figures or {}, lang, index)
        for name, frame in (files or {}).items():
            write_table(frame, out / name)
        write_json(index, out / "outputs.json")  # figure extras may hold numpy scalars
        if results is not None:
            write_json(jres, out / "results.json")
    return StepOutput(folder=final, title=title, results=jres, tables=tables, figures=written,
                      html=fragments, lang=lang)


def _cjk_rc() -> dict[str, Any]:
    """Matplotlib settings that fall back to an installed CJK font (none: unchanged)."""
    from matplotlib import font_manager, rcParams

    have = {f.name for f in font_manager.fontManager.ttflist}
    cjk = next((f for f in _CJK_FONTS if f in have), None)
    if cjk is None:
        return {}
    fam = list(rcParams["font.family"])
    if fam == ["sans-serif"]:
        fam = [*rcParams["font.sans-serif"][:1]]
    return {"font.family": [*fam, cjk] if cjk not in fam else fam}


#: fonts with Chinese glyphs, in order of preference
_CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "Droid Sans Fallback",
              "Microsoft YaHei", "SimHei", "PingFang SC")


def _write_figures(out: Path, final: Path, figures: Mapping[str, Figure], lang: Lang,
                   index: dict[str, Any]) -> dict[str, FigureFile]:
    """Draw (in ``lang``) and save every figure as PNG and SVG into ``out``.

    The returned paths are in ``final`` (the folder ``out`` becomes). Reruns are
    byte-identical: no creation date, SVG element ids from a fixed salt.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    written: dict[str, FigureFile] = {}
    for name, fig in figures.items():
        fdir = out / "figures"
        fdir.mkdir(exist_ok=True)
        png, svg = fdir / f"{name}.png", fdir / f"{name}.svg"
        drawn = fig.figure(lang) if callable(fig.figure) else fig.figure
        with matplotlib.rc_context({"svg.hashsalt": f"pairnet-{name}"}):
            drawn.savefig(png, dpi=130, bbox_inches="tight")
            drawn.savefig(svg, bbox_inches="tight", metadata={"Date": None})
        plt.close(drawn)
        ftitle, fnote = render(fig.title, lang), render(fig.note, lang)
        index["figures"].append({"name": name, "title": ftitle, "note": fnote,
                                 **dict(fig.extra)})
        written[name] = FigureFile(name, ftitle, fnote, final / "figures" / png.name,
                                   final / "figures" / svg.name, dict(fig.extra))
    return written


#: Files that make a folder look like a finished run: removed first and written last on a swap.
FINISHED_MARKERS = ("report.html", "results.json", "outputs.json")
#: The run log (wall-clock timings, what the run wrote): the one file that differs between reruns.
RUN_LOG = "run-log.json"
_TMP_TAG = ".pairnet-tmp-"


def safe_name(name: str, *, what: str = "output") -> str:
    """Check that ``name`` is a plain file or folder name, so it cannot write outside its folder.

    Raises
    ------
    InputError
        Empty, ``.``/``..``, absolute, or holding a path separator or a NUL character.
    """
    text = str(name)
    if (not text or text in (".", "..") or "/" in text or "\\" in text or "\0" in text
            or Path(text).is_absolute() or text.startswith(_TMP_TAG)):
        raise InputError(
            f"{what} name {text!r} is not a plain file name (it could write outside the output "
            "folder)", file=what,
            fix="use letters, digits, '_', '-' and '.' only (no '/', '\\' or '..'), e.g. "
                "rename the column it comes from")
    return text


def _pid_alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    import shutil

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or a kill) during a staged write: what was kept is in the message."""


@contextlib.contextmanager
def staged_folder(path: str | Path, *, option: str = "`out`") -> Iterator[Path]:
    """Write a folder's contents into a temporary folder beside it; swap them in on success.

    The block writes into the yielded folder (``.NAME.pairnet-tmp-PID`` next to ``path``, on
    the same file system). When it succeeds, each entry it wrote replaces the entry of the same
    name in ``path`` (other files there are left alone; entries an earlier run listed in its
    :data:`RUN_LOG` but this run did not write are removed): first the old
    :data:`FINISHED_MARKERS` go, then the folders move in, the markers and the run log last. A
    new or empty ``path`` is a single rename. When the block fails or is interrupted
    (an exception, Ctrl-C), the temporary folder is removed and ``path`` is left exactly as
    it was — an old complete-looking report never sits next to half-rewritten step folders.

    Raises
    ------
    InputError
        ``path`` names a file, lies under a file or cannot be written.
    Interrupted
        Ctrl-C during the block (a :class:`KeyboardInterrupt` saying what was kept).
    """
    import json
    import os
    import tempfile

    final = check_out_dir(path, option=option)
    parent = final.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    for old in parent.glob(f".{final.name}{_TMP_TAG}*"):  # left by a run that was killed
        pid = old.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or not _pid_alive(int(pid)):
            _remove(old)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}{_TMP_TAG}", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; the output folder is not
    staged = tmp.with_name(f".{final.name}{_TMP_TAG}{os.getpid()}")
    if staged.exists():
        _remove(staged)
    tmp.rename(staged)
    try:
        yield staged
    except KeyboardInterrupt:
        _remove(staged)
        kept = (f"{final} was left as it was" if final.exists() else f"{final} was not created")
        raise Interrupted(f"interrupted: nothing was written; {kept}") from None
    except BaseException:
        _remove(staged)
        raise
    try:
        if not final.exists() or (final.is_dir() and not any(final.iterdir())):
            if final.exists():
                final.rmdir()
            staged.rename(final)
            return
        new = sorted(p.name for p in staged.iterdir())
        stale: list[str] = []
        log = final / RUN_LOG
        if log.is_file():
            try:
                stale = [str(e) for e in json.loads(log.read_text(encoding="utf-8"))
                         .get("entries", []) if isinstance(e, str)]
            except (ValueError, AttributeError):
                stale = []
        markers = [m for m in FINISHED_MARKERS if (final / m).exists()]
        for name in markers + [RUN_LOG]:
            _remove(final / name)
        for name in stale:
            if name not in new and safe_name_ok(name):
                _remove(final / name)
        last = [*FINISHED_MARKERS, RUN_LOG]
        for name in sorted(new, key=lambda n: (n in last, last.index(n) if n in last else 0)):
            _remove(final / name)
            (staged / name).rename(final / name)
    finally:
        if staged.exists():
            _remove(staged)


def safe_name_ok(name: str) -> bool:
    """Whether :func:`safe_name` accepts ``name``."""
    try:
        safe_name(name)
    except InputError:
        return False
    return True


def read_outputs(out_dir: str | Path) -> dict[str, Any]:
    """Read ``outputs.json`` and ``results.json`` of a step folder (for the report)."""
    out = Path(out_dir)
    index = json.loads((out / "outputs.json").read_text(encoding="utf-8"))
    res = out / "results.json"
    index["results"] = json.loads(res.read_text(encoding="utf-8")) if res.exists() else {}
    index["dir"] = str(out)
    return index


def _nearest_existing(path: Path) -> Path:
    p = path.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _check_writable(path: Path, option: str, what: str) -> None:
    """Refuse a path under a file, or whose nearest existing folder cannot be written.

    Writability is probed by creating (and removing) a temporary folder there, so a
    read-only file system is caught even for root.
    """
    import os
    import tempfile

    # the staged folder / temporary file goes beside the output, so its parent must be writable
    base = _nearest_existing(path.absolute().parent)
    if not base.is_dir():
        raise InputError(f"{path} lies under {base}, which is a file, not a folder",
                         file=option, fix=f"give a {what} path whose parent folders are folders")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".pairnet-probe-", dir=base))
    except OSError as exc:
        raise InputError(f"cannot write in {base} ({exc.strerror or exc})", file=option,
                         fix=f"give a {what} path in a folder you can write to") from None


def check_out_dir(path: str | Path, *, option: str = "`out`") -> Path:
    """Refuse an output folder path that cannot be one (creates nothing that stays).

    Call it before any work, so a bad ``--out`` fails at once; :func:`staged_folder` repeats
    it when the folder is written.

    Raises
    ------
    InputError
        ``path`` exists and is not a folder, lies under a file, or its nearest existing folder
        cannot be written.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{path} is a file, but {option} must be a folder", file=option,
                         fix="give a folder name (it is created if missing)")
    _check_writable(path, option, "folder")
    return path


def check_out_file(path: str | Path, *, option: str = "`out`") -> Path:
    """Refuse an output file path that cannot be one (creates nothing that stays).

    A folder, a path under a file, or a place that cannot be written is refused.

    Raises
    ------
    InputError
        As :func:`check_out_dir`, for a file.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path} is a folder, but {option} must be a file", file=option,
                         fix="give a file name, e.g. DIR/out.csv")
    _check_writable(path, option, "file")
    return path


def ensure_out_dir(path: str | Path, *, option: str = "`out`") -> Path:
    """Create the output folder ``path``; an existing *file* there is an input error.

    Raises
    ------
    InputError
        As :func:`check_out_dir`.
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

