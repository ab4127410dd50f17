"""One exception hierarchy for all of pairnet.

It lives in the leftmost layer so every layer can raise it; ``pairnet.core.errors`` re-exports it.
The command line turns any :class:`PairnetError` into one message on stderr and exit status 2.

Row numbers in messages are 1-based *data* rows: row 1 is the first record under the header
(line 2 of a CSV file).

Library messages name options by their Python parameter name in backticks (`` `placebo` ``,
`` `control_group` ``), never by a command-line flag; the command line shows each as its flag
(``--placebo``) through :func:`for_command_line`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

__all__ = [
    "PairnetError",
    "InputError",
    "UnknownCityError",
    "AmbiguousCityError",
    "GeometryError",
    "CRSError",
    "EstimationError",
    "InfeasibleError",
    "NotAvailableError",
    "format_rows",
    "option",
    "for_command_line",
]

_OPTION = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")


def option(name: str) -> str:
    """How a message names an option: its parameter name in backticks (`` `placebo` ``)."""
    return f"`{name}`"


def for_command_line(text: str, flags: Mapping[str, str]) -> str:
    """A library message as the command line shows it: `` `name` `` becomes its flag.

    Parameters
    ----------
    text : str
        The message.
    flags : mapping
        ``{parameter name: flag}`` of the command (``{"placebo": "--placebo"}``); names the
        command does not have keep their backticks.
    """
    return _OPTION.sub(lambda m: flags.get(m.group(1), m.group(0)), text)


def format_rows(rows: Iterable[int], *, limit: int = 8, base: int = 0) -> str:
    """Describe row positions for a message: ``"row 3"`` or ``"rows 3, 7, 9 (and 12 more)"``.

    Parameters
    ----------
    rows : iterable of int
        Row positions, ``base``-based (0 for pandas positions).
    limit : int
        How many rows to name before summarising the rest.
    base : int
        The index of the first data row in ``rows``; shown rows are always 1-based.
    """
    shown = sorted({int(r) - base + 1 for r in rows})
    if not shown:
        return ""
    head = ", ".join(str(r) for r in shown[:limit])
    more = f" (and {len(shown) - limit} more)" if len(shown) > limit else ""
    return f"row{'s' if len(shown) > 1 else ''} {head}{more}"


class PairnetError(Exception):
    """Base class of every error pairnet raises on purpose."""


class InputError(PairnetError, ValueError):
    """Bad input: a message naming the file, the column, the rows and the fix.

    Parameters
    ----------
    problem : str
        What is wrong, in one sentence.
    file : str, optional
        The file (or argument, e.g. ``--origins``) the input came from.
    column : str, optional
        The column concerned.
    rows : sequence of int, optional
        0-based positions of the offending records; shown 1-based.
    fix : str, optional
        What the user can do about it.
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        column: str | None = None,
        rows: Iterable[int] | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = None if file is None else str(file)
        self.column = column
        self.rows = list(rows) if rows is not None else []
        self.fix = fix
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.column:
            where.append(f"column '{self.column}'")
        if self.rows:
            where.append(format_rows(self.rows))
        text = (": ".join([", ".join(where), self.problem])) if where else self.problem
        if self.fix:
            text += f". Fix: {self.fix}"
        return text


class UnknownCityError(InputError):
    """A city id or name that matches no prefecture or county."""


class AmbiguousCityError(InputError):
    """A city name that matches several places; the message lists the candidates."""


class GeometryError(InputError):
    """Invalid, empty or missing geometry."""


class CRSError(InputError):
    """Missing or unsuitable coordinate reference system."""


class EstimationError(PairnetError, ValueError):
    """A model that cannot be estimated on the data given (e.g. no treated units)."""


class InfeasibleError(InputError):
    """An optimisation problem with no feasible solution (the options given admit none)."""


class NotAvailableError(PairnetError):
    """A command whose implementation has not landed yet."""
