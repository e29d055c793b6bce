"""Compare two scenarios: what moved between footprints, and how the checks changed.

The Scenarios page shows this side by side for "the scenario as loaded" and
"the scenario as edited" (for example Kingston and Richmond before and after
Merton was clicked in).  Footprints are matched by name; a footprint present in
only one scenario is reported as added or removed.

Everything is computed from unit ids on the :class:`~spatial.index.UnitIndex`
arrays (set differences and ``bincount``), so no geometry is touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .checks import CareFlowModel, FootprintReport, ScenarioReport, check_scenario
from .footprints import Scenario, resolve_members
from .index import UnitIndex

__all__ = ["ScenarioComparison", "compare_scenarios", "comparison_csv", "MOVES_COLUMNS", "CHECKS_COLUMNS"]

#: Columns of :attr:`ScenarioComparison.moves`.
MOVES_COLUMNS = (
    "footprint", "status", "level_before", "level_after", "population_before", "population_after",
    "population_change", "units_before", "units_after", "units_added", "units_removed",
    "population_added", "population_removed", "boroughs_added", "boroughs_removed",
    "verdict_before", "verdict_after",
)
#: Columns of :attr:`ScenarioComparison.checks`.
CHECKS_COLUMNS = (
    "footprint", "rule", "passed_before", "passed_after", "change", "value_before", "value_after",
    "reason_before", "reason_after",
)


@dataclass(frozen=True)
class ScenarioComparison:
    """The difference between scenario ``a`` (before) and ``b`` (after).

    Attributes
    ----------
    a, b : Scenario
        Before and after.
    report_a, report_b : ScenarioReport
        The checks of each, in its own population year.
    moves : pandas.DataFrame
        One row per footprint name (columns :data:`MOVES_COLUMNS`): status
        (``added``, ``removed``, ``changed``, ``unchanged``), population and
        units before and after, units and residents added and removed, and
        the boroughs the added / removed units lie in, each with the residents
        moved (``"Merton (+206,548)"``).
    checks : pandas.DataFrame
        One row per footprint and rule (columns :data:`CHECKS_COLUMNS`); ``change``
        is ``now passes``, ``now fails``, ``still passes``, ``still fails``,
        ``not checked``, ``added``, ``removed`` or ``value changed`` (same
        verdict, different figure).
    """

    a: Scenario
    b: Scenario
    report_a: ScenarioReport
    report_b: ScenarioReport
    moves: pd.DataFrame
    checks: pd.DataFrame

    @property
    def changed(self) -> list[str]:
        """Names of footprints that were added, removed or changed."""
        return self.moves.loc[self.moves["status"] != "unchanged", "footprint"].tolist()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        def rows(df: pd.DataFrame) -> list[dict]:
            return [{k: _plain(v) for k, v in r.items()} for r in df.to_dict(orient="records")]

        return {"before": self.a.name, "after": self.b.name, "moves": rows(self.moves), "checks": rows(self.checks)}


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    return v


def _index_for(index: UnitIndex, year: int, cache: dict[int, UnitIndex]) -> UnitIndex:
    if year == index.year:
        return index
    if year not in cache:
        cache[year] = index.with_year(year)
    return cache[year]


def _by_borough(index: UnitIndex, units: np.ndarray, sign: str) -> str:
    """``"Merton (+206,548); Sutton (+1,203)"``: boroughs of ``units``, most residents first."""
    if len(units) == 0:
        return ""
    pop = index.area_counts("borough", units)
    n = np.bincount(index.membership["borough"][units], minlength=len(pop))
    ids = np.flatnonzero(n)
    ids = ids[np.lexsort((index.layer_names["borough"][ids], -pop[ids]))]
    return "; ".join(f"{index.layer_names['borough'][i]} ({sign}{int(pop[i]):,})" for i in ids)


def _verdict(r: FootprintReport | None) -> str | None:
    return None if r is None else r.verdict


def _change(before: bool | None | str, after: bool | None | str, v0: Any, v1: Any) -> str:
    if before == "absent":
        return "added"
    if after == "absent":
        return "removed"
    if before is True and after is False:
        return "now fails"
    if before is False and after is True:
        return "now passes"
    if before is None and after is None:
        return "not checked"
    if before is None or after is None:
        return "now checked" if before is None else "no longer checked"
    same = "still passes" if after else "still fails"
    return same if _same_value(v0, v1) else f"{same} (value changed)"


def _same_value(v0: Any, v1: Any) -> bool:
    if isinstance(v0, (int, float, np.number)) and isinstance(v1, (int, float, np.number)):
        return bool(np.isclose(float(v0), float(v1), rtol=0, atol=1e-9))
    return v0 == v1


def compare_scenarios(
    a: Scenario,
    b: Scenario,
    index: UnitIndex,
    *,
    flows: CareFlowModel | None = None,
) -> ScenarioComparison:
    """What moved between two scenarios, and how each footprint's checks changed.

    Parameters
    ----------
    a, b : Scenario
        Before and after (e.g. as loaded, and as edited).
    index : UnitIndex
        Any year; each scenario is checked in its own population year, and
        units moved are counted in ``b``'s year.
    flows : CareFlowModel, optional
        Care-flow model for the ``care_flow`` rule.

    Returns
    -------
    ScenarioComparison

    Raises
    ------
    UnknownCodeError, FootprintError
        When either scenario has a footprint with unknown codes or no members.

    Examples
    --------
    >>> before = Scenario("K&R", (Footprint("K&R", "multi_borough", ("Kingston upon Thames",
    ...                                                                 "Richmond upon Thames")),))
    >>> after = before.put(Footprint("K&R", "multi_borough", ("Kingston upon Thames",
    ...                                                        "Richmond upon Thames", "Merton")))
    >>> cmp = compare_scenarios(before, after, index)          # doctest: +SKIP
    >>> cmp.moves.loc[0, "boroughs_added"]                      # doctest: +SKIP
    'Merton (+206,548)'
    """
    years: dict[int, UnitIndex] = {}
    idx_a = _index_for(index, a.year, years)
    idx_b = _index_for(index, b.year, years)
    report_a = check_scenario(a, idx_a, flows=flows)
    report_b = check_scenario(b, idx_b, flows=flows)
    units_a = resolve_members(a, idx_a)
    units_b = resolve_members(b, idx_b)
    rep_a = {r.name: r for r in report_a.footprints}
    rep_b = {r.name: r for r in report_b.footprints}
    empty = np.empty(0, dtype=np.int64)

    names = list(dict.fromkeys([*a.names(), *b.names()]))
    moves, checks = [], []
    for name in names:
        ra, rb = rep_a.get(name), rep_b.get(name)
        ua, ub = units_a.get(name, empty), units_b.get(name, empty)
        added = np.setdiff1d(ub, ua, assume_unique=True)
        removed = np.setdiff1d(ua, ub, assume_unique=True)
        if ra is None:
            status = "added"
        elif rb is None:
            status = "removed"
        elif len(added) or len(removed) or ra.level != rb.level or ra.population != rb.population \
                or ra.parent != rb.parent:
            status = "changed"
        else:
            status = "unchanged"
        pop_a = int(ra.population) if ra else 0
        pop_b = int(rb.population) if rb else 0
        moves.append({
            "footprint": name, "status": status,
            "level_before": ra.level if ra else None, "level_after": rb.level if rb else None,
            "population_before": pop_a if ra else None, "population_after": pop_b if rb else None,
            "population_change": pop_b - pop_a,
            "units_before": len(ua) if ra else None, "units_after": len(ub) if rb else None,
            "units_added": int(len(added)), "units_removed": int(len(removed)),
            "population_added": int(idx_b.population[added].sum()),
            "population_removed": int(idx_b.population[removed].sum()),
            "boroughs_added": _by_borough(idx_b, added, "+"),
            "boroughs_removed": _by_borough(idx_b, removed, "-"),
            "verdict_before": _verdict(ra), "verdict_after": _verdict(rb),
        })
        rules = list(dict.fromkeys([c.rule for c in (ra.checks if ra else [])] +
                                   [c.rule for c in (rb.checks if rb else [])]))
        for rule in rules:
            ca = ra.check(rule) if ra else None
            cb = rb.check(rule) if rb else None
            p0 = ca.passed if ca else "absent"
            p1 = cb.passed if cb else "absent"
            checks.append({
                "footprint": name, "rule": rule,
                "passed_before": None if ca is None else ca.passed,
                "passed_after": None if cb is None else cb.passed,
                "change": _change(p0, p1, ca.value if ca else None, cb.value if cb else None),
                "value_before": None if ca is None else ca.value,
                "value_after": None if cb is None else cb.value,
                "reason_before": "" if ca is None else ca.reason,
                "reason_after": "" if cb is None else cb.reason,
            })
    moves_df = pd.DataFrame(moves, columns=list(MOVES_COLUMNS))
    checks_df = pd.DataFrame(checks, columns=list(CHECKS_COLUMNS))
    return ScenarioComparison(a, b, report_a, report_b, moves_df, checks_df)


def comparison_csv(cmp: ScenarioComparison) -> str:
    """The checks and moves of a comparison as CSV text, every text cell neutralised (:mod:`spatial.text`)."""
    from .text import csv_frame

    return csv_frame(cmp.checks.merge(cmp.moves, on="footprint", how="left")).to_csv(index=False)
