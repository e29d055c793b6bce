"""Exports for board papers: self-contained HTML, PNG, PDF, CSV and Excel.

Maps are rendered by Playwright driving the system Chromium (the caller's
path, else :attr:`boundaries.config.Settings.chromium`: ``FOOTPRINTS_CHROMIUM``
or ``/usr/bin/chromium``): the page is opened from a local file with every
request to anything but ``file:``, ``data:`` and ``about:`` aborted, and
captured once Leaflet has drawn the shapes.

Tables carry a title line and a source-and-date line above the header.  Text
cells that a spreadsheet would read as a formula (starting ``=``, ``+``,
``-``, ``@``, tab or carriage return, also after leading blanks or in
full-width form) are written as plain text by :func:`spatial.text.csv_cell`;
Excel cells are typed as text, never formulas.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import tempfile
from pathlib import Path
from typing import Any, Iterator

import folium
import pandas as pd

from boundaries.files import atomic_write_bytes

from .assets import self_contained_html

__all__ = [
    "CHROMIUM_ARGS",
    "export_html",
    "export_png",
    "export_pdf",
    "table_csv",
    "table_xlsx",
    "browser",
    "block_network",
]

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
#: A4 landscape at 96 px per inch.
A4_LANDSCAPE_PX = (1123, 794)
_DRAWN_JS = """() => !!(window.L && document.querySelector('.leaflet-container') &&
  document.querySelectorAll('.leaflet-overlay-pane path, .leaflet-marker-pane .fp-label').length > 0)"""
_HIDE_CONTROLS_CSS = ".leaflet-control-zoom, .leaflet-control-layers { display: none !important; }"


def _atomic_write(path: Path | str, data: bytes) -> Path:
    return atomic_write_bytes(path, data, mode=0o644)
    return path


def _html(m: folium.Map | str) -> str:
    return m if isinstance(m, str) else self_contained_html(m)


def export_html(m: folium.Map | str, path: Path | str) -> Path:
    """Write a map as one self-contained HTML file, atomically.

    Parameters
    ----------
    m : folium.Map or str
        The map, or HTML from :func:`layers.assets.self_contained_html`.
    path : path-like

    Returns
    -------
    Path
    """
    return _atomic_write(path, _html(m).encode("utf-8"))


@contextlib.contextmanager
def browser(chromium: str | Path | None = None) -> Iterator[Any]:
    """A headless Chromium (Playwright ``Browser``) for rendering maps.

    Parameters
    ----------
    chromium : path-like, optional
        The Chromium executable (Playwright's own download is not used); default
        :attr:`boundaries.config.Settings.chromium` of :func:`boundaries.settings`.

    Yields
    ------
    playwright.sync_api.Browser
    """
    from playwright.sync_api import sync_playwright

    if chromium is None:
        from boundaries.config import settings

        chromium = settings().chromium
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def block_network(route: Any) -> None:
    """Playwright route handler: allow ``file:``/``data:``/``about:``/``blob:``, abort the rest."""
    if route.request.url.startswith(("file:", "data:", "about:", "blob:")):
        route.continue_()
    else:
        route.abort()


@contextlib.contextmanager
def _rendered_page(html: str, size: tuple[int, int], timeout_ms: int, browser_: Any = None) -> Iterator[Any]:
    with tempfile.TemporaryDirectory(prefix="footprints-render-") as tmp:
        page_path = Path(tmp) / "map.html"
        page_path.write_text(html, encoding="utf-8")
        with contextlib.ExitStack() as stack:
            b = browser_ if browser_ is not None else stack.enter_context(browser())
            context = b.new_context(viewport={"width": size[0], "height": size[1]},
                                    device_scale_factor=1)
            stack.callback(context.close)
            page = context.new_page()
            page.route("**/*", block_network)
            page.goto(page_path.as_uri(), wait_until="load")
            page.wait_for_function(_DRAWN_JS, timeout=timeout_ms)
            page.add_style_tag(content=_HIDE_CONTROLS_CSS)
            # let Leaflet finish any pending redraw
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            yield page


def export_png(html: folium.Map | str, path: Path | str, *, size: tuple[int, int] = (1600, 1100),
               timeout_ms: int = 20_000, browser_: Any = None) -> Path:
    """Render a map to PNG with headless Chromium.

    Parameters
    ----------
    html : str or folium.Map
        Self-contained HTML (a map is converted first).
    path : path-like
        Output file (written atomically).
    size : (width, height)
        Viewport in CSS pixels.
    timeout_ms : int
        How long to wait for Leaflet to draw.
    browser_ : playwright Browser, optional
        Reuse an open browser (see :func:`browser`).

    Returns
    -------
    Path
    """
    with _rendered_page(_html(html), size, timeout_ms, browser_) as page:
        data = page.screenshot(type="png", full_page=False)
    return _atomic_write(path, data)


def export_pdf(html: folium.Map | str, path: Path | str, *, size: tuple[int, int] = A4_LANDSCAPE_PX,
               timeout_ms: int = 20_000, browser_: Any = None) -> Path:
    """Render a map to a one-page PDF (A4 landscape by default).

    The page is laid out at exactly the paper size in CSS pixels, so the map
    prints as it was drawn.

    Parameters
    ----------
    html : str or folium.Map
    path : path-like
    size : (width, height)
        Page size in CSS pixels (96 per inch).
    timeout_ms : int
    browser_ : playwright Browser, optional

    Returns
    -------
    Path
    """
    with _rendered_page(_html(html), size, timeout_ms, browser_) as page:
        page.emulate_media(media="screen")
        data = page.pdf(width=f"{size[0]}px", height=f"{size[1]}px", print_background=True,
                        margin={"top": "0", "right": "0", "bottom": "0", "left": "0"},
                        page_ranges="1")
    return _atomic_write(path, data)


def _provenance(title: str, source_line: str, date: dt.date | None) -> tuple[str, str]:
    when = (date or dt.date.today()).isoformat()
    return title, f"{source_line} \u00b7 Produced {when}"


def _missing(value: Any) -> bool:
    return value is None or (
        pd.api.types.is_scalar(value) and not isinstance(value, str) and bool(pd.isna(value))
    )


def _cell(value: Any) -> Any:
    if _missing(value):
        return ""
    from spatial.text import csv_cell  # the one neutraliser of every CSV we write

    return csv_cell(value)


def table_csv(df: pd.DataFrame, *, title: str, source_line: str, date: dt.date | None = None) -> bytes:
    """A footprint table as CSV (UTF-8 with BOM, so Excel reads accents).

    The first line holds the title, the second the source and date, the
    third is empty, then the header and rows.  Geometry columns are left out.

    Parameters
    ----------
    df : pandas.DataFrame
    title, source_line : str
    date : datetime.date, optional
        Default today.

    Returns
    -------
    bytes
    """
    table = _plain(df)
    head, src = _provenance(title, source_line, date)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([_cell(head)])
    w.writerow([_cell(src)])
    w.writerow([])
    w.writerow([_cell(str(c)) for c in table.columns])
    for row in table.itertuples(index=False):
        w.writerow([_cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


#: Excel holds at most this many characters in a cell.
_EXCEL_MAX_CHARS = 32_767


def _excel_text(value: str) -> str:
    """Text as a worksheet can hold it.

    Control characters that the xlsx format refuses (NUL, U+0001-U+0008, ...;
    openpyxl raises ``IllegalCharacterError`` on them) are shown as U+FFFD and
    text longer than Excel's 32,767 characters per cell is cut with an
    ellipsis, so a footprint named with them still exports.
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if len(text) > _EXCEL_MAX_CHARS:
        text = text[: _EXCEL_MAX_CHARS - 1] + "\u2026"
    return text


def table_xlsx(df: pd.DataFrame, *, title: str, source_line: str, date: dt.date | None = None,
               sheet_name: str = "Footprints") -> bytes:
    """A footprint table as an Excel workbook (openpyxl).

    Row 1 holds the title (bold), row 2 the source and date, the header is on
    row 4 (bold, frozen) and the data below.  Text is stored as text, never
    as a formula.

    Parameters
    ----------
    df : pandas.DataFrame
    title, source_line : str
    date : datetime.date, optional
    sheet_name : str

    Returns
    -------
    bytes
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    table = _plain(df)
    head, src = _provenance(title, source_line, date)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name[:31]

    def put(r: int, c: int, value: Any, bold: bool = False) -> None:
        if _missing(value):
            return
        if hasattr(value, "item") and not isinstance(value, str):
            value = value.item()
        cell = ws.cell(row=r, column=c)
        if isinstance(value, str):
            cell.value = _excel_text(value)
            cell.data_type = "s"  # never a formula
        else:
            cell.value = value
        if bold:
            cell.font = Font(bold=True)

    put(1, 1, head, bold=True)
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    put(2, 1, src)
    for j, col in enumerate(table.columns, start=1):
        put(4, j, str(col), bold=True)
    for i, row in enumerate(table.itertuples(index=False), start=5):
        for j, v in enumerate(row, start=1):
            put(i, j, v)
    ws.freeze_panes = "A5"
    for j, col in enumerate(table.columns, start=1):
        width = max([len(str(col))] + [len(str(v)) for v in table[col].head(200)]) + 2
        ws.column_dimensions[get_column_letter(j)].width = min(60, max(8, width))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    geo = [c for c in df.columns if str(df[c].dtype) == "geometry"]
    return pd.DataFrame(df.drop(columns=geo))
