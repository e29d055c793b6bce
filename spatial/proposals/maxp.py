"""Max-p regions: contiguous regions of at least a floor population, as many as possible (PySAL spopt).

:func:`max_p_regions` works on any :class:`~spatial.graph.AreaGraph` with
centroids (a borough's units or MSOAs, a whole STP, a synthetic grid);
:func:`spatial.proposals.localities.propose_localities` and
:func:`spatial.proposals.count.fixed_count_regions` are built on it.

Method (and why max-p)
----------------------
The locality rule is a population *range* with no fixed number of pieces.
Max-p regions (Duque, Anselin & Rey 2012; the heuristic of Wei, Rey & Knaap
2020, ``spopt.region.MaxPHeuristic``) is the spopt method built for exactly
that: it finds the **largest number** of contiguous regions whose population
each reaches a floor, without being told how many.  We give it

* the floor ``thresholds.locality_min`` on the population;
* rook contiguity of the building blocks (the engine's unit adjacency);
* the blocks' centroids (km, EPSG:27700) as the attributes whose
  within-region dissimilarity it minimises, so its annealing phase prefers
  compact localities.

Max-p has no ceiling, so ``thresholds.locality_max`` is checked afterwards;
a locality above it is split by running max-p again inside it (with the
same floor; a piece above the ceiling has at least ``2 × floor`` residents
whenever ``max ≥ 2 × min``, as for 30–70k), and flagged with the reason
when no contiguous split exists.  The other spopt methods need the number
of regions up front (SKATER, AZP, region k-means, Ward, SPENC), which the
planner does not know; SKATER's ``floor`` would work with a guessed count
but gives long, snaking regions along its spanning tree.

Max-p draws random numbers (``numpy.random``); :func:`max_p_regions` seeds
it per group from ``seed`` and restores the caller's random state, so the same
seed gives the same localities and nothing else is disturbed.

Scale: spopt builds a dense ``n × n`` distance matrix, so one max-p problem
costs O(n²) memory and more than O(n²) time; localities nest in boroughs, so
the work is split per borough (``graph.group``) and grows linearly with the
number of boroughs (see ``docs/PROPOSALS.md`` and ``bench/bench_proposals.py``).
"""

from __future__ import annotations

import contextlib
import math
import warnings
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import DisconnectedAreasError, InfeasibleRangeError, ProposalError
from ..graph import AreaGraph, Progress, components
from ..limits import MAX_MAXP_AREAS, MAX_SPLIT_DEPTH
from .anneal import _anneal

__all__ = ["MaxPSettings", "RegionResult", "max_p_regions", "feasible_counts"]


