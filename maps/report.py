"""One self-contained, offline HTML report (Jinja2, autoescaped).

The report takes what each step wrote (:class:`pairnet.core.outputs.StepOutput`, returned by
:func:`pairnet.core.outputs.write_result`) in memory: its tables are rendered as escaped HTML
fragments, its figures (``NAME.svg`` or ``.png``) inlined as data URIs, its results merged into
``results.json``; no step folder is read back.
Maps are folium maps rendered without any CDN asset: Leaflet's JS and CSS (from the npm install,
:mod:`pairnet.maps.assets`) are inlined once in ``<head>``, then each map's ``<div>`` and script.

Every user string reaching the template is escaped by Jinja's autoescape; the fragments marked
safe are produced by pairnet itself (escaped tables, escaped map tooltips, Leaflet).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import folium
from markupsafe import Markup

from pairnet.core.i18n import Lang, Text, render
from pairnet.core.outputs import StepOutput, table_html, table_note, write_result
from pairnet.core.results import Result
from pairnet.core.tables import write_json
from pairnet.maps.assets import leaflet_css, leaflet_js, leaflet_version

__all__ = [
    "MapFigure",
    "Section",
    "Study",
    "MapParts",
    "map_parts",
    "section_from_output",
    "not_run",
    "render_report",
    "write_report",
    "write_study_report",
    "merge_results",
    "external_references",
    "DEMO_BANNER",
]

Status = Literal["ok", "not run", "failed"]
TEMPLATES = Path(__file__).parent / "templates"
#: Figures bigger than this as SVG are inlined as PNG instead (keeps the report small).
MAX_SVG_BYTES = 1_500_000


@dataclass
class MapFigure:
    """A folium map to show in a section, with a caption (str or :class:`Text`)."""

    title: str | Text
    map: folium.Map
    note: str | Text = ""


@dataclass
class Section:
    """One block of a study: a step's tables/figures (from its folder) and maps."""

    key: str
    title: str | Text
    status: Status = "ok"
    output: StepOutput | None = None
    maps: list[MapFigure] = field(default_factory=list)
    note: str | Text = ""
    method: str | Text = ""


@dataclass
class Study:
    """One study: a title and its sections in order."""

    key: str
    title: str | Text
    sections: list[Section] = field(default_factory=list)
    description: str | Text = ""


@dataclass(frozen=True)
class MapParts:
    """A map rendered for inlining: its element id, ``<div>`` and script."""

    name: str
    html: str
    script: str


def _strip_assets(element: Any) -> None:
    """Drop folium's CDN links (per instance) from an element and all its children."""
    if hasattr(element, "default_js"):
        element.default_js = []
    if hasattr(element, "default_css"):
        element.default_css = []
    for child in getattr(element, "_children", {}).values():
        _strip_assets(child)


_EXTERNAL = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//",
                       re.IGNORECASE)


def external_references(text: str) -> list[str]:
    """Tags loading anything over the network (``<script src=http...>``, ``<link href=//...>``)."""
    return [m.group(0) for m in _EXTERNAL.finditer(text)]


def map_parts(m: folium.Map) -> MapParts:
    """Render a folium map without CDN assets: its ``<div>`` and its script.

    The map's own header styles (e.g. folium's tooltip table style) are kept inside the
    ``<div>`` markup as ``<style>`` elements; folium's page-level styles (``html, body``) and
    the viewport ``<meta>`` are dropped.

    Raises
    ------
    RuntimeError
        If a plugin still references a network asset (a bug: it must be inlined instead).
    """
    _strip_assets(m)
    fig: Any = m.get_root()  # a branca Figure (typed as Element)
    fig.render()
    styles = []
    for name, child in fig.header._children.items():
        if name == "meta_http" or name == m.get_name():
            continue
        styles.append(child.render())
    html = "".join(styles) + fig.html.render()
    script = fig.script.render().replace("</script", "<\\/script")
    ext = external_references(html + script)
    if ext:
        raise RuntimeError(f"map {m.get_name()} still references network assets: {ext}")
    return MapParts(m.get_name(), html, script)


