"""Localities: split a borough into contiguous 30–70k pieces with PySAL spopt's max-p regions.

"How would this borough split into 30–70k localities?"  :func:`propose_localities`
answers from the real units (LSOAs) or, to respect MSOA boundaries, from the
borough's MSOAs.

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
from typing import Iterator, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..footprints import Footprint, Scenario
from ..index import UnitIndex
from ..errors import DisconnectedAreasError, InfeasibleRangeError, ProposalError, UnknownAreaError
from ..graph import AreaGraph, Progress, components
from ..thresholds import Thresholds
from .common import resolve_stp

__all__ = [
    "MaxPSettings",
    "RegionResult",
    "max_p_regions",
    "feasible_counts",
    "msoa_graph",
    "layer_graph",
    "block_graph",
    "BLOCKS",
    "Locality",
    "LocalityProposal",
    "propose_localities",
    "PAPER_LOCALITIES",
]

#: Building blocks localities can be made of: ``on`` value -> words.
BLOCKS = {"unit": "LSOAs", "msoa": "MSOAs", "ward": "wards (2017, best fit from LSOAs)", "blocks": "given blocks"}

_HLP = "Healthy London Partnership, 'Supporting integration ambitions in London' (2018)"
#: What the papers describe at locality level, by STP or borough code (for the comparison).
PAPER_LOCALITIES: dict[str, tuple[str, tuple[int, int] | None, int | None]] = {
    # code: (what the paper says, population range or None, localities per borough or None)
    "E54000028": ("NCL is implementing Community Health Integration Networks (CHINs) at locality level "
                  "(~50k–80k), two CHINs per borough", (50_000, 80_000), 2),
    "E09000002": ("BHR's Integrated Care Coalition builds on established localities of ~50k–70k in each borough",
                  (50_000, 70_000), None),
    "E09000016": ("BHR's Integrated Care Coalition builds on established localities of ~50k–70k in each borough",
                  (50_000, 70_000), None),
    "E09000026": ("BHR's Integrated Care Coalition builds on established localities of ~50k–70k in each borough",
                  (50_000, 70_000), None),
    "E09000012": ("'One Hackney' is delivered via four locality-based quadrants", None, 4),
    "E54000031": ("SWL plans locality-level models of ~50k population", (50_000, 50_000), None),
}


# --- the generic method ----------------------------------------------------------------------

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
    max_areas: int = 3000

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
        Fixed-count regions only (:mod:`spatial.proposals_count`): group id ->
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


def _anneal(labels, regions: dict, attrs: dict, pops: np.ndarray, w, dist: np.ndarray, floor: float,
            max_no_move: int, alpha: float = 0.998, tabu_length: int = 10) -> tuple[list, dict, dict]:
    """spopt's max-p simulated annealing (``maxp._perform_sa``), made to end.

    spopt 0.7 loops for ever when every area it may move borders no other
    region (such a move is skipped without counting, and the same areas come
    back): pysal/spopt#506, fixed in spopt 0.8, which needs Python 3.12.  Here,
    when a fresh list of candidate areas holds only such areas, annealing
    stops.  In every other case this makes the same moves from the same
    random draws as spopt, with spopt's own move search and move check.
    """
    from spopt.region import maxp as spopt_maxp

    labels = list(labels)
    regions = {k: list(v) for k, v in regions.items()}
    attrs = dict(attrs)
    temperature, idle, tabu = 1.0, 0, []
    candidates: list = []
    checked = False  # a real move was weighed since the candidates were last listed
    while idle <= max_no_move:
        if not candidates:
            candidates = list(spopt_maxp._pick_move_area(labels, regions, attrs, pops, w, dist, floor))
            checked = False
            if not candidates:
                break
        area = candidates[np.random.randint(len(candidates))]
        lost, added, move = spopt_maxp._check_move(area, labels, regions, pops, w, dist, floor)
        if move is None:  # no neighbouring region to move to
            candidates.remove(area)
            if not candidates and not checked:
                break  # spopt 0.7 would list the same areas again, for ever
            continue
        checked = True
        gain = lost - added
        donor, recipient = move[1], move[2]
        if gain > 0:
            accept = True
            if (area, recipient, donor) not in tabu:
                if len(tabu) == tabu_length:
                    tabu.pop(0)
                tabu.append((area, recipient, donor))
            idle = 0
        else:
            idle += 1
            accept = bool(np.exp(gain / temperature) > np.random.random()) and move not in tabu
        candidates.remove(area)
        if accept:
            labels[area] = recipient
            regions[donor].remove(area)
            regions[recipient].append(area)
            attrs[donor] -= pops[area]
            attrs[recipient] += pops[area]
            candidates = [a for a in candidates if labels[a] != recipient and labels[a] != donor]
        temperature *= alpha
    return labels, regions, attrs


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
    if by_group and graph.group is not None:
        gids = np.unique(graph.group)
        groups = [(int(g), np.flatnonzero(graph.group == g)) for g in gids]
    else:
        groups = [(0, np.arange(graph.n))]
    names = list(group_labels) if group_labels is not None else (
        [str(x) for x in graph.group_names] if graph.group_names is not None and by_group and graph.group is not None
        else [])

    def label_of(g: int) -> str:
        return names[g] if g < len(names) else ("the areas" if len(groups) == 1 else f"group {g}")

    if infeasible not in ("auto", "raise", "flag"):
        raise ProposalError(f"unknown infeasible policy {infeasible!r}", where="infeasible",
                            fix="use 'auto', 'raise' or 'flag'")
    strict = infeasible == "raise" or (infeasible == "auto" and len(groups) == 1)
    # validate everything before any work: bad input fails fast and whole
    notes: dict[int, str] = {}
    for g, ids in groups:
        pieces = components(graph.adjacency, ids)
        if len(pieces) > 1:
            raise DisconnectedAreasError(label_of(g), [[str(c) for c in graph.codes[p]] for p in pieces],
                                         where=label_of(g))
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
                if graph.population[piece].sum() > hi and depth < 4 and len(piece) > 1:
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
    population = np.bincount(labels, weights=graph.population, minlength=len(region_group)).astype(np.int64)
    contiguous = np.ones(len(region_group), dtype=bool)
    flags: dict[int, str] = {}
    for r in range(len(region_group)):
        members = np.flatnonzero(labels == r)
        contiguous[r] = len(components(graph.adjacency, members)) == 1
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


# --- real building blocks --------------------------------------------------------------------

def block_graph(index: UnitIndex, units: np.ndarray, block_of_unit: np.ndarray, block_codes: np.ndarray,
                block_names: np.ndarray) -> tuple[AreaGraph, list[np.ndarray]]:
    """Graph of building blocks (groups of units, e.g. MSOAs or wards) within ``units``.

    Blocks are cut to ``units``.  Two blocks touch when any of their units
    share an edge (``Mᵀ A M`` on the unit adjacency); a block's centroid is
    the area-weighted mean of its units' centroids; its group is the borough
    holding most of its residents.

    Returns
    -------
    AreaGraph, list of ndarray
        The graph and the unit ids of each block.
    """
    units = np.asarray(units, dtype=np.int64)
    keys, inv = np.unique(np.asarray(block_of_unit)[units], return_inverse=True)
    m = sp.csr_array((np.ones(len(units)), (np.arange(len(units)), inv)), shape=(len(units), len(keys)))
    adj = sp.csr_array(m.T @ sp.csr_array(index.adjacency[units][:, units], dtype=float) @ m)
    adj.setdiag(0)
    adj.eliminate_zeros()
    pop = np.bincount(inv, weights=index.population[units], minlength=len(keys))
    cent = index.geo.units.geometry.iloc[units].centroid
    area = index.area[units]
    wsum = np.bincount(inv, weights=area, minlength=len(keys))
    x = np.bincount(inv, weights=area * cent.x.to_numpy(), minlength=len(keys)) / np.where(wsum > 0, wsum, 1)
    y = np.bincount(inv, weights=area * cent.y.to_numpy(), minlength=len(keys)) / np.where(wsum > 0, wsum, 1)
    borough = index.membership["borough"][units]
    nb = len(index.layer_codes["borough"])
    by = sp.csr_array((index.population[units] + 1e-9, (inv, borough)), shape=(len(keys), nb)).toarray()
    group = by.argmax(axis=1)
    members = [units[inv == k] for k in range(len(keys))]
    graph = AreaGraph(codes=np.asarray(block_codes)[keys], names=np.asarray(block_names)[keys], population=pop,
                      adjacency=adj > 0, group=group, group_codes=index.layer_codes["borough"],
                      group_names=index.layer_names["borough"], area=wsum, coords=np.column_stack([x, y]))
    return graph, members


def layer_graph(index: UnitIndex, layer: str, units: np.ndarray | None = None) -> tuple[AreaGraph, list[np.ndarray]]:
    """Areas of ``layer`` (``"msoa"``, ``"ward"``…; cut to ``units``, all by default) as an
    :class:`AreaGraph`, with their unit ids."""
    units = np.arange(index.n) if units is None else np.asarray(units, dtype=np.int64)
    return block_graph(index, units, index.membership[layer], index.layer_codes[layer], index.layer_names[layer])


def msoa_graph(index: UnitIndex, units: np.ndarray | None = None) -> tuple[AreaGraph, list[np.ndarray]]:
    """MSOAs (cut to ``units``, all by default) as an :class:`AreaGraph`, with their unit ids."""
    return layer_graph(index, "msoa", units)


# --- localities ------------------------------------------------------------------------------

@dataclass
class Locality:
    """One proposed locality.

    Attributes
    ----------
    name : str
        ``"<borough> <n>"``, numbered north to south.
    borough, borough_name : str
    members : tuple of str
        Building-block codes (LSOA or MSOA codes).
    population : int
    n_units : int
    within_range : bool
    reason : str
        Why it is within range, or why it is flagged.
    units : ndarray
        Unit ids.
    """

    name: str
    borough: str
    borough_name: str
    members: tuple[str, ...]
    population: int
    n_units: int
    within_range: bool
    reason: str
    units: np.ndarray = field(repr=False, default=None)

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {"name": self.name, "borough": self.borough, "borough_name": self.borough_name,
                "population": int(self.population), "n_units": int(self.n_units),
                "within_range": bool(self.within_range), "reason": self.reason, "members": list(self.members)}


@dataclass
class LocalityProposal:
    """Localities proposed for one area (a borough, an STP or a list of codes).

    Attributes
    ----------
    area : str
        What was asked for, in words.
    boroughs : tuple of str
        Codes of the boroughs split.
    on : {"unit", "msoa", "ward", "blocks"}
        Building blocks.
    seed : int
    thresholds : Thresholds
    year : int
    localities : list of Locality
        By borough, then north to south.
    n_split : int
        Max-p regions above the ceiling that were split again.
    method : str
        The method in one sentence.
    """

    area: str
    boroughs: tuple[str, ...]
    on: str
    seed: int
    thresholds: Thresholds
    year: int
    localities: list[Locality]
    n_split: int
    method: str
    borough_names: dict[str, str] = field(default_factory=dict, repr=False)
    borough_stps: dict[str, str] = field(default_factory=dict, repr=False)
    index: UnitIndex | None = field(default=None, repr=False)
    count: int | None = None

    @property
    def flagged(self) -> list[Locality]:
        """Localities outside the range (or not contiguous), with their reason."""
        return [loc for loc in self.localities if not loc.within_range]

    def by_borough(self) -> dict[str, list[Locality]]:
        """Borough code -> its localities."""
        out: dict[str, list[Locality]] = {b: [] for b in self.boroughs}
        for loc in self.localities:
            out.setdefault(loc.borough, []).append(loc)
        return out

    def summary(self) -> str:
        """How many localities, their populations and any that break the range, in words."""
        t = self.thresholds
        pops = [loc.population for loc in self.localities]
        fixed = f"exactly {self.count} per borough, " if self.count else ""
        head = (f"{len(self.localities)} localities for {self.area} ({fixed}from {BLOCKS.get(self.on, self.on)}, "
                f"seed {self.seed}); populations {min(pops):,}–{max(pops):,} (mean {np.mean(pops):,.0f}) against "
                f"the range {t.locality_min:,}–{t.locality_max:,}.")
        if not self.flagged:
            return head + " Every locality is contiguous and within the range."
        return head + f" {len(self.flagged)} flagged: " + "; ".join(f"{loc.name}: {loc.reason}" for loc in self.flagged)

    def comparison(self) -> list[str]:
        """What the 2018 papers describe for these boroughs, against what is proposed here."""
        if self.count:
            return self._count_comparison()
        lines = []
        for code, locs in self.by_borough().items():
            if not locs:
                continue
            stp = self.borough_stps.get(code, "")
            paper = PAPER_LOCALITIES.get(code) or PAPER_LOCALITIES.get(stp)
            if paper is None:
                continue
            text, rng, per = paper
            pops = [loc.population for loc in locs]
            total = sum(pops)
            line = (f"{locs[0].borough_name}: {len(locs)} localities of {min(pops):,}–{max(pops):,} here. "
                    f"The papers: {text} ({_HLP}).")
            if per:
                line += f" {per} per borough would average {total / per:,.0f} residents."
            if rng and rng[0] > self.thresholds.locality_min:
                k1, k2 = feasible_counts(total, rng[0], rng[1])
                line += (f" Max-p makes as many localities as the {self.thresholds.locality_min:,} floor allows; "
                         f"with a floor of {rng[0]:,} (locality_min) it would aim at the papers' size"
                         + ((f" ({k1} localities)." if k1 == k2 else f" ({k1}–{k2} localities).") if k1 <= k2
                            else f" (~{max(1, round(total / rng[0]))} localities)."))
            lines.append(line)
        return lines

    def paper_range(self, code: str) -> tuple[tuple[int, int], str]:
        """The papers' population range for the localities of borough ``code`` and its citation in words.

        The borough's (or its STP's) own figure in :data:`PAPER_LOCALITIES`
        where the papers give one (NCL CHINs ~50k–80k), else the papers'
        definition of a locality, 30,000–70,000.
        """
        paper = PAPER_LOCALITIES.get(code) or PAPER_LOCALITIES.get(self.borough_stps.get(code, ""))
        if paper is not None and paper[1] is not None and paper[1][0] < paper[1][1]:
            return paper[1], paper[0]
        definition = "'the locality describes a population of 30,000-70,000'"
        if paper is not None:
            return (30_000, 70_000), f"{paper[0]}; no size is given for these, and {definition}"
        return (30_000, 70_000), definition

    def distances(self) -> list[dict]:
        """Each locality against the papers' range: ``name, population, low, high, distance``.

        ``distance`` is 0 inside the range, ``population - high`` above it
        (positive) and ``population - low`` below it (negative).
        """
        out = []
        for loc in self.localities:
            (lo, hi), _ = self.paper_range(loc.borough)
            d = loc.population - hi if loc.population > hi else (loc.population - lo if loc.population < lo else 0)
            out.append({"name": loc.name, "borough": loc.borough, "population": int(loc.population),
                        "low": lo, "high": hi, "distance": int(d)})
        return out

    def _count_comparison(self) -> list[str]:
        lines = []
        dist = {d["name"]: d for d in self.distances()}
        above_all = []
        for code, locs in self.by_borough().items():
            if not locs:
                continue
            (lo, hi), text = self.paper_range(code)
            per = [f"{loc.name} {loc.population:,} (" + (
                f"{dist[loc.name]['distance']:,} above {hi:,}" if dist[loc.name]["distance"] > 0 else
                f"{-dist[loc.name]['distance']:,} below {lo:,}" if dist[loc.name]["distance"] < 0 else
                f"within {lo:,}–{hi:,}") + ")" for loc in locs]
            line = (f"{locs[0].borough_name}: {len(locs)} localities (fixed count), "
                    + "; ".join(per) + f". The papers: {text} ({_HLP}).")
            if all(dist[loc.name]["distance"] > 0 for loc in locs):
                above_all.append(locs[0].borough_name)
                line += (f" With {len(locs)} per borough every one is above {hi:,}: the borough's "
                         f"{sum(loc.population for loc in locs):,} residents would need at least "
                         f"{math.ceil(sum(loc.population for loc in locs) / hi)} localities of at most {hi:,}.")
            lines.append(line)
        if len(above_all) > 1 and len(above_all) == len([c for c, v in self.by_borough().items() if v]):
            lines.append(f"Every borough here ({', '.join(above_all)}) gives localities above the papers' range "
                         f"with {self.count} per borough.")
        return lines

    def to_scenario(self, *, name: str | None = None) -> Scenario:
        """A scenario: each borough and its localities (children), for the sketch page."""
        if self.index is None:
            raise ProposalError("this proposal has no unit index", where="LocalityProposal.index",
                                fix="make it with propose_localities")
        from ..editing import compact_members

        fps: list[Footprint] = []
        for code, locs in self.by_borough().items():
            bname = self.borough_names.get(code, code)
            fps.append(Footprint(bname, "borough", (code,)))
            fps += [Footprint(loc.name, "locality", compact_members(loc.units, self.index), parent=bname,
                              notes=loc.reason) for loc in locs]
        return Scenario(
            name=name or f"Proposed localities: {self.area}", footprints=tuple(fps), thresholds=self.thresholds,
            year=self.year, description=f"Automatic proposal (Footprints proposals): {self.summary()} {self.method}",
            source="Footprints automatic proposal (PySAL spopt max-p regions"
                   + (f", exactly {self.count} per borough" if self.count else "") + ") from the real boundaries and "
                   "population; locality range from Healthy London Partnership (2018)",
        )

    def to_dict(self) -> dict:
        """JSON-ready dict (what ``propose localities --json`` prints)."""
        return {
            "area": self.area, "boroughs": list(self.boroughs), "on": self.on, "seed": self.seed, "year": self.year,
            "range": [self.thresholds.locality_min, self.thresholds.locality_max],
            "n_localities": len(self.localities), "n_flagged": len(self.flagged), "n_split": self.n_split,
            "count": self.count, "summary": self.summary(), "method": self.method, "comparison": self.comparison(),
            "paper_distances": self.distances(),
            "localities": [loc.to_dict() for loc in self.localities],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per locality."""
        return pd.DataFrame([{k: v for k, v in loc.to_dict().items() if k != "members"} | {
            "n_members": len(loc.members)} for loc in self.localities])


