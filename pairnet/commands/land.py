"""``pairnet land``: land-sale cleaning and the benefit-sharing event study (seed 003 §5).

Parse the options, compute :func:`pairnet.analyses.land.land_study`, write its folder
(:func:`pairnet.core.outputs.write_result`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def parse_column_map(text: str | None) -> dict[str, str]:
    """``"电子监管号=supervision_no,土地用途=land_use"`` → ``{file column: canonical}``."""
    from pairnet.core.errors import InputError
    from pairnet.core.options import parse_list

    out: dict[str, str] = {}
    for item in parse_list(text):
        src, sep, dst = item.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise InputError(f"cannot read column mapping {item!r}", file="--columns",
                             fix="write FILE_COLUMN=canonical pairs separated by commas, "
                                 "e.g. 土地用途=land_use,供地方式=supply_method")
        out[src.strip()] = dst.strip()
    return out


def command(
    records: Annotated[Path, typer.Argument(help="Land transactions (CSV UTF-8/GBK, Parquet, "
                                                 "Excel) with supervision_no, county, location, "
                                                 "land_use, supply_method, area_ha, date.")],
    cities: Annotated[str, typer.Option("--cities", help="Prefectures kept (ids, names or "
                                                         "groups).")] = "EWN",
    years: Annotated[str, typer.Option("--years", help="Year window, FIRST-LAST.")]
    = "2011-2020",
    columns: Annotated[str | None, typer.Option(
        "--columns", help="Rename file columns: 土地用途=land_use,...")] = None,
    park_patterns: Annotated[str, typer.Option(
        "--park-patterns", help="A parcel is in a park when its location contains one of "
                                "these (comma-separated).")] = "产业转移工业园",
    empty: Annotated[str, typer.Option(
        "--empty", help="County-year-park cells without parcels: drop (paper) or log1p.")]
    = "drop",
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out/land"),
) -> None:
    """Clean land transactions (audited), estimate Figures 4-5, write DIR/."""
    from pairnet.analyses.land import land_study
    from pairnet.core.options import check_literal, parse_list, parse_years
    from pairnet.core.outputs import check_out_dir, write_result
    from pairnet.panels.land import EmptyCells

    check_literal(empty, EmptyCells, "empty")
    span, mapping, patterns = parse_years(years), parse_column_map(columns), parse_list(park_patterns)
    check_out_dir(out)  # before any work is done
    res = land_study(records, cities=cities, years=span, columns=mapping,
                     park_patterns=patterns, empty=empty)
    write_result(res, out)
    typer.echo(res.study.summary())
    typer.echo(f"wrote {out}")
