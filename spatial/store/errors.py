"""Typed errors of the scenario store.

Deprecated: moved to :mod:`spatial.errors` (section "scenario store"); this
module re-exports them so ``from spatial.store.errors import ...`` keeps working.
"""

from __future__ import annotations

from ..errors import (ConflictError, NameTakenError, NotFoundError, StoreCorruptError, StoreError,
                      StoreUnavailableError)

__all__ = [
    "StoreError",
    "NotFoundError",
    "NameTakenError",
    "ConflictError",
    "StoreUnavailableError",
    "StoreCorruptError",
]
