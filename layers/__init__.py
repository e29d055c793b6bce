"""Drawing: folium layers and styling, legends, tooltips, exports.

Modules (import what you need; nothing is imported here):

* :mod:`layers.maps` -- ``base_map``, ``polygon_layer``, ``point_layer``,
  ``flow_lines``, ``footprint_map``;
* :mod:`layers.style` -- colour-blind-safe palettes and verdict styles;
* :mod:`layers.geometry` -- coverage-preserving simplification for drawing;
* :mod:`layers.topology` -- compact TopoJSON encoding of polygon layers;
* :mod:`layers.elements` -- our folium elements (polygon layer, labels,
  panels, CSS);
* :mod:`layers.text` -- escaping and number formatting for map text;
* :mod:`layers.assets` -- offline Leaflet, self-contained HTML;
* offline Leaflet inside ``st_folium`` (Streamlit wiring): :mod:`ui.components.st_folium_assets`
  (the only module that imports Streamlit);
* :mod:`layers.export` -- HTML, PNG, PDF, CSV and Excel exports.

``layers`` draws what the engine computed; it never computes a rule.
"""
