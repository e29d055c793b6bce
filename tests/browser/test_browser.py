"""The Sketch page in headless Chromium against a real ``streamlit run app.py``.

No network: every request that is not to 127.0.0.1 is aborted, so Leaflet
and the map data must come from the app itself.  Expected populations are
computed here from the unit table with pandas, not read from the app.
"""

from __future__ import annotations

import json
import statistics
import time

import pytest

from tests.browser_helpers import (  # noqa: F401  (pytest fixtures)
    ARTIFACTS,
    app_server,
    browser,
    frame_by_url,
    open_app,
    page,
    screenshot,
    wait_idle,
)

from tests.ui.test_app_sketch import krm_containment

pytestmark = pytest.mark.browser

KINGSTON, RICHMOND, MERTON = "E09000021", "E09000027", "E09000024"
TALLY = ".st-key-sketch_tally"
TALLY_VALUE = '.st-key-sketch_tally [data-testid="stMetricValue"]'


# --- independent figures from the unit table ---------------------------------------------------

def borough_population(geo, *codes: str) -> int:
    """Residents of whole boroughs: a plain pandas sum over the units."""
    return int(geo.units.loc[geo.units["borough"].isin(codes), "population"].sum())


def interior_lat_lon(geo, mask) -> tuple[str, float, float]:
    """Code and a point well inside the largest unit selected by ``mask`` (EPSG:4326)."""
    units = geo.units[mask]
    big = units.loc[units["area_m2"].idxmax()]
    point = units.loc[[big.name]].geometry.representative_point().to_crs(4326).iloc[0]
    return str(big["code"]), float(point.y), float(point.x)


def interior_points(geo, codes) -> dict[str, tuple[float, float]]:
    """A point well inside each unit (lat, lon)."""
    sel = geo.units.set_index("code").loc[list(codes)]
    pts = sel.geometry.representative_point().to_crs(4326)
    return {c: (float(p.y), float(p.x)) for c, p in zip(sel.index, pts)}


# --- page helpers ---------------------------------------------------------------------------------

def tally_value(pg) -> int | None:
    el = pg.query_selector(TALLY_VALUE)
    return int(el.inner_text().replace(",", "")) if el else None


def wait_tally(pg, expected: int, timeout_ms: int = 30_000) -> None:
    pg.wait_for_function(
        """([sel, want]) => { const el = document.querySelector(sel);
                              return !!el && el.textContent.replace(/,/g, '').trim() === String(want); }""",
        arg=[TALLY_VALUE, expected], timeout=timeout_ms,
    )


def wait_text(pg, selector: str, text: str, timeout_ms: int = 30_000) -> str:
    """Wait until the element's text contains ``text`` (Streamlit fills a rerun in stages); return it."""
    try:
        pg.wait_for_function("([sel, t]) => { const el = document.querySelector(sel); "
                             "return !!el && el.innerText.includes(t); }", arg=[selector, text], timeout=timeout_ms)
    except Exception:  # show what was there instead
        raise AssertionError(f"{text!r} not in {selector}: {pg.inner_text(selector)!r}") from None
    return pg.inner_text(selector)


def map_frame(pg):
    frame = frame_by_url(pg, "clickmap")
    frame.wait_for_function("window.__clickmap && window.__clickmap.ready && window.__clickmap.applied > 0",
                            timeout=60_000)
    return frame


def map_matches_container(frame) -> None:
    """Leaflet's idea of the map size is the container's real size (it caches it)."""
    frame.wait_for_function(
        """() => { const m = window.__clickmap.map, s = m.getSize(), el = document.getElementById('map');
                   return s.x === el.clientWidth && s.y === el.clientHeight; }""", timeout=10_000)


def centre_on(frame, lat: float, lon: float) -> None:
    """Pan the map (same zoom) so the point is in the middle, as a user would before clicking.

    On a narrow map the point may be off the edge, and near an edge it may sit under
    the info box or the legend.
    """
    frame.evaluate("([lat, lon]) => { const m = window.__clickmap.map; "
                   "m.setView([lat, lon], m.getZoom(), {animate: false}); }", [lat, lon])


def screen_point(frame, lat: float, lon: float) -> tuple[float, float]:
    """Page coordinates of a lat/lon on the click map (checks it is inside the map)."""
    frame.frame_element().scroll_into_view_if_needed()
    map_matches_container(frame)
    x, y, w, h = frame.evaluate(
        """([lat, lon]) => { const m = window.__clickmap.map, p = m.latLngToContainerPoint([lat, lon]),
                             s = m.getSize(); return [p.x, p.y, s.x, s.y]; }""", [lat, lon])
    assert 5 < x < w - 5 and 5 < y < h - 5, f"point {lat},{lon} is outside the map view ({x:.0f},{y:.0f})"
    box = frame.locator("#map").bounding_box()
    return box["x"] + x, box["y"] + y


