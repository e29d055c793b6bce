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
  than :data:`SLIVER_M2` are dropped (edges digitised at different
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

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Union

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from boundaries import settings
from boundaries.errors import FootprintsError
from boundaries.files import atomic_write

from .errors import ScenarioError
from .footprints import Scenario, resolve_members
from .geometry import dissolve_groups
from .index import LAYERS, UnitIndex
from .text import percent
from .thresholds import ALL_LEVELS, LEVELS, Thresholds

__all__ = [
    "NAMED_LAYERS",
    "MEASURES",
    "SLIVER_M2",
    "MAJORITY",
    "ASSIGNMENT_NOTE",
    "OverlapError",
    "UnknownLayerError",
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
    "precompute_unit_areas",
    "overlap_table",
    "overlap_summary",
]

#: Named layers an overlap may use, finest first.
NAMED_LAYERS: tuple[str, ...] = LAYERS
_ALIASES = {"units": "unit", "lsoa": "unit", "lsoas": "unit", "msoas": "msoa", "boroughs": "borough",
            "wards": "ward", "la": "borough", "lad": "borough", "ccgs": "ccg", "stps": "stp",
            # today's names (2024 geography: the same slots)
            "icb": "stp", "icbs": "stp", "sicbl": "ccg", "sicbls": "ccg", "sub_icb": "ccg", "sub-icb": "ccg",
            "place": "borough", "places": "borough", "upper_tier": "utla", "upper-tier": "utla", "utlas": "utla",
            "councils": "utla", "county": "utla", "nhs_regions": "nhs_region", "region": "nhs_region"}
#: The two measures.
MEASURES = ("population", "area")
#: Overlaps smaller than this (m²) are slivers between edges digitised at different
#: generalisations (20 m LSOA edges against the GLA borough edges), not real overlaps.
#: A numerical tolerance of the geometry, not a planning threshold.
SLIVER_M2 = 1.0
#: A shape is the union of its units (by the lookup) when its area matches theirs to this relative
#: tolerance (and its extent to :data:`UNIT_BUILT_EXTENT_M`).  The published CCG/STP/MSOA layers match
#: to ~4e-11; the GLA boroughs differ by up to 1.6e-3.  A numerical tolerance, not a planning threshold.
UNIT_BUILT_RTOL = 1e-7
#: Largest difference (m) between the bounding box of a unit-built shape and that of its units
#: (our units went through ``shapely.coverage_clean``, which moves vertices by less than 1 mm).
UNIT_BUILT_EXTENT_M = 0.01
#: Version of the cached ``units x B`` area tables (bump when their computation changes).
_UNIT_AREAS_VERSION = 2
#: "Mostly" means at least half: the definition of a majority, not a tunable threshold.
MAJORITY = 0.5
#: How units are assigned to areas for population overlaps (also in every table's metadata).
ASSIGNMENT_NOTE = ("population overlaps assign each unit (LSOA 2011) to its borough, CCG and STP by the ONS "
                   "'LSOA (2011) to CCG to STP to LAD (April 2018)' lookup, not by point-in-polygon")

LayerSpec = Union[str, Scenario, "OverlapLayer"]


class OverlapError(ScenarioError):
    """An overlap that cannot be computed: an empty layer, a bad level, bad geometry input."""


class UnknownLayerError(OverlapError):
    """A layer name that is neither a named layer nor a scenario.

    Attributes
    ----------
    name : str
        What was asked for.
    suggestions : list of str
        The closest known layer names (and scenario ids when given).
    """

    def __init__(self, name: str, suggestions: list[str], known: Iterable[str], *, where: str | None = None) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        hint = f" (did you mean {', '.join(map(repr, self.suggestions))}?)" if self.suggestions else ""
        super().__init__(f"unknown layer {name!r}{hint}", where=where,
                         fix=f"use one of {', '.join(known)}, or a scenario (.json file)")


@dataclass(frozen=True, eq=False)
class OverlapLayer:
    """One side of an overlap: areas and their units.

    Attributes
    ----------
    label : str
        ``"ccg"`` or ``"scenario 'NEL partnerships' (multi_borough)"``, for titles and metadata.
    kind : {"layer", "footprints"}
    codes : ndarray of str
        Area codes (the footprint names for footprints); position = column of ``matrix``.
    names : ndarray of str
        Area names.
    matrix : scipy.sparse.csc_array
        ``n_units x n_areas``, 1.0 where the unit belongs to the area (footprints may share units).
    layer : str or None
        The named layer, for looking up its published boundary.
    """

    label: str
    kind: str
    codes: np.ndarray
    names: np.ndarray
    matrix: sp.csc_array
    layer: str | None = None

    def __len__(self) -> int:
        return len(self.codes)

    def units_of(self, j: int) -> np.ndarray:
        """Unit ids of area ``j`` (a column of ``matrix``)."""
        m = self.matrix
        return m.indices[m.indptr[j]:m.indptr[j + 1]]


# --- building layers -------------------------------------------------------------------------

def canonical_layer(name: str) -> str | None:
    """The named layer ``name`` means (``"CCGs"`` -> ``"ccg"``, ``"lsoa"`` -> ``"unit"``), or ``None``."""
    key = str(name).strip().casefold()
    key = _ALIASES.get(key, key)
    return key if key in NAMED_LAYERS else None


def layer_name(name: str, *, where: str | None = None, extra: Iterable[str] = ()) -> str:
    """Canonical named layer, or :class:`UnknownLayerError` suggesting the closest of the layers and ``extra``.

    Parameters
    ----------
    name : str
    where : str, optional
        Where the name came from, for the message.
    extra : iterable of str
        Other accepted names (e.g. preloaded scenario ids), offered as suggestions too.
    """
    found = canonical_layer(name)
    if found is not None:
        return found
    extra = list(extra)
    near = difflib.get_close_matches(str(name).strip().casefold(), [*NAMED_LAYERS, *_ALIASES, *extra],
                                     n=3, cutoff=0.6)
    near = list(dict.fromkeys(_ALIASES.get(n, n) for n in near))
    known = [*NAMED_LAYERS] + ([f"a preloaded scenario ({', '.join(extra)})"] if extra else [])
    raise UnknownLayerError(str(name), near, known, where=where)


def overlap_layer(spec: LayerSpec, index: UnitIndex, *, level: str | None = None) -> OverlapLayer:
    """Build one side of an overlap.

    Parameters
    ----------
    spec : str, Scenario or OverlapLayer
        A named layer (``"unit"``, ``"msoa"``, ``"ward"``, ``"borough"``, ``"ccg"``, ``"stp"``; plurals
        accepted) or a scenario whose footprints form the layer.
    index : UnitIndex
    level : str, optional
        Only the footprints of this level (scenarios only).

    Returns
    -------
    OverlapLayer

    Raises
    ------
    UnknownLayerError
        For a name that is no layer (the message suggests the closest).
    OverlapError
        For a layer without areas (e.g. no footprint of ``level``) or a level on a named layer.
    FootprintError, UnknownCodeError
        For footprints without members or with unknown member codes.
    """
    if isinstance(spec, OverlapLayer):
        if level is not None:
            raise OverlapError(f"cannot filter the built layer {spec.label!r} by level",
                               fix="pass the scenario itself with level=")
        return spec
    n = index.n
    if isinstance(spec, Scenario):
        if level is not None and level not in ALL_LEVELS:
            raise OverlapError(f"unknown level {level!r}", where=f"scenario {spec.name!r}",
                               fix=f"use one of {', '.join(ALL_LEVELS)}")
        fps = [fp for fp in spec.footprints if level is None or fp.level == level]
        label = f"scenario {spec.name!r}" + (f" ({level})" if level else "")
        if not fps:
            have = sorted({fp.level for fp in spec.footprints})
            raise OverlapError(
                f"{label} has no footprints" + (f" of level {level}" if level else ""),
                where=f"scenario {spec.name!r}",
                fix=(f"choose a level it has ({', '.join(have)})" if have else "add footprints to the scenario"),
            )
        members = resolve_members(spec, index)
        cols = [members[fp.name] for fp in fps]
        rows = np.concatenate(cols)
        colidx = np.repeat(np.arange(len(fps)), [len(c) for c in cols])
        matrix = sp.csc_array((np.ones(len(rows)), (rows, colidx)), shape=(n, len(fps)))
        names = np.array([fp.name for fp in fps], dtype=object).astype(str)
        return OverlapLayer(label, "footprints", names, names.copy(), matrix)
    if not isinstance(spec, str):
        raise OverlapError(f"a layer must be a layer name or a scenario, not {type(spec).__name__}",
                           fix=f"use one of {', '.join(NAMED_LAYERS)} or a Scenario")
    if level is not None:
        raise OverlapError(f"a level ({level!r}) only applies to scenario footprints, not layer {spec!r}",
                           fix="leave the level out for named layers")
    name = layer_name(spec)
    member = index.membership[name]
    k = len(index.layer_codes[name])
    if k == 0:  # pragma: no cover - a loaded region always has areas
        raise OverlapError(f"layer {name!r} has no areas", fix="check the data")
    matrix = sp.csc_array((np.ones(n), (np.arange(n), member)), shape=(n, k))
    return OverlapLayer(name, "layer", index.layer_codes[name], index.layer_names[name], matrix, layer=name)


def layer_geometries(layer: OverlapLayer, index: UnitIndex, *, source: str = "published") -> gpd.GeoDataFrame:
    """The shapes of a layer's areas: ``code, name, geometry`` in EPSG:27700.

    Parameters
    ----------
    layer : OverlapLayer
    index : UnitIndex
        Its ``geo`` supplies units and boundaries.
    source : {"published", "dissolved"}
        Published boundary where the data has one for a named layer; otherwise
        (footprints, units, ``"dissolved"``) the areas dissolved from their units
        with ``shapely.coverage_union_all``.
    """
    _check_source(source)
    geo = index.geo
    if layer.kind == "layer":
        if layer.layer == "unit":
            frame = geo.units
        elif source == "published" and layer.layer in geo.published:
            frame = geo.layer(layer.layer, "published")
        else:
            frame = geo.layer(layer.layer, "dissolved")
        return gpd.GeoDataFrame({"code": frame["code"].to_numpy(), "name": frame["name"].to_numpy()},
                                geometry=frame.geometry.to_numpy(), crs=frame.crs)
    unit_geoms = geo.units.geometry.to_numpy()
    shapes = dissolve_groups(unit_geoms, (layer.units_of(j) for j in range(len(layer))))
    return gpd.GeoDataFrame({"code": layer.codes, "name": layer.names}, geometry=shapes, crs=geo.units.crs)


def _check_source(source: str) -> None:
    if source not in ("published", "dissolved"):
        raise OverlapError(f"source must be 'published' or 'dissolved', not {source!r}",
                           fix="use source='published' (default) or 'dissolved'")


# --- population (and any unit weight) -------------------------------------------------------

def _shares(overlap: np.ndarray, total: np.ndarray) -> np.ndarray:
    out = np.full(len(overlap), np.nan)
    np.divide(overlap, total, out=out, where=total > 0)
    return out


def weighted_overlap(a: LayerSpec, b: LayerSpec, index: UnitIndex, weights: np.ndarray | None = None, *,
                     value: str = "overlap_population") -> pd.DataFrame:
    """Overlap of two layers weighted by a unit array: ``M_a.T @ diag(w) @ M_b``.

    Parameters
    ----------
    a, b : str, Scenario or OverlapLayer
    index : UnitIndex
    weights : ndarray, optional
        One value per unit (default: the index's population).
    value : str
        Name of the overlap column.

    Returns
    -------
    DataFrame
        ``a_code, a_name, b_code, b_name, shared_units, <value>, share_of_a, share_of_b``:
        one row per pair of areas sharing at least one unit, sorted by A then by
        decreasing overlap.  Shares are of each side's total weight.
    """
    la, lb = overlap_layer(a, index), overlap_layer(b, index)
    w = index.population.astype(float) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (index.n,):
        raise OverlapError(f"weights must have one value per unit ({index.n}), not shape {w.shape}",
                           fix="pass an array aligned with index.codes")
    ma, mb = la.matrix, lb.matrix
    counts = (ma.T @ mb).tocoo()
    weighted = (ma.T @ sp.diags_array(w) @ mb).tocsr()
    ia, ib = (np.asarray(x)[counts.data > 0] for x in counts.coords)
    counts_data = counts.data[counts.data > 0]
    over = np.asarray(weighted[ia, ib], dtype=float).ravel() if len(ia) else np.empty(0)
    order = np.lexsort((ib, -over, ia))  # by A, then decreasing overlap, then B
    ia, ib, over, n_shared = ia[order], ib[order], over[order], counts_data[order]
    tot_a, tot_b = ma.T @ w, mb.T @ w
    table = pd.DataFrame({
        "a_code": la.codes[ia], "a_name": la.names[ia], "b_code": lb.codes[ib], "b_name": lb.names[ib],
        "shared_units": np.rint(n_shared).astype(np.int64), value: over,
        "share_of_a": _shares(over, tot_a[ia]), "share_of_b": _shares(over, tot_b[ib]),
    })
    table.attrs = {"a": la.label, "b": lb.label, "measure": value, "year": int(index.year),
                   "assignment": ASSIGNMENT_NOTE}
    return table


def population_overlap(a: LayerSpec, b: LayerSpec, index: UnitIndex) -> pd.DataFrame:
    """Residents of every pair of overlapping areas of two layers.

    Units are assigned to boroughs, CCGs and STPs by the ONS lookup (each unit
    carries the codes of the ONS LSOA 2011 to CCG/STP/LAD April 2018 lookup),
    not by point-in-polygon; the table's ``attrs["assignment"]`` says so.
    Footprints count every unit they list, so overlapping footprints share units.

    Parameters
    ----------
    a, b : str, Scenario or OverlapLayer
        Named layers (``unit``, ``msoa``, ``borough``, ``ccg``, ``stp``) or scenario
        footprints (use :func:`overlap_layer` to keep one level).
    index : UnitIndex
        Its population year is used (``attrs["year"]``).

    Returns
    -------
    DataFrame
        ``a_code, a_name, b_code, b_name, shared_units, overlap_population,
        share_of_a, share_of_b``; shares are of A's and of B's population.  When
        B is a partition (a named layer) ``share_of_a`` sums to 1 over each A.
    """
    table = weighted_overlap(a, b, index)
    table["overlap_population"] = np.rint(table["overlap_population"]).astype(np.int64)
    return table


# --- area --------------------------------------------------------------------------------------

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


def unit_areas(b_gdf: gpd.GeoDataFrame, index, *, cache: bool = True) -> UnitAreas:
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

    Returns
    -------
    UnitAreas
    """
    index = _index_of(index)
    codes, names, geoms = _prepare_frame(b_gdf, "b_gdf", validate=False)
    return _unit_areas(_Areas.of(codes, names, geoms), index, cache=cache, side="b_gdf")


def _unit_areas_key(b: _Areas, index: UnitIndex) -> str:
    """Fingerprint of the units and of B: the dataset key, the units' areas, B's codes, vertices and ring areas.

    Any change of a vertex of B, of its codes or of the units (which changes their
    areas) gives another key, so a stale table is never read.
    """
    h = hashlib.blake2b(digest_size=12)
    h.update(f"unit-areas-v{_UNIT_AREAS_VERSION};{index.geo.key};{index.n};{len(b.geoms)}".encode())
    h.update(np.ascontiguousarray(index.area).tobytes())
    h.update("\x1f".join(b.codes[b.row_area]).encode())
    h.update(np.ascontiguousarray(shapely.get_coordinates(b.geoms)).tobytes())
    h.update(shapely.get_num_coordinates(b.geoms).astype(np.int64).tobytes())
    h.update(shapely.get_num_geometries(b.geoms).astype(np.int64).tobytes())
    h.update(np.ascontiguousarray(shapely.area(b.geoms)).tobytes())
    return h.hexdigest()


def _unit_areas_path(index: UnitIndex, key: str) -> Path | None:
    if not index.geo.key:
        return None
    folder = settings().processed_dir / f"{index.geo.region}-{index.geo.key}"
    return folder / f"unit_areas_{key}.bin" if folder.is_dir() else None


def _read_unit_areas(path: Path, b: _Areas, index: UnitIndex, key: str) -> UnitAreas | None:
    """The cached table, or None when the file is unreadable, truncated or of another shape.

    Layout (little-endian): int64 ``[version, n_units, n_B, nnz, n_inside, n_cut]``,
    then ``indptr`` (int64, n_units + 1), ``indices`` (int64, nnz), ``data`` (float64, nnz).
    A raw layout rather than ``.npz``: reading it is one ``np.fromfile`` (``np.load`` of
    an npz spends milliseconds parsing headers).
    """
    try:
        raw = np.fromfile(path, dtype="<i8")
    except (OSError, ValueError):
        return None
    n, nb = index.n, len(b)
    if len(raw) < 6 or list(raw[:3]) != [_UNIT_AREAS_VERSION, n, nb]:
        return None
    nnz, n_inside, n_cut = (int(x) for x in raw[3:6])
    if len(raw) != 6 + n + 1 + 2 * nnz:
        return None
    indptr, indices = raw[6:7 + n], raw[7 + n:7 + n + nnz]
    data = raw[7 + n + nnz:].view("<f8")
    if indptr[0] != 0 or indptr[-1] != nnz or (nnz and (indices.min() < 0 or indices.max() >= nb)):
        return None
    matrix = sp.csr_array((data, indices, indptr), shape=(n, nb))
    return UnitAreas(matrix, b.codes, b.names, b.area(), n_inside, n_cut, key, from_cache=True)


def _write_unit_areas(path: Path, table: UnitAreas) -> None:
    """Write the table atomically (temporary file, then ``os.replace``); a failed write leaves no file."""
    m = table.matrix
    head = np.array([_UNIT_AREAS_VERSION, m.shape[0], m.shape[1], m.nnz, table.n_inside, table.n_cut], "<i8")

    def write(f) -> None:
        for part in (head, m.indptr.astype("<i8"), m.indices.astype("<i8"), m.data.astype("<f8")):
            f.write(part.tobytes())

    try:  # a read-only or full cache folder only costs the speed-up
        atomic_write(path, write, binary=True)
    except (OSError, FootprintsError):
        pass


def _unit_areas(b: _Areas, index: UnitIndex, *, cache: bool = True, side: str | None = None) -> UnitAreas:
    """The ``units x B`` table, from the cache when there; ``side`` names B when its validity is still unchecked.

    A table is only written for shapes that were checked valid, and its key covers every
    vertex of B, so a cache hit stands for that check too.
    """
    key = _unit_areas_key(b, index)
    path = _unit_areas_path(index, key) if cache else None
    if path is not None and path.is_file():
        found = _read_unit_areas(path, b, index, key)
        if found is not None:
            return found
    if side is not None:
        _check_valid(b.codes[b.row_area], b.geoms, side)
    units = index.geo.units.geometry.to_numpy()
    rows, n_inside, n_cut = _unit_row_areas(units, index.area, b.geoms)
    table = UnitAreas(sp.csr_array(rows @ b.rows), b.codes, b.names, b.area(), n_inside, n_cut, key)
    if path is not None:
        _write_unit_areas(path, table)
    return table


PRECOMPUTED_MARKER = f"unit_areas_published_v{_UNIT_AREAS_VERSION}.done"
"""File in a dataset's processed cache folder saying :func:`precompute_unit_areas` has run for it."""


def precompute_unit_areas(index) -> list[str]:
    """Compute, once per dataset, the ``units x B`` table of each published layer that is not unit-built.

    The published boundaries are part of the dataset (the cache key covers them), so
    their tables are as much a per-dataset product as the unit adjacency: computing
    them when the dataset's processed cache is first used lets the first
    :func:`area_overlap` of a published layer (e.g. CCG x GLA borough) read its
    table instead of intersecting ~2,600 unit-borough pairs in the call.  Layers
    whose published shapes are unions of whole units (CCGs, STPs, MSOAs in London)
    need no table.  A marker file (:data:`PRECOMPUTED_MARKER`) makes later calls one
    ``stat``; an unwritable cache folder only costs the speed-up.

    Parameters
    ----------
    index : UnitIndex or Engine

    Returns
    -------
    list of str
        The published layers whose tables were computed in this call (empty when
        the marker was there or the dataset has no processed cache folder).
    """
    index = _index_of(index)
    if not index.geo.key:
        return []
    folder = settings().processed_dir / f"{index.geo.region}-{index.geo.key}"
    marker = folder / PRECOMPUTED_MARKER
    if not folder.is_dir() or marker.is_file():
        return []
    done = []
    for name, frame in index.geo.published.items():
        try:
            b = _Areas.of(*_prepare_frame(frame, name, validate=False))
        except OverlapError:
            continue
        if _check_unit_built(b, index).ok or not bool(shapely.is_valid(b.geoms).all()):
            continue
        _unit_areas(b, index, cache=True)
        done.append(name)
    try:
        marker.touch()
    except OSError:
        pass
    return done


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
                 index=None, cache: bool = True) -> pd.DataFrame:
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

    Returns
    -------
    DataFrame
        ``a_code, a_name, b_code, b_name, overlap_area_m2, share_of_a, share_of_b``
        (shares of the area of A and of B), sorted by A then decreasing overlap.

    Raises
    ------
    OverlapError
        For an empty frame, no ``code`` column, no CRS or invalid geometries.
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
            over, method = _unit_overlap(ua, ub, a, b, index, cache=cache, attrs=attrs)
            table = _pair_table(over, a.codes, a.names, a.area(), b.codes, b.names, b.area(), min_area_m2)
            table.attrs = {**attrs, "area_method": method}
            return table
    _check_valid(a.codes[a.row_area], a.geoms, "a_gdf")
    _check_valid(b.codes[b.row_area], b.geoms, "b_gdf")
    table = _geometric_overlap(a, b, min_area_m2)
    table.attrs = {**attrs, "area_method": "geometric intersection (STRtree + shapely)"}
    return table


