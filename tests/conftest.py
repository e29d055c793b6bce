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
