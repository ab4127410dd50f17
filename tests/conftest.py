"""Shared fixtures: run the CLI in-process and capture its exit code and output."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

REFERENCE = Path(__file__).parent / "reference"


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli():
    """Call ``pairnet ARGS...`` in-process; returns a :class:`CliResult`."""
    from pairnet.cli import app

    def run(*args: object) -> CliResult:
        runner = CliRunner()
        res = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        return CliResult(res.exit_code, res.stdout, res.stderr)

    return run


@pytest.fixture
def reference_dir() -> Path:
    return REFERENCE
