"""Yearly directed investment networks: one canonical form, validated once at the door.

The canonical form (:class:`YearlyNetworks`) is, like libpysal's ``Graph``, an *edge table* for a
fixed, ordered node list:

``nodes``
    tuple of node ids (strings; ``"440100"``, ``"0755"`` keep their leading digits). The order is
    the node order of every graph built from it, and isolates are part of it.
``years``
    tuple of the years covered (a year without any row is a year without ties).
``thresholds``
    tuple of positive connection thresholds.
``edges``
    DataFrame ``origin, destination, year, count`` with one row per tie that has a positive
    count, no self-loops, sorted by ``(year, origin position, destination position)``.

The graph for ``(year, threshold)`` has every node of ``nodes`` and an edge ``i -> j`` iff
``count >= threshold`` (inclusive; absent rows are zero). Self-loop rows (``origin ==
destination``: investment within one city) are never edges: :meth:`YearlyNetworks.from_flows`
drops them with a :class:`UserWarning` giving how many rows and how much count were dropped, and
keeps them in ``self_loops`` for the record. Zero-count rows are dropped silently (they are the
same as absent rows).

Seed 003 §4.6 says "threshold 1: more than 0 investments; threshold 5: more than 5" — the two
examples disagree on strictness. We follow the issue: a tie exists iff ``count >= threshold``,
which matches the threshold-1 example exactly.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pairnet.core.errors import InputError
from pairnet.core.tables import check_unique, id_strings, numeric_column, require_columns

if TYPE_CHECKING:  # pragma: no cover
    import igraph
    import networkx

__all__ = ["YearlyNetworks", "FLOW_COLUMNS", "parse_thresholds"]

FLOW_COLUMNS = ("origin", "destination", "year", "count")


def parse_thresholds(values: Iterable[Any], *, name: str = "`thresholds`") -> tuple[int | float, ...]:
    """Check and sort connection thresholds: positive numbers, no repeats.

    Integral values come back as ``int`` (``3.0`` -> ``3``).

    Raises
    ------
    InputError
        A threshold that is not a number or not > 0.
    """
    out: list[int | float] = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError) as exc:
            raise InputError(f"threshold {v!r} is not a number", file=name,
                             fix="give positive numbers, e.g. 1,3,5,10") from exc
        if not np.isfinite(f) or f <= 0:
            raise InputError(f"threshold {v!r} must be > 0", file=name,
                             fix="give positive numbers, e.g. 1,3,5,10 (a tie needs count >= t)")
        t: int | float = int(f) if f.is_integer() else f
        if t not in out:
            out.append(t)
    if not out:
        raise InputError("no thresholds given", file=name, fix="give e.g. 1,3,5,10")
    return tuple(sorted(out))


def _counts_dtype(values: np.ndarray) -> np.ndarray:
    """Integral counts as int64 (exact sums in every backend), others as float64."""
    vals = np.asarray(values, dtype=float)
    if vals.size == 0 or np.all(vals == np.round(vals)):
        return vals.astype(np.int64)
    return vals


@dataclass(frozen=True, eq=False)
class YearlyNetworks:
    """Directed networks per year over a fixed node list, cut at several thresholds.

    Build with :meth:`from_flows` (validates) or :meth:`from_networkx` / :meth:`from_igraph`;
    export with :meth:`to_networkx` / :meth:`to_igraph`. See the module docstring for the form.
    The plain constructor trusts its arguments (canonical order, no self-loops, positive
    counts); use the ``from_*`` constructors for anything else.
    """

    nodes: tuple[str, ...]
    years: tuple[int, ...]
    thresholds: tuple[int | float, ...]
    edges: pd.DataFrame
    self_loops: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(FLOW_COLUMNS)))

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_flows(
        cls,
        flows: pd.DataFrame,
        nodes: Sequence[str] | None = None,
        thresholds: Iterable[Any] = (1,),
        *,
        years: Iterable[int] | None = None,
        file: str | None = None,
    ) -> YearlyNetworks:
        """Validate a flows table and build the canonical form.

        Parameters
        ----------
        flows : DataFrame
            Columns ``origin, destination, year, count`` (others ignored). Ids are read as
            strings; rows may be absent for zero.
        nodes : sequence of str, optional
            The full ordered node list (isolates included). Every flow id must be in it. When
            None, the sorted union of the flow ids is used (then no node can be an isolate in
            every year).
        thresholds : iterable of number
            Connection thresholds (tie iff ``count >= t``).
        years : iterable of int, optional
            Years to cover; default every year from the first to the last in ``flows``. Rows
            outside these years are an error.
        file : str, optional
            Name of the source, for messages.

        Raises
        ------
        InputError
            Missing columns, missing/non-numeric/negative counts, missing or non-integer
            years, flow ids not in ``nodes``, repeated nodes, duplicate
            ``(origin, destination, year)`` rows — naming the rows (1-based data rows).
        """
        require_columns(flows, FLOW_COLUMNS, file=file, what="flows table")
        df = flows.loc[:, list(FLOW_COLUMNS)].reset_index(drop=True)
        for col in ("origin", "destination"):
            df[col] = id_strings(df[col])
            miss = np.flatnonzero(df[col].isna().to_numpy())
            if len(miss):
                raise InputError("missing id", file=file, column=col,
                                 rows=miss.tolist(), fix="fill or drop these records")
        year = numeric_column(df, "year", file=file, allow_missing=False)
        yv = year.to_numpy(dtype=float)
        frac = np.flatnonzero(yv != np.round(yv))
        if len(frac):
            raise InputError(f"non-integer year {df['year'].iloc[frac[0]]!s}", file=file,
                             column="year", rows=frac.tolist(),
                             fix="years must be whole numbers")
        count = numeric_column(df, "count", file=file, nonnegative=True, allow_missing=False)
        df["year"] = year.to_numpy(dtype=float).astype(np.int64)
        df["count"] = count.to_numpy(dtype=float)
        check_unique(df, ["origin", "destination", "year"], file=file, what="flow row")

        flow_ids = pd.unique(pd.concat([df["origin"], df["destination"]]).to_numpy())
        if nodes is None:
            node_list = sorted(str(v) for v in flow_ids)
        else:
            if isinstance(nodes, str):
                # a string would be iterated character by character
                raise InputError(f"nodes must be a list of ids, got the string {nodes!r}",
                                 file="`nodes`",
                                 fix="pass a list, e.g. spatial.cities.resolve_cities('GD') "
                                     "for a city group")
            node_list = [str(v).strip() for v in nodes]
            seen: dict[str, int] = {}
            for i, v in enumerate(node_list):
                if v in seen:
                    raise InputError(f"node {v!r} is listed twice", file="`nodes`",
                                     fix="list each node once")
                seen[v] = i
            known = set(node_list)
            for col in ("origin", "destination"):
                bad = np.flatnonzero(~df[col].isin(known).to_numpy())
                if len(bad):
                    ids = list(dict.fromkeys(df[col].iloc[bad].astype(str)))
                    shown = ", ".join(repr(v) for v in ids[:5]) + (
                        f" and {len(ids) - 5} more" if len(ids) > 5 else "")
                    raise InputError(
                        f"{'id' if len(ids) == 1 else 'ids'} {shown} "
                        f"{'is' if len(ids) == 1 else 'are'} not in the node list", file=file,
                        column=col, rows=bad.tolist(),
                        fix="add the ids to `nodes` (as they are written in the flows) or drop "
                            "these rows")
        if years is None:
            year_list = (tuple(range(int(df["year"].min()), int(df["year"].max()) + 1))
                         if len(df) else ())
        else:
            year_list = tuple(sorted({int(y) for y in years}))
            bad = np.flatnonzero(~df["year"].isin(year_list).to_numpy())
            if len(bad):
                raise InputError(f"year {int(df['year'].iloc[bad[0]])} is outside the years "
                                 f"asked ({year_list[0]}-{year_list[-1]})", file=file,
                                 column="year", rows=bad.tolist(),
                                 fix="widen `years` or drop the rows")
        loops_mask = (df["origin"] == df["destination"]).to_numpy()
        loops = df[loops_mask].reset_index(drop=True)
        if loops_mask.any():
            warnings.warn(
                f"{int(loops_mask.sum())} self-loop row(s) (origin == destination, total count "
                f"{float(loops['count'].sum()):g}) ignored: a network tie joins two different "
                f"nodes", UserWarning, stacklevel=2)
        keep = df[~loops_mask & (df["count"].to_numpy() > 0)]
        return cls._build(node_list, year_list, parse_thresholds(thresholds), keep, loops)

    @classmethod
    def _build(cls, nodes: Sequence[str], years: Sequence[int], thresholds: Sequence[Any],
               edges: pd.DataFrame, self_loops: pd.DataFrame | None = None) -> YearlyNetworks:
        """Assemble from already-valid parts: sort edges into the canonical order."""
        index = pd.Index(list(nodes), dtype=object)
        o = index.get_indexer(edges["origin"].astype(str).to_numpy(dtype=object))
        d = index.get_indexer(edges["destination"].astype(str).to_numpy(dtype=object))
        y = edges["year"].to_numpy(dtype=np.int64)
        order = np.lexsort((d, o, y))
        o, d, y = o[order].astype(np.int64), d[order].astype(np.int64), y[order]
        count = _counts_dtype(edges["count"].to_numpy(dtype=float)[order])
        node_arr = np.asarray(nodes, dtype=object)
        canon = pd.DataFrame({
            "origin": pd.array(node_arr[o], dtype="string"),
            "destination": pd.array(node_arr[d], dtype="string"),
            "year": y,
            "count": count,
        })
        loops = (self_loops if self_loops is not None
                 else pd.DataFrame(columns=list(FLOW_COLUMNS))).reset_index(drop=True)
        built = cls(tuple(nodes), tuple(int(v) for v in years), tuple(thresholds), canon, loops)
        # integer views of the edge table, in canonical order (the fast path works on these)
        object.__setattr__(built, "_arrays", (y, o, d, count))
        return built

    # ------------------------------------------------------------------ access
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, YearlyNetworks):
            return NotImplemented
        return (self.nodes == other.nodes and self.years == other.years
                and self.thresholds == other.thresholds
                and len(self.edges) == len(other.edges)
                and all(self.edges[c].astype(str).tolist() == other.edges[c].astype(str).tolist()
                        for c in ("origin", "destination"))
                and np.array_equal(self.edges["year"].to_numpy(), other.edges["year"].to_numpy())
                and np.array_equal(self.edges["count"].to_numpy(dtype=float),
                                   other.edges["count"].to_numpy(dtype=float)))

    __hash__ = None  # type: ignore[assignment]

    @property
    def n(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    def _index_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(year, origin position, destination position, count) arrays, cached."""
        cache = self.__dict__.get("_arrays")
        if cache is None:
            pos = pd.Series(np.arange(self.n), index=pd.Index(self.nodes, dtype=object))
            o = pos.reindex(self.edges["origin"].astype(object)).to_numpy(dtype=np.int64)
            d = pos.reindex(self.edges["destination"].astype(object)).to_numpy(dtype=np.int64)
            cache = (self.edges["year"].to_numpy(dtype=np.int64), o, d,
                     self.edges["count"].to_numpy())
            object.__setattr__(self, "_arrays", cache)
        return cache

    def _check_year(self, year: int) -> int:
        if int(year) not in self.years:
            raise InputError(f"year {year} is not covered ({self.years[0]}-{self.years[-1]})"
                             if self.years else f"year {year} is not covered (no years)",
                             file="`year`", fix="pick one of the network's years")
        return int(year)

    def edge_arrays(self, year: int, threshold: float | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Origin positions, destination positions and counts of the ties of one graph.

        ``threshold=None`` keeps every tie with a positive count (the lossless graph).
        Arrays are in canonical order (origin, then destination position).
        """
        year = self._check_year(year)
        y, o, d, c = self._index_arrays()
        lo, hi = np.searchsorted(y, [year, year + 1])
        o, d, c = o[lo:hi], d[lo:hi], c[lo:hi]
        if threshold is not None:
            keep = c >= threshold
            o, d, c = o[keep], d[keep], c[keep]
        return o, d, c

    def tie_table(self, year: int, threshold: float | None = None) -> pd.DataFrame:
        """Return the edge-table rows of one graph (``origin, destination, year, count``)."""
        year = self._check_year(year)
        e = self.edges[self.edges["year"].to_numpy() == year]
        if threshold is not None:
            e = e[e["count"].to_numpy() >= threshold]
        return e.reset_index(drop=True)

    # ------------------------------------------------------------------ backends
    def to_networkx(self, year: int, threshold: float | None = None) -> networkx.DiGraph:
        """Return the graph of one (year, threshold) as a ``networkx.DiGraph``.

        Nodes are added in node order (isolates included); each edge carries ``count``; the
        graph attributes hold ``year`` and ``threshold``. ``threshold=None`` keeps every tie
        with a positive count (lossless: :meth:`from_networkx` rebuilds the edge table).
        """
        import networkx as nx

        o, d, c = self.edge_arrays(year, threshold)
        g = nx.DiGraph(year=int(year), threshold=threshold)
        g.add_nodes_from(self.nodes)
        nodes = self.nodes
        g.add_edges_from((nodes[i], nodes[j], {"count": w})
                         for i, j, w in zip(o.tolist(), d.tolist(), c.tolist(), strict=True))
        return g

    def to_igraph(self, year: int, threshold: float | None = None) -> igraph.Graph:
        """Return the graph of one (year, threshold) as a directed ``igraph.Graph``.

        Vertex ``i`` is ``nodes[i]`` (attribute ``name``); edges carry ``count``; graph
        attributes ``year`` and ``threshold``.
        """
        import igraph as ig

        o, d, c = self.edge_arrays(year, threshold)
        g = ig.Graph(n=self.n, edges=np.column_stack([o, d]).tolist(), directed=True)
        g.vs["name"] = list(self.nodes)
        g.es["count"] = c.tolist()
        g["year"] = int(year)
        g["threshold"] = threshold
        return g

    @classmethod
    def from_networkx(cls, graphs: Mapping[int, networkx.DiGraph],
                      thresholds: Iterable[Any] = (1,), *, count: str = "count"
                      ) -> YearlyNetworks:
        """Rebuild from ``{year: DiGraph}`` sharing one node list (order of the first graph).

        Edges without a ``count`` attribute count 1. Self-loops are rejected.
        """
        return cls._from_edge_lists(
            {int(y): (list(map(str, g.nodes)),
                      [(str(u), str(v), w.get(count, 1)) for u, v, w in g.edges(data=True)])
             for y, g in graphs.items()}, thresholds, what="networkx graph")

    @classmethod
    def from_igraph(cls, graphs: Mapping[int, igraph.Graph], thresholds: Iterable[Any] = (1,),
                    *, count: str = "count") -> YearlyNetworks:
        """Rebuild from ``{year: igraph.Graph}`` (vertex attribute ``name`` = node id).

        Graphs without vertex names use ``"0", "1", ...``; edges without ``count`` count 1.
        """
        lists = {}
        for y, g in graphs.items():
            names = (list(map(str, g.vs["name"])) if "name" in g.vs.attributes()
                     else [str(i) for i in range(g.vcount())])
            w = g.es[count] if count in g.es.attributes() else [1] * g.ecount()
            lists[int(y)] = (names, [(names[e.source], names[e.target], w[k])
                                     for k, e in enumerate(g.es)])
        return cls._from_edge_lists(lists, thresholds, what="igraph graph")

    @classmethod
    def _from_edge_lists(cls, lists: Mapping[int, tuple[list[str], list[tuple[str, str, Any]]]],
                         thresholds: Iterable[Any], *, what: str) -> YearlyNetworks:
        if not lists:
            raise InputError(f"no {what}s given", file=what, fix="pass {year: graph}")
        years = sorted(lists)
        nodes = lists[years[0]][0]
        rows = []
        for y in years:
            ns, es = lists[y]
            if set(ns) != set(nodes) or len(ns) != len(nodes):
                raise InputError(f"the {what} of {y} has a different node set", file=what,
                                 fix="give every year the same nodes (isolates included)")
            for u, v, w in es:
                if u == v:
                    raise InputError(f"the {what} of {y} has a self-loop at {u!r}", file=what,
                                     fix="remove self-loops")
                rows.append((u, v, y, w))
        edges = pd.DataFrame(rows, columns=list(FLOW_COLUMNS))
        if len(edges):
            neg = np.flatnonzero(pd.to_numeric(edges["count"]).to_numpy(dtype=float) <= 0)
            if len(neg):
                raise InputError(f"{what} edges need a positive count", file=what,
                                 rows=neg.tolist(), fix="drop edges with count <= 0")
        else:
            edges = edges.astype({"year": np.int64, "count": np.int64})
        return cls._build(nodes, years, parse_thresholds(thresholds), edges)
