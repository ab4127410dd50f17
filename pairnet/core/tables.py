"""Reading, checking and writing the plain tables that pass between layers.

Every reader here validates once, at the door, and raises :class:`~pairnet.core.errors.InputError`
naming the file, column, rows and the fix. Ids are always read as strings so that adcodes and
other codes keep their leading digits.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import math
import os
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
    "atomic_path",
    "to_jsonable",
    "require_columns",
    "numeric_column",
    "check_unique",
]

_CHUNK = 1 << 20


def detect_encoding(path: str | Path) -> str:
    """Return ``"utf-8-sig"`` (BOM or not) or ``"gb18030"`` for a text file.

    The whole file is decoded incrementally as UTF-8; at the first invalid byte sequence the
    file is GBK/GB18030 (a superset of GBK and GB2312) — unless the text before it already held
    non-ASCII UTF-8 (Chinese in UTF-8): then the file mixes the two encodings, and reading it
    either way would garble part of it, so that is an error naming the first line that is not
    UTF-8.

    Raises
    ------
    InputError
        When the file mixes UTF-8 and GBK, or decodes as neither.
    """
    path = Path(path)
    try:
        for _ in decode_chunks(path, "utf-8"):
            pass
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        bad = exc.start
    head = _read_prefix(path, bad)
    if any(b >= 0x80 for b in head.removeprefix(b"\xef\xbb\xbf")):
        line = head.count(b"\n") + 1
        first = head.removeprefix(b"\xef\xbb\xbf")
        utf8_line = first[:next(i for i, b in enumerate(first) if b >= 0x80)].count(b"\n") + 1
        raise InputError(
            f"the file mixes encodings: line {utf8_line} is UTF-8 but line {line} is not "
            "(GBK?)", file=str(path),
            fix=f"re-save the whole file in one encoding (UTF-8), e.g. fix line {line} in an "
                "editor that shows the encoding, or convert the GBK part with iconv -f GBK "
                "-t UTF-8")
    try:
        for _ in decode_chunks(path, "gb18030"):
            pass
        return "gb18030"
    except UnicodeDecodeError as exc:
        line = _read_prefix(path, exc.start).count(b"\n") + 1
        raise InputError(
            f"line {line} is neither UTF-8 nor GBK/GB18030 text", file=str(path),
            fix="save the file as UTF-8 CSV",
        ) from None


def _read_prefix(path: Path, n: int) -> bytes:
    """The first ``n`` bytes of a file."""
    with path.open("rb") as fh:
        return fh.read(n)


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
    header_row: int | None = None,
) -> pd.DataFrame:
    """Read a CSV (UTF-8 or GBK), Parquet, Excel or Stata file into a DataFrame.

    Parameters
    ----------
    path : str or Path
        The file; the format follows the extension. A folder is read as a partitioned Parquet
        dataset when it holds ``.parquet`` files.
    required : sequence of str
        Columns that must be present (after renaming).
    string_cols : sequence of str
        Columns read as strings (ids such as adcodes keep leading zeros). For CSV every column is
        first read as text and only the others are converted to numbers where they all parse.
    columns : mapping, optional
        Renames ``{file column: canonical column}`` applied right after reading.
    what : str
        What the table is, for messages ("flows table", "registry").
    header_row : int, optional
        1-based row of the header in an Excel sheet or CSV file (rows above it, such as a
        title, are skipped). Default: the first row; when required columns are missing and
        a later row holds them, the error says which ``header_row`` to pass.

    Raises
    ------
    InputError
        Missing file, a folder that is not a Parquet dataset, unreadable format, no rows, a
        missing required column, or an infinite number (``inf``) in a numeric column.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{what} file not found", file=str(path), fix="check the path")
    ext = file_suffix(path)
    if path.is_dir() and not any(path.rglob("*.parquet")):
        raise InputError(f"{path} is a folder, not a {what} file", file=str(path),
                         fix="give the path of the file inside it (a folder is read only as a "
                             "partitioned Parquet dataset)")
    skip = 0 if header_row is None else _header_skip(header_row)
    try:
        if path.is_dir():
            df = pd.read_parquet(path)
        elif ext in (".csv", ".txt", ".tsv", ".csv.gz"):
            enc = "utf-8-sig" if ext == ".csv.gz" else detect_encoding(path)
            sep = "\t" if ext == ".tsv" else ","
            df = pd.read_csv(path, dtype=str, encoding=enc, sep=sep, keep_default_na=False,
                             na_values=[""], skiprows=skip)
            df = _restore_numbers(df, keep=set(string_cols) | set((columns or {}).keys()))
        elif ext in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        elif ext in (".xlsx", ".xls"):
            df = pd.read_excel(path, skiprows=skip)
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
            f"cannot read the {what}: {_one_line(exc)}", file=str(path),
            fix="check that the file is a valid CSV/Parquet/Excel/Stata file",
        ) from exc
    df.columns = [str(c).strip() for c in df.columns]
    if columns:
        df = df.rename(columns=dict(columns))
    # string ids must not come back as 440100.0 from Excel/Stata/Parquet
    for col in string_cols:
        if col in df.columns:
            df[col] = id_strings(df[col])
    unnamed = sum(str(c).startswith("Unnamed:") for c in df.columns)
    if header_row is None and len(df.columns) > 1 and unnamed >= len(df.columns) - 1:
        # one filled cell in the first row: a title above the real header
        row = next((i + 2 for i in range(min(len(df), 20))
                    if df.iloc[i].notna().sum() >= len(df.columns) - unnamed + 1), None)
        raise InputError(
            f"the first row of the {what} holds one cell ({df.columns[0]!r}), not column names "
            f"(a title above the header?)", file=str(path),
            fix="delete the rows above the header" + (
                f" (or pass `header_row` {row})" if row else
                " (or pass `header_row` N, the row of the column names)"))
    if header_row is None and any(c not in df.columns for c in required):
        found = _find_header(df, required, columns, path=path, ext=ext)
        if found is not None:
            raise InputError(
                f"the {what} lacks required column(s) "
                f"{', '.join(c for c in required if c not in df.columns)} in its first row, "
                f"but row {found} of the sheet holds them (a title above the header?)",
                file=str(path), column=next(c for c in required if c not in df.columns),
                fix=f"delete the rows above the header (or pass `header_row` {found})")
    require_columns(df, required, file=str(path), what=what)
    if len(df) == 0:
        raise InputError(f"the {what} has no rows", file=str(path),
                         fix="supply a file with a header and at least one record")
    _check_finite(df, file=str(path))
    return df


