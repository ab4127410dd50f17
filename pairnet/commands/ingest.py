"""``pairnet ingest`` (not yet available: issue #3)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from spatial.errors import NotAvailableError


def command(
    registry: Annotated[Path, typer.Argument(help="Registry records.")],
    out: Annotated[Path, typer.Option("--out", help="Panel output.")] = Path("panel.csv"),
) -> None:
    """Not yet available."""
    raise NotAvailableError("pairnet ingest is not yet available (issue #3)")
