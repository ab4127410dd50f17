"""``pairnet ingest``: firm-registry records -> pair-year investment panel with an audit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

#: The input column behind each audit step, to point the user at it.
AUDIT_STEP_COLUMN = {"kind": "kind", "investor": "investor_type", "date": "date",
                     "industry": "industry_code", "city": "investor_city/investee_city",
                     "pair": "investor_city/investee_city"}
_COLUMN_HINT = {
    "date": "check the dates (2005-03-01, 20050301, 2005/3/1, 2005年3月1日, a Unix timestamp "
            "or an Excel serial number)",
    "industry_code": "check the GB/T 4754 codes (C3511, 3511, C35 or 35)",
    "kind": "check the kind values (shareholding or branch)",
    "investor_type": "check investor_type (natural persons are excluded)",
    "investor_city/investee_city": "check the city fields (adcodes or prefecture names), USCCs "
                                   "and firm names",
}


def command(
    registry: Annotated[Path, typer.Argument(
        help="Registry records: CSV (UTF-8 or GBK), Parquet, Excel or Stata.")],
    origins: Annotated[str, typer.Option(
        "--origins", help="Investor cities: adcodes, Chinese names or a group (PRD, EWN, GD).")],
    destinations: Annotated[str, typer.Option(
        "--destinations", help="Investee cities, as for --origins.")],
    years: Annotated[str, typer.Option("--years", help="Panel years FIRST-LAST.")] = "2000-2018",
    industry: Annotated[str, typer.Option(
        "--industry", help="manufacturing (GB/T 4754 divisions 13-43) or all.")] = "manufacturing",
    kind: Annotated[str, typer.Option(
        "--kind", help="Record kind to count: shareholding or branch.")] = "shareholding",
    columns: Annotated[str | None, typer.Option(
        "--columns", help="Rename file columns: 原列名=canonical,... (canonical: investor_name, "
                          "investor_type, investor_city, investor_uscc, investee_name, "
                          "investee_city, investee_uscc, industry_code, date, kind).")] = None,
    engine: Annotated[str, typer.Option(
        "--engine", help="Where the rules run: duckdb (embedded) or spark (pip install "
                         "'pairnet[spark]' and Java). Same rules, same outputs.")] = "duckdb",
    spark_master: Annotated[str | None, typer.Option(
        "--spark-master", help="Spark master URL for --engine spark (local[4], "
                               "spark://HOST:7077, yarn); default $SPARK_MASTER or local[2].")
    ] = None,
    out: Annotated[Path, typer.Option(
        "--out", help="Panel output (.csv or .parquet).")] = Path("panel.csv"),
    audit: Annotated[Path, typer.Option(
        "--audit", help="Audit output (.csv or .parquet).")] = Path("audit.csv"),
) -> None:
    """Count registry ties by origin city, destination city and year (seed 003 §4.1)."""
    from typing import cast

    from pairnet.core.errors import InputError
    from pairnet.core.options import check_literal, parse_years
    from pairnet.core.outputs import check_out_file, check_outputs
    from pairnet.core.tables import write_table
    from pairnet.panels.registry import Engine, Industry, Kind, ingest_registry

    check_outputs({"REGISTRY": registry}, {"`out`": out, "`audit`": audit})
    check_out_file(out)
    check_out_file(audit, option="`audit`")
    res = ingest_registry(registry, origins=origins, destinations=destinations,
                          years=parse_years(years),
                          industry=cast(Industry, check_literal(industry, Industry, "industry")),
                          kind=cast(Kind, check_literal(kind, Kind, "kind")), columns=columns,
                          engine=cast(Engine, check_literal(engine, Engine, "engine")),
                          spark_master=spark_master)
    write_table(res.audit, audit)
    if res.panel.empty:
        lost = res.audit[(res.audit["rows"] > 0) & ~res.audit["step"].isin(["kept", "panel"])]
        top = lost.sort_values("rows", ascending=False, kind="stable").head(3)
        why = "; ".join(f"{r.rows} {r.reason}" for r in top.itertuples()) or "no records"
        column = AUDIT_STEP_COLUMN.get(str(top["step"].iloc[0])) if len(top) else None
        raise InputError(
            f"no record survived the rules ({why}; audit written to {audit})",
            file=str(registry), column=column,
            fix=(_COLUMN_HINT.get(column or "", "check the records")
                 + " and --origins/--destinations, --years, --industry and --kind against the "
                   "audit"))
    write_table(res.tidy(), out)
    typer.echo(res.summary())
    typer.echo(f"wrote {len(res.panel)} pair-years to {out} and the audit to {audit}")
