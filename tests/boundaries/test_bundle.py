"""The embedded London bundle (data/): reproducible, identical to the mirror, hash-checked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from boundaries import Settings, load_geographies, settings
from boundaries.bundle import BUNDLED, MANIFEST, build_bundle, check_bundle, read_manifest
from boundaries.config import BUNDLE_DIR, REPO_ROOT
from boundaries.errors import CorruptFileError, MissingDataError
from boundaries.pins import sha256_file
from boundaries.readers import load_dataset, locate
from boundaries.registry import get_dataset
from boundaries.status import all_status
from tests.conftest import require_data_dir

pytestmark = pytest.mark.timeout(300)


def bundle_only(tmp_path: Path, bundle_dir: Path = BUNDLE_DIR) -> Settings:
    """Settings of a fresh machine: an empty download cache, then the bundle."""
    return Settings(tmp_path / "cache" / "downloads", tmp_path / "cache", "download", bundle_dir)


def test_bundle_is_committed_small_and_matches_its_manifest():
    meta = read_manifest(BUNDLE_DIR)
    assert meta is not None, "data/manifest.json missing: run `python -m boundaries bundle`"
    assert sorted(meta["files"]) == sorted(BUNDLED)
    total = 0
    for ds_id, entry in meta["files"].items():
        path = BUNDLE_DIR / entry["file"]
        assert sha256_file(path) == entry["sha256"], f"{path} does not match data/manifest.json"
        assert entry["records"] == get_dataset(ds_id).records
        total += path.stat().st_size
    assert total < 10 * 1024**2, f"bundle is {total / 1e6:.1f} MB, more than 10 MB"
    sources = (BUNDLE_DIR / "SOURCES.md").read_text(encoding="utf-8")
    assert "Open Government Licence v3.0" in sources and "Crown copyright" in sources
    for entry in meta["files"].values():
        assert entry["sha256"] in sources and entry["file"] in sources


def test_bundle_rebuilds_byte_for_byte_from_the_mirror():
    """Same sources, same bytes: a rebuild equals the committed files (and SOURCES.md)."""
    assert check_bundle(require_data_dir(), BUNDLE_DIR) == []


def test_two_builds_give_the_same_bytes(tmp_path):
    a = build_bundle(require_data_dir(), tmp_path / "a")
    b = build_bundle(require_data_dir(), tmp_path / "b")
    assert a == b
    for entry in a["files"].values():
        assert (tmp_path / "a" / entry["file"]).read_bytes() == (tmp_path / "b" / entry["file"]).read_bytes()
    assert not [p for p in (tmp_path / "a").iterdir() if p.name.startswith(".")], "temporary folder left"


def test_bundle_tables_equal_the_mirror_tables(tmp_path):
    mirror = Settings(require_data_dir(), tmp_path / "m", "mirror")
    fresh = bundle_only(tmp_path)
    for ds_id in BUNDLED:
        ds = get_dataset(ds_id)
        a, b = load_dataset(ds, mirror), load_dataset(ds, fresh)
        assert b.source == "bundle" and b.path.parent == BUNDLE_DIR
        pd.testing.assert_frame_equal(pd.DataFrame(a.frame), pd.DataFrame(b.frame), check_exact=True)
        assert a.notes == b.notes


def test_london_from_the_bundle_equals_london_from_the_mirror(tmp_path):
    g1 = load_geographies(config=Settings(require_data_dir(), tmp_path / "m", "mirror"), use_cache=False)
    g2 = load_geographies(config=bundle_only(tmp_path))
    assert len(g2.units) == 4835 and int(g2.units["population"].sum()) == 8_825_001
    pd.testing.assert_frame_equal(pd.DataFrame(g1.units), pd.DataFrame(g2.units), check_exact=True)
    for name in g1.layers:
        pd.testing.assert_frame_equal(pd.DataFrame(g1.layers[name]), pd.DataFrame(g2.layers[name]),
                                      check_exact=True)
    assert g1.notes == g2.notes


def test_status_says_each_london_dataset_comes_from_the_bundle(tmp_path):
    rows = {s.id: s for s in all_status(bundle_only(tmp_path))}
    for ds_id in BUNDLED:
        assert rows[ds_id].ok and rows[ds_id].source == "bundle", rows[ds_id]
    england = rows["england_lsoa"]
    assert not england.ok and "python -m boundaries fetch" in england.problem


def test_cache_before_bundle(tmp_path, data_dir):
    """A file in the download cache is read before the bundle's copy."""
    config = bundle_only(tmp_path)
    ds = get_dataset("ccg_stp_lookup")
    dest = config.data_dir / ds.path
    dest.parent.mkdir(parents=True)
    shutil.copy(data_dir / ds.path, dest)
    assert locate(ds, config) == (dest, "download")
    assert locate(get_dataset("trust_points"), config)[1] == "bundle"


