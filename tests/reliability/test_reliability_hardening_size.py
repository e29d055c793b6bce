"""Issue 12, item 8: one upload cannot tie up a core.

1,000 overlapping footprints (random pairs of real boroughs) draw without the coverage validation and
cleaning whose cost grows with the overlaps; a scenario beyond :data:`spatial.limits.MAX_FOOTPRINTS` is
refused with a clear error.  The time of the Check page is measured in
``bench/bench_many_footprints.py`` (ours vs the coverage path, same run), not asserted here.
"""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import shapely

from spatial.footprints import Footprint, Scenario
from spatial.limits import MAX_FOOTPRINTS


def overlapping(geo, n: int) -> Scenario:
    boroughs = sorted(geo.units["borough"].unique())
    rng = random.Random(12)
    return Scenario(f"{n} overlapping", tuple(Footprint(f"fp {i}", "multi_borough", tuple(rng.sample(boroughs, 2)))
                                              for i in range(n)))


def test_overlapping_footprints_skip_the_coverage_validation(engine, geo, monkeypatch):
    """The map geometry of 1,000 overlapping footprints never runs coverage_is_valid/coverage_clean."""
    from layers import geometry
    from ui.maps import map_frame

    s = overlapping(geo, MAX_FOOTPRINTS)
    frame = map_frame(engine, s, s.names())

    def refuse(*a, **k):
        raise AssertionError("coverage validation run on overlapping shapes")

    monkeypatch.setattr(geometry.shapely, "coverage_is_valid", refuse)
    monkeypatch.setattr(geometry.shapely, "coverage_clean", refuse)
    drawn = geometry.to_map_geometry(frame)
    assert len(drawn) == MAX_FOOTPRINTS and drawn.crs.to_epsg() == 4326
    assert not shapely.is_empty(drawn.geometry.values).any()
    # each shape simplified on its own keeps its area within 2% (independent shapely computation)
    a0 = shapely.area(np.asarray(frame.geometry.values))
    a1 = shapely.area(np.asarray(drawn.to_crs(27700).geometry.values))
    assert np.allclose(a1, a0, rtol=0.02)


def test_a_true_coverage_is_still_cleaned_and_simplified_together(engine, geo):
    from layers.geometry import to_map_geometry

    boroughs = engine.geo.layer("borough")
    drawn = to_map_geometry(boroughs)
    assert shapely.coverage_is_valid(np.asarray(drawn.to_crs(27700).geometry.values), gap_width=0.0)


def test_check_page_draws_1000_overlapping_footprints(engine, geo):
    from tests.ui.test_app_pages import errors, run_app

    at = run_app(overlapping(geo, MAX_FOOTPRINTS), "ui/pages/check.py", timeout=120)
    assert not at.exception, at.exception
    assert not errors(at), errors(at)


def test_a_scenario_beyond_the_size_limit_is_refused(index, geo):
    from spatial.errors import FootprintError
    from spatial.io import assignment_from_csv, loads

    n = MAX_FOOTPRINTS + 1
    with pytest.raises(FootprintError, match=rf"{n:,} footprints, over the limit of {MAX_FOOTPRINTS:,}.*Fix: "):
        overlapping(geo, n)
    text = json.dumps({"format": "footprints-scenario", "version": 1, "name": "big", "footprints": [
        {"name": f"fp {i}", "level": "borough", "members": ["E09000021"]} for i in range(10_000)]})
    with pytest.raises(FootprintError, match=r"10,000 footprints, over the limit"):
        loads(text, where="big.json")
    codes = sorted(geo.units["code"])[:n]
    csv_text = "unit_code,footprint\n" + "".join(f"{c},fp {i}\n" for i, c in enumerate(codes))
    with pytest.raises(FootprintError, match=rf"{n:,} footprints, over the limit"):
        assignment_from_csv(csv_text, index=index)
