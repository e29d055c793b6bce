"""Sketch page: click units, MSOAs, wards, boroughs or CCGs into footprints; live tallies.

The map (:mod:`ui.components.clickmap`) keeps the shapes and the zoom in the browser
and sends back only the clicked unit; a click goes through
:func:`spatial.editing.apply_brush` and the tallies come from
:mod:`spatial.checks`.  Nothing here computes a rule.

For tests: a map event can be injected by setting ``st.session_state[MAP_KEY]``
to what the component returns, ``{"nonce": str, "events": [[seq, "click",
code], ...]}`` (a paint stroke: ``[seq, "paint", [code, ...]]``); it goes
through exactly the same handler as a real click.

Messages about the footprint go to the sidebar and to an overlay inside the
map, never above it: anything inserted above the map moved it under the
pointer between two clicks.

A new session's first run draws the tools row and the map before it imports
the engine (:mod:`ui.sketch_start`): the browser fetches and draws the shapes
while pandas, geopandas and the engine load.  Every function is therefore
defined before the page's first element, and the engine's modules are imported
after the early map; the main area is one fixed frame (title, tools, map,
notes), filled in either order, so nothing above the map changes height.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import streamlit as st

from ui import map_ready
from ui.components.clickmap import clickmap
from ui.sketch_start import (
    MAP_READY_WAIT_S, MapStart, SketchView, blank_view, keep_start, map_args, map_caption, read_start, ready_token,
    start_file,
)
from ui.state import DEFAULT_BRUSH, STATE_KEY, AppState, app_settings, current_choice

MAP_KEY = "sketch_map"
CURSOR_KEY = "sketch_event_cursor"
ERRORS_KEY = "sketch_errors"
REPORTS_KEY = "sketch_report_cache"
HIGHLIGHT_KEY = "sketch_highlight"
PAINT_KEY = "sketch_paint"
NAMED_KEY = "sketch_named_boroughs"
ZOOM_KEY = "sketch_zoom_token"
BLANK = "__blank__"
BRUSH_LABELS = {"unit": "one unit (LSOA)", "msoa": "whole MSOA", "ward": "whole ward", "borough": "whole borough",
                "ccg": "whole CCG"}

@st.cache_resource(show_spinner=False)
def _place_geo(_geo, key: str):
    """The places of a large region as the map's clickable areas (a Geographies whose units are places)."""
    from dataclasses import replace as _replace

    places = _geo.layer("borough")
    units = places[["code", "name", "population", "area_m2", "geometry"]].copy()
    units["borough"], units["borough_name"] = units["code"], units["name"]
    return _replace(_geo, region=f"{_geo.region}-places", units=units, layers={"borough": places}, published={},
                    key=f"{_geo.key}-places")


def _place_view(assign: list[int], pieces: list[int]) -> tuple[list[int], list[int]]:
    """Per place: the footprint holding most of its units (unit-level assignment), and places with pieces."""
    from ui.components.clickmap import UNASSIGNED

    m = engine.index.membership["borough"]
    owner = np.asarray(assign)
    out = []
    for p in range(len(engine.index.layer_codes["borough"])):
        vals, counts = np.unique(owner[m == p], return_counts=True)
        out.append(int(vals[np.argmax(counts)]) if len(vals) else UNASSIGNED)
    return out, sorted({int(m[u]) for u in pieces})


# --- helpers ------------------------------------------------------------------------------------

def errors() -> list[Exception]:
    """Errors met this run (callbacks and map events), shown under the title."""
    return st.session_state.setdefault(ERRORS_KEY, [])


def year_engine(scenario: Scenario):
    """The engine for the scenario's population year."""
    return engine.for_year(scenario.year)


def fresh_name(scenario: Scenario, level: str) -> str:
    """A footprint name not used yet, such as ``New multi-borough system 2``."""
    base = f"New {LEVEL_LABELS[level]}"
    k = 1
    while f"{base} {k}" in scenario.names():
        k += 1
    return f"{base} {k}"


def settle(st_: AppState) -> None:
    """Keep the edited footprint at the chosen level (or none when the level is empty)."""
    levels = GEOGRAPHY_LEVELS[st_.scenario.geography]
    if st_.level not in levels:
        st_.level = levels[2]
    names = st_.scenario.names(st_.level)
    if st_.editing not in names:
        st_.editing = names[0] if names else None


def area_label(index, code: str, brush: str) -> str:
    """Name of the area a click takes (``Merton``, ``Kingston upon Thames 012A``...)."""
    found = index.resolve(code)
    if found is None:
        return code
    layer, i = found
    unit = int(index.units_of(layer, i)[0]) if layer != "unit" else i
    layer = brush if brush in index.membership else "unit"
    return str(index.layer_names[layer][index.membership[layer][unit]])


