"""A shared link, ``?scenario=<id>&version=<n>``: the scenario read-only (the board view).

Nothing here edits: the page shows the stored version's footprints, checks
and map, and offers "Make a copy", which puts an editable copy (not linked to
the stored scenario) into this browser session.  Any id or version that is
malformed, unknown, binned or someone else's private scenario gets the same
"Scenario not found." and nothing more.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from spatial.io import dumps
from spatial.store import NotFoundError, StoreError
from ui.files import safe_scenario_name
from ui.state import checking_engine, load_into_session, show_error
from ui.store import get_store, share_url, signed_in_user
from ui.tables import md, report_or_error, report_table

engine, flows_note = checking_engine()
params = st.query_params
sid, version = params.get("scenario"), params.get("version")

st.title("Shared scenario")
try:
    store = get_store()
    info, v, scenario = store.open(sid, version, user=signed_in_user())
except NotFoundError:
    st.error("Scenario not found.")
    info = None
except StoreError as exc:
    show_error(exc)
    info = None
if info is None:
    if st.button("Go to Footprints", key="shared_home"):
        st.query_params.clear()
        st.switch_page("ui/pages/home.py")
    st.stop()

st.info(md(f"Read-only: version {v.number} of {info.name}, saved by {v.author or 'unknown'} on "
           f"{v.saved_at:%Y-%m-%d %H:%M} UTC") + (f" — “{md(v.message)}”" if v.message else "") +
        ". Use **Make a copy** to edit it.", icon="🔒")
if v.number < info.latest:
    st.warning(f"A newer version ({info.latest}) exists.")
    st.code(share_url(info.id, info.latest), language=None)
st.header(md(scenario.name), anchor=False)
if scenario.description:
    st.markdown(md(scenario.description))
c1, c2 = st.columns(2)
if c1.button("Make a copy", key="shared_copy", type="primary"):
    copy = dataclasses.replace(scenario, name=f"Copy of {scenario.name}"[:200])
    if load_into_session(copy, f"copy of shared '{info.name}' version {v.number}", engine=engine):
        st.query_params.clear()
        st.switch_page("ui/pages/scenarios.py")
c2.download_button("Scenario JSON", dumps(scenario).encode("utf-8"), key="shared_dl_json",
                   file_name=f"{safe_scenario_name(scenario.name) if scenario.name.strip() else 'scenario'}.json",
                   mime="application/json")
report = report_or_error(engine, scenario)
if report is not None:
    table = report_table(report, engine)
    st.dataframe(table[["Footprint", "Level", "Parent", "Verdict", "Population", "Units", "Boroughs", "Failed rules"]],
                 hide_index=True, width="stretch", key="shared_table")
    if flows_note:
        st.caption(flows_note)
    if report.footprints:
        from ui.maps import scenario_map, show_map

        try:
            m = scenario_map(engine, scenario, report, [r.name for r in report.footprints], title=scenario.name,
                             subtitle=f"Version {v.number}, read-only")
            show_map(m, height=520)
        except StoreError as exc:  # pragma: no cover
            show_error(exc)
