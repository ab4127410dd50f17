"""Study files (TOML): which inputs, columns, cities, years, thresholds and analyses a report runs.

A study file describes one report with one or more studies::

    title = "Co-built parks in Guangdong"
    lang = "zh"                     # report language: "en" (default) or "zh"
    synthetic = false               # true: inputs come from pairnet's demo generators (banner)

    [[study]]
    key = "guangdong"
    kind = "pairing"                # pairing | citypanel
    title = "Guangdong: PRD → EWN pairing"
    helpers = "PRD"                 # adcodes, names or a group
    recipients = "EWN"
    years = "2000-2018"
    analyses = ["distances", "network", "did", "pairing", "land", "optimize"]

    [study.inputs]                  # paths relative to this file
    parks = "parks.csv"             # helper, recipient, park, first_year ("builtin": shipped list)
    registry = "registry.csv"       # firm registry (or: flows = "flows.csv")
    land = "land.csv"

    [study.columns.registry]        # file column = canonical column
    "投资方所在城市" = "origin_city"

    [study.network]
    thresholds = [1, 3, 5, 10]

See ``examples/guangdong_study.toml`` and the README section *report* for every key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pairnet.analyses.citypanel import CityPanelOptions
from pairnet.analyses.cs import ControlGroup
from pairnet.analyses.did import EventEnds
from pairnet.analyses.did_suite import DIDOptions
from pairnet.analyses.wild import WildWeights
from pairnet.core.errors import InputError
from pairnet.core.i18n import Lang, Text
from pairnet.core.options import bounds, check_literal, from_table, parse_years
from pairnet.maps.geometry import Basemap
from pairnet.panels.pairs import CONTROLS
from pairnet.panels.registry import Engine, Industry
from pairnet.panels.registry import Kind as RecordKind

__all__ = [
    "Kind",
    "ANALYSES",
    "INPUTS",
    "IngestSection",
    "NetworkSection",
    "DIDSection",
    "LandSection",
    "OptimizeSection",
    "CityPanelSection",
    "SECTIONS",
    "StudyConfig",
    "ReportConfig",
    "load_study",
    "parse_study",
    "demo_config",
    "builtin_parks",
]

Kind = Literal["pairing", "citypanel"]
DistanceMeasure = Literal["border_km", "centroid_km", "region_centroid_km", "region_border_km"]
#: The analyses each kind of study can run, in report order.
ANALYSES: dict[str, tuple[str, ...]] = {
    "pairing": ("pairing", "distances", "network", "did", "land", "optimize"),
    "citypanel": ("citypanel",),
}
#: Input files each study kind understands.
INPUTS: dict[str, tuple[str, ...]] = {
    "pairing": ("parks", "registry", "flows", "controls", "land"),
    "citypanel": ("panel",),
}


# ----------------------------------------------------------------------- typed sections
# One dataclass per [study.SECTION] table; a default lives here (or, for the DID suite's own
# options, in DIDOptions) and nowhere else. `from_table` checks keys, types and ranges once.
@dataclass(frozen=True)
class IngestSection:
    """``[study.ingest]``: how a ``registry`` input becomes flows."""

    #: adcodes, names or groups; None = the study's helpers ∪ recipients
    origins: str | None = None
    destinations: str | None = None
    industry: Industry = "manufacturing"
    kind: RecordKind = "shareholding"
    #: also ingest all-industry and branch counts for Table 5
    table5: bool = True
    #: where the rules run: duckdb (embedded) or spark (the `spark` extra and Java)
    engine: Engine = "duckdb"
    #: Spark master URL (engine spark); None = $SPARK_MASTER or local[2]
    spark_master: str | None = None


@dataclass(frozen=True)
class NetworkSection:
    """``[study.network]``."""

    thresholds: tuple[float, ...] = bounds((1.0, 3.0, 5.0, 10.0), low=0)


@dataclass(frozen=True)
class DIDSection:
    """``[study.did]``: the outcome, the suite's options and what the maps use."""

    y: str = "count"
    extra_y: tuple[str, ...] = ()
    #: controls (those present in the panel are used)
    controls: tuple[str, ...] = CONTROLS
    placebo: int = bounds(DIDOptions.placebo, low=0)
    #: the distance of the effect map and the optimizer
    distance: DistanceMeasure = "border_km"
    #: Table 4 variant the effect map and the optimizer use
    effect_model: Literal["controls", "no_controls"] = "controls"
    control_group: ControlGroup = DIDOptions.control_group
    cs: bool = DIDOptions.cs
    #: column the SEs are clustered by ("" = the unit, the pair; e.g. "origin": the helper)
    cluster: str = ""
    #: wild cluster bootstrap draws with fewer than 50 clusters (0 = off)
    wild_draws: int = bounds(DIDOptions.wild_draws, low=0)
    wild_weights: WildWeights = DIDOptions.wild_weights
    #: event-study window and what happens beyond it
    leads: int = bounds(DIDOptions.leads, low=1)
    lags: int = bounds(DIDOptions.lags, low=0)
    ends: EventEnds = DIDOptions.ends
    #: the DID diagnostics to run (issue 16; [] = none) and HonestDiD's bounds
    diagnostics: tuple[str, ...] = tuple(DIDOptions.diagnostics)
    honest_mbar: tuple[float, ...] = tuple(DIDOptions.honest_mbar)
    honest_m: tuple[float, ...] = tuple(DIDOptions.honest_m)


