"""Scenario store: save, open and list with 10,000 scenarios x 20 versions (SQLite, WAL).

Ours: :mod:`spatial.store` on an SQLite file (WAL, synchronous=FULL: each
save is fsynced).  Naive: one JSON file per version in one folder per
scenario (``<id>/v0001.json`` ...), the obvious way to add history to the old
one-file-per-name folder: save lists the folder for the latest number and
writes the next file with ``scenario_io.atomic_write`` (fsynced too); open
lists and reads the newest file; list scans every scenario folder and reads
each newest file for its name.

The Scenarios page lists the 500 most recently saved and finds the others
by name; listing all 10,000 in one call is measured too.

Both hold the same 200,000 bodies (filled in bulk, not timed); the timed
calls must agree (same scenario opened, same list, same history length after
a save).  Target (issue 14): each of save, open and list at most 50 ms.

``python bench/bench_store.py [--scenarios 10000] [--versions 20] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _common import agree, report, timeit  # noqa: F401  (also puts the repo on sys.path)

from sqlalchemy import insert

from spatial.preloaded import list_preloaded, load_preloaded
from spatial.io import atomic_write, dumps, loads
from spatial.store import open_store
from spatial.store.models import ScenarioRow, VersionRow

TARGET = 0.050


def fill(store, folder: Path, n_scen: int, n_ver: int, rng: random.Random) -> list[str]:
    """The same scenarios and versions into the store (bulk insert) and the naive folder."""
    import json

    from spatial.io import scenario_to_dict

    bases = [scenario_to_dict(load_preloaded(i)) for i, _, _ in list_preloaded()]
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    ids = []
    S, V = ScenarioRow.__table__, VersionRow.__table__
    batch_s, batch_v = [], []
    for i in range(n_scen):
        sid = f"bench{i:08d}-{rng.getrandbits(40):010x}"
        ids.append(sid)
        base = bases[i % len(bases)]
        name = f"{base['name']} #{i}"
        (folder / sid).mkdir()
        for n in range(1, n_ver + 1):
            # the text scenario_io.dumps writes (checked below: the store and the folder load alike)
            body = json.dumps(dict(base, name=name, description=f"plan {i}, version {n}"), indent=2,
                              ensure_ascii=False) + "\n"
            when = t0 + timedelta(minutes=i * n_ver + n)
            batch_v.append(dict(scenario_id=sid, number=n, body=body, author=f"user{n % 7}", message=f"v{n}",
                                saved_at=when, sha256=hashlib.sha256(body.encode()).hexdigest()))
            (folder / sid / f"v{n:04d}.json").write_text(body, encoding="utf-8")
        batch_s.append(dict(id=sid, name=name, name_key=name.casefold(), geography="london", created=t0, owner="",
                            private=False, deleted_at=None, latest=n_ver, updated=when, updated_by=f"user{n_ver % 7}"))
        if len(batch_s) >= 500 or i == n_scen - 1:
            with store.engine.connect().execution_options(write=True) as conn, conn.begin():
                conn.execute(insert(S), batch_s)
                conn.execute(insert(V), batch_v)
            batch_s, batch_v = [], []
    return ids


def naive_latest(folder: Path, sid: str) -> int:
    return max(int(p[1:5]) for p in os.listdir(folder / sid) if p.endswith(".json"))


def naive_open(folder: Path, sid: str):
    n = naive_latest(folder, sid)
    return loads((folder / sid / f"v{n:04d}.json").read_text(encoding="utf-8"))


def naive_save(folder: Path, sid: str, scenario) -> int:
    n = naive_latest(folder, sid) + 1
    body = dumps(scenario)
    atomic_write(folder / sid / f"v{n:04d}.json", lambda f: f.write(body))
    return n


def naive_list(folder: Path) -> list[tuple[str, str, int]]:
    out = []
    for entry in os.scandir(folder):
        n = naive_latest(folder, entry.name)
        name = loads((folder / entry.name / f"v{n:04d}.json").read_text(encoding="utf-8")).name
        out.append((entry.name, name, n))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, default=10_000)
    ap.add_argument("--versions", type=int, default=20)
    ap.add_argument("--keep", help="build in this folder and keep it")
    args = ap.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="footprints-bench-store-"))
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(14)
    try:
        store = open_store(work / "store.db")
        folder = work / "naive"
        if store.count()[0] == 0:
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            t = time.perf_counter()
            fill(store, folder, args.scenarios, args.versions, rng)
            print(f"filled {args.scenarios:,} scenarios x {args.versions} versions into both in "
                  f"{time.perf_counter() - t:.0f} s")
        ids = sorted(os.listdir(folder))
        n_s, n_v = store.count()
        print(f"store: {n_s:,} scenarios, {n_v:,} versions, {os.path.getsize(work / 'store.db') / 1e6:.0f} MB; "
              f"(machine shared with other jobs: figures are indicative)")

        # open: the latest version of a random scenario
        picks = [rng.choice(ids) for _ in range(50)]
        it = iter(picks * 10)
        ours_open = timeit(lambda: store.open(next(it)), repeat=50)
        it2 = iter(picks * 10)
        naive_open_t = timeit(lambda: naive_open(folder, next(it2)), repeat=50)
        agree(all(store.open(s)[2] == naive_open(folder, s) for s in picks[:20]),
              "open: the same scenario from the store and the folder (20 picks)")
        report("open latest version", ours_open, naive_open_t, target_seconds=TARGET)

        # save: the next version of a random scenario (fsynced in both)
        saves = [rng.choice(ids) for _ in range(30)]
        latest = {s: store.info(s).latest for s in saves}

        def ours_save(it=iter(saves)):
            s = next(it)
            _, v, sc = store.open(s)
            store.save(s, sc, based_on=v.number, author="bench", message="bench save")

        def naive_save_one(it=iter(saves)):
            s = next(it)
            naive_save(folder, s, naive_open(folder, s))

        ours_save_t = timeit(ours_save, repeat=len(saves))
        naive_save_t = timeit(naive_save_one, repeat=len(saves))
        counts = {s: saves.count(s) for s in saves}
        agree(all(store.info(s).latest == latest[s] + counts[s] == naive_latest(folder, s) for s in saves),
              "save: the same new latest version number in the store and the folder")
        report("save a new version (open + save)", ours_save_t, naive_save_t, target_seconds=TARGET)

        # list: what the Scenarios page shows (500 most recent) and the whole store
        ours_list500 = timeit(lambda: store.list(limit=500), repeat=20)
        ours_list = timeit(lambda: store.list(), repeat=5)
        naive_list_t = timeit(lambda: naive_list(folder), repeat=1)
        mine = {(s.id, s.name, s.latest) for s in store.list()}
        agree(mine == set(naive_list(folder)), f"list: the same {len(mine):,} (id, name, latest version)")
        report("list the 500 most recent (the Scenarios page)", ours_list500, naive_list_t, target_seconds=TARGET)
        report(f"list all {len(mine):,} scenarios in one call", ours_list, naive_list_t, target_seconds=TARGET)
        # find by name (the page's search box)
        some = store.info(rng.choice(ids)).name
        ours_find = timeit(lambda: store.list(search=some), repeat=20)
        agree({s.id for s in store.list(search=some)} ==
              {i for i, n, _ in naive_list(folder) if some.casefold() in n.casefold()}, f"search {some!r}: same hits")
        report("find by name", ours_find, naive_list_t, target_seconds=TARGET)
        store.close()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
