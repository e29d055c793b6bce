"""The Check page's profile table and deprivation map for a 2024 region (AppTest, real app and data).

Kent and Medway ICB (QKS) as the region, on LSOA 2021 units with the IMD 2019 carried from 2011
areas; figures against pandas from the raw files (``tests/spatial/test_profile_2024.py``'s ``raw``).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from spatial import Footprint, Scenario
from tests.conftest import require_data_dir
from tests.ui.test_app_pages import errors, find_table
from tests.spatial.test_profile_2024 import raw  # noqa: F401 - the pandas fixture
from ui.state import GEOGRAPHY_KEY, REGION_KEY, STATE_KEY, AppState

APP = str(Path(__file__).resolve().parents[2] / "app.py")
MEDWAY, SWALE = "E06000035", "E07000113"


def test_check_page_profile_and_deprivation_map_for_kent_and_medway(raw, tmp_path, monkeypatch):  # noqa: F811
    require_data_dir()
    monkeypatch.setenv("FOOTPRINTS_SCENARIOS", str(tmp_path / "saved"))
    monkeypatch.setenv("FOOTPRINTS_DB", str(tmp_path / "store.db"))
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state[GEOGRAPHY_KEY] = "2024"
    at.session_state[REGION_KEY] = "QKS"
    at.run()
    assert not at.exception, at.exception
    sc = Scenario("Kent and Medway", (Footprint("Kent and Medway ICB", "icb", ("QKS",)),
                                      Footprint("Medway and Swale", "multi_place", (MEDWAY, SWALE),
                                                parent="Kent and Medway ICB")),
                  geography="2024", region="QKS", year=2021)
    st = AppState()
    st.history.push(sc, "test")
    at.session_state[STATE_KEY] = st
    at.switch_page("ui/pages/check.py")
    at.run()
    assert not at.exception and not errors(at), (at.exception, errors(at))
    table = find_table(at, "Core20 share %").set_index("Footprint")
    km = raw[raw["icb24_code_nhs"] == "QKS"]
    for name, rows in (("Kent and Medway ICB", km), ("Medway and Swale", km[km["ltla24_code"].isin([MEDWAY, SWALE])])):
        pop = rows["usual_residents_all"]
        row = table.loc[name]
        assert row["Core20 residents"] == int(pop[rows["dec"] <= 2].sum())
        assert row["Core20 share %"] == round(100 * pop[rows["dec"] <= 2].sum() / pop.sum(), 1)
        assert row["Aged 65+"] == int(rows["age_65_plus"].sum())
        assert row["Mean IMD rank"] == pytest.approx((pop * rows["rank"]).sum() / pop.sum(), abs=0.5)
        assert row["Aged 75+"] is None or math.isnan(row["Aged 75+"])  # not measurable with Census 2021 bands
        assert "IMD 2019 on 2011 areas" in row["Profile sources"] and "Census 2021" in row["Profile sources"]
    # the deprivation map: one, on the 2021 units, with the legend's direction and the footprint outlines
    docs = [el.proto.srcdoc for el in at.get("iframe") if "IMD 2019 national decile" in el.proto.srcdoc]
    assert len(docs) == 1, "one deprivation map on the Check page"
    doc = docs[0]
    assert "Darker = more deprived" in doc and "1 – most deprived 10%" in doc and "Footprint boundary" in doc
    assert "LSOA 2021" in doc and "LSOA 2011 boundaries" not in doc
    # the full profile of the footprint picked: 75+ not measurable, said in words
    full = find_table(at, "figure").set_index("figure")
    assert full.loc["Aged 75+", "value"] == "not measurable"
    assert any("65+ only" in str(v) for v in full["value"])
