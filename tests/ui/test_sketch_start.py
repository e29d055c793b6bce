"""Issue 16, cold start: a new session's Sketch page draws its tools and map before it imports the engine.

The page keeps what its map takes from the engine (:mod:`ui.sketch_start`); a
new session's first run draws from that record, then checks it against the
engine and reruns when it was stale.  On the real London data, through AppTest,
and in a fresh interpreter for the imports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from boundaries import settings
from ui.sketch_start import MapStart, SketchView, blank_view, keep_start, read_start, start_file

APP = Path(__file__).resolve().parents[2] / "app.py"
ENGINE_MODULES = ["pandas", "geopandas", "shapely", "scipy", "pyogrio", "spatial.api", "spatial.index",
                  "boundaries.geographies"]


def sketch(at: AppTest | None = None) -> AppTest:
    at = at or AppTest.from_file(str(APP), default_timeout=180)
    at.switch_page("ui/pages/sketch.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def map_args(at: AppTest) -> dict:
    (comp,) = [e for e in at.get("component_instance") if e.proto.component_name.endswith("clickmap")]
    return json.loads(comp.proto.json_args)


@pytest.fixture
def record():
    """The London 2018 record's path; whatever the test leaves there is made right again by a page run."""
    path = start_file("london", "2018", settings())
    assert path is not None, "the London data could not be fingerprinted"
    yield path
    sketch()  # a new session's run keeps the engine's record again


