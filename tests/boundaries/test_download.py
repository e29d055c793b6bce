"""Download path against a real local HTTP server serving the real data files.

Every failure case checks the two promises of :mod:`boundaries.download`: the
cache folder holds no partial or temporary file afterwards, and a good file
already there is left untouched (same bytes, same modification time).
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import pytest

from boundaries.download import dataset_url, download_file, fetch, fetch_dataset, make_session
from boundaries.errors import DownloadError, RecordCountError
from boundaries.readers import read_dataset
from boundaries.registry import get_dataset
from tests.conftest import require_data_dir
from tests.httpserver import ScriptedServer, drop, html_page, redirect, serve, stall, status, truncated

pytestmark = pytest.mark.timeout(60)

CCG = "nhs/lookups/ccg18_stp18_en.csv"  # registry id ccg_stp_lookup, 195 records
TRUSTS = "nhs/trusts/nhs_trusts_points_geographr_2021-03.csv"  # registry id trust_points, 228 records
NHS_GPKG = "nhs/boundaries/london_ccg18_stp18_from_lsoa11.gpkg"  # london_ccg18 + london_stp18
RETRIES = 2
OLD = 1_500_000_000_000_000_000  # a fixed past mtime (ns) for "untouched" checks


@pytest.fixture(scope="module")
def source_dir() -> Path:
    """The real data directory (the test server serves its files); the test fails, never skips, without it."""
    return require_data_dir()


@pytest.fixture
def server():
    with ScriptedServer() as srv:
        yield srv
    assert not srv.errors, f"the test server itself failed: {srv.errors!r}"


@pytest.fixture
def session():
    with make_session(retries=RETRIES, backoff=0.01, retry_after_max=2) as sess:
        yield sess


def files_in(folder: Path) -> list[str]:
    """Every file under ``folder`` (hidden ones too), relative, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def good_file(folder: Path, name: str, data: bytes) -> Path:
    """A good file already in the cache, with a known old mtime."""
    dest = folder / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    os.utime(dest, ns=(OLD, OLD))
    return dest


def assert_untouched(dest: Path, data: bytes, folder: Path) -> None:
    assert dest.read_bytes() == data
    assert dest.stat().st_mtime_ns == OLD
    assert files_in(folder) == [dest.relative_to(folder).as_posix()], "partial/temp file left behind"


def assert_fails(url: str, dest: Path, session, *words: str, **kwargs) -> DownloadError:
    with pytest.raises(DownloadError) as info:
        download_file(url, dest, session=session, **kwargs)
    text = str(info.value)
    assert url in text
    for word in words:
        assert word.lower() in text.lower(), f"{word!r} not in {text!r}"
    assert "Fix:" in text
    return info.value


# -- retries that end in success ---------------------------------------------------------

def test_500_then_success_is_byte_identical(server, session, source_dir, tmp_path):
    src = (source_dir / CCG).read_bytes()
    url = server.script("/ccg.csv", status(500), serve(src))
    dest = good_file(tmp_path, "ccg18_stp18_en.csv", b"CCG18CD\nstale\n")
    assert download_file(url, dest, session=session) == dest
    assert dest.read_bytes() == src
    assert server.hits("/ccg.csv") == 2
    assert files_in(tmp_path) == ["ccg18_stp18_en.csv"]


def test_429_retry_after_is_honoured(server, session, source_dir, tmp_path):
    src = (source_dir / CCG).read_bytes()
    url = server.script("/ccg.csv", status(429, retry_after=1), serve(src))
    started = time.monotonic()
    download_file(url, tmp_path / "ccg.csv", session=session)
    waited = time.monotonic() - started
    assert 0.9 <= waited < 5, waited
    assert (tmp_path / "ccg.csv").read_bytes() == src
    assert server.hits("/ccg.csv") == 2
    assert files_in(tmp_path) == ["ccg.csv"]


def test_long_retry_after_is_capped(server, source_dir, tmp_path):
    src = (source_dir / CCG).read_bytes()
    url = server.script("/ccg.csv", status(503, retry_after=3600), serve(src))
    started = time.monotonic()
    with make_session(retries=RETRIES, backoff=0.01, retry_after_max=0.2) as sess:
        download_file(url, tmp_path / "ccg.csv", session=sess)
    assert time.monotonic() - started < 3
    assert (tmp_path / "ccg.csv").read_bytes() == src


