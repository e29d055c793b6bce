"""Footprint checks on the real London data, against independent pandas/geopandas computations."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from spatial import Footprint, Scenario, Thresholds, check_footprint, check_scenario
from spatial.checks import contiguity_pieces
from spatial.errors import FootprintError, ThresholdError, UnknownCodeError

KINGSTON, RICHMOND, MERTON = "E09000021", "E09000027", "E09000024"
BHR = ("E09000002", "E09000016", "E09000026")
WESTMINSTER = "E09000033"


def pop_of(geo, boroughs):
    return int(geo.units.loc[geo.units.borough.isin(boroughs), "population"].sum())


def test_kingston_richmond_fails_the_acs_population_test(index, geo):
    r = check_footprint(Footprint("K&R", "multi_borough", (KINGSTON, RICHMOND)), index)
    expected = pop_of(geo, [KINGSTON, RICHMOND])
    assert r.population == expected and expected < 500_000
    pop = r.check("population")
    assert pop.passed is False and pop.threshold == 500_000
    assert f"{expected:,}" in pop.reason and "below 500,000" in pop.reason
    assert f"{500_000 - expected:,}" in pop.reason
    assert not r.passed and r.verdict == "fail"


def test_adding_merton_passes(index, geo):
    r = check_footprint(Footprint("K&R+M", "multi_borough", (KINGSTON, RICHMOND, MERTON)), index)
    assert r.population == pop_of(geo, [KINGSTON, RICHMOND, MERTON]) >= 500_000
    assert r.check("population").passed
    assert r.check("boroughs").value == 3 and r.check("boroughs").passed
    assert r.check("contiguity").passed
    assert r.check("nesting").passed and "South West London" in r.check("nesting").reason


def test_bhr_against_ccg_boundaries(index, geo):
    r = check_footprint(Footprint("BHR", "multi_borough", BHR), index)
    assert r.population == pop_of(geo, BHR)
    assert sorted(r.ccgs) == sorted(geo.units.loc[geo.units.borough.isin(BHR), "ccg"].unique())
    assert r.check("coterminosity_ccg").passed and r.check("coterminosity_ccg").value == pytest.approx(1.0)


def test_westminster_is_not_coterminous_with_ccgs(index, geo):
    r = check_footprint(Footprint("Westminster", "borough", (WESTMINSTER,)), index)
    cot = r.check("coterminosity_ccg")
    assert cot.passed is False
    # independent: share of Westminster residents in CCGs that lie >= 95% inside Westminster
    u = geo.units
    inside = u[u.borough == WESTMINSTER].groupby("ccg").population.sum()
    total = u[u.ccg.isin(inside.index)].groupby("ccg").population.sum()
    whole = inside[(inside / total) >= 0.95]
    assert cot.value == pytest.approx(whole.sum() / inside.sum())
    assert "West London" in cot.reason


def test_population_rule_by_level(index, geo):
    stp = check_footprint(Footprint("NEL", "stp", ("E54000029",)), index)
    assert stp.population == int(geo.units.loc[geo.units.stp == "E54000029", "population"].sum())
    assert stp.check("population").passed  # 1.98m is within 1-2m
    nwl = check_footprint(Footprint("NWL", "stp", ("E54000027",)), index)
    assert nwl.population > 2_000_000 and not nwl.check("population").passed
    assert "above 2,000,000" in nwl.check("population").reason
    borough = check_footprint(Footprint("Barnet", "borough", ("E09000003",)), index)
    assert borough.check("population").passed is None  # information only


def test_locality_range(index, geo):
    msoas = geo.units.loc[geo.units.borough == MERTON, "msoa"].unique()[:6]
    fp = Footprint("Merton locality", "locality", tuple(msoas))
    r = check_footprint(fp, index)
    expected = int(geo.units.loc[geo.units.msoa.isin(msoas), "population"].sum())
    assert r.population == expected
    assert r.check("population").passed == (30_000 <= expected <= 70_000)
    assert r.check("nesting").passed  # inside Merton


def test_contiguity_names_the_islands(index, geo):
    # Kingston + Barnet (not touching) -> two pieces
    r = check_footprint(Footprint("Apart", "multi_borough", (KINGSTON, "E09000003")), index)
    c = r.check("contiguity")
    assert c.passed is False and c.value == 2 and not r.contiguous
    # independent: the dissolved geometry has two separate parts
    shape = shapely.union_all(geo.units.loc[geo.units.borough.isin([KINGSTON, "E09000003"])].geometry.values)
    assert len(shapely.get_parts(shape)) == 2
    pieces = contiguity_pieces(index, r.units)
    assert {len(p) for p in pieces} == {int((geo.units.borough == KINGSTON).sum()),
                                        int((geo.units.borough == "E09000003").sum())}


def test_every_borough_is_contiguous(index, geo):
    for code in geo.layer("borough").code:
        units = index.expand([code])
        assert len(contiguity_pieces(index, units)) == 1, code


def test_nesting_against_parent_and_crossing_stps(index, geo):
    s = Scenario("s", (
        Footprint("SWL", "stp", ("E54000031",)),
        Footprint("K&R", "multi_borough", (KINGSTON, RICHMOND), parent="SWL"),
        Footprint("Cross", "multi_borough", (KINGSTON, "E09000017"), parent="SWL"),  # Hillingdon is NWL
    ))
    rep = check_scenario(s, index)
    assert rep.get("K&R").check("nesting").passed
    cross = rep.get("Cross").check("nesting")
    assert cross.passed is False
    hill = int((geo.units.borough == "E09000017").sum())
    assert f"{hill} unit(s)" in cross.reason and "'SWL'" in cross.reason
    no_parent = check_footprint(Footprint("Cross", "multi_borough", (KINGSTON, "E09000017")), index)
    assert "crosses 2 STPs" in no_parent.check("nesting").reason


def test_coverage_lists_gaps_and_double_counting(index, geo):
    s = Scenario("s", (
        Footprint("A", "multi_borough", (KINGSTON, RICHMOND)),
        Footprint("B", "multi_borough", (RICHMOND, MERTON)),
    ))
    cov = check_scenario(s, index).coverage["multi_borough"]
    assert cov["units_in_two_or_more"] == int((geo.units.borough == RICHMOND).sum())
    covered = geo.units.borough.isin([KINGSTON, RICHMOND, MERTON])
    assert cov["units_unassigned"] == int((~covered).sum())
    assert cov["population_unassigned"] == int(geo.units.loc[~covered, "population"].sum())
    assert not cov["complete"]
    full = Scenario("stps", tuple(Footprint(c, "stp", (c,)) for c in geo.layer("stp").code))
    assert check_scenario(full, index).coverage["stp"]["complete"]


def test_year_changes_population(engine, geo):
    s = Scenario("s", (Footprint("K&R", "multi_borough", (KINGSTON, RICHMOND)),), year=2019)
    rep = engine.check(s)
    g19 = geo.with_year(2019)
    assert rep.get("K&R").population == int(
        g19.units.loc[g19.units.borough.isin([KINGSTON, RICHMOND]), "population"].sum())


def test_thresholds_override(index):
    fp = Footprint("K&R", "multi_borough", (KINGSTON, RICHMOND))
    r = check_footprint(fp, index, thresholds=Thresholds(system_min_population=300_000))
    assert r.check("population").passed


@pytest.mark.parametrize("kw, words", [
    ({"system_min_population": -1}, "negative"),
    ({"locality_min": 80_000}, "locality_min (80,000) is above locality_max"),
    ({"care_flow_min": 70}, "cannot be above 100%"),
    ({"coterminous_min": float("nan")}, "must be a number"),
])
def test_bad_thresholds(kw, words):
    with pytest.raises(ThresholdError, match=words.replace("(", r"\(").replace(")", r"\)")):
        Thresholds(**kw)
    with pytest.raises(ThresholdError, match="unknown threshold"):
        Thresholds.from_dict({"population_min": 3})


def test_bad_footprints_and_scenarios(index):
    with pytest.raises(FootprintError, match="unknown level 'county'"):
        Footprint("x", "county", ("E09000001",))
    with pytest.raises(FootprintError, match="two footprints are named 'A'"):
        Scenario("s", (Footprint("A", "borough", ("E09000001",)), Footprint("A", "borough", ("E09000002",))))
    with pytest.raises(FootprintError, match="parent 'NEX' does not exist.*'NEL'"):
        Scenario("s", (Footprint("NEL", "stp", ("E54000029",)),
                       Footprint("BHR", "multi_borough", BHR, parent="NEX")))
    with pytest.raises(FootprintError, match="not a level above"):
        Scenario("s", (Footprint("L", "locality", ("E02000001",)),
                       Footprint("B", "borough", ("E09000001",), parent="L")))
    with pytest.raises(FootprintError, match="has no members"):
        check_scenario(Scenario("s", (Footprint("Empty", "borough", ()),)), index)
    with pytest.raises(UnknownCodeError) as err:
        index.expand(["E09000099", "E0900002"])
    assert "E09000099" in str(err.value) and "did you mean" in str(err.value)


def test_members_may_be_mixed_and_messy(index, geo):
    fp = Footprint("mix", "multi_borough", (" e09000021 ", "Richmond upon Thames", "E38000098"))
    units = index.expand(fp.members)
    expected = set(geo.units.loc[geo.units.borough.isin([KINGSTON, RICHMOND]) |
                                 (geo.units.ccg == "E38000098"), "code"])
    assert set(index.codes[units]) == expected