# --- the map click (and keyboard) handler ----------------------------------------------------------

def handle_event(event: MapEvent, mode: str = "toggle") -> None:
    """Apply one map event to this session's scenario (a click, undo or redo).

    ``mode`` (clicks only): ``toggle`` as on the map, ``add`` for the search box.
    """
    if event.action == "undo":
        undone = state.history.undo()
        state.message = f"Undid: {undone}" if undone else "Nothing to undo."
        settle(state)
        return
    if event.action == "redo":
        redone = state.history.redo()
        state.message = f"Redid: {redone}" if redone else "Nothing to redo."
        settle(state)
        return
    if event.action == "next_brush":  # key B on the map
        brushes = [b for b in BRUSH_LABELS if b == "unit" or b in year_engine(state.scenario).index.membership]
        state.brush = brushes[(brushes.index(state.brush) + 1) % len(brushes)] if state.brush in brushes \
            else brushes[0]
        state.message = f"Brush: {BRUSH_LABELS[state.brush]}."
        return
    if event.action in ("next_footprint", "previous_footprint"):  # keys ] and [ on the map
        settle(state)
        names = state.scenario.names(state.level)
        if not names:
            state.message = "No footprint at this level yet: Enter on the map starts one."
            return
        step = 1 if event.action == "next_footprint" else -1
        state.editing = names[(names.index(state.editing) + step) % len(names)] if state.editing in names \
            else names[0]
        state.message = f"Editing {state.editing}."
        return
    scenario = state.scenario
    index = year_engine(scenario).index
    settle(state)
    if state.editing is None:
        name = fresh_name(scenario, state.level)
        scenario = scenario.put(Footprint(name, state.level, ()))
        state.editing = name
    fp = scenario.get(state.editing)
    before = index.expand(fp.members) if fp.members else np.empty(0, dtype=np.int64)
    if event.action == "paint":
        new, _ = apply_stroke(scenario, index, state.editing, event.codes, state.brush, lock=state.lock)
        n_areas = len({area_label(index, code, state.brush) for code in event.codes})
        what = (area_label(index, event.code, state.brush) if n_areas == 1
                else f"{n_areas} {'units' if state.brush == 'unit' else BRUSH_LABELS[state.brush][6:] + 's'}")
    else:
        new = apply_brush(scenario, index, state.editing, event.code, state.brush, mode=mode, lock=state.lock)
        what = area_label(index, event.code, state.brush)
    after = index.expand(new.get(state.editing).members) if new.get(state.editing).members else before[:0]
    if len(after) == len(before) and np.array_equal(after, before):
        state.message = (f"{what}: nothing changed (its units belong to another footprint and the lock is on)"
                         if state.lock else f"{what}: nothing changed")
        return
    verb = f"add {what} to" if len(after) > len(before) else f"remove {what} from"
    commit(new, f"{verb} {state.editing}")
    state.message = f"{verb[0].upper()}{verb[1:]} {state.editing}."


def handle_map_value(value: object) -> None:
    """Handle every event in the map's value not handled before (in order)."""
    cursor = st.session_state.get(CURSOR_KEY, EventCursor())
    events, cursor = new_events(value, cursor)
    st.session_state[CURSOR_KEY] = cursor
    for event in events:
        try:
            handle_event(event)
        except FootprintsError as exc:  # the scenario stays as it was
            errors().append(exc)


# --- sidebar callbacks (run before the page script) -------------------------------------------------

def on_load() -> None:
    choice = st.session_state.get("sketch_start", BLANK)
    try:
        if choice == BLANK:
            scenario = Scenario("Untitled scenario", geography=engine.geography, region=engine.region,
                                year=engine.year)
        else:
            from spatial.preloaded import load_preloaded

            scenario = load_preloaded(choice, geo=engine.geo)
    except FootprintsError as exc:
        errors().append(exc)
        return
    commit(scenario, f"load {scenario.name}")
    at_level = scenario.names(state.level)
    if not at_level and scenario.footprints:
        state.level = scenario.footprints[-1].level
    state.editing = None
    settle(state)
    state.message = f"Loaded {scenario.name}."


def on_level() -> None:
    state.level = st.session_state["sketch_level"]
    state.editing = None
    settle(state)


def on_editing() -> None:
    state.editing = st.session_state["sketch_editing"]


def on_brush() -> None:
    state.brush = st.session_state["sketch_brush"]


