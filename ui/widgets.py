"""Deprecated: moved to :mod:`ui.tables`, :mod:`ui.maps`, :mod:`ui.files`, :mod:`ui.state` and :mod:`ui.controls`.

The names stay importable from here for now.  Where each lives:

- tables and their words (``RULE_LABELS``, ``source_line``, ``verdict_text``, ``report_table``, ``md``...):
  :mod:`ui.tables` (the rule words themselves: :data:`spatial.thresholds.RULE_WORDS`);
- map frames and maps (``footprint_frame``, ``map_frame``, ``MAP_TOOLTIP``, ``show_map``, ``scenario_map``):
  :mod:`ui.maps`;
- the scenarios folder (``scenarios_dir``, ``safe_scenario_name``, ``scenario_path``, ``saved_scenarios``):
  :mod:`ui.files`;
- the checking engine and loading into the session (``checking_engine``, ``load_into_session``): :mod:`ui.state`;
- controls (``region_picker``, ``region_options``, ``run_with_progress``, ``level_options``): :mod:`ui.controls`.

The uploads and the overlap pieces below are still defined here until they move to the engine.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from spatial import Engine, Scenario
from spatial.errors import ScenarioError, ScenarioFormatError, UnknownCodeError
from ui.controls import level_options, region_options, region_picker, run_with_progress
from ui.files import SCENARIOS_ENV, safe_scenario_name, saved_scenarios, scenario_path, scenarios_dir
from ui.maps import MAP_TOOLTIP, footprint_frame, map_frame, scenario_map, show_map
from ui.state import checking_engine, load_into_session
from ui.tables import (CARE_FLOW_CREDIT, RULE_LABELS, TABLE_KEY, VERDICT_TEXT, md, report_or_error, report_table,
                       source_line, stp_options, verdict_text)

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
    "TABLE_KEY",
    "CARE_FLOW_CREDIT",
    "MAP_TOOLTIP",
    "scenario_map",
    "md",
    "checking_engine",
    "run_with_progress",
    "level_options",
    "region_options",
    "region_picker",
]

#: Largest file the Scenarios page accepts (bytes), the same as the scenario reader's limit.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


# --- uploads -----------------------------------------------------------------------------------------

def _decode_text(data: bytes, where: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ScenarioFormatError("broken UTF-16 text", where=where, fix="save the file as UTF-8") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioFormatError(
            f"not a text file (byte 0x{data[exc.start]:02x} at position {exc.start:,})", where=where,
            fix="upload a scenario JSON (.json) or an assignment CSV (.csv) saved as UTF-8") from exc


def scenario_from_upload(filename: str, data: bytes, engine: Engine, *, level: str = "multi_borough") -> Scenario:
    """Read an uploaded scenario JSON or assignment CSV, strictly.

    Parameters
    ----------
    filename : str
        As uploaded (only its extension and name are used; it is never a path).
    data : bytes
    engine : Engine
        To check every member code.
    level : str
        Level of the footprints of an assignment CSV without a ``level`` column.

    Raises
    ------
    ScenarioFormatError
        Empty, oversized (> 20 MB), not text, not JSON or CSV, a newer format version.
    ScenarioError
        Any other problem (unknown codes with suggestions, bad fields...), naming the file.
    """
    from spatial.scenario_io import assignment_from_csv, loads, validate_members

    where = Path(str(filename).replace("\\", "/")).name or "upload"
    if len(data) > MAX_UPLOAD_BYTES:
        raise ScenarioFormatError(
            f"the file is {len(data) / 1e6:.1f} MB, over the limit of {MAX_UPLOAD_BYTES // (1024 * 1024)} MB",
            where=where, fix="a scenario is normally a few kilobytes: check it is the right file, or list "
                             "boroughs or MSOAs rather than every unit")
    if not data.strip():
        raise ScenarioFormatError("the file is empty", where=where,
                                  fix="upload a scenario saved from Footprints (.json) or an assignment CSV")
    ext = Path(where).suffix.lower()
    if ext not in (".json", ".csv", ".txt"):
        raise ScenarioFormatError(
            f"{ext or 'a file without extension'} is not a format this page reads", where=where,
            fix="upload a scenario JSON (.json) or an assignment CSV (.csv, columns unit_code,footprint); "
                "GeoJSON and GeoPackage are export formats")
    text = _decode_text(data, where)
    if ext == ".json" or (ext == ".txt" and text.lstrip().startswith("{")):
        scenario = loads(text, where=where)
        validate_members(scenario, engine.for_year(scenario.year).index, where=where)
        return scenario
    if not text.endswith("\n"):
        text += "\n"  # assignment_from_csv reads a str holding a line break as the CSV text
    try:
        return assignment_from_csv(text, index=engine.index, level=level, name=Path(where).stem)
    except UnknownCodeError as exc:
        raise UnknownCodeError(exc.codes, exc.suggestions, where=_rewhere(exc.where, where)) from exc
    except ScenarioError as exc:
        raise type(exc)(exc.message, where=_rewhere(exc.where, where), fix=exc.fix) from exc


def _rewhere(loc: str | None, filename: str) -> str:
    """The reader's location with the uploaded file's name in place of 'assignment CSV'."""
    return (loc or "").replace("assignment CSV", filename) or filename


# --- overlap pieces ---------------------------------------------------------------------------------

#: Kinds of overlap piece on the Overlaps map, in legend order.
PIECE_KINDS = ("matching", "main part, boundaries differ", "part lying in another area")


def overlap_pieces(la, lb, table: pd.DataFrame, index, coterminous_min: float):
    """The pieces ``A ∩ B`` of two overlap layers, built from the units they share, for the map.

    Parameters
    ----------
    la, lb : spatial.overlaps.OverlapLayer
    table : DataFrame
        From :func:`spatial.overlaps.overlap_table` (population shares).
    index : UnitIndex
    coterminous_min : float
        The scenario's coterminosity threshold.

    Returns
    -------
    GeoDataFrame
        EPSG:27700; ``code, name, residents, share_of_a, share_of_b, kind`` where
        ``kind`` is one of :data:`PIECE_KINDS`: *matching* when the pair is
        coterminous (both shares at least ``coterminous_min``); *main part* when
        at least half (:data:`spatial.overlaps.MAJORITY`) of each lies in the
        other; otherwise *part lying in another area* (e.g. the City of London
        within City and Hackney CCG).
    """
    import geopandas as gpd
    import numpy as np
    from spatial.geometry import dissolve

    from spatial.overlaps import MAJORITY

    pos_a = {str(c): i for i, c in enumerate(la.codes)}
    pos_b = {str(c): i for i, c in enumerate(lb.codes)}
    geoms = index.geo.units.geometry.to_numpy()
    rows = table[table["shared_units"] > 0]
    shapes, kinds = [], []
    for r in rows.itertuples(index=False):
        units = np.intersect1d(la.units_of(pos_a[str(r.a_code)]), lb.units_of(pos_b[str(r.b_code)]))
        shapes.append(dissolve(geoms, units))
        sa, sb = float(r.share_of_a_pop), float(r.share_of_b_pop)
        if sa >= coterminous_min and sb >= coterminous_min:
            kinds.append(PIECE_KINDS[0])
        elif sa >= MAJORITY and sb >= MAJORITY:
            kinds.append(PIECE_KINDS[1])
        else:
            kinds.append(PIECE_KINDS[2])
    return gpd.GeoDataFrame({
        "code": [f"{a}|{b}" for a, b in zip(rows["a_code"], rows["b_code"])],
        "name": [f"{a} ∩ {b}" for a, b in zip(rows["a_name"], rows["b_name"])],
        "residents": rows["overlap_population"].to_numpy(),
        "share_of_a": [f"{100 * v:.1f}%" for v in rows["share_of_a_pop"]],
        "share_of_b": [f"{100 * v:.1f}%" for v in rows["share_of_b_pop"]],
        "kind": kinds,
    }, geometry=shapes, crs=index.geo.units.crs)
