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
  without a published boundary are dissolved from their units.  Candidate
  pairs come from ``shapely.STRtree.query(predicate="intersects")`` and are
  intersected with vectorised ``shapely.intersection``; pairs sharing less
  than :data:`SLIVER_M2` are dropped (edges digitised at different
  generalisations leave thin slivers between neighbours).  When both sides are
  built from whole units (``source="dissolved"``, footprints, units) the
  intersection is exactly the union of the shared units, so the area overlap
  is the sum of their areas (the same sparse product with unit areas).

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
from dataclasses import dataclass
from typing import Iterable, Union

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from .errors import ScenarioError
from .footprints import Scenario, resolve_members
from .index import LAYERS, UnitIndex
from .thresholds import LEVELS, Thresholds

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
    "overlap_table",
    "overlap_summary",
]

#: Named layers an overlap may use, finest first.
NAMED_LAYERS: tuple[str, ...] = LAYERS
_ALIASES = {"units": "unit", "lsoa": "unit", "lsoas": "unit", "msoas": "msoa", "boroughs": "borough",
            "la": "borough", "lad": "borough", "ccgs": "ccg", "stps": "stp"}
#: The two measures.
MEASURES = ("population", "area")
#: Overlaps smaller than this (m²) are slivers between edges digitised at different
#: generalisations (20 m LSOA edges against the GLA borough edges), not real overlaps.
#: A numerical tolerance of the geometry, not a planning threshold.
SLIVER_M2 = 1.0
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
        A named layer (``"unit"``, ``"msoa"``, ``"borough"``, ``"ccg"``, ``"stp"``; plurals
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
        if level is not None and level not in LEVELS:
            raise OverlapError(f"unknown level {level!r}", where=f"scenario {spec.name!r}",
                               fix=f"use one of {', '.join(LEVELS)}")
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
    shapes = [shapely.coverage_union_all(unit_geoms[layer.units_of(j)]) for j in range(len(layer))]
    return gpd.GeoDataFrame({"code": layer.codes, "name": layer.names}, geometry=shapes, crs=geo.units.crs)


def _check_source(source: str) -> None:
    if source not in ("published", "dissolved"):
        raise OverlapError(f"source must be 'published' or 'dissolved', not {source!r}",
                           fix="use source='published' (default) or 'dissolved'")


def _unit_built(layer: OverlapLayer, index: UnitIndex, source: str) -> bool:
    """True when the layer's shapes are unions of whole units (so areas add up from units)."""
    return layer.kind == "footprints" or layer.layer == "unit" or source == "dissolved" \
        or layer.layer not in index.geo.published


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

def _prepare_frame(frame: gpd.GeoDataFrame, side: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    bad = shapely.is_missing(geoms) | ~shapely.is_valid(geoms)
    if bad.any():
        raise OverlapError(f"{side} has {int(bad.sum())} missing or invalid geometries: "
                           f"{', '.join(codes[bad][:5])}", where=side, fix="repair them with make_valid")
    return codes, names, geoms


def area_overlap(a_gdf: gpd.GeoDataFrame, b_gdf: gpd.GeoDataFrame, *, min_area_m2: float = SLIVER_M2) -> pd.DataFrame:
    """Areas of intersection of two sets of shapes.

    Candidate pairs come from ``shapely.STRtree.query(predicate="intersects")``;
    they are intersected with vectorised ``shapely.intersection`` and measured
    with ``shapely.area`` in EPSG:27700 (other CRSs are projected first).

    Parameters
    ----------
    a_gdf, b_gdf : GeoDataFrame
        ``code`` (and optionally ``name``) and polygon geometry.  Rows sharing a
        code are one area.
    min_area_m2 : float
        Pairs sharing less than this are slivers and dropped (default :data:`SLIVER_M2`).

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
    a_codes, a_names, a_geoms = _prepare_frame(a_gdf, "a_gdf")
    b_codes, b_names, b_geoms = _prepare_frame(b_gdf, "b_gdf")
    ia, ib = shapely.STRtree(b_geoms).query(a_geoms, predicate="intersects")
    inter = shapely.area(shapely.intersection(a_geoms[ia], b_geoms[ib]))
    keep = inter >= min_area_m2
    ia, ib, inter = ia[keep], ib[keep], inter[keep]
    a_area = pd.Series(shapely.area(a_geoms)).groupby(a_codes).sum()
    b_area = pd.Series(shapely.area(b_geoms)).groupby(b_codes).sum()
    table = pd.DataFrame({"a_code": a_codes[ia], "a_name": a_names[ia], "b_code": b_codes[ib],
                          "b_name": b_names[ib], "overlap_area_m2": inter})
    if table.duplicated(["a_code", "b_code"]).any():
        table = table.groupby(["a_code", "b_code"], as_index=False, sort=False).agg(
            a_name=("a_name", "first"), b_name=("b_name", "first"), overlap_area_m2=("overlap_area_m2", "sum"))
        table = table[["a_code", "a_name", "b_code", "b_name", "overlap_area_m2"]]
    over = table["overlap_area_m2"].to_numpy()
    table["share_of_a"] = _shares(over, a_area.loc[table["a_code"]].to_numpy())
    table["share_of_b"] = _shares(over, b_area.loc[table["b_code"]].to_numpy())
    order = pd.Series(np.arange(len(a_area)), index=a_area.index)  # codes sorted
    table = table.assign(_a=order.loc[table["a_code"]].to_numpy()).sort_values(
        ["_a", "overlap_area_m2", "b_code"], ascending=[True, False, True], ignore_index=True).drop(columns="_a")
    table.attrs = {"measure": "overlap_area_m2", "area_method": "geometric intersection (STRtree + shapely)",
                   "sliver_m2": float(min_area_m2)}
    return table


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
                  min_area_m2: float = SLIVER_M2) -> pd.DataFrame:
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
            area = area_overlap(layer_geometries(la, index, source=source),
                                layer_geometries(lb, index, source=source), min_area_m2=min_area_m2)
            attrs["area_method"] = ("geometric intersection of the "
                                    + ("published boundaries" if source == "published" else "dissolved shapes")
                                    + " (shapely STRtree + intersection); footprints dissolved from units")
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


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


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
            reason = (f"{_pct(share_a)} of {a_name}'s {word} {verb} in {b_name}, and {_pct(share_b)} of "
                      f"{b_name}'s {verb} in {a_name}: coterminous (both at least {_pct(t)})")
        elif share_a >= t:
            match = "within"
            reason = (f"{a_name} lies within {b_name} ({_pct(share_a)} of its {word}), but is only "
                      f"{_pct(share_b)} of {b_name}")
        else:
            others = "; ".join(f"{r.b_name} {_pct(getattr(r, sa))}" for r in group.iloc[1:4].itertuples())
            more = f" and {len(group) - 4} more" if len(group) > 4 else ""
            if share_a >= MAJORITY:
                match = "mostly"
                reason = (f"most of {a_name}'s {word} ({_pct(share_a)}) {verb} in {b_name}, below {_pct(t)} "
                          f"for coterminous; the rest in {others}{more}")
            else:
                match = "split"
                reason = (f"{a_name} is split: no area holds half of its {word} or more "
                          f"({b_name} {_pct(share_a)}; {others}{more})")
        rows.append({"a_code": a_code, "a_name": a_name, "b_code": best["b_code"], "b_name": b_name,
                     "share_of_a": share_a, "share_of_b": share_b, "n_overlaps": len(group),
                     "match": match, "reason": reason})
    out = pd.DataFrame(rows, columns=["a_code", "a_name", "b_code", "b_name", "share_of_a", "share_of_b",
                                      "n_overlaps", "match", "reason"])
    order = {c: i for i, c in enumerate(dict.fromkeys(table["a_code"]))}
    out = out.assign(_o=out["a_code"].map(order)).sort_values("_o", ignore_index=True).drop(columns="_o")
    out.attrs = {**table.attrs, "summary_by": by, "coterminous_min": t}
    return out
