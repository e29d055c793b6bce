"""``python -m spatial check`` and ``scenarios`` run as real subprocesses on the real data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from spatial.footprints import Footprint, Scenario
from spatial.io import save_scenario

REPO = Path(__file__).resolve().parents[2]
KR = {"Kingston upon Thames", "Richmond upon Thames"}


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "spatial", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)


def _pop(geo, boroughs, year=None) -> int:
    col = "population" if year is None else f"pop_{year}"
    return int(geo.units.loc[geo.units["borough_name"].isin(boroughs), col].sum())


@pytest.fixture(autouse=True)
def _data(data_dir):
    """The CLI reads the real data: fail, not skip, without it."""


def test_check_preloaded_json(geo):
    p = run("check", "kingston-richmond", "--json")
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    out = json.loads(p.stdout)
    assert {"scenario", "year", "footprints", "coverage"} <= set(out)
    assert out["scenario"] == "Kingston and Richmond" and out["year"] == 2017
    fps = {f["name"]: f for f in out["footprints"]}
    kr = fps["Kingston and Richmond"]
    assert {"name", "level", "population", "boroughs", "ccgs", "contiguous", "passed", "checks"} <= set(kr)
    assert kr["population"] == _pop(geo, KR)
    assert kr["passed"] is False
    checks = {c["rule"]: c for c in kr["checks"]}
    assert set(checks["population"]) == {"rule", "passed", "value", "threshold", "reason"}
    assert checks["population"]["passed"] is False and checks["population"]["threshold"] == 500_000
    assert fps["South West London"]["population"] == int(
        geo.units.loc[geo.units["stp_name"] == "South West London", "population"].sum())


def test_check_text_table():
    p = run("check", "swl-partnerships")
    assert p.returncode == 0, p.stderr
    assert "PASS" in p.stdout and "FAIL" in p.stdout
    assert "Kingston and Richmond" in p.stdout and "is below 500,000" in p.stdout
    assert "fewer than 2" in p.stdout  # Sutton and Croydon are single boroughs


def test_check_file_with_year(tmp_path, geo):
    s = Scenario("K&R file", (Footprint("Kingston and Richmond", "multi_borough", ("E09000021", "E09000027")),))
    path = save_scenario(s, tmp_path / "kr.json")
    p = run("check", str(path), "--year", "2019", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["year"] == 2019
    assert out["footprints"][0]["population"] == _pop(geo, KR, 2019)


def test_check_assignment_csv(tmp_path, geo):
    u = geo.units
    rows = u.loc[u["borough_name"].isin(KR), ["code"]].assign(footprint="KR")
    path = tmp_path / "plan.csv"
    rows.rename(columns={"code": "unit_code"}).to_csv(path, index=False)
    p = run("check", str(path), "--level", "multi_borough", "--json")
    assert p.returncode == 0, p.stderr
    fp = json.loads(p.stdout)["footprints"][0]
    assert fp["name"] == "KR" and fp["level"] == "multi_borough" and fp["population"] == _pop(geo, KR)


def test_check_bad_json_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "footprints-scenario",\n "version": 1,\n "name": }', encoding="utf-8")
    before = path.read_bytes()
    p = run("check", str(path))
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and p.stdout == ""
    assert str(path) in p.stderr and "line 3" in p.stderr and "not valid JSON" in p.stderr
    assert path.read_bytes() == before


def test_check_unknown_member_code(tmp_path):
    path = tmp_path / "typo.json"
    save_scenario(Scenario("t", (Footprint("Typo", "borough", ("E09000099",)),)), path)
    p = run("check", str(path))
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "E09000099" in p.stderr and "'Typo'" in p.stderr and "did you mean" in p.stderr


def test_check_missing_file_and_unknown_id(tmp_path):
    p = run("check", str(tmp_path / "nope.json"))
    assert p.returncode == 2 and "no such scenario file" in p.stderr and "Traceback" not in p.stderr
    p = run("check", "kingston-richmnd")
    assert p.returncode == 2 and "kingston-richmond" in p.stderr and "Traceback" not in p.stderr


def test_check_year_not_in_data():
    p = run("check", "london-stps", "--year", "1999")
    assert p.returncode == 2 and "1999" in p.stderr and "Traceback" not in p.stderr


def test_scenarios_command():
    p = run("scenarios", "--json")
    assert p.returncode == 0, p.stderr
    items = json.loads(p.stdout)
    ids = {i["id"] for i in items}
    assert {"london-stps", "borough-systems", "kingston-richmond", "devolution-pilots"} <= ids
    assert all(i["name"] and i["description"] for i in items)
    text = run("scenarios")
    assert text.returncode == 0 and all(i in text.stdout for i in ids)


def test_check_care_flow_rule_when_model_available():
    import importlib.util

    p = run("check", "kingston-richmond", "--json")
    off = run("check", "kingston-richmond", "--json", "--no-care-flows")
    assert p.returncode == 0 and off.returncode == 0, (p.stderr, off.stderr)

    def care_flow(out):
        fp = {f["name"]: f for f in json.loads(out)["footprints"]}["Kingston and Richmond"]
        return {c["rule"]: c for c in fp["checks"]}["care_flow"]

    assert care_flow(off.stdout)["passed"] is None
    assert "not measured" in care_flow(off.stdout)["reason"]
    measured = care_flow(p.stdout)
    if importlib.util.find_spec("spatial.careflows") is not None:
        assert measured["passed"] in (True, False) and 0 <= measured["value"] <= 1
        assert measured["threshold"] == 0.7
    else:
        assert measured["passed"] is None
