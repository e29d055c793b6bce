"""``python -m spatial propose``: automatic multi-borough systems, STP partitions and localities.

Three sub-commands (see :mod:`spatial.proposals` and ``docs/PROPOSALS.md``):

``propose systems [--stp NAME] [--cross-stp] [--json]``
    Every contiguous set of 2–4 boroughs (within one STP by default), checked
    with the engine's rules and ranked.  ``--json`` prints a list of systems,
    each with ``boroughs`` (codes), ``population``, ``passed`` and ``checks``
    shaped as in ``python -m spatial check --json``.
``propose partitions STP [--json]``
    Every way to split an STP's boroughs into valid systems (exact search).
``propose localities AREA [AREA ...] [--seed N] [--count N] [--json]``
    Contiguous 30–70k localities of a borough (or of each borough of an STP,
    or of a list of unit/MSOA codes) with PySAL spopt max-p; ``--count N``
    makes exactly N balanced localities per borough instead (e.g. NCL's
    "two CHINs per borough"), compared with the papers' range.

Bad input (an unknown borough or STP, a range no split can meet, areas in
separate pieces) exits 2 with the typed error's message on stderr; nothing
is written.
"""

from __future__ import annotations

from ._geo import load_engine

import argparse
import json
import sys
from typing import Any

from ..limits import PARTITIONS_SHOWN
from .check import _jsonable, attach_care_flows
from .options import whole_number

__all__ = ["register", "run_systems", "run_partitions", "run_localities", "format_systems",
           "format_partitions", "format_localities"]


def register(subparsers: Any) -> None:
    """Add the ``propose`` command and its sub-commands."""
    p = subparsers.add_parser(
        "propose", help="propose multi-borough systems, STP partitions or localities automatically",
        description="Automatic proposals from the real boundaries and populations, checked with the same "
                    "rules as `check`.")
    sub = p.add_subparsers(dest="what", required=True)

    s = sub.add_parser("systems", help="every contiguous set of 2-4 boroughs, checked and ranked",
                       description="Enumerate every contiguous set of 2-4 boroughs (borough rook contiguity), "
                                   "check each with the engine's rules and rank them.")
    s.add_argument("--stp", default=None, metavar="NAME",
                   help="code, name or initials of one STP (e.g. 'South West London', SWL, E54000031); "
                        "all STPs by default")
    s.add_argument("--cross-stp", action="store_true",
                   help="also sets whose boroughs lie in different STPs (they fail the nesting rule)")
    _common(s)
    s.add_argument("--weights", default=None, metavar="SPEC",
                   help="ranking weights, e.g. containment=0.4,balance=0.2,inside_stp=0.2,compactness=0.2")
    s.add_argument("--passed-only", action="store_true", help="list only the systems that pass every rule")
    s.add_argument("--limit", type=whole_number(1, 10), default=None, metavar="N", help="text output: show the best N (default all)")
    s.set_defaults(func=run_systems)

    q = sub.add_parser("partitions", help="every way to split one STP's boroughs into valid systems",
                       description="Exact search over every split of an STP's boroughs into contiguous "
                                   "systems of 2-4 boroughs, best first, each explained in words.")
    q.add_argument("stp", metavar="STP", help="code, name or initials of the STP")
    _common(q)
    q.add_argument("--weights", default=None, metavar="SPEC", help="ranking weights, as for `systems`")
    q.add_argument("--limit", type=whole_number(1, 10), default=PARTITIONS_SHOWN, metavar="N",
                   help=f"show the best N partitions (default {PARTITIONS_SHOWN})")
    q.set_defaults(func=run_partitions)

    loc = sub.add_parser("localities", help="split a borough into contiguous 30-70k localities (spopt max-p)",
                         description="Split a borough (or each borough of an STP) into contiguous localities "
                                     "within the population range, with PySAL spopt max-p regions.")
    loc.add_argument("area", nargs="+", metavar="BOROUGH",
                     help="a borough (or STP) code or name; or several unit/MSOA codes to split together")
    loc.add_argument("--seed", type=whole_number(0, 0), default=0, help="random seed (same seed, same localities; default 0)")
    loc.add_argument("--on", choices=("unit", "msoa", "ward"), default="unit",
                     help="building blocks: units (LSOAs, default), MSOAs (respects MSOA boundaries) or "
                          "wards (2017 wards built from LSOAs by the ONS best-fit lookup)")
    loc.add_argument("--min", dest="low", type=int, default=None, metavar="N",
                     help="smallest locality population (default thresholds.locality_min, 30,000)")
    loc.add_argument("--max", dest="high", type=int, default=None, metavar="N",
                     help="largest locality population (default thresholds.locality_max, 70,000)")
    loc.add_argument("--count", type=int, default=None, metavar="N",
                     help="exactly N contiguous localities per borough, as balanced in population as the data "
                          "allows (max-p with a count constraint); the range is then checked, not aimed at")
    loc.add_argument("--need", type=float, default=0.0, metavar="KM",
                     help="localities that respect need: each block's Core20 share (IMD 2019) x KM joins its "
                          "centroid as a max-p attribute, keeping deprived areas together (default 0: off)")
    loc.add_argument("--year", type=int, default=None, help="population year")
    loc.add_argument("--json", action="store_true", help="print the localities as JSON")
    loc.set_defaults(func=run_localities)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--year", type=int, default=None, help="population year")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--no-care-flows", action="store_true",
                   help="do not load the care-flow model (containment is then not measured)")


