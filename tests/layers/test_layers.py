"""Tests of the drawing layer on the real London data, in a real (headless) Chromium.

Every page is opened from a local file with all requests to anything but
``file:``/``data:``/``about:`` aborted: the maps must draw with no network.
Screenshots and exports go to ``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from boundaries.config import DATA_HELP, settings
from boundaries.errors import MissingDataError
from boundaries.readers import read_dataset
from boundaries.registry import REGISTRY
from layers.assets import AssetError, LEAFLET_VERSION, new_map, offline_map, self_contained_html
from layers.export import (
    block_network,
    browser,
    export_html,
    export_pdf,
    export_png,
    table_csv,
    table_xlsx,
)
from layers.geometry import to_map_geometry
from layers.maps import flow_lines, footprint_map, point_layer, polygon_layer, base_map
from layers.style import check_style, verdict_key
from layers.text import escape_text
from layers.topology import to_topology

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
N_UNITS = 4835
SOURCE = "Source: ONS, GLA London Datastore (OGL v3.0). Contains OS data \u00a9 Crown copyright."
PAYLOADS = ["<img src=x onerror=alert(1)>", "</script><script>alert(1)</script>"]
TRICKY = "${alert(1)}`+alert(2)+`\\ <b onmouseover=alert(3)>bold</b> & 'q' \"dq\""


# --- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def units() -> gpd.GeoDataFrame:
    """The 4,835 London LSOAs: code, name, population, borough, geometry (EPSG:27700)."""
    data_dir = settings().data_dir
    try:
        frame = read_dataset(REGISTRY["london_lsoa"], data_dir).frame
    except MissingDataError as exc:
        pytest.fail(f"London LSOA boundaries not found under {data_dir}: {exc}. To get the data: "
                    f"{DATA_HELP}", pytrace=False)
    out = frame.rename(columns={"LSOA11CD": "code", "LSOA11NM": "name", "pop_mid2017": "population"})
    return out[["code", "name", "population", "LAD11CD", "LAD11NM", "geometry"]]


@pytest.fixture(scope="module")
def boroughs(units) -> gpd.GeoDataFrame:
    """Units dissolved into the 33 boroughs, used as footprints with made-up verdicts."""
    b = units.dissolve(by=["LAD11CD", "LAD11NM"], aggfunc={"population": "sum"}, method="coverage")
    b = b.reset_index().rename(columns={"LAD11CD": "code", "LAD11NM": "name"})
    b["verdict"] = [("pass", "fail", None)[i % 3] for i in range(len(b))]
    b["reason"] = ["made up for the test"] * len(b)
    return b[["code", "name", "population", "verdict", "reason", "geometry"]]


@pytest.fixture(scope="module")
def map_units(units) -> gpd.GeoDataFrame:
    return to_map_geometry(units)


@pytest.fixture(scope="module")
def chromium():
    with browser() as b:
        yield b


@pytest.fixture(scope="module", autouse=True)
def artifacts_dir():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def open_offline(chromium, html: str, name: str, size=(1400, 1000)):
    """Open HTML from a file with the network blocked; return (page, context, attempts, dialogs)."""
    path = ARTIFACTS / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    ctx = chromium.new_context(viewport={"width": size[0], "height": size[1]})
    page = ctx.new_page()
    attempts: list[str] = []
    dialogs: list[str] = []

    def route(r):
        if not r.request.url.startswith(("file:", "data:", "about:")):
            attempts.append(r.request.url)
        block_network(r)

    page.route("**/*", route)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function("() => document.querySelectorAll('path.leaflet-interactive').length > 0",
                           timeout=20_000)
    return page, ctx, attempts, dialogs


# --- geometry ------------------------------------------------------------------------------------

def test_simplification_keeps_a_valid_coverage_and_every_unit(units, map_units):
    assert not shapely.coverage_is_valid(units.geometry.values), "source should need cleaning"
    assert len(map_units) == N_UNITS
    assert map_units.crs.to_epsg() == 4326
    assert list(map_units["code"]) == list(units["code"])
    geoms = map_units.geometry.values
    assert not shapely.is_empty(geoms).any()
    assert shapely.is_valid(geoms).all()
    assert shapely.coverage_is_valid(geoms)
    xy = shapely.get_coordinates(geoms)
    assert np.allclose(xy, np.round(xy, 5), atol=1e-12, rtol=0)
    assert len(xy) < shapely.get_num_coordinates(units.geometry.values).sum()
    # the drawn area stays close to the real one (coverage simplification, not a new shape)
    area = map_units.to_crs(27700).area.to_numpy()
    real = units.area.to_numpy()
    assert abs(area.sum() / real.sum() - 1) < 0.001
    assert np.median(np.abs(area / real - 1)) < 0.02


def test_overlapping_shapes_are_simplified_one_by_one(boroughs):
    """Shapes that overlap on purpose (e.g. catchments) are not 'cleaned' into a coverage."""
    shapes = boroughs.iloc[:6].copy()
    shapes["geometry"] = shapes.buffer(1500)
    drawn = to_map_geometry(shapes).to_crs(27700)
    ratio = drawn.area.to_numpy() / shapes.area.to_numpy()
    assert np.allclose(ratio, 1, atol=0.01)
    assert not shapely.coverage_is_valid(drawn.geometry.values)


def _decode(topo: dict) -> list:
    """Independent Python decoder of our TopoJSON (delta arcs, ~index = reversed)."""
    scale, translate = np.array(topo["transform"]["scale"]), np.array(topo["transform"]["translate"])
    arcs = [np.cumsum(np.array(a, dtype=float), axis=0) * scale + translate for a in topo["arcs"]]

    def ring(ids):
        pts: list = []
        for i in ids:
            a = arcs[~i][::-1] if i < 0 else arcs[i]
            pts.extend(a.tolist()[1:] if pts else a.tolist())
        return pts

    out = []
    for g in topo["objects"]["data"]["geometries"]:
        out.append(shapely.MultiPolygon([(ring(p[0]), [ring(h) for h in p[1:]]) for p in g["arcs"]]))
    return out


def test_topology_shares_edges_and_decodes_to_the_same_shapes(map_units):
    geoms = map_units.geometry.values
    topo = to_topology(geoms, ids=list(map_units["code"]))
    decoded = np.array(_decode(topo), dtype=object)
    assert len(decoded) == N_UNITS
    multi = np.array([g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g]) for g in geoms])
    same = shapely.equals_exact(shapely.normalize(decoded), shapely.normalize(multi), tolerance=1e-9)
    assert same.all(), f"{(~same).sum()} shapes differ after the round trip"
    n_points = sum(len(a) for a in topo["arcs"])
    assert n_points < 0.7 * len(shapely.get_coordinates(geoms)), "shared edges should be stored once"


# --- escaping ------------------------------------------------------------------------------------

def test_escape_text_is_inert_everywhere():
    assert escape_text(PAYLOADS[0]) == "&lt;img src=x onerror=alert(1)&gt;"
    out = escape_text(TRICKY)
    for ch in "<>`${}\\\"'":
        assert ch not in out
    with pytest.raises(ValueError):
        check_style({"color": "</script><script>alert(1)</script>"})
    assert verdict_key(True) == "pass" and verdict_key("fail") == "fail"
    assert verdict_key(None) == verdict_key(pd.NA) == verdict_key(float("nan")) == "unchecked"


def _hover(page, lat: float, lon: float) -> str:
    """Move the mouse over a point of the map; return the open tooltip's text."""
    xy = page.evaluate(
        """([lat, lon]) => { const k = Object.keys(window).find(n => /^map_[0-9a-f]+$/.test(n));
           const p = window[k].latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }""",
        [lat, lon],
    )
    page.mouse.move(xy[0] + 3, xy[1] + 3)
    page.mouse.move(xy[0], xy[1])
    page.wait_for_selector(".leaflet-tooltip", timeout=5_000)
    return page.inner_text(".leaflet-tooltip")