SEARCH_KEY = "sketch_search"
SEARCH_HITS_KEY = "sketch_search_hits"
SEARCH_LAYERS = ("borough", "stp", "ccg", "ward", "msoa", "unit")
SEARCH_WORDS = {"unit": "LSOA", "msoa": "MSOA", "ward": "ward", "borough": "borough", "ccg": "CCG", "stp": "STP"}


def search_hits(index, text: str, n: int = 8) -> list[tuple[str, str]]:
    """Up to ``n`` areas whose name or code starts with (then contains) ``text``: (code, label)."""
    key = text.strip().casefold()
    if not key:
        return []
    starts, contains = [], []
    for layer in SEARCH_LAYERS:
        for code, name in zip(index.layer_codes[layer], index.layer_names[layer]):
            c, nm = str(code), str(name)
            label = f"{nm} ({SEARCH_WORDS[layer]}, {c})"
            if nm.casefold().startswith(key) or c.casefold().startswith(key):
                starts.append((c, label))
            elif key in nm.casefold():
                contains.append((c, label))
            if len(starts) >= n:
                return starts
    return (starts + contains)[:n]


def add_found(code: str) -> None:
    """Add the area ``code`` (any layer) to the edited footprint with the current brush."""
    try:
        handle_event(MapEvent(0, "click", code), mode="add")
    except FootprintsError as exc:
        errors().append(exc)


def on_search() -> None:
    """Enter in the search box: add the area named (exactly, by code or name), else list suggestions."""
    text = str(st.session_state.get(SEARCH_KEY, "")).strip()
    st.session_state[SEARCH_HITS_KEY] = []
    if not text:
        return
    index = year_engine(state.scenario).index
    found = index.resolve(text)
    if found is not None:
        layer, i = found
        st.session_state[SEARCH_KEY] = ""
        add_found(str(index.layer_codes[layer][i]))
        return
    hits = search_hits(index, text)
    if len(hits) == 1:
        st.session_state[SEARCH_KEY] = ""
        add_found(hits[0][0])
        return
    st.session_state[SEARCH_HITS_KEY] = hits
    state.message = (f"{len(hits)} areas match {text!r}: pick one below the search box." if hits else
                     f"No unit, MSOA, ward, borough, CCG or STP is called {text!r}.")


def on_pick(code: str) -> None:
    st.session_state[SEARCH_HITS_KEY] = []
    st.session_state[SEARCH_KEY] = ""
    add_found(code)


def on_zoom() -> None:
    st.session_state[ZOOM_KEY] = st.session_state.get(ZOOM_KEY, 0) + 1


def on_lock() -> None:
    state.lock = bool(st.session_state["sketch_lock"])


def on_undo() -> None:
    handle_event(MapEvent(0, "undo"))


def on_redo() -> None:
    handle_event(MapEvent(0, "redo"))


def on_add() -> None:
    name = str(st.session_state.get("sketch_new_name", "")).strip()
    scenario = state.scenario
    try:
        if not name:
            name = fresh_name(scenario, state.level)
        if name in scenario.names():
            raise FootprintError(f"a footprint named {name!r} already exists", where="Add footprint",
                                 fix="choose another name")
        commit(scenario.put(Footprint(name, state.level, ())), f"add footprint {name}")
    except FootprintsError as exc:
        errors().append(exc)
        return
    state.editing = name
    state.message = f"Added {name}: click the map to give it areas."


def short_borough_list(names: list[str]) -> str:
    """``Kingston, Merton and Richmond``: borough names joined for a footprint name."""
    short = [n.replace(" upon Thames", "").replace("City of ", "") for n in names]
    return short[0] if len(short) == 1 else ", ".join(short[:-1]) + " and " + short[-1]


def on_keep_name(name: str, boroughs: tuple[str, ...]) -> None:
    st.session_state.setdefault(NAMED_KEY, {})[name] = boroughs


def on_rename(new: str | None = None) -> None:
    new = str(st.session_state.get("sketch_rename", "") if new is None else new).strip()
    old = state.editing
    try:
        if old is None:
            raise FootprintError("there is no footprint to rename", where="Rename", fix="add a footprint first")
        if not new:
            raise FootprintError("the new name is empty", where="Rename", fix="type the new name")
        commit(state.scenario.rename(old, new), f"rename {old} to {new}")
    except FootprintsError as exc:
        errors().append(exc)
        return
    state.editing = new
    st.session_state.setdefault(NAMED_KEY, {}).pop(old, None)  # named now: for what it covers now
    state.message = f"Renamed {old} to {new}."


