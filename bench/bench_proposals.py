"""Benchmark of the proposals (issue 7): systems enumeration, localities, and how run time grows.

``.venv/bin/python bench/bench_proposals.py`` prints, from one run:

1. every contiguous set of 2–4 London boroughs enumerated and checked with
   the engine's rules (target <= 1 s), against a brute-force baseline: all
   ``C(33, k)`` combinations, each tested for contiguity with geometry
   (shapely: do the polygons share an edge), then the same checks — with the
   count found, both times and the ratio; exit 1 if the two disagree;
2. localities for one borough from its units (target <= 10 s), against
   spopt's public ``MaxPHeuristic.solve`` on the same units and floor;
3. localities for one STP's MSOAs (target <= 60 s) and for all 983 MSOAs;
4. a synthetic grid of up to 32,400 units: connected sets (checked against
   the closed-form polyomino counts) and max-p localities at a few sizes,
   to show how run time grows.
"""

from __future__ import annotations

import itertools
import sys
import time
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from _common import agree

from boundaries import load_geographies
from spatial.footprints import Footprint
from spatial.checks import check_footprint
from spatial.index import UnitIndex
from spatial.graph import AreaGraph, connected_subsets
from spatial.proposals import block_graph, borough_graph, max_p_regions, propose_localities, propose_systems
from spatial.proposals.maxp import _weights

FLOOR, CEILING = 30_000, 70_000


