"""Scenarios page: open, save, upload, download and compare scenarios.

* Open a preloaded partnership, a scenario saved on this server, or an
  uploaded scenario JSON / assignment CSV.  Whatever is opened is also kept as
  "the scenario as loaded", so after editing it can be compared with the original.
* Save on this server, in the scenario store (``FOOTPRINTS_DB``: SQLite by
  default, or PostgreSQL): every save is a new version with its author and
  message; a save based on an older version than the latest is a conflict,
  shown side by side with the compare view, and the user keeps theirs as a
  new version or takes the other.  History, share links (read-only board
  view, ``?scenario=<id>&version=<n>``), the bin.
* Download as scenario JSON, assignment CSV, GeoJSON or GeoPackage.
* Compare the current scenario with the one as loaded (or any other): what
  moved, and how each footprint's checks changed.

Any bad file or name shows a message on the page and leaves the current
scenario as it was.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import streamlit as st

from boundaries.errors import FootprintsError
from spatial import Scenario
from spatial.io import MAX_UPLOAD_BYTES, scenario_from_upload
from spatial.io import dumps
from spatial.store import ConflictError, NameTakenError, Store, StoreError, StoreUnavailableError
from spatial.thresholds import GEOGRAPHY_LEVELS, LEVEL_LABELS, STORE_BIN_DAYS
from ui.controls import run_with_progress
from ui.files import safe_scenario_name
from ui.maps import footprint_frame
from ui.state import checking_engine, commit, get_state, load_into_session, page_notice, show_error
from ui.store import (auth_configured, author_name, get_store, link_to_store, remember_author, share_url,
                      signed_in_user, stored_ref, write_author_cookie)
from ui.tables import RULE_LABELS, md, verdict_text

UPLOAD_KEY = "scenarios_loaded_upload"
GEO_KEY = "scenarios_geo_downloads"
CONFLICT_KEY = "scenarios_conflict"
VCMP_KEY = "scenarios_version_compare"
SAVED_KEY = "scenarios_saved_note"

state = get_state()
engine, _ = checking_engine()
scenario = state.scenario
user = signed_in_user()


# --- helpers -----------------------------------------------------------------------------------

def show_comparison(base: Scenario, other: Scenario, *, prefix: str = "scenarios", title_a: str | None = None,
                    title_b: str | None = None) -> None:
    """What moved from ``base`` to ``other`` and how the checks changed (spatial.compare)."""
    from spatial.compare import compare_scenarios
    from ui.compare_view import fmt_int, format_checks, format_moves

    try:
        with st.spinner("Checking both scenarios…"):
            cmp = compare_scenarios(base, other, engine.index, flows=engine.flows)
    except FootprintsError as exc:
        show_error(exc)
        return
    left, right = st.columns(2)
    for col, title, rep in ((left, title_a or f"Before: {base.name}", cmp.report_a),
                            (right, title_b or f"Now: {other.name}", cmp.report_b)):
        col.subheader(md(title), anchor=False)  # names and authors are user text
        col.dataframe([{"Footprint": r.name, "Level": LEVEL_LABELS.get(r.level, r.level),
                        "Population": fmt_int(r.population), "Verdict": r.verdict,
                        "Failed rules": ", ".join(RULE_LABELS.get(c.rule, c.rule) for c in r.failures())}
                       for r in rep.footprints],
                      hide_index=True, width="stretch")
    if not cmp.changed:
        st.success("The two scenarios have the same footprints, members and verdicts.")
    show_all = st.toggle("Show unchanged footprints and rules too", value=False, key=f"{prefix}_show_all")
    moves = cmp.moves if show_all else cmp.moves[cmp.moves["status"] != "unchanged"]
    st.subheader("What moved", anchor=False)
    st.dataframe(format_moves(moves), hide_index=True, width="stretch", key=f"{prefix}_moves")
    st.subheader("How the checks changed", anchor=False)
    steady = {"still passes", "still fails", "not checked"}
    checks = cmp.checks if show_all else cmp.checks[~cmp.checks["change"].isin(steady)]
    st.dataframe(format_checks(checks, RULE_LABELS, verdict_text), hide_index=True, width="stretch",
                 key=f"{prefix}_checks")
    from spatial.compare import comparison_csv  # spreadsheet-formula text neutralised

    st.download_button("Comparison as CSV", comparison_csv(cmp).encode("utf-8"), file_name="comparison.csv",
                       mime="text/csv", key=f"{prefix}_dl_compare")


def keep_in_browser(exc: Exception, key: str) -> None:
    """A store failure: say which database and why, and offer the scenario on screen as JSON."""
    st.error(str(exc))
    st.warning("Nothing was lost: the scenario on screen is unchanged in this browser. Download it as JSON "
               "to keep a copy until the database is back.")
    stem = safe_scenario_name(scenario.name) if scenario.name.strip() else "scenario"
    st.download_button("Download this scenario as JSON", dumps(scenario).encode("utf-8"), file_name=f"{stem}.json",
                       mime="application/json", key=key)


def store_or_error(key: str) -> Store | None:
    """The server's store, or ``None`` after saying why it is unavailable."""
    try:
        return get_store()
    except StoreError as exc:
        keep_in_browser(exc, key)
        return None