def on_delete() -> None:
    name = state.editing
    if name is None:
        errors().append(FootprintError("there is no footprint to delete", where="Delete",
                                       fix="pick a footprint first"))
        return
    commit(state.scenario.remove(name), f"delete {name}")
    state.editing = None
    settle(state)
    state.message = f"Deleted {name} (undo brings it back)."


@st.cache_data(show_spinner=False)
def preloaded_scenarios(geography: str = "2018") -> dict[str, str]:
    """Id -> name of the preloaded scenarios of ``geography`` (read once per process)."""
    from spatial.preloaded import preloaded_for

    return {sid: name for sid, name, _ in preloaded_for(geography)}


# --- tallies (every number from spatial.checks) ------------------------------------------------------

def report_for(fp: Footprint, units: np.ndarray, parent: Footprint | None, parent_units, scenario: Scenario,
               eng) -> FootprintReport:
    """Check one footprint, memoised per session (a click changes one footprint, not all)."""
    cache: dict = st.session_state.setdefault(REPORTS_KEY, {})
    key = (fp, parent, scenario.thresholds, scenario.year)
    rep = cache.get(key)
    if rep is None:
        if len(cache) > 400:
            cache.clear()
        rep = eng.check_footprint(fp, thresholds=scenario.thresholds, units=units, parent_units=parent_units)
        cache[key] = rep
    return rep


def tallies(scenario: Scenario, level: str):
    """Unit ids of every footprint, reports of the level's footprints, coverage of the level."""
    eng = year_engine(scenario)
    index = eng.index
    members = {fp.name: (index.expand(fp.members, where=f"footprint {fp.name!r}") if fp.members
                         else np.empty(0, dtype=np.int64)) for fp in scenario.footprints}
    reports: dict[str, FootprintReport | None] = {}
    for fp in scenario.footprints:
        if fp.level != level:
            continue
        if not len(members[fp.name]):
            reports[fp.name] = None
            continue
        parent = scenario.get(fp.parent) if fp.parent else None
        reports[fp.name] = report_for(fp, members[fp.name], parent, members.get(fp.parent) if parent else None,
                                      scenario, eng)
    cov = coverage(scenario, index, members).get(level) if scenario.names(level) else None
    return members, reports, cov


def icon(passed: bool | None) -> str:
    """Pass / fail / information mark (an icon and a word, readable without colour)."""
    return {True: ":blue[:material/check_circle: pass]", False: ":red[:material/cancel: fail]",
            None: ":gray[:material/info: info]"}[passed]


def bar_html(name: str, colour: str, rep: FootprintReport | None, editing: bool) -> str:
    """One footprint's population bar: against its threshold, pass/fail colour and pattern."""
    title = escape_text(name)
    weight = "700" if editing else "400"
    if rep is None:
        return (f'<div class="fp-bar"><div style="font-weight:{weight}">{title}</div>'
                f'<div class="fp-note">no areas yet: click the map</div></div>')
    pop_check = rep.check("population")
    thr = pop_check.threshold
    marks = [thr] if isinstance(thr, (int, float)) else [t for t in (thr or []) if t]
    scale = max([rep.population, *marks, 1]) * 1.1
    failed = rep.failures()
    verdict = "fail" if failed else ("pass" if any(c.passed for c in rep.checks) else "unchecked")
    style = VERDICT_STYLES[verdict]
    fill = style.fill_color or "#BBBBBB"
    stripes = ("background-image:repeating-linear-gradient(45deg,rgba(0,0,0,.28) 0 3px,transparent 3px 7px);"
               if verdict == "fail" else "")
    width = 100 * rep.population / scale
    ticks = "".join(f'<span class="fp-tick" style="left:{100 * m / scale:.2f}%"></span>' for m in marks)
    status = ("fails: " + "; ".join(escape_text(c.reason) for c in failed[:2])) if failed else (
        "meets every test" if rep.passed and verdict == "pass" else escape_text(pop_check.reason))
    return (
        f'<div class="fp-bar"><div style="display:flex;justify-content:space-between;font-weight:{weight}">'
        f'<span><span class="fp-sw" style="background:{colour}"></span>{title}</span>'
        f'<span>{rep.population:,}</span></div>'
        f'<div class="fp-track">{ticks}<div class="fp-fill" style="width:{width:.2f}%;background-color:{fill};'
        f'{stripes}border:1px {"dashed" if verdict == "fail" else "solid"} {style.color}"></div></div>'
        f'<div class="fp-note">{"❌" if failed else ("✅" if verdict == "pass" else "➖")} {status}</div></div>'
    )


