"""The ``pairnet`` command line.

Each verb lives in its own module under :mod:`pairnet.commands` (``command`` function with typer
annotations) and imports its heavy dependencies inside the function, so ``pairnet --help`` stays
fast. Any :class:`~pairnet.core.errors.PairnetError` becomes one message on stderr and exit status 2.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence

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


#: Font files with Chinese glyphs, as named on disk (Debian's fonts-noto-cjk, wqy, Droid).
_CJK_FILES = ("NotoSansCJK", "NotoSerifCJK", "SourceHanSans", "wqy-zenhei", "wqy-microhei",
              "DroidSansFallback")


def _cjk_font(font_manager: object) -> str | None:
    have = {f.name for f in font_manager.fontManager.ttflist}  # type: ignore[attr-defined]
    return next((f for f in CJK_FONTS if f in have), None)


def _add_installed_cjk_fonts(font_manager: object) -> None:
    """Add CJK fonts installed after matplotlib built its font cache, and save the cache.

    Later runs then find them at once (the "install fonts-noto-cjk" advice works).
    """
    from pathlib import Path

    import matplotlib

    fm = font_manager.fontManager  # type: ignore[attr-defined]
    known = {Path(f.fname).name for f in fm.ttflist}
    files = [f for f in font_manager.findSystemFonts()  # type: ignore[attr-defined]
             if any(k in Path(f).name for k in _CJK_FILES) and Path(f).name not in known]
    for f in sorted(files):
        try:
            fm.addfont(f)
        except (OSError, RuntimeError, ValueError):  # an unreadable font file: skip it
            continue
    if files:
        try:
            cache = Path(matplotlib.get_cachedir(),
                         f"fontlist-v{font_manager.FontManager.__version__}.json")  # type: ignore[attr-defined]
            font_manager.json_dump(fm, cache)  # type: ignore[attr-defined]
        except OSError:
            pass


def configure_matplotlib() -> str | None:
    """Use a non-interactive backend and fall back to a CJK font for Chinese labels.

    A CJK font found on disk but missing from matplotlib's font cache (installed after the
    cache was built) is added and the cache saved. Returns the CJK font used, or None (then
    Chinese glyphs show as boxes; matplotlib's per-glyph warnings are collected by the
    command, which prints one note when a figure it drew had such labels).
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager, rcParams

    cjk = _cjk_font(font_manager)
    if cjk is None:
        _add_installed_cjk_fonts(font_manager)
        cjk = _cjk_font(font_manager)
    if cjk is not None:
        # matplotlib falls back glyph by glyph through the family list
        rcParams["font.family"] = ["DejaVu Sans", cjk]
    return cjk


_GLYPH = re.compile(r"Glyph \d+ .* missing from font")
#: Set by the SIGTERM handler: a kill is reported like Ctrl-C, with exit status 143.
_SIGNAL: list[int] = []


def _on_sigterm(signum: int, frame: object) -> None:
    _SIGNAL.append(signum)
    raise KeyboardInterrupt


