"""``check --profile``: who lives in each footprint, as text lines and JSON fields."""

from __future__ import annotations

from ..profile import Profile, ProfileData, constituent_layer, profile_units

__all__ = ["report_profiles", "format_profiles"]


def report_profiles(report, index) -> dict[str, Profile]:
    """Footprint name -> :class:`~spatial.profile.Profile`, from the units the report checked."""
    data = ProfileData.from_index(index)
    return {r.name: profile_units(data, r.units, constituents=constituent_layer(r.level, data))
            for r in report.footprints}


def format_profiles(report, profiles: dict[str, Profile]) -> str:
    """Text block: one profile line per footprint, the inequality rules' reasons and the sources."""
    lines = ["", "Profiles (who lives there):"]
    w = max([len(r.name) for r in report.footprints] or [0])
    for r in report.footprints:
        p = profiles[r.name]
        lines.append(f"  {r.name:<{w}}  {p.summary()}")
        for c in r.checks:
            if c.rule in ("core20_gap", "locality_core20", "cohort_75"):
                verdict = {True: "pass", False: "FAIL", None: "info"}[c.passed]
                lines.append(f"  {'':<{w}}    {c.rule} ({verdict}): {c.reason}")
    if profiles:
        p = next(iter(profiles.values()))
        lines.append(f"Sources: age: {p.sources['age']}; deprivation: {p.sources['imd']}.")
        lines += [f"Note: {n}" for n in dict.fromkeys(n for q in profiles.values() for n in q.notes)]
    return "\n".join(lines)
