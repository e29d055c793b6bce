"""Sketch editing in headless Chromium: the map stays put, paint strokes, keyboard-only editing.

Against a real ``streamlit run app.py``; expected populations come from the unit
table with pandas, and which unit lies where from shapely on the source geometry.
"""

from __future__ import annotations

import pytest

from tests.browser_helpers import (  # noqa: F401  (pytest fixtures)
    app_server,
    browser,
    block_non_local,
    open_app,
    page,
    screenshot,
    wait_idle,
)
from tests.browser.test_browser import (
    KINGSTON,
    MERTON,
    RICHMOND,
    TALLY,
    assigned_units,
    borough_population,
    choose_brush,
    interior_lat_lon,
    interior_points,
    load_scenario,
    map_frame,
    map_matches_container,
    wait_tally,
    wait_text,
)

import geopandas as gpd
from shapely.ops import polylabel

pytestmark = pytest.mark.browser


def frame_top(frame) -> float:
    return frame.frame_element().bounding_box()["y"]


def point_on_page(frame, lat: float, lon: float) -> tuple[float, float]:
    """Page coordinates of a lat/lon on the map, without scrolling anything first."""
    map_matches_container(frame)
    x, y = frame.evaluate("([lat, lon]) => { const p = window.__clickmap.map.latLngToContainerPoint([lat, lon]);"
                          " return [p.x, p.y]; }", [lat, lon])
    box = frame.locator("#map").bounding_box()
    return box["x"] + x, box["y"] + y


def test_readme_first_session_adds_merton_with_the_map_below_the_fold(browser, app_server, geo):
    """README: load K&R, brush whole borough, click Merton.  The map runs below the fold and
    nobody scrolls first: the press must not scroll the page, and Merton (not Sutton) is added."""
    context = browser.new_context(viewport={"width": 1400, "height": 760}, device_scale_factor=1)
    blocked: list[str] = []
    block_non_local(context, blocked)
    pg = context.new_page()
    try:
        kr = borough_population(geo, KINGSTON, RICHMOND)
        krm = borough_population(geo, KINGSTON, RICHMOND, MERTON)
        open_app(pg, app_server, "sketch")
        frame = map_frame(pg)
        load_scenario(pg, "Kingston and Richmond")
        wait_tally(pg, kr)
        box = frame.frame_element().bounding_box()
        assert box["y"] + box["height"] > 760, "the map should run below the fold for this test"
        _, lat, lon = interior_lat_lon(geo, geo.units["borough"] == MERTON)
        # the user's own view: the map as it opened; pan only if Merton is below the fold
        x, y = point_on_page(frame, lat, lon)
        if not (box["y"] + 10 < y < 740):
            top = 740 - box["y"] - 80
            frame.evaluate("([lat, lon, top]) => { const m = window.__clickmap.map, p = m.latLngToContainerPoint("
                           "[lat, lon]), s = m.getSize(); m.panBy([p.x - s.x / 2, p.y - top], {animate: false}); }",
                           [lat, lon, top])
            x, y = point_on_page(frame, lat, lon)
        assert box["y"] < y < 760, f"Merton's point is not in the viewport ({y:.0f})"
        before = frame_top(frame)
        pg.mouse.click(x, y)
        wait_tally(pg, krm)
        assert frame_top(frame) == before, "the page scrolled on the click: the map moved under the pointer"
        tally = wait_text(pg, TALLY, "Merton")
        assert "Sutton" not in tally
        n_krm = int(geo.units["borough"].isin([KINGSTON, RICHMOND, MERTON]).sum())
        frame.wait_for_function(f"window.__clickmap.assign.filter(k => k >= 0).length === {n_krm}")
        wait_idle(pg)
        screenshot(pg, "sketch_readme_merton_below_fold")
        assert blocked == []
    finally:
        context.close()


