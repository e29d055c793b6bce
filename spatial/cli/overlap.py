"""``python -m spatial overlap A B``: how two layers overlap, by population and by area.

A and B are named layers (``unit``, ``msoa``, ``borough``, ``ccg``, ``stp``),
scenario JSON files or preloaded scenario ids/names (their footprints form the
layer; ``--level-a``/``--level-b`` keep one level).  Population overlaps use
the ONS lookup assignment of units; area overlaps intersect the published
boundaries (``--published``, default) or the shapes dissolved from units
(``--dissolved``).
"""

from __future__ import annotations

from ._geo import load_engine

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from ..footprints import Scenario
from ..overlaps import NAMED_LAYERS, OverlapError, canonical_layer, layer_name, overlap_layer, overlap_summary, \
    overlap_table
from ..thresholds import ALL_LEVELS, LEVELS

__all__ = ["register", "run", "read_layer", "format_table"]


def register(subparsers: Any) -> None:
    """Add the ``overlap`` command."""
    p = subparsers.add_parser(
        "overlap", help="overlaps between two layers (CCG x borough, footprints x STP, ...)",
        description="Overlap of every pair of areas of two layers, by population (ONS lookup assignment of "
                    "units) and by area (intersection of the boundaries). A and B are layer names ("
                    + ", ".join(NAMED_LAYERS) + "), scenario .json files or preloaded scenario ids.")
    p.add_argument("a", metavar="A", help="layer name, scenario .json file or preloaded scenario id")
    p.add_argument("b", metavar="B", help="layer name, scenario .json file or preloaded scenario id")
    p.add_argument("--by", choices=("population", "area", "both"), default="both",
                   help="measure(s) to compute (default both)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON: metadata and rows")
    fmt.add_argument("--csv", action="store_true", help="print CSV")
    p.add_argument("--summary", action="store_true",
                   help="one row per area of A: best match in B and its class (coterminous, within, mostly, "
                        "split); by population unless --by area")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--published", dest="source", action="store_const", const="published",
                     help="measure areas on the published boundaries where the data has them (default)")
    src.add_argument("--dissolved", dest="source", action="store_const", const="dissolved",
                     help="measure areas on the layers dissolved from units")
    p.add_argument("--level-a", choices=ALL_LEVELS, default=None, help="keep only footprints of this level in A")
    p.add_argument("--level-b", choices=ALL_LEVELS, default=None, help="keep only footprints of this level in B")
    p.add_argument("--year", type=int, default=None,
                   help="population year (default: the scenario's year, else the data's default)")
    p.set_defaults(func=run, source="published")


def _preloaded_ids() -> list[str]:
    try:
        from ..preloaded import list_preloaded
    except ImportError:
        return []
    try:
        return [sid for sid, _, _ in list_preloaded()]
    except Exception:  # noqa: BLE001 - only used for suggestions
        return []


def read_layer(spec: str) -> str | Scenario:
    """A named layer (returned as its canonical name) or a scenario from a JSON path or preloaded id.

    Raises
    ------
    UnknownLayerError
        When ``spec`` is neither; the message suggests the closest layer names and scenario ids.
    ScenarioError
        For a scenario file that cannot be read (the reader's message).
    """
    key = str(spec).strip()
    name = canonical_layer(key)
    if name is not None:
        return name
    path = Path(key)
    if path.is_file():
        try:
            from ..io import load_scenario
        except ImportError as exc:  # pragma: no cover - until the scenario reader exists
            raise OverlapError("scenario files cannot be read yet (no spatial.io)", where=key,
                               fix=f"use a layer name: {', '.join(NAMED_LAYERS)}") from exc
        return load_scenario(path)
    try:
        from ..preloaded import UnknownPreloadedError, load_preloaded
    except ImportError:  # pragma: no cover - until preloaded scenarios exist
        pass
    else:
        try:
            return load_preloaded(key)
        except UnknownPreloadedError:
            pass
    where = f"{key} (no such file)" if (path.suffix or "/" in key or "\\" in key) else None
    return layer_name(key, where=where, extra=_preloaded_ids())


