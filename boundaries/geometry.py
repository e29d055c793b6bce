"""Geometry helpers shared by every layer: the one dissolve and the polygon filter.

The data layer builds each area's shape from its units and the engine builds
each footprint's, so the dissolve lives here, at the bottom of the import
order (``spatial.geometry`` re-exports it).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import shapely

__all__ = ["dissolve", "dissolve_groups", "polygonal"]


def dissolve(geoms: np.ndarray, members: Iterable[int] | np.ndarray | None = None) -> shapely.Geometry:
    """One shape from polygons that tile without overlapping (a coverage).

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries
        The units' polygons (a valid coverage: edges shared exactly, no overlaps).
    members : array of int, optional
        Positions in ``geoms`` to dissolve (all of them when omitted).

    Returns
    -------
    shapely.Geometry
        Their union; an empty polygon for no members.

    Notes
    -----
    Uses :func:`shapely.coverage_union_all` (GEOS ``CoverageUnion``), which
    only removes the shared edges of a coverage and is an order of magnitude
    faster than a general :func:`shapely.union_all`. The result is the same
    for a valid coverage, which every unit layer Footprints reads is (the
    readers repair and check them).
    """
    geoms = np.asarray(geoms)
    if members is not None:
        geoms = geoms[np.asarray(members, dtype=np.intp)]
    if len(geoms) == 0:
        return shapely.Polygon()
    return shapely.coverage_union_all(geoms)


def dissolve_groups(geoms: np.ndarray, groups: Iterable[np.ndarray]) -> list[shapely.Geometry]:
    """:func:`dissolve` for each group of positions, in order."""
    geoms = np.asarray(geoms)
    return [dissolve(geoms, g) for g in groups]


def polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of ``geom`` (repairs and overlays can leave stray lines and points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()