def test_click_right_after_a_message_takes_the_unit_aimed_at(page, app_server, geo):
    """A detached unit raises a warning; a click right after, at a unit's centre, takes that unit."""
    kr = borough_population(geo, KINGSTON, RICHMOND)
    open_app(page, app_server, "sketch")
    frame = map_frame(page)
    load_scenario(page, "Kingston and Richmond")
    wait_tally(page, kr)
    choose_brush(page, "one unit (LSOA)")
    merton = geo.units[geo.units["borough"] == MERTON]
    far = merton.loc[merton["area_m2"].nlargest(8).index]  # big Merton units, away from K&R: detached pieces
    kr_shape = geo.units[geo.units["borough"].isin([KINGSTON, RICHMOND])].union_all()
    far = far[far.geometry.distance(kr_shape) > 500]
    assert len(far) >= 2, "need two Merton units away from Kingston and Richmond"
    first, second = far["code"].iloc[0], far["code"].iloc[1]
    pts = interior_points(geo, [first, second])
    frame.evaluate("([lat, lon]) => { window.__clickmap.map.setView([lat, lon], 13, {animate: false}); }", pts[first])
    frame.frame_element().scroll_into_view_if_needed()
    x1, y1 = point_on_page(frame, *pts[first])
    x2, y2 = point_on_page(frame, *pts[second])
    top = frame_top(frame)
    page.mouse.click(x1, y1)
    pops = geo.units.set_index("code")["population"].astype(int)
    wait_tally(page, kr + int(pops[first]))
    wait_text(page, '[data-testid="stSidebar"]', "not one connected piece")
    # the warning is up: the map has not moved, and the next click lands where it was aimed
    assert frame_top(frame) == top
    page.mouse.click(x2, y2)
    wait_tally(page, kr + int(pops[first]) + int(pops[second]))
    idx = frame.evaluate("window.__clickmap.unitIndex")
    assign = frame.evaluate("window.__clickmap.assign")
    frame.wait_for_function(f"window.__clickmap.assign[{idx[second]}] === 0")
    assert assign[idx[first]] == 0
    msg = frame.locator(".cm-message").inner_text()
    assert "not one connected piece" in msg and frame.locator(".cm-message").get_attribute("aria-live") == "polite"
    screenshot(page, "sketch_click_under_message")


def test_paint_stroke_across_ten_units_one_undo(page, app_server, geo):
    """Press, drag across at least ten units, release: all added in one step; one undo restores."""
    from shapely.geometry import LineString

    kr = borough_population(geo, KINGSTON, RICHMOND)
    open_app(page, app_server, "sketch")
    frame = map_frame(page)
    load_scenario(page, "Kingston and Richmond")
    wait_tally(page, kr)
    choose_brush(page, "one unit (LSOA)")
    page.locator(".st-key-sketch_paint").get_by_text("Drag paints areas").click()
    wait_idle(page)
    frame.wait_for_function("!window.__clickmap.map.dragging.enabled()")
    merton = geo.units[geo.units["borough"] == MERTON]
    c = merton.dissolve().representative_point().to_crs(4326).iloc[0]
    frame.evaluate("([lat, lon]) => { window.__clickmap.map.setView([lat, lon], 14, {animate: false}); }", [c.y, c.x])
    frame.frame_element().scroll_into_view_if_needed()
    map_matches_container(frame)
    box = frame.locator("#map").bounding_box()
    y = box["y"] + box["height"] * 0.55
    x0, x1 = box["x"] + 60, box["x"] + box["width"] - 340
    page.mouse.move(x0, y)
    page.mouse.down()
    steps = 40
    for s in range(1, steps + 1):
        page.mouse.move(x0 + (x1 - x0) * s / steps, y)
    page.mouse.up()
    n = frame.evaluate("window.__clickmap.lastStroke")
    assert n >= 10, f"the stroke crossed {n} units"
    # the units of the stroke lie on the line drawn (shapely on the source geometry, 40 m slack for
    # the simplified map shapes), and every unit the line runs well inside is in the stroke
    (lat0, lon0), (lat1, lon1) = frame.evaluate(
        """([a, b]) => { const m = window.__clickmap.map, r = document.getElementById('map').getBoundingClientRect();
              const p = m.containerPointToLatLng([a[0], a[1]]), q = m.containerPointToLatLng([b[0], b[1]]);
              return [[p.lat, p.lng], [q.lat, q.lng]]; }""",
        [[x0 - box["x"], y - box["y"]], [x1 - box["x"], y - box["y"]]])
    line = gpd.GeoSeries([LineString([(lon0, lat0), (lon1, lat1)])], crs=4326).to_crs(27700).iloc[0]
    units = geo.units.set_index("code")
    idx = frame.evaluate("window.__clickmap.unitIndex")
    page.wait_for_function(
        "([sel, kr]) => { const el = document.querySelector(sel);"
        " return !!el && Number(el.textContent.replace(/,/g, '')) !== kr; }",
        arg=['.st-key-sketch_tally [data-testid="stMetricValue"]', kr], timeout=30_000)
    wait_idle(page)
    assign = frame.evaluate("window.__clickmap.assign")
    added = [code for code, i in idx.items()
             if assign[i] == 0 and units.loc[code, "borough"] not in (KINGSTON, RICHMOND)]
    assert len(added) == n
    assert units.loc[added].geometry.distance(line).max() < 40
    well_inside = units[units.geometry.intersection(line).length > 150].index
    assert set(well_inside) <= set(added)
    expected = kr + int(units.loc[added, "population"].sum())
    wait_tally(page, expected)
    screenshot(page, "sketch_paint_stroke")
    page.locator("h1").first.click()
    page.keyboard.press("Control+z")
    wait_tally(page, kr)
    n_kr = int(geo.units["borough"].isin([KINGSTON, RICHMOND]).sum())
    frame.wait_for_function(f"window.__clickmap.assign.filter(k => k >= 0).length === {n_kr}")
    assert assigned_units(frame) == n_kr


