"""Reliability: hostile and unusual text through every export, opened in headless Chromium.

Footprints of the real London data are named with script (``<img src=x
onerror=alert(1)>``, ``</script><script>alert(1)</script>``, ``<svg
onload=...>``), template syntax, right-to-left text and an override mark,
emoji, a long name, entity text (``&amp;``, which must not be decoded), formula
starters (``=HYPERLINK(...)``, ``@SUM``) and control characters.  Each export
the Board export page makes -- the HTML map, the PDF, the CSV and the Excel
table -- and the care-flow map are built the way the app builds them and
checked:

* HTML maps open in Chromium with the network blocked: no dialog fires, no
  injected element exists, and every name shows literally (labels, title);
* the PDF carries the names as drawn text;
* CSV and Excel hold each name as text (formula starters quoted, so a
  spreadsheet never runs them), and characters a worksheet cannot hold are
  shown as U+FFFD instead of failing the export.

The module uses the module-scoped ``browser`` of :mod:`tests.browser_helpers`
(one sync Playwright per module); no server is needed.
"""

from __future__ import annotations

import csv
import io
import warnings

import openpyxl
import pytest

from layers.assets import self_contained_html
from layers.export import block_network, export_pdf, table_csv, table_xlsx
from spatial.text import clean_name
from spatial.footprints import Footprint, Scenario
from spatial.scenario_io import load_scenario, save_scenario
from tests.browser_helpers import ARTIFACTS, browser  # noqa: F401  (pytest fixture)
from tests.test_app_pages import pdf_text

XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = "</script><script>alert(1)</script>"
XSS_SVG = '<svg onload="alert(2)"><b onmouseover=alert(3)>bold</b>'
#: Names shown on the map; whitespace is kept single so the browser's text equals them.
MAP_NAMES = [
    XSS_IMG,
    XSS_SCRIPT,
    XSS_SVG,
    "${alert(4)} `tick` {{7*7}} <%= 7*7 %>",
    "شراكة شمال غرب لندن",
    "\u202eevil\u202c RTL override",
    "🏥 Kingston & Richmond 🚑👩🏽‍⚕️",
    "Tom &amp; Jerry &lt;b&gt; not decoded",
    "'; DROP TABLE footprints; --",
    "L" * 2_000,
]
#: Names that only the tables carry (formula starters, control characters, a very long name).
TABLE_NAMES = [
    '=HYPERLINK("http://example.invalid","click")',
    "@SUM(A1:A9)",
    "+1 plus",
    "-1 minus",
    "tab\tnew\nline \u0000 nul \u0007 bell",
    "N" * 40_000,
]
BOROUGHS = [f"E09{n:06d}" for n in range(1, 34)]
_DRAWN = """() => !!(window.L && document.querySelectorAll('.leaflet-overlay-pane path').length > 0
  && document.querySelectorAll('.fp-label').length > 0)"""


@pytest.fixture(scope="module")
def hostile(engine) -> tuple[Scenario, object]:
    """A scenario of one footprint per borough, each with a hostile name, and its report."""
    names = MAP_NAMES + TABLE_NAMES
    fps = tuple(Footprint(n, "borough", (BOROUGHS[i],), notes=n) for i, n in enumerate(names))
    scenario = Scenario(XSS_SCRIPT, fps, description=XSS_IMG, source=MAP_NAMES[4])
    return scenario, engine.check(scenario)


@pytest.fixture(scope="module")
def board_html(engine, hostile) -> str:
    """The Board export page's map (``ui.widgets.scenario_map``) of the map-named footprints."""
    from ui.widgets import scenario_map

    scenario, report = hostile
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # st.cache_data outside a Streamlit run warns
        m = scenario_map(engine, scenario, report, MAP_NAMES, title=XSS_IMG, subtitle=XSS_SCRIPT, labels=True)
    return self_contained_html(m)


