"""Editing with brushes on the real units: compacting, toggles, locks, undo/redo."""

from __future__ import annotations

import numpy as np
import pytest

from spatial import Footprint, Scenario
from spatial.editing import History, apply_brush, brush_units, compact_members
from spatial.errors import UnknownCodeError

KINGSTON, RICHMOND, MERTON = "E09000021", "E09000027", "E09000024"


def test_compact_members_round_trips(index, geo):
    rng = np.random.default_rng(0)
    kingston = np.flatnonzero(geo.units.borough.to_numpy() == KINGSTON)
    assert compact_members(kingston, index) == (KINGSTON,)
    some = np.sort(rng.choice(index.n, 300, replace=False))
    for units in (some, np.union1d(kingston, some), np.arange(index.n)):
        members = compact_members(units, index)
        assert np.array_equal(index.expand(members), np.sort(units))
    assert len(compact_members(np.arange(index.n), index)) == 5  # the five STPs


def test_compact_members_writes_whole_wards_when_shorter(index, geo):
    """Three whole wards of Merton are written as three ward codes, not as MSOAs and loose units."""
    u = geo.units
    wards = sorted(u.loc[u.borough == MERTON, "ward"].unique())[:3]
    units = np.flatnonzero(u.ward.isin(wards).to_numpy())
    members = compact_members(units, index)
    assert sorted(members) == wards
    assert np.array_equal(index.expand(members), units)
    # MSOAs still come first when they give the shorter list
    msoas = sorted(u.loc[u.borough == MERTON, "msoa"].unique())[:3]
    assert sorted(compact_members(np.flatnonzero(u.msoa.isin(msoas).to_numpy()), index)) == msoas


def test_brushes_take_the_right_areas(index, geo):
    u = geo.units
    code = u.loc[u.borough == MERTON, "code"].iloc[0]
    msoa = u.loc[u.code == code, "msoa"].iloc[0]
    assert list(index.codes[brush_units(index, code, "unit")]) == [code]
    assert set(index.codes[brush_units(index, code, "msoa")]) == set(u.loc[u.msoa == msoa, "code"])
    assert set(index.codes[brush_units(index, code, "borough")]) == set(u.loc[u.borough == MERTON, "code"])
    ward = u.loc[u.code == code, "ward"].iloc[0]
    assert set(index.codes[brush_units(index, code, "ward")]) == set(u.loc[u.ward == ward, "code"])
    assert index.kind_of(ward) == "ward"
    with pytest.raises(UnknownCodeError, match="E01999999"):
        brush_units(index, "E01999999", "unit")


def test_ward_names_that_several_wards_share_are_not_guessed(index, geo):
    """'Village' names three wards: as a member it is an error listing each ward's code and borough."""
    wards = geo.layer("ward")
    shared = wards.groupby(wards["name"].str.casefold())["code"].nunique()
    shared = sorted(shared[shared > 1].index)
    assert "village" in shared
    for name in shared:
        assert index.resolve(name) is None
    codes = sorted(wards.loc[wards["name"] == "Village", "code"])
    with pytest.raises(UnknownCodeError) as info:
        index.expand(["Village", "Kingston upon Thames"])
    assert info.value.codes == ["Village"]
    text = str(info.value)
    assert all(c in text for c in codes) and "Merton" in text and "needs the code" in text
    # a name one ward alone has still works, and names of other layers are unchanged
    only = wards.loc[wards["name"] == "Merton Park", "code"].item()
    assert index.resolve("merton park") == ("ward", list(index.layer_codes["ward"]).index(only))
    assert index.kind_of("Merton") == "borough" and index.kind_of("North West London") == "stp"


