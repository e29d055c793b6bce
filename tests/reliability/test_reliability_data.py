"""Reliability catalogue, data files: bad source files give a typed error naming the file and the fix.

Cases already covered elsewhere (CSV validation, corrupt/half-written
GeoPackage, missing/wrong CRS in a GeoPackage, the real invalid England LSOA,
empty geometry, duplicate codes, byte-order marks, negative population, flow
shares above one) are listed in ``docs/RELIABILITY.md`` with their test names.
This module adds the shapefile cases (built from a real shapefile in the data
mirror, copied to a temporary folder), missing population, a missing data
directory, truncated real files and an HTML page saved under a data file name.

Every case also checks that nothing is lost: the file read is unchanged.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from boundaries import (
    REGISTRY,
    CodeError,
    CorruptFileError,
    CRSError,
    DataError,
    GeometryError,
    MissingDataError,
    PopulationError,
    RecordCountError,
    Settings,
    load_geographies,
)
from boundaries.errors import FootprintsError
from boundaries.geographies import _check_population
from boundaries.readers import Loaded, read_dataset
from boundaries.flows import FlowDataError, read_flow_file

RAW_SHP = Path("london/raw/jamesdamillington_london-data/london-2021-lad22-gen20")
#: The 33 London boroughs (2022 boundaries) as a real ESRI shapefile from the mirror.
SHP_DS = dataclasses.replace(REGISTRY["london_borough_gla"], path="shp/lad22.shp", layer="lad22",
                             code_column="LAD22CD")
WGS84_PRJ = ('GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],'
             'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]')


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.blake2b(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def shapefile(tmp_path, data_dir) -> Path:
    """A copy of the real borough shapefile (.shp/.shx/.dbf/.prj/.cpg) in ``tmp_path/shp``."""
    (tmp_path / "shp").mkdir()
    for ext in ("shp", "shx", "dbf", "prj", "cpg"):
        shutil.copy(data_dir / f"{RAW_SHP}.{ext}", tmp_path / "shp" / f"lad22.{ext}")
    return tmp_path


def _expect(error: type[FootprintsError], folder: Path, *words: str, ds=SHP_DS) -> str:
    before = _digest(folder)
    with pytest.raises(error) as info:
        read_dataset(ds, folder)
    msg = str(info.value)
    assert isinstance(info.value, DataError)
    assert f"[{ds.id}]" in msg and "(file: " in msg and "Fix:" in msg, msg
    for w in words:
        assert w in msg, (w, msg)
    assert _digest(folder) == before, "a bad file was changed by reading it"
    return msg


def test_good_shapefile_reads(shapefile):
    """The control: the untouched copy reads, so the failures below are the damage's doing."""
    loaded = read_dataset(SHP_DS, shapefile)
    assert len(loaded.frame) == 33 and loaded.frame.crs.to_epsg() == 27700
    assert sorted(loaded.frame["LAD22CD"]) == [f"E09{n:06d}" for n in range(1, 34)]


def test_shapefile_without_shx(shapefile):
    (shapefile / "shp" / "lad22.shx").unlink()
    _expect(CorruptFileError, shapefile, "cannot read layer 'lad22'", ".shx")


def test_shapefile_without_dbf(shapefile):
    (shapefile / "shp" / "lad22.dbf").unlink()
    _expect(CodeError, shapefile, "code column 'LAD22CD' is missing")


def test_shapefile_without_prj_has_no_crs(shapefile):
    (shapefile / "shp" / "lad22.prj").unlink()
    _expect(CRSError, shapefile, "no coordinate reference system", "EPSG:27700")


def test_shapefile_labelled_in_the_wrong_crs(shapefile):
    (shapefile / "shp" / "lad22.prj").write_text(WGS84_PRJ)
    _expect(CRSError, shapefile, "EPSG:4326", "expected EPSG:27700")


def test_truncated_shp(shapefile, data_dir):
    real = (data_dir / f"{RAW_SHP}.shp").read_bytes()
    keep = len(real) // 3
    (shapefile / "shp" / "lad22.shp").write_bytes(real[:keep])
    # Independently, from the index file: record i starts at 2 * offset (16-bit words, big-endian,
    # at byte 100 + 8 i of the .shx) and holds 8 + 2 * length bytes; those past the cut are lost.
    shx = (data_dir / f"{RAW_SHP}.shx").read_bytes()
    n = (len(shx) - 100) // 8
    rec = np.frombuffer(shx[100:100 + 8 * n], dtype=">i4").reshape(n, 2)
    lost = int(((2 * rec[:, 0] + 8 + 2 * rec[:, 1]) > keep).sum())
    assert 0 < lost < 33
    msg = _expect(GeometryError, shapefile, f"{lost} feature(s) have empty or missing geometry")
    # the boroughs whose shapes were cut off are named, not silently dropped
    import pyogrio

    codes = pyogrio.read_dataframe(data_dir / f"{RAW_SHP}.shp", read_geometry=False)["LAD22CD"]
    first_lost = codes[int(np.argmax((2 * rec[:, 0] + 8 + 2 * rec[:, 1]) > keep))]
    assert first_lost in msg


def test_truncated_dbf(shapefile, data_dir):
    real = (data_dir / f"{RAW_SHP}.dbf").read_bytes()
    (shapefile / "shp" / "lad22.dbf").write_bytes(real[:2000])
    _expect(RecordCountError, shapefile, "expected 33 records")


