"""``python -m spatial scenarios``: list the preloaded scenarios."""

from __future__ import annotations

import argparse
import json
import textwrap
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``scenarios`` command."""
    p = subparsers.add_parser("scenarios", help="list the preloaded scenarios",
                              description="List the preloaded scenarios (named partnerships from the 2018 "
                                          "London papers) that `check` accepts by id or name.")
    p.add_argument("--json", action="store_true", help="print a JSON list of {id, name, description}")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the preloaded scenarios."""
    from ..preloaded import list_preloaded

    items = list_preloaded()
    if args.json:
        print(json.dumps([{"id": i, "name": n, "description": d} for i, n, d in items], indent=2,
                         ensure_ascii=False))
        return 0
    w = max(len(i) for i, _, _ in items)
    for sid, name, desc in items:
        print(f"{sid:<{w}}  {name}")
        for line in textwrap.wrap(desc, width=96):
            print(" " * (w + 2) + line)
    print(f"\n{len(items)} preloaded scenario(s). Check one with: python -m spatial check <id>")
    return 0
