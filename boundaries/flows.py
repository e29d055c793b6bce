"""Read and validate the care-flow inputs: trust catchment proportions, trust points, England populations.

The catchment data are PHE/OHID "NHS Acute (Hospital) Trust Catchment
Populations": for each MSOA (2011), the share of its admitted patients treated
by each acute trust.  Only proportions are published in the mirror (no patient
counts), and PHE leaves out small flows, so each MSOA's shares sum to a little
under one (0.90-0.997).  See ``docs/CARE_FLOWS.md``.

Data layer: this module reads files and never imports :mod:`spatial` (the care-flow
model, :mod:`spatial.careflows`, builds on these tables).  Its errors live in
:mod:`boundaries.errors`.

Everything here returns plain pandas tables and a list of notes (plain words,
for the status panel); problems that make the data unusable raise a typed
error naming the file, the rows and the fix.  Problems that lose nothing
(duplicate rows summed, MSOAs that cannot be weighted) give a
:class:`FlowDataWarning` and a note.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .config import Settings, settings as default_settings
from .errors import FlowDataError, FlowDataWarning, FlowYearError, MissingDataError
from .readers import load_dataset
from .registry import REGISTRY, get_region

__all__ = [
    "FlowDataError",
    "FlowYearError",
    "FlowDataWarning",
    "FlowTable",
    "flow_years",
    "read_flows",
    "read_flow_file",
    "validate_flows",
    "read_trusts",
    "validate_trusts",
    "read_england_msoa_population",
    "trust_display_name",
    "SUM_TOLERANCE",
]

#: Rounding slack allowed when an MSOA's shares sum to just above one.
SUM_TOLERANCE = 1e-6
FLOW_COLUMNS = ("msoa_code", "trust_code", "proportion")


@dataclass
class FlowTable:
    """A validated flow table.

    Attributes
    ----------
    frame : pandas.DataFrame
        ``msoa_code, trust_code, proportion``, one row per MSOA x trust pair.
    year : int
        Catchment year.
    source : str
        Registry id, or the path of a supplied file.
    path : Path or None
    notes : list of str
    """

    frame: pd.DataFrame
    year: int
    source: str
    path: Path | None = None
    notes: list[str] = field(default_factory=list)


def _note(notes: list[str], text: str, *, warn: bool = True) -> None:
    notes.append(text)
    if warn:
        warnings.warn(text, FlowDataWarning, stacklevel=3)


def flow_years(region: str = "london") -> list[int]:
    """Catchment years the region's configuration lists (``get_region(region).flows``)."""
    return sorted(get_region(region).flows)


def _lines(mask: np.ndarray, n: int = 8) -> str:
    rows = (np.flatnonzero(mask) + 2)[:n]  # +2: header line, 1-based
    more = f" and {int(mask.sum()) - n} more" if mask.sum() > n else ""
    return ", ".join(map(str, rows)) + more


