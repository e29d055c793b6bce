"""Who lives in a footprint, on the pages: profile tables, the deprivation map, the tally line.

Every figure comes from :mod:`spatial.profile`; nothing is computed here.
"""

from __future__ import annotations

import streamlit as st

from spatial.profile import PROFILE_COLUMNS, ProfileData, constituent_layer, profile_table, profile_units

__all__ = ["profile_section", "footprint_profile", "tally_profile", "deprivation_frame", "DEPRIVATION_SOURCE",
           "DEPRIVATION_SOURCE_2024", "build_deprivation_map"]

DEPRIVATION_SOURCE = ("IMD 2019 on 2011 areas: English Indices of Deprivation 2019 (MHCLG), OGL v3.0; "
                      "ONS LSOA 2011 boundaries, contains OS data © Crown copyright")
#: The same on 2021 LSOAs (the 2024 geography), where the IMD is carried through the LSOA 2011 -> 2021 lookup.
DEPRIVATION_SOURCE_2024 = ("IMD 2019 on 2011 areas, carried to LSOA 2021 through the ONS LSOA 2011 -> 2021 lookup: "
                           "English Indices of Deprivation 2019 (MHCLG), OGL v3.0; ONS LSOA 2021 boundaries, "
                           "contains OS data © Crown copyright")


def _profile_of(engine, scenario, report):
    index = engine.for_year(scenario.year).index
    data = ProfileData.from_index(index)
    return profile_units(data, report.units, constituents=constituent_layer(report.level, data))


def deprivation_frame(engine, scenario, report, names):
    """Units of the named footprints (EPSG:27700, with ``imd_decile``) and the footprints' shapes."""
    import numpy as np

    from ui.maps import map_frame

    units = np.unique(np.concatenate([report.get(n).units for n in names])) if names else np.empty(0, int)
    geo = engine.for_year(scenario.year).geo
    shade = geo.units.iloc[units][["code", "name", "imd_decile", "geometry"]] if "imd_decile" in geo.units else None
    return shade, map_frame(engine, scenario, names)


def build_deprivation_map(engine, scenario, report, names, *, title: str, subtitle: str | None = None,
                          labels: bool = True, date=None):
    """The deprivation map of the named footprints, or ``None`` without IMD data."""
    from layers.deprivation import deprivation_map

    shade, frame = deprivation_frame(engine, scenario, report, names)
    if shade is None or not len(shade):
        return None
    return deprivation_map(shade, frame[["name", "geometry"]], title=title, subtitle=subtitle,
                           source_line=DEPRIVATION_SOURCE_2024 if getattr(engine, "geography", "2018") == "2024"
                           else DEPRIVATION_SOURCE, labels=labels, date=date)


def profile_section(engine, scenario, report, names) -> None:
    """Check page: a profile table for the shown footprints and the deprivation map."""
    from ui.maps import show_map

    st.subheader("Who lives there")
    index = engine.for_year(scenario.year).index
    table = profile_table([report.get(n) for n in names], index)
    st.dataframe(table, hide_index=True, width="stretch", key="check_profile_table",
                 column_config={c: st.column_config.NumberColumn(c, format="localized")
                                for c in PROFILE_COLUMNS})
    data = ProfileData.from_index(index)
    st.caption("Core20 = residents in the most deprived fifth of LSOAs in England (IMD 2019 national deciles "
               "1-2, NHS England's Core20PLUS5). Mean IMD rank: 1 = most deprived of 32,844. Core20 gap: most "
               "minus least deprived constituent place (boroughs for systems and STPs, places for multi-place "
               "systems and ICBs, wards for boroughs, places, localities and neighbourhoods). " + (" ".join(data.missing.values())))
    st.markdown("#### Deprivation map")
    with st.spinner("Drawing the deprivation map…"):
        m = build_deprivation_map(engine, scenario, report, names, title=f"{scenario.name}: deprivation",
                                  subtitle="Units shaded by national IMD 2019 decile; footprint outlines on top")
    if m is None:
        st.info("No deprivation figures for these units.")
    else:
        show_map(m, height=560)


def footprint_profile(engine, scenario, report) -> None:
    """Check page, one footprint in full: the whole profile, figure by figure, with sources."""
    p = _profile_of(engine, scenario, report)
    st.markdown("#### Who lives there")
    st.write(p.summary())
    st.dataframe(p.table(), hide_index=True, width="stretch", key="check_footprint_profile")


def tally_profile(container, engine, scenario, report) -> None:
    """Sketch tally: one compact profile line, and the full profile on demand."""
    p = _profile_of(engine, scenario, report)
    container.caption(f"Who lives there: {p.summary()}")
    with container.expander("Full profile", expanded=False):
        st.dataframe(p.table()[["figure", "value"]], hide_index=True, width="stretch", key="sketch_profile")
        st.caption(f"Age: {p.sources['age']}. Deprivation: {p.sources['imd']}.")


def with_profile_columns(table, engine, scenario, report):
    """The footprint table with the profile columns joined on ``Footprint`` (Check page / board exports)."""
    index = engine.for_year(scenario.year).index
    prof = profile_table([report.get(n) for n in table["Footprint"]], index)
    return table.merge(prof, on="Footprint", how="left")


DEP_EXPORT_KEY = "board_deprivation_exports"


def deprivation_export(engine, scenario, report, names, *, title: str, stem: str, today) -> None:
    """Board export page: the deprivation map as PNG and A4 PDF, footprint outlines on top."""
    import tempfile
    from pathlib import Path

    st.subheader("Deprivation map")
    settings = (scenario, title, tuple(names), today)
    done = st.session_state.get(DEP_EXPORT_KEY)
    if done is not None and done["settings"] != settings:
        done = None
    if st.button("Prepare the deprivation map (PNG and PDF)", key="export_deprivation",
                 help="Units shaded by national IMD 2019 decile with the footprints' outlines (headless Chromium)."):
        from layers.export import browser, export_pdf, export_png
        from ui.state import app_settings

        m = build_deprivation_map(engine, scenario, report, names, title=f"{title}: deprivation",
                                  subtitle="Units shaded by national IMD 2019 decile; footprint outlines on top",
                                  date=today)
        files: dict[str, tuple[str, str, bytes]] = {}
        if m is None:
            st.info("No deprivation figures for these units.")
        else:
            try:
                chromium = app_settings().chromium
                with tempfile.TemporaryDirectory(prefix="footprints-dep-") as tmp, browser(chromium) as b:
                    files["png"] = (f"{stem} deprivation.png", "image/png",
                                    export_png(m, Path(tmp) / "dep.png", browser_=b).read_bytes())
                    files["pdf"] = (f"{stem} deprivation.pdf", "application/pdf",
                                    export_pdf(m, Path(tmp) / "dep.pdf", browser_=b).read_bytes())
            except Exception as exc:  # noqa: BLE001 - e.g. Chromium missing: say so, never a traceback
                st.error(f"The deprivation map could not be rendered ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0][:300]}). Fix: install Chromium (Debian package 'chromium') "
                         "or set FOOTPRINTS_CHROMIUM to its path.")
        done = {"settings": settings, "files": files}
        st.session_state[DEP_EXPORT_KEY] = done
    if done is not None and done["files"]:
        cols = st.columns(len(done["files"]))
        for col, (kind, (fname, mime, data)) in zip(cols, done["files"].items()):
            col.download_button(f"Deprivation map ({kind.upper()})", data, file_name=fname, mime=mime,
                                key=f"export_dep_dl_{kind}")
