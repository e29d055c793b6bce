"""Benchmark: size of a self-contained HTML map of all 4,835 London LSOAs.

Run as ``python bench/bench_map_size.py`` from the repository root.

* **ours**: :func:`layers.maps.polygon_layer` -- coverage-preserving
  simplification (25 m), EPSG:4326 rounded to 5 decimals, shared arcs with
  quantised, delta-encoded coordinates, decoded in the browser;
* **naive**: ``folium.GeoJson`` of the source shapes reprojected to
  EPSG:4326.

Both maps carry the same properties (code, name) and the same tooltip, load
the same local Leaflet and are made self-contained the same way
(:func:`layers.assets.self_contained_html`).  Both are then opened in headless
Chromium with the network blocked to check that each draws 4,835 polygons.

Targets: ours <= 1.5 MB and at least 5x smaller than naive.  The script exits
with status 1 if a target or a check fails.  Results also go to
``bench/results/map_size.json`` (gitignored).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import folium  # noqa: E402

from boundaries.config import settings  # noqa: E402
from boundaries.readers import read_dataset  # noqa: E402
from boundaries.registry import REGISTRY  # noqa: E402
from layers.assets import new_map, self_contained_html  # noqa: E402
from layers.export import block_network, browser  # noqa: E402
from layers.maps import base_map, polygon_layer  # noqa: E402

EXPECTED = 4835
TARGET_BYTES = 1.5 * 1024 * 1024
TARGET_RATIO = 5.0

_COUNT = "document.querySelectorAll('path.leaflet-interactive').length"


def load_units():
    """The London LSOAs as ``code``, ``name``, ``geometry`` in EPSG:27700."""
    frame = read_dataset(REGISTRY["london_lsoa"], settings().data_dir).frame
    units = frame[["LSOA11CD", "LSOA11NM", "geometry"]].rename(
        columns={"LSOA11CD": "code", "LSOA11NM": "name"}
    )
    return units


def ours(units) -> tuple[str, float]:
    """Self-contained HTML our way, and the seconds it took."""
    t = time.perf_counter()
    m = base_map(units)
    polygon_layer(units, "Units", tooltip_cols={"name": "Name", "code": "Code"}).add_to(m)
    html = self_contained_html(m)
    return html, time.perf_counter() - t


def naive(units) -> tuple[str, float]:
    """Self-contained HTML the naive way, and the seconds it took."""
    t = time.perf_counter()
    lonlat = units.to_crs(4326)
    minx, miny, maxx, maxy = lonlat.total_bounds
    m = new_map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=10)
    folium.GeoJson(
        lonlat,
        name="Units",
        tooltip=folium.GeoJsonTooltip(fields=["name", "code"], aliases=["Name", "Code"]),
    ).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    html = self_contained_html(m)
    return html, time.perf_counter() - t


def drawn_features(pages: dict[str, str]) -> dict[str, tuple[int, float]]:
    """Open each HTML in Chromium (network blocked): polygons drawn, seconds."""
    import tempfile

    out = {}
    with browser() as b, tempfile.TemporaryDirectory() as tmp:
        for label, html in pages.items():
            path = Path(tmp) / f"{label}.html"
            path.write_text(html, encoding="utf-8")
            ctx = b.new_context(viewport={"width": 1200, "height": 900})
            page = ctx.new_page()
            page.route("**/*", block_network)
            t = time.perf_counter()
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_function(f"() => {_COUNT} >= {EXPECTED}", timeout=60_000)
            out[label] = (page.evaluate(f"() => {_COUNT}"), time.perf_counter() - t)
            ctx.close()
    return out


def main() -> int:
    t = time.perf_counter()
    units = load_units()
    print(f"loaded {len(units):,} units in {time.perf_counter() - t:.1f} s")
    if len(units) != EXPECTED:
        print(f"FAIL: expected {EXPECTED:,} units")
        return 1
    our_html, our_s = ours(units)
    naive_html, naive_s = naive(units)
    our_b, naive_b = len(our_html.encode()), len(naive_html.encode())
    ratio = naive_b / our_b
    drawn = drawn_features({"ours": our_html, "naive": naive_html})

    mb = 1024 * 1024
    print(f"{'':8}{'size':>10}{'build':>9}{'features drawn':>16}{'load+draw':>11}")
    for label, size, secs in (("ours", our_b, our_s), ("naive", naive_b, naive_s)):
        n, draw_s = drawn[label]
        print(f"{label:8}{size / mb:>8.2f}MB{secs:>8.2f}s{n:>16,}{draw_s:>10.2f}s")
    print(f"ratio naive/ours: {ratio:.1f}x")

    ok = True
    for label in ("ours", "naive"):
        if drawn[label][0] != EXPECTED:
            print(f"FAIL: {label} drew {drawn[label][0]:,} features, expected {EXPECTED:,}")
            ok = False
    if our_b > TARGET_BYTES:
        print(f"FAIL: ours is {our_b / mb:.2f} MB > {TARGET_BYTES / mb:.1f} MB")
        ok = False
    if ratio < TARGET_RATIO:
        print(f"FAIL: ratio {ratio:.1f}x < {TARGET_RATIO:.0f}x")
        ok = False
    print("targets met" if ok else "targets NOT met")

    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "map_size.json").write_text(json.dumps({
        "ours_bytes": our_b, "naive_bytes": naive_b, "ratio": round(ratio, 2),
        "ours_build_s": round(our_s, 2), "naive_build_s": round(naive_s, 2),
        "ours_drawn": drawn["ours"][0], "naive_drawn": drawn["naive"][0],
        "ours_draw_s": round(drawn["ours"][1], 2), "naive_draw_s": round(drawn["naive"][1], 2),
        "ok": ok,
    }, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
