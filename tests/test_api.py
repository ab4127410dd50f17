"""The public API: every exported name resolves; the README's Python API example runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def test_every_public_name_resolves_and_all_matches_the_exports():
    import pairnet

    assert set(pairnet.__all__) == {"__version__", *pairnet._EXPORTS}
    for name in pairnet.__all__:
        assert getattr(pairnet, name) is not None, name
    with pytest.raises(AttributeError):
        pairnet.no_such_name  # noqa: B018


def test_import_pairnet_is_light():
    """``import pairnet`` loads no layer (names are imported on first use)."""
    code = ("import sys, pairnet; heavy = [m for m in ('pyfixest', 'geopandas', "
            "'pairnet.analyses.did') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def readme_api_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Python API", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, re.S)
    assert block, "README's Python API section has no python block"
    return block.group(1)


@pytest.mark.slow
def test_readme_python_api_example_runs_as_written_in_an_empty_folder(tmp_path):
    script = tmp_path / "example.py"
    script.write_text(readme_api_example(), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    reports = list(tmp_path.rglob("report.html"))
    assert reports, sorted(p.name for p in tmp_path.rglob("*"))[:20]
    html = reports[0].read_text(encoding="utf-8")
    assert "leaflet" in html.lower() and "Staggered" in html or "DID" in html
