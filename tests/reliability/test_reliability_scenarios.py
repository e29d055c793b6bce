"""Reliability catalogue, scenario and assignment files and the Scenarios page's upload reader.

Cases covered in ``tests/spatial/test_scenario_io.py`` (malformed JSON, wrong types,
newer version, duplicate names, parent cycles, non-UTF-8, BOM, deep nesting at
the top level, size cap) are listed in ``docs/RELIABILITY.md``; this module
adds a 100 MB file (sparse, so nothing is written), nesting inside a field,
mixed-case and padded codes checked against pandas, UTF-16 and Excel CSVs, an
unknown population year, and every kind of bad upload the Scenarios page can
receive (wrong extension, a zip bomb, a gzip, a GeoJSON with a million
vertices, a GeoJSON in the wrong CRS, paths in file names).

Each bad input must raise a :class:`FootprintsError` whose message says what
is wrong, where and how to fix it, and leave the file as it was.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from boundaries.errors import FootprintsError, PopulationError
from spatial.errors import AssignmentError, FootprintError, ScenarioError, ScenarioFormatError, UnknownCodeError
from spatial.text import clean_name
from spatial.footprints import Footprint, Scenario
from spatial.io import (
    MAX_BYTES,
    assignment_from_csv,
    dumps,
    load_scenario,
    loads,
    save_scenario,
    validate_members,
)

HUNDRED_MB = 100 * 1024 * 1024
KINGSTON, RICHMOND = "E09000021", "E09000027"


def _sparse(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes no disk space (a hole)."""
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def _scenario_json(**over) -> dict:
    d = {"format": "footprints-scenario", "version": 1, "name": "Kingston and Richmond", "year": 2017,
         "footprints": [{"name": "K&R", "level": "multi_borough", "members": [KINGSTON, RICHMOND]}]}
    d.update(over)
    return d


def _fails(error, path: Path, *words: str) -> str:
    before = path.read_bytes() if path.stat().st_size < MAX_BYTES else None
    with pytest.raises(error) as info:
        load_scenario(path)
    msg = str(info.value)
    assert isinstance(info.value, FootprintsError)
    assert str(path) in msg and "Fix:" in msg, msg
    for w in words:
        assert w in msg, (w, msg)
    if before is not None:
        assert path.read_bytes() == before
    return msg


# --- scenario files -----------------------------------------------------------------------------

def test_100_mb_scenario_file_is_refused_before_reading(tmp_path, monkeypatch):
    path = _sparse(tmp_path / "huge.json", HUNDRED_MB)
    read = []
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self) or b"")
    msg = _fails(ScenarioFormatError, path, f"{HUNDRED_MB:,} bytes", f"limit of {MAX_BYTES:,}")
    assert read == [], "a 100 MB file must be refused from its size, not read"


def test_100_mb_scenario_text_is_refused_before_parsing():
    text = '{"format": "footprints-scenario", "version": 1, "name": "' + "x" * HUNDRED_MB + '"}'
    with pytest.raises(ScenarioFormatError, match="over the limit"):
        loads(text, where="pasted text")


def test_100_mb_assignment_csv_is_refused(tmp_path, index):
    path = _sparse(tmp_path / "huge.csv", HUNDRED_MB)
    with pytest.raises(AssignmentError) as info:
        assignment_from_csv(path, index=index)
    assert f"{HUNDRED_MB:,} bytes" in str(info.value) and str(path) in str(info.value)


@pytest.mark.parametrize("shape", ["lists", "objects"])
def test_deep_nesting_inside_a_field(tmp_path, shape):
    deep = ("[" * 100_000 + "]" * 100_000) if shape == "lists" else ('{"a":' * 100_000 + "1" + "}" * 100_000)
    path = tmp_path / "deep.json"
    path.write_text('{"format": "footprints-scenario", "version": 1, "name": "x", "description": ' + deep + "}",
                    encoding="utf-8")
    _fails(ScenarioFormatError, path, "nested too deeply")


