"""Scenario files as JSON text: dumps/loads, load_scenario/save_scenario, orphan temporary files.

Every save is atomic (:func:`boundaries.files.atomic_write`): the new content
goes to a temporary file in the destination folder, is flushed to disk, and
only then replaces the old file, so a failure never leaves a half-written or
missing file behind.  A save never replaces another scenario's file unless
asked to (:func:`save_scenario`).

Examples
--------
>>> from spatial.io import load_scenario, save_scenario
>>> scenario = load_scenario("plan.json")                  # doctest: +SKIP
>>> save_scenario(scenario.with_year(2019), "plan-2019.json")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import IO, Any

from boundaries.files import TextEncodingError, decode_text

from ..errors import ScenarioError, ScenarioExistsError, ScenarioFormatError
from ..footprints import Scenario
from ..limits import MAX_SCENARIO_CHARS
from ._files import atomic_write, read_bytes
from .scenario_dict import scenario_from_dict, scenario_to_dict

__all__ = ["dumps", "loads", "load_scenario", "save_scenario", "remove_orphan_temps"]


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
    if len(text) > MAX_SCENARIO_CHARS:
        raise ScenarioFormatError(f"the text is {len(text):,} characters, over the limit of {MAX_SCENARIO_CHARS:,}",
                                  where=where or "scenario text", fix="a scenario is normally a few kilobytes; "
                                  "list boroughs or MSOAs rather than every unit")
    return scenario_from_dict(_parse_json(text.lstrip("\ufeff"), where), where=where)


def _decode_utf8(raw: bytes, where: str) -> str:
    try:
        return decode_text(raw, where=where, utf16=False)
    except TextEncodingError as exc:
        raise ScenarioFormatError(exc.message, where=exc.where, fix=exc.fix) from exc

def load_scenario(path: str | os.PathLike) -> Scenario:
    """Read a scenario file.

    The file size is checked before reading (:data:`spatial.limits.MAX_SCENARIO_BYTES`); every error
    names the file and the line/column or field at fault.

    Raises
    ------
    ScenarioError
        Missing or unreadable file.
    ScenarioFormatError, FootprintError, ThresholdError
        See :func:`scenario_from_dict`.
    """
    raw = read_bytes(path, kind="scenario")
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

    from ..limits import ORPHAN_TMP_SECONDS

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
