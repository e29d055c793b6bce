"""The systems the papers name (issue 18): the cross-STP mental health partnership, CHINs, quadrants,
the borough-based systems and the WELC variant, plus fixed-count locality proposals.

Expected figures are computed here with pandas from the raw files of the data mirror
(``london/london_lsoa11_pop_mid2017_syoa.csv``, the ONS LSOA-CCG-STP-LAD lookup and the
best-fit LSOA-ward lookup), not from the engine's tables; the expected names and borough
groupings are transcribed from the two 2018 papers in ``shared/seeds`` and from issue 18.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from spatial.checks import check_scenario
from spatial.footprints import Footprint, Scenario
from spatial.preloaded import list_preloaded, load_preloaded
from spatial.proposals import AreaGraph
from spatial.proposals import CountInfeasibleError, balance, fixed_count_regions
from spatial.proposals import propose_localities
from spatial.io import dumps, loads, validate_members
from spatial.errors import FootprintError, ScenarioFormatError

REPO = Path(__file__).resolve().parents[2]
SEEDS = Path(os.environ.get("FOOTPRINTS_SEEDS", REPO.parent / "shared" / "seeds"))

NEW_IDS = ["named-borough-systems", "ncl-chins", "one-hackney-quadrants", "south-london-mental-health"]

#: The three South London mental health trusts' boroughs (issue 18).
TRUSTS = {
    "South London and Maudsley catchment": {"Lambeth", "Southwark", "Lewisham", "Croydon"},
    "Oxleas catchment": {"Bexley", "Bromley", "Greenwich"},
    "South West London and St George's catchment": {"Kingston upon Thames", "Merton", "Richmond upon Thames",
                                                    "Sutton", "Wandsworth"},
}
PARTNERSHIP = "South London Mental Health and Community Partnership"
NCL = ["Barnet", "Camden", "Enfield", "Haringey", "Islington"]


@pytest.fixture(scope="module")
def raw(data_dir) -> pd.DataFrame:
    """One row per London LSOA: mid-2017 population, borough, CCG, STP and 2017 ward, from the raw files."""
    pop = pd.read_csv(data_dir / "london" / "london_lsoa11_pop_mid2017_syoa.csv", encoding="utf-8-sig",
                      usecols=["LSOA11CD", "pop_mid2017"])
    look = pd.read_csv(data_dir / "nhs" / "lookups" / "lsoa11_ccg18_stp18_lad18_en_v3.csv", encoding="utf-8-sig")
    look = look[look["LAD18CD"].str.startswith("E09")]
    wards = pd.read_csv(data_dir / "england" / "lsoa11_ward17_lookup_ew.csv", encoding="utf-8-sig")
    out = look.merge(pop, on="LSOA11CD", how="left").merge(wards, on="LSOA11CD", how="left")
    assert len(out) == 4835 and out["pop_mid2017"].notna().all() and out["WD17CD"].notna().all()
    return out


def _pop(raw, col, values) -> int:
    return int(raw.loc[raw[col].isin(values), "pop_mid2017"].sum())


def _seed_text() -> str:
    files = sorted(SEEDS.glob("*.txt"))
    if not files:
        pytest.fail(f"the 2018 source papers are not in {SEEDS}; put the project's shared/seeds beside the repo "
                    "or set FOOTPRINTS_SEEDS", pytrace=False)
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "spatial", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)


# --- all new scenarios -----------------------------------------------------------------------------

def test_new_scenarios_are_listed_and_cite_the_papers(index):
    ids = [sid for sid, _, _ in list_preloaded()]
    assert set(NEW_IDS) <= set(ids)
    for sid in NEW_IDS + ["nel-partnerships"]:
        s = load_preloaded(sid)
        assert "Healthy London Partnership" in s.source and "2018" in s.source, sid
        assert s.year == 2017 and len(s.description) > 80
        units = validate_members(s, index)
        assert all(len(u) for u in units.values())


# --- 1. the pathway partnership --------------------------------------------------------------------

def test_mental_health_partnership_spans_sel_and_swl(engine, raw):
    s = load_preloaded("south-london-mental-health")
    report = engine.check(s)
    r = report.get(PARTNERSHIP)
    boroughs = set().union(*TRUSTS.values())
    assert len(boroughs) == 12
    assert set(raw.loc[raw["LAD18CD"].isin(r.boroughs), "LAD18NM"]) == boroughs
    assert r.population == _pop(raw, "LAD18NM", boroughs)
    # nesting reports the STPs and their shares instead of failing
    by_stp = raw[raw["LAD18NM"].isin(boroughs)].groupby("STP18NM")["pop_mid2017"].sum()
    assert set(by_stp.index) == {"South East London", "South West London"}
    nest = r.check("nesting")
    assert nest.passed is None and "spanning 2 STPs" in nest.reason
    for name, p in by_stp.items():
        assert f"{name} ({100 * p / by_stp.sum():.1f}%, {int(p):,} residents)" in nest.reason
    assert [(n, p) for _, n, p, _ in r.spans] == sorted(by_stp.astype(int).items(), key=lambda x: -x[1])
    assert math.isclose(sum(sh for *_, sh in r.spans), 1.0)
    # no 0.5m, 2-4 boroughs or 70% verdicts by default; the partnership passes
    for rule in ("population", "boroughs", "care_flow"):
        assert r.check(rule).passed is None, rule
    assert "no population test" in r.check("population").reason
    assert r.check("contiguity").passed is True and r.check("coterminosity_borough").passed is True
    assert r.passed
    data = r.to_dict()
    assert data["kind"] == "pathway" and [x["name"] for x in data["spans"]] == list(by_stp.sort_values(
        ascending=False).index)


def test_the_same_boroughs_as_a_place_fail_nesting(engine):
    fp = load_preloaded("south-london-mental-health").get(PARTNERSHIP)
    place = Footprint("as a place", "multi_borough", fp.members)
    r = engine.check(Scenario("x", (place,))).get("as a place")
    assert r.check("nesting").passed is False and "crosses 2 STPs" in r.check("nesting").reason
    assert r.check("boroughs").passed is False  # 12 boroughs, more than 4


def test_trust_catchments_are_the_care_flow_view(engine, raw):
    s = load_preloaded("south-london-mental-health")
    report = engine.check(s)
    for name, boroughs in TRUSTS.items():
        fp = s.get(name)
        assert fp.kind == "pathway"
        r = report.get(name)
        assert set(raw.loc[raw["LAD18CD"].isin(r.boroughs), "LAD18NM"]) == boroughs
        assert r.population == _pop(raw, "LAD18NM", boroughs)
        stps = set(raw.loc[raw["LAD18NM"].isin(boroughs), "STP18NM"])
        assert {n for _, n, _, _ in r.spans} == stps
        assert r.check("nesting").passed is None
    # Croydon (SWL) with three SEL boroughs: South London and Maudsley crosses the STPs too
    assert len(report.get("South London and Maudsley catchment").spans) == 2
    # the three catchments cover the partnership exactly once
    units = [set(report.get(n).units.tolist()) for n in TRUSTS]
    assert set().union(*units) == set(report.get(PARTNERSHIP).units.tolist())
    assert sum(len(u) for u in units) == len(report.get(PARTNERSHIP).units)


def test_pathway_verdicts_only_when_the_user_sets_them(engine, raw):
    s = load_preloaded("south-london-mental-health")
    pop = _pop(raw, "LAD18NM", set().union(*TRUSTS.values()))
    strict = engine.check(s.with_thresholds({"pathway_min_population": pop + 1})).get(PARTNERSHIP)
    assert strict.check("population").passed is False and f"by {1:,}" in strict.check("population").reason
    loose = engine.check(s.with_thresholds({"pathway_min_population": pop})).get(PARTNERSHIP)
    assert loose.check("population").passed is True


def test_pathway_care_flow_threshold(geo, engine):
    from spatial.careflows import CareFlows

    flows = CareFlows.load(geo, year=2018)
    s = load_preloaded("south-london-mental-health")
    base = check_scenario(s, engine.index, flows=flows).get(PARTNERSHIP).check("care_flow")
    assert base.passed is None and "0.0%" not in base.reason and "no care-flow test" in base.reason
    value = float(base.value)
    assert 0 < value < 1
    above = check_scenario(s.with_thresholds({"pathway_care_flow_min": min(1.0, value + 0.01)}), engine.index,
                           flows=flows).get(PARTNERSHIP).check("care_flow")
    below = check_scenario(s.with_thresholds({"pathway_care_flow_min": value - 0.01}), engine.index,
                           flows=flows).get(PARTNERSHIP).check("care_flow")
    assert above.passed is False and below.passed is True


def test_kind_in_the_file_format():
    s = load_preloaded("south-london-mental-health")
    data = json.loads(dumps(s))
    assert data["version"] == 2 and {fp.get("kind") for fp in data["footprints"]} == {None, "pathway"}
    assert loads(dumps(s)) == s
    # an ordinary scenario is still written as version 1, readable by older Footprints
    assert json.loads(dumps(load_preloaded("kingston-richmond")))["version"] == 1
    data["version"] = 1
    with pytest.raises(ScenarioFormatError, match="needs format version 2") as info:
        loads(json.dumps(data))
    assert "footprints[2]" in str(info.value) and "kind" in str(info.value)
    data["version"] = 2
    data["footprints"][2]["kind"] = "pathwy"
    with pytest.raises(FootprintError, match="unknown kind 'pathwy'"):
        loads(json.dumps(data))


def test_cli_check_reports_the_span():
    out = _cli("check", "south-london-mental-health", "--no-care-flows")
    assert out.returncode == 0, out.stderr
    assert "pathway partnership spanning 2 STPs" in out.stdout and "South East London (" in out.stdout
    assert "South West London (" in out.stdout
    data = json.loads(_cli("check", "south-london-mental-health", "--json", "--no-care-flows").stdout)
    mh = next(f for f in data["footprints"] if f["name"] == PARTNERSHIP)
    assert mh["passed"] is True and {x["name"] for x in mh["spans"]} == {"South East London", "South West London"}


# --- 2./3. fixed-count localities ------------------------------------------------------------------

@pytest.mark.parametrize("borough", NCL)
def test_two_per_ncl_borough_is_well_above_80k(borough, index, raw):
    p = propose_localities(index, borough, on="ward", count=2, seed=0)
    mine = raw[raw["LAD18NM"] == borough]
    assert len(p.localities) == 2
    assert sum(loc.population for loc in p.localities) == int(mine["pop_mid2017"].sum())
    ward_pop = mine.groupby("WD17CD")["pop_mid2017"].sum()
    seen: set[str] = set()
    for loc in p.localities:
        assert loc.population == int(ward_pop[list(loc.members)].sum())
        assert not seen & set(loc.members)
        seen |= set(loc.members)
        assert loc.population > 80_000  # the insight: two CHINs per borough cannot be ~50k-80k
    assert seen == set(mine["WD17CD"])
    # balanced as the wards allow: measured 1.00-1.03 for the five boroughs (max-p floors of 95-99% of the mean)
    assert balance([loc.population for loc in p.localities]) < 1.1
    assert "floor 9" in p.method  # a floor of at least 90% of the mean was reached
    dist = p.distances()
    assert all(d["low"] == 50_000 and d["high"] == 80_000 and d["distance"] == d["population"] - 80_000 > 0
               for d in dist)
    text = " ".join(p.comparison())
    assert "every one is above 80,000" in text and "two CHINs per borough" in text


def test_hackney_quadrants_from_wards(index, raw):
    p = propose_localities(index, "Hackney", on="ward", count=4, seed=0)
    hackney = raw[raw["LAD18NM"] == "Hackney"]
    assert len(p.localities) == 4
    assert sum(loc.population for loc in p.localities) == int(hackney["pop_mid2017"].sum())
    assert sorted(w for loc in p.localities for w in loc.members) == sorted(hackney["WD17CD"].unique())
    assert balance([loc.population for loc in p.localities]) < 1.25
    assert all(index_contiguous(index, loc.units) for loc in p.localities)
    assert "four locality-based quadrants" in " ".join(p.comparison())
    assert all((d["low"], d["high"]) == (30_000, 70_000) for d in p.distances())


def index_contiguous(index, units) -> bool:
    from spatial.checks import contiguity_pieces

    return len(contiguity_pieces(index, np.asarray(units))) == 1


def test_fixed_count_on_a_synthetic_grid():
    rng = np.random.default_rng(3)
    pop = rng.integers(500, 1_500, size=12 * 12)
    g = AreaGraph.grid(12, 12, pop)
    nxg = nx.grid_2d_graph(12, 12)
    nodes = list(nxg.nodes())
    for n in (1, 2, 3, 5):
        res = fixed_count_regions(g, n, seed=1)
        assert res.p == n and sorted(np.unique(res.labels)) == list(range(n))
        for r in range(n):
            ids = np.flatnonzero(res.labels == r)
            assert nx.is_connected(nxg.subgraph([nodes[i] for i in ids]))
            assert res.population[r] == pop[ids].sum()
        mean = pop.sum() / n
        f = res.floor_fraction[0]
        assert res.population.min() >= f * mean - 1e-6  # the floor bound of the module notes
        assert res.population.max() <= pop.sum() - (n - 1) * f * mean + 1e-6
    again = fixed_count_regions(g, 3, seed=1)
    assert (again.labels == fixed_count_regions(g, 3, seed=1).labels).all()


def test_fixed_count_bad_input(index, raw):
    n = raw.loc[raw["LAD18NM"] == "City of London", "WD17CD"].nunique()
    with pytest.raises(CountInfeasibleError, match=f"has only {n} building block") as info:
        propose_localities(index, "City of London", on="ward", count=n + 1)
    assert f"at most {n}" in info.value.fix
    with pytest.raises(CountInfeasibleError, match="1 or more"):
        propose_localities(index, "Hackney", on="ward", count=0)


@pytest.mark.timeout(600)
def test_cli_count_for_every_ncl_borough_and_hackney(raw):
    for borough in NCL:
        out = _cli("propose", "localities", borough, "--count", "2", "--on", "ward", "--json")
        assert out.returncode == 0, out.stderr
        data = json.loads(out.stdout)
        assert data["count"] == 2 and data["n_localities"] == 2
        assert sum(x["population"] for x in data["localities"]) == _pop(raw, "LAD18NM", {borough})
        assert all(d["distance"] > 0 for d in data["paper_distances"])
        assert any("two CHINs per borough" in line for line in data["comparison"])
    text = _cli("propose", "localities", "Hackney", "--count", "4", "--on", "ward")
    assert text.returncode == 0, text.stderr
    assert "exactly 4 per borough" in text.stdout and "Compared with the 2018 papers" in text.stdout
    bad = _cli("propose", "localities", "City of London", "--count", "99", "--on", "ward")
    assert bad.returncode == 2 and "Fix:" in bad.stderr and bad.stdout == ""


# --- the preloaded CHINs and quadrants -------------------------------------------------------------

def test_preloaded_ncl_chins(engine, raw):
    s = load_preloaded("ncl-chins")
    assert s.name == "NCL CHINs (proposed, 2 per borough)"
    assert (s.thresholds.locality_min, s.thresholds.locality_max) == (50_000, 80_000)
    report = engine.check(s)
    chins = [fp for fp in s.footprints if fp.level == "locality"]
    assert len(chins) == 10
    ward_pop = raw.groupby("WD17CD")["pop_mid2017"].sum()
    for borough in NCL:
        mine = [fp for fp in chins if fp.parent == borough]
        assert len(mine) == 2
        assert sorted(w for fp in mine for w in fp.members) == sorted(raw.loc[raw["LAD18NM"] == borough,
                                                                              "WD17CD"].unique())
        for fp in mine:
            r = report.get(fp.name)
            assert r.population == int(ward_pop[list(fp.members)].sum()) > 80_000
            assert r.check("population").passed is False
            assert f"above 80,000 by {r.population - 80_000:,}" in r.check("population").reason
            assert r.check("nesting").passed is True and r.check("contiguity").passed is True
            assert f"{r.population - 80_000:,} above the papers' ~80k" in fp.notes
    pops = [report.get(fp.name).population for fp in chins]
    assert f"({min(pops) // 1000}k-{max(pops) // 1000}k at mid-2017)" in s.description
    # the file is the fixed-count proposal, reproducible from its seed
    again = propose_localities(engine.index, "North Central London", on="ward", count=2, seed=0)
    assert sorted(tuple(sorted(loc.members)) for loc in again.localities) == \
        sorted(tuple(sorted(fp.members)) for fp in chins)


def test_preloaded_hackney_quadrants(engine, raw):
    s = load_preloaded("one-hackney-quadrants")
    assert s.name == "One Hackney quadrants (proposed)"
    report = engine.check(s)
    quads = [fp for fp in s.footprints if fp.level == "locality"]
    hackney = raw[raw["LAD18NM"] == "Hackney"]
    assert len(quads) == 4 and all(fp.parent == "One Hackney" for fp in quads)
    assert sorted(w for fp in quads for w in fp.members) == sorted(hackney["WD17CD"].unique())
    ward_pop = hackney.groupby("WD17CD")["pop_mid2017"].sum()
    for fp in quads:
        r = report.get(fp.name)
        assert r.population == int(ward_pop[list(fp.members)].sum())
        assert r.check("population").passed == (30_000 <= r.population <= 70_000)
        assert f"{r.population:,} residents" in fp.notes
    assert report.get("One Hackney").population == int(hackney["pop_mid2017"].sum())
    # the file is the fixed-count proposal (numbered north to south), reproducible from its seed
    again = propose_localities(engine.index, "Hackney", on="ward", count=4, seed=0)
    assert [sorted(loc.members) for loc in again.localities] == [sorted(fp.members) for fp in quads]


# --- 4. borough-based systems with their descriptions ----------------------------------------------

def test_named_borough_systems(engine, raw):
    s = load_preloaded("named-borough-systems")
    seeds = " ".join(_seed_text().split())
    expected = {"Hillingdon Health Care Partners", "Hammersmith and Fulham", "Ealing", "Central London", "West London",
                "Tower Hamlets MCP", "One Croydon Alliance", "Sutton care home vanguard", "Bexley Care", "Bromley",
                "Greenwich local care networks", "Lambeth local care networks", "Lewisham local care networks",
                "Southwark local care networks"}
    assert set(s.names("borough")) == expected
    # the quoted descriptions are the papers' words
    for phrase in ("The service for >65s care is live", "Care model includes emphasis on **social prescribing",
                   "Alliance agreement (1+9) signed in April 2017", "served a population of ~195k",
                   "Bromley** are introducing an **Alliance Contract", "Bexley Care** integrates adult social care",
                   "system of **Local Care Networks (LCNs)**"):
        assert phrase in seeds, phrase
    assert "The service for >65s care is live" in s.get("Hillingdon Health Care Partners").notes
    assert "social prescribing" in s.get("Tower Hamlets MCP").notes
    assert "(1+9)" in s.get("One Croydon Alliance").notes and "April 2017" in s.get("One Croydon Alliance").notes
    assert "Alliance Contract" in s.get("Bromley").notes
    report = engine.check(s)
    ccg = raw.groupby("CCG18NM")["pop_mid2017"].sum()
    assert report.get("Central London").population == int(ccg["NHS Central London (Westminster) CCG"])
    assert report.get("West London").population == int(ccg["NHS West London CCG"])
    # Westminster's split shows: the share of Westminster in each CCG, from the raw lookup
    west = raw[raw["LAD18NM"] == "Westminster"]
    share = west.loc[west["CCG18NM"] == "NHS Central London (Westminster) CCG", "pop_mid2017"].sum() / \
        west["pop_mid2017"].sum()
    central = report.get("Central London").check("coterminosity_borough")
    assert central.passed is False and f"Westminster is {100 * share:.1f}% inside" in central.reason
    assert f"Westminster is {100 * (1 - share):.1f}% inside" in report.get("West London").check(
        "coterminosity_borough").reason
    # Sutton: the papers' ~195k beside the data's figure
    sutton = _pop(raw, "LAD18NM", {"Sutton"})
    assert report.get("Sutton care home vanguard").population == sutton
    notes = s.get("Sutton care home vanguard").notes
    assert "~195k" in notes and f"{sutton:,}" in notes and abs(sutton - 195_000) / 195_000 < 0.10
    # SEL's six borough-based systems: one per SEL borough, each inside SEL
    sel = [fp for fp in s.footprints if fp.parent == "South East London"]
    assert len(sel) == 6
    assert {b for fp in sel for b in raw.loc[raw["LAD18CD"].isin(report.get(fp.name).boroughs), "LAD18NM"]} == \
        set(raw.loc[raw["STP18NM"] == "South East London", "LAD18NM"])
    for fp in s.footprints:
        if fp.parent:
            assert report.get(fp.name).check("nesting").passed is True, fp.name


# --- 5. WELC with City and Hackney ------------------------------------------------------------------

def test_welc_variant(engine, raw):
    s = load_preloaded("nel-partnerships")
    report = engine.check(s)
    both = {"WELC": {"Tower Hamlets", "Waltham Forest", "Newham"},
            "WELC with City and Hackney": {"Tower Hamlets", "Waltham Forest", "Newham", "City of London", "Hackney"}}
    for name, boroughs in both.items():
        r = report.get(name)
        assert set(raw.loc[raw["LAD18CD"].isin(r.boroughs), "LAD18NM"]) == boroughs
        assert r.population == _pop(raw, "LAD18NM", boroughs)
        assert r.check("nesting").passed is True
    wide = report.get("WELC with City and Hackney")
    assert wide.check("boroughs").passed is False and wide.check("boroughs").value == 5
    assert report.get("WELC").check("boroughs").passed is True


# --- the Proposals page: fixed count ---------------------------------------------------------------

def test_proposals_page_fixed_count(raw):
    from tests.ui.test_app_pages import errors, find_table, run_app

    at = run_app(page="ui/pages/proposals.py")
    at.radio(key="proposals_mode").set_value("Localities in a borough").run()
    at.selectbox(key="proposals_borough").set_value("E09000012").run()
    at.radio(key="proposals_on").set_value("ward").run()
    at.toggle(key="proposals_fixed").set_value(True).run()
    at.number_input(key="proposals_count").set_value(4).run()
    at.button(key="proposals_run").click().run()
    assert not at.exception and not errors(at), errors(at)
    table = find_table(at, "Locality")
    assert len(table) == 4
    assert int(table["Population"].sum()) == _pop(raw, "LAD18NM", {"Hackney"})
    assert list(table["Papers' range"]) == ["30,000–70,000"] * 4
    want = [p - 70_000 if p > 70_000 else (p - 30_000 if p < 30_000 else 0) for p in table["Population"]]
    assert list(table["From the range"]) == want
    assert any("four locality-based quadrants" in c.value for c in at.caption)


def test_check_page_shows_the_pathway_partnership(raw):
    from tests.ui.test_app_pages import errors, find_table, run_app

    at = run_app(load_preloaded("south-london-mental-health"), "ui/pages/check.py")
    assert not at.exception and not errors(at), errors(at)
    table = find_table(at, "Failed rules").set_index("Footprint")
    row = table.loc[PARTNERSHIP]
    assert row["Level"] == "pathway partnership" and row["Verdict"] == "pass" and row["Failed rules"] == ""
    assert int(row["Population"]) == _pop(raw, "LAD18NM", set().union(*TRUSTS.values()))
    why = " ".join(str(v) for k, v in row.items() if str(k).endswith(": why"))
    assert "spanning 2 STPs" in why and "South East London (54.7%" in why