def _crash_log(verb: str) -> str:
    """Write the traceback of the exception being handled to a log file; return its path."""
    import tempfile
    import traceback

    fd, path = tempfile.mkstemp(prefix=f"pairnet-{verb}-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"pairnet {verb} {' '.join(sys.argv[2:])}\n\n{traceback.format_exc()}")
    return path


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


_OPTIONAL = re.compile(r"\s*\((?:or|e\.g\.) [^()]*\)")


def cli_message(text: str, flags: Mapping[str, str]) -> str:
    """A library message for one verb.

    Optional alternatives ``(or ... `name` ...)`` that name an option the verb lacks are
    dropped, then every `` `name` `` becomes the verb's flag.
    """
    def keep(m: re.Match[str]) -> str:
        names = re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", m.group(0))
        return m.group(0) if all(n in flags for n in names) else ""

    return for_command_line(_OPTIONAL.sub(keep, text), flags)


def _guard(verb: str, func: Callable[..., None]) -> Callable[..., None]:
    """Run a verb: pairnet's own errors become one line on stderr and exit status 2.

    Ctrl-C (or SIGTERM) exits 130 (143) with one line saying what was kept; an unexpected
    exception is one line naming the log file with its traceback (exit status 1); a CJK-font
    note appears only when a figure the verb drew had Chinese labels and no font for them.
    """

    @functools.wraps(func)
    def wrapper(*args: object, **kwargs: object) -> None:
        import signal
        import warnings

        import click

        has_cjk = configure_matplotlib() is not None
        try:
            old = signal.signal(signal.SIGTERM, _on_sigterm)
        except ValueError:  # not the main thread (an embedding application): leave it
            old = None
        try:
            seen: dict[str, None] = {}  # warning texts, in order, each once (bounded)
            glyphs: list[bool] = []

            def keep(message: Warning | str, category: type[Warning], *_: object,
                     **__: object) -> None:
                text = " ".join(str(message).split())
                if _GLYPH.search(text):
                    glyphs[:] = [True]
                elif len(seen) < 50:
                    seen[text] = None

            from pairnet.core.reproducible import single_threaded_blas

            with warnings.catch_warnings(), single_threaded_blas():
                warnings.showwarning = keep
                # once per glyph and figure would flood; the note below says it once
                warnings.filterwarnings("ignore" if has_cjk else "always",
                                        message=_GLYPH.pattern, category=UserWarning)
                func(*args, **kwargs)
            # warnings only after success: a failing command prints its one error line
            for text in seen:
                typer.echo(f"pairnet {verb}: warning: {text}", err=True)
            if glyphs and not has_cjk:
                typer.echo(f"pairnet {verb}: note: no CJK font found, Chinese labels in the "
                           "figures show as boxes (install fonts-noto-cjk)", err=True)
        except (click.exceptions.Exit, click.exceptions.ClickException,
                click.exceptions.Abort):
            raise
        except PairnetError as exc:
            typer.echo(f"pairnet {verb}: error: {cli_message(str(exc), _flags(verb))}",
                       err=True)
            raise typer.Exit(code=2) from None
        except KeyboardInterrupt as exc:
            from pairnet.core.outputs import Interrupted

            what = (str(exc) if isinstance(exc, Interrupted) else
                    "interrupted: no output was written (existing files were left as they were)")
            how = "terminated" if _SIGNAL else "interrupted"
            typer.echo(f"pairnet {verb}: {what.replace('interrupted', how, 1)}", err=True)
            raise typer.Exit(code=143 if _SIGNAL else 130) from None
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            typer.echo(f"pairnet {verb}: error: cannot read or write a file{where}: "
                       f"{exc.strerror or exc}. Fix: check the path, its permissions and the "
                       "free disk space; earlier outputs were left as they were", err=True)
            raise typer.Exit(code=2) from None
        except Exception:  # a bug: one line, the traceback in a log file
            exc_type, exc_val = sys.exc_info()[:2]
            path = _crash_log(verb)
            name = exc_type.__name__ if exc_type else "error"
            text = " ".join(str(exc_val).split())[:300]
            typer.echo(f"pairnet {verb}: internal error: {name}: {text} (a bug in pairnet; "
                       f"the traceback is in {path})", err=True)
            raise typer.Exit(code=1) from None
        finally:
            if old is not None:
                signal.signal(signal.SIGTERM, old)

    return wrapper


for _verb, _help in VERBS.items():
    _module = importlib.import_module(f"pairnet.commands.{_verb}")
    app.command(_verb, help=_help)(_guard(_verb, _module.command))


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point (``pairnet``)."""
    app(args=list(argv) if argv is not None else sys.argv[1:], prog_name="pairnet")


if __name__ == "__main__":  # pragma: no cover
    main()
