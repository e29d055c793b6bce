"""Deprivation maps: units shaded by national IMD 2019 decile, footprint outlines on top.

The palette is sequential and colour-blind safe (cividis, Nuñez, Anderton &
Renslow 2018, designed to read the same for the common colour-vision
deficiencies and in greyscale): **dark blue = most deprived decile 1, light
yellow = least deprived decile 10**.  The legend says so in words, so the
direction never relies on colour alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

import folium
import geopandas as gpd

from .maps import add_board_frame, base_map, polygon_layer
from .style import PathStyle, swatch_svg

__all__ = ["DECILE_COLOURS", "decile_style", "decile_legend", "deprivation_map", "LEGEND_TITLE"]

#: Decile 1 (most deprived) ... decile 10 (least deprived): cividis, dark to light.
DECILE_COLOURS: tuple[str, ...] = (
    "#00224e", "#123570", "#3b496c", "#575d6d", "#707173",
    "#8a8678", "#a59c74", "#c3b369", "#e1cc55", "#fee838",
)
LEGEND_TITLE = "IMD 2019 national decile (on 2011 areas)"
#: Footprint outlines over the shading.
OUTLINE_STYLE = PathStyle(color="#000000", weight=2.6, fill_color=None)
_NO_DATA = PathStyle(color="#999999", weight=0.2, fill_color="#FFFFFF", fill_opacity=0.0, dash_array="1 3")


def decile_style(decile: Any) -> PathStyle:
    """Fill for one unit's decile (no outline, so the shading reads as a surface)."""
    try:
        d = int(decile)
    except (TypeError, ValueError):
        return _NO_DATA
    if not 1 <= d <= 10:
        return _NO_DATA
    c = DECILE_COLOURS[d - 1]
    return PathStyle(color=c, weight=0.3, fill_color=c, fill_opacity=0.85)


def decile_legend(present: Sequence[int] | None = None) -> list[tuple[str, str]]:
    """Legend entries: direction first, then one swatch per decile."""
    entries = [("", "Darker = more deprived")]
    for d in range(1, 11):
        if present is not None and d not in present:
            continue
        text = f"{d}" + (" – most deprived 10%" if d == 1 else " – least deprived 10%" if d == 10 else "")
        entries.append((swatch_svg(decile_style(d)), text))
    return entries


def deprivation_map(
    units: gpd.GeoDataFrame,
    footprints: gpd.GeoDataFrame | None = None,
    *,
    title: str,
    source_line: str,
    subtitle: str | None = None,
    decile_col: str = "imd_decile",
    labels: bool = True,
    date: dt.date | None = None,
    **map_kwargs: Any,
) -> folium.Map:
    """Units shaded by IMD decile, with the footprints' outlines and names.

    Parameters
    ----------
    units : GeoDataFrame
        EPSG:27700 units with ``code``, ``name`` and ``decile_col``.
    footprints : GeoDataFrame, optional
        EPSG:27700 footprints (``name``, ``geometry``) drawn as outlines.
    title, subtitle, source_line : str
        Title block and source line (escaped; the date is appended).

    Returns
    -------
    folium.Map
    """
    shade = units[["code", "name", decile_col, units.geometry.name]].copy()
    shade = shade.rename(columns={decile_col: "imd_decile"})
    m = base_map(footprints if footprints is not None and len(footprints) else shade, **map_kwargs)
    layer = polygon_layer(shade, "IMD 2019 decile", style=lambda row: decile_style(row["imd_decile"]),
                          tooltip_cols={"name": "Area", "code": "Code", "imd_decile": "IMD decile (1 = most deprived)"},
                          highlight=False, coverage=True)
    layer.add_to(m)
    if footprints is not None and len(footprints):
        outline = polygon_layer(footprints[["name", footprints.geometry.name]].copy(), "Footprints",
                                style=OUTLINE_STYLE, tooltip_cols={"name": "Footprint"}, highlight=False,
                                label_col="name" if labels else None)
        outline.add_to(m)
    present = sorted({int(d) for d in shade["imd_decile"].dropna()})
    entries = decile_legend(present)
    if footprints is not None and len(footprints):
        entries.append((swatch_svg(OUTLINE_STYLE, kind="line"), "Footprint boundary"))
    return add_board_frame(m, title=title, subtitle=subtitle, source_line=source_line, date=date,
                           entries=entries, legend_title=LEGEND_TITLE)
