"""Tables of the scenario store (SQLAlchemy 2 declarative models).

``scenarios`` holds one row per scenario (its unguessable id, current name,
owner and where its history stands); ``versions`` holds every saved version,
each a scenario JSON body in the documented format (docs/SCENARIO_FORMAT.md)
with its author, message, time and SHA-256.  The schema is created and
upgraded only by the Alembic migrations in ``spatial/store/migrations``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "ScenarioRow", "VersionRow", "ImportRow"]


class Base(DeclarativeBase):
    """Declarative base of the store's tables."""


class ScenarioRow(Base):
    """One scenario: identity, name, owner, and its latest version (the concurrency check)."""

    __tablename__ = "scenarios"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(400))
    #: Case- and space-folded name; unique among scenarios not in the bin.
    name_key: Mapped[str] = mapped_column(String(400))
    geography: Mapped[str] = mapped_column(String(40), default="london")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    owner: Mapped[str] = mapped_column(String(320), default="")
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    latest: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (
        Index("ix_scenarios_live_name", "name_key", unique=True,
              sqlite_where=text("deleted_at IS NULL"), postgresql_where=text("deleted_at IS NULL")),
        Index("ix_scenarios_updated", "updated"),
    )


class VersionRow(Base):
    """One saved version of a scenario (never changed once written)."""

    __tablename__ = "versions"

    scenario_id: Mapped[str] = mapped_column(String(64), ForeignKey("scenarios.id", ondelete="CASCADE"),
                                             primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(String(2000), default="")
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sha256: Mapped[str] = mapped_column(String(64))


class ImportRow(Base):
    """A folder of scenario files already imported (so a first-start import runs once)."""

    __tablename__ = "imported_folders"

    path: Mapped[str] = mapped_column(String(1000), primary_key=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    files: Mapped[int] = mapped_column(Integer, default=0)
