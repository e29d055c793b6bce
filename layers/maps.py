"""Maps for the app and for board papers: base map, layers, footprint map.

Input GeoDataFrames are in EPSG:27700 with columns ``code``, ``name``,
``geometry`` and optional attributes; they are drawn in EPSG:4326.  Nothing
here computes a rule: verdicts, populations and shares arrive as columns.

Escaping: every string from data or from a user -- names, titles, subtitles,
source lines, legend entries, tooltip labels and values, layer names --
is escaped with :func:`layers.text.escape_text` before it is handed to
folium, because folium's ``GeoJsonTooltip`` and Leaflet's layer control and
div-icons insert text as HTML (see :mod:`layers.text` for what we checked).
Style values are checked with :func:`layers.style.check_style`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterable, Mapping, Sequence, Union

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .assets import new_map
from .elements import Labels, MapControl, MapCss, TopoGeoJson
from .geometry import DEFAULT_DECIMALS, DEFAULT_TOLERANCE_M, to_map_geometry
from .style import (
    BOUNDARY_STYLE,
    FLOW_INSIDE,
    FLOW_OUTSIDE,
    HIGHLIGHT,
    POINT_STYLE,
    VERDICT_LABELS,
    VERDICT_STYLES,
    VERDICTS,
    PathStyle,
    categorical_colours,
    check_style,
    swatch_svg,
    verdict_key,
)
from .text import escape_text, format_value

__all__ = [
    "LegendEntry",
    "base_map",
    "polygon_layer",
    "point_layer",
    "flow_lines",
    "footprint_map",
    "legend_html",
]

StyleSpec = Union[PathStyle, Mapping[str, Any], Callable[[pd.Series], Union[PathStyle, Mapping[str, Any]]], None]
TooltipSpec = Union[Sequence[str], Mapping[str, str], None]
#: A legend row: swatch markup (from :func:`layers.style.swatch_svg`) and
#: plain text (escaped when the legend is drawn).
LegendEntry = tuple[str, str]


# --- helpers -----------------------------------------------------------------

def _to_4326(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise ValueError("the GeoDataFrame has no CRS; expected EPSG:27700")
    return gdf if gdf.crs.to_epsg() == 4326 else gdf.to_crs(4326)


def _ids(gdf: pd.DataFrame) -> list[str]:
    if "code" in gdf and gdf["code"].notna().all() and gdf["code"].is_unique:
        return [str(c) for c in gdf["code"]]
    return [str(i) for i in range(len(gdf))]


def _tooltip_fields(gdf: pd.DataFrame, tooltip_cols: TooltipSpec) -> dict[str, str]:
    if tooltip_cols is None:
        return {}
    if isinstance(tooltip_cols, Mapping):
        fields = {str(c): str(a) for c, a in tooltip_cols.items()}
    else:
        fields = {str(c): str(c) for c in tooltip_cols}
    missing = [c for c in fields if c not in gdf]
    if missing:
        raise KeyError(f"tooltip columns not in the data: {missing}")
    return fields


def _escaped_column(values: Iterable[Any]) -> list[str]:
    return [escape_text(format_value(v)) for v in values]


def _style_dict(style: PathStyle | Mapping[str, Any]) -> dict[str, Any]:
    return check_style(style.leaflet() if isinstance(style, PathStyle) else dict(style))


def _styles(gdf: pd.DataFrame, style: StyleSpec, default: PathStyle) -> list[dict[str, Any]]:
    if style is None:
        style = default
    if callable(style) and not isinstance(style, Mapping):
        return [_style_dict(style(row)) for _, row in gdf.iterrows()]
    one = _style_dict(style)
    return [one] * len(gdf)


def _tooltip(fields: Mapping[str, str], keys: Sequence[str]) -> folium.GeoJsonTooltip | None:
    if not fields:
        return None
    return folium.GeoJsonTooltip(
        fields=list(keys),
        aliases=[escape_text(a) for a in fields.values()],
        sticky=True,
        labels=True,
    )


def legend_html(entries: Sequence[LegendEntry], title: str | None = None) -> str:
    """Legend panel markup: swatches with escaped text.

    Parameters
    ----------
    entries : sequence of (swatch markup, text)
    title : str, optional

    Returns
    -------
    str
    """
    rows = [f'<div class="fp-legend-title">{escape_text(title)}</div>'] if title else []
    rows += [f'<div class="fp-legend-row">{svg}<span>{escape_text(text)}</span></div>'
             for svg, text in entries]
    return "".join(rows)


# --- public API --------------------------------------------------------------

def base_map(bounds_gdf: gpd.GeoDataFrame, basemap: bool = False, **map_kwargs: Any) -> folium.Map:
    """An offline map fitted to the extent of some shapes.

    Parameters
    ----------
    bounds_gdf : geopandas.GeoDataFrame
        Shapes whose extent the map shows (any CRS).
    basemap : bool
        Add OpenStreetMap tiles (needs a network; the polygons draw without).
    **map_kwargs
        Passed to :class:`folium.Map` (e.g. ``width``, ``height``).

    Returns
    -------
    folium.Map
        Loads only Leaflet, from the installed package (see
        :mod:`layers.assets`); zoom buttons bottom right, scale bar on.
    """
    minx, miny, maxx, maxy = _to_4326(bounds_gdf).total_bounds
    map_kwargs.setdefault("location", [(miny + maxy) / 2, (minx + maxx) / 2])
    map_kwargs.setdefault("zoom_start", 10)
    map_kwargs.setdefault("zoom_control", "bottomright")
    map_kwargs.setdefault("control_scale", True)
    map_kwargs.setdefault("zoomSnap", 0.25)
    # no "Leaflet" flag in the corner; a tiled base map keeps its (required) attribution
    map_kwargs.setdefault("attribution_control", bool(basemap))
    map_kwargs["tiles"] = "OpenStreetMap" if basemap else None
    m = new_map(**map_kwargs)
    MapCss().add_to(m)
    fit = folium.FitBounds([[miny, minx], [maxy, maxx]], padding=(12, 12))
    fit.options["animate"] = False
    fit.add_to(m)
    return m


def polygon_layer(
    gdf: gpd.GeoDataFrame,
    name: str,
    *,
    style: StyleSpec = None,
    tooltip_cols: TooltipSpec = None,
    label_col: str | None = None,
    label_class: str = "fp-label",
    highlight: bool | Mapping[str, Any] = True,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    coverage: bool | None = None,
    show: bool = True,
) -> folium.FeatureGroup:
    """Polygons as one compact layer, with tooltips and optional labels.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        EPSG:27700 polygons (simplified here with
        :func:`layers.geometry.to_map_geometry`), or EPSG:4326 polygons
        already made with it (used as they are).
    name : str
        Layer name (shown in the layer switcher; escaped).
    style : PathStyle, mapping, or callable(row) -> PathStyle or mapping
        Leaflet path style for all polygons or per row; default a thin grey
        outline.
    tooltip_cols : sequence of column names, or mapping column -> label
        Columns shown on hover; values are formatted and escaped.
    label_col : str, optional
        Column whose values label the polygons (at a point inside each).
    label_class : str
        CSS class of the labels: ``fp-label`` (footprints), ``fp-label-stp``
        (STPs: capitals, so they never read as a borough) or ``fp-label-area``
        (boundary layers such as boroughs: small italic grey).
    highlight : bool or mapping
        Emphasise the polygon under the mouse (``True``: :data:`HIGHLIGHT`).
    tolerance_m : float
        Simplification tolerance for EPSG:27700 input.
    coverage : bool, optional
        Passed to :func:`layers.geometry.to_map_geometry` (``None``: detect
        whether the shapes tile or overlap).
    show : bool
        Whether the layer is on when the map opens.

    Returns
    -------
    folium.FeatureGroup
        Named group holding the polygons and labels.  Each feature has
        ``id`` = the ``code`` column (when unique) and property ``code``.
    """
    if gdf.crs is not None and gdf.crs.to_epsg() == 4326:
        drawn = gdf
    else:
        drawn = to_map_geometry(gdf, tolerance_m, coverage=coverage)
    ids = _ids(drawn)
    fields = _tooltip_fields(drawn, tooltip_cols)
    props: dict[str, list[Any]] = {}
    if "code" in drawn:
        props["code"] = _escaped_column(drawn["code"])
    for col in fields:
        props[col] = _escaped_column(drawn[col])
    styles = dict(zip(ids, _styles(drawn, style, BOUNDARY_STYLE)))
    highlight_styles = None
    if highlight:
        extra = check_style(HIGHLIGHT if highlight is True else highlight)
        highlight_styles = {k: {**v, **extra} for k, v in styles.items()}
    safe_name = escape_text(name)
    group = folium.FeatureGroup(name=safe_name, overlay=True, control=True, show=show)
    layer = TopoGeoJson(
        drawn.geometry.values,
        ids=ids,
        properties=props,
        style_function=lambda f: styles[f["id"]],
        highlight_function=(lambda f: highlight_styles[f["id"]]) if highlight_styles else None,
        name=safe_name,
        control=False,
    )
    tip = _tooltip(fields, list(fields))
    if tip is not None:
        layer.add_child(tip)
    layer.add_to(group)
    if label_col is not None:
        pts = shapely.point_on_surface(np.asarray(drawn.geometry.values, dtype=object))
        labels = [
            (shapely.get_y(p), shapely.get_x(p), escape_text(format_value(v)))
            for p, v in zip(pts, drawn[label_col])
            if not shapely.is_empty(p)
        ]
        Labels(labels, name=escape_text(f"{name} labels"), control=False, class_name=label_class).add_to(group)
    group.legend_entries = []  # type: ignore[attr-defined]
    return group


def _points_4326(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Points in EPSG:4326; other geometry becomes a point inside it (in 27700)."""
    if gdf.crs is None:
        raise ValueError("the GeoDataFrame has no CRS; expected EPSG:27700")
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    not_point = shapely.get_type_id(geoms) != 0
    if not_point.any():
        geoms = geoms.copy()
        geoms[not_point] = shapely.point_on_surface(geoms[not_point])
    pts = gpd.GeoSeries(geoms, crs=gdf.crs, index=gdf.index).to_crs(4326)
    out = gdf.copy()
    out[gdf.geometry.name] = pts
    return out


