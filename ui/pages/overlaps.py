"""Overlaps page: how two sets of boundaries overlap, by population and by area.

Choose two layers (CCGs, boroughs, STPs, MSOAs, units, or this scenario's
footprints of one level).  The page shows, for each area of each layer, the
area of the other layer it matches best and its coterminosity class by
population and by area (from :func:`spatial.overlaps.overlap_summary`); the
table of every overlapping pair; a map highlighting the pieces where the two
layers differ; and CSV downloads.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from boundaries.errors import FootprintsError
from spatial.overlaps import PIECE_KINDS, overlap_pieces
from spatial.thresholds import LEVEL_LABELS
from ui.maps import show_map
from ui.state import checking_engine, get_state, show_error
from ui.tables import source_line

NAMED = {
    "CCGs (April 2018)": "ccg",
    "Boroughs": "borough",
    "STPs (April 2018)": "stp",
    "MSOAs (2011)": "msoa",
    "Wards (2017, from LSOAs)": "ward",
    "Units (LSOAs 2011)": "unit",
}
_SWAP = {"a_code": "b_code", "a_name": "b_name", "share_of_a_pop": "share_of_b_pop",
         "share_of_a_area": "share_of_b_area"}
_SWAP.update({v: k for k, v in _SWAP.items()})

state = get_state()
engine, _ = checking_engine()
scenario = state.scenario
index = engine.for_year(scenario.year).index
t = scenario.thresholds.coterminous_min

st.title("Overlaps")
st.caption("How two sets of boundaries overlap. Two areas are **coterminous** when at least "
           f"{100 * t:.0f}% of each lies in the other (“typically 95%+ coterminous”, Healthy London Partnership "
           "2018). Population overlaps assign each unit (LSOA 2011) by the ONS lookup; area overlaps intersect "
           "the shapes.")

NAMED_2024 = {
    "Upper-tier councils (2023)": "utla",
    "ICBs (April 2024)": "stp",
    "Sub-ICB locations (April 2024)": "ccg",
    "Places (LAD 2024)": "borough",
    "Wards (2024, from LSOAs)": "ward",
    "Units (LSOAs 2021)": "unit",
}
options: dict[str, object] = dict(NAMED_2024 if engine.geography == "2024" else NAMED)
for fp_level in dict.fromkeys(fp.level for fp in scenario.footprints):
    options[f"This scenario: {LEVEL_LABELS[fp_level]} footprints"] = ("scenario", fp_level)
labels = list(options)
c1, c2, c3 = st.columns([2, 2, 1])
label_a = c1.selectbox("Layer A", labels, index=0, key="overlaps_a")
label_b = c2.selectbox("Layer B", labels, index=1, key="overlaps_b")
source = c3.radio("Shapes for the area measure", ["published", "dissolved"], key="overlaps_source",
                  help="Published boundaries where the data has them, or the areas dissolved from units.")
if label_a == label_b:
    st.warning("Choose two different layers.")
    st.stop()


def layer_for(label: str):
    """The overlap layer of a choice: a named layer, or this scenario's footprints of one level."""
    from spatial.overlaps import overlap_layer

    choice = options[label]
    if isinstance(choice, tuple):
        return overlap_layer(scenario, index, level=choice[1])
    return overlap_layer(choice, index)


def side_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per area of the table's A side: best match and class by residents and by area (engine summaries)."""
    from spatial.overlaps import overlap_summary

    pop = overlap_summary(table, "population", coterminous_min=t)
    area = overlap_summary(table, "area", coterminous_min=t)
    pop = pop.rename(columns={"b_name": "Best match by residents", "share_of_a": "Share of its residents there",
                              "share_of_b": "Share of the match's residents", "match": "By residents",
                              "reason": "Why (residents)"}).drop(columns=["b_code", "n_overlaps"])
    area = area.rename(columns={"b_name": "Best match by area", "share_of_a": "Share of its area there",
                                "share_of_b": "Share of the match's area", "match": "By area",
                                "reason": "Why (area)"}).drop(columns=["b_code", "n_overlaps", "a_name"])
    out = pop.merge(area, on="a_code", how="outer").rename(columns={"a_code": "Code", "a_name": "Area"})
    out["Coterminous on both"] = ["yes" if p == "coterminous" and a == "coterminous" else "no"
                                  for p, a in zip(out["By residents"], out["By area"])]
    cols = ["Area", "Code", "Coterminous on both", "By residents", "Best match by residents",
            "Share of its residents there", "Share of the match's residents", "By area", "Best match by area",
            "Share of its area there", "Share of the match's area", "Why (residents)", "Why (area)"]
    return out[cols]


try:
    from spatial.overlaps import layer_geometries, overlap_table

    with st.spinner("Measuring the overlaps by population and by area…"):
        la, lb = layer_for(label_a), layer_for(label_b)
        table = overlap_table(la, lb, index, by=("population", "area"), source=source)
        summary_a = side_summary(table)
        summary_b = side_summary(table.rename(columns=_SWAP))
except FootprintsError as exc:
    show_error(exc)
    st.stop()

pct = st.column_config.NumberColumn(format="percent")
share_cols = {c: pct for c in ("Share of its residents there", "Share of the match's residents",
                               "Share of its area there", "Share of the match's area")}
not_cot_a = int((summary_a["Coterminous on both"] == "no").sum())
not_cot_b = int((summary_b["Coterminous on both"] == "no").sum())
m1, m2, m3 = st.columns(3)
m1.metric("Overlapping pairs", f"{int((table['shared_units'] > 0).sum()):,}",
          help="Pairs of areas sharing at least one unit.")
m2.metric("A areas not coterminous", f"{not_cot_a} of {len(summary_a)}")
m3.metric("B areas not coterminous", f"{not_cot_b} of {len(summary_b)}")