def _header_skip(header_row: int) -> int:
    if isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1:
        raise InputError(f"`header_row` must be a row number >= 1, got {header_row!r}",
                         file="`header_row`", fix="give the 1-based row of the header, e.g. 2")
    return header_row - 1


def _find_header(df: pd.DataFrame, required: Sequence[str],
                 columns: Mapping[str, str] | None, *, path: Path, ext: str) -> int | None:
    """The 1-based sheet row of the first top row holding every required column, or None."""
    rename = dict(columns or {})
    if ext in (".csv", ".txt", ".tsv"):
        sep = "\t" if ext == ".tsv" else ","
        try:
            head = _read_prefix(path, 1 << 16).decode(detect_encoding(path), errors="replace")
        except InputError:
            return None
        for i, line in enumerate(head.splitlines()[:20]):
            cells = {rename.get(c.strip().strip('"'), c.strip().strip('"'))
                     for c in line.split(sep)}
            if i > 0 and set(required) <= cells:
                return i + 1
        return None
    for i in range(min(len(df), 20)):
        cells = {rename.get(str(v).strip(), str(v).strip()) for v in df.iloc[i].tolist()
                 if not (isinstance(v, float) and math.isnan(v))}
        if set(required) <= cells:
            return i + 2
    return None


def _one_line(exc: BaseException) -> str:
    """An exception's message on one line (parser messages may span several)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def _check_finite(df: pd.DataFrame, *, file: str) -> None:
    """Refuse ``inf`` / ``-inf`` in numeric columns.

    No table holds a count or an amount that large, and every sum and model would silently
    break on it.
    """
    for col in df.columns:
        s = df[col]
        if not pd.api.types.is_float_dtype(s):
            continue
        vals = s.to_numpy(dtype=float, na_value=np.nan)
        bad = np.flatnonzero(np.isinf(vals))
        if len(bad):
            raise InputError(
                f"non-finite value {float(vals[bad[0]]):g} (not a number a table can hold)",
                file=file,
                column=str(col), rows=bad,
                fix="replace it with the real value, or leave the cell empty if it is missing")


def table_columns(path: str | Path) -> list[str]:
    """The column names of a table file, reading only its header (or schema).

    Raises
    ------
    InputError
        Missing file or unreadable format (as :func:`read_table`).
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=str(path), fix="check the path")
    if path.is_dir() and not any(path.rglob("*.parquet")):
        raise InputError(f"{path} is a folder, not a file", file=str(path),
                         fix="give the path of the file inside it (a folder is read only as a "
                             "partitioned Parquet dataset)")
    ext = file_suffix(path)
    try:
        if path.is_dir():
            import pyarrow.dataset as ds

            cols = list(ds.dataset(path, partitioning="hive").schema.names)
        elif ext in (".csv", ".txt", ".tsv", ".csv.gz"):
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
        raise InputError(f"cannot read the header: {_one_line(exc)}", file=str(path),
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
            fix="rename the column(s) in the file (or map them with `columns` "
                "原列名=canonical)",
        )


