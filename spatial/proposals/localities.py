"""Localities: split a borough into contiguous 30–70k pieces with PySAL spopt's max-p regions.

"How would this borough split into 30–70k localities?"  :func:`propose_localities`
answers from the real units (LSOAs) or, to respect MSOA or ward boundaries,
from the borough's MSOAs or wards (:mod:`spatial.proposals.blocks`), with
max-p regions (:mod:`spatial.proposals.maxp`, where the method and why it is
max-p are described), exactly N per borough (:mod:`spatial.proposals.count`)
or keeping deprived areas together (:mod:`spatial.proposals.need`), and
compares the result with what the 2018 papers describe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import ProposalError, UnknownAreaError
from ..footprints import Footprint, Scenario
from ..graph import AreaGraph, Progress
from ..index import UnitIndex
from ..thresholds import Thresholds
from .blocks import BLOCKS, block_graph, layer_graph
from .common import resolve_stp
from .count import fixed_count_regions
from .maxp import MaxPSettings, RegionResult, feasible_counts, max_p_regions
from .need import need_attributes

__all__ = ["Locality", "LocalityProposal", "propose_localities", "PAPER_LOCALITIES"]

_HLP = "Healthy London Partnership, 'Supporting integration ambitions in London' (2018)"
#: What the papers describe at locality level, by STP or borough code (for the comparison).
PAPER_LOCALITIES: dict[str, tuple[str, tuple[int, int] | None, int | None]] = {
    # code: (what the paper says, population range or None, localities per borough or None)
    "E54000028": ("NCL is implementing Community Health Integration Networks (CHINs) at locality level "
                  "(~50k–80k), two CHINs per borough", (50_000, 80_000), 2),
    "E09000002": ("BHR's Integrated Care Coalition builds on established localities of ~50k–70k in each borough",
                  (50_000, 70_000), None),
    "E09000016": ("BHR's Integrated Care Coalition builds on established localities of ~50k–70k in each borough",
                  (50_000, 70_000), None),
    "E09000026": ("BHR's Integrated Care Coalition builds on established localities of ~50k–70k in each borough",
                  (50_000, 70_000), None),
    "E09000012": ("'One Hackney' is delivered via four locality-based quadrants", None, 4),
    "E54000031": ("SWL plans locality-level models of ~50k population", (50_000, 50_000), None),
}




@dataclass
class Locality:
    """One proposed locality.

    Attributes
    ----------
    name : str
        ``"<borough> <n>"``, numbered north to south.
    borough, borough_name : str
    members : tuple of str
        Building-block codes (LSOA or MSOA codes).
    population : int
    n_units : int
    within_range : bool
    reason : str
        Why it is within range, or why it is flagged.
    units : ndarray
        Unit ids.
    """

    name: str
    borough: str
    borough_name: str
    members: tuple[str, ...]
    population: int
    n_units: int
    within_range: bool
    reason: str
    units: np.ndarray = field(repr=False, default=None)

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {"name": self.name, "borough": self.borough, "borough_name": self.borough_name,
                "population": int(self.population), "n_units": int(self.n_units),
                "within_range": bool(self.within_range), "reason": self.reason, "members": list(self.members)}


@dataclass
class LocalityProposal:
    """Localities proposed for one area (a borough, an STP or a list of codes).

    Attributes
    ----------
    area : str
        What was asked for, in words.
    boroughs : tuple of str
        Codes of the boroughs split.
    on : {"unit", "msoa", "ward", "blocks"}
        Building blocks.
    seed : int
    thresholds : Thresholds
    year : int
    localities : list of Locality
        By borough, then north to south.
    n_split : int
        Max-p regions above the ceiling that were split again.
    method : str
        The method in one sentence.
    """

    area: str
    boroughs: tuple[str, ...]
    on: str
    seed: int
    thresholds: Thresholds
    year: int
    localities: list[Locality]
    n_split: int
    method: str
    borough_names: dict[str, str] = field(default_factory=dict, repr=False)
    borough_stps: dict[str, str] = field(default_factory=dict, repr=False)
    index: UnitIndex | None = field(default=None, repr=False)
    count: int | None = None

    @property
    def flagged(self) -> list[Locality]:
        """Localities outside the range (or not contiguous), with their reason."""
        return [loc for loc in self.localities if not loc.within_range]

    def by_borough(self) -> dict[str, list[Locality]]:
        """Borough code -> its localities."""
        out: dict[str, list[Locality]] = {b: [] for b in self.boroughs}
        for loc in self.localities:
            out.setdefault(loc.borough, []).append(loc)
        return out

    def summary(self) -> str:
        """How many localities, their populations and any that break the range, in words."""
        t = self.thresholds
        pops = [loc.population for loc in self.localities]
        fixed = f"exactly {self.count} per borough, " if self.count else ""
        head = (f"{len(self.localities)} localities for {self.area} ({fixed}from {BLOCKS.get(self.on, self.on)}, "
                f"seed {self.seed}); populations {min(pops):,}–{max(pops):,} (mean {np.mean(pops):,.0f}) against "
                f"the range {t.locality_min:,}–{t.locality_max:,}.")
        if not self.flagged:
            return head + " Every locality is contiguous and within the range."
        return head + f" {len(self.flagged)} flagged: " + "; ".join(f"{loc.name}: {loc.reason}" for loc in self.flagged)

    def comparison(self) -> list[str]:
        """What the 2018 papers describe for these boroughs, against what is proposed here."""
        if self.count:
            return self._count_comparison()
        lines = []
        for code, locs in self.by_borough().items():
            if not locs:
                continue
            stp = self.borough_stps.get(code, "")
            paper = PAPER_LOCALITIES.get(code) or PAPER_LOCALITIES.get(stp)
            if paper is None:
                continue
            text, rng, per = paper
            pops = [loc.population for loc in locs]
            total = sum(pops)
            line = (f"{locs[0].borough_name}: {len(locs)} localities of {min(pops):,}–{max(pops):,} here. "
                    f"The papers: {text} ({_HLP}).")
            if per:
                line += f" {per} per borough would average {total / per:,.0f} residents."
            if rng and rng[0] > self.thresholds.locality_min:
                k1, k2 = feasible_counts(total, rng[0], rng[1])
                line += (f" Max-p makes as many localities as the {self.thresholds.locality_min:,} floor allows; "
                         f"with a floor of {rng[0]:,} (locality_min) it would aim at the papers' size"
                         + ((f" ({k1} localities)." if k1 == k2 else f" ({k1}–{k2} localities).") if k1 <= k2
                            else f" (~{max(1, round(total / rng[0]))} localities)."))
            lines.append(line)
        return lines

    def paper_range(self, code: str) -> tuple[tuple[int, int], str]:
        """The papers' population range for the localities of borough ``code`` and its citation in words.

        The borough's (or its STP's) own figure in :data:`PAPER_LOCALITIES`
        where the papers give one (NCL CHINs ~50k–80k), else the papers'
        definition of a locality, 30,000–70,000.
        """
        paper = PAPER_LOCALITIES.get(code) or PAPER_LOCALITIES.get(self.borough_stps.get(code, ""))
        if paper is not None and paper[1] is not None and paper[1][0] < paper[1][1]:
            return paper[1], paper[0]
        definition = "'the locality describes a population of 30,000-70,000'"
        if paper is not None:
            return (30_000, 70_000), f"{paper[0]}; no size is given for these, and {definition}"
        return (30_000, 70_000), definition

    def distances(self) -> list[dict]:
        """Each locality against the papers' range: ``name, population, low, high, distance``.

        ``distance`` is 0 inside the range, ``population - high`` above it
        (positive) and ``population - low`` below it (negative).
        """
        out = []
        for loc in self.localities:
            (lo, hi), _ = self.paper_range(loc.borough)
            d = loc.population - hi if loc.population > hi else (loc.population - lo if loc.population < lo else 0)
            out.append({"name": loc.name, "borough": loc.borough, "population": int(loc.population),
                        "low": lo, "high": hi, "distance": int(d)})
        return out

    def _count_comparison(self) -> list[str]:
        lines = []
        dist = {d["name"]: d for d in self.distances()}
        above_all = []
        for code, locs in self.by_borough().items():
            if not locs:
                continue
            (lo, hi), text = self.paper_range(code)
            per = [f"{loc.name} {loc.population:,} (" + (
                f"{dist[loc.name]['distance']:,} above {hi:,}" if dist[loc.name]["distance"] > 0 else
                f"{-dist[loc.name]['distance']:,} below {lo:,}" if dist[loc.name]["distance"] < 0 else
                f"within {lo:,}–{hi:,}") + ")" for loc in locs]
            line = (f"{locs[0].borough_name}: {len(locs)} localities (fixed count), "
                    + "; ".join(per) + f". The papers: {text} ({_HLP}).")
            if all(dist[loc.name]["distance"] > 0 for loc in locs):
                above_all.append(locs[0].borough_name)
                line += (f" With {len(locs)} per borough every one is above {hi:,}: the borough's "
                         f"{sum(loc.population for loc in locs):,} residents would need at least "
                         f"{math.ceil(sum(loc.population for loc in locs) / hi)} localities of at most {hi:,}.")
            lines.append(line)
        if len(above_all) > 1 and len(above_all) == len([c for c, v in self.by_borough().items() if v]):
            lines.append(f"Every borough here ({', '.join(above_all)}) gives localities above the papers' range "
                         f"with {self.count} per borough.")
        return lines

    def to_scenario(self, *, name: str | None = None) -> Scenario:
        """A scenario: each borough and its localities (children), for the sketch page."""
        if self.index is None:
            raise ProposalError("this proposal has no unit index", where="LocalityProposal.index",
                                fix="make it with propose_localities")
        from ..editing import compact_members

        fps: list[Footprint] = []
        for code, locs in self.by_borough().items():
            bname = self.borough_names.get(code, code)
            fps.append(Footprint(bname, "borough", (code,)))
            fps += [Footprint(loc.name, "locality", compact_members(loc.units, self.index), parent=bname,
                              notes=loc.reason) for loc in locs]
        return Scenario(
            name=name or f"Proposed localities: {self.area}", footprints=tuple(fps), thresholds=self.thresholds,
            year=self.year, description=f"Automatic proposal (Footprints proposals): {self.summary()} {self.method}",
            source="Footprints automatic proposal (PySAL spopt max-p regions"
                   + (f", exactly {self.count} per borough" if self.count else "") + ") from the real boundaries and "
                   "population; locality range from Healthy London Partnership (2018)",
        )

    def to_dict(self) -> dict:
        """JSON-ready dict (what ``propose localities --json`` prints)."""
        return {
            "area": self.area, "boroughs": list(self.boroughs), "on": self.on, "seed": self.seed, "year": self.year,
            "range": [self.thresholds.locality_min, self.thresholds.locality_max],
            "n_localities": len(self.localities), "n_flagged": len(self.flagged), "n_split": self.n_split,
            "count": self.count, "summary": self.summary(), "method": self.method, "comparison": self.comparison(),
            "paper_distances": self.distances(),
            "localities": [loc.to_dict() for loc in self.localities],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per locality."""
        return pd.DataFrame([{k: v for k, v in loc.to_dict().items() if k != "members"} | {
            "n_members": len(loc.members)} for loc in self.localities])


