"""``pairnet report`` (not yet available: issue #9)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from spatial.errors import NotAvailableError


def command(
    study: Annotated[Path, typer.Argument(help="Study file (TOML).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out/report"),
) -> None:
    """Not yet available."""
    raise NotAvailableError("pairnet report is not yet available (issue #9)")