def test_garbage_in_shp(shapefile):
    (shapefile / "shp" / "lad22.shp").write_bytes(b"\x00" * 100 + b"not a shapefile" * 100)
    _expect(CorruptFileError, shapefile, "cannot read layer")


def test_geopackage_without_the_layer(tmp_path, data_dir):
    ds = REGISTRY["london_ccg18"]
    dst = tmp_path / ds.path
    dst.parent.mkdir(parents=True)
    shutil.copy(data_dir / ds.path, dst)
    wrong = dataclasses.replace(ds, layer="ccg19")
    _expect(CorruptFileError, tmp_path, "cannot read layer 'ccg19'", ds=wrong)


def test_html_error_page_saved_as_geopackage(tmp_path):
    ds = REGISTRY["london_ccg18"]
    dst = tmp_path / ds.path
    dst.parent.mkdir(parents=True)
    dst.write_bytes(b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>\n")
    _expect(CorruptFileError, tmp_path, "cannot read layer", ds=ds)


def test_truncated_real_lookup_csv(tmp_path, data_dir):
    ds = REGISTRY["lsoa_ccg_stp_lookup"]
    real = (data_dir / ds.path).read_bytes()
    dst = tmp_path / ds.path
    dst.parent.mkdir(parents=True)
    dst.write_bytes(real[: len(real) // 2])  # cut in the middle of a line
    expected_rows = real[: len(real) // 2].count(b"\n")  # header + complete rows + the cut row
    msg = _expect(RecordCountError, tmp_path, "expected 32,844 records", ds=ds)
    assert f"found {expected_rows:,}" in msg  # complete rows + the cut one, as pandas reads it


def test_malformed_codes_in_a_vector_file(shapefile):
    import geopandas as gpd

    path = shapefile / "shp" / "lad22.shp"
    gdf = gpd.read_file(path)
    gdf.loc[3, "LAD22CD"] = "e09000004"  # lower case: not a GSS code as published
    gdf.loc[4, "LAD22CD"] = "E9000005"  # a digit lost
    gdf.to_file(path)
    _expect(CodeError, shapefile, "2 code(s) in LAD22CD do not match", "'e09000004'", "'E9000005'")


def test_missing_population_is_rejected(geo):
    units = geo.units[["code", "pop_2017", "pop_2019"]].copy()
    code = units.loc[42, "code"]
    units.loc[42, "pop_2019"] = np.nan
    src = Loaded(REGISTRY["london_lsoa"], Path("london_2011_geographies.gpkg"), pd.DataFrame())
    with pytest.raises(PopulationError) as info:
        _check_population(units, src)
    msg = str(info.value)
    assert f"1 unit(s) have a missing or negative pop_2019: {code} (nan)" in msg and "Fix:" in msg


def test_population_that_is_text_is_rejected(geo):
    units = geo.units[["code", "pop_2017"]].copy().astype({"pop_2017": object})
    units.loc[7, "pop_2017"] = "1,234"  # thousands separator from a spreadsheet
    src = Loaded(REGISTRY["london_lsoa"], Path("london_2011_geographies.gpkg"), pd.DataFrame())
    with pytest.raises(PopulationError, match=r"missing or negative pop_2017: .* \(1,234\)"):
        _check_population(units, src)


def test_missing_data_directory(tmp_path):
    config = Settings(tmp_path / "no-such-folder", tmp_path / "cache", "env")
    with pytest.raises(MissingDataError) as info:
        load_geographies(config=config)
    msg = str(info.value)
    assert "file not found" in msg and "FOOTPRINTS_DATA" in msg and "python -m boundaries fetch" in msg
    assert not (tmp_path / "no-such-folder").exists(), "a missing data folder must not be created"
    assert not any((tmp_path / "cache").rglob("meta.json")), "nothing may be cached from a failed build"


def test_flow_file_whose_duplicate_rows_push_shares_above_one(tmp_path):
    # Each row is within [0, 1] and the first MSOA's distinct trusts sum to 0.8, but a repeated
    # row (summed, as the publisher's successor remapping needs) takes it to 1.2.
    p = tmp_path / "flows.csv"
    p.write_text("msoa_code,trust_code,proportion\nE02000001,RJ1,0.4\nE02000001,R1H,0.4\n"
                 "E02000001,RJ1,0.4\nE02000002,RJ1,0.5\n", encoding="utf-8")
    before = p.read_bytes()
    with pytest.warns(UserWarning, match="summed"), pytest.raises(FlowDataError) as info:
        read_flow_file(p, year=2018)
    assert "E02000001 (1.2000)" in str(info.value) and "Fix:" in str(info.value)
    assert p.read_bytes() == before


def test_flow_file_that_is_an_html_page(tmp_path):
    p = tmp_path / "flows.csv"
    p.write_text("<!DOCTYPE html>\n<html><body>Sign in</body></html>\n", encoding="utf-8")
    with pytest.raises(FlowDataError, match="columns missing: msoa_code, trust_code, proportion"):
        read_flow_file(p, year=2018)


def test_flow_file_in_percent_not_shares(tmp_path):
    p = tmp_path / "flows.csv"
    p.write_text("msoa_code,trust_code,proportion\nE02000001,RJ1,45\nE02000001,R1H,30\n", encoding="utf-8")
    with pytest.raises(FlowDataError, match="percentages must be divided by 100"):
        read_flow_file(p, year=2018)
