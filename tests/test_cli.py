"""The command line: every verb of design.md exists; errors exit 2 with one message."""

from __future__ import annotations

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
