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

import contextlib
import dataclasses
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pairnet.core.errors import InputError
from pairnet.core.i18n import Lang, Text, render
from pairnet.core.results import Figure, Result, Table
from pairnet.core.tables import write_json

__all__ = ["StepOutput", "FigureFile", "write_result", "write_outputs", "read_outputs",
           "table_html", "check_out_dir", "check_out_file", "ensure_out_dir", "check_outputs",
           "staged_folder", "safe_name", "Interrupted", "RUN_LOG", "FINISHED_MARKERS"]


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
    """Write results.json, tables (CSV, HTML, Markdown, LaTeX) and figures (PNG, SVG).

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
    import matplotlib
    import matplotlib.pyplot as plt

    from pairnet.core.tables import to_jsonable, write_table

    final = Path(out_dir)
    title = render(title, lang)
    for kind, names in (("table", tables or {}), ("figure", figures or {}),
                        ("data file", files or {})):
        for name in names:
            safe_name(name, what=kind)
    # titles and notes in the report's language; what is written is what the report shows
    tables = {k: dataclasses.replace(t, title=render(t.title, lang), note=render(t.note, lang))
              for k, t in (tables or {}).items()}
    index: dict[str, Any] = {"title": title, "lang": lang, "tables": [], "figures": []}
    jres = to_jsonable(results) if results is not None else {}
    written: dict[str, FigureFile] = {}
    with staged_folder(final) as out:
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
        for name, fig in (figures or {}).items():
            fdir = out / "figures"
            fdir.mkdir(exist_ok=True)
            drawn = fig.figure(lang) if callable(fig.figure) else fig.figure
            # reruns byte-identical: no creation date, SVG element ids from a fixed salt
            with matplotlib.rc_context({"svg.hashsalt": f"pairnet-{name}"}):
                drawn.savefig(fdir / f"{name}.png", dpi=130, bbox_inches="tight")
                drawn.savefig(fdir / f"{name}.svg", bbox_inches="tight",
                              metadata={"Date": None})
            plt.close(drawn)
            ftitle, fnote = render(fig.title, lang), render(fig.note, lang)
            index["figures"].append({"name": name, "title": ftitle, "note": fnote,
                                     **dict(fig.extra)})
            written[name] = FigureFile(name, ftitle, fnote, final / "figures" / f"{name}.png",
                                       final / "figures" / f"{name}.svg", dict(fig.extra))
        for name, frame in (files or {}).items():
            write_table(frame, out / name)
        write_json(index, out / "outputs.json")  # figure extras may hold numpy scalars
        if results is not None:
            write_json(jres, out / "results.json")
    return StepOutput(folder=final, title=title, results=jres, tables=tables, figures=written)


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

