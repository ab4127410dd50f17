"""Option strings and values: one checker for ``Literal`` options, year ranges and lists.

Library functions name their options by their Python parameter names (``placebo``,
``control_group``); the command line shows them as flags (``--placebo``).
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any

from pairnet.core.errors import InputError

__all__ = ["check_literal", "parse_years", "parse_list"]


def check_literal(value: str, options: Any, name: str) -> str:
    """Check an option string against a ``Literal`` alias (pyfixest's ``_validate_literal_argument``).

    ``name`` is the parameter name (shown as `` `name` ``, the command line's flag) or a phrase
    such as ``"study.toml [[study]] #1 kind"``.

    Raises
    ------
    InputError
        ``Expecting one of [...] for NAME, got VALUE``.
    """
    allowed = typing.get_args(options) or tuple(options)
    if value not in allowed:
        shown = name if "`" in name or " " in name else f"`{name}`"
        raise InputError(f"expecting one of {list(allowed)} for {shown}, got {value!r}",
                         file=shown, fix=f"pass one of {', '.join(map(str, allowed))}")
    return value

def parse_years(text: str, *, name: str = "`years`") -> tuple[int, int]:
    """Parse ``"2000-2018"`` (or a single year) into an inclusive ``(first, last)``."""
    parts = str(text).replace("–", "-").split("-")
    try:
        years = [int(p) for p in parts if p.strip()]
    except ValueError as exc:
        raise InputError(f"cannot read years from {text!r}", file=name,
                         fix="write the range as FIRST-LAST, e.g. 2000-2018") from exc
    if len(years) == 1:
        years = years * 2
    if len(years) != 2 or years[0] > years[1]:
        raise InputError(f"cannot read years from {text!r}", file=name,
                         fix="write the range as FIRST-LAST with FIRST <= LAST, e.g. 2000-2018")
    return years[0], years[1]

def parse_list(text: str | Sequence[str] | None) -> list[str]:
    """Split a comma-separated option (Chinese commas too) into stripped, non-empty items."""
    if text is None:
        return []
    if isinstance(text, str):
        text = text.replace("，", ",").split(",")
    return [t.strip() for t in text if str(t).strip()]
