"""The rules, one function each: population, boroughs, councils, contiguity, nesting, coterminosity.

Each takes unit ids and the precomputed arrays of a :class:`UnitIndex` and
returns a :class:`~spatial.checks.reports.CheckResult` with the verdict and the
reason in plain words.  :func:`~spatial.checks.run.check_footprint` calls them
in the order of :data:`~spatial.checks.reports.RULES`; the care-flow rule is the
care-flow model's (:mod:`spatial.careflows`) and the inequality rules are in
:mod:`spatial.inequality`.

Notes
-----
Coterminosity against a layer (boroughs, CCGs, councils): with :math:`I_a` the
footprint's residents in area :math:`a` and :math:`T_a` all of :math:`a`'s
residents, an area counts as whole when :math:`I_a / T_a \\ge c` (``coterminous_min``),
and the value is :math:`\\sum_{a \\text{ whole}} I_a / \\sum_a I_a`, the share of the
footprint's residents in whole areas; it passes at :math:`c` or more.
"""

from __future__ import annotations

import numpy as np

from ..footprints import Footprint
from ..geography import layer_word
from ..index import UnitIndex
from ..text import percent
from ..thresholds import LEVEL_LABELS, Thresholds, canonical_level
from .reports import CheckResult

__all__ = ["contiguity_pieces", "spans"]


# --- helpers ---------------------------------------------------------------------------------

def _fmt(n: float) -> str:
    return f"{int(round(n)):,}"


def _names(index: UnitIndex, layer: str, ids) -> list[str]:
    return [str(index.layer_names[layer][i]) for i in ids]


def contiguity_pieces(index: UnitIndex, units: np.ndarray) -> list[np.ndarray]:
    """Connected pieces of a set of units on the unit adjacency, largest first."""
    if len(units) == 0:
        return []
    sub = index.adjacency[units][:, units]
    from scipy.sparse.csgraph import connected_components  # ~0.1 s to import: not on the app's first page

    n, labels = connected_components(sub, directed=False)
    pieces = [units[labels == k] for k in range(n)]
    pieces.sort(key=lambda p: (-index.population[p].sum(), -len(p)))
    return pieces


def _piece_label(index: UnitIndex, piece: np.ndarray) -> str:
    layer = "msoa" if "msoa" in index.membership else "ward" if "ward" in index.membership else "borough"
    msoas = np.unique(index.membership[layer][piece])
    if len(piece) == 1:
        return f"{index.codes[piece[0]]} ({index.layer_names['unit'][piece[0]]})"
    where = ", ".join(_names(index, layer, msoas[:3])) + ("…" if len(msoas) > 3 else "")
    return f"{len(piece)} units in {where}"


# --- the rules -------------------------------------------------------------------------------

def _pathway_population(pop: int, t: Thresholds) -> CheckResult:
    lo = t.pathway_min_population
    if not lo:
        return CheckResult("population", None, int(pop), None,
                           f"population {_fmt(pop)} (pathway partnership: no population test unless "
                           f"pathway_min_population is set)")
    ok = pop >= lo
    return CheckResult("population", ok, int(pop), lo,
                       f"population {_fmt(pop)} is at least {_fmt(lo)} (pathway_min_population)" if ok else
                       f"population {_fmt(pop)} is below {_fmt(lo)} (pathway_min_population) by {_fmt(lo - pop)}")


def _population(level: str, pop: int, t: Thresholds) -> CheckResult:
    if level == "locality":
        lo, hi = t.locality_min, t.locality_max
    elif level == "neighbourhood":
        lo, hi = t.neighbourhood_min, t.neighbourhood_max
    elif level == "stp":
        lo, hi = t.stp_min, t.stp_max
    elif level in ("multi_borough", "multi_place"):
        lo, hi = t.system_min_population, None
    elif level == "icb_cluster":
        lo, hi = t.cluster_min_population, None
    else:
        return CheckResult("population", None, int(pop), None,
                           f"population {_fmt(pop)} (no population test at {LEVEL_LABELS[level]} level)")
    if pop < lo:
        return CheckResult("population", False, int(pop), [lo, hi] if hi else lo,
                           f"population {_fmt(pop)} is below {_fmt(lo)} by {_fmt(lo - pop)}")
    if hi is not None and pop > hi:
        return CheckResult("population", False, int(pop), [lo, hi],
                           f"population {_fmt(pop)} is above {_fmt(hi)} by {_fmt(pop - hi)}")
    rng = f"within {_fmt(lo)}–{_fmt(hi)}" if hi is not None else f"at least {_fmt(lo)}"
    return CheckResult("population", True, int(pop), [lo, hi] if hi else lo, f"population {_fmt(pop)} is {rng}")