BAR_CSS = """<style>
.fp-bar{margin:0 0 .55rem 0;font-size:.86rem;line-height:1.25}
.fp-track{position:relative;height:12px;background:#f0f0f0;border-radius:2px;margin:2px 0}
.fp-fill{position:absolute;left:0;top:0;bottom:0;box-sizing:border-box;border-radius:2px}
.fp-tick{position:absolute;top:-3px;bottom:-3px;width:2px;background:#222;z-index:2}
.fp-sw{display:inline-block;width:10px;height:10px;margin-right:5px;border:1px solid #555}
.fp-note{color:#444;font-size:.8rem}
</style>"""


SIDEBAR_CSS = """<style>
section[data-testid="stSidebar"][aria-expanded="true"] { min-width: 340px; }
</style>"""


# --- the main area: the tools row and the map, drawn from a SketchView ------------------------------

#: Largest region drawn unit by unit (an NHS region has up to ~7,000 LSOAs; England's 33,755 are too many
#: for one interactive map): a map-payload limit, not a planning threshold.
SKETCH_MAX_UNITS = 7_500
KEYS_HELP = ("Click a unit to add its area (the brush) to the footprint being edited, or to remove it when the "
             "footprint already has all of it; with *Drag paints areas* on, press and drag across areas. "
             "Keyboard: Tab to the map, arrows move it, Enter takes the unit under the cross, B changes the brush, "
             "] and [ the footprint being edited, F zooms to the footprint, Ctrl+Z / Ctrl+Y undo and redo. "
             "Hover for names.")


def draw_tools(view: SketchView, slot) -> None:
    """The tools row above the map (level, footprint, brush; lock, highlight, paint, zoom, undo, redo)."""
    from spatial.thresholds import LEVEL_LABELS

    brushes = dict(view.brushes)
    t1, t2, t3 = slot.columns([1, 1.4, 1])
    st.session_state["sketch_level"] = view.level
    t1.selectbox("Level", list(view.levels), key="sketch_level", format_func=lambda k: LEVEL_LABELS[k],
                 on_change=on_level)
    if view.names:
        st.session_state["sketch_editing"] = view.editing
        t2.selectbox("Footprint being edited", list(view.names), key="sketch_editing", on_change=on_editing)
    else:
        t2.selectbox("Footprint being edited", [f"(none yet: a click starts {view.new_name})"],
                     key="sketch_editing_none", disabled=True)
    st.session_state["sketch_brush"] = view.brush
    t3.selectbox("Brush: a click takes", list(brushes), key="sketch_brush", format_func=brushes.get,
                 on_change=on_brush)
    o1, o2, o5, o6, o3, o4 = slot.columns([1.25, 1.25, 1, 0.9, 0.6, 0.6], vertical_alignment="center")
    st.session_state["sketch_lock"] = view.lock
    o1.checkbox("Lock areas in other footprints", key="sketch_lock", on_change=on_lock,
                help="With the lock on, the brush does not take units that another footprint of the same level "
                     "holds")
    o2.checkbox("Highlight areas not in a footprint", key=HIGHLIGHT_KEY)
    o5.toggle("Drag paints areas", key=PAINT_KEY,
              help="On: press, drag and release to add every area crossed (or remove them, when the first one was "
                   "in), as one step that one undo takes back. Off: dragging moves the map.")
    o6.button("Zoom to footprint", key="sketch_zoom", on_click=on_zoom, icon=":material/zoom_in_map:",
              width="stretch", help="Fit the map to the footprint being edited (key F on the map)")
    o3.button("Undo", key="sketch_undo", on_click=on_undo, disabled=view.undo is None, width="stretch",
              icon=":material/undo:", shortcut="Ctrl+Z", help=history_help("Undo", view.undo))
    o4.button("Redo", key="sketch_redo", on_click=on_redo, disabled=view.redo is None, width="stretch",
              icon=":material/redo:", shortcut="Ctrl+Y", help=history_help("Redo", view.redo))


def history_help(verb: str, label: str | None) -> str:
    """The Undo / Redo button's hint: what it would take back or do again, or that there is nothing."""
    if label is None:
        return f"Nothing to {verb.lower()}"
    from ui.tables import md  # pandas: there is something to undo only once the engine has loaded

    return f"{verb}: {md(label)}"


def draw_main(view: SketchView, tools_slot, map_slot, token: str = "") -> None:
    """The tools row and the map, each in its place of the page's frame (a new session's early draw); ``token``:
    the map's "drawn" signal (:func:`ui.sketch_start.ready_token`)."""
    draw_tools(view, tools_slot)
    with map_slot:
        clickmap(**view.map_kwargs(), ready_token=token, key=MAP_KEY)


