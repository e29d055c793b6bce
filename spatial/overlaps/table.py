"""The public entry: one long table of every overlapping pair of two layers, by population and by area.

See :mod:`spatial.overlaps` for the column names and the methods.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from boundaries import Settings, settings as default_settings

from ..limits import SLIVER_M2
from .area import _layer_area_overlap
from .layers import ASSIGNMENT_NOTE, LayerSpec, _check_source, _index_of, _measures, overlap_layer
from .population import population_overlap, weighted_overlap
from .shapes import _unit_built

__all__ = ["overlap_table"]


def overlap_table(a: LayerSpec, b: LayerSpec, engine, *, by=("population", "area"), source: str = "published",
                  min_area_m2: float = SLIVER_M2, cache: bool = True, config: Settings | None = None) -> pd.DataFrame:
    """One long table of every overlapping pair of areas, by population and by area.

    Parameters
    ----------
    a, b : str, Scenario or OverlapLayer
        Named layers or scenario footprints (see :func:`overlap_layer`).
    engine : Engine or UnitIndex
        Supplies the units, their population year and the boundaries.
    by : str or sequence of {"population", "area"}
        The measures (``"both"`` for both).
    source : {"published", "dissolved"}
        Shapes used for the area measure: published boundaries where the data has
        them (default), or the areas dissolved from units.  When both sides are
        unit-built the area overlap is the sum of the shared units' areas (exact,
        and what a geometric intersection of the dissolved shapes gives).
    min_area_m2 : float
        Sliver tolerance of the geometric intersection (:data:`SLIVER_M2`).
    cache : bool
        Keep the ``units x B`` area tables in the processed cache (see :func:`unit_areas`).
    config : Settings, optional
        Whose processed cache folder holds those tables (default :func:`boundaries.settings`).

    Returns
    -------
    DataFrame
        ``a_code, a_name, b_code, b_name`` then, for population, ``shared_units,
        overlap_population, share_of_a_pop, share_of_b_pop`` and, for area,
        ``overlap_area_m2, share_of_a_area, share_of_b_area``.  A pair that meets
        one measure but not the other has 0 for the other.  ``attrs`` holds the
        layer labels, year, source, method and the population assignment note.

    Notes
    -----
    ``share_of_a_pop = pop(A ∩ B) / pop(A)`` (:func:`population_overlap`) and
    ``share_of_a_area = area(A ∩ B) / area(A)`` (:func:`area_overlap`); the
    ``share_of_b_*`` columns divide by B's totals instead.
    """
    index = _index_of(engine)
    measures = _measures(by)
    _check_source(source)
    la, lb = overlap_layer(a, index), overlap_layer(b, index)
    key = ["a_code", "b_code"]
    parts: list[pd.DataFrame] = []
    attrs = {"a": la.label, "b": lb.label, "by": list(measures), "year": int(index.year), "source": source}
    if "population" in measures:
        pop = population_overlap(la, lb, index).rename(
            columns={"share_of_a": "share_of_a_pop", "share_of_b": "share_of_b_pop"})
        parts.append(pop)
        attrs["assignment"] = ASSIGNMENT_NOTE
    if "area" in measures:
        if _unit_built(la, index, source) and _unit_built(lb, index, source):
            area = weighted_overlap(la, lb, index, index.area, value="overlap_area_m2")
            area = area[area["overlap_area_m2"] >= min_area_m2].drop(columns="shared_units")
            attrs["area_method"] = "sum of the areas of the units in both (both sides are unions of whole units)"
        else:
            area = _layer_area_overlap(la, lb, index, source, min_area_m2, config or default_settings(), cache=cache)
            attrs.update({k: v for k, v in area.attrs.items() if k not in ("measure", "sliver_m2")})
        attrs["sliver_m2"] = float(min_area_m2)
        parts.append(area.rename(columns={"share_of_a": "share_of_a_area", "share_of_b": "share_of_b_area"}))
    table = parts[0]
    if len(parts) == 2:
        table = parts[0].merge(parts[1], on=key, how="outer", suffixes=("", "_area"), sort=False)
        for side in ("a_name", "b_name"):
            table[side] = table[side].fillna(table.pop(f"{side}_area"))
        fill = {c: 0 for c in ("shared_units", "overlap_population", "share_of_a_pop", "share_of_b_pop",
                               "overlap_area_m2", "share_of_a_area", "share_of_b_area")}
        table = table.fillna(fill)
        table["shared_units"] = table["shared_units"].astype(np.int64)
        table["overlap_population"] = table["overlap_population"].astype(np.int64)
    order = {c: i for i, c in enumerate(la.codes)}
    first = "overlap_population" if "population" in measures else "overlap_area_m2"
    table = table.assign(_a=table["a_code"].map(order).fillna(len(order))).sort_values(
        ["_a", "a_code", first, "b_code"], ascending=[True, True, False, True], ignore_index=True).drop(columns="_a")
    cols = ["a_code", "a_name", "b_code", "b_name"]
    if "population" in measures:
        cols += ["shared_units", "overlap_population", "share_of_a_pop", "share_of_b_pop"]
    if "area" in measures:
        cols += ["overlap_area_m2", "share_of_a_area", "share_of_b_area"]
    table = table[cols]
    table.attrs = attrs
    return table
