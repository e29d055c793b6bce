"""The scenario store in headless Chromium: history, a share link in a second browser, a conflict.

A real ``streamlit run app.py`` with its own SQLite store (``FOOTPRINTS_DB``
in a temporary folder); "a colleague" saves through a second
:class:`spatial.store.Store` on the same file.  Screenshots:
``test-artifacts/store_history.png``, ``store_share_link.png``,
``store_conflict.png``.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from spatial import Footprint
from spatial.preloaded import load_preloaded
from spatial.store import open_store
from tests.browser_helpers import (  # noqa: F401  (pytest fixture)
    ARTIFACTS,
    block_non_local,
    browser,
    free_port,
    open_app,
    screenshot,
    start_server,
    stop_server,
    wait_healthy,
    wait_idle,
)

pytestmark = pytest.mark.browser

HOSTILE = "K&R <img src=x onerror=alert(1)>"
MERTON = "E09000024"
AUTHOR_LABEL = "Your name (saved with each version, remembered in this browser)"


@pytest.fixture(scope="module")
def store_server(tmp_path_factory):
    """A server on its own store, and that store opened here (the colleague's side)."""
    folder = tmp_path_factory.mktemp("store")
    db = folder / "store.db"
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    proc = start_server(port, log_path=ARTIFACTS / "streamlit-store-server.log",
                        env={"FOOTPRINTS_DB": str(db), "FOOTPRINTS_SCENARIOS": str(folder / "legacy")})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        store = open_store(db)
        yield base, store
        store.close()
    finally:
        stop_server(proc)


def new_page(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 1100}, device_scale_factor=1)
    blocked: list[str] = []
    block_non_local(context, blocked)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    pg.dialogs = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    return context, pg


def wait_for_text(pg, text: str, timeout_ms: int = 120_000) -> None:
    try:
        pg.wait_for_function("(t) => document.body.innerText.includes(t)", arg=text, timeout=timeout_ms)
    except Exception as exc:
        shot = screenshot(pg, "store_failed")
        raise AssertionError(f"{text!r} never appeared (screenshot {shot}); the page said:\n"
                             f"{pg.evaluate('document.body.innerText')[:3000]}") from exc
    wait_idle(pg)


def settle(pg) -> None:
    """Wait for the rerun an action starts (it may not have begun yet) to finish."""
    pg.wait_for_timeout(600)
    wait_idle(pg)


def click(pg, label: str) -> None:
    pg.get_by_role("button", name=label, exact=True).first.click()
    settle(pg)


def type_in(pg, label: str, text: str) -> None:
    box = pg.get_by_label(label)
    box.fill(text)
    box.press("Enter")
    settle(pg)


def saved_tab(pg) -> None:
    pg.get_by_role("tab", name="Saved on this server").click()
    pg.get_by_role("button", name="Open saved scenario").wait_for(state="visible")


