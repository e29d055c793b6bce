"""Home page: the loaded boundaries on a map, and the data status."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui.kept import keep_text, kept_folder, kept_stem, read_kept_json
from ui.state import app_settings, current_choice, engine_or_stop

#: Bumped when the layout of the home page's cached files changes; the drawing code is in the name too
#: (``_DRAWN_BY``).  v3: named by the region picked and the sources' fingerprint, with the counts beside.
_MAP_VERSION = 3
#: The code that draws the home page: an edit or an upgrade of any of it gives the cached files another name.
_DRAWN_BY = (Path(__file__).resolve(), Path(__file__).resolve().parents[2] / "layers")


def _read_cached(folder: Path, stem: str) -> tuple[dict, str] | None:
    """The counts and the map kept for ``stem`` in ``folder``; ``None`` when either is missing or unreadable."""
    summary = read_kept_json(folder / f"{stem}.json", {"counts", "residents", "population", "heading", "notes",
                                                        "geography"})
    try:
        html = (folder / f"{stem}.html").read_text(encoding="utf-8") if summary is not None else None
    except (OSError, UnicodeDecodeError):  # missing or unreadable: built again
        return None
    return (summary, html) if html is not None else None


def _summary(geo) -> dict:
    """What the home page says about the loaded data: layer counts, residents, notes (plain JSON)."""
    if geo.geography == "2024":
        counts = [("units (LSOA 2021)", len(geo.units)), ("wards (2024)", len(geo.layer("ward"))),
                  ("places (LAD 2024)", len(geo.layer("borough"))), ("upper-tier councils", len(geo.layer("utla"))),
                  ("sub-ICB locations", len(geo.layer("ccg"))), ("ICBs (2024)", len(geo.layer("stp")))]
        residents, heading = f"Residents (Census {geo.year})", "Places, sub-ICB locations and ICBs"
    else:
        counts = [("units (LSOA 2011)", len(geo.units)), ("MSOAs", len(geo.layer("msoa"))),
                  ("wards (2017)", len(geo.layer("ward"))), ("boroughs", len(geo.layer("borough"))),
                  ("CCGs (2018)", len(geo.layer("ccg"))), ("STPs (2018)", len(geo.layer("stp")))]
        residents, heading = "Residents (mid-%d)" % geo.year, "Boroughs, CCGs and STPs"
    return {"counts": [[label, int(n)] for label, n in counts], "residents": residents,
            "population": int(geo.units.population.sum()), "heading": heading, "notes": list(geo.notes),
            "geography": geo.geography}


def home_content(region: str, geography: str, config) -> tuple[dict, str]:
    """The home page's counts and map for this choice: read from ``FOOTPRINTS_CACHE/maps``, else built and kept.

    A cold start's first page reads these two files (a few milliseconds) instead
    of loading the engine (about 0.25 s, and the wait for make run's preload),
    building the map (about 0.7 s) and importing folium (about 0.8 s).  Nothing
    is held in memory between runs: a server that loads other data, or keeps its
    files elsewhere, reads other files.
    """
    import json

    folder = kept_folder(config)
    stem = kept_stem("home", region, geography, config, _DRAWN_BY, _MAP_VERSION)
    kept = _read_cached(folder, stem) if stem else None
    if kept is not None:
        return kept
    engine = engine_or_stop()
    with st.spinner("Drawing the boundaries…"):
        summary, html = _summary(engine.geo), _build_boundary_map_html(engine)
    # the map first, the counts last: the counts file marks a complete pair (a read-only or full cache: the
    # page still shows, built each start)
    if stem and keep_text(folder / f"{stem}.html", html):
        keep_text(folder / f"{stem}.json", json.dumps(summary))
    return summary, html


def _build_boundary_map_html(engine) -> str:
    """The boroughs, CCGs and STPs of the loaded data as one offline map."""
    import folium

    from layers.assets import self_contained_html
    from layers.elements import MapControl
    from layers.maps import base_map, legend_html, polygon_layer
    from layers.style import PathStyle, swatch_svg

    g, year = engine.geo, engine.geo.year
    borough = g.layer("borough")
    ccg = g.layer("ccg", source="published") if "ccg" in g.published else g.layer("ccg")
    stp = g.layer("stp")
    if g.geography == "2024":
        names = ("Places (LAD 2024)", "Sub-ICB locations (April 2024)", "ICBs (April 2024)")
        words, when = ("Place", "Sub-ICB location", "ICB"), f"Census {year}"
    else:
        names = ("Boroughs", "CCGs (April 2018)", "STPs (April 2018)")
        words, when = ("Borough", "CCG", "STP"), f"mid-{year}"
    styles = {
        names[0]: PathStyle(color="#444444", weight=1.0, fill_color="#dddddd", fill_opacity=0.35),
        names[1]: PathStyle(color="#0072B2", weight=2.0, dash_array="6 4"),
        names[2]: PathStyle(color="#D55E00", weight=3.0),
    }
    m = base_map(borough)
    polygon_layer(borough, names[0], style=styles[names[0]], label_col="name" if len(borough) <= 60 else None,
                  tooltip_cols={"name": words[0], "code": "Code", "population": f"Residents {when}"}).add_to(m)
    polygon_layer(ccg, names[1], style=styles[names[1]],
                  tooltip_cols={"name": words[1], "code": "Code"}).add_to(m)
    polygon_layer(stp, names[2], style=styles[names[2]], highlight=False,
                  tooltip_cols={"name": words[2], "code": "Code"}).add_to(m)
    MapControl(legend_html([(swatch_svg(s, kind="polygon"), label) for label, s in styles.items()], "Layers"),
               position="bottomright", class_name="fp-panel fp-legend").add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return self_contained_html(m)


st.title("Footprints")
st.caption("Health and care partnership footprints in London: localities, boroughs, "
           "multi-borough systems and STPs. Start on **Scenarios** (open a partnership from the papers), "
           "draw on **Sketch**, then see every rule on **Check**.")
summary, html = home_content(*current_choice(), app_settings())
cols = st.columns(6)
for col, (label, n) in zip(cols, summary["counts"]):
    col.metric(label, f"{n:,}")
st.metric(summary["residents"], f"{summary['population']:,}")

st.subheader(summary["heading"])
st.iframe(html, height=620)
if summary["geography"] == "2024":
    st.caption("Places, sub-ICB locations and ICBs: dissolved from LSOA 2021 units by the ONS April 2024 lookup "
               "(places: each LSOA's exact LAD 2022, carried to LAD 2024). Census 2021 usual residents. "
               "Source: Office for National Statistics; Open Government Licence v3.0.")
else:
    st.caption("Boroughs: dissolved from the units (ONS LSOA 2011, GLA names); CCGs: published ONS boundaries "
               "(April 2018); STPs: dissolved from the units by the ONS LSOA→CCG→STP lookup (April 2018). "
               "Source: Office for National Statistics, GLA, PHE/OHID, NHS Digital; Open Government Licence v3.0. "
               "Contains OS data © Crown copyright and database right 2011–2022.")


@st.cache_data(show_spinner=False)
def _status_rows(sources_stamp: str) -> list[dict]:
    """Every dataset's status (reading each file takes ~1 s; kept on disk per version of the sources)."""
    from boundaries.status import cached_status

    return [{"Dataset": s.id, "Records": s.records, "CRS": s.crs, "Year": s.year, "Read from": s.source,
             "Status": "OK" if s.ok else s.problem, "Notes": "; ".join(s.notes)} for s in cached_status()]


# Drawn only when opened: reading every dataset's status imports the engine and the table loads
# Streamlit's data-grid code, neither needed to show the first page.
data_status = st.expander("Data status", expanded=False, key="home_status_open", on_change="rerun")
if data_status.open:
    with data_status:
        from boundaries.status import sources_stamp

        st.dataframe(_status_rows(sources_stamp()), hide_index=True, width="stretch", key="home_status")
        st.markdown("**Notes from building the layers**")
        for note in summary["notes"]:
            st.write("•", note)
