"""Board export page: a titled, labelled map and the footprint table, ready for a board paper.

Choose a title, a subtitle, which boundary layers to draw over the footprints
and whether to label them; the preview is the very document that is
exported.  "Prepare board files" renders the board report (one A4-landscape
PDF of a page or two, and the same as a self-contained HTML page: the map with
its legend, scale and source beside it, the table of every footprint with each
rule's reason, the thresholds with citations and the assumptions; see
:mod:`ui.board_report`), the map alone as HTML and PNG (for slides), and the
footprint table as CSV and Excel.  Every file carries the title, the legend
(the key, for tables), the source line and the date, and the numbers are the
Check page's.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import streamlit as st

from boundaries.errors import FootprintsError
from spatial.thresholds import LEVEL_LABELS
from ui.controls import level_options
from ui.files import safe_scenario_name
from ui.maps import scenario_map, show_map
from ui.state import app_settings, checking_engine, get_state, show_error
from ui.tables import TABLE_KEY, report_or_error, report_table, source_line

EXPORT_KEY = "board_exports"
#: Boundary layers that can be drawn over the footprints: label -> (layer, style options, legend text).
BOUNDARIES = {
    "Borough boundaries": ("borough", dict(color="#222222", weight=1.2), "Borough boundary"),
    "CCG boundaries (2018)": ("ccg", dict(color="#117733", weight=1.6, dash_array="6 4", line_cap="butt"),
                              "CCG boundary (April 2018)"),
    "STP boundaries (2018)": ("stp", dict(color="#000000", weight=3.2), "STP boundary (April 2018)"),
}

state = get_state()
engine, flows_note = checking_engine()
scenario = state.scenario

st.title("Board export")
if not scenario.footprints:
    st.info("This scenario has no footprints yet. Load one on the **Scenarios** page or draw one on the "
            "**Sketch** page, then come back to export it.")
    st.stop()

report = report_or_error(engine, scenario)
if report is None:
    st.stop()

# --- settings --------------------------------------------------------------------------------
c1, c2 = st.columns(2)
title = c1.text_input("Title", value=scenario.name, key=f"export_title_{scenario.name}", max_chars=120)
subtitle = c2.text_input(
    "Subtitle", key=f"export_subtitle_{scenario.name}", max_chars=200,
    value=f"Candidate footprints checked against the Healthy London Partnership tests · population mid-{scenario.year}")
present = level_options(scenario)
c3, c4, c5 = st.columns([2, 2, 1])
levels = c3.multiselect("Footprint levels", present, default=present, format_func=lambda lv: LEVEL_LABELS[lv],
                        key="export_levels")
extra = c4.multiselect("Boundary layers on top", list(BOUNDARIES), default=[], key="export_layers")
labels = c5.toggle("Labels", value=True, key="export_labels", help="Write each footprint's name on the map.")
if not title.strip():
    st.warning("Give the map a title: a board map without one is hard to cite.")
    title = scenario.name

names = [r.name for r in report.footprints if r.level in levels]
if not names:
    st.info("Choose at least one footprint level.")
    st.stop()
src = source_line(scenario, care_flows=engine.flows is not None)
today = dt.date.today()


def build_extra():
    """The boundary layers chosen to draw over the footprints."""
    from layers.maps import polygon_layer
    from layers.style import PathStyle, swatch_svg

    groups = []
    for label in extra:
        layer, style, legend = BOUNDARIES[label]
        ps = PathStyle(fill_color=None, **style)
        g = polygon_layer(engine.geo.layer(layer), label, style=ps, highlight=False)
        g.legend_entries = [(swatch_svg(ps, kind="line"), legend)]
        groups.append(g)
    return groups


def build_map():
    """The board map (also the preview)."""
    return scenario_map(engine, scenario, report, names, title=title, subtitle=subtitle or None, labels=labels,
                        extra_layers=build_extra(), date=today)


st.subheader("Preview")
with st.spinner("Drawing the map…"):
    try:
        board_map = build_map()
        html = show_map(board_map, height=620)
    except FootprintsError as exc:
        show_error(exc)
        st.stop()

table = report_table(report, engine)
table = table[table["Footprint"].isin(names)].reset_index(drop=True)
from ui.profile_view import with_profile_columns  # noqa: E402 - who lives there (spatial.profile)

table = with_profile_columns(table, engine, scenario, report)
st.subheader("Footprint table")
st.dataframe(table, hide_index=True, width="stretch", key="export_table")
st.caption(TABLE_KEY)

# --- files ---------------------------------------------------------------------------------------
settings = (scenario, title, subtitle, tuple(levels), tuple(extra), labels, today)
stem = safe_scenario_name(title) if any(ch.isalnum() for ch in title) else "footprints"
done = st.session_state.get(EXPORT_KEY)
if done is not None and done["settings"] != settings:
    done = None  # the settings changed since: prepare again

if st.button("Prepare board files", type="primary", key="export_prepare",
             help="Renders the map with headless Chromium (a few seconds)."):
    from layers.export import browser, export_png, table_csv, table_xlsx
    from layers.report import export_report_pdf
    from ui.board_report import board_report, render_board_report, report_map_html

    table_source = f"{src}. {TABLE_KEY}"
    files: dict[str, tuple[str, str, bytes]] = {}
    bar = st.progress(0.0, text="Writing the HTML map…")
    try:
        files["html"] = (f"{stem}.html", "text/html", html.encode("utf-8"))
        bar.progress(0.15, text="Writing the table (CSV and Excel)…")
        files["csv"] = (f"{stem}.csv", "text/csv", table_csv(table, title=title, source_line=table_source,
                                                               date=today))
        files["xlsx"] = (f"{stem}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         table_xlsx(table, title=title, source_line=table_source, date=today))
        bar.progress(0.3, text="Starting headless Chromium…")
        chromium = app_settings().chromium  # FOOTPRINTS_CHROMIUM, read in boundaries.config
        with tempfile.TemporaryDirectory(prefix="footprints-export-") as tmp, browser(chromium) as b:
            bar.progress(0.45, text="Rendering the PNG…")
            png = export_png(html, Path(tmp) / "map.png", browser_=b).read_bytes()
            files["png"] = (f"{stem}.png", "image/png", png)
            bar.progress(0.6, text="Rendering the board report…")
            layers_on_top = build_extra()
            content = board_report(report, names, title=title, subtitle=subtitle, source_line=src, date=today,
                                   care_flows=engine.flows is not None,
                                   extra_legend=[e for g in layers_on_top for e in g.legend_entries])
            map_page = report_map_html(engine, scenario, report, names, title=title, subtitle=subtitle,
                                       labels=labels, extra_layers=layers_on_top, date=today)
            page = render_board_report(map_page, content, browser_=b)
            files["report_html"] = (f"{stem}-board-report.html", "text/html", page.encode("utf-8"))
            bar.progress(0.8, text="Printing the board report (PDF, A4 landscape)…")
            pdf = export_report_pdf(page, Path(tmp) / "report.pdf", browser_=b).read_bytes()
            files["pdf"] = (f"{stem}-board-report.pdf", "application/pdf", pdf)
        bar.progress(1.0, text="Done")
    except FootprintsError as exc:
        show_error(exc)
    except Exception as exc:  # noqa: BLE001 - e.g. Chromium missing: say so, never a traceback
        st.error(f"The PNG/PDF could not be rendered ({type(exc).__name__}: {str(exc).splitlines()[0][:300]}). "
                 "Fix: install Chromium (`make chromium`, Debian package 'chromium') or set FOOTPRINTS_CHROMIUM "
                 "to its path. The HTML map and the tables below still work.")
    finally:
        bar.empty()
    done = {"settings": settings, "files": files}
    st.session_state[EXPORT_KEY] = done

if done is not None and done["files"]:
    st.success("Board files ready: " + ", ".join(k.upper() for k in done["files"]) + ".")
    cols = st.columns(len(done["files"]))
    labels_for = {"html": "Map (HTML)", "png": "Map (PNG)", "pdf": "Board report (PDF, A4)",
                  "report_html": "Board report (HTML)", "csv": "Table (CSV)", "xlsx": "Table (Excel)"}
    for col, (kind, (fname, mime, data)) in zip(cols, done["files"].items()):
        col.download_button(labels_for[kind], data, file_name=fname, mime=mime, key=f"export_dl_{kind}")
else:
    st.caption("Press **Prepare board files** to make the board report (PDF and HTML: map, table of every "
               "footprint with each rule's reason, thresholds and assumptions), the map alone (HTML, PNG) and the "
               "table (CSV, Excel).")

from ui.profile_view import deprivation_export  # noqa: E402

deprivation_export(engine, scenario, report, names, title=title, stem=stem, today=today)
