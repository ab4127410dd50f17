"""A pairing optimizer for planners: which helper should pair with which recipient.

Seed 003 finds that distance suppresses the effect of pairing (Table 4: ``treat`` and
``treat × distance``). Given an effect model ``effect = b0 + b1 · distance_km`` this module assigns
every recipient exactly one helper, each helper at most ``capacity`` recipients, maximising the
total predicted effect. The assignment is solved exactly as a rectangular linear assignment on
replicated helper slots (scipy's ``linear_sum_assignment``, Jonker–Volgenant), not greedily.

Uncertainty: coefficients are drawn from their estimated sampling distribution
``N(b, V)`` and the problem is re-solved per draw; ``chosen_share`` is how often each pair is chosen.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from pairnet.core.errors import InfeasibleError, InputError
from pairnet.core.i18n import Lang, Native, Text
from pairnet.core.options import check_literal
from pairnet.core.placenames import place_in
from pairnet.core.results import Figure, ResultBase, Table
from pairnet.core.tables import to_jsonable

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.figure

    from pairnet.analyses.did import DistanceResult

__all__ = [
    "EffectModel",
    "Assignment",
    "OptimizeResult",
    "effect_model_from_results",
    "solve_assignment",
    "optimize_pairing",
    "compare_with_actual",
]

# A forbidden pair gets this cost; any solution using one is infeasible (checked afterwards).
_FORBIDDEN = 1e12


@dataclass(frozen=True)
class EffectModel:
    """``effect = b0 + b1 · distance_km`` with an optional 2×2 covariance of ``(b0, b1)``."""

    b0: float
    b1: float
    vcov: np.ndarray | None = None
    source: str = ""
    distance: str | None = None

    def __post_init__(self) -> None:
        # a non-finite coefficient would rank every pairing the same (or NaN): refuse it
        where = self.source or "`model`"
        for name in ("b0", "b1"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)) \
                    or not np.isfinite(float(v)):
                raise InputError(f"effect coefficient {name} = {v!r} is not a finite number",
                                 file=where,
                                 fix="give finite coefficients b0,b1 (e.g. 1.5,-0.004), or a "
                                     "DID run whose distance model was estimated")
        if self.vcov is not None:
            v = np.asarray(self.vcov, dtype=float)
            if v.shape != (2, 2) or not np.isfinite(v).all():
                raise InputError(f"the covariance of (b0, b1) is not a finite 2x2 matrix "
                                 f"(shape {v.shape})", file=where,
                                 fix="use a DID run whose distance model has standard errors, "
                                     "or pass `draws` 0")

    @classmethod
    def from_distance(cls, d: DistanceResult, *, source: str = "") -> EffectModel:
        """The effect model of a distance-interacted DID (seed 003 Table 4).

        ``b0`` is the effect at distance 0 (β1 of ``treat``), ``b1`` its change per unit of
        distance (β2 of ``treat × distance``), ``vcov`` their 2×2 clustered covariance.

        Parameters
        ----------
        d : DistanceResult
            One distance model of :mod:`pairnet.analyses.did`.
        source : str
            Where the model came from (kept in :meth:`to_dict`).
        """
        return cls(float(d.b1), float(d.b2), np.asarray(d.model.vcov, dtype=float),
                   source=source, distance=d.distance)

    def predict(self, distance_km: np.ndarray | pd.Series) -> np.ndarray:
        """Predicted effect at the given distances (km)."""
        return self.b0 + self.b1 * np.asarray(distance_km, dtype=float)

    def to_dict(self) -> dict[str, Any]:
        """The ``model`` entry of the optimizer's results JSON."""
        return {"b0": self.b0, "b1": self.b1, "distance": self.distance,
                "vcov": None if self.vcov is None else np.asarray(self.vcov),
                "source": self.source}

    def draws(self, n: int, seed: int | None = 0) -> np.ndarray:
        """``n`` × 2 coefficient draws from ``N((b0, b1), vcov)``.

        Raises
        ------
        InputError
            When the model carries no covariance.
        """
        if self.vcov is None:
            raise InputError("the effect model has no covariance, so it cannot be drawn",
                             file=self.source or None,
                             fix="build the model with a covariance (EffectModel.from_distance "
                                 "of a distance-interacted DID, or `from_results` of a "
                                 "`pairnet did` run), or pass `draws` 0")
        rng = np.random.default_rng(seed)
        return rng.multivariate_normal([self.b0, self.b1], self.vcov, size=n,
                                       check_valid="raise", method="eigh")


