"""The click map's "drawn" signal (:mod:`ui.map_ready`): noted from the server's requests, waited for by a run."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from ui import map_ready
from ui.map_ready import BEACON, ReadySignals, token_of, watch

PATH = "/component/ui.components.clickmap.component.clickmap/" + BEACON


def test_a_noted_token_ends_the_wait_and_another_does_not():
    signals = ReadySignals()
    assert signals.wait("abc", timeout=0.05) is False  # nothing noted: the bounded wait runs out
    signals.note("xyz")
    assert signals.wait("abc", timeout=0.05) is False
    signals.note("abc")
    assert signals.wait("abc", timeout=0) is True


def test_a_wait_wakes_when_another_thread_notes_its_token():
    signals = ReadySignals()
    threading.Timer(0.1, signals.note, args=("t1",)).start()
    t = time.perf_counter()
    assert signals.wait("t1", timeout=30) is True
    assert time.perf_counter() - t < 29  # woken by the note, not by the timeout


def test_only_the_latest_tokens_are_kept():
    signals = ReadySignals(keep=3)
    for k in range(5):
        signals.note(f"t{k}")
    assert [signals.wait(f"t{k}", timeout=0) for k in range(5)] == [False, False, True, True, True]


@pytest.mark.parametrize(("path", "query", "token"), [
    (PATH, b"t=Abc-123_x", "Abc-123_x"),
    ("/base/url" + PATH, b"t=abc&x=1", "abc"),  # under server.baseUrlPath
    (PATH, b"", None),  # no token
    (PATH, b"t=", None),
    (PATH, b"t=" + b"a" * 65, None),  # longer than any token the page makes
    ("/component/x/clickmap.js", b"t=abc", None),  # another file
    ("/" + BEACON, b"t=abc", None),  # not a component's file
    ("/component/x/not-" + BEACON, b"t=abc", None),
])
def test_only_a_components_beacon_request_carries_a_token(path, query, token):
    assert token_of(path, query) == token


def test_the_wrapped_app_notes_beacons_and_passes_every_scope_on_unchanged():
    signals = ReadySignals()
    passed: list[dict] = []

    async def app(scope, receive, send):
        passed.append(scope)

    async def receive():  # pragma: no cover - the app never reads a body
        return {"type": "http.request", "body": b""}

    async def send(message):  # pragma: no cover - the app sends nothing
        pass

    scopes = [{"type": "http", "path": PATH, "query_string": b"t=tok1"},
              {"type": "http", "path": "/component/x/index.html", "query_string": b"t=tok2"},
              {"type": "websocket", "path": PATH, "query_string": b"t=tok3"},
              {"type": "lifespan"}]

    async def main():
        wrapped = watch(app, signals)
        for scope in scopes:
            await wrapped(scope, receive, send)

    asyncio.run(main())
    assert passed == scopes and all(a is b for a, b in zip(passed, scopes))
    assert signals.wait("tok1", timeout=0) is True
    assert signals.wait("tok2", timeout=0) is False and signals.wait("tok3", timeout=0) is False


def test_nothing_watches_until_the_launcher_installs_the_signals(monkeypatch):
    monkeypatch.setattr(map_ready, "_installed", None)  # as in a plain `streamlit run` or AppTest process
    assert map_ready.watching() is None
    signals = map_ready.install()
    assert map_ready.watching() is signals and map_ready.install() is signals  # one per process
