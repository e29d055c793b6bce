"""Scenarios page: open, save, upload, download and compare scenarios.

* Open a preloaded partnership, a scenario saved on this server, or an
  uploaded scenario JSON / assignment CSV.  Whatever is opened is also kept as
  "the scenario as loaded", so after editing it can be compared with the original.
* Save to the server's scenarios folder (``$FOOTPRINTS_SCENARIOS`` or the user
  data folder); names are sanitised so they never point outside it.
* Download as scenario JSON, assignment CSV, GeoJSON or GeoPackage.
* Compare the current scenario with the one as loaded (or any other): what
  moved, and how each footprint's checks changed.

Any bad file or name shows a message on the page and leaves the current
scenario as it was.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from boundaries.errors import FootprintsError
from spatial.thresholds import LEVEL_LABELS, LEVELS
from ui.state import commit, get_state, page_notice, show_error
from ui.widgets import (
    MAX_UPLOAD_BYTES,
    RULE_LABELS,
    checking_engine,
    footprint_frame,
    load_into_session,
    run_with_progress,
    safe_scenario_name,
    saved_scenarios,
    scenario_from_upload,
    scenario_path,
    scenarios_dir,
    verdict_text,
)

UPLOAD_KEY = "scenarios_loaded_upload"
GEO_KEY = "scenarios_geo_downloads"

state = get_state()
engine, _ = checking_engine()
scenario = state.scenario

st.title("Scenarios")
st.caption(f"Current scenario: **{scenario.name}** · {len(scenario.footprints)} footprint(s) · population "
           f"mid-{scenario.year}" + (f" · as loaded: **{state.compare_with.name}**" if state.compare_with else ""))
if notice := page_notice("scenarios"):
    st.info(notice)

# --- open --------------------------------------------------------------------------------------
st.header("Open a scenario")
tab_pre, tab_saved, tab_up = st.tabs(["Preloaded partnerships", "Saved on this server", "Upload a file"])

with tab_pre:
    try:
        from spatial.preloaded import list_preloaded, load_preloaded

        pre = list_preloaded()
    except (ImportError, FootprintsError) as exc:
        pre = []
        st.warning(f"Preloaded scenarios are not available ({exc}).")
    if pre:
        by_id = {sid: (name, desc) for sid, name, desc in pre}
        ids = list(by_id)
        default = ids.index("kingston-richmond") if "kingston-richmond" in ids else 0
        sid = st.selectbox("Partnership", ids, index=default, format_func=lambda i: by_id[i][0],
                           key="scenarios_preloaded")
        st.caption(by_id[sid][1])
        if st.button("Open this partnership", key="scenarios_open_preloaded", type="primary"):
            try:
                loaded = load_preloaded(sid)
            except FootprintsError as exc:
                show_error(exc)
            else:
                if load_into_session(loaded, f"preloaded '{by_id[sid][0]}'", engine=engine):
                    st.rerun()

with tab_saved:
    try:
        folder = scenarios_dir()
    except OSError as exc:
        folder = None
        st.error(f"The scenarios folder cannot be created ({exc.strerror}: {exc.filename}). Fix: set "
                 "FOOTPRINTS_SCENARIOS to a writable folder.")
    if folder is not None:
        files = saved_scenarios(folder)
        st.caption(f"Folder: `{folder}`")
        if not files:
            st.info("No scenario saved yet: use **Save on this server** below.")
        else:
            pick = st.selectbox("Saved scenario", files, format_func=lambda p: p.stem, key="scenarios_saved")
            if st.button("Open saved scenario", key="scenarios_open_saved"):
                from spatial.scenario_io import load_scenario

                try:
                    loaded = load_scenario(pick)
                except FootprintsError as exc:
                    show_error(exc)
                else:
                    if load_into_session(loaded, f"saved file {pick.name}", engine=engine):
                        st.rerun()

with tab_up:
    level = st.selectbox("Level of the footprints in an assignment CSV without a level column", LEVELS,
                         index=LEVELS.index("multi_borough"), format_func=lambda lv: LEVEL_LABELS[lv],
                         key="scenarios_upload_level")
    up = st.file_uploader(
        f"Scenario JSON (.json) or assignment CSV (.csv: unit_code,footprint), up to "
        f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB", key="scenarios_upload")
    if up is not None and up.file_id != st.session_state.get(UPLOAD_KEY):
        try:
            uploaded = scenario_from_upload(up.name, up.getvalue(), engine, level=level)
        except FootprintsError as exc:
            st.error(f"{up.name} was not opened; the current scenario is unchanged. {exc}")
        else:
            if load_into_session(uploaded, f"upload {up.name}"):
                st.session_state[UPLOAD_KEY] = up.file_id
                st.rerun()

# --- save and rename ---------------------------------------------------------------------------
st.header("Save")
c1, c2 = st.columns(2)
with c1:
    new_name = st.text_input("Scenario name", value=scenario.name, key=f"scenarios_rename_{scenario.name}")
    if st.button("Rename", key="scenarios_rename_btn") and new_name.strip() and new_name != scenario.name:
        import dataclasses

        commit(dataclasses.replace(scenario, name=new_name.strip()), f"rename scenario to {new_name.strip()!r}")
        st.rerun()
with c2:
    save_as = st.text_input("Save on this server as", value=scenario.name, key="scenarios_save_as",
                            help="Letters, digits, spaces, dots, dashes; anything else is replaced. "
                                 "The file goes to the scenarios folder and nowhere else.")
    if st.button("Save on this server", key="scenarios_save", type="primary"):
        from spatial.scenario_io import save_scenario

        try:
            folder = scenarios_dir()
            path = scenario_path(folder, save_as)
            existed = path.exists()
            save_scenario(scenario, path)
        except FootprintsError as exc:
            show_error(exc)
        except OSError as exc:
            st.error(f"The scenario could not be saved ({exc.strerror}). Fix: check the scenarios folder "
                     f"is writable, or set FOOTPRINTS_SCENARIOS.")
        else:
            note = " (replaced the earlier file of that name)" if existed else ""
            st.success(f"Saved as {path.name}{note} in {path.parent}.")
            if safe_scenario_name(save_as) != save_as.strip():
                st.caption(f"The name was made safe for a file: {path.stem!r}.")

# --- download ----------------------------------------------------------------------------------
st.header("Download")
if not scenario.footprints:
    st.info("The scenario has no footprints yet.")
else:
    from spatial.scenario_io import assignment_to_csv, dumps, export_geojson, export_gpkg

    stem = safe_scenario_name(scenario.name) if scenario.name.strip() else "scenario"
    d1, d2, d3, d4 = st.columns(4)
    d1.download_button("Scenario JSON", dumps(scenario).encode("utf-8"), file_name=f"{stem}.json",
                       mime="application/json", key="scenarios_dl_json")
    try:
        csv_text = assignment_to_csv(scenario, engine.for_year(scenario.year).index)
    except FootprintsError as exc:
        show_error(exc)
    else:
        d2.download_button("Assignment CSV", csv_text.encode("utf-8"), file_name=f"{stem}-assignment.csv",
                           mime="text/csv", key="scenarios_dl_csv")
    geo_files = st.session_state.get(GEO_KEY)
    if geo_files is None or geo_files[0] != scenario:
        if d3.button("Prepare GeoJSON and GeoPackage", key="scenarios_prepare_geo"):
            def _write(kind: str) -> bytes:
                frame = footprint_frame(engine, scenario)
                with tempfile.TemporaryDirectory(prefix="footprints-") as tmp:
                    path = Path(tmp) / f"{stem}.{kind}"
                    (export_geojson if kind == "geojson" else export_gpkg)(frame, path)
                    return path.read_bytes()

            try:
                gj, gp = run_with_progress([("Dissolving footprints and writing GeoJSON…", lambda: _write("geojson")),
                                            ("Writing GeoPackage…", lambda: _write("gpkg"))])
            except FootprintsError as exc:
                show_error(exc)
            else:
                st.session_state[GEO_KEY] = (scenario, gj, gp)
                st.rerun()
    else:
        _, gj, gp = geo_files
        d3.download_button("GeoJSON (EPSG:4326)", gj, file_name=f"{stem}.geojson", mime="application/geo+json",
                           key="scenarios_dl_geojson")
        d4.download_button("GeoPackage (EPSG:27700)", gp, file_name=f"{stem}.gpkg",
                           mime="application/geopackage+sqlite3", key="scenarios_dl_gpkg")

# --- compare -----------------------------------------------------------------------------------
st.header("Compare")
options: dict[str, object] = {}
as_loaded = state.compare_with
if as_loaded is None:  # opened elsewhere (e.g. the Sketch sidebar): the last version loaded, from the undo history
    as_loaded = next((s for label, s in reversed(state.history.past) if label.startswith("load ")), None)
if as_loaded is not None:
    options[f"As loaded: {as_loaded.name}"] = as_loaded
try:
    from spatial.preloaded import list_preloaded, load_preloaded

    for sid, name, _ in list_preloaded():
        options[f"Preloaded: {name}"] = ("preloaded", sid)
except (ImportError, FootprintsError):
    pass
try:
    for p in saved_scenarios(scenarios_dir()):
        options[f"Saved: {p.stem}"] = ("saved", p)
except OSError:
    pass

if not scenario.footprints:
    st.info("Open or sketch a scenario first.")
elif not options:
    st.info("Nothing to compare with yet: open a scenario first.")
else:
    label = st.selectbox("Compare the current scenario with", list(options), key="scenarios_compare_with")
    base = options[label]
    try:
        if isinstance(base, tuple) and base[0] == "preloaded":
            base = load_preloaded(base[1])
        elif isinstance(base, tuple):
            from spatial.scenario_io import load_scenario

            base = load_scenario(base[1])
        from spatial.compare import compare_scenarios
        from ui.compare_view import fmt_int, format_checks, format_moves

        with st.spinner("Checking both scenarios…"):
            cmp = compare_scenarios(base, scenario, engine.index, flows=engine.flows)
    except FootprintsError as exc:
        show_error(exc)
    else:
        left, right = st.columns(2)
        for col, title, rep in ((left, f"Before: {base.name}", cmp.report_a),
                                (right, f"Now: {scenario.name}", cmp.report_b)):
            col.subheader(title)
            col.dataframe([{"Footprint": r.name, "Level": LEVEL_LABELS.get(r.level, r.level),
                            "Population": fmt_int(r.population), "Verdict": r.verdict,
                            "Failed rules": ", ".join(RULE_LABELS.get(c.rule, c.rule) for c in r.failures())}
                           for r in rep.footprints],
                          hide_index=True, width="stretch")
        if not cmp.changed:
            st.success("The two scenarios have the same footprints, members and verdicts.")
        show_all = st.toggle("Show unchanged footprints and rules too", value=False, key="scenarios_show_all")
        moves = cmp.moves if show_all else cmp.moves[cmp.moves["status"] != "unchanged"]
        st.subheader("What moved")
        st.dataframe(format_moves(moves), hide_index=True, width="stretch", key="scenarios_moves")
        st.subheader("How the checks changed")
        steady = {"still passes", "still fails", "not checked"}
        checks = cmp.checks if show_all else cmp.checks[~cmp.checks["change"].isin(steady)]
        st.dataframe(format_checks(checks, RULE_LABELS, verdict_text), hide_index=True, width="stretch",
                     key="scenarios_checks")
        st.download_button("Comparison as CSV", cmp.checks.merge(cmp.moves, on="footprint", how="left")
                           .to_csv(index=False).encode("utf-8"), file_name="comparison.csv", mime="text/csv",
                           key="scenarios_dl_compare")