# -- failures: clear error, nothing written, existing file untouched ---------------------

def test_persistent_500_reports_status(server, session, source_dir, tmp_path):
    src = (source_dir / CCG).read_bytes()
    dest = good_file(tmp_path, "ccg.csv", src)
    url = server.script("/ccg.csv", status(500))
    assert_fails(url, dest, session, "HTTP 500", "FOOTPRINTS_DATA")
    assert server.hits("/ccg.csv") == RETRIES + 1
    assert_untouched(dest, src, tmp_path)


def test_404_is_not_retried(server, session, source_dir, tmp_path):
    src = (source_dir / CCG).read_bytes()
    dest = good_file(tmp_path, "ccg.csv", src)
    url = server.url("/nowhere.csv")
    assert_fails(url, dest, session, "HTTP 404")
    assert server.hits("/nowhere.csv") == 1
    assert_untouched(dest, src, tmp_path)


def test_read_timeout(server, session, source_dir, tmp_path):
    src = (source_dir / CCG).read_bytes()
    dest = good_file(tmp_path, "ccg.csv", src)
    url = server.script("/slow.csv", stall(5, serve(src)))
    started = time.monotonic()
    assert_fails(url, dest, session, "timed out", "read timeout", timeout=(1, 0.5))
    assert time.monotonic() - started < 4
    assert server.hits("/slow.csv") == RETRIES + 1
    assert_untouched(dest, src, tmp_path)


def test_truncated_body(server, session, source_dir, tmp_path):
    src = (source_dir / CCG).read_bytes()
    dest = good_file(tmp_path, "ccg.csv", src)
    url = server.script("/short.csv", truncated(src, sent=5000))
    assert_fails(url, dest, session, "truncated", f"got 5000 of {len(src)} bytes")
    assert_untouched(dest, src, tmp_path)


@pytest.mark.parametrize(
    "behaviour",
    [html_page(), html_page(content_type="text/csv", body=b"\n  <!doctype html><html><body>Log in</body></html>")],
    ids=["content-type", "sniffed"],
)
def test_html_page_instead_of_csv(server, session, source_dir, tmp_path, behaviour):
    src = (source_dir / CCG).read_bytes()
    dest = good_file(tmp_path, "ccg.csv", src)
    url = server.script("/portal", behaviour)
    assert_fails(url, dest, session, "HTML page instead of data", "by hand")
    assert_untouched(dest, src, tmp_path)


def test_html_allowed_when_asked_for(server, session, tmp_path):
    url = server.script("/page", html_page())
    assert download_file(url, tmp_path / "page.html", session=session).read_bytes().startswith(b"<!DOCTYPE")


def test_redirect_loop(server, session, source_dir, tmp_path):
    src = (source_dir / CCG).read_bytes()
    dest = good_file(tmp_path, "ccg.csv", src)
    url = server.script("/loop.csv", redirect("/loop.csv"))
    assert_fails(url, dest, session, "too many redirects")
    assert server.hits("/loop.csv") == session.max_redirects + 1
    assert_untouched(dest, src, tmp_path)


def test_connection_dropped_every_time(server, session, source_dir, tmp_path):
    src = (source_dir / CCG).read_bytes()
    dest = good_file(tmp_path, "ccg.csv", src)
    url = server.script("/drop.csv", drop())
    assert_fails(url, dest, session, "connection was dropped", f"after {RETRIES} retries")
    assert server.hits("/drop.csv") == RETRIES + 1
    assert_untouched(dest, src, tmp_path)


def test_connection_refused(session, source_dir, tmp_path):
    with ScriptedServer() as gone:
        url = gone.url("/ccg.csv")  # the port is closed once the server stops
    src = (source_dir / CCG).read_bytes()
    dest = good_file(tmp_path, "ccg.csv", src)
    assert_fails(url, dest, session, "cannot connect")
    assert_untouched(dest, src, tmp_path)


