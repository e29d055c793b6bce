"""``python -m spatial check --profile`` as a real subprocess, against pandas from the raw CSVs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "spatial", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)


def test_check_profile_json_and_text(data_dir):
    ages = pd.read_csv(data_dir / "london/london_lsoa11_pop_mid2017_syoa.csv")
    imd = pd.read_csv(data_dir / "deprivation/imd2019_lsoa11_en.csv")
    df = ages.merge(imd, left_on="LSOA11CD", right_on="lsoa11_code")
    kr = df[df["lad19_code"].isin(["E09000021", "E09000027"])]
    a75 = int(kr[[str(a) for a in range(75, 90)] + ["90+"]].to_numpy().sum())
    core = int(kr.loc[kr["imd19_decile"] <= 2, "pop_mid2017"].sum())

    p = run("check", "kingston-richmond", "--profile", "--json", "--no-care-flows")
    assert p.returncode == 0, p.stderr
    fps = {f["name"]: f for f in json.loads(p.stdout)["footprints"]}
    prof = fps["Kingston and Richmond"]["profile"]
    assert prof["aged_75_plus"] == a75
    assert prof["core20_residents"] == core
    assert abs(prof["core20_share"] - core / kr["pop_mid2017"].sum()) < 1e-12
    assert len(prof["imd_deciles"]) == 10 and sum(prof["imd_deciles"]) == prof["residents"]
    assert "IMD 2019 on 2011 areas" in prof["sources"]["imd"]
    assert {c["rule"] for c in fps["Kingston and Richmond"]["checks"]} >= {"core20_gap", "cohort_75"}

    t = run("check", "kingston-richmond", "--profile", "--no-care-flows")
    assert t.returncode == 0, t.stderr
    assert "Profiles (who lives there):" in t.stdout
    assert f"Core20 {100 * core / kr['pop_mid2017'].sum():.1f}%" in t.stdout
    assert "IMD 2019 on 2011 areas" in t.stdout
    # without --profile, no profile block and no profile field
    plain = run("check", "kingston-richmond", "--json", "--no-care-flows")
    assert "profile" not in json.loads(plain.stdout)["footprints"][0]
