"""Footprint profiles against an independent pandas computation from the raw CSVs.

The expected figures are computed here with plain pandas from the source files
(ONS single-year-of-age CSV, the MHCLG IMD CSV, the ONS LSOA -> STP lookup),
not from the engine's unit table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from boundaries.attributes import (
    AGE_SUM_TOLERANCE,
    age_bands_from_single_years,
    carry_imd_to_lsoa21,
    decile_of_rank,
    imd_columns,
)
from boundaries.errors import ConsistencyError, PopulationError
from spatial.footprints import Footprint
from spatial.profile import ProfileData, profile_units, profiles_for_sets

BOROUGHS = {
    "Kingston and Richmond": ("multi_borough", ("E09000021", "E09000027")),
    "BHR": ("multi_borough", ("E09000002", "E09000016", "E09000026")),
}
STPS = ("E54000027", "E54000028", "E54000029", "E54000030", "E54000031")


@pytest.fixture(scope="module")
def raw(data_dir):
    """The raw files joined by LSOA code with pandas only."""
    ages = pd.read_csv(data_dir / "london/london_lsoa11_pop_mid2017_syoa.csv")
    imd = pd.read_csv(data_dir / "deprivation/imd2019_lsoa11_en.csv")
    lk = pd.read_csv(data_dir / "nhs/lookups/lsoa11_ccg18_stp18_lad18_en_v3.csv", encoding="utf-8-sig")
    df = ages.merge(imd, left_on="LSOA11CD", right_on="lsoa11_code", how="left", validate="1:1")
    df = df.merge(lk[["LSOA11CD", "STP18CD", "LAD18CD", "LAD18NM"]], on="LSOA11CD", how="left", validate="1:1")
    assert df["imd19_rank"].notna().all() and df["STP18CD"].notna().all()
    return df


def _expected(df: pd.DataFrame, by: str = "LAD18CD") -> dict:
    single = {a: df[str(a)] for a in range(90)}
    single[90] = df["90+"]
    pop = df["pop_mid2017"]
    a65 = sum(single[a].sum() for a in range(65, 91))
    a75 = sum(single[a].sum() for a in range(75, 91))
    total = sum(s.sum() for s in single.values())
    dec = df.groupby("imd19_decile")["pop_mid2017"].sum().reindex(range(1, 11), fill_value=0)
    core = df.loc[df["imd19_decile"] <= 2, "pop_mid2017"].sum()
    per = df.assign(core=np.where(df["imd19_decile"] <= 2, pop, 0)).groupby(by)[["core", "pop_mid2017"]].sum()
    per = per[per["pop_mid2017"] >= 0.05 * pop.sum()]  # constituents with at least 5% of the residents
    share = per["core"] / per["pop_mid2017"]
    return {
        "residents": int(pop.sum()), "a0_15": int(sum(single[a].sum() for a in range(16))),
        "a65": int(a65), "a75": int(a75), "s65": a65 / total, "s75": a75 / total,
        "deciles": tuple(int(x) for x in dec), "core": int(core), "core_share": core / pop.sum(),
        "mean_rank": float((pop * df["imd19_rank"]).sum() / pop.sum()),
        "gap": float(share.max() - share.min()), "most": share.idxmax(), "least": share.idxmin(),
    }


def _cases(raw):
    for stp in STPS:
        yield stp, Footprint(stp, "stp", (stp,)), raw[raw["STP18CD"] == stp]
    for name, (level, boroughs) in BOROUGHS.items():
        yield name, Footprint(name, level, boroughs), raw[raw["LAD18CD"].isin(boroughs)]


def test_profiles_agree_with_pandas_for_stps_kingston_richmond_and_bhr(engine, raw):
    seen = 0
    for name, fp, rows in _cases(raw):
        p = engine.profile(fp)
        e = _expected(rows)
        assert p.residents == e["residents"], name
        assert p.age_bands["0-15"] == e["a0_15"], name
        assert (p.aged_65_plus, p.aged_75_plus) == (e["a65"], e["a75"]), name
        assert p.share_65_plus == pytest.approx(e["s65"], abs=1e-12)
        assert p.share_75_plus == pytest.approx(e["s75"], abs=1e-12)
        assert p.imd_deciles == e["deciles"], name
        assert sum(p.imd_quintiles) == p.residents
        assert p.core20_residents == e["core"], name
        assert p.core20_share == pytest.approx(e["core_share"], abs=1e-12)
        assert p.mean_imd_rank == pytest.approx(e["mean_rank"], rel=1e-12)
        assert p.constituent_layer == "borough"
        assert p.core20_gap == pytest.approx(e["gap"], abs=1e-12), name
        assert p.most_deprived.code == e["most"] and p.least_deprived.code == e["least"], name
        assert "IMD 2019 on 2011 areas" in p.sources["imd"] and "2017" in p.sources["age"]
        seen += 1
    assert seen == 7


def test_nel_gap_reason_in_words(engine):
    p = engine.profile(Footprint("NEL", "stp", ("E54000029",)))
    # Barking and Dagenham is the most deprived NEL borough by Core20 share; the City (0.4% of NEL's
    # residents) is listed but does not count in the gap
    assert p.most_deprived.name == "Barking and Dagenham"
    city = next(c for c in p.constituents if c.name == "City of London")
    assert not city.counted and p.least_deprived.name != "City of London"
    assert p.gap_reason().startswith(f"Core20 share {100 * p.most_deprived.core20_share:.0f}% in Barking and Dagenham vs ")
    assert "gap" in p.gap_reason() and "points" in p.gap_reason()


def test_borough_sets_in_bulk_match_single_profiles(engine):
    data = ProfileData.from_index(engine.index)
    codes = list(engine.index.layer_codes["borough"])
    sets = [[codes.index("E09000021"), codes.index("E09000027")],
            [codes.index(c) for c in ("E09000002", "E09000016", "E09000026")]]
    bulk = profiles_for_sets(data, "borough", sets)
    for row, ids in zip(bulk.itertuples(), sets):
        units = np.concatenate([engine.index.units_of("borough", i) for i in ids])
        one = profile_units(data, units)
        assert row.residents == one.residents
        assert row.aged_75_plus == one.aged_75_plus
        assert row.core20_share == pytest.approx(one.core20_share, abs=1e-12)
        assert row.mean_imd_rank == pytest.approx(one.mean_imd_rank, rel=1e-12)
        assert row.core20_gap == pytest.approx(one.core20_gap, abs=1e-12)


def test_one_unit_of_another_borough_does_not_set_the_gap(engine):
    idx = engine.index
    base = idx.expand(["E09000002", "E09000016", "E09000026"])  # BHR
    newham = idx.expand(["E09000025"])
    dec = idx.geo.units["imd_decile"].to_numpy()
    extra = newham[dec[newham] == 1][:1]  # one most-deprived Newham LSOA picked up while sketching
    data = ProfileData.from_index(idx)
    with_one = profile_units(data, np.union1d(base, extra))
    without = profile_units(data, base)
    assert with_one.core20_gap == pytest.approx(without.core20_gap)
    assert any(c.name == "Newham" and not c.counted for c in with_one.constituents)


def test_locality_constituents_given_by_name(engine):
    idx = engine.index
    units = idx.expand(["E09000025"])  # Newham
    wards = idx.membership["ward"][units]
    parts = {f"part {i}": units[wards % 2 == i] for i in (0, 1)}
    p = profile_units(ProfileData.from_index(idx), units, constituents=parts)
    assert p.constituent_layer == "locality" and len(p.constituents) == 2
    assert sum(c.residents for c in p.constituents) == p.residents


# --- the data checks ------------------------------------------------------------------------

def test_imd_with_missing_lsoas_names_count_and_residents(data_dir, geo):
    imd = pd.read_csv(data_dir / "deprivation/imd2019_lsoa11_en.csv")
    drop = geo.units["code"].iloc[:3].tolist()
    residents = int(geo.units["pop_2017"].iloc[:3].sum())
    with pytest.raises(ConsistencyError) as err:
        imd_columns(geo.units["code"], imd[~imd["lsoa11_code"].isin(drop)], population=geo.units["pop_2017"],
                    dataset="imd2019")
    msg = str(err.value)
    assert "3 unit(s) have no IMD 2019 rank" in msg and f"{residents:,} residents" in msg and drop[0] in msg


def test_age_columns_not_summing_name_unit_and_both_figures(data_dir):
    ages = pd.read_csv(data_dir / "london/london_lsoa11_pop_mid2017_syoa.csv")
    ok = age_bands_from_single_years(ages, code="LSOA11CD", total="pop_mid2017")
    assert int(ok.drop(columns="code").to_numpy().sum()) == 8_825_001
    # within the published-rounding tolerance: accepted
    small = ages.copy()
    small.loc[0, "30"] += 1
    age_bands_from_single_years(small, code="LSOA11CD", total="pop_mid2017")
    bad = ages.copy()
    total = int(bad.loc[5, "pop_mid2017"])
    bad.loc[5, "40"] += 100
    with pytest.raises(PopulationError) as err:
        age_bands_from_single_years(bad, code="LSOA11CD", total="pop_mid2017")
    msg = str(err.value)
    assert bad.loc[5, "LSOA11CD"] in msg and f"{total + 100:,}" in msg and f"total {total:,}" in msg
    assert f"{AGE_SUM_TOLERANCE:.1%}" in msg


# --- 2021 LSOAs -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def carried(data_dir):
    imd = pd.read_csv(data_dir / "deprivation/imd2019_lsoa11_en.csv")
    lk = pd.read_csv(data_dir / "england21/lsoa11_lsoa21_ltla22_lookup.csv")
    lk = lk[lk["lsoa11_code"].str.startswith("E")]
    pop = pd.read_csv(data_dir / "england/lsoa11_pop_mid2017_ew.csv").set_index("LSOA11CD")["pop_mid2017"]
    return imd, lk, pop, carry_imd_to_lsoa21(imd, lk, pop)


def test_carry_imd_to_lsoa21_rules(carried):
    imd, lk, pop, out = carried
    assert len(out) == 33_755
    ranks = imd.set_index("lsoa11_code")
    # unchanged and split: the parent's published rank and decile
    for code in ("U", "S"):
        rows = lk[lk["change_code"] == code]
        rows = rows[rows["lsoa21_code"].map(lk.groupby("lsoa21_code")["lsoa11_code"].nunique()) == 1]
        got = out.loc[rows["lsoa21_code"]]
        assert (got["imd_rank"].to_numpy() == ranks.loc[rows["lsoa11_code"], "imd19_rank"].to_numpy()).all()
        assert (got["imd_decile"].to_numpy() == ranks.loc[rows["lsoa11_code"], "imd19_decile"].to_numpy()).all()
    # merged: population-weighted mean rank, recomputed here row by row
    merged = lk[lk["change_code"] == "M"]["lsoa21_code"].unique()
    assert len(merged) > 50
    for code in merged[:40]:
        parents = lk.loc[lk["lsoa21_code"] == code, "lsoa11_code"].unique()
        w = pop.loc[parents].to_numpy(float)
        r = ranks.loc[parents, "imd19_rank"].to_numpy(float)
        want = (w * r).sum() / w.sum()
        assert out.loc[code, "imd_rank"] == pytest.approx(want)
        assert out.loc[code, "imd_decile"] == int(np.ceil(10 * want / 32_844))
        assert out.loc[code, "method"] == "M"
    assert (out["imd_decile"].between(1, 10)).all()
    # the decile rule reproduces every published decile
    assert (decile_of_rank(imd["imd19_rank"]) == imd["imd19_decile"]).all()


def test_profile_from_generic_2021_arrays_65_plus_only(data_dir, carried):
    """Census 2021 bands on 2021 LSOAs: the profile works from plain arrays; 75+ is not measurable."""
    _, lk, _, out = carried
    census = pd.read_csv(data_dir / "england21/lsoa21_pop_census2021.csv")
    ltla = lk.drop_duplicates("lsoa21_code").set_index("lsoa21_code")["ltla22_code"]
    census = census[census["lsoa21_code"].map(ltla).fillna("").str.startswith("E09")].reset_index(drop=True)
    assert len(census) == 4_994
    cols = ["age_0_15", "age_16_24", "age_25_34", "age_35_49", "age_50_64", "age_65_plus"]
    boro = census["lsoa21_code"].map(ltla).to_numpy()
    keys, inv = np.unique(boro, return_inverse=True)
    imd = out.loc[census["lsoa21_code"]]
    data = ProfileData.from_arrays(
        population=census["usual_residents_all"].to_numpy(), population_year=2021,
        ages=census[cols].to_numpy(), age_columns=cols, age_source="Census 2021 usual residents (ONS)",
        age_year=2021, imd_rank=imd["imd_rank"].to_numpy(), imd_decile=imd["imd_decile"].to_numpy(),
        membership={"borough": inv}, layer_codes={"borough": keys}, layer_names={"borough": keys},
    )
    sel = np.flatnonzero(np.isin(boro, ["E09000021", "E09000027"]))
    p = profile_units(data, sel)
    rows = census.iloc[sel]
    assert p.residents == int(rows["usual_residents_all"].sum())
    assert p.aged_65_plus == int(rows["age_65_plus"].sum())
    assert p.aged_75_plus is None and p.share_75_plus is None
    assert any("75+ not measurable" in n and "65+ only" in n for n in p.notes)
    dec = imd["imd_decile"].to_numpy()[sel]
    assert p.core20_residents == int(rows["usual_residents_all"].to_numpy()[dec <= 2].sum())
    assert "not measurable" in p.table().set_index("figure").loc["Aged 75+", "value"]


def _pandas_carry(data_dir) -> pd.Series:
    """IMD decile of each LSOA 2021, carried with plain pandas (independently of carry_imd_to_lsoa21)."""
    imd = pd.read_csv(data_dir / "deprivation/imd2019_lsoa11_en.csv")
    lk = pd.read_csv(data_dir / "england21/lsoa11_lsoa21_ltla22_lookup.csv")
    lk = lk[lk["lsoa11_code"].str.startswith("E")]
    pop = pd.read_csv(data_dir / "england/lsoa11_pop_mid2017_ew.csv")[["LSOA11CD", "pop_mid2017"]]
    df = lk.merge(imd, on="lsoa11_code").merge(pop, left_on="lsoa11_code", right_on="LSOA11CD")
    df["w"] = df["pop_mid2017"] / df.groupby("lsoa11_code")["lsoa21_code"].transform("nunique")
    df["wr"] = df["w"] * df["imd19_rank"]
    g = df.groupby("lsoa21_code").agg(n=("lsoa11_code", "nunique"), dec=("imd19_decile", "first"),
                                      w=("w", "sum"), wr=("wr", "sum"))
    mean_dec = np.ceil(10 * (g["wr"] / g["w"]) / 32_844).clip(1, 10)
    return pd.Series(np.where(g["n"] == 1, g["dec"], mean_dec).astype(int), index=g.index)


@pytest.mark.parametrize("icb", ["E54000029", "E54000032"])  # North East London, Kent and Medway (April 2024)
def test_2024_icb_profile_from_generic_arrays(data_dir, carried, icb):
    """An April 2024 ICB on 2021 LSOAs (Census 2021 bands, IMD carried), against pandas from the raw files."""
    _, _, _, out = carried
    census = pd.read_csv(data_dir / "england21/lsoa21_pop_census2021.csv")
    look = pd.read_csv(data_dir / "nhs/lookups/lsoa21_sicbl24_icb24_en.csv")
    df = look.merge(census, on="lsoa21_code", validate="1:1").reset_index(drop=True)
    assert len(df) == 33_755
    cols = ["age_0_15", "age_16_24", "age_25_34", "age_35_49", "age_50_64", "age_65_plus"]
    keys, inv = np.unique(df["ltla24_code"].to_numpy(), return_inverse=True)
    names = df.groupby("ltla24_code")["ltla24_name"].first().loc[keys].to_numpy()
    imd = out.loc[df["lsoa21_code"]]
    data = ProfileData.from_arrays(
        population=df["usual_residents_all"].to_numpy(), population_year=2021, ages=df[cols].to_numpy(),
        age_columns=cols, age_source="Census 2021 usual residents (ONS)", age_year=2021,
        imd_rank=imd["imd_rank"].to_numpy(), imd_decile=imd["imd_decile"].to_numpy(),
        membership={"place": inv}, layer_codes={"place": keys}, layer_names={"place": names},
    )
    sel = np.flatnonzero(df["icb24_code"].to_numpy() == icb)
    p = profile_units(data, sel, constituents="place")
    # independent: pandas on the raw files, with the IMD carried by plain pandas
    rows = df.iloc[sel].assign(dec=lambda x: x["lsoa21_code"].map(_pandas_carry(data_dir)))
    assert rows["dec"].notna().all()
    assert p.residents == int(rows["usual_residents_all"].sum())
    assert p.aged_65_plus == int(rows["age_65_plus"].sum()) and p.aged_75_plus is None
    dec = rows.groupby("dec")["usual_residents_all"].sum().reindex(range(1, 11), fill_value=0)
    assert p.imd_deciles == tuple(int(x) for x in dec)
    per = rows.assign(core=np.where(rows["dec"] <= 2, rows["usual_residents_all"], 0)).groupby("ltla24_name")[
        ["core", "usual_residents_all"]].sum()
    per = per[per["usual_residents_all"] >= 0.05 * rows["usual_residents_all"].sum()]
    share = per["core"] / per["usual_residents_all"]
    assert p.core20_gap == pytest.approx(share.max() - share.min(), abs=1e-12)
    assert p.most_deprived.name == share.idxmax() and p.least_deprived.name == share.idxmin()
    assert any("65+ only" in n for n in p.notes)
