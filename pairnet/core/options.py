"""Option strings and values: one checker for ``Literal`` options, year ranges and lists.

Library functions name their options by their Python parameter names (``placebo``,
``control_group``); the command line shows them as flags (``--placebo``).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar

from pairnet.core.errors import InputError

__all__ = ["check_literal", "parse_years", "parse_list", "parse_mapping", "bounds", "from_table"]

T = TypeVar("T")


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


def parse_mapping(text: str | None, *, allowed: Sequence[str] | None = None,
                  name: str = "columns") -> dict[str, str]:
    """Parse ``"原列名=canonical,年份=year"`` into ``{file column: canonical column}``.

    Raises
    ------
    InputError
        An item without ``=`` or with an empty side; a target not in ``allowed``.
    """
    out: dict[str, str] = {}
    for item in parse_list(text):
        src, sep, dst = item.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise InputError(f"cannot read column mapping {item!r}", file=f"`{name}`",
                             fix="write FILE_COLUMN=canonical pairs separated by commas, "
                                 "e.g. 年份=year")
        if allowed is not None and dst.strip() not in allowed:
            raise InputError(f"{dst.strip()!r} is not one of the columns used here",
                             file=f"`{name}`", fix=f"map to one of {', '.join(allowed)}")
        out[src.strip()] = dst.strip()
    return out


def bounds(default: Any, *, low: float | None = None, high: float | None = None) -> Any:
    """A dataclass field with a default and an allowed range, checked by :func:`from_table`.

    ``dataclasses.field(default=..., metadata={"low": ..., "high": ...})`` in short.
    """
    meta = {"low": low, "high": high}
    if isinstance(default, (list, dict, set)):
        return dataclasses.field(default_factory=lambda: default, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _describe(v: Any) -> str:
    return f"{v!r} ({type(v).__name__})"


def _coerce(value: Any, tp: Any, where: str, meta: Mapping[str, Any]) -> Any:
    """``value`` as type ``tp`` (a TOML value: bool, int, float, str, list), or InputError."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        errors = []
        for a in inner:
            try:
                return _coerce(value, a, where, meta)
            except InputError as exc:
                errors.append(exc)
        raise errors[0]
    if origin is Literal:
        if not isinstance(value, str) or value not in args:
            raise InputError(f"expecting one of {list(args)}, got {_describe(value)}",
                             file=where, fix=f"write one of {', '.join(map(repr, args))}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise InputError(f"expecting true or false, got {_describe(value)}", file=where,
                             fix="write true or false (no quotes)")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"expecting a whole number, got {_describe(value)}", file=where,
                             fix="write a whole number without quotes, e.g. 500")
        _check_range(value, where, meta)
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"expecting a number, got {_describe(value)}", file=where,
                             fix="write a number without quotes, e.g. 0.005")
        if not math.isfinite(float(value)):
            raise InputError(f"expecting a finite number, got {value!r}", file=where,
                             fix="write a finite number")
        _check_range(float(value), where, meta)
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise InputError(f"expecting a string, got {_describe(value)}", file=where,
                             fix='write it in quotes, e.g. "count"')
        return value
    if origin is tuple:
        items = parse_list(value) if isinstance(value, str) else value
        if not isinstance(items, list):
            raise InputError(f"expecting a list, got {_describe(value)}", file=where,
                             fix="write a list in brackets, e.g. [1, 3, 5]")
        if len(args) == 2 and args[1] is Ellipsis:
            out = tuple(_coerce(v, args[0], f"{where}[{i}]", meta) for i, v in enumerate(items))
            if meta.get("nonempty") and not out:
                raise InputError("expecting a non-empty list", file=where)
            return out
        if len(items) != len(args):
            raise InputError(f"expecting {len(args)} values, got {len(items)}", file=where,
                             fix=f"write a list of {len(args)} values")
        return tuple(_coerce(v, a, f"{where}[{i}]", meta)
                     for i, (v, a) in enumerate(zip(items, args, strict=True)))
    raise TypeError(f"unsupported option type {tp!r} for {where}")  # a bug, not user input


def _check_range(value: float, where: str, meta: Mapping[str, Any]) -> None:
    low, high = meta.get("low"), meta.get("high")
    if low is not None and value < low:
        raise InputError(f"must be at least {low:g}, got {value!r}", file=where,
                         fix=f"write a value >= {low:g}")
    if high is not None and value > high:
        raise InputError(f"must be at most {high:g}, got {value!r}", file=where,
                         fix=f"write a value <= {high:g}")


def from_table(cls: type[T], table: Any, *, where: str) -> T:
    """Build the options dataclass ``cls`` from a TOML table, checking every key once.

    Unknown keys, wrong types (``placebo = "many"``, ``placebo = 10.7``, ``seed = "abc"``),
    values outside a field's :func:`bounds` and Literal values not allowed are
    :class:`InputError` naming ``where`` and the key. Missing keys take the field's default,
    so the default lives in the dataclass only.

    Parameters
    ----------
    cls : dataclass type
        Fields annotated with bool, int, float, str, a ``Literal``, ``tuple[X, ...]``,
        fixed-length tuples or ``X | None``.
    table : mapping
        The parsed TOML table (``{}`` for an absent section).
    where : str
        How messages name the table, e.g. ``"study.toml [[study]] #1 [study.did]"``.
    """
    if not isinstance(table, Mapping):
        raise InputError(f"expecting a table of key = value, got {_describe(table)}", file=where,
                         fix="write it as a [section] table")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(table) - set(fields))
    if unknown:
        raise InputError(f"unknown key(s) {', '.join(unknown)}", file=where, column=unknown[0],
                         fix=f"use only {', '.join(sorted(fields))}")
    hints = typing.get_type_hints(cls)
    kw = {name: _coerce(value, hints[name], f"{where} {name}", fields[name].metadata)
          for name, value in table.items()}
    return cls(**kw)