def _select(index: UnitIndex, area: str | Sequence[str]) -> tuple[np.ndarray, str]:
    """Unit ids and a label for a borough/CCG/STP code or name, or a list of member codes."""
    if isinstance(area, str):
        found = index.resolve(area)
        if found is None:
            try:
                found = ("stp", resolve_stp(index, area))
            except UnknownAreaError:
                known = [f"{c} ({n})" for layer in ("borough", "stp")
                         for c, n in zip(index.layer_codes[layer], index.layer_names[layer])]
                raise UnknownAreaError(area, "borough or STP", index.suggest(area), known, where="area") from None
        layer, i = found
        label = f"{index.layer_names[layer][i]} ({index.layer_codes[layer][i]})" if layer != "unit" else \
            str(index.codes[i])
        return index.units_of(layer, i), label
    members = [str(a) for a in area]
    if not members:
        raise ProposalError("no areas given", where="area", fix="name a borough, or list unit/MSOA/borough codes")
    units = index.expand(members, where="area")
    label = ", ".join(members[:3]) + (f" and {len(members) - 3} more" if len(members) > 3 else "")
    return units, label


def propose_localities(
    index: UnitIndex,
    area: str | Sequence[str],
    *,
    on: str = "unit",
    thresholds: Thresholds | None = None,
    seed: int = 0,
    split_large: bool = True,
    nest: bool = True,
    blocks: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    settings: MaxPSettings | None = None,
    progress: Progress | None = None,
    count: int | None = None,
    need: float = 0.0,
) -> LocalityProposal:
    """Split a borough (or each borough of an STP or list) into contiguous localities of 30–70k residents.

    Parameters
    ----------
    index : UnitIndex
    area : str or sequence of str
        A borough, CCG or STP code or name, or a list of unit/MSOA/borough codes.
    on : {"unit", "msoa", "ward"}
        Build from units (LSOAs), from MSOAs to respect MSOA boundaries, or
        from wards (2017, best-fit from LSOAs) to respect ward boundaries.
    thresholds : Thresholds, optional
        ``locality_min``/``locality_max`` give the range; in the 2024 geography (neighbourhoods)
        ``neighbourhood_min``/``neighbourhood_max`` do.
    seed : int
        Same seed, same localities.
    split_large : bool
        Split localities above ``locality_max`` again (see the module notes).
    nest : bool
        Keep localities inside boroughs (default; localities are parts of boroughs).
    blocks : (block_of_unit, block_codes, block_names), optional
        Other building blocks over all units (e.g. a planner's own
        neighbourhoods); overrides ``on``.
    settings : MaxPSettings, optional
    progress : callable, optional
    count : int, optional
        Exactly this many contiguous localities per borough (or of the whole
        area when ``nest`` is off), as balanced in population as the data
        allows (:func:`spatial.proposals.count.fixed_count_regions`); the
        range is then checked, not aimed at.
    need : float
        Localities that respect need (0: off, the default).  Each block's
        Core20 share (IMD 2019, :mod:`spatial.profile`) times ``need`` joins
        its centroid (km) as a max-p attribute, so a block of 100% Core20
        residents counts as ``need`` km away from one of 0%: localities then
        keep deprived areas together rather than splitting them.  See
        :func:`spatial.profile.locality_need_summary`.

    Returns
    -------
    LocalityProposal

    Raises
    ------
    UnknownAreaError
        Unknown code or name (with the closest).
    InfeasibleRangeError
        A borough that no split can fit into the range (with the nearest range).
    DisconnectedAreasError
        Areas in separate pieces.
    """
    t = thresholds or Thresholds()
    if getattr(index.geo, "geography", "2018") == "2024":
        # today's neighbourhoods: the same method with the neighbourhood range (30,000-50,000 by default)
        t = t.replace(locality_min=t.neighbourhood_min, locality_max=t.neighbourhood_max)
    if on not in BLOCKS:
        raise ProposalError(f"unknown building block {on!r}", where="on",
                            fix="use " + ", ".join(f"'{k}' ({v})" for k, v in BLOCKS.items()))
    if on != "unit" and on not in index.membership:
        raise ProposalError(f"the data has no {BLOCKS[on]} for this region", where="on",
                            fix="use 'unit' (LSOAs) or a layer the region has")
    units, label = _select(index, area)
    if progress:
        progress(0.0, f"building blocks for {label}")
    if blocks is not None:
        graph, members = block_graph(index, units, *blocks)
        on_label = "blocks"
    elif on != "unit":
        graph, members = layer_graph(index, on, units)
        on_label = on
    else:
        graph, members = block_graph(index, units, np.arange(index.n), index.codes, index.layer_names["unit"])
        on_label = "unit"
    if not nest:
        graph = AreaGraph(graph.codes, graph.names, graph.population, graph.adjacency, coords=graph.coords,
                          area=graph.area)
    group_labels = [f"{n} ({c})" for c, n in zip(index.layer_codes["borough"], index.layer_names["borough"])]
    if count is not None and need:
        raise ProposalError("localities by need and a fixed count cannot be combined", where="need",
                            fix="use either count=N (balanced in population) or need=KM (deprived areas kept "
                                "together), not both")
    attributes = need_attributes(index, members, need) if need else None
    if count is not None:
        return _fixed_count(index, graph, members, label, on_label, t, seed, nest, settings, progress, count,
                            group_labels)
    res = max_p_regions(graph, t.locality_min, t.locality_max, seed=seed, by_group=nest, split_large=split_large,
                        settings=settings, group_labels=group_labels if nest else [label],
                        progress=(lambda f, m: progress(0.05 + 0.9 * f, m)) if progress else None,
                        attributes=attributes)
    method = (f"PySAL spopt max-p regions (floor {t.locality_min:,} residents, rook contiguity, compact by centroid "
              f"distance; {(settings or MaxPSettings()).construction} constructions, the most compact annealed), "
              f"{'inside each borough' if nest else 'across borough lines'}, localities above {t.locality_max:,} "
              f"{'split again with max-p' if split_large else 'flagged'}."
              + (f" Need respected: each block's Core20 share x {need:g} km joins its centroid as a max-p "
                 "attribute." if need else ""))
    return _proposal(index, graph, members, res, label, on_label, t, seed, nest, method, progress)


