import sys, time
from pathlib import Path
ROOT = Path("/work/main"); sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / "bench"))
from bench_app_start import *  # noqa
from bench_app_start import pick_units, timed_click, metric_value
from boundaries import load_geographies
geo = load_geographies()
units, centre = pick_units(geo, 3)
from playwright.sync_api import sync_playwright
url = sys.argv[1]
with sync_playwright() as pw:
    browser = launch_browser(pw)
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    logs = []
    page.on("console", lambda m: logs.append(f"{m.type}: {m.text[:300]}"))
    page.on("pageerror", lambda e: logs.append(f"pageerror: {str(e)[:300]}"))
    port = free_port(); base = f"http://127.0.0.1:{port}"
    proc = start_server(port, log_path=ROOT / "bench/results/dbg2.log")
    try:
        wait_healthy(base, proc, timeout=120)
        page.goto(f"{base}/{url}", wait_until="domcontentloaded")
        frame = frame_by_url(page, "clickmap", timeout_s=120)
        frame.wait_for_function("window.__clickmap && window.__clickmap.ready", timeout=120_000)
        wait_idle(page)
        frame.evaluate(f"([lat, lon]) => {{ window.__clickmap.map.setView([lat, lon], 14, {{animate: false}}); }}", list(centre))
        page.wait_for_timeout(500)
        _, lat, lon = units[0]
        x, y = frame.evaluate("([lat, lon]) => { const p = window.__clickmap.map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }", [lat, lon])
        box = frame.locator(".leaflet-container").first.bounding_box()
        page.evaluate("() => { window.__msgs = []; window.addEventListener('message', e => { try { window.__msgs.push(JSON.stringify(e.data).slice(0, 300)); } catch (x) {} }); }")
        page.mouse.click(box["x"] + x, box["y"] + y)
        page.wait_for_timeout(4000)
        print("LOGS", [l for l in logs if "error" in l.lower()][:10])
        print("MSGS", page.evaluate("window.__msgs"))
        print(url, "METRIC", metric_value(page, ".st-key-sketch_tally"))
    finally:
        stop_server(proc); context.close(); browser.close()
