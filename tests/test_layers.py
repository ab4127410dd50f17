"""Imports go only leftwards: core -> spatial -> network, panels -> analyses -> maps -> pairnet.

Every layer is installed as ``pairnet.<layer>``; ``pairnet.core`` is the foundation under all of
them and imports no layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
ORDER = {"core": -1, "spatial": 0, "network": 1, "panels": 1, "analyses": 2, "maps": 3,
         "pairnet": 4}
FOLDERS = {"core": ROOT / "pairnet" / "core", **{k: ROOT / k for k in ORDER
                                                 if k not in ("core", "pairnet")}}
LAYERS = {"spatial", "network", "panels", "analyses", "maps"}


def _layer(module: str) -> str | None:
    """The layer of an absolute module name, or None for third-party modules."""
    parts = module.split(".")
    if parts[0] != "pairnet":
        return None
    if len(parts) > 1 and (parts[1] in LAYERS or parts[1] == "core"):
        return parts[1]
    return "pairnet"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


@pytest.mark.parametrize("layer", [k for k in ORDER if k != "pairnet"])
def test_layer_imports_only_leftwards(layer):
    bad = []
    for path in sorted(FOLDERS[layer].rglob("*.py")):
        if "node_modules" in path.parts:
            continue
        for mod in _imports(path):
            target = _layer(mod)
            if target is not None and target != layer and ORDER[target] >= ORDER[layer]:
                bad.append(f"{path.relative_to(ROOT)} imports {mod}")
    assert not bad, bad


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_no_layer_imports_itself_by_a_bare_name(layer):
    """``import spatial`` would only work from the repo root: everything is ``pairnet.…``."""
    bad = []
    folders = [*FOLDERS.values(), ROOT / "pairnet", ROOT / "tests", ROOT / "benchmarks"]
    for path in sorted({p for f in folders for p in f.rglob("*.py")}):
        if "node_modules" in path.parts:
            continue
        for mod in _imports(path):
            if mod.split(".")[0] == layer:
                bad.append(f"{path.relative_to(ROOT)} imports {mod}")
    assert not bad, bad


def test_the_checker_catches_a_violation(tmp_path):
    p = tmp_path / "x.py"
    p.write_text("from pairnet import cli\nimport pairnet.maps.layers\nimport numpy\n",
                 encoding="utf-8")
    assert {_layer(m) for m in _imports(p)} == {"pairnet", "maps", None}
