"""The SQL the ingest rules are written in, and the two engines that run it (DuckDB, Spark).

The rules (:mod:`pairnet.panels.registry`, :mod:`pairnet.panels.dates`,
:func:`pairnet.panels.uscc.valid_sql`) are ONE text, written in the subset of SQL that DuckDB
and Spark SQL read alike: ``case``, ``coalesce``, ``nullif``, ``trim``, ``upper``/``lower``,
``replace``, ``substr``, ``left``, ``instr``, ``length``, ``regexp_extract``, ``make_date``,
``date + integer``, ``is not distinct from``, ``cast(... as string/integer/bigint/double)``,
joins, ``union``, ``distinct``, ``group by``. Where the two differ, the text asks this module:

* string literals (:meth:`Dialect.lit`): DuckDB doubles a quote; Spark escapes with backslashes
  (and would read ``'a''b'`` as two adjacent literals, ``'ab'``);
* identifiers (:meth:`Dialect.ident`): ``"col"`` or `` `col` ``;
* a regular-expression replace of every match (:meth:`Dialect.replace_all`): DuckDB needs the
  ``'g'`` flag, Spark's ``regexp_replace`` always replaces all (its 4th argument is a position).

Regular expressions are the common core of RE2 (DuckDB) and java.util.regex (Spark): classes,
``{m,n}``, groups, ``(?:...)``, anchors, alternation (leftmost-first in both); no escapes such as a digit class, no
back-references. :func:`full_match` is ``regexp_extract`` anchored, since the engines name
whole-string matching differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Dialect", "DUCKDB", "SPARK", "full_match", "contains", "norm"]


@dataclass(frozen=True)
class Dialect:
    """How one engine spells the few things the shared SQL cannot spell alike."""

    name: Literal["duckdb", "spark"]

    def lit(self, value: object) -> str:
        """A string literal holding ``value`` exactly."""
        s = str(value)
        if self.name == "spark":
            return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return "'" + s.replace("'", "''") + "'"

    def ident(self, name: object) -> str:
        """A quoted column or table name."""
        if self.name == "spark":
            return "`" + str(name).replace("`", "``") + "`"
        return '"' + str(name).replace('"', '""') + '"'

    def replace_all(self, expr: str, pattern: str, replacement: str) -> str:
        """Replace every match of ``pattern`` (no group references in ``replacement``)."""
        if self.name == "spark":
            return f"regexp_replace({expr}, {self.lit(pattern)}, {self.lit(replacement)})"
        return f"regexp_replace({expr}, {self.lit(pattern)}, {self.lit(replacement)}, 'g')"


DUCKDB = Dialect("duckdb")
SPARK = Dialect("spark")


def full_match(d: Dialect, expr: str, pattern: str) -> str:
    """True when the whole of ``expr`` matches ``pattern`` (NULL for NULL input).

    ``pattern`` must not match the empty string (an empty extract means no match).
    """
    return f"(regexp_extract({expr}, {d.lit('^(?:' + pattern + ')$')}, 0) <> '')"


def contains(d: Dialect, expr: str, pattern: str) -> str:
    """True when ``pattern`` matches somewhere in ``expr`` (NULL for NULL input)."""
    return f"(regexp_extract({expr}, {d.lit('(' + pattern + ')')}, 1) <> '')"


def norm(expr: str) -> str:
    """Text, trimmed of spaces, NULL when empty: the form every rule starts from."""
    return f"nullif(trim(cast({expr} as string)), '')"
