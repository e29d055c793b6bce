"""Bad age and IMD files stop the build with a typed error naming the problem (and lose nothing)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd
import pytest

from boundaries import ConsistencyError, PopulationError, Settings, build_geographies


def _mirror(src: Path, dst: Path, replace: dict[str, bytes]) -> None:
    """``dst`` in the mirror's layout: every file a symlink to the real one, except ``replace``."""
    for path in src.rglob("*"):
        if not path.is_file():
            continue
        rel = path.relative_to(src).as_posix()
        out = dst / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        if rel in replace:
            out.write_bytes(replace[rel])
        else:
            os.symlink(path, out)


def _digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes()).hexdigest()


def test_imd_missing_london_lsoas_names_count_and_residents(tmp_path, data_dir, geo):
    imd = pd.read_csv(data_dir / "deprivation/imd2019_lsoa11_en.csv")
    gone = geo.units["code"].iloc[[10, 20, 30]].tolist()
    residents = int(geo.units.set_index("code").loc[gone, "pop_2017"].sum())
    bad = imd.copy()
    # another edition with the same count: three London LSOAs replaced by codes no unit has
    bad.loc[bad["lsoa11_code"].isin(gone), "lsoa11_code"] = ["E01099991", "E01099992", "E01099993"]
    rel = "deprivation/imd2019_lsoa11_en.csv"
    _mirror(data_dir, tmp_path / "data", {rel: bad.to_csv(index=False).encode()})
    before = _digest(tmp_path / "data" / rel)
    with pytest.raises(ConsistencyError) as err:
        build_geographies("london", config=Settings(tmp_path / "data", tmp_path / "cache", "env"))
    msg = str(err.value)
    assert "3 unit(s) have no IMD 2019 rank" in msg and f"home to {residents:,} residents" in msg
    assert all(code in msg for code in gone) and "[imd2019]" in msg and "Fix:" in msg
    assert _digest(tmp_path / "data" / rel) == before


def test_ages_not_adding_up_name_the_unit_both_figures_and_the_tolerance(tmp_path, data_dir):
    rel = "london/london_lsoa11_pop_mid2017_syoa.csv"
    ages = pd.read_csv(data_dir / rel, dtype={"LSOA11CD": str})
    code, total = ages.loc[7, "LSOA11CD"], int(ages.loc[7, "pop_mid2017"])
    ages.loc[7, "80"] += 40
    _mirror(data_dir, tmp_path / "data", {rel: ages.to_csv(index=False).encode()})
    with pytest.raises(PopulationError) as err:
        build_geographies("london", config=Settings(tmp_path / "data", tmp_path / "cache", "env"))
    msg = str(err.value)
    assert f"{code} ages sum to {total + 40:,}, total {total:,}" in msg
    assert "allowed difference 0.5% of the total" in msg and "[london_lsoa_pop_syoa_2017]" in msg
