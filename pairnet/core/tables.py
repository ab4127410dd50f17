"""Reading, checking and writing the plain tables that pass between layers.

Every reader here validates once, at the door, and raises :class:`~pairnet.core.errors.InputError`
naming the file, column, rows and the fix. Ids are always read as strings so that adcodes and
other codes keep their leading digits.
"""

from __future__ import annotations

import codecs
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pairnet.core.errors import InputError

__all__ = [
    "detect_encoding",
    "file_suffix",
    "id_strings",
    "read_table",
    "table_columns",
    "write_table",
    "write_json",
    "to_jsonable",
    "require_columns",
    "numeric_column",
    "check_unique",
]

_CHUNK = 1 << 20


def detect_encoding(path: str | Path) -> str:
    """Return ``"utf-8"`` (BOM or not) or ``"gb18030"`` for a text file.

    The whole file is decoded incrementally as UTF-8; the first invalid byte sequence means the
    file is GBK/GB18030 (a superset of GBK and GB2312). Files that are neither raise.

    Raises
    ------
    InputError
        When the file decodes as neither UTF-8 nor GB18030.
    """
    path = Path(path)
    try:
        for _ in decode_chunks(path, "utf-8"):
            pass
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        for _ in decode_chunks(path, "gb18030"):
            pass
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise InputError(
            f"text is neither UTF-8 nor GBK/GB18030 (bad bytes at offset {exc.start})",
            file=str(path),
            fix="save the file as UTF-8 CSV",
        ) from exc


def decode_chunks(path: str | Path, encoding: str) -> Iterator[str]:
    """Decode a file as ``encoding`` in 1 MiB chunks (bounded memory), yielding text.

    Raises
    ------
    UnicodeDecodeError
        At the first invalid byte sequence; ``exc.start`` is its offset in the file.
    """
    dec = codecs.getincrementaldecoder(encoding)()
    offset = 0  # file position of the current chunk, so errors name the file offset
    with Path(path).open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            try:
                text = dec.decode(chunk)
            except UnicodeDecodeError as exc:
                raise UnicodeDecodeError(exc.encoding, exc.object, exc.start + offset,
                                         exc.end + offset, exc.reason) from None
            yield text
            offset += len(chunk)
        yield dec.decode(b"", final=True)


def file_suffix(path: Path) -> str:
    """The table format extension of ``path`` (``.csv.gz`` counts as one), lower-case."""
    name = path.name.lower()
    for ext in (".csv.gz", ".tsv", ".csv", ".txt", ".parquet", ".pq", ".xlsx", ".xls", ".dta"):
        if name.endswith(ext):
            return ext
    return path.suffix.lower()


