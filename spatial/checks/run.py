"""Running the checks: one footprint, a whole scenario, and the coverage of each level."""

from __future__ import annotations

import numpy as np

from ..footprints import Footprint, Scenario, resolve_members
from ..index import UnitIndex
from ..thresholds import LEVEL_LABELS, Thresholds, canonical_level, level_above
from .reports import CareFlowModel, CheckResult, FootprintReport, ScenarioReport
from .rules import (_boroughs, _care_flow_missing, _contiguity, _coterminosity, _councils, _names, _nesting,
                    _pathway_care_flow, _pathway_population, _population, spans)

__all__ = ["check_footprint", "check_scenario", "coverage", "level_above_name"]


def check_footprint(
    footprint: Footprint,
    index: UnitIndex,
    *,
    thresholds: Thresholds | None = None,
    units: np.ndarray | None = None,
    parent_units: np.ndarray | None = None,
    flows: CareFlowModel | None = None,
) -> FootprintReport:
    """Run every rule on one footprint.

    Parameters
    ----------
    footprint : Footprint
    index : UnitIndex
    thresholds : Thresholds, optional
        Defaults from the seeds.
    units : ndarray, optional
        The footprint's unit ids when already expanded (the sketch page keeps
        them as it edits); expanded from the members otherwise.
    parent_units : ndarray, optional
        Unit ids of the parent footprint, for the nesting rule.
    flows : CareFlowModel, optional
        Adds the ``care_flow`` verdict; without it the rule says it was not measured.

    Returns
    -------
    FootprintReport

    Examples
    --------
    >>> fp = Footprint("Kingston and Richmond", "multi_borough", ("E09000021", "E09000027"))
    >>> report = check_footprint(fp, index)            # doctest: +SKIP
    >>> report.check("population").reason               # doctest: +SKIP
    'population 372,049 is below 500,000 by 127,951'
    """
    t = thresholds or Thresholds()
    if units is None:
        units = index.expand(footprint.members, where=f"footprint {footprint.name!r}")
    units = np.asarray(units, dtype=np.int64)
    pop = int(index.population[units].sum())
    contiguity, pieces = _contiguity(index, units)
    pathway = footprint.is_pathway
    checks = [
        _pathway_population(pop, t) if pathway else _population(footprint.level, pop, t),
        _boroughs(footprint.level, index, units, t, pathway),
        contiguity,
        _nesting(footprint, index, units, parent_units, t),
        _coterminosity("borough", footprint, index, units, t),
        _coterminosity("ccg", footprint, index, units, t),
    ]
    if "utla" in index.membership:  # 2024: upper-tier councils (social care) for coterminosity
        checks.append(_councils(footprint.level, index, units, t))
        checks.append(_coterminosity("utla", footprint, index, units, t))
    if flows is not None:
        # a pathway partnership is measured against its own (optional) minimum, not the 70% place test
        cf = flows.care_flow_check(footprint, units, index,
                                   t.replace(care_flow_min=t.pathway_care_flow_min) if pathway else t)
    else:
        cf = _care_flow_missing(footprint)
    if pathway:
        cf = _pathway_care_flow(cf, t)
    elif canonical_level(footprint.level) not in ("multi_borough", "stp", "icb_cluster") and cf.passed is not None:
        cf = CheckResult(cf.rule, None, cf.value, cf.threshold,
                         f"{cf.reason} (shown for information at {LEVEL_LABELS[footprint.level]} level)")
    checks.append(cf)
    from ..inequality import inequality_checks  # opt-in rules on the profile; informational by default

    checks.extend(inequality_checks(footprint, index, units, t, parent_units=parent_units))

    def codes(layer):
        return [str(c) for c in index.layer_codes[layer][np.unique(index.membership[layer][units])]]

    return FootprintReport(
        name=footprint.name, level=footprint.level, population=pop, boroughs=codes("borough"),
        ccgs=codes("ccg"), stps=codes("stp"), n_units=len(units), contiguous=len(pieces) <= 1,
        checks=checks, units=units, parent=footprint.parent, kind=footprint.kind,
        spans=spans(index, units, "stp") if pathway else [],
    )


def coverage(scenario: Scenario, index: UnitIndex, members: dict[str, np.ndarray]) -> dict[str, dict]:
    """Per level: units in no footprint and units in more than one.

    Overlapping candidates are allowed while sketching, so this is a finding,
    not an error.  Gaps are summarised by borough.
    """
    out: dict[str, dict] = {}
    for level in dict.fromkeys(fp.level for fp in scenario.footprints):
        count = np.zeros(index.n, dtype=np.int64)
        for fp in scenario.footprints:
            if fp.level == level:
                count[members[fp.name]] += 1
        gaps = np.flatnonzero(count == 0)
        double = np.flatnonzero(count > 1)
        gap_boroughs = np.unique(index.membership["borough"][gaps])
        out[level] = {
            "units_unassigned": int(len(gaps)),
            "population_unassigned": int(index.population[gaps].sum()),
            "boroughs_with_gaps": _names(index, "borough", gap_boroughs),
            "units_in_two_or_more": int(len(double)),
            "double_counted": [str(c) for c in index.codes[double][:50]],
            "complete": bool(len(gaps) == 0 and len(double) == 0),
        }
    return out


def check_scenario(scenario: Scenario, index: UnitIndex, *, flows: CareFlowModel | None = None) -> ScenarioReport:
    """Check every footprint of a scenario, with coverage per level.

    The index's population year is used; build the index with
    ``index.with_year(scenario.year)`` when they differ (:func:`spatial.api.check`
    does this for you).
    """
    members = resolve_members(scenario, index)
    reports = []
    for fp in scenario.footprints:
        parent_units = members.get(fp.parent) if fp.parent else None
        reports.append(check_footprint(fp, index, thresholds=scenario.thresholds, units=members[fp.name],
                                       parent_units=parent_units, flows=flows))
    return ScenarioReport(scenario, reports, coverage(scenario, index, members))


def level_above_name(level: str) -> str | None:  # pragma: no cover - convenience
    """Human label of the level above."""
    above = level_above(level)
    return LEVEL_LABELS.get(above) if above else None
