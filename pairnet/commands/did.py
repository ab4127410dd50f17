"""``pairnet did`` (not yet available: issue #5)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from spatial.errors import NotAvailableError


def command(
    data: Annotated[Path, typer.Argument(help="Panel data.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out/did"),
) -> None:
    """Not yet available."""
    raise NotAvailableError("pairnet did is not yet available (issue #5)")
