"""Shared fixtures: the real London data, loaded once per test session.

The real-data tests never skip: if the data directory is missing they fail
with a message saying how to get it.
"""

from __future__ import annotations

import pytest

from boundaries import load_geographies, settings

HOW_TO_GET_DATA = (
    "The real data is required for the tests. Put the project data mirror at ../shared/data "
    "beside the repository, or set FOOTPRINTS_DATA to a folder in the same layout, or run "
    "`python -m boundaries fetch` (downloads from the publishers into the cache)."
)


def require_data_dir():
    """Return the data directory, failing the test (not skipping) when it is missing."""
    config = settings()
    if not config.data_dir.is_dir():
        pytest.fail(f"data directory {config.data_dir} not found. {HOW_TO_GET_DATA}", pytrace=False)
    return config.data_dir


@pytest.fixture(scope="session")
def data_dir():
    return require_data_dir()


@pytest.fixture(scope="session")
def geo(data_dir):
    """London units and layers, population year mid-2017 (the default)."""
    return load_geographies()


@pytest.fixture(scope="session")
def engine(geo):
    """The engine (unit index with adjacency) over the real London data, mid-2017."""
    from spatial import Engine, UnitIndex

    return Engine(geo, UnitIndex.from_geographies(geo))


@pytest.fixture(scope="session")
def index(engine):
    """The unit index of :func:`engine`."""
    return engine.index


# --- the scenario store's databases (tests/test_store*.py) -----------------------------------------

@pytest.fixture(scope="session")
def pg_server():
    """URL of a PostgreSQL server: ``$FOOTPRINTS_TEST_PG``, else a throwaway cluster started here.

    Fails (never skips) with how to get PostgreSQL when neither works.
    """
    import os

    from tests import pgserver

    url = os.environ.get("FOOTPRINTS_TEST_PG", "").strip()
    folder = None
    if not url:
        import tempfile
        from pathlib import Path

        folder = Path(tempfile.mkdtemp(prefix="footprints-pg-"))  # the server user must reach it
        try:
            url = pgserver.start(folder)
        except (RuntimeError, OSError, Exception) as exc:  # noqa: BLE001 - any failure to start is reported
            pytest.fail(f"could not start a PostgreSQL cluster ({exc}). {pgserver.HOW_TO}", pytrace=False)
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=10):
            pass
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"PostgreSQL at {url} is not reachable ({exc}). {pgserver.HOW_TO}", pytrace=False)
    yield {"url": url, "folder": folder}
    if folder is not None:
        import shutil

        pgserver.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


def _fresh_pg_database(server_url: str) -> tuple[str, callable]:
    """A new empty database on the server; its URL and a function dropping it."""
    import secrets

    import psycopg
    from sqlalchemy.engine import make_url

    name = "fp_" + secrets.token_hex(6)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return make_url(server_url).set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """An empty store database: an SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    server = request.getfixturevalue("pg_server")
    url, drop = _fresh_pg_database(server["url"])
    yield url
    drop()
