"""Footprints: plan health and care partnership footprints in London.

Run with ``make run`` (or ``streamlit run app.py``).  Pages live in ``ui/``;
drawing in ``layers/``; every number comes from ``spatial/``.
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Footprints", page_icon="🗺️", layout="wide")

from ui.state import get_engine  # noqa: E402  (set_page_config must run first)
from ui.controls import region_picker  # noqa: E402

region_picker()  # sidebar: geography (2018 | 2024) and region (London, England, an NHS region, an ICB/STP)
try:
    get_engine()  # first load shows a progress bar; later reruns are instant
except Exception as exc:  # noqa: BLE001 - a data-load error is a message, never a traceback
    from boundaries.errors import FootprintsError

    detail = str(exc) if isinstance(exc, FootprintsError) else (
        f"{type(exc).__name__}: {exc}. Fix: run `python -m boundaries status` to see which file is at fault")
    st.error(f"The boundary and population data could not be loaded, so no page can open. {detail}")
    st.stop()

from ui.components.clickmap import prepare_clickmap  # noqa: E402

prepare_clickmap()  # Leaflet for the Sketch map, copied once from the installed package (offline)



def pages(home_default: bool = True) -> list:
    """The app's pages (the home page is the default unless a share link is open)."""
    return [
        st.Page("ui/pages/home.py", title="Data and boundaries", icon="🗺️", default=home_default),
        st.Page("ui/pages/sketch.py", title="Sketch", icon=":material/draw:"),
        st.Page("ui/pages/check.py", title="Check", icon="✅"),
        st.Page("ui/pages/overlaps.py", title="Overlaps", icon="🔀"),
        st.Page("ui/pages/proposals.py", title="Proposals", icon="🧭"),
        st.Page("ui/pages/scenarios.py", title="Scenarios", icon="💾"),
        st.Page("ui/pages/export.py", title="Board export", icon="🖨️"),
    ]


# WCAG 2.2 AA contrast (axe-core, tests/browser/test_accessibility.py): Streamlit draws captions and shortcut hints
# at 60% opacity (3:1 on white); at full opacity in a mid grey they reach 7:1.
st.html("<style>[data-testid='stCaptionContainer'] { opacity: 1 !important; color: #4a4d57 !important; }"
        " kbd { opacity: 1 !important; color: #3a3d45 !important; }</style>")

# A share link (?scenario=<id>&version=<n>) opens the read-only board view, without the page menu;
# its "Make a copy" switches to the Scenarios page with an editable copy.
if "scenario" in st.query_params:
    st.navigation([st.Page("ui/pages/shared.py", title="Shared scenario", icon="🔗", default=True), *pages(False)],
                  position="hidden").run()
else:
    st.navigation(pages()).run()
