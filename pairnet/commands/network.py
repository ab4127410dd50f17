"""``pairnet network`` (not yet available: issue #4)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from spatial.errors import NotAvailableError


def command(
    flows: Annotated[Path, typer.Argument(help="Flows table.")],
    out: Annotated[Path, typer.Option("--out", help="Metrics output.")] = Path("network.csv"),
) -> None:
    """Not yet available."""
    raise NotAvailableError("pairnet network is not yet available (issue #4)")
