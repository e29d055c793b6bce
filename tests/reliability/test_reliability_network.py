"""Reliability: download faults not covered in ``tests/boundaries/test_download.py``.

A real local HTTP server (:mod:`tests.httpserver`) serves the real data files
and misbehaves in scripted ways: a body cut off once (then served whole), a
connection dropped once, 429 with ``Retry-After`` on every request, a stall
in the middle of a body, and a downloading *process* killed with SIGKILL
mid-body.  Every case checks the downloader's promises: bounded retries,
never a partial file under the dataset's name in the cache, a good file
already there untouched, and a message saying what failed and how to fix it
when it gives up.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from boundaries.download import download_file, fetch_dataset, make_session
from boundaries.errors import DownloadError
from boundaries.readers import read_dataset
from boundaries.registry import get_dataset
from tests.httpserver import drop, serve, status, truncated
from tests.boundaries.test_download import CCG, assert_untouched, files_in, good_file, server, source_dir  # noqa: F401

pytestmark = pytest.mark.timeout(120)

RETRIES = 2
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def session():
    with make_session(retries=RETRIES, backoff=0.01, retry_after_max=1) as sess:
        yield sess


def test_body_cut_off_once_is_fetched_again(server, session, source_dir, tmp_path):  # noqa: F811
    src = (source_dir / CCG).read_bytes()
    dest = good_file(tmp_path, "ccg.csv", b"CCG18CD\nstale\n")
    url = server.script("/ccg.csv", truncated(src, sent=3000), serve(src))
    assert download_file(url, dest, session=session) == dest
    assert dest.read_bytes() == src, "the second, complete body must be the one kept (not appended to the cut one)"
    assert server.hits("/ccg.csv") == 2
    assert files_in(tmp_path) == ["ccg.csv"]


def test_body_cut_off_every_time_gives_up_after_the_retries(server, session, source_dir, tmp_path):  # noqa: F811
    src = (source_dir / CCG).read_bytes()
    dest = good_file(tmp_path, "ccg.csv", src)
    url = server.script("/ccg.csv", truncated(src, sent=3000))
    with pytest.raises(DownloadError) as info:
        download_file(url, dest, session=session)
    msg = str(info.value)
    assert f"truncated: got 3000 of {len(src)} bytes" in msg and url in msg and "Fix:" in msg
    assert f"gave up after {RETRIES + 1} attempts" in msg
    assert server.hits("/ccg.csv") == RETRIES + 1, "retries must be bounded"
    assert_untouched(dest, src, tmp_path)


def test_dropped_connection_once_then_served(server, session, source_dir, tmp_path):  # noqa: F811
    src = (source_dir / CCG).read_bytes()
    url = server.script("/ccg.csv", drop(), serve(src))
    download_file(url, tmp_path / "ccg.csv", session=session)
    assert (tmp_path / "ccg.csv").read_bytes() == src
    assert server.hits("/ccg.csv") == 2


def test_429_every_time_gives_up_in_bounded_time(server, session, source_dir, tmp_path):  # noqa: F811
    src = (source_dir / CCG).read_bytes()
    dest = good_file(tmp_path, "ccg.csv", src)
    url = server.script("/ccg.csv", status(429, retry_after=3600))
    started = time.monotonic()
    with pytest.raises(DownloadError) as info:
        download_file(url, dest, session=session)
    elapsed = time.monotonic() - started
    msg = str(info.value)
    assert "HTTP 429" in msg and f"after {RETRIES} retries" in msg and "try again later" in msg
    assert server.hits("/ccg.csv") == RETRIES + 1
    assert elapsed < 30, f"a Retry-After of an hour must be capped (took {elapsed:.1f} s)"
    assert_untouched(dest, src, tmp_path)


class Trickle:
    """A one-route HTTP server on 127.0.0.1 that sends a body slowly, or stops sending mid-body.

    ``pieces`` bytes at a time with ``pause`` seconds between them; with
    ``stop_after`` it goes silent (socket open) after that many bytes, until
    the client hangs up or ``hold`` seconds pass.
    """

    def __init__(self, body: bytes, piece: int = 512, pause: float = 0.0, stop_after: int | None = None,
                 hold: float = 10.0) -> None:
        import socket
        import threading

        self.body, self.piece, self.pause, self.stop_after, self.hold = body, piece, pause, stop_after, hold
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/data.csv"
        self.hits = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        import socket
        import threading

        self.sock.settimeout(0.2)
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.hits += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n"
                             + f"Content-Length: {len(self.body)}\r\nConnection: close\r\n\r\n".encode())
                limit = len(self.body) if self.stop_after is None else self.stop_after
                for start in range(0, limit, self.piece):
                    conn.sendall(self.body[start:min(start + self.piece, limit)])
                    if self.done.wait(self.pause):
                        return
                if self.stop_after is not None:
                    self.done.wait(self.hold)  # silent, socket open: a stalled transfer
            except OSError:  # the client gave up
                return

    def close(self) -> None:
        self.done.set()
        self.thread.join(timeout=5)
        self.sock.close()


def test_stall_in_the_middle_of_the_body(session, source_dir, tmp_path):  # noqa: F811
    src = (source_dir / CCG).read_bytes()
    dest = good_file(tmp_path, "ccg.csv", src)
    srv = Trickle(src, stop_after=2048, hold=10)  # 2 kB, then silence with the connection open
    try:
        started = time.monotonic()
        with pytest.raises(DownloadError) as info:
            download_file(srv.url, dest, session=session, timeout=(1, 0.5))
        elapsed = time.monotonic() - started
    finally:
        srv.close()
    msg = str(info.value)
    assert re.search(rf"truncated: got 2048 of {len(src)} bytes", msg) and "timed out" in msg and "Fix:" in msg, msg
    assert srv.hits == RETRIES + 1, "a stalled body is retried, within bounds"
    assert elapsed < 10, f"each stall ends at the read timeout (took {elapsed:.1f} s)"
    assert_untouched(dest, src, tmp_path)


_KILLED_DOWNLOAD = """
import sys
from boundaries.download import download_file, make_session
sess = make_session(retries=0)
print("start", flush=True)
download_file(sys.argv[1], sys.argv[2], session=sess, chunk_size=1024,
              progress=lambda done, total: print(done, flush=True))
"""


def test_sigkill_during_a_download_leaves_no_file_under_the_dataset_name(server, source_dir, tmp_path):  # noqa: F811
    ds = get_dataset("ccg_stp_lookup")
    src = (source_dir / CCG).read_bytes()
    slow = Trickle(src, piece=512, pause=0.2)  # ~10 s for the whole file: the kill lands mid-body
    url = slow.url
    dest = tmp_path / CCG
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_DOWNLOAD, url, str(dest)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "start"
        got = int(proc.stdout.readline())  # at least one chunk written
        assert 0 < got < len(src)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        slow.close()
    assert proc.returncode == -signal.SIGKILL
    assert not dest.exists(), "a killed download must never leave a file under the dataset's name"
    left = [p for p in files_in(tmp_path)]
    assert all(Path(p).name.startswith(".part-") for p in left), left
    # the next fetch ignores the leftover and brings a complete, valid file
    server.script(f"/mirror/{CCG}", serve(src))
    with make_session(retries=0) as sess:
        fetch_dataset(ds, tmp_path, base_url=server.url("/mirror/"), session=sess)
    assert dest.read_bytes() == src
    assert len(read_dataset(ds, tmp_path).frame) == ds.records
