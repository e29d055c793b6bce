"""Check page: every footprint of the scenario against every rule, as a table and a map.

The table is sortable (click a column header) and filtered by level and STP;
the map colours each footprint by its verdict.  Below, one footprint's rules
in full and, when the data has care flows, where its residents go to hospital.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from spatial.careflows import with_core_providers
from spatial.geometry import footprint_geometry
from spatial.thresholds import LEVEL_LABELS
from ui.check_reasons import reasons_html
from ui.controls import level_options
from ui.maps import scenario_map, show_map
from ui.state import checking_engine, commit, get_state, page_notice
from ui.tables import RULE_LABELS, report_or_error, report_table, stp_options, verdict_text


def _core_providers_editor(state, flows, index, units, fp, current: list[str]) -> None:
    """Choose the footprint's core providers (saved in the scenario, undoable)."""
    with st.expander("Change the core providers", expanded=False):
        st.caption("By default the core providers are the acute trusts whose headquarters lies in the footprint. "
                   "A multi-site trust may be based outside the area it mostly serves: choose the trusts "
                   "whose activity counts as delivered in the footprint. The choice is saved in the scenario.")
        has = flows.trusts["has_flows"].to_numpy()
        codes = [str(c) for c in flows.trust_codes[has]]
        names = {c: flows.trust_name(c) for c in codes}
        default = [c for c in current if c in names]
        chosen = st.multiselect("Core providers", sorted(codes, key=names.get), default=default,
                                format_func=lambda c: f"{names[c]} ({c})", key=f"core_pick_{fp.name}")
        c1, c2 = st.columns(2)
        if c1.button("Use these core providers", key="core_apply", disabled=sorted(chosen) == sorted(default)):
            # the engine's own edit: checks the codes, and stores no override when the choice is the default
            new = with_core_providers(fp, flows, index, add=set(chosen) - set(default),
                                      remove=set(default) - set(chosen), units=units)
            commit(state.scenario.put(new), f"core providers of {fp.name}")
            st.rerun()
        if fp.core_providers is not None and c2.button("Back to the trusts inside the footprint", key="core_reset"):
            commit(state.scenario.put(dataclasses.replace(fp, core_providers=None)),
                   f"default core providers of {fp.name}")
            st.rerun()


state = get_state()
engine, flows_note = checking_engine()
scenario = state.scenario

st.title("Check")
st.caption(f"Scenario **{scenario.name}** · population mid-{scenario.year} · "
           f"{len(scenario.footprints)} footprint(s). Each footprint is checked against the rules of the "
           "Healthy London Partnership papers (2018); thresholds can be changed per scenario.")
if notice := page_notice("check"):
    st.info(notice)

if not scenario.footprints:
    st.info("This scenario has no footprints yet. Load one on the **Scenarios** page (for example "
            "“Kingston and Richmond”) or draw one on the **Sketch** page.")
    st.stop()

with st.spinner("Checking every footprint…"):
    report = report_or_error(engine, scenario)
if report is None:
    st.stop()

# --- filters ---------------------------------------------------------------------------------
stps = stp_options(engine)
present_levels = level_options(scenario)
present_stps = sorted({c for r in report.footprints for c in r.stps}, key=lambda c: stps.get(c, c))
c1, c2 = st.columns(2)
levels = c1.multiselect("Level", present_levels, default=present_levels,
                        format_func=lambda lv: LEVEL_LABELS.get(lv, lv), key="check_levels",
                        help="Show footprints of these levels.")
stp_pick = c2.multiselect("STP", present_stps, default=[], format_func=lambda c: stps.get(c, c),
                          key="check_stps", placeholder="All STPs",
                          help="Show footprints that lie (partly) in these STPs; empty shows all.")
shown = [r for r in report.footprints
         if r.level in levels and (not stp_pick or set(r.stps) & set(stp_pick))]
names = [r.name for r in shown]

n_pass = sum(r.passed for r in shown)
m1, m2, m3 = st.columns(3)
m1.metric("Footprints shown", len(shown))
m2.metric("Pass every rule", n_pass)
m3.metric("Fail a rule", len(shown) - n_pass)
if flows_note:
    st.caption(flows_note)

