"""``pairnet panel``: flows or registry + parks + controls + distances -> the DID-ready panel."""

from __future__ import annotations

import pandas as pd
import pytest

PRD = ["440100", "440300"]          # 广州, 深圳
EWN = ["441400", "441600", "440500"]  # 梅州, 河源, 汕头 (never paired here)


@pytest.fixture
def files(tmp_path):
    rows = [(o, d, y, (3 if (o, d) == ("440100", "441400") and y >= 2006 else 1))
            for o in PRD for d in EWN for y in range(2003, 2010)]
    flows = pd.DataFrame(rows, columns=["origin", "destination", "year", "count"])
    flows.loc[len(flows)] = ["440100", "440300", 2005, 9]  # helper -> helper: not a DID pair
    flows.to_csv(tmp_path / "flows.csv", index=False)
    pd.DataFrame({"helper": ["广州", "深圳"], "recipient": ["梅州", "河源"],
                  "park": ["A", "B"], "first_year": [2006, 2008]}).to_csv(
        tmp_path / "parks.csv", index=False)
    pd.DataFrame([(c, y, 10.0 + y - 2003) for c in EWN for y in range(2003, 2010)],
                 columns=["city", "year", "freight"]).to_csv(tmp_path / "controls.csv",
                                                            index=False)
    return tmp_path


def test_panel_then_did_chain(files, run_cli):
    out = files / "panel.csv"
    res = run_cli("panel", files / "flows.csv", "--parks", files / "parks.csv",
                  "--controls", files / "controls.csv", "--origins", "PRD",
                  "--destinations", "EWN", "--out", out)
    assert res.code == 0, res.stderr
    p = pd.read_csv(out, dtype={"origin": str, "destination": str})
    assert len(p) == 6 * 7 and p["pair"].nunique() == 6  # the helper->helper flow is left out
    coh = p.groupby("pair")["cohort"].first()
    assert coh["440100-441400"] == 2006 and coh["440300-441600"] == 2008
    assert (coh == 0).sum() == 4  # never-treated pairs stay in: they are the comparison
    assert {"freight", "border_km", "centroid_km", "region_centroid_km",
            "region_border_km"} <= set(p.columns)
    assert (p.loc[p["destination"] == "441400", "border_km"] > 0).all()
    t = p.loc[p["pair"] == "440100-441400"].set_index("year")["treat"]
    assert t[2005] == 0 and t[2006] == 1
    res = run_cli("did", out, "--diagnostics", "none", "--unit", "pair", "--time", "year", "--cohort", "cohort",
                  "--y", "count", "--placebo", "0", "--no-cs", "--out", files / "did")
    assert res.code == 0, res.stderr
    assert (files / "did" / "results.json").is_file()


@pytest.mark.parametrize(("args", "words"), [
    (["--parks", "{d}/nope.csv"], ["nope.csv", "not found"]),
    (["--parks", "{d}/parks.csv", "--distances", "{d}/nope.csv"], ["nope.csv"]),
    (["--parks", "{d}/parks.csv", "--out", "{d}/flows.csv"], ["--out", "same file"]),
    (["--parks", "{d}/parks.csv", "--origins", "火星"], ["--origins", "火星"]),
    (["--parks", "{d}", "--distances", "none"], ["parks"]),
])
def test_bad_inputs_exit_2_with_one_line(files, run_cli, args, words):
    args = [a.format(d=files) for a in args]
    if "--out" not in args:
        args += ["--out", str(files / "p.csv")]
    res = run_cli("panel", files / "flows.csv", *args)
    assert res.code == 2, res.stdout
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    for w in words:
        assert w in res.stderr, res.stderr


def test_neither_flows_nor_registry_and_duplicate_distances(files, run_cli):
    pd.DataFrame({"a": [1], "b": [2]}).to_csv(files / "odd.csv", index=False)
    res = run_cli("panel", files / "odd.csv", "--parks", files / "parks.csv",
                  "--out", files / "p.csv")
    assert res.code == 2 and "neither a flows table" in res.stderr
    pd.DataFrame({"origin": ["440100", "440100"], "destination": ["441400", "441400"],
                  "border_km": [1.0, 2.0]}).to_csv(files / "d.csv", index=False)
    res = run_cli("panel", files / "flows.csv", "--parks", files / "parks.csv",
                  "--distances", files / "d.csv", "--out", files / "p.csv")
    assert res.code == 2 and "duplicate distance pair" in res.stderr
    assert not (files / "p.csv").exists()