def _select(index: UnitIndex, area: str | Sequence[str]) -> tuple[np.ndarray, str]:
    """Unit ids and a label for a borough/CCG/STP code or name, or a list of member codes."""
    if isinstance(area, str):
        found = index.resolve(area)
        if found is None:
            try:
                found = ("stp", resolve_stp(index, area))
            except UnknownAreaError:
                known = [f"{c} ({n})" for layer in ("borough", "stp")
                         for c, n in zip(index.layer_codes[layer], index.layer_names[layer])]
                raise UnknownAreaError(area, "borough or STP", index.suggest(area), known, where="area") from None
        layer, i = found
        label = f"{index.layer_names[layer][i]} ({index.layer_codes[layer][i]})" if layer != "unit" else \
            str(index.codes[i])
        return index.units_of(layer, i), label
    members = [str(a) for a in area]
    if not members:
        raise ProposalError("no areas given", where="area", fix="name a borough, or list unit/MSOA/borough codes")
    units = index.expand(members, where="area")
    label = ", ".join(members[:3]) + (f" and {len(members) - 3} more" if len(members) > 3 else "")
    return units, label


def propose_localities(
    index: UnitIndex,
    area: str | Sequence[str],
    *,
    on: str = "unit",
    thresholds: Thresholds | None = None,
    seed: int = 0,
    split_large: bool = True,
    nest: bool = True,
    blocks: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    settings: MaxPSettings | None = None,
    progress: Progress | None = None,
    count: int | None = None,
    need: float = 0.0,
) -> LocalityProposal:
    """Split a borough (or each borough of an STP or list) into contiguous localities of 30–70k residents.

    Parameters
    ----------
    index : UnitIndex
    area : str or sequence of str
        A borough, CCG or STP code or name, or a list of unit/MSOA/borough codes.
    on : {"unit", "msoa", "ward"}
        Build from units (LSOAs), from MSOAs to respect MSOA boundaries, or
        from wards (2017, best-fit from LSOAs) to respect ward boundaries.
    thresholds : Thresholds, optional
        ``locality_min``/``locality_max`` give the range; in the 2024 geography (neighbourhoods)
        ``neighbourhood_min``/``neighbourhood_max`` do.
    seed : int
        Same seed, same localities.
    split_large : bool
        Split localities above ``locality_max`` again (see the module notes).
    nest : bool
        Keep localities inside boroughs (default; localities are parts of boroughs).
    blocks : (block_of_unit, block_codes, block_names), optional
        Other building blocks over all units (e.g. a planner's own
        neighbourhoods); overrides ``on``.
    settings : MaxPSettings, optional
    progress : callable, optional
    count : int, optional
        Exactly this many contiguous localities per borough (or of the whole
        area when ``nest`` is off), as balanced in population as the data
        allows (:func:`spatial.proposals_count.fixed_count_regions`); the
        range is then checked, not aimed at.
    need : float
        Localities that respect need (0: off, the default).  Each block's
        Core20 share (IMD 2019, :mod:`spatial.profile`) times ``need`` joins
        its centroid (km) as a max-p attribute, so a block of 100% Core20
        residents counts as ``need`` km away from one of 0%: localities then
        keep deprived areas together rather than splitting them.  See
        :func:`spatial.profile.locality_need_summary`.

    Returns
    -------
    LocalityProposal

    Raises
    ------
    UnknownAreaError
        Unknown code or name (with the closest).
    InfeasibleRangeError
        A borough that no split can fit into the range (with the nearest range).
    DisconnectedAreasError
        Areas in separate pieces.
    """
    t = thresholds or Thresholds()
    if getattr(index.geo, "geography", "2018") == "2024":
        # today's neighbourhoods: the same method with the neighbourhood range (30,000-50,000 by default)
        t = t.replace(locality_min=t.neighbourhood_min, locality_max=t.neighbourhood_max)
    if on not in BLOCKS:
        raise ProposalError(f"unknown building block {on!r}", where="on",
                            fix="use " + ", ".join(f"'{k}' ({v})" for k, v in BLOCKS.items()))
    if on != "unit" and on not in index.membership:
        raise ProposalError(f"the data has no {BLOCKS[on]} for this region", where="on",
                            fix="use 'unit' (LSOAs) or a layer the region has")
    units, label = _select(index, area)
    if progress:
        progress(0.0, f"building blocks for {label}")
    if blocks is not None:
        graph, members = block_graph(index, units, *blocks)
        on_label = "blocks"
    elif on != "unit":
        graph, members = layer_graph(index, on, units)
        on_label = on
    else:
        graph, members = block_graph(index, units, np.arange(index.n), index.codes, index.layer_names["unit"])
        on_label = "unit"
    if not nest:
        graph = AreaGraph(graph.codes, graph.names, graph.population, graph.adjacency, coords=graph.coords,
                          area=graph.area)
    group_labels = [f"{n} ({c})" for c, n in zip(index.layer_codes["borough"], index.layer_names["borough"])]
    if count is not None and need:
        raise ProposalError("localities by need and a fixed count cannot be combined", where="need",
                            fix="use either count=N (balanced in population) or need=KM (deprived areas kept "
                                "together), not both")
    attributes = None
    if need:
        if not (isinstance(need, (int, float)) and math.isfinite(need) and need > 0):
            raise ProposalError(f"need must be a positive number of km, not {need!r}", where="need",
                                fix="use e.g. need=10 (or 0 to build localities on population and shape only)")
        from ..profile import ProfileData

        data = ProfileData.from_index(index)
        if data.imd_decile is None:
            raise ProposalError("localities by need: " + data.missing.get("imd", "no IMD data"), where="need",
                                fix="use need=0 for this region")
        d = data._derived()
        core = np.array([d["core_pop"][m].sum() for m in members])
        tot = np.array([d["pop"][m].sum() for m in members])
        attributes = (need * np.divide(core, tot, out=np.zeros_like(core), where=tot > 0))[:, None]
    if count is not None:
        return _fixed_count(index, graph, members, label, on_label, t, seed, nest, settings, progress, count,
                            group_labels)
    res = max_p_regions(graph, t.locality_min, t.locality_max, seed=seed, by_group=nest, split_large=split_large,
                        settings=settings, group_labels=group_labels if nest else [label],
                        progress=(lambda f, m: progress(0.05 + 0.9 * f, m)) if progress else None,
                        attributes=attributes)
    method = (f"PySAL spopt max-p regions (floor {t.locality_min:,} residents, rook contiguity, compact by centroid "
              f"distance; {(settings or MaxPSettings()).construction} constructions, the most compact annealed), "
              f"{'inside each borough' if nest else 'across borough lines'}, localities above {t.locality_max:,} "
              f"{'split again with max-p' if split_large else 'flagged'}."
              + (f" Need respected: each block's Core20 share x {need:g} km joins its centroid as a max-p "
                 "attribute." if need else ""))
    return _proposal(index, graph, members, res, label, on_label, t, seed, nest, method, progress)


