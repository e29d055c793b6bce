"""A scripted HTTP server on 127.0.0.1 for the download tests.

Each path gets a list of behaviours, consumed one per request; the last one
repeats once the list is used up (so ``drop()`` alone means "drop every
time").  Unscripted paths answer 404.  Every request is logged, and errors
inside the server (other than clients hanging up) are kept in ``errors`` so a
test can check the server itself did not misbehave.

Examples
--------
>>> with ScriptedServer() as server:                       # doctest: +SKIP
...     server.script("/a.csv", status(500), serve(b"x,y\\n1,2\\n"))
...     requests.get(server.url("/a.csv"))
"""

from __future__ import annotations

import http.server
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

__all__ = [
    "Behaviour", "ScriptedServer", "serve", "status", "stall", "truncated", "html_page",
    "redirect", "drop", "ranged",
]


@dataclass(frozen=True)
class Behaviour:
    """What the server does for one request (build with the functions below)."""

    kind: str
    body: bytes = b""
    status: int = 200
    content_type: str = "application/octet-stream"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    sent: int = 0
    piece: int = 0
    then: Behaviour | None = None


def _bytes(data: bytes | str | Path) -> bytes:
    return Path(data).read_bytes() if isinstance(data, (str, Path)) else bytes(data)


def serve(data: bytes | str | Path, content_type: str = "text/csv; charset=utf-8", piece: int = 0) -> Behaviour:
    """200 with ``data`` (bytes or a file to read), optionally written in ``piece``-byte writes."""
    return Behaviour("serve", body=_bytes(data), content_type=content_type, piece=piece)


def status(code: int, retry_after: int | str | None = None, body: bytes = b"error\n") -> Behaviour:
    """Answer ``code`` (with a ``Retry-After`` header when given)."""
    headers = (("Retry-After", str(retry_after)),) if retry_after is not None else ()
    return Behaviour("status", status=code, body=body, content_type="text/plain", headers=headers)


def stall(seconds: float, then: Behaviour) -> Behaviour:
    """Wait ``seconds`` before answering at all, then do ``then``."""
    return Behaviour("stall", delay=seconds, then=then)


def truncated(data: bytes | str | Path, sent: int | None = None,
              content_type: str = "text/csv; charset=utf-8", accept_ranges: bool = False) -> Behaviour:
    """Promise the whole of ``data`` in Content-Length, send ``sent`` bytes (default half), close.

    With ``accept_ranges`` the answer says ``Accept-Ranges: bytes`` (a resumable server).
    """
    body = _bytes(data)
    headers = (("Accept-Ranges", "bytes"),) if accept_ranges else ()
    return Behaviour("truncated", body=body, sent=len(body) // 2 if sent is None else sent,
                     content_type=content_type, headers=headers)


def ranged(data: bytes | str | Path, content_type: str = "application/octet-stream") -> Behaviour:
    """Serve ``data`` honouring a ``Range: bytes=N-`` request header (206 with Content-Range)."""
    return Behaviour("ranged", body=_bytes(data), content_type=content_type)


HTML = (b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>"
        b"<body><p>Please sign in to download this dataset.</p></body></html>\n")


def html_page(content_type: str = "text/html; charset=utf-8", body: bytes = HTML) -> Behaviour:
    """200 with an HTML page (a portal's landing or login page)."""
    return Behaviour("serve", body=body, content_type=content_type)


def redirect(location: str, code: int = 302) -> Behaviour:
    """Redirect to ``location`` (give the request's own path for a loop)."""
    return Behaviour("redirect", status=code, headers=(("Location", location),))


def drop() -> Behaviour:
    """Read the request, then close the connection without any response."""
    return Behaviour("drop")


def _range_start(header: str | None, size: int) -> int | None:
    """First byte of a ``bytes=N-`` range header, or None (no header, or one not understood)."""
    if not header or not header.startswith("bytes=") or not header.endswith("-"):
        return None
    try:
        first = int(header[len("bytes="):-1])
    except ValueError:
        return None
    return first if 0 <= first < size else None


