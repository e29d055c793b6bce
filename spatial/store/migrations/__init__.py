"""Alembic migrations of the scenario store (run by :func:`spatial.store.open_store`)."""
