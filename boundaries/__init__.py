"""Footprints data layer: sources, download and cache, loading, validation, units.

Examples
--------
>>> from boundaries import load_geographies
>>> geo = load_geographies(year=2019)
>>> int(geo.units["population"].sum())
8961989
"""

from .cache import clear_cache, load_geographies
from .config import DEFAULT_YEAR, Settings, settings
from .errors import *  # noqa: F401,F403 - the typed errors are part of the API
from .errors import __all__ as _errors
from .geographies import LEVEL_LAYERS, Geographies, build_geographies, dissolve_units
from .registry import REGIONS, REGISTRY, Dataset, Region, get_dataset, get_region

__all__ = [
    "load_geographies", "clear_cache", "build_geographies", "dissolve_units", "Geographies",
    "LEVEL_LAYERS", "Settings", "settings", "DEFAULT_YEAR", "REGISTRY", "REGIONS", "Dataset",
    "Region", "get_dataset", "get_region", *_errors,
]
