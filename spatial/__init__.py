"""Footprints engine: footprints at four levels, checks, overlaps, care flows, proposals.

No UI imports here: the app, the command line and the Python API call the same
functions.
"""

from .api import Engine
from .checks import CheckResult, FootprintReport, ScenarioReport, check_footprint, check_scenario
from .errors import (
    AssignmentError,
    FootprintError,
    ScenarioError,
    ScenarioFormatError,
    ThresholdError,
    UnknownCodeError,
)
from .footprints import Footprint, Scenario, resolve_members
from .index import UnitIndex
from .thresholds import LEVELS, SOURCES, Thresholds

__all__ = [
    "Engine", "Footprint", "Scenario", "Thresholds", "SOURCES", "LEVELS", "UnitIndex", "CheckResult",
    "FootprintReport", "ScenarioReport", "check_footprint", "check_scenario", "resolve_members",
    "ScenarioError", "ScenarioFormatError", "UnknownCodeError", "FootprintError", "ThresholdError",
    "AssignmentError",
]
