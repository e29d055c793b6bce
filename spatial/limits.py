"""Technical limits: sizes and ages the engine refuses or cleans up beyond.

Planning thresholds (populations, shares) live in :mod:`spatial.thresholds`;
these are the program's own safety limits, each with the reason for its value.
"""

from __future__ import annotations

__all__ = ["ORPHAN_TMP_SECONDS", "MAX_FOOTPRINTS", "MAX_THRESHOLD_DIGITS", "SLIVER_M2", "UNIT_BUILT_RTOL",
           "UNIT_BUILT_EXTENT_M", "MAJORITY", "DEFAULT_TOP", "DEFAULT_LEAKAGE", "MAX_SCENARIO_BYTES",
           "MAX_SCENARIO_CHARS"]

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

#: Overlaps smaller than this (m²) are slivers between edges digitised at different generalisations
#: (20 m LSOA edges against the GLA borough edges), not real overlaps.  1 m² is far below the smallest
#: real CCG x borough overlap (15 m²) and far above the 0.0012 m² by which our cleaned units differ from
#: the published CCGs.  A numerical tolerance of the geometry, not a planning threshold.
SLIVER_M2 = 1.0

#: A shape is the union of its units (by the lookup) when its area matches theirs to this relative
#: tolerance (and its extent to :data:`UNIT_BUILT_EXTENT_M`).  The published CCG/STP/MSOA layers match
#: to ~4e-11; the GLA boroughs differ by up to 1.6e-3, so 1e-7 separates the two by four orders of
#: magnitude either way.  A numerical tolerance, not a planning threshold.
UNIT_BUILT_RTOL = 1e-7

#: Largest difference (m) between the bounding box of a unit-built shape and that of its units.  Our
#: units went through ``shapely.coverage_clean``, which moves vertices by less than 1 mm, so 1 cm
#: allows for that and nothing a real boundary difference would leave.
UNIT_BUILT_EXTENT_M = 0.01

#: "Mostly" means at least half: the definition of a majority (overlap classes, 2018 -> 2024
#: conversion of units), not a tunable threshold.
MAJORITY = 0.5

#: Destinations listed by default in a footprint's care-flow measures (spatial.careflows; the value
#: it had there): ten rows fit the Check page's table and the command line's output unscrolled.
DEFAULT_TOP = 10

#: Leakage (non-core) destinations listed by default (the value it had in spatial.careflows): the
#: main few say where residents go instead; the care_flow rule's reason names two of them.
DEFAULT_LEAKAGE = 5

#: Largest scenario JSON or assignment CSV read, from a path or an upload (bytes; 20 MiB, shown as "20 MB").
#: Checked from the file's size (or the upload's length) before anything is read or parsed, so a 100 MB
#: file is refused at once (compressed files are never expanded: they are refused as not text).  A scenario
#: lists boroughs or MSOAs: the largest plan shipped (spatial/scenarios) is 8 kB, and every London unit
#: (4,835 LSOAs) assigned one by one to footprints of 20-character names is 4,835 x 31 = 150 kB of CSV, so
#: the limit leaves two orders of magnitude of room.
MAX_SCENARIO_BYTES = 20 * 1024 * 1024

#: Largest scenario JSON or assignment CSV given as text (characters), checked before parsing.  The same
#: number as :data:`MAX_SCENARIO_BYTES`: UTF-8 and UTF-16 spend at least one byte per character, so a
#: text decoded from a file under the byte limit is never refused for its length.
MAX_SCENARIO_CHARS = MAX_SCENARIO_BYTES

# --- proposals (spatial.proposals) -------------------------------------------------------------

__all__ += ["MAX_PARTITIONS", "PARTITIONS_KEPT", "PARTITIONS_SHOWN", "MAX_MAXP_AREAS", "MAX_SPLIT_DEPTH"]

#: Most partitions the exact partition search (:func:`spatial.proposals.propose_partitions`) may
#: examine before it stops with ``SearchTooLargeError``: each one found is held in memory.  London's
#: STPs have at most 8 boroughs, Bell(8) = 4,140 set partitions; Bell(11) = 678,570 < 2,000,000 <
#: Bell(12) = 4,213,597, so any group of up to 11 boroughs is always searched whole, and a larger one
#: stops with the error instead of filling memory.
MAX_PARTITIONS = 2_000_000

#: Best partitions ``propose_partitions`` keeps by default (the counts always cover the whole
#: search; ``limit=None`` keeps all, as the app and the CLI ask).  50 is five screens of the CLI's 10.
PARTITIONS_KEPT = 50

#: Best partitions ``python -m spatial propose partitions`` shows unless ``--limit`` says otherwise:
#: one screen of text, each partition an explanation of a few lines.
PARTITIONS_SHOWN = 10

#: Largest single max-p problem (areas) in the locality method: spopt keeps a dense n x n float64
#: distance matrix, 3,000² x 8 B = 72 MB (with its condensed copy ~108 MB).  A London borough has at
#: most a few hundred LSOAs, so per-borough problems are far below it; all 4,835 London units in one
#: problem are refused (group them by borough, or build from MSOAs).
MAX_MAXP_AREAS = 3_000

#: How many rounds a locality above the population ceiling is split again with max-p.  A split that
#: succeeds makes at least 2 pieces, so 4 rounds can make 16 or more from one region: more than any
#: London borough (at most ~400,000 residents, 13 localities at a 30,000 floor) needs.  Bounds the
#: work where max-p keeps returning a piece it cannot split into parts of at least the floor.
MAX_SPLIT_DEPTH = 4
