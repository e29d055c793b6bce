"""Reliability: crash-safe scenario saving, concurrent savers, and names that must stay inside the folder.

* A saving process is killed with SIGKILL at random moments (hundreds of
  times, half of them with writes slowed so the kill lands mid-write): the
  file on disk is always a complete, loadable scenario equal to a version that
  was saved -- the last one whose save returned, or the one being saved if its
  rename had happened -- and never an older one.
* Four processes save the same file at once while this process reads it in a
  loop: every read is a complete version of one writer, and the end result is
  one writer's last version.  Saves are *last writer wins with an atomic
  rename* (no lock): each writer writes its own temporary file in the same
  folder and renames it over the target.
* Names typed by a user become file names only through
  ``ui.files.scenario_path``: traversal, absolute paths, reserved device
  names, control characters and random text never lead outside the scenarios
  folder.

Figures (kills, kills mid-write, reads during concurrent saving) are printed
and written to ``test-artifacts/reliability-saving.json``.
"""

from __future__ import annotations

import json
import os
import random
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from boundaries.errors import FootprintsError
from spatial.errors import ScenarioError
from spatial.io import load_scenario, save_scenario
from tests.crashsave_worker import parse_description, version

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
KILLS_PER_MODE = 150
CONCURRENT_WRITERS = 4
SAVES_PER_WRITER = 120


