"""The Compare tables as people read them: separators, level names, shares as percentages.

:func:`spatial.compare.compare_scenarios` returns raw figures (``370289``,
``multi_borough``, ``0.536``); these helpers only format them for the page.
"""

from __future__ import annotations

import pandas as pd

from spatial.thresholds import LEVEL_LABELS

__all__ = ["SHARE_RULES", "format_moves", "format_checks", "fmt_int", "fmt_signed", "fmt_value"]

#: Rules whose value is a share in [0, 1] (shown as a percentage).
SHARE_RULES = frozenset({"care_flow", "coterminosity_borough", "coterminosity_ccg", "nesting"})


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and v != v) or v is pd.NA


def fmt_int(v) -> str:
    """``370,289``; empty for a missing value."""
    return "" if _missing(v) else f"{int(v):,}"


def fmt_signed(v) -> str:
    """``+206,052`` / ``-12`` / ``0``."""
    return "" if _missing(v) else (f"{int(v):+,}" if int(v) else "0")


def fmt_value(rule: str, v) -> str:
    """A check's value in words: shares as ``53.6%``, counts with separators."""
    if _missing(v):
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)):
        if rule in SHARE_RULES:
            return f"{100 * float(v):.1f}%"
        return f"{int(v):,}" if float(v).is_integer() else f"{v:,.3g}"
    return str(v)


def format_moves(moves: pd.DataFrame) -> pd.DataFrame:
    """The "What moved" table for display."""
    out = moves.copy()
    for c in ("level_before", "level_after"):
        out[c] = [LEVEL_LABELS.get(v, v) if isinstance(v, str) else "" for v in out[c]]
    for c in ("population_before", "population_after", "units_before", "units_after", "units_added",
              "units_removed", "population_added", "population_removed"):
        out[c] = [fmt_int(v) for v in out[c]]
    out["population_change"] = [fmt_signed(v) for v in out["population_change"]]
    return out.rename(columns=lambda c: c.replace("_", " "))


def format_checks(checks: pd.DataFrame, rule_labels: dict[str, str], verdict_text) -> pd.DataFrame:
    """The "How the checks changed" table for display."""
    out = checks.copy()
    out["value_before"] = [fmt_value(r, v) for r, v in zip(out["rule"], out["value_before"])]
    out["value_after"] = [fmt_value(r, v) for r, v in zip(out["rule"], out["value_after"])]
    for c in ("passed_before", "passed_after"):
        out[c] = [verdict_text(None) if _missing(v) else verdict_text(bool(v)) if v in (True, False) else v
                  for v in out[c]]
    out["rule"] = [rule_labels.get(r, r) for r in out["rule"]]
    return out.rename(columns=lambda c: c.replace("_", " "))
