"""The checks a footprint gets, each with a verdict and a reason in plain words.

Every check works on unit ids and precomputed arrays (:class:`UnitIndex`):
no geometry is touched, so re-checking a footprint after one click takes well
under a millisecond on London's 4,835 units.

The package, one job per module:

* :mod:`~spatial.checks.reports`: :class:`CheckResult`, :class:`FootprintReport`,
  :class:`ScenarioReport`, :data:`RULES`, :class:`CareFlowModel`;
* :mod:`~spatial.checks.rules`: one function per rule, :func:`contiguity_pieces`, :func:`spans`;
* :mod:`~spatial.checks.run`: :func:`check_footprint`, :func:`check_scenario`, :func:`coverage`.

``from spatial.checks import ...`` keeps working for every public name.
"""

from __future__ import annotations

from .reports import RULES, CareFlowModel, CheckResult, FootprintReport, ScenarioReport
from .rules import contiguity_pieces, spans
from .run import check_footprint, check_scenario, coverage, level_above_name

__all__ = ["CheckResult", "FootprintReport", "ScenarioReport", "CareFlowModel", "check_footprint",
           "check_scenario", "contiguity_pieces", "coverage", "spans", "RULES", "level_above_name"]
