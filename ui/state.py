"""Per-browser-session state of the app, and the shared read-only engine.

The engine (units, index, adjacency) is loaded once per server process with
``st.cache_resource`` and never mutated, so sessions share it safely
(:func:`checking_engine` is that engine with the care-flow model attached).  Each
browser session keeps its own :class:`AppState` in ``st.session_state``: two
people editing at once never see each other's edits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import streamlit as st

from boundaries.config import Settings, settings
from boundaries.errors import FootprintsError

if TYPE_CHECKING:  # the engine's modules are imported where an engine or a scenario is made, so the home
    # page of a cold start (drawn from its cached files) runs without them
    from spatial import Engine, Scenario
    from spatial.editing import History

__all__ = ["get_engine", "engine_or_stop", "get_state", "AppState", "commit", "show_error", "current_choice",
           "REGION_KEY", "GEOGRAPHY_KEY", "STATE_KEY", "DEFAULT_BRUSH", "app_settings", "checking_engine",
           "load_into_session"]

STATE_KEY = "footprints_state"


#: Session keys of the region / geography picker (the sidebar of app.py).
REGION_KEY, GEOGRAPHY_KEY = "fp_region", "fp_geography"
#: The brush of a new session (the Sketch page also falls back on it when a region lacks the chosen one).
DEFAULT_BRUSH = "borough"


@st.cache_resource(show_spinner=False)
def _load_engine(region: str, geography: str = "2018") -> Engine:
    import warnings

    from boundaries.cache import CacheWarning
    from spatial import Engine
    from ui.engine_preload import preloaded

    bar = st.progress(0.0, text="Loading boundaries and population…")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CacheWarning)
            engine = preloaded(region, geography) or Engine.load(  # preloaded: make run's preload (ui.serve)
                region, geography=geography, progress=lambda f, msg: bar.progress(min(f, 1.0), text=msg))
    finally:
        bar.empty()
    for w in caught:  # e.g. an unusable FOOTPRINTS_CACHE: the app runs, uncached, and says so
        if issubclass(w.category, CacheWarning):
            st.warning(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return engine


def engine_or_stop() -> Engine:
    """This session's engine (:func:`get_engine`); when the data cannot be loaded, a message and the end of the run.

    A data-load error is a message naming the fault and its fix, never a traceback,
    and no page opens on half-loaded data.
    """
    try:
        return get_engine()
    except Exception as exc:  # noqa: BLE001 - a data-load error is a message, never a traceback
        detail = str(exc) if isinstance(exc, FootprintsError) else (
            f"{type(exc).__name__}: {exc}. Fix: run `python -m boundaries status` to see which file is at fault")
        st.error(f"The boundary and population data could not be loaded, so no page can open. {detail}")
        st.stop()


def current_choice() -> tuple[str, str]:
    """``(region, geography)`` picked in this session (London, 2018 until the user picks another)."""
    return (str(st.session_state.get(REGION_KEY) or "london"), str(st.session_state.get(GEOGRAPHY_KEY) or "2018"))


def get_engine(region: str | None = None, geography: str | None = None) -> Engine:
    """The engine for ``region`` x ``geography`` (default: this session's choice), loaded once per process.

    The cache is keyed by both, so sessions looking at different regions share nothing mutable.
    """
    r, g = current_choice()
    return _load_engine(region or r, str(geography or g))


def _history() -> History:
    from spatial.editing import History

    return History()


@dataclass
class AppState:
    """What one browser session is editing.

    Attributes
    ----------
    history : History
        Scenario versions; ``history.current`` is the scenario on screen.
    editing : str or None
        Name of the footprint the map clicks go to.
    level : str
        Level of new footprints.
    brush : str
        ``unit``, ``msoa``, ``borough`` or ``ccg``.
    lock : bool
        Clicks do not take units already in another footprint of the same level.
    compare_with : Scenario or None
        A scenario to compare against (Scenarios page).
    message : str
        Last notice for the user (e.g. what was undone).
    notice_page : (str, str) or None
        The notice and the page that showed it first (:func:`page_notice`).
    """

    history: History = field(default_factory=_history)
    editing: str | None = None
    level: str = "multi_borough"
    brush: str = DEFAULT_BRUSH
    lock: bool = True
    compare_with: Scenario | None = None
    message: str = ""
    notice_page: tuple[str, str] | None = None

    @property
    def scenario(self) -> Scenario:
        """The scenario on screen."""
        return self.history.current


def _blank(region: str, geography: str) -> Scenario:
    from boundaries.config import default_year
    from spatial import Scenario

    return Scenario("Untitled scenario", geography=geography, region=region, year=default_year(geography))


def get_state() -> AppState:
    """This browser session's state (created with a blank scenario on first use).

    When the user picks another geography, the scenario on screen (whose codes belong to the other vintage)
    is kept in the undo history and a blank scenario of the new geography is started.
    """
    region, geography = current_choice()
    if STATE_KEY not in st.session_state:
        state = AppState()
        if geography != "2018":
            state.level = "multi_place"
        state.history.push(_blank(region, geography), "new scenario")
        st.session_state[STATE_KEY] = state
    state = st.session_state[STATE_KEY]
    if state.scenario.geography != geography:
        from spatial.thresholds import GEOGRAPHY_LEVELS

        state.history.push(_blank(region, geography), f"switched to the {geography} geography")
        state.level = GEOGRAPHY_LEVELS[geography][2]
        state.editing = None
        state.message = (f"Switched to the {geography} geography: a new blank scenario was started (undo brings "
                         "the previous one back; convert a saved scenario with python -m spatial convert).")
    return state


def page_notice(page: str) -> str:
    """The last notice, on the page that shows it first only (a "Loaded ..." notice stayed on every page).

    A new notice is shown by the next page that asks; it then stays on that
    page (its reruns) and is not repeated on the others.
    """
    state = get_state()
    msg = state.message
    if not msg:
        return ""
    seen = state.notice_page
    if seen is None or seen[0] != msg or seen[1] == page:
        state.notice_page = (msg, page)
        return msg
    return ""


def commit(scenario: Scenario, label: str) -> None:
    """Make ``scenario`` current, recording ``label`` for undo."""
    state = get_state()
    state.history.push(scenario, label)
    if state.editing not in scenario.names():
        state.editing = scenario.names()[0] if scenario.footprints else None


def show_error(exc: Exception) -> None:
    """Show a user error as a message on the page (never a traceback)."""
    if isinstance(exc, FootprintsError):
        st.error(str(exc))
    else:  # pragma: no cover - unexpected errors are still shown without a traceback
        st.error(f"Something went wrong: {type(exc).__name__}: {exc}")


def app_settings() -> Settings:
    """The settings of this run (:func:`boundaries.settings`: every environment variable, read in one place).

    Read afresh on each call (a dict copy, no disk reads beyond one folder test), so a page
    reads it once per run and passes what it needs down (the scenarios folder, Chromium).
    """
    return settings()


@st.cache_resource(show_spinner=False)
def _flows_engine(_engine: Engine, region: str, key: str) -> tuple[Engine, str]:
    """The shared engine with the PHE care-flow model attached (once per server process)."""
    try:
        from spatial.careflows.cache import cached_care_flows

        flows = cached_care_flows(_engine.geo, 2018)  # built once per dataset, then read from the processed cache
    except ImportError:
        return _engine, "care flows not measured: the care-flow model is not installed"
    except FootprintsError as exc:
        return _engine, f"care flows not measured: {exc}"
    return _engine.with_flows(flows), ""


def checking_engine() -> tuple[Engine, str]:
    """The engine every page here checks with, and a note when care flows are not measured.

    It is the app's shared read-only engine, with the care-flow model attached
    when the data has one, so the Check table, the exports and the comparison
    all show the same verdicts.
    """
    engine = get_engine()
    if engine.flows is not None:
        return engine, ""
    return _flows_engine(engine, engine.geo.region, engine.geo.key)


def load_into_session(scenario: Scenario, label: str, *, engine: Engine | None = None) -> bool:
    """Make ``scenario`` current and remember it as loaded (for "compare with the original").

    The scenario's member codes are checked first (when ``engine`` is given):
    on any problem the error is shown and the current scenario stays as it was.

    Returns
    -------
    bool
        Whether it was loaded.
    """
    if engine is not None:
        try:
            from spatial.io import validate_members

            validate_members(scenario, engine.for_year(scenario.year).index, where=label)
        except FootprintsError as exc:
            st.error(f"Not loaded — {exc}")
            return False
    state = get_state()
    commit(scenario, f"load {label}")
    if scenario.footprints and not scenario.names(state.level):
        # open Sketch where the footprints are (e.g. proposed localities: the locality level)
        levels = [fp.level for fp in scenario.footprints]
        state.level = max(dict.fromkeys(levels), key=levels.count)
        state.editing = scenario.names(state.level)[0]
    state.compare_with = scenario
    state.message = f"Loaded {scenario.name!r} ({len(scenario.footprints)} footprints) from {label}."
    return True
