"""Registry ingest: DuckDB pipeline vs a straightforward pandas version.

    python benchmarks/ingest.py [--records 10000000] [--pandas-records 1000000]

1. Generates ``--records`` demo registry records in chunks of ~525k (each chunk is one seeded
   :func:`pairnet.panels.demo_guangdong.generate_guangdong_demo` run written to Parquet, so RAM stays
   bounded) and concatenates them with DuckDB into one Parquet file.
2. Runs :func:`pairnet.panels.registry.ingest_registry` (PRD -> EWN, manufacturing shareholding) on all
   records in a child process and reports its wall time and peak RSS (``getrusage`` of the child).
3. Runs the pandas version on the first ``--pandas-records`` records (whole chunks) in a child
   process — on all 10 million it would need many GB and a long time — and, for a same-size
   comparison, the DuckDB pipeline on the same subsample. The pandas time is extrapolated
   linearly to the full size (its row-wise steps are linear), and the ratio printed both ways.
   Both versions must give identical panels and audits on the subsample.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHUNK = 525_000


def generate(out: Path, n_records: int) -> tuple[Path, int, list[Path]]:
    import duckdb

    from pairnet.panels.demo_guangdong import generate_guangdong_demo

    chunks, total, k = [], 0, 0
    while total < n_records:
        p = generate_guangdong_demo(out / f"chunk{k:03d}", seed=1000 + k)
        n = json.loads(p["true_params"].read_text())["records"]["total"]
        chunks.append(p["registry"])
        total += n
        k += 1
        print(f"  chunk {k}: {total:,} records", flush=True)
    big = out / "registry.parquet"
    con = duckdb.connect()
    con.execute("set memory_limit = '1GB'").fetchall()
    files = ", ".join(f"'{c}'" for c in chunks)
    con.execute(f"copy (select * from read_parquet([{files}])) to '{big}' "
                "(format parquet, row_group_size 262144)").fetchall()
    con.close()
    return big, total, chunks


# ----------------------------------------------------------------------------- pandas version
def pandas_ingest(path: str, origins: list[str], destinations: list[str],
                  years: tuple[int, int] = (2000, 2018)):
    """The straightforward way: pandas, Python functions applied per value/row."""
    import re
    from datetime import datetime

    import pandas as pd

    from pairnet.panels.registry import AUDIT_ORDER, _balance, city_keys, name_keys
    from pairnet.panels.uscc import is_valid

    df = pd.read_parquet(path)
    n = len(df)
    ck = dict(zip(city_keys()["key"], city_keys()["prefecture"]))
    adc = {k: v for k, v in ck.items() if k.isdigit()}
    nk, provs = name_keys()
    nkd = dict(zip(nk["key"], nk["prefecture"]))
    name_rx = re.compile("|".join(re.escape(k) for k in sorted(nkd, key=len, reverse=True)))
    prov_rx = re.compile("|".join(re.escape(p) for p in provs))

    def locate(row, side):
        city, uscc, name = row[f"{side}_city"], row[f"{side}_uscc"], row[f"{side}_name"]
        if isinstance(city, str):
            c = city.strip().replace(" ", "")
            c = c[:6] if re.fullmatch(r"\d{6}(\.0*)?", c) else c
            if c in ck:
                return ck[c]
        if isinstance(uscc, str) and is_valid(uscc.strip()):
            d = uscc.strip().upper()[2:8]
            if d in adc:
                return adc[d]
        if isinstance(name, str):
            m = name_rx.search(prov_rx.sub("", name))
            if m:
                return nkd[m.group(0)]
        return None

    def year_of(s):
        if not isinstance(s, str):
            return None
        s = s.strip()
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y%m%d", "%Y/%m/%d", "%Y.%m.%d", "%Y-%m-%d"):
            try:
                return datetime.strptime(s, fmt).year
            except ValueError:
                pass
        return None

    def manuf(code):
        if not isinstance(code, str) or not code.strip():
            return None
        c = code.strip().upper().replace(" ", "")
        m = re.match(r"^[A-Z]?([0-9]{2})", c)
        if m:
            return 13 <= int(m.group(1)) <= 43
        if re.fullmatch(r"[A-Z]", c):
            return c == "C"
        return None

    dup = df.duplicated()
    kind = df["kind"].fillna("shareholding").str.strip().str.lower()
    kind = kind.map(lambda k: "shareholding" if k in ("shareholding", "shareholder", "equity",
                                                       "股权", "股东", "股东出资", "投资")
                    else "branch" if k in ("branch", "branch office", "分支机构", "分公司")
                    else "other")
    natural = df["investor_type"].fillna("").str.lower().str.contains("自然人|natural")
    year = df["date"].map(year_of)
    ind = df["industry_code"].map(manuf)
    o = df.apply(locate, axis=1, args=("investor",))
    d = df.apply(locate, axis=1, args=("investee",))
    out = pd.Series("kept|kept", index=df.index)
    conds = [
        (dup, "dedupe|duplicate"), (kind != "shareholding", "kind|other kind"),
        (natural, "investor|natural person"), (year.isna(), "date|unparseable date"),
        ((year < years[0]) | (year > years[1]), "date|year out of range"),
        (ind.isna(), "industry|missing industry"), (ind == False, "industry|non-manufacturing"),  # noqa: E712
        (o.isna(), "city|unresolved investor city"), (d.isna(), "city|unresolved investee city"),
        (~o.isin(origins), "pair|outside origin set"),
        (~d.isin(destinations), "pair|outside destination set"), (o == d, "pair|same city"),
    ]
    done = pd.Series(False, index=df.index)
    for cond, label in conds:
        hit = cond.fillna(False).astype(bool) & ~done
        out[hit] = label
        done |= hit
    by = out.value_counts().to_dict()
    audit = pd.DataFrame([(s, r, int(by.get(f"{s}|{r}", 0))) for s, r in AUDIT_ORDER],
                         columns=["step", "reason", "rows"])
    k = out == "kept|kept"
    kept = (pd.DataFrame({"origin": o[k], "destination": d[k], "year": year[k].astype(int)})
            .groupby(["origin", "destination", "year"]).size().rename("n").reset_index())
    panel, _ = _balance(kept, origins, destinations, *years)
    return panel, audit, n


# ----------------------------------------------------------------------------- children
def child(which: str, path: str, result: str) -> None:
    from pairnet.spatial.cities import GROUPS

    prd, ewn = list(GROUPS["PRD"]), list(GROUPS["EWN"])
    t = time.perf_counter()
    if which == "duckdb":
        from pairnet.panels.registry import ingest_registry

        res = ingest_registry(path, origins=prd, destinations=ewn, threads=2)
        panel, audit, n = res.panel, res.audit[res.audit["step"] != "panel"], res.n_records
    else:
        panel, audit, n = pandas_ingest(path, prd, ewn)
    secs = time.perf_counter() - t
    panel.to_parquet(result + ".panel.parquet")
    audit.reset_index(drop=True).to_parquet(result + ".audit.parquet")
    Path(result).write_text(json.dumps({"seconds": secs, "records": n}))


def run_child(which: str, path: Path, tmp: Path) -> dict:
    res = tmp / f"{which}-{path.stem}.json"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([sys.executable, __file__, "--child", which, str(path), str(res)], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = json.loads(res.read_text())
    # ru_maxrss (KiB on Linux) of the largest child so far: valid when this child is the largest
    out["peak_rss_mb"] = after / 1024 if after > before else None
    out["result"] = str(res)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=10_000_000)
    ap.add_argument("--pandas-records", type=int, default=1_000_000)
    ap.add_argument("--child", nargs=3)
    ap.add_argument("--keep", type=Path, default=None, help="keep the generated data here")
    a = ap.parse_args()
    if a.child:
        child(*a.child)
        return
    import duckdb
    import pandas as pd

    tmp = a.keep or Path(tempfile.mkdtemp(prefix="pairnet-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores (shared); data in {tmp}")
    t = time.perf_counter()
    big, total, chunks = generate(tmp, a.records)
    print(f"generated {total:,} records in {time.perf_counter() - t:.0f} s")
    sub_chunks = chunks[: max(1, round(a.pandas_records / CHUNK))]
    sub = tmp / "subsample.parquet"
    files = ", ".join(f"'{c}'" for c in sub_chunks)
    con = duckdb.connect()
    con.execute(f"copy (select * from read_parquet([{files}])) to '{sub}' (format parquet)"
                ).fetchall()
    con.close()

    full = run_child("duckdb", big, tmp)
    print(f"DuckDB, {full['records']:,} records: {full['seconds']:.1f} s, "
          f"peak RSS {full['peak_rss_mb']:.0f} MB")
    ds = run_child("duckdb", sub, tmp)
    ps = run_child("pandas", sub, tmp)
    same_panel = pd.read_parquet(ds["result"] + ".panel.parquet").equals(
        pd.read_parquet(ps["result"] + ".panel.parquet"))
    same_audit = pd.read_parquet(ds["result"] + ".audit.parquet").equals(
        pd.read_parquet(ps["result"] + ".audit.parquet"))
    print(f"subsample {ds['records']:,} records: DuckDB {ds['seconds']:.1f} s, "
          f"pandas {ps['seconds']:.1f} s -> ratio {ps['seconds'] / ds['seconds']:.1f}x; "
          f"identical panel: {same_panel}, identical audit: {same_audit}")
    extrap = ps["seconds"] * full["records"] / ps["records"]
    print(f"pandas extrapolated to {full['records']:,} records: {extrap:.0f} s "
          f"-> ratio {extrap / full['seconds']:.1f}x (pandas not run at full size: it would "
          f"need several GB of RAM for the string columns)")
    if ps.get("peak_rss_mb"):
        print(f"pandas peak RSS on the subsample: {ps['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
