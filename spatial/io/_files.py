"""Private helpers of the scenario readers and writers: locations, error relocation, bounded reads.

Every write goes through :func:`atomic_write`, the one atomic write of
:mod:`boundaries.files` with a missing folder reported as a
:class:`~spatial.errors.ScenarioError`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Callable

from boundaries.files import atomic_write as _atomic_write

from ..errors import ScenarioError, ScenarioFormatError, UnknownCodeError
from ..limits import MAX_SCENARIO_BYTES

__all__ = ["atomic_write", "at", "relocate", "read_bytes"]


def atomic_write(path: str | os.PathLike, write: Callable[[IO[str]], None], *, encoding: str = "utf-8",
                 newline: str | None = "\n", replace: Callable[[Path], None] | None = None) -> Path:
    """Write a text file atomically (:func:`boundaries.files.atomic_write`; a missing folder is a ScenarioError).

    Parameters
    ----------
    path : path-like
        Destination.
    write : callable
        Called with the open temporary text file.
    encoding, newline : str
        Passed to :func:`open`.
    replace : callable, optional
        Moves the finished temporary file into place instead of :func:`os.replace`.

    Returns
    -------
    pathlib.Path
        The destination.
    """
    return _atomic_write(path, write, encoding=encoding, newline=newline, replace=replace, error=ScenarioError)


def at(where: str | None, field: str) -> str:
    """``"<where>: <field>"``, or ``field`` alone when there is no ``where``."""
    return f"{where}: {field}" if where else field


def relocate(exc: ScenarioError, where: str) -> ScenarioError:
    """The same error with ``where`` (file name and field path) in front."""
    if isinstance(exc, UnknownCodeError):
        return UnknownCodeError(exc.codes, exc.suggestions, where=where)
    return type(exc)(exc.message, where=where, fix=exc.fix)


def read_bytes(path: str | os.PathLike, *, kind: str, error: type[ScenarioError] = ScenarioFormatError) -> bytes:
    """The bytes of a user-given file, refused from its size before reading.

    Parameters
    ----------
    path : path-like
    kind : str
        What the file should be (``"scenario"``, ``"assignment CSV"``), for the messages.
    error : type
        Raised for a file over :data:`spatial.limits.MAX_SCENARIO_BYTES`.

    Raises
    ------
    ScenarioError
        A missing, unreadable or not regular file.
    """
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
    if size > MAX_SCENARIO_BYTES:
        raise error(f"the file is {size:,} bytes, over the limit of {MAX_SCENARIO_BYTES:,}", where=str(p),
                    fix=f"check this is a {kind} file; scenarios list boroughs or MSOAs rather than every unit")
    try:
        return p.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"cannot read the {kind} file ({exc.strerror})", where=str(p),
                            fix="check the path and its permissions") from exc