Variant = Literal["controls", "no_controls"]


def effect_model_from_results(results_dir: str | Path, distance: str,
                              variant: Variant = "controls") -> EffectModel:
    """Read ``b0 = β(treat)``, ``b1 = β(treat × distance)`` and their covariance from a DID run.

    Parameters
    ----------
    results_dir : path
        Folder of a ``pairnet did ... --distance COL`` run (its ``results.json``, whose
        ``distance.by_column[COL][variant]`` holds ``b0``, ``b1`` and the 2×2 ``vcov``).
    distance : str
        The distance column whose interaction model to use (``border_km``...).
    variant : {"controls", "no_controls"}
        Table 4 with or without the baseline controls; falls back to the other when absent.

    Raises
    ------
    InputError
        When the folder has no distance-interacted model for ``distance``.
    """
    check_literal(variant, Variant, "variant")
    path = Path(results_dir) / "results.json"
    if not path.exists():
        raise InputError("no results.json in the results folder", file=str(results_dir),
                         fix="pass the `out` folder of a `pairnet did` run with `distance` "
                             "columns")
    try:
        res = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"results.json is not valid JSON ({exc})", file=str(path),
                         fix="re-run `pairnet did` into that folder") from None
    by = ((res.get("distance") or {}).get("by_column") or {}) if isinstance(res, dict) else {}
    if not isinstance(by, dict):
        by = {}
    if not by:
        raise InputError("results.json has no distance-interacted models", file=str(path),
                         column="distance.by_column",
                         fix="re-run `pairnet did` with `distance` COL")
    if distance not in by:
        raise InputError(f"no distance model for {distance!r} (have: {', '.join(by)})",
                         file=str(path), column="distance.by_column",
                         fix=f"choose one of {', '.join(by)} with `distance`")
    other = "no_controls" if variant == "controls" else "controls"
    entry = by[distance].get(variant) or by[distance].get(other)
    if not entry or "b0" not in entry or "b1" not in entry:
        raise InputError(f"the {distance!r} model has no b0/b1", file=str(path),
                         column=f"distance.by_column.{distance}",
                         fix="re-run `pairnet did` with `distance` COL")
    def number(key: str) -> float:
        v = entry.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            # NaN and inf are written as null: the model was not estimable
            raise InputError(f"the {distance!r} model's {key} is {v!r}, not a number (the "
                             "model could not be estimated)", file=str(path),
                             column=f"distance.by_column.{distance}.{key}",
                             fix="re-run `pairnet did` on data where the distance model is "
                                 "estimable, or give `effect` b0,b1")
        return float(v)

    b0, b1 = number("b0"), number("b1")
    vcov = entry.get("vcov")
    if vcov is None:
        warnings.warn(f"{path}: no covariance stored for the distance model; drawing the two "
                      "coefficients independently from their standard errors", stacklevel=2)
        vcov = np.diag([number("treat_se") ** 2, number("se") ** 2])
    try:
        cov = np.asarray(vcov, dtype=float)
    except (TypeError, ValueError):
        cov = np.full((2, 2), np.nan)
    return EffectModel(b0, b1, cov, source=str(path), distance=distance)


@dataclass(frozen=True)
class Assignment:
    """One optimal assignment: ``pairs`` (helper, recipient) and the objective."""

    pairs: tuple[tuple[str, str], ...]
    total: float