def when(dt) -> str:
    return dt.strftime("%Y-%m-%d %H:%M UTC") if dt else ""


def open_stored(store: Store, sid: str, version: int | None = None) -> None:
    """Open a stored scenario (or one version of it) for editing; saving then makes the next version."""
    try:
        info, v, loaded = store.open(sid, version, user=user)
    except StoreUnavailableError as exc:
        keep_in_browser(exc, f"scenarios_keep_open_{sid}_{version}")
        return
    except StoreError as exc:
        show_error(exc)
        return
    label = f"saved '{info.name}' version {v.number}" + ("" if v.number == info.latest else
                                                          f" (latest is {info.latest})")
    if load_into_session(loaded, label, engine=engine):
        link_to_store(sid, info.latest, state.compare_with)
        st.session_state["scenarios_saved_pending"] = sid
        st.session_state.pop(CONFLICT_KEY, None)
        st.rerun()


st.title("Scenarios")
st.caption(f"Current scenario: **{md(scenario.name)}** · {len(scenario.footprints)} footprint(s) · population "
           f"mid-{scenario.year}" + (f" · as loaded: **{md(state.compare_with.name)}**" if state.compare_with else ""))
if notice := page_notice("scenarios"):
    st.info(notice)
ref = stored_ref(state.compare_with)
can_write = not (auth_configured() and not user)  # with sign-in configured, changes need a signed-in user

# --- open --------------------------------------------------------------------------------------
st.header("Open a scenario")
tab_pre, tab_saved, tab_up = st.tabs(["Preloaded partnerships", "Saved on this server", "Upload a file"])

with tab_pre:
    try:
        from spatial.preloaded import load_preloaded, preloaded_for

        pre = preloaded_for(engine.geography)
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
                loaded = load_preloaded(sid, geo=engine.geo)
            except FootprintsError as exc:
                show_error(exc)
            else:
                if load_into_session(loaded, f"preloaded '{by_id[sid][0]}'", engine=engine):
                    st.rerun()

