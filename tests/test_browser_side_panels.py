"""Legends and source lines beside the map, not over its areas (Check's flow map, Overlaps).

The maps are rendered in headless Chromium from their self-contained HTML; the
boxes of the side panels and of the drawn areas are compared.
"""

from __future__ import annotations

import pytest

from tests.browser_helpers import ARTIFACTS, browser  # noqa: F401  (pytest fixture)

pytestmark = pytest.mark.browser

KINGSTON, RICHMOND = "E09000021", "E09000027"

_BOXES = """() => {
  const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const map = document.querySelector('.leaflet-container');
  const panels = [...document.querySelectorAll('.fp-side .fp-panel')].map(box);
  const drawn = [...document.querySelectorAll('.leaflet-overlay-pane path')].map(box)
      .filter(b => b[2] > b[0] && b[3] > b[1]);
  return {map: box(map), panels, drawn, inMap: !!map.querySelector('.fp-legend, .fp-source')};
}"""


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def render(browser, html: str, tmp_path, name: str) -> dict:  # noqa: F811
    from layers.export import block_network

    path = tmp_path / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    context = browser.new_context(viewport={"width": 1100, "height": 640})
    try:
        pg = context.new_page()
        pg.route("**/*", block_network)
        pg.goto(path.as_uri())
        pg.wait_for_function("document.querySelectorAll('.leaflet-overlay-pane path').length > 0", timeout=30_000)
        pg.wait_for_timeout(300)
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"side_panels_{name}.png"))
        return pg.evaluate(_BOXES)
    finally:
        context.close()


def check_layout(boxes: dict) -> None:
    assert not boxes["inMap"], "a legend or source line is still drawn inside the map"
    assert len(boxes["panels"]) >= 2, "legend and source line expected beside the map"
    for p in boxes["panels"]:
        assert not _overlaps(p, boxes["map"]), f"panel {p} overlaps the map {boxes['map']}"
    for a, b in zip(boxes["panels"], boxes["panels"][1:]):
        assert not _overlaps(a, b), f"panels overlap each other: {a} {b}"
    # the areas are in the (narrowed) map, none under the side column
    side_left = min(p[0] for p in boxes["panels"])
    assert all(d[0] < side_left for d in boxes["drawn"])


def test_flow_map_legend_and_source_beside_the_map(browser, tmp_path):  # noqa: F811
    from layers.assets import self_contained_html
    from layers.flowmaps import flow_map
    from spatial import Footprint
    from spatial.geometry import footprint_geometry
    from ui.widgets import checking_engine

    eng, _ = checking_engine()
    assert eng.flows is not None, "care flows are needed (PHE catchment files in ../shared/data/nhs/flows)"
    fp = Footprint("Kingston and Richmond", "multi_borough", (KINGSTON, RICHMOND))
    shape = footprint_geometry(eng.index, eng.index.expand(fp.members))
    fm = flow_map(eng.flows.measure(fp, eng.index), shape, eng.flows.trust_table(eng.index))
    check_layout(render(browser, self_contained_html(fm), tmp_path, "flow_map"))


def test_overlap_style_map_legend_and_source_beside_the_map(browser, geo, tmp_path):  # noqa: F811
    from layers.assets import self_contained_html
    from layers.elements import MapControl
    from layers.maps import base_map, legend_html, polygon_layer
    from layers.style import PathStyle, swatch_svg

    boroughs = geo.layer("borough")
    style = PathStyle(color="#444444", weight=1, fill_color="#DDDDDD", fill_opacity=0.5)
    m = base_map(boroughs)
    polygon_layer(boroughs, "Boroughs", style=style).add_to(m)
    MapControl(legend_html([(swatch_svg(style), "Borough")], "Pieces"), position="side",
               class_name="fp-panel fp-legend").add_to(m)
    MapControl("Source: ONS. Map drawn today", position="side", class_name="fp-panel fp-source").add_to(m)
    check_layout(render(browser, self_contained_html(m), tmp_path, "overlaps_style"))
