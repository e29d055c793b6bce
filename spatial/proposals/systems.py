"""Multi-borough systems: every valid grouping of boroughs, ranked, and whole partitions of an STP.

"Which groupings of our boroughs could be an accountable care system?"
:func:`propose_systems` enumerates every contiguous set of 2–4 boroughs
(borough rook contiguity from the real boundaries, via libpysal), checks each
with the engine's own rules (:func:`spatial.checks.check_footprint`, so the
verdicts are exactly those of ``python -m spatial check``) and ranks them with
weights the user can change (:class:`RankWeights`).  :func:`propose_partitions`
then searches, exactly, every way to split one STP's boroughs into such
systems and explains the best ones in words.

>>> table = propose_systems(index, stp="South West London")     # doctest: +SKIP
>>> table.systems[0].name                                         # doctest: +SKIP
'Croydon + Merton + Sutton'
>>> propose_partitions(index, "SWL").summary()                    # doctest: +SKIP
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
from ..errors import ProposalError, SearchTooLargeError
from ..graph import AreaGraph, Progress, bell_number, connected_subsets
from ..thresholds import level_geography, Thresholds
from .common import resolve_stp

__all__ = [
    "RankWeights",
    "SystemProposal",
    "SystemsTable",
    "Partition",
    "PartitionSearch",
    "borough_graph",
    "propose_systems",
    "propose_partitions",
    "SCORE_PARTS",
]

#: The parts of a score, in the order shown.
SCORE_PARTS = ("containment", "balance", "inside_stp", "compactness", "deprivation_balance")
_PART_LABELS = {
    "containment": "care-flow containment",
    "balance": "population balance",
    "inside_stp": "inside one STP",
    "compactness": "compactness",
    "deprivation_balance": "balance of deprivation across constituent places",
}
#: Most partitions an exact search may examine before it stops with an error.
MAX_PARTITIONS = 2_000_000


def _m(pop: float) -> str:
    return f"{pop / 1e6:.2f}m"


@dataclass(frozen=True)
class RankWeights:
    """How much each part counts in a system's score (any non-negative numbers; they are normalised).

    Each part is a number in [0, 1], higher is better:

    containment
        The care-flow containment the care-flow model measures (share of the
        residents' care given by providers inside the system).  Left out of
        the score, and said so, when no care-flow model is loaded.
    balance
        ``1 − CV`` of the populations of the system's boroughs (for a
        partition: of its systems), clipped at 0: 1 when they are all equal —
        a partnership of equals rather than one dominant borough.
    inside_stp
        Share of residents in the STP holding most of them (1 inside one STP).
    compactness
        Polsby–Popper ``4πA/P²`` of the system's outline (1 for a disc; London
        boroughs ≈ 0.3–0.6), exact from the borough perimeters and shared edges.
    deprivation_balance
        ``1 − gap`` in Core20 share (IMD 2019 most deprived national quintile)
        between the system's most and least deprived boroughs (for a partition:
        the mean over its systems), see :mod:`spatial.profile`.  Weight 0 by
        default (opt in): pooling deprived and affluent places may be the point
        of a partnership, or a risk to its focus.
    """

    containment: float = 0.4
    balance: float = 0.2
    inside_stp: float = 0.2
    compactness: float = 0.2
    deprivation_balance: float = 0.0

    def __post_init__(self) -> None:
        for name in SCORE_PARTS:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ProposalError(f"weight {name} must be a number of 0 or more, not {v!r}",
                                    where=f"weights.{name}", fix="use e.g. containment=0.4,balance=0.2")
        if sum(getattr(self, n) for n in SCORE_PARTS) <= 0:
            raise ProposalError("all weights are 0", where="weights", fix="give at least one weight above 0")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "RankWeights":
        """Defaults overridden by ``data`` (unknown keys are an error naming the known ones)."""
        data = dict(data or {})
        unknown = sorted(set(data) - set(SCORE_PARTS))
        if unknown:
            raise ProposalError(f"unknown weight(s): {', '.join(unknown)}", where="weights",
                                fix=f"use only {', '.join(SCORE_PARTS)}")
        return cls(**{k: float(v) for k, v in data.items()})

    @classmethod
    def parse(cls, text: str) -> "RankWeights":
        """From ``"containment=1,balance=0.5"`` (the CLI's ``--weights``)."""
        data: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in str(text).split(","))):
            key, sep, value = part.partition("=")
            try:
                if not sep:
                    raise ValueError
                data[key.strip()] = float(value)
            except ValueError:
                raise ProposalError(f"cannot read weight {part!r}", where="--weights",
                                    fix="write name=number pairs separated by commas, e.g. "
                                        "containment=1,balance=0.5,inside_stp=0.5,compactness=0.2") from None
        return cls.from_dict(data)

    def text(self) -> str:
        """The weights in words, e.g. ``"care-flow containment 0.4, population balance 0.2, …"``."""
        return ", ".join(f"{_PART_LABELS[n]} {getattr(self, n):g}" for n in SCORE_PARTS)

    def to_dict(self) -> dict[str, float]:
        """``{part: weight}``."""
        return {n: float(getattr(self, n)) for n in SCORE_PARTS}

    def score(self, parts: Mapping[str, float | None]) -> float:
        """Weighted mean of the parts that were measured (NaN/None parts are left out)."""
        num = den = 0.0
        for name in SCORE_PARTS:
            v = parts.get(name)
            w = getattr(self, name)
            if v is None or not math.isfinite(v) or w == 0:
                continue
            num += w * v
            den += w
        return num / den if den else 0.0

    def describe(self, parts: Mapping[str, float | None]) -> str:
        """The score as a sum in words, e.g. ``"0.2 × population balance 0.91 + …"``."""
        used = [n for n in SCORE_PARTS if getattr(self, n) > 0 and parts.get(n) is not None
                and math.isfinite(parts[n])]
        den = sum(getattr(self, n) for n in used)
        terms = [f"{getattr(self, n) / den:.2f} × {_PART_LABELS[n]} {parts[n]:.2f}" for n in used] if den else []
        missing = [_PART_LABELS[n] for n in SCORE_PARTS if getattr(self, n) > 0 and n not in used]
        text = " + ".join(terms) if terms else "no measured part"
        if missing:
            text += f" ({', '.join(missing)} not measured; its weight is shared among the others)"
        return text


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