def not_run(key: str, title: str | Text, why: str | Text) -> Section:
    """A section for a step that did not run, with the reason shown in the report."""
    return Section(key=key, title=title, status="not run", note=why)


def _figure_src(svg: Path, png: Path) -> str | None:
    if svg.is_file() and (svg.stat().st_size <= MAX_SVG_BYTES or not png.is_file()):
        return "data:image/svg+xml;base64," + base64.b64encode(svg.read_bytes()).decode("ascii")
    if png.is_file():
        return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")
    return None


def section_from_output(output: StepOutput, key: str, title: str | Text | None = None, *,
                        maps: Sequence[MapFigure] = (), method: str | Text = "",
                        note: str | Text = "") -> Section:
    """A section showing what :func:`pairnet.core.outputs.write_result` wrote, and maps."""
    return Section(key=key, title=title or output.title or key, output=output,
                   maps=list(maps), method=method, note=note)


def _section_context(s: Section, lang: Lang) -> dict[str, Any]:
    tables, figures = [], []
    if s.output is not None:
        for name, tab in s.output.tables.items():
            # the writer's fragment escapes every cell: a safe fragment
            html = s.output.html.get(name)
            if html is None or s.output.lang != lang:
                html = table_html(tab, lang, name=name)
            tables.append({"title": render(tab.title, lang) or name,
                           "note": table_note(tab, lang), "html": Markup(html)})
        for name, fig in s.output.figures.items():
            src = _figure_src(fig.svg, fig.png)
            if src:
                figures.append({"title": fig.title or name, "note": fig.note, "src": src})
    maps = []
    for mf in s.maps:
        parts = map_parts(mf.map)
        maps.append({"title": render(mf.title, lang), "note": render(mf.note, lang),
                     "html": Markup(parts.html), "script": Markup(parts.script)})
    return {"key": _slug(s.key), "title": render(s.title, lang), "status": s.status,
            "status_text": _UI[s.status](lang), "note": render(s.note, lang),
            "method": render(s.method, lang), "tables": tables, "figures": figures,
            "maps": maps}


#: The report's own words, in both languages.
_UI: dict[str, Text] = {
    "ok": Text("ok", "完成"),
    "not run": Text("not run", "未运行"),
    "failed": Text("failed", "失败"),
    "not_run_prefix": Text("Not run:", "未运行："),
    "failed_prefix": Text("Failed:", "失败："),
    "contents": Text("Contents", "目录"),
    "method": Text("Method.", "方法。"),
    "maps": Text("maps: Leaflet {v} (inlined; no network needed)",
                 "地图：Leaflet {v}（已内嵌，无需联网）"),
    "footer": Text("Every number shown is also in results.json next to this file; each step's "
                   "tables are in its folder as CSV, HTML, Markdown, LaTeX and Word.",
                   "报告中的每个数字也保存在同一文件夹的 results.json 中；各步骤的表格以 CSV、HTML、"
                   "Markdown、LaTeX 和 Word 格式保存在其文件夹中。"),
    "wide": Text("wider than the page: scroll sideways →", "表格较宽：可左右滑动 →"),
    "demo": Text("Demo data.", "演示数据。"),
    "synthetic": Text("Synthetic data.", "合成数据。"),
}
#: The banner of a demo report when the caller does not say what is synthetic.
DEMO_BANNER = Text(
    "The numbers in this report come from pairnet's seeded synthetic generators on real "
    "geography. They illustrate the methods and are not findings.",
    "本报告中的数字来自 pairnet 的带种子合成数据生成器（基于真实地理边界），仅用于演示方法，"
    "不构成研究结论。")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", str(text)).strip("-") or "x"


