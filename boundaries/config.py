"""Configuration in one place: where data lives and where caches go.

Resolution order for the data directory:

1. the ``FOOTPRINTS_DATA`` environment variable;
2. ``../shared/data`` next to the repository, when it exists;
3. the user cache directory (``FOOTPRINTS_CACHE`` or the platform cache dir),
   sub-folder ``downloads``, filled by ``python -m boundaries fetch``.

The scenario store's database is ``FOOTPRINTS_DB`` (an SQLAlchemy URL such as
``postgresql://user@host/db`` or ``sqlite:////path/footprints.db``, or a plain
file path), else ``footprints.db`` in the user data folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

__all__ = ["Settings", "settings", "REPO_ROOT", "DEFAULT_YEAR"]

REPO_ROOT = Path(__file__).resolve().parent.parent
#: Population year used unless the user picks another: mid-2017 matches the
#: April 2018 NHS geography and the 2018 source papers.
DEFAULT_YEAR = 2017
DATA_HELP = (
    "set FOOTPRINTS_DATA to the data directory (the project mirror is "
    "../shared/data beside the repository), or run `python -m boundaries fetch` "
    "to download from the official publishers"
)


@dataclass(frozen=True)
class Settings:
    """Paths used by the data layer.

    Parameters
    ----------
    data_dir : Path
        Folder holding the source files in the mirror's layout.
    cache_dir : Path
        Folder for the processed cache (GeoParquet) and downloads.
    data_source : str
        How ``data_dir`` was chosen: ``"env"``, ``"mirror"`` or ``"download"``.
    db_url : str
        Database of the scenario store: ``FOOTPRINTS_DB`` when set, else an
        SQLite file ``footprints.db`` in the user data folder.
    """

    data_dir: Path
    cache_dir: Path
    data_source: str
    db_url: str = ""

    @property
    def processed_dir(self) -> Path:
        """Folder of the processed (GeoParquet) cache."""
        return self.cache_dir / "processed"

    @property
    def download_dir(self) -> Path:
        """Folder that downloads go to, in the mirror's layout."""
        return self.cache_dir / "downloads"


def settings(env: dict[str, str] | None = None) -> Settings:
    """Resolve the data and cache directories from the environment.

    Parameters
    ----------
    env : dict, optional
        Environment to read (defaults to ``os.environ``); tests pass their own.

    Returns
    -------
    Settings
    """
    env = dict(os.environ) if env is None else env
    cache = Path(env.get("FOOTPRINTS_CACHE") or platformdirs.user_cache_dir("footprints"))
    db = _db_url(env.get("FOOTPRINTS_DB", "").strip())
    if env.get("FOOTPRINTS_DATA"):
        return Settings(Path(env["FOOTPRINTS_DATA"]).expanduser(), cache, "env", db)
    mirror = REPO_ROOT.parent / "shared" / "data"
    if mirror.is_dir():
        return Settings(mirror, cache, "mirror", db)
    return Settings(cache / "downloads", cache, "download", db)


def _db_url(value: str) -> str:
    """``FOOTPRINTS_DB`` as an SQLAlchemy URL (a plain path becomes an SQLite file)."""
    if not value:
        value = str(platformdirs.user_data_path("footprints", appauthor=False) / "footprints.db")
    if "://" in value:
        return value
    return "sqlite:///" + str(Path(value).expanduser().resolve())
