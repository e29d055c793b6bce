"""Footprints: plan health and care partnership footprints in London.

Run with ``make run`` (or ``streamlit run app.py``).  Pages live in ``ui/``;
drawing in ``layers/``; every number comes from ``spatial/``.
"""

from __future__ import annotations

import streamlit as st

# The tab's icon is an emoji: Streamlit draws it in the page (a Material icon there is fetched from
# fonts.gstatic.com, and an image file imports numpy and PIL); the pages' icons are Material icons, drawn
# from the font Streamlit serves.
st.set_page_config(page_title="Footprints", page_icon="🗺️", layout="wide")

from ui.engine_preload import script_running  # noqa: E402  (set_page_config must run first)

#: The home page's title (it draws from its cached files and loads the engine only without them).
HOME_TITLE = "Data and boundaries"
SKETCH_TITLE = "Sketch"
#: Pages that load the engine themselves: the home page (only when its kept files are missing) and Sketch
#: (a new session's map first, from its kept record: ui/sketch_start.py).
LOADS_ITS_ENGINE = (HOME_TITLE, SKETCH_TITLE)


def pages(home_default: bool = True) -> list:
    """The app's pages (the home page is the default unless a share link is open)."""
    return [
        st.Page("ui/pages/home.py", title=HOME_TITLE, icon=":material/map:", default=home_default),
        st.Page("ui/pages/sketch.py", title=SKETCH_TITLE, icon=":material/draw:"),
        st.Page("ui/pages/check.py", title="Check", icon=":material/fact_check:"),
        st.Page("ui/pages/overlaps.py", title="Overlaps", icon=":material/join:"),
        st.Page("ui/pages/proposals.py", title="Proposals", icon=":material/explore:"),
        st.Page("ui/pages/scenarios.py", title="Scenarios", icon=":material/save:"),
        st.Page("ui/pages/export.py", title="Board export", icon=":material/print:"),
    ]


def main() -> None:
    """The sidebar, the engine (unless the home page draws from its cached files), then the page."""
    from ui.controls import region_picker
    from ui.state import engine_or_stop

    region_picker()  # sidebar: geography (2018 | 2024) and region (London, England, an NHS region, an ICB/STP)

    # WCAG 2.2 AA contrast (axe-core, tests/browser/test_accessibility.py): Streamlit draws captions and shortcut
    # hints at 60% opacity (3:1 on white); at full opacity in a mid grey they reach 7:1.
    st.html("<style>[data-testid='stCaptionContainer'] { opacity: 1 !important; color: #4a4d57 !important; }"
            " kbd { opacity: 1 !important; color: #3a3d45 !important; }</style>")

    # A share link (?scenario=<id>&version=<n>) opens the read-only board view, without the page menu;
    # its "Make a copy" switches to the Scenarios page with an editable copy.
    if "scenario" in st.query_params:
        shared = st.Page("ui/pages/shared.py", title="Shared scenario", icon=":material/link:", default=True)
        page = st.navigation([shared, *pages(False)], position="hidden")
    else:
        page = st.navigation(pages())
    if page.title != HOME_TITLE:
        from ui.components.clickmap import prepare_clickmap

        prepare_clickmap()  # Leaflet for the Sketch map, copied once from the installed package (offline)
    if page.title not in LOADS_ITS_ENGINE:
        # The home page and Sketch load the engine themselves, so a cold start's first page does not wait for
        # the data before its first element (ui/pages/home.py, ui/sketch_start.py).
        engine_or_stop()  # first load shows a progress bar; later reruns are instant
    page.run()


with script_running():  # make run's preload thread gives way meanwhile, unless the page asks for the engine
    main()
