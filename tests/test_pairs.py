import numpy as np
import pandas as pd
import pytest

from pairnet.core.errors import InputError
from pairnet.panels.demo_guangdong import parks_table
from pairnet.panels.pairs import build_pair_panel, park_cohorts


def flows():
    rows = []
    for o, d in (("440100", "441400"), ("440300", "441400"), ("440300", "441600")):
        for y in range(2004, 2012):
            rows.append((o, d, y, (y - 2000) % 3))
    return pd.DataFrame(rows, columns=["origin", "destination", "year", "count"])


PARKS = pd.DataFrame({
    "helper": ["广州", "440100", "深圳市"],
    "recipient": ["梅州", "441400", "441600"],
    "park": ["A", "B", "C"],
    "first_year": [2008, 2006, 2009],
})


def test_cohorts_take_the_earliest_park_and_resolve_names():
    c = park_cohorts(PARKS).set_index(["origin", "destination"])
    assert c.loc[("440100", "441400"), "cohort"] == 2006
    assert c.loc[("440100", "441400"), "parks"] == 2
    assert c.loc[("440300", "441600"), "cohort"] == 2009


def test_treatment_timing_by_hand():
    p = build_pair_panel(flows(), PARKS).set_index(["pair", "year"])
    assert p.loc[("440100-441400", 2005), "treat"] == 0
    assert p.loc[("440100-441400", 2006), "treat"] == 1
    assert p.loc[("440100-441400", 2006), "rel_time"] == 0
    assert p.loc[("440100-441400", 2004), "rel_time"] == -2
    assert p.loc[("440300-441600", 2008), "treat"] == 0
    assert p.loc[("440300-441600", 2009), "treat"] == 1
    never = p.loc["440300-441400"]
    assert (never["cohort"] == 0).all() and (never["treat"] == 0).all()
    assert never["rel_time"].isna().all()
    assert np.allclose(p["log_count"], np.log1p(p["count"]))
    assert len(p) == len(flows())


def test_controls_join_on_recipient_and_year_and_baseline_columns():
    ctrl = pd.DataFrame({"city": ["441400"] * 8 + ["441600"] * 8,
                         "year": list(range(2004, 2012)) * 2,
                         "freight": np.arange(16.0), "revenue_pc": np.arange(16.0) * 10})
    ctrl.loc[8, "freight"] = np.nan  # 441600 misses its baseline freight
    p = build_pair_panel(flows(), PARKS, ctrl, baseline=True)
    row = p[(p["pair"] == "440300-441400") & (p["year"] == 2007)].iloc[0]
    assert row["freight"] == 3.0 and row["revenue_pc"] == 30.0
    # baseline value (2004) × 1[year = 2007]
    assert row["freight_x2007"] == 0.0 and row["revenue_pc_x2007"] == 0.0
    r2 = p[(p["pair"] == "440300-441600") & (p["year"] == 2007)].iloc[0]
    assert r2["freight_x2007"] == 9.0  # earliest non-missing value (2005) stands in
    assert r2["revenue_pc_x2007"] == 80.0
    assert r2["freight_x2006"] == 0.0
    assert "freight_x2004" not in p.columns


def test_missing_controls_are_missing_not_zero():
    ctrl = pd.DataFrame({"city": ["441400"], "year": [2005], "freight": [1.0]})
    p = build_pair_panel(flows(), None, ctrl)
    assert p["freight"].notna().sum() == 2  # two pairs into 梅州 in 2005
    assert (p["treat"] == 0).all()


def test_bad_tables():
    with pytest.raises(InputError, match="first_year"):
        build_pair_panel(flows(), PARKS.assign(first_year=["x", "2006", "2009"]))
    with pytest.raises(InputError, match="first_year.*non-integer value 2005.5"):
        build_pair_panel(flows(), PARKS.assign(first_year=[2005.5, 2006, 2009]))
    with pytest.raises(InputError, match="first_year.*missing value"):
        build_pair_panel(flows(), PARKS.assign(first_year=[None, 2006, 2009]))
    with pytest.raises(InputError, match="lacks required"):
        build_pair_panel(flows().drop(columns="count"), PARKS)
    dup = pd.DataFrame({"city": ["441400", "441400"], "year": [2005, 2005], "freight": [1, 2]})
    with pytest.raises(InputError, match="one row per"):
        build_pair_panel(flows(), PARKS, dup)


def test_real_park_list_cohorts():
    c = park_cohorts(parks_table())
    assert len(c) == 16  # 16 distinct PRD -> EWN pairs
    assert c["origin"].str.startswith("44").all()
    gz_mz = c[(c["origin"] == "440100") & (c["destination"] == "441400")]
    assert int(gz_mz["cohort"].iloc[0]) == 2008


