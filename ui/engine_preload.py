"""The default engine, loaded by ``make run``'s preload thread once the first page is drawn.

``make run``'s launcher (:mod:`ui.serve`) runs a thread beside the server: it
imports the engine's modules and loads the default engine (London, 2018; about
0.2 s from the processed cache) for the next page that needs one.  The
script's engine loader (``ui.state._load_engine``) takes it with
:func:`preloaded` instead of loading it again, and waits when the preload is
still at work on it.  With plain ``streamlit run app.py``, for any other
region, or when the first page itself needs the engine, the script loads the
engine itself, with its progress bar, and the preload leaves that choice alone.

When it works.  One process, one GIL, and two cores shared with the browser:
measured on this machine, a preload that ran while the server started and the
browser loaded Streamlit's frontend made the first page slower (the server
healthy ~0.25 s later, the frontend ~0.3 s later) and the first Sketch map no
faster, since the cores were busy either way.  So the preload starts only after
the first script run of the process has ended and :data:`FIRST_PAGE_PAUSE_S`
more (the browser is still drawing that page), or after :data:`IDLE_START_S`
with no script run at all (:func:`wait_first_page`); the home page, drawn from
its cached files, then needs none of it, and the next page finds it done.  From
then on it gives way to each script run (:func:`wait_turn`, called between two
imports, never inside one, so it holds no import lock while it waits), until a
script asks for the preloaded engine, which makes it go on at once.

The preload only loads a dataset whose processed cache is complete
(:func:`boundaries.cache.is_cached`), so a first build (tens of seconds) keeps
the progress bar.  Each choice has one slot in a Streamlit ``cache_resource``
dict (the process's only shared state, as for every cached engine): the
preload reserves it before its imports (:func:`reserve`), so a script that
asks meanwhile waits for it rather than loading a second copy; a script that
asks first claims it, and the preload then loads nothing.  No Streamlit element
is made here: elements made outside a script run would be recorded by the cache
and replayed wrongly.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING, Iterator

import streamlit as st

if TYPE_CHECKING:  # the engine's modules are what the preload imports: not on import of this module
    from spatial import Engine

__all__ = ["DEFAULT_CHOICE", "MAX_WAIT_S", "FIRST_PAGE_PAUSE_S", "IDLE_START_S", "reserve", "fill", "preloaded",
           "script_running", "wait_turn", "wait_first_page"]

#: ``(region, geography)`` of a new session (:func:`ui.state.current_choice` with nothing picked).
DEFAULT_CHOICE = ("london", "2018")

#: Longest the preload waits for script runs at one step (seconds): a safety bound, since every
#: script run ends or asks for the engine long before.
MAX_WAIT_S = 5.0
#: Seconds the preload waits after the process's first script run ends (the browser is drawing that page).
FIRST_PAGE_PAUSE_S = 1.0
#: Seconds after which the preload starts when no script has run yet (nobody has opened the app).
IDLE_START_S = 5.0
#: Longest wait for a first script run to end (seconds): a safety bound.
FIRST_PAGE_MAX_WAIT_S = 60.0


class _Turns:
    """Script runs in progress and ended, and whether one has asked for the preloaded engine."""

    def __init__(self) -> None:
        self.running = 0
        self.finished = 0
        self.wanted = False
        self.changed = threading.Condition()


@st.cache_resource(show_spinner=False)
def _slots() -> dict[tuple[str, str], Future | None]:
    """Per choice: the preload's load, or ``None`` once a script has taken or claimed it."""
    return {}


@st.cache_resource(show_spinner=False)
def _turns() -> _Turns:
    return _Turns()


@contextlib.contextmanager
def script_running() -> Iterator[None]:
    """Mark a script run in progress (``app.py`` runs every page inside it): the preload waits meanwhile."""
    turns = _turns()
    with turns.changed:
        turns.running += 1
    try:
        yield
    finally:
        with turns.changed:
            turns.running -= 1
            turns.finished += 1
            turns.changed.notify_all()


def wait_turn(max_wait: float = MAX_WAIT_S) -> float:
    """Wait while a script runs that has not asked for the engine (at most ``max_wait`` s); the seconds waited.

    Called by the preload thread (:mod:`ui.serve`) between its steps.
    """
    import time

    turns = _turns()
    t0 = time.monotonic()
    with turns.changed:
        turns.changed.wait_for(lambda: turns.running == 0 or turns.wanted, timeout=max_wait)
    return time.monotonic() - t0


def wait_first_page(idle: float = IDLE_START_S, pause: float = FIRST_PAGE_PAUSE_S,
                    max_wait: float = FIRST_PAGE_MAX_WAIT_S) -> float:
    """Wait for the first script run to end, then ``pause`` s (or ``idle`` s with no run); the seconds waited.

    Called once by the preload thread (:mod:`ui.serve`) before it starts.  A
    script run in progress when ``idle`` passes is waited for; the whole wait
    is bounded by ``max_wait``.
    """
    import time

    turns = _turns()
    t0 = time.monotonic()
    with turns.changed:
        while not turns.finished:
            now = time.monotonic() - t0
            if now >= max_wait or (now >= idle and turns.running == 0):
                return now
            until = max_wait if turns.running or now >= idle else idle
            turns.changed.wait(timeout=until - now)
    time.sleep(pause)
    return time.monotonic() - t0


def reserve(region: str = DEFAULT_CHOICE[0], geography: str = DEFAULT_CHOICE[1]) -> Future | None:
    """The slot of ``region`` x ``geography`` for the preload to fill (:func:`fill`), or ``None``.

    ``None`` when the dataset's processed cache is not complete, or when the
    slot is taken: a load of the same choice was started, or a script loaded
    that engine itself.
    """
    from boundaries.cache import is_cached
    from boundaries.regions import base_region

    key = (str(region), str(geography))
    if not is_cached(base_region(*key)[0]):
        return None
    future: Future = Future()
    return future if _slots().setdefault(key, future) is future else None


def fill(future: Future, region: str = DEFAULT_CHOICE[0], geography: str = DEFAULT_CHOICE[1]) -> None:
    """Load the engine of ``region`` x ``geography`` into its reserved slot (or the error that stopped it)."""
    from spatial import Engine

    try:
        future.set_result(Engine.load(str(region), geography=str(geography)))
    except BaseException as exc:  # noqa: BLE001 - the script raises it where it loads the engine
        future.set_exception(exc)


def preloaded(region: str, geography: str) -> "Engine | None":
    """The engine the preload loaded for this choice (waiting for it), or ``None``: the script loads it then.

    Taken once: the slot stays claimed, so the preload never loads this choice
    after a script has (:func:`reserve`).  The preload stops giving way to
    script runs from here on (a script may be waiting for it).

    Raises
    ------
    Exception
        What ``Engine.load`` raised on the preload thread (the app shows it as
        when the script loads the engine).
    """
    turns = _turns()
    with turns.changed:
        turns.wanted = True
        turns.changed.notify_all()
    slots = _slots()
    key = (str(region), str(geography))
    future = slots.setdefault(key, None)  # None: claimed by the script, which loads the engine itself
    if future is None:
        return None
    slots[key] = None
    return future.result()