def _unit_overlap(ua: UnitBuilt, ub: UnitBuilt, a: _Areas, b: _Areas, index: UnitIndex, *, cache: bool,
                  attrs: dict) -> tuple[sp.sparray, str]:
    """``n_A x n_B`` overlap areas when at least one side is unit-built, and the method in words."""
    if ua.ok and ub.ok:
        over = ua.matrix.T @ sp.diags_array(index.area) @ ub.matrix
        return over, "sum of the areas of the units in both (both sides are unions of whole units)"
    if ua.ok:
        table = _unit_areas(b, index, cache=cache, side="b_gdf")
        over, side, other = table.overlaps(ua.matrix), "A", "B"
    else:
        table = _unit_areas(a, index, cache=cache, side="a_gdf")
        over, side, other = table.overlaps(ub.matrix).T, "B", "A"
    attrs.update(unit_pairs_inside=table.n_inside, unit_pairs_cut=table.n_cut,
                 unit_areas="read from the processed cache" if table.from_cache else "computed")
    return over, (f"from units: {side} is a union of whole units, so each overlap is the sum over its units of "
                  f"area(unit ∩ {other}) ({table.n_inside:,} unit-area pairs wholly inside, "
                  f"{table.n_cut:,} intersected)")


def _geometric_overlap(a: _Areas, b: _Areas, min_area_m2: float) -> pd.DataFrame:
    ia, ib = shapely.STRtree(b.geoms).query(a.geoms, predicate="intersects")
    inter = shapely.area(shapely.intersection(a.geoms[ia], b.geoms[ib]))
    keep = inter >= min_area_m2  # slivers between pieces are dropped before pieces of one code are added up
    rows = sp.coo_array((inter[keep], (a.row_area[ia[keep]], b.row_area[ib[keep]])), shape=(len(a), len(b)))
    return _pair_table(rows, a.codes, a.names, a.area(), b.codes, b.names, b.area(), min_area_m2)

