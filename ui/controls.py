"""Controls shared by the pages: the sidebar's region and geography picker, a progress bar, level options.

These are Streamlit input widgets (they read and write ``st.session_state``),
kept apart from the tables and maps, which only show results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import streamlit as st

from boundaries.errors import FootprintsError
from spatial.thresholds import ALL_LEVELS

if TYPE_CHECKING:
    from spatial import Scenario

__all__ = ["run_with_progress", "level_options", "region_options", "region_picker"]


def run_with_progress(steps: list[tuple[str, Callable[[], Any]]]) -> list[Any]:
    """Run ``steps`` (label, function) under one progress bar; return their results."""
    bar = st.progress(0.0, text=steps[0][0] if steps else "")
    out = []
    try:
        for i, (label, fn) in enumerate(steps):
            bar.progress(i / max(len(steps), 1), text=label)
            out.append(fn())
        bar.progress(1.0, text="Done")
    finally:
        bar.empty()
    return out


def level_options(scenario: Scenario) -> list[str]:
    """Levels present in the scenario, smallest first."""
    present = {fp.level for fp in scenario.footprints}
    return [lv for lv in ALL_LEVELS if lv in present]


@st.cache_data(show_spinner=False)
def region_options(geography: str) -> list[tuple[str, str]]:
    """``(value, label)`` of the regions of ``geography``: London, England, NHS regions, ICBs / STPs.

    Read from the lookups (codes and names only, a fraction of a second), not from the unit tables.
    """
    from boundaries.cache import cached_json

    ids = (("lsoa21_sicbl24_icb24_lookup", "gp_practice_pcn_2025") if geography == "2024"
           else ("lsoa_ccg_stp_lookup", "ccg18_nhser18_lookup"))
    # kept on disk per version of the two lookups: a cold start's sidebar then reads no CSV
    return [tuple(pair) for pair in cached_json(f"regions-{geography}-v1", ids, lambda: _region_options(geography))]


def _region_options(geography: str) -> list[tuple[str, str]]:
    from boundaries import get_dataset, settings
    from boundaries.readers import load_dataset

    data = settings()
    out = [("london", "London"), ("england", "England (all)")]
    try:
        if geography == "2024":
            look = load_dataset(get_dataset("lsoa21_sicbl24_icb24_lookup"), data).frame
            prac = load_dataset(get_dataset("gp_practice_pcn_2025"), data).frame
            regions = prac[["COMM_REGION_CODE", "COMM_REGION_NAME"]].drop_duplicates().sort_values("COMM_REGION_NAME")
            out += [(c, f"{n} (NHS region)") for c, n in regions.itertuples(index=False) if n != "London"]
            icbs = look[["icb24_code_nhs", "icb24_name"]].drop_duplicates().sort_values("icb24_name")
            out += [(c, n.replace("NHS ", "").replace(" Integrated Care Board", " ICB")) for c, n in
                    icbs.itertuples(index=False)]
        else:
            look = load_dataset(get_dataset("lsoa_ccg_stp_lookup"), data).frame
            nhser = load_dataset(get_dataset("ccg18_nhser18_lookup"), data).frame
            regions = nhser[["NHSER18CDH", "NHSER18NM"]].drop_duplicates().sort_values("NHSER18NM")
            out += [(c, f"{n} (NHS region)") for c, n in regions.itertuples(index=False) if n != "London"]
            stps = look[["STP18CD", "STP18NM"]].drop_duplicates().sort_values("STP18NM")
            out += [(c, f"{n} (STP)") for c, n in stps.itertuples(index=False)]
    except FootprintsError:  # lookups missing: only the base regions; loading says what to fetch
        pass
    return out


def region_picker() -> None:
    """Sidebar: pick the geography and the region; the engine cache is keyed by both."""
    from ui.state import GEOGRAPHY_KEY, REGION_KEY

    # a link may name them: ?geography=2024&region=Y60 (read once per session, then the picker rules)
    if "fp_picker_seeded" not in st.session_state:
        st.session_state["fp_picker_seeded"] = True
        q = st.query_params
        if q.get("geography") in ("2018", "2024"):
            st.session_state[GEOGRAPHY_KEY] = q.get("geography")
        if q.get("region"):
            st.session_state[REGION_KEY] = q.get("region")
    with st.sidebar:
        st.markdown("**Geography**")
        geography = st.radio("Boundaries", ["2018", "2024"], key=GEOGRAPHY_KEY, horizontal=True,
                             format_func={"2018": "2018 (CCGs, STPs)", "2024": "2024 (ICBs, councils)"}.get,
                             help="2018: LSOA 2011 with the April 2018 CCGs and STPs. 2024: LSOA 2021 with "
                                  "Census 2021 residents, sub-ICB locations, ICBs and upper-tier councils.")
        options = region_options(geography)
        values = [v for v, _ in options]
        if st.session_state.get(REGION_KEY) not in values:
            st.session_state[REGION_KEY] = "london"
        labels = dict(options)
        st.selectbox("Region", values, key=REGION_KEY, format_func=labels.get,
                     help="London, all of England, an NHS region or one ICB / STP")