def _balance(pops: np.ndarray) -> float:
    pops = np.asarray(pops, dtype=float)
    if len(pops) < 2 or pops.mean() <= 0:
        return 1.0
    return float(max(0.0, 1.0 - pops.std() / pops.mean()))


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
            source="Footprints automatic proposal from the real boundaries and population; thresholds from "
                   "Healthy London Partnership (2018)",
        )

    def to_dict(self) -> dict:
        """JSON-ready dict; ``checks`` are shaped as in ``python -m spatial check --json``."""
        return {
            "rank": self.rank, "name": self.name, "boroughs": list(self.boroughs),
            "borough_names": list(self.borough_names), "population": int(self.population),
            "stps": list(self.report.stps), "passed": self.passed,
            "checks": [c.to_dict() for c in self.report.checks],
            "score": round(float(self.score), 6),
            "parts": {k: (None if v is None or not math.isfinite(v) else round(float(v), 6))
                      for k, v in self.parts.items()},
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


# --- partitions ------------------------------------------------------------------------------

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
            source="Footprints automatic proposal from the real boundaries and population; thresholds from "
                   "Healthy London Partnership (2018)",
        )

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {
            "rank": self.rank, "stp": self.stp, "stp_name": self.stp_name, "passed": self.passed,
            "score": round(float(self.score), 6),
            "parts": {k: (None if v is None or not math.isfinite(v) else round(float(v), 6))
                      for k, v in self.parts.items()},
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
    limit: int | None = 50,
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