def test_names_from_data_never_run_as_script(chromium, boroughs):
    fp = boroughs.copy()
    fp.loc[0, "name"], fp.loc[1, "name"] = PAYLOADS
    fp.loc[0, "reason"] = TRICKY
    trusts = fp.iloc[2:6].copy()
    trusts["geometry"] = trusts.representative_point()
    trusts["name"] = [PAYLOADS[1], TRICKY, "Trust C", PAYLOADS[0]]
    trusts["activity"] = [40, 30, 20, 10]
    m = footprint_map(
        fp, title=PAYLOADS[1], subtitle=PAYLOADS[0], source_line=TRICKY,
        layers=[point_layer(trusts, PAYLOADS[0], value_col="activity", tooltip_cols=["name"],
                            label_col="name")],
        tooltip_cols={"name": PAYLOADS[1], "reason": "Why"},
    )
    html = self_contained_html(m)
    assert "<img src=x" not in html
    assert "<script>alert(1)" not in html
    page, ctx, attempts, dialogs = open_offline(chromium, html, "escaping")
    try:
        labels = page.eval_on_selector_all(".fp-label", "els => els.map(e => e.textContent)")
        for payload in PAYLOADS:
            assert labels.count(payload) >= 2, f"{payload!r} should show literally (footprint and trust)"
        body = page.inner_text("body")
        for payload in PAYLOADS:
            assert payload in body
        assert TRICKY.split("<b")[0] in body
        # the tooltip shows the values (and the alias) as text
        pt = gpd.GeoSeries([fp.geometry.iloc[0]], crs=27700).representative_point().to_crs(4326).iloc[0]
        tip = _hover(page, pt.y, pt.x)
        assert PAYLOADS[0] in tip and PAYLOADS[1] in tip and "bold</b>" in tip
        # the layer switcher shows the layer name as text
        page.hover(".leaflet-control-layers")
        assert PAYLOADS[0] in page.inner_text(".leaflet-control-layers")
        page.wait_for_timeout(300)
        assert page.evaluate("() => document.querySelectorAll('img[src=\"x\"], b[onmouseover]').length") == 0
        page.screenshot(path=str(ARTIFACTS / "escaping.png"))
        assert dialogs == [], f"script from data ran: {dialogs}"
        assert attempts == []
    finally:
        ctx.close()


