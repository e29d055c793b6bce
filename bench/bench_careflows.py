"""Care-flow containment for many footprints: sparse matrix vs a pandas merge + groupby per footprint.

Footprints measured in one go:

* every London borough on its own (33);
* every footprint of every preloaded scenario (core-provider overrides honoured);
* every contiguous set of 2-4 boroughs (rook adjacency of the borough layer, libpysal).

Ours: :meth:`spatial.careflows.CareFlows.footprints_table` (scenario
footprints, members expanded inside the timing) and
:meth:`~spatial.careflows.CareFlows.containment_table` on the borough
aggregate (boroughs and borough sets) -- one sparse product (footprints x
areas) @ (areas x trusts) per batch, with the units x trusts activity matrix
built once per catchment year and population year (timed separately).
Naive: for each footprint, a pandas merge of its units with the flow table,
``population * proportion``, a groupby by trust, and the core trusts picked
by their headquarters' unit.

Targets: <= 50 ms for all of them, >= 20x the naive way.  Exit 1 if the two
ways disagree on any containment.
"""

from __future__ import annotations

import time
import warnings

import _common  # noqa: F401  (puts the repo on sys.path)
import numpy as np
import pandas as pd
from _common import agree, report, timeit

from spatial import Engine
from spatial.careflows import CareFlows
from spatial.footprints import resolve_members
from spatial.preloaded import list_preloaded, load_preloaded

warnings.simplefilter("ignore")


def borough_sets(geo, sizes=(2, 3, 4)) -> list[tuple[int, ...]]:
    """Every connected set of 2-4 boroughs (ids in code order) on the rook graph of the borough layer."""
    from libpysal.graph import Graph

    boroughs = geo.layer("borough").reset_index(drop=True)
    graph = Graph.build_contiguity(boroughs, rook=True, strict=False)
    nbrs = {i: set(graph[i].index) for i in range(len(boroughs))}
    found: set[frozenset[int]] = set()
    frontier = {frozenset([i]) for i in nbrs}
    for size in range(2, max(sizes) + 1):
        nxt = set()
        for s in frontier:
            for j in set().union(*(nbrs[i] for i in s)) - s:
                nxt.add(s | {j})
        frontier = nxt
        if size in sizes:
            found |= nxt
    return sorted(tuple(sorted(s)) for s in found)


def main() -> None:
    engine = Engine.load()
    index, geo = engine.index, engine.geo
    t0 = time.perf_counter()
    flows = CareFlows.load(geo, year=2018)
    t_load = time.perf_counter() - t0

    sets = borough_sets(geo)
    scenarios = [load_preloaded(sid) for sid, _, _ in list_preloaded()]
    scenarios = [s for s in scenarios if s.year == index.year]
    n_fp = sum(len(s.footprints) for s in scenarios)
    print(f"footprints: 33 boroughs, {n_fp} scenario footprints ({len(scenarios)} preloaded scenarios), "
          f"{len(sets)} contiguous 2-4 borough sets")
    t0 = time.perf_counter()
    flows.layer_activity(index, "borough")  # built once per year (cached on the model)
    t_build = time.perf_counter() - t0
    print(f"one-off: load flows {1000 * t_load:.0f} ms; activity matrix + borough aggregate {1000 * t_build:.1f} ms")

    borough_groups = [np.array([i]) for i in range(33)] + [np.array(s) for s in sets]
    footprints = [fp for s in scenarios for fp in s.footprints]

    def ours():
        # every scenario footprint: members expanded to units here (inside the timing), one sparse product
        fps = flows.footprints_table(footprints, index)["containment"].to_numpy()
        # every borough and every contiguous 2-4 borough set: one product on the borough aggregate
        bs = flows.containment_table(borough_groups, index, layer="borough")["containment"].to_numpy()
        return np.concatenate([bs[:33], fps, bs[33:]])

    # --- naive: pandas merge + groupby per footprint -------------------------------------------
    units = geo.units[["code", "msoa", "borough", "population"]].reset_index(drop=True)
    raw = pd.read_csv(flows_path())
    london = raw[raw["msoa_code"].isin(set(units["msoa"]))]
    trust_unit = flows.trusts.loc[flows.trusts["unit"] >= 0].copy()
    trust_unit["unit_code"] = units["code"].to_numpy()[trust_unit["unit"].to_numpy()]
    trust_unit = trust_unit.loc[trust_unit["has_flows"], ["code", "unit_code"]]
    b_codes = index.layer_codes["borough"]

    def naive_one(unit_codes: np.ndarray, core: tuple[str, ...] | None) -> float:
        sel = units[units["code"].isin(unit_codes)]
        act = sel.merge(london, left_on="msoa", right_on="msoa_code")
        act["activity"] = act["population"] * act["proportion"]
        by_trust = act.groupby("trust_code")["activity"].sum()
        if core is None:
            core = tuple(trust_unit.loc[trust_unit["unit_code"].isin(unit_codes), "code"])
        total = by_trust.sum()
        return float(by_trust[by_trust.index.isin(core)].sum() / total) if total else 0.0

    def naive():
        out = []
        for b in b_codes:
            out.append(naive_one(units.loc[units["borough"] == b, "code"].to_numpy(), None))
        for s in scenarios:
            members = resolve_members(s, index)
            for fp in s.footprints:
                out.append(naive_one(index.codes[members[fp.name]], fp.core_providers))
        for s in sets:
            out.append(naive_one(units.loc[units["borough"].isin(b_codes[list(s)]), "code"].to_numpy(), None))
        return np.array(out)

    a = ours()
    t_naive0 = time.perf_counter()
    b = naive()
    t_naive = time.perf_counter() - t_naive0
    agree(len(a) == len(b), f"{len(a):,} footprints measured both ways")
    diff = float(np.max(np.abs(a - b)))
    agree(diff < 1e-9, f"containment agrees for every footprint (max difference {diff:.2e})")
    best = int(np.argmax(a[33 + n_fp:]))
    names = index.layer_names["borough"][list(sets[best])]
    print(f"highest containment of a contiguous 2-4 borough set: {a[33 + n_fp + best]:.1%} ({', '.join(names)})")
    t_ours = timeit(ours, repeat=7)
    report(f"containment of {len(a):,} footprints", t_ours, t_naive, target_ratio=20, target_seconds=0.05)


def flows_path():
    from boundaries import settings
    from boundaries.registry import REGISTRY

    return settings().data_dir / REGISTRY["trust_flows_2018"].path


if __name__ == "__main__":
    main()