def clock(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def verdict(seconds: float, target: float) -> str:
    return f"target <= {target:g} s: {'met' if seconds <= target else 'NOT met'}"


# --- 1. systems ------------------------------------------------------------------------------------

def brute_force_systems(index: UnitIndex, boroughs) -> list[tuple[str, ...]]:
    """All combinations of 2-4 boroughs, contiguity tested with geometry, then checked."""
    codes = list(boroughs["code"])
    geoms = list(boroughs.geometry)
    found = []
    for k in (2, 3, 4):
        for combo in itertools.combinations(range(len(codes)), k):
            # contiguity with geometry: grow from the first borough through shared edges
            reached, frontier = {combo[0]}, [combo[0]]
            while frontier:
                a = frontier.pop()
                for b in combo:
                    if b not in reached and geoms[a].intersection(geoms[b]).length > 0:
                        reached.add(b)
                        frontier.append(b)
            if len(reached) == k:
                members = tuple(codes[i] for i in combo)
                check_footprint(Footprint("+".join(members), "multi_borough", members), index)
                found.append(tuple(sorted(members)))
    return found


def bench_systems(index: UnitIndex, flows) -> None:
    print("\n-- 1. every contiguous set of 2-4 London boroughs, enumerated and checked --")
    graph, t_graph = clock(lambda: borough_graph(index))
    print(f"borough contiguity (libpysal rook on the real borough polygons, once per dataset): {t_graph:.3f} s")
    table, ours = clock(lambda: propose_systems(index, cross_stp=True, graph=graph))
    within, t_within = clock(lambda: propose_systems(index, graph=graph))
    naive_sets, naive = clock(lambda: brute_force_systems(index, index.geo.layer("borough")))
    n_comb = sum(len(list(itertools.combinations(range(graph.n), k))) for k in (2, 3, 4))
    print(f"found {len(table):,} contiguous sets across London ({table.counts}), {table.n_passed:,} pass every "
          f"rule without care flows; {len(within):,} inside one STP ({within.counts})")
    print(f"enumerate + check all London sets: ours {ours:.3f} s, brute force ({n_comb:,} combinations, "
          f"geometry contiguity test, same checks) {naive:.3f} s, ratio {naive / ours:,.1f}x "
          f"[{verdict(ours, 1.0)}]")
    print(f"inside one STP only: {t_within:.3f} s")
    agree({tuple(sorted(s.boroughs)) for s in table.systems} == set(naive_sets) and len(naive_sets) == len(table),
          f"both find the same {len(table):,} sets of boroughs")
    if flows is not None:
        with_flows, t_flows = clock(lambda: propose_systems(index, cross_stp=True, graph=graph, flows=flows))
        print(f"with care-flow containment as well: {t_flows:.3f} s ({with_flows.n_passed:,} pass every rule) "
              f"[{verdict(t_flows, 1.0)}]")


# --- 2. localities for one borough -----------------------------------------------------------------

def bench_borough(index: UnitIndex, code: str) -> None:
    bid = index.resolve(code)[1]
    units = index.units_of("borough", bid)
    name = index.layer_names["borough"][bid]
    print(f"\n-- 2. localities for one borough: {name} ({len(units)} units) --")
    proposal, ours = clock(lambda: propose_localities(index, code, seed=0))
    pops = [loc.population for loc in proposal.localities]
    print(f"ours (spopt max-p construction + bounded annealing, ceiling checked): {ours:.3f} s, "
          f"{len(pops)} localities of {min(pops):,}-{max(pops):,}, {len(proposal.flagged)} flagged "
          f"[{verdict(ours, 10.0)}]")

    from spopt.region import MaxPHeuristic

    g, _ = block_graph(index, units, np.arange(index.n), index.codes, index.layer_names["unit"])
    frame = pd.DataFrame({"x": g.coords[:, 0] / 1000, "y": g.coords[:, 1] / 1000, "pop": g.population.astype(float)})
    w = _weights(g.adjacency)

    def naive_run():
        np.random.seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = MaxPHeuristic(frame, w, ["x", "y"], "pop", float(FLOOR), top_n=2,
                                  max_iterations_construction=99, max_iterations_sa=1)
            model.solve()
        return np.unique(np.asarray(model.labels_), return_inverse=True)[1]

    labels, naive = clock(naive_run)
    naive_pops = np.bincount(labels, weights=g.population)
    print(f"spopt MaxPHeuristic.solve (same floor, 99 constructions, annealing every best one once): {naive:.3f} s, "
          f"{len(naive_pops)} regions of {int(naive_pops.min()):,}-{int(naive_pops.max()):,}; ratio "
          f"{naive / ours:,.1f}x")
    contiguous = all(connected_components(g.adjacency[labels == r][:, labels == r])[0] == 1
                     for r in range(len(naive_pops)))
    agree(contiguous and naive_pops.min() >= FLOOR and all(p >= FLOOR for p in pops)
          and not [loc for loc in proposal.localities if not loc.within_range and loc.population >= FLOOR
                   and loc.population <= CEILING]
          and abs(len(pops) - len(naive_pops)) <= 1 and sum(pops) == int(naive_pops.sum()),
          f"both split {name}'s {sum(pops):,} residents into contiguous regions of at least {FLOOR:,} "
          f"({len(pops)} vs {len(naive_pops)}: max-p's count depends on its random constructions)")


# --- 3. MSOAs --------------------------------------------------------------------------------------

def bench_msoas(index: UnitIndex) -> None:
    print("\n-- 3. localities from MSOAs (and wards): one STP, then all of London --")
    for area, label, target, on in (("North West London", "one STP (North West London)", 60.0, "msoa"),
                                    (list(index.layer_codes["borough"]), "all 33 boroughs", None, "msoa"),
                                    (list(index.layer_codes["borough"]), "all 33 boroughs", None, "ward")):
        proposal, took = clock(lambda: propose_localities(index, area, on=on, seed=0))
        n_msoa = sum(len(loc.members) for loc in proposal.localities)
        pops = [loc.population for loc in proposal.localities]
        extra = f" [{verdict(took, target)}]" if target else ""
        print(f"{label}: {n_msoa} {'MSOAs' if on == 'msoa' else 'wards'} -> {len(pops)} localities of "
              f"{min(pops):,}-{max(pops):,}, "
              f"{len(proposal.flagged)} flagged, {took:.3f} s{extra}")
        for loc in proposal.flagged:
            print(f"    flagged {loc.name}: {loc.reason}")
        covered = sorted(int(u) for loc in proposal.localities for u in loc.units)
        agree(covered == sorted(set(covered)) and sum(pops) == sum(int(index.population[u]) for u in covered),
              f"{label}: every unit in exactly one locality, populations add up")
    proposal, took = clock(lambda: propose_localities(index, "North West London", on="unit", seed=0))
    print(f"one STP from its {sum(loc.n_units for loc in proposal.localities):,} LSOAs (North West London): "
          f"{len(proposal.localities)} localities, {len(proposal.flagged)} flagged, {took:.3f} s")


# --- 4. synthetic grid -----------------------------------------------------------------------------

def polyominoes(r: int, c: int) -> dict[int, int]:
    """Closed-form counts of connected sets of 2, 3, 4 cells in an r x c grid (fixed polyominoes)."""
    def boxes(h, w):
        return max(r - h + 1, 0) * max(c - w + 1, 0)
    return {
        2: boxes(1, 2) + boxes(2, 1),
        3: boxes(1, 3) + boxes(3, 1) + 4 * boxes(2, 2),
        4: boxes(1, 4) + boxes(4, 1) + boxes(2, 2) + 4 * (boxes(2, 3) + boxes(3, 2))  # I, O, L/J
           + 2 * (boxes(2, 3) + boxes(3, 2)) + 2 * (boxes(2, 3) + boxes(3, 2)),  # T, S/Z
    }


def bench_grid() -> None:
    print("\n-- 4. synthetic grids: how run time grows --")
    rng = np.random.default_rng(7)
    print(f"{'units':>7}  {'groups':>6}  {'2-4 sets':>9}  {'sets s':>7}  {'localities':>10}  {'max-p s':>8}  "
          f"{'ms/unit':>7}  flagged")
    for side in (45, 90, 180):
        n = side * side
        pop = rng.integers(1_200, 2_200, size=n)  # LSOA-like populations
        g = AreaGraph.grid(side, side, pop, block=15)  # 15 x 15 = 225-unit "boroughs"
        sets, t_sets = clock(lambda: connected_subsets(g.adjacency, 4, min_size=2))
        expected = polyominoes(side, side)
        agree({k: len(v) for k, v in sets.items()} == expected, f"{n:,}-unit grid: connected sets = polyomino counts "
                                                                 f"{expected}")
        res, t_maxp = clock(lambda: max_p_regions(g, FLOOR, CEILING, seed=1))
        # independent contiguity: cells whose centres are one cell apart
        xy = np.floor(g.coords / 1000.0).astype(int)
        order = {tuple(p): i for i, p in enumerate(xy)}
        rows, cols = [], []
        for i, (x, y) in enumerate(xy):
            for dx, dy in ((1, 0), (0, 1)):
                j = order.get((x + dx, y + dy))
                if j is not None:
                    rows.append(i)
                    cols.append(j)
        adj = sp.csr_array((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        adj = adj + adj.T
        ok = all(connected_components(adj[res.labels == r][:, res.labels == r])[0] == 1 for r in range(res.p))
        in_range = (res.population >= FLOOR) & (res.population <= CEILING)
        flagged_ok = all(bool(in_range[r]) or r in res.flags for r in range(res.p))
        agree(ok and flagged_ok and res.population.sum() == pop.sum(),
              f"{n:,}-unit grid: {res.p:,} regions, each contiguous, in range or flagged")
        print(f"{n:>7,}  {len(np.unique(g.group)):>6}  {sum(len(v) for v in sets.values()):>9,}  {t_sets:>7.3f}  "
              f"{res.p:>10,}  {t_maxp:>8.2f}  {1000 * t_maxp / n:>7.2f}  {len(res.flags)}")


def main() -> int:
    geo = load_geographies()
    index = UnitIndex.from_geographies(geo)
    try:
        from spatial.careflows import CareFlows

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            flows = CareFlows.load(geo)
    except Exception as exc:  # noqa: BLE001 - the benchmark still runs without care flows
        print(f"care flows not loaded ({exc})")
        flows = None
    bench_systems(index, flows)
    bench_borough(index, "E09000008")  # Croydon, the borough with the most units (220)
    bench_msoas(index)
    bench_grid()
    return 0


if __name__ == "__main__":
    sys.exit(main())
