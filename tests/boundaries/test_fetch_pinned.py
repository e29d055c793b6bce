"""`fetch --region england` from the pinned addresses, against a local HTTP server on 127.0.0.1.

The server serves each pinned file at its pinned path (``OWNER/REPO/COMMIT/PATH``):
the original ``.rda``/``.xlsx`` from the mirror's ``pinned/`` folder for converted
datasets, the mirror's own file for byte-for-byte ones.  ``FOOTPRINTS_PINNED_URL``
points the program at it instead of https://raw.githubusercontent.com/.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pandas as pd
import pytest
import shapely

from boundaries import cli
from boundaries.convert import CONVERSIONS
from boundaries.download import fetch_dataset, make_session
from boundaries.errors import DownloadError
from boundaries.pins import RAW_BASE, sha256_file
from boundaries.readers import read_dataset
from boundaries.registry import REGISTRY, get_dataset, get_region
from tests.httpserver import ScriptedServer, html_page, ranged, serve, truncated

pytestmark = pytest.mark.timeout(900)

ENGLAND = list(dict.fromkeys(
    get_region("england").datasets()
    + [d.id for d in REGISTRY.values() if d.download_url and not d.path.startswith("london/")]
))


def pinned_path(ds_id: str) -> str:
    """The server path of a dataset's pinned address."""
    return "/" + get_dataset(ds_id).pin.url[len(RAW_BASE):]


def pinned_file(mirror: Path, ds_id: str) -> Path:
    """The file the public address serves: the original (converted datasets) or the mirror's copy."""
    ds = get_dataset(ds_id)
    if ds.pin.converted:
        src = mirror / "pinned" / ds.pin.url[len(RAW_BASE):]
    else:
        src = mirror / ds.path
    assert src.is_file(), f"{src} missing: the mirror's pinned/ folder holds every converted source"
    assert sha256_file(src) == ds.pin.source_sha256, f"{src} is not the pinned file"
    return src


