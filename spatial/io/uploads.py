"""Uploaded scenario files: a scenario JSON or an assignment CSV given as bytes, read strictly.

An upload is untrusted: its name is never used as a path (only its base name
and extension), its size is checked before anything is decoded
(:data:`spatial.limits.MAX_SCENARIO_BYTES`), its bytes are decoded by the one
text decoder (:func:`boundaries.files.decode_text`) and every member code is
checked against the unit index, so the page that called it can keep the
current scenario and show the error.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from boundaries.files import TextEncodingError, decode_text

from ..errors import ScenarioError, ScenarioFormatError, UnknownCodeError
from ..footprints import Scenario
from ..limits import MAX_SCENARIO_BYTES
from .assignment_csv import assignment_from_csv
from .scenario_dict import validate_members
from .scenario_json import loads

if TYPE_CHECKING:  # pragma: no cover - spatial.api imports the whole engine
    from ..api import Engine

__all__ = ["MAX_UPLOAD_BYTES", "scenario_from_upload"]

#: Largest upload accepted (bytes): the scenario reader's limit, :data:`spatial.limits.MAX_SCENARIO_BYTES`.
MAX_UPLOAD_BYTES = MAX_SCENARIO_BYTES

_FIX_TEXT = "upload a scenario JSON (.json) or an assignment CSV (.csv) saved as UTF-8"


def _decode_text(data: bytes, where: str) -> str:
    """The upload as text (UTF-8, with or without a byte-order mark, or BOM-marked UTF-16).

    Raises
    ------
    ScenarioFormatError
        "not a text file (byte 0x.. at position N)" for bytes that are not such text (a gzip, a
        spreadsheet, a picture), naming the line and column of the first bad byte.
    """
    try:
        return decode_text(data, where=where, fix=_FIX_TEXT)
    except TextEncodingError as exc:
        if exc.byte is None:  # broken UTF-16
            raise ScenarioFormatError(exc.message, where=exc.where, fix=exc.fix) from exc
        position = exc.position + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        raise ScenarioFormatError(f"not a text file (byte 0x{exc.byte:02x} at position {position:,})",
                                  where=exc.where, fix=exc.fix) from exc


def scenario_from_upload(filename: str, data: bytes, engine: Engine, *, level: str = "multi_borough") -> Scenario:
    """Read an uploaded scenario JSON or assignment CSV, strictly.

    Parameters
    ----------
    filename : str
        As uploaded (only its extension and name are used; it is never a path).
    data : bytes
    engine : Engine
        To check every member code.
    level : str
        Level of the footprints of an assignment CSV without a ``level`` column.

    Returns
    -------
    Scenario
        The uploaded plan, every member code checked against the engine's index.

    Raises
    ------
    ScenarioFormatError
        Empty, oversized (> 20 MB), not text, not JSON or CSV, a newer format version.
    ScenarioError
        Any other problem (unknown codes with suggestions, bad fields...), naming the file.
    """
    where = Path(str(filename).replace("\\", "/")).name or "upload"
    if len(data) > MAX_UPLOAD_BYTES:
        raise ScenarioFormatError(
            f"the file is {len(data) / 1e6:.1f} MB, over the limit of {MAX_UPLOAD_BYTES // (1024 * 1024)} MB",
            where=where, fix="a scenario is normally a few kilobytes: check it is the right file, or list "
                             "boroughs or MSOAs rather than every unit")
    if not data.strip():
        raise ScenarioFormatError("the file is empty", where=where,
                                  fix="upload a scenario saved from Footprints (.json) or an assignment CSV")
    ext = Path(where).suffix.lower()
    if ext not in (".json", ".csv", ".txt"):
        raise ScenarioFormatError(
            f"{ext or 'a file without extension'} is not a format this page reads", where=where,
            fix="upload a scenario JSON (.json) or an assignment CSV (.csv, columns unit_code,footprint); "
                "GeoJSON and GeoPackage are export formats")
    text = _decode_text(data, where)
    if ext == ".json" or (ext == ".txt" and text.lstrip().startswith("{")):
        scenario = loads(text, where=where)
        validate_members(scenario, engine.for_year(scenario.year).index, where=where)
        return scenario
    if not text.endswith("\n"):
        text += "\n"  # assignment_from_csv reads a str holding a line break as the CSV text
    try:
        return assignment_from_csv(text, index=engine.index, level=level, name=Path(where).stem)
    except UnknownCodeError as exc:
        raise UnknownCodeError(exc.codes, exc.suggestions, where=_rewhere(exc.where, where)) from exc
    except ScenarioError as exc:
        raise type(exc)(exc.message, where=_rewhere(exc.where, where), fix=exc.fix) from exc


def _rewhere(loc: str | None, filename: str) -> str:
    """The reader's location with the uploaded file's name in place of 'assignment CSV'."""
    return (loc or "").replace("assignment CSV", filename) or filename
