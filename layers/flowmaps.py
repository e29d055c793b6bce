"""Care-flow maps: trust points, flow lines from a footprint, containment choropleth.

Every number comes from :mod:`spatial.careflows` (the engine); this module
only turns its tables into folium layers with the shared helpers of
:mod:`layers.maps` and the styles of :mod:`layers.style` (flow lines solid
blue to core providers, dashed vermilion to the others; readable in grey).

For the app's Check page the entry point is :func:`flow_map_layers`::

    from layers.careflows import flow_map_layers
    groups = flow_map_layers(engine, footprint)        # engine.flows must be set
    for g in groups:
        g.add_to(m)

Each returned group carries ``legend_entries`` (swatch markup, text) like the
other layers of :mod:`layers.maps`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from spatial.text import percent

from .maps import base_map, flow_lines, legend_html, point_layer, polygon_layer
from .elements import MapControl
from .style import PathStyle, swatch_svg
from .text import escape_text

if TYPE_CHECKING:  # pragma: no cover
    from spatial.careflows import CareFlows, FlowMeasures
    from spatial.footprints import Footprint, Scenario
    from spatial.index import UnitIndex

__all__ = [
    "CONTAINMENT_BINS",
    "CONTAINMENT_COLOURS",
    "trust_points_layer",
    "flow_lines_layer",
    "footprint_outline_layer",
    "containment_choropleth",
    "borough_containment_layer",
    "scenario_containment_layer",
    "flow_map_layers",
    "flow_map",
]

#: Containment classes (lower edges); the 70% test falls on a class edge.
CONTAINMENT_BINS: tuple[float, ...] = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9)
#: Paul Tol's sequential YlOrBr scheme (colour-blind safe, monotone in grey), one colour per class.
CONTAINMENT_COLOURS: tuple[str, ...] = ("#FFF7BC", "#FEE391", "#FEC44F", "#FB9A29", "#EC7014", "#CC4C02", "#8C2D04")
#: Outline of areas that meet the containment test / that do not (solid vs dashed, not hue alone).
_MEETS = PathStyle(color="#222222", weight=2.0, fill_opacity=0.8, fill_color="#000000")
_BELOW = PathStyle(color="#222222", weight=1.2, fill_opacity=0.8, fill_color="#000000", dash_array="5 4",
                   line_cap="butt")
_OUTLINE = PathStyle(color="#000000", weight=3.0, fill_color="#88CCEE", fill_opacity=0.18)


def _people(x: Any) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "n/a"
    return "n/a" if not np.isfinite(v) else f"{v:,.0f}"


def _class_of(value: float) -> int:
    return int(np.searchsorted(CONTAINMENT_BINS, value, side="right") - 1) if np.isfinite(value) else 0


def _class_label(i: int) -> str:
    lo = CONTAINMENT_BINS[i]
    hi = CONTAINMENT_BINS[i + 1] if i + 1 < len(CONTAINMENT_BINS) else 1.0
    return f"{100 * lo:.0f}–{100 * hi:.0f}%"


# --- layers ----------------------------------------------------------------------------------

def trust_points_layer(
    flows: "CareFlows",
    index: "UnitIndex",
    *,
    codes: Sequence[str] | None = None,
    name: str = "Acute trusts",
    size_by: str = "catchment",
    show: bool = True,
) -> folium.FeatureGroup:
    """Trust headquarters as circles whose area shows their catchment population.

    Parameters
    ----------
    flows : CareFlows
    index : UnitIndex
        Population year of the London part of the catchments.
    codes : sequence of str, optional
        Trusts to draw (default: every trust that treats London residents).
    name : str
        Layer name.
    size_by : {"catchment", "london_activity"}
        England-wide catchment (default; falls back to the London part when
        England-wide populations are missing) or London residents' activity only.
    show : bool

    Returns
    -------
    folium.FeatureGroup
        With ``legend_entries``.
    """
    table = flows.trust_table(index)
    if codes is not None:
        table = table[table["code"].isin([str(c).upper() for c in codes])]
    else:
        table = table[table["london_activity"] > 0]
    if size_by == "catchment" and table["catchment"].isna().all():
        size_by = "london_activity"
    table = table.sort_values(size_by, ascending=False).to_crs(27700)
    table = table.assign(
        trust=table["name"],
        catchment_text=[_people(v) for v in table["catchment"]],
        london_text=[_people(v) for v in table["london_activity"]],
        share_text=[percent(v) for v in table["london_share"]],
        where=table["borough_name"],
    )
    word = "catchment population" if size_by == "catchment" else "London residents' activity"
    group = point_layer(
        table, name, value_col=size_by,
        tooltip_cols={"trust": "Trust", "code": "Code", "where": "Headquarters", "catchment_text": "Catchment",
                      "london_text": "From London residents", "share_text": "Share from London"},
        show=show,
    )
    group.legend_entries = [(svg, f"{name} (circle area shows {word})")  # type: ignore[attr-defined]
                            for svg, _ in group.legend_entries]
    return group


def _destinations_frame(flows: "CareFlows", measures: "FlowMeasures") -> gpd.GeoDataFrame:
    rows = []
    for d in measures.top:
        p = flows.trust_position(d.code)
        x, y = flows.trusts["x"].iat[p], flows.trusts["y"].iat[p]
        if not (np.isfinite(x) and np.isfinite(y)):
            continue
        rows.append({"code": d.code, "trust": d.name, "share": d.share, "core": d.core, "inside": d.inside,
                     "share_text": percent(d.share),
                     "role": "core provider" if d.core else "not a core provider",
                     "where": d.location, "x": x, "y": y})
    df = pd.DataFrame(rows, columns=["code", "trust", "share", "core", "inside", "share_text", "role", "where",
                                     "x", "y"])
    return gpd.GeoDataFrame(df.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(df["x"], df["y"]), crs=27700)


def flow_lines_layer(
    flows: "CareFlows",
    measures: "FlowMeasures",
    origin: Any,
    *,
    name: str | None = None,
    show: bool = True,
) -> folium.FeatureGroup:
    """Lines from a footprint to its top destinations: width by share, solid to core providers.

    Parameters
    ----------
    flows : CareFlows
    measures : FlowMeasures
        From :meth:`CareFlows.measure` (its ``top`` destinations are drawn).
    origin : shapely geometry (EPSG:27700) or one-row GeoDataFrame
        The footprint's shape; lines start at a point inside it.
    name : str, optional
    show : bool
    """
    dest = _destinations_frame(flows, measures)
    name = name or f"Where {measures.footprint} residents go"
    group = flow_lines(origin, dest, name, share_col="share", inside_col="core",
                       tooltip_cols={"trust": "Trust", "share_text": "Share of residents' activity",
                                     "role": "Role", "where": "Headquarters"}, show=show)
    group.legend_entries = [  # type: ignore[attr-defined]
        (group.legend_entries[0][0], "to a core provider (width shows share of residents' activity)"),
        (group.legend_entries[1][0], "to another trust (leakage)"),
    ]
    return group


def footprint_outline_layer(name: str, geometry: Any, *, show: bool = True) -> folium.FeatureGroup:
    """The selected footprint's outline (EPSG:27700 shapely geometry)."""
    gdf = gpd.GeoDataFrame({"code": ["footprint"], "name": [name]}, geometry=[geometry], crs=27700)
    group = polygon_layer(gdf, name, style=_OUTLINE, tooltip_cols={"name": "Footprint"}, highlight=False,
                          tolerance_m=0, show=show)
    group.legend_entries = [(swatch_svg(_OUTLINE), name)]  # type: ignore[attr-defined]
    return group


