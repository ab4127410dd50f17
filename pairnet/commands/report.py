"""``pairnet report STUDY.toml``: the demo's report on your own files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def command(
    study: Annotated[Path, typer.Argument(help="Study file (TOML); see "
                                          "examples/guangdong_study.toml.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out/report"),
    progress: Annotated[bool, typer.Option("--progress/--no-progress",
                                           help="Show progress bars.")] = True,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first failing step "
                                         "instead of reporting it as failed.")] = False,
) -> None:
    """Run the analyses a study file names on its inputs and write DIR/report.html."""
    from pairnet.pipeline import run_report
    from pairnet.study import load_study

    config = load_study(study)
    path = run_report(config, out, progress=progress, strict=strict)
    typer.echo(str(path))
