"""A fresh clone runs on the embedded bundle alone: no ../shared, no FOOTPRINTS_DATA, no network.

The repository is cloned (committed files only) into a temporary folder with no
``shared/`` beside it; every command runs there with an empty ``FOOTPRINTS_CACHE``,
``FOOTPRINTS_DATA`` unset, proxies pointing at a dead port and a socket guard
(``sitecustomize``) that refuses, and logs, any connection or name lookup that is
not to 127.0.0.1.  The test then checks what a new user would see:

* ``python -m boundaries status``: every London dataset OK, read from the bundle;
* ``python -m spatial check kingston-richmond --json``: the same output as the
  same command run beside the mirror;
* the app through AppTest (home and Sketch pages, no exception) and as a real
  ``streamlit run`` server in headless Chromium: the home map and the Sketch
  map draw (all 4,835 units);
* and not one network attempt was logged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from boundaries.bundle import BUNDLED
from tests.browser_helpers import (  # noqa: F401  (pytest fixtures)
    ARTIFACTS,
    browser,
    free_port,
    frame_by_url,
    open_app,
    page,
    screenshot,
    stop_server,
    wait_healthy,
)
from tests.conftest import require_data_dir

pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parents[2]
DEAD_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens, every proxied request fails

GUARD = '''
"""Network guard of the fresh-clone test: only 127.0.0.1 / localhost; every other attempt logged."""
import os
import socket

_LOG = os.environ.get("FOOTPRINTS_NET_LOG")


def _local(host):
    if isinstance(host, bytes):
        host = host.decode()
    return host is None or (isinstance(host, str) and (
        host in ("", "localhost", "0.0.0.0", "::", "::1") or host.startswith("127.")))


def _record(what):
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {what}\\n")


_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo


def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
        _record(f"connect {address!r}")
        raise ConnectionRefusedError(f"network blocked by the fresh-clone test: {address!r}")
    return _connect(self, address)


def connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
        _record(f"connect_ex {address!r}")
        return 111
    return _connect_ex(self, address)


def getaddrinfo(host, *args, **kwargs):
    if not _local(host):
        _record(f"resolve {host!r}")
        raise socket.gaierror(socket.EAI_NONAME, f"name lookup blocked by the fresh-clone test: {host!r}")
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
'''


class Clone:
    """A clone of the repository and the environment of a new user's machine."""

    def __init__(self, root: Path, env: dict[str, str], net_log: Path) -> None:
        self.root, self.env, self.net_log = root, env, net_log

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, *args], cwd=self.root, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def attempts(self) -> list[str]:
        return self.net_log.read_text().splitlines() if self.net_log.exists() else []


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Clone:
    base = tmp_path_factory.mktemp("fresh")
    root = base / "footprints"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(root)], check=True,
                   capture_output=True, timeout=300)
    assert not (root.parent / "shared").exists()
    assert (root / "data" / "manifest.json").is_file(), "the bundle is not committed"
    guard = base / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    net_log = base / "network-attempts.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOOTPRINTS_")}
    env.update({
        "FOOTPRINTS_CACHE": str(base / "user-cache"),
        "FOOTPRINTS_NET_LOG": str(net_log),
        "FOOTPRINTS_SCENARIOS": str(base / "scenarios"),
        "PYTHONPATH": os.pathsep.join([str(guard), str(root)]),
        "HOME": str(base / "home"),
        "XDG_CACHE_HOME": str(base / "home" / ".cache"),
        **{k: DEAD_PROXY for k in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                                   "all_proxy")},
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
    })
    (base / "home").mkdir()
    c = Clone(root, env, net_log)
    probe = c.run("-c", "import socket; socket.create_connection(('192.0.2.1', 80), timeout=1)")
    assert probe.returncode != 0 and "blocked by the fresh-clone test" in probe.stderr, probe.stderr
    assert c.attempts(), "the network guard is not active in the clone's processes"
    net_log.unlink()
    where = c.run("-c", "import boundaries, spatial; print(boundaries.__file__); print(spatial.__file__)")
    assert where.stdout.split() == [str(root / "boundaries" / "__init__.py"), str(root / "spatial" / "__init__.py")]
    return c