def early_view() -> tuple[SketchView | None, Path | None, MapStart | None]:
    """A new session's view from the kept record (``None`` when the session is not new or nothing is kept),
    the record's path and the record read."""
    if STATE_KEY in st.session_state or st.session_state.get(MAP_KEY) is not None:
        return None, None, None  # not a new session: its scenario may hold anything; draw after loading
    region, geography = current_choice()
    path = start_file(region, geography, app_settings())
    start = read_start(path)
    view = blank_view(start, geography, highlight=bool(st.session_state.get(HIGHLIGHT_KEY, True)),
                      paint=bool(st.session_state.get(PAINT_KEY, False)),
                      zoom_token=str(st.session_state.get(ZOOM_KEY, ""))) if start else None
    return view, path, start


# --- the page ---------------------------------------------------------------------------------------

st.title("Sketch footprints")
tools_slot = st.container()
map_slot = st.container()
notes_slot = st.container()  # below the map: nothing inserted here moves it
st.session_state.setdefault(HIGHLIGHT_KEY, True)
st.session_state.setdefault(PAINT_KEY, False)
early, start_path, kept_start = early_view()
if early is not None:  # a new session: the map goes to the browser now, the engine once it has what it needs
    signals = map_ready.watching()
    token = ready_token(st.session_state, signals)
    draw_main(early, tools_slot, map_slot, token)
    if token and signals is not None:  # make run: its server answers the browser at once meanwhile
        signals.wait(token, MAP_READY_WAIT_S)
notes_slot.caption(KEYS_HELP)

# --- the engine (a new session's map is already on its way to the browser) ------------------------------

import numpy as np  # noqa: E402 - after the early map: imported while the browser draws it

from boundaries.errors import FootprintsError  # noqa: E402
from layers.style import SKETCH_PALETTE, VERDICT_STYLES  # noqa: E402
from layers.text import escape_text  # noqa: E402
from spatial import Footprint, Scenario  # noqa: E402
from spatial.checks import FootprintReport, contiguity_pieces, coverage  # noqa: E402
from spatial.editing import apply_brush, apply_stroke  # noqa: E402
from spatial.errors import FootprintError  # noqa: E402
from spatial.thresholds import GEOGRAPHY_LEVELS, LEVEL_LABELS, rule_names  # noqa: E402
from ui.components.clickmap import (  # noqa: E402
    EventCursor, MapEvent, ensure_map_data, level_assignment, map_data_ready, new_events,
)
from ui.state import checking_engine, commit, engine_or_stop, get_state, show_error  # noqa: E402
from ui.tables import md  # noqa: E402

engine_or_stop()  # a data-load error is a message (and the end of the run), never a traceback
engine, FLOWS_NOTE = checking_engine()  # the Check page's engine: care flows included in the verdicts
RULE_NAMES = rule_names(engine.geography)  # the tally's word for each rule
state = get_state()
if engine.geography == "2024":
    from spatial.geography import layer_word

    BRUSH_LABELS = {"unit": "one unit (LSOA 2021)", "ward": "whole ward (2024)",
                    "borough": f"whole {layer_word('borough', '2024')}", "ccg": "whole sub-ICB location",
                    "stp": "whole ICB"}
BRUSH_LABELS = {k: v for k, v in BRUSH_LABELS.items() if k in engine.index.membership}
#: Above SKETCH_MAX_UNITS the map shows places (LAD) and a click takes a whole place (or its sub-ICB / ICB).
PLACE_LEVEL = engine.index.n > SKETCH_MAX_UNITS
if PLACE_LEVEL:
    BRUSH_LABELS = {k: v for k, v in BRUSH_LABELS.items() if k in ("borough", "ccg", "stp")}
if state.brush not in BRUSH_LABELS:
    state.brush = DEFAULT_BRUSH

handle_map_value(st.session_state.get(MAP_KEY))
settle(state)
scenario = state.scenario
names = scenario.names(state.level)
# the tools first (before the tallies): Undo / Redo are enabled by the time the tally changes
can_undo, can_redo = len(state.history.past) > 1, bool(state.history.future)
tools = SketchView(
    level=state.level, levels=tuple(GEOGRAPHY_LEVELS[scenario.geography]), names=tuple(names),
    editing=state.editing, new_name=fresh_name(scenario, state.level), brush=state.brush,
    brushes=tuple(BRUSH_LABELS.items()), lock=state.lock,
    undo=state.history.past[-1][0] if can_undo else None, redo=state.history.future[-1][0] if can_redo else None,
    map=())
