"""The Streamlit wrapper of the click map (the rest of :mod:`ui.components.clickmap` holds its frontend and data)."""

from __future__ import annotations

from typing import Any, Sequence

import streamlit.components.v1 as components

from .vendor import FRONTEND_DIR

__all__ = ["clickmap"]

_component = components.declare_component("clickmap", path=str(FRONTEND_DIR))


def clickmap(
    data_file: str,
    assign: Sequence[int],
    *,
    names: Sequence[str],
    colours: Sequence[str],
    editing: int = -1,
    pieces: Sequence[int] = (),
    highlight_unassigned: bool = True,
    caption: str = "",
    message: str = "",
    brush: str = "unit",
    paint: bool = False,
    zoom_token: str = "",
    height: int = 620,
    ready_token: str = "",
    key: str | None = None,
) -> dict[str, Any] | None:
    """Draw the click map and return its current value.

    Parameters
    ----------
    data_file : str
        Path of the map file relative to the frontend (:func:`ensure_map_data`).
    assign : sequence of int
        Per unit, in unit-id order: footprint position in ``names``,
        :data:`UNASSIGNED` or :data:`DOUBLE` (:func:`level_assignment`).
    names : sequence of str
        Footprint names of the level shown (displayed as text, never as HTML).
    colours : sequence of str
        Fill colour of each footprint (``#RRGGBB``).
    editing : int
        Position of the footprint being edited (drawn with a heavy outline),
        ``-1`` for none.
    pieces : sequence of int
        Unit ids of the edited footprint's detached pieces (dashed outline).
    highlight_unassigned : bool
        Tint units that are in no footprint of the level.
    caption : str
        One line shown in the map's corner (e.g. the brush), as text.
    message : str
        The latest message about the footprint, shown as text in an overlay
        inside the map (an ARIA live region), so it never moves the map.
    brush : str
        The brush (``unit``, ``msoa``, ``ward``, ``borough``, ``ccg``): a paint
        stroke's preview shows the whole area each crossed unit brings.
    paint : bool
        Press-drag-release paints (one ``"paint"`` event); otherwise a drag pans.
    zoom_token : str
        A new value zooms the map to the edited footprint once.
    height : int
        Height of the map in pixels.
    ready_token : str
        When given, the map asks the server for ``ready.txt?t=<token>`` once it
        has drawn (or could not draw) its data, so a waiting run can go on
        (:mod:`ui.map_ready`).
    key : str, optional
        Streamlit widget key; keep it stable so the map (and its zoom) persists.

    Returns
    -------
    dict or None
        ``{"nonce": str, "events": [[seq, action, code], ...]}`` once the user
        has clicked; pass it to :func:`new_events`.
    """
    # Sequences go as tuples: Streamlit asks of every list argument whether it is a data frame, which imports
    # pandas (0.5 s in a fresh process); a tuple is answered at once and goes out as the same JSON array.  So a
    # cold start's first Sketch map is sent before pandas is imported (ui/sketch_start.py).
    return _component(
        data_file=str(data_file), assign=tuple(int(a) for a in assign), names=tuple(str(n) for n in names),
        colours=tuple(str(c) for c in colours), editing=int(editing), pieces=tuple(int(p) for p in pieces),
        highlight_unassigned=bool(highlight_unassigned), caption=str(caption), message=str(message),
        brush=str(brush), paint=bool(paint), zoom_token=str(zoom_token), height=int(height),
        ready_token=str(ready_token), key=key, default=None,
    )
