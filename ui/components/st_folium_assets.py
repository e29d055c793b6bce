"""Streamlit wiring for offline Leaflet in ``st_folium`` (it imports Streamlit, so it
lives with the UI, not in ``layers/``).

streamlit-folium 0.27.4 does not bundle Leaflet: its iframe loads every URL
in the map's ``default_js`` one by one and gives up (blank map) at the first
that fails to load.  See :mod:`layers.assets` for the details.  What the app
does::

    # .streamlit/config.toml          (or --server.enableStaticServing true)
    # [server]
    # enableStaticServing = true

    from ui.components.st_folium_assets import prepare_st_folium
    m = footprint_map(...)
    st_folium(prepare_st_folium(m, app_dir=Path(__file__).parent),
              returned_objects=["last_active_drawing"], ...)

With static serving on, Leaflet is copied once into ``<app_dir>/static/
leaflet-1.9.3/`` (gitignored) and loaded from ``../../app/static/...``
relative to the component iframe; with it off, Leaflet travels inside the
component arguments as ``data:`` URLs (works everywhere, ~200 kB more per
rerun).
"""

from __future__ import annotations

from pathlib import Path

import folium
import streamlit as st

from layers.assets import data_urls, install_static_assets, offline_map, static_urls

__all__ = ["prepare_st_folium", "static_serving_enabled"]

_installed: set[Path] = set()


def static_serving_enabled() -> bool:
    """Whether Streamlit was started with ``server.enableStaticServing``."""
    return bool(st.get_option("server.enableStaticServing"))


def prepare_st_folium(m: folium.Map, *, app_dir: Path | str, mode: str = "auto") -> folium.Map:
    """Make a map load Leaflet without a network inside ``st_folium``.

    Parameters
    ----------
    m : folium.Map
        Changed in place: its Leaflet links are replaced and every other
        default asset (jQuery, Bootstrap, Font Awesome...) dropped.
    app_dir : path-like
        Folder of ``app.py``; Streamlit serves ``app_dir/static``.
    mode : {"auto", "static", "data"}
        ``"static"``: copy Leaflet into ``app_dir/static`` (once per process)
        and use Streamlit static serving (raises if it is off); ``"data"``:
        ``data:`` URLs; ``"auto"``: static when enabled, else data.

    Returns
    -------
    folium.Map
        ``m``.

    Raises
    ------
    RuntimeError
        ``mode="static"`` while ``server.enableStaticServing`` is off.
    """
    if mode not in ("auto", "static", "data"):
        raise ValueError(f"mode must be auto, static or data, not {mode!r}")
    enabled = static_serving_enabled()
    if mode == "static" and not enabled:
        raise RuntimeError(
            "Streamlit static serving is off: set [server] enableStaticServing = true in "
            ".streamlit/config.toml (or run with --server.enableStaticServing true)"
        )
    if mode == "static" or (mode == "auto" and enabled):
        static_dir = Path(app_dir).resolve() / "static"
        if static_dir not in _installed:
            install_static_assets(static_dir)
            _installed.add(static_dir)
        js, css = static_urls()
    else:
        js, css = data_urls()
    return offline_map(m, js_url=js, css_url=css)
