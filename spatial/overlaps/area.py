"""Area overlaps: the area of ``A_i ∩ B_j`` for every pair of areas of two sets of shapes.

Three methods, the same numbers (a table's ``attrs["area_method"]`` says which):

* both sides unit-built (see :mod:`spatial.overlaps.shapes`): the sum of the
  areas of the units in both, ``M_a.T @ diag(area) @ M_b``;
* one side unit-built: ``area(A_i ∩ B_j) = sum(area(u ∩ B_j) for u in A_i)``,
  A's membership times the ``units x B`` table (:mod:`spatial.overlaps.unitareas`,
  kept on disk by :mod:`spatial.overlaps.cache`);
* neither: candidate pairs from ``shapely.STRtree``, intersected with vectorised
  ``shapely.intersection``.

Pairs sharing less than :data:`spatial.limits.SLIVER_M2` are dropped.  The
area share of A in B is ``area(A_i ∩ B_j) / area(A_i)`` (of B: ``/ area(B_j)``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from boundaries import Settings, settings as default_settings

from ..index import UnitIndex
from ..limits import SLIVER_M2
from .cache import _unit_areas
from .layers import OverlapLayer, _index_of, layer_geometries
from .population import _shares
from .shapes import UnitBuilt, _Areas, _check_unit_built, _check_valid, _prepare_frame, _unit_built
from .unitareas import UnitAreas

__all__ = ["area_overlap", "unit_areas"]


def unit_areas(b_gdf: gpd.GeoDataFrame, index, *, cache: bool = True, config: Settings | None = None) -> UnitAreas:
    """The ``units x B`` table of intersection areas, computed once per (units, B).

    For each unit, the areas of B whose bounding box meets it come from
    ``shapely.STRtree``.  A unit that lies wholly inside an area
    (``shapely.contains_properly`` against the prepared polygons) contributes its
    own area, with no intersection: that is about two thirds of the unit-area
    pairs for London's boroughs.  Only units on an edge of B are intersected,
    each with its area of B first cut to the unit's bounding box
    (``shapely.clip_by_rect``), so that GEOS works on a few dozen vertices.

    Parameters
    ----------
    b_gdf : GeoDataFrame
        ``code`` (and optionally ``name``) and polygons, any CRS (projected to EPSG:27700).
    index : UnitIndex or Engine
    cache : bool
        Read and write the table in the processed cache folder of the dataset
        (beside the unit adjacency), keyed by the units and by B's codes and shapes.
    config : Settings, optional
        Whose processed cache folder (default :func:`boundaries.settings`).

    Returns
    -------
    UnitAreas
    """
    index = _index_of(index)
    codes, names, geoms = _prepare_frame(b_gdf, "b_gdf", validate=False)
    return _unit_areas(_Areas.of(codes, names, geoms), index, config or default_settings(), cache=cache,
                       side="b_gdf")


def _pair_table(over: sp.sparray, a_codes: np.ndarray, a_names: np.ndarray, a_area: np.ndarray,
                b_codes: np.ndarray, b_names: np.ndarray, b_area: np.ndarray, min_area_m2: float) -> pd.DataFrame:
    """Long table of an ``n_A x n_B`` overlap matrix: pairs of at least ``min_area_m2``, A then decreasing overlap."""
    coo = sp.coo_array(over)
    coo.sum_duplicates()
    ia, ib = (np.asarray(x) for x in coo.coords)
    keep = coo.data >= min_area_m2
    ia, ib, val = ia[keep], ib[keep], coo.data[keep]
    order = np.lexsort((b_codes[ib], -val, ia))
    ia, ib, val = ia[order], ib[order], val[order]
    return pd.DataFrame({"a_code": a_codes[ia], "a_name": a_names[ia], "b_code": b_codes[ib], "b_name": b_names[ib],
                         "overlap_area_m2": val, "share_of_a": _shares(val, a_area[ia]),
                         "share_of_b": _shares(val, b_area[ib])})


def area_overlap(a_gdf: gpd.GeoDataFrame, b_gdf: gpd.GeoDataFrame, *, min_area_m2: float = SLIVER_M2,
                 index=None, cache: bool = True, config: Settings | None = None) -> pd.DataFrame:
    """Areas of intersection of two sets of shapes.

    Two methods, the same numbers (``attrs["area_method"]`` says which was used):

    * **from units**, when an ``index`` is given and one side is unit-built
      (see :func:`unit_built`: each area's shape has the area and extent of its
      units by the ONS lookup, as the published CCG, STP and MSOA layers do).
      Then ``area(A_i ∩ B_j) = Σ_{u in A_i} area(u ∩ B_j)``: the ``units x B``
      table of :func:`unit_areas` (cached) times A's unit membership.  When both
      sides are unit-built no geometry is needed at all: the overlap is the sum
      of the areas of the units in both.
    * **geometric**, otherwise: candidate pairs from
      ``shapely.STRtree.query(predicate="intersects")``, intersected with
      vectorised ``shapely.intersection``.

    The unit method measures the units, not the published shape of A: our units
    went through ``shapely.coverage_clean``, which moved some vertices by less
    than 1 mm.  For any B, ``|area(A_pub ∩ B) - area(A_units ∩ B)|`` is at most
    ``area(A_pub Δ A_units)``, which is at most 0.0012 m² for every London CCG and
    STP (measured with ``shapely.symmetric_difference``; 3.9e-11 of the CCG's
    area), and that difference is spread along tens of kilometres of boundary, so
    only a tiny part of it falls in any one overlap.  Measured against
    ``geopandas.overlay`` of the published shapes, the largest relative
    difference is 1.9e-10 for CCG x borough (smallest overlap 15 m²), 3.9e-11 for
    STP x borough and 2.7e-10 for footprints x borough: far below the 1e-6 the
    tests and ``bench/bench_overlap.py`` check.  Slivers are dropped after the
    units of an area are added up (the geometric method drops them per piece).

    Speed (``bench/bench_overlap.py``, CCG x borough, 2-core machine): with the
    ``units x B`` table cached, 20-40x faster than ``geopandas.overlay``; when
    the table has to be computed (cold) it is about half as fast as overlay,
    since ~2,600 unit-borough pairs on a borough edge each need a GEOS
    intersection (about 40 µs each even against a rectangle).  The table is
    computed once per (units, B) and reused for every unit-built A: CCGs, STPs,
    MSOAs and scenario footprints; for the published layers of a dataset
    ``Engine.load`` computes it once when the dataset's cache is first used
    (:func:`precompute_unit_areas`), so the first call in a process reads it
    (12x ``geopandas.overlay`` on the first CCG x borough call).

    Areas are measured in EPSG:27700 (other CRSs are projected first).

    Parameters
    ----------
    a_gdf, b_gdf : GeoDataFrame
        ``code`` (and optionally ``name``) and polygon geometry.  Rows sharing a
        code are one area.
    min_area_m2 : float
        Pairs sharing less than this are slivers and dropped (default :data:`SLIVER_M2`).
    index : UnitIndex or Engine, optional
        The units, for the unit method.  Without it the geometric method is used.
    cache : bool
        Keep the ``units x B`` table in the processed cache (see :func:`unit_areas`).
    config : Settings, optional
        Whose processed cache folder (default :func:`boundaries.settings`).

    Returns
    -------
    DataFrame
        ``a_code, a_name, b_code, b_name, overlap_area_m2, share_of_a, share_of_b``
        (shares of the area of A and of B), sorted by A then decreasing overlap.

    Raises
    ------
    OverlapError
        For an empty frame, no ``code`` column, no CRS or invalid geometries.

    Notes
    -----
    The area share of A in B is ``share_of_a = area(A_i ∩ B_j) / area(A_i)`` and
    of B in A ``share_of_b = area(A_i ∩ B_j) / area(B_j)``, where ``area(A_i)`` is
    the summed area of the rows coded ``A_i``.  From units,
    ``area(A_i ∩ B_j) = sum(area(u ∩ B_j) for u in A_i)``.
    """
    a = _Areas.of(*_prepare_frame(a_gdf, "a_gdf", validate=False))
    b = _Areas.of(*_prepare_frame(b_gdf, "b_gdf", validate=False))
    attrs = {"measure": "overlap_area_m2", "sliver_m2": float(min_area_m2)}
    if index is not None:
        index = _index_of(index)
        ua, ub = _check_unit_built(a, index), _check_unit_built(b, index)
        attrs.update(a_unit_built=ua.reason, b_unit_built=ub.reason)
        if ua.ok or ub.ok:
            for built, x, side in ((ua, a, "a_gdf"), (ub, b, "b_gdf")):
                if built.ok:   # the other side is checked only when its units x B table is computed
                    _check_valid(x.codes[x.row_area], x.geoms, side)
            over, method = _unit_overlap(ua, ub, a, b, index, config or default_settings(), cache=cache,
                                         attrs=attrs)
            table = _pair_table(over, a.codes, a.names, a.area(), b.codes, b.names, b.area(), min_area_m2)
            table.attrs = {**attrs, "area_method": method}
            return table
    _check_valid(a.codes[a.row_area], a.geoms, "a_gdf")
    _check_valid(b.codes[b.row_area], b.geoms, "b_gdf")
    table = _geometric_overlap(a, b, min_area_m2)
    table.attrs = {**attrs, "area_method": "geometric intersection (STRtree + shapely)"}
    return table


def _unit_overlap(ua: UnitBuilt, ub: UnitBuilt, a: _Areas, b: _Areas, index: UnitIndex, config: Settings, *,
                  cache: bool, attrs: dict) -> tuple[sp.sparray, str]:
    """``n_A x n_B`` overlap areas when at least one side is unit-built, and the method in words."""
    if ua.ok and ub.ok:
        over = ua.matrix.T @ sp.diags_array(index.area) @ ub.matrix
        return over, "sum of the areas of the units in both (both sides are unions of whole units)"
    if ua.ok:
        table = _unit_areas(b, index, config, cache=cache, side="b_gdf")
        over, side, other = table.overlaps(ua.matrix), "A", "B"
    else:
        table = _unit_areas(a, index, config, cache=cache, side="a_gdf")
        over, side, other = table.overlaps(ub.matrix).T, "B", "A"
    attrs.update(unit_pairs_inside=table.n_inside, unit_pairs_cut=table.n_cut,
                 unit_areas="read from the processed cache" if table.from_cache else "computed")
    return over, (f"from units: {side} is a union of whole units, so each overlap is the sum over its units of "
                  f"area(unit ∩ {other}) ({table.n_inside:,} unit-area pairs wholly inside, "
                  f"{table.n_cut:,} intersected)")


def _geometric_overlap(a: _Areas, b: _Areas, min_area_m2: float) -> pd.DataFrame:
    """Pair table by intersecting the shapes: STRtree candidate pairs, vectorised ``shapely.intersection``."""
    ia, ib = shapely.STRtree(b.geoms).query(a.geoms, predicate="intersects")
    inter = shapely.area(shapely.intersection(a.geoms[ia], b.geoms[ib]))
    keep = inter >= min_area_m2  # slivers between pieces are dropped before pieces of one code are added up
    rows = sp.coo_array((inter[keep], (a.row_area[ia[keep]], b.row_area[ib[keep]])), shape=(len(a), len(b)))
    return _pair_table(rows, a.codes, a.names, a.area(), b.codes, b.names, b.area(), min_area_m2)


def _layer_area_overlap(la: OverlapLayer, lb: OverlapLayer, index: UnitIndex, source: str,
                        min_area_m2: float, config: Settings, *, cache: bool = True) -> pd.DataFrame:
    """Area overlaps of two layers when at least one side has shapes not built from units by construction.

    Each side is either a unit membership (footprints, units, dissolved layers, or
    a published layer found unit-built by :func:`unit_built`) or shapes.  Two
    memberships: sum of the shared units' areas; one: the other side's
    :func:`unit_areas` table; none: geometric intersection.
    """
    sides = []
    for layer in (la, lb):
        if _unit_built(layer, index, source):
            sides.append((layer.matrix, None, layer.codes, layer.names, layer.matrix.T @ index.area,
                          "unions of whole units"))
            continue
        areas = _Areas.of(*_prepare_frame(layer_geometries(layer, index, source=source), layer.label,
                                          validate=False))
        built = _check_unit_built(areas, index)
        sides.append((built.matrix if built.ok else None, areas, areas.codes, areas.names, areas.area(),
                      built.reason))
    (ma, a, a_codes, a_names, a_area, a_why), (mb, b, b_codes, b_names, b_area, b_why) = sides
    attrs = {"a_unit_built": a_why, "b_unit_built": b_why}
    shapes = "published boundaries" if source == "published" else "dissolved shapes"
    if ma is None and mb is None:
        _check_valid(a.codes[a.row_area], a.geoms, la.label)
        _check_valid(b.codes[b.row_area], b.geoms, lb.label)
        over = _geometric_overlap(a, b, min_area_m2)
        over.attrs = {**attrs, "area_method": f"geometric intersection of the {shapes} (shapely STRtree + "
                                              f"intersection)"}
        return over
    if ma is not None and mb is not None:
        over = ma.T @ sp.diags_array(index.area) @ mb
        method = (f"sum of the areas of the units in both (the {shapes} of both sides are unions of whole units)")
    elif ma is not None:
        table = _unit_areas(b, index, config, cache=cache, side=lb.label)
        over = table.overlaps(ma)
    else:
        table = _unit_areas(a, index, config, cache=cache, side=la.label)
        over = table.overlaps(mb).T
    if ma is None or mb is None:
        side, other = ("A", "B") if ma is not None else ("B", "A")
        attrs.update(unit_pairs_inside=table.n_inside, unit_pairs_cut=table.n_cut,
                     unit_areas="read from the processed cache" if table.from_cache else "computed")
        method = (f"from units: {side} is a union of whole units, so each overlap is the sum over its units of "
                  f"area(unit ∩ {other}), {other} being the {shapes} ({table.n_inside:,} unit-area pairs "
                  f"wholly inside, {table.n_cut:,} intersected)")
    out = _pair_table(over, a_codes, a_names, a_area, b_codes, b_names, b_area, min_area_m2)
    out.attrs = {**attrs, "area_method": method}
    return out