# --- both measures -----------------------------------------------------------------------------

def _index_of(engine_or_index) -> UnitIndex:
    if isinstance(engine_or_index, UnitIndex):
        return engine_or_index
    index = getattr(engine_or_index, "index", None)
    if not isinstance(index, UnitIndex):
        raise OverlapError(f"need an Engine or a UnitIndex, not {type(engine_or_index).__name__}",
                           fix="pass spatial.Engine.load() or its .index")
    return index


def _measures(by) -> tuple[str, ...]:
    items = (by,) if isinstance(by, str) else tuple(by)
    items = tuple(("population", "area") if m == "both" else (m,) for m in items)
    flat = tuple(dict.fromkeys(m for group in items for m in group))
    bad = [m for m in flat if m not in MEASURES]
    if bad or not flat:
        raise OverlapError(f"unknown measure(s) {', '.join(map(repr, bad)) or '(none)'}",
                           fix="use by='population', 'area' or both")
    return flat


def overlap_table(a: LayerSpec, b: LayerSpec, engine, *, by=("population", "area"), source: str = "published",
                  min_area_m2: float = SLIVER_M2, cache: bool = True) -> pd.DataFrame:
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

    Returns
    -------
    DataFrame
        ``a_code, a_name, b_code, b_name`` then, for population, ``shared_units,
        overlap_population, share_of_a_pop, share_of_b_pop`` and, for area,
        ``overlap_area_m2, share_of_a_area, share_of_b_area``.  A pair that meets
        one measure but not the other has 0 for the other.  ``attrs`` holds the
        layer labels, year, source, method and the population assignment note.
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
            area = _layer_area_overlap(la, lb, index, source, min_area_m2, cache=cache)
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


