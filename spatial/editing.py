"""Editing footprints the way a planner clicks: brushes, toggles, locks, undo/redo.

Pure functions on immutable :class:`~spatial.footprints.Scenario` values: the
app keeps a history of scenarios, so undo and redo are list moves and a
reload never loses an edit that was saved.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from .errors import FootprintError, UnknownCodeError
from .footprints import Footprint, Scenario, resolve_members
from .index import UnitIndex

__all__ = ["BRUSHES", "compact_members", "brush_units", "apply_brush", "apply_stroke", "History"]

#: Brush name -> layer whose whole area one click takes.
BRUSHES = {"unit": "unit", "msoa": "msoa", "ward": "ward", "borough": "borough", "ccg": "ccg", "stp": "stp"}
#: Order in which whole areas are recognised when members are compacted.
_COMPACT_ORDER = ("stp", "borough", "ccg", "msoa")
#: The same with wards before MSOAs (wards and MSOAs cross, so one order can hide the other's areas).
_COMPACT_ORDER_WARDS = ("stp", "borough", "ccg", "ward", "msoa")


def compact_members(units: np.ndarray, index: UnitIndex) -> tuple[str, ...]:
    """Shortest readable member list for a set of units.

    Whole STPs, then whole boroughs, CCGs and MSOAs (or wards, when that
    gives a shorter list, e.g. for a footprint brushed by wards) are written
    as their codes; the remaining units as unit codes.  ``index.expand`` of
    the result gives back exactly ``units``.
    """
    best = _compact(units, index, _COMPACT_ORDER)
    if "ward" in index.membership:
        by_wards = _compact(units, index, _COMPACT_ORDER_WARDS)
        if len(by_wards) < len(best):
            best = by_wards
    return best


def _compact(units: np.ndarray, index: UnitIndex, order: tuple[str, ...]) -> tuple[str, ...]:
    remaining = np.zeros(index.n, dtype=bool)
    remaining[np.asarray(units, dtype=np.int64)] = True
    out: list[str] = []
    for layer in (name for name in order if name in index.membership):
        m = index.membership[layer]
        have = np.bincount(m[remaining], minlength=len(index.layer_codes[layer]))
        total = np.bincount(m, minlength=len(index.layer_codes[layer]))
        whole = np.flatnonzero((have == total) & (total > 0))
        if len(whole):
            out.extend(str(c) for c in index.layer_codes[layer][whole])
            remaining &= ~np.isin(m, whole)
    out.extend(str(c) for c in index.codes[remaining])
    return tuple(out)


def brush_units(index: UnitIndex, clicked: str, brush: str) -> np.ndarray:
    """Unit ids a click on ``clicked`` (a unit code) takes with ``brush``."""
    if brush not in BRUSHES:
        raise FootprintError(f"unknown brush {brush!r}", fix=f"use one of {', '.join(BRUSHES)}")
    found = index.resolve(clicked)
    if found is None:
        raise UnknownCodeError([clicked], {clicked: index.suggest(clicked)}, where="map click")
    layer, i = found
    unit = index.units_of(layer, i)[0] if layer != "unit" else i
    target = BRUSHES[brush]
    if target == "unit" and layer == "unit":
        return np.array([unit])
    if target == "unit":
        return index.units_of(layer, i)
    return index.units_of(target, int(index.membership[target][unit]))


def apply_brush(
    scenario: Scenario,
    index: UnitIndex,
    footprint: str,
    clicked: str,
    brush: str = "unit",
    *,
    mode: str = "toggle",
    lock: bool = False,
) -> Scenario:
    """Add or remove the brush's area to ``footprint``; return the new scenario.

    Parameters
    ----------
    scenario : Scenario
    index : UnitIndex
    footprint : str
        Name of the footprint being edited.
    clicked : str
        Code of the clicked unit (or area).
    brush : {"unit", "msoa", "ward", "borough", "ccg"}
    mode : {"toggle", "add", "remove"}
        ``toggle`` removes the area when the footprint already holds all of
        it, and adds it otherwise.
    lock : bool
        Do not take units already in another footprint of the same level.
    """
    return _apply_units(scenario, index, footprint, brush_units(index, clicked, brush), mode, lock)[0]


def apply_stroke(
    scenario: Scenario,
    index: UnitIndex,
    footprint: str,
    crossed: "list[str] | tuple[str, ...]",
    brush: str = "unit",
    *,
    lock: bool = False,
) -> tuple[Scenario, str]:
    """Apply a paint stroke: every area crossed is added, or all removed, as one edit.

    Parameters
    ----------
    scenario, index, footprint, brush, lock
        As :func:`apply_brush`.
    crossed : sequence of str
        Unit codes the pointer crossed, in order (at least one).

    Returns
    -------
    (Scenario, {"add", "remove"})
        The new scenario and what the stroke did.

    Notes
    -----
    The first area decides, as a paint brush does: when the footprint already
    holds all of the first area the stroke removes every area crossed,
    otherwise it adds them.  The result equals applying :func:`apply_brush`
    with that mode to each area in turn (union / difference of the areas).
    """
    if not crossed:
        raise FootprintError("a paint stroke crossed no unit", where="paint stroke", fix="drag across the map")
    areas = [brush_units(index, code, brush) for code in crossed]
    return _apply_units(scenario, index, footprint, np.unique(np.concatenate(areas)), "toggle", lock,
                        decide=areas[0])


def _apply_units(scenario: Scenario, index: UnitIndex, footprint: str, taken: np.ndarray, mode: str, lock: bool,
                 decide: np.ndarray | None = None) -> tuple[Scenario, str]:
    """Add or remove unit ids ``taken``; ``toggle`` decides on ``decide`` (default ``taken``)."""
    fp = scenario.get(footprint)
    members = resolve_members(dataclasses.replace(scenario, footprints=tuple(
        f for f in scenario.footprints if f.members)), index) if scenario.footprints else {}
    current = members.get(footprint, np.empty(0, dtype=np.int64))
    if mode == "toggle":
        first = taken if decide is None else decide
        mode = "remove" if np.isin(first, current).all() and len(current) else "add"
    if mode == "add":
        if lock:
            others = [u for name, u in members.items()
                      if name != footprint and scenario.get(name).level == fp.level]
            if others:
                taken = taken[~np.isin(taken, np.concatenate(others))]
        new = np.union1d(current, taken)
    elif mode == "remove":
        new = np.setdiff1d(current, taken)
    else:
        raise FootprintError(f"unknown mode {mode!r}", fix="use toggle, add or remove")
    return scenario.put(fp.with_members(compact_members(new, index))), mode


@dataclass
class History:
    """Undo/redo over scenario versions (bounded).

    Attributes
    ----------
    past : list of (label, Scenario)
        ``past[-1]`` is the current scenario.
    future : list of (label, Scenario)
        Undone versions, for redo.
    """

    past: list[tuple[str, Scenario]] = field(default_factory=list)
    future: list[tuple[str, Scenario]] = field(default_factory=list)
    limit: int = 200

    @property
    def current(self) -> Scenario:
        """The scenario being edited."""
        return self.past[-1][1]

    def push(self, scenario: Scenario, label: str) -> None:
        """Record a new version (clears redo)."""
        if self.past and self.past[-1][1] == scenario:
            return
        self.past.append((label, scenario))
        del self.past[: max(0, len(self.past) - self.limit)]
        self.future.clear()

    def undo(self) -> str | None:
        """Step back; return the label undone, or ``None`` when nothing to undo."""
        if len(self.past) <= 1:
            return None
        item = self.past.pop()
        self.future.append(item)
        return item[0]

    def redo(self) -> str | None:
        """Step forward; return the label redone, or ``None``."""
        if not self.future:
            return None
        item = self.future.pop()
        self.past.append(item)
        return item[0]
