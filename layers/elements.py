"""Folium elements of our own: a compact polygon layer, labels, map controls, CSS.

All of them write their data into the page as JSON through
:func:`layers.text.script_json` (which cannot close a ``<script>``), and all
text in them has been escaped with :func:`layers.text.escape_text` by the
caller (:mod:`layers.maps`).  They work both in a standalone HTML file and
inside streamlit-folium, which re-runs each element's ``script`` macro.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import folium
import numpy as np
from folium.map import Layer
from folium.template import Template

from .text import script_json
from .topology import DECODE_JS, pack_topology, to_topology

__all__ = ["TopoGeoJson", "Labels", "MapControl", "MapCss", "MAP_CSS"]


class TopoGeoJson(folium.GeoJson):
    """A ``folium.GeoJson`` whose polygons travel as a packed TopoJSON.

    Shared edges are stored once, coordinates as small integers; a 1 kB
    decoder rebuilds GeoJSON in the browser and hands it to ``L.geoJson``, so
    styles, highlight, ``folium.GeoJsonTooltip`` and streamlit-folium's
    click reporting (``feature.id``, ``feature.properties``) work as with
    ``folium.GeoJson``.

    Parameters
    ----------
    geoms : array of shapely Polygon / MultiPolygon
        EPSG:4326, ideally from :func:`layers.geometry.to_map_geometry`.
    ids : sequence of str
        One unique id per feature (becomes ``feature.id``).
    properties : dict of column to list
        Feature properties (already escaped if they will be shown).
    style_function, highlight_function : callable, optional
        As for ``folium.GeoJson``: feature dict to Leaflet style dict.
    name : str, optional
        Layer name (escaped by the caller).
    decimals : int
        Quantisation, in decimal places of a degree.
    **kwargs
        Passed to ``folium.GeoJson`` (``overlay``, ``control``, ``show``,
        ``smooth_factor``...).
    """

    _template = Template(
        """
        {% macro style_switch(function_name, feature_identifier, style_map) %}
        function {{ function_name }}(feature) {
            switch({{ feature_identifier }}) {
                {%- for style, ids_list in style_map.items() if not style == 'default' %}
                {% for id_val in ids_list %}case {{ id_val|tojson }}: {% endfor %}
                    return {{ style }};
                {%- endfor %}
                default:
                    return {{ style_map['default'] }};
            }
        }
        {%- endmacro %}
        {% macro script(this, kwargs) %}
        {{ this.decoder }}
        {%- if this.style %}
        {{ style_switch(this.get_name() ~ '_styler', this.feature_identifier, this.style_map) }}
        {%- endif %}
        {%- if this.highlight %}
        {{ style_switch(this.get_name() ~ '_highlighter', this.feature_identifier, this.highlight_map) }}
        {%- endif %}
        function {{ this.get_name() }}_onEachFeature(feature, layer) {
            {%- if this.highlight %}
            layer.on({
                mouseout: function(e) {
                    if (typeof e.target.setStyle === "function") {
                        {{ this.get_name() }}.resetStyle(e.target);
                    }
                },
                mouseover: function(e) {
                    if (typeof e.target.setStyle === "function") {
                        e.target.setStyle({{ this.get_name() }}_highlighter(e.target.feature));
                    }
                }
            });
            {%- endif %}
        }
        var {{ this.get_name() }} = L.geoJson(null, {
            {%- if this.smooth_factor is not none %}
            smoothFactor: {{ this.smooth_factor|tojson }},
            {%- endif %}
            onEachFeature: {{ this.get_name() }}_onEachFeature,
            {%- if this.style %}
            style: {{ this.get_name() }}_styler,
            {%- endif %}
            ...{{ this.options|tojavascript }}
        });
        {{ this.get_name() }}.addData(window.fpTopoDecode({{ this.packed_json }}));
        {% endmacro %}
        """
    )

    def __init__(
        self,
        geoms: Sequence[Any],
        *,
        ids: Sequence[str],
        properties: dict[str, list[Any]],
        style_function: Callable[[dict], dict] | None = None,
        highlight_function: Callable[[dict], dict] | None = None,
        name: str | None = None,
        decimals: int = 5,
        **kwargs: Any,
    ):
        geoms = np.asarray(geoms, dtype=object)
        ids = [str(i) for i in ids]
        if len(set(ids)) != len(ids):
            raise ValueError("feature ids must be unique")
        topo = to_topology(geoms, properties=properties, ids=ids, decimals=decimals)
        self.packed_json = script_json(pack_topology(topo))
        self.decoder = DECODE_JS
        cols = list(properties)
        stub = {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "id": fid, "geometry": None,
                 "properties": {c: properties[c][k] for c in cols}}
                for k, fid in enumerate(ids)
            ],
        }
        super().__init__(stub, style_function=style_function,
                         highlight_function=highlight_function, name=name, **kwargs)
        self._name = "TopoGeoJson"
        if len(geoms):
            import shapely

            minx, miny, maxx, maxy = shapely.total_bounds(geoms)
            self._bounds = [[float(miny), float(minx)], [float(maxy), float(maxx)]]
        else:
            self._bounds = [[None, None], [None, None]]

    def find_identifier(self) -> str:  # our stub always has unique ids
        """Features are identified by ``feature.id``."""
        return "feature.id"

    def _get_self_bounds(self) -> list[list[float | None]]:
        return self._bounds


class Labels(Layer):
    """Text labels at given points, as non-interactive Leaflet div-icons.

    Parameters
    ----------
    points : sequence of (lat, lon, html) or (lat, lon, html, dx)
        ``html`` must already be escaped (it is set as ``innerHTML``).  With
        ``dx`` (pixels) the label starts ``dx`` to the right of the point
        instead of being centred on it.
    name : str
        Layer name (escaped by the caller).
    class_name : str
        CSS class of the label text.
    **kwargs
        ``overlay``, ``control``, ``show`` as for ``folium.map.Layer``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.layerGroup();
        {{ this.items_json }}.forEach(function (it) {
            var right = typeof it[3] === "number";
            L.marker([it[0], it[1]], {
                interactive: false, keyboard: false,
                icon: L.divIcon({className: "fp-label-anchor", iconSize: null,
                                 html: '<span class="{{ this.class_name }}' + (right ? ' fp-label-right" style="left:' + it[3] + 'px"' : '"') + '>' + it[2] + '</span>'})
            }).addTo({{ this.get_name() }});
        });
        {% endmacro %}
        """
    )

    def __init__(self, points: Sequence[tuple[float, float, str]], name: str = "Labels",
                 class_name: str = "fp-label", **kwargs: Any):
        kwargs.setdefault("overlay", True)
        super().__init__(name=name, **kwargs)
        self._name = "Labels"
        if not class_name.replace("-", "").isalnum():
            raise ValueError("class_name must be letters, digits and hyphens")
        self.class_name = class_name
        items = []
        for p in points:
            item: list[Any] = [round(float(p[0]), 6), round(float(p[1]), 6), str(p[2])]
            if len(p) > 3 and p[3] is not None:
                item.append(round(float(p[3]), 1))
            items.append(item)
        self.items_json = script_json(items)


class MapControl(folium.MacroElement):
    """A fixed panel on the map (title block, legend, source line).

    Parameters
    ----------
    html : str
        Panel content; every piece of text in it must already be escaped.
    position : {"topleft", "topright", "bottomleft", "bottomright", "side"}
        ``side`` puts the panel in a column beside the map, never over the
        areas: the map narrows to make room and is fitted again to what it
        showed (legends and source lines that covered areas go there).
    class_name : str
        CSS class(es) of the panel.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {% if this.position == "side" %}
        (function () {
            var map = {{ this._parent.get_name() }}, el = map.getContainer();
            var side = document.getElementById(el.id + "-side");
            if (!side) {
                var shown = map.getBounds();
                side = document.createElement("div");
                side.id = el.id + "-side";
                side.className = "fp-side";
                el.parentNode.insertBefore(side, el.nextSibling);
                el.classList.add("fp-map-with-side");
                map.invalidateSize({animate: false});
                map.fitBounds(shown, {animate: false});
            }
            var div = document.createElement("div");
            div.className = {{ this.class_name|tojson }};
            div.innerHTML = {{ this.html_json }};
            side.appendChild(div);
        })();
        {% else %}
        (function () {
            var ctl = L.control({position: {{ this.position|tojson }}});
            ctl.onAdd = function () {
                var div = L.DomUtil.create("div", {{ this.class_name|tojson }});
                div.innerHTML = {{ this.html_json }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            ctl.addTo({{ this._parent.get_name() }});
        })();
        {% endif %}
        {% endmacro %}
        """
    )

    def __init__(self, html: str, *, position: str = "topleft", class_name: str = "fp-panel"):
        super().__init__()
        self._name = "MapControl"
        if position not in ("topleft", "topright", "bottomleft", "bottomright", "side"):
            raise ValueError(f"bad control position {position!r}")
        self.position = position
        self.class_name = class_name
        self.html_json = script_json(html)


#: Styles for labels, panels and the legend; also a white background and a
#: print rule that hides the zoom buttons and layer switcher.
MAP_CSS = """
.leaflet-container.fp-map, .fp-map.leaflet-container { background: #ffffff; }
.fp-label-anchor { width: 0; height: 0; }
.fp-label.fp-label-right { transform: translate(0, -50%); }
.fp-label, .fp-label-stp, .fp-label-area { position: absolute; transform: translate(-50%, -50%); white-space: nowrap;
  font: 600 12px/1.15 "Helvetica Neue", Arial, sans-serif; color: #111;
  text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff, 0 0 4px #fff; pointer-events: none; }
.fp-label-stp { font-size: 12.5px; font-weight: 700; letter-spacing: 0.08em; text-transform: uppercase; color: #0b2a55; }
.fp-label-area { font-size: 11px; font-weight: 400; font-style: italic; color: #3d3d3d; }
.fp-panel { background: rgba(255,255,255,0.94); padding: 6px 10px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.35); font: 13px/1.35 "Helvetica Neue", Arial, sans-serif;
  color: #111; max-width: 42vw; }
.fp-title-main { font-size: 18px; font-weight: 700; }
.fp-title-sub { font-size: 13px; color: #333; margin-top: 2px; }
.fp-legend-title { font-weight: 700; margin-bottom: 4px; }
.fp-legend-row { display: flex; align-items: center; gap: 8px; margin: 3px 0; }
.fp-legend-row svg { flex: none; }
.fp-source { font-size: 11px; color: #333; box-shadow: none; background: rgba(255,255,255,0.85);
  max-width: 70vw; }
.fp-map-with-side { width: calc(100% - 272px) !important; }
.fp-side { position: absolute; top: 0; right: 0; bottom: 0; width: 264px; overflow-y: auto; box-sizing: border-box;
  padding: 6px 4px; display: flex; flex-direction: column; gap: 8px; background: #ffffff; }
.fp-side .fp-panel { max-width: none; box-shadow: none; border: 1px solid #c8c8c8; }
.foliumtooltip table { border-collapse: collapse; }
.leaflet-tooltip { width: max-content; max-width: min(440px, 60vw); white-space: normal; }
.leaflet-tooltip th { white-space: nowrap; vertical-align: top; }
.leaflet-tooltip td { white-space: normal; overflow-wrap: break-word; min-width: 160px; vertical-align: top; }
@media print { .leaflet-control-zoom, .leaflet-control-layers { display: none; } }
"""


class MapCss(folium.MacroElement):
    """Adds :data:`MAP_CSS` (or other CSS) to the page header and a class on the map."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        L.DomUtil.addClass({{ this._parent.get_name() }}.getContainer(), "fp-map");
        {% endmacro %}
        """
    )

    def __init__(self, css: str = MAP_CSS):
        super().__init__()
        self._name = "MapCss"
        if "</" in css:
            raise ValueError("CSS must not contain '</'")
        self.css = css
