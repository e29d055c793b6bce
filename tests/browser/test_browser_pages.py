"""The Check, Overlaps, Proposals, Scenarios and Board export pages in headless Chromium.

A real ``streamlit run app.py`` (fixture from :mod:`tests.browser_helpers`), no
network beyond 127.0.0.1.  Screenshots go to ``test-artifacts/pages_*.png``.
Expected populations are computed here from the unit table with pandas.
"""

from __future__ import annotations

import json

import pytest

from spatial import Footprint, Scenario
from spatial.io import dumps
from tests.browser_helpers import (  # noqa: F401  (pytest fixtures)
    ARTIFACTS,
    app_server,
    browser,
    open_app,
    page,
    screenshot,
    wait_idle,
)

pytestmark = pytest.mark.browser

KINGSTON, RICHMOND = "E09000021", "E09000027"
XSS = "<img src=x onerror=alert(1)>"
_DRAWN = """() => !!(window.L && document.querySelector('.leaflet-container') &&
  document.querySelectorAll('.leaflet-overlay-pane path').length > 0)"""


def borough_population(geo, *codes: str) -> int:
    return int(geo.units.loc[geo.units["borough"].isin(codes), "population"].sum())


def go(pg, title: str) -> None:
    """Open a page from the sidebar navigation (same browser session, so the scenario is kept)."""
    pg.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
    pg.wait_for_function("(t) => [...document.querySelectorAll('h1')].some(h => h.innerText.includes(t))",
                         arg=title, timeout=60_000)
    wait_idle(pg)


def wait_for_text(pg, text: str, timeout_ms: int = 120_000) -> None:
    try:
        pg.wait_for_function("(t) => document.body.innerText.includes(t)", arg=text, timeout=timeout_ms)
    except Exception as exc:
        shot = screenshot(pg, "pages_failed")
        body = pg.evaluate("document.body.innerText")
        raise AssertionError(f"{text!r} never appeared (screenshot {shot}); the page said:\n{body[:3000]}") from exc


def wait_map(pg, timeout_s: float = 60) -> object:
    """The first map frame on the page once Leaflet has drawn its shapes."""
    deadline = pg.evaluate("Date.now()") + timeout_s * 1000
    while pg.evaluate("Date.now()") < deadline:
        for frame in pg.frames:
            if frame is pg.main_frame:
                continue
            try:
                if frame.evaluate(_DRAWN):
                    return frame
            except Exception:  # noqa: BLE001 - frames come and go while Streamlit reruns
                pass
        pg.wait_for_timeout(200)
    raise AssertionError("no map frame drew its shapes in time")


def upload(pg, filename: str, data: bytes) -> None:
    pg.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        {"name": filename, "mimeType": "application/json", "buffer": data})


def test_each_page_in_chromium(page, app_server, geo, tmp_path):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    kr = borough_population(geo, KINGSTON, RICHMOND)

    open_app(page, app_server)  # home: the boundaries drawn offline
    wait_map(page)
    page.wait_for_timeout(300)
    screenshot(page, "pages_home", full_page=True)
    assert page.locator('[data-testid="stDataFrame"]').count() == 0  # the data status is read when opened
    page.get_by_text("Data status").click()
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
    wait_for_text(page, "Notes from building the layers")

    open_app(page, app_server, "scenarios")
    page.get_by_role("button", name="Open this partnership").click()
    wait_for_text(page, "Loaded 'Kingston and Richmond'")
    wait_idle(page)
    screenshot(page, "pages_scenarios")

    go(page, "Check")
    wait_for_text(page, f"is below 500,000 by {500_000 - kr:,}")
    wait_map(page)
    page.wait_for_timeout(300)
    screenshot(page, "pages_check")

    go(page, "Overlaps")
    wait_for_text(page, "areas not coterminous")  # metrics (tables draw on a canvas)
    wait_map(page)
    page.wait_for_timeout(300)
    screenshot(page, "pages_overlaps")

    go(page, "Proposals")
    page.get_by_role("button", name="Run").click()
    wait_for_text(page, "contiguous sets of boroughs")
    wait_map(page)
    page.wait_for_timeout(300)
    screenshot(page, "pages_proposals")

    go(page, "Board export")
    wait_map(page)
    page.get_by_role("button", name="Prepare board files").click()
    wait_for_text(page, "Board files ready")
    with page.expect_download(timeout=60_000) as dl:
        page.get_by_role("button", name="Board report (PDF, A4)").click()
    pdf = tmp_path / "board.pdf"
    dl.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    screenshot(page, "pages_export")

    assert dialogs == []
    assert page.blocked_requests == [], f"requests left the machine: {page.blocked_requests[:5]}"


