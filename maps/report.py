"""One self-contained, offline HTML report (Jinja2, autoescaped).

The report reads each step's folder (written by :func:`pairnet.core.outputs.write_outputs`): its
``outputs.json`` lists the tables and figures with titles and notes; ``tables/NAME.html`` are
already-escaped HTML fragments; ``figures/NAME.svg`` (or ``.png``) are inlined as data URIs.
Maps are folium maps rendered without any CDN asset: Leaflet's JS and CSS (from the npm install,
:mod:`pairnet.maps.assets`) are inlined once in ``<head>``, then each map's ``<div>`` and script.

Every user string reaching the template is escaped by Jinja's autoescape; the fragments marked
safe are produced by pairnet itself (escaped tables, escaped map tooltips, Leaflet).
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import folium
from markupsafe import Markup
from pairnet.maps.assets import leaflet_css, leaflet_js, leaflet_version

from pairnet.core.tables import write_json

__all__ = [
    "MapFigure",
    "Section",
    "Study",
    "MapParts",
    "map_parts",
    "section_from_folder",
    "not_run",
    "render_report",
    "write_report",
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
    folder: Path | None = None
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
    fig = m.get_root()
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


def _figure_src(folder: Path, name: str) -> str | None:
    svg = folder / "figures" / f"{name}.svg"
    png = folder / "figures" / f"{name}.png"
    if svg.is_file() and (svg.stat().st_size <= MAX_SVG_BYTES or not png.is_file()):
        return "data:image/svg+xml;base64," + base64.b64encode(svg.read_bytes()).decode("ascii")
    if png.is_file():
        return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")
    return None


def section_from_folder(folder: str | Path, key: str, title: str | None = None, *,
                        maps: Sequence[MapFigure] = (), method: str = "", note: str = ""
                        ) -> Section:
    """A section reading a step folder written by :func:`pairnet.core.outputs.write_outputs`."""
    folder = Path(folder)
    index = _index(folder)
    return Section(key=key, title=title or index.get("title") or key, folder=folder,
                   maps=list(maps), method=method, note=note)


def _index(folder: Path) -> dict[str, Any]:
    """A step folder's ``outputs.json`` (titles and notes of its tables and figures).

    Only the index: the step's ``results.json`` (which may be large) is read once, by
    :func:`merge_results`.
    """
    return json.loads((folder / "outputs.json").read_text(encoding="utf-8"))


def _section_context(s: Section) -> dict[str, Any]:
    tables, figures = [], []
    if s.folder is not None and (s.folder / "outputs.json").is_file():
        index = _index(s.folder)
        for t in index.get("tables", []):
            path = s.folder / "tables" / f"{t['name']}.html"
            if path.is_file():
                # written by write_outputs with escape=True: an escaped fragment
                tables.append({"title": t.get("title") or t["name"], "note": t.get("note", ""),
                               "html": Markup(path.read_text(encoding="utf-8"))})
        for f in index.get("figures", []):
            src = _figure_src(s.folder, f["name"])
            if src:
                figures.append({"title": f.get("title") or f["name"], "note": f.get("note", ""),
                                "src": src})
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
    """Every step's ``results.json`` merged: ``{study: {section: results}}`` + step status."""
    merged: dict[str, Any] = dict(extra or {})
    for st in studies:
        block: dict[str, Any] = {}
        for s in st.sections:
            entry: dict[str, Any] = {"title": s.title, "status": s.status}
            if s.note:
                entry["note"] = s.note
            if s.folder is not None:
                entry["folder"] = str(s.folder)
                res = s.folder / "results.json"
                if res.is_file():
                    entry["results"] = json.loads(res.read_text(encoding="utf-8"))
            block[s.key] = entry
        merged[st.key] = block
    return merged


def write_report(studies: Sequence[Study], out_dir: str | Path, *,
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
