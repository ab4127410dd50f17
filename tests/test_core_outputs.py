"""Step folders: outputs.json is written NaN-free and numpy-safe, like results.json."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib.figure import Figure as MplFigure

from pairnet.core.outputs import read_outputs, write_outputs
from pairnet.core.results import Figure


def test_figure_extras_with_numpy_scalars_are_written(tmp_path):
    fig = MplFigure()
    fig.subplots().plot([0, 1], [0, 1])
    write_outputs(tmp_path, results={"n": np.int64(3)},
                  figures={"f": Figure(fig, "T", "N", extra={"panels": np.int64(2),
                                                             "gap": np.nan})})
    index = read_outputs(tmp_path)
    assert index["figures"] == [{"name": "f", "title": "T", "note": "N", "panels": 2,
                                 "gap": None}]
    assert index["results"] == {"n": 3}
