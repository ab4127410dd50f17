"""What the library promises about itself (issue 12): no CLI flags in its messages, pyfixest's
private attributes read in one adapter only, no ``matplotlib.use`` inside the library."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
LIBRARY = {"core": ROOT / "pairnet" / "core", "spatial": ROOT / "spatial",
           "network": ROOT / "network", "panels": ROOT / "panels",
           "analyses": ROOT / "analyses", "maps": ROOT / "maps"}
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]+")
CSS_VAR = re.compile(r"var\(--[\w-]+")  # a CSS custom property (var(--pn-text-min)) is no flag
PRIVATE = re.compile(r"\._(beta_hat|vcov|N|coefnames|df_t|r2|r2_within|X|Y|Z|u_hat|fixef|se|tstat)\b")


def _files(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.rglob("*.py")) if "node_modules" not in p.parts]


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def flag_strings(path: Path) -> list[str]:
    """String literals (not docstrings) that name a command-line flag."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    return [f"{path.relative_to(ROOT)}:{n.lineno}: {n.value[:60]!r}" for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
            and FLAG.search(CSS_VAR.sub("", n.value))]


@pytest.mark.parametrize("layer", sorted(LIBRARY))
def test_library_messages_name_parameters_not_flags(layer):
    bad = [hit for p in _files(LIBRARY[layer]) for hit in flag_strings(p)]
    assert not bad, "\n".join(bad)


def test_the_flag_check_catches_one(tmp_path):
    p = ROOT / "tests" / "_flag_probe.py"
    try:
        p.write_text('"""Doc --ok."""\nX = "use --placebo 10"\n', encoding="utf-8")
        assert len(flag_strings(p)) == 1
    finally:
        p.unlink()


def test_pyfixest_private_attributes_only_in_the_adapter():
    bad = []
    for folder in LIBRARY.values():
        for p in _files(folder):
            if p.name == "_pyfixest.py":
                continue
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
                if PRIVATE.search(line) and "self._" not in line:
                    bad.append(f"{p.relative_to(ROOT)}:{i}: {line.strip()}")
    assert not bad, "\n".join(bad)


def test_no_matplotlib_backend_switch_in_the_library():
    bad = [f"{p.relative_to(ROOT)}" for folder in LIBRARY.values() for p in _files(folder)
           if re.search(r"matplotlib\.use\(|switch_backend\(", p.read_text(encoding="utf-8"))]
    assert not bad, bad


def unannotated(path: Path) -> list[str]:
    """Public functions and methods (no leading underscore, in a public class) with an
    argument or the return value unannotated."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []

    def visit(body: list[ast.stmt], public: bool, prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, public and not node.name.startswith("_"), f"{node.name}.")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if not public or node.name.startswith("_"):
                    continue
                args = node.args
                params = [*args.posonlyargs, *args.args, *args.kwonlyargs,
                          *([args.vararg] if args.vararg else []),
                          *([args.kwarg] if args.kwarg else [])]
                missing = [a.arg for a in params
                           if a.annotation is None and a.arg not in ("self", "cls")]
                if node.returns is None:
                    missing.append("return")
                if missing:
                    out.append(f"{path.relative_to(ROOT)}:{node.lineno}: {prefix}{node.name} "
                               f"({', '.join(missing)})")

    visit(tree.body, not path.name.startswith("_"), "")
    return out


@pytest.mark.parametrize("layer", sorted(LIBRARY) + ["pairnet"])
def test_public_functions_are_annotated(layer):
    folder = ROOT / "pairnet" if layer == "pairnet" else LIBRARY[layer]
    files = [p for p in _files(folder) if layer != "pairnet" or "core" not in p.parts]
    bad = [hit for p in files for hit in unannotated(p)]
    assert not bad, "\n".join(bad)