def test_toggle_add_then_remove_borough(index, geo):
    s = Scenario("s", (Footprint("K&R", "multi_borough", (KINGSTON, RICHMOND)),))
    merton_unit = geo.units.loc[geo.units.borough == MERTON, "code"].iloc[3]
    s2 = apply_brush(s, index, "K&R", merton_unit, "borough")
    assert set(s2.get("K&R").members) == {KINGSTON, RICHMOND, MERTON}
    expected = int(geo.units.loc[geo.units.borough.isin([KINGSTON, RICHMOND, MERTON]), "population"].sum())
    assert int(index.population[index.expand(s2.get("K&R").members)].sum()) == expected
    s3 = apply_brush(s2, index, "K&R", merton_unit, "borough")
    assert set(s3.get("K&R").members) == {KINGSTON, RICHMOND}
    # removing one unit from a whole borough leaves explicit units
    s4 = apply_brush(s, index, "K&R", geo.units.loc[geo.units.borough == KINGSTON, "code"].iloc[0], "unit")
    units = index.expand(s4.get("K&R").members)
    assert len(units) == int((geo.units.borough.isin([KINGSTON, RICHMOND])).sum()) - 1


def test_lock_protects_other_footprints(index, geo):
    s = Scenario("s", (Footprint("A", "multi_borough", (KINGSTON,)), Footprint("B", "multi_borough", (RICHMOND,))))
    k_unit = geo.units.loc[geo.units.borough == KINGSTON, "code"].iloc[0]
    locked = apply_brush(s, index, "B", k_unit, "borough", mode="add", lock=True)
    assert locked.get("B").members == (RICHMOND,)
    unlocked = apply_brush(s, index, "B", k_unit, "borough", mode="add", lock=False)
    assert set(unlocked.get("B").members) == {KINGSTON, RICHMOND}


def test_history_undo_redo():
    h = History()
    a, b, c = (Scenario(n) for n in "abc")
    h.push(a, "start")
    h.push(b, "edit 1")
    h.push(c, "edit 2")
    assert h.undo() == "edit 2" and h.current == b
    assert h.undo() == "edit 1" and h.current == a
    assert h.undo() is None and h.current == a
    assert h.redo() == "edit 1" and h.current == b
    h.push(c, "edit 3")
    assert h.redo() is None and h.current == c


def test_paint_stroke_adds_every_area_crossed_as_one_edit(index, geo):
    """A stroke equals the areas added one by one; a stroke starting inside removes them."""
    from spatial.editing import apply_stroke

    s = Scenario("s", (Footprint("K&R", "multi_borough", (KINGSTON, RICHMOND)),))
    merton = geo.units.loc[geo.units.borough == MERTON, "code"].tolist()[:10]
    one_by_one = s
    for code in merton:
        one_by_one = apply_brush(one_by_one, index, "K&R", code, "unit", mode="add")
    painted, mode = apply_stroke(s, index, "K&R", merton, "unit")
    assert mode == "add"
    assert np.array_equal(index.expand(painted.get("K&R").members), index.expand(one_by_one.get("K&R").members))
    kr = geo.units.borough.isin([KINGSTON, RICHMOND])
    expected = int(geo.units.loc[kr | geo.units.code.isin(merton), "population"].sum())
    assert int(index.population[index.expand(painted.get("K&R").members)].sum()) == expected
    # first unit inside: the stroke removes (including a crossed unit that was never in)
    king = geo.units.loc[geo.units.borough == KINGSTON, "code"].tolist()[:3]
    back, mode = apply_stroke(painted, index, "K&R", [*king, merton[0]], "unit")
    assert mode == "remove"
    left = set(geo.units.code[np.sort(index.expand(back.get("K&R").members))])
    assert not left & {*king, merton[0]} and set(merton[1:]) <= left
    # the borough brush: one unit of Merton brings the whole borough
    whole, _ = apply_stroke(s, index, "K&R", [merton[0], merton[1]], "borough")
    assert set(whole.get("K&R").members) == {KINGSTON, RICHMOND, MERTON}
    with pytest.raises(Exception, match="crossed no unit"):
        apply_stroke(s, index, "K&R", [], "unit")