def _layer_area_overlap(la: OverlapLayer, lb: OverlapLayer, index: UnitIndex, source: str,
                        min_area_m2: float, *, cache: bool = True) -> pd.DataFrame:
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
        table = _unit_areas(b, index, cache=cache, side=lb.label)
        over = table.overlaps(ma)
    else:
        table = _unit_areas(a, index, cache=cache, side=la.label)
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


def _share_columns(table: pd.DataFrame, by: str) -> tuple[str, str]:
    suffix = {"population": "pop", "area": "area"}[by]
    if f"share_of_a_{suffix}" in table:
        return f"share_of_a_{suffix}", f"share_of_b_{suffix}"
    measure = table.attrs.get("measure")
    wanted = "overlap_population" if by == "population" else "overlap_area_m2"
    if "share_of_a" in table and (measure == wanted or wanted in table):
        return "share_of_a", "share_of_b"
    raise OverlapError(f"the table has no {by} shares", where="overlap table",
                       fix=f"build it with by including {by!r}")


def overlap_summary(table: pd.DataFrame, by: str = "population", coterminous_min: float | None = None) -> pd.DataFrame:
    """One row per area of A: its best-matching area of B and how well they match.

    Parameters
    ----------
    table : DataFrame
        From :func:`overlap_table`, :func:`population_overlap` or :func:`area_overlap`.
        Only A areas present in the table are summarised.
    by : {"population", "area"}
        Which shares to use.
    coterminous_min : float, optional
        Default ``Thresholds().coterminous_min`` (95%, "typically 95%+ coterminous").

    Returns
    -------
    DataFrame
        ``a_code, a_name, b_code, b_name`` (the B area holding the largest share
        of A), ``share_of_a, share_of_b`` for that pair, ``n_overlaps`` (B areas
        with a share of A), ``match`` and ``reason``.  ``match`` is

        * ``coterminous``: both shares at least ``coterminous_min``;
        * ``within``: at least ``coterminous_min`` of A lies in B, but B is larger;
        * ``mostly``: at least half of A (:data:`MAJORITY`) lies in B;
        * ``split``: otherwise.
    """
    if by not in MEASURES:
        raise OverlapError(f"unknown measure {by!r}", fix="use by='population' or 'area'")
    t = Thresholds().coterminous_min if coterminous_min is None else float(coterminous_min)
    if not 0 < t <= 1:
        raise OverlapError(f"coterminous_min must be a share in (0, 1], not {t}", where="coterminous_min",
                           fix="give shares as fractions, e.g. 0.95")
    sa, sb = _share_columns(table, by)
    word, verb = ("residents", "live") if by == "population" else ("area", "lies")
    rows = []
    work = table[table[sa] > 0].sort_values(["a_code", sa, "b_code"], ascending=[True, False, True], kind="stable")
    for a_code, group in work.groupby("a_code", sort=False):
        best = group.iloc[0]
        share_a, share_b = float(best[sa]), float(best[sb])
        a_name, b_name = best["a_name"], best["b_name"]
        if share_a >= t and share_b >= t:
            match = "coterminous"
            reason = (f"{percent(share_a)} of {a_name}'s {word} {verb} in {b_name}, and {percent(share_b)} of "
                      f"{b_name}'s {verb} in {a_name}: coterminous (both at least {percent(t)})")
        elif share_a >= t:
            match = "within"
            reason = (f"{a_name} lies within {b_name} ({percent(share_a)} of its {word}), but is only "
                      f"{percent(share_b)} of {b_name}")
        else:
            others = "; ".join(f"{r.b_name} {percent(getattr(r, sa))}" for r in group.iloc[1:4].itertuples())
            more = f" and {len(group) - 4} more" if len(group) > 4 else ""
            if share_a >= MAJORITY:
                match = "mostly"
                reason = (f"most of {a_name}'s {word} ({percent(share_a)}) {verb} in {b_name}, below {percent(t)} "
                          f"for coterminous; the rest in {others}{more}")
            else:
                match = "split"
                reason = (f"{a_name} is split: no area holds half of its {word} or more "
                          f"({b_name} {percent(share_a)}; {others}{more})")
        rows.append({"a_code": a_code, "a_name": a_name, "b_code": best["b_code"], "b_name": b_name,
                     "share_of_a": share_a, "share_of_b": share_b, "n_overlaps": len(group),
                     "match": match, "reason": reason})
    out = pd.DataFrame(rows, columns=["a_code", "a_name", "b_code", "b_name", "share_of_a", "share_of_b",
                                      "n_overlaps", "match", "reason"])
    order = {c: i for i, c in enumerate(dict.fromkeys(table["a_code"]))}
    out = out.assign(_o=out["a_code"].map(order)).sort_values("_o", ignore_index=True).drop(columns="_o")
    out.attrs = {**table.attrs, "summary_by": by, "coterminous_min": t}
    return out
