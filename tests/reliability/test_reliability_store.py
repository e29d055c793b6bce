"""Reliability of the scenario store, on SQLite (WAL) and a real PostgreSQL server.

* Eight sessions (separate processes, each with its own connections) save the
  same scenario at once for ``FOOTPRINTS_STRESS_SECONDS`` (default 20 s; the
  figures in docs/RELIABILITY.md are from a 120 s run): every save is either
  a version or a reported conflict, none is lost, and the history is complete
  and ordered.
* A saving process is killed with SIGKILL at random moments during 100
  saves: the store opens, nothing is half-written, every acknowledged save
  is there with its exact body.
* A database that is locked, read-only, full or unreachable gives a
  :class:`StoreUnavailableError` naming the database, its reason and a fix,
  and after the cause is removed the store works and has lost nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from spatial.preloaded import load_preloaded
from spatial.io import dumps
from spatial.store import ConflictError, StoreUnavailableError, open_store
from tests import pgserver
from tests.store_kill_worker import version_scenario

ROOT = Path(__file__).resolve().parents[2]
STRESS_SECONDS = float(os.environ.get("FOOTPRINTS_STRESS_SECONDS", "20"))
SESSIONS = 8


def _session(url: str, sid: str, worker: int, seconds: float, out: str) -> None:
    """One session: open the latest, change it, save; on a conflict keep mine (save again on the latest)."""
    import json

    rng = random.Random(worker)
    base = load_preloaded("kingston-richmond")
    store = open_store(url, busy_timeout=30)
    deadline = time.monotonic() + seconds
    i = 0
    with open(out, "w") as log:
        while time.monotonic() < deadline:
            _, v, _ = store.open(sid)
            based_on = v.number
            i += 1
            token = f"w{worker}-{i}"
            mine = dataclasses.replace(base, description=token)
            while True:
                t0 = time.perf_counter()
                try:
                    saved = store.save(sid, mine, based_on=based_on, author=f"session {worker}", message=token)
                except ConflictError as exc:
                    log.write(json.dumps({"kind": "conflict", "token": token, "based_on": based_on,
                                          "latest": exc.latest}) + "\n")
                    based_on = exc.latest  # "keep mine as a new version"
                    continue
                except Exception as exc:  # noqa: BLE001 - anything else is a failure the test reports
                    log.write(json.dumps({"kind": "error", "token": token, "error": repr(exc)}) + "\n")
                    break
                log.write(json.dumps({"kind": "saved", "token": token, "number": saved.number, "sha": saved.sha256,
                                      "ms": (time.perf_counter() - t0) * 1000}) + "\n")
                break
            log.flush()
            time.sleep(rng.uniform(0, 0.02))
    store.close()


def test_eight_sessions_saving_at_once_lose_nothing(db_url, tmp_path):
    import json

    store = open_store(db_url)
    base = load_preloaded("kingston-richmond")
    sid = store.create(base, author="setup").scenario_id
    ctx = multiprocessing.get_context("fork")
    logs = [tmp_path / f"session{w}.jsonl" for w in range(SESSIONS)]
    procs = [ctx.Process(target=_session, args=(db_url, sid, w, STRESS_SECONDS, str(logs[w])))
             for w in range(SESSIONS)]
    t0 = time.monotonic()
    for p in procs:
        p.start()
    for p in procs:
        p.join(STRESS_SECONDS + 120)
        assert p.exitcode == 0, f"session process exited with {p.exitcode}"
    elapsed = time.monotonic() - t0
    events = [json.loads(line) for log in logs for line in log.read_text().splitlines()]
    saved = [e for e in events if e["kind"] == "saved"]
    conflicts = [e for e in events if e["kind"] == "conflict"]
    failed = [e for e in events if e["kind"] == "error"]
    assert failed == [], failed[:5]
    hist = store.history(sid)
    numbers = [h.number for h in hist]
    # complete and ordered: 1..N with no gap, N = the creation plus every acknowledged save
    assert numbers == list(range(1, len(saved) + 2))
    by_number = {e["number"]: e for e in saved}
    assert len(by_number) == len(saved)  # no number acknowledged twice
    for h in hist[1:]:
        e = by_number[h.number]
        assert (h.message, h.sha256) == (e["token"], e["sha"])
        expected = dumps(dataclasses.replace(base, description=e["token"]))
        assert h.sha256 == hashlib.sha256(expected.encode()).hexdigest()
    # each conflict was real: someone else's version had been saved after the one it was based on
    assert all(c["latest"] > c["based_on"] for c in conflicts)
    assert conflicts, "eight sessions never collided: the test did not exercise concurrency"
    ms = sorted(e["ms"] for e in saved)
    print(f"\n{db_url.split(':')[0]}: {SESSIONS} sessions, {elapsed:.0f} s: {len(saved)} versions saved, "
          f"{len(conflicts)} conflicts reported (each then kept as a new version), 0 lost; "
          f"save median {ms[len(ms) // 2]:.1f} ms, 95th percentile {ms[int(len(ms) * 0.95)]:.1f} ms")
    store.close()


def _kill_round(url: str, sid: str, first: int, kill_after: int) -> list[tuple[int, str]]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "tests.store_kill_worker", url, sid, str(first),
                             str(100)], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    acks: list[tuple[int, str]] = []
    assert proc.stdout.readline().strip() == "READY"
    while len(acks) < kill_after:
        line = proc.stdout.readline()
        if not line:
            break
        _, n, sha = line.split()
        acks.append((int(n), sha))
    time.sleep(random.uniform(0, 0.004))  # land inside the next save most of the time
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    for line in proc.stdout.read().splitlines():  # acknowledged before the kill landed
        _, n, sha = line.split()
        acks.append((int(n), sha))
    return acks


def test_sigkill_during_100_saves_keeps_every_acknowledged_save(db_url):
    random.seed(14)
    store = open_store(db_url)
    base = load_preloaded("swl-partnerships")
    sid = store.create(version_scenario(base, 1), author="setup").scenario_id
    store.close()
    acked: dict[int, str] = {}
    kills = 0
    for _ in range(4):
        latest = open_store(db_url).info(sid).latest
        acks = _kill_round(db_url, sid, latest + 1, kill_after=random.randint(5, 60))
        kills += 1
        acked.update(acks)
        reopened = open_store(db_url)  # opens after every kill
        hist = reopened.history(sid)
        assert [h.number for h in hist] == list(range(1, len(hist) + 1))
        for n, sha in acked.items():
            assert hist[n - 1].sha256 == sha, f"acknowledged version {n} lost or changed"
        assert hist[-1].number >= max(acked)  # at most one save past the last ACK (committed, ACK not printed)
        assert hist[-1].number <= max(acked) + 1
        for h in hist:  # nothing half-written: every body is whole and is exactly what was saved
            _, _, sc = reopened.open(sid, h.number)
            assert sc == version_scenario(base, h.number)
        reopened.close()
    if db_url.startswith("sqlite"):
        path = db_url.split("sqlite:///", 1)[1]
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    print(f"\n{db_url.split(':')[0]}: {kills} SIGKILLs during saves, {len(acked)} acknowledged saves, all present")


# --- unavailable databases ---------------------------------------------------------------------------

def test_locked_sqlite_names_the_database(tmp_path):
    path = tmp_path / "store.db"
    store = open_store(path, busy_timeout=0.3)
    sid = store.create(load_preloaded("kingston-richmond"), author="Ana").scenario_id
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreUnavailableError) as err:
            store.save(sid, load_preloaded("london-stps"), based_on=1, author="Ana")
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert err.value.reason == "locked" and str(path) in str(err.value) and "Fix:" in str(err.value)
    assert store.save(sid, load_preloaded("london-stps"), based_on=1, author="Ana").number == 2


def test_read_only_sqlite_names_the_database(tmp_path):
    path = tmp_path / "store.db"
    rw = open_store(path)
    sid = rw.create(load_preloaded("kingston-richmond"), author="Ana").scenario_id
    rw.close()
    # root ignores file permissions, so the file is opened read-only the way SQLite itself does it
    ro = open_store(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert ro.open(sid)[2] == load_preloaded("kingston-richmond")  # reading still works
    with pytest.raises(StoreUnavailableError) as err:
        ro.save(sid, load_preloaded("london-stps"), based_on=1, author="Ana")
    assert err.value.reason == "read-only" and str(path) in str(err.value)
    ro.close()


@pytest.fixture
def small_disk():
    """A 2 MB tmpfs mounted for the test (needs root, as in CI)."""
    import tempfile

    mnt = Path(tempfile.mkdtemp(prefix="footprints-full-"))
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if res.returncode:
        pytest.fail(f"could not mount a small tmpfs to fill ({res.stderr.strip()}): the full-disk test needs root "
                    "(CI runs as root; run `sudo pytest tests/reliability/test_reliability_store.py -k full`)", pytrace=False)
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)
    mnt.rmdir()


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


def test_full_disk_sqlite_names_the_database_and_loses_nothing(small_disk):
    path = small_disk / "store.db"
    store = open_store(path)
    base = load_preloaded("swl-partnerships")
    sid = store.create(base, author="Ana").scenario_id
    filler = _fill(small_disk)
    big = dataclasses.replace(base, description="y" * 400_000)
    errs = []
    n = 1
    for _ in range(10):  # a few big saves overflow the WAL on the full disk
        try:
            n = store.save(sid, big, based_on=n, author="Ana").number
        except StoreUnavailableError as exc:
            errs.append(exc)
            break
    assert errs and errs[0].reason == "full" and str(path) in str(errs[0]), errs
    kept = n
    filler.unlink()
    store.close()
    again = open_store(path)
    assert [h.number for h in again.history(sid)] == list(range(1, kept + 1))
    assert again.save(sid, base, based_on=kept, author="Ana").number == kept + 1
    again.close()


def test_unreachable_postgresql_names_it_then_recovers(tmp_path):
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="footprints-pgdown-"))
    try:
        url = pgserver.start(folder)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        pytest.fail(f"could not start PostgreSQL ({exc}). {pgserver.HOW_TO}", pytrace=False)
    try:
        store = open_store(url, connect_timeout=3)
        sid = store.create(load_preloaded("kingston-richmond"), author="Ana").scenario_id
        pgserver.stop(folder, mode="immediate")  # the server goes down under a running app
        with pytest.raises(StoreUnavailableError) as err:
            store.save(sid, load_preloaded("london-stps"), based_on=1, author="Ana")
        assert err.value.reason == "unreachable" and "PostgreSQL database" in str(err.value)
        assert "127.0.0.1" in str(err.value) and "Fix:" in str(err.value)
        with pytest.raises(StoreUnavailableError) as err2:  # and a server that is not there at all
            open_store(url, connect_timeout=3)
        assert err2.value.reason == "unreachable"
        pgserver.restart(folder)
        assert store.save(sid, load_preloaded("london-stps"), based_on=1, author="Ana").number == 2
        assert [h.number for h in store.history(sid)] == [1, 2]
        store.close()
    finally:
        pgserver.stop(folder)
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def test_read_only_postgresql_names_it(pg_server):
    import psycopg
    from sqlalchemy.engine import make_url

    from tests.conftest import _fresh_pg_database

    db_url, drop = _fresh_pg_database(pg_server["url"])
    store = open_store(db_url)
    sid = store.create(load_preloaded("kingston-richmond"), author="Ana").scenario_id
    store.close()
    name = make_url(db_url).database
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    ro = open_store(db_url)
    with pytest.raises(StoreUnavailableError) as err:
        ro.save(sid, load_preloaded("london-stps"), based_on=1, author="Ana")
    assert err.value.reason == "read-only" and name in str(err.value)
    assert ro.open(sid)[2] == load_preloaded("kingston-richmond")  # reading still works
    ro.close()
    drop()
