"""User boundary files with impossible coordinates, and pair sets with no distinct pair."""

from __future__ import annotations

import json


def _squares(path, coords):
    feats = [{"type": "Feature", "properties": {"code": c},
              "geometry": {"type": "Polygon", "coordinates": [[
                  [x, y], [x + 0.1, y], [x + 0.1, y + 0.1], [x, y + 0.1], [x, y]]]}}
             for c, (x, y) in coords.items()]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats,
                                "crs": {"type": "name",
                                        "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}}}),
                    encoding="utf-8")
    return path


def test_coordinates_outside_lonlat_range_exit_2(tmp_path, run_cli):
    f = _squares(tmp_path / "b.geojson", {"a": (200.0, 23.0), "b": (113.1, 95.0)})
    res = run_cli("distances", "--boundaries", f, "--id-col", "code", "--origins", "a",
                  "--destinations", "b", "--out", tmp_path / "o.csv")
    assert res.code == 2
    assert "b.geojson" in res.stderr and "outside longitude" in res.stderr and "Fix:" in res.stderr


def test_same_city_on_both_sides_exit_2(tmp_path, run_cli):
    f = _squares(tmp_path / "b.geojson", {"001": (113.0, 23.0), "002": (113.5, 23.0)})
    res = run_cli("distances", "--boundaries", f, "--id-col", "code", "--origins", "001",
                  "--destinations", "001", "--out", tmp_path / "o.csv")
    assert res.code == 2 and "distinct" in res.stderr
    assert not (tmp_path / "o.csv").exists()
    res = run_cli("distances", "--boundaries", f, "--id-col", "code", "--origins", "001",
                  "--destinations", "001,002", "--out", tmp_path / "o.csv")
    assert res.code == 0, res.stderr