def test_utf16_scenario_file(tmp_path):
    path = tmp_path / "notepad-unicode.json"
    path.write_bytes(json.dumps(_scenario_json()).encode("utf-16"))
    _fails(ScenarioFormatError, path, "not UTF-8 text", "line 1, column 1", "save the file as UTF-8")


def test_binary_file_named_json(tmp_path):
    path = tmp_path / "photo.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    _fails(ScenarioFormatError, path, "not UTF-8 text")


def test_blank_footprint_name(tmp_path):
    d = _scenario_json()
    d["footprints"][0]["name"] = "   "
    path = tmp_path / "blank.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    _fails(FootprintError, path, "footprints[0].name", "the name is empty")


def test_unknown_code_in_a_file_names_the_footprint_and_suggests(tmp_path, index):
    d = _scenario_json()
    d["footprints"][0]["members"] = [KINGSTON, "E09000272"]
    path = tmp_path / "typo.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    s = load_scenario(path)  # the file is well formed; codes are checked against the data
    with pytest.raises(UnknownCodeError) as info:
        validate_members(s, index, where=str(path))
    msg = str(info.value)
    assert str(path) in msg and "footprints[0] ('K&R').members" in msg and "'E09000272'" in msg
    assert RICHMOND in msg, "the closest real code should be suggested"


def test_mixed_case_and_padded_codes_give_the_same_units(tmp_path, index, geo):
    d = _scenario_json()
    d["footprints"][0]["members"] = [f"  {KINGSTON.lower()}\t", f"\ufeff{RICHMOND} ", " e02000770 ",
                                     "richmond upon thames"]
    path = tmp_path / "messy.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    s = load_scenario(path)
    units = validate_members(s, index)["K&R"]
    u = geo.units
    expected = set(u.loc[u["borough"].isin([KINGSTON, RICHMOND]) | (u["msoa"] == "E02000770"), "code"])
    assert set(index.codes[units]) == expected
    assert s.get("K&R").members[:3] == (KINGSTON, RICHMOND, "E02000770")  # cleaned, not guessed


def test_year_without_population_data(engine, tmp_path):
    path = tmp_path / "y.json"
    path.write_text(json.dumps(_scenario_json(year=2016)), encoding="utf-8")
    s = load_scenario(path)
    with pytest.raises(PopulationError) as info:
        engine.check(s)
    assert "2016" in str(info.value) and "choose one of 2011, 2017, 2019, 2020" in str(info.value)


# --- assignment CSVs ----------------------------------------------------------------------------

def _lsoas(geo, borough: str, n: int) -> list[str]:
    return sorted(geo.units.loc[geo.units["borough"] == borough, "code"])[:n]


def test_excel_csv_with_quotes_trailing_columns_and_blank_rows(index, geo, tmp_path):
    codes = _lsoas(geo, KINGSTON, 4)
    rows = ['"unit_code","footprint",,'] + [f'"{c}","Kingston & Richmond",,' for c in codes] + [",,,", ",,,"]
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode("utf-8") + b"\r\n")
    s = assignment_from_csv(path, index=index)
    assert list(s.get("Kingston & Richmond").members) == codes


def test_excel_csv_in_windows_1252(index, geo, tmp_path):
    codes = _lsoas(geo, KINGSTON, 2)
    path = tmp_path / "excel-ansi.csv"
    path.write_bytes(f"unit_code,footprint\r\n{codes[0]},Kingston\r\n{codes[1]},Richmond – Twickenham\r\n"
                     .encode("cp1252"))
    with pytest.raises(AssignmentError) as info:
        assignment_from_csv(path, index=index)
    msg = str(info.value)
    assert "line 3" in msg and "not UTF-8" in msg and "CSV UTF-8" in msg


