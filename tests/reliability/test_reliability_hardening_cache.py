"""Issue 12, item 1 and 6 (cache): the processed cache holds what was hashed, under a lock, and an
unusable cache folder means running uncached with a warning, never a traceback.

The race is made deterministic with the ``after_hash`` callback of :func:`boundaries.load_geographies`:
it runs after the sources were hashed and before they are read, and here it swaps the London
GeoPackage for a copy in which one Kingston LSOA has 200,000 more residents (as a sync tool or a
second fetching process would).  Every expected population is a plain pandas sum of the GeoPackage
the test wrote, read back with pyogrio.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import pytest

from boundaries import REGISTRY, Settings, get_region, load_geographies
from boundaries.cache import CacheWarning, source_key

ROOT = Path(__file__).resolve().parents[2]
GPKG = REGISTRY["london_lsoa"].path
KINGSTON = "E09000021"


def _linked(tmp_path: Path, data_dir: Path) -> Path:
    out = tmp_path / "data"
    for src in data_dir.rglob("*"):
        if src.is_file():
            dst = out / src.relative_to(data_dir)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.symlink_to(src)
    return out


def _bumped_copy(src: Path, dst: Path, extra: int = 200_000) -> str:
    """A copy of the GeoPackage with the first Kingston LSOA's mid-2017 population raised by ``extra``."""
    shutil.copyfile(src, dst)
    con = sqlite3.connect(dst)
    # the R-tree triggers call SpatiaLite functions plain sqlite3 lacks; the edit touches no geometry
    for (trigger,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'lsoa11'"
                                  ).fetchall():
        con.execute(f'DROP TRIGGER "{trigger}"')
    code = con.execute("SELECT LSOA11CD FROM lsoa11 WHERE LAD11CD = ? ORDER BY LSOA11CD LIMIT 1",
                       (KINGSTON,)).fetchone()[0]
    con.execute("UPDATE lsoa11 SET pop_mid2017 = pop_mid2017 + ? WHERE LSOA11CD = ?", (extra, code))
    con.commit()
    con.close()
    return code


def _kingston_from_file(path: Path, boroughs: tuple[str, ...] = (KINGSTON,)) -> int:
    frame = gpd.read_file(path, layer="lsoa11", engine="pyogrio", ignore_geometry=True)
    return int(frame.loc[frame["LAD11CD"].isin(boroughs), "pop_mid2017"].sum())


def _kingston(geo) -> int:
    return int(geo.units.loc[geo.units["borough"] == KINGSTON, "population"].sum())


def _swap(data: Path, tmp_path: Path):
    """The hook: replace the GeoPackage (atomically, as rsync does) the first time it is called."""
    target = data / GPKG
    calls = []

    def after_hash() -> None:
        calls.append(1)
        if len(calls) == 1:
            new = tmp_path / "new.gpkg"
            _bumped_copy(target.resolve(), new)
            os.replace(new, target)

    return after_hash, calls


def test_sources_swapped_between_hashing_and_reading_are_never_cached_under_the_old_key(tmp_path, data_dir):
    data = _linked(tmp_path, data_dir)
    config = Settings(data, tmp_path / "cache", "env")
    region = get_region("london")
    old_key = source_key(region, config)
    old_kingston = _kingston_from_file(data / GPKG)
    hook, calls = _swap(data, tmp_path)
    geo = load_geographies(config=config, after_hash=hook)
    new_kingston = _kingston_from_file(data / GPKG)
    assert new_kingston == old_kingston + 200_000
    # what was returned and cached is the new data, keyed by the new sources
    assert _kingston(geo) == new_kingston
    new_key = source_key(region, config)
    assert geo.key == new_key != old_key
    assert not (config.processed_dir / f"london-{old_key}").exists(), "new data stored under the old key"
    assert (config.processed_dir / f"london-{new_key}" / "meta.json").is_file()
    assert len(calls) == 2, "the build must be started again after the sources changed"
    # put the old file back: the old numbers come back, from a fresh build, never the new ones
    (data / GPKG).unlink()
    (data / GPKG).symlink_to(data_dir / GPKG)
    again = load_geographies(config=config)
    assert again.key == old_key and _kingston(again) == old_kingston
    assert _kingston(load_geographies(config=config)) == old_kingston  # and from the cache


def test_sources_that_keep_changing_are_a_clear_error_and_nothing_is_cached(tmp_path, data_dir):
    from boundaries.errors import DataError

    data = _linked(tmp_path, data_dir)
    config = Settings(data, tmp_path / "cache", "env")
    target = data / GPKG
    n = []

    def always_changing() -> None:
        n.append(1)
        new = tmp_path / f"new{len(n)}.gpkg"
        _bumped_copy(data_dir / GPKG, new, extra=1000 * len(n))
        os.replace(new, target)

    with pytest.raises(DataError, match=r"changed while .* read.*Fix: ") as err:
        load_geographies(config=config, after_hash=always_changing)
    assert "london_2011_geographies.gpkg" in str(err.value)
    assert not list(config.processed_dir.iterdir())


