"""The board report: its content from the engine's report, and the rendered page and PDF.

The browser test renders the report for Kingston, Richmond and Merton (the
README's footprint) with headless Chromium and checks the table's text
against figures computed here with pandas, that nothing on page 1 overlaps
(legend, scale bar, source line, map image, map labels), and that the PDF is
one or two A4-landscape pages.  The rendered pages are saved in
``test-artifacts/`` to look at.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from layers.report import REPORT_IDS, BoardReport, LegendItem, ReportRow, report_html, scale_bar
from tests.browser_helpers import ARTIFACTS, browser  # noqa: F401  (pytest fixture)

KINGSTON, RICHMOND, MERTON = "E09000021", "E09000027", "E09000024"
# a 1x1 white PNG
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8ffff3f"
                    "0005fe02fea7d6a4830000000049454e44ae426082")


def test_scale_bar_is_round_and_fits():
    px, label = scale_bar(25.0, 180)  # 180 px = 4.5 km: the bar is 2 km
    assert label == "2 km" and px == pytest.approx(80)
    px, label = scale_bar(0.9, 180)  # 162 m fits: 100 m
    assert label == "100 m" and px == pytest.approx(100 / 0.9)
    px, label = scale_bar(50.0, 200)  # exactly 10 km
    assert label == "10 km" and px == pytest.approx(200)
    with pytest.raises(ValueError):
        scale_bar(0, 100)


def test_report_html_escapes_user_text():
    nasty = '<script>alert("x")</script> & Co'
    rep = BoardReport(title=nasty, subtitle=nasty, rows=[ReportRow(nasty, "locality", 1234, "fails: Population",
                                                                   [("Population", "fail", nasty)])],
                      legend=[LegendItem("<svg></svg>", nasty)], thresholds=[("a", "b", nasty)],
                      assumptions=[nasty], source_line=nasty, date=dt.date(2026, 1, 2))
    html = report_html(rep, PNG, 10.0, image_px=(100, 80))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "1,234" in html and "2 January 2026" in html
    assert all(f'id="{i}"' in html for i in REPORT_IDS)


def krm_scenario():
    from spatial.preloaded import load_preloaded

    s = load_preloaded("kingston-richmond")
    fp = s.get("Kingston and Richmond")
    assert set(fp.members) == {KINGSTON, RICHMOND}
    return s.put(fp.with_members((KINGSTON, RICHMOND, MERTON)))


def test_report_content_follows_the_engine(geo):
    from tests.ui.test_app_sketch import krm_containment
    from ui.board_report import board_report, top_leakage
    from ui.state import checking_engine
    from ui.tables import source_line

    eng, _ = checking_engine()
    s = krm_scenario()
    report = eng.check(s)
    names = [r.name for r in report.footprints]
    content = board_report(report, names, title="t", subtitle="", source_line=source_line(s, care_flows=True),
                           date=dt.date.today(), care_flows=True)
    rows = {r.name: r for r in content.rows}
    krm = rows["Kingston and Richmond"]
    assert krm.population == int(geo.units.loc[geo.units["borough"].isin([KINGSTON, RICHMOND, MERTON]),
                                               "population"].sum())
    assert krm.containment == f"{100 * krm_containment(geo):.1f}%" == "38.6%"
    flow = next(c for r in report.footprints if r.name == "Kingston and Richmond" for c in r.checks
                if c.rule == "care_flow")
    assert krm.leakage and krm.leakage == top_leakage(flow.reason) and krm.leakage in flow.reason
    assert "fails: Care flow" == krm.verdict
    assert "Fails a test (1): Care flow (Kingston and Richmond)" in [i.text for i in content.legend]
    assert "OHID" in content.source_line and "NHS Digital" in content.source_line
    assert any("headquarters" in a for a in content.assumptions)
    assert any("small flows" in a for a in content.assumptions)
    assert any("mid-2017" in a for a in content.assumptions)
    assert [t[1] for t in content.thresholds if t[0] == "Care-flow containment"] == [
        "at least 70% of residents' hospital care from core providers"]


def _intersects(a, b) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and \
        a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


@pytest.mark.browser
def test_rendered_report_has_the_table_and_nothing_overlaps(browser, geo, tmp_path):  # noqa: F811
    import pypdf
    import pypdfium2 as pdfium

    from layers.export import block_network
    from layers.report import export_report_pdf
    from tests.ui.test_app_sketch import krm_containment
    from ui.board_report import board_report, render_board_report, report_map_html
    from ui.state import checking_engine
    from ui.tables import source_line

    eng, _ = checking_engine()
    s = krm_scenario()
    report = eng.check(s)
    names = [r.name for r in report.footprints]
    today = dt.date.today()
    content = board_report(report, names, title="Kingston, Richmond and Merton", subtitle="Board paper",
                           source_line=source_line(s, care_flows=eng.flows is not None), date=today,
                           care_flows=eng.flows is not None)
    boxes: list = []
    page_html = render_board_report(report_map_html(eng, s, report, names, title="K", date=today), content,
                                    browser_=browser, label_boxes=boxes)
    # map labels: several kept (footprints, the STP, borough names), none touching another
    assert len(boxes) >= 5
    for a, b in itertools.combinations(boxes, 2):
        assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), f"labels collide: {a} {b}"

    path = tmp_path / "report.html"
    path.write_text(page_html, encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "board_report.html").write_text(page_html, encoding="utf-8")
    context = browser.new_context(viewport={"width": 1123, "height": 794})
    try:
        pg = context.new_page()
        pg.route("**/*", block_network)
        pg.goto(path.as_uri())
        pg.emulate_media(media="print")
        box = {i: pg.locator(f"#{i}").bounding_box() for i in ("map-image", "legend", "scale-bar", "source")}
        for a, b in itertools.combinations(box, 2):
            assert not _intersects(box[a], box[b]), f"{a} and {b} overlap: {box[a]} {box[b]}"
        pg.screenshot(path=str(ARTIFACTS / "board_report_html.png"), full_page=True)
        table = pg.inner_text("#footprints")
    finally:
        context.close()
    krm_pop = int(geo.units.loc[geo.units["borough"].isin([KINGSTON, RICHMOND, MERTON]), "population"].sum())
    assert "Kingston and Richmond" in table and f"{krm_pop:,}" in table
    assert f"{100 * krm_containment(geo):.1f}%" in table and "top leakage" in table
    assert "Population rule" in table and "Care flow" in table and "coterminous" in table
    swl = int(geo.units.loc[geo.units["stp"] == geo.units.loc[geo.units["borough"] == MERTON, "stp"].iloc[0],
                            "population"].sum())
    assert "South West London" in table and f"{swl:,}" in table

    pdf_path = export_report_pdf(page_html, tmp_path / "report.pdf", browser_=browser)
    reader = pypdf.PdfReader(str(pdf_path))
    assert 1 <= len(reader.pages) <= 2, f"{len(reader.pages)} pages"
    for p in reader.pages:  # A4 landscape: 297 x 210 mm = 841.9 x 595.3 pt
        assert float(p.mediabox.width) == pytest.approx(841.9, abs=1.5)
        assert float(p.mediabox.height) == pytest.approx(595.3, abs=1.5)
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Kingston and Richmond" in text and f"{krm_pop:,}" in text and "Thresholds used" in text
    assert "OHID" in text and "Assumptions" in text
    doc = pdfium.PdfDocument(str(pdf_path))
    for i in range(len(doc)):
        doc[i].render(scale=1.4).to_pil().save(ARTIFACTS / f"board_report_page{i + 1}.png")
