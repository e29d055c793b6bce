"""The Sketch page through Streamlit's AppTest, on the real London data.

Map clicks are injected as the click map's value in session state
(``{"nonce", "events": [[seq, action, code]]}``), which the page handles with
the same code path as a click in the browser.  Expected figures are computed
here from the unit table with pandas.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ui.components.clickmap import DOUBLE, UNASSIGNED, EventCursor, MapEvent, level_assignment, map_data, new_events

APP = Path(__file__).resolve().parents[2] / "app.py"
MAP_KEY = "sketch_map"
KINGSTON, RICHMOND, MERTON, SUTTON = "E09000021", "E09000027", "E09000024", "E09000029"
KR = "Kingston and Richmond"


# --- helpers ---------------------------------------------------------------------------------------

def pop(geo, mask) -> int:
    return int(geo.units.loc[mask, "population"].sum())


def in_boroughs(geo, *codes):
    return geo.units["borough"].isin(codes)


def open_sketch() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.run()
    at.switch_page("ui/pages/sketch.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def load(at: AppTest, scenario_id: str) -> None:
    at.selectbox(key="sketch_start").set_value(scenario_id)
    at.button(key="sketch_load").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]


class Clicker:
    """Sends map events the way the component does: one iframe nonce, increasing seq."""

    def __init__(self, at: AppTest, nonce: str = "iframe-1") -> None:
        self.at, self.nonce, self.seq, self.events = at, nonce, 0, []

    def send(self, action: str, code: str = "") -> None:
        self.seq += 1
        self.events = (self.events + [[self.seq, action, code]])[-40:]
        self.at.session_state[MAP_KEY] = {"nonce": self.nonce, "events": list(self.events)}
        self.at.run()
        assert not self.at.exception, [e.value for e in self.at.exception]

    def click(self, code: str) -> None:
        self.send("click", code)


def population_shown(at: AppTest) -> int:
    metrics = [m for m in at.sidebar.get("metric") if m.label.startswith("Population")]
    assert len(metrics) == 1, "the tally shows one population figure"
    return int(metrics[0].value.replace(",", ""))


def tally_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.sidebar.markdown)


def map_args(at: AppTest) -> dict:
    (comp,) = [e for e in at.get("component_instance") if e.proto.component_name.endswith("clickmap")]
    return json.loads(comp.proto.json_args)


def scenario(at: AppTest):
    return at.session_state["footprints_state"].scenario


# --- the page on the real data ----------------------------------------------------------------------

def test_load_kingston_richmond_shows_the_failing_tally(geo):
    at = open_sketch()
    load(at, "kingston-richmond")
    kr = pop(geo, in_boroughs(geo, KINGSTON, RICHMOND))
    assert population_shown(at) == kr
    text = tally_text(at)
    assert KR in text
    assert f"below 500,000 by {500_000 - kr:,}" in text
    assert "fails a test" in text
    # what is not assigned at the multi-borough level: everything outside the two boroughs
    outside = ~in_boroughs(geo, KINGSTON, RICHMOND)
    assert f"{int(outside.sum()):,} units, {pop(geo, outside):,} residents" in text
    # the map gets one value per unit, in the unit table's order: 0 for the footprint, -1 elsewhere
    args = map_args(at)
    assert args["names"] == [KR]
    assert args["editing"] == 0
    expected = np.where(in_boroughs(geo, KINGSTON, RICHMOND), 0, UNASSIGNED)
    assert args["assign"] == expected.tolist()


def krm_containment(geo) -> float:
    """Care-flow containment of Kingston + Richmond + Merton by the trusts based inside it,
    computed plainly with pandas from the source CSVs (not by the care-flow model)."""
    from tests.conftest import require_data_dir
    from tests.spatial.test_careflows import pandas_measures, read_raw

    units = geo.units[geo.units["borough"].isin([KINGSTON, RICHMOND, MERTON])]
    return float(pandas_measures(geo, read_raw(require_data_dir()), units)["containment"])


def test_click_adds_merton_then_same_unit_removes_it(geo):
    at = open_sketch()
    load(at, "kingston-richmond")
    clicks = Clicker(at)
    merton_unit = str(geo.units.loc[geo.units["borough"] == MERTON, "code"].iloc[0])
    clicks.click(merton_unit)  # brush = whole borough (the default)
    krm = pop(geo, in_boroughs(geo, KINGSTON, RICHMOND, MERTON))
    assert population_shown(at) == krm
    assert f"population {krm:,} is at least 500,000" in tally_text(at)
    # the verdict includes care flows, as on the Check page (containment from the model, computed here)
    containment = krm_containment(geo)
    shown = tally_text(at).replace("\\", "")  # the tally escapes Markdown (e.g. "38\\.6%")
    assert "Care-flow containment**: core providers" in shown and f"{100 * containment:.1f}%" in shown
    assert containment == pytest.approx(0.386, abs=5e-4)  # well under 70%: Merton does not rescue K&R
    assert "fails a test" in tally_text(at)
    assert sum(k == 0 for k in map_args(at)["assign"]) == int(in_boroughs(geo, KINGSTON, RICHMOND, MERTON).sum())
    # a rerun with the same component value is not a new click
    at.run()
    assert population_shown(at) == krm
    # the same unit clicked again is a new event (new seq): the toggle removes Merton
    clicks.click(merton_unit)
    assert population_shown(at) == pop(geo, in_boroughs(geo, KINGSTON, RICHMOND))
    # a new iframe (page reload) restarts seq with a new nonce: still handled
    again = Clicker(at, nonce="iframe-2")
    again.click(merton_unit)
    assert population_shown(at) == krm


def test_unit_and_msoa_brushes(geo):
    at = open_sketch()
    load(at, "kingston-richmond")
    kr = pop(geo, in_boroughs(geo, KINGSTON, RICHMOND))
    at.selectbox(key="sketch_brush").set_value("unit").run()
    sutton = geo.units[geo.units["borough"] == SUTTON]
    unit = sutton.iloc[0]
    clicks = Clicker(at)
    clicks.click(str(unit["code"]))
    assert population_shown(at) == kr + int(unit["population"])
    at.selectbox(key="sketch_brush").set_value("msoa").run()
    other = sutton[sutton["msoa"] != unit["msoa"]].iloc[0]
    clicks.click(str(other["code"]))
    msoa_pop = pop(geo, geo.units["msoa"] == other["msoa"])
    assert population_shown(at) == kr + int(unit["population"]) + msoa_pop
    at.selectbox(key="sketch_brush").set_value("ward").run()
    taken = set(geo.units.loc[geo.units["msoa"] == other["msoa"], "code"]) | {unit["code"]}
    third = sutton[~sutton["ward"].isin(sutton.loc[sutton["code"].isin(taken), "ward"])].iloc[0]
    clicks.click(str(third["code"]))
    ward_pop = pop(geo, geo.units["ward"] == third["ward"])
    assert population_shown(at) == kr + int(unit["population"]) + msoa_pop + ward_pop


def test_detached_unit_is_named_and_outlined(geo):
    at = open_sketch()
    load(at, "kingston-richmond")
    at.selectbox(key="sketch_brush").set_value("unit").run()
    kr_shape = geo.units[in_boroughs(geo, KINGSTON, RICHMOND)].union_all()
    havering = geo.units[geo.units["borough_name"] == "Havering"]
    far = havering.iloc[0]
    assert far.geometry.distance(kr_shape) > 10_000  # plainly not touching (shapely, metres)
    Clicker(at).click(str(far["code"]))
    text = tally_text(at)
    assert "**Contiguous:** no" in text
    assert "in 2 pieces" in text and str(far["code"]) in text
    assert any("not one connected piece" in w.value for w in at.warning)
    assert map_args(at)["pieces"] == [int(geo.units.index.get_loc(far.name))]


def test_lock_keeps_units_of_other_footprints(geo):
    at = open_sketch()
    load(at, "kingston-richmond")
    at.text_input(key="sketch_new_name").input("Other system")
    next(b for b in at.button if b.label.startswith("Add a")).click()
    at.run()
    assert scenario(at).names("multi_borough") == [KR, "Other system"]
    assert at.selectbox(key="sketch_editing").value == "Other system"
    kingston_unit = str(geo.units.loc[geo.units["borough"] == KINGSTON, "code"].iloc[0])
    clicks = Clicker(at)
    clicks.click(kingston_unit)  # lock is on: Kingston belongs to Kingston and Richmond
    assert scenario(at).get("Other system").members == ()
    assert "nothing changed" in " ".join(c.value for c in at.caption)
    at.checkbox(key="sketch_lock").uncheck().run()
    clicks.click(kingston_unit)
    n_kingston = int((geo.units["borough"] == KINGSTON).sum())
    assert population_shown(at) == pop(geo, geo.units["borough"] == KINGSTON)
    assert f"In two or more footprints:** {n_kingston:,} units" in tally_text(at)
    assert sum(k == DOUBLE for k in map_args(at)["assign"]) == n_kingston


def test_undo_redo_buttons_and_keyboard_events(geo):
    at = open_sketch()
    load(at, "kingston-richmond")
    kr = pop(geo, in_boroughs(geo, KINGSTON, RICHMOND))
    krm = pop(geo, in_boroughs(geo, KINGSTON, RICHMOND, MERTON))
    clicks = Clicker(at)
    clicks.click(MERTON)
    assert population_shown(at) == krm
    at.button(key="sketch_undo").click().run()
    assert population_shown(at) == kr
    assert not at.button(key="sketch_redo").disabled
    at.button(key="sketch_redo").click().run()
    assert population_shown(at) == krm
    clicks.send("undo")  # Ctrl+Z inside the map
    assert population_shown(at) == kr
    clicks.send("redo")  # Ctrl+Y inside the map
    assert population_shown(at) == krm
    # undo past the load goes back to the blank scenario, and the page copes
    clicks.send("undo")
    clicks.send("undo")
    assert scenario(at).footprints == ()
    assert at.button(key="sketch_undo").disabled


def test_add_rename_delete_and_escaping(geo):
    at = open_sketch()
    load(at, "kingston-richmond")
    evil = "<img src=x onerror=alert(1)> *bold* :material/home:"
    at.text_input(key="sketch_rename").input(evil)
    next(b for b in at.button if b.label == "Rename").click()
    at.run()
    assert scenario(at).names("multi_borough") == [evil]
    assert scenario(at).get(evil).parent == "South West London"
    bars = " ".join(h.proto.body for h in at.get("html"))
    assert "&lt;img src=x onerror=alert(1)&gt;" in bars and "<img" not in bars
    assert any(r"\*bold\*" in m.value and r"\:material/home\:" in m.value for m in at.sidebar.markdown)
    # renaming to a name in use is refused with a message, and nothing changes
    at.text_input(key="sketch_rename").input("South West London")
    next(b for b in at.button if b.label == "Rename").click()
    at.run()
    assert any("already exists" in e.value for e in at.error)
    assert scenario(at).names("multi_borough") == [evil]
    at.button(key="sketch_delete").click().run()
    assert scenario(at).names() == ["South West London"]
    assert at.button(key="sketch_undo").disabled is False
    at.button(key="sketch_undo").click().run()
    assert scenario(at).names("multi_borough") == [evil]


def test_a_click_on_an_empty_level_starts_a_footprint(geo):
    at = open_sketch()  # blank scenario
    assert scenario(at).footprints == ()
    at.selectbox(key="sketch_level").set_value("locality").run()
    at.selectbox(key="sketch_brush").set_value("msoa").run()
    unit = geo.units.iloc[100]
    Clicker(at).click(str(unit["code"]))
    (fp,) = scenario(at).footprints
    assert fp.level == "locality" and fp.name == "New locality 1"
    assert population_shown(at) == pop(geo, geo.units["msoa"] == unit["msoa"])
    assert "locality" in tally_text(at)


def test_bad_click_shows_an_error_and_keeps_the_scenario(geo):
    at = open_sketch()
    load(at, "kingston-richmond")
    before = scenario(at)
    Clicker(at).click("E01999999")
    assert any("unknown code" in e.value and "E01999999" in e.value for e in at.error)
    assert scenario(at) == before
    assert not at.exception


def test_two_sessions_do_not_share_edits(geo):
    one, two = open_sketch(), open_sketch()
    load(one, "kingston-richmond")
    load(two, "kingston-richmond")
    Clicker(one).click(MERTON)
    two.run()
    assert population_shown(one) == pop(geo, in_boroughs(geo, KINGSTON, RICHMOND, MERTON))
    assert population_shown(two) == pop(geo, in_boroughs(geo, KINGSTON, RICHMOND))
    assert scenario(two).get(KR).members == (KINGSTON, RICHMOND)


# --- the click map's pure parts ------------------------------------------------------------------

def test_new_events_picks_only_unhandled_events():
    cursor = EventCursor()
    events, cursor = new_events({"nonce": "a", "events": [[1, "click", "E01000001"]]}, cursor)
    assert events == [MapEvent(1, "click", "E01000001")] and cursor == EventCursor("a", 1)
    # the same value again (a rerun for another reason) brings nothing
    assert new_events({"nonce": "a", "events": [[1, "click", "E01000001"]]}, cursor) == ([], cursor)
    # two clicks between reruns are both delivered, in order; the same unit twice is two events
    value = {"nonce": "a", "events": [[1, "click", "E01000001"], [3, "click", "E01000002"],
                                      [2, "click", "E01000002"]]}
    events, cursor = new_events(value, cursor)
    assert [e.seq for e in events] == [2, 3] and cursor.seq == 3
    # a new iframe restarts at 1
    events, cursor = new_events({"nonce": "b", "events": [[1, "undo", ""]]}, cursor)
    assert events == [MapEvent(1, "undo", "")] and cursor == EventCursor("b", 1)


@pytest.mark.parametrize("value", [None, "x", {}, {"nonce": 3}, {"nonce": "a", "events": "x"},
                                   {"nonce": "a", "events": [["1", "click", "E01"], [2, "drop", "E01"],
                                                             [3, "click", ""], [True, "undo"], 5]},
                                   {"nonce": "a", "events": [[1, "paint", []], [2, "paint", "E01"],
                                                             [3, "paint", ["E01", 4]]]}])
def test_new_events_ignores_malformed_values(value):
    assert new_events(value, EventCursor("a", 0))[0] == []


def test_level_assignment_marks_gaps_and_double_counting():
    out = level_assignment(6, [np.array([0, 1]), np.array([1, 2]), np.array([4])])
    assert out == [0, DOUBLE, 1, UNASSIGNED, 2, UNASSIGNED]
    assert level_assignment(3, []) == [UNASSIGNED] * 3


def test_map_data_matches_the_unit_table(geo, index):
    data = map_data(geo)
    assert data["codes"] == geo.units["code"].tolist() == index.codes.tolist()
    for layer in ("msoa", "ward", "borough", "ccg"):
        codes = np.asarray(data["areas"][layer]["codes"])[data[layer]]
        assert codes.tolist() == geo.units[layer].astype(str).tolist()
    ward_names = np.asarray(data["areas"]["ward"]["names"])[data["ward"]]
    assert ward_names.tolist() == geo.units["ward_name"].astype(str).tolist()
    names = np.asarray(data["areas"]["borough"]["names"])[data["borough"]]
    assert names.tolist() == geo.units["borough_name"].astype(str).tolist()
    assert len(data["units"]["g"]) == len(geo.units)
    assert len(data["boroughs"]["g"]) == len(geo.layer("borough"))
    # decode the packed topology the way the browser does and compare each unit's bounding box
    t = data["units"]
    arcs = []
    for a in t["a"]:
        xy = np.cumsum(np.asarray(a, dtype=np.int64).reshape(-1, 2), axis=0)
        arcs.append(xy * np.asarray(t["s"]) + np.asarray(t["t"]))
    bounds = geo.units.to_crs(4326).bounds.to_numpy()
    for k in range(0, len(geo.units), 97):
        g = t["g"][k]
        pts = np.vstack([arcs[i if i >= 0 else ~i] for poly in g for ring in poly for i in ring])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        assert np.allclose(lo, bounds[k, :2], atol=5e-4) and np.allclose(hi, bounds[k, 2:], atol=5e-4), k
    minx, miny, maxx, maxy = geo.units.to_crs(4326).total_bounds
    assert np.allclose(data["bounds"], [[miny, minx], [maxy, maxx]], atol=1e-4)
    (south, west), (north, east) = data["bounds"]
    assert 51.2 < south < 51.4 < 51.6 < north < 51.8 and -0.6 < west < -0.4 and 0.2 < east < 0.4  # London


def test_paint_stroke_is_one_undoable_step(geo):
    """A paint event of ten units adds them all at once (tally once), and one undo takes all ten back."""
    at = open_sketch()
    load(at, "kingston-richmond")
    at.selectbox(key="sketch_brush").set_value("unit").run()
    kr = pop(geo, in_boroughs(geo, KINGSTON, RICHMOND))
    merton = geo.units[geo.units["borough"] == MERTON]
    crossed = merton["code"].astype(str).tolist()[:10]
    clicks = Clicker(at)
    past_before = len(at.session_state["footprints_state"].history.past)
    clicks.send("paint", crossed + crossed[:2])  # a stroke passing back over a unit takes it once
    assert population_shown(at) == kr + pop(geo, geo.units["code"].isin(crossed))
    assert len(at.session_state["footprints_state"].history.past) == past_before + 1
    assert "Add 10 units to Kingston and Richmond" in " ".join(c.value for c in at.sidebar.caption)
    assert map_args(at)["message"].startswith("Add 10 units to Kingston and Richmond.")
    at.button(key="sketch_undo").click().run()
    assert population_shown(at) == kr
    # a stroke that starts inside the footprint removes what it crosses
    king = geo.units.loc[geo.units["borough"] == KINGSTON, "code"].astype(str).tolist()[:4]
    clicks.send("paint", king)
    assert population_shown(at) == kr - pop(geo, geo.units["code"].isin(king))


def test_messages_never_sit_above_the_map(geo):
    """Nothing that depends on the user's edits is drawn between the title and the map."""
    at = open_sketch()
    load(at, "kingston-richmond")
    at.selectbox(key="sketch_brush").set_value("unit").run()
    far = geo.units[geo.units["borough_name"] == "Havering"].iloc[0]
    Clicker(at).click(str(far["code"]))  # a detached piece: a warning and a message
    assert any("not one connected piece" in w.value for w in at.sidebar.warning)
    assert not at.main.warning and not at.main.error
    assert "not one connected piece" in map_args(at)["message"]
    main_captions = [c.value for c in at.main.caption]
    assert not any("Add " in c for c in main_captions), main_captions


