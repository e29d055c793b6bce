"""Deprecated: moved to spatial.io.

Scenario JSON, assignment CSVs, uploads and map exports now live in the
package :mod:`spatial.io` (``scenario_dict``, ``scenario_json``,
``assignment_csv``, ``uploads``, ``exports``).  This module re-exports its
public names (the same ``__all__``) so existing imports (``from
spatial.scenario_io import load_scenario``) keep working; new code imports
from :mod:`spatial.io`.
"""

from __future__ import annotations

from .io import *  # noqa: F401,F403  - the whole public API of spatial.io, nothing else
from .io import __all__  # noqa: F401