def _engine(args: argparse.Namespace, *, flows: bool):
    from ..api import Engine

    engine = load_engine(args)
    engine, note = attach_care_flows(engine) if flows else (engine, None)
    if args.year is not None:
        engine = engine.for_year(args.year)
    return engine, note


def _dump(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=_jsonable))


# --- systems ---------------------------------------------------------------------------------------

def format_systems(table, *, limit: int | None = None, passed_only: bool = False) -> str:
    """The readable table of a :class:`~spatial.proposals.SystemsTable`."""
    rows = table.valid() if passed_only else table.systems
    shown = rows if limit is None else rows[:limit]
    lines = [table.summary(), ""]
    if not shown:
        lines.append("No system to show.")
        return "\n".join(lines)
    w = max(len("system"), *(len(s.name) for s in shown))
    head = f"{'rank':>4}  {'system':<{w}}  {'population':>10}  {'score':>5}  verdict"
    lines += [head, "-" * len(head)]
    for s in shown:
        lines.append(f"{s.rank:>4}  {s.name:<{w}}  {s.population:>10,}  {s.score:>5.3f}  "
                     f"{'PASS' if s.passed else 'FAIL'}")
        for c in s.failures():
            lines.append(f"        - {c.rule}: {c.reason}")
    if len(shown) < len(rows):
        lines.append(f"... and {len(rows) - len(shown):,} more (use --limit or --json)")
    return "\n".join(lines)


def run_systems(args: argparse.Namespace) -> int:
    """Run ``propose systems``."""
    from ..proposals import RankWeights, propose_systems

    weights = RankWeights.parse(args.weights) if args.weights else RankWeights()
    engine, note = _engine(args, flows=not args.no_care_flows)
    table = propose_systems(engine.index, stp=args.stp, cross_stp=args.cross_stp, flows=engine.flows,
                            weights=weights)
    if args.json:
        _dump([s.to_dict() for s in (table.valid() if args.passed_only else table.systems)])
    else:
        print(format_systems(table, limit=args.limit, passed_only=args.passed_only))
    if note:
        print(f"note: {note}", file=sys.stderr)
    return 0


# --- partitions ------------------------------------------------------------------------------------

def format_partitions(search, *, limit: int | None = None) -> str:
    """The readable list of a :class:`~spatial.proposals.PartitionSearch`."""
    lines = [search.summary(), ""]
    for p in search.partitions[:limit]:
        lines.append(f"{p.rank:>3}. {'PASS' if p.passed else 'FAIL'}  {p.explain(search.weights)}")
    return "\n".join(lines)


def run_partitions(args: argparse.Namespace) -> int:
    """Run ``propose partitions``."""
    from ..proposals import RankWeights, propose_partitions

    weights = RankWeights.parse(args.weights) if args.weights else RankWeights()
    from ..proposals import resolve_stp
    from ..api import Engine

    # resolve the STP before loading the care flows, so a typo fails fast
    engine = load_engine(args)
    resolve_stp(engine.index, args.stp)
    engine, note = (engine, None) if args.no_care_flows else attach_care_flows(engine)
    if args.year is not None:
        engine = engine.for_year(args.year)
    search = propose_partitions(engine.index, args.stp, flows=engine.flows, weights=weights, limit=None)
    if args.json:
        data = search.to_dict()
        data["partitions"] = data["partitions"][:args.limit] if args.limit else data["partitions"]
        _dump(data)
    else:
        print(format_partitions(search, limit=args.limit))
    if note:
        print(f"note: {note}", file=sys.stderr)
    return 0


# --- localities ------------------------------------------------------------------------------------

def format_localities(proposal) -> str:
    """The readable table of a :class:`~spatial.proposals.LocalityProposal`."""
    lines = [proposal.summary(), ""]
    w = max(len("locality"), *(len(loc.name) for loc in proposal.localities))
    head = f"{'locality':<{w}}  {'population':>10}  {'units':>5}  in range"
    lines += [head, "-" * len(head)]
    for loc in proposal.localities:
        lines.append(f"{loc.name:<{w}}  {loc.population:>10,}  {loc.n_units:>5}  "
                     f"{'yes' if loc.within_range else 'NO: ' + loc.reason}")
    comparison = proposal.comparison()
    if comparison:
        lines += ["", "Compared with the 2018 papers:"] + [f"- {line}" for line in comparison]
    lines += ["", f"Method: {proposal.method}"]
    return "\n".join(lines)


def run_localities(args: argparse.Namespace) -> int:
    """Run ``propose localities``."""
    from ..api import Engine
    from ..proposals import propose_localities
    from ..thresholds import Thresholds

    keys = ("neighbourhood_min", "neighbourhood_max") if getattr(args, "geography", "2018") == "2024" else \
        ("locality_min", "locality_max")
    changes = {k: v for k, v in zip(keys, (args.low, args.high)) if v is not None}
    t = Thresholds().replace(**changes) if changes else Thresholds()
    engine = load_engine(args)
    if args.year is not None:
        engine = engine.for_year(args.year)
    area = args.area[0] if len(args.area) == 1 else list(args.area)
    proposal = propose_localities(engine.index, area, on=args.on, thresholds=t, seed=args.seed,
                                  count=getattr(args, "count", None), need=getattr(args, "need", 0.0))
    if args.json:
        _dump(proposal.to_dict())
    else:
        print(format_localities(proposal))
    return 0
