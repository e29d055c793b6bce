"""The default engine, loaded by ``make run``'s preload thread while the browser loads Streamlit's frontend.

``Engine.load`` (about 0.25 s from the processed cache) is the largest cost of
the first page's script run.  :mod:`ui.serve` calls :func:`start` on its
preload thread once the server is up, and the script's engine loader
(``ui.state._load_engine``) takes the result with :func:`preloaded` instead of
loading it again; it waits when the preload is still at work.  Nothing else
changes: with plain ``streamlit run app.py``, or for any other region, the
script loads the engine itself, with its progress bar.

The preload only loads a dataset whose processed cache is complete
(:func:`boundaries.cache.is_cached`), so a first build (tens of seconds) keeps
the progress bar, and only the choice a new session starts with
(:data:`DEFAULT_CHOICE`).  The loaded engine waits in a Streamlit
``cache_resource`` slot (the process's only shared state, as for every cached
engine), which the script empties when it takes it.  No Streamlit element is
made here: elements made outside a script run would be recorded by the cache
and replayed wrongly.

The preload also gives way to a script run that does not need the engine (the
home page of a cold start, which reads its cached map and counts): one
process, one GIL, two cores shared with the browser, so a preload importing
modules at the same time makes that first page about 0.2 s slower.  The app
script runs inside :func:`script_running`; the preload thread calls
:func:`wait_turn` between its steps (between two imports, never inside one,
so it holds no import lock while it waits), and waits while a script runs,
until a script asks for the preloaded engine (:func:`preloaded`, which makes
it go on at once) or :data:`MAX_WAIT_S` has passed.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING, Iterator

import streamlit as st

if TYPE_CHECKING:  # the engine's modules are what the preload imports: not on import of this module
    from spatial import Engine

__all__ = ["DEFAULT_CHOICE", "MAX_WAIT_S", "start", "preloaded", "script_running", "wait_turn"]

#: ``(region, geography)`` of a new session (:func:`ui.state.current_choice` with nothing picked).
DEFAULT_CHOICE = ("london", "2018")

#: Longest the preload waits for script runs at one step (seconds): a safety bound, since every
#: script run ends or asks for the engine long before.
MAX_WAIT_S = 5.0


class _Turns:
    """Script runs in progress, and whether one has asked for the preloaded engine."""

    def __init__(self) -> None:
        self.running = 0
        self.wanted = False
        self.changed = threading.Condition()


@st.cache_resource(show_spinner=False)
def _slots() -> dict[tuple[str, str], Future]:
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


def start(region: str = DEFAULT_CHOICE[0], geography: str = DEFAULT_CHOICE[1]) -> bool:
    """Load the engine of ``region`` x ``geography`` here, for the script to take; whether it was loaded.

    Nothing is loaded when the dataset's processed cache is not complete, or
    when a load of the same choice was already started.
    """
    from boundaries.cache import is_cached
    from boundaries.regions import base_region
    from spatial import Engine

    key = (str(region), str(geography))
    if not is_cached(base_region(*key)[0]):
        return False
    future: Future = Future()
    if _slots().setdefault(key, future) is not future:
        return False
    try:
        future.set_result(Engine.load(key[0], geography=key[1]))
    except BaseException as exc:  # noqa: BLE001 - the script raises it where it loads the engine
        future.set_exception(exc)
    return True


def preloaded(region: str, geography: str) -> "Engine | None":
    """The engine :func:`start` loaded for this choice (waiting for it), or ``None``; taken once.

    The preload stops giving way to script runs from here on (a script is waiting for it).

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
    future = _slots().pop((str(region), str(geography)), None)
    return None if future is None else future.result()
