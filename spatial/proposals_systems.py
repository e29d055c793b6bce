"""Deprecated: moved to :mod:`spatial.proposals` (``systems``, ``partitions``, ``ranking``); re-exports only."""

from .limits import MAX_PARTITIONS
from .proposals.partitions import Partition, PartitionSearch, propose_partitions
from .proposals.ranking import SCORE_PARTS, RankWeights
from .proposals.systems import SystemProposal, SystemsTable, borough_graph, propose_systems

__all__ = ["RankWeights", "SystemProposal", "SystemsTable", "Partition", "PartitionSearch", "borough_graph",
           "propose_systems", "propose_partitions", "SCORE_PARTS", "MAX_PARTITIONS"]
