"""Precomputed unit arrays: built once per dataset, used by every check.

A tally after one click is then an array update, not a geometry operation.
"""

from __future__ import annotations

import difflib
import re
import warnings
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
import scipy.sparse as sp


from boundaries import Geographies, Settings, settings
from boundaries.files import atomic_write

from .errors import UnknownCodeError

from .text import fold_lookalikes

__all__ = ["UnitIndex", "LAYERS", "normalise_code", "unit_adjacency", "cached_adjacency"]

#: Layers a member code may name, finest first.
LAYERS = ("unit", "msoa", "ward", "borough", "utla", "ccg", "stp", "nhs_region")
_CODE_RE = re.compile(r"^[A-Za-z]\d{8}$")


def normalise_code(text: str) -> str:
    """Strip white space and upper-case what looks like a GSS code (``' e09000021 '`` -> ``'E09000021'``)."""
    t = str(text).strip().strip("\ufeff")
    return t.upper() if _CODE_RE.match(t) else t


@dataclass(eq=False)
class UnitIndex:
    """Unit table as arrays, unit adjacency and unit -> area membership.

    Attributes
    ----------
    geo : Geographies
        The tables the index was built from.
    codes : ndarray of str
        Unit codes, in table order (position = unit id).
    population : ndarray of int64
        Population of the selected year.
    area : ndarray of float
        Unit areas in m².
    membership : dict
        Layer name -> int array, the area id of each unit in that layer.
    layer_codes : dict
        Layer name -> array of area codes (area id = position).
    layer_names : dict
        Layer name -> array of area names.
    adjacency : scipy.sparse.csr_array
        Rook (shared edge) contiguity of the units, symmetric, boolean.
    """

    geo: Geographies
    codes: np.ndarray
    population: np.ndarray
    area: np.ndarray
    membership: dict[str, np.ndarray]
    layer_codes: dict[str, np.ndarray]
    layer_names: dict[str, np.ndarray]
    adjacency: sp.csr_array
    _lookup: dict[str, tuple[str, int]] = field(repr=False, default_factory=dict)
    _ambiguous: dict[str, list[tuple[str, int]]] = field(repr=False, default_factory=dict)
    _members: dict[str, list[np.ndarray]] = field(repr=False, default_factory=dict)

    @classmethod
    def from_geographies(cls, geo: Geographies, adjacency: sp.csr_array | None = None) -> "UnitIndex":
        """Build the index (≈1 s for London: most of it is the contiguity graph).

        Parameters
        ----------
        geo : Geographies
        adjacency : sparse array, optional
            Reuse a precomputed unit adjacency (e.g. when only the year changed).
        """
        units = geo.units
        n = len(units)
        codes = units["code"].to_numpy().astype(str)
        membership = {"unit": np.arange(n)}
        layer_codes = {"unit": codes}
        layer_names = {"unit": units["name"].to_numpy().astype(str)}
        for layer in (name for name in LAYERS[1:] if name in units):  # a region may lack a layer (wards)
            keys, inv = np.unique(units[layer].to_numpy().astype(str), return_inverse=True)
            membership[layer] = inv.astype(np.int64)
            layer_codes[layer] = keys
            names = units.groupby(layer)[f"{layer}_name"].first()
            layer_names[layer] = names.loc[keys].to_numpy().astype(str)
        if adjacency is None:
            adjacency = cached_adjacency(geo)
        idx = cls(geo, codes, units["population"].to_numpy(np.int64), units["area_m2"].to_numpy(float),
                  membership, layer_codes, layer_names, adjacency)
        idx._build_lookup()
        return idx

    def with_year(self, year: int) -> "UnitIndex":
        """Index for another population year, sharing the adjacency."""
        return UnitIndex.from_geographies(self.geo.with_year(year), adjacency=self.adjacency)

    @property
    def layers(self) -> tuple[str, ...]:
        """Layers this index has, finest first (a subset of :data:`LAYERS`)."""
        return tuple(layer for layer in LAYERS if layer in self.membership)

    def _build_lookup(self) -> None:
        lookup: dict[str, tuple[str, int]] = {}
        ambiguous: dict[str, list[tuple[str, int]]] = {}
        for layer in reversed(self.layers):
            if layer != "unit":
                seen: dict[str, list[int]] = {}
                for i, name in enumerate(self.layer_names[layer]):
                    seen.setdefault(name.casefold(), []).append(i)
                for key, ids in seen.items():
                    if key in lookup:  # a higher layer holds the name (it was there first)
                        continue
                    if len(ids) == 1:
                        lookup[key] = (layer, ids[0])
                    else:  # e.g. "Village": three wards; a name that means several areas means none
                        ambiguous[key] = [(layer, i) for i in ids]
            for i, code in enumerate(self.layer_codes[layer]):
                lookup[code] = (layer, i)
        # NHS codes (ICB "QMF", sub-ICB "A3A8R"; stable across the 2022->2024 E-code changes) as aliases
        units = self.geo.units
        for layer in ("stp", "ccg"):
            col = f"{layer}_nhs"
            if col in units and layer in self.membership:
                pairs = dict(zip(units[col].astype(str), self.membership[layer]))
                for nhs, area in pairs.items():
                    lookup.setdefault(nhs.upper(), (layer, int(area)))
                    lookup.setdefault(nhs.casefold(), (layer, int(area)))
        self._lookup = lookup
        self._ambiguous = {k: v for k, v in ambiguous.items() if k not in lookup}
        self._members = {}
        for layer in self.layers[1:]:
            m = self.membership[layer]
            order = np.argsort(m, kind="stable")
            bounds = np.searchsorted(m[order], np.arange(len(self.layer_codes[layer]) + 1))
            self._members[layer] = [order[bounds[i]:bounds[i + 1]] for i in range(len(bounds) - 1)]

    # --- lookups ---------------------------------------------------------------------------

    @property
    def n(self) -> int:
        """Number of units."""
        return len(self.codes)

    @property
    def year(self) -> int:
        """Population year."""
        return self.geo.year

    def resolve(self, member: str) -> tuple[str, int] | None:
        """``(layer, area id)`` of a member code or name, or ``None`` if unknown."""
        key = normalise_code(member)
        return self._lookup.get(key) or self._lookup.get(key.casefold())

    def kind_of(self, member: str) -> str | None:
        """Layer a member code belongs to (``"unit"``, ``"msoa"``, ``"ward"``, ``"borough"``, ``"ccg"``, ``"stp"``)."""
        found = self.resolve(member)
        return found[0] if found else None

    def units_of(self, layer: str, area: int) -> np.ndarray:
        """Unit ids of one area of ``layer``."""
        if layer == "unit":
            return np.array([area])
        return self._members[layer][area]

    def suggest(self, member: str, n: int = 3) -> list[str]:
        """Closest known codes or names to an unknown member (every area a shared name means)."""
        key = normalise_code(member)
        folded, found = fold_lookalikes(key)
        if found and normalise_code(folded) in self._lookup:
            real = self._display(normalise_code(folded))
            code = real.split(" ")[0]
            return [f"{real}: {key!r} looks like {code} but contains {', '.join(found)}"]
        if key.casefold() in self._ambiguous:
            return [self._describe(layer, i) for layer, i in self._ambiguous[key.casefold()]]
        pool = list(self._lookup) if not _CODE_RE.match(key) else [
            c for c in self._lookup if c[:3] == key[:3]] or list(self._lookup)
        near = difflib.get_close_matches(key if _CODE_RE.match(key) else key.casefold(), pool, n=n, cutoff=0.6)
        return [self._display(k) for k in near]

    def _display(self, key: str) -> str:
        layer, i = self._lookup[key]
        code = self.layer_codes[layer][i]
        return code if key == code else self._describe(layer, i)

    def _describe(self, layer: str, i: int) -> str:
        """``"E05000554 (Village, Southwark)"``: code and name, and for a ward its borough (ward names repeat)."""
        code, name = self.layer_codes[layer][i], self.layer_names[layer][i]
        if layer != "ward" or "borough" not in self.membership:
            return f"{code} ({name})"
        borough = self.layer_names["borough"][self.membership["borough"][self._members[layer][i][0]]]
        return f"{code} ({name}, {borough})"

    def expand(self, members: Iterable[str], *, where: str | None = None) -> np.ndarray:
        """Unit ids of a mixed list of unit, MSOA, ward, borough, CCG or STP codes (or names).

        A name several areas share (ward names such as "Village") is not
        taken as any of them: it is reported with each area's code.

        Raises
        ------
        UnknownCodeError
            Listing every unknown member with the closest known codes.
        """
        parts: list[np.ndarray] = []
        unknown: dict[str, list[str]] = {}
        for member in members:
            found = self.resolve(member)
            if found is None:
                unknown[str(member)] = self.suggest(str(member))
                continue
            parts.append(self.units_of(*found))
        if unknown:
            from .geography import vintage_error  # codes of the other geography get their own message

            other = vintage_error(list(unknown), getattr(self.geo, "geography", "2018"), where=where)
            raise other or UnknownCodeError(list(unknown), unknown, where=where)
        if not parts:
            return np.empty(0, dtype=np.int64)
        return np.unique(np.concatenate(parts))

    def mask(self, units: np.ndarray) -> np.ndarray:
        """Boolean mask over all units from unit ids."""
        m = np.zeros(self.n, dtype=bool)
        m[units] = True
        return m

    def area_counts(self, layer: str, units: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Per-area sum of ``weights`` (default: population) over ``units``, for ``layer``."""
        w = self.population if weights is None else weights
        return np.bincount(self.membership[layer][units], weights=w[units],
                           minlength=len(self.layer_codes[layer]))

    def area_totals(self, layer: str, weights: np.ndarray | None = None) -> np.ndarray:
        """Per-area totals of ``weights`` (default population) for every area of ``layer``."""
        w = self.population if weights is None else weights
        return np.bincount(self.membership[layer], weights=w, minlength=len(self.layer_codes[layer]))


def cached_adjacency(geo: Geographies, config: Settings | None = None) -> sp.csr_array:
    """Unit adjacency, read from the processed cache folder of ``geo`` when there.

    The graph depends only on the unit geometry, which the cache key covers, so
    it is stored beside the GeoParquet tables (written atomically).
    """
    config = config or settings()
    folder = config.processed_dir / f"{geo.region}-{geo.key}"
    path = folder / "adjacency_rook.npz"
    if geo.key and path.is_file():
        try:
            adj = sp.load_npz(path)
            if adj.shape == (len(geo.units), len(geo.units)):
                return sp.csr_array(adj, dtype=bool)
        except (OSError, ValueError):
            pass
    adj = unit_adjacency(geo)
    if geo.key and folder.is_dir():
        try:  # a read-only or full cache folder only costs the speed-up
            atomic_write(path, lambda f: sp.save_npz(f, sp.csr_matrix(adj)), binary=True)
        except OSError:
            pass
    return adj


def unit_adjacency(geo: Geographies) -> sp.csr_array:
    """Rook contiguity (a shared edge, not a single point) of the units, via libpysal."""
    from libpysal.graph import Graph

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = Graph.build_contiguity(geo.units.reset_index(drop=True), rook=True, strict=False)
    adj = sp.csr_array(graph.sparse, dtype=bool)
    adj = (adj + adj.T).astype(bool)
    adj.setdiag(False)
    adj.eliminate_zeros()
    return sp.csr_array(adj)