def _check_feasible(helpers: list[str], recipients: list[str], capacity: int,
                    forbidden: set[tuple[str, str]], fixed: dict[str, str]) -> None:
    if capacity < 1:
        raise InfeasibleError(f"capacity must be at least 1, got {capacity}", file="`capacity`",
                              fix="give the number of recipients one helper may take, e.g. 2")
    if capacity * len(helpers) < len(recipients):
        raise InfeasibleError(
            f"infeasible: {len(recipients)} recipients need a helper each but {len(helpers)} "
            f"helpers × capacity {capacity} = {capacity * len(helpers)} slots",
            file="`capacity`",
            fix=f"raise `capacity` to at least {-(-len(recipients) // max(len(helpers), 1))} "
                "or add helpers")
    load: dict[str, int] = {}
    for r, h in fixed.items():
        if h not in helpers or r not in recipients:
            raise InfeasibleError(f"fixed pair {h}->{r} names a city outside the helper or "
                                  "recipient set", file="`fixed`",
                                  fix="fix only pairs of a helper and a recipient given")
        if (h, r) in forbidden:
            raise InfeasibleError(f"pair {h}->{r} is both fixed and forbidden", file="`fixed`",
                                  fix="drop the pair from `fixed` or from `forbidden`")
        load[h] = load.get(h, 0) + 1
    over = {h: n for h, n in load.items() if n > capacity}
    if over:
        raise InfeasibleError(f"fixed pairs exceed capacity {capacity} for helper(s) "
                              f"{', '.join(f'{h} ({n})' for h, n in over.items())}",
                              file="`fixed`",
                              fix="fix fewer pairs per helper or raise `capacity`")
    for r in recipients:
        if r not in fixed and all((h, r) in forbidden for h in helpers):
            raise InfeasibleError(f"infeasible: every helper is forbidden for recipient {r}",
                                  file="`forbidden`", fix="allow at least one helper for it")


def solve_assignment(effect: np.ndarray, capacity: int | np.ndarray,
                     allowed: np.ndarray | None = None) -> np.ndarray:
    """Maximise the summed effect: each recipient (row) one helper (column), ≤ capacity each.

    Parameters
    ----------
    effect : (R, H) array
        Predicted effect of helper h for recipient r.
    capacity : int or (H,) array
        Slots per helper.
    allowed : (R, H) bool array, optional
        False marks forbidden pairs.

    Returns
    -------
    (R,) int array
        The chosen helper column of each recipient.

    Raises
    ------
    InfeasibleError
        No assignment respects capacity and the forbidden pairs.
    """
    effect = np.asarray(effect, dtype=float)
    n_r, n_h = effect.shape
    caps = np.broadcast_to(np.asarray(capacity, dtype=int), (n_h,))
    cols = np.repeat(np.arange(n_h), caps)  # replicated helper slots
    if len(cols) < n_r:
        raise InfeasibleError(f"infeasible: {n_r} recipients but only {len(cols)} helper slots",
                              fix="raise the capacity or add helpers")
    cost = -effect[:, cols]
    if allowed is not None:
        cost = np.where(np.asarray(allowed)[:, cols], cost, _FORBIDDEN)
    rows, slot = linear_sum_assignment(cost)
    choice = np.empty(n_r, dtype=int)
    choice[rows] = cols[slot]
    if allowed is not None and not np.asarray(allowed)[np.arange(n_r), choice].all():
        raise InfeasibleError("infeasible: the forbidden pairs leave no assignment within "
                              "capacity", file="`forbidden`",
                              fix="forbid fewer pairs or raise `capacity`")
    return choice


