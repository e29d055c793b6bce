"""Overlaps between layers, on the real London data, against independent pandas/geopandas computations.

Published facts used (``shared/data/nhs/SOURCES.md``, from the ONS April 2018
lookup): every London CCG has exactly one borough except NHS City and Hackney
CCG (City of London + Hackney) and the split of Westminster between NHS Central
London (Westminster) CCG and NHS West London CCG (Kensington and Chelsea + part
of Westminster).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity

from spatial import Footprint, Scenario
from spatial.overlaps import (
    SLIVER_M2,
    OverlapError,
    UnknownLayerError,
    area_overlap,
    layer_geometries,
    overlap_layer,
    overlap_summary,
    overlap_table,
    population_overlap,
    unit_areas,
    unit_built,
)
from spatial.overlaps.cache import _unit_areas_path

ROOT = Path(__file__).resolve().parent.parent

CITY, HACKNEY, WESTMINSTER, KENSINGTON = "E09000001", "E09000012", "E09000033", "E09000020"
TOWER_HAMLETS = "E09000030"
CITY_HACKNEY_CCG, CENTRAL_LONDON_CCG, WEST_LONDON_CCG = "E38000035", "E38000031", "E38000202"
#: CCG -> boroughs it covers, where that is not one borough (SOURCES.md).
NOT_ONE_TO_ONE = {CITY_HACKNEY_CCG: {CITY, HACKNEY}, WEST_LONDON_CCG: {KENSINGTON, WESTMINSTER}}


def _pairs(table: pd.DataFrame, col: str) -> pd.Series:
    return table.set_index(["a_code", "b_code"])[col].sort_index()


def _overlay_areas(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> pd.Series:
    ov = gpd.overlay(a[["code", "geometry"]], b[["code", "geometry"]], how="intersection", keep_geom_type=True)
    s = ov.assign(area=ov.geometry.area).groupby(["code_1", "code_2"])["area"].sum()
    s.index.names = ["a_code", "b_code"]
    return s[s >= SLIVER_M2].sort_index()


# --- population ----------------------------------------------------------------------------------

def test_ccg_by_borough_population_matches_a_pandas_groupby(index, geo):
    table = population_overlap("ccg", "borough", index)
    u = geo.units
    expected = u.groupby(["ccg", "borough"])["population"].sum().sort_index()
    got = _pairs(table, "overlap_population")
    assert list(got.index) == list(expected.index)
    assert (got.to_numpy() == expected.to_numpy()).all()
    ccg_tot, bor_tot = u.groupby("ccg")["population"].sum(), u.groupby("borough")["population"].sum()
    exp_a = expected / ccg_tot.reindex(expected.index.get_level_values(0)).to_numpy()
    exp_b = expected / bor_tot.reindex(expected.index.get_level_values(1)).to_numpy()
    np.testing.assert_allclose(_pairs(table, "share_of_a").to_numpy(), exp_a.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(_pairs(table, "share_of_b").to_numpy(), exp_b.to_numpy(), rtol=1e-12)
    counts = u.groupby(["ccg", "borough"]).size().sort_index()
    assert (_pairs(table, "shared_units").to_numpy() == counts.to_numpy()).all()
    assert "ONS" in table.attrs["assignment"] and "not by point-in-polygon" in table.attrs["assignment"]
    assert table.attrs["year"] == 2017


def test_ccg_borough_pairs_are_one_to_one_except_the_published_exceptions(index, geo):
    table = population_overlap("ccg", "borough", index)
    per_ccg = table.groupby("a_code")["b_code"].apply(set)
    assert len(per_ccg) == 32
    for ccg, boroughs in per_ccg.items():
        if ccg in NOT_ONE_TO_ONE:
            assert boroughs == NOT_ONE_TO_ONE[ccg], ccg
        elif ccg == CENTRAL_LONDON_CCG:
            assert boroughs == {WESTMINSTER}
        else:
            assert len(boroughs) == 1, ccg
            row = table[table.a_code == ccg].iloc[0]
            assert row.share_of_a == 1.0 and row.share_of_b == 1.0, ccg
    per_borough = table.groupby("b_code")["a_code"].apply(set)
    assert len(per_borough) == 33
    assert per_borough[WESTMINSTER] == {CENTRAL_LONDON_CCG, WEST_LONDON_CCG}
    assert all(len(v) == 1 for k, v in per_borough.items() if k != WESTMINSTER)


@pytest.mark.parametrize("a,b", [("ccg", "borough"), ("borough", "ccg"), ("msoa", "ccg"), ("borough", "stp"),
                                 ("unit", "msoa"), ("ward", "msoa"), ("msoa", "ward")])
def test_shares_of_a_sum_to_one_when_b_is_a_partition(index, geo, a, b):
    table = population_overlap(a, b, index)
    sums = table.groupby("a_code")["share_of_a"].sum()
    n_a = geo.units["code" if a == "unit" else a].nunique()
    assert len(sums) == n_a
    np.testing.assert_allclose(sums.to_numpy(), 1.0, rtol=0, atol=1e-9)
    assert table["overlap_population"].sum() == geo.units["population"].sum()


def _expected_class(share_a: float, share_b: float, t: float) -> str:
    if share_a >= t and share_b >= t:
        return "coterminous"
    if share_a >= t:
        return "within"
    return "mostly" if share_a >= 0.5 else "split"


@pytest.mark.parametrize("a,b", [("ccg", "borough"), ("borough", "ccg"), ("ward", "ccg")])
def test_summary_classes_match_an_independent_computation(index, geo, a, b):
    summary = overlap_summary(population_overlap(a, b, index), "population")
    u = geo.units
    pair = u.groupby([a, b])["population"].sum().rename("pop").reset_index()
    pair["sa"] = pair["pop"] / pair[a].map(u.groupby(a)["population"].sum())
    pair["sb"] = pair["pop"] / pair[b].map(u.groupby(b)["population"].sum())
    best = pair.sort_values("sa", ascending=False).drop_duplicates(a).set_index(a).sort_index()
    got = summary.set_index("a_code").sort_index()
    assert list(got.index) == list(best.index)
    assert list(got["b_code"]) == list(best[b])
    expected = [_expected_class(r.sa, r.sb, 0.95) for r in best.itertuples()]
    assert list(got["match"]) == expected
    assert got["reason"].str.len().gt(20).all()


def test_summary_names_the_westminster_split_and_the_city_of_london(index, geo):
    ccg = overlap_summary(population_overlap("ccg", "borough", index), "population").set_index("a_code")
    assert ccg.loc[CENTRAL_LONDON_CCG, "match"] == "within"      # all of it in Westminster, not all of Westminster
    assert ccg.loc[WEST_LONDON_CCG, "match"] == "mostly"         # K&C plus part of Westminster
    assert ccg.loc[WEST_LONDON_CCG, "b_code"] == KENSINGTON
    assert "Westminster" in ccg.loc[WEST_LONDON_CCG, "reason"]
    others = ccg.drop([CENTRAL_LONDON_CCG, WEST_LONDON_CCG, CITY_HACKNEY_CCG])
    assert (others["match"] == "coterminous").all() and (others["share_of_a"] == 1.0).all()
    bor = overlap_summary(population_overlap("borough", "ccg", index), "population").set_index("a_code")
    assert bor.loc[CITY, "match"] == "within" and bor.loc[CITY, "b_code"] == CITY_HACKNEY_CCG
    assert bor.loc[WESTMINSTER, "match"] == "mostly" and bor.loc[WESTMINSTER, "n_overlaps"] == 2
    # a stricter threshold turns City and Hackney CCG (97% Hackney by residents) from coterminous to within-ish
    u = geo.units
    share = u[u.ccg == CITY_HACKNEY_CCG].groupby("borough").population.sum()
    share_hackney = share[HACKNEY] / share.sum()
    strict = overlap_summary(population_overlap("ccg", "borough", index), "population",
                             coterminous_min=min(1.0, share_hackney + 0.001)).set_index("a_code")
    assert strict.loc[CITY_HACKNEY_CCG, "match"] == "mostly"
    assert strict.loc[CITY_HACKNEY_CCG, "share_of_a"] == pytest.approx(share_hackney)


# --- area ----------------------------------------------------------------------------------------

def test_published_ccg_by_borough_area_matches_geopandas_overlay(geo):
    ccg, bor = geo.layer("ccg", "published"), geo.layer("borough", "published")
    table = area_overlap(ccg, bor)
    expected = _overlay_areas(ccg, bor)
    got = _pairs(table, "overlap_area_m2")
    assert list(got.index) == list(expected.index)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-6)
    area_a = ccg.set_index("code").area
    area_b = bor.set_index("code").area
    np.testing.assert_allclose(_pairs(table, "share_of_a").to_numpy(),
                               (expected / area_a.reindex(expected.index.get_level_values(0)).to_numpy()).to_numpy(),
                               rtol=1e-6)
    np.testing.assert_allclose(_pairs(table, "share_of_b").to_numpy(),
                               (expected / area_b.reindex(expected.index.get_level_values(1)).to_numpy()).to_numpy(),
                               rtol=1e-6)
    assert (table["overlap_area_m2"] >= SLIVER_M2).all()


def test_overlap_table_has_both_measures_and_uses_published_shapes(engine, geo):
    table = overlap_table("ccg", "borough", engine)
    assert list(table.columns) == ["a_code", "a_name", "b_code", "b_name", "shared_units", "overlap_population",
                                   "share_of_a_pop", "share_of_b_pop", "overlap_area_m2", "share_of_a_area",
                                   "share_of_b_area"]
    expected = _overlay_areas(geo.layer("ccg", "published"), geo.layer("borough", "published"))
    got = _pairs(table[table.overlap_area_m2 > 0], "overlap_area_m2")
    assert list(got.index) == list(expected.index)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-6)
    # pairs that only touch along generalised edges have area but no residents by the lookup
    assert ((table.overlap_population == 0) & (table.overlap_area_m2 > 0)).any()
    assert table.overlap_population.sum() == geo.units.population.sum()
    assert table.attrs["source"] == "published" and "assignment" in table.attrs
    assert not table.isna().any().any()


def test_dissolved_area_overlap_matches_overlay_of_dissolved_layers(engine, geo):
    table = overlap_table("ccg", "borough", engine, by="area", source="dissolved")
    expected = _overlay_areas(geo.layer("ccg"), geo.layer("borough"))
    got = _pairs(table, "overlap_area_m2")
    assert list(got.index) == list(expected.index)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-6)
    assert "overlap_population" not in table


# --- footprints ----------------------------------------------------------------------------------

def _overlapping_scenario() -> Scenario:
    return Scenario("overlapping", (
        Footprint("City+Hackney", "multi_borough", (CITY, HACKNEY)),
        Footprint("Hackney+TH", "multi_borough", ("Hackney", TOWER_HAMLETS)),
        Footprint("NEL", "stp", ("E54000029",)),
    ))


def test_overlapping_footprints_share_units(index, geo):
    scn = _overlapping_scenario()
    systems = overlap_layer(scn, index, level="multi_borough")
    assert list(systems.codes) == ["City+Hackney", "Hackney+TH"]
    table = population_overlap(systems, systems, index)
    u = geo.units
    sets = {"City+Hackney": set(u.index[u.borough.isin([CITY, HACKNEY])]),
            "Hackney+TH": set(u.index[u.borough.isin([HACKNEY, TOWER_HAMLETS])])}
    for row in table.itertuples():
        shared = sets[row.a_code] & sets[row.b_code]
        assert row.shared_units == len(shared)
        assert row.overlap_population == u.loc[sorted(shared), "population"].sum()
        total_a = u.loc[sorted(sets[row.a_code]), "population"].sum()
        assert row.share_of_a == pytest.approx(row.overlap_population / total_a)
    cross = table[(table.a_code == "City+Hackney") & (table.b_code == "Hackney+TH")].iloc[0]
    assert cross.overlap_population == u.loc[u.borough == HACKNEY, "population"].sum()
    # every footprint against boroughs: shares of A sum to 1; NEL holds both systems
    by_borough = population_overlap(scn, "borough", index)
    np.testing.assert_allclose(by_borough.groupby("a_code").share_of_a.sum(), 1.0, atol=1e-9)
    in_nel = population_overlap(systems, overlap_layer(scn, index, level="stp"), index)
    assert (in_nel.share_of_a == 1.0).all()


def test_footprint_area_overlap_with_published_boroughs_matches_overlay(engine, geo):
    scn = _overlapping_scenario()
    table = overlap_table(scn, "borough", engine, by="area")
    u = geo.units
    shapes = []
    for fp in scn.footprints:
        ids = engine.index.expand(fp.members)
        shapes.append({"code": fp.name, "geometry": u.iloc[ids].dissolve().geometry.iloc[0]})
    fps = gpd.GeoDataFrame(shapes, crs=27700)
    expected = _overlay_areas(fps, geo.layer("borough", "published"))
    got = _pairs(table, "overlap_area_m2")
    assert list(got.index) == list(expected.index)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-6)
    # the dissolved shapes used are the footprints' units
    geoms = layer_geometries(overlap_layer(scn, engine.index), engine.index)
    for fp, g in zip(scn.footprints, geoms.geometry):
        assert g.area == pytest.approx(u.iloc[engine.index.expand(fp.members)].area.sum(), rel=1e-9)


# --- bad input -----------------------------------------------------------------------------------

def test_empty_layers_are_clear_errors(index):
    with pytest.raises(OverlapError, match="has no footprints") as err:
        population_overlap(Scenario("empty"), "borough", index)
    assert "add footprints" in str(err.value)
    with pytest.raises(OverlapError, match="of level locality") as err:
        overlap_layer(_overlapping_scenario(), index, level="locality")
    assert "multi_borough" in str(err.value) and "stp" in str(err.value)
    empty = gpd.GeoDataFrame({"code": []}, geometry=[], crs=27700)
    square = gpd.GeoDataFrame({"code": ["x"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=27700)
    with pytest.raises(OverlapError, match="a_gdf has no areas"):
        area_overlap(empty, square)


def test_unknown_layer_names_suggest_the_closest(index):
    with pytest.raises(UnknownLayerError) as err:
        population_overlap("borugh", "ccg", index)
    assert err.value.suggestions[0] == "borough"
    assert "did you mean 'borough'" in str(err.value) and "Fix:" in str(err.value)
    assert population_overlap("CCGs", "Boroughs", index).attrs["a"] == "ccg"  # plurals and case accepted
    with pytest.raises(OverlapError, match="only applies to scenario"):
        overlap_layer("ccg", index, level="stp")


def test_bad_geometry_input_is_reported():
    square = gpd.GeoDataFrame({"code": ["x"]}, geometry=[shapely.box(0, 0, 10, 10)], crs=27700)
    with pytest.raises(OverlapError, match="no coordinate reference system"):
        area_overlap(gpd.GeoDataFrame({"code": ["y"]}, geometry=[shapely.box(0, 0, 1, 1)]), square)
    bowtie = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    with pytest.raises(OverlapError, match="invalid geometries: y"):
        area_overlap(gpd.GeoDataFrame({"code": ["y"]}, geometry=[bowtie], crs=27700), square)
    with pytest.raises(OverlapError, match="no 'code' column"):
        area_overlap(gpd.GeoDataFrame({"id": ["y"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=27700), square)


def test_area_overlap_small_cases():
    a = gpd.GeoDataFrame({"code": ["A", "A", "C"], "name": ["a", "a", "c"]},
                         geometry=[shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10),
                                   shapely.box(0, 10.00001, 10, 20)], crs=27700)
    b = gpd.GeoDataFrame({"code": ["B"]}, geometry=[shapely.box(5, 0, 15, 10.00005)], crs=27700)
    t = area_overlap(a, b).set_index("a_code")
    # A is two rows with one code: one area of 200 m², 100 m² of it in B
    assert t.loc["A", "overlap_area_m2"] == pytest.approx(100.0)
    assert t.loc["A", "share_of_a"] == pytest.approx(0.5)
    assert t.loc["A", "share_of_b"] == pytest.approx(100.0 / (10 * 10.00005))
    assert "C" not in t.index  # a 10 x 0.00004 m sliver is under the tolerance
    assert "C" in area_overlap(a, b, min_area_m2=0.0).set_index("a_code").index


def test_summary_classes_on_a_small_table():
    table = pd.DataFrame({
        "a_code": ["p", "q", "r", "r", "s", "s", "s"], "a_name": ["P", "Q", "R", "R", "S", "S", "S"],
        "b_code": ["x", "x", "x", "y", "x", "y", "z"], "b_name": ["X", "X", "X", "Y", "X", "Y", "Z"],
        "share_of_a": [0.97, 1.0, 0.6, 0.4, 0.4, 0.35, 0.25], "share_of_b": [0.99, 0.3, 0.5, 0.2, 0.1, 0.1, 0.1],
    })
    table.attrs["measure"] = "overlap_population"
    s = overlap_summary(table, "population").set_index("a_code")
    assert list(s["match"]) == ["coterminous", "within", "mostly", "split"]
    assert s.loc["s", "n_overlaps"] == 3 and "split" in s.loc["s", "reason"]
    assert list(overlap_summary(table, "population", coterminous_min=0.98)["match"])[0] == "mostly"  # 97% < 98%
    with pytest.raises(OverlapError, match="no area shares"):
        overlap_summary(table, "area")


# --- command line --------------------------------------------------------------------------------

def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "spatial", "overlap", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_cli_csv_parses_and_matches_the_units(geo):
    res = _cli("ccg", "borough", "--csv")
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(io.StringIO(res.stdout))
    assert {"a_code", "b_code", "overlap_population", "share_of_a_pop", "overlap_area_m2"} <= set(table.columns)
    assert table.overlap_population.sum() == geo.units.population.sum()
    hackney = table[(table.a_code == CITY_HACKNEY_CCG) & (table.overlap_population > 0)]
    assert set(hackney.b_code) == {CITY, HACKNEY}


def test_cli_summary_json_and_a_scenario_file(tmp_path, geo):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"format": "footprints-scenario", "version": 1, "name": "plan", "footprints": [
        {"name": "K&R", "level": "multi_borough", "members": ["E09000021", "E09000027"]}]}))
    res = _cli(str(path), "stp", "--summary", "--json", "--by", "population")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    row = out["rows"][0]
    assert row["a_code"] == "K&R" and row["b_code"] == "E54000031" and row["match"] == "within"
    u = geo.units
    kr = u.loc[u.borough.isin(["E09000021", "E09000027"]), "population"].sum()
    assert row["share_of_b"] == pytest.approx(kr / u.loc[u.stp == "E54000031", "population"].sum())
    assert "ONS" in out["metadata"]["assignment"]


def test_cli_unknown_layer_exits_2_without_traceback():
    res = _cli("ccg", "borugh")
    assert res.returncode == 2
    assert "did you mean 'borough'" in res.stderr and "Traceback" not in res.stderr
    assert res.stdout == ""


# --- area from units (unit-built layers) ---------------------------------------------------------

def _unit_area_sums(geo, layer: str) -> pd.Series:
    u = geo.units
    return pd.Series(u.geometry.area.to_numpy(), index=u[layer].to_numpy()).groupby(level=0).sum()


@pytest.mark.parametrize("layer", ["ccg", "stp", "msoa"])
def test_published_ccg_stp_msoa_are_found_unit_built(geo, index, layer):
    pub = geo.layer(layer, "published")
    built = unit_built(pub, index)
    # independently: each published shape has the area of the units the lookup puts in it
    sums = _unit_area_sums(geo, layer)
    shape_area = pub.set_index("code").geometry.area
    rel = ((shape_area - sums.reindex(shape_area.index)).abs() / sums.reindex(shape_area.index))
    assert rel.max() < 1e-8  # far below the 1e-6 the overlaps must meet (coverage_clean moved vertices < 1 mm)
    assert built.ok, built.reason
    assert built.layer == layer
    assert built.worst_rel == pytest.approx(rel.max(), rel=1e-3, abs=1e-13)
    # the membership is the ONS lookup
    m = built.matrix.toarray()
    expected = (geo.units[layer].to_numpy()[:, None] == np.asarray(built.codes)[None, :]).astype(float)
    assert (m == expected).all()


def test_gla_boroughs_are_not_unit_built(geo, index):
    bor = geo.layer("borough", "published")
    built = unit_built(bor, index)
    sums = _unit_area_sums(geo, "borough")
    rel = (bor.set_index("code").geometry.area - sums).abs() / sums
    assert rel.max() > 1e-7  # independently: the GLA shapes are digitised apart from the LSOAs
    assert not built.ok and built.matrix is None
    worst = rel.idxmax()
    assert worst in built.reason and "differs in area" in built.reason
    # so with boroughs as A and units known, the method works from B's (the CCGs') units instead
    table = area_overlap(bor, geo.layer("ccg", "published"), index=index, cache=False)
    assert table.attrs["area_method"].startswith("from units: B is a union of whole units")
    assert "differs in area" in table.attrs["a_unit_built"]


def test_unit_built_rejects_a_shape_moved_or_codes_of_no_layer(geo, index):
    ccg = geo.layer("ccg", "published")
    moved = ccg.copy()
    moved.loc[moved.index[0], "geometry"] = shapely.affinity.translate(moved.geometry.iloc[0], 5.0, 0.0)
    built = unit_built(moved, index)
    assert not built.ok and "extent" in built.reason and moved["code"].iloc[0] in built.reason
    renamed = ccg.assign(code=["X" + c for c in ccg["code"]])
    assert "not the codes of one layer" in unit_built(renamed, index).reason
    # a subset of a unit-built layer is unit-built too
    assert unit_built(ccg.iloc[[3, 7]], index).ok


@pytest.mark.parametrize("a,b", [("ccg", "borough"), ("stp", "borough"), ("borough", "ccg"), ("borough", "stp")])
def test_area_from_units_matches_geopandas_overlay(geo, index, a, b):
    pa, pb = geo.layer(a, "published"), geo.layer(b, "published")
    table = area_overlap(pa, pb, index=index, cache=False)
    assert table.attrs["area_method"].startswith("from units")
    expected = _overlay_areas(pa, pb)
    got = _pairs(table, "overlap_area_m2")
    assert list(got.index) == list(expected.index)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-6)
    area_a, area_b = pa.set_index("code").area, pb.set_index("code").area
    np.testing.assert_allclose(
        _pairs(table, "share_of_a").to_numpy(),
        (expected / area_a.reindex(expected.index.get_level_values(0)).to_numpy()).to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(
        _pairs(table, "share_of_b").to_numpy(),
        (expected / area_b.reindex(expected.index.get_level_values(1)).to_numpy()).to_numpy(), rtol=1e-6)


def test_unit_areas_table_is_the_units_cut_by_the_boroughs(geo, index):
    bor = geo.layer("borough", "published")
    table = unit_areas(bor, index, cache=False)
    assert not table.from_cache and table.n_inside > 0 and table.n_cut > 0
    assert list(table.codes) == sorted(bor["code"])
    rng = np.random.default_rng(4)
    u = geo.units
    for i in rng.choice(len(u), 40, replace=False):
        cut = bor.geometry.intersection(u.geometry.iloc[i]).area.to_numpy()
        expected = pd.Series(cut, index=bor["code"].to_numpy()).groupby(level=0).sum().reindex(table.codes)
        np.testing.assert_allclose(table.matrix[[i], :].toarray().ravel(), expected.to_numpy(), rtol=1e-9,
                                   atol=1e-6)


def test_scenario_footprints_by_published_borough_from_units_match_overlay(engine, geo):
    from spatial.preloaded import load_preloaded

    scn = load_preloaded("swl-partnerships")
    table = overlap_table(scn, "borough", engine, by="area", cache=False)
    assert table.attrs["area_method"].startswith("from units: A is a union of whole units")
    u = geo.units
    rows = [{"code": fp.name, "geometry": shapely.union_all(u.geometry.iloc[engine.index.expand(fp.members)])}
            for fp in scn.footprints]
    expected = _overlay_areas(gpd.GeoDataFrame(rows, crs=27700), geo.layer("borough", "published"))
    got = _pairs(table, "overlap_area_m2")
    assert list(got.index) == list(expected.index)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-6)


def test_unit_areas_cache_lives_in_the_processed_folder_and_is_keyed_by_the_shapes(geo, index):
    from boundaries import settings

    bor = geo.layer("borough", "published")
    first = unit_areas(bor, index)
    again = unit_areas(bor, index)
    assert again.from_cache
    path = _unit_areas_path(index, again.key, settings())
    assert path is not None and path.is_file()
    assert settings().processed_dir in path.parents and ROOT not in path.parents
    assert (again.matrix != first.matrix).nnz == 0
    # one vertex moved: another key, so the stale table is not used
    moved = bor.copy()
    g = moved.geometry.iloc[0]
    coords = shapely.get_coordinates(g)
    coords[1, 0] += 0.01  # a vertex that does not close a ring, moved by 1 cm
    moved.loc[moved.index[0], "geometry"] = shapely.set_coordinates(g, coords)
    assert moved.geometry.iloc[0].is_valid
    other = unit_areas(moved, index, cache=False)
    assert other.key != again.key and not other.from_cache
    # a damaged cache file is ignored and rewritten
    path.write_bytes(b"not a table")
    fresh = unit_areas(bor, index)
    assert not fresh.from_cache and (fresh.matrix != first.matrix).nnz == 0
    assert unit_areas(bor, index).from_cache


def test_unit_path_checks_the_shapes_it_cuts(index, geo):
    ccg = geo.layer("ccg", "published")
    bowtie = shapely.Polygon([(530000, 180000), (531000, 181000), (531000, 180000), (530000, 181000)])
    bad = gpd.GeoDataFrame({"code": ["y"]}, geometry=[bowtie], crs=27700)
    with pytest.raises(OverlapError, match="b_gdf has 1 missing or invalid geometries: y"):
        area_overlap(ccg, bad, index=index, cache=False)


_PRECOMPUTE = """
import json, sys
from pathlib import Path
from spatial.api import Engine
from boundaries import settings
from spatial.overlaps import PRECOMPUTED_MARKER, area_overlap, precompute_unit_areas
engine = Engine.load()   # a fresh cache: builds the dataset, then precomputes the published tables
folder = settings().processed_dir / f"{engine.geo.region}-{engine.geo.key}"
ccg, bor = (engine.geo.layer(n, "published") for n in ("ccg", "borough"))
first = area_overlap(ccg, bor, index=engine.index)
computed = area_overlap(ccg, bor, index=engine.index, cache=False)
print(json.dumps({"marker": (folder / PRECOMPUTED_MARKER).is_file(),
                  "tables": sorted(p.name for p in folder.glob("unit_areas_*.bin")),
                  "again": precompute_unit_areas(engine.index),
                  "first": first.attrs["unit_areas"], "computed": computed.attrs["unit_areas"],
                  "same": bool(first.equals(computed)), "pairs": len(first)}))