def test_status_every_london_dataset_ok_from_the_bundle(clone):
    out = clone.run("-m", "boundaries", "status", "--json")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    status = json.loads(out.stdout)
    assert status["data_source"] == "download" and status["bundle_dir"] == str(clone.root / "data")
    rows = {d["id"]: d for d in status["datasets"]}
    for ds_id in BUNDLED:
        assert rows[ds_id]["ok"], rows[ds_id]
        assert rows[ds_id]["source"] == "bundle" and rows[ds_id]["path"].startswith(str(clone.root / "data"))
    assert all(layer["ok"] for layer in status["layers"]), status["layers"]
    layers = {d["id"]: d["records"] for d in status["layers"]}
    assert layers["units"] == 4835 and layers["borough"] == 33 and layers["ccg"] == 32 and layers["stp"] == 5
    text = clone.run("-m", "boundaries", "status")
    assert text.returncode == 0 and "bundle" in text.stdout
    assert clone.attempts() == []


def test_check_gives_the_same_numbers_as_with_the_mirror(clone, tmp_path):
    fresh = clone.run("-m", "spatial", "check", "kingston-richmond", "--json")
    assert fresh.returncode in (0, 1), fresh.stderr[-3000:]
    mirror_env = {**os.environ, "FOOTPRINTS_CACHE": str(tmp_path / "cache")}
    mirror_env.pop("FOOTPRINTS_DATA", None)
    require_data_dir()
    mirror = subprocess.run([sys.executable, "-m", "spatial", "check", "kingston-richmond", "--json"],
                            cwd=ROOT, env=mirror_env, capture_output=True, text=True, timeout=600)
    assert mirror.returncode == fresh.returncode, mirror.stderr[-3000:]
    a, b = json.loads(fresh.stdout), json.loads(mirror.stdout)
    assert a == b
    assert fresh.stdout == mirror.stdout
    populations = [f["population"] for f in a["footprints"]]
    assert populations and all(p > 0 for p in populations)
    assert clone.attempts() == []


APPTEST = textwrap.dedent('''
    import json, sys
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file("app.py", default_timeout=300)
    at.run()
    home = {"exceptions": [e.value for e in at.exception], "errors": [e.value for e in at.error],
            "titles": [t.value for t in at.title]}
    at.switch_page("ui/pages/sketch.py")
    at.run()
    sketch = {"exceptions": [e.value for e in at.exception], "errors": [e.value for e in at.error],
              "titles": [t.value for t in at.title]}
    print(json.dumps({"home": home, "sketch": sketch}))
''')


def test_app_runs_in_apptest(clone):
    out = clone.run("-c", APPTEST, timeout=900)
    assert out.returncode == 0, out.stderr[-4000:]
    pages = json.loads(out.stdout.strip().splitlines()[-1])
    for name, page_state in pages.items():
        assert page_state["exceptions"] == [] and page_state["errors"] == [], (name, page_state)
        assert page_state["titles"], name
    assert clone.attempts() == []


_DRAWN = """() => !!(window.L && document.querySelector('.leaflet-container') &&
  document.querySelectorAll('.leaflet-overlay-pane path').length > 0)"""


def _wait_drawn_map(pg, timeout_s: float = 120):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for frame in pg.frames:
            if frame is pg.main_frame:
                continue
            try:
                if frame.evaluate(_DRAWN):
                    return frame
            except Exception:  # noqa: BLE001 - frames come and go while Streamlit reruns
                pass
        pg.wait_for_timeout(200)
    raise AssertionError("the home map did not draw")


@pytest.fixture(scope="module")
def clone_server(clone):
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = ARTIFACTS / "fresh-clone-streamlit.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
            cwd=clone.root, env=clone.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        try:
            wait_healthy(base, proc)
        except RuntimeError as exc:
            pytest.fail(f"{exc}\n{log_path.read_text(errors='replace')[-3000:]}", pytrace=False)
        yield base
    finally:
        stop_server(proc)


@pytest.mark.browser
def test_app_server_draws_the_home_and_sketch_maps_in_chromium(clone, clone_server, page):
    open_app(page, clone_server)
    _wait_drawn_map(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Traceback" not in page.evaluate("document.body.innerText")
    page.wait_for_timeout(300)
    screenshot(page, "fresh_clone_home", full_page=True)

    open_app(page, clone_server, "sketch")
    frame = frame_by_url(page, "clickmap")
    frame.wait_for_function("window.__clickmap && window.__clickmap.ready && window.__clickmap.applied > 0",
                            timeout=120_000)
    assert frame.evaluate("typeof L === 'object' && L.version") == "1.9.3"
    assert frame.evaluate("window.__clickmap.drawn") == 4835
    page.wait_for_timeout(300)
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "fresh_clone_sketch")
    assert page.blocked_requests == [], page.blocked_requests
    assert clone.attempts() == []
