"""The scenario store: every save a version, conflicts reported, nothing overwritten.

A :class:`Store` wraps one database (SQLite file or PostgreSQL).  Scenarios
are kept as the documented scenario JSON (``spatial.io.dumps``), so
anything saved can be exported as a file that opens anywhere.

Rules
-----
* Saving creates version ``n + 1`` only when the save was based on ``n``, the
  latest; otherwise :class:`~spatial.errors.ConflictError` and nothing
  is written.  The check is a compare-and-set on ``scenarios.latest``
  (``UPDATE ... WHERE latest = n``) in the same transaction as the insert, so
  it holds with any number of servers on one PostgreSQL database.
* Names are unique among scenarios not in the bin (case and spacing folded);
  a save or rename to a taken name is :class:`NameTakenError`.
* Deleting moves a scenario to the bin; it can be restored for
  :data:`spatial.thresholds.STORE_BIN_DAYS` days, after which it is purged.
* A private scenario is visible to its owner only; to anyone else (and for
  any malformed, unknown or binned id) every call says "not found".

Why one module (about 500 lines): it is one class, :class:`Store`, whose methods
share its transaction and visibility helpers (the databases are in
:mod:`spatial.store.engine`, folder import/export in :mod:`spatial.store.folders`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from boundaries.errors import FootprintsError

from ..footprints import Scenario
from ..thresholds import STORE_BIN_DAYS
from .engine import describe, make_engine, migrate, unavailable
from ..errors import ConflictError, NameTakenError, NotFoundError, StoreCorruptError, StoreError
from .models import ScenarioRow, VersionRow

__all__ = ["Store", "open_store", "ScenarioInfo", "VersionInfo", "valid_id", "name_key", "MAX_NAME", "MAX_MESSAGE"]

S = ScenarioRow.__table__
V = VersionRow.__table__
_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
#: Longest scenario name, author and message kept (longer text is refused / cut).
MAX_NAME, MAX_AUTHOR, MAX_MESSAGE = 200, 200, 2000
_MAX_VERSION = 10**9


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes (stored as UTC); PostgreSQL aware ones."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def valid_id(value: Any) -> bool:
    """Whether ``value`` looks like a store id (checked before any query)."""
    return isinstance(value, str) and bool(_ID.match(value))


def name_key(name: str) -> str:
    """The name as compared for uniqueness: NFKC, case-folded, spaces collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", name)).strip().casefold()


def _clean_text(value: str, limit: int) -> str:
    """User text with control characters (except newline) removed, cut to ``limit``."""
    text = "".join(ch for ch in str(value) if ch == "\n" or unicodedata.category(ch)[0] != "C")
    return text.strip()[:limit]


def _check_name(name: str) -> str:
    clean = _clean_text(name, MAX_NAME + 1).replace("\n", " ")
    if not clean:
        raise StoreError("the scenario name is blank", where="save as", fix="give the scenario a name")
    if len(clean) > MAX_NAME:
        raise StoreError(f"the scenario name has more than {MAX_NAME} characters", where="save as",
                         fix="give a shorter name")
    return clean


def _body(scenario: Scenario, name: str) -> tuple[str, str]:
    """The version body (scenario JSON under the stored name) and its SHA-256."""
    import dataclasses

    from ..io import dumps

    text = dumps(dataclasses.replace(scenario, name=name) if scenario.name != name else scenario)
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


class ScenarioInfo(NamedTuple):
    """What the store knows about one scenario (no body).  A named tuple: lists of 10,000 build fast."""

    id: str
    name: str
    geography: str
    created: datetime
    owner: str
    private: bool
    latest: int
    updated: datetime
    updated_by: str
    deleted_at: datetime | None = None


class VersionInfo(NamedTuple):
    """One version of a scenario (no body)."""

    scenario_id: str
    number: int
    author: str
    message: str
    saved_at: datetime
    sha256: str


