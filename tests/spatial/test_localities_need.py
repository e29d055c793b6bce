"""Localities that respect need (spopt max-p with the Core20 share as an attribute): Newham and Barnet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spatial.proposals import ProposalError
from spatial.proposals import propose_localities
from spatial.profile import ProfileData, locality_need_summary

NEWHAM, BARNET = "E09000025", "E09000003"


def _summary(index, proposal):
    locs = [loc.units for loc in proposal.localities]
    msoas = np.unique(index.membership["msoa"][np.concatenate(locs)])
    return locality_need_summary(ProfileData.from_index(index), locs, [index.units_of("msoa", i) for i in msoas])


def _pandas_core20(data_dir, geo, units) -> float:
    imd = pd.read_csv(data_dir / "deprivation/imd2019_lsoa11_en.csv").set_index("lsoa11_code")
    u = geo.units.iloc[units]
    dec = imd.loc[u["code"], "imd19_decile"].to_numpy()
    return float(u["population"].to_numpy()[dec <= 2].sum() / u["population"].sum())


def test_newham_localities_keep_deprived_areas_together(index, geo, data_dir):
    plain = propose_localities(index, NEWHAM, on="msoa", seed=0)
    need = propose_localities(index, NEWHAM, on="msoa", seed=0, need=10)
    assert all(loc.within_range for loc in need.localities)
    assert sum(loc.population for loc in need.localities) == int(geo.units.loc[geo.units.borough == NEWHAM,
                                                                               "population"].sum())
    a, b = _summary(index, plain), _summary(index, need)
    for loc, share in zip(need.localities, b["shares"]):
        assert share == pytest.approx(_pandas_core20(data_dir, geo, loc.units), abs=1e-12)
    # with need, blocks sit in localities of more similar deprivation, and fewer Core20 residents are a minority
    assert b["mixing"] < a["mixing"]
    assert b["split_core20"] < a["split_core20"]
    assert "Need respected" in need.method


def test_barnet_changes_little(index):
    plain = _summary(index, propose_localities(index, BARNET, on="msoa", seed=0))
    need = _summary(index, propose_localities(index, BARNET, on="msoa", seed=0, need=10))
    assert abs(need["mixing"] - plain["mixing"]) < 0.01 and need["split_core20"] == plain["split_core20"]


def test_bad_need_is_a_typed_error(index):
    with pytest.raises(ProposalError, match="need must be a positive number"):
        propose_localities(index, BARNET, on="msoa", need=-1)