def test_adding_a_borough_offers_to_rename_the_footprint(geo):
    """K&R + Merton: the name no longer says what it covers; the sidebar offers a new name."""
    at = open_sketch()
    load(at, "kingston-richmond")
    assert not at.sidebar.info, [i.value for i in at.sidebar.info]
    merton_unit = str(geo.units.loc[geo.units["borough"] == MERTON, "code"].iloc[0])
    Clicker(at).click(merton_unit)
    (info,) = [i for i in at.sidebar.info if "Rename it?" in i.value]
    assert "Merton" in info.value and KR in info.value
    at.button(key="sketch_suggest_rename").click().run()
    assert not at.exception
    assert "Kingston, Merton and Richmond" in scenario(at).names()
    assert population_shown(at) == pop(geo, in_boroughs(geo, KINGSTON, RICHMOND, MERTON))
    assert not [i for i in at.sidebar.info if "Rename it?" in i.value]
    # "Keep the name" after another change keeps it and stops asking
    sutton_unit = str(geo.units.loc[geo.units["borough"] == SUTTON, "code"].iloc[0])
    Clicker(at, nonce="iframe-2").click(sutton_unit)
    assert [i for i in at.sidebar.info if "Rename it?" in i.value]
    at.button(key="sketch_keep_name").click().run()
    assert not [i for i in at.sidebar.info if "Rename it?" in i.value]
    assert "Kingston, Merton and Richmond" in scenario(at).names()


