"""County-level China end to end: distances, a 10^7-record registry on DuckDB and Spark,
networks at four thresholds, TWFE on the connected-pair panel.

    .venv/bin/python benchmarks/county.py [--records 10000000] [--stages all]

Each stage runs in its own child process; the parent prints its wall time, the child's peak
resident memory (``wait4``'s ``ru_maxrss``: the Python process and the children it reaped) and the
peak of the whole process tree's summed RSS sampled every 0.2 s (it includes the JVM that pyspark
starts, which ``ru_maxrss`` does not see), then a table. Data go to ``benchmarks/_data/county/``.

1. ``distances``: border distances of all unordered pairs of the ~2,874 county-level polygons
   (:func:`pairnet.spatial.distances.border_km_pairs`).
2. ``registry``: a seeded national registry of ``--records`` shareholder records (Parquet, every
   column text): 2 M firms in every county, located by their city field (a county adcode, 60 %),
   a valid USCC (20 %) or only their name (20 %); dates in every accepted form (ISO, YYYYMMDD,
   年月日, Excel serials, Unix seconds), 1 % exact duplicates, natural persons, branches,
   non-manufacturing codes.
3. ``ingest-duckdb`` / ``ingest-spark``: :func:`pairnet.panels.registry.ingest_registry` with
   every prefecture as origin and destination (the rules locate firms at prefecture level:
   ~113 k ordered pairs x 19 years), on each engine (Spark: ``local[2]``, or ``--spark-master``);
   the two panels and audits must be identical.
4. ``networks``: county flows (a seeded gravity model on the distances of stage 1, 19 years) ->
   :func:`pairnet.network.pipeline.network_analysis` on all counties at thresholds 1, 3, 5, 10.
5. ``twfe``: the connected county pairs (a tie in some year) x 19 years, zero-filled, a seeded
   staggered treatment -> :func:`pairnet.analyses.did.twfe` (pyfixest, pair and year effects,
   SE clustered by pair).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data" / "county"
YEARS = (2000, 2018)
STAGES = ("distances", "registry", "ingest-duckdb", "networks", "twfe", "ingest-spark")


# ------------------------------------------------------------------------------------------
# stages (each runs in a child process: python county.py --stage NAME)
# ------------------------------------------------------------------------------------------


def stage_distances(a: argparse.Namespace) -> dict:
    import numpy as np
    import pandas as pd

    from pairnet.spatial.boundaries import load_all_counties
    from pairnet.spatial.distances import as_lonlat_wgs84, border_km_pairs

    counties = as_lonlat_wgs84(load_all_counties())
    geoms = np.asarray(counties.geometry.values, dtype=object)
    i, j = np.triu_indices(len(geoms), k=1)
    km, _ = border_km_pairs(geoms, i, j)
    codes = counties["city"].astype(str).to_numpy()
    pd.DataFrame({"a": codes[i], "b": codes[j], "border_km": km}).to_parquet(
        DATA / "distances.parquet", index=False)
    return {"counties": int(len(geoms)), "pairs": int(len(i))}


def stage_registry(a: argparse.Namespace) -> dict:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pairnet.panels.uscc import make_codes
    from pairnet.spatial.cities import admin_index

    rng = np.random.default_rng(15)
    idx = admin_index()
    cty = idx[(idx["level"] == "county") & idx["prefecture"].notna()]
    pref_name = dict(zip(idx.loc[idx["level"] == "prefecture", "adcode"].astype(str),
                         idx.loc[idx["level"] == "prefecture", "name"], strict=True))
    county = cty["adcode"].astype(str).to_numpy()
    county_pref = cty["prefecture"].astype(str).to_numpy()
    n_firms = 2_000_000
    fc = rng.integers(0, len(county), n_firms)  # each firm's county
    how = rng.choice(3, size=n_firms, p=[0.6, 0.2, 0.2])  # city field / uscc / name only
    firm_city = np.where(how == 0, county[fc], None)
    firm_uscc = np.where(how == 1, make_codes(county[fc], rng), None)
    names = np.array([pref_name.get(p, "") for p in county_pref])
    firm_name = np.char.add(np.char.add(np.where(how == 2, names[fc], ""), "某"),
                            np.char.add(np.arange(n_firms).astype(str), "有限公司")).astype(object)
    writer = None
    path = DATA / "registry.parquet"
    total, chunk = 0, 1_000_000
    epoch = np.datetime64("1970-01-01")
    while total < a.records:
        m = min(chunk, a.records - total)
        inv = rng.integers(0, n_firms, m)
        ee = rng.integers(0, n_firms, m)
        day = rng.integers((np.datetime64("1996-01-01") - epoch).astype(int),
                           (np.datetime64("2021-01-01") - epoch).astype(int), m)
        d64 = epoch + day.astype("timedelta64[D]")
        iso = np.datetime_as_string(d64, unit="D").astype(object)
        form = rng.choice(5, size=m, p=[0.5, 0.2, 0.1, 0.1, 0.1])
        ymd = np.char.replace(iso.astype(str), "-", "").astype(object)
        parts = np.char.split(iso.astype(str), "-")
        cn = np.array([f"{int(p[0])}年{int(p[1])}月{int(p[2])}日" for p in parts[form == 2]],
                      dtype=object)
        date = iso.copy()
        date[form == 1] = ymd[form == 1]
        date[form == 2] = cn
        date[form == 3] = (day[form == 3] + 25569).astype(str)  # Excel serial
        date[form == 4] = (day[form == 4] * 86400 + 43200).astype(str)  # Unix seconds
        manuf = rng.uniform(size=m) < 0.75
        ind = np.where(manuf, np.char.add("C", rng.integers(13, 44, m).astype(str)),
                       "F5191").astype(object)
        typ = np.where(rng.uniform(size=m) < 0.1, "自然人", "企业法人").astype(object)
        kind = np.where(rng.uniform(size=m) < 0.1, "branch", "shareholding").astype(object)
        cols = {"investor_name": firm_name[inv], "investor_type": typ,
                "investor_city": firm_city[inv], "investor_uscc": firm_uscc[inv],
                "investee_name": firm_name[ee], "investee_city": firm_city[ee],
                "investee_uscc": firm_uscc[ee], "industry_code": ind, "date": date,
                "kind": kind}
        dup = rng.uniform(size=m) < 0.01  # exact duplicates of the previous record
        dup[0] = False
        src = np.arange(m)
        src[dup] -= 1
        table = pa.table({k: pa.array(v[src], type=pa.string()) for k, v in cols.items()})
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=262_144)
        total += m
    assert writer is not None
    writer.close()
    return {"records": total, "firms": n_firms, "mb": round(path.stat().st_size / 2 ** 20)}


def _prefectures() -> list[str]:
    from pairnet.spatial.cities import admin_index

    idx = admin_index()
    return sorted(idx.loc[idx["level"] == "prefecture", "adcode"].astype(str))


def _ingest(a: argparse.Namespace, engine: str) -> dict:
    from pairnet.panels.registry import ingest_registry

    pref = _prefectures()
    res = ingest_registry(DATA / "registry.parquet", origins=pref, destinations=pref,
                          years=YEARS, engine=engine, spark_master=a.spark_master)  # type: ignore[arg-type]
    res.panel.to_parquet(DATA / f"panel_{engine}.parquet", index=False)
    res.audit.to_parquet(DATA / f"audit_{engine}.parquet", index=False)
    kept = int(res.audit.loc[res.audit["step"] == "kept", "rows"].sum())
    return {"records": res.n_records, "kept": kept, "pair_years": int(len(res.panel))}


def stage_ingest_duckdb(a: argparse.Namespace) -> dict:
    return _ingest(a, "duckdb")


def stage_ingest_spark(a: argparse.Namespace) -> dict:
    out = _ingest(a, "spark")
    import pandas as pd

    same = all(pd.read_parquet(DATA / f"{k}_spark.parquet").equals(
        pd.read_parquet(DATA / f"{k}_duckdb.parquet")) for k in ("panel", "audit")) \
        if (DATA / "panel_duckdb.parquet").exists() else None
    return {**out, "identical_to_duckdb": same}


def _county_flows():
    import numpy as np
    import pandas as pd

    dist = pd.read_parquet(DATA / "distances.parquet")
    rng = np.random.default_rng(16)
    # both directions; a gravity model: ties fall with border distance, grow over the years
    o = np.concatenate([dist["a"].to_numpy(), dist["b"].to_numpy()])
    d = np.concatenate([dist["b"].to_numpy(), dist["a"].to_numpy()])
    km = np.tile(dist["border_km"].to_numpy(), 2)
    lam = 6.0 * np.exp(-km / 40.0)
    frames = []
    for k, year in enumerate(range(YEARS[0], YEARS[1] + 1)):
        c = rng.poisson(lam * (0.5 + 0.05 * k))
        nz = c > 0
        frames.append(pd.DataFrame({"origin": o[nz], "destination": d[nz], "year": year,
                                    "count": c[nz]}))
    nodes = sorted(set(dist["a"]) | set(dist["b"]))
    return pd.concat(frames, ignore_index=True), nodes


def stage_networks(a: argparse.Namespace) -> dict:
    from pairnet.network.pipeline import network_analysis

    flows, nodes = _county_flows()
    flows.to_parquet(DATA / "county_flows.parquet", index=False)
    t = time.perf_counter()
    res = network_analysis(flows, nodes, (1, 3, 5, 10))
    secs = time.perf_counter() - t
    return {"nodes": len(nodes), "pair_year_ties": int(len(flows)),
            "graphs": int(len(res.metrics)), "network_analysis_s": round(secs, 2)}


def stage_twfe(a: argparse.Namespace) -> dict:
    import numpy as np
    import pandas as pd

    from pairnet.analyses.did import prepare_panel, twfe

    flows = pd.read_parquet(DATA / "county_flows.parquet")
    pairs = flows[["origin", "destination"]].drop_duplicates().reset_index(drop=True)
    pairs["pair"] = np.arange(len(pairs))
    years = np.arange(YEARS[0], YEARS[1] + 1)
    panel = pairs.loc[np.repeat(pairs.index, len(years))].reset_index(drop=True)
    panel["year"] = np.tile(years, len(pairs))
    panel = panel.merge(flows, on=["origin", "destination", "year"], how="left")
    panel["count"] = panel["count"].fillna(0).astype("int64")
    rng = np.random.default_rng(17)
    dests = panel["destination"].unique()
    cohort = dict(zip(dests, np.where(rng.uniform(size=len(dests)) < 0.1,
                                      rng.integers(2005, 2015, len(dests)), 0), strict=True))
    panel["cohort"] = panel["destination"].map(cohort)
    treated = (panel["cohort"] > 0) & (panel["year"] >= panel["cohort"])
    panel["count"] += rng.poisson(0.3 * treated.to_numpy())
    t = time.perf_counter()
    p = prepare_panel(panel, unit="pair", time="year", cohort="cohort", y="count")
    res = twfe(p, cluster2=False)
    secs = time.perf_counter() - t
    coef = res.tidy().set_index("term").loc["treat"]
    return {"pairs": int(len(pairs)), "rows": int(len(panel)),
            "treat": round(float(coef["estimate"]), 4), "se": round(float(coef["std_error"]), 4),
            "twfe_s": round(secs, 2)}


# ------------------------------------------------------------------------------------------


def _tree_peak(pid: int, stop: threading.Event, peak: list[int]) -> None:
    """Sample the summed RSS of ``pid`` and its descendants (the JVM of Spark) until ``stop``."""
    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    while not stop.is_set():
        total = 0
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for p in procs:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        peak[0] = max(peak[0], total)
        stop.wait(0.2)


def _child(stage: str, a: argparse.Namespace) -> None:
    out = globals()["stage_" + stage.replace("-", "_")](a)
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=10_000_000)
    ap.add_argument("--stages", default="all", help="comma-separated, of " + ", ".join(STAGES))
    ap.add_argument("--spark-master", default=None)
    ap.add_argument("--stage", help=argparse.SUPPRESS)
    a = ap.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    if a.stage:
        _child(a.stage, a)
        return
    stages = STAGES if a.stages == "all" else tuple(a.stages.split(","))
    rows = []
    for st in stages:
        cmd = [sys.executable, __file__, "--stage", st, "--records", str(a.records)]
        if a.spark_master:
            cmd += ["--spark-master", a.spark_master]
        t = time.perf_counter()
        with open(DATA / f"{st}.out", "w") as out, open(DATA / f"{st}.err", "w") as err:
            proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
            stop, peak = threading.Event(), [0]
            sampler = threading.Thread(target=_tree_peak, args=(proc.pid, stop, peak))
            sampler.start()
            _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak memory
            stop.set()
            sampler.join()
        secs = time.perf_counter() - t
        if os.waitstatus_to_exitcode(status) != 0:
            print(f"{st}: FAILED\n{(DATA / f'{st}.err').read_text()[-3000:]}", flush=True)
            continue
        info = json.loads((DATA / f"{st}.out").read_text().strip().splitlines()[-1])
        mem = f"{usage.ru_maxrss / 1024:,.0f} MB"
        tree = f"{peak[0] / 2 ** 20:,.0f} MB"
        print(f"{st:<14} {secs:9.1f} s  peak RSS {mem:>10}  process tree {tree:>10}  {info}",
              flush=True)
        rows.append({"stage": st, "seconds": round(secs, 1), "peak_rss": mem,
                     "tree_peak_rss": tree, **info})
    print(json.dumps(rows, ensure_ascii=False))


if __name__ == "__main__":
    main()
