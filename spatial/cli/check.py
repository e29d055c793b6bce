"""``python -m spatial check SCENARIO``: check a scenario against the thresholds.

SCENARIO is a scenario JSON file, an assignment CSV (``unit_code,footprint``;
``--level`` says the footprints' level) or the id or name of a preloaded
scenario (``python -m spatial scenarios`` lists them).
"""

from __future__ import annotations

from ._geo import load_engine

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from boundaries.errors import FootprintsError

from ..errors import ScenarioError
from ..footprints import Scenario
from ..thresholds import LEVEL_LABELS, ALL_LEVELS, LEVELS

__all__ = ["register", "run", "read_scenario", "format_report", "attach_care_flows"]


def register(subparsers: Any) -> None:
    """Add the ``check`` command."""
    p = subparsers.add_parser(
        "check", help="check a scenario file, assignment CSV or preloaded scenario",
        description="Check every footprint of a scenario: population, boroughs, contiguity, nesting, "
                    "coterminosity and (when a care-flow model is available) care-flow containment.")
    p.add_argument("scenario", metavar="SCENARIO",
                   help="scenario .json file, assignment .csv file, or a preloaded scenario id/name")
    p.add_argument("--year", type=int, default=None, help="population year (overrides the scenario's year)")
    p.add_argument("--level", choices=ALL_LEVELS, default="multi_borough",
                   help="level of the footprints of an assignment CSV without a level column "
                        "(default multi_borough)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--profile", action="store_true",
                   help="also show who lives in each footprint: age bands, 65+/75+, IMD 2019 deciles, Core20 "
                        "share and gap (JSON: a 'profile' field per footprint)")
    p.add_argument("--no-care-flows", action="store_true",
                   help="do not load the care-flow model (the care_flow rule is then not measured)")
    p.add_argument("--save-as", default=None, metavar="FILE.json",
                   help="also save the scenario read (e.g. from an assignment CSV) as a scenario file")
    p.add_argument("--overwrite", action="store_true",
                   help="with --save-as: replace the file even when it holds another scenario")
    p.set_defaults(func=run)


def read_scenario(spec: str, index, *, level: str = "multi_borough") -> Scenario:
    """A scenario from a JSON path, an assignment CSV path or a preloaded id/name.

    Raises
    ------
    ScenarioError
        For a path that does not exist (and is no preloaded scenario), and
        every error of the readers.
    """
    from ..preloaded import UnknownPreloadedError, load_preloaded
    from ..io import assignment_from_csv, load_scenario, validate_members

    path = Path(spec)
    if path.is_file():
        if path.suffix.lower() in (".csv", ".tsv", ".txt"):
            return assignment_from_csv(path, index=index, level=level)
        scenario = load_scenario(path)
        from ..geography import check_scenario_geography

        check_scenario_geography(scenario, index.geo.geography, where=str(path), path=str(path))
        validate_members(scenario, index, where=str(path))
        return scenario
    try:
        return load_preloaded(spec, geo=index.geo)
    except UnknownPreloadedError as exc:
        if path.suffix.lower() in (".json", ".csv") or "/" in spec or "\\" in spec or path.exists():
            raise ScenarioError("no such scenario file", where=spec,
                                fix="check the path, or give a preloaded scenario id "
                                    "(python -m spatial scenarios lists them)") from exc
        raise


def attach_care_flows(engine):
    """``engine`` with the care-flow model (:class:`spatial.careflows.CareFlows`), and a note.

    Returns ``(new_engine, None)`` when the model loaded, else ``(engine, note)``
    with a note for the user saying why the ``care_flow`` rule is not measured
    (e.g. the flows file is missing); the check then runs without that verdict.
    """
    from ..careflows import CareFlows

    try:
        return engine.with_flows(CareFlows.load(engine.geo)), None
    except FootprintsError as exc:
        return engine, f"care flows not loaded ({exc}); the care_flow rule is not measured"


def _wrap(text: str, width: int, indent: str) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=indent + "  ") or [indent]


def format_report(report) -> str:
    """The readable text table of a :class:`~spatial.checks.ScenarioReport`."""
    s = report.scenario
    lines = [f"Scenario: {s.name}  (population year {s.year})"]
    if s.source:
        lines += _wrap(f"Source: {s.source}", 100, "")
    lines.append("")
    w = max([len("footprint")] + [len(r.name) for r in report.footprints])
    head = f"{'footprint':<{w}}  {'level':<20}  {'population':>10}  {'boroughs':>8}  verdict"
    lines += [head, "-" * len(head)]
    for r in report.footprints:
        label = "pathway partnership" if r.kind == "pathway" else LEVEL_LABELS[r.level]
        lines.append(f"{r.name:<{w}}  {label:<20}  {r.population:>10,}  {len(r.boroughs):>8}  "
                     f"{'PASS' if r.passed else 'FAIL'}")
        for c in r.failures():
            lines += _wrap(f"- {c.rule}: {c.reason}", 100, " " * 4)
        if r.kind == "pathway":  # what a pathway partnership reports instead of failing
            lines += _wrap(f"- nesting: {r.check('nesting').reason}", 100, " " * 4)
    lines.append("")
    n_fail = sum(not r.passed for r in report.footprints)
    lines.append(f"{len(report.footprints) - n_fail} of {len(report.footprints)} footprint(s) pass; {n_fail} fail.")
    for level, cov in report.coverage.items():
        label = LEVEL_LABELS[level]
        if cov["complete"]:
            lines.append(f"Coverage at {label} level: complete (every unit in exactly one footprint).")
            continue
        parts = []
        if cov["units_unassigned"]:
            parts.append(f"{cov['units_unassigned']:,} unit(s) ({cov['population_unassigned']:,} residents) in no "
                         f"footprint")
        if cov["units_in_two_or_more"]:
            parts.append(f"{cov['units_in_two_or_more']:,} unit(s) in two or more")
        lines.append(f"Coverage at {label} level: " + "; ".join(parts) + ".")
    if not any(c.rule == "care_flow" and c.passed is not None for r in report.footprints for c in r.checks):
        lines.append("Care flows: not measured (no care-flow model loaded).")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run ``check``: exit 0 when the check ran (whatever the verdicts)."""
    from ..api import Engine

    engine = load_engine(args)
    scenario = read_scenario(args.scenario, engine.index, level=args.level)
    if args.year is not None:
        scenario = scenario.with_year(args.year)
    engine, note = (engine, None) if args.no_care_flows else attach_care_flows(engine)
    report = engine.check(scenario)
    profiles = None
    if getattr(args, "profile", False):
        from ._profile import report_profiles

        profiles = report_profiles(report, engine.for_year(scenario.year).index)
    if args.json:
        out = report.to_dict()
        if profiles is not None:
            for fp in out["footprints"]:
                fp["profile"] = profiles[fp["name"]].to_dict()
        print(json.dumps(out, indent=2, ensure_ascii=False, default=_jsonable))
    else:
        print(format_report(report))
        if profiles is not None:
            from ._profile import format_profiles

            print(format_profiles(report, profiles))
    if note:
        print(f"note: {note}", file=sys.stderr)
    if args.save_as:
        from ..errors import ScenarioExistsError
        from ..io import save_scenario

        try:
            path = save_scenario(scenario, args.save_as, overwrite=args.overwrite)
        except ScenarioExistsError as exc:
            raise ScenarioExistsError(exc.message, where=exc.where,
                                      fix=f"{exc.fix}: pass --overwrite, or another --save-as file") from exc
        print(f"saved: {path}", file=sys.stderr)
    return 0


def _jsonable(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