if early is None:
    draw_tools(tools, tools_slot)

if FLOWS_NOTE:
    notes_slot.caption(FLOWS_NOTE)
sb = st.sidebar
with sb:  # errors in the sidebar: above the map they pushed it down under the pointer
    for exc in errors():
        show_error(exc)
st.session_state[ERRORS_KEY] = []

try:
    members, reports, cov = tallies(scenario, state.level)
except FootprintsError as exc:  # e.g. a loaded scenario with unknown codes
    show_error(exc)
    st.stop()

sb.html(SIDEBAR_CSS)

# scenario (sidebar, folded once something is loaded)
preloaded = preloaded_scenarios(engine.geography)
options = [BLANK, *preloaded]
if st.session_state.get("sketch_start") not in options:
    st.session_state["sketch_start"] = "kingston-richmond" if "kingston-richmond" in options else BLANK
with sb.expander(f"Scenario: {md(scenario.name)}", expanded=not scenario.footprints, icon=":material/folder_open:"):
    st.selectbox("Start from", options, key="sketch_start",
                 format_func=lambda k: "Blank scenario" if k == BLANK else preloaded.get(k, k))
    st.button("Load", key="sketch_load", on_click=on_load, width="stretch",
              help="Replace the scenario being edited (undo brings it back)")
    st.caption(f"Population year: mid-{scenario.year}")

# live tally of the edited footprint (sidebar)
sb.text_input("Find and add an area", key=SEARCH_KEY, on_change=on_search,
              placeholder="Merton, E02000713, Merton Park, NHS Merton CCG…",
              help="A unit (LSOA), MSOA, ward, borough, CCG or STP by name or code. Enter adds it to the "
                   "footprint being edited with the current brush.")
for k, (hit_code, hit_label) in enumerate(st.session_state.get(SEARCH_HITS_KEY, [])):
    sb.button(f"Add {md(hit_label)}", key=f"sketch_hit_{k}", on_click=on_pick, args=(hit_code,), width="stretch")
sb.caption(md(state.message) if state.message else "Click the map to add or remove areas.")
tally = sb.container(key="sketch_tally", border=True)
rep = reports.get(state.editing) if state.editing else None
if state.editing is None:
    tally.markdown(f"No {LEVEL_LABELS[state.level]} footprint yet: click the map to start one, "
                   "or add one below.")
elif rep is None:
    tally.markdown(f"**{md(state.editing)}**: no areas yet. Click the map to add some.")
else:
    tally.markdown(f"**{md(rep.name)}** · {LEVEL_LABELS[rep.level]}  \n"
                   + (":blue[:material/check_circle: **meets the tests**]" if rep.passed
                      else ":red[:material/cancel: **fails a test**]"))
    tally.metric(f"Population ({'Census ' if scenario.geography == '2024' else 'mid-'}{scenario.year})",
                 f"{rep.population:,}")
    index = year_engine(scenario).index
    b_names = [str(index.layer_names["borough"][i]) for i in np.unique(index.membership["borough"][rep.units])]
    c_names = [str(index.layer_names["ccg"][i]) for i in np.unique(index.membership["ccg"][rep.units])]
    words = ("Places", "Sub-ICB locations") if scenario.geography == "2024" else ("Boroughs", "CCGs")
    tally.markdown(f"**{words[0]} ({len(b_names)}):** {md(', '.join(b_names))}  \n"
                   f"**{words[1]} ({len(c_names)}):** {md(', '.join(c_names))}  \n"
                   f"**Units:** {rep.n_units:,} · **Contiguous:** {'yes' if rep.contiguous else 'no'}")
    tally.markdown("  \n".join(f"{icon(c.passed)} **{RULE_NAMES.get(c.rule, c.rule)}**: {md(c.reason)}"
                               for c in rep.checks))
    from ui.profile_view import tally_profile

    tally_profile(tally, year_engine(scenario), scenario, rep)
    # a footprint whose boroughs changed since it was named (loaded, added or renamed): offer a new name
    named = st.session_state.setdefault(NAMED_KEY, {})
    now = tuple(b_names)
    first = named.setdefault(rep.name, now)
    if first != now and rep.level != "locality":
        suggestion = short_borough_list(b_names)
        tally.info(f"**{md(rep.name)}** was named when it covered {md(', '.join(first))}; it now covers "
                   f"{md(', '.join(now))}. Rename it?", icon=":material/edit:")
        r1, r2 = tally.columns(2)
        if suggestion not in scenario.names():
            r1.button(f"Rename to {md(suggestion)}", key="sketch_suggest_rename", on_click=on_rename,
                      args=(suggestion,))
        r2.button("Keep the name", key="sketch_keep_name", on_click=on_keep_name, args=(rep.name, now))

