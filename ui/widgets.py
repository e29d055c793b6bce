"""Deprecated: moved to :mod:`ui.tables`, :mod:`ui.maps`, :mod:`ui.files`, :mod:`ui.state` and :mod:`ui.controls`.

The names stay importable from here for now.  Where each lives:

- tables and their words (``RULE_LABELS``, ``source_line``, ``verdict_text``, ``report_table``, ``md``...):
  :mod:`ui.tables` (the rule words themselves: :data:`spatial.thresholds.RULE_WORDS`);
- map frames and maps (``footprint_frame``, ``map_frame``, ``MAP_TOOLTIP``, ``show_map``, ``scenario_map``):
  :mod:`ui.maps`;
- the scenarios folder (``scenarios_dir``, ``safe_scenario_name``, ``scenario_path``, ``saved_scenarios``):
  :mod:`ui.files`;
- the checking engine and loading into the session (``checking_engine``, ``load_into_session``): :mod:`ui.state`;
- controls (``region_picker``, ``region_options``, ``run_with_progress``, ``level_options``): :mod:`ui.controls`.

The upload reader and the overlap pieces are engine work: :mod:`spatial.io` (``MAX_UPLOAD_BYTES``,
``scenario_from_upload``) and :mod:`spatial.overlaps` (``PIECE_KINDS``, ``overlap_pieces``).
"""

from __future__ import annotations

from spatial.io import MAX_UPLOAD_BYTES, scenario_from_upload  # the upload reader is engine work (spatial.io.uploads)
from spatial.overlaps import PIECE_KINDS, overlap_pieces  # moved to the engine: spatial.overlaps.summary
from ui.controls import level_options, region_options, region_picker, run_with_progress
from ui.files import SCENARIOS_ENV, safe_scenario_name, saved_scenarios, scenario_path, scenarios_dir
from ui.maps import MAP_TOOLTIP, footprint_frame, map_frame, scenario_map, show_map
from ui.state import checking_engine, load_into_session
from ui.tables import (CARE_FLOW_CREDIT, RULE_LABELS, TABLE_KEY, VERDICT_TEXT, md, report_or_error, report_table,
                       source_line, stp_options, verdict_text)

__all__ = [
    "RULE_LABELS",
    "VERDICT_TEXT",
    "MAX_UPLOAD_BYTES",
    "SCENARIOS_ENV",
    "source_line",
    "verdict_text",
    "report_or_error",
    "report_table",
    "footprint_frame",
    "map_frame",
    "show_map",
    "load_into_session",
    "scenarios_dir",
    "safe_scenario_name",
    "scenario_path",
    "saved_scenarios",
    "scenario_from_upload",
    "stp_options",
    "TABLE_KEY",
    "CARE_FLOW_CREDIT",
    "MAP_TOOLTIP",
    "scenario_map",
    "md",
    "checking_engine",
    "run_with_progress",
    "level_options",
    "region_options",
    "region_picker",
    "PIECE_KINDS",
    "overlap_pieces",
]
