"""ICB clusters: every contiguous group of 2-4 ICBs, checked and ranked against the cluster rules.

ICBs are being clustered and merged into fewer, larger boards; a candidate
cluster is judged on

* **size**: residents at least ``Thresholds.cluster_min_population``
  (1,000,000 by default, a figure the user can change);
* **councils**: every upper-tier council (county or unitary, which runs social
  care) it touches lies wholly inside it;
* **containment**: the share of its residents' recorded hospital activity that
  trusts located inside it deliver (``Thresholds.care_flow_min``, 70%).

Method
------
ICB adjacency comes from the unit coverage: ICBs *i* and *j* are neighbours
when a unit of *i* shares an edge with a unit of *j* (``M.T @ A @ M`` with
``A`` the rook adjacency of the units and ``M`` the unit -> ICB membership).
Connected sets of 2-4 ICBs are enumerated once each
(:func:`spatial.graph.connected_subsets`).  Every measure is then a sum over
the ICBs of a cluster of per-ICB arrays computed once:

.. math::

    \\text{pop}(C) = \\sum_{i \\in C} p_i, \\qquad
    \\text{inside}(u, C) = \\sum_{i \\in C} P_{u i} = P_u \\text{ for every council } u \\text{ touching } C,

    \\text{containment}(C) = \\frac{\\sum_{i \\in C} \\sum_{t:\\, \\text{ICB}(t) \\in C} a_{i t}}
                                  {\\sum_{i \\in C} \\sum_t a_{i t}}

with ``P`` the council x ICB population matrix and ``a`` the ICB x trust
activity matrix of :class:`spatial.careflows.CareFlows` (core providers: the
trusts with flows whose point lies inside the cluster, as in the ``care_flow``
rule).  The same numbers come out of :func:`spatial.checks.check_footprint`
for a footprint of the cluster's ICBs (tested).

Supply side (``supply_2022``, shown, not a pass/fail rule): the share of the
core trusts' catchment that comes from the cluster, from the OHID 2022 trust x
ICB shares ``s_{ti}``, weighted by each core trust's modelled activity
``w_t = \\sum_i a_{it}``: ``\\sum_t w_t \\sum_{i \\in C} s_{ti} / \\sum_t w_t``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .errors import ClusterError
from .graph import connected_subsets
from .index import UnitIndex
from .thresholds import Thresholds

__all__ = ["ClusterError", "ClusterTable", "icb_adjacency", "enumerate_clusters", "cluster_table"]


def icb_adjacency(index: UnitIndex) -> sp.csr_array:
    """ICB x ICB adjacency (shared unit edge), boolean, no diagonal."""
    m = index.membership["stp"]
    n = len(index.layer_codes["stp"])
    M = sp.csr_array((np.ones(index.n), (np.arange(index.n), m)), shape=(index.n, n))
    adj = (M.T @ sp.csr_array(index.adjacency, dtype=float) @ M)
    adj = sp.csr_array(adj > 0)
    adj.setdiag(False)
    adj.eliminate_zeros()
    return adj


def enumerate_clusters(adjacency: sp.csr_array, min_size: int = 2, max_size: int = 4) -> list[tuple[int, ...]]:
    """Every connected set of ``min_size``..``max_size`` vertices, once each, as sorted tuples.

    The enumeration is :func:`spatial.graph.connected_subsets` (the one home of
    connected sets); clusters come smallest first, each size in lexicographic order.
    """
    if min_size < 1 or max_size < min_size:
        raise ClusterError(f"cluster sizes {min_size}-{max_size} make no sense", where="sizes",
                           fix="give 1 <= min <= max, e.g. 2-4")
    sets = connected_subsets(adjacency, max_size, min_size=min_size)
    return [tuple(int(i) for i in row) for k in sorted(sets) for row in sets[k]]


@dataclass
class ClusterTable:
    """Checked clusters, best first (:attr:`frame`), and what they were measured with."""

    frame: pd.DataFrame
    thresholds: Thresholds
    notes: list[str] = field(default_factory=list)


def _activity(index: UnitIndex, flows) -> tuple[np.ndarray, np.ndarray] | None:
    """(ICB x trust activity, ICB id of each trust or -1): for containment."""
    if flows is None:
        return None
    a = flows.layer_activity(index, "stp")
    a = a.toarray() if hasattr(a, "toarray") else np.asarray(a)
    cols = flows.trusts
    unit_of = cols["unit"].to_numpy()
    has = cols["has_flows"].to_numpy(bool)
    icb_of = np.where((unit_of >= 0) & has, index.membership["stp"][np.maximum(unit_of, 0)], -1)
    return a, icb_of


def icb22_shares(index: UnitIndex, trust_codes: np.ndarray, *, config=None) -> tuple[np.ndarray, list[str]]:
    """Trust x ICB matrix of the OHID 2022 shares (share of each trust's catchment from each ICB).

    The shares are keyed by **July 2022** ICB E-codes; Surrey Heartlands and Sussex were recoded in April
    2024 (E54000052 -> E54000063, E54000053 -> E54000064), so rows are joined to the loaded ICBs on the
    stable NHS codes through the July 2022 lookup, never on the E-codes.
    """
    from boundaries import get_dataset, settings as default_settings
    from boundaries.readers import load_dataset

    config = config or default_settings()
    shares = load_dataset(get_dataset("trust_icb22_shares"), config).frame
    look = load_dataset(get_dataset("lsoa11_sicbl22_icb22_lookup"), config).frame
    nhs_of = dict(zip(look["icb22_code"].astype(str), look["icb22_code_h"].astype(str)))
    units = index.geo.units
    pos_of_nhs = dict(zip(units["stp_nhs"].astype(str), index.membership["stp"]))
    notes = []
    col = shares["icb22_code"].astype(str).map(nhs_of).map(pos_of_nhs)
    row = pd.Index(trust_codes).get_indexer(shares["nhs_trust22_code"].astype(str))
    ok = col.notna().to_numpy() & (row >= 0)
    S = np.zeros((len(trust_codes), len(index.layer_codes["stp"])))
    np.add.at(S, (row[ok], col[ok].astype(int).to_numpy()), shares["proportion_trust_came_from_icb"].to_numpy(float)[ok])
    if (~ok).any():
        notes.append(f"{int((~ok).sum())} OHID 2022 share row(s) are for ICBs outside the region or trusts without "
                     "flows; left out of the supply side")
    return S, notes


def cluster_table(
    index: UnitIndex,
    *,
    thresholds: Thresholds | None = None,
    flows=None,
    clusters: list[tuple[int, ...]] | None = None,
) -> ClusterTable:
    """Check and rank ICB clusters (every contiguous 2-4-ICB cluster unless ``clusters`` is given).

    Parameters
    ----------
    index : UnitIndex
        A 2024 index (``stp`` = ICB, ``utla`` = upper-tier council).
    thresholds : Thresholds, optional
        ``cluster_min_population``, ``cluster_min_icbs``/``cluster_max_icbs``, ``care_flow_min``.
    flows : CareFlows, optional
        For containment; without it the containment column is empty and not ranked on.
    clusters : list of tuple of int, optional
        ICB ids (positions in ``index.layer_codes["stp"]``).

    Returns
    -------
    ClusterTable
        ``frame`` columns: ``icbs`` (codes joined by "+"), ``names``, ``n_icbs``, ``population``,
        ``population_ok``, ``councils``, ``councils_split`` (names), ``councils_ok``, ``containment``,
        ``containment_ok``, ``passes`` (rules passed), ``passed`` (all), ranked best first.
    """
    t = thresholds or Thresholds()
    if "stp" not in index.membership or "utla" not in index.membership:
        raise ClusterError("ICB clusters need the 2024 geography (ICBs and upper-tier councils)",
                           where="geography", fix="load it with --geography 2024 (Engine.load(..., geography='2024'))")
    adj = icb_adjacency(index)
    if clusters is None:
        clusters = enumerate_clusters(adj, t.cluster_min_icbs, t.cluster_max_icbs)
    n_icb = len(index.layer_codes["stp"])
    pop_icb = index.area_totals("stp")
    # council x ICB residents
    P = np.zeros((len(index.layer_codes["utla"]), n_icb))
    np.add.at(P, (index.membership["utla"], index.membership["stp"]), index.population)
    P_tot = P.sum(axis=1)
    act = _activity(index, flows)
    supply_S, supply_notes = (None, [])
    if act is not None:
        try:
            supply_S, supply_notes = icb22_shares(index, flows.trust_codes)
        except Exception as exc:  # the 2022 shares are optional: say so rather than fail
            supply_notes = [f"supply side (OHID 2022 shares) not measured: {exc}"]
    rows = []
    codes, names = index.layer_codes["stp"], index.layer_names["stp"]
    for c in clusters:
        ids = np.fromiter(c, dtype=np.int64)
        inc = np.zeros(n_icb, dtype=bool)
        inc[ids] = True
        pop = float(pop_icb[ids].sum())
        inside = P[:, inc].sum(axis=1)
        touched = np.flatnonzero(inside > 0)
        split = touched[inside[touched] < t.council_inside_min * P_tot[touched] - 1e-6]
        if act is not None:
            a, icb_of = act
            core = (icb_of >= 0) & inc[np.maximum(icb_of, 0)]
            sub = a[ids]
            total = sub.sum()
            containment = float(sub[:, core].sum() / total) if total > 0 else np.nan
            if supply_S is not None and core.any():
                weight = a[:, core].sum(axis=0)
                from_c = supply_S[core][:, ids].sum(axis=1)
                supply = float((weight * from_c).sum() / weight.sum()) if weight.sum() > 0 else np.nan
            else:
                supply = np.nan
        else:
            containment, supply = np.nan, np.nan
        rows.append((c, pop, len(touched), split, containment, supply))
    frame = pd.DataFrame({
        "icbs": ["+".join(codes[list(c)]) for c, *_ in rows],
        "names": [" + ".join(n.replace("NHS ", "").replace(" Integrated Care Board", "") for n in names[list(c)])
                  for c, *_ in rows],
        "n_icbs": [len(c) for c, *_ in rows],
        "population": [int(p) for _, p, *_ in rows],
        "councils": [r[2] for r in rows],
        "councils_split": ["; ".join(index.layer_names["utla"][r[3]]) for r in rows],
        "containment": [r[4] for r in rows],
        "supply_2022": [r[5] for r in rows],
    })
    frame["population_ok"] = frame["population"] >= t.cluster_min_population
    frame["councils_ok"] = frame["councils_split"] == ""
    frame["containment_ok"] = frame["containment"] >= t.care_flow_min
    frame["passes"] = frame[["population_ok", "councils_ok", "containment_ok"]].sum(axis=1)
    frame["passed"] = frame["passes"] == 3
    frame = frame.sort_values(["passes", "containment", "population"], ascending=[False, False, True],
                              na_position="last", kind="stable").reset_index(drop=True)
    notes = [f"{len(frame):,} contiguous clusters of {t.cluster_min_icbs}-{t.cluster_max_icbs} ICBs "
             f"(adjacency from the unit coverage)"]
    if act is None:
        notes.append("containment not measured (no care-flow model loaded)")
    notes += supply_notes
    return ClusterTable(frame, t, notes)
