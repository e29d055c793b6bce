"""What the board report shows, taken from the engine's report (no rule computed here).

:func:`board_report` turns a :class:`spatial.checks.ScenarioReport` into a
:class:`layers.report.BoardReport`; :func:`render_board_report` renders the
map image and returns the report's HTML (and optionally its PDF).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Iterable

from layers.report import BoardReport, LegendItem, ReportRow
from spatial.thresholds import LEVEL_LABELS, SOURCE_PAPER, SOURCES, Thresholds

__all__ = ["board_report", "report_map_html", "render_board_report", "threshold_rows", "assumptions",
           "coterminosity_class", "top_leakage"]

_LEAK = re.compile(r"main leakage: ([^;\[]+?)(?:,|;|$)")


def top_leakage(reason: str) -> str:
    """The first provider named after ``main leakage:`` in a care-flow reason (``""`` if none)."""
    m = _LEAK.search(reason or "")
    return m.group(1).strip() if m else ""


def coterminosity_class(rep, t: Thresholds) -> str:
    """Coterminosity in words, from the two coterminosity checks' shares."""
    parts = []
    for rule, word in (("coterminosity_borough", "boroughs"), ("coterminosity_ccg", "CCGs")):
        c = next((c for c in rep.checks if c.rule == rule), None)
        if c is None or not isinstance(c.value, (int, float)):
            continue
        v = float(c.value)
        cls = ("coterminous" if v >= t.coterminous_min else "mostly coterminous" if v >= 0.5
               else "not coterminous")
        parts.append(f"{cls} with {word} ({100 * v:.1f}%)")
    return "; ".join(parts) or "not measured"


def _cite(key: str) -> str:
    """A threshold's citation, with the Healthy London Partnership paper shortened to "HLP 2018"."""
    return SOURCES[key].replace(SOURCE_PAPER, "HLP 2018")


def threshold_rows(t: Thresholds) -> list[tuple[str, str, str]]:
    """(test, threshold in words, citation) for every threshold the checks use."""
    rows = [
        ("Locality population", f"{t.locality_min:,}\u2013{t.locality_max:,} residents", _cite("locality_min")),
        ("Multi-borough system population", f"at least {t.system_min_population:,} residents",
         _cite("system_min_population")),
        ("Boroughs in a multi-borough system", f"{t.system_min_boroughs}\u2013{t.system_max_boroughs}",
         _cite("system_min_boroughs")),
        ("STP population", f"{t.stp_min:,}\u2013{t.stp_max:,} residents", _cite("stp_min")),
        ("Care-flow containment", f"at least {100 * t.care_flow_min:.0f}% of residents' hospital care from "
         "core providers", _cite("care_flow_min")),
        ("Coterminosity (boroughs, CCGs)", f"at least {100 * t.coterminous_min:.0f}%", _cite("coterminous_min")),
    ]
    if t.inequality_rules != "off":
        how = "" if t.inequality_rules == "enforce" else " (information only)"
        rows.append(("Core20 gap between places", f"at most {100 * t.place_core20_gap_max:.0f} points{how}",
                     "Mayor's six assurances (impact on health inequality), Croydon HWB paper 2018; NHS England "
                     "Core20PLUS5. 30 points is a project default"))
    return rows


def assumptions(year: int, *, care_flows: bool, geography: str = "2018") -> list[str]:
    """The assumptions behind the verdicts, in words."""
    if geography == "2024":
        out = [f"Population: Census {year} usual residents of 2021 LSOAs (the units every footprint is built from).",
               "Boundaries: places (LAD 2024), sub-ICB locations and ICBs as of April 2024, from the ONS LSOA 2021 "
               "lookup (ONS Open Geography Portal)."]
    else:
        out = [f"Population: ONS mid-{year} estimates for 2011 LSOAs (the units every footprint is built from).",
               "Boundaries: boroughs, CCGs and STPs as of April 2018 (ONS Open Geography Portal)."]
    if care_flows:
        out += [
            "Care flows: each MSOA's share of admitted patients by NHS trust (PHE/OHID catchments, "
            "CatchmentYear 2018), applied to its residents.",
            "Core providers are the trusts whose headquarters lie inside the footprint: a trust is placed at its "
            "headquarters postcode (NHS Digital ODS), not at each hospital site, so a multi-site trust counts "
            "in one place only.",
            "PHE omits small flows: an MSOA's shares sum to 0.90\u20130.997 (median 0.979); the unrecorded part "
            "is reported as such and not shared out.",
        ]
    else:
        out.append("Care flows were not available: the care-flow test is shown as not measured.")
    return out