with tab_saved:
    store = store_or_error("scenarios_keep_list")
    if store is not None:
        search = st.text_input("Find by name", key="scenarios_search", placeholder="part of a name")
        try:
            items = store.list(user=user, limit=500, search=search)
            binned = store.list(user=user, deleted=True, limit=200)
        except StoreError as exc:
            keep_in_browser(exc, "scenarios_keep_listing")
            items, binned = None, []
        st.caption(f"Store: {md(store.where)}. " + (
            f"Signed in as {md(user)}: private scenarios are seen by their owner only." if user else
            "No sign-in is configured: everyone who can reach this server can read and save every scenario."))
        if items == [] and search.strip():
            st.info("No saved scenario has that in its name.")
        elif items == []:
            st.info("No scenario saved yet: use **Save on this server** below.")
        elif items:
            stored_by_id = {i.id: i for i in items}
            default = list(stored_by_id).index(ref.scenario_id) if ref and ref.scenario_id in stored_by_id else 0
            pending = st.session_state.pop("scenarios_saved_pending", None)  # just saved or opened: show it
            if pending in stored_by_id:
                st.session_state["scenarios_saved"] = pending
            if len(items) == 500:
                st.caption("The 500 most recently saved are listed: find others by name.")
            if st.session_state.get("scenarios_saved") in stored_by_id:
                default = 0  # the widget keeps its own choice (a non-zero index too would warn)
            pick = st.selectbox("Saved scenario", list(stored_by_id), index=default, key="scenarios_saved",
                                format_func=lambda i: f"{stored_by_id[i].name} · version {stored_by_id[i].latest} · "
                                                      f"{stored_by_id[i].updated_by or 'unknown'} · {when(stored_by_id[i].updated)}")
            info = stored_by_id[pick]
            if st.button("Open saved scenario", key="scenarios_open_saved", type="primary"):
                open_stored(store, pick)
            st.markdown("**Link** (opens the latest version read-only, in any browser):")
            st.code(share_url(pick), language=None)
            try:
                hist = store.history(pick, user=user)
            except StoreError as exc:
                show_error(exc)
                hist = []
            if hist:
                st.subheader("History", anchor=False)
                st.dataframe([{"Version": h.number, "Saved": when(h.saved_at), "Author": h.author,
                               "Message": h.message, "SHA-256": h.sha256[:12]} for h in reversed(hist)],
                             hide_index=True, width="stretch", key="scenarios_history")
                numbers = [h.number for h in reversed(hist)]
                h1, h2 = st.columns(2)
                with h1:
                    num = st.selectbox("Version", numbers, key="scenarios_version",
                                       format_func=lambda n: f"version {n}" + (" (latest)" if n == info.latest else ""))
                    b1, b2 = st.columns(2)
                    if b1.button("Open this version", key="scenarios_open_version"):
                        open_stored(store, pick, num)
                    if b2.button("Restore as the latest version", key="scenarios_restore_version",
                                 disabled=num == info.latest or not can_write):
                        try:
                            v = store.restore_version(pick, num, based_on=info.latest, author=author_name() or "unknown",
                                                      user=user)
                        except ConflictError as exc:
                            st.warning(str(exc))
                        except StoreError as exc:
                            show_error(exc)
                        else:
                            st.session_state[SAVED_KEY] = f"Version {num} restored as version {v.number}."
                            st.rerun()
                    st.markdown(f"**Link to version {num}** (read-only):")
                    st.code(share_url(pick, num), language=None)
                with h2:
                    if len(numbers) > 1:
                        va = st.selectbox("Compare version", numbers, index=1, key="scenarios_cmp_a")
                        vb = st.selectbox("with version", numbers, index=0, key="scenarios_cmp_b")
                        if st.button("Compare these versions", key="scenarios_cmp_versions"):
                            st.session_state[VCMP_KEY] = (pick, va, vb)
                    st.markdown("**Bin**")
                    if st.button("Move to the bin", key="scenarios_delete", disabled=not can_write):
                        try:
                            store.delete(pick, user=user)
                        except StoreError as exc:
                            show_error(exc)
                        else:
                            st.session_state[SAVED_KEY] = (f"{info.name!r} moved to the bin: it can be restored "
                                                           f"for {STORE_BIN_DAYS} days.")
                            st.rerun()
                    if user and info.owner == user:
                        private = st.toggle("Private (only you can open it)", value=info.private,
                                            key=f"scenarios_private_{pick}")
                        if private != info.private:
                            store.set_private(pick, private, user=user)
                            st.rerun()
                cmp_sel = st.session_state.get(VCMP_KEY)
                if cmp_sel and cmp_sel[0] == pick:
                    try:
                        _, _, sa = store.open(pick, cmp_sel[1], user=user)
                        _, _, sb = store.open(pick, cmp_sel[2], user=user)
                    except StoreError as exc:
                        show_error(exc)
                    else:
                        st.subheader(f"Version {cmp_sel[1]} compared with version {cmp_sel[2]}", anchor=False)
                        show_comparison(sa, sb, prefix="scenarios_vcmp", title_a=f"Version {cmp_sel[1]}",
                                        title_b=f"Version {cmp_sel[2]}")
        if binned:
            with st.expander(f"Bin ({len(binned)}): restorable for {STORE_BIN_DAYS} days after deletion"):
                for b in binned:
                    c_name, c_btn = st.columns([3, 1])
                    c_name.markdown(f"{md(b.name)} · version {b.latest} · deleted {when(b.deleted_at)}")
                    if c_btn.button("Restore", key=f"scenarios_unbin_{b.id}", disabled=not can_write):
                        try:
                            store.restore(b.id, user=user)
                        except StoreError as exc:
                            show_error(exc)
                        else:
                            st.session_state[SAVED_KEY] = f"{b.name!r} restored from the bin."
                            st.rerun()

