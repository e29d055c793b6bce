"""The Sketch page before the engine: a new session's first run draws its tools and map from a kept record.

A cold start's first Sketch page spends most of its run importing pandas,
geopandas and scipy and loading the engine, and the browser can only start
fetching and drawing the 4,835 shapes once the map element reaches it.  A new
session needs none of the engine to show that map: its scenario is blank (no
footprint, every unit unassigned).  So the page keeps, per data and code, what
its tools row and map take from the engine (:class:`MapStart`: the map file,
the number of map areas, the brushes), and a new session's first run draws
the tools and the map from it (:func:`blank_view`) *before* it imports the
engine: the browser fetches and draws the shapes while the engine loads.

Under ``make run`` the first run then waits, at most :data:`MAP_READY_WAIT_S`,
until the map's frame says it has Leaflet and the shapes (:mod:`ui.map_ready`),
so the engine's imports do not slow the server's answers to the browser.

The page then builds the same :class:`SketchView` from the engine, as on every
run, and compares: when the kept record was stale (other data, other code), it
keeps the new one and reruns, so the map always ends up showing what the
engine says.  Nothing here imports numpy, pandas or the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ui.kept import keep_text, kept_folder, kept_stem, read_kept_json
from ui.state import DEFAULT_BRUSH

__all__ = ["MapStart", "SketchView", "start_file", "read_start", "keep_start", "blank_view", "map_args", "map_caption",
           "ready_token", "MAP_HEIGHT", "MAP_READY_WAIT_S", "START_VERSION", "WAITED_KEY"]

#: Layout of the kept record, bumped when it changes.
START_VERSION = 1
#: Height of the Sketch map in pixels.
MAP_HEIGHT = 620
#: Longest a new session's first run waits for its map's signal before it loads the engine (seconds;
#: only under ``make run``, whose server notes the map's signal: :mod:`ui.map_ready`).  Leaflet and the data were
#: in the frame 0.6-1.2 s after the map was sent, in four timelines of cold starts on a busy 2-core machine; a map
#: that never sends it (a closed tab, a broken frame) delays that session's first tallies by this much.
MAP_READY_WAIT_S = 2.0
#: Session key: this session has sent its map with a token once (a later run never waits again).
WAITED_KEY = "sketch_map_ready_waited"
#: The code whose output the record describes: a change to any of it gives the record another name.
_MADE_BY = (Path(__file__).resolve(), Path(__file__).resolve().parent / "pages" / "sketch.py",
            Path(__file__).resolve().parent / "components" / "clickmap")


@dataclass(frozen=True)
class MapStart:
    """What the Sketch page's tools and map take from the engine, for one region, geography and dataset.

    Attributes
    ----------
    data_file : str
        The map file, relative to the click map's frontend (:func:`ui.components.clickmap.ensure_map_data`).
    n : int
        Number of areas on the map (units; places for a region too large to draw unit by unit).
    brushes : dict
        Brush key -> label, in the order the page offers them.
    """

    data_file: str
    n: int
    brushes: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"data_file": self.data_file, "n": self.n, "brushes": [[k, v] for k, v in self.brushes.items()]}


@dataclass(frozen=True)
class SketchView:
    """What the Sketch page's main area shows: the tools row and the map's arguments (plain data, comparable).

    Attributes
    ----------
    level : str
        Level of the footprints shown and edited.
    levels : tuple of str
        Levels of the scenario's geography.
    names : tuple of str
        Footprints at ``level``.
    editing : str or None
        The footprint being edited.
    new_name : str
        The name a click on an empty level gives the footprint it starts.
    brush : str
        The brush.
    brushes : tuple of (str, str)
        Brush key and label.
    lock : bool
        Clicks leave units of other footprints alone.
    undo, redo : str or None
        What Undo / Redo would take back or redo (``None``: nothing).
    map : tuple of (str, object)
        The click map's keyword arguments (:func:`ui.components.clickmap.clickmap`), sequences as tuples.
    """

    level: str
    levels: tuple[str, ...]
    names: tuple[str, ...]
    editing: str | None
    new_name: str
    brush: str
    brushes: tuple[tuple[str, str], ...]
    lock: bool
    undo: str | None
    redo: str | None
    map: tuple[tuple[str, Any], ...]

    def map_kwargs(self) -> dict[str, Any]:
        """The click map's keyword arguments."""
        return dict(self.map)


