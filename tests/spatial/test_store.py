"""The scenario store (spatial/store) on SQLite and on a real PostgreSQL server.

Every test runs twice (``db_url``: an SQLite file, then a fresh database on
the PostgreSQL cluster of the ``pg_server`` fixture).  Bodies and hashes are
checked against ``scenario_io.dumps`` and ``hashlib`` directly, and the tables
are read back with plain SQL, not through the store.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from spatial import Footprint, Scenario
from spatial.preloaded import list_preloaded, load_preloaded
from spatial.io import dumps, save_scenario
from spatial.store import (ConflictError, NameTakenError, NotFoundError, StoreCorruptError, open_store)
from spatial.store.engine import HEAD
from spatial.thresholds import STORE_BIN_DAYS

KINGSTON, RICHMOND, MERTON = "E09000021", "E09000027", "E09000024"


def _raw(url: str):
    """A plain SQLAlchemy engine on the same database (for reading tables behind the store's back)."""
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


@pytest.fixture
def store(db_url):
    s = open_store(db_url)
    yield s
    s.close()


@pytest.fixture
def kr() -> Scenario:
    return load_preloaded("kingston-richmond")


def sha(text_: str) -> str:
    return hashlib.sha256(text_.encode("utf-8")).hexdigest()


def test_every_save_is_a_version_with_its_body_and_hash(store, db_url, kr):
    v1 = store.create(kr, author="Ana", message="first")
    edited = dataclasses.replace(kr, footprints=kr.footprints + (Footprint("Merton", "borough", (MERTON,)),))
    v2 = store.save(v1.scenario_id, edited, based_on=1, author="Bo", message="add Merton")
    assert (v1.number, v2.number) == (1, 2)
    hist = store.history(v1.scenario_id)
    assert [(h.number, h.author, h.message) for h in hist] == [(1, "Ana", "first"), (2, "Bo", "add Merton")]
    with _raw(db_url).connect() as conn:
        rows = conn.execute(text("SELECT number, body, sha256 FROM versions WHERE scenario_id = :i ORDER BY number"),
                            {"i": v1.scenario_id}).all()
        latest = conn.execute(text("SELECT latest FROM scenarios WHERE id = :i"), {"i": v1.scenario_id}).scalar_one()
    assert [r.body for r in rows] == [dumps(kr), dumps(edited)]
    assert [r.sha256 for r in rows] == [sha(dumps(kr)), sha(dumps(edited))]
    assert latest == 2
    # the body is the documented exchange format
    assert json.loads(rows[1].body)["format"] == "footprints-scenario"
    info, v, opened = store.open(v1.scenario_id)
    assert (v.number, opened) == (2, edited)
    assert store.open(v1.scenario_id, 1)[2] == kr
    assert store.open(v1.scenario_id, "1")[2] == kr


def test_save_based_on_an_old_version_is_a_conflict_and_writes_nothing(store, kr):
    v1 = store.create(kr, author="Ana")
    theirs = dataclasses.replace(kr, description="theirs")
    mine = dataclasses.replace(kr, description="mine")
    store.save(v1.scenario_id, theirs, based_on=1, author="Bo")
    with pytest.raises(ConflictError) as err:
        store.save(v1.scenario_id, mine, based_on=1, author="Ana")
    assert (err.value.based_on, err.value.latest, err.value.latest_author) == (1, 2, "Bo")
    assert "nothing was overwritten" in str(err.value)
    assert [h.number for h in store.history(v1.scenario_id)] == [1, 2]
    assert store.open(v1.scenario_id)[2].description == "theirs"
    # keep mine as a new version: based on the latest the conflict reported
    v3 = store.save(v1.scenario_id, mine, based_on=err.value.latest, author="Ana", message="kept mine")
    assert v3.number == 3 and store.open(v1.scenario_id, 2)[2].description == "theirs"
    assert store.open(v1.scenario_id)[2].description == "mine"


def test_names_are_never_overwritten(store, kr):
    a = store.create(kr, author="Ana")
    for same in ("Kingston and Richmond", "  kingston AND   richmond ", "KINGSTON AND RICHMOND"):
        with pytest.raises(NameTakenError):
            store.create(dataclasses.replace(kr, name=same, description="other"), author="Bo")
    b = store.create(dataclasses.replace(kr, name="Other plan"), author="Bo")
    with pytest.raises(NameTakenError):
        store.rename(b.scenario_id, "kingston and richmond", author="Bo")
    assert store.info(b.scenario_id).name == "Other plan"
    assert [h.number for h in store.history(b.scenario_id)] == [1]
    assert store.open(a.scenario_id)[2] == kr  # untouched
    v = store.rename(b.scenario_id, "Renamed plan", author="Bo")
    assert v.number == 2 and "renamed from 'Other plan'" in store.history(b.scenario_id)[-1].message
    assert store.open(b.scenario_id)[2].name == "Renamed plan"
    # the old name is free again
    assert store.create(dataclasses.replace(kr, name="Other plan"), author="Cy").number == 1


def test_bin_restores_for_30_days_then_purges(store, kr):
    v = store.create(kr, author="Ana")
    keep = store.create(dataclasses.replace(kr, name="Keep"), author="Ana")
    store.delete(v.scenario_id)
    assert [s.id for s in store.list()] == [keep.scenario_id]
    assert [s.id for s in store.list(deleted=True)] == [v.scenario_id]
    with pytest.raises(NotFoundError):
        store.open(v.scenario_id)
    # the name is free while it is in the bin; restoring then needs it back
    other = store.create(kr, author="Bo")
    with pytest.raises(NameTakenError):
        store.restore(v.scenario_id)
    store.delete(other.scenario_id)
    assert store.restore(v.scenario_id).deleted_at is None
    assert store.open(v.scenario_id)[2] == kr
    deleted_at = store.list(deleted=True)[0].deleted_at
    assert store.purge_bin(now=deleted_at + timedelta(days=STORE_BIN_DAYS - 1)) == 0
    assert store.purge_bin(now=deleted_at + timedelta(days=STORE_BIN_DAYS, seconds=1)) == 1
    assert store.list(deleted=True) == []
    assert store.count() == (2, 2)


def test_private_scenarios_are_not_found_by_anyone_else(store, kr):
    mine = store.create(kr, author="Ana", owner="ana@nhs.net", private=True)
    shared = store.create(dataclasses.replace(kr, name="Shared"), author="Ana", owner="ana@nhs.net")
    assert {s.id for s in store.list(user="ana@nhs.net")} == {mine.scenario_id, shared.scenario_id}
    for other in (None, "bo@nhs.net", ""):
        assert [s.id for s in store.list(user=other)] == [shared.scenario_id]
        for call in (lambda: store.open(mine.scenario_id, user=other),
                     lambda: store.history(mine.scenario_id, user=other),
                     lambda: store.save(mine.scenario_id, kr, based_on=1, author="x", user=other),
                     lambda: store.delete(mine.scenario_id, user=other)):
            with pytest.raises(NotFoundError) as err:
                call()
            assert str(err.value) == "scenario not found"
    assert store.open(mine.scenario_id, user="ana@nhs.net")[2] == kr
    store.set_private(shared.scenario_id, True, user="ana@nhs.net")
    assert store.list(user="bo@nhs.net") == []


CRAFTED = [
    "' OR '1'='1", "1; DROP TABLE scenarios; --", "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "x" * 100_000,
    "", " ", "\x00", "AAAAAAAAAAAAAAAAAAAAAA", "%00", "<script>alert(1)</script>", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢" * 3, None, 12345,
]


@pytest.mark.parametrize("crafted", CRAFTED, ids=range(len(CRAFTED)))
def test_crafted_ids_get_not_found_and_nothing_more(store, db_url, kr, crafted):
    v = store.create(kr, author="Ana")
    with pytest.raises(NotFoundError) as err:
        store.open(crafted)
    assert str(err.value) == "scenario not found"
    for version in ("1; DROP TABLE versions", "-1", "0", "99999999999", "1e3", "١", "../1"):
        with pytest.raises(NotFoundError):
            store.open(v.scenario_id, version)
    with pytest.raises(NotFoundError):
        store.open(v.scenario_id, 2)
    with _raw(db_url).connect() as conn:  # the tables are intact
        assert conn.execute(text("SELECT count(*) FROM versions")).scalar_one() == 1


def test_hostile_names_and_messages_are_stored_exactly(store, kr):
    hostile = "<img src=x onerror=alert(1)> '; DROP TABLE scenarios; -- =HYPERLINK(\"x\")"
    v = store.create(dataclasses.replace(kr, name=hostile), author="<b>Eve</b>", message="**bold** [x](javascript:1)")
    info, ver, sc = store.open(v.scenario_id)
    assert (info.name, sc.name, ver.author, ver.message) == (hostile, hostile, "<b>Eve</b>", "**bold** [x](javascript:1)")
    assert store.find(hostile).id == v.scenario_id
    assert store.count() == (1, 1)


def test_restore_version_adds_a_version_with_the_old_content(store, kr):
    v = store.create(kr, author="Ana")
    store.save(v.scenario_id, dataclasses.replace(kr, description="two"), based_on=1, author="Ana")
    r = store.restore_version(v.scenario_id, 1, based_on=2, author="Bo")
    assert r.number == 3 and store.open(v.scenario_id)[2] == kr
    assert store.history(v.scenario_id)[-1].message == "restored version 1"


def test_tampered_body_is_reported_not_loaded(store, db_url, kr):
    v = store.create(kr, author="Ana")
    with _raw(db_url).begin() as conn:
        conn.execute(text("UPDATE versions SET body = replace(body, 'E09000021', 'E09000022')"))
    with pytest.raises(StoreCorruptError, match="SHA-256"):
        store.open(v.scenario_id)


def test_schema_is_at_the_alembic_head_and_reopening_is_harmless(store, db_url, kr):
    store.create(kr, author="Ana")
    again = open_store(db_url)
    with _raw(db_url).connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == HEAD
        if db_url.startswith("sqlite"):
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    assert again.count() == (1, 1)
    again.close()


def test_folder_import_each_file_version_1_nothing_deleted(store, tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    ids = [i for i, _, _ in list_preloaded()]
    for sid in ids:
        save_scenario(load_preloaded(sid), folder / f"{sid}.json")
    (folder / "broken.json").write_text('{"format": "footprints-scenario", "version": 1, "name": ')
    # a file whose name collides with one already in the store
    store.create(load_preloaded("kingston-richmond"), author="Ana")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    from spatial.store.folders import import_once

    done, problems = import_once(store, folder)
    assert len(done) == len(ids) and all(v.number == 1 for v in done)
    assert len(problems) == 1 and problems[0].startswith("broken.json")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # nothing changed or deleted
    names = {s.name for s in store.list()}
    assert {load_preloaded(i).name for i in ids} <= names and "Kingston and Richmond (imported)" in names
    assert import_once(store, folder) is None  # only on first start
    assert store.count() == (len(ids) + 1, len(ids) + 1)


def test_export_then_import_keeps_every_version(store, tmp_path, kr):
    a = store.create(kr, author="Ana", message="one")
    store.save(a.scenario_id, dataclasses.replace(kr, description="two"), based_on=1, author="Bo", message="two")
    store.create(dataclasses.replace(kr, name="B"), author="Cy")
    assert store.export_folder(tmp_path / "exp") == 4  # three versions and the manifest
    other = open_store(f"sqlite:///{tmp_path / 'other.db'}")
    done, problems = other.import_folder(tmp_path / "exp")
    assert problems == [] and len(done) == 2
    for s in store.list():
        twin = other.find(s.name)
        assert [(h.number, h.author, h.message, h.sha256) for h in other.history(twin.id)] == \
               [(h.number, h.author, h.message, h.sha256) for h in store.history(s.id)]
    # each exported version is a plain scenario file
    from spatial.io import load_scenario

    files = sorted((tmp_path / "exp").glob("*/v*.json"))
    assert len(files) == 3 and load_scenario(files[0]).footprints == kr.footprints
    other.close()


def test_list_pages_and_search(store, kr):
    names = ["Alpha 100%", "alpha_2", "Beta", "Gamma"]
    for n in names:
        store.create(dataclasses.replace(kr, name=n), author="Ana")
    newest_first = [s.name for s in store.list()]
    assert newest_first == names[::-1]
    assert [s.name for s in store.list(limit=2)] + [s.name for s in store.list(limit=2, offset=2)] == newest_first
    assert {s.name for s in store.list(search="ALPHA")} == {"Alpha 100%", "alpha_2"}
    assert [s.name for s in store.list(search="100%")] == ["Alpha 100%"]  # % is literal
    assert [s.name for s in store.list(search="a_2")] == ["alpha_2"]  # _ is literal
    assert store.list(search="zzz") == []


def test_models_and_migrations_describe_the_same_schema(store, db_url):
    """Alembic's autogenerate finds nothing to add: the migrations build exactly the models' tables."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from spatial.store.models import Base

    with _raw(db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_cli_export_and_import_move_a_whole_store(store, db_url, tmp_path, kr, capsys):
    from spatial.cli import main

    a = store.create(kr, author="Ana", message="one")
    store.save(a.scenario_id, dataclasses.replace(kr, description="two"), based_on=1, author="Bo", message="two")
    store.create(load_preloaded("london-stps"), author="Cy")
    assert main(["scenarios", "export", str(tmp_path / "out"), "--db", db_url]) == 0
    assert "wrote 4 file(s)" in capsys.readouterr().out
    target = tmp_path / "new.db"
    assert main(["scenarios", "import", str(tmp_path / "out"), "--db", str(target)]) == 0
    assert "imported 2 scenario(s)" in capsys.readouterr().out
    new = open_store(target)
    twin = new.find("Kingston and Richmond")
    assert [(h.number, h.author, h.message) for h in new.history(twin.id)] == [(1, "Ana", "one"), (2, "Bo", "two")]
    assert new.open(twin.id)[2] == dataclasses.replace(kr, description="two")
    # a folder with nothing importable is exit code 2, with the reason on stderr
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.json").write_text("[]")
    assert main(["scenarios", "import", str(tmp_path / "bad"), "--db", str(target)]) == 2
    assert "x.json: not imported" in capsys.readouterr().err
    new.close()


def test_footprints_db_setting(tmp_path):
    import platformdirs

    from boundaries.config import settings

    default = settings({}).db_url
    assert default == "sqlite:///" + str(platformdirs.user_data_path("footprints", appauthor=False) / "footprints.db")
    assert settings({"FOOTPRINTS_DB": str(tmp_path / "x.db")}).db_url == f"sqlite:///{tmp_path / 'x.db'}"
    url = "postgresql://u@127.0.0.1:5432/footprints"
    assert settings({"FOOTPRINTS_DB": f"  {url} "}).db_url == url
    from spatial.store import StoreError

    with pytest.raises(StoreError, match="mysql databases are not supported"):
        open_store("mysql://u@h/db")