def test_search_box_adds_an_area_by_name_or_code_with_suggestions(geo):
    """Type a name or code, Enter: added with the current brush; a partial name lists suggestions."""
    at = open_sketch()
    load(at, "kingston-richmond")
    kr = pop(geo, in_boroughs(geo, KINGSTON, RICHMOND))
    at.text_input(key="sketch_search").input("merton").run()  # exact borough name, any case
    assert not at.exception
    assert population_shown(at) == pop(geo, in_boroughs(geo, KINGSTON, RICHMOND, MERTON))
    at.button(key="sketch_undo").click().run()
    assert population_shown(at) == kr
    # a partial name: suggestions, then a pick adds it (brush "one unit": the MSOA itself)
    at.selectbox(key="sketch_brush").set_value("unit").run()
    at.text_input(key="sketch_search").input("Sutton 00").run()
    labels = [b.label for b in at.sidebar.button if b.key and b.key.startswith("sketch_hit_")]
    assert labels and all("Sutton 00" in lab for lab in labels)
    msoa = geo.units.loc[geo.units["msoa_name"] == "Sutton 001"]
    assert len(msoa) >= 3  # an MSOA of several units
    (k,) = [i for i, lab in enumerate(labels) if lab.startswith("Add Sutton 001 \\(MSOA")]
    at.button(key=f"sketch_hit_{k}").click().run()
    assert population_shown(at) == kr + int(msoa["population"].sum())
    # an unknown name says so and changes nothing
    at.text_input(key="sketch_search").input("Atlantis").run()
    assert population_shown(at) == kr + int(msoa["population"].sum())
    assert "No unit, MSOA, ward, borough, CCG or STP is called 'Atlantis'" in " ".join(
        c.value for c in at.sidebar.caption).replace("\\", "")