st.subheader("Coterminosity")
tab_a, tab_b, tab_pairs = st.tabs([f"{label_a} against {label_b}", f"{label_b} against {label_a}",
                                   "Every overlapping pair"])
with tab_a:
    st.dataframe(summary_a, hide_index=True, width="stretch", column_config=share_cols, key="overlaps_summary_a")
with tab_b:
    st.dataframe(summary_b, hide_index=True, width="stretch", column_config=share_cols, key="overlaps_summary_b")
with tab_pairs:
    only_people = st.toggle("Only pairs that share residents (hide slivers where the published edges differ)",
                            value=True, key="overlaps_only_people")
    pairs = table[table["shared_units"] > 0] if only_people else table
    st.dataframe(pairs.rename(columns={"a_code": "A code", "a_name": "A", "b_code": "B code", "b_name": "B",
                                       "shared_units": "Units shared", "overlap_population": "Residents shared",
                                       "share_of_a_pop": "Share of A's residents",
                                       "share_of_b_pop": "Share of B's residents",
                                       "overlap_area_m2": "Area shared (m²)", "share_of_a_area": "Share of A's area",
                                       "share_of_b_area": "Share of B's area"}),
                 hide_index=True, width="stretch", key="overlaps_pairs",
                 column_config={c: pct for c in ("Share of A's residents", "Share of B's residents",
                                                 "Share of A's area", "Share of B's area")})
for k, v in table.attrs.items():
    if k in ("assignment", "area_method"):
        st.caption(f"{k.replace('_', ' ').capitalize()}: {v}.")

# --- downloads -------------------------------------------------------------------------------
from layers.export import table_csv  # noqa: E402

today = dt.date.today()
src = source_line(scenario) + f". {table.attrs.get('assignment', '')}"
title = f"Overlaps of {label_a} and {label_b}"
d1, d2, d3 = st.columns(3)
d1.download_button("Pairs (CSV)", table_csv(table, title=title, source_line=src, date=today),
                   file_name="overlap-pairs.csv", mime="text/csv", key="overlaps_dl_pairs")
d2.download_button(f"{label_a} summary (CSV)", table_csv(summary_a, title=f"{label_a} against {label_b}",
                                                        source_line=src, date=today),
                   file_name="overlap-summary-a.csv", mime="text/csv", key="overlaps_dl_a")
d3.download_button(f"{label_b} summary (CSV)", table_csv(summary_b, title=f"{label_b} against {label_a}",
                                                        source_line=src, date=today),
                   file_name="overlap-summary-b.csv", mime="text/csv", key="overlaps_dl_b")

# --- map -------------------------------------------------------------------------------------
st.subheader("Where they differ")
st.caption("Each piece is the part of an A area inside a B area, built from the units they share. Grey pieces "
           "match (coterminous by residents); amber pieces are the main part of both areas but the boundaries differ; red "
           "pieces are the parts of an area that lie in another area (for example the City of London inside "
           "City and Hackney CCG).")
with st.spinner("Drawing the pieces…"):
    try:
        from layers.elements import MapControl
        from layers.maps import base_map, legend_html, polygon_layer
        from layers.style import TOL_HIGH_CONTRAST, PathStyle, swatch_svg
        from layers.text import escape_text

        pieces = overlap_pieces(la, lb, table, index, t)
        styles = {
            PIECE_KINDS[0]: PathStyle(color="#888888", weight=0.6, fill_color="#DDDDDD", fill_opacity=0.55),
            PIECE_KINDS[1]: PathStyle(color="#7A5A10", weight=0.8, fill_color=TOL_HIGH_CONTRAST["yellow"],
                                      fill_opacity=0.6),
            PIECE_KINDS[2]: PathStyle(color="#5A1020", weight=1.2, fill_color=TOL_HIGH_CONTRAST["red"],
                                      fill_opacity=0.85, dash_array="4 3", line_cap="butt"),
        }
        outline_a = PathStyle(color="#000000", weight=2.6)
        outline_b = PathStyle(color=TOL_HIGH_CONTRAST["blue"], weight=2.0, dash_array="7 5", line_cap="butt")
        m = base_map(pieces)
        polygon_layer(pieces, "Pieces", style=lambda row: styles[row["kind"]],
                      tooltip_cols={"name": "Piece", "kind": "Kind", "residents": "Residents",
                                    "share_of_a": "Share of A's residents", "share_of_b": "Share of B's residents"},
                      ).add_to(m)
        polygon_layer(layer_geometries(la, index, source="dissolved"), f"A: {label_a}", style=outline_a,
                      highlight=False).add_to(m)
        polygon_layer(layer_geometries(lb, index, source="dissolved"), f"B: {label_b}", style=outline_b,
                      highlight=False).add_to(m)
        counts = pieces["kind"].value_counts()
        entries = [(swatch_svg(styles[k]), f"{k} ({counts.get(k, 0)})") for k in PIECE_KINDS]
        entries += [(swatch_svg(outline_a, kind="line"), f"A: {label_a}"),
                    (swatch_svg(outline_b, kind="line"), f"B: {label_b}")]
        MapControl(f'<div class="fp-title-main">{escape_text(title)}</div>', position="topleft",
                   class_name="fp-panel fp-title").add_to(m)
        MapControl(legend_html(entries, "Pieces"), position="side", class_name="fp-panel fp-legend").add_to(m)
        when = today.strftime("%d %B %Y").lstrip("0")
        MapControl(escape_text(f"{source_line(scenario)} · Map drawn {when}"), position="side",
                   class_name="fp-panel fp-source").add_to(m)
        show_map(m, height=600)
    except FootprintsError as exc:
        show_error(exc)
