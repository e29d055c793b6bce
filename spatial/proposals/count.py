"""Fixed-count regions: exactly N contiguous regions per group, as balanced in population as the data allows.

"Two CHINs per borough", "four locality-based quadrants": some partnerships
fix the *number* of localities, not their size.  :func:`fixed_count_regions`
answers that with spopt's max-p heuristic under a count constraint.

Method (and why max-p with a count constraint)
----------------------------------------------
For ``n`` regions of a group of total population ``P`` (mean ``m = P / n``),
max-p (``spopt.region.MaxPHeuristic``, the construction and annealing of
:func:`spatial.proposals.maxp._maxp`) is run with the population floor

.. math::  f_k \\cdot m, \\qquad f_k \\in (0.99, 0.98, 0.97, 0.96, 0.95, 0.9, \\ldots, 0.05)

highest first, and the first floor that gives exactly ``n`` regions is kept.
This bounds the balance from both sides: every region has at least
:math:`f m` residents, so none has more than :math:`P - (n - 1) f m`; with
``n = 2`` and ``f = 0.98`` the two regions are within 0.98–1.02 × the mean.
And because :math:`f > n / (n + 1)` for the first floors, max-p cannot make
more than ``n`` regions there (``n + 1`` regions of at least :math:`f m`
would need more than ``P`` residents).  If a lower floor overshoots to more
than ``n`` regions before any gives exactly ``n``, the smallest region is
merged into its smallest neighbour until ``n`` remain (contiguity kept).

Why not the spopt methods that take a count: ``RegionKMeansHeuristic``,
``WardSpatial`` and ``Spenc`` minimise attribute variance and ignore
population, so two "halves" of a borough can be 1:3; ``Skater``'s ``floor``
bounds only the smallest region and its spanning-tree cuts give long,
snaking regions; ``AZP`` with ``n_regions`` would need a custom balance
objective and still has no floor.  Max-p's floor gives the two-sided bound
above, its annealing keeps the regions compact (centroid distance), and it
is the method the locality proposals already use (same seeds, same code).

The same seed gives the same regions.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..errors import CountInfeasibleError, ProposalError
from ..graph import AreaGraph, Progress
from .maxp import MaxPSettings, RegionResult, _check_group, _groups, _maxp, _region_figures

__all__ = ["FLOOR_FRACTIONS", "CountInfeasibleError", "fixed_count_regions", "balance"]

#: Floors tried, as fractions of the mean region population, highest (most balanced) first.
FLOOR_FRACTIONS = (0.99, 0.98, 0.97, 0.96, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05)


def balance(populations: Sequence[int]) -> float:
    """Largest over smallest population (1.0 is perfectly balanced; ``inf`` with an empty region)."""
    pops = np.asarray(populations, dtype=float)
    return float(pops.max() / pops.min()) if len(pops) and pops.min() > 0 else math.inf


def _merge_to(graph: AreaGraph, ids: np.ndarray, local: np.ndarray, n: int) -> np.ndarray:
    """Merge the smallest region into its smallest neighbouring region until ``n`` remain."""
    local = local.copy()
    sub = graph.adjacency[ids][:, ids].tocoo()
    while local.max() + 1 > n:
        pops = np.bincount(local, weights=graph.population[ids])
        small = int(np.argmin(pops))
        touching = {int(local[j]) for i, j in zip(sub.row, sub.col) if local[i] == small and local[j] != small}
        if not touching:  # pragma: no cover - a connected group always has a neighbour
            break
        target = min(touching, key=lambda r: pops[r])
        local[local == small] = target
        local = np.unique(local, return_inverse=True)[1]
    return local


def _solve_group(graph: AreaGraph, ids: np.ndarray, n: int, seed: int, settings, label: str) -> tuple[np.ndarray, float]:
    if n == 1:
        return np.zeros(len(ids), dtype=np.int64), 1.0
    total = float(graph.population[ids].sum())
    mean = total / n
    overshoot = None
    for f in FLOOR_FRACTIONS:
        local = _maxp(graph, ids, f * mean, seed, settings)
        p = int(local.max()) + 1
        if p == n:
            return local, f
        if p > n and overshoot is None:
            overshoot = (local, f)
    if overshoot is not None:
        local, f = overshoot
        return _merge_to(graph, ids, local, n), f
    raise CountInfeasibleError(  # pragma: no cover - the lowest floor always reaches n when n <= areas
        f"max-p found no split of {label} into {n} contiguous regions", where=label,
        fix="ask for fewer regions, or build from smaller areas (--on unit)")


def fixed_count_regions(
    graph: AreaGraph,
    n: int,
    *,
    seed: int = 0,
    by_group: bool = True,
    settings=None,
    group_labels: Sequence[str] | None = None,
    progress: Progress | None = None,
):
    """Exactly ``n`` contiguous regions per group (per borough), balanced in population.

    Parameters
    ----------
    graph : AreaGraph
        Needs ``coords``.
    n : int
        Regions per group (1 or more).
    seed : int
        Same seed, same regions.
    by_group : bool
        Solve each ``graph.group`` separately (``n`` regions in each).
    settings : MaxPSettings, optional
    group_labels : sequence of str, optional
        Names of the groups for messages.
    progress : callable, optional

    Returns
    -------
    RegionResult
        ``flags`` is empty (the caller checks a population range); the floor
        fraction used per group is in :attr:`RegionResult.floor_fraction`.

    Raises
    ------
    CountInfeasibleError
        ``n`` below 1, or a group with fewer than ``n`` areas.
    DisconnectedAreasError
        A group in separate pieces.

    Notes
    -----
    With floor :math:`f m` (``m`` the mean), each region's population lies in
    :math:`[f m, P - (n-1) f m]`; see the module notes.
    """
    cfg = settings or MaxPSettings()
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise CountInfeasibleError(f"the number of regions must be a whole number of 1 or more, not {n!r}",
                                   where="count", fix="use e.g. --count 2")
    if graph.coords is None:
        raise ProposalError("the areas have no centroids", where="graph.coords",
                            fix="build the AreaGraph with coords")
    groups, label_of = _groups(graph, by_group, group_labels if group_labels is not None else [])
    for g, ids in groups:  # validate before any work
        _check_group(graph, ids, label_of(g))
        if len(ids) < n:
            raise CountInfeasibleError(
                f"{label_of(g)} has only {len(ids)} building block(s), so it cannot make {n} regions",
                where=label_of(g), fix=f"ask for at most {len(ids)}, or build from smaller areas (--on unit)")
    labels = np.full(graph.n, -1, dtype=np.int64)
    region_group: list[int] = []
    fractions: dict[int, float] = {}
    seeds = np.random.SeedSequence(seed).generate_state(len(groups) + 1)
    for step, (g, ids) in enumerate(groups):
        if progress:
            progress(step / len(groups), f"{n} regions for {label_of(g)} ({len(ids):,} areas)")
        local, f = _solve_group(graph, ids, n, int(seeds[step]), cfg, label_of(g))
        fractions[g] = f
        for k in range(int(local.max()) + 1):
            labels[ids[local == k]] = len(region_group)
            region_group.append(g)
    if progress:
        progress(1.0, f"{len(region_group):,} regions")
    population, contiguous = _region_figures(graph, labels, len(region_group))
    return RegionResult(labels, population, np.asarray(region_group, dtype=np.int64), {}, contiguous, 0,
                        floor_fraction=fractions)