def test_map_keys_switch_brush_and_footprint(geo):
    """Keys on the map (B, ], [) arrive as events: the brush cycles, the edited footprint moves on."""
    at = open_sketch()
    load(at, "swl-partnerships")
    names = scenario(at).names("multi_borough")
    assert len(names) == 4
    state = at.session_state["footprints_state"]
    first = state.editing
    keys = Clicker(at)
    keys.send("next_footprint")
    assert state.editing == names[(names.index(first) + 1) % 4]
    keys.send("previous_footprint")
    keys.send("previous_footprint")
    assert state.editing == names[(names.index(first) - 1) % 4]
    assert at.selectbox(key="sketch_editing").value == state.editing
    assert state.brush == "borough"
    keys.send("next_brush")
    assert state.brush == "ccg" and at.selectbox(key="sketch_brush").value == "ccg"
    keys.send("next_brush")
    assert state.brush == "unit"
    # the brush then takes one unit: a click adds exactly that unit's residents
    before = population_shown(at)
    unit = geo.units.loc[~geo.units["borough"].isin([KINGSTON, RICHMOND, MERTON, SUTTON, "E09000008",
                                                       "E09000032"])].iloc[0]
    keys.click(str(unit["code"]))
    assert population_shown(at) == before + int(unit["population"])


def test_first_footprint_of_a_blank_scenario_is_checked_with_care_flows(geo):
    """The first footprint drawn on a blank scenario is checked with the care-flow model, in the run of the click."""
    at = open_sketch()
    assert not any("Care-flow containment" in m.value for m in at.sidebar.markdown)
    clicks = Clicker(at)
    clicks.click(str(geo.units.loc[geo.units["borough"] == MERTON, "code"].iloc[0]))  # whole borough
    assert population_shown(at) == pop(geo, in_boroughs(geo, MERTON))
    shown = tally_text(at).replace("\\", "")
    assert "**Care-flow containment**:" in shown and "St George's University Hospitals" in shown, shown
