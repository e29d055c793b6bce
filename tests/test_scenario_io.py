"""Scenario files, assignment CSVs and exports, on the real London data.

Numbers are checked against plain pandas/shapely computations on ``geo.units``
written here, never against figures copied from our own output.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from boundaries.errors import FootprintsError
from spatial import scenario_io
from spatial.io import scenario_json  # the JSON writer (json.dump, os.replace) lives here
from spatial.errors import (
    AssignmentError,
    FootprintError,
    ScenarioError,
    ScenarioFormatError,
    ThresholdError,
    UnknownCodeError,
)
from spatial.footprints import Footprint, Scenario
from spatial.preloaded import list_preloaded, load_preloaded
from spatial.scenario_io import (
    assignment_from_csv,
    assignment_to_csv,
    dumps,
    export_geojson,
    export_gpkg,
    footprints_frame,
    load_scenario,
    loads,
    save_scenario,
    scenario_from_dict,
    scenario_to_dict,
    validate_members,
)
from spatial.thresholds import Thresholds

BHR = ["E09000002", "E09000016", "E09000026"]


def _units_of_boroughs(geo, codes) -> set[str]:
    u = geo.units
    return set(u.loc[u["borough"].isin(codes), "code"])


def _sample() -> Scenario:
    return Scenario(
        "Tést — NEL",
        (
            Footprint("North East London", "stp", ("E54000029",), notes="STP"),
            Footprint("BHR", "multi_borough", tuple(BHR), parent="North East London", notes="coalition",
                      core_providers=("R1H", "rf4")),
            Footprint("Hackney locality", "locality", ("E02000346", "e01033713 ")),
        ),
        Thresholds(system_min_population=450_000, care_flow_min=0.65),
        2019,
        "a description",
        "a source",
    )


def _base_dict() -> dict:
    return json.loads(dumps(_sample()))


def _no_temp_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


# --- round trip -------------------------------------------------------------------------------

def test_round_trip_equals(tmp_path):
    s = _sample()
    path = save_scenario(s, tmp_path / "plan.json")
    back = load_scenario(path)
    assert back == s
    assert back.thresholds.system_min_population == 450_000
    assert back.get("BHR").core_providers == ("R1H", "RF4")
    assert loads(dumps(s)) == s
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "footprints-scenario" and data["version"] == 1 and "geography" not in data
    # only overrides are stored
    assert data["thresholds"] == {"system_min_population": 450_000, "care_flow_min": 0.65}
    assert "Tést — NEL" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("sid", [sid for sid, _, _ in list_preloaded()])
def test_round_trip_preloaded(sid, tmp_path):
    s = load_preloaded(sid)
    assert load_scenario(save_scenario(s, tmp_path / f"{sid}.json")) == s
    assert scenario_from_dict(scenario_to_dict(s)) == s


def test_doc_example_loads(index):
    text = (Path(__file__).resolve().parents[1] / "docs" / "SCENARIO_FORMAT.md").read_text(encoding="utf-8")
    block = re.search(r"```json\n(.*?)```", text, re.S).group(1)
    s = loads(block, where="SCENARIO_FORMAT.md")
    units = validate_members(s, index)
    geo = index.geo
    assert set(index.codes[units["WELC"]]) == _units_of_boroughs(geo, ["E09000030", "E09000031", "E09000025"])
    assert s.thresholds.system_min_population == 450_000 and s.year == 2019


# --- atomic save ------------------------------------------------------------------------------

def test_save_failure_midway_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "plan.json"
    save_scenario(_sample(), path)
    before = path.read_bytes()

    def broken_dump(obj, f, **kw):
        f.write('{"format": "footprints-scenario", "name": ')
        raise OSError("disk full")

    monkeypatch.setattr(scenario_json.json, "dump", broken_dump)
    with pytest.raises(OSError, match="disk full"):
        save_scenario(_sample().with_year(2020), path)
    assert path.read_bytes() == before
    assert _no_temp_files(tmp_path) == []


def test_save_failure_at_replace_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "plan.json"
    save_scenario(_sample(), path)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError("replace failed")

    monkeypatch.setattr(scenario_json.os, "replace", broken_replace)
    with pytest.raises(OSError, match="replace failed"):
        save_scenario(_sample().with_year(2020), path)
    assert path.read_bytes() == before
    assert _no_temp_files(tmp_path) == []


def test_save_to_missing_folder(tmp_path):
    with pytest.raises(ScenarioError, match="does not exist"):
        save_scenario(_sample(), tmp_path / "nope" / "plan.json")


# --- bad input --------------------------------------------------------------------------------

def _mutate(fn):
    d = _base_dict()
    fn(d)
    return json.dumps(d, indent=2)


BAD = [
    ("malformed", '{\n  "format": "footprints-scenario",\n  "version": 1\n  "name": "x"\n}',
     ScenarioFormatError, ["line 4, column 3", "not valid JSON"]),
    ("empty", "", ScenarioFormatError, ["empty"]),
    ("nan", '{"format": "footprints-scenario", "version": 1, "name": "x", "year": NaN}',
     ScenarioFormatError, ["NaN"]),
    ("dupkey", '{"format": "footprints-scenario", "version": 1, "name": "x", "name": "y"}',
     ScenarioFormatError, ["twice"]),
    ("toplist", "[1, 2]", ScenarioFormatError, ["the top level", "must be an object"]),
    ("format", _mutate(lambda d: d.update(format="geojson")), ScenarioFormatError,
     ["format", "not a Footprints scenario file"]),
    ("noformat", _mutate(lambda d: d.pop("format")), ScenarioFormatError, ["no 'format' field"]),
    ("newer", _mutate(lambda d: d.update(version=4)), ScenarioFormatError,
     ["version", "newer Footprints", "upgrade"]),
    ("older", _mutate(lambda d: d.update(version=0)), ScenarioFormatError, ["unknown format version 0"]),
    ("versionstr", _mutate(lambda d: d.update(version="1")), ScenarioFormatError, ["version", "integer"]),
    ("noversion", _mutate(lambda d: d.pop("version")), ScenarioFormatError, ["missing field 'version'"]),
    ("unknownfield", _mutate(lambda d: d.update(colour="red")), ScenarioFormatError, ["'colour'"]),
    ("year", _mutate(lambda d: d.update(year="2019")), ScenarioFormatError, ["year", "integer"]),
    ("yearbool", _mutate(lambda d: d.update(year=True)), ScenarioFormatError, ["year"]),
    ("name", _mutate(lambda d: d.update(name=3)), ScenarioFormatError, ["name", "string"]),
    ("footprints", _mutate(lambda d: d.update(footprints={})), ScenarioFormatError, ["footprints", "list"]),
    ("members_type", _mutate(lambda d: d["footprints"][2].update(members="E09000012")), ScenarioFormatError,
     ["footprints[2] ('Hackney locality').members", "must be a list"]),
    ("member_type", _mutate(lambda d: d["footprints"][1]["members"].append(9)), ScenarioFormatError,
     ["footprints[1] ('BHR').members[3]"]),
    ("fp_key", _mutate(lambda d: d["footprints"][1].update(member=[])), ScenarioFormatError,
     ["footprints[1]", "'member'"]),
    ("fp_missing", _mutate(lambda d: d["footprints"][0].pop("level")), ScenarioFormatError,
     ["footprints[0]", "missing field 'level'"]),
    ("level", _mutate(lambda d: d["footprints"][1].update(level="multiborough")), FootprintError,
     ["footprints[1] ('BHR').level", "unknown level 'multiborough'", "multi_borough"]),
    ("nomembers", _mutate(lambda d: d["footprints"][1].update(members=[])), FootprintError,
     ["footprints[1] ('BHR').members", "no members"]),
    ("dupname", _mutate(lambda d: d["footprints"][2].update(name="BHR")), FootprintError,
     ["footprints[2].name", "two footprints are named 'BHR'"]),
    ("noparent", _mutate(lambda d: d["footprints"][1].update(parent="North East Londn")), FootprintError,
     ["footprints[1] ('BHR').parent", "does not exist", "North East London"]),
    ("lowparent", _mutate(lambda d: d["footprints"][0].update(parent="BHR")), FootprintError,
     ["footprints[0] ('North East London').parent", "not a level above"]),
    ("selfparent", _mutate(lambda d: d["footprints"][1].update(parent="BHR")), FootprintError,
     ["footprints[1] ('BHR').parent", "its own parent"]),
    ("threshold_neg", _mutate(lambda d: d["thresholds"].update(stp_min=-1)), ThresholdError,
     ["thresholds.stp_min", "negative"]),
    ("threshold_unknown", _mutate(lambda d: d["thresholds"].update(stp_minimum=1)), ThresholdError,
     ["thresholds", "stp_minimum"]),
    ("threshold_share", _mutate(lambda d: d["thresholds"].update(care_flow_min=70)), ThresholdError,
     ["care_flow_min", "100%"]),
    ("threshold_type", _mutate(lambda d: d.update(thresholds=[1])), ScenarioFormatError,
     ["thresholds", "object"]),
]


@pytest.mark.parametrize("case,text,error,fragments", BAD, ids=[b[0] for b in BAD])
def test_bad_scenario_files(case, text, error, fragments, tmp_path):
    path = tmp_path / f"bad-{case}.json"
    path.write_text(text, encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(error) as info:
        load_scenario(path)
    msg = str(info.value)
    assert isinstance(info.value, FootprintsError)
    assert str(path) in msg, msg
    for fragment in fragments:
        assert fragment in msg, (fragment, msg)
    assert "Fix:" in msg
    assert path.read_bytes() == before


def test_parent_cycle_message_carries_file(tmp_path):
    # Levels increase along parent links, so a cycle is always also a wrong-level parent.
    text = _mutate(lambda d: (d["footprints"][0].update(parent="BHR"),))
    path = tmp_path / "cycle.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FootprintError, match=re.escape(str(path))):
        load_scenario(path)


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{\n "format": "footprints-scenario", "version": 1,\n "name": "Tést"}'.encode("latin-1"))
    with pytest.raises(ScenarioFormatError) as info:
        load_scenario(path)
    assert str(path) in str(info.value) and "line 3" in str(info.value) and "UTF-8" in str(info.value)


def test_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + dumps(_sample()).encode("utf-8"))
    assert load_scenario(path) == _sample()


def test_size_cap_checked_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:
        f.truncate(scenario_io.MAX_BYTES + 1)  # sparse file: no 20 MB written

    def must_not_read(*a, **k):
        raise AssertionError("the file was read")

    monkeypatch.setattr(Path, "read_bytes", must_not_read)
    with pytest.raises(ScenarioFormatError) as info:
        load_scenario(path)
    assert str(path) in str(info.value) and "over the limit" in str(info.value)


def test_deep_nesting(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    with pytest.raises(ScenarioFormatError) as info:
        load_scenario(path)
    assert "nested too deeply" in str(info.value) and str(path) in str(info.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "missing.json")
    with pytest.raises(ScenarioError, match="not a file"):
        load_scenario(tmp_path)


def test_validate_members_unknown_code(index):
    s = _sample().put(Footprint("Typo", "multi_borough", ("E09000002", "E09000099")))
    with pytest.raises(UnknownCodeError) as info:
        validate_members(s, index, where="plan.json")
    msg = str(info.value)
    assert "plan.json" in msg and "'Typo'" in msg and "E09000099" in msg
    assert info.value.codes == ["E09000099"]
    assert all(c.startswith("E09") for c in info.value.suggestions["E09000099"])
    assert info.value.suggestions["E09000099"]


def test_validate_members_matches_pandas(index, geo):
    units = validate_members(load_preloaded("nel-partnerships"), index)
    assert set(index.codes[units["BHR"]]) == _units_of_boroughs(geo, BHR)
    assert set(index.codes[units["North East London"]]) == set(geo.units.loc[geo.units["stp"] == "E54000029", "code"])


# --- assignment CSV ---------------------------------------------------------------------------

def test_assignment_round_trip_borough_systems(index, geo, tmp_path):
    s = load_preloaded("borough-systems")
    path = tmp_path / "plan.csv"
    text = assignment_to_csv(s, index, path=path)
    assert path.read_text(encoding="utf-8") == text
    df = pd.read_csv(path)
    assert list(df.columns) == ["unit_code", "footprint", "level", "parent"]
    # one row per unit per level: every unit once as an STP and once as a borough
    assert len(df) == 2 * len(geo.units)
    back = assignment_from_csv(path, index=index)
    assert back.names() == s.names()
    orig, again = validate_members(s, index), validate_members(back, index)
    for fp in s.footprints:
        assert np.array_equal(orig[fp.name], again[fp.name]), fp.name
        assert back.get(fp.name).level == fp.level and back.get(fp.name).parent == fp.parent
    # independent: each borough footprint's units are the units with that borough code
    barnet = df.loc[df["footprint"] == "Barnet", "unit_code"]
    assert set(barnet) == _units_of_boroughs(geo, ["E09000003"])


def test_assignment_one_level(index, geo):
    s = load_preloaded("borough-systems")
    text = assignment_to_csv(s, index, level="stp")
    assert text.splitlines()[0] == "unit_code,footprint"
    df = pd.read_csv(pd.io.common.StringIO(text))
    expected = geo.units.set_index("code")["stp_name"]
    assert len(df) == len(geo.units)
    assert (df.set_index("unit_code")["footprint"] == expected.loc[df["unit_code"]]).all()


def _bhr_lsoas(geo, n=None):
    codes = sorted(_units_of_boroughs(geo, BHR))
    return codes[:n] if n else codes


def test_assignment_bom_crlf_semicolon_case(index, geo, tmp_path):
    codes = _bhr_lsoas(geo, 5)
    lines = [" Unit_Code ; FOOTPRINT "] + [f"  {c.lower()} ;BHR" for c in codes] + [";", ""]
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8"))
    s = assignment_from_csv(path, index=index, level="locality", name="x")
    fp = s.get("BHR")
    assert fp.level == "locality" and list(fp.members) == codes
    assert s.name == "x"


def test_assignment_utf16(index, geo, tmp_path):
    codes = _bhr_lsoas(geo, 3)
    path = tmp_path / "u16.csv"
    path.write_bytes(("unit_code\tfootprint\n" + "".join(f"{c}\tBHR\n" for c in codes)).encode("utf-16"))
    s = assignment_from_csv(path, index=index)
    assert list(s.get("BHR").members) == codes and s.name == "u16"


def test_assignment_whole_boroughs_match_pandas(index, geo):
    text = "unit_code,footprint\n" + "".join(f"{c},BHR\n" for c in _bhr_lsoas(geo))
    s = assignment_from_csv(text, index=index)
    units = validate_members(s, index)["BHR"]
    pop = geo.units.loc[geo.units["borough"].isin(BHR), "population"].sum()
    assert int(index.population[units].sum()) == int(pop)


def test_assignment_missing_columns(index, tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("lsoa,system\nE01000027,BHR\n", encoding="utf-8")
    with pytest.raises(AssignmentError) as info:
        assignment_from_csv(path, index=index)
    msg = str(info.value)
    assert str(path) in msg and "'lsoa'" in msg and "'system'" in msg and "unit_code" in msg and "footprint" in msg


def test_assignment_blank_codes(index, geo, tmp_path):
    c = _bhr_lsoas(geo, 2)
    path = tmp_path / "blank.csv"
    path.write_text(f"unit_code,footprint\n{c[0]},BHR\n ,BHR\n{c[1]},BHR\n,BHR\n", encoding="utf-8")
    with pytest.raises(AssignmentError) as info:
        assignment_from_csv(path, index=index)
    assert "line(s) 3, 5" in str(info.value) and "2 row(s)" in str(info.value)


def test_assignment_unknown_codes(index, geo):
    c = _bhr_lsoas(geo, 1)[0]
    with pytest.raises(UnknownCodeError) as info:
        assignment_from_csv(f"unit_code,footprint\n{c},BHR\nE01999999,BHR\n", index=index)
    assert info.value.codes == ["E01999999"] and "line(s) 3" in str(info.value)


def test_assignment_conflicting_level(index, geo):
    c = _bhr_lsoas(geo, 2)
    with pytest.raises(AssignmentError, match="line 3"):
        assignment_from_csv(f"unit_code,footprint,level\n{c[0]},BHR,borough\n{c[1]},BHR,locality\n", index=index)


def test_assignment_not_utf8(index, tmp_path):
    path = tmp_path / "cp1252.csv"
    path.write_bytes("unit_code,footprint\nE01000027,Tést\n".encode("cp1252"))
    with pytest.raises(AssignmentError, match="line 2"):
        assignment_from_csv(path, index=index)


# --- exports ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def borough_frame(engine):
    report = engine.check(load_preloaded("borough-systems"))
    return footprints_frame(report, engine.index)


def _expected_populations(geo) -> dict[str, int]:
    u = geo.units
    out = u.groupby("borough_name")["population"].sum().to_dict()
    out.update(u.groupby("stp_name")["population"].sum().to_dict())
    return {k: int(v) for k, v in out.items()}


def test_footprints_frame(borough_frame, geo):
    f = borough_frame
    assert len(f) == 38 and f.crs.to_epsg() == 27700
    assert dict(zip(f["name"], f["population"])) == _expected_populations(geo)
    assert set(f.loc[f["level"] == "borough", "parent"]) == set(geo.units["stp_name"])
    for rule in ("population", "boroughs", "contiguity", "nesting", "care_flow"):
        assert {f"{rule}_passed", f"{rule}_value", f"{rule}_reason"} <= set(f.columns)
    # every borough nests in its STP, and the union of its units has the units' total area
    assert f.loc[f["level"] == "borough", "nesting_passed"].all()
    area = geo.units.groupby("borough_name")["area_m2"].sum()
    boroughs = f[f["level"] == "borough"].set_index("name")
    assert np.allclose(boroughs.geometry.area, area.loc[boroughs.index], rtol=1e-6)
    # the dissolved shape covers the same ground as a plain union of the units
    camden = shapely.union_all(geo.units.loc[geo.units["borough"] == "E09000007"].geometry.values)
    assert shapely.symmetric_difference(boroughs.loc["Camden", "geometry"], camden).area < 1.0
    # STP population check agrees with the 1-2m range by hand
    stps = f[f["level"] == "stp"].set_index("name")
    by_hand = {k: 1_000_000 <= v <= 2_000_000 for k, v in _expected_populations(geo).items() if k in stps.index}
    assert stps["population_passed"].to_dict() == by_hand


def test_export_geojson(borough_frame, geo, tmp_path):
    path = export_geojson(borough_frame, tmp_path / "fp.geojson")
    back = gpd.read_file(path)
    assert len(back) == 38 and back.crs.to_epsg() == 4326
    assert dict(zip(back["name"], back["population"])) == _expected_populations(geo)
    lon, lat = back.total_bounds[[0, 2]], back.total_bounds[[1, 3]]
    assert -0.6 < lon[0] < lon[1] < 0.4 and 51.2 < lat[0] < lat[1] < 51.8  # London in degrees
    assert _no_temp_files(tmp_path) == []


def test_export_gpkg(borough_frame, geo, tmp_path):
    path = export_gpkg(borough_frame, tmp_path / "fp.gpkg")
    back = gpd.read_file(path, layer="footprints")
    assert len(back) == 38 and back.crs.to_epsg() == 27700
    assert dict(zip(back["name"], back["population"])) == _expected_populations(geo)
    assert set(back["passed"]) <= {True, False}
    kr = back.set_index("name")
    assert np.isclose(kr.loc["Sutton"].geometry.area, geo.units.loc[geo.units["borough"] == "E09000029",
                                                                     "area_m2"].sum(), rtol=1e-6)
    assert _no_temp_files(tmp_path) == []


def test_export_failure_keeps_old_file(borough_frame, tmp_path, monkeypatch):
    path = tmp_path / "fp.gpkg"
    export_gpkg(borough_frame.iloc[:2], path)
    before = path.read_bytes()

    def broken(self, *a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", broken)
    with pytest.raises(ScenarioError, match="disk full"):
        export_gpkg(borough_frame, path)
    assert path.read_bytes() == before
    assert _no_temp_files(tmp_path) == []
