"""Benchmark: drawing 1,000 overlapping footprints (issue 12, item 8).

Run as ``python bench/bench_many_footprints.py`` from the repository root.

The scenario: :data:`spatial.limits.MAX_FOOTPRINTS` multi-borough footprints, each two real London
boroughs drawn at random (seed 12), so they overlap heavily.

* **ours**: :func:`layers.geometry.to_map_geometry` as the Check page calls it: the linear
  :func:`layers.geometry.surely_overlapping` test sees the overlaps and simplifies each shape on its own;
* **naive**: the previous path on the same frame: :func:`shapely.coverage_is_valid`, then
  :func:`shapely.coverage_clean`, then (the areas having changed) each shape simplified on its own.

Both must give the same geometry.  Then the real Check page is run with Streamlit's AppTest on the
scenario, timed after a warm-up run of the app; target <= 10 s.  Exit status 1 if they disagree or
the target is not met.
"""

from __future__ import annotations

import sys
import time
import warnings

from _common import ROOT, agree, report

warnings.simplefilter("ignore")


def main() -> int:
    import numpy as np
    import shapely
    from streamlit.testing.v1 import AppTest

    from layers.geometry import to_map_geometry
    from spatial import Engine
    from spatial.limits import MAX_FOOTPRINTS
    from tests.reliability.test_reliability_hardening_size import overlapping
    from ui.state import STATE_KEY, AppState
    from ui.maps import map_frame

    engine = Engine.load()
    scenario = overlapping(engine.geo, MAX_FOOTPRINTS)
    frame = map_frame(engine, scenario, scenario.names())

    t0 = time.perf_counter()
    ours = to_map_geometry(frame)
    t_ours = time.perf_counter() - t0

    t0 = time.perf_counter()
    geoms = np.asarray(frame.geometry.values, dtype=object)
    valid = shapely.coverage_is_valid(geoms)
    cleaned = shapely.coverage_clean(geoms)
    a0, a1 = shapely.area(geoms), shapely.area(cleaned)
    changed = bool((np.abs(a1 - a0) > 0.01 * np.maximum(a0, 1.0)).any())
    naive = to_map_geometry(frame, coverage=False)
    t_naive = time.perf_counter() - t0
    agree(not valid and changed, "the naive path also finds the shapes overlap (not a coverage)")
    agree(bool(shapely.equals(np.asarray(ours.geometry.values), np.asarray(naive.geometry.values)).all()),
          f"the same {len(ours):,} drawn shapes")
    report(f"map geometry of {MAX_FOOTPRINTS:,} overlapping footprints", t_ours, t_naive, unit="s")

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    state = AppState()
    state.history.push(scenario, "bench")
    at.session_state[STATE_KEY] = state
    at.switch_page("ui/pages/check.py")
    t0 = time.perf_counter()
    at.run()
    t_page = time.perf_counter() - t0
    ok = not at.exception and not at.error
    agree(ok, "the Check page ran without an error")
    met = t_page <= 10.0
    print(f"Check page with {MAX_FOOTPRINTS:,} overlapping footprints: {t_page:.2f} s "
          f"[time target <= 10 s: {'met' if met else 'NOT met'}] (2-core machine shared with other jobs)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
