"""The opt-in inequality rules: reasons in words, informational unless enforced.

Three rules read a footprint's :class:`~spatial.profile.Profile`:

``core20_gap``
    A multi-borough system's (or STP's) constituent places differ in Core20
    share by at most :attr:`Thresholds.place_core20_gap_max`.
``locality_core20``
    A locality's Core20 share is no more than
    :attr:`Thresholds.locality_core20_excess_max` above its borough's (the
    parent footprint when it has one, else the borough holding most of it).
``cohort_75``
    At least :attr:`Thresholds.cohort_75_min` residents aged 75+ (a cohort
    model's minimum size).

With ``thresholds.inequality_rules == "inform"`` (the default) each rule is
reported with ``passed=None``, so it never fails a footprint; ``"enforce"``
gives pass/fail; ``"off"`` reports none.  A rule whose data is missing (75+
with Census 2021 bands, no IMD) is **not measurable**: ``passed=None``,
``value=None`` and a reason beginning "not measurable".
"""

from __future__ import annotations

import numpy as np

from .checks import CheckResult
from .footprints import Footprint
from .index import UnitIndex
from .profile import Profile, ProfileData, constituent_layer, profile_units
from .text import percent_short
from .thresholds import Thresholds, canonical_level

__all__ = ["INEQUALITY_RULES", "inequality_checks", "not_measurable"]

INEQUALITY_RULES = ("core20_gap", "locality_core20", "cohort_75")
_INFO = " (for information: set thresholds.inequality_rules to 'enforce' to apply)"


def not_measurable(rule: str, why: str, threshold=None) -> CheckResult:
    """A rule that cannot be measured for this geography: neither pass nor fail."""
    return CheckResult(rule, None, None, threshold, f"not measurable: {why}")


def _pts(x: float) -> str:
    return f"{100 * x:.0f}"


def _verdict(rule: str, ok: bool, value, threshold, reason: str, mode: str) -> CheckResult:
    if mode == "enforce":
        return CheckResult(rule, bool(ok), value, threshold, reason)
    return CheckResult(rule, None, value, threshold, reason + _INFO)


def inequality_checks(
    footprint: Footprint,
    index: UnitIndex,
    units: np.ndarray,
    thresholds: Thresholds,
    *,
    parent_units: np.ndarray | None = None,
    profile: Profile | None = None,
) -> list[CheckResult]:
    """The inequality rules that apply at the footprint's level.

    Returns
    -------
    list of CheckResult
        Empty when ``thresholds.inequality_rules == "off"``.

    Examples
    --------
    A reason reads "Core20 share 54% in Barking and Dagenham vs 3.3% in
    Redbridge: gap 51 points, above 30".
    """
    mode = thresholds.inequality_rules
    if mode == "off":
        return []
    data = ProfileData.from_index(index)
    if profile is None:
        profile = profile_units(data, units, constituents=constituent_layer(footprint.level, data))
    out: list[CheckResult] = []
    t = thresholds
    level = canonical_level(footprint.level)  # a 2024 level uses its 2018 counterpart's rules (icb -> stp)
    if level in ("multi_borough", "stp"):
        limit = t.place_core20_gap_max
        if profile.core20_share is None:
            out.append(not_measurable("core20_gap", f"no deprivation data for these units ({data.missing.get('imd', '')})",
                                      limit))
        elif profile.core20_gap is None:
            out.append(not_measurable("core20_gap", "fewer than two constituent places with residents", limit))
        else:
            gap = profile.core20_gap
            ok = gap <= limit + 1e-12
            reason = f"{profile.gap_reason()}, {'within' if ok else 'above'} {_pts(limit)}"
            out.append(_verdict("core20_gap", ok, round(gap, 4), limit, reason, mode))
    if level == "locality":
        limit = t.locality_core20_excess_max
        if profile.core20_share is None:
            out.append(not_measurable("locality_core20", "no deprivation data for these units", limit))
        else:
            if parent_units is not None and len(parent_units):
                ref_units, ref_name = np.asarray(parent_units), footprint.parent or "its parent"
            else:
                boro = index.membership["borough"][units]
                b = int(np.bincount(boro, weights=index.population[units]).argmax())
                ref_units, ref_name = index.units_of("borough", b), str(index.layer_names["borough"][b])
            ref = profile_units(data, ref_units, constituents="borough")
            excess = profile.core20_share - ref.core20_share
            ok = excess <= limit + 1e-12
            reason = (f"Core20 share {percent_short(profile.core20_share)} in {footprint.name} vs {percent_short(ref.core20_share)} "
                      f"in {ref_name}: {_pts(abs(excess))} points {'above' if excess >= 0 else 'below'}, "
                      f"{'within' if ok else 'more than'} {_pts(limit)}")
            out.append(_verdict("locality_core20", ok, round(excess, 4), limit, reason, mode))
    n_min = t.cohort_75_min
    if profile.aged_75_plus is None:
        why = next((n for n in profile.notes if n.startswith(("75+", "age"))), "no 75+ figure")
        out.append(not_measurable("cohort_75", why.split(": ", 1)[-1], n_min))
    elif n_min <= 0:
        out.append(CheckResult("cohort_75", None, profile.aged_75_plus, n_min,
                               f"{profile.aged_75_plus:,} residents aged 75+ (no minimum set: thresholds.cohort_75_min)"))
    else:
        ok = profile.aged_75_plus >= n_min
        reason = (f"{profile.aged_75_plus:,} residents aged 75+, "
                  + (f"at least {n_min:,}" if ok else f"below {n_min:,} by {n_min - profile.aged_75_plus:,}"))
        out.append(_verdict("cohort_75", ok, profile.aged_75_plus, n_min, reason, mode))
    return out
