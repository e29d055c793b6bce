"""England in today's (2024) geography: load, one-click re-check, councils x ICBs, every ICB cluster.

1. Load England 2024 (33,755 LSOA 2021 units, index and adjacency) from the
   processed cache: ``Engine.load("england", geography="2024")``.  Naive:
   build from the source files (read, join the lookups, clean the coverage,
   dissolve) and compute the rook adjacency.  Target <= 3 s.
2. Re-check the Greater Manchester ICB after adding / removing one unit
   (population, places, upper-tier councils, sub-ICB and council
   coterminosity, contiguity).  Naive: geopandas dissolve of the member set +
   overlay with the places, councils and sub-ICB locations + parts.  Targets
   <= 2 ms and >= 100x.
3. Upper-tier councils x 42 ICBs, by population and by area.  Ours:
   ``population_overlap`` and ``weighted_overlap`` of unit areas (both layers
   are unions of whole units).  Naive: ``geopandas.overlay`` of the two
   dissolved layers, area of each piece, population by a spatial join of unit
   points into the pieces.  Identical to 1e-6; target >= 10x including the
   first call (nothing of ours is cached between calls).
4. Every contiguous cluster of 2-4 ICBs, enumerated and checked (population,
   councils wholly inside, containment): ``cluster_table``.  Target <= 2 s.
   Naive: ``check_footprint`` per cluster (the same rules and numbers), timed
   on the first 150 clusters and scaled to all (stated).
"""

from __future__ import annotations

import time
import warnings

import _common  # noqa: F401  (puts the repo on sys.path)
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from _common import agree, report, timeit

from boundaries.geographies import build_geographies
from spatial import Engine, Footprint
from spatial.careflows import CareFlows
from spatial.checks import check_footprint
from spatial.clusters import cluster_table, enumerate_clusters, icb_adjacency
from spatial.index import unit_adjacency
from spatial.overlaps import SLIVER_M2, population_overlap, weighted_overlap

warnings.simplefilter("ignore")


