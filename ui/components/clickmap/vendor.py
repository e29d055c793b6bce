"""Leaflet for the click map, copied next to the component's frontend.

The component iframe is served by Streamlit from ``frontend/``; Leaflet
1.9.3 comes from the installed ``XStatic-Leaflet`` package (see
:mod:`layers.assets`) and is copied into the gitignored ``frontend/vendor/``
at app start, so the map needs no network.
"""

from __future__ import annotations

from pathlib import Path

from layers.assets import STATIC_SUBDIR, install_static_assets

__all__ = ["FRONTEND_DIR", "VENDOR_DIR", "LEAFLET_SUBDIR", "install_leaflet", "leaflet_installed"]

#: Folder Streamlit serves the component from.
FRONTEND_DIR = Path(__file__).resolve().parent / "frontend"
#: Gitignored folder the Leaflet files are copied into.
VENDOR_DIR = FRONTEND_DIR / "vendor"
#: Leaflet's folder inside :data:`VENDOR_DIR` (``index.html`` links to it).
LEAFLET_SUBDIR = STATIC_SUBDIR


def leaflet_installed(vendor_dir: Path = VENDOR_DIR) -> bool:
    """Whether Leaflet's JS and CSS are already in ``vendor_dir``."""
    base = vendor_dir / LEAFLET_SUBDIR
    return (base / "leaflet.js").is_file() and (base / "leaflet.css").is_file()


def install_leaflet(vendor_dir: Path = VENDOR_DIR, *, force: bool = False) -> Path:
    """Copy Leaflet into the component's vendor folder (atomic, idempotent).

    Parameters
    ----------
    vendor_dir : Path
        Destination (default: the component's ``frontend/vendor``).
    force : bool
        Compare and copy again even when the files are there.

    Returns
    -------
    Path
        The folder holding ``leaflet.js``, ``leaflet.css`` and ``images/``.

    Raises
    ------
    layers.assets.AssetError
        If XStatic-Leaflet 1.9.3 is not installed.
    """
    if not force and leaflet_installed(vendor_dir):
        return vendor_dir / LEAFLET_SUBDIR
    return install_static_assets(vendor_dir)
