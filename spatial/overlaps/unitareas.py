"""The ``units x B`` table of intersection areas: how much of each unit lies in each area of B.

Notes
-----
``T[u, j] = area(u ∩ B_j)`` in m².  For any layer A made of whole units
(membership ``M_a``) the area overlaps are ``M_a.T @ T``, i.e.
``area(A_i ∩ B_j) = sum(area(u ∩ B_j) for u in A_i)``, whatever A is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import shapely

from ..index import UnitIndex
from .shapes import _Areas

__all__ = ["UnitAreas"]


@dataclass(frozen=True, eq=False)
class UnitAreas:
    """How much of each unit lies in each area of a polygon layer B.

    ``matrix[u, j]`` is ``area(unit u ∩ B_j)`` in m², so for any layer A made of
    whole units (membership ``M_a``, ``n_units x n_A``) the area overlaps are
    ``M_a.T @ matrix``, whatever A is (CCGs, STPs, MSOAs, footprints).

    Attributes
    ----------
    matrix : scipy.sparse.csr_array
        ``n_units x n_B`` areas in m².
    codes, names : ndarray of str
        The areas of B, sorted by code (rows sharing a code are one area).
    area : ndarray of float
        Area of each area of B in m².
    n_inside : int
        Unit-area pairs where the unit lies wholly inside the area (measured without intersecting).
    n_cut : int
        Unit-area pairs intersected geometrically (units on an edge of B).
    key : str
        Fingerprint of the units and of B (the cache key).
    from_cache : bool
        Read from the processed cache rather than computed.
    """

    matrix: sp.csr_array
    codes: np.ndarray
    names: np.ndarray
    area: np.ndarray
    n_inside: int
    n_cut: int
    key: str
    from_cache: bool = False

    def overlaps(self, members: sp.sparray) -> sp.csr_array:
        """``n_A x n_B`` overlap areas of a layer given as ``n_units x n_A`` membership."""
        return sp.csr_array(members.T @ self.matrix)


def _unit_row_areas(units: np.ndarray, unit_area: np.ndarray, shapes: np.ndarray) -> tuple[sp.csr_array, int, int]:
    """``units x shapes`` areas of intersection, with the counts of whole and cut pairs."""
    prepared = ~shapely.is_prepared(shapes)
    shapely.prepare(shapes)
    try:
        iu, ib = shapely.STRtree(shapes).query(units)
        inside = shapely.contains_properly(shapes[ib], units[iu])
        values = np.where(inside, unit_area[iu], 0.0)
        edge = np.flatnonzero(~inside)
        edge = edge[shapely.intersects(shapes[ib[edge]], units[iu[edge]])]
        cu, cb = iu[edge], ib[edge]
        box = shapely.bounds(units[cu])
        pieces = np.array([shapely.clip_by_rect(shapes[j], *bb) for j, bb in zip(cb, box)], dtype=object)
        dirty = ~shapely.is_valid(pieces)   # clip_by_rect may leave collapsed edges: use the whole shape there
        pieces[dirty] = shapes[cb[dirty]]
        values[edge] = shapely.area(shapely.intersection(units[cu], pieces))
    finally:
        shapely.destroy_prepared(shapes[prepared])
    keep = values > 0
    matrix = sp.csr_array((values[keep], (iu[keep], ib[keep])), shape=(len(units), len(shapes)))
    return matrix, int(inside.sum()), len(edge)


def _compute_unit_areas(b: _Areas, index: UnitIndex, key: str) -> UnitAreas:
    """The ``units x B`` table of ``b`` (pieces sharing a code added up), measured now."""
    units = index.geo.units.geometry.to_numpy()
    rows, n_inside, n_cut = _unit_row_areas(units, index.area, b.geoms)
    return UnitAreas(sp.csr_array(rows @ b.rows), b.codes, b.names, b.area(), n_inside, n_cut, key)
