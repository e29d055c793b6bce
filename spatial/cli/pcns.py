"""``python -m spatial pcns``: primary care networks beside neighbourhoods (2024 geography)."""

from __future__ import annotations

import argparse
from typing import Any

from ._geo import load_engine

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``pcns`` command."""
    p = subparsers.add_parser("pcns", help="PCNs: list sizes against the neighbourhood range, PCNs across places",
                              description="Primary care networks of the region: practices, list size against the "
                                          "neighbourhood range (30-50k), PCNs whose practices lie in more than one "
                                          "place; or the practices inside a footprint.")
    p.add_argument("--pcn", default=None, help="list the practices of one PCN (code)")
    p.add_argument("--inside", default=None, metavar="MEMBERS",
                   help="comma-separated members of a footprint: practices inside it, residents vs registered")
    p.add_argument("--split", action="store_true", help="only PCNs whose practices lie in more than one place")
    p.add_argument("--top", type=int, default=20, help="rows to show (default 20)")
    p.set_defaults(func=run, geography="2024")


def run(args: argparse.Namespace) -> int:
    from ..pcns import Practices

    engine = load_engine(args)
    practices = Practices.load(engine.index)
    for note in practices.notes:
        print(f"note: {note}")
    if args.pcn:
        f = practices.pcn(args.pcn)
        print(f"{f['pcn_name'].iloc[0]} ({f['pcn'].iloc[0]}): {len(f)} practice(s), list size "
              f"{int(round(f['population'].sum())):,}")
        for r in f.itertuples():
            print(f"  {r.code}  {r.name}  {int(round(r.population)):,}  {r.place_name}")
        return 0
    if args.inside:
        members = [m.strip() for m in args.inside.split(",") if m.strip()]
        units = engine.index.expand(members, where="--inside")
        f, s = practices.inside(units, engine.index)
        print(f"{s['practices']} practice(s) in {s['pcns']} PCN(s); residents (Census {engine.year}) "
              f"{s['residents']:,}, registered {s['registered']:,} (ratio {s['ratio']:.2f})")
        for r in f.head(args.top).itertuples():
            print(f"  {r.code}  {r.name}  {r.pcn}  {int(round(r.population)):,}")
        return 0
    table = practices.split_pcns() if args.split else practices.pcn_table()
    full = practices.pcn_table()
    print(f"{len(full):,} PCNs in {engine.region}: {int(full['in_range'].sum()):,} within 30,000-50,000, "
          f"median list {int(full['list_size'].median()):,}; {int((full['places'] > 1).sum()):,} with practices "
          "in more than one place")
    for r in table.head(args.top).itertuples():
        print(f"  {r.pcn}  {r.pcn_name}: {r.practices} practice(s), {r.list_size:,} "
              f"[{'in range' if r.in_range else 'out of range'}], places: {r.place_names}")
    return 0