def _proposal(index: UnitIndex, graph: AreaGraph, members: list, res: RegionResult, label: str, on_label: str,
              t: Thresholds, seed: int, nest: bool, method: str, progress: Progress | None,
              count: int | None = None) -> LocalityProposal:
    """The :class:`LocalityProposal` of regions ``res`` of ``graph`` (named by borough, north to south)."""
    localities: list[Locality] = []
    names: dict[str, str] = {}
    stps: dict[str, str] = {}
    order = []
    for r in range(res.p):
        ids = np.flatnonzero(res.labels == r)
        u = np.concatenate([members[i] for i in ids])
        b_counts = np.bincount(index.membership["borough"][u], weights=index.population[u],
                               minlength=len(index.layer_codes["borough"]))
        b = int(np.argmax(b_counts))
        cy = float(np.average(graph.coords[ids, 1], weights=np.maximum(graph.population[ids], 1)))
        order.append((b, -cy, r, u, ids))
    order.sort(key=lambda x: (x[0], x[1]))
    seen: dict[int, int] = {}
    for b, _, r, u, ids in order:
        seen[b] = seen.get(b, 0) + 1
        bcode, bname = str(index.layer_codes["borough"][b]), str(index.layer_names["borough"][b])
        names[bcode] = bname
        stp = index.layer_codes["stp"][index.membership["stp"][u[0]]]
        stps[bcode] = str(stp)
        pop = int(res.population[r])
        ok = r not in res.flags
        reason = res.flags.get(r) or f"population {pop:,} is within {t.locality_min:,}–{t.locality_max:,}"
        if not nest:
            name = f"{label} {len(localities) + 1}"
        else:
            name = f"{bname} {seen[b]}"
        localities.append(Locality(name, bcode, bname, tuple(str(c) for c in graph.codes[ids]), pop, len(u), ok,
                                   reason, np.sort(u)))
    boroughs = tuple(dict.fromkeys(loc.borough for loc in localities))
    if progress:
        progress(1.0, f"{len(localities)} localities")
    return LocalityProposal(label, boroughs, on_label, int(seed), t, index.year, localities, res.n_split, method,
                            names, stps, index, count)


