r"""Care-flow tables of many footprints or areas at once, from one sparse product.

:func:`containment_table` measures containment of many sets of areas in one
product of a membership matrix with the layer's activity; the footprint,
scenario and layer tables build on it, and :func:`containment_frame` adds the
shapes for a choropleth.  The ``*_table`` functions are
:class:`~spatial.careflows.model.CareFlows`'s methods of the same names.

Notes
-----
With :math:`G` the sets x areas membership matrix, :math:`A` the areas x
trusts activity, :math:`E` the areas x trusts matrix of trusts located in each
area and :math:`C = [G E > 0]` (or the override rows), the tables hold

.. math::

    R = G A, \qquad \text{recorded}_i = \sum_t R_{i,t}, \qquad
    \text{containment}_i = \frac{\sum_t R_{i,t} C_{i,t}}{\text{recorded}_i},

and, when England's populations are known, catchment :math:`C K` and
self-sufficiency :math:`\sum_t R_{i,t} C_{i,t} / (C K)_i` with :math:`K` the
trusts' catchments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..footprints import Footprint, Scenario, resolve_members
from ..geometry import footprint_geometry
from ..index import UnitIndex
from ..thresholds import Thresholds
from .providers import located

if TYPE_CHECKING:  # pragma: no cover
    from .model import CareFlows

__all__ = ["containment_table", "footprints_table", "scenario_table", "layer_table", "trust_table",
           "containment_frame"]


def containment_table(
    model: "CareFlows",
    sets: Sequence[np.ndarray],
    index: UnitIndex,
    *,
    layer: str = "unit",
    core: Sequence[np.ndarray | None] | None = None,
    labels: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Containment of many footprints at once, from the sparse matrix.

    Parameters
    ----------
    sets : sequence of int arrays
        Each footprint as ids of ``layer`` areas (unique within a set).
    index : UnitIndex
    layer : str
        ``"unit"`` (default), ``"msoa"``, ``"borough"``, ``"ccg"`` or ``"stp"``.
    core : sequence, optional
        Per footprint, trust positions of a core-provider override, or
        ``None`` for the default (trusts located inside).
    labels : sequence of str, optional
        Row labels (index of the result).

    Returns
    -------
    pandas.DataFrame
        ``population, recorded, core_activity, containment, n_core,
        unrecorded_share`` and, when England populations are known,
        ``catchment_population, self_sufficiency``.
    """
    a = model.layer_activity(index, layer)
    n_areas = a.shape[0]
    k = len(sets)
    lengths = np.fromiter((len(s) for s in sets), dtype=np.int64, count=k)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = np.concatenate([np.asarray(s, dtype=np.int64) for s in sets]) if k else np.empty(0, np.int64)
    g = sp.csr_array((np.ones(len(indices)), indices, indptr), shape=(k, n_areas))
    r = (g @ a).toarray()
    pops = g @ (index.area_totals(layer) if layer != "unit" else index.population.astype(float))
    # default core: trusts whose headquarters area is in the set
    located_at, unit_of = located(model)
    area_of = index.membership[layer][unit_of] if layer != "unit" else unit_of
    e = sp.csr_array((np.ones(len(located_at)), (area_of, located_at)), shape=(n_areas, model.n_trusts))
    c = (g @ e).toarray() > 0
    if core is not None:
        for i, override in enumerate(core):
            if override is not None:
                c[i] = False
                c[i, np.asarray(override, dtype=np.int64)] = True
    recorded = r.sum(axis=1)
    core_act = (r * c).sum(axis=1)
    safe_rec = np.where(recorded > 0, recorded, 1.0)
    safe_pop = np.where(pops > 0, pops, 1.0)
    cols = {
        "population": pops,
        "recorded": recorded,
        "core_activity": core_act,
        "containment": np.where(recorded > 0, core_act / safe_rec, 0.0),
        "n_core": c.sum(axis=1),
        "unrecorded_share": np.where(pops > 0, 1 - recorded / safe_pop, 0.0),
    }
    catch = model.catchment(index)
    if catch is not None:
        cp = c @ catch
        cols["catchment_population"] = cp
        cols["self_sufficiency"] = np.where(cp > 0, core_act / np.where(cp > 0, cp, 1.0), np.nan)
    return pd.DataFrame(cols, index=list(labels) if labels is not None else None)


