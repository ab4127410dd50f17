"""The node list of a network from what a user types: ids, city names, groups or a file.

A token names a node it really is: an id of the flows as it is, a group (PRD, EWN, GD, YRD), or
the city / county it names (:func:`pairnet.spatial.cities.resolve_one`, which never swaps a
district for a prefecture that shares its name). A Chinese name that names no place is an error
with the nearest real names — a misspelt city is never an isolate under a wrong name.
"""

from __future__ import annotations

import re
from pathlib import Path

from pairnet.core.errors import InputError, UnknownCityError

__all__ = ["resolve_nodes", "node_tokens"]

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def node_tokens(spec: str, argument: str) -> tuple[list[str], bool, str]:
    """Split a node spec into tokens; say whether they came from a file (taken literally).

    ``spec`` is a comma-separated list, or a text file with one id per line (``@PATH``, or a
    path with a suffix that exists).

    Raises
    ------
    InputError
        ``@PATH`` that is not a file, or a file that is not UTF-8 text.
    """
    from pairnet.core.options import parse_list

    if spec.startswith("@"):
        path = Path(spec[1:])
        if not path.is_file():
            raise InputError(f"node file {str(path)!r} does not exist or is not a file",
                             file=argument,
                             fix=f"give @PATH of a text file with one node id per line to "
                                 f"{argument}")
    else:
        path = Path(spec)
        if not (len(spec) < 4096 and path.suffix and path.is_file()):
            return parse_list(spec), False, argument
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[:exc.start].count(b"\n") + 1
        raise InputError(f"line {line} is not UTF-8 text", file=str(path),
                         fix="save the node file as UTF-8, one id per line") from None
    tokens = [t.strip() for t in text.splitlines() if t.strip() and not t.strip().startswith("#")]
    return tokens, True, f"{argument} {path}"


def resolve_nodes(spec: str, flow_ids: set[str], *, argument: str = "`nodes`",
                  strict: bool = False) -> tuple[list[str], list[str]]:
    """Turn a node spec into the ordered node list.

    Ids from a file are taken literally. Each token of a list, in order: an id that occurs in
    the flows is kept as it is (county codes and arbitrary ids work); a group name (PRD, EWN,
    GD, YRD) expands to its prefecture adcodes; a city name or adcode (prefecture or county)
    is resolved to the unit it names (``广州`` -> ``440100``, ``北京市朝阳区`` -> ``110105``); a
    token in Chinese characters that names no place is an error; any other token (``X1``,
    ``999999``) is kept literally as a node id, i.e. an isolate, and reported back. Repeats are
    dropped (first occurrence wins).

    Parameters
    ----------
    spec : str
        The node spec.
    flow_ids : set of str
        Ids occurring as origin or destination in the flows.
    argument : str
        Where the spec came from, for messages.
    strict : bool
        If True, a token that is neither a flow id, a group nor a city is an error.

    Returns
    -------
    nodes : list of str
        The ordered node list.
    literal : list of str
        Tokens kept literally although they match neither the flows nor a city (the caller
        warns about them). Empty if ``strict``.

    Raises
    ------
    UnknownCityError
        No nodes given; a Chinese name that names no place, or a county name asked where it is
        of another level; (``strict``) a token that is neither a flow id nor a city.
    AmbiguousCityError
        A name several places carry (the message lists them; add the province or prefecture).
    """
    from pairnet.spatial.cities import GROUPS, resolve_one

    tokens, from_file, argument = node_tokens(spec, argument)
    if not tokens:
        raise UnknownCityError("no nodes given", file=argument,
                               fix="give ids, city names or a group (PRD, EWN, GD, YRD)")
    out: list[str] = []
    literal: list[str] = []
    for tok in tokens:
        if from_file or tok in flow_ids:
            codes: tuple[str, ...] = (tok,)
        elif tok.upper() in GROUPS:
            codes = GROUPS[tok.upper()]
        else:
            try:
                codes = (resolve_one(tok, level="any", argument=argument),)
            except UnknownCityError:
                if _CJK.search(tok):
                    raise  # a place name that names no place: never an isolate under it
                codes = (tok,)
                if tok not in literal:
                    literal.append(tok)
        out.extend(c for c in codes if c not in out)
    if strict and literal:
        raise UnknownCityError(
            f"{quote_tokens(literal)} {'is' if len(literal) == 1 else 'are'} neither an id in "
            "the flows nor a city", file=argument,
            fix="check the spelling (Chinese name, e.g. 广州, or a 6-digit adcode), or drop "
                "`strict_nodes` to keep such ids as isolates")
    return out, literal


def quote_tokens(tokens: list[str]) -> str:
    """``'a', 'b' and 3 more`` for messages."""
    shown = ", ".join(repr(t) for t in tokens[:10])
    return shown + (f" and {len(tokens) - 10} more" if len(tokens) > 10 else "")
