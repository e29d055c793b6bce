"""Start the app as ``make run`` does: ``streamlit run app.py``, the engine made ready after the first page.

A cold start's first page (the home page, drawn from its cached map and counts)
imports none of the engine's modules.  Everything else a page needs -- pandas,
geopandas, scipy, the engine's modules and the default engine (London, 2018,
when its processed cache is complete) -- is imported and loaded on a daemon
thread once that first page is drawn, while the planner reads it, so the next
page finds it done (:mod:`ui.engine_preload` says when the thread starts, how
it gives way to script runs, and how a page that asks meanwhile waits for it
rather than loading a second copy).  When the first page is one that needs the
engine (a link to Sketch), its script loads it, with its progress bar, as with
plain ``streamlit run app.py``.  The thread also does the one-time "is this a
REPL?" check that Streamlit's first element makes (``inspect.stack()``, which
reads the source of every frame).  Every connection the server accepts sends
without delay (:func:`send_without_delay`), and the server notes the click
map's "drawn" signal, for which a new session's first Sketch run waits before
it loads the engine (:func:`watch_map_ready`, :mod:`ui.map_ready`).  Arguments are passed on to
``streamlit run app.py``::

    python -m ui.serve --server.headless true --server.address 127.0.0.1 --server.port 8501
"""

from __future__ import annotations

import importlib
import sys
import threading
from pathlib import Path
from typing import Callable

__all__ = ["APP", "PRELOAD", "main", "send_without_delay", "no_delay", "defer_component_scan", "watch_map_ready"]

APP = Path(__file__).resolve().parent.parent / "app.py"

#: What a page with the engine imports, one package at a time (so the thread gives way to a script run
#: between two of them: :func:`ui.engine_preload.wait_turn`), heaviest first.  No Streamlit page modules
#: (``ui.*``): their Streamlit objects are made by the script run itself (``declare_component`` registers the
#: click map only inside a script run, so ``ui.components.clickmap`` imported here would be served by nobody).
#: Not pyogrio: only reading a source file needs it, and a page reads the processed cache.
PRELOAD = ("numpy", "pandas", "pyarrow", "shapely", "pyproj", "geopandas", "scipy.sparse",
           "boundaries.geographies", "boundaries.cache", "boundaries.regions", "spatial.api", "pyarrow.parquet",
           "pyarrow.dataset", "pyarrow.pandas_compat", "spatial.overlaps", "spatial.careflows",
           "scipy.sparse.csgraph", "boundaries.status", "spatial.editing", "spatial.careflows.cache",
           "layers.assets", "layers.geometry", "layers.style", "layers.text", "layers.topology")


def no_delay(transport) -> bool:
    """Turn Nagle's algorithm off on ``transport``'s TCP socket; whether it was turned off."""
    import socket

    sock = transport.get_extra_info("socket")
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return False
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        return False
    return True


def send_without_delay() -> bool:
    """Make the server send every response at once (TCP_NODELAY on each connection); whether it was set up.

    Streamlit's server (1.67: uvicorn on a socket Streamlit binds itself) makes
    its listening socket with ``socket.socket(family)``, protocol number 0, and
    asyncio turns Nagle's algorithm off only on sockets whose protocol is
    ``IPPROTO_TCP``; so on every keep-alive connection a response's body waits
    for the browser to acknowledge its headers, which Linux delays by 40 ms.
    Measured here: 44 ms per request on one connection instead of 1.7 ms, and
    the ~100 files of a first visit, six connections at a time, took about
    0.7 s instead of about 0.1 s (``bench/bench_app_start.py`` measures both).
    The HTTP protocol uvicorn picks is wrapped, so each accepted connection is
    set before its first byte.
    """
    try:
        from uvicorn.config import Config
    except ImportError:  # another server: nothing to set
        return False
    if getattr(Config.load, "_footprints_no_delay", False):
        return True
    load = Config.load

    def load_without_delay(self) -> None:
        load(self)
        base = self.http_protocol_class

        class NoDelayProtocol(base):  # type: ignore[misc, valid-type]
            def connection_made(self, transport) -> None:  # noqa: D102 - asyncio.Protocol
                no_delay(transport)
                super().connection_made(transport)

        NoDelayProtocol.__name__ = NoDelayProtocol.__qualname__ = f"NoDelay{base.__name__}"
        self.http_protocol_class = NoDelayProtocol

    load_without_delay._footprints_no_delay = True  # type: ignore[attr-defined]
    Config.load = load_without_delay
    return True


