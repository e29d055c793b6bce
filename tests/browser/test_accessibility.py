"""Accessibility audit: axe-core on every page of the app, WCAG 2.2 AA, in headless Chromium.

axe-core comes from npm (``tests/package.json``, installed by ``make test``
into ``tests/node_modules``).  It is injected by Playwright into the page and
into every frame (the click map, the folium maps), and run with the WCAG 2.0,
2.1 and 2.2 A/AA rules.  Serious and critical violations fail the test; the
report of every page is saved in ``test-artifacts/axe-<page>.json``.
"""

from __future__ import annotations

import json

import pytest

from tests.browser_helpers import (  # noqa: F401  (pytest fixtures)
    ARTIFACTS,
    ROOT,
    app_server,
    browser,
    open_app,
    page,
    screenshot,
    wait_idle,
)
from tests.browser.test_browser_pages import go, wait_map

pytestmark = pytest.mark.browser

AXE = ROOT / "tests" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PAGES = ["Sketch", "Check", "Overlaps", "Proposals", "Scenarios", "Board export"]


def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci --prefix tests` (or `make axe`; the npm registry is "
                    "needed once)", pytrace=False)
    return AXE.read_text(encoding="utf-8")


def audit(pg, source: str, audited: list[str] | None = None) -> list[dict]:
    """axe-core results of the page and each of its frames: serious and critical violations.

    ``audited`` receives the URL of every frame audited.
    """
    found = []
    for frame in pg.frames:
        try:
            if not frame.evaluate("typeof window.axe === 'object'"):
                frame.evaluate(source)
            result = frame.evaluate(
                "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
                TAGS)
            if audited is not None:
                audited.append(frame.url)
        except Exception as exc:  # noqa: BLE001 - a frame replaced while Streamlit reruns
            if "detached" in str(exc).lower() or "destroyed" in str(exc).lower():
                continue
            raise
        for v in result["violations"]:
            if v["impact"] in ("serious", "critical"):
                found.append({"frame": frame.url[:120], "id": v["id"], "impact": v["impact"], "help": v["help"],
                              "nodes": [n["target"] for n in v["nodes"][:5]],
                              "summary": [n.get("failureSummary", "")[:300] for n in v["nodes"][:2]]})
    return found


def test_every_page_has_no_serious_wcag_violations(page, app_server):
    source = axe_source()
    open_app(page, app_server)
    problems = {}
    for title in ["Data and boundaries", "Scenarios", *PAGES]:
        if title == "Scenarios" and "Scenarios" in problems or title in problems:
            continue
        if title != "Data and boundaries":
            go(page, title)
        if title == "Scenarios":  # a scenario, so every later page has something to show
            page.get_by_role("button", name="Open this partnership").first.click()
            wait_idle(page)
        if title != "Scenarios":
            try:
                wait_map(page, timeout_s=30)
            except AssertionError:
                pass  # pages without a map
        page.wait_for_timeout(500)
        frames: list[str] = []
        found = audit(page, source, frames)
        if title in ("Sketch", "Check", "Overlaps", "Board export", "Data and boundaries"):
            assert len(frames) >= 2, f"{title}: only {frames} audited (the map frames were not reached)"
        if title == "Sketch":
            assert any("clickmap" in u for u in frames), frames
        slug = title.lower().replace(" ", "-")
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"axe-{slug}.json").write_text(json.dumps(found, indent=2))
        screenshot(page, f"a11y_{slug}")
        if found:
            problems[title] = found
    assert not problems, json.dumps(problems, indent=1)[:6000]
