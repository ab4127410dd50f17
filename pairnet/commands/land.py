"""``pairnet land`` (not yet available: issue #6)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from spatial.errors import NotAvailableError


def command(
    records: Annotated[Path, typer.Argument(help="Land transactions.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out/land"),
) -> None:
    """Not yet available."""
    raise NotAvailableError("pairnet land is not yet available (issue #6)")