def containment_choropleth(
    gdf: gpd.GeoDataFrame,
    *,
    name: str = "Care-flow containment",
    value_col: str = "containment",
    meets_col: str = "meets",
    threshold: float | None = None,
    show: bool = True,
) -> folium.FeatureGroup:
    """Areas coloured by containment (from :func:`spatial.careflows.containment_frame`).

    Areas that meet the test have a solid outline, the others a dashed one,
    so the verdict does not rest on colour alone.

    Parameters
    ----------
    gdf : GeoDataFrame
        EPSG:27700 with ``code, name``, the value column and the meets column.
    name : str
    value_col, meets_col : str
    threshold : float, optional
        Shown in the legend text (e.g. 0.7).
    show : bool
    """
    frame = gdf.copy()
    frame["_class"] = [_class_of(v) for v in pd.to_numeric(frame[value_col], errors="coerce").fillna(0)]
    frame["containment_text"] = [percent(v) for v in frame[value_col]]
    frame["self_text"] = [percent(v) for v in frame.get("self_sufficiency", pd.Series(np.nan, index=frame.index))]
    frame["unrecorded_text"] = [percent(v) for v in frame.get("unrecorded_share", pd.Series(np.nan, index=frame.index))]
    meets = frame[meets_col].fillna(False).astype(bool) if meets_col in frame else pd.Series(False, index=frame.index)
    frame["_meets"] = meets
    frame["test_text"] = np.where(meets, "meets the test", "below the test")

    def style(row: pd.Series) -> PathStyle:
        base = _MEETS if row["_meets"] else _BELOW
        return base.with_(fill_color=CONTAINMENT_COLOURS[int(row["_class"])])

    group = polygon_layer(
        frame, name, style=style,
        tooltip_cols={"name": "Name", "containment_text": "Containment", "test_text": "70% test" if threshold is None
                      else f"{100 * threshold:.0f}% test", "self_text": "Self-sufficiency",
                      "unrecorded_text": "Unrecorded (small flows)"},
        show=show,
    )
    entries = [(swatch_svg(_BELOW.with_(fill_color=c, dash_array=None, weight=1.0)), _class_label(i))
               for i, c in enumerate(CONTAINMENT_COLOURS)]
    need = f" ({100 * threshold:.0f}%)" if threshold is not None else ""
    entries += [(swatch_svg(_MEETS.with_(fill_color="#FFFFFF", fill_opacity=0.0)), f"meets the test{need}: solid"),
                (swatch_svg(_BELOW.with_(fill_color="#FFFFFF", fill_opacity=0.0)), "below the test: dashed")]
    group.legend_entries = entries  # type: ignore[attr-defined]
    return group


