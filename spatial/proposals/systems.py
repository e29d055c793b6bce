"""Multi-borough systems: every valid grouping of boroughs, checked and ranked.

"Which groupings of our boroughs could be an accountable care system?"
:func:`propose_systems` enumerates every contiguous set of 2–4 boroughs
(borough rook contiguity from the real boundaries, via libpysal), checks each
with the engine's own rules (:func:`spatial.checks.check_footprint`, so the
verdicts are exactly those of ``python -m spatial check``) and ranks them with
weights the user can change (:class:`~spatial.proposals.ranking.RankWeights`).
:func:`spatial.proposals.partitions.propose_partitions` then searches every way
to split one STP's boroughs into such systems.

>>> table = propose_systems(index, stp="South West London")     # doctest: +SKIP
>>> table.systems[0].name                                         # doctest: +SKIP
'Croydon + Merton + Sutton'
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from boundaries import DEFAULT_YEAR

from ..checks import CareFlowModel, CheckResult, FootprintReport, check_footprint
from ..footprints import Footprint, Scenario
from ..index import UnitIndex
from ..errors import ProposalError
from ..graph import AreaGraph, Progress, connected_subsets
from ..thresholds import level_geography, Thresholds
from .common import SYSTEMS_SOURCE, _m, resolve_stp
from .ranking import SCORE_PARTS, RankWeights, _balance, _rounded

__all__ = ["SystemProposal", "SystemsTable", "borough_graph", "propose_systems"]


def _borough_core20(index, graph) -> np.ndarray | None:
    """Core20 share of each borough of ``graph`` (``None`` without IMD data)."""
    from ..profile import ProfileData, area_core20_shares

    data = ProfileData.from_index(index)
    if data.imd_decile is None:
        return None
    shares = area_core20_shares(data, "borough")
    pos = {str(c): i for i, c in enumerate(index.layer_codes["borough"])}
    return np.array([shares[pos[str(c)]] for c in graph.codes])


def _deprivation_balance(core20: np.ndarray | None, ids) -> float | None:
    """``1 - (max - min)`` of the boroughs' Core20 shares; ``None`` when not measurable."""
    if core20 is None:
        return None
    v = core20[list(ids)]
    return float(1.0 - (v.max() - v.min())) if len(v) else None


def _containment(cf: CheckResult) -> float | None:
    if cf.passed is None or isinstance(cf.value, bool) or not isinstance(cf.value, (int, float, np.number)):
        return None
    v = float(cf.value)
    return v if math.isfinite(v) else None


# --- borough graph ---------------------------------------------------------------------------

def borough_graph(index: UnitIndex) -> AreaGraph:
    """Boroughs as an :class:`AreaGraph`: rook contiguity of the real boundaries (libpysal), STP groups.

    Area ids are the index's borough ids; populations are the index's year.
    """
    frame = index.geo.layer("borough").copy()
    codes = index.layer_codes["borough"]
    frame = frame.set_index(frame["code"].astype(str)).loc[codes].reset_index(drop=True)
    frame["population"] = index.area_totals("borough").astype(np.int64)
    first_unit = np.array([index.units_of("borough", i)[0] for i in range(len(codes))])
    frame["_stp"] = index.layer_codes["stp"][index.membership["stp"][first_unit]]
    names = dict(zip(index.layer_codes["stp"], index.layer_names["stp"]))
    stp_codes = np.unique(frame["_stp"].to_numpy().astype(str))
    graph = AreaGraph.from_frame(frame, population="population", group="_stp",
                                 group_names=[names[c] for c in stp_codes])
    if not np.array_equal(graph.codes, codes.astype(str)):  # pragma: no cover - defensive
        raise ProposalError("borough layer and unit index disagree on borough codes", where="borough layer",
                            fix="rebuild the processed cache (python -m boundaries build)")
    return graph


# --- systems ---------------------------------------------------------------------------------