def _feature_collection(rows: Iterable[tuple[str, Any, dict[str, Any]]], decimals: int) -> dict:
    feats = []
    for fid, geom, props in rows:
        g = shapely.geometry.mapping(shapely.transform(geom, lambda xy: np.round(xy, decimals)))
        feats.append({"type": "Feature", "id": fid, "geometry": g, "properties": props})
    return {"type": "FeatureCollection", "features": feats}


def _geojson_group(name: str, show: bool, rows: Iterable[tuple[str, Any, dict[str, Any]]],
                   fields: Mapping[str, str], styles: Mapping[str, dict], highlight: Mapping[str, Any],
                   **geojson: Any) -> folium.FeatureGroup:
    """A feature group holding one GeoJSON layer of ``rows`` (id, geometry, escaped properties).

    Each feature is drawn with ``styles[id]`` and, under the pointer, with
    ``highlight`` laid over it; the tooltip shows ``fields``.  ``geojson``
    goes to :class:`folium.GeoJson` (e.g. ``marker``).  The name is escaped.
    """
    safe_name = escape_text(name)
    group = folium.FeatureGroup(name=safe_name, overlay=True, show=show)
    layer = folium.GeoJson(
        _feature_collection(rows, DEFAULT_DECIMALS),
        name=safe_name,
        control=False,
        style_function=lambda f: styles[f["id"]],
        highlight_function=lambda f: {**styles[f["id"]], **highlight},
        **geojson,
    )
    tip = _tooltip(fields, list(fields))
    if tip is not None:
        layer.add_child(tip)
    layer.add_to(group)
    return group


