"""Imports go only leftwards: spatial -> network, panels -> analyses -> maps -> pairnet."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
ORDER = {"spatial": 0, "network": 1, "panels": 1, "analyses": 2, "maps": 3, "pairnet": 4}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("layer", [k for k in ORDER if k != "pairnet"])
def test_layer_imports_only_leftwards(layer):
    bad = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        if "node_modules" in path.parts:
            continue
        for mod in _imports(path):
            if mod in ORDER and mod != layer and ORDER[mod] >= ORDER[layer]:
                bad.append(f"{path.relative_to(ROOT)} imports {mod}")
    assert not bad, bad


def test_the_checker_catches_a_violation(tmp_path):
    p = tmp_path / "x.py"
    p.write_text("from pairnet import cli\nimport maps.layers\n", encoding="utf-8")
    assert _imports(p) == {"pairnet", "maps"}
