"""A fast click map: a small bidirectional Streamlit component around Leaflet.

This package holds the frontend, its map data, the event parsing and the
Streamlit wrapper that declares the component (:func:`clickmap`, in
:mod:`.component`).  It is UI: it uses ``layers`` (map geometry, Leaflet
assets) and ``boundaries``; nothing in ``layers`` or the engine imports it.

Why not ``st_folium``: it rebuilds and re-sends the whole map whenever its
HTML changes, and with 4,835 units a click took about 10 s to come back.
Here the browser keeps the shapes and the user's zoom; a rerun sends only
which footprint each unit belongs to (a list of small integers), and the
component answers with the clicked unit's code.

How it works
------------
* ``frontend/index.html`` + ``frontend/clickmap.js`` (plain JavaScript, no
  build step) speak Streamlit's component protocol with ``postMessage``:
  ``streamlit:componentReady`` once, ``streamlit:render`` on every rerun,
  ``streamlit:setComponentValue`` on a click, ``streamlit:setFrameHeight``.
* Leaflet 1.9.3 is loaded from ``frontend/vendor/`` (copied from the
  installed XStatic-Leaflet by :func:`install_leaflet`, gitignored).
* The geometry is fetched once from ``frontend/data/units-<key>.json``
  (written by :func:`ensure_map_data`, gitignored), as soon as the first
  render names it (``clickmap.js`` runs before Leaflet has loaded), and drawn
  on Leaflet's canvas renderer by one path object from typed arrays (each
  vertex projected once; no Leaflet polygon per unit) on a plain background
  (no tiles).
* Each render restyles only the units whose footprint changed, redrawing
  only their boxes.
* A click returns ``{"nonce", "events": [[seq, "click", code], ...]}``;
  Ctrl+Z / Ctrl+Y (Ctrl+Shift+Z) return ``"undo"`` / ``"redo"`` events.
  :func:`new_events` picks out what the app has not handled yet.

Nothing here computes a rule: the app passes in what the engine computed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import lazy_loader as _lazy

if TYPE_CHECKING:
    import numpy as np

#: Names resolved from their modules on first use (``lazy_loader``): the Sketch page draws its map from
#: :func:`clickmap` before it imports numpy, pandas or the engine (the map data file is written by
#: :mod:`.mapdata`, which needs them, only when it is missing).
_LAZY = {
    "component": ["clickmap"],
    "events": ["ACTIONS", "EventCursor", "MapEvent", "new_events"],
    "mapdata": ["ensure_map_data", "map_data", "map_data_name", "map_data_ready"],
    "vendor": ["FRONTEND_DIR", "install_leaflet", "leaflet_installed"],
}
__getattr__, _, _ = _lazy.attach(__name__, submod_attrs=_LAZY)

__all__ = [
    "clickmap",
    "level_assignment",
    "prepare_clickmap",
    "install_leaflet",
    "leaflet_installed",
    "ensure_map_data",
    "map_data",
    "map_data_name",
    "map_data_ready",
    "new_events",
    "MapEvent",
    "EventCursor",
    "ACTIONS",
    "FRONTEND_DIR",
    "UNASSIGNED",
    "DOUBLE",
]


def __dir__() -> list[str]:
    return sorted(__all__)


#: Assignment value of a unit in no footprint of the level.
UNASSIGNED = -1
#: Assignment value of a unit in two or more footprints of the level.
DOUBLE = -2


def prepare_clickmap() -> None:
    """Make the component's offline assets ready (call once at app start).

    Copies Leaflet into the gitignored ``frontend/vendor`` when missing.
    """
    from .vendor import install_leaflet

    install_leaflet()


def level_assignment(n_units: int, units_per_footprint: Sequence[np.ndarray]) -> list[int]:
    """Per unit: position of its footprint, :data:`UNASSIGNED` or :data:`DOUBLE`.

    Parameters
    ----------
    n_units : int
        Number of units (unit ids are ``0..n_units-1``).
    units_per_footprint : sequence of int arrays
        Unit ids of each footprint of one level, in display order.

    Returns
    -------
    list of int
        Ready to send as the component's ``assign`` argument.
    """
    import numpy as np

    owner = np.full(n_units, UNASSIGNED, dtype=np.int64)
    count = np.zeros(n_units, dtype=np.int64)
    for k, units in enumerate(units_per_footprint):
        units = np.asarray(units, dtype=np.int64)
        owner[units] = k
        count[units] += 1
    owner[count > 1] = DOUBLE
    return owner.tolist()
