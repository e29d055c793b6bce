"""Small shared helpers for the Check, Overlaps, Proposals, Scenarios and Board export pages.

Nothing here computes a rule: checks come from :meth:`spatial.Engine.check`,
shapes and metrics from :func:`spatial.scenario_io.footprints_frame`, maps from
:mod:`layers.maps`.  These helpers only turn those results into tables for
the screen, load scenarios into the session, and keep user-given file names
inside the scenarios folder.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd
import streamlit as st

from boundaries.errors import FootprintsError
from spatial import Engine, Scenario, ScenarioReport
from spatial.errors import ScenarioError
from spatial.io import MAX_UPLOAD_BYTES, scenario_from_upload  # the upload reader is engine work (spatial.io.uploads)
from spatial.overlaps import PIECE_KINDS, overlap_pieces  # noqa: F401  (moved to the engine: spatial.overlaps.summary)
from spatial.thresholds import ALL_LEVELS, LEVEL_LABELS, LEVELS

__all__ = [
    "RULE_LABELS",
    "VERDICT_TEXT",
    "MAX_UPLOAD_BYTES",
    "SCENARIOS_ENV",
    "source_line",
    "verdict_text",
    "report_or_error",
    "report_table",
    "footprint_frame",
    "map_frame",
    "show_map",
    "load_into_session",
    "scenarios_dir",
    "safe_scenario_name",
    "scenario_path",
    "saved_scenarios",
    "scenario_from_upload",
    "stp_options",
]

#: Column label of each rule on screen and in exported tables.
RULE_LABELS = {
    "population": "Population rule",
    "boroughs": "Borough count",
    "contiguity": "Contiguity",
    "nesting": "Nesting",
    "coterminosity_borough": "Coterminous: boroughs",
    "coterminosity_ccg": "Coterminous: CCGs",
    "care_flow": "Care flow",
    "core20_gap": "Core20 gap between places",
    "locality_core20": "Locality vs borough Core20",
    "cohort_75": "75+ cohort size",
}
#: How a rule's ``passed`` value is written.
VERDICT_TEXT = {True: "pass", False: "fail", None: "n/a"}
#: Environment variable naming the folder where the app saves scenarios.
SCENARIOS_ENV = "FOOTPRINTS_SCENARIOS"
#: Key of each table column to explain in exports.
TABLE_KEY = ("Verdicts: pass = meets the rule; fail = does not; n/a = no verdict at this level "
             "(shown for information) or not measured.")


#: Credit for the care-flow data: part of the source line whenever verdicts use care flows.
CARE_FLOW_CREDIT = ("care flows Public Health England / OHID, NHS Acute (Hospital) Trust Catchment Populations "
                    "(2018, from NHS Digital Hospital Episode Statistics); trust locations NHS Digital ODS; "
                    "contains public sector information licensed under the Open Government Licence v3.0")


def source_line(scenario: Scenario, *, care_flows: bool = False) -> str:
    """Provenance line for maps and tables of ``scenario`` (the date is added by the exporters).

    ``care_flows``: the verdicts use care flows, so PHE/OHID and NHS Digital are credited too.
    """
    return (f"Scenario \u2018{scenario.name}\u2019; population ONS mid-{scenario.year} estimates (LSOA 2011); "
            "boundaries ONS Open Geography Portal, CCGs and STPs April 2018; thresholds Healthy London "
            "Partnership 2018. Open Government Licence v3.0; contains OS data \u00a9 Crown copyright and "
            "database right" + (f"; {CARE_FLOW_CREDIT}" if care_flows else ""))


def verdict_text(passed: bool | None) -> str:
    """``pass`` / ``fail`` / ``n/a``."""
    return VERDICT_TEXT[passed]


# --- checks and tables -------------------------------------------------------------------------

def report_or_error(engine: Engine, scenario: Scenario) -> ScenarioReport | None:
    """The engine's checks of ``scenario``, or ``None`` after showing why they failed."""
    try:
        return engine.check(scenario)
    except FootprintsError as exc:
        st.error(f"The scenario cannot be checked: {exc}")
        return None


