"""Proposals page: automatic footprints from the real data, ranked, mapped, and opened in Sketch.

Three questions (from :mod:`spatial.proposals`):

* which contiguous groups of 2–4 boroughs of an STP could be a multi-borough
  system (:func:`~spatial.proposals.propose_systems`);
* how a whole STP could be split into such systems
  (:func:`~spatial.proposals.propose_partitions`, an exact search);
* how a borough could split into 30–70k localities
  (:func:`~spatial.proposals.propose_localities`, PySAL spopt max-p).

Each run shows a progress bar; the ranked table and the map of any proposal
follow, and "Open in Sketch" makes the proposal the current scenario.
"""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitAPIException

from boundaries.errors import FootprintsError
from ui.state import get_state, show_error
from ui.widgets import checking_engine, load_into_session, report_or_error, scenario_map, show_map

RESULT_KEY = "proposals_result"
MODES = ("Multi-borough systems in an STP", "Split a whole STP into systems", "Localities in a borough")

state = get_state()
engine, flows_note = checking_engine()
scenario = state.scenario
index = engine.for_year(scenario.year).index
thresholds = scenario.thresholds

st.title("Proposals")
st.caption("Automatic candidates from the real boundaries and populations, checked with the same rules as the "
           f"Check page (thresholds of the current scenario, population mid-{scenario.year}).")


@st.cache_resource(show_spinner=False)
def _borough_graph(_index, region: str, key: str, year: int):
    from spatial.proposals import borough_graph

    return borough_graph(_index)


def _progress_bar(text: str):
    bar = st.progress(0.0, text=text)

    def report(fraction: float, message: str) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)

    return bar, report


mode = st.radio("What to propose", MODES, horizontal=True, key="proposals_mode")
stps = {str(c): str(n) for c, n in zip(index.layer_codes["stp"], index.layer_names["stp"])}
boroughs = {str(c): str(n) for c, n in zip(index.layer_codes["borough"], index.layer_names["borough"])}

c1, c2, c3 = st.columns([2, 1, 1])
if mode == MODES[2]:
    area = c1.selectbox("Borough", sorted(boroughs, key=boroughs.get), format_func=boroughs.get,
                        key="proposals_borough")
    on = c2.radio("Building blocks", [b for b in ("msoa", "ward", "unit") if b in index.membership],
                  key="proposals_on",
                  format_func=lambda v: {"unit": "LSOAs (finer, up to a minute)", "msoa": "MSOAs (seconds)",
                                         "ward": "wards (seconds)"}[v],
                  help="MSOAs or wards keep those boundaries and take seconds (wards are the 2017 wards "
                       "built from LSOAs by the ONS best-fit lookup); LSOAs give finer localities but max-p "
                       "takes much longer on them.")
    seed = int(c3.number_input("Seed", min_value=0, max_value=10_000, value=0, step=1, key="proposals_seed",
                               help="The same seed gives the same localities."))
    fixed = c3.toggle("Fixed number per borough", value=False, key="proposals_fixed",
                      help="Exactly N contiguous localities, as balanced in population as the data allows "
                           "(e.g. NCL's two CHINs per borough, One Hackney's four quadrants); the range is "
                           "then checked, not aimed at.")
    count = int(c3.number_input("Localities per borough", min_value=1, max_value=50, value=2, step=1,
                                key="proposals_count", disabled=not fixed)) if fixed else None
    params = (mode, area, on, seed, count, thresholds, scenario.year)
else:
    area = c1.selectbox("STP", sorted(stps, key=stps.get), format_func=stps.get, key="proposals_stp")
    cross = (c2.toggle("Allow crossing STPs", value=False, key="proposals_cross",
                       help="Also groups with boroughs of a neighbouring STP (they fail the nesting rule).")
             if mode == MODES[0] else False)
    params = (mode, area, cross, thresholds, scenario.year)

if st.button("Run", type="primary", key="proposals_run"):
    bar, report = _progress_bar("Starting…")
    try:
        from spatial import proposals as prop

        if mode == MODES[0]:
            result = prop.propose_systems(index, stp=area, cross_stp=cross, thresholds=thresholds,
                                          flows=engine.flows, progress=report,
                                          graph=_borough_graph(index, engine.geo.region, engine.geo.key,
                                                               index.year))
        elif mode == MODES[1]:
            result = prop.propose_partitions(index, area, thresholds=thresholds, flows=engine.flows,
                                             progress=report, limit=None)
        else:
            result = prop.propose_localities(index, area, on=on, thresholds=thresholds, seed=seed,
                                             progress=report, count=count)
    except FootprintsError as exc:
        show_error(exc)
        result = None
    finally:
        bar.empty()
    st.session_state[RESULT_KEY] = (params, result) if result is not None else None

