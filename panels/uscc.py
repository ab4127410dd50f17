"""The unified social credit code (统一社会信用代码, GB 32100-2015).

An 18-character code: 1 registering department, 2 organisation type, 3–8 the registering
authority's administrative division code (a 6-digit adcode), 9–17 the organisation code and 18 a
check character. The alphabet is ``0-9A-HJ-NPQRTUWXY`` (31 characters: no I, O, Z, S, V); the check
character is ``C18 = 31 - (Σ w_i·v(c_i) mod 31)`` (31 → ``0``) with the weights below.

The same rule is given three ways: per code in Python (:func:`check_char`, :func:`is_valid`), on
numpy arrays for the generator (:func:`make_codes`), and as an SQL expression for the ingest
pipeline in DuckDB and Spark (:func:`valid_sql`) — the tests check that all three agree.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ALPHABET", "WEIGHTS", "check_char", "is_valid", "division_of", "make_codes",
           "valid_sql"]

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def check_char(first17: str) -> str:
    """The check character for the first 17 characters of a code.

    Raises
    ------
    ValueError
        When ``first17`` is not 17 characters of the code alphabet.
    """
    s = str(first17).upper()
    if len(s) != 17 or any(c not in _VALUE for c in s):
        raise ValueError(f"not 17 characters of {ALPHABET}: {first17!r}")
    total = sum(w * _VALUE[c] for w, c in zip(WEIGHTS, s))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: object) -> bool:
    """True when ``code`` is an 18-character USCC whose check character is right."""
    if not isinstance(code, str):
        return False
    s = code.strip().upper()
    if len(s) != 18 or any(c not in _VALUE for c in s):
        return False
    return check_char(s[:17]) == s[17]


def division_of(code: str) -> str | None:
    """Characters 3–8 (the division code) of a valid code, else None."""
    return code.strip().upper()[2:8] if is_valid(code) else None


def make_codes(divisions: np.ndarray, rng: np.random.Generator, *,
               valid: np.ndarray | bool = True) -> np.ndarray:
    """Generate codes for an array of 6-digit division strings (vectorised).

    Parameters
    ----------
    divisions : array of str
        6-digit adcodes placed in characters 3–8.
    rng : numpy Generator
        Source of the random organisation codes.
    valid : bool or bool array
        Where False, the check character is replaced by a wrong one (a typo'd code).

    Returns
    -------
    ndarray of str
        18-character codes starting ``91`` (a company registered with market regulation).
    """
    n = len(divisions)
    alpha = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
    vals = np.empty((n, 17), dtype=np.int64)
    vals[:, 0] = 9
    vals[:, 1] = 1
    div = np.asarray(divisions, dtype="S6").view(np.uint8).reshape(n, 6) - ord("0")
    vals[:, 2:8] = div
    vals[:, 8:17] = rng.integers(0, 31, size=(n, 9))
    chk = (31 - (vals @ np.asarray(WEIGHTS)) % 31) % 31
    bad = ~np.broadcast_to(np.asarray(valid, dtype=bool), (n,))
    # a wrong check character: shift by 1..30 positions
    chk = np.where(bad, (chk + rng.integers(1, 31, size=n)) % 31, chk)
    allv = np.concatenate([vals, chk[:, None]], axis=1)
    chars = alpha[allv].astype(np.uint8)
    return chars.view("S18").ravel().astype(str)


def valid_sql(col: str) -> str:
    """A boolean SQL expression: ``col`` is an 18-character code with a valid check character.

    The same text runs in DuckDB and Spark SQL (see :mod:`pairnet.panels._sql`). ``col`` must
    already be upper-cased and trimmed text. Characters outside the alphabet make ``instr``
    return 0, which the anchored ``regexp_extract`` guard rules out first.
    """
    terms = " + ".join(
        f"{w} * (instr('{ALPHABET}', substr({col}, {i + 1}, 1)) - 1)"
        for i, w in enumerate(WEIGHTS)
    )
    return (
        f"(coalesce(regexp_extract({col}, '^[0-9A-HJ-NPQRTUWXY]{{18}}$', 0) <> '', false) and "
        f"substr('{ALPHABET}', ((31 - (({terms}) % 31)) % 31) + 1, 1) = substr({col}, 18, 1))"
    )