@dataclass(frozen=True)
class LandSection:
    """``[study.land]``."""

    years: tuple[int, int] = (2011, 2020)


@dataclass(frozen=True)
class OptimizeSection:
    """``[study.optimize]``."""

    capacity: int = bounds(2, low=1)
    draws: int = bounds(1000, low=0)


@dataclass(frozen=True)
class CityPanelSection:
    """``[study.citypanel]``. Without ``y`` the panel input is raw seed-000 statistics."""

    twoways: bool = False
    maps: tuple[str, ...] = ("mig", "gdp_pc")
    y: str | None = None
    x: tuple[str, ...] = ()
    lag: str | None = None
    split: tuple[str, ...] = ()
    #: wild cluster bootstrap draws with fewer than 50 clusters (0 = off), its weights
    wild_draws: int = bounds(CityPanelOptions.wild_draws, low=0)
    wild_weights: WildWeights = CityPanelOptions.wild_weights


#: ``[study.NAME]`` -> its dataclass
SECTIONS: dict[str, type] = {"ingest": IngestSection, "network": NetworkSection,
                             "did": DIDSection, "land": LandSection,
                             "optimize": OptimizeSection, "citypanel": CityPanelSection}
_STUDY_KEYS = {"key", "title", "kind", "description", "helpers", "recipients", "years",
               "analyses", "basemap", "tolerance", "inputs", "columns", "seed", *SECTIONS}


@dataclass(frozen=True)
class StudyConfig:
    """One study of a report (see the module docstring for the TOML keys)."""

    key: str
    kind: Kind
    title: str | Text
    description: str | Text = ""
    helpers: str = "PRD"
    recipients: str = "EWN"
    years: tuple[int, int] = (2000, 2018)
    analyses: tuple[str, ...] = ()
    basemap: Basemap = "none"
    tolerance: float = 0.005
    inputs: Mapping[str, Path] = field(default_factory=dict)
    columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    seed: int = 0
    ingest: IngestSection = IngestSection()
    network: NetworkSection = NetworkSection()
    did: DIDSection = DIDSection()
    land: LandSection = LandSection()
    optimize: OptimizeSection = OptimizeSection()
    citypanel: CityPanelSection = CityPanelSection()


@dataclass(frozen=True)
class ReportConfig:
    """A report: title, its studies, and whether its numbers come from synthetic data.

    ``demo`` makes the pipeline generate the built-in demo inputs; ``synthetic`` (a study file
    whose inputs were written by the demo generators) only shows the banner.
    """

    title: str | Text
    studies: tuple[StudyConfig, ...]
    demo: bool = False
    source: str | None = None
    synthetic: bool = False
    #: the report's language (study file key ``lang``; ``--lang`` overrides it)
    lang: Lang = "en"

    @property
    def banner(self) -> bool:
        """Whether the report must say that its numbers come from synthetic data."""
        return self.demo or self.synthetic


def _err(problem: str, file: str, key: str | None = None, fix: str | None = None) -> InputError:
    return InputError(problem, file=file, column=key, fix=fix)


def _as_str(v: Any, file: str, key: str) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return ",".join(v)
    raise _err(f"expected a string, got {type(v).__name__}", file, key,
               "write e.g. helpers = \"PRD\" or helpers = [\"广州\", \"深圳\"]")


@dataclass(frozen=True)
class _Top:
    """The scalar top-level keys of a ``[[study]]`` table, typed like the sections."""

    seed: int = bounds(0, low=0)
    tolerance: float = bounds(0.005, low=0)
    basemap: Basemap = "none"


#: A study key: one folder name under the report folder (letters of any script, digits, _ -).
_KEY = re.compile(r"[^\W][\w-]{0,63}")


