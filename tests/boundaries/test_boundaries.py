"""The data foundation on the real London data, and each validation error on crafted files."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from boundaries import (
    REGISTRY,
    CodeError,
    ConsistencyError,
    CorruptFileError,
    CRSError,
    DataError,
    GeometryError,
    MissingDataError,
    PopulationError,
    RecordCountError,
    Settings,
    build_geographies,
    load_geographies,
)
from boundaries.cache import source_key
from boundaries.geographies import _check_units_in_boroughs
from boundaries.readers import read_dataset
from boundaries.registry import get_region

REPO = Path(__file__).resolve().parents[2]


# --- the real data --------------------------------------------------------------------------

def test_counts(geo):
    assert len(geo.units) == 4835
    assert len(geo.layer("msoa")) == 983
    borough = geo.layer("borough")
    assert len(borough) == 33
    assert sorted(borough.code) == [f"E09{n:06d}" for n in range(1, 34)]
    assert len(geo.layer("ccg")) == 32  # London CCGs, April 2018
    stp = geo.layer("stp")
    assert len(stp) == 5
    assert set(stp.name) == {"North West London", "North Central London", "North East London",
                             "South West London", "South East London"}
    assert geo.units.crs.to_epsg() == 27700
    for name in ("msoa", "borough", "ccg", "stp"):
        assert geo.layer(name).crs.to_epsg() == 27700
        assert geo.layer(name, "published").crs.to_epsg() == 27700


def test_wards_from_the_best_fit_lookup(geo, data_dir):
    """Wards (2017) built from whole LSOAs by the ONS best-fit lookup, named from the GLA 2014 table."""
    lookup = pd.read_csv(data_dir / "england/lsoa11_ward17_lookup_ew.csv", encoding="utf-8-sig", dtype=str)
    gla = gpd.read_file(data_dir / "london/raw/duccioa_LondonGentrification_GLA_dbf/London_Ward_CityMerged.dbf",
                        ignore_geometry=True)
    want = geo.units[["code"]].merge(lookup, left_on="code", right_on="LSOA11CD", how="left")
    assert want["WD17CD"].notna().all()
    assert (geo.units["ward"].to_numpy() == want["WD17CD"].to_numpy()).all()
    wards = geo.layer("ward")
    assert len(wards) == want["WD17CD"].nunique() == 634  # SOURCES.md: 634 wards (2017 codes)
    assert wards.crs.to_epsg() == 27700
    assert int(wards.population.sum()) == int(geo.units.population.sum())
    assert geo.units.groupby("ward")["borough"].nunique().max() == 1  # every ward lies in one borough,
    assert "borough" in wards  # so the layer carries its borough
    named = geo.units["ward"].isin(set(gla["GSS_CODE"]))
    assert round(float(named.mean()), 3) == 0.918  # SOURCES.md: 91.8% of LSOAs have a named ward
    names = dict(zip(gla["GSS_CODE"], gla["NAME"]))
    by_code = wards.set_index("code")["name"]
    for code in wards.code[wards.code.isin(names.keys())]:
        assert by_code[code] == names[code]
    unnamed = wards[~wards.code.isin(names.keys())]
    assert len(unnamed) > 0
    boroughs = geo.layer("borough").set_index("code")["name"]
    assert all(n == f"{c} ({boroughs[b]})" for c, n, b in zip(unnamed.code, unnamed.name, unnamed.borough))
    assert any("have no published name" in n for n in geo.notes)
    # a ward is an approximation built from LSOAs, so it is a clean part of the unit coverage
    assert shapely.coverage_is_valid(wards.geometry.to_numpy())


def test_ward_table_errors(data_dir, tmp_path):
    """A damaged ward name table is a clear error naming the dataset and the fix."""
    ds = REGISTRY["london_ward_names"]
    bad = tmp_path / ds.path
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"<html>not found</html>")
    with pytest.raises(CorruptFileError, match="london_ward_names.*fetch it again"):
        read_dataset(ds, tmp_path)
    loaded = read_dataset(ds, data_dir)
    assert len(loaded.frame) == 625 and "geometry" not in loaded.frame


def test_population_totals_match_ons(geo):
    assert geo.year == 2017
    assert int(geo.units.population.sum()) == 8_825_001  # ONS mid-2017 London
    g19 = geo.with_year(2019)
    assert int(g19.units.population.sum()) == 8_961_989  # ONS mid-2019 London
    assert int(g19.layer("borough").population.sum()) == 8_961_989
    assert geo.years == [2011, 2017, 2019, 2020]
    # borough spot checks from SOURCES.md
    b = geo.layer("borough").set_index("name")
    assert b.loc["Barnet", "population"] == 387_803
    assert b.loc["Croydon", "population"] == 384_837
    assert g19.layer("borough").set_index("name").loc["City of London", "population"] == 9_721


def test_unknown_year_is_a_clear_error(geo):
    with pytest.raises(PopulationError, match="2016.*choose one of 2011, 2017, 2019, 2020"):
        geo.with_year(2016)


def test_every_unit_in_exactly_one_area_per_layer(geo):
    u = geo.units
    for col, layer in (("msoa", "msoa"), ("borough", "borough"), ("ccg", "ccg"), ("stp", "stp")):
        assert u[col].notna().all() and (u[col] != "").all()
        assert set(u[col]) == set(geo.layer(layer).code)
        assert int(geo.layer(layer).n_units.sum()) == len(u)
    # units nest in MSOAs, MSOAs in boroughs, boroughs in STPs
    assert (u.groupby("msoa").borough.nunique() == 1).all()
    assert (u.groupby("borough").stp.nunique() == 1).all()
    # the published exceptions to CCG/borough coterminosity (nhs/SOURCES.md)
    assert set(u.loc[u.ccg == "E38000035", "borough"]) == {"E09000001", "E09000012"}
    assert set(u.loc[u.borough == "E09000033", "ccg"]) == {"E38000031", "E38000202"}


def test_units_form_a_valid_coverage(geo):
    assert shapely.coverage_is_valid(geo.units.geometry.values)
    assert shapely.is_valid(geo.units.geometry.values).all()
    assert any("coverage_clean" in n for n in geo.notes)


def test_dissolved_boroughs_match_published(geo):
    mine = geo.layer("borough").set_index("code").geometry
    pub = geo.layer("borough", "published").set_index("code").geometry
    assert set(mine.index) == set(pub.index)
    for code in mine.index:
        a, b = mine[code], pub[code]
        diff = a.symmetric_difference(b).area / b.area
        assert abs(a.area - b.area) / b.area < 0.005, code
        assert diff < 0.05, code  # shapes agree, not only areas


def test_area_is_sum_of_units(geo):
    for name in ("borough", "stp"):
        layer = geo.layer(name)
        assert np.allclose(layer.geometry.area, layer.area_m2, rtol=1e-6)


# --- processed cache -----------------------------------------------------------------------

def _linked_data_dir(tmp_path: Path, data_dir: Path, replace: dict[str, object] | None = None) -> Path:
    """A data dir of symlinks to the mirror, with some files replaced by writers."""
    out = tmp_path / "data"
    for src in data_dir.rglob("*"):
        if src.is_file():
            dst = out / src.relative_to(data_dir)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.symlink_to(src)
    for rel, writer in (replace or {}).items():
        dst = out / rel
        dst.unlink()
        writer(dst)
    return out


def test_cache_is_rebuilt_when_a_source_changes(tmp_path, data_dir):
    config = Settings(_linked_data_dir(tmp_path, data_dir), tmp_path / "cache", "env")
    geo = load_geographies(config=config)
    folders = list(config.processed_dir.iterdir())
    assert len(folders) == 1 and (folders[0] / "meta.json").is_file()
    assert not [p for p in config.processed_dir.iterdir() if p.name.startswith(".")]
    again = load_geographies(config=config)
    assert again.key == geo.key and len(again.units) == 4835
    assert again.units.geometry.equals(geo.units.geometry)
    # change a source file: a new key, a rebuild
    lookup = config.data_dir / REGISTRY["ccg_stp_lookup"].path
    key_before = source_key(get_region("london"), config)
    lookup_src = lookup.resolve()
    lookup.unlink()
    shutil.copy(lookup_src, lookup)
    assert source_key(get_region("london"), config) == key_before  # same bytes, same key
    nhs = config.data_dir / REGISTRY["lsoa_ccg_stp_lookup"].path
    text = nhs.read_text(encoding="utf-8-sig")
    nhs.unlink()
    nhs.write_text(text + "\n", encoding="utf-8")
    assert source_key(get_region("london"), config) != key_before


def test_damaged_cache_is_rebuilt(tmp_path, data_dir):
    config = Settings(data_dir, tmp_path / "cache", "env")
    load_geographies(config=config)
    folder = next(config.processed_dir.iterdir())
    (folder / "units.parquet").write_bytes(b"not parquet")
    geo = load_geographies(config=config)
    assert len(geo.units) == 4835


# --- validation on crafted bad files ---------------------------------------------------------

CSV_DS = REGISTRY["ccg_stp_lookup"]


def _csv_dir(tmp_path, text: str | bytes, ds=CSV_DS) -> Path:
    path = tmp_path / ds.path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return tmp_path


def _small(ds, n):
    return dataclasses.replace(ds, records=n)


def test_missing_file(tmp_path):
    with pytest.raises(MissingDataError) as err:
        read_dataset(CSV_DS, tmp_path)
    msg = str(err.value)
    assert "ccg_stp_lookup" in msg and "file not found" in msg and "FOOTPRINTS_DATA" in msg


def test_byte_order_mark_is_handled(tmp_path):
    d = _csv_dir(tmp_path, "\ufeffCCG18CD,CCG18NM\nE38000001,A\nE38000002,B\n")
    loaded = read_dataset(_small(CSV_DS, 2), d)
    assert list(loaded.frame.columns)[0] == "CCG18CD"
    assert any("byte-order mark" in n for n in loaded.notes)


def test_real_lookup_with_bom_reads(data_dir):
    loaded = read_dataset(REGISTRY["lsoa_ccg_stp_lookup"], data_dir)
    assert loaded.frame.columns[0] == "LSOA11CD"


@pytest.mark.parametrize(
    "text, error, words",
    [
        ("CCG18NM\nA\nB\n", CodeError, "code column 'CCG18CD' is missing"),
        ("CCG18CD,CCG18NM\nE38000001,A\n,B\n", CodeError, "blank CCG18CD (lines 3)"),
        ("CCG18CD,CCG18NM\nE38000001,A\nX38,B\n", CodeError, "do not match"),
        ("CCG18CD,CCG18NM\nE38000001,A\nE38000001,B\n", CodeError, "duplicate code"),
        ("CCG18CD,CCG18NM\nE38000001,A\n", RecordCountError, "expected 2 records, found 1"),
        ("<!DOCTYPE html><html><body>Service unavailable</body></html>", CorruptFileError, "HTML"),
        (b"CCG18CD,CCG18NM\nE38000001,\xff\xfe\nE38000002,B\n", CorruptFileError, "not UTF-8"),
        ("", CorruptFileError, "empty"),
    ],
)
def test_csv_validation_errors(tmp_path, text, error, words):
    d = _csv_dir(tmp_path, text)
    with pytest.raises(error) as err:
        read_dataset(_small(CSV_DS, 2), d)
    msg = str(err.value)
    assert words in msg
    assert "ccg_stp_lookup" in msg and "Fix:" in msg


VEC_DS = dataclasses.replace(REGISTRY["london_borough_gla"], path="x/boroughs.gpkg", layer="borough_gla")


def _gpkg(tmp_path, geoms, codes, crs=27700) -> Path:
    path = tmp_path / VEC_DS.path
    path.parent.mkdir(parents=True, exist_ok=True)
    gpd.GeoDataFrame({"GSS_CODE": codes, "NAME": codes}, geometry=geoms, crs=crs).to_file(
        path, layer="borough_gla", driver="GPKG")
    return tmp_path


def test_corrupt_geopackage(tmp_path):
    path = tmp_path / VEC_DS.path
    path.parent.mkdir(parents=True)
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(2000))
    with pytest.raises(CorruptFileError, match="cannot read layer 'borough_gla'"):
        read_dataset(_small(VEC_DS, 2), tmp_path)


def test_half_written_geopackage(tmp_path, data_dir):
    real = (data_dir / REGISTRY["london_ccg18"].path).read_bytes()
    path = tmp_path / REGISTRY["london_ccg18"].path
    path.parent.mkdir(parents=True)
    path.write_bytes(real[: len(real) // 3])
    with pytest.raises(CorruptFileError):
        read_dataset(REGISTRY["london_ccg18"], tmp_path)


def test_missing_crs(tmp_path):
    d = _gpkg(tmp_path, [box(0, 0, 1, 1), box(1, 0, 2, 1)], ["E09000001", "E09000002"], crs=None)
    with pytest.raises(CRSError, match="no coordinate reference system.*EPSG:27700"):
        read_dataset(_small(VEC_DS, 2), d)


def test_wrong_crs(tmp_path):
    d = _gpkg(tmp_path, [box(0, 51, 0.1, 51.1), box(0.1, 51, 0.2, 51.1)], ["E09000001", "E09000002"], crs=4326)
    with pytest.raises(CRSError, match="expected EPSG:27700"):
        read_dataset(_small(VEC_DS, 2), d)


def test_invalid_geometry_is_repaired_and_reported(tmp_path):
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    d = _gpkg(tmp_path, [bowtie, box(3, 0, 4, 1)], ["E09000001", "E09000002"])
    loaded = read_dataset(_small(VEC_DS, 2), d)
    assert shapely.is_valid(loaded.frame.geometry.values).all()
    assert loaded.notes == ["repaired 1 invalid geometry with make_valid: E09000001"]


def test_real_invalid_england_geometry_is_repaired(data_dir):
    loaded = read_dataset(REGISTRY["england_lsoa"], data_dir)
    assert any("E01019828" in n for n in loaded.notes)
    assert shapely.is_valid(loaded.frame.geometry.values).all()


def test_empty_geometry(tmp_path):
    d = _gpkg(tmp_path, [box(0, 0, 1, 1), Polygon()], ["E09000001", "E09000002"])
    with pytest.raises(GeometryError, match="empty or missing geometry: E09000002"):
        read_dataset(_small(VEC_DS, 2), d)


def test_duplicate_codes_in_vector(tmp_path):
    d = _gpkg(tmp_path, [box(0, 0, 1, 1), box(1, 0, 2, 1)], ["E09000001", "E09000001"])
    with pytest.raises(CodeError, match="duplicate code.*E09000001"):
        read_dataset(_small(VEC_DS, 2), d)


def test_negative_population_is_rejected(tmp_path, data_dir):
    ds = REGISTRY["london_lsoa"]
    changed = []

    def write(dst: Path):
        import pyogrio
        src = data_dir / ds.path
        for layer in pyogrio.list_layers(src)[:, 0]:
            gdf = gpd.read_file(src, layer=layer)
            if layer == "lsoa11":
                gdf.loc[5, "pop_mid2019"] = -3
                changed.append(gdf.loc[5, "LSOA11CD"])
            gdf.to_file(dst, layer=layer, driver="GPKG")

    config = Settings(_linked_data_dir(tmp_path, data_dir, {ds.path: write}), tmp_path / "c", "env")
    with pytest.raises(PopulationError, match=rf"1 unit\(s\) have a missing or negative pop_2019: {changed[0]} \(-3\)"):
        build_geographies(config=config)


def test_unit_lying_in_another_borough_is_rejected(geo):
    units = geo.units.copy()
    units.loc[100, "borough"] = "E09000033"
    code = units.loc[100, "code"]
    src = read_dataset(REGISTRY["london_lsoa"], __import__("boundaries").settings().data_dir)
    with pytest.raises(ConsistencyError, match=f"{code} \\(says E09000033, lies in"):
        _check_units_in_boroughs(units, geo.layer("borough", "published"), src)


def test_errors_share_a_base_class():
    assert issubclass(CodeError, DataError) and issubclass(MissingDataError, DataError)


# --- other regions are configuration ---------------------------------------------------------

def test_england_region_builds_from_the_same_code(tmp_path, data_dir):
    geo = load_geographies("england", config=Settings(data_dir, tmp_path / "cache", "env"))
    assert len(geo.units) == 32_844
    assert len(geo.layer("msoa")) == 6_791
    assert len(geo.layer("stp")) == 42
    assert int(geo.units.population.sum()) == 55_619_430  # ONS mid-2017 England
    assert any("E01019828" in n for n in geo.notes)


# --- command line ----------------------------------------------------------------------------

def test_status_cli_json():
    out = subprocess.run([sys.executable, "-m", "boundaries", "status", "--json"], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    ids = {d["id"]: d for d in report["datasets"]}
    assert set(ids) == set(REGISTRY)
    assert all(d["ok"] for d in report["datasets"])
    assert ids["london_lsoa"]["records"] == 4835
    layers = {d["id"]: d["records"] for d in report["layers"]}
    assert layers == {"units": 4835, "msoa": 983, "ward": 634, "borough": 33, "ccg": 32, "stp": 5}


def test_status_cli_reports_problem_when_data_missing(tmp_path):
    env = {**os.environ, "FOOTPRINTS_DATA": str(tmp_path / "nowhere"), "FOOTPRINTS_CACHE": str(tmp_path / "c")}
    out = subprocess.run([sys.executable, "-m", "boundaries", "status"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert "PROBLEM" in out.stdout and "file not found" in out.stdout and "FOOTPRINTS_DATA" in out.stdout
    assert "Traceback" not in out.stderr