def main() -> None:
    print("(the machine is shared: 2 cores, several agents; times are indicative)")
    engine = Engine.load("england", geography="2024")  # warm the cache
    print("1. Load England 2024 from the processed cache")
    t_ours = timeit(lambda: Engine.load("england", geography="2024"), repeat=3)
    t0 = time.perf_counter()
    geo = build_geographies("england-2024")
    unit_adjacency(geo)
    t_naive = time.perf_counter() - t0
    agree(len(geo.units) == engine.index.n == 33755 and int(geo.units["population"].sum()) ==
          int(engine.index.population.sum()), "33,755 units and 56,489,608 residents both ways")
    report("   load (ours: cache; naive: build + adjacency)", t_ours, t_naive, target_seconds=3, unit="s")

    index, units = engine.index, engine.geo.units
    places, councils, subs = (engine.geo.layer(n) for n in ("borough", "utla", "ccg"))
    print("2. Re-check the Greater Manchester ICB after one click")
    fp = Footprint("GM", "icb", ("E54000057",))
    base = index.expand(fp.members)
    extra = np.setdiff1d(index.adjacency[base].indices, base)[0]
    variants = [np.union1d(base, [extra]), base]
    state = {"i": 0}

    def ours():
        u = variants[state["i"] % 2]
        state["i"] += 1
        r = check_footprint(fp, index, units=u)
        return r.population, len(r.boroughs), len(r.ccgs)

    def naive():
        u = variants[state["i"] % 2]
        state["i"] += 1
        sel = units.iloc[u]
        shape = sel.dissolve()
        out = [int(sel["population"].sum())]
        for layer in (places, councils, subs):
            ov = gpd.overlay(shape[["geometry"]], layer[["code", "geometry"]], how="intersection")
            out.append(int((ov.area > 1e4).sum()))
        out.append(len(shapely.get_parts(shape.geometry.iloc[0])))
        return out

    state["i"] = 0
    a = ours()
    state["i"] = 0
    b = naive()
    agree(a[0] == b[0] and a[1] == b[1], f"population {a[0]:,} and {a[1]} places both ways")
    t_ours = timeit(ours, repeat=21)
    t_naive = timeit(naive, repeat=3)
    report("   one-click re-check", t_ours, t_naive, target_ratio=100, target_seconds=0.002)

    print("3. Upper-tier councils x ICBs, by population and by area")
    icbs = engine.geo.layer("stp")

    def ours_overlap():
        p = population_overlap("utla", "stp", index)
        ar = weighted_overlap("utla", "stp", index, index.area, value="a")
        return p, ar

    def naive_overlap():
        ov = gpd.overlay(councils[["code", "geometry"]], icbs[["code", "geometry"]], how="intersection",
                         keep_geom_type=True)
        ov = ov[ov.area >= SLIVER_M2].reset_index(drop=True)
        area = ov.assign(a=ov.area).groupby(["code_1", "code_2"])["a"].sum()
        pts = gpd.GeoDataFrame(units[["population"]], geometry=units.geometry.representative_point(), crs=units.crs)
        j = gpd.sjoin(pts, ov[["code_1", "code_2", "geometry"]], predicate="within")
        pop = j.groupby(["code_1", "code_2"])["population"].sum()
        return pop, area

    t0 = time.perf_counter()
    p, ar = ours_overlap()
    t_first = time.perf_counter() - t0
    npop, narea = naive_overlap()
    mine_pop = p.set_index(["a_code", "b_code"])["overlap_population"].sort_index()
    mine_area = ar.set_index(["a_code", "b_code"])["a"]
    mine_area = mine_area[mine_area >= SLIVER_M2].sort_index()
    npop.index.names = narea.index.names = ["a_code", "b_code"]
    npop, narea = npop.sort_index(), narea.sort_index()
    same_p = mine_pop.index.equals(npop.index) and bool((mine_pop.to_numpy() == npop.to_numpy()).all())
    rel = float(np.max(np.abs(mine_area.to_numpy() - narea.to_numpy()) / narea.to_numpy())) \
        if mine_area.index.equals(narea.index) else np.inf
    agree(same_p, f"population: {len(mine_pop)} council x ICB pairs, identical")
    agree(rel <= 1e-6, f"area: {len(mine_area)} pairs, largest relative difference {rel:.2e}")
    t_ours = timeit(ours_overlap, repeat=9)
    t_naive = timeit(naive_overlap, repeat=3)
    report("   councils x ICBs, first call", t_first, t_naive, target_ratio=10)
    report("   councils x ICBs, repeated", t_ours, t_naive, target_ratio=10)
    split = p[(p["share_of_a"] < 1)]["a_code"].nunique()
    print(f"   {split} of {len(councils)} upper-tier councils lie in more than one ICB")

    print("4. Every contiguous 2-4-ICB cluster, enumerated and checked (containment included)")
    engine = engine.with_flows(CareFlows.load(engine.geo, year=2019))
    t0 = time.perf_counter()
    table = cluster_table(index, flows=engine.flows)
    t_first = time.perf_counter() - t0
    t_ours = timeit(lambda: cluster_table(index, flows=engine.flows), repeat=3)
    clusters = enumerate_clusters(icb_adjacency(index), 2, 4)
    sample = clusters[:150]
    codes = index.layer_codes["stp"]
    frame = table.frame.set_index("icbs")
    worst = 0.0
    t0 = time.perf_counter()
    for c in sample:
        r = check_footprint(Footprint("c", "icb_cluster", tuple(codes[list(c)])), index, flows=engine.flows)
        row = frame.loc["+".join(codes[list(c)])]
        assert r.population == row["population"] and r.check("councils").passed == row["councils_ok"]
        worst = max(worst, abs(r.check("care_flow").value - row["containment"]))
    t_naive = (time.perf_counter() - t0) / len(sample) * len(clusters)
    agree(worst < 1e-4, f"{len(sample)} clusters: same population and councils verdict, containment within {worst:.1e}")
    print(f"   {len(clusters):,} clusters; {int(table.frame['passed'].sum()):,} pass every rule")
    report("   all clusters, first call", t_first, t_naive, target_seconds=2, unit="s")
    report("   all clusters, repeated (naive scaled from 150)", t_ours, t_naive, target_seconds=2, unit="s")


if __name__ == "__main__":
    main()