def validate_flows(frame: pd.DataFrame, *, source: str, path: Path | None = None,
                   notes: list[str] | None = None) -> pd.DataFrame:
    """Check a flow table and return it clean.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``msoa_code``, ``trust_code``, ``proportion`` (others ignored).
    source : str
        Registry id or file name, for messages.
    path : Path, optional
    notes : list, optional
        Receives a note for each repair.

    Returns
    -------
    pandas.DataFrame
        ``msoa_code, trust_code, proportion`` with duplicate pairs summed.

    Raises
    ------
    FlowDataError
        Missing columns; blank codes; a proportion that is not a number or lies
        outside [0, 1]; an MSOA whose shares sum to more than one.

    Warns
    -----
    FlowDataWarning
        Duplicate MSOA x trust pairs (summed, as the publisher's successor
        remapping does).
    """
    notes = notes if notes is not None else []
    missing = [c for c in FLOW_COLUMNS if c not in frame]
    if missing:
        raise FlowDataError(
            f"columns missing: {', '.join(missing)} (found: {', '.join(map(str, frame.columns[:10]))})",
            dataset=source, path=path,
            fix="a flow table needs msoa_code (MSOA 2011 code), trust_code (ODS code) and proportion (0-1)",
        )
    out = pd.DataFrame({
        "msoa_code": frame["msoa_code"].astype("string").str.strip().str.upper(),
        "trust_code": frame["trust_code"].astype("string").str.strip().str.upper(),
        "proportion": pd.to_numeric(frame["proportion"], errors="coerce"),
    })
    for col in ("msoa_code", "trust_code"):
        blank = (out[col].isna() | (out[col] == "")).to_numpy()
        if blank.any():
            raise FlowDataError(f"{int(blank.sum())} row(s) have a blank {col} (lines {_lines(blank)})",
                                dataset=source, path=path, fix="fill in the codes or remove those rows")
    bad_msoa = ~out["msoa_code"].str.fullmatch(r"[EW]02\d{6}").to_numpy(bool)
    if bad_msoa.any():
        sample = ", ".join(map(repr, out.loc[bad_msoa, "msoa_code"].head(5)))
        raise FlowDataError(f"{int(bad_msoa.sum())} msoa_code value(s) are not MSOA 2011 codes: {sample} "
                            f"(lines {_lines(bad_msoa)})", dataset=source, path=path,
                            fix="msoa_code must be an MSOA 2011 GSS code like E02000001")
    nan = out["proportion"].isna().to_numpy()
    if nan.any():
        raise FlowDataError(f"{int(nan.sum())} proportion(s) are blank or not numbers (lines {_lines(nan)})",
                            dataset=source, path=path, fix="give each proportion as a number from 0 to 1")
    p = out["proportion"].to_numpy(float)
    outside = (p < 0) | (p > 1)
    if outside.any():
        sample = ", ".join(f"{m}/{t}={v:g}" for m, t, v in
                           out.loc[outside, ["msoa_code", "trust_code", "proportion"]].head(5).itertuples(index=False))
        raise FlowDataError(
            f"{int(outside.sum())} proportion(s) lie outside [0, 1]: {sample} (lines {_lines(outside)})",
            dataset=source, path=path,
            fix="proportions are shares of an MSOA's admitted patients (0-1); percentages must be divided by 100",
        )
    dup = out.duplicated(["msoa_code", "trust_code"], keep=False).to_numpy()
    if dup.any():
        n_pairs = int(out.loc[dup].drop_duplicates(["msoa_code", "trust_code"]).shape[0])
        _note(notes, f"{source}: {n_pairs} MSOA x trust pair(s) appear more than once (lines {_lines(dup)}); "
                     "their proportions were summed")
        out = out.groupby(["msoa_code", "trust_code"], as_index=False, sort=False)["proportion"].sum()
    sums = out.groupby("msoa_code")["proportion"].sum()
    over = sums[sums > 1 + SUM_TOLERANCE]
    if len(over):
        listed = ", ".join(f"{m} ({v:.4f})" for m, v in over.sort_values(ascending=False).head(8).items())
        raise FlowDataError(
            f"{len(over)} MSOA(s) have shares summing to more than 1: {listed}",
            dataset=source, path=path,
            fix="each MSOA's shares across trusts must add up to at most 1; check for repeated or mis-scaled rows",
        )
    return out.reset_index(drop=True)


