"""Typed errors of the scenario store.

Every one derives from :class:`boundaries.errors.FootprintsError` and says
what went wrong, which database or scenario, and what to do.
"""

from __future__ import annotations

from boundaries.errors import FootprintsError

__all__ = [
    "StoreError",
    "NotFoundError",
    "NameTakenError",
    "ConflictError",
    "StoreUnavailableError",
    "StoreCorruptError",
]


class StoreError(FootprintsError):
    """Base of every scenario-store problem.

    Parameters
    ----------
    message : str
        What is wrong.
    where : str, optional
        The database (password hidden) or scenario concerned.
    fix : str, optional
        What to do about it.
    """

    def __init__(self, message: str, *, where: str | None = None, fix: str | None = None) -> None:
        self.message, self.where, self.fix = message, where, fix
        text = f"{where}: {message}" if where else message
        if fix:
            text += f". Fix: {fix}"
        super().__init__(text)


class NotFoundError(StoreError):
    """No such scenario or version for this user.

    The message is the same whether the id is malformed, unknown, deleted or
    private to someone else, so a crafted link learns nothing.
    """

    def __init__(self) -> None:
        super().__init__("scenario not found")


class NameTakenError(StoreError):
    """Another live scenario already has this name (names are never overwritten)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"a scenario named {name!r} already exists", where="save as",
                         fix="choose another name, or open that scenario and save a new version of it")


class ConflictError(StoreError):
    """The save was based on version ``based_on`` but someone saved ``latest`` meanwhile.

    Attributes
    ----------
    scenario_id : str
    based_on : int
        Version the user started from.
    latest : int
        Latest version in the store now.
    latest_author : str
        Who saved it.
    """

    def __init__(self, scenario_id: str, based_on: int, latest: int, latest_author: str = "") -> None:
        self.scenario_id, self.based_on, self.latest, self.latest_author = scenario_id, based_on, latest, latest_author
        by = f" by {latest_author}" if latest_author else ""
        super().__init__(f"version {latest} was saved{by} after the version {based_on} you started from; "
                         "nothing was overwritten", where="save",
                         fix="compare the two, then keep yours as a new version or take theirs")


class StoreUnavailableError(StoreError):
    """The database is locked, read-only, full, unreachable or otherwise refused the operation.

    Attributes
    ----------
    reason : str
        ``locked``, ``read-only``, ``full``, ``unreachable`` or ``failed``.
    """

    def __init__(self, reason: str, message: str, *, where: str, fix: str) -> None:
        self.reason = reason
        super().__init__(message, where=where, fix=fix)


class StoreCorruptError(StoreError):
    """A stored version's body does not match its SHA-256 (damaged outside Footprints)."""