def _pick_year(specs: list[str | Scenario], year: int | None) -> int | None:
    if year is not None:
        return year
    years = sorted({s.year for s in specs if isinstance(s, Scenario)})
    if len(years) > 1:
        raise OverlapError(f"the two scenarios are for different population years ({years[0]} and {years[1]})",
                           fix="choose one with --year")
    return years[0] if years else None


def _fmt_cell(col: str, v: Any) -> str:
    if isinstance(v, float) and math.isnan(v):
        return "-"
    if col.startswith("share_of"):
        return f"{100 * v:.1f}%"
    if col == "overlap_area_m2":
        return f"{v / 1e6:,.3f}"
    if isinstance(v, (int,)) or (hasattr(v, "dtype") and getattr(v, "dtype").kind in "iu"):
        return f"{int(v):,}"
    return str(v)


def format_table(table: pd.DataFrame, *, title: str) -> str:
    """A readable text table (shares as percentages, areas in km²) with the metadata below it."""
    headers = {"overlap_area_m2": "overlap_km2"}
    cols = [c for c in table.columns if c != "reason"]
    cells = [[_fmt_cell(c, v) for c, v in zip(cols, row)] for row in table[cols].itertuples(index=False)]
    names = [headers.get(c, c) for c in cols]
    widths = [max([len(n)] + [len(r[i]) for r in cells]) for i, n in enumerate(names)]
    numeric = [c not in ("a_code", "a_name", "b_code", "b_name", "match") for c in cols]
    def line(values):
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()
    out = [title, "", line(names), line(["-" * w for w in widths])]
    for i, r in enumerate(cells):
        out.append(line(r))
        if "reason" in table:
            out.append("    " + str(table["reason"].iloc[i]))
    out.append("")
    for k, v in table.attrs.items():
        out.append(f"{k}: {v}")
    return "\n".join(out)


def _records(table: pd.DataFrame) -> list[dict]:
    rows = []
    for rec in table.to_dict(orient="records"):
        rows.append({k: (None if isinstance(v, float) and math.isnan(v) else
                         v.item() if hasattr(v, "item") else v) for k, v in rec.items()})
    return rows


def run(args: argparse.Namespace) -> int:
    """Run ``overlap``: exit 0 when it ran, 2 (via the caller) for bad input."""
    from ..api import Engine

    specs = [read_layer(args.a), read_layer(args.b)]
    for spec, level, side in ((specs[0], args.level_a, "A"), (specs[1], args.level_b, "B")):
        if level is not None and not isinstance(spec, Scenario):
            raise OverlapError(f"--level-{side.lower()} applies to scenario footprints, not layer {spec!r}",
                               fix=f"leave --level-{side.lower()} out")
    year = _pick_year(specs, args.year)
    engine = load_engine(args)
    if year is not None:
        engine = engine.for_year(year)
    a = overlap_layer(specs[0], engine.index, level=args.level_a)
    b = overlap_layer(specs[1], engine.index, level=args.level_b)
    by = ("population", "area") if args.by == "both" else (args.by,)
    table = overlap_table(a, b, engine, by=by, source=args.source)
    if args.summary:
        measure = "area" if args.by == "area" else "population"
        coterminous_min = next((s.thresholds.coterminous_min for s in specs if isinstance(s, Scenario)), None)
        table = overlap_summary(table, measure, coterminous_min)
    if args.json:
        attrs = {k: (list(v) if isinstance(v, tuple) else v) for k, v in table.attrs.items()}
        print(json.dumps({"metadata": attrs, "rows": _records(table)}, indent=2, ensure_ascii=False))
    elif args.csv:
        from ..text import csv_frame

        csv_frame(table).to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        kind = "summary" if args.summary else "overlaps"
        print(format_table(table, title=f"{a.label} x {b.label}: {kind}, population year {engine.year}"))
    return 0
