"""Overlap speed: CCG x borough by area and by population.

1. Area, published boundaries (published CCGs x GLA boroughs).  Ours:
   :func:`spatial.overlaps.area_overlap` (STRtree candidate pairs + vectorised
   ``shapely.intersection``).  Naive: ``geopandas.overlay(ccg, borough,
   how="intersection")`` then ``.area``.  Same pairs and areas to 1e-6
   relative (pairs under the 1 m² sliver tolerance left out of both).
   Target >= 10x.
2. Area, dissolved layers (both unions of whole units).  Ours: the sparse
   product of unit membership with unit areas (what :func:`overlap_table`
   does for ``source="dissolved"``).  Naive: ``geopandas.overlay`` of the
   dissolved layers.  Same numbers to 1e-6 relative.
3. Population.  Ours: :func:`spatial.overlaps.population_overlap` (sparse
   ``M_a.T @ diag(pop) @ M_b``).  Naive: the same table with pandas
   (``units.groupby(["ccg", "borough"]).population.sum()``, totals, names,
   shares).  Same counts exactly, same shares.  Ours also handles footprint
   layers whose areas share units, which a groupby cannot.

Exit status 1 when any pair disagrees.
"""

from __future__ import annotations

import warnings

import _common  # noqa: F401  (puts the repo on sys.path)
import geopandas as gpd
import numpy as np
import pandas as pd
from _common import agree, report, timeit

from boundaries import load_geographies
from spatial.index import UnitIndex
from spatial.overlaps import SLIVER_M2, area_overlap, population_overlap, weighted_overlap

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


def main() -> None:
    geo = load_geographies()
    index = UnitIndex.from_geographies(geo)
    ccg_pub, bor_pub = geo.layer("ccg", "published"), geo.layer("borough", "published")
    ccg_dis, bor_dis = geo.layer("ccg"), geo.layer("borough")

    print("1. CCG x borough by area, published boundaries (32 x 33)")
    ours = _pairs(area_overlap(ccg_pub, bor_pub), "overlap_area_m2")
    naive = naive_area(ccg_pub, bor_pub)
    compare(ours, naive, "published area overlaps")
    t_ours = timeit(lambda: area_overlap(ccg_pub, bor_pub), repeat=7)
    t_naive = timeit(lambda: naive_area(ccg_pub, bor_pub), repeat=7)
    report("   area, published", t_ours, t_naive, target_ratio=10)

    print("2. CCG x borough by area, dissolved from units")
    ours = _pairs(weighted_overlap("ccg", "borough", index, index.area, value="a"), "a")
    ours = ours[ours >= SLIVER_M2]
    naive = naive_area(ccg_dis, bor_dis)
    compare(ours, naive, "dissolved area overlaps")
    t_ours = timeit(lambda: weighted_overlap("ccg", "borough", index, index.area, value="a"), repeat=7)
    t_naive = timeit(lambda: naive_area(ccg_dis, bor_dis), repeat=5)
    report("   area, dissolved", t_ours, t_naive, target_ratio=10)

    print("3. CCG x borough by population (ONS lookup assignment)")
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
    scenario = load_preloaded_or_none()
    if scenario is not None:
        t_fp = timeit(lambda: population_overlap(scenario, "ccg", index), repeat=9)
        print(f"   population, footprints of {scenario.name!r} x ccg: ours {t_fp * 1000:.3f} ms "
              "(no groupby equivalent: footprints may share units)")


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


def load_preloaded_or_none():
    try:
        from spatial.preloaded import load_preloaded

        return load_preloaded("london-stps")
    except Exception:  # noqa: BLE001 - optional extra timing
        return None

if __name__ == "__main__":
    main()