def load_scenario(pg, label: str) -> None:
    """Pick a scenario in the sidebar and press Load, as a new user would."""
    sidebar = pg.locator('[data-testid="stSidebar"]')
    select = sidebar.locator(".st-key-sketch_start")
    if not select.is_visible():
        sidebar.get_by_text("Scenario:", exact=False).first.click()
    select.get_by_role("combobox").click()
    pg.get_by_role("option", name=label, exact=True).click()
    sidebar.get_by_role("button", name="Load", exact=True).click()
    wait_idle(pg)


def choose_brush(pg, label: str) -> None:
    pg.locator(".st-key-sketch_brush").get_by_role("combobox").click()
    pg.get_by_role("option", name=label, exact=True).click()
    wait_idle(pg)


def assigned_units(frame) -> int:
    """Units the map colours as in a footprint (what the browser holds, not the server)."""
    return frame.evaluate("window.__clickmap.assign.filter(k => k >= 0).length")


# --- tests -----------------------------------------------------------------------------------------

def test_kingston_richmond_then_merton_by_click(page, app_server, geo):
    """The new-user flow: load Kingston and Richmond, see it fail 0.5m, click Merton in, see it pass."""
    kr = borough_population(geo, KINGSTON, RICHMOND)
    krm = borough_population(geo, KINGSTON, RICHMOND, MERTON)
    n_kr = int(geo.units["borough"].isin([KINGSTON, RICHMOND]).sum())
    n_krm = int(geo.units["borough"].isin([KINGSTON, RICHMOND, MERTON]).sum())
    assert kr < 500_000 <= krm  # the published point: K&R alone are well under 0.5m

    open_app(page, app_server, "sketch")
    frame = map_frame(page)
    assert frame.evaluate("typeof L === 'object' && L.version") == "1.9.3"
    assert frame.evaluate("window.__clickmap.drawn") == len(geo.units)

    load_scenario(page, "Kingston and Richmond")
    wait_tally(page, kr)
    tally = wait_text(page, TALLY, f"is below 500,000 by {500_000 - kr:,}")
    assert "Kingston and Richmond" in tally
    assert "fails a test" in tally
    frame.wait_for_function(f"window.__clickmap.assign.filter(k => k >= 0).length === {n_kr}")
    page.wait_for_timeout(300)
    screenshot(page, "sketch_1_kingston_richmond")

    code, lat, lon = interior_lat_lon(geo, geo.units["borough"] == MERTON)
    x, y = screen_point(frame, lat, lon)
    page.mouse.click(x, y)
    wait_tally(page, krm)
    tally = wait_text(page, TALLY, f"population {krm:,} is at least 500,000")
    assert "Merton" in tally and "Care-flow containment" in tally
    assert krm_containment(geo) < 0.70 and "fails a test" in tally  # containment 38.6%
    frame.wait_for_function(f"window.__clickmap.assign.filter(k => k >= 0).length === {n_krm}")
    wait_idle(page)
    page.wait_for_timeout(300)
    screenshot(page, "sketch_2_merton_added")

    # undo / redo from the keyboard: on the page (the buttons' shortcuts) and inside the map
    page.locator("h1").first.click()
    page.keyboard.press("Control+z")
    wait_tally(page, kr)
    page.keyboard.press("Control+y")
    wait_tally(page, krm)
    wait_idle(page)
    box = frame.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] - 8, box["y"] + box["height"] - 8)  # a corner with no unit: focus
    page.keyboard.press("Control+z")
    wait_tally(page, kr)
    assert assigned_units(frame) in (n_kr, n_krm)  # the map restyles right after the tally
    frame.wait_for_function(f"window.__clickmap.assign.filter(k => k >= 0).length === {n_kr}")

    assert page.blocked_requests == [], f"requests left the machine: {page.blocked_requests[:5]}"


