"""The ``pairnet`` command line.

Each verb lives in its own module under :mod:`pairnet.commands` (``command`` function with typer
annotations) and imports its heavy dependencies inside the function, so ``pairnet --help`` stays
fast. Any :class:`~pairnet.core.errors.PairnetError` becomes one message on stderr and exit status 2.
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable, Sequence

import typer

from pairnet.core.errors import PairnetError, for_command_line

VERBS: dict[str, str] = {
    "demo": "Main job: both built-in studies on demo data -> DIR/report.html.",
    "report": "The same report from a study file (TOML) on your own data.",
    "distances": "Border, centroid and region distances (km) between cities.",
    "ingest": "Firm-registry records -> pair-year investment panel with an audit.",
    "network": "Yearly directed investment networks at thresholds, and their metrics.",
    "panel": "The DID-ready pair-year panel: flows or registry + parks + controls + distances.",
    "did": "Staggered DID suite: TWFE, event study, Callaway-Sant'Anna, placebo, distance.",
    "citypanel": "City-panel models: pooled, RE, FE, F and Hausman tests, mechanisms.",
    "land": "Land-sale cleaning and the benefit-sharing event study.",
    "optimize": "Planner's pairing optimizer: which helper should pair with which recipient.",
}

app = typer.Typer(
    name="pairnet",
    help="pairnet: geospatial network analysis of inter-city pairing and mobility.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


#: Fonts with Chinese glyphs, in order of preference (city names appear in figure labels).
CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "Droid Sans Fallback",
             "Microsoft YaHei", "SimHei", "PingFang SC")


def configure_matplotlib() -> str | None:
    """Use a non-interactive backend and fall back to a CJK font for Chinese labels.

    Returns the CJK font used, or None (then Chinese glyphs show as boxes and matplotlib's
    per-glyph warnings are replaced by one notice).
    """
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager, rcParams

    have = {f.name for f in font_manager.fontManager.ttflist}
    cjk = next((f for f in CJK_FONTS if f in have), None)
    if cjk is not None:
        # matplotlib falls back glyph by glyph through the family list
        rcParams["font.family"] = ["DejaVu Sans", cjk]
    else:
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font",
                                category=UserWarning)
    return cjk


def _flags(verb: str) -> dict[str, str]:
    """``{parameter name: flag}`` of a verb (``placebo`` -> ``--placebo``)."""
    import click

    out: dict[str, str] = {}
    for param in typer.main.get_command(app).commands[verb].params:  # type: ignore[attr-defined]
        longs = [o for o in param.opts if o.startswith("--")]
        if param.name and longs:
            out[param.name] = longs[0]
        elif param.name and isinstance(param, click.Argument):
            out[param.name] = param.human_readable_name
    return out


def _guard(verb: str, func: Callable[..., None]) -> Callable[..., None]:
    """Turn pairnet's own errors into one line on stderr and exit status 2."""

    @functools.wraps(func)
    def wrapper(*args: object, **kwargs: object) -> None:
        if configure_matplotlib() is None:
            typer.echo("pairnet: note: no CJK font found, Chinese labels in figures show as "
                       "boxes (install fonts-noto-cjk)", err=True)
        try:
            func(*args, **kwargs)
        except PairnetError as exc:
            typer.echo(f"pairnet {verb}: error: {for_command_line(str(exc), _flags(verb))}",
                       err=True)
            raise typer.Exit(code=2) from None

    return wrapper


for _verb, _help in VERBS.items():
    _module = importlib.import_module(f"pairnet.commands.{_verb}")
    app.command(_verb, help=_help)(_guard(_verb, _module.command))


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point (``pairnet``)."""
    app(args=list(argv) if argv is not None else sys.argv[1:], prog_name="pairnet")


if __name__ == "__main__":  # pragma: no cover
    main()