def test_keyboard_only_builds_kingston_richmond_merton(page, app_server, geo):
    """Tab to the map, arrows to each borough, Enter: K, R and Merton without the mouse; Ctrl+Z / Ctrl+Y."""
    krm = borough_population(geo, KINGSTON, RICHMOND, MERTON)
    open_app(page, app_server, "sketch")
    frame = map_frame(page)
    # Tab until the map itself has focus (bounded)
    for _ in range(80):
        page.keyboard.press("Tab")
        if frame.evaluate("document.activeElement === document.getElementById('map')"):
            break
    else:
        raise AssertionError("Tab never reached the map")
    assert frame.evaluate("getComputedStyle(document.getElementById('map')).outlineStyle") == "solid"
    assert frame.frame_element().get_attribute("title").startswith("Sketch map")  # not "layers.clickmap..."
    pan = frame.evaluate("window.__clickmap.map.options.keyboardPanDelta")
    zoom0 = frame.evaluate("window.__clickmap.map.getZoom()")
    page.keyboard.press("Equal")  # Leaflet's keyboard zoom (+): two steps in
    frame.wait_for_function(f"window.__clickmap.map.getZoom() > {zoom0}")
    page.wait_for_timeout(400)
    page.keyboard.press("Equal")
    frame.wait_for_function(f"window.__clickmap.map.getZoom() > {zoom0} + 1")
    page.wait_for_timeout(400)
    boroughs = geo.layer("borough").set_index("code")
    expected = 0
    for code in (KINGSTON, RICHMOND, MERTON):
        inner = polylabel(max(getattr(boroughs.geometry[code], "geoms", [boroughs.geometry[code]]),
                              key=lambda g: g.area), tolerance=10)
        # far enough inside that half a pan step (~0.8 km at this zoom) cannot leave the borough
        assert boroughs.geometry[code].boundary.distance(inner) > 1_000
        lon, lat = gpd.GeoSeries([inner], crs=27700).to_crs(4326).iloc[0].coords[0]
        for _ in range(80):  # arrows until the target is within half a pan step of the cross
            frame.wait_for_function("!(window.__clickmap.map._panAnim && window.__clickmap.map._panAnim._inProgress)")
            dx, dy = frame.evaluate("([lat, lon]) => { const m = window.__clickmap.map, p = m.latLngToContainerPoint("
                                    "[lat, lon]), s = m.getSize(); return [p.x - s.x / 2, p.y - s.y / 2]; }",
                                    [lat, lon])
            if abs(dx) <= pan / 2 and abs(dy) <= pan / 2:
                break
            key = ("ArrowRight" if dx > 0 else "ArrowLeft") if abs(dx) > abs(dy) else ("ArrowDown" if dy > 0
                                                                                        else "ArrowUp")
            page.keyboard.press(key)
        else:
            raise AssertionError(f"the arrows did not bring {code} under the cross")
        page.keyboard.press("Enter")
        expected += borough_population(geo, code)
        try:
            wait_tally(page, expected)
        except Exception:
            raise AssertionError(f"after Enter on {code}: the map says {frame.locator('.cm-message').inner_text()!r} "
                                 f"(cross {dx:.0f},{dy:.0f} px from the target)") from None
        wait_idle(page)
    assert expected == krm
    tally = page.inner_text(TALLY)
    assert "Kingston upon Thames" in tally and "Richmond upon Thames" in tally and "Merton" in tally
    screenshot(page, "sketch_keyboard_krm")
    page.keyboard.press("Control+z")
    wait_tally(page, borough_population(geo, KINGSTON, RICHMOND))
    page.keyboard.press("Control+y")
    wait_tally(page, krm)
    # B on the map switches the brush (borough -> CCG), shown in the toolbar and in the map's caption
    assert frame.evaluate("document.activeElement === document.getElementById('map')")
    page.keyboard.press("b")
    frame.wait_for_function("document.querySelector('.cm-caption').textContent.includes('whole CCG')")
    wait_idle(page)
    shown = page.locator(".st-key-sketch_brush").evaluate(
        "el => [el.innerText, ...[...el.querySelectorAll('input')].map(i => i.value || '')].join(' ')")
    assert "whole CCG" in shown, shown
