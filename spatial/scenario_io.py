"""Scenario files: the versioned JSON format, assignment CSVs and map exports.

Plans must survive reload and sharing, so reading is strict and every error
says what is wrong, where (file, line, column or field path such as
``footprints[2].members``) and how to fix it.  Every write is atomic: the new
content goes to a temporary file in the destination folder, is flushed to
disk, and only then replaces the old file, so a failure never leaves a
half-written or missing file behind.

The format is documented in ``docs/SCENARIO_FORMAT.md``.

Examples
--------
>>> from spatial.scenario_io import load_scenario, save_scenario
>>> scenario = load_scenario("plan.json")                  # doctest: +SKIP
>>> save_scenario(scenario.with_year(2019), "plan-2019.json")  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path
from typing import IO, Any, Callable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from boundaries import DEFAULT_YEAR
from boundaries.config import DEFAULT_GEOGRAPHY, GEOGRAPHIES, default_year
from boundaries.files import TextEncodingError, atomic_path, decode_text
from boundaries.files import atomic_write as _atomic_write

from .checks import RULES, ScenarioReport
from .errors import AssignmentError, FootprintError, ScenarioError, ScenarioExistsError, ScenarioFormatError, \
    UnknownCodeError
from .footprints import Footprint, Scenario
from .geometry import dissolve
from .index import UnitIndex, normalise_code
from .text import csv_cell, uncsv_cell
from .thresholds import LEVEL_ORDER, ALL_LEVELS, LEVELS, Thresholds

__all__ = [
    "FORMAT",
    "VERSION",
    "MAX_BYTES",
    "scenario_to_dict",
    "scenario_from_dict",
    "dumps",
    "loads",
    "load_scenario",
    "save_scenario",
    "remove_orphan_temps",
    "validate_members",
    "assignment_from_csv",
    "assignment_to_csv",
    "footprints_frame",
    "export_geojson",
    "export_gpkg",
    "atomic_write",
]

#: Value of the ``format`` field of every scenario file.
FORMAT = "footprints-scenario"
#: Newest format version this code reads.  Files are written in the lowest version that holds
#: them: 1 for ordinary 2018 London plans, 2 when a footprint has a ``kind``, 3 when the scenario is of
#: another geography or region (top-level ``geography`` "2018" | "2024" and ``region``), so older
#: Footprints keep reading the plans they understand.
VERSION = 3
#: Fields added in each version after 1 (footprint fields).
_FP_KEYS_SINCE = {"kind": 2}
#: Largest scenario or assignment file read (bytes); checked before parsing.
MAX_BYTES = 20 * 1024 * 1024

_TOP_KEYS = ("format", "version", "name", "year", "description", "source", "thresholds", "footprints")
_TOP_KEYS_V3 = _TOP_KEYS + ("geography", "region")
_FP_KEYS = ("name", "level", "members", "parent", "notes", "core_providers", "kind")
_FOOTPRINT_WHERE = re.compile(r"^footprint '(.*)'$")


# --- atomic writes ---------------------------------------------------------------------------

def atomic_write(path: str | os.PathLike, write: Callable[[IO[str]], None], *, encoding: str = "utf-8",
                 newline: str | None = "\n", replace: Callable[[Path], None] | None = None) -> Path:
    """Write a text file atomically (:func:`boundaries.files.atomic_write`; a missing folder is a ScenarioError)."""
    return _atomic_write(path, write, encoding=encoding, newline=newline, replace=replace, error=ScenarioError)


# --- scenario <-> dict -----------------------------------------------------------------------

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


def _at(where: str | None, field: str) -> str:
    return f"{where}: {field}" if where else field


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


def _relocate(exc: ScenarioError, where: str) -> ScenarioError:
    """The same error with ``where`` (file name and field path) in front."""
    if isinstance(exc, UnknownCodeError):
        return UnknownCodeError(exc.codes, exc.suggestions, where=where)
    return type(exc)(exc.message, where=where, fix=exc.fix)


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


# --- JSON text and files ---------------------------------------------------------------------

def dumps(scenario: Scenario, *, indent: int | None = 2) -> str:
    """The scenario as JSON text (UTF-8 safe, non-ASCII kept as is)."""
    return json.dumps(scenario_to_dict(scenario), indent=indent, ensure_ascii=False) + "\n"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid JSON number")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"the key {k!r} appears twice in one object")
        out[k] = v
    return out


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _parse_json(text: str, where: str | None) -> Any:
    label = where or "scenario text"
    if not text.strip():
        raise ScenarioFormatError("the file is empty", where=label, fix="save the scenario again from Footprints")
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise ScenarioFormatError(f"not valid JSON: {exc.msg}", where=f"{label}, line {exc.lineno}, column {exc.colno}",
                                  fix="repair the JSON (a missing comma, quote or bracket near that place)") from exc
    except RecursionError as exc:
        raise ScenarioFormatError("the JSON is nested too deeply to be a scenario", where=label,
                                  fix="a scenario file nests at most four levels; check the file is the right one"
                                  ) from exc
    except ValueError as exc:  # NaN/Infinity or a duplicate key
        raise ScenarioFormatError(f"not valid JSON: {exc}", where=label,
                                  fix="write plain numbers and each key once per object") from exc


def loads(text: str | bytes, *, where: str | None = None) -> Scenario:
    """Parse scenario JSON text (see :func:`scenario_from_dict` for the errors).

    ``bytes`` must be UTF-8 (a byte-order mark is allowed).
    """
    if isinstance(text, (bytes, bytearray)):
        text = _decode_utf8(bytes(text), where or "scenario text")
    if len(text) > MAX_BYTES:
        raise ScenarioFormatError(f"the text is {len(text):,} characters, over the limit of {MAX_BYTES:,}",
                                  where=where or "scenario text", fix="a scenario is normally a few kilobytes; "
                                  "list boroughs or MSOAs rather than every unit")
    return scenario_from_dict(_parse_json(text.lstrip("\ufeff"), where), where=where)


def _decode_utf8(raw: bytes, where: str) -> str:
    try:
        return decode_text(raw, where=where, utf16=False)
    except TextEncodingError as exc:
        raise ScenarioFormatError(exc.message, where=exc.where, fix=exc.fix) from exc


def _read_bytes(path: str | os.PathLike, *, kind: str, error: type[ScenarioError] = ScenarioFormatError) -> bytes:
    p = Path(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise ScenarioError(f"no such {kind} file", where=str(p), fix="check the path") from None
    except OSError as exc:
        raise ScenarioError(f"cannot read the {kind} file ({exc.strerror})", where=str(p),
                            fix="check the path and its permissions") from exc
    if not p.is_file():
        raise ScenarioError("not a file", where=str(p), fix=f"give the path of a {kind} file")
    if size > MAX_BYTES:
        raise error(f"the file is {size:,} bytes, over the limit of {MAX_BYTES:,}", where=str(p),
                    fix=f"check this is a {kind} file; scenarios list boroughs or MSOAs rather than every unit")
    try:
        return p.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"cannot read the {kind} file ({exc.strerror})", where=str(p),
                            fix="check the path and its permissions") from exc


def load_scenario(path: str | os.PathLike) -> Scenario:
    """Read a scenario file.

    The file size is checked before reading (:data:`MAX_BYTES`); every error
    names the file and the line/column or field at fault.

    Raises
    ------
    ScenarioError
        Missing or unreadable file.
    ScenarioFormatError, FootprintError, ThresholdError
        See :func:`scenario_from_dict`.
    """
    raw = _read_bytes(path, kind="scenario")
    where = str(path)
    return loads(_decode_utf8(raw, where), where=where)


def save_scenario(scenario: Scenario, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a scenario file atomically (see :func:`atomic_write`).

    The old file is replaced only once the new one is completely on disk,
    and only when it holds the same scenario (the same name) or ``overwrite``
    is true: two names that map to one file (``SWL/Merton`` and
    ``SWL-Merton``, or names alike in their first 80 characters) never
    replace each other silently.  A new file is created with a hard link, so
    it never replaces one another process created meanwhile.  Temporary files
    of killed saves (older than :data:`spatial.limits.ORPHAN_TMP_SECONDS`)
    are removed first.

    Raises
    ------
    ScenarioExistsError
        The file holds another scenario, or something that is not a scenario,
        and ``overwrite`` is false.
    """
    path = Path(path)
    data = scenario_to_dict(scenario)
    remove_orphan_temps(path.parent if str(path.parent) else Path("."))

    def write(f: IO[str]) -> None:
        json.dump(data, f, indent=2, ensure_ascii=False)
        f.write("\n")

    if overwrite:
        return atomic_write(path, write)
    return atomic_write(path, write, replace=lambda tmp: _replace_own(tmp, path, scenario.name))


