"""Deprecated: moved to :mod:`layers.flowmaps` (care-flow maps).

Kept so that ``from layers.careflows import flow_map, ...`` keeps working.  The maps now draw
what was measured: ``flow_map(measures, shape, trusts)`` and ``flow_map_layers(measures, shape,
trusts)`` take a footprint's :class:`~spatial.careflows.FlowMeasures`, its dissolved shape
(:func:`spatial.geometry.footprint_geometry`) and the trust points
(:meth:`~spatial.careflows.CareFlows.trust_table`), and ``containment_choropleth`` draws
:func:`spatial.careflows.containment_frame` (``borough_containment_layer`` and
``scenario_containment_layer``, which measured, are gone).
"""

from .flowmaps import __all__ as _moved
from .flowmaps import (  # noqa: F401 - re-exported: __all__
    CONTAINMENT_BINS,
    CONTAINMENT_COLOURS,
    containment_choropleth,
    flow_lines_layer,
    flow_map,
    flow_map_layers,
    footprint_outline_layer,
    trust_points_layer,
)

__all__ = list(_moved)
