"""Fixed-effect structures of the TWFE-family diagnostics (``fe``), shared by the new modules.

A structure is a tuple of terms, each a column of the canonical panel frame (``unit``,
``time``, ``origin``, a carried user column) or an interaction ``a^b`` (fixest's notation):
``("unit", "time")`` is the default two-way model, ``("unit", "time", "origin^time")`` adds
origin-by-period effects on a pair panel.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pairnet.core.errors import InputError
from pairnet.core.i18n import Lang, Text

__all__ = ["DEFAULT_FE", "parse_fe", "fe_codes", "fe_formula", "ATTTerms", "UNIT_WORD", "cluster_word"]

DEFAULT_FE: tuple[str, ...] = ("unit", "time")


def parse_fe(value: str | Sequence[str]) -> tuple[str, ...]:
    """``"unit+time+origin^time"`` or a sequence of terms -> a tuple of terms (checked)."""
    items = value.split("+") if isinstance(value, str) else list(value)
    terms = tuple(dict.fromkeys(t.strip() for t in items if t.strip()))
    if not terms:
        raise InputError("`fe` names no fixed effect", file="`fe`",
                         fix="e.g. `fe` unit+time or unit+time+origin^time")
    for t in terms:
        for part in t.split("^"):
            if not part.strip() or not all(c.isalnum() or c == "_" for c in part.strip()):
                raise InputError(f"bad fixed-effect term {t!r}", file="`fe`",
                                 fix="terms are column names joined by + and interactions "
                                     "by ^, e.g. unit+time+origin^time")
    return terms


def _col(frame: pd.DataFrame, name: str, names: dict[str, str]) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    if name in names:
        return frame[names[name]]
    raise InputError(f"fixed effect {name!r} is not a column of the panel "
                     f"(have: unit, time{', origin, destination' if 'origin' in frame else ''}"
                     f"{', ' + ', '.join(names) if names else ''})", file="`fe`",
                     fix="name the panel's unit or time, or a column passed in `fe_columns`")


def fe_codes(frame: pd.DataFrame, terms: Sequence[str],
             names: dict[str, str] | None = None) -> list[np.ndarray]:
    """Integer codes of each term on ``frame`` (``names``: user column -> frame column)."""
    names = names or {}
    out = []
    for t in terms:
        parts = [_col(frame, p.strip(), names) for p in t.split("^")]
        key = parts[0].astype(str) if len(parts) > 1 else parts[0]
        for p in parts[1:]:
            key = key + "\x1f" + p.astype(str)
        out.append(pd.factorize(key, sort=True)[0].astype(np.int64))
    return out


def fe_formula(terms: Sequence[str], prefix: str = "fe") -> str:
    """The fixest/pyfixest right-hand side of codes named ``fe0, fe1, ...``."""
    return " + ".join(f"{prefix}{i}" for i in range(len(terms)))


class ATTTerms:
    """The ``ATT`` row and the ``kind::k`` event rows of a ``coef`` table indexed by term.

    Shared by the imputation and stacked estimators (their ``coef``: ``estimate``,
    ``std_error``, ... by ``term``: ``ATT``, ``pre::k`` / ``tau::k`` / ``rel::k``).
    """

    coef: pd.DataFrame

    @property
    def att(self) -> float:
        """The static ATT."""
        return float(self.coef.loc["ATT", "estimate"])

    @property
    def se(self) -> float:
        """Its standard error."""
        return float(self.coef.loc["ATT", "std_error"])

    def _event_rows(self) -> pd.DataFrame:
        """Every row but ``ATT``, with ``rel_time`` = the ``k`` of ``kind::k``."""
        c = self.coef.reset_index()
        c = c[c["term"] != "ATT"].copy()
        c["rel_time"] = c["term"].str.split("::").str[1].astype(int)
        return c


#: words of the tables and figures (the unit of a pair panel is the pair; the default two-way
#: clusters are the pair's two sides)
UNIT_WORD = {"pair": Text("pair", "帮扶对"), "unit": Text("unit", "单位"),
             "origin": Text("origin", "帮扶方"), "destination": Text("destination", "被帮扶方")}


def cluster_word(name: str, lang: Lang) -> str:
    """A unit or cluster column in a note: its word when pairnet knows it, else the name.

    In Chinese a column name is set off by spaces (``按 city 聚类``), a word is not
    (``按帮扶对聚类``).
    """
    word = UNIT_WORD.get(name)
    return word(lang) if word is not None else name if lang == "en" else f" {name} "
