"""Home page: the loaded boundaries on a map, and the data status."""

from __future__ import annotations

import streamlit as st

from ui.state import get_engine

engine = get_engine()
geo = engine.geo
st.title("Footprints")
st.caption("Health and care partnership footprints in London: localities, boroughs, "
           "multi-borough systems and STPs.")
cols = st.columns(5)
for col, (label, n) in zip(cols, [("units (LSOA 2011)", len(geo.units)), ("MSOAs", len(geo.layer("msoa"))),
                                  ("boroughs", len(geo.layer("borough"))), ("CCGs (2018)", len(geo.layer("ccg"))),
                                  ("STPs (2018)", len(geo.layer("stp")))]):
    col.metric(label, f"{n:,}")
st.metric("Residents (mid-%d)" % geo.year, f"{int(geo.units.population.sum()):,}")
with st.expander("Data status", expanded=False):
    for note in geo.notes:
        st.write("•", note)
    st.caption("Source: Office for National Statistics, GLA, PHE/OHID, NHS Digital; Open Government Licence v3.0. "
               "Contains OS data © Crown copyright and database right 2011–2022.")