def numeric_column(df: pd.DataFrame, col: str, *, file: str | None = None,
                   integer: bool = False, nonnegative: bool = False,
                   allow_missing: bool = True, finite: bool = True) -> pd.Series:
    """Return ``df[col]`` as numbers, or raise naming the rows that are not.

    Raises
    ------
    InputError
        Non-numeric, infinite (``finite=True``, the default), non-integer (``integer=True``),
        negative (``nonnegative=True``) or missing (``allow_missing=False``) values. ``NaN``
        written as text is not a number: a missing value is an empty cell.
    """
    raw = df[col]
    num = pd.to_numeric(raw, errors="coerce")
    bad = np.flatnonzero(num.isna().to_numpy() & raw.notna().to_numpy())
    if len(bad):
        example = raw.iloc[bad[0]]
        nan_text = isinstance(example, str) and example.strip().lower() in (
            "nan", "-nan", "na", "n/a", "null", "none", "#n/a")
        raise InputError(f"non-numeric value {example!r}", file=file, column=col, rows=bad,
                         fix=("leave the cell empty for a missing value" if nan_text and
                              allow_missing else "give the value" if nan_text else
                              "make the column numeric (no text, units or thousands "
                              "separators)"))
    if finite:
        vals = num.to_numpy(dtype=float, na_value=np.nan)
        inf = np.flatnonzero(np.isinf(vals))
        if len(inf):
            raise InputError(f"non-finite value {float(vals[inf[0]]):g}", file=file, column=col,
                             rows=inf, fix="give a finite number (or leave the cell empty if "
                                           "it is missing)")
    if not allow_missing:
        miss = np.flatnonzero(num.isna().to_numpy())
        if len(miss):
            raise InputError("missing value (a number is required)", file=file, column=col,
                             rows=miss, fix="fill or drop these records")
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
    ext = file_suffix(path)
    if ext not in (".parquet", ".pq", ".csv", ".txt"):
        raise InputError(f"unknown output type '{ext}'", file=str(path),
                         fix="name the output .csv or .parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        if ext in (".parquet", ".pq"):
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False)
    return path


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` that replaces it only when the block succeeds.

    A failed or interrupted write (an exception, Ctrl-C, a full disk) leaves ``path`` as it
    was — never a half-written file under its name.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


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
    text = json.dumps(to_jsonable(obj), ensure_ascii=False, indent=2)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
