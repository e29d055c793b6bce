"""Home page: the loaded boundaries on a map, and the data status."""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from ui.state import app_settings, get_engine

engine = get_engine()
geo = engine.geo


#: Bumped when the home map's file layout changes; the drawing code is in the name too (``_DRAWN_BY``).
_MAP_VERSION = 2
#: The code that draws the home map: an edit or an upgrade of any of it gives the cached map another name.
_DRAWN_BY = (Path(__file__).resolve(), Path(__file__).resolve().parents[2] / "layers")


@st.cache_resource(show_spinner=False)
def _boundary_map_html(_engine, region: str, year: int, key: str | None, cache_dir: str) -> str:
    """The home map, built once per data version and kept in the processed-data cache.

    ``key`` (the data's cache key, ``geo.key``) and ``cache_dir`` (the processed-data
    folder the map is kept in) are part of this in-process cache's key, so a server
    process that loads other data, or keeps its files elsewhere, never shows the map
    held for the first.

    The first page of a cold start reads this file instead of building the map
    (about 0.7 s) and importing folium (about 0.8 s).
    """
    from boundaries.cache import code_stamp
    from boundaries.files import atomic_write

    stem = re.sub(r"[^A-Za-z0-9]+", "-", region).strip("-")  # "london::2018" -> "london-2018" (portable name)
    drawn = code_stamp(*_DRAWN_BY)[:12]
    path = Path(cache_dir) / "maps" / f"home-{stem}-{year}-{key or 'nokey'}-v{_MAP_VERSION}-{drawn}.html"
    if key and path.is_file():
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):  # unreadable: build it again
            pass
    html = _build_boundary_map_html(_engine, region, year)
    if key:
        try:
            atomic_write(path, lambda f: f.write(html), parents=True)
        except OSError:  # a read-only or full cache: the map still shows, built each start
            pass
    return html


def _build_boundary_map_html(_engine, region: str, year: int) -> str:
    """The boroughs, CCGs and STPs of the loaded data as one offline map."""
    import folium

    from layers.assets import self_contained_html
    from layers.elements import MapControl
    from layers.maps import base_map, legend_html, polygon_layer
    from layers.style import PathStyle, swatch_svg

    g = _engine.geo
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
cols = st.columns(6)
for col, (label, n) in zip(cols, counts):
    col.metric(label, f"{n:,}")
st.metric(residents, f"{int(geo.units.population.sum()):,}")

st.subheader(heading)
with st.spinner("Drawing the boundaries…"):
    html = _boundary_map_html(engine, f"{geo.region}:{geo.area}:{geo.geography}", geo.year, geo.key,
                              str(app_settings().cache_dir))
st.iframe(html, height=620)
if geo.geography == "2024":
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


with st.expander("Data status", expanded=False):
    from boundaries.status import sources_stamp

    st.dataframe(_status_rows(sources_stamp()), hide_index=True, width="stretch", key="home_status")
    st.markdown("**Notes from building the layers**")
    for note in geo.notes:
        st.write("•", note)
