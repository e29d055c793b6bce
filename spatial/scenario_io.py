"""Deprecated: moved to spatial.io.

Scenario JSON, assignment CSVs, uploads and map exports now live in the
package :mod:`spatial.io` (``scenario_dict``, ``scenario_json``,
``assignment_csv``, ``uploads``, ``exports``).  This module re-exports the
public names so existing imports (``from spatial.scenario_io import
load_scenario``) keep working; new code imports from :mod:`spatial.io`.
"""

from __future__ import annotations

from .io import (
    FORMAT,
    MAX_BYTES,
    VERSION,
    assignment_from_csv,
    assignment_to_csv,
    atomic_write,
    dumps,
    export_geojson,
    export_gpkg,
    footprints_frame,
    load_scenario,
    loads,
    remove_orphan_temps,
    save_scenario,
    scenario_from_dict,
    scenario_to_dict,
    validate_members,
)

__all__ = [
    "FORMAT",
    "VERSION",
    "MAX_BYTES",
    "scenario_to_dict",
    "scenario_from_dict",
    "dumps",
    "loads",
    "load_scenario",
    "save_scenario",
    "remove_orphan_temps",
    "validate_members",
    "assignment_from_csv",
    "assignment_to_csv",
    "footprints_frame",
    "export_geojson",
    "export_gpkg",
    "atomic_write",
]