def map_args(data_file: str, assign, *, names=(), colours=(), editing: int = -1, pieces=(), highlight: bool = True,
             caption: str = "", message: str = "", brush: str = DEFAULT_BRUSH, paint: bool = False,
             zoom_token: str = "") -> tuple[tuple[str, Any], ...]:
    """The click map's keyword arguments (:func:`ui.components.clickmap.clickmap`, without its key), in one
    order and with sequences as tuples, so that two views compare equal exactly when the map would be the same."""
    return (("data_file", str(data_file)), ("assign", tuple(int(a) for a in assign)),
            ("names", tuple(str(n) for n in names)), ("colours", tuple(str(c) for c in colours)),
            ("editing", int(editing)), ("pieces", tuple(int(p) for p in pieces)),
            ("highlight_unassigned", bool(highlight)), ("caption", str(caption)), ("message", str(message)),
            ("brush", str(brush)), ("paint", bool(paint)), ("zoom_token", str(zoom_token)), ("height", MAP_HEIGHT))


def ready_token(session_state, signals) -> str:
    """A one-off token for the map's "drawn" signal (:mod:`ui.map_ready`), or ``""``: do not wait.

    ``""`` when nothing notes the signal (``signals`` is ``None``: plain ``streamlit run``, AppTest) or when this
    session has had its token already: a rerun of an interrupted first run finds its map in the browser, drawn,
    and no signal would come again.
    """
    import secrets

    if signals is None or session_state.get(WAITED_KEY):
        return ""
    session_state[WAITED_KEY] = True
    return secrets.token_urlsafe(12)


def map_caption(brush_label: str, editing: str | None) -> str:
    """The line in the map's corner: the brush, and the footprint being edited."""
    return f"Brush: {brush_label}" + (f" · editing: {editing}" if editing else "")


def start_file(region: str, geography: str, config) -> Path | None:
    """Where the record for this choice is kept (``None`` when the data cannot be fingerprinted)."""
    stem = kept_stem("sketch", region, geography, config, _MADE_BY, START_VERSION)
    return kept_folder(config) / f"{stem}.json" if stem else None


def read_start(path: Path | None, frontend_dir: Path | None = None) -> MapStart | None:
    """The record kept at ``path``; ``None`` when there is none or it is unusable (the page then loads first).

    Unusable: damaged, empty, or naming a map file that is not in ``frontend_dir`` (the click map's frontend
    folder by default; its data files are not in git, so another checkout may lack it), which the browser
    would fail to fetch.
    """
    from ui.components.clickmap.vendor import FRONTEND_DIR

    data = read_kept_json(path, {"data_file", "n", "brushes"}) if path is not None else None
    if data is None:
        return None
    try:
        start = MapStart(str(data["data_file"]), int(data["n"]), {str(k): str(v) for k, v in data["brushes"]})
    except (TypeError, ValueError):
        return None
    folder = Path(frontend_dir or FRONTEND_DIR).resolve()
    if not (start.n > 0 and start.data_file and start.brushes):
        return None
    file = (folder / start.data_file).resolve()
    return start if file.is_relative_to(folder) and file.is_file() else None


def keep_start(path: Path, start: MapStart) -> bool:
    """Keep ``start`` at ``path`` (atomic); whether it was written."""
    import json

    return keep_text(path, json.dumps(start.to_json()))


def blank_view(start: MapStart, geography: str, *, highlight: bool = True, paint: bool = False,
               zoom_token: str = "") -> SketchView | None:
    """The view of a new session (a blank scenario, the default level, brush and lock) from a kept record.

    ``None`` when the record does not offer the default brush (the page then draws after loading).
    The defaults are those of :class:`ui.state.AppState` for a new session, settled as the page settles them.
    """
    from spatial.thresholds import GEOGRAPHY_LEVELS, LEVEL_LABELS

    from ui.components.clickmap import UNASSIGNED

    if DEFAULT_BRUSH not in start.brushes or geography not in GEOGRAPHY_LEVELS:
        return None
    levels = tuple(GEOGRAPHY_LEVELS[geography])
    level = levels[2]
    return SketchView(
        level=level, levels=levels, names=(), editing=None, new_name=f"New {LEVEL_LABELS[level]} 1",
        brush=DEFAULT_BRUSH, brushes=tuple(start.brushes.items()), lock=True, undo=None, redo=None,
        map=map_args(start.data_file, (UNASSIGNED,) * start.n, highlight=highlight,
                     caption=map_caption(start.brushes[DEFAULT_BRUSH], None), paint=paint, zoom_token=zoom_token),
    )
