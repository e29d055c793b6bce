"""Scenario comparison on the real data: what moved, and how the checks changed."""

from __future__ import annotations

import pytest

from spatial import Footprint, Scenario
from spatial.compare import CHECKS_COLUMNS, MOVES_COLUMNS, compare_scenarios
from spatial.errors import UnknownCodeError

KINGSTON, RICHMOND, MERTON, SUTTON = "E09000021", "E09000027", "E09000024", "E09000029"


def _pop(geo, boroughs, year=None):
    col = "population" if year is None else f"pop_{year}"
    return int(geo.units.loc[geo.units.borough.isin(boroughs), col].sum())


def test_adding_merton_moves_its_residents_and_flips_population(index, geo):
    before = Scenario("swl", (Footprint("K&R", "multi_borough", (KINGSTON, RICHMOND)),
                              Footprint("Sutton", "borough", (SUTTON,))))
    after = before.put(Footprint("K&R", "multi_borough", (KINGSTON, RICHMOND, MERTON)))
    cmp = compare_scenarios(before, after, index)

    assert tuple(cmp.moves.columns) == MOVES_COLUMNS
    assert tuple(cmp.checks.columns) == CHECKS_COLUMNS
    row = cmp.moves.set_index("footprint").loc["K&R"]
    merton_pop = _pop(geo, [MERTON])
    merton_units = int((geo.units.borough == MERTON).sum())
    assert row.status == "changed"
    assert row.population_before == _pop(geo, [KINGSTON, RICHMOND])
    assert row.population_after == _pop(geo, [KINGSTON, RICHMOND, MERTON])
    assert row.population_change == merton_pop
    assert row.units_added == merton_units and row.units_removed == 0
    assert row.population_added == merton_pop and row.population_removed == 0
    assert row.boroughs_added == f"Merton (+{merton_pop:,})"
    assert row.boroughs_removed == ""
    assert (row.verdict_before, row.verdict_after) == ("fail", "pass")
    assert cmp.changed == ["K&R"]
    assert cmp.moves.set_index("footprint").loc["Sutton", "status"] == "unchanged"

    checks = cmp.checks.set_index(["footprint", "rule"])
    pop_rule = checks.loc[("K&R", "population")]
    assert (pop_rule.passed_before, pop_rule.passed_after, pop_rule.change) == (False, True, "now passes")
    assert "below 500,000" in pop_rule.reason_before
    assert pop_rule.value_after == _pop(geo, [KINGSTON, RICHMOND, MERTON])
    boroughs_rule = checks.loc[("K&R", "boroughs")]
    assert (boroughs_rule.value_before, boroughs_rule.value_after) == (2, 3)
    assert boroughs_rule.change == "still passes (value changed)"
    assert checks.loc[("K&R", "care_flow"), "change"] == "not checked"
    assert set(checks.loc["Sutton", "change"]) <= {"still passes", "still fails", "not checked"}


def test_reverse_comparison_reports_removal(index, geo):
    a = Scenario("a", (Footprint("K&R", "multi_borough", (KINGSTON, RICHMOND, MERTON)),))
    b = Scenario("b", (Footprint("K&R", "multi_borough", (KINGSTON, RICHMOND)),))
    row = compare_scenarios(a, b, index).moves.iloc[0]
    assert row.units_removed == int((geo.units.borough == MERTON).sum())
    assert row.boroughs_removed == f"Merton (-{_pop(geo, [MERTON]):,})"
    assert row.population_change == -_pop(geo, [MERTON])


def test_partial_moves_are_listed_per_borough(index, geo):
    units = geo.units
    some_merton = units.loc[units.borough == MERTON, "code"].iloc[:5].tolist()
    some_sutton = units.loc[units.borough == SUTTON, "code"].iloc[:2].tolist()
    a = Scenario("a", (Footprint("K", "multi_borough", (KINGSTON,)),))
    b = Scenario("b", (Footprint("K", "multi_borough", (KINGSTON, *some_merton, *some_sutton)),))
    row = compare_scenarios(a, b, index).moves.iloc[0]
    pm = int(units.loc[units.code.isin(some_merton), "population"].sum())
    ps = int(units.loc[units.code.isin(some_sutton), "population"].sum())
    expected = sorted([("Merton", pm), ("Sutton", ps)], key=lambda t: -t[1])
    assert row.boroughs_added == "; ".join(f"{n} (+{p:,})" for n, p in expected)
    assert row.units_added == 7 and row.population_added == pm + ps


def test_added_and_removed_footprints(index, geo):
    a = Scenario("a", (Footprint("Old", "borough", (SUTTON,)),))
    b = Scenario("b", (Footprint("New", "borough", (MERTON,)),))
    cmp = compare_scenarios(a, b, index)
    moves = cmp.moves.set_index("footprint")
    assert moves.loc["Old", "status"] == "removed" and moves.loc["New", "status"] == "added"
    assert moves.loc["New", "population_after"] == _pop(geo, [MERTON])
    assert moves.loc["Old", "population_removed"] == _pop(geo, [SUTTON])
    assert set(cmp.checks.loc[cmp.checks.footprint == "New", "change"]) == {"added"}
    assert set(cmp.checks.loc[cmp.checks.footprint == "Old", "change"]) == {"removed"}
    d = cmp.to_dict()
    assert d["before"] == "a" and len(d["moves"]) == 2


def test_each_scenario_is_checked_in_its_own_year(index, geo):
    fp = Footprint("K&R", "multi_borough", (KINGSTON, RICHMOND))
    a = Scenario("a", (fp,), year=2017)
    b = Scenario("b", (fp,), year=2020)
    row = compare_scenarios(a, b, index).moves.iloc[0]
    assert row.population_before == _pop(geo, [KINGSTON, RICHMOND], 2017)
    assert row.population_after == _pop(geo, [KINGSTON, RICHMOND], 2020)
    assert row.status == ("changed" if row.population_before != row.population_after else "unchanged")
    assert row.units_added == 0 and row.units_removed == 0


def test_unknown_codes_raise_a_typed_error(index):
    a = Scenario("a", (Footprint("K", "borough", (KINGSTON,)),))
    b = Scenario("b", (Footprint("K", "borough", ("E09999999",)),))
    with pytest.raises(UnknownCodeError, match="E09999999"):
        compare_scenarios(a, b, index)