def test_unit_clicks_are_fast_and_toggle(page, app_server, geo):
    """Unit brush: a click on the same unit twice adds then removes it; time click -> updated tally."""
    kr = borough_population(geo, KINGSTON, RICHMOND)
    open_app(page, app_server, "sketch")
    frame = map_frame(page)
    load_scenario(page, "Kingston and Richmond")
    wait_tally(page, kr)
    choose_brush(page, "one unit (LSOA)")

    # ten of Merton's largest units near its middle, in view at zoom 14
    merton = geo.units[geo.units["borough"] == MERTON]
    centre_bng = merton.dissolve().representative_point()
    centre = centre_bng.to_crs(4326).iloc[0]
    near = merton.distance(centre_bng.iloc[0]).sort_values().index[:40]
    picks = merton.loc[near].sort_values("area_m2", ascending=False)["code"].head(10).tolist()
    points = interior_points(geo, picks)
    pops = geo.units.set_index("code")["population"].astype(int)
    frame.evaluate("([lat, lon]) => { window.__clickmap.map.setView([lat, lon], 14, {animate: false}); }",
                   [centre.y, centre.x])
    page.wait_for_timeout(400)

    sequence = [picks[0], picks[0], *picks[1:]]  # warm-up add, then remove the same unit, then adds
    expected, members = kr, set()
    samples, wall = [], []
    for i, code in enumerate(sequence):
        expected += -int(pops[code]) if code in members else int(pops[code])
        members ^= {code}
        page.evaluate(
            """(sel) => { const prev = (document.querySelector(sel) || {}).textContent;
                          window.__tally = {t: 0};
                          if (window.__tallyObs) window.__tallyObs.disconnect();
                          window.__tallyObs = new MutationObserver(() => {
                              const el = document.querySelector(sel);
                              if (el && el.textContent !== prev && !window.__tally.t)
                                  window.__tally.t = performance.timeOrigin + performance.now(); });
                          window.__tallyObs.observe(document.body,
                              {subtree: true, childList: true, characterData: true}); }""", TALLY_VALUE)
        centre_on(frame, *points[code])
        x, y = screen_point(frame, *points[code])
        t0 = time.perf_counter()
        page.mouse.click(x, y)
        page.wait_for_function("window.__tally.t > 0", timeout=30_000)
        wall.append(time.perf_counter() - t0)
        clicked_at = frame.evaluate("window.__clickmap.lastClickAt")
        updated_at = page.evaluate("window.__tally.t")
        assert tally_value(page) == expected, f"click {i} on {code}: tally {tally_value(page)} != {expected}"
        if i > 0:  # the first click is the warm-up
            samples.append(updated_at - clicked_at)
        wait_idle(page)
    page.wait_for_timeout(300)
    screenshot(page, "sketch_3_unit_brush")

    median = statistics.median(samples)
    result = {
        "what": "click on a unit (brush=unit) in headless Chromium -> sidebar population tally updated",
        "median_ms": round(median, 1), "n": len(samples), "samples_ms": [round(s, 1) for s in samples],
        "wall_clock_median_ms": round(1000 * statistics.median(wall[1:]), 1),
        "warm_up_ms": round(1000 * wall[0], 1), "units": len(geo.units),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "click_timing.json").write_text(json.dumps(result, indent=2))
    print(f"\nclick -> updated tally at unit level: median {median:.0f} ms over {len(samples)} clicks "
          f"(samples {result['samples_ms']})")
    assert len(samples) == len(sequence) - 1
    assert page.blocked_requests == []


def test_map_follows_its_frame_size(page, app_server):
    """The map fills its frame and follows it when the frame is resized.

    Leaflet caches its size; a stale size centres and hit-tests for the wrong box.  (A CI
    run reported a 298 px-wide map, where a unit near the middle of Merton fell outside
    the view; the cause was not reproduced here, so this checks the invariant instead.)
    """
    open_app(page, app_server, "sketch")
    frame = map_frame(page)
    map_matches_container(frame)
    iframe = frame.frame_element()
    full = frame.evaluate("window.__clickmap.map.getSize().x")
    frame_width = iframe.bounding_box()["width"]
    assert abs(full - frame_width) <= 4, f"the map is {full} px wide in a {frame_width:.0f} px frame"
    for width in (420, 900):
        iframe.evaluate("(el, w) => { el.style.width = w + 'px'; }", width)
        map_matches_container(frame)
        assert frame.evaluate("window.__clickmap.map.getSize().x") == frame.evaluate(
            "document.getElementById('map').clientWidth") <= width
    iframe.evaluate("el => { el.style.width = ''; }")
    map_matches_container(frame)
    assert frame.evaluate("window.__clickmap.map.getSize().x") == full


def test_a_new_sessions_map_tells_the_server_once_when_it_needs_nothing_more(page, app_server, browser):
    """Under ``make run`` (this server is ``python -m ui.serve``), a new session's first Sketch run waits for its
    map's signal before it loads the engine (``ui/map_ready.py``): the frame asks for ``ready.txt?t=<token>`` once,
    from the server (not from the HTTP cache), and the page then finishes; a later run asks for nothing more."""
    from urllib.parse import parse_qs, urlparse

    open_app(page, app_server, "sketch")  # keeps the Sketch page's record, if no earlier session did
    map_frame(page)
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    try:
        beacons = []
        context.on("requestfinished", lambda r: beacons.append(r) if urlparse(r.url).path.endswith("/ready.txt")
                   else None)
        fresh = context.new_page()
        open_app(fresh, app_server, "sketch")  # a new session: drawn from the record, then the engine
        frame = map_frame(fresh)
        assert fresh.locator(TALLY).count() == 1, "the page finished after the map's signal"
        assert len(beacons) == 1, [b.url for b in beacons]
        (beacon,) = beacons
        token = parse_qs(urlparse(beacon.url).query)["t"][0]
        assert len(token) >= 16 and beacon.frame == frame and beacon.response().status == 200
        assert beacon.all_headers().get("cache-control") == "no-cache"  # fetched with cache: "no-store"
        # the session's next run (a click on the map's zoom button reruns the page): no second signal
        fresh.get_by_role("button", name="Zoom to footprint").click()
        wait_idle(fresh)
        fresh.wait_for_timeout(500)
        assert len(beacons) == 1
    finally:
        context.close()