def point_layer(
    gdf: gpd.GeoDataFrame,
    name: str,
    *,
    value_col: str | None = None,
    tooltip_cols: TooltipSpec = None,
    label_col: str | None = None,
    style: PathStyle = POINT_STYLE,
    max_radius_px: float = 18.0,
    min_radius_px: float = 3.0,
    show: bool = True,
) -> folium.FeatureGroup:
    """Circles at points (e.g. trust sites), area proportional to a value.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Points in EPSG:27700 (polygons are drawn at a point inside them).
    name : str
        Layer name (escaped).
    value_col : str, optional
        Column sizing the circles (circle area proportional to the value);
        without it every circle has ``min_radius_px * 2``.
    tooltip_cols : sequence or mapping, optional
        Columns shown on hover (formatted, escaped).
    label_col : str, optional
        Column labelling the points.
    style : PathStyle
    max_radius_px, min_radius_px : float
        Radius of the largest value, and the smallest radius drawn.
    show : bool

    Returns
    -------
    folium.FeatureGroup
        With attribute ``legend_entries`` (list of :data:`LegendEntry`).
    """
    pts = _points_4326(gdf)
    ids = _ids(pts)
    fields = _tooltip_fields(pts, tooltip_cols)
    base = _style_dict(style)
    if value_col is not None:
        vals = pd.to_numeric(pts[value_col], errors="coerce").fillna(0).clip(lower=0).to_numpy(float)
        top = vals.max() if len(vals) and vals.max() > 0 else 1.0
        radii = np.maximum(min_radius_px, max_radius_px * np.sqrt(vals / top))
    else:
        radii = np.full(len(pts), min_radius_px * 2)
    styles = {i: {**base, "radius": round(float(r), 1)} for i, r in zip(ids, radii)}
    rows = []
    for k, (fid, geom) in enumerate(zip(ids, pts.geometry.values)):
        props = {col: escape_text(format_value(pts[col].iloc[k])) for col in fields}
        rows.append((fid, geom, props))
    group = _geojson_group(name, show, rows, fields, styles, {"weight": 3}, marker=folium.CircleMarker())
    if label_col is not None:
        labels = [(g.y, g.x, escape_text(format_value(v)), float(r) + 3)
                  for g, v, r in zip(pts.geometry.values, pts[label_col], radii)]
        Labels(labels, name=escape_text(f"{name} labels"), control=False,
               class_name="fp-label").add_to(group)
    text = f"{name}" + (f" (circle area shows {value_col})" if value_col else "")
    group.legend_entries = [(swatch_svg(style, kind="point", size=(28, 20), radius=7), text)]  # type: ignore[attr-defined]
    return group


