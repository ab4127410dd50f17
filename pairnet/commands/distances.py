"""``pairnet distances``: the four distances (km) for every ordered origin × destination pair."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def command(
    origins: Annotated[str, typer.Option(
        "--origins", help="IDS: adcodes, Chinese names or a group (PRD, EWN, GD, YRD); with "
                          "--boundaries, values of the id column.")],
    destinations: Annotated[str, typer.Option("--destinations", help="IDS, as for --origins.")],
    out: Annotated[Path, typer.Option("--out", help="Output CSV.")] = Path("distances.csv"),
    boundaries: Annotated[Path | None, typer.Option(
        "--boundaries", help="Your boundary file (GeoJSON, GeoPackage, Shapefile, GeoParquet).",
    )] = None,
    id_col: Annotated[str | None, typer.Option(
        "--id-col", help="Id column of --boundaries.")] = None,
    datum: Annotated[str, typer.Option(
        "--datum", help="Datum of --boundaries coordinates: WGS-84 or GCJ-02 (Amap).")] = "WGS-84",
    level: Annotated[str, typer.Option(
        "--level", help="Built-in boundaries: prefecture, county or any (both).")] = "prefecture",
) -> None:
    """Border, centroid and region distances (km, geodesic on WGS-84) between cities."""
    from typing import cast

    from pairnet.core.errors import InputError
    from pairnet.core.options import check_literal
    from pairnet.core.outputs import check_out_file
    from pairnet.core.tables import write_table
    from pairnet.spatial.cities import Level
    from pairnet.spatial.datum import Datum
    from pairnet.spatial.distances import measure_distances

    check_out_file(out)
    level_ = cast(Level, check_literal(level, Level, "level"))
    check_literal(datum, Datum, "datum")

    user = None
    if boundaries is not None:
        if not id_col:
            raise InputError("--boundaries needs --id-col", file=str(boundaries),
                             fix="name the column holding city ids with --id-col")
        from pairnet.spatial.boundaries import read_boundaries

        user = read_boundaries(boundaries, id_col, datum=datum)
    elif id_col:
        raise InputError("--id-col only applies with --boundaries",
                         fix="add --boundaries FILE or drop --id-col")
    res = measure_distances(origins, destinations, boundaries=user, level=level_)
    table = res.tidy()
    if user is None:
        from pairnet.spatial.cities import resolve_cities

        o_ids, d_ids = (resolve_cities(origins, level=level_),
                        resolve_cities(destinations, level=level_))
    else:
        from pairnet.core.options import parse_list

        o_ids, d_ids = parse_list(origins), parse_list(destinations)
    both = [c for c in o_ids if c in d_ids]
    if both:
        typer.echo(f"pairnet distances: note: {', '.join(both[:8])}"
                   f"{' and more' if len(both) > 8 else ''} "
                   f"{'is' if len(both) == 1 else 'are'} both origin and destination; a city's "
                   "distance to itself is not a pair, so it is left out", err=True)
    write_table(table, out)
    typer.echo(f"wrote {len(table)} pairs to {out}")
