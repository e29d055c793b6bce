"""Command line: ``python -m boundaries status|fetch|bundle|clear-cache``."""

from __future__ import annotations

from typing import Callable

import argparse
import json
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

    from .bundle import BUNDLED
    from .registry import get_region

    config = settings()
    datasets = all_status(config)
    layers = layer_status(args.region, config)
    # The exit code is about the region asked for: London needs its datasets (all in the bundle),
    # England also the England-wide ones (`fetch --region england`).
    needed = set(get_region(args.region).datasets()) | (set(BUNDLED) if args.region == "london" else set())
    if args.json:
        print(json.dumps({
            "data_dir": str(config.data_dir), "data_source": config.data_source, "region": args.region,
            "bundle_dir": str(config.bundle_dir) if config.bundle_dir else None,
            "datasets": [d.to_dict() | {"needed": d.id in needed} for d in datasets],
            "layers": [d.to_dict() for d in layers],
        }, indent=1))
    else:
        print(f"Data directory: {config.data_dir} ({config.data_source})"
              + (f"; embedded bundle: {config.bundle_dir}" if config.bundle_dir else ""))
        print(f"{'dataset':28} {'records':>8}  {'crs':10} {'year':4}  {'from':8}  status")
        for d in datasets:
            rec = f"{d.records:,}" if d.records is not None else "-"
            if d.ok:
                state = "OK"
            elif d.id in needed:
                state = "PROBLEM: " + d.problem
            elif d.records is None and "file not found" in d.problem:
                state = f"not fetched (not needed for {args.region}; `python -m boundaries fetch --region england`)"
            else:
                state = f"PROBLEM (not needed for {args.region}): " + d.problem
            print(f"{d.id:28} {rec:>8}  {d.crs:10} {d.year or '':4}  {d.source:8}  {state}")
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
    return 0 if all(d.ok for d in datasets + layers if d.kind == "layer" or d.id in needed) else 1


def _fetch(args) -> int:
    from .download import fetch

    from .registry import REGISTRY, get_dataset, get_region

    config = settings()
    dest = config.data_dir if config.data_source != "mirror" else config.download_dir
    base = args.base_url or config.mirror_url
    ids = list(args.ids)
    if args.region:
        ids += get_region(args.region).datasets()
        if args.region == "england":  # and every other pinned dataset that is not London's alone
            ids += [d.id for d in REGISTRY.values() if d.download_url and not d.path.startswith("london/")]
    from .bundle import bundled_file

    ids = list(dict.fromkeys(ids or REGISTRY))
    # Without a mirror, a file built from several sources has no pinned address: the bundle has it.
    from .download import downloadable

    in_bundle = [] if base else [i for i in ids if not downloadable(get_dataset(i)) and config.bundle_dir
                                 and bundled_file(i, config.bundle_dir) is not None]
    wanted = [i for i in ids if i not in in_bundle]
    results = fetch(wanted, dest, base_url=base, pinned_base=config.pinned_url,
                    progress=lambda ds_id, done, total: _bar(ds_id, done, total)) if wanted else []
    sys.stderr.write("\n")
    for ds_id, outcome in results:
        print(f"{ds_id:28} {outcome}")
    for ds_id in in_bundle:
        print(f"{ds_id:28} in the embedded bundle (no pinned source this program can download and convert)")
    return 0


def _bundle(args) -> int:
    from pathlib import Path

    from .bundle import build_bundle, check_bundle
    from .config import BUNDLE_DIR

    config = settings()
    source = Path(args.source) if args.source else config.data_dir
    out = Path(args.out) if args.out else BUNDLE_DIR
    if args.check:
        problems = check_bundle(source, out)
        for line in problems:
            print(f"differs: {line}")
        print("bundle reproduced byte for byte" if not problems else f"{len(problems)} difference(s)")
        return 0 if not problems else 1
    meta = build_bundle(source, out)
    total = sum(e["bytes"] for e in meta["files"].values())
    for ds_id, e in meta["files"].items():
        print(f"{e['file']:40} {e['bytes']:>10,} bytes  {e['records']:>7,} records  {e['sha256'][:16]}")
    print(f"{len(meta['files'])} files, {total / 1e6:.1f} MB in {out}")
    return 0


def run(main: Callable[[], int]) -> None:
    """Run a command-line ``main`` and exit with its code; Ctrl-C is one line and exit 130 (128 + SIGINT)."""
    try:
        code = main()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted (Ctrl-C); nothing was written half-way\n")
        code = 130
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading: not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at interpreter exit
        code = 0
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (2 for bad input)."""
    parser = argparse.ArgumentParser(prog="python -m boundaries", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    st = sub.add_parser("status", help="list every dataset and layer, with OK or the problem")
    st.add_argument("--json", action="store_true")
    st.add_argument("--region", default="london")
    fe = sub.add_parser("fetch", help="download missing datasets from their pinned addresses (or a mirror URL)")
    fe.add_argument("ids", nargs="*", help="dataset ids (default: every registry dataset that is missing)")
    fe.add_argument("--region", choices=["london", "england"],
                    help="fetch every dataset the region reads (London runs from the bundle without it)")
    fe.add_argument("--base-url", help="base URL of a mirror of the data directory (or FOOTPRINTS_MIRROR_URL)")
    bu = sub.add_parser("bundle", help="build the embedded London bundle in data/ from the original files")
    bu.add_argument("--source", help="data directory to build from (default: the one in use)")
    bu.add_argument("--out", help="folder to write (default: the repository's data/)")
    bu.add_argument("--check", action="store_true",
                    help="rebuild into a temporary folder and compare with the committed bundle")
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
    if args.command == "bundle":
        return _bundle(args)
    from .cache import clear_cache

    print(f"removed {clear_cache()} processed cache folder(s)")
    return 0
