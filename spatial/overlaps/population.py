"""Population overlaps (or any unit weight) of two layers: one sparse product.

Notes
-----
With ``M_a`` (``n_units x n_A``) and ``M_b`` the unit memberships of the two
layers and ``w`` one weight per unit (residents by default), the weight both
areas share is

    O = M_a.T @ diag(w) @ M_b,    O[i, j] = sum of w[u] over the units u in both A_i and B_j

and the shares are ``O_ij / W(A_i)`` and ``O_ij / W(B_j)`` with
``W(A_i) = (M_a^T w)_i`` (NaN for an area of zero weight).  Units are
assigned to areas by the ONS lookup, not by point-in-polygon.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import OverlapError
from ..index import UnitIndex
from .layers import ASSIGNMENT_NOTE, LayerSpec, overlap_layer

__all__ = ["weighted_overlap", "population_overlap"]


def _shares(overlap: np.ndarray, total: np.ndarray) -> np.ndarray:
    """``overlap / total`` element-wise, NaN where the total is not positive (an area of no weight)."""
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

    Notes
    -----
    ``O = M_a.T @ diag(w) @ M_b`` (``O[i, j]`` is the weight of the units in both
    ``A_i`` and ``B_j``); ``share_of_a = O[i, j] / (M_a.T @ w)[i]`` and
    ``share_of_b = O[i, j] / (M_b.T @ w)[j]``, NaN for an area of no weight.
    ``shared_units`` is the same product without the weights, ``M_a.T @ M_b``.
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

    Notes
    -----
    The population-weighted share of A in B is
    ``share_of_a[i, j] = sum(pop[u] for u in A_i ∩ B_j) / sum(pop[u] for u in A_i)``
    (:func:`weighted_overlap` with ``w = pop``); ``overlap_population`` is rounded to whole residents.
    """
    table = weighted_overlap(a, b, index)
    table["overlap_population"] = np.rint(table["overlap_population"]).astype(np.int64)
    return table
