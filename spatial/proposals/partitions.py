"""Whole partitions of an STP: every way to split its boroughs into valid systems, best first.

:func:`propose_partitions` searches, exactly, every way to split one STP's
boroughs into contiguous systems of 2–4 boroughs (the candidate systems of
:func:`spatial.proposals.systems.propose_systems`), ranks them with the same
weights and explains the best ones in words.

>>> propose_partitions(index, "SWL").summary()                    # doctest: +SKIP

Notes
-----
The search visits each partition into candidate systems exactly once: from
the lowest-numbered borough not yet placed it tries every candidate system
containing it and none already placed (borough sets as bit masks).  A
partition's score parts are the population-weighted containment
:math:`\\sum_s c_s P_s / \\sum_s P_s`, the balance :math:`1 - \\mathrm{CV}` of
the systems' populations, inside_stp = 1 and the mean compactness and
deprivation balance of its systems.  The number of set partitions of
:math:`n` boroughs is the Bell number :math:`B_n` (:func:`spatial.graph.bell_number`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from ..checks import CareFlowModel
from ..errors import SearchTooLargeError
from ..footprints import Footprint, Scenario
from ..graph import Progress, bell_number
from ..index import UnitIndex
from ..limits import MAX_PARTITIONS, PARTITIONS_KEPT
from ..thresholds import level_geography, Thresholds
from .common import SYSTEMS_SOURCE, _m, resolve_stp
from .ranking import RankWeights, _balance, _rounded
from .systems import SystemProposal, SystemsTable, propose_systems

__all__ = ["Partition", "PartitionSearch", "propose_partitions"]


@dataclass
class Partition:
    """One way to split an STP's boroughs into systems.

    Attributes
    ----------
    stp, stp_name : str
    systems : tuple of SystemProposal
        Largest population first.
    parts : dict
        Score parts: population-weighted containment, balance of the systems'
        populations, inside_stp (1), mean compactness.
    score : float
    rank : int
    """

    stp: str
    stp_name: str
    systems: tuple[SystemProposal, ...]
    parts: dict[str, float | None]
    score: float = 0.0
    rank: int = 0

    @property
    def passed(self) -> bool:
        """True when every system passes every rule."""
        return all(s.passed for s in self.systems)

    @property
    def boroughs(self) -> list[str]:
        """Every borough code of the partition (each exactly once)."""
        return [b for s in self.systems for b in s.boroughs]

    def explain(self, weights: RankWeights | None = None) -> str:
        """The partition in words: its systems, the verdict and why it ranks where it does."""
        w = weights or RankWeights()
        pops = [s.population for s in self.systems]
        listed = "; ".join(f"{s.name} ({_m(s.population)})" for s in self.systems)
        text = f"{self.stp_name} as {len(self.systems)} system(s): {listed}. "
        if self.passed:
            floor = self.systems[0].report.check("population").threshold
            smallest = min(pops)
            text += "Every system passes every rule"
            if isinstance(floor, (int, float)) and floor:
                text += f"; the smallest has {_m(smallest)} residents, {100 * (smallest / floor - 1):.0f}% above " \
                        f"the {_m(floor)} floor"
            text += ". "
        else:
            bad = [f"{s.name} fails {', '.join(c.rule for c in s.failures())}" for s in self.systems if not s.passed]
            text += "Not valid: " + "; ".join(bad) + ". "
        text += f"Populations range {_m(min(pops))}–{_m(max(pops))}. Score {self.score:.3f} = {w.describe(self.parts)}."
        return text

    def to_scenario(self, *, thresholds: Thresholds | None = None, year: int | None = None) -> Scenario:
        """A scenario: the STP and its systems (children), for the sketch page."""
        first = self.systems[0]
        geography = level_geography(first.report.level)
        fps = [Footprint(self.stp_name, "icb" if geography == "2024" else "stp", (self.stp,))]
        fps += [s.to_footprint(parent=self.stp_name) for s in self.systems]
        return Scenario(
            geography=geography,
            name=f"Proposed split of {self.stp_name} (rank {self.rank})", footprints=tuple(fps),
            thresholds=thresholds or first.thresholds, year=first.year if year is None else int(year),
            description=f"Automatic proposal (Footprints proposals): {self.explain()}",
            source=SYSTEMS_SOURCE,
        )

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {
            "rank": self.rank, "stp": self.stp, "stp_name": self.stp_name, "passed": self.passed,
            "score": round(float(self.score), 6),
            "parts": _rounded(self.parts),
            "systems": [s.to_dict() for s in self.systems], "explanation": self.explain(),
        }


@dataclass
class PartitionSearch:
    """Result of the exact search over one STP's partitions.

    Attributes
    ----------
    stp, stp_name : str
    boroughs : tuple of str
        The STP's borough codes.
    n_set_partitions : int
        Every way to split the boroughs into groups (Bell number).
    n_blocks : int
        Contiguous groups of 2–4 of its boroughs (the building blocks).
    n_searched : int
        Complete partitions into such groups: every one was examined.
    n_valid : int
        Partitions whose every system passes every rule.
    partitions : list of Partition
        Valid ones best first; when none is valid, the nearest (fewest failing
        systems) best first.
    weights : RankWeights
    table : SystemsTable
    """

    stp: str
    stp_name: str
    boroughs: tuple[str, ...]
    n_set_partitions: int
    n_blocks: int
    n_searched: int
    n_valid: int
    partitions: list[Partition]
    weights: RankWeights
    table: SystemsTable = field(repr=False)

    @property
    def best(self) -> Partition | None:
        """The best partition (valid if any is)."""
        return self.partitions[0] if self.partitions else None

    def rerank(self, weights: RankWeights | Mapping[str, float] | None = None) -> "PartitionSearch":
        """The same partitions ranked with other weights (no new search or check: instant).

        Only the partitions kept by the search's ``limit`` are re-ranked; run
        :func:`propose_partitions` with ``limit=None`` to re-rank them all.
        """
        w = weights if isinstance(weights, RankWeights) else RankWeights.from_dict(weights) if weights \
            else self.weights
        parts = [dataclasses.replace(p, score=w.score(p.parts)) for p in self.partitions]
        parts.sort(key=_partition_order)
        for i, p in enumerate(parts, 1):
            p.rank = i
        return dataclasses.replace(self, partitions=parts, weights=w)

    def summary(self) -> str:
        """What was searched and what was found, in words."""
        t = self.table.thresholds
        head = (f"{self.stp_name}: {len(self.boroughs)} boroughs can be split into groups in "
                f"{self.n_set_partitions:,} ways; {self.n_searched:,} of them use only contiguous groups of "
                f"{t.system_min_boroughs}–{t.system_max_boroughs} boroughs (built from {self.n_blocks:,} such "
                f"groups) and all {self.n_searched:,} were examined (exact search). ")
        if self.n_valid:
            return head + f"{self.n_valid:,} pass every rule in every system."
        if not self.n_searched:
            return head + "No split into contiguous groups of that size exists."
        return head + "None passes every rule; the nearest are listed (fewest failing systems first)."

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {
            "stp": self.stp, "stp_name": self.stp_name, "boroughs": list(self.boroughs),
            "n_set_partitions": self.n_set_partitions, "n_blocks": self.n_blocks, "n_searched": self.n_searched,
            "n_valid": self.n_valid, "weights": self.weights.to_dict(), "summary": self.summary(),
            "partitions": [p.to_dict() for p in self.partitions],
        }


def _partition_order(p: Partition) -> tuple:
    """Fewest failing systems first, then best score, fewer systems, borough codes (a total order)."""
    return (sum(not s.passed for s in p.systems), -p.score, len(p.systems), [s.boroughs for s in p.systems])


def _partition_parts(systems: Sequence[SystemProposal]) -> dict[str, float | None]:
    pops = np.array([s.population for s in systems], dtype=float)
    cont = [s.parts.get("containment") for s in systems]
    containment = None if any(c is None for c in cont) else float(np.dot(cont, pops) / pops.sum())
    comp = [s.parts.get("compactness") for s in systems]
    compactness = None if any(c is None for c in comp) else float(np.mean(comp))
    dep = [s.parts.get("deprivation_balance") for s in systems]
    deprivation = None if any(d is None for d in dep) else float(np.mean(dep))
    return {"containment": containment, "balance": _balance(pops), "inside_stp": 1.0, "compactness": compactness,
            "deprivation_balance": deprivation}


def propose_partitions(
    index: UnitIndex,
    stp: str,
    *,
    thresholds: Thresholds | None = None,
    flows: CareFlowModel | None = None,
    weights: RankWeights | Mapping[str, float] | None = None,
    table: SystemsTable | None = None,
    limit: int | None = PARTITIONS_KEPT,
    max_partitions: int = MAX_PARTITIONS,
    progress: Progress | None = None,
) -> PartitionSearch:
    """Every way to split one STP's boroughs into contiguous systems of 2–4 boroughs, best first.

    The search is exact: starting from the first borough not yet placed, it
    tries every contiguous group that contains it, so each partition into
    such groups is visited exactly once.  London's STPs have 5–8 boroughs
    (at most Bell(8) = 4,140 set partitions), so this takes milliseconds.

    Parameters
    ----------
    index : UnitIndex
    stp : str
        Code, name or initials of the STP.
    thresholds, flows, weights :
        As :func:`propose_systems`.
    table : SystemsTable, optional
        A table already computed for this STP (within it), to reuse its checks.
    limit : int, optional
        Keep the best ``limit`` partitions (all when ``None``); the counts
        always cover the whole search.
    max_partitions : int
        Stop with :class:`SearchTooLargeError` beyond this many partitions.
    progress : callable, optional

    Returns
    -------
    PartitionSearch
    """
    t = thresholds or Thresholds()
    w = weights if isinstance(weights, RankWeights) else RankWeights.from_dict(weights)
    sid = resolve_stp(index, stp)
    code, name = str(index.layer_codes["stp"][sid]), str(index.layer_names["stp"][sid])
    if table is None:
        table = propose_systems(index, stp=code, thresholds=t, flows=flows, weights=w,
                                progress=(lambda f, m: progress(0.8 * f, m)) if progress else None)
    graph = table.graph
    gid = int(np.flatnonzero(graph.group_codes == code)[0])
    members = np.flatnonzero(graph.group == gid)
    pos = {int(b): i for i, b in enumerate(members)}
    blocks = [s for s in table.systems if all(i in pos for i in s.ids)]
    by_first: dict[int, list[tuple[int, SystemProposal]]] = {i: [] for i in range(len(members))}
    for s in blocks:
        mask = 0
        for i in s.ids:
            mask |= 1 << pos[i]
        by_first[min(pos[i] for i in s.ids)].append((mask, s))
    full = (1 << len(members)) - 1
    found: list[tuple[SystemProposal, ...]] = []

    def search(used: int, chosen: list[SystemProposal]) -> None:
        if used == full:
            found.append(tuple(chosen))
            if len(found) > max_partitions:
                raise SearchTooLargeError(
                    f"more than {max_partitions:,} partitions of {name}", where="propose_partitions",
                    fix="restrict the STP or lower system_max_boroughs")
            return
        first = (~used & (used + 1)).bit_length() - 1  # lowest borough not yet placed
        for mask, s in by_first[first]:
            if not mask & used:
                chosen.append(s)
                search(used | mask, chosen)
                chosen.pop()

    if progress:
        progress(0.85, f"searching partitions of {name}")
    search(0, [])
    parts_list = []
    for systems in found:
        systems = tuple(sorted(systems, key=lambda s: (-s.population, s.boroughs)))
        parts = _partition_parts(systems)
        parts_list.append(Partition(code, name, systems, parts, w.score(parts)))
    n_valid = sum(p.passed for p in parts_list)
    parts_list.sort(key=_partition_order)
    if n_valid:
        parts_list = [p for p in parts_list if p.passed]
    if limit is not None:
        parts_list = parts_list[:limit]
    for i, p in enumerate(parts_list, 1):
        p.rank = i
    if progress:
        progress(1.0, f"{len(found):,} partitions of {name} examined")
    return PartitionSearch(code, name, tuple(str(graph.codes[i]) for i in members), bell_number(len(members)),
                           len(blocks), len(found), n_valid, parts_list, w, table)