# --- offline -------------------------------------------------------------------------------------

def test_offline_map_loads_only_local_leaflet():
    m = new_map()
    assert [n for n, _ in m.default_js] == ["leaflet"]
    assert [n for n, _ in m.default_css] == ["leaflet_css"]
    html = self_contained_html(m)
    assert "<script src" not in html.lower()
    assert not re.search(r"<link[^>]+href=[\"']https?:", html)
    assert "Leaflet 1.9.3" in html
    # a remote plugin cannot be made offline: say so instead of leaving a hole
    import folium

    m2 = offline_map(folium.Map(tiles=None))
    m2.default_js = m2.default_js + [("plugin", "https://cdn.example.org/plugin.js")]
    with pytest.raises(AssetError):
        self_contained_html(m2)
    assert "cdn.example.org" not in self_contained_html(m2, on_remote="drop")


def test_exported_map_draws_all_units_with_the_network_blocked(chromium, units, map_units, tmp_path):
    m = base_map(map_units)
    polygon_layer(map_units, "LSOAs", tooltip_cols={"name": "Name", "code": "Code"}).add_to(m)
    path = export_html(m, tmp_path / "units.html")
    html = path.read_text(encoding="utf-8")
    assert len(html.encode()) < 1.5 * 1024 * 1024
    page, ctx, attempts, dialogs = open_offline(chromium, html, "units")
    try:
        assert page.evaluate("() => window.L.version") == LEAFLET_VERSION
        assert page.evaluate("() => document.querySelectorAll('path.leaflet-interactive').length") == N_UNITS
        assert attempts == [], f"the page tried the network: {attempts[:3]}"
        page.screenshot(path=str(ARTIFACTS / "units.png"))
    finally:
        ctx.close()


