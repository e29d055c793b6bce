"""Command line: ``python -m boundaries status|fetch|clear-cache``."""

from __future__ import annotations

import argparse
import json
import os
import sys

from .config import settings
from .errors import FootprintsError

__all__ = ["main"]


def _bar(label: str, done: int, total: int | None) -> None:
    if total:
        frac = done / total
        filled = int(frac * 30)
        sys.stderr.write(f"\r{label:28.28} [{'#' * filled}{'.' * (30 - filled)}] {frac:6.1%}")
    else:
        sys.stderr.write(f"\r{label:28.28} {done / 1e6:8.1f} MB")
    sys.stderr.flush()


def _status(args) -> int:
    from .status import all_status, layer_status

    config = settings()
    datasets = all_status(config)
    layers = layer_status(args.region, config)
    if args.json:
        print(json.dumps({
            "data_dir": str(config.data_dir), "data_source": config.data_source, "region": args.region,
            "datasets": [d.to_dict() for d in datasets], "layers": [d.to_dict() for d in layers],
        }, indent=1))
    else:
        print(f"Data directory: {config.data_dir} ({config.data_source})")
        print(f"{'dataset':28} {'records':>8}  {'crs':10} {'year':4}  status")
        for d in datasets:
            rec = f"{d.records:,}" if d.records is not None else "-"
            print(f"{d.id:28} {rec:>8}  {d.crs:10} {d.year or '':4}  {'OK' if d.ok else 'PROBLEM: ' + d.problem}")
            for note in d.notes:
                print(f"{'':30}note: {note}")
        print(f"\nLayers ({args.region}):")
        for d in layers:
            rec = f"{d.records:,}" if d.records is not None else "-"
            print(f"{d.id:28} {rec:>8}  {'OK' if d.ok else 'PROBLEM: ' + d.problem}  {d.source}")
            for note in d.notes:
                print(f"{'':30}note: {note}")
        print("\nLicence: Open Government Licence v3.0. Source: Office for National Statistics, GLA, "
              "PHE/OHID, NHS Digital. Contains OS data © Crown copyright and database right 2011–2022.")
    return 0 if all(d.ok for d in datasets + layers) else 1


def _fetch(args) -> int:
    from .download import fetch

    config = settings()
    dest = config.data_dir if config.data_source != "mirror" else config.download_dir
    base = args.base_url or os.environ.get("FOOTPRINTS_MIRROR_URL")
    results = fetch(args.ids or None, dest, base_url=base,
                    progress=lambda ds_id, done, total: _bar(ds_id, done, total))
    sys.stderr.write("\n")
    for ds_id, outcome in results:
        print(f"{ds_id:28} {outcome}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (2 for bad input)."""
    parser = argparse.ArgumentParser(prog="python -m boundaries", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    st = sub.add_parser("status", help="list every dataset and layer, with OK or the problem")
    st.add_argument("--json", action="store_true")
    st.add_argument("--region", default="london")
    fe = sub.add_parser("fetch", help="download missing datasets from the publishers (or a mirror URL)")
    fe.add_argument("ids", nargs="*", help="dataset ids (default: all missing)")
    fe.add_argument("--base-url", help="base URL of a mirror of the data directory (or FOOTPRINTS_MIRROR_URL)")
    sub.add_parser("clear-cache", help="delete the processed cache")
    args = parser.parse_args(argv)
    import warnings

    def show(message, *a, **k) -> None:
        print(f"warning: {message}", file=sys.stderr)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = show
            return _run(args)
    except (FootprintsError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run(args) -> int:
    if args.command == "status":
        return _status(args)
    if args.command == "fetch":
        return _fetch(args)
    from .cache import clear_cache

    print(f"removed {clear_cache()} processed cache folder(s)")
    return 0
