"""boundaries.geometry / spatial.geometry: the one dissolve, on the real London units."""

from __future__ import annotations

import numpy as np
import shapely

from boundaries.geometry import dissolve, dissolve_groups, polygonal
from spatial.geometry import footprint_geometry


def test_dissolve_matches_a_general_union_on_real_boroughs(geo):
    units = geo.units
    geoms = units.geometry.to_numpy()
    for borough in ("E09000021", "E09000027", "E09000024"):  # Kingston, Richmond, Merton
        members = np.flatnonzero(units["borough"].to_numpy() == borough)
        ours, naive = dissolve(geoms, members), shapely.union_all(geoms[members])
        assert ours.geom_type in ("Polygon", "MultiPolygon")
        assert abs(ours.area - naive.area) < 1e-6 * naive.area
        assert shapely.symmetric_difference(ours, naive).area < 1.0  # m2, EPSG:27700
        published = geo.layer("borough").set_index("code").geometry[borough]
        assert abs(ours.area - published.area) < 1e-6 * published.area


def test_dissolve_groups_and_empty(geo):
    geoms = geo.units.geometry.to_numpy()
    a, b, empty = dissolve_groups(geoms, [np.arange(3), np.arange(3, 5), np.array([], dtype=int)])
    assert a.equals(shapely.union_all(geoms[:3])) and b.equals(shapely.union_all(geoms[3:5]))
    assert empty.is_empty


def test_footprint_geometry_uses_the_index_units(index):
    ids = index.expand(("E09000021",))
    expected = index.area[ids].sum()  # the units' areas (m2) as read, summed
    assert abs(footprint_geometry(index, ids).area - expected) < 1e-6 * expected


def test_polygonal_drops_stray_lines_and_points():
    square = shapely.box(0, 0, 1, 1)
    mixed = shapely.GeometryCollection([square, shapely.LineString([(2, 2), (3, 3)]), shapely.Point(5, 5)])
    assert polygonal(mixed).equals(square)
    assert polygonal(shapely.LineString([(0, 0), (1, 1)])).is_empty
    assert polygonal(square) is square
