"""Scenario files: the versioned JSON format, assignment CSVs, uploads and map exports.

Plans must survive reload and sharing, so reading is strict and every error
says what is wrong, where (file, line, column or field path such as
``footprints[2].members``) and how to fix it.  Every write is atomic
(:mod:`boundaries.files`), so a failure never leaves a half-written or missing
file behind.  The format is documented in ``docs/SCENARIO_FORMAT.md``.

Modules
-------
scenario_dict
    Scenario <-> the dict of a scenario file (format versions 1-3), member checks.
scenario_json
    JSON text and files: ``dumps``/``loads``, ``load_scenario``/``save_scenario``.
assignment_csv
    Assignment CSVs (``unit_code,footprint``).
uploads
    An uploaded JSON or CSV given as bytes.
exports
    One row per footprint with its shape, as GeoJSON or GeoPackage.

The package is ``spatial.io``; modules that ``import io`` still get the
standard library (imports are absolute).

Examples
--------
>>> from spatial.io import load_scenario, save_scenario
>>> scenario = load_scenario("plan.json")                  # doctest: +SKIP
>>> save_scenario(scenario.with_year(2019), "plan-2019.json")  # doctest: +SKIP
"""

from __future__ import annotations

from ..limits import MAX_SCENARIO_BYTES
from ._files import atomic_write
from .assignment_csv import assignment_from_csv, assignment_to_csv
from .exports import export_geojson, export_gpkg, footprints_frame
from .scenario_dict import FORMAT, VERSION, scenario_from_dict, scenario_to_dict, validate_members
from .scenario_json import dumps, load_scenario, loads, remove_orphan_temps, save_scenario
from .uploads import MAX_UPLOAD_BYTES, scenario_from_upload

#: Largest scenario or assignment file read (bytes), :data:`spatial.limits.MAX_SCENARIO_BYTES`.
MAX_BYTES = MAX_SCENARIO_BYTES

__all__ = [
    "FORMAT",
    "VERSION",
    "MAX_BYTES",
    "MAX_UPLOAD_BYTES",
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
    "scenario_from_upload",
    "footprints_frame",
    "export_geojson",
    "export_gpkg",
    "atomic_write",
]
