"""Deprecated: moved to :mod:`spatial.proposals.count` (the error to :mod:`spatial.errors`); re-exports only."""

from .proposals.count import FLOOR_FRACTIONS, CountInfeasibleError, balance, fixed_count_regions

__all__ = ["FLOOR_FRACTIONS", "CountInfeasibleError", "fixed_count_regions", "balance"]
