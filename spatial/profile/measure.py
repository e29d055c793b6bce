"""Measuring a footprint's profile from unit arrays: residents by age and by deprivation.

Notes
-----
With :math:`p_u` the residents of unit :math:`u` and :math:`d_u` its national
IMD decile, the Core20 share of a set of units :math:`U` is

.. math:: s(U) = \\frac{\\sum_{u \\in U} p_u [d_u \\le 2]}{\\sum_{u \\in U} p_u}

and the Core20 gap of a footprint is :math:`\\max_c s(U_c) - \\min_c s(U_c)` over
its constituents :math:`c` holding at least ``GAP_MIN_PART_SHARE`` of its residents.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..thresholds import GAP_MIN_PART_SHARE, canonical_level
from .data import ProfileData
from .model import Constituent, Profile

__all__ = ["profile_units", "constituent_layer", "area_core20_shares"]


def constituent_layer(level: str, data: ProfileData) -> str:
    """Default constituent layer of a footprint level: boroughs (places) above a borough, else wards (or MSOAs).

    2024 levels take their 2018 counterpart's layer (an ICB or ICB cluster: its places).
    """
    if canonical_level(level) in ("multi_borough", "stp", "icb_cluster") and "borough" in data.membership:
        return "borough"
    for layer in ("ward", "msoa", "unit"):
        if layer in data.membership:
            return layer
    return "unit"


def profile_units(
    data: ProfileData,
    units: np.ndarray,
    *,
    constituents: str | Mapping[str, np.ndarray] = "borough",
) -> Profile:
    """The profile of a set of units.

    Parameters
    ----------
    data : ProfileData
    units : ndarray of int
        Unit ids (no repeats).
    constituents : str or mapping
        A layer name (areas are the parts of that layer's areas inside the
        footprint), or name -> unit ids of each constituent (e.g. localities).

    Returns
    -------
    Profile

    Notes
    -----
    With :math:`p_u` the residents of unit :math:`u`, :math:`d_u` its decile and
    :math:`r_u` its rank, over the footprint's units :math:`U`:

    .. math:: \\text{Core20 share} = \\frac{\\sum_{u \\in U} p_u [d_u \\le 2]}{\\sum_{u \\in U} p_u},
              \\qquad \\bar r = \\frac{\\sum_{u \\in U} p_u r_u}{\\sum_{u \\in U} p_u}

    and the gap is :math:`\\max_c s_c - \\min_c s_c` over the constituents'
    Core20 shares :math:`s_c` (constituents with residents only).
    """
    units = np.asarray(units, dtype=np.int64)
    d = data._derived()
    pop = d["pop"]
    residents = int(data.population[units].sum())
    notes: list[str] = []
    sources = {
        "residents": data.population_source or f"ONS mid-{data.population_year} population estimates",
        "age": f"{data.age_source}, {data.age_year}" if data.ages is not None else "not available",
        "imd": f"{data.imd_label} (MHCLG), residents "
               f"{'Census 2021' if data.population_source.startswith('Census 2021') else f'mid-{data.population_year}'}"
        if data.imd_decile is not None else "not available",
    }
    # ages
    bands: dict[str, int] = {}
    a65 = a75 = None
    s65 = s75 = None
    age_total = 0
    if data.ages is not None:
        sums = data.ages[units].sum(axis=0)
        bands = {label: int(n) for (label, _, _), n in zip(data.age_bands, sums)}
        age_total = int(sums.sum())
        if d["has65"]:
            a65 = int(sums[d["idx65"]].sum())
            s65 = a65 / age_total if age_total else 0.0
        else:
            notes.append("65+ not measurable: the age bands do not start a band at 65")
        if d["has75"]:
            a75 = int(sums[d["idx75"]].sum())
            s75 = a75 / age_total if age_total else 0.0
        else:
            notes.append(f"75+ not measurable: {data.age_source} has no band starting at 75 (65+ only)")
    else:
        notes.append(f"age not measurable: {data.missing.get('age', 'no age data')}")
    # deprivation
    deciles = (0,) * 10
    quint = (0,) * 5
    core = 0
    core_share = mean_rank = gap = None
    parts: list[Constituent] = []
    layer_name = constituents if isinstance(constituents, str) else "locality"
    if data.imd_decile is not None:
        w = pop[units]
        dec = np.bincount(d["dec0"][units], weights=w, minlength=10)
        deci = np.rint(dec).astype(np.int64)
        deciles = tuple(deci.tolist())
        quint = tuple((deci[0::2] + deci[1::2]).tolist())
        core = int(deci[0] + deci[1])
        if residents:
            core_share = core / residents
            mean_rank = float(np.dot(w, data.imd_rank[units]) / residents)
        parts = _constituents(data, units, constituents, d, residents)
        counted = [c for c in parts if c.counted]
        if len(counted) >= 2:
            gap = counted[0].core20_share - counted[-1].core20_share
    else:
        notes.append(f"deprivation not measurable: {data.missing.get('imd', 'no IMD data')}")
    return Profile(
        residents=residents, population_year=data.population_year, age_bands=bands, age_residents=age_total,
        aged_65_plus=a65, share_65_plus=s65, aged_75_plus=a75, share_75_plus=s75,
        imd_deciles=deciles, imd_quintiles=quint, core20_residents=core, core20_share=core_share,
        mean_imd_rank=mean_rank, constituent_layer=layer_name, constituents=tuple(parts), core20_gap=gap,
        notes=tuple(notes), sources=sources, constituent_word=data.layer_words.get(layer_name, ""),
    )


def _constituents(data: ProfileData, units: np.ndarray, constituents, d, residents: int) -> list[Constituent]:
    pop, core_pop = d["pop"], d["core_pop"]
    floor = GAP_MIN_PART_SHARE * residents
    out: list[Constituent] = []
    if isinstance(constituents, str):
        m = data.membership[constituents][units]
        k = len(data.layer_codes.get(constituents, ())) or int(m.max()) + 1
        tot = np.bincount(m, weights=pop[units], minlength=k)
        cor = np.bincount(m, weights=core_pop[units], minlength=k)
        ids = (tot > 0).nonzero()[0].tolist()
        tot, cor = tot.tolist(), cor.tolist()
        codes = data.layer_codes.get(constituents)
        names = data.layer_names.get(constituents)
        for i in ids:
            code = str(codes[i]) if codes is not None else str(i)
            name = str(names[i]) if names is not None else code
            out.append(Constituent(code, name, int(tot[i]), int(round(cor[i])), cor[i] / tot[i], tot[i] >= floor))
    else:
        for name, ids in constituents.items():
            ids = np.asarray(ids, dtype=np.int64)
            t = float(pop[ids].sum())
            if t > 0:
                c = float(core_pop[ids].sum())
                out.append(Constituent(str(name), str(name), int(t), int(round(c)), c / t, t >= floor))
    out.sort(key=lambda c: (-c.core20_share, c.name))
    return out


def area_core20_shares(data: ProfileData, layer: str) -> np.ndarray:
    """Core20 share of every area of ``layer`` (NaN for an area without residents)."""
    d = data._derived()
    m = data.membership[layer]
    k = len(data.layer_codes.get(layer, ())) or int(m.max()) + 1
    tot = np.bincount(m, weights=d["pop"], minlength=k)
    core = np.bincount(m, weights=d["core_pop"], minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return core / tot
