"""Helper process for the crash-safe saving tests (``tests/reliability/test_reliability_saving.py``).

It runs as a small fork server so that each saving process starts in
milliseconds instead of re-importing the engine: the test starts this module
(``python -m tests.crashsave_worker`` from the repository root, so tests/spatial/ cannot hide spatial/)
once, then asks it for saving processes; each is a forked child that saves
numbered versions of a scenario with :func:`spatial.io.save_scenario`
until it is killed (or has saved ``count`` versions).  The test sends SIGKILL
to the child's pid itself, at a random moment.

Protocol (one line each way, over stdin/stdout)::

    run <path> <writer> <start> <count> <slow> <log>   ->  pid <pid>
    wait <pid>                                         ->  status <pid> <exit code; -9 when killed>
    quit

The child appends the number of every version whose save has returned to
``<log>`` (flushed, so it survives SIGKILL), which tells the test the newest
version that must be on disk.  ``slow`` = 1 writes the JSON in 2 kB pieces
with a pause between them, so most kills land in the middle of a write.

:func:`version` rebuilds any version exactly, so the test can compare what it
loads with what was saved.
"""

from __future__ import annotations

import os
import random
import sys
import time

import spatial.io as scenario_io
from spatial.io import scenario_json  # the JSON writer (json.dump, os.replace) lives here
from spatial.footprints import Footprint, Scenario
from spatial.thresholds import Thresholds

__all__ = ["version", "parse_description", "main"]

_NAMES = ["Kingston & Richmond", "شراكة شمال غرب لندن", "🏥 SWL", "<img src=x onerror=alert(1)>"]


def version(writer: int, i: int) -> Scenario:
    """Version ``i`` of writer ``writer``: deterministic, and of a size that varies with ``i``.

    Between about 10 kB and 120 kB of JSON, so a cut-off file of one version
    could never pass for another.
    """
    rng = random.Random(writer * 1_000_003 + i)
    fps = []
    for j, name in enumerate(_NAMES):
        k = rng.randint(50, 1200)
        members = tuple(f"E01{n:06d}" for n in sorted(rng.sample(range(1, 4836), k)))
        fps.append(Footprint(f"{name} {j}", ("locality", "borough", "multi_borough", "stp")[j], members,
                             notes=f"writer {writer} version {i} footprint {j}"))
    return Scenario(f"Crash test {writer}", tuple(fps), Thresholds(care_flow_min=0.5 + (i % 40) / 100),
                    2017, f"writer {writer} version {i}", "tests/crashsave_worker.py")


def parse_description(text: str) -> tuple[int, int]:
    """``(writer, version)`` from a scenario description written by :func:`version`."""
    _, w, _, i = text.split()
    return int(w), int(i)


def _slow_dump(obj, f, **kw) -> None:
    text = scenario_json.json.dumps(obj, **kw)
    for start in range(0, len(text), 2048):
        f.write(text[start:start + 2048])
        time.sleep(0.0003)


def _save_loop(path: str, writer: int, start: int, count: int, slow: bool, log_path: str) -> None:
    if slow:
        scenario_json.json.dump = _slow_dump  # this child process only
    with open(log_path, "a", buffering=1) as log:
        i = start
        while count == 0 or i < start + count:
            scenario_io.save_scenario(version(writer, i), path, overwrite=True)  # writers of other names
            log.write(f"{i}\n")
            i += 1


def main() -> None:
    """Serve ``run`` / ``wait`` / ``quit`` lines from stdin (see the module docstring)."""
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "run":
            path, writer, start, count, slow, log_path = parts[1], *map(int, parts[2:6]), parts[6]
            pid = os.fork()
            if pid == 0:  # the saving process
                code = 1
                try:
                    _save_loop(path, writer, start, count, bool(slow), log_path)
                    code = 0
                finally:
                    os._exit(code)
            out.write(f"pid {pid}\n")
        elif parts[0] == "wait":
            pid = int(parts[1])
            _, status = os.waitpid(pid, 0)
            out.write(f"status {pid} {os.waitstatus_to_exitcode(status)}\n")
        elif parts[0] == "quit":
            break
        out.flush()


if __name__ == "__main__":
    main()
