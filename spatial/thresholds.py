"""The tests a footprint must pass: thresholds with their defaults and sources.

Every number comes from the two Healthy London Partnership papers (2018) in
``shared/seeds`` (see ``shared/docs/DESIGN.md``).  A scenario may override
any of them.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from typing import Any, Mapping

from .errors import ThresholdError

__all__ = ["Thresholds", "SOURCES", "LEVELS", "LEVEL_ORDER", "level_above"]

#: The four spatial levels, smallest first.
LEVELS = ("locality", "borough", "multi_borough", "stp")
LEVEL_ORDER = {name: i for i, name in enumerate(LEVELS)}
LEVEL_LABELS = {
    "locality": "locality",
    "borough": "borough",
    "multi_borough": "multi-borough system",
    "stp": "STP",
}

_HLP = "Healthy London Partnership, 'Supporting integration ambitions in London', SPB, 26 January 2018"
#: The paper most thresholds cite (reports shorten it to "HLP 2018" and give it once).
SOURCE_PAPER = _HLP
#: Citation of each threshold.
SOURCES: Mapping[str, str] = {
    "locality_min": f"{_HLP}: localities of 30,000-70,000 residents (NCL CHINs ~50-80k, BHR localities ~50-70k)",
    "locality_max": f"{_HLP}: localities of 30,000-70,000 residents",
    "system_min_population": f"{_HLP}; national ACS test: a coherent population with patient flows of at least 0.5m",
    "system_min_boroughs": f"{_HLP}: multi-borough systems of 2-4 boroughs",
    "system_max_boroughs": f"{_HLP}: multi-borough systems of 2-4 boroughs",
    "stp_min": f"{_HLP}: STPs of 1-2 million residents",
    "stp_max": f"{_HLP}: STPs of 1-2 million residents",
    "care_flow_min": f"{_HLP}; national ACS test: core providers give ~70%+ of the care for the resident population",
    "coterminous_min": f"{_HLP}: CCG and local authority boundaries 'typically 95%+ coterminous'",
}


@dataclass(frozen=True)
class Thresholds:
    """Thresholds for the footprint checks (defaults from the seeds).

    Shares are fractions in [0, 1]; populations are residents.
    """

    locality_min: int = 30_000
    locality_max: int = 70_000
    system_min_population: int = 500_000
    system_min_boroughs: int = 2
    system_max_boroughs: int = 4
    stp_min: int = 1_000_000
    stp_max: int = 2_000_000
    care_flow_min: float = 0.70
    coterminous_min: float = 0.95

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ThresholdError(f"{f.name} must be a number, not {v!r}", where=f"thresholds.{f.name}",
                                     fix=f"use a number like the default {getattr(Thresholds, f.name)}")
            if v < 0:
                raise ThresholdError(f"{f.name} is negative ({v})", where=f"thresholds.{f.name}",
                                     fix="use a value of 0 or more")
        for name in ("care_flow_min", "coterminous_min"):
            if getattr(self, name) > 1:
                raise ThresholdError(
                    f"{name} is a share and cannot be above 100% ({getattr(self, name)})",
                    where=f"thresholds.{name}", fix="give shares as fractions, e.g. 0.7 for 70%",
                )
        for lo, hi in (("locality_min", "locality_max"), ("system_min_boroughs", "system_max_boroughs"),
                       ("stp_min", "stp_max")):
            if getattr(self, lo) > getattr(self, hi):
                raise ThresholdError(
                    f"{lo} ({getattr(self, lo):,}) is above {hi} ({getattr(self, hi):,})",
                    where=f"thresholds.{lo}", fix=f"make {lo} no larger than {hi}",
                )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Thresholds":
        """Defaults overridden by ``data``; unknown keys are an error naming the known ones."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ThresholdError(f"unknown threshold(s): {', '.join(unknown)}", where="thresholds",
                                 fix=f"use only {', '.join(sorted(known))}")
        return cls(**data)

    def overrides(self) -> dict[str, Any]:
        """The values that differ from the defaults (what a scenario file stores)."""
        default = Thresholds()
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) != getattr(default, f.name)}

    def replace(self, **changes: Any) -> "Thresholds":
        """Copy with some values changed (validated)."""
        return dataclasses.replace(self, **changes)


def level_above(level: str) -> str | None:
    """The level a footprint of ``level`` nests in (``None`` for STP)."""
    i = LEVEL_ORDER[level]
    return LEVELS[i + 1] if i + 1 < len(LEVELS) else None