def _names(index, layer: str, codes: Iterable[str]) -> list[str]:
    lookup = dict(zip(index.layer_codes[layer], index.layer_names[layer]))
    return [str(lookup.get(c, c)) for c in codes]


def report_table(report: ScenarioReport, engine: Engine) -> pd.DataFrame:
    """One row per footprint: figures, the verdict and each rule's result and reason.

    The values are read from the report as they are (no rule is computed
    here), so the table, the map and every export show the same numbers.
    """
    index = engine.for_year(report.scenario.year).index
    rows = []
    for r in report.footprints:
        row: dict[str, Any] = {
            "Footprint": r.name,
            "Level": ("pathway partnership" if getattr(r, "kind", "place") == "pathway"
                      else LEVEL_LABELS.get(r.level, r.level)),
            "Parent": r.parent or "",
            "Verdict": r.verdict,
            "Population": int(r.population),
            "Units": int(r.n_units),
            "Boroughs": "; ".join(_names(index, "borough", r.boroughs)),
            "STPs": "; ".join(_names(index, "stp", r.stps)),
            "Failed rules": ", ".join(RULE_LABELS.get(c.rule, c.rule) for c in r.failures()),
        }
        for c in r.checks:
            label = RULE_LABELS.get(c.rule, c.rule)
            row[label] = verdict_text(c.passed)
            row[f"{label}: why"] = c.reason
        rows.append(row)
    cols = ["Footprint", "Level", "Parent", "Verdict", "Population", "Units", "Boroughs", "STPs", "Failed rules"]
    for rule, label in RULE_LABELS.items():
        cols += [label, f"{label}: why"]
    table = pd.DataFrame(rows)
    for c in cols:
        if c not in table:
            table[c] = pd.Series(dtype=object)
    extra = [c for c in table.columns if c not in cols]
    table = table[cols + extra]
    table["Population"] = table["Population"].astype("int64")
    table["Units"] = table["Units"].astype("int64")
    return table


def stp_options(engine: Engine) -> dict[str, str]:
    """STP code -> name."""
    idx = engine.index
    return {str(c): str(n) for c, n in zip(idx.layer_codes["stp"], idx.layer_names["stp"])}


@st.cache_data(max_entries=24, show_spinner=False)
def _frame_cached(_engine: Engine, region: str, key: str, with_flows: bool, scenario: Scenario):
    from spatial.scenario_io import footprints_frame

    eng = _engine.for_year(scenario.year)
    report = eng.check(scenario)
    return footprints_frame(report, eng.index)


def footprint_frame(engine: Engine, scenario: Scenario):
    """Footprints of ``scenario`` with metrics and dissolved shapes (EPSG:27700), cached per scenario."""
    return _frame_cached(engine, engine.geo.region, engine.geo.key, engine.flows is not None, scenario)


def map_frame(engine: Engine, scenario: Scenario, names: Iterable[str] | None = None):
    """The footprints as the maps draw them: ``name``, level, residents, verdict and why.

    Parameters
    ----------
    engine : Engine
    scenario : Scenario
    names : iterable of str, optional
        Only these footprints (in scenario order).
    """
    frame = footprint_frame(engine, scenario)
    if names is not None:
        keep = set(names)
        frame = frame[frame["name"].isin(keep)]
    report = {r.name: r for r in engine.check(scenario).footprints}
    out = frame[["name", "level", "population", "geometry"]].copy()
    out["level"] = [LEVEL_LABELS.get(v, v) for v in out["level"]]
    out["verdict"] = [report[n].verdict for n in out["name"]]
    out["reason"] = [
        "; ".join(c.reason for c in report[n].failures()) or "meets every rule with a verdict"
        for n in out["name"]
    ]
    out["failed"] = [", ".join(RULE_LABELS.get(c.rule, c.rule) for c in report[n].failures()) for n in out["name"]]
    return out.reset_index(drop=True)


MAP_TOOLTIP = {"name": "Footprint", "level": "Level", "population": "Residents", "verdict": "Verdict",
               "reason": "Why"}


