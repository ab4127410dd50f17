"""A plain wheel of the project: one top-level name, map assets inside, no shadowing."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # a plain build, as a user's `pip wheel .` (isolated build environment)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                           str(out), str(ROOT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return next(out.glob("pairnet-*.whl"))


@pytest.mark.slow
def test_the_wheel_has_one_top_level_name_and_the_map_assets(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"pairnet"}
    assert "pairnet/maps/assets/node_modules/leaflet/dist/leaflet.js" in names
    assert "pairnet/maps/templates/report.html.j2" in names
    assert "pairnet/panels/data/guangdong_parks.csv" in names


@pytest.mark.slow
def test_installed_wheel_is_not_shadowed_by_a_users_network_and_maps(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, capture_output=True, text=True)
    user = tmp_path / "project"
    (user / "network").mkdir(parents=True)
    (user / "network" / "__init__.py").write_text("WHO = 'user network'\n")
    (user / "maps.py").write_text("WHO = 'user maps'\n")
    code = ("import network, maps, pairnet.network, pairnet.maps.assets as a; "
            "print(network.WHO, '|', maps.WHO, '|', pairnet.network.__file__, '|', "
            "len(a.leaflet_js()) > 100000)")
    deps = sysconfig.get_paths()["purelib"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(user), str(target), deps])}
    done = subprocess.run([sys.executable, "-c", code], cwd=user, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    who_net, who_maps, path, assets = [s.strip() for s in done.stdout.split("|")]
    assert who_net == "user network" and who_maps == "user maps"
    assert path.startswith(str(target)) and assets == "True"