# --- the table -------------------------------------------------------------------------------
table = report_table(report, engine)
table = table[table["Footprint"].isin(names)].reset_index(drop=True)
st.subheader("Rules and reasons")
st.dataframe(
    table, hide_index=True, width="stretch", key="check_table",
    column_config={
        "Population": st.column_config.NumberColumn("Population", format="localized"),
        **{f"{label}: why": st.column_config.TextColumn(f"{label}: why", width="large")
           for label in RULE_LABELS.values()},
    },
)
st.caption("Click a column header to sort. pass / fail per rule; n/a = no verdict at this level "
           "(shown for information) or not measured.")
# the reasons in full, wrapped (in the table they sit far to the right, cut to the column width)
with st.expander("Reasons in words, footprint by footprint", expanded=len(shown) <= 6, icon=":material/notes:"):
    st.html(reasons_html(shown))

with st.expander("Coverage: units in no footprint, or in two", expanded=False):
    for level, cov in report.coverage.items():
        label = LEVEL_LABELS.get(level, level)
        if cov["complete"]:
            st.write(f"**{label}**: every unit is in exactly one footprint.")
            continue
        st.write(f"**{label}**: {cov['units_unassigned']:,} unit(s) in no footprint "
                 f"({cov['population_unassigned']:,} residents); {cov['units_in_two_or_more']:,} unit(s) in "
                 "two or more footprints.")
        if cov["boroughs_with_gaps"]:
            st.caption("Boroughs with gaps: " + ", ".join(cov["boroughs_with_gaps"]))

# --- who lives there (spatial.profile) -------------------------------------------------------
if shown:
    from ui.profile_view import profile_section

    profile_section(engine, scenario, report, names)

# --- the map ---------------------------------------------------------------------------------
st.subheader("Map by verdict")
if shown:
    with st.spinner("Drawing the map…"):
        m = scenario_map(engine, scenario, report, names, title=scenario.name,
                         subtitle=f"Checks, population mid-{scenario.year}")
        show_map(m, height=560)
else:
    st.info("No footprint matches the filters.")

# --- one footprint in full -------------------------------------------------------------------
st.subheader("One footprint in full")
if shown:
    failing = [i for i, r in enumerate(shown) if not r.passed]
    pick = st.selectbox("Footprint", names, index=failing[0] if failing else 0, key="check_footprint",
                        help="Opens on the first footprint that fails a rule.")
    r = report.get(pick)
    st.write(f"**{r.name}** ({LEVEL_LABELS.get(r.level, r.level)}): {r.population:,} residents in "
             f"{r.n_units:,} units — **{r.verdict}**.")
    for c in r.checks:
        icon = {"pass": "✅", "fail": "❌", "n/a": "➖"}[verdict_text(c.passed)]
        st.markdown(f"{icon} **{RULE_LABELS.get(c.rule, c.rule)}** ({verdict_text(c.passed)}): {c.reason}")
    from ui.profile_view import footprint_profile

    footprint_profile(engine, scenario, r)

    if engine.flows is not None:
        st.markdown("#### Where the residents go to hospital")
        try:
            fp = scenario.get(pick)
            index = engine.for_year(scenario.year).index
            measures = engine.flows.measure(fp, index, r.units, thresholds=scenario.thresholds)
        except Exception as exc:  # noqa: BLE001 - shown, never a traceback
            from ui.state import show_error

            show_error(exc)
        else:
            st.write(measures.reasons["containment"])
            st.caption(measures.reasons.get("catchment", ""))
            dest = [{"Trust": d.name, "Code": d.code, "Share of residents' activity": round(100 * d.share, 1),
                     "Core provider": "yes" if d.core else "no", "Where": d.location} for d in measures.top]
            st.dataframe(dest, hide_index=True, width="stretch", key="check_destinations")
            _core_providers_editor(state, engine.flows, index, r.units, fp, [c for c, _ in measures.core])
            try:
                from layers.flowmaps import flow_map
            except ImportError:
                flow_map = None
            if flow_map is not None:
                try:
                    with st.spinner("Drawing the flow map…"):
                        # the map draws the measures of the table above (measured once, here)
                        fm = flow_map(measures, footprint_geometry(index, r.units), engine.flows.trust_table(index),
                                      title=f"Where {pick} residents go to hospital")
                        show_map(fm, height=480)
                except Exception as exc:  # noqa: BLE001 - shown, never a traceback
                    st.caption(f"The flow map could not be drawn ({type(exc).__name__}: {exc}).")