@dataclass(frozen=True, eq=False)
class OptimizeResult(ResultBase):
    """Optimal pairing with its predicted effects, and the share of draws choosing each pair.

    Attributes
    ----------
    table : DataFrame
        Every candidate pair: ``helper, recipient, distance_km, predicted_effect, chosen,
        chosen_share, tied_with`` (equally good helpers, chosen rows only).
    model : EffectModel
        The effect model.
    capacity : int
        Recipients per helper at most.
    draws : int
        Coefficient draws behind ``chosen_share`` (0 = none).
    comparison : dict
        The comparison with the actual pairing (:func:`compare_with_actual`); empty without one.
    names : mapping
        ``{id: display name}`` for the tables (ids without a name are shown as themselves).
    """

    table: pd.DataFrame
    model: EffectModel
    capacity: int
    draws: int
    comparison: dict[str, Any] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)

    title = "Pairing optimizer"

    def tidy(self) -> pd.DataFrame:
        """Every candidate pair with its predicted effect; optimal pairs flagged ``chosen``."""
        return self.table.copy()

    def chosen(self) -> pd.DataFrame:
        """The optimal pairs only."""
        return self.table[self.table["chosen"]].reset_index(drop=True)

    def named_pairs(self) -> pd.DataFrame:
        """The optimal pairs for display: ids with names, equally good helpers by name.

        ``helper, helper_name, recipient, recipient_name, distance_km, predicted_effect,
        chosen_share, equally_good``.
        """
        names = self.names

        def named(ids: str) -> Native:
            """Native text: the names as given, in pinyin for an English reader."""
            found = [names.get(c, c) for c in ids.split("; ")] if ids else []
            return Native("; ".join(found), "; ".join(place_in(n, "en") for n in found))

        return self.chosen().assign(
            helper_name=lambda t: t["helper"].map(lambda c: names.get(c, c)),
            recipient_name=lambda t: t["recipient"].map(lambda c: names.get(c, c)),
            # object cells: pandas would turn the Native texts into plain str
            equally_good=lambda t: pd.Series([named(v) for v in t["tied_with"]],
                                             index=t.index, dtype=object),
        )[["helper", "helper_name", "recipient", "recipient_name", "distance_km",
           "predicted_effect", "chosen_share", "equally_good"]]

    def summary(self) -> str:
        """A short text summary (returned, not printed)."""
        ch = self.chosen()
        lines = [
            f"Optimal pairing: effect = {self.model.b0:.4g} + {self.model.b1:.4g} x distance_km "
            f"({self.model.distance or 'distance_km'}), capacity {self.capacity}",
            f"  pairs: {len(ch)}; total predicted effect {ch['predicted_effect'].sum():.4g}; "
            f"mean distance {ch['distance_km'].mean():.1f} km",
        ]
        if self.comparison:
            c = self.comparison
            lines.append(f"  actual pairing: total {c['actual_total_effect']:.4g}, mean distance "
                         f"{c['actual_mean_distance_km']:.1f} km; recipients whose helper "
                         f"changes: {c['recipients_changed']} of {c['recipients']}")
        ties = int((ch["tied_with"] != "").sum())
        if ties:
            lines.append(f"  {ties} recipient(s) have equally good helpers (tied_with); the "
                         "solver's pick among them is arbitrary")
        if self.model.b1 < 0:
            lines.append("  with a linear effect and b1 < 0 the optimum is the capacity-"
                         "constrained minimum-total-distance assignment (b0 adds the same to "
                         "every assignment)")
        if self.draws:
            lines.append(f"  uncertainty: {self.draws} coefficient draws; chosen_share = share "
                         "of draws in which a pair is optimal (it moves only when the draws "
                         "change the sign of b1)")
        return "\n".join(lines)

    def plot(self, lang: Lang = "en") -> matplotlib.figure.Figure:
        """Bar chart of the predicted effect of each optimal pair, labelled by city names."""
        import matplotlib.pyplot as plt

        ch = self.named_pairs().sort_values("predicted_effect")
        fig, ax = plt.subplots(figsize=(7, 0.35 * len(ch) + 1.2))
        labels = [f"{place_in(h, lang)} → {place_in(r, lang)}"
                  for h, r in zip(ch["helper_name"], ch["recipient_name"], strict=True)]
        ax.barh(labels, ch["predicted_effect"], color="#3b6ea8")
        ax.axvline(0, color="black", lw=0.8)
        ax.set_xlabel(Text("predicted effect of pairing (helper → recipient)",
                           "帮扶的预测效应（帮扶方 → 被帮扶方）")(lang))
        ax.set_title(Text("Optimal pairing", "最优帮扶组合")(lang))
        fig.tight_layout()
        return fig

    def to_dict(self) -> dict[str, Any]:
        """``results.json``: the model, the options, the comparison and the pairs.

        Keys ``model``, ``capacity``, ``draws``, ``comparison``, the optimal ``pairs`` (with
        names, :meth:`named_pairs`) and every ``candidates`` pair (:meth:`tidy`).
        """
        return to_jsonable({
            "model": self.model.to_dict(),
            "capacity": self.capacity, "draws": self.draws, "comparison": self.comparison,
            "pairs": self.named_pairs(), "candidates": self.tidy(),
        })

    def tables(self) -> dict[str, Table]:
        """``optimal_pairs`` and, with an actual pairing, ``comparison``."""
        model, capacity, draws = self.model, self.capacity, self.draws
        sign = "−" if model.b1 < 0 else "+"
        dist = model.distance or "distance (km)"
        eq = (f"Predicted effect = {model.b0:.4g} {sign} {abs(model.b1):.4g} × {dist}")
        tables = {"optimal_pairs": Table(
            self.named_pairs(), Text("Optimal pairing", "最优帮扶组合"),
            note=Text(
                f"{eq}; each helper at most {capacity} recipients. "
                + ("With b1 < 0 this is the assignment with the least total distance under "
                   "the capacity limit (b0 adds the same to every assignment). "
                   if model.b1 < 0 else "")
                + f"chosen_share = share of {draws} coefficient draws in which the pair is "
                "optimal; it falls below 1 only when the draws change the sign of b1. "
                "equally_good = other helpers exactly as good for that recipient (e.g. "
                "several neighbours at border distance 0): the pick among them is arbitrary.",
                f"预测效应 = {model.b0:.4g} {sign} {abs(model.b1):.4g} × {dist}；每个帮扶城市最多"
                f"帮扶 {capacity} 个城市。"
                + ("b1 < 0 时，该分配即在容量约束下总距离最短的分配（b0 对每种分配相同）。"
                   if model.b1 < 0 else "")
                + f"被选中比例 = 在 {draws} 次系数抽样中该组合为最优的比例；只有当抽样改变 b1 的"
                "符号时才会低于 1。同样好的备选 = 对该被帮扶城市同样好的其他帮扶城市（例如多个边界"
                "距离为 0 的相邻城市），在其中的选择是任意的。"),
            decimals={"distance_km": 1, "predicted_effect": 3, "chosen_share": 2},
            labels={"equally_good": Text("equally good", "同样好的备选")})}
        if self.comparison:
            c = self.comparison
            comp = pd.DataFrame({
                "pairing": pd.Series([Text("optimal", "最优"),
                                      Text("actual (parks table)", "实际（园区表）")], dtype=object),
                "pairs": [c["optimal_pairs"], c["actual_pairs"]],
                "mean_effect_per_pair": [c["optimal_mean_effect_per_pair"],
                                         c["actual_mean_effect_per_pair"]],
                "mean_distance_km": [c["optimal_mean_distance_km"],
                                     c["actual_mean_distance_km"]],
                "total_predicted_effect": [c["optimal_total_effect"], c["actual_total_effect"]],
            })
            tables["comparison"] = Table(
                comp, Text("Optimal vs actual pairing", "最优与实际帮扶组合的比较"),
                note=Text(
                    f"Compare per pair: the optimum gives each of the {c['recipients']} "
                    f"recipients one helper, while the actual table has {c['actual_pairs']} "
                    "pairs (a recipient may have several helpers), so the totals count "
                    f"different numbers of pairs. {c['recipients_changed']} recipients with an "
                    "actual pairing would get a helper they are not actually paired with.",
                    f"请按组合比较：最优方案为 {c['recipients']} 个被帮扶城市各分配一个帮扶城市，而实际"
                    f"名单有 {c['actual_pairs']} 个组合（一个被帮扶城市可有多个帮扶城市），因此两者"
                    f"总和所含组合数不同。在有实际帮扶的被帮扶城市中，有 {c['recipients_changed']} 个"
                    "会被分配到与实际不同的帮扶城市。"),
                decimals={"mean_effect_per_pair": 3, "mean_distance_km": 1,
                          "total_predicted_effect": 3},
                labels={"pairing": Text("pairing", "组合"), "pairs": Text("pairs", "组合数"),
                        "mean_effect_per_pair": Text("mean effect per pair", "每组合平均效应"),
                        "mean_distance_km": Text("mean distance (km)", "平均距离（千米）"),
                        "total_predicted_effect": Text("total predicted effect",
                                                       "预测总效应")})
        return tables

    def figures(self) -> dict[str, Figure]:
        """``optimal_pairs``: the predicted effect of each optimal pair (drawn on call)."""
        return {"optimal_pairs": Figure(
            self.plot, Text("Predicted effect of the optimal pairs", "最优组合的预测效应"),
            Text("One bar per optimal helper → recipient pair (city names), longest = largest "
                 "predicted effect b0 + b1·distance.",
                 "每个最优的帮扶方 → 被帮扶方组合一条横条（以城市名称标注），越长表示预测效应 "
                 "b0 + b1·距离 越大。"))}


