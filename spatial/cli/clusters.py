"""``python -m spatial clusters``: ICB clusters, checked and ranked (2024 geography).

``python -m spatial clusters --region england --geography 2024`` lists every
contiguous cluster of 2-4 ICBs, best first; ``clusters QMF QMJ`` checks one
(population, councils wholly inside, containment) in full.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ._geo import load_engine

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``clusters`` command."""
    p = subparsers.add_parser(
        "clusters", help="ICB clusters (2024): every contiguous 2-4-ICB cluster ranked, or one checked",
        description="Check and rank ICB clusters: population floor, every upper-tier council wholly inside, "
                    "and care-flow containment. Needs --geography 2024.")
    p.add_argument("icbs", nargs="*", metavar="ICB", help="ICBs of one cluster to check (codes, NHS codes or names)")
    p.add_argument("--floor", type=int, default=None, help="population floor (default 1,000,000)")
    p.add_argument("--max-icbs", type=int, default=None, help="largest cluster (default 4)")
    p.add_argument("--top", type=int, default=20, help="rows to show (default 20)")
    p.add_argument("--passed-only", action="store_true", help="only the clusters that pass every rule")
    p.add_argument("--no-care-flows", action="store_true", help="do not measure containment")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run, geography="2024")


def run(args: argparse.Namespace) -> int:
    from ..checks import check_footprint
    from ..clusters import cluster_table
    from ..footprints import Footprint
    from ..thresholds import Thresholds
    from .check import attach_care_flows, format_report

    engine = load_engine(args)
    changes = {}
    if args.floor is not None:
        changes["cluster_min_population"] = args.floor
    if args.max_icbs is not None:
        changes["cluster_max_icbs"] = args.max_icbs
    t = Thresholds().replace(**changes)
    engine, note = (engine, None) if args.no_care_flows else attach_care_flows(engine)
    if args.icbs:
        fp = Footprint(" + ".join(args.icbs), "icb_cluster", tuple(args.icbs))
        report = check_footprint(fp, engine.index, thresholds=t, flows=engine.flows)
        if args.json:
            print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str))
        else:
            print(f"ICB cluster in {engine.region} ({engine.geography} geography, Census {engine.year}):")
            for r in report.checks:
                mark = {True: "PASS", False: "FAIL", None: "info"}[r.passed]
                print(f"  {mark:4}  {r.rule:22} {r.reason}")
        if note:
            print(f"note: {note}")
        return 0
    table = cluster_table(engine.index, thresholds=t, flows=engine.flows)
    frame = table.frame[table.frame["passed"]] if args.passed_only else table.frame
    if args.json:
        print(frame.head(args.top).to_json(orient="records", indent=1))
        return 0
    print(f"{'; '.join(table.notes)}; floor {t.cluster_min_population:,}; {int(table.frame['passed'].sum()):,} pass "
          "every rule")
    for row in frame.head(args.top).itertuples():
        cont = "n/a" if row.containment != row.containment else f"{100 * row.containment:.1f}%"
        split = f" split: {row.councils_split}" if row.councils_split else ""
        supply = "" if row.supply_2022 != row.supply_2022 else f", supply side {100 * row.supply_2022:.1f}%"
        print(f"{row.Index + 1:>4}. {row.names} ({row.icbs}): {row.population:,} people "
              f"[{'ok' if row.population_ok else 'below floor'}], {row.councils} councils "
              f"[{'all inside' if row.councils_ok else 'split'}]{split}, containment {cont} "
              f"[{'ok' if row.containment_ok else 'below'}]{supply}")
    if note:
        print(f"note: {note}")
    return 0