@dataclass(frozen=True)
class MaxPSettings:
    """Effort of spopt's max-p heuristic.

    spopt's ``MaxPHeuristic.solve`` anneals *every* construction that reached
    the best number of regions, ``max_iterations_sa`` times each; how many do
    is down to chance, so its run time varies 50-fold between boroughs of the
    same size (0.9 s to 107 s measured).  We call the same two phases of
    ``spopt.region.maxp`` ourselves — all constructions (cheap: ~1 ms each
    for a borough), then annealing of only the ``anneal`` most compact of
    the best ones — which bounds the time without changing the method.

    Attributes
    ----------
    construction : int
        Random constructions tried (``max_iterations_construction``); the
        largest number of regions found is kept.
    anneal : int
        How many of the best constructions (fewest within-region centroid
        distance first) get spopt's tabu simulated annealing.
    max_no_move : int, optional
        Annealing stops after this many moves in a row without improvement
        (spopt's default: the number of areas).
    top_n : int
        Candidate regions considered when attaching left-over areas.
    max_areas : int
        Largest single max-p problem (spopt keeps an n × n distance matrix);
        larger inputs must be split into groups.
    """

    construction: int = 99
    anneal: int = 1
    max_no_move: int | None = None
    top_n: int = 2
    max_areas: int = MAX_MAXP_AREAS

    def __post_init__(self) -> None:
        for name in ("construction", "anneal", "top_n", "max_areas"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ProposalError(f"{name} must be a whole number of 1 or more, not {v!r}",
                                    where=f"MaxPSettings.{name}", fix="use a positive integer")


@dataclass
class RegionResult:
    """Regions of an :class:`AreaGraph`.

    Attributes
    ----------
    labels : ndarray of int
        Region id (0..p-1) of each area.
    population : ndarray of int64
        Population of each region.
    group : ndarray of int
        Group (e.g. borough) id of each region (0 without groups).
    flags : dict
        Region id -> reason it breaks the range (only those that do).
    contiguous : ndarray of bool
        Whether each region is one connected piece.
    n_split : int
        Regions above the ceiling that were split again.
    floor_fraction : dict
        Fixed-count regions only (:mod:`spatial.proposals.count`): group id ->
        the floor used, as a fraction of the group's mean region population.
    """

    labels: np.ndarray
    population: np.ndarray
    group: np.ndarray
    flags: dict[int, str]
    contiguous: np.ndarray
    n_split: int = 0
    floor_fraction: dict = field(default_factory=dict)

    @property
    def p(self) -> int:
        """Number of regions."""
        return len(self.population)


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed numpy's legacy global generator (spopt uses it) and restore it afterwards."""
    state = np.random.get_state()
    np.random.seed(seed % (2 ** 32))
    try:
        yield
    finally:
        np.random.set_state(state)


def feasible_counts(total: int, low: float, high: float) -> tuple[int, int]:
    """Smallest and largest number of pieces whose *average* fits ``low``–``high`` (``(k1, k2)``, k1 > k2 if none)."""
    k_min = max(1, math.ceil(total / high)) if high > 0 else 1
    k_max = math.floor(total / low) if low > 0 else max(k_min, 1)
    return k_min, k_max


def _check_feasible(total: int, largest: int, largest_code: str, low: int, high: int, label: str) -> None:
    """Raise :class:`InfeasibleRangeError` when arithmetic alone rules the range out."""
    if total < low:
        raise InfeasibleRangeError(
            f"{label} has {total:,} residents, fewer than the locality minimum {low:,}, so no split can meet "
            f"the range {low:,}–{high:,}", [(total, max(high, total), 1)], where=label)
    if largest > high:
        raise InfeasibleRangeError(
            f"{label}: its building block {largest_code} alone has {largest:,} residents, above the locality "
            f"maximum {high:,}", [(low, largest, max(1, math.floor(total / largest)))], where=label)
    k_min, k_max = feasible_counts(total, low, high)
    if k_min > k_max:
        k1, k2 = k_max, k_min
        nearest = []
        if k1 >= 1:
            nearest.append((low, math.ceil(total / k1), k1))
        nearest.append((math.floor(total / k2), high, k2))
        parts = []
        if k1 >= 1:
            parts.append(f"{k1} localit{'y' if k1 == 1 else 'ies'} would average {total / k1:,.0f} (above {high:,})")
        parts.append(f"{k2} would average {total / k2:,.0f} (below {low:,})")
        raise InfeasibleRangeError(
            f"no split of {label} ({total:,} residents) into localities of {low:,}–{high:,} exists: "
            + " and ".join(parts), nearest, where=label)


def _weights(adjacency: sp.csr_array):
    import libpysal

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return libpysal.weights.WSP(sp.csr_matrix(adjacency.astype(float))).to_W(silence_warnings=True)



def _groups(graph: AreaGraph, by_group: bool, names: Sequence[str]) -> tuple[list[tuple[int, np.ndarray]],
                                                                            Callable[[int], str]]:
    """``(group id, area ids)`` of each group to solve apart, and the label of a group id for messages.

    One group of every area unless ``by_group`` and the graph has groups; a
    group without a name in ``names`` is "the areas" (when alone) or "group g".
    """
    if by_group and graph.group is not None:
        groups = [(int(g), np.flatnonzero(graph.group == g)) for g in np.unique(graph.group)]
    else:
        groups = [(0, np.arange(graph.n))]
    names = list(names)

    def label_of(g: int) -> str:
        return names[g] if g < len(names) else ("the areas" if len(groups) == 1 else f"group {g}")

    return groups, label_of


def _check_group(graph: AreaGraph, ids: np.ndarray, label: str) -> None:
    """Raise :class:`DisconnectedAreasError` when the areas ``ids`` are not one connected piece."""
    pieces = components(graph.adjacency, ids)
    if len(pieces) > 1:
        raise DisconnectedAreasError(label, [[str(c) for c in graph.codes[p]] for p in pieces], where=label)


def _region_figures(graph: AreaGraph, labels: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Population (int64) and whether each is one connected piece, of regions ``0..p-1`` of ``labels``."""
    population = np.bincount(labels, weights=graph.population, minlength=p).astype(np.int64)
    contiguous = np.array([len(components(graph.adjacency, np.flatnonzero(labels == r))) == 1 for r in range(p)],
                          dtype=bool)
    return population, contiguous


def _maxp(graph: AreaGraph, ids: np.ndarray, floor: float, seed: int, settings: MaxPSettings,
          attributes: np.ndarray | None = None) -> np.ndarray:
    """Max-p labels (0..p-1) of the connected areas ``ids`` of ``graph`` (see :class:`MaxPSettings`).

    ``attributes`` (n, k), when given, join the centroids (km) as the
    attributes whose within-region dissimilarity max-p minimises (e.g. a
    weighted Core20 share, so localities keep deprived areas together).
    """
    from scipy.spatial.distance import pdist, squareform
    from spopt.region import maxp as spopt_maxp

    if len(ids) == 1 or graph.population[ids].sum() < 2 * floor:
        return np.zeros(len(ids), dtype=np.int64)
    if len(ids) > settings.max_areas:
        raise ProposalError(
            f"{len(ids):,} areas in one max-p problem (limit {settings.max_areas:,}: spopt keeps an n x n "
            f"distance matrix)", where="max_p_regions",
            fix="group the areas (e.g. by borough, graph.group) or build from MSOAs instead of units")
    w = _weights(graph.adjacency[ids][:, ids])
    attr = graph.coords[ids] / 1000.0
    if attributes is not None:
        attr = np.column_stack([attr, np.asarray(attributes, dtype=float).reshape(graph.n, -1)[ids]])
    pops = graph.population[ids].astype(float)
    with _seeded(seed), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not all(hasattr(spopt_maxp, f) for f in ("_construction_phase", "_pick_move_area", "_check_move",
                                                      "_calculate_within_region_distance")):
            # another spopt version: the public solver (same method, unbounded annealing time)
            frame = pd.DataFrame({f"a{j}": attr[:, j] for j in range(attr.shape[1])} | {"pop": pops})
            model = spopt_maxp.MaxPHeuristic(frame, w, [f"a{j}" for j in range(attr.shape[1])], "pop", float(floor),
                                             top_n=settings.top_n,
                                             max_iterations_construction=settings.construction,
                                             max_iterations_sa=settings.anneal, policy="keep")
            model.solve()
            labels = np.asarray(model.labels_, dtype=np.int64)
        else:
            dist = squareform(pdist(attr, metric="cityblock"))
            _, found = spopt_maxp._construction_phase(np.arange(len(ids)), attr, pops, dist, w, float(floor),
                                                      settings.top_n, settings.construction)
            spread = [spopt_maxp._calculate_within_region_distance(f[1], dist) for f in found]
            best, best_spread = None, np.inf
            for k in np.argsort(spread, kind="stable")[:settings.anneal]:
                lab, regions, attrs = found[k]
                lab, regions, _ = _anneal(
                    lab, regions, attrs, pops, w, dist, float(floor),
                    settings.max_no_move if settings.max_no_move is not None else len(ids))
                value = spopt_maxp._calculate_within_region_distance(regions, dist)
                if value < best_spread:
                    best, best_spread = lab, value
            labels = np.asarray(best, dtype=np.int64)
    return np.unique(labels, return_inverse=True)[1]


def max_p_regions(
    graph: AreaGraph,
    floor: float,
    ceiling: float | None = None,
    *,
    seed: int = 0,
    by_group: bool = True,
    split_large: bool = True,
    settings: MaxPSettings | None = None,
    group_labels: Sequence[str] | None = None,
    infeasible: str = "auto",
    progress: Progress | None = None,
    attributes: np.ndarray | None = None,
) -> RegionResult:
    """Contiguous regions of at least ``floor`` population, as many as possible (spopt max-p), ceiling checked.

    Works on any :class:`AreaGraph` with centroids: a borough's units or
    MSOAs, a whole STP, a synthetic grid.

    Parameters
    ----------
    graph : AreaGraph
        Needs ``coords``.
    floor, ceiling : float
        Population range of a region (ceiling optional).
    seed : int
        Same seed, same regions.
    by_group : bool
        Solve each ``graph.group`` separately (regions never cross groups).
    split_large : bool
        Split regions above ``ceiling`` by running max-p inside them.
    settings : MaxPSettings, optional
    group_labels : sequence of str, optional
        Names of the groups for messages (default ``graph.group_names``).
    infeasible : {"auto", "raise", "flag"}
        What to do with a group that no split can fit into the range:
        raise :class:`InfeasibleRangeError`, or solve it anyway (a group below
        the floor stays whole) and flag its regions with the reason.
        ``"auto"`` raises for a single group and flags when there are several
        (so the City of London does not stop a whole STP).
    progress : callable, optional
    attributes : ndarray (n, k), optional
        Further attributes (beside the centroids in km) whose within-region
        dissimilarity max-p minimises (spopt's attribute argument).

    Returns
    -------
    RegionResult

    Raises
    ------
    DisconnectedAreasError
        A group (or the whole input) is in separate pieces.
    InfeasibleRangeError
        A group whose population cannot be split into the range (with the
        nearest achievable range).
    """
    cfg = settings or MaxPSettings()
    if graph.coords is None:
        raise ProposalError("the areas have no centroids", where="graph.coords",
                            fix="build the AreaGraph with coords (AreaGraph.from_frame computes them)")
    if not floor > 0:
        raise ProposalError(f"the population floor must be above 0, not {floor}", where="locality_min",
                            fix="use a positive locality_min")
    hi = math.inf if ceiling is None else float(ceiling)
    names = list(group_labels) if group_labels is not None else (
        [str(x) for x in graph.group_names] if graph.group_names is not None and by_group and graph.group is not None
        else [])
    groups, label_of = _groups(graph, by_group, names)

    if infeasible not in ("auto", "raise", "flag"):
        raise ProposalError(f"unknown infeasible policy {infeasible!r}", where="infeasible",
                            fix="use 'auto', 'raise' or 'flag'")
    strict = infeasible == "raise" or (infeasible == "auto" and len(groups) == 1)
    # validate everything before any work: bad input fails fast and whole
    notes: dict[int, str] = {}
    for g, ids in groups:
        _check_group(graph, ids, label_of(g))
        pops = graph.population[ids]
        top = int(np.argmax(pops))
        try:
            _check_feasible(int(pops.sum()), int(pops[top]), str(graph.codes[ids[top]]), int(math.ceil(floor)),
                            int(hi) if math.isfinite(hi) else int(pops.sum()), label_of(g))
        except InfeasibleRangeError as exc:
            if strict:
                raise
            notes[g] = str(exc)

    labels = np.full(graph.n, -1, dtype=np.int64)
    region_group: list[int] = []
    n_split = 0
    seeds = np.random.SeedSequence(seed).generate_state(len(groups) + 1)
    for step, (g, ids) in enumerate(groups):
        if progress:
            progress(step / len(groups), f"max-p regions for {label_of(g)} ({len(ids):,} areas)")
        local = _maxp(graph, ids, floor, int(seeds[step]), cfg, attributes)
        pieces = [ids[local == k] for k in range(local.max() + 1)]
        if split_large and math.isfinite(hi):
            out, queue, depth = [], [(p, 0) for p in pieces], 0
            while queue:
                piece, depth = queue.pop(0)
                if graph.population[piece].sum() > hi and depth < MAX_SPLIT_DEPTH and len(piece) > 1:
                    sub = _maxp(graph, piece, floor, int(seeds[step]) + depth + 1, cfg, attributes)
                    if sub.max() >= 1:
                        n_split += 1
                        queue.extend((piece[sub == k], depth + 1) for k in range(sub.max() + 1))
                        continue
                out.append(piece)
            pieces = out
        for piece in pieces:
            labels[piece] = len(region_group)
            region_group.append(g)
    if progress:
        progress(1.0, f"{len(region_group):,} regions")
    population, contiguous = _region_figures(graph, labels, len(region_group))
    flags: dict[int, str] = {}
    for r in range(len(region_group)):
        pop = int(population[r])
        reasons = []
        if region_group[r] in notes and (pop < floor or pop > hi):
            reasons.append(notes[region_group[r]])
        if pop < floor and not reasons:
            reasons.append(f"population {pop:,} is below {int(floor):,} by {int(floor) - pop:,}")
        if pop > hi:
            reasons.append(f"population {pop:,} is above {int(hi):,} by {pop - int(hi):,}: "
                           + ("max-p found no split of it into contiguous parts of at least "
                              f"{int(floor):,} each" if split_large else "not split (split_large is off)"))
        if not contiguous[r]:
            reasons.append("not one connected piece")
        if reasons:
            flags[r] = "; ".join(reasons)
    return RegionResult(labels, population, np.asarray(region_group, dtype=np.int64), flags, contiguous, n_split)
