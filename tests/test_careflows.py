"""Care flows on the real PHE catchment data, checked against plain pandas/geopandas computations.

The independent computations below read the source CSVs directly (not
through the registry readers), weight each MSOA's shares by its population
with a pandas merge, find each footprint's trusts with a geopandas
point-in-polygon test on the footprint's union, and build England MSOA
populations with a pandas groupby of the LSOA estimates.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from spatial.careflows import (
    CareFlows,
    FlowYearError,
    UnknownTrustError,
    attach_flows,
    containment_frame,
    with_core_providers,
)
from spatial.checks import check_footprint, check_scenario
from spatial.flows_data import FlowDataError, FlowDataWarning, read_flow_file, trust_display_name, validate_flows
from spatial.footprints import Footprint, Scenario
from spatial.thresholds import Thresholds

REPO = Path(__file__).resolve().parents[1]
FLOWS = {2018: "nhs/flows/phe_trust_msoa_proportions_catchment2018_successor_updated.csv",
         2019: "nhs/flows/phe_trust_msoa_proportions_catchment2019_successor_updated.csv"}
POINTS = "nhs/trusts/nhs_trusts_points_geographr_2021-03.csv"
LSOA_POP = "england/lsoa11_pop_mid2017_ew.csv"
LSOA_MSOA = "england/lsoa11_msoa11_lookup_ew.csv"

KINGSTON, RICHMOND, SUTTON = "E09000021", "E09000027", "E09000029"
BHR = ("E09000002", "E09000016", "E09000026")
BEXLEY, BROMLEY = "E09000004", "E09000006"
CAMDEN, ISLINGTON = "E09000007", "E09000019"
SEL, NWL = "E54000030", "E54000027"


# --- fixtures ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def flows(geo) -> CareFlows:
    with warnings.catch_warnings():
        warnings.simplefilter("error", FlowDataWarning)  # the real data needs no repair
        return CareFlows.load(geo, year=2018)


@pytest.fixture(scope="module")
def raw(data_dir):
    """The source tables, read plainly with pandas."""
    return read_raw(data_dir)


def read_raw(data_dir) -> dict:
    """The source tables, read plainly with pandas (for :func:`pandas_measures`)."""
    flows = {y: pd.read_csv(data_dir / p) for y, p in FLOWS.items()}
    pts = pd.read_csv(data_dir / POINTS)
    pts = gpd.GeoDataFrame(pts, geometry=gpd.points_from_xy(pts["lon"], pts["lat"]), crs=4326).to_crs(27700)
    pop = pd.read_csv(data_dir / LSOA_POP).merge(pd.read_csv(data_dir / LSOA_MSOA), on="LSOA11CD")
    msoa_pop = pop.groupby("MSOA11CD")["pop_mid2017"].sum()
    return {"flows": flows, "points": pts, "msoa_pop": msoa_pop}


def pandas_measures(geo, raw, units: pd.DataFrame, *, core=None, year=2018, pop_col="pop_2017") -> dict:
    """Containment, self-sufficiency, catchment and destinations of a set of units, the plain way."""
    f = raw["flows"][year]
    act = units[["code", "msoa", pop_col]].merge(f, left_on="msoa", right_on="msoa_code")
    act["activity"] = act[pop_col] * act["proportion"]
    by_trust = act.groupby("trust_code")["activity"].sum().sort_values(ascending=False)
    if core is None:
        shape = units.geometry.union_all()
        pts = raw["points"]
        inside = pts[pts.within(shape) & pts["nhs_trust_code"].isin(set(f["trust_code"]))]
        core = set(inside["nhs_trust_code"])
    core = set(core)
    recorded = by_trust.sum()
    core_act = by_trust[by_trust.index.isin(core)].sum()
    # England-wide catchment: London MSOAs at the footprint's population year, others mid-2017
    london_pop = geo.units.groupby("msoa")[pop_col].sum()
    msoa_pop = raw["msoa_pop"].copy()
    msoa_pop.loc[london_pop.index] = london_pop
    c = f.merge(msoa_pop.rename("pop"), left_on="msoa_code", right_index=True)
    catch = (c["pop"] * c["proportion"]).groupby(c["trust_code"]).sum()
    cat_pop = catch[catch.index.isin(core)].sum()
    return {
        "core": core, "containment": core_act / recorded if recorded else 0.0,
        "self_sufficiency": core_act / cat_pop if cat_pop else None, "catchment": cat_pop,
        "unrecorded": 1 - recorded / units[pop_col].sum(), "by_trust": by_trust / recorded,
        "population": int(units[pop_col].sum()),
    }


def units_where(geo, col, values) -> pd.DataFrame:
    return geo.units[geo.units[col].isin(list(values))]


CASES = [
    ("South East London", "stp", (SEL,), "stp"),
    ("Kingston and Richmond", "multi_borough", (KINGSTON, RICHMOND), "borough"),
    ("BHR", "multi_borough", BHR, "borough"),
    ("Sutton", "borough", (SUTTON,), "borough"),
    ("Camden and Islington", "multi_borough", (CAMDEN, ISLINGTON), "borough"),
    ("Bexley and Bromley", "multi_borough", (BEXLEY, BROMLEY), "borough"),
]


# --- the model ---------------------------------------------------------------------------------

def test_unit_activity_is_population_times_recorded_share(flows, index, geo, raw):
    a = flows.activity(index)
    assert a.shape == (4835, flows.n_trusts)
    f = raw["flows"][2018]
    plain = geo.units[["code", "msoa", "population"]].merge(f, left_on="msoa", right_on="msoa_code")
    plain["activity"] = plain["population"] * plain["proportion"]
    rows = pd.Index(geo.units["code"]).get_indexer(plain["code"])
    cols = pd.Index(flows.trust_codes).get_indexer(plain["trust_code"])
    assert (rows >= 0).all() and (cols >= 0).all()
    np.testing.assert_allclose(a[rows, cols], plain["activity"].to_numpy(), rtol=1e-12)
    assert a.nnz == len(plain)  # nothing else in the matrix
    # per MSOA: activity = population x recorded share (shares sum to 0.90-0.997 in SOURCES.md)
    share = f.groupby("msoa_code")["proportion"].sum()
    msoa = geo.units.groupby("msoa")["population"].sum()
    ours = pd.Series(np.asarray(flows.layer_activity(index, "msoa").sum(axis=1)).ravel(),
                     index=index.layer_codes["msoa"])
    np.testing.assert_allclose(ours.loc[msoa.index], (msoa * share.loc[msoa.index]).to_numpy(), rtol=1e-12)
    assert 0.90 <= share.loc[msoa.index].min() and share.loc[msoa.index].max() < 1.0


def test_london_stps_partition_london_activity(flows, index, geo, raw):
    total = np.asarray(flows.activity(index).sum(axis=0)).ravel()
    stps = [flows.resident_activity(index.units_of("stp", i), index) for i in range(5)]
    np.testing.assert_allclose(np.sum(stps, axis=0), total, rtol=1e-12, atol=1e-9)
    f = raw["flows"][2018]
    plain = geo.units[["msoa", "population"]].merge(f, left_on="msoa", right_on="msoa_code")
    assert total.sum() == pytest.approx((plain["population"] * plain["proportion"]).sum(), rel=1e-12)
    table = flows.layer_table(index, "stp")
    assert table["recorded"].sum() == pytest.approx(total.sum(), rel=1e-12)
    assert table["population"].sum() == geo.units["population"].sum()


def test_data_facts_from_sources(flows, raw):
    # SOURCES.md: 139 trusts in the 2018 flows, all with a point; 2018 London rows span 44 trusts.
    assert int(flows.trusts["has_flows"].sum()) == 139 == raw["flows"][2018]["trust_code"].nunique()
    assert flows.trusts.loc[flows.trusts["has_flows"], "lon"].notna().all()
    assert not flows.unmatched_msoas
    london_trusts = np.flatnonzero(np.asarray(flows.proportions.sum(axis=0)).ravel() > 0)
    assert len(london_trusts) == 44


def test_trust_locations_match_geopandas(flows, geo, raw):
    pts = raw["points"]
    joined = gpd.sjoin(pts, geo.units[["code", "borough", "geometry"]], predicate="within", how="left")
    plain = joined.set_index("nhs_trust_code")["borough"].fillna("")
    ours = flows.trusts.set_index("code")["borough"]
    assert (ours.loc[plain.index] == plain).all()
    assert ours.loc["RVR"] == SUTTON and ours.loc["RPY"] == "E09000020"  # SOURCES.md: Epsom & St Helier in Sutton
    assert ours.loc["RN7"] == ""  # Dartford and Gravesham lies outside London


def test_england_msoa_population_matches_london_units(flows, geo, raw):
    # The supply side weights London by the units and the rest of England by the LSOA estimates:
    # at mid-2017 both sources agree for every London MSOA, so nothing is double counted or lost.
    london = geo.units.groupby("msoa")["pop_2017"].sum()
    assert (raw["msoa_pop"].loc[london.index] == london).all()
    assert raw["msoa_pop"][raw["msoa_pop"].index.str.startswith("E")].sum() == 55_619_430  # ONS mid-2017 England


# --- measures against pandas -------------------------------------------------------------------

@pytest.mark.parametrize("name,level,members,col", CASES, ids=[c[0] for c in CASES])
def test_measures_match_pandas(flows, index, geo, raw, name, level, members, col):
    fp = Footprint(name, level, members)
    m = flows.measure(fp, index)
    plain = pandas_measures(geo, raw, units_where(geo, col, members))
    assert {c for c, _ in m.core} == plain["core"]
    assert m.population == plain["population"]
    assert m.containment == pytest.approx(plain["containment"], abs=1e-12)
    assert m.unrecorded_share == pytest.approx(plain["unrecorded"], abs=1e-12)
    if plain["core"]:
        assert m.self_sufficiency == pytest.approx(plain["self_sufficiency"], rel=1e-9)
        assert m.catchment_population == pytest.approx(plain["catchment"], rel=1e-9)
    top = plain["by_trust"].head(len(m.top))
    assert [d.code for d in m.top] == list(top.index)
    np.testing.assert_allclose([d.share for d in m.top], top.to_numpy(), rtol=1e-9)
    assert all(d.core == (d.code in plain["core"]) for d in m.top)
    leak = plain["by_trust"][~plain["by_trust"].index.isin(plain["core"])].head(len(m.leakage))
    assert [d.code for d in m.leakage] == list(leak.index)
    assert set(m.reasons) == {"containment", "self_sufficiency", "catchment"}
    assert all(isinstance(r, str) and len(r) > 20 for r in m.reasons.values())


def test_published_shape_of_results(flows, index):
    # Plain facts a planner can check on a map: Bexley and Bromley have no acute trust headquarters
    # (the PRUH belongs to King's), so containment is 0 with the reason, not an error.
    m = flows.measure(Footprint("Bexley and Bromley", "multi_borough", (BEXLEY, BROMLEY)), index)
    assert m.core == [] and m.containment == 0.0
    assert "no core provider" in m.reasons["containment"]
    assert m.self_sufficiency is None and m.catchment_population == 0.0
    assert m.top and m.leakage == m.top[: len(m.leakage)]  # every destination is leakage


def test_locality_matches_pandas(flows, index, geo, raw):
    msoas = sorted(geo.units.loc[geo.units["borough"] == "E09000012", "msoa"].unique())[:6]
    fp = Footprint("Hackney locality", "locality", tuple(msoas))
    m = flows.measure(fp, index)
    plain = pandas_measures(geo, raw, units_where(geo, "msoa", msoas))
    assert {c for c, _ in m.core} == plain["core"]
    assert m.containment == pytest.approx(plain["containment"], abs=1e-12)
    assert m.population == plain["population"]
    assert m.unrecorded_share == pytest.approx(plain["unrecorded"], abs=1e-12)
    assert [d.code for d in m.top[:3]] == list(plain["by_trust"].index[:3])


def test_other_years_match_pandas(flows, engine, geo, raw):
    members = (KINGSTON, RICHMOND)
    eng19 = engine.for_year(2019)
    fl19 = CareFlows.load(geo, year=2019)
    m = fl19.measure(Footprint("K&R", "multi_borough", members), eng19.index)
    plain = pandas_measures(geo, raw, units_where(geo, "borough", members), year=2019, pop_col="pop_2019")
    assert m.catchment_year == 2019 and m.population_year == 2019
    assert m.containment == pytest.approx(plain["containment"], abs=1e-12)
    assert m.self_sufficiency == pytest.approx(plain["self_sufficiency"], rel=1e-9)
    # the year mismatch of the supply side is said, not hidden
    assert "mid-2019" in m.reasons["self_sufficiency"] and "mid-2017" in m.reasons["self_sufficiency"]
    same = flows.measure(Footprint("K&R", "multi_borough", members), engine.index)
    assert "London residents at" not in same.reasons["self_sufficiency"]


def test_containment_table_agrees_with_measure(flows, index):
    table = flows.layer_table(index, "borough")
    assert len(table) == 33
    for i in (0, 5, 20, 28):
        code = index.layer_codes["borough"][i]
        m = flows.measure(Footprint("b", "borough", (code,)), index)
        row = table.loc[code]
        assert row["containment"] == pytest.approx(m.containment, abs=1e-12)
        assert row["n_core"] == len(m.core)
        if m.core:
            assert row["self_sufficiency"] == pytest.approx(m.self_sufficiency, rel=1e-12)
    # unit path and borough path give the same numbers
    sets_b = [np.array([i, j]) for i, j in [(0, 1), (20, 28), (5, 6)]]
    sets_u = [np.concatenate([index.units_of("borough", k) for k in s]) for s in sets_b]
    tb = flows.containment_table(sets_b, index, layer="borough")
    tu = flows.containment_table(sets_u, index, layer="unit")
    np.testing.assert_allclose(tb.to_numpy(float), tu.to_numpy(float), rtol=1e-12)


# --- core-provider overrides -------------------------------------------------------------------

def test_override_replaces_default_and_matches_pandas(flows, index, geo, raw):
    core = ("RAX", "RJ7", "RQM")
    fp = Footprint("K&R", "multi_borough", (KINGSTON, RICHMOND), core_providers=core)
    m = flows.measure(fp, index)
    plain = pandas_measures(geo, raw, units_where(geo, "borough", (KINGSTON, RICHMOND)), core=core)
    assert m.core_source == "override" and {c for c, _ in m.core} == set(core)
    assert m.containment == pytest.approx(plain["containment"], abs=1e-12)
    assert m.self_sufficiency == pytest.approx(plain["self_sufficiency"], rel=1e-9)
    assert "chosen for this footprint" in m.reasons["containment"]
    # the vectorised table honours the override too
    sc = Scenario("s", (fp,))
    assert flows.scenario_table(sc, index).loc["K&R", "containment"] == pytest.approx(m.containment, abs=1e-12)


def test_with_core_providers_add_remove_and_back_to_default(flows, index):
    fp = Footprint("Sutton", "borough", (SUTTON,))
    added = with_core_providers(fp, flows, index, add=["RJ7"])
    assert added.core_providers == ("RJ7", "RVR")
    assert flows.measure(added, index).containment > flows.measure(fp, index).containment
    back = with_core_providers(added, flows, index, remove=["rj7"])
    assert back.core_providers is None  # same as the default: nothing stored
    none = with_core_providers(fp, flows, index, remove=["RVR"])
    assert none.core_providers == ()
    assert flows.measure(none, index).containment == 0.0


def test_override_saved_in_scenario_file(flows, index, tmp_path):
    from spatial.scenario_io import load_scenario, save_scenario

    fp = with_core_providers(Footprint("Sutton", "borough", (SUTTON,)), flows, index, add=["RJ7"])
    path = save_scenario(Scenario("with override", (fp,)), tmp_path / "s.json")
    again = load_scenario(path)
    assert again.get("Sutton").core_providers == ("RJ7", "RVR")
    assert json.loads(path.read_text())["footprints"][0]["core_providers"] == ["RJ7", "RVR"]
    assert flows.measure(again.get("Sutton"), index).containment == pytest.approx(
        flows.measure(fp, index).containment)


def test_unknown_trust_codes_are_listed_with_suggestions(flows, index):
    fp = Footprint("K&R", "multi_borough", (KINGSTON, RICHMOND), core_providers=("RAX", "RJZZ", "XYZ12"))
    with pytest.raises(UnknownTrustError) as exc:
        flows.measure(fp, index)
    assert exc.value.codes == ["RJZZ", "XYZ12"]
    assert any(s.startswith("RJZ ") for s in exc.value.suggestions["RJZZ"])
    assert "K&R" in str(exc.value) and "Fix:" in str(exc.value)
    with pytest.raises(UnknownTrustError, match="Kingston Hospital"):
        with_core_providers(fp, flows, index, add=["kingston hospital"])
    with pytest.raises(UnknownTrustError):
        flows.validate(Scenario("s", (fp,)))


def test_closed_trust_override_is_noted(flows, index):
    # RT3 (Royal Brompton) has a point but no flows: its activity is under its successor RJ1.
    fp = Footprint("K&C", "borough", ("E09000020",), core_providers=("RT3", "RQM"))
    m = flows.measure(fp, index)
    assert any("RT3" in n and "no activity" in n for n in m.notes)
    assert {c for c, _ in m.core} == {"RT3", "RQM"}


# --- the care_flow rule ------------------------------------------------------------------------

def test_care_flow_rule_in_checks(flows, index, geo, raw):
    kr = Footprint("K&R", "multi_borough", (KINGSTON, RICHMOND))
    plain = pandas_measures(geo, raw, units_where(geo, "borough", (KINGSTON, RICHMOND)))
    cf = check_footprint(kr, index, flows=flows).check("care_flow")
    assert cf.passed is False and cf.threshold == 0.70
    assert cf.value == pytest.approx(plain["containment"], abs=1e-4)
    assert "Kingston Hospital" in cf.reason and "below 70.0%" in cf.reason
    # thresholds come from configuration
    lower = check_footprint(kr, index, flows=flows, thresholds=Thresholds(care_flow_min=0.5)).check("care_flow")
    assert lower.passed is True and lower.threshold == 0.5
    sel = check_footprint(Footprint("SEL", "stp", (SEL,)), index, flows=flows).check("care_flow")
    assert sel.passed is True
    # boroughs and localities: information only
    sut = check_footprint(Footprint("Sutton", "borough", (SUTTON,)), index, flows=flows).check("care_flow")
    assert sut.passed is None and "information" in sut.reason
    # no core provider: a failure with its reason, not an error
    bb = check_footprint(Footprint("BB", "multi_borough", (BEXLEY, BROMLEY)), index, flows=flows).check("care_flow")
    assert bb.passed is False and bb.value == 0.0 and "no core provider" in bb.reason


def test_engine_attach_and_scenario_check(geo):
    from spatial import Engine, UnitIndex

    eng = attach_flows(Engine(geo, UnitIndex.from_geographies(geo)), 2018)
    sc = Scenario("two", (Footprint("SWL", "stp", ("E54000031",)),
                          Footprint("K&R", "multi_borough", (KINGSTON, RICHMOND), parent="SWL")))
    report = eng.check(sc)
    assert report.get("SWL").check("care_flow").passed is True
    assert report.get("K&R").check("care_flow").passed is False
    # another population year goes through the same model
    r19 = eng.check(sc.with_year(2019))
    assert r19.get("K&R").check("care_flow").value != report.get("K&R").check("care_flow").value


# --- bad input ---------------------------------------------------------------------------------

def test_flow_year_not_in_data(geo):
    with pytest.raises(FlowYearError, match="2018, 2019"):
        CareFlows.load(geo, year=2017)


def _write(tmp_path, text: str) -> Path:
    p = tmp_path / "flows.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_bad_proportions_are_rejected_with_lines(tmp_path):
    p = _write(tmp_path, "msoa_code,trust_code,proportion\nE02000001,RJ1,0.5\nE02000001,R1H,1.4\n"
                         "E02000002,RJ1,-0.1\n")
    with pytest.raises(FlowDataError) as exc:
        read_flow_file(p, year=2018)
    msg = str(exc.value)
    assert "outside [0, 1]" in msg and "lines 3, 4" in msg and "flows.csv" in msg and "Fix:" in msg


def test_shares_above_one_are_rejected(tmp_path):
    p = _write(tmp_path, "msoa_code,trust_code,proportion\nE02000001,RJ1,0.7\nE02000001,R1H,0.4\n"
                         "E02000002,RJ1,0.9\n")
    with pytest.raises(FlowDataError, match=r"E02000001 \(1\.1000\)"):
        read_flow_file(p, year=2018)


def test_blank_codes_and_missing_columns(tmp_path):
    with pytest.raises(FlowDataError, match="blank trust_code.*line"):
        read_flow_file(_write(tmp_path, "msoa_code,trust_code,proportion\nE02000001,,0.5\n"), year=2018)
    with pytest.raises(FlowDataError, match="columns missing: proportion"):
        read_flow_file(_write(tmp_path, "msoa_code,trust_code,share\nE02000001,RJ1,0.5\n"), year=2018)
    with pytest.raises(FlowDataError, match="not MSOA 2011 codes"):
        read_flow_file(_write(tmp_path, "msoa_code,trust_code,proportion\nE09000001,RJ1,0.5\n"), year=2018)


def test_duplicate_pairs_are_summed_with_a_warning():
    frame = pd.DataFrame({"msoa_code": ["E02000001", "E02000001", "E02000002"],
                          "trust_code": ["RJ1", "RJ1", "RJ1"], "proportion": [0.2, 0.3, 0.5]})
    notes: list[str] = []
    with pytest.warns(FlowDataWarning, match="summed"):
        out = validate_flows(frame, source="test", notes=notes)
    assert len(out) == 2 and out.loc[out["msoa_code"] == "E02000001", "proportion"].item() == pytest.approx(0.5)
    assert notes


def test_supplied_file_with_unknown_msoas_and_missing_units(geo, index, tmp_path):
    # Two London MSOAs, one made-up MSOA: the made-up one is listed (not silently dropped); the London
    # MSOAs without flows count as unrecorded activity.
    p = _write(tmp_path, "msoa_code,trust_code,proportion\nE02000001,RJ1,0.6\nE02000001,R1H,0.3\n"
                         "E02000002,RF4,0.9\nE02999999,RJ1,0.5\n")
    with pytest.warns(FlowDataWarning) as record:
        model = CareFlows.load(geo, year=2018, path=p)
    texts = " ".join(str(w.message) for w in record)
    assert "E02999999" in texts and "have no flows" in texts
    assert model.unmatched_msoas == ["E02999999"]
    city = Footprint("City", "borough", ("E09000001",))
    m = model.measure(city, index)
    units = geo.units[geo.units["borough"] == "E09000001"]
    pop = units["population"]
    expected = (pop[units["msoa"] == "E02000001"].sum() * 0.9) / pop.sum()
    assert 1 - m.unrecorded_share == pytest.approx(expected)


def test_trust_names_are_readable():
    assert trust_display_name("KING'S COLLEGE HOSPITAL NHS FOUNDATION TRUST") == \
        "King's College Hospital NHS Foundation Trust"
    assert trust_display_name("GUY'S AND ST THOMAS' NHS FOUNDATION TRUST") == \
        "Guy's and St Thomas' NHS Foundation Trust"


# --- command line ------------------------------------------------------------------------------

def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "spatial", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)


def test_cli_flows_json_matches_pandas(geo, raw):
    p = run_cli("flows", "Sutton", "--json", "--top", "5")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    (fp,) = out["footprints"]
    plain = pandas_measures(geo, raw, units_where(geo, "borough", (SUTTON,)))
    assert fp["level"] == "borough" and out["catchment_year"] == 2018
    assert fp["containment"] == pytest.approx(plain["containment"], abs=1e-6)
    assert fp["self_sufficiency"] == pytest.approx(plain["self_sufficiency"], abs=1e-6)
    assert fp["catchment_population"] == pytest.approx(plain["catchment"], abs=0.1)
    assert [d["code"] for d in fp["top_destinations"]] == list(plain["by_trust"].index[:5])


def test_cli_flows_text_member_list_override_and_year():
    p = run_cli("flows", "E09000021, E09000027", "--core", "RAX,RJ7", "--year", "2019")
    assert p.returncode == 0, p.stderr
    assert "Kingston upon Thames + Richmond upon Thames (multi_borough)" in p.stdout
    assert "core providers (override): RAX" in p.stdout and "RJ7" in p.stdout
    assert "containment:" in p.stdout and "self-sufficiency:" in p.stdout and "catchment population:" in p.stdout
    assert "catchment year 2019" in p.stdout


def test_cli_flows_scenario_and_bad_input():
    p = run_cli("flows", "kingston-richmond", "--json")
    assert p.returncode == 0, p.stderr
    names = [f["footprint"] for f in json.loads(p.stdout)["footprints"]]
    assert names == ["South West London", "Kingston and Richmond"]
    bad = run_cli("flows", "Sutton", "--core", "RVR,QQQ")
    assert bad.returncode == 2 and "QQQ" in bad.stderr and "Traceback" not in bad.stderr
    year = run_cli("flows", "Sutton", "--year", "2016")
    assert year.returncode == 2 and "2018, 2019" in year.stderr
    unknown = run_cli("flows", "Suton")
    assert unknown.returncode == 2 and "E09000029 (Sutton)" in unknown.stderr


def test_cli_check_includes_care_flow_rule():
    p = run_cli("check", "kingston-richmond", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    kr = next(f for f in out["footprints"] if f["name"] == "Kingston and Richmond")
    cf = next(c for c in kr["checks"] if c["rule"] == "care_flow")
    assert cf["passed"] is False and 0.5 < cf["value"] < 0.6


# --- maps --------------------------------------------------------------------------------------

def test_flow_map_layers(engine, flows):
    from layers.flowmaps import flow_map_layers
    from spatial.geometry import footprint_geometry

    fp = Footprint("BHR", "multi_borough", BHR)
    m = flows.measure(fp, engine.index, top=6)
    shape = footprint_geometry(engine.index, engine.index.expand(fp.members))
    outline, lines, points = flow_map_layers(m, shape, flows.trust_table(engine.index))
    gj = next(c for c in lines._children.values() if hasattr(c, "data"))
    feats = gj.data["features"]
    assert sorted(f["id"] for f in feats) == sorted(d.code for d in m.top)
    style = {f["id"]: gj.style_function(f) for f in feats}
    widths = [style[d.code]["weight"] for d in m.top]
    assert widths == sorted(widths, reverse=True)  # width by share
    assert style["RF4"]["dashArray"] is None and style["R1H"]["dashArray"]  # core solid, leakage dashed
    assert style["RF4"]["color"] != style["R1H"]["color"]
    assert len(lines.legend_entries) == 2 and points.legend_entries


def test_containment_choropleth_colours_follow_values(flows, index):
    from layers.flowmaps import CONTAINMENT_BINS, CONTAINMENT_COLOURS, containment_choropleth

    frame = containment_frame(flows, index, layer="borough")
    assert len(frame) == 33 and frame.crs.to_epsg() == 27700
    assert (frame["meets"] == (frame["containment"] >= 0.7)).all()
    group = containment_choropleth(frame, threshold=0.7)
    gj = next(c for c in group._children.values() if hasattr(c, "style_function"))
    by_code = frame.set_index("code")["containment"]
    for code in ("E09000029", "E09000002", "E09000022"):
        v = by_code[code]
        expected = CONTAINMENT_COLOURS[int(np.searchsorted(CONTAINMENT_BINS, v, side="right") - 1)]
        assert gj.style_function({"id": code})["fillColor"] == expected


@pytest.mark.browser
def test_flow_map_renders_offline(engine, flows, tmp_path):
    from layers.assets import self_contained_html
    from layers.export import block_network, browser
    from layers.flowmaps import flow_map
    from spatial.geometry import footprint_geometry

    fp = Footprint("Kingston and Richmond", "multi_borough", (KINGSTON, RICHMOND))
    shape = footprint_geometry(engine.index, engine.index.expand(fp.members))
    html = self_contained_html(flow_map(flows.measure(fp, engine.index), shape, flows.trust_table(engine.index),
                                        top=5))
    path = tmp_path / "flows.html"
    path.write_text(html, encoding="utf-8")
    result: dict = {}

    def render() -> None:
        # In its own thread: Playwright's sync API refuses to start in a thread whose asyncio loop is
        # running, which is the case when another module's session-wide browser is open.
        try:
            with browser() as b:
                page = b.new_page(viewport={"width": 1200, "height": 900})
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.route("**/*", block_network)
                page.goto(path.as_uri(), wait_until="load")
                page.wait_for_function(
                    "() => document.querySelectorAll('path.leaflet-interactive').length >= 7", timeout=20_000)
                result["n_paths"] = page.evaluate(
                    "() => document.querySelectorAll('path.leaflet-interactive').length")
                result["legend"] = page.inner_text(".fp-legend")
                result["errors"] = errors
        except Exception as exc:  # reported by the assertions below
            result["exception"] = exc

    worker = threading.Thread(target=render)
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "the browser did not finish within 120 s"
    if "exception" in result:
        raise result["exception"]
    assert not result["errors"]
    assert result["n_paths"] >= 1 + 5 + 5  # outline, five lines, at least five trust circles
    assert "core provider" in result["legend"] and "leakage" in result["legend"]
