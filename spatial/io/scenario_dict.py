"""Scenario <-> the dict of a scenario file, strictly, in format versions 1 to 3.

Reading is strict and every error says what is wrong, where (file and field
path such as ``footprints[2].members``) and how to fix it.  The format is
documented in ``docs/SCENARIO_FORMAT.md``.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

import numpy as np

from boundaries.config import DEFAULT_GEOGRAPHY, GEOGRAPHIES, default_year

from ..errors import FootprintError, ScenarioError, ScenarioFormatError
from ..footprints import Footprint, Scenario
from ..index import UnitIndex
from ..thresholds import ALL_LEVELS, LEVEL_ORDER, Thresholds
from ._files import at as _at
from ._files import relocate as _relocate

__all__ = ["FORMAT", "VERSION", "scenario_to_dict", "scenario_from_dict", "validate_members"]

#: Value of the ``format`` field of every scenario file.
FORMAT = "footprints-scenario"
#: Newest format version this code reads.  Files are written in the lowest version that holds
#: them: 1 for ordinary 2018 London plans, 2 when a footprint has a ``kind``, 3 when the scenario is of
#: another geography or region (top-level ``geography`` "2018" | "2024" and ``region``), so older
#: Footprints keep reading the plans they understand.
VERSION = 3
#: Fields added in each version after 1 (footprint fields).
_FP_KEYS_SINCE = {"kind": 2}

_TOP_KEYS = ("format", "version", "name", "year", "description", "source", "thresholds", "footprints")
_TOP_KEYS_V3 = _TOP_KEYS + ("geography", "region")
_FP_KEYS = ("name", "level", "members", "parent", "notes", "core_providers", "kind")
_FOOTPRINT_WHERE = re.compile(r"^footprint '(.*)'$")


def scenario_to_dict(scenario: Scenario) -> dict:
    """The JSON-ready dict of a scenario file (version 1; 2 when a footprint has a ``kind``; 3 for another
    geography or region, with ``geography`` and ``region``).

    Thresholds are stored as overrides of the defaults only, so a file keeps
    following the defaults where the user did not change them.
    """
    other_place = scenario.geography != DEFAULT_GEOGRAPHY or str(scenario.region).casefold() != "london"
    version = 3 if other_place else 2 if any(fp.kind != "place" for fp in scenario.footprints) else 1
    out = {"format": FORMAT, "version": version, "name": scenario.name}
    if version >= 3:
        out.update({"geography": scenario.geography, "region": scenario.region})
    out.update({
        "year": int(scenario.year),
        "description": scenario.description,
        "source": scenario.source,
        "thresholds": scenario.thresholds.overrides(),
        "footprints": [fp.to_dict() for fp in scenario.footprints],
    })
    return out


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)
def _want(value: Any, kind: str, where: str | None, field: str) -> None:
    """Raise ScenarioFormatError unless ``value`` is of JSON ``kind`` (object/list/string/integer)."""
    ok = {
        "object": isinstance(value, dict),
        "list": isinstance(value, list),
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
    }[kind]
    if not ok:
        article = "an" if kind[0] in "aeiou" else "a"
        raise ScenarioFormatError(f"must be {article} {kind}, not {_type_name(value)} ({json.dumps(value)[:60]})",
                                  where=_at(where, field), fix=f"write {field} as {article} {kind}")


def _unknown_keys(data: Mapping, known: tuple[str, ...], where: str | None, field: str) -> None:
    unknown = [k for k in data if k not in known]
    if unknown:
        raise ScenarioFormatError(f"unknown field(s) {', '.join(map(repr, unknown))}", where=_at(where, field),
                                  fix=f"use only {', '.join(known)} (check the spelling)")

def _footprint_from_dict(item: Any, i: int, where: str | None, version: int = VERSION) -> Footprint:
    path = f"footprints[{i}]"
    _want(item, "object", where, path)
    _unknown_keys(item, _FP_KEYS, where, path)
    for key, since in _FP_KEYS_SINCE.items():
        if key in item and version < since:
            raise ScenarioFormatError(f"field {key!r} needs format version {since} (the file says {version})",
                                      where=_at(where, f"{path}.{key}"), fix=f'set "version": {since}')
    for key in ("name", "level", "members"):
        if key not in item:
            raise ScenarioFormatError(f"missing field {key!r}", where=_at(where, path),
                                      fix=f"every footprint needs {', '.join(('name', 'level', 'members'))}")
    name = item["name"]
    _want(name, "string", where, f"{path}.name")
    if not name.strip():
        raise FootprintError("the name is empty", where=_at(where, f"{path}.name"), fix="give every footprint a name")
    label = f"{path} ({name!r})"
    level = item["level"]
    _want(level, "string", where, f"{label}.level")
    if level not in LEVEL_ORDER:
        import difflib

        near = difflib.get_close_matches(level, ALL_LEVELS, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise FootprintError(f"unknown level {level!r}{hint}", where=_at(where, f"{label}.level"),
                             fix=f"use one of {', '.join(ALL_LEVELS)}")
    members = item["members"]
    _want(members, "list", where, f"{label}.members")
    if not members:
        raise FootprintError("the footprint has no members", where=_at(where, f"{label}.members"),
                             fix="list at least one unit, MSOA, ward, borough, CCG or STP code")
    for j, m in enumerate(members):
        _want(m, "string", where, f"{label}.members[{j}]")
        if not m.strip():
            raise FootprintError("blank member code", where=_at(where, f"{label}.members[{j}]"),
                                 fix="remove the blank entry or write a GSS code")
    parent = item.get("parent")
    if parent is not None:
        _want(parent, "string", where, f"{label}.parent")
        parent = parent or None
    notes = item.get("notes", "")
    if notes is None:
        notes = ""
    _want(notes, "string", where, f"{label}.notes")
    core = item.get("core_providers")
    if core is not None:
        _want(core, "list", where, f"{label}.core_providers")
        for j, c in enumerate(core):
            _want(c, "string", where, f"{label}.core_providers[{j}]")
        core = tuple(core)
    kind = item.get("kind", "place")
    kind = "place" if kind is None else kind
    _want(kind, "string", where, f"{label}.kind")
    try:
        return Footprint(name, level, tuple(members), parent=parent, notes=notes, core_providers=core, kind=kind)
    except ScenarioError as exc:
        raise _relocate(exc, _at(where, label)) from exc


def scenario_from_dict(data: Any, *, where: str | None = None) -> Scenario:
    """Build a scenario from the dict of a scenario file, strictly.

    Parameters
    ----------
    data : dict
        Parsed JSON.
    where : str, optional
        File name, put at the front of every error message.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioFormatError
        Wrong ``format``, a ``version`` newer or older than supported, a field
        of the wrong type (the message names its path, e.g.
        ``footprints[2].members``), unknown or missing fields.
    FootprintError
        Unknown level, a footprint without members, duplicate names, a missing
        parent or a parent that is not of a higher level.
    ThresholdError
        Unknown or impossible thresholds.
    """
    _want(data, "object", where, "the top level")
    fmt = data.get("format")
    if fmt != FORMAT:
        got = "no 'format' field" if "format" not in data else f"format {fmt!r}"
        raise ScenarioFormatError(f"not a Footprints scenario file ({got})", where=_at(where, "format"),
                                  fix=f'the file must start with {{"format": "{FORMAT}", "version": {VERSION}, ...}}')
    if "version" not in data:
        raise ScenarioFormatError("missing field 'version'", where=_at(where, "version"),
                                  fix=f'add "version": {VERSION}')
    version = data["version"]
    _want(version, "integer", where, "version")
    if version > VERSION:
        raise ScenarioFormatError(
            f"the file is format version {version}, made by a newer Footprints; this one reads up to version "
            f"{VERSION}", where=_at(where, "version"), fix="upgrade Footprints to open it")
    if version < 1:
        raise ScenarioFormatError(f"unknown format version {version}", where=_at(where, "version"),
                                  fix=f"this Footprints reads format version(s) 1 to {VERSION}; re-save the scenario from Footprints")
    _unknown_keys(data, _TOP_KEYS_V3 if version >= 3 else _TOP_KEYS, where, "the top level")
    geography = data.get("geography", DEFAULT_GEOGRAPHY)
    if isinstance(geography, int) and not isinstance(geography, bool):
        geography = str(geography)
    _want(geography, "string", where, "geography")
    if geography not in GEOGRAPHIES:
        raise ScenarioFormatError(f"unknown geography {geography!r}", where=_at(where, "geography"),
                                  fix=f"use one of {', '.join(GEOGRAPHIES)}")
    region = data.get("region", "london")
    _want(region, "string", where, "region")
    if "name" not in data:
        raise ScenarioFormatError("missing field 'name'", where=_at(where, "name"), fix="give the scenario a name")
    name = data["name"]
    _want(name, "string", where, "name")
    if not name.strip():
        raise ScenarioFormatError("the scenario name is empty", where=_at(where, "name"),
                                  fix="give the scenario a name")
    year = data.get("year", default_year(geography))
    _want(year, "integer", where, "year")
    texts = {}
    for key in ("description", "source"):
        value = data.get(key, "")
        value = "" if value is None else value
        _want(value, "string", where, key)
        texts[key] = value
    raw_t = data.get("thresholds", {})
    raw_t = {} if raw_t is None else raw_t
    _want(raw_t, "object", where, "thresholds")
    try:
        thresholds = Thresholds.from_dict(raw_t)
    except ScenarioError as exc:
        raise _relocate(exc, _at(where, exc.where or "thresholds")) from exc
    except TypeError as exc:  # pragma: no cover - from_dict checks the keys
        raise ScenarioFormatError(str(exc), where=_at(where, "thresholds")) from exc
    items = data.get("footprints", [])
    _want(items, "list", where, "footprints")
    footprints = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        fp = _footprint_from_dict(item, i, where, version)
        if fp.name in seen:
            raise FootprintError(f"two footprints are named {fp.name!r} (footprints[{seen[fp.name]}] and "
                                 f"footprints[{i}])", where=_at(where, f"footprints[{i}].name"),
                                 fix="give each footprint a unique name")
        seen[fp.name] = i
        footprints.append(fp)
    try:
        return Scenario(name, tuple(footprints), thresholds, year, texts["description"], texts["source"],
                        geography=geography, region=region)
    except ScenarioError as exc:
        m = _FOOTPRINT_WHERE.match(exc.where or "")
        field = exc.where or "footprints"
        if m and m.group(1) in seen:
            field = f"footprints[{seen[m.group(1)]}] ({m.group(1)!r}).parent"
        raise _relocate(exc, _at(where, field)) from exc


def validate_members(scenario: Scenario, index: UnitIndex, *, where: str | None = None) -> dict[str, np.ndarray]:
    """Check every member code of every footprint against the unit index.

    Parameters
    ----------
    scenario : Scenario
    index : UnitIndex
    where : str, optional
        File name to put in front of error messages.

    Returns
    -------
    dict
        Footprint name -> sorted unit ids.

    Raises
    ------
    FootprintError
        A footprint without members.
    UnknownCodeError
        Unknown codes, with the closest known codes; ``where`` names the footprint.
    """
    out = {}
    for i, fp in enumerate(scenario.footprints):
        label = _at(where, f"footprints[{i}] ({fp.name!r}).members")
        if not fp.members:
            raise FootprintError("the footprint has no members", where=label,
                                 fix="add at least one unit, MSOA, ward, borough, CCG or STP")
        out[fp.name] = index.expand(fp.members, where=label)
    return out
