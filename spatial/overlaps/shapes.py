"""The shapes of one side of an area overlap, and whether they are unions of whole units.

A set of shapes is *unit-built* when each area's shape is the union of the
units the ONS lookup puts in it (the published CCGs, STPs and MSOAs of the
London mirror are; the GLA boroughs are not).  For a unit-built side, area
overlaps add up from the units, with no intersection of its shapes.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
import shapely

from ..errors import OverlapError
from ..index import UnitIndex
from ..limits import UNIT_BUILT_EXTENT_M, UNIT_BUILT_RTOL
from .layers import OverlapLayer, _index_of

__all__ = ["UnitBuilt", "unit_built"]


def _prepare_frame(frame: gpd.GeoDataFrame, side: str, *,
                   validate: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes, names and EPSG:27700 geometries of a frame (checked valid unless ``validate=False``)."""
    if not isinstance(frame, gpd.GeoDataFrame):
        raise OverlapError(f"{side} must be a GeoDataFrame, not {type(frame).__name__}", where=side,
                           fix="pass a GeoDataFrame with code and geometry columns")
    if len(frame) == 0:
        raise OverlapError(f"{side} has no areas", where=side, fix="pass a layer with at least one area")
    if "code" not in frame:
        raise OverlapError(f"{side} has no 'code' column", where=side,
                           fix="name each area in a 'code' column")
    if frame.crs is None:
        raise OverlapError(f"{side} has no coordinate reference system", where=side,
                           fix="set its CRS (EPSG:27700 for British National Grid) with set_crs")
    if frame.crs.to_epsg() != 27700:
        frame = frame.to_crs(27700)
    codes = frame["code"].astype(str).to_numpy()
    names = frame["name"].astype(str).to_numpy() if "name" in frame else codes
    geoms = frame.geometry.to_numpy()
    if validate:
        _check_valid(codes, geoms, side)
    return codes, names, geoms


def _check_valid(codes: np.ndarray, geoms: np.ndarray, side: str) -> None:
    """Raise :class:`OverlapError` naming the missing or invalid geometries of ``side``."""
    bad = shapely.is_missing(geoms) | ~shapely.is_valid(geoms)
    if bad.any():
        raise OverlapError(f"{side} has {int(bad.sum())} missing or invalid geometries: "
                           f"{', '.join(np.asarray(codes)[bad][:5])}", where=side, fix="repair them with make_valid")


@dataclass(frozen=True)
class _Areas:
    """The areas of one side: unique codes (sorted), names, and each row's area id."""

    codes: np.ndarray
    names: np.ndarray
    row_area: np.ndarray
    geoms: np.ndarray

    @classmethod
    def of(cls, codes: np.ndarray, names: np.ndarray, geoms: np.ndarray) -> "_Areas":
        keys, first, inv = np.unique(codes, return_index=True, return_inverse=True)
        return cls(keys, names[first], inv.ravel(), geoms)

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def rows(self) -> sp.csr_array:
        """``rows x areas`` indicator (rows sharing a code are one area)."""
        n = len(self.row_area)
        return sp.csr_array((np.ones(n), (np.arange(n), self.row_area)), shape=(n, len(self)))

    def area(self) -> np.ndarray:
        """Area of each area in m² (sum over its rows)."""
        return np.bincount(self.row_area, weights=shapely.area(self.geoms), minlength=len(self))


@dataclass(frozen=True, eq=False)
class UnitBuilt:
    """Whether each area of a set of shapes is the union of its units (by the ONS lookup).

    Attributes
    ----------
    ok : bool
        True when every area's shape has the area and the extent of its member units.
    layer : str or None
        The layer of the index whose codes the areas carry (``None`` when none matches).
    codes, names : ndarray of str
        The areas, sorted by code.
    matrix : scipy.sparse.csc_array or None
        ``n_units x n_areas`` membership (1.0 where the lookup puts the unit in the area), when ``ok``.
    worst_rel : float
        Largest relative difference between an area's shape and the sum of its units' areas.
    reason : str
        Why the areas are, or are not, unit-built (names the worst area).
    """

    ok: bool
    layer: str | None
    codes: np.ndarray
    names: np.ndarray
    matrix: sp.csc_array | None
    worst_rel: float
    reason: str


def _unit_built(layer: OverlapLayer, index: UnitIndex, source: str) -> bool:
    """True when the layer's shapes are unions of whole units by construction (so areas add up from units)."""
    return layer.kind == "footprints" or layer.layer == "unit" or source == "dissolved" \
        or layer.layer not in index.geo.published