def _info(row) -> ScenarioInfo:
    """A ScenarioInfo from a row of the :data:`_INFO_COLS` columns (unpacked by position: lists are long)."""
    sid, name, geography, created, owner, private, latest, updated, updated_by, deleted_at = tuple(row)[:10]
    return ScenarioInfo(sid, name, geography, _utc(created), owner, bool(private), int(latest), _utc(updated),
                        updated_by, _utc(deleted_at))


def _vinfo(row) -> VersionInfo:
    return VersionInfo(row.scenario_id, int(row.number), row.author, row.message, _utc(row.saved_at), row.sha256)


_INFO_COLS = (S.c.id, S.c.name, S.c.geography, S.c.created, S.c.owner, S.c.private, S.c.latest, S.c.updated,
              S.c.updated_by, S.c.deleted_at)
_VINFO_COLS = (V.c.scenario_id, V.c.number, V.c.author, V.c.message, V.c.saved_at, V.c.sha256)


class Store:
    """Scenarios with history in one database.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        From :func:`spatial.store.engine.make_engine`, already migrated
        (:func:`open_store` does both).

    Notes
    -----
    ``user`` arguments are the signed-in user's identity (e-mail or subject)
    or ``None`` without sign-in: private scenarios are only visible to the
    user who owns them.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.where = describe(engine.url)

    # --- plumbing ----------------------------------------------------------------------------------

    @contextmanager
    def _tx(self, write: bool) -> Iterator[Connection]:
        try:
            with self.engine.connect().execution_options(write=write) as conn:
                with conn.begin():
                    yield conn
        except IntegrityError:
            raise
        except DBAPIError as exc:
            raise unavailable(exc, self.where) from exc

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @staticmethod
    def _visible(row, user: str | None, *, deleted: bool = False) -> bool:
        if row is None or (row.deleted_at is not None) != deleted:
            return False
        return not row.private or (bool(user) and row.owner == user)

    def _row(self, conn: Connection, scenario_id: Any, user: str | None, *, deleted: bool = False):
        if not valid_id(scenario_id):
            raise NotFoundError()
        row = conn.execute(select(*_INFO_COLS).where(S.c.id == scenario_id)).first()
        if not self._visible(row, user, deleted=deleted):
            raise NotFoundError()
        return row

    # --- reading -----------------------------------------------------------------------------------

    def info(self, scenario_id: str, *, user: str | None = None) -> ScenarioInfo:
        """The scenario's details, or :class:`NotFoundError`."""
        with self._tx(False) as conn:
            return _info(self._row(conn, scenario_id, user))

    def list(self, *, user: str | None = None, limit: int | None = None, offset: int = 0, search: str | None = None,
             deleted: bool = False) -> list[ScenarioInfo]:
        """Scenarios this user can see, most recently saved first (``deleted=True``: the bin).

        Parameters
        ----------
        limit, offset : int
            One page of the list (the Scenarios page shows 500 at a time).
        search : str, optional
            Only names containing this text (case and spacing folded; ``%`` and ``_`` are literal).
        """
        q = select(*_INFO_COLS)
        if search and search.strip():
            q = q.where(S.c.name_key.contains(name_key(search), autoescape=True))
        q = q.where(S.c.deleted_at.is_not(None)) if deleted else q.where(S.c.deleted_at.is_(None))
        q = q.where((S.c.private.is_(False)) | (S.c.owner == user)) if user else q.where(S.c.private.is_(False))
        q = q.order_by(S.c.updated.desc(), S.c.id).limit(limit).offset(offset or None)
        with self._tx(False) as conn:
            return [_info(r) for r in conn.execute(q)]

    def find(self, name: str, *, user: str | None = None) -> ScenarioInfo | None:
        """The live scenario called ``name`` (case and spacing folded), if this user can see it."""
        with self._tx(False) as conn:
            row = conn.execute(select(*_INFO_COLS).where(S.c.name_key == name_key(name),
                                                         S.c.deleted_at.is_(None))).first()
        return _info(row) if self._visible(row, user) else None

    def history(self, scenario_id: str, *, user: str | None = None) -> list[VersionInfo]:
        """Every version, oldest first."""
        with self._tx(False) as conn:
            self._row(conn, scenario_id, user)
            rows = conn.execute(select(*_VINFO_COLS).where(V.c.scenario_id == scenario_id).order_by(V.c.number))
            return [_vinfo(r) for r in rows]

    def open(self, scenario_id: str, version: int | str | None = None, *,
             user: str | None = None) -> tuple[ScenarioInfo, VersionInfo, Scenario]:
        """A version of a scenario (the latest when ``version`` is ``None``).

        Returns
        -------
        (ScenarioInfo, VersionInfo, Scenario)

        Raises
        ------
        NotFoundError
            Unknown, malformed, binned or someone else's private id, or no such version.
        StoreCorruptError
            The stored body does not match its SHA-256.
        """
        from ..io import loads

        number = _version_number(version)
        with self._tx(False) as conn:
            row = self._row(conn, scenario_id, user)
            number = int(row.latest) if number is None else number
            v = conn.execute(select(V).where(V.c.scenario_id == scenario_id, V.c.number == number)).first()
        if v is None:
            raise NotFoundError()
        if hashlib.sha256(v.body.encode("utf-8")).hexdigest() != v.sha256:
            raise StoreCorruptError(f"version {number} of {row.name!r} does not match its SHA-256", where=self.where,
                                    fix="restore the database from a backup, or open another version")
        try:
            scenario = loads(v.body, where=f"{row.name!r} version {number}")
        except FootprintsError as exc:
            raise StoreCorruptError(str(exc), where=self.where, fix="open another version") from None
        return _info(row), _vinfo(v), scenario

    # --- writing -----------------------------------------------------------------------------------

    def create(self, scenario: Scenario, *, author: str, message: str = "", owner: str = "", private: bool = False,
               geography: str = "london", name: str | None = None) -> VersionInfo:
        """A new scenario with ``scenario`` as version 1.

        Raises
        ------
        NameTakenError
            A live scenario already has that name.
        """
        name = _check_name(scenario.name if name is None else name)
        body, sha = _body(scenario, name)
        now, author = _now(), _clean_text(author, MAX_AUTHOR)
        sid = secrets.token_urlsafe(16)
        try:
            with self._tx(True) as conn:
                conn.execute(insert(S).values(id=sid, name=name, name_key=name_key(name), geography=geography,
                                              created=now, owner=owner or "", private=bool(private and owner),
                                              deleted_at=None, latest=1, updated=now, updated_by=author))
                conn.execute(insert(V).values(scenario_id=sid, number=1, body=body, author=author,
                                              message=_clean_text(message, MAX_MESSAGE), saved_at=now, sha256=sha))
        except IntegrityError:
            raise NameTakenError(name) from None
        return VersionInfo(sid, 1, author, _clean_text(message, MAX_MESSAGE), now, sha)

    def save(self, scenario_id: str, scenario: Scenario, *, based_on: int, author: str, message: str = "",
             user: str | None = None) -> VersionInfo:
        """Save ``scenario`` as the next version, if ``based_on`` is still the latest.

        The scenario's name becomes the stored name (a rename), unless another
        live scenario has it.

        Raises
        ------
        ConflictError
            Someone saved after ``based_on``; nothing was written.
        NameTakenError
            The scenario's new name belongs to another scenario.
        NotFoundError
        """
        name = _check_name(scenario.name)
        body, sha = _body(scenario, name)
        now, author, message = _now(), _clean_text(author, MAX_AUTHOR), _clean_text(message, MAX_MESSAGE)
        based_on = int(based_on)
        try:
            with self._tx(True) as conn:
                self._row(conn, scenario_id, user)
                done = conn.execute(update(S).where(S.c.id == scenario_id, S.c.latest == based_on)
                                    .values(latest=based_on + 1, name=name, name_key=name_key(name), updated=now,
                                            updated_by=author))
                if done.rowcount != 1:
                    latest = conn.execute(select(S.c.latest, S.c.updated_by).where(S.c.id == scenario_id)).first()
                    raise ConflictError(scenario_id, based_on, int(latest.latest), latest.updated_by)
                conn.execute(insert(V).values(scenario_id=scenario_id, number=based_on + 1, body=body, author=author,
                                              message=message, saved_at=now, sha256=sha))
        except IntegrityError as exc:
            if "versions" in str(exc.orig).lower() or "pkey" in str(exc.orig).lower():
                raise ConflictError(scenario_id, based_on, based_on + 1) from None
            raise NameTakenError(name) from None
        return VersionInfo(scenario_id, based_on + 1, author, message, now, sha)

    def rename(self, scenario_id: str, new_name: str, *, author: str, user: str | None = None) -> VersionInfo:
        """Rename: a new version, the latest body under ``new_name`` (never over another scenario)."""
        import dataclasses

        info, v, scenario = self.open(scenario_id, user=user)
        return self.save(scenario_id, dataclasses.replace(scenario, name=_check_name(new_name)), based_on=v.number,
                         author=author, message=f"renamed from {info.name!r}", user=user)

    def restore_version(self, scenario_id: str, number: int, *, based_on: int, author: str,
                        user: str | None = None) -> VersionInfo:
        """Make version ``number``'s content the latest again (as a new version; nothing is removed)."""
        info, _, old = self.open(scenario_id, number, user=user)
        import dataclasses

        return self.save(scenario_id, dataclasses.replace(old, name=info.name), based_on=based_on, author=author,
                         message=f"restored version {number}", user=user)

    def delete(self, scenario_id: str, *, user: str | None = None) -> None:
        """Move the scenario to the bin (restorable for STORE_BIN_DAYS days)."""
        with self._tx(True) as conn:
            self._row(conn, scenario_id, user)
            conn.execute(update(S).where(S.c.id == scenario_id).values(deleted_at=_now()))

    def restore(self, scenario_id: str, *, user: str | None = None) -> ScenarioInfo:
        """Take the scenario out of the bin.

        Raises
        ------
        NameTakenError
            A live scenario has taken its name meanwhile: rename that one first.
        """
        try:
            with self._tx(True) as conn:
                row = self._row(conn, scenario_id, user, deleted=True)
                conn.execute(update(S).where(S.c.id == scenario_id).values(deleted_at=None))
        except IntegrityError:
            raise NameTakenError(row.name) from None
        return self.info(scenario_id, user=user)

    def set_private(self, scenario_id: str, private: bool, *, user: str) -> None:
        """Make a scenario private to its owner, or shared with the workspace (owner only)."""
        with self._tx(True) as conn:
            row = self._row(conn, scenario_id, user)
            if not user or row.owner != user:
                raise StoreError("only the scenario's owner can change who sees it", where=row.name,
                                 fix=f"ask {row.owner or 'its owner'}")
            conn.execute(update(S).where(S.c.id == scenario_id).values(private=bool(private)))

    def purge_bin(self, *, now: datetime | None = None) -> int:
        """Delete for good the scenarios in the bin for more than STORE_BIN_DAYS days; their number."""
        cutoff = (now or _now()) - timedelta(days=STORE_BIN_DAYS)
        with self._tx(True) as conn:
            ids = [r.id for r in conn.execute(select(S.c.id).where(S.c.deleted_at.is_not(None),
                                                                   S.c.deleted_at < cutoff))]
            if ids:
                conn.execute(delete(V).where(V.c.scenario_id.in_(ids)))
                conn.execute(delete(S).where(S.c.id.in_(ids)))
        return len(ids)

    def count(self) -> tuple[int, int]:
        """(scenarios, versions) in the store, bin included."""
        with self._tx(False) as conn:
            return (conn.execute(select(func.count()).select_from(S)).scalar_one(),
                    conn.execute(select(func.count()).select_from(V)).scalar_one())

    # --- folders -----------------------------------------------------------------------------------

    def import_folder(self, folder: str | Path, *, author: str = "import") -> tuple[list[VersionInfo], list[str]]:
        """Import a folder of scenario JSON files (each file version 1) or a store export (with history).

        A name already taken gets `` (imported)`` (then ``(imported 2)``...)
        added; nothing in the folder is changed or deleted.

        Returns
        -------
        (list of VersionInfo, list of str)
            The latest version of each scenario imported, and one message per file not imported.
        """
        from .folders import import_folder

        return import_folder(self, Path(folder), author=author)

    def export_folder(self, folder: str | Path, *, user: str | None = None) -> int:
        """Write every scenario and version to ``folder`` (see :mod:`spatial.store.folders`); files written."""
        from .folders import export_folder

        return export_folder(self, Path(folder), user=user)

    def _insert_history(self, meta: dict, bodies: list[tuple[dict, str]]) -> VersionInfo:
        """Insert a scenario with all its versions as given (used by folder import)."""
        name = _check_name(meta["name"])
        sid = meta.get("id") if valid_id(meta.get("id")) else secrets.token_urlsafe(16)
        now = _now()
        with self._tx(True) as conn:
            if conn.execute(select(S.c.id).where(S.c.id == sid)).first() is not None:
                sid = secrets.token_urlsafe(16)
            last = bodies[-1][0]
            conn.execute(insert(S).values(id=sid, name=name, name_key=name_key(name),
                                          geography=str(meta.get("geography") or "london"),
                                          created=_parse_time(meta.get("created")) or now,
                                          owner=str(meta.get("owner") or ""), private=bool(meta.get("private")),
                                          deleted_at=None, latest=len(bodies),
                                          updated=_parse_time(last.get("saved_at")) or now,
                                          updated_by=_clean_text(last.get("author", ""), MAX_AUTHOR)))
            for i, (v, body) in enumerate(bodies, start=1):
                conn.execute(insert(V).values(scenario_id=sid, number=i, body=body,
                                              author=_clean_text(v.get("author", ""), MAX_AUTHOR),
                                              message=_clean_text(v.get("message", ""), MAX_MESSAGE),
                                              saved_at=_parse_time(v.get("saved_at")) or now,
                                              sha256=hashlib.sha256(body.encode("utf-8")).hexdigest()))
        return VersionInfo(sid, len(bodies), bodies[-1][0].get("author", ""), "", now, "")