def read_flow_file(path: Path | str, *, year: int, notes: list[str] | None = None) -> FlowTable:
    """Read a supplied flow CSV (same columns as the PHE table) and validate it.

    Raises
    ------
    MissingDataError, FlowDataError
    """
    path = Path(path)
    notes = notes if notes is not None else []
    if not path.is_file():
        raise MissingDataError("flow file not found", path=path,
                               fix="give the path of a CSV with msoa_code, trust_code, proportion")
    try:
        frame = pd.read_csv(path, dtype={"msoa_code": "string", "trust_code": "string"}, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise FlowDataError(f"cannot read CSV: {exc}", path=path, fix="save the table as CSV UTF-8") from exc
    clean = validate_flows(frame, source=path.name, path=path, notes=notes)
    return FlowTable(clean, int(year), str(path), path, notes)


def read_flows(year: int, *, region: str = "london", config: Settings | None = None,
               path: Path | str | None = None) -> FlowTable:
    """Read the catchment proportions of one year.

    Parameters
    ----------
    year : int
        Catchment year (``flow_years(region)``: 2018 and 2019).
    region : str
    config : Settings, optional
    path : path-like, optional
        A supplied file instead of the registry's (validated the same way;
        its record count is not checked against the registry).

    Raises
    ------
    FlowYearError
        A year without a flow table.
    MissingDataError, CodeError, RecordCountError, FlowDataError
    """
    if path is not None:
        return read_flow_file(path, year=year)
    years = get_region(region).flows
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = -1
    if year not in years:
        raise FlowYearError(
            f"no trust catchment flows for {year if year != -1 else 'that year'} in region {region}",
            fix=f"choose a catchment year from {', '.join(map(str, sorted(years)))}",
        )
    config = config or default_settings()
    loaded = load_dataset(REGISTRY[years[year]], config)
    notes = [f"{loaded.dataset.id}: {n}" for n in loaded.notes]
    clean = validate_flows(loaded.frame, source=loaded.dataset.id, path=loaded.path, notes=notes)
    return FlowTable(clean, year, loaded.dataset.id, loaded.path, notes)


def trust_display_name(name: str) -> str:
    """``"KING'S COLLEGE HOSPITAL NHS FOUNDATION TRUST"`` -> ``"King's College Hospital NHS Foundation Trust"``."""
    words = str(name).strip().title().split()
    small = {"And", "Of", "For", "The", "In", "On", "At"}
    upper = {"Nhs": "NHS", "Uk": "UK", "Ucl": "UCL"}
    out = []
    for i, w in enumerate(words):
        w = w.replace("'S", "'s").replace("’S", "’s")
        if w in upper:
            w = upper[w]
        elif i > 0 and w in small:
            w = w.lower()
        out.append(w)
    return " ".join(out)


def validate_trusts(frame: pd.DataFrame, *, source: str, path: Path | None = None) -> pd.DataFrame:
    """Check a trust table and return ``code, name, status, lon, lat``.

    Raises
    ------
    FlowDataError
        Missing columns, blank or duplicate codes, coordinates that are not
        WGS84 longitude/latitude numbers.
    """
    cols = {"nhs_trust_code": "code", "nhs_trust_name": "name", "lon": "lon", "lat": "lat"}
    missing = [c for c in cols if c not in frame]
    if missing:
        raise FlowDataError(f"columns missing: {', '.join(missing)}", dataset=source, path=path,
                            fix="a trust table needs nhs_trust_code, nhs_trust_name, lon, lat (WGS84)")
    out = pd.DataFrame({
        "code": frame["nhs_trust_code"].astype("string").str.strip().str.upper(),
        "name": [trust_display_name(n) for n in frame["nhs_trust_name"].astype(str)],
        "status": frame["status"].astype(str) if "status" in frame else "open",
        "lon": pd.to_numeric(frame["lon"], errors="coerce"),
        "lat": pd.to_numeric(frame["lat"], errors="coerce"),
    })
    blank = (out["code"].isna() | (out["code"] == "")).to_numpy()
    if blank.any():
        raise FlowDataError(f"{int(blank.sum())} trust(s) have a blank code (lines {_lines(blank)})",
                            dataset=source, path=path, fix="fill in the ODS trust codes")
    dup = out["code"].duplicated().to_numpy()
    if dup.any():
        raise FlowDataError(f"duplicate trust codes: {', '.join(out.loc[dup, 'code'].unique()[:10])}",
                            dataset=source, path=path, fix="keep one row per trust")
    lon, lat = out["lon"].to_numpy(float), out["lat"].to_numpy(float)
    bad = ~np.isfinite(lon) | ~np.isfinite(lat) | (np.abs(lon) > 180) | (np.abs(lat) > 90)
    if bad.any():
        raise FlowDataError(
            f"{int(bad.sum())} trust(s) have missing or impossible coordinates: "
            f"{', '.join(out.loc[bad, 'code'].head(10))} (lines {_lines(bad)})",
            dataset=source, path=path, fix="give lon/lat in WGS84 degrees (EPSG:4326)",
        )
    return out.reset_index(drop=True)


def read_trusts(*, config: Settings | None = None, path: Path | str | None = None) -> tuple[pd.DataFrame, str]:
    """Trust headquarters points (registry ``trust_points`` unless ``path`` is given).

    Returns
    -------
    (pandas.DataFrame, str)
        ``code, name, status, lon, lat`` and the source label.
    """
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise MissingDataError("trust file not found", path=path,
                                   fix="give the path of a CSV with nhs_trust_code, nhs_trust_name, lon, lat")
        frame = pd.read_csv(path, dtype={"nhs_trust_code": "string"}, encoding="utf-8-sig")
        return validate_trusts(frame, source=path.name, path=path), str(path)
    config = config or default_settings()
    loaded = load_dataset(REGISTRY["trust_points"], config)
    return validate_trusts(loaded.frame, source="trust_points", path=loaded.path), "trust_points"


def read_england_msoa_population(*, config: Settings | None = None) -> tuple[pd.Series, int]:
    """Mid-2017 population of every MSOA in England and Wales, from LSOA estimates and the LSOA -> MSOA lookup.

    Returns
    -------
    (pandas.Series, int)
        MSOA code -> population, and the population year (2017).

    Raises
    ------
    MissingDataError
        When either file is missing (the caller then says the supply side
        cannot be measured rather than guess).
    FlowDataError
        When LSOAs of the population file are missing from the lookup.
    """
    config = config or default_settings()
    pop = load_dataset(REGISTRY["lsoa_pop_mid2017"], config)
    look = load_dataset(REGISTRY["lsoa_msoa_lookup"], config)
    merged = pop.frame[["LSOA11CD", "pop_mid2017"]].merge(
        look.frame[["LSOA11CD", "MSOA11CD"]], on="LSOA11CD", how="left", validate="one_to_one")
    lost = merged["MSOA11CD"].isna().to_numpy()
    if lost.any():
        raise FlowDataError(
            f"{int(lost.sum())} LSOA(s) of the population file are not in the LSOA -> MSOA lookup: "
            f"{', '.join(merged.loc[lost, 'LSOA11CD'].head(10))}",
            dataset="lsoa_msoa_lookup", path=look.path, fix="use matching editions of the two files (SOURCES.md)",
        )
    values = pd.to_numeric(merged["pop_mid2017"], errors="coerce")
    if values.isna().any() or (values < 0).any():
        bad = merged.loc[values.isna() | (values < 0), "LSOA11CD"].head(10)
        raise FlowDataError(f"missing or negative populations for {', '.join(bad)}", dataset="lsoa_pop_mid2017",
                            path=pop.path, fix="restore the figures from the ONS estimates")
    series = values.groupby(merged["MSOA11CD"].astype(str)).sum()
    return series.astype(float), REGISTRY["lsoa_pop_mid2017"].year