def _open(browser, html: str, name: str, drawn: str = _DRAWN):  # noqa: F811 - fixture value
    """Open ``html`` from a file with only file:/data: allowed; return (context, page, dialogs, requests)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"reliability_{name}.html"
    path.write_text(html, encoding="utf-8")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    dialogs: list[str] = []
    requests: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    def route(r):
        if not r.request.url.startswith(("file:", "data:", "about:", "blob:")):
            requests.append(r.request.url)
        block_network(r)

    page.route("**/*", route)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function(drawn, timeout=30_000)
    page.wait_for_timeout(500)  # time for any injected handler (onerror/onload) to fire
    return context, page, dialogs, requests


_INJECTED = """() => document.querySelectorAll(
  'img[src="x"], svg[onload], b[onmouseover], [onerror], [onload]:not(body)').length"""


def test_board_map_shows_hostile_names_literally(browser, board_html):  # noqa: F811
    assert XSS_IMG not in board_html and "<script>alert(1)" not in board_html and "<svg onload" not in board_html
    context, page, dialogs, requests = _open(browser, board_html, "board_map")
    try:
        labels = page.locator(".fp-label").all_text_contents()
        for name in MAP_NAMES:
            assert name in labels, f"{name[:40]!r} is not shown literally; labels: {[t[:40] for t in labels]}"
        assert page.locator(".fp-title-main").inner_text() == XSS_IMG
        assert XSS_SCRIPT in page.inner_text("body")  # subtitle (and the source line's scenario name)
        assert page.evaluate(_INJECTED) == 0
        # a tooltip of a footprint shows its name as text
        page.locator(".leaflet-overlay-pane path").first.hover(force=True)
        page.wait_for_timeout(300)
        tips = page.locator(".leaflet-tooltip").all_inner_texts()
        assert tips and any(n in tips[0] for n in MAP_NAMES[:9] + ["L" * 200]), tips
        page.screenshot(path=str(ARTIFACTS / "reliability_board_map.png"))
        assert dialogs == [], f"script from a name ran: {dialogs}"
        assert requests == [], f"the export asked the network for {requests[:3]}"
    finally:
        context.close()


def test_board_pdf_carries_the_names_as_text(browser, board_html, tmp_path):  # noqa: F811
    pdf = export_pdf(board_html, tmp_path / "board.pdf", browser_=browser).read_bytes()
    assert pdf[:5] == b"%PDF-"
    text = pdf_text(pdf)
    for name in (XSS_IMG, XSS_SCRIPT, "'; DROP TABLE footprints; --"):
        assert "".join(name.split()) in text, f"{name!r} not drawn in the PDF"


def test_care_flow_map_of_a_hostile_footprint(browser, geo, index):  # noqa: F811
    from layers.flowmaps import flow_map
    from spatial.careflows import CareFlows
    from spatial.geometry import footprint_geometry

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flows = CareFlows.load(geo, year=2018)
    fp = Footprint(XSS_SCRIPT + " " + XSS_IMG, "multi_borough", ("E09000021", "E09000027"))
    shape = footprint_geometry(index, index.expand(fp.members))
    html = self_contained_html(flow_map(flows.measure(fp, index), shape, flows.trust_table(index)))
    assert XSS_IMG not in html and "<script>alert(1)" not in html
    context, page, dialogs, requests = _open(
        browser, html, "flow_map", "() => !!(window.L && document.querySelectorAll('path').length > 0)")
    try:
        assert page.locator(".fp-title-main").inner_text() == f"Where {fp.name} residents go"
        assert page.evaluate(_INJECTED) == 0
        assert dialogs == [] and requests == []
    finally:
        context.close()


def _table(engine, hostile):
    from ui.widgets import report_table

    scenario, report = hostile
    return report_table(report, engine)


def _expected_cell(name: str) -> str:
    return "'" + name if name.startswith(("=", "+", "-", "@", "\t", "\r")) else name


def test_csv_keeps_names_as_inert_text(engine, hostile):
    table = _table(engine, hostile)
    data = table_csv(table, title=XSS_IMG, source_line=XSS_SCRIPT)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == [XSS_IMG] and rows[1][0].startswith(XSS_SCRIPT)
    header = rows[3]
    col = header.index("Footprint")
    got = [r[col] for r in rows[4:]]
    # names are stored cleaned (spatial.text.clean_name: control characters become spaces; issue 12)
    assert got == [_expected_cell(clean_name(n)) for n in MAP_NAMES + TABLE_NAMES]
    # independently: the population column equals a pandas sum per borough
    pops = engine.geo.units.groupby("borough")["population"].sum()
    pcol = header.index("Population")
    assert [int(r[pcol]) for r in rows[4:]] == [int(pops[b]) for b in BOROUGHS[: len(got)]]


def test_excel_keeps_names_as_text_and_never_fails_on_control_characters(engine, hostile):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    table = _table(engine, hostile)
    data = table_xlsx(table, title=XSS_IMG, source_line=XSS_SCRIPT)
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws["A1"].value == XSS_IMG
    header = [c.value for c in ws[4]]
    col = header.index("Footprint") + 1
    cells = [ws.cell(row=r, column=col) for r in range(5, 5 + len(MAP_NAMES + TABLE_NAMES))]
    assert all(c.data_type == "s" for c in cells), "a name became a formula or a number"
    for cell, name in zip(cells, [clean_name(n) for n in MAP_NAMES + TABLE_NAMES]):
        shown = ILLEGAL_CHARACTERS_RE.sub("\ufffd", name)
        if len(shown) > 32_767:
            assert cell.value == shown[:32_766] + "\u2026"
        else:
            assert cell.value == shown
    # names hold no control characters any more (cleaned at load); other text still may: shown as U+FFFD
    import pandas as pd

    raw = table_xlsx(pd.DataFrame({"Note": ["tab\tnew\nline \u0000 nul \u0007 bell"]}), title="t", source_line="s")
    assert "\ufffd nul \ufffd bell" in openpyxl.load_workbook(io.BytesIO(raw)).active["A5"].value


def test_hostile_names_survive_save_and_load(hostile, tmp_path, index):
    scenario, _ = hostile
    back = load_scenario(save_scenario(scenario, tmp_path / "hostile.json"))
    assert back == scenario
    assert [fp.name for fp in back.footprints] == [clean_name(n) for n in MAP_NAMES + TABLE_NAMES]