def _parse_time(value: Any) -> datetime | None:
    try:
        return _utc(datetime.fromisoformat(str(value))) if value else None
    except ValueError:
        return None


def _version_number(version: int | str | None) -> int | None:
    if version is None or version == "":
        return None
    text = str(version).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10 or not 1 <= int(text) <= _MAX_VERSION:
        raise NotFoundError()
    return int(text)


def open_store(url: str | None = None, *, busy_timeout: float = 10.0, connect_timeout: int = 5,
               import_from: str | Path | None = None) -> Store:
    """Open (creating or upgrading as needed) the store at ``url``.

    Parameters
    ----------
    url : str, optional
        Database URL or SQLite path; default :attr:`boundaries.config.Settings.db_url`
        (``FOOTPRINTS_DB`` or ``footprints.db`` in the user data folder).
    busy_timeout, connect_timeout
        See :func:`spatial.store.engine.make_engine`.
    import_from : path, optional
        A folder of scenario files (the old ``FOOTPRINTS_SCENARIOS``) imported
        the first time this store sees it (recorded, so never twice).

    Raises
    ------
    StoreUnavailableError
        The database is locked, read-only, full or unreachable.
    """
    from boundaries.config import settings

    if url is None:
        url = settings().db_url
    elif "://" not in str(url):
        url = "sqlite:///" + str(Path(url).expanduser().resolve())
    engine = make_engine(str(url), busy_timeout=busy_timeout, connect_timeout=connect_timeout)
    store = Store(engine)
    try:
        migrate(engine)
    except DBAPIError as exc:
        engine.dispose()
        raise unavailable(exc, store.where) from exc
    except OSError as exc:
        engine.dispose()
        raise unavailable(exc, store.where) from exc
    if import_from is not None:
        from .folders import import_once

        import_once(store, Path(import_from))
    return store

