"""Assignment CSVs (``unit_code,footprint``): the plan exchange format of redistricting tools.

Reading is strict (every error names the file, the line and the fix); names
are neutralised for spreadsheets on writing (:func:`spatial.text.csv_cell`)
and restored on reading.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

from boundaries import DEFAULT_YEAR
from boundaries.files import TextEncodingError, decode_text

from ..errors import AssignmentError, FootprintError, ScenarioError, UnknownCodeError
from ..footprints import Footprint, Scenario
from ..index import UnitIndex, normalise_code
from ..limits import MAX_SCENARIO_CHARS
from ..text import csv_cell, uncsv_cell
from ..thresholds import ALL_LEVELS, LEVEL_ORDER
from ._files import at as _at
from ._files import atomic_write, read_bytes
from ._files import relocate as _relocate
from .scenario_dict import validate_members

__all__ = ["assignment_from_csv", "assignment_to_csv"]

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
        if len(text) > MAX_SCENARIO_CHARS:
            raise AssignmentError(f"the text is {len(text):,} characters, over the limit of {MAX_SCENARIO_CHARS:,}",
                                  where=where, fix="split the plan")
    else:
        where = str(path_or_text)
        text = _decode_csv(read_bytes(path_or_text, kind="assignment CSV", error=AssignmentError), where)
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
