"""Care-flow maps: trust points, flow lines from a footprint, containment choropleth.

This module draws only: every number comes from :mod:`spatial.careflows` (the
engine), measured by the caller and passed in; it turns those tables into
folium layers with the shared helpers of :mod:`layers.maps` and the styles of
:mod:`layers.style` (flow lines solid blue to core providers, dashed vermilion
to the others; readable in grey).  It was ``layers/careflows.py``.

For the app's Check page the entry point is :func:`flow_map_layers`; the page
measures once and passes the result::

    from layers.flowmaps import flow_map_layers
    from spatial.geometry import footprint_geometry

    measures = engine.flows.measure(footprint, engine.index, units)
    shape = footprint_geometry(engine.index, units)        # EPSG:27700
    trusts = engine.flows.trust_table(engine.index)        # EPSG:4326 points
    for g in flow_map_layers(measures, shape, trusts):
        g.add_to(m)

Each returned group carries ``legend_entries`` (swatch markup, text) like the
other layers of :mod:`layers.maps`.  A containment choropleth draws the frame
of :func:`spatial.careflows.containment_frame`:
``containment_choropleth(containment_frame(flows, index, layer="borough"))``.
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
    from spatial.careflows import FlowMeasures

__all__ = [
    "CONTAINMENT_BINS",
    "CONTAINMENT_COLOURS",
    "trust_points_layer",
    "flow_lines_layer",
    "footprint_outline_layer",
    "containment_choropleth",
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
    trusts: gpd.GeoDataFrame,
    *,
    codes: Sequence[str] | None = None,
    name: str = "Acute trusts",
    size_by: str = "catchment",
    show: bool = True,
) -> folium.FeatureGroup:
    """Trust headquarters as circles whose area shows their catchment population.

    Parameters
    ----------
    trusts : GeoDataFrame
        :meth:`spatial.careflows.CareFlows.trust_table` (its index gave the
        population year of the London part of the catchments).
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
    table = trusts
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


def _destinations_frame(measures: "FlowMeasures", trusts: gpd.GeoDataFrame, top: int | None = None
                        ) -> gpd.GeoDataFrame:
    """The drawn destinations (``measures.top[:top]``) at their trusts' points, EPSG:27700.

    Trusts without a location are not in ``trusts`` and are left out.
    """
    where = trusts.to_crs(27700).drop_duplicates("code").set_index("code").geometry
    rows, points = [], []
    for d in measures.top[:top]:
        if d.code not in where.index:
            continue
        rows.append({"code": d.code, "trust": d.name, "share": d.share, "core": d.core, "inside": d.inside,
                     "share_text": percent(d.share),
                     "role": "core provider" if d.core else "not a core provider", "where": d.location})
        points.append(where[d.code])
    df = pd.DataFrame(rows, columns=["code", "trust", "share", "core", "inside", "share_text", "role", "where"])
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(points, crs=27700).values, crs=27700)


def flow_lines_layer(
    measures: "FlowMeasures",
    origin: Any,
    trusts: gpd.GeoDataFrame,
    *,
    top: int | None = None,
    name: str | None = None,
    show: bool = True,
) -> folium.FeatureGroup:
    """Lines from a footprint to its top destinations: width by share, solid to core providers.

    Parameters
    ----------
    measures : FlowMeasures
        From :meth:`spatial.careflows.CareFlows.measure` (its ``top`` destinations are drawn).
    origin : shapely geometry (EPSG:27700) or one-row GeoDataFrame
        The footprint's shape; lines start at a point inside it.
    trusts : GeoDataFrame
        :meth:`spatial.careflows.CareFlows.trust_table`: where the destinations are.
    top : int, optional
        Draw only the first ``top`` destinations (default: all of ``measures.top``).
    name : str, optional
    show : bool
    """
    dest = _destinations_frame(measures, trusts, top)
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


def flow_map_layers(
    measures: "FlowMeasures",
    shape: Any,
    trusts: gpd.GeoDataFrame,
    *,
    top: int = 8,
) -> list[folium.FeatureGroup]:
    """The folium layers of a footprint's flow map, for the Check page (draws what was measured).

    Parameters
    ----------
    measures : FlowMeasures
        The footprint's measures (:meth:`spatial.careflows.CareFlows.measure`).
    shape : shapely geometry
        The footprint's dissolved shape in EPSG:27700
        (:func:`spatial.geometry.footprint_geometry`).
    trusts : GeoDataFrame
        The trust points, :meth:`spatial.careflows.CareFlows.trust_table` (EPSG:4326).
    top : int
        Number of destinations drawn (the first ``top`` of ``measures.top``).

    Returns
    -------
    list of folium.FeatureGroup
        Footprint outline, flow lines, trust points (the destinations drawn
        and the core providers), each with ``legend_entries``.
    """
    codes = [d.code for d in measures.top[:top]] + [c for c, _ in measures.core]
    return [
        footprint_outline_layer(measures.footprint, shape),
        flow_lines_layer(measures, shape, trusts, top=top),
        trust_points_layer(trusts, codes=list(dict.fromkeys(codes)), name="Trusts (destinations)"),
    ]


def flow_map(measures: "FlowMeasures", shape: Any, trusts: gpd.GeoDataFrame, *, top: int = 8,
             title: str | None = None, **map_kwargs: Any) -> folium.Map:
    """A stand-alone map of a footprint's flows (outline, lines, trusts, legend, source line).

    Parameters are those of :func:`flow_map_layers`; ``title`` defaults to
    "Where <footprint> residents go" and ``map_kwargs`` go to :func:`layers.maps.base_map`.
    """
    groups = flow_map_layers(measures, shape, trusts, top=top)
    dest = _destinations_frame(measures, trusts, top)
    bounds = gpd.GeoDataFrame(geometry=[shape, *dest.geometry.values], crs=27700)
    m = base_map(bounds, **map_kwargs)
    entries = []
    for g in groups:
        g.add_to(m)
        entries.extend(getattr(g, "legend_entries", []))
    folium.LayerControl(position="topright", collapsed=True).add_to(m)
    MapControl(f'<div class="fp-title-main">{escape_text(title or f"Where {measures.footprint} residents go")}</div>',
               position="topleft", class_name="fp-panel fp-title").add_to(m)
    # legend and source beside the map, never over the areas (position "side")
    MapControl(legend_html(entries, "Care flows"), position="side", class_name="fp-panel fp-legend").add_to(m)
    MapControl(escape_text(f"PHE/OHID NHS Acute Trust Catchment Populations, catchment year "
                           f"{measures.catchment_year}; trust headquarters: NHS Digital ODS. "
                           "Open Government Licence v3.0"),
               position="side", class_name="fp-panel fp-source").add_to(m)
    return m
