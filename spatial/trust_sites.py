"""Deprecated: moved to :mod:`boundaries.trust_sites` (placing trusts at hospital sites reads a data file).

Kept so that ``from spatial.trust_sites import reduce_name, place_trusts`` keeps working.
"""

from boundaries.trust_sites import GENERIC_WORDS, SAME_SITE_M, place_trusts, reduce_name

__all__ = ["GENERIC_WORDS", "SAME_SITE_M", "reduce_name", "place_trusts"]
