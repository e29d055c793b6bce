"""Profile speed: after one Sketch click, and for every contiguous London borough set.

1. The profile of a footprint after adding or removing one unit (BHR and a
   neighbouring unit).  Ours: :func:`spatial.profile.profile_units` on the
   unit arrays (bincounts).  Naive: a pandas groupby of the same units of the
   unit table (age bands summed, residents by decile, per-borough Core20).
   Target: ours adds <= 0.5 ms to the re-check.  Also printed: the whole
   re-check (``check_footprint``) with the inequality rules on (the default,
   they compute the profile) and off, the cost a click actually sees.
2. Headline profiles of all 643 contiguous 2-4-borough sets of London.
   Ours: :func:`spatial.profile.profiles_for_sets` (two sparse products).
   Naive: a pandas groupby per set.  Target <= 50 ms.
"""

from __future__ import annotations

import warnings

import _common  # noqa: F401  (puts the repo on sys.path)
import numpy as np
import pandas as pd
from _common import agree, report, timeit

from spatial import Engine, Footprint
from spatial.checks import check_footprint
from spatial.profile import ProfileData, profile_units, profiles_for_sets
from spatial.graph import connected_subsets
from spatial.proposals import borough_graph
from spatial.thresholds import Thresholds

warnings.simplefilter("ignore")
AGES = ["age_0_15", "age_16_24", "age_25_34", "age_35_49", "age_50_64", "age_65_74", "age_75_84", "age_85_plus"]


def naive_profile(table: pd.DataFrame, u: np.ndarray) -> dict:
    sel = table.iloc[u]
    ages = sel[AGES].sum()
    dec = sel.groupby("imd_decile")["population"].sum().reindex(range(1, 11), fill_value=0)
    core = sel["population"].where(sel["imd_decile"] <= 2, 0)
    per = pd.DataFrame({"core": core, "pop": sel["population"], "b": sel["borough"]}).groupby("b").sum()
    per = per[per["pop"] >= 0.05 * sel["population"].sum()]
    share = per["core"] / per["pop"]
    return {"a75": int(ages[["age_75_84", "age_85_plus"]].sum()), "deciles": tuple(int(x) for x in dec),
            "mean_rank": float((sel["population"] * sel["imd_rank"]).sum() / sel["population"].sum()),
            "gap": float(share.max() - share.min())}


def main() -> None:
    engine = Engine.load()
    index = engine.index
    table = engine.geo.units.drop(columns="geometry")
    data = ProfileData.from_index(index)

    fp = Footprint("BHR", "multi_borough", ("E09000002", "E09000016", "E09000026"))
    base = index.expand(fp.members)
    extra = np.setdiff1d(index.adjacency[base].indices, base)[0]
    variants = [np.union1d(base, [extra]), base]
    state = {"i": 0}

    def nxt():
        state["i"] += 1
        return variants[state["i"] % 2]

    ours = timeit(lambda: profile_units(data, nxt()), repeat=7, number=200)
    naive = timeit(lambda: naive_profile(table, nxt()), repeat=7, number=20)
    for u in variants:
        p, q = profile_units(data, u), naive_profile(table, u)
        agree(p.aged_75_plus == q["a75"] and p.imd_deciles == q["deciles"]
              and abs(p.mean_imd_rank - q["mean_rank"]) < 1e-6 and abs(p.core20_gap - q["gap"]) < 1e-12,
              f"profile of {len(u)} units: 75+ {p.aged_75_plus:,}, Core20 {p.core20_share:.4f}, "
              f"mean rank {p.mean_imd_rank:,.1f}, gap {p.core20_gap:.4f}")
    report("profile after one click (BHR +/- 1 unit)", ours, naive, target_seconds=0.0005)
    off_t = Thresholds(inequality_rules="off")
    ons, offs = [], []
    for _ in range(7):  # interleaved, so a busy moment of the machine falls on both
        ons.append(timeit(lambda: check_footprint(fp, index, units=nxt()), repeat=1, number=50))
        offs.append(timeit(lambda: check_footprint(fp, index, units=nxt(), thresholds=off_t), repeat=1, number=50))
    on, off = float(np.median(ons)), float(np.median(offs))
    print(f"re-check after one click: {on * 1000:.3f} ms with the inequality rules (default), "
          f"{off * 1000:.3f} ms without: the profile adds {(on - off) * 1000:.3f} ms "
          f"[target <= 0.5 ms: {'met' if on - off <= 0.0005 else 'NOT met'}]")

    graph = borough_graph(index)
    sets = connected_subsets(graph.adjacency, 4, min_size=2)
    flat = [list(map(int, row)) for k in sorted(sets) for row in sets[k]]
    agree(len(flat) == 643, f"{len(flat)} contiguous 2-4-borough sets of London")
    cold = ProfileData.from_index(index)  # a fresh object: the per-borough sums are built in the first call
    import time

    t0 = time.perf_counter()
    first = profiles_for_sets(ProfileData.from_arrays(
        population=cold.population, population_year=cold.population_year, ages=cold.ages, age_columns=AGES,
        imd_rank=cold.imd_rank, imd_decile=cold.imd_decile, membership=cold.membership,
        layer_codes=cold.layer_codes, layer_names=cold.layer_names), "borough", flat)
    cold_t = time.perf_counter() - t0
    ours_sets = timeit(lambda: profiles_for_sets(data, "borough", flat), repeat=7)
    codes = index.layer_codes["borough"]

    def naive_sets():
        out = []
        for ids in flat:
            sel = table[table["borough"].isin(codes[ids])]
            core = sel["population"].where(sel["imd_decile"] <= 2, 0)
            per = pd.DataFrame({"core": core, "pop": sel["population"], "b": sel["borough"]}).groupby("b").sum()
            per = per[per["pop"] >= 0.05 * sel["population"].sum()]
            share = per["core"] / per["pop"]
            out.append((int(sel[["age_75_84", "age_85_plus"]].to_numpy().sum()), float(core.sum() / sel["population"].sum()),
                        float(share.max() - share.min())))
        return out

    naive_t = timeit(naive_sets, repeat=3)
    ref = naive_sets()
    agree(all(first.loc[i, "aged_75_plus"] == a and abs(first.loc[i, "core20_share"] - c) < 1e-12
              and (abs(first.loc[i, "core20_gap"] - g) < 1e-12 or (np.isnan(first.loc[i, "core20_gap"]) and g == 0))
              for i, (a, c, g) in enumerate(ref)),
          "75+, Core20 share and Core20 gap of all 643 sets")
    print(f"first call (building the per-borough sums): {cold_t * 1000:.2f} ms")
    report("profiles of all 643 contiguous borough sets", ours_sets, naive_t, target_seconds=0.05)


if __name__ == "__main__":
    main()