def read_table(
    path: str | Path,
    *,
    required: Sequence[str] = (),
    string_cols: Sequence[str] = (),
    columns: Mapping[str, str] | None = None,
    what: str = "table",
) -> pd.DataFrame:
    """Read a CSV (UTF-8 or GBK), Parquet, Excel or Stata file into a DataFrame.

    Parameters
    ----------
    path : str or Path
        The file; the format follows the extension.
    required : sequence of str
        Columns that must be present (after renaming).
    string_cols : sequence of str
        Columns read as strings (ids such as adcodes keep leading zeros). For CSV every column is
        first read as text and only the others are converted to numbers where they all parse.
    columns : mapping, optional
        Renames ``{file column: canonical column}`` applied right after reading.
    what : str
        What the table is, for messages ("flows table", "registry").

    Raises
    ------
    InputError
        Missing file, unreadable format, no rows, or a missing required column.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{what} file not found", file=str(path), fix="check the path")
    ext = file_suffix(path)
    try:
        if ext in (".csv", ".txt", ".tsv", ".csv.gz"):
            enc = "utf-8-sig" if ext == ".csv.gz" else detect_encoding(path)
            sep = "\t" if ext == ".tsv" else ","
            df = pd.read_csv(path, dtype=str, encoding=enc, sep=sep, keep_default_na=False,
                             na_values=[""])
            df = _restore_numbers(df, keep=set(string_cols) | set((columns or {}).keys()))
        elif ext in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        elif ext in (".xlsx", ".xls"):
            df = pd.read_excel(path)
        elif ext == ".dta":
            df = pd.read_stata(path)
        else:
            raise InputError(
                f"unknown file type '{ext}' for the {what}",
                file=str(path),
                fix="use .csv, .parquet, .xlsx or .dta",
            )
    except InputError:
        raise
    except Exception as exc:  # parser errors from pandas/pyarrow/openpyxl
        raise InputError(
            f"cannot read the {what}: {exc}", file=str(path),
            fix="check that the file is a valid CSV/Parquet/Excel/Stata file",
        ) from exc
    df.columns = [str(c).strip() for c in df.columns]
    if columns:
        df = df.rename(columns=dict(columns))
    # string ids must not come back as 440100.0 from Excel/Stata/Parquet
    for col in string_cols:
        if col in df.columns:
            df[col] = id_strings(df[col])
    require_columns(df, required, file=str(path), what=what)
    if len(df) == 0:
        raise InputError(f"the {what} has no rows", file=str(path),
                         fix="supply a file with a header and at least one record")
    return df


def table_columns(path: str | Path) -> list[str]:
    """The column names of a table file, reading only its header (or schema).

    Raises
    ------
    InputError
        Missing file or unreadable format (as :func:`read_table`).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found" if not path.exists() else "not a file",
                         file=str(path), fix="check the path")
    ext = file_suffix(path)
    try:
        if ext in (".csv", ".txt", ".tsv", ".csv.gz"):
            sep = "\t" if ext == ".tsv" else ","
            head = pd.read_csv(path, nrows=0, sep=sep, encoding="utf-8-sig"
                               if ext == ".csv.gz" else _head_encoding(path))
            cols = list(head.columns)
        elif ext in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            cols = list(pq.read_schema(path).names)
        elif ext in (".xlsx", ".xls"):
            cols = list(pd.read_excel(path, nrows=0).columns)
        elif ext == ".dta":
            with pd.read_stata(path, iterator=True) as reader:
                cols = list(reader.variable_labels())
        else:
            raise InputError(f"unknown file type '{ext}'", file=str(path),
                             fix="use .csv, .parquet, .xlsx or .dta")
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot read the header: {exc}", file=str(path),
                         fix="check that the file is a valid CSV/Parquet/Excel/Stata file"
                         ) from exc
    return [str(c).strip() for c in cols]


def _head_encoding(path: Path) -> str:
    """UTF-8 or GB18030, judged on the first 64 KiB (enough for a header line)."""
    raw = path.read_bytes()[:1 << 16]
    try:
        raw.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start > len(raw) - 4:  # a character cut at the 64 KiB boundary
            return "utf-8-sig"
        return "gb18030"


def _restore_numbers(df: pd.DataFrame, keep: set[str]) -> pd.DataFrame:
    out = {}
    for col in df.columns:
        s = df[col]
        if col in keep:
            out[col] = s
            continue
        num = pd.to_numeric(s, errors="coerce")
        out[col] = num if num.notna().sum() == s.notna().sum() else s
    return pd.DataFrame(out, index=df.index)