def _held_name(path: Path) -> str | None:
    """Name of the scenario in ``path``; ``None`` when nothing is there; raises when it is not a scenario."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return loads(raw, where=str(path)).name
    except ScenarioError as exc:
        raise ScenarioExistsError(f"the file exists and is not a Footprints scenario ({exc.message})",
                                  where=str(path), fix="save under another name, or choose to replace it "
                                  "(overwrite) if it may be lost") from exc


def _replace_own(tmp: Path, path: Path, name: str) -> None:
    while True:
        if not os.path.lexists(path):
            try:
                os.link(tmp, path)  # fails if the file appeared meanwhile: never replaces it
                return
            except FileExistsError:
                continue
            except OSError:  # pragma: no cover - file systems without hard links
                pass
        if path.is_symlink():  # replacing a link loses nothing: the file it points to is kept
            os.replace(tmp, path)
            return
        held = _held_name(path)
        if held is not None and held != name:
            raise ScenarioExistsError(
                f"the file holds another scenario, {held!r}; saving {name!r} would replace it", where=str(path),
                fix="save under another name, or choose to replace it (overwrite)")
        os.replace(tmp, path)
        return


_ORPHAN = re.compile(r"^\..+\.json\.[^.]+\.tmp$")


def remove_orphan_temps(folder: str | os.PathLike) -> int:
    """Remove hidden ``.<name>.json.<random>.tmp`` files of killed saves; return how many.

    Only files older than :data:`spatial.limits.ORPHAN_TMP_SECONDS` go, so a
    save still writing in another process keeps its file.
    """
    import time

    from .limits import ORPHAN_TMP_SECONDS

    n, now = 0, time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        if not _ORPHAN.match(entry.name):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and now - entry.stat(follow_symlinks=False).st_mtime > \
                    ORPHAN_TMP_SECONDS:
                os.unlink(entry.path)
                n += 1
        except OSError:
            continue
    return n


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


# --- assignment CSV --------------------------------------------------------------------------

_CODE_COLUMNS = ("unit_code", "code", "unit", "geoid")
_FOOTPRINT_COLUMNS = ("footprint", "assignment", "district")


def _header_key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().strip("\ufeff").strip().lower())


def _decode_csv(raw: bytes, where: str) -> str:
    try:
        return decode_text(raw, where=where, fix="save the file as 'CSV UTF-8' (Excel) or UTF-8")
    except TextEncodingError as exc:
        raise AssignmentError(exc.message, where=exc.where, fix=exc.fix) from exc


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _one_line_per_record(row: list[str], first: int, last: int, where: str) -> None:
    """Refuse a record that spans lines: an unbalanced quote would swallow the rows below into one cell."""
    if last > first or any("\n" in c or "\r" in c for c in row):
        span = f"lines {first}-{last}" if last > first else f"line {first}"
        raise AssignmentError(
            f"malformed CSV: the record starting on line {first} runs over {span} (an unbalanced quote \" or a "
            f"line break inside a quoted cell), so {max(last - first, 1)} line(s) would become part of one cell "
            f"and their rows would be lost", where=f"{where}, line {first}",
            fix="close the quote on that line, or remove it; a name holds no line break")


def assignment_from_csv(
    path_or_text: str | os.PathLike,
    *,
    index: UnitIndex,
    level: str = "multi_borough",
    name: str | None = None,
    year: int = DEFAULT_YEAR,
) -> Scenario:
    """Read an assignment CSV (``unit_code,footprint``) into a scenario.

    One row assigns one code to one footprint, as redistricting tools
    exchange plans.  Codes are usually LSOA (unit) codes but may be any code
    the index knows (MSOA, borough, CCG, STP).  Optional columns ``level``
    (the footprint's level, default ``level``) and ``parent``.  A blank
    footprint leaves the unit unassigned.

    Parameters
    ----------
    path_or_text : str or path-like
        A path, or the CSV text itself (any ``str`` containing a line break).
    index : UnitIndex
        To check the codes.
    level : str
        Level of the footprints when the file has no ``level`` column.
    name : str, optional
        Scenario name (default: the file name without extension).
    year : int
        Population year of the scenario.

    Returns
    -------
    Scenario

    Raises
    ------
    AssignmentError
        Missing columns (naming those found and those needed), blank codes
        (with line numbers), a footprint given two levels or parents, not
        UTF-8/UTF-16 text.
    UnknownCodeError
        Codes the index does not know, with line numbers and the closest codes.
    """
    if isinstance(path_or_text, str) and ("\n" in path_or_text or "\r" in path_or_text):
        text, where = path_or_text, "assignment CSV"
        default_name = "assignment"
        if len(text) > MAX_BYTES:
            raise AssignmentError(f"the text is {len(text):,} characters, over the limit of {MAX_BYTES:,}",
                                  where=where, fix="split the plan")
    else:
        where = str(path_or_text)
        text = _decode_csv(_read_bytes(path_or_text, kind="assignment CSV", error=AssignmentError), where)
        default_name = Path(path_or_text).stem
    if level not in LEVEL_ORDER:
        raise FootprintError(f"unknown level {level!r}", where="level", fix=f"use one of {', '.join(ALL_LEVELS)}")
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise AssignmentError("the file is empty or its first line is blank", where=where,
                              fix="start with a header line: unit_code,footprint")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(lines[0]), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:  # pragma: no cover - a header line is rarely malformed
        raise AssignmentError(f"cannot read the header: {exc}", where=f"{where}, line 1") from exc
    _one_line_per_record(header, 1, reader.line_num, where)
    keys = [_header_key(h) for h in header]

    def column(options: tuple[str, ...]) -> int | None:
        for opt in options:
            if opt in keys:
                return keys.index(opt)
        return None

    c_code, c_fp = column(_CODE_COLUMNS), column(_FOOTPRINT_COLUMNS)
    c_level, c_parent = column(("level",)), column(("parent",))
    if c_code is None or c_fp is None:
        found = ", ".join(repr(h.strip()) for h in header) or "none"
        raise AssignmentError(f"missing column(s): columns found are {found}; needed are 'unit_code' and "
                              f"'footprint' (optional: 'level', 'parent')", where=f"{where}, line 1",
                              fix="name the header columns unit_code,footprint")
    rows: dict[str, dict] = {}
    codes_at: dict[str, list[int]] = {}
    blank: list[int] = []
    try:
        last = reader.line_num
        for row in reader:
            lineno = reader.line_num
            _one_line_per_record(row, last + 1, lineno, where)
            last = lineno
            if not any(cell.strip() for cell in row):
                continue
            cell = lambda c: uncsv_cell(row[c].strip()).strip() if c is not None and c < len(row) else ""  # noqa: E731
            code, fp_name = normalise_code(cell(c_code)), cell(c_fp)
            if not code:
                blank.append(lineno)
                continue
            if not fp_name:
                continue
            fp_level = cell(c_level) or level
            if fp_level not in LEVEL_ORDER:
                raise FootprintError(f"unknown level {fp_level!r}", where=f"{where}, line {lineno}, column 'level'",
                                     fix=f"use one of {', '.join(ALL_LEVELS)}")
            entry = rows.setdefault(fp_name, {"level": fp_level, "parent": cell(c_parent) or None,
                                              "members": [], "line": lineno})
            if entry["level"] != fp_level:
                raise AssignmentError(f"footprint {fp_name!r} is {entry['level']} on line {entry['line']} but "
                                      f"{fp_level} here", where=f"{where}, line {lineno}",
                                      fix="give each footprint one level")
            parent = cell(c_parent) or None
            if c_parent is not None and parent != entry["parent"]:
                raise AssignmentError(f"footprint {fp_name!r} has parent {entry['parent']!r} on line "
                                      f"{entry['line']} but {parent!r} here", where=f"{where}, line {lineno}",
                                      fix="give each footprint one parent")
            entry["members"].append(code)
            codes_at.setdefault(code, []).append(lineno)
    except csv.Error as exc:
        raise AssignmentError(f"malformed CSV: {exc} (an unbalanced quote \" from line {last + 1} on)",
                              where=f"{where}, line {last + 1}",
                              fix="close the quote on that line, or remove it; a name holds no line break"
                              ) from exc
    if blank:
        shown = ", ".join(map(str, blank[:20])) + (f" and {len(blank) - 20} more" if len(blank) > 20 else "")
        raise AssignmentError(f"{len(blank)} row(s) with a blank unit code", where=f"{where}, line(s) {shown}",
                              fix="fill in the code or delete the row")
    unknown = {c: index.suggest(c) for c in codes_at if index.resolve(c) is None}
    if unknown:
        lines_txt = ", ".join(str(codes_at[c][0]) for c in list(unknown)[:10])
        raise UnknownCodeError(list(unknown), unknown, where=f"{where}, line(s) {lines_txt}")
    if not rows:
        raise AssignmentError("no row assigns a unit to a footprint", where=where,
                              fix="add rows of unit_code,footprint")
    footprints = tuple(Footprint(n, e["level"], tuple(e["members"]), parent=e["parent"]) for n, e in rows.items())
    try:
        return Scenario(name or default_name, footprints, year=int(year),
                        description=f"imported from the assignment CSV {Path(where).name}")
    except ScenarioError as exc:
        raise _relocate(exc, _at(where, exc.where or "")) from exc


def assignment_to_csv(scenario: Scenario, index: UnitIndex, level: str | None = None,
                      path: str | os.PathLike | None = None) -> str:
    """Write a scenario as an assignment CSV, one row per unit per footprint.

    Members are expanded to unit (LSOA) codes.  Columns: ``unit_code,
    footprint`` and, when ``level`` is ``None`` (all levels), ``level``;
    ``parent`` when any footprint written has one.

    Parameters
    ----------
    scenario : Scenario
    index : UnitIndex
    level : str, optional
        Only footprints of this level (and no ``level`` column).
    path : path-like, optional
        Also write the text there, atomically.

    Returns
    -------
    str
        The CSV text (``\\n`` line ends, no BOM).
    """
    if level is not None and level not in LEVEL_ORDER:
        raise FootprintError(f"unknown level {level!r}", where="level", fix=f"use one of {', '.join(ALL_LEVELS)}")
    fps = [fp for fp in scenario.footprints if level is None or fp.level == level]
    members = validate_members(scenario, index)
    with_parent = any(fp.parent for fp in fps)
    header = ["unit_code", "footprint"] + (["level"] if level is None else []) + (["parent"] if with_parent else [])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for fp in fps:
        extra = ([fp.level] if level is None else []) + ([fp.parent or ""] if with_parent else [])
        # names are neutralised for spreadsheets (spatial.text.csv_cell); the reader undoes it
        for code in index.codes[members[fp.name]]:
            w.writerow([str(code), *map(csv_cell, (fp.name, *extra))])
    text = buf.getvalue()
    if path is not None:
        atomic_write(path, lambda f: f.write(text))
    return text


# --- exports ---------------------------------------------------------------------------------

def footprints_frame(report: ScenarioReport, index: UnitIndex) -> gpd.GeoDataFrame:
    """One row per footprint with its metrics and dissolved shape (EPSG:27700).

    Columns: ``scenario, year, name, level, parent, population, n_units,
    n_boroughs, boroughs, ccgs, stps, contiguous, passed``, then for every rule
    ``<rule>_passed`` (nullable boolean: empty when the rule gives no verdict),
    ``<rule>_value`` (number) and ``<rule>_reason``; ``geometry`` is the union
    of the footprint's units, computed with :func:`shapely.coverage_union_all`
    on the unit coverage.

    Parameters
    ----------
    report : ScenarioReport
    index : UnitIndex
        The index the report was computed with (it holds the unit geometry).
    """
    geoms = index.geo.units.geometry.values
    rows, shapes = [], []
    for r in report.footprints:
        units = r.units if r.units is not None else index.expand(report.scenario.get(r.name).members)
        shapes.append(dissolve(geoms, units))
        row: dict[str, Any] = {
            "scenario": report.scenario.name, "year": int(report.scenario.year), "name": r.name,
            "level": r.level, "parent": r.parent or "", "population": int(r.population), "n_units": int(r.n_units),
            "n_boroughs": len(r.boroughs), "boroughs": ";".join(r.boroughs), "ccgs": ";".join(r.ccgs),
            "stps": ";".join(r.stps), "contiguous": bool(r.contiguous), "passed": bool(r.passed),
        }
        by_rule = {c.rule: c for c in r.checks}
        for rule in list(RULES) + [k for k in by_rule if k not in RULES]:
            c = by_rule.get(rule)
            row[f"{rule}_passed"] = None if c is None else c.passed
            value = None if c is None else c.value
            row[f"{rule}_value"] = float(value) if isinstance(value, (int, float, np.number)) and \
                not isinstance(value, bool) else np.nan
            row[f"{rule}_reason"] = "" if c is None else c.reason
        rows.append(row)
    frame = pd.DataFrame(rows)
    for col in frame.columns:
        if col.endswith("_passed"):
            frame[col] = frame[col].astype("boolean")
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(shapes, crs=index.geo.units.crs).values,
                           crs=index.geo.units.crs)
    gdf.attrs.update({"scenario": report.scenario.name, "year": int(report.scenario.year),
                      "source": report.scenario.source})
    return gdf


def _metadata(frame: gpd.GeoDataFrame) -> dict[str, str]:
    return {k: str(v) for k, v in frame.attrs.items() if v not in (None, "")}


def _write_frame(frame: gpd.GeoDataFrame, path: str | os.PathLike, driver: str, suffix: str, **kw) -> Path:
    path = Path(path)
    with atomic_path(path, suffix=suffix, error=ScenarioError) as tmp:
        tmp.unlink()  # the driver creates the file itself
        try:
            frame.to_file(tmp, driver=driver, engine="pyogrio", **kw)
        except Exception as exc:
            raise ScenarioError(f"could not write the {driver} file ({exc})", where=str(path),
                                fix="check the folder is writable and the disk not full") from exc
    return path


def export_geojson(frame: gpd.GeoDataFrame, path: str | os.PathLike) -> Path:
    """Write footprints as GeoJSON in EPSG:4326 (as RFC 7946 requires), atomically."""
    return _write_frame(frame.to_crs(4326), path, "GeoJSON", ".geojson", RFC7946="YES")


def export_gpkg(frame: gpd.GeoDataFrame, path: str | os.PathLike, *, layer: str = "footprints") -> Path:
    """Write footprints as a GeoPackage layer in EPSG:27700 (opens in QGIS), atomically."""
    return _write_frame(frame.to_crs(27700), path, "GPKG", ".gpkg", layer=layer,
                        layer_metadata=_metadata(frame) or None, promote_to_multi=True)