def _proposal(index: UnitIndex, graph: AreaGraph, members: list, res: RegionResult, label: str, on_label: str,
              t: Thresholds, seed: int, nest: bool, method: str, progress: Progress | None,
              count: int | None = None) -> LocalityProposal:
    """The :class:`LocalityProposal` of regions ``res`` of ``graph`` (named by borough, north to south)."""
    localities: list[Locality] = []
    names: dict[str, str] = {}
    stps: dict[str, str] = {}
    order = []
    for r in range(res.p):
        ids = np.flatnonzero(res.labels == r)
        u = np.concatenate([members[i] for i in ids])
        b_counts = np.bincount(index.membership["borough"][u], weights=index.population[u],
                               minlength=len(index.layer_codes["borough"]))
        b = int(np.argmax(b_counts))
        cy = float(np.average(graph.coords[ids, 1], weights=np.maximum(graph.population[ids], 1)))
        order.append((b, -cy, r, u, ids))
    order.sort(key=lambda x: (x[0], x[1]))
    seen: dict[int, int] = {}
    for b, _, r, u, ids in order:
        seen[b] = seen.get(b, 0) + 1
        bcode, bname = str(index.layer_codes["borough"][b]), str(index.layer_names["borough"][b])
        names[bcode] = bname
        stp = index.layer_codes["stp"][index.membership["stp"][u[0]]]
        stps[bcode] = str(stp)
        pop = int(res.population[r])
        ok = r not in res.flags
        reason = res.flags.get(r) or f"population {pop:,} is within {t.locality_min:,}–{t.locality_max:,}"
        if not nest:
            name = f"{label} {len(localities) + 1}"
        else:
            name = f"{bname} {seen[b]}"
        localities.append(Locality(name, bcode, bname, tuple(str(c) for c in graph.codes[ids]), pop, len(u), ok,
                                   reason, np.sort(u)))
    boroughs = tuple(dict.fromkeys(loc.borough for loc in localities))
    if progress:
        progress(1.0, f"{len(localities)} localities")
    return LocalityProposal(label, boroughs, on_label, int(seed), t, index.year, localities, res.n_split, method,
                            names, stps, index, count)


