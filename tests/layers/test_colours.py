"""Footprint colours on the Sketch map stay distinct, also for people with red-green colour blindness.

Two checks:

* the palette as drawn (each fill at its opacity over white), compared with
  CIEDE2000 (coloraide) with normal vision and under Machado et al. (2009)
  deuteranopia and protanopia: against each other, the "not in a footprint"
  tint, the "two or more" black and white;
* the rendered map in headless Chromium under Chromium's own vision-deficiency
  emulation (CDP ``Emulation.setEmulatedVisionDeficiency``): the five London
  STPs at STP level, the pixel colour inside each, compared the same way.
"""

from __future__ import annotations

import io
import itertools
import re

import pytest
from coloraide import Color

from ui.components.clickmap import FRONTEND_DIR
from layers.style import (SKETCH_DISTINCT, SKETCH_DOUBLE, SKETCH_FILL_OPACITY, SKETCH_MIN_DELTA_E,
                          SKETCH_MIN_DELTA_E_ALL, SKETCH_PALETTE, SKETCH_UNASSIGNED)
from tests.browser_helpers import app_server, browser, open_app, page, screenshot, wait_idle  # noqa: F401

VIEWS = ("normal", "deutan", "protan")


def drawn(hex_colour: str, opacity: float) -> Color:
    """The colour seen: ``opacity`` of it over white (sRGB, as the canvas composites)."""
    c = Color(hex_colour).convert("srgb")
    return Color("srgb", [1 - opacity + opacity * x for x in c.coords()])


def seen(c: Color, view: str) -> Color:
    return c if view == "normal" else c.clone().filter(view, method="machado").convert("srgb")


def delta(a: Color, b: Color) -> float:
    """Smallest CIEDE2000 difference over normal vision, deuteranopia and protanopia."""
    return min(seen(a, v).delta_e(seen(b, v), method="2000") for v in VIEWS)


def test_the_js_draws_the_palette_at_the_declared_opacity():
    js = (FRONTEND_DIR / "clickmap.js").read_text()
    assert re.search(r"k === S\.editing \? 0\.78 : ([0-9.]+);", js).group(1) == str(SKETCH_FILL_OPACITY)
    assert f'st.fillColor = "{SKETCH_UNASSIGNED[0]}"; st.fillOpacity = {SKETCH_UNASSIGNED[1]}' in js
    assert f'st.fillColor = "{SKETCH_DOUBLE[0]}"; st.fillOpacity = {SKETCH_DOUBLE[1]}' in js


def test_palette_colours_are_distinct_under_colour_blindness():
    fills = [drawn(c, SKETCH_FILL_OPACITY) for c in SKETCH_PALETTE]
    fixed = {"not in a footprint": drawn(*SKETCH_UNASSIGNED), "in two or more": drawn(*SKETCH_DOUBLE),
             "white": Color("white")}
    for i, j in itertools.combinations(range(len(fills)), 2):
        need = SKETCH_MIN_DELTA_E if j < SKETCH_DISTINCT else SKETCH_MIN_DELTA_E_ALL
        d = delta(fills[i], fills[j])
        assert d >= need, f"{SKETCH_PALETTE[i]} and {SKETCH_PALETTE[j]}: CIEDE2000 {d:.1f} < {need}"
    for i, f in enumerate(fills):
        need = SKETCH_MIN_DELTA_E if i < SKETCH_DISTINCT else SKETCH_MIN_DELTA_E_ALL
        for name, other in fixed.items():
            d = delta(f, other)
            assert d >= need, f"{SKETCH_PALETTE[i]} vs {name}: CIEDE2000 {d:.1f} < {need}"
    # the old palette failed this (e.g. Tol's muted red and green under deuteranopia): the check can fail
    old = [drawn(c, 0.42) for c in ("#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE")]
    assert min(delta(a, b) for a, b in itertools.combinations(old, 2)) < SKETCH_MIN_DELTA_E


@pytest.mark.browser
def test_stp_colours_stay_distinct_in_chromium_vision_emulation(page, app_server, geo):
    from PIL import Image

    from tests.browser.test_browser import load_scenario, map_frame, screen_point

    open_app(page, app_server, "sketch")
    frame = map_frame(page)
    load_scenario(page, "London STPs")
    frame.wait_for_function("window.__clickmap.assign.filter(k => k >= 0).length === window.__clickmap.drawn")
    # a point well inside each STP (the largest unit's interior point, away from the outlines)
    points = {}
    for stp, units in geo.units.groupby("stp"):
        big = units.loc[units["area_m2"].idxmax()]
        p = units.loc[[big.name]].geometry.representative_point().to_crs(4326).iloc[0]
        points[stp] = (p.y, p.x)
    assert len(points) == 5
    frame.evaluate("() => { const m = window.__clickmap.map; m.fitBounds(m.getBounds(), {animate: false}); }")
    page.mouse.move(1, 1)  # no hover outline
    xy = {stp: screen_point(frame, *ll) for stp, ll in points.items()}
    cdp = page.context.new_cdp_session(page)
    colours: dict[str, dict[str, Color]] = {}
    for view, mode in (("normal", "none"), ("deutan", "deuteranopia"), ("protan", "protanopia")):
        cdp.send("Emulation.setEmulatedVisionDeficiency", {"type": mode})
        page.wait_for_timeout(300)
        png = page.screenshot()
        screenshot(page, f"sketch_stps_{view}")
        img = Image.open(io.BytesIO(png)).convert("RGB")
        for stp, (x, y) in xy.items():
            r, g, b = img.getpixel((int(x), int(y)))
            colours.setdefault(view, {})[stp] = Color("srgb", [r / 255, g / 255, b / 255])
    cdp.send("Emulation.setEmulatedVisionDeficiency", {"type": "none"})
    # the emulation really changed the colours (else this would test nothing)
    assert any(colours["normal"][s].delta_e(colours["deutan"][s], method="2000") > 3 for s in points)
    for view in VIEWS:
        for a, b in itertools.combinations(points, 2):
            d = colours[view][a].delta_e(colours[view][b], method="2000")
            assert d >= SKETCH_MIN_DELTA_E, f"{view}: STPs {a} and {b} look alike on the map (CIEDE2000 {d:.1f})"
