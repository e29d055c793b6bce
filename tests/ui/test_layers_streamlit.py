"""``st_folium`` maps draw with no network once prepared by :mod:`ui.components.st_folium_assets`.

Starts a real Streamlit server (static serving on) with a tiny app in a
temporary folder and opens it in headless Chromium with every request that
is not to the local server aborted.  Checks both ways of shipping Leaflet
(static serving and ``data:`` URLs), and that folium's defaults draw nothing
offline -- the reason the preparation exists.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from layers.export import browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

APP = '''
from pathlib import Path

import folium
import geopandas as gpd
import shapely
import streamlit as st
from streamlit_folium import st_folium

from layers.maps import footprint_map
from ui.components.st_folium_assets import prepare_st_folium

mode = st.query_params.get("mode", "auto")
boxes = [shapely.box(530000 + i * 2000, 180000, 532000 + i * 2000, 182000) for i in range(3)]
gdf = gpd.GeoDataFrame({"code": ["A", "B", "C"], "name": ["<img src=x onerror=alert(1)>", "Bee", "Cee"],
                        "verdict": ["pass", "fail", None], "population": [1000, 2000, 3000]},
                       geometry=boxes, crs=27700)
m = footprint_map(gdf, title="Offline st_folium", source_line="Source: test")
if mode == "folium-defaults":
    m.default_js, m.default_css = folium.Map.default_js, folium.Map.default_css
else:
    prepare_st_folium(m, app_dir=Path(__file__).parent, mode=mode)
st.write("ready")
st_folium(m, height=420, width=700, returned_objects=[], key="map")
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app_dir = tmp_path_factory.mktemp("stapp")
    (app_dir / "app.py").write_text(APP, encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    log = open(app_dir / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.enableStaticServing", "true", "--browser.gatherUsageStats", "false"],
        cwd=app_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail("Streamlit did not start: " + (app_dir / "streamlit.log").read_text())
            time.sleep(0.2)
        yield base, app_dir
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def chromium():
    with browser() as b:
        yield b


def _open(chromium, url: str, base: str, wait_s: float):
    """Open the app offline; return (polygons drawn in the map iframe, blocked URLs, dialogs)."""
    ctx = chromium.new_context(viewport={"width": 900, "height": 700})
    page = ctx.new_page()
    blocked: list[str] = []
    dialogs: list[str] = []

    def route(r):
        u = r.request.url
        if u.startswith((base, "data:", "about:", "blob:")):
            r.continue_()
        else:
            blocked.append(u)
            r.abort()

    page.route("**/*", route)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    page.get_by_text("ready").wait_for(timeout=20_000)
    n = 0
    deadline = time.time() + wait_s
    while time.time() < deadline and not n:
        for frame in page.frames:
            if "streamlit_folium" in frame.url:
                try:
                    n = frame.evaluate("() => document.querySelectorAll('path.leaflet-interactive').length")
                except Exception:  # frame still loading
                    n = 0
        page.wait_for_timeout(200)  # not time.sleep: Playwright must keep serving the routes
    return page, ctx, n, blocked, dialogs


@pytest.mark.parametrize("mode", ["static", "data"])
def test_st_folium_map_draws_offline(server, chromium, mode):
    base, app_dir = server
    page, ctx, n, blocked, dialogs = _open(chromium, f"{base}/?mode={mode}", base, wait_s=20)
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"st_folium_{mode}.png"))
        assert n == 3, f"{mode}: the map drew {n} polygons"
        assert blocked == [], f"{mode}: the page tried the network: {blocked[:3]}"
        assert dialogs == []
        if mode == "static":
            assert (app_dir / "static" / "leaflet-1.9.3" / "leaflet.js").is_file()
    finally:
        ctx.close()


def test_folium_defaults_draw_nothing_offline(server, chromium):
    """Why :func:`prepare_st_folium` exists: streamlit-folium stops at the first CDN script."""
    base, _ = server
    page, ctx, n, blocked, _ = _open(chromium, f"{base}/?mode=folium-defaults", base, wait_s=3)
    try:
        assert n == 0
        assert any("leaflet" in u for u in blocked)
    finally:
        ctx.close()
