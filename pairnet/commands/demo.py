"""``pairnet demo`` (not yet available: issue #9)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from spatial.errors import NotAvailableError


def command(
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out/demo"),
) -> None:
    """Not yet available."""
    raise NotAvailableError("pairnet demo is not yet available (issue #9)")
