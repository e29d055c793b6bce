"""The Scenarios page and share links against a real store (AppTest, real app, real London data).

The store is an SQLite file per test (``FOOTPRINTS_DB``); "another user" is
a second :class:`spatial.store.Store` on the same file, as a second server
process would be.  What the page shows is checked against the rows read back
from the store.
"""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest

from spatial import Footprint
from spatial.preloaded import load_preloaded
from spatial.io import dumps, loads, save_scenario
from spatial.store import open_store
from tests.ui.test_app_pages import errors, find_table, run_app, state_of

MERTON = "E09000024"


@pytest.fixture(autouse=True)
def store_db(tmp_path, monkeypatch):
    db = tmp_path / "store.db"
    monkeypatch.setenv("FOOTPRINTS_DB", str(db))
    monkeypatch.setenv("FOOTPRINTS_SCENARIOS", str(tmp_path / "legacy"))
    return db


def texts(at, raw: bool = False) -> str:
    """Text of the page's messages and markdown (markdown escapes removed unless ``raw``)."""
    import re

    text = "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.info]
                     + [w.value for w in at.warning] + [s.value for s in at.success] + [e.value for e in at.error])
    return text if raw else re.sub(r"\\(.)", r"\1", text)


def open_link(**params):
    """A fresh browser session opening the app at ``/?<params>``."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import require_data_dir
    from tests.ui.test_app_pages import APP

    require_data_dir()
    at = AppTest.from_file(APP, default_timeout=300)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def save(at, name: str | None = None, author: str = "Ana", message: str = ""):
    if at.text_input(key="scenarios_author").value != author:
        at.text_input(key="scenarios_author").input(author).run()
    if name is not None:
        at.text_input(key="scenarios_save_as").input(name).run()
    if message:
        at.text_input(key="scenarios_message").input(message).run()
    at.button(key="scenarios_save").click().run()
    assert not at.exception, at.exception


def test_each_save_is_a_version_with_history_and_links(store_db):
    kr = load_preloaded("kingston-richmond")
    at = run_app(kr, "ui/pages/scenarios.py")
    save(at, message="first cut")
    edited = dataclasses.replace(kr, footprints=kr.footprints + (Footprint("Merton", "borough", (MERTON,)),))
    state_of(at).history.push(edited, "edit")
    at.run()
    save(at, message="add <b>Merton</b>")
    assert not errors(at), errors(at)
    with sqlite3.connect(store_db) as conn:
        rows = conn.execute("SELECT number, author, message, body FROM versions ORDER BY number").fetchall()
        sid = conn.execute("SELECT id FROM scenarios").fetchone()[0]
    assert [(r[0], r[1], r[2]) for r in rows] == [(1, "Ana", "first cut"), (2, "Ana", "add <b>Merton</b>")]
    assert loads(rows[1][3]) == edited
    hist = find_table(at, "SHA-256")
    assert list(hist["Version"]) == [2, 1] and list(hist["Message"]) == ["add <b>Merton</b>", "first cut"]
    codes = [c.value for c in at.code]
    assert f"?scenario={sid}" in codes and f"?scenario={sid}&version=2" in codes
    # compare version 1 with version 2: Merton was added
    at.selectbox(key="scenarios_cmp_a").set_value(1).run()
    at.selectbox(key="scenarios_cmp_b").set_value(2).run()
    at.button(key="scenarios_cmp_versions").click().run()
    moves = find_table(at, "status")
    assert moves.set_index("footprint").loc["Merton", "status"] == "added"
    # restore version 1 as version 3
    at.selectbox(key="scenarios_version").set_value(1).run()
    at.button(key="scenarios_restore_version").click().run()
    with sqlite3.connect(store_db) as conn:
        v3 = conn.execute("SELECT body, message FROM versions WHERE number = 3").fetchone()
    assert loads(v3[0]) == kr and v3[1] == "restored version 1"
    # open an older version to edit: saving it then makes version 4, no conflict
    at.selectbox(key="scenarios_version").set_value(2).run()
    at.button(key="scenarios_open_version").click().run()
    assert state_of(at).scenario == edited and at.session_state["store_ref"].version == 3
    assert "version 2 (latest is 3)" in texts(at)
    save(at, message="from version 2")
    with sqlite3.connect(store_db) as conn:
        v4 = conn.execute("SELECT body, message FROM versions WHERE number = 4").fetchone()
    assert loads(v4[0]) == edited and v4[1] == "from version 2"


def test_conflict_shows_both_sides_and_keeps_mine_or_takes_theirs(store_db):
    kr = load_preloaded("kingston-richmond")
    at = run_app(kr, "ui/pages/scenarios.py")
    save(at)
    sid = state_of(at) and at.session_state["store_ref"].scenario_id
    # a colleague saves version 2 meanwhile (their own server process / session)
    other = open_store(str(store_db))
    theirs = dataclasses.replace(kr, footprints=kr.footprints + (Footprint("Merton", "borough", (MERTON,)),))
    other.save(sid, theirs, based_on=1, author="Bo", message="theirs")
    mine = dataclasses.replace(kr, description="mine")
    state_of(at).history.push(mine, "edit")
    at.run()
    save(at)
    page = texts(at)
    assert "Version 2 was saved by Bo after version 1" in page and "Nothing was overwritten" in page
    assert [h.number for h in other.history(sid)] == [1, 2]  # nothing written
    moves = find_table(at, "status").set_index("footprint")
    assert moves.loc["Merton", "status"] == "removed"  # theirs has Merton, mine does not
    at.button(key="scenarios_keep_mine").click().run()
    assert [(h.number, h.author) for h in other.history(sid)] == [(1, "Ana"), (2, "Bo"), (3, "Ana")]
    assert other.open(sid)[2] == mine and other.open(sid, 2)[2] == theirs
    # second conflict, this time take theirs
    other.save(sid, theirs, based_on=3, author="Bo")
    state_of(at).history.push(dataclasses.replace(mine, description="mine again"), "edit")
    at.run()
    save(at)
    at.button(key="scenarios_take_theirs").click().run()
    assert state_of(at).scenario == theirs and at.session_state["store_ref"].version == 4
    assert [h.number for h in other.history(sid)] == [1, 2, 3, 4]
    other.close()


def test_share_link_opens_read_only_and_make_a_copy(store_db):
    store = open_store(str(store_db))
    kr = load_preloaded("kingston-richmond")
    v = store.create(dataclasses.replace(kr, name="<script>x</script> K&R"), author="Ana", message="for the board")
    store.save(v.scenario_id, dataclasses.replace(kr, name="<script>x</script> K&R", description="v2"), based_on=1,
               author="Bo")
    at = open_link(scenario=v.scenario_id, version="1")
    page = texts(at)
    assert "Read-only: version 1 of <script>x</script> K&R, saved by Ana" in page
    assert "A newer version (2) exists." in page
    assert "\\<script\\>x\\</script\\> K&R" in texts(at, raw=True)  # escaped, shown literally
    table = find_table(at, "Verdict")
    assert set(table["Footprint"]) == {fp.name for fp in kr.footprints}
    assert not [b for b in at.button if b.key in ("scenarios_save", "scenarios_keep_mine")]  # nothing to edit
    at.button(key="shared_copy").click().run()
    assert state_of(at).scenario.name == "Copy of <script>x</script> K&R"
    assert state_of(at).scenario.footprints == kr.footprints
    assert [t.value for t in at.title] == ["Scenarios"]  # the editable page, with the copy
    assert "Not saved on this server yet" in texts(at)  # the copy is a new scenario, not linked to the original
    assert store.count() == (1, 2)  # the copy is not saved until its user saves it
    store.close()


@pytest.mark.parametrize("crafted", ["' OR 1=1 --", "../../../etc/passwd", "x" * 5000, "%00", "PRIVATE"])
def test_crafted_links_say_not_found_only(store_db, crafted):
    store = open_store(str(store_db))
    v = store.create(load_preloaded("kingston-richmond"), author="Ana", owner="ana@nhs.net", private=True)
    at = open_link(scenario=v.scenario_id if crafted == "PRIVATE" else crafted)
    assert errors(at) == ["Scenario not found."]
    assert not at.dataframe
    store.close()


def test_locked_database_names_it_and_keeps_the_scenario_downloadable(store_db, monkeypatch):
    kr = load_preloaded("kingston-richmond")
    at = run_app(kr, "ui/pages/scenarios.py")
    save(at)  # the store is open and has version 1
    from ui.store import _store

    _store.clear()
    monkeypatch.setenv("FOOTPRINTS_DB", f"sqlite:///{store_db}?timeout=0.5")
    locker = sqlite3.connect(store_db, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        state_of(at).history.push(dataclasses.replace(kr, description="edited"), "edit")
        at.run()
        save(at)
        msgs = errors(at)
        assert any("database is locked" in m and str(store_db) in m for m in msgs), msgs
        dl = [b for b in at.get("download_button") if b.proto.label == "Download this scenario as JSON"]
        assert dl, "no JSON download offered"
        assert state_of(at).scenario.description == "edited"  # kept in the browser session
    finally:
        locker.execute("ROLLBACK")
        locker.close()
        _store.clear()


def test_first_start_imports_the_old_folder(store_db, tmp_path):
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    for sid in ("kingston-richmond", "london-stps"):
        save_scenario(load_preloaded(sid), legacy / f"{sid}.json")
    before = sorted(p.name for p in legacy.iterdir())
    at = run_app(page="ui/pages/scenarios.py")
    opts = at.selectbox(key="scenarios_saved").options
    assert len(opts) == 2 and any("Kingston and Richmond · version 1" in o for o in opts), opts
    assert sorted(p.name for p in legacy.iterdir()) == before
    with sqlite3.connect(store_db) as conn:
        bodies = [r[0] for r in conn.execute("SELECT body FROM versions")]
    assert sorted(bodies) == sorted(dumps(load_preloaded(s)) for s in ("kingston-richmond", "london-stps"))


def test_unreachable_postgresql_is_named_and_the_scenario_stays_downloadable(monkeypatch):
    """FOOTPRINTS_DB names a PostgreSQL server that is not running (a free port on 127.0.0.1)."""
    from tests.browser_helpers import free_port
    from ui.store import _store

    url = f"postgresql://footprints@127.0.0.1:{free_port()}/footprints"
    monkeypatch.setenv("FOOTPRINTS_DB", url)
    _store.clear()
    kr = load_preloaded("kingston-richmond")
    at = run_app(kr, "ui/pages/scenarios.py")
    msgs = errors(at)
    assert any("PostgreSQL database postgresql+psycopg://footprints@127.0.0.1" in m and "cannot be reached" in m
               and "Fix:" in m for m in msgs), msgs
    save(at)
    assert state_of(at).scenario == kr  # kept in the browser
    dl = [b for b in at.get("download_button") if b.proto.label == "Download this scenario as JSON"]
    assert dl, "no JSON download offered"
    _store.clear()


def _signed_in_app(user: dict | None, page: str = "ui/pages/scenarios.py", current=None, **params):
    """The app with an ``[auth]`` section configured and ``st.user`` as given (AppTest's own seam)."""
    from streamlit.testing.v1 import AppTest

    from tests.ui.test_app_pages import APP
    from ui.state import STATE_KEY, AppState

    at = AppTest.from_file(APP, default_timeout=300)
    at.secrets["auth"] = {"redirect_uri": "http://127.0.0.1/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "id", "client_secret": "secret",
                          "server_metadata_url": "http://127.0.0.1/.well-known/openid-configuration"}
    at.user = user if user is not None else {"is_logged_in": False}
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if current is not None:
        state = AppState()
        state.history.push(current, "test")
        state.compare_with = current
        at.session_state[STATE_KEY] = state
    if page and not params:
        at.switch_page(page)
        at.run()
    assert not at.exception, at.exception
    return at


def test_with_sign_in_the_owner_saves_and_can_make_a_scenario_private(store_db):
    kr = load_preloaded("kingston-richmond")
    out = _signed_in_app(None, current=kr)
    assert any(b.label == "Sign in" for b in out.button)
    assert [b for b in out.button if b.key == "scenarios_save"][0].disabled  # saving needs sign-in
    open_store(str(store_db)).create(load_preloaded("london-stps"), author="setup")
    out.run()
    assert [b for b in out.button if b.key == "scenarios_delete"][0].disabled  # and so do bin and restore
    assert not any(t.key == "scenarios_author" for t in out.text_input)
    ana = {"is_logged_in": True, "email": "ana@nhs.net", "name": "Ana Planner"}
    at = _signed_in_app(ana, current=kr)
    at.button(key="scenarios_save").click().run()
    assert not errors(at), errors(at)
    store = open_store(str(store_db))
    (info,) = [s for s in store.list(user="ana@nhs.net") if s.name == "Kingston and Richmond"]
    assert (info.owner, info.updated_by, info.private) == ("ana@nhs.net", "Ana Planner", False)
    at.toggle(key=f"scenarios_private_{info.id}").set_value(True).run()
    assert store.info(info.id, user="ana@nhs.net").private
    # another signed-in user neither lists it nor opens its link
    bo = {"is_logged_in": True, "email": "bo@nhs.net", "name": "Bo"}
    other = _signed_in_app(bo)
    assert not any("Kingston and Richmond" in o for o in other.selectbox(key="scenarios_saved").options)
    link = _signed_in_app(bo, scenario=info.id)
    assert errors(link) == ["Scenario not found."]
    mine = _signed_in_app(ana, scenario=info.id)
    assert not errors(mine) and "Read-only: version 1 of Kingston and Richmond" in texts(mine)
    store.close()


def test_bin_from_the_page(store_db):
    kr = load_preloaded("kingston-richmond")
    at = run_app(kr, "ui/pages/scenarios.py")
    save(at)
    store = open_store(str(store_db))
    store.create(dataclasses.replace(kr, name="Second plan"), author="Bo")
    first = store.find("Kingston and Richmond")
    at.run()
    at.selectbox(key="scenarios_saved").set_value(first.id).run()
    at.button(key="scenarios_delete").click().run()
    assert not errors(at) and not at.exception
    assert "moved to the bin: it can be restored for 30 days" in texts(at)
    assert [s.name for s in store.list()] == ["Second plan"]
    assert [o for o in at.selectbox(key="scenarios_saved").options if "Kingston" in o] == []
    at.button(key=f"scenarios_unbin_{first.id}").click().run()
    assert "restored from the bin" in texts(at)
    assert {s.name for s in store.list()} == {"Kingston and Richmond", "Second plan"}
    store.close()