def show_map(m, *, height: int = 560) -> str:
    """Draw a folium map in the page from one self-contained HTML document (works offline).

    Returns the HTML (the same document the Board export page downloads).
    """
    from layers.assets import self_contained_html

    html = self_contained_html(m)
    st.iframe(html, height=height)
    return html


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text: object) -> str:
    """Text from data or a user, escaped for Streamlit markdown (shown literally)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


# --- loading into the session --------------------------------------------------------------------

def load_into_session(scenario: Scenario, label: str, *, engine: Engine | None = None) -> bool:
    """Make ``scenario`` current and remember it as loaded (for "compare with the original").

    The scenario's member codes are checked first (when ``engine`` is given):
    on any problem the error is shown and the current scenario stays as it was.

    Returns
    -------
    bool
        Whether it was loaded.
    """
    from ui.state import commit, get_state

    if engine is not None:
        try:
            from spatial.scenario_io import validate_members

            validate_members(scenario, engine.for_year(scenario.year).index, where=label)
        except FootprintsError as exc:
            st.error(f"Not loaded — {exc}")
            return False
    state = get_state()
    commit(scenario, f"load {label}")
    if scenario.footprints and not scenario.names(state.level):
        # open Sketch where the footprints are (e.g. proposed localities: the locality level)
        levels = [fp.level for fp in scenario.footprints]
        state.level = max(dict.fromkeys(levels), key=levels.count)
        state.editing = scenario.names(state.level)[0]
    state.compare_with = scenario
    state.message = f"Loaded {scenario.name!r} ({len(scenario.footprints)} footprints) from {label}."
    return True


# --- the scenarios folder --------------------------------------------------------------------------

_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_UNSAFE = re.compile(r"[^A-Za-z0-9 _.,&()\-]+")


def scenarios_dir(create: bool = True) -> Path:
    """Folder where the app saves scenarios.

    ``$FOOTPRINTS_SCENARIOS`` when set, else ``<user data dir>/footprints/scenarios``
    (:func:`platformdirs.user_data_path`).
    """
    env = os.environ.get(SCENARIOS_ENV, "").strip()
    if env:
        folder = Path(env).expanduser()
    else:
        from platformdirs import user_data_path

        folder = user_data_path("footprints", appauthor=False) / "scenarios"
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def safe_scenario_name(name: str) -> str:
    """A file stem made from a user-given scenario name, safe to join to the scenarios folder.

    Path separators, ``..``, drive letters, control and other special
    characters are replaced; leading dots and dashes are dropped; Windows
    reserved device names (``CON``, ``NUL.txt``, ``COM1``...) get an
    underscore after the name; the result has at most 80 characters.

    Raises
    ------
    ScenarioError
        When nothing usable is left (e.g. ``"../.."``).
    """
    text = unicodedata.normalize("NFKC", str(name))
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = _UNSAFE.sub("-", text.replace("\\", "-").replace("/", "-"))
    text = re.sub(r"\.{2,}", ".", text)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"-{2,}", "-", text).strip(" .-_")
    text = text[:80].rstrip(" .-_")
    if not text:
        raise ScenarioError(f"{name!r} cannot be used as a file name", where="save as",
                            fix="give a name with letters or digits, e.g. 'SWL with Merton'")
    base, dot, rest = text.partition(".")
    if base.strip().casefold() in _RESERVED:  # Windows reserves "NUL" and "NUL.txt" alike
        text = f"{base}_{dot}{rest}"
    return text


def scenario_path(folder: Path, name: str) -> Path:
    """``folder/<safe name>.json``, guaranteed to lie directly inside ``folder``."""
    folder = Path(folder).resolve()
    path = (folder / f"{safe_scenario_name(name)}.json").resolve()
    if path.parent != folder:  # pragma: no cover - safe_scenario_name already prevents this
        raise ScenarioError(f"{name!r} points outside the scenarios folder", where="save as",
                            fix="use a plain name without folders")
    return path


def saved_scenarios(folder: Path) -> list[Path]:
    """Scenario files in the folder, newest first."""
    files = [p for p in Path(folder).glob("*.json") if p.is_file() and not p.name.startswith(".")]
    return sorted(files, key=lambda p: (-p.stat().st_mtime, p.name))


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


# --- the engine the pages check with -------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def _flows_engine(_engine: Engine, region: str, key: str) -> tuple[Engine, str]:
    """The shared engine with the PHE care-flow model attached (once per server process)."""
    try:
        from spatial.flow_cache import cached_care_flows

        flows = cached_care_flows(_engine.geo, 2018)  # built once per dataset, then read from the processed cache
    except ImportError:
        return _engine, "care flows not measured: the care-flow model is not installed"
    except FootprintsError as exc:
        return _engine, f"care flows not measured: {exc}"
    return Engine(_engine.geo, _engine.index, flows), ""


def checking_engine() -> tuple[Engine, str]:
    """The engine every page here checks with, and a note when care flows are not measured.

    It is the app's shared read-only engine, with the care-flow model attached
    when the data has one, so the Check table, the exports and the comparison
    all show the same verdicts.
    """
    from ui.state import get_engine

    engine = get_engine()
    if engine.flows is not None:
        return engine, ""
    return _flows_engine(engine, engine.geo.region, engine.geo.key)


# --- maps of a scenario ---------------------------------------------------------------------------

def scenario_map(engine: Engine, scenario: Scenario, report: ScenarioReport, names: Iterable[str], *,
                 title: str, subtitle: str | None = None, labels: bool = True, extra_layers: Iterable = (),
                 date=None):
    """A footprint map coloured by verdict, one layer per level.

    Footprints of different levels overlap (an STP holds its systems), and a
    map layer is drawn as one coverage, so the level with the most footprints
    is filled by verdict and every other level is drawn on top as
    verdict-styled outlines (colour and dash pattern, as in the legend).
    """
    from layers.maps import footprint_map, polygon_layer
    from layers.style import VERDICT_LABELS, VERDICT_STYLES, swatch_svg, verdict_key

    names = list(names)
    level_of = {r.name: r.level for r in report.footprints}
    frame = map_frame(engine, scenario, names)
    shown = [lv for lv in ALL_LEVELS if lv in {level_of[n] for n in names}]
    counts = {lv: sum(level_of[n] == lv for n in names) for lv in shown}
    filled = max(shown, key=lambda lv: (counts[lv], -ALL_LEVELS.index(lv)))  # most footprints; finer on a tie
    others = [lv for lv in reversed(shown) if lv != filled]
    main = frame[[level_of[n] == filled for n in frame["name"]]].reset_index(drop=True)
    groups = []
    for lv in others:
        part = frame[[level_of[n] == lv for n in frame["name"]]].reset_index(drop=True)
        keys = [verdict_key(v) for v in part["verdict"]]
        styles = {k: VERDICT_STYLES[k].with_(fill_color=None, weight=VERDICT_STYLES[k].weight + 2) for k in keys}
        part = part.assign(_k=keys)
        label = LEVEL_LABELS[lv]
        g = polygon_layer(part, f"{label} footprints (outlines)", style=lambda row: styles[row["_k"]],
                          tooltip_cols=MAP_TOOLTIP, highlight=False, label_col="name" if labels else None,
                          label_class="fp-label-stp" if lv == "stp" else "fp-label")
        g.legend_entries = [(swatch_svg(styles[k], kind="line"), f"{label}: {VERDICT_LABELS[k].lower()}")
                            for k in dict.fromkeys(keys)]
        groups.append(g)
    groups.extend(extra_layers)
    m = footprint_map(main, title=title, subtitle=subtitle,
                      source_line=source_line(scenario, care_flows=engine.flows is not None), labels=labels,
                      layers=groups, tooltip_cols=MAP_TOOLTIP, date=date,
                      legend_title=f"Verdict ({LEVEL_LABELS[filled]} footprints filled)")
    # Fit every level shown (not only the filled one), leaving room for the title panel at the
    # top and the source line and legend at the bottom, which are drawn over the map.
    import folium

    minx, miny, maxx, maxy = frame.to_crs(4326).total_bounds
    fit = folium.FitBounds([[miny, minx], [maxy, maxx]], padding_top_left=(16, 90),
                           padding_bottom_right=(16, 150))
    fit.options["animate"] = False
    fit.add_to(m)
    return m


# --- region / geography picker (sidebar) ---------------------------------------------------------

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