def _pair_set(pairs: Iterable[tuple[str, str]] | None) -> set[tuple[str, str]]:
    return {(str(h), str(r)) for h, r in (pairs or [])}


def optimize_pairing(
    distances: pd.DataFrame,
    model: EffectModel,
    *,
    capacity: int = 2,
    forbidden: Iterable[tuple[str, str]] | None = None,
    fixed: Iterable[tuple[str, str]] | None = None,
    draws: int = 1000,
    seed: int | None = 0,
    actual: pd.DataFrame | None = None,
    names: Mapping[str, str] | None = None,
) -> OptimizeResult:
    """Assign every recipient one helper, at most ``capacity`` recipients per helper.

    Parameters
    ----------
    distances : DataFrame
        ``helper, recipient, distance_km`` for every candidate pair (ids as strings).
    model : EffectModel
        Predicted effect as a linear function of distance.
    capacity : int
        Maximum recipients per helper.
    forbidden, fixed : iterable of (helper, recipient)
        Pairs that may not be chosen / must be chosen.
    draws : int
        Coefficient draws for ``chosen_share`` (0 = none).
    seed : int
        Seed of the draws.
    actual : DataFrame, optional
        The actual pairing (``helper, recipient``) to compare with.
    names : mapping, optional
        ``{id: display name}`` for the result's tables (e.g.
        :func:`pairnet.spatial.cities.city_names`); ids without one are shown as themselves.

    Returns
    -------
    OptimizeResult

    Raises
    ------
    InfeasibleError
        Capacity × helpers < recipients, fixed pairs over capacity, or forbidden pairs leaving a
        recipient with no helper.
    """
    from pairnet.core.tables import check_unique, numeric_column, require_columns

    require_columns(distances, ["helper", "recipient", "distance_km"], what="distances table")
    d = distances[["helper", "recipient", "distance_km"]].reset_index(drop=True)
    d["helper"] = d["helper"].astype(str)
    d["recipient"] = d["recipient"].astype(str)
    d["distance_km"] = numeric_column(d, "distance_km", nonnegative=True, allow_missing=False)
    check_unique(d, ["helper", "recipient"], what="distance pair")
    helpers = list(dict.fromkeys(d["helper"]))
    recipients = list(dict.fromkeys(d["recipient"]))
    forbidden_s, fixed_s = _pair_set(forbidden), _pair_set(fixed)
    fixed_map: dict[str, str] = {}
    for h, r in fixed_s:
        if r in fixed_map:
            raise InfeasibleError(f"recipient {r} is fixed to two helpers "
                                  f"({fixed_map[r]} and {h})", file="`fixed`",
                                  fix="fix one helper per recipient")
        fixed_map[r] = h
    _check_feasible(helpers, recipients, capacity, forbidden_s, fixed_map)

    grid = d.pivot(index="recipient", columns="helper", values="distance_km")
    grid = grid.reindex(index=recipients, columns=helpers)
    # a city that is both helper and recipient is never paired with itself
    self_pair = np.array([[r == h for h in helpers] for r in recipients], dtype=bool)
    missing = grid.isna().to_numpy() & ~self_pair
    if missing.any():
        r, h = np.argwhere(missing)[0]
        raise InputError(f"no distance for pair {helpers[h]}->{recipients[r]}",
                         column="distance_km", fix="give a distance for every helper-recipient pair")
    dist = grid.fillna(0.0).to_numpy(dtype=float)
    allowed = ~self_pair
    h_index = {h: j for j, h in enumerate(helpers)}
    r_index = {r: i for i, r in enumerate(recipients)}
    for h, r in forbidden_s:
        if h in h_index and r in r_index:
            allowed[r_index[r], h_index[h]] = False
    for r, h in fixed_map.items():
        allowed[r_index[r], :] = False
        allowed[r_index[r], h_index[h]] = True

    def solve(b0: float, b1: float) -> np.ndarray:
        return solve_assignment(b0 + b1 * dist, capacity, allowed)

    choice = solve(model.b0, model.b1)
    chosen = np.zeros_like(dist, dtype=bool)
    chosen[np.arange(len(recipients)), choice] = True
    share = np.full_like(dist, np.nan)
    if draws:
        counts = np.zeros_like(dist)
        for b0, b1 in model.draws(draws, seed):
            counts[np.arange(len(recipients)), solve(b0, b1)] += 1
        share = counts / draws
    # Ties: other helpers exactly as good for a recipient (e.g. several neighbours at border
    # distance 0). The solver picks one of them arbitrarily, so say which are equivalent.
    eff = model.predict(dist)
    rows = np.arange(len(recipients))
    tie = allowed & np.isclose(eff, eff[rows, choice][:, None], rtol=1e-9, atol=1e-9)
    tie[rows, choice] = False
    tied_with = np.full(dist.shape, "", dtype=object)
    tied_with[rows, choice] = ["; ".join(helpers[j] for j in np.flatnonzero(t)) for t in tie]
    table = pd.DataFrame({
        "helper": np.tile(helpers, len(recipients)),
        "recipient": np.repeat(recipients, len(helpers)),
        "distance_km": dist.ravel(),
        "predicted_effect": eff.ravel(),
        "chosen": chosen.ravel(),
        "chosen_share": share.ravel(),
        "tied_with": tied_with.ravel(),
    })
    table = table[~self_pair.ravel()].reset_index(drop=True)
    comparison = compare_with_actual(table, actual) if actual is not None else {}
    return OptimizeResult(table, model, capacity, draws, comparison, dict(names or {}))