def test_oversized_body_is_refused(server, session, source_dir, tmp_path):
    src = (source_dir / CCG).read_bytes()
    dest = good_file(tmp_path, "ccg.csv", src)
    url = server.script("/big.csv", serve(src))
    assert_fails(url, dest, session, "limit", max_bytes=1000)
    assert_untouched(dest, src, tmp_path)


def test_failing_progress_callback_still_cleans_up(server, session, source_dir, tmp_path):
    src = (source_dir / CCG).read_bytes()
    dest = good_file(tmp_path, "ccg.csv", src)
    url = server.script("/ccg.csv", serve(src))

    def broken(done, total):
        raise RuntimeError("display closed")

    assert_fails(url, dest, session, "display closed", progress=broken)
    assert_untouched(dest, src, tmp_path)


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), BrokenPipeError(32, "Broken pipe")])
def test_local_write_errors_are_not_network_faults(server, session, source_dir, tmp_path, error):
    """Disk full, or a progress display whose pipe closed: said as a local problem, not retried."""
    src = (source_dir / CCG).read_bytes()
    dest = good_file(tmp_path, "ccg.csv", src)
    url = server.script("/ccg.csv", serve(src), serve(src))

    def failing(done, total):
        raise error

    err = assert_fails(url, dest, session, "could not write the file", str(error.strerror), "free space",
                       progress=failing)
    assert "connection" not in str(err) and "truncated" not in str(err)
    assert server.hits("/ccg.csv") == 1, "a local failure is not a reason to download again"
    assert_untouched(dest, src, tmp_path)


def test_progress_reports_increasing_counts(server, session, source_dir, tmp_path):
    src = (source_dir / TRUSTS).read_bytes()
    url = server.script("/trusts.csv", serve(src, piece=2048))
    calls: list[tuple[int, int | None]] = []
    download_file(url, tmp_path / "trusts.csv", session=session, chunk_size=4096,
                  progress=lambda done, total: calls.append((done, total)))
    done = [d for d, _ in calls]
    assert len(done) >= 3
    assert all(a < b for a, b in zip(done, done[1:]))
    assert done[-1] == len(src)
    assert {t for _, t in calls} == {len(src)}
    assert (tmp_path / "trusts.csv").read_bytes() == src


# -- registry datasets: validation before the cache --------------------------------------

@pytest.mark.parametrize("existing", [True, False], ids=["existing-file", "no-file"])
def test_short_file_fails_the_pinned_hash_and_is_not_written(server, session, source_dir, tmp_path, existing):
    """The file at the pinned address lost 5 records: its SHA-256 is not the pinned one."""
    ds = get_dataset("ccg_stp_lookup")
    src = (source_dir / CCG).read_bytes()
    short = b"".join(src.splitlines(keepends=True)[:-5])
    url = server.script("/" + ds.download_url.split("githubusercontent.com/", 1)[1], serve(short))
    if existing:
        dest = good_file(tmp_path, CCG, src)
    with pytest.raises(DownloadError) as info:
        fetch_dataset(ds, tmp_path, session=session, force=True, pinned_base=server.url("/"))
    text = str(info.value)
    assert "[ccg_stp_lookup]" in text and url in text and ds.pin.source_sha256 in text
    assert "SHA-256" in text and "nothing was written" in text
    if existing:
        assert_untouched(dest, src, tmp_path)
    else:
        assert list(tmp_path.iterdir()) == [], "folders created for the failed download are left"


@pytest.mark.parametrize("existing", [True, False], ids=["existing-file", "no-file"])
def test_wrong_record_count_is_not_written(server, session, source_dir, tmp_path, existing):
    """The hash is right but the registry expects another edition: validation still refuses it."""
    ds = dataclasses.replace(get_dataset("ccg_stp_lookup"), records=200)
    src = (source_dir / CCG).read_bytes()
    url = server.script("/" + ds.download_url.split("githubusercontent.com/", 1)[1], serve(src))
    if existing:
        dest = good_file(tmp_path, CCG, src)
    with pytest.raises(DownloadError) as info:
        fetch_dataset(ds, tmp_path, session=session, force=True, pinned_base=server.url("/"))
    text = str(info.value)
    assert "[ccg_stp_lookup]" in text and url in text and "not as expected" in text
    assert "expected 200 records, found 195" in text
    assert isinstance(info.value.__cause__, RecordCountError)
    if existing:
        assert_untouched(dest, src, tmp_path)
    else:
        assert list(tmp_path.iterdir()) == [], "folders created for the failed download are left"


