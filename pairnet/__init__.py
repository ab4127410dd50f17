"""pairnet: geospatial network analysis of inter-city pairing and mobility.

The public API. Every analysis computes and returns a frozen result (``tidy()``, ``summary()``,
``to_dict()``, ``tables()``, ``figures()``); :func:`write_result` writes any result's folder and
:func:`write_report` turns results into one offline HTML report::

    import pairnet as pn
    paths = pn.generate_guangdong_demo("demo_data")
    ingest = pn.ingest_registry(paths["registry"], origins="PRD", destinations="EWN",
                                years=(2000, 2018))
    panel = pn.pair_panel(ingest.panel, pn.read_table(paths["parks"]), ...)
    did = pn.did_suite(panel, unit="pair", time="year", cohort="cohort", y="count")
    pn.write_report({"ingest": ingest, "did": did}, "report")

The layers (``pairnet.spatial``, ``pairnet.network``, ``pairnet.panels``, ``pairnet.analyses``,
``pairnet.maps``) hold the rest; ``pairnet.core`` is the foundation (errors, table I/O, options,
the result protocol, the writer). Names are imported on first use, so ``import pairnet`` and
``pairnet --help`` stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # foundation
    "PairnetError": "pairnet.core.errors",
    "InputError": "pairnet.core.errors",
    "EstimationError": "pairnet.core.errors",
    "read_table": "pairnet.core.tables",
    "write_table": "pairnet.core.tables",
    "Result": "pairnet.core.results",
    "write_result": "pairnet.core.outputs",
    # spatial
    "load_boundaries": "pairnet.spatial.boundaries",
    "read_boundaries": "pairnet.spatial.boundaries",
    "resolve_cities": "pairnet.spatial.cities",
    "GROUPS": "pairnet.spatial.cities",
    "pair_distances": "pairnet.spatial.distances",
    "measure_distances": "pairnet.spatial.distances",
    "DistancesResult": "pairnet.spatial.distances",
    # network
    "YearlyNetworks": "pairnet.network.graphs",
    "network_analysis": "pairnet.network.pipeline",
    "NetworkResult": "pairnet.network.pipeline",
    # panels
    "ingest_registry": "pairnet.panels.registry",
    "IngestResult": "pairnet.panels.registry",
    "build_pair_panel": "pairnet.panels.pairs",
    "pair_panel": "pairnet.panels.pairs",
    "ingest_outcomes": "pairnet.panels.pairs",
    "CONTROLS": "pairnet.panels.pairs",
    "build_indicators": "pairnet.panels.citypanel",
    "generate_guangdong_demo": "pairnet.panels.demo_guangdong",
    "generate_land_demo": "pairnet.panels.demo_land",
    "write_demo_yrd": "pairnet.panels.demo_yrd",
    # analyses: the DID suite and its estimators
    "did_suite": "pairnet.analyses.did_suite",
    "DIDOptions": "pairnet.analyses.did_suite",
    "DIDSuiteResult": "pairnet.analyses.did_suite",
    # issue 16: modern DID diagnostics
    "bacon_decomposition": "pairnet.analyses.bacon",
    "twfe_weights": "pairnet.analyses.twfe_weights",
    "imputation_did": "pairnet.analyses.imputation",
    "stacked_did": "pairnet.analyses.stacked",
    "honest_did": "pairnet.analyses.honest",
    "pretrend_power": "pairnet.analyses.pretrends",
    "did_diagnostics": "pairnet.analyses.diagnostics",
    "prepare_panel": "pairnet.analyses.did",
    "twfe": "pairnet.analyses.did",
    "ppml": "pairnet.analyses.did",
    "event_study": "pairnet.analyses.did",
    "distance_interaction": "pairnet.analyses.did",
    "sun_abraham": "pairnet.analyses.did",
    "did2s": "pairnet.analyses.did",
    "did_table": "pairnet.analyses.did",
    "att_gt": "pairnet.analyses.cs",
    "aggte": "pairnet.analyses.cs",
    "placebo_test": "pairnet.analyses.placebo",
    # analyses: city panel, land, optimizer
    "citypanel_suite": "pairnet.analyses.citypanel",
    "yrd_study": "pairnet.analyses.citypanel",
    "CityPanelResult": "pairnet.analyses.citypanel",
    "land_study": "pairnet.analyses.land",
    "LandResult": "pairnet.analyses.land",
    "optimize_pairing": "pairnet.analyses.optimize",
    "EffectModel": "pairnet.analyses.optimize",
    "OptimizeResult": "pairnet.analyses.optimize",
    # report
    "write_report": "pairnet.maps.report",
    "run_report": "pairnet.pipeline",
    "load_study": "pairnet.study",
    "demo_config": "pairnet.study",
}

__all__ = [
    "__version__", "PairnetError", "InputError", "EstimationError", "read_table", "write_table",
    "Result", "write_result", "load_boundaries", "read_boundaries", "resolve_cities", "GROUPS",
    "pair_distances", "measure_distances", "DistancesResult", "YearlyNetworks",
    "network_analysis", "NetworkResult", "ingest_registry", "IngestResult", "build_pair_panel",
    "pair_panel", "ingest_outcomes", "CONTROLS", "build_indicators", "generate_guangdong_demo",
    "generate_land_demo", "write_demo_yrd", "did_suite", "DIDOptions", "DIDSuiteResult",
    "bacon_decomposition", "twfe_weights", "imputation_did", "stacked_did", "honest_did",
    "pretrend_power", "did_diagnostics",
    "prepare_panel", "twfe", "ppml", "event_study", "distance_interaction", "sun_abraham",
    "did2s", "did_table", "att_gt", "aggte", "placebo_test", "citypanel_suite", "yrd_study",
    "CityPanelResult", "land_study", "LandResult", "optimize_pairing", "EffectModel",
    "OptimizeResult", "write_report", "run_report", "load_study", "demo_config",
]


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pairnet' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from pairnet.analyses.bacon import bacon_decomposition
    from pairnet.analyses.citypanel import CityPanelResult, citypanel_suite, yrd_study
    from pairnet.analyses.cs import aggte, att_gt
    from pairnet.analyses.diagnostics import did_diagnostics
    from pairnet.analyses.did import (
        did2s,
        did_table,
        distance_interaction,
        event_study,
        ppml,
        prepare_panel,
        sun_abraham,
        twfe,
    )
    from pairnet.analyses.did_suite import DIDOptions, DIDSuiteResult, did_suite
    from pairnet.analyses.honest import honest_did
    from pairnet.analyses.imputation import imputation_did
    from pairnet.analyses.land import LandResult, land_study
    from pairnet.analyses.optimize import EffectModel, OptimizeResult, optimize_pairing
    from pairnet.analyses.placebo import placebo_test
    from pairnet.analyses.pretrends import pretrend_power
    from pairnet.analyses.stacked import stacked_did
    from pairnet.analyses.twfe_weights import twfe_weights
    from pairnet.core.errors import EstimationError, InputError, PairnetError
    from pairnet.core.outputs import write_result
    from pairnet.core.results import Result
    from pairnet.core.tables import read_table, write_table
    from pairnet.maps.report import write_report
    from pairnet.network.graphs import YearlyNetworks
    from pairnet.network.pipeline import NetworkResult, network_analysis
    from pairnet.panels.citypanel import build_indicators
    from pairnet.panels.demo_guangdong import generate_guangdong_demo
    from pairnet.panels.demo_land import generate_land_demo
    from pairnet.panels.demo_yrd import write_demo_yrd
    from pairnet.panels.pairs import CONTROLS, build_pair_panel, ingest_outcomes, pair_panel
    from pairnet.panels.registry import IngestResult, ingest_registry
    from pairnet.pipeline import run_report
    from pairnet.spatial.boundaries import load_boundaries, read_boundaries
    from pairnet.spatial.cities import GROUPS, resolve_cities
    from pairnet.spatial.distances import DistancesResult, measure_distances, pair_distances
    from pairnet.study import demo_config, load_study