def unit_built(frame: gpd.GeoDataFrame, index, *, rtol: float = UNIT_BUILT_RTOL,
               extent_m: float = UNIT_BUILT_EXTENT_M) -> UnitBuilt:
    """Check whether the areas of ``frame`` are unions of whole units of ``index``.

    An area is *unit-built* when its codes are the codes of one layer of the index
    (``unit``, ``msoa``, ``borough``, ``ccg`` or ``stp``) and its shape has the
    area (to ``rtol`` relative) and the extent (bounding box, to ``extent_m``) of
    the units the ONS lookup puts in it.  The published CCG, STP and MSOA layers of
    the London mirror pass (they were dissolved from the same 2011 LSOAs; the worst
    area differs by about 4e-11 relative); the GLA borough boundaries do not (they
    are digitised separately: up to 0.16% of a borough's area differs).

    Parameters
    ----------
    frame : GeoDataFrame
        ``code`` (and optionally ``name``) and polygons; rows sharing a code are one area.
    index : UnitIndex or Engine
    rtol : float
        Largest relative difference of area allowed (:data:`UNIT_BUILT_RTOL`).
    extent_m : float
        Largest difference of any side of the bounding box, in metres (:data:`UNIT_BUILT_EXTENT_M`).

    Returns
    -------
    UnitBuilt

    Notes
    -----
    Area ``A_i`` with member units ``U_i`` (by the lookup) is unit-built when
    ``|area(A_i) - sum(area(u) for u in U_i)| / sum(area(u) for u in U_i) <= rtol``
    and every side of ``bounds(A_i)`` is within ``extent_m`` of the same side of
    the bounds of ``U_i``.  The frame is unit-built when all its areas are.
    """
    index = _index_of(index)
    codes, names, geoms = _prepare_frame(frame, "frame")
    return _check_unit_built(_Areas.of(codes, names, geoms), index, rtol=rtol, extent_m=extent_m)


def _positions(known: np.ndarray, codes: np.ndarray) -> np.ndarray | None:
    """Position of each of ``codes`` in ``known``, or None when any is missing (binary search, no pandas Index)."""
    known = np.asarray(known, dtype=str)
    codes = np.asarray(codes, dtype=str)
    if len(codes) > len(known) or not (known == codes[0]).any():
        return None
    sorter = None if bool((known[:-1] <= known[1:]).all()) else np.argsort(known, kind="stable")
    at = np.minimum(np.searchsorted(known, codes, sorter=sorter), len(known) - 1)
    pos = at if sorter is None else sorter[at]
    return pos if bool((known[pos] == codes).all()) else None


def _check_unit_built(areas: _Areas, index: UnitIndex, *, rtol: float = UNIT_BUILT_RTOL,
                      extent_m: float = UNIT_BUILT_EXTENT_M) -> UnitBuilt:
    """The :class:`UnitBuilt` verdict for ``areas`` (see :func:`unit_built`): codes, area, then extent."""

    def no(reason: str, layer: str | None = None, worst: float = np.inf) -> UnitBuilt:
        return UnitBuilt(False, layer, areas.codes, areas.names, None, worst, reason)

    layer, pos = None, None
    for name in index.layers:
        found = _positions(index.layer_codes[name], areas.codes)
        if found is not None:
            layer, pos = name, found
            break
    if layer is None:
        return no("its codes are not the codes of one layer of units (" + ", ".join(index.layers) + ")")
    unit_area = index.area_totals(layer, index.area)[pos]
    shape_area = areas.area()
    rel = np.abs(shape_area - unit_area) / np.maximum(unit_area, np.finfo(float).tiny)
    worst = int(np.argmax(rel))
    if rel[worst] > rtol:
        return no(f"the shape of {areas.codes[worst]} ({areas.names[worst]}) differs in area from its "
                  f"{layer} units by {rel[worst]:.2e} relative (more than {rtol:g})", layer, float(rel[worst]))
    member = index.membership[layer]
    ub = shapely.bounds(index.geo.units.geometry.to_numpy())
    unit_box = np.empty((len(index.layer_codes[layer]), 4))
    for k, fn in enumerate((np.minimum, np.minimum, np.maximum, np.maximum)):
        unit_box[:, k] = np.inf if k < 2 else -np.inf
        fn.at(unit_box[:, k], member, ub[:, k])
    shape_box = np.empty((len(areas), 4))
    gb = shapely.bounds(areas.geoms)
    for k, fn in enumerate((np.minimum, np.minimum, np.maximum, np.maximum)):
        shape_box[:, k] = np.inf if k < 2 else -np.inf
        fn.at(shape_box[:, k], areas.row_area, gb[:, k])
    off = np.abs(shape_box - unit_box[pos]).max(axis=1)
    far = int(np.argmax(off))
    if off[far] > extent_m:
        return no(f"the extent of {areas.codes[far]} ({areas.names[far]}) differs from its {layer} units' by "
                  f"{off[far]:.3f} m (more than {extent_m:g} m)", layer, float(rel.max()))
    col = np.full(len(index.layer_codes[layer]), -1)
    col[pos] = np.arange(len(areas))
    unit_col = col[member]
    keep = np.flatnonzero(unit_col >= 0)
    matrix = sp.csc_array((np.ones(len(keep)), (keep, unit_col[keep])), shape=(index.n, len(areas)))
    return UnitBuilt(True, layer, areas.codes, areas.names, matrix, float(rel.max()),
                     f"every area has the area (largest difference {rel.max():.1e} relative) and the extent of "
                     f"its {layer} units")
