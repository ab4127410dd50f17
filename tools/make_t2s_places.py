"""Regenerate ``spatial/data/t2s_places.json``: traditional -> simplified characters of place names.

Run once by a developer (not at install or run time)::

    python -m venv /tmp/occ && /tmp/occ/bin/pip install opencc-python-reimplemented
    .venv/bin/python tools/make_t2s_places.py /tmp/occ/lib/python3.11/site-packages/opencc/dictionary

It reads OpenCC's character tables (Apache-2.0): ``TSCharacters.txt`` (traditional ->
simplified, first candidate) and ``TWVariantsRev.txt`` / ``HKVariantsRev.txt`` (Taiwan / Hong Kong
variant -> standard traditional), and keeps only the characters whose simplified form occurs in
an administrative name of the built-in index (every province, prefecture and county), so the
table stays small.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pairnet.spatial.cities import admin_index


def _pairs(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        src, _, dst = line.partition("\t")
        first = dst.split()[0]
        if len(src) == 1 and len(first) == 1:
            out[src] = first
    return out


def main(folder: str) -> None:
    """Write the table from the OpenCC dictionary ``folder``."""
    d = Path(folder)
    ts = _pairs(d / "TSCharacters.txt")
    variants = {**_pairs(d / "HKVariantsRev.txt"), **_pairs(d / "TWVariantsRev.txt")}
    idx = admin_index()
    used = set("".join(idx["name"]) + "".join(idx["province"]) + "省市区县州盟旗")
    table: dict[str, str] = {}
    for t, s in ts.items():
        if s in used and s != t:
            table[t] = s
    for v, t in variants.items():
        s = ts.get(t, t)
        if s in used and v != s:
            table.setdefault(v, s)
    out = Path(__file__).resolve().parents[1] / "spatial" / "data" / "t2s_places.json"
    out.parent.mkdir(exist_ok=True)
    body = {"source": "OpenCC TSCharacters.txt, HKVariantsRev.txt, TWVariantsRev.txt "
                      "(Apache-2.0), restricted to characters of the built-in place names",
            "t2s": dict(sorted(table.items()))}
    out.write_text(json.dumps(body, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{len(table)} characters -> {out}")


if __name__ == "__main__":
    main(sys.argv[1])
