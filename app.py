"""Footprints: plan health and care partnership footprints in London.

Run with ``make run`` (or ``streamlit run app.py``).  Pages live in ``ui/``;
drawing in ``layers/``; every number comes from ``spatial/``.
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Footprints", page_icon="🗺️", layout="wide")

from ui.state import get_engine  # noqa: E402  (set_page_config must run first)

get_engine()  # first load shows a progress bar; later reruns are instant

from layers.clickmap import prepare_clickmap  # noqa: E402

prepare_clickmap()  # Leaflet for the Sketch map, copied once from the installed package (offline)

PAGES = [
    st.Page("ui/home.py", title="Data and boundaries", icon="🗺️", default=True),
    st.Page("ui/sketch.py", title="Sketch", icon=":material/draw:"),
    st.Page("ui/check.py", title="Check", icon="✅"),
    st.Page("ui/overlaps.py", title="Overlaps", icon="🔀"),
    st.Page("ui/proposals.py", title="Proposals", icon="🧭"),
    st.Page("ui/scenarios.py", title="Scenarios", icon="💾"),
    st.Page("ui/export.py", title="Board export", icon="🖨️"),
]
# WCAG 2.2 AA contrast (axe-core, tests/test_accessibility.py): Streamlit draws captions and shortcut hints
# at 60% opacity (3:1 on white); at full opacity in a mid grey they reach 7:1.
st.html("<style>[data-testid='stCaptionContainer'] { opacity: 1 !important; color: #4a4d57 !important; }"
        " kbd { opacity: 1 !important; color: #3a3d45 !important; }</style>")
st.navigation(PAGES).run()
