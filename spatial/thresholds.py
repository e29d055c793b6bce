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

__all__ = ["Thresholds", "SOURCES", "LEVELS", "LEVELS_2024", "ALL_LEVELS", "GEOGRAPHY_LEVELS", "LEVEL_ORDER",
           "KINDS", "canonical_level", "level_geography", "level_above", "INEQUALITY_MODES", "RULE_WORDS",
           "RULE_LABELS", "rule_names"]

#: The four spatial levels of the 2018 geography, smallest first.
LEVELS = ("locality", "borough", "multi_borough", "stp")
#: The levels of today's (2024) geography, smallest first: the same four under today's names, plus
#: ICB clusters above ICBs.
LEVELS_2024 = ("neighbourhood", "place", "multi_place", "icb", "icb_cluster")
ALL_LEVELS = LEVELS + LEVELS_2024
GEOGRAPHY_LEVELS = {"2018": LEVELS, "2024": LEVELS_2024}
#: A 2024 level and the 2018 level whose rules it shares (an ICB cluster has its own).
_CANONICAL = {"neighbourhood": "locality", "place": "borough", "multi_place": "multi_borough", "icb": "stp",
              "icb_cluster": "icb_cluster"}
LEVEL_ORDER = {**{name: i for i, name in enumerate(LEVELS)}, **{name: i for i, name in enumerate(LEVELS_2024)}}
LEVEL_LABELS = {
    "locality": "locality",
    "borough": "borough",
    "multi_borough": "multi-borough system",
    "stp": "STP",
    "neighbourhood": "neighbourhood",
    "place": "place",
    "multi_place": "multi-place system",
    "icb": "ICB",
    "icb_cluster": "ICB cluster",
}

#: Each rule's words, one table so they never drift apart: ``(column heading in tables and exports,
#: name in sentences and the Sketch tally)``.  The rule ids are :data:`spatial.checks.RULES`.
RULE_WORDS = {
    "population": ("Population rule", "Population"),
    "boroughs": ("Borough count", "Boroughs"),
    "contiguity": ("Contiguity", "Contiguity"),
    "nesting": ("Nesting", "Nesting"),
    "coterminosity_borough": ("Coterminous: boroughs", "Borough coterminosity"),
    "coterminosity_ccg": ("Coterminous: CCGs", "CCG coterminosity"),
    "care_flow": ("Care flow", "Care-flow containment"),
    "core20_gap": ("Core20 gap between places", "Core20 gap between places"),
    "locality_core20": ("Locality vs borough Core20", "Locality vs borough Core20"),
    "cohort_75": ("75+ cohort size", "75+ cohort size"),
}
#: The names that differ in the 2024 geography (places, sub-ICB locations, ICBs, upper-tier councils).
RULE_NAMES_2024 = {"boroughs": "Places / ICBs", "coterminosity_borough": "Place coterminosity",
                   "coterminosity_ccg": "Sub-ICB coterminosity", "councils": "Councils wholly inside",
                   "coterminosity_utla": "Upper-tier council coterminosity"}
#: Column heading of each rule on screen and in exported tables.
RULE_LABELS = {rule: words[0] for rule, words in RULE_WORDS.items()}


def rule_names(geography: str = "2018") -> dict[str, str]:
    """Each rule's name in sentences (the Sketch tally) in ``geography``'s words."""
    names = {rule: words[1] for rule, words in RULE_WORDS.items()}
    return {**names, **RULE_NAMES_2024} if str(geography) == "2024" else names


def canonical_level(level: str) -> str:
    """The rule set a level uses: a 2024 level maps to its 2018 counterpart (``"icb"`` -> ``"stp"``)."""
    return _CANONICAL.get(level, level)


def level_geography(level: str) -> str:
    """``"2018"`` or ``"2024"``: the geography whose level names ``level`` belongs to."""
    return "2024" if level in LEVELS_2024 else "2018"

_MAYOR = ("The Mayor's six assurances, in Healthy London Partnership, 'Delivering the Devolution MoU - the "
          "opportunity for London', Croydon Health and Wellbeing Board, 7 February 2018")
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
    # today's (2024) geography
    "neighbourhood_min": "NHS England, 'Neighbourhood health guidelines 2025/26' (January 2025): neighbourhoods "
                         "of roughly 30,000-50,000 people, the size of a primary care network",
    "neighbourhood_max": "NHS England, 'Neighbourhood health guidelines 2025/26': neighbourhoods of 30,000-50,000",
    "cluster_min_population": "NHS England, ICB clustering and mergers (2025 model ICB blueprint, as reported): "
                              "a population of about 1 million as the floor for a merged ICB; a default, not a law",
    "cluster_min_icbs": "Footprints default: a cluster joins at least 2 ICBs",
    "cluster_max_icbs": "Footprints default: clusters of up to 4 contiguous ICBs (the 2018 multi-borough range)",
    "council_inside_min": "NHS England ICB clustering (2025, as reported): every upper-tier council wholly inside "
                          "one ICB (cluster); 1.0 = wholly",
    "pathway_min_population": f"{_HLP}: 'For some pathways of care (i.e. specialised care) an ACP-like entity may "
                              "cross-cut a number of these spatial levels' (no size given, so no test unless the "
                              "user sets one; 0 = none)",
    "pathway_care_flow_min": f"{_HLP}: pathway partnerships cross-cut the spatial levels; the 70% acute containment "
                             "test is for place-based systems (no test unless the user sets one; 0 = none)",
    "inequality_rules": f"{_MAYOR}: 'Impact on health inequality ... Plans must set out how they will narrow the "
                        "gap in health equality across the capital'. The papers set no figure, so the inequality "
                        "rules are informational unless a scenario sets 'enforce'",
    "place_core20_gap_max": f"{_MAYOR} (impact on health inequality); NHS England Core20PLUS5 (Core20 = the most "
                            "deprived national IMD quintile). 30 points is a project default, not from the papers",
    "locality_core20_excess_max": f"{_MAYOR} (impact on health inequality). 20 points is a project default, "
                                  "not from the papers",
    "cohort_75_min": "HLP Croydon HWB paper (2018): One Hackney's model for the over-75 population, Hillingdon's "
                     "integrated service for over-65s. No size is given: 0 = no minimum (a project default)",
}

