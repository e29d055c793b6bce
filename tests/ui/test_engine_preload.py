"""``make run`` loads the default engine on its preload thread; the script takes that engine (issue 16, cold start)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from boundaries import settings
from boundaries.cache import is_cached
from spatial import Engine
from ui import engine_preload, state
from ui.engine_preload import preloaded, start

APP = Path(__file__).resolve().parents[2] / "app.py"


@pytest.fixture(autouse=True)
def empty_slots():
    engine_preload._slots().clear()
    yield
    engine_preload._slots().clear()


def test_the_preloaded_engine_is_the_default_dataset_and_is_taken_once(engine):
    assert is_cached("london")  # the session's engine fixture built the processed cache
    assert start() is True
    assert start() is False  # one load per choice
    got = preloaded("london", "2018")
    assert isinstance(got, Engine) and got.index.n == engine.index.n == 4835
    assert list(got.geo.units["code"]) == list(engine.geo.units["code"])
    assert int(got.index.population.sum()) == int(engine.geo.units["population"].sum())
    assert preloaded("london", "2018") is None  # taken: the script's cache owns it now
    assert preloaded("england", "2024") is None  # never preloaded


def test_nothing_is_preloaded_without_a_complete_processed_cache(tmp_path, monkeypatch, data_dir):
    config = dataclasses.replace(settings(), cache_dir=tmp_path / "empty cache")
    assert not is_cached("london", config)
    monkeypatch.setattr("boundaries.cache.default_settings", lambda: config)
    assert start() is False
    assert engine_preload._slots() == {}


def test_an_error_on_the_preload_thread_is_raised_where_the_script_loads_the_engine(engine, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("the data could not be read")

    monkeypatch.setattr(Engine, "load", classmethod(lambda cls, *a, **k: broken()))
    assert start() is True
    with pytest.raises(RuntimeError, match="could not be read"):
        preloaded("london", "2018")


def test_the_app_script_takes_the_preloaded_engine(engine):
    state._load_engine.clear()
    assert start() is True
    at = AppTest.from_file(str(APP), default_timeout=180).run()
    assert not at.exception
    assert engine_preload._slots() == {}  # taken by the script's engine loader
    state._load_engine.clear()
