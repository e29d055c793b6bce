"""Reliability under load: 8 browser sessions editing their own scenarios at once on the Sketch page.

A real ``streamlit run app.py`` is started for this module on 127.0.0.1 (its
log in ``test-artifacts/streamlit-server-load.log``; disconnected sessions are
dropped after 5 s instead of Streamlit's 120 s, so the "after" memory figure
is taken within the test's time).  Eight Chromium contexts (eight Streamlit
sessions) each load Kingston and Richmond, rename the footprint to their own
hostile name (``Session i: <img src=x onerror=alert(i)> ...``) and then, for
``FOOTPRINTS_LOAD_SECONDS`` (default 120) of editing, all click their own
borough on the click map in the same round and wait for the answer.  After
every round each session's tally must be its own: its footprint name (no
other session's), and the population a pandas sum gives for Kingston +
Richmond (+ its borough when toggled in); at the end the browser-side map
colours exactly the expected units.

The server's resident memory (``/proc/<pid>/status`` VmRSS) is sampled every
0.25 s: at start, after a warm-up session (caches filled), at the peak with
eight sessions, and after the sessions close.  Figures go to
``test-artifacts/load.json`` and ``docs/RELIABILITY.md``.  The server log must
hold no traceback or error line, and no dialog may open.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path

import pytest

from tests.browser_helpers import (  # noqa: F401  (pytest fixture)
    ARTIFACTS,
    block_non_local,
    browser,
    free_port,
    open_app,
    start_server,
    stop_server,
    wait_healthy,
    wait_idle,
)
from tests.conftest import require_data_dir
from tests.browser.test_browser import TALLY, centre_on, interior_lat_lon, map_frame, screen_point, wait_tally

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

SESSIONS = 8
EDIT_SECONDS = float(os.environ.get("FOOTPRINTS_LOAD_SECONDS", "120"))
GROWTH_TARGET_MB = 300
KINGSTON, RICHMOND = "E09000021", "E09000027"
#: One borough per session (south and west London, in view when Kingston and Richmond are loaded).
TOGGLED = ["E09000024", "E09000029", "E09000032", "E09000018", "E09000008", "E09000022", "E09000009",
           "E09000013"]
LOG = ARTIFACTS / "streamlit-server-load.log"
_ERROR_LINE = re.compile(r"Traceback|\bError\b|Exception|CRITICAL", re.I)


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (VmRSS from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


class Sampler(threading.Thread):
    """Samples a process's RSS every ``every`` seconds; ``peak`` is the largest seen since ``reset``."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak = 0.0
        self.stop = threading.Event()

    def reset(self) -> None:
        self.peak = rss_mb(self.pid)

    def run(self) -> None:
        while not self.stop.wait(self.every):
            try:
                self.peak = max(self.peak, rss_mb(self.pid))
            except (FileNotFoundError, ProcessLookupError):
                return


@pytest.fixture(scope="module")
def load_server():
    """``streamlit run app.py`` for this module only: (base URL, process)."""
    require_data_dir()
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(port, log_path=LOG, extra_args=["--server.disconnectedSessionTTL", "5"])
    try:
        try:
            wait_healthy(base, proc)
        except RuntimeError as exc:
            pytest.fail(f"{exc}\n--- server log ---\n{LOG.read_text(errors='replace')[-3000:]}", pytrace=False)
        yield base, proc
    finally:
        stop_server(proc)


def session_name(i: int) -> str:
    return f"Session {i}: <img src=x onerror=alert({i})> 🏥"


def rename(pg, new: str, attempts: int = 3) -> int:
    """Rename the edited footprint through the sidebar form, as a user would; wait for the tally to say so.

    Returns the number of retries needed (a submit that did not show within 30 s is retried).
    """
    sidebar = pg.locator('[data-testid="stSidebar"]')
    field = sidebar.get_by_label("Rename the edited footprint to")
    for attempt in range(attempts):
        wait_idle(pg)
        if not field.is_visible():
            sidebar.get_by_text("Add, rename or delete a footprint").click()
            field.wait_for(state="visible", timeout=30_000)
        field.fill(new)
        sidebar.get_by_role("button", name="Rename", exact=True).click()
        try:
            pg.wait_for_function("([sel, t]) => { const el = document.querySelector(sel); "
                                 "return !!el && el.innerText.includes(t); }", arg=[TALLY, new], timeout=30_000)
            wait_idle(pg)
            return attempt
        except Exception:  # noqa: BLE001 - a click that landed during a rerun: try again, then say what showed
            if attempt == attempts - 1:
                shot = ARTIFACTS / "load_rename_failed.png"
                pg.screenshot(path=str(shot))
                raise AssertionError(f"rename to {new!r} did not show (screenshot {shot}); the tally says "
                                     f"{pg.inner_text(TALLY)[:300]!r}") from None


def tally_text(pg) -> str:
    return pg.inner_text(TALLY)


