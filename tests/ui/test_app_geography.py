"""The app's geography / region picker, driven with AppTest on the real data (2024, London ICBs)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from spatial import Footprint, Scenario
from tests.conftest import require_data_dir
from ui.state import GEOGRAPHY_KEY, REGION_KEY, STATE_KEY, AppState

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def test_picker_switches_to_2024_and_check_page_uses_it(tmp_path, monkeypatch):
    data = require_data_dir()
    monkeypatch.setenv("FOOTPRINTS_SCENARIOS", str(tmp_path / "saved"))
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    assert not at.exception, at.exception
    assert at.sidebar.radio(key=GEOGRAPHY_KEY).value == "2018"
    at.sidebar.radio(key=GEOGRAPHY_KEY).set_value("2024").run()
    assert not at.exception, at.exception
    assert at.sidebar.selectbox(key=REGION_KEY).value == "london"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["units (LSOA 2021)"] == "4,994" and metrics["ICBs (2024)"] == "5"
    pop = pd.read_csv(data / "england21/lsoa21_pop_census2021.csv")
    look = pd.read_csv(data / "nhs/lookups/lsoa21_sicbl24_icb24_en.csv")
    london = pop.merge(look, on="lsoa21_code")
    london = london[london["ltla22_code"].str.startswith("E09")]
    assert metrics["Residents (Census 2021)"] == f"{int(london['usual_residents_all'].sum()):,}"
    # a 2018 scenario on screen when the geography changes: kept in the undo history, a 2024 one started
    old = AppState()
    old.history.push(Scenario("old", (Footprint("K", "borough", ("E09000021",)),)), "test")
    at.session_state[STATE_KEY] = old
    at.switch_page("ui/pages/check.py")
    at.run()
    assert not at.exception, at.exception
    state = at.session_state[STATE_KEY]
    assert state.scenario.geography == "2024" and "2024 geography" in state.message
    import copy

    undone = copy.deepcopy(state.history)
    undone.undo()
    assert undone.current.name == "old" and undone.current.geography == "2018"
    # a 2024 cluster on the Check page
    sc = Scenario("NCL + NEL", (Footprint("NCL + NEL", "icb_cluster", ("QMJ", "QMF")),), geography="2024",
                  region="london", year=2021)
    st = AppState()
    st.history.push(sc, "test")
    at.session_state[STATE_KEY] = st
    at.switch_page("ui/pages/check.py")
    at.run()
    assert not at.exception, at.exception
    text = " ".join(str(e.value) for e in at.markdown) + " ".join(str(d.value) for d in at.dataframe)
    expect = int(london[london["icb24_code_nhs"].isin(["QMJ", "QMF"])]["usual_residents_all"].sum())
    assert f"{expect:,}" in text
    # an ICB as region
    at.sidebar.selectbox(key=REGION_KEY).set_value("QMF").run()
    assert not at.exception, at.exception
    at.switch_page("ui/pages/home.py")
    at.run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["ICBs (2024)"] == "1" and metrics["places (LAD 2024)"] == "8"


def test_sketch_at_unit_level_for_an_icb_and_not_for_england(tmp_path, monkeypatch):
    require_data_dir()
    monkeypatch.setenv("FOOTPRINTS_SCENARIOS", str(tmp_path / "saved"))
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state[GEOGRAPHY_KEY] = "2024"
    at.session_state[REGION_KEY] = "QMF"
    at.run()
    assert not at.exception, at.exception
    at.switch_page("ui/pages/sketch.py")
    at.run()
    assert not at.exception, at.exception
    levels = at.selectbox(key="sketch_level").options
    assert levels == ["neighbourhood", "place", "multi-place system", "ICB", "ICB cluster"]
    assert "whole ICB" in at.selectbox(key="sketch_brush").options
    # the largest NHS region (Midlands, 6,421 units) is drawn unit by unit
    at.sidebar.selectbox(key=REGION_KEY).set_value("Y60").run()
    assert not at.exception, at.exception
    import json as _json

    (comp,) = [e for e in at.get("component_instance") if e.proto.component_name.endswith("clickmap")]
    assert len(_json.loads(comp.proto.json_args)["assign"]) == 6421
    at.sidebar.selectbox(key=REGION_KEY).set_value("england").run()
    assert not at.exception, at.exception
    assert any("33,755 units" in str(i.value) and "296 places" in str(i.value) for i in at.info)
    # England at place level: the map's areas are the 296 places; a click takes a whole place
    import json

    (comp,) = [e for e in at.get("component_instance") if e.proto.component_name.endswith("clickmap")]
    args = json.loads(comp.proto.json_args)
    assert len(args["assign"]) == 296
    at.session_state["sketch_map"] = {"nonce": "iframe-1", "events": [[1, "click", "E08000025"]]}  # Birmingham
    at.run()
    assert not at.exception, at.exception
    raw = pd.read_csv(require_data_dir() / "england21/lsoa21_pop_census2021.csv")
    look = pd.read_csv(require_data_dir() / "nhs/lookups/lsoa21_sicbl24_icb24_en.csv")
    birmingham = raw.merge(look, on="lsoa21_code").query("ltla22_code == 'E08000025'")["usual_residents_all"].sum()
    metrics = [m for m in at.sidebar.get("metric") if m.label.startswith("Population")]
    assert metrics and int(metrics[0].value.replace(",", "")) == int(birmingham)
    (comp,) = [e for e in at.get("component_instance") if e.proto.component_name.endswith("clickmap")]
    args = json.loads(comp.proto.json_args)
    assert sum(1 for a in args["assign"] if a == 0) == 1  # one place drawn as the footprint


def test_every_page_runs_in_the_2024_geography(tmp_path, monkeypatch):
    require_data_dir()
    monkeypatch.setenv("FOOTPRINTS_SCENARIOS", str(tmp_path / "saved"))
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state[GEOGRAPHY_KEY] = "2024"
    at.session_state[REGION_KEY] = "QMF"
    at.run()
    sc = Scenario("NEL places", (Footprint("NEL", "icb", ("QMF",)),
                                 Footprint("Hackney", "place", ("E09000012",), parent="NEL")),
                  geography="2024", region="QMF", year=2021)
    st = AppState()
    st.history.push(sc, "test")
    at.session_state[STATE_KEY] = st
    for page in ("ui/pages/check.py", "ui/pages/overlaps.py", "ui/pages/proposals.py", "ui/pages/scenarios.py", "ui/pages/export.py"):
        at.switch_page(page)
        at.run()
        assert not at.exception, f"{page}: {at.exception}"
        if page == "ui/pages/overlaps.py":  # councils x ICBs by default; the ICB holds all of its 8 councils
            assert at.selectbox(key="overlaps_a").value.startswith("Upper-tier councils")
            assert at.selectbox(key="overlaps_b").value.startswith("ICBs")
            shown = " ".join(str(d.value) for d in at.dataframe)
            assert "Hackney" in shown


def test_preloaded_2024_scenarios_open_in_the_app(tmp_path, monkeypatch):
    data = require_data_dir()
    monkeypatch.setenv("FOOTPRINTS_SCENARIOS", str(tmp_path / "saved"))
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state[GEOGRAPHY_KEY] = "2024"
    at.session_state[REGION_KEY] = "QMF"
    at.run()
    at.switch_page("ui/pages/scenarios.py")
    at.run()
    assert not at.exception, at.exception
    box = at.selectbox(key="scenarios_preloaded")
    assert set(box.options) >= {"ICBs and sub-ICB locations (April 2024)", "ICBs and their places (April 2024)"}
    box.set_value("icb-places-2024").run()
    at.button(key="scenarios_open_preloaded").click().run()
    assert not at.exception, at.exception
    sc = at.session_state[STATE_KEY].scenario
    assert sc.geography == "2024" and sc.name == "ICBs and their places (April 2024)"
    look = pd.read_csv(data / "nhs/lookups/lsoa21_sicbl24_icb24_en.csv")
    places = set(look.loc[look["icb24_code_nhs"] == "QMF", "ltla22_code"])
    assert {f.members[0] for f in sc.footprints if f.level == "place"} == places


def test_pages_for_all_of_england_2024(tmp_path, monkeypatch):
    data = require_data_dir()
    monkeypatch.setenv("FOOTPRINTS_SCENARIOS", str(tmp_path / "saved"))
    at = AppTest.from_file(APP, default_timeout=600)
    at.session_state[GEOGRAPHY_KEY] = "2024"
    at.session_state[REGION_KEY] = "england"
    at.run()
    assert not at.exception, at.exception
    sc = Scenario("clusters", (Footprint("Surrey + Sussex", "icb_cluster", ("QXU", "QNX")),),
                  geography="2024", region="england", year=2021)
    st = AppState()
    st.history.push(sc, "test")
    at.session_state[STATE_KEY] = st
    for page in ("ui/pages/check.py", "ui/pages/overlaps.py", "ui/pages/proposals.py", "ui/pages/scenarios.py", "ui/pages/export.py"):
        at.switch_page(page)
        at.run()
        assert not at.exception, f"{page}: {at.exception}"
        if page == "ui/pages/check.py":
            pop = pd.read_csv(data / "england21/lsoa21_pop_census2021.csv")
            look = pd.read_csv(data / "nhs/lookups/lsoa21_sicbl24_icb24_en.csv")
            utla = pd.read_csv(data / "local_authorities/ltla23_utla23_lookup.csv")
            l22 = pd.read_csv(data / "local_authorities/ltla22_ltla23_lookup.csv")
            df = pop.merge(look, on="lsoa21_code").merge(l22[["ltla22_code", "ltla23_code"]], on="ltla22_code") \
                .merge(utla[["ltla23_code", "utla23_code"]], on="ltla23_code")
            surrey = df[df["utla23_code"] == "E10000030"]
            share = surrey[surrey["icb24_code_nhs"].isin(["QXU", "QNX"])]["usual_residents_all"].sum() \
                / surrey["usual_residents_all"].sum()
            text = " ".join(str(e.value) for e in at.markdown) + " ".join(str(d.value) for d in at.dataframe)
            assert f"Surrey is {100 * share:.1f}% inside" in text
