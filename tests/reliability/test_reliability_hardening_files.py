"""Issue 12, items 2 and 3: assignment CSVs never swallow rows; saves never replace another scenario.

Assignment CSVs are built from the real London units (codes read from the data with pandas); each bad
file is checked in the reader, through ``python -m spatial check`` (exit 2, the line named, nothing
written) and through the running app's upload (AppTest: ``st.error``, the scenario unchanged).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from spatial.errors import AssignmentError
from spatial.io import assignment_from_csv

ROOT = Path(__file__).resolve().parents[2]
KINGSTON, RICHMOND = "E09000021", "E09000027"


def _codes(geo, borough: str, n: int = 3) -> list[str]:
    return sorted(geo.units.loc[geo.units["borough"] == borough, "code"])[:n]


def _bad_csvs(geo) -> dict[str, tuple[str, int]]:
    """name -> (CSV text, line the error must name)."""
    k, r = _codes(geo, KINGSTON), _codes(geo, RICHMOND)
    rows_k = "".join(f"{c},Kingston\n" for c in k)
    return {
        # the quote on line 3 is never closed: lines 4-7 would become part of one name
        "unbalanced_quote": ("unit_code,footprint\n" + f"{k[0]},Kingston\n" + f'{k[1]},"Kingston\n'
                             + f"{k[2]},Kingston\n" + "".join(f"{c},Richmond\n" for c in r), 3),
        "newline_in_name": ("unit_code,footprint\n" + rows_k + f'{r[0]},"Rich\nmond"\n' + f"{r[1]},Richmond\n", 5),
        "quote_closed_lines_later": ("unit_code,footprint\n" + f'{k[0]},"Kingston\n{k[1]},Kingston\n{k[2]},'
                                     f'Kingston"\n' + "".join(f"{c},Richmond\n" for c in r), 2),
        "unbalanced_quote_on_last_line": ("unit_code,footprint\n" + rows_k + f'{r[0]},"Richmond', 5),
    }


@pytest.mark.parametrize("case", ["unbalanced_quote", "newline_in_name", "quote_closed_lines_later",
                                  "unbalanced_quote_on_last_line"])
def test_assignment_csv_that_would_swallow_rows_is_a_malformed_csv_error_naming_the_line(case, index, geo):
    text, line = _bad_csvs(geo)[case]
    with pytest.raises(AssignmentError, match=rf"malformed CSV.*line {line}\b.*Fix: ") as err:
        assignment_from_csv(text, index=index)
    assert "quote" in str(err.value)


def test_good_quoted_names_are_still_read(index, geo):
    k = _codes(geo, KINGSTON)
    text = "unit_code,footprint\n" + "".join(f'{c},"Kingston, with ""quotes"""\n' for c in k)
    s = assignment_from_csv(text, index=index)
    assert s.names() == ['Kingston, with "quotes"'] and set(s.footprints[0].members) == set(k)


def _env(tmp_path: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "FOOTPRINTS_SCENARIOS": str(tmp_path / "saved")}


@pytest.mark.parametrize("case", ["unbalanced_quote", "newline_in_name"])
def test_swallowed_rows_end_to_end_cli_exits_2_naming_the_line(case, tmp_path, geo):
    text, line = _bad_csvs(geo)[case]
    path = tmp_path / "plan.csv"
    path.write_text(text, encoding="utf-8")
    before = path.read_bytes()
    out = subprocess.run([sys.executable, "-m", "spatial", "check", str(path), "--no-care-flows"],
                         capture_output=True, text=True, env=_env(tmp_path), cwd=ROOT, timeout=600)
    assert out.returncode == 2, (out.returncode, out.stdout[-500:], out.stderr[-500:])
    assert "malformed CSV" in out.stderr and f"line {line}" in out.stderr and "Fix:" in out.stderr
    assert "Traceback" not in out.stderr and not out.stdout.strip()
    assert path.read_bytes() == before


@pytest.mark.parametrize("case", ["unbalanced_quote", "newline_in_name"])
def test_swallowed_rows_end_to_end_app_upload_shows_the_error_and_keeps_the_scenario(case, tmp_path, geo,
                                                                                       monkeypatch):
    from tests.ui.test_app_pages import errors, kr_scenario, run_app, state_of

    monkeypatch.setenv("FOOTPRINTS_SCENARIOS", str(tmp_path / "saved"))
    text, line = _bad_csvs(geo)[case]
    before = kr_scenario()
    at = run_app(before, "ui/pages/scenarios.py")
    n_versions = len(state_of(at).history.past)
    at.file_uploader(key="scenarios_upload").set_value(("plan.csv", text.encode(), "text/csv")).run()
    assert not at.exception, at.exception
    msgs = errors(at)
    assert any("malformed CSV" in m and f"plan.csv, line {line}" in m and "Fix:" in m for m in msgs), msgs
    assert state_of(at).scenario == before and len(state_of(at).history.past) == n_versions


# --- item 3: saves never replace another scenario ----------------------------------------------------

def _plan(name: str, borough: str = KINGSTON):
    from spatial.footprints import Footprint, Scenario

    return Scenario(name, (Footprint("A", "borough", (borough,)),))


