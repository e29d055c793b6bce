"""The package spatial.io: the old import path, the one size limit, uploads decoded by boundaries.files.

The readers and writers themselves are tested in test_scenario_io.py and
test_reliability_scenarios.py (through both import paths); this file checks
what the split into a package must keep.
"""

from __future__ import annotations

import importlib
import io

import pytest

import spatial.io as sio
import spatial.scenario_io as old
from spatial import limits
from spatial.errors import ScenarioFormatError
from spatial.footprints import Footprint, Scenario

KINGSTON, RICHMOND = "E09000021", "E09000027"


def test_old_import_path_gives_the_same_objects():
    assert "Deprecated: moved to spatial.io" in old.__doc__
    assert old.__all__ == sio.__all__
    for name in sio.__all__:
        assert getattr(old, name) is getattr(sio, name), name
    for name in ("load_scenario", "save_scenario", "dumps", "loads", "assignment_from_csv", "footprints_frame",
                 "export_geojson", "export_gpkg", "validate_members", "MAX_BYTES", "FORMAT", "VERSION"):
        assert name in old.__all__, name


def test_modules_doing_import_io_still_get_the_standard_library():
    for module in ("spatial.io.assignment_csv", "spatial.io.scenario_json", "spatial.io.uploads"):
        mod = importlib.import_module(module)
        assert getattr(mod, "io", io) is io, module
    assert sio is not io and sio.__name__ == "spatial.io"


def test_one_definition_of_the_size_limit():
    assert limits.MAX_SCENARIO_BYTES == 20 * 1024 * 1024
    assert sio.MAX_BYTES == old.MAX_BYTES == sio.MAX_UPLOAD_BYTES == limits.MAX_SCENARIO_BYTES
    assert limits.MAX_SCENARIO_CHARS >= limits.MAX_SCENARIO_BYTES  # decoded text of an accepted file fits
    from ui.widgets import MAX_UPLOAD_BYTES, scenario_from_upload

    assert MAX_UPLOAD_BYTES == limits.MAX_SCENARIO_BYTES and scenario_from_upload is sio.scenario_from_upload


def _plan() -> bytes:
    return sio.dumps(Scenario("K&R", (Footprint("Kingston & Richmond", "multi_borough", (KINGSTON, RICHMOND)),))
                     ).encode("utf-8")


def test_upload_in_utf16_with_a_byte_order_mark_reads(engine):
    text = _plan().decode("utf-8")
    got = sio.scenario_from_upload("plan.json", text.encode("utf-16"), engine)
    assert got == sio.loads(text) and got.footprints[0].members == (KINGSTON, RICHMOND)


def test_upload_not_text_names_the_byte_its_position_line_and_column(engine):
    data = b"\xef\xbb\xbf" + _plan().replace(b'"K&R"', b'"K\xe9R"')  # Latin-1 e-acute after a UTF-8 BOM
    with pytest.raises(ScenarioFormatError) as info:
        sio.scenario_from_upload("plan.json", data, engine)
    msg = str(info.value)
    position = data.index(b"\xe9")
    line = data[:position].count(b"\n") + 1
    column = position - data.rfind(b"\n", 0, position)
    assert f"not a text file (byte 0xe9 at position {position:,})" in msg, msg
    assert f"plan.json, line {line}, column {column}" in msg, msg
    assert "saved as UTF-8" in msg


def test_broken_utf16_upload_is_refused(engine):
    with pytest.raises(ScenarioFormatError, match="broken UTF-16 text.*Fix: upload a scenario JSON"):
        sio.scenario_from_upload("plan.json", b"\xff\xfe{\x00\x00\xd8", engine)
