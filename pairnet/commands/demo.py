"""``pairnet demo``: both built-in studies on seeded demo data -> DIR/report.html."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer

from pairnet.core.i18n import Lang


def command(
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out/demo"),
    seed: Annotated[int, typer.Option("--seed", help="Offset of the demo generators' seeds.")
                    ] = 0,
    progress: Annotated[bool, typer.Option("--progress/--no-progress",
                                           help="Show progress bars.")] = True,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first failing step "
                                         "instead of reporting it as failed.")] = False,
    lang: Annotated[str | None, typer.Option(
        "--lang", help="Report language: en (English, the default) or zh (中文).")] = None,
) -> None:
    """Generate the Guangdong and YRD demo data, run every analysis, write the report.

    Writes DIR/report.html (self-contained, opens offline), DIR/results.json (every number)
    and one folder per step with its tables and figures.
    """
    from pairnet.core.options import check_literal
    from pairnet.pipeline import run_report
    from pairnet.study import demo_config

    language = cast(Lang, check_literal("en" if lang is None else lang, Lang, "lang"))
    path = run_report(demo_config(seed, lang=language), out, progress=progress, strict=strict)
    typer.echo(str(path))