with tab_up:
    _levels = GEOGRAPHY_LEVELS[engine.geography]
    level = st.selectbox("Level of the footprints in an assignment CSV without a level column", _levels,
                         index=2, format_func=lambda lv: LEVEL_LABELS[lv],
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
    if st.session_state.get("scenarios_save_as_for") != scenario.name:  # follow the scenario opened or renamed
        st.session_state["scenarios_save_as"] = scenario.name
        st.session_state["scenarios_save_as_for"] = scenario.name
    save_as = st.text_input("Save on this server as", key="scenarios_save_as",
                            help="Names are unique on the server: a name another scenario has is refused, "
                                 "never overwritten.")
if auth_configured() and not user:
    st.info("This server uses sign-in: sign in to save, so each version records who saved it.")
    st.button("Sign in", key="scenarios_login", on_click=st.login)
    author = ""
elif user:
    author = author_name()
    st.caption(f"Saving as {md(author)} ({md(user)}).")
else:
    author = st.text_input("Your name (saved with each version, remembered in this browser)", value=author_name(),
                           key="scenarios_author", max_chars=200).strip()
    if author:
        remember_author(author)
message = st.text_input("What changed (optional, saved with the version)", key="scenarios_message", max_chars=2000)
if ref is not None:
    st.caption(f"Saving makes the next version of the stored scenario, after version {ref.version}; under "
               "another name, that version also renames it.")
else:
    st.caption("Not saved on this server yet: saving creates a new scenario, version 1.")


def do_save(store: Store, to_save: Scenario, based_on: int | None) -> None:
    """Save and link the session to the result; a conflict is kept for the panel below."""
    sid = ref.scenario_id if ref is not None else None
    try:
        if sid is not None:
            v = store.save(sid, to_save, based_on=based_on, author=author, message=message, user=user)
        else:
            v = store.create(to_save, author=author, message=message, owner=user or "")
    except ConflictError as exc:
        st.session_state[CONFLICT_KEY] = {"id": exc.scenario_id, "based_on": exc.based_on, "latest": exc.latest,
                                          "by": exc.latest_author, "mine": to_save}
        st.rerun()
    except StoreUnavailableError as exc:
        keep_in_browser(exc, "scenarios_keep_save")
    except (NameTakenError, StoreError) as exc:
        show_error(exc)
    else:
        if to_save is not scenario:
            commit(to_save, f"rename scenario to {to_save.name!r}")
        state.compare_with = to_save
        link_to_store(v.scenario_id, v.number, to_save)
        st.session_state["scenarios_saved_pending"] = v.scenario_id
        st.session_state.pop(CONFLICT_KEY, None)
        st.session_state[SAVED_KEY] = (f"Saved version {v.number} of {to_save.name!r}.", v.scenario_id, v.number)
        st.rerun()


if st.button("Save on this server", key="scenarios_save", type="primary", disabled=not can_write):
    if not author:
        st.error("Give your name first (it is saved with each version, so colleagues see who saved what).")
    else:
        if not user:
            remember_author(author)
        name = save_as.strip()
        to_save = dataclasses.replace(scenario, name=name) if name and name != scenario.name else scenario
        store = store_or_error("scenarios_keep_save_open")
        if store is not None:
            do_save(store, to_save, ref.version if ref is not None else None)

note = st.session_state.pop(SAVED_KEY, None)
if note:
    if isinstance(note, tuple):
        st.success(md(note[0]))
        st.markdown("**Link to this version** (read-only):")
        st.code(share_url(note[1], note[2]), language=None)
    else:
        st.success(md(note))

conflict = st.session_state.get(CONFLICT_KEY)
if conflict is not None and ref is not None and conflict["id"] == ref.scenario_id:
    st.subheader("Someone else saved this scenario while you were editing", anchor=False)
    by = f" by {conflict['by']}" if conflict["by"] else ""
    st.warning(md(f"Version {conflict['latest']} was saved{by} after version {conflict['based_on']}, the one you "
                  "started from. Nothing was overwritten and your changes are still here. Compare the two, then "
                  "keep yours as a new version or take theirs."))
    store = store_or_error("scenarios_keep_conflict")
    if store is not None:
        try:
            info, theirs_v, theirs = store.open(conflict["id"], user=user)
        except StoreError as exc:
            show_error(exc)
        else:
            k1, k2 = st.columns(2)
            if k1.button(f"Keep mine as version {theirs_v.number + 1}", key="scenarios_keep_mine", type="primary"):
                if author:
                    do_save(store, conflict["mine"], theirs_v.number)
                else:
                    st.error("Give your name first.")
            if k2.button(f"Take theirs (version {theirs_v.number})", key="scenarios_take_theirs"):
                if load_into_session(theirs, f"saved '{info.name}' version {theirs_v.number}", engine=engine):
                    link_to_store(conflict["id"], theirs_v.number, state.compare_with)
                    st.session_state.pop(CONFLICT_KEY, None)
                    st.rerun()
            show_comparison(theirs, conflict["mine"], prefix="scenarios_conflict",
                            title_a=f"Theirs: version {theirs_v.number}{by}", title_b="Mine: not saved yet")

# --- download ----------------------------------------------------------------------------------
st.header("Download")
if not scenario.footprints:
    st.info("The scenario has no footprints yet.")
else:
    from spatial.io import assignment_to_csv, dumps, export_geojson, export_gpkg

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
    from spatial.preloaded import load_preloaded, preloaded_for

    for sid, name, _ in preloaded_for(engine.geography):
        options[f"Preloaded: {name}"] = ("preloaded", sid)
except (ImportError, FootprintsError):
    pass
try:
    for item in get_store().list(user=user, limit=50):
        options[f"Saved: {item.name}"] = ("stored", item.id)
except StoreError:
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
            base = load_preloaded(base[1], geo=engine.geo)
        elif isinstance(base, tuple):
            base = get_store().open(base[1], user=user)[2]
    except FootprintsError as exc:
        show_error(exc)
    else:
        show_comparison(base, scenario)

if not user:
    write_author_cookie()  # remember the name given this session in the browser
