"""Table I/O: encodings, ids as strings, clear errors naming file, column and rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pairnet.core.errors import InputError, format_rows
from pairnet.core.options import check_literal, parse_years
from pairnet.core.tables import (
    check_unique,
    detect_encoding,
    id_strings,
    numeric_column,
    read_table,
    to_jsonable,
)


def test_gbk_and_utf8_read_identically(tmp_path):
    text = "city,name,value\n440100,广州市,1.5\n441900,东莞市,2\n"
    (tmp_path / "u.csv").write_text(text, encoding="utf-8")
    (tmp_path / "g.csv").write_bytes(text.encode("gbk"))
    assert detect_encoding(tmp_path / "u.csv").startswith("utf-8")
    assert detect_encoding(tmp_path / "g.csv") == "gb18030"
    a = read_table(tmp_path / "u.csv", string_cols=["city"])
    b = read_table(tmp_path / "g.csv", string_cols=["city"])
    pd.testing.assert_frame_equal(a, b)
    assert a["city"].tolist() == ["440100", "441900"]
    assert a["value"].tolist() == [1.5, 2.0]


def test_undecodable_file_names_the_line_in_the_file(tmp_path):
    # the bad byte sits past the first 1 MiB read chunk: the line is the file's, not the chunk's
    head = b"a,b\n" + b"1,2\n" * (300_000)
    (tmp_path / "bad.csv").write_bytes(head + b"\xff\n")
    with pytest.raises(InputError, match="line 300002 is neither UTF-8 nor GBK"):
        detect_encoding(tmp_path / "bad.csv")


def test_leading_zeros_kept(tmp_path):
    (tmp_path / "t.csv").write_text("code,x\n012345,1\n", encoding="utf-8")
    assert read_table(tmp_path / "t.csv", string_cols=["code"])["code"].iloc[0] == "012345"


def test_missing_column_names_file_and_column(tmp_path):
    (tmp_path / "t.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_table(tmp_path / "t.csv", required=["a", "count"], what="flows table")
    msg = str(err.value)
    assert "t.csv" in msg and "count" in msg and "Fix:" in msg


def test_empty_and_missing_files(tmp_path):
    (tmp_path / "e.csv").write_text("a,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="no rows"):
        read_table(tmp_path / "e.csv")
    with pytest.raises(InputError, match="not found"):
        read_table(tmp_path / "nope.csv")


def test_numeric_column_names_rows():
    df = pd.DataFrame({"y": ["1", "x", "3", "-2"]})
    with pytest.raises(InputError) as err:
        numeric_column(df, "y", file="d.csv")
    assert "row 2" in str(err.value) and "'y'" in str(err.value)
    df = pd.DataFrame({"y": [1, -2, 3.5]})
    with pytest.raises(InputError, match="negative"):
        numeric_column(df, "y", nonnegative=True)
    with pytest.raises(InputError, match="non-integer"):
        numeric_column(df, "y", integer=True)


def test_check_unique_lists_duplicates():
    df = pd.DataFrame({"u": ["a", "a", "b"], "t": [1, 1, 1]})
    with pytest.raises(InputError) as err:
        check_unique(df, ["u", "t"], file="p.csv")
    assert "rows 1, 2" in str(err.value)


def test_literal_and_years():
    from typing import Literal

    assert check_literal("never", Literal["never", "notyet"], "--control-group") == "never"
    with pytest.raises(InputError, match="expecting one of"):
        check_literal("nope", Literal["never", "notyet"], "--control-group")
    assert parse_years("2000-2018") == (2000, 2018)
    assert parse_years("2005") == (2005, 2005)
    with pytest.raises(InputError):
        parse_years("2018-2000")


def test_format_rows_and_json():
    assert format_rows([0]) == "row 1"
    assert format_rows(range(20), limit=3) == "rows 1, 2, 3 (and 17 more)"
    import numpy as np

    assert to_jsonable({"a": np.float64("nan"), "b": np.int64(3)}) == {"a": None, "b": 3}


def test_outputs_may_not_overwrite_inputs_or_each_other(tmp_path):
    from pairnet.core.outputs import check_outputs, ensure_out_dir


    reg = tmp_path / "reg.csv"
    reg.write_text("x\n1\n", encoding="utf-8")
    with pytest.raises(InputError, match="--audit .* same file as --out"):
        check_outputs({"REGISTRY": reg}, {"--out": tmp_path / "p.csv",
                                          "--audit": tmp_path / "p.csv"})
    with pytest.raises(InputError, match="same file as REGISTRY"):
        check_outputs({"REGISTRY": reg}, {"--out": reg})
    check_outputs({"REGISTRY": reg}, {"--out": tmp_path / "p.csv", "--audit": tmp_path / "a.csv"})
    with pytest.raises(InputError, match="must be a folder"):
        ensure_out_dir(reg)
    assert ensure_out_dir(tmp_path / "new" / "dir").is_dir()


def test_id_strings_keep_digits_drop_float_suffix_and_strip():
    assert id_strings(pd.Series([12345678901234567, 440100])).tolist() == [
        "12345678901234567", "440100"]
    assert id_strings(pd.Series([440100.0, np.nan])).tolist() == ["440100", pd.NA]
    assert id_strings(pd.Series([1e20, 7.0])).tolist() == ["100000000000000000000", "7"]
    assert id_strings(pd.Series([7.5])).tolist() == ["7.5"]
    assert id_strings(pd.Series([" 007 ", None], dtype="string")).tolist() == ["007", pd.NA]
    assert id_strings(pd.Series([440100.0, " A1 ", 7], dtype=object)).tolist() == [
        "440100", "A1", "7"]