def test_lookup_order_from_the_environment(tmp_path):
    env = settings({"FOOTPRINTS_DATA": str(tmp_path / "d"), "FOOTPRINTS_CACHE": str(tmp_path / "c")})
    assert (env.data_dir, env.data_source, env.bundle_dir) == (tmp_path / "d", "env", None)
    plain = settings({"FOOTPRINTS_CACHE": str(tmp_path / "c")})
    mirror = REPO_ROOT.parent / "shared" / "data"
    if mirror.is_dir():
        assert (plain.data_dir, plain.data_source) == (mirror, "mirror")
    else:
        assert (plain.data_dir, plain.data_source) == (tmp_path / "c" / "downloads", "download")
    assert plain.bundle_dir == BUNDLE_DIR
    urls = settings({"FOOTPRINTS_CACHE": str(tmp_path), "FOOTPRINTS_PINNED_URL": "http://127.0.0.1:9/",
                     "FOOTPRINTS_MIRROR_URL": "http://127.0.0.1:8/"})
    assert (urls.pinned_url, urls.mirror_url) == ("http://127.0.0.1:9/", "http://127.0.0.1:8/")


def _copy_bundle(tmp_path: Path) -> Path:
    out = tmp_path / "bundle"
    shutil.copytree(BUNDLE_DIR, out)
    return out


def test_damaged_bundle_file_is_reported_with_the_fix(tmp_path):
    bundle = _copy_bundle(tmp_path)
    victim = bundle / "lsoa_ccg_stp_lookup.parquet"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01  # one flipped bit
    victim.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError) as info:
        load_geographies(config=bundle_only(tmp_path, bundle))
    text = str(info.value)
    assert "lsoa_ccg_stp_lookup.parquet" in text and "SHA-256" in text
    assert "python -m boundaries bundle" in text and "clone" in text
    assert not any((tmp_path / "cache").rglob("meta.json")), "nothing may be cached from a damaged bundle"


def test_missing_and_unreadable_bundle_files(tmp_path):
    bundle = _copy_bundle(tmp_path)
    (bundle / "trust_points.parquet").unlink()
    with pytest.raises(MissingDataError, match="bundle file not found.*python -m boundaries bundle"):
        load_dataset(get_dataset("trust_points"), bundle_only(tmp_path, bundle))
    (bundle / MANIFEST).write_text("{not json", encoding="utf-8")
    with pytest.raises(CorruptFileError, match="manifest is damaged.*python -m boundaries bundle"):
        load_dataset(get_dataset("trust_points"), bundle_only(tmp_path, bundle))


def test_wrong_hash_in_the_manifest(tmp_path):
    bundle = _copy_bundle(tmp_path)
    meta = json.loads((bundle / MANIFEST).read_text())
    meta["files"]["trust_points"]["sha256"] = "0" * 64
    (bundle / MANIFEST).write_text(json.dumps(meta))
    with pytest.raises(CorruptFileError, match="bundle file trust_points.parquet is damaged.*0000"):
        load_dataset(get_dataset("trust_points"), bundle_only(tmp_path, bundle))


def test_bundle_refuses_a_source_that_is_not_the_pinned_file(tmp_path, data_dir):
    src = tmp_path / "src"
    ds = get_dataset("ccg_stp_lookup")
    (src / ds.path).parent.mkdir(parents=True)
    (src / ds.path).write_bytes((data_dir / ds.path).read_bytes() + b"\n")
    with pytest.raises(CorruptFileError, match="not the pinned one"):
        build_bundle(src, tmp_path / "out", ids=("ccg_stp_lookup",))
    assert not (tmp_path / "out" / MANIFEST).exists()
