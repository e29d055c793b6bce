"""Footprints engine: footprints at four levels, checks, overlaps, care flows, proposals.

No UI imports here: the app, the command line and the Python API call the same
functions.
"""

import lazy_loader as _lazy

#: Names resolved from their modules on first use (``lazy_loader``, as in :mod:`boundaries`): the app's
#: first page imports the light modules it needs (thresholds, errors) without the engine's tables.
_LAZY = {
    "api": ["Engine"],
    "checks": ["CheckResult", "FootprintReport", "ScenarioReport", "check_footprint", "check_scenario"],
    "errors": ["AssignmentError", "FootprintError", "ScenarioError", "ScenarioFormatError", "ThresholdError",
               "UnknownCodeError"],
    "footprints": ["Footprint", "Scenario", "resolve_members"],
    "index": ["UnitIndex"],
    "thresholds": ["LEVELS", "SOURCES", "Thresholds"],
}
__getattr__, _, _ = _lazy.attach(__name__, submod_attrs=_LAZY)

__all__ = [
    "Engine", "Footprint", "Scenario", "Thresholds", "SOURCES", "LEVELS", "UnitIndex", "CheckResult",
    "FootprintReport", "ScenarioReport", "check_footprint", "check_scenario", "resolve_members",
    "ScenarioError", "ScenarioFormatError", "UnknownCodeError", "FootprintError", "ThresholdError",
    "AssignmentError",
]


def __dir__() -> list[str]:
    return sorted(__all__)
