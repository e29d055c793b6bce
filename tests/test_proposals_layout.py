"""Proposals regrouped (issue 15): old imports keep working, limits have one home and are enforced.

``spatial.proposals`` became a package (common, ranking, systems, partitions,
maxp, anneal, blocks, need, localities, count); the area graph moved to
:mod:`spatial.graph`, the errors to :mod:`spatial.errors`, the search limits
to :mod:`spatial.limits`.  These tests check that every name the old modules
exposed still imports and is the very object of its new home, and that the
limits now read from :mod:`spatial.limits` stop what they should, with the
figures counted here independently.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import spatial.errors as errors
import spatial.graph as graph
import spatial.limits as limits
import spatial.proposals as proposals
from spatial.errors import ProposalError, ScenarioError, SearchTooLargeError

ROOT = Path(__file__).resolve().parent.parent

#: What ``spatial.proposals.__all__`` held before the package (main at 96e25a6).
OLD_PROPOSALS = (
    "ProposalError UnknownAreaError InfeasibleRangeError DisconnectedAreasError SearchTooLargeError Progress "
    "AreaGraph connected_subsets components bell_number resolve_stp RankWeights SystemProposal SystemsTable "
    "Partition PartitionSearch borough_graph propose_systems propose_partitions Locality LocalityProposal "
    "RegionResult max_p_regions msoa_graph propose_localities").split()
#: The old modules' ``__all__`` (and ``MAX_PARTITIONS``, a module attribute callers used).
OLD_MODULES = {
    "spatial.proposals_systems": "RankWeights SystemProposal SystemsTable Partition PartitionSearch borough_graph "
                                 "propose_systems propose_partitions SCORE_PARTS MAX_PARTITIONS",
    "spatial.proposals_localities": "MaxPSettings RegionResult max_p_regions feasible_counts msoa_graph layer_graph "
                                    "block_graph BLOCKS Locality LocalityProposal propose_localities PAPER_LOCALITIES",
    "spatial.proposals_count": "FLOOR_FRACTIONS CountInfeasibleError fixed_count_regions balance",
}


def test_every_old_proposals_name_imports_from_the_package():
    missing = [n for n in OLD_PROPOSALS if not hasattr(proposals, n)]
    assert missing == []
    assert set(OLD_PROPOSALS) <= set(proposals.__all__)
    assert not hasattr(proposals, "__getattr__")  # plain re-exports, no lazy trick
    for name in ("AreaGraph", "connected_subsets", "components", "bell_number", "Progress"):
        assert getattr(proposals, name) is getattr(graph, name)


@pytest.mark.parametrize("module", sorted(OLD_MODULES))
def test_deprecated_modules_re_export_the_same_objects(module):
    old = importlib.import_module(module)
    assert "Deprecated: moved to" in old.__doc__
    for name in OLD_MODULES[module].split():
        value = getattr(old, name)
        home = limits if name == "MAX_PARTITIONS" else proposals
        assert value is getattr(home, name), f"{module}.{name} is not the object of its new home"


def test_proposal_errors_live_in_spatial_errors():
    names = ["ProposalError", "UnknownAreaError", "InfeasibleRangeError", "DisconnectedAreasError",
             "SearchTooLargeError", "CountInfeasibleError"]
    assert set(names) <= set(errors.__all__)
    for name in names:
        cls = getattr(errors, name)
        assert cls.__module__ == "spatial.errors"
        assert issubclass(cls, ProposalError) and issubclass(cls, ScenarioError)
        assert getattr(proposals, name) is cls


def test_no_proposals_module_over_500_lines():
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines())
             for p in (ROOT / "spatial" / "proposals").glob("*.py")}
    sizes["graph.py"] = len((ROOT / "spatial" / "graph.py").read_text(encoding="utf-8").splitlines())
    assert {k: v for k, v in sizes.items() if v > 500} == {}


def test_bell_numbers_match_a_plain_count_of_set_partitions():
    def count(n: int) -> int:  # Stirling numbers of the second kind, summed: B_n = sum_k S(n, k)
        s = [[0] * (n + 1) for _ in range(n + 1)]
        s[0][0] = 1
        for i in range(1, n + 1):
            for k in range(1, i + 1):
                s[i][k] = k * s[i - 1][k] + s[i - 1][k - 1]
        return sum(s[n])

    assert [graph.bell_number(n) for n in range(13)] == [count(n) for n in range(13)]
    # the figures limits.MAX_PARTITIONS is argued from
    assert graph.bell_number(8) == 4_140
    assert graph.bell_number(11) < limits.MAX_PARTITIONS < graph.bell_number(12)


def test_partition_search_stops_at_max_partitions_and_keeps_the_default_top_n(index):
    full = proposals.propose_partitions(index, "NWL", limit=None)
    assert full.n_searched > 2
    table = full.table
    kept = proposals.propose_partitions(index, "NWL", table=table)  # the default limit
    assert len(kept.partitions) == min(limits.PARTITIONS_KEPT, len(full.partitions))
    assert kept.n_searched == full.n_searched  # the counts always cover the whole search
    with pytest.raises(SearchTooLargeError) as exc:
        proposals.propose_partitions(index, "NWL", table=table, max_partitions=full.n_searched - 1)
    text = str(exc.value)
    assert f"more than {full.n_searched - 1:,} partitions of North West London" in text and "Fix:" in text
    # exactly at the limit the search completes
    same = proposals.propose_partitions(index, "NWL", table=table, max_partitions=full.n_searched, limit=None)
    assert same.n_searched == full.n_searched


def test_max_p_refuses_a_problem_above_max_maxp_areas():
    side = int(np.ceil(np.sqrt(limits.MAX_MAXP_AREAS + 1)))
    grid = graph.AreaGraph.grid(side, side)
    assert grid.n > limits.MAX_MAXP_AREAS
    assert proposals.MaxPSettings().max_areas == limits.MAX_MAXP_AREAS
    with pytest.raises(ProposalError, match=f"{grid.n:,} areas in one max-p problem "
                                            f"\\(limit {limits.MAX_MAXP_AREAS:,}"):
        proposals.max_p_regions(grid, 10, by_group=False)


def test_cli_shows_the_default_number_of_partitions():
    out = subprocess.run([sys.executable, "-m", "spatial", "propose", "partitions", "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"(default {limits.PARTITIONS_SHOWN})" in " ".join(out.stdout.split())


def test_icb_clusters_use_the_one_connected_set_enumeration():
    """``spatial.clusters.enumerate_clusters`` now reads :func:`spatial.graph.connected_subsets`:
    the same sets as a brute force over every combination (networkx connectivity), each once."""
    import itertools

    import networkx as nx

    from spatial.clusters import ClusterError, enumerate_clusters

    assert ClusterError is errors.ClusterError and issubclass(ClusterError, ScenarioError)
    grid = graph.AreaGraph.grid(4, 5)
    g = nx.from_scipy_sparse_array(grid.adjacency)
    brute = {c for k in (2, 3, 4) for c in itertools.combinations(range(grid.n), k) if nx.is_connected(g.subgraph(c))}
    got = enumerate_clusters(grid.adjacency, 2, 4)
    assert len(got) == len(set(got)) and set(got) == brute
    assert all(list(c) == sorted(c) for c in got)
    with pytest.raises(ClusterError, match="make no sense"):
        enumerate_clusters(grid.adjacency, 3, 2)
