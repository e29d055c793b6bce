"""Footprints data layer: sources, download and cache, loading, validation, units.

Examples
--------
>>> from boundaries import load_geographies
>>> geo = load_geographies(year=2019)
>>> int(geo.units["population"].sum())
8961989
"""

import lazy_loader as _lazy

from .errors import *  # noqa: F401,F403 - the typed errors are part of the API (light: no tables)
from .errors import __all__ as _errors

#: Names resolved from their modules on first use (``lazy_loader``): importing ``boundaries`` or one of
#: its light modules (config, registry, paths, cache keys) does not import pandas or geopandas, so the
#: app's first page, which draws from cached files, starts without them.
_LAZY = {
    "cache": ["clear_cache", "load_geographies"],
    "config": ["DEFAULT_YEAR", "Settings", "settings"],
    "geographies": ["LEVEL_LAYERS", "Geographies", "build_geographies", "dissolve_units"],
    "registry": ["REGIONS", "REGISTRY", "Dataset", "Region", "get_dataset", "get_region"],
}
__getattr__, _, _ = _lazy.attach(__name__, submod_attrs=_LAZY)

__all__ = [
    "load_geographies", "clear_cache", "build_geographies", "dissolve_units", "Geographies",
    "LEVEL_LAYERS", "Settings", "settings", "DEFAULT_YEAR", "REGISTRY", "REGIONS", "Dataset",
    "Region", "get_dataset", "get_region", *_errors,
]


def __dir__() -> list[str]:
    return sorted(__all__)
