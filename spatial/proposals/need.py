"""Localities that respect need: each building block's deprivation as a max-p attribute.

:func:`need_attributes` turns the Core20 share of each block (residents in
the most deprived national IMD 2019 quintile, :mod:`spatial.profile`) into a
distance max-p minimises within regions, so localities keep deprived areas
together rather than splitting them (``propose_localities(need=KM)``).

Notes
-----
For block :math:`b` with :math:`c_b` Core20 residents of :math:`p_b`, the
attribute is

.. math::  a_b = \\text{need} \\cdot \\frac{c_b}{p_b} \\quad (0 \\text{ when } p_b = 0),

in km, beside the centroid in km: a block of 100% Core20 residents counts as
``need`` km away from one of 0% (max-p's dissimilarity is the city-block
distance over all attributes).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..errors import ProposalError
from ..index import UnitIndex

__all__ = ["need_attributes"]


def need_attributes(index: UnitIndex, members: Sequence[np.ndarray], need: float) -> np.ndarray:
    """The need attribute ``(n_blocks, 1)`` of blocks ``members`` (unit ids of each block).

    Parameters
    ----------
    index : UnitIndex
    members : sequence of ndarray
        Unit ids of each building block.
    need : float
        km a block of 100% Core20 residents counts away from one of 0% (above 0).

    Returns
    -------
    ndarray (n_blocks, 1)

    Raises
    ------
    ProposalError
        ``need`` not a positive number, or a region without IMD data.
    """
    if not (isinstance(need, (int, float)) and math.isfinite(need) and need > 0):
        raise ProposalError(f"need must be a positive number of km, not {need!r}", where="need",
                            fix="use e.g. need=10 (or 0 to build localities on population and shape only)")
    from ..profile import ProfileData

    data = ProfileData.from_index(index)
    if data.imd_decile is None:
        raise ProposalError("localities by need: " + data.missing.get("imd", "no IMD data"), where="need",
                            fix="use need=0 for this region")
    d = data._derived()
    core = np.array([d["core_pop"][m].sum() for m in members])
    tot = np.array([d["pop"][m].sum() for m in members])
    return (need * np.divide(core, tot, out=np.zeros_like(core), where=tot > 0))[:, None]
