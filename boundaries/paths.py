"""Where each dataset is read from: the data directory, else the embedded bundle.

Paths only (no table is read), so the app's first page can key its cached files
by the sources without importing pandas or geopandas.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .config import Settings, settings as default_settings

if TYPE_CHECKING:
    from .registry import Dataset

__all__ = ["dataset_path", "locate"]


def dataset_path(ds: Dataset, data_dir: Path) -> Path:
    """Path of ``ds`` inside ``data_dir``."""
    return Path(data_dir) / ds.path


def locate(ds: Dataset, config: Settings | None = None) -> tuple[Path, str]:
    """Where ``ds`` is read from under ``config``, and which source that is.

    The data directory first (``FOOTPRINTS_DATA``, the mirror or the download
    cache); when the file is not there, the embedded bundle if it holds the
    dataset (:mod:`boundaries.bundle`).

    Returns
    -------
    (Path, str)
        The file and ``config.data_source`` or ``"bundle"``.  A missing file
        is returned at its data-directory path (reading it then raises
        :class:`~boundaries.errors.MissingDataError`).
    """
    config = config or default_settings()
    path = dataset_path(ds, config.data_dir)
    if path.is_file() or config.bundle_dir is None:
        return path, config.data_source
    from .bundle import bundled_file

    inside = bundled_file(ds.id, config.bundle_dir)
    return (inside, "bundle") if inside is not None else (path, config.data_source)