def compare_with_actual(table: pd.DataFrame, actual: pd.DataFrame) -> dict[str, Any]:
    """Compare the optimal pairing with the actual one (e.g. the co-built parks table).

    The actual table may give a recipient several helpers (several parks); every distinct actual
    pair counts in its totals. A recipient "changes" when its optimal helper is not among its
    actual helpers.
    """
    act = actual[["helper", "recipient"]].astype(str).drop_duplicates()
    cand = table.set_index(["helper", "recipient"])
    known = act[[(h, r) in cand.index for h, r in zip(act["helper"], act["recipient"])]]
    rows = cand.loc[list(zip(known["helper"], known["recipient"]))]
    opt = table[table["chosen"]]
    actual_helpers = known.groupby("recipient")["helper"].agg(set).to_dict()
    changed = [r for h, r in zip(opt["helper"], opt["recipient"])
               if r in actual_helpers and h not in actual_helpers[r]]
    unpaired = sorted(set(opt["recipient"]) - set(actual_helpers))
    return {
        "optimal_pairs": int(len(opt)),
        "optimal_total_effect": float(opt["predicted_effect"].sum()),
        "optimal_mean_distance_km": float(opt["distance_km"].mean()),
        "actual_pairs": int(len(rows)),
        "actual_total_effect": float(rows["predicted_effect"].sum()),
        "actual_mean_distance_km": float(rows["distance_km"].mean()) if len(rows) else None,
        "optimal_mean_effect_per_pair": float(opt["predicted_effect"].mean()),
        "actual_mean_effect_per_pair": (float(rows["predicted_effect"].mean()) if len(rows)
                                        else None),
        "actual_pairs_outside_candidates": int(len(act) - len(known)),
        "recipients": int(opt["recipient"].nunique()),
        "recipients_changed": len(changed),
        "changed": sorted(changed),
        "recipients_without_actual_helper": unpaired,
    }
