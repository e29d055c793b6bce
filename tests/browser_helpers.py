"""Real-browser test helpers: a Streamlit server and headless Chromium, offline.

Use from a test module::

    from tests.browser_helpers import app_server, browser, page  # noqa: F401  (pytest fixtures)

    @pytest.mark.browser
    def test_something(page, app_server):
        open_app(page, app_server, "sketch")
        ...

* ``app_server`` (session): ``streamlit run app.py`` on a free port of
  127.0.0.1, waits for ``/_stcore/health`` (bounded), yields the base URL and
  stops the process group it started at the end.  Its log goes to
  ``test-artifacts/streamlit-server.log``.
* ``browser`` (module): Debian's ``/usr/bin/chromium`` through Playwright.
* ``page`` (function): a new browser context (a new Streamlit session) that
  lets only localhost requests through; anything else is aborted and listed
  in ``page.blocked_requests``.

All waits are bounded.  Screenshots go to ``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

import pytest

from tests.conftest import require_data_dir

__all__ = [
    "ROOT",
    "ARTIFACTS",
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "free_port",
    "start_server",
    "stop_server",
    "wait_healthy",
    "launch_browser",
    "block_non_local",
    "open_app",
    "wait_idle",
    "screenshot",
    "frame_by_url",
    "app_server",
    "browser",
    "page",
]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("FOOTPRINTS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
#: Seconds allowed for the server to answer its health check (data load included).
START_TIMEOUT = float(os.environ.get("FOOTPRINTS_START_TIMEOUT", "180"))


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, *, log_path: Path | None = None, extra_args: list[str] | None = None,
                 env: dict | None = None) -> subprocess.Popen:
    """Start the app as ``make run`` does (``python -m ui.serve``: ``streamlit run app.py`` with the app's
    modules imported while the server starts) headless on ``127.0.0.1:port`` in its own process group."""
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL
    cmd = [
        sys.executable, "-m", "ui.serve",
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        "--server.runOnSave", "false", *(extra_args or []),
    ]
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    try:
        return subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=full_env,
                                start_new_session=True)
    finally:
        if log is not subprocess.DEVNULL:
            log.close()


def wait_healthy(base_url: str, proc: subprocess.Popen | None = None, timeout: float = START_TIMEOUT) -> float:
    """Poll ``/_stcore/health`` until it says ok; return the seconds waited.

    Raises
    ------
    RuntimeError
        When the process exits or ``timeout`` passes first.
    """
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode} before it was healthy")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"streamlit at {base_url} was not healthy after {timeout:.0f} s")


def stop_server(proc: subprocess.Popen, timeout: float = 15) -> None:
    """Stop the process group started by :func:`start_server` (TERM, then KILL)."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)


def launch_browser(pw):
    """Headless Debian Chromium with the project's flags."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (`make chromium`) or set "
                    "FOOTPRINTS_CHROMIUM", pytrace=False)
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def block_non_local(context, blocked: list[str]) -> None:
    """Abort every request that is not to localhost/127.0.0.1 (recorded in ``blocked``)."""

    def handler(route):
        url = route.request.url
        host = urlparse(url).hostname or ""
        if url.startswith(("data:", "blob:", "about:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", handler)


def open_app(page, base_url: str, path: str = "", *, timeout_ms: int = 120_000) -> None:
    """Open a page of the app and wait until its first run has finished."""
    page.goto(f"{base_url}/{path.lstrip('/')}", wait_until="domcontentloaded", timeout=timeout_ms)
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    wait_idle(page, timeout_ms=timeout_ms)


def wait_idle(page, *, timeout_ms: int = 60_000) -> None:
    """Wait until Streamlit is not running the script (the status widget says nothing)."""
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return !!app && app.getAttribute('data-test-script-state') === 'notRunning';
        }""",
        timeout=timeout_ms,
    )


def screenshot(page, name: str, **kwargs) -> Path:
    """Save a PNG screenshot to ``test-artifacts/<name>.png`` and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), **kwargs)
    return path


def frame_by_url(page, part: str, *, timeout_s: float = 60):
    """The first frame whose URL contains ``part`` (waits, bounded)."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout_s:
        for frame in page.frames:
            if part in frame.url:
                return frame
        page.wait_for_timeout(100)
    raise AssertionError(f"no frame with {part!r} in its URL after {timeout_s:.0f} s; "
                         f"frames: {[f.url for f in page.frames]}")


# --- pytest fixtures ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def app_server() -> Iterator[str]:
    """Base URL of a ``streamlit run app.py`` started for this test session."""
    require_data_dir()
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    import tempfile

    store = Path(tempfile.mkdtemp(prefix="footprints-browser-store-"))  # never the user's own scenario store
    proc = start_server(port, log_path=ARTIFACTS / "streamlit-server.log",
                        env={"FOOTPRINTS_DB": str(store / "store.db"), "FOOTPRINTS_SCENARIOS": str(store / "legacy")})
    try:
        try:
            wait_healthy(base, proc)
        except RuntimeError as exc:
            log = (ARTIFACTS / "streamlit-server.log").read_text(errors="replace")[-3000:]
            pytest.fail(f"{exc}\n--- server log ---\n{log}", pytrace=False)
        yield base
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for one test module.

    Module scope on purpose: Playwright's sync API keeps an event loop running
    in this thread while the browser is open, and another module calling
    ``sync_playwright()`` (e.g. a PNG export) would fail inside it.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch_browser(pw)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    """A fresh context and page (a new Streamlit session), network limited to localhost.

    ``page.blocked_requests`` lists what was aborted.
    """
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, device_scale_factor=1)
    blocked: list[str] = []
    block_non_local(context, blocked)
    pg = context.new_page()
    pg.blocked_requests = blocked
    pg.set_default_timeout(60_000)
    try:
        yield pg
    finally:
        context.close()