def test_assignment_of_one_unit_to_two_footprints_is_kept_as_overlap(index, geo):
    code = _lsoas(geo, KINGSTON, 1)[0]
    s = assignment_from_csv(f"unit_code,footprint\n{code},A\n{code},B\n", index=index, level="locality")
    report_cov = validate_members(s, index)
    assert list(index.codes[report_cov["A"]]) == [code] == list(index.codes[report_cov["B"]])


# --- uploads (the Scenarios page's reader) --------------------------------------------------------

@pytest.fixture(scope="module")
def upload():
    """``spatial.io.scenario_from_upload``."""
    from spatial.io import scenario_from_upload

    return scenario_from_upload


def _zip_bomb() -> bytes:
    """200 MB of zeros deflated to ~200 kB."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("plan.json", "w") as member:
            block = b"\0" * (1 << 20)
            for _ in range(200):
                member.write(block)
    return buf.getvalue()


def _million_vertex_geojson(decimals: int) -> bytes:
    """A FeatureCollection holding one ring of 1,000,000 vertices around central London (degrees)."""
    t = np.linspace(0, 2 * np.pi, 1_000_000)
    x, y = -0.12 + 0.13 * np.cos(t), 51.5 + 0.08 * np.sin(t)
    x[-1], y[-1] = x[0], y[0]
    coords = ",".join(f"[{a:.{decimals}f},{b:.{decimals}f}]" for a, b in zip(x, y))
    return ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"K&R"},'
            f'"geometry":{{"type":"Polygon","coordinates":[[{coords}]]}}}}]}}').encode()


def _upload_fails(upload, engine, name: str, data: bytes, error=ScenarioFormatError, *words: str) -> str:
    with pytest.raises(error) as info:
        upload(name, data, engine)
    msg = str(info.value)
    assert isinstance(info.value, FootprintsError) and "Fix:" in msg, msg
    for w in words:
        assert w in msg, (w, msg)
    return msg


@pytest.mark.parametrize("name", ["plan.geojson", "plan.gpkg", "plan.xlsx", "plan.zip", "plan.exe", "plan"])
def test_upload_with_a_wrong_extension(upload, engine, name):
    msg = _upload_fails(upload, engine, name, json.dumps(_scenario_json()).encode(), ScenarioFormatError,
                        "is not a format this page reads", "upload a scenario JSON (.json)")
    assert name in msg


@pytest.mark.parametrize("name", ["bomb.zip", "bomb.json", "bomb.csv"])
def test_upload_of_a_zip_bomb_is_never_expanded(upload, engine, name):
    bomb = _zip_bomb()
    assert len(bomb) < 1_000_000
    msg = _upload_fails(upload, engine, name, bomb)
    assert ("not a format" in msg) if name.endswith(".zip") else ("not a text file" in msg)


def test_upload_of_gzipped_json(upload, engine):
    _upload_fails(upload, engine, "plan.json", gzip.compress(json.dumps(_scenario_json()).encode()),
                  ScenarioFormatError, "not a text file (byte 0x8b")


@pytest.mark.parametrize("name", ["ring.geojson", "ring.json"])
@pytest.mark.parametrize("decimals", [7, 4], ids=["24MB", "18MB"])
def test_upload_of_a_geojson_with_a_million_vertices(upload, engine, name, decimals):
    data = _million_vertex_geojson(decimals)
    assert data.count(b"],[") == 999_999
    msg = _upload_fails(upload, engine, name, data)
    if len(data) > 20 * 1024 * 1024:
        assert "over the limit of 20 MB" in msg  # refused from its size, before anything is parsed
    elif name.endswith(".geojson"):
        assert "not a format this page reads" in msg and "GeoJSON" in msg
    else:
        assert "not a Footprints scenario file" in msg


def test_upload_of_a_geojson_in_the_wrong_crs(upload, engine):
    t = np.linspace(0, 2 * np.pi, 50)
    ring = [[530_000 + 9_000 * np.cos(a), 180_000 + 9_000 * np.sin(a)] for a in t]
    gj = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:27700"}},
          "features": [{"type": "Feature", "properties": {"name": "K&R"},
                        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    data = json.dumps(gj).encode()
    _upload_fails(upload, engine, "bng.geojson", data, ScenarioFormatError, "GeoJSON and GeoPackage are export formats")
    _upload_fails(upload, engine, "bng.json", data, ScenarioFormatError, "not a Footprints scenario file")


def test_upload_of_100_mb(upload, engine):
    msg = _upload_fails(upload, engine, "big.json", b" " * HUNDRED_MB, ScenarioFormatError, "over the limit of 20 MB")
    assert "104.9 MB" in msg


@pytest.mark.parametrize("name", ["../../etc/passwd.json", "/etc/passwd.json", "C:\\Users\\me\\passwd.json",
                                  "..\\..\\passwd.json"])
def test_upload_file_name_is_never_a_path(upload, engine, name, tmp_path):
    msg = _upload_fails(upload, engine, name, b"[]", ScenarioFormatError, "passwd.json: the top level")
    assert "/etc" not in msg and "Users" not in msg and ".." not in msg


def test_upload_with_a_year_without_data(upload, engine):
    with pytest.raises(PopulationError, match="choose one of 2011, 2017, 2019, 2020"):
        upload("plan.json", json.dumps(_scenario_json(year=1999)).encode(), engine)


def test_upload_utf16_and_upper_case_extension_are_read(upload, engine, geo):
    s = upload("PLAN.JSON", json.dumps(_scenario_json()).encode("utf-16"), engine)
    assert s.get("K&R").members == (KINGSTON, RICHMOND)
    u = geo.units
    codes = _lsoas(geo, RICHMOND, 3)
    csv = upload("plan.CSV", ("unit_code,footprint\n" + "".join(f"{c},R\n" for c in codes)).encode("utf-16"), engine)
    assert list(csv.get("R").members) == codes
    assert set(u.loc[u["code"].isin(codes), "borough"]) == {RICHMOND}


def test_upload_unknown_codes_name_the_uploaded_file(upload, engine, geo):
    codes = _lsoas(geo, KINGSTON, 1)
    msg = _upload_fails(upload, engine, "plan.csv", f"unit_code,footprint\n{codes[0]},K\nE01999999,K\n".encode(),
                        UnknownCodeError, "plan.csv, line(s) 3", "'E01999999'")
    assert "assignment CSV" not in msg


# --- user text survives saving ----------------------------------------------------------------------

HOSTILE_NAMES = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    "شراكة شمال غرب لندن",  # right-to-left (Arabic)
    "\u202eevil\u202c RTL override",
    "שותפות צפון מזרח",  # Hebrew
    "🏥 Kingston & Richmond 🚑👩🏽‍⚕️",
    "N" * 10_000,
    "tab\tnew\nline \u0000 nul",
    "'; DROP TABLE footprints; --",
    "${alert(1)}`backtick`{{7*7}}",
]


def test_hostile_and_unusual_names_round_trip_exactly(tmp_path, index):
    fps = tuple(Footprint(n, "borough", (f"E09{i + 1:06d}",), notes=n) for i, n in enumerate(HOSTILE_NAMES))
    s = Scenario(HOSTILE_NAMES[0], fps, description=HOSTILE_NAMES[2], source=HOSTILE_NAMES[5])
    path = save_scenario(s, tmp_path / "hostile.json")
    back = load_scenario(path)
    assert back == s
    # names are stored cleaned (control characters become spaces; issue 12), exactly the same after a load
    assert [fp.name for fp in back.footprints] == [clean_name(n) for n in HOSTILE_NAMES]
    assert loads(dumps(s)) == s
    raw = path.read_bytes()
    assert "شراكة".encode() in raw and "🏥".encode() in raw  # stored as UTF-8 text, not escaped
    json.loads(raw)  # and still strict JSON (the NUL and the new line are escaped)
    units = validate_members(back, index)
    assert all(len(units[clean_name(n)]) > 0 for n in HOSTILE_NAMES)
