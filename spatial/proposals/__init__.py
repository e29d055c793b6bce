"""Automatic proposals: multi-borough systems, whole-STP partitions and localities.

Footprints answers two planning questions from the real data (issue 7):

* "which groupings of our boroughs could be an accountable care system?" —
  :func:`propose_systems` and :func:`propose_partitions`
  (:mod:`spatial.proposals.systems`, :mod:`spatial.proposals.partitions`,
  scored by :mod:`spatial.proposals.ranking`);
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
from .blocks import BLOCKS, block_graph, layer_graph, msoa_graph
from .count import FLOOR_FRACTIONS, balance, fixed_count_regions
from .localities import PAPER_LOCALITIES, Locality, LocalityProposal, propose_localities
from .maxp import MaxPSettings, RegionResult, feasible_counts, max_p_regions
from .partitions import Partition, PartitionSearch, propose_partitions
from .ranking import SCORE_PARTS, RankWeights
from .systems import SystemProposal, SystemsTable, borough_graph, propose_systems

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