def files_in(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def server():
    with ScriptedServer() as srv:
        yield srv
    assert not srv.errors, f"the test server itself failed: {srv.errors!r}"


@pytest.fixture
def env(tmp_path, monkeypatch, server, data_dir):
    """A fresh user: data directory = an empty folder, pinned addresses on the local server."""
    dest = tmp_path / "data"
    monkeypatch.setenv("FOOTPRINTS_DATA", str(dest))
    monkeypatch.setenv("FOOTPRINTS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("FOOTPRINTS_PINNED_URL", server.url("/"))
    monkeypatch.delenv("FOOTPRINTS_MIRROR_URL", raising=False)
    return dest


def test_every_england_dataset_has_a_pinned_address_and_a_conversion():
    for ds_id in ENGLAND:
        ds = get_dataset(ds_id)
        assert ds.download_url.startswith(RAW_BASE) and len(ds.pin.source_sha256) == 64, ds_id
        assert not ds.pin.converted or ds.path in CONVERSIONS, f"{ds_id}: converted source without a Conversion"
        assert "search?" not in ds.download_url and ds.homepage != ds.download_url


def test_publisher_pages_are_documentation_only():
    for ds in REGISTRY.values():
        assert ds.homepage.startswith("https://"), ds.id
        assert ds.download_url is None or ds.download_url.startswith(RAW_BASE), ds.id


def test_fetch_region_england_downloads_verifies_and_converts_everything(data_dir, env, server, capsys):
    mirror = data_dir
    for ds_id in ENGLAND:
        server.script(pinned_path(ds_id), serve(pinned_file(mirror, ds_id), content_type="application/octet-stream"))
    assert cli.main(["fetch", "--region", "england"]) == 0
    out = capsys.readouterr().out
    for ds_id in ENGLAND:
        ds = get_dataset(ds_id)
        line = next(l for l in out.splitlines() if l.startswith(ds_id + " "))
        assert "SHA-256 checked" in line and server.url(pinned_path(ds_id)) in line or "shared file" in line, line
        if ds.pin.converted:
            assert "converted" in line, line
        a, b = read_dataset(ds, mirror), read_dataset(ds, env)
        if "geometry" in a.frame:
            # Same codes, same order, same attributes; geometry identical to the mirror's (Hausdorff 0 m).
            pd.testing.assert_frame_equal(pd.DataFrame(a.frame.drop(columns="geometry")),
                                          pd.DataFrame(b.frame.drop(columns="geometry")), check_exact=True)
            assert shapely.equals_exact(a.frame.geometry.values, b.frame.geometry.values, 0).all(), ds_id
        else:
            pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)
        if not ds.pin.converted:
            assert sha256_file(env / ds.path) == ds.pin.sha256
    assert not [f for f in files_in(env) if Path(f).name.startswith(".part-")], "temporary files left"
    # Each file is downloaded once as its own dataset, and once more for each conversion that joins its
    # columns (the LSOA 2021 -> ICB 2024 lookup takes LAD 2022/2024 from two lookups that are registry
    # datasets of the 2024 geography too).
    from collections import Counter

    from boundaries.convert import CONVERSIONS

    joined = Counter(j[0] for d in ENGLAND for j in (getattr(CONVERSIONS.get(get_dataset(d).path), "joins", None) or ()))
    expected = {i: 1 + joined[get_dataset(i).path] for i in ENGLAND}
    assert all(server.hits(pinned_path(i)) == expected[i] for i in ENGLAND), \
        {i: (server.hits(pinned_path(i)), expected[i]) for i in ENGLAND if server.hits(pinned_path(i)) != expected[i]}
    # Everything in place: a second fetch downloads nothing.
    assert cli.main(["fetch", "--region", "england"]) == 0
    assert "already present" in capsys.readouterr().out
    assert all(server.hits(pinned_path(i)) == expected[i] for i in ENGLAND)


def damaged(data: bytes) -> bytes:
    out = bytearray(data)
    out[len(out) // 3] ^= 0xFF
    return bytes(out)


@pytest.mark.parametrize("ds_id", ["lsoa_ward_lookup", "ccg_stp_lookup"], ids=["converted", "byte-for-byte"])
def test_damaged_byte_fails_the_hash_check_and_leaves_nothing(data_dir, env, server, capsys, ds_id):
    src = pinned_file(data_dir, ds_id)
    server.script(pinned_path(ds_id), serve(damaged(src.read_bytes()), content_type="application/octet-stream"))
    assert cli.main(["fetch", ds_id]) == 2
    err = capsys.readouterr().err
    assert "SHA-256" in err and get_dataset(ds_id).pin.source_sha256 in err and "Fix:" in err, err
    assert "nothing was written" in err
    assert not env.exists() or files_in(env) == [], "a damaged download left files behind"


@pytest.fixture
def session():
    with make_session(retries=1, backoff=0.01) as sess:
        yield sess


def _fails(ds_id: str, dest: Path, server, session, *words: str) -> str:
    with pytest.raises(DownloadError) as info:
        fetch_dataset(get_dataset(ds_id), dest, session=session, pinned_base=server.url("/"), force=True)
    text = str(info.value)
    for word in words:
        assert word.lower() in text.lower(), f"{word!r} not in {text!r}"
    assert "Fix:" in text
    assert not dest.exists() or files_in(dest) == [], f"files left behind: {files_in(dest)}"
    return text


def test_pinned_address_answering_404(server, session, tmp_path):
    # Nothing scripted: the server answers 404 at the pinned path.
    _fails("lsoa_ward_lookup", tmp_path / "d", server, session, "HTTP 404", "check the address")


def test_pinned_address_serving_html(server, session, tmp_path):
    server.script(pinned_path("lsoa_ward_lookup"), html_page())
    _fails("lsoa_ward_lookup", tmp_path / "d", server, session, "HTML page instead of data")


def test_partial_file(server, session, tmp_path, data_dir):
    src = pinned_file(data_dir, "lsoa_ward_lookup")
    server.script(pinned_path("lsoa_ward_lookup"), truncated(src, content_type="application/octet-stream"))
    _fails("lsoa_ward_lookup", tmp_path / "d", server, session, "truncated", "of %d bytes" % src.stat().st_size)


def test_partial_download_is_resumed_where_it_stopped(server, session, tmp_path, data_dir):
    """A body cut off after 100,000 bytes by a server that serves ranges: only the rest is asked for."""
    ds = get_dataset("lsoa_ward_lookup")
    src = pinned_file(data_dir, "lsoa_ward_lookup")
    size = src.stat().st_size
    server.script(pinned_path("lsoa_ward_lookup"),
                  truncated(src, sent=100_000, content_type="application/octet-stream", accept_ranges=True),
                  ranged(src))
    seen: list[tuple[int, int | None]] = []
    dest = fetch_dataset(ds, tmp_path / "d", session=session, pinned_base=server.url("/"), force=True,
                         progress=lambda done, total: seen.append((done, total)))
    assert server.ranges == ["bytes=100000-"]
    assert server.hits(pinned_path("lsoa_ward_lookup")) == 2
    assert seen[-1] == (size, size) and all(t == size for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen), "progress went backwards"
    pd.testing.assert_frame_equal(read_dataset(ds, data_dir).frame, read_dataset(ds, tmp_path / "d").frame)
    assert files_in(tmp_path / "d") == [ds.path] and dest == tmp_path / "d" / ds.path


def test_server_ignoring_the_range_gives_the_whole_file_again(server, session, tmp_path, data_dir):
    """A server that answers the Range request with 200 and the whole file: started again, not appended."""
    ds = get_dataset("lsoa_ward_lookup")
    src = pinned_file(data_dir, "lsoa_ward_lookup")
    server.script(pinned_path("lsoa_ward_lookup"),
                  truncated(src, sent=100_000, content_type="application/octet-stream", accept_ranges=True),
                  serve(src, content_type="application/octet-stream"))
    dest = fetch_dataset(ds, tmp_path / "d", session=session, pinned_base=server.url("/"), force=True)
    assert len(read_dataset(ds, tmp_path / "d").frame) == ds.records and dest.is_file()


def test_disk_full_during_conversion(server, session, tmp_path, monkeypatch, data_dir):
    """The converted CSV's write fails half-way with ENOSPC: a clear error, nothing left behind."""
    src = pinned_file(data_dir, "lsoa_ward_lookup")
    server.script(pinned_path("lsoa_ward_lookup"), serve(src, content_type="application/octet-stream"))
    real = pd.DataFrame.to_csv

    def full_disk(self, path, *args, **kwargs):
        real(self.head(100), path, *args, **kwargs)  # some bytes reach the disk, then it is full
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    text = _fails("lsoa_ward_lookup", tmp_path / "d", server, session,
                  "cannot write the converted file", "No space left on device", "free space")
    assert "nothing was written" in text


def test_file_without_a_pinned_source(tmp_path):
    with pytest.raises(DownloadError, match="no pinned source address.*embedded bundle"):
        fetch_dataset(get_dataset("london_lsoa"), tmp_path, force=True)


def test_converted_source_without_a_conversion_is_refused_before_downloading(tmp_path, server):
    # The London single-year-of-age table is a London subset of an England .rda: the bundle has it.
    with pytest.raises(DownloadError, match="has no conversion into the mirror's file.*boundaries/convert.py"):
        fetch_dataset(get_dataset("london_lsoa_pop_syoa_2017"), tmp_path, force=True, pinned_base=server.url("/"))
    assert server.log == [] and list(tmp_path.iterdir()) == []


def test_fetching_london_files_downloads_nothing_they_are_in_the_bundle(tmp_path, monkeypatch, server, capsys):
    """A fresh user fetching the London GeoPackages (no pinned address): the bundle has them."""
    monkeypatch.setattr(cli, "settings", lambda: __import__("boundaries").Settings(
        tmp_path / "c" / "downloads", tmp_path / "c", "download", __import__("boundaries.config").config.BUNDLE_DIR,
        pinned_url=server.url("/")))
    code = cli.main(["fetch", "london_lsoa", "london_ccg18", "london_lsoa_pop_syoa_2017"])
    out = capsys.readouterr().out
    assert code == 0 and out.count("in the embedded bundle") == 3
    assert server.log == [] and not (tmp_path / "c").exists()
    assert cli.main(["fetch", "london_lsoa_pop_syoa_2017x"]) == 2
    assert "Did you mean: london_lsoa_pop_syoa_2017" in capsys.readouterr().err


ICB24 = "nhs/lookups/lsoa21_sicbl24_icb24_en.csv"
ICB24_JOINS = ("england21/lsoa11_lsoa21_ltla22_lookup.csv", "local_authorities/lsoa21_ward24_ltla24_lookup.csv")


def _icb24_dataset():
    import dataclasses

    return dataclasses.replace(get_dataset("lsoa_ward_lookup"), id="lsoa21_icb24", path=ICB24, records=33755,
                               code_column="lsoa21_code", code_pattern=r"^E01\d{6}$")


def _serve_pinned_path(server, data_dir, path, behaviour=None):
    from boundaries.pins import pin_for

    rest = pin_for(path).url[len(RAW_BASE):]
    server.script("/" + rest, behaviour or serve(data_dir / "pinned" / rest, content_type="application/octet-stream"))
    return "/" + rest


def test_conversion_joining_two_other_pinned_files(server, session, tmp_path, data_dir):
    """The April 2024 LSOA -> ICB lookup takes its LAD columns from two other pinned lookups: all three fetched."""
    paths = [_serve_pinned_path(server, data_dir, p) for p in (ICB24, *ICB24_JOINS)]
    dest = fetch_dataset(_icb24_dataset(), tmp_path / "d", session=session, pinned_base=server.url("/"), force=True)
    pd.testing.assert_frame_equal(pd.read_csv(data_dir / ICB24), pd.read_csv(dest), check_exact=True)
    assert [server.hits(p) for p in paths] == [1, 1, 1]
    assert files_in(tmp_path / "d") == [ICB24], "temporary files left"


def test_conversion_whose_joined_file_is_missing(server, session, tmp_path, data_dir):
    _serve_pinned_path(server, data_dir, ICB24)
    _serve_pinned_path(server, data_dir, ICB24_JOINS[0])  # the second one answers 404
    text = _fails_ds(_icb24_dataset(), tmp_path / "d", server, session)
    assert "HTTP 404" in text and "lsoa21_ward24_ltla24" in text


def _fails_ds(ds, dest, server, session) -> str:
    with pytest.raises(DownloadError) as info:
        fetch_dataset(ds, dest, session=session, pinned_base=server.url("/"), force=True)
    assert not dest.exists() or files_in(dest) == [], f"files left behind: {files_in(dest)}"
    assert "Fix:" in str(info.value)
    return str(info.value)