stored = st.session_state.get(RESULT_KEY)
if stored is None or stored[0] != params:
    st.info("Choose what to propose and press **Run**.")
    st.stop()
result = stored[1]

# --- the ranking weights (re-rank the result already computed; no re-run) --------------------------
if mode != MODES[2]:
    from spatial.proposals import SCORE_PARTS, RankWeights

    with st.expander("Ranking weights", expanded=False):
        st.caption("How much each part counts in the score (0–1 each; they are normalised). Changing them "
                   "re-ranks the result above at once, without running again. Care-flow containment counts only "
                   "when a care-flow model is loaded.")
        defaults = RankWeights().to_dict()
        labels = {"containment": "Care-flow containment", "balance": "Population balance",
                  "inside_stp": "Inside one STP", "compactness": "Compactness",
                  "deprivation_balance": "Balance of deprivation across constituent places"}
        cols = st.columns(len(SCORE_PARTS))
        chosen_weights = {part: float(col.slider(labels[part], 0.0, 1.0, defaults[part], 0.05,
                                                 key=f"proposals_w_{part}"))
                          for col, part in zip(cols, SCORE_PARTS)}
    if sum(chosen_weights.values()) <= 0:
        st.warning("All ranking weights are 0: the default weights are used.")
    elif chosen_weights != result.weights.to_dict():
        result = result.rerank(RankWeights.from_dict(chosen_weights))

# --- the ranked table ----------------------------------------------------------------------------
choices: dict[str, object] = {}
if mode == MODES[0]:
    st.write(result.summary())
    from spatial.profile import ProfileData, profiles_for_sets

    prof = profiles_for_sets(ProfileData.from_index(index), "borough", [list(s.ids) for s in result.systems])
    rows = []
    for s, pr in zip(result.systems, prof.to_dict(orient="records")):
        rows.append({"Rank": s.rank, "System": s.name, "Boroughs": len(s.boroughs), "Population": s.population,
                     "Verdict": "pass" if s.passed else "fail",
                     "Failed rules": ", ".join(c.rule for c in s.failures()), "Score": round(s.score, 3),
                     "75+ share %": round(100 * pr["share_75_plus"], 1) if "share_75_plus" in pr else None,
                     "Core20 share %": round(100 * pr["core20_share"], 1) if "core20_share" in pr else None,
                     "Core20 gap (points)": round(100 * pr["core20_gap"], 1) if "core20_gap" in pr else None,
                     "Why": s.explain(result.weights)})
        choices[f"{s.rank}. {s.name}"] = s
    st.dataframe(rows, hide_index=True, width="stretch", key="proposals_table",
                 column_config={"Population": st.column_config.NumberColumn(format="localized")})
elif mode == MODES[1]:
    st.write(result.summary())
    st.caption(f"Ranked with weights: {result.weights.text()}.")
    rows = []
    for p in result.partitions:
        rows.append({"Rank": p.rank, "Systems": "; ".join(s.name for s in p.systems),
                     "Populations": ", ".join(f"{s.population:,}" for s in p.systems),
                     "Verdict": "pass" if p.passed else "fail", "Score": round(p.score, 3),
                     "Why": p.explain(result.weights)})
        choices[f"{p.rank}. " + "; ".join(s.name for s in p.systems)] = p
    st.dataframe(rows, hide_index=True, width="stretch", key="proposals_table")
else:
    st.write(result.summary())
    for line in result.comparison():
        st.caption(line)
    frame = result.to_frame()
    if result.on == "unit":
        frame = frame.drop(columns=["n_members"])  # the same as Units
    frame = frame.rename(columns={"name": "Locality", "borough_name": "Borough", "population": "Population",
                                  "n_units": "Units", "within_range": "Within range", "reason": "Why",
                                  "n_members": {"msoa": "MSOAs", "ward": "Wards"}.get(result.on, "Blocks")})
    if result.count:
        dist = {d["name"]: d for d in result.distances()}
        frame["Papers' range"] = [f"{dist[n]['low']:,}–{dist[n]['high']:,}" for n in frame["Locality"]]
        frame["From the range"] = [dist[n]["distance"] for n in frame["Locality"]]
    st.dataframe(frame.drop(columns=["borough"], errors="ignore"), hide_index=True, width="stretch",
                 key="proposals_table")
    choices[f"Localities of {result.area}"] = result

