"""``python -m spatial flows TARGET``: care-flow containment, self-sufficiency and destinations.

TARGET is a borough, CCG or STP code or name, a comma-separated member list
(units, MSOAs, boroughs, CCGs, STPs; ``--level`` says the footprint's level
when it cannot be told from the members), a scenario JSON file, an
assignment CSV or a preloaded scenario id.  ``--trusts`` lists the trusts
instead.  Method: ``docs/CARE_FLOWS.md``.
"""

from __future__ import annotations

from ._geo import load_engine

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from boundaries.flows import flow_years

from ..errors import ScenarioError
from .check import _jsonable
from .options import regular_file, whole_number
from ..footprints import Footprint, Scenario
from ..thresholds import ALL_LEVELS, LEVELS

__all__ = ["register", "run", "footprint_from_members", "infer_level"]


def register(subparsers: Any) -> None:
    """Add the ``flows`` command."""
    years = flow_years()
    p = subparsers.add_parser(
        "flows", help="care-flow containment of a footprint or scenario",
        description="Where a footprint's residents go to hospital (PHE trust catchments): containment by its "
                    "core providers (the 70% test), self-sufficiency, the core providers' catchment "
                    "population and the top destinations.")
    p.add_argument("target", nargs="?", metavar="FOOTPRINT_OR_SCENARIO",
                   help="borough/CCG/STP code or name, comma-separated member list, scenario file, "
                        "assignment CSV or preloaded scenario id")
    p.add_argument("--year", type=int, default=years[0],
                   help=f"PHE catchment year ({' or '.join(map(str, years))}; default {years[0]})")
    p.add_argument("--population-year", type=int, default=None,
                   help="population year (default: the scenario's, or mid-2017)")
    p.add_argument("--level", choices=ALL_LEVELS, default=None,
                   help="level of a member-list footprint (default: told from the members), or of the "
                        "footprints of an assignment CSV (default multi_borough)")
    p.add_argument("--name", default=None, help="name of a member-list footprint")
    p.add_argument("--core", default=None,
                   help="comma-separated trust codes to use as the core providers (replaces the default: "
                        "trusts located inside)")
    p.add_argument("--add-core", default="", help="comma-separated trust codes to add to the core providers")
    p.add_argument("--remove-core", default="", help="comma-separated trust codes to remove from them")
    p.add_argument("--top", type=whole_number(1, 10), default=10, help="number of destinations to list (default 10)")
    p.add_argument("--flows-file", default=None, type=regular_file("a flow CSV (msoa_code, trust_code, proportion)"),
                   help="a flow CSV (msoa_code, trust_code, proportion) to use instead of the PHE table")
    p.add_argument("--trusts", action="store_true", help="list the trusts that treat London residents")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def _split(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def infer_level(index, members: list[str]) -> str:
    """Footprint level told from its members.

    One STP or several -> ``stp``; boroughs or CCGs: one -> ``borough``,
    2-4 -> ``multi_borough``, more -> ``stp``; anything smaller -> ``locality``.
    """
    kinds = {index.kind_of(m) for m in members}
    if kinds == {"stp"}:
        level = "stp"
    elif kinds <= {"borough", "ccg", "utla"}:
        units = index.expand(members)
        n = len(np.unique(index.membership["borough"][units]))
        level = "borough" if n == 1 else ("multi_borough" if n <= 4 else "stp")
    else:
        level = "locality"
    if getattr(index.geo, "geography", "2018") == "2024":  # today's names for the same levels
        return {"stp": "icb", "borough": "place", "multi_borough": "multi_place", "locality": "neighbourhood"}[level]
    return level


def footprint_from_members(index, text: str, *, level: str | None = None, name: str | None = None) -> Footprint:
    """A footprint from a comma-separated member list (codes or names).

    Raises
    ------
    UnknownCodeError
        For members that name no area (with the closest known codes).
    """
    members = _split(text)
    if not members:
        raise ScenarioError("no members given", where="FOOTPRINT_OR_SCENARIO",
                            fix="give a borough, CCG or STP code or name, or a comma-separated member list")
    index.expand(members, where="FOOTPRINT_OR_SCENARIO")  # raises with suggestions
    if name is None:
        if len(members) == 1:
            layer, i = index.resolve(members[0])
            name = str(index.layer_names[layer][i])
        else:
            name = " + ".join(str(index.layer_names[l][i]) for l, i in map(index.resolve, members))
    return Footprint(name, level or infer_level(index, members), tuple(members))


def _target(args: argparse.Namespace, index) -> Scenario | Footprint:
    spec = args.target
    if spec is None:
        raise ScenarioError("nothing to measure", where="FOOTPRINT_OR_SCENARIO",
                            fix="give a footprint (code, name or member list) or a scenario, or use --trusts")
    if Path(spec).is_file():
        from .check import read_scenario

        return read_scenario(spec, index, level=args.level or "multi_borough")
    members = _split(spec)
    if members and all(index.resolve(m) is not None for m in members):
        return footprint_from_members(index, spec, level=args.level, name=args.name)
    if len(members) == 1:
        try:
            from ..preloaded import UnknownPreloadedError, load_preloaded
        except ImportError:  # pragma: no cover - preloaded scenarios not installed
            load_preloaded = None
        if load_preloaded is not None:
            try:
                return load_preloaded(spec, geo=index.geo)
            except UnknownPreloadedError as exc:
                near = index.suggest(spec)
                hint = f"; closest areas: {', '.join(near)}" if near else ""
                raise ScenarioError(
                    f"{spec!r} is neither a scenario file, a preloaded scenario nor a known area{hint}",
                    where="FOOTPRINT_OR_SCENARIO",
                    fix=f"{exc.fix}; or give a borough, CCG or STP code or name") from exc
    return footprint_from_members(index, spec, level=args.level, name=args.name)


def _override(fp: Footprint, args: argparse.Namespace, flows, index) -> Footprint:
    from ..careflows import with_core_providers

    if args.core is not None:
        codes = _split(args.core)
        flows.check_codes(codes, where="--core")
        fp = Footprint(fp.name, fp.level, fp.members, fp.parent, fp.notes, tuple(codes))
    if args.add_core or args.remove_core:
        fp = with_core_providers(fp, flows, index, add=_split(args.add_core), remove=_split(args.remove_core))
    return fp


def _trust_lines(table) -> list[str]:
    out = [f"{'code':<5}  {'London activity':>15}  {'catchment':>10}  {'from London':>11}  name (location)"]
    for r in table.itertuples():
        catch = "n/a" if not np.isfinite(r.catchment) else f"{r.catchment:,.0f}"
        share = "n/a" if not np.isfinite(r.london_share) else f"{100 * r.london_share:.1f}%"
        out.append(f"{r.code:<5}  {r.london_activity:>15,.0f}  {catch:>10}  {share:>11}  {r.name} ({r.borough_name})")
    return out


def run(args: argparse.Namespace) -> int:
    """Run ``flows``: exit 0 when it ran, 2 for bad input (raised as FootprintsError)."""
    from ..api import Engine
    from ..careflows import CareFlows

    engine = load_engine(args)
    flows = CareFlows.load(engine.geo, year=args.year, path=args.flows_file)
    if args.trusts:
        table = flows.trust_table(engine.index)
        table = table[table["london_activity"] > 0].sort_values("london_activity", ascending=False)
        if args.json:
            rows = table.drop(columns="geometry").replace({np.nan: None}).to_dict(orient="records")
            print(json.dumps({"catchment_year": flows.year, "source": flows.source, "trusts": rows},
                             indent=2, default=_jsonable))
        else:
            print("\n".join(_trust_lines(table)))
        return 0
    target = _target(args, engine.index)
    if isinstance(target, Scenario):
        year = args.population_year or target.year
        eng = engine.for_year(year)
        flows.validate(target)
        from ..footprints import resolve_members

        if args.core is not None or args.add_core or args.remove_core:
            raise ScenarioError("--core, --add-core and --remove-core apply to one footprint, not a scenario",
                                where="FOOTPRINT_OR_SCENARIO",
                                fix="set core_providers per footprint in the scenario file, or measure one "
                                    "footprint at a time")
        members = resolve_members(target, eng.index)
        measures = [flows.measure(fp, eng.index, members[fp.name], thresholds=target.thresholds, top=args.top)
                    for fp in target.footprints]
        title = f"Scenario: {target.name}"
    else:
        eng = engine.for_year(args.population_year) if args.population_year else engine
        fp = _override(target, args, flows, eng.index)
        measures = [flows.measure(fp, eng.index, top=args.top)]
        title = None
    if args.json:
        print(json.dumps({"catchment_year": flows.year, "source": flows.source,
                          "scenario": target.name if isinstance(target, Scenario) else None,
                          "footprints": [m.to_dict() for m in measures], "notes": flows.notes},
                         indent=2, ensure_ascii=False, default=_jsonable))
        return 0
    if title:
        print(title)
        print()
    for m in measures:
        print("\n".join(m.lines()))
        print()
    for note in flows.notes:
        print(f"note: {note}")
    print(f"Source: PHE/OHID NHS Acute (Hospital) Trust Catchment Populations, catchment year {flows.year} "
          f"({flows.source}); trust locations: NHS Digital ODS headquarters. Method: docs/CARE_FLOWS.md")
    return 0
