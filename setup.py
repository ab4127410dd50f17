"""Build hook: the report's map assets (Leaflet, an npm dependency) go into every wheel.

``pip install .`` / ``pip wheel .`` run ``npm ci`` in ``maps/assets`` when Leaflet is not
installed there yet, so the installed package's report draws its maps offline. Node.js and npm
are build prerequisites (not needed at run time).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ASSETS = Path(__file__).resolve().parent / "maps" / "assets"


def ensure_map_assets() -> None:
    """Run ``npm ci`` in ``maps/assets`` unless Leaflet is already installed there."""
    if (ASSETS / "node_modules" / "leaflet" / "dist" / "leaflet.js").is_file():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "pairnet: building the package needs Node.js and npm: the report's map assets "
            "(Leaflet) are npm dependencies installed by `npm ci` in maps/assets. Install "
            "Node.js 18+ with npm (Debian: apt-get install nodejs npm) and build again.")
    cmd = [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"]
    done = subprocess.run(cmd, cwd=ASSETS, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"pairnet: `npm ci` in {ASSETS} failed (exit {done.returncode}); "
                         "the npm registry must be reachable to build the package:\n"
                         + (done.stderr or done.stdout)[-2000:])


class BuildWithAssets(build_py):
    """``build_py`` that first installs the npm assets shipped as package data."""

    def run(self) -> None:  # noqa: D102
        ensure_map_assets()
        super().run()


setup(cmdclass={"build_py": BuildWithAssets})
