"""The click map's "drawn" signal: a new session's first Sketch run lets the browser draw before the engine loads.

A new session's Sketch page sends its map from a kept record before it imports
the engine (:mod:`ui.sketch_start`).  The browser then asks this server for
Streamlit's component code, the map's frame, Leaflet and the map data, while
the script imports pandas, geopandas and scipy and loads the engine: about a
second of module initialisation, much of it in C extensions that hold the GIL,
so the server answers each of those requests late.

So under ``make run``, whose launcher sees every request (:mod:`ui.serve`
installs :func:`watch` around Streamlit's ASGI app), the first run sends the
map with a one-off token and waits -- without the GIL, at most
:data:`~ui.sketch_start.MAP_READY_WAIT_S` -- until the map's frame asks for
:data:`BEACON` with that token, which it does once Leaflet and the data have
arrived (the rest is drawing, in the browser) or the map cannot be drawn; then
it loads the engine.  With plain ``streamlit run app.py`` nothing watches
(:func:`watching` is ``None``) and the page does not wait.  Measured on a
2-core machine, fresh starts alternating with the code before in the same
minutes (8 each): the first Sketch map drawn 4.54 -> 3.85 s after the server
started (medians), the page's tallies 5.02 -> 5.10 s.

The signals are one object per process, made by the launcher: the ASGI
wrapper runs on the server's event loop, the wait on a script thread.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qs

__all__ = ["BEACON", "ReadySignals", "install", "watching", "watch", "token_of"]

#: The file the map's frame asks for once Leaflet and its data are there (``frontend/ready.txt``), with
#: ``?t=<token>``.
BEACON = "ready.txt"
#: Tokens remembered (oldest forgotten first): one per new session's first Sketch run.
KEEP = 256

_installed: ReadySignals | None = None


class ReadySignals:
    """Tokens whose map has said "drawn", and a wait for one of them (thread-safe)."""

    def __init__(self, keep: int = KEEP) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._keep = keep
        self._changed = threading.Condition()

    def note(self, token: str) -> None:
        """Record that the map sent with ``token`` has been drawn."""
        with self._changed:
            self._seen[token] = None
            while len(self._seen) > self._keep:
                self._seen.popitem(last=False)
            self._changed.notify_all()

    def wait(self, token: str, timeout: float) -> bool:
        """Wait (without the GIL) until ``token`` is noted, at most ``timeout`` seconds; whether it was."""
        with self._changed:
            return self._changed.wait_for(lambda: token in self._seen, timeout=timeout)


def install() -> ReadySignals:
    """The process's signals, made on first call (by ``make run``'s launcher, before the server starts)."""
    global _installed  # noqa: PLW0603 - one per process, shared by the event loop and the script threads
    if _installed is None:
        _installed = ReadySignals()
    return _installed


def watching() -> ReadySignals | None:
    """The signals when the server notes the map's beacon (``make run``); ``None`` otherwise (do not wait)."""
    return _installed


def token_of(path: str, query_string: bytes) -> str | None:
    """The token of a beacon request (``…/component/<name>/ready.txt?t=<token>``); ``None`` for any other."""
    if "/component/" not in path or not path.endswith("/" + BEACON):
        return None
    values = parse_qs(query_string.decode("latin-1")).get("t")
    token = values[0] if values else ""
    return token if 0 < len(token) <= 64 else None


ASGIApp = Callable[[dict, Callable[[], Awaitable[Any]], Callable[[dict], Awaitable[None]]], Awaitable[None]]


def watch(app: ASGIApp, signals: ReadySignals) -> ASGIApp:
    """``app`` with each beacon request noted in ``signals`` as it arrives (then served by ``app`` as usual)."""

    async def watched(scope, receive, send) -> None:
        if scope.get("type") == "http":
            token = token_of(scope.get("path", ""), scope.get("query_string", b""))
            if token is not None:
                signals.note(token)
        await app(scope, receive, send)

    return watched
