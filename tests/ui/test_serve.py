"""``make run``'s launcher (``python -m ui.serve``): every connection the server accepts sends without delay."""

from __future__ import annotations

import asyncio
import socket

from ui import serve


def _accepted_socket_options(protocol_class) -> tuple[int, int]:
    """(TCP_NODELAY on the accepted socket, its protocol number) for a server socket bound as Streamlit binds it."""
    listener = socket.socket(family=socket.AF_INET)  # as streamlit.web.server.starlette_server._bind_socket: proto 0
    listener.setblocking(False)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    seen: list[tuple[int, int]] = []

    class Recorder(protocol_class):
        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            sock = transport.get_extra_info("socket")
            seen.append((sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), sock.proto))
            transport.close()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Recorder, sock=listener)
        reader, writer = await asyncio.open_connection(*listener.getsockname())
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        await server.wait_closed()

    asyncio.run(main())
    return seen[0]


def test_streamlit_s_own_socket_leaves_nagle_on_and_the_wrapped_protocol_turns_it_off():
    class Plain(asyncio.Protocol):
        pass

    nodelay, proto = _accepted_socket_options(Plain)
    assert proto == 0 and nodelay == 0  # asyncio sets TCP_NODELAY only when proto == IPPROTO_TCP: the 40 ms stalls

    class Fixed(asyncio.Protocol):
        def connection_made(self, transport) -> None:
            assert serve.no_delay(transport)

    nodelay, _ = _accepted_socket_options(Fixed)
    assert nodelay != 0


def test_uvicorn_s_protocol_is_wrapped_once_and_sets_no_delay(monkeypatch):
    from uvicorn.config import Config

    monkeypatch.setattr(Config, "load", Config.load)  # undone after the test
    assert serve.send_without_delay() is True
    assert serve.send_without_delay() is True  # a second call wraps nothing twice
    assert getattr(Config.load, "_footprints_no_delay", False)

    async def app(scope, receive, send):  # pragma: no cover - never called: no request is sent
        pass

    config = Config(app, host="127.0.0.1", port=0)
    config.load()
    wrapped = config.http_protocol_class
    assert wrapped.__name__.startswith("NoDelay")
    assert not wrapped.__mro__[1].__name__.startswith("NoDelay")  # one wrapper only

    made = []

    class Transport:
        def __init__(self, sock):
            self.sock = sock

        def get_extra_info(self, name, default=None):
            return self.sock if name == "socket" else default

    listener = socket.socket(family=socket.AF_INET)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    b = socket.create_connection(listener.getsockname())
    a, _ = listener.accept()
    listener.close()
    assert a.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
    try:
        base = wrapped.__mro__[1]
        monkeypatch.setattr(base, "connection_made", lambda self, transport: made.append(transport))
        proto = wrapped.__new__(wrapped)
        proto.connection_made(Transport(a))
        assert made and a.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        a.close()
        b.close()


def test_a_unix_socket_is_left_alone():
    a, b = socket.socketpair(socket.AF_UNIX)
    try:
        class Transport:
            def get_extra_info(self, name, default=None):
                return a if name == "socket" else default

        assert serve.no_delay(Transport()) is False
    finally:
        a.close()
        b.close()


def test_the_component_scan_waits_for_the_preload_and_still_runs(monkeypatch):
    """Streamlit's start-up scan of every installed package for v2 components is recorded, then run later."""
    from streamlit.components.v2 import component_manager, manifest_scanner

    monkeypatch.setattr(component_manager.BidiComponentManager, "discover_and_register_components",
                        component_manager.BidiComponentManager.discover_and_register_components)  # restored after
    scans = []
    monkeypatch.setattr(manifest_scanner, "scan_component_manifests", lambda *a, **k: scans.append(1) or [])
    deferred = serve.defer_component_scan()
    assert deferred is not None
    manager = component_manager.BidiComponentManager()
    manager.discover_and_register_components(start_file_watching=False)  # what the runtime calls as it starts
    assert scans == []  # not on the server's start
    deferred()  # the preload thread, once the first page is drawn
    assert scans == [1]
    deferred()
    assert scans == [1]  # once


def test_nothing_of_this_app_needs_the_start_up_component_scan():
    """The scan finds no v2 component package in this environment (so deferring it changes no first page)."""
    from streamlit.components.v2.manifest_scanner import scan_component_manifests

    found = [str(root) for _, root in scan_component_manifests()]
    assert found == [], f"v2 component packages installed: {found}; a first page may need them at once"


def test_make_run_serves_this_machine_only_and_asks_nobody_for_its_address(tmp_path):
    """``make run``'s own command line: bound to 127.0.0.1, one URL printed, no external-IP lookup at start.

    Without ``server.address``, headless Streamlit prints a Network and an External URL; for the
    latter it asks checkip.amazonaws.com (1 s timeout, then again over HTTPS) on the event loop, before
    the server answers anything: up to 2 s on a network that drops the request.
    """
    import os
    import shlex
    import subprocess
    import sys

    from tests.browser_helpers import ROOT, free_port, stop_server, wait_healthy

    port = free_port()
    dry = subprocess.run(["make", "-n", "-s", "run", f"PORT={port}"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    line = next((ln for ln in dry.splitlines() if " -m ui.serve " in ln), None)
    assert line is not None, f"no `-m ui.serve` line in make -n run:\n{dry}"
    cmd = [sys.executable, *shlex.split(line)[1:]]  # the venv's python, as $(PY)
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc, timeout=120)
    finally:
        stop_server(proc)
    out = log_path.read_text(encoding="utf-8", errors="replace")
    assert f"URL: http://127.0.0.1:{port}" in out, out
    assert "External URL" not in out and "Network URL" not in out, out


def test_the_loaded_app_is_wrapped_once_to_note_the_maps_signal(monkeypatch):
    """``make run`` wraps Streamlit's ASGI app, once loaded, with :func:`ui.map_ready.watch`; nothing else changes."""
    from uvicorn.config import Config

    from ui import map_ready

    monkeypatch.setattr(Config, "load", Config.load)  # undone after the test
    monkeypatch.setattr(map_ready, "_installed", None)  # so later AppTest runs in this process never wait
    assert serve.send_without_delay() is True
    assert serve.watch_map_ready() is True
    assert serve.watch_map_ready() is True  # a second call wraps nothing twice
    assert serve.send_without_delay() is True  # nor does the other wrapper, after this one
    signals = map_ready.watching()
    assert signals is not None

    seen: list[str] = []

    async def app(scope, receive, send):
        seen.append(scope["path"])

    config = Config(app, host="127.0.0.1", port=0, proxy_headers=False)
    config.load()
    assert config.http_protocol_class.__name__.startswith("NoDelay")  # the first wrapper still applies
    path = "/component/ui.components.clickmap.component.clickmap/ready.txt"

    async def call():
        async def receive():  # pragma: no cover
            return {}

        async def send(message):  # pragma: no cover
            pass

        await config.loaded_app({"type": "http", "path": path, "query_string": b"t=tok"}, receive, send)

    asyncio.run(call())
    assert seen == [path] and signals.wait("tok", timeout=0) is True