def test_a_new_sessions_map_is_sent_before_the_engine_is_imported_and_is_the_engines_map(engine, record):
    """In a fresh interpreter (a server's first script run): the one map call comes before any engine module
    is imported, and its arguments are those a session drawn after loading gets."""
    sketch()  # keeps the record (as any earlier start did)
    kept = read_start(record)
    assert kept is not None and kept.n == engine.index.n
    code = (
        "import json, sys\n"
        "import ui.components.clickmap.component as c\n"
        "orig, calls = c._component, []\n"
        f"heavy = {ENGINE_MODULES!r}\n"
        "def spy(**kw):\n"
        "    calls.append([[m for m in heavy if m in sys.modules], kw])\n"
        "    return orig(**kw)\n"
        "c._component = spy\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(APP)!r}, default_timeout=180)\n"
        "at.switch_page('ui/pages/sketch.py')\n"
        "at.run()\n"
        "print(json.dumps([[str(e.value) for e in at.exception], [m for m in heavy if m in sys.modules], calls,"
        " len(at.sidebar.get('metric')) + len(at.sidebar.markdown)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         cwd=APP.parent, env={**os.environ, "PYTHONPATH": str(APP.parent)})
    assert out.returncode == 0, out.stderr[-2000:]
    errors, imported_at_end, calls, sidebar_items = json.loads(out.stdout.strip().splitlines()[-1])
    assert errors == []
    assert len(calls) == 1, "one map call: no rerun (the record was right)"
    before, args = calls[0]
    assert before == [], f"the map was sent after importing {before}"
    assert "spatial.api" in imported_at_end and sidebar_items > 0, "then the engine loaded and the page finished"

    # the same arguments as a session drawn after loading (its second run)
    at = sketch()
    at.run()
    later = map_args(at)
    for key in ("data_file", "assign", "names", "colours", "editing", "pieces", "caption", "message", "brush",
                "paint", "highlight_unassigned", "height"):
        assert args[key] == later[key], key
    assert len(args["assign"]) == engine.index.n and set(args["assign"]) == {-1}


def test_a_stale_record_is_replaced_and_the_map_redrawn_from_the_engine(engine, record):
    """A record made for other data (fewer areas, another file): the page reruns and draws what the engine says."""
    real = read_start(record) or MapStart("", 0, {})
    keep_start(record, MapStart("data/units-stale.json", 12, {"borough": "whole borough", "ccg": "whole CCG"}))
    at = sketch()
    args = map_args(at)
    assert args["data_file"] != "data/units-stale.json" and len(args["assign"]) == engine.index.n
    assert at.selectbox(key="sketch_brush").options == [
        "one unit (LSOA)", "whole MSOA", "whole ward", "whole borough", "whole CCG"]
    kept = read_start(record)
    assert kept.n == engine.index.n and kept.data_file == args["data_file"] and "unit" in kept.brushes
    assert not real.data_file or kept == real


def test_without_a_record_the_page_draws_after_loading_and_keeps_one(engine, record):
    record.unlink(missing_ok=True)
    at = sketch()
    assert len(map_args(at)["assign"]) == engine.index.n
    assert read_start(record).n == engine.index.n


def test_a_record_whose_map_file_is_gone_is_not_drawn(engine, record):
    """A record naming a map file this checkout does not have (the files are not in git): the browser could not
    fetch it, so the page draws after loading instead of showing a broken map."""
    sketch()  # keeps the record
    kept = read_start(record)
    assert kept is not None
    keep_start(record, MapStart("data/units-london-gone.json", kept.n, kept.brushes))
    assert read_start(record) is None
    args = map_args(sketch())
    assert args["data_file"] == kept.data_file and len(args["assign"]) == engine.index.n


def test_a_session_with_a_scenario_is_never_drawn_from_the_record(engine, record):
    """The record is only for a new session: one that has edited draws its own scenario."""
    at = sketch()
    at.session_state["sketch_map"] = {"nonce": "n1", "events": [[1, "click", "E09000024"]]}  # Merton
    at.run()
    keep_start(record, MapStart("data/units-stale.json", 3, {"borough": "whole borough"}))
    at.run()
    args = map_args(at)
    assert args["data_file"] != "data/units-stale.json" and max(args["assign"]) == 0
    assert args["names"] == ["New multi-borough system 1"]


# --- the record itself ------------------------------------------------------------------------------

def test_a_missing_damaged_or_empty_record_is_not_used(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.json").write_text("{}")
    path = tmp_path / "sketch.json"
    assert read_start(path, tmp_path) is None and read_start(None, tmp_path) is None
    for text in ("{", "[]", '{"data_file": "data/x.json"}',
                 '{"data_file": "data/x.json", "n": "many", "brushes": []}',
                 '{"data_file": "data/x.json", "n": 0, "brushes": [["borough", "whole borough"]]}',
                 '{"data_file": "", "n": 3, "brushes": [["borough", "whole borough"]]}',
                 '{"data_file": "data/gone.json", "n": 3, "brushes": [["borough", "whole borough"]]}',
                 '{"data_file": "../sketch.json", "n": 3, "brushes": [["borough", "whole borough"]]}'):
        path.write_text(text, encoding="utf-8")
        assert read_start(path, tmp_path) is None, text
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert read_start(path, tmp_path) is None
    path.write_text('{"data_file": "data/x.json", "n": 3, "brushes": [["borough", "whole borough"]]}')
    assert read_start(path, tmp_path) == MapStart("data/x.json", 3, {"borough": "whole borough"})


def test_a_record_round_trips_and_gives_the_blank_view(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "units-x.json").write_text("{}")
    start = MapStart("data/units-x.json", 4, {"unit": "one unit (LSOA)", "borough": "whole borough"})
    assert keep_start(tmp_path / "deep" / "sketch.json", start)
    assert read_start(tmp_path / "deep" / "sketch.json", tmp_path) == start
    view = blank_view(start, "2018")
    assert isinstance(view, SketchView) and view.level == "multi_borough" and view.names == ()
    assert view.new_name == "New multi-borough system 1" and view.brush == "borough" and view.lock
    kw = view.map_kwargs()
    assert kw["assign"] == (-1, -1, -1, -1) and kw["caption"] == "Brush: whole borough"
    assert blank_view(start, "2024").level == "multi_place"
    assert blank_view(MapStart("data/units-x.json", 4, {"unit": "one unit (LSOA)"}), "2018") is None


def test_a_read_only_cache_only_means_no_record(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):  # root writes anyway: use a path under a file instead
            target = tmp_path / "a-file"
            target.write_text("x")
            assert not keep_start(target / "sketch.json", MapStart("d.json", 1, {"borough": "b"}))
        else:
            assert not keep_start(folder / "sketch.json", MapStart("d.json", 1, {"borough": "b"}))
    finally:
        folder.chmod(0o700)


# --- under make run: the first run waits for the map before the engine -------------------------------

_WAIT_CODE = """
import json, sys, threading, time
from ui import map_ready
import ui.sketch_start as ss
ss.MAP_READY_WAIT_S = {wait}
signals = map_ready.install()  # as make run's launcher does (ui.serve.watch_map_ready)
import ui.components.clickmap.component as c
orig, seen = c._component, {{"tokens": []}}
heavy = {heavy!r}

def frame(token):  # the map's frame, a moment later: Leaflet and the data are here
    time.sleep(0.5)
    seen["imported_before_signal"] = [m for m in heavy if m in sys.modules]
    signals.note(token)

def spy(**kw):
    seen["tokens"].append(kw.get("ready_token"))
    if kw.get("ready_token") and {signal}:
        threading.Thread(target=frame, args=(kw["ready_token"],)).start()
    return orig(**kw)

c._component = spy
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({app!r}, default_timeout=180)
at.switch_page("ui/pages/sketch.py")
at.run()
first = [m for m in heavy if m in sys.modules]
at.run()  # the session's next run: drawn after loading, no token, no wait
print(json.dumps([[str(e.value) for e in at.exception], seen, first, len(at.sidebar.get("metric")) + len(at.sidebar.markdown)]))
"""


def _run_waiting(signal: bool, wait: float) -> tuple[list, dict, list, int]:
    code = _WAIT_CODE.format(wait=wait, heavy=ENGINE_MODULES, signal=signal, app=str(APP))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         cwd=APP.parent, env={**os.environ, "PYTHONPATH": str(APP.parent)})
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_under_make_run_the_first_run_loads_the_engine_once_the_map_has_what_it_needs(engine, record):
    """With the launcher's signals installed, a new session's map goes out with a token, and the run imports no
    engine module until the map's frame has said so; the session's later runs carry no token."""
    sketch()  # keeps the record
    errors, seen, first, metrics = _run_waiting(signal=True, wait=60)
    assert errors == []
    token, *later = seen["tokens"]
    assert token and len(token) >= 16 and later and all(t == "" for t in later)
    assert seen["imported_before_signal"] == [], "the run loaded the engine before the map said it was drawn"
    assert "spatial.api" in first and metrics > 0, "then it loaded the engine and finished the page"


def test_a_map_that_never_says_it_is_drawn_delays_the_engine_only_by_the_bounded_wait(engine, record):
    sketch()
    errors, seen, first, metrics = _run_waiting(signal=False, wait=0.5)
    assert errors == [] and seen["tokens"][0], "a token was sent, and nothing answered it"
    assert "spatial.api" in first and metrics > 0, "the page went on after the wait and finished"


def test_a_token_only_when_something_notes_it_and_once_per_session():
    from ui.map_ready import ReadySignals
    from ui.sketch_start import WAITED_KEY, ready_token

    state: dict = {}
    assert ready_token(state, None) == "" and WAITED_KEY not in state  # plain streamlit run, AppTest
    signals = ReadySignals()
    token = ready_token(state, signals)
    assert len(token) >= 16 and state[WAITED_KEY] is True
    assert ready_token(state, signals) == ""  # a rerun of the session's first run finds its map drawn already
    assert ready_token({}, signals) != token  # another session, another token
