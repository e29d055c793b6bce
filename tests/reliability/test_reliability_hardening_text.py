"""Issue 12, items 4 and 5: every CSV we write is inert in a spreadsheet; names are clean at load.

A cell is inert when, read back with the csv module, it does not start (after any leading whitespace
and NFKC folding, as a spreadsheet would see it) with ``= + - @``, nor with tab or CR (OWASP).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from spatial.footprints import Footprint, Scenario

ROOT = Path(__file__).resolve().parents[2]
KINGSTON, RICHMOND, MERTON = "E09000021", "E09000027", "E09000024"
#: Formula starters the first round let through (issue 12), and the classic ones.
HOSTILE = [" =1+1", "\n=1+1", "\t=1+1", "\r=1+1", "\uff1dHYPERLINK(1)", "\uff0b1", "\uff0d1", "\uff20SUM(A1)",
           "  \n @SUM(A1)", '=HYPERLINK("http://x.invalid")', "+1", "-1", "@SUM(A1:A2)", "'=already quoted"]


def _live(cell: str, numbers_ok: bool = True) -> bool:
    """Would a spreadsheet read this cell as a formula?  (A plain number such as -182998 is a number.)"""
    try:
        float(cell)
        if numbers_ok:
            return False
    except ValueError:
        pass
    if cell.startswith(("\t", "\r")):
        return True
    rest = cell.lstrip()
    return bool(rest) and unicodedata.normalize("NFKC", rest[0])[0] in "=+-@"


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))


def _hostile_scenario() -> Scenario:
    boroughs = [f"E09{n:06d}" for n in range(1, 34)]
    # numbered: names are cleaned at load (line breaks and tabs become spaces, then trimmed)
    return Scenario("=cmd|' /C calc'!A0", tuple(Footprint(f"{name} {i}", "borough", (b,))
                                                for i, (name, b) in enumerate(zip(HOSTILE, boroughs))))


def test_one_function_neutralises_every_formula_starter():
    from spatial.text import csv_cell, uncsv_cell

    for name in HOSTILE + ["Kingston", "Tom & Jerry", "'quoted'", "a=b", "", "   "]:
        got = csv_cell(name)
        assert not _live(got, numbers_ok=False), repr(got)
        assert uncsv_cell(got) == name
        if not _live(name, numbers_ok=False) and not name.startswith("'"):
            assert got == name
    assert csv_cell(-1) == -1 and csv_cell(2.5) == 2.5


def test_board_csv_neutralises_leading_space_newline_tab_and_full_width(engine):
    import pandas as pd

    from layers.export import table_csv

    df = pd.DataFrame({"Footprint": HOSTILE, "Population": range(len(HOSTILE))})
    rows = _rows(table_csv(df, title=" =title", source_line="\uff1dsource").decode("utf-8-sig"))
    assert not _live(rows[0][0]) and not _live(rows[1][0])
    cells = [r[0] for r in rows[4:]]
    assert len(cells) == len(HOSTILE) and not [c for c in cells if _live(c)], cells
    assert [c[1:] for c in cells] == HOSTILE  # each exactly the name behind one quote
    assert [int(r[1]) for r in rows[4:]] == list(range(len(HOSTILE)))


def test_assignment_csv_download_is_inert_and_round_trips(index):
    from spatial.io import assignment_from_csv, assignment_to_csv

    s = _hostile_scenario()
    text = assignment_to_csv(s, index)
    rows = _rows(text)
    assert not [c for r in rows for c in r if _live(c)]
    back = assignment_from_csv(text, index=index, level="borough")
    assert back.names() == s.names()
    for fp in s.footprints:
        assert set(index.codes[index.expand(back.get(fp.name).members)]) == set(index.codes[index.expand(fp.members)])


def test_scenarios_comparison_csv_is_inert(index):
    from spatial.compare import compare_scenarios, comparison_csv

    a = _hostile_scenario()
    b = Scenario(a.name, a.footprints[:-2] + (Footprint("=new one", "borough", (MERTON,)),))
    cmp = compare_scenarios(a, b, index)
    rows = _rows(comparison_csv(cmp))
    assert len(rows) > len(HOSTILE)
    assert not [c for r in rows for c in r if _live(c)]
    names = {r[rows[0].index("footprint")] for r in rows[1:]}
    assert "'=new one" in names and "'=1+1 0" in names and "'\uff1dHYPERLINK(1) 4" in names


def test_cli_overlap_csv_is_inert(tmp_path):
    from spatial.io import save_scenario

    path = tmp_path / "hostile.json"
    save_scenario(_hostile_scenario(), path)
    out = subprocess.run([sys.executable, "-m", "spatial", "overlap", str(path), "borough", "--csv", "--by",
                          "population"], capture_output=True, text=True, cwd=ROOT, timeout=600,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    rows = _rows(out.stdout)
    assert len(rows) > len(HOSTILE)
    live = [c for r in rows for c in r if _live(c)]
    assert not live, live[:5]
    flat = {c for r in rows for c in r}
    assert "'\uff1dHYPERLINK(1) 4" in flat and "'-1 11" in flat


# --- item 5: text that cannot be encoded; look-alike names and codes ---------------------------------

def _scenario_json(names: list[str], field: str = "name") -> str:
    fps = []
    for i, n in enumerate(names):
        fp = {"name": f"fp {i}", "level": "borough", "members": [f"E09{i + 1:06d}"]}
        fp[field] = n if field != "members" else [n]
        fps.append(fp)
    return json.dumps({"format": "footprints-scenario", "version": 1, "name": "plan", "footprints": fps})


@pytest.mark.parametrize("field", ["name", "notes", "members"])
def test_lone_surrogate_is_refused_at_load_naming_footprint_and_field(field, tmp_path):
    from spatial.errors import ScenarioError
    from spatial.io import load_scenario

    text = _scenario_json(["Kingston", "Rich\ud800mond"], field)
    path = tmp_path / "plan.json"
    path.write_text(text, encoding="ascii")  # json.dumps writes the surrogate as the escape \ud800
    assert "\\ud800" in path.read_text()
    with pytest.raises(ScenarioError, match=r"lone surrogate U\+D800.*Fix: ") as err:
        load_scenario(path)
    msg = str(err.value)
    assert "footprints[1]" in msg and field in msg and "plan.json" in msg
    msg.encode("utf-8")  # the message itself can be printed


def test_lone_surrogate_end_to_end_cli_and_app_upload(tmp_path):
    from tests.ui.test_app_pages import errors, kr_scenario, run_app, state_of

    text = _scenario_json(["Kingston", "Rich\ud800mond"])
    path = tmp_path / "plan.json"
    path.write_text(text, encoding="ascii")
    out = subprocess.run([sys.executable, "-m", "spatial", "check", str(path), "--no-care-flows"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 2 and "lone surrogate" in out.stderr and "footprints[1]" in out.stderr, out.stderr
    assert "codec can't encode" not in out.stderr and "Traceback" not in out.stderr
    before = kr_scenario()
    at = run_app(before, "ui/pages/scenarios.py")
    at.file_uploader(key="scenarios_upload").set_value(("plan.json", text.encode(), "application/json")).run()
    assert not at.exception, at.exception
    assert any("lone surrogate" in m and "footprints[1]" in m for m in errors(at)), errors(at)
    assert state_of(at).scenario == before


def test_look_alike_names_are_one_name_and_duplicates():
    from spatial.errors import FootprintError
    from spatial.io import loads

    nfc, nfd = "Merton and Sutton Caf\u00e9", "Merton and Sutton Cafe\u0301"
    assert Footprint(nfd, "borough", (MERTON,)).name == nfc
    assert Footprint("Kingston\u200b and\u00ad Richmond\u2060", "borough", (KINGSTON,)).name == "Kingston and Richmond"
    assert Footprint("Kingston\tand\nRichmond\x00", "borough", (KINGSTON,)).name == "Kingston and Richmond"
    for a, b in [(nfc, nfd), ("Kingston", "King\u200bston"), ("Kingston", "Kingston\u200d")]:
        with pytest.raises(FootprintError, match="two footprints are named"):
            loads(json.dumps({"format": "footprints-scenario", "version": 1, "name": "p", "footprints": [
                {"name": a, "level": "borough", "members": [KINGSTON]},
                {"name": b, "level": "borough", "members": [RICHMOND]}]}))
    assert Footprint("x", "locality", (KINGSTON,), parent="S\u200bWL").parent == "SWL"


@pytest.mark.parametrize("code,found", [
    ("\u0415" + "09000021", "a Cyrillic letter"),       # Cyrillic capital IE
    ("\u0395" + "09000021", "a Greek letter"),          # Greek capital epsilon
    ("E09\uff10\uff10\uff10\uff10\uff12\uff11", "a full-width digit"),
])
def test_look_alike_codes_get_a_suggestion_that_says_so(code, found, index):
    from spatial.errors import UnknownCodeError

    with pytest.raises(UnknownCodeError) as err:
        index.expand([code])
    msg = str(err.value)
    assert f"looks like {KINGSTON} but contains {found}" in msg, msg
    assert KINGSTON in err.value.suggestions[code][0]
