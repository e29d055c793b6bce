"""``make run`` loads the default engine on its preload thread once the first page is drawn; the script takes it.

Issue 16, cold start: the home page runs without the engine's modules, the
preload waits for the first page, and a page that asks for the engine meanwhile
waits for the preload's load instead of making a second one.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from boundaries import settings
from boundaries.cache import is_cached
from spatial import Engine
from ui import engine_preload, state
from ui.engine_preload import fill, preloaded, reserve

APP = Path(__file__).resolve().parents[2] / "app.py"


def start() -> bool:
    """As the preload thread does (ui.serve): reserve the default engine's slot, then load it; whether it did."""
    future = reserve()
    if future is None:
        return False
    fill(future)
    return True


@pytest.fixture(autouse=True)
def empty_slots():
    engine_preload._slots().clear()
    engine_preload._turns.clear()  # as in a new server process: no script run yet, none asked
    yield
    engine_preload._slots().clear()
    engine_preload._turns.clear()


def test_the_preloaded_engine_is_the_default_dataset_and_is_taken_once(engine):
    assert is_cached("london")  # the session's engine fixture built the processed cache
    assert start() is True
    assert start() is False  # one load per choice
    got = preloaded("london", "2018")
    assert isinstance(got, Engine) and got.index.n == engine.index.n == 4835
    assert list(got.geo.units["code"]) == list(engine.geo.units["code"])
    assert int(got.index.population.sum()) == int(engine.geo.units["population"].sum())
    assert preloaded("london", "2018") is None  # taken: the script's cache owns it now
    assert start() is False  # and the preload never loads it again
    assert preloaded("england", "2024") is None  # never preloaded: the script loads it...
    assert engine_preload.reserve("england", "2024") is None  # ...and the preload leaves it alone


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


def test_a_page_that_needs_the_engine_takes_the_preloaded_one(engine):
    state._load_engine.clear()
    assert start() is True
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.switch_page("ui/pages/sketch.py").run()
    assert not at.exception, at.exception
    assert engine_preload._slots() == {("london", "2018"): None}  # taken by the script's engine loader
    state._load_engine.clear()


def test_the_home_page_draws_from_its_cached_files_without_loading_the_engine(engine, monkeypatch):
    """A cold start's first page does not wait for the data: it leaves the preloaded engine for the next page."""
    state._load_engine.clear()
    first = AppTest.from_file(str(APP), default_timeout=180).run()  # keeps the map and the counts (if not yet kept)
    assert not first.exception, first.exception
    state._load_engine.clear()
    assert start() is True

    def no_load(*a, **k):
        raise AssertionError("the home page loaded the engine")

    monkeypatch.setattr(Engine, "load", classmethod(lambda cls, *a, **k: no_load()))
    at = AppTest.from_file(str(APP), default_timeout=180).run()
    assert not at.exception, at.exception
    residents = int(engine.geo.units["population"].sum())
    assert [m.value for m in at.metric][-1] == f"{residents:,}"  # the counts, read from the kept file
    assert [m.value for m in at.metric][:6] == [f"{n:,}" for n in (
        4835, len(engine.geo.layer("msoa")), len(engine.geo.layer("ward")), 33, 32, 5)]
    assert list(engine_preload._slots()) == [("london", "2018")]  # still there for the next page
    state._load_engine.clear()


def test_the_preload_waits_while_a_script_runs_until_one_asks_for_the_engine():
    import threading
    import time

    assert engine_preload.wait_turn(max_wait=1) < 0.05  # no script: no wait
    waited = []
    with engine_preload.script_running():
        t = threading.Thread(target=lambda: waited.append(engine_preload.wait_turn(max_wait=10)))
        t.start()
        time.sleep(0.3)
        assert t.is_alive()  # a script runs: the preload waits
    t.join(5)
    assert not t.is_alive() and 0.25 <= waited[0] < 5  # the script ended: it goes on

    with engine_preload.script_running():
        t = threading.Thread(target=lambda: waited.append(engine_preload.wait_turn(max_wait=10)))
        t.start()
        time.sleep(0.2)
        assert t.is_alive()
        assert preloaded("england", "2024") is None  # a script asks for an engine: the preload goes on at once
        t.join(5)
        assert not t.is_alive() and waited[1] < 5
        assert engine_preload.wait_turn(max_wait=10) < 0.05  # and no longer waits for script runs


def test_the_preload_wait_is_bounded():
    with engine_preload.script_running():
        assert 0.2 <= engine_preload.wait_turn(max_wait=0.2) < 2


def test_a_page_that_asks_while_the_preload_works_waits_for_it(engine):
    """The slot is reserved before the imports: a script asking meanwhile takes the preload's engine."""
    import threading
    import time

    future = engine_preload.reserve()
    assert future is not None and engine_preload.reserve() is None  # one load per choice
    got = []
    t = threading.Thread(target=lambda: got.append(preloaded("london", "2018")))
    t.start()
    time.sleep(0.2)
    assert t.is_alive()  # waiting for the preload, not loading a second copy
    engine_preload.fill(future)
    t.join(60)
    assert isinstance(got[0], Engine) and got[0].index.n == engine.index.n


def test_the_preload_starts_after_the_first_page_or_when_nobody_comes():
    import threading
    import time

    t0 = time.monotonic()  # nobody opens the app: it starts after `idle` seconds
    assert 0.3 <= engine_preload.wait_first_page(idle=0.3, pause=0, max_wait=10) < 2
    assert time.monotonic() - t0 >= 0.3

    engine_preload._turns.clear()
    waited = []
    with engine_preload.script_running():  # the first page is still running when `idle` passes: it waits on
        t = threading.Thread(target=lambda: waited.append(engine_preload.wait_first_page(idle=0.1, pause=0.2)))
        t.start()
        time.sleep(0.4)
        assert t.is_alive()
    t.join(5)
    assert not t.is_alive() and 0.6 <= waited[0] < 5  # the run ended (0.4 s), then the pause (0.2 s)

    assert engine_preload.wait_first_page(idle=10, pause=0.1) < 1  # a run has ended: only the pause is left
    engine_preload._turns.clear()
    with engine_preload.script_running():
        assert 0.3 <= engine_preload.wait_first_page(idle=0, pause=0, max_wait=0.3) < 2  # bounded


def test_a_cold_start_home_page_imports_none_of_the_engine(engine):
    """The first page, drawn from its kept files, imports no pandas, geopandas, scipy or engine module.

    Run in a fresh interpreter, as a server process's first script run; the kept
    files are written first by a run in this process (same settings).
    """
    import json
    import os
    import subprocess
    import sys

    first = AppTest.from_file(str(APP), default_timeout=180).run()
    assert not first.exception, first.exception
    heavy = ["pandas", "geopandas", "shapely", "scipy", "pyogrio", "pyarrow", "numpy", "spatial.api",
             "boundaries.geographies"]
    code = (f"import json, sys; from streamlit.testing.v1 import AppTest; at = AppTest.from_file({str(APP)!r}, "
            "default_timeout=180).run(); "
            f"print(json.dumps([[str(e.value) for e in at.exception], [t.value for t in at.title], "
            f"[m for m in {heavy!r} if m in sys.modules]]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         cwd=APP.parent, env={**os.environ, "PYTHONPATH": str(APP.parent)})
    assert out.returncode == 0, out.stderr[-2000:]
    errors, titles, imported = json.loads(out.stdout.strip().splitlines()[-1])
    assert errors == [] and titles == ["Footprints"], (errors, titles)
    assert imported == [], f"the first page imported {imported}"