def borough_containment_layer(flows: "CareFlows", index: "UnitIndex", *, layer: str = "borough",
                              thresholds: Any = None, show: bool = True) -> folium.FeatureGroup:
    """Containment choropleth of each borough (or CCG / STP) on its own."""
    from spatial.careflows import containment_frame
    from spatial.thresholds import Thresholds

    t = thresholds or Thresholds()
    frame = containment_frame(flows, index, layer=layer, thresholds=t)
    return containment_choropleth(frame, name=f"Containment by {layer}", threshold=t.care_flow_min, show=show)


def scenario_containment_layer(flows: "CareFlows", index: "UnitIndex", scenario: "Scenario", *,
                               level: str | None = None, show: bool = True) -> folium.FeatureGroup:
    """Containment choropleth of a scenario's footprints (optionally one level)."""
    from spatial.careflows import containment_frame

    if level is not None:
        import dataclasses

        kept = [fp for fp in scenario.footprints if fp.level == level]
        names = {fp.name for fp in kept}
        kept = [dataclasses.replace(fp, parent=None) if fp.parent not in names else fp for fp in kept]
        scenario = dataclasses.replace(scenario, footprints=tuple(kept))
    frame = containment_frame(flows, index, scenario=scenario)
    return containment_choropleth(frame, name=f"Containment: {scenario.name}",
                                  threshold=scenario.thresholds.care_flow_min, show=show)


def flow_map_layers(
    engine: Any,
    footprint: "Footprint",
    *,
    units: np.ndarray | None = None,
    top: int = 8,
    flows: "CareFlows | None" = None,
    thresholds: Any = None,
) -> list[folium.FeatureGroup]:
    """The folium layers of a footprint's flow map, for the Check page.

    Parameters
    ----------
    engine : spatial.Engine
        Its ``flows`` (or the ``flows`` argument) is the care-flow model; its
        index gives the population year.
    footprint : Footprint
    units : ndarray, optional
        The footprint's unit ids when already expanded.
    top : int
        Number of destinations drawn.
    flows : CareFlows, optional
        Model to use instead of ``engine.flows``.
    thresholds : Thresholds, optional

    Returns
    -------
    list of folium.FeatureGroup
        Footprint outline, flow lines, trust points (the destinations drawn
        and the core providers), each with ``legend_entries``.

    Raises
    ------
    ValueError
        When no care-flow model is attached.
    """
    from spatial.careflows import footprint_geometry

    model = flows if flows is not None else getattr(engine, "flows", None)
    if model is None:
        raise ValueError("no care-flow model: use engine.with_flows(CareFlows.load(engine.geo, year=2018))")
    index = engine.index
    if units is None:
        units = index.expand(footprint.members, where=f"footprint {footprint.name!r}")
    measures = model.measure(footprint, index, units, thresholds=thresholds, top=top)
    shape = footprint_geometry(index, units)
    codes = [d.code for d in measures.top] + [c for c, _ in measures.core]
    return [
        footprint_outline_layer(footprint.name, shape),
        flow_lines_layer(model, measures, shape),
        trust_points_layer(model, index, codes=list(dict.fromkeys(codes)), name="Trusts (destinations)"),
    ]


def flow_map(engine: Any, footprint: "Footprint", *, top: int = 8, title: str | None = None,
             **map_kwargs: Any) -> folium.Map:
    """A stand-alone map of a footprint's flows (outline, lines, trusts, legend, source line)."""
    from spatial.careflows import footprint_geometry

    model = engine.flows
    units = engine.index.expand(footprint.members, where=f"footprint {footprint.name!r}")
    groups = flow_map_layers(engine, footprint, units=units, top=top)
    measures = model.measure(footprint, engine.index, units, top=top)
    dest = _destinations_frame(model, measures)
    bounds = gpd.GeoDataFrame(geometry=[footprint_geometry(engine.index, units), *dest.geometry.values], crs=27700)
    m = base_map(bounds, **map_kwargs)
    entries = []
    for g in groups:
        g.add_to(m)
        entries.extend(getattr(g, "legend_entries", []))
    folium.LayerControl(position="topright", collapsed=True).add_to(m)
    MapControl(f'<div class="fp-title-main">{escape_text(title or f"Where {footprint.name} residents go")}</div>',
               position="topleft", class_name="fp-panel fp-title").add_to(m)
    # legend and source beside the map, never over the areas (position "side")
    MapControl(legend_html(entries, "Care flows"), position="side", class_name="fp-panel fp-legend").add_to(m)
    MapControl(escape_text(f"PHE/OHID NHS Acute Trust Catchment Populations, catchment year {model.year}; "
                           "trust headquarters: NHS Digital ODS. Open Government Licence v3.0"),
               position="side", class_name="fp-panel fp-source").add_to(m)
    return m
