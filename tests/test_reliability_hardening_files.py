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
from spatial.scenario_io import assignment_from_csv

ROOT = Path(__file__).resolve().parent.parent
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
    from tests.test_app_pages import errors, kr_scenario, run_app, state_of

    monkeypatch.setenv("FOOTPRINTS_SCENARIOS", str(tmp_path / "saved"))
    text, line = _bad_csvs(geo)[case]
    before = kr_scenario()
    at = run_app(before, "ui/scenarios.py")
    n_versions = len(state_of(at).history.past)
    at.file_uploader(key="scenarios_upload").set_value(("plan.csv", text.encode(), "text/csv")).run()
    assert not at.exception, at.exception
    msgs = errors(at)
    assert any("malformed CSV" in m and f"plan.csv, line {line}" in m and "Fix:" in m for m in msgs), msgs
    assert state_of(at).scenario == before and len(state_of(at).history.past) == n_versions