def render_report(studies: Sequence[Study], *, title: str | Text = "pairnet report",
                  demo: bool = False, banner: str | Text = "", lang: Lang = "en") -> str:
    """The report HTML as a string.

    Parameters
    ----------
    studies : sequence of Study
    title : str or Text
    demo : bool
        Show the generic demo banner (:data:`DEMO_BANNER`) when no ``banner`` is given.
    banner : str or Text
        What in this report is synthetic (shown at the top); empty = no banner unless ``demo``.
    lang : {"en", "zh"}
        Language of every heading, caption, note and of the report's own words.
    """
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as _dist_version

    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from pairnet.core.options import check_literal

    check_literal(lang, Lang, "lang")
    try:  # the distribution's version: maps must not import the pairnet front door
        version = _dist_version("pairnet")
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        version = "unknown"

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(["html", "j2", "html.j2"],
                                                   default_for_string=True, default=True))
    text = render(banner, lang) or (DEMO_BANNER(lang) if demo else "")
    ui = {k: v(lang) for k, v in _UI.items()}
    ui["maps"] = ui["maps"].format(v=leaflet_version())
    leaflet_words = ({"zoom_in": "放大", "zoom_out": "缩小", "layers": "图层"} if lang == "zh" else
                     {"zoom_in": "Zoom in", "zoom_out": "Zoom out", "layers": "Layers"})
    ctx = {
        "title": render(title, lang),
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "ui": ui,
        "leaflet_words": leaflet_words,
        "banner": text,
        "banner_head": ui["demo"] if demo else ui["synthetic"],
        "version": version,
        "leaflet_js": Markup(leaflet_js()),
        "leaflet_css": Markup(leaflet_css()),
        "studies": [{"key": _slug(st.key), "title": render(st.title, lang),
                     "description": render(st.description, lang),
                     "sections": [_section_context(s, lang) for s in st.sections]}
                    for st in studies],
    }
    text = env.get_template("report.html.j2").render(**ctx)
    ext = external_references(text)
    if ext:  # pragma: no cover - guarded per map already
        raise RuntimeError(f"the report references network assets: {ext[:3]}")
    return text


def merge_results(studies: Iterable[Study], extra: Mapping[str, Any] | None = None
                  ) -> dict[str, Any]:
    """Every step's results merged: ``{study: {section: results}}`` + step status."""
    merged: dict[str, Any] = dict(extra or {})
    for st in studies:
        block: dict[str, Any] = {}
        for s in st.sections:
            entry: dict[str, Any] = {"title": render(s.title), "status": s.status}
            if s.note:
                entry["note"] = render(s.note)
            if s.output is not None:
                entry["results"] = dict(s.output.results)
            block[s.key] = entry
        merged[st.key] = block
    return merged


def write_study_report(studies: Sequence[Study], out_dir: str | Path, *,
                       title: str | Text = "pairnet report", demo: bool = False,
                       banner: str | Text = "", lang: Lang = "en",
                       extra_results: Mapping[str, Any] | None = None) -> Path:
    """Write ``DIR/report.html`` and ``DIR/results.json`` (every step's results merged).

    ``demo``, ``banner`` and ``lang`` as for :func:`render_report`.

    Returns
    -------
    Path
        The report file.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    text = render_report(studies, title=title, demo=demo, banner=banner, lang=lang)
    path = out / "report.html"
    path.write_text(text, encoding="utf-8")
    write_json(merge_results(studies, extra_results), out / "results.json")
    return path


def write_report(results: Mapping[str, Result], out_dir: str | Path, *,
                 title: str | Text = "pairnet report", synthetic: str | Text = "",
                 maps: Mapping[str, Sequence[MapFigure]] | None = None,
                 lang: Lang = "en") -> Path:
    """Write a report from result objects: each into ``DIR/<key>/``, then ``report.html``.

    Parameters
    ----------
    results : mapping
        ``{key: result}`` in report order (any object following the result protocol).
    out_dir : path
        The report folder.
    title : str or Text
        Report title.
    synthetic : str or Text
        If given, the banner text saying what in this report is synthetic.
    maps : mapping, optional
        ``{key: [MapFigure, ...]}`` shown in that result's section.
    lang : {"en", "zh"}
        Language of the report.

    Returns
    -------
    Path
        ``out_dir/report.html``.
    """
    out = Path(out_dir)
    sections = []
    for key, res in results.items():
        written = write_result(res, out / key, lang=lang)
        sections.append(section_from_output(written, key, maps=(maps or {}).get(key, ())))
    return write_study_report([Study("results", title, sections)], out, title=title,
                              banner=synthetic, lang=lang)
