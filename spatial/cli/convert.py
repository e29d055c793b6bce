"""``python -m spatial convert SCENARIO --to 2024``: a scenario in the other geography.

Units map through the ONS LSOA 2011 -> 2021 lookup (``spatial.convert``);
the report says which units were split or merged across each footprint's
edge and how each footprint's population changed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``convert`` command."""
    p = subparsers.add_parser("convert", help="convert a scenario between the 2018 and 2024 geographies",
                              description="Convert a scenario file or preloaded scenario to the other geography "
                                          "through the ONS LSOA 2011 -> 2021 lookup; report what moved.")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario .json file or preloaded scenario id")
    p.add_argument("--to", required=True, choices=("2018", "2024"), help="target geography")
    p.add_argument("-o", "--output", default=None, help="write the converted scenario here (atomic)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..api import Engine
    from ..convert import convert_scenario
    from ..preloaded import load_preloaded
    from ..io import load_scenario, save_scenario

    path = Path(args.scenario)
    scenario = load_scenario(path) if path.is_file() else None
    src_geography = scenario.geography if scenario else ("2024" if args.to == "2018" else "2018")
    region = scenario.region if scenario else (args.region or "london")
    source = Engine.load(region, geography=src_geography)
    if scenario is None:
        scenario = load_preloaded(args.scenario, geo=source.geo)
    target = Engine.load(region, geography=args.to)
    report = convert_scenario(scenario, args.to, source=source.for_year(scenario.year).index, target=target.index)
    if args.output:
        save_scenario(report.scenario, args.output)
    if args.json:
        print(json.dumps({"scenario": json.loads(__import__("spatial.io", fromlist=["dumps"]).dumps(report.scenario)),
                          "changes": [c.to_dict() for c in report.changes], "notes": report.notes},
                         indent=1, ensure_ascii=False))
    else:
        print("\n".join(report.lines()))
        if args.output:
            print(f"saved {args.output}")
    return 0