def test_baseline_never_comes_from_after_the_recipients_first_park():
    # 441400's first park is 2006; its freight is missing in 2004 and 2005, so no admissible
    # baseline exists: the interactions are missing (not 0 and not the 2006 value)
    ctrl = pd.DataFrame({"city": ["441400"] * 8 + ["441600"] * 8,
                         "year": list(range(2004, 2012)) * 2,
                         "freight": np.arange(16.0)})
    ctrl.loc[[0, 1], "freight"] = np.nan
    p = build_pair_panel(flows(), PARKS, ctrl, baseline=True)
    r = p[(p["destination"] == "441400") & (p["year"] == 2007)]
    assert r["freight_x2007"].isna().all()
    r2 = p[(p["destination"] == "441600") & (p["year"] == 2007)]
    assert (r2["freight_x2007"] == 8.0).all()


# --- Table 5's own sample (seed 003: all-industry connected pairs, all-industry branches) ---
def _registry(path):
    """Helpers 广州 (440100), 深圳 (440300); recipients 梅州 (441400), 河源 (441600), 汕尾 (441500).

    manufacturing shareholding ties: 440100->441400 only;
    all-industry shareholding ties: also 440300->441400 (services) and 440100->441600 (a
    record without industry code); 440300->441500 has a branch but no shareholding tie (not in
    the all-industry sample); branches: a manufacturing one (440100->441400) and a services
    one (440300->441400).
    """
    rows = [
        ("广州A公司", "有限责任公司", "440100", "梅州甲公司", "441400", "C3511", "2005-03-01", "股权"),
        ("广州A公司", "有限责任公司", "440100", "梅州乙公司", "441400", "C13", "2007-03-01", "股权"),
        ("深圳B公司", "有限责任公司", "440300", "梅州丙公司", "441400", "I65", "2006-05-01", "股权"),
        ("广州C公司", "有限责任公司", "440100", "河源丁公司", "441600", "", "2008-01-01", "股权"),
        ("广州A公司", "有限责任公司", "440100", "梅州分公司", "441400", "C3511", "2006-01-01", "分支机构"),
        ("深圳B公司", "有限责任公司", "440300", "梅州服务分公司", "441400", "L72", "2007-01-01", "分支机构"),
        ("深圳B公司", "有限责任公司", "440300", "汕尾分公司", "441500", "L72", "2007-01-01", "分支机构"),
    ]
    cols = ["investor_name", "investor_type", "investor_city", "investee_name", "investee_city",
            "industry_code", "date", "kind"]
    pd.DataFrame(rows, columns=cols).to_csv(path, index=False)
    return path


def test_table5_sample_is_the_all_industry_connected_pairs(tmp_path):
    from pairnet.panels.pairs import TABLE5_OUTCOMES, ingest_outcomes, table5_panel
    from pairnet.panels.registry import ingest_registry

    reg = _registry(tmp_path / "reg.csv")
    kw = dict(origins=["440100", "440300"], destinations=["441400", "441500", "441600"],
              years=(2004, 2009))
    manuf = ingest_registry(reg, **kw).panel
    assert set(zip(manuf["origin"], manuf["destination"])) == {("440100", "441400")}
    assert TABLE5_OUTCOMES["count_branches"] == {"industry": "all", "kind": "branch"}
    out = ingest_outcomes(reg, **kw)
    pairs = set(zip(out["origin"], out["destination"]))
    # connected in the all-industry shareholding data; the branch-only pair is not in it
    assert pairs == {("440100", "441400"), ("440300", "441400"), ("440100", "441600")}
    assert out.attrs["n_pairs"] == 3 and len(out) == 3 * 6       # every pair x every year
    by = out.set_index(["origin", "destination", "year"])
    assert by.loc[("440100", "441400", 2005), "count_all_industries"] == 1
    assert by.loc[("440100", "441400", 2007), "count_all_industries"] == 1
    assert by.loc[("440300", "441400", 2006), "count_all_industries"] == 1
    # branches of every industry, on the sample's pair-years (0 where none)
    assert by.loc[("440100", "441400", 2006), "count_branches"] == 1
    assert by.loc[("440300", "441400", 2007), "count_branches"] == 1
    assert out["count_branches"].sum() == 2 and out["count_all_industries"].sum() == 4
    union = ingest_outcomes(reg, **kw, sample=None)
    assert ("440300", "441500") in set(zip(union["origin"], union["destination"]))
    with pytest.raises(InputError, match="`sample`"):
        ingest_outcomes(reg, **kw, sample="count")
    parks = pd.DataFrame({"helper": ["广州"], "recipient": ["梅州"], "first_year": [2006]})
    t5 = table5_panel(out, parks)
    assert len(t5) == 18 and t5["pair"].nunique() == 3
    assert (t5["count"] == t5["count_all_industries"]).all()
    assert t5.loc[t5["pair"] == "440100-441400", "cohort"].eq(2006).all()
    assert t5.loc[t5["pair"] == "440300-441400", "cohort"].eq(0).all()
