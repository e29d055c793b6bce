"""Issue 12, items 6, 7 and 9: clear errors where tracebacks were; impossible geometry refused.

Crafted data directories are symlinks to the real mirror with the London GeoPackage replaced by a copy
in which one layer was changed with geopandas (degrees labelled EPSG:27700, a unit moved 300 km, a
unit as a MultiPoint or a GeometryCollection).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from boundaries import REGISTRY, Settings, load_geographies
from boundaries.errors import DataError

ROOT = Path(__file__).resolve().parent.parent
GPKG = REGISTRY["london_lsoa"].path


def _env(**extra) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def _run(*args, timeout=600, **env):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout,
                          env=_env(**env))


# --- 6: a threshold given as a 400-digit integer --------------------------------------------------------

def test_400_digit_threshold_is_a_threshold_error(tmp_path):
    from spatial.errors import ThresholdError
    from spatial.scenario_io import load_scenario
    from spatial.thresholds import Thresholds

    with pytest.raises(ThresholdError, match=r"stp_max is a 401-digit number.*Fix: "):
        Thresholds(stp_max=10 ** 400)
    path = tmp_path / "plan.json"
    path.write_text('{"format": "footprints-scenario", "version": 1, "name": "p", "thresholds": {"stp_max": 1'
                    + "0" * 400 + '}, "footprints": [{"name": "A", "level": "borough", "members": ["E09000021"]}]}')
    with pytest.raises(ThresholdError, match=r"plan.json: thresholds.stp_max"):
        load_scenario(path)
    out = _run("-m", "spatial", "check", str(path), "--no-care-flows")
    assert out.returncode == 2 and "401-digit" in out.stderr and "Traceback" not in out.stderr, out.stderr


# --- 6: FOOTPRINTS_CACHE unusable: run uncached with a warning -----------------------------------------

def test_unusable_cache_end_to_end_cli_runs_uncached_with_a_warning(tmp_path, data_dir):
    cache = tmp_path / "cache"
    cache.write_text("not a folder")
    out = _run("-m", "spatial", "check", "kingston-richmond", "--no-care-flows", FOOTPRINTS_CACHE=str(cache),
               FOOTPRINTS_DATA=str(data_dir))
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and "Kingston and Richmond" in out.stdout
    assert "warning: the processed cache cannot be used" in out.stderr and "Fix:" in out.stderr
    st = _run("-m", "boundaries", "status", FOOTPRINTS_CACHE=str(cache), FOOTPRINTS_DATA=str(data_dir))
    assert "Traceback" not in st.stderr, st.stderr


def test_read_only_cache_folder_costs_only_the_speed_up(tmp_path, data_dir, monkeypatch):
    """The adjacency and unit-area caches in a read-only (EROFS) folder: computed, not written, no error.

    Simulated by making ``tempfile.mkstemp`` fail as on a read-only mount (the tests run as root, for whom
    permission bits do not stop writes).
    """
    import errno

    import numpy as np

    from boundaries import files as files_mod
    from spatial.index import UnitIndex, cached_adjacency, unit_adjacency

    config = Settings(data_dir, tmp_path / "cache", "env")
    geo = load_geographies(config=config)

    def read_only(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(files_mod.tempfile, "mkstemp", read_only)   # the one atomic write of both caches
    adj = cached_adjacency(geo, config)
    assert (adj != unit_adjacency(geo)).nnz == 0
    assert not list((config.processed_dir / f"{geo.region}-{geo.key}").glob("adjacency*"))
    monkeypatch.setenv("FOOTPRINTS_CACHE", str(tmp_path / "cache"))
    from spatial import Engine
    from spatial.overlaps import overlap_layer, overlap_table

    engine = Engine(geo, UnitIndex.from_geographies(geo))
    table = overlap_table(overlap_layer("ccg", engine.index), overlap_layer("borough", engine.index), engine,
                          by=("area",))
    assert len(table) > 0 and np.isfinite(table.select_dtypes("number").to_numpy(dtype=float)).all()


def test_unusable_cache_in_the_app_is_a_warning_and_the_pages_run(tmp_path, data_dir, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from ui.state import _load_engine

    cache = tmp_path / "cache"
    cache.write_text("not a folder")
    monkeypatch.setenv("FOOTPRINTS_CACHE", str(cache))
    _load_engine.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
        assert not at.exception, at.exception
        assert not at.error, [e.value for e in at.error]
        assert any("processed cache" in w.value for w in at.warning), [w.value for w in at.warning]
    finally:
        _load_engine.clear()


def test_data_load_error_at_app_start_is_st_error_not_a_traceback(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from ui.state import _load_engine

    empty = tmp_path / "no-data"
    empty.mkdir()
    monkeypatch.setenv("FOOTPRINTS_DATA", str(empty))
    monkeypatch.setenv("FOOTPRINTS_CACHE", str(tmp_path / "cache"))
    _load_engine.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
        assert not at.exception, at.exception
        msgs = [e.value for e in at.error]
        assert any("could not be loaded" in m and "Fix:" in m for m in msgs), msgs
    finally:
        _load_engine.clear()


# --- 6: Ctrl-C in any CLI ------------------------------------------------------------------------------

@pytest.mark.parametrize("cmd", [["-m", "spatial", "check", "kingston-richmond"],
                                 ["-m", "spatial", "overlap", "ccg", "borough"],
                                 ["-m", "boundaries", "status"]])
def test_ctrl_c_in_a_cli_prints_one_line_and_exits_130(cmd, tmp_path, data_dir):
    # an empty cache makes the command build the data for seconds: the interrupt lands mid-work
    proc = subprocess.Popen([sys.executable, *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env=_env(FOOTPRINTS_CACHE=str(tmp_path / "cache"),
                                               FOOTPRINTS_DATA=str(data_dir)))
    time.sleep(2.0)
    assert proc.poll() is None, "the command finished before the interrupt; the test needs a slower command"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (proc.returncode, err[-2000:])
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines == ["interrupted (Ctrl-C); nothing was written half-way"], err[-2000:]


# --- 6 and 7: impossible geometry --------------------------------------------------------------------

def _data_with(tmp_path: Path, data_dir: Path, change) -> Path:
    """Symlinks to the mirror, with the London GeoPackage rewritten with ``change(lsoa11 frame)``."""
    out = tmp_path / "data"
    for src in data_dir.rglob("*"):
        if src.is_file():
            dst = out / src.relative_to(data_dir)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.symlink_to(src)
    target = out / GPKG
    target.unlink()
    import pyogrio

    for layer, _ in pyogrio.list_layers(data_dir / GPKG):
        frame = gpd.read_file(data_dir / GPKG, layer=layer, engine="pyogrio")
        if layer == "lsoa11":
            frame = change(frame)
        frame.to_file(target, layer=layer, driver="GPKG", engine="pyogrio")
    return out


def _in_degrees(frame):
    return frame.to_crs(4326).set_crs(27700, allow_override=True)


def _moved(frame):
    frame = frame.copy()
    frame.loc[0, "geometry"] = shapely.affinity.translate(frame.geometry.iloc[0], xoff=300_000)
    return frame


def _multipoint(frame):
    frame = frame.copy()
    frame["geometry"] = frame.geometry.astype(object)
    frame.loc[0, "geometry"] = shapely.MultiPoint(shapely.get_coordinates(frame.geometry.iloc[0]))
    return frame


def _collection(frame):
    frame = frame.copy()
    g = frame.geometry.iloc[0]
    frame.loc[0, "geometry"] = shapely.GeometryCollection([g, g.centroid])
    return frame


@pytest.mark.parametrize("change,words", [
    (_in_degrees, ["look like degrees", "EPSG:4326"]),
    (_moved, ["outside the london extent", "km"]),
    (_multipoint, ["not polygons", "MultiPoint"]),
    (_collection, ["not polygons", "GeometryCollection"]),
], ids=["degrees_labelled_27700", "unit_moved_300_km", "multipoint_unit", "geometrycollection_unit"])
def test_impossible_unit_geometry_is_refused_with_the_reason(change, words, tmp_path, data_dir):
    data = _data_with(tmp_path, data_dir, change)
    first = gpd.read_file(data_dir / GPKG, layer="lsoa11", engine="pyogrio", rows=1)["LSOA11CD"].iloc[0]
    with pytest.raises(DataError) as err:
        load_geographies(config=Settings(data, tmp_path / "cache", "env"), use_cache=False)
    msg = str(err.value)
    for w in words:
        assert w.lower() in msg.lower(), msg
    assert "Fix:" in msg and "london_2011_geographies.gpkg" in msg
    if change is not _in_degrees:
        assert first in msg, msg


# --- 9: small CLI option messages ------------------------------------------------------------------------

@pytest.mark.parametrize("argv,words", [
    (["propose", "localities", "E09000021", "--seed", "-1"], ["--seed", "-1", "0 or more"]),
    (["propose", "systems", "--limit", "0"], ["--limit", "1 or more"]),
    (["propose", "systems", "--limit", "-30"], ["--limit", "-30", "1 or more"]),
    (["propose", "partitions", "SWL", "--limit", "0"], ["--limit", "1 or more"]),
    (["flows", "--top", "-1"], ["--top", "-1", "1 or more"]),
    (["flows", "--top", "ten"], ["--top", "'ten'", "whole number"]),
], ids=["seed_minus_1", "limit_0", "limit_minus_30", "partitions_limit_0", "top_minus_1", "top_text"])
def test_bad_numeric_options_name_the_option_and_the_fix(argv, words, capsys):
    from spatial.cli import main

    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    for w in words:
        assert w in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("kind", ["directory", "fifo", "dev_zero"])
def test_flows_file_that_is_not_a_regular_file_names_the_option(kind, tmp_path, capsys):
    from spatial.cli import main

    if kind == "directory":
        path, what = tmp_path, "a folder"
    elif kind == "fifo":
        path, what = tmp_path / "pipe.csv", "a FIFO"
        os.mkfifo(path)
    else:
        path, what = Path("/dev/zero"), "a device"
    with pytest.raises(SystemExit) as exc:
        main(["flows", "E09000021", "--flows-file", str(path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--flows-file" in err and what in err and "not a regular file" in err and "CSV" in err, err
    assert "file not found" not in err