"""


def test_engine_load_precomputes_the_published_borough_table_so_the_first_overlap_reads_it(tmp_path, data_dir):
    """Issue 16: the first CCG x borough area overlap reads the table the dataset build made."""
    import os

    env = {**os.environ, "FOOTPRINTS_CACHE": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", _PRECOMPUTE], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["marker"] and len(got["tables"]) == 1, got   # only the GLA boroughs are not unit-built
    assert got["again"] == []                                  # the marker makes later loads a no-op
    assert got["first"] == "read from the processed cache" and got["computed"] == "computed"
    assert got["same"] and got["pairs"] > 100                  # identical to the table computed in the call


def test_overlap_pieces_are_the_shared_units_classed_like_the_summary(index, geo):
    """Issue 15: the map's pieces come from the engine, classed by the same rule as the summary."""
    from spatial.overlaps import PIECE_KINDS, match_class, overlap_pieces

    t = 0.95
    la, lb = overlap_layer("ccg", index), overlap_layer("borough", index)
    table = overlap_table(la, lb, index, by="population")
    pieces = overlap_pieces(la, lb, table, index, t)
    u = geo.units
    assert len(pieces) == len(u.groupby(["ccg", "borough"])) == len(table)
    # the old rule of the Overlaps page, written out: matching / both at least half / the rest
    sa, sb = table["share_of_a_pop"].to_numpy(), table["share_of_b_pop"].to_numpy()
    expected = np.where((sa >= t) & (sb >= t), PIECE_KINDS[0],
                        np.where((sa >= 0.5) & (sb >= 0.5), PIECE_KINDS[1], PIECE_KINDS[2]))
    assert list(pieces["kind"]) == list(expected)
    assert set(pieces["kind"]) == set(PIECE_KINDS)   # London's CCG x borough has all three kinds
    city = pieces[pieces["code"] == f"{CITY_HACKNEY_CCG}|{CITY}"].iloc[0]
    assert city["kind"] == PIECE_KINDS[2]            # the City of London inside City and Hackney CCG
    # each piece is the union of the units in both areas (its area their summed area)
    want = u.assign(a=u.geometry.area).groupby(["ccg", "borough"])["a"].sum()
    got = pieces.set_index(pieces["code"].str.split("|", expand=True).apply(tuple, axis=1)).geometry.area
    np.testing.assert_allclose(got.to_numpy(), want.reindex(got.index).to_numpy(), rtol=1e-9)
    # the summary's class of each A's best pair is the same function
    summary = overlap_summary(table, "population", t)
    assert list(summary["match"]) == list(match_class(summary["share_of_a"], summary["share_of_b"], t))
    assert list(summary["match"]) == [_expected_class(x, y, t) for x, y in zip(summary["share_of_a"],
                                                                             summary["share_of_b"])]