@dataclass
class SystemProposal:
    """One candidate multi-borough system, its engine report and its score.

    Attributes
    ----------
    ids : tuple of int
        Borough ids (positions in the index's borough layer).
    boroughs, borough_names : tuple of str
        GSS codes and names, in code order.
    population : int
    report : FootprintReport
        The engine's checks, exactly as ``spatial check`` shows them.
    parts : dict
        Score parts in [0, 1] (``None`` when not measured), see :class:`RankWeights`.
    score : float
    rank : int
        1 = best, in the table's current ranking.
    thresholds : Thresholds
        Those the checks used.
    year : int
        Population year of the checks.
    """

    ids: tuple[int, ...]
    boroughs: tuple[str, ...]
    borough_names: tuple[str, ...]
    population: int
    report: FootprintReport
    parts: dict[str, float | None]
    score: float = 0.0
    rank: int = 0
    thresholds: Thresholds = field(default_factory=Thresholds, repr=False)
    year: int = DEFAULT_YEAR

    @property
    def name(self) -> str:
        """Borough names joined with ``+``."""
        return " + ".join(self.borough_names)

    @property
    def passed(self) -> bool:
        """True when every rule with a verdict passed."""
        return self.report.passed

    @property
    def checks(self) -> list[CheckResult]:
        """The engine's checks."""
        return self.report.checks

    def failures(self) -> list[CheckResult]:
        """The rules that failed."""
        return self.report.failures()

    def explain(self, weights: RankWeights | None = None) -> str:
        """Verdict, reasons and score in words."""
        w = weights or RankWeights()
        if self.passed:
            head = f"{self.name} ({_m(self.population)} residents) passes every rule"
            if self.report.check("care_flow").passed is None:
                head += " (care flows not measured)"
        else:
            head = f"{self.name} ({_m(self.population)} residents) fails: " + "; ".join(
                f"{c.rule}: {c.reason}" for c in self.failures())
        return f"{head}. Score {self.score:.3f} = {w.describe(self.parts)}."

    def to_footprint(self, *, parent: str | None = None) -> Footprint:
        """The system as a ``multi_borough`` :class:`Footprint`."""
        return Footprint(self.name, self.report.level, self.boroughs, parent=parent,
                         notes=f"automatic proposal; rank {self.rank}; score {self.score:.3f}")

    def to_scenario(self, *, thresholds: Thresholds | None = None, year: int | None = None) -> Scenario:
        """A scenario holding the system and its boroughs (as children), for the sketch page.

        Thresholds and year default to those the checks used.
        """
        fps = [self.to_footprint()]
        geography = level_geography(self.report.level)
        child = "place" if geography == "2024" else "borough"
        fps += [Footprint(n, child, (c,), parent=self.name) for c, n in zip(self.boroughs, self.borough_names)]
        return Scenario(
            name=f"Proposed system: {self.name}", footprints=tuple(fps), thresholds=thresholds or self.thresholds,
            year=self.year if year is None else int(year), geography=geography,
            description=f"Automatic proposal (Footprints proposals): {self.explain()}",
            source=SYSTEMS_SOURCE,
        )

    def to_dict(self) -> dict:
        """JSON-ready dict; ``checks`` are shaped as in ``python -m spatial check --json``."""
        return {
            "rank": self.rank, "name": self.name, "boroughs": list(self.boroughs),
            "borough_names": list(self.borough_names), "population": int(self.population),
            "stps": list(self.report.stps), "passed": self.passed,
            "checks": [c.to_dict() for c in self.report.checks],
            "score": round(float(self.score), 6),
            "parts": _rounded(self.parts),
        }


def _rank(systems: list[SystemProposal], weights: RankWeights, passed_first: bool) -> list[SystemProposal]:
    out = [dataclasses.replace(s, score=weights.score(s.parts)) for s in systems]
    out.sort(key=lambda s: (not s.passed if passed_first else False, -s.score, -s.population, s.boroughs))
    for i, s in enumerate(out, 1):
        s.rank = i
    return out