def test_eight_sessions_edit_their_own_scenarios(browser, load_server, geo):  # noqa: F811
    base, proc = load_server
    units = geo.units
    pop = units.groupby("borough")["population"].sum().astype(int)
    n_units = units.groupby("borough").size()
    kr = int(pop[KINGSTON] + pop[RICHMOND])
    n_kr = int(n_units[KINGSTON] + n_units[RICHMOND])
    points = {b: interior_lat_lon(geo, units["borough"] == b)[1:] for b in TOGGLED}
    figures: dict = {"sessions": SESSIONS, "edit_seconds_planned": EDIT_SECONDS}

    sampler = Sampler(proc.pid)
    sampler.reset()
    sampler.start()
    figures["rss_start_mb"] = round(rss_mb(proc.pid), 1)
    dialogs: list[str] = []
    blocked: list[str] = []  # requests that would have left 127.0.0.1 (aborted)
    contexts = []
    try:
        # warm-up: one session fills the shared caches (engine, map data), then leaves
        ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
        contexts.append(ctx)
        block_non_local(ctx, blocked)
        pg = ctx.new_page()
        pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        open_app(pg, base, "sketch")
        map_frame(pg)
        pg.locator('[data-testid="stSidebar"]').get_by_role("button", name="Load", exact=True).click()
        wait_tally(pg, kr, timeout_ms=120_000)
        ctx.close()
        contexts.remove(ctx)
        time.sleep(8)  # past the 5 s disconnected-session TTL
        figures["rss_after_warm_up_mb"] = round(rss_mb(proc.pid), 1)
        figures["peak_during_warm_up_mb"] = round(sampler.peak, 1)
        sampler.reset()

        # eight sessions: open, load Kingston and Richmond, rename to their own name
        t_open = time.monotonic()
        pages = []
        for i in range(SESSIONS):
            ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
            contexts.append(ctx)
            block_non_local(ctx, blocked)
            p = ctx.new_page()
            p.set_default_timeout(120_000)
            p.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            p.goto(f"{base}/sketch", wait_until="commit")
            pages.append(p)
        frames = []
        for p in pages:
            p.wait_for_selector('[data-testid="stApp"]')
            wait_idle(p, timeout_ms=180_000)
            frames.append(map_frame(p))
        for p in pages:
            p.locator('[data-testid="stSidebar"]').get_by_role("button", name="Load", exact=True).click()
        for p in pages:
            wait_tally(p, kr, timeout_ms=120_000)
            wait_idle(p)
        figures["rename_retries"] = sum(rename(p, session_name(i)) for i, p in enumerate(pages))
        for i, p in enumerate(pages):
            text = tally_text(p)
            assert session_name(i) in text, f"session {i} did not take its name: {text[:200]!r}"
        figures["seconds_to_open_eight_sessions"] = round(time.monotonic() - t_open, 1)

        # editing: every round, each session toggles its own borough; all clicks go in before any wait
        toggled = [False] * SESSIONS
        rounds = edits = 0
        round_seconds = []
        t_edit = time.monotonic()
        while time.monotonic() - t_edit < EDIT_SECONDS:
            t0 = time.monotonic()
            for i, (p, f) in enumerate(zip(pages, frames)):
                if rounds == 0:
                    centre_on(f, *points[TOGGLED[i]])
                x, y = screen_point(f, *points[TOGGLED[i]])
                p.mouse.click(x, y)
                toggled[i] = not toggled[i]
            for i, p in enumerate(pages):
                want = kr + (int(pop[TOGGLED[i]]) if toggled[i] else 0)
                try:
                    wait_tally(p, want, timeout_ms=60_000)
                except Exception as exc:  # noqa: BLE001 - say which session and what it showed
                    raise AssertionError(f"round {rounds}, session {i}: tally is not {want:,}; it says "
                                         f"{tally_text(p)[:300]!r}") from exc
                wait_idle(p)
                text = tally_text(p)
                assert session_name(i) in text, f"round {rounds}, session {i} lost its name: {text[:200]!r}"
                others = [j for j in range(SESSIONS) if j != i and f"Session {j}:" in text]
                assert not others, f"round {rounds}: session {i} shows session(s) {others}: {text[:200]!r}"
                edits += 1
            rounds += 1
            round_seconds.append(time.monotonic() - t0)
        figures["edit_seconds"] = round(time.monotonic() - t_edit, 1)
        figures["rounds"] = rounds
        figures["edits_checked"] = edits
        figures["median_round_seconds"] = round(sorted(round_seconds)[len(round_seconds) // 2], 2)
        # the browser side agrees: each map colours exactly its session's units
        for i, f in enumerate(frames):
            want = n_kr + (int(n_units[TOGGLED[i]]) if toggled[i] else 0)
            f.wait_for_function(f"window.__clickmap.assign.filter(k => k >= 0).length === {want}",
                                timeout=30_000)
        figures["rss_peak_mb"] = round(sampler.peak, 1)
    finally:
        for ctx in contexts:
            ctx.close()

    # after: the sessions are gone (TTL 5 s); take the lowest of the next samples
    time.sleep(8)
    after = []
    for _ in range(12):
        after.append(rss_mb(proc.pid))
        time.sleep(0.5)
    sampler.stop.set()
    figures["rss_after_close_mb"] = round(min(after), 1)
    figures["growth_at_peak_mb"] = round(figures["rss_peak_mb"] - figures["rss_after_warm_up_mb"], 1)
    figures["left_after_close_mb"] = round(figures["rss_after_close_mb"] - figures["rss_after_warm_up_mb"], 1)
    log_lines = LOG.read_text(errors="replace").splitlines()
    bad = [ln for ln in log_lines if _ERROR_LINE.search(ln)]
    figures["server_log_lines"] = len(log_lines)
    figures["server_log_error_lines"] = len(bad)
    figures["dialogs"] = len(dialogs)
    figures["requests_off_loopback"] = len(blocked)
    (ARTIFACTS / "load.json").write_text(json.dumps(figures, indent=2))
    print("\n" + json.dumps(figures, indent=2))

    assert dialogs == [], f"script from a session name ran: {dialogs[:3]}"
    assert blocked == [], f"requests left 127.0.0.1: {blocked[:3]}"
    assert bad == [], "the server logged errors:\n" + "\n".join(bad[:20])
    assert rounds >= 3 and edits == rounds * SESSIONS
    assert figures["growth_at_peak_mb"] < GROWTH_TARGET_MB, figures
