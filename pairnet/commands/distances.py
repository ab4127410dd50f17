"""``pairnet distances`` (not yet available: issue #2)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from spatial.errors import NotAvailableError


def command(
    origins: Annotated[str, typer.Option("--origins", help="IDS: adcodes, names or a group.")],
    destinations: Annotated[str, typer.Option("--destinations", help="IDS.")],
    out: Annotated[Path, typer.Option("--out", help="Output CSV.")] = Path("distances.csv"),
) -> None:
    """Not yet available."""
    raise NotAvailableError("pairnet distances is not yet available (issue #2)")