def _boroughs(level: str, index: UnitIndex, units: np.ndarray, t: Thresholds, pathway: bool = False) -> CheckResult:
    geography = getattr(index.geo, "geography", "2018")
    layer, noun = ("stp", layer_word("stp", geography)) if level == "icb_cluster" else \
        ("borough", layer_word("borough", geography))
    ids = np.unique(index.membership[layer][units])
    names = _names(index, layer, ids)
    listed = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    n = len(ids)
    if pathway:
        return CheckResult("boroughs", None, n, None,
                           f"{n} {noun}(s): {listed} (pathway partnership: no {noun}-count test)")
    if level == "icb_cluster":
        lo, hi = t.cluster_min_icbs, t.cluster_max_icbs
    elif canonical_level(level) == "multi_borough":
        lo, hi = t.system_min_boroughs, t.system_max_boroughs
    else:
        return CheckResult("boroughs", None, n, None, f"{n} {noun}(s): {listed}")
    ok = lo <= n <= hi
    word = "within" if ok else ("fewer than" if n < lo else "more than")
    bound = f"{lo}–{hi}" if ok else (lo if n < lo else hi)
    return CheckResult("boroughs", ok, n, [lo, hi], f"{n} {noun}(s) ({listed}): {word} {bound}")


def _councils(level: str, index: UnitIndex, units: np.ndarray, t: Thresholds) -> CheckResult:
    """Every upper-tier council the footprint touches lies wholly inside it (2024 geography)."""
    inside = index.area_counts("utla", units)
    totals = index.area_totals("utla")
    ids = np.flatnonzero(inside)
    share = np.divide(inside, totals, out=np.zeros_like(inside), where=totals > 0)
    # "wholly": every resident (a share of 1.0 up to float rounding of the integer sums)
    split = [i for i in ids if share[i] < t.council_inside_min - 1e-12]
    n = len(ids)
    split_txt = "; ".join(f"{index.layer_names['utla'][i]} is {percent(share[i])} inside"
                          for i in sorted(split, key=lambda i: share[i])[:6])
    more = f" and {len(split) - 6} more" if len(split) > 6 else ""
    if level not in ("icb_cluster", "icb", "multi_place"):
        reason = f"{n - len(split)} of {n} upper-tier council(s) wholly inside" + (f"; {split_txt}{more}" if split else "")
        return CheckResult("councils", None, float(n - len(split)), float(n), reason + " (shown for information)")
    if not split:
        return CheckResult("councils", True, float(n), float(n),
                           f"all {n} upper-tier council(s) lie wholly inside: "
                           + ", ".join(_names(index, "utla", ids)[:8]) + ("…" if n > 8 else ""))
    return CheckResult("councils", False, float(n - len(split)), float(n),
                       f"{len(split)} of {n} upper-tier council(s) are split by the boundary: {split_txt}{more}")


def _contiguity(index: UnitIndex, units: np.ndarray) -> tuple[CheckResult, list[np.ndarray]]:
    pieces = contiguity_pieces(index, units)
    if len(pieces) <= 1:
        return CheckResult("contiguity", True, 1, 1, "one connected piece"), pieces
    islands = "; ".join(_piece_label(index, p) for p in pieces[1:6])
    more = f" and {len(pieces) - 6} more" if len(pieces) > 6 else ""
    return CheckResult("contiguity", False, len(pieces), 1,
                       f"in {len(pieces)} pieces: the main piece has {len(pieces[0])} units; "
                       f"separate: {islands}{more}"), pieces


def _nesting(fp: Footprint, index: UnitIndex, units: np.ndarray, parent_units: np.ndarray | None,
             t: Thresholds) -> CheckResult:
    pop = index.population[units].sum()
    if parent_units is not None:
        inside = np.isin(units, parent_units)
        share = index.population[units[inside]].sum() / pop if pop else float(inside.all())
        if inside.all():
            return CheckResult("nesting", True, 1.0, 1.0, f"inside its parent {fp.parent!r}")
        return CheckResult("nesting", False, float(share), 1.0,
                           f"{int((~inside).sum())} unit(s) ({percent(1 - share)} of residents) lie outside "
                           f"its parent {fp.parent!r}")
    if fp.is_pathway:
        return _pathway_nesting(index, units)
    layer = {"locality": "borough", "borough": "stp", "multi_borough": "stp"}.get(canonical_level(fp.level))
    geography = getattr(index.geo, "geography", "2018")
    if layer is None:
        top = "ICB clusters are the top level" if fp.level == "icb_cluster" else \
            "ICBs nest only in an ICB cluster footprint given as parent" if fp.level == "icb" else "STPs are the top level"
        return CheckResult("nesting", None, None, None, top)
    counts = index.area_counts(layer, units)
    ids = np.flatnonzero(counts)
    word = layer_word(layer, geography)
    if len(ids) == 1:
        return CheckResult("nesting", True, 1.0, 1.0, f"inside one {word}: {index.layer_names[layer][ids[0]]}")
    order = ids[np.argsort(-counts[ids])]
    shares = counts[order] / counts.sum() if counts.sum() else np.zeros(len(order))
    listed = ", ".join(f"{index.layer_names[layer][i]} ({percent(s)})" for i, s in zip(order, shares))
    return CheckResult("nesting", False, float(shares[0]), 1.0, f"crosses {len(ids)} {word}s: {listed}")


