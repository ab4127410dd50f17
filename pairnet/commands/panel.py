"""``pairnet panel``: the DID-ready pair-year panel (flows or registry + parks + controls + distances)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def command(
    data: Annotated[Path, typer.Argument(
        help="A flows table (origin, destination, year, count) or firm-registry records "
             "(as for `pairnet ingest`); which one is told from its columns.")],
    parks: Annotated[Path, typer.Option(
        "--parks", help="Parks table: helper, recipient (names or adcodes), park, first_year; "
                        "'builtin' = the Guangdong list shipped with pairnet.")],
    out: Annotated[Path, typer.Option("--out", help="Panel output (.csv or .parquet).")],
    controls: Annotated[Path | None, typer.Option(
        "--controls", help="Recipient city-year controls: city, year, freight, revenue_pc, "
                           "spending_pc, phones_pc, beds_per_10k.")] = None,
    distances: Annotated[str, typer.Option(
        "--distances", help="'auto' (the four distances from the built-in boundaries), "
                            "'none', or a file written by `pairnet distances`.")] = "auto",
    origins: Annotated[str | None, typer.Option(
        "--origins", help="Helper cities (IDS): keep flows from these; needed for a registry "
                          "input (e.g. PRD); default for flows: every origin.")] = None,
    destinations: Annotated[str | None, typer.Option(
        "--destinations", help="Recipient cities (IDS), as for --origins (e.g. EWN); "
                               "never-treated recipients are the DID's comparison pairs.")
    ] = None,
    years: Annotated[str, typer.Option(
        "--years", help="Panel years FIRST-LAST (registry input).")] = "2000-2018",
    industry: Annotated[str, typer.Option(
        "--industry", help="Registry input: manufacturing or all.")] = "manufacturing",
    kind: Annotated[str, typer.Option(
        "--kind", help="Registry input: shareholding or branch.")] = "shareholding",
    columns: Annotated[str | None, typer.Option(
        "--columns", help="Registry input: rename file columns, 原列名=canonical,...")] = None,
    table5: Annotated[bool, typer.Option(
        "--table5/--no-table5", help="Registry input: add the Table 5 outcomes "
                                     "count_all_industries and count_branches.")] = False,
    audit: Annotated[Path | None, typer.Option(
        "--audit", help="Registry input: audit output (default: next to --out, "
                        "NAME_audit.csv).")] = None,
) -> None:
    """Build the pair-year panel `pairnet did` runs on (unit pair, time year, cohort cohort)."""
    from pairnet.core.errors import InputError
    from pairnet.core.options import check_literal, parse_years
    from pairnet.core.outputs import check_out_file, check_outputs
    from pairnet.core.tables import table_columns, write_table
    from pairnet.inputs import read_controls, read_distances, read_flows, read_parks
    from pairnet.panels.pairs import ingest_outcomes, pair_panel
    from pairnet.panels.registry import REQUIRED as REGISTRY_COLUMNS
    from pairnet.panels.registry import Industry, Kind, ingest_registry, parse_column_map
    from pairnet.spatial.cities import resolve_cities

    check_literal(industry, Industry, "industry")
    check_literal(kind, Kind, "kind")
    if str(parks) == "builtin":
        from pairnet.study import builtin_parks

        parks = builtin_parks()
    cols = set(table_columns(data))
    renamed = {parse_column_map(columns).get(c, c) for c in cols}
    is_registry = set(REGISTRY_COLUMNS) <= renamed
    if not is_registry and not {"origin", "destination", "year", "count"} <= cols:
        raise InputError(
            "neither a flows table (origin, destination, year, count) nor a firm registry "
            f"({', '.join(REGISTRY_COLUMNS)}); found: {', '.join(sorted(cols))}",
            file=str(data), fix="rename the columns, or map registry columns with `columns`")
    audit_path = (audit or out.with_name(f"{out.stem}_audit.csv")) if is_registry else None
    check_outputs({"DATA": data, "`parks`": parks},
                  {"`out`": out, **({"`audit`": audit_path} if audit_path else {})})
    check_out_file(out)
    if audit_path is not None:
        check_out_file(audit_path, option="`audit`")
    if is_registry and not (origins and destinations):
        raise InputError("a registry input needs the helper and recipient cities",
                         file="`origins`/`destinations`",
                         fix="pass `origins` and `destinations` (e.g. PRD and EWN): every "
                             "recipient, paired or not, so never-treated pairs are compared")
    park_table = read_parks(parks)  # names resolve and years are whole numbers, before any work
    ctl = None if controls is None else read_controls(controls)
    helpers = resolve_cities(origins, argument="`origins`") if origins else None
    recipients = resolve_cities(destinations, argument="`destinations`") if destinations else None
    outcomes = None
    if is_registry:
        assert helpers is not None and recipients is not None
        y = parse_years(years)
        res = ingest_registry(data, origins=helpers, destinations=recipients, years=y,
                              industry=industry,  # type: ignore[arg-type]  # checked above
                              kind=kind, columns=columns)  # type: ignore[arg-type]
        assert audit_path is not None
        write_table(res.audit, audit_path)
        flows = res.panel
        if table5:
            outcomes = ingest_outcomes(data, origins=helpers, destinations=recipients, years=y,
                                       columns=parse_column_map(columns))
        typer.echo(res.summary())
    else:
        flows = read_flows(data)
    dist = None
    mode = distances.strip()
    if mode.lower() == "auto":
        from pairnet.spatial.distances import pair_distances

        # the helper region of region_*_km is the union of the helpers (seed 003 §4.4)
        dist = pair_distances(helpers or sorted(flows["origin"].astype(str).unique()),
                              recipients or sorted(flows["destination"].astype(str).unique()))
    elif mode.lower() != "none":
        dist = read_distances(Path(mode))
    panel = pair_panel(flows, park_table, ctl, distances=dist, helpers=helpers,
                       recipients=recipients, outcomes=outcomes, file=str(data))
    write_table(panel, out)
    n_pairs = panel["pair"].nunique()
    treated = int(panel.loc[panel["cohort"] > 0, "pair"].nunique())
    typer.echo(f"wrote {len(panel)} pair-years ({n_pairs} pairs, {treated} treated) to {out}"
               + (f" and the audit to {audit_path}" if audit_path else ""))
    typer.echo(f"next: pairnet did {out} --unit pair --time year --cohort cohort --y count "
               "--out DIR")
