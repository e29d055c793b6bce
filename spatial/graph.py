"""Areas as a graph: contiguity, connected pieces and every connected set of ``k`` areas.

What the proposals (:mod:`spatial.proposals`) are built on, and what works on
*any* set of areas with an adjacency and a population, not only London's
boroughs: :class:`AreaGraph` (areas as arrays with their contiguity),
:func:`components` (connected pieces), :func:`connected_subsets` (every
connected set of ``k`` areas, each exactly once) and :func:`bell_number`
(how many ways a set splits into groups, for the exact partition search).

Examples
--------
>>> g = AreaGraph.grid(3, 3)
>>> {k: len(s) for k, s in connected_subsets(g.adjacency, 4, min_size=2).items()}
{2: 12, 3: 22, 4: 36}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .errors import ProposalError

__all__ = ["Progress", "AreaGraph", "components", "connected_subsets", "bell_number"]

#: ``progress(fraction done in [0, 1], message)``, as in :meth:`spatial.api.Engine.load`.
Progress = Callable[[float, str], None]


# --- areas as a graph ------------------------------------------------------------------------

def _as_adjacency(adjacency: Any, n: int | None = None) -> sp.csr_array:
    """Symmetric boolean CSR adjacency without self-loops (``n x n`` when ``n`` is given).

    Raises
    ------
    ProposalError
        A matrix that is not square, or not over ``n`` areas.
    """
    adj = sp.csr_array(adjacency, dtype=bool)
    if adj.shape[0] != adj.shape[1] or (n is not None and adj.shape[0] != n):
        raise ProposalError(f"adjacency has shape {adj.shape}, expected a square matrix over {n} areas",
                            where="adjacency", fix="give an n x n adjacency matrix, n = number of areas")
    adj = sp.csr_array((adj + adj.T).astype(bool))
    adj.setdiag(False)
    adj.eliminate_zeros()
    adj.sort_indices()
    return adj


@dataclass(frozen=True, eq=False)
class AreaGraph:
    """A set of areas as arrays: codes, names, population, contiguity and shape figures.

    Everything in :mod:`spatial.proposals` works on this, so the same code
    serves London's 33 boroughs, its 983 MSOAs, 4,835 LSOAs or a synthetic grid.

    Attributes
    ----------
    codes, names : ndarray of str
    population : ndarray of int64
    adjacency : scipy.sparse.csr_array
        Symmetric boolean contiguity, no self-loops.
    group : ndarray of int, optional
        Id of a containing area for each area (e.g. the STP of a borough, the
        borough of an MSOA); ``group_codes``/``group_names`` name the ids.
    area : ndarray of float, optional
        Area in m² (for compactness).
    perimeter : ndarray of float, optional
        Perimeter in m (for compactness).
    shared : scipy.sparse.csr_array, optional
        Length of the boundary each pair of areas shares, in m.
    coords : ndarray (n, 2), optional
        Centroids in metres (EPSG:27700), used by the locality method.
    """

    codes: np.ndarray
    names: np.ndarray
    population: np.ndarray
    adjacency: sp.csr_array
    group: np.ndarray | None = None
    group_codes: np.ndarray | None = None
    group_names: np.ndarray | None = None
    area: np.ndarray | None = None
    perimeter: np.ndarray | None = None
    shared: sp.csr_array | None = None
    coords: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.codes)
        object.__setattr__(self, "codes", np.asarray(self.codes).astype(str))
        object.__setattr__(self, "names", np.asarray(self.names).astype(str))
        pop = np.asarray(self.population)
        if pop.shape != (n,) or not np.all(np.isfinite(pop)) or (pop < 0).any():
            raise ProposalError(f"population must be {n} finite numbers of 0 or more", where="population",
                                fix="give one population figure per area")
        object.__setattr__(self, "population", pop.astype(np.int64))
        object.__setattr__(self, "adjacency", _as_adjacency(self.adjacency, n))
        if self.shared is not None:
            object.__setattr__(self, "shared", sp.csr_array(self.shared, dtype=float))
        if self.coords is not None:
            object.__setattr__(self, "coords", np.asarray(self.coords, dtype=float).reshape(n, 2))

    @property
    def n(self) -> int:
        """Number of areas."""
        return len(self.codes)

    @classmethod
    def from_frame(cls, frame, *, code: str = "code", name: str = "name", population: str = "population",
                   group: str | None = None, group_names: Sequence[str] | None = None) -> "AreaGraph":
        """Graph of a polygon coverage (GeoDataFrame in metres) with rook contiguity via libpysal.

        Shared boundary lengths come from libpysal's ``by_perimeter`` weights,
        so the perimeter of a union of areas is exact on a valid coverage:
        ``P(S) = Σ P(a) − 2 Σ shared(a, b)``.

        Parameters
        ----------
        frame : geopandas.GeoDataFrame
            One row per area, projected CRS in metres (EPSG:27700).
        code, name, population : str
            Column names.
        group : str, optional
            Column with the code of a containing area (e.g. ``"stp"``).
        group_names : sequence of str, optional
            Names of the group codes, in the order of ``np.unique`` of the column.
        """
        import warnings

        from libpysal.graph import Graph

        if frame.crs is not None and not frame.crs.is_projected:
            raise ProposalError(f"areas are in {frame.crs.to_string()}, not a projected CRS in metres",
                                where="geometry", fix="reproject to EPSG:27700 before measuring")
        frame = frame.reset_index(drop=True)
        n = len(frame)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            graph = Graph.build_contiguity(frame, rook=True, by_perimeter=True, strict=False)
        shared = sp.csr_array(graph.sparse, dtype=float)
        shared = sp.csr_array(shared.maximum(shared.T))
        shared.setdiag(0)
        shared.eliminate_zeros()
        gid = gcodes = None
        if group is not None:
            gcodes, gid = np.unique(frame[group].to_numpy().astype(str), return_inverse=True)
        cent = frame.geometry.centroid
        return cls(
            codes=frame[code].to_numpy(), names=frame[name].to_numpy(),
            population=frame[population].to_numpy(), adjacency=shared > 0,
            group=gid, group_codes=gcodes,
            group_names=np.asarray(group_names if group_names is not None else gcodes) if group else None,
            area=frame.geometry.area.to_numpy(float), perimeter=frame.geometry.length.to_numpy(float),
            shared=shared, coords=np.column_stack([cent.x.to_numpy(), cent.y.to_numpy()]) if n else None,
        )

    @classmethod
    def grid(cls, rows: int, cols: int, population: np.ndarray | None = None, *, cell: float = 1000.0,
             block: int | None = None) -> "AreaGraph":
        """A synthetic ``rows`` × ``cols`` grid of square cells with rook contiguity.

        Parameters
        ----------
        rows, cols : int
        population : ndarray, optional
            One figure per cell, row-major (default 1 each).
        cell : float
            Side of a cell in metres.
        block : int, optional
            Group cells into ``block`` × ``block`` squares (``group``), e.g. to
            stand in for boroughs when proposing localities.
        """
        n = rows * cols
        ids = np.arange(n).reshape(rows, cols)
        right = (ids[:, :-1].ravel(), ids[:, 1:].ravel())
        down = (ids[:-1, :].ravel(), ids[1:, :].ravel())
        i = np.concatenate([right[0], down[0]])
        j = np.concatenate([right[1], down[1]])
        shared = sp.csr_array((np.full(len(i), cell), (i, j)), shape=(n, n))
        shared = sp.csr_array(shared + shared.T)
        r, c = np.divmod(np.arange(n), cols)
        group = gcodes = None
        if block:
            per_row = -(-cols // block)
            group = (r // block) * per_row + (c // block)
            gcodes = np.array([f"B{g:05d}" for g in range(int(group.max()) + 1)])
        codes = np.array([f"G{k:07d}" for k in range(n)])
        return cls(codes=codes, names=codes, population=np.ones(n) if population is None else population,
                   adjacency=shared > 0, group=group, group_codes=gcodes, group_names=gcodes,
                   area=np.full(n, cell * cell), perimeter=np.full(n, 4 * cell), shared=shared,
                   coords=np.column_stack([(c + 0.5) * cell, (rows - r - 0.5) * cell]))

    def subgraph(self, ids: np.ndarray) -> "AreaGraph":
        """The graph restricted to areas ``ids`` (in that order)."""
        ids = np.asarray(ids, dtype=np.int64)

        def take(a):
            return None if a is None else a[ids]

        return AreaGraph(
            codes=self.codes[ids], names=self.names[ids], population=self.population[ids],
            adjacency=self.adjacency[ids][:, ids], group=take(self.group), group_codes=self.group_codes,
            group_names=self.group_names, area=take(self.area), perimeter=take(self.perimeter),
            shared=None if self.shared is None else self.shared[ids][:, ids], coords=take(self.coords),
        )

    def within_groups(self) -> sp.csr_array:
        """Adjacency keeping only pairs of areas in the same group (all pairs without groups)."""
        if self.group is None:
            return self.adjacency
        coo = self.adjacency.tocoo()
        keep = self.group[coo.row] == self.group[coo.col]
        return sp.csr_array((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=self.adjacency.shape)

    def compactness(self, members: np.ndarray) -> np.ndarray:
        """Polsby–Popper compactness ``4πA / P²`` of unions of areas (1 for a disc).

        Parameters
        ----------
        members : ndarray (m, k)
            Each row the area ids of one union.

        Returns
        -------
        ndarray of float, or all-NaN when the graph has no shape figures.
        """
        members = np.atleast_2d(members)
        if self.area is None or self.perimeter is None or self.shared is None:
            return np.full(len(members), np.nan)
        area = self.area[members].sum(axis=1)
        perim = self.perimeter[members].sum(axis=1)
        k = members.shape[1]
        for a in range(k):
            for b in range(a + 1, k):
                perim = perim - 2 * np.asarray(self.shared[members[:, a], members[:, b]]).ravel()
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(perim > 0, 4 * np.pi * area / perim ** 2, np.nan)


def components(adjacency: sp.csr_array, ids: np.ndarray | None = None) -> list[np.ndarray]:
    """Connected pieces of the areas ``ids`` (all areas by default), largest first.

    Parameters
    ----------
    adjacency : scipy.sparse.csr_array (n, n)
        Symmetric contiguity.
    ids : ndarray of int, optional
        The areas to consider; pieces are connected through these areas only.

    Returns
    -------
    list of ndarray
        Area ids of each piece (ids of ``adjacency``), largest piece first.
    """
    ids = np.arange(adjacency.shape[0]) if ids is None else np.asarray(ids, dtype=np.int64)
    if len(ids) == 0:
        return []
    n, labels = connected_components(adjacency[ids][:, ids], directed=False)
    pieces = [ids[labels == k] for k in range(n)]
    pieces.sort(key=len, reverse=True)
    return pieces


# --- connected sets --------------------------------------------------------------------------

def _row_keys(rows: np.ndarray, n: int) -> np.ndarray | None:
    """One int64 per sorted row (mixed radix), or ``None`` when it would overflow."""
    k = rows.shape[1]
    if k == 0 or float(n) ** k >= 2 ** 62:
        return None
    keys = np.zeros(len(rows), dtype=np.int64)
    for j in range(k):
        keys = keys * n + rows[:, j]
    return keys


def connected_subsets(adjacency: Any, max_size: int, *, min_size: int = 1,
                      progress: Progress | None = None) -> dict[int, np.ndarray]:
    """Every connected set of ``min_size``..``max_size`` areas, each exactly once.

    A set of areas is *connected* when its areas, with the contiguity between
    them, form one piece (the induced subgraph is connected): the candidate
    systems of 2-4 boroughs and the building blocks of a partition search.

    Parameters
    ----------
    adjacency : sparse matrix (n, n)
        Contiguity; made symmetric.
    max_size : int
    min_size : int, default 1
    progress : callable, optional

    Returns
    -------
    dict
        Size -> int array ``(count, size)`` of area ids, rows sorted
        ascending, rows in lexicographic order.

    Raises
    ------
    ProposalError
        Sizes that make no sense, or an adjacency that is not square.

    Notes
    -----
    Level by level: with :math:`C_k` the connected sets of :math:`k` areas and
    :math:`N(v)` the neighbours of area :math:`v`,

    .. math::  C_{k+1} = \\{\\, S \\cup \\{u\\} : S \\in C_k,\\; u \\in N(v) \\setminus S,\\; v \\in S \\,\\}

    Every connected set of :math:`k + 1` areas has a spanning tree with a
    leaf whose removal leaves a connected set of :math:`k` areas, so this
    generates them all; rows are sorted and duplicates dropped (one
    vectorised ``np.unique`` per level, on one int64 key per row while
    :math:`n^k < 2^{62}`).  Work grows with the number of sets found, not
    with :math:`\\binom{n}{k}`: on a planar graph of bounded degree that is
    linear in :math:`n` for fixed :math:`k`.
    """
    adj = _as_adjacency(adjacency)
    n = adj.shape[0]
    if max_size < 1 or min_size < 1 or min_size > max_size:
        raise ProposalError(f"sizes {min_size}..{max_size} make no sense", where="connected_subsets",
                            fix="use 1 <= min_size <= max_size")
    indptr, indices = adj.indptr, adj.indices
    level = np.arange(n, dtype=np.int64)[:, None]
    out: dict[int, np.ndarray] = {}
    if min_size <= 1:
        out[1] = level
    for k in range(2, max_size + 1):
        if progress:
            progress((k - 1) / max_size, f"connected sets of {k} areas")
        rows_parts, add_parts = [], []
        m = len(level)
        for j in range(level.shape[1]):
            v = level[:, j]
            deg = indptr[v + 1] - indptr[v]
            total = int(deg.sum())
            if total == 0:
                continue
            row = np.repeat(np.arange(m), deg)
            offset = np.arange(total) - np.repeat(np.cumsum(deg) - deg, deg)
            rows_parts.append(row)
            add_parts.append(indices[np.repeat(indptr[v], deg) + offset])
        if not rows_parts:
            level = np.empty((0, k), dtype=np.int64)
        else:
            row = np.concatenate(rows_parts)
            add = np.concatenate(add_parts).astype(np.int64)
            fresh = ~(level[row] == add[:, None]).any(axis=1)
            grown = np.sort(np.column_stack([level[row[fresh]], add[fresh]]), axis=1)
            keys = _row_keys(grown, n)
            if keys is None:
                level = np.unique(grown, axis=0)
            else:
                _, first = np.unique(keys, return_index=True)
                level = grown[first]
        if k >= min_size:
            out[k] = level
    if progress:
        progress(1.0, "connected sets enumerated")
    return out


def bell_number(n: int) -> int:
    """Number of ways to split ``n`` items into non-empty groups (the Bell number :math:`B_n`).

    Parameters
    ----------
    n : int
        Number of items (0 or more).

    Returns
    -------
    int
        :math:`B_n`: 1, 1, 2, 5, 15, 52, 203, 877, 4140 for :math:`n = 0..8`.

    Notes
    -----
    Computed with the Bell triangle: each row starts with the last entry of
    the row before, and each further entry is the sum of its left neighbour
    and the entry above that neighbour,

    .. math::  a_{i,0} = a_{i-1,i-1}, \\qquad a_{i,j} = a_{i,j-1} + a_{i-1,j-1},

    and :math:`B_n = a_{n,0}`; this is the recurrence
    :math:`B_{n+1} = \\sum_{k=0}^{n} \\binom{n}{k} B_k` without binomials.
    London's STPs have at most 8 boroughs, so an exact partition search
    considers at most :math:`B_8 = 4140` set partitions.
    """
    row = [1]
    for _ in range(n):
        nxt = [row[-1]]
        for v in row:
            nxt.append(nxt[-1] + v)
        row = nxt
    return row[0]
