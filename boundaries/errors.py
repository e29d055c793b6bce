"""Typed exceptions for user-facing problems.

Every error says what is wrong, where (dataset, file, line or code) and how to
fix it.  Catch :class:`FootprintsError` to handle all of them; the app and the
command lines show ``str(error)`` to the user and never a traceback.
"""

from __future__ import annotations

__all__ = [
    "FootprintsError",
    "LocatedError",
    "DataError",
    "MissingDataError",
    "CorruptFileError",
    "CRSError",
    "GeometryError",
    "CodeError",
    "RecordCountError",
    "PopulationError",
    "ConsistencyError",
    "DownloadError",
    "FlowDataError",
    "FlowYearError",
    "FlowDataWarning",
]


class FootprintsError(Exception):
    """Base class of every error that Footprints reports to a user."""


class LocatedError(FootprintsError):
    """An error that names what is wrong, where, and the fix.

    The one ``(message, where, fix)`` constructor: file writes
    (:class:`boundaries.files.WriteError`), scenarios
    (:class:`spatial.errors.ScenarioError`) and the scenario store derive from it.

    Parameters
    ----------
    message : str
        What is wrong, in plain words.
    where : str, optional
        File, line, field, database or scenario concerned.
    fix : str, optional
        What to do about it.

    Notes
    -----
    The text shown to the user is ``"{where}: {message}. Fix: {fix}"``; the
    ``"{where}: "`` part is left out without a place and ``". Fix: {fix}"``
    without a fix.  ``message``, ``where`` and ``fix`` stay readable as
    attributes, so a caller can re-raise with its own class.
    """

    def __init__(self, message: str, *, where: str | None = None, fix: str | None = None) -> None:
        self.message, self.where, self.fix = message, where, fix
        text = f"{where}: {message}" if where else message
        if fix:
            text += f". Fix: {fix}"
        super().__init__(text)


class DataError(FootprintsError):
    """A data file is missing, unreadable or not what the registry expects.

    Parameters
    ----------
    message : str
        What is wrong, in plain words.
    dataset : str, optional
        Registry id of the dataset concerned.
    path : str, optional
        File concerned.
    fix : str, optional
        What the user can do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        dataset: str | None = None,
        path: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.dataset = dataset
        self.path = str(path) if path is not None else None
        self.fix = fix
        parts = []
        if dataset:
            parts.append(f"[{dataset}]")
        parts.append(message)
        if self.path:
            parts.append(f"(file: {self.path})")
        text = " ".join(parts)
        if fix:
            text += f". Fix: {fix}"
        self.message = message
        super().__init__(text)


class MissingDataError(DataError):
    """A data file or the data directory does not exist."""


class CorruptFileError(DataError):
    """A file exists but cannot be read as the expected format."""


class CRSError(DataError):
    """A layer has no coordinate reference system, or an unexpected one."""


class GeometryError(DataError):
    """Empty or unrepairable geometries."""


class CodeError(DataError):
    """Missing, malformed or duplicate area codes."""


class RecordCountError(DataError):
    """A dataset has a different number of records than the registry expects."""


class PopulationError(DataError):
    """Negative or missing population figures."""


class ConsistencyError(DataError):
    """Two datasets disagree (e.g. a unit's borough code and its location)."""


class DownloadError(DataError):
    """A download failed after its retries; nothing was written to the cache."""


class FlowDataError(DataError):
    """A flow (or trust) table that cannot be used: missing columns, blank codes,
    proportions outside [0, 1], or an MSOA whose shares add up to more than one."""


class FlowYearError(DataError):
    """A catchment year the data does not have (the message lists those it has)."""


class FlowDataWarning(UserWarning):
    """Flow data that was used with a repair or a caveat (nothing dropped silently)."""
