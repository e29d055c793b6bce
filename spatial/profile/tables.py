"""Profiles of many footprints at once, and profile columns for tables and exports.

* :func:`profiles_for_sets`: headline figures of many footprints made of whole
  areas (the Proposals page), by two sparse products.
* :func:`profile_table` and :data:`PROFILE_COLUMNS`: one row per footprint report.
* :func:`locality_need_summary`: how a set of localities treats need.

Notes
-----
For a set :math:`S` of areas with residents :math:`P_a` and Core20 residents
:math:`C_a`, the Core20 share is :math:`\\sum_{a \\in S} C_a / \\sum_{a \\in S} P_a`
and the gap is :math:`\\max_a C_a/P_a - \\min_a C_a/P_a` over the areas with
:math:`P_a \\ge` ``GAP_MIN_PART_SHARE`` :math:`\\cdot \\sum_{a \\in S} P_a` (NaN with fewer than two).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..index import UnitIndex
from ..thresholds import GAP_MIN_PART_SHARE
from .data import ProfileData
from .measure import constituent_layer, profile_units

__all__ = ["profiles_for_sets", "PROFILE_COLUMNS", "profile_table", "locality_need_summary"]


def profiles_for_sets(data: ProfileData, layer: str, sets: Sequence[Sequence[int]]) -> pd.DataFrame:
    """Headline profile figures of many footprints made of whole areas of ``layer`` at once.

    For the Proposals page and the 643 contiguous London borough sets: the
    per-area sums are built once, and each set is a row of a sparse
    set x area matrix, so all sets cost two sparse products.

    Parameters
    ----------
    data : ProfileData
    layer : str
        Layer whose area ids the sets list (e.g. ``"borough"``).
    sets : sequence of sequences of int
        Area ids of each footprint.

    Returns
    -------
    DataFrame
        One row per set: ``residents, aged_65_plus, share_65_plus, aged_75_plus, share_75_plus,
        core20_residents, core20_share, mean_imd_rank, core20_gap`` (NaN where not measurable).
    """
    d = data._derived()
    m = data.membership[layer]
    k = len(data.layer_codes.get(layer, ())) or int(m.max()) + 1
    key = ("areas", layer)
    if key not in d:
        cols = [d["pop"]]
        names = ["residents"]
        if data.ages is not None:
            ages = data.ages.astype(float)
            cols.append(ages.sum(axis=1))
            names.append("age_total")
            if d["has65"]:
                cols.append(ages[:, d["idx65"]].sum(axis=1))
                names.append("aged_65_plus")
            if d["has75"]:
                cols.append(ages[:, d["idx75"]].sum(axis=1))
                names.append("aged_75_plus")
        if data.imd_decile is not None:
            cols += [d["core_pop"], d["rank_pop"]]
            names += ["core20_residents", "rank_pop"]
        unit_vals = np.column_stack(cols)
        onehot = sp.csr_array((np.ones(len(m)), (m, np.arange(len(m)))), shape=(k, len(m)))
        d[key] = (names, onehot @ unit_vals)
    names, per_area = d[key]
    rows = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
    cols_ = np.concatenate([np.asarray(s, dtype=np.int64) for s in sets]) if len(sets) else np.empty(0, np.int64)
    sel = sp.csr_array((np.ones(len(cols_)), (rows, cols_)), shape=(len(sets), k))
    tot = sel @ per_area
    out = pd.DataFrame(tot, columns=names)
    res = out["residents"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        if "age_total" in out:
            for c in ("aged_65_plus", "aged_75_plus"):
                if c in out:
                    out["share_" + c[5:]] = out[c] / out["age_total"]
        if "core20_residents" in out:
            out["core20_share"] = out["core20_residents"] / res
            out["mean_imd_rank"] = out.pop("rank_pop") / res
            share_area = per_area[:, names.index("core20_residents")] / per_area[:, 0]
            # max - min of the member areas' shares, per set (ragged -> reduceat over the flat list),
            # over the areas holding at least GAP_MIN_PART_SHARE of the set's residents
            sizes = np.array([len(s) for s in sets])
            counted = per_area[cols_, 0] >= GAP_MIN_PART_SHARE * np.repeat(res, sizes)
            vals = np.where(counted, share_area[cols_], np.nan)
            starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
            hi = np.fmax.reduceat(vals, starts) if len(vals) else np.empty(0)
            lo = np.fmin.reduceat(vals, starts) if len(vals) else np.empty(0)
            n_counted = np.add.reduceat(counted.astype(np.int64), starts) if len(vals) else np.empty(0)
            out["core20_gap"] = np.where(n_counted >= 2, hi - lo, np.nan)
    out = out.drop(columns=[c for c in ("age_total",) if c in out])
    for c in ("residents", "aged_65_plus", "aged_75_plus", "core20_residents"):
        if c in out:
            out[c] = np.rint(out[c]).astype(np.int64)
    return out


#: Column labels of :func:`profile_table` (for tables and exports), with the figure each holds.
PROFILE_COLUMNS = {
    "Aged 65+": "aged_65_plus", "65+ share %": "share_65_plus", "Aged 75+": "aged_75_plus",
    "75+ share %": "share_75_plus", "Core20 residents": "core20_residents", "Core20 share %": "core20_share",
    "Mean IMD rank": "mean_imd_rank", "Core20 gap (points)": "core20_gap_points",
}


def profile_table(reports, index: UnitIndex) -> pd.DataFrame:
    """One row per footprint report: ``Footprint`` and the profile columns of :data:`PROFILE_COLUMNS`.

    Shares are percentages (one decimal); a figure that cannot be measured is
    empty.  ``Most / least deprived`` names the constituents behind the gap,
    and ``Profile sources`` the year and source of the figures.
    """
    data = ProfileData.from_index(index)
    rows = []
    for r in reports:
        p = profile_units(data, r.units, constituents=constituent_layer(r.level, data))
        cols = p.columns()
        row = {"Footprint": r.name}
        for label, key in PROFILE_COLUMNS.items():
            v = cols[key]
            if key.startswith("share") or key == "core20_share":
                v = None if v is None else round(100 * v, 1)
            row[label] = v
        row["Most / least deprived"] = (f"{p.most_deprived.name} / {p.least_deprived.name}"
                                        if p.core20_gap is not None else "")
        row["Profile sources"] = f"age: {p.sources['age']}; deprivation: {p.sources['imd']}"
        rows.append(row)
    return pd.DataFrame(rows, columns=["Footprint", *PROFILE_COLUMNS, "Most / least deprived", "Profile sources"])


def locality_need_summary(data: ProfileData, localities: Sequence[np.ndarray], blocks: Sequence[np.ndarray]) -> dict:
    """How localities treat need: their Core20 shares, and how much they mix deprived and other areas.

    Parameters
    ----------
    localities : sequence of unit-id arrays
    blocks : sequence of unit-id arrays
        Building blocks (e.g. MSOAs) that tile the localities.

    Returns
    -------
    dict
        ``shares`` (each locality's Core20 share), ``range`` (max - min),
        ``mixing``: the residents-weighted mean absolute difference between a
        block's Core20 share and its locality's (0 when every locality is
        uniform: deprived areas kept together), and ``split_core20``: Core20
        residents in localities where they are a minority (their need is
        diluted).
    """
    d = data._derived()
    pop, core = d["pop"], d["core_pop"]
    unit_loc = np.full(len(pop), -1)
    for i, u in enumerate(localities):
        unit_loc[u] = i
    k = len(localities)
    lt = np.bincount(unit_loc[unit_loc >= 0], weights=pop[unit_loc >= 0], minlength=k)
    lc = np.bincount(unit_loc[unit_loc >= 0], weights=core[unit_loc >= 0], minlength=k)
    share = lc / np.maximum(lt, 1)
    mix = num = 0.0
    for b in blocks:
        bt = pop[b].sum()
        if bt <= 0:
            continue
        loc = np.bincount(unit_loc[b], weights=pop[b]).argmax()
        mix += bt * abs(core[b].sum() / bt - share[loc])
        num += bt
    return {"shares": share.tolist(), "range": float(share.max() - share.min()) if k else 0.0,
            "mixing": float(mix / num) if num else 0.0,
            "split_core20": int(round(lc[share < 0.5].sum()))}
