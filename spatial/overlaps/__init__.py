"""Overlaps between any two layers, by population and by area.

A *layer* here is either a named boundary layer (``unit``, ``msoa``,
``borough``, ``ccg``, ``stp``) or the footprints of a scenario (optionally of
one level; footprints may overlap each other).  Each layer is held as a sparse
``units x areas`` membership matrix, so the population overlap of any two
layers is one sparse product, ``M_a.T @ diag(pop) @ M_b``.

Two measures, two methods:

* **population**: units are assigned to areas by the ONS lookup (each LSOA
  carries the borough, CCG and STP codes of the ONS "LSOA (2011) to CCG to STP
  (April 2018)" lookup), *not* by point-in-polygon.  Published and dissolved
  boundaries therefore give the same population overlaps.
* **area**: intersections of the real shapes.  Published boundaries are used
  where the data has them (``source="published"``); footprints and layers
  without a published boundary are unions of their units.  Pairs sharing less
  than :data:`~spatial.limits.SLIVER_M2` are dropped (edges digitised at different
  generalisations leave thin slivers between neighbours).  Three methods, the
  same numbers (the table's ``attrs["area_method"]`` says which):

  - both sides built from whole units (``source="dissolved"``, footprints,
    units, and published layers found *unit-built* by :func:`unit_built`,
    such as the published CCGs and STPs): the intersection is the union of the
    shared units, so the area overlap is the sum of their areas (the same
    sparse product with unit areas);
  - one side unit-built: ``area(A_i ∩ B_j) = Σ_{u in A_i} area(u ∩ B_j)``, a
    sparse product of A's membership with the ``units x B`` area table of
    :func:`unit_areas` (computed once, kept in the processed cache);
  - neither: candidate pairs from ``shapely.STRtree.query(predicate=
    "intersects")``, intersected with vectorised ``shapely.intersection``.

Modules (each imports only those above it)::

    layers       named layers and scenario footprints as unit memberships (OverlapLayer)
    population   population (or any unit weight) overlaps: M_a.T @ diag(w) @ M_b
    shapes       one side's shapes, and whether they are unions of whole units (unit_built)
    unitareas    the units x B table of intersection areas (UnitAreas)
    cache        those tables kept on disk in the processed cache (precompute_unit_areas)
    area         area overlaps (area_overlap, unit_areas)
    table        overlap_table: both measures in one long table
    summary      one classification of pairs (match_class) for overlap_summary and overlap_pieces

Column names of :func:`overlap_table` (shares are fractions in [0, 1])::

    a_code, a_name, b_code, b_name      the two areas (footprint name as code)
    shared_units                        units in both (by the ONS lookup)
    overlap_population                  residents in both (index population year)
    share_of_a_pop, share_of_b_pop      overlap_population / population of A (of B)
    overlap_area_m2                     area of A ∩ B in m² (EPSG:27700)
    share_of_a_area, share_of_b_area    overlap_area_m2 / area of A (of B)

Examples
--------
>>> from spatial import Engine
>>> from spatial.overlaps import overlap_table, overlap_summary
>>> engine = Engine.load()                                    # doctest: +SKIP
>>> table = overlap_table("ccg", "borough", engine)           # doctest: +SKIP
>>> overlap_summary(table, "population").query("match != 'coterminous'")  # doctest: +SKIP
"""

from ..errors import OverlapError, UnknownLayerError
from ..limits import MAJORITY, SLIVER_M2, UNIT_BUILT_EXTENT_M, UNIT_BUILT_RTOL
from .area import area_overlap, unit_areas
from .cache import PRECOMPUTED_MARKER, precompute_unit_areas
from .layers import (ASSIGNMENT_NOTE, MEASURES, NAMED_LAYERS, LayerSpec, OverlapLayer, canonical_layer,
                     layer_geometries, layer_name, overlap_layer)
from .population import population_overlap, weighted_overlap
from .shapes import UnitBuilt, unit_built
from .summary import MATCHES, PIECE_KINDS, match_class, overlap_pieces, overlap_summary
from .table import overlap_table
from .unitareas import UnitAreas

__all__ = [
    "NAMED_LAYERS",
    "MEASURES",
    "SLIVER_M2",
    "MAJORITY",
    "ASSIGNMENT_NOTE",
    "OverlapError",
    "UnknownLayerError",
    "LayerSpec",
    "OverlapLayer",
    "canonical_layer",
    "layer_name",
    "overlap_layer",
    "layer_geometries",
    "weighted_overlap",
    "population_overlap",
    "area_overlap",
    "UNIT_BUILT_RTOL",
    "UNIT_BUILT_EXTENT_M",
    "UnitBuilt",
    "unit_built",
    "UnitAreas",
    "unit_areas",
    "PRECOMPUTED_MARKER",
    "precompute_unit_areas",
    "overlap_table",
    "overlap_summary",
    "MATCHES",
    "match_class",
    "PIECE_KINDS",
    "overlap_pieces",
]