if not choices:
    st.warning("Nothing to show: no candidate was found. Try allowing STPs to be crossed, or another area.")
    st.stop()

# --- the map of one proposal --------------------------------------------------------------------

def locality_map(engine, proposal, names, *, title: str):
    """Proposed localities, each its own colour (touching ones differ), the verdict in words on each label."""
    from layers.elements import Labels, MapControl
    from layers.maps import base_map, legend_html, polygon_layer
    from layers.style import SKETCH_PALETTE, PathStyle, categorical_colours, swatch_svg
    from layers.text import escape_text
    from ui.widgets import MAP_TOOLTIP, map_frame, source_line

    frame = map_frame(engine, proposal, names)
    colours = categorical_colours(frame, palette=SKETCH_PALETTE)
    styles = [PathStyle(color="#333333", weight=1.2, fill_color=c, fill_opacity=0.55) for c in colours]
    frame = frame.assign(_k=range(len(frame)))
    m = base_map(frame)
    polygon_layer(frame, "Localities", style=lambda row: styles[row["_k"]], tooltip_cols=MAP_TOOLTIP).add_to(m)
    pts = frame.geometry.representative_point().to_crs(4326)
    Labels([(p.y, p.x, escape_text(f"{n} ({v})"))
            for p, n, v in zip(pts, frame["name"], frame["verdict"])], name="Locality labels",
           control=False).add_to(m)
    MapControl(f'<div class="fp-title-main">{escape_text(title)}</div>', position="topleft",
               class_name="fp-panel fp-title").add_to(m)
    entries = [(swatch_svg(st_), f"{n}: {v}") for st_, n, v in zip(styles, frame["name"], frame["verdict"])]
    MapControl(legend_html(entries, "Localities (verdict)"), position="side",
               class_name="fp-panel fp-legend").add_to(m)
    MapControl(escape_text(source_line(proposal, care_flows=engine.flows is not None)), position="side",
               class_name="fp-panel fp-source").add_to(m)
    return m


st.subheader("Map of a proposal")
pick = st.selectbox("Proposal", list(choices), key="proposals_pick")
chosen = choices[pick]
try:
    proposal_scenario = chosen.to_scenario(thresholds=thresholds, year=scenario.year) \
        if mode != MODES[2] else chosen.to_scenario()
except FootprintsError as exc:
    show_error(exc)
    st.stop()
rep = report_or_error(engine, proposal_scenario)
if rep is not None:
    if mode == MODES[0]:
        names = [proposal_scenario.footprints[0].name]  # the system; its boroughs are drawn as outlines
        from layers.maps import polygon_layer
        from layers.style import PathStyle, swatch_svg

        outline = PathStyle(color="#222222", weight=1.2)
        borough_lines = polygon_layer(engine.geo.layer("borough"), "Borough boundaries", style=outline,
                                      highlight=False)
        borough_lines.legend_entries = [(swatch_svg(outline, kind="line"), "Borough boundary")]
        extra = [borough_lines]
    else:
        names = [fp.name for fp in proposal_scenario.footprints]
        extra = []
    with st.spinner("Drawing the map…"):
        if mode == MODES[2]:  # localities: one colour each (they would all share their verdict's colour)
            m = locality_map(engine, proposal_scenario, names, title=proposal_scenario.name)
        else:
            m = scenario_map(engine, proposal_scenario, rep, names, title=proposal_scenario.name,
                             subtitle="Automatic proposal, checked with the Footprints rules", extra_layers=extra)
        show_map(m, height=560)

if st.button("Open in Sketch", key="proposals_open", type="primary",
             help="Makes this proposal the current scenario (undo brings back the previous one)."):
    if load_into_session(proposal_scenario, f"proposal '{pick}'", engine=engine):
        try:
            st.switch_page("ui/sketch.py")
        except StreamlitAPIException:  # the Sketch page is not in this app
            st.success(f"Opened {proposal_scenario.name!r}: go to the Sketch page to edit it.")