def test_exported_html_shows_a_hostile_name_as_text(page, app_server, browser, tmp_path):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    plan = Scenario("Hostile names", (Footprint(XSS, "multi_borough", (KINGSTON, RICHMOND)),))
    open_app(page, app_server, "scenarios")
    page.locator('[data-testid="stSidebarNav"]').wait_for()
    upload(page, "hostile.json", dumps(plan).encode("utf-8"))
    wait_for_text(page, "Loaded 'Hostile names'")
    go(page, "Board export")
    page.get_by_label("Title", exact=True).fill(XSS)
    page.get_by_label("Title", exact=True).press("Enter")
    wait_idle(page)
    wait_map(page)
    page.get_by_role("button", name="Prepare board files").click()
    wait_for_text(page, "Board files ready")
    with page.expect_download(timeout=60_000) as dl:
        page.get_by_role("button", name="Map (HTML)").click()
    html_path = tmp_path / "board.html"
    dl.value.save_as(html_path)
    screenshot(page, "pages_export_hostile_name")

    # open the downloaded file on its own, as a board member would
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    opened: list[str] = []
    try:
        viewer = context.new_page()
        viewer.on("dialog", lambda d: (opened.append(d.message), d.dismiss()))
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:", "about:"))
                      else (opened.append("request " + r.request.url), r.abort()))
        viewer.goto(html_path.as_uri(), wait_until="load")
        viewer.wait_for_function(_DRAWN, timeout=30_000)
        viewer.wait_for_timeout(500)
        labels = viewer.locator(".fp-label").all_inner_texts()
        title = viewer.locator(".fp-title-main").inner_text()
        assert XSS in labels, labels
        assert title == XSS
        assert viewer.locator("img[src='x']").count() == 0
        viewer.locator(".leaflet-overlay-pane path").first.hover(force=True)
        viewer.wait_for_timeout(300)
        tips = viewer.locator(".leaflet-tooltip").all_inner_texts()
        assert any(XSS in t for t in tips), tips
        viewer.screenshot(path=str(ARTIFACTS / "pages_exported_html_hostile_name.png"))
    finally:
        context.close()
    assert opened == [] and dialogs == []


def test_two_sessions_keep_their_own_scenario(browser, app_server):
    contexts = [browser.new_context(viewport={"width": 1400, "height": 900}) for _ in range(2)]
    try:
        a, b = (c.new_page() for c in contexts)
        open_app(a, app_server, "scenarios")
        open_app(b, app_server, "scenarios")
        a.get_by_role("button", name="Open this partnership").click()  # Kingston and Richmond
        wait_for_text(a, "Loaded 'Kingston and Richmond'")
        b.locator(".st-key-scenarios_preloaded").get_by_role("combobox").click()
        b.get_by_role("option", name="London STPs", exact=False).first.click()
        wait_idle(b)
        b.get_by_role("button", name="Open this partnership").click()
        wait_for_text(b, "Loaded 'London")
        wait_idle(a)
        go(a, "Check")
        go(b, "Check")
        rows_a = a.locator('[data-testid="stCaptionContainer"]').first.inner_text()
        rows_b = b.locator('[data-testid="stCaptionContainer"]').first.inner_text()
        name_a, name_b = (r.split(" · ")[0] for r in (rows_a, rows_b))
        assert name_a == "Scenario Kingston and Richmond", rows_a
        assert name_b.startswith("Scenario London") and "Kingston" not in name_b, rows_b
        screenshot(a, "pages_session_a")
        screenshot(b, "pages_session_b")
    finally:
        for c in contexts:
            c.close()
