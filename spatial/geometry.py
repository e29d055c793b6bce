"""Shapes of footprints and areas, built from their units (EPSG:27700).

The one dissolve lives in :mod:`boundaries.geometry` (the data layer builds
areas' shapes with it, and ``boundaries`` may not import ``spatial``); this
module re-exports it and builds footprints' shapes from an index.
"""

from __future__ import annotations

import numpy as np
import shapely

from boundaries.geometry import dissolve, dissolve_groups, polygonal

from .index import UnitIndex

__all__ = ["dissolve", "dissolve_groups", "polygonal", "footprint_geometry"]


def footprint_geometry(index: UnitIndex, units: np.ndarray) -> shapely.Geometry:
    """Dissolved shape of a set of units (EPSG:27700), by coverage union (see :func:`dissolve`)."""
    return dissolve(index.geo.units.geometry.values, units)
