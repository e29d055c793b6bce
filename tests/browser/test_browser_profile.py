"""The Check page's profile table and deprivation map in headless Chromium (real ``streamlit run``).

Screenshots: ``test-artifacts/pages_check_profile.png`` (the page) and
``test-artifacts/pages_check_deprivation_map.png`` (the map frame).
"""

from __future__ import annotations

import pytest

from tests.browser_helpers import (  # noqa: F401  (pytest fixtures)
    ARTIFACTS,
    app_server,
    browser,
    open_app,
    page,
    screenshot,
    wait_idle,
)
from tests.browser.test_browser_pages import go, wait_for_text

pytestmark = pytest.mark.browser


def test_check_page_profile_and_deprivation_map(page, app_server, geo):
    open_app(page, app_server, "scenarios")
    page.get_by_role("button", name="Open this partnership").click()
    wait_for_text(page, "Loaded 'Kingston and Richmond'")
    wait_idle(page)
    go(page, "Check")
    wait_for_text(page, "Who lives there")
    wait_for_text(page, "Deprivation map")
    frame = None
    for _ in range(300):
        for f in page.frames:
            if f is page.main_frame:
                continue
            try:
                if f.evaluate("() => document.body.innerText.includes('Darker = more deprived') && "
                              "document.querySelectorAll('.leaflet-overlay-pane path').length > 100"):
                    frame = f
                    break
            except Exception:  # noqa: BLE001 - frames come and go while Streamlit reruns
                pass
        if frame is not None:
            break
        page.wait_for_timeout(200)
    assert frame is not None, "the deprivation map never drew"
    # the scenario holds South West London (the STP) and Kingston + Richmond: every SWL unit is shaded
    n_units = int((geo.units["stp"] == "E54000031").sum())
    legend = frame.locator(".fp-legend").inner_text()
    assert "IMD 2019 national decile" in legend and "1 – most deprived 10%" in legend
    assert frame.evaluate("document.querySelectorAll('.leaflet-overlay-pane path').length") >= n_units
    page.wait_for_timeout(500)
    handle = frame.frame_element()
    handle.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    handle.screenshot(path=str(ARTIFACTS / "pages_check_deprivation_map.png"))
    screenshot(page, "pages_check_profile", full_page=True)
    assert page.blocked_requests == [], f"requests left the machine: {page.blocked_requests[:5]}"