def test_unit_areas_cache_uses_the_settings_it_is_given(geo, index, data_dir, tmp_path):
    """Issue 15: the cache folder comes from the caller's Settings, not from the default settings."""
    from boundaries import Settings, settings
    from spatial.overlaps import PRECOMPUTED_MARKER, precompute_unit_areas

    config = Settings(data_dir, tmp_path / "cache", "env")
    assert config.processed_dir != settings().processed_dir
    folder = config.processed_dir / f"{geo.region}-{geo.key}"
    bor = geo.layer("borough", "published")
    assert not unit_areas(bor, index, config=config).from_cache   # no dataset folder there: computed, not kept
    assert not folder.exists()
    folder.mkdir(parents=True)
    first = unit_areas(bor, index, config=config)
    assert not first.from_cache and [p.name for p in folder.glob("unit_areas_*.bin")] == [
        f"unit_areas_{first.key}.bin"]
    again = unit_areas(bor, index, config=config)
    assert again.from_cache and (again.matrix != first.matrix).nnz == 0
    assert precompute_unit_areas(index, config) == ["borough"] and (folder / PRECOMPUTED_MARKER).is_file()
    table = area_overlap(geo.layer("ccg", "published"), bor, index=index, config=config)
    assert table.attrs["unit_areas"] == "read from the processed cache"
