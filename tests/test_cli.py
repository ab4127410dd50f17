"""The command line: every verb of design.md exists; errors exit 2 with one message."""

from __future__ import annotations

import pytest

from pairnet.cli import VERBS


def test_every_design_verb_exists(run_cli):
    res = run_cli("--help")
    assert res.code == 0
    for verb in ["demo", "report", "distances", "ingest", "network", "did", "citypanel", "land",
                 "optimize"]:
        assert verb in VERBS
        assert verb in res.stdout


def test_each_verb_has_help(run_cli):
    for verb in VERBS:
        res = run_cli(verb, "--help")
        assert res.code == 0, (verb, res.stderr)


def test_chinese_labels_raise_no_glyph_warnings():
    import warnings

    import matplotlib.pyplot as plt

    from pairnet.cli import configure_matplotlib

    if configure_matplotlib() is None:
        # without a CJK font the CLI turns the glyph warnings into one note
        # (tests/test_hostile_inputs.py::test_font_note_only_when_a_drawn_figure_missed_glyphs)
        pytest.skip("no CJK font on this machine")
    fig, ax = plt.subplots()
    ax.set_title("广州 → 梅州")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        configure_matplotlib()
        fig.canvas.draw()
    plt.close(fig)
    assert not [w for w in caught if "missing from font" in str(w.message)]