@dataclass
class SystemsTable:
    """Every candidate system in scope, checked and ranked.

    Attributes
    ----------
    systems : list of SystemProposal
        Ranked, best first (passing systems first unless ``passed_first`` is off).
    weights : RankWeights
    thresholds : Thresholds
    year : int
    scope : str
        What was enumerated, in words.
    counts : dict
        Number of boroughs -> number of contiguous sets found.
    flows_measured : bool
        Whether a care-flow model gave containment figures.
    graph : AreaGraph
    passed_first : bool
    """

    systems: list[SystemProposal]
    weights: RankWeights
    thresholds: Thresholds
    year: int
    scope: str
    counts: dict[int, int]
    flows_measured: bool
    graph: AreaGraph = field(repr=False)
    passed_first: bool = True

    def __len__(self) -> int:
        return len(self.systems)

    @property
    def n_passed(self) -> int:
        """How many systems pass every rule."""
        return sum(s.passed for s in self.systems)

    def valid(self) -> list[SystemProposal]:
        """The systems that pass every rule, best first."""
        return [s for s in self.systems if s.passed]

    def rerank(self, weights: RankWeights | Mapping[str, float] | None = None, *,
               passed_first: bool | None = None) -> "SystemsTable":
        """The same table ranked with other weights (no re-check: instant)."""
        w = weights if isinstance(weights, RankWeights) else RankWeights.from_dict(weights) if weights else self.weights
        pf = self.passed_first if passed_first is None else passed_first
        return dataclasses.replace(self, systems=_rank(self.systems, w, pf), weights=w, passed_first=pf)

    def get(self, boroughs: Sequence[str]) -> SystemProposal:
        """The system made of exactly these boroughs (codes or names).

        Raises
        ------
        KeyError
            When that set is not in the table (not contiguous, wrong size or out of scope).
        """
        want = set()
        for b in boroughs:
            key = str(b).strip()
            hit = np.flatnonzero((self.graph.codes == key.upper()) |
                                 (np.char.lower(self.graph.names) == key.casefold()))
            if not len(hit):
                raise KeyError(f"unknown borough {b!r}")
            want.add(str(self.graph.codes[hit[0]]))
        for s in self.systems:
            if set(s.boroughs) == want:
                return s
        raise KeyError(f"no system of exactly {', '.join(sorted(want))} in this table ({self.scope})")

    def summary(self) -> str:
        """One paragraph: what was enumerated and how many pass."""
        sizes = ", ".join(f"{v:,} of {k}" for k, v in sorted(self.counts.items()))
        flows = "" if self.flows_measured else " Care-flow containment was not measured (no care-flow model)."
        return (f"{len(self.systems):,} contiguous sets of boroughs {self.scope} ({sizes}); "
                f"{self.n_passed:,} pass every rule.{flows} Weights: {self.weights.text()}.")

    def to_dicts(self) -> list[dict]:
        """JSON-ready list (what ``propose systems --json`` prints)."""
        return [s.to_dict() for s in self.systems]

    def to_frame(self) -> pd.DataFrame:
        """One row per system: rank, boroughs, population, verdict, every rule, score parts, score."""
        rows = []
        for s in self.systems:
            row: dict[str, Any] = {
                "rank": s.rank, "name": s.name, "boroughs": ", ".join(s.boroughs), "n_boroughs": len(s.boroughs),
                "population": s.population, "stps": ", ".join(s.report.stps), "passed": s.passed,
            }
            for c in s.report.checks:
                row[c.rule] = c.passed
                row[f"{c.rule}_reason"] = c.reason
            for k in SCORE_PARTS:
                row[f"score_{k}"] = s.parts.get(k)
            row["score"] = s.score
            rows.append(row)
        return pd.DataFrame(rows)


def _scope(index: UnitIndex, graph: AreaGraph, stp: str | None, cross_stp: bool) -> tuple[Any, np.ndarray | None, str]:
    """Adjacency to enumerate on, STP id that a set must touch (or None), and the scope in words."""
    if stp is None:
        if cross_stp:
            return graph.adjacency, None, "across London (crossing STPs allowed)"
        return graph.within_groups(), None, "within each STP"
    sid = resolve_stp(index, stp)
    name = str(index.layer_names["stp"][sid])
    code = str(index.layer_codes["stp"][sid])
    gid = int(np.flatnonzero(graph.group_codes == code)[0])
    if cross_stp:
        return graph.adjacency, gid, f"touching {name} (crossing STPs allowed)"
    return graph.within_groups(), gid, f"within {name}"


