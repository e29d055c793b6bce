"""Profiles of real 2024 ICBs (LSOA 2021 units, Census 2021 bands, IMD 2019 carried), against pandas.

The engine carries the IMD onto the 2024 units itself (``england-2024``'s ``profile`` entry in
``boundaries/registry_2024.py``); here the same rules are applied with plain pandas to the raw
files, and every figure of ``engine.profile(...)`` is compared with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spatial import Engine, Footprint

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def raw(data_dir) -> pd.DataFrame:
    """One row per England LSOA 2021: Census 2021 residents and bands, ICB 2024, place, IMD carried by pandas."""
    imd = pd.read_csv(data_dir / "deprivation/imd2019_lsoa11_en.csv")
    lk = pd.read_csv(data_dir / "england21/lsoa11_lsoa21_ltla22_lookup.csv")
    lk = lk[lk["lsoa11_code"].str.startswith("E")]
    pop11 = pd.read_csv(data_dir / "england/lsoa11_pop_mid2017_ew.csv")[["LSOA11CD", "pop_mid2017"]]
    df = lk.merge(imd[["lsoa11_code", "imd19_rank", "imd19_decile"]], on="lsoa11_code").merge(
        pop11, left_on="lsoa11_code", right_on="LSOA11CD")
    # a parent split into k parts gives each part 1/k of its residents as merge weight
    df["w"] = df["pop_mid2017"] / df.groupby("lsoa11_code")["lsoa21_code"].transform("nunique")
    df["wr"] = df["w"] * df["imd19_rank"]
    g = df.groupby("lsoa21_code").agg(n=("lsoa11_code", "nunique"), rank1=("imd19_rank", "first"),
                                      dec1=("imd19_decile", "first"), w=("w", "sum"), wr=("wr", "sum"))
    mean = g["wr"] / g["w"]
    carried = pd.DataFrame({
        "rank": np.where(g["n"] == 1, g["rank1"], mean),
        "dec": np.where(g["n"] == 1, g["dec1"], np.clip(np.ceil(10 * mean / 32_844), 1, 10)).astype(int),
        "n_parents": g["n"]}, index=g.index)
    census = pd.read_csv(data_dir / "england21/lsoa21_pop_census2021.csv")
    look = pd.read_csv(data_dir / "nhs/lookups/lsoa21_sicbl24_icb24_en.csv")
    out = look.merge(census.drop(columns="lsoa21_name"), on="lsoa21_code", validate="1:1")
    out = out.join(carried, on="lsoa21_code")
    assert len(out) == 33_755 and out["dec"].notna().all()
    return out


@pytest.fixture(scope="module")
def england24():
    return Engine.load("england", geography="2024")


def test_2024_units_carry_imd_2019_for_every_lsoa21(data_dir, raw, england24):
    units = england24.geo.units.set_index("code")
    assert len(units) == 33_755
    want = raw.set_index("lsoa21_code").loc[units.index]
    assert (units["imd_decile"].to_numpy() == want["dec"].to_numpy()).all()
    np.testing.assert_allclose(units["imd_rank"].to_numpy(), want["rank"].to_numpy(), rtol=0, atol=1e-6)
    # one parent (unchanged or split): the parent's published, whole-number rank
    one = (want["n_parents"] == 1).to_numpy()
    assert one.sum() > 33_000 and (units.loc[one, "imd_rank"] % 1 == 0).all()
    # the build note counts each kind of change, as the lookup's change codes give them
    lk = pd.read_csv(data_dir / "england21/lsoa11_lsoa21_ltla22_lookup.csv")
    codes = lk[lk["lsoa11_code"].str.startswith("E")].groupby("lsoa21_code")["change_code"].agg(set)
    kind = codes.map(lambda s: next((c for c in "XMS" if c in s), "U")).value_counts()
    note = next(n for n in england24.geo.notes if "IMD 2019 on 2011 areas" in n)
    assert f"{(~one).sum():,} with several parents" in note and f"{one.sum():,} LSOA(s) 2021 with one" in note
    assert f"{kind['U']:,} unchanged" in note and f"{kind['S']:,} parts of split" in note
    assert f"{kind['M']:,} merged" in note and f"{kind['X']:,} redesigned" in note


@pytest.mark.parametrize("region,icb", [("North East London", "QMF"), ("Kent and Medway", "QKS")])
def test_2024_icb_profile_against_pandas(raw, region, icb):
    engine = Engine.load(region, geography="2024")
    assert engine.geography == "2024"
    p = engine.profile(Footprint(region, "icb", (icb,)))
    rows = raw[raw["icb24_code_nhs"] == icb]
    pop = rows["usual_residents_all"]
    assert len(rows) == len(engine.geo.units) and p.residents == int(pop.sum())
    # ages: Census 2021's six bands; 65+ is measurable, 75+ is not, and the profile says why
    assert p.aged_65_plus == int(rows["age_65_plus"].sum())
    assert p.share_65_plus == pytest.approx(rows["age_65_plus"].sum() / rows[
        ["age_0_15", "age_16_24", "age_25_34", "age_35_49", "age_50_64", "age_65_plus"]].to_numpy().sum())
    assert p.aged_75_plus is None and p.share_75_plus is None
    assert any(n.startswith("75+ not measurable") and "65+ only" in n for n in p.notes)
    table = p.table().set_index("figure")
    assert table.loc["Aged 75+", "value"] == "not measurable"
    assert (p.table()["figure"] == "Aged 65+").sum() == 1
    # deprivation: quintiles, Core20 share, residents-weighted mean rank
    quint = pop.groupby((rows["dec"] + 1) // 2).sum().reindex(range(1, 6), fill_value=0)
    assert p.imd_quintiles == tuple(int(x) for x in quint)
    core = int(pop[rows["dec"] <= 2].sum())
    assert p.core20_residents == core and p.core20_share == pytest.approx(core / pop.sum())
    assert p.mean_imd_rank == pytest.approx(float((pop * rows["rank"]).sum() / pop.sum()), rel=1e-12)
    # every figure names its source: Census 2021 residents, IMD 2019 on 2011 areas
    assert "IMD 2019 on 2011 areas" in p.sources["imd"] and "Census 2021" in p.sources["residents"]
    # the gap is across the ICB's places (LAD 2024), in today's words
    assert p.constituent_layer == "borough" and "across places" in p.summary()
    per = rows.assign(core=np.where(rows["dec"] <= 2, pop, 0)).groupby("ltla24_name")[
        ["core", "usual_residents_all"]].sum()
    per = per[per["usual_residents_all"] >= 0.05 * pop.sum()]
    share = per["core"] / per["usual_residents_all"]
    assert p.core20_gap == pytest.approx(share.max() - share.min(), abs=1e-12)
    assert p.most_deprived.name == share.idxmax()


def test_cli_check_profile_for_london_icbs_2024(raw, tmp_path):
    env = {**os.environ, "FOOTPRINTS_SCENARIOS": str(tmp_path / "saved")}
    cmd = [sys.executable, "-m", "spatial", "check", "london-icbs-2024", "--geography", "2024", "--profile",
           "--no-care-flows"]
    t = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert t.returncode == 0, t.stderr
    assert "IMD 2019 on 2011 areas" in t.stdout and "75+ not measurable" in t.stdout
    j = subprocess.run(cmd + ["--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert j.returncode == 0, j.stderr
    out = json.loads(j.stdout)
    profiles = {f["name"]: f["profile"] for f in out["footprints"]}
    london = raw[raw["ltla22_code"].str.startswith("E09")]
    assert len(profiles) == 5
    for name, g in london.groupby("icb24_name"):
        short = name.replace("NHS ", "").replace("Integrated Care Board", "ICB")
        prof = profiles[short]
        pop = g["usual_residents_all"]
        assert prof["core20_share"] == pytest.approx(pop[g["dec"] <= 2].sum() / pop.sum())
        assert prof["aged_65_plus"] == int(g["age_65_plus"].sum()) and prof["aged_75_plus"] is None
        assert prof["mean_imd_rank"] == pytest.approx((pop * g["rank"]).sum() / pop.sum())
        assert "IMD 2019 on 2011 areas" in prof["sources"]["imd"]


def test_carry_names_the_file_that_lacks_rows(data_dir):
    """An IMD file without some 2011 LSOAs of the lookup, or weights without them: a ConsistencyError naming which."""
    from boundaries import ConsistencyError, get_dataset, get_region
    from boundaries.geographies import _carried_imd
    from boundaries.readers import Loaded

    reg = get_region("england-2024")
    frames = {
        "imd2019": pd.read_csv(data_dir / "deprivation/imd2019_lsoa11_en.csv"),
        "lsoa11_lsoa21_lookup": pd.read_csv(data_dir / "england21/lsoa11_lsoa21_ltla22_lookup.csv"),
        "lsoa_pop_mid2017": pd.read_csv(data_dir / "england/lsoa11_pop_mid2017_ew.csv"),
    }

    def loaded(ds_id, frame):
        ds = get_dataset(ds_id)
        return Loaded(ds, data_dir / ds.path, frame, [])

    def read_with(ds_id, frame):
        return lambda i: loaded(i, frame if i == ds_id else frames[i])

    short = frames["imd2019"].iloc[5:]
    with pytest.raises(ConsistencyError) as err:
        _carried_imd(loaded("imd2019", short), reg, read_with("imd2019", short), [])
    assert err.value.dataset == "imd2019" and "5 LSOA 2011(s)" in str(err.value)
    assert frames["imd2019"]["lsoa11_code"].iloc[0] in str(err.value)
    thin = frames["lsoa_pop_mid2017"][frames["lsoa_pop_mid2017"]["LSOA11CD"] != "E01000001"]
    with pytest.raises(ConsistencyError) as err:
        _carried_imd(loaded("imd2019", frames["imd2019"]), reg, read_with("lsoa_pop_mid2017", thin), [])
    assert err.value.dataset == "lsoa_pop_mid2017" and "E01000001" in str(err.value)
