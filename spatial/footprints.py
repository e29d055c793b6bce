"""Footprints and scenarios: the planner's data model.

A :class:`Footprint` is a named group of areas at one level; its members may
be codes (or names) of units, MSOAs, wards, boroughs, CCGs or STPs, mixed, and they
expand to units.  A :class:`Scenario` is a named set of footprints with its
thresholds and population year.  Both are plain immutable values; editing
returns a new value, which is what makes undo/redo and scenario comparison
simple.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import numpy as np

from boundaries import DEFAULT_YEAR

from .errors import FootprintError
from .index import UnitIndex, normalise_code
from .text import clean_name, find_surrogate
from .thresholds import KINDS, LEVEL_ORDER, LEVELS, Thresholds

__all__ = ["Footprint", "Scenario", "resolve_members"]


def _refuse_surrogates(where: str, **fields) -> None:
    """A lone surrogate (``"\\ud800"`` in JSON) cannot be written as UTF-8: refuse it, naming the field."""
    for field_name, value in fields.items():
        texts = value if isinstance(value, (tuple, list)) else (value,)
        for j, text in enumerate(texts):
            if not isinstance(text, str):
                continue
            pos = find_surrogate(text)
            if pos is not None:
                at = f"{field_name}[{j}]" if isinstance(value, (tuple, list)) else field_name
                raise FootprintError(
                    f"the {at} holds a lone surrogate U+{ord(text[pos]):04X} at character {pos + 1}, which is not "
                    f"a character and cannot be saved or shown", where=f"{where}, field {at}",
                    fix="remove it or retype the text (it often comes from a broken copy of an emoji)")


@dataclass(frozen=True)
class Footprint:
    """A candidate footprint.

    Parameters
    ----------
    name : str
        Unique within its scenario.
    level : {"locality", "borough", "multi_borough", "stp"}
    members : tuple of str
        Codes or names of units, MSOAs, wards, boroughs, CCGs or STPs.
    parent : str, optional
        Name of a footprint of a higher level in the same scenario.
    notes : str
    core_providers : tuple of str, optional
        Trust codes that count as the footprint's core providers (``None``:
        the trusts located inside it).
    kind : {"place", "pathway"}
        ``"place"`` (default): a footprint of the papers' spatial levels.
        ``"pathway"``: a partnership for one pathway of care (e.g. specialist
        mental health) that "may cross-cut a number of these spatial levels";
        it may cross STPs, and its population, borough-count and care-flow
        rules report without a verdict unless the ``pathway_*`` thresholds are set.
    """

    name: str
    level: str
    members: tuple[str, ...]
    parent: str | None = None
    notes: str = ""
    core_providers: tuple[str, ...] | None = None
    kind: str = "place"

    def __post_init__(self) -> None:
        if isinstance(self.name, str):
            _refuse_surrogates(f"footprint {self.name!r}", name=self.name, parent=self.parent, notes=self.notes,
                               members=self.members, core_providers=self.core_providers)
            object.__setattr__(self, "name", clean_name(self.name))
            if isinstance(self.parent, str):
                object.__setattr__(self, "parent", clean_name(self.parent) or None)
        if not isinstance(self.name, str) or not self.name.strip():
            raise FootprintError("a footprint needs a non-empty name", where="footprints[].name",
                                 fix="give every footprint a name")
        if self.level not in LEVEL_ORDER:
            raise FootprintError(f"unknown level {self.level!r}", where=f"footprint {self.name!r}",
                                 fix=f"use one of {', '.join(LEVELS)}")
        if self.kind not in KINDS:
            raise FootprintError(f"unknown kind {self.kind!r}", where=f"footprint {self.name!r}",
                                 fix=f"use one of {', '.join(KINDS)}")
        members = tuple(normalise_code(m) for m in self.members)
        object.__setattr__(self, "members", tuple(dict.fromkeys(members)))
        if self.core_providers is not None:
            object.__setattr__(self, "core_providers", tuple(str(c).strip().upper() for c in self.core_providers))

    def with_members(self, members: Iterable[str]) -> "Footprint":
        """Copy with other members."""
        return dataclasses.replace(self, members=tuple(members))

    def to_dict(self) -> dict:
        """JSON-ready dict (the scenario file's footprint object)."""
        d: dict = {"name": self.name, "level": self.level, "members": list(self.members)}
        if self.parent:
            d["parent"] = self.parent
        if self.notes:
            d["notes"] = self.notes
        if self.core_providers is not None:
            d["core_providers"] = list(self.core_providers)
        if self.kind != "place":
            d["kind"] = self.kind
        return d

    @property
    def is_pathway(self) -> bool:
        """True for a pathway partnership (``kind == "pathway"``)."""
        return self.kind == "pathway"


@dataclass(frozen=True)
class Scenario:
    """A named set of footprints with thresholds and a population year.

    Parameters
    ----------
    name : str
    footprints : tuple of Footprint
    thresholds : Thresholds
    year : int
        Population year (2011 census, 2017, 2019 or 2020 for London).
    description, source : str
        What the scenario is and where it comes from (citation).
    """

    name: str
    footprints: tuple[Footprint, ...] = ()
    thresholds: Thresholds = field(default_factory=Thresholds)
    year: int = DEFAULT_YEAR
    description: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.name, str):
            _refuse_surrogates(f"scenario {self.name!r}", name=self.name, description=self.description,
                               source=self.source)
            object.__setattr__(self, "name", clean_name(self.name))
        object.__setattr__(self, "footprints", tuple(self.footprints))
        from .limits import MAX_FOOTPRINTS

        if len(self.footprints) > MAX_FOOTPRINTS:
            raise FootprintError(
                f"the scenario has {len(self.footprints):,} footprints, over the limit of {MAX_FOOTPRINTS:,}",
                where=f"scenario {self.name!r}",
                fix="split it into several scenarios, or group units into fewer, larger footprints "
                    "(a footprint may list MSOAs, wards or boroughs)")
        seen: set[str] = set()
        for fp in self.footprints:
            if fp.name in seen:
                raise FootprintError(f"two footprints are named {fp.name!r}", where=f"scenario {self.name!r}",
                                     fix="give each footprint a unique name")
            seen.add(fp.name)
        by_name = {fp.name: fp for fp in self.footprints}
        for fp in self.footprints:
            if fp.parent is None:
                continue
            if fp.parent == fp.name:
                raise FootprintError(f"footprint {fp.name!r} is its own parent", where=f"footprint {fp.name!r}",
                                     fix="name a footprint of a higher level as parent")
            parent = by_name.get(fp.parent)
            if parent is None:
                import difflib

                near = difflib.get_close_matches(fp.parent, list(by_name), n=2)
                hint = f" (did you mean {', '.join(map(repr, near))}?)" if near else ""
                raise FootprintError(f"parent {fp.parent!r} does not exist{hint}", where=f"footprint {fp.name!r}",
                                     fix="name a footprint of this scenario, or leave parent out")
            if LEVEL_ORDER[parent.level] <= LEVEL_ORDER[fp.level]:
                raise FootprintError(
                    f"parent {parent.name!r} is a {parent.level}, not a level above {fp.level}",
                    where=f"footprint {fp.name!r}", fix="a parent must be of a higher level",
                )
        # Levels strictly increase along parent links, so a cycle cannot pass the check above;
        # keep an explicit walk anyway for clear messages should that rule ever relax.
        for fp in self.footprints:
            chain, cur = [fp.name], fp
            while cur.parent:
                if cur.parent in chain:
                    raise FootprintError(f"parents form a cycle: {' -> '.join(chain + [cur.parent])}",
                                         where=f"footprint {fp.name!r}", fix="break the cycle")
                chain.append(cur.parent)
                cur = by_name[cur.parent]

    # --- access and editing (each returns a new Scenario) -----------------------------------

    def get(self, name: str) -> Footprint:
        """Footprint by name (``KeyError`` naming the known ones)."""
        for key in dict.fromkeys((name, clean_name(name) if isinstance(name, str) else name)):
            for fp in self.footprints:  # the name as typed, then as stored (clean_name)
                if fp.name == key:
                    return fp
        raise KeyError(f"no footprint {name!r} in scenario {self.name!r}; known: "
                       f"{', '.join(fp.name for fp in self.footprints)}")

    def names(self, level: str | None = None) -> list[str]:
        """Footprint names, optionally of one level."""
        return [fp.name for fp in self.footprints if level is None or fp.level == level]

    def put(self, footprint: Footprint) -> "Scenario":
        """Add a footprint, or replace the one with the same name."""
        fps = [footprint if fp.name == footprint.name else fp for fp in self.footprints]
        if footprint.name not in self.names():
            fps.append(footprint)
        return dataclasses.replace(self, footprints=tuple(fps))

    def remove(self, name: str) -> "Scenario":
        """Drop a footprint (children lose their parent link)."""
        self.get(name)
        fps = tuple(dataclasses.replace(fp, parent=None) if fp.parent == name else fp
                    for fp in self.footprints if fp.name != name)
        return dataclasses.replace(self, footprints=fps)

    def rename(self, old: str, new: str) -> "Scenario":
        """Rename a footprint and the parent links to it."""
        old = self.get(old).name
        new = clean_name(new) if isinstance(new, str) else new
        if new != old and new in self.names():
            raise FootprintError(f"a footprint named {new!r} already exists", fix="choose another name")
        fps = []
        for fp in self.footprints:
            if fp.name == old:
                fp = dataclasses.replace(fp, name=new)
            if fp.parent == old:
                fp = dataclasses.replace(fp, parent=new)
            fps.append(fp)
        return dataclasses.replace(self, footprints=tuple(fps))

    def with_thresholds(self, thresholds: Thresholds | Mapping) -> "Scenario":
        """Copy with other thresholds."""
        t = thresholds if isinstance(thresholds, Thresholds) else Thresholds.from_dict(thresholds)
        return dataclasses.replace(self, thresholds=t)

    def with_year(self, year: int) -> "Scenario":
        """Copy with another population year."""
        return dataclasses.replace(self, year=int(year))


def resolve_members(scenario: Scenario, index: UnitIndex) -> dict[str, np.ndarray]:
    """Unit ids of every footprint of ``scenario``.

    Raises
    ------
    FootprintError
        For a footprint without members.
    UnknownCodeError
        For unknown member codes (with the closest known codes).
    """
    out = {}
    for fp in scenario.footprints:
        if not fp.members:
            raise FootprintError(f"footprint {fp.name!r} has no members", where=f"footprint {fp.name!r}",
                                 fix="add at least one unit, MSOA, ward, borough, CCG or STP")
        out[fp.name] = index.expand(fp.members, where=f"footprint {fp.name!r}")
    return out
