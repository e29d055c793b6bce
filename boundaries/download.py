"""Download registry datasets safely: retries, validation, atomic writes.

Three layers, each usable on its own:

* :func:`make_session` -- a :class:`requests.Session` that retries connection
  errors, read errors and the transient statuses (429, 500, 502, 503, 504) on
  GET/HEAD with exponential backoff, honours ``Retry-After`` (capped) and stops
  redirect loops;
* :func:`download_file` -- streams one URL to a temporary file beside the
  destination, checks it (status, size against ``Content-Length``, not an HTML
  page) and moves it into place atomically;
* :func:`fetch_dataset` / :func:`fetch` -- download registry datasets from their
  pinned addresses (``boundaries/pins.tsv``: a public repository file pinned
  to a commit; ``FOOTPRINTS_PINNED_URL`` stands in for
  ``https://raw.githubusercontent.com/``, e.g. a local server) or from a
  mirror of the data directory (``--base-url`` / ``FOOTPRINTS_MIRROR_URL``),
  check the SHA-256, convert R data files (:mod:`boundaries.convert`),
  validate with :func:`boundaries.readers.read_dataset` and only then put
  them in the cache.  Publisher pages (``Dataset.homepage``) are never
  downloaded: they are landing pages, not files.

Why not pooch: it would replace only the hash check (a dozen lines);
:func:`download_file` also needs what pooch lacks -- stall and truncated-body
retries, HTML-page detection, a size limit, typed errors with a fix, and
validation of a file shared by several datasets before it replaces the cached
one -- so pooch would wrap, not replace, this module.

Whatever goes wrong, a :class:`~boundaries.errors.DownloadError` names the URL,
what happened and the fix; no half-written file is ever left at the
destination and an existing file there is left untouched.

Examples
--------
>>> from boundaries.download import fetch
>>> fetch(["ccg_stp_lookup"], Path("cache"))  # doctest: +SKIP
[('ccg_stp_lookup', 'downloaded (14,372 bytes from https://raw.githubusercontent.com/..., SHA-256 checked)')]
"""

from __future__ import annotations

import functools
import http.client
import os
import socket
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator
from urllib.parse import quote

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from .errors import DataError, DownloadError
from .files import atomic_path, fsync_dir
from .pins import pin_for, pinned_url, sha256_file
from .readers import read_dataset
from .registry import REGISTRY, Dataset, get_dataset

__all__ = [
    "RETRY_STATUSES",
    "make_session",
    "download_file",
    "dataset_url",
    "fetch_dataset",
    "fetch",
]

#: HTTP statuses worth retrying: rate limiting and transient server failures.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Size of the pieces a download is read and written in.
CHUNK_SIZE = 64 * 1024
#: Bytes of the start of a body inspected for an HTML page.
_SNIFF_BYTES = 512
_USER_AGENT = f"footprints-boundaries (requests/{requests.__version__})"

_FIX_NETWORK = (
    "check the network and try again later, or set FOOTPRINTS_DATA to a local copy of the "
    "data directory (or FOOTPRINTS_MIRROR_URL / --base-url to a mirror of it)"
)
_FIX_URL = (
    "check the address (for a mirror, that it holds the data directory's layout), "
    "or set FOOTPRINTS_DATA to a local copy of the data directory"
)
_FIX_HTML = (
    "the address serves a web page (a landing, login or error page), not the file: download "
    "the file by hand from the publisher's page, or set FOOTPRINTS_MIRROR_URL / --base-url to "
    "a mirror of the data directory, or FOOTPRINTS_DATA to a local copy"
)
_FIX_DISK = "check there is free space and write access, or set FOOTPRINTS_CACHE to another folder"

ProgressFn = Callable[[int, "int | None"], None]
DatasetProgressFn = Callable[[str, int, "int | None"], None]


