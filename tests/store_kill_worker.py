"""Helper process for the SIGKILL test of the scenario store (tests/reliability/test_reliability_store.py).

``python -m tests.store_kill_worker <db url> <scenario id> <first version> <count>`` (run as a module from
the repository root: as a script, tests/ would come first on the path and tests/spatial/ hide spatial/)
saves ``count`` versions of the scenario, each based on the one before, and
after each save has returned prints ``ACK <number> <sha256>`` (flushed), so
the test knows exactly which saves were acknowledged when it kills this
process with SIGKILL.  Version ``n``'s content is :func:`version_scenario`.
"""

from __future__ import annotations

import dataclasses
import sys


def version_scenario(base, n: int):
    """The scenario saved as version ``n`` (a description that names it, and a growing note)."""
    return dataclasses.replace(base, description=f"version {n} " + "x" * (n * 37 % 4000))


def main() -> int:
    url, sid, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    from spatial.preloaded import load_preloaded
    from spatial.store import open_store

    base = load_preloaded("swl-partnerships")
    store = open_store(url)
    print("READY", flush=True)
    for n in range(first, first + count):
        v = store.save(sid, version_scenario(base, n), based_on=n - 1, author="worker", message=f"save {n}")
        print(f"ACK {v.number} {v.sha256}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
