"""Goodman-Bacon (2021) decomposition of the staggered TWFE estimate into its 2×2 comparisons.

On a balanced panel with an absorbing binary treatment and no controls, the TWFE coefficient of
``y ~ treat | unit + time`` is a weighted average of every 2×2 DID between timing groups
(Theorem 1 of Goodman-Bacon 2021):

* **treated vs never treated** (``k`` against the units never treated inside the window),
* **earlier vs later treated** (``k`` treated before ``l``, over the periods before ``l``: the
  later group is a valid, not-yet-treated control),
* **later vs earlier treated** (``l`` against ``k`` over the periods from ``k`` on: the
  *already treated* group is the control; with dynamic effects these comparisons are biased
  and can carry the wrong sign),
* **later vs always treated** (a group treated from the first period serves as control).

The weights are the shares of the identifying variance of each comparison (sizes of the
groups and the variance of treatment in each 2×2, Goodman-Bacon eq. (10e)–(10g)); they are
non-negative and sum to one, and ``sum(weight × estimate)`` equals the TWFE coefficient to
machine precision. R reference: ``bacondecomp::bacon`` (``tests/reference/did``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pairnet.analyses.did import DIDPanel
from pairnet.core.errors import EstimationError, InputError
from pairnet.core.i18n import Text
from pairnet.core.results import Figure, ResultBase, Table, tidy_frame

__all__ = ["BACON_TYPES", "BaconResult", "bacon_decomposition"]

#: the comparison types in Chinese (figure legend and table cells of the Chinese report)
_TYPES_ZH: Mapping[str, str] = {
    "treated_vs_never": "处理组 vs 从未处理组",
    "earlier_vs_later": "早处理组 vs 晚处理组",
    "later_vs_earlier": "晚处理组 vs 早处理组（已处理作对照）",
    "later_vs_always": "晚处理组 vs 始终处理组",
}
#: the comparison types, with bacondecomp's names (and the Chinese ones)
BACON_TYPES: Mapping[str, Text] = {
    "treated_vs_never": Text("Treated vs Untreated", _TYPES_ZH["treated_vs_never"]),
    "earlier_vs_later": Text("Earlier vs Later Treated", _TYPES_ZH["earlier_vs_later"]),
    "later_vs_earlier": Text("Later vs Earlier Treated", _TYPES_ZH["later_vs_earlier"]),
    "later_vs_always": Text("Later vs Always Treated", _TYPES_ZH["later_vs_always"]),
}
#: the fixed control groups' names in the ``control`` column
_CONTROLS: Mapping[str, Text] = {"never": Text("never", "从未处理"),
                                 "always": Text("always", "始终处理")}
_COLORS = {"treated_vs_never": "C0", "earlier_vs_later": "C2", "later_vs_earlier": "C3",
           "later_vs_always": "C1"}
_MARKERS = {"treated_vs_never": "o", "earlier_vs_later": "^", "later_vs_earlier": "v",
            "later_vs_always": "s"}


@dataclass(frozen=True)
class BaconResult(ResultBase):
    """The Goodman-Bacon decomposition.

    Attributes
    ----------
    comparisons : DataFrame
        One row per 2×2: ``type`` (a key of :data:`BACON_TYPES`), ``treated`` (the cohort whose
        treatment switches), ``control`` (a cohort, ``"never"`` or ``"always"``), ``estimate``,
        ``weight``, ``periods`` (first and last period of the comparison window).
    twfe : float
        The TWFE coefficient the decomposition reproduces.
    y : str
        Outcome label.
    """

    comparisons: pd.DataFrame
    twfe: float
    y: str
    n_units: int = 0
    notes: tuple[str, ...] = field(default=())
    title = "Goodman-Bacon decomposition"

    @property
    def weighted_sum(self) -> float:
        """``sum(weight × estimate)``: equals :attr:`twfe` up to rounding."""
        c = self.comparisons
        return float((c["weight"] * c["estimate"]).sum())

    def by_type(self) -> pd.DataFrame:
        """Per comparison type: number of 2×2s, total weight and weighted average estimate."""
        c = self.comparisons
        rows = []
        for t in BACON_TYPES:
            s = c[c["type"] == t]
            if len(s):
                w = float(s["weight"].sum())
                rows.append({"type": t, "label": BACON_TYPES[t], "n": int(len(s)), "weight": w,
                             "estimate": float((s["weight"] * s["estimate"]).sum() / w)
                             if w > 0 else float("nan")})
        return pd.DataFrame(rows)

    def tidy(self) -> pd.DataFrame:
        """Broom columns, one row per 2×2 (``term`` = ``"2004 vs never"``), then type and weight."""
        c = self.comparisons
        terms = [f"{a} vs {b}" for a, b in zip(c["treated"], c["control"], strict=True)]
        return tidy_frame(terms, c["estimate"], type=list(c["type"]), weight=list(c["weight"]))

    def to_dict(self) -> dict[str, Any]:
        """Every 2×2 (type, cohorts, estimate, weight), the totals by type and the check."""
        return {"twfe": self.twfe, "weighted_sum": self.weighted_sum,
                "difference": self.weighted_sum - self.twfe, "y": self.y,
                "comparisons": self.comparisons, "by_type": self.by_type(),
                "notes": list(self.notes)}

    def summary(self) -> str:
        """The comparisons by type and the TWFE check (returned, never printed)."""
        bt = self.by_type()
        lines = [f"Goodman-Bacon decomposition of TWFE = {self.twfe:.6g} on {self.y} "
                 f"({len(self.comparisons)} 2x2 comparisons; weighted sum "
                 f"{self.weighted_sum:.6g})"]
        for r in bt.itertuples():
            lines.append(f"  {r.label:<28} n={r.n:<3} weight={r.weight:.4f} "
                         f"avg estimate={r.estimate:.5g}")
        return "\n".join(lines)

    @staticmethod
    def _bilingual(frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with its words as Text (Chinese in a zh report).

        The ``label`` column (by type) names the type in both languages and ``type`` stays its
        key; without one, ``type`` itself reads in Chinese. ``control`` never / always too.
        """
        out = frame.copy()
        # object columns: pandas would turn the texts into plain strings in a string column
        if "label" in out:
            out["label"] = pd.Series([BACON_TYPES.get(t, t) for t in frame["type"]],
                                     index=out.index, dtype=object)
        else:
            out["type"] = pd.Series([Text(t, _TYPES_ZH.get(t, t)) for t in out["type"]],
                                    index=out.index, dtype=object)
        if "control" in out:
            out["control"] = pd.Series([_CONTROLS.get(c, c) for c in out["control"]],
                                       index=out.index, dtype=object)
        return out

    def tables(self) -> dict[str, Table]:
        """The 2×2 comparisons and their totals by type."""
        note = Text(
            "Each row is one 2×2 DID inside the TWFE estimate: its type, the cohort treated "
            "(first treated period), the comparison cohort, the estimate and its weight. The "
            "weights sum to one and weight × estimate sums to the TWFE coefficient "
            f"({self.twfe:.4f}). Large weight on 'later vs earlier treated' rows (already "
            "treated units as controls) means TWFE leans on comparisons that are biased when "
            "effects change over time.",
            "每行是 TWFE 估计中的一个 2×2 DID：类型、处理组（首次处理期）、对照组、估计值与权重。"
            f"权重之和为 1，权重×估计值之和等于 TWFE 系数（{self.twfe:.4f}）。"
            "“晚处理 vs 早处理”（以已处理单位为对照）权重大，说明当效应随时间变化时 TWFE 依赖有偏的比较。")
        return {
            "bacon_comparisons": Table(self._bilingual(self.comparisons),
                                       Text("Goodman-Bacon decomposition: every 2×2 comparison",
                                            "Goodman-Bacon 分解：每个 2×2 比较"), note,
                                       labels={"periods": Text("window", "比较时段")}),
            "bacon_by_type": Table(self._bilingual(self.by_type()),
                                   Text("Goodman-Bacon decomposition by comparison type",
                                        "Goodman-Bacon 分解（按比较类型）"),
                                   Text("Total weight and weighted average 2×2 estimate of "
                                        "each type of comparison.",
                                        "各类比较的总权重与加权平均 2×2 估计值。")),
        }

    def plot(self, lang: str = "en") -> Any:
        """The scatter of Goodman-Bacon (2021, Figure 6): estimate against weight, by type."""
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.5, 4.2))
        c = self.comparisons
        for t, label in BACON_TYPES.items():
            s = c[c["type"] == t]
            if len(s):
                ax.scatter(s["weight"], s["estimate"], c=_COLORS[t], marker=_MARKERS[t],
                           s=40, label=label("zh" if lang == "zh" else "en"),
                           edgecolors="black", linewidths=0.4)
        ax.axhline(self.twfe, color="black", lw=0.9, ls="--",
                   label=("TWFE" if lang != "zh" else "TWFE 估计") + f" = {self.twfe:.3g}")
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_xlabel("weight" if lang != "zh" else "权重")
        ax.set_ylabel(("2×2 DID estimate" if lang != "zh" else "2×2 DID 估计值")
                      + f" ({self.y})")
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
        return fig

    def figures(self) -> dict[str, Figure]:
        """The decomposition scatter."""
        return {"bacon_scatter": Figure(
            lambda lang: self.plot(lang),
            Text("Goodman-Bacon decomposition", "Goodman-Bacon 分解"),
            Text("Each point is one 2×2 comparison: its weight (x) and estimate (y); the dashed "
                 "line is the TWFE coefficient, their weighted average. Points far from the "
                 "others with large weight drive the TWFE estimate.",
                 "每个点是一个 2×2 比较：横轴为权重，纵轴为估计值；虚线为 TWFE 系数（加权平均）。"))}


