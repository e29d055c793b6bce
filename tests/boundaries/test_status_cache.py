"""The data-status table the first page shows, kept on disk per version of the sources (issue 16, cold start)."""

from __future__ import annotations

import dataclasses
import os
import shutil

import pytest

from boundaries import settings
from boundaries import status as status_mod
from boundaries.status import all_status, cached_status, sources_stamp


@pytest.fixture()
def config(tmp_path, data_dir):
    """The real data with an empty cache folder."""
    return dataclasses.replace(settings(), cache_dir=tmp_path / "cache")


def test_cached_status_is_all_status_and_is_read_back_without_reading_the_data(config, monkeypatch):
    fresh = cached_status(config)
    assert [s.to_dict() for s in fresh] == [s.to_dict() for s in all_status(config)]
    kept = list((config.cache_dir / "derived").glob("status-*.json"))
    assert len(kept) == 1
    monkeypatch.setattr(status_mod, "all_status", lambda *a, **k: pytest.fail("read the data again"))
    again = cached_status(config)
    assert [s.to_dict() for s in again] == [s.to_dict() for s in fresh]
    assert all(isinstance(s.notes, tuple) for s in again)


def test_a_replaced_source_file_gives_another_status_file(config, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(config.data_dir, data, symlinks=False)
    config = dataclasses.replace(config, data_dir=data)
    before = sources_stamp(config)
    cached_status(config)
    victim = next(p for p in sorted(data.rglob("*.csv")))
    st = victim.stat()
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000_000))
    assert sources_stamp(config) != before
    cached_status(config)
    assert len(list((config.cache_dir / "derived").glob("status-*.json"))) == 2


def test_a_damaged_status_file_is_ignored_and_rewritten(config):
    first = cached_status(config)
    (path,) = (config.cache_dir / "derived").glob("status-*.json")
    path.write_text("{not json", encoding="utf-8")
    assert [s.to_dict() for s in cached_status(config)] == [s.to_dict() for s in first]
    assert path.read_text(encoding="utf-8").startswith("[")


def test_region_options_are_read_from_the_lookups_once_then_from_disk(config, monkeypatch):
    import pandas as pd

    from boundaries import get_dataset
    from boundaries.readers import load_dataset
    from ui import controls

    monkeypatch.setattr("boundaries.cache.default_settings", lambda: config)
    monkeypatch.setattr("boundaries.settings", lambda: config)
    options = controls.region_options.__wrapped__  # the function under st.cache_data (memory), which reads the disk
    first = options("2018")
    look = load_dataset(get_dataset("lsoa_ccg_stp_lookup"), config).frame
    stps = pd.Series(look["STP18NM"].unique())
    assert {f"{n} (STP)" for n in stps} <= {label for _, label in first}
    assert first[:2] == [("london", "London"), ("england", "England (all)")]
    kept = list((config.cache_dir / "derived").glob("regions-2018-*.json"))
    assert len(kept) == 1
    monkeypatch.setattr(controls, "_region_options", lambda g: pytest.fail("read the lookups again"))
    assert options("2018") == first


def test_code_stamp_changes_with_the_code(tmp_path):
    """Cached results built by other code are keyed apart (the care-flow model, the home map)."""
    from boundaries.cache import code_stamp

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.py").write_text("x = 1\n")
    single = tmp_path / "page.py"
    single.write_text("y = 2\n")
    before = code_stamp(pkg, single)
    assert code_stamp(pkg, single) == before
    (pkg / "a.py").write_text("x = 2\n")
    edited = code_stamp(pkg, single)
    (pkg / "b.py").write_text("")
    added = code_stamp(pkg, single)
    single.write_text("y = 3\n")
    assert len({before, edited, added, code_stamp(pkg, single)}) == 4
