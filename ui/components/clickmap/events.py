"""What the click map sends back, and which of it is new.

The frontend returns ``{"nonce": str, "events": [[seq, action, code], ...]}``:
the last few events of this iframe, ``seq`` counting up from 1.  A click on
the same unit twice is two events (two ``seq`` numbers), and two clicks
faster than one rerun are both delivered, because Streamlit keeps only the
latest value of a component while a rerun is under way.  ``nonce`` is new
whenever the iframe is (page reload, page switch), which restarts ``seq``.

A paint stroke (press, drag, release) is one event ``[seq, "paint",
[code, ...]]``: every unit the pointer crossed, in the order crossed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ACTIONS", "MapEvent", "EventCursor", "new_events"]

#: What an event can ask for.
ACTIONS = ("click", "undo", "redo", "paint", "next_brush", "next_footprint", "previous_footprint")
#: Most unit codes one paint stroke may carry (more is not a stroke a hand makes).
MAX_STROKE = 5000


@dataclass(frozen=True)
class MapEvent:
    """One user action on the map.

    Attributes
    ----------
    seq : int
        Position in this iframe's stream of events (from 1).
    action : {"click", "undo", "redo", "paint", "next_brush", "next_footprint", "previous_footprint"}
        The last three are keys on the focused map (B, ], [).
    code : str
        Unit code clicked (empty for undo/redo; the first unit of a paint stroke).
    codes : tuple of str
        Every unit of a paint stroke, in the order crossed (empty otherwise).
    """

    seq: int
    action: str
    code: str = ""
    codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventCursor:
    """The last event already handled: ``nonce`` of its iframe and its ``seq``."""

    nonce: str = ""
    seq: int = 0


def _parse(item: Any) -> MapEvent | None:
    if not isinstance(item, (list, tuple)) or len(item) < 2:
        return None
    seq, action = item[0], item[1]
    code = item[2] if len(item) > 2 and item[2] is not None else ""
    if isinstance(seq, bool) or not isinstance(seq, (int, float)) or action not in ACTIONS:
        return None
    if action == "paint":
        if not isinstance(code, list) or not code or len(code) > MAX_STROKE \
                or not all(isinstance(c, str) and c for c in code):
            return None
        codes = tuple(dict.fromkeys(code))
        return MapEvent(int(seq), "paint", codes[0], codes)
    if not isinstance(code, str) or (action == "click" and not code):
        return None
    return MapEvent(int(seq), str(action), code)


def new_events(value: Any, cursor: EventCursor) -> tuple[list[MapEvent], EventCursor]:
    """Events in ``value`` not handled yet, oldest first, and the cursor after them.

    Parameters
    ----------
    value : dict or None
        The component's current value.
    cursor : EventCursor
        Where the previous call stopped.

    Returns
    -------
    (list of MapEvent, EventCursor)
        Malformed values and items are ignored (an empty list).
    """
    if not isinstance(value, dict) or not isinstance(value.get("nonce"), str):
        return [], cursor
    items = value.get("events")
    if not isinstance(items, list):
        return [], cursor
    events = sorted((e for e in map(_parse, items) if e is not None), key=lambda e: e.seq)
    nonce = value["nonce"]
    after = cursor.seq if nonce == cursor.nonce else 0
    fresh = [e for e in events if e.seq > after]
    if not fresh:
        return [], cursor if nonce == cursor.nonce else EventCursor(nonce, max((e.seq for e in events), default=0))
    return fresh, EventCursor(nonce, fresh[-1].seq)