def watch_map_ready() -> bool:
    """Make the server note each click map's "drawn" request (:mod:`ui.map_ready`); whether it was set up.

    Streamlit's ASGI app, once uvicorn has loaded it, is wrapped by
    :func:`ui.map_ready.watch`, so a new session's first Sketch run can wait for
    its map to have Leaflet and its data before it imports the engine.  Without uvicorn nothing is
    wrapped, :func:`ui.map_ready.watching` stays ``None`` and no page waits.
    """
    try:
        from uvicorn.config import Config
    except ImportError:  # another server: nothing notes the beacon, so nobody waits for it
        return False
    from ui import map_ready

    if getattr(Config.load, "_footprints_map_ready", False):
        return True
    load = Config.load
    signals = map_ready.install()

    def load_watching(self) -> None:
        load(self)
        self.loaded_app = map_ready.watch(self.loaded_app, signals)

    load_watching._footprints_map_ready = True  # type: ignore[attr-defined]
    load_watching._footprints_no_delay = getattr(load, "_footprints_no_delay", False)  # type: ignore[attr-defined]
    Config.load = load_watching
    return True


def defer_component_scan() -> Callable[[], None] | None:
    """Take Streamlit's scan for installed Custom Components v2 off the server's start; the deferred scan.

    Streamlit 1.67's runtime, as it starts, reads the metadata of every
    installed distribution looking for v2 component packages (0.13 s for this
    venv's 96, finding none), before the server answers.  Footprints uses no v2
    component (its map is a v1 component declared from its own folder), so the
    launcher makes the start record the call instead, and the preload thread
    runs it once the first page is drawn: a v2 component package installed
    later is still registered, only later.  ``None`` when this Streamlit has no
    such scan.
    """
    try:
        from streamlit.components.v2.component_manager import BidiComponentManager
    except ImportError:
        return None
    scan = BidiComponentManager.discover_and_register_components
    calls: list[tuple[object, dict]] = []

    def record(self, **kwargs) -> None:
        calls.append((self, kwargs))

    def run_deferred() -> None:
        while calls:
            manager, kwargs = calls.pop()
            scan(manager, **kwargs)

    BidiComponentManager.discover_and_register_components = record  # type: ignore[method-assign]
    return run_deferred


def _streamlit_first_use() -> None:
    """Streamlit's one-time check before the first element (is this a REPL?), done here, off the script.

    It walks ``inspect.stack()`` once per process; on this thread the answer is the
    same (not a REPL) and, the runtime being up, nothing is printed.
    """
    from streamlit import delta_generator

    delta_generator._maybe_print_use_warning()


def _preload(deferred: Callable[[], None] | None = None) -> None:
    """Import the engine's modules and load the default engine, once the first page is drawn (see
    :mod:`ui.engine_preload`): the slot is reserved first, so a page that asks meanwhile waits for it.

    Before that wait, as soon as the runtime exists, Streamlit's one-time "is this a REPL?" check is
    done here, on a shallow stack (on the first script run it reads the source of every frame of a
    deep one); after it, the ``deferred`` work (:func:`defer_component_scan`).
    """
    import time

    from streamlit.runtime import Runtime

    deadline = time.monotonic() + 30
    while not Runtime.exists() and time.monotonic() < deadline:  # the runtime holds the cache that shares the slots
        time.sleep(0.02)
    from ui import engine_preload  # streamlit and the standard library only

    try:
        _streamlit_first_use()
    except Exception:  # noqa: BLE001 - a Streamlit without it: the first element does it, as before
        pass
    engine_preload.wait_first_page()
    if deferred is not None:
        try:
            deferred()
        except Exception:  # noqa: BLE001 - as at Streamlit's start: a broken component package is logged there
            pass
    future = None
    try:
        future = engine_preload.reserve()  # None: not cached, or a script has loaded the engine itself
        for name in PRELOAD:
            engine_preload.wait_turn()  # between two imports: give way to a script run that needs none of this
            importlib.import_module(name)
        if future is not None:
            engine_preload.wait_turn()
            engine_preload.fill(future)
    except Exception:  # noqa: BLE001 - the script imports it again and reports the error there
        pass
    finally:
        if future is not None and not future.done():  # stopped early: the script loads the engine itself
            future.set_result(None)


def main(argv: list[str] | None = None) -> int:
    """Start the preloading thread, then ``streamlit run app.py`` with ``argv``; the exit status."""
    root = str(APP.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    send_without_delay()
    watch_map_ready()
    deferred = defer_component_scan()
    threading.Thread(target=_preload, args=(deferred,), daemon=True, name="footprints-preload").start()
    from streamlit.web import cli

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        cli.main(["run", str(APP), *args], prog_name="streamlit")
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