def test_cache_is_written_under_a_lock(tmp_path, data_dir):
    """While another process holds the key's lock, a load waits for it (here: gives up and runs uncached)."""
    from filelock import FileLock

    from boundaries import cache as cache_mod

    config = Settings(data_dir, tmp_path / "cache", "env")
    key = source_key(get_region("london"), config)
    lock_path = cache_mod.lock_path(config.processed_dir / f"london-{key}")
    lock_path.parent.mkdir(parents=True)
    code = ("import sys, time; from filelock import FileLock; l = FileLock(sys.argv[1]); l.acquire(); "
            "print('held', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(lock_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.warns(CacheWarning, match="lock"):
            geo = load_geographies(config=config, lock_timeout=1.0)
        assert len(geo.units) == 4835
        assert not (config.processed_dir / f"london-{key}").exists(), "written without holding the lock"
    finally:
        holder.kill()
        holder.wait()
    assert FileLock(str(lock_path)).acquire(timeout=5)


@pytest.mark.parametrize("kind", ["read_only", "a_file", "full_disk"])
def test_unusable_cache_folder_runs_uncached_with_a_warning(tmp_path, data_dir, kind, monkeypatch):
    cache = tmp_path / "cache"
    if kind == "read_only":
        cache.mkdir()
        cache.chmod(0o500)
        if os.access(cache, os.W_OK):  # root ignores permission bits: fail as a read-only mount does
            import errno
            import pathlib

            real_mkdir = pathlib.Path.mkdir

            def read_only_mkdir(self, *a, **k):
                if cache in self.parents or self == cache:
                    raise OSError(errno.EROFS, "Read-only file system", str(self))
                return real_mkdir(self, *a, **k)

            monkeypatch.setattr(pathlib.Path, "mkdir", read_only_mkdir)
    elif kind == "a_file":
        cache.write_text("not a folder")
    config = Settings(data_dir, cache, "env")
    if kind == "full_disk":
        import errno

        def full(*a, **k):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(gpd.GeoDataFrame, "to_parquet", full)  # what boundaries.cache writes with
    with pytest.warns(CacheWarning, match=r"processed cache .*Fix: "):
        geo = load_geographies(config=config)
    assert len(geo.units) == 4835
    frame = gpd.read_file(data_dir / GPKG, layer="lsoa11", engine="pyogrio", ignore_geometry=True)
    assert int(geo.units["population"].sum()) == int(frame["pop_mid2017"].sum())
    if kind == "full_disk":
        assert not list(config.processed_dir.iterdir())


def _env(data: Path, cache: Path) -> dict:
    return {**os.environ, "FOOTPRINTS_DATA": str(data), "FOOTPRINTS_CACHE": str(cache), "PYTHONPATH": str(ROOT)}


def test_cache_race_end_to_end_cli_and_app(tmp_path, data_dir):
    """After a raced load, the CLI and the app (AppTest) show the numbers of the files on disk."""
    from streamlit.testing.v1 import AppTest

    data = _linked(tmp_path, data_dir)
    cache = tmp_path / "cache"
    config = Settings(data, cache, "env")
    hook, _ = _swap(data, tmp_path)
    load_geographies(config=config, after_hash=hook)
    expected = _kingston_from_file(data / GPKG)
    k_and_r = _kingston_from_file(data / GPKG, (KINGSTON, "E09000027"))
    out = subprocess.run([sys.executable, "-m", "spatial", "check", "kingston-richmond", "--json",
                          "--no-care-flows"], capture_output=True, text=True, env=_env(data, cache), cwd=ROOT,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    import json

    report = json.loads(out.stdout)
    pops = {f["name"]: f["population"] for f in report["footprints"]}
    assert pops["Kingston and Richmond"] == k_and_r, pops
    st = subprocess.run([sys.executable, "-m", "boundaries", "status"], capture_output=True, text=True,
                        env=_env(data, cache), cwd=ROOT, timeout=600)
    assert st.returncode == 0, st.stderr
    # the app, in this process, with the same folders
    old = {k: os.environ.get(k) for k in ("FOOTPRINTS_DATA", "FOOTPRINTS_CACHE")}
    os.environ.update(FOOTPRINTS_DATA=str(data), FOOTPRINTS_CACHE=str(cache))
    try:
        from ui.state import _load_engine

        _load_engine.clear()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        eng = _load_engine("london")
        assert _kingston(eng.geo) == expected
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        from ui.state import _load_engine

        _load_engine.clear()
