"""Command line for analysts: ``python -m spatial <command>``.

Each command lives in its own module with a ``register(subparsers)`` function
that adds its parser and sets ``func``.  Exit codes: 0 when the command ran
(whatever the verdicts), 2 for bad input, with the error on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

from boundaries.errors import FootprintsError

__all__ = ["main", "COMMAND_MODULES"]

#: Modules under ``spatial.cli`` that each register one command.
COMMAND_MODULES: list[str] = ["check", "scenarios", "overlap", "flows", "propose"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered command."""
    parser = argparse.ArgumentParser(prog="python -m spatial", description="Footprints engine: check, overlap, "
                                     "care flows and proposals for health and care footprints.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"spatial.cli.{name}").register(sub)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one ``warning: ...`` line on stderr (no source line)."""
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return int(args.func(args) or 0)
    except (FootprintsError, KeyError, ValueError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {msg}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error of ours.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
