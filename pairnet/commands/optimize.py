"""``pairnet optimize``: the planner's pairing optimizer."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

DistanceName = Literal["border_km", "centroid_km", "region_centroid_km", "region_border_km"]
# (a Literal needs the names spelled out; tests/test_optimize.py checks it equals
# spatial.distances.DISTANCE_MEASURES)


def _pairs(text: str | None, argument: str) -> list[tuple[str, str]]:
    from pairnet.core.errors import InputError
    from pairnet.core.options import parse_list
    from pairnet.spatial.cities import resolve_one

    out = []
    for item in parse_list(text):
        parts = item.replace("->", ":").split(":")
        if len(parts) != 2:
            raise InputError(f"cannot read pair {item!r}", file=argument,
                             fix="write pairs as HELPER:RECIPIENT, e.g. 广州:梅州,440300:441600")
        out.append((resolve_one(parts[0], argument=argument),
                    resolve_one(parts[1], argument=argument)))
    return out


def read_actual_pairs(path: Path) -> pd.DataFrame:
    """Read an actual pairing (parks) table into ``helper, recipient`` adcodes."""
    import pandas as pd

    from pairnet.core.tables import id_strings, read_table
    from pairnet.spatial.cities import resolve_column

    df = read_table(path, required=["helper", "recipient"],
                    string_cols=["helper", "recipient", "helper_adcode", "recipient_adcode"],
                    what="parks table")
    out = pd.DataFrame(index=df.index)
    for col in ("helper", "recipient"):
        src = f"{col}_adcode" if f"{col}_adcode" in df.columns else col
        out[col] = resolve_column(id_strings(df[src]), file=str(path), column=src)
    return out


def command(
    helpers: Annotated[str, typer.Option("--helpers", help="IDS of helper cities (e.g. PRD).")],
    recipients: Annotated[str, typer.Option("--recipients", help="IDS of recipients (e.g. EWN).")],
    out: Annotated[Path, typer.Option("--out", help="Output CSV of the optimal pairs.")],
    distance: Annotated[str, typer.Option(
        "--distance", help="border_km, centroid_km, region_centroid_km or region_border_km.")
    ] = "border_km",
    effect: Annotated[str | None, typer.Option(
        "--effect", help="b0,b1: predicted effect = b0 + b1 * distance_km.")] = None,
    from_results: Annotated[Path | None, typer.Option(
        "--from-results", help="Folder of a `pairnet did --distance COL` run.")] = None,
    variant: Annotated[str, typer.Option(
        "--variant", help="With --from-results: Table 4 with 'controls' or 'no_controls'.")
    ] = "controls",
    capacity: Annotated[int, typer.Option("--capacity", help="Recipients per helper.")] = 2,
    actual: Annotated[Path | None, typer.Option(
        "--actual", help="Actual pairing (parks table: helper,recipient,...).")] = None,
    forbidden: Annotated[str | None, typer.Option(
        "--forbid", help="Pairs that may not be chosen: H:R,H:R.")] = None,
    fixed: Annotated[str | None, typer.Option(
        "--fix", help="Pairs that must be chosen: H:R,H:R.")] = None,
    distances: Annotated[Path | None, typer.Option(
        "--distances", help="Precomputed `pairnet distances` CSV (else computed).")] = None,
    draws: Annotated[int, typer.Option(
        "--draws", help="Coefficient draws for chosen_share (0 = none).")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the draws.")] = 0,
    fig_dir: Annotated[Path | None, typer.Option(
        "--fig-dir", help="Step folder as in the report: results.json, tables/ (optimal "
                          "pairs with names, comparison), figures/optimal_pairs.{png,svg}.")
    ] = None,
) -> None:
    """Assign each recipient one helper (<= capacity each) to maximise the predicted effect.

    Writes OUT (optimal pairs: helper, recipient, distance_km, predicted_effect, chosen_share),
    OUT's stem + ``_candidates.csv`` (every pair) and OUT's stem + ``.json`` (summary); with
    ``--fig-dir`` also the step folder.
    """
    from typing import cast

    from pairnet.analyses.optimize import (
        EffectModel,
        Variant,
        effect_model_from_results,
        optimize_pairing,
    )
    from pairnet.core.errors import InputError
    from pairnet.core.options import check_literal
    from pairnet.core.outputs import check_out_dir, check_out_file, write_result
    from pairnet.core.tables import write_json, write_table
    from pairnet.spatial.cities import city_names, resolve_cities

    check_literal(distance, DistanceName, "distance")
    check_out_file(out)
    if fig_dir is not None:
        check_out_dir(fig_dir, option="`fig_dir`")
    if effect is not None and from_results is None:
        try:
            b0, b1 = (float(v) for v in effect.split(","))
        except ValueError as exc:
            raise InputError(f"cannot read coefficients {effect!r}", file="--effect",
                             fix="write --effect b0,b1, e.g. --effect 1.5,-0.004") from exc
        model = EffectModel(b0, b1, None, source="--effect", distance=distance)
        draws = 0  # no sampling distribution to draw from
    elif from_results is not None and effect is None:
        model = effect_model_from_results(from_results, distance,
                                          cast(Variant, check_literal(variant, Variant,
                                                                      "variant")))
    else:
        raise InputError("give exactly one of --effect b0,b1 and --from-results DIR",
                         file="--effect", fix="e.g. --effect 1.5,-0.004")

    if capacity < 1:
        raise InputError(f"--capacity must be at least 1, got {capacity}", file="--capacity",
                         fix="give the number of recipients one helper may take, e.g. 2")
    h_ids = resolve_cities(helpers, argument="`helpers`")
    r_ids = resolve_cities(recipients, argument="`recipients`")
    both = [c for c in h_ids if c in r_ids]

    def no_pair() -> InputError:
        return InputError(
            "no helper-recipient pair of distinct cities to assign",
            file=str(distances) if distances is not None else "--helpers/--recipients",
            fix="give helpers and recipients that differ (and, with --distances, a table "
                "covering them: `pairnet distances`)")

    if not any(h != r for h in h_ids for r in r_ids):
        raise no_pair()
    if distances is not None:
        from pairnet.inputs import read_distances

        table = read_distances(distances, required=(distance,))
    else:
        from pairnet.spatial.distances import pair_distances

        table = pair_distances(h_ids, r_ids)
    table = table[table["origin"].isin(h_ids) & table["destination"].isin(r_ids)]
    cand = table.rename(columns={"origin": "helper", "destination": "recipient",
                                 distance: "distance_km"})
    if cand.empty:
        raise no_pair()
    act = read_actual_pairs(actual) if actual is not None else None
    res = optimize_pairing(cand, model, capacity=capacity,
                           forbidden=_pairs(forbidden, "--forbid"),
                           fixed=_pairs(fixed, "--fix"), draws=draws, seed=seed, actual=act,
                           names=city_names(list(dict.fromkeys(h_ids + r_ids))))
    cols = ["helper", "recipient", "distance_km", "predicted_effect", "chosen_share", "tied_with"]
    write_table(res.chosen()[cols], out)
    cand_path = out.with_name(out.stem + "_candidates.csv")
    write_table(res.tidy(), cand_path)
    summary = {"model": model.to_dict(), "capacity": capacity, "draws": draws,
               "comparison": res.comparison, "pairs": res.chosen()[cols]}
    write_json(summary, out.with_suffix(".json"))
    if fig_dir is not None:
        write_result(res, fig_dir)
    if both:
        shown = ", ".join(f"{c} ({n})" for c, n in city_names(both[:8]).items())
        typer.echo(f"pairnet optimize: note: {shown}{' and more' if len(both) > 8 else ''} "
                   f"{'is' if len(both) == 1 else 'are'} both helper and recipient; a city is "
                   "never paired with itself", err=True)
    typer.echo(res.summary())
    typer.echo(f"wrote {out}, {cand_path} and {out.with_suffix('.json')}"
               + (f"; outputs in {fig_dir}" if fig_dir is not None else ""))
