"""London's five ICBs (April 2024) beside its five 2018 STPs: the preloaded london-icbs-2024, against pandas."""

from __future__ import annotations

import pandas as pd
import pytest

from spatial import Engine
from spatial.preloaded import load_preloaded
from spatial.preloaded_2024 import london_icbs_beside_stps


@pytest.fixture(scope="module")
def sums(data_dir):
    """ICB Census 2021 residents and STP mid-2017 residents, summed with pandas from the raw files."""
    census = pd.read_csv(data_dir / "england21/lsoa21_pop_census2021.csv")
    look = pd.read_csv(data_dir / "nhs/lookups/lsoa21_sicbl24_icb24_en.csv")
    icb = look.merge(census, on="lsoa21_code")
    icb = icb[icb["ltla22_code"].str.startswith("E09")].groupby("icb24_code").agg(
        name=("icb24_name", "first"), pop=("usual_residents_all", "sum"), n=("lsoa21_code", "size"))
    stp18 = pd.read_csv(data_dir / "nhs/lookups/lsoa11_ccg18_stp18_lad18_en_v3.csv")
    pop17 = pd.read_csv(data_dir / "england/lsoa11_pop_mid2017_ew.csv")
    stp = stp18.merge(pop17, on="LSOA11CD")
    stp = stp[stp["LAD18CD"].str.startswith("E09")].groupby("STP18CD").agg(
        name=("STP18NM", "first"), pop=("pop_mid2017", "sum"), n=("LSOA11CD", "size"))
    assert len(icb) == 5 and len(stp) == 5
    return icb, stp


def test_each_london_icb_beside_its_2018_stp(sums):
    icb, stp = sums
    engine = Engine.load("london", geography="2024")
    t = london_icbs_beside_stps(engine.geo).set_index("icb")
    assert list(t.index) == list(icb.index)
    assert (t["icb_population"] == icb["pop"]).all() and (t["icb_units"] == icb["n"]).all()
    assert (t["stp18_population"].to_numpy() == stp.loc[t["stp18"], "pop"].round().astype(int).to_numpy()).all()
    assert (t["stp18_units"].to_numpy() == stp.loc[t["stp18"], "n"].to_numpy()).all()
    # the pairing is by name as well as by residents: NEL ICB beside NEL STP, and so on
    names = t["icb_name"].str.replace("NHS ", "").str.replace(" Integrated Care Board", "")
    assert (names.to_numpy() == t["stp18_name"].to_numpy()).all()
    assert (t["share_from_stp"] > 0.99).all()
    # the preloaded scenario says it, figure by figure
    sc = load_preloaded("london-icbs-2024", engine.geo)
    for code, r in t.iterrows():
        fp = next(f for f in sc.footprints if f.members == (code,))
        assert f"{r.stp18_population:,} residents (mid-2017" in fp.notes and f"this ICB: {r.icb_population:,}" in fp.notes
        assert f"beside STP {r.stp18_name} {r.stp18_population:,}" in sc.description