def spans(index: UnitIndex, units: np.ndarray, layer: str = "stp") -> list[tuple[str, str, int, float]]:
    """The areas of ``layer`` a set of units spans: ``(code, name, residents, share)``, largest first.

    ``share`` is the fraction of the units' residents living in that area.
    """
    counts = index.area_counts(layer, units)
    ids = np.flatnonzero(counts)
    total = counts.sum()
    order = ids[np.argsort(-counts[ids], kind="stable")]
    return [(str(index.layer_codes[layer][i]), str(index.layer_names[layer][i]), int(round(counts[i])),
             float(counts[i] / total) if total else 0.0) for i in order]


def _pathway_nesting(index: UnitIndex, units: np.ndarray) -> CheckResult:
    """A pathway partnership may cross STPs: report the STPs it spans, no verdict."""
    found = spans(index, units, "stp")
    listed = ", ".join(f"{name} ({percent(share)}, {_fmt(pop)} residents)" for _, name, pop, share in found)
    if len(found) == 1:
        return CheckResult("nesting", None, 1.0, None,
                           f"pathway partnership inside one STP: {listed}")
    return CheckResult("nesting", None, float(found[0][3]), None,
                       f"pathway partnership spanning {len(found)} STPs (allowed to cross STPs): {listed}")


def _coterminosity(layer: str, fp: Footprint, index: UnitIndex, units: np.ndarray, t: Thresholds) -> CheckResult:
    rule = f"coterminosity_{layer}"
    word = layer_word(layer, getattr(index.geo, "geography", "2018"))
    inside = index.area_counts(layer, units)
    totals = index.area_totals(layer)
    pop = inside.sum()
    ids = np.flatnonzero(inside)
    share_of_area = np.divide(inside, totals, out=np.zeros_like(inside), where=totals > 0)
    whole = ids[share_of_area[ids] >= t.coterminous_min]
    value = float(inside[whole].sum() / pop) if pop else 0.0
    split = [i for i in ids if share_of_area[i] < t.coterminous_min]
    split_txt = "; ".join(f"{index.layer_names[layer][i]} is {percent(share_of_area[i])} inside"
                          for i in sorted(split, key=lambda i: -inside[i])[:4])
    geography = getattr(index.geo, "geography", "2018")
    if geography == "2024" and layer == "ccg" and fp.level in ("neighbourhood", "place", "multi_place"):
        # sub-ICB locations are commissioning areas above places (in London one per ICB): shown, not a test
        return CheckResult(rule, None, value, t.coterminous_min,
                           f"{percent(value)} of residents live in sub-ICB locations wholly inside (for information: "
                           f"below ICB level the councils are the test)")
    if canonical_level(fp.level) == "locality":
        return CheckResult(rule, None, value, t.coterminous_min,
                           f"{LEVEL_LABELS[fp.level]}s are parts of {layer_word('borough', getattr(index.geo, 'geography', '2018'))}s: "
                           f"{word} coterminosity shown for information "
                           f"({percent(value)} of residents in whole {word}s)")
    ok = value >= t.coterminous_min
    if ok and not split:
        reason = f"coterminous with {len(whole)} whole {word}(s)"
    elif ok:
        reason = f"{percent(value)} of residents live in whole {word}s (at least {percent(t.coterminous_min)}); {split_txt}"
    else:
        reason = f"only {percent(value)} of residents live in {word}s wholly inside (needs {percent(t.coterminous_min)}); {split_txt}"
    return CheckResult(rule, ok, value, t.coterminous_min, reason)


def _pathway_care_flow(cf: CheckResult, t: Thresholds) -> CheckResult:
    """A pathway partnership's containment against ``pathway_care_flow_min`` (no verdict when it is 0)."""
    value = cf.value if isinstance(cf.value, (int, float)) and not isinstance(cf.value, bool) else None
    if value is None or not t.pathway_care_flow_min:
        reason = cf.reason.replace(": at least 0.0%", "")  # the care-flow model's text against a 0 minimum
        return CheckResult(cf.rule, None, cf.value, None,
                           f"{reason} (pathway partnership: shown for information; no care-flow test unless "
                           f"pathway_care_flow_min is set)")
    ok = value >= t.pathway_care_flow_min
    return CheckResult(cf.rule, ok, value, t.pathway_care_flow_min,
                       f"{cf.reason} (pathway partnership: {'at least' if ok else 'below'} "
                       f"{percent(t.pathway_care_flow_min)}, pathway_care_flow_min)")


def _care_flow_missing(fp: Footprint) -> CheckResult:
    return CheckResult("care_flow", None, None, None, "care flows not measured (no care-flow model loaded)")
