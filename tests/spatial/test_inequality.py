"""The opt-in inequality rules: informational by default, enforced on request, not measurable without data."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from spatial import UnitIndex
from spatial.errors import ThresholdError
from spatial.footprints import Footprint
from spatial.thresholds import SOURCES, Thresholds

NEL = Footprint("NEL", "stp", ("E54000029",))
BHR = Footprint("BHR", "multi_borough", ("E09000002", "E09000016", "E09000026"))


def _core20_by_borough(data_dir, boroughs):
    """Core20 share per borough from the raw CSVs (pandas only)."""
    ages = pd.read_csv(data_dir / "london/london_lsoa11_pop_mid2017_syoa.csv")
    imd = pd.read_csv(data_dir / "deprivation/imd2019_lsoa11_en.csv")
    df = ages.merge(imd, left_on="LSOA11CD", right_on="lsoa11_code")
    df = df[df["lad19_code"].isin(boroughs)]
    df = df.assign(core=np.where(df["imd19_decile"] <= 2, df["pop_mid2017"], 0))
    g = df.groupby("lad19_name")[["core", "pop_mid2017"]].sum()
    return (g["core"] / g["pop_mid2017"]).sort_values()


def test_informational_by_default_never_fails(engine, data_dir):
    r = engine.check_footprint(BHR)
    c = r.check("core20_gap")
    assert c.passed is None and "for information" in c.reason
    off = engine.check_footprint(BHR, thresholds=Thresholds(inequality_rules="off"))
    assert r.passed == off.passed and "core20_gap" not in [x.rule for x in off.checks]
    share = _core20_by_borough(data_dir, BHR.members)
    gap = share.iloc[-1] - share.iloc[0]
    assert c.value == pytest.approx(gap, abs=1e-4)
    assert c.reason.startswith(f"Core20 share {100 * share.iloc[-1]:.0f}% in {share.index[-1]} vs ")
    assert f"gap {100 * gap:.0f} points, above 30" in c.reason


def test_enforced_rules_pass_and_fail_with_reasons(engine):
    t = Thresholds(inequality_rules="enforce", place_core20_gap_max=0.60, cohort_75_min=100_000)
    r = engine.check_footprint(NEL, thresholds=t)
    assert r.check("core20_gap").passed is True and "within 60" in r.check("core20_gap").reason
    cohort = r.check("cohort_75")
    assert cohort.passed is False and cohort.reason.startswith(f"{cohort.value:,} residents aged 75+, below 100,000")
    strict = engine.check_footprint(NEL, thresholds=t.replace(place_core20_gap_max=0.30, cohort_75_min=0))
    assert strict.check("core20_gap").passed is False and not strict.passed


def test_locality_compared_with_its_borough(engine):
    idx = engine.index
    newham = idx.expand(["E09000025"])
    # the most deprived MSOA of Newham by the units' deciles, as a one-MSOA "locality"
    m = idx.membership["msoa"][newham]
    dec = idx.geo.units["imd_decile"].to_numpy()[newham]
    worst = np.bincount(m, weights=(dec <= 2) * idx.population[newham]) / np.maximum(
        np.bincount(m, weights=idx.population[newham]), 1)
    code = idx.layer_codes["msoa"][int(worst.argmax())]
    fp = Footprint("deprived corner", "locality", (code,))
    c = engine.check_footprint(fp, thresholds=Thresholds(inequality_rules="enforce")).check("locality_core20")
    assert "in Newham" in c.reason and c.value > 0
    assert c.passed is (c.value <= 0.20)


def test_75_plus_not_measurable_with_census_2021_bands(engine):
    """Six Census-2021-style bands (65+ only): the 75+ rule is neither pass nor fail."""
    geo = engine.geo
    units = geo.units.copy()
    units["age_65_plus"] = units[["age_65_74", "age_75_84", "age_85_plus"]].sum(axis=1)
    units = units.drop(columns=["age_65_74", "age_75_84", "age_85_plus"])
    idx = UnitIndex.from_geographies(dataclasses.replace(geo, units=units), adjacency=engine.index.adjacency)
    from spatial.checks import check_footprint

    r = check_footprint(BHR, idx, thresholds=Thresholds(inequality_rules="enforce", cohort_75_min=1000))
    c = r.check("cohort_75")
    assert c.passed is None and c.value is None
    assert c.reason.startswith("not measurable") and "65+ only" in c.reason
    assert r.check("core20_gap").passed is False  # the IMD rule is still measured


def test_thresholds_validation_and_citations():
    with pytest.raises(ThresholdError, match="inequality_rules must be one of"):
        Thresholds(inequality_rules="sometimes")
    with pytest.raises(ThresholdError, match="cannot be above 100%"):
        Thresholds(place_core20_gap_max=30)
    for name in ("inequality_rules", "place_core20_gap_max", "locality_core20_excess_max", "cohort_75_min"):
        assert name in SOURCES
    assert "narrow the gap in health equality" in SOURCES["inequality_rules"]
    assert Thresholds.from_dict({"inequality_rules": "enforce"}).overrides() == {"inequality_rules": "enforce"}
