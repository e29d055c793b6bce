"""Map-ready geometry: coverage-preserving simplification, WGS84, rounding.

Boundaries are stored and measured in British National Grid (EPSG:27700).
Web maps draw in WGS84 (EPSG:4326).  :func:`to_map_geometry` turns a
coverage of areas (units, boroughs, footprints) into light geometry for
drawing:

1. if the polygons are not a valid coverage (overlaps, slivers, edges that
   do not match), clean them with :func:`shapely.coverage_clean`;
2. simplify the whole coverage at once with :func:`shapely.coverage_simplify`,
   so that neighbours keep sharing exactly the same edge (no gaps, no
   slivers between them);
3. reproject to EPSG:4326 and round coordinates (5 decimals is about 1 m).

Rounding shared vertices gives the same result on both sides of an edge, so
the output is still a valid coverage (the tests check this on the London
LSOAs).  Nothing here measures anything: areas and populations come from the
engine, on the unsimplified EPSG:27700 geometry.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import shapely

from boundaries.geometry import polygonal

__all__ = ["DEFAULT_TOLERANCE_M", "DEFAULT_DECIMALS", "to_map_geometry", "round_coordinates", "surely_overlapping"]

#: Default simplification tolerance in metres.  The London LSOA source is
#: already generalised to 20 m; 25 m removes little that is visible at
#: borough zoom and keeps small central-London units recognisable.
DEFAULT_TOLERANCE_M = 25.0
#: Decimal places kept in EPSG:4326 coordinates (1e-5 degrees is ~1.1 m).
DEFAULT_DECIMALS = 5


def round_coordinates(geoms: np.ndarray, decimals: int = DEFAULT_DECIMALS) -> np.ndarray:
    """Round every coordinate and drop vertices that rounding made repeat.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries
    decimals : int
        Decimal places to keep.

    Returns
    -------
    numpy.ndarray of shapely geometries
        Rounded geometries; any made invalid by rounding are repaired with
        :func:`shapely.make_valid` (keeping polygonal parts only).
    """
    rounded = shapely.transform(np.asarray(geoms), lambda xy: np.round(xy, decimals))
    rounded = shapely.remove_repeated_points(rounded, 0.0)
    bad = ~shapely.is_valid(rounded)
    if bad.any():
        fixed = shapely.make_valid(rounded[bad])
        # make_valid can return collections with slivers of lower dimension
        rounded[bad] = [polygonal(g) for g in fixed]
    return rounded


def _changed_shapes(before: np.ndarray, after: np.ndarray, rel: float = 0.01) -> bool:
    """Whether coverage cleaning changed any polygon's area by more than ``rel``."""
    a0, a1 = shapely.area(before), shapely.area(after)
    return bool((np.abs(a1 - a0) > rel * np.maximum(a0, 1.0)).any())


def surely_overlapping(geoms: np.ndarray, slack: float = 1e-3) -> bool:
    """True when the shapes must overlap: their areas add up to more than the hull they lie in.

    A linear-time test (areas, and the convex hull of the bounding-box
    corners) run before :func:`shapely.coverage_is_valid`, whose cost grows
    with the overlapping edges: 1,000 footprints of two boroughs each took
    over 30 s to validate.  It never says True for a coverage (areas of
    non-overlapping shapes sum to at most the hull's area), so it only ever
    skips work that would have ended in "not a coverage".
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) < 2:
        return False
    corners = shapely.get_coordinates(shapely.envelope(geoms))
    hull = shapely.convex_hull(shapely.multipoints(corners))
    return float(shapely.area(geoms).sum()) > (1 + slack) * float(shapely.area(hull))


def to_map_geometry(
    gdf: gpd.GeoDataFrame,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    *,
    decimals: int = DEFAULT_DECIMALS,
    coverage: bool | None = None,
) -> gpd.GeoDataFrame:
    """Simplify a coverage for drawing and convert it to EPSG:4326.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Polygons in EPSG:27700 (other projected CRSs are reprojected to
        EPSG:27700 first), normally with columns ``code``, ``name`` and
        ``geometry``.  All columns are kept.
    tolerance_m : float
        Simplification tolerance in metres; ``0`` keeps every vertex (the
        coverage is still cleaned and rounded).
    decimals : int
        Decimal places kept in the EPSG:4326 coordinates.
    coverage : bool, optional
        ``True``: treat the polygons as a coverage (clean, then simplify
        together).  ``False``: simplify each polygon on its own (for layers
        whose shapes overlap on purpose, e.g. catchments).  ``None``
        (default): a coverage unless cleaning would change some polygon's
        area by more than 1% -- then the shapes overlap for real and are
        simplified one by one.

    Returns
    -------
    geopandas.GeoDataFrame
        Same rows, index and columns, geometry in EPSG:4326.  Neighbours share
        identical edges: the result is a valid coverage.

    Raises
    ------
    ValueError
        If ``gdf`` has no CRS or holds non-polygonal geometry.
    """
    if gdf.crs is None:
        raise ValueError("the GeoDataFrame has no CRS; boundaries must be in EPSG:27700")
    if gdf.crs.to_epsg() != 27700:
        gdf = gdf.to_crs(27700)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    kinds = set(shapely.get_type_id(geoms).tolist())
    if not kinds <= {3, 6}:  # Polygon, MultiPolygon
        raise ValueError("to_map_geometry draws polygons only; got other geometry types")
    if coverage is None and surely_overlapping(geoms):
        coverage = False  # skip coverage_is_valid/clean: their cost grows with the overlaps (issue 12)
    if coverage is not False and len(geoms) and not shapely.coverage_is_valid(geoms):
        cleaned = shapely.coverage_clean(geoms)
        if coverage is None and _changed_shapes(geoms, cleaned):
            coverage = False  # overlapping shapes, not a coverage with slivers
        else:
            geoms = cleaned
    if tolerance_m > 0 and len(geoms):
        if coverage is False:
            geoms = shapely.simplify(geoms, tolerance_m, preserve_topology=True)
        else:
            geoms = shapely.coverage_simplify(geoms, tolerance_m, simplify_boundary=True)
    lonlat = gpd.GeoSeries(geoms, crs=27700, index=gdf.index).to_crs(4326)
    rounded = round_coordinates(lonlat.values, decimals)
    empty = shapely.is_empty(rounded)
    if empty.any():
        warnings.warn(
            f"{int(empty.sum())} polygon(s) vanished when simplified at {tolerance_m} m; "
            "use a smaller tolerance",
            stacklevel=2,
        )
    name = gdf.geometry.name
    out = gdf.copy()
    out[name] = gpd.GeoSeries(rounded, index=gdf.index, crs=4326)
    return out.set_geometry(name, crs=4326)
