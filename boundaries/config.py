"""Configuration in one place: where data lives and where caches go.

Resolution order for the data directory:

1. the ``FOOTPRINTS_DATA`` environment variable;
2. ``../shared/data`` next to the repository, when it exists;
3. the user cache directory (``FOOTPRINTS_CACHE`` or the platform cache dir),
   sub-folder ``downloads``, filled by ``python -m boundaries fetch``;
4. the embedded London 2018 bundle in the repository's ``data/`` folder, for
   the datasets it holds that are not in 2 or 3 (see :mod:`boundaries.bundle`).
   An explicit ``FOOTPRINTS_DATA`` is used alone: a wrong folder is reported,
   not silently replaced by the bundle.

Download addresses: ``FOOTPRINTS_MIRROR_URL`` (a mirror of the data directory)
and ``FOOTPRINTS_PINNED_URL`` (a stand-in for ``https://raw.githubusercontent.com/``
serving the pinned files at their pinned paths, e.g. a local test server).

The scenario store's database is ``FOOTPRINTS_DB`` (an SQLAlchemy URL such as
``postgresql://user@host/db`` or ``sqlite:////path/footprints.db``, or a plain
file path), else ``footprints.db`` in the user data folder.

The app saves scenario files in ``FOOTPRINTS_SCENARIOS``, else
``<user data dir>/footprints/scenarios``; PNG and PDF exports drive the Chromium
at ``FOOTPRINTS_CHROMIUM``, else ``/usr/bin/chromium`` (Debian's package).

Every environment variable the app and the engine read is read here, by
:func:`settings`, and passed down as a :class:`Settings`:

- ``FOOTPRINTS_DATA``: data directory (:attr:`Settings.data_dir`);
- ``FOOTPRINTS_CACHE``: processed cache and downloads (``cache_dir``);
- ``FOOTPRINTS_MIRROR_URL``: mirror of the data directory (``mirror_url``);
- ``FOOTPRINTS_PINNED_URL``: stand-in for raw.githubusercontent.com (``pinned_url``);
- ``FOOTPRINTS_DB``: scenario store database (``db_url``);
- ``FOOTPRINTS_SCENARIOS``: folder of saved scenario files (``scenarios_dir``);
- ``FOOTPRINTS_CHROMIUM``: Chromium for PNG/PDF exports (``chromium``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

__all__ = ["Settings", "settings", "REPO_ROOT", "BUNDLE_DIR", "DEFAULT_YEAR", "GEOGRAPHIES", "DEFAULT_GEOGRAPHY",
           "default_year"]

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The embedded London 2018 bundle (built by ``python -m boundaries bundle``).
BUNDLE_DIR = REPO_ROOT / "data"
#: Population year used unless the user picks another: mid-2017 matches the
#: April 2018 NHS geography and the 2018 source papers.
DEFAULT_YEAR = 2017
#: Boundary vintages: LSOA 2011 with the April 2018 NHS geography (CCGs, STPs), and LSOA 2021 with the
#: April 2024 one (sub-ICB locations, ICBs).  The default keeps every 2018 London scenario as it was.
GEOGRAPHIES = ("2018", "2024")
DEFAULT_GEOGRAPHY = "2018"
#: Population year of each geography unless the user picks another (Census 2021 for LSOA 2021).
_GEOGRAPHY_YEAR = {"2018": DEFAULT_YEAR, "2024": 2021}


def default_year(geography: str) -> int:
    """The population year used for ``geography`` unless another is asked for."""
    return _GEOGRAPHY_YEAR[str(geography)]
#: Chromium used for PNG and PDF exports unless ``FOOTPRINTS_CHROMIUM`` names another (Debian's package).
DEFAULT_CHROMIUM = "/usr/bin/chromium"

DATA_HELP = (
    "set FOOTPRINTS_DATA to the data directory (the project mirror is "
    "../shared/data beside the repository), or run `python -m boundaries fetch` "
    "(`--region england` for England) to download the pinned source files"
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
    bundle_dir : Path, optional
        Embedded bundle read for the datasets missing from ``data_dir``
        (None: no fallback, the default when ``data_dir`` was given explicitly).
    mirror_url : str, optional
        Base address of a mirror of the data directory (``FOOTPRINTS_MIRROR_URL``).
    pinned_url : str, optional
        Stand-in for ``https://raw.githubusercontent.com/`` (``FOOTPRINTS_PINNED_URL``).
    db_url : str
        Database of the scenario store: ``FOOTPRINTS_DB`` when set, else an
        SQLite file ``footprints.db`` in the user data folder.
    scenarios_dir : Path
        Folder where the app saves scenario files: ``FOOTPRINTS_SCENARIOS`` when
        set, else ``<user data dir>/footprints/scenarios``.
    chromium : str
        Chromium executable for PNG and PDF exports: ``FOOTPRINTS_CHROMIUM`` when
        set, else ``/usr/bin/chromium``.
    """

    data_dir: Path
    cache_dir: Path
    data_source: str
    bundle_dir: Path | None = None
    mirror_url: str | None = None
    pinned_url: str | None = None
    db_url: str = ""
    scenarios_dir: Path = field(default_factory=lambda: _scenarios_dir(""))
    chromium: str = DEFAULT_CHROMIUM

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
    extra = dict(mirror_url=env.get("FOOTPRINTS_MIRROR_URL") or None,
                 pinned_url=env.get("FOOTPRINTS_PINNED_URL") or None,
                 db_url=_db_url(env.get("FOOTPRINTS_DB", "").strip()),
                 scenarios_dir=_scenarios_dir(env.get("FOOTPRINTS_SCENARIOS", "").strip()),
                 chromium=env.get("FOOTPRINTS_CHROMIUM", "").strip() or DEFAULT_CHROMIUM)
    if env.get("FOOTPRINTS_DATA"):
        return Settings(Path(env["FOOTPRINTS_DATA"]).expanduser(), cache, "env", **extra)
    mirror = REPO_ROOT.parent / "shared" / "data"
    if mirror.is_dir():
        return Settings(mirror, cache, "mirror", BUNDLE_DIR, **extra)
    return Settings(cache / "downloads", cache, "download", BUNDLE_DIR, **extra)


def _scenarios_dir(value: str) -> Path:
    """``FOOTPRINTS_SCENARIOS`` as a folder, else ``<user data dir>/footprints/scenarios``."""
    if value:
        return Path(value).expanduser()
    return platformdirs.user_data_path("footprints", appauthor=False) / "scenarios"


def _db_url(value: str) -> str:
    """``FOOTPRINTS_DB`` as an SQLAlchemy URL (a plain path becomes an SQLite file)."""
    if not value:
        value = str(platformdirs.user_data_path("footprints", appauthor=False) / "footprints.db")
    if "://" in value:
        return value
    return "sqlite:///" + str(Path(value).expanduser().resolve())