def make_session(
    retries: int = 3,
    backoff: float = 0.2,
    *,
    retry_after_max: float = 30.0,
    backoff_max: float = 10.0,
    max_redirects: int = 10,
) -> requests.Session:
    """Build a session that retries transient failures.

    Parameters
    ----------
    retries : int, default 3
        Retries after the first attempt, for connection errors, read errors
        (timeouts, dropped connections) and the statuses in
        :data:`RETRY_STATUSES`; GET and HEAD only.
    backoff : float, default 0.2
        Backoff factor: waits of about ``backoff * 2 ** (n - 1)`` seconds
        between attempts (urllib3's formula), at most ``backoff_max``.
    retry_after_max : float, default 30.0
        Longest wait honoured from a ``Retry-After`` header (429/503), so a
        server asking for an hour cannot stall the program.
    backoff_max : float, default 10.0
        Longest backoff wait.
    max_redirects : int, default 10
        Redirects followed before giving up (ends redirect loops).

    Returns
    -------
    requests.Session
        The final status after the retries is returned, not raised
        (``raise_on_status=False``), so :func:`download_file` can report it.
    """
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        allowed_methods=frozenset({"GET", "HEAD"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff,
        backoff_max=backoff_max,
        respect_retry_after_header=True,
        retry_after_max=retry_after_max,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.max_redirects = max_redirects
    session.headers["User-Agent"] = _USER_AGENT
    return session


def download_file(
    url: str,
    dest: Path | str,
    *,
    session: requests.Session | None = None,
    timeout: tuple[float, float] | float = (5.0, 30.0),
    progress: ProgressFn | None = None,
    max_bytes: int = 200 * 1024**2,
    chunk_size: int = CHUNK_SIZE,
) -> Path:
    """Download ``url`` to ``dest`` atomically.

    The body is streamed to a temporary file (``.part-*``) in ``dest``'s
    folder, flushed to disk and moved over ``dest`` with :func:`os.replace`
    only when complete and checked.

    Parameters
    ----------
    url : str
        Address to GET.
    dest : Path
        Final file; its folder is created if needed.
    session : requests.Session, optional
        Session to use (default: a new :func:`make_session`, closed after).
    timeout : (float, float) or float, default (5.0, 30.0)
        Connect and read timeouts in seconds; the read timeout is the longest
        silence allowed between bytes, not a limit on the whole download.
    progress : callable, optional
        Called as ``progress(done_bytes, total_bytes_or_None)`` after each
        chunk; ``total`` is None when the server does not say the size.
    max_bytes : int, default 200 MiB
        Refuse bodies larger than this.
    chunk_size : int, default 64 KiB
        Size of the pieces read and written.

    Returns
    -------
    Path
        ``dest``.

    Raises
    ------
    DownloadError
        On an error status (after retries), timeout, dropped connection,
        redirect loop, truncated body (fewer bytes than ``Content-Length``),
        an HTML page instead of data (unless ``dest`` ends in ``.html``/``.htm``),
        an empty or oversized body, or a local write error.  The temporary
        file is removed and an existing ``dest`` is left untouched.
    """
    dest = Path(dest)
    own_session = session is None
    sess = make_session() if own_session else session
    created: list[Path] = []
    try:
        try:
            created = _make_parents(dest.parent)
            with atomic_path(dest, prefix=".part-", suffix=dest.suffix) as tmp:
                with open(tmp, "wb") as handle:
                    _stream_retrying(sess, url, dest, handle, timeout, progress, max_bytes, chunk_size)
                os.chmod(tmp, 0o666 & ~_umask())
            created = []
        except DownloadError:
            raise
        except requests.exceptions.RequestException as exc:
            what, fix = _describe(exc, sess, url, timeout)
            raise _error(url, what, dest, fix) from exc
        except OSError as exc:
            raise _error(url, f"could not write the file: {exc}", dest, _FIX_DISK) from exc
        except Exception as exc:  # e.g. a failing progress callback: still report, still clean up
            raise _error(url, f"unexpected {type(exc).__name__}: {exc}", dest, _FIX_NETWORK) from exc
    finally:
        _remove_empty(created)  # emptied on success; on failure, drop folders made for nothing
        if own_session:
            sess.close()
    return dest


def _stream_retrying(sess, url, dest, handle, timeout, progress, max_bytes, chunk_size) -> None:
    """:func:`_stream`, again when a body is cut off or stalls mid-way: resumed where it stopped.

    The session retries failures before the body starts; a body that breaks
    off part-way is fetched again here, as many times as the session retries
    (with its backoff).  When the server said it serves byte ranges
    (``Accept-Ranges: bytes``), the retry asks only for the rest
    (``Range: bytes=N-``) and appends it; otherwise, or when the server
    answers the range with the whole file, it starts again from the first
    byte in the emptied temporary file.  The caller's hash check covers
    the joined file.
    """
    retry = getattr(sess.get_adapter(url), "max_retries", None) if url.startswith(("http:", "https:")) else None
    total = getattr(retry, "total", 0)
    attempts = 1 + (total if isinstance(total, int) and not isinstance(total, bool) else 0)
    start = 0
    for attempt in range(1, attempts + 1):
        handle.seek(start)
        handle.truncate()
        try:
            _stream(sess, url, dest, handle, timeout, progress, max_bytes, chunk_size, start=start)
            return
        except _BodyCut as exc:
            if attempt == attempts:
                raise _error(url, f"{exc.what}; gave up after {attempts} attempts", dest, exc.fix) from exc
            start = exc.resume_at
            factor = getattr(retry, "backoff_factor", 0) or 0
            time.sleep(min(getattr(retry, "backoff_max", 10.0), factor * 2 ** (attempt - 1)))


class _BodyCut(DownloadError):
    """A body that broke off mid-way (retried by :func:`_stream_retrying`)."""

    def __init__(self, url: str, what: str, dest: Path, fix: str, resume_at: int = 0) -> None:
        super().__init__(f"download of {url} failed: {what}", path=str(dest), fix=fix)
        self.what, self.fix, self.resume_at = what, fix, resume_at


def _stream(sess, url, dest, handle, timeout, progress, max_bytes, chunk_size, start: int = 0) -> None:
    """GET ``url`` and write the checked body to ``handle`` (from byte ``start`` when resuming)."""
    headers = {"Range": f"bytes={start}-", "Accept-Encoding": "identity"} if start else None
    with sess.get(url, stream=True, timeout=timeout, headers=headers) as response:
        code = response.status_code
        resumed = start > 0 and code == 206 and response.headers.get("Content-Range", "").startswith(
            f"bytes {start}-")
        if start and not resumed:  # the server sent the whole file again: start from its first byte
            start = 0
            handle.seek(0)
            handle.truncate()
        if not 200 <= code < 300:
            what = f"the server answered HTTP {code} {response.reason or ''}".rstrip()
            if code in RETRY_STATUSES:
                what += f" (still failing after {_retries_text(sess, url)})"
                fix = _FIX_NETWORK
            else:
                fix = _FIX_URL
            raise _error(url, what, dest, fix)
        allow_html = dest.suffix.lower() in (".html", ".htm")
        ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype in ("text/html", "application/xhtml+xml") and not allow_html:
            raise _error(url, f"got an HTML page instead of data (Content-Type: {ctype})", dest, _FIX_HTML)
        encoded = response.headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity")
        expected = _content_length(response)
        if expected is not None and expected > max_bytes:
            raise _error(url, f"the file is {expected} bytes, more than the limit of {max_bytes} bytes",
                         dest, "check the address, or raise max_bytes if the file really is this large")
        if resumed:
            expected = start + expected if expected is not None else None
        ranges = (resumed or response.headers.get("Accept-Ranges", "").strip().lower() == "bytes") and not encoded
        # Decoded (gzip) bytes differ from Content-Length: then the size is checked on the wire.
        total = None if encoded else expected
        done = start
        head = b"" if not resumed else b"x" * _SNIFF_BYTES  # the start was checked on the first attempt
        pieces = _pieces(response, chunk_size)
        while True:
            try:  # only the read: a local failure (disk full, a progress callback) is not a network fault
                chunk = next(pieces, b"")
            except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                # Pieces are handed over as they arrive, so ``done`` counts every byte received.
                got = response.raw.tell() if encoded else done
                what, fix = _describe(exc, sess, url, timeout, retried=False)
                if expected is not None and got < expected:
                    what = f"truncated: got {got} of {expected} bytes ({what})"
                else:
                    what = f"{what} after {got} bytes"
                raise _BodyCut(url, what, dest, fix, resume_at=done if ranges else 0) from exc
            if not chunk:
                break
            if len(head) < _SNIFF_BYTES:
                head += chunk[: _SNIFF_BYTES - len(head)]
                if not allow_html and len(head) >= _SNIFF_BYTES:
                    _check_not_html(head, url, dest)
            done += len(chunk)
            if done > max_bytes:
                raise _error(url, f"the file is larger than the limit of {max_bytes} bytes", dest,
                             "check the address, or raise max_bytes if the file really is this large")
            handle.write(chunk)
            if progress is not None:
                progress(done, total)
        got = response.raw.tell() if encoded else done
        if expected is not None and got != expected:
            raise _BodyCut(url, f"truncated: got {got} of {expected} bytes (the connection dropped mid-download)",
                           dest, _FIX_NETWORK, resume_at=done if ranges and got < expected else 0)
        if done == 0:
            raise _error(url, "the server sent an empty file", dest, _FIX_URL)
        if not allow_html:
            _check_not_html(head, url, dest)


def _pieces(response: requests.Response, chunk_size: int):
    """The body in pieces of at most ``chunk_size`` bytes, each as soon as it arrives.

    ``iter_content`` waits to fill a whole chunk, so when a server stalls
    mid-body the bytes already received sit in a buffer and are lost to the
    count; ``read1`` hands over whatever has arrived (decoded, if gzip).
    """
    raw = response.raw
    while True:
        piece = raw.read1(chunk_size, decode_content=True)
        if not piece:
            return
        yield piece


def _check_not_html(head: bytes, url: str, dest: Path) -> None:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype", b"<html")):
        raise _error(url, "got an HTML page instead of data (the body starts with an HTML tag)", dest, _FIX_HTML)


def _content_length(response: requests.Response) -> int | None:
    value = response.headers.get("Content-Length")
    try:
        length = int(value) if value is not None else None
    except ValueError:
        return None
    return length if length is not None and length >= 0 else None


def _error(url: str, what: str, dest: Path, fix: str) -> DownloadError:
    return DownloadError(f"download of {url} failed: {what}", path=str(dest), fix=fix)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception it wraps (args, ``reason``, cause, context)."""
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        stack.extend([getattr(item, "reason", None), item.__cause__, item.__context__, *item.args])


def _describe(exc: BaseException, sess: requests.Session, url: str, timeout,
              retried: bool = True) -> tuple[str, str]:
    """Plain-words description and fix of a requests/urllib3 failure.

    ``retried`` is False for failures while reading the body, which the
    session does not retry.
    """
    causes = list(_causes(exc))

    def has(*types: type) -> bool:
        return any(isinstance(c, types) for c in causes)

    connect_t, read_t = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    note = f" (after {_retries_text(sess, url)})" if retried else ""
    if has(requests.exceptions.TooManyRedirects):
        return (f"too many redirects (more than {sess.max_redirects}; the server redirects in a loop)",
                "check the address; the server may need a login or cookies the tool cannot give, so "
                "use a mirror (FOOTPRINTS_MIRROR_URL) or a local copy (FOOTPRINTS_DATA)")
    if has(requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
           requests.exceptions.InvalidSchema, urllib3.exceptions.LocationParseError):
        return f"invalid URL ({exc})", _FIX_URL
    if has(urllib3.exceptions.NameResolutionError):
        return "cannot resolve the host name" + note, _FIX_NETWORK
    if has(urllib3.exceptions.NewConnectionError, ConnectionRefusedError):
        return "cannot connect to the server (refused or unreachable)" + note, _FIX_NETWORK
    if has(urllib3.exceptions.ConnectTimeoutError, requests.exceptions.ConnectTimeout):
        return f"timed out connecting to the server (connect timeout {connect_t:g} s)" + note, _FIX_NETWORK
    if has(urllib3.exceptions.ReadTimeoutError, requests.exceptions.ReadTimeout, socket.timeout):
        return (f"timed out: the server sent nothing for {read_t:g} s (read timeout)" + note,
                _FIX_NETWORK)
    if has(requests.exceptions.SSLError, urllib3.exceptions.SSLError):
        return f"TLS/SSL error ({exc})", "check the system clock and certificates, or use a mirror"
    if has(urllib3.exceptions.ProtocolError, requests.exceptions.ChunkedEncodingError,
           http.client.RemoteDisconnected, ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
        return "the connection was dropped by the server" + note, _FIX_NETWORK
    if has(requests.exceptions.ContentDecodingError, urllib3.exceptions.DecodeError):
        return f"the body could not be decompressed ({exc})", _FIX_NETWORK
    return f"{type(exc).__name__}: {exc}", _FIX_NETWORK


def _retries_text(sess: requests.Session, url: str) -> str:
    """``"3 retries"``: how many times the session retries a request to ``url``."""
    try:
        retry = sess.get_adapter(url).max_retries
    except requests.exceptions.InvalidSchema:
        return "0 retries"
    total = getattr(retry, "total", 0)
    n = total if isinstance(total, int) and not isinstance(total, bool) else 0
    return f"{n} retr{'y' if n == 1 else 'ies'}"


@functools.lru_cache(maxsize=1)
def _umask() -> int:
    """The process umask, so a download gets the permissions of any new file."""
    try:  # Linux: read it without changing it (no race with other threads)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return those created, deepest first."""
    missing = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    folder.mkdir(parents=True, exist_ok=True)
    return missing


def _remove_empty(folders: list[Path]) -> None:
    """Remove folders created for a download that failed, if still empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def dataset_url(ds: Dataset, base_url: str | None = None, pinned_base: str | None = None) -> str | None:
    """Address to download ``ds`` from.

    Parameters
    ----------
    ds : Dataset
    base_url : str, optional
        Base address of a mirror of the data directory; the file is then
        ``base_url/ds.path``.
    pinned_base : str, optional
        Stand-in for ``https://raw.githubusercontent.com/`` (a local server
        serving the pinned files at their pinned paths).

    Returns
    -------
    str or None
        Without ``base_url``, the pinned address (:attr:`Dataset.download_url`);
        None when the file has no pinned source (built from several sources).
    """
    if base_url:
        return base_url.rstrip("/") + "/" + quote(ds.path, safe="/")
    return pinned_url(ds.pin, pinned_base) if ds.pin is not None else None


def downloadable(ds: Dataset) -> bool:
    """True when ``ds`` has a pinned address and, for a converted source, a known conversion."""
    from .convert import CONVERSIONS

    return ds.download_url is not None and (not ds.pin.converted or ds.path in CONVERSIONS)


def _expected_hash(ds: Dataset, base_url: str | None) -> str | None:
    """SHA-256 the downloaded bytes must have: the mirror file's, or the pinned source's."""
    if ds.pin is None:
        return None
    return ds.pin.sha256 if base_url else ds.pin.source_sha256


def _check_hash(path: Path, expected: str | None, url: str, ds: Dataset, final: Path) -> None:
    if expected is None:
        return
    got = sha256_file(path)
    if got != expected:
        raise DownloadError(
            f"the file downloaded from {url} has SHA-256 {got}, not the pinned {expected} "
            f"(boundaries/pins.tsv); it was damaged in transit or is not the pinned file",
            dataset=ds.id, path=str(final),
            fix="fetch again; if it fails again, the server does not serve the pinned file: check the "
                "address (FOOTPRINTS_PINNED_URL / FOOTPRINTS_MIRROR_URL) or the row in boundaries/pins.tsv; "
                "nothing was written",
        )


def _sharing(ds: Dataset) -> list[Dataset]:
    """``ds`` and the other registry datasets stored in the same file."""
    return [ds] + [d for d in REGISTRY.values() if d.path == ds.path and d.id != ds.id]


def _problem(ds: Dataset, dest_dir: Path) -> str | None:
    """None when ``ds`` is present and valid in ``dest_dir``, else what is wrong."""
    path = Path(dest_dir) / ds.path
    if not path.is_file():
        return "missing"
    try:
        read_dataset(ds, dest_dir)
    except DataError as exc:
        return exc.message
    except Exception as exc:  # an unreadable file is a problem to fix by fetching, not a crash
        return f"{type(exc).__name__}: {exc}"
    return None


def fetch_dataset(
    ds: Dataset,
    dest_dir: Path | str,
    *,
    base_url: str | None = None,
    session: requests.Session | None = None,
    progress: ProgressFn | None = None,
    force: bool = False,
    timeout: tuple[float, float] | float = (5.0, 30.0),
    pinned_base: str | None = None,
) -> Path:
    """Download one dataset, check its hash, convert it, validate it, then put it in ``dest_dir``.

    Parameters
    ----------
    ds : Dataset
        Registry entry.
    dest_dir : Path
        Data directory (mirror layout) to write into.
    base_url : str, optional
        Mirror of the data directory (see :func:`dataset_url`); callers read
        it from ``--base-url`` or ``FOOTPRINTS_MIRROR_URL``.  Default: the
        pinned address (:attr:`Dataset.download_url`).
    session : requests.Session, optional
        Session to use (default: a new :func:`make_session`).
    progress : callable, optional
        ``progress(done_bytes, total_bytes_or_None)``.
    force : bool, default False
        Download even when the file is already present and valid.  Without
        it a valid file is kept (several datasets share one GeoPackage).
    timeout : (float, float) or float, default (5.0, 30.0)
        Connect and read timeouts in seconds.
    pinned_base : str, optional
        Stand-in for ``https://raw.githubusercontent.com/`` (``FOOTPRINTS_PINNED_URL``).

    Returns
    -------
    Path
        ``dest_dir / ds.path``.

    Raises
    ------
    DownloadError
        When the download fails, its SHA-256 is not the pinned one, the
        conversion fails (e.g. the disk is full), or the file is not what the
        registry expects (the :class:`~boundaries.errors.DataError` is
        chained).  Nothing is written then: the temporary file is removed and
        an existing file is left as it was.

    Notes
    -----
    A file shared by several datasets (e.g. ``london_lsoa``, ``london_msoa``
    and ``london_borough_gla``) must be valid for all of them before it
    replaces the cached one, so fetching one layer never breaks another.
    """
    dest_dir = Path(dest_dir)
    final = dest_dir / ds.path
    if not force and _problem(ds, dest_dir) is None:
        return final
    url = dataset_url(ds, base_url, pinned_base)
    if url is None:
        raise DownloadError(
            f"{ds.path} has no pinned source address: it was built from several source files",
            dataset=ds.id, path=str(final),
            fix="it is in the embedded bundle (data/), used automatically; or set FOOTPRINTS_MIRROR_URL / "
                "--base-url to a mirror of the data directory, or FOOTPRINTS_DATA to a local copy",
        )
    convert = base_url is None and ds.pin is not None and ds.pin.converted
    if convert and not downloadable(ds):
        raise DownloadError(
            f"the pinned source of {ds.path} ({ds.pin.source_suffix}) has no conversion into the mirror's file",
            dataset=ds.id, path=str(final),
            fix="add a Conversion for it in boundaries/convert.py; meanwhile use the embedded bundle (data/) if it "
                "holds the dataset, a mirror (FOOTPRINTS_MIRROR_URL / --base-url) or FOOTPRINTS_DATA",
        )
    created: list[Path] = []
    tmps: list[Path] = []
    try:
        created = _make_parents(final.parent)
        suffixes = [ds.pin.source_suffix] if convert else []
        for suffix in [*suffixes, final.suffix]:
            with tempfile.NamedTemporaryFile(dir=final.parent, delete=False, prefix=".part-",
                                             suffix=suffix) as handle:
                tmps.append(Path(handle.name))
    except OSError as exc:
        for t in tmps:
            t.unlink(missing_ok=True)
        _remove_empty(created)
        raise DownloadError(f"cannot write into {final.parent}: {exc}", dataset=ds.id,
                            path=str(final), fix=_FIX_DISK) from exc
    source, tmp = tmps[0], tmps[-1]
    try:
        try:
            download_file(url, source, session=session, timeout=timeout, progress=progress)
        except DownloadError as exc:
            raise DownloadError(exc.message, dataset=ds.id, path=str(final), fix=exc.fix) from exc
        _check_hash(source, _expected_hash(ds, base_url), url, ds, final)
        if convert:
            def sources(path: str) -> Path:
                """The pinned source of another mirror file a conversion joins, downloaded and hash-checked."""
                other = pin_for(path)
                other_url = pinned_url(other, pinned_base) if other is not None else None
                if other_url is None:
                    raise DownloadError(f"the conversion needs {path}, which has no pinned address",
                                        dataset=ds.id, path=str(final), fix="add its row to boundaries/pins.tsv")
                with tempfile.NamedTemporaryFile(dir=final.parent, delete=False, prefix=".part-",
                                                 suffix=other.source_suffix) as handle:
                    tmps.insert(0, Path(handle.name))
                download_file(other_url, tmps[0], session=session, timeout=timeout)
                _check_hash(tmps[0], other.source_sha256, other_url, ds, final)
                return tmps[0]

            _convert(source, tmp, ds, url, final, sources)
        for each in _sharing(ds):
            try:
                read_dataset(each, dest_dir, path=tmp)
            except Exception as exc:
                reason = exc.message if isinstance(exc, DataError) else f"{type(exc).__name__}: {exc}"
                label = "" if each is ds else f" for {each.id}, which shares the file"
                raise DownloadError(
                    f"the file downloaded from {url} is not as expected{label}: {reason}",
                    dataset=ds.id, path=str(final),
                    fix="the publisher may have changed the file (a new edition or layout): check the "
                        "sources in SOURCES.md and update the registry, or use a mirror "
                        "(FOOTPRINTS_MIRROR_URL) or a local copy (FOOTPRINTS_DATA); nothing was written",
                ) from exc
        try:
            os.replace(tmp, final)
        except OSError as exc:
            raise DownloadError(f"cannot move the download into place: {exc}", dataset=ds.id,
                                path=str(final), fix=_FIX_DISK) from exc
    except BaseException:
        for t in tmps:
            t.unlink(missing_ok=True)
        _remove_empty(created)
        raise
    for t in tmps[:-1]:
        t.unlink(missing_ok=True)
    fsync_dir(final.parent)
    return final


def _convert(source: Path, dest: Path, ds: Dataset, url: str, final: Path, sources=None) -> None:
    """Convert the pinned source into the mirror's file format (errors as :class:`DownloadError`)."""
    from .convert import convert

    dest.unlink(missing_ok=True)  # GDAL writes a new GeoPackage; an empty file is not one
    try:
        convert(source, dest, ds.path, sources)
    except DataError as exc:
        raise DownloadError(f"cannot convert the file downloaded from {url}: {exc.message}",
                            dataset=ds.id, path=str(final), fix=exc.fix or _FIX_URL) from exc
    except OSError as exc:
        raise DownloadError(f"cannot write the converted file: {exc}", dataset=ds.id, path=str(final),
                            fix=_FIX_DISK + "; nothing was written") from exc
    except Exception as exc:  # GDAL reports a full disk as its own error type
        raise DownloadError(f"converting the file downloaded from {url} failed: {type(exc).__name__}: {exc}",
                            dataset=ds.id, path=str(final),
                            fix="if the disk is full, " + _FIX_DISK + "; else fetch again") from exc


def fetch(
    ids: Iterable[str] | None,
    dest_dir: Path | str,
    *,
    base_url: str | None = None,
    session: requests.Session | None = None,
    progress: DatasetProgressFn | None = None,
    strict: bool = True,
    pinned_base: str | None = None,
) -> list[tuple[str, str]]:
    """Fetch the datasets that are missing or invalid in ``dest_dir``.

    Parameters
    ----------
    ids : list of str, optional
        Registry ids; None or empty for every registry dataset.
    dest_dir : Path
        Data directory (mirror layout) to write into.
    base_url : str, optional
        Mirror of the data directory (``--base-url`` / ``FOOTPRINTS_MIRROR_URL``);
        default: each dataset's pinned address.
    session : requests.Session, optional
        Session to use (default: one :func:`make_session` for all downloads).
    progress : callable, optional
        ``progress(dataset_id, done_bytes, total_bytes_or_None)``.
    strict : bool, default True
        After trying every dataset, raise :class:`DownloadError` if any
        failed (the outcomes are on its ``results`` attribute).  With False,
        failures are returned as ``"failed: ..."`` outcomes.
    pinned_base : str, optional
        Stand-in for ``https://raw.githubusercontent.com/`` (``FOOTPRINTS_PINNED_URL``).

    Returns
    -------
    list of (str, str)
        ``(dataset_id, outcome)`` in the order asked, outcome one of
        ``"already present"``, ``"downloaded (...)"``,
        ``"replaced an invalid file (...)"``, ``"downloaded with <id> (shared file)"``
        or ``"failed: ..."``.

    Raises
    ------
    KeyError
        For an unknown id, before anything is downloaded.
    DownloadError
        With ``strict``, when a dataset could not be fetched.
    """
    dest_dir = Path(dest_dir)
    wanted = list(dict.fromkeys(ids)) if ids else list(REGISTRY)
    datasets = [get_dataset(i) for i in wanted]
    own_session = session is None
    sess = make_session() if own_session else session
    results: list[tuple[str, str]] = []
    failed: list[tuple[str, str]] = []
    fetched_by: dict[str, str] = {}
    try:
        for ds in datasets:
            problem = _problem(ds, dest_dir)
            if problem is None:
                shared = fetched_by.get(ds.path)
                results.append((ds.id, f"downloaded with {shared} (shared file)" if shared else "already present"))
                continue
            report = None if progress is None else functools.partial(progress, ds.id)
            try:
                path = fetch_dataset(ds, dest_dir, base_url=base_url, session=sess, progress=report, force=True,
                                     pinned_base=pinned_base)
            except DownloadError as exc:
                results.append((ds.id, f"failed: {exc}"))
                failed.append((ds.id, exc))
                continue
            fetched_by[ds.path] = ds.id
            how = ("SHA-256 checked" if ds.pin else "no pinned hash") + (
                ", converted" if base_url is None and ds.pin is not None and ds.pin.converted else "")
            done = f"{path.stat().st_size:,} bytes from {dataset_url(ds, base_url, pinned_base)}, {how}"
            results.append((ds.id, f"downloaded ({done})" if problem == "missing"
                            else f"replaced an invalid file ({problem}; {done})"))
    finally:
        if own_session:
            sess.close()
    if failed and strict:
        detail = "; ".join(f"{ds_id}: {exc.message}" for ds_id, exc in failed)
        fixes = dict.fromkeys(exc.fix for _, exc in failed if exc.fix)
        ok = len(results) - len(failed)
        error = DownloadError(
            f"{len(failed)} of {len(datasets)} dataset(s) could not be fetched "
            f"({', '.join(i for i, _ in failed)}); {ok} in place. {detail}",
            path=str(dest_dir),
            fix="; or ".join(fixes) or _FIX_NETWORK,
        )
        error.results = results  # type: ignore[attr-defined]
        raise error
    return results