def test_history_share_link_read_only_and_conflict(browser, store_server):
    base, store = store_server
    kr = load_preloaded("kingston-richmond")
    with_merton = dataclasses.replace(kr, footprints=kr.footprints + (Footprint("Merton", "borough", (MERTON,)),))
    v = store.create(dataclasses.replace(kr, name=HOSTILE), author="Ana", message="first cut")
    store.save(v.scenario_id, dataclasses.replace(with_merton, name=HOSTILE), based_on=1, author="Bo",
               message="add Merton <b>now</b>")

    ctx_a, a = new_page(browser)
    ctx_b, b = new_page(browser)
    try:
        # --- planner A: history and links -------------------------------------------------------
        open_app(a, base, "scenarios")
        type_in(a, AUTHOR_LABEL, "Cleo")
        saved_tab(a)
        click(a, "Open saved scenario")
        wait_for_text(a, "version 2")
        saved_tab(a)
        a.get_by_text("History", exact=True).first.scroll_into_view_if_needed()
        body = a.evaluate("document.body.innerText")
        assert HOSTILE in body, body[:5000]  # shown literally, not as an image
        assert a.locator("img[src=x]").count() == 0 and a.dialogs == []
        codes = a.locator('[data-testid="stCode"]').all_inner_texts()
        links = [c.strip() for c in codes if "?scenario=" in c]
        assert f"{base}/?scenario={v.scenario_id}" in links, links
        assert f"{base}/?scenario={v.scenario_id}&version=2" in links, links
        shot = screenshot(a, "store_history", full_page=True)
        assert shot.stat().st_size > 20_000

        # --- a board member opens the link in another browser context: read-only ---------------
        link = f"{base}/?scenario={v.scenario_id}&version=1"
        b.goto(link, wait_until="domcontentloaded")
        b.wait_for_selector('[data-testid="stApp"]')
        wait_for_text(b, "Read-only: version 1 of")
        text = b.evaluate("document.body.innerText")
        assert f"Read-only: version 1 of {HOSTILE}, saved by Ana" in text and "A newer version (2) exists." in text
        assert "Merton" not in text.split("A newer version")[1].split("Make a copy")[0]  # version 1, not 2
        assert b.get_by_role("button", name="Save on this server").count() == 0
        assert b.locator('[data-testid="stSidebarNav"]').count() == 0  # no editing pages in the menu
        assert b.locator("img[src=x]").count() == 0 and b.dialogs == []
        b.wait_for_timeout(1500)  # let the map draw for the screenshot
        screenshot(b, "store_share_link", full_page=True)
        click(b, "Make a copy")
        wait_for_text(b, f"Copy of {HOSTILE}")
        wait_for_text(b, "Not saved on this server yet")

        # --- a colleague saves version 3 while A edits; A's save is a conflict -------------------
        store.save(v.scenario_id, dataclasses.replace(kr, name=HOSTILE, description="colleague"), based_on=2,
                   author="Dev", message="colleague's change")
        type_in(a, "What changed (optional, saved with the version)", "Cleo's change")
        click(a, "Save on this server")
        wait_for_text(a, "Someone else saved this scenario while you were editing")
        wait_for_text(a, "What moved")
        assert "Version 3 was saved by Dev after version 2" in a.evaluate("document.body.innerText")
        assert [h.number for h in store.history(v.scenario_id)] == [1, 2, 3]  # nothing written
        a.get_by_text("Someone else saved this scenario").first.scroll_into_view_if_needed()
        screenshot(a, "store_conflict", full_page=True)
        assert a.get_by_role("textbox", name="Save on this server as").input_value() == HOSTILE  # follows the opened scenario
        click(a, "Keep mine as version 4")
        wait_for_text(a, "Saved version 4 of")
        hist = store.history(v.scenario_id)
        assert [(h.number, h.author, h.message) for h in hist][-1] == (4, "Cleo", "Cleo's change")
        assert store.open(v.scenario_id)[2].footprints == with_merton.footprints  # mine: with Merton

        # --- the author's name is remembered in this browser (a new session, same cookies) -------
        for _ in range(50):  # the one-line script sets the cookie when the page has rendered
            cookies = {c["name"]: c["value"] for c in ctx_a.cookies()}
            if cookies.get("footprints_author"):
                break
            a.wait_for_timeout(200)
        assert cookies.get("footprints_author") == "Cleo", cookies
        a.reload(wait_until="domcontentloaded")
        a.wait_for_selector('[data-testid="stApp"]')
        settle(a)
        box = a.get_by_label(AUTHOR_LABEL)
        box.wait_for(state="visible")
        a.wait_for_function("(l) => { const e = document.querySelector(`input[aria-label='${l}']`); "
                            "return e && e.value === 'Cleo'; }", arg=AUTHOR_LABEL, timeout=30_000)
        assert box.input_value() == "Cleo"
        assert not re.search(r"footprints_author", str(ctx_b.cookies()))  # not shared with other browsers
    finally:
        ctx_a.close()
        ctx_b.close()