_HANGUPS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, socket.timeout)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FootprintsTestServer/1.0"
    timeout = 10  # idle keep-alive connections end on their own

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._respond()

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - silence stderr
        pass

    def _respond(self) -> None:
        owner: ScriptedServer = self.server.owner  # type: ignore[attr-defined]
        path = urlsplit(self.path).path
        behaviour = owner._next(self.command, path)
        try:
            self._perform(behaviour, owner)
        except _HANGUPS:  # the client gave up (timeout test): expected
            self.close_connection = True

    def _perform(self, b: Behaviour | None, owner: ScriptedServer) -> None:
        if b is None:
            self._send(404, b"not found\n", "text/plain")
        elif b.kind == "stall":
            if owner._stopping.wait(b.delay):
                self.close_connection = True
                return
            self._perform(b.then, owner)
        elif b.kind == "drop":
            self.close_connection = True
        elif b.kind == "redirect":
            self._send(b.status, b"", "text/plain", b.headers)
        elif b.kind == "ranged":
            owner.ranges.append(self.headers.get("Range"))
            first = _range_start(self.headers.get("Range"), len(b.body))
            if first is None:
                self._send(200, b.body, b.content_type, (("Accept-Ranges", "bytes"),))
            else:
                self._send(206, b.body[first:], b.content_type, (
                    ("Accept-Ranges", "bytes"), ("Content-Range", f"bytes {first}-{len(b.body) - 1}/{len(b.body)}")))
        elif b.kind == "truncated":
            self.send_response(200)
            self.send_header("Content-Type", b.content_type)
            self.send_header("Content-Length", str(len(b.body)))
            for name, value in b.headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(b.body[: b.sent])
                self.wfile.flush()
            self.close_connection = True
        elif b.kind in ("serve", "status"):
            self._send(b.status, b.body, b.content_type, b.headers, b.piece)
        else:  # pragma: no cover - only the factories above build behaviours
            raise ValueError(f"unknown behaviour {b.kind!r}")

    def _send(self, code: int, body: bytes, ctype: str, headers=(), piece: int = 0) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        step = piece or len(body) or 1
        for start in range(0, len(body), step):
            self.wfile.write(body[start:start + step])
            self.wfile.flush()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stalled handlers are woken by stop(); do not wait on keep-alive ones

    def handle_error(self, request, client_address) -> None:
        import sys

        exc = sys.exc_info()[1]
        if not isinstance(exc, _HANGUPS):
            self.owner.errors.append(exc)  # type: ignore[attr-defined]


class ScriptedServer:
    """Threaded HTTP server on 127.0.0.1 (random free port) with scripted paths.

    Use as a context manager; ``url(path)`` gives the address of a path.

    Attributes
    ----------
    log : list of (method, path, kind)
        Every request received, with the behaviour used (``"404"`` if none).
    errors : list of Exception
        Unexpected errors raised inside request handlers.
    """

    def __init__(self) -> None:
        self._scripts: dict[str, list[Behaviour]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.log: list[tuple[str, str, str]] = []
        self.errors: list[BaseException] = []
        self.ranges: list[str | None] = []  # Range headers received by ``ranged`` paths
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def script(self, path: str, *behaviours: Behaviour) -> str:
        """Set what ``path`` does for its next requests; return its URL."""
        if not behaviours:
            raise ValueError("give at least one behaviour")
        with self._lock:
            self._scripts[path] = list(behaviours)
        return self.url(path)

    def url(self, path: str = "/") -> str:
        """Absolute URL of ``path`` on this server."""
        if self._httpd is None:
            raise RuntimeError("server not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/{path.lstrip('/')}"

    def hits(self, path: str) -> int:
        """Number of requests received for ``path``."""
        with self._lock:
            return sum(1 for _, p, _ in self.log if p == path)

    def _next(self, method: str, path: str) -> Behaviour | None:
        with self._lock:
            queue = self._scripts.get(path)
            behaviour = None
            if queue:
                behaviour = queue.pop(0) if len(queue) > 1 else queue[0]
            self.log.append((method, path, behaviour.kind if behaviour else "404"))
            return behaviour

    def start(self) -> ScriptedServer:
        """Listen on 127.0.0.1 (a free port) in a background thread."""
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="scripted-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake stalled handlers, stop serving and close the socket."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