# bars for every footprint of the level, and what is not assigned yet (sidebar)
level_names = names
palette = [SKETCH_PALETTE[k % len(SKETCH_PALETTE)] for k in range(len(level_names))]
bars = sb.container(key="sketch_bars")
if level_names:
    bars.markdown(f"**All {LEVEL_LABELS[state.level]} footprints**")
    bars.html(BAR_CSS + "".join(bar_html(n, palette[k], reports.get(n), n == state.editing)
                                for k, n in enumerate(level_names)))
if cov is not None:
    gaps = cov["boroughs_with_gaps"]
    bars.markdown(
        f"**Not yet in a {LEVEL_LABELS[state.level]} footprint:** {cov['units_unassigned']:,} units, "
        f"{cov['population_unassigned']:,} residents"
        + (f" (in {len(gaps)} borough(s): {md(', '.join(gaps[:5]))}{'…' if len(gaps) > 5 else ''})" if gaps else "")
        + (f"  \n**In two or more footprints:** {cov['units_in_two_or_more']:,} units"
           if cov["units_in_two_or_more"] else ""))

with sb.expander("Add, rename or delete a footprint", expanded=not names, icon=":material/edit:"):
    with st.form("sketch_add_form", clear_on_submit=True, border=False):
        st.text_input("New footprint name", key="sketch_new_name", placeholder=fresh_name(scenario, state.level))
        st.form_submit_button(f"Add a {LEVEL_LABELS[state.level]}", on_click=on_add)
    if names:
        with st.form("sketch_rename_form", clear_on_submit=True, border=False):
            st.text_input("Rename the edited footprint to", key="sketch_rename")
            st.form_submit_button("Rename", on_click=on_rename, args=(None,))
        st.button("Delete the edited footprint", key="sketch_delete", on_click=on_delete, icon=":material/delete:")

# the map (nothing above it changes height with what the user does: it must stay under the pointer)
pieces: list[int] = []
map_message = state.message or ""
if rep is not None and not rep.contiguous:
    parts = contiguity_pieces(year_engine(scenario).index, rep.units)
    pieces = np.concatenate(parts[1:]).tolist()
    tally.warning(f"**{md(rep.name)}** is not one connected piece ({md(rep.check('contiguity').reason)}). "
                  "The detached pieces have a dashed outline on the map.")
    map_message = (map_message + " " if map_message else "") + f"{rep.name} is not one connected piece."
if rep is not None:
    map_message += (f" {rep.name}: population {rep.population:,}, "
                    + ("meets the tests." if rep.passed else "fails a test."))
map_geo = _place_geo(engine.geo, engine.geo.key) if PLACE_LEVEL else engine.geo
if map_data_ready(map_geo):
    data_file = ensure_map_data(map_geo)
else:
    with map_slot, st.spinner("Preparing the map (first time only)…"):
        data_file = ensure_map_data(map_geo)
assign = level_assignment(engine.index.n, [members[n] for n in level_names])
if PLACE_LEVEL:
    assign, pieces = _place_view(assign, pieces)
    st.sidebar.info(f"{engine.region} has {engine.index.n:,} units, more than the map draws one by one "
            f"({SKETCH_MAX_UNITS:,}): it shows its {len(map_geo.units):,} places, and a click takes a whole "
            "place, sub-ICB location or ICB. Pick an NHS region or an ICB in the sidebar to sketch unit by unit.")
view = replace(tools, map=map_args(
    data_file, assign, names=level_names, colours=palette,
    editing=level_names.index(state.editing) if state.editing in level_names else -1, pieces=pieces,
    highlight=bool(st.session_state[HIGHLIGHT_KEY]), caption=map_caption(BRUSH_LABELS[state.brush], state.editing),
    message=map_message.strip(), brush=state.brush, paint=bool(st.session_state[PAINT_KEY]),
    zoom_token=str(st.session_state.get(ZOOM_KEY, ""))))
if early is None:
    with map_slot:
        clickmap(**view.map_kwargs(), key=MAP_KEY)
if start_path is not None:  # a new session's first run: keep what its map took from the engine, for the next one
    now = MapStart(data_file, len(assign), dict(BRUSH_LABELS))
    if now != kept_start:
        keep_start(start_path, now)
    if early is not None and early != view:  # the kept record was stale: draw what the engine says
        st.rerun()