def _fixed_count(index: UnitIndex, graph: AreaGraph, members: list, label: str, on_label: str, t: Thresholds,
                 seed: int, nest: bool, settings: MaxPSettings | None, progress: Progress | None, count: int,
                 group_labels: list[str]) -> LocalityProposal:
    """``propose_localities(count=N)``: exactly N balanced localities per borough, checked against the range."""
    res = fixed_count_regions(graph, count, seed=seed, by_group=nest, settings=settings,
                              group_labels=group_labels if nest else [label],
                              progress=(lambda f, m: progress(0.05 + 0.9 * f, m)) if progress else None)
    for r in range(res.p):
        pop = int(res.population[r])
        reasons = []
        if pop < t.locality_min:
            reasons.append(f"population {pop:,} is below {t.locality_min:,} by {t.locality_min - pop:,}")
        if pop > t.locality_max:
            reasons.append(f"population {pop:,} is above {t.locality_max:,} by {pop - t.locality_max:,}")
        if not res.contiguous[r]:
            reasons.append("not one connected piece")
        if reasons:
            res.flags[r] = "; ".join(reasons) + f" (fixed count of {count})"
    fractions = sorted(set(res.floor_fraction.values()))
    method = (f"Exactly {count} contiguous localit{'y' if count == 1 else 'ies'} "
              f"{'per borough' if nest else 'in all'}: PySAL spopt max-p regions with a count constraint (floor "
              f"{'/'.join(f'{f:.0%}' for f in fractions)} of the mean locality population, the highest floor that "
              f"gives exactly {count}, so every locality has at least that share of the mean; rook contiguity, "
              f"compact by centroid distance). The range {t.locality_min:,}–{t.locality_max:,} is checked, "
              f"not aimed at.")
    return _proposal(index, graph, members, res, label, on_label, t, seed, nest, method, progress, count)
