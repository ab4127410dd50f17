import duckdb
import numpy as np
import pytest

from pairnet.panels.uscc import (
    ALPHABET,
    WEIGHTS,
    check_char,
    division_of,
    is_valid,
    make_codes,
    valid_sql,
)

# Real, published codes (company registers): 阿里巴巴(中国)有限公司, 深圳市腾讯计算机系统有限公司
REAL = ["91330100799655058B", "91440300708461136T"]


def test_alphabet_and_weights_follow_the_standard():
    assert len(ALPHABET) == 31 and not set("IOZSV") & set(ALPHABET)
    # weights are 3^(i) mod 31
    assert list(WEIGHTS) == [pow(3, i, 31) for i in range(17)]


@pytest.mark.parametrize("code", REAL)
def test_real_codes_are_valid(code):
    assert is_valid(code)
    assert is_valid(code.lower())  # case-insensitive
    assert division_of(code) == code[2:8]


def test_check_char_by_hand():
    # 17 zeros: sum 0 -> 31 - 0 = 31 -> '0'
    assert check_char("0" * 17) == "0"
    # '1' then zeros: sum = 1 -> 31 - 1 = 30 -> ALPHABET[30] = 'Y'
    assert check_char("1" + "0" * 16) == "Y"
    # 'A' (value 10) in position 2 (weight 3): sum 30 -> 1 -> '1'
    assert check_char("0A" + "0" * 15) == "1"


@pytest.mark.parametrize("bad", ["91330100799655058C", "91330100799655058", "9133010079965505 B",
                                 "91330100799655058I", "", None, 913301007996550584])
def test_invalid_codes(bad):
    assert not is_valid(bad)
    assert division_of(str(bad)) is None


def test_check_char_rejects_bad_input():
    with pytest.raises(ValueError):
        check_char("12345")
    with pytest.raises(ValueError):
        check_char("O" * 17)


def test_generated_codes_valid_and_invalid():
    rng = np.random.default_rng(3)
    divs = np.array(["440100", "441402", "110105"] * 100)
    want = rng.random(300) < 0.5
    codes = make_codes(divs, rng, valid=want)
    assert [is_valid(c) for c in codes] == list(want)
    assert all(c[2:8] == d for c, d in zip(codes, divs))


def test_sql_agrees_with_python():
    rng = np.random.default_rng(7)
    codes = list(make_codes(np.array(["440300"] * 200), rng, valid=rng.random(200) < 0.5))
    codes += REAL + ["91330100799655058C", "x", "9133010079965505OB"]
    con = duckdb.connect()
    got = con.execute(f"select c, {valid_sql('c')} from (select unnest(?) as c)",
                      [codes]).fetchall()
    assert {c: v for c, v in got} == {c: is_valid(c) for c in codes}
