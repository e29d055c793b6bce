"""Connecting to the store's database and bringing its schema up to date.

* SQLite (the default): one file; WAL journal so readers never wait for a
  writer, ``synchronous=FULL`` so an acknowledged save survives a killed
  process, foreign keys on, and every write in ``BEGIN IMMEDIATE`` so two
  writers queue (up to the busy timeout) instead of failing half-way.
* PostgreSQL (``postgresql://`` URLs, driver psycopg 3): migrations hold an
  advisory lock so two servers starting at once do not both create tables.

The schema is owned by the Alembic migrations in ``migrations/``; they run
programmatically every time a store is opened (a no-op when up to date).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ..errors import StoreError, StoreUnavailableError

__all__ = ["make_engine", "migrate", "describe", "unavailable", "MIGRATIONS", "HEAD"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: Newest migration; a database at another revision is upgraded on open.
HEAD = "0001"
#: Advisory-lock key taken by PostgreSQL migrations ("FPST" in ASCII).
_PG_LOCK = 0x46505354


def describe(url: str | URL) -> str:
    """The database named for a user: the URL with any password hidden."""
    try:
        u = make_url(url) if isinstance(url, str) else url
    except SQLAlchemyError:
        return "the database (unparseable FOOTPRINTS_DB)"
    if u.get_backend_name() == "sqlite":
        return f"SQLite database {u.database or ':memory:'}"
    return f"PostgreSQL database {u.render_as_string(hide_password=True)}"


def _normalise(url: str) -> URL:
    try:
        u = make_url(url)
    except SQLAlchemyError as exc:
        raise StoreError(f"{url!r} is not a database URL ({exc})", where="FOOTPRINTS_DB",
                         fix="use e.g. postgresql://user@127.0.0.1:5432/footprints or a file path") from None
    backend = u.get_backend_name()
    if backend == "postgresql":
        return u.set(drivername="postgresql+psycopg")
    if backend != "sqlite":
        raise StoreError(f"{backend} databases are not supported", where="FOOTPRINTS_DB",
                         fix="use a postgresql:// URL or an SQLite file path")
    return u


def make_engine(url: str, *, busy_timeout: float = 10.0, connect_timeout: int = 5) -> Engine:
    """An SQLAlchemy engine for the store at ``url``.

    Parameters
    ----------
    url : str
        ``sqlite:///path``, ``postgresql://...``.
    busy_timeout : float
        Seconds an SQLite write waits for another writer before "locked".
    connect_timeout : int
        Seconds a PostgreSQL connection attempt waits before "unreachable".
    """
    u = _normalise(url)
    if u.get_backend_name() == "postgresql":
        return create_engine(u, pool_pre_ping=True, connect_args={"connect_timeout": connect_timeout})
    if u.database and u.database != ":memory:" and not u.query.get("uri"):
        Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(u, connect_args={"timeout": busy_timeout})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every SQLite test
        dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" event below emits BEGIN itself
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            cur.execute("PRAGMA foreign_keys = ON")
            mode = cur.execute("PRAGMA journal_mode").fetchone()[0]
            if mode.lower() != "wal":
                try:
                    cur.execute("PRAGMA journal_mode = WAL")
                except sqlite3.OperationalError:  # read-only database: it can still be read
                    pass
            cur.execute("PRAGMA synchronous = FULL")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - exercised by every SQLite test
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

    return engine


def migrate(engine: Engine) -> None:
    """Upgrade the database to :data:`HEAD` with Alembic (creates the tables on first use)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect().execution_options(write=True) as conn:
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")


def unavailable(exc: DBAPIError | OSError, where: str) -> StoreUnavailableError:
    """The user's error for a database that refused: locked, read-only, full, unreachable."""
    orig = getattr(exc, "orig", exc)
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    low = str(orig).lower()
    state = getattr(orig, "sqlstate", None) or ""
    if "locked" in low or state in ("55P03", "40P01") or "busy" in low:
        return StoreUnavailableError("locked", f"the database is locked by another program ({text})", where=where,
                                     fix="wait a moment and save again; if it stays locked, close the other "
                                         "program using the file")
    if "readonly" in low or "read-only" in low or state == "25006":
        return StoreUnavailableError("read-only", f"the database is read-only ({text})", where=where,
                                     fix="make the database writable, or point FOOTPRINTS_DB at a writable one")
    if "full" in low or state == "53100" or getattr(orig, "errno", None) == 28:
        return StoreUnavailableError("full", f"the disk or database is full ({text})", where=where,
                                     fix="free disk space (or raise the database's size limit) and save again")
    if (state.startswith("08") or "connect" in low or "unable to open" in low or "timeout" in low
            or "server closed" in low or "terminating connection" in low):
        return StoreUnavailableError("unreachable", f"the database cannot be reached ({text})", where=where,
                                     fix="check the database server is running and FOOTPRINTS_DB is right, "
                                         "then save again")
    return StoreUnavailableError("failed", f"the database refused the operation ({text})", where=where,
                                 fix="check the database, then try again")
