"""The two sides of an overlap: named layers and scenario footprints as unit memberships.

A *layer* is either a named boundary layer (``unit``, ``msoa``, ``ward``,
``borough``, ``ccg``, ``stp``; the 2024 names too) or the footprints of a
scenario (optionally of one level; footprints may overlap each other).  Each is
held as a sparse ``units x areas`` membership matrix ``M`` (1 where the unit is
in the area), so any unit weight ``w`` adds up to the areas as ``M.T @ w``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable, Union

import geopandas as gpd
import numpy as np
import scipy.sparse as sp

from ..errors import OverlapError, UnknownLayerError
from ..footprints import Scenario, resolve_members
from ..geometry import dissolve_groups
from ..index import LAYERS, UnitIndex
from ..thresholds import ALL_LEVELS

__all__ = ["NAMED_LAYERS", "MEASURES", "ASSIGNMENT_NOTE", "LayerSpec", "OverlapLayer", "canonical_layer",
           "layer_name", "overlap_layer", "layer_geometries"]

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
#: How units are assigned to areas for population overlaps (also in every table's metadata).
ASSIGNMENT_NOTE = ("population overlaps assign each unit (LSOA 2011) to its borough, CCG and STP by the ONS "
                   "'LSOA (2011) to CCG to STP to LAD (April 2018)' lookup, not by point-in-polygon")

LayerSpec = Union[str, Scenario, "OverlapLayer"]


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
    """Raise :class:`OverlapError` unless ``source`` is ``"published"`` or ``"dissolved"``."""
    if source not in ("published", "dissolved"):
        raise OverlapError(f"source must be 'published' or 'dissolved', not {source!r}",
                           fix="use source='published' (default) or 'dissolved'")


def _index_of(engine_or_index) -> UnitIndex:
    """The :class:`UnitIndex` of an Engine (or the index itself); :class:`OverlapError` for anything else."""
    if isinstance(engine_or_index, UnitIndex):
        return engine_or_index
    index = getattr(engine_or_index, "index", None)
    if not isinstance(index, UnitIndex):
        raise OverlapError(f"need an Engine or a UnitIndex, not {type(engine_or_index).__name__}",
                           fix="pass spatial.Engine.load() or its .index")
    return index


def _measures(by) -> tuple[str, ...]:
    """The measures ``by`` names (``"both"`` is both), in order and once each; :class:`OverlapError` if unknown."""
    items = (by,) if isinstance(by, str) else tuple(by)
    items = tuple(("population", "area") if m == "both" else (m,) for m in items)
    flat = tuple(dict.fromkeys(m for group in items for m in group))
    bad = [m for m in flat if m not in MEASURES]
    if bad or not flat:
        raise OverlapError(f"unknown measure(s) {', '.join(map(repr, bad)) or '(none)'}",
                           fix="use by='population', 'area' or both")
    return flat
