"""Today's geography (2024) and the region/geography choice, on the real England data.

Every figure is compared with an independent pandas computation straight from
the raw CSV files of the mirror (not from our tables).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from boundaries import Settings
from boundaries.errors import MissingDataError
from boundaries.regions import RegionError, load_region
from spatial import Engine, Footprint, Scenario
from spatial.careflows import CareFlows
from spatial.checks import check_footprint
from spatial.clusters import cluster_table, enumerate_clusters, icb_adjacency
from spatial.errors import FootprintError, UnknownCodeError
from spatial.geography import GeographyMismatchError
from spatial.scenario_io import dumps, loads, save_scenario, load_scenario

REPO = Path(__file__).resolve().parent.parent
AGES = ["age_0_15", "age_16_24", "age_25_34", "age_35_49", "age_50_64", "age_65_plus"]


@pytest.fixture(scope="module")
def raw(data_dir):
    """The raw 2024 tables, joined with pandas only."""
    pop = pd.read_csv(data_dir / "england21/lsoa21_pop_census2021.csv", encoding="utf-8-sig")
    look = pd.read_csv(data_dir / "nhs/lookups/lsoa21_sicbl24_icb24_en.csv", encoding="utf-8-sig")
    l22 = pd.read_csv(data_dir / "local_authorities/ltla22_ltla23_lookup.csv", encoding="utf-8-sig")
    utla = pd.read_csv(data_dir / "local_authorities/ltla23_utla23_lookup.csv", encoding="utf-8-sig")
    df = look.merge(pop, on="lsoa21_code", how="left")
    df = df.merge(l22[["ltla22_code", "ltla23_code"]], on="ltla22_code", how="left")
    df = df.merge(utla[["ltla23_code", "utla23_code"]], on="ltla23_code", how="left")
    return df


@pytest.fixture(scope="module")
def england(data_dir):
    e = Engine.load("england", geography="2024")
    return e.with_flows(CareFlows.load(e.geo, year=2019))  # engines are frozen: with_flows returns a new one


def test_england_2024_units_and_populations_match_raw_files(england, raw):
    units = england.geo.units
    assert england.geography == "2024" and england.year == 2021
    assert len(units) == 33755 == len(raw)
    assert int(units["population"].sum()) == int(raw["usual_residents_all"].sum()) == 56_489_608
    for band in AGES:  # the age bands stay on the units, with the census names
        assert int(units[band].sum()) == int(raw[band].sum())
    # memberships from the lookups, unit by unit
    m = units.set_index("code")[["stp", "ccg", "borough", "utla"]].join(raw.set_index("lsoa21_code"))
    assert (m["stp"] == m["icb24_code"]).all() and (m["ccg"] == m["sicbl24_code"]).all()
    assert (m["borough"] == m["ltla23_code"]).all() and (m["utla"] == m["utla23_code"]).all()
    # layer totals: ICB, sub-ICB, place, upper tier
    for layer, col in (("stp", "icb24_code"), ("ccg", "sicbl24_code"), ("borough", "ltla23_code"),
                       ("utla", "utla23_code")):
        ours = england.geo.layers[layer].set_index("code")["population"]
        theirs = raw.groupby(col)["usual_residents_all"].sum()
        assert len(ours) == len(theirs)
        pd.testing.assert_series_equal(ours.sort_index(), theirs.sort_index(), check_names=False,
                                       check_dtype=False)
    assert len(england.geo.layers["nhs_region"]) == 7


def test_place_is_exact_lad_not_the_best_fit(england, raw):
    """E01027305: best-fit LAD 2024 says Cherwell, its exact LAD 2022 is West Northamptonshire."""
    row = england.geo.units.set_index("code").loc["E01027305"]
    assert row["borough"] == "E06000062" and row["lad24_bestfit"] == "E07000177"
    assert row["stp"] == raw.set_index("lsoa21_code").loc["E01027305", "icb24_code"]


def test_regions_are_subsets_from_the_lookups(raw, data_dir):
    qmf = load_region("QMF", geography="2024")
    sel = raw[raw["icb24_code_nhs"] == "QMF"]
    assert len(qmf.units) == len(sel) and int(qmf.units["population"].sum()) == int(sel["usual_residents_all"].sum())
    by_name = load_region("North East London", geography="2024")
    assert set(by_name.units["code"]) == set(qmf.units["code"])
    london = load_region("london", geography="2024")
    lon = raw[raw["ltla22_code"].str.startswith("E09")]
    assert len(london.units) == len(lon) == 4994
    assert int(london.units["population"].sum()) == int(lon["usual_residents_all"].sum()) == 8_799_687
    prac = pd.read_csv(data_dir / "nhs/primary_care/gp_practice_pcn_2025-10.csv")
    mid = set(prac.loc[prac["COMM_REGION_NAME"] == "Midlands", "ICB_CODE"])
    midlands = load_region("Midlands", geography="2024")
    assert set(midlands.units["stp_nhs"]) == mid
    assert int(midlands.units["population"].sum()) == int(raw[raw["icb24_code_nhs"].isin(mid)]["usual_residents_all"].sum())
    # 2018: an STP of England
    stp = load_region("E54000029", geography="2018")
    look18 = pd.read_csv(data_dir / "nhs/lookups/lsoa11_ccg18_stp18_lad18_en_v3.csv", encoding="utf-8-sig")
    assert set(stp.units["code"]) == set(look18.loc[look18["STP18CD"] == "E54000029", "LSOA11CD"])


def test_unknown_region_and_missing_data(tmp_path):
    with pytest.raises(RegionError, match="Northh East London.*2024 geography"):
        load_region("Northh East London", geography="2024")
    with pytest.raises(RegionError, match="unknown geography"):
        load_region("england", geography="2031")
    empty = Settings(tmp_path / "nodata", tmp_path / "cache", "env")
    with pytest.raises(MissingDataError) as err:
        load_region("QMF", geography="2024", config=empty)
    assert "python -m boundaries fetch" in str(err.value) and "england_lsoa21" in str(err.value)


def test_icb_cluster_checks_against_pandas(england, raw, data_dir):
    fp = Footprint("NCL + NEL", "icb_cluster", ("QMJ", "QMF"))
    rep = check_footprint(fp, england.index, flows=england.flows)
    sel = raw[raw["icb24_code_nhs"].isin(["QMJ", "QMF"])]
    assert rep.population == int(sel["usual_residents_all"].sum()) == 1_410_212 + 1_998_637
    assert rep.check("population").passed is True
    councils = rep.check("councils")
    assert councils.passed is True and councils.threshold == sel["utla23_code"].nunique() == 13
    # Surrey Heartlands + Sussex: Surrey county is split with Frimley (pandas: share of Surrey's residents)
    fp2 = Footprint("Surrey + Sussex", "icb_cluster", ("QXU", "QNX"))
    rep2 = check_footprint(fp2, england.index, flows=england.flows)
    surrey = raw[raw["utla23_code"] == "E10000030"]
    share = surrey[surrey["icb24_code_nhs"].isin(["QXU", "QNX"])]["usual_residents_all"].sum() / surrey["usual_residents_all"].sum()
    assert rep2.check("councils").passed is False
    assert f"Surrey is {100 * share:.1f}% inside" in rep2.check("councils").reason
    # a floor the user changes
    from spatial import Thresholds
    high = check_footprint(fp, england.index, thresholds=Thresholds(cluster_min_population=4_000_000))
    assert high.check("population").passed is False


def test_every_contiguous_cluster_enumerated_and_checked(england, raw):
    adj = icb_adjacency(england.index)
    n = adj.shape[0]
    assert n == 42 and (adj != adj.T).nnz == 0
    clusters = enumerate_clusters(adj, 2, 4)
    assert len(clusters) == len(set(clusters))
    # brute force: every 2-4 subset connected in the ICB graph
    import itertools
    import scipy.sparse.csgraph as cg
    a = adj.toarray()
    brute = 0
    for k in (2, 3):
        for c in itertools.combinations(range(n), k):
            sub = a[np.ix_(c, c)]
            if cg.connected_components(sub, directed=False)[0] == 1:
                brute += 1
    assert sum(1 for c in clusters if len(c) <= 3) == brute
    table = cluster_table(england.index, flows=england.flows, clusters=clusters)
    f = table.frame
    assert len(f) == len(clusters)
    # population of every cluster = pandas sum over its ICBs
    pop = raw.groupby("icb24_code")["usual_residents_all"].sum()
    got = f["icbs"].str.split("+").map(lambda cs: int(pop.loc[cs].sum()))
    assert (got == f["population"]).all()
    # councils wholly inside: pandas for each cluster of two
    ut = raw.groupby(["utla23_code", "icb24_code"])["usual_residents_all"].sum().unstack(fill_value=0)
    for row in f[f["n_icbs"] == 2].head(60).itertuples():
        cs = row.icbs.split("+")
        touched = ut[ut[cs].sum(axis=1) > 0]
        whole = (touched[cs].sum(axis=1) == touched.sum(axis=1))
        assert row.councils == len(touched) and row.councils_ok == bool(whole.all())
    # containment equals the care_flow rule of the footprint check
    for row in f.iloc[[0, 5, len(f) // 2, len(f) - 1]].itertuples():
        rep = check_footprint(Footprint("c", "icb_cluster", tuple(row.icbs.split("+"))), england.index,
                              flows=england.flows)
        assert abs(rep.check("care_flow").value - row.containment) < 1e-4
    assert f["passes"].is_monotonic_decreasing


def test_scenario_records_geography_and_mismatch_errors(england, tmp_path, index):
    sc = Scenario("two ICBs", (Footprint("NCL+NEL", "icb_cluster", ("QMJ", "QMF")),), geography="2024",
                  region="england", year=2021)
    back = loads(dumps(sc))
    assert back.geography == "2024" and back.region == "england" and back.footprints[0].level == "icb_cluster"
    path = save_scenario(sc, tmp_path / "s.json")
    assert json.loads(path.read_text())["version"] == 3
    # a 2024 scenario checked in the 2018 London engine
    with pytest.raises(GeographyMismatchError, match="2024 geography.*2018") as err:
        Engine(index.geo, index).check(load_scenario(path))
    assert "python -m spatial convert" in str(err.value)
    # a 2018 level in a 2024 scenario
    with pytest.raises(FootprintError, match="2018 geography"):
        Scenario("x", (Footprint("a", "multi_borough", ("E09000001",)),), geography="2024")
    # a 2018 code (LSOA 2011 split in 2021) in a 2024 footprint: names the vintage and the command
    look = pd.read_csv(__import__("boundaries").settings().data_dir / "england21/lsoa11_lsoa21_ltla22_lookup.csv")
    gone = sorted(set(look.loc[look["change_code"].isin(["S", "M"]) & look["lsoa11_code"].str.startswith("E"),
                               "lsoa11_code"]) - set(look["lsoa21_code"]))
    split = gone[0]
    with pytest.raises(GeographyMismatchError) as err:
        england.index.expand([split, "E09000001"])
    assert "2018 geography" in str(err.value) and "LSOA 2011" in str(err.value) and "convert" in str(err.value)
    # and an April 2024 code in a 2018 scenario
    with pytest.raises(GeographyMismatchError, match="2024 geography"):
        index.expand(["E54000063"])  # Surrey Heartlands' April 2024 code
    with pytest.raises(UnknownCodeError) as plain:
        index.expand(["E09999999"])
    assert not isinstance(plain.value, GeographyMismatchError)


def test_nhs_codes_join_across_the_2022_2024_changes(england, data_dir):
    """OHID 2022 shares are keyed by July 2022 E-codes; Surrey/Sussex changed: join on NHS codes."""
    look22 = pd.read_csv(data_dir / "nhs/lookups/lsoa11_sicbl22_icb22_ltla22_en.csv", encoding="utf-8-sig")
    e22 = dict(zip(look22["icb22_code_h"], look22["icb22_code"]))
    units = england.geo.units
    e24 = dict(zip(units["stp_nhs"], units["stp"]))
    changed = {nhs for nhs in e24 if e22[nhs] != e24[nhs]}
    assert changed == {"QXU", "QNX"}
    assert england.index.resolve("QXU") == england.index.resolve("E54000063")
    with pytest.raises(GeographyMismatchError) as err:  # the July 2022 code of Surrey Heartlands
        england.index.expand(["E54000052"])
    assert "E54000052 -> E54000063" in str(err.value) and "NHS code" in str(err.value)


def test_cli_region_geography_and_clusters(tmp_path):
    env = {**__import__("os").environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-m", "spatial", "clusters", "QMJ", "QMF", "--geography", "2024",
                          "--region", "london"], capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "population 3,408,849 is at least 1,000,000" in out.stdout and "councils" in out.stdout
    out = subprocess.run([sys.executable, "-m", "spatial", "check", "london-stps", "--geography", "2024",
                          "--no-care-flows"], capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    assert out.returncode == 2 and "2018 geography" in out.stderr and "spatial convert" in out.stderr
    out = subprocess.run([sys.executable, "-m", "spatial", "check", "icbs-2024", "--geography", "2024",
                          "--region", "QMF", "--no-care-flows"], capture_output=True, text=True, env=env,
                         cwd=REPO, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "1,998,637" in out.stdout


# --- conversion 2018 <-> 2024 -----------------------------------------------------------------

def test_convert_london_stps_to_2024_against_pandas(data_dir):
    from spatial.convert import MAJORITY, convert_scenario
    from spatial.preloaded import load_preloaded

    src = Engine.load("london")
    dst = Engine.load("london", geography="2024")
    sc = load_preloaded("london-stps")
    rep = convert_scenario(sc, "2024", source=src.index, target=dst.index)
    assert rep.scenario.geography == "2024" and {f.level for f in rep.scenario.footprints} == {"icb"}
    # independent: majority of each LSOA 2021's parents' mid-2017 residents (shared among pieces), by STP
    look = pd.read_csv(data_dir / "england21/lsoa11_lsoa21_ltla22_lookup.csv")
    look = look[look["ltla22_code"].str.startswith("E09")]
    pop17 = pd.read_csv(data_dir / "england/lsoa11_pop_mid2017_ew.csv").set_index("LSOA11CD")["pop_mid2017"]
    stp = pd.read_csv(data_dir / "nhs/lookups/lsoa11_ccg18_stp18_lad18_en_v3.csv", encoding="utf-8-sig") \
        .set_index("LSOA11CD")["STP18CD"]
    pop21 = pd.read_csv(data_dir / "england21/lsoa21_pop_census2021.csv").set_index("lsoa21_code")["usual_residents_all"]
    look = look.assign(w=look["lsoa11_code"].map(pop17) / look.groupby("lsoa11_code")["lsoa21_code"].transform("size"),
                       stp=look["lsoa11_code"].map(stp))
    share = look.groupby(["lsoa21_code", "stp"])["w"].sum() / look.groupby("lsoa21_code")["w"].sum()
    for change, fp in zip(rep.changes, sc.footprints):
        code = fp.members[0]
        chosen = share.xs(code, level="stp")
        chosen = chosen[chosen >= MAJORITY].index
        assert change.units_after == len(chosen)
        assert change.population_after == int(pop21.loc[chosen].sum())
        assert change.population_before == int(src.index.population[src.index.expand([code])].sum())
        for unit, s, c in change.moved:
            assert 0 < s < 1 and c in ("S", "M", "X")
    # the five converted STPs are exactly the five London ICBs (Census 2021)
    icb = {f.name: f for f in rep.scenario.footprints}
    assert icb["North West London"].members == ("E54000027",)
    assert [c.population_after for c in rep.changes] == [2_093_003, 1_410_212, 1_998_637, 1_791_424, 1_506_411]
    # and back: 2024 -> 2018 keeps the STPs whole
    back = convert_scenario(rep.scenario, "2018", source=dst.index, target=src.index)
    assert [f.members for f in back.scenario.footprints] == [f.members for f in sc.footprints]
    assert back.scenario.footprints[0].level == "stp"


def test_convert_cli_writes_a_2024_file(tmp_path):
    env = {**__import__("os").environ, "PYTHONPATH": str(REPO)}
    out = tmp_path / "stps24.json"
    run = subprocess.run([sys.executable, "-m", "spatial", "convert", "london-stps", "--to", "2024", "-o", str(out)],
                         capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "North Central London (stp -> icb)" in run.stdout and "(-69,881)" in run.stdout
    data = json.loads(out.read_text())
    assert data["geography"] == "2024" and data["version"] == 3
    check = subprocess.run([sys.executable, "-m", "spatial", "check", str(out), "--geography", "2024",
                            "--no-care-flows"], capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    assert check.returncode == 0, check.stderr
    wrong = subprocess.run([sys.executable, "-m", "spatial", "check", str(out), "--no-care-flows"],
                           capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    assert wrong.returncode == 2 and f"python -m spatial convert {out} --to 2018" in wrong.stderr


# --- PCNs ---------------------------------------------------------------------------------------

def test_pcn_list_sizes_against_pandas(england, data_dir):
    from spatial.pcns import Practices

    pr = Practices.load(england.index)
    table = pr.pcn_table()
    m = pd.read_csv(data_dir / "nhs/primary_care/gp_practice_pcn_2025-10.csv")
    p = pd.read_csv(data_dir / "nhs/primary_care/gp_practice_population_2025-26.csv", encoding="utf-8-sig")
    j = m.merge(p, left_on="PRACTICE_CODE", right_on="Practice_Code")
    j = j[j["PCN_CODE"] != "U"]
    sizes = j.groupby("PCN_CODE")["Population"].sum().round().astype("int64")
    assert len(table) == 1297 == len(sizes)
    assert (table.set_index("pcn")["list_size"] == sizes).all()
    assert int(table["in_range"].sum()) == int(sizes.between(30_000, 50_000).sum())
    assert int(table["list_size"].median()) == int(sizes.median())
    # places of practices: the practice file's own LAD (2021/22, carried to 2023) agrees for most practices
    l22 = pd.read_csv(data_dir / "local_authorities/ltla22_ltla23_lookup.csv").set_index("ltla22_code")["ltla23_code"]
    theirs = pr.frame.merge(p[["Practice_Code", "LAD"]], left_on="code", right_on="Practice_Code")
    agree = (theirs["place"] == theirs["LAD"].map(l22)).mean()
    assert agree > 0.97
    split = pr.split_pcns()
    assert (split["places"] > 1).all() and len(split) < len(table)


def test_practices_inside_a_neighbourhood_and_bad_input(england):
    from spatial.pcns import PracticeDataError, Practices, UnallocatedPCNError

    pr = Practices.load(england.index)
    units = england.index.expand(["E09000012"])  # Hackney
    f, s = pr.inside(units, england.index)
    assert s["residents"] == int(england.index.population[units].sum())
    assert s["registered"] == int(round(f["population"].sum())) and s["ratio"] > 1
    assert (f["place"] == "E09000012").all()
    with pytest.raises(UnallocatedPCNError, match="unallocated"):
        pr.pcn("U")
    from boundaries import get_dataset, settings
    from boundaries.readers import read_dataset

    cfg = settings()
    pops = read_dataset(get_dataset("gp_practice_population_2025"), cfg.data_dir).frame.copy()
    pops.loc[pops["Practice_Code"] == "F84003", "Latitude"] = np.nan
    with pytest.raises(PracticeDataError, match="F84003.*no coordinates|no coordinates.*F84003"):
        Practices.load(england.index, populations=pops)


# --- care flows in the 2024 geography -----------------------------------------------------------

def test_units_take_their_lsoa11_parents_msoa_flows(england, data_dir):
    """An LSOA 2021's activity is its population times its LSOA 2011 parent's MSOA shares (pandas)."""
    flows = pd.read_csv(data_dir / "nhs/flows/phe_trust_msoa_proportions_catchment2019_successor_updated.csv")
    look = pd.read_csv(data_dir / "england21/lsoa11_lsoa21_ltla22_lookup.csv").sort_values(["lsoa21_code", "lsoa11_code"])
    parent = look.drop_duplicates("lsoa21_code").set_index("lsoa21_code")["lsoa11_code"]
    msoa = pd.read_csv(data_dir / "england/lsoa11_msoa11_lookup_ew.csv").set_index("LSOA11CD")["MSOA11CD"]
    units = england.geo.units
    act = england.flows.activity(england.index)
    picks = [units.loc[units["change_code"] == c, "code"].iloc[0] for c in ("S", "M", "X", "U")]
    for code in picks + [units["code"].iloc[20000]]:
        i = int(np.flatnonzero(units["code"].to_numpy() == code)[0])
        m = msoa.loc[parent.loc[code]]
        f = flows[flows["msoa_code"] == m].set_index("trust_code")["proportion"]
        pop = units["population"].iloc[i]
        row = pd.Series(act[[i], :].toarray().ravel(), index=england.flows.trust_codes)
        row = row[row > 0]
        pd.testing.assert_series_equal(row.sort_index(), (f * pop).sort_index(), check_names=False, rtol=1e-9)


def test_trusts_at_sites_only_when_named_unambiguously(england, data_dir):
    from spatial.trust_sites import reduce_name

    t = england.flows.trusts
    t = t[t["has_flows"]]
    at_site = t[t["located_at"].str.startswith("site: ")]
    assert 0 < len(at_site) < len(t)
    sites = pd.read_csv(data_dir / "nhs/trusts/hospital_sites_2022.csv")
    for row in at_site.itertuples():
        site = row.located_at[len("site: "):]
        assert reduce_name(site) == reduce_name(row.name)  # a site is linked by its name only
        pt = sites[sites["hospital22_name"].str.strip() == site].iloc[0]
        assert abs(pt["lon"] - row.lon) < 1e-9 and abs(pt["lat"] - row.lat) < 1e-9
    barts = t.set_index("code").loc["R1H"]
    assert barts["located_at"] == "headquarters" and barts["lon"] == barts["hq_lon"]


def test_supply_side_from_2022_shares_joined_on_nhs_codes(england, data_dir):
    from spatial.clusters import icb22_shares

    S, _ = icb22_shares(england.index, england.flows.trust_codes)
    shares = pd.read_csv(data_dir / "nhs/flows/trust22_icb22_shares.csv")
    look = pd.read_csv(data_dir / "nhs/lookups/lsoa11_sicbl22_icb22_ltla22_en.csv")
    nhs = dict(zip(look["icb22_code"], look["icb22_code_h"]))
    t = list(england.flows.trust_codes).index("RA2")  # Royal Surrey: most of its catchment from Surrey Heartlands
    qxu = england.index.resolve("QXU")[1]
    expect = shares[(shares["nhs_trust22_code"] == "RA2") & (shares["icb22_code"].map(nhs) == "QXU")]
    assert abs(S[t, qxu] - expect["proportion_trust_came_from_icb"].sum()) < 1e-12 and S[t, qxu] > 0.5
    has = S.sum(axis=1) > 0
    assert np.allclose(S[has].sum(axis=1), 1.0)


# --- proposals in the 2024 geography ------------------------------------------------------------

def test_multi_place_systems_inside_an_icb_and_neighbourhoods(raw):
    from spatial.proposals_localities import propose_localities
    from spatial.proposals_systems import propose_systems

    nel = Engine.load("QMF", geography="2024")
    table = propose_systems(nel.index, stp="E54000029")
    assert table.systems and all(s.report.level == "multi_place" for s in table.systems)
    pop = raw[raw["icb24_code_nhs"] == "QMF"].groupby("ltla23_code")["usual_residents_all"].sum()
    for s in table.systems[:10]:
        assert s.population == int(pop.loc[list(s.boroughs)].sum())
        assert set(s.report.stps) == {"E54000029"}
    sc = table.valid()[0].to_scenario()
    assert sc.geography == "2024" and {f.level for f in sc.footprints} == {"multi_place", "place"}
    hackney = propose_localities(nel.index, "E09000012", on="ward")
    assert hackney.thresholds.locality_min == 30_000 and hackney.thresholds.locality_max == 50_000
    total = int(raw.loc[raw["ltla23_code"] == "E09000012", "usual_residents_all"].sum())
    assert sum(loc.population for loc in hackney.localities) == total
    assert all(loc.within_range == (30_000 <= loc.population <= 50_000) for loc in hackney.localities)
