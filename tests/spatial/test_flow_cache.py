"""The care-flow model kept in the processed cache (issue 16, cold start): read back equal to a fresh build."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from boundaries import settings
from spatial.careflows import cache as flow_cache
from spatial.careflows import CareFlows
from spatial.careflows.cache import cached_care_flows, care_flows_path


@pytest.fixture()
def config(tmp_path, data_dir):
    """The real data with an empty cache folder."""
    return dataclasses.replace(settings(), cache_dir=tmp_path / "cache")


def assert_same_model(a: CareFlows, b: CareFlows) -> None:
    assert a.year == b.year and a.source == b.source and a.area_label == b.area_label
    assert np.array_equal(a.unit_codes, b.unit_codes)
    assert a.proportions.shape == b.proportions.shape and (a.proportions != b.proportions).nnz == 0
    pd.testing.assert_frame_equal(a.trusts, b.trusts)
    assert np.array_equal(a.outside_activity, b.outside_activity) and a.outside_year == b.outside_year
    assert a.notes == b.notes and a.unmatched_msoas == b.unmatched_msoas


def test_the_model_is_built_once_then_read_back_equal_to_a_fresh_build(geo, config, monkeypatch):
    fresh = CareFlows.load(geo, 2018, config=config)
    first = cached_care_flows(geo, 2018, config=config)
    path = care_flows_path(geo, 2018, config=config)
    assert path.is_file() and path.parent == config.cache_dir / "derived"
    assert_same_model(first, fresh)
    monkeypatch.setattr(CareFlows, "load", classmethod(lambda *a, **k: pytest.fail("built the model again")))
    again = cached_care_flows(geo, 2018, config=config)
    assert_same_model(again, fresh)
    # the model read back measures the same: containment of Kingston + Richmond's units
    units = np.flatnonzero(geo.units["borough_name"].isin(["Kingston upon Thames", "Richmond upon Thames"]))
    a = np.asarray(again.proportions[units].sum(axis=0)).ravel()
    b = np.asarray(fresh.proportions[units].sum(axis=0)).ravel()
    assert np.allclose(a, b, rtol=0, atol=1e-12) and a.sum() > 0


def test_other_data_other_code_or_another_year_is_another_file(geo, config, monkeypatch):
    base = care_flows_path(geo, 2018, config=config)
    assert care_flows_path(geo, 2019, config=config) != base
    monkeypatch.setattr(flow_cache, "sources_stamp", lambda ids, cfg: "a replaced flow file")
    assert care_flows_path(geo, 2018, config=config) != base
    monkeypatch.undo()
    monkeypatch.setattr(flow_cache, "_code_stamp", lambda: b"edited careflows.py")
    assert care_flows_path(geo, 2018, config=config) != base


def test_a_damaged_file_is_rebuilt_and_data_without_a_cache_key_is_never_kept(geo, config):
    fresh = cached_care_flows(geo, 2018, config=config)
    path = care_flows_path(geo, 2018, config=config)
    path.write_bytes(b"not a pickle")
    assert_same_model(cached_care_flows(geo, 2018, config=config), fresh)
    assert path.read_bytes() != b"not a pickle"
    keyless = dataclasses.replace(geo, key="")
    assert care_flows_path(keyless, 2018, config=config) is None
    before = sorted((config.cache_dir / "derived").iterdir())
    assert_same_model(cached_care_flows(keyless, 2018, config=config), fresh)
    assert sorted((config.cache_dir / "derived").iterdir()) == before


def test_an_unwritable_cache_folder_only_costs_the_speed_up(geo, config, tmp_path):
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("x")
    config = dataclasses.replace(config, cache_dir=blocked)
    assert_same_model(cached_care_flows(geo, 2018, config=config), CareFlows.load(geo, 2018, config=config))


def test_a_hostile_file_in_the_cache_never_runs_code(geo, config, tmp_path):
    """The cache holds plain arrays read with allow_pickle=False: a pickle planted there is not executed."""
    import pickle

    fresh = cached_care_flows(geo, 2018, config=config)
    path = care_flows_path(geo, 2018, config=config)
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path.write_bytes(pickle.dumps(Exploit()))
    again = cached_care_flows(geo, 2018, config=config)
    assert not marker.exists()
    assert_same_model(again, fresh)
    # an .npz holding an object array (which only a pickle can load) is refused the same way
    np.savez(path, meta=np.array([Exploit()], dtype=object))
    assert_same_model(cached_care_flows(geo, 2018, config=config), fresh)
    assert not marker.exists()


def test_the_code_stamp_covers_spatial_and_boundaries():
    roots = [p.name for p in flow_cache._CODE]
    assert roots == ["spatial", "boundaries"] and all(p.is_dir() for p in flow_cache._CODE)
