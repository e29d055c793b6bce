"""Deprecated: moved to :mod:`layers.flowmaps` (care-flow maps).

Kept so that ``from layers.careflows import flow_map, flow_map_layers, ...`` keeps working; the
functions are those of :mod:`layers.flowmaps` (``flow_map`` and ``flow_map_layers`` take what was
measured: ``flow_map(measures, shape, trusts)``).
"""

from .flowmaps import *  # noqa: F401,F403 - the old public names
from .flowmaps import __all__  # noqa: F401
