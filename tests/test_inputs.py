"""The parks reader's bilingual cells (issue 14): ``source_zh`` and the confidence words."""

from __future__ import annotations

import pandas as pd

from pairnet.core.i18n import Text
from pairnet.core.outputs import table_html
from pairnet.core.results import Table
from pairnet.inputs import check_parks, read_parks


def test_parks_source_zh_folds_into_a_bilingual_source(tmp_path):
    parks = tmp_path / "parks.csv"
    parks.write_text("helper,recipient,park,first_year,confidence,source,source_zh\n"
                     "广州,梅州,a,2008,high,agreement signed 2008,2008 年签订协议\n"
                     "深圳,河源,b,2009,fairly sure,press report,\n", encoding="utf-8")
    df = read_parks(parks)
    assert "source_zh" not in df.columns
    assert df["source"].tolist() == ["agreement signed 2008", "press report"]  # files: English
    assert isinstance(df["source"].iloc[0], Text) and not isinstance(df["source"].iloc[1], Text)
    # (a number is kept with the word before it by a no-break space)
    zh, en = (table_html(Table(df, "parks"), lang).replace("\xa0", " ") for lang in ("zh", "en"))
    assert "2008 年签订协议" in zh and ">高<" in zh and "agreement signed" not in zh
    # a row without a Chinese source, and a confidence word of the user's own, stay as written
    assert "press report" in zh and "fairly sure" in zh
    assert "agreement signed 2008" in en and ">high<" in en and "年签订" not in en
    # a parks table without the optional columns is unchanged
    plain = check_parks(pd.DataFrame({"helper": ["广州"], "recipient": ["梅州"], "park": ["a"],
                                      "first_year": [2008]}))
    assert list(plain.columns) == ["helper", "recipient", "park", "first_year"]