def _fixed_count(index: UnitIndex, graph: AreaGraph, members: list, label: str, on_label: str, t: Thresholds,
                 seed: int, nest: bool, settings: MaxPSettings | None, progress: Progress | None, count: int,
                 group_labels: list[str]) -> LocalityProposal:
    """``propose_localities(count=N)``: exactly N balanced localities per borough, checked against the range."""
    from .count import fixed_count_regions

    res = fixed_count_regions(graph, count, seed=seed, by_group=nest, settings=settings,
                              group_labels=group_labels if nest else [label],
                              progress=(lambda f, m: progress(0.05 + 0.9 * f, m)) if progress else None)
    for r in range(res.p):
        pop = int(res.population[r])
        reasons = []
        if pop < t.locality_min:
            reasons.append(f"population {pop:,} is below {t.locality_min:,} by {t.locality_min - pop:,}")
        if pop > t.locality_max:
            reasons.append(f"population {pop:,} is above {t.locality_max:,} by {pop - t.locality_max:,}")
        if not res.contiguous[r]:
            reasons.append("not one connected piece")
        if reasons:
            res.flags[r] = "; ".join(reasons) + f" (fixed count of {count})"
    fractions = sorted(set(res.floor_fraction.values()))
    method = (f"Exactly {count} contiguous localit{'y' if count == 1 else 'ies'} "
              f"{'per borough' if nest else 'in all'}: PySAL spopt max-p regions with a count constraint (floor "
              f"{'/'.join(f'{f:.0%}' for f in fractions)} of the mean locality population, the highest floor that "
              f"gives exactly {count}, so every locality has at least that share of the mean; rook contiguity, "
              f"compact by centroid distance). The range {t.locality_min:,}–{t.locality_max:,} is checked, "
              f"not aimed at.")
    return _proposal(index, graph, members, res, label, on_label, t, seed, nest, method, progress, count)