def _mean(y: np.ndarray, mask: np.ndarray) -> float:
    return float(y[mask].mean())


def bacon_decomposition(panel: DIDPanel, *, y: str | None = None) -> BaconResult:
    """Decompose ``y ~ treat | unit + time`` into its 2×2 DIDs (Goodman-Bacon 2021).

    Parameters
    ----------
    panel : DIDPanel
        A balanced panel (every unit in every period).
    y : str, optional
        Safe outcome name (default the main outcome).

    Raises
    ------
    InputError
        The panel is unbalanced (the decomposition holds only on balanced panels).
    EstimationError
        Fewer than two timing groups.
    """
    f = panel.frame
    y = panel.y if y is None else y
    if not panel.is_balanced:
        raise InputError("the Goodman-Bacon decomposition needs a balanced panel (every unit in "
                         "every period)", column=panel.source.get("time"),
                         fix="balance the panel, or leave bacon out of `diagnostics`")
    times = np.sort(f["time"].unique())
    t0, t1 = int(times[0]), int(times[-1])
    n_t = len(times)
    units = f.groupby("unit")["cohort"].first()
    g = units.to_numpy()
    # timing groups: never treated inside the window, always treated, or a switch period
    grp = np.where((g == 0) | (g > t1), -1, np.where(g <= t0, -2, g))
    n = len(units)
    share = {k: float((grp == k).sum()) / n for k in np.unique(grp)}
    dbar = {k: (0.0 if k == -1 else 1.0 if k == -2 else float((times >= k).sum()) / n_t)
            for k in share}
    ucode = units.index.to_numpy()
    ug = pd.Series(grp, index=ucode)
    fg = ug.reindex(f["unit"].to_numpy()).to_numpy()
    tt = f["time"].to_numpy()
    yy = f[y].to_numpy(float)

    def ybar(k: int, lo: int, hi: int) -> float:
        return _mean(yy, (fg == k) & (tt >= lo) & (tt <= hi))

    rows: list[dict[str, Any]] = []
    timing = sorted(k for k in share if k > 0)
    if not timing:
        raise EstimationError("no cohort switches treatment inside the panel window")
    for k in timing:
        # a timing group against a group whose treatment never changes: the never treated
        # (-1), and the always treated (-2) as the control of "later vs always"
        for c, kind, name in ((-1, "treated_vs_never", "never"), (-2, "later_vs_always", "always")):
            if c not in share:
                continue
            nk, nc = share[k], share[c]
            nkc = nk / (nk + nc)
            est = ((ybar(k, k, t1) - ybar(k, t0, k - 1)) - (ybar(c, k, t1) - ybar(c, t0, k - 1)))
            w = (nk + nc) ** 2 * nkc * (1 - nkc) * dbar[k] * (1 - dbar[k])
            rows.append({"type": kind, "treated": k, "control": name,
                         "estimate": est, "weight": w, "periods": f"{t0}-{t1}"})
    for i, k in enumerate(timing):
        for m in timing[i + 1:]:  # k earlier, m later
            nk, nm = share[k], share[m]
            nkm = nk / (nk + nm)
            dk, dm = dbar[k], dbar[m]
            # earlier vs later: window before m, the later group not yet treated
            est = ((ybar(k, k, m - 1) - ybar(k, t0, k - 1))
                   - (ybar(m, k, m - 1) - ybar(m, t0, k - 1)))
            w = (((nk + nm) * (1 - dm)) ** 2 * nkm * (1 - nkm) * (dk - dm) / (1 - dm)
                 * (1 - dk) / (1 - dm))
            rows.append({"type": "earlier_vs_later", "treated": k, "control": str(m),
                         "estimate": est, "weight": w, "periods": f"{t0}-{m - 1}"})
            # later vs earlier: window from k on, the earlier group already treated
            est = ((ybar(m, m, t1) - ybar(m, k, m - 1))
                   - (ybar(k, m, t1) - ybar(k, k, m - 1)))
            w = (((nk + nm) * dk) ** 2 * nkm * (1 - nkm) * (dm / dk) * (dk - dm) / dk)
            rows.append({"type": "later_vs_earlier", "treated": m, "control": str(k),
                         "estimate": est, "weight": w, "periods": f"{k}-{t1}"})
    comp = pd.DataFrame(rows)
    comp = comp[comp["weight"] > 0].reset_index(drop=True)
    comp["weight"] = comp["weight"] / comp["weight"].sum()
    comp["treated"] = comp["treated"].astype(int)
    comp["control"] = comp["control"].astype(str)
    # the TWFE coefficient itself, by the Frisch-Waugh formula on the balanced panel
    d = f["treat"].to_numpy(float)
    dd = _demean2(d, f["unit"].to_numpy(), tt)
    twfe = float(dd @ yy / (dd @ d))
    notes: tuple[str, ...] = ()
    if -2 in share:
        notes = (f"{int((grp == -2).sum())} unit(s) treated from the first period serve only as "
                 "controls ('later vs always treated')",)
    return BaconResult(comparisons=comp, twfe=twfe, y=panel.label(y), n_units=n, notes=notes)


def _demean2(x: np.ndarray, unit: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Two-way demeaning on a balanced panel (exact: x − x̄_i − x̄_t + x̄)."""
    s = pd.Series(x)
    return (x - s.groupby(unit).transform("mean").to_numpy()
            - s.groupby(time).transform("mean").to_numpy() + x.mean())
