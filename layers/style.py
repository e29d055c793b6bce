"""Colours and line styles for maps: colour-blind safe and readable in greyscale.

Palettes come from Paul Tol (https://personal.sron.nl/~pault/) and from
Okabe & Ito (2008); both stay distinct for the common forms of colour
blindness.

Verdicts (pass / fail / not checked) never rely on hue alone.  They also
differ in

* lightness once printed in grey (fail is a strong mid grey, pass a light
  grey, not checked almost white),
* outline dash pattern (solid / dashed / dotted),
* fill opacity,

so a board paper printed in black and white still reads, and the legend
swatches are drawn with exactly the same style as the map.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "PathStyle",
    "TOL_HIGH_CONTRAST",
    "TOL_MUTED",
    "SKETCH_PALETTE",
    "SKETCH_FILL_OPACITY",
    "SKETCH_UNASSIGNED",
    "SKETCH_DOUBLE",
    "OKABE_ITO",
    "VERDICTS",
    "VERDICT_LABELS",
    "VERDICT_STYLES",
    "HIGHLIGHT",
    "BOUNDARY_STYLE",
    "FLOW_INSIDE",
    "FLOW_OUTSIDE",
    "POINT_STYLE",
    "verdict_key",
    "verdict_style",
    "categorical_colours",
    "swatch_svg",
    "check_style",
]

#: Paul Tol's high-contrast scheme (also fine in greyscale): blue, yellow, red.
TOL_HIGH_CONTRAST: Mapping[str, str] = {"blue": "#004488", "yellow": "#DDAA33", "red": "#BB5566"}
#: Paul Tol's muted qualitative scheme: nine colours for footprints.
TOL_MUTED: tuple[str, ...] = (
    "#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE",
    "#882255", "#44AA99", "#999933", "#AA4499",
)
#: Footprint fills on the Sketch map, in order (colours from Tol's and Okabe-Ito's schemes, chosen
#: greedily for the largest smallest CIEDE2000 difference as drawn: each at
#: :data:`SKETCH_FILL_OPACITY` over white, against each other, the "not in a footprint" tint
#: (:data:`SKETCH_UNASSIGNED`), the "in two or more" black and plain white, with normal vision and
#: under Machado et al. (2009) deuteranopia and protanopia).  The first
#: :data:`SKETCH_DISTINCT` differ by at least :data:`SKETCH_MIN_DELTA_E` in all three
#: views, the rest by at least :data:`SKETCH_MIN_DELTA_E_ALL` (tests/layers/test_colours.py).
SKETCH_PALETTE: tuple[str, ...] = (
    "#1965B0", "#225522", "#E69F00", "#009988", "#66CCEE", "#4EB265", "#882255", "#F7F056", "#997700",
)
#: Fill opacity of footprints not being edited (the edited one is drawn at 0.78).
SKETCH_FILL_OPACITY = 0.55
#: Tint (and its opacity) of units in no footprint of the level; units in two or more are black at 0.6.
SKETCH_UNASSIGNED = ("#DDAA33", 0.16)
SKETCH_DOUBLE = ("#000000", 0.6)
#: How many leading palette colours are guaranteed clearly distinct, and by how much (CIEDE2000;
#: ~10 reads as "clearly different" at a glance on a map fill, 2.3 is a just-noticeable difference).
SKETCH_DISTINCT = 5
SKETCH_MIN_DELTA_E = 10.0
SKETCH_MIN_DELTA_E_ALL = 7.0
#: Okabe-Ito qualitative scheme (without black).
OKABE_ITO: tuple[str, ...] = (
    "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
)


@dataclass(frozen=True)
class PathStyle:
    """Style of a Leaflet path (polygon outline and fill, or line).

    Parameters
    ----------
    color : str
        Outline (or line) colour.
    weight : float
        Outline width in pixels.
    fill_color : str, optional
        Fill colour; ``None`` for lines.
    fill_opacity : float
    opacity : float
        Outline opacity.
    dash_array : str, optional
        SVG dash pattern, e.g. ``"6 4"``; ``None`` for solid.
    line_cap : str
    """

    color: str
    weight: float = 1.5
    fill_color: str | None = None
    fill_opacity: float = 0.0
    opacity: float = 1.0
    dash_array: str | None = None
    line_cap: str = "round"

    def leaflet(self) -> dict[str, Any]:
        """Leaflet path options (camelCase keys)."""
        out: dict[str, Any] = {
            "color": self.color,
            "weight": self.weight,
            "opacity": self.opacity,
            "lineCap": self.line_cap,
            "dashArray": self.dash_array,
        }
        if self.fill_color is not None:
            out.update(fill=True, fillColor=self.fill_color, fillOpacity=self.fill_opacity)
        else:
            out["fill"] = False
        return out

    def with_(self, **changes: Any) -> "PathStyle":
        """Copy with some fields changed."""
        return replace(self, **changes)


#: Verdict keys, in legend order.
VERDICTS: tuple[str, ...] = ("pass", "fail", "unchecked")
#: Default legend text per verdict.
VERDICT_LABELS: Mapping[str, str] = {
    "pass": "Meets the tests",
    "fail": "Fails a test",
    "unchecked": "Not checked",
}
#: Polygon style per verdict.
VERDICT_STYLES: Mapping[str, PathStyle] = {
    "pass": PathStyle(color="#004488", weight=2.0, fill_color="#004488", fill_opacity=0.22),
    "fail": PathStyle(color="#6B1F33", weight=2.5, fill_color="#BB5566", fill_opacity=0.65,
                      dash_array="8 5", line_cap="butt"),
    "unchecked": PathStyle(color="#555555", weight=1.5, fill_color="#BBBBBB", fill_opacity=0.12,
                           dash_array="1 5"),
}
#: Added to a polygon's style under the mouse.
HIGHLIGHT: Mapping[str, Any] = {"weight": 4, "color": "#000000", "fillOpacity": 0.75}
#: Plain boundary lines (e.g. boroughs drawn over footprints).
BOUNDARY_STYLE = PathStyle(color="#333333", weight=1.0, fill_color="#FFFFFF", fill_opacity=0.0)
#: Care-flow lines to providers inside / outside the footprint.
FLOW_INSIDE = PathStyle(color=TOL_HIGH_CONTRAST["blue"], weight=3.0, opacity=0.85)
FLOW_OUTSIDE = PathStyle(color="#D55E00", weight=3.0, opacity=0.85, dash_array="7 5", line_cap="butt")
#: Provider (trust) points.
POINT_STYLE = PathStyle(color="#000000", weight=1.0, fill_color="#E69F00", fill_opacity=0.85)

_TRUE = {"pass", "passes", "passed", "met", "meets", "yes", "true", "ok"}
_FALSE = {"fail", "fails", "failed", "not met", "no", "false"}
_NONE = {"", "not checked", "unchecked", "unknown", "n/a", "na", "none", "nan", "not_checked"}


def verdict_key(value: Any) -> str:
    """Normalise a verdict value to ``"pass"``, ``"fail"`` or ``"unchecked"``.

    Parameters
    ----------
    value : bool, str or None
        ``True`` / ``"pass"`` / ``"met"`` ..., ``False`` / ``"fail"`` ...,
        ``None`` / NaN / ``"not checked"`` ...

    Returns
    -------
    str

    Raises
    ------
    ValueError
        For a value that is none of these (a bug upstream, not a style choice).
    """
    if isinstance(value, (bool, np.bool_)):
        return "pass" if value else "fail"
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return "unchecked"
    text = str(value).strip().lower()
    if text in _TRUE:
        return "pass"
    if text in _FALSE:
        return "fail"
    if text in _NONE:
        return "unchecked"
    raise ValueError(f"unknown verdict {value!r}; use pass, fail or not checked")


def verdict_style(value: Any) -> PathStyle:
    """Polygon style for a verdict value (see :func:`verdict_key`)."""
    return VERDICT_STYLES[verdict_key(value)]


def categorical_colours(gdf: Any, palette: Sequence[str] = TOL_MUTED) -> list[str]:
    """Give each polygon a palette colour, different from its neighbours'.

    Greedy colouring, most-connected polygons first: touching polygons get
    different colours whenever the palette is long enough (nine colours
    suffice for any real map of footprints).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Polygons, any CRS.
    palette : sequence of str

    Returns
    -------
    list of str
        One colour per row, in row order.
    """
    import shapely

    geoms = np.asarray(gdf.geometry.values, dtype=object)
    n = len(geoms)
    if n == 0:
        return []
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left != right
    neighbours: list[set[int]] = [set() for _ in range(n)]
    for a, b in zip(left[keep].tolist(), right[keep].tolist()):
        neighbours[a].add(b)
    order = sorted(range(n), key=lambda i: -len(neighbours[i]))
    colour_of: dict[int, int] = {}
    for i in order:
        used = {colour_of[j] for j in neighbours[i] if j in colour_of}
        free = [c for c in range(len(palette)) if c not in used]
        colour_of[i] = free[0] if free else i % len(palette)
    return [palette[colour_of[i]] for i in range(n)]


def swatch_svg(style: PathStyle, *, kind: str = "polygon", size: tuple[int, int] = (28, 16),
               radius: float | None = None) -> str:
    """An inline SVG legend swatch drawn with the map's own style.

    Parameters
    ----------
    style : PathStyle
    kind : {"polygon", "line", "point"}
    size : (width, height) in pixels
    radius : float, optional
        Circle radius for ``kind="point"``.

    Returns
    -------
    str
        ``<svg>`` markup (style values are checked by :func:`check_style`).
    """
    opts = check_style(style.leaflet())
    w, h = size
    stroke = (
        f'stroke="{opts["color"]}" stroke-width="{opts["weight"]}" '
        f'stroke-opacity="{opts["opacity"]}" stroke-linecap="{opts["lineCap"]}"'
        + (f' stroke-dasharray="{opts["dashArray"]}"' if opts.get("dashArray") else "")
    )
    fill = (
        f'fill="{opts["fillColor"]}" fill-opacity="{opts["fillOpacity"]}"'
        if opts.get("fill") else 'fill="none"'
    )
    if kind == "line":
        shape = f'<line x1="2" y1="{h / 2}" x2="{w - 2}" y2="{h / 2}" {stroke}/>'
    elif kind == "point":
        r = radius if radius is not None else min(w, h) / 2 - 1
        shape = f'<circle cx="{w / 2}" cy="{h / 2}" r="{r}" {fill} {stroke}/>'
    else:
        inset = max(1.0, float(opts["weight"]) / 2)
        shape = (f'<rect x="{inset}" y="{inset}" width="{w - 2 * inset}" height="{h - 2 * inset}" '
                 f'{fill} {stroke}/>')
    return (f'<svg class="fp-swatch" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
            f'aria-hidden="true">{shape}</svg>')


_SAFE_VALUE = re.compile(r"^[#A-Za-z0-9 .,%()\-]*$")


def check_style(options: Mapping[str, Any]) -> dict[str, Any]:
    """Check Leaflet style options before they are written into a script.

    folium writes style dictionaries into the page with ``json.dumps``, which
    does not escape ``<``: a colour string such as ``"</script>..."`` would
    end the script element.  Only numbers, booleans, ``None`` and plain
    strings (colours, dash patterns, keywords) are accepted.

    Parameters
    ----------
    options : mapping

    Returns
    -------
    dict
        A copy of ``options``.

    Raises
    ------
    ValueError
        For any other value.
    """
    out: dict[str, Any] = {}
    for key, value in options.items():
        if not re.fullmatch(r"[A-Za-z]+", str(key)):
            raise ValueError(f"bad style option name {key!r}")
        if isinstance(value, str):
            if not _SAFE_VALUE.match(value):
                raise ValueError(f"unsafe style value {value!r} for {key!r}")
        elif value is not None and not isinstance(value, (bool, int, float, np.integer, np.floating)):
            raise ValueError(f"style value for {key!r} must be a number, bool or plain string")
        if isinstance(value, np.generic):
            value = value.item()
        out[str(key)] = value
    return out
