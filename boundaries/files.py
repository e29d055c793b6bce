"""Files written and read safely: the one atomic write and the one text decoder.

Every file Footprints writes (scenarios, exports, caches, downloads, map data)
goes through :func:`atomic_write` or :func:`atomic_path`: the bytes go to a
temporary file in the destination folder, are flushed and fsynced, and only
then moved over the destination with :func:`os.replace` (atomic on POSIX and
Windows), after which the folder itself is fsynced.  A failure at any point
(full disk, Ctrl-C, a crash) leaves the destination exactly as it was and no
temporary file behind.

Every uploaded or user-given text file is decoded by :func:`decode_text`:
UTF-8 with or without a byte-order mark, or UTF-16 when it starts with a
UTF-16 byte-order mark (what Excel's "Unicode text" writes); anything else is
refused with the line and column of the first bad byte.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import IO, Callable, Iterator

from .errors import FootprintsError, LocatedError

__all__ = ["WriteError", "TextEncodingError", "atomic_path", "atomic_write", "atomic_write_bytes", "fsync_dir",
           "decode_text"]


class WriteError(LocatedError):
    """A file could not be written (missing folder, full disk, no permission).

    Takes ``message``, ``where`` (the file concerned) and ``fix``, as
    :class:`boundaries.errors.LocatedError`.
    """


class TextEncodingError(LocatedError):
    """Bytes that are not UTF-8 (or BOM-marked UTF-16) text (a reading problem, not a :class:`WriteError`).

    ``line`` and ``column`` (1-based) locate the first bad byte, ``position``
    is its offset in the bytes (after any byte-order mark) and ``byte`` its
    value.  Callers with their own error class re-raise with
    ``message``/``where``/``fix``.
    """

    def __init__(self, message: str, *, where: str | None = None, fix: str | None = None,
                 line: int | None = None, column: int | None = None, byte: int | None = None,
                 position: int | None = None) -> None:
        self.line, self.column, self.byte, self.position = line, column, byte, position
        super().__init__(message, where=where, fix=fix)


def fsync_dir(folder: str | os.PathLike) -> None:
    """Flush a folder's entries to disk (so a rename survives a power cut); a no-op where unsupported."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str = ".tmp", prefix: str | None = None, parents: bool = False,
                replace: Callable[[Path], None] | None = None,
                error: type[FootprintsError] = WriteError) -> Iterator[Path]:
    """A temporary path beside ``path`` that is moved over it when the block ends without error.

    The block writes the temporary file (it exists, empty; a writer that
    creates its own file may delete it first).  On a normal exit the file is
    fsynced, moved into place with ``os.replace(tmp, path)`` (or
    ``replace(tmp)``), and the folder is fsynced.  On any exception the
    temporary file is removed and ``path`` is untouched.

    Parameters
    ----------
    path : path-like
        Destination.
    suffix : str
        Suffix of the temporary file (drivers that pick a format from it need the right one).
    prefix : str, optional
        Prefix of the temporary file's name (default ``.<name>.``: hidden, and named for its destination).
    parents : bool
        Create missing parent folders (otherwise a missing folder is an ``error``).
    replace : callable, optional
        Moves the finished temporary file into place instead of :func:`os.replace`
        (e.g. to refuse replacing another file).
    error : type
        Error class raised for a missing folder; it takes ``(message, where=, fix=)``.

    Yields
    ------
    pathlib.Path
        The temporary file.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if parents:
        folder.mkdir(parents=True, exist_ok=True)
    elif not folder.is_dir():
        raise error(f"folder {str(folder)!r} does not exist", where=str(path),
                    fix="create the folder first or choose another path")
    fd, name = tempfile.mkstemp(dir=folder, prefix=prefix or f".{path.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if tmp.exists():
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        if replace is None:
            os.replace(tmp, path)
        else:
            replace(tmp)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(folder)


def atomic_write(path: str | os.PathLike, write: Callable[[IO], None], *, binary: bool = False,
                 encoding: str = "utf-8", newline: str | None = "\n", parents: bool = False,
                 replace: Callable[[Path], None] | None = None, mode: int | None = None,
                 error: type[FootprintsError] = WriteError) -> Path:
    """Write a file atomically: ``write(f)`` fills a temporary file that then replaces ``path``.

    If ``write`` (or anything after it) raises, the temporary file is removed
    and ``path`` is left exactly as it was.

    Parameters
    ----------
    path : path-like
        Destination.
    write : callable
        Called with the open temporary file (text, or bytes when ``binary``).
    binary : bool
        Open the file in binary mode.
    encoding, newline : str
        Passed to :func:`open` for text.
    parents, replace, error
        As for :func:`atomic_path`.
    mode : int, optional
        Permission bits of the finished file (``mkstemp`` makes it 0o600).

    Returns
    -------
    pathlib.Path
        The destination.
    """
    path = Path(path)
    with atomic_path(path, parents=parents, replace=replace, error=error) as tmp:
        if binary:
            with open(tmp, "wb") as f:
                write(f)
                f.flush()
        else:
            with open(tmp, "w", encoding=encoding, newline=newline) as f:
                write(f)
                f.flush()
        if mode is not None:
            os.chmod(tmp, mode)
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, parents: bool = True,
                       mode: int | None = None) -> Path:
    """Write ``data`` to ``path`` atomically (creating parent folders), see :func:`atomic_write`."""
    return atomic_write(path, lambda f: f.write(data), binary=True, parents=parents, mode=mode)


def decode_text(data: bytes, *, where: str = "file", fix: str = "save the file as UTF-8", utf16: bool = True) -> str:
    """Decode user-given bytes as text: UTF-8 (a byte-order mark is dropped) or BOM-marked UTF-16.

    Parameters
    ----------
    data : bytes
    where : str
        Names the file in the error.
    fix : str
        What the error tells the user to do.
    utf16 : bool
        Accept UTF-16 with a byte-order mark (uploads from Excel); when False it is refused as not UTF-8.

    Returns
    -------
    str
        The text, without a byte-order mark.

    Raises
    ------
    TextEncodingError
        For bytes that are not such text, naming the line and column of the first bad byte.
    """
    if utf16 and data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise TextEncodingError("broken UTF-16 text", where=where, fix=fix) from exc
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        column = exc.start - (body.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = body[exc.start]
        raise TextEncodingError(f"not UTF-8 text (byte 0x{bad:02x})", where=f"{where}, line {line}, column {column}",
                                fix=fix, line=line, column=column, byte=bad,
                                position=exc.start) from exc
