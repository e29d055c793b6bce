"""A Sketch click in the 2024 geography, in headless Chromium against the real app.

The 2024 units (LSOA 2021) have no MSOA layer.  After the click map learned to
show the clicked unit's areas in its info box, that box read the missing MSOA
layer, threw, and the click was never sent to the app (no footprint appeared).
Expected figures come from the raw Census 2021 and lookup files with pandas.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.browser_helpers import (  # noqa: F401  (pytest fixtures)
    app_server,
    browser,
    frame_by_url,
    open_app,
    page,
    screenshot,
    wait_idle,
)
from tests.conftest import require_data_dir

pytestmark = pytest.mark.browser

TALLY_VALUE = '.st-key-sketch_tally [data-testid="stMetricValue"]'


def test_a_click_on_a_2024_unit_adds_it(page, app_server):
    data = require_data_dir()
    pop = pd.read_csv(data / "england21/lsoa21_pop_census2021.csv")
    look = pd.read_csv(data / "nhs/lookups/lsoa21_sicbl24_icb24_en.csv")
    swl = pop.merge(look, on="lsoa21_code").query("icb24_code_nhs == 'QWE'")  # South West London ICB
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_app(page, app_server, "sketch?geography=2024&region=QWE")
    frame = frame_by_url(page, "clickmap", timeout_s=120)
    frame.wait_for_function("window.__clickmap && window.__clickmap.ready", timeout=120_000)
    wait_idle(page)
    page.locator(".st-key-sketch_brush").get_by_role("combobox").click()
    page.get_by_role("option", name="one unit (LSOA 2021)", exact=True).click()
    wait_idle(page)
    # the unit under the map's centre, clicked there
    box = frame.locator(".leaflet-container").first.bounding_box()
    i = frame.evaluate("() => { const s = window.__clickmap.map.getSize(); "
                       "return window.__clickmap.unitAt(s.x / 2, s.y / 2); }")
    assert i is not None and i >= 0, "no unit under the map's centre"
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(TALLY_VALUE, timeout=30_000)
    wait_idle(page)
    shown = int(page.locator(TALLY_VALUE).first.inner_text().replace(",", ""))
    info = frame.inner_text(".leaflet-top.leaflet-right")
    assert "Place:" in info and "Sub-ICB location:" in info and "MSOA" not in info, info
    code = next(w for w in info.split() if w.startswith("E01"))  # the info box names the unit taken
    assert shown == int(swl.loc[swl["lsoa21_code"] == code, "usual_residents_all"].iloc[0]), (code, shown)
    assert not errors, errors
    screenshot(page, "sketch_2024_click")