def propose_systems(
    index: UnitIndex,
    *,
    stp: str | None = None,
    cross_stp: bool = False,
    thresholds: Thresholds | None = None,
    flows: CareFlowModel | None = None,
    weights: RankWeights | Mapping[str, float] | None = None,
    passed_first: bool = True,
    graph: AreaGraph | None = None,
    progress: Progress | None = None,
) -> SystemsTable:
    """Every contiguous set of 2–4 boroughs, checked with the engine's rules and ranked.

    Parameters
    ----------
    index : UnitIndex
    stp : str, optional
        Code, name or initials (``"NWL"``) of one STP; all STPs by default.
    cross_stp : bool
        Allow sets whose boroughs lie in different STPs (they then fail the
        ``nesting`` rule, as in ``spatial check``).  With ``stp``: sets that
        include at least one of its boroughs.
    thresholds : Thresholds, optional
        Sizes come from ``system_min_boroughs``/``system_max_boroughs``.
    flows : CareFlowModel, optional
        Adds the ``care_flow`` verdict and the containment part of the score.
    weights : RankWeights or dict, optional
    passed_first : bool
        Rank every passing system above every failing one.
    graph : AreaGraph, optional
        Reuse :func:`borough_graph` (the app builds it once).
    progress : callable, optional
        ``progress(fraction, message)``.

    Returns
    -------
    SystemsTable

    Raises
    ------
    UnknownAreaError
        For an STP that does not exist (with the closest names).
    """
    t = thresholds or Thresholds()
    w = weights if isinstance(weights, RankWeights) else RankWeights.from_dict(weights)
    if progress:
        progress(0.0, "borough contiguity")
    graph = graph or borough_graph(index)
    adjacency, touch, scope = _scope(index, graph, stp, cross_stp)
    lo, hi = int(t.system_min_boroughs), int(t.system_max_boroughs)
    if hi < 1:
        raise ProposalError("system_max_boroughs is 0", where="thresholds.system_max_boroughs",
                            fix="allow at least one borough per system")
    sets = connected_subsets(adjacency, hi, min_size=max(lo, 1))
    if touch is not None:
        sets = {k: s[(graph.group[s] == touch).any(axis=1)] for k, s in sets.items()}
    counts = {k: int(len(s)) for k, s in sets.items()}
    units_of = [index.units_of("borough", i) for i in range(graph.n)]
    system_level = "multi_place" if getattr(index.geo, "geography", "2018") == "2024" else "multi_borough"
    core20 = _borough_core20(index, graph)
    total = max(1, sum(counts.values()))
    done = 0
    systems: list[SystemProposal] = []
    flows_measured = False
    for k, rows in sets.items():
        compact = graph.compactness(rows) if len(rows) else np.empty(0)
        for row, pp in zip(rows, compact):
            ids = tuple(int(i) for i in row)
            codes = tuple(str(graph.codes[i]) for i in ids)
            names = tuple(str(graph.names[i]) for i in ids)
            fp = Footprint(" + ".join(names), system_level, codes)
            units = np.concatenate([units_of[i] for i in ids])
            report = check_footprint(fp, index, thresholds=t, units=units, flows=flows)
            containment = _containment(report.checks[-1] if report.checks[-1].rule == "care_flow"
                                       else report.check("care_flow"))
            flows_measured |= containment is not None
            nest = report.check("nesting").value
            parts = {
                "containment": containment,
                "balance": _balance(graph.population[list(ids)]),
                "inside_stp": float(nest) if isinstance(nest, (int, float)) else None,
                "compactness": None if not math.isfinite(pp) else float(pp),
                "deprivation_balance": _deprivation_balance(core20, ids),
            }
            systems.append(SystemProposal(ids, codes, names, int(report.population), report, parts,
                                          thresholds=t, year=index.year))
            done += 1
            if progress and done % 50 == 0:
                progress(done / total, f"checked {done:,} of {total:,} candidate systems")
    if progress:
        progress(1.0, f"checked {done:,} candidate systems")
    return SystemsTable(_rank(systems, w, passed_first), w, t, index.year, scope, counts, flows_measured, graph,
                        passed_first)
