"""The board report: one self-contained page (HTML) and its A4-landscape PDF.

Page 1 holds the map, with its legend, scale bar and source line laid out
*beside and below* the map image, never over it; page 2 holds a table of
every footprint shown (population, each rule's verdict with its reason in
words, care-flow containment with the top leakage, coterminosity), the
thresholds used with their citations, and the assumptions.

The map image is the board map rendered by headless Chromium
(:func:`layers.export.export_png` path) with Leaflet's own controls hidden;
its scale comes from the rendered map itself (metres per pixel at the
map's centre), so the scale bar drawn under the image is true to it.

Nothing here computes a rule: rows hold what :mod:`spatial.checks` reported.
All text goes through :func:`layers.text.escape_text`.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .export import _atomic_write, _rendered_page
from .text import escape_text

__all__ = ["ReportRow", "LegendItem", "BoardReport", "render_map_image", "scale_bar", "report_html",
           "export_report_pdf", "REPORT_IDS"]

#: Element ids the report page always has (the tests measure their boxes).
REPORT_IDS = ("report-title", "map-image", "legend", "scale-bar", "source", "footprints", "thresholds",
              "assumptions")

#: CSS hiding everything Leaflet (or folium) draws over the map: the report lays these out itself.
_BARE_MAP_CSS = (".leaflet-control-container, .fp-map-control, .leaflet-control { display: none !important; }")

#: Greedy label placement: footprint labels first, then STPs, then boundary-layer names; a label
#: that would touch one already kept (or leave the map) is hidden.  Returns the kept boxes.
_DECLUTTER_JS = """() => {
  const map = document.querySelector('.leaflet-container').getBoundingClientRect();
  const kept = [], pad = 2;
  for (const cls of ['fp-label', 'fp-label-stp', 'fp-label-area']) {
    for (const el of document.querySelectorAll('.leaflet-marker-pane .' + cls)) {
      const r = el.getBoundingClientRect();
      const box = [r.left - pad, r.top - pad, r.right + pad, r.bottom + pad];
      const inside = r.left >= map.left && r.right <= map.right && r.top >= map.top && r.bottom <= map.bottom;
      const hits = kept.some(k => box[0] < k[2] && k[0] < box[2] && box[1] < k[3] && k[1] < box[3]);
      if (!inside || hits) { el.style.visibility = 'hidden'; continue; }
      kept.push(box);
    }
  }
  return kept.map(k => [k[0] + pad, k[1] + pad, k[2] - pad, k[3] - pad]);
}"""

_METRES_PER_PX_JS = """() => {
  const el = document.querySelector('.leaflet-container');
  const m = Object.values(window).find(v => v && v._container === el && typeof v.getZoom === 'function');
  if (!m) return null;
  const s = m.getSize(), y = s.y / 2;
  const a = m.containerPointToLatLng([s.x / 2 - 50, y]), b = m.containerPointToLatLng([s.x / 2 + 50, y]);
  return m.distance(a, b) / 100;
}"""


@dataclass(frozen=True)
class LegendItem:
    """One legend row: a swatch (inline SVG, trusted: built by :mod:`layers.style`) and its text."""

    swatch_svg: str
    text: str


@dataclass(frozen=True)
class ReportRow:
    """One footprint in the report's table (text as the engine worded it).

    Attributes
    ----------
    name, level : str
    population : int
    verdict : str
        ``"meets every test"`` / ``"fails: <rules>"`` etc., in words.
    rules : sequence of (label, verdict word, reason)
        Every rule checked: label, ``pass``/``fail``/``n/a``, reason.
    containment : str
        Care-flow containment in words (``"53.6%"``), ``""`` when not measured.
    leakage : str
        The top leakage in words, ``""`` when none.
    coterminosity : str
        Coterminosity class in words.
    """

    name: str
    level: str
    population: int
    verdict: str
    rules: Sequence[tuple[str, str, str]]
    containment: str = ""
    leakage: str = ""
    coterminosity: str = ""


@dataclass(frozen=True)
class BoardReport:
    """Everything the board report shows."""

    title: str
    subtitle: str
    rows: Sequence[ReportRow]
    legend: Sequence[LegendItem]
    thresholds: Sequence[tuple[str, str, str]]  # (what, value in words, citation)
    assumptions: Sequence[str]
    source_line: str
    date: dt.date
    legend_title: str = "Key"
    threshold_note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def render_map_image(html: str, *, size: tuple[int, int] = (1400, 1000), timeout_ms: int = 20_000,
                     browser_: Any = None, label_boxes: list | None = None) -> tuple[bytes, float]:
    """Render a board map (self-contained HTML) to a PNG with nothing drawn over the areas.

    Leaflet's controls (title panel, legend, source line, scale, zoom) are
    hidden: the report lays them out around the image.  Labels that would
    collide are hidden (footprints first, then STPs, then area names).

    Parameters
    ----------
    label_boxes : list, optional
        Filled with the ``[left, top, right, bottom]`` pixel box of every label kept.

    Returns
    -------
    (bytes, float)
        The PNG and the map's metres per CSS pixel at its centre (for the scale bar).
    """
    with _rendered_page(html, size, timeout_ms, browser_) as page:
        page.add_style_tag(content=_BARE_MAP_CSS)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        boxes = page.evaluate(_DECLUTTER_JS)
        mpp = page.evaluate(_METRES_PER_PX_JS)
        png = page.screenshot(type="png", full_page=False)
    if not mpp or not math.isfinite(mpp) or mpp <= 0:
        raise RuntimeError("the rendered map has no Leaflet map to measure its scale from")
    if label_boxes is not None:
        label_boxes.extend(boxes)
    return png, float(mpp)


def scale_bar(metres_per_px: float, max_px: float) -> tuple[float, str]:
    """A round scale length no longer than ``max_px``: its length in pixels and its label.

    Notes
    -----
    The length is the largest of 1, 2 or 5 times a power of ten (metres) that
    fits: ``L = max{d * 10^k : d * 10^k / mpp <= max_px}``.
    """
    if metres_per_px <= 0 or max_px <= 0:
        raise ValueError("metres_per_px and max_px must be positive")
    limit = metres_per_px * max_px
    k = math.floor(math.log10(limit))
    best = max(d * 10 ** e for e in (k - 1, k) for d in (1, 2, 5) if d * 10 ** e <= limit)
    label = f"{best / 1000:g} km" if best >= 1000 else f"{best:g} m"
    return best / metres_per_px, label


_CSS = """
@page { size: A4 landscape; margin: 9mm; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body { font-family: "Source Sans Pro", "Source Sans 3", "DejaVu Sans", Arial, sans-serif; color: #1a1a1a;
       font-size: 10.5pt; line-height: 1.3; background: #fff; }
.page { width: 279mm; }
.page1 { height: 190mm; display: grid; grid-template-columns: 1fr 64mm; grid-template-rows: auto 1fr auto;
         column-gap: 5mm; row-gap: 3mm; }
.page2 { break-before: page; page-break-before: always; padding-top: 0; }
header { grid-column: 1 / 3; }
h1 { font-size: 17pt; margin: 0 0 1mm 0; }
h2 { font-size: 12pt; margin: 3mm 0 1.5mm 0; }
.subtitle { color: #333; margin: 0; }
figure { margin: 0; display: flex; flex-direction: column; min-height: 0; }
#map-image { display: block; width: 100%; height: 100%; object-fit: contain; object-position: left top;
             min-height: 0; border: 1px solid #888; }
#scale-bar { margin-top: 2mm; display: flex; align-items: center; gap: 2mm; font-size: 9pt; }
#scale-bar .bar { height: 6px; border: 1.5px solid #1a1a1a; border-top: none; }
aside#legend { border: 1px solid #888; padding: 2.5mm 3mm; align-self: start; font-size: 9.5pt; }
aside#legend h2 { margin-top: 0; font-size: 10.5pt; }
.key { display: flex; align-items: flex-start; gap: 2mm; margin: 0 0 1.6mm 0; }
.key svg { flex: none; margin-top: 1px; }
footer#source { grid-column: 1 / 3; font-size: 8.5pt; color: #333; border-top: 1px solid #aaa; padding-top: 1.5mm; }
table { border-collapse: collapse; width: 100%; font-size: 7.5pt; line-height: 1.18; }
th, td { border: 1px solid #999; padding: 0.8mm 1.4mm; vertical-align: top; text-align: left; }
.page2 h2 { font-size: 10.5pt; margin: 1.5mm 0 0.8mm 0; }
.page2 ul, .page2 p { font-size: 8pt; margin: 0.5mm 0; }
th { background: #eeeeee; }
td.num { text-align: right; white-space: nowrap; }
td.rules div { margin: 0 0 0.4mm 0; }
.v-pass { font-weight: 600; } .v-fail { font-weight: 700; text-decoration: underline; } .v-na { color: #444; }
ul { margin: 0; padding-left: 5mm; }
.small { font-size: 8.6pt; color: #333; }
#footprints th:nth-child(4) { width: 58%; } #footprints th:nth-child(5) { width: 12%; }
#footprints th:nth-child(6) { width: 11%; }
#thresholds th:nth-child(1) { width: 24%; } #thresholds th:nth-child(2) { width: 27%; }
.refs { display: grid; grid-template-columns: 2.3fr 1fr; column-gap: 5mm; }
"""

_MARK = {"pass": ("\u2714", "v-pass"), "fail": ("\u2718", "v-fail"), "n/a": ("\u2013", "v-na")}


def _rule_line(label: str, word: str, reason: str) -> str:
    mark, cls = _MARK.get(word, ("", "v-na"))
    return (f'<div><span class="{cls}">{mark} {escape_text(word)}</span> <b>{escape_text(label)}</b>: '
            f"{escape_text(reason)}</div>")


def report_html(report: BoardReport, map_png: bytes, metres_per_px: float, *,
                image_px: tuple[int, int] = (1400, 1000)) -> str:
    """The board report as one self-contained HTML page (no script, no request).

    Parameters
    ----------
    report : BoardReport
    map_png : bytes
        From :func:`render_map_image`.
    metres_per_px : float
        Metres per pixel of the rendered image (also from :func:`render_map_image`).
    image_px : (int, int)
        Size the image was rendered at (CSS pixels).

    Returns
    -------
    str
    """
    when = report.date.strftime("%-d %B %Y")
    img = base64.b64encode(map_png).decode("ascii")
    # the image is drawn at most ~205 mm wide (776 px at 96/in) by 150 mm high; the scale bar
    # is measured in the image's own pixels and scaled by the same factor as the image
    shown_w = min(776.0, 567.0 * image_px[0] / image_px[1])
    factor = shown_w / image_px[0]
    bar_px, bar_label = scale_bar(metres_per_px, 180 / factor)
    legend = "".join(f'<div class="key">{item.swatch_svg}<span>{escape_text(item.text)}</span></div>'
                     for item in report.legend)
    rows = "".join(
        f"<tr><td><b>{escape_text(r.name)}</b><br><span class='small'>{escape_text(r.level)}</span></td>"
        f"<td class='num'>{r.population:,}</td><td>{escape_text(r.verdict)}</td>"
        f"<td class='rules'>{''.join(_rule_line(*x) for x in r.rules)}</td>"
        f"<td>{escape_text(r.containment or 'not measured')}"
        f"{('<br><span class=small>top leakage: ' + escape_text(r.leakage) + '</span>') if r.leakage else ''}</td>"
        f"<td>{escape_text(r.coterminosity)}</td></tr>"
        for r in report.rows)
    thresholds = "".join(f"<tr><td>{escape_text(a)}</td><td>{escape_text(b)}</td><td>{escape_text(c)}</td></tr>"
                         for a, b, c in report.thresholds)
    assumptions = "".join(f"<li>{escape_text(a)}</li>" for a in report.assumptions)
    source = f"Source: {escape_text(report.source_line)}. Produced {escape_text(when)}."
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape_text(report.title)}</title>
<style>{_CSS}</style></head>
<body>
<main>
<section class="page page1" aria-label="Map">
  <header><h1 id="report-title">{escape_text(report.title)}</h1>
    <p class="subtitle">{escape_text(report.subtitle)}</p></header>
  <figure aria-label="Map of the footprints">
    <img id="map-image" alt="Map of the footprints: {escape_text(', '.join(r.name for r in report.rows))}"
         src="data:image/png;base64,{img}" style="max-width:{shown_w:.0f}px">
    <div id="scale-bar" aria-label="Scale bar: {escape_text(bar_label)}">
      <div class="bar" style="width:{bar_px * factor:.1f}px"></div><span>{escape_text(bar_label)}</span></div>
  </figure>
  <aside id="legend" aria-label="Legend"><h2>{escape_text(report.legend_title)}</h2>{legend}</aside>
  <footer id="source">{source}</footer>
</section>
<section class="page page2" aria-label="Figures">
  <h2>Footprints</h2>
  <table id="footprints"><thead><tr><th scope="col">Footprint</th><th scope="col">Population</th>
    <th scope="col">Verdict</th><th scope="col">Each rule: verdict and reason</th>
    <th scope="col">Care-flow containment</th><th scope="col">Coterminosity</th></tr></thead>
    <tbody>{rows}</tbody></table>
  <div class="refs">
  <div><h2>Thresholds used</h2>
  <table id="thresholds"><thead><tr><th scope="col">Test</th><th scope="col">Threshold</th>
    <th scope="col">Where it comes from</th></tr></thead><tbody>{thresholds}</tbody></table></div>
  <div><h2>Assumptions</h2>
  <ul id="assumptions">{assumptions}</ul>
  <p class="small">{escape_text(report.threshold_note)}</p>
  <p class="small" id="page2-source">Produced {escape_text(when)}; sources as on page 1.</p></div>
  </div>
</section>
</main>
</body></html>"""


def export_report_pdf(html: str, path: Path | str, *, timeout_ms: int = 20_000, browser_: Any = None) -> Path:
    """Print the report page to an A4-landscape PDF (its own ``@page`` rules), atomically."""
    import contextlib
    import tempfile

    from .export import block_network, browser

    with tempfile.TemporaryDirectory(prefix="footprints-report-") as tmp, contextlib.ExitStack() as stack:
        page_path = Path(tmp) / "report.html"
        page_path.write_text(html, encoding="utf-8")
        b = browser_ if browser_ is not None else stack.enter_context(browser())
        context = b.new_context(viewport={"width": 1123, "height": 794}, device_scale_factor=1)
        stack.callback(context.close)
        page = context.new_page()
        page.route("**/*", block_network)
        page.goto(page_path.as_uri(), wait_until="load", timeout=timeout_ms)
        data = page.pdf(prefer_css_page_size=True, print_background=True)
    return _atomic_write(path, data)
