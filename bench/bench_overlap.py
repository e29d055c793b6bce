"""Overlap speed: CCG x borough (and STP x borough, footprints x borough) by area, and by population.

1. Area, published boundaries (published CCGs x GLA boroughs), the issue-4
   target (>= 10x ``geopandas.overlay``, same numbers to 1e-6 relative).
   Naive: ``geopandas.overlay(ccg, borough, how="intersection")`` then
   ``.area``.  Ours, three ways, each checked against the naive numbers:

   * *geometric* -- :func:`spatial.overlaps.area_overlap` without an index
     (STRtree candidate pairs + vectorised ``shapely.intersection``);
   * *units, table computed in the call* -- ``area_overlap(..., index=index,
     cache=False)``: detects that the published CCGs are unions of whole
     units, computes the ``units x borough`` area table (``contains_properly``
     for units wholly inside a borough, ``clip_by_rect`` + ``intersection``
     for the others) and multiplies it by the CCG membership.  Everything but
     loading the data and building the unit index is timed.  This is the
     per-dataset build cost: :func:`spatial.overlaps.precompute_unit_areas`
     (run by ``Engine.load`` the first time a dataset's processed cache is
     used) pays it once, beside the unit adjacency;
   * *first call, cold* -- the issue-16 target (>= 3x): the first
     ``area_overlap`` call in a fresh Python process (a subprocess that runs
     ``Engine.load()`` untimed, then times one call): the table is read from
     the processed cache where the dataset build put it;
   * *units, warm* -- the same table read again in this process (keyed by
     every vertex of the boroughs).

2. STP x borough and the footprints of the ``borough-systems`` scenario x
   published boroughs: the same ``units x borough`` table (warm), against
   ``geopandas.overlay`` (footprints dissolved from their units first).
3. Area, dissolved layers (both unions of whole units): the sparse product of
   unit membership with unit areas against ``geopandas.overlay`` of the
   dissolved layers.
4. Population: :func:`spatial.overlaps.population_overlap` (sparse
   ``M_a.T @ diag(pop) @ M_b``) against a pandas groupby.

Pairs under the 1 m² sliver tolerance are left out of both sides.  Exit
status 1 when any pair disagrees.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import _common  # noqa: F401  (puts the repo on sys.path)
import geopandas as gpd
import numpy as np
import pandas as pd
from _common import ROOT, agree, report, timeit

from boundaries import load_geographies
from spatial.api import Engine
from spatial.index import UnitIndex
from spatial.overlaps import (SLIVER_M2, area_overlap, overlap_table, population_overlap, precompute_unit_areas,
                               weighted_overlap)

warnings.simplefilter("ignore")


def _pairs(frame: pd.DataFrame, value: str) -> pd.Series:
    return frame.set_index(["a_code", "b_code"])[value].sort_index()


def naive_area(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> pd.Series:
    """geopandas.overlay + area, summed per pair, slivers dropped."""
    ov = gpd.overlay(a[["code", "geometry"]], b[["code", "geometry"]], how="intersection", keep_geom_type=True)
    s = ov.assign(area=ov.geometry.area).groupby(["code_1", "code_2"])["area"].sum()
    s.index.names = ["a_code", "b_code"]
    return s[s >= SLIVER_M2].sort_index()


def compare(ours: pd.Series, naive: pd.Series, what: str, rtol: float = 1e-6) -> None:
    same_pairs = ours.index.equals(naive.index)
    rel = float(np.max(np.abs(ours.to_numpy() - naive.to_numpy()) / np.abs(naive.to_numpy()))) if same_pairs else np.inf
    agree(same_pairs and rel <= rtol,
          f"{what}: {len(ours)} pairs both ways, largest relative difference {rel:.2e} (<= {rtol:g})")


# One fresh process: load the engine (untimed; it runs the per-dataset precompute when the
# cache is new), then time the first area_overlap call of CCG x borough, published.
_FIRST_CALL = """
import json, sys, time, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[1])
from spatial.api import Engine
from spatial.overlaps import area_overlap
engine = Engine.load()
ccg, bor = (engine.geo.layer(n, "published") for n in ("ccg", "borough"))
t0 = time.perf_counter()
table = area_overlap(ccg, bor, index=engine.index)
seconds = time.perf_counter() - t0
table.to_pickle(sys.argv[2])
print(json.dumps({"seconds": seconds, "unit_areas": table.attrs.get("unit_areas")}))
"""


def first_call(rounds: int = 5) -> tuple[float, str, pd.Series]:
    """Median seconds of the first area_overlap call in ``rounds`` fresh processes, how the table was had, pairs."""
    times, how = [], set()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "table.pkl"
        for _ in range(rounds):
            run = subprocess.run([sys.executable, "-c", _FIRST_CALL, str(ROOT), str(out)], capture_output=True,
                                 text=True, check=True)
            got = json.loads(run.stdout.strip().splitlines()[-1])
            times.append(got["seconds"])
            how.add(str(got["unit_areas"]))
        pairs = _pairs(pd.read_pickle(out), "overlap_area_m2")
    return statistics.median(times), ", ".join(sorted(how)), pairs


def main() -> None:
    geo = load_geographies()
    index = UnitIndex.from_geographies(geo)
    engine = Engine(geo, index)
    ccg_pub, bor_pub, stp_pub = (geo.layer(n, "published") for n in ("ccg", "borough", "stp"))
    ccg_dis, bor_dis = geo.layer("ccg"), geo.layer("borough")

    print("1. CCG x borough by area, published boundaries (32 x 33)")
    naive = naive_area(ccg_pub, bor_pub)
    geometric = lambda: area_overlap(ccg_pub, bor_pub)  # noqa: E731
    cold = lambda: area_overlap(ccg_pub, bor_pub, index=index, cache=False)  # noqa: E731
    warm = lambda: area_overlap(ccg_pub, bor_pub, index=index)  # noqa: E731
    table = cold()
    print(f"   method: {table.attrs['area_method']}")
    compare(_pairs(table, "overlap_area_m2"), naive, "published area overlaps, from units (table computed)")
    compare(_pairs(geometric(), "overlap_area_m2"), naive, "published area overlaps, geometric")
    first = warm()  # writes the units x borough table to the processed cache (or reads it)
    table = warm()
    agree(table.attrs.get("unit_areas") == "read from the processed cache",
          f"warm call read the units x borough table from the cache ({table.attrs.get('unit_areas')}; "
          f"first call: {first.attrs.get('unit_areas')})")
    compare(_pairs(table, "overlap_area_m2"), naive, "published area overlaps, from units (warm)")
    precompute_unit_areas(index)  # what Engine.load does once per dataset (a no-op when already done)
    t_first, how, first_pairs = first_call()
    compare(first_pairs, naive, f"published area overlaps, first call in a fresh process (table {how})")
    t_naive = timeit(lambda: naive_area(ccg_pub, bor_pub), repeat=7)
    t_geom = timeit(geometric, repeat=7)
    t_cold = timeit(cold, repeat=7)
    t_warm = timeit(warm, repeat=15)
    report("   geometric (no index)", t_geom, t_naive)
    report("   from units, table computed in the call (the per-dataset build cost)", t_cold, t_naive)
    report("   first call, cold (fresh process; table precomputed at dataset build, read in the call)", t_first,
           t_naive, target_ratio=3)  # issue 16: a first (cold) call >= 3x
    report("   from units, warm (table cached)", t_warm, t_naive, target_ratio=10)

    print("2. Other layers against the same units x borough table (warm)")
    naive = naive_area(stp_pub, bor_pub)
    compare(_pairs(area_overlap(stp_pub, bor_pub, index=index), "overlap_area_m2"), naive,
            "STP x borough, published")
    t_ours = timeit(lambda: area_overlap(stp_pub, bor_pub, index=index), repeat=15)
    t_naive = timeit(lambda: naive_area(stp_pub, bor_pub), repeat=5)
    report("   STP x borough (5 x 33), warm", t_ours, t_naive, target_ratio=10)
    scenario = load_scenario("borough-systems")
    if scenario is not None:
        fp_table = lambda: overlap_table(scenario, "borough", engine, by="area")  # noqa: E731
        naive_fp = lambda: naive_area(dissolve_footprints(scenario, index, geo.units), bor_pub)  # noqa: E731
        compare(_pairs(fp_table(), "overlap_area_m2"), naive_fp(),
                f"{len(scenario.footprints)} footprints of {scenario.name!r} x published borough")
        t_ours = timeit(fp_table, repeat=9)
        t_cold = timeit(lambda: overlap_table(scenario, "borough", engine, by="area", cache=False), repeat=3)
        t_naive = timeit(naive_fp, repeat=3)
        report("   footprints x borough, warm (naive: dissolve + overlay)", t_ours, t_naive, target_ratio=10)
        report("   footprints x borough, cold", t_cold, t_naive)

    print("3. CCG x borough by area, dissolved from units")
    ours = _pairs(weighted_overlap("ccg", "borough", index, index.area, value="a"), "a")
    ours = ours[ours >= SLIVER_M2]
    naive = naive_area(ccg_dis, bor_dis)
    compare(ours, naive, "dissolved area overlaps")
    t_ours = timeit(lambda: weighted_overlap("ccg", "borough", index, index.area, value="a"), repeat=7)
    t_naive = timeit(lambda: naive_area(ccg_dis, bor_dis), repeat=5)
    report("   area, dissolved", t_ours, t_naive, target_ratio=10)

    print("4. CCG x borough by population (ONS lookup assignment)")
    ours_t = population_overlap("ccg", "borough", index)
    naive_t = naive_population(geo.units, "ccg", "borough")
    ours, naive = _pairs(ours_t, "overlap_population"), _pairs(naive_t, "overlap_population")
    shares_ok = all(np.allclose(_pairs(ours_t, c).to_numpy(), _pairs(naive_t, c).to_numpy(), rtol=1e-12, atol=0)
                    for c in ("share_of_a", "share_of_b")) if ours.index.equals(naive.index) else False
    agree(ours.index.equals(naive.index) and bool((ours.to_numpy() == naive.to_numpy()).all()) and shares_ok,
          f"population overlaps: {len(ours)} pairs, identical counts and shares")
    t_ours = timeit(lambda: population_overlap("ccg", "borough", index), repeat=9)
    t_naive = timeit(lambda: naive_population(geo.units, "ccg", "borough"), repeat=9)
    report("   population", t_ours, t_naive)
    scenario = load_scenario("london-stps")
    if scenario is not None:
        t_fp = timeit(lambda: population_overlap(scenario, "ccg", index), repeat=9)
        print(f"   population, footprints of {scenario.name!r} x ccg: ours {t_fp * 1000:.3f} ms "
              "(no groupby equivalent: footprints may share units)")


def dissolve_footprints(scenario, index: UnitIndex, units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Each footprint's units dissolved into one shape (what a geopandas user would do before overlay)."""
    rows = [{"code": fp.name, "geometry": units.iloc[index.expand(fp.members)].geometry.union_all()}
            for fp in scenario.footprints]
    return gpd.GeoDataFrame(rows, crs=units.crs)


def naive_population(units: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """The same table with plain pandas: groupby on the lookup codes, totals, names, shares."""
    pair = units.groupby([a, b], as_index=False)["population"].sum().rename(
        columns={a: "a_code", b: "b_code", "population": "overlap_population"})
    tot_a = units.groupby(a)["population"].sum()
    tot_b = units.groupby(b)["population"].sum()
    pair["a_name"] = pair["a_code"].map(units.groupby(a)[f"{a}_name"].first())
    pair["b_name"] = pair["b_code"].map(units.groupby(b)[f"{b}_name"].first())
    pair["share_of_a"] = pair["overlap_population"] / pair["a_code"].map(tot_a)
    pair["share_of_b"] = pair["overlap_population"] / pair["b_code"].map(tot_b)
    return pair


def load_scenario(key: str):
    try:
        from spatial.preloaded import load_preloaded

        return load_preloaded(key)
    except Exception:  # noqa: BLE001 - optional extra timing
        return None


if __name__ == "__main__":
    main()