class Worker:
    """Client of ``tests/crashsave_worker.py`` (a fork server of saving processes)."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.crashsave_worker"], cwd=ROOT,
                                     env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        assert self._read(60) == "ready"

    def _read(self, timeout: float = 30) -> str:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise AssertionError(f"the crash-save worker did not answer within {timeout} s")
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"the crash-save worker exited (code {self.proc.poll()})")
        return line.strip()

    def _ask(self, line: str, timeout: float = 30) -> list[str]:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self._read(timeout).split()

    def run(self, path: Path, writer: int, start: int, count: int, slow: bool, log: Path) -> int:
        word, pid = self._ask(f"run {path} {writer} {start} {count} {int(slow)} {log}")
        assert word == "pid"
        return int(pid)

    def wait(self, pid: int, timeout: float = 60) -> int:
        word, _, code = self._ask(f"wait {pid}", timeout)
        assert word == "status"
        return int(code)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def worker():
    w = Worker()
    try:
        yield w
    finally:
        w.close()


def _record(key: str, value) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "reliability-saving.json"
    data = json.loads(path.read_text()) if path.is_file() else {}
    data[key] = value
    path.write_text(json.dumps(data, indent=2))
    print(f"\n{key}: {value}")


def _temps(folder: Path, name: str) -> set[str]:
    return {p.name for p in folder.iterdir() if p.name.startswith(f".{name}.") and p.name.endswith(".tmp")}


def _last_logged(log: Path) -> int | None:
    lines = [ln for ln in log.read_text().splitlines() if ln.strip()] if log.is_file() else []
    return int(lines[-1]) if lines else None


@pytest.mark.parametrize("slow", [False, True], ids=["natural-speed", "slowed-writes"])
def test_sigkill_at_random_moments_never_corrupts_the_saved_file(worker, tmp_path, slow):
    rng = random.Random(20240 + slow)
    path = tmp_path / "plan.json"
    save_scenario(version(1, 0), path)
    newest = 0  # newest version known to be on disk
    mid_write = old_kept = new_saved = 0
    for round_ in range(KILLS_PER_MODE):
        log = tmp_path / f"round-{round_}.log"
        pid = worker.run(path, 1, newest + 1, 0, slow, log)
        time.sleep(rng.uniform(0, 0.06 if slow else 0.08))
        os.kill(pid, 9)
        assert worker.wait(pid) == -9, "the saving process should have been killed, not have ended"
        done = _last_logged(log)
        scenario = load_scenario(path)  # raises on a half-written or missing file
        writer, v = parse_description(scenario.description)
        assert writer == 1
        assert scenario == version(1, v), f"round {round_}: the file is not exactly version {v}"
        lower = done if done is not None else newest
        assert lower <= v <= lower + 1, f"round {round_}: on disk v{v}, last completed save v{done}"
        old_kept += v == newest
        new_saved += v > newest
        newest = v
        left = _temps(tmp_path, path.name)
        if left:
            mid_write += 1
            for name in left:  # a killed save leaves its temporary file (never the target) behind
                (tmp_path / name).unlink()
    assert mid_write > (KILLS_PER_MODE // 3 if slow else 0), "too few kills landed during a write"
    _record(f"sigkill_{'slowed' if slow else 'natural'}", {
        "kills": KILLS_PER_MODE, "kills_during_a_write": mid_write, "file_kept_previous_version": old_kept,
        "file_had_a_newer_complete_version": new_saved, "corrupt_or_unloadable": 0, "last_version_on_disk": newest,
    })


def test_concurrent_savers_never_produce_a_corrupt_file(worker, tmp_path):
    path = tmp_path / "shared.json"
    save_scenario(version(0, 0), path)
    logs = [tmp_path / f"writer-{w}.log" for w in range(1, CONCURRENT_WRITERS + 1)]
    pids = [worker.run(path, w, 1, SAVES_PER_WRITER, False, log) for w, log in enumerate(logs, start=1)]
    reads, seen = 0, set()
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            s = load_scenario(path)
            writer, v = parse_description(s.description)
            assert s == version(writer, v), f"read {reads}: not exactly writer {writer} version {v}"
            seen.add(writer)
            reads += 1
            if all(_last_logged(log) == SAVES_PER_WRITER for log in logs):
                break
    finally:
        codes = [worker.wait(pid, timeout=120) for pid in pids]
    assert codes == [0] * CONCURRENT_WRITERS
    final = load_scenario(path)
    writer, v = parse_description(final.description)
    assert v == SAVES_PER_WRITER and final == version(writer, v), "last writer wins: its last version stays"
    assert _temps(tmp_path, path.name) == set(), "temporary files left behind"
    assert len(seen - {0}) >= 2, "the readers should have seen more than one writer's saves"
    _record("concurrent_savers", {"writers": CONCURRENT_WRITERS, "saves_each": SAVES_PER_WRITER,
                                  "reads_while_saving": reads, "corrupt_reads": 0,
                                  "writers_seen_by_reader": len(seen - {0}), "final_writer": writer})


# --- names -> paths --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def naming():
    from ui.files import safe_scenario_name, scenario_path

    return safe_scenario_name, scenario_path


RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def _check_inside(naming, folder: Path, name: str) -> Path | None:
    """The path the app would save ``name`` to, after checking it is a plain file right inside ``folder``."""
    _, scenario_path = naming
    try:
        path = scenario_path(folder, name)
    except ScenarioError as exc:
        assert isinstance(exc, FootprintsError) and "Fix:" in str(exc)
        return None
    assert path.parent == folder.resolve(), (name, path)
    assert path.suffix == ".json" and not path.name.startswith((".", "-"))
    assert path.stem.split(".")[0].casefold() not in RESERVED, (name, path)
    assert len(path.name) <= 90
    assert all(ch.isprintable() and ch not in '/\\:*?"<>|' for ch in path.name), (name, path.name)
    return path


HOSTILE_FILE_NAMES = [
    "../../x", "../../../../etc/passwd", "/etc/passwd", "/tmp/evil", "C:\\Windows\\System32\\x",
    "\\\\server\\share\\x", "..", ".", "...", "./.", "a/../../b", "~/x", "$HOME/x", "%APPDATA%\\x",
    "CON", "con.json", "NUL", "Com1", "LPT9.txt", "aux.tar.gz", " ", "", "\x00", "x\x00.json/../y",
    "\uff0e\uff0e\uff0fx",  # fullwidth "../x" (NFKC turns it into ../x)
    "..\u2215..\u2215x",  # division slash
    ".hidden", "-rf", "a" * 5000, "name\nwith\rbreaks\t", "\u202eevil.json", "<img src=x onerror=alert(1)>",
    "plan.json", "plan.JSON.", "  plan  ", "schéma 🏥", "شراكة شمال غرب لندن",
]


@pytest.mark.parametrize("name", HOSTILE_FILE_NAMES, ids=[repr(n)[:30] for n in HOSTILE_FILE_NAMES])
def test_user_names_never_leave_the_scenarios_folder(naming, tmp_path, name):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    outside_before = sorted(p for p in tmp_path.rglob("*") if folder not in p.parents and p != folder)
    path = _check_inside(naming, folder, name)
    if path is not None:
        save_scenario(version(1, 1), path)
        assert load_scenario(path) == version(1, 1)
        assert [p.name for p in folder.iterdir()] == [path.name]
    outside_after = sorted(p for p in tmp_path.rglob("*") if folder not in p.parents and p != folder)
    assert outside_after == outside_before


def test_traversal_names_keep_their_readable_part(naming):
    safe_scenario_name, _ = naming
    assert safe_scenario_name("../../x") == "x"
    assert safe_scenario_name("SWL: Kingston/Richmond") == "SWL- Kingston-Richmond"
    assert safe_scenario_name("CON") == "CON_"
    with pytest.raises(ScenarioError, match="cannot be used as a file name"):
        safe_scenario_name("../..")


def test_a_symlink_in_the_folder_never_leads_outside(naming, tmp_path):
    _, scenario_path = naming
    folder = tmp_path / "scenarios"
    folder.mkdir()
    target = tmp_path / "outside.json"
    target.write_text("precious", encoding="utf-8")
    (folder / "plan.json").symlink_to(target)
    # the app refuses the name (the resolved path lies outside the folder)...
    with pytest.raises(ScenarioError, match="points outside the scenarios folder"):
        scenario_path(folder, "plan")
    # ...and a save straight to the link replaces the link, not the file it points to
    save_scenario(version(1, 2), folder / "plan.json")
    assert target.read_text(encoding="utf-8") == "precious"
    assert not (folder / "plan.json").is_symlink() and load_scenario(folder / "plan.json") == version(1, 2)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=0, max_size=120))
def test_random_names_stay_inside_the_folder(naming, tmp_path, name):
    folder = tmp_path / "scenarios"
    folder.mkdir(exist_ok=True)
    _check_inside(naming, folder, name)
