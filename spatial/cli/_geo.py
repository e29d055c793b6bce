"""``--region`` and ``--geography`` for every command, and the engine they choose."""

from __future__ import annotations

import argparse
from typing import Any

from boundaries.config import DEFAULT_GEOGRAPHY, GEOGRAPHIES

__all__ = ["add_geography_arguments", "load_engine"]

REGION_HELP = ("london (default), england, an NHS region (code such as Y56, or name), or an ICB/STP "
               "(E54 code, NHS code such as QMF, or name)")


def add_geography_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--region`` and ``--geography`` (defaults London, 2018, unless the command set another) to ``parser``."""
    have = {a.dest for a in parser._actions}
    if "region" not in have:
        parser.add_argument("--region", default="london", help=REGION_HELP)
    if "geography" not in have:
        # a command may default to 2024 (clusters, pcns) through set_defaults(geography=...)
        parser.add_argument("--geography", choices=GEOGRAPHIES, default=parser._defaults.get("geography", DEFAULT_GEOGRAPHY),
                            help="boundary vintage: 2018 (LSOA 2011, CCGs, STPs; default) or 2024 "
                                 "(LSOA 2021, sub-ICB locations, ICBs, upper-tier councils)")


def load_engine(args: Any, **kwargs: Any):
    """The engine for ``args.region`` and ``args.geography`` (London 2018 when absent)."""
    from ..api import Engine

    return Engine.load(getattr(args, "region", "london") or "london",
                       geography=getattr(args, "geography", DEFAULT_GEOGRAPHY) or DEFAULT_GEOGRAPHY, **kwargs)
