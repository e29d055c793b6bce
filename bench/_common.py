"""Small helpers shared by the benchmarks (timing, reporting, a freshly started app)."""

from __future__ import annotations

import statistics
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def timeit(fn: Callable[[], object], *, repeat: int = 5, number: int = 1) -> float:
    """Median seconds per call of ``fn`` over ``repeat`` rounds of ``number`` calls."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def report(title: str, ours: float, naive: float, *, target_ratio: float | None = None,
           target_seconds: float | None = None, unit: str = "ms") -> None:
    """Print our time, the naive time and the ratio, with the targets."""
    scale = 1000 if unit == "ms" else 1
    ratio = naive / ours if ours > 0 else float("inf")
    line = (f"{title}: ours {ours * scale:.3f} {unit}, naive {naive * scale:.3f} {unit}, "
            f"ratio {ratio:,.1f}x")
    checks = []
    if target_ratio is not None:
        checks.append(f"ratio target >= {target_ratio:g}x: {'met' if ratio >= target_ratio else 'NOT met'}")
    if target_seconds is not None:
        checks.append(f"time target <= {target_seconds * scale:g} {unit}: "
                      f"{'met' if ours <= target_seconds else 'NOT met'}")
    print(line + (" [" + "; ".join(checks) + "]" if checks else ""))


def agree(condition: bool, what: str) -> None:
    """Stop the benchmark (exit 1) when our way and the naive way disagree."""
    if not condition:
        print(f"DISAGREE: {what}")
        sys.exit(1)
    print(f"agree: {what}")


@dataclass
class FreshApp:
    """A page on a freshly started app server, in a new browser context (empty cache) or a kept one."""

    page: object
    base: str
    t0: float  #: perf_counter just before the server process was started
    healthy: float  #: seconds until the server answered its health check
    blocked: list[str] = field(default_factory=list)  #: non-local requests the context refused


def offline_context(browser):
    """``(context, blocked)``: a new browser context that refuses every request not to 127.0.0.1 or localhost.

    The refusal is a proxy that nothing listens on (127.0.0.1:9, with 127.0.0.1
    and localhost bypassing it), each refused request recorded in ``blocked``.
    Not Playwright's request routing: that pauses every request until the
    benchmark's Python answers it (measured here: about 0.2 s more to a cold
    start's first page, which fetches ~100 files) and turns the HTTP cache off;
    a planner's browser does neither.
    """
    from urllib.parse import urlparse

    context = browser.new_context(viewport={"width": 1500, "height": 1000},
                                  proxy={"server": "http://127.0.0.1:9", "bypass": "127.0.0.1,localhost"})
    blocked: list[str] = []
    context.on("requestfailed", lambda req: blocked.append(req.url)
               if (urlparse(req.url).hostname or "") not in ("127.0.0.1", "localhost") else None)
    return context, blocked


def returning_browser(browser):
    """``(context, port, blocked)``: a browser context that keeps its HTTP cache between app starts on one port.

    As a planner's browser does with ``make run`` (always port 8501): Streamlit
    serves its frontend as immutable files, so a browser that opened the app
    before reads them from its cache.  The click map's own files (its frame,
    Leaflet, the map data) come from Streamlit's component route with
    ``Cache-Control: public`` and no lifetime or validator, so they are fetched
    again at each start (checked here: 14 requests on a returning start of
    Sketch, 113 on the first).  Non-local requests are refused as in
    :func:`offline_context`.
    """
    from tests.browser_helpers import free_port

    context, blocked = offline_context(browser)
    return context, free_port(), blocked


def start_plain(port: int, log_path: Path | None = None, script: Path | None = None):
    """The naive way of serving the app: plain ``streamlit run app.py`` (no launcher) on ``127.0.0.1:port``.

    ``script``: another Streamlit script, started the same way (the floor apps of
    ``bench_app_start.py``).
    """
    import os
    import subprocess

    root = Path(__file__).resolve().parent.parent
    cmd = [sys.executable, "-m", "streamlit", "run", str(script or root / "app.py"), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL
    try:
        return subprocess.Popen(cmd, cwd=root if script is None else script.parent, stdout=log,
                                stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(root)},
                                start_new_session=True)
    finally:
        if log is not subprocess.DEVNULL:
            log.close()


@contextmanager
def fresh_app(browser, log_path: Path, returning: tuple | None = None, *, plain: bool = False,
              script: Path | None = None) -> Iterator[FreshApp]:
    """Start the app as ``make run`` does and open a page; the server (and a new context) are closed on exit.

    ``returning`` is :func:`returning_browser`'s ``(context, port, blocked)``: the
    page opens in that context, on that port, with what it cached before;
    without it, in a new context with an empty cache (:func:`offline_context`).
    ``plain``: started as plain ``streamlit run app.py`` instead
    (:func:`start_plain`, the naive way); ``script``: another script started so.
    """
    from tests.browser_helpers import free_port, start_server, stop_server, wait_healthy

    if returning is None:
        context, blocked = offline_context(browser)
        port = free_port()
    else:
        context, port, blocked = returning
    page = context.new_page()
    base = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    if plain or script is not None:
        proc = start_plain(port, log_path, script)
    else:
        proc = start_server(port, log_path=log_path)
    try:
        healthy = wait_healthy(base, proc, timeout=120)
        yield FreshApp(page, base, t0, healthy, blocked)
    finally:
        stop_server(proc)
        if returning is None:
            context.close()
        else:
            page.close()


def wait_sketch_map(page, n_units: int | None = None):
    """The click map's frame once Leaflet is ready (and, given ``n_units``, all of them drawn)."""
    from tests.browser_helpers import frame_by_url

    frame = frame_by_url(page, "clickmap", timeout_s=120)
    drawn = "" if n_units is None else f" && window.__clickmap.drawn === {n_units}"
    frame.wait_for_function(f"window.__clickmap && window.__clickmap.ready{drawn}", timeout=120_000)
    return frame