def _parse_one(raw: Mapping[str, Any], i: int, file: str, base: Path) -> StudyConfig:
    where = f"{file} [[study]] #{i + 1}"
    if not isinstance(raw, Mapping):
        raise _err("each [[study]] must be a table", where)
    unknown = sorted(set(raw) - _STUDY_KEYS)
    if unknown:
        raise _err(f"unknown key(s) {', '.join(unknown)}", where,
                   fix=f"use only {', '.join(sorted(_STUDY_KEYS))}")
    kind = raw.get("kind", "pairing")
    check_literal(kind, Kind, f"{where} kind")
    key = _as_str(raw.get("key", kind if i == 0 else f"{kind}{i + 1}"), where, "key")
    if not _KEY.fullmatch(key):
        # the key names the study's folder under `out`: it must never reach outside it
        raise _err(f"study key {key!r} is not a plain folder name", where, "key",
                   "use letters, digits, '_' and '-' only (no '/', '\\', '.', '..' or "
                   "absolute paths), e.g. key = \"guangdong\"")
    title = _as_str(raw.get("title", key), where, "title")
    years = raw.get("years", "2000-2018")
    if isinstance(years, list) and len(years) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) for v in years):
        y = (int(years[0]), int(years[1]))
        if y[0] > y[1]:
            raise _err(f"years {y[0]}-{y[1]} run backwards", where, "years",
                       "write the range as [FIRST, LAST] with FIRST <= LAST")
    elif isinstance(years, str):
        y = parse_years(years, name=f"{where} years")
    else:
        raise _err(f"expected \"FIRST-LAST\" or [FIRST, LAST], got {years!r}", where, "years",
                   "write e.g. years = \"2000-2018\"")
    allowed = ANALYSES[kind]
    analyses = raw.get("analyses", list(allowed))
    if not isinstance(analyses, list) or not all(isinstance(a, str) for a in analyses):
        raise _err("analyses must be a list of names", where, "analyses",
                   f"e.g. analyses = [{', '.join(repr(a) for a in allowed)}]")
    bad = [a for a in analyses if a not in allowed]
    if bad:
        raise _err(f"unknown analyses for a {kind} study: {', '.join(bad)}", where, "analyses",
                   f"choose from {', '.join(allowed)}")
    inputs_raw = raw.get("inputs", {})
    if not isinstance(inputs_raw, Mapping):
        raise _err("[study.inputs] must be a table of name = \"path\"", where, "inputs")
    bad = sorted(set(inputs_raw) - set(INPUTS[kind]))
    if bad:
        raise _err(f"unknown input(s) {', '.join(bad)}", where, "inputs",
                   f"a {kind} study reads {', '.join(INPUTS[kind])}")
    inputs = {}
    for name, p in inputs_raw.items():
        text = _as_str(p, where, f"inputs.{name}")
        if name == "parks" and text == "builtin":
            inputs[name] = builtin_parks()
            continue
        path = Path(text)
        path = path if path.is_absolute() else base / path
        if not path.exists():
            raise _err(f"input file {path} not found", where, f"inputs.{name}",
                       "paths are relative to the study file's folder")
        inputs[name] = path
    columns_raw = raw.get("columns", {})
    if not isinstance(columns_raw, Mapping) or not all(
            isinstance(v, Mapping) and all(isinstance(b, str) for b in v.values())
            for v in columns_raw.values()):
        raise _err("[study.columns.INPUT] tables must map \"your column\" = \"canonical\"",
                   where, "columns", 'write e.g. [study.columns.flows] "投资方" = "origin"')
    columns = {str(k): {str(a): str(b) for a, b in dict(v).items()}
               for k, v in columns_raw.items()}
    top = from_table(_Top, {k: raw[k] for k in ("seed", "tolerance", "basemap") if k in raw},
                     where=where)
    sections: dict[str, Any] = {name: from_table(cls, raw.get(name, {}), where=f"{where} [study.{name}]")
                                for name, cls in SECTIONS.items()}
    cfg = StudyConfig(
        key=key, kind=kind, title=title,
        description=_as_str(raw.get("description", ""), where, "description"),
        helpers=_as_str(raw.get("helpers", "PRD"), where, "helpers"),
        recipients=_as_str(raw.get("recipients", "EWN"), where, "recipients"),
        years=y, analyses=tuple(a for a in allowed if a in analyses),
        basemap=top.basemap, tolerance=top.tolerance, seed=top.seed,
        inputs=inputs, columns=columns, **sections)
    _check_needs(cfg, where)
    return cfg


def _check_needs(cfg: StudyConfig, where: str) -> None:
    """Every analysis asked for has the inputs it needs (checked before anything runs)."""
    have = set(cfg.inputs)
    need: dict[str, list[set[str]]] = {
        "pairing": [{"parks"}],
        "network": [{"registry", "flows"}],
        "did": [{"registry", "flows"}, {"parks"}],
        "land": [{"land"}],
        "optimize": [{"parks"}],
        "citypanel": [{"panel"}],
    }
    for a in cfg.analyses:
        for alternatives in need.get(a, []):
            if not alternatives & have:
                raise _err(f"analysis '{a}' needs input {' or '.join(sorted(alternatives))}",
                           where, "inputs",
                           f"add it under [study.inputs] or drop '{a}' from analyses")
    if cfg.citypanel.y is not None and not cfg.citypanel.x:
        raise _err("[study.citypanel] y is set but x (the regressors) is empty", where,
                   "citypanel.x", "list the regressors, e.g. x = [\"mig\", \"inc\"]")


