"""The team scenario store: scenarios with history in SQLite or PostgreSQL.

>>> from spatial.store import open_store
>>> store = open_store("sqlite:////tmp/footprints.db")          # doctest: +SKIP
>>> v = store.create(scenario, author="Ana")                     # doctest: +SKIP
>>> store.save(v.scenario_id, edited, based_on=v.number, author="Ana")  # doctest: +SKIP

See :mod:`spatial.store.repository` for the rules (versions, conflicts, bin,
private scenarios) and :mod:`spatial.store.engine` for the databases.
"""

from .engine import describe, make_engine, migrate
from ..errors import (ConflictError, NameTakenError, NotFoundError, StoreCorruptError, StoreError,
                      StoreUnavailableError)
from .repository import ScenarioInfo, Store, VersionInfo, name_key, open_store, valid_id

__all__ = [
    "open_store", "Store", "ScenarioInfo", "VersionInfo", "valid_id", "name_key", "make_engine", "migrate",
    "describe", "StoreError", "NotFoundError", "NameTakenError", "ConflictError", "StoreUnavailableError",
    "StoreCorruptError",
]
