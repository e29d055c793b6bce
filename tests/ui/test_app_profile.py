"""Profiles on the pages (AppTest on the real app and data), against pandas from the raw CSVs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.ui.test_app_pages import (KINGSTON, RICHMOND, SWL, errors, find_table, pdf_text, run_app,
                                  scenarios_folder, swl_scenario)  # noqa: F401 - the autouse fixture
from tests.ui.test_app_sketch import load, open_sketch


@pytest.fixture(scope="module")
def raw(data_dir):
    ages = pd.read_csv(data_dir / "london/london_lsoa11_pop_mid2017_syoa.csv")
    imd = pd.read_csv(data_dir / "deprivation/imd2019_lsoa11_en.csv")
    return ages.merge(imd, left_on="LSOA11CD", right_on="lsoa11_code")


def core20(raw, boroughs) -> float:
    df = raw[raw["lad19_code"].isin(boroughs)]
    return float(df.loc[df["imd19_decile"] <= 2, "pop_mid2017"].sum() / df["pop_mid2017"].sum())


def share75(raw, boroughs) -> float:
    df = raw[raw["lad19_code"].isin(boroughs)]
    return float(df[[str(a) for a in range(75, 90)] + ["90+"]].to_numpy().sum() / df["pop_mid2017"].sum())


def test_check_page_profile_table_and_deprivation_map(raw):
    at = run_app(swl_scenario(), "ui/pages/check.py")
    assert not at.exception and not errors(at), errors(at)
    table = find_table(at, "Core20 share %").set_index("Footprint")
    kr = table.loc["Kingston and Richmond"]
    assert kr["Core20 share %"] == round(100 * core20(raw, [KINGSTON, RICHMOND]), 1)
    assert kr["75+ share %"] == round(100 * share75(raw, [KINGSTON, RICHMOND]), 1)
    assert "IMD 2019 on 2011 areas" in kr["Profile sources"]
    swl = raw[raw["lad19_code"].isin(["E09000008", "E09000021", "E09000024", "E09000027", "E09000029",
                                      "E09000032"])]
    assert table.loc["South West London", "Core20 residents"] == int(
        swl.loc[swl["imd19_decile"] <= 2, "pop_mid2017"].sum())
    docs = [el.proto.srcdoc for el in at.get("iframe") if "IMD 2019 national decile" in el.proto.srcdoc]
    assert len(docs) == 1, "one deprivation map on the Check page"
    doc = docs[0]
    assert "Darker = more deprived" in doc and "1 – most deprived 10%" in doc and "10 – least deprived 10%" in doc
    assert "Footprint boundary" in doc
    # the full profile of the footprint picked below
    full = find_table(at, "figure")
    assert "Core20 (most deprived national quintile)" in set(full["figure"])


def test_sketch_tally_shows_the_profile_line(raw):
    at = open_sketch()
    load(at, "kingston-richmond")
    captions = [c.value for c in at.sidebar.caption if c.value.startswith("Who lives there")]
    assert len(captions) == 1
    line = captions[0]
    assert f"Core20 {100 * core20(raw, [KINGSTON, RICHMOND]):.1f}%" in line
    assert f"75+ {100 * share75(raw, [KINGSTON, RICHMOND]):.1f}%" in line
    full = [d.value for d in at.sidebar.dataframe if "figure" in d.value.columns]
    assert full and "Aged 75+" in set(full[0]["figure"])


def test_proposals_profile_columns_and_deprivation_weight(raw, geo):
    at = run_app(page="ui/pages/proposals.py")
    at.selectbox(key="proposals_stp").set_value(SWL).run()
    at.button(key="proposals_run").click().run()
    assert not at.exception and not errors(at)
    name_to_code = dict(zip(geo.units.borough_name, geo.units.borough))
    table = find_table(at, "Rank")
    for row in table.head(5).to_dict(orient="records"):
        codes = [name_to_code[n] for n in row["System"].split(" + ")]
        assert row["Core20 share %"] == round(100 * core20(raw, codes), 1)
        shares = [core20(raw, [c]) for c in codes]
        assert row["Core20 gap (points)"] == round(100 * (max(shares) - min(shares)), 1)
    for part in ("containment", "balance", "inside_stp", "compactness"):
        at.slider(key=f"proposals_w_{part}").set_value(0.0)
    at.slider(key="proposals_w_deprivation_balance").set_value(1.0)
    at.run()
    assert not at.exception and not errors(at)
    ranked = find_table(at, "Rank")
    passing = ranked[ranked["Verdict"] == "pass"]
    gaps = []
    for system in passing["System"]:
        shares = [core20(raw, [name_to_code[n]]) for n in system.split(" + ")]
        gaps.append(max(shares) - min(shares))
    assert len(gaps) >= 2 and np.all(np.diff(gaps) >= -1e-9), "ranked by the smallest Core20 gap first"
    assert all("balance of deprivation across constituent places" in why for why in passing["Why"])


def test_board_export_profile_columns_and_deprivation_pdf(raw, tmp_path):
    scenario = swl_scenario()
    at = run_app(scenario, "ui/pages/export.py")
    table = find_table(at, "Failed rules").set_index("Footprint")
    assert table.loc["Kingston and Richmond", "Core20 share %"] == round(100 * core20(raw, [KINGSTON, RICHMOND]), 1)
    at.button(key="export_deprivation").click().run()
    assert not at.exception and not errors(at), errors(at)
    files = at.session_state["board_deprivation_exports"]["files"]
    assert set(files) == {"png", "pdf"}
    assert files["png"][2][:8] == b"\x89PNG\r\n\x1a\n" and files["pdf"][2][:5] == b"%PDF-"
    drawn = pdf_text(files["pdf"][2])
    for words in ("IMD 2019 national decile", "Darker = more deprived", "most deprived 10%", "Kingston and Richmond",
                  "Footprint boundary"):
        assert words.replace(" ", "") in drawn, (words, drawn[:300])
    out = __import__("pathlib").Path(__file__).resolve().parents[2] / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "board_deprivation_map.pdf").write_bytes(files["pdf"][2])
    (out / "board_deprivation_map.png").write_bytes(files["png"][2])
