"""Maps of a scenario on the pages: the footprints as the maps draw them, and the verdict map.

Shapes and metrics come from :func:`spatial.io.footprints_frame`
(cached per scenario), drawing from :mod:`layers.maps`; a map is shown as one
self-contained HTML document, so it works offline.
"""

from __future__ import annotations

from typing import Iterable

import streamlit as st

from spatial import Engine, Scenario, ScenarioReport
from spatial.thresholds import ALL_LEVELS, LEVEL_LABELS, RULE_LABELS
from ui.tables import source_line

__all__ = ["MAP_TOOLTIP", "footprint_frame", "map_frame", "show_map", "scenario_map"]


@st.cache_data(max_entries=24, show_spinner=False)
def _frame_cached(_engine: Engine, region: str, key: str, with_flows: bool, scenario: Scenario):
    from spatial.io import footprints_frame

    eng = _engine.for_year(scenario.year)
    report = eng.check(scenario)
    return footprints_frame(report, eng.index)


def footprint_frame(engine: Engine, scenario: Scenario):
    """Footprints of ``scenario`` with metrics and dissolved shapes (EPSG:27700), cached per scenario."""
    return _frame_cached(engine, engine.geo.region, engine.geo.key, engine.flows is not None, scenario)


def map_frame(engine: Engine, scenario: Scenario, names: Iterable[str] | None = None):
    """The footprints as the maps draw them: ``name``, level, residents, verdict and why.

    Parameters
    ----------
    engine : Engine
    scenario : Scenario
    names : iterable of str, optional
        Only these footprints (in scenario order).
    """
    frame = footprint_frame(engine, scenario)
    if names is not None:
        keep = set(names)
        frame = frame[frame["name"].isin(keep)]
    report = {r.name: r for r in engine.check(scenario).footprints}
    out = frame[["name", "level", "population", "geometry"]].copy()
    out["level"] = [LEVEL_LABELS.get(v, v) for v in out["level"]]
    out["verdict"] = [report[n].verdict for n in out["name"]]
    out["reason"] = [
        "; ".join(c.reason for c in report[n].failures()) or "meets every rule with a verdict"
        for n in out["name"]
    ]
    out["failed"] = [", ".join(RULE_LABELS.get(c.rule, c.rule) for c in report[n].failures()) for n in out["name"]]
    return out.reset_index(drop=True)


MAP_TOOLTIP = {"name": "Footprint", "level": "Level", "population": "Residents", "verdict": "Verdict",
               "reason": "Why"}


def show_map(m, *, height: int = 560) -> str:
    """Draw a folium map in the page from one self-contained HTML document (works offline).

    Returns the HTML (the same document the Board export page downloads).
    """
    from layers.assets import self_contained_html

    html = self_contained_html(m)
    st.iframe(html, height=height)
    return html


def scenario_map(engine: Engine, scenario: Scenario, report: ScenarioReport, names: Iterable[str], *,
                 title: str, subtitle: str | None = None, labels: bool = True, extra_layers: Iterable = (),
                 date=None):
    """A footprint map coloured by verdict, one layer per level.

    Footprints of different levels overlap (an STP holds its systems), and a
    map layer is drawn as one coverage, so the level with the most footprints
    is filled by verdict and every other level is drawn on top as
    verdict-styled outlines (colour and dash pattern, as in the legend).
    """
    from layers.maps import footprint_map, polygon_layer
    from layers.style import VERDICT_LABELS, VERDICT_STYLES, swatch_svg, verdict_key

    names = list(names)
    level_of = {r.name: r.level for r in report.footprints}
    frame = map_frame(engine, scenario, names)
    shown = [lv for lv in ALL_LEVELS if lv in {level_of[n] for n in names}]
    counts = {lv: sum(level_of[n] == lv for n in names) for lv in shown}
    filled = max(shown, key=lambda lv: (counts[lv], -ALL_LEVELS.index(lv)))  # most footprints; finer on a tie
    others = [lv for lv in reversed(shown) if lv != filled]
    main = frame[[level_of[n] == filled for n in frame["name"]]].reset_index(drop=True)
    groups = []
    for lv in others:
        part = frame[[level_of[n] == lv for n in frame["name"]]].reset_index(drop=True)
        keys = [verdict_key(v) for v in part["verdict"]]
        styles = {k: VERDICT_STYLES[k].with_(fill_color=None, weight=VERDICT_STYLES[k].weight + 2) for k in keys}
        part = part.assign(_k=keys)
        label = LEVEL_LABELS[lv]
        g = polygon_layer(part, f"{label} footprints (outlines)", style=lambda row: styles[row["_k"]],
                          tooltip_cols=MAP_TOOLTIP, highlight=False, label_col="name" if labels else None,
                          label_class="fp-label-stp" if lv == "stp" else "fp-label")
        g.legend_entries = [(swatch_svg(styles[k], kind="line"), f"{label}: {VERDICT_LABELS[k].lower()}")
                            for k in dict.fromkeys(keys)]
        groups.append(g)
    groups.extend(extra_layers)
    m = footprint_map(main, title=title, subtitle=subtitle,
                      source_line=source_line(scenario, care_flows=engine.flows is not None), labels=labels,
                      layers=groups, tooltip_cols=MAP_TOOLTIP, date=date,
                      legend_title=f"Verdict ({LEVEL_LABELS[filled]} footprints filled)")
    # Fit every level shown (not only the filled one), leaving room for the title panel at the
    # top and the source line and legend at the bottom, which are drawn over the map.
    import folium

    minx, miny, maxx, maxy = frame.to_crs(4326).total_bounds
    fit = folium.FitBounds([[miny, minx], [maxy, maxx]], padding_top_left=(16, 90),
                           padding_bottom_right=(16, 150))
    fit.options["animate"] = False
    fit.add_to(m)
    return m