@pytest.mark.parametrize("first,second", [
    ("SWL/Merton", "SWL-Merton"),
    ("x" * 80 + " first plan", "x" * 80 + " second plan"),
])
def test_a_save_never_replaces_a_file_holding_another_scenario(tmp_path, first, second):
    from spatial.errors import ScenarioExistsError
    from spatial.io import load_scenario, save_scenario
    from ui.files import scenario_path

    p1, p2 = scenario_path(tmp_path, first), scenario_path(tmp_path, second)
    assert p1 == p2, "the two names must map to one file for this test"
    save_scenario(_plan(first), p1)
    before = p1.read_bytes()
    with pytest.raises(ScenarioExistsError, match=r"holds another scenario.*Fix: .*overwrite") as err:
        save_scenario(_plan(second, RICHMOND), p2)
    assert repr(first) in str(err.value) and repr(second) in str(err.value)
    assert p1.read_bytes() == before and load_scenario(p1).name == first
    assert [p.name for p in tmp_path.iterdir()] == [p1.name], "no temporary file left"
    save_scenario(_plan(first, RICHMOND), p1)  # the same scenario saved again replaces its own file
    assert load_scenario(p1) == _plan(first, RICHMOND)
    save_scenario(_plan(second, RICHMOND), p2, overwrite=True)  # an explicit choice replaces it
    assert load_scenario(p2).name == second


def test_a_save_never_replaces_a_file_that_is_not_a_scenario(tmp_path):
    from spatial.errors import ScenarioExistsError
    from spatial.io import save_scenario

    path = tmp_path / "notes.json"
    path.write_text('{"my": "own file"}')
    with pytest.raises(ScenarioExistsError, match="not a Footprints scenario"):
        save_scenario(_plan("Plan"), path)
    assert path.read_text() == '{"my": "own file"}'


def test_orphan_temporary_files_of_killed_saves_are_removed_by_the_next_save(tmp_path):
    import time

    from spatial.limits import ORPHAN_TMP_SECONDS
    from spatial.io import save_scenario

    old = time.time() - ORPHAN_TMP_SECONDS - 5
    orphans = []
    for i in range(40):
        p = tmp_path / f".plan-{i % 3}.json.abc{i}xyz.tmp"
        p.write_text('{"half": ')
        os.utime(p, (old, old))
        orphans.append(p)
    fresh = tmp_path / ".plan-0.json.inprogress.tmp"  # another save still writing: left alone
    fresh.write_text("{")
    mine = tmp_path / "notes.tmp"  # not ours: left alone
    mine.write_text("x")
    os.utime(mine, (old, old))
    save_scenario(_plan("Plan"), tmp_path / "plan-9.json")
    assert not [p for p in orphans if p.exists()]
    assert fresh.exists() and mine.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([fresh.name, mine.name, "plan-9.json"])


def test_overwrite_end_to_end_cli_refuses_then_replaces_with_overwrite(tmp_path, geo):
    from spatial.io import load_scenario, save_scenario

    target = tmp_path / "SWL-Merton.json"
    save_scenario(_plan("SWL/Merton"), target)
    before = target.read_bytes()
    k = _codes(geo, KINGSTON)
    csv_path = tmp_path / "SWL-Merton.csv"
    csv_path.write_text("unit_code,footprint\n" + "".join(f"{c},Kingston bit\n" for c in k))
    cmd = [sys.executable, "-m", "spatial", "check", str(csv_path), "--no-care-flows", "--save-as", str(target)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=_env(tmp_path), cwd=ROOT, timeout=600)
    assert out.returncode == 2 and "holds another scenario" in out.stderr and "--overwrite" in out.stderr, out.stderr
    assert target.read_bytes() == before
    out = subprocess.run(cmd + ["--overwrite"], capture_output=True, text=True, env=_env(tmp_path), cwd=ROOT,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    saved = load_scenario(target)
    assert saved.name == "SWL-Merton" and set(saved.footprints[0].members) == set(k)


def test_app_store_names_never_collide_and_a_taken_name_is_refused(tmp_path, monkeypatch):
    """The app saves to the scenario store (issue 14): names that used to collide as files are distinct
    scenarios, and a name another scenario has is refused (there is no overwrite; a new version of the
    same scenario is the way to replace it)."""
    from spatial.store import open_store
    from tests.ui.test_app_pages import errors, run_app

    monkeypatch.setenv("FOOTPRINTS_SCENARIOS", str(tmp_path / "saved"))
    monkeypatch.setenv("FOOTPRINTS_DB", str(tmp_path / "store.db"))
    at = run_app(_plan("SWL/Merton"), "ui/pages/scenarios.py")
    at.text_input(key="scenarios_author").input("Ana").run()
    at.button(key="scenarios_save").click().run()
    assert not errors(at), errors(at)
    at2 = run_app(_plan("SWL-Merton", RICHMOND), "ui/pages/scenarios.py")
    at2.text_input(key="scenarios_author").input("Bo").run()
    at2.button(key="scenarios_save").click().run()
    assert not errors(at2), errors(at2)
    store = open_store(tmp_path / "store.db")
    assert sorted(s.name for s in store.list()) == ["SWL-Merton", "SWL/Merton"]
    at3 = run_app(_plan("SWL/Merton", RICHMOND), "ui/pages/scenarios.py")
    at3.text_input(key="scenarios_author").input("Cy").run()
    at3.button(key="scenarios_save").click().run()
    assert any("a scenario named 'SWL/Merton' already exists" in m and "Fix:" in m for m in errors(at3)), errors(at3)
    first = store.find("SWL/Merton")
    assert store.open(first.id)[2] == _plan("SWL/Merton") and first.latest == 1  # untouched
    assert not (tmp_path / "saved").exists() or not list((tmp_path / "saved").glob("*.json"))
    store.close()
