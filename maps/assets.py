"""Leaflet's JavaScript and CSS, from the npm install in ``maps/assets/node_modules``.

Leaflet is a declared npm dependency (``maps/assets/package.json`` + lockfile); ``make`` runs
``npm ci`` there and the wheel ships the installed folder. Nothing is copied into the repository.
The report inlines these once in its ``<head>`` so it works with no network.
"""

from __future__ import annotations

import base64
import json
import re
from functools import lru_cache
from pathlib import Path

from pairnet.core.errors import NotAvailableError

__all__ = ["ASSETS_DIR", "leaflet_dir", "leaflet_js", "leaflet_css", "leaflet_version"]

ASSETS_DIR = Path(__file__).parent / "assets"


def leaflet_dir() -> Path:
    """The installed ``leaflet/dist`` folder.

    Raises
    ------
    NotAvailableError
        ``npm ci`` has not been run in ``maps/assets``.
    """
    dist = ASSETS_DIR / "node_modules" / "leaflet" / "dist"
    if not (dist / "leaflet.js").is_file():
        raise NotAvailableError(
            f"Leaflet is not installed in {ASSETS_DIR / 'node_modules'}: run "
            f"`make setup` (or `cd {ASSETS_DIR} && npm ci`) to install the report's map assets")
    return dist


@lru_cache(maxsize=1)
def leaflet_version() -> str:
    """The installed Leaflet version (from its package.json)."""
    pkg = leaflet_dir().parent / "package.json"
    return str(json.loads(pkg.read_text(encoding="utf-8"))["version"])


@lru_cache(maxsize=1)
def leaflet_js() -> str:
    """Minified Leaflet, safe to put inside a ``<script>`` element."""
    text = (leaflet_dir() / "leaflet.js").read_text(encoding="utf-8")
    # a literal "</script" inside would end the inline element early
    return text.replace("</script", "<\\/script")


def _data_uri(path: Path) -> str:
    mime = "image/png" if path.suffix == ".png" else "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


@lru_cache(maxsize=1)
def leaflet_css() -> str:
    """Leaflet's stylesheet with its images (layer-control icon etc.) inlined as data URIs."""
    dist = leaflet_dir()
    css = (dist / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        img = dist / match.group(1)
        return f"url({_data_uri(img)})" if img.is_file() else match.group(0)

    css = re.sub(r"url\((images/[^)]+)\)", inline, css)
    return css.replace("</style", "<\\/style")
