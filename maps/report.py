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
import datetime as _dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import folium
from markupsafe import Markup

from pairnet.core.outputs import StepOutput, table_html, write_result
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
]

Status = Literal["ok", "not run", "failed"]
TEMPLATES = Path(__file__).parent / "templates"
#: Figures bigger than this as SVG are inlined as PNG instead (keeps the report small).
MAX_SVG_BYTES = 1_500_000


@dataclass
class MapFigure:
    """A folium map to show in a section, with a caption."""

    title: str
    map: folium.Map
    note: str = ""


@dataclass
class Section:
    """One block of a study: a step's tables/figures (from its folder) and maps."""

    key: str
    title: str
    status: Status = "ok"
    output: StepOutput | None = None
    maps: list[MapFigure] = field(default_factory=list)
    note: str = ""
    method: str = ""


@dataclass
class Study:
    """One study: a title and its sections in order."""

    key: str
    title: str
    sections: list[Section] = field(default_factory=list)
    description: str = ""


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


def not_run(key: str, title: str, why: str) -> Section:
    """A section for a step that did not run, with the reason shown in the report."""
    return Section(key=key, title=title, status="not run", note=why)


def _figure_src(svg: Path, png: Path) -> str | None:
    if svg.is_file() and (svg.stat().st_size <= MAX_SVG_BYTES or not png.is_file()):
        return "data:image/svg+xml;base64," + base64.b64encode(svg.read_bytes()).decode("ascii")
    if png.is_file():
        return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")
    return None


def section_from_output(output: StepOutput, key: str, title: str | None = None, *,
                        maps: Sequence[MapFigure] = (), method: str = "", note: str = ""
                        ) -> Section:
    """A section showing what :func:`pairnet.core.outputs.write_result` wrote, and maps."""
    return Section(key=key, title=title or output.title or key, output=output,
                   maps=list(maps), method=method, note=note)


def _section_context(s: Section) -> dict[str, Any]:
    tables, figures = [], []
    if s.output is not None:
        for name, tab in s.output.tables.items():
            # table_html escapes every cell: a safe fragment
            tables.append({"title": tab.title or name, "note": tab.note,
                           "html": Markup(table_html(tab))})
        for name, fig in s.output.figures.items():
            src = _figure_src(fig.svg, fig.png)
            if src:
                figures.append({"title": fig.title or name, "note": fig.note, "src": src})
    maps = []
    for mf in s.maps:
        parts = map_parts(mf.map)
        maps.append({"title": mf.title, "note": mf.note, "html": Markup(parts.html),
                     "script": Markup(parts.script)})
    return {"key": _slug(s.key), "title": s.title, "status": s.status, "note": s.note,
            "method": s.method, "tables": tables, "figures": figures, "maps": maps}


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", str(text)).strip("-") or "x"


def render_report(studies: Sequence[Study], *, title: str = "pairnet report",
                  demo: bool = False) -> str:
    """The report HTML as a string."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as _dist_version

    from jinja2 import Environment, FileSystemLoader, select_autoescape

    try:  # the distribution's version: maps must not import the pairnet front door
        version = _dist_version("pairnet")
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        version = "unknown"

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(["html", "j2", "html.j2"],
                                                   default_for_string=True, default=True))
    ctx = {
        "title": title,
        "demo": demo,
        "version": version,
        "generated": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "leaflet_version": leaflet_version(),
        "leaflet_js": Markup(leaflet_js()),
        "leaflet_css": Markup(leaflet_css()),
        "studies": [{"key": _slug(st.key), "title": st.title, "description": st.description,
                     "sections": [_section_context(s) for s in st.sections]} for st in studies],
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
            entry: dict[str, Any] = {"title": s.title, "status": s.status}
            if s.note:
                entry["note"] = s.note
            if s.output is not None:
                entry["results"] = dict(s.output.results)
            block[s.key] = entry
        merged[st.key] = block
    return merged


def write_study_report(studies: Sequence[Study], out_dir: str | Path, *,
                 title: str = "pairnet report", demo: bool = False,
                 extra_results: Mapping[str, Any] | None = None) -> Path:
    """Write ``DIR/report.html`` and ``DIR/results.json`` (every step's results merged).

    Returns
    -------
    Path
        The report file.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    text = render_report(studies, title=title, demo=demo)
    path = out / "report.html"
    path.write_text(text, encoding="utf-8")
    write_json(merge_results(studies, extra_results), out / "results.json")
    return path


def write_report(results: Mapping[str, Result], out_dir: str | Path, *,
                        title: str = "pairnet report", synthetic: str = "",
                        maps: Mapping[str, Sequence[MapFigure]] | None = None) -> Path:
    """Write a report from result objects: each into ``DIR/<key>/``, then ``report.html``.

    Parameters
    ----------
    results : mapping
        ``{key: result}`` in report order (any object following the result protocol).
    out_dir : path
        The report folder.
    title : str
        Report title.
    synthetic : str
        If given, the banner text saying what in this report is synthetic.
    maps : mapping, optional
        ``{key: [MapFigure, ...]}`` shown in that result's section.

    Returns
    -------
    Path
        ``out_dir/report.html``.
    """
    out = Path(out_dir)
    sections = []
    for key, res in results.items():
        written = write_result(res, out / key)
        sections.append(section_from_output(written, key, maps=(maps or {}).get(key, ())))
    return write_study_report([Study("results", title, sections)], out, title=title,
                              demo=bool(synthetic))