def flow_lines(
    origin: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry,
    destinations: gpd.GeoDataFrame,
    name: str,
    *,
    share_col: str = "share",
    inside_col: str = "inside",
    tooltip_cols: TooltipSpec = None,
    max_weight_px: float = 14.0,
    min_weight_px: float = 1.0,
    crs: Any = 27700,
    show: bool = True,
) -> folium.FeatureGroup:
    """Straight lines from one origin area to destination points.

    Line width is proportional to ``share_col``; lines to destinations with
    ``inside_col`` true are solid blue, the others dashed vermilion (readable
    in greyscale too).

    Parameters
    ----------
    origin : GeoDataFrame / GeoSeries with one shape, or a shapely geometry
        The origin area (lines start at a point inside it).  A bare geometry
        is taken to be in ``crs``.
    destinations : geopandas.GeoDataFrame
        Points (e.g. provider sites) in EPSG:27700 with the share and inside
        columns.
    name : str
        Layer name (escaped).
    share_col, inside_col : str
        Column names.
    tooltip_cols : sequence or mapping, optional
        Destination columns shown on hover (formatted, escaped).
    max_weight_px, min_weight_px : float
    crs : CRS of a bare ``origin`` geometry.
    show : bool

    Returns
    -------
    folium.FeatureGroup
        With attribute ``legend_entries``.
    """
    if isinstance(origin, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if len(origin) != 1:
            raise ValueError(f"flow_lines needs exactly one origin shape, got {len(origin)}")
        o = gpd.GeoSeries(origin.geometry if isinstance(origin, gpd.GeoDataFrame) else origin)
    else:
        o = gpd.GeoSeries([origin], crs=crs)
    o_pt = o.to_crs(27700).representative_point().to_crs(4326).iloc[0]
    dest = _points_4326(destinations)
    share = pd.to_numeric(dest[share_col], errors="coerce").fillna(0).clip(lower=0).to_numpy(float)
    top = share.max() if len(share) and share.max() > 0 else 1.0
    weights = np.maximum(min_weight_px, max_weight_px * share / top)
    inside = dest[inside_col].fillna(False).astype(bool).to_numpy()
    fields = _tooltip_fields(dest, tooltip_cols)
    ids = _ids(dest)
    order = np.argsort(-share, kind="stable")  # thick lines first, thin on top
    rows, styles = [], {}
    for k in order:
        fid = ids[k]
        line = shapely.LineString([(o_pt.x, o_pt.y), (dest.geometry.values[k].x, dest.geometry.values[k].y)])
        props = {col: escape_text(format_value(dest[col].iloc[k])) for col in fields}
        rows.append((fid, line, props))
        st = FLOW_INSIDE if inside[k] else FLOW_OUTSIDE
        styles[fid] = {**_style_dict(st), "weight": round(float(weights[k]), 1)}
    group = _geojson_group(name, show, rows, fields, styles, {"opacity": 1.0, "color": "#000000"})
    group.legend_entries = [  # type: ignore[attr-defined]
        (swatch_svg(FLOW_INSIDE, kind="line"), f"{name}: provider inside (width shows {share_col})"),
        (swatch_svg(FLOW_OUTSIDE, kind="line"), f"{name}: provider outside"),
    ]
    return group


def _default_tooltip(gdf: pd.DataFrame, verdict_col: str | None) -> dict[str, str]:
    fields: dict[str, str] = {}
    for col, alias in (("name", "Name"), ("code", "Code")):
        if col in gdf:
            fields[col] = alias
    if verdict_col and verdict_col in gdf:
        fields["_verdict_text"] = "Verdict"
    for col in gdf.columns:
        if col in fields or col == gdf.geometry.name or col.startswith("_"):
            continue
        if pd.api.types.is_numeric_dtype(gdf[col]) and not pd.api.types.is_bool_dtype(gdf[col]):
            fields[col] = col.replace("_", " ")
    for col in ("reason", "reasons"):
        if col in gdf:
            fields[col] = "Why"
    return fields


def footprint_map(
    footprints_gdf: gpd.GeoDataFrame,
    *,
    title: str,
    subtitle: str | None = None,
    source_line: str,
    verdict_col: str | None = "verdict",
    labels: bool = True,
    layers: Sequence[folium.map.Layer] = (),
    tooltip_cols: TooltipSpec = None,
    date: dt.date | None = None,
    basemap: bool = False,
    legend_title: str = "Footprints",
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    **map_kwargs: Any,
) -> folium.Map:
    """A board-ready map of footprints, styled by verdict.

    Parameters
    ----------
    footprints_gdf : geopandas.GeoDataFrame
        EPSG:27700 footprints with ``code``, ``name``, ``geometry``, the
        verdict column and any numbers to show.
    title, subtitle : str
        Title block (escaped).
    source_line : str
        Source and licence text; the date is appended (escaped).
    verdict_col : str or None
        Column with pass / fail / not checked values (see
        :func:`layers.style.verdict_key`).  Missing column or ``None``:
        footprints get categorical colours, neighbours differing.
    labels : bool
        Label footprints with their names.
    layers : sequence of folium layers
        Extra layers (e.g. from :func:`point_layer`, :func:`flow_lines`,
        :func:`polygon_layer`) drawn above the footprints; their
        ``legend_entries`` join the legend and a layer switcher is added.
    tooltip_cols : sequence or mapping, optional
        Tooltip columns; default name, code, verdict, numeric columns and
        ``reason``.
    date : datetime.date, optional
        Date for the source line (default today).
    basemap : bool
        Add OpenStreetMap tiles (needs a network).
    legend_title : str
    tolerance_m : float
        Simplification tolerance.
    **map_kwargs
        Passed to :func:`base_map`.

    Returns
    -------
    folium.Map
    """
    fp = footprints_gdf.copy()
    m = base_map(fp, basemap=basemap, **map_kwargs)
    use_verdict = bool(verdict_col) and verdict_col in fp
    entries: list[LegendEntry] = []
    if use_verdict:
        keys = [verdict_key(v) for v in fp[verdict_col]]
        fp["_verdict_key"] = keys
        fp["_verdict_text"] = [VERDICT_LABELS[k] for k in keys]
        style: StyleSpec = lambda row: VERDICT_STYLES[row["_verdict_key"]]  # noqa: E731
        counts = pd.Series(keys).value_counts()
        # name the failing rule(s) when the frame says which ("failed": rule names joined with ", ")
        failed = (sorted({r for k, v in zip(keys, fp["failed"]) if k == "fail" for r in str(v).split(", ") if r})
                  if "failed" in fp else [])
        for k in VERDICTS:
            if counts.get(k, 0):
                text = f"{VERDICT_LABELS[k]} ({counts[k]})"
                if k == "fail" and failed:
                    text += ": " + ", ".join(failed)
                entries.append((swatch_svg(VERDICT_STYLES[k]), text))
    else:
        fp["_colour"] = categorical_colours(fp)
        base = PathStyle(color="#333333", weight=1.5, fill_opacity=0.55, fill_color="#000000")
        style = lambda row: base.with_(fill_color=row["_colour"])  # noqa: E731
    tips = _default_tooltip(fp, verdict_col if use_verdict else None) if tooltip_cols is None else tooltip_cols
    layer = polygon_layer(
        fp, "Footprints", style=style, tooltip_cols=tips,
        label_col="name" if labels and "name" in fp else None, tolerance_m=tolerance_m,
    )
    layer.add_to(m)
    for extra in layers:
        extra.add_to(m)
        entries.extend(getattr(extra, "legend_entries", []))
    if layers:
        folium.LayerControl(position="topright", collapsed=True).add_to(m)

    return add_board_frame(m, title=title, subtitle=subtitle, source_line=source_line, date=date,
                           entries=entries, legend_title=legend_title)


def add_board_frame(m: folium.Map, *, title: str, subtitle: str | None, source_line: str,
                    date: dt.date | None, entries: list, legend_title: str) -> folium.Map:
    """Add a board map's title panel, source-and-date line and legend (all user text escaped)."""
    m.get_root().title = escape_text(title)  # the page <title> (and the PDF's title)
    title_html = f'<div class="fp-title-main">{escape_text(title)}</div>'
    if subtitle:
        title_html += f'<div class="fp-title-sub">{escape_text(subtitle)}</div>'
    MapControl(title_html, position="topleft", class_name="fp-panel fp-title").add_to(m)
    when = (date or dt.date.today()).strftime("%d %B %Y").lstrip("0")
    MapControl(f"{escape_text(source_line)} \u00b7 Map drawn {escape_text(when)}",
               position="bottomleft", class_name="fp-panel fp-source").add_to(m)
    if entries:
        MapControl(legend_html(entries, legend_title), position="bottomright",
                   class_name="fp-panel fp-legend").add_to(m)
    return m
