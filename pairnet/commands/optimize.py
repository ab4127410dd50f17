"""``pairnet optimize`` (not yet available: issue #8)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from spatial.errors import NotAvailableError


def command(
    out: Annotated[Path, typer.Option("--out", help="Output CSV.")] = Path("pairing.csv"),
) -> None:
    """Not yet available."""
    raise NotAvailableError("pairnet optimize is not yet available (issue #8)")