def parse_study(data: Mapping[str, Any], *, file: str = "study file",
                base: Path | None = None) -> ReportConfig:
    """Build a :class:`ReportConfig` from parsed TOML."""
    base = base or Path.cwd()
    top = set(data) - {"title", "study", "synthetic", "lang"}
    if top:
        raise _err(f"unknown top-level key(s) {', '.join(sorted(top))}", file,
                   fix="use title = \"...\", lang = \"en\"|\"zh\", synthetic = true|false "
                       "and [[study]] tables")
    lang = data.get("lang", "en")
    if lang not in ("en", "zh"):
        raise _err(f"lang must be \"en\" or \"zh\", got {lang!r}", file, "lang",
                   "write lang = \"zh\" for a Chinese report or lang = \"en\"")
    synthetic = data.get("synthetic", False)
    if not isinstance(synthetic, bool):
        raise _err("synthetic must be true or false", file, "synthetic",
                   "write synthetic = true when the inputs come from pairnet's demo generators")
    studies = data.get("study")
    if isinstance(studies, Mapping):
        studies = [studies]
    if not studies or not isinstance(studies, list):
        raise _err("no [[study]] table", file, fix="add at least one [[study]] table")
    cfgs = tuple(_parse_one(s, i, file, base) for i, s in enumerate(studies))
    keys = [c.key for c in cfgs]
    if len(set(keys)) != len(keys):
        raise _err(f"duplicate study keys: {keys}", file, "key", "give each study its own key")
    return ReportConfig(title=_as_str(data.get("title", "pairnet report"), file, "title"),
                        studies=cfgs, demo=False, source=file, synthetic=synthetic,
                        lang=lang)


def builtin_parks() -> Path:
    """The co-built park list shipped with pairnet (``parks = "builtin"`` in a study file)."""
    from importlib.resources import files

    return Path(str(files("pairnet.panels") / "data" / "guangdong_parks.csv"))


def load_study(path: str | Path) -> ReportConfig:
    """Read a study file (TOML); input paths are relative to its folder.

    Raises
    ------
    InputError
        Missing file, TOML syntax error, unknown keys or analyses, missing inputs.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("study file not found", file=str(path),
                         fix="see examples/guangdong_study.toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=str(path),
                         fix="correct the syntax at that line (tables as [[study]] and "
                             "[study.inputs], strings in quotes); see "
                             "examples/guangdong_study.toml") from None
    return parse_study(data, file=str(path), base=path.resolve().parent)


def demo_config(seed: int = 0, lang: Lang = "en") -> ReportConfig:
    """The built-in demo: Guangdong pairing (PRD → EWN) and the YRD city panel.

    Inputs are generated by the pipeline (seeded synthetic data on real geography); ``lang``
    is the report's language.
    """
    check_literal(lang, Lang, "lang")
    gd = StudyConfig(key="guangdong", kind="pairing",
                     title=Text("Guangdong: Pearl River Delta → east/west/north pairing",
                                "广东：珠三角对口帮扶粤东西北"),
                     description=Text(
                         "Co-built industrial parks between the 9 PRD helper cities and the 12 "
                         "EWN recipient cities (method of Tang & Zhang on paired assistance "
                         "through co-built parks).",
                         "珠三角 9 个帮扶城市与粤东西北 12 个被帮扶城市共建的产业转移工业园"
                         "（方法依据 Tang 与 Zhang 关于共建园区对口帮扶的研究）。"),
                     helpers="PRD", recipients="EWN", years=(2000, 2018),
                     analyses=ANALYSES["pairing"], seed=seed)
    yrd = StudyConfig(key="yrd", kind="citypanel",
                      title=Text("Yangtze River Delta: population mobility and growth",
                                 "长三角：人口流动与经济增长"),
                      description=Text(
                          "26 cities of the 2016 YRD plan, 2005–2017 (method of the study of "
                          "population mobility and growth in the YRD).",
                          "2016 年长三角城市群规划的 26 个城市，2005–2017 年（方法依据长三角人口"
                          "流动与经济增长研究）。"),
                      helpers="YRD", recipients="YRD", years=(2005, 2017),
                      analyses=ANALYSES["citypanel"], seed=seed)
    return ReportConfig(title=Text("pairnet demo report", "pairnet 演示报告"),
                        studies=(gd, yrd), demo=True, source="built-in demo", lang=lang)
