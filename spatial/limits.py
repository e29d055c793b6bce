"""Technical limits: sizes and ages the engine refuses or cleans up beyond.

Planning thresholds (populations, shares) live in :mod:`spatial.thresholds`;
these are the program's own safety limits, each with the reason for its value.
"""

from __future__ import annotations

__all__ = ["ORPHAN_TMP_SECONDS", "MAX_FOOTPRINTS", "MAX_THRESHOLD_DIGITS", "DEFAULT_TOP", "DEFAULT_LEAKAGE"]

#: A save's hidden temporary file (``.<name>.json.<random>.tmp``) older than this is the orphan of a
#: killed save and is removed by the next save into the folder.  A save takes well under a second
#: (tests/test_reliability_saving.py: 120 kB of JSON, fsynced), so a minute never removes a live one.
ORPHAN_TMP_SECONDS = 60.0

#: Most footprints in one scenario.  London has 4,835 units and 983 MSOAs; 1,000 footprints already
#: exceeds one per MSOA (issue 12: 1,000 overlapping footprints must draw on the Check page in 10 s).
MAX_FOOTPRINTS = 1_000

#: Most digits in an integer threshold (population thresholds are at most 8 digits; 15 keeps every
#: value exact as a float, IEEE 754 doubles hold 15-17 significant digits).
MAX_THRESHOLD_DIGITS = 15

#: Destinations listed by default in a footprint's care-flow measures (spatial.careflows; the value
#: it had there): ten rows fit the Check page's table and the command line's output unscrolled.
DEFAULT_TOP = 10

#: Leakage (non-core) destinations listed by default (the value it had in spatial.careflows): the
#: main few say where residents go instead; the care_flow rule's reason names two of them.
DEFAULT_LEAKAGE = 5
