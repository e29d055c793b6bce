"""Engine speed: re-check after one click, and dissolving a footprint.

1. Re-check a footprint after adding or removing one unit (population, borough
   and CCG counts, contiguity).  Ours: array updates on the precomputed unit
   index.  Naive: geopandas dissolve of the new member set + overlay with the
   boroughs and CCGs + a contiguity test on the dissolved shape.
   Targets: <= 2 ms and >= 100x.
2. Dissolve a footprint of ~1,000 units.  Ours: ``shapely.coverage_union_all``
   on the unit coverage.  Naive: ``shapely.unary_union``.  Target >= 10x, same area.
"""

from __future__ import annotations

import warnings

import _common  # noqa: F401  (puts the repo on sys.path)
import geopandas as gpd
import numpy as np
import shapely
from _common import agree, report, timeit

from spatial import Engine, Footprint
from spatial.checks import check_footprint

warnings.simplefilter("ignore")


def main() -> None:
    engine = Engine.load()
    index, geo = engine.index, engine.geo
    units = geo.units
    boroughs = geo.layer("borough", "published")
    ccgs = geo.layer("ccg", "published")

    # A multi-borough footprint (BHR) and a neighbouring unit to toggle.
    fp = Footprint("BHR", "multi_borough", ("E09000002", "E09000016", "E09000026"))
    base = index.expand(fp.members)
    outside = np.setdiff1d(index.adjacency[base].indices, base)
    extra = outside[0]
    variants = [np.union1d(base, [extra]), base]  # add, then remove again

    state = {"i": 0}

    def ours():
        u = variants[state["i"] % 2]
        state["i"] += 1
        return check_footprint(fp, index, units=u)

    def naive():
        u = variants[state["i"] % 2]
        state["i"] += 1
        sel = units.iloc[u]
        shape = sel.dissolve()  # dissolve the new member set
        pop = int(sel["population"].sum())
        b = gpd.overlay(shape[["geometry"]], boroughs[["code", "geometry"]], how="intersection")
        c = gpd.overlay(shape[["geometry"]], ccgs[["code", "geometry"]], how="intersection")
        nb = int((b.area > 1.0).sum())
        nc = int((c.area > 1.0).sum())
        parts = len(shapely.get_parts(shape.geometry.iloc[0]))
        return pop, nb, nc, parts

    # agreement on the "add" variant
    state["i"] = 0
    r = ours()
    state["i"] = 0
    pop, nb, nc, parts = naive()
    agree(r.population == pop, f"population after one click {r.population:,} == {pop:,}")
    agree(r.contiguous == (parts == 1), f"contiguity {r.contiguous} == ({parts} piece(s) == 1)")
    agree(len(r.boroughs) <= nb and len(r.ccgs) <= nc,
          f"boroughs {len(r.boroughs)} / CCGs {len(r.ccgs)} within overlay's {nb} / {nc} (overlay counts slivers)")
    t_ours = timeit(ours, repeat=7, number=200)
    t_naive = timeit(naive, repeat=3, number=2)
    report("re-check after one click (BHR, %d units)" % len(base), t_ours, t_naive,
           target_ratio=100, target_seconds=0.002)

    # Dissolve ~1,000 units: the first 1,000 units of North West London (by code, so whole boroughs)
    stp = np.flatnonzero(units["stp"].to_numpy() == "E54000027")[:1000]
    geoms = units.geometry.to_numpy()[stp]
    a = shapely.coverage_union_all(geoms)
    b = shapely.unary_union(geoms)
    agree(abs(a.area - b.area) / b.area < 1e-9, f"dissolved area {a.area:,.0f} m² == {b.area:,.0f} m²")
    t1 = timeit(lambda: shapely.coverage_union_all(geoms), repeat=5)
    t2 = timeit(lambda: shapely.unary_union(geoms), repeat=3)
    report(f"dissolve {len(stp)} units", t1, t2, target_ratio=10)


if __name__ == "__main__":
    main()