def _one_id(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return pd.NA
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return str(v).strip()


def id_strings(s: pd.Series) -> pd.Series:
    """Ids as strings without touching their digits (``440100.0`` from Excel -> ``"440100"``).

    Integer columns keep every digit (no float round trip); whole-number float columns lose
    their ``.0``; text is stripped; mixed object columns (spreadsheets) go value by value.
    Missing values stay ``<NA>``.
    """
    if pd.api.types.is_integer_dtype(s):
        return s.astype("string")
    if pd.api.types.is_float_dtype(s):
        vals = s.to_numpy(dtype=float, na_value=np.nan)
        ok = ~np.isnan(vals)
        # beyond int64 the cast would wrap; those rare values go the exact per-value way
        if np.all(vals[ok] == np.round(vals[ok])) and np.all(np.abs(vals[ok]) < 2.0**63):
            text = np.full(len(s), None, dtype=object)
            text[ok] = vals[ok].astype(np.int64).astype(str)
            return pd.Series(pd.array(text, dtype="string"), index=s.index)
    elif pd.api.types.is_string_dtype(s) and not (
            s.dtype == object and not s.map(lambda v: isinstance(v, str) or v is None).all()):
        return s.astype("string").str.strip()
    return s.map(_one_id).astype("string")


def require_columns(df: pd.DataFrame, required: Iterable[str], *, file: str | None = None,
                    what: str = "table") -> None:
    """Raise if any of ``required`` is missing from ``df``, listing what is there."""
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(
            f"the {what} lacks required column(s) {', '.join(missing)} "
            f"(found: {', '.join(map(str, df.columns))})",
            file=file,
            column=missing[0],
            fix="rename the column(s) in the file or map them with `columns` (原列名=canonical)",
        )


def numeric_column(df: pd.DataFrame, col: str, *, file: str | None = None,
                   integer: bool = False, nonnegative: bool = False,
                   allow_missing: bool = True) -> pd.Series:
    """Return ``df[col]`` as numbers, or raise naming the rows that are not.

    Raises
    ------
    InputError
        Non-numeric, non-integer (``integer=True``), negative (``nonnegative=True``) or
        missing (``allow_missing=False``) values.
    """
    raw = df[col]
    num = pd.to_numeric(raw, errors="coerce")
    bad = np.flatnonzero(num.isna().to_numpy() & raw.notna().to_numpy())
    if len(bad):
        example = raw.iloc[bad[0]]
        raise InputError(f"non-numeric value {example!r}", file=file, column=col, rows=bad,
                         fix="make the column numeric (no text, units or thousands separators)")
    if not allow_missing:
        miss = np.flatnonzero(num.isna().to_numpy())
        if len(miss):
            raise InputError("missing value", file=file, column=col, rows=miss,
                             fix="fill or drop these records")
    if integer:
        vals = num.to_numpy(dtype=float)
        frac = np.flatnonzero(~np.isnan(vals) & (vals != np.round(vals)))
        if len(frac):
            raise InputError(f"non-integer value {float(vals[frac[0]]):g}", file=file, column=col,
                             rows=frac, fix="use whole numbers")
    if nonnegative:
        neg = np.flatnonzero((num < 0).to_numpy())
        if len(neg):
            raise InputError(f"negative value {float(num.iloc[neg[0]]):g}", file=file, column=col,
                             rows=neg, fix="counts and amounts must be >= 0")
    return num


def check_unique(df: pd.DataFrame, keys: Sequence[str], *, file: str | None = None,
                 what: str = "record") -> None:
    """Raise if the ``keys`` columns do not identify rows uniquely, naming the duplicates."""
    dup = df.duplicated(list(keys), keep=False).to_numpy()
    if dup.any():
        rows = np.flatnonzero(dup)
        first = df.iloc[rows[0]][list(keys)].to_dict()
        raise InputError(
            f"duplicate {what} for ({', '.join(keys)}) = {first}",
            file=file, column=keys[0], rows=rows,
            fix=f"keep one row per ({', '.join(keys)}) (aggregate or remove the repeats)",
        )


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as CSV (UTF-8) or Parquet according to the extension; create folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ext = file_suffix(path)
    if ext in (".parquet", ".pq"):
        df.to_parquet(path, index=False)
    elif ext in (".csv", ".txt"):
        df.to_csv(path, index=False)
    else:
        raise InputError(f"unknown output type '{ext}'", file=str(path),
                         fix="name the output .csv or .parquet")
    return path


def to_jsonable(obj: Any) -> Any:
    """Convert numpy/pandas scalars and containers to JSON-safe Python (NaN/inf -> None)."""
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        return [to_jsonable(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, pd.Series):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, (pd.Timestamp,)):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_json(obj: Any, path: str | Path) -> Path:
    """Write ``obj`` as pretty UTF-8 JSON (``results.json``), numpy-safe and NaN-free."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_jsonable(obj), ensure_ascii=False, indent=2), encoding="utf-8")
    return path
