"""``pairnet report STUDY.toml``: the demo's report on your own files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer

from pairnet.core.i18n import Lang


def command(
    study: Annotated[Path, typer.Argument(help="Study file (TOML); see "
                                          "examples/guangdong_study.toml.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out/report"),
    progress: Annotated[bool, typer.Option("--progress/--no-progress",
                                           help="Show progress bars.")] = True,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first failing step "
                                         "instead of reporting it as failed.")] = False,
    lang: Annotated[str | None, typer.Option(
        "--lang", help="Report language: en (English) or zh (中文); default: the study "
                "file's lang, else en.")] = None,
) -> None:
    """Run the analyses a study file names on its inputs and write DIR/report.html."""
    from pairnet.core.options import check_literal
    from pairnet.pipeline import run_report
    from pairnet.study import load_study

    language = None if lang is None else cast(Lang, check_literal(lang, Lang, "lang"))
    config = load_study(study)
    path = run_report(config, out, progress=progress, strict=strict, lang=language)
    typer.echo(str(path))