def test_footprint_map_png_and_pdf(chromium, boroughs):
    trusts = boroughs.iloc[[5, 12, 20, 27]].copy()
    trusts["geometry"] = trusts.representative_point()
    trusts["name"] = ["Trust A", "Trust B", "Trust C", "Trust D"]
    trusts["activity"] = [9000, 6000, 2500, 800]
    trusts["share"] = [0.45, 0.25, 0.2, 0.1]
    trusts["inside"] = [True, True, False, False]
    m = footprint_map(
        boroughs, title="London boroughs as footprints",
        subtitle="Made-up verdicts for a drawing test", source_line=SOURCE,
        date=dt.date(2025, 1, 31),
        layers=[
            point_layer(trusts, "Trust sites", value_col="activity", tooltip_cols=["name", "activity"]),
            flow_lines(boroughs.iloc[[12]], trusts, "Care flows", tooltip_cols={"name": "Trust", "share": "Share"}),
        ],
    )
    html = self_contained_html(m)
    page, ctx, attempts, _ = open_offline(chromium, html, "footprints")
    try:
        assert page.evaluate("() => window.L.version") == LEAFLET_VERSION
        # 33 footprints, 4 trust circles, 4 flow lines
        assert page.evaluate("() => document.querySelectorAll('path.leaflet-interactive').length") == 41
        text = page.inner_text("body")
        assert "London boroughs as footprints" in text and "31 January 2025" in text
        assert "Meets the tests (11)" in text and "Fails a test (11)" in text and "Not checked (11)" in text
        assert attempts == []
    finally:
        ctx.close()
    png = export_png(html, ARTIFACTS / "footprints.png", browser_=chromium)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    pdf = export_pdf(html, ARTIFACTS / "footprints.pdf", browser_=chromium)
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-" and b"%%EOF" in data[-1024:] and len(data) > 10_000


# --- tables --------------------------------------------------------------------------------------

def test_tables_carry_title_source_and_date(boroughs):
    table = boroughs.drop(columns="geometry").copy()
    table.loc[0, "name"] = "=HYPERLINK(\"http://x\",\"click\")"
    day = dt.date(2025, 1, 31)
    text = table_csv(table, title="Footprint checks", source_line=SOURCE, date=day).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "Footprint checks"
    assert SOURCE in lines[1] and "2025-01-31" in lines[1]
    assert lines[3].startswith("code,name,population")
    assert len(lines) == 4 + len(table)
    assert "'=HYPERLINK" in text

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(table_xlsx(table, title="Footprint checks", source_line=SOURCE, date=day)))
    ws = wb.active
    assert ws["A1"].value == "Footprint checks"
    assert SOURCE in ws["A2"].value and "2025-01-31" in ws["A2"].value
    assert [c.value for c in ws[4]][:3] == ["code", "name", "population"]
    assert ws["B5"].value.startswith("=HYPERLINK") and ws["B5"].data_type == "s"
    assert ws["C5"].value == int(table["population"].iloc[0])
    assert ws.max_row == 4 + len(table)


def test_footprint_map_legend_names_the_failing_rules(boroughs):
    fp = boroughs.head(3).copy()
    fp["verdict"] = ["fail", "pass", "fail"]
    fp["failed"] = ["Care flow", "", "Population rule, Care flow"]
    html = self_contained_html(footprint_map(fp, title="t", source_line="s"))
    assert "Fails a test (2): Care flow, Population rule" in html
    assert "Meets the tests (1)" in html
    plain = boroughs.head(2).copy()
    plain["verdict"] = ["fail", "pass"]  # no "failed" column: the legend cannot name the rule
    html = self_contained_html(footprint_map(plain, title="t", source_line="s"))
    assert "Fails a test (1)" in html and "Fails a test (1):" not in html
