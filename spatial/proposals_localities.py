"""Deprecated: moved to :mod:`spatial.proposals` (``localities``, ``maxp``, ``blocks``); re-exports only."""

from .proposals.blocks import BLOCKS, block_graph, layer_graph, msoa_graph
from .proposals.localities import PAPER_LOCALITIES, Locality, LocalityProposal, propose_localities
from .proposals.maxp import MaxPSettings, RegionResult, feasible_counts, max_p_regions

__all__ = ["MaxPSettings", "RegionResult", "max_p_regions", "feasible_counts", "msoa_graph", "layer_graph",
           "block_graph", "BLOCKS", "Locality", "LocalityProposal", "propose_localities", "PAPER_LOCALITIES"]
