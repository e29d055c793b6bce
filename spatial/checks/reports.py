"""What the checks report: one rule's verdict, one footprint's checks, a scenario's checks.

:class:`CheckResult` (one rule), :class:`FootprintReport` (every rule of one
footprint, with the figures the app shows), :class:`ScenarioReport` (every
footprint plus coverage per level), :data:`RULES` (the rule ids, in the order
they are shown) and :class:`CareFlowModel` (what a care-flow model gives the checks).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

from ..footprints import Footprint, Scenario
from ..index import UnitIndex
from ..thresholds import Thresholds

__all__ = ["RULES", "CheckResult", "FootprintReport", "ScenarioReport", "CareFlowModel"]

#: The rules in the order they are shown.
RULES = ("population", "boroughs", "contiguity", "nesting", "coterminosity_borough",
         "coterminosity_ccg", "care_flow", "core20_gap", "locality_core20", "cohort_75")


@dataclass(frozen=True)
class CheckResult:
    """One rule's verdict for one footprint.

    ``passed`` is ``None`` when the rule is shown for information only at this
    level (or could not be measured); the ``reason`` says which.
    """

    rule: str
    passed: bool | None
    value: Any
    threshold: Any
    reason: str

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return asdict(self)


@dataclass
class FootprintReport:
    """All checks of one footprint, with the figures the app shows."""

    name: str
    level: str
    population: int
    boroughs: list[str]
    ccgs: list[str]
    stps: list[str]
    n_units: int
    contiguous: bool
    checks: list[CheckResult]
    units: np.ndarray = field(repr=False, default=None)
    parent: str | None = None
    kind: str = "place"
    spans: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when no rule with a verdict failed."""
        return all(c.passed is not False for c in self.checks)

    @property
    def verdict(self) -> str:
        """``"pass"`` or ``"fail"``."""
        return "pass" if self.passed else "fail"

    def check(self, rule: str) -> CheckResult:
        """The result of one rule."""
        for c in self.checks:
            if c.rule == rule:
                return c
        raise KeyError(rule)

    def failures(self) -> list[CheckResult]:
        """Rules that failed."""
        return [c for c in self.checks if c.passed is False]

    def to_dict(self) -> dict:
        """JSON-ready dict, the shape ``python -m spatial check --json`` prints.

        A pathway partnership also has ``"kind": "pathway"`` and ``"spans"``
        (the STPs it spans: code, name, residents, share).
        """
        out = {
            "name": self.name, "level": self.level, "parent": self.parent, "population": int(self.population),
            "n_units": int(self.n_units), "boroughs": self.boroughs, "ccgs": self.ccgs, "stps": self.stps,
            "contiguous": bool(self.contiguous), "passed": self.passed,
            "checks": [c.to_dict() for c in self.checks],
        }
        if self.kind != "place":
            out["kind"] = self.kind
            out["spans"] = [{"code": c, "name": n, "population": p, "share": round(s, 4)}
                            for c, n, p, s in self.spans]
        return out


@dataclass
class ScenarioReport:
    """Checks of every footprint of a scenario plus coverage per level."""

    scenario: Scenario
    footprints: list[FootprintReport]
    coverage: dict[str, dict]

    def get(self, name: str) -> FootprintReport:
        """Report of one footprint."""
        for r in self.footprints:
            if r.name == name:
                return r
        raise KeyError(name)

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {
            "scenario": self.scenario.name, "year": self.scenario.year,
            "thresholds": asdict(self.scenario.thresholds),
            "footprints": [r.to_dict() for r in self.footprints],
            "coverage": self.coverage,
        }


class CareFlowModel(Protocol):
    """What the checks need from a care-flow model (see :mod:`spatial.careflows`)."""

    def care_flow_check(self, footprint: Footprint, units: np.ndarray, index: UnitIndex,
                        thresholds: Thresholds) -> CheckResult:  # pragma: no cover - protocol
        ...
