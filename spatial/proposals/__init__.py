"""Automatic proposals: multi-borough systems, whole-STP partitions and localities.

Footprints answers two planning questions from the real data (issue 7):

* "which groupings of our boroughs could be an accountable care system?" —
  :func:`propose_systems` and :func:`propose_partitions`
  (:mod:`spatial.proposals.systems`, :mod:`spatial.proposals.partitions`);
* "how would this borough split into 30–70k localities?" —
  :func:`propose_localities` (:mod:`spatial.proposals.localities`, built on
  PySAL spopt's max-p regions in :mod:`spatial.proposals.maxp`, or on exactly
  N per borough in :mod:`spatial.proposals.count`).

The areas-as-a-graph core they share is :mod:`spatial.graph`; the typed
errors are in :mod:`spatial.errors`; the search limits in
:mod:`spatial.limits`.  Every public name is re-exported here with plain
imports, so ``from spatial.proposals import propose_systems`` works as before.
"""

from __future__ import annotations

from ..errors import (
    CountInfeasibleError,
    DisconnectedAreasError,
    InfeasibleRangeError,
    ProposalError,
    SearchTooLargeError,
    UnknownAreaError,
)
from ..graph import AreaGraph, Progress, bell_number, components, connected_subsets
from .common import resolve_stp
from .count import FLOOR_FRACTIONS, balance, fixed_count_regions
from .localities import (
    BLOCKS,
    PAPER_LOCALITIES,
    Locality,
    LocalityProposal,
    MaxPSettings,
    RegionResult,
    block_graph,
    feasible_counts,
    layer_graph,
    max_p_regions,
    msoa_graph,
    propose_localities,
)
from .systems import (
    MAX_PARTITIONS,
    SCORE_PARTS,
    Partition,
    PartitionSearch,
    RankWeights,
    SystemProposal,
    SystemsTable,
    borough_graph,
    propose_partitions,
    propose_systems,
)

__all__ = [
    "ProposalError",
    "UnknownAreaError",
    "InfeasibleRangeError",
    "DisconnectedAreasError",
    "SearchTooLargeError",
    "CountInfeasibleError",
    "Progress",
    "AreaGraph",
    "connected_subsets",
    "components",
    "bell_number",
    "resolve_stp",
    "RankWeights",
    "SCORE_PARTS",
    "SystemProposal",
    "SystemsTable",
    "Partition",
    "PartitionSearch",
    "MAX_PARTITIONS",
    "borough_graph",
    "propose_systems",
    "propose_partitions",
    "MaxPSettings",
    "RegionResult",
    "max_p_regions",
    "feasible_counts",
    "BLOCKS",
    "block_graph",
    "layer_graph",
    "msoa_graph",
    "Locality",
    "LocalityProposal",
    "PAPER_LOCALITIES",
    "propose_localities",
    "FLOOR_FRACTIONS",
    "balance",
    "fixed_count_regions",
]
