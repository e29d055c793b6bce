"""``python -m spatial scenarios``: list the preloaded scenarios; export / import the scenario store.

``python -m spatial scenarios export FOLDER`` writes every scenario and version
in the store (``FOOTPRINTS_DB`` or ``--db``) to a folder of scenario JSON files
with a manifest; ``python -m spatial scenarios import FOLDER`` reads such a
folder back (with history), or any folder of scenario files (each version 1).
"""

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
    p.add_argument("action", nargs="?", choices=["list", "export", "import"], default="list",
                   help="list the preloaded scenarios (default), or export / import the scenario store")
    p.add_argument("folder", nargs="?", help="folder of scenario JSON files (export / import)")
    p.add_argument("--db", help="store database URL or SQLite file (default: FOOTPRINTS_DB, else "
                                "footprints.db in the user data folder)")
    p.add_argument("--author", default="import", help="author recorded for imported plain files")
    p.add_argument("--json", action="store_true", help="print a JSON list of {id, name, description}")
    p.set_defaults(func=run)


def _store_command(args: argparse.Namespace) -> int:
    import sys

    from ..store import open_store

    if not args.folder:
        print(f"error: `scenarios {args.action}` needs a FOLDER", file=sys.stderr)
        return 2
    store = open_store(args.db)
    try:
        if args.action == "export":
            n = store.export_folder(args.folder)
            print(f"wrote {n} file(s) to {args.folder} from {store.where}")
            return 0
        done, problems = store.import_folder(args.folder, author=args.author)
        for p in problems:
            print(f"skipped: {p}", file=sys.stderr)
        print(f"imported {len(done)} scenario(s) into {store.where}" +
              (f"; {len(problems)} file(s) not imported" if problems else ""))
        return 2 if problems and not done else 0
    finally:
        store.close()


def run(args: argparse.Namespace) -> int:
    """Print the preloaded scenarios, or export / import the store."""
    if args.action in ("export", "import"):
        return _store_command(args)
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
