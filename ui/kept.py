"""Files a page keeps on disk so that a cold start draws it before the engine is loaded.

The home page keeps its map and counts; the Sketch page keeps what its map
needs from the engine (:mod:`ui.sketch_start`).  Each file is named by the
region picked, the geography, the population year, the fingerprint of the
region's source files (:func:`boundaries.cache.source_key`, the processed
cache's own key) and of the code that made it, so its name is known before
the data is loaded and changes with any of them.  They live in
``FOOTPRINTS_CACHE/maps``; a read-only or full cache only means they are made
again on the next start.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

__all__ = ["kept_folder", "kept_stem", "read_kept_json", "keep_text"]


def kept_folder(config) -> Path:
    """The folder the pages keep their files in (``FOOTPRINTS_CACHE/maps``)."""
    return Path(config.cache_dir) / "maps"


def kept_stem(page: str, region: str, geography: str, config, code: tuple[Path, ...], version: int) -> str | None:
    """The name (without suffix) of ``page``'s kept files for this choice; ``None`` when the data cannot be
    fingerprinted (an unknown region or unreadable files: loading the engine then says why).

    Parameters
    ----------
    page : str
        The page's short name (``home``, ``sketch``).
    region, geography : str
        The choice in the sidebar.
    config : boundaries.Settings
        Where the data is read from.
    code : tuple of Path
        Files or folders of the code that makes the kept content (:func:`boundaries.cache.code_stamp`).
    version : int
        The layout of the kept content, bumped when it changes.
    """
    from boundaries import get_region
    from boundaries.cache import code_stamp, source_key
    from boundaries.config import default_year
    from boundaries.errors import FootprintsError
    from boundaries.regions import base_region

    try:
        base, _ = base_region(region, geography)
        key = source_key(get_region(base), config)
    except (FootprintsError, OSError, KeyError):
        return None
    slug = re.sub(r"[^a-z0-9]+", "-", region.strip().casefold()).strip("-")  # "QWE" -> "qwe" (portable name)
    return f"{page}-{slug}-{geography}-{default_year(geography)}-{key}-v{version}-{code_stamp(*code)[:12]}"


def read_kept_json(path: Path, required: set[str]) -> dict[str, Any] | None:
    """The JSON object kept at ``path``; ``None`` when it is missing, unreadable, damaged or lacks a key of
    ``required`` (the caller then makes it again)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) and required <= set(data) else None


def keep_text(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` atomically; whether it was written (a read-only or full cache is not an error:
    the page is made again on the next start)."""
    from boundaries.files import atomic_write

    try:
        atomic_write(path, lambda f: f.write(text), parents=True)
    except OSError:
        return False
    return True
