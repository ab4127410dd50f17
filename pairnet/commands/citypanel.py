"""``pairnet citypanel`` (not yet available: issue #7)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from spatial.errors import NotAvailableError


def command(
    data: Annotated[Path, typer.Argument(help="City-year data.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out/citypanel"),
) -> None:
    """Not yet available."""
    raise NotAvailableError("pairnet citypanel is not yet available (issue #7)")
