"""Building blocks of localities: LSOAs, MSOAs, wards or a planner's own blocks as an area graph.

Localities are built from blocks of units (:data:`BLOCKS`); :func:`block_graph`
makes the :class:`~spatial.graph.AreaGraph` of any grouping of units, with its
contiguity, centroids and borough.

Notes
-----
With :math:`M` the units x blocks membership matrix and :math:`A` the unit
rook adjacency, two blocks touch when :math:`(M^\\top A M)_{ij} > 0`; a
block's centroid is the area-weighted mean of its units' centroids.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..graph import AreaGraph
from ..index import UnitIndex

__all__ = ["BLOCKS", "block_graph", "layer_graph", "msoa_graph"]

#: Building blocks localities can be made of: ``on`` value -> words.
BLOCKS = {"unit": "LSOAs", "msoa": "MSOAs", "ward": "wards (2017, best fit from LSOAs)", "blocks": "given blocks"}


def block_graph(index: UnitIndex, units: np.ndarray, block_of_unit: np.ndarray, block_codes: np.ndarray,
                block_names: np.ndarray) -> tuple[AreaGraph, list[np.ndarray]]:
    """Graph of building blocks (groups of units, e.g. MSOAs or wards) within ``units``.

    Blocks are cut to ``units``.  Two blocks touch when any of their units
    share an edge (``Mᵀ A M`` on the unit adjacency); a block's centroid is
    the area-weighted mean of its units' centroids; its group is the borough
    holding most of its residents.

    Returns
    -------
    AreaGraph, list of ndarray
        The graph and the unit ids of each block.
    """
    units = np.asarray(units, dtype=np.int64)
    keys, inv = np.unique(np.asarray(block_of_unit)[units], return_inverse=True)
    m = sp.csr_array((np.ones(len(units)), (np.arange(len(units)), inv)), shape=(len(units), len(keys)))
    adj = sp.csr_array(m.T @ sp.csr_array(index.adjacency[units][:, units], dtype=float) @ m)
    adj.setdiag(0)
    adj.eliminate_zeros()
    pop = np.bincount(inv, weights=index.population[units], minlength=len(keys))
    cent = index.geo.units.geometry.iloc[units].centroid
    area = index.area[units]
    wsum = np.bincount(inv, weights=area, minlength=len(keys))
    x = np.bincount(inv, weights=area * cent.x.to_numpy(), minlength=len(keys)) / np.where(wsum > 0, wsum, 1)
    y = np.bincount(inv, weights=area * cent.y.to_numpy(), minlength=len(keys)) / np.where(wsum > 0, wsum, 1)
    borough = index.membership["borough"][units]
    nb = len(index.layer_codes["borough"])
    by = sp.csr_array((index.population[units] + 1e-9, (inv, borough)), shape=(len(keys), nb)).toarray()
    group = by.argmax(axis=1)
    members = [units[inv == k] for k in range(len(keys))]
    graph = AreaGraph(codes=np.asarray(block_codes)[keys], names=np.asarray(block_names)[keys], population=pop,
                      adjacency=adj > 0, group=group, group_codes=index.layer_codes["borough"],
                      group_names=index.layer_names["borough"], area=wsum, coords=np.column_stack([x, y]))
    return graph, members


def layer_graph(index: UnitIndex, layer: str, units: np.ndarray | None = None) -> tuple[AreaGraph, list[np.ndarray]]:
    """Areas of ``layer`` (``"msoa"``, ``"ward"``…; cut to ``units``, all by default) as an
    :class:`AreaGraph`, with their unit ids."""
    units = np.arange(index.n) if units is None else np.asarray(units, dtype=np.int64)
    return block_graph(index, units, index.membership[layer], index.layer_codes[layer], index.layer_names[layer])


def msoa_graph(index: UnitIndex, units: np.ndarray | None = None) -> tuple[AreaGraph, list[np.ndarray]]:
    """MSOAs (cut to ``units``, all by default) as an :class:`AreaGraph`, with their unit ids."""
    return layer_graph(index, "msoa", units)