#: Kinds of footprint: ``place`` (the spatial levels of the papers, the default) and ``pathway``
#: (a partnership for one pathway of care, e.g. specialist mental health, allowed to cross STPs).
KINDS = ("place", "pathway")

#: A constituent place counts in a footprint's Core20 gap (:mod:`spatial.profile`) when it holds at
#: least this share of the footprint's residents.  A project default, not from the papers: one LSOA of
#: a neighbouring borough picked up while sketching (or the City of London's 0.4% of North East
#: London) is not a constituent place whose deprivation should set the gap.
GAP_MIN_PART_SHARE = 0.05

#: Modes of the opt-in inequality rules: "off" (not shown), "inform" (shown, never pass or fail, the
#: default), "enforce" (pass/fail like the other rules).
INEQUALITY_MODES = ("off", "inform", "enforce")


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
    neighbourhood_min: int = 30_000
    neighbourhood_max: int = 50_000
    cluster_min_population: int = 1_000_000
    cluster_min_icbs: int = 2
    cluster_max_icbs: int = 4
    council_inside_min: float = 1.0
    pathway_min_population: int = 0
    pathway_care_flow_min: float = 0.0
    #: The inequality rules (see :mod:`spatial.inequality`): "off", "inform" (default) or "enforce".
    inequality_rules: str = "inform"
    #: Largest gap in Core20 share between a system's constituent places (share points as a fraction).
    place_core20_gap_max: float = 0.30
    #: Largest excess of a locality's Core20 share over its borough's.
    locality_core20_excess_max: float = 0.20
    #: Fewest residents aged 75+ in a footprint (a cohort model's minimum size; 0 = none).
    cohort_75_min: int = 0

    def __post_init__(self) -> None:
        if self.inequality_rules not in INEQUALITY_MODES:
            raise ThresholdError(f"inequality_rules must be one of {', '.join(INEQUALITY_MODES)}, "
                                 f"not {self.inequality_rules!r}", where="thresholds.inequality_rules",
                                 fix="use 'inform' (shown, never failing), 'enforce' or 'off'")
        from .limits import MAX_THRESHOLD_DIGITS

        for f in fields(self):
            if f.name == "inequality_rules":
                continue
            v = getattr(self, f.name)
            if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10 ** MAX_THRESHOLD_DIGITS:
                digits = len(str(abs(v))) if abs(v) < 10 ** 4000 else "thousands of"
                raise ThresholdError(f"{f.name} is a {digits}-digit number, far beyond any population or share",
                                     where=f"thresholds.{f.name}",
                                     fix=f"use a number like the default {getattr(Thresholds, f.name):,} "
                                         f"(at most {MAX_THRESHOLD_DIGITS} digits)")
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ThresholdError(f"{f.name} must be a number, not {v!r}", where=f"thresholds.{f.name}",
                                     fix=f"use a number like the default {getattr(Thresholds, f.name)}")
            if v < 0:
                raise ThresholdError(f"{f.name} is negative ({v})", where=f"thresholds.{f.name}",
                                     fix="use a value of 0 or more")
        for name in ("care_flow_min", "coterminous_min", "council_inside_min", "pathway_care_flow_min",
                     "place_core20_gap_max", "locality_core20_excess_max"):
            if getattr(self, name) > 1:
                raise ThresholdError(
                    f"{name} is a share and cannot be above 100% ({getattr(self, name)})",
                    where=f"thresholds.{name}", fix="give shares as fractions, e.g. 0.7 for 70%",
                )
        for lo, hi in (("locality_min", "locality_max"), ("system_min_boroughs", "system_max_boroughs"),
                       ("stp_min", "stp_max"), ("neighbourhood_min", "neighbourhood_max"),
                       ("cluster_min_icbs", "cluster_max_icbs")):
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
    """The level a footprint of ``level`` nests in (``None`` for STP and ICB cluster)."""
    levels = LEVELS_2024 if level in LEVELS_2024 else LEVELS
    i = LEVEL_ORDER[level]
    return levels[i + 1] if i + 1 < len(levels) else None


#: Days a deleted scenario stays in the store's bin, restorable, before it is
#: purged for good (spatial/store).  Issue 14 ("deleting moves the scenario to
#: a bin that can be restored for 30 days"); the same 30 days as Google
#: Drive's and Microsoft OneDrive's bins.
STORE_BIN_DAYS = 30