def _verdict_words(rep, labels: dict[str, str]) -> str:
    failed = rep.failures()
    if failed:
        return "fails: " + ", ".join(labels.get(c.rule, c.rule) for c in failed)
    return "meets every test" if any(c.passed for c in rep.checks) else "not checked"


def board_report(report, names: Iterable[str], *, title: str, subtitle: str, source_line: str,
                 date: dt.date, care_flows: bool, extra_legend: Iterable[tuple[str, str]] = ()) -> BoardReport:
    """The board report's content for the footprints ``names`` of ``report``.

    Parameters
    ----------
    report : spatial.checks.ScenarioReport
    names : iterable of str
        Footprints shown, in order.
    source_line : str
        From :func:`ui.tables.source_line` (with ``care_flows`` when the verdicts use them).
    care_flows : bool
        Whether the verdicts used care flows (the assumptions say how they are used).
    extra_legend : iterable of (swatch SVG, text)
        Legend rows of the boundary layers drawn on top (``legend_entries`` of their groups).
    """
    from layers.style import VERDICT_LABELS, VERDICT_STYLES, swatch_svg
    from ui.tables import RULE_LABELS, verdict_text

    wanted = list(names)
    by_name = {r.name: r for r in report.footprints}
    t = report.scenario.thresholds
    rows = []
    fails: dict[str, list[str]] = {}
    counts = {"pass": 0, "fail": 0, "unchecked": 0}
    for name in wanted:
        r = by_name[name]
        flow = next((c for c in r.checks if c.rule == "care_flow"), None)
        containment = (f"{100 * float(flow.value):.1f}%" if flow is not None and isinstance(flow.value, (int, float))
                       else "")
        rows.append(ReportRow(
            name=r.name, level=LEVEL_LABELS.get(r.level, r.level), population=int(r.population),
            verdict=_verdict_words(r, RULE_LABELS),
            rules=[(RULE_LABELS.get(c.rule, c.rule), verdict_text(c.passed), c.reason) for c in r.checks],
            containment=containment, leakage=top_leakage(flow.reason) if flow is not None else "",
            coterminosity=coterminosity_class(r, t)))
        key = "fail" if r.failures() else ("pass" if any(c.passed for c in r.checks) else "unchecked")
        counts[key] += 1
        for c in r.failures():
            fails.setdefault(RULE_LABELS.get(c.rule, c.rule), []).append(r.name)
    legend = []
    for key in ("pass", "fail", "unchecked"):
        if not counts[key]:
            continue
        text = f"{VERDICT_LABELS[key]} ({counts[key]})"
        if key == "fail":
            text = f"Fails a test ({counts[key]}): " + "; ".join(
                f"{rule} ({', '.join(who)})" for rule, who in fails.items())
        legend.append(LegendItem(swatch_svg(VERDICT_STYLES[key]), text))
    legend += [LegendItem(svg, text) for svg, text in extra_legend]
    return BoardReport(title=title, subtitle=subtitle, rows=rows, legend=legend, thresholds=threshold_rows(t),
                       assumptions=assumptions(report.scenario.year, care_flows=care_flows,
                                               geography=report.scenario.geography), source_line=source_line,
                       date=date, legend_title="Verdict", threshold_note=f"HLP 2018: {SOURCE_PAPER}.")


def report_map_html(engine, scenario, report, names, *, title: str, subtitle: str = "", labels: bool = True,
                    extra_layers=(), date=None) -> str:
    """The report's map (self-contained HTML): the board map with borough outlines and names where they lie."""
    from layers.assets import self_contained_html
    from layers.maps import polygon_layer
    from layers.style import PathStyle
    from ui.maps import scenario_map

    boroughs = engine.geo.layer("borough")
    g = polygon_layer(boroughs, "Borough names", style=PathStyle(fill_color=None, color="#555555", weight=0.8),
                      highlight=False, label_col="name" if labels else None, label_class="fp-label-area")
    g.legend_entries = []
    m = scenario_map(engine, scenario, report, list(names), title=title, subtitle=subtitle or None, labels=labels,
                     extra_layers=[*extra_layers, g], date=date)
    return self_contained_html(m)


def render_board_report(board_map_html: str, content: BoardReport, *, browser_: Any = None,
                        label_boxes: list | None = None) -> str:
    """Render the map image and return the report page's HTML."""
    from layers.report import render_map_image, report_html

    size = (1000, 720)  # shown ~776 px wide: labels stay readable
    png, mpp = render_map_image(board_map_html, size=size, browser_=browser_, label_boxes=label_boxes)
    return report_html(content, png, mpp, image_px=size)