def footprints_table(
    model: "CareFlows",
    footprints: Sequence[Footprint],
    index: UnitIndex,
    *,
    units: Sequence[np.ndarray] | None = None,
    labels: Sequence[str] | None = None,
) -> pd.DataFrame:
    """:meth:`containment_table` for footprints (core-provider overrides honoured), in one sparse product.

    Parameters
    ----------
    footprints : sequence of Footprint
    index : UnitIndex
    units : sequence of int arrays, optional
        Unit ids of each footprint when already expanded.
    labels : sequence of str, optional
        Row labels (default the footprint names).

    Raises
    ------
    UnknownTrustError, UnknownCodeError
    """
    if units is None:
        units = [index.expand(fp.members, where=f"footprint {fp.name!r}") for fp in footprints]
    core = [None if fp.core_providers is None
            else model.check_codes(fp.core_providers, where=f"footprint {fp.name!r} core_providers")
            for fp in footprints]
    out = model.containment_table(list(units), index, core=core,
                                  labels=list(labels) if labels is not None else [fp.name for fp in footprints])
    out.insert(0, "level", [fp.level for fp in footprints])
    return out


def scenario_table(model: "CareFlows", scenario: Scenario, index: UnitIndex) -> pd.DataFrame:
    """:meth:`footprints_table` of every footprint of a scenario, indexed by name."""
    model.validate(scenario)
    members = resolve_members(scenario, index)
    return model.footprints_table(scenario.footprints, index, units=[members[n] for n in scenario.names()])


def layer_table(model: "CareFlows", index: UnitIndex, layer: str = "borough") -> pd.DataFrame:
    """Containment of every area of a layer on its own (e.g. each borough), indexed by code."""
    n = len(index.layer_codes[layer])
    out = model.containment_table([np.array([i]) for i in range(n)], index, layer=layer,
                                  labels=list(index.layer_codes[layer]))
    out.insert(0, "name", index.layer_names[layer])
    return out


def trust_table(model: "CareFlows", index: UnitIndex) -> gpd.GeoDataFrame:
    """Trusts with their catchments, as points in EPSG:4326 (for maps).

    Columns: ``code, name, status, has_flows, borough, borough_name,
    london_activity`` (activity from the units' residents), ``catchment``
    (England-wide, NaN when unknown), ``london_share`` and the geometry.
    Trusts without a location are left out.
    """
    london = np.asarray(model.activity(index).sum(axis=0)).ravel()
    catch = model.catchment(index)
    df = model.trusts[["code", "name", "status", "has_flows", "borough", "borough_name", "lon", "lat"]].copy()
    df["london_activity"] = london
    df["catchment"] = catch if catch is not None else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        df["london_share"] = np.where(df["catchment"] > 0, london / df["catchment"], np.nan)
    df = df[df["lon"].notna()].reset_index(drop=True)
    return gpd.GeoDataFrame(df.drop(columns=["lon", "lat"]), geometry=gpd.points_from_xy(df["lon"], df["lat"]),
                            crs=4326)


def containment_frame(
    flows: "CareFlows",
    index: UnitIndex,
    *,
    layer: str | None = "borough",
    scenario: Scenario | None = None,
    thresholds: Thresholds | None = None,
) -> gpd.GeoDataFrame:
    """Containment per area of a layer, or per footprint of a scenario, with shapes (for a choropleth).

    Parameters
    ----------
    flows : CareFlows
    index : UnitIndex
    layer : str, optional
        ``"borough"`` (default), ``"ccg"``, ``"stp"`` or ``"msoa"``; ignored when ``scenario`` is given.
    scenario : Scenario, optional
        Measure its footprints (core-provider overrides honoured).
    thresholds : Thresholds, optional
        ``care_flow_min`` for the ``meets`` column (default: the scenario's, or the defaults).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:27700; ``code, name, level, population, containment, meets`` (containment at least
        ``care_flow_min``), ``n_core, unrecorded_share`` and, when known, ``self_sufficiency,
        catchment_population``.
    """
    if scenario is not None:
        t = thresholds or scenario.thresholds
        table = flows.scenario_table(scenario, index)
        members = resolve_members(scenario, index)
        geoms = [footprint_geometry(index, members[n]) for n in table.index]
        out = table.reset_index(names="name")
        out.insert(0, "code", [f"fp{i}" for i in range(len(out))])
    else:
        t = thresholds or Thresholds()
        table = flows.layer_table(index, layer)
        shapes = index.geo.layer(layer).set_index("code").geometry
        geoms = list(shapes.reindex(table.index).values)
        out = table.reset_index(names="code")
        out.insert(2, "level", layer)
    out["meets"] = out["containment"] >= t.care_flow_min
    return gpd.GeoDataFrame(out, geometry=geoms, crs=27700)
