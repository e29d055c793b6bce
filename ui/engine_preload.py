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
"""

from __future__ import annotations

from concurrent.futures import Future

import streamlit as st

from spatial import Engine

__all__ = ["DEFAULT_CHOICE", "start", "preloaded"]

#: ``(region, geography)`` of a new session (:func:`ui.state.current_choice` with nothing picked).
DEFAULT_CHOICE = ("london", "2018")


@st.cache_resource(show_spinner=False)
def _slots() -> dict[tuple[str, str], Future]:
    return {}


def start(region: str = DEFAULT_CHOICE[0], geography: str = DEFAULT_CHOICE[1]) -> bool:
    """Load the engine of ``region`` x ``geography`` here, for the script to take; whether it was loaded.

    Nothing is loaded when the dataset's processed cache is not complete, or
    when a load of the same choice was already started.
    """
    from boundaries.cache import is_cached
    from boundaries.regions import base_region

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


def preloaded(region: str, geography: str) -> Engine | None:
    """The engine :func:`start` loaded for this choice (waiting for it), or ``None``; taken once.

    Raises
    ------
    Exception
        What ``Engine.load`` raised on the preload thread (the app shows it as
        when the script loads the engine).
    """
    future = _slots().pop((str(region), str(geography)), None)
    return None if future is None else future.result()