def test_valid_file_is_not_downloaded_again(server, session, source_dir, tmp_path):
    ds = get_dataset("ccg_stp_lookup")
    dest = good_file(tmp_path, CCG, (source_dir / CCG).read_bytes())
    mirror = server.url("/mirror/")  # nothing scripted: any request would 404
    assert fetch_dataset(ds, tmp_path, base_url=mirror, session=session) == dest
    assert server.log == []
    assert dest.stat().st_mtime_ns == OLD


def test_fetch_two_datasets_from_mirror(server, session, source_dir, tmp_path):
    for path in (CCG, TRUSTS):
        server.script(f"/mirror/{path}", serve(source_dir / path))
    base = server.url("/mirror/")
    cache = tmp_path / "cache"
    seen: dict[str, list[int]] = {}
    results = fetch(["ccg_stp_lookup", "trust_points"], cache, base_url=base, session=session,
                    progress=lambda ds_id, done, total: seen.setdefault(ds_id, []).append(done))
    assert [ds_id for ds_id, _ in results] == ["ccg_stp_lookup", "trust_points"]
    assert all(outcome.startswith("downloaded (") for _, outcome in results), results
    assert dataset_url(get_dataset("trust_points"), base) in results[1][1]
    assert files_in(cache) == sorted([CCG, TRUSTS])
    for ds_id, path in (("ccg_stp_lookup", CCG), ("trust_points", TRUSTS)):
        assert (cache / path).read_bytes() == (source_dir / path).read_bytes()
        loaded = read_dataset(get_dataset(ds_id), cache)
        assert len(loaded.frame) == get_dataset(ds_id).records
        assert seen[ds_id][-1] == (source_dir / path).stat().st_size
    hits = len(server.log)
    again = fetch(["ccg_stp_lookup", "trust_points"], cache, base_url=base, session=session)
    assert again == [("ccg_stp_lookup", "already present"), ("trust_points", "already present")]
    assert len(server.log) == hits


def test_fetch_shared_geopackage_once(server, session, source_dir, tmp_path):
    server.script(f"/mirror/{NHS_GPKG}", serve(source_dir / NHS_GPKG, content_type="application/geopackage+sqlite3"))
    results = dict(fetch(["london_ccg18", "london_stp18"], tmp_path, base_url=server.url("/mirror"),
                         session=session))
    assert results["london_ccg18"].startswith("downloaded (")
    assert results["london_stp18"] == "downloaded with london_ccg18 (shared file)"
    assert server.hits(f"/mirror/{NHS_GPKG}") == 1
    assert files_in(tmp_path) == [NHS_GPKG]
    assert len(read_dataset(get_dataset("london_stp18"), tmp_path).frame) == 5


def test_fetch_reports_failures(server, session, source_dir, tmp_path):
    server.script(f"/mirror/{CCG}", serve(source_dir / CCG))  # trust_points is missing: 404
    base = server.url("/mirror")
    results = dict(fetch(["ccg_stp_lookup", "trust_points"], tmp_path, base_url=base, session=session,
                         strict=False))
    assert results["ccg_stp_lookup"].startswith("downloaded (")
    assert results["trust_points"].startswith("failed: [trust_points] download of") and "HTTP 404" in results["trust_points"]
    assert files_in(tmp_path) == [CCG]
    with pytest.raises(DownloadError, match=r"1 of 2 dataset\(s\) could not be fetched \(trust_points\)") as info:
        fetch(["ccg_stp_lookup", "trust_points"], tmp_path, base_url=base, session=session)
    assert dict(info.value.results)["ccg_stp_lookup"] == "already present"
    assert files_in(tmp_path) == [CCG]


def test_unknown_dataset_id(tmp_path):
    with pytest.raises(KeyError, match="ccg_stp_lookup"):
        fetch(["ccg_stp_lookpu"], tmp_path)
    assert files_in(tmp_path) == []
